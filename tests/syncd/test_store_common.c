/*
 * test_store_common.c — the forms and rules both store backends take from
 * store_common.c, checked directly: the number forms (the hand-written
 * whole-number path runs for every measure of every check-in), the export
 * row with absent values, the verification reports, standings ranks, the
 * points cap, the near-duplicate search terms and the decision checks.
 * test_store and test_lifecycle check the same through each backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../syncd/src/store_common.h"

static void number_is(double v, const char *want)
{
    char out[40];
    syncd_buf_t b = {0};

    syncd_fmt_number(out, sizeof out, v);
    assert_string_equal(out, want);
    syncd_buf_number(&b, v);
    assert_false(b.oom);
    assert_string_equal(b.p, want);
    syncd_buf_free(&b);
}

static void test_number_forms(void **state)
{
    (void)state;
    number_is(0, "0");
    number_is(-0.0, "0");
    number_is(35, "35");
    number_is(-35, "-35");
    number_is(7, "7");
    number_is(10, "10");
    number_is(999999999999999, "999999999999999");
    number_is(-999999999999999, "-999999999999999");
    number_is(1e15, "1e+15");
    number_is(0.1, "0.1");
    number_is(2.5, "2.5");
    number_is(0.025, "0.025");
    number_is(1.0 / 3, "0.3333333333333333");
}

static void test_number_short_buffer_stays_terminated(void **state)
{
    char out[4];

    (void)state;
    syncd_fmt_number(out, sizeof out, 123456);
    assert_string_equal(out, "123");
}

/* A row of the export with every column of a vote: identifiers the type
 * lacks are "" in the stores and must come out like SQL NULL. */
static void vote_row(syncd_export_val_t *v)
{
    static const char *const text[] = {"k1",
                                       "1",
                                       "vote",
                                       "s1",
                                       "zhang",
                                       "",
                                       "",
                                       NULL,
                                       "1764034200000",
                                       "1764034260000",
                                       "2025-11-25",
                                       NULL,
                                       NULL,
                                       "1",
                                       "k1:2",
                                       NULL,
                                       NULL,
                                       "0",
                                       NULL,
                                       NULL,
                                       NULL,
                                       NULL};

    assert_int_equal(syncd_export_ncols, sizeof text / sizeof text[0]);
    for (size_t i = 0; i < syncd_export_ncols; i++)
        v[i] = syncd_export_val_text(syncd_export_cols[i].kind, text[i]);
}

static void test_export_absent_is_null_and_empty(void **state)
{
    syncd_export_val_t v[32];
    syncd_buf_t b = {0};

    (void)state;
    vote_row(v);
    syncd_export_row(&b, false, v);
    assert_false(b.oom);
    assert_string_equal(
        b.p,
        "{\"kiosk_id\":\"k1\",\"seq\":1,\"type\":\"vote\",\"site_id\":\"s1\","
        "\"staff_id\":\"zhang\",\"step_id\":null,\"process_id\":null,"
        "\"catalogue_version\":null,"
        "\"captured_utc\":\"2025-11-25T01:30:00.000Z\","
        "\"received_utc\":\"2025-11-25T01:31:00.000Z\",\"day\":\"2025-11-25\","
        "\"quality\":null,\"score\":null,\"vote\":1,\"suggestion_id\":\"k1:2\","
        "\"measures\":null,\"note\":null,\"points\":0,\"kind\":null,"
        "\"anonymous\":null,\"title\":null,\"body\":null}\n");
    syncd_buf_reset(&b);
    syncd_export_row(&b, true, v);
    assert_string_equal(b.p, "k1,1,vote,s1,zhang,,,,2025-11-25T01:30:00.000Z,"
                             "2025-11-25T01:31:00.000Z,2025-11-25,,,1,k1:2,,,0,"
                             ",,,\r\n");
    syncd_buf_free(&b);
}

static void test_verify_reports(void **state)
{
    const char *day[16] = {"s1", "2025-11-25", "tm-call", "zhang", "3",  "2",
                           "12", "8",          "3",       "2",     "30", "20",
                           "0",  "0",          "0",       NULL};
    const char *acked[] = {"k1", "5", "7"};
    char why[512];

    (void)state;
    syncd_verify_report(SYNCD_VERIFY_DAY_VALUES, day, why, sizeof why);
    assert_string_equal(why, "rollup_day site s1, day 2025-11-25, step "
                             "\"tm-call\", staff \"zhang\" holds checkins 3 "
                             "(events give 2), quality_sum 12 (8), quality_n "
                             "3 (2), points 30 (20), ratings_n 0 (0), "
                             "ratings_sum 0 (NULL)");
    syncd_verify_report(SYNCD_VERIFY_KIOSK_ACKED, acked, why, sizeof why);
    assert_string_equal(why, "kiosk k1 has acked seq 5 but the store holds seq "
                             "7 above it");
    assert_int_equal(syncd_verify_ncols(SYNCD_VERIFY_MEASURE_TOTAL), 7);
    assert_int_equal(syncd_verify_ncols(SYNCD_VERIFY_NCHECKS), 0);
}

static void test_standings_share_ranks(void **state)
{
    proto_standing_t rows[4];

    (void)state;
    syncd_standing_fill(rows, 0, "2025-W48", "li", "t1", 30);
    syncd_standing_fill(rows, 1, "2025-W48", "wang", NULL, 20);
    syncd_standing_fill(rows, 2, "2025-W48", "zhang", "t2", 20);
    syncd_standing_fill(rows, 3, "2025-W48", "zhao", "t2", 5);
    assert_int_equal(rows[0].rank, 1);
    assert_int_equal(rows[1].rank, 2);
    assert_int_equal(rows[2].rank, 2);
    assert_int_equal(rows[3].rank, 4);
    assert_string_equal(rows[1].team_id, "");
    assert_string_equal(rows[3].week, "2025-W48");
    assert_string_equal(rows[3].staff_id, "zhao");
}

static void test_points_cap(void **state)
{
    (void)state;
    assert_true(syncd_points_capped(4, 10, 0) == 4);
    assert_true(syncd_points_capped(4, 10, 8) == 2);
    assert_true(syncd_points_capped(4, 10, 10) == 0);
    assert_true(syncd_points_capped(4, 10, 12) == 0);
}

static void test_similar_terms(void **state)
{
    syncd_similar_terms_t t;
    const char *g;
    size_t len;

    (void)state;
    syncd_similar_terms("名单要提前", &t);
    assert_int_equal(syncd_similar_ntrigrams(&t), 3);
    assert_string_equal(t.head, "名单");
    assert_string_equal(t.tail, "提前");
    g = syncd_similar_trigram(&t, 0, &len);
    assert_int_equal(len, 9);
    assert_memory_equal(g, "名单要", 9);
    g = syncd_similar_trigram(&t, 2, &len);
    assert_int_equal(len, 9);
    assert_memory_equal(g, "要提前", 9);
    syncd_similar_terms("ab", &t);
    assert_int_equal(syncd_similar_ntrigrams(&t), 0);
}

static void test_decision_check_and_apply(void **state)
{
    syncd_decision_t d = {.status = "done",
                          .day = "2025-11-25",
                          .due = "2025-13-01",
                          .manager = "m"};
    syncd_suggestion_t sg = {0};
    char why[512];

    (void)state;
    assert_int_equal(syncd_decision_check(&d, why, sizeof why), PROTO_EINVAL);
    assert_string_equal(
        why, "due date \"2025-13-01\" is not a date; write it as YYYY-MM-DD");
    d.due = NULL;
    d.status = "merged";
    assert_int_equal(syncd_decision_check(&d, why, sizeof why), PROTO_EINVAL);
    d.status = "done";
    assert_int_equal(syncd_decision_check(&d, why, sizeof why), 0);

    snprintf(sg.s.id, sizeof sg.s.id, "k1:2");
    snprintf(sg.s.status, sizeof sg.s.status, "new");
    assert_int_equal(syncd_decision_apply(&sg, "new", &d, why, sizeof why),
                     PROTO_ESTATE);
    assert_string_equal(why, "suggestion k1:2 is \"new\" and cannot become "
                             "\"done\"; from there it can become: review "
                             "accepted rejected");
    assert_string_equal(sg.s.status, "new");
    d.feedback = "好";
    assert_int_equal(syncd_decision_apply(&sg, "accepted", &d, why, sizeof why),
                     0);
    assert_string_equal(sg.s.status, "done");
    assert_string_equal(sg.done_day, "2025-11-25");
    assert_string_equal(sg.s.feedback, "好");
    proto_free(sg.s.feedback);
}

/* The standings cache: a hit only for the same site and change id, a
 * copy the caller owns, empty standings cached too, and the least
 * recently built site goes when the cache is full. */
static void test_standings_cache(void **state)
{
    (void)state;
    syncd_standings_cache_t *c = NULL;
    proto_standing_t rows[2], *got = NULL;
    uint32_t n = 99;

    syncd_standing_fill(rows, 0, "2026-W48", "zhang", "tele", 120);
    syncd_standing_fill(rows, 1, "2026-W48", "li", "tele", 80);
    assert_int_equal(syncd_standings_cache_get(c, "s1", 7, &got, &n), 0);
    assert_null(got);
    assert_int_equal(n, 0);
    syncd_standings_cache_put(&c, "s1", 7, rows, 2);
    assert_non_null(c);
    assert_int_equal(syncd_standings_cache_get(c, "s1", 7, &got, &n), 1);
    assert_int_equal(n, 2);
    assert_memory_equal(got, rows, sizeof rows);
    got[0].points = 0; /* the caller's copy */
    proto_free(got);
    assert_int_equal(syncd_standings_cache_get(c, "s1", 7, &got, &n), 1);
    assert_int_equal(got[0].points, 120);
    proto_free(got);
    /* a change: the old rows are no answer */
    assert_int_equal(syncd_standings_cache_get(c, "s1", 8, &got, &n), 0);
    assert_int_equal(syncd_standings_cache_get(c, "s2", 7, &got, &n), 0);
    syncd_standings_cache_put(&c, "s1", 8, rows + 1, 1);
    assert_int_equal(syncd_standings_cache_get(c, "s1", 8, &got, &n), 1);
    assert_int_equal(n, 1);
    assert_string_equal(got[0].staff_id, "li");
    proto_free(got);
    assert_int_equal(syncd_standings_cache_get(c, "s1", 7, &got, &n), 0);
    /* nobody with points yet: cached as empty */
    syncd_standings_cache_put(&c, "s2", 3, NULL, 0);
    assert_int_equal(syncd_standings_cache_get(c, "s2", 3, &got, &n), 1);
    assert_null(got);
    assert_int_equal(n, 0);
    /* full: s1 (built before s2) goes first */
    char site[16];
    for (int i = 0; i < SYNCD_STANDINGS_SITES - 2; i++) {
        snprintf(site, sizeof site, "x%d", i);
        syncd_standings_cache_put(&c, site, 1, rows, 1);
    }
    assert_int_equal(syncd_standings_cache_get(c, "s1", 8, &got, &n), 1);
    proto_free(got);
    syncd_standings_cache_put(&c, "new", 1, rows, 2);
    assert_int_equal(syncd_standings_cache_get(c, "s1", 8, &got, &n), 0);
    assert_int_equal(syncd_standings_cache_get(c, "s2", 3, &got, &n), 1);
    assert_int_equal(syncd_standings_cache_get(c, "new", 1, &got, &n), 1);
    assert_int_equal(n, 2);
    proto_free(got);
    syncd_standings_cache_free(&c);
    assert_null(c);
    syncd_standings_cache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_forms),
        cmocka_unit_test(test_number_short_buffer_stays_terminated),
        cmocka_unit_test(test_export_absent_is_null_and_empty),
        cmocka_unit_test(test_verify_reports),
        cmocka_unit_test(test_standings_share_ranks),
        cmocka_unit_test(test_standings_cache),
        cmocka_unit_test(test_points_cap),
        cmocka_unit_test(test_similar_terms),
        cmocka_unit_test(test_decision_check_and_apply),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
