/*
 * server.c — the daemon's sockets and loop (see server.h).
 *
 * Order matters at start: the ZAP handler is bound before either CURVE
 * ROUTER, because libzmq lets every CURVE client in while no handler is
 * bound; there is never a moment when syncd listens without it.
 *
 * Each ROUTER message must be exactly [routing id][one payload frame];
 * anything else is dropped and logged. The payload's User-Id property,
 * set by our ZAP handler from the CURVE key, is the only identity used.
 */
#include "daemon.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zmq.h>

#include "protocol/proto_zmq.h"
#include "syncd/log.h"

#define KIOSK_BURST 100 /* messages per socket per step, for fairness */
#define ADMIN_BURST 16
#define SOCKET_LINGER_MS 100
#define SOCKET_HWM 1000
#define HANDSHAKE_IVL_MS 5000
/* Several syncd may serve one store (docs/OPERATIONS.md): what another one
 * changed (an enrolment, a revocation, a published catalogue) reaches this
 * one within this interval. */
#define SHARED_REFRESH_MS 2000

int64_t syncd_server_now(const syncd_server_t *self)
{
    return self->clock(self->clock_ctx);
}

/* ------------------------------------------------------------ connections */

void syncd_conn_capture(syncd_conn_t *conn, int fd)
{
    memset(conn, 0, sizeof *conn);
    conn->fd = -1;
    if (fd < 0)
        return;
    conn->peer_len = sizeof conn->peer;
    conn->local_len = sizeof conn->local;
    if (getpeername(fd, (struct sockaddr *)&conn->peer, &conn->peer_len) != 0 ||
        getsockname(fd, (struct sockaddr *)&conn->local, &conn->local_len) != 0)
        return;
    conn->fd = fd;
}

bool syncd_conn_alive(const syncd_conn_t *conn)
{
    if (conn->fd < 0)
        return false;
    /* The descriptor may have been closed by libzmq and its number given to
     * a new connection since: it is ours only if both ends are the same. */
    syncd_conn_t now;
    syncd_conn_capture(&now, conn->fd);
    return now.fd >= 0 && now.peer_len == conn->peer_len &&
           now.local_len == conn->local_len &&
           memcmp(&now.peer, &conn->peer, conn->peer_len) == 0 &&
           memcmp(&now.local, &conn->local, conn->local_len) == 0;
}

bool syncd_conn_cut(const syncd_conn_t *conn)
{
    return syncd_conn_alive(conn) && shutdown(conn->fd, SHUT_RDWR) == 0;
}

void syncd_server_cut_later(syncd_server_t *self, const syncd_conn_t *conn,
                            int delay_ms)
{
    if (conn->fd < 0)
        return;
    for (size_t i = 0; i < self->n_cuts; i++) {
        if (self->cuts[i].conn.fd == conn->fd)
            return; /* already scheduled */
    }
    if (self->n_cuts == self->cap_cuts) {
        size_t cap = self->cap_cuts ? self->cap_cuts * 2 : 8;
        syncd_pending_cut_t *nc = realloc(self->cuts, cap * sizeof *nc);
        if (!nc) {
            (void)syncd_conn_cut(conn); /* now rather than never */
            return;
        }
        self->cuts = nc;
        self->cap_cuts = cap;
    }
    self->cuts[self->n_cuts].conn = *conn;
    self->cuts[self->n_cuts].due_mono_ms = syncd_clock_mono_ms() + delay_ms;
    self->n_cuts++;
}

static void run_due_cuts(syncd_server_t *self)
{
    int64_t now = syncd_clock_mono_ms();
    for (size_t i = 0; i < self->n_cuts;) {
        if (self->cuts[i].due_mono_ms > now) {
            i++;
            continue;
        }
        (void)syncd_conn_cut(&self->cuts[i].conn);
        self->cuts[i] = self->cuts[--self->n_cuts];
    }
}

/* ---------------------------------------------------------------- sending */

int syncd_server_send(syncd_server_t *self, void *sock, const uint8_t *rid,
                      size_t rid_len, const proto_msg_t *msg)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = proto_encode(msg, &buf, &len);
    if (rc != 0) {
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot encode a reply; not sent message=%s error=%s",
                  proto_msg_name(msg->type), proto_errname(rc));
        return rc;
    }
    /* ROUTER_MANDATORY is off: a peer that has gone, or whose queue is
     * full, loses the reply silently instead of blocking the daemon. It
     * will ask again after reconnecting. */
    rc = 0;
    if (zmq_send(sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0) {
        syncd_log(SYNCD_LOG_DEBUG, "reply not sent message=%s error=\"%s\"",
                  proto_msg_name(msg->type), zmq_strerror(zmq_errno()));
        rc = PROTO_EIO;
    }
    proto_free(buf);
    return rc;
}

int syncd_server_send_error(syncd_server_t *self, void *sock,
                            const uint8_t *rid, size_t rid_len, int code,
                            const char *fmt, ...)
{
    char text[PROTO_REASON_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* the protocol bounds error text; cut on a character boundary */
    text[proto_utf8_cut(text, strlen(text), PROTO_REASON_MAX)] = '\0';
    proto_msg_t m = {.type = PROTO_MSG_ERROR};
    m.u.error.code = code;
    m.u.error.message = text; /* borrowed: m is not cleared */
    return syncd_server_send(self, sock, rid, rid_len, &m);
}

/* ------------------------------------------------- several syncd, one store */

/* Re-reads the state this daemon caches from the store: the current
 * catalogue and the kiosk allow-list. Another syncd on the same store may
 * have published, enrolled or revoked since; sessions of a kiosk that is
 * now revoked, gone, or enrolled with another key are ended as admin.c
 * ends them on this daemon. Failures keep the previous state (and are
 * logged by the reloads); the next refresh tries again. */
static void refresh_shared(syncd_server_t *self)
{
    (void)syncd_catalogues_reload(self->catalogues);
    typedef struct {
        char kiosk_id[PROTO_ID_MAX + 1];
        char key[41];
    } held_t;
    held_t *held = NULL;
    size_t n_held = 0;
    if (self->n_sessions) {
        held = calloc(self->n_sessions, sizeof *held);
        if (!held)
            return; /* try again at the next refresh */
        for (size_t i = 0; i < self->n_sessions; i++) {
            const syncd_zap_kiosk_t *k =
                syncd_zap_kiosk(self->zap, self->sessions[i].kiosk_id);
            if (!k)
                continue;
            snprintf(held[n_held].kiosk_id, sizeof held[n_held].kiosk_id, "%s",
                     k->kiosk_id);
            snprintf(held[n_held].key, sizeof held[n_held].key, "%s", k->key);
            n_held++;
        }
    }
    if (syncd_zap_load_kiosks(self->zap, self->store) == 0) {
        for (size_t i = 0; i < n_held; i++) {
            const syncd_zap_kiosk_t *k =
                syncd_zap_kiosk(self->zap, held[i].kiosk_id);
            if (!k || k->revoked) {
                int cut = syncd_session_cut_kiosk(self, held[i].kiosk_id, true);
                syncd_log(SYNCD_LOG_INFO,
                          "kiosk revoked on the store; its sessions ended "
                          "kiosk=%s cut=%d",
                          held[i].kiosk_id, cut);
            } else if (strcmp(k->key, held[i].key) != 0) {
                int cut =
                    syncd_session_cut_kiosk(self, held[i].kiosk_id, false);
                syncd_log(SYNCD_LOG_INFO,
                          "kiosk enrolled with a new key on the store; "
                          "sessions of the old key ended kiosk=%s cut=%d",
                          held[i].kiosk_id, cut);
            }
        }
    }
    free(held);
}

static void refresh_shared_when_due(syncd_server_t *self, int64_t mono)
{
    if (mono < self->next_refresh_ms)
        return;
    self->next_refresh_ms = mono + SHARED_REFRESH_MS;
    refresh_shared(self);
}

/* ------------------------------------------------------------- receiving */

typedef enum { FROM_KIOSK, FROM_ADMIN } origin_t;

/* Reads one ROUTER message and hands it on. 1 = handled or dropped, 0 =
 * nothing waiting, PROTO_EIO = socket failure. */
static int receive_one(syncd_server_t *self, void *sock, origin_t origin)
{
    zmq_msg_t rid, body;
    if (zmq_msg_init(&rid) != 0)
        return PROTO_EIO;
    if (zmq_msg_recv(&rid, sock, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        (void)zmq_msg_close(&rid);
        return (e == EAGAIN || e == EINTR) ? 0 : PROTO_EIO;
    }
    const char *where = origin == FROM_KIOSK ? "kiosk" : "admin";
    if (!zmq_msg_more(&rid)) {
        syncd_log(SYNCD_LOG_WARN,
                  "message without a payload frame dropped endpoint=%s", where);
        (void)zmq_msg_close(&rid);
        return 1;
    }
    if (zmq_msg_init(&body) != 0) {
        (void)zmq_msg_close(&rid);
        return PROTO_EIO;
    }
    if (zmq_msg_recv(&body, sock, 0) < 0) {
        (void)zmq_msg_close(&body);
        (void)zmq_msg_close(&rid);
        return PROTO_EIO;
    }
    int frames = 1;
    if (zmq_msg_more(&body)) {
        /* drain the rest of the message, then drop all of it */
        zmq_msg_t extra;
        int more = 1;
        while (more) {
            if (zmq_msg_init(&extra) != 0 ||
                zmq_msg_recv(&extra, sock, 0) < 0) {
                (void)zmq_msg_close(&extra);
                break;
            }
            frames++;
            more = zmq_msg_more(&extra);
            (void)zmq_msg_close(&extra);
        }
        const char *uid = zmq_msg_gets(&body, "User-Id");
        syncd_log(SYNCD_LOG_WARN,
                  "message of %d payload frames dropped; the protocol sends "
                  "exactly one endpoint=%s user=%s",
                  frames, where, uid ? uid : "?");
        goto done;
    }
    const char *user_id = zmq_msg_gets(&body, "User-Id");
    if (!user_id || !user_id[0]) {
        /* cannot happen while our ZAP handler runs; never trust it then */
        syncd_log(SYNCD_LOG_ERROR,
                  "message without an authenticated identity dropped "
                  "endpoint=%s",
                  where);
        goto done;
    }
    if (origin == FROM_KIOSK) {
        int fd = zmq_msg_get(&body, ZMQ_SRCFD);
        syncd_session_message(self, zmq_msg_data(&rid), zmq_msg_size(&rid),
                              user_id, fd, zmq_msg_data(&body),
                              zmq_msg_size(&body));
    } else {
        /* A manager's command sees what other syncd on the store did, and
         * the PINGs this one has not recorded yet. */
        refresh_shared(self);
        syncd_session_flush_seen(self);
        syncd_admin_message(self, zmq_msg_data(&rid), zmq_msg_size(&rid),
                            user_id, zmq_msg_data(&body), zmq_msg_size(&body));
    }
done:
    (void)zmq_msg_close(&body);
    (void)zmq_msg_close(&rid);
    return 1;
}

/* ------------------------------------------------------------ life cycle */

static int set_int(void *sock, int opt, int v)
{
    return zmq_setsockopt(sock, opt, &v, sizeof v);
}

static void *open_router(syncd_server_t *self, const char *endpoint,
                         const char *domain, int64_t max_frame,
                         const proto_keypair_t *key, char *bound,
                         size_t bound_len, const char *option, char *err,
                         size_t err_len)
{
    void *sock = zmq_socket(self->zctx, ZMQ_ROUTER);
    if (!sock) {
        snprintf(err, err_len, "cannot create the %s socket: %s", domain,
                 zmq_strerror(zmq_errno()));
        return NULL;
    }
    if (set_int(sock, ZMQ_LINGER, SOCKET_LINGER_MS) != 0 ||
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame) !=
            0 ||
        set_int(sock, ZMQ_ROUTER_MANDATORY, 0) != 0 ||
        set_int(sock, ZMQ_SNDHWM, SOCKET_HWM) != 0 ||
        set_int(sock, ZMQ_RCVHWM, SOCKET_HWM) != 0 ||
        set_int(sock, ZMQ_HANDSHAKE_IVL, HANDSHAKE_IVL_MS) != 0 ||
        set_int(sock, ZMQ_TCP_KEEPALIVE, 1) != 0) {
        snprintf(err, err_len, "cannot set options on the %s socket: %s",
                 domain, zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (proto_zmq_curve_server(sock, key, domain) != 0) {
        snprintf(err, err_len,
                 "cannot make the %s socket a CURVE server: %s; check the "
                 "server key",
                 domain, zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (zmq_bind(sock, endpoint) != 0) {
        snprintf(err, err_len,
                 "cannot bind the %s endpoint %s: %s; is another syncd "
                 "running? choose another with %s",
                 domain, endpoint, zmq_strerror(zmq_errno()), option);
        goto fail;
    }
    size_t len = bound_len;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &len) != 0) {
        snprintf(err, err_len, "cannot read the bound %s endpoint: %s", domain,
                 zmq_strerror(zmq_errno()));
        goto fail;
    }
    return sock;
fail:
    (void)zmq_close(sock);
    return NULL;
}

syncd_server_t *syncd_server_new(const syncd_server_config_t *config,
                                 syncd_store_t *store, syncd_clock_fn clock,
                                 void *clock_ctx, char *err, size_t err_len)
{
    char dummy[8];
    if (!err || !err_len) {
        err = dummy;
        err_len = sizeof dummy;
    }
    err[0] = '\0';
    if (!config || !store) {
        snprintf(err, err_len, "syncd_server_new: config and store needed");
        return NULL;
    }
    syncd_server_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, err_len, "out of memory creating the server");
        return NULL;
    }
    self->store = store;
    /* batches a stopped syncd left in the journal are folded when first
     * quiet (a count that fails: looked at then) */
    self->journal_rows = syncd_store_fold(store, 0);
    if (self->journal_rows < 0)
        self->journal_rows = 1;
    self->clock = clock ? clock : syncd_clock_wall_ms;
    self->clock_ctx = clock_ctx;
    self->heartbeat_ms = config->heartbeat_ms ? config->heartbeat_ms
                                              : SYNCD_DEFAULT_HEARTBEAT_MS;
    if ((config->managers_dir &&
         !(self->managers_dir = strdup(config->managers_dir))) ||
        (config->store_path &&
         !(self->store_path = strdup(config->store_path)))) {
        snprintf(err, err_len, "out of memory creating the server");
        goto fail;
    }
    self->catalogues = syncd_catalogues_new(store);
    self->ingest = syncd_ingest_new();
    if (!self->catalogues || !self->ingest) {
        snprintf(err, err_len, "out of memory creating the server");
        goto fail;
    }
    if (syncd_catalogues_reload(self->catalogues) != 0) {
        snprintf(err, err_len,
                 "cannot read the current catalogue from the store: %s",
                 syncd_store_errmsg(store));
        goto fail;
    }
    self->zctx = zmq_ctx_new();
    if (!self->zctx) {
        snprintf(err, err_len, "cannot create a ZeroMQ context: %s",
                 zmq_strerror(zmq_errno()));
        goto fail;
    }
    /* The ZAP handler first: see the file comment. */
    self->zap = syncd_zap_new(self->zctx, err, err_len);
    if (!self->zap)
        goto fail;
    if (syncd_zap_load_kiosks(self->zap, store) != 0) {
        snprintf(err, err_len,
                 "cannot read the kiosk allow-list from the store: %s",
                 syncd_store_errmsg(store));
        goto fail;
    }
    if (self->managers_dir)
        (void)syncd_zap_load_managers(self->zap, self->managers_dir);
    else
        syncd_log(SYNCD_LOG_WARN, "no managers directory given; the admin "
                                  "endpoint will refuse everyone");
    self->kiosk_sock = open_router(
        self,
        config->kiosk_endpoint ? config->kiosk_endpoint
                               : SYNCD_DEFAULT_KIOSK_ENDPOINT,
        SYNCD_ZAP_DOMAIN_KIOSK, (int64_t)PROTO_MAX_FRAME, &config->server_key,
        self->kiosk_ep, sizeof self->kiosk_ep, "--listen", err, err_len);
    if (!self->kiosk_sock)
        goto fail;
    self->admin_sock =
        open_router(self,
                    config->admin_endpoint ? config->admin_endpoint
                                           : SYNCD_DEFAULT_ADMIN_ENDPOINT,
                    SYNCD_ZAP_DOMAIN_ADMIN, (int64_t)PROTO_MAX_ADMIN_FRAME,
                    &config->server_key, self->admin_ep, sizeof self->admin_ep,
                    "--admin", err, err_len);
    if (!self->admin_sock)
        goto fail;
    return self;
fail:
    syncd_server_destroy(&self);
    return NULL;
}

void syncd_server_destroy(syncd_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    syncd_server_t *self = *self_p;
    syncd_session_flush_seen(self); /* the last PINGs' figures */
    if (self->kiosk_sock)
        (void)zmq_close(self->kiosk_sock);
    if (self->admin_sock)
        (void)zmq_close(self->admin_sock);
    syncd_zap_destroy(&self->zap);
    if (self->zctx) {
        while (zmq_ctx_term(self->zctx) != 0 && zmq_errno() == EINTR)
            ;
    }
    syncd_catalogues_destroy(&self->catalogues);
    syncd_ingest_destroy(&self->ingest);
    free(self->sessions);
    free(self->cuts);
    free(self->managers_dir);
    free(self->store_path);
    free(self);
    *self_p = NULL;
}

const char *syncd_server_kiosk_endpoint(const syncd_server_t *self)
{
    return self->kiosk_ep;
}

const char *syncd_server_admin_endpoint(const syncd_server_t *self)
{
    return self->admin_ep;
}

uint64_t syncd_server_catalogue_version(const syncd_server_t *self)
{
    return syncd_catalogues_version(self->catalogues);
}

int syncd_server_reload(syncd_server_t *self)
{
    int rc = syncd_zap_load_kiosks(self->zap, self->store);
    if (rc != 0)
        return rc;
    if (!self->managers_dir)
        return 0;
    return syncd_zap_load_managers(self->zap, self->managers_dir);
}

int syncd_server_import_catalogue(syncd_server_t *self, const char *yaml,
                                  size_t len, const char *source_name,
                                  uint64_t *version, bool *imported, char *err,
                                  size_t err_len)
{
    *imported = false;
    /* compare with the store's current text, which another syncd may have
     * replaced */
    (void)syncd_catalogues_reload(self->catalogues);
    *version = syncd_catalogues_version(self->catalogues);
    if (len > PROTO_CATALOGUE_MAX) {
        snprintf(err, err_len,
                 "%s: the catalogue is %zu bytes; the limit is %u bytes; "
                 "split long guide texts or remove unused processes",
                 source_name, len, (unsigned)PROTO_CATALOGUE_MAX);
        return PROTO_EINVAL;
    }
    proto_catalogue_t *cat =
        proto_catalogue_load_string(yaml, len, source_name, err, err_len);
    if (!cat)
        return PROTO_EINVAL;
    proto_catalogue_destroy(&cat);
    size_t cur_len = 0;
    const char *cur = syncd_catalogues_yaml(self->catalogues, &cur_len);
    if (cur && cur_len == len && memcmp(cur, yaml, len) == 0)
        return 0; /* the same text: nothing new to publish */
    uint64_t v = 0;
    int rc = syncd_store_catalogue_put(self->store, yaml, len,
                                       syncd_server_now(self), &v);
    if (rc != 0) {
        snprintf(err, err_len, "cannot store the catalogue: %s",
                 syncd_store_errmsg(self->store));
        return rc;
    }
    rc = syncd_catalogues_reload(self->catalogues);
    if (rc != 0) {
        snprintf(err, err_len,
                 "the catalogue was stored as version %llu but cannot be "
                 "read back: %s",
                 (unsigned long long)v, syncd_store_errmsg(self->store));
        return rc;
    }
    *version = syncd_catalogues_version(self->catalogues);
    *imported = true;
    return 0;
}

/* ------------------------------------------------------------------- loop */

/* PINGs' figures are recorded together, at most this long after they came
 * (syncd_session_flush_seen). */
#define SEEN_FLUSH_MS 1000

/* The ingest journal (syncd_store_fold) is folded a group of rows at a
 * time once no message has come for FOLD_IDLE_MS, so a message that comes
 * then waits for one group at most (SYNCD_FOLD_GROUP rows of at most
 * PROTO_MAX_BATCH events: tens of ms), and after any message when it holds
 * more than SYNCD_FOLD_LAG rows (syncd_store_fold_lag). A fold that fails is
 * logged and tried again FOLD_RETRY_MS later; its rows stay in the journal. */
#define FOLD_IDLE_MS 10
#define FOLD_RETRY_MS 1000

/* Folds rows (0: down to SYNCD_FOLD_LAG) and keeps the count left; a
 * failure is logged and holds folding back for FOLD_RETRY_MS. */
static void fold_rows(syncd_server_t *self, int64_t mono, size_t rows)
{
    int left = rows ? syncd_store_fold(self->store, rows)
                    : syncd_store_fold_lag(self->store);

    if (left < 0) {
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot fold the ingest journal; its batches are kept and "
                  "folding is tried again in %d ms error=%s detail=\"%s\"",
                  FOLD_RETRY_MS, proto_errname(left),
                  syncd_store_errmsg(self->store));
        self->next_fold_ms = mono + FOLD_RETRY_MS;
        left = 1; /* at least the row that failed */
    }
    self->journal_rows = left;
}

static void fold_journal(syncd_server_t *self, int64_t mono, bool handled)
{
    if (handled)
        self->last_message_ms = mono;
    if (mono < self->next_fold_ms)
        return;
    if (handled)
        fold_rows(self, mono, 0);
    else if (self->journal_rows > 0 &&
             mono - self->last_message_ms >= FOLD_IDLE_MS)
        fold_rows(self, mono, SYNCD_FOLD_GROUP);
}

/* Lowers *timeout_ms (negative: none) so that the poll wakes at due_ms. */
static void wake_at(int *timeout_ms, int64_t due_ms, int64_t now)
{
    int64_t wait = due_ms > now ? due_ms - now : 0;

    if (*timeout_ms < 0 || wait < *timeout_ms)
        *timeout_ms = (int)wait;
}

int syncd_server_step(syncd_server_t *self, int timeout_ms)
{
    int64_t now = syncd_clock_mono_ms();

    if (self->journal_rows > 0) {
        /* when the kiosks have been quiet long enough to fold */
        int64_t quiet = self->last_message_ms + FOLD_IDLE_MS;
        wake_at(&timeout_ms,
                quiet > self->next_fold_ms ? quiet : self->next_fold_ms, now);
    }
    if (self->n_seen_pending) /* in time to record the PINGs' figures */
        wake_at(&timeout_ms, self->next_seen_ms, now);
    for (size_t i = 0; i < self->n_cuts; i++) /* the pending cut-offs */
        wake_at(&timeout_ms, self->cuts[i].due_mono_ms, now);
    zmq_pollitem_t items[3] = {
        {syncd_zap_socket(self->zap), 0, ZMQ_POLLIN, 0},
        {self->kiosk_sock, 0, ZMQ_POLLIN, 0},
        {self->admin_sock, 0, ZMQ_POLLIN, 0},
    };
    int n = zmq_poll(items, 3, timeout_ms);
    if (n < 0) {
        if (zmq_errno() == EINTR)
            return 0; /* a signal: let the caller look at its flags */
        syncd_log(SYNCD_LOG_ERROR, "polling failed error=\"%s\"",
                  zmq_strerror(zmq_errno()));
        return PROTO_EIO;
    }
    int64_t mono = syncd_clock_mono_ms();
    if (syncd_zap_handle(self->zap, mono) < 0)
        syncd_log(SYNCD_LOG_ERROR, "ZAP handler failed error=\"%s\"",
                  zmq_strerror(zmq_errno()));
    bool drained = false, handled = false;
    for (int i = 0; i < KIOSK_BURST; i++) {
        int rc = receive_one(self, self->kiosk_sock, FROM_KIOSK);
        if (rc <= 0) {
            drained = rc == 0;
            break;
        }
        handled = true;
    }
    for (int i = 0; i < ADMIN_BURST; i++) {
        int rc = receive_one(self, self->admin_sock, FROM_ADMIN);
        if (rc <= 0)
            break;
        handled = true;
    }
    fold_journal(self, syncd_clock_mono_ms(), handled);
    /* A session is judged silent only once every waiting kiosk message has
     * been read: under a burst a kiosk's PING or PUSH can wait in the queue
     * longer than 3 heartbeats, and expiring its session then would refuse
     * a message that arrived in time (ESTATE, a needless re-HELLO). A
     * queue that never drains (a flood) delays expiry by at most 3
     * heartbeats of real time. */
    if (drained) {
        self->kiosk_busy_since_ms = 0;
    } else if (self->kiosk_busy_since_ms == 0) {
        self->kiosk_busy_since_ms = mono;
    }
    if (drained ||
        mono - self->kiosk_busy_since_ms > 3 * (int64_t)self->heartbeat_ms)
        syncd_session_tick(self);
    refresh_shared_when_due(self, mono);
    if (mono >= self->next_seen_ms) {
        syncd_session_flush_seen(self);
        self->next_seen_ms = mono + SEEN_FLUSH_MS;
    }
    run_due_cuts(self);
    return 0;
}
