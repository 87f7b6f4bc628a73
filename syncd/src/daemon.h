/*
 * daemon.h — the inside of syncd_server_t, shared by the files that make
 * up the daemon (private to the syncd library):
 *
 *   server.c      sockets, the poll loop, sending, connection cut-offs
 *   session.c     the kiosk session state machine and its messages
 *   admin.c       the admin operations
 *   catalogues.c  the current catalogue and a cache of older versions
 *   zap.c         who may connect
 */
#ifndef SYNCD_DAEMON_H
#define SYNCD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "protocol/catalogue.h"
#include "protocol/protocol.h"
#include "syncd/ingest.h"
#include "syncd/server.h"
#include "syncd/store.h"
#include "zap.h"

/* ---- catalogues.c: the current catalogue, parsed, plus a few older
 *      versions loaded on demand for check-ins that name them. */
typedef struct syncd_catalogues syncd_catalogues_t;

syncd_catalogues_t *syncd_catalogues_new(syncd_store_t *store);
void syncd_catalogues_destroy(syncd_catalogues_t **self_p);
/* Reads the current version from the store and parses it. 0 or negative;
 * on failure the previous current version stays. */
int syncd_catalogues_reload(syncd_catalogues_t *self);
const proto_catalogue_t *syncd_catalogues_current(syncd_catalogues_t *self);
uint64_t syncd_catalogues_version(const syncd_catalogues_t *self);
/* The current YAML text (NULL when none). */
const char *syncd_catalogues_yaml(const syncd_catalogues_t *self, size_t *len);
/* Version v, parsed (cached); NULL when the store has no such version. */
const proto_catalogue_t *syncd_catalogues_get(syncd_catalogues_t *self,
                                              uint64_t version);

/* ---- the server */

/* A TCP connection, remembered so that it can be cut: libzmq gives the
 * file descriptor a message came in on (ZMQ_SRCFD), and the two socket
 * addresses make sure the descriptor still is that connection (and not a
 * new one that reuses the number) when it is shut down. */
typedef struct {
    int fd; /* -1 = unknown */
    struct sockaddr_storage peer, local;
    socklen_t peer_len, local_len;
} syncd_conn_t;

typedef enum {
    SYNCD_SESSION_NEW = 0, /* connected, no HELLO accepted yet */
    SYNCD_SESSION_READY,   /* HELLO accepted */
    SYNCD_SESSION_STATES
} syncd_session_state_t;

typedef struct {
    uint8_t rid[256]; /* ROUTER routing id of the connection */
    size_t rid_len;
    char kiosk_id[PROTO_ID_MAX + 1];
    syncd_session_state_t state;
    int64_t last_ms;  /* injected clock: last message */
    uint32_t version; /* negotiated protocol version */
    /* version >= 2: a PUSH of this session whose first seq was
     * push_floor failed, so PUSHes starting above it (perhaps in flight
     * behind it) are refused until one starting at or below it is stored
     * or the kiosk says HELLO; 0 = none failed */
    uint64_t push_floor;
    uint64_t catalogue_version; /* as the kiosk last reported */
    syncd_conn_t conn;
    /* the last PING's figures, not yet in the store
     * (syncd_session_flush_seen) */
    bool seen_pending;
    syncd_kiosk_seen_t seen;
} syncd_session_t;

typedef struct {
    syncd_conn_t conn;
    int64_t due_mono_ms;
} syncd_pending_cut_t;

struct syncd_server {
    syncd_store_t *store;
    syncd_clock_fn clock;
    void *clock_ctx;
    uint32_t heartbeat_ms;
    char *managers_dir;
    char *store_path;
    void *zctx;
    syncd_zap_t *zap;
    void *kiosk_sock;
    void *admin_sock;
    char kiosk_ep[256];
    char admin_ep[256];
    syncd_catalogues_t *catalogues;
    syncd_ingest_t *ingest;
    syncd_session_t *sessions;
    size_t n_sessions, cap_sessions;
    syncd_pending_cut_t *cuts;
    size_t n_cuts, cap_cuts;
    int64_t next_liveness_ms; /* monotonic: next check for closed links */
    int64_t kiosk_busy_since_ms; /* monotonic: kiosk queue not drained since;
                                    0 = drained at the last step */
    int64_t next_refresh_ms; /* monotonic: next re-read of what another syncd
                                on the same store may have changed */
    size_t n_seen_pending;   /* sessions with seen_pending */
    int64_t next_seen_ms;    /* monotonic: next flush of the PINGs' figures */
    int64_t last_message_ms; /* monotonic: the last kiosk or admin message */
    int journal_rows;        /* ingest journal rows left at the last fold */
    int64_t next_fold_ms;    /* monotonic: no fold before (after a failure) */
};

int64_t syncd_server_now(const syncd_server_t *self);

/* Sends msg to the peer with routing id rid on sock (ROUTER). A peer that
 * is gone or not reading is dropped silently by the ROUTER; a failure to
 * encode is logged. 0 or negative. */
int syncd_server_send(syncd_server_t *self, void *sock, const uint8_t *rid,
                      size_t rid_len, const proto_msg_t *msg);
/* Sends ERROR(code, text). */
int syncd_server_send_error(syncd_server_t *self, void *sock,
                            const uint8_t *rid, size_t rid_len, int code,
                            const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Reads the two socket addresses of fd into conn (fd -1 leaves it
 * unknown). */
void syncd_conn_capture(syncd_conn_t *conn, int fd);
/* Is conn's descriptor still that TCP connection (same two addresses)?
 * False once libzmq has closed it, or for an unknown descriptor. */
bool syncd_conn_alive(const syncd_conn_t *conn);
/* Shuts down conn's TCP connection now, if the descriptor still is that
 * connection. Returns true when it did. */
bool syncd_conn_cut(const syncd_conn_t *conn);
/* Shuts it down after delay_ms, so that a reply sent just before goes out
 * first. */
void syncd_server_cut_later(syncd_server_t *self, const syncd_conn_t *conn,
                            int delay_ms);

/* ---- session.c */

/* Handles one frame from a kiosk connection. user_id is the kiosk id the
 * ZAP handler bound to its key. */
void syncd_session_message(syncd_server_t *self, const uint8_t *rid,
                           size_t rid_len, const char *user_id, int fd,
                           const uint8_t *data, size_t len);
/* Expires sessions silent for 3 heartbeats, and (about once a second)
 * ends those whose connection the kiosk has closed. */
void syncd_session_tick(syncd_server_t *self);
/* Ends every session of kiosk_id and cuts their connections. revoked:
 * first tell each one ERROR EREVOKED and cut 200 ms later; else (a new
 * key replaced the old) cut at once without a word. Returns the number
 * of connections cut. */
int syncd_session_cut_kiosk(syncd_server_t *self, const char *kiosk_id,
                            bool revoked);
/* Is there a live (READY) session of kiosk_id? */
bool syncd_session_connected(const syncd_server_t *self, const char *kiosk_id);
/* Records the figures of the PINGs since the last call, every kiosk's in
 * one transaction (in kiosk id order, so that two syncd on one store
 * lock the rows in one order). The server calls it once a second, before
 * every admin request (so `status` is exact) and before a session ends;
 * a PING's figures are status, not data, so a crash loses at most a
 * second of them. */
void syncd_session_flush_seen(syncd_server_t *self);

/* ---- admin.c */

/* Handles one frame from an admin connection. user_id is
 * "manager:<name>" as the ZAP handler set it. */
void syncd_admin_message(syncd_server_t *self, const uint8_t *rid,
                         size_t rid_len, const char *user_id,
                         const uint8_t *data, size_t len);

#endif
