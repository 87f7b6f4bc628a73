/*
 * test_app_input.c — SDL events to model inputs: one tap counts once even
 * when SDL delivers it as a touch and again as a synthesised mouse click;
 * a real mouse click counts; typing and keys reach the model. Runs with
 * the dummy video driver and no window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../kiosk/src/app/app.h"
#include "protocol/catalogue.h"

#define W 800
#define H 480

static SDL_Event finger(Uint32 type, float x, float y)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.tfinger.touchId = 1;
    e.tfinger.fingerId = 7;
    e.tfinger.x = x / W;
    e.tfinger.y = y / H;
    return e;
}

static SDL_Event mouse(Uint32 type, Uint32 which, int x, int y)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.button.which = which;
    e.button.button = SDL_BUTTON_LEFT;
    e.button.x = x;
    e.button.y = y;
    return e;
}

static kiosk_model_t *model(void)
{
    char err[512];
    kiosk_model_config_t cfg = {.strings_dir = STEPWISE_ASSETS "/strings",
                                .width = W,
                                .height = H,
                                .kiosk_id = "k1",
                                .can_capture = true};
    kiosk_model_t *m = kiosk_model_new(&cfg, err, sizeof err);
    assert_non_null(m);
    kiosk_input_t in = {.kind = KIOSK_IN_CATALOGUE};
    in.catalogue = proto_catalogue_load_file(
        STEPWISE_TESTDATA "/model_catalogue.yaml", err, sizeof err);
    assert_non_null(in.catalogue);
    assert_int_equal(kiosk_model_update(m, &in, 1000), 0);
    return m;
}

/* Feeds events as the main loop does; returns how many became inputs. */
static int feed(kiosk_model_t *m, const SDL_Event *ev, size_t n)
{
    int inputs = 0;
    for (size_t i = 0; i < n; i++) {
        kiosk_input_t in;
        char buf[64];
        if (kiosk_input_from_sdl(&ev[i], W, H, &in, buf, sizeof buf)) {
            inputs++;
            kiosk_model_update(m, &in, 2000);
        }
    }
    return inputs;
}

static void tap_id(kiosk_model_t *m, const char *id)
{
    kiosk_input_t in = {.kind = KIOSK_IN_TAP_ID, .id = id};
    assert_int_equal(kiosk_model_update(m, &in, 2000), 0);
}

static void test_touch_and_synthesised_mouse_count_once(void **state)
{
    (void)state;
    kiosk_model_t *m = model();
    tap_id(m, "tile-checkin");
    tap_id(m, "staff-zhang-wei");
    tap_id(m, "proc-telemarketing");
    tap_id(m, "step-tm-call");
    const kiosk_widget_t *plus = kiosk_model_widget(m, "plus-calls");
    assert_non_null(plus);
    float x = plus->x + plus->w / 2.0f, y = plus->y + plus->h / 2.0f;
    SDL_Event ev[4] = {
        finger(SDL_FINGERDOWN, x, y),
        finger(SDL_FINGERUP, x, y),
        mouse(SDL_MOUSEBUTTONDOWN, SDL_TOUCH_MOUSEID, (int)x, (int)y),
        mouse(SDL_MOUSEBUTTONUP, SDL_TOUCH_MOUSEID, (int)x, (int)y),
    };
    assert_int_equal(feed(m, ev, 4), 1);
    assert_string_equal(kiosk_model_widget(m, "value-calls")->text, "1");
    /* a real mouse click is one tap too */
    SDL_Event click[2] = {mouse(SDL_MOUSEBUTTONDOWN, 0, (int)x, (int)y),
                          mouse(SDL_MOUSEBUTTONUP, 0, (int)x, (int)y)};
    assert_int_equal(feed(m, click, 2), 1);
    assert_string_equal(kiosk_model_widget(m, "value-calls")->text, "2");
    /* right button does nothing */
    SDL_Event right = mouse(SDL_MOUSEBUTTONUP, 0, (int)x, (int)y);
    right.button.button = SDL_BUTTON_RIGHT;
    assert_int_equal(feed(m, &right, 1), 0);
    kiosk_model_destroy(&m);
}

static void test_typing_and_keys(void **state)
{
    (void)state;
    kiosk_model_t *m = model();
    tap_id(m, "tile-suggest");
    tap_id(m, "staff-li-na");
    tap_id(m, "title");
    SDL_Event ev[3];
    memset(ev, 0, sizeof ev);
    ev[0].type = SDL_TEXTINPUT;
    snprintf(ev[0].text.text, sizeof ev[0].text.text, "名单ab");
    ev[1].type = SDL_KEYDOWN;
    ev[1].key.keysym.sym = SDLK_BACKSPACE;
    ev[2].type = SDL_KEYDOWN;
    ev[2].key.keysym.sym = SDLK_RETURN;
    assert_int_equal(feed(m, ev, 3), 3);
    assert_string_equal(kiosk_screen_name(kiosk_model_screen(m)), "suggest");
    assert_string_equal(kiosk_model_widget(m, "title")->text, "名单a");
    kiosk_model_destroy(&m);
}

static void test_hints_stop_synthesis(void **state)
{
    (void)state;
    kiosk_input_hints();
    assert_string_equal(SDL_GetHint(SDL_HINT_TOUCH_MOUSE_EVENTS), "0");
    assert_string_equal(SDL_GetHint(SDL_HINT_MOUSE_TOUCH_EVENTS), "0");
    assert_int_equal(SDL_Init(SDL_INIT_VIDEO), 0);
    /* resizes become RESIZE inputs */
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_WINDOWEVENT;
    e.window.event = SDL_WINDOWEVENT_SIZE_CHANGED;
    e.window.data1 = 1080;
    e.window.data2 = 1920;
    kiosk_input_t in;
    char buf[8];
    assert_int_equal(kiosk_input_from_sdl(&e, W, H, &in, buf, sizeof buf), 1);
    assert_int_equal(in.kind, KIOSK_IN_RESIZE);
    assert_int_equal(in.w, 1080);
    assert_int_equal(in.h, 1920);
    SDL_Quit();
}

/* A window that lost its picture is drawn again; focus and mouse
 * motion over it are not reasons to draw. */
static void test_window_events_that_repaint(void **state)
{
    (void)state;
    static const Uint8 yes[] = {
        SDL_WINDOWEVENT_EXPOSED,      SDL_WINDOWEVENT_SHOWN,
        SDL_WINDOWEVENT_SIZE_CHANGED, SDL_WINDOWEVENT_RESIZED,
        SDL_WINDOWEVENT_RESTORED,     SDL_WINDOWEVENT_MAXIMIZED,
    };
    static const Uint8 no[] = {
        SDL_WINDOWEVENT_ENTER,        SDL_WINDOWEVENT_LEAVE,
        SDL_WINDOWEVENT_FOCUS_GAINED, SDL_WINDOWEVENT_FOCUS_LOST,
        SDL_WINDOWEVENT_MOVED,        SDL_WINDOWEVENT_MINIMIZED,
        SDL_WINDOWEVENT_HIDDEN,
    };
    SDL_Event e;
    for (size_t i = 0; i < sizeof yes; i++) {
        memset(&e, 0, sizeof e);
        e.type = SDL_WINDOWEVENT;
        e.window.event = yes[i];
        assert_true(kiosk_input_repaints(&e));
    }
    for (size_t i = 0; i < sizeof no; i++) {
        memset(&e, 0, sizeof e);
        e.type = SDL_WINDOWEVENT;
        e.window.event = no[i];
        assert_false(kiosk_input_repaints(&e));
    }
    memset(&e, 0, sizeof e);
    e.type = SDL_RENDER_TARGETS_RESET;
    assert_true(kiosk_input_repaints(&e));
    e.type = SDL_RENDER_DEVICE_RESET;
    assert_true(kiosk_input_repaints(&e));
    e.type = SDL_MOUSEMOTION;
    assert_false(kiosk_input_repaints(&e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_touch_and_synthesised_mouse_count_once),
        cmocka_unit_test(test_typing_and_keys),
        cmocka_unit_test(test_hints_stop_synthesis),
        cmocka_unit_test(test_window_events_that_repaint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
