/*
 * outbox.h — the kiosk's durable store: the outbox of captured events
 * waiting for the sync daemon, and the caches of what the daemon sent back
 * (the catalogue, suggestions and standings of the feed).
 *
 * Why it exists: a kiosk never waits for the network. The screen may say
 * "saved" only once kiosk_outbox_append() has returned 0, and that happens
 * only after the event is committed and fsynced (SQLite WAL,
 * synchronous=FULL). Everything the sync thread does later (send, resend,
 * mark acked, set aside rejected events) works from this file, so a crash
 * or power cut at any moment loses nothing the user was told was saved.
 *
 * One SQLite file, opened once per thread: the UI thread appends through
 * its own kiosk_outbox_t, the sync thread reads and acks through another
 * one on the same path. A kiosk_outbox_t itself is not shared between
 * threads. Writers take the database lock up front (BEGIN IMMEDIATE) and
 * wait for each other (busy_timeout), so concurrent use never loses or
 * duplicates an event.
 *
 * Sequence numbers: 1, 2, 3 ... per kiosk, never reused. The next seq is
 * max(last seq ever assigned, seq floor) + 1; the floor is raised when the
 * server reports a higher acked mark than this store has ever assigned
 * (the store was reset), and unsent events below it are renumbered.
 *
 * Each event is stored as the msgpack encoding of a PUSH of that one event
 * (protocol codec), so what is sent later is exactly what was saved.
 *
 * Errors: functions return 0 or a negative proto_errno_t code
 * (PROTO_EIO for SQLite failures such as a full disk, PROTO_EINVAL,
 * PROTO_ENOTFOUND, PROTO_ENOMEM); kiosk_outbox_errmsg() then says what
 * happened, to which file, and what to do. A failed call leaves every
 * committed event intact.
 */
#ifndef KIOSK_OUTBOX_H
#define KIOSK_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiosk_outbox kiosk_outbox_t;

/* Acked events are kept this long after their ack, then pruned. */
#define KIOSK_OUTBOX_RETENTION_MS (14LL * 24 * 3600 * 1000)

/* Opens (creating and migrating as needed) the outbox at path. NULL on
 * failure with one readable line in err. */
kiosk_outbox_t *kiosk_outbox_open(const char *path, char *err, size_t err_len);

/* Lets this connection's page cache grow to kib KiB (SQLite's default is
 * 2,000). For the sync thread: its figures after every ACK count the whole
 * events table, and a cache smaller than the file re-reads every page each
 * time (docs/PERFORMANCE.md, backlog). Memory is taken only as pages are
 * read. 0 or a negative code (errmsg says why). */
int kiosk_outbox_set_cache_kib(kiosk_outbox_t *self, int kib);

/* Closes and clears *self_p. Accepts NULL and a NULL *self_p. */
void kiosk_outbox_destroy(kiosk_outbox_t **self_p);
/* The last error, readable ("" when none). Lives until the next call. */
const char *kiosk_outbox_errmsg(const kiosk_outbox_t *self);
const char *kiosk_outbox_path(const kiosk_outbox_t *self);

/* ---- Identity */

/* Records the kiosk id at first start. Setting the id it already has is a
 * no-op; a different one gives PROTO_EINVAL (an outbox belongs to one
 * kiosk for life). */
int kiosk_outbox_set_identity(kiosk_outbox_t *self, const char *kiosk_id);
/* Copies the kiosk id; PROTO_ENOTFOUND when none was set yet. */
int kiosk_outbox_get_identity(kiosk_outbox_t *self,
                              char kiosk_id[PROTO_ID_MAX + 1]);
/* This process's boot id: random, the same for every outbox of the
 * process, new at every start. Never 0. */
uint64_t kiosk_outbox_boot_id(void);
/* Milliseconds since this process started (monotonic clock). */
uint64_t kiosk_outbox_mono_ms(void);

/* ---- Capture */

/* Appends ev durably. Assigns the next seq (written to ev->seq and
 * *seq_out, which may be NULL) and fills, when empty or zero, kiosk_id
 * (from the identity), captured_ms (wall clock), boot_id and mono_ms.
 * Returns 0 only after COMMIT with fsync. PROTO_EINVAL when the event
 * breaks a protocol bound or no identity is set; PROTO_EIO when the disk
 * is full or failing (nothing already committed is lost). */
int kiosk_outbox_append(kiosk_outbox_t *self, proto_event_t *ev,
                        uint64_t *seq_out);

/* ---- Sending */

/* Fills *push (type PROTO_MSG_PUSH) with up to max unacked events of seq
 * > after_seq, in increasing seq order; n_events may be 0. The caller
 * releases it with proto_msg_clear(). */
int kiosk_outbox_pending(kiosk_outbox_t *self, uint64_t after_seq, uint32_t max,
                         proto_msg_t *push);

/* The same events as one encoded PUSH frame, joined from their stored
 * encodings without decoding them (proto_push_join): *frame (proto_free)
 * of *len bytes holding *n events, seqs *first to *last; *n = 0 and no
 * frame when there is nothing to send. PROTO_EINVAL when a stored event
 * is not in the form the join takes or the frame would be too large: use
 * kiosk_outbox_pending, which reads each event (and names a damaged one)
 * and whose encoder says what is wrong. */
int kiosk_outbox_pending_frame(kiosk_outbox_t *self, uint64_t after_seq,
                               uint32_t max, uint8_t **frame, size_t *len,
                               uint32_t *n, uint64_t *first, uint64_t *last);

/* Applies an ACK in one transaction: every event with seq <= acked_seq is
 * marked acked (now), each reject is recorded with its code and reason
 * (rejected events count as acked), and the last-sync time is set.
 * *newly_acked (may be NULL) gets the number of events marked now. */
int kiosk_outbox_ack(kiosk_outbox_t *self, uint64_t acked_seq,
                     const proto_reject_t *rejects, uint32_t n_rejects,
                     uint64_t *newly_acked);

/* Raises the seq floor: numbering continues above floor. Unsent events at
 * or below it are renumbered above it, in their order (they are events the
 * server has never seen: their seqs belong to an earlier life of this
 * kiosk's store). *renumbered (may be NULL) gets how many. */
int kiosk_outbox_set_seq_floor(kiosk_outbox_t *self, uint64_t floor,
                               uint64_t *renumbered);

/* What kiosk_outbox_reconcile() did. */
typedef struct {
    uint64_t acked;      /* events newly marked acked */
    uint64_t renumbered; /* unsent events moved above the server's mark */
    uint64_t resent;     /* acked events marked unsent again */
} kiosk_outbox_reconcile_t;

/* Brings the outbox in line with the server's acked mark for this kiosk
 * (WELCOME.acked_seq), in one transaction:
 *  - mark > last seq ever assigned here: this store was reset; raise the
 *    floor to mark and renumber unsent events above it;
 *  - otherwise mark every event <= mark acked;
 *  - mark < our acked mark: the server lost events (restored from a
 *    backup); events above mark still kept here become unsent again so
 *    they are sent once more.
 * out may be NULL. */
int kiosk_outbox_reconcile(kiosk_outbox_t *self, uint64_t server_acked,
                           kiosk_outbox_reconcile_t *out);

typedef struct {
    uint64_t last_seq;          /* highest seq ever assigned (or the floor) */
    uint64_t acked_seq;         /* highest seq the server acknowledged */
    uint64_t depth;             /* events not yet acked */
    uint64_t oldest_unsent_s;   /* age of the oldest of them; 0 if none */
    uint64_t rejected;          /* rejected events kept here */
    uint64_t total;             /* events kept here (any state) */
    int64_t last_sync_ms;       /* wall clock of the last ACK; 0 = never */
    uint64_t catalogue_version; /* cached catalogue; 0 = none */
    uint64_t feed_cursor;
} kiosk_outbox_stats_t;

int kiosk_outbox_stats(kiosk_outbox_t *self, kiosk_outbox_stats_t *out);

/* Counts of the events kept here with seq > after_seq, by state. */
typedef struct {
    uint64_t acked;    /* accepted by the server */
    uint64_t rejected; /* acked but rejected */
    uint64_t pending;  /* not acked yet */
} kiosk_outbox_tally_t;
int kiosk_outbox_tally(kiosk_outbox_t *self, uint64_t after_seq,
                       kiosk_outbox_tally_t *out);

typedef enum {
    KIOSK_EVENT_PENDING = 0,
    KIOSK_EVENT_ACKED = 1,
    KIOSK_EVENT_REJECTED = 2,
} kiosk_event_state_t;

/* Reads one kept event: *ev (must be clear; caller proto_event_clear()s)
 * and its state (may be NULL). PROTO_ENOTFOUND when not kept. */
int kiosk_outbox_get(kiosk_outbox_t *self, uint64_t seq, proto_event_t *ev,
                     kiosk_event_state_t *state);

/* A rejected event, for the UI. */
typedef struct {
    uint64_t seq;
    proto_event_type_t type;
    int64_t captured_ms;
    int64_t acked_ms;
    int32_t code;                      /* proto_reject_code_t */
    char reason[PROTO_REASON_MAX + 1]; /* from the server */
} kiosk_rejected_t;

/* The newest rejected events first, at most max. Caller free()s *out. */
int kiosk_outbox_rejected(kiosk_outbox_t *self, size_t max,
                          kiosk_rejected_t **out, size_t *n);

/* Deletes acked (and rejected) events acked more than retention_ms before
 * now_ms. Unsent events are never pruned. *pruned may be NULL. */
int kiosk_outbox_prune(kiosk_outbox_t *self, int64_t now_ms,
                       int64_t retention_ms, uint64_t *pruned);

/* ---- Catalogue cache. The caller validates the YAML before put. */

/* Stores version (replacing older versions; a version not newer than the
 * cached one is ignored). */
int kiosk_outbox_catalogue_put(kiosk_outbox_t *self, uint64_t version,
                               const char *yaml, size_t len);
/* The cached catalogue: *yaml (NUL-terminated, caller free()s) of *len
 * bytes, its *version. PROTO_ENOTFOUND when nothing is cached. yaml and
 * len may be NULL to ask only the version. */
int kiosk_outbox_catalogue_get(kiosk_outbox_t *self, uint64_t *version,
                               char **yaml, size_t *len);

/* ---- Feed cache */

/* Applies one FEED message in one transaction: upserts its suggestions
 * (by id), its standings (by week and staff) and stores its cursor. */
int kiosk_outbox_feed_apply(kiosk_outbox_t *self, const proto_msg_t *feed);
int kiosk_outbox_feed_cursor(kiosk_outbox_t *self, uint64_t *cursor);

/* Cached suggestions, most votes first, then newest; at most max.
 * Caller releases with kiosk_outbox_suggestions_free(). */
int kiosk_outbox_suggestions(kiosk_outbox_t *self, size_t max,
                             proto_suggestion_t **out, size_t *n);
void kiosk_outbox_suggestions_free(proto_suggestion_t **list, size_t n);

/* Cached standings of week ("" or NULL = the latest week cached), by rank.
 * Caller free()s *out. */
int kiosk_outbox_standings(kiosk_outbox_t *self, const char *week,
                           proto_standing_t **out, size_t *n);

/* ---- Agenda cache (meeting mode): the last AGENDA message received,
 * with the kiosk's wall clock when it arrived. */

/* Replaces the cached agenda. 0 or negative. */
int kiosk_outbox_agenda_put(kiosk_outbox_t *self, const proto_msg_t *agenda,
                            int64_t fetched_ms);
/* The cached agenda into *agenda (caller clears with proto_msg_clear) and
 * *fetched_ms. PROTO_ENOTFOUND when none was ever fetched. */
int kiosk_outbox_agenda_get(kiosk_outbox_t *self, proto_msg_t *agenda,
                            int64_t *fetched_ms);

#ifdef __cplusplus
}
#endif
#endif
