/*
 * test_agenda_session.c — AGENDA_REQ over a real kiosk session: the daemon
 * in-process on a store seeded through the real ingest path
 * (agenda_fixture.h), real ZeroMQ with CURVE and the ZAP allow-list, a
 * fake clock. What a manager at the kiosk relies on: the exact numbers of
 * the week (worked out below), the kiosk's own site whatever it asks, the
 * session going on after a refused request.
 *
 * The dataset, site futian (Asia/Shanghai), catalogue of the fixture
 * (tm-call: calls, target 100/day, quality multiplier, cap 50 points/day;
 * tm-list: no target), roster s1, s2 (team tele), s3 (team live):
 *
 *   W47 Mon 16 Nov: s1 tm-call 50 calls q5 → 50 of 100×5×1 = 10.0 % red.
 *   W48 Mon 23, Tue 24: s1 tm-call 90 calls q3 (90 points, capped 50 each);
 *       Wed 25: s2 tm-call 60 calls q4 (80 points, capped 50).
 *       → 240 of 100×5×2 = 1000 = 24.0 % red; 3 check-ins; 150 points;
 *         quality (3+3+4)/3 = 3.33 (W47: 5.00).
 *   s1: 180 of 500 = 36.0 % red, 100 points; s2: 60 of 500 = 12.0 %, 50.
 *   Teams: tele 150 points (2 members), live 0 (1).
 *   Exceptions in order: below_target_2w tm-call (24.0 / 10.0),
 *   quality_drop tm-call (3.33 / 5.00), no_activity tm-list,
 *   no_checkins s3. Coverage 2 of 3.
 *   Ideas: "早上先打重点客户" (s1, +1 by s2 and s3) and "直播脚本太长" (s3,
 *   no votes) → groups 1 and 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <zmq.h>

#include <cmocka.h>

#include "agenda_fixture.h"
#include "server_fixture.h"
#include "protocol/keys.h"
#include "protocol/proto_zmq.h"
#include "syncd/clock.h"
#include "syncd/log.h"
#include "syncd/server.h"

typedef struct {
    afx_t *afx;
    syncd_server_t *srv;
    int64_t now;
    proto_keypair_t server_kp, k2_kp, far_kp;
    char managers[400];
    void *zctx;
    void *socks[4];
    int n_socks;
    char idea1[PROTO_ID_MAX + 1], idea2[PROTO_ID_MAX + 1];
} sx_t;

static int64_t fake_clock(void *ctx)
{
    return ((sx_t *)ctx)->now;
}

static void seed(afx_t *fx, sx_t *sx)
{
    proto_event_t w47 = afx_checkin("s1", "tm-call", "calls", 50, 5,
                                    afx_sh(2026, 11, 16, 10, 0));
    afx_push(fx, &w47, 1);
    proto_event_t w48[] = {
        afx_checkin("s1", "tm-call", "calls", 90, 3,
                    afx_sh(2026, 11, 23, 10, 0)),
        afx_checkin("s1", "tm-call", "calls", 90, 3,
                    afx_sh(2026, 11, 24, 10, 0)),
        afx_checkin("s2", "tm-call", "calls", 60, 4,
                    afx_sh(2026, 11, 25, 10, 0)),
        afx_suggestion("s1", false, "早上先打重点客户", NULL,
                       afx_sh(2026, 11, 25, 11, 0)),
        afx_suggestion("s3", false, "直播脚本太长", NULL,
                       afx_sh(2026, 11, 25, 12, 0)),
    };
    uint64_t first = fx->next_seq;
    afx_push(fx, w48, 5);
    snprintf(sx->idea1, sizeof sx->idea1, "k1:%llu",
             (unsigned long long)(first + 3));
    snprintf(sx->idea2, sizeof sx->idea2, "k1:%llu",
             (unsigned long long)(first + 4));
    proto_event_t votes[] = {
        afx_vote("s2", sx->idea1, afx_sh(2026, 11, 26, 9, 0)),
        afx_vote("s3", sx->idea1, afx_sh(2026, 11, 26, 9, 5)),
    };
    afx_push(fx, votes, 2);
}

static int setup(void **state)
{
    sx_t *sx = calloc(1, sizeof *sx);
    char err[1024];
    assert_non_null(sx);
    void *afx_state = NULL;
    assert_int_equal(afx_setup(&afx_state), 0);
    sx->afx = afx_state;
    seed(sx->afx, sx);
    syncd_log_set_level(SYNCD_LOG_ERROR);

    assert_int_equal(proto_keys_generate(&sx->server_kp), 0);
    assert_int_equal(proto_keys_generate(&sx->k2_kp), 0);
    assert_int_equal(proto_keys_generate(&sx->far_kp), 0);
    /* k2 at futian; "far" enrolled at a site the catalogue lacks */
    assert_int_equal(syncd_store_kiosk_enrol(sx->afx->store, "k2", "futian",
                                             sx->k2_kp.public_z85, 0),
                     0);
    assert_int_equal(syncd_store_kiosk_enrol(sx->afx->store, "far", "shekou",
                                             sx->far_kp.public_z85, 0),
                     0);
    snprintf(sx->managers, sizeof sx->managers, "%s/managers", sx->afx->dir);
    assert_int_equal(mkdir(sx->managers, 0700), 0);
    sx->now = afx_sh(2026, 11, 30, 9, 0); /* Monday after W48 */
    syncd_server_config_t cfg = {
        .kiosk_endpoint = "tcp://127.0.0.1:*",
        .admin_endpoint = "tcp://127.0.0.1:*",
        .server_key = sx->server_kp,
        .managers_dir = sx->managers,
        .heartbeat_ms = 60000,
        .store_path = sx->afx->path,
    };
    sx->srv =
        syncd_server_new(&cfg, sx->afx->store, fake_clock, sx, err, sizeof err);
    if (!sx->srv)
        fail_msg("server: %s", err);
    sx->zctx = zmq_ctx_new();
    assert_non_null(sx->zctx);
    *state = sx;
    return 0;
}

static int teardown(void **state)
{
    sx_t *sx = *state;
    for (int i = 0; i < sx->n_socks; i++)
        zmq_close(sx->socks[i]);
    zmq_ctx_term(sx->zctx);
    syncd_server_destroy(&sx->srv);
    void *afx_state = sx->afx;
    afx_teardown(&afx_state);
    free(sx);
    return 0;
}

static void *kiosk(sx_t *sx, const proto_keypair_t *kp)
{
    assert_true(sx->n_socks < 4);
    void *s = srvfx_dealer(sx->zctx, kp, sx->server_kp.public_z85);
    sx->socks[sx->n_socks++] = s;
    assert_int_equal(zmq_connect(s, syncd_server_kiosk_endpoint(sx->srv)), 0);
    return s;
}

/* Sends msg and steps the server until the reply arrives (10 s at most, a
 * liveness bound only). */
static void exchange(sx_t *sx, void *sock, const proto_msg_t *msg,
                     proto_msg_t *reply)
{
    assert_int_equal(proto_zmq_send(sock, msg, 0), 0);
    if (srvfx_pump_reply(sx->srv, sock, reply, PROTO_MAX_FRAME, 10000) != 0)
        fail_msg("no reply to %s", proto_msg_name(msg->type));
}

static void hello(sx_t *sx, void *sock, const char *kiosk_id)
{
    proto_msg_t h = {.type = PROTO_MSG_HELLO}, r = {0};
    h.u.hello.version = PROTO_VERSION;
    snprintf(h.u.hello.kiosk_id, sizeof h.u.hello.kiosk_id, "%s", kiosk_id);
    h.u.hello.kiosk_time_ms = sx->now;
    exchange(sx, sock, &h, &r);
    assert_int_equal(r.type, PROTO_MSG_WELCOME);
    proto_msg_clear(&r);
}

static void agenda_req(sx_t *sx, void *sock, const char *week,
                       proto_msg_t *reply)
{
    proto_msg_t m = {.type = PROTO_MSG_AGENDA_REQ};
    snprintf(m.u.agenda_req.week, sizeof m.u.agenda_req.week, "%s", week);
    exchange(sx, sock, &m, reply);
}

static void test_agenda_numbers(void **state)
{
    sx_t *sx = *state;
    void *k2 = kiosk(sx, &sx->k2_kp);
    hello(sx, k2, "k2");
    proto_msg_t r = {0};
    agenda_req(sx, k2, "2026-W48", &r);
    assert_int_equal(r.type, PROTO_MSG_AGENDA);
    const typeof(r.u.agenda) *a = &r.u.agenda;
    assert_string_equal(a->site, "futian");
    assert_string_equal(a->week, "2026-W48");
    assert_int_equal(a->generated_ms, sx->now);
    assert_int_equal(a->catalogue_version, sx->afx->cat->version);
    assert_int_equal(a->roster, 3);
    assert_int_equal(a->checked_in, 2);
    assert_int_equal(a->omitted, 0);

    /* scoreboard per step, catalogue order */
    assert_int_equal(a->n_steps, 2);
    const proto_agenda_step_t *call = &a->steps[0], *list = &a->steps[1];
    assert_string_equal(call->step_id, "tm-call");
    assert_string_equal(call->process_id, "tm");
    assert_string_equal(call->name, "外呼");
    assert_string_equal(call->measure, "calls");
    assert_int_equal(call->value_x100, 24000);
    assert_int_equal(call->target_x100, 100000);
    assert_int_equal(call->pct_x10, 240);
    assert_string_equal(call->rag, "red");
    assert_int_equal(call->people, 2);
    assert_int_equal(call->checkins, 3);
    assert_int_equal(call->points_x10, 1500);
    assert_int_equal(call->quality_x100, 333);
    assert_string_equal(list->step_id, "tm-list");
    assert_string_equal(list->name, "准备名单");
    assert_int_equal(list->value_x100, 0);
    assert_int_equal(list->target_x100, 0);
    assert_string_equal(list->rag, "");
    assert_int_equal(list->checkins, 0);

    /* people and teams, most points first */
    assert_int_equal(a->n_people, 3);
    assert_string_equal(a->people[0].staff_id, "s1");
    assert_string_equal(a->people[0].name, "张三");
    assert_string_equal(a->people[0].team_id, "tele");
    assert_int_equal(a->people[0].points_x10, 1000);
    assert_int_equal(a->people[0].checkins, 2);
    assert_int_equal(a->people[0].value_x100, 18000);
    assert_int_equal(a->people[0].target_x100, 50000);
    assert_int_equal(a->people[0].pct_x10, 360);
    assert_string_equal(a->people[0].rag, "red");
    assert_string_equal(a->people[1].staff_id, "s2");
    assert_int_equal(a->people[1].points_x10, 500);
    assert_int_equal(a->people[1].pct_x10, 120);
    assert_string_equal(a->people[2].staff_id, "s3");
    assert_int_equal(a->people[2].points_x10, 0);
    assert_int_equal(a->people[2].checkins, 0);
    assert_int_equal(a->people[2].target_x100, 0);
    assert_int_equal(a->n_teams, 2);
    assert_string_equal(a->teams[0].team_id, "tele");
    assert_string_equal(a->teams[0].name, "电销组");
    assert_int_equal(a->teams[0].members, 2);
    assert_int_equal(a->teams[0].points_x10, 1500);
    assert_string_equal(a->teams[1].team_id, "live");
    assert_int_equal(a->teams[1].points_x10, 0);

    /* exceptions, in the agenda's order */
    assert_int_equal(a->n_exceptions, 4);
    assert_string_equal(a->exceptions[0].kind, "below_target_2w");
    assert_string_equal(a->exceptions[0].subject, "step");
    assert_string_equal(a->exceptions[0].id, "tm-call");
    assert_int_equal(a->exceptions[0].now_x100, 2400);
    assert_int_equal(a->exceptions[0].before_x100, 1000);
    assert_string_equal(a->exceptions[1].kind, "quality_drop");
    assert_int_equal(a->exceptions[1].now_x100, 333);
    assert_int_equal(a->exceptions[1].before_x100, 500);
    assert_string_equal(a->exceptions[2].kind, "no_activity");
    assert_string_equal(a->exceptions[2].id, "tm-list");
    assert_string_equal(a->exceptions[2].name, "准备名单");
    assert_string_equal(a->exceptions[3].kind, "no_checkins");
    assert_string_equal(a->exceptions[3].subject, "person");
    assert_string_equal(a->exceptions[3].id, "s3");
    assert_string_equal(a->exceptions[3].name, "王五");

    /* suggestions for decision */
    assert_int_equal(a->n_decisions, 2);
    assert_string_equal(a->decisions[0].id, sx->idea1);
    assert_string_equal(a->decisions[0].title, "早上先打重点客户");
    assert_string_equal(a->decisions[0].status, "new");
    assert_int_equal(a->decisions[0].votes, 2);
    assert_int_equal(a->decisions[0].group, 1);
    assert_int_equal(a->decisions[0].rank, 1);
    assert_string_equal(a->decisions[1].id, sx->idea2);
    assert_string_equal(a->decisions[1].title, "直播脚本太长");
    assert_int_equal(a->decisions[1].votes, 0);
    assert_int_equal(a->decisions[1].group, 2);
    proto_msg_clear(&r);

    /* the week before: only s1's 50 calls */
    agenda_req(sx, k2, "2026-W47", &r);
    assert_int_equal(r.type, PROTO_MSG_AGENDA);
    assert_string_equal(r.u.agenda.week, "2026-W47");
    assert_int_equal(r.u.agenda.steps[0].value_x100, 5000);
    assert_int_equal(r.u.agenda.steps[0].target_x100, 50000);
    assert_int_equal(r.u.agenda.steps[0].pct_x10, 100);
    assert_int_equal(r.u.agenda.steps[0].quality_x100, 500);
    assert_int_equal(r.u.agenda.checked_in, 1);
    proto_msg_clear(&r);
}

static void test_agenda_default_week(void **state)
{
    sx_t *sx = *state;
    /* Saturday 28 Nov 23:30 Shanghai is 15:30 UTC: still W48 there */
    sx->now = afx_sh(2026, 11, 28, 23, 30);
    void *k2 = kiosk(sx, &sx->k2_kp);
    hello(sx, k2, "k2");
    proto_msg_t r = {0};
    agenda_req(sx, k2, "", &r);
    assert_int_equal(r.type, PROTO_MSG_AGENDA);
    assert_string_equal(r.u.agenda.week, "2026-W48");
    assert_int_equal(r.u.agenda.steps[0].value_x100, 24000);
    proto_msg_clear(&r);
    /* 00:30 Monday there: W49, nothing yet. Two days without a message
     * expire the session on the server's clock, so say HELLO again as a
     * kiosk would. */
    sx->now = afx_sh(2026, 11, 30, 0, 30);
    hello(sx, k2, "k2");
    agenda_req(sx, k2, "", &r);
    assert_int_equal(r.type, PROTO_MSG_AGENDA);
    assert_string_equal(r.u.agenda.week, "2026-W49");
    assert_int_equal(r.u.agenda.steps[0].value_x100, 0);
    assert_int_equal(r.u.agenda.checked_in, 0);
    proto_msg_clear(&r);
}

static void test_agenda_refusals(void **state)
{
    sx_t *sx = *state;
    proto_msg_t r = {0};
    void *k2 = kiosk(sx, &sx->k2_kp);
    /* before HELLO */
    agenda_req(sx, k2, "2026-W48", &r);
    assert_int_equal(r.type, PROTO_MSG_ERROR);
    assert_int_equal(r.u.error.code, PROTO_ESTATE);
    assert_string_equal(r.u.error.message,
                        "AGENDA_REQ is not allowed before HELLO; send HELLO "
                        "first");
    proto_msg_clear(&r);
    hello(sx, k2, "k2");
    /* a malformed week: EINVAL, and the session goes on */
    agenda_req(sx, k2, "2026-48", &r);
    assert_int_equal(r.type, PROTO_MSG_ERROR);
    assert_int_equal(r.u.error.code, PROTO_EINVAL);
    assert_string_equal(r.u.error.message,
                        "agenda of site futian: week \"2026-48\" is not an "
                        "ISO week; write it as 2026-W48");
    proto_msg_clear(&r);
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    ping.u.ping.kiosk_time_ms = sx->now;
    exchange(sx, k2, &ping, &r);
    assert_int_equal(r.type, PROTO_MSG_PONG);
    proto_msg_clear(&r);

    /* the site is the enrolled one: "far" (site shekou) never sees
     * futian's numbers */
    void *far = kiosk(sx, &sx->far_kp);
    hello(sx, far, "far");
    agenda_req(sx, far, "2026-W48", &r);
    assert_int_equal(r.type, PROTO_MSG_ERROR);
    assert_int_equal(r.u.error.code, PROTO_ENOTFOUND);
    assert_non_null(strstr(r.u.error.message, "site \"shekou\" is not in "
                                              "catalogue version"));
    proto_msg_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_agenda_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agenda_default_week, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_agenda_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
