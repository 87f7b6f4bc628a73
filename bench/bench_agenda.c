/*
 * bench_agenda.c — one site-week agenda (JSON) built by syncd's real
 * agenda builder over stores of 1 and 10 million check-ins, against the
 * equivalent SQL GROUP BY over the raw events of the same site-week, in
 * the same run.
 *
 * Why generate the store directly: pushing 10 million check-ins through
 * ingest takes far longer than the benchmark may. The store is created by
 * syncd_store_open() (schema, migrations), the catalogue published and the
 * kiosks enrolled through the store API; then events and rollups are
 * written with plain SQLite (synchronous=OFF, one transaction, prepared
 * statements, fixed seed) exactly as ingest writes them: the same
 * columns, the site-local day, points from syncd_checkin_points() lowered
 * to the step's daily cap, rollup_day and rollup_measure summed per
 * (site, day, step, staff). The smoke run proves that equality with
 * syncd_store_verify_rollups(). Full-size stores take over a minute to
 * make, so they are kept under the build's bench/ directory keyed by
 * generator version, seed and size.
 *
 * Output check: the scoreboard figures the agenda printed for the week
 * (per step and per person: check-ins, value of the primary measure,
 * quality average, points) are hashed as printed; the GROUP BY's per step
 * × staff rows are folded into the same rows, rounded the same way and
 * hashed; the two hashes must be equal.
 */
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "gen.h"
#include "protocol/keys.h"
#include "syncd/agenda.h"
#include "syncd/ingest.h"
#include "syncd/store.h"

#define SEED 3
#define GEN_VERSION 1 /* bump when the generated store changes */
#define KIOSKS 4
#define DAYS 420              /* 60 weeks of site-local days */
#define LAST_DAY "2026-11-22" /* a Sunday: the data ends here */
#define WEEK "2026-W47"       /* the week measured: the last one */
#define MONDAY "2026-11-16"
#define SUNDAY "2026-11-22"
#define RUNS 5

typedef struct {
    long checkins, quality_sum, quality_n;
    double points;
    double m[PROTO_MAX_MEASURES];
    bool m_seen[PROTO_MAX_MEASURES];
} cell_t;

typedef struct {
    const proto_catalogue_t *cat;
    const proto_site_t *site;
    const proto_step_def_t **steps; /* the steps with measures */
    size_t n_steps;
} gen_ctx_t;

static int db_fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "bench: generating the agenda store: %s: %s\n", what,
            sqlite3_errmsg(db));
    return -1;
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK
               ? 0
               : db_fail(db, sql);
}

/* The day's rollup rows, as ingest's upserts would have left them. */
static int flush_day(sqlite3 *db, sqlite3_stmt *rd, sqlite3_stmt *rm,
                     const gen_ctx_t *g, const char *day, cell_t *cells)
{
    size_t n_staff = g->site->n_staff;
    for (size_t s = 0; s < g->n_steps; s++)
        for (size_t p = 0; p < n_staff; p++) {
            cell_t *c = &cells[s * n_staff + p];
            const proto_step_def_t *st = g->steps[s];
            if (c->checkins == 0)
                continue;
            sqlite3_reset(rd);
            if (sqlite3_bind_text(rd, 1, g->site->id, -1, SQLITE_STATIC) ||
                sqlite3_bind_text(rd, 2, day, -1, SQLITE_STATIC) ||
                sqlite3_bind_text(rd, 3, st->id, -1, SQLITE_STATIC) ||
                sqlite3_bind_text(rd, 4, g->site->staff[p].id, -1,
                                  SQLITE_STATIC) ||
                sqlite3_bind_int64(rd, 5, c->checkins) ||
                sqlite3_bind_int64(rd, 6, c->quality_sum) ||
                sqlite3_bind_int64(rd, 7, c->quality_n) ||
                sqlite3_bind_double(rd, 8, c->points) ||
                sqlite3_step(rd) != SQLITE_DONE)
                return db_fail(db, "INSERT rollup_day");
            for (size_t k = 0; k < st->n_measures && k < PROTO_MAX_MEASURES;
                 k++) {
                if (!c->m_seen[k])
                    continue;
                sqlite3_reset(rm);
                if (sqlite3_bind_text(rm, 1, g->site->id, -1, SQLITE_STATIC) ||
                    sqlite3_bind_text(rm, 2, day, -1, SQLITE_STATIC) ||
                    sqlite3_bind_text(rm, 3, st->id, -1, SQLITE_STATIC) ||
                    sqlite3_bind_text(rm, 4, g->site->staff[p].id, -1,
                                      SQLITE_STATIC) ||
                    sqlite3_bind_text(rm, 5, st->measures[k].id, -1,
                                      SQLITE_STATIC) ||
                    sqlite3_bind_double(rm, 6, c->m[k]) ||
                    sqlite3_step(rm) != SQLITE_DONE)
                    return db_fail(db, "INSERT rollup_measure");
            }
        }
    memset(cells, 0, g->n_steps * n_staff * sizeof *cells);
    return 0;
}

/* Writes n check-ins over DAYS days ending LAST_DAY into the store file at
 * path (already created by syncd_store_open, catalogue and kiosks in). */
static int gen_events(const char *path, const gen_ctx_t *g, uint64_t n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL, *rd = NULL, *rm = NULL, *kq = NULL, *tq = NULL;
    size_t n_staff = g->site->n_staff;
    cell_t *cells = calloc(g->n_steps * n_staff, sizeof *cells);
    double *so_far = calloc(g->n_steps * n_staff, sizeof *so_far);
    uint64_t seq[KIOSKS] = {0};
    bench_rng_t r;
    int rc = -1;

    bench_rng_seed(&r, SEED);
    if (!cells || !so_far) {
        fprintf(stderr, "bench: out of memory generating the store\n");
        goto done;
    }
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        db_fail(db, path);
        goto done;
    }
    if (exec(db, "PRAGMA journal_mode=OFF") ||
        exec(db, "PRAGMA synchronous=OFF") ||
        exec(db, "PRAGMA cache_size=-262144") ||
        exec(db, "DROP INDEX events_site_day") || exec(db, "BEGIN"))
        goto done;
    if (sqlite3_prepare_v2(
            db,
            "INSERT INTO events(kiosk_id, seq, type, site_id, staff_id,"
            " step_id, process_id, catalogue_version, captured_ms,"
            " received_ms, boot_id, mono_ms, day, quality, measures, note,"
            " points) VALUES (?1, ?2, 'checkin', ?3, ?4, ?5, '', 1, ?6, ?7,"
            " ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            db,
            "INSERT INTO rollup_day(site_id, day, step_id, staff_id, checkins,"
            " quality_sum, quality_n, points, ratings_n, ratings_sum)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, 0)",
            -1, &rd, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO rollup_measure(site_id, day, step_id,"
                           " staff_id, measure, total)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &rm, NULL) != SQLITE_OK) {
        db_fail(db, "prepare");
        goto done;
    }
    char kiosk_ids[KIOSKS][PROTO_ID_MAX + 1];
    for (unsigned k = 0; k < KIOSKS; k++)
        bench_kiosk_id(kiosk_ids[k], sizeof kiosk_ids[k], k);
    char first[11], day[11], json[256];
    if (syncd_day_add(LAST_DAY, -(DAYS - 1), first) != 0)
        goto done;
    int64_t t_start = 0;
    uint64_t made = 0;
    for (int d = 0; d < DAYS; d++) {
        int64_t midnight;
        uint64_t n_day = n / DAYS + ((uint64_t)d < n % DAYS ? 1 : 0);
        if (syncd_day_add(first, d, day) != 0 ||
            syncd_local_midnight_ms(g->site->timezone, day, &midnight) != 0) {
            fprintf(stderr, "bench: cannot compute day %d after %s\n", d,
                    first);
            goto done;
        }
        if (d == 0)
            t_start = midnight;
        memset(so_far, 0, g->n_steps * n_staff * sizeof *so_far);
        for (uint64_t i = 0; i < n_day; i++, made++) {
            /* 08:30 to 18:30 local, evenly spread over the day's check-ins */
            int64_t captured =
                midnight + 30600000 + (int64_t)(i * 36000000 / n_day);
            unsigned k = (unsigned)(made % KIOSKS);
            size_t p = bench_rng_below(&r, (uint32_t)n_staff);
            size_t s = bench_rng_below(&r, (uint32_t)g->n_steps);
            const proto_step_def_t *st = g->steps[s];
            proto_event_t ev;
            memset(&ev, 0, sizeof ev);
            ev.type = PROTO_EV_CHECKIN;
            size_t nm = 1 + bench_rng_below(&r, 3);
            if (nm > st->n_measures)
                nm = st->n_measures;
            if (nm > PROTO_MAX_MEASURES)
                nm = PROTO_MAX_MEASURES;
            size_t jl = 0;
            json[jl++] = '{';
            for (size_t m = 0; m < nm; m++) {
                double max = st->measures[m].max_per_checkin;
                uint32_t hi = max >= 5 ? 5 : (max >= 1 ? (uint32_t)max : 1);
                uint32_t v = m == 0 ? 1 + bench_rng_below(&r, hi)
                                    : bench_rng_below(&r, hi < 3 ? hi + 1 : 4);
                snprintf(ev.measures[m].key, sizeof ev.measures[m].key, "%s",
                         st->measures[m].id);
                ev.measures[m].value = v;
                jl += (size_t)snprintf(json + jl, sizeof json - jl,
                                       "%s\"%s\":%" PRIu32, m ? "," : "",
                                       st->measures[m].id, v);
            }
            json[jl++] = '}';
            json[jl] = '\0';
            ev.n_measures = (uint32_t)nm;
            if (st->asks_quality)
                ev.quality = (uint8_t)(1 + bench_rng_below(&r, 5));
            double pts = syncd_checkin_points(st, &ev);
            double *sf = &so_far[s * n_staff + p];
            if (st->daily_points_cap > 0) {
                double left = st->daily_points_cap - *sf;
                if (left < 0)
                    left = 0;
                if (pts > left)
                    pts = left;
            }
            *sf += pts;
            cell_t *c = &cells[s * n_staff + p];
            c->checkins++;
            c->quality_sum += ev.quality;
            c->quality_n += ev.quality > 0;
            c->points += pts;
            for (size_t m = 0; m < nm; m++) {
                c->m[m] += ev.measures[m].value;
                c->m_seen[m] = true;
            }
            uint64_t sq = ++seq[k];
            sqlite3_reset(ins);
            sqlite3_clear_bindings(ins);
            if (sqlite3_bind_text(ins, 1, kiosk_ids[k], -1, SQLITE_STATIC) ||
                sqlite3_bind_int64(ins, 2, (int64_t)sq) ||
                sqlite3_bind_text(ins, 3, g->site->id, -1, SQLITE_STATIC) ||
                sqlite3_bind_text(ins, 4, g->site->staff[p].id, -1,
                                  SQLITE_STATIC) ||
                sqlite3_bind_text(ins, 5, st->id, -1, SQLITE_STATIC) ||
                sqlite3_bind_int64(ins, 6, captured) ||
                sqlite3_bind_int64(ins, 7, captured + 2000) ||
                sqlite3_bind_int64(ins, 8, 42 + k) ||
                sqlite3_bind_int64(ins, 9, captured - t_start) ||
                sqlite3_bind_text(ins, 10, day, -1, SQLITE_STATIC) ||
                (ev.quality > 0 && sqlite3_bind_int(ins, 11, ev.quality)) ||
                sqlite3_bind_text(ins, 12, json, (int)jl, SQLITE_STATIC) ||
                (sq % 7 == 0 &&
                 sqlite3_bind_text(ins, 13,
                                   "客户要求明天回电 / callback tomorrow", -1,
                                   SQLITE_STATIC)) ||
                sqlite3_bind_double(ins, 14, pts) ||
                sqlite3_step(ins) != SQLITE_DONE) {
                db_fail(db, "INSERT events");
                goto done;
            }
        }
        if (flush_day(db, rd, rm, g, day, cells) != 0)
            goto done;
    }
    /* What ingest keeps beside: each kiosk's high-water mark and count,
     * and every active person's team. */
    if (sqlite3_prepare_v2(db,
                           "UPDATE kiosks SET acked_seq = ?2, last_seq = ?2,"
                           " events = ?2, last_sync_ms = ?3,"
                           " last_seen_ms = ?3 WHERE kiosk_id = ?1",
                           -1, &kq, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO staff_team(site_id,"
                           " staff_id, team_id) VALUES (?1, ?2, ?3)",
                           -1, &tq, NULL) != SQLITE_OK) {
        db_fail(db, "prepare");
        goto done;
    }
    for (unsigned k = 0; k < KIOSKS; k++) {
        sqlite3_reset(kq);
        if (sqlite3_bind_text(kq, 1, kiosk_ids[k], -1, SQLITE_STATIC) ||
            sqlite3_bind_int64(kq, 2, (int64_t)seq[k]) ||
            sqlite3_bind_int64(kq, 3, BENCH_T0_MS) ||
            sqlite3_step(kq) != SQLITE_DONE) {
            db_fail(db, "UPDATE kiosks");
            goto done;
        }
    }
    for (size_t p = 0; p < n_staff; p++) {
        if (!g->site->staff[p].team_id[0])
            continue;
        sqlite3_reset(tq);
        if (sqlite3_bind_text(tq, 1, g->site->id, -1, SQLITE_STATIC) ||
            sqlite3_bind_text(tq, 2, g->site->staff[p].id, -1, SQLITE_STATIC) ||
            sqlite3_bind_text(tq, 3, g->site->staff[p].team_id, -1,
                              SQLITE_STATIC) ||
            sqlite3_step(tq) != SQLITE_DONE) {
            db_fail(db, "INSERT staff_team");
            goto done;
        }
    }
    if (exec(db, "CREATE INDEX events_site_day ON events(site_id, day)") ||
        exec(db, "COMMIT") || exec(db, "ANALYZE") ||
        exec(db, "PRAGMA journal_mode=WAL"))
        goto done;
    rc = 0;
done:
    sqlite3_finalize(ins);
    sqlite3_finalize(rd);
    sqlite3_finalize(rm);
    sqlite3_finalize(kq);
    sqlite3_finalize(tq);
    sqlite3_close(db);
    free(cells);
    free(so_far);
    return rc;
}

/* A new store at path holding n check-ins. */
static int make_store(const char *path, const gen_ctx_t *g, const char *yaml,
                      size_t yaml_len, uint64_t n)
{
    syncd_store_options_t opt = {SYNCD_SYNC_OFF, 0};
    char err[1024];
    uint64_t version;
    syncd_store_t *store = syncd_store_open(path, &opt, err, sizeof err);
    int rc = -1;

    if (!store) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    if (syncd_store_catalogue_put(store, yaml, yaml_len, BENCH_T0_MS,
                                  &version) != 0 ||
        version != 1)
        goto fail;
    for (unsigned k = 0; k < KIOSKS; k++) {
        char id[PROTO_ID_MAX + 1];
        proto_keypair_t kp;
        bench_kiosk_id(id, sizeof id, k);
        if (proto_keys_generate(&kp) != 0 ||
            syncd_store_kiosk_enrol(store, id, g->site->id, kp.public_z85,
                                    BENCH_T0_MS) != 0)
            goto fail;
    }
    syncd_store_destroy(&store);
    return gen_events(path, g, n);
fail:
    fprintf(stderr, "bench: syncd store %s: %s\n", path,
            syncd_store_errmsg(store));
    syncd_store_destroy(&store);
    return rc;
}

/* ---- the two sides' figures, folded into the scoreboard's rows */
typedef struct {
    char id[PROTO_ID_MAX + 1];
    long checkins, quality_sum, quality_n;
    double value, points;
} row_t;

static uint64_t hash_row(uint64_t h, const char *kind, const char *id,
                         long checkins, const char *value, const char *quality,
                         const char *points)
{
    if (getenv("STEPWISE_BENCH_VERBOSE"))
        fprintf(stderr, "# row %s %s %ld %s %s %s\n", kind, id, checkins, value,
                quality, points);
    h = bench_fnv_str(h, kind);
    h = bench_fnv_str(h, id);
    h = bench_fnv_u64(h, (uint64_t)checkins);
    h = bench_fnv_str(h, value);
    (void)points; /* compared with a tolerance instead, see pts_check */
    return bench_fnv_str(h, quality);
}

/* The number as the agenda prints it (agenda_text.c sb_num): rounded to
 * decimals, trailing zeros dropped; "null" for none. */
static void fmt(char *out, size_t len, double v, int decimals)
{
    if (isnan(v)) {
        snprintf(out, len, "null");
        return;
    }
    double scale = pow(10, decimals);
    v = round(v * scale) / scale;
    if (v == 0)
        v = 0;
    snprintf(out, len, "%.*f", decimals, v);
    if (strchr(out, '.')) {
        char *e = out + strlen(out) - 1;
        while (*e == '0')
            *e-- = '\0';
        if (*e == '.')
            *e = '\0';
    }
}

/* Points are sums of fractions (quality/3, caps) added per day by ingest
 * and per event by the GROUP BY: the two sums may differ in the last bits
 * and so round differently to 0.1 on a .x5 boundary. So they are not
 * hashed; each row's printed points must be within 0.05 (+ 1e-6) of the
 * baseline's unrounded sum, and every row must be present on both sides. */
typedef struct {
    char key[PROTO_ID_MAX + 8];
    double points;
    bool seen;
} pts_t;
static pts_t *base_pts;
static size_t n_base_pts;

static int pts_add(const char *kind, const char *id, double points)
{
    pts_t *g = realloc(base_pts, (n_base_pts + 1) * sizeof *g);
    if (!g)
        return -1;
    base_pts = g;
    snprintf(g[n_base_pts].key, sizeof g[n_base_pts].key, "%s/%s", kind, id);
    g[n_base_pts].points = points;
    g[n_base_pts].seen = false;
    n_base_pts++;
    return 0;
}

/* 0 when the agenda's printed points for (kind, id) match the baseline. */
static int pts_check(const char *kind, const char *id, const char *printed)
{
    char key[PROTO_ID_MAX + 8];
    snprintf(key, sizeof key, "%s/%s", kind, id);
    for (size_t i = 0; i < n_base_pts; i++)
        if (strcmp(base_pts[i].key, key) == 0) {
            double d = fabs(strtod(printed, NULL) - base_pts[i].points);
            base_pts[i].seen = true;
            if (d <= 0.05 + 1e-6)
                return 0;
            fprintf(stderr,
                    "bench: %s: the agenda prints %s points, the GROUP BY "
                    "sums %.6f\n",
                    key, printed, base_pts[i].points);
            return -1;
        }
    fprintf(stderr, "bench: %s: in the agenda, not in the GROUP BY\n", key);
    return -1;
}

static uint64_t hash_rows(uint64_t h, const char *kind, const row_t *rows,
                          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char v[64], q[64], p[64];
        if (rows[i].checkins == 0)
            continue;
        fmt(v, sizeof v, rows[i].value, 2);
        fmt(q, sizeof q,
            rows[i].quality_n ? (double)rows[i].quality_sum / rows[i].quality_n
                              : NAN,
            2);
        fmt(p, sizeof p, rows[i].points, 1);
        if (pts_add(kind, rows[i].id, rows[i].points) != 0)
            return 0;
        h = hash_row(h, kind, rows[i].id, rows[i].checkins, v, q, p);
    }
    return h;
}

/* The agenda JSON's week figures, read with SQLite's JSON functions, in
 * id order; the numbers hashed as printed. */
static int hash_agenda(const char *json, size_t len, uint64_t *hash,
                       long *checkins)
{
    static const char sql[] =
        "SELECT 'step', value->>'step_id', value->>'checkins',"
        "  json_extract(value, '$.value'), json_extract(value, '$.quality'),"
        "  json_extract(value, '$.points')"
        " FROM json_each(?1, '$.scoreboard.steps')"
        " WHERE value->>'checkins' > 0"
        " UNION ALL "
        "SELECT 'staff', value->>'id', value->>'checkins',"
        "  json_extract(value, '$.value'), json_extract(value, '$.quality'),"
        "  json_extract(value, '$.points')"
        " FROM json_each(?1, '$.scoreboard.people')"
        " WHERE value->>'checkins' > 0 ORDER BY 1 DESC, 2";
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    uint64_t h = BENCH_FNV_INIT;
    int rc = -1, s;

    *checkins = 0;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, json, (int)len, SQLITE_STATIC) != SQLITE_OK)
        goto fail;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        char v[64], q[64], p[64];
        long n = sqlite3_column_int64(st, 2);
        /* JSON numbers as SQLite reads them back, printed as sb_num */
        fmt(v, sizeof v, sqlite3_column_double(st, 3), 2);
        fmt(q, sizeof q,
            sqlite3_column_type(st, 4) == SQLITE_NULL
                ? NAN
                : sqlite3_column_double(st, 4),
            2);
        fmt(p, sizeof p, sqlite3_column_double(st, 5), 1);
        h = hash_row(h, (const char *)sqlite3_column_text(st, 0),
                     (const char *)sqlite3_column_text(st, 1), n, v, q, p);
        if (pts_check((const char *)sqlite3_column_text(st, 0),
                      (const char *)sqlite3_column_text(st, 1), p) != 0)
            goto done;
        if (strcmp((const char *)sqlite3_column_text(st, 0), "step") == 0)
            *checkins += n;
    }
    if (s != SQLITE_DONE)
        goto fail;
    *hash = h;
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "bench: reading the agenda's JSON scoreboard: %s\n",
            sqlite3_errmsg(db));
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp(((const row_t *)a)->id, ((const row_t *)b)->id);
}

/* The baseline: per step × staff of the site-week from raw events (count,
 * Σ primary measure, quality sum and count, points), folded into step and
 * person rows as the scoreboard defines them (a person's value counts
 * only steps with a target). */
typedef struct {
    sqlite3 *db;
    sqlite3_stmt *st;
} base_t;

static int base_open(base_t *b, const char *path, const gen_ctx_t *g)
{
    sqlite3_stmt *ins = NULL;
    memset(b, 0, sizeof *b);
    if (sqlite3_open_v2(path, &b->db, SQLITE_OPEN_READWRITE, NULL) !=
            SQLITE_OK ||
        exec(b->db, "CREATE TEMP TABLE prim(step_id TEXT PRIMARY KEY,"
                    " path TEXT NOT NULL)") ||
        sqlite3_prepare_v2(b->db, "INSERT INTO temp.prim VALUES (?1, ?2)", -1,
                           &ins, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < g->cat->n_steps; i++) {
        const proto_step_def_t *d = g->cat->steps[i];
        const proto_measure_def_t *m = NULL;
        char path_s[PROTO_KEY_MAX + 8];
        for (size_t k = 0; k < d->n_measures && !m; k++)
            if (d->measures[k].daily_target > 0)
                m = &d->measures[k];
        if (!m && d->n_measures)
            m = &d->measures[0];
        if (!m)
            continue;
        snprintf(path_s, sizeof path_s, "$.\"%s\"", m->id);
        sqlite3_reset(ins);
        if (sqlite3_bind_text(ins, 1, d->id, -1, SQLITE_STATIC) ||
            sqlite3_bind_text(ins, 2, path_s, -1, SQLITE_TRANSIENT) ||
            sqlite3_step(ins) != SQLITE_DONE)
            goto fail;
    }
    sqlite3_finalize(ins);
    ins = NULL;
    if (sqlite3_prepare_v2(
            b->db,
            "SELECT e.step_id, e.staff_id, COUNT(*),"
            "  TOTAL(json_extract(e.measures, p.path)),"
            "  TOTAL(e.quality), COUNT(e.quality), TOTAL(e.points)"
            " FROM events AS e LEFT JOIN temp.prim AS p USING (step_id)"
            " WHERE e.site_id = ?1 AND e.day BETWEEN ?2 AND ?3"
            "  AND e.type = 'checkin'"
            " GROUP BY e.step_id, e.staff_id",
            -1, &b->st, NULL) != SQLITE_OK)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "bench: preparing the GROUP BY baseline on %s: %s\n", path,
            sqlite3_errmsg(b->db));
    sqlite3_finalize(ins);
    return -1;
}

static void base_close(base_t *b)
{
    sqlite3_finalize(b->st);
    sqlite3_close(b->db);
    memset(b, 0, sizeof *b);
}

static row_t *row_get(row_t **rows, size_t *n, const char *id)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*rows)[i].id, id) == 0)
            return &(*rows)[i];
    row_t *g = realloc(*rows, (*n + 1) * sizeof **rows);
    if (!g)
        return NULL;
    *rows = g;
    row_t *r = &g[(*n)++];
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    return r;
}

/* Runs the GROUP BY (timed by the caller) and folds and hashes its rows. */
static int base_run(base_t *b, const gen_ctx_t *g, uint64_t *hash,
                    long *checkins)
{
    row_t *steps = NULL, *people = NULL;
    size_t n_steps = 0, n_people = 0;
    int rc = -1, s;

    *checkins = 0;
    n_base_pts = 0;
    sqlite3_reset(b->st);
    if (sqlite3_bind_text(b->st, 1, g->site->id, -1, SQLITE_STATIC) ||
        sqlite3_bind_text(b->st, 2, MONDAY, -1, SQLITE_STATIC) ||
        sqlite3_bind_text(b->st, 3, SUNDAY, -1, SQLITE_STATIC))
        goto fail;
    while ((s = sqlite3_step(b->st)) == SQLITE_ROW) {
        const char *step = (const char *)sqlite3_column_text(b->st, 0);
        const char *staff = (const char *)sqlite3_column_text(b->st, 1);
        long n = sqlite3_column_int64(b->st, 2);
        double value = sqlite3_column_double(b->st, 3);
        long qs = sqlite3_column_int64(b->st, 4),
             qn = sqlite3_column_int64(b->st, 5);
        double pts = sqlite3_column_double(b->st, 6);
        const proto_step_def_t *d = proto_catalogue_step(g->cat, step);
        bool target = false;
        for (size_t k = 0; d && k < d->n_measures; k++)
            target = target || d->measures[k].daily_target > 0;
        row_t *rs = row_get(&steps, &n_steps, step);
        row_t *rp = row_get(&people, &n_people, staff);
        if (!rs || !rp) {
            fprintf(stderr, "bench: out of memory folding rows\n");
            goto done;
        }
        rs->checkins += n;
        rs->value += value;
        rs->quality_sum += qs;
        rs->quality_n += qn;
        rs->points += pts;
        rp->checkins += n;
        rp->value += target ? value : 0;
        rp->quality_sum += qs;
        rp->quality_n += qn;
        rp->points += pts;
        *checkins += n;
    }
    if (s != SQLITE_DONE)
        goto fail;
    qsort(steps, n_steps, sizeof *steps, row_cmp);
    qsort(people, n_people, sizeof *people, row_cmp);
    *hash = hash_rows(hash_rows(BENCH_FNV_INIT, "step", steps, n_steps),
                      "staff", people, n_people);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "bench: the GROUP BY baseline: %s\n",
            sqlite3_errmsg(b->db));
done:
    free(steps);
    free(people);
    return rc;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Where full-size stores are kept: the directory of this program
 * (BUILD/bench), or $STEPWISE_BENCH_CACHE. */
static int cache_path(char *out, size_t len, uint64_t n)
{
    const char *dir = getenv("STEPWISE_BENCH_CACHE");
    char exe[600];
    if (!dir || !dir[0]) {
        ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (l <= 0)
            return -1;
        exe[l] = '\0';
        char *slash = strrchr(exe, '/');
        if (!slash)
            return -1;
        *slash = '\0';
        dir = exe;
    }
    snprintf(out, len, "%s/agenda-store-v%d-seed%d-%" PRIu64 ".db", dir,
             GEN_VERSION, SEED, n);
    return 0;
}

/* One size: make (or reuse) the store, check it, time both sides. */
static int one_size(const gen_ctx_t *g, const char *yaml, size_t yaml_len,
                    const char *dir, uint64_t n, bool smoke)
{
    char path[1300], tmp[1300], err[1024], label[128];
    syncd_store_t *store = NULL;
    base_t base = {0};
    char *out = NULL;
    size_t out_len = 0;
    double t_ag[RUNS], t_sql[RUNS];
    uint64_t h_ag = 0, h_sql = 0;
    long n_ag = 0, n_sql = 0;
    struct stat sb;
    int rc = -1;

    if (smoke) {
        snprintf(path, sizeof path, "%s/agenda-%" PRIu64 ".db", dir, n);
    } else if (cache_path(path, sizeof path, n) != 0) {
        fprintf(stderr, "bench: cannot find this program's directory\n");
        return -1;
    }
    if (smoke || stat(path, &sb) != 0) {
        double t0 = bench_now_s();
        if (snprintf(tmp, sizeof tmp, "%s.part", path) >= (int)sizeof tmp - 8)
            return -1;
        unlink(tmp);
        if (make_store(tmp, g, yaml, yaml_len, n) != 0)
            return -1;
        double t_gen = bench_now_s() - t0;
        printf("# generated %" PRIu64 " check-ins in %.1f s\n", n, t_gen);
        /* kept for the next run only when it was slow to make */
        if (!smoke && t_gen <= 60)
            memcpy(path, tmp, sizeof path); /* same size */
        else if (rename(tmp, path) != 0) {
            perror("bench: keeping the generated store");
            return -1;
        }
        if (!smoke && t_gen > 60)
            printf("# kept as %s for the next run\n", path);
    } else {
        printf("# reusing %s\n", path);
    }
    syncd_store_options_t opt = {SYNCD_SYNC_OFF, 0};
    if ((store = syncd_store_open(path, &opt, err, sizeof err)) == NULL) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    if (smoke) {
        char why[1024];
        if (syncd_store_verify_rollups(store, why, sizeof why) != 0) {
            fprintf(stderr,
                    "bench: the generated rollups differ from what ingest "
                    "maintains: %s\n",
                    why);
            goto done;
        }
        printf("# syncd_store_verify_rollups: generated rollups = ingest's\n");
    }
    if (base_open(&base, path, g) != 0)
        goto done;
    /* alternate the two sides; the first of each warms the page cache.
     * The GROUP BY goes first: its rows are what the agenda's points are
     * checked against. */
    for (int i = 0; i < RUNS; i++) {
        uint64_t h;
        long c;
        double t0 = bench_now_s();
        if (base_run(&base, g, &h, &c) != 0)
            goto done;
        t_sql[i] = (bench_now_s() - t0) * 1000;
        h_sql = h;
        n_sql = c;
        free(out);
        out = NULL;
        t0 = bench_now_s();
        if (syncd_agenda_build(store, g->cat, g->site->id, WEEK,
                               SYNCD_AGENDA_JSON, BENCH_T0_MS, &out, &out_len,
                               err, sizeof err) != 0) {
            fprintf(stderr, "bench: agenda %s: %s\n", WEEK, err);
            goto done;
        }
        t_ag[i] = (bench_now_s() - t0) * 1000;
        if (hash_agenda(out, out_len, &h, &c) != 0)
            goto done;
        if (i > 0 && (h != h_ag || c != n_ag)) {
            fprintf(stderr, "bench: the agenda changed between two runs\n");
            goto done;
        }
        h_ag = h;
        n_ag = c;
    }
    printf("# %" PRIu64 " check-ins, week %s: %ld check-ins in the week "
           "(agenda), %ld (GROUP BY); agenda %zu bytes\n",
           n, WEEK, n_ag, n_sql, out_len);
    printf("# agenda ms:");
    for (int i = 0; i < RUNS; i++)
        printf(" %.2f", t_ag[i]);
    printf("\n# GROUP BY ms:");
    for (int i = 0; i < RUNS; i++)
        printf(" %.2f", t_sql[i]);
    printf("\n");
    if (bench_check_hash("agenda scoreboard vs GROUP BY", h_ag, h_sql) != 0 ||
        n_ag != n_sql || n_ag == 0) {
        fprintf(stderr,
                "bench: the agenda counts %ld check-ins in %s, the GROUP BY "
                "%ld\n",
                n_ag, WEEK, n_sql);
        goto done;
    }
    qsort(t_ag, RUNS, sizeof *t_ag, dbl_cmp);
    qsort(t_sql, RUNS, sizeof *t_sql, dbl_cmp);
    double ag = t_ag[RUNS / 2], sql = t_sql[RUNS / 2];
    if (smoke)
        snprintf(label, sizeof label, "agenda (smoke, %" PRIu64 ")", n);
    else
        snprintf(label, sizeof label,
                 "agenda: one site-week JSON, %" PRIu64 "M check-ins",
                 n / 1000000);
    bool at10m = n >= 10000000;
    bench_row("agenda", label, ag, "ms (median of 5)", sql,
              "GROUP BY over raw events, same week", ag / sql,
              at10m ? "< 100 ms at 10M" : "-",
              at10m ? (ag < 100 ? "pass" : "miss") : "info", h_ag);
    rc = 0;
done:
    base_close(&base);
    free(out);
    syncd_store_destroy(&store);
    if (!smoke && strstr(path, ".part")) {
        char side[1400];
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    }
    return rc;
}

int main(int argc, char **argv)
{
    bool smoke = bench_smoke(argc, argv);
    char dir[512];
    char *yaml = NULL;
    size_t yaml_len = 0;
    proto_catalogue_t *cat = NULL;
    gen_ctx_t g = {0};
    int rc = 1;
    dir[0] = '\0';

    if (bench_tmpdir("agenda", dir, sizeof dir) != 0 ||
        (cat = bench_catalogue(&yaml, &yaml_len)) == NULL)
        goto done;
    g.cat = cat;
    g.site = proto_catalogue_site(cat, BENCH_SITE);
    g.steps = calloc(cat->n_steps ? cat->n_steps : 1, sizeof *g.steps);
    if (!g.site || g.site->n_staff == 0 || !g.steps) {
        fprintf(stderr, "bench: the catalogue has no site %s with staff\n",
                BENCH_SITE);
        goto done;
    }
    for (size_t i = 0; i < cat->n_steps; i++)
        if (cat->steps[i]->n_measures > 0)
            g.steps[g.n_steps++] = cat->steps[i];
    if (smoke) {
        if (one_size(&g, yaml, yaml_len, dir, 10000, true) != 0)
            goto done;
    } else {
        if (one_size(&g, yaml, yaml_len, dir, 1000000, false) != 0 ||
            one_size(&g, yaml, yaml_len, dir, 10000000, false) != 0)
            goto done;
    }
    rc = 0;
done:
    free(g.steps);
    free(base_pts);
    proto_catalogue_destroy(&cat);
    free(yaml);
    bench_rmtree(dir);
    return rc;
}
