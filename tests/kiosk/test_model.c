/*
 * test_model.c — every screen flow of the kiosk model, headless: what a
 * person taps, what the screen then says (exact text), and what the model
 * asks the shell to save (exact events). No SDL, no outbox: the test plays
 * the shell, answering saves with KIOSK_IN_SAVED or KIOSK_IN_SAVE_FAILED.
 *
 * Fixture: tests/kiosk/model_catalogue.yaml (Wang Fang's PIN is 2468,
 * Chen Jianguo's 1234). The clock starts at 2026-11-27 10:00 in Shanghai.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kiosk/model.h"
#include "protocol/catalogue.h"

#include "model_fixture.h"

#define T0 (1795744800LL * 1000) /* 2026-11-27 02:00 UTC = 10:00 +08 */
#define TZ (8 * 3600)

typedef struct {
    kiosk_model_t *m;
    int64_t now;
    uint64_t next_seq;
} fx_t;

static proto_catalogue_t *load_catalogue(void)
{
    char err[512];
    proto_catalogue_t *cat = proto_catalogue_load_file(
        STEPWISE_TESTDATA "/model_catalogue.yaml", err, sizeof err);
    if (!cat)
        fail_msg("fixture catalogue: %s", err);
    return cat;
}

static kiosk_model_t *make_model(int w, int h, kiosk_lang_t lang,
                                 const char *missing, bool with_catalogue)
{
    char err[512];
    kiosk_model_config_t cfg = fx_model_config(w, h);
    cfg.lang = lang;
    cfg.tz_offset_s = TZ;
    cfg.missing = missing;
    cfg.data_dir = "/var/lib/stepwise";
    kiosk_model_t *m = kiosk_model_new(&cfg, err, sizeof err);
    if (!m)
        fail_msg("model: %s", err);
    if (with_catalogue) {
        kiosk_input_t in = {.kind = KIOSK_IN_CATALOGUE,
                            .catalogue = load_catalogue()};
        assert_int_equal(kiosk_model_update(m, &in, T0), 0);
        assert_null(in.catalogue); /* the model took it */
    }
    return m;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    f->m = make_model(800, 480, KIOSK_LANG_ZH, NULL, true);
    f->now = T0;
    f->next_seq = 1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    kiosk_model_destroy(&f->m);
    assert_null(f->m);
    free(f);
    return 0;
}

static int tap_rc(fx_t *f, const char *id)
{
    kiosk_input_t in = {.kind = KIOSK_IN_TAP_ID, .id = id};
    return kiosk_model_update(f->m, &in, f->now);
}

static void tap(fx_t *f, const char *id)
{
    int rc = tap_rc(f, id);
    if (rc != 0)
        fail_msg("tap %s on %s: %s", id,
                 kiosk_screen_name(kiosk_model_screen(f->m)),
                 kiosk_model_strerror(rc));
}

static void type(fx_t *f, const char *text)
{
    kiosk_input_t in = {.kind = KIOSK_IN_TEXT, .text = text};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
}

static void key(fx_t *f, const char *name)
{
    kiosk_input_t in = {.kind = KIOSK_IN_KEY, .text = name};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
}

static void wait_ms(fx_t *f, int64_t ms)
{
    f->now += ms;
    kiosk_input_t in = {.kind = KIOSK_IN_TICK};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
}

static const char *text(fx_t *f, const char *id)
{
    const kiosk_widget_t *w = kiosk_model_widget(f->m, id);
    if (!w)
        fail_msg("no widget %s on %s", id,
                 kiosk_screen_name(kiosk_model_screen(f->m)));
    return w->text;
}

static bool shows(fx_t *f, const char *needle)
{
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(f->m, &n);
    for (size_t i = 0; i < n; i++)
        if (strstr(w[i].text, needle))
            return true;
    return false;
}

static void expect_screen(fx_t *f, kiosk_screen_t s)
{
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(f->m)),
                        kiosk_screen_name(s));
}

/* Takes exactly one SAVE effect (plus any SYNC_NOW) and returns its event
 * moved into *ev. */
static void take_save(fx_t *f, proto_event_t *ev)
{
    kiosk_effect_t *list = NULL;
    size_t n = 0, saves = 0;
    assert_int_equal(kiosk_model_take_effects(f->m, &list, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (list[i].kind == KIOSK_FX_SAVE) {
            saves++;
            *ev = list[i].event;
            memset(&list[i].event, 0, sizeof list[i].event);
        }
    kiosk_effects_free(&list, n);
    assert_int_equal(saves, 1);
}

/* The shell's part: the outbox assigns seq and says saved. */
static void answer_saved(fx_t *f, proto_event_t *ev)
{
    ev->seq = f->next_seq++;
    snprintf(ev->kiosk_id, sizeof ev->kiosk_id, "k1");
    kiosk_input_t in = {.kind = KIOSK_IN_SAVED, .event = ev};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
    proto_event_clear(ev);
    /* saved events make the model ask for a sync */
    kiosk_effect_t *list = NULL;
    size_t n = 0;
    kiosk_model_take_effects(f->m, &list, &n);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].kind, KIOSK_FX_SYNC_NOW);
    kiosk_effects_free(&list, n);
}

/* ---- tests */

static void test_strings_same_keys(void **state)
{
    (void)state;
    char err[256];
    /* the model loads both; a key missing from one language shows as the
     * key itself, so compare the files' key sets directly */
    FILE *a = fopen(STEPWISE_ASSETS "/strings/zh-CN.strings", "r");
    FILE *b = fopen(STEPWISE_ASSETS "/strings/en.strings", "r");
    assert_non_null(a);
    assert_non_null(b);
    char line[4096];
    char keys[2][400][64];
    size_t n[2] = {0, 0};
    FILE *files[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        while (fgets(line, sizeof line, files[k])) {
            if (line[0] == '#' || line[0] == '\n')
                continue;
            char *eq = strstr(line, " =");
            assert_non_null(eq);
            *eq = '\0';
            assert_true(n[k] < 400);
            snprintf(keys[k][n[k]++], 64, "%.63s", line);
        }
        fclose(files[k]);
    }
    assert_int_equal(n[0], n[1]);
    for (size_t i = 0; i < n[0]; i++) {
        bool found = false;
        for (size_t j = 0; j < n[1]; j++)
            found |= strcmp(keys[0][i], keys[1][j]) == 0;
        if (!found)
            fail_msg("key %s is in zh-CN.strings but not in en.strings",
                     keys[0][i]);
    }
    (void)err;
}

static void test_home_tiles_and_language(void **state)
{
    fx_t *f = *state;
    expect_screen(f, KIOSK_SCREEN_HOME);
    assert_string_equal(text(f, "tile-checkin-title"), "打卡");
    assert_string_equal(text(f, "tile-meeting-title"), "会议");
    assert_string_equal(text(f, "branch"), "测试营业部");
    assert_string_equal(text(f, "sync"),
                        "● 离线 · 没有待同步的记录 · 从未同步");
    tap(f, "lang");
    assert_string_equal(text(f, "tile-checkin-title"), "Check in");
    assert_string_equal(text(f, "branch"), "Test Branch");
    assert_string_equal(text(f, "sync"),
                        "● Offline · nothing waiting · never synced");
    /* the sync line is always true: waiting count and last sync time */
    kiosk_input_t in = {.kind = KIOSK_IN_SYNC_STATUS};
    in.sync.link = KIOSK_NET_ONLINE;
    in.sync.waiting = 3;
    in.sync.last_sync_ms = T0 - 5 * 60 * 1000; /* 09:55 local */
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
    assert_string_equal(text(f, "sync"),
                        "● Online · 3 waiting to sync · last sync 09:55");
    tap(f, "lang");
    assert_string_equal(text(f, "sync"),
                        "● 在线 · 3 条待同步 · 上次同步 09:55");
    /* online with nothing ever to send is in sync, not "never synced" */
    in.sync.waiting = 0;
    in.sync.last_sync_ms = 0;
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
    assert_string_equal(text(f, "sync"), "● 在线 · 全部已同步");
}

static void test_tap_by_coordinates(void **state)
{
    fx_t *f = *state;
    const kiosk_widget_t *w = kiosk_model_widget(f->m, "tile-guide");
    assert_non_null(w);
    kiosk_input_t in = {
        .kind = KIOSK_IN_TAP_XY, .x = w->x + w->w / 2, .y = w->y + w->h / 2};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
    expect_screen(f, KIOSK_SCREEN_GUIDE);
    /* a tap on no button is reported and changes nothing */
    in.x = 400;
    in.y = 30; /* the title in the top bar */
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), KIOSK_MODEL_ENOHIT);
    expect_screen(f, KIOSK_SCREEN_GUIDE);
    assert_int_equal(tap_rc(f, "no-such-widget"), KIOSK_MODEL_ENOWIDGET);
}

static void checkin_35_6(fx_t *f)
{
    tap(f, "tile-checkin");
    expect_screen(f, KIOSK_SCREEN_IDENTIFY);
    tap(f, "staff-zhang-wei"); /* no PIN */
    expect_screen(f, KIOSK_SCREEN_CHECKIN_PROCESS);
    assert_string_equal(kiosk_model_staff(f->m), "zhang-wei");
    tap(f, "proc-telemarketing");
    tap(f, "step-tm-call");
    expect_screen(f, KIOSK_SCREEN_CHECKIN_MEASURES);
    const kiosk_widget_t *confirm = kiosk_model_widget(f->m, "confirm");
    assert_true(confirm->flags & KIOSK_WF_DISABLED); /* nothing entered */
    assert_int_equal(tap_rc(f, "confirm"), KIOSK_MODEL_EDISABLED);
    tap(f, "plus-calls");
    tap(f, "plus-calls");
    tap(f, "minus-calls");
    assert_string_equal(text(f, "value-calls"), "1");
    tap(f, "value-calls");
    expect_screen(f, KIOSK_SCREEN_NUMPAD);
    tap(f, "key-3");
    tap(f, "key-5");
    assert_string_equal(text(f, "np-display"), "35 次");
    tap(f, "key-ok");
    expect_screen(f, KIOSK_SCREEN_CHECKIN_MEASURES);
    assert_string_equal(text(f, "value-calls"), "35");
    for (int i = 0; i < 6; i++)
        tap(f, "plus-effective");
    tap(f, "star-4");
    tap(f, "note");
    expect_screen(f, KIOSK_SCREEN_KEYBOARD);
    tap(f, "k-shift");
    tap(f, "k-o");
    tap(f, "k-k");
    tap(f, "k-done");
    assert_string_equal(text(f, "note"), "备注：Ok");
    assert_string_equal(text(f, "today-calls"), "今日已记 0 / 100");
}

static void test_checkin_saved_card(void **state)
{
    fx_t *f = *state;
    proto_event_t ev;
    checkin_35_6(f);
    tap(f, "confirm");
    /* not saved yet: the screen says so and accepts no taps */
    expect_screen(f, KIOSK_SCREEN_CHECKIN_MEASURES);
    assert_string_equal(text(f, "confirm"), "正在保存…");
    assert_int_equal(tap_rc(f, "plus-calls"), KIOSK_MODEL_EDISABLED);
    take_save(f, &ev);
    assert_int_equal(ev.type, PROTO_EV_CHECKIN);
    assert_string_equal(ev.staff_id, "zhang-wei");
    assert_string_equal(ev.step_id, "tm-call");
    assert_int_equal(ev.catalogue_version, 7);
    assert_int_equal(ev.n_measures, 2);
    assert_string_equal(ev.measures[0].key, "calls");
    assert_true(ev.measures[0].value == 35);
    assert_string_equal(ev.measures[1].key, "effective");
    assert_true(ev.measures[1].value == 6);
    assert_int_equal(ev.quality, 4);
    assert_string_equal(ev.note, "Ok");
    assert_true(ev.captured_ms == f->now);
    answer_saved(f, &ev);
    expect_screen(f, KIOSK_SCREEN_CHECKIN_SAVED);
    assert_string_equal(text(f, "saved"), "已保存：外呼");
    assert_string_equal(text(f, "total-calls"), "外呼次数  今日 35 / 100 次");
    assert_string_equal(text(f, "total-effective"), "有效通话  今日 6 / 20 次");
    assert_int_equal(kiosk_model_widget(f->m, "bar-calls")->value, 350);
    assert_int_equal(kiosk_model_widget(f->m, "bar-effective")->value, 300);
    /* (35×1 + 6×3) × 4/3 = 70.67 */
    assert_string_equal(text(f, "points"),
                        "本次 +70.7 积分 · 今日共 70.7 积分");
    assert_string_equal(text(f, "standing"),
                        "你的团队本周 70.7 积分，在本机记录中排名第 1 / "
                        "3（仅本机数据，同步后以服务器为准）");
    /* a second check-in adds to today's totals */
    tap(f, "again");
    tap(f, "proc-telemarketing");
    tap(f, "step-tm-call");
    assert_string_equal(text(f, "today-calls"), "今日已记 35 / 100");
    tap(f, "value-calls");
    type(f, "70");
    key(f, "enter");
    tap(f, "confirm");
    take_save(f, &ev);
    answer_saved(f, &ev);
    assert_string_equal(text(f, "total-calls"), "外呼次数  今日 105 / 100 次");
    assert_int_equal(kiosk_model_widget(f->m, "bar-calls")->value, 1000);
    assert_int_equal(kiosk_model_widget(f->m, "bar-calls")->tone,
                     KIOSK_TONE_OK);
    /* 70 more points, no quality: +70 today 140.7 */
    assert_string_equal(text(f, "points"), "本次 +70 积分 · 今日共 140.7 积分");
    tap(f, "done");
    expect_screen(f, KIOSK_SCREEN_HOME);
    assert_null(kiosk_model_staff(f->m));
}

static void test_daily_points_cap(void **state)
{
    fx_t *f = *state;
    proto_event_t ev;
    tap(f, "tile-checkin");
    tap(f, "staff-liu-yang");
    tap(f, "proc-telemarketing");
    tap(f, "step-tm-call");
    tap(f, "value-calls");
    type(f, "300");
    key(f, "enter");
    tap(f, "confirm");
    take_save(f, &ev);
    answer_saved(f, &ev);
    /* 300 points capped at the step's 200 a day */
    assert_string_equal(text(f, "points"), "本次 +200 积分 · 今日共 200 积分");
    /* and a value over the measure's max is held at the max */
    tap(f, "again");
    tap(f, "proc-telemarketing");
    tap(f, "step-tm-call");
    tap(f, "value-calls");
    type(f, "999");
    key(f, "enter");
    assert_string_equal(text(f, "value-calls"), "300");
}

static void test_save_failure_keeps_input(void **state)
{
    fx_t *f = *state;
    proto_event_t ev;
    checkin_35_6(f);
    tap(f, "confirm");
    take_save(f, &ev);
    proto_event_clear(&ev);
    kiosk_input_t in = {.kind = KIOSK_IN_SAVE_FAILED,
                        .text = "outbox.db: the disk is full"};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
    expect_screen(f, KIOSK_SCREEN_CHECKIN_MEASURES);
    assert_string_equal(text(f, "error"),
                        "没有保存：outbox.db: the disk is full。输入的内容仍"
                        "在，请再点一次确认；如果仍然失败，请联系管理员。");
    assert_string_equal(text(f, "value-calls"), "35");
    assert_string_equal(text(f, "value-effective"), "6");
    assert_int_equal(kiosk_model_widget(f->m, "star-4")->value, 1);
    assert_int_equal(kiosk_model_widget(f->m, "star-5")->value, 0);
    assert_string_equal(text(f, "confirm"), "确认打卡");
    assert_false(kiosk_model_widget(f->m, "confirm")->flags &
                 KIOSK_WF_DISABLED);
    assert_false(shows(f, "已保存"));
    /* retry works */
    tap(f, "confirm");
    take_save(f, &ev);
    answer_saved(f, &ev);
    expect_screen(f, KIOSK_SCREEN_CHECKIN_SAVED);
}

static void enter_pin(fx_t *f, const char *pin)
{
    for (const char *p = pin; *p; p++) {
        char id[8] = "key-";
        id[4] = *p;
        id[5] = '\0';
        tap(f, id);
    }
    tap(f, "key-ok");
}

static void test_pin_and_lockout(void **state)
{
    fx_t *f = *state;
    tap(f, "tile-checkin");
    tap(f, "staff-wang-fang");
    expect_screen(f, KIOSK_SCREEN_PIN);
    assert_string_equal(text(f, "heading"), "王芳，请输入 PIN");
    enter_pin(f, "1111");
    assert_string_equal(text(f, "pin-msg"), "PIN 不正确，还可再试 4 次");
    assert_int_equal(kiosk_model_widget(f->m, "pin-dots")->value, 0);
    for (int i = 0; i < 3; i++)
        enter_pin(f, "0000");
    assert_string_equal(text(f, "pin-msg"), "PIN 不正确，还可再试 1 次");
    enter_pin(f, "9999");
    assert_string_equal(text(f, "pin-msg"),
                        "PIN 错误次数过多，请在 60 秒后重试");
    assert_true(kiosk_model_widget(f->m, "key-2")->flags & KIOSK_WF_DISABLED);
    assert_int_equal(tap_rc(f, "key-2"), KIOSK_MODEL_EDISABLED);
    wait_ms(f, 1000);
    assert_string_equal(text(f, "pin-msg"),
                        "PIN 错误次数过多，请在 59 秒后重试");
    wait_ms(f, 58500);
    assert_string_equal(text(f, "pin-msg"),
                        "PIN 错误次数过多，请在 1 秒后重试");
    /* typing on a physical keyboard is refused while locked too */
    type(f, "2468");
    key(f, "enter");
    expect_screen(f, KIOSK_SCREEN_PIN);
    wait_ms(f, 500);
    assert_false(shows(f, "秒后重试"));
    enter_pin(f, "2468");
    expect_screen(f, KIOSK_SCREEN_CHECKIN_PROCESS);
    assert_string_equal(kiosk_model_staff(f->m), "wang-fang");
}

static void test_suggest_anonymous(void **state)
{
    fx_t *f = *state;
    proto_event_t ev;
    tap(f, "tile-suggest");
    tap(f, "staff-li-na");
    expect_screen(f, KIOSK_SCREEN_SUGGEST);
    assert_true(kiosk_model_widget(f->m, "submit")->flags &
                KIOSK_WF_DISABLED); /* no title yet */
    tap(f, "kind-idea");
    tap(f, "target");
    tap(f, "target-s-tm-call");
    assert_string_equal(text(f, "target"), "关于：外呼（点此更改）");
    tap(f, "title");
    type(f, "话术太长");
    tap(f, "k-back");
    type(f, "长，客户挂断");
    tap(f, "k-done");
    assert_string_equal(text(f, "title"), "话术太长，客户挂断");
    tap(f, "body");
    type(f, "Open with the offer.");
    key(f, "enter");
    tap(f, "anonymous");
    assert_int_equal(kiosk_model_widget(f->m, "anonymous")->value, 1);
    tap(f, "submit");
    take_save(f, &ev);
    assert_int_equal(ev.type, PROTO_EV_SUGGESTION);
    assert_true(ev.anonymous);
    assert_string_equal(ev.staff_id, "");
    assert_string_equal(ev.step_id, "tm-call");
    assert_string_equal(ev.process_id, "telemarketing");
    assert_int_equal(ev.kind, PROTO_KIND_IDEA);
    assert_string_equal(ev.title, "话术太长，客户挂断");
    assert_string_equal(ev.body, "Open with the offer.");
    answer_saved(f, &ev);
    expect_screen(f, KIOSK_SCREEN_SUGGEST_SAVED);
    assert_string_equal(text(f, "saved-detail"),
                        "已存入本机（第 1 条记录），联网后自动同步，结果会"
                        "显示在“我的”里。");
    tap(f, "board");
    expect_screen(f, KIOSK_SCREEN_BOARD);
    assert_string_equal(text(f, "title-1"), "[想法] 话术太长，客户挂断");
    assert_string_equal(text(f, "badge-1"), "待同步");
    assert_string_equal(text(f, "votes-1"), "0 票");
}

static void feed_one(fx_t *f, const char *id, const char *title, uint32_t votes,
                     const char *status, const char *author,
                     const char *feedback)
{
    proto_suggestion_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "%s", id);
    s.kind = PROTO_KIND_PROBLEM;
    snprintf(s.status, sizeof s.status, "%s", status);
    s.title = (char *)title;
    s.votes = votes;
    snprintf(s.author_id, sizeof s.author_id, "%s", author);
    s.feedback = (char *)feedback;
    s.created_ms = T0 - 86400000;
    kiosk_input_t in = {
        .kind = KIOSK_IN_FEED, .suggestions = &s, .n_suggestions = 1};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
}

static void test_vote_and_withdraw(void **state)
{
    fx_t *f = *state;
    proto_event_t ev;
    feed_one(f, "k9:12", "名单重复太多", 3, "review", "liu-yang", NULL);
    tap(f, "tile-board");
    expect_screen(f, KIOSK_SCREEN_BOARD);
    assert_string_equal(text(f, "badge-1"), "评估中");
    assert_string_equal(text(f, "votes-1"), "3 票");
    assert_string_equal(text(f, "vote-1"), "+1");
    /* voting needs a person: identify, then back to the board */
    tap(f, "vote-1");
    expect_screen(f, KIOSK_SCREEN_IDENTIFY);
    tap(f, "staff-zhang-wei");
    expect_screen(f, KIOSK_SCREEN_BOARD);
    tap(f, "vote-1");
    assert_string_equal(text(f, "vote-1"), "正在保存…");
    take_save(f, &ev);
    assert_int_equal(ev.type, PROTO_EV_VOTE);
    assert_string_equal(ev.staff_id, "zhang-wei");
    assert_string_equal(ev.suggestion_id, "k9:12");
    assert_int_equal(ev.vote, 1);
    answer_saved(f, &ev); /* seq 1 */
    assert_string_equal(text(f, "votes-1"), "4 票");
    assert_string_equal(text(f, "vote-1"), "撤回");
    /* the server acknowledges it and sends a feed counting it: still 4 */
    kiosk_input_t in = {.kind = KIOSK_IN_SYNC_STATUS};
    in.sync.link = KIOSK_NET_ONLINE;
    in.sync.acked_seq = 1;
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
    feed_one(f, "k9:12", "名单重复太多", 4, "review", "liu-yang", NULL);
    assert_string_equal(text(f, "votes-1"), "4 票");
    tap(f, "vote-1");
    take_save(f, &ev);
    assert_int_equal(ev.vote, 0);
    answer_saved(f, &ev); /* seq 2, not acked */
    assert_string_equal(text(f, "votes-1"), "3 票");
    assert_string_equal(text(f, "vote-1"), "+1");
}

static void test_guide(void **state)
{
    fx_t *f = *state;
    tap(f, "tile-guide");
    tap(f, "proc-telemarketing");
    expect_screen(f, KIOSK_SCREEN_GUIDE_PROCESS);
    assert_string_equal(text(f, "step-tm-prepare"), "1. 准备名单");
    assert_string_equal(text(f, "step-tm-call"), "2. 外呼");
    tap(f, "step-tm-call");
    expect_screen(f, KIOSK_SCREEN_GUIDE_STEP);
    assert_string_equal(text(f, "line-1"),
                        "1. 按名单顺序拨打，每通电话先自我介绍。");
    assert_string_equal(text(f, "line-3"), "3. 通话后立即在系统中记录结果。");
    assert_string_equal(text(f, "line-4"), "每日目标：外呼次数 100 次");
    assert_string_equal(text(f, "line-5"), "每日目标：有效通话 20 次");
    assert_null(kiosk_model_widget(f->m, "line-6"));
    assert_null(kiosk_model_staff(f->m)); /* nobody needed */
}

static void test_me(void **state)
{
    fx_t *f = *state;
    proto_event_t ev;
    feed_one(f, "k1:40", "直播设备清单", 2, "accepted", "zhang-wei",
             "下周起执行");
    tap(f, "tile-checkin");
    tap(f, "staff-zhang-wei");
    tap(f, "proc-live");
    tap(f, "step-live-host");
    tap(f, "value-leads");
    type(f, "4");
    key(f, "enter");
    tap(f, "confirm");
    take_save(f, &ev);
    answer_saved(f, &ev);
    tap(f, "done");
    tap(f, "tile-me");
    tap(f, "staff-zhang-wei");
    expect_screen(f, KIOSK_SCREEN_ME);
    assert_string_equal(text(f, "me-step-1"), "直播执行：留资客户 4/5");
    assert_null(kiosk_model_widget(f->m, "me-step-2"));
    assert_string_equal(text(f, "me-points"), "今日 16 积分 · 本周 16 积分");
    assert_string_equal(text(f, "mine-title-1"), "直播设备清单");
    assert_string_equal(text(f, "mine-badge-1"), "已采纳");
    assert_string_equal(text(f, "mine-feedback-1"), "主管反馈：下周起执行");
    /* yesterday's check-ins count for the week, not for today */
    f->now += 86400000;
    wait_ms(f, 0); /* idle since yesterday: logged out */
    expect_screen(f, KIOSK_SCREEN_HOME);
    tap(f, "tile-me");
    tap(f, "staff-zhang-wei");
    assert_string_equal(text(f, "me-points"), "今日 0 积分 · 本周 16 积分");
    assert_string_equal(text(f, "me-none"), "今天还没有打卡");
}

static void test_rating(void **state)
{
    fx_t *f = *state;
    proto_event_t ev;
    tap(f, "tile-rating");
    expect_screen(f, KIOSK_SCREEN_RATING_STAFF);
    tap(f, "staff-liu-yang");
    expect_screen(f, KIOSK_SCREEN_RATING_FACES);
    assert_string_equal(text(f, "rate-prompt"), "请为 刘洋 本次的服务打分");
    assert_string_equal(text(f, "face-1-label"), "很不满意");
    assert_string_equal(text(f, "face-5-label"), "很满意");
    tap(f, "face-5");
    take_save(f, &ev);
    assert_int_equal(ev.type, PROTO_EV_RATING);
    assert_string_equal(ev.staff_id, "liu-yang");
    assert_int_equal(ev.score, 5);
    answer_saved(f, &ev);
    expect_screen(f, KIOSK_SCREEN_RATING_THANKS);
    assert_string_equal(text(f, "thanks"), "谢谢您的评价！");
    wait_ms(f, 4900);
    expect_screen(f, KIOSK_SCREEN_RATING_THANKS);
    wait_ms(f, 100);
    expect_screen(f, KIOSK_SCREEN_HOME);
}

/* Takes the effects and checks they are exactly one agenda request, for
 * week ("" = the current one). */
static void take_agenda_request_for(fx_t *f, const char *week)
{
    kiosk_effect_t *list = NULL;
    size_t n = 0;
    assert_int_equal(kiosk_model_take_effects(f->m, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].kind, KIOSK_FX_AGENDA);
    assert_string_equal(list[0].week, week);
    kiosk_effects_free(&list, n);
}

static void take_agenda_request(fx_t *f)
{
    take_agenda_request_for(f, "");
}

static void set_link(fx_t *f, kiosk_net_t link)
{
    kiosk_input_t in = {.kind = KIOSK_IN_SYNC_STATUS};
    in.sync.link = link;
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
}

/* The AGENDA syncd would send for the fixture's site (numbers as in
 * tests/syncd/test_agenda_session.c, ids of model_catalogue.yaml). */
static void agenda_fill(proto_msg_t *m)
{
    memset(m, 0, sizeof *m);
    m->type = PROTO_MSG_AGENDA;
    typeof(m->u.agenda) *a = &m->u.agenda;
    snprintf(a->site, sizeof a->site, "test");
    snprintf(a->week, sizeof a->week, "2026-W48");
    a->generated_ms = T0 - 60000;
    a->roster = 5;
    a->checked_in = 2;
    a->n_steps = 2;
    a->steps = proto_malloc(2 * sizeof *a->steps);
    memset(a->steps, 0, 2 * sizeof *a->steps);
    snprintf(a->steps[0].step_id, PROTO_ID_MAX, "tm-call");
    snprintf(a->steps[0].name, PROTO_NAME_MAX, "外呼");
    snprintf(a->steps[0].measure, PROTO_KEY_MAX, "calls");
    a->steps[0].value_x100 = 24000;
    a->steps[0].target_x100 = 100000;
    a->steps[0].pct_x10 = 240;
    snprintf(a->steps[0].rag, PROTO_SHORT_MAX, "red");
    a->steps[0].people = 2;
    a->steps[0].checkins = 3;
    a->steps[0].points_x10 = 1500;
    a->steps[0].quality_x100 = 333;
    snprintf(a->steps[1].step_id, PROTO_ID_MAX, "tm-prepare");
    snprintf(a->steps[1].measure, PROTO_KEY_MAX, "lists");
    a->steps[1].value_x100 = 1200;
    a->steps[1].checkins = 2;
    a->steps[1].points_x10 = 240;
    a->n_teams = 2;
    a->teams = proto_malloc(2 * sizeof *a->teams);
    memset(a->teams, 0, 2 * sizeof *a->teams);
    snprintf(a->teams[0].team_id, PROTO_ID_MAX, "tele");
    a->teams[0].members = 2;
    a->teams[0].points_x10 = 1500;
    snprintf(a->teams[1].team_id, PROTO_ID_MAX, "live-a");
    a->teams[1].members = 1;
    a->n_people = 3;
    a->people = proto_malloc(3 * sizeof *a->people);
    memset(a->people, 0, 3 * sizeof *a->people);
    snprintf(a->people[0].staff_id, PROTO_ID_MAX, "zhang-wei");
    a->people[0].points_x10 = 1000;
    a->people[0].checkins = 2;
    a->people[0].value_x100 = 18000;
    a->people[0].target_x100 = 50000;
    a->people[0].pct_x10 = 360;
    snprintf(a->people[0].rag, PROTO_SHORT_MAX, "red");
    snprintf(a->people[1].staff_id, PROTO_ID_MAX, "li-na");
    a->people[1].points_x10 = 505;
    a->people[1].checkins = 1;
    snprintf(a->people[2].staff_id, PROTO_ID_MAX, "liu-yang");
    a->n_exceptions = 4;
    a->exceptions = proto_malloc(4 * sizeof *a->exceptions);
    memset(a->exceptions, 0, 4 * sizeof *a->exceptions);
    static const char *const ex[4][3] = {{"below_target_2w", "step", "tm-call"},
                                         {"quality_drop", "step", "tm-call"},
                                         {"no_activity", "step", "live-host"},
                                         {"no_checkins", "person", "liu-yang"}};
    for (int i = 0; i < 4; i++) {
        snprintf(a->exceptions[i].kind, PROTO_KEY_MAX, "%s", ex[i][0]);
        snprintf(a->exceptions[i].subject, PROTO_KEY_MAX, "%s", ex[i][1]);
        snprintf(a->exceptions[i].id, PROTO_ID_MAX, "%s", ex[i][2]);
    }
    a->exceptions[0].now_x100 = 2400;
    a->exceptions[0].before_x100 = 1050;
    a->exceptions[1].now_x100 = 333;
    a->exceptions[1].before_x100 = 500;
    a->n_decisions = 3;
    a->decisions = proto_malloc(3 * sizeof *a->decisions);
    memset(a->decisions, 0, 3 * sizeof *a->decisions);
    static const char *const dec[3][3] = {
        {"k1:4", "早上先打重点客户", "new"},
        {"k1:9", "上午先打重点客户", "review"},
        {"k2:2", "直播脚本太长", "new"}};
    static const uint32_t dv[3][3] = {{2, 1, 1}, {0, 1, 2}, {1, 2, 1}};
    for (int i = 0; i < 3; i++) {
        snprintf(a->decisions[i].id, PROTO_ID_MAX, "%s", dec[i][0]);
        a->decisions[i].title = proto_strdup(dec[i][1]);
        snprintf(a->decisions[i].status, PROTO_SHORT_MAX, "%s", dec[i][2]);
        a->decisions[i].votes = dv[i][0];
        a->decisions[i].group = dv[i][1];
        a->decisions[i].rank = dv[i][2];
    }
}

static void give_agenda_week(fx_t *f, int64_t fetched_ms, const char *week)
{
    proto_msg_t m;
    agenda_fill(&m);
    snprintf(m.u.agenda.week, sizeof m.u.agenda.week, "%s", week);
    kiosk_input_t in = {
        .kind = KIOSK_IN_AGENDA, .agenda = &m, .fetched_ms = fetched_ms};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
    proto_msg_clear(&m); /* the model keeps its own copy */
}

static void give_agenda(fx_t *f, int64_t fetched_ms)
{
    give_agenda_week(f, fetched_ms, "2026-W48");
}

/* The text of row id, turning pages forward until it is on screen. */
static const char *paged(fx_t *f, const char *id)
{
    while (!kiosk_model_widget(f->m, id)) {
        const kiosk_widget_t *next = kiosk_model_widget(f->m, "page-next");
        if (!next || (next->flags & KIOSK_WF_DISABLED))
            fail_msg("no row %s on any page", id);
        tap(f, "page-next");
    }
    return text(f, id);
}

static void open_meeting(fx_t *f)
{
    tap(f, "tile-meeting");
    tap(f, "staff-chen-jianguo");
    enter_pin(f, "1234");
    expect_screen(f, KIOSK_SCREEN_MEETING);
    take_agenda_request(f);
}

static void test_meeting_agenda(void **state)
{
    fx_t *f = *state;
    set_link(f, KIOSK_NET_ONLINE);
    open_meeting(f);
    assert_string_equal(text(f, "ag-status"), "正在从服务器获取议程…");
    assert_true(kiosk_model_widget(f->m, "ag-refresh")->flags &
                KIOSK_WF_DISABLED);
    give_agenda(f, f->now);
    assert_string_equal(text(f, "ag-status"),
                        "2026-W48 议程 · 10:00 获取 · 打卡覆盖 2/5 人");
    assert_string_equal(text(f, "ag-step-1"),
                        "外呼：240 / 1000 次 · 24% · 打卡 3 次 · 150 分 · "
                        "质量 3.33");
    assert_int_equal(kiosk_model_widget(f->m, "ag-step-1")->tone,
                     KIOSK_TONE_DANGER);
    assert_string_equal(text(f, "ag-step-2"),
                        "准备名单：12 份 · 无目标 · 打卡 2 次 · 24 分");
    assert_string_equal(paged(f, "ag-team-1"), "电销组 · 2 人 · 150 分");
    /* the rest is on the next page at 800x480 */
    assert_string_equal(paged(f, "ag-team-2"), "直播一组 · 1 人 · 0 分");
    assert_string_equal(paged(f, "ag-person-1"),
                        "张伟 · 100 分 · 打卡 2 次 · 完成目标 36%");
    assert_string_equal(paged(f, "ag-person-2"), "李娜 · 50.5 分 · 打卡 1 次");
    assert_string_equal(paged(f, "ag-person-3"), "刘洋 · 0 分 · 打卡 0 次");

    tap(f, "ag-tab-ex");
    assert_string_equal(text(f, "ag-ex-1"),
                        "连续两周未达标：外呼 完成 24%（上周 10.5%）");
    assert_string_equal(text(f, "ag-ex-2"), "质量下降：外呼 3.33（上周 5）");
    assert_string_equal(text(f, "ag-ex-3"),
                        "本周无活动（可考虑删除）：直播执行");
    assert_string_equal(text(f, "ag-ex-4"), "本周未打卡：刘洋");
    tap(f, "ag-tab-dec");
    assert_string_equal(text(f, "ag-dec-1"),
                        "1. 早上先打重点客户 · 2 票 · 新提交");
    assert_string_equal(text(f, "ag-dec-2"),
                        "相似：上午先打重点客户 · 0 票 · 评估中");
    assert_string_equal(text(f, "ag-dec-3"), "2. 直播脚本太长 · 1 票 · 新提交");

    /* English: names from the kiosk's catalogue in that language */
    kiosk_input_t lang = {.kind = KIOSK_IN_LANG, .lang = KIOSK_LANG_EN};
    assert_int_equal(kiosk_model_update(f->m, &lang, f->now), 0);
    assert_string_equal(text(f, "ag-dec-1"),
                        "1. 早上先打重点客户 · Votes: 2 · New");
    tap(f, "ag-tab-ex");
    assert_string_equal(
        text(f, "ag-ex-1"),
        "Below target two weeks running: Outbound calls at 24% (last week "
        "10.5%)");
    assert_string_equal(text(f, "ag-ex-4"), "No check-ins this week: Liu Yang");
    tap(f, "ag-tab-score");
    assert_string_equal(text(f, "ag-step-1"),
                        "Outbound calls: 240 / 1000 calls · 24% · 3 check-ins "
                        "· 150 pts · quality 3.33");

    /* offline later: the same agenda, said to be stale and since when */
    set_link(f, KIOSK_NET_OFFLINE);
    assert_string_equal(text(f, "ag-status"),
                        "Offline · agenda 2026-W48 as fetched 10:00; it may "
                        "be out of date");
    assert_non_null(kiosk_model_widget(f->m, "ag-step-1"));
    /* refresh asks again; an old server answers EUNKNOWNMSG */
    set_link(f, KIOSK_NET_ONLINE);
    tap(f, "ag-refresh");
    take_agenda_request(f);
    kiosk_input_t fail = {.kind = KIOSK_IN_AGENDA,
                          .code = PROTO_EUNKNOWNMSG,
                          .text = "unknown message id"};
    assert_int_equal(kiosk_model_update(f->m, &fail, f->now), 0);
    assert_string_equal(text(f, "ag-status"),
                        "Agenda unavailable from this server · showing "
                        "2026-W48 as fetched 10:00");
    tap(f, "back");
    expect_screen(f, KIOSK_SCREEN_HOME);
}

/* The week button: the week before the agenda's (ISO weeks across a
 * year's end, 52 or 53 of them), then the current week again; nothing
 * while a request is out; reopening meeting mode asks for the current. */
static void test_meeting_week_before(void **state)
{
    fx_t *f = *state;
    set_link(f, KIOSK_NET_ONLINE);
    open_meeting(f);
    assert_null(kiosk_model_widget(f->m, "ag-week")); /* nothing to count from */
    give_agenda(f, f->now);
    assert_string_equal(text(f, "ag-week"), "上一周");
    tap(f, "ag-week");
    take_agenda_request_for(f, "2026-W47");
    assert_true(kiosk_model_widget(f->m, "ag-week")->flags &
                KIOSK_WF_DISABLED);
    give_agenda_week(f, f->now, "2026-W47");
    assert_string_equal(text(f, "ag-status"),
                        "2026-W47 议程 · 10:00 获取 · 打卡覆盖 2/5 人");
    assert_string_equal(text(f, "ag-week"), "本周");
    tap(f, "ag-refresh"); /* refresh keeps the week shown */
    take_agenda_request_for(f, "2026-W47");
    give_agenda_week(f, f->now, "2026-W47");
    tap(f, "ag-week");
    take_agenda_request_for(f, "");

    static const struct {
        const char *week, *before;
    } years[] = {
        {"2026-W01", "2025-W52"}, {"2027-W01", "2026-W53"},
        {"2021-W01", "2020-W53"}, {"2016-W01", "2015-W53"},
        {"2017-W01", "2016-W52"}, {"2026-W53", "2026-W52"},
        {"2026-W10", "2026-W09"},
    };
    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        give_agenda_week(f, f->now, years[i].week);
        tap(f, "ag-week");
        take_agenda_request_for(f, years[i].before);
        give_agenda_week(f, f->now, years[i].before);
        tap(f, "ag-week");
        take_agenda_request_for(f, "");
    }
    /* a week that is not one asks nothing ("2025-W53": 2025 has 52) */
    static const char *const bad[] = {"2025-W53", "2026-W00", "2026-W5",
                                      "26-W48"};
    kiosk_effect_t *list = NULL;
    size_t n = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        give_agenda_week(f, f->now, bad[i]);
        tap(f, "ag-week");
        assert_int_equal(kiosk_model_take_effects(f->m, &list, &n), 0);
        assert_int_equal(n, 0);
    }
    /* leaving and coming back: the current week */
    give_agenda(f, f->now);
    tap(f, "ag-week");
    take_agenda_request_for(f, "2026-W47");
    tap(f, "back");
    open_meeting(f); /* asserts a request for "" */
}

/* An old server and nothing cached: the local view, and the reason. */
static void test_meeting_old_server(void **state)
{
    fx_t *f = *state;
    set_link(f, KIOSK_NET_ONLINE);
    open_meeting(f);
    kiosk_input_t fail = {.kind = KIOSK_IN_AGENDA,
                          .code = PROTO_EUNKNOWNMSG,
                          .text = "unknown message id"};
    assert_int_equal(kiosk_model_update(f->m, &fail, f->now), 0);
    assert_string_equal(text(f, "ag-status"),
                        "此服务器不提供议程，以下为本机数据");
    assert_string_equal(text(f, "m-today"),
                        "本机今日：打卡 0 次 · 建议 0 条 · 客户评价 0 条");
    assert_null(kiosk_model_widget(f->m, "ag-tab-score"));
    /* a refused week (EINVAL) is reported by name */
    tap(f, "ag-refresh");
    take_agenda_request(f);
    fail.code = PROTO_ESTORE;
    assert_int_equal(kiosk_model_update(f->m, &fail, f->now), 0);
    assert_string_equal(text(f, "ag-status"),
                        "未能获取议程（ESTORE），以下为本机数据");
}

static void check_layout(fx_t *f);

/* The meeting screen with an agenda, every tab and page, three sizes,
 * both languages. */
static void test_meeting_layout(void **state)
{
    (void)state;
    static const int sizes[3][2] = {{800, 480}, {1920, 1080}, {1080, 1920}};
    for (int s = 0; s < 3; s++)
        for (int l = 0; l < 2; l++) {
            fx_t f = {.now = T0, .next_seq = 1};
            f.m = make_model(sizes[s][0], sizes[s][1], (kiosk_lang_t)l, NULL,
                             true);
            set_link(&f, KIOSK_NET_ONLINE);
            open_meeting(&f);
            check_layout(&f);
            give_agenda(&f, f.now);
            static const char *const tabs[] = {"ag-tab-score", "ag-tab-ex",
                                               "ag-tab-dec"};
            for (int t = 0; t < 3; t++) {
                tap(&f, tabs[t]);
                check_layout(&f);
                while (kiosk_model_widget(f.m, "page-next") &&
                       !(kiosk_model_widget(f.m, "page-next")->flags &
                         KIOSK_WF_DISABLED)) {
                    tap(&f, "page-next");
                    check_layout(&f);
                }
            }
            kiosk_model_destroy(&f.m);
        }
}

static void test_meeting_needs_manager_pin(void **state)
{
    fx_t *f = *state;
    tap(f, "tile-meeting");
    expect_screen(f, KIOSK_SCREEN_IDENTIFY);
    assert_null(kiosk_model_widget(f->m, "staff-zhang-wei"));
    assert_non_null(kiosk_model_widget(f->m, "staff-wang-fang"));
    tap(f, "staff-chen-jianguo");
    expect_screen(f, KIOSK_SCREEN_PIN);
    enter_pin(f, "1234");
    expect_screen(f, KIOSK_SCREEN_MEETING);
    assert_string_equal(text(f, "m-today"),
                        "本机今日：打卡 0 次 · 建议 0 条 · 客户评价 0 条");
    /* opening meeting mode asks for the agenda; offline, and none cached:
     * the kiosk's own figures, and the screen says why */
    take_agenda_request(f);
    assert_string_equal(text(f, "ag-status"),
                        "离线，尚未获取过议程，以下为本机数据");
    tap(f, "back");
    expect_screen(f, KIOSK_SCREEN_HOME);
    assert_null(kiosk_model_staff(f->m)); /* leaving the meeting logs out */
}

static void test_idle_timeout_logs_out(void **state)
{
    fx_t *f = *state;
    tap(f, "tile-checkin");
    tap(f, "staff-zhang-wei");
    tap(f, "proc-telemarketing");
    wait_ms(f, 30000);
    tap(f, "step-tm-call"); /* activity restarts the 60 s */
    wait_ms(f, 59999);
    expect_screen(f, KIOSK_SCREEN_CHECKIN_MEASURES);
    wait_ms(f, 1);
    expect_screen(f, KIOSK_SCREEN_HOME);
    assert_null(kiosk_model_staff(f->m));
    /* a save in flight is never cut off by the timeout */
    proto_event_t ev;
    checkin_35_6(f);
    tap(f, "confirm");
    wait_ms(f, 120000);
    expect_screen(f, KIOSK_SCREEN_CHECKIN_MEASURES);
    take_save(f, &ev);
    answer_saved(f, &ev);
    expect_screen(f, KIOSK_SCREEN_CHECKIN_SAVED);
}

static void test_catalogue_applies_between_interactions(void **state)
{
    fx_t *f = *state;
    tap(f, "tile-checkin");
    tap(f, "staff-zhang-wei");
    tap(f, "proc-telemarketing");
    tap(f, "step-tm-call");
    proto_catalogue_t *next = load_catalogue();
    next->version = 8;
    kiosk_input_t in = {.kind = KIOSK_IN_CATALOGUE, .catalogue = next};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
    assert_null(in.catalogue);
    /* still version 7 in the middle of the check-in */
    assert_int_equal(kiosk_model_catalogue_version(f->m), 7);
    tap(f, "plus-calls");
    tap(f, "back");
    tap(f, "back");
    tap(f, "back");
    expect_screen(f, KIOSK_SCREEN_HOME);
    /* at Home but someone is still identified: not yet */
    assert_int_equal(kiosk_model_catalogue_version(f->m), 7);
    tap(f, "logout");
    assert_int_equal(kiosk_model_catalogue_version(f->m), 8);
}

static void test_first_run(void **state)
{
    (void)state;
    fx_t f = {.now = T0};
    f.m = make_model(800, 480, KIOSK_LANG_EN, "server\nserver_key\nkiosk_key",
                     true);
    expect_screen(&f, KIOSK_SCREEN_FIRST_RUN);
    assert_string_equal(
        text(&f, "first-missing"),
        "· the server address (server in kiosk.conf)\n· the server's public "
        "key (server_key in kiosk.conf)\n· this kiosk's key pair (kiosk.key "
        "in the data directory)");
    assert_true(shows(&f, "syncctl enrol k1 --site test --key "
                          "/var/lib/stepwise/kiosk.pub"));
    tap(&f, "continue");
    expect_screen(&f, KIOSK_SCREEN_HOME);
    kiosk_model_destroy(&f.m);
}

static void test_no_catalogue_disables_tiles(void **state)
{
    (void)state;
    fx_t f = {.now = T0};
    f.m = make_model(800, 480, KIOSK_LANG_ZH, NULL, false);
    assert_true(kiosk_model_widget(f.m, "tile-checkin")->flags &
                KIOSK_WF_DISABLED);
    assert_int_equal(tap_rc(&f, "tile-checkin"), KIOSK_MODEL_EDISABLED);
    assert_string_equal(text(&f, "nocat"),
                        "还没有流程目录：请连接服务器同步，或用 --catalogue "
                        "指定目录文件。");
    kiosk_model_destroy(&f.m);
}

/* Every screen at the three sizes: widgets inside the window, touch
 * targets at least 48 units, nothing overlapping unless contained. */
static void walk_screens(fx_t *f, void (*check)(fx_t *))
{
    proto_event_t ev;
    check(f);
    tap(f, "tile-checkin");
    check(f);
    tap(f, "staff-wang-fang");
    check(f);
    enter_pin(f, "2468");
    check(f);
    tap(f, "proc-telemarketing");
    check(f);
    tap(f, "step-tm-call");
    tap(f, "plus-calls");
    check(f);
    tap(f, "value-calls");
    check(f);
    tap(f, "key-ok");
    tap(f, "note");
    check(f);
    tap(f, "k-done");
    tap(f, "confirm");
    take_save(f, &ev);
    answer_saved(f, &ev);
    check(f);
    tap(f, "again");
    tap(f, "back");
    tap(f, "tile-suggest");
    check(f);
    tap(f, "target");
    check(f);
    tap(f, "target-general");
    tap(f, "back");
    tap(f, "tile-board");
    check(f);
    tap(f, "back");
    tap(f, "tile-guide");
    tap(f, "proc-telemarketing");
    tap(f, "step-tm-call");
    check(f);
    tap(f, "back");
    tap(f, "back");
    tap(f, "back");
    tap(f, "tile-me");
    check(f);
    tap(f, "back");
    tap(f, "tile-rating");
    check(f);
    tap(f, "staff-zhang-wei");
    check(f);
}

static void check_layout(fx_t *f)
{
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(f->m, &n);
    const kiosk_widget_t *root = &w[0];
    int shortest = root->w < root->h ? root->w : root->h;
    double unit = shortest / 480.0;
    for (size_t i = 0; i < n; i++) {
        assert_true(w[i].x >= 0 && w[i].y >= 0);
        assert_true(w[i].x + w[i].w <= root->w);
        assert_true(w[i].y + w[i].h <= root->h);
        if (w[i].flags & KIOSK_WF_TAPPABLE) {
            /* keys of the portrait keyboard are the narrowest: 43 units,
             * which is 97 px = 26 mm on a 23" 1080×1920 screen */
            double min = (root->w < root->h ? 42 : 48) * unit - 1;
            if (w[i].w < min || w[i].h < min)
                fail_msg("%s on %s is %dx%d, under %.0f px", w[i].id,
                         kiosk_screen_name(kiosk_model_screen(f->m)), w[i].w,
                         w[i].h, min);
        }
        for (size_t j = i + 1; j < n; j++) {
            const kiosk_widget_t *a = &w[i], *b = &w[j];
            bool apart = a->x + a->w <= b->x || b->x + b->w <= a->x ||
                         a->y + a->h <= b->y || b->y + b->h <= a->y;
            bool a_in_b = a->x >= b->x && a->y >= b->y &&
                          a->x + a->w <= b->x + b->w &&
                          a->y + a->h <= b->y + b->h;
            bool b_in_a = b->x >= a->x && b->y >= a->y &&
                          b->x + b->w <= a->x + a->w &&
                          b->y + b->h <= a->y + a->h;
            if (!apart && !a_in_b && !b_in_a)
                fail_msg("%s and %s overlap on %s", a->id, b->id,
                         kiosk_screen_name(kiosk_model_screen(f->m)));
        }
    }
}

static void test_layout_three_sizes(void **state)
{
    (void)state;
    static const int sizes[3][2] = {{800, 480}, {1920, 1080}, {1080, 1920}};
    for (int s = 0; s < 3; s++)
        for (int l = 0; l < 2; l++) {
            fx_t f = {.now = T0, .next_seq = 1};
            f.m = make_model(sizes[s][0], sizes[s][1], (kiosk_lang_t)l, NULL,
                             true);
            walk_screens(&f, check_layout);
            kiosk_model_destroy(&f.m);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_home_tiles_and_language, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tap_by_coordinates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_checkin_saved_card, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_daily_points_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_failure_keeps_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pin_and_lockout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suggest_anonymous, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vote_and_withdraw, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_guide, setup, teardown),
        cmocka_unit_test_setup_teardown(test_me, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rating, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meeting_agenda, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meeting_week_before, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_meeting_old_server, setup,
                                        teardown),
        cmocka_unit_test(test_meeting_layout),
        cmocka_unit_test_setup_teardown(test_meeting_needs_manager_pin, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout_logs_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_catalogue_applies_between_interactions, setup, teardown),
        cmocka_unit_test(test_strings_same_keys),
        cmocka_unit_test(test_first_run),
        cmocka_unit_test(test_no_catalogue_disables_tiles),
        cmocka_unit_test(test_layout_three_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
