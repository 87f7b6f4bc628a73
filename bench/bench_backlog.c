/*
 * bench_backlog.c — one kiosk back online with 10,000 offline events:
 * the time from reconnect to the last ACK.
 *
 * Real parts only: syncd's server in-process on its own thread (ZAP,
 * CURVE, sessions, ingest, the SQLite store with synchronous=FULL, so
 * every batch is fsynced before its ACK) and the kiosk's sync library
 * (its outbox, fsynced too when an ACK is applied) over loopback TCP.
 * The clock starts when the sync thread is created (it connects, says
 * HELLO, and pushes) and stops when its status shows the whole outbox
 * acknowledged.
 *
 * Baseline: the same rows as raw SQLite inserts, same batch size, one
 * fsynced transaction per batch (gen.h). Output check: the rows syncd
 * stored hash to the generated events.
 *
 * Usage: bench_backlog [--smoke] [--batch N] [--events N]
 *
 * STEPWISE_BENCH_OUTBOX=FILE reuses a filled outbox: when FILE exists it is
 * copied in instead of appending the events again (40 s of fsyncs at
 * 10,000), otherwise the filled outbox is saved there. For profiling runs;
 * FILE must come from the same --events and seed.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "gen.h"
#include "kiosk/outbox.h"
#include "kiosk/sync.h"
#include "protocol/keys.h"
#include "syncd/log.h"
#include "syncd/server.h"
#include "syncd/store.h"

#define SEED 10

typedef struct {
    syncd_server_t *srv;
    atomic_bool stop;
} server_thread_t;

/* CPU seconds of the whole process (every thread) so far. */
static double process_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* CPU seconds of thread t so far; 0 when the clock cannot be read. */
static double thread_cpu_s(pthread_t t)
{
    clockid_t id;
    struct timespec ts;
    if (pthread_getcpuclockid(t, &id) != 0 || clock_gettime(id, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *server_main(void *arg)
{
    server_thread_t *t = arg;
    while (!atomic_load(&t->stop))
        if (syncd_server_step(t->srv, 20) != 0)
            break;
    return NULL;
}

/* Copies the file at from to to; 0 or -1. */
static int copy_file(const char *from, const char *to)
{
    char buf[65536];
    size_t got;
    int rc = -1;
    FILE *in = fopen(from, "rb"), *out = NULL;
    if (!in)
        goto done;
    if ((out = fopen(to, "wb")) == NULL)
        goto done;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, got, out) != got)
            goto done;
    rc = ferror(in) ? -1 : 0;
done:
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

int main(int argc, char **argv)
{
    bool smoke = bench_smoke(argc, argv);
    uint32_t n = smoke ? 300 : 10000, batch = 0;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--batch") == 0)
            batch = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--events") == 0)
            n = (uint32_t)strtoul(argv[++i], NULL, 10);
    }
    uint32_t eff_batch =
        batch ? batch : PROTO_MAX_BATCH; /* the kiosk's default */
    char dir[512], db[700], obpath[700], err[1024];
    char *yaml = NULL;
    size_t yaml_len = 0;
    proto_catalogue_t *cat = NULL;
    proto_event_t *evs = NULL;
    syncd_store_t *store = NULL;
    server_thread_t st = {0};
    pthread_t thr;
    bool thr_up = false;
    kiosk_outbox_t *ob = NULL;
    kiosk_sync_t *sync = NULL;
    bench_raw_t *raw = NULL;
    bench_raw_row_t *rows = NULL;
    proto_keypair_t server_kp, kiosk_kp;
    int rc = 1;
    dir[0] = '\0';

    /* STEPWISE_BENCH_LOG=1: syncd logs each batch with its ms, to tell
     * the server's share of the time from the kiosk's and the wire's */
    syncd_log_set_level(getenv("STEPWISE_BENCH_LOG") ? SYNCD_LOG_INFO
                                                     : SYNCD_LOG_ERROR);
    if (bench_tmpdir("backlog", dir, sizeof dir) != 0 ||
        (cat = bench_catalogue(&yaml, &yaml_len)) == NULL)
        goto done;
    if ((evs = calloc(n, sizeof *evs)) == NULL)
        goto done;
    uint64_t want = BENCH_FNV_INIT;
    for (uint32_t i = 0; i < n; i++) {
        if (bench_event(cat, SEED, 0, i + 1, &evs[i]) != 0)
            goto done;
        want = bench_hash_event(want, &evs[i]);
    }
    if ((rows = bench_raw_rows(evs, n)) == NULL)
        goto done;

    /* ---- the kiosk's offline backlog, each capture fsynced */
    snprintf(obpath, sizeof obpath, "%s/outbox.db", dir);
    const char *ob_cache = getenv("STEPWISE_BENCH_OUTBOX");
    bool cached = ob_cache && copy_file(ob_cache, obpath) == 0;
    if (cached)
        printf("# outbox copied from %s\n", ob_cache);
    if ((ob = kiosk_outbox_open(obpath, err, sizeof err)) == NULL) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    if (kiosk_outbox_set_identity(ob, evs[0].kiosk_id) != 0)
        goto outbox_fail;
    double t0 = bench_now_s();
    for (uint32_t i = 0; i < n && !cached; i++) {
        proto_event_t copy;
        uint64_t seq;
        memset(&copy, 0, sizeof copy);
        if (proto_event_copy(&copy, &evs[i]) != 0)
            goto done;
        copy.seq = 0;
        int r = kiosk_outbox_append(ob, &copy, &seq);
        proto_event_clear(&copy);
        if (r != 0 || seq != i + 1)
            goto outbox_fail;
    }
    double t_fill = bench_now_s() - t0;
    /* The kiosk captured those check-ins against the catalogue they name,
     * so it holds that catalogue: reconnecting, it pushes straight away */
    if (kiosk_outbox_catalogue_put(ob, cat->version, yaml, yaml_len) != 0)
        goto outbox_fail;
    kiosk_outbox_destroy(&ob);
    if (ob_cache && !cached && copy_file(obpath, ob_cache) != 0)
        fprintf(stderr, "bench: could not save the outbox to %s\n", ob_cache);
    if (!cached)
        printf("# %" PRIu32 " offline captures appended in %.2f s (%.2f ms "
               "each, fsynced)\n",
               n, t_fill, t_fill * 1000 / n);

    /* ---- syncd in-process */
    snprintf(db, sizeof db, "%s/syncd.db", dir);
    syncd_store_options_t opt = {SYNCD_SYNC_FULL, 0};
    uint64_t version;
    if (proto_keys_generate(&server_kp) != 0 ||
        proto_keys_generate(&kiosk_kp) != 0)
        goto done;
    if ((store = syncd_store_open(db, &opt, err, sizeof err)) == NULL) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    if (syncd_store_catalogue_put(store, yaml, yaml_len, BENCH_T0_MS,
                                  &version) != 0 ||
        syncd_store_kiosk_enrol(store, evs[0].kiosk_id, BENCH_SITE,
                                kiosk_kp.public_z85, BENCH_T0_MS) != 0) {
        fprintf(stderr, "bench: store: %s\n", syncd_store_errmsg(store));
        goto done;
    }
    syncd_server_config_t cfg = {.kiosk_endpoint = "tcp://127.0.0.1:*",
                                 .admin_endpoint = "tcp://127.0.0.1:*",
                                 .server_key = server_kp,
                                 .store_path = db};
    if ((st.srv = syncd_server_new(&cfg, store, NULL, NULL, err, sizeof err)) ==
        NULL) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    if (pthread_create(&thr, NULL, server_main, &st) != 0)
        goto done;
    thr_up = true;

    /* ---- reconnect: the clock runs from here to the last ACK */
    kiosk_sync_config_t kc = {.outbox_path = obpath,
                              .n_endpoints = 1,
                              .server_public_z85 = server_kp.public_z85,
                              .keys = kiosk_kp,
                              .batch_size = batch};
    kc.endpoints[0] = syncd_server_kiosk_endpoint(st.srv);
    double cpu0 = process_cpu_s(), srv_cpu0 = thread_cpu_s(thr);
    t0 = bench_now_s();
    double t_start = t0;
    if ((sync = kiosk_sync_new(&kc, err, sizeof err)) == NULL) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    kiosk_sync_status_t s;
    double limit = t0 + 120;
    for (;;) {
        kiosk_sync_event_t ev;
        (void)kiosk_sync_wait(sync, &ev, 2);
        kiosk_sync_status(sync, &s);
        if (s.acked_seq >= n && s.waiting == 0)
            break;
        if (bench_now_s() > limit) {
            fprintf(stderr,
                    "bench: the backlog did not drain within 120 s: acked "
                    "%" PRIu64 " of %" PRIu32 " (link %s, %s)\n",
                    s.acked_seq, n, kiosk_link_name(s.link), s.message);
            goto done;
        }
    }
    double t_backlog = bench_now_s() - t0;
    /* CPU figures beside the wall clock: on a shared machine the wall
     * clock mostly measures the wait for a core (docs/PERFORMANCE.md) */
    double cpu_all = process_cpu_s() - cpu0;
    double cpu_srv = thread_cpu_s(thr) - srv_cpu0;
    kiosk_sync_destroy(&sync);
    atomic_store(&st.stop, true);
    pthread_join(thr, NULL);
    thr_up = false;
    /* An ACK means the batch is durable in syncd's ingest journal; its
     * events and rollups are written out by folds, which syncd runs when
     * the kiosks go quiet (and any read runs first). Whatever the server
     * thread had not folded when it stopped is folded here, so the second
     * figure is reconnect to everything written out. */
    double t_fold = bench_now_s();
    int left = syncd_store_fold(store, SIZE_MAX);
    double t_folded = bench_now_s() - t_start;
    t_fold = bench_now_s() - t_fold;
    if (left != 0) {
        fprintf(stderr, "bench: fold: %s\n", syncd_store_errmsg(store));
        goto done;
    }
    syncd_server_destroy(&st.srv);
    syncd_store_destroy(&store);

    /* ---- baseline: the same rows, same batches, fsynced */
    snprintf(db, sizeof db, "%s/raw.db", dir);
    if ((raw = bench_raw_open(db)) == NULL)
        goto done;
    t0 = bench_now_s();
    for (uint32_t first = 0; first < n; first += eff_batch)
        if (bench_raw_insert(raw, rows, first,
                             n - first < eff_batch ? n - first : eff_batch) !=
            0)
            goto done;
    double t_raw = bench_now_s() - t0;
    bench_raw_close(&raw);

    uint64_t h, got, h_raw, got_raw;
    snprintf(db, sizeof db, "%s/syncd.db", dir);
    if (bench_hash_db(db, &h, &got) != 0)
        goto done;
    snprintf(db, sizeof db, "%s/raw.db", dir);
    if (bench_hash_db(db, &h_raw, &got_raw) != 0)
        goto done;
    printf("# %" PRIu32 " events in batches of %" PRIu32
           ": reconnect to last ACK %.3f s (%" PRIu32 " sessions); raw "
           "inserts %.3f s\n",
           n, eff_batch, t_backlog, s.connects, t_raw);
    printf("# CPU time from reconnect to last ACK: syncd's thread %.0f ms, "
           "the whole process (kiosk sync thread, ZeroMQ I/O threads, "
           "syncd) %.0f ms\n",
           cpu_srv * 1000, cpu_all * 1000);
    printf("# reconnect to the backlog folded into events and rollups: "
           "%.3f s (after the server thread stopped, %.0f ms of folding "
           "was left)\n",
           t_folded, t_fold * 1000);
    if (bench_check_hash("syncd rows after the backlog", h, want) != 0 ||
        bench_check_hash("raw SQLite rows", h_raw, want) != 0 || got != n) {
        fprintf(stderr,
                "bench: syncd holds %" PRIu64 " rows, want %" PRIu32 "\n", got,
                n);
        goto done;
    }
    char fig[128];
    snprintf(fig, sizeof fig,
             "backlog: %" PRIu32 " events, batch %" PRIu32 "%s", n, eff_batch,
             smoke ? " (smoke)" : "");
    bench_row("backlog", fig, t_backlog * 1000, "ms", t_raw * 1000,
              "raw SQLite inserts", NAN, smoke ? "-" : "< 100 ms",
              smoke ? "info" : (t_backlog < 0.1 ? "pass" : "miss"), h);
    snprintf(fig, sizeof fig,
             "backlog folded: %" PRIu32 " events, batch %" PRIu32 "%s", n,
             eff_batch, smoke ? " (smoke)" : "");
    bench_row("backlog-folded", fig, t_folded * 1000, "ms", t_raw * 1000,
              "raw SQLite inserts", NAN, "-", "info", h);
    rc = 0;
    goto done;
outbox_fail:
    fprintf(stderr, "bench: outbox: %s\n", ob ? kiosk_outbox_errmsg(ob) : "?");
done:
    kiosk_sync_destroy(&sync);
    if (thr_up) {
        atomic_store(&st.stop, true);
        pthread_join(thr, NULL);
    }
    syncd_server_destroy(&st.srv);
    syncd_store_destroy(&store);
    kiosk_outbox_destroy(&ob);
    bench_raw_close(&raw);
    bench_raw_rows_free(rows, n);
    for (uint32_t i = 0; evs && i < n; i++)
        proto_event_clear(&evs[i]);
    free(evs);
    proto_catalogue_destroy(&cat);
    free(yaml);
    bench_rmtree(dir);
    return rc;
}
