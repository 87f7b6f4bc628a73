/*
 * pgtest.h — a PostgreSQL database of its own for each test.
 *
 * The `postgres` ctest fixture (tests/postgres/pg-cluster) starts one
 * throw-away cluster per build directory and names the file holding its
 * base URI in STEPWISE_PG_URI_FILE. Tests run in parallel against it, so
 * each creates a database with a random name, works only there and drops
 * it at the end. A test that cannot reach the cluster must fail, never
 * skip: every function here returns -1 with a readable reason instead.
 *
 * The side functions (pgtest_exec, pgtest_text) let a test look at, and
 * tamper with, the tables behind the store's back, as the SQLite tests do
 * with a second connection. pgtest_sqlite_shims() adds to a test database
 * the SQLite functions that the tests' own assertions use (group_concat,
 * quote), so one assertion text serves both backends; the store never
 * relies on them.
 */
#ifndef STEPWISE_PGTEST_H
#define STEPWISE_PGTEST_H

#include <stddef.h>

typedef struct {
    char name[64];  /* the database's name */
    char uri[600];  /* its URI: pass it to syncd_store_open() */
    char base[600]; /* the cluster's base URI (superuser, loopback) */
} pgtest_db_t;

/* Creates a fresh database on the fixture's cluster. 0, or -1 with why. */
int pgtest_db_create(pgtest_db_t *db, char *err, size_t err_len);
/* The same on the cluster of base (a URI whose user may CREATE DATABASE;
 * its database part is replaced by the new name). */
int pgtest_db_create_on(pgtest_db_t *db, const char *base, char *err,
                        size_t err_len);
/* Drops it, closing connections still open to it. 0 or -1. */
int pgtest_db_drop(pgtest_db_t *db, char *err, size_t err_len);
/* Runs sql (several statements allowed) on uri. 0 or -1. */
int pgtest_exec(const char *uri, const char *sql, char *err, size_t err_len);
/* The first column of the first row of sql, as text ("NULL" for NULL).
 * 0, or -1 when the query fails or returns no row. */
int pgtest_text(const char *uri, const char *sql, char *out, size_t size,
                char *err, size_t err_len);
/* Installs group_concat(x[, sep]) and quote(x) as SQLite has them. */
int pgtest_sqlite_shims(const char *uri, char *err, size_t err_len);

#endif
