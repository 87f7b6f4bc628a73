/*
 * test_model_pinyin.c — the keyboard's composition model with a fake
 * input method (no librime here: the model must not need it), and the
 * similar-suggestion hook: typing, paging, backspace through the
 * composition, committing, 中 / 英, Chinese punctuation, the "preparing"
 * state, a physical keyboard on the same path, similar suggestions with
 * +1 and the "你已 +1" confirmation, and the keyboard's layout with the
 * candidate bar at three sizes in both languages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_fixture.h"

#define T0 (1795744800LL * 1000)

/* ---- a fake input method: a fixed dictionary, pages of 5 */
typedef struct {
    char buf[64];
    size_t page;
    kiosk_ime_state_t state;
} fake_t;

static const char *const liucheng[] = {"流程", "六成", "柳城",   "留成",
                                       "柳橙", "刘成", "流程图", NULL};
static const char *const kehu[] = {"客户", "科护", NULL};

static size_t cands(const fake_t *f, const char *const **list)
{
    static const char *one[2];
    if (strcmp(f->buf, "liucheng") == 0)
        *list = liucheng;
    else if (strcmp(f->buf, "kehu") == 0)
        *list = kehu;
    else {
        one[0] = f->buf[0] ? f->buf : NULL;
        one[1] = NULL;
        *list = one;
    }
    size_t n = 0;
    while ((*list)[n])
        n++;
    return n;
}

static const char *fk_candidate(void *ctx, size_t i)
{
    fake_t *f = ctx;
    const char *const *list;
    size_t n = cands(f, &list);
    if (i >= 5 || f->page * 5 + i >= n)
        return NULL;
    return list[f->page * 5 + i];
}

static bool fk_select(void *ctx, size_t i, char *commit, size_t len)
{
    fake_t *f = ctx;
    const char *c = fk_candidate(ctx, i);
    if (!c)
        return false;
    snprintf(commit, len, "%s", c);
    f->buf[0] = '\0';
    f->page = 0;
    return true;
}

static bool fk_key(void *ctx, const char *key, char *commit, size_t len)
{
    fake_t *f = ctx;
    size_t n = strlen(f->buf);
    if (strlen(key) == 1 && key[0] >= 'a' && key[0] <= 'z') {
        if (n + 1 < sizeof f->buf) {
            f->buf[n] = key[0];
            f->buf[n + 1] = '\0';
        }
        f->page = 0;
        return true;
    }
    if (!n)
        return false;
    if (strcmp(key, "backspace") == 0) {
        f->buf[n - 1] = '\0';
        f->page = 0;
        return true;
    }
    if (strcmp(key, "space") == 0)
        return fk_select(ctx, 0, commit, len);
    if (strcmp(key, "enter") == 0) {
        snprintf(commit, len, "%s", f->buf);
        f->buf[0] = '\0';
        return true;
    }
    return false;
}

static const char *fk_preedit(void *ctx)
{
    return ((fake_t *)ctx)->buf;
}

static void fk_reset(void *ctx)
{
    fake_t *f = ctx;
    f->buf[0] = '\0';
    f->page = 0;
}

static kiosk_ime_state_t fk_state(void *ctx)
{
    return ((fake_t *)ctx)->state;
}

static void fk_paging(void *ctx, bool *prev, bool *next)
{
    fake_t *f = ctx;
    const char *const *list;
    size_t n = cands(f, &list);
    *prev = f->page > 0;
    *next = (f->page + 1) * 5 < n;
}

static bool fk_page(void *ctx, int dir)
{
    fake_t *f = ctx;
    bool prev, next;
    fk_paging(ctx, &prev, &next);
    if (dir > 0 ? !next : !prev)
        return false;
    f->page = dir > 0 ? f->page + 1 : f->page - 1;
    return true;
}

/* ---- a fake similar index: ids by title */
typedef struct {
    int calls;
    char last[256];
} finder_t;

static int fk_search(void *ctx, const char *title,
                     char (*ids)[PROTO_ID_MAX + 1], size_t max)
{
    finder_t *fd = ctx;
    fd->calls++;
    snprintf(fd->last, sizeof fd->last, "%s", title);
    if (strstr(title, "名单重") && max >= 1) {
        snprintf(ids[0], PROTO_ID_MAX + 1, "k9:12");
        return 1;
    }
    return 0;
}

typedef struct {
    kiosk_model_t *m;
    fake_t ime;
    kiosk_ime_t hook;
    finder_t finder;
    kiosk_similar_t sim;
    int64_t now;
} fx_t;

static void make(fx_t *f, int w, int h, kiosk_lang_t lang)
{
    memset(f, 0, sizeof *f);
    f->now = T0;
    f->ime.state = KIOSK_IME_READY;
    f->hook = (kiosk_ime_t){.ctx = &f->ime,
                            .key = fk_key,
                            .preedit = fk_preedit,
                            .candidate = fk_candidate,
                            .select = fk_select,
                            .reset = fk_reset,
                            .state = fk_state,
                            .page = fk_page,
                            .paging = fk_paging};
    f->sim = (kiosk_similar_t){.ctx = &f->finder, .search = fk_search};
    kiosk_model_config_t cfg = fx_model_config(w, h);
    cfg.lang = lang;
    cfg.data_dir = "/var/lib/stepwise";
    cfg.ime = &f->hook;
    cfg.similar = &f->sim;
    f->m = fx_model_new(&cfg, f->now);
}

static int setup(void **state)
{
    fx_t *f = malloc(sizeof *f);
    make(f, 800, 480, KIOSK_LANG_ZH);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    kiosk_model_destroy(&f->m);
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

static void taps(fx_t *f, const char *letters)
{
    char id[8];
    for (const char *p = letters; *p; p++) {
        snprintf(id, sizeof id, "k-%c", *p);
        tap(f, id);
    }
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

static void tick(fx_t *f)
{
    kiosk_input_t in = {.kind = KIOSK_IN_TICK};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
}

static const kiosk_widget_t *widget(fx_t *f, const char *id)
{
    const kiosk_widget_t *w = kiosk_model_widget(f->m, id);
    if (!w)
        fail_msg("no widget %s on %s", id,
                 kiosk_screen_name(kiosk_model_screen(f->m)));
    return w;
}

static const char *text(fx_t *f, const char *id)
{
    return widget(f, id)->text;
}

static void open_title(fx_t *f)
{
    tap(f, "tile-suggest");
    tap(f, "staff-li-na");
    tap(f, "title");
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(f->m)),
                        "keyboard");
}

/* ---- tests */

static void test_type_page_commit(void **state)
{
    fx_t *f = *state;
    open_title(f);
    assert_string_equal(text(f, "k-ime"), "中");
    assert_true(widget(f, "k-ime")->flags & KIOSK_WF_SELECTED);
    assert_string_equal(text(f, "ime-status"), "拼音输入 · 打字母出候选字");
    taps(f, "liucheng");
    assert_string_equal(text(f, "ime-preedit"), "liucheng");
    assert_string_equal(text(f, "kb-field"), "|"); /* nothing committed */
    assert_string_equal(text(f, "ime-cand-0"), "流程");
    assert_string_equal(text(f, "ime-cand-4"), "柳橙");
    assert_null(kiosk_model_widget(f->m, "ime-cand-5"));
    assert_true(widget(f, "ime-prev")->flags & KIOSK_WF_DISABLED);
    assert_false(widget(f, "ime-next")->flags & KIOSK_WF_DISABLED);
    tap(f, "ime-next");
    assert_string_equal(text(f, "ime-cand-0"), "刘成");
    assert_string_equal(text(f, "ime-cand-1"), "流程图");
    assert_null(kiosk_model_widget(f->m, "ime-cand-2"));
    assert_int_equal(tap_rc(f, "ime-next"), KIOSK_MODEL_EDISABLED);
    tap(f, "ime-cand-1");
    assert_string_equal(text(f, "kb-field"), "流程图|");
    assert_string_equal(text(f, "ime-status"), "拼音输入 · 打字母出候选字");
    /* a second word, picked from the first page after paging back */
    taps(f, "liucheng");
    tap(f, "ime-next");
    tap(f, "ime-prev");
    tap(f, "ime-cand-0");
    tap(f, "k-done");
    assert_string_equal(text(f, "title"), "流程图流程");
}

static void test_backspace_through_composition(void **state)
{
    fx_t *f = *state;
    open_title(f);
    type(f, "ab"); /* physical keys: composed too */
    assert_string_equal(text(f, "ime-preedit"), "ab");
    tap(f, "k-space");
    assert_string_equal(text(f, "kb-field"), "ab|");
    taps(f, "kehu");
    tap(f, "k-back");
    assert_string_equal(text(f, "ime-preedit"), "keh");
    key(f, "backspace");
    key(f, "backspace");
    key(f, "backspace");
    assert_string_equal(text(f, "ime-status"), "拼音输入 · 打字母出候选字");
    assert_string_equal(text(f, "kb-field"), "ab|"); /* field untouched */
    key(f, "backspace");                             /* now the field */
    assert_string_equal(text(f, "kb-field"), "a|");
    /* enter while composing commits the letters as typed */
    taps(f, "kehu");
    key(f, "enter");
    assert_string_equal(text(f, "kb-field"), "akehu|");
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(f->m)),
                        "keyboard");
}

static void test_switch_zh_en(void **state)
{
    fx_t *f = *state;
    open_title(f);
    taps(f, "kehu");
    tap(f, "k-ime"); /* 英: what was composed stays, as letters */
    assert_string_equal(text(f, "k-ime"), "英");
    assert_string_equal(text(f, "kb-field"), "kehu|");
    assert_string_equal(text(f, "ime-status"), "英文输入 · 点“英”切换回拼音");
    taps(f, "ok");
    tap(f, "k-comma");
    assert_string_equal(text(f, "kb-field"), "kehuok,|");
    tap(f, "k-ime");
    taps(f, "kehu");
    tap(f, "ime-cand-0");
    assert_string_equal(text(f, "kb-field"), "kehuok,客户|");
    /* shift gives a capital even in 中 */
    tap(f, "k-shift");
    tap(f, "k-a");
    assert_string_equal(text(f, "kb-field"), "kehuok,客户A|");
}

static void test_punctuation(void **state)
{
    fx_t *f = *state;
    open_title(f);
    taps(f, "liucheng");
    tap(f, "k-period"); /* commits the first candidate, then 。 */
    assert_string_equal(text(f, "kb-field"), "流程。|");
    tap(f, "k-sym");
    assert_string_equal(text(f, "k-excl"), "！");
    assert_string_equal(text(f, "k-dunhao"), "、");
    assert_null(kiosk_model_widget(f->m, "k-1"));
    tap(f, "k-lquote");
    taps(f, "kehu");
    tap(f, "k-rquote");
    tap(f, "k-dunhao");
    tap(f, "k-colon");
    tap(f, "k-semicolon");
    tap(f, "k-excl");
    tap(f, "k-question");
    tap(f, "k-comma");
    assert_string_equal(text(f, "kb-field"), "流程。“客户”、：；！？，|");
    tap(f, "k-sym");
    assert_non_null(kiosk_model_widget(f->m, "k-1"));
    /* physical keys: ASCII marks become Chinese ones, " opens and closes */
    type(f, "\"kehu\"!");
    assert_string_equal(text(f, "kb-field"),
                        "流程。“客户”、：；！？，“客户”！|");
    /* digits: while composing they pick, otherwise they are digits */
    type(f, "liucheng2");
    type(f, "35");
    assert_string_equal(text(f, "kb-field"),
                        "流程。“客户”、：；！？，“客户”！六成35|");
}

static void test_preparing_then_ready(void **state)
{
    fx_t *f = *state;
    f->ime.state = KIOSK_IME_PREPARING;
    open_title(f);
    assert_string_equal(text(f, "ime-status"),
                        "正在准备输入法…（可先用英文键盘）");
    taps(f, "ok"); /* the Latin keyboard works meanwhile */
    tap(f, "k-comma");
    assert_string_equal(text(f, "kb-field"), "ok,|");
    assert_null(kiosk_model_widget(f->m, "ime-cand-0"));
    f->ime.state = KIOSK_IME_READY;
    tick(f);
    taps(f, "kehu");
    assert_string_equal(text(f, "ime-cand-0"), "客户");
    f->ime.state = KIOSK_IME_FAILED;
    tick(f);
    assert_string_equal(text(f, "ime-status"),
                        "拼音输入法不可用，只能输入英文；请联系管理员检查 "
                        "rime 数据");
}

static void feed(fx_t *f, const char *id, const char *title, uint32_t votes)
{
    proto_suggestion_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.status, sizeof s.status, "new");
    s.title = (char *)title;
    s.votes = votes;
    s.created_ms = T0 - 86400000;
    kiosk_input_t in = {
        .kind = KIOSK_IN_FEED, .suggestions = &s, .n_suggestions = 1};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
}

static void test_similar_and_plus_one(void **state)
{
    fx_t *f = *state;
    proto_event_t ev;
    feed(f, "k9:12", "名单重复太多", 3);
    tap(f, "tile-suggest");
    tap(f, "staff-li-na");
    tap(f, "title");
    type(f, "mingdan");
    tap(f, "ime-cand-0"); /* the fake gives the letters back: 7 chars */
    tap(f, "k-back");
    tap(f, "k-back");
    tap(f, "k-back");
    tap(f, "k-back");
    tap(f, "k-back"); /* "mi" */
    tap(f, "k-done");
    assert_string_equal(text(f, "title"), "mi");
    /* under three characters: no search, nothing listed */
    assert_int_equal(f->finder.calls, 0);
    assert_null(kiosk_model_widget(f->m, "similar-1"));
    tap(f, "title");
    tap(f, "k-ime");
    tap(f, "k-back");
    tap(f, "k-back");
    type(f, "名单重");
    tap(f, "k-done");
    assert_int_equal(f->finder.calls, 1);
    assert_string_equal(f->finder.last, "名单重");
    assert_string_equal(text(f, "similar-1"), "名单重复太多（3 票）");
    tick(f); /* no new search while the title stays the same */
    assert_int_equal(f->finder.calls, 1);
    tap(f, "similar-vote-1");
    kiosk_effect_t *list = NULL;
    size_t n = 0;
    assert_int_equal(kiosk_model_take_effects(f->m, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].event.type, PROTO_EV_VOTE);
    assert_string_equal(list[0].event.suggestion_id, "k9:12");
    assert_string_equal(list[0].event.staff_id, "li-na");
    ev = list[0].event;
    memset(&list[0].event, 0, sizeof list[0].event);
    kiosk_effects_free(&list, n);
    ev.seq = 1;
    kiosk_input_t in = {.kind = KIOSK_IN_SAVED, .event = &ev};
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
    proto_event_clear(&ev);
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(f->m)),
                        "suggest-voted");
    assert_string_equal(text(f, "voted"), "你已 +1");
    assert_string_equal(text(f, "voted-detail"),
                        "你支持了“名单重复太多”。已存入本机，联网后自动同步，"
                        "不必再写一条相同的建议。");
    tap(f, "done");
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(f->m)), "home");
    assert_null(kiosk_model_staff(f->m));
}

/* The keyboard with candidates and with symbols, at every size and in
 * both languages: inside the window, touch targets ≥ 48 units (42 on the
 * portrait keyboard), nothing overlapping. */
static void check_layout(fx_t *f)
{
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(f->m, &n);
    const kiosk_widget_t *root = &w[0];
    double unit = (root->w < root->h ? root->w : root->h) / 480.0;
    for (size_t i = 0; i < n; i++) {
        assert_true(w[i].x >= 0 && w[i].y >= 0);
        assert_true(w[i].x + w[i].w <= root->w);
        assert_true(w[i].y + w[i].h <= root->h);
        if (w[i].flags & KIOSK_WF_TAPPABLE) {
            double min = (root->w < root->h ? 42 : 48) * unit - 1;
            if (w[i].w < min || w[i].h < min)
                fail_msg("%s is %dx%d, under %.0f px", w[i].id, w[i].w, w[i].h,
                         min);
        }
        for (size_t j = i + 1; j < n; j++) {
            const kiosk_widget_t *a = &w[i], *b = &w[j];
            bool apart = a->x + a->w <= b->x || b->x + b->w <= a->x ||
                         a->y + a->h <= b->y || b->y + b->h <= a->y;
            bool inside =
                (a->x >= b->x && a->y >= b->y && a->x + a->w <= b->x + b->w &&
                 a->y + a->h <= b->y + b->h) ||
                (b->x >= a->x && b->y >= a->y && b->x + b->w <= a->x + a->w &&
                 b->y + b->h <= a->y + a->h);
            if (!apart && !inside)
                fail_msg("%s and %s overlap", a->id, b->id);
        }
    }
}

static void test_layout_three_sizes(void **state)
{
    (void)state;
    static const int sizes[3][2] = {{800, 480}, {1920, 1080}, {1080, 1920}};
    for (int s = 0; s < 3; s++)
        for (int l = 0; l < 2; l++) {
            fx_t f;
            make(&f, sizes[s][0], sizes[s][1], (kiosk_lang_t)l);
            open_title(&f);
            if (l == 1)
                tap(&f, "k-ime"); /* English UI starts in 英 */
            taps(&f, "liucheng");
            assert_non_null(kiosk_model_widget(f.m, "ime-cand-4"));
            check_layout(&f);
            tap(&f, "k-sym");
            check_layout(&f);
            kiosk_model_destroy(&f.m);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_type_page_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backspace_through_composition,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_switch_zh_en, setup, teardown),
        cmocka_unit_test_setup_teardown(test_punctuation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preparing_then_ready, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_similar_and_plus_one, setup,
                                        teardown),
        cmocka_unit_test(test_layout_three_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
