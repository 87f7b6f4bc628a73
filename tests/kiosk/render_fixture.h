/*
 * render_fixture.h — what the app tests draw on: SDL and SDL_ttf started
 * headless, a w x h ARGB8888 surface with a software renderer over it
 * (pixels can be read back), and the CJK font the kiosk itself would
 * find. Header-only: each test program includes it once, after
 * <cmocka.h>.
 */
#ifndef TEST_RENDER_FIXTURE_H
#define TEST_RENDER_FIXTURE_H

#include <SDL_ttf.h>

#include "../../kiosk/src/app/app.h"

typedef struct {
    SDL_Surface *surf;
    SDL_Renderer *r;
    char font[1024]; /* path of the font kiosk_find_font chose */
    int index;       /* its face index */
} fx_render_t;

/* Starts SDL and SDL_ttf and makes the canvas; fails the test when any
 * part is missing. Undo with fx_render_close. */
static inline void fx_render_open(fx_render_t *x, int w, int h)
{
    if (SDL_Init(SDL_INIT_VIDEO) != 0 || TTF_Init() != 0)
        fail_msg("SDL: %s", SDL_GetError());
    if (kiosk_find_font(x->font, sizeof x->font, &x->index) != 0)
        fail_msg("no CJK font: install fonts-noto-cjk");
    x->surf =
        SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(x->surf);
    x->r = SDL_CreateSoftwareRenderer(x->surf);
    assert_non_null(x->r);
}

static inline void fx_render_close(fx_render_t *x)
{
    SDL_DestroyRenderer(x->r);
    SDL_FreeSurface(x->surf);
    x->r = NULL;
    x->surf = NULL;
    TTF_Quit();
    SDL_Quit();
}

#endif
