/*
 * store_pg.c — the PostgreSQL backend of the store interface (store.h).
 *
 * For fleets that outgrow one machine, or that need the daemon to survive
 * one: several syncd processes share one PostgreSQL database
 * ("postgresql://..." or "postgres://..." as the --store URI). Everything
 * observable is what store_sqlite.c gives: the same tables and columns
 * (PostgreSQL types), the same migrations numbered the same, the same
 * rollups, points caps, feed change ids, export bytes and error texts.
 * The forms both write and the logic that is not SQL (export rows,
 * suggestion rows, standings, verification reports, decision and merge
 * rules, the points cap, the near-duplicate terms) live in store_common.c.
 *
 * What is different, and why:
 *  - Several processes write at once. A batch locks its kiosk's row
 *    (SELECT ... FOR UPDATE) first and reads the high-water mark under that
 *    lock, so two instances briefly serving one kiosk store each seq once:
 *    the second waits, then sees the first's mark and skips its replays.
 *    (kiosk_id, seq) is still the primary key, the last line of defence.
 *  - A check-in's points cap reads the day's points so far for (site, day,
 *    step, staff) from a row it has locked (an upsert that changes nothing
 *    RETURNING points), so kiosks of one site ingesting at once cannot both
 *    spend the same remaining points.
 *  - The feed's change counter is one row of meta, updated in the writing
 *    transaction: the row lock makes change ids commit in order, so a kiosk
 *    whose cursor passed id N never misses a change numbered below N.
 *  - A batch costs a handful of round trips, not one per event: the
 *    events go as one COPY; dead letters, rollup deltas (summed in C per
 *    key, applied with one multi-row INSERT ... ON CONFLICT DO UPDATE, keys
 *    sorted so that concurrent batches lock rows in one order) and team
 *    changes as multi-row INSERTs; when a check-in is capped, every
 *    rollup_day row of the batch is locked in key order, and the points so
 *    far read, by one statement before the events.
 *    Suggestions and votes, rare, go one by one in seq order because they
 *    take change ids and a vote may name a suggestion of the same batch,
 *    after the rollups: every batch locks its kiosk's row, then rollup
 *    rows (in key order), then the change counter, so two batches never
 *    wait for each other in a cycle.
 *  - Transactions are READ COMMITTED; the locks above are what make the
 *    batch safe, so nothing has to be retried. A deadlock or lock timeout
 *    fails the batch like any store error: nothing of it is kept and the
 *    kiosk sends it again.
 *  - Near-duplicate candidates: no FTS5; a scan of the site's suggestions
 *    for the normalised text's trigrams (strpos), ranked by how many they
 *    share. similar.c scores the candidates, so results are the same.
 *  - Reports (the agenda) arrive in SQLite's dialect: ?N placeholders are
 *    rewritten to $N outside quotes, and migration 3 defines the two SQLite
 *    functions the agenda uses, julianday(text) and the TOTAL() aggregate,
 *    so agenda.c keeps one text of each query (docs/OPERATIONS.md). The
 *    query runs in a READ ONLY transaction, which is what refuses writes.
 *
 * SQL text is constant or built only from placeholders; every value is a
 * bound parameter (text format; PostgreSQL infers the types).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "store_backend.h"
#include "store_common.h"
#include "syncd/agenda.h"
#include "syncd/similar.h"

/* ---- Migrations: append only; never edit one that has shipped. Numbered
 *      as SQLite's: 1 the initial schema, 2 issue 3's lifecycle and points,
 *      3 the agenda's index (and here the SQLite functions it calls). */
static const char *const migrations[] = {
    /* 1 */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value BIGINT NOT NULL);"
    "INSERT INTO meta(key, value) VALUES ('change_counter', 0);"
    "CREATE TABLE kiosks ("
    "  kiosk_id TEXT PRIMARY KEY,"
    "  site_id TEXT NOT NULL,"
    "  public_key TEXT NOT NULL UNIQUE,"
    "  revoked INTEGER NOT NULL DEFAULT 0,"
    "  enrolled_ms BIGINT NOT NULL,"
    "  revoked_ms BIGINT NOT NULL DEFAULT 0,"
    "  acked_seq BIGINT NOT NULL DEFAULT 0,"
    "  last_seen_ms BIGINT NOT NULL DEFAULT 0,"
    "  last_sync_ms BIGINT NOT NULL DEFAULT 0,"
    "  last_seq BIGINT NOT NULL DEFAULT 0,"
    "  outbox_depth BIGINT NOT NULL DEFAULT 0,"
    "  oldest_unsent_s BIGINT NOT NULL DEFAULT 0,"
    "  clock_skew_ms BIGINT NOT NULL DEFAULT 0,"
    "  catalogue_version BIGINT NOT NULL DEFAULT 0,"
    "  app_version TEXT NOT NULL DEFAULT '',"
    "  events BIGINT NOT NULL DEFAULT 0,"
    "  rejected BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE events ("
    "  kiosk_id TEXT NOT NULL,"
    "  seq BIGINT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  site_id TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL DEFAULT '',"
    "  step_id TEXT NOT NULL DEFAULT '',"
    "  process_id TEXT NOT NULL DEFAULT '',"
    "  catalogue_version BIGINT,"
    "  captured_ms BIGINT NOT NULL,"
    "  received_ms BIGINT NOT NULL,"
    "  boot_id BIGINT,"
    "  mono_ms BIGINT,"
    "  day TEXT NOT NULL,"
    "  quality INTEGER,"
    "  score INTEGER,"
    "  vote INTEGER,"
    "  suggestion_id TEXT NOT NULL DEFAULT '',"
    "  measures TEXT,"
    "  note TEXT,"
    "  kind TEXT,"
    "  anonymous INTEGER,"
    "  title TEXT,"
    "  body TEXT,"
    "  points DOUBLE PRECISION NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (kiosk_id, seq));"
    "CREATE INDEX events_site_day ON events(site_id, day);"
    "CREATE TABLE dead_letters ("
    "  kiosk_id TEXT NOT NULL,"
    "  seq BIGINT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  site_id TEXT NOT NULL,"
    "  code INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  captured_ms BIGINT NOT NULL,"
    "  received_ms BIGINT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  PRIMARY KEY (kiosk_id, seq));"
    "CREATE TABLE rollup_day ("
    "  site_id TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  step_id TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL,"
    "  checkins BIGINT NOT NULL DEFAULT 0,"
    "  quality_sum BIGINT NOT NULL DEFAULT 0,"
    "  quality_n BIGINT NOT NULL DEFAULT 0,"
    "  points DOUBLE PRECISION NOT NULL DEFAULT 0,"
    "  ratings_n BIGINT NOT NULL DEFAULT 0,"
    "  ratings_sum BIGINT NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (site_id, day, step_id, staff_id));"
    "CREATE TABLE rollup_measure ("
    "  site_id TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  step_id TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL,"
    "  measure TEXT NOT NULL,"
    "  total DOUBLE PRECISION NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (site_id, day, step_id, staff_id, measure));"
    "CREATE TABLE suggestions ("
    "  id TEXT PRIMARY KEY,"
    "  site_id TEXT NOT NULL,"
    "  kiosk_id TEXT NOT NULL,"
    "  seq BIGINT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'new',"
    "  title TEXT NOT NULL,"
    "  body TEXT,"
    "  process_id TEXT NOT NULL DEFAULT '',"
    "  step_id TEXT NOT NULL DEFAULT '',"
    "  author_id TEXT NOT NULL DEFAULT '',"
    "  anonymous INTEGER NOT NULL DEFAULT 0,"
    "  votes BIGINT NOT NULL DEFAULT 0,"
    "  owner_id TEXT NOT NULL DEFAULT '',"
    "  due TEXT NOT NULL DEFAULT '',"
    "  feedback TEXT,"
    "  merged_into TEXT NOT NULL DEFAULT '',"
    "  created_ms BIGINT NOT NULL,"
    "  updated_ms BIGINT NOT NULL,"
    "  change_id BIGINT NOT NULL);"
    "CREATE INDEX suggestions_feed ON suggestions(site_id, change_id);"
    "CREATE TABLE votes ("
    "  suggestion_id TEXT NOT NULL REFERENCES suggestions(id),"
    "  staff_id TEXT NOT NULL,"
    "  created_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (suggestion_id, staff_id));"
    "CREATE TABLE catalogue_versions ("
    "  version BIGINT PRIMARY KEY,"
    "  yaml TEXT NOT NULL,"
    "  published_ms BIGINT NOT NULL);",
    /* 2: points caps and standings, the suggestion lifecycle (no FTS5
     * table: the near-duplicate search scans the site's suggestions) */
    "CREATE TABLE staff_team ("
    "  site_id TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL,"
    "  team_id TEXT NOT NULL,"
    "  PRIMARY KEY (site_id, staff_id));"
    "CREATE TABLE site_points ("
    "  site_id TEXT PRIMARY KEY,"
    "  change_id BIGINT NOT NULL,"
    "  last_day TEXT NOT NULL);"
    "CREATE TABLE points_awards ("
    "  suggestion_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  site_id TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL,"
    "  points DOUBLE PRECISION NOT NULL,"
    "  created_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (suggestion_id, status));"
    "CREATE INDEX points_awards_site_day ON points_awards(site_id, day);"
    "ALTER TABLE suggestions ADD COLUMN measure TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE suggestions ADD COLUMN done_day TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX suggestions_site_status ON suggestions(site_id, status);"
    "CREATE TABLE suggestion_history ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  suggestion_id TEXT NOT NULL,"
    "  at_ms BIGINT NOT NULL,"
    "  manager TEXT NOT NULL,"
    "  from_status TEXT NOT NULL,"
    "  to_status TEXT NOT NULL,"
    "  owner_id TEXT NOT NULL,"
    "  due TEXT NOT NULL,"
    "  measure TEXT NOT NULL,"
    "  feedback TEXT,"
    "  merged_into TEXT NOT NULL);"
    "CREATE INDEX suggestion_history_id"
    "  ON suggestion_history(suggestion_id, id);",
    /* 3: the agenda's index, and the SQLite functions its report queries
     * call (julianday of a 'YYYY-MM-DD' day; TOTAL, a SUM that is 0.0 over
     * no rows), so the one SQL text runs on both backends */
    "CREATE INDEX suggestions_site_created"
    "  ON suggestions(site_id, created_ms);"
    "CREATE FUNCTION julianday(text) RETURNS double precision"
    "  LANGUAGE sql IMMUTABLE STRICT"
    "  AS $$ SELECT ($1::date - DATE '2000-01-01') + 2451544.5::float8 $$;"
    "CREATE AGGREGATE total(double precision) ("
    "  SFUNC = float8pl, STYPE = double precision, INITCOND = '0');",
    /* 4: nothing here. The SQLite store's migration 4 is its ingest
     * journal; this store writes a batch's events and rollups in the
     * ingest transaction itself. Kept so that both stores number their
     * schemas alike, which syncctl migrate checks. */
    "SELECT 1;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* Serialises migrations of one database by several syncd starting at once. */
#define MIGRATION_LOCK "4242170707"

typedef struct {
    syncd_store_t base; /* first: store.c sees only this */
    PGconn *conn;
    char *where;    /* the URI without its password, for messages */
    const char *op; /* the public operation running, for error messages */
} pg_store_t;

static pg_store_t *impl(syncd_store_t *self)
{
    return (pg_store_t *)self;
}

/* ---- Errors */

static int fail(pg_store_t *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(pg_store_t *s, int code, const char *fmt, ...)
{
    char what[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    syncd_store_set_error(&s->base, "%s: %s", s->op, what);
    return code;
}

/* PostgreSQL's message of a failed result (or of the connection), on one
 * line. */
static void pg_text(pg_store_t *s, const PGresult *r, char *out, size_t size)
{
    /* the primary message alone ("duplicate key value violates ..."),
     * without libpq's "ERROR:" prefix and CONTEXT lines */
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    size_t n;

    if (m == NULL || m[0] == '\0')
        m = PQerrorMessage(s->conn);
    snprintf(out, size, "%s", m && m[0] ? m : "unknown error");
    for (char *p = out; *p; p++)
        if (*p == '\n')
            *p = ' ';
    n = strlen(out);
    while (n > 0 && out[n - 1] == ' ')
        out[--n] = '\0';
}

static int db_fail(pg_store_t *s, const char *label, const PGresult *r)
{
    char msg[300];

    pg_text(s, r, msg, sizeof msg);
    if (PQstatus(s->conn) == CONNECTION_BAD)
        return fail(s, PROTO_ESTORE,
                    "%s: lost the PostgreSQL connection (%s); check that "
                    "the server runs, the next operation reconnects",
                    label, msg);
    return fail(s, PROTO_ESTORE, "%s: %s", label, msg);
}

/* ---- Parameters: values as text, numbers printed into slots. */
#define PMAX 24
typedef struct {
    const char *v[PMAX];
    char num[PMAX][32];
    int n;
} params_t;

static void p_text(params_t *p, const char *v)
{
    p->v[p->n++] = v;
}

static void p_i64(params_t *p, int64_t v)
{
    snprintf(p->num[p->n], sizeof p->num[p->n], "%" PRId64, v);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

/* uint64 values are kept bit for bit in signed BIGINTs, as SQLite does. */
static void p_u64(params_t *p, uint64_t v)
{
    p_i64(p, (int64_t)v);
}

/* Runs sql with the parameters; the result (caller PQclear()s) or NULL
 * with the error recorded under label. */
static PGresult *q(pg_store_t *s, const char *label, const char *sql, int n,
                   const char *const *vals)
{
    PGresult *r = PQexecParams(s->conn, sql, n, NULL, vals, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);

    if (r != NULL && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK))
        return r;
    db_fail(s, label, r);
    PQclear(r);
    return NULL;
}

static PGresult *qp(pg_store_t *s, const char *label, const char *sql,
                    const params_t *p)
{
    return q(s, label, sql, p ? p->n : 0, p ? p->v : NULL);
}

/* Runs a statement whose rows do not matter; *changed (if given) gets the
 * number of rows it changed. */
static int run(pg_store_t *s, const char *label, const char *sql,
               const params_t *p, long *changed)
{
    PGresult *r = qp(s, label, sql, p);

    if (r == NULL)
        return PROTO_ESTORE;
    if (changed)
        *changed = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

static const char *val(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t v_i64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static uint64_t v_u64(const PGresult *r, int row, int col)
{
    return (uint64_t)v_i64(r, row, col);
}

static void v_copy(const PGresult *r, int row, int col, char *dst, size_t size)
{
    snprintf(dst, size, "%s", PQgetvalue(r, row, col)); /* "" for NULL */
}

/* ---- Transactions */

static int begin(pg_store_t *s)
{
    return run(s, "BEGIN", "BEGIN", NULL, NULL);
}

static int commit(pg_store_t *s)
{
    return run(s, "COMMIT", "COMMIT", NULL, NULL);
}

/* Undoes a failed transaction, keeping the first error as the one that
 * matters. */
static void rollback(pg_store_t *s)
{
    char first[SYNCD_STORE_ERRMSG_MAX];
    PGresult *r;

    if (PQtransactionStatus(s->conn) == PQTRANS_IDLE ||
        PQstatus(s->conn) == CONNECTION_BAD)
        return;
    snprintf(first, sizeof first, "%s", s->base.errmsg);
    r = PQexec(s->conn, "ROLLBACK");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        char msg[200];

        pg_text(s, r, msg, sizeof msg);
        syncd_store_set_error(&s->base, "%s (and ROLLBACK failed: %s)", first,
                              msg);
    } else {
        syncd_store_set_error(&s->base, "%s", first);
    }
    PQclear(r);
}

/* Every public operation starts here: a connection lost since the last
 * one (a restarted server, a failover) is opened again once. */
static int start_op(pg_store_t *s, const char *op)
{
    s->op = op;
    if (PQstatus(s->conn) == CONNECTION_OK)
        return 0;
    PQreset(s->conn);
    if (PQstatus(s->conn) == CONNECTION_OK) {
        PGresult *r = PQexec(s->conn, "SET client_min_messages = warning");

        PQclear(r);
        return 0;
    }
    return fail(s, PROTO_ESTORE,
                "cannot reach PostgreSQL at %s (%s); check that the server "
                "runs and accepts connections",
                s->where, PQerrorMessage(s->conn));
}

/* ---- Open and migrate */

/* The URI as it may be shown: a password in it becomes "***". */
static char *redacted(const char *uri)
{
    size_t len = strlen(uri) + 4;
    char *out = malloc(len);

    if (out != NULL)
        syncd_store_uri_redact(uri, out, len);
    return out;
}

static int exec_script(pg_store_t *s, const char *label, const char *sql)
{
    PGresult *r = PQexec(s->conn, sql);
    int rc = 0;

    if (PQresultStatus(r) != PGRES_COMMAND_OK &&
        PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = db_fail(s, label, r);
    PQclear(r);
    return rc;
}

/* Applies migrations[from..] one transaction each, under an advisory lock
 * so that several syncd starting at once migrate once. */
static int migrate(pg_store_t *s)
{
    int rc = 0;

    for (;;) {
        PGresult *r;
        int version;
        params_t p = {.n = 0};

        if ((rc =
                 exec_script(s, "BEGIN",
                             "BEGIN;"
                             "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ");"
                             "CREATE TABLE IF NOT EXISTS schema_version ("
                             "  version INTEGER NOT NULL);"
                             "INSERT INTO schema_version(version) SELECT 0"
                             "  WHERE NOT EXISTS"
                             "  (SELECT 1 FROM schema_version);")) < 0)
            goto cleanup;
        r = q(s, "SELECT schema_version", "SELECT version FROM schema_version",
              0, NULL);
        if (r == NULL) {
            rc = PROTO_ESTORE;
            goto cleanup;
        }
        if (PQntuples(r) != 1) {
            PQclear(r);
            rc = fail(s, PROTO_ESTORE,
                      "schema_version does not hold one row; this database "
                      "was not made by syncd, or was damaged; restore it "
                      "from a backup");
            goto cleanup;
        }
        version = (int)v_i64(r, 0, 0);
        PQclear(r);
        if (version > SCHEMA_VERSION) {
            rc = fail(s, PROTO_ESTORE,
                      "schema version %d is newer than this syncd "
                      "understands (%d); run the syncd that wrote it, or "
                      "restore a backup made by this version",
                      version, SCHEMA_VERSION);
            goto cleanup;
        }
        if (version == SCHEMA_VERSION)
            break;
        p_i64(&p, version + 1);
        if ((rc = exec_script(s, "migration", migrations[version])) < 0 ||
            (rc = run(s, "UPDATE schema_version",
                      "UPDATE schema_version SET version = $1", &p, NULL)) <
                0 ||
            (rc = commit(s)) < 0)
            goto cleanup;
    }
    rc = commit(s);
cleanup:
    if (rc < 0)
        rollback(s);
    return rc;
}

static const syncd_store_ops_t pg_ops;

static void pg_destroy(syncd_store_t *self)
{
    pg_store_t *s = impl(self);

    PQfinish(s->conn); /* NULL is a no-op */
    free(s->where);
    free(s);
}

syncd_store_t *syncd_store_pg_open(const char *uri,
                                   const syncd_store_options_t *opt, char *err,
                                   size_t err_len)
{
    pg_store_t *s = calloc(1, sizeof *s);
    char setup[256];

    if (s == NULL || (s->where = redacted(uri)) == NULL) {
        snprintf(err, err_len, "store %s: out of memory", uri);
        goto fail;
    }
    s->base.ops = &pg_ops;
    s->op = s->where; /* open errors read "URI: what" */
    if ((unsigned)opt->sync_mode > SYNCD_SYNC_OFF) {
        snprintf(err, err_len,
                 "store %s: unknown sync mode %d; use full, normal or off",
                 s->where, (int)opt->sync_mode);
        goto fail;
    }
    s->conn = PQconnectdb(uri);
    if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
        char msg[300];

        if (s->conn == NULL)
            snprintf(msg, sizeof msg, "out of memory");
        else
            pg_text(s, NULL, msg, sizeof msg);
        snprintf(err, err_len,
                 "cannot connect to PostgreSQL store %s: %s; check that the "
                 "server runs and that the URI's host, port, user and "
                 "database are right",
                 s->where, msg);
        goto fail;
    }
    /* Durability: "full" waits for the WAL flush at COMMIT (what lets the
     * daemon ACK right after it); "off" only for tests and benchmarks. A
     * lock wait longer than the busy timeout fails the batch, which the
     * kiosk then sends again. */
    snprintf(setup, sizeof setup,
             "SET client_min_messages = warning;"
             "SET client_encoding = 'UTF8';"
             "SET synchronous_commit = %s;"
             "SET lock_timeout = %d;",
             opt->sync_mode == SYNCD_SYNC_OFF ? "off" : "on",
             opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 5000);
    if (exec_script(s, "session settings", setup) < 0 || migrate(s) < 0) {
        snprintf(err, err_len, "store %s", s->base.errmsg);
        goto fail;
    }
    s->base.errmsg[0] = '\0';
    return &s->base;
fail:
    if (s != NULL)
        pg_destroy(&s->base);
    return NULL;
}

static int pg_schema_version(syncd_store_t *self)
{
    pg_store_t *s = impl(self);
    PGresult *r;
    int rc;

    if ((rc = start_op(s, "schema version")) < 0)
        return rc;
    r = q(s, "SELECT schema_version", "SELECT version FROM schema_version", 0,
          NULL);
    if (r == NULL)
        return PROTO_ESTORE;
    rc = PQntuples(r) == 1 ? (int)v_i64(r, 0, 0)
                           : fail(s, PROTO_ESTORE, "schema_version has no row");
    PQclear(r);
    return rc;
}

/* ---- Kiosks */

#define KIOSK_COLUMNS                                                          \
    "kiosk_id, site_id, public_key, revoked, enrolled_ms, revoked_ms, "        \
    "acked_seq, last_seen_ms, last_sync_ms, last_seq, outbox_depth, "          \
    "oldest_unsent_s, clock_skew_ms, catalogue_version, app_version, events, " \
    "rejected"

static void kiosk_from_row(const PGresult *r, int i, syncd_kiosk_t *k)
{
    memset(k, 0, sizeof *k);
    v_copy(r, i, 0, k->kiosk_id, sizeof k->kiosk_id);
    v_copy(r, i, 1, k->site_id, sizeof k->site_id);
    v_copy(r, i, 2, k->public_key, sizeof k->public_key);
    k->revoked = v_i64(r, i, 3) != 0;
    k->enrolled_ms = v_i64(r, i, 4);
    k->revoked_ms = v_i64(r, i, 5);
    k->acked_seq = v_u64(r, i, 6);
    k->last_seen_ms = v_i64(r, i, 7);
    k->last_sync_ms = v_i64(r, i, 8);
    k->last_seq = v_u64(r, i, 9);
    k->outbox_depth = v_u64(r, i, 10);
    k->oldest_unsent_s = v_u64(r, i, 11);
    k->clock_skew_ms = v_i64(r, i, 12);
    k->catalogue_version = v_u64(r, i, 13);
    v_copy(r, i, 14, k->app_version, sizeof k->app_version);
    k->events = v_u64(r, i, 15);
    k->rejected = v_u64(r, i, 16);
}

static int kiosk_lookup(pg_store_t *s, const char *op, const char *sql,
                        const char *what, const char *value, syncd_kiosk_t *out)
{
    params_t p = {.n = 0};
    PGresult *r;
    int rc;

    if ((rc = start_op(s, op)) < 0)
        return rc;
    p_text(&p, value);
    if ((r = qp(s, "SELECT kiosks", sql, &p)) == NULL)
        return PROTO_ESTORE;
    if (PQntuples(r) == 1) {
        kiosk_from_row(r, 0, out);
        rc = 0;
    } else {
        rc = fail(s, PROTO_ENOTFOUND,
                  "no kiosk with %s \"%s\"; list them with syncctl kiosks",
                  what, value);
    }
    PQclear(r);
    return rc;
}

static int pg_kiosk_get(syncd_store_t *self, const char *kiosk_id,
                        syncd_kiosk_t *out)
{
    return kiosk_lookup(impl(self), "kiosk get",
                        "SELECT " KIOSK_COLUMNS
                        " FROM kiosks WHERE kiosk_id = $1",
                        "id", kiosk_id, out);
}

static int pg_kiosk_by_key(syncd_store_t *self, const char *public_key,
                           syncd_kiosk_t *out)
{
    return kiosk_lookup(impl(self), "kiosk by key",
                        "SELECT " KIOSK_COLUMNS
                        " FROM kiosks WHERE public_key = $1",
                        "public key", public_key, out);
}

static int pg_kiosk_list(syncd_store_t *self, syncd_kiosk_t **out, size_t *n)
{
    pg_store_t *s = impl(self);
    syncd_kiosk_t *list;
    PGresult *r;
    int rc, rows;

    if ((rc = start_op(s, "kiosk list")) < 0)
        return rc;
    r = q(s, "SELECT kiosks",
          "SELECT " KIOSK_COLUMNS
          " FROM kiosks ORDER BY kiosk_id COLLATE \"C\"",
          0, NULL);
    if (r == NULL)
        return PROTO_ESTORE;
    rows = PQntuples(r);
    list = calloc(rows > 0 ? (size_t)rows : 1, sizeof *list);
    if (list == NULL) {
        PQclear(r);
        return fail(s, PROTO_ENOMEM, "out of memory listing kiosks");
    }
    for (int i = 0; i < rows; i++)
        kiosk_from_row(r, i, &list[i]);
    PQclear(r);
    *out = list;
    *n = (size_t)rows;
    return 0;
}

static int pg_kiosk_enrol(syncd_store_t *self, const char *kiosk_id,
                          const char *site_id, const char *public_key,
                          int64_t now_ms)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    PGresult *r = NULL;
    int rc;

    if ((rc = start_op(s, "enrol")) < 0)
        return rc;
    /* the table lock makes "is this key someone else's" and the write one
     * step, also for two managers enrolling at once */
    if ((rc = begin(s)) < 0 ||
        (rc = run(s, "LOCK kiosks", "LOCK TABLE kiosks IN EXCLUSIVE MODE", NULL,
                  NULL)) < 0)
        goto cleanup;
    p_text(&p, public_key);
    p_text(&p, kiosk_id);
    r = qp(s, "SELECT kiosks by key",
           "SELECT kiosk_id FROM kiosks WHERE public_key = $1"
           " AND kiosk_id <> $2",
           &p);
    if (r == NULL) {
        rc = PROTO_ESTORE;
        goto cleanup;
    }
    if (PQntuples(r) > 0) {
        rc = fail(s, PROTO_EINVAL,
                  "public key %s already belongs to kiosk \"%s\"; make a new "
                  "key pair for \"%s\" with syncctl keygen kiosk",
                  public_key, PQgetvalue(r, 0, 0), kiosk_id);
        goto cleanup;
    }
    p.n = 0;
    p_text(&p, kiosk_id);
    p_text(&p, site_id);
    p_text(&p, public_key);
    p_i64(&p, now_ms);
    if ((rc = run(s, "INSERT kiosks",
                  "INSERT INTO kiosks(kiosk_id, site_id, public_key,"
                  " enrolled_ms) VALUES ($1, $2, $3, $4)"
                  " ON CONFLICT(kiosk_id) DO UPDATE SET"
                  " site_id = excluded.site_id,"
                  " public_key = excluded.public_key,"
                  " enrolled_ms = excluded.enrolled_ms,"
                  " revoked = 0, revoked_ms = 0",
                  &p, NULL)) < 0)
        goto cleanup;
    rc = commit(s);
cleanup:
    PQclear(r);
    if (rc < 0)
        rollback(s);
    return rc;
}

static int pg_kiosk_revoke(syncd_store_t *self, const char *kiosk_id,
                           int64_t now_ms)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    long changed = 0;
    int rc;

    if ((rc = start_op(s, "revoke")) < 0)
        return rc;
    p_text(&p, kiosk_id);
    p_i64(&p, now_ms);
    rc = run(s, "UPDATE kiosks",
             "UPDATE kiosks SET revoked = 1, revoked_ms ="
             " CASE WHEN revoked <> 0 THEN revoked_ms ELSE $2 END"
             " WHERE kiosk_id = $1",
             &p, &changed);
    if (rc == 0 && changed == 0)
        rc = fail(s, PROTO_ENOTFOUND,
                  "no kiosk \"%s\" to revoke; list them with syncctl kiosks",
                  kiosk_id);
    return rc;
}

static const char kiosk_seen_sql[] =
    "UPDATE kiosks SET last_seen_ms = $2, last_seq = $3,"
    " outbox_depth = $4, oldest_unsent_s = $5,"
    " clock_skew_ms = $6, catalogue_version = $7,"
    " app_version = COALESCE($8, app_version)"
    " WHERE kiosk_id = $1";

static int pg_kiosk_seen(syncd_store_t *self, const char *kiosk_id,
                         int64_t now_ms, uint64_t last_seq,
                         uint64_t outbox_depth, uint64_t oldest_unsent_s,
                         int64_t clock_skew_ms, uint64_t catalogue_version,
                         const char *app_version)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    long changed = 0;
    int rc;

    if ((rc = start_op(s, "kiosk seen")) < 0)
        return rc;
    p_text(&p, kiosk_id);
    p_i64(&p, now_ms);
    p_u64(&p, last_seq);
    p_u64(&p, outbox_depth);
    p_u64(&p, oldest_unsent_s);
    p_i64(&p, clock_skew_ms);
    p_u64(&p, catalogue_version);
    p_text(&p, app_version);
    rc = run(s, "UPDATE kiosks", kiosk_seen_sql, &p, &changed);
    if (rc == 0 && changed == 0)
        rc = fail(s, PROTO_ENOTFOUND, "no kiosk \"%s\"", kiosk_id);
    return rc;
}

static int pg_kiosks_seen(syncd_store_t *self, const syncd_kiosk_seen_t *v,
                          size_t n)
{
    pg_store_t *s = impl(self);
    int rc;

    if ((rc = start_op(s, "kiosks seen")) < 0 ||
        (rc = run(s, "BEGIN", "BEGIN", NULL, NULL)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        params_t p = {.n = 0};

        p_text(&p, v[i].kiosk_id);
        p_i64(&p, v[i].now_ms);
        p_u64(&p, v[i].last_seq);
        p_u64(&p, v[i].outbox_depth);
        p_u64(&p, v[i].oldest_unsent_s);
        p_i64(&p, v[i].clock_skew_ms);
        p_u64(&p, v[i].catalogue_version);
        p_text(&p, NULL);
        rc = run(s, "UPDATE kiosks", kiosk_seen_sql, &p, NULL);
    }
    if (rc == 0)
        rc = commit(s);
    if (rc < 0)
        rollback(s);
    return rc;
}

/* ---- Multi-row statements: "PREFIX ($1, ..., $k), (...) SUFFIX" with
 *      rows × k values; numbers printed into slots, texts borrowed or
 *      owned (freed with the statement). */
typedef struct {
    int ncols, rows, cap_rows;
    const char **v;
    char (*num)[32];
    char **owned;
    int n_owned;
    bool oom;
} multi_t;

static int multi_init(multi_t *m, int ncols, int cap_rows)
{
    memset(m, 0, sizeof *m);
    m->ncols = ncols;
    m->cap_rows = cap_rows;
    m->v = calloc((size_t)(ncols * cap_rows), sizeof *m->v);
    m->num = calloc((size_t)(ncols * cap_rows), sizeof *m->num);
    m->owned = calloc((size_t)(ncols * cap_rows), sizeof *m->owned);
    return m->v && m->num && m->owned ? 0 : PROTO_ENOMEM;
}

static void multi_clear(multi_t *m)
{
    for (int i = 0; i < m->n_owned; i++)
        free(m->owned[i]);
    m->n_owned = 0;
    m->rows = 0;
}

static void multi_free(multi_t *m)
{
    if (m->owned)
        multi_clear(m);
    free(m->v);
    free(m->num);
    free(m->owned);
    memset(m, 0, sizeof *m);
}

static int m_slot(multi_t *m, int col)
{
    return m->rows * m->ncols + col;
}

static void m_text(multi_t *m, int col, const char *v)
{
    m->v[m_slot(m, col)] = v;
}

static void m_own(multi_t *m, int col, const char *v, size_t len)
{
    char *c = malloc(len + 1);

    if (c == NULL) {
        m->oom = true;
        m->v[m_slot(m, col)] = "";
        return;
    }
    memcpy(c, v, len);
    c[len] = '\0';
    m->owned[m->n_owned++] = c;
    m->v[m_slot(m, col)] = c;
}

static void m_i64(multi_t *m, int col, int64_t v)
{
    int i = m_slot(m, col);

    snprintf(m->num[i], sizeof m->num[i], "%" PRId64, v);
    m->v[i] = m->num[i];
}

static void m_double(multi_t *m, int col, double v)
{
    int i = m_slot(m, col);

    snprintf(m->num[i], sizeof m->num[i], "%.17g", v);
    m->v[i] = m->num[i];
}

/* Sends the rows gathered so far (if any) and empties m. */
static int multi_flush(pg_store_t *s, multi_t *m, const char *label,
                       const char *prefix, const char *suffix)
{
    syncd_buf_t sql = {0};
    int rc = 0;

    if (m->rows == 0)
        return 0;
    if (m->oom) {
        rc = fail(s, PROTO_ENOMEM, "%s: out of memory", label);
        goto cleanup;
    }
    syncd_buf_str(&sql, prefix);
    for (int r = 0; r < m->rows; r++) {
        syncd_buf_str(&sql, r ? ",(" : " VALUES (");
        for (int c = 0; c < m->ncols; c++)
            syncd_buf_fmt(&sql, c ? ",$%d" : "$%d", r * m->ncols + c + 1);
        syncd_buf_add(&sql, ")", 1);
    }
    syncd_buf_str(&sql, suffix);
    if (sql.oom) {
        rc = fail(s, PROTO_ENOMEM, "%s: out of memory", label);
        goto cleanup;
    }
    {
        PGresult *r = q(s, label, sql.p, m->rows * m->ncols, m->v);

        rc = r ? 0 : PROTO_ESTORE;
        PQclear(r);
    }
cleanup:
    syncd_buf_free(&sql);
    multi_clear(m);
    return rc;
}

/* Adds one row (after its values were set) and sends a full chunk. */
static int multi_row_done(pg_store_t *s, multi_t *m, const char *label,
                          const char *prefix, const char *suffix)
{
    m->rows++;
    if (m->rows < m->cap_rows)
        return 0;
    return multi_flush(s, m, label, prefix, suffix);
}

/* ---- COPY: the batch's events go as one COPY ... FROM STDIN, the fastest
 *      way PostgreSQL takes rows (text format: \N for NULL, backslash,
 *      tab, newline and CR escaped). */

static void copy_row(syncd_buf_t *out, const char *const *vals, int n)
{
    for (int c = 0; c < n; c++) {
        const char *v = vals[c];

        if (c > 0)
            syncd_buf_add(out, "\t", 1);
        if (v == NULL) {
            syncd_buf_add(out, "\\N", 2);
            continue;
        }
        for (const char *run = v;; v++) {
            const char *esc = *v == '\\'   ? "\\\\"
                              : *v == '\t' ? "\\t"
                              : *v == '\n' ? "\\n"
                              : *v == '\r' ? "\\r"
                                           : NULL;

            if (esc == NULL && *v != '\0')
                continue;
            syncd_buf_add(out, run, (size_t)(v - run));
            if (*v == '\0')
                break;
            syncd_buf_add(out, esc, 2);
            run = v + 1;
        }
    }
    syncd_buf_add(out, "\n", 1);
}

/* Sends the lines gathered in data (if any) with sql, a COPY ... FROM
 * STDIN, and empties data. */
static int copy_flush(pg_store_t *s, const char *label, const char *sql,
                      syncd_buf_t *data)
{
    PGresult *r;
    int rc = 0;

    if (data->len == 0)
        return 0;
    if (data->oom) {
        syncd_buf_reset(data);
        return fail(s, PROTO_ENOMEM, "%s: out of memory", label);
    }
    r = PQexec(s->conn, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        rc = db_fail(s, label, r);
        PQclear(r);
        syncd_buf_reset(data);
        return rc;
    }
    PQclear(r);
    if (PQputCopyData(s->conn, data->p, (int)data->len) != 1 ||
        PQputCopyEnd(s->conn, NULL) != 1)
        rc = db_fail(s, label, NULL);
    /* the COPY's result, then NULL; read them all whatever happened */
    while ((r = PQgetResult(s->conn)) != NULL) {
        if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = db_fail(s, label, r);
        PQclear(r);
    }
    syncd_buf_reset(data);
    return rc;
}

/* ---- Ingest */

/* Rows per multi-row INSERT: 10 columns × 256 stays far below the
 * protocol's 65535 parameters. */
#define CHUNK_ROWS 256

static const char events_copy[] =
    "COPY events(kiosk_id, seq, type, site_id,"
    " staff_id, step_id, process_id, catalogue_version,"
    " captured_ms, received_ms, boot_id, mono_ms, day,"
    " quality, score, vote, suggestion_id, measures,"
    " note, kind, anonymous, title, body, points) FROM STDIN";
static const char dead_prefix[] =
    "INSERT INTO dead_letters(kiosk_id, seq, type, site_id,"
    " code, reason, captured_ms, received_ms, payload)";

/* A rollup_day key with what this batch adds to it; base is the row's
 * points before the batch, read (and the row locked) the first time a
 * capped check-in needs it. */
typedef struct {
    const char *day, *step, *staff;
    int64_t checkins, quality_sum, quality_n, ratings_n, ratings_sum;
    double points, base;
    bool have_base;
} day_delta_t;

typedef struct {
    const char *day, *step, *staff, *measure;
    double total;
} measure_delta_t;

typedef struct {
    const char *staff, *team;
} team_set_t;

typedef struct {
    day_delta_t *days;
    size_t n_days;
    measure_delta_t *measures;
    size_t n_measures;
    team_set_t *teams;
    size_t n_teams;
    /* suggestions and votes, applied after the rollups (lock order) */
    const syncd_ingest_item_t **later;
    size_t n_later;
    multi_t events, dead; /* events: one row's values, then COPY text */
    syncd_buf_t json, copy;
} batch_t;

static void batch_free(batch_t *b)
{
    free(b->days);
    free(b->measures);
    free(b->teams);
    free(b->later);
    multi_free(&b->events);
    multi_free(&b->dead);
    syncd_buf_free(&b->json);
    syncd_buf_free(&b->copy);
}

static day_delta_t *day_delta(batch_t *b, const syncd_ingest_item_t *item)
{
    const proto_event_t *ev = item->event;

    for (size_t i = 0; i < b->n_days; i++)
        if (strcmp(b->days[i].day, item->day) == 0 &&
            strcmp(b->days[i].step, ev->step_id) == 0 &&
            strcmp(b->days[i].staff, ev->staff_id) == 0)
            return &b->days[i];
    memset(&b->days[b->n_days], 0, sizeof b->days[0]);
    b->days[b->n_days].day = item->day;
    b->days[b->n_days].step = ev->step_id;
    b->days[b->n_days].staff = ev->staff_id;
    return &b->days[b->n_days++];
}

static void measure_add(batch_t *b, const syncd_ingest_item_t *item,
                        const char *key, double v)
{
    const proto_event_t *ev = item->event;
    measure_delta_t *m;

    for (size_t i = 0; i < b->n_measures; i++) {
        m = &b->measures[i];
        if (strcmp(m->day, item->day) == 0 &&
            strcmp(m->step, ev->step_id) == 0 &&
            strcmp(m->staff, ev->staff_id) == 0 &&
            strcmp(m->measure, key) == 0) {
            m->total += v;
            return;
        }
    }
    m = &b->measures[b->n_measures++];
    m->day = item->day;
    m->step = ev->step_id;
    m->staff = ev->staff_id;
    m->measure = key;
    m->total = v;
}

static void team_set(batch_t *b, const syncd_ingest_item_t *item)
{
    if (item->team_id == NULL || item->team_id[0] == '\0')
        return;
    for (size_t i = 0; i < b->n_teams; i++)
        if (strcmp(b->teams[i].staff, item->event->staff_id) == 0) {
            b->teams[i].team = item->team_id; /* the latest check-in's */
            return;
        }
    b->teams[b->n_teams].staff = item->event->staff_id;
    b->teams[b->n_teams++].team = item->team_id;
}

/* The kiosk's high-water mark, its row locked until the batch commits;
 * PROTO_EDENIED when unknown or revoked. */
static int kiosk_mark(pg_store_t *s, const char *kiosk_id, uint64_t *mark)
{
    params_t p = {.n = 0};
    PGresult *r;
    int rc = 0;

    p_text(&p, kiosk_id);
    r = qp(s, "SELECT kiosks",
           "SELECT acked_seq, revoked FROM kiosks WHERE kiosk_id = $1"
           " FOR UPDATE",
           &p);
    if (r == NULL)
        return PROTO_ESTORE;
    if (PQntuples(r) == 0)
        rc = fail(s, PROTO_EDENIED,
                  "kiosk \"%s\" is not enrolled; enrol it with syncctl "
                  "enrol before it pushes",
                  kiosk_id);
    else if (v_i64(r, 0, 1) != 0)
        rc = fail(s, PROTO_EDENIED,
                  "kiosk \"%s\" is revoked; its events are refused until "
                  "it is enrolled again",
                  kiosk_id);
    else
        *mark = v_u64(r, 0, 0);
    PQclear(r);
    return rc;
}

/* The next value of the feed's change counter (its row stays locked until
 * the transaction ends, so change ids commit in order). */
static int next_change(pg_store_t *s, int64_t *change_id)
{
    PGresult *r = q(s, "UPDATE meta change_counter",
                    "UPDATE meta SET value = value + 1"
                    " WHERE key = 'change_counter' RETURNING value",
                    0, NULL);

    if (r == NULL)
        return PROTO_ESTORE;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return fail(s, PROTO_ESTORE,
                    "meta has no change_counter; the store is damaged, "
                    "restore it from a backup");
    }
    *change_id = v_i64(r, 0, 0);
    PQclear(r);
    return 0;
}

static int cmp_days(const void *a, const void *b)
{
    const day_delta_t *x = a, *y = b;
    int c = strcmp(x->day, y->day);

    if (c == 0)
        c = strcmp(x->step, y->step);
    return c ? c : strcmp(x->staff, y->staff);
}

/* Before the batch's events, when a check-in of it is capped: the points
 * already in rollup_day for every key the batch adds to, those rows
 * locked (created empty if need be: each gets a check-in or rating in
 * this batch) by one multi-row upsert that changes nothing, in key order.
 * Every key, not only the capped ones: the rollup upsert after the events
 * then takes no rollup_day lock this batch does not hold, so each batch
 * locks rollup_day rows in one sorted pass. Locking the capped keys first
 * and the rest later let two batches each hold a row the other waited
 * for (a deadlock PostgreSQL broke by failing one of them). */
static int points_bases(pg_store_t *s, batch_t *b, const char *site_id,
                        const syncd_ingest_item_t *items, size_t n,
                        uint64_t mark)
{
    static const char prefix[] =
        "INSERT INTO rollup_day(site_id, day, step_id, staff_id)";
    static const char suffix[] = " ON CONFLICT(site_id, day, step_id, staff_id)"
                                 " DO UPDATE SET points = rollup_day.points"
                                 " RETURNING day, step_id, staff_id, points";
    syncd_buf_t sql = {0};
    const char **vals = NULL;
    PGresult *r = NULL;
    int rc = 0;

    bool capped = false;

    for (size_t i = 0; i < n && !capped; i++)
        capped = items[i].event->seq > mark && items[i].reject_code == 0 &&
                 items[i].event->type == PROTO_EV_CHECKIN &&
                 items[i].points_cap > 0;
    if (!capped)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].event->seq > mark && items[i].reject_code == 0 &&
            (items[i].event->type == PROTO_EV_CHECKIN ||
             items[i].event->type == PROTO_EV_RATING))
            day_delta(b, &items[i]);
    qsort(b->days, b->n_days, sizeof *b->days, cmp_days);
    vals = calloc(b->n_days * 3 + 1, sizeof *vals);
    if (vals == NULL)
        return fail(s, PROTO_ENOMEM, "out of memory");
    vals[0] = site_id;
    syncd_buf_str(&sql, prefix);
    for (size_t i = 0; i < b->n_days; i++) {
        vals[1 + 3 * i] = b->days[i].day;
        vals[2 + 3 * i] = b->days[i].step;
        vals[3 + 3 * i] = b->days[i].staff;
        syncd_buf_fmt(&sql, "%s($1,$%zu,$%zu,$%zu)", i ? "," : " VALUES ",
                      2 + 3 * i, 3 + 3 * i, 4 + 3 * i);
    }
    syncd_buf_str(&sql, suffix);
    if (sql.oom) {
        rc = fail(s, PROTO_ENOMEM, "out of memory");
        goto cleanup;
    }
    r = q(s, "SELECT rollup_day points", sql.p, (int)(b->n_days * 3 + 1), vals);
    if (r == NULL) {
        rc = PROTO_ESTORE;
        goto cleanup;
    }
    for (int row = 0; row < PQntuples(r); row++)
        for (size_t i = 0; i < b->n_days; i++) {
            day_delta_t *d = &b->days[i];

            if (strcmp(d->day, PQgetvalue(r, row, 0)) == 0 &&
                strcmp(d->step, PQgetvalue(r, row, 1)) == 0 &&
                strcmp(d->staff, PQgetvalue(r, row, 2)) == 0) {
                d->base = strtod(PQgetvalue(r, row, 3), NULL);
                d->have_base = true;
                break;
            }
        }
    for (size_t i = 0; i < b->n_days; i++)
        if (!b->days[i].have_base) {
            rc = fail(s, PROTO_ESTORE,
                      "rollup_day returned no points for day %s, step %s, "
                      "staff %s",
                      b->days[i].day, b->days[i].step, b->days[i].staff);
            goto cleanup;
        }
cleanup:
    PQclear(r);
    free(vals);
    syncd_buf_free(&sql);
    return rc;
}

static int event_row(pg_store_t *s, batch_t *b, const char *kiosk_id,
                     const char *site_id, const syncd_ingest_item_t *item,
                     double points, int64_t now_ms)
{
    const proto_event_t *ev = item->event;
    bool checkin = ev->type == PROTO_EV_CHECKIN;
    bool suggestion = ev->type == PROTO_EV_SUGGESTION;
    bool vote = ev->type == PROTO_EV_VOTE;
    bool rating = ev->type == PROTO_EV_RATING;
    multi_t *m = &b->events;

    for (int c = 0; c < m->ncols; c++)
        m_text(m, c, NULL);
    m_text(m, 0, kiosk_id);
    m_i64(m, 1, (int64_t)ev->seq);
    m_text(m, 2, syncd_event_type_name(ev->type));
    m_text(m, 3, site_id);
    m_text(m, 4, syncd_event_staff(ev));
    m_text(m, 5, vote ? "" : ev->step_id);
    m_text(m, 6, suggestion ? ev->process_id : "");
    if (checkin)
        m_i64(m, 7, (int64_t)ev->catalogue_version);
    m_i64(m, 8, ev->captured_ms);
    m_i64(m, 9, now_ms);
    m_i64(m, 10, (int64_t)ev->boot_id);
    m_i64(m, 11, (int64_t)ev->mono_ms);
    m_text(m, 12, item->day);
    if (checkin && ev->quality > 0)
        m_i64(m, 13, ev->quality);
    if (rating)
        m_i64(m, 14, ev->score);
    if (vote)
        m_i64(m, 15, ev->vote);
    m_text(m, 16, vote ? ev->suggestion_id : "");
    if (checkin) {
        syncd_buf_reset(&b->json);
        syncd_buf_measures(&b->json, ev);
        if (b->json.oom)
            return fail(s, PROTO_ENOMEM, "out of memory writing measures");
        m_own(m, 17, b->json.p, b->json.len);
        m_text(m, 18, ev->note);
    }
    if (suggestion) {
        m_text(m, 19, syncd_kind_name(ev->kind));
        m_i64(m, 20, ev->anonymous);
        m_text(m, 21, ev->title);
        m_text(m, 22, ev->body);
    }
    m_double(m, 23, points);
    if (m->oom)
        return fail(s, PROTO_ENOMEM, "out of memory writing events");
    copy_row(&b->copy, m->v, m->ncols);
    multi_clear(m);
    return 0;
}

static int dead_row(pg_store_t *s, batch_t *b, const char *kiosk_id,
                    const char *site_id, const syncd_ingest_item_t *item,
                    int64_t now_ms)
{
    const proto_event_t *ev = item->event;
    multi_t *m = &b->dead;

    syncd_buf_reset(&b->json);
    syncd_buf_event_json(&b->json, ev);
    if (b->json.oom)
        return fail(s, PROTO_ENOMEM,
                    "out of memory writing dead letter %s:%" PRIu64, kiosk_id,
                    ev->seq);
    m_text(m, 0, kiosk_id);
    m_i64(m, 1, (int64_t)ev->seq);
    m_text(m, 2, syncd_event_type_name(ev->type));
    m_text(m, 3, site_id);
    m_i64(m, 4, item->reject_code);
    m_text(m, 5,
           item->reason ? item->reason : proto_reject_name(item->reject_code));
    m_i64(m, 6, ev->captured_ms);
    m_i64(m, 7, now_ms);
    m_own(m, 8, b->json.p, b->json.len);
    return multi_row_done(s, m, "INSERT dead_letters", dead_prefix, "");
}

static int suggestion_insert(pg_store_t *s, const char *kiosk_id,
                             const char *site_id, const proto_event_t *ev,
                             int64_t now_ms)
{
    char id[PROTO_ID_MAX + 32];
    int64_t change_id;
    params_t p = {.n = 0};
    int rc;

    if ((rc = next_change(s, &change_id)) < 0)
        return rc;
    snprintf(id, sizeof id, "%s:%" PRIu64, kiosk_id, ev->seq);
    p_text(&p, id);
    p_text(&p, site_id);
    p_text(&p, kiosk_id);
    p_u64(&p, ev->seq);
    p_text(&p, syncd_kind_name(ev->kind));
    p_text(&p, ev->title);
    p_text(&p, ev->body);
    p_text(&p, ev->process_id);
    p_text(&p, ev->step_id);
    p_text(&p, syncd_event_staff(ev));
    p_i64(&p, ev->anonymous);
    p_i64(&p, ev->captured_ms);
    p_i64(&p, now_ms);
    p_i64(&p, change_id);
    return run(s, "INSERT suggestions",
               "INSERT INTO suggestions(id, site_id, kiosk_id,"
               " seq, kind, title, body, process_id, step_id,"
               " author_id, anonymous, created_ms, updated_ms,"
               " change_id) VALUES ($1, $2, $3, $4, $5, $6, $7,"
               " $8, $9, $10, $11, $12, $13, $14)",
               &p, NULL);
}

/* Where a vote for id counts: id itself, or the suggestion it was merged
 * into (following a chain of merges, at most 8 deep). 0 when id is not in
 * the store (*found false). */
static int merged_target(pg_store_t *s, const char *id,
                         char target[PROTO_ID_MAX + 1], bool *found)
{
    *found = false;
    snprintf(target, PROTO_ID_MAX + 1, "%s", id);
    for (int depth = 0; depth < 8; depth++) {
        params_t p = {.n = 0};
        PGresult *r;
        const char *next;

        p_text(&p, target);
        r = qp(s, "SELECT suggestions merged_into",
               "SELECT merged_into FROM suggestions WHERE id = $1", &p);
        if (r == NULL)
            return PROTO_ESTORE;
        if (PQntuples(r) == 0) {
            PQclear(r);
            return 0;
        }
        *found = true;
        next = PQgetvalue(r, 0, 0);
        if (next[0] == '\0') {
            PQclear(r);
            return 0;
        }
        snprintf(target, PROTO_ID_MAX + 1, "%s", next);
        PQclear(r);
    }
    return 0;
}

/* As store_sqlite.c: +1 adds the voter's row once, 0 withdraws it; the
 * count and change_id move only when a row did; a vote for a suggestion
 * the store does not hold changes nothing. */
static int vote_apply(pg_store_t *s, const proto_event_t *ev, int64_t now_ms)
{
    char target[PROTO_ID_MAX + 1];
    int64_t change_id;
    params_t p = {.n = 0};
    long changed = 0;
    bool found;
    int rc;

    if ((rc = merged_target(s, ev->suggestion_id, target, &found)) < 0 ||
        !found)
        return rc;
    p_text(&p, target);
    p_text(&p, ev->staff_id);
    if (ev->vote) {
        p_i64(&p, ev->captured_ms);
        rc = run(s, "INSERT votes",
                 "INSERT INTO votes(suggestion_id, staff_id, created_ms)"
                 " VALUES ($1, $2, $3)"
                 " ON CONFLICT(suggestion_id, staff_id) DO NOTHING",
                 &p, &changed);
    } else {
        rc = run(s, "DELETE votes",
                 "DELETE FROM votes WHERE suggestion_id = $1"
                 " AND staff_id = $2",
                 &p, &changed);
    }
    if (rc < 0 || changed == 0)
        return rc;
    if ((rc = next_change(s, &change_id)) < 0)
        return rc;
    p.n = 0;
    p_text(&p, target);
    p_i64(&p, ev->vote ? 1 : -1);
    p_i64(&p, now_ms);
    p_i64(&p, change_id);
    return run(s, "UPDATE suggestions",
               "UPDATE suggestions SET votes = votes + $2,"
               " updated_ms = $3, change_id = $4 WHERE id = $1",
               &p, NULL);
}

/* The site's standings changed: they take the next change_id. */
static int standings_changed(pg_store_t *s, const char *site_id,
                             const char *day)
{
    int64_t change_id;
    params_t p = {.n = 0};
    int rc;

    if ((rc = next_change(s, &change_id)) < 0)
        return rc;
    p_text(&p, site_id);
    p_i64(&p, change_id);
    p_text(&p, day);
    return run(s, "UPSERT site_points",
               "INSERT INTO site_points(site_id, change_id, last_day)"
               " VALUES ($1, $2, $3) ON CONFLICT(site_id) DO UPDATE"
               " SET change_id = excluded.change_id,"
               " last_day = GREATEST(site_points.last_day,"
               " excluded.last_day)",
               &p, NULL);
}

/* One accepted event: its row and its share of the rollups; suggestions
 * and votes wait in b->later for their turn after the rollups. */
static int accepted_add(pg_store_t *s, batch_t *b, const char *kiosk_id,
                        const char *site_id, const syncd_ingest_item_t *item,
                        int64_t now_ms, double *earned)
{
    const proto_event_t *ev = item->event;
    double points = item->points;
    day_delta_t *d = NULL;
    int rc;

    if (ev->type == PROTO_EV_CHECKIN || ev->type == PROTO_EV_RATING)
        d = day_delta(b, item);
    if (ev->type == PROTO_EV_CHECKIN && item->points_cap > 0)
        /* d->base was read under lock by points_bases() */
        points =
            syncd_points_capped(points, item->points_cap, d->base + d->points);
    *earned = points;
    if ((rc = event_row(s, b, kiosk_id, site_id, item, points, now_ms)) < 0)
        return rc;
    switch (ev->type) {
    case PROTO_EV_CHECKIN:
        d->checkins++;
        d->quality_sum += ev->quality;
        d->quality_n += ev->quality > 0;
        d->points += points;
        for (uint32_t i = 0; i < ev->n_measures; i++)
            measure_add(b, item, ev->measures[i].key, ev->measures[i].value);
        team_set(b, item);
        return 0;
    case PROTO_EV_RATING:
        d->points += points;
        d->ratings_n++;
        d->ratings_sum += ev->score;
        return 0;
    case PROTO_EV_SUGGESTION:
    case PROTO_EV_VOTE:
        b->later[b->n_later++] = item;
        return 0;
    }
    return 0;
}

static int cmp_measures(const void *a, const void *b)
{
    const measure_delta_t *x = a, *y = b;
    int c = strcmp(x->day, y->day);

    if (c == 0)
        c = strcmp(x->step, y->step);
    if (c == 0)
        c = strcmp(x->staff, y->staff);
    return c ? c : strcmp(x->measure, y->measure);
}

/* The rollup deltas and team changes, as multi-row upserts in key order. */
static int rollups_write(pg_store_t *s, batch_t *b, const char *site_id)
{
    static const char day_prefix[] =
        "INSERT INTO rollup_day(site_id, day, step_id, staff_id, checkins,"
        " quality_sum, quality_n, points, ratings_n, ratings_sum)";
    static const char day_suffix[] =
        " ON CONFLICT(site_id, day, step_id, staff_id) DO UPDATE SET"
        " checkins = rollup_day.checkins + excluded.checkins,"
        " quality_sum = rollup_day.quality_sum + excluded.quality_sum,"
        " quality_n = rollup_day.quality_n + excluded.quality_n,"
        " points = rollup_day.points + excluded.points,"
        " ratings_n = rollup_day.ratings_n + excluded.ratings_n,"
        " ratings_sum = rollup_day.ratings_sum + excluded.ratings_sum";
    static const char measure_prefix[] =
        "INSERT INTO rollup_measure(site_id, day, step_id, staff_id,"
        " measure, total)";
    static const char measure_suffix[] =
        " ON CONFLICT(site_id, day, step_id, staff_id, measure)"
        " DO UPDATE SET total = rollup_measure.total + excluded.total";
    static const char team_prefix[] =
        "INSERT INTO staff_team(site_id, staff_id, team_id)";
    static const char team_suffix[] =
        " ON CONFLICT(site_id, staff_id) DO UPDATE SET"
        " team_id = excluded.team_id"
        " WHERE staff_team.team_id <> excluded.team_id";
    multi_t m = {0};
    int rc;

    qsort(b->days, b->n_days, sizeof *b->days, cmp_days);
    qsort(b->measures, b->n_measures, sizeof *b->measures, cmp_measures);
    if ((rc = multi_init(&m, 10, CHUNK_ROWS)) < 0) {
        rc = fail(s, rc, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < b->n_days; i++) {
        const day_delta_t *d = &b->days[i];

        m_text(&m, 0, site_id);
        m_text(&m, 1, d->day);
        m_text(&m, 2, d->step);
        m_text(&m, 3, d->staff);
        m_i64(&m, 4, d->checkins);
        m_i64(&m, 5, d->quality_sum);
        m_i64(&m, 6, d->quality_n);
        m_double(&m, 7, d->points);
        m_i64(&m, 8, d->ratings_n);
        m_i64(&m, 9, d->ratings_sum);
        if ((rc = multi_row_done(s, &m, "UPSERT rollup_day", day_prefix,
                                 day_suffix)) < 0)
            goto cleanup;
    }
    if ((rc = multi_flush(s, &m, "UPSERT rollup_day", day_prefix, day_suffix)) <
        0)
        goto cleanup;
    m.ncols = 6; /* fewer columns fit the same slots */
    for (size_t i = 0; i < b->n_measures; i++) {
        const measure_delta_t *d = &b->measures[i];

        m_text(&m, 0, site_id);
        m_text(&m, 1, d->day);
        m_text(&m, 2, d->step);
        m_text(&m, 3, d->staff);
        m_text(&m, 4, d->measure);
        m_double(&m, 5, d->total);
        if ((rc = multi_row_done(s, &m, "UPSERT rollup_measure", measure_prefix,
                                 measure_suffix)) < 0)
            goto cleanup;
    }
    if ((rc = multi_flush(s, &m, "UPSERT rollup_measure", measure_prefix,
                          measure_suffix)) < 0)
        goto cleanup;
    m.ncols = 3;
    for (size_t i = 0; i < b->n_teams; i++) {
        m_text(&m, 0, site_id);
        m_text(&m, 1, b->teams[i].staff);
        m_text(&m, 2, b->teams[i].team);
        if ((rc = multi_row_done(s, &m, "UPSERT staff_team", team_prefix,
                                 team_suffix)) < 0)
            goto cleanup;
    }
    rc = multi_flush(s, &m, "UPSERT staff_team", team_prefix, team_suffix);
cleanup:
    multi_free(&m);
    return rc;
}

static int pg_ingest(syncd_store_t *self, const char *kiosk_id,
                     const char *site_id, const syncd_ingest_item_t *items,
                     size_t n, int64_t now_ms, syncd_ingest_result_t *res)
{
    pg_store_t *s = impl(self);
    syncd_ingest_result_t r = {0};
    batch_t b = {0};
    char points_day[11] = "", why[300];
    size_t measures = 0;
    int rc;

    if ((rc = start_op(s, "ingest")) < 0)
        return rc;
    if ((rc = syncd_store_batch_check(items, n, why, sizeof why)) < 0)
        return fail(s, rc, "%s", why);
    for (size_t i = 0; i < n; i++)
        measures += items[i].event->n_measures;
    b.days = calloc(n ? n : 1, sizeof *b.days);
    b.measures = calloc(measures ? measures : 1, sizeof *b.measures);
    b.teams = calloc(n ? n : 1, sizeof *b.teams);
    b.later = calloc(n ? n : 1, sizeof *b.later);
    if (b.days == NULL || b.measures == NULL || b.teams == NULL ||
        b.later == NULL || multi_init(&b.events, 24, 1) < 0 ||
        multi_init(&b.dead, 9, CHUNK_ROWS) < 0) {
        rc = fail(s, PROTO_ENOMEM, "out of memory for a batch of %zu", n);
        goto cleanup;
    }
    if ((rc = begin(s)) < 0 ||
        (rc = kiosk_mark(s, kiosk_id, &r.acked_seq)) < 0 ||
        (rc = points_bases(s, &b, site_id, items, n, r.acked_seq)) < 0)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        const syncd_ingest_item_t *item = &items[i];

        if (item->event->seq <= r.acked_seq) {
            r.duplicates++;
            continue;
        }
        if (item->reject_code != 0) {
            rc = dead_row(s, &b, kiosk_id, site_id, item, now_ms);
            r.rejected++;
        } else {
            double earned = 0;

            rc = accepted_add(s, &b, kiosk_id, site_id, item, now_ms, &earned);
            r.accepted++;
            if (earned != 0 && strcmp(item->day, points_day) > 0)
                memcpy(points_day, item->day, sizeof points_day);
        }
        if (rc < 0)
            goto cleanup;
        r.acked_seq = item->event->seq;
    }
    if ((rc = copy_flush(s, "COPY events", events_copy, &b.copy)) < 0 ||
        (rc = multi_flush(s, &b.dead, "INSERT dead_letters", dead_prefix, "")) <
            0 ||
        (rc = rollups_write(s, &b, site_id)) < 0)
        goto cleanup;
    /* Suggestions and votes take change ids, which lock meta's counter
     * row: only after every rollup row, so that all batches lock kiosk,
     * then rollups, then meta, and two cannot wait for each other. In seq
     * order, so their change ids are those SQLite gives. */
    for (size_t i = 0; i < b.n_later; i++) {
        const proto_event_t *ev = b.later[i]->event;

        rc = ev->type == PROTO_EV_SUGGESTION
                 ? suggestion_insert(s, kiosk_id, site_id, ev, now_ms)
                 : vote_apply(s, ev, now_ms);
        if (rc < 0)
            goto cleanup;
    }
    if (points_day[0] != '\0' &&
        (rc = standings_changed(s, site_id, points_day)) < 0)
        goto cleanup;
    {
        params_t p = {.n = 0};

        p_text(&p, kiosk_id);
        p_u64(&p, r.acked_seq);
        p_i64(&p, now_ms);
        p_i64(&p, r.accepted);
        p_i64(&p, r.rejected);
        if ((rc = run(s, "UPDATE kiosks",
                      "UPDATE kiosks SET acked_seq = $2, last_sync_ms = $3,"
                      " last_seen_ms = GREATEST(last_seen_ms, $3),"
                      " events = events + $4, rejected = rejected + $5"
                      " WHERE kiosk_id = $1",
                      &p, NULL)) < 0)
            goto cleanup;
    }
    if ((rc = commit(s)) < 0)
        goto cleanup;
    *res = r;
cleanup:
    if (rc < 0)
        rollback(s);
    batch_free(&b);
    return rc;
}

static int pg_suggestion_exists(syncd_store_t *self, const char *id)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    PGresult *r;
    int rc;

    if ((rc = start_op(s, "suggestion exists")) < 0)
        return rc;
    p_text(&p, id);
    r = qp(s, "SELECT suggestions", "SELECT 1 FROM suggestions WHERE id = $1",
           &p);
    if (r == NULL)
        return PROTO_ESTORE;
    rc = PQntuples(r) > 0 ? 1 : 0;
    PQclear(r);
    return rc;
}

/* ---- Catalogue versions */

static int pg_catalogue_put(syncd_store_t *self, const char *yaml, size_t len,
                            int64_t now_ms, uint64_t *version)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    PGresult *r = NULL;
    char *text = NULL;
    int rc;

    if ((rc = start_op(s, "catalogue put")) < 0)
        return rc;
    if (memchr(yaml, '\0', len) != NULL)
        return fail(s, PROTO_EINVAL,
                    "the catalogue holds a NUL byte; save it as UTF-8 text");
    if ((text = malloc(len + 1)) == NULL)
        return fail(s, PROTO_ENOMEM, "out of memory");
    memcpy(text, yaml, len);
    text[len] = '\0';
    p_text(&p, text);
    p_i64(&p, now_ms);
    /* versions are numbered in publishing order, also across instances */
    if ((rc = begin(s)) < 0 ||
        (rc = run(s, "LOCK catalogue_versions",
                  "LOCK TABLE catalogue_versions IN EXCLUSIVE MODE", NULL,
                  NULL)) < 0)
        goto cleanup;
    r = qp(s, "INSERT catalogue_versions",
           "INSERT INTO catalogue_versions(version, yaml, published_ms)"
           " SELECT COALESCE(MAX(version), 0) + 1, $1, $2"
           " FROM catalogue_versions RETURNING version",
           &p);
    if (r == NULL || PQntuples(r) != 1) {
        rc = r ? fail(s, PROTO_ESTORE,
                      "INSERT catalogue_versions returned no version")
               : PROTO_ESTORE;
        goto cleanup;
    }
    *version = v_u64(r, 0, 0);
    rc = commit(s);
cleanup:
    PQclear(r);
    if (rc < 0)
        rollback(s);
    free(text);
    return rc;
}

static int catalogue_row(pg_store_t *s, const PGresult *r, uint64_t *version,
                         char **yaml, size_t *len)
{
    size_t n = (size_t)PQgetlength(r, 0, 1);
    char *copy = malloc(n + 1);

    if (copy == NULL)
        return fail(s, PROTO_ENOMEM, "out of memory reading catalogue");
    memcpy(copy, PQgetvalue(r, 0, 1), n);
    copy[n] = '\0';
    if (version)
        *version = v_u64(r, 0, 0);
    *yaml = copy;
    *len = n;
    return 0;
}

static int pg_catalogue_current(syncd_store_t *self, uint64_t *version,
                                char **yaml, size_t *len)
{
    pg_store_t *s = impl(self);
    PGresult *r;
    int rc;

    if ((rc = start_op(s, "catalogue current")) < 0)
        return rc;
    r = q(s, "SELECT catalogue_versions",
          "SELECT version, yaml FROM catalogue_versions"
          " ORDER BY version DESC LIMIT 1",
          0, NULL);
    if (r == NULL)
        return PROTO_ESTORE;
    if (PQntuples(r) == 1)
        rc = catalogue_row(s, r, version, yaml, len);
    PQclear(r);
    return rc; /* none yet: 0 with version 0 and NULL */
}

static int pg_catalogue_get(syncd_store_t *self, uint64_t version, char **yaml,
                            size_t *len)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    PGresult *r;
    int rc;

    if ((rc = start_op(s, "catalogue get")) < 0)
        return rc;
    p_u64(&p, version);
    r = qp(s, "SELECT catalogue_versions",
           "SELECT version, yaml FROM catalogue_versions WHERE version = $1",
           &p);
    if (r == NULL)
        return PROTO_ESTORE;
    if (PQntuples(r) == 1)
        rc = catalogue_row(s, r, NULL, yaml, len);
    else
        rc = fail(s, PROTO_ENOTFOUND,
                  "no catalogue version %" PRIu64
                  "; syncctl catalogue export shows the current one",
                  version);
    PQclear(r);
    return rc;
}

/* ---- Suggestions as rows */

/* Row i's first n columns as text, NULL for SQL NULL. */
static void row_texts(const PGresult *r, int i, int n, const char **cols)
{
    for (int c = 0; c < n; c++)
        cols[c] = val(r, i, c);
}

static int suggestion_from_row(pg_store_t *s, const PGresult *r, int i,
                               proto_suggestion_t *sg)
{
    const char *cols[SYNCD_FEED_NCOLS];

    row_texts(r, i, SYNCD_FEED_NCOLS, cols);
    if (syncd_suggestion_fill_proto(sg, cols) < 0)
        return fail(s, PROTO_ENOMEM, "out of memory filling the feed");
    return 0;
}

static void suggestion_release(syncd_suggestion_t *sg)
{
    proto_free(sg->s.title);
    proto_free(sg->s.body);
    proto_free(sg->s.feedback);
    memset(sg, 0, sizeof *sg);
}

/* Fills out from row i of a SYNCD_SUGGESTION_COLUMNS result. */
static int suggestion_row(pg_store_t *s, const PGresult *r, int i,
                          syncd_suggestion_t *out)
{
    const char *cols[SYNCD_SUGGESTION_NCOLS];

    row_texts(r, i, SYNCD_SUGGESTION_NCOLS, cols);
    if (syncd_suggestion_fill(out, cols) < 0)
        return fail(s, PROTO_ENOMEM, "out of memory filling the feed");
    return 0;
}

static int suggestion_rows(pg_store_t *s, const PGresult *r,
                           syncd_suggestion_t **out, size_t *n)
{
    int rows = PQntuples(r), rc;
    syncd_suggestion_t *list =
        calloc(rows > 0 ? (size_t)rows : 1, sizeof *list);

    if (list == NULL)
        return fail(s, PROTO_ENOMEM, "out of memory listing");
    for (int i = 0; i < rows; i++)
        if ((rc = suggestion_row(s, r, i, &list[i])) < 0) {
            syncd_suggestions_free(list, (size_t)i);
            return rc;
        }
    *out = list;
    *n = (size_t)rows;
    return 0;
}

/* Reads one suggestion inside the current operation, locked when the
 * caller is about to change it. */
static int suggestion_read(pg_store_t *s, const char *id, bool lock,
                           syncd_suggestion_t *out)
{
    params_t p = {.n = 0};
    PGresult *r;
    int rc;

    memset(out, 0, sizeof *out);
    p_text(&p, id);
    r = qp(s, "SELECT suggestions",
           lock ? "SELECT " SYNCD_SUGGESTION_COLUMNS
                  " FROM suggestions WHERE id = $1 FOR UPDATE"
                : "SELECT " SYNCD_SUGGESTION_COLUMNS
                  " FROM suggestions WHERE id = $1",
           &p);
    if (r == NULL)
        return PROTO_ESTORE;
    if (PQntuples(r) == 0)
        rc = fail(s, PROTO_ENOTFOUND,
                  "no suggestion \"%s\"; syncctl suggestions lists them "
                  "with their ids",
                  id);
    else
        rc = suggestion_row(s, r, 0, out);
    PQclear(r);
    return rc;
}

/* ---- Feed */

/* As store_sqlite.c feed_standings (docs/PROTOCOL.md §6.6): the ISO week
 * of the site's latest day with points, Monday to Sunday; points rounded
 * half away from zero, as SQLite's ROUND does. */
static const char standings_sql[] =
    "WITH w AS (SELECT to_char(d - (extract(isodow FROM d)::int - 1),"
    "  'YYYY-MM-DD') AS mon,"
    "  to_char(d + (7 - extract(isodow FROM d)::int), 'YYYY-MM-DD') AS sun"
    "  FROM (SELECT $2::date AS d) AS x),"
    " pts AS ("
    "  SELECT staff_id, points AS p FROM rollup_day, w"
    "  WHERE site_id = $1 AND day BETWEEN w.mon AND w.sun AND staff_id <> ''"
    "  UNION ALL"
    "  SELECT staff_id, points FROM points_awards, w"
    "  WHERE site_id = $1 AND day BETWEEN w.mon AND w.sun)"
    " SELECT p.staff_id, COALESCE(MIN(t.team_id), ''),"
    "  round(COALESCE(SUM(p.p), 0)::numeric)::bigint AS total"
    " FROM pts AS p LEFT JOIN staff_team AS t"
    "  ON t.site_id = $1 AND t.staff_id = p.staff_id"
    " GROUP BY p.staff_id ORDER BY total DESC, p.staff_id COLLATE \"C\""
    " LIMIT $3";

/* The site's leaderboard for the week of last_day, built by the query:
 * *rows (proto_malloc'd, the caller owns; NULL with none) and *n. */
static int query_standings(pg_store_t *s, const char *site_id,
                           const char *last_day, const char *week,
                           proto_standing_t **rows_out, uint32_t *n_out)
{
    params_t p = {.n = 0};
    PGresult *r;
    proto_standing_t *rows = NULL;
    int n;

    p_text(&p, site_id);
    p_text(&p, last_day);
    p_i64(&p, PROTO_MAX_STANDINGS);
    if ((r = qp(s, "SELECT standings", standings_sql, &p)) == NULL)
        return PROTO_ESTORE;
    n = PQntuples(r);
    if (n > 0 && (rows = proto_malloc((size_t)n * sizeof *rows)) == NULL) {
        PQclear(r);
        return fail(s, PROTO_ENOMEM, "out of memory filling the standings");
    }
    for (int i = 0; i < n; i++)
        syncd_standing_fill(rows, (uint32_t)i, week, val(r, i, 0),
                            val(r, i, 1), v_i64(r, i, 2));
    PQclear(r);
    *rows_out = rows;
    *n_out = (uint32_t)n;
    return 0;
}

static int feed_standings(pg_store_t *s, const char *site_id, uint64_t cursor,
                          proto_msg_t *msg)
{
    params_t p = {.n = 0};
    PGresult *r;
    proto_standing_t *rows = NULL;
    char last_day[11] = "", week[PROTO_SHORT_MAX + 1];
    uint64_t change_id;
    uint32_t n = 0;
    int rc;

    msg->u.feed.n_standings = 0;
    msg->u.feed.standings = NULL;
    p_text(&p, site_id);
    r = qp(s, "SELECT standings",
           "SELECT change_id, last_day FROM site_points WHERE site_id = $1",
           &p);
    if (r == NULL)
        return PROTO_ESTORE;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    change_id = v_u64(r, 0, 0);
    v_copy(r, 0, 1, last_day, sizeof last_day);
    PQclear(r);
    if (change_id <= cursor || syncd_iso_week(last_day, week) != 0)
        return 0;
    /* built once per change of the site's points (store_common.h) */
    rc = syncd_standings_cache_get(s->base.standings, site_id, change_id,
                                   &rows, &n);
    if (rc < 0)
        return fail(s, rc, "out of memory filling the standings");
    if (rc == 0) {
        if ((rc = query_standings(s, site_id, last_day, week, &rows, &n)) < 0)
            return rc;
        syncd_standings_cache_put(&s->base.standings, site_id, change_id,
                                  rows, n);
    }
    msg->u.feed.standings = rows;
    msg->u.feed.n_standings = n;
    if (!msg->u.feed.more && change_id > msg->u.feed.cursor)
        msg->u.feed.cursor = change_id;
    return 0;
}

static int pg_feed(syncd_store_t *self, const char *site_id, uint64_t cursor,
                   uint32_t max_items, proto_msg_t *msg)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    PGresult *r = NULL;
    int rc, rows;

    memset(msg, 0, sizeof *msg);
    msg->type = PROTO_MSG_FEED;
    msg->u.feed.cursor = cursor;
    if ((rc = start_op(s, "feed")) < 0)
        return rc;
    p_text(&p, site_id);
    p_u64(&p, cursor);
    p_i64(&p, (int64_t)max_items + 1); /* one more says "more" */
    /* one snapshot for the suggestions and the standings */
    if ((rc = run(s, "BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                  NULL, NULL)) < 0)
        goto cleanup;
    r = qp(s, "SELECT suggestions",
           "SELECT id, kind, status, title, body, process_id, step_id,"
           " author_id, votes, owner_id, due, feedback, merged_into,"
           " created_ms, updated_ms, change_id FROM suggestions"
           " WHERE site_id = $1 AND change_id > $2"
           " ORDER BY change_id LIMIT $3",
           &p);
    if (r == NULL) {
        rc = PROTO_ESTORE;
        goto cleanup;
    }
    rows = PQntuples(r);
    if ((uint32_t)rows > max_items) {
        msg->u.feed.more = true;
        rows = (int)max_items;
    }
    if (rows > 0) {
        msg->u.feed.suggestions =
            proto_malloc((size_t)rows * sizeof *msg->u.feed.suggestions);
        if (msg->u.feed.suggestions == NULL) {
            rc = fail(s, PROTO_ENOMEM, "out of memory filling the feed");
            goto cleanup;
        }
        memset(msg->u.feed.suggestions, 0,
               (size_t)rows * sizeof *msg->u.feed.suggestions);
    }
    for (int i = 0; i < rows; i++) {
        /* counted first, so proto_msg_clear() frees a half-filled one */
        proto_suggestion_t *sg =
            &msg->u.feed.suggestions[msg->u.feed.n_suggestions++];

        if ((rc = suggestion_from_row(s, r, i, sg)) < 0)
            goto cleanup;
        msg->u.feed.cursor = v_u64(r, i, 15);
    }
    if ((rc = feed_standings(s, site_id, cursor, msg)) < 0)
        goto cleanup;
    rc = commit(s);
cleanup:
    PQclear(r);
    if (rc < 0) {
        rollback(s);
        proto_msg_clear(msg);
    }
    return rc;
}

static uint64_t pg_feed_cursor(syncd_store_t *self, const char *site_id)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    PGresult *r;
    uint64_t cursor = 0;

    if (start_op(s, "feed cursor") < 0)
        return 0;
    p_text(&p, site_id);
    r = qp(s, "SELECT suggestions",
           "SELECT GREATEST((SELECT COALESCE(MAX(change_id), 0)"
           "  FROM suggestions WHERE site_id = $1),"
           " (SELECT COALESCE(MAX(change_id), 0) FROM site_points"
           "  WHERE site_id = $1))",
           &p);
    if (r != NULL && PQntuples(r) == 1)
        cursor = v_u64(r, 0, 0);
    PQclear(r);
    return cursor;
}

/* ---- Export (rows in the form store_common.c writes for both backends) */

static int export_flush(pg_store_t *s, syncd_buf_t *b, syncd_write_fn write,
                        void *ctx)
{
    int rc;

    if (b->oom)
        return fail(s, PROTO_ENOMEM, "out of memory writing a row");
    rc = write(ctx, b->p, b->len);
    syncd_buf_reset(b);
    if (rc != 0)
        return fail(s, rc < 0 ? rc : PROTO_EIO,
                    "the output refused the data (%d); nothing more written",
                    rc);
    return 0;
}

static int pg_export_events(syncd_store_t *self, syncd_export_format_t fmt,
                            syncd_export_page_t *page, syncd_write_fn write,
                            void *ctx)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    syncd_buf_t b = {0};
    PGresult *r = NULL;
    syncd_export_val_t vals[32];
    size_t written = 0;
    bool full = false;
    int rc;

    if ((rc = start_op(s, "export")) < 0)
        return rc;
    if (fmt == SYNCD_EXPORT_CSV && page->after_kiosk == NULL) {
        syncd_export_csv_header(&b);
        written += b.len;
        if ((rc = export_flush(s, &b, write, ctx)) < 0)
            goto cleanup;
    }
    p_text(&p, page->site_id);
    p_i64(&p, page->since_ms);
    p_i64(&p, page->until_ms);
    /* a later page starts after the last row of the one before */
    p_text(&p, page->after_kiosk);
    p_i64(&p, (int64_t)page->after_seq);
    /* a cursor, so a large export never sits in memory whole */
    if ((rc = run(s, "BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                  NULL, NULL)) < 0 ||
        (rc = run(s, "DECLARE export",
                  "DECLARE export NO SCROLL CURSOR FOR"
                  " SELECT kiosk_id, seq, type, site_id, staff_id, step_id,"
                  " process_id, catalogue_version, captured_ms, received_ms,"
                  " day, quality, score, vote, suggestion_id, measures, note,"
                  " points, kind, anonymous, title, body FROM events"
                  " WHERE ($1::text IS NULL OR site_id = $1)"
                  " AND ($2::bigint = 0 OR captured_ms >= $2)"
                  " AND ($3::bigint = 0 OR captured_ms < $3)"
                  " AND ($4::text IS NULL OR (kiosk_id COLLATE \"C\", seq)"
                  " > ($4::text COLLATE \"C\", $5::bigint))"
                  " ORDER BY kiosk_id COLLATE \"C\", seq",
                  &p, NULL)) < 0)
        goto cleanup;
    for (;;) {
        int rows;

        r = q(s, "FETCH export", "FETCH 1000 FROM export", 0, NULL);
        if (r == NULL) {
            rc = PROTO_ESTORE;
            goto cleanup;
        }
        rows = PQntuples(r);
        for (int i = 0; i < rows && !full; i++) {
            if (page->max_bytes && page->last_kiosk[0] &&
                written >= page->max_bytes) {
                page->more = full = true; /* a row waits past the end */
                break;
            }
            snprintf(page->last_kiosk, sizeof page->last_kiosk, "%s",
                     val(r, i, 0));
            page->last_seq = strtoull(val(r, i, 1), NULL, 10);
            for (size_t c = 0; c < syncd_export_ncols; c++)
                vals[c] = syncd_export_val_text(syncd_export_cols[c].kind,
                                                val(r, i, (int)c));
            syncd_export_row(&b, fmt == SYNCD_EXPORT_CSV, vals);
            written += b.len;
            if ((rc = export_flush(s, &b, write, ctx)) < 0)
                goto cleanup;
        }
        PQclear(r);
        r = NULL;
        if (rows == 0 || full)
            break;
    }
    rc = commit(s);
cleanup:
    PQclear(r);
    if (rc < 0)
        rollback(s);
    syncd_buf_free(&b);
    return rc;
}

/* ---- Counts */

static int pg_counts(syncd_store_t *self, syncd_store_counts_t *out)
{
    pg_store_t *s = impl(self);
    PGresult *r;
    int rc;

    if ((rc = start_op(s, "counts")) < 0)
        return rc;
    r = q(s, "SELECT counts",
          "SELECT (SELECT COUNT(*) FROM events),"
          " (SELECT COUNT(*) FROM dead_letters),"
          " (SELECT COUNT(*) FROM suggestions),"
          " (SELECT COUNT(*) FROM votes),"
          " (SELECT COUNT(*) FROM kiosks)",
          0, NULL);
    if (r == NULL)
        return PROTO_ESTORE;
    out->events = v_u64(r, 0, 0);
    out->dead_letters = v_u64(r, 0, 1);
    out->suggestions = v_u64(r, 0, 2);
    out->votes = v_u64(r, 0, 3);
    out->kiosks = v_u64(r, 0, 4);
    PQclear(r);
    return 0;
}

/* ---- Verification: as store_sqlite.c, rollups recomputed from raw events
 *      into temporary tables and compared both ways; sums of doubles
 *      within a relative 1e-9. */
static const char verify_setup[] =
    "CREATE TEMP TABLE verify_day ON COMMIT DROP AS"
    " SELECT site_id, day, step_id, staff_id,"
    "  SUM(CASE WHEN type = 'checkin' THEN 1 ELSE 0 END) AS checkins,"
    "  SUM(CASE WHEN type = 'checkin' THEN COALESCE(quality, 0) ELSE 0 END)"
    "   AS quality_sum,"
    "  SUM(CASE WHEN type = 'checkin' AND quality > 0 THEN 1 ELSE 0 END)"
    "   AS quality_n,"
    "  COALESCE(SUM(points), 0) AS points,"
    "  SUM(CASE WHEN type = 'rating' THEN 1 ELSE 0 END) AS ratings_n,"
    "  SUM(CASE WHEN type = 'rating' THEN score ELSE 0 END) AS ratings_sum"
    " FROM events WHERE type IN ('checkin', 'rating')"
    " GROUP BY site_id, day, step_id, staff_id;"
    "CREATE TEMP TABLE verify_measure ON COMMIT DROP AS"
    " SELECT e.site_id, e.day, e.step_id, e.staff_id, m.key AS measure,"
    "  COALESCE(SUM(m.value::float8), 0) AS total"
    " FROM events AS e, json_each_text(e.measures::json) AS m"
    " WHERE e.type = 'checkin'"
    " GROUP BY e.site_id, e.day, e.step_id, e.staff_id, m.key;";

#define NEAR(a, b) "abs(" a " - " b ") > 1e-9 * GREATEST(1.0, abs(" b "))"

/* The checks in the order of syncd_verify_check_t, as this dialect's
 * SQL; store_common.c reports what each finds. */
static const char *const verify_sql[SYNCD_VERIFY_NCHECKS] = {
    [SYNCD_VERIFY_DAY_MISSING] =
        "SELECT site_id, day, step_id, staff_id FROM verify_day EXCEPT"
        " SELECT site_id, day, step_id, staff_id FROM rollup_day LIMIT 1",
    [SYNCD_VERIFY_DAY_EXTRA] =
        "SELECT site_id, day, step_id, staff_id FROM rollup_day EXCEPT"
        " SELECT site_id, day, step_id, staff_id FROM verify_day LIMIT 1",
    [SYNCD_VERIFY_DAY_VALUES] =
        "SELECT r.site_id, r.day, r.step_id, r.staff_id,"
        " r.checkins, v.checkins, r.quality_sum, v.quality_sum,"
        " r.quality_n, v.quality_n, r.points, v.points,"
        " r.ratings_n, v.ratings_n, r.ratings_sum, v.ratings_sum"
        " FROM rollup_day AS r JOIN verify_day AS v"
        " USING (site_id, day, step_id, staff_id)"
        " WHERE r.checkins <> v.checkins OR r.quality_sum <> v.quality_sum"
        " OR r.quality_n <> v.quality_n OR r.ratings_n <> v.ratings_n"
        " OR r.ratings_sum <> v.ratings_sum OR " NEAR("r.points",
                                                      "v.points") " LIMIT 1",
    [SYNCD_VERIFY_MEASURE_MISSING] =
        "SELECT site_id, day, step_id, staff_id, measure"
        " FROM verify_measure EXCEPT"
        " SELECT site_id, day, step_id, staff_id, measure"
        " FROM rollup_measure LIMIT 1",
    [SYNCD_VERIFY_MEASURE_EXTRA] =
        "SELECT site_id, day, step_id, staff_id, measure"
        " FROM rollup_measure EXCEPT"
        " SELECT site_id, day, step_id, staff_id, measure"
        " FROM verify_measure LIMIT 1",
    [SYNCD_VERIFY_MEASURE_TOTAL] =
        "SELECT r.site_id, r.day, r.step_id, r.staff_id, r.measure,"
        " r.total, v.total"
        " FROM rollup_measure AS r JOIN verify_measure AS v"
        " USING (site_id, day, step_id, staff_id, measure)"
        " WHERE " NEAR("r.total", "v.total") " LIMIT 1",
    [SYNCD_VERIFY_VOTES] =
        "SELECT s.id, s.votes, COUNT(v.staff_id)"
        " FROM suggestions AS s"
        " LEFT JOIN votes AS v ON v.suggestion_id = s.id"
        " GROUP BY s.id HAVING s.votes <> COUNT(v.staff_id) LIMIT 1",
    [SYNCD_VERIFY_KIOSK_COUNTS] =
        "SELECT * FROM (SELECT k.kiosk_id, k.events,"
        "  (SELECT COUNT(*) FROM events AS e"
        "   WHERE e.kiosk_id = k.kiosk_id) AS n,"
        " k.rejected, (SELECT COUNT(*) FROM dead_letters AS d"
        "  WHERE d.kiosk_id = k.kiosk_id) AS nd FROM kiosks AS k) AS x"
        " WHERE events <> n OR rejected <> nd LIMIT 1",
    [SYNCD_VERIFY_KIOSK_ACKED] =
        "SELECT k.kiosk_id, k.acked_seq, MAX(e.seq) FROM kiosks AS k"
        " JOIN (SELECT kiosk_id, seq FROM events UNION ALL"
        "  SELECT kiosk_id, seq FROM dead_letters) AS e"
        "  ON e.kiosk_id = k.kiosk_id"
        " GROUP BY k.kiosk_id, k.acked_seq HAVING MAX(e.seq) > k.acked_seq"
        " LIMIT 1",
};

/* PostgreSQL's type oid of double precision (pg_type.h, stable). */
#define FLOAT8OID 701

static int verify_one(pg_store_t *s, size_t k, char *why, size_t why_len)
{
    const char *v[SYNCD_VERIFY_MAX_COLS] = {0};
    char num[SYNCD_VERIFY_MAX_COLS][40];
    PGresult *r = q(s, "verification", verify_sql[k], 0, NULL);

    if (r == NULL)
        return PROTO_ESTORE;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    for (int i = 0; i < syncd_verify_ncols(k) && i < SYNCD_VERIFY_MAX_COLS;
         i++) {
        if (PQgetisnull(r, 0, i)) {
            v[i] = "NULL";
        } else if (PQftype(r, i) == FLOAT8OID) {
            syncd_fmt_number(num[i], sizeof num[i],
                             strtod(PQgetvalue(r, 0, i), NULL));
            v[i] = num[i];
        } else {
            v[i] = PQgetvalue(r, 0, i);
        }
    }
    syncd_verify_report(k, v, why, why_len);
    PQclear(r);
    return fail(s, PROTO_ERANGE, "%s", why);
}

static int pg_verify_rollups(syncd_store_t *self, char *why, size_t why_len)
{
    pg_store_t *s = impl(self);
    int rc;

    if ((rc = start_op(s, "verify")) < 0) {
        snprintf(why, why_len, "%s", s->base.errmsg);
        return rc;
    }
    /* one snapshot for the recomputation and every comparison */
    if ((rc = run(s, "BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ", NULL,
                  NULL)) < 0 ||
        (rc = exec_script(s, "recompute rollups", verify_setup)) < 0)
        goto cleanup;
    for (size_t k = 0; k < (size_t)SYNCD_VERIFY_NCHECKS; k++)
        if ((rc = verify_one(s, k, why, why_len)) != 0)
            goto cleanup;
cleanup:
    rollback(s); /* nothing was written but temporary tables */
    if (rc != 0 && rc != PROTO_ERANGE)
        snprintf(why, why_len, "%s", s->base.errmsg);
    return rc;
}

/* ---- Suggestion lifecycle */

/* Runs one statement of text parameters (NULL = SQL NULL) followed by
 * integers; *changed as run(). */
static int exec_ti(pg_store_t *s, const char *label, const char *sql,
                   const char *const *texts, int n_texts, const int64_t *ints,
                   int n_ints, long *changed)
{
    params_t p = {.n = 0};

    for (int i = 0; i < n_texts; i++)
        p_text(&p, texts[i]);
    for (int i = 0; i < n_ints; i++)
        p_i64(&p, ints[i]);
    return run(s, label, sql, &p, changed);
}

static int history_add(pg_store_t *s, const syncd_suggestion_t *after,
                       const char *from, const char *manager, int64_t now_ms)
{
    const char *texts[] = {
        after->s.id,     manager,           from,
        after->s.status, after->s.owner_id, after->s.due,
        after->measure,  after->s.feedback, after->s.merged_into};

    return exec_ti(s, "INSERT suggestion_history",
                   "INSERT INTO suggestion_history(suggestion_id, manager,"
                   " from_status, to_status, owner_id, due, measure,"
                   " feedback, merged_into, at_ms)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                   texts, 9, &now_ms, 1, NULL);
}

static int award(pg_store_t *s, const syncd_suggestion_t *sg,
                 const char *status, double points, const char *day,
                 int64_t now_ms)
{
    const char *texts[] = {sg->s.id, status, sg->site_id, day, sg->s.author_id};
    int64_t ints[] = {(int64_t)points, now_ms};
    long changed = 0;
    int rc;

    if (sg->s.author_id[0] == '\0')
        return 0; /* anonymous: nobody to credit */
    rc = exec_ti(s, "INSERT points_awards",
                 "INSERT INTO points_awards(suggestion_id, status, site_id,"
                 " day, staff_id, points, created_ms)"
                 " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                 " ON CONFLICT(suggestion_id, status) DO NOTHING",
                 texts, 5, ints, 2, &changed);
    if (rc < 0 || changed == 0)
        return rc;
    return standings_changed(s, sg->site_id, day);
}

static int pg_suggestion_decide(syncd_store_t *self, const char *id,
                                const syncd_decision_t *d, int64_t now_ms)
{
    pg_store_t *s = impl(self);
    syncd_suggestion_t sg = {0};
    char from[PROTO_SHORT_MAX + 1], why[SYNCD_STORE_ERRMSG_MAX];
    int64_t change_id;
    int rc;

    if ((rc = start_op(s, "decide")) < 0)
        return rc;
    if ((rc = syncd_decision_check(d, why, sizeof why)) < 0)
        return fail(s, rc, "%s", why);
    if ((rc = begin(s)) < 0 || (rc = suggestion_read(s, id, true, &sg)) < 0)
        goto cleanup;
    snprintf(from, sizeof from, "%s", sg.s.status);
    if ((rc = syncd_decision_apply(&sg, from, d, why, sizeof why)) < 0) {
        rc = fail(s, rc, "%s", why);
        goto cleanup;
    }
    if ((rc = next_change(s, &change_id)) < 0)
        goto cleanup;
    {
        const char *texts[] = {id,         sg.s.status, sg.s.owner_id,
                               sg.s.due,   sg.measure,  sg.s.feedback,
                               sg.done_day};
        int64_t ints[] = {now_ms, change_id};

        if ((rc = exec_ti(s, "UPDATE suggestions",
                          "UPDATE suggestions SET status = $2,"
                          " owner_id = $3, due = $4, measure = $5,"
                          " feedback = $6, done_day = $7, updated_ms = $8,"
                          " change_id = $9 WHERE id = $1",
                          texts, 7, ints, 2, NULL)) < 0)
            goto cleanup;
    }
    if ((rc = history_add(s, &sg, from, d->manager, now_ms)) < 0)
        goto cleanup;
    if (strcmp(d->status, "accepted") == 0 ||
        strcmp(d->status, "in_progress") == 0 || strcmp(d->status, "done") == 0)
        rc = award(s, &sg, "accepted", SYNCD_POINTS_ACCEPTED, d->day, now_ms);
    if (rc == 0 && strcmp(d->status, "done") == 0)
        rc = award(s, &sg, "done", SYNCD_POINTS_DONE, d->day, now_ms);
    if (rc < 0 || (rc = commit(s)) < 0)
        goto cleanup;
cleanup:
    if (rc < 0)
        rollback(s);
    suggestion_release(&sg);
    return rc;
}

static int pg_suggestion_merge(syncd_store_t *self, const char *id,
                               const char *into, const char *manager,
                               int64_t now_ms)
{
    pg_store_t *s = impl(self);
    syncd_suggestion_t a = {0}, b = {0};
    char from[PROTO_SHORT_MAX + 1], why[SYNCD_STORE_ERRMSG_MAX];
    int64_t change_a, change_b;
    int rc;

    if ((rc = start_op(s, "merge")) < 0)
        return rc;
    if (strcmp(id, into) == 0)
        return fail(s, PROTO_EINVAL,
                    "suggestion %s cannot be merged into itself; "
                    "name the suggestion it duplicates",
                    id);
    if ((rc = begin(s)) < 0 || (rc = suggestion_read(s, id, true, &a)) < 0 ||
        (rc = suggestion_read(s, into, true, &b)) < 0)
        goto cleanup;
    if ((rc = syncd_merge_check(&a, &b, why, sizeof why)) < 0) {
        rc = fail(s, rc, "%s", why);
        goto cleanup;
    }
    snprintf(from, sizeof from, "%s", a.s.status);
    {
        const char *t2[] = {into, id};
        const char *t1[] = {id};
        const char *tb[] = {into};
        const char *ta[] = {id, into};

        /* the votes move; a staff member who voted for both counts once */
        if ((rc = exec_ti(s, "INSERT votes",
                          "INSERT INTO votes(suggestion_id, staff_id,"
                          " created_ms) SELECT $1, staff_id, created_ms"
                          " FROM votes WHERE suggestion_id = $2"
                          " ON CONFLICT(suggestion_id, staff_id) DO NOTHING",
                          t2, 2, NULL, 0, NULL)) < 0 ||
            (rc = exec_ti(s, "DELETE votes",
                          "DELETE FROM votes WHERE suggestion_id = $1", t1, 1,
                          NULL, 0, NULL)) < 0 ||
            (rc = next_change(s, &change_a)) < 0 ||
            (rc = next_change(s, &change_b)) < 0)
            goto cleanup;
        int64_t ia[] = {now_ms, change_a};
        int64_t ib[] = {now_ms, change_b};

        if ((rc = exec_ti(s, "UPDATE suggestions",
                          "UPDATE suggestions SET status = 'merged',"
                          " merged_into = $2, votes = 0, updated_ms = $3,"
                          " change_id = $4 WHERE id = $1",
                          ta, 2, ia, 2, NULL)) < 0 ||
            (rc = exec_ti(s, "UPDATE suggestions",
                          "UPDATE suggestions SET votes = (SELECT COUNT(*)"
                          " FROM votes WHERE suggestion_id = $1),"
                          " updated_ms = $2, change_id = $3 WHERE id = $1",
                          tb, 1, ib, 2, NULL)) < 0)
            goto cleanup;
    }
    snprintf(a.s.status, sizeof a.s.status, "merged");
    snprintf(a.s.merged_into, sizeof a.s.merged_into, "%s", into);
    if ((rc = history_add(s, &a, from, manager, now_ms)) < 0 ||
        (rc = commit(s)) < 0)
        goto cleanup;
cleanup:
    if (rc < 0)
        rollback(s);
    suggestion_release(&a);
    suggestion_release(&b);
    return rc;
}

static int pg_suggestion_get(syncd_store_t *self, const char *id,
                             syncd_suggestion_t *out)
{
    pg_store_t *s = impl(self);
    int rc;

    if ((rc = start_op(s, "suggestion")) < 0)
        return rc;
    return suggestion_read(s, id, false, out);
}

static int pg_suggestion_list(syncd_store_t *self, const char *site_id,
                              const char *status, syncd_suggestion_t **out,
                              size_t *n)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    PGresult *r;
    int rc;

    if ((rc = start_op(s, "suggestions")) < 0)
        return rc;
    if (status && !syncd_status_known(status))
        return fail(s, PROTO_EINVAL,
                    "status \"%s\" is not known; use new, review, "
                    "accepted, in_progress, done, rejected or merged",
                    status);
    p_text(&p, site_id);
    p_text(&p, status);
    r = qp(s, "SELECT suggestions",
           "SELECT " SYNCD_SUGGESTION_COLUMNS " FROM suggestions"
           " WHERE site_id = $1 AND ($2::text IS NULL OR status = $2)"
           " ORDER BY created_ms DESC, id COLLATE \"C\"",
           &p);
    if (r == NULL)
        return PROTO_ESTORE;
    rc = suggestion_rows(s, r, out, n);
    PQclear(r);
    return rc;
}

static int pg_suggestion_history(syncd_store_t *self, const char *id,
                                 syncd_history_t **out, size_t *n)
{
    pg_store_t *s = impl(self);
    params_t p = {.n = 0};
    syncd_history_t *list;
    PGresult *r;
    int rc, rows;

    if ((rc = start_op(s, "history")) < 0)
        return rc;
    p_text(&p, id);
    r = qp(s, "SELECT suggestion_history",
           "SELECT at_ms, manager, from_status, to_status, owner_id,"
           " due, measure, merged_into, feedback IS NOT NULL"
           " FROM suggestion_history WHERE suggestion_id = $1 ORDER BY id",
           &p);
    if (r == NULL)
        return PROTO_ESTORE;
    rows = PQntuples(r);
    list = calloc(rows > 0 ? (size_t)rows : 1, sizeof *list);
    if (list == NULL) {
        PQclear(r);
        return fail(s, PROTO_ENOMEM, "out of memory reading history");
    }
    for (int i = 0; i < rows; i++) {
        syncd_history_t *h = &list[i];

        h->at_ms = v_i64(r, i, 0);
        v_copy(r, i, 1, h->manager, sizeof h->manager);
        v_copy(r, i, 2, h->from_status, sizeof h->from_status);
        v_copy(r, i, 3, h->to_status, sizeof h->to_status);
        v_copy(r, i, 4, h->owner_id, sizeof h->owner_id);
        v_copy(r, i, 5, h->due, sizeof h->due);
        v_copy(r, i, 6, h->measure, sizeof h->measure);
        v_copy(r, i, 7, h->merged_into, sizeof h->merged_into);
        h->has_feedback = strcmp(PQgetvalue(r, i, 8), "t") == 0;
    }
    PQclear(r);
    *out = list;
    *n = (size_t)rows;
    return 0;
}

/* ---- Near-duplicate candidates (store.h syncd_store_similar_candidates):
 *      the site's suggestions not merged whose lower-cased text holds one
 *      of the normalised text's inner trigrams, or its first or last two
 *      code points (store_common.c picks them); those holding most
 *      trigrams first. */

/* Appends s to an array literal as one quoted element. */
static void array_elem(syncd_buf_t *b, const char *s, size_t n)
{
    syncd_buf_add(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            syncd_buf_add(b, "\\", 1);
        syncd_buf_add(b, &s[i], 1);
    }
    syncd_buf_add(b, "\"", 1);
}

static int pg_similar_candidates(syncd_store_t *self, const char *site_id,
                                 const char *text, size_t max,
                                 syncd_suggestion_t **out, size_t *n)
{
    pg_store_t *s = impl(self);
    size_t tlen = strlen(text), n_cp = 0;
    char *norm = malloc(tlen + 1);
    syncd_similar_terms_t terms;
    syncd_buf_t arr = {0};
    params_t p = {.n = 0};
    PGresult *r = NULL;
    int rc;

    if ((rc = start_op(s, "similar")) < 0)
        goto cleanup;
    if (norm == NULL) {
        rc = fail(s, PROTO_ENOMEM, "out of memory");
        goto cleanup;
    }
    if ((rc = syncd_similar_normalise(text, norm, tlen + 1, &n_cp)) < 0) {
        rc = fail(s, rc, "the text could not be normalised");
        goto cleanup;
    }
    if (n_cp < SYNCD_SIMILAR_MIN_CHARS || max == 0) {
        rc = 0;
        goto cleanup;
    }
    syncd_similar_terms(norm, &terms);
    syncd_buf_add(&arr, "{", 1);
    for (size_t i = 0; i < syncd_similar_ntrigrams(&terms); i++) {
        size_t len;
        const char *g = syncd_similar_trigram(&terms, i, &len);

        array_elem(&arr, g, len);
    }
    syncd_buf_add(&arr, "}", 1);
    if (arr.oom) {
        rc = fail(s, PROTO_ENOMEM, "out of memory");
        goto cleanup;
    }
    p_text(&p, site_id);
    p_text(&p, arr.p);
    p_text(&p, terms.head);
    p_text(&p, terms.tail);
    p_i64(&p, (int64_t)max);
    r = qp(s, "SELECT similar suggestions",
           "WITH c AS (SELECT " SYNCD_SUGGESTION_COLUMNS ","
           "  lower(title || ' ' || COALESCE(body, '')) AS t"
           "  FROM suggestions WHERE site_id = $1 AND status <> 'merged'),"
           " h AS (SELECT c.*, (SELECT COUNT(*) FROM unnest($2::text[])"
           "  AS g(x) WHERE strpos(c.t, g.x) > 0) AS hits FROM c)"
           " SELECT " SYNCD_SUGGESTION_COLUMNS " FROM h"
           " WHERE hits > 0 OR strpos(t, $3) > 0 OR strpos(t, $4) > 0"
           " ORDER BY hits DESC, id COLLATE \"C\" LIMIT $5",
           &p);
    if (r == NULL) {
        rc = PROTO_ESTORE;
        goto cleanup;
    }
    rc = suggestion_rows(s, r, out, n);
cleanup:
    PQclear(r);
    syncd_buf_free(&arr);
    free(norm);
    return rc < 0 ? rc : 0;
}

/* ---- Reports (store.h syncd_store_report): SQLite-dialect SQL from
 *      agenda.c. ?N becomes $N outside quoted strings and identifiers; the
 *      SQLite functions it calls exist in the schema (migration 3); a READ
 *      ONLY transaction is what refuses a statement that would write. */
static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

/* ?N → $N, and the type name INTEGER → BIGINT (SQLite's INTEGER is 64
 * bits: CAST(?2 AS INTEGER) of a time in ms must not overflow). */
static int translate(const char *sql, syncd_buf_t *out)
{
    char quote = 0;

    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '?' && p[1] >= '1' && p[1] <= '9') {
            syncd_buf_add(out, "$", 1);
            continue;
        } else if (*p == '?') {
            return PROTO_EINVAL; /* a bare ? has no number to map */
        } else if (strncasecmp(p, "INTEGER", 7) == 0 && !word_char(p[7]) &&
                   (p == sql || !word_char(p[-1]))) {
            syncd_buf_str(out, "BIGINT");
            p += 6;
            continue;
        }
        syncd_buf_add(out, p, 1);
    }
    return out->oom ? PROTO_ENOMEM : 0;
}

static int pg_report(syncd_store_t *self, const char *sql,
                     const char *const *args, size_t nargs, syncd_row_fn row,
                     void *ctx)
{
    pg_store_t *s = impl(self);
    syncd_buf_t text = {0};
    const char **cols = NULL;
    PGresult *r = NULL;
    const char *lead = sql;
    int rc, rows, ncol;

    if ((rc = start_op(s, "report")) < 0)
        return rc;
    while (*lead == ' ' || *lead == '\n' || *lead == '\t' || *lead == '(')
        lead++;
    if ((strncasecmp(lead, "SELECT", 6) != 0 &&
         strncasecmp(lead, "WITH", 4) != 0) ||
        translate(sql, &text) != 0 || nargs > 99) {
        rc = fail(s, PROTO_EINVAL,
                  "a report query must be one read-only SELECT with ?1..?N "
                  "parameters; fix the query in the caller");
        goto cleanup;
    }
    if ((rc = run(s, "BEGIN", "BEGIN READ ONLY", NULL, NULL)) < 0)
        goto cleanup;
    r = q(s, "report", text.p, (int)nargs, args);
    if (r == NULL) {
        rc = PROTO_ESTORE;
        goto cleanup;
    }
    rows = PQntuples(r);
    ncol = PQnfields(r);
    cols = calloc((size_t)(ncol > 0 ? ncol : 1), sizeof *cols);
    if (cols == NULL) {
        rc = fail(s, PROTO_ENOMEM, "out of memory reading a report");
        goto cleanup;
    }
    for (int i = 0; i < rows; i++) {
        for (int c = 0; c < ncol; c++)
            cols[c] = val(r, i, c);
        if ((rc = row(ctx, cols, (size_t)ncol)) != 0)
            goto cleanup;
    }
    rc = commit(s);
cleanup:
    free(cols);
    PQclear(r);
    syncd_buf_free(&text);
    if (PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
        if (rc == 0)
            rc = commit(s);
        else
            rollback(s);
    }
    return rc;
}

static const syncd_store_ops_t pg_ops = {
    .name = "postgresql",
    .destroy = pg_destroy,
    .schema_version = pg_schema_version,
    .kiosk_enrol = pg_kiosk_enrol,
    .kiosk_revoke = pg_kiosk_revoke,
    .kiosk_get = pg_kiosk_get,
    .kiosk_by_key = pg_kiosk_by_key,
    .kiosk_list = pg_kiosk_list,
    .kiosk_seen = pg_kiosk_seen,
    .kiosks_seen = pg_kiosks_seen,
    .ingest = pg_ingest,
    .suggestion_exists = pg_suggestion_exists,
    .catalogue_put = pg_catalogue_put,
    .catalogue_current = pg_catalogue_current,
    .catalogue_get = pg_catalogue_get,
    .feed = pg_feed,
    .feed_cursor = pg_feed_cursor,
    .export_events = pg_export_events,
    .counts = pg_counts,
    .verify_rollups = pg_verify_rollups,
    .suggestion_decide = pg_suggestion_decide,
    .suggestion_merge = pg_suggestion_merge,
    .suggestion_get = pg_suggestion_get,
    .suggestion_list = pg_suggestion_list,
    .suggestion_history = pg_suggestion_history,
    .report = pg_report,
    .similar_candidates = pg_similar_candidates,
};
