/*
 * test_sync.c — the kiosk sync thread against a small in-test syncd: a
 * ROUTER with CURVE and a ZAP handler that speaks the session protocol and
 * can misbehave on request (stay silent, drop a reply after storing, drop
 * a request, refuse to store, revoke). What a user relies on: every event
 * arrives exactly once, the screen learns online/offline/revoked through
 * the queue, and closing the app never hangs.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <zmq.h>

#include "kiosk/outbox.h"
#include "kiosk/sync.h"
#include "protocol/catalogue.h"
#include "protocol/keys.h"
#include "protocol/proto_zmq.h"

#define MAX_SEQ 4096

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* ---- The test server */

typedef struct {
    void *ctx;
    void *router;
    void *zap;
    char endpoint[128];
    proto_keypair_t keys;
    char allowed[PROTO_Z85_KEY_LEN + 1]; /* the one enrolled kiosk key */
    pthread_t thread, zap_thread;
    atomic_bool stop;

    /* misbehaviour, set by tests */
    atomic_int mute;          /* ignore every message */
    atomic_int drop_replies;  /* store the next N PUSHes, send no ACK */
    atomic_int drop_requests; /* ignore the next N PUSHes entirely */
    atomic_int estore;        /* answer the next N PUSHes ERROR ESTORE */
    atomic_int revoked;       /* answer everything ERROR EREVOKED */
    atomic_int estate;        /* answer the next N non-HELLOs ESTATE */
    /* protocol version in WELCOME: 0 = 1 (one request in flight); 2 =
     * PUSHes may be pipelined, and after a failed PUSH those starting
     * above it are refused ESTATE until HELLO (docs/PROTOCOL.md 6.3) */
    atomic_uint version;
    uint32_t heartbeat_ms;

    /* what happened, under mu */
    pthread_mutex_t mu;
    uint64_t acked;
    uint64_t push_floor;            /* version 2: first seq of a failed PUSH */
    uint32_t received[MAX_SEQ + 1]; /* PUSH receptions per seq */
    uint32_t stored[MAX_SEQ + 1];   /* stores per seq */
    uint32_t rejected;
    uint32_t hellos, pushes, pings, catalogue_reqs, feed_reqs;
    uint32_t estates, estate_pushes;
    uint64_t last_depth; /* outbox depth the kiosk last reported */
    uint32_t max_batch;
    uint32_t zap_requests, zap_denied;
    uint64_t catalogue_version;
    char *catalogue_yaml;
    proto_suggestion_t *suggestions;
    uint32_t n_suggestions; /* suggestion i has cursor position i + 1 */
    uint32_t feed_from_zero; /* FEED_REQs with cursor 0 */
    /* AGENDA_REQ: NULL answers as a server older than it (EUNKNOWNMSG) */
    proto_msg_t *agenda;
    uint32_t agenda_reqs;
} srv_t;

static void srv_lock(srv_t *s)
{
    pthread_mutex_lock(&s->mu);
}

static void srv_unlock(srv_t *s)
{
    pthread_mutex_unlock(&s->mu);
}

static void *zap_main(void *arg)
{
    srv_t *s = arg;
    while (!atomic_load(&s->stop)) {
        zmq_pollitem_t it = {s->zap, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        /* version, request id, domain, address, identity, mechanism,
         * credentials (the client's 32-byte public key) */
        zmq_msg_t f[8];
        int n = 0, more = 1;
        while (more && n < 8) {
            zmq_msg_init(&f[n]);
            if (zmq_msg_recv(&f[n], s->zap, 0) < 0)
                break;
            more = zmq_msg_more(&f[n]);
            n++;
        }
        char key[PROTO_Z85_KEY_LEN + 1] = "";
        if (n >= 7 && zmq_msg_size(&f[6]) == 32)
            zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
        bool ok = strcmp(key, s->allowed) == 0;
        srv_lock(s);
        s->zap_requests++;
        if (!ok)
            s->zap_denied++;
        srv_unlock(s);
        const char *status = ok ? "200" : "400";
        const char *text = ok ? "OK" : "unknown key";
        zmq_send(s->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(s->zap, n >= 2 ? zmq_msg_data(&f[1]) : "",
                 n >= 2 ? zmq_msg_size(&f[1]) : 0, ZMQ_SNDMORE);
        zmq_send(s->zap, status, 3, ZMQ_SNDMORE);
        zmq_send(s->zap, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(s->zap, ok ? "k01" : "", ok ? 3 : 0, ZMQ_SNDMORE);
        zmq_send(s->zap, "", 0, 0);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
    }
    return NULL;
}

static void srv_reply(srv_t *s, const zmq_msg_t *rid, const proto_msg_t *m)
{
    if (zmq_send(s->router, zmq_msg_data((zmq_msg_t *)rid),
                 zmq_msg_size((zmq_msg_t *)rid), ZMQ_SNDMORE) < 0)
        return;
    (void)proto_zmq_send(s->router, m, 0);
}

static void srv_error(srv_t *s, const zmq_msg_t *rid, int code,
                      const char *text)
{
    proto_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_MSG_ERROR;
    m.u.error.code = code;
    m.u.error.message = (char *)text;
    srv_reply(s, rid, &m);
}

static void srv_push(srv_t *s, const zmq_msg_t *rid, const proto_msg_t *in)
{
    srv_lock(s);
    s->pushes++;
    if (in->u.push.n_events > s->max_batch)
        s->max_batch = in->u.push.n_events;
    for (uint32_t i = 0; i < in->u.push.n_events; i++) {
        uint64_t seq = in->u.push.events[i].seq;
        if (seq <= MAX_SEQ)
            s->received[seq]++;
    }
    uint64_t first = in->u.push.n_events ? in->u.push.events[0].seq : 0;
    bool halted = s->push_floor != 0 && first > s->push_floor;
    if (halted)
        s->estate_pushes++;
    srv_unlock(s);
    if (halted) {
        srv_error(s, rid, PROTO_ESTATE, "an earlier PUSH failed");
        return;
    }
    if (atomic_load(&s->drop_requests) > 0) {
        atomic_fetch_sub(&s->drop_requests, 1);
        return;
    }
    if (atomic_load(&s->estore) > 0) {
        atomic_fetch_sub(&s->estore, 1);
        srv_lock(s);
        if (atomic_load(&s->version) >= 2 && first != 0)
            s->push_floor = first;
        srv_unlock(s);
        srv_error(s, rid, PROTO_ESTORE, "disk busy");
        return;
    }
    proto_msg_t ack;
    memset(&ack, 0, sizeof ack);
    ack.type = PROTO_MSG_ACK;
    proto_reject_t rej[PROTO_MAX_BATCH];
    srv_lock(s);
    for (uint32_t i = 0; i < in->u.push.n_events; i++) {
        const proto_event_t *ev = &in->u.push.events[i];
        if (ev->seq <= s->acked)
            continue; /* a resend: already stored */
        if (ev->seq <= MAX_SEQ)
            s->stored[ev->seq]++;
        s->acked = ev->seq;
        if (s->push_floor != 0 && ev->seq >= s->push_floor)
            s->push_floor = 0; /* the failed batch is stored now */
        if (strcmp(ev->staff_id, "nobody") == 0) {
            rej[ack.u.ack.n_rejects].seq = ev->seq;
            rej[ack.u.ack.n_rejects].code = PROTO_REJECT_UNKNOWN_STAFF;
            rej[ack.u.ack.n_rejects].reason =
                (char *)"staff \"nobody\" is not on the roster";
            ack.u.ack.n_rejects++;
            s->rejected++;
        }
    }
    ack.u.ack.acked_seq = s->acked;
    srv_unlock(s);
    ack.u.ack.rejects = ack.u.ack.n_rejects ? rej : NULL;
    if (atomic_load(&s->drop_replies) > 0) {
        atomic_fetch_sub(&s->drop_replies, 1);
        return;
    }
    srv_reply(s, rid, &ack);
}

static void srv_handle(srv_t *s, const zmq_msg_t *rid, const proto_msg_t *in)
{
    if (atomic_load(&s->revoked)) {
        if (in->type == PROTO_MSG_HELLO) {
            srv_lock(s);
            s->hellos++;
            srv_unlock(s);
        }
        srv_error(s, rid, PROTO_EREVOKED, "kiosk \"k01\" has been revoked");
        return;
    }
    if (in->type != PROTO_MSG_HELLO && atomic_load(&s->estate) > 0) {
        /* as after a server restart: no session for this peer */
        atomic_fetch_sub(&s->estate, 1);
        srv_lock(s);
        s->estates++;
        if (in->type == PROTO_MSG_PUSH)
            s->estate_pushes++;
        srv_unlock(s);
        srv_error(s, rid, PROTO_ESTATE, "say HELLO first");
        return;
    }
    proto_msg_t m;
    memset(&m, 0, sizeof m);
    switch (in->type) {
    case PROTO_MSG_HELLO:
        srv_lock(s);
        s->hellos++;
        s->last_depth = in->u.hello.outbox_depth;
        s->push_floor = 0;
        m.type = PROTO_MSG_WELCOME;
        m.u.welcome.version =
            atomic_load(&s->version) ? atomic_load(&s->version) : 1;
        m.u.welcome.acked_seq = s->acked;
        m.u.welcome.catalogue_version = s->catalogue_version;
        m.u.welcome.feed_cursor = s->n_suggestions;
        m.u.welcome.heartbeat_ms = s->heartbeat_ms;
        srv_unlock(s);
        /* the server's clock runs 10 s behind the kiosk's */
        m.u.welcome.server_time_ms = in->u.hello.kiosk_time_ms - 10000;
        srv_reply(s, rid, &m);
        return;
    case PROTO_MSG_PUSH:
        srv_push(s, rid, in);
        return;
    case PROTO_MSG_PING:
        srv_lock(s);
        s->pings++;
        s->last_depth = in->u.ping.outbox_depth;
        m.type = PROTO_MSG_PONG;
        m.u.pong.server_time_ms = in->u.ping.kiosk_time_ms - 10000;
        m.u.pong.acked_seq = s->acked;
        m.u.pong.catalogue_version = s->catalogue_version;
        m.u.pong.feed_cursor = s->n_suggestions;
        srv_unlock(s);
        srv_reply(s, rid, &m);
        return;
    case PROTO_MSG_CATALOGUE_REQ: {
        srv_lock(s);
        s->catalogue_reqs++;
        m.type = PROTO_MSG_CATALOGUE;
        m.u.catalogue.version = s->catalogue_version;
        char *yaml = s->catalogue_yaml ? strdup(s->catalogue_yaml) : NULL;
        srv_unlock(s);
        m.u.catalogue.unchanged =
            in->u.catalogue_req.have_version == m.u.catalogue.version;
        if (!m.u.catalogue.unchanged) {
            m.u.catalogue.yaml = yaml;
            m.u.catalogue.yaml_len = yaml ? strlen(yaml) : 0;
        }
        srv_reply(s, rid, &m);
        free(yaml);
        return;
    }
    case PROTO_MSG_FEED_REQ: {
        srv_lock(s);
        s->feed_reqs++;
        uint64_t from = in->u.feed_req.cursor;
        s->feed_from_zero += from == 0;
        uint32_t page = 2; /* small pages: the kiosk must follow `more` */
        m.type = PROTO_MSG_FEED;
        m.u.feed.suggestions =
            from < s->n_suggestions ? &s->suggestions[from] : NULL;
        m.u.feed.n_suggestions = from < s->n_suggestions
                                     ? (uint32_t)(s->n_suggestions - from < page
                                                      ? s->n_suggestions - from
                                                      : page)
                                     : 0;
        m.u.feed.cursor = from + m.u.feed.n_suggestions;
        m.u.feed.more = m.u.feed.cursor < s->n_suggestions;
        srv_reply(s, rid, &m);
        srv_unlock(s);
        return;
    }
    case PROTO_MSG_AGENDA_REQ:
        srv_lock(s);
        s->agenda_reqs++;
        if (s->agenda)
            srv_reply(s, rid, s->agenda);
        srv_unlock(s);
        if (!s->agenda)
            srv_error(s, rid, PROTO_EUNKNOWNMSG, "EUNKNOWNMSG at message.id");
        return;
    default:
        srv_error(s, rid, PROTO_ESTATE, "unexpected message");
        return;
    }
}

static void *srv_main(void *arg)
{
    srv_t *s = arg;
    while (!atomic_load(&s->stop)) {
        zmq_pollitem_t it = {s->router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&rid, s->router, 0) < 0 ||
            zmq_msg_recv(&body, s->router, 0) < 0) {
            zmq_msg_close(&rid);
            zmq_msg_close(&body);
            continue;
        }
        if (!atomic_load(&s->mute)) {
            proto_msg_t in;
            memset(&in, 0, sizeof in);
            int rc = proto_decode(zmq_msg_data(&body), zmq_msg_size(&body),
                                  PROTO_MAX_FRAME, &in, NULL);
            if (rc == 0)
                srv_handle(s, &rid, &in);
            else /* as syncd answers a frame it cannot decode */
                srv_error(s, &rid, rc, "the frame does not decode");
            proto_msg_clear(&in);
        }
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
    }
    return NULL;
}

static srv_t *srv_start(const char *allowed_key, uint32_t heartbeat_ms)
{
    srv_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    pthread_mutex_init(&s->mu, NULL);
    s->heartbeat_ms = heartbeat_ms;
    snprintf(s->allowed, sizeof s->allowed, "%s", allowed_key);
    assert_int_equal(proto_keys_generate(&s->keys), 0);
    s->ctx = zmq_ctx_new();
    assert_non_null(s->ctx);
    /* the ZAP handler must be bound before any CURVE server socket */
    s->zap = zmq_socket(s->ctx, ZMQ_REP);
    assert_non_null(s->zap);
    int zero = 0;
    zmq_setsockopt(s->zap, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_bind(s->zap, "inproc://zeromq.zap.01"), 0);
    s->router = zmq_socket(s->ctx, ZMQ_ROUTER);
    assert_non_null(s->router);
    zmq_setsockopt(s->router, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(proto_zmq_curve_server(s->router, &s->keys, "test"), 0);
    assert_int_equal(zmq_bind(s->router, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof s->endpoint;
    assert_int_equal(
        zmq_getsockopt(s->router, ZMQ_LAST_ENDPOINT, s->endpoint, &len), 0);
    atomic_init(&s->stop, false);
    assert_int_equal(pthread_create(&s->zap_thread, NULL, zap_main, s), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
    return s;
}

static void srv_stop(srv_t **sp)
{
    srv_t *s = *sp;
    if (!s)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    pthread_join(s->zap_thread, NULL);
    zmq_close(s->router);
    zmq_close(s->zap);
    zmq_ctx_term(s->ctx);
    for (uint32_t i = 0; i < s->n_suggestions; i++) {
        proto_free(s->suggestions[i].title);
        proto_free(s->suggestions[i].body);
        proto_free(s->suggestions[i].feedback);
    }
    free(s->suggestions);
    free(s->catalogue_yaml);
    pthread_mutex_destroy(&s->mu);
    free(s);
    *sp = NULL;
}

/* ---- Kiosk side helpers */

typedef struct {
    char dir[64];
    char path[128];
    proto_keypair_t keys;
    kiosk_outbox_t *ui; /* the UI thread's connection */
    srv_t *srv;
    kiosk_sync_t *sync;
    /* events seen through the queue, in order */
    kiosk_sync_event_t *seen;
    size_t n_seen, cap_seen;
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/stepwise-sync.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/outbox.db", fx->dir);
    if (proto_keys_generate(&fx->keys) != 0)
        return -1;
    char err[512];
    fx->ui = kiosk_outbox_open(fx->path, err, sizeof err);
    if (!fx->ui || kiosk_outbox_set_identity(fx->ui, "k01") != 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    kiosk_sync_destroy(&fx->sync);
    srv_stop(&fx->srv);
    kiosk_outbox_destroy(&fx->ui);
    free(fx->seen);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int rc = system(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* The feed-went-back warning, as a person reading the kiosk's log sees it. */
static atomic_bool feed_back_logged;

static void test_log(void *ctx, kiosk_log_level_t level, const char *line)
{
    (void)ctx;
    if (level == KIOSK_LOG_WARN &&
        strcmp(line, "kiosk k01: syncd's feed went back from 3 to 2 (server "
                     "restored?); fetching the whole feed again") == 0)
        atomic_store(&feed_back_logged, true);
    if (getenv("STEPWISE_TEST_VERBOSE"))
        fprintf(stderr, "[%d] %s\n", (int)level, line);
}

static void config(fx_t *fx, kiosk_sync_config_t *cfg, const char *endpoint)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->outbox_path = fx->path;
    cfg->endpoints[0] = endpoint;
    cfg->n_endpoints = 1;
    cfg->server_public_z85 =
        fx->srv ? fx->srv->keys.public_z85 : fx->keys.public_z85;
    cfg->keys = fx->keys;
    cfg->app_version = "test-1";
    cfg->heartbeat_ms = 300;
    cfg->reply_timeout_ms = 1000;
    cfg->backoff_min_ms = 50;
    cfg->backoff_max_ms = 400;
    cfg->batch_size = 100;
    cfg->log = test_log;
}

static void start_sync(fx_t *fx, const kiosk_sync_config_t *cfg)
{
    char err[512] = "";
    fx->sync = kiosk_sync_new(cfg, err, sizeof err);
    if (!fx->sync)
        fail_msg("kiosk_sync_new: %s", err);
}

static void capture(fx_t *fx, unsigned n, unsigned bad_every)
{
    for (unsigned i = 1; i <= n; i++) {
        proto_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.type = PROTO_EV_CHECKIN;
        snprintf(ev.staff_id, sizeof ev.staff_id, "%s",
                 bad_every && i % bad_every == 0 ? "nobody" : "s01");
        snprintf(ev.step_id, sizeof ev.step_id, "tm-call");
        ev.catalogue_version = 1;
        ev.n_measures = 1;
        snprintf(ev.measures[0].key, sizeof ev.measures[0].key, "calls");
        ev.measures[0].value = i % 50;
        if (kiosk_outbox_append(fx->ui, &ev, NULL) != 0)
            fail_msg("append: %s", kiosk_outbox_errmsg(fx->ui));
    }
}

/* Drains the queue into fx->seen until pred holds or timeout_ms passes. */
typedef bool (*pred_fn)(fx_t *fx, void *arg);

static void record(fx_t *fx, const kiosk_sync_event_t *ev)
{
    if (fx->n_seen == fx->cap_seen) {
        fx->cap_seen = fx->cap_seen ? fx->cap_seen * 2 : 64;
        fx->seen = realloc(fx->seen, fx->cap_seen * sizeof *ev);
        assert_non_null(fx->seen);
    }
    fx->seen[fx->n_seen++] = *ev;
}

static bool wait_for(fx_t *fx, pred_fn pred, void *arg, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        if (pred(fx, arg))
            return true;
        int64_t left = end - now_ms();
        if (left <= 0)
            return false;
        kiosk_sync_event_t ev;
        if (kiosk_sync_wait(fx->sync, &ev, left < 50 ? (int)left : 50))
            record(fx, &ev);
    }
}

static bool drained(fx_t *fx, void *arg)
{
    uint64_t want = *(uint64_t *)arg;
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    return st.link == KIOSK_LINK_ONLINE && st.waiting == 0 &&
           st.acked_seq == want;
}

static bool link_is(fx_t *fx, void *arg)
{
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    return st.link == *(kiosk_link_t *)arg;
}

static bool reported_empty(fx_t *fx, void *arg)
{
    (void)arg;
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    return st.reported_waiting == 0 && st.waiting == 0;
}

static bool server_stored(fx_t *fx, void *arg)
{
    uint64_t want = *(uint64_t *)arg;
    srv_lock(fx->srv);
    bool ok = fx->srv->acked == want;
    srv_unlock(fx->srv);
    return ok;
}

/* A STATUS event saying online, recorded at or after index *from. */
static bool online_reported(fx_t *fx, void *arg)
{
    for (size_t i = *(size_t *)arg; i < fx->n_seen; i++)
        if (fx->seen[i].type == KIOSK_SYNC_EV_STATUS &&
            fx->seen[i].status.link == KIOSK_LINK_ONLINE)
            return true;
    return false;
}

/* The events the REJECTED reports recorded so far name. */
static uint32_t rejected_total(fx_t *fx)
{
    uint32_t n = 0;
    for (size_t i = 0; i < fx->n_seen; i++)
        if (fx->seen[i].type == KIOSK_SYNC_EV_REJECTED)
            n += fx->seen[i].count;
    return n;
}

static bool rejected_reported(fx_t *fx, void *arg)
{
    return rejected_total(fx) >= *(uint32_t *)arg;
}

static bool seen_event(fx_t *fx, void *arg)
{
    kiosk_sync_event_type_t t = *(kiosk_sync_event_type_t *)arg;
    for (size_t i = 0; i < fx->n_seen; i++)
        if (fx->seen[i].type == t)
            return true;
    return false;
}

/* An OFFLINE status naming the missing reply, with 5 events waiting. */
static bool offline_reported(fx_t *fx, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < fx->n_seen; i++) {
        const kiosk_sync_event_t *e = &fx->seen[i];
        if (e->type == KIOSK_SYNC_EV_STATUS &&
            e->status.link == KIOSK_LINK_OFFLINE &&
            strstr(e->message, "no reply from syncd at") &&
            e->status.waiting == 5)
            return true;
    }
    return false;
}

/* Every seq 1..n stored exactly once and received `times` times. */
static void assert_exactly_once(srv_t *s, unsigned n, unsigned first_times,
                                unsigned first_upto)
{
    srv_lock(s);
    for (unsigned i = 1; i <= n; i++) {
        if (s->stored[i] != 1)
            fail_msg("seq %u stored %u times", i, s->stored[i]);
        unsigned want = i <= first_upto ? first_times : 1;
        if (s->received[i] != want)
            fail_msg("seq %u received %u times, want %u", i, s->received[i],
                     want);
    }
    for (unsigned i = n + 1; i <= MAX_SEQ; i++)
        if (s->stored[i] || s->received[i])
            fail_msg("seq %u was never captured but reached the server", i);
    srv_unlock(s);
}

/* ---- Tests */

static void test_backlog_exactly_once(void **state)
{
    fx_t *fx = *state;
    capture(fx, 1234, 100); /* every 100th names an unknown staff */
    fx->srv = srv_start(fx->keys.public_z85, 300);
    /* the server stores the first batch but its ACK is lost */
    atomic_store(&fx->srv->drop_replies, 1);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    start_sync(fx, &cfg);

    uint64_t want = 1234;
    assert_true(wait_for(fx, drained, &want, 30000));
    /* the lost ACK forced a new session; its WELCOME carried the mark,
     * so not one event crossed the wire twice */
    assert_exactly_once(fx->srv, 1234, 1, 0);
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->hellos, 2);
    assert_int_equal(fx->srv->pushes, 13); /* ceil(1234 / 100) */
    assert_int_equal(fx->srv->max_batch, 100);
    assert_int_equal(fx->srv->rejected, 12);
    srv_unlock(fx->srv);

    /* The rejection of seq 100 travelled in the lost ACK: WELCOME carries
     * only the cumulative mark, so the kiosk knows 11 of the 12 (the
     * server keeps all 12 in its dead-letter table). */
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    assert_int_equal(st.connects, 2);
    assert_int_equal(st.last_seq, 1234);
    assert_int_equal(st.rejected, 11);
    assert_true(st.last_sync_ms > 0);
    assert_true(st.skew_known);
    assert_true(st.skew_ms > 9000 && st.skew_ms < 11000);
    assert_string_equal(st.endpoint, fx->srv->endpoint);

    /* the sync thread queues its REJECTED reports as it applies each
     * ACK: the last may still wait in the queue once the outbox drained */
    uint32_t rejected_events = 11;
    assert_true(wait_for(fx, rejected_reported, &rejected_events, 5000));
    assert_int_equal(rejected_total(fx), 11);

    kiosk_rejected_t *list = NULL;
    size_t n = 0;
    assert_int_equal(kiosk_outbox_rejected(fx->ui, 100, &list, &n), 0);
    assert_int_equal(n, 11);
    assert_int_equal(list[0].seq, 1200);
    assert_int_equal(list[10].seq, 200);
    assert_int_equal(list[0].code, PROTO_REJECT_UNKNOWN_STAFF);
    assert_string_equal(list[0].reason,
                        "staff \"nobody\" is not on the roster");
    free(list);
    kiosk_outbox_stats_t os;
    assert_int_equal(kiosk_outbox_stats(fx->ui, &os), 0);
    assert_int_equal(os.acked_seq, 1234);
    assert_int_equal(os.depth, 0);
}

/* A protocol version 2 server: PUSHes go out two at a time (the second
 * before the first is answered), and each event still crosses once. */
static void test_pipelined_backlog_exactly_once(void **state)
{
    fx_t *fx = *state;
    capture(fx, 1234, 0);
    fx->srv = srv_start(fx->keys.public_z85, 300);
    atomic_store(&fx->srv->version, 2);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    start_sync(fx, &cfg);
    uint64_t want = 1234;
    assert_true(wait_for(fx, drained, &want, 30000));
    assert_exactly_once(fx->srv, 1234, 1, 0);
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->hellos, 1);
    assert_int_equal(fx->srv->pushes, 13);
    assert_int_equal(fx->srv->estate_pushes, 0);
    srv_unlock(fx->srv);
}

/* Two PUSHes in flight and the first fails: the server refuses the one
 * behind it (it would move the mark over the failed batch), the kiosk
 * starts a new session from the server's mark, and nothing is lost or
 * stored twice. */
static void test_pipelined_failure_loses_nothing(void **state)
{
    fx_t *fx = *state;
    capture(fx, 450, 0);
    fx->srv = srv_start(fx->keys.public_z85, 300);
    atomic_store(&fx->srv->version, 2);
    atomic_store(&fx->srv->estore, 1);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    start_sync(fx, &cfg);
    uint64_t want = 450;
    assert_true(wait_for(fx, drained, &want, 30000));
    srv_lock(fx->srv);
    /* the second PUSH was sent before the first was answered, so the
     * kiosk answered the failure with a new session (one-at-a-time would
     * have retried the batch in the same session) */
    assert_int_equal(fx->srv->hellos, 2);
    /* it reached the server before the kiosk hung up, was refused, and
     * went out again; or the hang-up discarded it: either way once */
    assert_true(fx->srv->estate_pushes <= 1);
    for (unsigned i = 1; i <= 450; i++) {
        unsigned want_rx = i <= 100   ? 2
                           : i <= 200 ? 1 + fx->srv->estate_pushes
                                      : 1;
        if (fx->srv->stored[i] != 1 || fx->srv->received[i] != want_rx)
            fail_msg("seq %u stored %u times, received %u (want 1, %u)", i,
                     fx->srv->stored[i], fx->srv->received[i], want_rx);
    }
    srv_unlock(fx->srv);
}

/* A stored event damaged behind its intact head: the joined PUSH goes
 * out (the join takes events as they are), syncd cannot decode it and
 * says so, and from then on the kiosk reads each event, which names the
 * damaged one on the kiosk itself; the events before it are sent. */
static bool outbox_error_names(fx_t *fx, void *arg)
{
    for (size_t i = 0; i < fx->n_seen; i++)
        if (fx->seen[i].type == KIOSK_SYNC_EV_ERROR &&
            strstr(fx->seen[i].message, (const char *)arg))
            return true;
    return false;
}

static void test_damaged_event_named(void **state)
{
    fx_t *fx = *state;
    capture(fx, 30, 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE events SET msg = substr(msg, 1, 14)"
                                  " WHERE seq = 12",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    fx->srv = srv_start(fx->keys.public_z85, 300);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    cfg.batch_size = 10;
    start_sync(fx, &cfg);
    char named[] = "stored event 12 cannot be read";
    assert_true(wait_for(fx, outbox_error_names, named, 10000));
    assert_true(wait_for(fx, server_stored, &(uint64_t){10}, 10000));
    srv_lock(fx->srv);
    for (uint64_t seq = 1; seq <= 30; seq++)
        assert_int_equal(fx->srv->stored[seq], seq <= 10 ? 1 : 0);
    srv_unlock(fx->srv);
}

static void test_lost_request_is_resent(void **state)
{
    fx_t *fx = *state;
    capture(fx, 250, 0);
    fx->srv = srv_start(fx->keys.public_z85, 300);
    /* the first PUSH never reaches the store, the first store fails */
    atomic_store(&fx->srv->drop_requests, 1);
    atomic_store(&fx->srv->estore, 1);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    start_sync(fx, &cfg);
    uint64_t want = 250;
    assert_true(wait_for(fx, drained, &want, 30000));
    /* seqs 1..100 went out three times (lost, refused, stored) and were
     * stored once */
    assert_exactly_once(fx->srv, 250, 3, 100);
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->hellos, 2);
    srv_unlock(fx->srv);
}

static void test_session_lost_says_hello_again(void **state)
{
    fx_t *fx = *state;
    capture(fx, 150, 0);
    fx->srv = srv_start(fx->keys.public_z85, 300);
    atomic_store(&fx->srv->estate, 1); /* the first PUSH finds no session */
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    start_sync(fx, &cfg);
    uint64_t want = 150;
    assert_true(wait_for(fx, drained, &want, 10000));
    /* the refused PUSH was offered again after the new HELLO */
    assert_exactly_once(fx->srv, 150, 1, 0);
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->estate_pushes, 1);
    assert_int_equal(fx->srv->estates, 1);
    assert_int_equal(fx->srv->hellos, 2);
    assert_int_equal(fx->srv->pushes, 2);
    srv_unlock(fx->srv);
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    assert_int_equal(st.connects, 2); /* on the same connection */
    assert_int_equal(st.link, KIOSK_LINK_ONLINE);
}

static void test_offline_then_online(void **state)
{
    fx_t *fx = *state;
    capture(fx, 5, 0);
    fx->srv = srv_start(fx->keys.public_z85, 5000);
    atomic_store(&fx->srv->mute, 1);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    cfg.heartbeat_ms = 5000; /* a kick must not wait for a heartbeat */
    start_sync(fx, &cfg);

    /* the first HELLO goes unanswered: offline, 5 waiting, and why */
    assert_true(wait_for(fx, offline_reported, NULL, 5000));
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    assert_int_equal(st.link, KIOSK_LINK_OFFLINE);
    assert_int_equal(st.waiting, 5);
    assert_int_equal(st.connects, 0);
    size_t before_online = fx->n_seen;

    /* the link comes back */
    atomic_store(&fx->srv->mute, 0);
    kiosk_link_t online = KIOSK_LINK_ONLINE;
    assert_true(wait_for(fx, link_is, &online, 5000));
    uint64_t want = 5;
    assert_true(wait_for(fx, drained, &want, 5000));
    /* and said so in a STATUS event (perhaps still queued) */
    assert_true(wait_for(fx, online_reported, &before_online, 5000));

    /* new captures go out at once when kicked */
    capture(fx, 3, 0);
    int64_t t0 = now_ms();
    kiosk_sync_kick(fx->sync);
    want = 8;
    assert_true(wait_for(fx, server_stored, &want, 3000));
    assert_true(now_ms() - t0 < 1000);
    want = 8;
    assert_true(wait_for(fx, drained, &want, 3000));
    assert_exactly_once(fx->srv, 8, 1, 0);

    /* the server hears of the empty queue at once, not at the next
     * heartbeat (5 s here): its fleet status shows no stale backlog */
    assert_true(wait_for(fx, reported_empty, NULL, 1000));
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->last_depth, 0);
    srv_unlock(fx->srv);
}

static void test_revoked_stops(void **state)
{
    fx_t *fx = *state;
    capture(fx, 3, 0);
    fx->srv = srv_start(fx->keys.public_z85, 300);
    atomic_store(&fx->srv->revoked, 1);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    start_sync(fx, &cfg);
    kiosk_link_t revoked = KIOSK_LINK_REVOKED;
    assert_true(wait_for(fx, link_is, &revoked, 5000));
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    assert_non_null(strstr(st.message, "revoked this kiosk"));
    assert_non_null(strstr(st.message, "ask a manager to enrol it again"));
    assert_int_equal(st.waiting, 3);

    /* no further attempts: well past several backoff periods */
    sleep_ms(1500);
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->hellos, 1);
    assert_int_equal(fx->srv->zap_requests, 1);
    assert_int_equal(fx->srv->pushes, 0);
    srv_unlock(fx->srv);
    kiosk_sync_status(fx->sync, &st);
    assert_int_equal(st.link, KIOSK_LINK_REVOKED);
    /* and the events stay on the kiosk */
    kiosk_outbox_stats_t os;
    assert_int_equal(kiosk_outbox_stats(fx->ui, &os), 0);
    assert_int_equal(os.depth, 3);
}

static void test_not_enrolled(void **state)
{
    fx_t *fx = *state;
    proto_keypair_t other;
    assert_int_equal(proto_keys_generate(&other), 0);
    fx->srv = srv_start(other.public_z85, 300); /* our key is unknown */
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    start_sync(fx, &cfg);
    kiosk_link_t ne = KIOSK_LINK_NOT_ENROLLED;
    assert_true(wait_for(fx, link_is, &ne, 5000));
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    assert_non_null(strstr(st.message, "refused this kiosk's key"));
    assert_non_null(strstr(st.message, fx->keys.public_z85));
    srv_lock(fx->srv);
    assert_true(fx->srv->zap_denied >= 1);
    assert_int_equal(fx->srv->hellos, 0);
    srv_unlock(fx->srv);
}

static void test_destroy_is_prompt(void **state)
{
    fx_t *fx = *state;
    capture(fx, 10, 0);
    /* a port nobody listens on */
    void *ctx = zmq_ctx_new();
    void *tmp = zmq_socket(ctx, ZMQ_ROUTER);
    assert_int_equal(zmq_bind(tmp, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t len = sizeof ep;
    assert_int_equal(zmq_getsockopt(tmp, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    zmq_close(tmp);
    zmq_ctx_term(ctx);

    kiosk_sync_config_t cfg;
    config(fx, &cfg, ep);
    cfg.reply_timeout_ms = 3000;
    cfg.backoff_min_ms = 250;
    cfg.backoff_max_ms = 30000;
    start_sync(fx, &cfg);
    sleep_ms(300); /* HELLO is waiting for an answer that never comes */
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    assert_int_equal(st.link, KIOSK_LINK_OFFLINE);
    int64_t t0 = now_ms();
    kiosk_sync_destroy(&fx->sync);
    assert_null(fx->sync);
    assert_true(now_ms() - t0 < 1000);

    /* and while a silent server holds a request in flight */
    fx->srv = srv_start(fx->keys.public_z85, 300);
    atomic_store(&fx->srv->mute, 1);
    config(fx, &cfg, fx->srv->endpoint);
    cfg.reply_timeout_ms = 3000;
    start_sync(fx, &cfg);
    sleep_ms(300);
    t0 = now_ms();
    kiosk_sync_destroy(&fx->sync);
    assert_true(now_ms() - t0 < 1000);
}

static void test_endpoint_failover(void **state)
{
    fx_t *fx = *state;
    capture(fx, 20, 0);
    fx->srv = srv_start(fx->keys.public_z85, 300);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, "tcp://127.0.0.1:1"); /* nothing there */
    cfg.endpoints[1] = fx->srv->endpoint;
    cfg.n_endpoints = 2;
    start_sync(fx, &cfg);
    uint64_t want = 20;
    assert_true(wait_for(fx, drained, &want, 10000));
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    assert_string_equal(st.endpoint, fx->srv->endpoint);
    assert_exactly_once(fx->srv, 20, 1, 0);
}

static void test_store_reset_renumbers(void **state)
{
    fx_t *fx = *state;
    capture(fx, 10, 0);
    fx->srv = srv_start(fx->keys.public_z85, 300);
    srv_lock(fx->srv);
    fx->srv->acked = 500; /* the server knows this kiosk up to 500 */
    srv_unlock(fx->srv);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    start_sync(fx, &cfg);
    uint64_t want = 510;
    assert_true(wait_for(fx, drained, &want, 10000));
    srv_lock(fx->srv);
    for (unsigned i = 1; i <= 500; i++)
        assert_int_equal(fx->srv->received[i], 0);
    for (unsigned i = 501; i <= 510; i++)
        assert_int_equal(fx->srv->stored[i], 1);
    srv_unlock(fx->srv);
    uint64_t seq = 0;
    proto_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = PROTO_EV_RATING;
    snprintf(ev.staff_id, sizeof ev.staff_id, "s01");
    ev.score = 5;
    assert_int_equal(kiosk_outbox_append(fx->ui, &ev, &seq), 0);
    assert_int_equal(seq, 511);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static void add_suggestion(srv_t *s, const char *id, const char *title,
                           uint32_t votes)
{
    s->suggestions = realloc(s->suggestions,
                             (s->n_suggestions + 1) * sizeof *s->suggestions);
    assert_non_null(s->suggestions);
    proto_suggestion_t *g = &s->suggestions[s->n_suggestions++];
    memset(g, 0, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", id);
    g->kind = PROTO_KIND_IDEA;
    snprintf(g->status, sizeof g->status, "new");
    g->title = proto_strdup(title);
    g->votes = votes;
    g->created_ms = g->updated_ms = 1000 + votes;
}

/* Three suggestions, k02:2 (7 votes) first on a board. */
static void add_three_suggestions(srv_t *s)
{
    add_suggestion(s, "k02:1", "名单去重", 3);
    add_suggestion(s, "k02:2", "直播提前预告", 7);
    add_suggestion(s, "k03:1", "新人带教清单", 1);
}

static void test_catalogue_and_feed(void **state)
{
    fx_t *fx = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/catalogue.yaml", STEPWISE_ASSETS);
    char *good = read_text(path);
    assert_non_null(good);
    char err[512];
    proto_catalogue_t *check =
        proto_catalogue_load_string(good, strlen(good), path, err, sizeof err);
    if (!check)
        fail_msg("sample catalogue does not load: %s", err);
    proto_catalogue_destroy(&check);

    fx->srv = srv_start(fx->keys.public_z85, 200);
    /* version 2 is broken: the kiosk must not cache it */
    fx->srv->catalogue_version = 2;
    fx->srv->catalogue_yaml = strdup("title: [unclosed\n");
    add_three_suggestions(fx->srv);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    cfg.heartbeat_ms = 200;
    start_sync(fx, &cfg);

    kiosk_sync_event_type_t bad = KIOSK_SYNC_EV_CATALOGUE_BAD;
    assert_true(wait_for(fx, seen_event, &bad, 5000));
    for (size_t i = 0; i < fx->n_seen; i++) {
        if (fx->seen[i].type != KIOSK_SYNC_EV_CATALOGUE_BAD)
            continue;
        assert_int_equal(fx->seen[i].version, 2);
        assert_non_null(strstr(fx->seen[i].message,
                               "catalogue version 2 from syncd does not "
                               "load"));
    }
    uint64_t v = 0;
    assert_int_equal(kiosk_outbox_catalogue_get(fx->ui, &v, NULL, NULL),
                     PROTO_ENOTFOUND);

    /* the feed arrives in pages of two; all three end up cached */
    bool feed_done = false;
    for (int i = 0; i < 100 && !feed_done; i++) {
        uint64_t cursor = 0;
        assert_int_equal(kiosk_outbox_feed_cursor(fx->ui, &cursor), 0);
        feed_done = cursor == 3;
        if (!feed_done)
            sleep_ms(50);
    }
    assert_true(feed_done);
    proto_suggestion_t *list = NULL;
    size_t n = 0;
    assert_int_equal(kiosk_outbox_suggestions(fx->ui, 10, &list, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].id, "k02:2");
    assert_string_equal(list[0].title, "直播提前预告");
    kiosk_outbox_suggestions_free(&list, n);

    /* a corrected version 3 is published: the next PONG brings it */
    srv_lock(fx->srv);
    free(fx->srv->catalogue_yaml);
    fx->srv->catalogue_yaml = good;
    fx->srv->catalogue_version = 3;
    srv_unlock(fx->srv);
    kiosk_sync_event_type_t ok = KIOSK_SYNC_EV_CATALOGUE;
    assert_true(wait_for(fx, seen_event, &ok, 5000));
    char *yaml = NULL;
    size_t len = 0;
    assert_int_equal(kiosk_outbox_catalogue_get(fx->ui, &v, &yaml, &len), 0);
    assert_int_equal(v, 3);
    srv_lock(fx->srv);
    assert_string_equal(yaml, fx->srv->catalogue_yaml);
    /* the broken version was asked for once, the good one once */
    assert_int_equal(fx->srv->catalogue_reqs, 2);
    srv_unlock(fx->srv);
    free(yaml);
    kiosk_sync_status_t st;
    kiosk_sync_status(fx->sync, &st);
    assert_int_equal(st.catalogue_version, 3);
}

static bool feed_cursor_is(fx_t *fx, void *arg)
{
    uint64_t cursor = 0;
    return kiosk_outbox_feed_cursor(fx->ui, &cursor) == 0 &&
           cursor == *(uint64_t *)arg;
}

/* syncd's store is restored from a backup: its feed head (2) is below
 * the kiosk's cursor (3). The kiosk asks for the whole feed again, so the
 * status the restored store holds replaces the one it had cached, and its
 * cursor follows the server's. */
static void test_feed_went_back(void **state)
{
    fx_t *fx = *state;
    fx->srv = srv_start(fx->keys.public_z85, 200);
    add_three_suggestions(fx->srv);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    cfg.heartbeat_ms = 100;
    start_sync(fx, &cfg);
    uint64_t want = 3;
    assert_true(wait_for(fx, feed_cursor_is, &want, 5000));
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->feed_from_zero, 1); /* the first fetch */
    /* the restored store: k03:1 is later than the backup, k02:2 was
     * accepted before it */
    fx->srv->n_suggestions = 2;
    proto_free(fx->srv->suggestions[2].title);
    fx->srv->suggestions[2].title = NULL;
    snprintf(fx->srv->suggestions[1].status,
             sizeof fx->srv->suggestions[1].status, "accepted");
    srv_unlock(fx->srv);

    want = 2;
    assert_true(wait_for(fx, feed_cursor_is, &want, 5000));
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->feed_from_zero, 2);
    srv_unlock(fx->srv);
    proto_suggestion_t *list = NULL;
    size_t n = 0;
    assert_int_equal(kiosk_outbox_suggestions(fx->ui, 10, &list, &n), 0);
    assert_int_equal(n, 3); /* k03:1 stays cached: upserts never delete */
    assert_string_equal(list[0].id, "k02:2");
    assert_string_equal(list[0].status, "accepted");
    kiosk_outbox_suggestions_free(&list, n);
    /* settled: later PONGs (head 2 = cursor 2) ask nothing more */
    sleep_ms(500);
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->feed_from_zero, 2);
    srv_unlock(fx->srv);
    assert_true(atomic_load(&feed_back_logged));
}

static bool agenda_answered(fx_t *fx, void *arg)
{
    size_t *from = arg;
    for (size_t i = *from; i < fx->n_seen; i++)
        if (fx->seen[i].type == KIOSK_SYNC_EV_AGENDA ||
            fx->seen[i].type == KIOSK_SYNC_EV_AGENDA_FAILED) {
            *from = i;
            return true;
        }
    return false;
}

/* Meeting mode asks for the agenda: an older server's EUNKNOWNMSG is
 * reported and the session goes on; a newer one's AGENDA is cached. */
static void test_agenda_old_and_new_server(void **state)
{
    fx_t *fx = *state;
    fx->srv = srv_start(fx->keys.public_z85, 200);
    kiosk_sync_config_t cfg;
    config(fx, &cfg, fx->srv->endpoint);
    start_sync(fx, &cfg);
    kiosk_link_t online = KIOSK_LINK_ONLINE;
    assert_true(wait_for(fx, link_is, &online, 5000));

    size_t at = fx->n_seen;
    kiosk_sync_request_agenda(fx->sync, "");
    assert_true(wait_for(fx, agenda_answered, &at, 5000));
    assert_int_equal(fx->seen[at].type, KIOSK_SYNC_EV_AGENDA_FAILED);
    assert_int_equal(fx->seen[at].count, 10); /* -PROTO_EUNKNOWNMSG */
    assert_non_null(strstr(fx->seen[at].message, "did not give the agenda: "
                                                 "EUNKNOWNMSG"));
    proto_msg_t none;
    int64_t fetched = 0;
    assert_int_equal(kiosk_outbox_agenda_get(fx->ui, &none, &fetched),
                     PROTO_ENOTFOUND);

    /* the server is upgraded in place (same session) */
    proto_msg_t *ag = calloc(1, sizeof *ag);
    assert_non_null(ag);
    ag->type = PROTO_MSG_AGENDA;
    snprintf(ag->u.agenda.site, sizeof ag->u.agenda.site, "futian");
    snprintf(ag->u.agenda.week, sizeof ag->u.agenda.week, "2026-W48");
    ag->u.agenda.generated_ms = 1795744800000;
    ag->u.agenda.roster = 5;
    ag->u.agenda.n_steps = 1;
    ag->u.agenda.steps = proto_malloc(sizeof *ag->u.agenda.steps);
    assert_non_null(ag->u.agenda.steps);
    memset(ag->u.agenda.steps, 0, sizeof *ag->u.agenda.steps);
    snprintf(ag->u.agenda.steps[0].step_id, PROTO_ID_MAX, "tm-call");
    ag->u.agenda.steps[0].value_x100 = 5500;
    srv_lock(fx->srv);
    fx->srv->agenda = ag;
    srv_unlock(fx->srv);
    int64_t before = now_ms();
    at++;
    kiosk_sync_request_agenda(fx->sync, "");
    assert_true(wait_for(fx, agenda_answered, &at, 5000));
    assert_int_equal(fx->seen[at].type, KIOSK_SYNC_EV_AGENDA);
    proto_msg_t got;
    assert_int_equal(kiosk_outbox_agenda_get(fx->ui, &got, &fetched), 0);
    assert_int_equal(got.type, PROTO_MSG_AGENDA);
    assert_string_equal(got.u.agenda.week, "2026-W48");
    assert_int_equal(got.u.agenda.roster, 5);
    assert_int_equal(got.u.agenda.n_steps, 1);
    assert_int_equal(got.u.agenda.steps[0].value_x100, 5500);
    assert_true(fetched >= before);
    proto_msg_clear(&got);
    srv_lock(fx->srv);
    assert_int_equal(fx->srv->agenda_reqs, 2);
    assert_int_equal(fx->srv->hellos, 1); /* one session throughout */
    srv_unlock(fx->srv);
    kiosk_sync_destroy(&fx->sync);
    srv_stop(&fx->srv);
    proto_msg_clear(ag);
    free(ag);
}

static void test_config_errors(void **state)
{
    fx_t *fx = *state;
    kiosk_sync_config_t cfg;
    char err[512];
    config(fx, &cfg, "tcp://127.0.0.1:1");
    cfg.n_endpoints = 0;
    assert_null(kiosk_sync_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "0 server endpoints configured"));

    config(fx, &cfg, "tcp://127.0.0.1:1");
    cfg.server_public_z85 = "not-a-key";
    assert_null(kiosk_sync_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "server public key"));

    config(fx, &cfg, "tcp://127.0.0.1:1");
    cfg.kiosk_id = "k99";
    assert_null(kiosk_sync_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "belongs to kiosk \"k01\", not \"k99\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backlog_exactly_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_backlog_exactly_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_failure_loses_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_event_named, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lost_request_is_resent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_session_lost_says_hello_again,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_then_online, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_revoked_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_enrolled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_is_prompt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_failover, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_reset_renumbers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_and_feed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_went_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agenda_old_and_new_server, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
