/*
 * test_app_warm.c — the idle pre-render (kiosk/src/app/warm.c) on SDL's
 * software renderer at 1920x1080: after the kiosk has been idle on a
 * screen, the first frame of the screen a tap opens renders no text (it
 * was all prepared), and draws exactly the pixels it draws without the
 * pre-render. Slices end: a budget too small for any string still makes
 * progress, one string per slice. The screens after a save (check-in
 * saved, thanks) are prepared the same way, and Home is prepared at
 * start-up (kiosk_warm_home), before the first frame.
 *
 * Fixture: tests/kiosk/model_catalogue.yaml.
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
#include "render_fixture.h"

#define W 1920
#define H 1080
#define T0 (1795744800LL * 1000) /* 2026-11-27 10:00 +08 */

typedef struct {
    fx_render_t sdl;
    kiosk_model_t *m;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fx_render_open(&f->sdl, W, H);
    kiosk_model_config_t cfg = fx_model_config(W, H);
    f->m = fx_model_new(&cfg, T0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    kiosk_model_destroy(&f->m);
    fx_render_close(&f->sdl);
    free(f);
    return 0;
}

static kiosk_textcache_t *new_cache(fx_t *f)
{
    char err[1024];
    kiosk_textcache_t *t =
        kiosk_textcache_new(f->sdl.font, f->sdl.index, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    kiosk_textcache_set_renderer(t, f->sdl.r);
    return t;
}

static void draw(fx_t *f, kiosk_view_t *v)
{
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(f->m, &n);
    assert_int_equal(kiosk_view_draw(v, f->sdl.r, w, n), 0);
}

static size_t renders(kiosk_textcache_t *t)
{
    size_t e, r;
    kiosk_textcache_stats(t, &e, &r);
    return r;
}

static void tap(fx_t *f, const char *id)
{
    kiosk_input_t in = {.kind = KIOSK_IN_TAP_ID, .id = id};
    assert_int_equal(kiosk_model_update(f->m, &in, T0), 0);
}

/* Answers the tap's save as the shell does: the outbox gives seq. */
static void answer_save(fx_t *f, uint64_t seq)
{
    kiosk_effect_t *fx = NULL;
    size_t nfx = 0;
    assert_int_equal(kiosk_model_take_effects(f->m, &fx, &nfx), 0);
    assert_int_equal(nfx, 1);
    assert_int_equal(fx[0].kind, KIOSK_FX_SAVE);
    proto_event_t ev = fx[0].event;
    memset(&fx[0].event, 0, sizeof fx[0].event);
    kiosk_effects_free(&fx, nfx);
    ev.seq = seq;
    kiosk_input_t in = {.kind = KIOSK_IN_SAVED, .event = &ev};
    assert_int_equal(kiosk_model_update(f->m, &in, T0), 0);
    proto_event_clear(&ev);
    assert_int_equal(kiosk_model_take_effects(f->m, &fx, &nfx), 0);
    kiosk_effects_free(&fx, nfx); /* the sync kick */
}

/* Idle until the pre-render has nothing left; returns the slices. */
static int idle(fx_t *f, kiosk_warm_t *warm, uint64_t budget_ns)
{
    int slices = 0, rc = 1;
    while (rc == 1) {
        rc = kiosk_warm_step(warm, f->m, budget_ns);
        assert_true(rc >= 0);
        slices++;
        assert_true(slices < 100000); /* it ends */
    }
    return slices;
}

/* A kiosk's view with the idle pre-render, and a second view on a cold
 * cache to draw what the screen looks like without it. */
typedef struct {
    kiosk_textcache_t *text, *cold;
    kiosk_view_t *view, *cold_view;
    kiosk_warm_t *warm;
} rig_t;

static rig_t rig_new(fx_t *f)
{
    rig_t r = {.text = new_cache(f), .cold = new_cache(f)};
    r.view = kiosk_view_new(r.text);
    r.cold_view = kiosk_view_new(r.cold);
    r.warm = kiosk_warm_new(r.view);
    assert_non_null(r.view);
    assert_non_null(r.cold_view);
    assert_non_null(r.warm);
    return r;
}

static void rig_free(rig_t *r)
{
    kiosk_warm_destroy(&r->warm);
    kiosk_view_destroy(&r->view);
    kiosk_view_destroy(&r->cold_view);
    kiosk_textcache_destroy(&r->text);
    kiosk_textcache_destroy(&r->cold);
}

/* Along a check-in: at each screen, idle, then tap; the new screen's
 * first frame renders nothing and looks as it does without the idle
 * pre-render (drawn with a second, cold cache, pixel for pixel). */
static void test_tap_after_idle_renders_nothing(void **state)
{
    fx_t *f = *state;
    rig_t rig = rig_new(f);
    kiosk_textcache_t *text = rig.text;
    kiosk_view_t *view = rig.view, *cold_view = rig.cold_view;
    kiosk_warm_t *warm = rig.warm;
    size_t bytes = (size_t)f->sdl.surf->pitch * H;
    unsigned char *want = malloc(bytes);
    assert_non_null(want);
    static const char *const taps[] = {
        "tile-checkin",
        "staff-zhang-wei",
        "proc-telemarketing",
        "step-tm-call",
        "value-calls",
        "back",
        "note",
        "k-done",
        "logout",
        "tile-guide",
        "proc-telemarketing",
        "step-tm-call",
    };
    draw(f, view);
    for (size_t i = 0; i < sizeof taps / sizeof taps[0]; i++) {
        assert_true(idle(f, warm, 2000000u) >= 1);
        tap(f, taps[i]);
        draw(f, cold_view);
        memcpy(want, f->sdl.surf->pixels, bytes);
        size_t before = renders(text);
        draw(f, view);
        if (renders(text) != before)
            fail_msg("after %s the first frame rendered %zu strings", taps[i],
                     renders(text) - before);
        assert_memory_equal(f->sdl.surf->pixels, want, bytes);
    }
    free(want);
    rig_free(&rig);
}

/* A budget too small for anything: each slice still renders one string,
 * so Home's neighbours are prepared in about as many slices as they have
 * strings, and the work is the same. */
static void test_tiny_budget_progresses(void **state)
{
    fx_t *f = *state;
    kiosk_textcache_t *a = new_cache(f), *b = new_cache(f);
    kiosk_view_t *va = kiosk_view_new(a), *vb = kiosk_view_new(b);
    kiosk_warm_t *wa = kiosk_warm_new(va), *wb = kiosk_warm_new(vb);
    draw(f, va);
    draw(f, vb);
    size_t ra = renders(a);
    /* one string per slice, each slice but the last rendering one */
    int rc = 1, slices = 0;
    while (rc == 1) {
        size_t before = renders(a);
        rc = kiosk_warm_step(wa, f->m, 1);
        assert_true(rc >= 0);
        slices++;
        if (rc == 1)
            assert_int_equal(renders(a) - before, 1);
        else
            assert_true(renders(a) - before <= 1);
        assert_true(slices < 10000);
    }
    idle(f, wb, 2000000u);
    size_t prepared = renders(a) - ra;
    assert_true(prepared > 10);
    assert_int_equal(renders(b), renders(a)); /* the same strings */
    /* idle again on the same screen: nothing left to do */
    assert_int_equal(kiosk_warm_step(wa, f->m, 1), 0);
    assert_int_equal(renders(a) - ra, prepared);
    kiosk_warm_destroy(&wa);
    kiosk_warm_destroy(&wb);
    kiosk_view_destroy(&va);
    kiosk_view_destroy(&vb);
    kiosk_textcache_destroy(&a);
    kiosk_textcache_destroy(&b);
}

/* Draws the current screen with the warm cache and with a cold one:
 * the warm one must render nothing and draw the same pixels. */
static void first_frame_prepared(fx_t *f, kiosk_view_t *view,
                                 kiosk_textcache_t *text,
                                 kiosk_view_t *cold_view, const char *after)
{
    size_t bytes = (size_t)f->sdl.surf->pitch * H;
    unsigned char *want = malloc(bytes);
    assert_non_null(want);
    draw(f, cold_view);
    memcpy(want, f->sdl.surf->pixels, bytes);
    size_t before = renders(text);
    draw(f, view);
    if (renders(text) != before)
        fail_msg("after %s the first frame of %s rendered %zu strings", after,
                 kiosk_screen_name(kiosk_model_screen(f->m)),
                 renders(text) - before);
    assert_memory_equal(f->sdl.surf->pixels, want, bytes);
    free(want);
}

/* A check-in saved twice and a rating: idle before each save, and the
 * screen after it (check-in saved with its totals and points, thanks)
 * renders nothing in its first frame; so do again and done after it. */
static void test_saved_screens_after_idle(void **state)
{
    fx_t *f = *state;
    rig_t rig = rig_new(f);
    kiosk_textcache_t *text = rig.text;
    kiosk_view_t *view = rig.view, *cold_view = rig.cold_view;
    kiosk_warm_t *warm = rig.warm;
    static const char *const taps[] = {
        "tile-checkin",
        "staff-zhang-wei",
        "proc-telemarketing",
        "step-tm-call",
        "plus-calls",
        "confirm",
        "again",
        "proc-telemarketing",
        "step-tm-call",
        "plus-calls",
        "plus-calls",
        "confirm",
        "done",
        "tile-rating",
        "staff-li-na",
        "face-4",
        "done",
    };
    uint64_t seq = 1;
    draw(f, view);
    for (size_t i = 0; i < sizeof taps / sizeof taps[0]; i++) {
        idle(f, warm, 2000000u);
        tap(f, taps[i]);
        if (strcmp(taps[i], "confirm") == 0 ||
            strncmp(taps[i], "face-", 5) == 0)
            answer_save(f, seq++);
        if (strcmp(taps[i], "plus-calls") == 0)
            continue; /* the same screen, a new value */
        first_frame_prepared(f, view, text, cold_view, taps[i]);
    }
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(f->m)), "home");
    rig_free(&rig);
}

/* kiosk_warm_home: at start-up Home's first frame renders nothing; from
 * another screen, with a slice half-way through its tree, Home (nobody
 * identified) is prepared, and the idle pre-render then starts over and
 * still prepares every screen one tap away. */
static void test_home_prepared_at_startup(void **state)
{
    fx_t *f = *state;
    rig_t rig = rig_new(f);
    kiosk_textcache_t *text = rig.text;
    kiosk_view_t *view = rig.view, *cold_view = rig.cold_view;
    kiosk_warm_t *warm = rig.warm;
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(f->m)), "home");
    assert_int_equal(kiosk_warm_home(warm, f->m), 0);
    size_t home = renders(text);
    assert_true(home >= 15); /* tiles' titles and lines, clock, sync */
    first_frame_prepared(f, view, text, cold_view, "start-up");
    /* again: all cached, nothing rendered */
    assert_int_equal(kiosk_warm_home(warm, f->m), 0);
    assert_int_equal(renders(text), home);

    /* the same from a screen whose idle slices are half-way: a second
     * kiosk, fresh caches */
    kiosk_textcache_t *t2 = new_cache(f);
    kiosk_view_t *v2 = kiosk_view_new(t2);
    kiosk_warm_t *w2 = kiosk_warm_new(v2);
    assert_non_null(v2);
    assert_non_null(w2);
    tap(f, "tile-checkin");
    tap(f, "staff-zhang-wei");
    draw(f, v2);
    assert_int_equal(kiosk_warm_step(w2, f->m, 1), 1); /* one string */
    assert_int_equal(kiosk_warm_home(w2, f->m), 0);
    idle(f, w2, 2000000u);
    tap(f, "proc-telemarketing");
    first_frame_prepared(f, v2, t2, cold_view, "proc-telemarketing");
    tap(f, "logout");
    first_frame_prepared(f, v2, t2, cold_view, "logout");
    kiosk_warm_destroy(&w2);
    kiosk_view_destroy(&v2);
    kiosk_textcache_destroy(&t2);
    rig_free(&rig);
}

/* kiosk_warm_home with the view's renderer also makes the rating faces'
 * textures: the faces screen met right after start-up makes none in its
 * first frame, and looks as drawn from a cold view. */
static void test_faces_prepared_at_startup(void **state)
{
    fx_t *f = *state;
    rig_t rig = rig_new(f);
    size_t bytes = (size_t)f->sdl.surf->pitch * H;
    unsigned char *want = malloc(bytes);
    assert_non_null(want);
    assert_int_equal(kiosk_view_faces_made(rig.view), 0);
    kiosk_view_set_renderer(rig.view, f->sdl.r);
    assert_int_equal(kiosk_warm_home(rig.warm, f->m), 0);
    assert_int_equal(kiosk_view_faces_made(rig.view), 5); /* none selected */
    draw(f, rig.view); /* Home */
    tap(f, "tile-rating");
    tap(f, "staff-li-na");
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(f->m)),
                        "rating-faces");
    memset(f->sdl.surf->pixels, 0, bytes);
    draw(f, rig.cold_view);
    memcpy(want, f->sdl.surf->pixels, bytes);
    memset(f->sdl.surf->pixels, 0, bytes);
    draw(f, rig.view);
    assert_int_equal(kiosk_view_faces_made(rig.view), 5);
    assert_memory_equal(f->sdl.surf->pixels, want, bytes);
    /* a tree without a renderer to make them with: nothing, no error */
    rig_t bare = rig_new(f);
    assert_int_equal(kiosk_warm_home(bare.warm, f->m), 0);
    assert_int_equal(kiosk_view_faces_made(bare.view), 0);
    rig_free(&bare);
    free(want);
    rig_free(&rig);
}

/* Rating faces come from textures made once (in idle time, or in the
 * first frame): the screen draws exactly the pixels of faces drawn shape
 * by shape, in the first frame and after, at two sizes of the screen. */
static void test_faces_from_textures(void **state)
{
    fx_t *f = *state;
    kiosk_textcache_t *text = new_cache(f);
    kiosk_view_t *cached = kiosk_view_new(text), *direct = kiosk_view_new(text);
    assert_non_null(cached);
    assert_non_null(direct);
    kiosk_view_cache_faces(direct, false);
    size_t bytes = (size_t)f->sdl.surf->pitch * H;
    unsigned char *want = malloc(bytes);
    assert_non_null(want);
    tap(f, "tile-rating");
    tap(f, "staff-li-na");
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(f->m)),
                        "rating-faces");
    static const int sizes[][2] = {{W, H}, {800, 480}};
    for (size_t s = 0; s < 2; s++) {
        kiosk_input_t rs = {
            .kind = KIOSK_IN_RESIZE, .w = sizes[s][0], .h = sizes[s][1]};
        assert_int_equal(kiosk_model_update(f->m, &rs, T0), 0);
        memset(f->sdl.surf->pixels, 0, bytes);
        draw(f, direct);
        memcpy(want, f->sdl.surf->pixels, bytes);
        for (int frame = 0; frame < 2; frame++) {
            memset(f->sdl.surf->pixels, 0, bytes);
            draw(f, cached);
            assert_memory_equal(f->sdl.surf->pixels, want, bytes);
        }
    }
    free(want);
    kiosk_view_destroy(&cached);
    kiosk_view_destroy(&direct);
    kiosk_textcache_destroy(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tap_after_idle_renders_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_tiny_budget_progresses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_saved_screens_after_idle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_home_prepared_at_startup, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_faces_prepared_at_startup, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_faces_from_textures, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
