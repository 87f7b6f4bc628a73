/*
 * test_lifecycle.c — the suggestion lifecycle through the real ingest
 * path: allowed and refused transitions with their exact messages, owner,
 * due date, success measure and feedback stored and carried by FEED with a
 * new change_id, the history naming the manager, and a merge that moves
 * votes (a voter who supported both counts once; later votes for the
 * merged one count for the survivor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "agenda_fixture.h"

static void push_two(afx_t *fx)
{
    proto_event_t ev[] = {
        afx_suggestion("s1", false, "外呼名单质量太差", NULL,
                       afx_sh(2026, 11, 23, 9, 0)),
        afx_suggestion("s2", false, "外呼名单质量差，很多空号", NULL,
                       afx_sh(2026, 11, 23, 9, 5)),
    };
    afx_push(fx, ev, 2);
}

static void test_decide_and_feed(void **state)
{
    afx_t *fx = *state;
    proto_msg_t msg;
    syncd_suggestion_t sg;
    push_two(fx);
    uint64_t cursor = syncd_store_feed_cursor(fx->store, "futian");

    syncd_decision_t d = {
        .status = "review", .manager = "zhou", .day = "2026-11-24"};
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 100),
                     0);
    d = (syncd_decision_t){.status = "accepted",
                           .owner_id = "s3",
                           .due = "2026-12-05",
                           .measure = "tm-call.calls:up",
                           .feedback = "好主意，下周起试行",
                           .manager = "zhou",
                           .day = "2026-11-24"};
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 200),
                     0);
    assert_int_equal(syncd_store_suggestion_get(fx->store, "k1:1", &sg), 0);
    assert_string_equal(sg.s.status, "accepted");
    assert_string_equal(sg.s.owner_id, "s3");
    assert_string_equal(sg.s.due, "2026-12-05");
    assert_string_equal(sg.measure, "tm-call.calls:up");
    assert_string_equal(sg.s.feedback, "好主意，下周起试行");
    assert_int_equal(sg.s.updated_ms, 200);
    proto_free(sg.s.title);
    proto_free(sg.s.body);
    proto_free(sg.s.feedback);

    /* the kiosk sees the decision at its next sync */
    assert_int_equal(syncd_store_feed(fx->store, "futian", cursor, 10, &msg),
                     0);
    assert_int_equal(msg.u.feed.n_suggestions, 1);
    assert_string_equal(msg.u.feed.suggestions[0].id, "k1:1");
    assert_string_equal(msg.u.feed.suggestions[0].status, "accepted");
    assert_string_equal(msg.u.feed.suggestions[0].feedback,
                        "好主意，下周起试行");
    proto_msg_clear(&msg);

    /* every change recorded with who and when */
    syncd_history_t *h = NULL;
    size_t n = 0;
    assert_int_equal(syncd_store_suggestion_history(fx->store, "k1:1", &h, &n),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(h[0].from_status, "new");
    assert_string_equal(h[0].to_status, "review");
    assert_string_equal(h[0].manager, "zhou");
    assert_int_equal(h[0].at_ms, 100);
    assert_string_equal(h[1].to_status, "accepted");
    assert_string_equal(h[1].owner_id, "s3");
    assert_true(h[1].has_feedback);
    free(h);

    /* a list by status */
    syncd_suggestion_t *list = NULL;
    assert_int_equal(
        syncd_store_suggestion_list(fx->store, "futian", "new", &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].s.id, "k1:2");
    syncd_suggestions_free(list, n);
    afx_verified(fx);
}

static void test_refusals_are_readable(void **state)
{
    afx_t *fx = *state;
    push_two(fx);
    syncd_decision_t d = {
        .status = "done", .manager = "zhou", .day = "2026-11-24"};
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 1),
                     PROTO_ESTATE);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "decide: suggestion k1:1 is \"new\" and cannot become "
                        "\"done\"; from there it can become: review accepted "
                        "rejected");
    d.status = "merged";
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 1),
                     PROTO_EINVAL);
    d.status = "accepted";
    d.due = "2026-13-01";
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 1),
                     PROTO_EINVAL);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "decide: due date \"2026-13-01\" is not a date; write "
                        "it as YYYY-MM-DD");
    d.due = NULL;
    d.measure = "tm-call:up";
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 1),
                     PROTO_EINVAL);
    d.measure = NULL;
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k9:9", &d, 1),
                     PROTO_ENOTFOUND);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "decide: no suggestion \"k9:9\"; syncctl suggestions "
                        "lists them with their ids");
    d.status = "rejected";
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 1),
                     0);
    d.status = "done";
    assert_int_equal(syncd_store_suggestion_decide(fx->store, "k1:1", &d, 1),
                     PROTO_ESTATE);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "decide: suggestion k1:1 is \"rejected\" and cannot "
                        "become \"done\"; from there it can become: review");
    /* refusals wrote nothing */
    assert_afx_sql(fx, "SELECT COUNT(*) FROM suggestion_history", "1");
}

static void test_merge_moves_votes_once(void **state)
{
    afx_t *fx = *state;
    syncd_suggestion_t sg;
    push_two(fx);
    proto_event_t votes[] = {
        afx_vote("s1", "k1:1", afx_sh(2026, 11, 23, 10, 0)),
        afx_vote("s2", "k1:1", afx_sh(2026, 11, 23, 10, 1)),
        afx_vote("s2", "k1:2", afx_sh(2026, 11, 23, 10, 2)),
    };
    afx_push(fx, votes, 3);
    assert_int_equal(
        syncd_store_suggestion_merge(fx->store, "k1:1", "k1:2", "zhou", 300),
        0);
    assert_int_equal(syncd_store_suggestion_get(fx->store, "k1:2", &sg), 0);
    assert_int_equal(sg.s.votes, 2); /* s1 and s2; s2 once */
    proto_free(sg.s.title);
    assert_int_equal(syncd_store_suggestion_get(fx->store, "k1:1", &sg), 0);
    assert_string_equal(sg.s.status, "merged");
    assert_string_equal(sg.s.merged_into, "k1:2");
    assert_int_equal(sg.s.votes, 0);
    proto_free(sg.s.title);

    /* a kiosk that has not heard yet votes for the merged one */
    proto_event_t late[] = {
        afx_vote("s3", "k1:1", afx_sh(2026, 11, 23, 11, 0)),
        afx_vote("s1", "k1:1", afx_sh(2026, 11, 23, 11, 1)),
    };
    afx_push(fx, late, 2);
    assert_afx_sql(fx,
                   "SELECT group_concat(staff_id) FROM (SELECT staff_id FROM"
                   " votes WHERE suggestion_id = 'k1:2' ORDER BY staff_id) AS x",
                   "s1,s2,s3");
    assert_afx_sql(fx, "SELECT votes FROM suggestions WHERE id = 'k1:2'", "3");

    /* merging again, or into a merged one, is refused */
    assert_int_equal(
        syncd_store_suggestion_merge(fx->store, "k1:1", "k1:2", "zhou", 301),
        PROTO_ESTATE);
    assert_int_equal(
        syncd_store_suggestion_merge(fx->store, "k1:2", "k1:1", "zhou", 301),
        PROTO_ESTATE);
    assert_int_equal(
        syncd_store_suggestion_merge(fx->store, "k1:2", "k1:2", "zhou", 301),
        PROTO_EINVAL);
    syncd_history_t *h = NULL;
    size_t n = 0;
    assert_int_equal(syncd_store_suggestion_history(fx->store, "k1:1", &h, &n),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].to_status, "merged");
    assert_string_equal(h[0].merged_into, "k1:2");
    free(h);
    afx_verified(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_decide_and_feed, afx_setup,
                                        afx_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_are_readable, afx_setup,
                                        afx_teardown),
        cmocka_unit_test_setup_teardown(test_merge_moves_votes_once, afx_setup,
                                        afx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
