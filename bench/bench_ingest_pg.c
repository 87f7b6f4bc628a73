/*
 * bench_ingest_pg.c — events per second that syncd commits into a
 * PostgreSQL store, against PostgreSQL's own COPY of the same rows in the
 * same run (issue 7: "the ingest figure measured on PostgreSQL too").
 *
 * The measured path is bench_ingest's, with the store on PostgreSQL: for
 * each PUSH, look up the kiosk, decode the frame, validate the batch
 * (syncd_ingest_build), commit it with its rollups and the kiosk's mark in
 * one transaction (syncd_store_ingest, synchronous_commit on), encode the
 * ACK. N kiosks push batches in turn. Same generator, seed and sizes as
 * bench_ingest, so the two figures compare.
 *
 * Baseline: the same rows into a copy of the PostgreSQL store's events
 * table (same columns, key and index) in a database of its own, with COPY
 * FROM STDIN, one transaction per batch, the COPY text prepared
 * beforehand: the fastest way PostgreSQL takes rows.
 *
 * Both databases are read back row by row into events and hashed with
 * bench_hash_event(); both must equal the hash of the generated events.
 *
 *   bench_ingest_pg [--smoke] [--store postgresql://USER@HOST:PORT/DB]
 *
 * The URI names a cluster where the user may create databases (two are
 * created, then dropped); without --store, the cluster of the `postgres`
 * ctest fixture ($STEPWISE_PG_URI_FILE).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "bench.h"
#include "gen.h"
#include "pgtest.h"
#include "syncd/ingest.h"
#include "syncd/store.h"

#define SEED 8

/* The PostgreSQL store's events table (store_pg.c migration 1). */
static const char raw_schema[] =
    "SET client_min_messages = warning;"
    "CREATE TABLE events ("
    "  kiosk_id TEXT NOT NULL, seq BIGINT NOT NULL, type TEXT NOT NULL,"
    "  site_id TEXT NOT NULL, staff_id TEXT NOT NULL DEFAULT '',"
    "  step_id TEXT NOT NULL DEFAULT '', process_id TEXT NOT NULL DEFAULT '',"
    "  catalogue_version BIGINT, captured_ms BIGINT NOT NULL,"
    "  received_ms BIGINT NOT NULL, boot_id BIGINT, mono_ms BIGINT,"
    "  day TEXT NOT NULL, quality INTEGER, score INTEGER, vote INTEGER,"
    "  suggestion_id TEXT NOT NULL DEFAULT '', measures TEXT, note TEXT,"
    "  kind TEXT, anonymous INTEGER, title TEXT, body TEXT,"
    "  points DOUBLE PRECISION NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (kiosk_id, seq));"
    "CREATE INDEX events_site_day ON events(site_id, day);"
    "SET synchronous_commit = on;";

/* A COPY text field: backslash, tab, newline and CR escaped. */
static int copy_field(FILE *f, const char *s)
{
    for (; *s; s++) {
        int rc;

        switch (*s) {
        case '\\':
            rc = fputs("\\\\", f);
            break;
        case '\t':
            rc = fputs("\\t", f);
            break;
        case '\n':
            rc = fputs("\\n", f);
            break;
        case '\r':
            rc = fputs("\\r", f);
            break;
        default:
            rc = fputc(*s, f);
        }
        if (rc == EOF)
            return -1;
    }
    return 0;
}

/* One COPY line per event, as syncd would store it (points 0: the
 * baseline does no points). */
static char *copy_line(const proto_event_t *ev, size_t *len)
{
    char *buf = NULL, day[11];
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    int rc = 0;

    if (f == NULL)
        return NULL;
    if (syncd_local_day(NULL, ev->captured_ms, day) != 0)
        snprintf(day, sizeof day, "1970-01-01");
    rc |= copy_field(f, ev->kiosk_id);
    rc |= fprintf(f, "\t%" PRIu64 "\t%s\t%s\t", ev->seq,
                  proto_event_name(ev->type), BENCH_SITE) < 0;
    rc |= copy_field(f, ev->staff_id);
    rc |= fputc('\t', f) == EOF;
    rc |= copy_field(f, ev->step_id);
    rc |=
        fprintf(f,
                "\t\t%" PRIu64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                "\t%" PRId64 "\t%s\t",
                ev->catalogue_version, ev->captured_ms, ev->captured_ms + 1000,
                (int64_t)ev->boot_id, (int64_t)ev->mono_ms, day) < 0;
    rc |= (ev->quality ? fprintf(f, "%d", ev->quality) : fputs("\\N", f)) < 0;
    rc |= fputc('\t', f) == EOF;
    rc |= (ev->type == PROTO_EV_RATING ? fprintf(f, "%d", ev->score)
                                       : fputs("\\N", f)) < 0;
    rc |= fputs("\t\\N\t\t", f) == EOF;
    if (ev->type == PROTO_EV_CHECKIN) {
        rc |= fputc('{', f) == EOF;
        for (uint32_t m = 0; m < ev->n_measures; m++)
            rc |= fprintf(f, "%s\"%s\":%.17g", m ? "," : "",
                          ev->measures[m].key, ev->measures[m].value) < 0;
        rc |= fputc('}', f) == EOF;
    } else {
        rc |= fputs("\\N", f) == EOF;
    }
    rc |= fputc('\t', f) == EOF;
    if (ev->note)
        rc |= copy_field(f, ev->note);
    else
        rc |= fputs("\\N", f) == EOF;
    rc |= fputs("\t\\N\t\\N\t\\N\t\\N\t0\n", f) == EOF;
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int pg_ok(PGconn *c, PGresult *r, ExecStatusType want, const char *what)
{
    int ok = PQresultStatus(r) == want;

    if (!ok)
        fprintf(stderr, "bench: %s: %s", what,
                r ? PQresultErrorMessage(r) : PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

/* One batch through COPY in its own transaction. */
static int copy_batch(PGconn *c, char **lines, const size_t *lens, size_t first,
                      size_t n)
{
    if (pg_ok(c, PQexec(c, "BEGIN"), PGRES_COMMAND_OK, "BEGIN") != 0 ||
        pg_ok(c,
              PQexec(c, "COPY events(kiosk_id, seq, type, site_id, staff_id,"
                        " step_id, process_id, catalogue_version,"
                        " captured_ms, received_ms, boot_id, mono_ms, day,"
                        " quality, score, vote, suggestion_id, measures,"
                        " note, kind, anonymous, title, body, points)"
                        " FROM STDIN"),
              PGRES_COPY_IN, "COPY") != 0)
        return -1;
    for (size_t i = first; i < first + n; i++)
        if (PQputCopyData(c, lines[i], (int)lens[i]) != 1) {
            fprintf(stderr, "bench: COPY data: %s", PQerrorMessage(c));
            return -1;
        }
    if (PQputCopyEnd(c, NULL) != 1 ||
        pg_ok(c, PQgetResult(c), PGRES_COMMAND_OK, "COPY end") != 0)
        return -1;
    PQclear(PQgetResult(c)); /* the NULL that ends the COPY's results */
    return pg_ok(c, PQexec(c, "COMMIT"), PGRES_COMMAND_OK, "COMMIT");
}

/* Reads the events table back into events and hashes them as the
 * generator does; *rows gets the count. */
static int hash_pg(const char *uri, uint64_t *hash, uint64_t *rows)
{
    static const char sql[] =
        "SELECT e.kiosk_id, e.seq, e.type, e.staff_id, e.step_id,"
        " e.captured_ms, COALESCE(e.quality, 0), COALESCE(e.score, 0),"
        " e.note, j.key, j.value"
        " FROM events AS e LEFT JOIN LATERAL"
        " json_each_text(e.measures::json) WITH ORDINALITY AS j(key, value, o)"
        " ON true ORDER BY e.kiosk_id COLLATE \"C\", e.seq, j.o";
    PGconn *c = PQconnectdb(uri);
    PGresult *r = NULL;
    proto_event_t ev;
    uint64_t h = BENCH_FNV_INIT, n = 0;
    int rc = -1, nr;

    memset(&ev, 0, sizeof ev);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "bench: %s: %s", uri, PQerrorMessage(c));
        goto done;
    }
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "bench: %s: reading events: %s", uri,
                PQresultErrorMessage(r));
        goto done;
    }
    nr = PQntuples(r);
    for (int i = 0; i <= nr; i++) {
        bool same = i < nr && n > 0 &&
                    strcmp(PQgetvalue(r, i, 0), ev.kiosk_id) == 0 &&
                    strtoull(PQgetvalue(r, i, 1), NULL, 10) == ev.seq;

        if (!same && n > 0) /* the previous event is complete */
            h = bench_hash_event(h, &ev);
        if (i == nr)
            break;
        if (!same) {
            memset(&ev, 0, sizeof ev);
            snprintf(ev.kiosk_id, sizeof ev.kiosk_id, "%s",
                     PQgetvalue(r, i, 0));
            ev.seq = strtoull(PQgetvalue(r, i, 1), NULL, 10);
            for (int t = PROTO_EV_CHECKIN; t <= PROTO_EV_RATING; t++)
                if (strcmp(proto_event_name(t), PQgetvalue(r, i, 2)) == 0)
                    ev.type = (proto_event_type_t)t;
            snprintf(ev.staff_id, sizeof ev.staff_id, "%s",
                     PQgetvalue(r, i, 3));
            snprintf(ev.step_id, sizeof ev.step_id, "%s", PQgetvalue(r, i, 4));
            ev.captured_ms = strtoll(PQgetvalue(r, i, 5), NULL, 10);
            ev.quality = (uint8_t)atoi(PQgetvalue(r, i, 6));
            ev.score = (uint8_t)atoi(PQgetvalue(r, i, 7));
            ev.note = PQgetisnull(r, i, 8) ? NULL : PQgetvalue(r, i, 8);
            n++;
        }
        if (!PQgetisnull(r, i, 9) && ev.n_measures < PROTO_MAX_MEASURES) {
            snprintf(ev.measures[ev.n_measures].key,
                     sizeof ev.measures[ev.n_measures].key, "%s",
                     PQgetvalue(r, i, 9));
            ev.measures[ev.n_measures++].value =
                strtod(PQgetvalue(r, i, 10), NULL);
        }
    }
    *hash = h;
    *rows = n;
    rc = 0;
done:
    PQclear(r);
    PQfinish(c);
    return rc;
}

int main(int argc, char **argv)
{
    bool smoke = bench_smoke(argc, argv);
    unsigned kiosks = smoke ? 2 : 8;
    uint32_t per_kiosk = smoke ? 300 : 5000;
    uint32_t batch = 200;
    size_t total = (size_t)kiosks * per_kiosk;
    const char *base = NULL;
    pgtest_db_t db_syncd = {0}, db_raw = {0};
    char err[1024];
    char *yaml = NULL;
    size_t yaml_len = 0;
    proto_catalogue_t *cat = NULL;
    proto_event_t *evs = NULL;
    uint8_t **frames = NULL;
    size_t *frame_len = NULL, n_frames = 0;
    char **lines = NULL;
    size_t *line_len = NULL;
    syncd_store_t *store = NULL;
    syncd_ingest_t *ing = NULL;
    PGconn *raw = NULL;
    int rc = 1;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            base = argv[++i];
    if ((base ? pgtest_db_create_on(&db_syncd, base, err, sizeof err)
              : pgtest_db_create(&db_syncd, err, sizeof err)) != 0 ||
        pgtest_db_create_on(&db_raw, db_syncd.base, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    if ((cat = bench_catalogue(&yaml, &yaml_len)) == NULL)
        goto done;
    size_t batches_per_kiosk = (per_kiosk + batch - 1) / batch;
    evs = calloc(total, sizeof *evs);
    frames = calloc(batches_per_kiosk * kiosks, sizeof *frames);
    frame_len = calloc(batches_per_kiosk * kiosks, sizeof *frame_len);
    lines = calloc(total, sizeof *lines);
    line_len = calloc(total, sizeof *line_len);
    if (!evs || !frames || !frame_len || !lines || !line_len)
        goto oom;
    uint64_t want = BENCH_FNV_INIT;
    for (unsigned k = 0; k < kiosks; k++)
        for (uint32_t i = 0; i < per_kiosk; i++) {
            size_t j = (size_t)k * per_kiosk + i;

            if (bench_event(cat, SEED, k, i + 1, &evs[j]) != 0 ||
                (lines[j] = copy_line(&evs[j], &line_len[j])) == NULL)
                goto oom;
            want = bench_hash_event(want, &evs[j]);
        }
    if (bench_push_frames(evs, kiosks, per_kiosk, batch, frames, frame_len,
                          &n_frames) != 0)
        goto done;

    /* ---- syncd's path, on PostgreSQL */
    uint64_t accepted = 0;
    if ((store = bench_store_new(db_syncd.uri, yaml, yaml_len, kiosks)) ==
        NULL)
        goto done;
    if ((ing = syncd_ingest_new()) == NULL)
        goto oom;
    bench_push_phases_t ph = {0};
    double t0 = bench_now_s();
    for (size_t f = 0; f < n_frames; f++) {
        int r = bench_syncd_push(store, ing, cat, frames[f], frame_len[f], f,
                                 &ph, &accepted);
        if (r == -1)
            goto done;
        if (r != 0)
            goto store_fail;
    }
    double t_syncd = bench_now_s() - t0;
    printf("# of which syncd_store_ingest (PostgreSQL round trips and "
           "commits) %.3f s\n",
           ph.store);
    char why[512];
    if (syncd_store_verify_rollups(store, why, sizeof why) != 0) {
        fprintf(stderr, "bench: the rollups do not verify: %s\n", why);
        goto done;
    }
    syncd_store_destroy(&store);

    /* ---- PostgreSQL's COPY, same rows, same batches */
    raw = PQconnectdb(db_raw.uri);
    if (PQstatus(raw) != CONNECTION_OK) {
        fprintf(stderr, "bench: %s: %s", db_raw.uri, PQerrorMessage(raw));
        goto done;
    }
    if (pg_ok(raw, PQexec(raw, raw_schema), PGRES_COMMAND_OK,
              "baseline schema") != 0)
        goto done;
    t0 = bench_now_s();
    for (size_t b = 0; b < batches_per_kiosk; b++)
        for (unsigned k = 0; k < kiosks; k++) {
            size_t first = (size_t)k * per_kiosk + b * batch;
            size_t n =
                per_kiosk - b * batch < batch ? per_kiosk - b * batch : batch;

            if (copy_batch(raw, lines, line_len, first, n) != 0)
                goto done;
        }
    double t_raw = bench_now_s() - t0;
    PQfinish(raw);
    raw = NULL;

    /* ---- both must hold exactly the generated events */
    uint64_t h_syncd, h_raw, n_syncd, n_raw;
    if (hash_pg(db_syncd.uri, &h_syncd, &n_syncd) != 0 ||
        hash_pg(db_raw.uri, &h_raw, &n_raw) != 0)
        goto done;
    printf("# %u kiosks x %" PRIu32 " events, batches of %" PRIu32
           ": syncd on PostgreSQL %.3f s (%" PRIu64 " accepted, %" PRIu64
           " rows), COPY %.3f s (%" PRIu64 " rows)\n",
           kiosks, per_kiosk, batch, t_syncd, accepted, n_syncd, t_raw, n_raw);
    if (bench_check_hash("syncd PostgreSQL store rows", h_syncd, want) != 0 ||
        bench_check_hash("COPY rows", h_raw, want) != 0 || accepted != total ||
        n_syncd != total || n_raw != total) {
        fprintf(stderr,
                "bench: stored %" PRIu64 " / %" PRIu64
                " rows of %zu generated\n",
                n_syncd, n_raw, total);
        goto done;
    }
    double v = (double)total / t_syncd, basev = (double)total / t_raw;
    bench_row("ingest_pg",
              smoke ? "ingest on PostgreSQL (smoke)"
                    : "ingest on PostgreSQL, in-process",
              v, "events/s", basev, "PostgreSQL COPY", v / basev, "", "info",
              h_syncd);
    rc = 0;
    goto done;
oom:
    fprintf(stderr, "bench: out of memory generating events\n");
    goto done;
store_fail:
    fprintf(stderr, "bench: syncd store: %s\n",
            store ? syncd_store_errmsg(store) : "?");
done:
    PQfinish(raw);
    syncd_ingest_destroy(&ing);
    syncd_store_destroy(&store);
    for (size_t f = 0; f < n_frames; f++)
        proto_free(frames[f]);
    free(frames);
    free(frame_len);
    if (lines)
        for (size_t i = 0; i < total; i++)
            free(lines[i]);
    free(lines);
    free(line_len);
    if (evs)
        for (size_t i = 0; i < total; i++)
            proto_event_clear(&evs[i]);
    free(evs);
    proto_catalogue_destroy(&cat);
    free(yaml);
    if (pgtest_db_drop(&db_syncd, err, sizeof err) != 0 ||
        pgtest_db_drop(&db_raw, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        rc = 1;
    }
    return rc;
}
