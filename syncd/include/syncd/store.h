/*
 * store.h — where syncd keeps everything: the store interface.
 *
 * The daemon speaks only to this interface; each backend is one file
 * (store_sqlite.c, store_pg.c). A store is opened from a URI: a plain path
 * or "sqlite:PATH" selects SQLite, "postgresql://..." or "postgres://..."
 * PostgreSQL (several syncd may share one PostgreSQL store).
 *
 * Guarantees every backend gives:
 *  - syncd_store_ingest() is one transaction: either the whole batch and
 *    the kiosk's new high-water mark are durable when it returns 0, or
 *    nothing of it is.
 *  - every read (feed, export, counts, reports and the agenda, verify,
 *    suggestions) sees every batch ingest returned 0 for, with its rollups:
 *    a backend that keeps batches in an ingest journal (SQLite) folds the
 *    journal first (syncd_store_fold).
 *  - (kiosk, seq) is unique: an event at or below the kiosk's high-water
 *    mark is a no-op, so a resent batch changes nothing.
 *  - rejected events are kept, with code and reason, in a dead-letter
 *    table, and count towards the high-water mark.
 *  - rollups (per local day × site × step × staff) change in the same
 *    transaction as the events they summarise.
 *
 * All functions return 0 or a negative proto_errno_t code (PROTO_ESTORE for
 * backend failures, PROTO_ENOTFOUND, PROTO_EINVAL); the last backend error
 * text is available from syncd_store_errmsg().
 */
#ifndef SYNCD_STORE_H
#define SYNCD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct syncd_store syncd_store_t;

typedef enum {
    SYNCD_SYNC_FULL = 0, /* fsync at every commit (default) */
    SYNCD_SYNC_NORMAL,   /* WAL: durable against process crash only */
    SYNCD_SYNC_OFF,      /* tests and benchmarks of the raw path only */
} syncd_sync_mode_t;

typedef struct {
    syncd_sync_mode_t sync_mode;
    int busy_timeout_ms; /* 0 = 5000 */
} syncd_store_options_t;

/* Opens (creating and migrating as needed). NULL on failure with a
 * readable line in err. */
syncd_store_t *syncd_store_open(const char *uri,
                                const syncd_store_options_t *opt, char *err,
                                size_t err_len);
void syncd_store_destroy(syncd_store_t **self_p);
/* The URI as logs and messages may show it: a password, in the authority
 * (user:secret@host) or as a password= parameter, becomes "***". */
void syncd_store_uri_redact(const char *uri, char *out, size_t len);
const char *syncd_store_errmsg(const syncd_store_t *self);
int syncd_store_schema_version(syncd_store_t *self);

/* ---- Kiosks (the enrolment allow-list) */
typedef struct {
    char kiosk_id[PROTO_ID_MAX + 1];
    char site_id[PROTO_ID_MAX + 1];
    char public_key[41]; /* Z85 CURVE public key */
    bool revoked;
    int64_t enrolled_ms;
    int64_t revoked_ms;
    uint64_t acked_seq;      /* high-water mark */
    int64_t last_seen_ms;    /* any message */
    int64_t last_sync_ms;    /* last committed PUSH */
    uint64_t last_seq;       /* as last reported by the kiosk */
    uint64_t outbox_depth;   /* as last reported */
    uint64_t oldest_unsent_s;
    int64_t clock_skew_ms;   /* kiosk clock minus server clock */
    uint64_t catalogue_version;
    char app_version[PROTO_SHORT_MAX + 1];
    uint64_t events;         /* accepted events */
    uint64_t rejected;       /* dead letters */
} syncd_kiosk_t;

/* Enrols a kiosk (or re-enrols a revoked one with a new key). A public key
 * already held by another kiosk gives PROTO_EINVAL. */
int syncd_store_kiosk_enrol(syncd_store_t *self, const char *kiosk_id,
                            const char *site_id, const char *public_key,
                            int64_t now_ms);
int syncd_store_kiosk_revoke(syncd_store_t *self, const char *kiosk_id,
                             int64_t now_ms);
int syncd_store_kiosk_get(syncd_store_t *self, const char *kiosk_id,
                          syncd_kiosk_t *out);
int syncd_store_kiosk_by_key(syncd_store_t *self, const char *public_key,
                             syncd_kiosk_t *out);
/* All kiosks ordered by id; caller frees *out with free(). */
int syncd_store_kiosk_list(syncd_store_t *self, syncd_kiosk_t **out,
                           size_t *n);
/* Records what a HELLO or PING reported. */
int syncd_store_kiosk_seen(syncd_store_t *self, const char *kiosk_id,
                           int64_t now_ms, uint64_t last_seq,
                           uint64_t outbox_depth, uint64_t oldest_unsent_s,
                           int64_t clock_skew_ms, uint64_t catalogue_version,
                           const char *app_version /* NULL = unchanged */);

/* What a kiosk's PING reported, kept by the server and recorded with the
 * other kiosks' (syncd_store_kiosks_seen): one transaction, and so one
 * fsync, a second for a whole fleet instead of one per heartbeat. */
typedef struct {
    char kiosk_id[PROTO_ID_MAX + 1];
    int64_t now_ms;
    uint64_t last_seq, outbox_depth, oldest_unsent_s;
    int64_t clock_skew_ms;
    uint64_t catalogue_version;
} syncd_kiosk_seen_t;
/* Records n kiosks' figures in one transaction (their app versions are
 * kept); a kiosk no longer in the store is skipped. 0 or negative, and
 * then nothing of it is recorded. */
int syncd_store_kiosks_seen(syncd_store_t *self, const syncd_kiosk_seen_t *v,
                            size_t n);

/* ---- Ingest */
typedef struct {
    const proto_event_t *event;
    int32_t reject_code;   /* 0 = accept; else proto_reject_code_t */
    const char *reason;    /* when rejected */
    char day[11];          /* site-local "YYYY-MM-DD" of captured_ms */
    double points;         /* points this event earns (0 if none) */
    /* Check-ins: the step's daily points cap per person (0 = none). The
     * store lowers points so that the day's total for (site, day, step,
     * staff) in rollup_day never passes it, reading that total inside the
     * ingest transaction. */
    double points_cap;
    /* Check-ins: the staff member's team on the roster ("" or NULL = none);
     * kept per (site, staff) for the FEED standings. */
    const char *team_id;
} syncd_ingest_item_t;

typedef struct {
    uint64_t acked_seq;  /* new high-water mark */
    uint32_t accepted;   /* newly stored */
    uint32_t rejected;   /* newly dead-lettered */
    uint32_t duplicates; /* at or below the old mark: ignored */
} syncd_ingest_result_t;

/* Stores one PUSH from kiosk_id (already authenticated, its site known)
 * in one transaction. Items must be in increasing seq order. The
 * accepted ones may be kept in the ingest journal until the next fold. */
int syncd_store_ingest(syncd_store_t *self, const char *kiosk_id,
                       const char *site_id, const syncd_ingest_item_t *items,
                       size_t n, int64_t now_ms, syncd_ingest_result_t *res);

/* The ingest journal (SQLite; see store_sqlite.c). An ingest keeps the
 * batch's accepted events as one journal row in its fsynced transaction
 * (one or two events while the journal is empty are written out there
 * and then);
 * a fold writes the oldest rows out into events, suggestions, votes and
 * rollups, each row in one transaction with its deletion. Folds up to
 * max_rows rows (0: none, SIZE_MAX: all) and returns the rows left, or a
 * negative code (the rows not folded stay, nothing is lost). syncd folds
 * when the kiosks are quiet and whenever the journal grows past
 * SYNCD_FOLD_LAG rows; every read folds all first. A store without a
 * journal (PostgreSQL) returns 0. */
#define SYNCD_FOLD_LAG 64
/* Rows one fold transaction takes at most (consecutive rows of one site,
 * their rollups summed together). */
#define SYNCD_FOLD_GROUP 8
int syncd_store_fold(syncd_store_t *self, size_t max_rows);
/* What syncd does after every message: with more than SYNCD_FOLD_LAG rows,
 * folds the oldest until half of that is left (whole groups, not a row
 * per message). The rows left, or negative. */
int syncd_store_fold_lag(syncd_store_t *self);

/* Does a suggestion exist (for vote validation)? 1 yes, 0 no, <0 error. */
int syncd_store_suggestion_exists(syncd_store_t *self, const char *id);

/* ---- Catalogue versions */
/* Stores yaml as the next version; *version gets its number (1, 2, ...). */
int syncd_store_catalogue_put(syncd_store_t *self, const char *yaml,
                              size_t len, int64_t now_ms, uint64_t *version);
/* The current version (0 and NULL when none). Caller frees *yaml. */
int syncd_store_catalogue_current(syncd_store_t *self, uint64_t *version,
                                  char **yaml, size_t *len);
int syncd_store_catalogue_get(syncd_store_t *self, uint64_t version,
                              char **yaml, size_t *len);

/* ---- Feed: suggestion changes since a cursor (a change counter). Fills
 * msg->u.feed (type set to PROTO_MSG_FEED); caller proto_msg_clear()s. */
int syncd_store_feed(syncd_store_t *self, const char *site_id,
                     uint64_t cursor, uint32_t max_items, proto_msg_t *msg);
uint64_t syncd_store_feed_cursor(syncd_store_t *self, const char *site_id);

/* ---- Export of raw events, for syncctl: each row as CSV or JSON lines
 * written through the callback. since_ms/until_ms bound captured_ms
 * (0 = open). */
typedef enum { SYNCD_EXPORT_CSV, SYNCD_EXPORT_JSON } syncd_export_format_t;
typedef int (*syncd_write_fn)(void *ctx, const char *data, size_t len);
int syncd_store_export_events(syncd_store_t *self, syncd_export_format_t fmt,
                              const char *site_id /* NULL = all */,
                              int64_t since_ms, int64_t until_ms,
                              syncd_write_fn write, void *ctx);

/* One page of an export too large for one answer. Rows come in (kiosk_id,
 * seq) order; a page starts after the row the previous one ended on and
 * stops after the row that takes its output to max_bytes (a page holds at
 * least one row), so the pages
 * written one after another are the whole export, each row once (rows
 * stored meanwhile appear when their key is past the page boundary). */
typedef struct {
    const char *site_id;        /* NULL = all */
    int64_t since_ms, until_ms; /* captured_ms bounds, 0 = open */
    /* NULL: the first page (with the CSV header); else the last row of
     * the page before */
    const char *after_kiosk;
    uint64_t after_seq;
    size_t max_bytes; /* 0 = no limit */
    /* out: more rows wait after (last_kiosk, last_seq) */
    bool more;
    char last_kiosk[PROTO_ID_MAX + 1];
    uint64_t last_seq;
} syncd_export_page_t;
int syncd_store_export_page(syncd_store_t *self, syncd_export_format_t fmt,
                            syncd_export_page_t *page, syncd_write_fn write,
                            void *ctx);

/* ---- Counts, for status and tests */
typedef struct {
    uint64_t events;
    uint64_t dead_letters;
    uint64_t suggestions;
    uint64_t votes;
    uint64_t kiosks;
} syncd_store_counts_t;
int syncd_store_counts(syncd_store_t *self, syncd_store_counts_t *out);

/* Recomputes every rollup from raw events and compares with the
 * maintained ones: 0 when equal, PROTO_ERANGE with a description in
 * why otherwise. Used by tests and `syncctl verify`. */
int syncd_store_verify_rollups(syncd_store_t *self, char *why,
                               size_t why_len);

/* ---- Suggestion lifecycle (issue 3; docs/AGENDA.md, PROTOCOL.md §11).
 * Statuses: new → review → accepted → in_progress → done, or rejected (and
 * reopened to review), or merged into another suggestion (only through
 * syncd_store_suggestion_merge). Keeping a status while changing owner,
 * due date, measure or feedback is allowed, except for merged ones.
 * Every change is one row of the suggestion's history and bumps its
 * change_id, so FEED carries the new status and feedback to kiosks. */

/* Points the author of a suggestion earns when it is first accepted, and
 * when it is first done (anonymous suggestions earn nobody anything). */
#define SYNCD_POINTS_ACCEPTED 5
#define SYNCD_POINTS_DONE 10

typedef struct {
    proto_suggestion_t s; /* heap texts: release with syncd_suggestions_free */
    char site_id[PROTO_ID_MAX + 1];
    char measure[PROTO_ID_MAX + PROTO_KEY_MAX + 8]; /* "step.key:up", "" */
    char done_day[11]; /* site-local day it became done, "" if not */
    uint64_t change_id;
} syncd_suggestion_t;

typedef struct {
    const char *status;   /* required */
    const char *owner_id; /* NULL = unchanged, "" = none */
    const char *due;      /* NULL = unchanged, "" = none, else YYYY-MM-DD */
    const char *measure;  /* NULL = unchanged, "" = none, STEP.KEY:up|down */
    const char *feedback; /* NULL = unchanged, "" = none */
    const char *manager;  /* who decided (admin User-Id name) */
    const char *day;      /* site-local day of now_ms (YYYY-MM-DD) */
} syncd_decision_t;

/* Applies a decision. PROTO_ENOTFOUND (no such suggestion), PROTO_ESTATE
 * (transition not allowed; errmsg lists the allowed ones), PROTO_EINVAL
 * (malformed field); errmsg says what and what to do. */
int syncd_store_suggestion_decide(syncd_store_t *self, const char *id,
                                  const syncd_decision_t *d, int64_t now_ms);
/* Merges id into into: id becomes merged, its votes move to into (a staff
 * member who voted for both counts once), later votes for id count for
 * into. Both must be at the same site; into must not be merged or
 * rejected; id must be new or review. */
int syncd_store_suggestion_merge(syncd_store_t *self, const char *id,
                                 const char *into, const char *manager,
                                 int64_t now_ms);
int syncd_store_suggestion_get(syncd_store_t *self, const char *id,
                               syncd_suggestion_t *out);
/* A site's suggestions, optionally of one status (NULL = all), newest
 * first. Caller releases with syncd_suggestions_free(*out, *n). */
int syncd_store_suggestion_list(syncd_store_t *self, const char *site_id,
                                const char *status, syncd_suggestion_t **out,
                                size_t *n);
void syncd_suggestions_free(syncd_suggestion_t *list, size_t n);

typedef struct {
    int64_t at_ms;
    char manager[PROTO_ID_MAX + 1];
    char from_status[PROTO_SHORT_MAX + 1];
    char to_status[PROTO_SHORT_MAX + 1];
    char owner_id[PROTO_ID_MAX + 1];
    char due[11];
    char measure[PROTO_ID_MAX + PROTO_KEY_MAX + 8];
    char merged_into[PROTO_ID_MAX + 1];
    bool has_feedback;
} syncd_history_t;
/* The changes of one suggestion, oldest first; caller free()s *out. */
int syncd_store_suggestion_history(syncd_store_t *self, const char *id,
                                   syncd_history_t **out, size_t *n);

/* Candidates for the near-duplicates of text at a site (syncd/similar.h
 * scores them): suggestions not merged whose title or body shares an inner
 * trigram of the normalised text (through the FTS5 trigram index) or
 * contains its first or last two code points (the padded boundary
 * trigrams, which a trigram index cannot look up). At most max of them,
 * those sharing most trigrams first. A text of fewer than 3 code points
 * after normalising gives none. Release with syncd_suggestions_free. */
int syncd_store_similar_candidates(syncd_store_t *self, const char *site_id,
                                   const char *text, size_t max,
                                   syncd_suggestion_t **out, size_t *n);

/* ---- Read-only reports (the weekly agenda, docs/AGENDA.md). Runs one
 * SELECT — constant SQL text chosen by the caller, every value a bound text
 * parameter ?1..?nargs — and calls row once per result row with its columns
 * as text (NULL for SQL NULL). A statement that could write is refused
 * with PROTO_EINVAL. A non-zero return from row stops the query and is
 * returned. The SQL is the SQLite dialect; another backend translates or
 * provides the same views. */
typedef int (*syncd_row_fn)(void *ctx, const char *const *cols, size_t n);
int syncd_store_report(syncd_store_t *self, const char *sql,
                       const char *const *args, size_t nargs, syncd_row_fn row,
                       void *ctx);

#ifdef __cplusplus
}
#endif
#endif
