/*
 * store_fixture.h — which store a test runs against, and a second
 * connection to look behind the store's back.
 *
 * The store tests are written once and run on both backends: on SQLite
 * (a file in the test's temporary directory) by default, and on a fresh
 * PostgreSQL database of the `postgres` fixture's cluster when the test is
 * registered with STEPWISE_TEST_STORE=postgres (tests/syncd/CMakeLists.txt,
 * ctest names ending in @postgres). Assertions that read tables directly
 * are written in SQLite's dialect and text forms; on PostgreSQL the
 * functions they use exist as shims (tests/postgres/pgtest.c) and
 * sfx_expected() drops the ".0" SQLite prints after an integral REAL.
 */
#ifndef STEPWISE_STORE_FIXTURE_H
#define STEPWISE_STORE_FIXTURE_H

#include <ctype.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "../postgres/pgtest.h"

typedef struct {
    bool pg;
    char uri[700]; /* what syncd_store_open() gets */
    pgtest_db_t db;
} sfx_t;

__attribute__((unused)) static bool sfx_postgres_wanted(void)
{
    const char *b = getenv("STEPWISE_TEST_STORE");

    return b != NULL && strcmp(b, "postgres") == 0;
}

/* Picks the store: path (SQLite) or a new PostgreSQL database. A cluster
 * that cannot be reached fails the test. */
__attribute__((unused)) static void sfx_init(sfx_t *x, const char *path)
{
    char err[1024];

    memset(x, 0, sizeof *x);
    x->pg = sfx_postgres_wanted();
    if (!x->pg) {
        snprintf(x->uri, sizeof x->uri, "%s", path);
        return;
    }
    if (pgtest_db_create(&x->db, err, sizeof err) < 0 ||
        pgtest_sqlite_shims(x->db.uri, err, sizeof err) < 0)
        fail_msg("PostgreSQL test database: %s", err);
    snprintf(x->uri, sizeof x->uri, "%s", x->db.uri);
}

/* Drops the PostgreSQL database (the store must be closed). */
__attribute__((unused)) static void sfx_fini(sfx_t *x)
{
    char err[1024];

    if (x->pg && pgtest_db_drop(&x->db, err, sizeof err) < 0)
        fail_msg("%s", err);
}

__attribute__((unused)) static void sfx_exec(sfx_t *x, const char *sql)
{
    sqlite3 *db = NULL;
    char err[1024], *msg = NULL;

    if (x->pg) {
        if (pgtest_exec(x->uri, sql, err, sizeof err) < 0)
            fail_msg("%s", err);
        return;
    }
    if (sqlite3_open(x->uri, &db) != SQLITE_OK)
        fail_msg("open %s: %s", x->uri, sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_free(msg);
    if (sqlite3_close(db) != SQLITE_OK)
        fail_msg("close %s", x->uri);
}

/* The first column of the one row sql returns, as text ("NULL" for
 * NULL). */
__attribute__((unused)) static void sfx_text(sfx_t *x, const char *sql,
                                             char *out, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const unsigned char *t;
    char err[1024];

    if (x->pg) {
        if (pgtest_text(x->uri, sql, out, size, err, sizeof err) < 0)
            fail_msg("%s", err);
        return;
    }
    if (sqlite3_open(x->uri, &db) != SQLITE_OK)
        fail_msg("open %s: %s", x->uri, sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("%s: returned no row", sql);
    t = sqlite3_column_text(st, 0);
    snprintf(out, size, "%s", t ? (const char *)t : "NULL");
    if (sqlite3_finalize(st) != SQLITE_OK || sqlite3_close(db) != SQLITE_OK)
        fail_msg("%s: finalize/close failed", sql);
}

/* An expectation in SQLite's text form, as this backend prints it:
 * PostgreSQL writes the REAL 15.0 as "15". */
__attribute__((unused)) static void
sfx_expected(const sfx_t *x, const char *exp, char *out, size_t size)
{
    size_t o = 0;

    for (size_t i = 0; exp[i] && o + 1 < size; i++) {
        if (x->pg && exp[i] == '.' && i > 0 &&
            isdigit((unsigned char)exp[i - 1]) && exp[i + 1] == '0' &&
            !isdigit((unsigned char)exp[i + 2])) {
            i++; /* skip ".0" */
            continue;
        }
        out[o++] = exp[i];
    }
    out[o] = '\0';
}

/* A new directory "<$TMPDIR or /tmp>/<prefix>.XXXXXX" in dir, so that
 * tests running in parallel never share files. */
__attribute__((unused)) static void sfx_tmpdir(char *dir, size_t size,
                                               const char *prefix)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, size, "%s/%s.XXXXXX", tmp && tmp[0] ? tmp : "/tmp", prefix);
    assert_non_null(mkdtemp(dir));
}

__attribute__((unused)) static int
sfx_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes dir and everything below it: 0, or what nftw() returned. With
 * KEEP set in the environment it is left for a person to look at. */
__attribute__((unused)) static int sfx_rmtree(const char *dir)
{
    if (getenv("KEEP"))
        return 0;
    return nftw(dir, sfx_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
