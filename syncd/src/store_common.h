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

/* ---- Suggestion lifecycle rules (store.h) */
bool syncd_status_known(const char *status);
/* The statuses from may become, space-separated ("" when closed). */
const char *syncd_status_allowed_from(const char *from);
bool syncd_status_transition_ok(const char *from, const char *to);
bool syncd_date_ok(const char *day);
/* "STEP.KEY:up" or "STEP.KEY:down". */
bool syncd_measure_ok(const char *m);

/* ---- The export's columns, in the order every backend selects them. */
typedef enum {
    SYNCD_COL_TEXT,   /* string; NULL → empty / null */
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

/* One export row from column values given as text (NULL = SQL NULL;
 * numbers in any form strtod/strtoll read), appended to b as CSV (with
 * CRLF) or as a JSON Lines object (with LF). */
void syncd_export_row(syncd_buf_t *b, bool csv, const char *const *vals);
/* The CSV header line. */
void syncd_export_csv_header(syncd_buf_t *b);

#endif
