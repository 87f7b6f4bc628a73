/*
 * test_similar.c — near-duplicate suggestions: the exact scores of the
 * documented test set (Chinese and English), the threshold between the
 * pairs that must group and those that must not, short texts that never
 * match, the grouping into clusters (representative, order, independence
 * from input order), and the store's candidate search through the FTS5
 * trigram index on suggestions pushed through the real ingest path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "agenda_fixture.h"
#include "syncd/similar.h"

/* the score rounded to 3 decimals, as text, so a failure shows both */
static void assert_score(const char *a, const char *b, const char *expected)
{
    char got[16];
    snprintf(got, sizeof got, "%.3f", syncd_similarity(a, b));
    if (strcmp(got, expected) != 0)
        fail_msg("similarity(\"%s\", \"%s\") = %s, expected %s", a, b, got,
                 expected);
    /* symmetric */
    snprintf(got, sizeof got, "%.3f", syncd_similarity(b, a));
    assert_string_equal(got, expected);
}

static void test_scores_chinese(void **state)
{
    (void)state;
    assert_score("外呼名单质量太差", "外呼名单质量差，很多空号", "0.522");
    assert_score("直播间人气低，互动少", "直播互动太少", "0.316");
    assert_score("客户回访表格太复杂", "外呼名单质量太差", "0.000");
    assert_score("客户回访表格太复杂", "外呼名单质量差，很多空号", "0.000");
    assert_score("客户回访表格太复杂", "直播间人气低，互动少", "0.000");
    assert_score("客户回访表格太复杂", "直播互动太少", "0.000");
    assert_score("外呼名单质量太差", "直播间人气低，互动少", "0.000");
    /* the closest pair that must not group */
    assert_score("直播互动太少", "客户回访太少", "0.250");
    assert_true(syncd_similarity("直播间人气低，互动少", "直播互动太少") >=
                SYNCD_SIMILAR_THRESHOLD);
    assert_true(syncd_similarity("直播互动太少", "客户回访太少") <
                SYNCD_SIMILAR_THRESHOLD);
    /* punctuation and spaces (ASCII, full-width, CJK) do not count */
    assert_score("外呼名单质量太差", "外呼 名单“质量”太差！", "1.000");
}

static void test_scores_english(void **state)
{
    (void)state;
    assert_score("The call list is outdated",
                 "Call list outdated, many dead numbers", "0.429");
    assert_score("Livestream script too long", "the script is too long",
                 "0.489");
    assert_score("The call list is outdated", "Livestream script too long",
                 "0.000");
    /* case and full-width letters fold to ASCII */
    assert_score("CALL LIST", "call list", "1.000");
    assert_score("ｃａｌｌ ｌｉｓｔ", "call list", "1.000");
}

static void test_short_texts_never_match(void **state)
{
    (void)state;
    assert_score("差", "差", "0.000");
    assert_score("太差", "太差", "0.000");
    assert_score("ab", "ab", "0.000");
    assert_score("a b!", "ab", "0.000"); /* two code points after normalising */
    assert_score("", "", "0.000");
    assert_score("外呼名", "外呼名", "1.000"); /* three is enough */
    assert_true(syncd_similarity(NULL, "外呼名单质量太差") == 0.0);
    /* invalid UTF-8 bytes are skipped, not fatal */
    assert_score("外呼\xff名单质量太差", "外呼名单质量太差", "1.000");
}

static void test_normalise(void **state)
{
    (void)state;
    char out[64];
    size_t n = 0;
    assert_int_equal(
        syncd_similar_normalise("Call 名单，质量 (太差)!", out, sizeof out, &n),
        0);
    assert_string_equal(out, "call名单质量太差");
    assert_int_equal(n, 10);
    assert_int_equal(syncd_similar_normalise("外呼名单", out, 7, &n),
                     PROTO_ERANGE);
}

static const syncd_similar_item_t set[] = {
    {"k1:1", "外呼名单质量太差", NULL, 2},
    {"k1:2", "外呼名单质量差，很多空号", "", 3},
    {"k1:3", "直播间人气低，互动少", NULL, 1},
    {"k1:4", "直播互动太少", NULL, 1},
    {"k1:5", "客户回访表格太复杂", NULL, 4},
    {"k1:6", "差", NULL, 0},
    {"k1:7", "差", NULL, 0},
};
#define N_SET (sizeof set / sizeof set[0])

/* The clusters as "id,id;id;..." for one exact comparison. */
static void clusters_text(const syncd_similar_item_t *items,
                          const syncd_similar_cluster_t *cl, size_t n,
                          char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < cl[i].n; k++) {
            int w =
                snprintf(out + used, len - used, "%s%s",
                         k ? "," : (i ? ";" : ""), items[cl[i].members[k]].id);
            assert_true(w > 0 && (size_t)w < len - used);
            used += (size_t)w;
        }
        int w = snprintf(out + used, len - used, "(%llu)",
                         (unsigned long long)cl[i].votes);
        assert_true(w > 0 && (size_t)w < len - used);
        used += (size_t)w;
    }
}

static void test_group(void **state)
{
    (void)state;
    syncd_similar_cluster_t *cl = NULL;
    size_t n = 0;
    char text[256];
    assert_int_equal(syncd_similar_group(set, N_SET, 0, &cl, &n), 0);
    assert_int_equal(n, 5);
    clusters_text(set, cl, n, text, sizeof text);
    /* by votes: 外呼 5, 客户回访 4, 直播 2 (tie between k1:3 and k1:4 goes
     * to the smaller id), the two short ones alone */
    assert_string_equal(text,
                        "k1:2,k1:1(5);k1:5(4);k1:3,k1:4(2);k1:6(0);k1:7(0)");
    syncd_similar_clusters_free(&cl, n);
    assert_null(cl);

    /* the same items in reverse order give the same clusters */
    syncd_similar_item_t rev[N_SET];
    for (size_t i = 0; i < N_SET; i++)
        rev[i] = set[N_SET - 1 - i];
    assert_int_equal(syncd_similar_group(rev, N_SET, 0, &cl, &n), 0);
    clusters_text(rev, cl, n, text, sizeof text);
    assert_string_equal(text,
                        "k1:2,k1:1(5);k1:5(4);k1:3,k1:4(2);k1:6(0);k1:7(0)");
    syncd_similar_clusters_free(&cl, n);

    /* a stricter threshold splits the 直播 pair (0.316) but not 外呼 */
    assert_int_equal(syncd_similar_group(set, N_SET, 0.4, &cl, &n), 0);
    clusters_text(set, cl, n, text, sizeof text);
    assert_string_equal(text,
                        "k1:2,k1:1(5);k1:5(4);k1:3(1);k1:4(1);k1:6(0);k1:7(0)");
    syncd_similar_clusters_free(&cl, n);
}

/* Single link: a chain A~B, B~C joins A and C even if A and C differ. */
static void test_group_chain(void **state)
{
    (void)state;
    const syncd_similar_item_t chain[] = {
        {"c", "名单里很多空号", NULL, 0},
        {"a", "外呼名单质量太差", NULL, 0},
        {"b", "外呼名单质量差，很多空号", NULL, 0},
    };
    assert_score(chain[0].title, chain[1].title, "0.000");
    assert_score(chain[0].title, chain[2].title, "0.364");
    syncd_similar_cluster_t *cl = NULL;
    size_t n = 0;
    char text[128];
    assert_int_equal(syncd_similar_group(chain, 3, 0, &cl, &n), 0);
    clusters_text(chain, cl, n, text, sizeof text);
    assert_string_equal(text, "a,b,c(0)");
    syncd_similar_clusters_free(&cl, n);
}

static void test_group_errors(void **state)
{
    (void)state;
    syncd_similar_cluster_t *cl = NULL;
    size_t n = 7;
    assert_int_equal(syncd_similar_group(NULL, 0, 0, &cl, &n), 0);
    assert_int_equal(n, 0);
    assert_null(cl);
    assert_int_equal(syncd_similar_group(NULL, 2, 0, &cl, &n), PROTO_EINVAL);
    assert_int_equal(syncd_similar_group(set, N_SET, 0, NULL, &n),
                     PROTO_EINVAL);
    const syncd_similar_item_t noid[] = {{NULL, "外呼名单", NULL, 0}};
    assert_int_equal(syncd_similar_group(noid, 1, 0, &cl, &n), PROTO_EINVAL);
    syncd_similar_clusters_free(NULL, 0);
}

/* ---- the store's candidate search (FTS5 trigram + boundary LIKE) */

static void candidates_text(afx_t *fx, const char *site, const char *text,
                            size_t max, char *out, size_t len)
{
    syncd_suggestion_t *list = NULL;
    size_t n = 0, used = 0;
    int rc =
        syncd_store_similar_candidates(fx->store, site, text, max, &list, &n);
    if (rc != 0)
        fail_msg("candidates: %s", syncd_store_errmsg(fx->store));
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out + used, len - used, "%s%s", i ? "," : "",
                         list[i].s.id);
        assert_true(w > 0 && (size_t)w < len - used);
        used += (size_t)w;
    }
    syncd_suggestions_free(list, n);
}

static void test_store_candidates(void **state)
{
    afx_t *fx = *state;
    int64_t t = afx_sh(2026, 11, 23, 9, 0);
    proto_event_t ev[] = {
        afx_suggestion("s1", false, "外呼名单质量太差", NULL, t),
        afx_suggestion("s2", false, "外呼名单质量差，很多空号", NULL, t + 1),
        afx_suggestion("s1", false, "直播间人气低，互动少", NULL, t + 2),
        afx_suggestion("s2", false, "客户回访表格太复杂", "表格有三页", t + 3),
        afx_suggestion("s1", true, "Call list outdated", NULL, t + 4),
    };
    afx_push(fx, ev, 5);
    /* the trigger filled the index, title and body (SQLite's FTS5 index;
     * PostgreSQL scans the suggestions themselves) */
    if (!fx->sx.pg) {
        assert_afx_sql(fx, "SELECT count(*) FROM suggestion_text", "5");
        assert_afx_sql(fx, "SELECT text FROM suggestion_text WHERE id = 'k1:4'",
                       "客户回访表格太复杂 表格有三页");
    }
    char got[256];
    /* an inner trigram: 外呼名单 is in both */
    candidates_text(fx, "futian", "外呼名单太旧", 10, got, sizeof got);
    assert_string_equal(got, "k1:1,k1:2");
    /* no shared trigram, found through its first two characters */
    candidates_text(fx, "futian", "直播互动太少", 10, got, sizeof got);
    assert_string_equal(got, "k1:3");
    /* the body is searched too */
    candidates_text(fx, "futian", "有三页纸", 10, got, sizeof got);
    assert_string_equal(got, "k1:4");
    /* English, any case */
    candidates_text(fx, "futian", "CALL LIST", 10, got, sizeof got);
    assert_string_equal(got, "k1:5");
    /* max */
    candidates_text(fx, "futian", "外呼名单太旧", 1, got, sizeof got);
    assert_int_equal(strlen(got), 4);
    /* short text, other site, nothing in common */
    candidates_text(fx, "futian", "外呼", 10, got, sizeof got);
    assert_string_equal(got, "");
    candidates_text(fx, "luohu", "外呼名单太旧", 10, got, sizeof got);
    assert_string_equal(got, "");
    candidates_text(fx, "futian", "周末值班安排", 10, got, sizeof got);
    assert_string_equal(got, "");
    /* a merged suggestion is no longer offered */
    assert_int_equal(
        syncd_store_suggestion_merge(fx->store, "k1:2", "k1:1", "li", t + 60),
        0);
    candidates_text(fx, "futian", "外呼名单太旧", 10, got, sizeof got);
    assert_string_equal(got, "k1:1");
    /* a quote in the text cannot break the FTS5 query */
    candidates_text(fx, "futian", "\"外呼名单\" OR", 10, got, sizeof got);
    assert_string_equal(got, "k1:1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_chinese),
        cmocka_unit_test(test_scores_english),
        cmocka_unit_test(test_short_texts_never_match),
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_group_chain),
        cmocka_unit_test(test_group_errors),
        cmocka_unit_test_setup_teardown(test_store_candidates, afx_setup,
                                        afx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
