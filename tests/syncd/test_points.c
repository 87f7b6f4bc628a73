/*
 * test_points.c — points through the real ingest path: the quality
 * multiplier, the per-person daily cap across batches (three check-ins
 * crossing the cap give exactly the cap), ISO weeks of site-local days
 * (23:59 Sunday and 00:01 Monday in Asia/Shanghai), suggestion points, and
 * the standings FEED carries when they changed since the cursor.
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

static void test_cap_is_exact_across_batches(void **state)
{
    afx_t *fx = *state;
    /* quality 3: multiplier 1; 20 points each, cap 50 */
    proto_event_t a[] = {
        afx_checkin("s1", "tm-call", "calls", 20, 3,
                    afx_sh(2026, 11, 24, 9, 0)),
        afx_checkin("s1", "tm-call", "calls", 20, 3,
                    afx_sh(2026, 11, 24, 10, 0)),
    };
    proto_event_t b[] = {
        afx_checkin("s1", "tm-call", "calls", 20, 3,
                    afx_sh(2026, 11, 24, 11, 0)),
        afx_checkin("s1", "tm-call", "calls", 20, 3,
                    afx_sh(2026, 11, 24, 12, 0)),
        /* another day starts from zero */
        afx_checkin("s1", "tm-call", "calls", 20, 3,
                    afx_sh(2026, 11, 25, 9, 0)),
        /* another person has a cap of their own */
        afx_checkin("s2", "tm-call", "calls", 30, 3,
                    afx_sh(2026, 11, 24, 11, 0)),
    };
    afx_push(fx, a, 2);
    afx_push(fx, b, 4);
    assert_afx_sql(fx,
                   "SELECT group_concat(points, ',') FROM (SELECT points FROM"
                   " events ORDER BY seq) AS x",
                   "20.0,20.0,10.0,0.0,20.0,30.0");
    assert_afx_sql(fx,
                   "SELECT points FROM rollup_day WHERE day = '2026-11-24'"
                   " AND staff_id = 's1'",
                   "50.0");
    assert_afx_sql(fx,
                   "SELECT checkins FROM rollup_day WHERE day = '2026-11-24'"
                   " AND staff_id = 's1'",
                   "4");
    afx_verified(fx);
}

static void test_quality_multiplier(void **state)
{
    afx_t *fx = *state;
    proto_event_t a[] = {
        /* 12 calls × 1 × 5/3 = 20 */
        afx_checkin("s1", "tm-call", "calls", 12, 5,
                    afx_sh(2026, 11, 24, 9, 0)),
        /* no quality given: no multiplier, 9 */
        afx_checkin("s2", "tm-call", "calls", 9, 0, afx_sh(2026, 11, 24, 9, 0)),
        /* quality 1: 9 × 1/3 = 3 */
        afx_checkin("s3", "tm-call", "calls", 9, 1, afx_sh(2026, 11, 24, 9, 0)),
        /* step without the multiplier: 3 lists × 2 = 6 */
        afx_checkin("s3", "tm-list", "lists", 3, 5, afx_sh(2026, 11, 24, 9, 5)),
    };
    afx_push(fx, a, 4);
    assert_afx_sql(fx,
                   "SELECT group_concat(points, ',') FROM (SELECT points FROM"
                   " events ORDER BY seq) AS x",
                   "20.0,9.0,3.0,6.0");
    afx_verified(fx);
}

static void test_iso_weeks(void **state)
{
    (void)state;
    char w[16], mon[11], sun[11], d[11];
    static const struct {
        const char *day, *week;
    } cases[] = {
        {"2026-11-29", "2026-W48"}, /* Sunday */
        {"2026-11-30", "2026-W49"}, /* Monday */
        {"2026-11-23", "2026-W48"}, {"2027-01-01", "2026-W53"},
        {"2021-01-03", "2020-W53"}, {"2024-12-30", "2025-W01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(syncd_iso_week(cases[i].day, w), 0);
        assert_string_equal(w, cases[i].week);
    }
    assert_int_equal(syncd_week_days("2026-W48", mon, sun), 0);
    assert_string_equal(mon, "2026-11-23");
    assert_string_equal(sun, "2026-11-29");
    assert_int_equal(syncd_week_days("2026-W53", mon, sun), 0);
    assert_string_equal(mon, "2026-12-28");
    assert_int_equal(syncd_week_days("2025-W53", mon, sun), PROTO_EINVAL);
    assert_int_equal(syncd_week_days("2026-48", mon, sun), PROTO_EINVAL);
    assert_int_equal(syncd_iso_week("2026-02-30", w), PROTO_EINVAL);
    assert_int_equal(syncd_day_add("2026-12-31", 1, d), 0);
    assert_string_equal(d, "2027-01-01");
    assert_int_equal(syncd_day_add("2026-03-01", -1, d), 0);
    assert_string_equal(d, "2026-02-28");
}

/* Sunday 23:59 and Monday 00:01 in Shanghai fall in different ISO weeks;
 * FEED standings are for the week of the newest day with points. */
static void test_standings_follow_local_week(void **state)
{
    afx_t *fx = *state;
    proto_msg_t msg;
    proto_event_t sunday[] = {
        afx_checkin("s1", "tm-list", "lists", 5, 0,
                    afx_sh(2026, 11, 29, 23, 59)),
        afx_checkin("s2", "tm-list", "lists", 2, 0,
                    afx_sh(2026, 11, 29, 23, 59)),
    };
    proto_event_t monday[] = {
        afx_checkin("s2", "tm-list", "lists", 1, 0, afx_sh(2026, 11, 30, 0, 1)),
        afx_checkin("s3", "tm-list", "lists", 1, 0, afx_sh(2026, 11, 30, 0, 2)),
        afx_checkin("s1", "tm-list", "lists", 3, 0, afx_sh(2026, 11, 30, 8, 0)),
    };

    afx_push(fx, sunday, 2);
    assert_afx_sql(fx, "SELECT group_concat(day) FROM events",
                   "2026-11-29,2026-11-29");
    assert_int_equal(syncd_store_feed(fx->store, "futian", 0, 10, &msg), 0);
    assert_int_equal(msg.u.feed.n_standings, 2);
    assert_string_equal(msg.u.feed.standings[0].week, "2026-W48");
    assert_string_equal(msg.u.feed.standings[0].staff_id, "s1");
    assert_string_equal(msg.u.feed.standings[0].team_id, "tele");
    assert_int_equal(msg.u.feed.standings[0].points, 10);
    assert_int_equal(msg.u.feed.standings[0].rank, 1);
    assert_int_equal(msg.u.feed.standings[1].points, 4);
    assert_int_equal(msg.u.feed.standings[1].rank, 2);
    uint64_t cursor = msg.u.feed.cursor;
    assert_int_equal(cursor, syncd_store_feed_cursor(fx->store, "futian"));
    proto_msg_clear(&msg);

    /* nothing changed since: no standings */
    assert_int_equal(syncd_store_feed(fx->store, "futian", cursor, 10, &msg),
                     0);
    assert_int_equal(msg.u.feed.n_standings, 0);
    assert_int_equal(msg.u.feed.cursor, cursor);
    proto_msg_clear(&msg);

    afx_push(fx, monday, 3);
    assert_afx_sql(fx,
                   "SELECT group_concat(day) FROM (SELECT day FROM events"
                   " WHERE seq > 2 ORDER BY seq) AS x",
                   "2026-11-30,2026-11-30,2026-11-30");
    assert_int_equal(syncd_store_feed(fx->store, "futian", cursor, 10, &msg),
                     0);
    /* week 49 only: s1 6, then s2 and s3 tied at 2 */
    assert_int_equal(msg.u.feed.n_standings, 3);
    assert_string_equal(msg.u.feed.standings[0].week, "2026-W49");
    assert_string_equal(msg.u.feed.standings[0].staff_id, "s1");
    assert_int_equal(msg.u.feed.standings[0].points, 6);
    assert_string_equal(msg.u.feed.standings[1].staff_id, "s2");
    assert_int_equal(msg.u.feed.standings[1].rank, 2);
    assert_string_equal(msg.u.feed.standings[2].staff_id, "s3");
    assert_string_equal(msg.u.feed.standings[2].team_id, "live");
    assert_int_equal(msg.u.feed.standings[2].points, 2);
    assert_int_equal(msg.u.feed.standings[2].rank, 2);
    assert_true(msg.u.feed.cursor > cursor);
    proto_msg_clear(&msg);
    afx_verified(fx);
}

static void test_suggestion_points(void **state)
{
    afx_t *fx = *state;
    proto_msg_t msg;
    proto_event_t ev[] = {
        afx_suggestion("s2", false, "名单提前一天准备", NULL,
                       afx_sh(2026, 11, 23, 9, 0)),
        afx_suggestion("s3", true, "直播脚本统一模板", NULL,
                       afx_sh(2026, 11, 23, 9, 5)),
    };
    afx_push(fx, ev, 2);
    syncd_decision_t d = {
        .status = "accepted", .manager = "zhou", .day = "2026-11-24"};
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 5),
                     0);
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:2", &d, 5),
                     0);
    d.status = "in_progress";
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 6),
                     0);
    d.status = "done";
    d.day = "2026-11-25";
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 7),
                     0);
    /* accepted once (5) + done once (10); the anonymous one earns nobody */
    assert_afx_sql(fx,
                   "SELECT group_concat(staff_id || ':' || status || ':' ||"
                   " points, ' ') FROM (SELECT * FROM points_awards ORDER BY"
                   " created_ms) AS x",
                   "s2:accepted:5.0 s2:done:10.0");
    assert_int_equal(syncd_store_feed(fx->store, "futian", 0, 10, &msg), 0);
    assert_int_equal(msg.u.feed.n_standings, 1);
    assert_string_equal(msg.u.feed.standings[0].staff_id, "s2");
    assert_string_equal(msg.u.feed.standings[0].week, "2026-W48");
    assert_int_equal(msg.u.feed.standings[0].points, 15);
    proto_msg_clear(&msg);
    afx_verified(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cap_is_exact_across_batches,
                                        afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_quality_multiplier, afx_setup,
                                        afx_teardown),
        cmocka_unit_test(test_iso_weeks),
        cmocka_unit_test_setup_teardown(test_standings_follow_local_week,
                                        afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_suggestion_points, afx_setup,
                                        afx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
