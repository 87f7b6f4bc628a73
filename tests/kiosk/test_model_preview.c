/*
 * test_model_preview.c — kiosk_model_preview_tap (kiosk/src/model/
 * preview.c): the tree a tap would open is exactly the tree the tap then
 * shows, and previewing changes nothing: not the current tree, not the
 * screen, no effect asked of the shell. The idle pre-render relies on
 * both: on the first to prepare the right text, on the second to be
 * invisible.
 *
 * The screens after a save are foreseen too: confirm's check-in saved
 * (with the totals, points and standing the save will give, for a first
 * check-in of the day and a second one), a face's thanks, and Home with
 * nobody identified (kiosk_model_preview_home, for the start-up).
 *
 * Fixture: tests/kiosk/model_catalogue.yaml (Wang Fang's PIN is 2468).
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

#define T0 (1795744800LL * 1000) /* 2026-11-27 10:00 +08 */

static kiosk_model_t *make_model(int w, int h)
{
    kiosk_model_config_t cfg = fx_model_config(w, h);
    return fx_model_new(&cfg, T0);
}

/* Previews every tappable widget of the current screen: nothing may
 * change. Returns how many opened a screen foreseen. */
static int preview_all(kiosk_model_t *m)
{
    size_t n;
    const kiosk_widget_t *cur = kiosk_model_widgets(m, &n);
    uint64_t before = kiosk_widgets_hash(cur, n);
    kiosk_screen_t screen = kiosk_model_screen(m);
    /* the ids first: the current tree must stay valid, but copy them so a
     * failure cannot read freed memory */
    char(*ids)[KIOSK_WIDGET_ID_MAX] = calloc(n, sizeof *ids);
    assert_non_null(ids);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (cur[i].flags & KIOSK_WF_TAPPABLE)
            memcpy(ids[k++], cur[i].id, KIOSK_WIDGET_ID_MAX);
    int foreseen = 0;
    for (size_t i = 0; i < k; i++) {
        size_t pn = 0;
        if (kiosk_model_preview_tap(m, ids[i], &pn)) {
            assert_true(pn > 0);
            foreseen++;
        }
    }
    free(ids);
    size_t n2;
    const kiosk_widget_t *cur2 = kiosk_model_widgets(m, &n2);
    assert_ptr_equal(cur2, cur);
    assert_int_equal(n2, n);
    assert_int_equal(kiosk_widgets_hash(cur2, n2), before);
    assert_int_equal(kiosk_model_screen(m), screen);
    kiosk_effect_t *fx = NULL;
    size_t nfx = 99;
    assert_int_equal(kiosk_model_take_effects(m, &fx, &nfx), 0);
    assert_int_equal(nfx, 0);
    kiosk_effects_free(&fx, nfx);
    return foreseen;
}

/* Previews id, taps it, and checks the tap showed the previewed tree,
 * widget for widget. */
static void tap_as_previewed(kiosk_model_t *m, const char *id,
                             const char *screen_after)
{
    size_t pn = 0;
    const kiosk_widget_t *pw = kiosk_model_preview_tap(m, id, &pn);
    if (!pw)
        fail_msg("tap %s on %s was not foreseen", id,
                 kiosk_screen_name(kiosk_model_screen(m)));
    uint64_t want = kiosk_widgets_hash(pw, pn);
    kiosk_input_t in = {.kind = KIOSK_IN_TAP_ID, .id = id};
    assert_int_equal(kiosk_model_update(m, &in, T0), 0);
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(m)), screen_after);
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(m, &n);
    assert_int_equal(n, pn);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(w[i].id, pw[i].id);
        assert_string_equal(w[i].text, pw[i].text);
        assert_int_equal(w[i].x, pw[i].x);
        assert_int_equal(w[i].y, pw[i].y);
        assert_int_equal(w[i].w, pw[i].w);
        assert_int_equal(w[i].h, pw[i].h);
    }
    assert_int_equal(kiosk_widgets_hash(w, n), want);
}

static void tap(kiosk_model_t *m, const char *id)
{
    kiosk_input_t in = {.kind = KIOSK_IN_TAP_ID, .id = id};
    assert_int_equal(kiosk_model_update(m, &in, T0), 0);
}

/* Two trees are the same, widget for widget. */
static void assert_same_tree(const kiosk_widget_t *a, size_t na,
                             const kiosk_widget_t *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(a[i].id, b[i].id);
        assert_string_equal(a[i].text, b[i].text);
        assert_int_equal(a[i].x, b[i].x);
        assert_int_equal(a[i].y, b[i].y);
        assert_int_equal(a[i].w, b[i].w);
        assert_int_equal(a[i].h, b[i].h);
        assert_int_equal(a[i].value, b[i].value);
    }
    assert_int_equal(kiosk_widgets_hash(a, na), kiosk_widgets_hash(b, nb));
}

/* Previews a tap that saves (confirm, a face), taps it, answers the save
 * as the shell does (the outbox gives seq), and checks the screen after
 * the save is the previewed tree. */
static void save_as_previewed(kiosk_model_t *m, const char *id, uint64_t seq,
                              const char *screen_after)
{
    size_t pn = 0;
    const kiosk_widget_t *pw = kiosk_model_preview_tap(m, id, &pn);
    if (!pw)
        fail_msg("save %s on %s was not foreseen", id,
                 kiosk_screen_name(kiosk_model_screen(m)));
    kiosk_widget_t *want = calloc(pn, sizeof *want);
    assert_non_null(want);
    memcpy(want, pw, pn * sizeof *want); /* the tap rebuilds the model */
    tap(m, id);
    kiosk_effect_t *fx = NULL;
    size_t nfx = 0;
    assert_int_equal(kiosk_model_take_effects(m, &fx, &nfx), 0);
    assert_int_equal(nfx, 1);
    assert_int_equal(fx[0].kind, KIOSK_FX_SAVE);
    proto_event_t ev = fx[0].event;
    memset(&fx[0].event, 0, sizeof fx[0].event);
    kiosk_effects_free(&fx, nfx);
    ev.seq = seq;
    kiosk_input_t in = {.kind = KIOSK_IN_SAVED, .event = &ev};
    assert_int_equal(kiosk_model_update(m, &in, T0), 0);
    proto_event_clear(&ev);
    assert_int_equal(kiosk_model_take_effects(m, &fx, &nfx), 0);
    kiosk_effects_free(&fx, nfx); /* the sync kick */
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(m)), screen_after);
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(m, &n);
    assert_same_tree(w, n, want, pn);
    free(want);
}

/* The text of the first widget whose id is id, in a tree. */
static const char *text_of(const kiosk_widget_t *w, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w[i].id, id) == 0)
            return w[i].text;
    fail_msg("no widget %s", id);
    return NULL;
}

static void walk(int w, int h)
{
    kiosk_model_t *m = make_model(w, h);
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(m)), "home");
    /* Home: six tiles foreseen (meeting mode is not: it asks syncd) */
    assert_int_equal(preview_all(m), 6);
    tap_as_previewed(m, "tile-checkin", "identify");
    assert_true(preview_all(m) >= 5); /* back and the staff */
    tap_as_previewed(m, "staff-zhang-wei", "checkin-process");
    preview_all(m);
    tap_as_previewed(m, "proc-telemarketing", "checkin-step");
    preview_all(m);
    tap_as_previewed(m, "step-tm-call", "checkin-measures");
    /* a value changed on this screen is what the number pad then shows */
    tap(m, "plus-calls");
    preview_all(m);
    tap_as_previewed(m, "value-calls", "numpad");
    preview_all(m);
    tap_as_previewed(m, "back", "checkin-measures");
    tap_as_previewed(m, "note", "keyboard");
    preview_all(m);
    tap_as_previewed(m, "k-done", "checkin-measures");
    tap_as_previewed(m, "back", "checkin-step");
    tap_as_previewed(m, "back", "checkin-process");
    tap_as_previewed(m, "logout", "home");
    tap_as_previewed(m, "tile-guide", "guide");
    tap_as_previewed(m, "proc-telemarketing", "guide-process");
    tap_as_previewed(m, "step-tm-call", "guide-step");
    tap_as_previewed(m, "back", "guide-process");
    tap_as_previewed(m, "back", "guide");
    tap_as_previewed(m, "back", "home");
    tap_as_previewed(m, "tile-rating", "rating-staff");
    preview_all(m);
    tap_as_previewed(m, "staff-li-na", "rating-faces");
    tap_as_previewed(m, "back", "rating-staff");
    tap_as_previewed(m, "back", "home");
    tap_as_previewed(m, "tile-suggest", "identify");
    tap_as_previewed(m, "staff-wang-fang", "pin"); /* she has a PIN */
    preview_all(m);
    tap_as_previewed(m, "back", "identify");
    tap_as_previewed(m, "back", "home");
    tap_as_previewed(m, "tile-board", "board");
    preview_all(m);
    kiosk_model_destroy(&m);
}

static void test_preview_is_what_the_tap_shows_landscape(void **state)
{
    (void)state;
    walk(800, 480);
}

static void test_preview_is_what_the_tap_shows_1080p(void **state)
{
    (void)state;
    walk(1920, 1080);
}

static void test_preview_is_what_the_tap_shows_portrait(void **state)
{
    (void)state;
    walk(1080, 1920);
}

/* Taps that open no screen, or that save, are not foreseen: no tree, and
 * still no effect. */
static void test_not_foreseen(void **state)
{
    (void)state;
    kiosk_model_t *m = make_model(800, 480);
    size_t n = 7;
    assert_null(kiosk_model_preview_tap(m, "tile-meeting", &n));
    assert_int_equal(n, 0);
    assert_null(kiosk_model_preview_tap(m, "lang", &n));
    assert_null(kiosk_model_preview_tap(m, "no-such-widget", &n));
    tap(m, "tile-checkin");
    tap(m, "staff-zhang-wei");
    tap(m, "proc-telemarketing");
    tap(m, "step-tm-call");
    tap(m, "plus-calls");
    assert_null(kiosk_model_preview_tap(m, "plus-calls", &n));
    assert_null(kiosk_model_preview_tap(m, "staff-nobody", &n));
    kiosk_effect_t *fx = NULL;
    size_t nfx = 99;
    assert_int_equal(kiosk_model_take_effects(m, &fx, &nfx), 0);
    assert_int_equal(nfx, 0);
    /* and the value tapped is still there, though confirm was previewed:
     * confirm saves one call */
    assert_non_null(kiosk_model_preview_tap(m, "confirm", &n));
    tap(m, "confirm");
    assert_int_equal(kiosk_model_take_effects(m, &fx, &nfx), 0);
    assert_int_equal(nfx, 1);
    assert_int_equal(fx[0].kind, KIOSK_FX_SAVE);
    assert_string_equal(fx[0].event.staff_id, "zhang-wei");
    assert_true(fx[0].event.n_measures >= 1);
    assert_string_equal(fx[0].event.measures[0].key, "calls");
    assert_true(fx[0].event.measures[0].value == 1);
    kiosk_effects_free(&fx, nfx);
    kiosk_model_destroy(&m);
}

/* Along two check-ins and a rating: each screen after a save is the
 * previewed one, and so are again / done after it; the second check-in's
 * totals and points include the first, not the foreseen one twice. */
static void saves(int w, int h)
{
    kiosk_model_t *m = make_model(w, h);
    tap(m, "tile-checkin");
    tap(m, "staff-zhang-wei");
    tap(m, "proc-telemarketing");
    tap(m, "step-tm-call");
    tap(m, "plus-calls");
    tap(m, "plus-calls");
    /* back, log-out, the two number pads, note, and now confirm */
    assert_int_equal(preview_all(m), 6);
    save_as_previewed(m, "confirm", 1, "checkin-saved");
    size_t n;
    const kiosk_widget_t *cur = kiosk_model_widgets(m, &n);
    assert_string_equal(text_of(cur, n, "total-calls"),
                        "外呼次数  今日 2 / 100 次");
    preview_all(m);
    tap_as_previewed(m, "again", "checkin-process");
    tap_as_previewed(m, "proc-telemarketing", "checkin-step");
    tap_as_previewed(m, "step-tm-call", "checkin-measures");
    tap(m, "plus-calls");
    save_as_previewed(m, "confirm", 2, "checkin-saved");
    cur = kiosk_model_widgets(m, &n);
    /* three calls today: the first check-in's two and this one, counted
     * once each */
    assert_string_equal(text_of(cur, n, "total-calls"),
                        "外呼次数  今日 3 / 100 次");
    tap_as_previewed(m, "done", "home");
    assert_null(kiosk_model_staff(m)); /* done logs out */
    tap_as_previewed(m, "tile-rating", "rating-staff");
    tap_as_previewed(m, "staff-li-na", "rating-faces");
    preview_all(m);
    save_as_previewed(m, "face-5", 3, "rating-thanks");
    preview_all(m);
    tap_as_previewed(m, "done", "home");
    kiosk_model_destroy(&m);
}

static void test_saves_as_previewed_landscape(void **state)
{
    (void)state;
    saves(800, 480);
}

static void test_saves_as_previewed_1080p(void **state)
{
    (void)state;
    saves(1920, 1080);
}

/* Home with nobody identified, from any screen and from a person's
 * check-in, is the Home that log-out then shows; previewing it changes
 * nothing. */
static void test_preview_home(void **state)
{
    (void)state;
    kiosk_model_t *m = make_model(1920, 1080);
    size_t hn = 0, n;
    const kiosk_widget_t *hw = kiosk_model_preview_home(m, &hn);
    assert_non_null(hw);
    const kiosk_widget_t *cur = kiosk_model_widgets(m, &n);
    assert_same_tree(hw, hn, cur, n); /* the kiosk starts on it */
    tap(m, "tile-checkin");
    tap(m, "staff-zhang-wei");
    cur = kiosk_model_widgets(m, &n);
    uint64_t before = kiosk_widgets_hash(cur, n);
    hw = kiosk_model_preview_home(m, &hn);
    assert_non_null(hw);
    kiosk_widget_t *want = calloc(hn, sizeof *want);
    assert_non_null(want);
    memcpy(want, hw, hn * sizeof *want);
    const kiosk_widget_t *cur2 = kiosk_model_widgets(m, &n);
    assert_ptr_equal(cur2, cur);
    assert_int_equal(kiosk_widgets_hash(cur2, n), before);
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(m)),
                        "checkin-process");
    assert_string_equal(kiosk_model_staff(m), "zhang-wei");
    tap(m, "logout");
    cur = kiosk_model_widgets(m, &n);
    assert_same_tree(cur, n, want, hn);
    free(want);
    n = 7;
    assert_null(kiosk_model_preview_home(NULL, &n));
    assert_int_equal(n, 0);
    kiosk_model_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preview_is_what_the_tap_shows_landscape),
        cmocka_unit_test(test_preview_is_what_the_tap_shows_1080p),
        cmocka_unit_test(test_preview_is_what_the_tap_shows_portrait),
        cmocka_unit_test(test_not_foreseen),
        cmocka_unit_test(test_saves_as_previewed_landscape),
        cmocka_unit_test(test_saves_as_previewed_1080p),
        cmocka_unit_test(test_preview_home),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
