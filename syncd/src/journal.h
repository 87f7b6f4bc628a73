/*
 * journal.h — the row format of the SQLite store's ingest journal (private
 * to syncd; store_sqlite.c keeps the rows, "The ingest journal" there).
 *
 * A row holds the accepted events of one batch and what ingest decided for
 * each (its day, points, points cap and team), in the order ingest stored
 * them. The form is syncd's own and flat, not the protocol's msgpack: it
 * is written in the ACK's path and read back by every fold, and a flat
 * form costs a tenth of the codec's work both ways (docs/PERFORMANCE.md,
 * backlog round 7). Integers and doubles are little-endian whatever the
 * machine; a store file moves between machines.
 *
 *   "SWJ" 1                       magic and version
 *   u32 n                         items
 *   n × item:
 *     u8 type, quality, score, vote (as i8), anonymous, kind, n_measures,
 *        flags (1 note, 2 title, 4 body, 8 team)
 *     u64 seq, captured_ms, boot_id, mono_ms, catalogue_version
 *     f64 points, points_cap
 *     10 bytes day ("YYYY-MM-DD")
 *     id staff_id, step_id, process_id, suggestion_id
 *     n_measures × (id key, f64 value)
 *     text note, title, body, id team_id: each when its flag is set
 *   id   = u8 length, the bytes, NUL
 *   text = u32 length, the bytes, NUL
 *
 * Decoding checks every length against the blob, every identifier
 * against its bound and the event type, so a damaged row is reported,
 * never read past.
 */
#ifndef SYNCD_JOURNAL_H
#define SYNCD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "store_common.h"
#include "syncd/store.h"

/* Appends the row of n items (accepted ones: their events are whole) to b
 * (b->oom is set when memory runs out). */
void syncd_journal_encode(syncd_buf_t *b,
                          const syncd_ingest_item_t *const *items, size_t n);

/* Decodes a row of len bytes at text, which must stay alive and unchanged
 * while the items are used: notes, titles, bodies and teams point into it.
 * Fills evs[0..*n) and items[0..*n) (items[i].event = &evs[i]), at most
 * max; every event's kiosk_id is kiosk_id. 0, or PROTO_EINVAL with what
 * is wrong and where in why. */
int syncd_journal_decode(const uint8_t *text, size_t len, const char *kiosk_id,
                         proto_event_t *evs, syncd_ingest_item_t *items,
                         size_t max, size_t *n, char *why, size_t why_len);

#endif
