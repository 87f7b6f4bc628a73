/*
 * store_common.h — what every store backend writes the same way (private
 * to syncd).
 *
 * Two backends (store_sqlite.c, store_pg.c) must give the same observable
 * results: the same JSON of a dead letter, the same measures text, the
 * same CSV and JSON Lines export byte for byte, the same rules for which
 * suggestion status may follow which. Those rules and forms live here
 * once, so the backends cannot drift apart; each backend keeps only its
 * SQL and its driver calls.
 */
#ifndef SYNCD_STORE_COMMON_H
#define SYNCD_STORE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/protocol.h"
#include "syncd/store.h"

/* ---- A growable text buffer with a sticky out-of-memory flag. */
typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} syncd_buf_t;

void syncd_buf_add(syncd_buf_t *b, const char *d, size_t n);
void syncd_buf_str(syncd_buf_t *b, const char *s);
/* Short numeric forms only (at most 127 bytes), else oom is set. */
void syncd_buf_fmt(syncd_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void syncd_buf_reset(syncd_buf_t *b);
void syncd_buf_free(syncd_buf_t *b);

/* The shortest decimal form that reads back as the same double: integral
 * values without a fraction ("35"), others with up to 17 digits. */
void syncd_fmt_number(char *out, size_t size, double v);
void syncd_buf_number(syncd_buf_t *b, double v);
/* A JSON string (json.h escapes, \b and \f short). */
void syncd_buf_json_str(syncd_buf_t *b, const char *s);
/* A CSV field (RFC 4180): quoted only when it needs to be. */
void syncd_buf_csv_str(syncd_buf_t *b, const char *s);
/* "2026-11-23T01:59:00.000Z" for ms since the epoch. */
void syncd_buf_utc(syncd_buf_t *b, int64_t ms);

/* ---- Events as every store records them */
const char *syncd_event_type_name(proto_event_type_t type);
const char *syncd_kind_name(proto_suggestion_kind_t kind);
/* Who the store records for an event: "" for anonymous suggestions. */
const char *syncd_event_staff(const proto_event_t *ev);
/* measures as a JSON object text, keys in the order given. */
void syncd_buf_measures(syncd_buf_t *b, const proto_event_t *ev);
/* A refused event as the kiosk sent it, for the dead-letter table. */
void syncd_buf_event_json(syncd_buf_t *b, const proto_event_t *ev);

/* What the daemon promises about a batch, checked before anything is
 * written: seqs increase, numbers are finite, accepted events are whole.
 * 0, or PROTO_EINVAL with the reason in why. */
int syncd_store_batch_check(const syncd_ingest_item_t *items, size_t n,
                            char *why, size_t why_len);

/* What a check-in worth points earns when so_far points were already
 * earned on its (site, day, step, staff) and its step caps a day at cap
 * (> 0): never more than is left, never below 0, so check-ins crossing
 * the cap give exactly the cap whichever batches they came in. */
double syncd_points_capped(double points, double cap, double so_far);

/* ---- Suggestion lifecycle rules (store.h) */
bool syncd_status_known(const char *status);
/* The statuses from may become, space-separated ("" when closed). */
const char *syncd_status_allowed_from(const char *from);
bool syncd_status_transition_ok(const char *from, const char *to);
bool syncd_date_ok(const char *day);
/* "STEP.KEY:up" or "STEP.KEY:down". */
bool syncd_measure_ok(const char *m);

/* A manager's decision (store.h syncd_store_suggestion_decide), checked
 * before the store is touched: a status a decision may set, dates, the
 * success measure, lengths. 0, or PROTO_EINVAL with the reason in why. */
int syncd_decision_check(const syncd_decision_t *d, char *why, size_t why_len);
/* The decision applied to sg as read (its status was from): the
 * transition must be allowed (else PROTO_ESTATE); the fields the decision
 * sets are copied; done_day is set when it first becomes done. 0, or a
 * negative code with the reason in why. */
int syncd_decision_apply(syncd_suggestion_t *sg, const char *from,
                         const syncd_decision_t *d, char *why, size_t why_len);
/* Whether suggestion a may be merged into b (both as read): one site, a
 * still new or in review, b still open. 0, or PROTO_EINVAL / PROTO_ESTATE
 * with the reason in why. */
int syncd_merge_check(const syncd_suggestion_t *a, const syncd_suggestion_t *b,
                      char *why, size_t why_len);

/* ---- Suggestions as rows. Every backend selects these columns in this
 *      order (the text reads alike in both dialects); the feed selects
 *      the first SYNCD_FEED_NCOLS of them. */
#define SYNCD_SUGGESTION_COLUMNS                                               \
    "id, kind, status, title, body, process_id, step_id, author_id, votes,"    \
    " owner_id, due, feedback, merged_into, created_ms, updated_ms,"           \
    " change_id, site_id, measure, done_day"
#define SYNCD_FEED_NCOLS 16
#define SYNCD_SUGGESTION_NCOLS 19

/* Fills sg from a row's first 15 columns given as text (NULL = SQL NULL).
 * 0, or PROTO_ENOMEM with what was copied left in sg for the caller to
 * free (proto_msg_clear). */
int syncd_suggestion_fill_proto(proto_suggestion_t *sg,
                                const char *const *cols);
/* Fills out from a whole row (SYNCD_SUGGESTION_NCOLS columns). 0, or
 * PROTO_ENOMEM with out's heap parts freed. */
int syncd_suggestion_fill(syncd_suggestion_t *out, const char *const *cols);

/* Row i of a feed's standings (docs/PROTOCOL.md §6.6), rows selected in
 * order of points: equal points share the rank of the row above. */
void syncd_standing_fill(proto_standing_t *rows, uint32_t i, const char *week,
                         const char *staff_id, const char *team_id,
                         int64_t points);

/* The last standings built for each site, keyed by the site's standings
 * change id (site_points.change_id, which every change of a site's points
 * takes): after each change every kiosk of the site asks for them in its
 * next FEED, and they are the same for all, so they are built once per
 * change. Read the change id from the store first; a hit is what the
 * query built at that change. (A staff member's new team, taken from a
 * check-in that earned no points, takes no change id: kiosks see it with
 * the site's next change of points, cached or not.) At most
 * SYNCD_STANDINGS_SITES sites are kept (the least recently built goes). */
#define SYNCD_STANDINGS_SITES 256
typedef struct syncd_standings_cache syncd_standings_cache_t;
void syncd_standings_cache_free(syncd_standings_cache_t **self_p);
/* A copy of the cached rows (proto_malloc'd, the caller owns; NULL when
 * n is 0) in *rows, *n: 1 on a hit, 0 on a miss, PROTO_ENOMEM. */
int syncd_standings_cache_get(syncd_standings_cache_t *self,
                              const char *site_id, uint64_t change_id,
                              proto_standing_t **rows, uint32_t *n);
/* Keeps a copy of rows for (site_id, change_id), creating the cache in
 * *self_p on first use; a failure only means no caching. */
void syncd_standings_cache_put(syncd_standings_cache_t **self_p,
                               const char *site_id, uint64_t change_id,
                               const proto_standing_t *rows, uint32_t n);

/* ---- Rollup verification (store.h syncd_store_verify_rollups). Each
 *      backend selects the first difference of each check in its own SQL
 *      dialect; the columns and the report are the same for both. The
 *      first columns name the row (site, day, step, staff, measure...),
 *      then the values that differ. */
typedef enum {
    SYNCD_VERIFY_DAY_MISSING,     /* site, day, step, staff */
    SYNCD_VERIFY_DAY_EXTRA,       /* site, day, step, staff */
    SYNCD_VERIFY_DAY_VALUES,      /* the key, then held and recomputed of
                                     checkins, quality_sum, quality_n,
                                     points, ratings_n, ratings_sum */
    SYNCD_VERIFY_MEASURE_MISSING, /* site, day, step, staff, measure */
    SYNCD_VERIFY_MEASURE_EXTRA,   /* site, day, step, staff, measure */
    SYNCD_VERIFY_MEASURE_TOTAL,   /* the key, held total, recomputed */
    SYNCD_VERIFY_VOTES,           /* id, votes held, voters */
    SYNCD_VERIFY_KIOSK_COUNTS,    /* kiosk, events held, stored, rejected
                                     held, dead letters */
    SYNCD_VERIFY_KIOSK_ACKED,     /* kiosk, acked seq, highest stored seq */
    SYNCD_VERIFY_NCHECKS
} syncd_verify_check_t;

#define SYNCD_VERIFY_MAX_COLS 16
/* How many columns check k selects (at most SYNCD_VERIFY_MAX_COLS). */
int syncd_verify_ncols(size_t k);
/* What check k found, from its row's columns as text (doubles in
 * syncd_fmt_number's form, SQL NULL as "NULL"), into why. */
void syncd_verify_report(size_t k, const char *const *cols, char *why,
                         size_t why_len);

/* ---- Near-duplicate search terms (store.h
 *      syncd_store_similar_candidates): what each backend looks up for a
 *      normalised text (syncd_similar_normalise), in its own SQL. */
#define SYNCD_SIMILAR_MAX_TERMS 64
typedef struct {
    const char *norm; /* the normalised text; not owned */
    /* byte offsets in norm of its first code points */
    size_t off[SYNCD_SIMILAR_MAX_TERMS + 3];
    size_t n_off;
    /* its first two and its last two code points */
    char head[16], tail[16];
} syncd_similar_terms_t;

void syncd_similar_terms(const char *norm, syncd_similar_terms_t *t);
/* How many trigrams (three code points in a row) t has. */
size_t syncd_similar_ntrigrams(const syncd_similar_terms_t *t);
/* Trigram i (< syncd_similar_ntrigrams): where it starts in t->norm, and
 * its length in bytes in len. */
const char *syncd_similar_trigram(const syncd_similar_terms_t *t, size_t i,
                                  size_t *len);

/* ---- The export's columns, in the order every backend selects them. */
typedef enum {
    SYNCD_COL_TEXT,   /* string; NULL or "" → empty / null */
    SYNCD_COL_UINT,   /* unsigned integer */
    SYNCD_COL_INT,    /* integer */
    SYNCD_COL_UTC,    /* ms since epoch → ISO 8601 UTC */
    SYNCD_COL_NUMBER, /* double in its shortest form */
    SYNCD_COL_JSON,   /* JSON text stored as such (measures) */
    SYNCD_COL_BOOL,
} syncd_col_kind_t;

typedef struct {
    const char *name;
    syncd_col_kind_t kind;
} syncd_export_col_t;

extern const syncd_export_col_t syncd_export_cols[];
extern const size_t syncd_export_ncols;

/* One value of an export row: text for TEXT and JSON, i for UINT, INT,
 * UTC and BOOL, d for NUMBER. null is SQL NULL. */
typedef struct {
    bool null;
    const char *text;
    int64_t i;
    double d;
} syncd_export_val_t;

/* A column value given as text (libpq; NULL = SQL NULL; numbers in any
 * form strtod/strtoll read) as the export value of that kind. */
syncd_export_val_t syncd_export_val_text(syncd_col_kind_t kind, const char *v);
/* One export row, appended to b as CSV (with CRLF) or as a JSON Lines
 * object (with LF). Absent values (NULL, and "" texts) are an empty CSV
 * field and a JSON null. */
void syncd_export_row(syncd_buf_t *b, bool csv, const syncd_export_val_t *vals);
/* The CSV header line. */
void syncd_export_csv_header(syncd_buf_t *b);

#endif
