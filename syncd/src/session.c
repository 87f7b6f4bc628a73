/*
 * session.c — a kiosk's conversation with the daemon, as one explicit
 * state x event table.
 *
 * A session is keyed by the ROUTER routing id of the connection and bound
 * to the kiosk id the ZAP handler attached to the connection's CURVE key;
 * that id is the only identity the daemon trusts. The table below is the
 * whole protocol state machine: what each message does in each state and
 * the state that follows when the action succeeds (a failed action leaves
 * the state as it was). docs/PROTOCOL.md describes the same table. One rule
 * sits beside it, per session rather than per state: in a version 2
 * session a failed PUSH halts the PUSHes starting above it (halt_pushes).
 */
#include "daemon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syncd/agenda.h"
#include "syncd/clock.h"
#include "syncd/log.h"

typedef enum {
    EV_HELLO = 0,
    EV_PUSH,
    EV_CATALOGUE_REQ,
    EV_FEED_REQ,
    EV_PING,
    EV_AGENDA_REQ,
    EV_OTHER,   /* a message a kiosk never sends (WELCOME, ADMIN_REQ ...) */
    EV_TIMEOUT, /* silent for 3 heartbeats */
    EV_COUNT
} session_event_t;

typedef enum {
    A_HELLO = 0,
    A_PUSH,
    A_CATALOGUE,
    A_FEED,
    A_PING,
    A_AGENDA,
    A_NOT_YET,    /* ERROR ESTATE: say HELLO first */
    A_UNEXPECTED, /* ERROR ESTATE: not a kiosk message */
    A_EXPIRE,     /* forget the session */
} session_action_t;

#define GONE SYNCD_SESSION_STATES /* the session is removed */

/* How long a revoked kiosk's connection lives after its ERROR EREVOKED:
 * long enough for the message to leave, well inside the promised second. */
#define REVOKE_CUT_DELAY_MS 200

typedef struct {
    session_action_t action;
    int next; /* state after a successful action, or GONE */
} transition_t;

static const transition_t table[SYNCD_SESSION_STATES][EV_COUNT] = {
    [SYNCD_SESSION_NEW] =
        {
            [EV_HELLO] = {A_HELLO, SYNCD_SESSION_READY},
            [EV_PUSH] = {A_NOT_YET, SYNCD_SESSION_NEW},
            [EV_CATALOGUE_REQ] = {A_NOT_YET, SYNCD_SESSION_NEW},
            [EV_FEED_REQ] = {A_NOT_YET, SYNCD_SESSION_NEW},
            [EV_PING] = {A_NOT_YET, SYNCD_SESSION_NEW},
            [EV_AGENDA_REQ] = {A_NOT_YET, SYNCD_SESSION_NEW},
            [EV_OTHER] = {A_UNEXPECTED, SYNCD_SESSION_NEW},
            [EV_TIMEOUT] = {A_EXPIRE, GONE},
        },
    [SYNCD_SESSION_READY] =
        {
            /* a second HELLO renegotiates and reports lag again */
            [EV_HELLO] = {A_HELLO, SYNCD_SESSION_READY},
            [EV_PUSH] = {A_PUSH, SYNCD_SESSION_READY},
            [EV_CATALOGUE_REQ] = {A_CATALOGUE, SYNCD_SESSION_READY},
            [EV_FEED_REQ] = {A_FEED, SYNCD_SESSION_READY},
            [EV_PING] = {A_PING, SYNCD_SESSION_READY},
            [EV_AGENDA_REQ] = {A_AGENDA, SYNCD_SESSION_READY},
            [EV_OTHER] = {A_UNEXPECTED, SYNCD_SESSION_READY},
            [EV_TIMEOUT] = {A_EXPIRE, GONE},
        },
};

static session_event_t event_of(int msg_type)
{
    switch (msg_type) {
    case PROTO_MSG_HELLO:
        return EV_HELLO;
    case PROTO_MSG_PUSH:
        return EV_PUSH;
    case PROTO_MSG_CATALOGUE_REQ:
        return EV_CATALOGUE_REQ;
    case PROTO_MSG_FEED_REQ:
        return EV_FEED_REQ;
    case PROTO_MSG_PING:
        return EV_PING;
    case PROTO_MSG_AGENDA_REQ:
        return EV_AGENDA_REQ;
    default:
        return EV_OTHER;
    }
}

/* ------------------------------------------------------------ registry */

static syncd_session_t *find(syncd_server_t *self, const uint8_t *rid,
                             size_t rid_len)
{
    for (size_t i = 0; i < self->n_sessions; i++) {
        syncd_session_t *s = &self->sessions[i];
        if (s->rid_len == rid_len && memcmp(s->rid, rid, rid_len) == 0)
            return s;
    }
    return NULL;
}

static syncd_session_t *create(syncd_server_t *self, const uint8_t *rid,
                               size_t rid_len, const char *kiosk_id)
{
    if (rid_len > sizeof self->sessions[0].rid)
        return NULL;
    if (self->n_sessions == self->cap_sessions) {
        size_t cap = self->cap_sessions ? self->cap_sessions * 2 : 16;
        syncd_session_t *ns = realloc(self->sessions, cap * sizeof *ns);
        if (!ns)
            return NULL;
        self->sessions = ns;
        self->cap_sessions = cap;
    }
    syncd_session_t *s = &self->sessions[self->n_sessions++];
    memset(s, 0, sizeof *s);
    memcpy(s->rid, rid, rid_len);
    s->rid_len = rid_len;
    snprintf(s->kiosk_id, sizeof s->kiosk_id, "%s", kiosk_id);
    s->state = SYNCD_SESSION_NEW;
    s->conn.fd = -1;
    return s;
}

static void remove_at(syncd_server_t *self, size_t i)
{
    if (self->sessions[i].seen_pending)
        syncd_session_flush_seen(self);
    self->sessions[i] = self->sessions[self->n_sessions - 1];
    self->n_sessions--;
}

bool syncd_session_connected(const syncd_server_t *self, const char *kiosk_id)
{
    for (size_t i = 0; i < self->n_sessions; i++) {
        const syncd_session_t *s = &self->sessions[i];
        if (s->state == SYNCD_SESSION_READY &&
            strcmp(s->kiosk_id, kiosk_id) == 0)
            return true;
    }
    return false;
}

size_t syncd_server_session_count(const syncd_server_t *self)
{
    size_t n = 0;
    for (size_t i = 0; i < self->n_sessions; i++)
        n += self->sessions[i].state == SYNCD_SESSION_READY;
    return n;
}

int syncd_session_cut_kiosk(syncd_server_t *self, const char *kiosk_id,
                            bool revoked)
{
    int cut = 0;
    for (size_t i = 0; i < self->n_sessions;) {
        syncd_session_t *s = &self->sessions[i];
        if (strcmp(s->kiosk_id, kiosk_id) != 0) {
            i++;
            continue;
        }
        if (revoked) {
            /* The one message the server sends unasked: the kiosk shows
             * "revoked" instead of retrying as if the network failed. The
             * cut follows once the ERROR has had time to leave. */
            (void)syncd_server_send_error(self, self->kiosk_sock, s->rid,
                                          s->rid_len, PROTO_EREVOKED,
                                          "kiosk \"%s\" has been revoked; ask "
                                          "a manager to enrol it again",
                                          kiosk_id);
            if (syncd_conn_alive(&s->conn)) {
                syncd_server_cut_later(self, &s->conn, REVOKE_CUT_DELAY_MS);
                cut++;
            }
        } else if (syncd_conn_cut(&s->conn)) {
            cut++;
        }
        remove_at(self, i);
    }
    return cut;
}

/* --------------------------------------------------------------- actions */

typedef struct {
    syncd_server_t *srv;
    syncd_session_t *s;
    const uint8_t *rid;
    size_t rid_len;
    proto_msg_t *msg;
    int64_t now;
} call_t;

#define REPLY_ERROR(c, code, ...)                                              \
    syncd_server_send_error((c)->srv, (c)->srv->kiosk_sock, (c)->rid,          \
                            (c)->rid_len, code, __VA_ARGS__)

/* The kiosk's high-water mark and site, from the store. */
static int kiosk_record(call_t *c, syncd_kiosk_t *k)
{
    int rc = syncd_store_kiosk_get(c->srv->store, c->s->kiosk_id, k);
    if (rc != 0) {
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot read the kiosk's record kiosk=%s error=%s "
                  "detail=\"%s\"",
                  c->s->kiosk_id, proto_errname(rc),
                  syncd_store_errmsg(c->srv->store));
        (void)REPLY_ERROR(c, PROTO_ESTORE,
                          "the server cannot read this kiosk's record; "
                          "retry later");
    }
    return rc;
}

static int do_hello(call_t *c)
{
    syncd_server_t *srv = c->srv;
    const typeof(c->msg->u.hello) *h = &c->msg->u.hello;
    if (strcmp(h->kiosk_id, c->s->kiosk_id) != 0) {
        syncd_log(SYNCD_LOG_WARN,
                  "HELLO refused: it names another kiosk than its key "
                  "kiosk=%s claimed=%s",
                  c->s->kiosk_id, h->kiosk_id);
        (void)REPLY_ERROR(c, PROTO_EDENIED,
                          "HELLO names kiosk \"%s\" but this connection's "
                          "key belongs to kiosk \"%s\"; use the key pair "
                          "enrolled for this kiosk",
                          h->kiosk_id, c->s->kiosk_id);
        return PROTO_EDENIED;
    }
    if (h->version < PROTO_VERSION_MIN) {
        (void)REPLY_ERROR(c, PROTO_EVERSION,
                          "protocol version %u is not supported; this "
                          "server speaks versions %d to %d; update the "
                          "kiosk app",
                          (unsigned)h->version, PROTO_VERSION_MIN,
                          PROTO_VERSION);
        return PROTO_EVERSION;
    }
    syncd_kiosk_t k;
    int rc = kiosk_record(c, &k);
    if (rc)
        return rc;
    int64_t skew = h->kiosk_time_ms - c->now;
    rc = syncd_store_kiosk_seen(srv->store, c->s->kiosk_id, c->now, h->last_seq,
                                h->outbox_depth, h->oldest_unsent_s, skew,
                                h->catalogue_version, h->app_version);
    if (rc != 0) {
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot record the kiosk's HELLO kiosk=%s error=%s "
                  "detail=\"%s\"",
                  c->s->kiosk_id, proto_errname(rc),
                  syncd_store_errmsg(srv->store));
        (void)REPLY_ERROR(c, PROTO_ESTORE,
                          "the server could not record this HELLO; retry "
                          "later");
        return rc;
    }
    c->s->version =
        h->version < PROTO_VERSION ? h->version : (uint32_t)PROTO_VERSION;
    c->s->push_floor = 0; /* the kiosk starts again from WELCOME's mark */
    c->s->catalogue_version = h->catalogue_version;
    if (h->catalogue_version > syncd_catalogues_version(srv->catalogues))
        (void)syncd_catalogues_reload(srv->catalogues); /* as in do_catalogue */
    proto_msg_t w = {.type = PROTO_MSG_WELCOME};
    w.u.welcome.version = c->s->version;
    w.u.welcome.acked_seq = k.acked_seq;
    w.u.welcome.catalogue_version = syncd_catalogues_version(srv->catalogues);
    w.u.welcome.feed_cursor = syncd_store_feed_cursor(srv->store, k.site_id);
    w.u.welcome.server_time_ms = c->now;
    w.u.welcome.heartbeat_ms = srv->heartbeat_ms;
    rc = syncd_server_send(srv, srv->kiosk_sock, c->rid, c->rid_len, &w);
    char app[PROTO_SHORT_MAX * 2 + 8];
    syncd_log(SYNCD_LOG_INFO,
              "session started kiosk=%s site=%s app=%s version=%u "
              "acked_seq=%" PRIu64 " last_seq=%" PRIu64 " outbox=%" PRIu64
              " oldest_unsent_s=%" PRIu64 " skew_ms=%" PRId64
              " catalogue=%" PRIu64,
              c->s->kiosk_id, k.site_id,
              syncd_log_quote(h->app_version, app, sizeof app),
              (unsigned)c->s->version, k.acked_seq, h->last_seq,
              h->outbox_depth, h->oldest_unsent_s, skew, h->catalogue_version);
    return rc;
}

static const proto_catalogue_t *catalogue_cb(void *ctx, uint64_t version)
{
    return syncd_catalogues_get(((syncd_server_t *)ctx)->catalogues, version);
}

static int suggestion_cb(void *ctx, const char *id)
{
    syncd_server_t *srv = ctx;
    int rc = syncd_store_suggestion_exists(srv->store, id);
    if (rc < 0)
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot look up a suggestion id=%s error=%s detail=\"%s\"",
                  id, proto_errname(rc), syncd_store_errmsg(srv->store));
    return rc;
}

static int do_push(call_t *c)
{
    syncd_server_t *srv = c->srv;
    int64_t t0 = syncd_clock_mono_ms();
    syncd_kiosk_t k;
    int rc = kiosk_record(c, &k);
    if (rc)
        return rc;
    syncd_ingest_env_t env = {
        .kiosk_id = c->s->kiosk_id,
        .site_id = k.site_id,
        .acked_seq = k.acked_seq,
        .current = syncd_catalogues_current(srv->catalogues),
        .catalogue = catalogue_cb,
        .suggestion_exists = suggestion_cb,
        .ctx = srv,
    };
    rc = syncd_ingest_build(srv->ingest, &env, c->msg);
    syncd_ingest_result_t res = {0};
    if (rc == 0) {
        size_t n_items;
        const syncd_ingest_item_t *items =
            syncd_ingest_items(srv->ingest, &n_items);
        rc = syncd_store_ingest(srv->store, c->s->kiosk_id, k.site_id, items,
                                n_items, c->now, &res);
        if (rc != 0)
            syncd_log(SYNCD_LOG_ERROR,
                      "batch not stored; nothing acknowledged kiosk=%s "
                      "n=%" PRIu32 " error=%s detail=\"%s\"",
                      c->s->kiosk_id, c->msg->u.push.n_events,
                      proto_errname(rc), syncd_store_errmsg(srv->store));
    } else {
        syncd_log(SYNCD_LOG_ERROR,
                  "batch not validated; nothing acknowledged kiosk=%s "
                  "n=%" PRIu32 " error=%s",
                  c->s->kiosk_id, c->msg->u.push.n_events, proto_errname(rc));
    }
    if (rc != 0) {
        (void)REPLY_ERROR(c, PROTO_ESTORE,
                          "the server could not store the batch; nothing of "
                          "it was acknowledged; retry later");
        return rc;
    }
    /* Only now, with the batch committed, may the kiosk hear about it. */
    size_t n_rej;
    const proto_reject_t *rej = syncd_ingest_rejects(srv->ingest, &n_rej);
    proto_msg_t ack = {.type = PROTO_MSG_ACK};
    ack.u.ack.acked_seq = res.acked_seq;
    if (n_rej) {
        ack.u.ack.rejects = proto_malloc(n_rej * sizeof(proto_reject_t));
        if (!ack.u.ack.rejects) {
            (void)REPLY_ERROR(c, PROTO_ENOMEM,
                              "the server ran out of memory answering the "
                              "batch; it is stored, send it again for the "
                              "acknowledgement");
            return PROTO_ENOMEM;
        }
        for (size_t i = 0; i < n_rej; i++) {
            proto_reject_t *r = &ack.u.ack.rejects[i];
            r->seq = rej[i].seq;
            r->code = rej[i].code;
            r->reason = proto_strdup(rej[i].reason);
            ack.u.ack.n_rejects++;
            if (!r->reason) {
                proto_msg_clear(&ack);
                (void)REPLY_ERROR(c, PROTO_ENOMEM,
                                  "the server ran out of memory answering "
                                  "the batch; it is stored, send it again "
                                  "for the acknowledgement");
                return PROTO_ENOMEM;
            }
        }
    }
    rc = syncd_server_send(srv, srv->kiosk_sock, c->rid, c->rid_len, &ack);
    proto_msg_clear(&ack);
    for (size_t i = 0; i < n_rej; i++) {
        char reason[PROTO_REASON_MAX * 2];
        syncd_log(SYNCD_LOG_INFO,
                  "event rejected kiosk=%s seq=%" PRIu64 " code=%s reason=%s",
                  c->s->kiosk_id, rej[i].seq, proto_reject_name(rej[i].code),
                  syncd_log_quote(rej[i].reason, reason, sizeof reason));
    }
    syncd_log(SYNCD_LOG_INFO,
              "batch stored kiosk=%s n=%" PRIu32 " accepted=%" PRIu32
              " rejected=%" PRIu32 " duplicates=%" PRIu32 " acked_seq=%" PRIu64
              " ms=%" PRId64,
              c->s->kiosk_id, c->msg->u.push.n_events, res.accepted,
              res.rejected, res.duplicates, res.acked_seq,
              syncd_clock_mono_ms() - t0);
    return rc;
}

static int do_catalogue(call_t *c)
{
    syncd_server_t *srv = c->srv;
    /* A kiosk ahead of us got its version from another syncd on the same
     * store: catch up now rather than send it an older catalogue. */
    if (c->msg->u.catalogue_req.have_version >
        syncd_catalogues_version(srv->catalogues))
        (void)syncd_catalogues_reload(srv->catalogues);
    uint64_t current = syncd_catalogues_version(srv->catalogues);
    size_t len = 0;
    const char *yaml = syncd_catalogues_yaml(srv->catalogues, &len);
    proto_msg_t m = {.type = PROTO_MSG_CATALOGUE};
    m.u.catalogue.version = current;
    if (current == 0 || c->msg->u.catalogue_req.have_version == current ||
        !yaml) {
        m.u.catalogue.unchanged = true;
    } else {
        /* The message only borrows the text: it is not cleared below. */
        m.u.catalogue.yaml = (char *)yaml;
        m.u.catalogue.yaml_len = len;
    }
    syncd_log(SYNCD_LOG_DEBUG,
              "catalogue requested kiosk=%s have=%" PRIu64 " current=%" PRIu64,
              c->s->kiosk_id, c->msg->u.catalogue_req.have_version, current);
    return syncd_server_send(srv, srv->kiosk_sock, c->rid, c->rid_len, &m);
}

static int do_feed(call_t *c)
{
    syncd_server_t *srv = c->srv;
    syncd_kiosk_t k;
    int rc = kiosk_record(c, &k);
    if (rc)
        return rc;
    uint32_t max = c->msg->u.feed_req.max_items;
    if (max == 0 || max > PROTO_MAX_FEED)
        max = PROTO_MAX_FEED;
    proto_msg_t m = {0};
    rc = syncd_store_feed(srv->store, k.site_id, c->msg->u.feed_req.cursor, max,
                          &m);
    if (rc != 0) {
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot read the feed kiosk=%s cursor=%" PRIu64
                  " error=%s detail=\"%s\"",
                  c->s->kiosk_id, c->msg->u.feed_req.cursor, proto_errname(rc),
                  syncd_store_errmsg(srv->store));
        proto_msg_clear(&m);
        (void)REPLY_ERROR(c, PROTO_ESTORE,
                          "the server could not read the feed; retry later");
        return rc;
    }
    m.type = PROTO_MSG_FEED;
    rc = syncd_server_send(srv, srv->kiosk_sock, c->rid, c->rid_len, &m);
    proto_msg_clear(&m);
    return rc;
}

static int do_ping(call_t *c)
{
    syncd_server_t *srv = c->srv;
    const typeof(c->msg->u.ping) *p = &c->msg->u.ping;
    syncd_kiosk_seen_t *seen = &c->s->seen;

    /* kept, and recorded with the other kiosks' within a second */
    snprintf(seen->kiosk_id, sizeof seen->kiosk_id, "%s", c->s->kiosk_id);
    seen->now_ms = c->now;
    seen->last_seq = p->last_seq;
    seen->outbox_depth = p->outbox_depth;
    seen->oldest_unsent_s = p->oldest_unsent_s;
    seen->clock_skew_ms = p->kiosk_time_ms - c->now;
    seen->catalogue_version = c->s->catalogue_version;
    if (!c->s->seen_pending) {
        c->s->seen_pending = true;
        srv->n_seen_pending++;
    }
    syncd_kiosk_t k;
    int rc = kiosk_record(c, &k);
    if (rc)
        return rc;
    proto_msg_t m = {.type = PROTO_MSG_PONG};
    m.u.pong.server_time_ms = c->now;
    m.u.pong.acked_seq = k.acked_seq;
    m.u.pong.catalogue_version = syncd_catalogues_version(srv->catalogues);
    m.u.pong.feed_cursor = syncd_store_feed_cursor(srv->store, k.site_id);
    return syncd_server_send(srv, srv->kiosk_sock, c->rid, c->rid_len, &m);
}

/* The meeting summary of the kiosk's own site: the site comes from the
 * kiosk's enrolment record, never from the request (docs/PROTOCOL.md
 * §6.11). */
static int do_agenda(call_t *c)
{
    syncd_server_t *srv = c->srv;
    syncd_kiosk_t k;
    char err[300];
    int rc = kiosk_record(c, &k);
    if (rc)
        return rc;
    const char *week = c->msg->u.agenda_req.week;
    proto_msg_t m = {0};
    rc = syncd_agenda_summary(srv->store,
                              syncd_catalogues_current(srv->catalogues),
                              k.site_id, week, c->now, &m, err, sizeof err);
    if (rc != 0) {
        syncd_log(SYNCD_LOG_WARN,
                  "agenda summary refused kiosk=%s site=%s week=%s error=%s "
                  "detail=\"%s\"",
                  c->s->kiosk_id, k.site_id, week[0] ? week : "current",
                  proto_errname(rc), err);
        if (rc != PROTO_EINVAL && rc != PROTO_ENOTFOUND && rc != PROTO_ENOMEM)
            rc = PROTO_ESTORE;
        (void)REPLY_ERROR(c, rc, "agenda of site %s: %s", k.site_id,
                          rc == PROTO_ESTORE
                              ? "the server could not read it; retry later"
                              : err);
        return rc;
    }
    syncd_log(SYNCD_LOG_INFO,
              "agenda summary sent kiosk=%s site=%s week=%s steps=%u "
              "people=%u exceptions=%u decisions=%u omitted=%u",
              c->s->kiosk_id, k.site_id, m.u.agenda.week, m.u.agenda.n_steps,
              m.u.agenda.n_people, m.u.agenda.n_exceptions,
              m.u.agenda.n_decisions, m.u.agenda.omitted);
    rc = syncd_server_send(srv, srv->kiosk_sock, c->rid, c->rid_len, &m);
    proto_msg_clear(&m);
    return rc;
}

static int run_action(call_t *c, session_action_t action)
{
    switch (action) {
    case A_HELLO:
        return do_hello(c);
    case A_PUSH:
        return do_push(c);
    case A_CATALOGUE:
        return do_catalogue(c);
    case A_FEED:
        return do_feed(c);
    case A_PING:
        return do_ping(c);
    case A_AGENDA:
        return do_agenda(c);
    case A_NOT_YET:
        (void)REPLY_ERROR(c, PROTO_ESTATE,
                          "%s is not allowed before HELLO; send HELLO first",
                          proto_msg_name(c->msg->type));
        return PROTO_ESTATE;
    case A_UNEXPECTED:
        (void)REPLY_ERROR(c, PROTO_ESTATE,
                          "%s is not a message a kiosk sends to the server",
                          proto_msg_name(c->msg->type));
        return PROTO_ESTATE;
    case A_EXPIRE:
        return 0;
    }
    return PROTO_EINVAL;
}

/* ------------------------------------------------------------- dispatch */

/* From protocol version 2 a kiosk may keep several PUSHes in flight
 * (docs/PROTOCOL.md 6.3). When one fails, the next may already be queued
 * behind it; storing that one would move the cumulative mark over the
 * failed batch and lose it. So after a PUSH starting at seq `first` fails
 * in such a session, PUSHes starting above it are refused (ERROR ESTATE)
 * until one starting at or below it is stored (the kiosk's retry) or the
 * kiosk says HELLO again. An undecodable frame may have been such a PUSH:
 * it halts every PUSH but one starting at seq 1 (first = 1). Version 1
 * sessions keep one request in flight and are never halted. */
static void halt_pushes(syncd_session_t *s, uint64_t first)
{
    if (s->state != SYNCD_SESSION_READY || s->version < 2 || first == 0)
        return;
    if (s->push_floor == 0 || first < s->push_floor)
        s->push_floor = first;
}

/* The first seq a PUSH carries; 0 for an empty PUSH (which stores
 * nothing and only returns the mark). */
static uint64_t push_first(const proto_msg_t *m)
{
    return m->u.push.n_events ? m->u.push.events[0].seq : 0;
}

void syncd_session_message(syncd_server_t *self, const uint8_t *rid,
                           size_t rid_len, const char *user_id, int fd,
                           const uint8_t *data, size_t len)
{
    const syncd_zap_kiosk_t *k = syncd_zap_kiosk(self->zap, user_id);
    if (!k || k->revoked) {
        syncd_conn_t conn;
        syncd_conn_capture(&conn, fd);
        /* Authenticated before its revocation: tell it, then hang up. */
        syncd_log(SYNCD_LOG_WARN,
                  "message from a revoked kiosk refused; closing its "
                  "connection kiosk=%s",
                  user_id);
        for (size_t i = 0; i < self->n_sessions;) {
            if (strcmp(self->sessions[i].kiosk_id, user_id) == 0)
                remove_at(self, i);
            else
                i++;
        }
        (void)syncd_server_send_error(self, self->kiosk_sock, rid, rid_len,
                                      PROTO_EREVOKED,
                                      "kiosk \"%s\" has been revoked; ask a "
                                      "manager to enrol it again",
                                      user_id);
        syncd_server_cut_later(self, &conn, REVOKE_CUT_DELAY_MS);
        return;
    }
    syncd_session_t *s = find(self, rid, rid_len);
    if (s && strcmp(s->kiosk_id, user_id) != 0) {
        /* The routing id now belongs to another key's connection. */
        remove_at(self, (size_t)(s - self->sessions));
        s = NULL;
    }
    if (!s) {
        s = create(self, rid, rid_len, user_id);
        if (!s) {
            syncd_log(SYNCD_LOG_ERROR,
                      "out of memory for a new session; message dropped "
                      "kiosk=%s",
                      user_id);
            return;
        }
    }
    s->last_ms = syncd_server_now(self);
    /* A routing id is one connection, so its descriptor only needs
     * reading once (two system calls, not per message). */
    if (fd >= 0 && s->conn.fd != fd)
        syncd_conn_capture(&s->conn, fd);

    proto_msg_t msg = {0};
    proto_diag_t diag = {{0}, 0};
    int rc = proto_decode(data, len, PROTO_MAX_FRAME, &msg, &diag);
    if (rc != 0) {
        char where[160];
        if (diag.where[0])
            snprintf(where, sizeof where, "%s", diag.where);
        else
            snprintf(where, sizeof where, "byte %zu", diag.offset);
        syncd_log(SYNCD_LOG_WARN,
                  "undecodable frame from a kiosk; answered with ERROR "
                  "kiosk=%s bytes=%zu error=%s where=%s offset=%zu",
                  user_id, len, proto_errname(rc), where, diag.offset);
        (void)syncd_server_send_error(self, self->kiosk_sock, rid, rid_len, rc,
                                      "%s at %s", proto_errname(rc), where);
        /* it may have been a PUSH with another one behind it */
        halt_pushes(s, 1);
        return;
    }
    session_event_t ev = event_of(msg.type);
    const transition_t *t = &table[s->state][ev];
    call_t c = {self, s, rid, rid_len, &msg, s->last_ms};
    if (t->action == A_PUSH && s->push_floor != 0 &&
        push_first(&msg) > s->push_floor) {
        /* An earlier PUSH failed: this one may follow it in a pipeline,
         * and storing it would move the mark over the failed batch. */
        (void)REPLY_ERROR(&c, PROTO_ESTATE,
                          "an earlier PUSH of this session, from seq %llu, "
                          "failed, so this one was not stored; send that "
                          "batch again, or HELLO and push from its acked_seq",
                          (unsigned long long)s->push_floor);
        proto_msg_clear(&msg);
        return;
    }
    rc = run_action(&c, t->action);
    if (t->action == A_PUSH && rc != 0)
        halt_pushes(s, push_first(&msg));
    else if (t->action == A_PUSH && push_first(&msg) != 0 &&
             push_first(&msg) <= s->push_floor)
        s->push_floor = 0; /* the failed batch is stored now */
    if (rc == 0 && t->next != GONE)
        s->state = (syncd_session_state_t)t->next;
    proto_msg_clear(&msg);
}

/* A kiosk that closes its connection leaves its session behind (a ROUTER
 * does not say when a peer goes); without this check it would count as
 * connected until the heartbeat expiry. */
static void end_closed_sessions(syncd_server_t *self)
{
    int64_t mono = syncd_clock_mono_ms();
    if (mono < self->next_liveness_ms)
        return;
    self->next_liveness_ms = mono + 1000;
    for (size_t i = 0; i < self->n_sessions;) {
        syncd_session_t *s = &self->sessions[i];
        if (s->conn.fd < 0 || syncd_conn_alive(&s->conn)) {
            i++;
            continue;
        }
        syncd_log(SYNCD_LOG_INFO,
                  "session ended: the connection was closed kiosk=%s "
                  "state=%s",
                  s->kiosk_id,
                  s->state == SYNCD_SESSION_READY ? "ready" : "new");
        remove_at(self, i);
    }
}

static int seen_cmp(const void *a, const void *b)
{
    return strcmp(((const syncd_kiosk_seen_t *)a)->kiosk_id,
                  ((const syncd_kiosk_seen_t *)b)->kiosk_id);
}

void syncd_session_flush_seen(syncd_server_t *self)
{
    size_t n = 0;
    syncd_kiosk_seen_t *v;
    int rc;

    if (self->n_seen_pending == 0)
        return;
    v = malloc(self->n_seen_pending * sizeof *v);
    for (size_t i = 0; i < self->n_sessions; i++) {
        syncd_session_t *s = &self->sessions[i];

        if (!s->seen_pending)
            continue;
        if (v && n < self->n_seen_pending)
            v[n++] = s->seen;
        s->seen_pending = false;
    }
    self->n_seen_pending = 0;
    if (v == NULL) {
        syncd_log(SYNCD_LOG_ERROR, "out of memory recording the kiosks' "
                                   "PINGs; their figures wait for the next");
        return;
    }
    qsort(v, n, sizeof *v, seen_cmp);
    if ((rc = syncd_store_kiosks_seen(self->store, v, n)) != 0)
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot record the kiosks' PINGs kiosks=%zu error=%s "
                  "detail=\"%s\"",
                  n, proto_errname(rc), syncd_store_errmsg(self->store));
    free(v);
}

void syncd_session_tick(syncd_server_t *self)
{
    end_closed_sessions(self);
    int64_t now = syncd_server_now(self);
    int64_t limit = 3 * (int64_t)self->heartbeat_ms;
    for (size_t i = 0; i < self->n_sessions;) {
        syncd_session_t *s = &self->sessions[i];
        if (now - s->last_ms <= limit) {
            i++;
            continue;
        }
        const transition_t *t = &table[s->state][EV_TIMEOUT];
        if (t->action == A_EXPIRE && t->next == GONE) {
            syncd_log(SYNCD_LOG_INFO,
                      "session expired: no message for 3 heartbeats "
                      "kiosk=%s idle_ms=%" PRId64 " state=%s",
                      s->kiosk_id, now - s->last_ms,
                      s->state == SYNCD_SESSION_READY ? "ready" : "new");
            remove_at(self, i);
        } else {
            i++;
        }
    }
}
