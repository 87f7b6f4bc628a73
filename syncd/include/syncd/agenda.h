/*
 * agenda.h — the managers' side of syncd: ISO weeks of site-local days
 * today; near-duplicate similarity and the weekly meeting agenda later.
 * docs/AGENDA.md says how every number is computed.
 *
 * Weeks are ISO 8601 weeks (Monday first; week 1 holds the year's first
 * Thursday) of the site-local days the store already keeps, so no time
 * zone is needed here: the day was fixed in the site's zone at ingest.
 */
#ifndef SYNCD_AGENDA_H
#define SYNCD_AGENDA_H

#include <stddef.h>

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

#ifdef __cplusplus
}
#endif
#endif
