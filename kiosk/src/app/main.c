/*
 * main.c — the `kiosk` program: options, SDL start-up, and either the
 * interactive touch loop or the headless script runner.
 *
 *   kiosk --data DIR [--catalogue FILE] [--lang zh|en] [--size WxH]
 *         [--fullscreen] [--idle-timeout S] [--assets DIR] [--font PATH]
 *   kiosk --headless --script FILE --screenshots DIR [--size WxH]
 *         [--lang zh|en] [--dump-ui FILE] [--catalogue FILE] [--data DIR]
 *
 * The UI thread runs this loop; syncing happens on the sync library's own
 * thread and reaches the screen only through kiosk_shell_poll().
 */
#include "app.h"

#include <SDL_image.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STEPWISE_ASSETS_DEFAULT
#define STEPWISE_ASSETS_DEFAULT "assets"
#endif

/* The idle pre-render (warm.c) starts this long after the last input (a
 * person takes at least a few hundred ms between taps; a drag or typing
 * keeps it off) and works in slices of at most 2 ms, an eighth of a
 * 60 Hz frame, so input waits at most that long for it. */
#define WARM_AFTER_MS 100
#define WARM_SLICE_NS 2000000u

static void usage(FILE *f)
{
    fputs(
        "usage: kiosk --data DIR [options]\n"
        "       kiosk --headless --script FILE --screenshots DIR [options]\n"
        "\n"
        "  --data DIR          outbox.db, kiosk.key and kiosk.conf live here\n"
        "                      (headless without --data: a temporary one)\n"
        "  --catalogue FILE    seed catalogue when none is cached yet\n"
        "  --lang zh|en        language (default zh, or kiosk.conf)\n"
        "  --size WxH          window size (default 1280x800; headless "
        "800x480)\n"
        "  --fullscreen        fullscreen kiosk mode, cursor hidden\n"
        "  --idle-timeout S    back to Home and log out after S seconds "
        "(60)\n"
        "  --assets DIR        UI strings and icons (default the source "
        "tree's)\n"
        "  --font PATH[:INDEX] CJK font (default: fontconfig's Noto Sans CJK "
        "SC)\n"
        "  --headless          no window: replay --script, write PNGs\n"
        "  --script FILE       the script to replay (see docs/KIOSK.md)\n"
        "  --screenshots DIR   where `shot NAME` writes NAME.png\n"
        "  --dump-ui FILE      the widget tree of every shot as JSON\n"
        "  --no-check          do not fail shots on clipped text, overlaps, "
        "missing glyphs\n",
        f);
}

static int parse_size(const char *s, int *w, int *h)
{
    return sscanf(s, "%dx%d", w, h) == 2 && *w >= 320 && *h >= 240 &&
                   *w <= 8192 && *h <= 8192
               ? 0
               : -1;
}

/* How long the window loop may sleep: until the model's next timer (one
 * ms past it, so the tick finds it due), at most a minute. While the
 * pinyin engine deploys on its own thread, whose end nothing signals,
 * the keyboard's "preparing" line is checked every 250 ms. */
static int wait_ms(kiosk_shell_t *shell)
{
    int64_t wait =
        kiosk_model_next_wake(kiosk_shell_model(shell)) - kiosk_now_ms() + 1;
    const kiosk_ime_t *ime = kiosk_ime_rime_hook(kiosk_shell_ime(shell));
    if (ime && ime->state && ime->state(ime->ctx) == KIOSK_IME_PREPARING &&
        wait > 250)
        wait = 250;
    return wait < 1 ? 1 : wait > 60000 ? 60000 : (int)wait;
}

static int run_window(kiosk_shell_t *shell, kiosk_textcache_t *text, int w,
                      int h, bool fullscreen)
{
    Uint32 flags = SDL_WINDOW_RESIZABLE;
    if (fullscreen)
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    SDL_Window *win = SDL_CreateWindow("Stepwise", SDL_WINDOWPOS_CENTERED,
                                       SDL_WINDOWPOS_CENTERED, w, h, flags);
    if (!win) {
        fprintf(stderr,
                "kiosk: cannot open a window: %s; on a machine "
                "without a display use --headless\n",
                SDL_GetError());
        return 1;
    }
    SDL_Renderer *r = SDL_CreateRenderer(
        win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!r)
        r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r) {
        fprintf(stderr, "kiosk: cannot draw into the window: %s\n",
                SDL_GetError());
        SDL_DestroyWindow(win);
        return 1;
    }
    if (fullscreen)
        SDL_ShowCursor(SDL_DISABLE);
    kiosk_view_t *view = kiosk_view_new(text);
    kiosk_warm_t *warm = view ? kiosk_warm_new(view) : NULL;
    if (!warm) {
        fprintf(stderr, "kiosk: out of memory starting the view\n");
        kiosk_view_destroy(&view);
        SDL_DestroyRenderer(r);
        SDL_DestroyWindow(win);
        return 1;
    }
    SDL_GetWindowSize(win, &w, &h);
    kiosk_input_t in = {.kind = KIOSK_IN_RESIZE, .w = w, .h = h};
    kiosk_shell_input(shell, &in, kiosk_now_ms());
    /* Home's text before the first frame (warm.c): the screen every path
     * comes back to is then never met cold, at the price of a few ms of
     * start-up. Not fatal: its first frame would render it. */
    kiosk_textcache_set_renderer(text, r);
    kiosk_view_set_renderer(view, r);
    if (kiosk_warm_home(warm, kiosk_shell_model(shell)) != 0)
        fprintf(stderr, "kiosk: could not prepare Home's text at start-up "
                        "(out of memory or a font error); its first frame "
                        "will render it\n");
    SDL_StartTextInput();
    kiosk_redraw_t redraw = {0};
    bool quit = false, draw_failed = false;
    /* idle pre-render (warm.c): once nobody has touched the kiosk for
     * WARM_AFTER_MS, the text of the screens one tap away is rendered in
     * slices of WARM_SLICE_NS, the input looked at between slices */
    bool warming = false;
    int64_t last_input = kiosk_now_ms();
    while (!quit) {
        SDL_Event e;
        int timeout = wait_ms(shell);
        if (warming) {
            int64_t idle_in = last_input + WARM_AFTER_MS - kiosk_now_ms();
            if (idle_in < timeout)
                timeout = idle_in < 0 ? 0 : (int)idle_in;
        }
        /* sleep until input, a sync report (the sync thread pushes an
         * event) or the model's next timer: the clock's minute, the idle
         * timeout, the thanks screen, a PIN countdown, each on time
         * rather than up to 250 ms late; a frame is drawn only when the
         * widget tree, the window size or the window's picture changed
         * (kiosk_redraw_needed) */
        bool woke = timeout > 0 ? SDL_WaitEventTimeout(&e, timeout) != 0
                                : SDL_PollEvent(&e) != 0;
        if (woke) {
            do {
                char buf[64];
                if (e.type == SDL_QUIT) {
                    quit = true;
                    break;
                }
                if (kiosk_input_repaints(&e))
                    redraw.damaged = true;
                SDL_GetWindowSize(win, &w, &h);
                if (kiosk_input_from_sdl(&e, w, h, &in, buf, sizeof buf)) {
                    last_input = kiosk_now_ms();
                    kiosk_shell_input(shell, &in, last_input);
                }
            } while (SDL_PollEvent(&e));
        }
        kiosk_shell_poll(shell, kiosk_now_ms());
        size_t n;
        const kiosk_widget_t *wt =
            kiosk_model_widgets(kiosk_shell_model(shell), &n);
        uint64_t hash = kiosk_widgets_hash(wt, n);
        SDL_GetWindowSize(win, &w, &h);
        if (!kiosk_redraw_needed(&redraw, hash, w, h)) {
            if (warming && !woke &&
                kiosk_now_ms() - last_input >= WARM_AFTER_MS)
                warming = kiosk_warm_step(warm, kiosk_shell_model(shell),
                                          WARM_SLICE_NS) > 0;
            continue;
        }
        /* draw and present together or not at all: after a present the
         * back buffer's content is undefined */
        if (kiosk_view_draw(view, r, wt, n) != 0) {
            /* tried again at the next wake-up; said once per streak */
            if (!draw_failed)
                fprintf(stderr,
                        "kiosk: cannot draw the screen: out of "
                        "memory for %zu widgets; retrying\n",
                        n);
            draw_failed = true;
            continue;
        }
        draw_failed = false;
        SDL_RenderPresent(r);
        kiosk_redraw_done(&redraw, hash, w, h);
        warming = true; /* a new tree: new screens one tap away */
    }
    kiosk_warm_destroy(&warm);
    kiosk_view_destroy(&view);
    kiosk_textcache_set_renderer(text, NULL);
    SDL_DestroyRenderer(r);
    SDL_DestroyWindow(win);
    return 0;
}

int main(int argc, char **argv)
{
    const char *data = NULL, *catalogue = NULL, *lang = NULL, *script = NULL;
    const char *shots = NULL, *dump = NULL, *assets = STEPWISE_ASSETS_DEFAULT;
    const char *font_arg = NULL;
    const char *size = NULL, *idle_s = NULL;
    int w = 0, h = 0, idle = 0;
    bool headless = false, fullscreen = false, checks = true;
    char err[2048] = "";
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE(name, var)                                                        \
    if (strcmp(a, name) == 0) {                                                \
        if (!v) {                                                              \
            fprintf(stderr, "kiosk: %s needs a value; see kiosk --help\n",     \
                    name);                                                     \
            return 2;                                                          \
        }                                                                      \
        var = v;                                                               \
        i++;                                                                   \
        continue;                                                              \
    }
        TAKE("--data", data);
        TAKE("--catalogue", catalogue);
        TAKE("--lang", lang);
        TAKE("--script", script);
        TAKE("--screenshots", shots);
        TAKE("--dump-ui", dump);
        TAKE("--assets", assets);
        TAKE("--font", font_arg);
        TAKE("--size", size);
        TAKE("--idle-timeout", idle_s);
#undef TAKE
        if (strcmp(a, "--headless") == 0)
            headless = true;
        else if (strcmp(a, "--fullscreen") == 0)
            fullscreen = true;
        else if (strcmp(a, "--no-check") == 0)
            checks = false;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "kiosk: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (size && parse_size(size, &w, &h) != 0) {
        fprintf(stderr, "kiosk: --size %s: expected WxH, e.g. 800x480\n", size);
        return 2;
    }
    if (idle_s && (idle = atoi(idle_s)) <= 0) {
        fprintf(stderr, "kiosk: --idle-timeout %s: expected seconds > 0\n",
                idle_s);
        return 2;
    }
    if (lang && strcmp(lang, "zh") != 0 && strcmp(lang, "en") != 0) {
        fprintf(stderr, "kiosk: --lang %s: use zh or en\n", lang);
        return 2;
    }
    if (headless && (!script || !shots)) {
        fprintf(stderr, "kiosk: --headless needs --script FILE and "
                        "--screenshots DIR\n");
        return 2;
    }
    if (!headless && !data) {
        fprintf(stderr, "kiosk: --data DIR is required (where the outbox "
                        "and kiosk.conf live); see kiosk --help\n");
        return 2;
    }
    if (!w) {
        w = headless ? 800 : 1280;
        h = headless ? 480 : 800;
    }

    char font[1024];
    int font_index = 0;
    if (font_arg) {
        snprintf(font, sizeof font, "%s", font_arg);
        char *colon = strrchr(font, ':');
        if (colon) {
            *colon = '\0';
            font_index = atoi(colon + 1);
        }
    } else if (kiosk_find_font(font, sizeof font, &font_index) != 0) {
        fprintf(stderr,
                "kiosk: no CJK font found (%s); install "
                "fonts-noto-cjk or pass --font PATH\n",
                font);
        return 1;
    }

    if (headless) {
        setenv("SDL_VIDEODRIVER", "dummy", 0);
        setenv("SDL_AUDIODRIVER", "dummy", 0);
    }
    kiosk_input_hints();
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        fprintf(stderr, "kiosk: SDL failed to start: %s\n", SDL_GetError());
        return 1;
    }
    if ((IMG_Init(IMG_INIT_PNG) & IMG_INIT_PNG) == 0)
        fprintf(stderr, "kiosk: SDL_image PNG support: %s\n", IMG_GetError());
    if (TTF_Init() != 0) {
        fprintf(stderr, "kiosk: SDL_ttf failed to start: %s\n", TTF_GetError());
        SDL_Quit();
        return 1;
    }

    kiosk_shell_config_t sc = {
        .data_dir = data,
        .catalogue_path = catalogue,
        .assets_dir = assets,
        .lang = lang,
        .width = w,
        .height = h,
        .idle_timeout_s = idle,
        .headless = headless,
    };
    kiosk_shell_t *shell =
        kiosk_shell_new(&sc, kiosk_now_ms(), err, sizeof err);
    if (!shell) {
        fprintf(stderr, "kiosk: %s\n", err);
        goto out;
    }
    if (headless) {
        kiosk_script_config_t cfg = {
            .script = script,
            .shots_dir = shots,
            .dump_path = dump,
            .width = w,
            .height = h,
            .lang = lang,
            .font_path = font,
            .font_index = font_index,
            .check = checks,
        };
        if (kiosk_script_run(shell, &cfg, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            rc = 1;
        } else {
            rc = 0;
        }
    } else {
        kiosk_textcache_t *text =
            kiosk_textcache_new(font, font_index, err, sizeof err);
        if (!text) {
            fprintf(stderr, "kiosk: %s\n", err);
        } else {
            rc = run_window(shell, text, w, h, fullscreen);
            kiosk_textcache_destroy(&text);
        }
    }
out:
    kiosk_shell_destroy(&shell);
    TTF_Quit();
    IMG_Quit();
    SDL_Quit();
    return rc;
}
