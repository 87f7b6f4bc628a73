/*
 * input.c — SDL events to model inputs.
 *
 * Why it is careful about touch: SDL turns a finger tap into mouse events
 * as well (and mouse clicks into touch events), so a naive handler sees
 * one tap twice and, say, a "+" stepper counts two. We ask SDL not to
 * synthesise either way (hints) and, in case a platform does it anyway,
 * ignore mouse events whose which is SDL_TOUCH_MOUSEID. A tap fires on
 * release, where the finger or button left the screen.
 */
#include "app.h"

#include <stdio.h>
#include <string.h>

void kiosk_input_hints(void)
{
    SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0");
    SDL_SetHint(SDL_HINT_MOUSE_TOUCH_EVENTS, "0");
}

static const char *key_name(SDL_Keycode k)
{
    switch (k) {
    case SDLK_BACKSPACE:
        return "backspace";
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        return "enter";
    case SDLK_ESCAPE:
        return "escape";
    case SDLK_PAGEUP:
        return "pageup";
    case SDLK_PAGEDOWN:
        return "pagedown";
    default:
        return NULL;
    }
}

int kiosk_input_from_sdl(const SDL_Event *e, int win_w, int win_h,
                         kiosk_input_t *in, char *buf, size_t buf_len)
{
    memset(in, 0, sizeof *in);
    switch (e->type) {
    case SDL_FINGERUP:
        in->kind = KIOSK_IN_TAP_XY;
        in->x = (int)(e->tfinger.x * win_w);
        in->y = (int)(e->tfinger.y * win_h);
        return 1;
    case SDL_MOUSEBUTTONUP:
        if (e->button.which == SDL_TOUCH_MOUSEID ||
            e->button.button != SDL_BUTTON_LEFT)
            return 0;
        in->kind = KIOSK_IN_TAP_XY;
        in->x = e->button.x;
        in->y = e->button.y;
        return 1;
    case SDL_TEXTINPUT:
        snprintf(buf, buf_len, "%s", e->text.text);
        in->kind = KIOSK_IN_TEXT;
        in->text = buf;
        return 1;
    case SDL_KEYDOWN: {
        const char *name = key_name(e->key.keysym.sym);
        if (!name)
            return 0;
        snprintf(buf, buf_len, "%s", name);
        in->kind = KIOSK_IN_KEY;
        in->text = buf;
        return 1;
    }
    case SDL_WINDOWEVENT:
        if (e->window.event != SDL_WINDOWEVENT_SIZE_CHANGED)
            return 0;
        in->kind = KIOSK_IN_RESIZE;
        in->w = e->window.data1;
        in->h = e->window.data2;
        return 1;
    default:
        return 0;
    }
}

bool kiosk_input_repaints(const SDL_Event *e)
{
    if (e->type == SDL_RENDER_TARGETS_RESET ||
        e->type == SDL_RENDER_DEVICE_RESET)
        return true;
    if (e->type != SDL_WINDOWEVENT)
        return false;
    switch (e->window.event) {
    case SDL_WINDOWEVENT_EXPOSED:
    case SDL_WINDOWEVENT_SHOWN:
    case SDL_WINDOWEVENT_SIZE_CHANGED:
    case SDL_WINDOWEVENT_RESIZED:
    case SDL_WINDOWEVENT_RESTORED:
    case SDL_WINDOWEVENT_MAXIMIZED:
        return true;
    default:
        return false;
    }
}
