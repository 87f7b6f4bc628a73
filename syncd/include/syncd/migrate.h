/*
 * migrate.h — moving a store from SQLite to PostgreSQL (`syncctl migrate`).
 *
 * A branch that outgrows one machine moves its embedded SQLite store into
 * PostgreSQL once, with syncd stopped, and then runs one or more syncd
 * against PostgreSQL (docs/OPERATIONS.md).
 */
#ifndef SYNCD_MIGRATE_H
#define SYNCD_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

/* Copies every row of the SQLite store at sqlite_path (kiosks, catalogue
 * versions, events, dead letters, rollups, suggestions, votes, history,
 * points, metadata) into the PostgreSQL store at pg_uri, in one
 * transaction, then checks the result: row counts per table equal, rollup
 * sums equal, and the target's rollups equal a recomputation from its
 * events. The target must be empty (a new database, or one syncd has only
 * created the schema in); it is created or migrated to the current schema
 * first. The source is opened as a store first too, so an older file is
 * brought up to date exactly as syncd would at start.
 *
 * Progress and the summary go to out (may be NULL). 0, or a negative code
 * with a readable line in err saying what failed and what to do; nothing
 * is left in the target when the copy fails. */
int syncd_migrate_sqlite_to_pg(const char *sqlite_path, const char *pg_uri,
                               FILE *out, char *err, size_t err_len);

#endif
