/*
 * test_app_rime.c — pinyin through the real librime with the packaged
 * data (rime-data-luna-pinyin), deployed once into a temporary user
 * directory; and the similar-suggestion index (SQLite FTS5 trigram).
 *
 * librime is one engine per process, so the whole IME check is one test
 * with one deploy (about a second with Debian's prebuilt data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../kiosk/src/app/app.h"

static char tmp[64];

static int rm_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd);
}

static void keys(const kiosk_ime_t *h, const char *letters, char *commit,
                 size_t len)
{
    for (const char *p = letters; *p; p++) {
        char k[2] = {*p, 0};
        assert_true(h->key(h->ctx, k, commit, len));
    }
}

static void test_rime_pinyin(void **state)
{
    (void)state;
    char dir[128], err[512], commit[256] = "", path[256];
    snprintf(tmp, sizeof tmp, "/tmp/stepwise-rime-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    snprintf(dir, sizeof dir, "%s/rime", tmp);
    kiosk_ime_rime_t *ime = kiosk_ime_rime_new(dir, NULL, err, sizeof err);
    assert_non_null(ime);
    const kiosk_ime_t *h = kiosk_ime_rime_hook(ime);
    assert_int_equal(h->state(h->ctx), KIOSK_IME_OFF);
    assert_false(h->key(h->ctx, "a", commit, sizeof commit));
    assert_int_equal(kiosk_ime_rime_start(ime), 0);
    kiosk_ime_state_t st = kiosk_ime_rime_wait(ime, 120000);
    if (st != KIOSK_IME_READY)
        fail_msg("rime: %s", kiosk_ime_rime_error(ime));

    /* a second engine in the same process is refused, with a reason */
    kiosk_ime_rime_t *two = kiosk_ime_rime_new(dir, NULL, err, sizeof err);
    assert_non_null(two);
    assert_int_equal(kiosk_ime_rime_start(two), -1);
    assert_int_equal(kiosk_ime_rime_hook(two)->state(two), KIOSK_IME_FAILED);
    assert_non_null(strstr(kiosk_ime_rime_error(two), "already running"));
    kiosk_ime_rime_destroy(&two);
    assert_null(two);

    /* liucheng: composition as typed, 流程 first */
    keys(h, "liucheng", commit, sizeof commit);
    assert_string_equal(commit, "");
    assert_string_equal(h->preedit(h->ctx), "liu cheng");
    assert_string_equal(h->candidate(h->ctx, 0), "流程");
    assert_non_null(h->candidate(h->ctx, 4));
    assert_null(h->candidate(h->ctx, 5)); /* pages of five */
    bool prev, next;
    h->paging(h->ctx, &prev, &next);
    assert_false(prev);
    assert_true(next);
    /* paging: another page, then back */
    char first2[128];
    assert_true(h->page(h->ctx, 1));
    snprintf(first2, sizeof first2, "%s", h->candidate(h->ctx, 0));
    assert_string_not_equal(first2, "流程");
    h->paging(h->ctx, &prev, &next);
    assert_true(prev);
    assert_true(h->page(h->ctx, -1));
    assert_string_equal(h->candidate(h->ctx, 0), "流程");
    assert_false(h->page(h->ctx, -1)); /* no page before the first */
    /* backspace shortens the composition */
    assert_true(h->key(h->ctx, "backspace", commit, sizeof commit));
    assert_string_equal(h->preedit(h->ctx), "liu chen");
    assert_true(h->key(h->ctx, "g", commit, sizeof commit));
    /* commit returns UTF-8 text, byte for byte */
    assert_true(h->select(h->ctx, 0, commit, sizeof commit));
    assert_memory_equal(commit, "\xe6\xb5\x81\xe7\xa8\x8b", 7);
    assert_string_equal(h->preedit(h->ctx), "");
    assert_null(h->candidate(h->ctx, 0));
    /* space commits the first candidate; backspace with nothing
     * composed is not the input method's */
    keys(h, "kehu", commit, sizeof commit);
    assert_true(h->key(h->ctx, "space", commit, sizeof commit));
    assert_string_equal(commit, "客户");
    assert_false(h->key(h->ctx, "backspace", commit, sizeof commit));
    /* reset drops a composition */
    keys(h, "ni", commit, sizeof commit);
    h->reset(h->ctx);
    assert_string_equal(h->preedit(h->ctx), "");
    kiosk_ime_rime_destroy(&ime);
    assert_null(ime);
    /* the deploy result is cached in the user directory */
    snprintf(path, sizeof path, "%s/build/luna_pinyin_simp.prism.bin", dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/build/luna_pinyin_simp.schema.yaml", dir);
    assert_int_equal(access(path, R_OK), 0);
    rm_tree();
}

static void test_similar_index(void **state)
{
    (void)state;
    char path[128], err[512], ids[3][PROTO_ID_MAX + 1];
    snprintf(tmp, sizeof tmp, "/tmp/stepwise-sim-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    snprintf(path, sizeof path, "%s/similar.db", tmp);
    kiosk_simindex_t *sx = kiosk_simindex_open(path, err, sizeof err);
    assert_non_null(sx);
    proto_suggestion_t feed[4];
    memset(feed, 0, sizeof feed);
    const char *titles[4] = {"名单重复太多", "外呼名单重复，浪费时间",
                             "Shorter call script", "直播排班表"};
    for (int i = 0; i < 4; i++) {
        snprintf(feed[i].id, sizeof feed[i].id, "k9:%d", i + 1);
        feed[i].title = (char *)titles[i];
    }
    assert_int_equal(kiosk_simindex_update(sx, feed, 4), 0);
    /* two titles share 名单重; the one sharing more trigrams first */
    int n = kiosk_simindex_search(sx, "名单重复太多了", ids, 3);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], "k9:1");
    assert_string_equal(ids[1], "k9:2");
    n = kiosk_simindex_search(sx, "the CALL scr", ids, 3);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], "k9:3");
    /* under three characters nothing; quotes are text, not syntax */
    assert_int_equal(kiosk_simindex_search(sx, "名单", ids, 3), 0);
    assert_int_equal(kiosk_simindex_search(sx, "\"直播\" OR", ids, 3), 0);
    assert_int_equal(kiosk_simindex_search(sx, "直播排", ids, 1), 1);
    assert_string_equal(ids[0], "k9:4");
    /* a new feed replaces the old one: nothing left over, nothing twice */
    assert_int_equal(kiosk_simindex_update(sx, &feed[3], 1), 0);
    assert_int_equal(kiosk_simindex_search(sx, "名单重复", ids, 3), 0);
    assert_int_equal(kiosk_simindex_update(sx, &feed[3], 1), 0);
    assert_int_equal(kiosk_simindex_search(sx, "直播排班", ids, 3), 1);
    /* the hook says the same */
    const kiosk_similar_t *hook = kiosk_simindex_hook(sx);
    assert_int_equal(hook->search(hook->ctx, "直播排班", ids, 3), 1);
    kiosk_simindex_destroy(&sx);
    assert_null(sx);
    /* an unopenable path says which and what to do */
    assert_null(
        kiosk_simindex_open("/nonexistent-dir/x/similar.db", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-dir/x/similar.db"));
    rm_tree();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rime_pinyin),
        cmocka_unit_test(test_similar_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
