/*
 * sync.h — the kiosk's background sync: one thread that pushes the outbox
 * to syncd and pulls the catalogue and the suggestion feed back.
 *
 * Why a thread of its own: the screen must never wait for the network.
 * The sync thread owns its own outbox connection, its own ZeroMQ context
 * and DEALER socket (CURVE client); the UI thread only appends to its own
 * outbox connection, calls kiosk_sync_kick() and reads what happened from
 * a queue (kiosk_sync_poll) or a snapshot (kiosk_sync_status). None of
 * those calls waits for more than a mutex.
 *
 * Session (docs/PROTOCOL.md): HELLO → WELCOME; reconcile the outbox with
 * the server's acked mark; then one request at a time — CATALOGUE_REQ
 * when the server has a newer catalogue, PUSH batches while events wait,
 * FEED_REQ while the feed moves, PING every heartbeat. A reply missing for
 * longer than the reply timeout means the link is down: the socket is
 * closed and a new one connects after an exponential backoff with jitter,
 * trying the configured endpoints in turn. ERROR EREVOKED ends syncing for
 * the life of this kiosk_sync_t (status revoked; events keep being saved);
 * EDENIED and a refused CURVE handshake mean the kiosk is not enrolled
 * (retried at the longest backoff, an enrolment may come).
 */
#ifndef KIOSK_SYNC_H
#define KIOSK_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/keys.h"
#include "protocol/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiosk_sync kiosk_sync_t;

#define KIOSK_SYNC_MAX_ENDPOINTS 8
#define KIOSK_SYNC_ENDPOINT_MAX 255
#define KIOSK_SYNC_MESSAGE_MAX 1024 /* readable problem texts */

/* Log levels for the optional log callback. */
typedef enum {
    KIOSK_LOG_DEBUG = 0,
    KIOSK_LOG_INFO,
    KIOSK_LOG_WARN,
    KIOSK_LOG_ERROR,
} kiosk_log_level_t;

/* Called from the sync thread; must be thread-safe and quick. */
typedef void (*kiosk_log_fn)(void *ctx, kiosk_log_level_t level,
                             const char *line);

typedef struct {
    const char *outbox_path; /* required; the identity must be set */
    const char *kiosk_id;    /* NULL: the outbox's identity; else it is
                                set (or must match) */
    /* syncd endpoints, e.g. "tcp://10.0.0.5:7700"; tried in turn */
    const char *endpoints[KIOSK_SYNC_MAX_ENDPOINTS];
    size_t n_endpoints;
    const char *server_public_z85; /* required: syncd's public key */
    proto_keypair_t keys;          /* required: this kiosk's pair */
    const char *app_version;       /* NULL = STEPWISE_VERSION or "?" */
    uint32_t heartbeat_ms;         /* 0 = 5000; the server may ask less */
    uint32_t reply_timeout_ms;     /* 0 = 3000 */
    uint32_t backoff_min_ms;       /* 0 = 250 */
    uint32_t backoff_max_ms;       /* 0 = 30000 */
    uint32_t batch_size;           /* 0 = PROTO_MAX_BATCH (500), the most */
    uint32_t feed_page;            /* FEED_REQ max_items; 0 = 200 */
    int64_t retention_ms;          /* acked events kept; 0 = 14 days */
    kiosk_log_fn log;              /* may be NULL */
    void *log_ctx;
    /* Called from the sync thread after each event is queued, so that a
     * UI sleeping until its next timer wakes to poll (the kiosk window
     * pushes an SDL event). Must be thread-safe and quick; may be NULL. */
    void (*wake)(void *ctx);
    void *wake_ctx;
} kiosk_sync_config_t;

typedef enum {
    KIOSK_LINK_OFFLINE = 0,  /* not connected (yet, or link down) */
    KIOSK_LINK_ONLINE,       /* in a session with syncd */
    KIOSK_LINK_NOT_ENROLLED, /* syncd refuses this kiosk's key */
    KIOSK_LINK_REVOKED,      /* revoked: the thread has stopped syncing */
    KIOSK_LINK_INCOMPATIBLE, /* no common protocol version */
} kiosk_link_t;

const char *kiosk_link_name(kiosk_link_t link); /* "online", ... */

typedef struct {
    kiosk_link_t link;
    uint64_t waiting;          /* events not yet acked */
    uint64_t reported_waiting; /* `waiting` as syncd last heard it (HELLO,
                                  PING); what its fleet status shows */
    uint64_t oldest_unsent_s;  /* age of the oldest waiting event */
    uint64_t last_seq;
    uint64_t acked_seq;
    uint64_t rejected;    /* rejected events kept in the outbox */
    int64_t last_sync_ms; /* wall clock of the last ACK; 0 = never */
    int64_t skew_ms;      /* kiosk clock minus server clock */
    bool skew_known;
    uint64_t catalogue_version; /* cached */
    uint64_t feed_cursor;
    uint32_t connects; /* sessions started (WELCOMEs) */
    char endpoint[KIOSK_SYNC_ENDPOINT_MAX + 1]; /* current or last tried */
    char message[KIOSK_SYNC_MESSAGE_MAX];       /* last problem, readable; "" */
} kiosk_sync_status_t;

typedef enum {
    KIOSK_SYNC_EV_STATUS = 1,    /* link, waiting, last sync or skew moved */
    KIOSK_SYNC_EV_CATALOGUE,     /* a new catalogue is cached: .version */
    KIOSK_SYNC_EV_CATALOGUE_BAD, /* the server's catalogue did not load:
                                    .version, .message; not cached */
    KIOSK_SYNC_EV_FEED,          /* suggestions/standings cached: .count */
    KIOSK_SYNC_EV_REJECTED,      /* the server rejected .count events */
    KIOSK_SYNC_EV_ERROR,         /* a local problem (outbox): .message */
    KIOSK_SYNC_EV_AGENDA,        /* an AGENDA is cached in the outbox */
    KIOSK_SYNC_EV_AGENDA_FAILED, /* the agenda request was refused:
                                    .count = -error code, .message */
} kiosk_sync_event_type_t;

typedef struct {
    kiosk_sync_event_type_t type;
    kiosk_sync_status_t status; /* snapshot when the event was queued */
    uint64_t version;
    uint32_t count;
    char message[KIOSK_SYNC_MESSAGE_MAX];
} kiosk_sync_event_t;

/* Checks cfg, opens the thread's own outbox connection and starts the
 * thread. NULL on failure with one readable line in err. */
kiosk_sync_t *kiosk_sync_new(const kiosk_sync_config_t *cfg, char *err,
                             size_t err_len);
/* Stops the thread (within a second whatever the network does), closes
 * everything and clears *self_p. Accepts NULL. Events still queued are
 * dropped. */
void kiosk_sync_destroy(kiosk_sync_t **self_p);

/* Meeting mode: fetch the agenda of week ("" or NULL = the current one)
 * once the session has nothing more urgent in flight; answered by
 * KIOSK_SYNC_EV_AGENDA (cached in the outbox: kiosk_outbox_agenda_get) or
 * KIOSK_SYNC_EV_AGENDA_FAILED. While offline the request waits for the
 * next session. */
void kiosk_sync_request_agenda(kiosk_sync_t *self, const char *week);

/* New events are waiting: push now rather than at the next heartbeat. */
void kiosk_sync_kick(kiosk_sync_t *self);

/* Takes the oldest queued event into *ev: 1 when one was taken, 0 when
 * the queue is empty. The queue keeps the newest 256 events. */
int kiosk_sync_poll(kiosk_sync_t *self, kiosk_sync_event_t *ev);

/* As kiosk_sync_poll, but waits up to timeout_ms for an event. For tools
 * and tests; a UI thread uses kiosk_sync_poll. */
int kiosk_sync_wait(kiosk_sync_t *self, kiosk_sync_event_t *ev, int timeout_ms);

/* A consistent copy of the current status. */
void kiosk_sync_status(kiosk_sync_t *self, kiosk_sync_status_t *out);

#ifdef __cplusplus
}
#endif
#endif
