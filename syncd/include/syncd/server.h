/*
 * server.h — the sync daemon as an object: sockets, ZAP, sessions, admin.
 *
 * main.c parses options and runs syncd_server_step() in a loop; tests
 * create a server in-process on tcp://127.0.0.1:* with a real store and a
 * fake clock and step it between their own client calls. The store and
 * the clock are injected; the server owns its ZeroMQ context (the ZAP
 * handler must live in the same context as the CURVE sockets it guards,
 * and no other ZAP handler may share it).
 *
 * One step: answer pending ZAP requests, handle waiting kiosk and admin
 * messages, expire silent sessions, finish pending connection cut-offs.
 */
#ifndef SYNCD_SERVER_H
#define SYNCD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/keys.h"
#include "syncd/clock.h"
#include "syncd/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNCD_DEFAULT_KIOSK_ENDPOINT "tcp://*:7850"
#define SYNCD_DEFAULT_ADMIN_ENDPOINT "tcp://127.0.0.1:7851"
#define SYNCD_DEFAULT_HEARTBEAT_MS 5000u

typedef struct {
    const char *kiosk_endpoint; /* NULL = SYNCD_DEFAULT_KIOSK_ENDPOINT */
    const char *admin_endpoint; /* NULL = SYNCD_DEFAULT_ADMIN_ENDPOINT */
    proto_keypair_t server_key; /* the CURVE server key pair */
    const char *managers_dir;   /* DIR/managers (NAME.pub files); NULL = no
                                   manager keys */
    uint32_t heartbeat_ms;      /* told to kiosks; 0 = default. A session
                                 * silent for 3 x this is expired. */
    /* The SQLite file behind the store, for `verify`'s integrity check;
     * NULL skips that part of the check. */
    const char *store_path;
} syncd_server_config_t;

typedef struct syncd_server syncd_server_t;

/* Creates the server: binds the ZAP handler, then the kiosk and admin
 * ROUTERs, loads the kiosk allow-list, the manager keys and the current
 * catalogue. store is borrowed and must outlive the server; clock NULL =
 * syncd_clock_wall_ms. NULL on failure with one readable line in err
 * (e.g. "cannot bind the kiosk endpoint ...: Address already in
 * use; ...").
 * The config is copied. */
syncd_server_t *syncd_server_new(const syncd_server_config_t *config,
                                 syncd_store_t *store, syncd_clock_fn clock,
                                 void *clock_ctx, char *err, size_t err_len);
void syncd_server_destroy(syncd_server_t **self_p);

/* Waits up to timeout_ms for work (0 = just poll, -1 = forever) and does
 * it. Returns 0, also when a signal interrupted the wait, or PROTO_EIO
 * when polling fails for another reason. */
int syncd_server_step(syncd_server_t *self, int timeout_ms);

/* The endpoints actually bound (after "*" ports are chosen), e.g.
 * "tcp://127.0.0.1:40123". */
const char *syncd_server_kiosk_endpoint(const syncd_server_t *self);
const char *syncd_server_admin_endpoint(const syncd_server_t *self);

/* Re-reads the manager keys and the kiosk allow-list (SIGHUP). Returns the
 * number of manager keys, or a negative code. */
int syncd_server_reload(syncd_server_t *self);

/* Validates yaml as a catalogue and, when it differs from the current
 * version, stores it as the next version and makes it current. source_name
 * names the text in error messages ("catalogue.yaml:42: ..."). On success
 * *version is the current version afterwards and *imported says whether
 * a new one was stored. PROTO_EINVAL with the loader's line-numbered
 * message in err; PROTO_ESTORE with the store's message. */
int syncd_server_import_catalogue(syncd_server_t *self, const char *yaml,
                                  size_t len, const char *source_name,
                                  uint64_t *version, bool *imported, char *err,
                                  size_t err_len);

/* The current catalogue version (0 = none). */
uint64_t syncd_server_catalogue_version(const syncd_server_t *self);

/* Live sessions (kiosks that said HELLO and are not expired or cut). */
size_t syncd_server_session_count(const syncd_server_t *self);

#ifdef __cplusplus
}
#endif
#endif
