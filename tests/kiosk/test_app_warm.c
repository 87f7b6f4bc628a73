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

#include <SDL_ttf.h>

#include "../../kiosk/src/app/app.h"
#include "protocol/catalogue.h"

#define W 1920
#define H 1080
#define T0 (1795744800LL * 1000) /* 2026-11-27 10:00 +08 */

typedef struct {
    SDL_Surface *surf;
    SDL_Renderer *r;
    kiosk_model_t *m;
    char font[1024];
    int index;
} fx_t;

static int setup(void **state)
{
    char err[1024];
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    if (SDL_Init(SDL_INIT_VIDEO) != 0 || TTF_Init() != 0)
        fail_msg("SDL: %s", SDL_GetError());
    if (kiosk_find_font(f->font, sizeof f->font, &f->index) != 0)
        fail_msg("no CJK font: install fonts-noto-cjk");
    f->surf =
        SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(f->surf);
    f->r = SDL_CreateSoftwareRenderer(f->surf);
    assert_non_null(f->r);
    kiosk_model_config_t cfg = {
        .strings_dir = STEPWISE_ASSETS "/strings",
        .lang = KIOSK_LANG_ZH,
        .width = W,
        .height = H,
        .tz_offset_s = 8 * 3600,
        .kiosk_id = "k1",
        .can_capture = true,
    };
    f->m = kiosk_model_new(&cfg, err, sizeof err);
    if (!f->m)
        fail_msg("model: %s", err);
    proto_catalogue_t *cat = proto_catalogue_load_file(
        STEPWISE_TESTDATA "/model_catalogue.yaml", err, sizeof err);
    if (!cat)
        fail_msg("fixture catalogue: %s", err);
    kiosk_input_t in = {.kind = KIOSK_IN_CATALOGUE, .catalogue = cat};
    assert_int_equal(kiosk_model_update(f->m, &in, T0), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    kiosk_model_destroy(&f->m);
    SDL_DestroyRenderer(f->r);
    SDL_FreeSurface(f->surf);
    free(f);
    TTF_Quit();
    SDL_Quit();
    return 0;
}

static kiosk_textcache_t *new_cache(fx_t *f)
{
    char err[1024];
    kiosk_textcache_t *t =
        kiosk_textcache_new(f->font, f->index, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    kiosk_textcache_set_renderer(t, f->r);
    return t;
}

static void draw(fx_t *f, kiosk_view_t *v)
{
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(f->m, &n);
    assert_int_equal(kiosk_view_draw(v, f->r, w, n), 0);
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
    size_t bytes = (size_t)f->surf->pitch * H;
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
        memcpy(want, f->surf->pixels, bytes);
        size_t before = renders(text);
        draw(f, view);
        if (renders(text) != before)
            fail_msg("after %s the first frame rendered %zu strings", taps[i],
                     renders(text) - before);
        assert_memory_equal(f->surf->pixels, want, bytes);
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
