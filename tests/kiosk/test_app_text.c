/*
 * test_app_text.c — the kiosk's text cache (kiosk/src/app/text.c) on
 * SDL's software renderer: a string is rendered once and then only
 * copied; a full cache keeps what is on screen (the least recently used
 * half goes, not everything); the one-line fast path draws exactly
 * the pixels of the general layout path; and text prepared in idle time
 * is drawn without rendering, with the same pixels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "render_fixture.h"

#define W 640
#define H 200
#define CACHE_MAX 1024 /* text.c */

typedef struct {
    fx_render_t sdl;
    kiosk_textcache_t *text;
} fx_t;

static int setup(void **state)
{
    char err[1024];
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fx_render_open(&f->sdl, W, H);
    f->text = kiosk_textcache_new(f->sdl.font, f->sdl.index, err, sizeof err);
    if (!f->text)
        fail_msg("%s", err);
    kiosk_textcache_set_renderer(f->text, f->sdl.r);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    kiosk_textcache_destroy(&f->text);
    fx_render_close(&f->sdl);
    free(f);
    return 0;
}

static const SDL_Color INK = {0x11, 0x18, 0x27, 0xFF};

static void clear(fx_t *f)
{
    SDL_SetRenderDrawColor(f->sdl.r, 0xEE, 0xF1, 0xF5, 0xFF);
    SDL_RenderClear(f->sdl.r);
}

static void draw(fx_t *f, const char *s, int px, SDL_Rect box, bool ml,
                 int align, kiosk_text_report_t *rep)
{
    assert_int_equal(
        kiosk_textcache_draw(f->text, s, px, INK, box, ml, align, rep), 0);
}

static size_t renders(fx_t *f)
{
    size_t entries, n;
    kiosk_textcache_stats(f->text, &entries, &n);
    return n;
}

static size_t entries(fx_t *f)
{
    size_t e, n;
    kiosk_textcache_stats(f->text, &e, &n);
    return e;
}

/* How many pixels differ from the background: the text is there. */
static int inked(fx_t *f)
{
    int n = 0;
    const Uint32 *p = f->sdl.surf->pixels;
    Uint32 bg = SDL_MapRGB(f->sdl.surf->format, 0xEE, 0xF1, 0xF5);
    for (int i = 0; i < W * H; i++)
        n += (p[i] & 0xFFFFFF) != (bg & 0xFFFFFF);
    return n;
}

static void test_rendered_once(void **state)
{
    fx_t *f = *state;
    kiosk_text_report_t rep;
    SDL_Rect box = {10, 10, 400, 60};
    clear(f);
    draw(f, "今日打卡 12 次", 28, box, false, 0, &rep);
    assert_int_equal(renders(f), 1);
    assert_int_equal(rep.lines, 1);
    assert_int_equal(rep.px, 28);
    assert_false(rep.overflow);
    assert_int_equal(rep.missing, 0);
    assert_true(inked(f) > 100);
    for (int i = 0; i < 5; i++)
        draw(f, "今日打卡 12 次", 28, box, false, 0, &rep);
    assert_int_equal(renders(f), 1);
    assert_int_equal(entries(f), 1);
    /* another size is another rendering */
    draw(f, "今日打卡 12 次", 24, box, false, 0, &rep);
    assert_int_equal(renders(f), 2);
}

/* A full cache drops the strings used longest ago; what is drawn every
 * frame stays, so the frame after the cache fills renders nothing that
 * is on screen again. */
static void test_full_cache_keeps_what_is_drawn(void **state)
{
    fx_t *f = *state;
    kiosk_text_report_t rep;
    SDL_Rect box = {0, 0, 300, 40};
    char s[32];
    draw(f, "首页", 20, box, false, 0, &rep);
    draw(f, "同步正常", 20, box, false, 0, &rep);
    size_t before = renders(f);
    for (int i = 0; i < CACHE_MAX + 100; i++) {
        snprintf(s, sizeof s, "%d", i); /* a clock's worth of new text */
        draw(f, s, 12, box, false, 0, &rep);
        draw(f, "首页", 20, box, false, 0, &rep);
        draw(f, "同步正常", 20, box, false, 0, &rep);
    }
    /* only the new strings were rendered: the two on screen never again */
    assert_int_equal(renders(f), before + CACHE_MAX + 100);
    assert_true(entries(f) <= CACHE_MAX);
    assert_true(entries(f) > CACHE_MAX / 2);
    /* the newest numbers are still there, the oldest are gone */
    size_t r = renders(f);
    snprintf(s, sizeof s, "%d", CACHE_MAX + 99);
    draw(f, s, 12, box, false, 0, &rep);
    assert_int_equal(renders(f), r);
    draw(f, "0", 12, box, false, 0, &rep);
    assert_int_equal(renders(f), r + 1);
}

/* One line that fits is drawn from SDL_ttf's surface directly; the same
 * text through the general path (multiline: laid out, then composed into
 * a box of its line skip) must give the same pixels, for each alignment
 * and for Chinese and Latin text. */
static void test_one_line_same_pixels_as_layout(void **state)
{
    fx_t *f = *state;
    static const char *const texts[] = {"返回", "李娜 · 退出", "Check-in saved",
                                        "62 / 4000 字节"};
    size_t bytes = (size_t)f->sdl.surf->pitch * H;
    unsigned char *one = malloc(bytes);
    assert_non_null(one);
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
        for (int k = 0; k < 6; k++) {
            /* each alignment, in boxes of odd and even height (the text
             * is centred vertically) */
            int align = k % 3 - 1;
            kiosk_text_report_t a, b;
            SDL_Rect box = {13, 21, 500, 70 + k / 3};
            clear(f);
            draw(f, texts[t], 30, box, false, align, &a);
            memcpy(one, f->sdl.surf->pixels, bytes);
            clear(f);
            draw(f, texts[t], 30, box, true, align, &b);
            assert_int_equal(a.lines, 1);
            assert_int_equal(b.lines, 1);
            assert_int_equal(a.px, b.px);
            assert_true(inked(f) > 50);
            if (memcmp(one, f->sdl.surf->pixels, bytes) != 0)
                fail_msg("\"%s\" (align %d): the one-line path drew other "
                         "pixels than the layout path",
                         texts[t], align);
        }
    free(one);
}

/* Text too wide at its size still shrinks (general path) and says so. */
static void test_too_wide_shrinks(void **state)
{
    fx_t *f = *state;
    kiosk_text_report_t rep;
    SDL_Rect box = {0, 0, 200, 60};
    draw(f, "建议已保存，谢谢", 30, box, false, 0, &rep);
    assert_true(rep.px < 30);
    assert_true(rep.px >= 18);
    assert_false(rep.overflow);
    assert_int_equal(rep.lines, 1);
}

/* Prepared text (the idle pre-render) is what a draw would render: the
 * draw after it renders nothing and puts the same pixels on screen. */
static void test_prepared_then_drawn(void **state)
{
    fx_t *f = *state;
    kiosk_text_report_t rep;
    SDL_Rect one = {10, 10, 400, 60}, para = {10, 80, 200, 110};
    const char *wrap = "建议：高峰时段增加一名前台同事，减少客户等候时间";
    /* what drawing them without preparing shows */
    clear(f);
    draw(f, "今日打卡 12 次", 28, one, false, 0, &rep);
    draw(f, wrap, 18, para, true, -1, &rep);
    size_t bytes = (size_t)f->sdl.surf->pitch * H;
    unsigned char *want = malloc(bytes);
    assert_non_null(want);
    memcpy(want, f->sdl.surf->pixels, bytes);
    kiosk_textcache_set_renderer(f->text, NULL); /* empties the cache */
    kiosk_textcache_set_renderer(f->text, f->sdl.r);
    size_t r0 = renders(f);
    clear(f);
    unsigned char *blank = malloc(bytes);
    assert_non_null(blank);
    memcpy(blank, f->sdl.surf->pixels, bytes);
    /* no time for it: nothing rendered */
    assert_int_equal(
        kiosk_textcache_prepare(f->text, wrap, 18, INK, para, true, -1, false),
        3);
    assert_int_equal(renders(f), r0);
    assert_int_equal(kiosk_textcache_prepare(f->text, "今日打卡 12 次", 28, INK,
                                             one, false, 0, true),
                     1);
    assert_int_equal(
        kiosk_textcache_prepare(f->text, wrap, 18, INK, para, true, -1, true),
        1);
    assert_int_equal(renders(f), r0 + 2);
    assert_int_equal(entries(f), 2);
    assert_true(kiosk_textcache_bytes(f->text) > 0);
    /* preparing draws nothing */
    assert_memory_equal(f->sdl.surf->pixels, blank, bytes);
    /* once cached, preparing again is a look-up */
    assert_int_equal(
        kiosk_textcache_prepare(f->text, wrap, 18, INK, para, true, -1, false),
        0);
    draw(f, "今日打卡 12 次", 28, one, false, 0, &rep);
    draw(f, wrap, 18, para, true, -1, &rep);
    assert_int_equal(renders(f), r0 + 2);
    assert_true(rep.lines > 1);
    assert_memory_equal(f->sdl.surf->pixels, want, bytes);
    free(blank);
    free(want);
}

/* Preparing fills at most three quarters of the cache: the rest is kept
 * for what is drawn, so preparing never evicts the current screen. */
static void test_prepare_leaves_room_for_drawing(void **state)
{
    fx_t *f = *state;
    kiosk_text_report_t rep;
    SDL_Rect box = {0, 0, 300, 40};
    char s[32];
    draw(f, "on screen", 20, box, false, 0, &rep);
    int prepared = 0, rc = 1;
    for (int i = 0; i < CACHE_MAX && rc == 1; i++) {
        snprintf(s, sizeof s, "%d", i);
        rc = kiosk_textcache_prepare(f->text, s, 20, INK, box, false, 0, true);
        prepared += rc == 1;
    }
    assert_int_equal(rc, 2);
    assert_int_equal(entries(f), CACHE_MAX * 3 / 4);
    assert_int_equal(prepared, CACHE_MAX * 3 / 4 - 1);
    size_t r0 = renders(f);
    draw(f, "on screen", 20, box, false, 0, &rep);
    assert_int_equal(renders(f), r0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rendered_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_cache_keeps_what_is_drawn,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_line_same_pixels_as_layout,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_wide_shrinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_then_drawn, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prepare_leaves_room_for_drawing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
