/*
 * zap.h — syncd's ZAP handler (ZeroMQ RFC 27): who may connect at all.
 *
 * Private to the syncd library. CURVE proves a peer holds a key; this
 * decides whether that key is welcome. Domain "kiosk" admits keys of
 * enrolled, non-revoked kiosks (User-Id = kiosk id); domain "admin" admits
 * the manager keys in DIR/managers (one NAME.pub each) (User-Id =
 * "manager:<name>"). Everything else is refused with 400.
 *
 * The handler is a ZMQ_REP socket bound at inproc://zeromq.zap.01 in the
 * daemon's context and served from the daemon's own poll loop. It must be
 * bound before any CURVE server socket: libzmq admits every CURVE client
 * when no handler is bound, so syncd_server_new() creates it first and
 * fails if the bind fails.
 */
#ifndef SYNCD_ZAP_H
#define SYNCD_ZAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/protocol.h"
#include "syncd/store.h"

#define SYNCD_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define SYNCD_ZAP_DOMAIN_KIOSK "kiosk"
#define SYNCD_ZAP_DOMAIN_ADMIN "admin"
#define SYNCD_MANAGER_PREFIX "manager:"

/* One entry of the kiosk allow-list cache. */
typedef struct {
    char kiosk_id[PROTO_ID_MAX + 1];
    char site_id[PROTO_ID_MAX + 1];
    char key[41];
    bool revoked;
} syncd_zap_kiosk_t;

typedef struct syncd_zap syncd_zap_t;

/* Binds the handler in zctx. NULL with err filled on failure. */
syncd_zap_t *syncd_zap_new(void *zctx, char *err, size_t err_len);
void syncd_zap_destroy(syncd_zap_t **self_p);

/* The REP socket, for the daemon's poll set. */
void *syncd_zap_socket(syncd_zap_t *self);

/* Reloads the kiosk allow-list from the store. On failure the previous
 * list stays in force. 0 or a negative store code. */
int syncd_zap_load_kiosks(syncd_zap_t *self, syncd_store_t *store);

/* Reloads the manager keys from the NAME.pub files in dir. Files that do not
 * hold a key are skipped with a WARN line. On success the new list replaces the
 * old and the number of keys is returned (>= 0); when dir cannot be read the
 * list becomes empty and a negative code is returned. */
int syncd_zap_load_managers(syncd_zap_t *self, const char *dir);
size_t syncd_zap_manager_count(const syncd_zap_t *self);

/* The cached entry of a kiosk, or NULL when it is not enrolled. */
const syncd_zap_kiosk_t *syncd_zap_kiosk(const syncd_zap_t *self,
                                         const char *kiosk_id);

/* Answers every ZAP request waiting on the socket, without blocking.
 * now_ms (monotonic) paces the WARN lines for repeated refusals. Returns
 * the number of requests answered, or PROTO_EIO. */
int syncd_zap_handle(syncd_zap_t *self, int64_t now_ms);

#endif
