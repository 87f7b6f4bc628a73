/*
 * gen.c — fixed-seed events over the sample catalogue, their hashes, and
 * the raw-SQLite baseline table (see gen.h).
 */
#include "gen.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "protocol/keys.h"
#include "syncd/ingest.h"

#ifndef BENCH_ASSETS_DEFAULT
#define BENCH_ASSETS_DEFAULT "assets"
#endif

proto_catalogue_t *bench_catalogue(char **yaml, size_t *yaml_len)
{
    const char *dir = getenv("STEPWISE_ASSETS");
    char path[4096], err[1024];
    snprintf(path, sizeof path, "%s/catalogue.yaml",
             dir && *dir ? dir : BENCH_ASSETS_DEFAULT);
    proto_catalogue_t *cat = proto_catalogue_load_file(path, err, sizeof err);
    if (cat == NULL) {
        fprintf(stderr, "bench: %s\n", err);
        return NULL;
    }
    cat->version = 1;
    if (yaml) {
        FILE *f = fopen(path, "rb");
        long n = -1;
        char *text = NULL;
        if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
            fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1)) &&
            fread(text, 1, (size_t)n, f) == (size_t)n) {
            text[n] = '\0';
            *yaml = text;
            *yaml_len = (size_t)n;
        } else {
            fprintf(stderr, "bench: %s: cannot read the catalogue text\n",
                    path);
            free(text);
            proto_catalogue_destroy(&cat);
        }
        if (f)
            fclose(f);
    }
    return cat;
}

void bench_kiosk_id(char *out, size_t len, unsigned k)
{
    snprintf(out, len, "bench-%02u", k + 1);
}

int bench_event(const proto_catalogue_t *cat, uint64_t seed, unsigned kiosk,
                uint64_t seq, proto_event_t *ev)
{
    const proto_site_t *site = proto_catalogue_site(cat, BENCH_SITE);
    bench_rng_t r;
    if (site == NULL || site->n_staff == 0 || cat->n_steps == 0)
        return -1;
    bench_rng_seed(&r, seed * 1000003u + kiosk * 7919u + seq * 104729u);
    memset(ev, 0, sizeof *ev);
    bench_kiosk_id(ev->kiosk_id, sizeof ev->kiosk_id, kiosk);
    ev->seq = seq;
    ev->captured_ms = BENCH_T0_MS + (int64_t)seq * 30000 + kiosk * 1000;
    ev->boot_id = 42 + kiosk;
    ev->mono_ms = seq * 30000;
    const proto_staff_t *st =
        &site->staff[bench_rng_below(&r, (uint32_t)site->n_staff)];
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", st->id);
    if (bench_rng_below(&r, 10) == 0) {
        ev->type = PROTO_EV_RATING;
        ev->score = (uint8_t)(1 + bench_rng_below(&r, 5));
        return 0;
    }
    /* a step with measures */
    const proto_step_def_t *step = NULL;
    for (int tries = 0; tries < 64 && (!step || step->n_measures == 0); tries++)
        step = cat->steps[bench_rng_below(&r, (uint32_t)cat->n_steps)];
    if (!step || step->n_measures == 0)
        return -1;
    ev->type = PROTO_EV_CHECKIN;
    snprintf(ev->step_id, sizeof ev->step_id, "%s", step->id);
    ev->catalogue_version = cat->version;
    size_t nm = 1 + bench_rng_below(&r, 3);
    if (nm > step->n_measures)
        nm = step->n_measures;
    for (size_t i = 0; i < nm; i++) {
        const proto_measure_def_t *m = &step->measures[i];
        uint32_t max =
            m->max_per_checkin > 1 ? (uint32_t)m->max_per_checkin : 1;
        snprintf(ev->measures[i].key, sizeof ev->measures[i].key, "%s", m->id);
        ev->measures[i].value = (double)bench_rng_below(&r, max + 1);
    }
    ev->n_measures = (uint32_t)nm;
    if (step->asks_quality)
        ev->quality = (uint8_t)(1 + bench_rng_below(&r, 5));
    if (seq % 7 == 0) {
        ev->note = proto_strdup("客户要求明天回电 / callback tomorrow");
        if (ev->note == NULL)
            return -1;
    }
    return 0;
}

static uint64_t hash_head(uint64_t h, const char *kiosk, uint64_t seq,
                          const char *type, const char *staff, const char *step,
                          int64_t captured, int64_t quality, int64_t score,
                          const char *note)
{
    h = bench_fnv_str(h, kiosk);
    h = bench_fnv_u64(h, seq);
    h = bench_fnv_str(h, type);
    h = bench_fnv_str(h, staff);
    h = bench_fnv_str(h, step);
    h = bench_fnv_u64(h, (uint64_t)captured);
    h = bench_fnv_u64(h, (uint64_t)quality);
    h = bench_fnv_u64(h, (uint64_t)score);
    return bench_fnv_str(h, note);
}

uint64_t bench_hash_event(uint64_t h, const proto_event_t *ev)
{
    h = hash_head(h, ev->kiosk_id, ev->seq, proto_event_name(ev->type),
                  ev->staff_id, ev->step_id, ev->captured_ms, ev->quality,
                  ev->score, ev->note);
    for (uint32_t i = 0; i < ev->n_measures; i++) {
        h = bench_fnv_str(h, ev->measures[i].key);
        h = bench_fnv_num(h, ev->measures[i].value);
    }
    return h;
}

int bench_hash_db(const char *path, uint64_t *hash, uint64_t *rows)
{
    static const char sql[] =
        "SELECT e.kiosk_id, e.seq, e.type, e.staff_id, e.step_id,"
        " e.captured_ms, ifnull(e.quality, 0), ifnull(e.score, 0), e.note,"
        " j.key, j.value"
        " FROM events e LEFT JOIN json_each(e.measures) j"
        " ORDER BY e.kiosk_id, e.seq, j.id";
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    uint64_t h = BENCH_FNV_INIT, n = 0, last_seq = 0;
    char last_kiosk[PROTO_ID_MAX + 1] = "";
    int rc = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench: %s: cannot read the events table: %s\n", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kiosk = (const char *)sqlite3_column_text(st, 0);
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 1);
        if (n == 0 || seq != last_seq || strcmp(kiosk, last_kiosk) != 0) {
            h = hash_head(
                h, kiosk, seq, (const char *)sqlite3_column_text(st, 2),
                (const char *)sqlite3_column_text(st, 3),
                (const char *)sqlite3_column_text(st, 4),
                sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6),
                sqlite3_column_int64(st, 7),
                (const char *)sqlite3_column_text(st, 8));
            snprintf(last_kiosk, sizeof last_kiosk, "%s", kiosk);
            last_seq = seq;
            n++;
        }
        if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
            h = bench_fnv_str(h, (const char *)sqlite3_column_text(st, 9));
            h = bench_fnv_num(h, sqlite3_column_double(st, 10));
        }
    }
    if (s != SQLITE_DONE) {
        fprintf(stderr, "bench: %s: reading events failed: %s\n", path,
                sqlite3_errmsg(db));
        goto done;
    }
    *hash = h;
    *rows = n;
    rc = 0;
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* ---- The raw baseline */

struct bench_raw {
    sqlite3 *db;
    sqlite3_stmt *ins, *begin, *commit;
};

struct bench_raw_row {
    char kiosk_id[PROTO_ID_MAX + 1];
    uint64_t seq;
    const char *type;
    char staff_id[PROTO_ID_MAX + 1];
    char step_id[PROTO_ID_MAX + 1];
    uint64_t catalogue_version;
    int64_t captured_ms, received_ms;
    uint64_t boot_id, mono_ms;
    char day[11];
    int quality, score;
    char measures[512];
    char *note;
    double points;
};

/* syncd's events table (store_sqlite.c migration 1), column for column. */
static const char raw_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE events ("
    "  kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,"
    "  site_id TEXT NOT NULL, staff_id TEXT NOT NULL DEFAULT '',"
    "  step_id TEXT NOT NULL DEFAULT '', process_id TEXT NOT NULL DEFAULT '',"
    "  catalogue_version INTEGER, captured_ms INTEGER NOT NULL,"
    "  received_ms INTEGER NOT NULL, boot_id INTEGER, mono_ms INTEGER,"
    "  day TEXT NOT NULL, quality INTEGER, score INTEGER, vote INTEGER,"
    "  suggestion_id TEXT NOT NULL DEFAULT '', measures TEXT, note TEXT,"
    "  kind TEXT, anonymous INTEGER, title TEXT, body TEXT,"
    "  points REAL NOT NULL DEFAULT 0, PRIMARY KEY (kiosk_id, seq));"
    "CREATE INDEX events_site_day ON events(site_id, day);";

bench_raw_t *bench_raw_open(const char *path)
{
    bench_raw_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    if (sqlite3_open(path, &r->db) != SQLITE_OK ||
        sqlite3_exec(r->db, raw_schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            r->db,
            "INSERT INTO events(kiosk_id, seq, type, site_id, staff_id,"
            " step_id, process_id, catalogue_version, captured_ms,"
            " received_ms, boot_id, mono_ms, day, quality, score, vote,"
            " suggestion_id, measures, note, kind, anonymous, title, body,"
            " points) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?8, ?9, ?10,"
            " ?11, ?12, ?13, ?14, NULL, '', ?15, ?16, NULL, NULL, NULL, NULL,"
            " ?17)",
            -1, &r->ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db, "BEGIN IMMEDIATE", -1, &r->begin, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(r->db, "COMMIT", -1, &r->commit, NULL) !=
            SQLITE_OK) {
        fprintf(stderr, "bench: %s: cannot set up the raw baseline: %s\n", path,
                r->db ? sqlite3_errmsg(r->db) : "out of memory");
        bench_raw_close(&r);
    }
    return r;
}

bench_raw_row_t *bench_raw_rows(const proto_event_t *evs, size_t n)
{
    bench_raw_row_t *rows = calloc(n ? n : 1, sizeof *rows);
    if (rows == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const proto_event_t *ev = &evs[i];
        bench_raw_row_t *w = &rows[i];
        snprintf(w->kiosk_id, sizeof w->kiosk_id, "%s", ev->kiosk_id);
        w->seq = ev->seq;
        w->type = proto_event_name(ev->type);
        snprintf(w->staff_id, sizeof w->staff_id, "%s", ev->staff_id);
        snprintf(w->step_id, sizeof w->step_id, "%s", ev->step_id);
        w->catalogue_version = ev->catalogue_version;
        w->captured_ms = ev->captured_ms;
        w->received_ms = ev->captured_ms + 1000;
        w->boot_id = ev->boot_id;
        w->mono_ms = ev->mono_ms;
        if (syncd_local_day(NULL, ev->captured_ms, w->day) != 0)
            snprintf(w->day, sizeof w->day, "1970-01-01");
        w->quality = ev->quality;
        w->score = ev->score;
        size_t len = 0;
        if (ev->type == PROTO_EV_CHECKIN) {
            len += (size_t)snprintf(w->measures, sizeof w->measures, "{");
            for (uint32_t m = 0; m < ev->n_measures; m++)
                len += (size_t)snprintf(
                    w->measures + len, sizeof w->measures - len,
                    "%s\"%s\":%.17g", m ? "," : "", ev->measures[m].key,
                    ev->measures[m].value);
            snprintf(w->measures + len, sizeof w->measures - len, "}");
        }
        w->note = ev->note ? strdup(ev->note) : NULL;
        w->points = 1.5;
    }
    return rows;
}

void bench_raw_rows_free(bench_raw_row_t *rows, size_t n)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(rows[i].note);
    free(rows);
}

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int bench_raw_insert(bench_raw_t *self, const bench_raw_row_t *rows,
                     size_t first, size_t n)
{
    sqlite3_stmt *s = self->ins;
    if (step_reset(self->begin) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const bench_raw_row_t *w = &rows[first + i];
        bool checkin = strcmp(w->type, "checkin") == 0;
        sqlite3_bind_text(s, 1, w->kiosk_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)w->seq);
        sqlite3_bind_text(s, 3, w->type, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, BENCH_SITE, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, w->staff_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, w->step_id, -1, SQLITE_STATIC);
        if (checkin)
            sqlite3_bind_int64(s, 7, (sqlite3_int64)w->catalogue_version);
        else
            sqlite3_bind_null(s, 7);
        sqlite3_bind_int64(s, 8, w->captured_ms);
        sqlite3_bind_int64(s, 9, w->received_ms);
        sqlite3_bind_int64(s, 10, (sqlite3_int64)w->boot_id);
        sqlite3_bind_int64(s, 11, (sqlite3_int64)w->mono_ms);
        sqlite3_bind_text(s, 12, w->day, -1, SQLITE_STATIC);
        if (w->quality)
            sqlite3_bind_int(s, 13, w->quality);
        else
            sqlite3_bind_null(s, 13);
        if (w->score)
            sqlite3_bind_int(s, 14, w->score);
        else
            sqlite3_bind_null(s, 14);
        if (checkin)
            sqlite3_bind_text(s, 15, w->measures, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 15);
        if (w->note)
            sqlite3_bind_text(s, 16, w->note, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 16);
        sqlite3_bind_double(s, 17, w->points);
        if (step_reset(s) != 0)
            goto fail;
    }
    if (step_reset(self->commit) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "bench: raw baseline insert failed: %s\n",
            sqlite3_errmsg(self->db));
    (void)sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

void bench_raw_close(bench_raw_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    bench_raw_t *r = *self_p;
    sqlite3_finalize(r->ins);
    sqlite3_finalize(r->begin);
    sqlite3_finalize(r->commit);
    sqlite3_close(r->db);
    free(r);
    *self_p = NULL;
}

int bench_push_frames(proto_event_t *evs, unsigned kiosks, uint32_t per_kiosk,
                      uint32_t batch, uint8_t **frames, size_t *frame_len,
                      size_t *n_frames)
{
    size_t batches_per_kiosk = (per_kiosk + batch - 1) / batch;

    *n_frames = 0;
    for (size_t b = 0; b < batches_per_kiosk; b++)
        for (unsigned k = 0; k < kiosks; k++) {
            size_t first = (size_t)k * per_kiosk + b * batch;
            size_t n =
                per_kiosk - b * batch < batch ? per_kiosk - b * batch : batch;
            proto_msg_t m = {.type = PROTO_MSG_PUSH};

            m.u.push.n_events = (uint32_t)n;
            m.u.push.events = &evs[first];
            if (proto_encode(&m, &frames[*n_frames], &frame_len[*n_frames]) !=
                0) {
                fprintf(stderr, "bench: cannot encode batch %zu\n", b);
                return -1;
            }
            (*n_frames)++;
        }
    return 0;
}

syncd_store_t *bench_store_new(const char *uri, const char *yaml,
                               size_t yaml_len, unsigned kiosks)
{
    syncd_store_options_t opt = {SYNCD_SYNC_FULL, 0};
    char err[1024];
    uint64_t version;
    syncd_store_t *store = syncd_store_open(uri, &opt, err, sizeof err);

    if (!store) {
        fprintf(stderr, "bench: %s\n", err);
        return NULL;
    }
    if (syncd_store_catalogue_put(store, yaml, yaml_len, BENCH_T0_MS,
                                  &version) != 0 ||
        version != 1)
        goto fail;
    for (unsigned k = 0; k < kiosks; k++) {
        char id[PROTO_ID_MAX + 1];
        proto_keypair_t kp;

        bench_kiosk_id(id, sizeof id, k);
        if (proto_keys_generate(&kp) != 0 ||
            syncd_store_kiosk_enrol(store, id, BENCH_SITE, kp.public_z85,
                                    BENCH_T0_MS) != 0)
            goto fail;
    }
    return store;
fail:
    fprintf(stderr, "bench: syncd store: %s\n", syncd_store_errmsg(store));
    syncd_store_destroy(&store);
    return NULL;
}

int bench_syncd_push(syncd_store_t *store, syncd_ingest_t *ing,
                     const proto_catalogue_t *cat, const uint8_t *frame,
                     size_t len, size_t f, bench_push_phases_t *ph,
                     uint64_t *accepted)
{
    proto_msg_t m;
    syncd_kiosk_t kr;
    syncd_ingest_result_t res = {0};
    size_t n_items, n_rej;
    double ta = bench_now_s();

    if (proto_decode(frame, len, 0, &m, NULL) != 0) {
        fprintf(stderr, "bench: frame %zu does not decode\n", f);
        return -1;
    }
    if (syncd_store_kiosk_get(store, m.u.push.events[0].kiosk_id, &kr) != 0) {
        proto_msg_clear(&m);
        return -2;
    }
    syncd_ingest_env_t env = {.kiosk_id = kr.kiosk_id,
                              .site_id = kr.site_id,
                              .acked_seq = kr.acked_seq,
                              .current = cat};
    double tb = bench_now_s();
    int r = syncd_ingest_build(ing, &env, &m);
    double tc = bench_now_s();
    const syncd_ingest_item_t *items = syncd_ingest_items(ing, &n_items);
    (void)syncd_ingest_rejects(ing, &n_rej);
    if (r == 0)
        r = syncd_store_ingest(store, kr.kiosk_id, kr.site_id, items, n_items,
                               BENCH_T0_MS + 86400000, &res);
    /* then what syncd's loop does after every message (SQLite: past
     * SYNCD_FOLD_LAG journal rows, the oldest folded down to half that) */
    if (r == 0 && syncd_store_fold_lag(store) < 0)
        r = -1;
    double td = bench_now_s();
    ph->decode += tb - ta;
    ph->build += tc - tb;
    ph->store += td - tc;
    if (r != 0) {
        proto_msg_clear(&m);
        return -2;
    }
    if (n_rej != 0 || res.rejected != 0) {
        fprintf(stderr,
                "bench: batch %zu: syncd rejected %zu events; the "
                "generator and the catalogue disagree\n",
                f, n_rej);
        proto_msg_clear(&m);
        return -2;
    }
    uint8_t *ack_buf = NULL;
    size_t ack_len;
    proto_msg_t ack = {.type = PROTO_MSG_ACK};
    ack.u.ack.acked_seq = res.acked_seq;
    r = proto_encode(&ack, &ack_buf, &ack_len);
    proto_free(ack_buf);
    proto_msg_clear(&m);
    if (r != 0)
        return -2;
    *accepted += res.accepted;
    return 0;
}
