/*
 * bench_ingest.c — events per second that syncd durably commits, against
 * raw SQLite inserts of the same rows in the same run.
 *
 * Measured path, in-process, exactly what syncd does for one PUSH
 * (session.c do_push): look up the kiosk, decode the frame, validate the
 * batch against the catalogue (syncd_ingest_build), commit it with its
 * rollups and the kiosk's high-water mark in one transaction
 * (syncd_store_ingest, WAL, synchronous=FULL), encode the ACK. N kiosks
 * push batches in turn. Sockets and CURVE are left out here; the backlog
 * benchmark and the stepwise-sim run go through them.
 *
 * Baseline: the same rows into a copy of syncd's events table (same
 * columns, primary key and index), WAL, synchronous=FULL, one transaction
 * per batch, prepared statement reused, row values prepared beforehand.
 *
 * Both databases are hashed back row by row and must equal the hash of
 * the generated events.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "gen.h"
#include "syncd/ingest.h"
#include "syncd/store.h"

#define SEED 8

/* CPU seconds (user + system) of this process so far: on a shared
 * machine the wall clock moves with other load, CPU time much less, so
 * both are printed (fsync waits show in the wall clock only). */
static double cpu_s(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0)
        return 0;
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    bool smoke = bench_smoke(argc, argv);
    unsigned kiosks = smoke ? 2 : 8;
    uint32_t per_kiosk = smoke ? 300 : 5000;
    uint32_t batch = 200;
    size_t total = (size_t)kiosks * per_kiosk;
    char dir[512], path[700];
    char *yaml = NULL;
    size_t yaml_len = 0;
    proto_catalogue_t *cat = NULL;
    proto_event_t *evs = NULL;
    uint8_t **frames = NULL;
    size_t *frame_len = NULL, n_frames = 0;
    syncd_store_t *store = NULL;
    syncd_ingest_t *ing = NULL;
    bench_raw_t *raw = NULL;
    bench_raw_row_t *rows = NULL;
    int rc = 1;
    dir[0] = '\0';

    if (bench_tmpdir("ingest", dir, sizeof dir) != 0 ||
        (cat = bench_catalogue(&yaml, &yaml_len)) == NULL)
        goto done;
    /* Events in push order: kiosk k's batches interleaved round-robin. */
    evs = calloc(total, sizeof *evs);
    size_t batches_per_kiosk = (per_kiosk + batch - 1) / batch;
    frames = calloc(batches_per_kiosk * kiosks, sizeof *frames);
    frame_len = calloc(batches_per_kiosk * kiosks, sizeof *frame_len);
    if (!evs || !frames || !frame_len)
        goto oom;
    uint64_t want = BENCH_FNV_INIT;
    for (unsigned k = 0; k < kiosks; k++)
        for (uint32_t i = 0; i < per_kiosk; i++) {
            proto_event_t *ev = &evs[(size_t)k * per_kiosk + i];
            if (bench_event(cat, SEED, k, i + 1, ev) != 0)
                goto oom;
            want = bench_hash_event(want, ev);
        }
    if (bench_push_frames(evs, kiosks, per_kiosk, batch, frames, frame_len,
                          &n_frames) != 0)
        goto done;

    /* ---- syncd's path */
    snprintf(path, sizeof path, "%s/syncd.db", dir);
    if ((store = bench_store_new(path, yaml, yaml_len, kiosks)) == NULL)
        goto done;
    if ((ing = syncd_ingest_new()) == NULL)
        goto oom;
    uint64_t accepted = 0;
    bench_push_phases_t ph = {0};
    double t0 = bench_now_s(), c0 = cpu_s();
    for (size_t f = 0; f < n_frames; f++) {
        int r = bench_syncd_push(store, ing, cat, frames[f], frame_len[f], f,
                                 &ph, &accepted);
        if (r == -1)
            goto done;
        if (r != 0)
            goto store_fail;
    }
    /* every event written out, rollups and all: the journal's last rows
     * folded inside the timed window */
    double t_fold = bench_now_s();
    if (syncd_store_fold(store, SIZE_MAX) != 0)
        goto store_fail;
    t_fold = bench_now_s() - t_fold;
    double t_syncd = bench_now_s() - t0, c_syncd = cpu_s() - c0;
    printf("# syncd phases: decode + kiosk look-up %.3f s, "
           "syncd_ingest_build %.3f s, syncd_store_ingest and folds %.3f s, "
           "the last fold %.3f s\n",
           ph.decode, ph.build, ph.store, t_fold);
    /* the rollups the store maintained equal those recomputed from the
     * stored events (outside the timed window) */
    char why[512];
    if (syncd_store_verify_rollups(store, why, sizeof why) != 0) {
        fprintf(stderr, "bench: the rollups do not verify: %s\n", why);
        goto done;
    }
    syncd_store_destroy(&store);

    /* ---- raw SQLite baseline, same rows, same batches */
    snprintf(path, sizeof path, "%s/raw.db", dir);
    if ((raw = bench_raw_open(path)) == NULL ||
        (rows = bench_raw_rows(evs, total)) == NULL)
        goto done;
    t0 = bench_now_s();
    c0 = cpu_s();
    for (size_t b = 0; b < batches_per_kiosk; b++)
        for (unsigned k = 0; k < kiosks; k++) {
            size_t first = (size_t)k * per_kiosk + b * batch;
            size_t n =
                per_kiosk - b * batch < batch ? per_kiosk - b * batch : batch;
            if (bench_raw_insert(raw, rows, first, n) != 0)
                goto done;
        }
    double t_raw = bench_now_s() - t0, c_raw = cpu_s() - c0;
    bench_raw_close(&raw);

    /* ---- both must hold exactly the generated events */
    uint64_t h_syncd, h_raw, n_syncd, n_raw;
    snprintf(path, sizeof path, "%s/syncd.db", dir);
    if (bench_hash_db(path, &h_syncd, &n_syncd) != 0)
        goto done;
    snprintf(path, sizeof path, "%s/raw.db", dir);
    if (bench_hash_db(path, &h_raw, &n_raw) != 0)
        goto done;
    printf("# CPU time: syncd %.3f s, raw %.3f s (ratio %.2f)\n", c_syncd,
           c_raw, c_syncd > 0 ? c_raw / c_syncd : 0);
    printf("# %u kiosks x %" PRIu32 " events, batches of %" PRIu32
           ": syncd %.3f s (%" PRIu64 " accepted, %" PRIu64
           " rows), raw %.3f s (%" PRIu64 " rows)\n",
           kiosks, per_kiosk, batch, t_syncd, accepted, n_syncd, t_raw, n_raw);
    if (bench_check_hash("syncd store rows", h_syncd, want) != 0 ||
        bench_check_hash("raw SQLite rows", h_raw, want) != 0 ||
        accepted != total || n_syncd != total || n_raw != total) {
        fprintf(stderr,
                "bench: ingest stored %" PRIu64 " / %" PRIu64
                " rows of %zu generated\n",
                n_syncd, n_raw, total);
        goto done;
    }
    double v = (double)total / t_syncd, base = (double)total / t_raw;
    double ratio = v / base;
    bench_row("ingest", smoke ? "ingest (smoke)" : "ingest, in-process", v,
              "events/s", base, "raw SQLite inserts", ratio, ">= 0.5x",
              ratio >= 0.5 ? "pass" : "miss", h_syncd);
    rc = 0;
    goto done;
oom:
    fprintf(stderr, "bench: out of memory generating events\n");
    goto done;
store_fail:
    fprintf(stderr, "bench: syncd store: %s\n",
            store ? syncd_store_errmsg(store) : "?");
done:
    bench_raw_close(&raw);
    bench_raw_rows_free(rows, total);
    syncd_ingest_destroy(&ing);
    syncd_store_destroy(&store);
    for (size_t f = 0; f < n_frames; f++)
        proto_free(frames[f]);
    free(frames);
    free(frame_len);
    if (evs)
        for (size_t i = 0; i < total; i++)
            proto_event_clear(&evs[i]);
    free(evs);
    proto_catalogue_destroy(&cat);
    free(yaml);
    bench_rmtree(dir);
    return rc;
}
