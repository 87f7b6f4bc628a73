/*
 * pgtest.c — fresh PostgreSQL databases for tests (pgtest.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pgtest.h"

/* libpq's message on one line. */
static void message(const char *what, const char *m, char *err, size_t err_len)
{
    snprintf(err, err_len, "%s: %s", what, m && m[0] ? m : "unknown error");
    for (char *p = err; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

static PGconn *connect_to(const char *uri, char *err, size_t err_len)
{
    PGconn *c = PQconnectdb(uri);

    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        char what[700];

        snprintf(what, sizeof what,
                 "cannot reach the test cluster at %s (is the ctest fixture "
                 "postgres/cluster-start running?)",
                 uri);
        message(what, c ? PQerrorMessage(c) : "out of memory", err, err_len);
        PQfinish(c);
        return NULL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static int base_uri(char *out, size_t size, char *err, size_t err_len)
{
    const char *file = getenv("STEPWISE_PG_URI_FILE");
    FILE *f;
    size_t n;

    if (file == NULL || file[0] == '\0') {
        snprintf(err, err_len,
                 "STEPWISE_PG_URI_FILE is not set; run this test through "
                 "ctest (label postgres), which starts the cluster");
        return -1;
    }
    if ((f = fopen(file, "r")) == NULL) {
        snprintf(err, err_len,
                 "cannot read the cluster URI from %s; the fixture "
                 "postgres/cluster-start did not run or failed",
                 file);
        return -1;
    }
    n = fread(out, 1, size - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    if (n == 0 || strrchr(out, '/') == NULL) {
        snprintf(err, err_len, "%s holds no PostgreSQL URI", file);
        return -1;
    }
    return 0;
}

int pgtest_db_create(pgtest_db_t *db, char *err, size_t err_len)
{
    char base[sizeof db->base];

    memset(db, 0, sizeof *db);
    if (base_uri(base, sizeof base, err, err_len) < 0)
        return -1;
    return pgtest_db_create_on(db, base, err, err_len);
}

int pgtest_db_create_on(pgtest_db_t *db, const char *base, char *err,
                        size_t err_len)
{
    char sql[128];
    struct timespec ts;
    const char *slash = strrchr(base, '/');
    PGconn *c;
    PGresult *r;
    int rc = 0;

    memset(db, 0, sizeof *db);
    if (slash == NULL || slash - base < 3 || slash[-1] == '/') {
        snprintf(err, err_len,
                 "\"%s\" is not a PostgreSQL URI with a database; write "
                 "postgresql://USER@HOST:PORT/DATABASE",
                 base);
        return -1;
    }
    snprintf(db->base, sizeof db->base, "%s", base);
    clock_gettime(CLOCK_REALTIME, &ts);
    srand((unsigned)(ts.tv_nsec ^ getpid()));
    snprintf(db->name, sizeof db->name, "t_%d_%ld_%d", (int)getpid(),
             (long)(ts.tv_nsec % 1000000000), rand() % 100000);
    snprintf(db->uri, sizeof db->uri, "%.*s/%s", (int)(slash - base), base,
             db->name);
    if ((c = connect_to(db->base, err, err_len)) == NULL)
        return -1;
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", db->name);
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        message(sql, PQresultErrorMessage(r), err, err_len);
        db->name[0] = '\0';
        rc = -1;
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

int pgtest_db_drop(pgtest_db_t *db, char *err, size_t err_len)
{
    char sql[128];

    if (db->name[0] == '\0')
        return 0;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
             db->name);
    if (pgtest_exec(db->base, sql, err, err_len) < 0)
        return -1;
    db->name[0] = '\0';
    return 0;
}

int pgtest_exec(const char *uri, const char *sql, char *err, size_t err_len)
{
    PGconn *c = connect_to(uri, err, err_len);
    PGresult *r;
    int rc = 0;

    if (c == NULL)
        return -1;
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK &&
        PQresultStatus(r) != PGRES_TUPLES_OK) {
        message(sql, PQresultErrorMessage(r), err, err_len);
        rc = -1;
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

int pgtest_text(const char *uri, const char *sql, char *out, size_t size,
                char *err, size_t err_len)
{
    PGconn *c = connect_to(uri, err, err_len);
    PGresult *r;
    int rc = 0;

    if (c == NULL)
        return -1;
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        message(sql, PQresultErrorMessage(r), err, err_len);
        rc = -1;
    } else if (PQntuples(r) < 1 || PQnfields(r) < 1) {
        snprintf(err, err_len, "%s: returned no row", sql);
        rc = -1;
    } else {
        snprintf(out, size, "%s",
                 PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

int pgtest_sqlite_shims(const char *uri, char *err, size_t err_len)
{
    return pgtest_exec(
        uri,
        "CREATE FUNCTION pgtest_gc(acc text, v anyelement, sep text)"
        " RETURNS text LANGUAGE sql IMMUTABLE AS $$"
        " SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text"
        " ELSE acc || sep || v::text END $$;"
        "CREATE FUNCTION pgtest_gc1(acc text, v anyelement)"
        " RETURNS text LANGUAGE sql IMMUTABLE AS $$"
        " SELECT pgtest_gc(acc, v, ',') $$;"
        "CREATE AGGREGATE group_concat(anyelement, text)"
        " (SFUNC = pgtest_gc, STYPE = text);"
        "CREATE AGGREGATE group_concat(anyelement)"
        " (SFUNC = pgtest_gc1, STYPE = text);"
        "CREATE FUNCTION quote(v anyelement) RETURNS text"
        " LANGUAGE sql IMMUTABLE AS $$"
        " SELECT CASE WHEN v IS NULL THEN 'NULL'"
        " WHEN pg_typeof(v) = 'text'::regtype THEN quote_literal(v::text)"
        " ELSE v::text END $$;",
        err, err_len);
}
