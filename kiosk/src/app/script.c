/*
 * script.c — headless mode: replays a script of taps, typing, waits and
 * sync steps against the real model, view and outbox, renders onto a
 * software surface, and writes a PNG at every `shot`.
 *
 * Why it checks as it goes: a person at the kiosk reads what is drawn, so
 * at every shot the runner verifies what tests rely on — no text cut off,
 * no glyph the font lacks, no two widgets overlapping unless one contains
 * the other, every widget on screen, every touch target at least 9 mm,
 * and a PNG that is not blank — and stops with FILE:LINE: what.
 *
 * Script lines (docs/KIOSK.md):
 *   tap WIDGET_ID | tap X Y | type TEXT | key NAME | wait MS | sync
 *   shot NAME | expect TEXT | expect-not TEXT | expect-screen NAME
 *   lang zh|en | size WxH | dump FILE | check | # comment
 * A line starting with "zh " or "en " runs only in that language, so one
 * script serves both: `zh expect 已保存` / `en expect Saved`.
 */
#include "app.h"

#include <SDL_image.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    kiosk_shell_t *shell;
    const kiosk_script_config_t *cfg;
    SDL_Surface *surf;
    SDL_Renderer *r;
    kiosk_textcache_t *text;
    kiosk_view_t *view;
    int w, h;
    int64_t now;
    const char *file;
    int line;
    char *err;
    size_t err_len;
    FILE *dump;
    int dumped;
    int shots;
} run_t;

static int fail(run_t *run, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(run->err, run->err_len, "%s:%d: %s", run->file, run->line, msg);
    return -1;
}

static int make_target(run_t *run, int w, int h)
{
    /* the cached textures belong to the renderer: dropped while it lives
     * (after SDL_DestroyRenderer they would be freed twice) */
    kiosk_textcache_set_renderer(run->text, NULL);
    if (run->view)
        kiosk_view_set_renderer(run->view, NULL);
    if (run->r)
        SDL_DestroyRenderer(run->r);
    if (run->surf)
        SDL_FreeSurface(run->surf);
    run->r = NULL;
    run->surf =
        SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!run->surf)
        return fail(run, "cannot make a %dx%d surface: %s", w, h,
                    SDL_GetError());
    run->r = SDL_CreateSoftwareRenderer(run->surf);
    if (!run->r)
        return fail(run, "cannot make a software renderer: %s", SDL_GetError());
    run->w = w;
    run->h = h;
    kiosk_textcache_set_renderer(run->text, run->r);
    kiosk_input_t in = {.kind = KIOSK_IN_RESIZE, .w = w, .h = h};
    kiosk_shell_input(run->shell, &in, run->now);
    return 0;
}

static int draw(run_t *run)
{
    size_t n;
    const kiosk_widget_t *w =
        kiosk_model_widgets(kiosk_shell_model(run->shell), &n);
    if (kiosk_view_draw(run->view, run->r, w, n) != 0)
        return fail(run, "drawing failed: out of memory");
    SDL_RenderPresent(run->r);
    return 0;
}

/* mkdir -p: the screenshots directory may be several levels new. */
static int make_dirs(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static bool contains(const kiosk_widget_t *a, const kiosk_widget_t *b)
{
    return b->x >= a->x && b->y >= a->y && b->x + b->w <= a->x + a->w &&
           b->y + b->h <= a->y + a->h;
}

static int check(run_t *run)
{
    size_t n, nr;
    kiosk_model_t *m = kiosk_shell_model(run->shell);
    const kiosk_widget_t *w = kiosk_model_widgets(m, &n);
    const kiosk_text_report_t *rep = kiosk_view_reports(run->view, &nr);
    const char *screen = kiosk_screen_name(kiosk_model_screen(m));
    int shortest = run->w < run->h ? run->w : run->h;
    double px_per_mm = (shortest >= 720 ? 96.0 : 133.0) / 25.4;
    for (size_t i = 0; i < n; i++) {
        if (i < nr && rep[i].overflow)
            return fail(run,
                        "screen %s: widget %s: text \"%s\" does not fit its "
                        "%dx%d box even at %d px",
                        screen, w[i].id, w[i].text, w[i].w, w[i].h, rep[i].px);
        if (i < nr && rep[i].missing)
            return fail(run,
                        "screen %s: widget %s: %d character(s) of \"%s\" "
                        "have no glyph in the font",
                        screen, w[i].id, rep[i].missing, w[i].text);
        if (w[i].x < 0 || w[i].y < 0 || w[i].x + w[i].w > run->w ||
            w[i].y + w[i].h > run->h)
            return fail(run,
                        "screen %s: widget %s (%d,%d %dx%d) is not inside "
                        "the %dx%d window",
                        screen, w[i].id, w[i].x, w[i].y, w[i].w, w[i].h, run->w,
                        run->h);
        if ((w[i].flags & KIOSK_WF_TAPPABLE) &&
            (w[i].w < 9 * px_per_mm - 0.5 || w[i].h < 9 * px_per_mm - 0.5))
            return fail(run,
                        "screen %s: widget %s is %dx%d px, smaller than a "
                        "9 mm touch target (%.0f px here)",
                        screen, w[i].id, w[i].w, w[i].h, 9 * px_per_mm);
        for (size_t j = i + 1; j < n; j++) {
            int ix = (w[i].x > w[j].x ? w[i].x : w[j].x);
            int iy = (w[i].y > w[j].y ? w[i].y : w[j].y);
            int ax = (w[i].x + w[i].w < w[j].x + w[j].w ? w[i].x + w[i].w
                                                        : w[j].x + w[j].w);
            int ay = (w[i].y + w[i].h < w[j].y + w[j].h ? w[i].y + w[i].h
                                                        : w[j].y + w[j].h);
            if (ax <= ix || ay <= iy)
                continue;
            if (contains(&w[i], &w[j]) || contains(&w[j], &w[i]))
                continue;
            return fail(run, "screen %s: widgets %s and %s overlap", screen,
                        w[i].id, w[j].id);
        }
    }
    return 0;
}

static int nonblank(run_t *run)
{
    SDL_Surface *s = run->surf;
    if (SDL_LockSurface(s) != 0)
        return fail(run, "cannot read the surface: %s", SDL_GetError());
    Uint32 first = *(Uint32 *)s->pixels;
    bool differs = false;
    for (int y = 0; y < s->h && !differs; y += 3) {
        const Uint32 *row =
            (const Uint32 *)((const Uint8 *)s->pixels + (size_t)y * s->pitch);
        for (int x = 0; x < s->w; x += 3)
            if (row[x] != first) {
                differs = true;
                break;
            }
    }
    SDL_UnlockSurface(s);
    return differs ? 0 : fail(run, "the screenshot is blank (one colour)");
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* One shot's widget tree as a JSON object. */
static void dump_tree(run_t *run, FILE *f, const char *name)
{
    size_t n, nr;
    kiosk_model_t *m = kiosk_shell_model(run->shell);
    const kiosk_widget_t *w = kiosk_model_widgets(m, &n);
    const kiosk_text_report_t *rep = kiosk_view_reports(run->view, &nr);
    fputs("{\"shot\":", f);
    json_str(f, name);
    fprintf(f,
            ",\"screen\":\"%s\",\"lang\":\"%s\",\"size\":[%d,%d],"
            "\"widgets\":[",
            kiosk_screen_name(kiosk_model_screen(m)),
            kiosk_model_lang(m) == KIOSK_LANG_EN ? "en" : "zh", run->w, run->h);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\n  {\"id\":", i ? "," : "");
        json_str(f, w[i].id);
        fprintf(f,
                ",\"kind\":\"%s\",\"rect\":[%d,%d,%d,%d],\"tappable\":%s,"
                "\"disabled\":%s,\"selected\":%s,\"value\":%d,\"text\":",
                kiosk_widget_kind_name(w[i].kind), w[i].x, w[i].y, w[i].w,
                w[i].h, w[i].flags & KIOSK_WF_TAPPABLE ? "true" : "false",
                w[i].flags & KIOSK_WF_DISABLED ? "true" : "false",
                w[i].flags & KIOSK_WF_SELECTED ? "true" : "false", w[i].value);
        json_str(f, w[i].text);
        fprintf(f, ",\"font_px\":%d,\"overflow\":%s,\"missing_glyphs\":%d}",
                i < nr ? rep[i].px : 0,
                i < nr && rep[i].overflow ? "true" : "false",
                i < nr ? rep[i].missing : 0);
    }
    fputs("]}", f);
}

static int shot(run_t *run, const char *name)
{
    char path[4096];
    if (draw(run) != 0)
        return -1;
    if (run->cfg->check && (check(run) != 0 || nonblank(run) != 0))
        return -1;
    snprintf(path, sizeof path, "%s/%s.png", run->cfg->shots_dir, name);
    if (IMG_SavePNG(run->surf, path) != 0)
        return fail(run, "%s: cannot write the screenshot: %s", path,
                    IMG_GetError());
    run->shots++;
    if (run->dump) {
        fputs(run->dumped++ ? ",\n" : "", run->dump);
        dump_tree(run, run->dump, name);
    }
    return 0;
}

static bool tree_has(kiosk_model_t *m, const char *text)
{
    size_t n;
    const kiosk_widget_t *w = kiosk_model_widgets(m, &n);
    for (size_t i = 0; i < n; i++)
        if (strstr(w[i].text, text))
            return true;
    return false;
}

static int tap_result(run_t *run, int rc, const char *what)
{
    kiosk_model_t *m = kiosk_shell_model(run->shell);
    const char *screen = kiosk_screen_name(kiosk_model_screen(m));
    if (rc == KIOSK_MODEL_ENOWIDGET)
        return fail(run, "tap %s: no widget with that id on screen %s", what,
                    screen);
    if (rc == KIOSK_MODEL_ENOHIT)
        return fail(run, "tap %s: the tap hit no button on screen %s", what,
                    screen);
    if (rc == KIOSK_MODEL_EDISABLED)
        return fail(run, "tap %s: that button is disabled on screen %s", what,
                    screen);
    if (rc != 0)
        return fail(run, "tap %s: %s", what, kiosk_model_strerror(rc));
    return 0;
}

static int tap_id(run_t *run, const char *id)
{
    kiosk_input_t in;
    memset(&in, 0, sizeof in);
    in.kind = KIOSK_IN_TAP_ID;
    in.id = id;
    return tap_result(run, kiosk_shell_input(run->shell, &in, run->now), id);
}

/* Pinyin lines start the input method on first use (headless runs start
 * it lazily so Latin-only scripts stay Latin) and wait for its deploy:
 * that is real time, seconds on a first run. */
static int ensure_ime(run_t *run, const char *cmd)
{
    kiosk_ime_rime_t *ime = kiosk_shell_ime(run->shell);
    kiosk_model_t *m = kiosk_shell_model(run->shell);
    if (kiosk_ime_rime_start(ime) != 0 ||
        kiosk_ime_rime_wait(ime, 120000) != KIOSK_IME_READY)
        return fail(run, "%s: pinyin input did not start: %s", cmd,
                    kiosk_ime_rime_error(ime)[0]
                        ? kiosk_ime_rime_error(ime)
                        : "still preparing after 120 s");
    kiosk_input_t in;
    memset(&in, 0, sizeof in);
    in.kind = KIOSK_IN_TICK;
    kiosk_shell_input(run->shell, &in, run->now);
    if (!kiosk_model_widget(m, "k-ime"))
        return fail(run, "%s: no keyboard on screen %s; tap a text field first",
                    cmd, kiosk_screen_name(kiosk_model_screen(m)));
    return 0;
}

static bool ime_zh(run_t *run)
{
    const kiosk_widget_t *w =
        kiosk_model_widget(kiosk_shell_model(run->shell), "k-ime");
    return w && (w->flags & KIOSK_WF_SELECTED);
}

static int pinyin_step(run_t *run, const char *cmd, const char *arg)
{
    char id[32];
    if (strcmp(cmd, "ime") == 0) {
        if (strcmp(arg, "zh") != 0 && strcmp(arg, "en") != 0)
            return fail(run, "ime needs zh or en");
        if (ensure_ime(run, cmd) != 0)
            return -1;
        if (ime_zh(run) != (arg[0] == 'z'))
            return tap_id(run, "k-ime");
        return 0;
    }
    if (strcmp(cmd, "pinyin") == 0) {
        if (!arg[0])
            return fail(run, "pinyin needs letters, e.g. pinyin liucheng");
        for (const char *p = arg; *p; p++)
            if (*p < 'a' || *p > 'z')
                return fail(run,
                            "pinyin %s: '%c' is not a pinyin letter (a-z); "
                            "type other text with `type`",
                            arg, *p);
        if (ensure_ime(run, cmd) != 0)
            return -1;
        if (!ime_zh(run))
            return fail(run,
                        "pinyin %s: the keyboard is in English mode; add "
                        "`ime zh` first",
                        arg);
        for (const char *p = arg; *p; p++) {
            snprintf(id, sizeof id, "k-%c", *p);
            if (tap_id(run, id) != 0)
                return -1;
        }
        return 0;
    }
    if (strcmp(cmd, "pick") == 0) {
        char *end;
        long n = strtol(arg, &end, 10);
        if (end == arg || *end || n < 1 || n > 9)
            return fail(run, "pick needs a candidate number 1-9, not '%s'",
                        arg);
        snprintf(id, sizeof id, "ime-cand-%ld", n - 1);
        if (!kiosk_model_widget(kiosk_shell_model(run->shell), id))
            return fail(run,
                        "pick %ld: the candidate bar has no candidate %ld "
                        "(type pinyin first, or turn the page back)",
                        n, n);
        return tap_id(run, id);
    }
    /* page next|prev */
    if (strcmp(arg, "next") != 0 && strcmp(arg, "prev") != 0)
        return fail(run, "page needs next or prev");
    return tap_id(run, arg[0] == 'n' ? "ime-next" : "ime-prev");
}

static int step(run_t *run, char *cmd, char *arg)
{
    kiosk_model_t *m = kiosk_shell_model(run->shell);
    kiosk_input_t in;
    memset(&in, 0, sizeof in);
    if (strcmp(cmd, "zh") == 0 || strcmp(cmd, "en") == 0) {
        bool en = kiosk_model_lang(m) == KIOSK_LANG_EN;
        if (en != (cmd[0] == 'e'))
            return 0;
        char *rest = arg;
        while (*rest && *rest != ' ')
            rest++;
        if (*rest)
            *rest++ = '\0';
        while (*rest == ' ')
            rest++;
        return step(run, arg, rest);
    }
    if (strcmp(cmd, "pinyin") == 0 || strcmp(cmd, "pick") == 0 ||
        strcmp(cmd, "page") == 0 || strcmp(cmd, "ime") == 0)
        return pinyin_step(run, cmd, arg);
    if (strcmp(cmd, "tap") == 0) {
        int x, y;
        char extra;
        if (sscanf(arg, "%d %d %c", &x, &y, &extra) == 2) {
            in.kind = KIOSK_IN_TAP_XY;
            in.x = x;
            in.y = y;
        } else {
            if (!arg[0] || strchr(arg, ' '))
                return fail(run, "tap needs a widget id or X Y");
            in.kind = KIOSK_IN_TAP_ID;
            in.id = arg;
        }
        return tap_result(run, kiosk_shell_input(run->shell, &in, run->now),
                          arg);
    }
    if (strcmp(cmd, "type") == 0) {
        in.kind = KIOSK_IN_TEXT;
        in.text = arg;
        kiosk_shell_input(run->shell, &in, run->now);
        return 0;
    }
    if (strcmp(cmd, "key") == 0) {
        in.kind = KIOSK_IN_KEY;
        in.text = arg;
        kiosk_shell_input(run->shell, &in, run->now);
        return 0;
    }
    if (strcmp(cmd, "wait") == 0) {
        char *end;
        long ms = strtol(arg, &end, 10);
        if (!arg[0] || *end || ms < 0)
            return fail(run, "wait needs milliseconds, e.g. wait 1000");
        /* the model clock moves; nothing sleeps */
        for (long t = 0; t < ms; t += 1000) {
            run->now += ms - t < 1000 ? ms - t : 1000;
            kiosk_shell_poll(run->shell, run->now);
        }
        return 0;
    }
    if (strcmp(cmd, "sync") == 0) {
        kiosk_shell_sync_round(run->shell, run->now);
        return 0;
    }
    if (strcmp(cmd, "shot") == 0) {
        if (!arg[0] || strchr(arg, '/'))
            return fail(run, "shot needs a file name without '/'");
        return shot(run, arg);
    }
    if (strcmp(cmd, "check") == 0) {
        if (draw(run) != 0 || check(run) != 0)
            return -1;
        return 0;
    }
    if (strcmp(cmd, "expect") == 0 || strcmp(cmd, "expect-not") == 0) {
        bool has = tree_has(m, arg);
        bool want = strcmp(cmd, "expect") == 0;
        if (has != want)
            return fail(run, "screen %s %s \"%s\"",
                        kiosk_screen_name(kiosk_model_screen(m)),
                        want ? "does not show" : "still shows", arg);
        return 0;
    }
    if (strcmp(cmd, "expect-screen") == 0) {
        const char *now = kiosk_screen_name(kiosk_model_screen(m));
        if (strcmp(now, arg) != 0)
            return fail(run, "expected screen %s, but it is %s", arg, now);
        return 0;
    }
    if (strcmp(cmd, "lang") == 0) {
        if (strcmp(arg, "zh") != 0 && strcmp(arg, "en") != 0)
            return fail(run, "lang is zh or en, not \"%s\"", arg);
        in.kind = KIOSK_IN_LANG;
        in.lang = arg[0] == 'e' ? KIOSK_LANG_EN : KIOSK_LANG_ZH;
        kiosk_shell_input(run->shell, &in, run->now);
        return 0;
    }
    if (strcmp(cmd, "size") == 0) {
        int w, h;
        if (sscanf(arg, "%dx%d", &w, &h) != 2 || w < 320 || h < 240 ||
            w > 8192 || h > 8192)
            return fail(run, "size needs WxH between 320x240 and 8192x8192");
        return make_target(run, w, h);
    }
    if (strcmp(cmd, "dump") == 0) {
        char path[4096];
        if (draw(run) != 0)
            return -1;
        if (arg[0] == '/')
            snprintf(path, sizeof path, "%s", arg);
        else
            snprintf(path, sizeof path, "%s/%s", run->cfg->shots_dir, arg);
        FILE *f = fopen(path, "w");
        if (!f)
            return fail(run, "%s: cannot write: %s", path, strerror(errno));
        dump_tree(run, f, arg);
        fputc('\n', f);
        fclose(f);
        return 0;
    }
    return fail(run,
                "unknown command \"%s\"; use tap, type, key, wait, sync, "
                "shot, check, expect, expect-not, expect-screen, lang, size, "
                "dump",
                cmd);
}

int kiosk_script_run(kiosk_shell_t *shell, const kiosk_script_config_t *cfg,
                     char *err, size_t err_len)
{
    run_t run;
    int rc = -1;
    char line[4096];
    memset(&run, 0, sizeof run);
    run.shell = shell;
    run.cfg = cfg;
    run.file = cfg->script;
    run.err = err;
    run.err_len = err_len;
    run.now = kiosk_now_ms();
    FILE *f = fopen(cfg->script, "r");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open the script: %s", cfg->script,
                 strerror(errno));
        return -1;
    }
    if (make_dirs(cfg->shots_dir) != 0) {
        snprintf(err, err_len,
                 "%s: cannot create the screenshot directory: "
                 "%s",
                 cfg->shots_dir, strerror(errno));
        goto done;
    }
    run.text =
        kiosk_textcache_new(cfg->font_path, cfg->font_index, err, err_len);
    if (!run.text)
        goto done;
    run.view = kiosk_view_new(run.text);
    if (!run.view) {
        snprintf(err, err_len, "out of memory");
        goto done;
    }
    if (cfg->dump_path) {
        run.dump = fopen(cfg->dump_path, "w");
        if (!run.dump) {
            snprintf(err, err_len, "%s: cannot write the UI dump: %s",
                     cfg->dump_path, strerror(errno));
            goto done;
        }
        fputs("{\"shots\":[\n", run.dump);
    }
    if (make_target(&run, cfg->width, cfg->height) != 0)
        goto done;
    while (fgets(line, sizeof line, f)) {
        run.line++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        char *arg = s;
        while (*arg && *arg != ' ' && *arg != '\t')
            arg++;
        if (*arg)
            *arg++ = '\0';
        while (*arg == ' ' || *arg == '\t')
            arg++;
        if (step(&run, s, arg) != 0)
            goto done;
        kiosk_shell_poll(shell, run.now);
    }
    rc = 0;
done:
    if (run.dump) {
        fputs("\n]}\n", run.dump);
        if (fclose(run.dump) != 0 && rc == 0) {
            snprintf(err, err_len, "%s: cannot finish the UI dump",
                     cfg->dump_path);
            rc = -1;
        }
    }
    fclose(f);
    kiosk_view_destroy(&run.view);
    kiosk_textcache_destroy(&run.text);
    if (run.r)
        SDL_DestroyRenderer(run.r);
    if (run.surf)
        SDL_FreeSurface(run.surf);
    return rc;
}
