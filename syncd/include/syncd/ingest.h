/*
 * ingest.h — turning one decoded PUSH into the items the store commits.
 *
 * Validation lives here, apart from sockets and from the store, so that
 * every rejection rule and its exact reason text can be tested by building
 * a PUSH in memory. The daemon calls syncd_ingest_build() with the kiosk
 * that the CURVE key authenticated, the catalogues and a way to ask the
 * store whether a suggestion exists; then hands syncd_ingest_items() to
 * syncd_store_ingest() and syncd_ingest_rejects() to the ACK.
 *
 * Rules (docs/PROTOCOL.md "Rejections" gives the same table):
 *  - every event: its kiosk_id is the authenticated kiosk (KIOSK_MISMATCH);
 *    seq is above the previous seq of the batch (BAD_ORDER; such an event
 *    is reported but never given to the store, whose contract is an
 *    increasing batch);
 *  - events at or below the kiosk's high-water mark are duplicates of a
 *    committed batch: passed on unvalidated (the store ignores them) and
 *    never reported again, so a resent batch gets the same ACK minus the
 *    rejections it already had;
 *  - checkin: staff on the site's roster (UNKNOWN_STAFF), step in the
 *    catalogue version the event names (UNKNOWN_STEP), each measure defined
 *    for that step (UNKNOWN_MEASURE), value finite, >= 0, <= the measure's
 *    max_per_checkin (OUT_OF_RANGE), quality 0..5 (OUT_OF_RANGE);
 *  - suggestion: title not blank (INVALID), author on the roster unless
 *    anonymous (the author of an anonymous one is erased here), process
 *    and step in the current catalogue when given;
 *  - vote: the suggestion exists in the store or earlier in this batch
 *    (UNKNOWN_SUGGESTION), voter on the roster, vote +1 or 0;
 *  - rating: staff served on the roster, score 1..5, step when given.
 * Each accepted check-in gets its points; every item gets its site-local
 * day.
 */
#ifndef SYNCD_INGEST_H
#define SYNCD_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/catalogue.h"
#include "protocol/protocol.h"
#include "syncd/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The site timezone used when the catalogue names none. */
#define SYNCD_DEFAULT_TIMEZONE "Asia/Shanghai"

typedef struct {
    const char *kiosk_id; /* from the CURVE key (ZAP User-Id) */
    const char *site_id;  /* where the kiosk is enrolled */
    uint64_t acked_seq;   /* the kiosk's high-water mark before this batch */
    /* The current catalogue (roster, processes, timezone); NULL when none
     * has been imported. */
    const proto_catalogue_t *current;
    /* The catalogue of an older version a check-in names, or NULL when
     * the server has no such version. May be NULL: only the current
     * version is known then. */
    const proto_catalogue_t *(*catalogue)(void *ctx, uint64_t version);
    /* Does a suggestion exist? 1 yes, 0 no, negative on a store error. */
    int (*suggestion_exists)(void *ctx, const char *suggestion_id);
    void *ctx;
} syncd_ingest_env_t;

typedef struct syncd_ingest syncd_ingest_t;

syncd_ingest_t *syncd_ingest_new(void);
void syncd_ingest_destroy(syncd_ingest_t **self_p);

/* Validates the events of push (a decoded PUSH message). push is not
 * const because anonymous suggestions lose their staff id here; the items
 * point into push, so keep it alive while they are used. Replaces the
 * result of any earlier build. Returns 0, PROTO_EINVAL (not a PUSH),
 * PROTO_ENOMEM, or PROTO_ESTORE when suggestion_exists failed (nothing
 * may be acknowledged then). */
int syncd_ingest_build(syncd_ingest_t *self, const syncd_ingest_env_t *env,
                       proto_msg_t *push);

/* The items for syncd_store_ingest(), in increasing seq order. Valid
 * until the next build or destroy. */
const syncd_ingest_item_t *syncd_ingest_items(const syncd_ingest_t *self,
                                              size_t *n);

/* The rejections the ACK reports: every newly rejected event of the batch
 * in batch order, BAD_ORDER ones included. Reasons are owned by self. */
const proto_reject_t *syncd_ingest_rejects(const syncd_ingest_t *self,
                                           size_t *n);

/* The calendar date ("YYYY-MM-DD") at instant ms in the IANA timezone tz
 * (NULL or "" = SYNCD_DEFAULT_TIMEZONE). 0 or PROTO_EINVAL. Not thread
 * safe: it switches the process's TZ for the look-up (syncd has one
 * thread); each timezone's current day is cached, so that happens about
 * once a day per site. */
int syncd_local_day(const char *tz, int64_t ms, char day[11]);

/* The instant (ms since the epoch) at which the date "YYYY-MM-DD" begins
 * in tz. 0 or PROTO_EINVAL (malformed date). */
int syncd_local_midnight_ms(const char *tz, const char *date, int64_t *ms);

/* Points a check-in earns under step: sum of value x points_per_unit over
 * its measures, times quality/3 when the step has a quality multiplier
 * and a quality was given. */
double syncd_checkin_points(const proto_step_def_t *step,
                            const proto_event_t *ev);

#ifdef __cplusplus
}
#endif
#endif
