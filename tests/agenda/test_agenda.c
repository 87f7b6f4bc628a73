/*
 * test_agenda.c — the weekly agenda of 2026-W48 for site futian, from a
 * fixed dataset pushed through the real ingest path (agenda_fixture.h),
 * with every number checked by hand below (docs/AGENDA.md has the rules):
 *
 *   catalogue v1 (fixture): tm-call target 100 calls/day; v2, published on
 *   Wednesday 2026-11-25, lowers it to 80, renames tm-list and adds
 *   tm-follow (visits, target 10/day). The agenda uses v2 for every week.
 *
 *   W47 tm-call: s1 Mon–Fri 80 calls q4 (400), s2 Sun 22 23:59 100 calls q4
 *     → 500 of 80×5×2 = 800 = 62.5 % red, quality 4.
 *   W48 tm-call: s1 Mon, Tue, Thu, Fri 90 calls q3 (360), s2 Sun 29 23:59
 *     100 calls q3 → 460 of 800 = 57.5 % red, quality 3 (drop 1.0);
 *     s2's 00:01 Monday 30 check-in belongs to W49 and is not counted.
 *     Points: 90 × 3/3 = 90 capped at 50 a day → s1 200, s2 50.
 *   W48 tm-follow (v2): s1 Thu 2 × 25 visits → 50 of 10×5×1 = 50 = 100 %
 *     green; 50 points.
 *   s1: 360 + 50 of 400 + 50 → 91.1 % amber; 250 points.
 *   s2: 100 of 400 → 25 % red; 50 + 5 (suggestion accepted) = 55 points.
 *   s3: nothing → exception no_checkins; tm-list: exception no_activity.
 *   Coverage 2 / 3.
 *   Effect review: "早上先打重点客户" accepted 2026-11-02, done 11-09, measure
 *   tm-call.calls:up: before (10-05..11-01) s1 50 calls in 1 person-day
 *   = 50; after (11-02..11-29) 960 calls in 11 person-days = 87.27 →
 *   improved.
 *
 * STEPWISE_REGEN=1 rewrites the golden files instead of comparing:
 *   STEPWISE_REGEN=1 ctest --test-dir BUILD -R agenda
 * `test_agenda --html FILE` writes the HTML of the same dataset (used by
 * the Chromium render test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "agenda_fixture.h"
#include "syncd/agenda.h"
#include "syncd/json.h"

static const char catalogue_v2[] =
    "title: {zh: 测试目录, en: Test catalogue}\n"
    "sites:\n"
    "  - id: futian\n"
    "    name: {zh: 福田营业部}\n"
    "    timezone: Asia/Shanghai\n"
    "    teams:\n"
    "      - id: tele\n"
    "        name: {zh: 电销组}\n"
    "      - id: live\n"
    "        name: {zh: 直播组}\n"
    "    staff:\n"
    "      - id: s1\n"
    "        name: {zh: 张三}\n"
    "        team: tele\n"
    "        role: adviser\n"
    "      - id: s2\n"
    "        name: {zh: 李四}\n"
    "        team: tele\n"
    "        role: new-hire\n"
    "      - id: s3\n"
    "        name: {zh: 王五}\n"
    "        team: live\n"
    "        role: adviser\n"
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
    "            points: 1\n"
    "            target: 80\n"
    "            max: 300\n"
    "        quality: true\n"
    "        points: {quality_multiplier: true, daily_cap: 50}\n"
    "      - id: tm-list\n"
    "        name: {zh: 准备客户名单}\n"
    "        measures:\n"
    "          - id: lists\n"
    "            name: {zh: 名单}\n"
    "            unit: {zh: 份}\n"
    "            points: 2\n"
    "            max: 10\n"
    "      - id: tm-follow\n"
    "        name: {zh: 回访}\n"
    "        measures:\n"
    "          - id: visits\n"
    "            name: {zh: 回访}\n"
    "            unit: {zh: 次}\n"
    "            points: 1\n"
    "            target: 10\n"
    "            max: 100\n";

#define NOW_MS afx_sh(2026, 11, 30, 9, 0) /* Monday after the week */

static proto_event_t problem(const char *author, const char *step,
                             const char *title, int64_t at)
{
    proto_event_t ev = afx_suggestion(author, false, title, NULL, at);
    ev.kind = PROTO_KIND_PROBLEM;
    snprintf(ev.step_id, sizeof ev.step_id, "%s", step);
    return ev;
}

static void decide(afx_t *fx, const char *id, const char *status,
                   const char *owner, const char *due, const char *measure,
                   const char *day, int64_t at)
{
    syncd_decision_t d = {.status = status,
                          .owner_id = owner,
                          .due = due,
                          .measure = measure,
                          .manager = "zhou",
                          .day = day};
    if (syncd_store_suggestion_decide(fx->store, id, &d, at) != 0)
        fail_msg("decide %s %s: %s", id, status, syncd_store_errmsg(fx->store));
}

/* Switches the fixture to catalogue v2 (published mid-week). */
static void publish_v2(afx_t *fx)
{
    char err[512];
    uint64_t version = 0;
    assert_int_equal(syncd_store_catalogue_put(fx->store, catalogue_v2,
                                               strlen(catalogue_v2), 0,
                                               &version),
                     0);
    assert_int_equal(version, 2);
    proto_catalogue_destroy(&fx->cat);
    fx->cat = proto_catalogue_load_string(catalogue_v2, strlen(catalogue_v2),
                                          "v2.yaml", err, sizeof err);
    if (!fx->cat)
        fail_msg("catalogue v2: %s", err);
    fx->cat->version = version;
}

static void dataset(afx_t *fx)
{
    /* before the effect's decision: one day of s1 (W43) */
    proto_event_t early[] = {
        afx_checkin("s1", "tm-call", "calls", 50, 3,
                    afx_sh(2026, 10, 20, 10, 0)),
        afx_suggestion("s3", false, "早上先打重点客户", NULL,
                       afx_sh(2026, 10, 28, 9, 0)),
        afx_suggestion("s1", false, "名单按地区分组", NULL,
                       afx_sh(2026, 11, 16, 9, 0)),
        afx_suggestion("s2", false, "外呼脚本加上新产品", NULL,
                       afx_sh(2026, 11, 17, 9, 0)),
        afx_suggestion("s1", true, "午休时间错开", NULL,
                       afx_sh(2026, 11, 17, 9, 30)),
    };
    afx_push(fx, early, 5); /* k1:1 .. k1:5 */
    /* effect: accepted 11-02, done 11-09, measure calls up */
    decide(fx, "k1:2", "review", NULL, NULL, NULL, "2026-11-02",
           afx_sh(2026, 11, 2, 9, 0));
    decide(fx, "k1:2", "accepted", "s1", "2026-11-09", "tm-call.calls:up",
           "2026-11-02", afx_sh(2026, 11, 2, 10, 0));
    decide(fx, "k1:2", "in_progress", NULL, NULL, NULL, "2026-11-03",
           afx_sh(2026, 11, 3, 10, 0));
    decide(fx, "k1:2", "done", NULL, NULL, NULL, "2026-11-09",
           afx_sh(2026, 11, 9, 10, 0));
    /* follow-ups: k1:3 in progress (accepted in W47), k1:4 accepted this
     * week and overdue, k1:5 anonymous, accepted this week */
    decide(fx, "k1:3", "accepted", "s1", "2026-12-10", NULL, "2026-11-18",
           afx_sh(2026, 11, 18, 10, 0));
    decide(fx, "k1:3", "in_progress", NULL, NULL, NULL, "2026-11-19",
           afx_sh(2026, 11, 19, 10, 0));
    decide(fx, "k1:4", "accepted", "s3", "2026-11-27", NULL, "2026-11-25",
           afx_sh(2026, 11, 25, 10, 0));
    decide(fx, "k1:5", "accepted", "", "", NULL, "2026-11-25",
           afx_sh(2026, 11, 25, 11, 0));

    /* W47 */
    proto_event_t w47[7];
    for (int d = 0; d < 5; d++)
        w47[d] = afx_checkin("s1", "tm-call", "calls", 80, 4,
                             afx_sh(2026, 11, 16 + d, 10, 0));
    w47[5] = afx_checkin("s2", "tm-call", "calls", 100, 4,
                         afx_sh(2026, 11, 22, 23, 59));
    w47[6] = problem("s2", "tm-call", "周日晚上系统很慢",
                     afx_sh(2026, 11, 22, 23, 59));
    afx_push(fx, w47, 7);

    /* W48, Monday and Tuesday under v1 */
    proto_event_t w48a[] = {
        afx_checkin("s1", "tm-call", "calls", 90, 3,
                    afx_sh(2026, 11, 23, 10, 0)),
        afx_checkin("s1", "tm-call", "calls", 90, 3,
                    afx_sh(2026, 11, 24, 10, 0)),
        problem("s1", "tm-call", "周一一早系统登录不上",
                afx_sh(2026, 11, 23, 0, 1)),
        problem("s2", "tm-call", "<script>alert(1)</script> 电话经常断线",
                afx_sh(2026, 11, 24, 15, 0)),
        problem("s3", "tm-list", "名单里很多空号 | 重复",
                afx_sh(2026, 11, 24, 16, 0)),
        afx_suggestion("s1", false, "外呼名单质量太差", NULL,
                       afx_sh(2026, 11, 23, 9, 0)),
        afx_suggestion("s2", false, "外呼名单质量差，很多空号", NULL,
                       afx_sh(2026, 11, 23, 9, 5)),
        afx_suggestion("s3", false, "直播间人气低，互动少", NULL,
                       afx_sh(2026, 11, 23, 9, 10)),
        afx_suggestion("s1", false, "直播要多和观众互动", NULL,
                       afx_sh(2026, 11, 23, 9, 15)),
    };
    afx_push(fx, w48a, 9); /* suggestions k1:18 .. k1:21 */
    proto_event_t votes[] = {
        afx_vote("s2", "k1:18", afx_sh(2026, 11, 23, 11, 0)),
        afx_vote("s3", "k1:18", afx_sh(2026, 11, 23, 11, 1)),
        afx_vote("s3", "k1:19", afx_sh(2026, 11, 23, 11, 2)),
        afx_vote("s2", "k1:20", afx_sh(2026, 11, 23, 11, 3)),
        afx_vote("s2", "k1:21", afx_sh(2026, 11, 23, 11, 4)),
        afx_vote("s3", "k1:21", afx_sh(2026, 11, 23, 11, 5)),
    };
    afx_push(fx, votes, 6);
    /* merge k1:21 into k1:20: s2 voted for both and counts once */
    assert_int_equal(syncd_store_suggestion_merge(fx->store, "k1:21", "k1:20",
                                                  "zhou",
                                                  afx_sh(2026, 11, 24, 9, 0)),
                     0);

    publish_v2(fx);
    proto_event_t w48b[] = {
        afx_checkin("s1", "tm-call", "calls", 90, 3,
                    afx_sh(2026, 11, 26, 10, 0)),
        afx_checkin("s1", "tm-follow", "visits", 25, 0,
                    afx_sh(2026, 11, 26, 14, 0)),
        afx_checkin("s1", "tm-follow", "visits", 25, 0,
                    afx_sh(2026, 11, 26, 16, 0)),
        afx_checkin("s1", "tm-call", "calls", 90, 3,
                    afx_sh(2026, 11, 27, 10, 0)),
        afx_checkin("s2", "tm-call", "calls", 100, 3,
                    afx_sh(2026, 11, 29, 23, 59)),
        afx_checkin("s2", "tm-call", "calls", 100, 3,
                    afx_sh(2026, 11, 30, 0, 1)),
        problem("s1", "tm-call", "下周一的问题", afx_sh(2026, 11, 30, 0, 1)),
    };
    afx_push(fx, w48b, 7);
    /* freshness: the kiosk last synced 2 h before the report, 3 queued */
    syncd_ingest_result_t res;
    assert_int_equal(syncd_store_ingest(fx->store, "k1", "futian", NULL, 0,
                                        NOW_MS - 2 * 3600 * 1000, &res),
                     0);
    assert_int_equal(syncd_store_kiosk_seen(fx->store, "k1", NOW_MS - 3600000,
                                            fx->next_seq - 1 + 3, 3, 600, 0, 2,
                                            "test"),
                     0);
    afx_verified(fx);
    /* the Monday 00:01 check-in is stored, in W49 */
    assert_afx_sql(fx,
                   "SELECT day FROM rollup_day WHERE staff_id = 's2'"
                   " ORDER BY day DESC LIMIT 1",
                   "2026-11-30");
}

static char *build(afx_t *fx, syncd_agenda_format_t fmt)
{
    char *out = NULL, err[512];
    size_t len = 0;
    int rc = syncd_agenda_build(fx->store, fx->cat, "futian", "2026-W48", fmt,
                                NOW_MS, &out, &len, err, sizeof err);
    if (rc != 0)
        fail_msg("agenda: %s", err);
    assert_int_equal(strlen(out), len);
    return out;
}

/* ------------------------------------------------------------- helpers */

/* The week's agenda as parsed JSON (the caller destroys it). */
static syncd_json_value_t *build_json(afx_t *fx)
{
    char *text = build(fx, SYNCD_AGENDA_JSON);
    char err[256];
    syncd_json_value_t *j =
        syncd_json_parse(text, strlen(text), err, sizeof err);
    if (!j)
        fail_msg("agenda JSON does not parse: %s", err);
    free(text);
    return j;
}

static const syncd_json_value_t *path(const syncd_json_value_t *v,
                                      const char *p)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", p);
    for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, ".")) {
        if (tok[0] >= '0' && tok[0] <= '9')
            v = syncd_json_at(v, (size_t)atoi(tok));
        else
            v = syncd_json_get(v, tok);
    }
    if (!v)
        fail_msg("no %s in the agenda JSON", p);
    return v;
}

#define JSTR(root, p, expected)                                                \
    assert_string_equal(syncd_json_as_str(path((root), (p))), (expected))
#define JNUM(root, p, expected)                                                \
    assert_float_equal(syncd_json_as_num(path((root), (p)), -999), (expected), \
                       1e-9)
#define JNULL(root, p)                                                         \
    assert_int_equal(syncd_json_type(path((root), (p))), SYNCD_JSON_NULL)
#define JCOUNT(root, p, expected)                                              \
    assert_int_equal(syncd_json_count(path((root), (p))), (expected))

/* The step/person row with this id, as "scoreboard.steps.N". */
static const syncd_json_value_t *row(const syncd_json_value_t *root,
                                     const char *table, const char *key,
                                     const char *id)
{
    const syncd_json_value_t *t =
        syncd_json_get(syncd_json_get(root, "scoreboard"), table);
    for (size_t i = 0; i < syncd_json_count(t); i++) {
        const char *v =
            syncd_json_as_str(syncd_json_get(syncd_json_at(t, i), key));
        if (v && strcmp(v, id) == 0)
            return syncd_json_at(t, i);
    }
    fail_msg("no %s row %s", table, id);
    return NULL;
}

/* --------------------------------------------------------------- tests */

static void test_json_numbers(void **state)
{
    afx_t *fx = *state;
    dataset(fx);
    syncd_json_value_t *j = build_json(fx);

    /* header */
    JSTR(j, "site.name", "福田营业部");
    JSTR(j, "week.monday", "2026-11-23");
    JSTR(j, "week.sunday", "2026-11-29");
    JNUM(j, "catalogue_version", 2);
    JSTR(j, "freshness.kiosks.0.id", "k1");
    JSTR(j, "freshness.kiosks.0.last_sync_day", "2026-11-30");
    JNUM(j, "freshness.kiosks.0.hours_since_sync", 2);
    JNUM(j, "freshness.queued_total", 3);
    JNUM(j, "freshness.roster", 3);
    JNUM(j, "freshness.checked_in", 2);
    JNUM(j, "freshness.coverage_pct", 66.7);
    JCOUNT(j, "attendees", 3);

    /* follow-ups: overdue first */
    JCOUNT(j, "followups", 3);
    JSTR(j, "followups.0.id", "k1:4");
    assert_true(syncd_json_as_bool(path(j, "followups.0.overdue"), false));
    JNUM(j, "followups.0.days_overdue", 3);
    JSTR(j, "followups.0.owner", "王五");
    JSTR(j, "followups.1.id", "k1:3");
    JSTR(j, "followups.1.status", "in_progress");
    JSTR(j, "followups.2.id", "k1:5");
    JSTR(j, "followups.2.due", "");

    /* scoreboard: tm-call across both catalogue versions, v2's target */
    const syncd_json_value_t *call = row(j, "steps", "step_id", "tm-call");
    JNUM(call, "people", 2);
    JNUM(call, "checkins", 5);
    JNUM(call, "value", 460);
    JNUM(call, "target", 800);
    JNUM(call, "pct", 57.5);
    JSTR(call, "rag", "red");
    JNUM(call, "quality", 3);
    JNUM(call, "points", 250);
    JNUM(call, "prev_value", 500);
    JNUM(call, "prev_pct", 62.5);
    JNUM(call, "change", -40);
    JNUM(call, "trend.2", 50); /* W43: the early check-in */
    JNUM(call, "trend.6", 500);
    JNUM(call, "trend.7", 460);
    const syncd_json_value_t *follow = row(j, "steps", "step_id", "tm-follow");
    JNUM(follow, "value", 50);
    JNUM(follow, "target", 50);
    JNUM(follow, "pct", 100);
    JSTR(follow, "rag", "green");
    JNULL(follow, "quality");
    const syncd_json_value_t *list = row(j, "steps", "step_id", "tm-list");
    JSTR(list, "step", "准备客户名单");
    JNUM(list, "checkins", 0);
    JNULL(list, "target");
    JNULL(list, "rag");
    const syncd_json_value_t *s1 = row(j, "people", "id", "s1");
    JNUM(s1, "value", 410);
    JNUM(s1, "target", 450);
    JNUM(s1, "pct", 91.1);
    JSTR(s1, "rag", "amber");
    JNUM(s1, "points", 250);
    JNUM(s1, "prev_points", 255); /* W47: 5 × min(80 × 4/3, 50) + 5 (k1:3) */
    JNUM(s1, "change", -5);
    const syncd_json_value_t *s2 = row(j, "people", "id", "s2");
    JNUM(s2, "pct", 25);
    JSTR(s2, "rag", "red");
    JNUM(s2, "points", 55);
    const syncd_json_value_t *tele = row(j, "teams", "id", "tele");
    JNUM(tele, "points", 305);
    JNUM(tele, "value", 510);
    JNUM(tele, "target", 850);
    JNUM(tele, "pct", 60);

    /* exceptions: every kind, in order */
    JCOUNT(j, "exceptions", 4);
    JSTR(j, "exceptions.0.kind", "below_target_2w");
    JSTR(j, "exceptions.0.id", "tm-call");
    JNUM(j, "exceptions.0.pct", 57.5);
    JNUM(j, "exceptions.0.prev_pct", 62.5);
    JSTR(j, "exceptions.1.kind", "quality_drop");
    JNUM(j, "exceptions.1.quality", 3);
    JNUM(j, "exceptions.1.prev_quality", 4);
    JSTR(j, "exceptions.2.kind", "no_activity");
    JSTR(j, "exceptions.2.id", "tm-list");
    JSTR(j, "exceptions.3.kind", "no_checkins");
    JSTR(j, "exceptions.3.id", "s3");

    /* problems: week boundaries (Sunday 23:59 before and Monday 00:01
     * after are out; Monday 00:01 at the start is in) */
    JCOUNT(j, "problems", 2);
    JSTR(j, "problems.0.step_id", "tm-call");
    JNUM(j, "problems.0.count", 2);
    JSTR(j, "problems.0.items.0.title", "周一一早系统登录不上");
    JSTR(j, "problems.1.step_id", "tm-list");
    JNUM(j, "problems.1.count", 1);

    /* decisions: near-duplicates grouped, merged one gone, votes moved */
    JCOUNT(j, "decisions", 2);
    JNUM(j, "decisions.0.votes", 3);
    JCOUNT(j, "decisions.0.items", 2);
    JSTR(j, "decisions.0.items.0.id", "k1:18");
    JSTR(j, "decisions.0.items.1.id", "k1:19");
    JNUM(j, "decisions.1.votes", 2); /* s2 once, s3 moved from k1:21 */
    JCOUNT(j, "decisions.1.items", 1);
    JSTR(j, "decisions.1.items.0.id", "k1:20");

    /* effect review */
    JCOUNT(j, "effects", 1);
    JSTR(j, "effects.0.decided", "2026-11-02");
    JNUM(j, "effects.0.before.per_person_day", 50);
    JNUM(j, "effects.0.after.total", 960);
    JNUM(j, "effects.0.after.person_days", 11);
    JNUM(j, "effects.0.after.per_person_day", 87.27);
    JSTR(j, "effects.0.verdict", "improved");

    /* recognition: s1 250, s2 55; teams tele 305; the anonymous accepted
     * suggestion earns nobody a mention */
    JCOUNT(j, "recognition.people", 2);
    JSTR(j, "recognition.people.0.id", "s1");
    JNUM(j, "recognition.people.1.points", 55);
    JCOUNT(j, "recognition.teams", 1);
    JNUM(j, "recognition.teams.0.points", 305);
    JCOUNT(j, "recognition.authors", 1);
    JSTR(j, "recognition.authors.0.staff_id", "s2");
    JNUM(j, "recognition.authors.0.points", 5);
    JNUM(j, "decision_log.blank_rows", 6);

    syncd_json_value_destroy(&j);
}

static void golden(const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/golden/%s", STEPWISE_AGENDA_DIR, name);
    if (getenv("STEPWISE_REGEN") && getenv("STEPWISE_REGEN")[0] == '1') {
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
        assert_int_equal(fclose(f), 0);
        return;
    }
    FILE *f = fopen(p, "rb");
    if (!f)
        fail_msg("golden file %s is missing; create it with STEPWISE_REGEN=1 "
                 "ctest -R agenda",
                 p);
    static char want[1 << 20];
    size_t n = fread(want, 1, sizeof want - 1, f);
    fclose(f);
    want[n] = '\0';
    if (strcmp(want, text) != 0) {
        size_t i = 0;
        while (want[i] && want[i] == text[i])
            i++;
        size_t line = 1;
        for (size_t k = 0; k < i; k++)
            line += want[k] == '\n';
        fail_msg("%s differs from the golden file at line %zu (byte %zu); "
                 "if the change is intended, regenerate with STEPWISE_REGEN=1 "
                 "ctest -R agenda and review the diff",
                 name, line, i);
    }
}

static void test_golden_md_json(void **state)
{
    afx_t *fx = *state;
    dataset(fx);
    char *md = build(fx, SYNCD_AGENDA_MD);
    char *js = build(fx, SYNCD_AGENDA_JSON);
    golden("agenda.md", md);
    golden("agenda.json", js);
    free(md);
    free(js);
}

static void test_html_escapes_and_is_self_contained(void **state)
{
    afx_t *fx = *state;
    dataset(fx);
    char *html = build(fx, SYNCD_AGENDA_HTML);
    assert_non_null(strstr(html, "<html lang=\"zh-CN\">"));
    assert_non_null(strstr(html, "\"Noto Sans CJK SC\", \"Noto Sans CJK\""
                                 ", sans-serif") ||
                    strstr(html, "\"Noto Sans CJK SC\",\"Noto Sans CJK\","
                                 "sans-serif"));
    assert_non_null(
        strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; 电话经常断线"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "page-break-before:always"));
    assert_non_null(strstr(html, "<span class=\"rag green\">100%</span>"));
    assert_non_null(strstr(html, "<span class=\"rag red\">57.5%</span>"));
    free(html);
}

static void test_csv_scoreboard(void **state)
{
    afx_t *fx = *state;
    dataset(fx);
    char *csv = build(fx, SYNCD_AGENDA_CSV);
    assert_memory_equal(csv, "\xEF\xBB\xBFtable,process,step,", 22);
    /* header + 3 steps + 2 teams + 3 people, every line CRLF */
    size_t lines = 0;
    for (const char *p = csv; (p = strchr(p, '\n')); p++) {
        assert_true(p > csv && p[-1] == '\r');
        lines++;
    }
    assert_int_equal(lines, 9);
    assert_non_null(strstr(csv,
                           "\r\nstep,电话营销,外呼,,,外呼,通,2,5,460,800,"
                           "57.5,red,3,250,,-40,0,0,50,0,0,0,500,460\r\n"));
    assert_non_null(strstr(csv, "\r\nperson,,,电销组,张三,,,1,6,410,450,91.1,"
                                "amber,3,250,,-5,"));
    free(csv);
}

static void test_errors(void **state)
{
    afx_t *fx = *state;
    char *out = NULL, err[512];
    size_t len = 0;
    syncd_agenda_format_t fmt;

    assert_int_equal(syncd_agenda_build(fx->store, fx->cat, "nanshan",
                                        "2026-W48", SYNCD_AGENDA_JSON, NOW_MS,
                                        &out, &len, err, sizeof err),
                     PROTO_ENOTFOUND);
    assert_string_equal(err, "site \"nanshan\" is not in catalogue version 1; "
                             "use a site id from the catalogue");
    assert_null(out);
    assert_int_equal(syncd_agenda_build(fx->store, fx->cat, "futian", "2026-48",
                                        SYNCD_AGENDA_JSON, NOW_MS, &out, &len,
                                        err, sizeof err),
                     PROTO_EINVAL);
    assert_string_equal(err, "week \"2026-48\" is not an ISO week; write it "
                             "as 2026-W48");
    assert_int_equal(syncd_agenda_build(fx->store, fx->cat, "futian",
                                        "2025-W53", SYNCD_AGENDA_JSON, NOW_MS,
                                        &out, &len, err, sizeof err),
                     PROTO_EINVAL);
    assert_int_equal(syncd_agenda_build(fx->store, NULL, "futian", "2026-W48",
                                        SYNCD_AGENDA_JSON, NOW_MS, &out, &len,
                                        err, sizeof err),
                     PROTO_ENOTFOUND);
    assert_non_null(strstr(err, "syncctl catalogue import"));
    assert_int_equal(syncd_agenda_format_parse("pdf", &fmt), PROTO_EINVAL);
    assert_int_equal(syncd_agenda_format_parse("md", &fmt), 0);
    assert_int_equal(fmt, SYNCD_AGENDA_MD);

    /* an empty week still renders every section */
    assert_int_equal(syncd_agenda_build(fx->store, fx->cat, "futian",
                                        "2026-W48", SYNCD_AGENDA_MD, NOW_MS,
                                        &out, &len, err, sizeof err),
                     0);
    for (int s = 0; s <= 8; s++) {
        char h[8];
        snprintf(h, sizeof h, "## %d ", s);
        assert_non_null(strstr(out, h));
    }
    free(out);
}

static int on_row(void *ctx, const char *const *cols, size_t n)
{
    (void)ctx;
    (void)cols;
    (void)n;
    return 0;
}

/* The store's report door takes read-only SELECTs only. */
static void test_report_is_read_only(void **state)
{
    afx_t *fx = *state;
    const char *args[] = {"x"};
    assert_int_equal(syncd_store_report(fx->store,
                                        "UPDATE suggestions SET title = ?1",
                                        args, 1, on_row, NULL),
                     PROTO_EINVAL);
    assert_non_null(strstr(syncd_store_errmsg(fx->store), "read-only"));
    assert_int_equal(
        syncd_store_report(fx->store, "SELECT ?1", args, 1, on_row, NULL), 0);
}

static int write_html(const char *path)
{
    void *state = NULL;
    afx_setup(&state);
    dataset(state);
    char *html = build(state, SYNCD_AGENDA_HTML);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(html, 1, strlen(html), f) == strlen(html);
    ok = f && fclose(f) == 0 && ok;
    free(html);
    afx_teardown(&state);
    if (!ok)
        fprintf(stderr, "test_agenda: cannot write %s\n", path);
    return ok ? 0 : 1;
}

/* A catalogue whose steps name more distinct primary measures (95) than
 * the measure query may list as parameters (90): the agenda then reads
 * every measure row of the weeks and still counts each step's own
 * measure only (a step's other measure is not its value). With 3 steps
 * the same data takes the listed path; both give the same numbers. */
static void many_measures_catalogue(afx_t *fx, int n_steps)
{
    static char yaml[64 * 1024];
    size_t len = 0;
    const char *fw = strstr(fx_catalogue, "framework:\n");
    char err[512];
    uint64_t version = 0;

    assert_non_null(fw);
    len = (size_t)(fw - fx_catalogue);
    memcpy(yaml, fx_catalogue, len);
    len += (size_t)snprintf(yaml + len, sizeof yaml - len,
                            "framework:\n  - id: big\n"
                            "    name: {zh: 大流程}\n    steps:\n");
    for (int i = 0; i < n_steps; i++)
        len += (size_t)snprintf(
            yaml + len, sizeof yaml - len,
            "      - id: st-%02d\n        name: {zh: 步骤%02d}\n"
            "        measures:\n"
            "          - id: m%02d\n            name: {zh: 量%02d}\n"
            "            unit: {zh: 次}\n            points: 1\n"
            "            target: 10\n            max: 100\n"
            "          - id: extra\n            name: {zh: 其他}\n"
            "            unit: {zh: 次}\n            max: 100\n",
            i, i, i, i);
    assert_true(len < sizeof yaml - 1);
    assert_int_equal(
        syncd_store_catalogue_put(fx->store, yaml, len, 0, &version), 0);
    proto_catalogue_destroy(&fx->cat);
    fx->cat = proto_catalogue_load_string(yaml, len, "many.yaml", err,
                                          sizeof err);
    if (!fx->cat)
        fail_msg("catalogue: %s", err);
    fx->cat->version = version;
}

static void many_measures_check(afx_t *fx)
{
    int64_t tue = afx_sh(2026, 11, 24, 10, 0);
    proto_event_t ev[3] = {
        afx_checkin("s1", "st-00", "m00", 7, 0, tue),
        afx_checkin("s2", "st-02", "m02", 9, 0, tue + 60000),
        afx_checkin("s2", "st-02", "extra", 50, 0, tue + 120000),
    };
    afx_push(fx, ev, 3);
    syncd_json_value_t *j = build_json(fx);
    JNUM(row(j, "steps", "step_id", "st-00"), "value", 7);
    JNUM(row(j, "steps", "step_id", "st-00"), "checkins", 1);
    JNUM(row(j, "steps", "step_id", "st-02"), "value", 9);
    JNUM(row(j, "steps", "step_id", "st-02"), "checkins", 2);
    JNUM(row(j, "people", "id", "s2"), "checkins", 2);
    JNUM(row(j, "people", "id", "s2"), "value", 9);
    syncd_json_value_destroy(&j);
}

static void test_measures_past_the_parameter_list(void **state)
{
    afx_t *fx = *state;
    many_measures_catalogue(fx, 95);
    many_measures_check(fx);
}

static void test_measures_listed(void **state)
{
    afx_t *fx = *state;
    many_measures_catalogue(fx, 3);
    many_measures_check(fx);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--html") == 0)
        return write_html(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_numbers, afx_setup,
                                        afx_teardown),
        cmocka_unit_test_setup_teardown(test_golden_md_json, afx_setup,
                                        afx_teardown),
        cmocka_unit_test_setup_teardown(test_html_escapes_and_is_self_contained,
                                        afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_csv_scoreboard, afx_setup,
                                        afx_teardown),
        cmocka_unit_test_setup_teardown(test_errors, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_report_is_read_only, afx_setup,
                                        afx_teardown),
        cmocka_unit_test_setup_teardown(test_measures_past_the_parameter_list,
                                        afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_measures_listed, afx_setup,
                                        afx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
