/*
 * sync.c — the kiosk's sync thread: the client side of the session in
 * docs/PROTOCOL.md, between the durable outbox and syncd.
 *
 * This file exists so that neither the screen nor the simulator ever
 * handles a socket. The thread owns a ZeroMQ context, one DEALER socket
 * (CURVE client) at a time with a monitor on it, and its own outbox
 * connection. It is woken by an eventfd (kick, stop) or by the socket, so
 * it idles without polling and stops within one wake-up.
 *
 * Exactly-once rests on two rules kept here: only one request is in flight
 * at a time (except PUSHes, below), and after any doubt (a reply missing
 * past the timeout) the socket is thrown away and the next session starts
 * with HELLO, whose WELCOME carries the server's cumulative acked mark; the
 * outbox is reconciled with that mark before anything is sent again. A
 * resend is therefore at worst a batch the server already has, which it
 * ignores.
 *
 * With a server of protocol version 2 or later, up to PUSH_WINDOW PUSHes
 * are in flight, each carrying the events after the previous one, so the
 * next batch is on its way while the server commits one (a backlog drains
 * at the server's pace, not the round trip's). Such a server refuses every
 * later PUSH of the session once one fails (docs/PROTOCOL.md 6.3), so a
 * failed batch can never be overtaken; on any ERROR with PUSHes behind it
 * the kiosk reconnects and starts again from WELCOME's mark.
 *
 * The UI side sees only a mutex-protected status snapshot and a bounded
 * queue of events.
 */
#include "kiosk/sync.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "kiosk/outbox.h"
#include "protocol/catalogue.h"
#include "protocol/proto_zmq.h"

#define QUEUE_CAP 256
#define DEF_HEARTBEAT_MS 5000
#define DEF_TIMEOUT_MS 3000
#define DEF_BACKOFF_MIN_MS 250
#define DEF_BACKOFF_MAX_MS 30000
/* The largest batch the protocol allows: a backlog drains in fewer round
 * trips, fsynced commits and outbox reads (docs/PERFORMANCE.md, backlog) */
#define DEF_BATCH PROTO_MAX_BATCH
#define DEF_FEED_PAGE 200
/* PUSHes in flight at most with a protocol version 2 server; two keep the
 * server busy while the kiosk reads, encodes and acknowledges */
#define PUSH_WINDOW 2
#define PRUNE_EVERY_MS (3600 * 1000)
/* The sync thread's outbox page cache: its figures after each ACK count
 * every kept event; with SQLite's 2 MB default a 10,000-event outbox was
 * re-read from the file at every ACK (docs/PERFORMANCE.md, backlog) */
#define OUTBOX_CACHE_KIB 8192
/* With PUSHes still in flight an ACK refreshes the figures (which count
 * the whole outbox) at most this often; the last ACK of a backlog always
 * does (docs/PERFORMANCE.md, backlog round 7) */
#define ACK_REFRESH_MS 250
/* The longest the thread sleeps in one poll: a safety net only, every
 * real wake-up comes from the eventfd or the socket. */
#define MAX_POLL_MS 1000
/* After the connection drops, how long to wait for the reason (a refused
 * key) before reporting the link down. */
#define LOST_GRACE_MS 100

#ifdef STEPWISE_VERSION
#define DEF_APP_VERSION STEPWISE_VERSION
#else
#define DEF_APP_VERSION "?"
#endif

typedef enum {
    S_DOWN,  /* no socket; reconnect at next_connect */
    S_HELLO, /* HELLO sent, waiting for WELCOME */
    S_READY, /* in session, nothing in flight */
    S_WAIT,  /* in session, one request (or 1..PUSH_WINDOW PUSHes) in flight */
    S_DEAD,  /* revoked: no more connections */
} sess_state_t;

typedef enum {
    REQ_NONE,
    REQ_PUSH,
    REQ_CATALOGUE,
    REQ_FEED,
    REQ_PING,
    REQ_AGENDA,
} req_t;

struct kiosk_sync {
    /* configuration, copied */
    kiosk_sync_config_t cfg;
    char *outbox_path;
    char *endpoints[KIOSK_SYNC_MAX_ENDPOINTS];
    size_t n_endpoints;
    char server_key[PROTO_Z85_KEY_LEN + 1];
    char app_version[PROTO_SHORT_MAX + 1];
    char kiosk_id[PROTO_ID_MAX + 1];

    kiosk_outbox_t *ob; /* the thread's own connection */
    pthread_t thread;
    bool started;
    int wake_fd;
    atomic_bool stop;

    /* shared with the UI thread, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    kiosk_sync_status_t status;
    kiosk_sync_event_t queue[QUEUE_CAP];
    size_t q_head, q_len;
    /* meeting mode asked for the agenda (kiosk_sync_request_agenda) */
    bool agenda_wanted;
    char agenda_week[PROTO_SHORT_MAX + 1];
};

/* The thread's private session state. */
typedef struct {
    kiosk_sync_t *k;
    void *ctx;
    void *sock;
    void *mon;
    unsigned serial; /* names monitor endpoints uniquely */
    sess_state_t state;
    req_t req;
    int64_t deadline;     /* mono ms: reply due */
    int64_t next_connect; /* mono ms */
    int64_t hold_until;   /* mono ms: no PUSH before */
    int64_t last_send;    /* mono ms */
    int64_t req_wall;     /* wall ms when HELLO/PING was sent */
    int64_t next_prune;   /* mono ms */
    int64_t lost_at;      /* mono ms: connection lost, act then; 0 = no */
    uint32_t backoff;     /* next reconnect delay */
    uint32_t retry;       /* next PUSH hold after a store error */
    uint32_t heartbeat;
    size_t ep;
    uint32_t version; /* protocol version of the session (WELCOME) */
    /* last seq of each PUSH in flight, oldest first; pushes of them */
    uint64_t push_ends[PUSH_WINDOW];
    uint32_t pushes;
    uint64_t srv_catalogue, srv_feed, bad_catalogue;
    bool need_catalogue, need_feed, check_pending;
    bool feed_from_start; /* syncd's feed went back: ask from cursor 0 */
    bool force_status;   /* queue the next STATUS even if nothing moved */
    /* syncd could not read a batch joined from the stored encodings: read
     * each event (which names a damaged one here) from then on */
    bool push_decoded;
    uint64_t depth_now;  /* outbox depth at the last refresh */
    int64_t ack_refresh_ms; /* mono: the figures were last read after an ACK */
    uint64_t depth_sent; /* depth carried by the HELLO/PING in flight */
    uint64_t depth_told; /* depth the server has acknowledged hearing */
    uint64_t rng;
} sess_t;

/* ---- Clocks, randomness */

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: enough to spread reconnects of a fleet apart */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

const char *kiosk_link_name(kiosk_link_t link)
{
    switch (link) {
    case KIOSK_LINK_OFFLINE:
        return "offline";
    case KIOSK_LINK_ONLINE:
        return "online";
    case KIOSK_LINK_NOT_ENROLLED:
        return "not-enrolled";
    case KIOSK_LINK_REVOKED:
        return "revoked";
    case KIOSK_LINK_INCOMPATIBLE:
        return "incompatible";
    }
    return "?";
}

/* ---- Logging */

static void logf_(kiosk_sync_t *k, kiosk_log_level_t level, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

static void logf_(kiosk_sync_t *k, kiosk_log_level_t level, const char *fmt,
                  ...)
{
    if (!k->cfg.log)
        return;
    char line[1024];
    int n = snprintf(line, sizeof line, "kiosk %s: ", k->kiosk_id);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    k->cfg.log(k->cfg.log_ctx, level, line);
}

/* ---- Status and the event queue (shared with the UI) */

/* Queues ev; the status snapshot is filled here. Caller holds mu. */
static void queue_locked(kiosk_sync_t *k, kiosk_sync_event_t *ev)
{
    ev->status = k->status;
    if (k->q_len == QUEUE_CAP) {
        /* full: the UI is not draining; keep the newest */
        k->q_head = (k->q_head + 1) % QUEUE_CAP;
        k->q_len--;
    }
    k->queue[(k->q_head + k->q_len) % QUEUE_CAP] = *ev;
    k->q_len++;
    pthread_cond_broadcast(&k->cond);
    if (k->cfg.wake)
        k->cfg.wake(k->cfg.wake_ctx);
}

static void emit(kiosk_sync_t *k, kiosk_sync_event_type_t type,
                 uint64_t version, uint32_t count, const char *message)
{
    kiosk_sync_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.version = version;
    ev.count = count;
    if (message)
        snprintf(ev.message, sizeof ev.message, "%s", message);
    pthread_mutex_lock(&k->mu);
    queue_locked(k, &ev);
    pthread_mutex_unlock(&k->mu);
}

/* Applies a change to the status and queues a STATUS event when something
 * the UI shows moved. link < 0 keeps the link; message NULL keeps it. */
static void publish(sess_t *s, int link, const kiosk_outbox_stats_t *st,
                    const char *message)
{
    kiosk_sync_t *k = s->k;
    pthread_mutex_lock(&k->mu);
    kiosk_sync_status_t before = k->status;
    kiosk_sync_status_t *now = &k->status;
    if (link >= 0)
        now->link = (kiosk_link_t)link;
    if (st) {
        now->waiting = st->depth;
        now->oldest_unsent_s = st->oldest_unsent_s;
        now->last_seq = st->last_seq;
        now->acked_seq = st->acked_seq;
        now->rejected = st->rejected;
        now->last_sync_ms = st->last_sync_ms;
        now->catalogue_version = st->catalogue_version;
        now->feed_cursor = st->feed_cursor;
    }
    if (message)
        snprintf(now->message, sizeof now->message, "%s", message);
    int64_t dskew = now->skew_ms - before.skew_ms;
    bool moved = now->link != before.link || now->waiting != before.waiting ||
                 now->rejected != before.rejected ||
                 now->last_sync_ms != before.last_sync_ms ||
                 now->skew_known != before.skew_known || dskew > 1000 ||
                 dskew < -1000 || strcmp(now->message, before.message) != 0;
    if (moved || s->force_status) {
        s->force_status = false;
        kiosk_sync_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.type = KIOSK_SYNC_EV_STATUS;
        snprintf(ev.message, sizeof ev.message, "%s", now->message);
        queue_locked(k, &ev);
    }
    pthread_mutex_unlock(&k->mu);
}

/* Reads the outbox figures and publishes them. */
static int refresh(sess_t *s, int link, const char *message)
{
    kiosk_outbox_stats_t st;
    int r = kiosk_outbox_stats(s->k->ob, &st);
    if (r < 0) {
        logf_(s->k, KIOSK_LOG_ERROR, "%s", kiosk_outbox_errmsg(s->k->ob));
        emit(s->k, KIOSK_SYNC_EV_ERROR, 0, 0, kiosk_outbox_errmsg(s->k->ob));
        publish(s, link, NULL, message);
        return r;
    }
    s->depth_now = st.depth;
    publish(s, link, &st, message);
    return 0;
}

static void set_skew(sess_t *s, int64_t server_time_ms)
{
    int64_t now = wall_ms();
    int64_t mid = s->req_wall + (now - s->req_wall) / 2;
    pthread_mutex_lock(&s->k->mu);
    s->k->status.skew_ms = mid - server_time_ms;
    s->k->status.skew_known = true;
    pthread_mutex_unlock(&s->k->mu);
}

static kiosk_link_t current_link(kiosk_sync_t *k)
{
    pthread_mutex_lock(&k->mu);
    kiosk_link_t l = k->status.link;
    pthread_mutex_unlock(&k->mu);
    return l;
}

/* ---- Socket life */

static void close_socket(sess_t *s)
{
    s->lost_at = 0;
    if (s->sock) {
        (void)zmq_socket_monitor(s->sock, NULL, 0);
        int zero = 0;
        (void)zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof zero);
        (void)zmq_close(s->sock);
        s->sock = NULL;
    }
    if (s->mon) {
        int zero = 0;
        (void)zmq_setsockopt(s->mon, ZMQ_LINGER, &zero, sizeof zero);
        (void)zmq_close(s->mon);
        s->mon = NULL;
    }
}

/* The link is down (or refused): drop the socket and schedule the next
 * attempt. link: what to show; longest: wait the longest backoff. */
static void link_down(sess_t *s, kiosk_link_t link, bool longest,
                      const char *why)
{
    kiosk_sync_t *k = s->k;
    close_socket(s);
    s->pushes = 0;
    if (s->req == REQ_AGENDA) { /* unanswered: ask the next session */
        pthread_mutex_lock(&k->mu);
        k->agenda_wanted = true;
        pthread_mutex_unlock(&k->mu);
    }
    s->state = S_DOWN;
    s->req = REQ_NONE;
    uint32_t max = k->cfg.backoff_max_ms;
    if (longest)
        s->backoff = max;
    /* a random delay in [backoff/2, backoff] keeps a fleet that lost
     * the server together from reconnecting in lockstep */
    uint32_t half = s->backoff / 2;
    uint32_t delay = half + (uint32_t)(rng_next(&s->rng) % (half + 1));
    s->next_connect = mono_ms() + delay;
    s->backoff = s->backoff >= max / 2 ? max : s->backoff * 2;
    if (k->n_endpoints > 1)
        s->ep = (s->ep + 1) % k->n_endpoints;
    logf_(k, KIOSK_LOG_WARN, "%s; next attempt in %u ms", why, delay);
    refresh(s, (int)link, why);
}

/* What a send returned: the link goes down on a failure. */
static int sent(sess_t *s, int r, int type)
{
    if (r < 0) {
        char why[KIOSK_SYNC_MESSAGE_MAX];
        snprintf(why, sizeof why, "could not send %s to %s: %s",
                 proto_msg_name(type), s->k->endpoints[s->ep],
                 r == PROTO_EIO ? zmq_strerror(errno) : proto_strerror(r));
        link_down(s, KIOSK_LINK_OFFLINE, false, why);
        return r;
    }
    s->last_send = mono_ms();
    return 0;
}

static int send_msg(sess_t *s, const proto_msg_t *m)
{
    return sent(s, proto_zmq_send(s->sock, m, ZMQ_DONTWAIT), m->type);
}

static int send_hello(sess_t *s)
{
    kiosk_sync_t *k = s->k;
    kiosk_outbox_stats_t st;
    if (kiosk_outbox_stats(k->ob, &st) < 0) {
        link_down(s, KIOSK_LINK_OFFLINE, false, kiosk_outbox_errmsg(k->ob));
        return -1;
    }
    proto_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_MSG_HELLO;
    m.u.hello.version = PROTO_VERSION;
    snprintf(m.u.hello.kiosk_id, sizeof m.u.hello.kiosk_id, "%s", k->kiosk_id);
    snprintf(m.u.hello.app_version, sizeof m.u.hello.app_version, "%s",
             k->app_version);
    m.u.hello.catalogue_version = st.catalogue_version;
    m.u.hello.last_seq = st.last_seq;
    m.u.hello.outbox_depth = st.depth;
    s->depth_sent = st.depth;
    m.u.hello.oldest_unsent_s = st.oldest_unsent_s;
    s->req_wall = wall_ms();
    m.u.hello.kiosk_time_ms = s->req_wall;
    m.u.hello.feed_cursor = st.feed_cursor;
    if (send_msg(s, &m) < 0)
        return -1;
    s->state = S_HELLO;
    s->req = REQ_NONE;
    s->pushes = 0;
    s->deadline = mono_ms() + k->cfg.reply_timeout_ms;
    return 0;
}

static void connect_now(sess_t *s)
{
    kiosk_sync_t *k = s->k;
    const char *ep = k->endpoints[s->ep];
    char why[KIOSK_SYNC_MESSAGE_MAX];
    char mon_ep[64];
    pthread_mutex_lock(&k->mu);
    snprintf(k->status.endpoint, sizeof k->status.endpoint, "%s", ep);
    pthread_mutex_unlock(&k->mu);

    s->sock = zmq_socket(s->ctx, ZMQ_DEALER);
    if (!s->sock)
        goto zfail;
    int zero = 0;
    int64_t maxmsg = PROTO_MAX_FRAME;
    if (zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0)
        goto zfail;
    if (proto_zmq_curve_client(s->sock, &k->cfg.keys, k->server_key) < 0)
        goto zfail;
    /* The monitor tells a refused key (ZAP said no) from a silent
     * network, so the screen can say "not enrolled" instead of
     * "offline". */
    snprintf(mon_ep, sizeof mon_ep, "inproc://kiosk-sync-mon-%u", ++s->serial);
    if (zmq_socket_monitor(s->sock, mon_ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_DISCONNECTED) != 0)
        goto zfail;
    s->mon = zmq_socket(s->ctx, ZMQ_PAIR);
    if (!s->mon)
        goto zfail;
    if (zmq_setsockopt(s->mon, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_connect(s->mon, mon_ep) != 0)
        goto zfail;
    if (zmq_connect(s->sock, ep) != 0) {
        snprintf(why, sizeof why,
                 "cannot connect to %s: %s; check the server endpoint in "
                 "the kiosk configuration",
                 ep, zmq_strerror(errno));
        link_down(s, KIOSK_LINK_OFFLINE, true, why);
        return;
    }
    logf_(k, KIOSK_LOG_DEBUG, "connecting to %s", ep);
    (void)send_hello(s);
    return;
zfail:
    snprintf(why, sizeof why, "cannot set up a socket for %s: %s", ep,
             zmq_strerror(errno));
    link_down(s, KIOSK_LINK_OFFLINE, false, why);
}

/* ---- Requests */

static void send_ping(sess_t *s)
{
    kiosk_outbox_stats_t st;
    if (kiosk_outbox_stats(s->k->ob, &st) < 0)
        memset(&st, 0, sizeof st);
    proto_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_MSG_PING;
    m.u.ping.last_seq = st.last_seq;
    m.u.ping.outbox_depth = st.depth;
    s->depth_sent = st.depth;
    m.u.ping.oldest_unsent_s = st.oldest_unsent_s;
    s->req_wall = wall_ms();
    m.u.ping.kiosk_time_ms = s->req_wall;
    if (send_msg(s, &m) < 0)
        return;
    s->state = S_WAIT;
    s->req = REQ_PING;
    s->deadline = mono_ms() + s->k->cfg.reply_timeout_ms;
}

/* The outbox could not be read: said, and held off for a while. */
static void outbox_trouble(sess_t *s)
{
    kiosk_sync_t *k = s->k;
    logf_(k, KIOSK_LOG_ERROR, "%s", kiosk_outbox_errmsg(k->ob));
    emit(k, KIOSK_SYNC_EV_ERROR, 0, 0, kiosk_outbox_errmsg(k->ob));
    s->hold_until = mono_ms() + k->cfg.backoff_max_ms;
}

/* A PUSH of n events, seqs first..last, has left. */
static int pushed(sess_t *s, uint32_t n, uint64_t first, uint64_t last)
{
    logf_(s->k, KIOSK_LOG_DEBUG,
          "pushed %u events (seq %" PRIu64 "..%" PRIu64 ")", n, first, last);
    s->push_ends[s->pushes++] = last;
    if (s->pushes == 1) /* the oldest reply is the one due */
        s->deadline = mono_ms() + s->k->cfg.reply_timeout_ms;
    s->state = S_WAIT;
    s->req = REQ_PUSH;
    return 1;
}

static int nothing_to_push(sess_t *s)
{
    if (s->pushes == 0)
        s->check_pending = false;
    return 0;
}

/* send_push for an outbox whose stored events cannot be joined as they
 * are: each one read and encoded again (and a damaged one named). */
static int send_push_decoded(sess_t *s, uint64_t after)
{
    kiosk_sync_t *k = s->k;
    proto_msg_t m;
    int r = kiosk_outbox_pending(k->ob, after, k->cfg.batch_size, &m);
    if (r < 0) {
        outbox_trouble(s);
        return 0;
    }
    uint32_t n = m.u.push.n_events;
    if (n == 0) {
        proto_msg_clear(&m);
        return nothing_to_push(s);
    }
    uint64_t first = m.u.push.events[0].seq;
    uint64_t last = m.u.push.events[n - 1].seq;
    r = send_msg(s, &m);
    proto_msg_clear(&m);
    return r < 0 ? -1 : pushed(s, n, first, last);
}

/* Sends the next batch (the events after those of the PUSHes in flight)
 * as its stored encodings joined into one frame, without decoding them
 * (docs/PERFORMANCE.md, backlog round 7); returns 1 when sent, 0 when
 * nothing waits. */
static int send_push(sess_t *s)
{
    kiosk_sync_t *k = s->k;
    uint64_t after = s->pushes ? s->push_ends[s->pushes - 1] : 0;
    uint64_t first, last;
    uint8_t *frame;
    size_t len;
    uint32_t n;
    if (s->push_decoded)
        return send_push_decoded(s, after);
    int r = kiosk_outbox_pending_frame(k->ob, after, k->cfg.batch_size, &frame,
                                       &len, &n, &first, &last);
    if (r == PROTO_EINVAL)
        return send_push_decoded(s, after);
    if (r < 0) {
        outbox_trouble(s);
        return 0;
    }
    if (n == 0)
        return nothing_to_push(s);
    r = sent(s, proto_zmq_send_frame(s->sock, frame, len, ZMQ_DONTWAIT),
             PROTO_MSG_PUSH);
    proto_free(frame);
    return r < 0 ? -1 : pushed(s, n, first, last);
}

/* With PUSHes in flight: sends more while the window allows (protocol
 * version 2 servers only; see the file-top comment). */
static void top_up_pushes(sess_t *s)
{
    uint32_t window = s->version >= 2 ? PUSH_WINDOW : 1;
    while (s->state == S_WAIT && s->req == REQ_PUSH && s->pushes > 0 &&
           s->pushes < window && s->check_pending && !s->need_catalogue &&
           mono_ms() >= s->hold_until) {
        if (send_push(s) <= 0)
            return;
    }
}

static void send_catalogue_req(sess_t *s)
{
    kiosk_outbox_stats_t st;
    if (kiosk_outbox_stats(s->k->ob, &st) < 0)
        memset(&st, 0, sizeof st);
    proto_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_MSG_CATALOGUE_REQ;
    m.u.catalogue_req.have_version = st.catalogue_version;
    if (send_msg(s, &m) < 0)
        return;
    s->need_catalogue = false;
    s->state = S_WAIT;
    s->req = REQ_CATALOGUE;
    s->deadline = mono_ms() + s->k->cfg.reply_timeout_ms;
}

static void send_feed_req(sess_t *s)
{
    uint64_t cursor = 0;
    if (s->feed_from_start || kiosk_outbox_feed_cursor(s->k->ob, &cursor) < 0)
        cursor = 0;
    proto_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_MSG_FEED_REQ;
    m.u.feed_req.cursor = cursor;
    m.u.feed_req.max_items = s->k->cfg.feed_page;
    if (send_msg(s, &m) < 0)
        return;
    s->need_feed = false;
    s->feed_from_start = false;
    s->state = S_WAIT;
    s->req = REQ_FEED;
    s->deadline = mono_ms() + s->k->cfg.reply_timeout_ms;
}

/* Meeting mode is waiting for the agenda: ask once the session is up. */
static bool send_agenda_req(sess_t *s)
{
    kiosk_sync_t *k = s->k;
    proto_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_MSG_AGENDA_REQ;
    pthread_mutex_lock(&k->mu);
    bool wanted = k->agenda_wanted;
    snprintf(m.u.agenda_req.week, sizeof m.u.agenda_req.week, "%s",
             k->agenda_week);
    pthread_mutex_unlock(&k->mu);
    if (!wanted)
        return false;
    if (send_msg(s, &m) < 0)
        return true; /* the link went down; asked again in the next session */
    pthread_mutex_lock(&k->mu);
    k->agenda_wanted = false;
    pthread_mutex_unlock(&k->mu);
    s->state = S_WAIT;
    s->req = REQ_AGENDA;
    s->deadline = mono_ms() + k->cfg.reply_timeout_ms;
    return true;
}

/* In session with nothing in flight: send what is most needed. */
static void next_request(sess_t *s)
{
    int64_t now = mono_ms();
    if (s->need_catalogue) {
        send_catalogue_req(s);
        return;
    }
    if (s->check_pending && now >= s->hold_until) {
        int r = send_push(s);
        if (r > 0)
            top_up_pushes(s);
        if (r != 0)
            return; /* sent, or the link went down */
    }
    if (s->need_feed) {
        send_feed_req(s);
        return;
    }
    /* after the backlog: the numbers then include this kiosk's events */
    if (send_agenda_req(s))
        return;
    /* The queue just emptied: tell the server now, so the fleet status
     * stops showing a backlog that is gone, rather than at the next
     * heartbeat. */
    if (now - s->last_send >= (int64_t)s->heartbeat ||
        (s->depth_now == 0 && s->depth_told != 0))
        send_ping(s);
}

/* The server acknowledged the lag figures of the last HELLO/PING. */
static void told(sess_t *s)
{
    s->depth_told = s->depth_sent;
    pthread_mutex_lock(&s->k->mu);
    s->k->status.reported_waiting = s->depth_sent;
    pthread_mutex_unlock(&s->k->mu);
}

/* Notes the server's catalogue and feed positions. */
static void note_server(sess_t *s, uint64_t catalogue_version,
                        uint64_t feed_cursor)
{
    kiosk_outbox_stats_t st;
    if (kiosk_outbox_stats(s->k->ob, &st) < 0)
        return;
    s->srv_catalogue = catalogue_version;
    s->srv_feed = feed_cursor;
    s->need_catalogue = catalogue_version > st.catalogue_version &&
                        catalogue_version != s->bad_catalogue;
    if (feed_cursor > st.feed_cursor)
        s->need_feed = true;
    if (feed_cursor < st.feed_cursor && !s->feed_from_start) {
        /* Its store was restored from a backup or replaced: the changes
         * after `feed_cursor` it now numbers are not the ones this kiosk
         * saw, so asking from our cursor would skip them. Suggestions and
         * standings are upserted by id, so the whole feed again is safe. */
        logf_(s->k, KIOSK_LOG_WARN,
              "syncd's feed went back from %" PRIu64 " to %" PRIu64
              " (server restored?); fetching the whole feed again",
              st.feed_cursor, feed_cursor);
        s->feed_from_start = true;
        s->need_feed = true;
    }
}

/* ---- Replies */

static void on_error(sess_t *s, const proto_msg_t *m)
{
    kiosk_sync_t *k = s->k;
    const char *text = m->u.error.message ? m->u.error.message : "";
    const char *ep = k->endpoints[s->ep];
    char why[KIOSK_SYNC_MESSAGE_MAX];
    int code = m->u.error.code;
    if (s->req == REQ_PUSH && code <= PROTO_ETOOBIG && code >= PROTO_EDUPKEY)
        s->push_decoded = true; /* syncd could not decode the batch */
    if (s->state == S_WAIT && s->req == REQ_PUSH && s->pushes > 1 &&
        code != PROTO_EREVOKED && code != PROTO_EDENIED &&
        code != PROTO_EVERSION) {
        /* Replies to the PUSHes behind it would follow (the server refuses
         * them): start a new session from the server's mark instead. */
        snprintf(why, sizeof why,
                 "syncd at %s refused a batch (%s: %s); reconnecting to "
                 "send again from its acknowledged mark",
                 ep, proto_errname(code), text);
        link_down(s, KIOSK_LINK_OFFLINE, false, why);
        return;
    }
    if (s->req == REQ_PUSH)
        s->pushes = 0;
    if (s->state == S_WAIT && s->req == REQ_AGENDA && code != PROTO_EREVOKED &&
        code != PROTO_EDENIED && code != PROTO_EVERSION &&
        code != PROTO_ESTATE) {
        /* The agenda alone was refused (an older syncd does not know
         * AGENDA_REQ: EUNKNOWNMSG); the session itself is fine. */
        snprintf(why, sizeof why,
                 "syncd at %s did not give the agenda: %s (%s)", ep,
                 proto_errname(code), text);
        logf_(k, KIOSK_LOG_WARN, "%s", why);
        s->state = S_READY;
        s->req = REQ_NONE;
        emit(k, KIOSK_SYNC_EV_AGENDA_FAILED, 0, (uint32_t)-code, why);
        return;
    }
    if (code == PROTO_ESTATE && s->req == REQ_AGENDA) {
        /* the session was lost: ask again after the new HELLO */
        pthread_mutex_lock(&k->mu);
        k->agenda_wanted = true;
        pthread_mutex_unlock(&k->mu);
    }
    switch (m->u.error.code) {
    case PROTO_EREVOKED:
        snprintf(why, sizeof why,
                 "syncd at %s revoked this kiosk (%s); ask a manager to "
                 "enrol it again",
                 ep, text);
        close_socket(s);
        s->state = S_DEAD;
        logf_(k, KIOSK_LOG_ERROR, "%s; no longer syncing", why);
        refresh(s, KIOSK_LINK_REVOKED, why);
        return;
    case PROTO_EDENIED:
        snprintf(why, sizeof why,
                 "syncd at %s does not know this kiosk's key (%s); ask a "
                 "manager to enrol kiosk %s",
                 ep, text, k->kiosk_id);
        link_down(s, KIOSK_LINK_NOT_ENROLLED, true, why);
        return;
    case PROTO_EVERSION:
        snprintf(why, sizeof why,
                 "syncd at %s speaks no protocol version this kiosk knows "
                 "(%s); update the kiosk app or the server",
                 ep, text);
        link_down(s, KIOSK_LINK_INCOMPATIBLE, true, why);
        return;
    case PROTO_ESTATE:
        if (s->state == S_HELLO) {
            /* refusing HELLO itself: do not loop, back off */
            snprintf(why, sizeof why,
                     "syncd at %s refused HELLO as out of place (%s)", ep,
                     text);
            link_down(s, KIOSK_LINK_OFFLINE, false, why);
            return;
        }
        /* the server lost our session (restart, idle expiry) */
        logf_(k, KIOSK_LOG_INFO, "syncd asks for a new HELLO (%s)", text);
        (void)send_hello(s);
        return;
    case PROTO_ESTORE: {
        snprintf(why, sizeof why,
                 "syncd at %s could not store our batch (%s); retrying in "
                 "%u ms",
                 ep, text, s->retry);
        logf_(k, KIOSK_LOG_WARN, "%s", why);
        s->hold_until = mono_ms() + s->retry;
        s->retry = s->retry >= k->cfg.backoff_max_ms / 2 ? k->cfg.backoff_max_ms
                                                         : s->retry * 2;
        s->state = S_READY;
        s->req = REQ_NONE;
        refresh(s, -1, why);
        return;
    }
    default:
        snprintf(why, sizeof why, "syncd at %s answered %s with %s: %s", ep,
                 s->state == S_HELLO ? "HELLO" : "a request",
                 proto_errname(m->u.error.code), text);
        link_down(s, KIOSK_LINK_OFFLINE, false, why);
        return;
    }
}

static void on_welcome(sess_t *s, const proto_msg_t *m)
{
    kiosk_sync_t *k = s->k;
    char why[KIOSK_SYNC_MESSAGE_MAX];
    if (m->u.welcome.version < PROTO_VERSION_MIN ||
        m->u.welcome.version > PROTO_VERSION) {
        snprintf(why, sizeof why,
                 "syncd at %s chose protocol version %u, this kiosk speaks "
                 "%d..%d; update the kiosk app",
                 k->endpoints[s->ep], m->u.welcome.version, PROTO_VERSION_MIN,
                 PROTO_VERSION);
        link_down(s, KIOSK_LINK_INCOMPATIBLE, true, why);
        return;
    }
    kiosk_outbox_reconcile_t rec;
    if (kiosk_outbox_reconcile(k->ob, m->u.welcome.acked_seq, &rec) < 0) {
        const char *e = kiosk_outbox_errmsg(k->ob);
        emit(k, KIOSK_SYNC_EV_ERROR, 0, 0, e);
        link_down(s, KIOSK_LINK_OFFLINE, false, e);
        return;
    }
    if (rec.renumbered)
        logf_(k, KIOSK_LOG_WARN,
              "syncd already holds seq up to %" PRIu64
              " from an earlier store of this kiosk; renumbered %" PRIu64
              " unsent events above it",
              m->u.welcome.acked_seq, rec.renumbered);
    if (rec.resent)
        logf_(k, KIOSK_LOG_WARN,
              "syncd's acked mark went back to %" PRIu64
              " (server restored?); sending %" PRIu64 " kept events again",
              m->u.welcome.acked_seq, rec.resent);
    set_skew(s, m->u.welcome.server_time_ms);
    told(s);
    s->version = m->u.welcome.version;
    s->pushes = 0;
    s->heartbeat = k->cfg.heartbeat_ms;
    if (m->u.welcome.heartbeat_ms > 0 &&
        m->u.welcome.heartbeat_ms < s->heartbeat)
        s->heartbeat = m->u.welcome.heartbeat_ms;
    s->state = S_READY;
    s->req = REQ_NONE;
    s->backoff = k->cfg.backoff_min_ms;
    s->retry = k->cfg.backoff_min_ms;
    s->hold_until = 0;
    s->check_pending = true;
    s->bad_catalogue = 0;
    note_server(s, m->u.welcome.catalogue_version, m->u.welcome.feed_cursor);
    pthread_mutex_lock(&k->mu);
    k->status.connects++;
    pthread_mutex_unlock(&k->mu);
    logf_(k, KIOSK_LOG_INFO,
          "online with %s (acked %" PRIu64 ", catalogue %" PRIu64
          ", feed %" PRIu64 ")",
          k->endpoints[s->ep], m->u.welcome.acked_seq,
          m->u.welcome.catalogue_version, m->u.welcome.feed_cursor);
    refresh(s, KIOSK_LINK_ONLINE, "");
}

static void on_ack(sess_t *s, const proto_msg_t *m)
{
    kiosk_sync_t *k = s->k;
    uint64_t newly = 0;
    /* ACKs come in the order of the PUSHes: this one answers the oldest */
    uint64_t batch_end = s->push_ends[0];
    if (s->pushes > 0) {
        s->pushes--;
        memmove(s->push_ends, s->push_ends + 1,
                s->pushes * sizeof s->push_ends[0]);
    }
    if (s->pushes > 0) {
        s->deadline = mono_ms() + k->cfg.reply_timeout_ms;
    } else {
        s->state = S_READY;
        s->req = REQ_NONE;
    }
    /* The next batch leaves before this ACK is written down: the server
     * then never waits on this thread's commit. It starts after the last
     * batch sent, whatever the outbox has marked acknowledged yet. */
    bool advanced = m->u.ack.acked_seq >= batch_end;
    if (advanced) {
        s->check_pending = true;
        top_up_pushes(s);
    }
    if (kiosk_outbox_ack(k->ob, m->u.ack.acked_seq, m->u.ack.rejects,
                         m->u.ack.n_rejects, &newly) < 0) {
        /* The server has the events; they will be resent and ignored. */
        const char *e = kiosk_outbox_errmsg(k->ob);
        logf_(k, KIOSK_LOG_ERROR, "%s", e);
        emit(k, KIOSK_SYNC_EV_ERROR, 0, 0, e);
        s->hold_until = mono_ms() + k->cfg.backoff_max_ms;
        return;
    }
    for (uint32_t i = 0; i < m->u.ack.n_rejects; i++) {
        const proto_reject_t *rj = &m->u.ack.rejects[i];
        logf_(k, KIOSK_LOG_WARN, "event %" PRIu64 " rejected (%s): %s", rj->seq,
              proto_reject_name(rj->code), rj->reason ? rj->reason : "");
    }
    if (m->u.ack.n_rejects)
        emit(k, KIOSK_SYNC_EV_REJECTED, 0, m->u.ack.n_rejects, NULL);
    if (m->u.ack.acked_seq < batch_end && newly == 0) {
        /* No progress: do not spin resending the same batch. */
        char why[KIOSK_SYNC_MESSAGE_MAX];
        snprintf(why, sizeof why,
                 "syncd acked up to %" PRIu64 " of a batch ending at %" PRIu64
                 "; retrying in %u ms",
                 m->u.ack.acked_seq, batch_end, s->retry);
        logf_(k, KIOSK_LOG_WARN, "%s", why);
        s->hold_until = mono_ms() + s->retry;
        s->retry = s->retry >= k->cfg.backoff_max_ms / 2 ? k->cfg.backoff_max_ms
                                                         : s->retry * 2;
    } else {
        s->retry = k->cfg.backoff_min_ms;
    }
    s->check_pending = true;
    if (!advanced)
        top_up_pushes(s);
    if (s->state == S_DOWN) /* link_down has published its own figures */
        return;
    int64_t now = mono_ms();
    if (s->pushes == 0 || now - s->ack_refresh_ms >= ACK_REFRESH_MS) {
        s->ack_refresh_ms = now;
        refresh(s, -1, "");
    }
}

static void on_catalogue(sess_t *s, const proto_msg_t *m)
{
    kiosk_sync_t *k = s->k;
    s->state = S_READY;
    s->req = REQ_NONE;
    if (m->u.catalogue.unchanged || !m->u.catalogue.yaml)
        return;
    uint64_t version = m->u.catalogue.version;
    char name[64];
    char err[KIOSK_SYNC_MESSAGE_MAX / 2];
    snprintf(name, sizeof name, "catalogue v%" PRIu64, version);
    proto_catalogue_t *cat = proto_catalogue_load_string(
        m->u.catalogue.yaml, m->u.catalogue.yaml_len, name, err, sizeof err);
    if (!cat) {
        char why[KIOSK_SYNC_MESSAGE_MAX];
        snprintf(why, sizeof why,
                 "catalogue version %" PRIu64
                 " from syncd does not load (%s); kept the cached one; ask "
                 "a manager to publish a corrected catalogue",
                 version, err);
        s->bad_catalogue = version;
        logf_(k, KIOSK_LOG_ERROR, "%s", why);
        emit(k, KIOSK_SYNC_EV_CATALOGUE_BAD, version, 0, why);
        return;
    }
    proto_catalogue_destroy(&cat);
    if (kiosk_outbox_catalogue_put(k->ob, version, m->u.catalogue.yaml,
                                   m->u.catalogue.yaml_len) < 0) {
        const char *e = kiosk_outbox_errmsg(k->ob);
        logf_(k, KIOSK_LOG_ERROR, "%s", e);
        emit(k, KIOSK_SYNC_EV_ERROR, 0, 0, e);
        return;
    }
    logf_(k, KIOSK_LOG_INFO, "catalogue version %" PRIu64 " cached", version);
    refresh(s, -1, NULL);
    emit(k, KIOSK_SYNC_EV_CATALOGUE, version, 0, NULL);
}

static void on_feed(sess_t *s, const proto_msg_t *m)
{
    kiosk_sync_t *k = s->k;
    s->state = S_READY;
    s->req = REQ_NONE;
    if (kiosk_outbox_feed_apply(k->ob, m) < 0) {
        const char *e = kiosk_outbox_errmsg(k->ob);
        logf_(k, KIOSK_LOG_ERROR, "%s", e);
        emit(k, KIOSK_SYNC_EV_ERROR, 0, 0, e);
        return;
    }
    s->need_feed = m->u.feed.more;
    uint32_t n = m->u.feed.n_suggestions + m->u.feed.n_standings;
    refresh(s, -1, NULL);
    if (n > 0)
        emit(k, KIOSK_SYNC_EV_FEED, m->u.feed.cursor, n, NULL);
}

static void on_agenda(sess_t *s, const proto_msg_t *m)
{
    kiosk_sync_t *k = s->k;
    s->state = S_READY;
    s->req = REQ_NONE;
    if (kiosk_outbox_agenda_put(k->ob, m, wall_ms()) < 0) {
        const char *e = kiosk_outbox_errmsg(k->ob);
        logf_(k, KIOSK_LOG_ERROR, "%s", e);
        emit(k, KIOSK_SYNC_EV_AGENDA_FAILED, 0, (uint32_t)-PROTO_EIO, e);
        return;
    }
    logf_(k, KIOSK_LOG_INFO, "agenda of %s week %s fetched (%u steps)",
          m->u.agenda.site, m->u.agenda.week, m->u.agenda.n_steps);
    emit(k, KIOSK_SYNC_EV_AGENDA, 0, m->u.agenda.n_steps, NULL);
}

static void on_pong(sess_t *s, const proto_msg_t *m)
{
    s->state = S_READY;
    s->req = REQ_NONE;
    set_skew(s, m->u.pong.server_time_ms);
    told(s);
    s->check_pending = true;
    note_server(s, m->u.pong.catalogue_version, m->u.pong.feed_cursor);
    refresh(s, -1, NULL);
}

static void on_message(sess_t *s, const proto_msg_t *m)
{
    if (m->type == PROTO_MSG_ERROR) {
        on_error(s, m);
        return;
    }
    bool ok = false;
    if (s->state == S_HELLO && m->type == PROTO_MSG_WELCOME) {
        on_welcome(s, m);
        ok = true;
    } else if (s->state == S_WAIT) {
        ok = true;
        if (s->req == REQ_PUSH && m->type == PROTO_MSG_ACK)
            on_ack(s, m);
        else if (s->req == REQ_CATALOGUE && m->type == PROTO_MSG_CATALOGUE)
            on_catalogue(s, m);
        else if (s->req == REQ_FEED && m->type == PROTO_MSG_FEED)
            on_feed(s, m);
        else if (s->req == REQ_PING && m->type == PROTO_MSG_PONG)
            on_pong(s, m);
        else if (s->req == REQ_AGENDA && m->type == PROTO_MSG_AGENDA)
            on_agenda(s, m);
        else
            ok = false;
    }
    if (!ok)
        logf_(s->k, KIOSK_LOG_DEBUG, "ignored an unexpected %s",
              proto_msg_name(m->type));
}

static void drain_socket(sess_t *s)
{
    while (s->sock) {
        proto_msg_t m;
        proto_diag_t diag;
        memset(&m, 0, sizeof m);
        memset(&diag, 0, sizeof diag);
        int r =
            proto_zmq_recv(s->sock, &m, PROTO_MAX_FRAME, &diag, ZMQ_DONTWAIT);
        if (r == PROTO_EIO && errno == EAGAIN)
            return;
        if (r < 0) {
            char why[KIOSK_SYNC_MESSAGE_MAX];
            snprintf(why, sizeof why,
                     "unreadable reply from %s (%s at %s); reconnecting",
                     s->k->endpoints[s->ep],
                     r == PROTO_EIO ? zmq_strerror(errno) : proto_strerror(r),
                     diag.where[0] ? diag.where : "?");
            link_down(s, KIOSK_LINK_OFFLINE, false, why);
            return;
        }
        on_message(s, &m);
        proto_msg_clear(&m);
        if (s->state == S_DEAD)
            return;
    }
}

static void drain_monitor(sess_t *s)
{
    while (s->mon) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, s->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            return;
        }
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&frame) >= 6) {
            const uint8_t *d = zmq_msg_data(&frame);
            memcpy(&event, d, 2);
            memcpy(&value, d + 2, 4);
        }
        bool more = zmq_msg_more(&frame);
        zmq_msg_close(&frame);
        while (more) { /* the endpoint frame */
            zmq_msg_init(&frame);
            if (zmq_msg_recv(&frame, s->mon, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&frame);
                break;
            }
            more = zmq_msg_more(&frame);
            zmq_msg_close(&frame);
        }
        char why[KIOSK_SYNC_MESSAGE_MAX];
        const char *ep = s->k->endpoints[s->ep];
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            snprintf(why, sizeof why,
                     "syncd at %s refused this kiosk's key (status %u); ask "
                     "a manager to enrol kiosk %s with key %s",
                     ep, value, s->k->kiosk_id, s->k->cfg.keys.public_z85);
            link_down(s, KIOSK_LINK_NOT_ENROLLED, true, why);
            return;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
            event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            snprintf(why, sizeof why,
                     "secure handshake with %s failed; check that the "
                     "kiosk has the server's current public key",
                     ep);
            link_down(s, KIOSK_LINK_OFFLINE, false, why);
            return;
        }
        if (event == ZMQ_EVENT_DISCONNECTED && s->lost_at == 0) {
            /* A reply cannot come over a dropped connection (a restarted
             * syncd has no session for us either): act soon rather than
             * at the reply timeout. The short grace lets a refusal that
             * caused the drop be reported as such. */
            s->lost_at = mono_ms() + LOST_GRACE_MS;
        }
    }
}

/* ---- The thread */

static int64_t poll_timeout(const sess_t *s)
{
    int64_t now = mono_ms();
    int64_t t = MAX_POLL_MS;
    switch (s->state) {
    case S_DOWN:
        t = s->next_connect - now;
        break;
    case S_HELLO:
    case S_WAIT:
        t = s->deadline - now;
        break;
    case S_READY: {
        t = s->last_send + s->heartbeat - now;
        if (s->check_pending && s->hold_until > now && s->hold_until - now < t)
            t = s->hold_until - now;
        break;
    }
    case S_DEAD:
        t = MAX_POLL_MS;
        break;
    }
    if (s->lost_at && s->lost_at - now < t)
        t = s->lost_at - now;
    if (t < 0)
        t = 0;
    if (t > MAX_POLL_MS)
        t = MAX_POLL_MS;
    return t;
}

static void *sync_main(void *arg)
{
    kiosk_sync_t *k = arg;
    sess_t s;
    memset(&s, 0, sizeof s);
    s.k = k;
    s.force_status = true;
    s.state = S_DOWN;
    s.backoff = k->cfg.backoff_min_ms;
    s.retry = k->cfg.backoff_min_ms;
    s.heartbeat = k->cfg.heartbeat_ms;
    s.next_connect = mono_ms();
    s.next_prune = mono_ms();
    s.rng = kiosk_outbox_boot_id() ^ (uint64_t)(uintptr_t)k;
    for (const char *p = k->kiosk_id; *p; p++)
        s.rng = s.rng * 131 + (unsigned char)*p;

    s.ctx = zmq_ctx_new();
    if (!s.ctx) {
        char why[KIOSK_SYNC_MESSAGE_MAX];
        snprintf(why, sizeof why,
                 "cannot start ZeroMQ (%s); restart the kiosk app",
                 zmq_strerror(errno));
        emit(k, KIOSK_SYNC_EV_ERROR, 0, 0, why);
        refresh(&s, KIOSK_LINK_OFFLINE, why);
        s.state = S_DEAD;
    } else {
        refresh(&s, KIOSK_LINK_OFFLINE, NULL);
    }

    while (!atomic_load(&k->stop)) {
        int64_t now = mono_ms();
        if (now >= s.next_prune) {
            uint64_t pruned = 0;
            if (kiosk_outbox_prune(k->ob, wall_ms(), k->cfg.retention_ms,
                                   &pruned) == 0 &&
                pruned > 0)
                logf_(k, KIOSK_LOG_INFO,
                      "pruned %" PRIu64 " acked events past retention", pruned);
            s.next_prune = now + PRUNE_EVERY_MS;
        }
        if (s.state == S_DOWN && now >= s.next_connect)
            connect_now(&s);
        if (s.state == S_READY)
            next_request(&s);
        if (s.lost_at && mono_ms() >= s.lost_at && s.state != S_DOWN &&
            s.state != S_DEAD) {
            char why[KIOSK_SYNC_MESSAGE_MAX];
            snprintf(why, sizeof why,
                     "lost the connection to syncd at %s; the kiosk keeps "
                     "saving and will send when the link is back",
                     k->endpoints[s.ep]);
            link_down(&s, KIOSK_LINK_OFFLINE, false, why);
            continue;
        }
        if ((s.state == S_HELLO || s.state == S_WAIT) &&
            mono_ms() >= s.deadline) {
            char why[KIOSK_SYNC_MESSAGE_MAX];
            snprintf(why, sizeof why,
                     "no reply from syncd at %s within %u ms; the kiosk "
                     "keeps saving and will send when the link is back",
                     k->endpoints[s.ep], k->cfg.reply_timeout_ms);
            link_down(&s, KIOSK_LINK_OFFLINE, false, why);
            continue;
        }

        zmq_pollitem_t items[3];
        int n = 0;
        items[n].socket = NULL;
        items[n].fd = k->wake_fd;
        items[n].events = ZMQ_POLLIN;
        items[n].revents = 0;
        n++;
        int i_sock = -1, i_mon = -1;
        if (s.sock) {
            i_sock = n;
            items[n].socket = s.sock;
            items[n].fd = 0;
            items[n].events = ZMQ_POLLIN;
            items[n].revents = 0;
            n++;
        }
        if (s.mon) {
            i_mon = n;
            items[n].socket = s.mon;
            items[n].fd = 0;
            items[n].events = ZMQ_POLLIN;
            items[n].revents = 0;
            n++;
        }
        int rc = zmq_poll(items, n, (long)poll_timeout(&s));
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            logf_(k, KIOSK_LOG_ERROR, "poll failed: %s", zmq_strerror(errno));
            struct timespec pause = {0, 50 * 1000000};
            nanosleep(&pause, NULL);
            continue;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            uint64_t v;
            if (read(k->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                logf_(k, KIOSK_LOG_WARN, "wake-up read failed: %s",
                      strerror(errno));
            if (atomic_load(&k->stop))
                break;
            s.check_pending = true;
            if (s.state != S_DEAD)
                refresh(&s, -1, NULL);
        }
        if (i_mon >= 0 && (items[i_mon].revents & ZMQ_POLLIN))
            drain_monitor(&s);
        if (i_sock >= 0 && s.sock && (items[i_sock].revents & ZMQ_POLLIN))
            drain_socket(&s);
    }

    close_socket(&s);
    if (s.ctx)
        (void)zmq_ctx_term(s.ctx);
    if (current_link(k) == KIOSK_LINK_ONLINE) {
        pthread_mutex_lock(&k->mu);
        k->status.link = KIOSK_LINK_OFFLINE;
        pthread_mutex_unlock(&k->mu);
    }
    return NULL;
}

/* ---- Public API */

static void set_errf(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_errf(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || !err_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

kiosk_sync_t *kiosk_sync_new(const kiosk_sync_config_t *cfg, char *err,
                             size_t err_len)
{
    kiosk_sync_t *k = NULL;

    if (!cfg || !cfg->outbox_path || !*cfg->outbox_path) {
        set_errf(err, err_len,
                 "sync: no outbox path configured; give the path of the "
                 "kiosk's outbox file");
        return NULL;
    }
    if (cfg->n_endpoints == 0 || cfg->n_endpoints > KIOSK_SYNC_MAX_ENDPOINTS) {
        set_errf(err, err_len,
                 "sync: %zu server endpoints configured; give 1 to %d "
                 "(e.g. tcp://server:7700)",
                 cfg->n_endpoints, KIOSK_SYNC_MAX_ENDPOINTS);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        if (!cfg->endpoints[i] || !*cfg->endpoints[i] ||
            strlen(cfg->endpoints[i]) > KIOSK_SYNC_ENDPOINT_MAX) {
            set_errf(err, err_len,
                     "sync: server endpoint %zu is empty or longer than %d "
                     "characters; give one such as tcp://server:7700",
                     i + 1, KIOSK_SYNC_ENDPOINT_MAX);
            return NULL;
        }
    }
    if (!cfg->server_public_z85 ||
        !proto_keys_valid_z85(cfg->server_public_z85)) {
        set_errf(err, err_len,
                 "sync: the server public key is missing or not a "
                 "40-character Z85 key; copy it from the server's "
                 "server.pub");
        return NULL;
    }
    if (!proto_keys_valid_z85(cfg->keys.public_z85) ||
        !proto_keys_valid_z85(cfg->keys.secret_z85)) {
        set_errf(err, err_len,
                 "sync: this kiosk's key pair is missing or malformed; "
                 "generate one (stepwise-sim keygen or syncctl keygen)");
        return NULL;
    }
    if (cfg->app_version && strlen(cfg->app_version) > PROTO_SHORT_MAX) {
        set_errf(err, err_len,
                 "sync: app version \"%s\" is longer than %d characters",
                 cfg->app_version, PROTO_SHORT_MAX);
        return NULL;
    }

    k = calloc(1, sizeof *k);
    if (!k) {
        set_errf(err, err_len, "sync: out of memory; restart the kiosk app");
        return NULL;
    }
    k->wake_fd = -1;
    /* mutex and condition first: kiosk_sync_destroy relies on them */
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0) {
        free(k);
        set_errf(err, err_len, "sync: out of memory; restart the kiosk app");
        return NULL;
    }
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&k->cond, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        free(k);
        set_errf(err, err_len, "sync: out of memory; restart the kiosk app");
        return NULL;
    }
    pthread_condattr_destroy(&ca);
    if (pthread_mutex_init(&k->mu, NULL) != 0) {
        pthread_cond_destroy(&k->cond);
        free(k);
        set_errf(err, err_len, "sync: out of memory; restart the kiosk app");
        return NULL;
    }
    k->cfg = *cfg;
    if (!k->cfg.heartbeat_ms)
        k->cfg.heartbeat_ms = DEF_HEARTBEAT_MS;
    if (!k->cfg.reply_timeout_ms)
        k->cfg.reply_timeout_ms = DEF_TIMEOUT_MS;
    if (!k->cfg.backoff_min_ms)
        k->cfg.backoff_min_ms = DEF_BACKOFF_MIN_MS;
    if (!k->cfg.backoff_max_ms)
        k->cfg.backoff_max_ms = DEF_BACKOFF_MAX_MS;
    if (k->cfg.backoff_max_ms < k->cfg.backoff_min_ms)
        k->cfg.backoff_max_ms = k->cfg.backoff_min_ms;
    if (!k->cfg.batch_size)
        k->cfg.batch_size = DEF_BATCH;
    if (k->cfg.batch_size > PROTO_MAX_BATCH)
        k->cfg.batch_size = PROTO_MAX_BATCH;
    if (!k->cfg.feed_page)
        k->cfg.feed_page = DEF_FEED_PAGE;
    if (k->cfg.feed_page > PROTO_MAX_FEED)
        k->cfg.feed_page = PROTO_MAX_FEED;
    if (k->cfg.retention_ms <= 0)
        k->cfg.retention_ms = KIOSK_OUTBOX_RETENTION_MS;
    snprintf(k->server_key, sizeof k->server_key, "%s", cfg->server_public_z85);
    snprintf(k->app_version, sizeof k->app_version, "%s",
             cfg->app_version ? cfg->app_version : DEF_APP_VERSION);
    k->outbox_path = strdup(cfg->outbox_path);
    if (!k->outbox_path)
        goto oom;
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        k->endpoints[i] = strdup(cfg->endpoints[i]);
        if (!k->endpoints[i])
            goto oom;
        k->n_endpoints++;
    }
    /* the copies are what the thread reads */
    k->cfg.outbox_path = k->outbox_path;
    k->cfg.server_public_z85 = k->server_key;
    k->cfg.app_version = k->app_version;
    k->cfg.kiosk_id = NULL;
    for (size_t i = 0; i < KIOSK_SYNC_MAX_ENDPOINTS; i++)
        k->cfg.endpoints[i] = i < k->n_endpoints ? k->endpoints[i] : NULL;

    char oerr[512];
    k->ob = kiosk_outbox_open(k->outbox_path, oerr, sizeof oerr);
    if (!k->ob) {
        set_errf(err, err_len, "sync: %s", oerr);
        goto fail;
    }
    if (kiosk_outbox_set_cache_kib(k->ob, OUTBOX_CACHE_KIB) < 0) {
        set_errf(err, err_len, "sync: %s", kiosk_outbox_errmsg(k->ob));
        goto fail;
    }
    if (cfg->kiosk_id && kiosk_outbox_set_identity(k->ob, cfg->kiosk_id) < 0) {
        set_errf(err, err_len, "sync: %s", kiosk_outbox_errmsg(k->ob));
        goto fail;
    }
    if (kiosk_outbox_get_identity(k->ob, k->kiosk_id) < 0) {
        set_errf(err, err_len, "sync: %s", kiosk_outbox_errmsg(k->ob));
        goto fail;
    }

    k->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (k->wake_fd < 0) {
        set_errf(err, err_len,
                 "sync: cannot create a wake-up descriptor: "
                 "%s; restart the kiosk app",
                 strerror(errno));
        goto fail;
    }
    atomic_init(&k->stop, false);
    k->status.link = KIOSK_LINK_OFFLINE;
    snprintf(k->status.endpoint, sizeof k->status.endpoint, "%s",
             k->endpoints[0]);
    int rc = pthread_create(&k->thread, NULL, sync_main, k);
    if (rc != 0) {
        set_errf(err, err_len,
                 "sync: cannot start the sync thread: %s; restart the "
                 "kiosk app",
                 strerror(rc));
        goto fail;
    }
    k->started = true;
    return k;

oom:
    set_errf(err, err_len, "sync: out of memory; restart the kiosk app");
fail:
    kiosk_sync_destroy(&k);
    return NULL;
}

void kiosk_sync_destroy(kiosk_sync_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kiosk_sync_t *k = *self_p;
    if (k->started) {
        atomic_store(&k->stop, true);
        uint64_t one = 1;
        /* eventfd write of 1 cannot block: the counter is far from max */
        if (write(k->wake_fd, &one, sizeof one) < 0) {
            /* the thread still sees stop within MAX_POLL_MS */
        }
        pthread_join(k->thread, NULL);
    }
    kiosk_outbox_destroy(&k->ob);
    if (k->wake_fd >= 0)
        close(k->wake_fd);
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->mu);
    free(k->outbox_path);
    for (size_t i = 0; i < k->n_endpoints; i++)
        free(k->endpoints[i]);
    free(k);
    *self_p = NULL;
}

void kiosk_sync_request_agenda(kiosk_sync_t *self, const char *week)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->mu);
    self->agenda_wanted = true;
    snprintf(self->agenda_week, sizeof self->agenda_week, "%s",
             week ? week : "");
    pthread_mutex_unlock(&self->mu);
    kiosk_sync_kick(self);
}

void kiosk_sync_kick(kiosk_sync_t *self)
{
    if (!self)
        return;
    uint64_t one = 1;
    if (write(self->wake_fd, &one, sizeof one) < 0) {
        /* EAGAIN: the counter is saturated, the thread is awake anyway */
    }
}

static int take_locked(kiosk_sync_t *k, kiosk_sync_event_t *ev)
{
    if (k->q_len == 0)
        return 0;
    *ev = k->queue[k->q_head];
    k->q_head = (k->q_head + 1) % QUEUE_CAP;
    k->q_len--;
    return 1;
}

int kiosk_sync_poll(kiosk_sync_t *self, kiosk_sync_event_t *ev)
{
    if (!self || !ev)
        return 0;
    pthread_mutex_lock(&self->mu);
    int got = take_locked(self, ev);
    pthread_mutex_unlock(&self->mu);
    return got;
}

int kiosk_sync_wait(kiosk_sync_t *self, kiosk_sync_event_t *ev, int timeout_ms)
{
    if (!self || !ev)
        return 0;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms > 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&self->mu);
    int got = take_locked(self, ev);
    while (!got && timeout_ms > 0) {
        int rc = pthread_cond_timedwait(&self->cond, &self->mu, &until);
        got = take_locked(self, ev);
        if (rc == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&self->mu);
    return got;
}

void kiosk_sync_status(kiosk_sync_t *self, kiosk_sync_status_t *out)
{
    if (!out)
        return;
    if (!self) {
        memset(out, 0, sizeof *out);
        return;
    }
    pthread_mutex_lock(&self->mu);
    *out = self->status;
    pthread_mutex_unlock(&self->mu);
}
