/*
 * migrate.c — copies an SQLite store into PostgreSQL (see migrate.h).
 *
 * Why a table copy and not the store interface: the interface speaks in
 * kiosks, batches and decisions, and replaying history through it would
 * recompute points, change ids and timestamps instead of keeping them. The
 * two backends keep the same tables with the same column names (store_pg.c
 * says so), so the copy is driven by the target's own catalogue: every
 * base table PostgreSQL has (but schema_version, which both stores keep
 * for themselves) is read column by column from SQLite and sent with COPY
 * in one transaction. A migration that adds a column is picked up without
 * a change here; a table or column only one side has stops the copy with
 * its name.
 *
 * Values travel as text: integers as written, REAL with 17 significant
 * digits (so points round-trip exactly), NULL as NULL. Identifiers come
 * from PostgreSQL's catalogue and are quoted; there are no SQL values
 * outside bound parameters and the COPY stream.
 *
 * Afterwards the copy is checked three ways: row counts per table equal,
 * rollup sums equal, and the target's rollups equal a recomputation from
 * its own events (the store's verify_rollups).
 */
#include "syncd/migrate.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "protocol/protocol.h"
#include "syncd/store.h"

#define COPY_CHUNK 65536

typedef struct {
    char *name;
    bool done;
} table_t;

typedef struct {
    const char *src; /* the SQLite file */
    char where[512]; /* the target URI without its password */
    sqlite3 *lite;
    PGconn *pg;
    FILE *out;
    char *err;
    size_t err_len;
    table_t *tables; /* the target's tables, in copy order once sorted */
    size_t n_tables;
    char (*refs)[2][128]; /* foreign keys: [table, referenced table] */
    size_t n_refs;
    char *buf; /* the COPY line being built */
    size_t len, cap;
} mig_t;

static int failf(mig_t *m, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failf(mig_t *m, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, m->err_len, fmt, ap);
    va_end(ap);
    return rc;
}

static void say(mig_t *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(mig_t *m, const char *fmt, ...)
{
    if (!m->out)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(m->out, fmt, ap);
    va_end(ap);
    fflush(m->out);
}

/* ---- PostgreSQL helpers */

static PGresult *pg_run(mig_t *m, const char *what, const char *sql,
                        int n_params, const char *const *params,
                        ExecStatusType want)
{
    PGresult *r =
        PQexecParams(m->pg, sql, n_params, NULL, params, NULL, NULL, 0);
    if (!r || PQresultStatus(r) != want) {
        failf(m, PROTO_ESTORE, "%s: %s on %s failed: %s", m->where, what,
              m->where, r ? PQresultErrorMessage(r) : PQerrorMessage(m->pg));
        m->err[strcspn(m->err, "\n")] = '\0';
        PQclear(r);
        return NULL;
    }
    return r;
}

static int pg_exec(mig_t *m, const char *what, const char *sql)
{
    PGresult *r = pg_run(m, what, sql, 0, NULL, PGRES_COMMAND_OK);
    if (!r)
        return PROTO_ESTORE;
    PQclear(r);
    return 0;
}

/* "name" quoted for PostgreSQL and SQLite alike (double quotes, inner
 * quotes doubled). Caller frees. */
static char *quote_ident(const char *name)
{
    size_t n = strlen(name);
    char *q = malloc(2 * n + 3);
    if (!q)
        return NULL;
    char *p = q;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '"')
            *p++ = '"';
        *p++ = name[i];
    }
    *p++ = '"';
    *p = '\0';
    return q;
}

/* ---- the line buffer */

static int put(mig_t *m, const char *s, size_t n)
{
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap < m->len + n)
            cap *= 2;
        char *nb = realloc(m->buf, cap);
        if (!nb)
            return failf(m, PROTO_ENOMEM, "out of memory copying rows");
        m->buf = nb;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, s, n);
    m->len += n;
    return 0;
}

/* One value in COPY's text format. */
static int put_value(mig_t *m, sqlite3_stmt *st, int col)
{
    char num[64];
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        return put(m, "\\N", 2);
    case SQLITE_INTEGER:
        snprintf(num, sizeof num, "%lld",
                 (long long)sqlite3_column_int64(st, col));
        return put(m, num, strlen(num));
    case SQLITE_FLOAT:
        snprintf(num, sizeof num, "%.17g", sqlite3_column_double(st, col));
        return put(m, num, strlen(num));
    case SQLITE_BLOB:
        return failf(m, PROTO_EINVAL,
                     "%s: column %s holds binary data, which no Stepwise "
                     "table stores; the file was changed by something else "
                     "than syncd; restore it from a backup",
                     m->src, sqlite3_column_name(st, col));
    default: {
        const unsigned char *t = sqlite3_column_text(st, col);
        int n = sqlite3_column_bytes(st, col);
        for (int i = 0; i < n; i++) {
            const char *esc = NULL;
            switch (t[i]) {
            case '\\':
                esc = "\\\\";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            case '\t':
                esc = "\\t";
                break;
            }
            int rc = esc ? put(m, esc, 2) : put(m, (const char *)&t[i], 1);
            if (rc)
                return rc;
        }
        return 0;
    }
    }
}

/* ---- which tables, in which order */

static bool is_table(const mig_t *m, const char *name)
{
    for (size_t i = 0; i < m->n_tables; i++)
        if (strcmp(m->tables[i].name, name) == 0)
            return true;
    return false;
}

static int load_tables(mig_t *m)
{
    PGresult *r = pg_run(
        m, "listing tables",
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        "   AND table_name <> 'schema_version' ORDER BY table_name",
        0, NULL, PGRES_TUPLES_OK);
    if (!r)
        return PROTO_ESTORE;
    int n = PQntuples(r);
    m->tables = calloc(n ? (size_t)n : 1, sizeof *m->tables);
    if (!m->tables) {
        PQclear(r);
        return failf(m, PROTO_ENOMEM, "out of memory listing tables");
    }
    for (int i = 0; i < n; i++) {
        m->tables[i].name = strdup(PQgetvalue(r, i, 0));
        if (!m->tables[i].name) {
            PQclear(r);
            return failf(m, PROTO_ENOMEM, "out of memory listing tables");
        }
        m->n_tables++;
    }
    PQclear(r);

    r = pg_run(m, "listing foreign keys",
               "SELECT cl.relname, rf.relname FROM pg_constraint c"
               " JOIN pg_class cl ON cl.oid = c.conrelid"
               " JOIN pg_class rf ON rf.oid = c.confrelid"
               " JOIN pg_namespace ns ON ns.oid = cl.relnamespace"
               " WHERE c.contype = 'f' AND ns.nspname = current_schema()",
               0, NULL, PGRES_TUPLES_OK);
    if (!r)
        return PROTO_ESTORE;
    n = PQntuples(r);
    m->refs = calloc(n ? (size_t)n : 1, sizeof *m->refs);
    if (!m->refs) {
        PQclear(r);
        return failf(m, PROTO_ENOMEM, "out of memory listing foreign keys");
    }
    for (int i = 0; i < n; i++) {
        snprintf(m->refs[i][0], sizeof m->refs[i][0], "%s",
                 PQgetvalue(r, i, 0));
        snprintf(m->refs[i][1], sizeof m->refs[i][1], "%s",
                 PQgetvalue(r, i, 1));
    }
    m->n_refs = (size_t)n;
    PQclear(r);

    /* Every table of the source must have somewhere to go: virtual tables
     * (the SQLite full-text index) and their shadow tables are rebuilt by
     * each backend in its own way, sqlite_* are SQLite's, and the ingest
     * journal is SQLite's own and empty here: opening the source as a
     * store to count it folded the journal (check_journal_empty). */
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(
            m->lite,
            "SELECT t.name FROM sqlite_master AS t"
            " WHERE t.type = 'table'"
            "   AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            "   AND t.name NOT IN ('schema_version', 'ingest_journal')"
            "   AND t.sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
            "   AND NOT EXISTS (SELECT 1 FROM sqlite_master AS v"
            "     WHERE v.type = 'table'"
            "       AND v.sql LIKE 'CREATE VIRTUAL TABLE%'"
            "       AND t.name LIKE v.name || '\\_%' ESCAPE '\\')"
            " ORDER BY t.name",
            -1, &st, NULL) != SQLITE_OK)
        return failf(m, PROTO_ESTORE, "%s: cannot list its tables: %s", m->src,
                     sqlite3_errmsg(m->lite));
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!is_table(m, name)) {
            rc = failf(m, PROTO_EINVAL,
                       "%s has a table \"%s\" that the PostgreSQL store has "
                       "not; this syncctl is older than the syncd that "
                       "wrote the file; migrate with the same version",
                       m->src, name);
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = failf(m, PROTO_ESTORE, "%s: cannot list its tables: %s", m->src,
                   sqlite3_errmsg(m->lite));
    sqlite3_finalize(st);
    return rc;
}

/* The next table whose referenced tables are all copied, or NULL. */
static table_t *next_table(mig_t *m)
{
    for (size_t i = 0; i < m->n_tables; i++) {
        table_t *t = &m->tables[i];
        if (t->done)
            continue;
        bool ready = true;
        for (size_t j = 0; j < m->n_refs && ready; j++) {
            if (strcmp(m->refs[j][0], t->name) != 0 ||
                strcmp(m->refs[j][1], t->name) == 0)
                continue;
            for (size_t k = 0; k < m->n_tables; k++)
                if (strcmp(m->tables[k].name, m->refs[j][1]) == 0 &&
                    !m->tables[k].done)
                    ready = false;
        }
        if (ready)
            return t;
    }
    return NULL;
}

/* ---- emptiness */

static int check_empty(mig_t *m)
{
    for (size_t i = 0; i < m->n_tables; i++) {
        const char *t = m->tables[i].name;
        char *qt = quote_ident(t);
        char sql[512];
        if (!qt)
            return failf(m, PROTO_ENOMEM, "out of memory");
        /* meta starts with the feed's counter at 0: empty all the same */
        if (strcmp(t, "meta") == 0)
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM %s WHERE NOT (key = "
                     "'change_counter' AND value = 0)",
                     qt);
        else
            snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", qt);
        free(qt);
        PGresult *r = pg_run(m, "counting rows", sql, 0, NULL, PGRES_TUPLES_OK);
        if (!r)
            return PROTO_ESTORE;
        long long n = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        if (n > 0)
            return failf(m, PROTO_EDENIED,
                         "%s is not empty: table %s has %lld row(s); migrate "
                         "into a new, empty database (createdb), never over "
                         "data",
                         m->where, t, n);
    }
    return 0;
}

/* ---- copying one table */

/* The target's columns of table, in order, as one quoted list. */
static char *column_list(mig_t *m, const char *table, int *n_cols)
{
    const char *p[1] = {table};
    PGresult *r = pg_run(m, "listing columns",
                         "SELECT column_name FROM information_schema.columns"
                         " WHERE table_schema = current_schema()"
                         "   AND table_name = $1 ORDER BY ordinal_position",
                         1, p, PGRES_TUPLES_OK);
    if (!r)
        return NULL;
    size_t cap = 1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        cap += 2 * strlen(PQgetvalue(r, i, 0)) + 4;
    char *list = malloc(cap);
    if (!list) {
        PQclear(r);
        failf(m, PROTO_ENOMEM, "out of memory");
        return NULL;
    }
    list[0] = '\0';
    for (int i = 0; i < n; i++) {
        char *q = quote_ident(PQgetvalue(r, i, 0));
        if (!q) {
            free(list);
            PQclear(r);
            failf(m, PROTO_ENOMEM, "out of memory");
            return NULL;
        }
        if (i)
            strcat(list, ", ");
        strcat(list, q);
        free(q);
    }
    PQclear(r);
    *n_cols = n;
    return list;
}

static int copy_table(mig_t *m, const char *table, long long *rows)
{
    int rc = 0, n_cols = 0;
    sqlite3_stmt *st = NULL;
    char *sel = NULL, *copy = NULL;
    char *qt = quote_ident(table);
    char *cols = qt ? column_list(m, table, &n_cols) : NULL;
    *rows = 0;
    if (!qt)
        return failf(m, PROTO_ENOMEM, "out of memory");
    if (!cols) {
        free(qt);
        return m->err[0] ? PROTO_ESTORE : PROTO_ENOMEM;
    }
    size_t n = strlen(cols) + strlen(qt) + 64;
    sel = malloc(n);
    copy = malloc(n);
    if (!sel || !copy) {
        rc = failf(m, PROTO_ENOMEM, "out of memory");
        goto cleanup;
    }
    snprintf(sel, n, "SELECT %s FROM %s", cols, qt);
    snprintf(copy, n, "COPY %s (%s) FROM STDIN", qt, cols);
    if (sqlite3_prepare_v2(m->lite, sel, -1, &st, NULL) != SQLITE_OK) {
        rc = failf(m, PROTO_EINVAL,
                   "%s: cannot read table %s as the PostgreSQL store has it "
                   "(%s); the two schemas differ: migrate with the syncctl "
                   "of the syncd that wrote the file",
                   m->src, table, sqlite3_errmsg(m->lite));
        goto cleanup;
    }
    if (strcmp(table, "meta") == 0 &&
        (rc = pg_exec(m, "emptying meta", "DELETE FROM meta")) < 0)
        goto cleanup;
    PGresult *r = pg_run(m, "starting COPY", copy, 0, NULL, PGRES_COPY_IN);
    if (!r) {
        rc = PROTO_ESTORE;
        goto cleanup;
    }
    PQclear(r);
    m->len = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < n_cols && rc == 0; c++) {
            if (c)
                rc = put(m, "\t", 1);
            if (rc == 0)
                rc = put_value(m, st, c);
        }
        if (rc == 0)
            rc = put(m, "\n", 1);
        if (rc)
            break;
        (*rows)++;
        if (m->len >= COPY_CHUNK) {
            if (PQputCopyData(m->pg, m->buf, (int)m->len) != 1) {
                rc = failf(m, PROTO_ESTORE, "%s: COPY into %s failed: %s",
                           m->where, table, PQerrorMessage(m->pg));
                break;
            }
            m->len = 0;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = failf(m, PROTO_ESTORE, "%s: reading table %s failed: %s", m->src,
                   table, sqlite3_errmsg(m->lite));
    if (rc == 0 && m->len && PQputCopyData(m->pg, m->buf, (int)m->len) != 1)
        rc = failf(m, PROTO_ESTORE, "%s: COPY into %s failed: %s", m->where,
                   table, PQerrorMessage(m->pg));
    /* end the COPY in every case, so the connection can roll back */
    if (PQputCopyEnd(m->pg, rc ? "syncctl migrate stopped" : NULL) != 1 &&
        rc == 0)
        rc = failf(m, PROTO_ESTORE, "%s: COPY into %s failed: %s", m->where,
                   table, PQerrorMessage(m->pg));
    while ((r = PQgetResult(m->pg)) != NULL) {
        if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = failf(m, PROTO_ESTORE, "%s: COPY into %s failed: %s", m->where,
                       table, PQresultErrorMessage(r));
        PQclear(r);
    }
    m->err[strcspn(m->err, "\n")] = '\0';
cleanup:
    sqlite3_finalize(st);
    free(sel);
    free(copy);
    free(cols);
    free(qt);
    return rc;
}

/* Serial columns (suggestion_history.id) continue after the copied ids. */
static int reset_sequences(mig_t *m)
{
    PGresult *r =
        pg_run(m, "listing sequences",
               "SELECT table_name, column_name FROM information_schema.columns"
               " WHERE table_schema = current_schema()"
               "   AND column_default LIKE 'nextval(%'",
               0, NULL, PGRES_TUPLES_OK);
    if (!r)
        return PROTO_ESTORE;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        const char *t = PQgetvalue(r, i, 0), *c = PQgetvalue(r, i, 1);
        char *qt = quote_ident(t), *qc = quote_ident(c);
        char sql[512];
        if (!qt || !qc) {
            rc = failf(m, PROTO_ENOMEM, "out of memory");
        } else {
            snprintf(sql, sizeof sql,
                     "SELECT setval(pg_get_serial_sequence($1, $2),"
                     " (SELECT COALESCE(MAX(%s), 0) FROM %s) + 1, false)",
                     qc, qt);
            const char *p[2] = {qt, c};
            PGresult *s =
                pg_run(m, "resetting a sequence", sql, 2, p, PGRES_TUPLES_OK);
            if (!s)
                rc = PROTO_ESTORE;
            PQclear(s);
        }
        free(qt);
        free(qc);
    }
    PQclear(r);
    return rc;
}

/* ---- checks */

static int lite_double(mig_t *m, const char *sql, double *out)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(m->lite, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        rc = failf(m, PROTO_ESTORE, "%s: %s failed: %s", m->src, sql,
                   sqlite3_errmsg(m->lite));
    else
        *out = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static int pg_double(mig_t *m, const char *sql, double *out)
{
    PGresult *r = pg_run(m, "checking", sql, 0, NULL, PGRES_TUPLES_OK);
    if (!r)
        return PROTO_ESTORE;
    *out = PQgetisnull(r, 0, 0) ? 0 : strtod(PQgetvalue(r, 0, 0), NULL);
    PQclear(r);
    return 0;
}

/* Sums may be added in another order on the two sides: equal within a
 * relative 1e-9 (integers below 2^53 compare exactly). */
static bool same(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static int check_counts(mig_t *m, const char *table, long long copied)
{
    char *qt = quote_ident(table);
    char sql[512];
    double lite = 0, pg = 0;
    int rc;
    if (!qt)
        return failf(m, PROTO_ENOMEM, "out of memory");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", qt);
    free(qt);
    if ((rc = lite_double(m, sql, &lite)) < 0 ||
        (rc = pg_double(m, sql, &pg)) < 0)
        return rc;
    if (lite != pg || pg != (double)copied)
        return failf(m, PROTO_ERANGE,
                     "table %s: %.0f row(s) in %s, %lld copied, %.0f in %s; "
                     "the migration is not trustworthy: drop the target "
                     "database and run it again with syncd stopped",
                     table, lite, m->src, copied, pg, m->where);
    return 0;
}

static const char *const sums[] = {
    "SELECT SUM(checkins) FROM rollup_day",
    "SELECT SUM(quality_sum) FROM rollup_day",
    "SELECT SUM(quality_n) FROM rollup_day",
    "SELECT SUM(points) FROM rollup_day",
    "SELECT SUM(ratings_n) FROM rollup_day",
    "SELECT SUM(ratings_sum) FROM rollup_day",
    "SELECT SUM(total) FROM rollup_measure",
    "SELECT SUM(points) FROM events",
    "SELECT SUM(votes) FROM suggestions",
    "SELECT SUM(points) FROM points_awards",
};

static int check_sums(mig_t *m)
{
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++) {
        double lite = 0, pg = 0;
        int rc;
        if ((rc = lite_double(m, sums[i], &lite)) < 0 ||
            (rc = pg_double(m, sums[i], &pg)) < 0)
            return rc;
        if (!same(lite, pg))
            return failf(m, PROTO_ERANGE,
                         "%s gives %.17g in %s but %.17g in %s; drop the "
                         "target database and run the migration again with "
                         "syncd stopped",
                         sums[i] + 7, lite, m->src, pg, m->where);
    }
    return 0;
}

/* Opening the source as a store folded its ingest journal (its counts
 * were read): rows there now were written since, by a syncd still
 * running. */
static int check_journal_empty(mig_t *m, const char *sqlite_path)
{
    sqlite3_stmt *st = NULL;
    long long rows = -1;

    if (sqlite3_prepare_v2(m->lite, "SELECT count(*) FROM ingest_journal", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        rows = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rows < 0)
        return failf(m, PROTO_ESTORE, "cannot read %s: %s", sqlite_path,
                     sqlite3_errmsg(m->lite));
    if (rows > 0)
        return failf(m, PROTO_EINVAL,
                     "%s: %lld batches came into its ingest journal while "
                     "migrate ran: a syncd is still writing to it; stop it "
                     "and run migrate again",
                     sqlite_path, rows);
    return 0;
}

static bool same_counts(const syncd_store_counts_t *a,
                        const syncd_store_counts_t *b)
{
    return a->events == b->events && a->dead_letters == b->dead_letters &&
           a->suggestions == b->suggestions && a->votes == b->votes &&
           a->kiosks == b->kiosks;
}

/* ---- the whole */

/* Opens uri as a store (creating or migrating its schema), reads its
 * counts and checks its rollups when asked. */
static int open_as_store(mig_t *m, const char *uri, const char *name,
                         syncd_store_counts_t *counts, int *schema, bool verify)
{
    char err[512], why[512];
    syncd_store_t *st = syncd_store_open(uri, NULL, err, sizeof err);
    if (!st)
        return failf(m, PROTO_ESTORE, "%s", err);
    int rc = 0;
    *schema = syncd_store_schema_version(st);
    if (syncd_store_counts(st, counts) != 0)
        rc = failf(m, PROTO_ESTORE, "%s: cannot count its rows: %s", name,
                   syncd_store_errmsg(st));
    else if (verify && syncd_store_verify_rollups(st, why, sizeof why) != 0)
        rc = failf(m, PROTO_ERANGE,
                   "%s: its rollups do not match its events (%s); run "
                   "`syncctl verify` against it and restore from a backup "
                   "before migrating",
                   name, why);
    syncd_store_destroy(&st);
    return rc;
}

int syncd_migrate_sqlite_to_pg(const char *sqlite_path, const char *pg_uri,
                               FILE *out, char *err, size_t err_len)
{
    char dummy[8];
    if (!err || !err_len) {
        err = dummy;
        err_len = sizeof dummy;
    }
    err[0] = '\0';
    mig_t m = {.out = out, .err = err, .err_len = err_len};
    syncd_store_counts_t src_counts, dst_counts, copied_counts;
    int src_schema = 0, dst_schema = 0, rc = 0;
    bool in_tx = false;
    char src_uri[4200];
    long long total = 0, *rows = NULL;
    const char **order = NULL;
    size_t n_done = 0;
    table_t *t;

    if (!sqlite_path || !pg_uri)
        return failf(&m, PROTO_EINVAL, "migrate needs --from and --to");
    if (strncmp(sqlite_path, "sqlite:", 7) == 0)
        sqlite_path += 7;
    m.src = sqlite_path;
    syncd_store_uri_redact(pg_uri, m.where, sizeof m.where);
    if (strncmp(pg_uri, "postgresql://", 13) != 0 &&
        strncmp(pg_uri, "postgres://", 11) != 0)
        return failf(&m, PROTO_EINVAL,
                     "--to %s is not a PostgreSQL URI; give "
                     "postgresql://USER@HOST:PORT/DATABASE",
                     m.where);
    if (access(sqlite_path, R_OK) != 0)
        return failf(&m, PROTO_ENOTFOUND,
                     "cannot read the SQLite store %s: %s; give the path of "
                     "syncd's database (DATA/stepwise.db by default)",
                     sqlite_path, strerror(errno));

    /* Both opened as stores first: the source brought up to date as syncd
     * would, its rollups checked; the target's schema created. */
    snprintf(src_uri, sizeof src_uri, "sqlite:%s", sqlite_path);
    if ((rc = open_as_store(&m, src_uri, sqlite_path, &src_counts, &src_schema,
                            true)) < 0 ||
        (rc = open_as_store(&m, pg_uri, m.where, &dst_counts, &dst_schema,
                            false)) < 0)
        goto cleanup;
    if (src_schema != dst_schema) {
        rc = failf(&m, PROTO_EINVAL,
                   "schema version %d in %s but %d in %s; migrate with one "
                   "syncctl build, the same as the syncd you will run",
                   src_schema, sqlite_path, dst_schema, m.where);
        goto cleanup;
    }

    if (sqlite3_open_v2(sqlite_path, &m.lite, SQLITE_OPEN_READONLY, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(m.lite, 10000) != SQLITE_OK ||
        sqlite3_exec(m.lite, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL,
                     NULL, NULL) != SQLITE_OK) {
        rc = failf(&m, PROTO_ESTORE, "cannot read %s: %s", sqlite_path,
                   m.lite ? sqlite3_errmsg(m.lite) : "out of memory");
        goto cleanup;
    }
    if ((rc = check_journal_empty(&m, sqlite_path)) < 0)
        goto cleanup;
    m.pg = PQconnectdb(pg_uri);
    if (!m.pg || PQstatus(m.pg) != CONNECTION_OK) {
        rc = failf(&m, PROTO_ESTORE, "cannot connect to %s: %s", m.where,
                   m.pg ? PQerrorMessage(m.pg) : "out of memory");
        m.err[strcspn(m.err, "\n")] = '\0';
        goto cleanup;
    }
    if (PQsetClientEncoding(m.pg, "UTF8") != 0) {
        rc = failf(&m, PROTO_ESTORE, "%s: cannot use UTF-8: %s", m.where,
                   PQerrorMessage(m.pg));
        goto cleanup;
    }
    if ((rc = pg_exec(&m, "BEGIN", "BEGIN")) < 0)
        goto cleanup;
    in_tx = true;
    if ((rc = load_tables(&m)) < 0)
        goto cleanup;
    /* No syncd may write while the copy runs (a syncd started against the
     * target too early waits here instead). */
    for (size_t i = 0; i < m.n_tables; i++) {
        char *qt = quote_ident(m.tables[i].name);
        char sql[300];
        if (!qt) {
            rc = failf(&m, PROTO_ENOMEM, "out of memory");
            goto cleanup;
        }
        snprintf(sql, sizeof sql, "LOCK TABLE %s IN EXCLUSIVE MODE", qt);
        free(qt);
        if ((rc = pg_exec(&m, "locking tables", sql)) < 0)
            goto cleanup;
    }
    if ((rc = check_empty(&m)) < 0)
        goto cleanup;

    say(&m, "migrate: copying %s into %s\n", sqlite_path, m.where);
    rows = calloc(m.n_tables ? m.n_tables : 1, sizeof *rows);
    order = calloc(m.n_tables ? m.n_tables : 1, sizeof *order);
    if (!rows || !order) {
        rc = failf(&m, PROTO_ENOMEM, "out of memory");
        goto cleanup;
    }
    while (rc == 0 && (t = next_table(&m)) != NULL) {
        rc = copy_table(&m, t->name, &rows[n_done]);
        if (rc == 0) {
            say(&m, "migrate:   %-20s %lld rows\n", t->name, rows[n_done]);
            total += rows[n_done];
        }
        order[n_done++] = t->name;
        t->done = true;
    }
    if (rc == 0 && n_done != m.n_tables)
        rc = failf(&m, PROTO_EINVAL,
                   "%s: the tables' foreign keys form a cycle; nothing "
                   "copied",
                   m.where);
    if (rc == 0)
        rc = reset_sequences(&m);
    if (rc == 0 && (rc = pg_exec(&m, "COMMIT", "COMMIT")) == 0)
        in_tx = false;
    /* The checks: counts per table and rollup sums against the source's
     * same snapshot, then the target as a store. */
    for (size_t i = 0; i < n_done && rc == 0; i++)
        rc = check_counts(&m, order[i], rows[i]);
    if (rc == 0)
        rc = check_sums(&m);
    if (rc < 0)
        goto cleanup;
    if ((rc = open_as_store(&m, pg_uri, m.where, &copied_counts, &dst_schema,
                            true)) < 0)
        goto cleanup;
    if (!same_counts(&src_counts, &copied_counts)) {
        rc = failf(&m, PROTO_ERANGE,
                   "after the copy %s counts events %" PRIu64
                   ", dead letters %" PRIu64 ", suggestions %" PRIu64
                   ", votes %" PRIu64 ", kiosks %" PRIu64
                   " but %s counted %" PRIu64 ", %" PRIu64 ", %" PRIu64
                   ", %" PRIu64 ", %" PRIu64
                   "; was syncd still writing to the SQLite file? stop it, "
                   "drop the target database and migrate again",
                   m.where, copied_counts.events, copied_counts.dead_letters,
                   copied_counts.suggestions, copied_counts.votes,
                   copied_counts.kiosks, sqlite_path, src_counts.events,
                   src_counts.dead_letters, src_counts.suggestions,
                   src_counts.votes, src_counts.kiosks);
        goto cleanup;
    }
    say(&m,
        "migrate: ok: %lld rows in %zu tables; counts and rollup sums equal "
        "the source's; rollups verified on %s (events %" PRIu64
        ", dead letters %" PRIu64 ", suggestions %" PRIu64 ", votes %" PRIu64
        ", kiosks %" PRIu64 ")\n",
        total, n_done, m.where, copied_counts.events,
        copied_counts.dead_letters, copied_counts.suggestions,
        copied_counts.votes, copied_counts.kiosks);
cleanup:
    if (m.pg && in_tx)
        PQclear(PQexec(m.pg, "ROLLBACK")); /* the error is already said */
    if (m.pg)
        PQfinish(m.pg);
    if (m.lite)
        sqlite3_close(m.lite);
    for (size_t i = 0; i < m.n_tables; i++)
        free(m.tables[i].name);
    free(m.tables);
    free(m.refs);
    free(rows);
    free(order);
    free(m.buf);
    return rc;
}
