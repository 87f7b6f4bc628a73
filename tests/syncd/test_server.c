/*
 * test_server.c — the daemon in-process: a real SQLite store in a temp
 * directory, real ZeroMQ over tcp://127.0.0.1:*, real CURVE and the real
 * ZAP handler, stepped by the test between its own client calls, with a
 * fake clock for heartbeats and skew.
 *
 * What a user relies on: the exact WELCOME and ACK, a resent batch adding
 * nothing, errors that leave the session usable, unknown keys refused at
 * the handshake, revoked kiosks cut off within a second and kept out,
 * admin operations only for managers and with exact answers.
 */
#include <errno.h>
#include <ftw.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#include "protocol/keys.h"
#include "protocol/proto_zmq.h"
#include "protocol/protocol.h"
#include "syncd/clock.h"
#include "syncd/json.h"
#include "syncd/log.h"
#include "syncd/server.h"
#include "syncd/store.h"

#include "server_fixture.h"
#include "store_fixture.h"

static const char catalogue_yaml[] =
    "title: {zh: 测试目录, en: Test catalogue}\n"
    "sites:\n"
    "  - id: futian\n"
    "    name: {zh: 福田营业部}\n"
    "    timezone: Asia/Shanghai\n"
    "    teams:\n"
    "      - id: tele\n"
    "        name: {zh: 电销组}\n"
    "    staff:\n"
    "      - id: s1\n"
    "        name: {zh: 张三}\n"
    "        team: tele\n"
    "        role: adviser\n"
    "      - id: s2\n"
    "        name: {zh: 李四}\n"
    "        team: tele\n"
    "        role: new-hire\n"
    "framework:\n"
    "  - id: tm\n"
    "    name: {zh: 电话营销}\n"
    "    steps:\n"
    "      - id: tm-call\n"
    "        name: {zh: 外呼}\n"
    "        measures:\n"
    "          - id: calls\n"
    "            name: {zh: 外呼}\n"
    "            unit: {zh: 通}\n"
    "            points: 0.5\n"
    "            max: 300\n"
    "        quality: true\n"
    "        points: {quality_multiplier: true}\n";

/* the same with one more staff member: a new version */
static const char catalogue_v2_extra[] = "      - id: s3\n"
                                         "        name: {zh: 王五}\n"
                                         "        team: tele\n"
                                         "        role: adviser\n";

static const char broken_yaml[] = "title: {zh: 目录, en: Catalogue}\n"
                                  "sites:\n"
                                  "  - id: futian\n"
                                  "    name: {zh: 福田营业部}\n"
                                  "    teams:\n"
                                  "      - id: a\n"
                                  "        name: {zh: 一组}\n"
                                  "    staff:\n"
                                  "      - id: s1\n"
                                  "        name: {zh: 张三}\n"
                                  "        team: a\n"
                                  "        role: adviser\n"
                                  "framework:\n"
                                  "  - id: p1\n"
                                  "    name: {zh: 流程}\n"
                                  "    steps:\n"
                                  "      - id: st1\n"
                                  "        name: {zh: 外呼}\n"
                                  "        measures: []\n";

#define HEARTBEAT_MS 1000
/* 2026-11-27 10:00 Asia/Shanghai */
#define T0 ((int64_t)1795744800000)

typedef struct {
    char dir[256];
    char log_path[300];
    FILE *log;
    syncd_store_t *store;
    syncd_server_t *srv;
    int64_t now;
    proto_keypair_t server_kp, manager_kp, k01_kp, k02_kp, stranger_kp;
    void *zctx;
    void *socks[16];
    int n_socks;
    int n_monitors;
} fx_t;

static int64_t fake_clock(void *ctx)
{
    return ((fx_t *)ctx)->now;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[1024], path[512];
    sfx_tmpdir(fx->dir, sizeof fx->dir, "syncd-server");
    snprintf(fx->log_path, sizeof fx->log_path, "%s/syncd.log", fx->dir);
    fx->log = fopen(fx->log_path, "w+");
    assert_non_null(fx->log);
    syncd_log_set_stream(fx->log);
    syncd_log_set_level(SYNCD_LOG_DEBUG);
    fx->now = T0;

    assert_int_equal(proto_keys_generate(&fx->server_kp), 0);
    assert_int_equal(proto_keys_generate(&fx->manager_kp), 0);
    assert_int_equal(proto_keys_generate(&fx->k01_kp), 0);
    assert_int_equal(proto_keys_generate(&fx->k02_kp), 0);
    assert_int_equal(proto_keys_generate(&fx->stranger_kp), 0);
    snprintf(path, sizeof path, "%s/managers", fx->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(proto_keys_save(&fx->manager_kp, path, "alice", "manager",
                                     err, sizeof err),
                     0);

    char db[512];
    snprintf(db, sizeof db, "%s/stepwise.db", fx->dir);
    syncd_store_options_t opt = {SYNCD_SYNC_OFF, 0};
    fx->store = syncd_store_open(db, &opt, err, sizeof err);
    if (!fx->store)
        fail_msg("store: %s", err);
    assert_int_equal(syncd_store_kiosk_enrol(fx->store, "k01", "futian",
                                             fx->k01_kp.public_z85, T0),
                     0);
    assert_int_equal(syncd_store_kiosk_enrol(fx->store, "k02", "futian",
                                             fx->k02_kp.public_z85, T0),
                     0);

    syncd_server_config_t cfg = {
        .kiosk_endpoint = "tcp://127.0.0.1:*",
        .admin_endpoint = "tcp://127.0.0.1:*",
        .server_key = fx->server_kp,
        .managers_dir = path,
        .heartbeat_ms = HEARTBEAT_MS,
        .store_path = db,
    };
    fx->srv =
        syncd_server_new(&cfg, fx->store, fake_clock, fx, err, sizeof err);
    if (!fx->srv)
        fail_msg("server: %s", err);
    uint64_t version;
    bool imported;
    assert_int_equal(syncd_server_import_catalogue(
                         fx->srv, catalogue_yaml, strlen(catalogue_yaml),
                         "test.yaml", &version, &imported, err, sizeof err),
                     0);
    assert_true(imported);
    assert_int_equal(version, 1);
    fx->zctx = zmq_ctx_new();
    assert_non_null(fx->zctx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    for (int i = 0; i < fx->n_socks; i++)
        zmq_close(fx->socks[i]);
    zmq_ctx_term(fx->zctx);
    syncd_server_destroy(&fx->srv);
    assert_null(fx->srv);
    syncd_store_destroy(&fx->store);
    syncd_log_set_stream(NULL);
    fclose(fx->log);
    sfx_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* ------------------------------------------------------------- helpers */

static void *track(fx_t *fx, void *sock)
{
    assert_non_null(sock);
    assert_true(fx->n_socks < 16);
    fx->socks[fx->n_socks++] = sock;
    return sock;
}

/* A DEALER with key pair kp connected to endpoint; *monitor (if not NULL)
 * receives its connection events. */
static void *client(fx_t *fx, const proto_keypair_t *kp, const char *endpoint,
                    void **monitor)
{
    void *s = track(fx, srvfx_dealer(fx->zctx, kp, fx->server_kp.public_z85));
    int linger = 0;
    if (monitor) {
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://test-monitor-%d", fx->n_monitors++);
        assert_int_equal(zmq_socket_monitor(s, ep, ZMQ_EVENT_ALL), 0);
        *monitor = track(fx, zmq_socket(fx->zctx, ZMQ_PAIR));
        assert_int_equal(
            zmq_setsockopt(*monitor, ZMQ_LINGER, &linger, sizeof linger), 0);
        assert_int_equal(zmq_connect(*monitor, ep), 0);
    }
    assert_int_equal(zmq_connect(s, endpoint), 0);
    return s;
}

static void *kiosk(fx_t *fx, const proto_keypair_t *kp, void **monitor)
{
    return client(fx, kp, syncd_server_kiosk_endpoint(fx->srv), monitor);
}

/* Steps the server until sock has a message (then decodes it into
 * reply) or timeout_ms passes. 0, or -1 on timeout. */
static int pump_reply(fx_t *fx, void *sock, proto_msg_t *reply, int timeout_ms)
{
    return srvfx_pump_reply(fx->srv, sock, reply, PROTO_MAX_ADMIN_FRAME,
                            timeout_ms);
}

static void send_msg(void *sock, const proto_msg_t *msg)
{
    assert_int_equal(proto_zmq_send(sock, msg, 0), 0);
}

static void exchange(fx_t *fx, void *sock, const proto_msg_t *msg,
                     proto_msg_t *reply)
{
    send_msg(sock, msg);
    if (pump_reply(fx, sock, reply, 3000) != 0)
        fail_msg("no reply to %s within 3 s", proto_msg_name(msg->type));
}

/* Steps the server until the monitor reports one of the events in mask.
 * Returns that event, or 0 on timeout. */
static int pump_event(fx_t *fx, void *monitor, int mask, int timeout_ms)
{
    int64_t end = syncd_clock_mono_ms() + timeout_ms;
    while (syncd_clock_mono_ms() < end) {
        assert_int_equal(syncd_server_step(fx->srv, 5), 0);
        zmq_pollitem_t it = {monitor, 0, ZMQ_POLLIN, 0};
        while (zmq_poll(&it, 1, 0) == 1) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            assert_true(zmq_msg_recv(&m, monitor, 0) >= 0);
            uint16_t ev = 0;
            memcpy(&ev, zmq_msg_data(&m), 2);
            while (zmq_msg_more(&m))
                assert_true(zmq_msg_recv(&m, monitor, 0) >= 0);
            zmq_msg_close(&m);
            if (ev & mask)
                return ev;
        }
    }
    return 0;
}

static proto_msg_t hello_msg(const char *kiosk_id)
{
    proto_msg_t m = {.type = PROTO_MSG_HELLO};
    m.u.hello.version = PROTO_VERSION;
    snprintf(m.u.hello.kiosk_id, sizeof m.u.hello.kiosk_id, "%s", kiosk_id);
    snprintf(m.u.hello.app_version, sizeof m.u.hello.app_version, "1.2.3");
    m.u.hello.catalogue_version = 0;
    m.u.hello.last_seq = 7;
    m.u.hello.outbox_depth = 7;
    m.u.hello.oldest_unsent_s = 120;
    m.u.hello.kiosk_time_ms = T0 + 1500;
    return m;
}

static void hello_ok(fx_t *fx, void *sock, const char *kiosk_id)
{
    proto_msg_t h = hello_msg(kiosk_id), r = {0};
    exchange(fx, sock, &h, &r);
    assert_int_equal(r.type, PROTO_MSG_WELCOME);
    proto_msg_clear(&r);
}

static proto_event_t *push_add(proto_msg_t *m, proto_event_type_t type,
                               const char *kiosk_id, uint64_t seq)
{
    proto_event_t *ev = proto_realloc(
        m->u.push.events, (m->u.push.n_events + 1) * sizeof(proto_event_t));
    assert_non_null(ev);
    m->u.push.events = ev;
    ev = &m->u.push.events[m->u.push.n_events++];
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    snprintf(ev->kiosk_id, sizeof ev->kiosk_id, "%s", kiosk_id);
    ev->seq = seq;
    ev->captured_ms = T0 - 60000 + (int64_t)seq;
    ev->boot_id = 7;
    ev->mono_ms = seq;
    return ev;
}

static proto_event_t *push_checkin(proto_msg_t *m, const char *kiosk_id,
                                   uint64_t seq, const char *staff,
                                   double calls)
{
    proto_event_t *ev = push_add(m, PROTO_EV_CHECKIN, kiosk_id, seq);
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", staff);
    snprintf(ev->step_id, sizeof ev->step_id, "tm-call");
    ev->catalogue_version = 1;
    ev->n_measures = 1;
    snprintf(ev->measures[0].key, sizeof ev->measures[0].key, "calls");
    ev->measures[0].value = calls;
    ev->quality = 3;
    return ev;
}

/* PUSH of k01 seq 1..3: seq 2 names an unknown staff member. */
static proto_msg_t push_three(void)
{
    proto_msg_t m = {.type = PROTO_MSG_PUSH};
    push_checkin(&m, "k01", 1, "s1", 30);
    push_checkin(&m, "k01", 2, "s99", 10);
    push_checkin(&m, "k01", 3, "s2", 20);
    return m;
}

static void expect_error(const proto_msg_t *r, int code, const char *text)
{
    assert_int_equal(r->type, PROTO_MSG_ERROR);
    assert_string_equal(proto_errname(r->u.error.code), proto_errname(code));
    if (text)
        assert_string_equal(r->u.error.message, text);
}

static char *log_text(fx_t *fx)
{
    fflush(fx->log);
    FILE *f = fopen(fx->log_path, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static syncd_store_counts_t counts(fx_t *fx)
{
    syncd_store_counts_t c;
    assert_int_equal(syncd_store_counts(fx->store, &c), 0);
    return c;
}

/* --------------------------------------------------------- kiosk tests */

static void test_hello_welcome(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    proto_msg_t h = hello_msg("k01"), r = {0};
    exchange(fx, k, &h, &r);
    assert_int_equal(r.type, PROTO_MSG_WELCOME);
    assert_int_equal(r.u.welcome.version, PROTO_VERSION);
    assert_int_equal(r.u.welcome.acked_seq, 0);
    assert_int_equal(r.u.welcome.catalogue_version, 1);
    assert_int_equal(r.u.welcome.feed_cursor, 0);
    assert_int_equal(r.u.welcome.server_time_ms, T0);
    assert_int_equal(r.u.welcome.heartbeat_ms, HEARTBEAT_MS);
    proto_msg_clear(&r);
    assert_int_equal(syncd_server_session_count(fx->srv), 1);

    /* what the HELLO reported is on record for `syncctl status` */
    syncd_kiosk_t rec;
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k01", &rec), 0);
    assert_int_equal(rec.last_seq, 7);
    assert_int_equal(rec.outbox_depth, 7);
    assert_int_equal(rec.oldest_unsent_s, 120);
    assert_int_equal(rec.clock_skew_ms, 1500);
    assert_int_equal(rec.last_seen_ms, T0);
    assert_string_equal(rec.app_version, "1.2.3");
    assert_non_null(strstr(log_text(fx), "INFO  syncd: session started "
                                         "kiosk=k01 site=futian app=1.2.3 "
                                         "version=2 acked_seq=0 last_seq=7"));

    /* a kiosk speaking a newer version gets the server's */
    h.u.hello.version = PROTO_VERSION + 6;
    exchange(fx, k, &h, &r);
    assert_int_equal(r.type, PROTO_MSG_WELCOME);
    assert_int_equal(r.u.welcome.version, PROTO_VERSION);
    proto_msg_clear(&r);
}

static void test_push_ack_and_resend(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    hello_ok(fx, k, "k01");
    proto_msg_t p = push_three(), r = {0};
    exchange(fx, k, &p, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 3);
    assert_int_equal(r.u.ack.n_rejects, 1);
    assert_int_equal(r.u.ack.rejects[0].seq, 2);
    assert_int_equal(r.u.ack.rejects[0].code, PROTO_REJECT_UNKNOWN_STAFF);
    assert_string_equal(r.u.ack.rejects[0].reason,
                        "staff \"s99\" is not on the roster of site "
                        "\"futian\" in catalogue version 1");
    proto_msg_clear(&r);
    syncd_store_counts_t c = counts(fx);
    assert_int_equal(c.events, 2);
    assert_int_equal(c.dead_letters, 1);
    assert_non_null(strstr(log_text(fx),
                           "INFO  syncd: batch stored kiosk=k01 n=3 "
                           "accepted=2 rejected=1 duplicates=0 "
                           "acked_seq=3 ms="));

    /* the same batch again (the ACK was lost): same mark, nothing added,
     * no rejection reported twice */
    exchange(fx, k, &p, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 3);
    assert_int_equal(r.u.ack.n_rejects, 0);
    proto_msg_clear(&r);
    c = counts(fx);
    assert_int_equal(c.events, 2);
    assert_int_equal(c.dead_letters, 1);
    assert_non_null(strstr(log_text(fx),
                           "batch stored kiosk=k01 n=3 accepted=0 "
                           "rejected=0 duplicates=3 acked_seq=3"));
    proto_msg_clear(&p);

    /* a new HELLO learns the mark */
    proto_msg_t h = hello_msg("k01");
    exchange(fx, k, &h, &r);
    assert_int_equal(r.u.welcome.acked_seq, 3);
    proto_msg_clear(&r);
    char why[256];
    assert_int_equal(syncd_store_verify_rollups(fx->store, why, sizeof why), 0);

    /* every log line has the one format */
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                             "[0-9]{2}\\.[0-9]{3}Z (DEBUG|INFO |WARN |ERROR) "
                             "syncd: [a-zA-Z]",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    char *log = log_text(fx);
    int lines = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (regexec(&re, line, 0, NULL, 0) != 0)
            fail_msg("log line out of format: %s", line);
        lines++;
    }
    regfree(&re);
    assert_true(lines >= 5);
}

/* An ACKed batch waits in the store's ingest journal (SQLite) until syncd
 * folds it: as soon as the kiosks are quiet, and whenever the journal grows
 * past SYNCD_FOLD_LAG rows even while they are not. */
static void test_journal_folded_when_quiet(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    proto_msg_t r = {0};
    int most = 0;

    hello_ok(fx, k, "k01");
    /* batches of 3: one or two events while the journal is empty are
     * written out at once (test_store) */
    for (uint64_t seq = 1; seq <= 3 * (SYNCD_FOLD_LAG + 6); seq += 3) {
        proto_msg_t p = {.type = PROTO_MSG_PUSH};
        int rows;

        for (uint64_t i = 0; i < 3; i++)
            push_checkin(&p, "k01", seq + i, "s1", 1);
        exchange(fx, k, &p, &r);
        assert_int_equal(r.type, PROTO_MSG_ACK);
        assert_int_equal(r.u.ack.acked_seq, seq + 2);
        proto_msg_clear(&r);
        proto_msg_clear(&p);
        rows = syncd_store_fold(fx->store, 0); /* counts, folds nothing */
        assert_in_range(rows, 0, SYNCD_FOLD_LAG);
        if (rows > most)
            most = rows;
    }
    assert_true(most > 1); /* batches did wait in the journal */
    /* quiet: the server folds it all within a few steps */
    int64_t end = syncd_clock_mono_ms() + 5000;
    while (syncd_store_fold(fx->store, 0) > 0 && syncd_clock_mono_ms() < end)
        assert_int_equal(syncd_server_step(fx->srv, 20), 0);
    assert_int_equal(syncd_store_fold(fx->store, 0), 0);
    syncd_store_counts_t c = counts(fx);
    assert_int_equal(c.events, 3 * (SYNCD_FOLD_LAG + 6));
    char why[256];
    assert_int_equal(syncd_store_verify_rollups(fx->store, why, sizeof why), 0);
}

static void test_message_before_hello(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    proto_msg_t p = push_three(), r = {0};
    exchange(fx, k, &p, &r);
    expect_error(&r, PROTO_ESTATE,
                 "PUSH is not allowed before HELLO; send HELLO first");
    proto_msg_clear(&r);
    assert_int_equal(counts(fx).events, 0);
    /* a message no kiosk sends */
    proto_msg_t w = {.type = PROTO_MSG_WELCOME};
    w.u.welcome.version = 1;
    w.u.welcome.server_time_ms = T0;
    w.u.welcome.heartbeat_ms = 1000;
    exchange(fx, k, &w, &r);
    expect_error(&r, PROTO_ESTATE,
                 "WELCOME is not a message a kiosk sends to the server");
    proto_msg_clear(&r);
    /* then HELLO and the same PUSH work */
    hello_ok(fx, k, "k01");
    exchange(fx, k, &p, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 3);
    proto_msg_clear(&r);
    proto_msg_clear(&p);
}

/* Protocol version 2: a kiosk may have a PUSH in flight behind one that
 * fails. After a failure, PUSHes starting above the failed one are
 * refused until the failed batch is sent again (or a new HELLO), so the
 * mark never passes events the server did not store. An undecodable frame
 * may have been that PUSH. Version 1 sessions are not halted. */
static void test_failed_push_halts_the_pipeline(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    hello_ok(fx, k, "k01");
    proto_msg_t r = {0};
    static const uint8_t bad[] = {0xc1};
    assert_int_equal(zmq_send(k, bad, sizeof bad, 0), 1);
    assert_int_equal(pump_reply(fx, k, &r, 3000), 0);
    expect_error(&r, PROTO_EMALFORMED, "EMALFORMED at frame");
    proto_msg_clear(&r);
    /* the PUSH that was in flight behind it */
    proto_msg_t later = {.type = PROTO_MSG_PUSH};
    push_checkin(&later, "k01", 4, "s1", 5);
    push_checkin(&later, "k01", 5, "s2", 6);
    exchange(fx, k, &later, &r);
    expect_error(&r, PROTO_ESTATE,
                 "an earlier PUSH of this session, from seq 1, failed, so "
                 "this one was not stored; send that batch again, or HELLO "
                 "and push from its acked_seq");
    proto_msg_clear(&r);
    assert_int_equal(counts(fx).events, 0);
    /* the retry from the first unacknowledged event is taken, and lifts
     * the halt */
    proto_msg_t first = push_three();
    exchange(fx, k, &first, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 3);
    proto_msg_clear(&r);
    exchange(fx, k, &later, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 5);
    proto_msg_clear(&r);
    assert_int_equal(counts(fx).events, 4);
    assert_int_equal(counts(fx).dead_letters, 1);

    /* halted again; a new HELLO starts afresh */
    assert_int_equal(zmq_send(k, bad, sizeof bad, 0), 1);
    assert_int_equal(pump_reply(fx, k, &r, 3000), 0);
    proto_msg_clear(&r);
    proto_msg_t more = {.type = PROTO_MSG_PUSH};
    push_checkin(&more, "k01", 6, "s1", 7);
    exchange(fx, k, &more, &r);
    expect_error(&r, PROTO_ESTATE, NULL);
    proto_msg_clear(&r);
    hello_ok(fx, k, "k01");
    exchange(fx, k, &more, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 6);
    proto_msg_clear(&r);

    /* a version 1 session keeps one request in flight: not halted */
    proto_msg_t h = hello_msg("k01");
    h.u.hello.version = 1;
    exchange(fx, k, &h, &r);
    assert_int_equal(r.type, PROTO_MSG_WELCOME);
    assert_int_equal(r.u.welcome.version, 1);
    proto_msg_clear(&r);
    assert_int_equal(zmq_send(k, bad, sizeof bad, 0), 1);
    assert_int_equal(pump_reply(fx, k, &r, 3000), 0);
    proto_msg_clear(&r);
    proto_msg_t v1 = {.type = PROTO_MSG_PUSH};
    push_checkin(&v1, "k01", 7, "s1", 8);
    exchange(fx, k, &v1, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 7);
    proto_msg_clear(&r);
    assert_int_equal(counts(fx).events, 6);
    proto_msg_clear(&first);
    proto_msg_clear(&later);
    proto_msg_clear(&more);
    proto_msg_clear(&v1);
}

static void test_garbage_frames(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    hello_ok(fx, k, "k01");
    proto_msg_t r = {0};
    /* array32 claiming 4 billion elements, in five bytes */
    static const uint8_t bomb[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(zmq_send(k, bomb, sizeof bomb, 0), (int)sizeof bomb);
    assert_int_equal(pump_reply(fx, k, &r, 3000), 0);
    expect_error(&r, PROTO_ETRUNCATED, "ETRUNCATED at frame");
    proto_msg_clear(&r);
    /* a byte msgpack never uses */
    static const uint8_t bad[] = {0xc1};
    assert_int_equal(zmq_send(k, bad, sizeof bad, 0), 1);
    assert_int_equal(pump_reply(fx, k, &r, 3000), 0);
    expect_error(&r, PROTO_EMALFORMED, "EMALFORMED at frame");
    proto_msg_clear(&r);
    assert_non_null(strstr(log_text(fx), "WARN  syncd: undecodable frame "
                                         "from a kiosk; answered with ERROR "
                                         "kiosk=k01 bytes=5 "
                                         "error=ETRUNCATED"));
    /* two payload frames: dropped without an answer */
    assert_int_equal(zmq_send(k, "a", 1, ZMQ_SNDMORE), 1);
    assert_int_equal(zmq_send(k, "b", 1, 0), 1);
    assert_int_equal(pump_reply(fx, k, &r, 300), -1);
    assert_non_null(strstr(log_text(fx), "message of 2 payload frames "
                                         "dropped"));
    /* the session is intact: PING still gets PONG, no new HELLO needed */
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    ping.u.ping.last_seq = 9;
    ping.u.ping.outbox_depth = 9;
    ping.u.ping.oldest_unsent_s = 30;
    ping.u.ping.kiosk_time_ms = T0 - 250;
    exchange(fx, k, &ping, &r);
    assert_int_equal(r.type, PROTO_MSG_PONG);
    assert_int_equal(r.u.pong.server_time_ms, T0);
    assert_int_equal(r.u.pong.acked_seq, 0);
    assert_int_equal(r.u.pong.catalogue_version, 1);
    assert_int_equal(r.u.pong.feed_cursor, 0);
    proto_msg_clear(&r);
    /* the PING's figures reach the store within a second, with the other
     * kiosks' (nothing is answered meanwhile) */
    assert_int_equal(pump_reply(fx, k, &r, 1200), -1);
    syncd_kiosk_t rec;
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k01", &rec), 0);
    assert_int_equal(rec.last_seq, 9);
    assert_int_equal(rec.clock_skew_ms, -250);
}

static void test_unknown_key_refused(void **state)
{
    fx_t *fx = *state;
    void *mon = NULL;
    void *stranger = kiosk(fx, &fx->stranger_kp, &mon);
    proto_msg_t h = hello_msg("k01"), r = {0};
    send_msg(stranger, &h);
    assert_int_equal(pump_event(fx, mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 3000),
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    /* an enrolled kiosk keeps working meanwhile */
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    hello_ok(fx, k, "k01");
    /* and the stranger never got anything */
    assert_int_equal(pump_reply(fx, stranger, &r, 500), -1);
    assert_int_equal(syncd_server_session_count(fx->srv), 1);
    char want[200];
    snprintf(want, sizeof want, "domain=kiosk key=%s",
             fx->stranger_kp.public_z85);
    const char *log = log_text(fx);
    assert_non_null(strstr(log, "WARN  syncd: connection refused: key is "
                                "not enrolled"));
    assert_non_null(strstr(log, want));
    /* a manager key is not a kiosk key either */
    void *mon2 = NULL;
    void *mgr = kiosk(fx, &fx->manager_kp, &mon2);
    send_msg(mgr, &h);
    assert_int_equal(
        pump_event(fx, mon2, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 3000),
        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
}

static void test_kiosk_mismatch(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    /* HELLO in another kiosk's name */
    proto_msg_t h = hello_msg("k02"), r = {0};
    exchange(fx, k, &h, &r);
    expect_error(&r, PROTO_EDENIED,
                 "HELLO names kiosk \"k02\" but this connection's key "
                 "belongs to kiosk \"k01\"; use the key pair enrolled for "
                 "this kiosk");
    proto_msg_clear(&r);
    assert_int_equal(syncd_server_session_count(fx->srv), 0);
    /* events in another kiosk's name */
    hello_ok(fx, k, "k01");
    proto_msg_t p = {.type = PROTO_MSG_PUSH};
    push_checkin(&p, "k01", 1, "s1", 5);
    push_checkin(&p, "k02", 2, "s1", 5);
    exchange(fx, k, &p, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 2);
    assert_int_equal(r.u.ack.n_rejects, 1);
    assert_int_equal(r.u.ack.rejects[0].seq, 2);
    assert_int_equal(r.u.ack.rejects[0].code, PROTO_REJECT_KIOSK_MISMATCH);
    assert_string_equal(r.u.ack.rejects[0].reason,
                        "event names kiosk \"k02\" but was sent with the key "
                        "of kiosk \"k01\"; a kiosk may only send its own "
                        "events");
    proto_msg_clear(&r);
    proto_msg_clear(&p);
    /* nothing was stored under k02 */
    syncd_kiosk_t rec;
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k02", &rec), 0);
    assert_int_equal(rec.acked_seq, 0);
    assert_int_equal(rec.events, 0);
    assert_int_equal(counts(fx).events, 1);
}

static void test_session_expiry(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    hello_ok(fx, k, "k01");
    fx->now += 3 * HEARTBEAT_MS; /* exactly 3 heartbeats: still alive */
    assert_int_equal(syncd_server_step(fx->srv, 0), 0);
    assert_int_equal(syncd_server_session_count(fx->srv), 1);
    fx->now += 1;
    assert_int_equal(syncd_server_step(fx->srv, 0), 0);
    assert_int_equal(syncd_server_session_count(fx->srv), 0);
    assert_non_null(strstr(log_text(fx), "INFO  syncd: session expired: no "
                                         "message for 3 heartbeats "
                                         "kiosk=k01 idle_ms=3001"));
    proto_msg_t ping = {.type = PROTO_MSG_PING}, r = {0};
    exchange(fx, k, &ping, &r);
    expect_error(&r, PROTO_ESTATE,
                 "PING is not allowed before HELLO; send HELLO first");
    proto_msg_clear(&r);
    hello_ok(fx, k, "k01");
}

static void test_closed_connection_ends_session(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    hello_ok(fx, k, "k01");
    assert_int_equal(syncd_server_session_count(fx->srv), 1);
    /* the kiosk goes away without a word; the fake clock stands still, so
     * this is not the heartbeat expiry */
    assert_int_equal(zmq_close(k), 0);
    fx->socks[--fx->n_socks] = NULL;
    int64_t end = syncd_clock_mono_ms() + 3000;
    while (syncd_server_session_count(fx->srv) > 0 &&
           syncd_clock_mono_ms() < end)
        assert_int_equal(syncd_server_step(fx->srv, 20), 0);
    assert_int_equal(syncd_server_session_count(fx->srv), 0);
    assert_non_null(strstr(log_text(fx), "INFO  syncd: session ended: the "
                                         "connection was closed kiosk=k01 "
                                         "state=ready"));
}

static void test_catalogue_and_feed(void **state)
{
    fx_t *fx = *state;
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    hello_ok(fx, k, "k01");
    proto_msg_t q = {.type = PROTO_MSG_CATALOGUE_REQ}, r = {0};
    exchange(fx, k, &q, &r);
    assert_int_equal(r.type, PROTO_MSG_CATALOGUE);
    assert_int_equal(r.u.catalogue.version, 1);
    assert_false(r.u.catalogue.unchanged);
    assert_int_equal(r.u.catalogue.yaml_len, strlen(catalogue_yaml));
    assert_memory_equal(r.u.catalogue.yaml, catalogue_yaml,
                        strlen(catalogue_yaml));
    proto_msg_clear(&r);
    q.u.catalogue_req.have_version = 1;
    exchange(fx, k, &q, &r);
    assert_int_equal(r.u.catalogue.version, 1);
    assert_true(r.u.catalogue.unchanged);
    assert_null(r.u.catalogue.yaml);
    proto_msg_clear(&r);

    /* a suggestion and a vote on it in one batch, then the feed */
    proto_msg_t p = {.type = PROTO_MSG_PUSH};
    proto_event_t *s = push_add(&p, PROTO_EV_SUGGESTION, "k01", 1);
    snprintf(s->staff_id, sizeof s->staff_id, "s1");
    s->kind = PROTO_KIND_PROBLEM;
    s->title = proto_strdup("外呼名单太旧");
    snprintf(s->step_id, sizeof s->step_id, "tm-call");
    proto_event_t *v = push_add(&p, PROTO_EV_VOTE, "k01", 2);
    snprintf(v->staff_id, sizeof v->staff_id, "s2");
    snprintf(v->suggestion_id, sizeof v->suggestion_id, "k01:1");
    v->vote = 1;
    exchange(fx, k, &p, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 2);
    assert_int_equal(r.u.ack.n_rejects, 0);
    proto_msg_clear(&r);
    proto_msg_clear(&p);

    proto_msg_t f = {.type = PROTO_MSG_FEED_REQ};
    f.u.feed_req.cursor = 0;
    f.u.feed_req.max_items = 10;
    exchange(fx, k, &f, &r);
    assert_int_equal(r.type, PROTO_MSG_FEED);
    assert_int_equal(r.u.feed.n_suggestions, 1);
    assert_string_equal(r.u.feed.suggestions[0].id, "k01:1");
    assert_string_equal(r.u.feed.suggestions[0].title, "外呼名单太旧");
    assert_string_equal(r.u.feed.suggestions[0].author_id, "s1");
    assert_int_equal(r.u.feed.suggestions[0].votes, 1);
    uint64_t cursor = r.u.feed.cursor;
    assert_true(cursor > 0);
    proto_msg_clear(&r);
    /* from that cursor on, nothing new */
    f.u.feed_req.cursor = cursor;
    exchange(fx, k, &f, &r);
    assert_int_equal(r.type, PROTO_MSG_FEED);
    assert_int_equal(r.u.feed.n_suggestions, 0);
    proto_msg_clear(&r);
    /* PONG carries the site's feed cursor */
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    exchange(fx, k, &ping, &r);
    assert_int_equal(r.u.pong.feed_cursor, cursor);
    assert_int_equal(r.u.pong.acked_seq, 2);
    proto_msg_clear(&r);
}

/* --------------------------------------------------------- admin tests */

static void *manager(fx_t *fx, const proto_keypair_t *kp, void **monitor)
{
    return client(fx, kp, syncd_server_admin_endpoint(fx->srv), monitor);
}

/* Runs one admin op (args as key, value, ..., NULL) and returns the reply
 * code; *text gets a copy of the reply text (caller frees). */
/* The `next` of the last ADMIN_REP admin() received ("" = none). */
static char admin_next[sizeof ((proto_msg_t *)0)->u.admin_rep.next];

static int admin(fx_t *fx, void *sock, char **text, const char *op, ...)
{
    proto_msg_t req = {.type = PROTO_MSG_ADMIN_REQ}, rep = {0};
    snprintf(req.u.admin_req.op, sizeof req.u.admin_req.op, "%s", op);
    va_list ap;
    va_start(ap, op);
    const char *key;
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        assert_int_equal(proto_admin_arg_add(&req, key, value), 0);
    }
    va_end(ap);
    exchange(fx, sock, &req, &rep);
    proto_msg_clear(&req);
    assert_int_equal(rep.type, PROTO_MSG_ADMIN_REP);
    int code = rep.u.admin_rep.code;
    *text = strndup(rep.u.admin_rep.text ? rep.u.admin_rep.text : "",
                    rep.u.admin_rep.text_len);
    memcpy(admin_next, rep.u.admin_rep.next, sizeof admin_next);
    proto_msg_clear(&rep);
    return code;
}

static void test_revoke_cuts_off(void **state)
{
    fx_t *fx = *state;
    void *mon = NULL;
    void *k = kiosk(fx, &fx->k01_kp, &mon);
    hello_ok(fx, k, "k01");
    void *m = manager(fx, &fx->manager_kp, NULL);
    char *text;
    int64_t t0 = syncd_clock_mono_ms();
    assert_int_equal(admin(fx, m, &text, "revoke", "kiosk", "k01", NULL), 0);
    assert_string_equal(text, "{\"kiosk\":\"k01\",\"revoked\":true,"
                              "\"connections_closed\":1}");
    free(text);
    /* the kiosk is told, unasked, then its connection drops, all within
     * a second */
    proto_msg_t told = {0};
    assert_int_equal(pump_reply(fx, k, &told, 1000), 0);
    expect_error(&told, PROTO_EREVOKED,
                 "kiosk \"k01\" has been revoked; ask a manager to enrol it "
                 "again");
    proto_msg_clear(&told);
    assert_int_equal(pump_event(fx, mon, ZMQ_EVENT_DISCONNECTED, 1000),
                     ZMQ_EVENT_DISCONNECTED);
    assert_true(syncd_clock_mono_ms() - t0 < 1000);
    assert_int_equal(syncd_server_session_count(fx->srv), 0);
    /* the kiosk reconnects by itself; the handshake is refused */
    assert_int_equal(pump_event(fx, mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 3000),
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    /* libzmq has given up on that connection (no pipe: EAGAIN), or the
     * batch sits in a queue nobody reads: either way nothing arrives */
    proto_msg_t p = push_three(), r = {0};
    int src = proto_zmq_send(k, &p, ZMQ_DONTWAIT);
    assert_true(src == 0 || (src == PROTO_EIO && zmq_errno() == EAGAIN));
    assert_int_equal(pump_reply(fx, k, &r, 500), -1);
    proto_msg_clear(&p);
    assert_int_equal(counts(fx).events, 0);
    assert_non_null(strstr(log_text(fx), "domain=kiosk key="));
    assert_non_null(strstr(log_text(fx), "kiosk is revoked"));

    /* re-enrolment with a new key lets it back in */
    proto_keypair_t fresh;
    assert_int_equal(proto_keys_generate(&fresh), 0);
    assert_int_equal(admin(fx, m, &text, "enrol", "kiosk", "k01", "site",
                           "futian", "key", fresh.public_z85, NULL),
                     0);
    free(text);
    void *k2 = kiosk(fx, &fresh, NULL);
    hello_ok(fx, k2, "k01");
}

static void test_revoked_message_refused(void **state)
{
    fx_t *fx = *state;
    /* revoked behind the daemon's back (no cut): its next message gets
     * EREVOKED and the connection is closed */
    void *mon = NULL;
    void *k = kiosk(fx, &fx->k02_kp, &mon);
    hello_ok(fx, k, "k02");
    assert_int_equal(syncd_store_kiosk_revoke(fx->store, "k02", T0), 0);
    assert_true(syncd_server_reload(fx->srv) >= 0);
    proto_msg_t ping = {.type = PROTO_MSG_PING}, r = {0};
    exchange(fx, k, &ping, &r);
    expect_error(&r, PROTO_EREVOKED,
                 "kiosk \"k02\" has been revoked; ask a manager to enrol it "
                 "again");
    proto_msg_clear(&r);
    assert_int_equal(pump_event(fx, mon, ZMQ_EVENT_DISCONNECTED, 1000),
                     ZMQ_EVENT_DISCONNECTED);
}

static void test_admin_needs_manager_key(void **state)
{
    fx_t *fx = *state;
    void *mon = NULL;
    void *m = manager(fx, &fx->k01_kp, &mon); /* a kiosk's key */
    proto_msg_t req = {.type = PROTO_MSG_ADMIN_REQ}, rep = {0};
    snprintf(req.u.admin_req.op, sizeof req.u.admin_req.op, "kiosks");
    send_msg(m, &req);
    assert_int_equal(pump_event(fx, mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 3000),
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    assert_int_equal(pump_reply(fx, m, &rep, 500), -1);
    char want[200];
    snprintf(want, sizeof want, "domain=admin key=%s", fx->k01_kp.public_z85);
    assert_non_null(strstr(log_text(fx), want));
    /* the manager's own key works */
    void *ok = manager(fx, &fx->manager_kp, NULL);
    char *text;
    assert_int_equal(admin(fx, ok, &text, "ping", NULL), 0);
    assert_string_equal(text, "pong");
    free(text);
    assert_non_null(strstr(log_text(fx),
                           "INFO  syncd: admin op=ping manager=alice code=0"));
}

static void test_admin_operations(void **state)
{
    fx_t *fx = *state;
    void *m = manager(fx, &fx->manager_kp, NULL);
    char *text;
    proto_keypair_t k05;
    assert_int_equal(proto_keys_generate(&k05), 0);

    /* enrol: site checked against the catalogue, key checked */
    assert_int_equal(admin(fx, m, &text, "enrol", "kiosk", "k05", "site",
                           "luohu", "key", k05.public_z85, NULL),
                     PROTO_ENOTFOUND);
    assert_string_equal(text, "site \"luohu\" is not in catalogue version 1; "
                              "its sites are: futian");
    free(text);
    assert_int_equal(admin(fx, m, &text, "enrol", "kiosk", "k05", "site",
                           "futian", "key", "not-a-key", NULL),
                     PROTO_EINVAL);
    assert_string_equal(text, "\"not-a-key\" is not a CURVE public key (40 "
                              "Z85 characters); pass the kiosk's .pub file "
                              "or the key text");
    free(text);
    assert_int_equal(admin(fx, m, &text, "enrol", "kiosk", "k05", "site",
                           "futian", "key", k05.public_z85, NULL),
                     0);
    char want[512];
    snprintf(want, sizeof want,
             "{\"kiosk\":\"k05\",\"site\":\"futian\",\"key\":\"%s\","
             "\"reenrolled\":false,\"connections_closed\":0,"
             "\"catalogue_checked\":true}",
             k05.public_z85);
    assert_string_equal(text, want);
    free(text);
    /* the new kiosk gets in at once */
    void *mon05 = NULL;
    void *k = kiosk(fx, &k05, &mon05);
    hello_ok(fx, k, "k05");

    /* kiosks */
    assert_int_equal(admin(fx, m, &text, "kiosks", NULL), 0);
    char err[256];
    syncd_json_value_t *v =
        syncd_json_parse(text, strlen(text), err, sizeof err);
    assert_non_null(v);
    assert_int_equal(syncd_json_count(v), 3);
    assert_string_equal(
        syncd_json_as_str(syncd_json_get(syncd_json_at(v, 0), "id")), "k01");
    assert_string_equal(
        syncd_json_as_str(syncd_json_get(syncd_json_at(v, 2), "id")), "k05");
    assert_true(syncd_json_as_bool(
        syncd_json_get(syncd_json_at(v, 2), "connected"), false));
    syncd_json_value_destroy(&v);
    free(text);

    /* status after a batch from k01 */
    void *k1 = kiosk(fx, &fx->k01_kp, NULL);
    hello_ok(fx, k1, "k01");
    proto_msg_t p = push_three(), r = {0};
    exchange(fx, k1, &p, &r);
    proto_msg_clear(&r);
    proto_msg_clear(&p);
    assert_int_equal(admin(fx, m, &text, "status", NULL), 0);
    v = syncd_json_parse(text, strlen(text), err, sizeof err);
    assert_non_null(v);
    assert_int_equal(syncd_json_as_int(syncd_json_get(v, "server_time_ms"), 0),
                     T0);
    assert_int_equal(
        syncd_json_as_int(syncd_json_get(v, "catalogue_version"), 0), 1);
    const syncd_json_value_t *ks = syncd_json_get(v, "kiosks");
    assert_int_equal(syncd_json_count(ks), 3);
    const syncd_json_value_t *k01 = syncd_json_at(ks, 0);
    assert_string_equal(syncd_json_as_str(syncd_json_get(k01, "id")), "k01");
    assert_string_equal(syncd_json_as_str(syncd_json_get(k01, "site")),
                        "futian");
    assert_false(syncd_json_as_bool(syncd_json_get(k01, "revoked"), true));
    assert_true(syncd_json_as_bool(syncd_json_get(k01, "connected"), false));
    assert_int_equal(syncd_json_as_int(syncd_json_get(k01, "acked_seq"), -1),
                     3);
    assert_int_equal(syncd_json_as_int(syncd_json_get(k01, "last_seq"), -1), 7);
    assert_int_equal(syncd_json_as_int(syncd_json_get(k01, "lag"), -1), 4);
    assert_int_equal(syncd_json_as_int(syncd_json_get(k01, "outbox_depth"), -1),
                     7);
    assert_int_equal(
        syncd_json_as_int(syncd_json_get(k01, "oldest_unsent_s"), -1), 120);
    assert_int_equal(
        syncd_json_as_int(syncd_json_get(k01, "clock_skew_ms"), -1), 1500);
    assert_string_equal(syncd_json_as_str(syncd_json_get(k01, "app_version")),
                        "1.2.3");
    assert_int_equal(syncd_json_as_int(syncd_json_get(k01, "last_sync_ms"), -1),
                     T0);
    assert_string_equal(syncd_json_as_str(syncd_json_get(k01, "last_sync")),
                        "2026-11-27T02:00:00.000Z");
    const syncd_json_value_t *tot = syncd_json_get(v, "totals");
    assert_int_equal(syncd_json_as_int(syncd_json_get(tot, "kiosks"), -1), 3);
    assert_int_equal(syncd_json_as_int(syncd_json_get(tot, "events"), -1), 2);
    assert_int_equal(syncd_json_as_int(syncd_json_get(tot, "dead_letters"), -1),
                     1);
    syncd_json_value_destroy(&v);
    free(text);

    /* a PING's figures, kept to be recorded with others, are in the very
     * next status: an admin request records them first */
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    ping.u.ping.last_seq = 8;
    ping.u.ping.outbox_depth = 5;
    ping.u.ping.oldest_unsent_s = 60;
    ping.u.ping.kiosk_time_ms = T0 + 700;
    exchange(fx, k1, &ping, &r);
    assert_int_equal(r.type, PROTO_MSG_PONG);
    proto_msg_clear(&r);
    assert_int_equal(admin(fx, m, &text, "status", NULL), 0);
    v = syncd_json_parse(text, strlen(text), err, sizeof err);
    assert_non_null(v);
    k01 = syncd_json_at(syncd_json_get(v, "kiosks"), 0);
    assert_string_equal(syncd_json_as_str(syncd_json_get(k01, "id")), "k01");
    assert_int_equal(syncd_json_as_int(syncd_json_get(k01, "last_seq"), -1), 8);
    assert_int_equal(syncd_json_as_int(syncd_json_get(k01, "outbox_depth"), -1),
                     5);
    assert_int_equal(
        syncd_json_as_int(syncd_json_get(k01, "oldest_unsent_s"), -1), 60);
    assert_int_equal(
        syncd_json_as_int(syncd_json_get(k01, "clock_skew_ms"), -1), 700);
    assert_string_equal(syncd_json_as_str(syncd_json_get(k01, "app_version")),
                        "1.2.3");
    syncd_json_value_destroy(&v);
    free(text);

    /* export.events: exactly the two accepted events */
    assert_int_equal(
        admin(fx, m, &text, "export.events", "format", "json", NULL), 0);
    int lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 2);
    assert_non_null(strstr(text, "\"kiosk_id\":\"k01\",\"seq\":1,"));
    assert_non_null(strstr(text, "\"kiosk_id\":\"k01\",\"seq\":3,"));
    assert_null(strstr(text, "\"seq\":2,"));
    free(text);
    /* captured the day before 2026-11-27 (Shanghai)? no: on it */
    assert_int_equal(admin(fx, m, &text, "export.events", "format", "csv",
                           "until", "2026-11-26", NULL),
                     0);
    lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 1); /* the header only */
    free(text);
    assert_int_equal(admin(fx, m, &text, "export.events", "format", "csv",
                           "since", "2026-11-27", "until", "2026-11-27", NULL),
                     0);
    lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 3);
    free(text);
    /* paged: a page of 1 byte holds the header and one row, and names it
     * as `next`; the last page has no `next` */
    assert_int_equal(admin(fx, m, &text, "export.events", "format", "json",
                           "page", "1", NULL),
                     0);
    assert_string_equal(admin_next, "k01:1");
    assert_non_null(strstr(text, "\"kiosk_id\":\"k01\",\"seq\":1,"));
    assert_null(strstr(text, "\"seq\":3,"));
    free(text);
    assert_int_equal(admin(fx, m, &text, "export.events", "format", "json",
                           "page", "1", "after", "k01:1", NULL),
                     0);
    assert_string_equal(admin_next, "");
    assert_non_null(strstr(text, "\"kiosk_id\":\"k01\",\"seq\":3,"));
    assert_null(strstr(text, "\"seq\":1,"));
    free(text);
    static const char *const bad_pages[][2] = {
        {"0", "page \"0\" is not a size in bytes from 1 to 14680064"},
        {"14680065",
         "page \"14680065\" is not a size in bytes from 1 to 14680064"},
        {"-5", "page \"-5\" is not a size in bytes from 1 to 14680064"},
    };
    for (size_t i = 0; i < sizeof bad_pages / sizeof bad_pages[0]; i++) {
        assert_int_equal(admin(fx, m, &text, "export.events", "format", "csv",
                               "page", bad_pages[i][0], NULL),
                         PROTO_EINVAL);
        assert_string_equal(text, bad_pages[i][1]);
        free(text);
    }
    static const char *const bad_after[] = {"nope", "k01:", "k01:x",
                                            ":5", "k 1:5", "k01:-1"};
    for (size_t i = 0; i < sizeof bad_after / sizeof bad_after[0]; i++) {
        char why[128];
        snprintf(why, sizeof why,
                 "after \"%s\" is not the `next` of an earlier page "
                 "(KIOSK:SEQ)",
                 bad_after[i]);
        assert_int_equal(admin(fx, m, &text, "export.events", "format", "csv",
                               "page", "10", "after", bad_after[i], NULL),
                         PROTO_EINVAL);
        assert_string_equal(text, why);
        free(text);
    }
    assert_int_equal(
        admin(fx, m, &text, "export.events", "format", "xml", NULL),
        PROTO_EINVAL);
    assert_string_equal(text, "format \"xml\" is not known; use csv or json");
    free(text);
    assert_int_equal(admin(fx, m, &text, "export.events", "format", "csv",
                           "since", "27.11.2026", NULL),
                     PROTO_EINVAL);
    assert_string_equal(text, "since \"27.11.2026\" is not a date; write it "
                              "as YYYY-MM-DD");
    free(text);

    /* verify */
    assert_int_equal(admin(fx, m, &text, "verify", NULL), 0);
    assert_string_equal(text, "ok");
    free(text);

    /* revoke of an unknown kiosk */
    assert_int_equal(admin(fx, m, &text, "revoke", "kiosk", "k99", NULL),
                     PROTO_ENOTFOUND);
    assert_string_equal(text, "no kiosk \"k99\" is enrolled; list them with "
                              "syncctl kiosks");
    free(text);

    /* unknown op */
    assert_int_equal(admin(fx, m, &text, "frobnicate", NULL), PROTO_ENOTFOUND);
    assert_string_equal(text, "unknown operation \"frobnicate\"; the "
                              "operations are: ping, enrol, revoke, kiosks, "
                              "status, catalogue.import, catalogue.export, "
                              "catalogue.diff, export.events, verify, decide, "
                              "merge, suggestions, similar, agenda");
    free(text);

    /* k05 gets a new key: its connection made with the old one is cut
     * (without EREVOKED: the kiosk is not revoked) */
    proto_keypair_t k05b;
    assert_int_equal(proto_keys_generate(&k05b), 0);
    assert_int_equal(admin(fx, m, &text, "enrol", "kiosk", "k05", "site",
                           "futian", "key", k05b.public_z85, NULL),
                     0);
    snprintf(want, sizeof want,
             "{\"kiosk\":\"k05\",\"site\":\"futian\",\"key\":\"%s\","
             "\"reenrolled\":true,\"connections_closed\":1,"
             "\"catalogue_checked\":true}",
             k05b.public_z85);
    assert_string_equal(text, want);
    free(text);
    assert_int_equal(pump_event(fx, mon05, ZMQ_EVENT_DISCONNECTED, 1000),
                     ZMQ_EVENT_DISCONNECTED);
    proto_msg_t none = {0};
    assert_int_equal(pump_reply(fx, k, &none, 300), -1);
    void *k05new = kiosk(fx, &k05b, NULL);
    hello_ok(fx, k05new, "k05");
}

static void test_admin_catalogue(void **state)
{
    fx_t *fx = *state;
    void *m = manager(fx, &fx->manager_kp, NULL);
    char *text;
    /* a broken catalogue: the loader's line-numbered message comes back */
    assert_int_equal(admin(fx, m, &text, "catalogue.import", "yaml",
                           broken_yaml, "name", "broken.yaml", NULL),
                     PROTO_EINVAL);
    assert_string_equal(text, "broken.yaml:17: step \"st1\" has no "
                              "measures; add at least one (e.g. calls)");
    free(text);
    assert_int_equal(syncd_server_catalogue_version(fx->srv), 1);
    /* the same text again: nothing new */
    assert_int_equal(
        admin(fx, m, &text, "catalogue.import", "yaml", catalogue_yaml, NULL),
        0);
    assert_string_equal(text, "{\"version\":1,\"imported\":false}");
    free(text);
    /* a changed one becomes version 2 */
    char v2[sizeof catalogue_yaml + sizeof catalogue_v2_extra];
    const char *cut = strstr(catalogue_yaml, "framework:");
    snprintf(v2, sizeof v2, "%.*s%s%s", (int)(cut - catalogue_yaml),
             catalogue_yaml, catalogue_v2_extra, cut);
    assert_int_equal(admin(fx, m, &text, "catalogue.import", "yaml", v2,
                           "base", "1", NULL),
                     0);
    assert_string_equal(text, "{\"version\":2,\"imported\":true}");
    free(text);
    assert_int_equal(syncd_server_catalogue_version(fx->srv), 2);
    /* a second manager who reviewed against version 1 publishes late:
     * refused, version 2 stays */
    assert_int_equal(admin(fx, m, &text, "catalogue.import", "yaml",
                           catalogue_yaml, "base", "1", NULL),
                     PROTO_ESTATE);
    assert_string_equal(text, "catalogue version 2 was published after the "
                              "changes were reviewed against version 1; "
                              "nothing published; run catalogue publish "
                              "again to see the changes from version 2");
    free(text);
    assert_int_equal(admin(fx, m, &text, "catalogue.import", "yaml",
                           catalogue_yaml, "base", "two", NULL),
                     PROTO_EINVAL);
    assert_string_equal(text,
                        "catalogue.import: base \"two\" is not a version number");
    free(text);
    assert_int_equal(syncd_server_catalogue_version(fx->srv), 2);
    /* kiosks learn it in WELCOME, and s3 is now on the roster */
    void *k = kiosk(fx, &fx->k01_kp, NULL);
    proto_msg_t h = hello_msg("k01"), r = {0};
    exchange(fx, k, &h, &r);
    assert_int_equal(r.u.welcome.catalogue_version, 2);
    proto_msg_clear(&r);
    proto_msg_t p = {.type = PROTO_MSG_PUSH};
    push_checkin(&p, "k01", 1, "s3", 5)->catalogue_version = 2;
    push_checkin(&p, "k01", 2, "s1", 5)->catalogue_version = 1; /* older */
    exchange(fx, k, &p, &r);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 2);
    assert_int_equal(r.u.ack.n_rejects, 0);
    proto_msg_clear(&r);
    proto_msg_clear(&p);
    /* export of either version */
    assert_int_equal(
        admin(fx, m, &text, "catalogue.export", "version", "1", NULL), 0);
    assert_string_equal(text, catalogue_yaml);
    free(text);
    assert_int_equal(admin(fx, m, &text, "catalogue.export", NULL), 0);
    assert_string_equal(text, v2);
    free(text);
    assert_int_equal(
        admin(fx, m, &text, "catalogue.export", "version", "9", NULL),
        PROTO_ENOTFOUND);
    assert_string_equal(text, "there is no catalogue version 9; versions "
                              "run from 1 to 2");
    free(text);
    assert_non_null(strstr(log_text(fx), "catalogue imported version=2 "
                                         "manager=alice"));
}

static void test_reload_managers(void **state)
{
    fx_t *fx = *state;
    char err[512], dir[300];
    proto_keypair_t bob;
    assert_int_equal(proto_keys_generate(&bob), 0);
    snprintf(dir, sizeof dir, "%s/managers", fx->dir);
    assert_int_equal(
        proto_keys_save(&bob, dir, "bob", "manager", err, sizeof err), 0);
    /* not yet: keys are read at start and on SIGHUP (reload) */
    void *mon = NULL;
    void *m = manager(fx, &bob, &mon);
    proto_msg_t req = {.type = PROTO_MSG_ADMIN_REQ}, rep = {0};
    snprintf(req.u.admin_req.op, sizeof req.u.admin_req.op, "ping");
    send_msg(m, &req);
    assert_int_equal(pump_event(fx, mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 3000),
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    /* libzmq gives up on a connection refused at the handshake: the
     * manager tries again after the reload, and is let in */
    assert_int_equal(pump_reply(fx, m, &rep, 300), -1);
    assert_int_equal(syncd_server_reload(fx->srv), 2);
    void *again = manager(fx, &bob, NULL);
    char *text;
    assert_int_equal(admin(fx, again, &text, "ping", NULL), 0);
    assert_string_equal(text, "pong");
    free(text);
    assert_non_null(strstr(log_text(fx), "admin op=ping manager=bob code=0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hello_welcome, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_ack_and_resend, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_folded_when_quiet, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_message_before_hello, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_garbage_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_push_halts_the_pipeline,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kiosk_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_connection_ends_session,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_and_feed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_revoke_cuts_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_message_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_admin_needs_manager_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_admin_operations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_catalogue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_managers, setup, teardown),
    };
    return cmocka_run_group_tests_name("syncd/server", tests, NULL, NULL);
}
