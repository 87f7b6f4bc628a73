/*
 * test_model_redraw.c — the window loop's decision to draw a frame
 * (kiosk_redraw_needed over kiosk_widgets_hash): no frame for a tree that
 * did not change, however often the model ticks; a frame for each kind of
 * visible change: the clock's minute on Home, the sync line, a tap that
 * changes the screen or a text, a window resize, a damaged window. And
 * when the loop must next wake (kiosk_model_next_wake): exactly when the
 * clock, the idle timeout, the thanks screen or a PIN countdown changes.
 *
 * Fixture: tests/kiosk/model_catalogue.yaml. The clock starts at
 * 2026-11-27 10:00:00 in Shanghai.
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

#define T0 (1795744800LL * 1000) /* 2026-11-27 02:00 UTC = 10:00 +08 */
#define TZ (8 * 3600)

typedef struct {
    kiosk_model_t *m;
    kiosk_redraw_t r;
    int64_t now;
    int w, h;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->w = 800;
    f->h = 480;
    f->now = T0;
    kiosk_model_config_t cfg = fx_model_config(f->w, f->h);
    cfg.tz_offset_s = TZ;
    cfg.data_dir = "/var/lib/stepwise";
    f->m = fx_model_new(&cfg, f->now);
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

/* What the window loop does after each wake-up: true when it drew. */
static bool frame(fx_t *f)
{
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(f->m, &n);
    uint64_t h = kiosk_widgets_hash(w, n);
    if (!kiosk_redraw_needed(&f->r, h, f->w, f->h))
        return false;
    kiosk_redraw_done(&f->r, h, f->w, f->h);
    return true;
}

static void update(fx_t *f, kiosk_input_t in)
{
    assert_int_equal(kiosk_model_update(f->m, &in, f->now), 0);
}

static void tick(fx_t *f, int64_t ms)
{
    f->now += ms;
    update(f, (kiosk_input_t){.kind = KIOSK_IN_TICK});
}

static const char *text(fx_t *f, const char *id)
{
    const kiosk_widget_t *w = kiosk_model_widget(f->m, id);
    if (!w)
        fail_msg("no widget %s", id);
    return w->text;
}

static void test_idle_home_draws_once_a_minute(void **state)
{
    fx_t *f = *state;
    assert_true(frame(f)); /* the first frame */
    assert_false(frame(f));
    /* 10 ticks a second for the rest of the minute: nothing to draw */
    int drawn = 0;
    for (int i = 0; i < 599; i++) {
        tick(f, 100);
        drawn += frame(f);
    }
    assert_int_equal(drawn, 0);
    assert_string_equal(text(f, "clock"), "11月27日 星期五  10:00");
    /* 10:01:00: the clock's text changes, one frame */
    tick(f, 100);
    assert_string_equal(text(f, "clock"), "11月27日 星期五  10:01");
    assert_true(frame(f));
    assert_false(frame(f));
    /* a whole idle minute more: exactly one frame */
    drawn = 0;
    for (int i = 0; i < 600; i++) {
        tick(f, 100);
        drawn += frame(f);
    }
    assert_int_equal(drawn, 1);
    assert_string_equal(text(f, "clock"), "11月27日 星期五  10:02");
}

static void test_sync_line_change_draws(void **state)
{
    fx_t *f = *state;
    assert_true(frame(f));
    kiosk_input_t in = {.kind = KIOSK_IN_SYNC_STATUS};
    /* the same figures again: the line is the same, no frame */
    update(f, in);
    assert_false(frame(f));
    in.sync.link = KIOSK_NET_ONLINE;
    update(f, in);
    assert_true(frame(f));
    in.sync.waiting = 3;
    update(f, in);
    assert_string_equal(text(f, "sync"), "● 在线 · 3 条待同步 · 从未同步");
    assert_true(frame(f));
    update(f, in);
    assert_false(frame(f));
}

static void test_screen_and_text_changes_draw(void **state)
{
    fx_t *f = *state;
    assert_true(frame(f));
    /* the language: every text changes, no widget moves */
    update(f, (kiosk_input_t){.kind = KIOSK_IN_LANG, .lang = KIOSK_LANG_EN});
    assert_true(frame(f));
    assert_false(frame(f));
    /* a tap that opens another screen */
    update(f, (kiosk_input_t){.kind = KIOSK_IN_TAP_ID, .id = "tile-checkin"});
    assert_int_not_equal(kiosk_model_screen(f->m), KIOSK_SCREEN_HOME);
    assert_true(frame(f));
    assert_false(frame(f));
}

static void test_window_size_and_damage_draw(void **state)
{
    fx_t *f = *state;
    assert_true(frame(f));
    /* the window's size changes (the model lays out again) */
    f->w = 1920;
    f->h = 1080;
    update(f, (kiosk_input_t){.kind = KIOSK_IN_RESIZE, .w = f->w, .h = f->h});
    assert_true(frame(f));
    assert_false(frame(f));
    /* the size alone decides too, whatever the tree */
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(f->m, &n);
    uint64_t h = kiosk_widgets_hash(w, n);
    assert_false(kiosk_redraw_needed(&f->r, h, 1920, 1080));
    assert_true(kiosk_redraw_needed(&f->r, h, 1920, 1079));
    assert_true(kiosk_redraw_needed(&f->r, h, 1919, 1080));
    /* an exposed window: drawn again, once */
    f->r.damaged = true;
    assert_true(frame(f));
    assert_false(frame(f));
}

/* Every field the view draws from is in the hash; the unused bytes after
 * a text's end are not. */
static void test_hash_covers_every_field(void **state)
{
    (void)state;
    kiosk_widget_t a[2];
    memset(a, 0, sizeof a);
    snprintf(a[0].id, sizeof a[0].id, "clock");
    snprintf(a[0].text, sizeof a[0].text, "10:00");
    a[1].parent = -1;
    uint64_t h0 = kiosk_widgets_hash(a, 2);
    assert_int_not_equal(h0, kiosk_widgets_hash(a, 1));
    kiosk_widget_t b[2];
    memcpy(b, a, sizeof a);
    b[0].text[sizeof b[0].text - 1] = 'x'; /* after the NUL: not drawn */
    assert_int_equal(kiosk_widgets_hash(b, 2), h0);
#define CHANGED(field, v)                                                      \
    do {                                                                       \
        memcpy(b, a, sizeof a);                                                \
        b[1].field = v;                                                        \
        assert_int_not_equal(kiosk_widgets_hash(b, 2), h0);                    \
    } while (0)
    CHANGED(kind, KIOSK_W_BUTTON);
    CHANGED(x, 1);
    CHANGED(y, 1);
    CHANGED(w, 1);
    CHANGED(h, 1);
    CHANGED(font_px, 20);
    CHANGED(flags, KIOSK_WF_SELECTED);
    CHANGED(tone, KIOSK_TONE_OK);
    CHANGED(value, 1);
    CHANGED(aux, 1);
    CHANGED(parent, 0);
    CHANGED(text[0], 'a');
    CHANGED(id[0], 'a');
#undef CHANGED
}

/* ---- kiosk_model_next_wake: the window loop sleeps until then, so each
 * timed change must happen exactly at the time it names, not later, and
 * the model must not name a time at which nothing changes. */

static void tap(fx_t *f, const char *id)
{
    kiosk_input_t in = {.kind = KIOSK_IN_TAP_ID, .id = id};
    update(f, in);
}

static void tick_to(fx_t *f, int64_t at)
{
    f->now = at;
    update(f, (kiosk_input_t){.kind = KIOSK_IN_TICK});
}

static void test_wake_clock_minute(void **state)
{
    fx_t *f = *state;
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 60000);
    tick(f, 100);
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 60000);
    tick_to(f, T0 + 59999);
    assert_string_equal(text(f, "clock"), "11月27日 星期五  10:00");
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 60000);
    tick_to(f, T0 + 60000);
    assert_string_equal(text(f, "clock"), "11月27日 星期五  10:01");
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 120000);
}

static void test_wake_idle_timeout(void **state)
{
    fx_t *f = *state;
    tick_to(f, T0 + 30000);
    tap(f, "tile-checkin");
    assert_int_equal(kiosk_model_screen(f->m), KIOSK_SCREEN_IDENTIFY);
    /* the clock's minute comes first, then the idle timeout (60 s) */
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 60000);
    tick_to(f, T0 + 60000);
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 90000);
    tick_to(f, T0 + 89999);
    assert_int_equal(kiosk_model_screen(f->m), KIOSK_SCREEN_IDENTIFY);
    tick_to(f, T0 + 90000);
    assert_int_equal(kiosk_model_screen(f->m), KIOSK_SCREEN_HOME);
    /* nobody identified on Home: only the clock */
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 120000);
}

static void test_wake_thanks_screen(void **state)
{
    fx_t *f = *state;
    tick_to(f, T0 + 1000);
    tap(f, "tile-rating");
    tap(f, "staff-liu-yang");
    tap(f, "face-5");
    kiosk_effect_t *list = NULL;
    size_t n = 0;
    assert_int_equal(kiosk_model_take_effects(f->m, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].kind, KIOSK_FX_SAVE);
    proto_event_t ev = list[0].event;
    memset(&list[0].event, 0, sizeof list[0].event);
    kiosk_effects_free(&list, n);
    ev.seq = 1;
    snprintf(ev.kiosk_id, sizeof ev.kiosk_id, "k1");
    update(f, (kiosk_input_t){.kind = KIOSK_IN_SAVED, .event = &ev});
    proto_event_clear(&ev);
    assert_int_equal(kiosk_model_screen(f->m), KIOSK_SCREEN_RATING_THANKS);
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 6000);
    tick_to(f, T0 + 5999);
    assert_int_equal(kiosk_model_screen(f->m), KIOSK_SCREEN_RATING_THANKS);
    tick_to(f, T0 + 6000);
    assert_int_equal(kiosk_model_screen(f->m), KIOSK_SCREEN_HOME);
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 60000);
}

static void test_wake_pin_countdown(void **state)
{
    fx_t *f = *state;
    tick_to(f, T0 + 200);
    tap(f, "tile-checkin");
    tap(f, "staff-wang-fang");
    assert_int_equal(kiosk_model_screen(f->m), KIOSK_SCREEN_PIN);
    for (int i = 0; i < 5; i++) {
        for (int k = 0; k < 4; k++)
            tap(f, "key-0");
        tap(f, "key-ok");
    }
    assert_string_equal(text(f, "pin-msg"),
                        "PIN 错误次数过多，请在 60 秒后重试");
    /* the countdown's next second */
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 1200);
    tick_to(f, T0 + 1199);
    assert_string_equal(text(f, "pin-msg"),
                        "PIN 错误次数过多，请在 60 秒后重试");
    tick_to(f, T0 + 1200);
    assert_string_equal(text(f, "pin-msg"),
                        "PIN 错误次数过多，请在 59 秒后重试");
    assert_int_equal(kiosk_model_next_wake(f->m), T0 + 2200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_home_draws_once_a_minute,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_line_change_draws, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_screen_and_text_changes_draw,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_size_and_damage_draw, setup,
                                        teardown),
        cmocka_unit_test(test_hash_covers_every_field),
        cmocka_unit_test_setup_teardown(test_wake_clock_minute, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wake_idle_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wake_thanks_screen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wake_pin_countdown, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
