/*
 * test_ingest.c — PUSH validation without sockets: every rejection code
 * with its exact reason text, site-local days across midnight and DST,
 * points with and without the quality multiplier, the increasing-seq rule,
 * duplicates below the high-water mark, votes on a suggestion created
 * earlier in the same batch.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "protocol/catalogue.h"
#include "protocol/protocol.h"
#include "syncd/ingest.h"

/* Version 3 is current; version 2 still had step tm-old and staff s-old. */
static const char cat_v3[] = "title: {zh: 测试目录, en: Test catalogue}\n"
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
                             "  - id: bizdev\n"
                             "    name: {zh: 业务拓展}\n"
                             "    processes:\n"
                             "      - id: tm\n"
                             "        name: {zh: 电话营销}\n"
                             "        steps:\n"
                             "          - id: tm-call\n"
                             "            name: {zh: 外呼}\n"
                             "            measures:\n"
                             "              - id: calls\n"
                             "                name: {zh: 外呼}\n"
                             "                unit: {zh: 通}\n"
                             "                points: 0.5\n"
                             "                max: 300\n"
                             "              - id: effective\n"
                             "                name: {zh: 有效通话}\n"
                             "                unit: {zh: 通}\n"
                             "                points: 2\n"
                             "                max: 100\n"
                             "            quality: true\n"
                             "            points: {quality_multiplier: true}\n"
                             "          - id: tm-list\n"
                             "            name: {zh: 准备名单}\n"
                             "            measures:\n"
                             "              - id: lists\n"
                             "                name: {zh: 名单}\n"
                             "                unit: {zh: 份}\n"
                             "                points: 1\n"
                             "                max: 10\n"
                             "            quality: true\n"
                             "            points: {quality_multiplier: false}\n"
                             "      - id: live\n"
                             "        name: {zh: 直播}\n"
                             "        steps:\n"
                             "          - id: live-run\n"
                             "            name: {zh: 直播}\n"
                             "            measures:\n"
                             "              - id: viewers\n"
                             "                name: {zh: 观众}\n"
                             "                unit: {zh: 人}\n"
                             "                points: 0.1\n"
                             "                max: 5000\n";

static const char cat_v2[] = "title: {zh: 测试目录, en: Test catalogue}\n"
                             "sites:\n"
                             "  - id: futian\n"
                             "    name: {zh: 福田营业部}\n"
                             "    teams:\n"
                             "      - id: tele\n"
                             "        name: {zh: 电销组}\n"
                             "    staff:\n"
                             "      - id: s-old\n"
                             "        name: {zh: 老王}\n"
                             "        team: tele\n"
                             "        role: adviser\n"
                             "framework:\n"
                             "  - id: tm\n"
                             "    name: {zh: 电话营销}\n"
                             "    steps:\n"
                             "      - id: tm-old\n"
                             "        name: {zh: 旧步骤}\n"
                             "        measures:\n"
                             "          - id: calls\n"
                             "            name: {zh: 外呼}\n"
                             "            unit: {zh: 通}\n"
                             "            points: 1\n"
                             "            max: 50\n";

typedef struct {
    proto_catalogue_t *v3, *v2;
    syncd_ingest_t *ing;
    syncd_ingest_env_t env;
    int exists_calls;
    int exists_answer; /* what suggestion_exists returns */
    proto_msg_t push;
} fx_t;

static const proto_catalogue_t *catalogue_cb(void *ctx, uint64_t version)
{
    fx_t *fx = ctx;
    if (version == 2)
        return fx->v2;
    if (version == 3)
        return fx->v3;
    return NULL;
}

static int exists_cb(void *ctx, const char *id)
{
    fx_t *fx = ctx;
    (void)id;
    fx->exists_calls++;
    return fx->exists_answer;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[512];
    fx->v3 = proto_catalogue_load_string(cat_v3, strlen(cat_v3), "v3.yaml", err,
                                         sizeof err);
    if (!fx->v3)
        fail_msg("test catalogue v3 does not load: %s", err);
    fx->v2 = proto_catalogue_load_string(cat_v2, strlen(cat_v2), "v2.yaml", err,
                                         sizeof err);
    if (!fx->v2)
        fail_msg("test catalogue v2 does not load: %s", err);
    fx->v3->version = 3;
    fx->v2->version = 2;
    fx->ing = syncd_ingest_new();
    assert_non_null(fx->ing);
    fx->env.kiosk_id = "k01";
    fx->env.site_id = "futian";
    fx->env.acked_seq = 0;
    fx->env.current = fx->v3;
    fx->env.catalogue = catalogue_cb;
    fx->env.suggestion_exists = exists_cb;
    fx->env.ctx = fx;
    fx->push.type = PROTO_MSG_PUSH;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    proto_msg_clear(&fx->push);
    syncd_ingest_destroy(&fx->ing);
    assert_null(fx->ing);
    proto_catalogue_destroy(&fx->v3);
    proto_catalogue_destroy(&fx->v2);
    free(fx);
    return 0;
}

/* 2026-11-27 10:00 Asia/Shanghai */
#define T0 ((int64_t)1795744800000)

static proto_event_t *add_event(fx_t *fx, proto_event_type_t type, uint64_t seq)
{
    proto_msg_t *m = &fx->push;
    proto_event_t *ev = proto_realloc(
        m->u.push.events, (m->u.push.n_events + 1) * sizeof(proto_event_t));
    assert_non_null(ev);
    m->u.push.events = ev;
    ev = &m->u.push.events[m->u.push.n_events++];
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    snprintf(ev->kiosk_id, sizeof ev->kiosk_id, "k01");
    ev->seq = seq;
    ev->captured_ms = T0 + (int64_t)seq * 1000;
    ev->boot_id = 42;
    ev->mono_ms = seq * 1000;
    return ev;
}

static proto_event_t *checkin(fx_t *fx, uint64_t seq, const char *staff,
                              const char *step, uint64_t version)
{
    proto_event_t *ev = add_event(fx, PROTO_EV_CHECKIN, seq);
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", staff);
    snprintf(ev->step_id, sizeof ev->step_id, "%s", step);
    ev->catalogue_version = version;
    return ev;
}

static void measure(proto_event_t *ev, const char *key, double v)
{
    proto_measure_t *m = &ev->measures[ev->n_measures++];
    snprintf(m->key, sizeof m->key, "%s", key);
    m->value = v;
}

static proto_event_t *suggestion(fx_t *fx, uint64_t seq, const char *staff,
                                 const char *title)
{
    proto_event_t *ev = add_event(fx, PROTO_EV_SUGGESTION, seq);
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", staff);
    ev->kind = PROTO_KIND_IDEA;
    ev->title = proto_strdup(title);
    assert_non_null(ev->title);
    return ev;
}

static proto_event_t *vote(fx_t *fx, uint64_t seq, const char *staff,
                           const char *sid)
{
    proto_event_t *ev = add_event(fx, PROTO_EV_VOTE, seq);
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", staff);
    snprintf(ev->suggestion_id, sizeof ev->suggestion_id, "%s", sid);
    ev->vote = 1;
    return ev;
}

static proto_event_t *rating(fx_t *fx, uint64_t seq, const char *staff,
                             uint8_t score)
{
    proto_event_t *ev = add_event(fx, PROTO_EV_RATING, seq);
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", staff);
    ev->score = score;
    return ev;
}

static void build(fx_t *fx)
{
    assert_int_equal(syncd_ingest_build(fx->ing, &fx->env, &fx->push), 0);
}

/* Exactly one rejection, of seq with code and reason; and the store's
 * item for seq carries the same. */
static void expect_only_reject(fx_t *fx, uint64_t seq, int code,
                               const char *reason)
{
    size_t n;
    const proto_reject_t *r = syncd_ingest_rejects(fx->ing, &n);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].seq, seq);
    assert_string_equal(proto_reject_name(r[0].code), proto_reject_name(code));
    assert_string_equal(r[0].reason, reason);
    size_t ni;
    const syncd_ingest_item_t *items = syncd_ingest_items(fx->ing, &ni);
    for (size_t i = 0; i < ni; i++) {
        if (items[i].event->seq == seq) {
            assert_int_equal(items[i].reject_code, code);
            assert_string_equal(items[i].reason, reason);
            assert_true(items[i].points == 0);
        } else {
            assert_int_equal(items[i].reject_code, 0);
        }
    }
}

/* ---------------------------------------------------------------- tests */

static void test_accepts_valid_events(void **state)
{
    fx_t *fx = *state;
    proto_event_t *c = checkin(fx, 1, "s1", "tm-call", 3);
    measure(c, "calls", 30);
    measure(c, "effective", 5);
    c->quality = 4;
    suggestion(fx, 2, "s2", "名单太旧")->process_id[0] = '\0';
    rating(fx, 3, "s1", 5);
    build(fx);
    size_t n, nr;
    const syncd_ingest_item_t *items = syncd_ingest_items(fx->ing, &n);
    syncd_ingest_rejects(fx->ing, &nr);
    assert_int_equal(n, 3);
    assert_int_equal(nr, 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(items[i].event->seq, i + 1);
        assert_int_equal(items[i].reject_code, 0);
        assert_null(items[i].reason);
        assert_string_equal(items[i].day, "2026-11-27");
    }
    /* (30 x 0.5 + 5 x 2) x 4/3 */
    assert_true(fabs(items[0].points - 25.0 * 4.0 / 3.0) < 1e-9);
    assert_true(items[1].points == 0);
    assert_true(items[2].points == 0);
    assert_int_equal(fx->exists_calls, 0);
}

static void test_points(void **state)
{
    fx_t *fx = *state;
    /* multiplier, no quality given: plain sum */
    measure(checkin(fx, 1, "s1", "tm-call", 3), "calls", 10);
    /* multiplier with quality 5: x 5/3 */
    proto_event_t *c = checkin(fx, 2, "s1", "tm-call", 3);
    measure(c, "calls", 10);
    measure(c, "effective", 3);
    c->quality = 5;
    /* no multiplier: quality does not change points */
    c = checkin(fx, 3, "s2", "tm-list", 3);
    measure(c, "lists", 2);
    c->quality = 1;
    /* points under the older version's rules (1 per call there) */
    measure(checkin(fx, 4, "s-old", "tm-old", 2), "calls", 7);
    build(fx);
    size_t n;
    const syncd_ingest_item_t *items = syncd_ingest_items(fx->ing, &n);
    assert_int_equal(n, 4);
    assert_true(fabs(items[0].points - 5.0) < 1e-9);
    assert_true(fabs(items[1].points - 11.0 * 5.0 / 3.0) < 1e-9);
    assert_true(fabs(items[2].points - 2.0) < 1e-9);
    assert_true(fabs(items[3].points - 7.0) < 1e-9);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(items[i].reject_code, 0);
}

typedef struct {
    const char *name;
    void (*make)(fx_t *fx);
    int code;
    const char *reason;
} reject_case_t;

static void mk_mismatch(fx_t *fx)
{
    proto_event_t *e = checkin(fx, 1, "s1", "tm-call", 3);
    snprintf(e->kiosk_id, sizeof e->kiosk_id, "k02");
}
static void mk_unknown_staff(fx_t *fx)
{
    checkin(fx, 1, "s99", "tm-call", 3);
}
static void mk_unknown_step(fx_t *fx)
{
    checkin(fx, 1, "s1", "tm-cal", 3);
}
static void mk_missing_version(fx_t *fx)
{
    checkin(fx, 1, "s1", "tm-call", 9);
}
static void mk_old_step_in_new_version(fx_t *fx)
{
    checkin(fx, 1, "s1", "tm-old", 3);
}
static void mk_unknown_measure(fx_t *fx)
{
    measure(checkin(fx, 1, "s1", "tm-call", 3), "visits", 1);
}
static void mk_measure_too_big(fx_t *fx)
{
    measure(checkin(fx, 1, "s1", "tm-call", 3), "calls", 301);
}
static void mk_measure_negative(fx_t *fx)
{
    measure(checkin(fx, 1, "s1", "tm-call", 3), "calls", -1);
}
static void mk_measure_nan(fx_t *fx)
{
    measure(checkin(fx, 1, "s1", "tm-call", 3), "calls", NAN);
}
static void mk_quality(fx_t *fx)
{
    checkin(fx, 1, "s1", "tm-call", 3)->quality = 6;
}
static void mk_blank_title(fx_t *fx)
{
    suggestion(fx, 1, "s1", " \t\xe3\x80\x80 ");
}
static void mk_no_author(fx_t *fx)
{
    suggestion(fx, 1, "", "更新名单");
}
static void mk_suggestion_staff(fx_t *fx)
{
    suggestion(fx, 1, "s99", "更新名单");
}
static void mk_unknown_process(fx_t *fx)
{
    proto_event_t *e = suggestion(fx, 1, "s1", "更新名单");
    snprintf(e->process_id, sizeof e->process_id, "nope");
}
static void mk_suggestion_step(fx_t *fx)
{
    proto_event_t *e = suggestion(fx, 1, "s1", "更新名单");
    snprintf(e->step_id, sizeof e->step_id, "tm-cal");
}
static void mk_step_outside_process(fx_t *fx)
{
    proto_event_t *e = suggestion(fx, 1, "s1", "更新名单");
    snprintf(e->process_id, sizeof e->process_id, "live");
    snprintf(e->step_id, sizeof e->step_id, "tm-call");
}
static void mk_unknown_suggestion(fx_t *fx)
{
    vote(fx, 1, "s1", "k01:99");
}
static void mk_vote_value(fx_t *fx)
{
    vote(fx, 1, "s1", "k01:99")->vote = -1;
}
static void mk_vote_staff(fx_t *fx)
{
    vote(fx, 1, "s99", "k01:99");
}
static void mk_score(fx_t *fx)
{
    rating(fx, 1, "s1", 6);
}
static void mk_rating_staff(fx_t *fx)
{
    rating(fx, 1, "s99", 4);
}
static void mk_rating_step(fx_t *fx)
{
    snprintf(rating(fx, 1, "s1", 4)->step_id, PROTO_ID_MAX + 1, "tm-cal");
}
static void mk_unknown_type(fx_t *fx)
{
    add_event(fx, (proto_event_type_t)9, 1);
}

static const reject_case_t reject_cases[] = {
    {"kiosk mismatch", mk_mismatch, PROTO_REJECT_KIOSK_MISMATCH,
     "event names kiosk \"k02\" but was sent with the key of kiosk \"k01\"; "
     "a kiosk may only send its own events"},
    {"unknown staff", mk_unknown_staff, PROTO_REJECT_UNKNOWN_STAFF,
     "staff \"s99\" is not on the roster of site \"futian\" in catalogue "
     "version 3"},
    {"unknown step", mk_unknown_step, PROTO_REJECT_UNKNOWN_STEP,
     "step \"tm-cal\" is not in catalogue version 3"},
    {"missing version", mk_missing_version, PROTO_REJECT_UNKNOWN_STEP,
     "step \"tm-call\" is not in catalogue version 9, which the server does "
     "not have"},
    {"old step, new version", mk_old_step_in_new_version,
     PROTO_REJECT_UNKNOWN_STEP,
     "step \"tm-old\" is not in catalogue version 3"},
    {"unknown measure", mk_unknown_measure, PROTO_REJECT_UNKNOWN_MEASURE,
     "measure \"visits\" is not defined for step \"tm-call\" in catalogue "
     "version 3"},
    {"measure above max", mk_measure_too_big, PROTO_REJECT_OUT_OF_RANGE,
     "measure \"calls\" is 301; one check-in of step \"tm-call\" may record "
     "at most 300"},
    {"negative measure", mk_measure_negative, PROTO_REJECT_OUT_OF_RANGE,
     "measure \"calls\" is -1; it must be a number of at least 0"},
    {"NaN measure", mk_measure_nan, PROTO_REJECT_OUT_OF_RANGE,
     "measure \"calls\" is nan; it must be a number of at least 0"},
    {"quality", mk_quality, PROTO_REJECT_OUT_OF_RANGE,
     "quality 6 is outside 1..5 (0 = not given)"},
    {"blank title", mk_blank_title, PROTO_REJECT_INVALID,
     "the suggestion's title is empty; a suggestion needs a title"},
    {"no author", mk_no_author, PROTO_REJECT_INVALID,
     "the suggestion names no author and is not marked anonymous"},
    {"suggestion author", mk_suggestion_staff, PROTO_REJECT_UNKNOWN_STAFF,
     "staff \"s99\" is not on the roster of site \"futian\" in catalogue "
     "version 3"},
    {"unknown process", mk_unknown_process, PROTO_REJECT_UNKNOWN_PROCESS,
     "process \"nope\" is not in catalogue version 3"},
    {"suggestion step", mk_suggestion_step, PROTO_REJECT_UNKNOWN_STEP,
     "step \"tm-cal\" is not in catalogue version 3"},
    {"step outside process", mk_step_outside_process, PROTO_REJECT_INVALID,
     "step \"tm-call\" is not part of process \"live\" in catalogue version "
     "3"},
    {"unknown suggestion", mk_unknown_suggestion,
     PROTO_REJECT_UNKNOWN_SUGGESTION,
     "suggestion \"k01:99\" does not exist on the server"},
    {"vote value", mk_vote_value, PROTO_REJECT_OUT_OF_RANGE,
     "vote -1 is neither +1 nor 0 (withdraw)"},
    {"voter", mk_vote_staff, PROTO_REJECT_UNKNOWN_STAFF,
     "staff \"s99\" is not on the roster of site \"futian\" in catalogue "
     "version 3"},
    {"score", mk_score, PROTO_REJECT_OUT_OF_RANGE, "score 6 is outside 1..5"},
    {"rated staff", mk_rating_staff, PROTO_REJECT_UNKNOWN_STAFF,
     "staff \"s99\" is not on the roster of site \"futian\" in catalogue "
     "version 3"},
    {"rating step", mk_rating_step, PROTO_REJECT_UNKNOWN_STEP,
     "step \"tm-cal\" is not in catalogue version 3"},
    {"unknown type", mk_unknown_type, PROTO_REJECT_INVALID,
     "event type 9 is not known to this server"},
};

static void test_rejection_table(void **state)
{
    fx_t *fx = *state;
    for (size_t i = 0; i < sizeof reject_cases / sizeof reject_cases[0]; i++) {
        const reject_case_t *rc = &reject_cases[i];
        proto_msg_clear(&fx->push);
        fx->push.type = PROTO_MSG_PUSH;
        rc->make(fx);
        /* a valid event after it must still be accepted */
        measure(checkin(fx, 2, "s1", "tm-call", 3), "calls", 1);
        build(fx);
        print_message("case: %s\n", rc->name);
        expect_only_reject(fx, 1, rc->code, rc->reason);
        size_t n;
        syncd_ingest_items(fx->ing, &n);
        assert_int_equal(n, 2);
    }
}

static void test_bad_order(void **state)
{
    fx_t *fx = *state;
    measure(checkin(fx, 5, "s1", "tm-call", 3), "calls", 1);
    measure(checkin(fx, 4, "s1", "tm-call", 3), "calls", 1);
    measure(checkin(fx, 5, "s1", "tm-call", 3), "calls", 1);
    measure(checkin(fx, 6, "s1", "tm-call", 3), "calls", 1);
    checkin(fx, 0, "s1", "tm-call", 3);
    build(fx);
    size_t n, nr;
    const syncd_ingest_item_t *items = syncd_ingest_items(fx->ing, &n);
    const proto_reject_t *r = syncd_ingest_rejects(fx->ing, &nr);
    /* the store sees 5 and 6 only, in order */
    assert_int_equal(n, 2);
    assert_int_equal(items[0].event->seq, 5);
    assert_int_equal(items[1].event->seq, 6);
    assert_int_equal(items[0].reject_code, 0);
    assert_int_equal(items[1].reject_code, 0);
    assert_int_equal(nr, 3);
    assert_int_equal(r[0].seq, 4);
    assert_int_equal(r[0].code, PROTO_REJECT_BAD_ORDER);
    assert_string_equal(r[0].reason, "seq 4 does not follow seq 5 in this "
                                     "batch; send events in increasing seq "
                                     "order");
    assert_int_equal(r[1].seq, 5);
    assert_string_equal(r[1].reason, "seq 5 does not follow seq 5 in this "
                                     "batch; send events in increasing seq "
                                     "order");
    assert_int_equal(r[2].seq, 0);
    assert_int_equal(r[2].code, PROTO_REJECT_BAD_ORDER);
    assert_string_equal(r[2].reason,
                        "seq 0 is not valid; sequence numbers start at 1");
}

static void test_votes_in_same_batch(void **state)
{
    fx_t *fx = *state;
    suggestion(fx, 1, "s1", "外呼名单每周更新");
    vote(fx, 2, "s2", "k01:1");
    suggestion(fx, 3, "s1", "   "); /* rejected: blank title */
    vote(fx, 4, "s2", "k01:3");     /* so this one has nothing to vote on */
    vote(fx, 5, "s1", "k07:12");    /* another kiosk's: asks the store */
    build(fx);
    size_t n, nr;
    const syncd_ingest_item_t *items = syncd_ingest_items(fx->ing, &n);
    const proto_reject_t *r = syncd_ingest_rejects(fx->ing, &nr);
    assert_int_equal(n, 5);
    assert_int_equal(items[0].reject_code, 0);
    assert_int_equal(items[1].reject_code, 0);
    assert_int_equal(items[2].reject_code, PROTO_REJECT_INVALID);
    assert_int_equal(items[3].reject_code, PROTO_REJECT_UNKNOWN_SUGGESTION);
    assert_int_equal(items[4].reject_code, PROTO_REJECT_UNKNOWN_SUGGESTION);
    assert_int_equal(nr, 3);
    assert_string_equal(r[1].reason,
                        "suggestion \"k01:3\" does not exist on the server");
    assert_string_equal(r[2].reason,
                        "suggestion \"k07:12\" does not exist on the server");
    /* k01:1 came from the batch; k01:3 and k07:12 were asked of the store */
    assert_int_equal(fx->exists_calls, 2);

    /* the store knows k07:12: accepted */
    fx->exists_answer = 1;
    fx->exists_calls = 0;
    proto_msg_clear(&fx->push);
    fx->push.type = PROTO_MSG_PUSH;
    vote(fx, 6, "s1", "k07:12");
    build(fx);
    syncd_ingest_rejects(fx->ing, &nr);
    assert_int_equal(nr, 0);
    assert_int_equal(fx->exists_calls, 1);

    /* the store fails: nothing may be acknowledged */
    fx->exists_answer = PROTO_ESTORE;
    assert_int_equal(syncd_ingest_build(fx->ing, &fx->env, &fx->push),
                     PROTO_ESTORE);
}

static void test_anonymous_suggestion(void **state)
{
    fx_t *fx = *state;
    proto_event_t *e = suggestion(fx, 1, "s1", "早会太长");
    e->anonymous = true;
    /* anonymous: even an unknown author is fine, and erased */
    e = suggestion(fx, 2, "nobody", "早会太长");
    e->anonymous = true;
    build(fx);
    size_t n, nr;
    const syncd_ingest_item_t *items = syncd_ingest_items(fx->ing, &n);
    syncd_ingest_rejects(fx->ing, &nr);
    assert_int_equal(nr, 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].event->staff_id, "");
    assert_string_equal(items[1].event->staff_id, "");
}

static void test_duplicates_not_revalidated(void **state)
{
    fx_t *fx = *state;
    fx->env.acked_seq = 5;
    checkin(fx, 4, "s99", "tm-call", 3); /* committed long ago */
    checkin(fx, 5, "s99", "tm-call", 3);
    checkin(fx, 6, "s99", "tm-call", 3); /* new */
    build(fx);
    size_t n, nr;
    const syncd_ingest_item_t *items = syncd_ingest_items(fx->ing, &n);
    const proto_reject_t *r = syncd_ingest_rejects(fx->ing, &nr);
    assert_int_equal(n, 3);
    assert_int_equal(items[0].reject_code, 0);
    assert_int_equal(items[1].reject_code, 0);
    assert_int_equal(items[2].reject_code, PROTO_REJECT_UNKNOWN_STAFF);
    assert_int_equal(nr, 1);
    assert_int_equal(r[0].seq, 6);
}

static void test_old_version_roster(void **state)
{
    fx_t *fx = *state;
    /* s-old left in version 3, but a check-in made under version 2 while
     * the kiosk was offline still counts */
    measure(checkin(fx, 1, "s-old", "tm-old", 2), "calls", 3);
    /* under version 3 the same person is unknown */
    measure(checkin(fx, 2, "s-old", "tm-call", 3), "calls", 3);
    build(fx);
    expect_only_reject(fx, 2, PROTO_REJECT_UNKNOWN_STAFF,
                       "staff \"s-old\" is not on the roster of site "
                       "\"futian\" in catalogue version 3");
}

static void test_no_catalogue(void **state)
{
    fx_t *fx = *state;
    fx->env.current = NULL;
    fx->env.catalogue = NULL;
    checkin(fx, 1, "s1", "tm-call", 0);
    build(fx);
    expect_only_reject(fx, 1, PROTO_REJECT_UNKNOWN_STAFF,
                       "staff \"s1\" cannot be checked: the server has no "
                       "catalogue yet; import one with syncctl catalogue "
                       "import");
}

static void test_site_not_in_catalogue(void **state)
{
    fx_t *fx = *state;
    fx->env.site_id = "luohu";
    checkin(fx, 1, "s1", "tm-call", 3);
    build(fx);
    expect_only_reject(fx, 1, PROTO_REJECT_UNKNOWN_STAFF,
                       "site \"luohu\" of this kiosk is not in catalogue "
                       "version 3, so staff \"s1\" cannot be checked; enrol "
                       "the kiosk at a site of the catalogue");
}

static void test_reason_fits_the_protocol(void **state)
{
    fx_t *fx = *state;
    char long_id[PROTO_ID_MAX + 1];
    memset(long_id, 'x', PROTO_ID_MAX);
    long_id[PROTO_ID_MAX] = '\0';
    fx->env.site_id = long_id;
    proto_event_t *e = checkin(fx, 1, long_id, "tm-call", 3);
    (void)e;
    build(fx);
    size_t nr;
    const proto_reject_t *r = syncd_ingest_rejects(fx->ing, &nr);
    assert_int_equal(nr, 1);
    assert_true(strlen(r[0].reason) <= PROTO_REASON_MAX);
    assert_true(proto_utf8_valid(r[0].reason, strlen(r[0].reason)));
}

static int64_t utc_ms(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return (int64_t)timegm(&tm) * 1000;
}

static void expect_day(const char *tz, int64_t ms, const char *want)
{
    char day[11];
    assert_int_equal(syncd_local_day(tz, ms, day), 0);
    assert_string_equal(day, want);
}

static void test_local_days(void **state)
{
    (void)state;
    const char *tz_before = getenv("TZ");
    char tz_saved[256] = "";
    if (tz_before)
        snprintf(tz_saved, sizeof tz_saved, "%s", tz_before);
    /* Sunday 2026-11-29 23:59 and Monday 00:01 in Shanghai (UTC+8) are
     * 15:59 and 16:01 UTC: different days there, the same day in UTC. */
    int64_t sun = utc_ms(2026, 11, 29, 15, 59);
    int64_t mon = utc_ms(2026, 11, 29, 16, 1);
    for (int round = 0; round < 2; round++) { /* second round: cached */
        expect_day("Asia/Shanghai", sun, "2026-11-29");
        expect_day("Asia/Shanghai", mon, "2026-11-30");
        expect_day(NULL, mon, "2026-11-30"); /* the default is Shanghai */
        expect_day("UTC", sun, "2026-11-29");
        expect_day("UTC", mon, "2026-11-29");
    }
    /* Berlin's 2026-03-29 has 23 hours (CET -> CEST at 01:00 UTC): its
     * cached bounds must follow the zone's rules. */
    expect_day("Europe/Berlin", utc_ms(2026, 3, 28, 23, 30), "2026-03-29");
    expect_day("Europe/Berlin", utc_ms(2026, 3, 29, 21, 30), "2026-03-29");
    expect_day("Europe/Berlin", utc_ms(2026, 3, 29, 22, 10), "2026-03-30");
    expect_day("Europe/Berlin", utc_ms(2026, 3, 28, 22, 59), "2026-03-28");
    /* and TZ is left as it was */
    if (tz_before)
        assert_string_equal(getenv("TZ"), tz_saved);
    else
        assert_null(getenv("TZ"));

    int64_t ms;
    assert_int_equal(
        syncd_local_midnight_ms("Asia/Shanghai", "2026-11-30", &ms), 0);
    assert_int_equal(ms, utc_ms(2026, 11, 29, 16, 0));
    assert_int_equal(syncd_local_midnight_ms("UTC", "2026-11-30", &ms), 0);
    assert_int_equal(ms, utc_ms(2026, 11, 30, 0, 0));
    assert_int_equal(syncd_local_midnight_ms("UTC", "2026-02-31", &ms),
                     PROTO_EINVAL);
    assert_int_equal(syncd_local_midnight_ms("UTC", "30/11/2026", &ms),
                     PROTO_EINVAL);
}

static void test_event_days_in_batch(void **state)
{
    fx_t *fx = *state;
    measure(checkin(fx, 1, "s1", "tm-call", 3), "calls", 1);
    measure(checkin(fx, 2, "s1", "tm-call", 3), "calls", 1);
    fx->push.u.push.events[0].captured_ms = utc_ms(2026, 11, 29, 15, 59);
    fx->push.u.push.events[1].captured_ms = utc_ms(2026, 11, 29, 16, 1);
    build(fx);
    size_t n;
    const syncd_ingest_item_t *items = syncd_ingest_items(fx->ing, &n);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].day, "2026-11-29");
    assert_string_equal(items[1].day, "2026-11-30");
}

static void test_not_a_push(void **state)
{
    fx_t *fx = *state;
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    assert_int_equal(syncd_ingest_build(fx->ing, &fx->env, &ping),
                     PROTO_EINVAL);
    size_t n;
    syncd_ingest_items(fx->ing, &n);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_accepts_valid_events, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejection_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_votes_in_same_batch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_anonymous_suggestion, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_not_revalidated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_old_version_roster, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_catalogue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_site_not_in_catalogue, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reason_fits_the_protocol, setup,
                                        teardown),
        cmocka_unit_test(test_local_days),
        cmocka_unit_test_setup_teardown(test_event_days_in_batch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_not_a_push, setup, teardown),
    };
    return cmocka_run_group_tests_name("syncd/ingest", tests, NULL, NULL);
}
