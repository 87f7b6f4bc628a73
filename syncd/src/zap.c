/*
 * zap.c — the ZAP handler of zap.h.
 *
 * No thread: the REP socket sits in the daemon's poll set, so the allow-
 * list it reads is only ever touched by the main loop and needs no lock.
 * A refused key is logged at WARN with its Z85 text; a kiosk that keeps
 * retrying with a refused key would fill the log, so repeats of the same
 * key within a minute are counted and reported once the minute is over.
 */
#include "zap.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "protocol/keys.h"
#include "syncd/log.h"

#define ZAP_MAX_FRAMES 8
#define ZAP_FRAME_MAX 256
#define REFUSAL_SLOTS 64
#define REFUSAL_QUIET_MS 60000

typedef struct {
    char name[PROTO_ID_MAX + 1];
    char key[41];
} manager_t;

typedef struct {
    char key[41];
    char domain[64];
    int64_t logged_ms;
    unsigned suppressed;
} refusal_t;

struct syncd_zap {
    void *sock;
    syncd_zap_kiosk_t *kiosks;
    size_t n_kiosks;
    manager_t *managers;
    size_t n_managers;
    refusal_t refusals[REFUSAL_SLOTS];
    unsigned refusal_next;
};

syncd_zap_t *syncd_zap_new(void *zctx, char *err, size_t err_len)
{
    syncd_zap_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, err_len, "out of memory creating the ZAP handler");
        return NULL;
    }
    self->sock = zmq_socket(zctx, ZMQ_REP);
    if (!self->sock) {
        snprintf(err, err_len, "cannot create the ZAP socket: %s",
                 zmq_strerror(zmq_errno()));
        goto fail;
    }
    int linger = 0;
    if (zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(self->sock, SYNCD_ZAP_ENDPOINT) != 0) {
        snprintf(err, err_len,
                 "cannot bind the ZAP handler at %s: %s; without it CURVE "
                 "would admit any key, so syncd will not start",
                 SYNCD_ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
        goto fail;
    }
    return self;
fail:
    syncd_zap_destroy(&self);
    return NULL;
}

void syncd_zap_destroy(syncd_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    syncd_zap_t *self = *self_p;
    if (self->sock)
        (void)zmq_close(self->sock);
    free(self->kiosks);
    free(self->managers);
    free(self);
    *self_p = NULL;
}

void *syncd_zap_socket(syncd_zap_t *self)
{
    return self->sock;
}

int syncd_zap_load_kiosks(syncd_zap_t *self, syncd_store_t *store)
{
    syncd_kiosk_t *list = NULL;
    size_t n = 0;
    int rc = syncd_store_kiosk_list(store, &list, &n);
    if (rc != 0) {
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot read the kiosk allow-list from the store; keeping "
                  "the previous one error=%s detail=\"%s\"",
                  proto_errname(rc), syncd_store_errmsg(store));
        free(list);
        return rc;
    }
    syncd_zap_kiosk_t *k = calloc(n ? n : 1, sizeof *k);
    if (!k) {
        free(list);
        return PROTO_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(k[i].kiosk_id, sizeof k[i].kiosk_id, "%s", list[i].kiosk_id);
        snprintf(k[i].site_id, sizeof k[i].site_id, "%s", list[i].site_id);
        snprintf(k[i].key, sizeof k[i].key, "%s", list[i].public_key);
        k[i].revoked = list[i].revoked;
    }
    free(list);
    free(self->kiosks);
    self->kiosks = k;
    self->n_kiosks = n;
    return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

int syncd_zap_load_managers(syncd_zap_t *self, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        free(self->managers);
        self->managers = NULL;
        self->n_managers = 0;
        syncd_log(SYNCD_LOG_WARN,
                  "cannot read manager keys; the admin endpoint will refuse "
                  "everyone until there is one (syncctl keygen manager, "
                  "copy NAME.pub into this directory, then kill -HUP syncd) "
                  "dir=%s error=\"%s\"",
                  dir, strerror(e));
        return PROTO_EIO;
    }
    manager_t *list = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".pub"))
            continue;
        size_t stem = strlen(de->d_name) - 4;
        if (stem > PROTO_ID_MAX - strlen(SYNCD_MANAGER_PREFIX)) {
            syncd_log(SYNCD_LOG_WARN,
                      "manager key file name too long; skipped file=%s/%s", dir,
                      de->d_name);
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char key[PROTO_Z85_KEY_LEN + 1];
        char err[512];
        if (proto_keys_load_public(path, key, err, sizeof err) != 0) {
            syncd_log(SYNCD_LOG_WARN,
                      "manager key skipped file=%s error=\"%s\"", path, err);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            manager_t *nl = realloc(list, cap * sizeof *nl);
            if (!nl) {
                rc = PROTO_ENOMEM;
                goto out;
            }
            list = nl;
        }
        memcpy(list[n].name, de->d_name, stem);
        list[n].name[stem] = '\0';
        memcpy(list[n].key, key, sizeof list[n].key);
        n++;
    }
    free(self->managers);
    self->managers = list;
    self->n_managers = n;
    list = NULL;
    rc = (int)n;
    if (n == 0)
        syncd_log(SYNCD_LOG_WARN,
                  "no manager keys found; the admin endpoint will refuse "
                  "everyone (syncctl keygen manager, copy NAME.pub here, "
                  "then kill -HUP syncd) dir=%s",
                  dir);
    else
        syncd_log(SYNCD_LOG_INFO, "manager keys loaded dir=%s count=%zu", dir,
                  n);
out:
    free(list);
    closedir(d);
    return rc;
}

size_t syncd_zap_manager_count(const syncd_zap_t *self)
{
    return self->n_managers;
}

const syncd_zap_kiosk_t *syncd_zap_kiosk(const syncd_zap_t *self,
                                         const char *kiosk_id)
{
    for (size_t i = 0; i < self->n_kiosks; i++) {
        if (strcmp(self->kiosks[i].kiosk_id, kiosk_id) == 0)
            return &self->kiosks[i];
    }
    return NULL;
}

static const syncd_zap_kiosk_t *kiosk_by_key(const syncd_zap_t *self,
                                             const char *key)
{
    for (size_t i = 0; i < self->n_kiosks; i++) {
        if (strcmp(self->kiosks[i].key, key) == 0)
            return &self->kiosks[i];
    }
    return NULL;
}

static const manager_t *manager_by_key(const syncd_zap_t *self, const char *key)
{
    for (size_t i = 0; i < self->n_managers; i++) {
        if (strcmp(self->managers[i].key, key) == 0)
            return &self->managers[i];
    }
    return NULL;
}

/* Logs a refusal at WARN unless the same key was logged in the last
 * minute; then it is only counted. */
static void log_refusal(syncd_zap_t *self, const char *domain, const char *key,
                        const char *address, const char *why, int64_t now_ms)
{
    refusal_t *slot = NULL;
    for (int i = 0; i < REFUSAL_SLOTS; i++) {
        refusal_t *r = &self->refusals[i];
        if (r->key[0] && strcmp(r->key, key) == 0 &&
            strcmp(r->domain, domain) == 0) {
            slot = r;
            break;
        }
    }
    if (slot && now_ms - slot->logged_ms < REFUSAL_QUIET_MS) {
        slot->suppressed++;
        return;
    }
    unsigned repeats = slot ? slot->suppressed : 0;
    if (!slot)
        slot = &self->refusals[self->refusal_next++ % REFUSAL_SLOTS];
    snprintf(slot->key, sizeof slot->key, "%s", key);
    snprintf(slot->domain, sizeof slot->domain, "%s", domain);
    slot->logged_ms = now_ms;
    slot->suppressed = 0;
    syncd_log(SYNCD_LOG_WARN,
              "connection refused: %s domain=%s key=%s address=%s "
              "refused_before=%u",
              why, domain, key, address, repeats);
}

static int send_frame(void *sock, const void *data, size_t len, int more)
{
    return zmq_send(sock, data, len, more ? ZMQ_SNDMORE : 0) < 0 ? PROTO_EIO
                                                                 : 0;
}

static int reply(void *sock, const char *request_id, size_t id_len,
                 const char *status, const char *text, const char *user_id)
{
    if (send_frame(sock, "1.0", 3, 1) ||
        send_frame(sock, request_id, id_len, 1) ||
        send_frame(sock, status, strlen(status), 1) ||
        send_frame(sock, text, strlen(text), 1) ||
        send_frame(sock, user_id, strlen(user_id), 1) ||
        send_frame(sock, "", 0, 0))
        return PROTO_EIO;
    return 0;
}

/* Reads one request into frames; returns the frame count, 0 when none is
 * waiting, or PROTO_EIO. Frames beyond ZAP_MAX_FRAMES are drained. */
static int read_request(void *sock, char frames[][ZAP_FRAME_MAX], size_t *lens,
                        int *truncated)
{
    int n = 0;
    *truncated = 0;
    for (;;) {
        zmq_msg_t m;
        if (zmq_msg_init(&m) != 0)
            return PROTO_EIO;
        if (zmq_msg_recv(&m, sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int e = zmq_errno();
            (void)zmq_msg_close(&m);
            if (n == 0 && e == EAGAIN)
                return 0;
            return PROTO_EIO;
        }
        size_t len = zmq_msg_size(&m);
        if (n < ZAP_MAX_FRAMES) {
            if (len > ZAP_FRAME_MAX) {
                *truncated = 1;
                len = ZAP_FRAME_MAX;
            }
            memcpy(frames[n], zmq_msg_data(&m), len);
            lens[n] = len;
        }
        n++;
        int more = zmq_msg_more(&m);
        (void)zmq_msg_close(&m);
        if (!more)
            break;
    }
    return n;
}

static void frame_text(char *out, size_t out_len, const char *frame, size_t len)
{
    if (len >= out_len)
        len = out_len - 1;
    memcpy(out, frame, len);
    out[len] = '\0';
}

int syncd_zap_handle(syncd_zap_t *self, int64_t now_ms)
{
    int handled = 0;
    for (;;) {
        char frames[ZAP_MAX_FRAMES][ZAP_FRAME_MAX];
        size_t lens[ZAP_MAX_FRAMES] = {0};
        int truncated;
        int n = read_request(self->sock, frames, lens, &truncated);
        if (n < 0)
            return n;
        if (n == 0)
            return handled;
        handled++;
        if (n < 6) {
            /* A REP socket must answer every request; one this short
             * cannot come from libzmq, but answer it with a refusal. */
            if (reply(self->sock, n > 1 ? frames[1] : "", n > 1 ? lens[1] : 0,
                      "400", "malformed ZAP request", "") != 0)
                return PROTO_EIO;
            continue;
        }
        char domain[64], address[64], mechanism[32];
        frame_text(domain, sizeof domain, frames[2], lens[2]);
        frame_text(address, sizeof address, frames[3], lens[3]);
        frame_text(mechanism, sizeof mechanism, frames[5], lens[5]);
        char key[41] = "(none)";
        bool curve = strcmp(mechanism, "CURVE") == 0 && n >= 7 &&
                     lens[6] == 32 && !truncated;
        if (curve && !zmq_z85_encode(key, (const uint8_t *)frames[6], 32))
            curve = false;
        const char *status = "400";
        const char *text = "key not allowed";
        char user_id[PROTO_ID_MAX + 16] = "";
        const char *why = NULL;
        bool version_ok = lens[0] == 3 && memcmp(frames[0], "1.0", 3) == 0;
        if (!version_ok) {
            why = "unsupported ZAP version";
        } else if (!curve) {
            why = "not a CURVE connection";
        } else if (strcmp(domain, SYNCD_ZAP_DOMAIN_KIOSK) == 0) {
            const syncd_zap_kiosk_t *k = kiosk_by_key(self, key);
            if (!k) {
                why = "key is not enrolled (syncctl enrol KIOSK --site SITE "
                      "--key KEY)";
            } else if (k->revoked) {
                why = "kiosk is revoked";
                text = "kiosk revoked";
            } else {
                status = "200";
                text = "OK";
                snprintf(user_id, sizeof user_id, "%s", k->kiosk_id);
            }
        } else if (strcmp(domain, SYNCD_ZAP_DOMAIN_ADMIN) == 0) {
            const manager_t *m = manager_by_key(self, key);
            if (!m) {
                why = "key is not a manager key (add NAME.pub to the "
                      "managers directory and kill -HUP syncd)";
            } else {
                status = "200";
                text = "OK";
                snprintf(user_id, sizeof user_id, "%s%s", SYNCD_MANAGER_PREFIX,
                         m->name);
            }
        } else {
            why = "unknown ZAP domain";
        }
        if (why)
            log_refusal(self, domain, key, address, why, now_ms);
        else
            syncd_log(SYNCD_LOG_DEBUG,
                      "connection admitted domain=%s user=%s address=%s",
                      domain, user_id, address);
        if (reply(self->sock, frames[1], lens[1], status, text, user_id) != 0)
            return PROTO_EIO;
    }
}
