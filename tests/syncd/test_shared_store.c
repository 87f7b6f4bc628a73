/*
 * test_shared_store.c — two daemons on one store, in-process: what one
 * changes (an enrolment, a revocation, a published catalogue) reaches the
 * other, so that kiosks failing over between them are admitted, cut off
 * and validated as by the daemon that made the change.
 *
 * Daemon A is only its store handle here: the changes are made through it
 * as A's admin operations would make them. Daemon B is a real server (real
 * ZeroMQ, CURVE and ZAP over tcp://127.0.0.1:*) on a second handle to the
 * same store, stepped by the test. B re-reads the store every 2 s of real
 * time; the waits below are liveness bounds well above that.
 *
 * The store is an SQLite file, or with STEPWISE_TEST_STORE=postgres a
 * fresh database on the test cluster (pgtest.h), the case several syncd
 * are meant for.
 */
#include <ftw.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#include "protocol/keys.h"
#include "protocol/proto_zmq.h"
#include "protocol/protocol.h"
#include "syncd/clock.h"
#include "syncd/log.h"
#include "syncd/server.h"
#include "syncd/store.h"

#include "server_fixture.h"
#include "store_fixture.h"

static const char catalogue_v1[] = "title: {zh: 测试目录, en: Test catalogue}\n"
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
                                   "        role: adviser\n";
/* v2 adds staff s3 to the roster */
static const char catalogue_v2_staff[] = "      - id: s3\n"
                                         "        name: {zh: 王五}\n"
                                         "        team: tele\n"
                                         "        role: adviser\n";
static const char catalogue_framework[] = "framework:\n"
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
                                          "            max: 300\n";

#define T0 ((int64_t)1795744800000)
#define WAIT_MS 8000 /* liveness bound: the refresh runs every 2 s */

typedef struct {
    char dir[256];
    sfx_t sx; /* the store: a file, or a PostgreSQL database (@postgres) */
    FILE *log;
    syncd_store_t *a; /* daemon A's handle on the store */
    syncd_store_t *b_store;
    syncd_server_t *b;
    int64_t now;
    proto_keypair_t server_kp, k01_kp, k03_kp;
    void *zctx;
    void *socks[8];
    int n_socks;
} fx_t;

static int64_t fake_clock(void *ctx)
{
    return ((fx_t *)ctx)->now;
}

static char *catalogue_text(bool v2)
{
    size_t n = strlen(catalogue_v1) + strlen(catalogue_v2_staff) +
               strlen(catalogue_framework) + 1;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "%s%s%s", catalogue_v1, v2 ? catalogue_v2_staff : "",
             catalogue_framework);
    return t;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[1024], db[512], managers[512], log_path[512];
    assert_non_null(fx);
    sfx_tmpdir(fx->dir, sizeof fx->dir, "syncd-shared");
    snprintf(log_path, sizeof log_path, "%s/syncd.log", fx->dir);
    fx->log = fopen(log_path, "w+");
    assert_non_null(fx->log);
    syncd_log_set_stream(fx->log);
    fx->now = T0;
    assert_int_equal(proto_keys_generate(&fx->server_kp), 0);
    assert_int_equal(proto_keys_generate(&fx->k01_kp), 0);
    assert_int_equal(proto_keys_generate(&fx->k03_kp), 0);
    snprintf(managers, sizeof managers, "%s/managers", fx->dir);
    assert_int_equal(mkdir(managers, 0700), 0);

    snprintf(db, sizeof db, "%s/stepwise.db", fx->dir);
    sfx_init(&fx->sx, db);
    syncd_store_options_t opt = {SYNCD_SYNC_OFF, 0};
    fx->a = syncd_store_open(fx->sx.uri, &opt, err, sizeof err);
    if (!fx->a)
        fail_msg("store a: %s", err);
    fx->b_store = syncd_store_open(fx->sx.uri, &opt, err, sizeof err);
    if (!fx->b_store)
        fail_msg("store b: %s", err);
    assert_int_equal(syncd_store_kiosk_enrol(fx->a, "k01", "futian",
                                             fx->k01_kp.public_z85, T0),
                     0);
    char *v1 = catalogue_text(false);
    uint64_t version = 0;
    assert_int_equal(
        syncd_store_catalogue_put(fx->a, v1, strlen(v1), T0, &version), 0);
    assert_int_equal(version, 1);
    free(v1);

    syncd_server_config_t cfg = {
        .kiosk_endpoint = "tcp://127.0.0.1:*",
        .admin_endpoint = "tcp://127.0.0.1:*",
        .server_key = fx->server_kp,
        .managers_dir = managers,
        .heartbeat_ms = 60000,
        .store_path = fx->sx.pg ? NULL : db,
    };
    fx->b =
        syncd_server_new(&cfg, fx->b_store, fake_clock, fx, err, sizeof err);
    if (!fx->b)
        fail_msg("server b: %s", err);
    assert_int_equal(syncd_server_catalogue_version(fx->b), 1);
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
    syncd_server_destroy(&fx->b);
    syncd_store_destroy(&fx->b_store);
    syncd_store_destroy(&fx->a);
    sfx_fini(&fx->sx);
    syncd_log_set_stream(NULL);
    fclose(fx->log);
    sfx_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* A kiosk's DEALER to daemon B with key pair kp. */
static void *kiosk(fx_t *fx, const proto_keypair_t *kp)
{
    assert_true(fx->n_socks < 8);
    void *s = srvfx_dealer(fx->zctx, kp, fx->server_kp.public_z85);
    fx->socks[fx->n_socks++] = s;
    assert_int_equal(zmq_connect(s, syncd_server_kiosk_endpoint(fx->b)), 0);
    return s;
}

/* Steps B until sock has a message (decoded into reply) or timeout_ms
 * passes: 0, or -1 on timeout. */
static int pump_reply(fx_t *fx, void *sock, proto_msg_t *reply, int timeout_ms)
{
    return srvfx_pump_reply(fx->b, sock, reply, PROTO_MAX_FRAME, timeout_ms);
}

static proto_msg_t hello_msg(const char *kiosk_id, uint64_t catalogue_version)
{
    proto_msg_t m = {.type = PROTO_MSG_HELLO};
    m.u.hello.version = PROTO_VERSION;
    snprintf(m.u.hello.kiosk_id, sizeof m.u.hello.kiosk_id, "%s", kiosk_id);
    snprintf(m.u.hello.app_version, sizeof m.u.hello.app_version, "1.0");
    m.u.hello.catalogue_version = catalogue_version;
    m.u.hello.kiosk_time_ms = T0;
    return m;
}

static void hello_welcome(fx_t *fx, void *sock, const char *kiosk_id,
                          uint64_t catalogue_version, proto_msg_t *welcome)
{
    proto_msg_t h = hello_msg(kiosk_id, catalogue_version);
    assert_int_equal(proto_zmq_send(sock, &h, 0), 0);
    if (pump_reply(fx, sock, welcome, WAIT_MS) != 0)
        fail_msg("no WELCOME for %s from daemon b within %d ms", kiosk_id,
                 WAIT_MS);
    assert_int_equal(welcome->type, PROTO_MSG_WELCOME);
}

/* An enrolment made through A admits the kiosk at B: the ZAP allow-list
 * is re-read from the store. */
static void test_enrolled_elsewhere_is_admitted(void **state)
{
    fx_t *fx = *state;
    proto_msg_t w = {0};
    /* B has read the allow-list without k03 */
    assert_int_equal(syncd_server_step(fx->b, 0), 0);
    assert_int_equal(syncd_store_kiosk_enrol(fx->a, "k03", "futian",
                                             fx->k03_kp.public_z85, T0),
                     0);
    /* Refused at its first handshakes, as the kiosk would be, it tries
     * again on a new connection (libzmq does not retry a refused
     * handshake by itself). */
    proto_msg_t h = hello_msg("k03", 1);
    int64_t end = syncd_clock_mono_ms() + WAIT_MS;
    bool welcomed = false;
    while (!welcomed && syncd_clock_mono_ms() < end) {
        void *k03 = kiosk(fx, &fx->k03_kp);
        assert_int_equal(proto_zmq_send(k03, &h, 0), 0);
        welcomed = pump_reply(fx, k03, &w, 500) == 0;
        if (!welcomed) {
            zmq_close(k03);
            fx->n_socks--;
        }
    }
    if (!welcomed)
        fail_msg("k03, enrolled through a, was not admitted by b within "
                 "%d ms",
                 WAIT_MS);
    assert_int_equal(w.type, PROTO_MSG_WELCOME);
    assert_int_equal(w.u.welcome.acked_seq, 0);
    assert_int_equal(w.u.welcome.catalogue_version, 1);
    proto_msg_clear(&w);
    assert_int_equal(syncd_server_session_count(fx->b), 1);
}

/* A revocation made through A ends the kiosk's session at B, with the
 * same ERROR EREVOKED that B's own revoke sends. */
static void test_revoked_elsewhere_is_cut_off(void **state)
{
    fx_t *fx = *state;
    proto_msg_t w = {0}, r = {0};
    void *k01 = kiosk(fx, &fx->k01_kp);
    hello_welcome(fx, k01, "k01", 1, &w);
    proto_msg_clear(&w);
    assert_int_equal(syncd_server_session_count(fx->b), 1);
    assert_int_equal(syncd_store_kiosk_revoke(fx->a, "k01", T0 + 1000), 0);
    if (pump_reply(fx, k01, &r, WAIT_MS) != 0)
        fail_msg("daemon b did not cut off k01, revoked through a, within "
                 "%d ms",
                 WAIT_MS);
    assert_int_equal(r.type, PROTO_MSG_ERROR);
    assert_string_equal(proto_errname(r.u.error.code),
                        proto_errname(PROTO_EREVOKED));
    assert_string_equal(r.u.error.message,
                        "kiosk \"k01\" has been revoked; ask a manager to "
                        "enrol it again");
    proto_msg_clear(&r);
    assert_int_equal(syncd_server_session_count(fx->b), 0);
}

/* A catalogue published through A: a kiosk that has it (from A) is told
 * so by B at once, and its check-ins naming it are accepted by B,
 * including staff only that version has. */
static void test_catalogue_published_elsewhere(void **state)
{
    fx_t *fx = *state;
    proto_msg_t w = {0}, r = {0};
    void *k01 = kiosk(fx, &fx->k01_kp);
    hello_welcome(fx, k01, "k01", 1, &w);
    proto_msg_clear(&w);

    char *v2 = catalogue_text(true);
    uint64_t version = 0;
    assert_int_equal(
        syncd_store_catalogue_put(fx->a, v2, strlen(v2), T0 + 1000, &version),
        0);
    assert_int_equal(version, 2);
    free(v2);

    /* the kiosk has version 2: B must not offer it version 1 */
    proto_msg_t req = {.type = PROTO_MSG_CATALOGUE_REQ};
    req.u.catalogue_req.have_version = 2;
    assert_int_equal(proto_zmq_send(k01, &req, 0), 0);
    assert_int_equal(pump_reply(fx, k01, &r, WAIT_MS), 0);
    assert_int_equal(r.type, PROTO_MSG_CATALOGUE);
    assert_int_equal(r.u.catalogue.version, 2);
    assert_true(r.u.catalogue.unchanged);
    proto_msg_clear(&r);

    proto_msg_t push = {.type = PROTO_MSG_PUSH};
    proto_event_t *ev = proto_malloc(sizeof *ev); /* the message frees it */
    assert_non_null(ev);
    memset(ev, 0, sizeof *ev);
    push.u.push.events = ev;
    push.u.push.n_events = 1;
    ev->type = PROTO_EV_CHECKIN;
    snprintf(ev->kiosk_id, sizeof ev->kiosk_id, "k01");
    ev->seq = 1;
    ev->captured_ms = T0;
    ev->boot_id = 1;
    ev->mono_ms = 1;
    snprintf(ev->staff_id, sizeof ev->staff_id, "s3");
    snprintf(ev->step_id, sizeof ev->step_id, "tm-call");
    ev->catalogue_version = 2;
    ev->n_measures = 1;
    snprintf(ev->measures[0].key, sizeof ev->measures[0].key, "calls");
    ev->measures[0].value = 12;
    assert_int_equal(proto_zmq_send(k01, &push, 0), 0);
    proto_msg_clear(&push);
    assert_int_equal(pump_reply(fx, k01, &r, WAIT_MS), 0);
    assert_int_equal(r.type, PROTO_MSG_ACK);
    assert_int_equal(r.u.ack.acked_seq, 1);
    assert_int_equal(r.u.ack.n_rejects, 0);
    proto_msg_clear(&r);
    syncd_store_counts_t c;
    assert_int_equal(syncd_store_counts(fx->a, &c), 0);
    assert_int_equal(c.events, 1);
    assert_int_equal(c.dead_letters, 0);
    assert_int_equal(syncd_server_catalogue_version(fx->b), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enrolled_elsewhere_is_admitted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_elsewhere_is_cut_off,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_published_elsewhere,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
