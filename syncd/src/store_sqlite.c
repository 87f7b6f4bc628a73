/*
 * store_sqlite.c — the SQLite backend of the store interface (store.h).
 *
 * syncd keeps everything in one SQLite file: the enrolment allow-list, every
 * event a kiosk ever pushed (exactly once), the events it refused, the
 * suggestions with their votes, the catalogue versions, and the rollups the
 * weekly agenda is built from. The daemon is single-threaded, so the
 * connection is opened NOMUTEX; WAL lets online backups (sqlite3 .backup,
 * VACUUM INTO) and integrity checks run beside ingest; synchronous=FULL
 * (default) makes a returned COMMIT durable, which is what lets the daemon
 * ACK right after it (the ingest journal, below, is what it commits).
 *
 * Schema (migration 1; later migrations append to `migrations` below and
 * run in order, one transaction each, recorded in schema_version):
 *
 *   schema_version(version)           one row: the migrations applied
 *   meta(key PK, value)               'change_counter': the feed's clock
 *   kiosks(kiosk_id PK, site_id, public_key UNIQUE, revoked, enrolled_ms,
 *          revoked_ms, acked_seq, last_seen_ms, last_sync_ms, last_seq,
 *          outbox_depth, oldest_unsent_s, clock_skew_ms, catalogue_version,
 *          app_version, events, rejected)
 *       acked_seq is the kiosk's high-water mark: every seq at or below it
 *       is stored (as an event or a dead letter) and is never stored again.
 *   events(kiosk_id, seq, type, site_id, staff_id, step_id, process_id,
 *          catalogue_version, captured_ms, received_ms, boot_id, mono_ms,
 *          day, quality, score, vote, suggestion_id, measures, note, kind,
 *          anonymous, title, body, points, PK(kiosk_id, seq))
 *       One flat row per accepted event; fields a type does not use are ''
 *       (identifiers) or NULL (numbers, texts). measures is a JSON object
 *       text with the keys in the order the kiosk sent them. An anonymous
 *       suggestion's staff_id is '' here and everywhere else: the store
 *       never keeps who wrote it. kiosk_id is the authenticated kiosk, not
 *       the one the payload claims.
 *   dead_letters(kiosk_id, seq, type, site_id, code, reason, captured_ms,
 *          received_ms, payload, PK(kiosk_id, seq))
 *       Refused events with the rejection code and reason; payload is the
 *       event as the kiosk sent it, as JSON (so it can be inspected and
 *       replayed by hand after a fix).
 *   rollup_day(site_id, day, step_id, staff_id, checkins, quality_sum,
 *          quality_n, points, ratings_n, ratings_sum, PK(all four keys))
 *       Check-ins and customer ratings per site-local day, step and staff;
 *       a rating given without a step uses step_id ''. points sums the
 *       points of those check-ins and ratings (the only events that earn
 *       points today; a type that earns them later must be added both here
 *       and in verify_rollups).
 *   rollup_measure(site_id, day, step_id, staff_id, measure, total, PK)
 *       Sum of each measure of the check-ins above.
 *   suggestions(id PK "<kiosk_id>:<seq>", site_id, kiosk_id, seq, kind,
 *          status, title, body, process_id, step_id, author_id, anonymous,
 *          votes, owner_id, due, feedback, merged_into, created_ms,
 *          updated_ms, change_id)  + index (site_id, change_id)
 *   votes(suggestion_id → suggestions, staff_id, created_ms, PK(both))
 *       One row per staff member supporting a suggestion; suggestions.votes
 *       is its count, kept in step by the fold that writes the votes.
 *   catalogue_versions(version PK, yaml, published_ms)
 *
 * Migration 2 (issue 3): staff_team(site, staff → team as of the latest
 * check-in), site_points(site → change_id and newest day of the last
 * standings change), points_awards(suggestion, status → author's points,
 * day), suggestions.measure and .done_day, suggestion_history (every
 * decision and merge with the manager and time), and suggestion_text, an
 * FTS5 trigram index over title and body kept by a trigger, for the
 * near-duplicate search. Check-in points in events and rollups are after
 * the step's daily cap (points_capped). docs/AGENDA.md has the rules.
 *
 * Migration 3: an index on suggestions(site_id, created_ms) for the agenda,
 * which reads through syncd_store_report() (read-only SELECTs only).
 *
 * Migration 4: the ingest journal,
 *   ingest_journal(id PK, kiosk_id, site_id, received_ms, items)
 * The ingest journal. A PUSH is acknowledged after one small fsynced
 * transaction: the kiosk's mark moves, its refused events become dead
 * letters, and its accepted events become one journal row (items: the
 * events and what ingest decided for each, journal.h). Writing them out
 * into events, suggestions, votes, rollup_day, rollup_measure,
 * staff_team and site_points is a fold (sqlite_fold): the oldest rows,
 * up to SYNCD_FOLD_GROUP consecutive rows of one site at a time, in one
 * transaction with their deletion from the journal, their rollups summed
 * over the group and the points caps applied in the order the batches were
 * acknowledged, so every number is what writing each batch in its own
 * transaction gave. A batch of one or two accepted events while the
 * journal is empty (a kiosk online sends each capture as it is made) is
 * written out in the ingest's own transaction instead (ingest_inline):
 * for it a journal row and a fold would only be a second transaction.
 * store.c folds the whole journal before every read, so
 * nothing acknowledged is ever missing from an answer; syncd folds when
 * its kiosks are quiet and whenever the journal passes SYNCD_FOLD_LAG rows
 * (server.c), and at a clean stop. A fold commits without waiting for the
 * disk (synchronous=NORMAL for its transaction): a power cut can only
 * lose the fold and its deletions together, leaving the rows to fold
 * again; the next fsynced commit makes it durable. Why: the ACK of a
 * 500-event batch waits for one row's fsync instead of 500 events, their
 * indexes and their rollups (docs/PERFORMANCE.md, backlog round 7).
 *
 * Why rollups live beside the events, in the same file and the same
 * transaction: the agenda must never rescan raw events (a branch produces
 * hundreds of thousands a year), yet every number in it must be traceable
 * to check-ins. Updating rollups in the transaction that writes the events
 * (the fold's) means they can never disagree with the events after a
 * crash or a retried batch, and
 * keeping the events means syncd_store_verify_rollups() can recompute the
 * rollups at any time and prove it.
 *
 * The feed: every change to a suggestion (creation, a vote added or
 * withdrawn, later a decision) takes the next value of the global
 * change_counter as its change_id. A kiosk's cursor is the last change_id
 * it has seen; the feed returns its site's suggestions with a larger one.
 *
 * Statements are prepared once at open and kept in the store object; every
 * public operation resets all of them before it returns, so none of them
 * holds a read snapshot between calls (which would stop WAL checkpoints).
 * SQL text is constant; every value goes through a bound parameter.
 *
 * What is not SQL (text forms, export rows, suggestion rows, standings,
 * verification reports, decision and merge rules, the points cap, the
 * near-duplicate terms) lives in store_common.c, shared with store_pg.c.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_backend.h"
#include "journal.h"
#include "store_common.h"
#include "syncd/agenda.h"
#include "syncd/similar.h"

/* ---- Migrations: append only; never edit one that has shipped. */
static const char *const migrations[] = {
    /* 1: the initial schema */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value NOT NULL);"
    "INSERT INTO meta(key, value) VALUES ('change_counter', 0);"
    "CREATE TABLE kiosks ("
    "  kiosk_id TEXT PRIMARY KEY,"
    "  site_id TEXT NOT NULL,"
    "  public_key TEXT NOT NULL UNIQUE,"
    "  revoked INTEGER NOT NULL DEFAULT 0,"
    "  enrolled_ms INTEGER NOT NULL,"
    "  revoked_ms INTEGER NOT NULL DEFAULT 0,"
    "  acked_seq INTEGER NOT NULL DEFAULT 0,"
    "  last_seen_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_sync_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_seq INTEGER NOT NULL DEFAULT 0,"
    "  outbox_depth INTEGER NOT NULL DEFAULT 0,"
    "  oldest_unsent_s INTEGER NOT NULL DEFAULT 0,"
    "  clock_skew_ms INTEGER NOT NULL DEFAULT 0,"
    "  catalogue_version INTEGER NOT NULL DEFAULT 0,"
    "  app_version TEXT NOT NULL DEFAULT '',"
    "  events INTEGER NOT NULL DEFAULT 0,"
    "  rejected INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE events ("
    "  kiosk_id TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  site_id TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL DEFAULT '',"
    "  step_id TEXT NOT NULL DEFAULT '',"
    "  process_id TEXT NOT NULL DEFAULT '',"
    "  catalogue_version INTEGER,"
    "  captured_ms INTEGER NOT NULL,"
    "  received_ms INTEGER NOT NULL,"
    "  boot_id INTEGER,"
    "  mono_ms INTEGER,"
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
    "  points REAL NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (kiosk_id, seq));"
    "CREATE INDEX events_site_day ON events(site_id, day);"
    "CREATE TABLE dead_letters ("
    "  kiosk_id TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  site_id TEXT NOT NULL,"
    "  code INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  captured_ms INTEGER NOT NULL,"
    "  received_ms INTEGER NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  PRIMARY KEY (kiosk_id, seq));"
    "CREATE TABLE rollup_day ("
    "  site_id TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  step_id TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL,"
    "  checkins INTEGER NOT NULL DEFAULT 0,"
    "  quality_sum INTEGER NOT NULL DEFAULT 0,"
    "  quality_n INTEGER NOT NULL DEFAULT 0,"
    "  points REAL NOT NULL DEFAULT 0,"
    "  ratings_n INTEGER NOT NULL DEFAULT 0,"
    "  ratings_sum INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (site_id, day, step_id, staff_id)) WITHOUT ROWID;"
    "CREATE TABLE rollup_measure ("
    "  site_id TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  step_id TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL,"
    "  measure TEXT NOT NULL,"
    "  total REAL NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (site_id, day, step_id, staff_id, measure)) WITHOUT ROWID;"
    "CREATE TABLE suggestions ("
    "  id TEXT PRIMARY KEY,"
    "  site_id TEXT NOT NULL,"
    "  kiosk_id TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'new',"
    "  title TEXT NOT NULL,"
    "  body TEXT,"
    "  process_id TEXT NOT NULL DEFAULT '',"
    "  step_id TEXT NOT NULL DEFAULT '',"
    "  author_id TEXT NOT NULL DEFAULT '',"
    "  anonymous INTEGER NOT NULL DEFAULT 0,"
    "  votes INTEGER NOT NULL DEFAULT 0,"
    "  owner_id TEXT NOT NULL DEFAULT '',"
    "  due TEXT NOT NULL DEFAULT '',"
    "  feedback TEXT,"
    "  merged_into TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  change_id INTEGER NOT NULL);"
    "CREATE INDEX suggestions_feed ON suggestions(site_id, change_id);"
    "CREATE TABLE votes ("
    "  suggestion_id TEXT NOT NULL REFERENCES suggestions(id),"
    "  staff_id TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (suggestion_id, staff_id)) WITHOUT ROWID;"
    "CREATE TABLE catalogue_versions ("
    "  version INTEGER PRIMARY KEY,"
    "  yaml TEXT NOT NULL,"
    "  published_ms INTEGER NOT NULL);",
    /* 2: points caps and standings, the suggestion lifecycle, near-duplicate
     * search (issue 3; described in the file-top comment) */
    "CREATE TABLE staff_team ("
    "  site_id TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL,"
    "  team_id TEXT NOT NULL,"
    "  PRIMARY KEY (site_id, staff_id)) WITHOUT ROWID;"
    "CREATE TABLE site_points ("
    "  site_id TEXT PRIMARY KEY,"
    "  change_id INTEGER NOT NULL,"
    "  last_day TEXT NOT NULL);"
    "CREATE TABLE points_awards ("
    "  suggestion_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  site_id TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL,"
    "  points REAL NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (suggestion_id, status));"
    "CREATE INDEX points_awards_site_day ON points_awards(site_id, day);"
    "ALTER TABLE suggestions ADD COLUMN measure TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE suggestions ADD COLUMN done_day TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX suggestions_site_status ON suggestions(site_id, status);"
    "CREATE TABLE suggestion_history ("
    "  id INTEGER PRIMARY KEY,"
    "  suggestion_id TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  manager TEXT NOT NULL,"
    "  from_status TEXT NOT NULL,"
    "  to_status TEXT NOT NULL,"
    "  owner_id TEXT NOT NULL,"
    "  due TEXT NOT NULL,"
    "  measure TEXT NOT NULL,"
    "  feedback TEXT,"
    "  merged_into TEXT NOT NULL);"
    "CREATE INDEX suggestion_history_id"
    "  ON suggestion_history(suggestion_id, id);"
    "CREATE VIRTUAL TABLE suggestion_text USING fts5("
    "  id UNINDEXED, site_id UNINDEXED, text, tokenize = 'trigram');"
    "INSERT INTO suggestion_text(id, site_id, text)"
    "  SELECT id, site_id, title || ' ' || COALESCE(body, '')"
    "  FROM suggestions;"
    "CREATE TRIGGER suggestion_text_add AFTER INSERT ON suggestions BEGIN"
    "  INSERT INTO suggestion_text(id, site_id, text)"
    "  VALUES (new.id, new.site_id, new.title || ' ' || COALESCE(new.body, ''));"
    "  END;",
    /* 3: the weekly agenda reads a site's suggestions by creation time
     * (problems raised in the week); rollups are already keyed by
     * (site, day) */
    "CREATE INDEX suggestions_site_created"
    "  ON suggestions(site_id, created_ms);",
    /* 4: the ingest journal: a batch's accepted events, durable as one row
     * when the PUSH is acknowledged, written out into events and rollups
     * by the next fold (see "The ingest journal" at the top) */
    "CREATE TABLE ingest_journal ("
    "  id INTEGER PRIMARY KEY,"
    "  kiosk_id TEXT NOT NULL,"
    "  site_id TEXT NOT NULL,"
    "  received_ms INTEGER NOT NULL,"
    "  items BLOB NOT NULL);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- Cached statements: one per thing the store does, with the label
 *      that error messages name ("ingest: INSERT events: ..."). */
typedef enum {
    ST_BEGIN,
    ST_BEGIN_READ,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SCHEMA_VERSION,
    ST_KIOSK_GET,
    ST_KIOSK_BY_KEY,
    ST_KIOSK_LIST,
    ST_KIOSK_KEY_OWNER,
    ST_KIOSK_ENROL,
    ST_KIOSK_REVOKE,
    ST_KIOSK_SEEN,
    ST_KIOSK_MARK,
    ST_KIOSK_SYNCED,
    ST_EVENT_INSERT,
    ST_DEAD_INSERT,
    ST_ROLLUP_DAY,
    ST_ROLLUP_DAY_8,
    ST_ROLLUP_DAY_32,
    ST_ROLLUP_MEASURE,
    ST_ROLLUP_MEASURE_8,
    ST_ROLLUP_MEASURE_32,
    ST_CHANGE_NEXT,
    ST_SUGGESTION_INSERT,
    ST_SUGGESTION_EXISTS,
    ST_SUGGESTION_VOTED,
    ST_VOTE_ADD,
    ST_VOTE_REMOVE,
    ST_CATALOGUE_PUT,
    ST_CATALOGUE_CURRENT,
    ST_CATALOGUE_GET,
    ST_FEED,
    ST_FEED_CURSOR,
    ST_EXPORT,
    ST_EXPORT_AFTER,
    ST_COUNTS,
    ST_POINTS_SO_FAR,
    ST_STAFF_TEAM,
    ST_SITE_POINTS,
    ST_JOURNAL_INSERT,
    ST_JOURNAL_OLDEST,
    ST_JOURNAL_DELETE,
    ST_JOURNAL_COUNT,
    ST_COUNT_ /* number of statements */
} stmt_id_t;

#define EXPORT_SELECT                                                          \
    "SELECT kiosk_id, seq, type, site_id, staff_id, step_id,"                  \
    " process_id, catalogue_version, captured_ms, received_ms,"                \
    " day, quality, score, vote, suggestion_id, measures, note,"               \
    " points, kind, anonymous, title, body FROM events"                        \
    " WHERE (?1 IS NULL OR site_id = ?1)"                                      \
    " AND (?2 = 0 OR captured_ms >= ?2)"                                       \
    " AND (?3 = 0 OR captured_ms < ?3)"

#define KIOSK_COLUMNS                                                          \
    "kiosk_id, site_id, public_key, revoked, enrolled_ms, revoked_ms, "        \
    "acked_seq, last_seen_ms, last_sync_ms, last_seq, outbox_depth, "          \
    "oldest_unsent_s, clock_skew_ms, catalogue_version, app_version, events, " \
    "rejected"

/* The rollup upserts also come in forms of 8 and 32 rows (anonymous `?`
 * parameters, numbered in order: row r's column k is r * ncols + k): one
 * statement run per 32 keys instead of per key (see acc_write). The keys of
 * one statement are distinct, so each row meets at most a stored row. */
#define ROWS_2(r) r ", " r
#define ROWS_8(r) ROWS_2(ROWS_2(ROWS_2(r)))
#define ROWS_32(r) ROWS_2(ROWS_2(ROWS_8(r)))
#define ROLLUP_DAY_COLS 10
#define ROLLUP_DAY_INTO                                                        \
    "INSERT INTO rollup_day(site_id, day, step_id, staff_id, checkins,"        \
    " quality_sum, quality_n, points, ratings_n, ratings_sum)"
#define ROLLUP_DAY_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define ROLLUP_DAY_SET                                                         \
    " ON CONFLICT(site_id, day, step_id, staff_id) DO UPDATE SET"              \
    " checkins = checkins + excluded.checkins,"                                \
    " quality_sum = quality_sum + excluded.quality_sum,"                       \
    " quality_n = quality_n + excluded.quality_n,"                             \
    " points = points + excluded.points,"                                      \
    " ratings_n = ratings_n + excluded.ratings_n,"                             \
    " ratings_sum = ratings_sum + excluded.ratings_sum"
#define ROLLUP_MEASURE_COLS 6
#define ROLLUP_MEASURE_INTO                                                    \
    "INSERT INTO rollup_measure(site_id, day, step_id, staff_id, measure,"     \
    " total)"
#define ROLLUP_MEASURE_ROW "(?, ?, ?, ?, ?, ?)"
#define ROLLUP_MEASURE_SET                                                     \
    " ON CONFLICT(site_id, day, step_id, staff_id, measure) DO UPDATE SET"     \
    " total = total + excluded.total"

static const struct {
    const char *label;
    const char *sql;
} stmt_defs[ST_COUNT_] = {
    [ST_BEGIN] = {"BEGIN", "BEGIN IMMEDIATE"},
    [ST_BEGIN_READ] = {"BEGIN", "BEGIN DEFERRED"},
    [ST_COMMIT] = {"COMMIT", "COMMIT"},
    [ST_ROLLBACK] = {"ROLLBACK", "ROLLBACK"},
    [ST_SCHEMA_VERSION] = {"SELECT schema_version",
                           "SELECT version FROM schema_version"},
    [ST_KIOSK_GET] = {"SELECT kiosks", "SELECT " KIOSK_COLUMNS
                                       " FROM kiosks WHERE kiosk_id = ?1"},
    [ST_KIOSK_BY_KEY] = {"SELECT kiosks by key",
                         "SELECT " KIOSK_COLUMNS
                         " FROM kiosks WHERE public_key = ?1"},
    [ST_KIOSK_LIST] = {"SELECT kiosks", "SELECT " KIOSK_COLUMNS
                                        " FROM kiosks ORDER BY kiosk_id"},
    [ST_KIOSK_KEY_OWNER] = {"SELECT kiosks by key",
                            "SELECT kiosk_id FROM kiosks"
                            " WHERE public_key = ?1 AND kiosk_id <> ?2"},
    [ST_KIOSK_ENROL] = {"INSERT kiosks",
                        "INSERT INTO kiosks(kiosk_id, site_id, public_key,"
                        " enrolled_ms) VALUES (?1, ?2, ?3, ?4)"
                        " ON CONFLICT(kiosk_id) DO UPDATE SET"
                        " site_id = excluded.site_id,"
                        " public_key = excluded.public_key,"
                        " enrolled_ms = excluded.enrolled_ms,"
                        " revoked = 0, revoked_ms = 0"},
    [ST_KIOSK_REVOKE] = {"UPDATE kiosks",
                         "UPDATE kiosks SET revoked = 1, revoked_ms ="
                         " CASE WHEN revoked THEN revoked_ms ELSE ?2 END"
                         " WHERE kiosk_id = ?1"},
    [ST_KIOSK_SEEN] = {"UPDATE kiosks",
                       "UPDATE kiosks SET last_seen_ms = ?2, last_seq = ?3,"
                       " outbox_depth = ?4, oldest_unsent_s = ?5,"
                       " clock_skew_ms = ?6, catalogue_version = ?7,"
                       " app_version = COALESCE(?8, app_version)"
                       " WHERE kiosk_id = ?1"},
    [ST_KIOSK_MARK] = {"SELECT kiosks", "SELECT acked_seq, revoked FROM kiosks"
                                        " WHERE kiosk_id = ?1"},
    [ST_KIOSK_SYNCED] = {"UPDATE kiosks",
                         "UPDATE kiosks SET acked_seq = ?2, last_sync_ms = ?3,"
                         " last_seen_ms = MAX(last_seen_ms, ?3),"
                         " events = events + ?4, rejected = rejected + ?5"
                         " WHERE kiosk_id = ?1"},
    [ST_EVENT_INSERT] = {"INSERT events",
                         "INSERT INTO events(kiosk_id, seq, type, site_id,"
                         " staff_id, step_id, process_id, catalogue_version,"
                         " captured_ms, received_ms, boot_id, mono_ms, day,"
                         " quality, score, vote, suggestion_id, measures,"
                         " note, kind, anonymous, title, body, points)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                         " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
                         " ?21, ?22, ?23, ?24)"},
    [ST_DEAD_INSERT] = {"INSERT dead_letters",
                        "INSERT INTO dead_letters(kiosk_id, seq, type, site_id,"
                        " code, reason, captured_ms, received_ms, payload)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
    [ST_ROLLUP_DAY] = {"UPSERT rollup_day", ROLLUP_DAY_INTO
                       " VALUES " ROLLUP_DAY_ROW ROLLUP_DAY_SET},
    [ST_ROLLUP_DAY_8] = {"UPSERT rollup_day", ROLLUP_DAY_INTO
                         " VALUES " ROWS_8(ROLLUP_DAY_ROW) ROLLUP_DAY_SET},
    [ST_ROLLUP_DAY_32] = {"UPSERT rollup_day", ROLLUP_DAY_INTO
                          " VALUES " ROWS_32(ROLLUP_DAY_ROW) ROLLUP_DAY_SET},
    [ST_ROLLUP_MEASURE] = {"UPSERT rollup_measure", ROLLUP_MEASURE_INTO
                           " VALUES " ROLLUP_MEASURE_ROW ROLLUP_MEASURE_SET},
    [ST_ROLLUP_MEASURE_8] = {"UPSERT rollup_measure", ROLLUP_MEASURE_INTO
                             " VALUES " ROWS_8(ROLLUP_MEASURE_ROW)
                                 ROLLUP_MEASURE_SET},
    [ST_ROLLUP_MEASURE_32] = {"UPSERT rollup_measure", ROLLUP_MEASURE_INTO
                              " VALUES " ROWS_32(ROLLUP_MEASURE_ROW)
                                  ROLLUP_MEASURE_SET},
    [ST_CHANGE_NEXT] = {"UPDATE meta change_counter",
                        "UPDATE meta SET value = value + 1"
                        " WHERE key = 'change_counter' RETURNING value"},
    [ST_SUGGESTION_INSERT] = {"INSERT suggestions",
                              "INSERT INTO suggestions(id, site_id, kiosk_id,"
                              " seq, kind, title, body, process_id, step_id,"
                              " author_id, anonymous, created_ms, updated_ms,"
                              " change_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                              " ?8, ?9, ?10, ?11, ?12, ?13, ?14)"},
    [ST_SUGGESTION_EXISTS] = {"SELECT suggestions",
                              "SELECT 1 FROM suggestions WHERE id = ?1"},
    [ST_SUGGESTION_VOTED] = {"UPDATE suggestions",
                             "UPDATE suggestions SET votes = votes + ?2,"
                             " updated_ms = ?3, change_id = ?4 WHERE id = ?1"},
    [ST_VOTE_ADD] = {"INSERT votes",
                     "INSERT INTO votes(suggestion_id, staff_id, created_ms)"
                     " VALUES (?1, ?2, ?3)"
                     " ON CONFLICT(suggestion_id, staff_id) DO NOTHING"},
    [ST_VOTE_REMOVE] = {"DELETE votes",
                        "DELETE FROM votes"
                        " WHERE suggestion_id = ?1 AND staff_id = ?2"},
    [ST_CATALOGUE_PUT] = {"INSERT catalogue_versions",
                          "INSERT INTO catalogue_versions(version, yaml,"
                          " published_ms)"
                          " SELECT COALESCE(MAX(version), 0) + 1, ?1, ?2"
                          " FROM catalogue_versions RETURNING version"},
    [ST_CATALOGUE_CURRENT] = {"SELECT catalogue_versions",
                              "SELECT version, yaml FROM catalogue_versions"
                              " ORDER BY version DESC LIMIT 1"},
    [ST_CATALOGUE_GET] = {"SELECT catalogue_versions",
                          "SELECT version, yaml FROM catalogue_versions"
                          " WHERE version = ?1"},
    [ST_FEED] = {"SELECT suggestions",
                 "SELECT id, kind, status, title, body, process_id, step_id,"
                 " author_id, votes, owner_id, due, feedback, merged_into,"
                 " created_ms, updated_ms, change_id FROM suggestions"
                 " WHERE site_id = ?1 AND change_id > ?2"
                 " ORDER BY change_id LIMIT ?3"},
    [ST_FEED_CURSOR] = {"SELECT suggestions",
                        "SELECT COALESCE(MAX(change_id), 0) FROM suggestions"
                        " WHERE site_id = ?1"},
    [ST_EXPORT] = {"SELECT events", EXPORT_SELECT " ORDER BY kiosk_id, seq"},
    /* a later page: the primary key's index seeks to the row after the
     * last one of the page before */
    [ST_EXPORT_AFTER] = {"SELECT events",
                         EXPORT_SELECT " AND (kiosk_id, seq) > (?4, ?5)"
                                       " ORDER BY kiosk_id, seq"},
    [ST_COUNTS] = {"SELECT counts", "SELECT (SELECT COUNT(*) FROM events),"
                                    " (SELECT COUNT(*) FROM dead_letters),"
                                    " (SELECT COUNT(*) FROM suggestions),"
                                    " (SELECT COUNT(*) FROM votes),"
                                    " (SELECT COUNT(*) FROM kiosks)"},
    [ST_POINTS_SO_FAR] = {"SELECT rollup_day points",
                          "SELECT points FROM rollup_day WHERE site_id = ?1"
                          " AND day = ?2 AND step_id = ?3 AND staff_id = ?4"},
    [ST_STAFF_TEAM] = {"UPSERT staff_team",
                       "INSERT INTO staff_team(site_id, staff_id, team_id)"
                       " VALUES (?1, ?2, ?3) ON CONFLICT(site_id, staff_id)"
                       " DO UPDATE SET team_id = excluded.team_id"
                       " WHERE team_id <> excluded.team_id"},
    [ST_SITE_POINTS] = {"UPSERT site_points",
                        "INSERT INTO site_points(site_id, change_id, last_day)"
                        " VALUES (?1, ?2, ?3) ON CONFLICT(site_id) DO UPDATE"
                        " SET change_id = excluded.change_id,"
                        " last_day = MAX(last_day, excluded.last_day)"},
    [ST_JOURNAL_INSERT] = {"INSERT ingest_journal",
                           "INSERT INTO ingest_journal(kiosk_id, site_id,"
                           " received_ms, items) VALUES (?1, ?2, ?3, ?4)"},
    [ST_JOURNAL_OLDEST] = {"SELECT ingest_journal",
                          "SELECT id, kiosk_id, site_id, received_ms, items"
                          " FROM ingest_journal ORDER BY id LIMIT ?1"},
    [ST_JOURNAL_DELETE] = {"DELETE ingest_journal",
                           "DELETE FROM ingest_journal"
                           " WHERE id BETWEEN ?1 AND ?2"},
    [ST_JOURNAL_COUNT] = {"SELECT ingest_journal",
                          "SELECT COUNT(*) FROM ingest_journal"},
};

/* One batch's rollups, summed in memory before they are written: one
 * rollup_day upsert per (day, step, staff) and one rollup_measure upsert
 * per (day, step, staff, measure) the batch touches, one staff_team
 * upsert per staff member, instead of one of each per event (see
 * sqlite_ingest). The strings point into the batch's items. */
typedef struct {
    const char *day, *step_id, *staff_id;
    uint64_t hash;
    int64_t checkins, quality_sum, quality_n, ratings_n, ratings_sum;
    double points;  /* this batch's points for the key, in seq order */
    bool have_base; /* so_far is known (a capped check-in needed it) */
    double so_far;  /* stored points + this batch's so far, in seq order */
} day_acc_t;

typedef struct {
    size_t day;          /* index into days */
    const char *measure; /* key as the kiosk sent it */
    uint64_t hash;
    double total; /* this batch's sum, in seq order */
} measure_acc_t;

typedef struct {
    day_acc_t *days;
    size_t n_days, cap_days;
    measure_acc_t *measures;
    size_t n_measures, cap_measures;
    /* open-addressing indexes (slot = 1 + entry index; 0 = empty) */
    uint32_t *day_slots, *measure_slots;
    size_t day_mask, measure_mask;
    const syncd_ingest_item_t **team; /* last check-in per staff member */
    size_t n_team, cap_team;
    double *earned;     /* per item: its points after the daily cap */
    uint32_t *item_day; /* per item: index into days, or UINT32_MAX */
    size_t cap_items;
} batch_acc_t;

typedef struct fold_group fold_group_t; /* "The ingest journal" below */
static void group_free(fold_group_t *g);

typedef struct {
    syncd_store_t base; /* first: store.c sees only this */
    sqlite3 *db;
    char *path;
    const char *op; /* the public operation running, for error messages */
    sqlite3_stmt *st[ST_COUNT_];
    batch_acc_t acc; /* reused by every fold */
    syncd_sync_mode_t sync_mode;
    /* The journal may hold rows: counted at open, set by every ingest that
     * writes a row, cleared when a fold finds it empty (a read then costs
     * no query). */
    bool journal_maybe;
    bool sync_relaxed;  /* a fold set synchronous=NORMAL (sync_relaxed()) */
    fold_group_t *fold; /* rows being folded, kept for the next fold */
} sqlite_store_t;

static int journal_rows(sqlite_store_t *s, int64_t *rows);

static sqlite_store_t *impl(syncd_store_t *self)
{
    return (sqlite_store_t *)self;
}

/* ---- Errors */

/* Records "op: what" as the last error and returns code. */
static int fail(sqlite_store_t *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(sqlite_store_t *s, int code, const char *fmt, ...)
{
    char what[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    syncd_store_set_error(&s->base, "%s: %s", s->op, what);
    return code;
}

/* Records "op: label: SQLite's text" and returns PROTO_ESTORE. */
static int db_fail(sqlite_store_t *s, const char *label)
{
    return fail(s, PROTO_ESTORE, "%s: %s", label, sqlite3_errmsg(s->db));
}

/* Every public operation ends here: no statement keeps a snapshot open.
 * sqlite3_reset() only repeats the error of a step already reported, so its
 * result carries nothing new. */
static int end_op(sqlite_store_t *s, int rc)
{
    for (int i = 0; i < ST_COUNT_; i++)
        if (s->st[i] != NULL)
            (void)sqlite3_reset(s->st[i]);
    return rc;
}

/* ---- One use of a cached statement: binds with a sticky error, so a
 *      caller binds everything and checks once when it steps. */
typedef struct {
    sqlite_store_t *s;
    stmt_id_t id;
    sqlite3_stmt *st;
    int rc; /* 0 or the first failure */
} call_t;

static call_t call(sqlite_store_t *s, stmt_id_t id)
{
    call_t c = {s, id, s->st[id], 0};

    /* Both only repeat earlier errors or cannot fail on a valid handle. */
    (void)sqlite3_reset(c.st);
    (void)sqlite3_clear_bindings(c.st);
    return c;
}

static void bound(call_t *c, int rc)
{
    if (rc != SQLITE_OK && c->rc == 0)
        c->rc = db_fail(c->s, stmt_defs[c->id].label);
}

/* Text, or NULL for SQL NULL. The text must outlive the step. */
static void b_text(call_t *c, int i, const char *v)
{
    bound(c, v ? sqlite3_bind_text(c->st, i, v, -1, SQLITE_STATIC)
               : sqlite3_bind_null(c->st, i));
}

static void b_textn(call_t *c, int i, const char *v, size_t len)
{
    bound(c, sqlite3_bind_text64(c->st, i, v, len, SQLITE_STATIC, SQLITE_UTF8));
}

static void b_i64(call_t *c, int i, int64_t v)
{
    bound(c, sqlite3_bind_int64(c->st, i, v));
}

/* uint64 values are stored bit for bit in SQLite's signed integers. */
static void b_u64(call_t *c, int i, uint64_t v)
{
    b_i64(c, i, (int64_t)v);
}

static void b_double(call_t *c, int i, double v)
{
    bound(c, sqlite3_bind_double(c->st, i, v));
}

/* 1 = a row is ready, 0 = done, <0 = error (reported). */
static int step(call_t *c)
{
    int rc;

    if (c->rc != 0)
        return c->rc;
    rc = sqlite3_step(c->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    c->rc = db_fail(c->s, stmt_defs[c->id].label);
    return c->rc;
}

/* Runs a statement that returns no rows: 0 or <0. */
static int run(call_t *c)
{
    int rc = step(c);

    return rc > 0 ? 0 : rc;
}

static int64_t col_i64(call_t *c, int i)
{
    return sqlite3_column_int64(c->st, i);
}

static uint64_t col_u64(call_t *c, int i)
{
    return (uint64_t)sqlite3_column_int64(c->st, i);
}

/* Column text, "" for NULL. Valid until the next step or reset. */
static const char *col_text(call_t *c, int i)
{
    const unsigned char *t = sqlite3_column_text(c->st, i);

    return t ? (const char *)t : "";
}

/* Copies a column into a fixed field. Identifiers are bounded at ingest,
 * so truncation only guards against a file edited by hand. */
static void col_copy(call_t *c, int i, char *dst, size_t size)
{
    snprintf(dst, size, "%s", col_text(c, i));
}

/* ---- Transactions */

static int begin(sqlite_store_t *s, stmt_id_t which)
{
    call_t c = call(s, which);

    return run(&c);
}

static int commit(sqlite_store_t *s)
{
    call_t c = call(s, ST_COMMIT);

    return run(&c);
}

/* Undoes a transaction that failed. SQLite rolls back by itself on some
 * errors (SQLITE_FULL, IOERR, NOMEM, a RAISE(ROLLBACK)); then there is
 * nothing left to undo. The error already recorded is the one that
 * matters, so a failing ROLLBACK is appended to it. */
static void rollback(sqlite_store_t *s)
{
    char first[SYNCD_STORE_ERRMSG_MAX];
    call_t c;

    if (sqlite3_get_autocommit(s->db))
        return;
    end_op(s, 0); /* pending statements must not hold the transaction */
    snprintf(first, sizeof first, "%s", s->base.errmsg);
    c = call(s, ST_ROLLBACK);
    if (run(&c) < 0)
        syncd_store_set_error(&s->base, "%s (and ROLLBACK failed: %s)", first,
                              sqlite3_errmsg(s->db));
    else
        syncd_store_set_error(&s->base, "%s", first);
}

/* ---- Open and migrate */

/* Runs constant SQL (pragmas, migration scripts). */
static int exec(sqlite_store_t *s, const char *label, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        fail(s, PROTO_ESTORE, "%s: %s", label, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return PROTO_ESTORE;
    }
    return 0;
}

/* Runs a one-row pragma query such as journal_mode=WAL; its answer goes to
 * out. */
static int pragma_text(sqlite_store_t *s, const char *sql, char *out,
                       size_t size)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);

        snprintf(out, size, "%s", t ? (const char *)t : "");
        rc = 0;
    } else {
        rc = fail(s, PROTO_ESTORE, "%s: %s", sql, sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st); /* repeats the step's error, if any */
    return rc;
}

static int write_schema_version(sqlite_store_t *s, int version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "UPDATE schema_version SET version = ?1",
                                -1, &st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(st, 1, version);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    rc = rc == SQLITE_DONE ? 0
                           : fail(s, PROTO_ESTORE, "UPDATE schema_version: %s",
                                  sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

static int read_schema_version(sqlite_store_t *s, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version", -1,
                                &st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = fail(s, PROTO_ESTORE,
                  "schema_version has no row; this file was not made by "
                  "syncd, or was damaged; restore it from a backup");
    } else {
        rc = fail(s, PROTO_ESTORE, "SELECT schema_version: %s",
                  sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    return rc;
}

/* Applies migrations[from..] one transaction each. Another process may
 * migrate the same file concurrently, so the version is read again inside
 * each write transaction. */
static int migrate(sqlite_store_t *s)
{
    int version = 0, rc;

    rc = exec(s, "create schema_version",
              "BEGIN IMMEDIATE;"
              "CREATE TABLE IF NOT EXISTS schema_version ("
              "  version INTEGER NOT NULL);"
              "INSERT INTO schema_version(version) SELECT 0"
              "  WHERE NOT EXISTS (SELECT 1 FROM schema_version);"
              "COMMIT;");
    if (rc < 0)
        goto cleanup;
    for (;;) {
        if ((rc = exec(s, "BEGIN", "BEGIN IMMEDIATE")) < 0 ||
            (rc = read_schema_version(s, &version)) < 0)
            goto cleanup;
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
        if ((rc = exec(s, "migration", migrations[version])) < 0 ||
            (rc = write_schema_version(s, version + 1)) < 0 ||
            (rc = exec(s, "COMMIT", "COMMIT")) < 0)
            goto cleanup;
    }
    rc = exec(s, "COMMIT", "COMMIT");
cleanup:
    /* Best effort: the store is closed right after a failed migration,
     * and closing rolls back too. */
    if (rc < 0 && !sqlite3_get_autocommit(s->db))
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int prepare_all(sqlite_store_t *s)
{
    for (int i = 0; i < ST_COUNT_; i++) {
        int rc = sqlite3_prepare_v3(s->db, stmt_defs[i].sql, -1,
                                    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);

        if (rc != SQLITE_OK)
            return fail(s, PROTO_ESTORE, "prepare %s: %s", stmt_defs[i].label,
                        sqlite3_errmsg(s->db));
    }
    return 0;
}

static const syncd_store_ops_t sqlite_ops;

static void sqlite_destroy(syncd_store_t *self)
{
    sqlite_store_t *s = impl(self);

    for (int i = 0; i < ST_COUNT_; i++)
        sqlite3_finalize(s->st[i]); /* NULL is a no-op */
    free(s->acc.days);
    free(s->acc.measures);
    free(s->acc.day_slots);
    free(s->acc.measure_slots);
    free(s->acc.team);
    free(s->acc.earned);
    free(s->acc.item_day);
    group_free(s->fold);
    /* close_v2 cannot fail on a valid handle with finalized statements */
    (void)sqlite3_close_v2(s->db);
    free(s->path);
    free(s);
}

syncd_store_t *syncd_store_sqlite_open(const char *path,
                                       const syncd_store_options_t *opt,
                                       char *err, size_t err_len)
{
    static const char *const sync_pragmas[] = {
        [SYNCD_SYNC_FULL] = "PRAGMA synchronous=FULL",
        [SYNCD_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
        [SYNCD_SYNC_OFF] = "PRAGMA synchronous=OFF",
    };
    sqlite_store_t *s = calloc(1, sizeof *s);
    int64_t rows = 0;
    char mode[32];
    int rc;

    if (s == NULL || (s->path = strdup(path)) == NULL) {
        snprintf(err, err_len, "store %s: out of memory", path);
        goto fail;
    }
    s->base.ops = &sqlite_ops;
    s->op = s->path; /* open errors read "PATH: what" */
    if ((unsigned)opt->sync_mode > SYNCD_SYNC_OFF) {
        snprintf(err, err_len,
                 "store %s: unknown sync mode %d; use full, normal or off",
                 path, (int)opt->sync_mode);
        goto fail;
    }
    rc = sqlite3_open_v2(
        path, &s->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_len,
                 "cannot open store %s: %s; check that its directory exists "
                 "and is writable",
                 path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    if ((rc = sqlite3_extended_result_codes(s->db, 1)) != SQLITE_OK ||
        (rc = sqlite3_busy_timeout(
             s->db, opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 5000)) !=
            SQLITE_OK) {
        snprintf(err, err_len, "store %s: %s", path, sqlite3_errstr(rc));
        goto fail;
    }
    /* journal_mode is the first statement that reads the file: it is where
     * "file is not a database" shows. */
    if (pragma_text(s, "PRAGMA journal_mode=WAL", mode, sizeof mode) < 0) {
        snprintf(err, err_len,
                 "store %s; is this a Stepwise store? (give syncd a new path "
                 "to start an empty one)",
                 s->base.errmsg);
        goto fail;
    }
    if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
        snprintf(err, err_len,
                 "store %s: could not switch to WAL journaling (got \"%s\"); "
                 "put the store on a local file system",
                 path, mode);
        goto fail;
    }
    if (exec(s, "PRAGMA foreign_keys", "PRAGMA foreign_keys=ON") < 0 ||
        exec(s, "PRAGMA synchronous", sync_pragmas[opt->sync_mode]) < 0 ||
        migrate(s) < 0 || prepare_all(s) < 0) {
        snprintf(err, err_len, "store %s", s->base.errmsg);
        goto fail;
    }
    s->sync_mode = opt->sync_mode;
    if (journal_rows(s, &rows) < 0) {
        snprintf(err, err_len, "store %s", s->base.errmsg);
        goto fail;
    }
    s->journal_maybe = rows > 0;
    end_op(s, 0);
    s->base.errmsg[0] = '\0';
    return &s->base;
fail:
    if (s != NULL)
        sqlite_destroy(&s->base);
    return NULL;
}

static int sqlite_schema_version(syncd_store_t *self)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_SCHEMA_VERSION);
    int rc;

    s->op = "schema version";
    rc = step(&c);
    if (rc == 1)
        rc = (int)col_i64(&c, 0);
    else if (rc == 0)
        rc = fail(s, PROTO_ESTORE, "schema_version has no row");
    return end_op(s, rc);
}

/* ---- Kiosks */

static void kiosk_from_row(call_t *c, syncd_kiosk_t *k)
{
    memset(k, 0, sizeof *k);
    col_copy(c, 0, k->kiosk_id, sizeof k->kiosk_id);
    col_copy(c, 1, k->site_id, sizeof k->site_id);
    col_copy(c, 2, k->public_key, sizeof k->public_key);
    k->revoked = col_i64(c, 3) != 0;
    k->enrolled_ms = col_i64(c, 4);
    k->revoked_ms = col_i64(c, 5);
    k->acked_seq = col_u64(c, 6);
    k->last_seen_ms = col_i64(c, 7);
    k->last_sync_ms = col_i64(c, 8);
    k->last_seq = col_u64(c, 9);
    k->outbox_depth = col_u64(c, 10);
    k->oldest_unsent_s = col_u64(c, 11);
    k->clock_skew_ms = col_i64(c, 12);
    k->catalogue_version = col_u64(c, 13);
    col_copy(c, 14, k->app_version, sizeof k->app_version);
    k->events = col_u64(c, 15);
    k->rejected = col_u64(c, 16);
}

/* One kiosk by id or by key; PROTO_ENOTFOUND when absent. */
static int kiosk_lookup(sqlite_store_t *s, stmt_id_t id, const char *what,
                        const char *value, syncd_kiosk_t *out)
{
    call_t c = call(s, id);
    int rc;

    b_text(&c, 1, value);
    rc = step(&c);
    if (rc == 1) {
        kiosk_from_row(&c, out);
        rc = 0;
    } else if (rc == 0) {
        rc = fail(s, PROTO_ENOTFOUND,
                  "no kiosk with %s \"%s\"; list them with syncctl kiosks",
                  what, value);
    }
    return end_op(s, rc);
}

static int sqlite_kiosk_get(syncd_store_t *self, const char *kiosk_id,
                            syncd_kiosk_t *out)
{
    impl(self)->op = "kiosk get";
    return kiosk_lookup(impl(self), ST_KIOSK_GET, "id", kiosk_id, out);
}

static int sqlite_kiosk_by_key(syncd_store_t *self, const char *public_key,
                               syncd_kiosk_t *out)
{
    impl(self)->op = "kiosk by key";
    return kiosk_lookup(impl(self), ST_KIOSK_BY_KEY, "public key", public_key,
                        out);
}

static int sqlite_kiosk_list(syncd_store_t *self, syncd_kiosk_t **out,
                             size_t *n)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_KIOSK_LIST);
    syncd_kiosk_t *list = NULL;
    size_t count = 0, cap = 0;
    int rc;

    s->op = "kiosk list";
    while ((rc = step(&c)) == 1) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            syncd_kiosk_t *grown = realloc(list, ncap * sizeof *list);

            if (grown == NULL) {
                rc = fail(s, PROTO_ENOMEM, "out of memory listing kiosks");
                goto cleanup;
            }
            list = grown;
            cap = ncap;
        }
        kiosk_from_row(&c, &list[count++]);
    }
cleanup:
    if (rc < 0) {
        free(list);
        return end_op(s, rc);
    }
    *out = list;
    *n = count;
    return end_op(s, 0);
}

static int sqlite_kiosk_enrol(syncd_store_t *self, const char *kiosk_id,
                              const char *site_id, const char *public_key,
                              int64_t now_ms)
{
    sqlite_store_t *s = impl(self);
    call_t c;
    int rc;

    s->op = "enrol";
    if ((rc = begin(s, ST_BEGIN)) < 0)
        goto cleanup;
    c = call(s, ST_KIOSK_KEY_OWNER);
    b_text(&c, 1, public_key);
    b_text(&c, 2, kiosk_id);
    rc = step(&c);
    if (rc == 1) {
        rc = fail(s, PROTO_EINVAL,
                  "public key %s already belongs to kiosk \"%s\"; make a new "
                  "key pair for \"%s\" with syncctl keygen kiosk",
                  public_key, col_text(&c, 0), kiosk_id);
        goto cleanup;
    }
    if (rc < 0)
        goto cleanup;
    c = call(s, ST_KIOSK_ENROL);
    b_text(&c, 1, kiosk_id);
    b_text(&c, 2, site_id);
    b_text(&c, 3, public_key);
    b_i64(&c, 4, now_ms);
    if ((rc = run(&c)) < 0)
        goto cleanup;
    rc = commit(s);
cleanup:
    if (rc < 0)
        rollback(s);
    return end_op(s, rc);
}

static int sqlite_kiosk_revoke(syncd_store_t *self, const char *kiosk_id,
                               int64_t now_ms)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_KIOSK_REVOKE);
    int rc;

    s->op = "revoke";
    b_text(&c, 1, kiosk_id);
    b_i64(&c, 2, now_ms);
    rc = run(&c);
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = fail(s, PROTO_ENOTFOUND,
                  "no kiosk \"%s\" to revoke; list them with syncctl kiosks",
                  kiosk_id);
    return end_op(s, rc);
}

static int sqlite_kiosk_seen(syncd_store_t *self, const char *kiosk_id,
                             int64_t now_ms, uint64_t last_seq,
                             uint64_t outbox_depth, uint64_t oldest_unsent_s,
                             int64_t clock_skew_ms, uint64_t catalogue_version,
                             const char *app_version)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_KIOSK_SEEN);
    int rc;

    s->op = "kiosk seen";
    b_text(&c, 1, kiosk_id);
    b_i64(&c, 2, now_ms);
    b_u64(&c, 3, last_seq);
    b_u64(&c, 4, outbox_depth);
    b_u64(&c, 5, oldest_unsent_s);
    b_i64(&c, 6, clock_skew_ms);
    b_u64(&c, 7, catalogue_version);
    b_text(&c, 8, app_version);
    rc = run(&c);
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = fail(s, PROTO_ENOTFOUND, "no kiosk \"%s\"", kiosk_id);
    return end_op(s, rc);
}

static int sqlite_kiosks_seen(syncd_store_t *self, const syncd_kiosk_seen_t *v,
                              size_t n)
{
    sqlite_store_t *s = impl(self);
    int rc;

    s->op = "kiosks seen";
    if ((rc = begin(s, ST_BEGIN)) < 0)
        return end_op(s, rc);
    for (size_t i = 0; i < n && rc == 0; i++) {
        call_t c = call(s, ST_KIOSK_SEEN);

        b_text(&c, 1, v[i].kiosk_id);
        b_i64(&c, 2, v[i].now_ms);
        b_u64(&c, 3, v[i].last_seq);
        b_u64(&c, 4, v[i].outbox_depth);
        b_u64(&c, 5, v[i].oldest_unsent_s);
        b_i64(&c, 6, v[i].clock_skew_ms);
        b_u64(&c, 7, v[i].catalogue_version);
        b_text(&c, 8, NULL);
        rc = run(&c);
    }
    if (rc == 0)
        rc = commit(s);
    if (rc < 0)
        rollback(s);
    return end_op(s, rc);
}

/* ---- Ingest: one helper per statement family */

/* The kiosk's high-water mark; PROTO_EDENIED when unknown or revoked. */
static int kiosk_mark(sqlite_store_t *s, const char *kiosk_id, uint64_t *mark)
{
    call_t c = call(s, ST_KIOSK_MARK);
    int rc;

    b_text(&c, 1, kiosk_id);
    rc = step(&c);
    if (rc == 0)
        return fail(s, PROTO_EDENIED,
                    "kiosk \"%s\" is not enrolled; enrol it with syncctl "
                    "enrol before it pushes",
                    kiosk_id);
    if (rc < 0)
        return rc;
    if (col_i64(&c, 1) != 0)
        return fail(s, PROTO_EDENIED,
                    "kiosk \"%s\" is revoked; its events are refused until "
                    "it is enrolled again",
                    kiosk_id);
    *mark = col_u64(&c, 0);
    return 0;
}

static int kiosk_synced(sqlite_store_t *s, const char *kiosk_id,
                        const syncd_ingest_result_t *res, int64_t now_ms)
{
    call_t c = call(s, ST_KIOSK_SYNCED);

    b_text(&c, 1, kiosk_id);
    b_u64(&c, 2, res->acked_seq);
    b_i64(&c, 3, now_ms);
    b_i64(&c, 4, res->accepted);
    b_i64(&c, 5, res->rejected);
    return run(&c);
}

/* The next value of the feed's change counter. */
static int next_change(sqlite_store_t *s, int64_t *change_id)
{
    call_t c = call(s, ST_CHANGE_NEXT);
    int rc = step(&c);

    if (rc == 0)
        return fail(s, PROTO_ESTORE,
                    "meta has no change_counter; the store is damaged, "
                    "restore it from a backup");
    if (rc < 0)
        return rc;
    *change_id = col_i64(&c, 0);
    return run(&c); /* steps past the one RETURNING row */
}

static int dead_letter_insert(sqlite_store_t *s, const char *kiosk_id,
                              const char *site_id,
                              const syncd_ingest_item_t *item, int64_t now_ms,
                              syncd_buf_t *json)
{
    const proto_event_t *ev = item->event;
    call_t c;

    syncd_buf_reset(json);
    syncd_buf_event_json(json, ev);
    if (json->oom)
        return fail(s, PROTO_ENOMEM,
                    "out of memory writing dead letter %s:%" PRIu64, kiosk_id,
                    ev->seq);
    c = call(s, ST_DEAD_INSERT);
    b_text(&c, 1, kiosk_id);
    b_u64(&c, 2, ev->seq);
    b_text(&c, 3, syncd_event_type_name(ev->type));
    b_text(&c, 4, site_id);
    b_i64(&c, 5, item->reject_code);
    b_text(&c, 6,
           item->reason ? item->reason : proto_reject_name(item->reject_code));
    b_i64(&c, 7, ev->captured_ms);
    b_i64(&c, 8, now_ms);
    b_textn(&c, 9, json->p, json->len);
    return run(&c);
}

/* The events row; fields the type does not use stay '' or NULL. */
static int event_insert(sqlite_store_t *s, const char *kiosk_id,
                        const char *site_id, const syncd_ingest_item_t *item,
                        int64_t now_ms, syncd_buf_t *json)
{
    const proto_event_t *ev = item->event;
    bool checkin = ev->type == PROTO_EV_CHECKIN;
    bool suggestion = ev->type == PROTO_EV_SUGGESTION;
    bool vote = ev->type == PROTO_EV_VOTE;
    bool rating = ev->type == PROTO_EV_RATING;
    call_t c;

    syncd_buf_reset(json);
    if (checkin) {
        syncd_buf_measures(json, ev);
        if (json->oom)
            return fail(s, PROTO_ENOMEM, "out of memory writing measures");
    }
    c = call(s, ST_EVENT_INSERT);
    b_text(&c, 1, kiosk_id);
    b_u64(&c, 2, ev->seq);
    b_text(&c, 3, syncd_event_type_name(ev->type));
    b_text(&c, 4, site_id);
    b_text(&c, 5, syncd_event_staff(ev));
    b_text(&c, 6, vote ? "" : ev->step_id);
    b_text(&c, 7, suggestion ? ev->process_id : "");
    if (checkin)
        b_u64(&c, 8, ev->catalogue_version);
    b_i64(&c, 9, ev->captured_ms);
    b_i64(&c, 10, now_ms);
    b_u64(&c, 11, ev->boot_id);
    b_u64(&c, 12, ev->mono_ms);
    b_text(&c, 13, item->day);
    if (checkin && ev->quality > 0)
        b_i64(&c, 14, ev->quality);
    if (rating)
        b_i64(&c, 15, ev->score);
    if (vote)
        b_i64(&c, 16, ev->vote);
    b_text(&c, 17, vote ? ev->suggestion_id : "");
    if (checkin)
        b_textn(&c, 18, json->p, json->len);
    b_text(&c, 19, checkin ? ev->note : NULL);
    if (suggestion) {
        b_text(&c, 20, syncd_kind_name(ev->kind));
        b_i64(&c, 21, ev->anonymous);
        b_text(&c, 22, ev->title);
        b_text(&c, 23, ev->body);
    }
    b_double(&c, 24, item->points);
    return run(&c);
}

static int suggestion_insert(sqlite_store_t *s, const char *kiosk_id,
                             const char *site_id, const proto_event_t *ev,
                             int64_t now_ms)
{
    char id[PROTO_ID_MAX + 32];
    int64_t change_id;
    call_t c;
    int rc;

    if ((rc = next_change(s, &change_id)) < 0)
        return rc;
    snprintf(id, sizeof id, "%s:%" PRIu64, kiosk_id, ev->seq);
    c = call(s, ST_SUGGESTION_INSERT);
    b_text(&c, 1, id);
    b_text(&c, 2, site_id);
    b_text(&c, 3, kiosk_id);
    b_u64(&c, 4, ev->seq);
    b_text(&c, 5, syncd_kind_name(ev->kind));
    b_text(&c, 6, ev->title);
    b_text(&c, 7, ev->body);
    b_text(&c, 8, ev->process_id);
    b_text(&c, 9, ev->step_id);
    b_text(&c, 10, syncd_event_staff(ev));
    b_i64(&c, 11, ev->anonymous);
    b_i64(&c, 12, ev->captured_ms);
    b_i64(&c, 13, now_ms);
    b_i64(&c, 14, change_id);
    return run(&c);
}

/* Where a vote for id counts: id itself, or the suggestion it was merged
 * into (following a chain of merges, at most 8 deep). */
static int merged_target(sqlite_store_t *s, const char *id,
                         char target[PROTO_ID_MAX + 1])
{
    static const char label[] = "SELECT suggestions merged_into";
    sqlite3_stmt *st = NULL;
    int rc = 0;

    snprintf(target, PROTO_ID_MAX + 1, "%s", id);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT merged_into FROM suggestions WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, label);
    for (int depth = 0; depth < 8; depth++) {
        const unsigned char *next;

        (void)sqlite3_reset(st);
        if (sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT) !=
            SQLITE_OK) {
            rc = db_fail(s, label);
            break;
        }
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            rc = rc == SQLITE_DONE ? 0 : db_fail(s, label);
            break;
        }
        rc = 0;
        next = sqlite3_column_text(st, 0);
        if (next == NULL || next[0] == '\0')
            break;
        snprintf(target, PROTO_ID_MAX + 1, "%s", (const char *)next);
    }
    sqlite3_finalize(st);
    return rc;
}

/* A vote of +1 adds the voter's row (once per staff member), 0 withdraws
 * it; the suggestion's count and change_id move only when a row did. A
 * vote for a suggestion the store does not hold changes nothing (the
 * daemon refuses those before they get here) rather than failing the
 * batch and blocking the kiosk's queue. */
static int vote_apply(sqlite_store_t *s, const proto_event_t *ev,
                      int64_t now_ms)
{
    char target[PROTO_ID_MAX + 1];
    int64_t change_id;
    call_t c = call(s, ST_SUGGESTION_EXISTS);
    int rc;

    b_text(&c, 1, ev->suggestion_id);
    if ((rc = step(&c)) <= 0)
        return rc;
    if ((rc = merged_target(s, ev->suggestion_id, target)) < 0)
        return rc;
    c = call(s, ev->vote ? ST_VOTE_ADD : ST_VOTE_REMOVE);
    b_text(&c, 1, target);
    b_text(&c, 2, ev->staff_id);
    if (ev->vote)
        b_i64(&c, 3, ev->captured_ms);
    if ((rc = run(&c)) < 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return 0;
    if ((rc = next_change(s, &change_id)) < 0)
        return rc;
    c = call(s, ST_SUGGESTION_VOTED);
    b_text(&c, 1, target);
    b_i64(&c, 2, ev->vote ? 1 : -1);
    b_i64(&c, 3, now_ms);
    b_i64(&c, 4, change_id);
    return run(&c);
}

/* ---- The batch's rollups in memory (batch_acc_t). A batch of 200
 *      check-ins touches ~140 (day, step, staff) keys and 16 staff members
 *      in the benchmark, a real branch's backlog far fewer keys per event;
 *      each upsert costs an index seek and a statement run. Sums of one
 *      batch are added to the stored rows by the same additive upserts as
 *      before, so a retried or concurrent batch cannot double them: the
 *      whole batch is one transaction. Integral sums are exact; sums of
 *      fractional points or measures may differ from one-by-one addition
 *      in the last bits (verify_rollups allows 1e-9 relative). */

static uint64_t hash_str(uint64_t h, const char *str)
{
    for (const unsigned char *p = (const unsigned char *)str; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull; /* separator: "a"+"bc" != "ab"+"c" */
}

static size_t pow2_at_least(size_t n)
{
    size_t c = 16;

    while (c < n)
        c *= 2;
    return c;
}

static int grow_array(void **p, size_t *cap, size_t need, size_t size)
{
    void *np;

    if (need <= *cap)
        return 0;
    np = realloc(*p, need * size);
    if (np == NULL)
        return PROTO_ENOMEM;
    *p = np;
    *cap = need;
    return 0;
}

/* Empties the accumulator and makes room for a batch of n items. */
static int acc_reset(sqlite_store_t *s, const syncd_ingest_item_t *items,
                     size_t n)
{
    batch_acc_t *a = &s->acc;
    size_t n_measures = 0, day_slots = pow2_at_least(2 * n), measure_slots, cap;

    for (size_t i = 0; i < n; i++)
        n_measures += items[i].event->n_measures;
    measure_slots = pow2_at_least(2 * n_measures);
    cap = a->cap_items;
    if (grow_array((void **)&a->days, &a->cap_days, n, sizeof *a->days) ||
        grow_array((void **)&a->team, &a->cap_team, n, sizeof *a->team) ||
        grow_array((void **)&a->measures, &a->cap_measures, n_measures,
                   sizeof *a->measures) ||
        grow_array((void **)&a->earned, &cap, n, sizeof *a->earned) ||
        grow_array((void **)&a->item_day, &a->cap_items, n,
                   sizeof *a->item_day))
        return fail(s, PROTO_ENOMEM,
                    "out of memory summing the rollups of "
                    "a batch of %zu events",
                    n);
    if (day_slots > a->day_mask + 1 || a->day_slots == NULL) {
        free(a->day_slots);
        if ((a->day_slots = calloc(day_slots, sizeof *a->day_slots)) == NULL)
            return fail(s, PROTO_ENOMEM, "out of memory summing rollups");
        a->day_mask = day_slots - 1;
    }
    if (measure_slots > a->measure_mask + 1 || a->measure_slots == NULL) {
        free(a->measure_slots);
        a->measure_slots = calloc(measure_slots, sizeof *a->measure_slots);
        if (a->measure_slots == NULL)
            return fail(s, PROTO_ENOMEM, "out of memory summing rollups");
        a->measure_mask = measure_slots - 1;
    }
    memset(a->day_slots, 0, (a->day_mask + 1) * sizeof *a->day_slots);
    memset(a->measure_slots, 0,
           (a->measure_mask + 1) * sizeof *a->measure_slots);
    a->n_days = a->n_measures = a->n_team = 0;
    return 0;
}

/* The accumulator of (item's day, step, staff), created empty if new. */
static uint32_t acc_day(batch_acc_t *a, const syncd_ingest_item_t *item)
{
    const proto_event_t *ev = item->event;
    uint64_t h = hash_str(
        hash_str(hash_str(14695981039346656037ull, item->day), ev->step_id),
        ev->staff_id);
    day_acc_t *d;

    for (size_t i = h & a->day_mask;; i = (i + 1) & a->day_mask) {
        uint32_t slot = a->day_slots[i];

        if (slot == 0) {
            d = &a->days[a->n_days];
            memset(d, 0, sizeof *d);
            d->day = item->day;
            d->step_id = ev->step_id;
            d->staff_id = ev->staff_id;
            d->hash = h;
            a->day_slots[i] = (uint32_t)++a->n_days;
            return (uint32_t)(a->n_days - 1);
        }
        d = &a->days[slot - 1];
        if (d->hash == h && strcmp(d->day, item->day) == 0 &&
            strcmp(d->step_id, ev->step_id) == 0 &&
            strcmp(d->staff_id, ev->staff_id) == 0)
            return slot - 1;
    }
}

static void acc_measure(batch_acc_t *a, uint32_t day, const char *measure,
                        double value)
{
    uint64_t h = hash_str(a->days[day].hash, measure);
    measure_acc_t *m;

    for (size_t i = h & a->measure_mask;; i = (i + 1) & a->measure_mask) {
        uint32_t slot = a->measure_slots[i];

        if (slot == 0) {
            m = &a->measures[a->n_measures];
            m->day = day;
            m->measure = measure;
            m->hash = h;
            m->total = 0;
            a->measure_slots[i] = (uint32_t)++a->n_measures;
            break;
        }
        m = &a->measures[slot - 1];
        if (m->hash == h && m->day == day && strcmp(m->measure, measure) == 0)
            break;
    }
    m->total += value;
}

/* The last check-in of each staff member names their team (staff_team is
 * "the team as of the latest check-in"). */
static void acc_team(batch_acc_t *a, const syncd_ingest_item_t *item)
{
    if (item->team_id == NULL || item->team_id[0] == '\0')
        return;
    for (size_t i = 0; i < a->n_team; i++)
        if (strcmp(a->team[i]->event->staff_id, item->event->staff_id) == 0) {
            a->team[i] = item;
            return;
        }
    a->team[a->n_team++] = item;
}

/* The points of (day, step, staff) before check-in `upto` of the batch:
 * the stored row's, then this batch's earlier ones added one by one in
 * seq order, exactly as when each check-in was upserted on its own. Read
 * from the store once per key and batch. */
static int points_so_far(sqlite_store_t *s, const char *site_id, uint32_t day,
                         size_t upto, double *so_far)
{
    batch_acc_t *a = &s->acc;
    day_acc_t *d = &a->days[day];
    call_t c;
    int rc;

    if (!d->have_base) {
        double base = 0;

        c = call(s, ST_POINTS_SO_FAR);
        b_text(&c, 1, site_id);
        b_text(&c, 2, d->day);
        b_text(&c, 3, d->step_id);
        b_text(&c, 4, d->staff_id);
        if ((rc = step(&c)) < 0)
            return rc;
        if (rc == 1)
            base = sqlite3_column_double(c.st, 0);
        (void)sqlite3_reset(c.st); /* only repeats a reported error */
        for (size_t j = 0; j < upto; j++)
            if (a->item_day[j] == day)
                base += a->earned[j];
        d->so_far = base;
        d->have_base = true;
    }
    *so_far = d->so_far;
    return 0;
}

/* A check-in or rating into the batch's rollups; *earned is its points
 * after the step's daily cap, so that the day's total for (site, day,
 * step, staff) never passes the cap: three check-ins crossing it give
 * exactly the cap, whichever batches they came in. */
static int acc_add(sqlite_store_t *s, const char *site_id,
                   const syncd_ingest_item_t *items, size_t i, double *earned)
{
    batch_acc_t *a = &s->acc;
    const syncd_ingest_item_t *item = &items[i];
    const proto_event_t *ev = item->event;
    bool checkin = ev->type == PROTO_EV_CHECKIN;
    uint32_t di = acc_day(a, item);
    day_acc_t *d;
    int rc;

    *earned = item->points;
    if (checkin && item->points_cap > 0) {
        double so_far;

        if ((rc = points_so_far(s, site_id, di, i, &so_far)) < 0)
            return rc;
        *earned = syncd_points_capped(*earned, item->points_cap, so_far);
    }
    a->earned[i] = *earned;
    a->item_day[i] = di;
    d = &a->days[di];
    d->points += *earned;
    if (d->have_base)
        d->so_far += *earned;
    if (checkin) {
        d->checkins++;
        d->quality_sum += ev->quality;
        d->quality_n += ev->quality > 0;
        for (uint32_t m = 0; m < ev->n_measures; m++)
            acc_measure(a, di, ev->measures[m].key, ev->measures[m].value);
        acc_team(a, item);
    } else {
        d->ratings_n++;
        d->ratings_sum += ev->score;
    }
    return 0;
}

/* Rows for the next rollup upsert: 32, 8 or 1 of the `left` keys. */
static size_t rollup_rows(size_t left)
{
    return left >= 32 ? 32 : left >= 8 ? 8 : 1;
}

/* Writes the batch's sums: rollup_day, rollup_measure, staff_team. */
static int acc_write(sqlite_store_t *s, const char *site_id)
{
    const batch_acc_t *a = &s->acc;
    call_t c;
    int rc;

    for (size_t i = 0, rows; i < a->n_days; i += rows) {
        rows = rollup_rows(a->n_days - i);
        c = call(s, rows == 32  ? ST_ROLLUP_DAY_32
                    : rows == 8 ? ST_ROLLUP_DAY_8
                                : ST_ROLLUP_DAY);
        for (size_t r = 0; r < rows; r++) {
            const day_acc_t *d = &a->days[i + r];
            int p = (int)r * ROLLUP_DAY_COLS;

            b_text(&c, p + 1, site_id);
            b_text(&c, p + 2, d->day);
            b_text(&c, p + 3, d->step_id);
            b_text(&c, p + 4, d->staff_id);
            b_i64(&c, p + 5, d->checkins);
            b_i64(&c, p + 6, d->quality_sum);
            b_i64(&c, p + 7, d->quality_n);
            b_double(&c, p + 8, d->points);
            b_i64(&c, p + 9, d->ratings_n);
            b_i64(&c, p + 10, d->ratings_sum);
        }
        if ((rc = run(&c)) < 0)
            return rc;
    }
    for (size_t i = 0, rows; i < a->n_measures; i += rows) {
        rows = rollup_rows(a->n_measures - i);
        c = call(s, rows == 32  ? ST_ROLLUP_MEASURE_32
                    : rows == 8 ? ST_ROLLUP_MEASURE_8
                                : ST_ROLLUP_MEASURE);
        for (size_t r = 0; r < rows; r++) {
            const measure_acc_t *m = &a->measures[i + r];
            const day_acc_t *d = &a->days[m->day];
            int p = (int)r * ROLLUP_MEASURE_COLS;

            b_text(&c, p + 1, site_id);
            b_text(&c, p + 2, d->day);
            b_text(&c, p + 3, d->step_id);
            b_text(&c, p + 4, d->staff_id);
            b_text(&c, p + 5, m->measure);
            b_double(&c, p + 6, m->total);
        }
        if ((rc = run(&c)) < 0)
            return rc;
    }
    for (size_t i = 0; i < a->n_team; i++) {
        c = call(s, ST_STAFF_TEAM);
        b_text(&c, 1, site_id);
        b_text(&c, 2, a->team[i]->event->staff_id);
        b_text(&c, 3, a->team[i]->team_id);
        if ((rc = run(&c)) < 0)
            return rc;
    }
    return 0;
}

/* The site's standings changed: they take the next change_id, so a kiosk
 * whose feed cursor is below it gets them in its next FEED. */
static int standings_changed(sqlite_store_t *s, const char *site_id,
                             const char *day)
{
    int64_t change_id;
    call_t c;
    int rc;

    if ((rc = next_change(s, &change_id)) < 0)
        return rc;
    c = call(s, ST_SITE_POINTS);
    b_text(&c, 1, site_id);
    b_i64(&c, 2, change_id);
    b_text(&c, 3, day);
    return run(&c);
}

static int accepted_store(sqlite_store_t *s, const char *kiosk_id,
                          const char *site_id, const syncd_ingest_item_t *items,
                          size_t i, int64_t now_ms, syncd_buf_t *json,
                          double *earned)
{
    const proto_event_t *ev = items[i].event;
    syncd_ingest_item_t capped = items[i];
    int rc;

    *earned = 0;
    if ((ev->type == PROTO_EV_CHECKIN || ev->type == PROTO_EV_RATING) &&
        (rc = acc_add(s, site_id, items, i, earned)) < 0)
        return rc;
    if (ev->type == PROTO_EV_CHECKIN)
        capped.points = *earned;
    if ((rc = event_insert(s, kiosk_id, site_id, &capped, now_ms, json)) < 0)
        return rc;
    switch (ev->type) {
    case PROTO_EV_SUGGESTION:
        return suggestion_insert(s, kiosk_id, site_id, ev, now_ms);
    case PROTO_EV_VOTE:
        return vote_apply(s, ev, now_ms);
    case PROTO_EV_CHECKIN:
    case PROTO_EV_RATING:
        break;
    }
    return 0;
}

/* store_common's batch promises, as this store's error. */
static int batch_check(sqlite_store_t *s, const syncd_ingest_item_t *items,
                       size_t n)
{
    char why[256];
    int rc = syncd_store_batch_check(items, n, why, sizeof why);

    return rc < 0 ? fail(s, rc, "%s", why) : 0;
}

/* ---- The ingest journal */

/* One journal row: the n accepted items (no rejected ones) in syncd's own
 * flat form (journal.h; an anonymous suggestion's author is already
 * erased). */
static int journal_insert(sqlite_store_t *s, const char *kiosk_id,
                          const char *site_id,
                          const syncd_ingest_item_t *const *items, size_t n,
                          int64_t now_ms, syncd_buf_t *row)
{
    call_t c;

    syncd_buf_reset(row);
    syncd_journal_encode(row, items, n);
    if (row->oom)
        return fail(s, PROTO_ENOMEM, "out of memory journalling %zu events", n);
    c = call(s, ST_JOURNAL_INSERT);
    b_text(&c, 1, kiosk_id);
    b_text(&c, 2, site_id);
    b_i64(&c, 3, now_ms);
    bound(&c, sqlite3_bind_blob64(c.st, 4, row->p, row->len, SQLITE_STATIC));
    return run(&c);
}

/* The batch's accepted items into the journal, PROTO_MAX_BATCH per row
 * (what one PUSH may carry). */
static int journal_write(sqlite_store_t *s, const char *kiosk_id,
                         const char *site_id, const syncd_ingest_item_t *items,
                         size_t n, int64_t now_ms, syncd_buf_t *row)
{
    const syncd_ingest_item_t *take[PROTO_MAX_BATCH];
    size_t k = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        if (items[i].reject_code != 0)
            continue;
        take[k++] = &items[i];
        if (k == PROTO_MAX_BATCH) {
            if ((rc = journal_insert(s, kiosk_id, site_id, take, k, now_ms,
                                     row)) < 0)
                return rc;
            k = 0;
        }
    }
    return k > 0 ? journal_insert(s, kiosk_id, site_id, take, k, now_ms, row)
                 : 0;
}

/* Rows folded per transaction: consecutive rows of one site, summed into
 * one set of rollup upserts (the kiosks of a site push the same days, steps
 * and staff, so fewer rows are written than row by row). */
#define FOLD_GROUP SYNCD_FOLD_GROUP

/* A journal row read back; its texts live in blob. */
typedef struct {
    int64_t id;
    char kiosk_id[PROTO_ID_MAX + 1], site_id[PROTO_ID_MAX + 1];
    int64_t received_ms;
    uint8_t *blob;
    size_t blob_cap;
} journal_row_t;

/* A group of journal rows being folded, their items end to end in the
 * order ingest stored them. */
struct fold_group {
    journal_row_t rows[FOLD_GROUP];
    size_t n_rows;
    proto_event_t evs[FOLD_GROUP * PROTO_MAX_BATCH];
    syncd_ingest_item_t items[FOLD_GROUP * PROTO_MAX_BATCH];
    uint8_t item_row[FOLD_GROUP * PROTO_MAX_BATCH];
    size_t n_items;
};

static void group_free(fold_group_t *g)
{
    if (g == NULL)
        return;
    for (size_t r = 0; r < FOLD_GROUP; r++)
        free(g->rows[r].blob);
    free(g);
}

/* Appends the current row of ST_JOURNAL_OLDEST to g. */
static int group_add(sqlite_store_t *s, call_t *c, fold_group_t *g)
{
    journal_row_t *j = &g->rows[g->n_rows];
    const void *blob = sqlite3_column_blob(c->st, 4);
    size_t len = (size_t)sqlite3_column_bytes(c->st, 4), n;
    char why[160];

    j->id = col_i64(c, 0);
    col_copy(c, 1, j->kiosk_id, sizeof j->kiosk_id);
    col_copy(c, 2, j->site_id, sizeof j->site_id);
    j->received_ms = col_i64(c, 3);
    if (grow_array((void **)&j->blob, &j->blob_cap, len ? len : 1, 1))
        return fail(s, PROTO_ENOMEM,
                    "out of memory reading journal row %" PRId64, j->id);
    if (len > 0)
        memcpy(j->blob, blob, len);
    if (syncd_journal_decode(j->blob, len, j->kiosk_id, &g->evs[g->n_items],
                             &g->items[g->n_items], PROTO_MAX_BATCH, &n, why,
                             sizeof why) != 0)
        return fail(s, PROTO_ESTORE,
                    "journal row %" PRId64 " (kiosk %s): %s; the store is "
                    "damaged, restore it from a backup",
                    j->id, j->kiosk_id, why);
    memset(&g->item_row[g->n_items], (int)g->n_rows, n);
    g->n_items += n;
    g->n_rows++;
    return 0;
}

/* Reads the oldest journal rows of one site, up to max, into g. */
static int group_read(sqlite_store_t *s, fold_group_t *g, size_t max)
{
    call_t c = call(s, ST_JOURNAL_OLDEST);
    int rc;

    g->n_rows = g->n_items = 0;
    b_i64(&c, 1, (int64_t)(max < FOLD_GROUP ? max : FOLD_GROUP));
    while ((rc = step(&c)) == 1) {
        if (g->n_rows > 0 && strcmp(col_text(&c, 2), g->rows[0].site_id) != 0)
            break;
        if ((rc = group_add(s, &c, g)) < 0)
            break;
    }
    (void)sqlite3_reset(c.st); /* only repeats a reported error */
    return rc < 0 ? rc : 0;
}

/* Writes a group's events out: events rows, suggestions, votes, rollups
 * (summed over the group, the points caps applied in ingest order), staff
 * teams and one standings change. */
static int group_apply(sqlite_store_t *s, fold_group_t *g)
{
    const char *site_id = g->rows[0].site_id;
    syncd_buf_t json = {0};
    char points_day[11] = "";
    int rc;

    if ((rc = acc_reset(s, g->items, g->n_items)) < 0)
        return rc;
    for (size_t i = 0; i < g->n_items; i++) {
        const journal_row_t *j = &g->rows[g->item_row[i]];
        double earned = 0;

        s->acc.item_day[i] = UINT32_MAX;
        rc = accepted_store(s, j->kiosk_id, site_id, g->items, i,
                            j->received_ms, &json, &earned);
        if (rc < 0)
            goto done;
        if (earned != 0 && strcmp(g->items[i].day, points_day) > 0)
            memcpy(points_day, g->items[i].day, sizeof points_day);
    }
    if ((rc = acc_write(s, site_id)) < 0)
        goto done;
    if (points_day[0] != '\0')
        rc = standings_changed(s, site_id, points_day);
done:
    syncd_buf_free(&json);
    return rc;
}

/* Folds the oldest rows (one site's, up to max) inside the caller's
 * transaction and deletes them: the rows folded, 0 when the journal is
 * empty, <0 = error. */
static int fold_group(sqlite_store_t *s, fold_group_t *g, size_t max)
{
    call_t c;
    int rc;

    if ((rc = group_read(s, g, max)) < 0 || g->n_rows == 0)
        return rc;
    if ((rc = group_apply(s, g)) < 0)
        return rc;
    c = call(s, ST_JOURNAL_DELETE);
    b_i64(&c, 1, g->rows[0].id);
    b_i64(&c, 2, g->rows[g->n_rows - 1].id);
    rc = run(&c);
    return rc < 0 ? rc : (int)g->n_rows;
}

/* A fold's commit need not wait for the disk: the rows it deletes from the
 * journal come back with the events if a power cut loses it (WAL keeps the
 * commit whole and in order), and the next fsynced commit (any ingest or
 * decision) makes it durable. So with synchronous=FULL the fold runs at
 * NORMAL and FULL is restored after it; an ingest restores it first if
 * that restore ever failed. */
static int sync_relaxed(sqlite_store_t *s, bool relaxed)
{
    int rc;

    if (s->sync_mode != SYNCD_SYNC_FULL)
        return 0;
    if (relaxed)
        return exec(s, "PRAGMA synchronous", "PRAGMA synchronous=NORMAL");
    if ((rc = exec(s, "PRAGMA synchronous", "PRAGMA synchronous=FULL")) == 0)
        s->sync_relaxed = false;
    return rc;
}

static int journal_rows(sqlite_store_t *s, int64_t *rows)
{
    call_t c = call(s, ST_JOURNAL_COUNT);
    int rc = step(&c);

    *rows = rc == 1 ? col_i64(&c, 0) : 0;
    return rc < 0 ? rc : 0;
}

static int sqlite_fold(syncd_store_t *self, size_t max_rows)
{
    sqlite_store_t *s = impl(self);
    int64_t left = 0;
    size_t done = 0;
    int rc = 0;

    s->op = "fold the ingest journal";
    if (!s->journal_maybe)
        return 0;
    if (max_rows > 0 && s->fold == NULL &&
        (s->fold = calloc(1, sizeof *s->fold)) == NULL)
        return fail(s, PROTO_ENOMEM, "out of memory");
    if (max_rows > 0) {
        s->sync_relaxed = true;
        rc = sync_relaxed(s, true);
    }
    while (rc == 0 && done < max_rows) {
        if ((rc = begin(s, ST_BEGIN)) < 0)
            break;
        if ((rc = fold_group(s, s->fold, max_rows - done)) <= 0)
            break; /* failed, or the journal is empty */
        done += (size_t)rc;
        rc = commit(s);
    }
    if (rc < 0)
        rollback(s);
    else if (!sqlite3_get_autocommit(s->db))
        rc = commit(s); /* the empty journal's transaction */
    if (max_rows > 0 && sync_relaxed(s, false) < 0 && rc == 0)
        rc = PROTO_ESTORE;
    if (rc == 0)
        rc = journal_rows(s, &left);
    if (rc == 0 && left == 0)
        s->journal_maybe = false;
    return end_op(s, rc < 0 ? rc : left > INT_MAX ? INT_MAX : (int)left);
}

/* A batch of at most INLINE_EVENTS accepted events, while the journal is
 * empty (a kiosk online sends each capture as it is made), is written out
 * in the ingest's own transaction, as a fold would write it: a journal row
 * and a fold later would be a second transaction for one event (docs/
 * PERFORMANCE.md, idle fleet, round 7). With rows waiting it goes to the
 * journal like any batch, so batches are written out in the order they
 * were acknowledged (the points caps depend on it). */
#define INLINE_EVENTS 2

static int ingest_inline(sqlite_store_t *s, const char *kiosk_id,
                         const char *site_id, const syncd_ingest_item_t *items,
                         size_t n, int64_t now_ms)
{
    fold_group_t *g = s->fold;
    journal_row_t *j;

    if (g == NULL && (g = s->fold = calloc(1, sizeof *g)) == NULL)
        return fail(s, PROTO_ENOMEM, "out of memory");
    j = &g->rows[0];
    snprintf(j->kiosk_id, sizeof j->kiosk_id, "%s", kiosk_id);
    snprintf(j->site_id, sizeof j->site_id, "%s", site_id);
    j->received_ms = now_ms;
    g->n_rows = 1;
    g->n_items = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].reject_code == 0) {
            g->item_row[g->n_items] = 0;
            g->items[g->n_items++] = items[i];
        }
    return group_apply(s, g);
}

/* A PUSH: in one fsynced transaction the kiosk's mark moves, refused events
 * become dead letters and the accepted ones one journal row (two above
 * PROTO_MAX_BATCH; written out at once when small, ingest_inline); the
 * next fold writes them out (sqlite_fold). */
static int sqlite_ingest(syncd_store_t *self, const char *kiosk_id,
                         const char *site_id, const syncd_ingest_item_t *items,
                         size_t n, int64_t now_ms, syncd_ingest_result_t *res)
{
    sqlite_store_t *s = impl(self);
    syncd_ingest_result_t r = {0};
    syncd_buf_t json = {0};
    size_t first = n;
    bool inline_;
    int rc;

    s->op = "ingest";
    if ((rc = batch_check(s, items, n)) < 0 ||
        (s->sync_relaxed && (rc = sync_relaxed(s, false)) < 0) ||
        (rc = begin(s, ST_BEGIN)) < 0 ||
        (rc = kiosk_mark(s, kiosk_id, &r.acked_seq)) < 0)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        const syncd_ingest_item_t *item = &items[i];

        if (item->event->seq <= r.acked_seq) {
            r.duplicates++;
            continue;
        }
        if (first == n)
            first = i;
        if (item->reject_code != 0) {
            if ((rc = dead_letter_insert(s, kiosk_id, site_id, item, now_ms,
                                         &json)) < 0)
                goto cleanup;
            r.rejected++;
        } else {
            r.accepted++;
        }
        r.acked_seq = item->event->seq;
    }
    inline_ = !s->journal_maybe && r.accepted <= INLINE_EVENTS;
    if (r.accepted > 0 &&
        (rc = inline_ ? ingest_inline(s, kiosk_id, site_id, items + first,
                                      n - first, now_ms)
                      : journal_write(s, kiosk_id, site_id, items + first,
                                      n - first, now_ms, &json)) < 0)
        goto cleanup;
    if ((rc = kiosk_synced(s, kiosk_id, &r, now_ms)) < 0 ||
        (rc = commit(s)) < 0)
        goto cleanup;
    if (r.accepted > 0 && !inline_)
        s->journal_maybe = true;
    *res = r;
cleanup:
    if (rc < 0)
        rollback(s);
    syncd_buf_free(&json);
    return end_op(s, rc);
}

static int sqlite_suggestion_exists(syncd_store_t *self, const char *id)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_SUGGESTION_EXISTS);

    s->op = "suggestion exists";
    b_text(&c, 1, id);
    return end_op(s, step(&c));
}

/* ---- Catalogue versions */

static int sqlite_catalogue_put(syncd_store_t *self, const char *yaml,
                                size_t len, int64_t now_ms, uint64_t *version)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_CATALOGUE_PUT);
    int rc;

    s->op = "catalogue put";
    b_textn(&c, 1, yaml, len);
    b_i64(&c, 2, now_ms);
    rc = step(&c);
    if (rc == 1) {
        *version = col_u64(&c, 0);
        rc = run(&c); /* completes the INSERT behind RETURNING */
    } else if (rc == 0) {
        rc = fail(s, PROTO_ESTORE,
                  "INSERT catalogue_versions returned no "
                  "version");
    }
    return end_op(s, rc);
}

/* Copies the yaml of the row a catalogue query is on; caller frees. */
static int catalogue_row(sqlite_store_t *s, call_t *c, uint64_t *version,
                         char **yaml, size_t *len)
{
    const char *text = col_text(c, 1);
    size_t n = (size_t)sqlite3_column_bytes(c->st, 1);
    char *copy = malloc(n + 1);

    if (copy == NULL)
        return fail(s, PROTO_ENOMEM, "out of memory reading catalogue");
    memcpy(copy, text, n);
    copy[n] = '\0';
    if (version)
        *version = col_u64(c, 0);
    *yaml = copy;
    *len = n;
    return 0;
}

static int sqlite_catalogue_current(syncd_store_t *self, uint64_t *version,
                                    char **yaml, size_t *len)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_CATALOGUE_CURRENT);
    int rc;

    s->op = "catalogue current";
    rc = step(&c);
    if (rc == 1)
        rc = catalogue_row(s, &c, version, yaml, len);
    return end_op(s, rc); /* none yet: 0 with version 0 and NULL */
}

static int sqlite_catalogue_get(syncd_store_t *self, uint64_t version,
                                char **yaml, size_t *len)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_CATALOGUE_GET);
    int rc;

    s->op = "catalogue get";
    b_u64(&c, 1, version);
    rc = step(&c);
    if (rc == 1)
        rc = catalogue_row(s, &c, NULL, yaml, len);
    else if (rc == 0)
        rc = fail(s, PROTO_ENOTFOUND,
                  "no catalogue version %" PRIu64
                  "; syncctl catalogue export shows the current one",
                  version);
    return end_op(s, rc);
}

/* ---- Feed */

/* A row's first n columns as text, NULL for SQL NULL; valid until the
 * statement steps again. */
static void row_texts(sqlite3_stmt *st, int n, const char **cols)
{
    for (int i = 0; i < n; i++)
        cols[i] = (const char *)sqlite3_column_text(st, i);
}

static int suggestion_from_row(sqlite_store_t *s, call_t *c,
                               proto_suggestion_t *sg)
{
    const char *cols[SYNCD_FEED_NCOLS];

    row_texts(c->st, SYNCD_FEED_NCOLS, cols);
    if (syncd_suggestion_fill_proto(sg, cols) < 0)
        return fail(s, PROTO_ENOMEM, "out of memory filling the feed");
    return 0;
}

/* ---- Ad-hoc statements: the managers' operations run rarely, so their
 *      SQL is prepared per call (still constant text, bound values). */
static int adhoc(sqlite_store_t *s, const char *label, const char *sql,
                 sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return db_fail(s, label);
    }
    return 0;
}

/* 1 row, 0 done, <0 error with label. */
static int adhoc_step(sqlite_store_t *s, sqlite3_stmt *st, const char *label)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return db_fail(s, label);
}

static int adhoc_bind_text(sqlite_store_t *s, sqlite3_stmt *st, int i,
                           const char *v, const char *label)
{
    int rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT)
               : sqlite3_bind_null(st, i);

    return rc == SQLITE_OK ? 0 : db_fail(s, label);
}

/* Leaderboards travel in the same FEED message (docs/PROTOCOL.md §6.6):
 * when the site's standings changed after the cursor (site_points.change_id
 * > cursor), the FEED carries one row per staff member with points in the
 * ISO week of the site's latest day with points: the week's check-in and
 * rating points from rollup_day plus suggestion points from points_awards,
 * rounded to whole points, ranked 1, 1, 3 (ties share a rank), with the
 * staff member's team as of their latest check-in. Team standings are the
 * sum of their members' rows (the kiosk adds them up). */
static const char standings_sql[] =
    "WITH w AS (SELECT date(?2, 'weekday 0', '-6 days') AS mon,"
    "  date(?2, 'weekday 0') AS sun),"
    " pts AS ("
    "  SELECT staff_id, points AS p FROM rollup_day, w"
    "  WHERE site_id = ?1 AND day BETWEEN w.mon AND w.sun AND staff_id <> ''"
    "  UNION ALL"
    "  SELECT staff_id, points FROM points_awards, w"
    "  WHERE site_id = ?1 AND day BETWEEN w.mon AND w.sun)"
    " SELECT p.staff_id, COALESCE(t.team_id, ''),"
    "  CAST(ROUND(TOTAL(p.p)) AS INTEGER) AS total"
    " FROM pts AS p LEFT JOIN staff_team AS t"
    "  ON t.site_id = ?1 AND t.staff_id = p.staff_id"
    " GROUP BY p.staff_id ORDER BY total DESC, p.staff_id LIMIT ?3";

/* The site's leaderboard for the week of last_day, built by the query:
 * *rows (proto_malloc'd, the caller owns; NULL with none) and *n. */
static int query_standings(sqlite_store_t *s, const char *site_id,
                           const char *last_day, const char *week,
                           proto_standing_t **rows_out, uint32_t *n_out)
{
    static const char label[] = "SELECT standings";
    sqlite3_stmt *st = NULL;
    proto_standing_t *rows = proto_malloc(PROTO_MAX_STANDINGS * sizeof *rows);
    uint32_t n = 0;
    int rc;

    if (rows == NULL)
        return fail(s, PROTO_ENOMEM, "out of memory filling the standings");
    if ((rc = adhoc(s, label, standings_sql, &st)) < 0 ||
        (rc = adhoc_bind_text(s, st, 1, site_id, label)) < 0 ||
        (rc = adhoc_bind_text(s, st, 2, last_day, label)) < 0)
        goto cleanup;
    if (sqlite3_bind_int(st, 3, PROTO_MAX_STANDINGS) != SQLITE_OK) {
        rc = db_fail(s, label);
        goto cleanup;
    }
    while ((rc = adhoc_step(s, st, label)) == 1)
        syncd_standing_fill(rows, n++, week,
                            (const char *)sqlite3_column_text(st, 0),
                            (const char *)sqlite3_column_text(st, 1),
                            sqlite3_column_int64(st, 2));
    if (rc == 0 && n > 0) {
        *rows_out = rows;
        rows = NULL;
    }
    *n_out = n;
cleanup:
    sqlite3_finalize(st);
    proto_free(rows);
    return rc < 0 ? rc : 0;
}

static int feed_standings(sqlite_store_t *s, const char *site_id,
                          uint64_t cursor, proto_msg_t *msg)
{
    static const char label[] = "SELECT standings";
    sqlite3_stmt *st = NULL;
    proto_standing_t *rows = NULL;
    char last_day[11] = "", week[PROTO_SHORT_MAX + 1];
    uint64_t change_id = 0;
    uint32_t n = 0;
    int rc;

    msg->u.feed.n_standings = 0;
    msg->u.feed.standings = NULL;
    if ((rc = adhoc(s, label,
                    "SELECT change_id, last_day FROM site_points"
                    " WHERE site_id = ?1",
                    &st)) < 0 ||
        (rc = adhoc_bind_text(s, st, 1, site_id, label)) < 0 ||
        (rc = adhoc_step(s, st, label)) <= 0)
        goto cleanup;
    change_id = (uint64_t)sqlite3_column_int64(st, 0);
    snprintf(last_day, sizeof last_day, "%s",
             (const char *)sqlite3_column_text(st, 1));
    if (change_id <= cursor || syncd_iso_week(last_day, week) != 0)
        goto cleanup;
    /* built once per change of the site's points (store_common.h) */
    rc = syncd_standings_cache_get(s->base.standings, site_id, change_id,
                                   &rows, &n);
    if (rc < 0) {
        rc = fail(s, rc, "out of memory filling the standings");
        goto cleanup;
    }
    if (rc == 0) {
        if ((rc = query_standings(s, site_id, last_day, week, &rows, &n)) < 0)
            goto cleanup;
        syncd_standings_cache_put(&s->base.standings, site_id, change_id,
                                  rows, n);
    }
    msg->u.feed.standings = rows;
    msg->u.feed.n_standings = n;
    rows = NULL;
    if (!msg->u.feed.more && change_id > msg->u.feed.cursor)
        msg->u.feed.cursor = change_id;
cleanup:
    sqlite3_finalize(st);
    proto_free(rows);
    return rc < 0 ? rc : 0;
}

/* The standings' change_id for the site (0 = none yet). */
static uint64_t standings_cursor(sqlite_store_t *s, const char *site_id)
{
    sqlite3_stmt *st = NULL;
    uint64_t v = 0;

    if (adhoc(s, "SELECT site_points",
              "SELECT change_id FROM site_points WHERE site_id = ?1",
              &st) == 0 &&
        adhoc_bind_text(s, st, 1, site_id, "SELECT site_points") == 0 &&
        adhoc_step(s, st, "SELECT site_points") == 1)
        v = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Makes room for one more suggestion in the feed, growing the array as
 * rows come (most feeds carry a few changes, not PROTO_MAX_FEED). */
static int feed_room(sqlite_store_t *s, proto_msg_t *msg, uint32_t *cap,
                     uint32_t max_items)
{
    proto_suggestion_t *grown;
    uint32_t ncap;

    if (msg->u.feed.n_suggestions < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    if (ncap > max_items)
        ncap = max_items;
    grown = proto_realloc(msg->u.feed.suggestions, ncap * sizeof *grown);
    if (grown == NULL)
        return fail(s, PROTO_ENOMEM, "out of memory filling the feed");
    memset(grown + *cap, 0, (ncap - *cap) * sizeof *grown);
    msg->u.feed.suggestions = grown;
    *cap = ncap;
    return 0;
}

static int sqlite_feed(syncd_store_t *self, const char *site_id,
                       uint64_t cursor, uint32_t max_items, proto_msg_t *msg)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_FEED);
    uint32_t cap = 0;
    int rc;

    s->op = "feed";
    memset(msg, 0, sizeof *msg);
    msg->type = PROTO_MSG_FEED;
    msg->u.feed.cursor = cursor;
    b_text(&c, 1, site_id);
    b_u64(&c, 2, cursor);
    b_i64(&c, 3, (int64_t)max_items + 1); /* one more says "more" */
    while ((rc = step(&c)) == 1) {
        proto_suggestion_t *sg;

        if (msg->u.feed.n_suggestions == max_items) {
            msg->u.feed.more = true;
            break;
        }
        if ((rc = feed_room(s, msg, &cap, max_items)) < 0)
            goto cleanup;
        /* counted first, so proto_msg_clear() frees a half-filled one */
        sg = &msg->u.feed.suggestions[msg->u.feed.n_suggestions++];
        if ((rc = suggestion_from_row(s, &c, sg)) < 0)
            goto cleanup;
        msg->u.feed.cursor = col_u64(&c, 15);
    }
    if (rc < 0)
        goto cleanup;
    rc = feed_standings(s, site_id, cursor, msg);
cleanup:
    if (rc < 0)
        proto_msg_clear(msg);
    return end_op(s, rc < 0 ? rc : 0);
}

static uint64_t sqlite_feed_cursor(syncd_store_t *self, const char *site_id)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_FEED_CURSOR);
    uint64_t cursor = 0;

    s->op = "feed cursor";
    b_text(&c, 1, site_id);
    if (step(&c) == 1)
        cursor = col_u64(&c, 0);
    end_op(s, 0);
    {
        uint64_t st = standings_cursor(s, site_id);

        if (st > cursor)
            cursor = st;
    }
    return cursor;
}

/* ---- Export (rows in the form store_common.c writes for both backends)
 *
 * Rows are ordered by kiosk and seq; since_ms/until_ms select captured_ms
 * in [since, until) (0 = open), so consecutive days never share a row.
 * The columns are read typed, in the order of syncd_export_cols, which is
 * the order of ST_EXPORT's SELECT. */
static void export_row(syncd_buf_t *b, bool csv, call_t *c)
{
    syncd_export_val_t vals[32];

    for (size_t i = 0; i < syncd_export_ncols && i < 32; i++) {
        int col = (int)i;

        vals[i] = (syncd_export_val_t){
            .null = sqlite3_column_type(c->st, col) == SQLITE_NULL};
        switch (syncd_export_cols[i].kind) {
        case SYNCD_COL_TEXT:
        case SYNCD_COL_JSON:
            vals[i].text = col_text(c, col);
            break;
        case SYNCD_COL_NUMBER:
            vals[i].d = sqlite3_column_double(c->st, col);
            break;
        default:
            vals[i].i = col_i64(c, col);
            break;
        }
    }
    syncd_export_row(b, csv, vals);
}

/* Hands the buffer to the caller's writer; its failure stops the export. */
static int export_flush(sqlite_store_t *s, syncd_buf_t *b, syncd_write_fn write,
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

static int sqlite_export_events(syncd_store_t *self, syncd_export_format_t fmt,
                                syncd_export_page_t *page,
                                syncd_write_fn write, void *ctx)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, page->after_kiosk ? ST_EXPORT_AFTER : ST_EXPORT);
    syncd_buf_t b = {0};
    size_t written = 0;
    int rc = 0;

    s->op = "export";
    if (fmt == SYNCD_EXPORT_CSV && page->after_kiosk == NULL) {
        syncd_export_csv_header(&b);
        written += b.len;
        if ((rc = export_flush(s, &b, write, ctx)) < 0)
            goto cleanup;
    }
    b_text(&c, 1, page->site_id);
    b_i64(&c, 2, page->since_ms);
    b_i64(&c, 3, page->until_ms);
    if (page->after_kiosk) {
        b_text(&c, 4, page->after_kiosk);
        b_u64(&c, 5, page->after_seq);
    }
    while ((rc = step(&c)) == 1) {
        if (page->max_bytes && page->last_kiosk[0] &&
            written >= page->max_bytes) {
            page->more = true; /* a row waits past the page's end */
            rc = 0;
            break;
        }
        col_copy(&c, 0, page->last_kiosk, sizeof page->last_kiosk);
        page->last_seq = col_u64(&c, 1);
        export_row(&b, fmt == SYNCD_EXPORT_CSV, &c);
        written += b.len;
        if ((rc = export_flush(s, &b, write, ctx)) < 0)
            goto cleanup;
    }
cleanup:
    syncd_buf_free(&b);
    return end_op(s, rc);
}

/* ---- Counts */

static int sqlite_counts(syncd_store_t *self, syncd_store_counts_t *out)
{
    sqlite_store_t *s = impl(self);
    call_t c = call(s, ST_COUNTS);
    int rc;

    s->op = "counts";
    rc = step(&c);
    if (rc == 1) {
        out->events = col_u64(&c, 0);
        out->dead_letters = col_u64(&c, 1);
        out->suggestions = col_u64(&c, 2);
        out->votes = col_u64(&c, 3);
        out->kiosks = col_u64(&c, 4);
        rc = 0;
    } else if (rc == 0) {
        rc = fail(s, PROTO_ESTORE, "SELECT counts returned no row");
    }
    return end_op(s, rc);
}

/* ---- Verification: rollups recomputed from raw events into temporary
 *      tables, compared with the maintained ones in both directions.
 *      Keys are compared exactly (EXCEPT); sums of non-integral measures
 *      and points are compared within a relative 1e-9, because adding the
 *      same doubles in another order may differ in the last bits. */
static const char verify_setup[] =
    "DROP TABLE IF EXISTS temp.verify_day;"
    "DROP TABLE IF EXISTS temp.verify_measure;"
    "CREATE TEMP TABLE verify_day AS"
    " SELECT site_id, day, step_id, staff_id,"
    "  SUM(CASE WHEN type = 'checkin' THEN 1 ELSE 0 END) AS checkins,"
    "  SUM(CASE WHEN type = 'checkin' THEN COALESCE(quality, 0) ELSE 0 END)"
    "   AS quality_sum,"
    "  SUM(CASE WHEN type = 'checkin' AND quality > 0 THEN 1 ELSE 0 END)"
    "   AS quality_n,"
    "  TOTAL(points) AS points,"
    "  SUM(CASE WHEN type = 'rating' THEN 1 ELSE 0 END) AS ratings_n,"
    "  SUM(CASE WHEN type = 'rating' THEN score ELSE 0 END) AS ratings_sum"
    " FROM main.events WHERE type IN ('checkin', 'rating')"
    " GROUP BY site_id, day, step_id, staff_id;"
    "CREATE TEMP TABLE verify_measure AS"
    " SELECT e.site_id, e.day, e.step_id, e.staff_id, m.key AS measure,"
    "  TOTAL(m.value) AS total"
    " FROM main.events AS e, json_each(e.measures) AS m"
    " WHERE e.type = 'checkin'"
    " GROUP BY e.site_id, e.day, e.step_id, e.staff_id, m.key;";

#define NEAR(a, b) "abs(" a " - " b ") > 1e-9 * max(1.0, abs(" b "))"

/* Each check selects the first difference, in the columns
 * syncd_verify_check_t lists, in the order of that enum. */
static const char *const verify_sql[SYNCD_VERIFY_NCHECKS] = {
    [SYNCD_VERIFY_DAY_MISSING] =
        "SELECT site_id, day, step_id, staff_id FROM temp.verify_day EXCEPT"
        " SELECT site_id, day, step_id, staff_id FROM main.rollup_day LIMIT 1",
    [SYNCD_VERIFY_DAY_EXTRA] =
        "SELECT site_id, day, step_id, staff_id FROM main.rollup_day EXCEPT"
        " SELECT site_id, day, step_id, staff_id FROM temp.verify_day LIMIT 1",
    [SYNCD_VERIFY_DAY_VALUES] =
        "SELECT r.site_id, r.day, r.step_id, r.staff_id,"
        " r.checkins, v.checkins, r.quality_sum, v.quality_sum,"
        " r.quality_n, v.quality_n, r.points, v.points,"
        " r.ratings_n, v.ratings_n, r.ratings_sum, v.ratings_sum"
        " FROM main.rollup_day AS r JOIN temp.verify_day AS v"
        " USING (site_id, day, step_id, staff_id)"
        " WHERE r.checkins <> v.checkins OR r.quality_sum <> v.quality_sum"
        " OR r.quality_n <> v.quality_n OR r.ratings_n <> v.ratings_n"
        " OR r.ratings_sum <> v.ratings_sum OR " NEAR("r.points",
                                                      "v.points") " LIMIT 1",
    [SYNCD_VERIFY_MEASURE_MISSING] =
        "SELECT site_id, day, step_id, staff_id, measure"
        " FROM temp.verify_measure EXCEPT"
        " SELECT site_id, day, step_id, staff_id, measure"
        " FROM main.rollup_measure LIMIT 1",
    [SYNCD_VERIFY_MEASURE_EXTRA] =
        "SELECT site_id, day, step_id, staff_id, measure"
        " FROM main.rollup_measure EXCEPT"
        " SELECT site_id, day, step_id, staff_id, measure"
        " FROM temp.verify_measure LIMIT 1",
    [SYNCD_VERIFY_MEASURE_TOTAL] =
        "SELECT r.site_id, r.day, r.step_id, r.staff_id, r.measure,"
        " r.total, v.total"
        " FROM main.rollup_measure AS r JOIN temp.verify_measure AS v"
        " USING (site_id, day, step_id, staff_id, measure)"
        " WHERE " NEAR("r.total", "v.total") " LIMIT 1",
    [SYNCD_VERIFY_VOTES] =
        "SELECT s.id, s.votes, COUNT(v.staff_id)"
        " FROM main.suggestions AS s"
        " LEFT JOIN main.votes AS v ON v.suggestion_id = s.id"
        " GROUP BY s.id HAVING s.votes <> COUNT(v.staff_id) LIMIT 1",
    [SYNCD_VERIFY_KIOSK_COUNTS] =
        "SELECT k.kiosk_id, k.events, (SELECT COUNT(*) FROM main.events AS e"
        "  WHERE e.kiosk_id = k.kiosk_id) AS n,"
        " k.rejected, (SELECT COUNT(*) FROM main.dead_letters AS d"
        "  WHERE d.kiosk_id = k.kiosk_id) AS nd"
        " FROM main.kiosks AS k WHERE k.events <> n OR k.rejected <> nd LIMIT "
        "1",
    [SYNCD_VERIFY_KIOSK_ACKED] =
        "SELECT k.kiosk_id, k.acked_seq, MAX(e.seq) FROM main.kiosks AS k"
        " JOIN (SELECT kiosk_id, seq FROM main.events UNION ALL"
        "  SELECT kiosk_id, seq FROM main.dead_letters) AS e"
        "  ON e.kiosk_id = k.kiosk_id"
        " GROUP BY k.kiosk_id HAVING MAX(e.seq) > k.acked_seq LIMIT 1",
};

/* Runs one check: 0 = no difference, PROTO_ERANGE with why filled, or a
 * store error. */
static int verify_one(sqlite_store_t *s, size_t k, char *why, size_t why_len)
{
    const char *v[SYNCD_VERIFY_MAX_COLS] = {0};
    char num[SYNCD_VERIFY_MAX_COLS][40];
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, verify_sql[k], -1, &st, NULL);

    if (rc != SQLITE_OK) {
        rc = db_fail(s, "prepare verification");
        goto cleanup;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        rc = 0;
        goto cleanup;
    }
    if (rc != SQLITE_ROW) {
        rc = db_fail(s, "verification");
        goto cleanup;
    }
    for (int i = 0; i < syncd_verify_ncols(k) && i < SYNCD_VERIFY_MAX_COLS;
         i++) {
        if (sqlite3_column_type(st, i) == SQLITE_FLOAT) {
            syncd_fmt_number(num[i], sizeof num[i],
                             sqlite3_column_double(st, i));
            v[i] = num[i];
        } else {
            const unsigned char *t = sqlite3_column_text(st, i);

            v[i] = t ? (const char *)t : "NULL";
        }
    }
    syncd_verify_report(k, v, why, why_len);
    rc = fail(s, PROTO_ERANGE, "%s", why);
cleanup:
    sqlite3_finalize(st); /* repeats the step's error, already reported */
    return rc;
}

static int sqlite_verify_rollups(syncd_store_t *self, char *why, size_t why_len)
{
    sqlite_store_t *s = impl(self);
    int rc;

    s->op = "verify";
    /* One read snapshot for the recomputation and every comparison; the
     * temporary tables vanish with the ROLLBACK at the end. */
    if ((rc = begin(s, ST_BEGIN_READ)) < 0 ||
        (rc = exec(s, "recompute rollups", verify_setup)) < 0)
        goto cleanup;
    for (size_t k = 0; k < (size_t)SYNCD_VERIFY_NCHECKS; k++)
        if ((rc = verify_one(s, k, why, why_len)) != 0)
            goto cleanup;
cleanup:
    /* Nothing was written but temporary tables: ROLLBACK drops them. */
    rollback(s);
    if (rc != 0 && rc != PROTO_ERANGE)
        snprintf(why, why_len, "%s", s->base.errmsg);
    return end_op(s, rc);
}

/* ---- Suggestion lifecycle: decide, merge, read, history. Each change is
 *      one transaction: the suggestion row (with a new change_id, so FEED
 *      carries it), one suggestion_history row naming the manager, and
 *      any points the author earns (points_awards, once per status). */

/* The statuses and which may follow which: store_common.c, shared with
 * the PostgreSQL backend. */

/* Fills out from a row of SYNCD_SUGGESTION_COLUMNS. */
static int suggestion_row(sqlite_store_t *s, sqlite3_stmt *st,
                          syncd_suggestion_t *out)
{
    const char *cols[SYNCD_SUGGESTION_NCOLS];

    row_texts(st, SYNCD_SUGGESTION_NCOLS, cols);
    if (syncd_suggestion_fill(out, cols) < 0)
        return fail(s, PROTO_ENOMEM, "out of memory filling the feed");
    return 0;
}

/* Reads one suggestion inside the current operation. PROTO_ENOTFOUND with
 * a readable message when absent. */
static int suggestion_read(sqlite_store_t *s, const char *id,
                           syncd_suggestion_t *out)
{
    static const char label[] = "SELECT suggestions";
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = adhoc(s, label,
                    "SELECT " SYNCD_SUGGESTION_COLUMNS
                    " FROM suggestions WHERE id = ?1",
                    &st)) < 0 ||
        (rc = adhoc_bind_text(s, st, 1, id, label)) < 0)
        goto cleanup;
    rc = adhoc_step(s, st, label);
    if (rc == 0)
        rc = fail(s, PROTO_ENOTFOUND,
                  "no suggestion \"%s\"; syncctl suggestions lists them "
                  "with their ids",
                  id);
    else if (rc == 1)
        rc = suggestion_row(s, st, out);
cleanup:
    sqlite3_finalize(st);
    return rc;
}

static void suggestion_release(syncd_suggestion_t *sg)
{
    proto_free(sg->s.title);
    proto_free(sg->s.body);
    proto_free(sg->s.feedback);
    memset(sg, 0, sizeof *sg);
}

/* Runs one ad-hoc statement with text parameters (NULL binds SQL NULL)
 * and optionally integers after them; no rows expected. */
static int adhoc_exec(sqlite_store_t *s, const char *label, const char *sql,
                      const char *const *texts, int n_texts,
                      const int64_t *ints, int n_ints)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = adhoc(s, label, sql, &st)) < 0)
        goto cleanup;
    for (int i = 0; i < n_texts; i++)
        if ((rc = adhoc_bind_text(s, st, i + 1, texts[i], label)) < 0)
            goto cleanup;
    for (int i = 0; i < n_ints; i++)
        if (sqlite3_bind_int64(st, n_texts + i + 1, ints[i]) != SQLITE_OK) {
            rc = db_fail(s, label);
            goto cleanup;
        }
    rc = adhoc_step(s, st, label);
    if (rc > 0)
        rc = 0;
cleanup:
    sqlite3_finalize(st);
    return rc;
}

static int history_add(sqlite_store_t *s, const syncd_suggestion_t *after,
                       const char *from, const char *manager, int64_t now_ms)
{
    const char *texts[] = {
        after->s.id,     manager,           from,
        after->s.status, after->s.owner_id, after->s.due,
        after->measure,  after->s.feedback, after->s.merged_into};
    int64_t at = now_ms;

    return adhoc_exec(s, "INSERT suggestion_history",
                      "INSERT INTO suggestion_history(suggestion_id, manager,"
                      " from_status, to_status, owner_id, due, measure,"
                      " feedback, merged_into, at_ms)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                      texts, 9, &at, 1);
}

/* The author earns points the first time the suggestion reaches status
 * (accepted, done); the standings then change. */
static int award(sqlite_store_t *s, const syncd_suggestion_t *sg,
                 const char *status, double points, const char *day,
                 int64_t now_ms)
{
    const char *texts[] = {sg->s.id, status, sg->site_id, day, sg->s.author_id};
    int64_t ints[] = {(int64_t)points, now_ms};
    int rc;

    if (sg->s.author_id[0] == '\0')
        return 0; /* anonymous: nobody to credit */
    rc = adhoc_exec(s, "INSERT points_awards",
                    "INSERT INTO points_awards(suggestion_id, status, site_id,"
                    " day, staff_id, points, created_ms)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                    " ON CONFLICT(suggestion_id, status) DO NOTHING",
                    texts, 5, ints, 2);
    if (rc < 0 || sqlite3_changes(s->db) == 0)
        return rc;
    return standings_changed(s, sg->site_id, day);
}

static int sqlite_suggestion_decide(syncd_store_t *self, const char *id,
                                    const syncd_decision_t *d, int64_t now_ms)
{
    sqlite_store_t *s = impl(self);
    syncd_suggestion_t sg = {0};
    char from[PROTO_SHORT_MAX + 1], why[SYNCD_STORE_ERRMSG_MAX];
    int64_t change_id;
    int rc;

    s->op = "decide";
    if ((rc = syncd_decision_check(d, why, sizeof why)) < 0)
        return end_op(s, fail(s, rc, "%s", why));
    if ((rc = begin(s, ST_BEGIN)) < 0 || (rc = suggestion_read(s, id, &sg)) < 0)
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

        if ((rc = adhoc_exec(s, "UPDATE suggestions",
                             "UPDATE suggestions SET status = ?2,"
                             " owner_id = ?3, due = ?4, measure = ?5,"
                             " feedback = ?6, done_day = ?7, updated_ms = ?8,"
                             " change_id = ?9 WHERE id = ?1",
                             texts, 7, ints, 2)) < 0)
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
    return end_op(s, rc);
}

static int sqlite_suggestion_merge(syncd_store_t *self, const char *id,
                                   const char *into, const char *manager,
                                   int64_t now_ms)
{
    sqlite_store_t *s = impl(self);
    syncd_suggestion_t a = {0}, b = {0};
    char from[PROTO_SHORT_MAX + 1], why[SYNCD_STORE_ERRMSG_MAX];
    int64_t change_a, change_b;
    int rc;

    s->op = "merge";
    if (strcmp(id, into) == 0)
        return end_op(s, fail(s, PROTO_EINVAL,
                              "suggestion %s cannot be merged into itself; "
                              "name the suggestion it duplicates",
                              id));
    if ((rc = begin(s, ST_BEGIN)) < 0 ||
        (rc = suggestion_read(s, id, &a)) < 0 ||
        (rc = suggestion_read(s, into, &b)) < 0)
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

        /* the votes move; a staff member who voted for both counts once */
        if ((rc = adhoc_exec(s, "INSERT votes",
                             "INSERT INTO votes(suggestion_id, staff_id,"
                             " created_ms) SELECT ?1, staff_id, created_ms"
                             " FROM votes WHERE suggestion_id = ?2"
                             " ON CONFLICT(suggestion_id, staff_id)"
                             " DO NOTHING",
                             t2, 2, NULL, 0)) < 0 ||
            (rc = adhoc_exec(s, "DELETE votes",
                             "DELETE FROM votes WHERE suggestion_id = ?1", t1,
                             1, NULL, 0)) < 0)
            goto cleanup;
        if ((rc = next_change(s, &change_a)) < 0 ||
            (rc = next_change(s, &change_b)) < 0)
            goto cleanup;
        int64_t ia[] = {now_ms, change_a};
        int64_t ib[] = {now_ms, change_b};
        const char *ta[] = {id, into};
        if ((rc = adhoc_exec(s, "UPDATE suggestions",
                             "UPDATE suggestions SET status = 'merged',"
                             " merged_into = ?2, votes = 0, updated_ms = ?3,"
                             " change_id = ?4 WHERE id = ?1",
                             ta, 2, ia, 2)) < 0 ||
            (rc = adhoc_exec(s, "UPDATE suggestions",
                             "UPDATE suggestions SET votes = (SELECT COUNT(*)"
                             " FROM votes WHERE suggestion_id = ?1),"
                             " updated_ms = ?2, change_id = ?3 WHERE id = ?1",
                             tb, 1, ib, 2)) < 0)
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
    return end_op(s, rc);
}

static int sqlite_suggestion_get(syncd_store_t *self, const char *id,
                                 syncd_suggestion_t *out)
{
    sqlite_store_t *s = impl(self);

    s->op = "suggestion";
    return end_op(s, suggestion_read(s, id, out));
}

/* Steps every row of st into a new array of suggestions; *out and *n are
 * set only on success (0). */
static int suggestion_rows(sqlite_store_t *s, sqlite3_stmt *st,
                           const char *label, syncd_suggestion_t **out,
                           size_t *n)
{
    syncd_suggestion_t *list = NULL;
    size_t cap = 0, len = 0;
    int rc;

    while ((rc = adhoc_step(s, st, label)) == 1) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            syncd_suggestion_t *g = realloc(list, ncap * sizeof *g);

            if (g == NULL) {
                rc = fail(s, PROTO_ENOMEM, "out of memory listing");
                break;
            }
            list = g;
            cap = ncap;
        }
        memset(&list[len], 0, sizeof list[len]);
        if ((rc = suggestion_row(s, st, &list[len])) < 0)
            break;
        len++;
    }
    if (rc < 0) {
        syncd_suggestions_free(list, len);
        return rc;
    }
    *out = list;
    *n = len;
    return 0;
}

static int sqlite_suggestion_list(syncd_store_t *self, const char *site_id,
                                  const char *status, syncd_suggestion_t **out,
                                  size_t *n)
{
    static const char label[] = "SELECT suggestions";
    sqlite_store_t *s = impl(self);
    sqlite3_stmt *st = NULL;
    int rc;

    s->op = "suggestions";
    if (status && !syncd_status_known(status))
        return end_op(s, fail(s, PROTO_EINVAL,
                              "status \"%s\" is not known; use new, review, "
                              "accepted, in_progress, done, rejected or "
                              "merged",
                              status));
    if ((rc = adhoc(s, label,
                    "SELECT " SYNCD_SUGGESTION_COLUMNS " FROM suggestions"
                    " WHERE site_id = ?1 AND (?2 IS NULL OR status = ?2)"
                    " ORDER BY created_ms DESC, id",
                    &st)) < 0 ||
        (rc = adhoc_bind_text(s, st, 1, site_id, label)) < 0 ||
        (rc = adhoc_bind_text(s, st, 2, status, label)) < 0)
        goto cleanup;
    rc = suggestion_rows(s, st, label, out, n);
cleanup:
    sqlite3_finalize(st);
    return end_op(s, rc < 0 ? rc : 0);
}

static int sqlite_suggestion_history(syncd_store_t *self, const char *id,
                                     syncd_history_t **out, size_t *n)
{
    static const char label[] = "SELECT suggestion_history";
    sqlite_store_t *s = impl(self);
    sqlite3_stmt *st = NULL;
    syncd_history_t *list = NULL;
    size_t cap = 0, len = 0;
    int rc;

    s->op = "history";
    if ((rc = adhoc(s, label,
                    "SELECT at_ms, manager, from_status, to_status, owner_id,"
                    " due, measure, merged_into, feedback IS NOT NULL"
                    " FROM suggestion_history WHERE suggestion_id = ?1"
                    " ORDER BY id",
                    &st)) < 0 ||
        (rc = adhoc_bind_text(s, st, 1, id, label)) < 0)
        goto cleanup;
    while ((rc = adhoc_step(s, st, label)) == 1) {
        syncd_history_t *h;

        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            syncd_history_t *g = realloc(list, ncap * sizeof *g);

            if (g == NULL) {
                rc = fail(s, PROTO_ENOMEM, "out of memory reading history");
                goto cleanup;
            }
            list = g;
            cap = ncap;
        }
        h = &list[len++];
        memset(h, 0, sizeof *h);
        h->at_ms = sqlite3_column_int64(st, 0);
#define HCOPY(field, col)                                                      \
    snprintf(h->field, sizeof h->field, "%s",                                  \
             (const char *)sqlite3_column_text(st, col))
        HCOPY(manager, 1);
        HCOPY(from_status, 2);
        HCOPY(to_status, 3);
        HCOPY(owner_id, 4);
        HCOPY(due, 5);
        HCOPY(measure, 6);
        HCOPY(merged_into, 7);
#undef HCOPY
        h->has_feedback = sqlite3_column_int(st, 8) != 0;
    }
cleanup:
    sqlite3_finalize(st);
    if (rc < 0) {
        free(list);
    } else {
        *out = list;
        *n = len;
    }
    return end_op(s, rc < 0 ? rc : 0);
}

/* Near-duplicate candidates (store.h syncd_store_similar_candidates).
 * The FTS5 query is an OR of the normalised text's inner trigrams, each a
 * quoted string (normalising removed every quote character); the first
 * and last two code points are looked up with LIKE, which cannot use the
 * index but only reads the site's suggestions. */
#define QUERY_MAX (SYNCD_SIMILAR_MAX_TERMS * 20)
static int sqlite_similar_candidates(syncd_store_t *self, const char *site_id,
                                     const char *text, size_t max,
                                     syncd_suggestion_t **out, size_t *n)
{
    static const char label[] = "SELECT similar suggestions";
    sqlite_store_t *s = impl(self);
    sqlite3_stmt *st = NULL;
    size_t n_cp = 0;
    size_t tlen = strlen(text);
    char *norm = malloc(tlen + 1);
    char *query = malloc(QUERY_MAX + 1);
    syncd_similar_terms_t terms;
    int rc;

    s->op = "similar";
    if (norm == NULL || query == NULL) {
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
    query[0] = '\0';
    for (size_t i = 0, used = 0; i < syncd_similar_ntrigrams(&terms); i++) {
        size_t len;
        const char *g = syncd_similar_trigram(&terms, i, &len);
        int w = snprintf(query + used, QUERY_MAX + 1 - used, "%s\"%.*s\"",
                         i ? " OR " : "", (int)len, g);

        if (w < 0 || (size_t)w >= QUERY_MAX + 1 - used)
            break;
        used += (size_t)w;
    }
    if ((rc = adhoc(s, label,
                    "WITH hits(id, r) AS ("
                    "  SELECT id, rank FROM suggestion_text"
                    "  WHERE suggestion_text MATCH ?2 AND site_id = ?1"
                    "  UNION ALL"
                    "  SELECT id, 0 FROM suggestions WHERE site_id = ?1 AND"
                    "  (title || ' ' || COALESCE(body, '') LIKE"
                    "     '%' || ?3 || '%' OR"
                    "   title || ' ' || COALESCE(body, '') LIKE"
                    "     '%' || ?4 || '%'))"
                    " SELECT " SYNCD_SUGGESTION_COLUMNS " FROM suggestions"
                    " JOIN (SELECT id AS hit, min(r) AS r FROM hits"
                    "       GROUP BY id) ON hit = id"
                    " WHERE status != 'merged'"
                    " ORDER BY r, id LIMIT ?5",
                    &st)) < 0 ||
        (rc = adhoc_bind_text(s, st, 1, site_id, label)) < 0 ||
        (rc = adhoc_bind_text(s, st, 2, query, label)) < 0 ||
        (rc = adhoc_bind_text(s, st, 3, terms.head, label)) < 0 ||
        (rc = adhoc_bind_text(s, st, 4, terms.tail, label)) < 0)
        goto cleanup;
    if (sqlite3_bind_int64(st, 5, (sqlite3_int64)max) != SQLITE_OK) {
        rc = db_fail(s, label);
        goto cleanup;
    }
    rc = suggestion_rows(s, st, label, out, n);
cleanup:
    sqlite3_finalize(st);
    free(norm);
    free(query);
    return end_op(s, rc < 0 ? rc : 0);
}

/* Read-only reports for the agenda (store.h syncd_store_report): the SQL is
 * the caller's constant text, refused unless SQLite says it cannot write;
 * every value is a bound text parameter. */
static int sqlite_report(syncd_store_t *self, const char *sql,
                         const char *const *args, size_t nargs,
                         syncd_row_fn row, void *ctx)
{
    static const char label[] = "report";
    sqlite_store_t *s = impl(self);
    sqlite3_stmt *st = NULL;
    const char **cols = NULL;
    int rc;

    s->op = "report";
    if ((rc = adhoc(s, label, sql, &st)) < 0)
        goto cleanup;
    if (st == NULL || !sqlite3_stmt_readonly(st)) {
        rc = fail(s, PROTO_EINVAL,
                  "a report query must be one read-only SELECT; fix the "
                  "query in the caller");
        goto cleanup;
    }
    for (size_t i = 0; i < nargs; i++)
        if ((rc = adhoc_bind_text(s, st, (int)i + 1, args[i], label)) < 0)
            goto cleanup;
    int ncol = sqlite3_column_count(st);
    cols = calloc((size_t)(ncol > 0 ? ncol : 1), sizeof *cols);
    if (cols == NULL) {
        rc = fail(s, PROTO_ENOMEM, "out of memory reading a report");
        goto cleanup;
    }
    while ((rc = adhoc_step(s, st, label)) == 1) {
        for (int i = 0; i < ncol; i++)
            cols[i] = (const char *)sqlite3_column_text(st, i);
        if ((rc = row(ctx, cols, (size_t)ncol)) != 0)
            goto cleanup;
    }
cleanup:
    free(cols);
    sqlite3_finalize(st);
    return end_op(s, rc);
}

static const syncd_store_ops_t sqlite_ops = {
    .name = "sqlite",
    .destroy = sqlite_destroy,
    .schema_version = sqlite_schema_version,
    .kiosk_enrol = sqlite_kiosk_enrol,
    .kiosk_revoke = sqlite_kiosk_revoke,
    .kiosk_get = sqlite_kiosk_get,
    .kiosk_by_key = sqlite_kiosk_by_key,
    .kiosk_list = sqlite_kiosk_list,
    .kiosk_seen = sqlite_kiosk_seen,
    .kiosks_seen = sqlite_kiosks_seen,
    .ingest = sqlite_ingest,
    .fold = sqlite_fold,
    .suggestion_exists = sqlite_suggestion_exists,
    .catalogue_put = sqlite_catalogue_put,
    .catalogue_current = sqlite_catalogue_current,
    .catalogue_get = sqlite_catalogue_get,
    .feed = sqlite_feed,
    .feed_cursor = sqlite_feed_cursor,
    .export_events = sqlite_export_events,
    .counts = sqlite_counts,
    .verify_rollups = sqlite_verify_rollups,
    .suggestion_decide = sqlite_suggestion_decide,
    .suggestion_merge = sqlite_suggestion_merge,
    .suggestion_get = sqlite_suggestion_get,
    .suggestion_list = sqlite_suggestion_list,
    .suggestion_history = sqlite_suggestion_history,
    .report = sqlite_report,
    .similar_candidates = sqlite_similar_candidates,
};
