/*
 * test_app_warm.c — the idle pre-render (kiosk/src/app/warm.c) on SDL's
 * software renderer at 1920x1080: after the kiosk has been idle on a
 * screen, the first frame of the screen a tap opens renders no text (it
 * was all prepared), and draws exactly the pixels it draws without the
 * pre-render. Slices end: a budget too small for any string still makes
 * progress, one string per slice.
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

/* Along a check-in: at each screen, idle, then tap; the new screen's
 * first frame renders nothing and looks as it does without the idle
 * pre-render (drawn with a second, cold cache, pixel for pixel). */
static void test_tap_after_idle_renders_nothing(void **state)
{
    fx_t *f = *state;
    kiosk_textcache_t *text = new_cache(f), *cold = new_cache(f);
    kiosk_view_t *view = kiosk_view_new(text),
                 *cold_view = kiosk_view_new(cold);
    kiosk_warm_t *warm = kiosk_warm_new(view);
    assert_non_null(view);
    assert_non_null(cold_view);
    assert_non_null(warm);
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
    kiosk_warm_destroy(&warm);
    kiosk_view_destroy(&view);
    kiosk_view_destroy(&cold_view);
    kiosk_textcache_destroy(&text);
    kiosk_textcache_destroy(&cold);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tap_after_idle_renders_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_tiny_budget_progresses, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
