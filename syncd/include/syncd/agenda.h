/*
 * agenda.h — the managers' side of syncd: ISO weeks of site-local days
 * and the weekly meeting agenda (near-duplicate similarity lives beside).
 * docs/AGENDA.md says how every number is computed.
 *
 * Weeks are ISO 8601 weeks (Monday first; week 1 holds the year's first
 * Thursday) of the site-local days the store already keeps, so no time
 * zone is needed here: the day was fixed in the site's zone at ingest.
 */
#ifndef SYNCD_AGENDA_H
#define SYNCD_AGENDA_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/catalogue.h"
#include "protocol/protocol.h"
#include "syncd/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ISO week "YYYY-Www" of the date "YYYY-MM-DD". 0 or PROTO_EINVAL. */
int syncd_iso_week(const char *day, char week[16]);

/* The Monday and Sunday ("YYYY-MM-DD") of ISO week "YYYY-Www". 0 or
 * PROTO_EINVAL (malformed, or a week 53 the year does not have). */
int syncd_week_days(const char *week, char monday[11], char sunday[11]);

/* The date n days after day (n may be negative). 0 or PROTO_EINVAL. */
int syncd_day_add(const char *day, int n, char out[11]);

/* ---- The weekly meeting agenda (docs/AGENDA.md: sections, rules, JSON
 *      keys). Built from rollups, suggestions and the kiosk list only;
 *      never from raw events. */
typedef enum {
    SYNCD_AGENDA_HTML = 0, /* one self-contained printable page */
    SYNCD_AGENDA_MD,       /* Markdown, readable as is */
    SYNCD_AGENDA_JSON,     /* every number the HTML shows, stable key order */
    SYNCD_AGENDA_CSV,      /* the scoreboard tables, UTF-8 with a BOM */
} syncd_agenda_format_t;

/* "html", "md" (or "markdown"), "json", "csv". 0 or PROTO_EINVAL. */
int syncd_agenda_format_parse(const char *name, syncd_agenda_format_t *out);

/* The agenda of site_id for ISO week ("2026-W48"), with names, roster and
 * targets from cat (the current catalogue), as of now_ms (data freshness,
 * overdue follow-ups). On success *out is a malloc'd NUL-terminated text
 * of *len bytes the caller frees. On failure a negative code and a line
 * in err saying what is wrong and what to do. */
int syncd_agenda_build(syncd_store_t *store, const proto_catalogue_t *cat,
                       const char *site_id, const char *week,
                       syncd_agenda_format_t fmt, int64_t now_ms, char **out,
                       size_t *len, char *err, size_t err_len);

/* The summary of the same agenda that kiosks receive in meeting mode:
 * fills *msg as an AGENDA message (docs/PROTOCOL.md §6.11: scoreboard,
 * exceptions, suggestions for decision, every list cut at
 * PROTO_MAX_AGENDA_ROWS) for site_id and week ("" or NULL = the week of
 * the site-local day of now_ms). The caller clears *msg with
 * proto_msg_clear. Errors as syncd_agenda_build; *msg is then clear. */
int syncd_agenda_summary(syncd_store_t *store, const proto_catalogue_t *cat,
                         const char *site_id, const char *week, int64_t now_ms,
                         proto_msg_t *msg, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif
