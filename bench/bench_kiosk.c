/*
 * bench_kiosk.c — the kiosk app's figures at 1920x1080 in the headless
 * software renderer: cold start to first frame, frame time (median and
 * p99) per screen, tap-to-durable (the confirm tap until the outbox has
 * committed and fsynced the check-in), resident memory.
 *
 * It drives the real shell (model, outbox, text cache, view) the way the
 * headless runner does (kiosk/src/app/script.c) and times each frame: a
 * clock tick through the model, the widget tree, the drawing of every
 * widget and its text onto the software surface. The cold start starts
 * as the window loop does (kiosk/src/app/main.c): Home's text and the
 * rating faces' textures are prepared before the first frame
 * (kiosk_warm_home), and that time is in it.
 *
 * Each screen is also timed the way a person meets it: the screen switch
 * is the tap that opened it plus its first frame, in which the text seen
 * for the first time is laid out and rasterised (the frame p99 of 100
 * frames would hide that one frame). `--frames N` draws N frames per
 * screen (1: first frames alone, for callgrind).
 *
 * The walk goes Home, a check-in (number pad, keyboard) confirmed, its
 * saved screen, board, guide, and a rating saved (faces, thanks): 13
 * screens. The switch to a screen after a save includes the save (the
 * outbox's fsynced commit), as a person meets it. Until round 4 the walk
 * left the check-in without saving and the rating at the staff list (10
 * screens); the 10 screens kept drew the same pixels (per-screen hashes).
 *
 * The walk is made twice: first with taps back to back (no idle time,
 * the rows above), then from a new kiosk with an empty text cache left
 * idle 300 ms before every tap (20 ms in the smoke run), as a person
 * leaves it between taps, during which the window loop's idle pre-render
 * (kiosk/src/app/warm.c, 2 ms slices) prepares the text (and the rating
 * faces) of the screens one tap away: the "after 300 ms idle" switch
 * rows, and the longest
 * slice. Both walks must draw the same pixels (hashed).
 *
 * Baselines in the same run: for frames, the same screen drawn as bare
 * boxes (clear plus one filled rectangle per widget, no text), the
 * renderer's floor; for tap-to-durable, one raw SQLite row committed with
 * WAL and synchronous=FULL. Output checks: every frame of a screen must
 * draw the same pixels as its first (hashed), each confirm must land on
 * the saved screen, and the outbox must hold exactly the walk's two saves
 * and the confirmed check-ins (hashed back from the file).
 */
#include <SDL.h>
#include <SDL_ttf.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app.h"
#include "bench.h"
#include "gen.h"
#include "kiosk/outbox.h"

#define W 1920
#define H 1080
#define WALK_SAVES 2 /* the walk saves a check-in and a rating */

typedef struct {
    kiosk_shell_t *shell;
    SDL_Surface *surf;
    SDL_Renderer *r;
    kiosk_textcache_t *text;
    kiosk_view_t *view;
    kiosk_warm_t *warm;
    int64_t now;
    uint64_t tap_cpu_ns; /* thread CPU of the last timed tap */
    /* the idle pre-render: slices run, their longest (wall, CPU), and
     * the CPU time of all of them */
    size_t slices;
    double slice_max_ms, slice_cpu_max_ms, warm_cpu_ms;
} kb_t;

static uint64_t thread_cpu_ns(void);

static int tap(kb_t *k, const char *id, uint64_t *took_ns)
{
    uint64_t t0 = bench_now_ns(), c0 = thread_cpu_ns();
    kiosk_input_t in;
    memset(&in, 0, sizeof in);
    in.kind = KIOSK_IN_TAP_ID;
    in.id = id;
    int rc = kiosk_shell_input(k->shell, &in, k->now);
    kiosk_shell_poll(k->shell, k->now);
    if (took_ns) {
        *took_ns = bench_now_ns() - t0;
        k->tap_cpu_ns = thread_cpu_ns() - c0;
    }
    if (rc < 0)
        fprintf(
            stderr, "bench: tap %s on screen %s failed (%d)\n", id,
            kiosk_screen_name(kiosk_model_screen(kiosk_shell_model(k->shell))),
            rc);
    return rc < 0 ? -1 : 0;
}

static const char *screen(kb_t *k)
{
    return kiosk_screen_name(kiosk_model_screen(kiosk_shell_model(k->shell)));
}

static uint64_t pixels_hash(kb_t *k)
{
    return bench_fnv(BENCH_FNV_INIT, k->surf->pixels,
                     (size_t)k->surf->pitch * (size_t)k->surf->h);
}

/* One frame: tick, widgets, draw. 0, or -1 when drawing failed. */
/* A new text cache, view and idle pre-render for k, empty. */
static int kb_open_view(kb_t *k, const char *font, int font_index)
{
    char err[1024];

    kiosk_warm_destroy(&k->warm);
    kiosk_view_destroy(&k->view);
    kiosk_textcache_destroy(&k->text);
    if ((k->text = kiosk_textcache_new(font, font_index, err, sizeof err)) ==
            NULL ||
        (k->view = kiosk_view_new(k->text)) == NULL ||
        (k->warm = kiosk_warm_new(k->view)) == NULL) {
        fprintf(stderr, "bench: %s\n", k->text ? "out of memory" : err);
        return -1;
    }
    return 0;
}

/* As the window loop starts (kiosk/src/app/main.c): the renderer given to
 * the text cache and the view, the window's size to the shell, then Home's
 * text and the rating faces' textures prepared before the first frame,
 * which took *prep_cpu_ms of this thread's CPU. */
static int kb_start(kb_t *k, double *prep_cpu_ms)
{
    kiosk_textcache_set_renderer(k->text, k->r);
    kiosk_view_set_renderer(k->view, k->r);
    kiosk_input_t rs = {.kind = KIOSK_IN_RESIZE, .w = W, .h = H};
    kiosk_shell_input(k->shell, &rs, k->now);
    uint64_t c0 = thread_cpu_ns();
    if (kiosk_warm_home(k->warm, kiosk_shell_model(k->shell)) != 0) {
        fprintf(stderr,
                "bench: preparing Home and the faces at start-up failed\n");
        return -1;
    }
    *prep_cpu_ms = (double)(thread_cpu_ns() - c0) / 1e6;
    return 0;
}

static int frame(kb_t *k, bool bare)
{
    size_t n;
    kiosk_input_t in;
    memset(&in, 0, sizeof in);
    in.kind = KIOSK_IN_TICK;
    k->now += 16;
    kiosk_shell_input(k->shell, &in, k->now);
    const kiosk_widget_t *w =
        kiosk_model_widgets(kiosk_shell_model(k->shell), &n);
    if (bare) {
        SDL_SetRenderDrawColor(k->r, 250, 250, 250, 255);
        SDL_RenderClear(k->r);
        SDL_SetRenderDrawColor(k->r, 200, 210, 230, 255);
        for (size_t i = 0; i < n; i++) {
            SDL_Rect rc = {(int)w[i].x, (int)w[i].y, (int)w[i].w, (int)w[i].h};
            SDL_RenderFillRect(k->r, &rc);
        }
    } else if (kiosk_view_draw(k->view, k->r, w, n) != 0) {
        return -1;
    }
    SDL_RenderPresent(k->r);
    return 0;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)ceil(p * (double)n) - 1;
    return v[i < n ? i : n - 1];
}

/* Frames of the current screen: p99 and median (ms), drawn and bare,
 * and the screen switch: the tap that opened the screen plus its first
 * frame, the way a person meets it (text seen for the first time is
 * rendered then). The first frame is also one of the frames. */
static int measure_screen(kb_t *k, const char *label, int frames, bool smoke,
                          int idle_ms, uint64_t tap_ns, uint64_t *all_hash,
                          double *worst_p99, double *worst_switch)
{
    double *t = calloc((size_t)frames, sizeof *t);
    double *b = calloc((size_t)frames, sizeof *b);
    double *cpu = calloc((size_t)frames, sizeof *cpu);
    uint64_t first_hash = 0;
    int rc = -1;
    if (!t || !b || !cpu)
        goto done;
    for (int i = 0; i < frames; i++) {
        uint64_t t0 = bench_now_ns(), c0 = thread_cpu_ns();
        if (frame(k, false) != 0)
            goto done;
        t[i] = (double)(bench_now_ns() - t0) / 1e6;
        cpu[i] = (double)(thread_cpu_ns() - c0) / 1e6;
        uint64_t h = pixels_hash(k); /* outside the timed part */
        if (i == 0)
            first_hash = h;
        else if (h != first_hash) {
            fprintf(stderr,
                    "bench: screen %s: frame %d drew other pixels "
                    "than frame 1 (hash %016" PRIx64 " vs %016" PRIx64
                    "); drawing is not deterministic\n",
                    label, i + 1, h, first_hash);
            goto done;
        }
    }
    for (int i = 0; i < frames && idle_ms == 0; i++) {
        uint64_t t0 = bench_now_ns();
        (void)frame(k, true);
        b[i] = (double)(bench_now_ns() - t0) / 1e6;
    }
    (void)frame(k, false); /* leave the real frame on the surface */
    const char *shots = getenv("STEPWISE_BENCH_SHOTS");
    if (shots && *shots) { /* to compare two builds' drawings by eye */
        char path[1024];
        snprintf(path, sizeof path, "%s/%s%s.bmp", shots, label,
                 idle_ms ? "-idle" : "");
        if (SDL_SaveBMP(k->surf, path) != 0)
            fprintf(stderr, "bench: %s: cannot save the frame: %s\n", path,
                    SDL_GetError());
    }
    double first = t[0], sw = (double)tap_ns / 1e6 + first;
    double p99 = pct(t, (size_t)frames, 0.99),
           med = pct(t, (size_t)frames, 0.5), max = t[frames - 1];
    /* this thread's CPU time: what the frame cost without the time other
     * processes took the core (the machine the table was made on is
     * shared); the figure itself stays wall-clock */
    double cpu_first = cpu[0];
    char fig[200];
    if (idle_ms) {
        /* the walk with idle time: the switch is the figure; its frames
         * are the other walk's (the pixels must be the same) */
        printf("# %s after %d ms idle: tap + first frame cpu %.2f ms "
               "(first frame %.2f ms)\n",
               label, idle_ms, (double)k->tap_cpu_ns / 1e6 + cpu_first,
               cpu_first);
        snprintf(fig, sizeof fig,
                 "kiosk screen switch after %d ms idle, %s (tap + first "
                 "frame %.2f ms)%s",
                 idle_ms, label, first, smoke ? " (smoke)" : "");
        bench_row("kiosk-switch-idle", fig, sw, "ms", NAN, "-", NAN, "< 8 ms",
                  smoke ? "info" : (sw < 8 ? "pass" : "miss"), first_hash);
        *all_hash = bench_fnv_u64(*all_hash, first_hash);
        if (sw > *worst_switch)
            *worst_switch = sw;
        rc = 0;
        goto done;
    }
    printf("# %s: frame cpu p99 %.2f ms, median %.2f ms, first %.2f ms, "
           "tap + first %.2f ms\n",
           label, pct(cpu, (size_t)frames, 0.99), pct(cpu, (size_t)frames, 0.5),
           cpu_first, (double)k->tap_cpu_ns / 1e6 + cpu_first);
    double bp99 = pct(b, (size_t)frames, 0.99);
    snprintf(fig, sizeof fig,
             "kiosk frame p99, %s (median %.2f, max %.2f ms)%s", label, med,
             max, smoke ? " (smoke)" : "");
    bench_row("kiosk-frame", fig, p99, "ms", bp99, "bare boxes, no text", NAN,
              "< 8 ms", smoke ? "info" : (p99 < 8 ? "pass" : "miss"),
              first_hash);
    snprintf(fig, sizeof fig,
             "kiosk screen switch, %s (tap + first frame %.2f ms)%s", label,
             first, smoke ? " (smoke)" : "");
    bench_row("kiosk-switch", fig, sw, "ms", NAN, "-", NAN, "< 8 ms",
              smoke ? "info" : (sw < 8 ? "pass" : "miss"), first_hash);
    *all_hash = bench_fnv_u64(*all_hash, first_hash);
    if (p99 > *worst_p99)
        *worst_p99 = p99;
    if (sw > *worst_switch)
        *worst_switch = sw;
    rc = 0;
done:
    free(t);
    free(b);
    free(cpu);
    return rc;
}

/* The walk: Home, a check-in with its number pad and keyboard, saved,
 * and the board, guide and rating tiles, a rating saved. Its two saves
 * are in the outbox before the tap-to-durable check-ins (WALK_SAVES). */
static const struct {
    const char *tap; /* NULL: measure this screen */
    const char *label;
} walk_steps[] = {
    {NULL, "home"},
    {"tile-checkin", NULL},
    {NULL, "identify"},
    {"staff-zhang-wei", NULL},
    {NULL, "checkin-process"},
    {"proc-telemarketing", NULL},
    {NULL, "checkin-step"},
    {"step-tm-call", NULL},
    {NULL, "checkin-measures"},
    {"value-calls", NULL},
    {NULL, "numpad"},
    {"key-ok", NULL},
    {"note", NULL},
    {NULL, "keyboard"},
    {"k-done", NULL},
    {"plus-calls", NULL},
    {"confirm", NULL}, /* the switch includes the fsynced save */
    {NULL, "checkin-saved"},
    {"done", NULL}, /* Home, logged out */
    {"tile-board", NULL},
    {NULL, "board"},
    {"back", NULL},
    {"tile-guide", NULL},
    {NULL, "guide"},
    {"back", NULL},
    {"tile-rating", NULL},
    {NULL, "rating-staff"},
    {"staff-zhang-wei", NULL},
    {NULL, "rating-faces"},
    {"face-5", NULL}, /* saved, fsynced, as confirm */
    {NULL, "rating-thanks"},
    {"done", NULL},
};

/* A person looking at the screen before the next tap: the window loop's
 * idle pre-render (kiosk/src/app/warm.c) in its 2 ms slices, back to
 * back, until it has nothing left or idle_ms of wall clock have passed.
 * (The window loop starts it 100 ms after the last input and looks at
 * the input between slices; here no input comes.) */
static int idle(kb_t *k, int idle_ms)
{
    uint64_t t_end = bench_now_ns() + (uint64_t)idle_ms * 1000000u;
    for (;;) {
        uint64_t t0 = bench_now_ns(), c0 = thread_cpu_ns();
        int rc =
            kiosk_warm_step(k->warm, kiosk_shell_model(k->shell), 2000000u);
        double ms = (double)(bench_now_ns() - t0) / 1e6,
               cpu = (double)(thread_cpu_ns() - c0) / 1e6;
        k->slices++;
        k->warm_cpu_ms += cpu;
        if (ms > k->slice_max_ms)
            k->slice_max_ms = ms;
        if (cpu > k->slice_cpu_max_ms)
            k->slice_cpu_max_ms = cpu;
        if (rc < 0) {
            fprintf(stderr, "bench: the idle pre-render failed on %s\n",
                    screen(k));
            return -1;
        }
        if (rc == 0 || bench_now_ns() >= t_end)
            return 0;
    }
}

/* Walks the screens from first-run, measuring each; with idle_ms, the
 * kiosk is left idle that long before every tap (only the switch is
 * reported then, one frame per screen). */
static int walk(kb_t *k, int frames, bool smoke, int idle_ms, uint64_t *all,
                double *worst, double *worst_switch)
{
    uint64_t tap_ns = 0;
    if (strcmp(screen(k), "first-run") == 0 &&
        ((idle_ms && idle(k, idle_ms) != 0) ||
         tap(k, "continue", &tap_ns) != 0))
        return -1;
    for (size_t i = 0; i < sizeof walk_steps / sizeof walk_steps[0]; i++) {
        if (walk_steps[i].tap) {
            if ((idle_ms && idle(k, idle_ms) != 0) ||
                tap(k, walk_steps[i].tap, &tap_ns) != 0)
                return -1;
            continue;
        }
        if (strcmp(screen(k), walk_steps[i].label) != 0) {
            fprintf(stderr, "bench: expected screen %s, the kiosk shows %s\n",
                    walk_steps[i].label, screen(k));
            return -1;
        }
        if (measure_screen(k, walk_steps[i].label, idle_ms ? 1 : frames, smoke,
                           idle_ms, tap_ns, all, worst, worst_switch) != 0)
            return -1;
    }
    return 0;
}

/* One fsynced single-row commit: the floor under tap-to-durable. */
static double raw_commit_ms(const char *dir, int n)
{
    char path[700];
    sqlite3 *db = NULL;
    double best = NAN;
    snprintf(path, sizeof path, "%s/raw.db", dir);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE e(seq INTEGER PRIMARY KEY, body BLOB)",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto done;
    double *t = calloc((size_t)n, sizeof *t);
    if (!t)
        goto done;
    for (int i = 0; i < n; i++) {
        uint64_t t0 = bench_now_ns();
        if (sqlite3_exec(db,
                         "BEGIN IMMEDIATE; INSERT INTO e(body) VALUES "
                         "(randomblob(300)); COMMIT",
                         NULL, NULL, NULL) != SQLITE_OK) {
            free(t);
            goto done;
        }
        t[i] = (double)(bench_now_ns() - t0) / 1e6;
    }
    best = pct(t, (size_t)n, 0.5);
    free(t);
done:
    sqlite3_close(db);
    return best;
}

/* kiosk.conf in dir: a kiosk id but no server. 0 or -1 (said). */
static int write_conf(const char *dir)
{
    char path[700];
    snprintf(path, sizeof path, "%s/kiosk.conf", dir);
    FILE *conf = fopen(path, "w");
    if (!conf || fputs("kiosk_id = bench-kiosk\nsite = futian\n", conf) < 0 ||
        fclose(conf) != 0) {
        fprintf(stderr, "bench: %s: cannot write\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t t_start = bench_now_ns();
    bool smoke = bench_smoke(argc, argv);
    int frames = smoke ? 3 : 100, taps = smoke ? 2 : 20;
    /* --frames N: frames per screen, e.g. 1 to profile first frames
     * alone under callgrind (docs/PERFORMANCE.md) */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--frames") == 0 &&
            (frames = atoi(argv[i + 1])) < 1) {
            fprintf(stderr, "bench: --frames %s: expected a count >= 1\n",
                    argv[i + 1]);
            return 2;
        }
    const char *assets = getenv("STEPWISE_ASSETS");
    char dir[512], cat[4096], font[4096], err[1024], obpath[700];
    int font_index = 0, rc = 1;
    kb_t k;
    bool sdl = false;
    memset(&k, 0, sizeof k);
    dir[0] = '\0';
    if (!assets || !*assets)
        assets = BENCH_ASSETS_DEFAULT;
    snprintf(cat, sizeof cat, "%s/catalogue.yaml", assets);

    setenv("SDL_VIDEODRIVER", "dummy", 0);
    setenv("SDL_AUDIODRIVER", "dummy", 0);
    if (bench_tmpdir("kiosk", dir, sizeof dir) != 0)
        goto done;
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "bench: SDL failed to start: %s\n", SDL_GetError());
        goto done;
    }
    sdl = true;
    if (kiosk_find_font(font, sizeof font, &font_index) != 0) {
        fprintf(stderr, "bench: no CJK font; install fonts-noto-cjk\n");
        goto done;
    }
    if (kb_open_view(&k, font, font_index) != 0)
        goto done;
    /* a kiosk id but no server: the first-run screen offers "use it
     * here for now", as on a kiosk waiting for its enrolment */
    if (write_conf(dir) != 0)
        goto done;
    kiosk_shell_config_t sc = {.data_dir = dir,
                               .catalogue_path = cat,
                               .assets_dir = assets,
                               .lang = "zh",
                               .width = W,
                               .height = H,
                               .headless = true};
    /* A fixed clock on a minute boundary: the header's clock then reads
     * the same in every run (the walk spends well under a minute of
     * model time), so the pixel hashes of two runs, or of two builds,
     * can be compared. */
    k.now = BENCH_T0_MS;
    if ((k.shell = kiosk_shell_new(&sc, k.now, err, sizeof err)) == NULL) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    k.surf =
        SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!k.surf || !(k.r = SDL_CreateSoftwareRenderer(k.surf))) {
        fprintf(stderr, "bench: software renderer: %s\n", SDL_GetError());
        goto done;
    }
    /* the preparation before the first frame is counted in the cold
     * start */
    double home_cpu = 0;
    if (kb_start(&k, &home_cpu) != 0)
        goto done;
    uint64_t first_c0 = thread_cpu_ns();
    if (frame(&k, false) != 0)
        goto done;
    double cold = (double)(bench_now_ns() - t_start) / 1e6;
    printf("# cold start: thread CPU %.1f ms in all, of which Home's text "
           "and the faces prepared %.2f ms and the first frame %.2f ms\n",
           (double)thread_cpu_ns() / 1e6, home_cpu,
           (double)(thread_cpu_ns() - first_c0) / 1e6);
    bench_row("kiosk-cold",
              smoke ? "kiosk cold start to first frame (smoke)"
                    : "kiosk cold start to first frame",
              cold, "ms", NAN, "-", NAN, "-", "info", 0);

    /* ---- frames, screen by screen, along a check-in and the tiles */
    uint64_t all = BENCH_FNV_INIT;
    double worst = 0, worst_switch = 0;
    if (walk(&k, frames, smoke, 0, &all, &worst, &worst_switch) != 0)
        goto done;
    printf("# all screens: pixel hash %016" PRIx64
           ", worst p99 %.2f ms, worst screen switch %.2f ms\n",
           all, worst, worst_switch);

    /* ---- tap-to-durable: confirm until the outbox has committed */
    double *td = calloc((size_t)taps, sizeof *td);
    if (!td)
        goto done;
    if (strcmp(screen(&k), "home") != 0) {
        fprintf(stderr, "bench: expected home before the check-ins, got %s\n",
                screen(&k));
        free(td);
        goto done;
    }
    /* the walk's check-in (one call) and rating (of Zhang Wei, no
     * measures) come first */
    uint64_t want = BENCH_FNV_INIT;
    want = bench_fnv_str(want, "zhang-wei");
    want = bench_fnv_str(want, "tm-call");
    want = bench_fnv_num(want, 1);
    want = bench_fnv_str(want, "zhang-wei");
    want = bench_fnv_str(want, "");
    want = bench_fnv_num(want, -1);
    for (int i = 0; i < taps; i++) {
        if ((i == 0 && (tap(&k, "tile-checkin", NULL) ||
                        tap(&k, "staff-zhang-wei", NULL))) ||
            (i > 0 && tap(&k, "again", NULL)) ||
            tap(&k, "proc-telemarketing", NULL) ||
            tap(&k, "step-tm-call", NULL) || tap(&k, "plus-calls", NULL)) {
            free(td);
            goto done;
        }
        uint64_t t0 = bench_now_ns();
        int r = tap(&k, "confirm", NULL);
        td[i] = (double)(bench_now_ns() - t0) / 1e6;
        if (r != 0 || strcmp(screen(&k), "checkin-saved") != 0) {
            fprintf(stderr, "bench: check-in %d was not saved (screen %s)\n",
                    i + 1, screen(&k));
            free(td);
            goto done;
        }
        want = bench_fnv_str(want, "zhang-wei");
        want = bench_fnv_str(want, "tm-call");
        want = bench_fnv_num(want, 1);
    }
    double td_med = pct(td, (size_t)taps, 0.5), td_max = td[taps - 1];
    free(td);
    kiosk_shell_destroy(&k.shell); /* closes the outbox */

    snprintf(obpath, sizeof obpath, "%s/outbox.db", dir);
    kiosk_outbox_t *ob = kiosk_outbox_open(obpath, err, sizeof err);
    kiosk_outbox_stats_t os;
    uint64_t got = BENCH_FNV_INIT;
    if (!ob || kiosk_outbox_stats(ob, &os) != 0) {
        fprintf(stderr, "bench: %s\n", ob ? kiosk_outbox_errmsg(ob) : err);
        kiosk_outbox_destroy(&ob);
        goto done;
    }
    for (uint64_t seq = 1; seq <= os.last_seq; seq++) {
        proto_event_t ev;
        memset(&ev, 0, sizeof ev);
        if (kiosk_outbox_get(ob, seq, &ev, NULL) != 0)
            continue;
        got = bench_fnv_str(got, ev.staff_id);
        got = bench_fnv_str(got, ev.step_id);
        got = bench_fnv_num(got, ev.n_measures ? ev.measures[0].value : -1);
        proto_event_clear(&ev);
    }
    kiosk_outbox_destroy(&ob);
    if (os.total != (uint64_t)taps + WALK_SAVES) {
        fprintf(stderr,
                "bench: the outbox holds %" PRIu64 " events after %d "
                "confirmed check-ins and the walk's %d saves\n",
                os.total, taps, WALK_SAVES);
        goto done;
    }
    if (bench_check_hash("outbox check-ins", got, want) != 0)
        goto done;
    char fig[128];
    snprintf(fig, sizeof fig, "kiosk tap-to-durable, median (max %.1f ms)%s",
             td_max, smoke ? " (smoke)" : "");
    bench_row("kiosk-tap", fig, td_med, "ms", raw_commit_ms(dir, taps),
              "raw fsynced 1-row commit", NAN, "-", "info", got);

    printf("# peak resident memory before the idle walk: %.1f MiB\n",
           (double)bench_peak_rss_kib() / 1024);

    /* ---- the walk again, from a new kiosk with an empty text cache, the
     * kiosk left idle before every tap as a person leaves it: the idle
     * pre-render prepares the screens one tap away */
    int idle_ms = smoke ? 20 : 300;
    char dir2[600];
    snprintf(dir2, sizeof dir2, "%s/idle", dir);
    if (mkdir(dir2, 0700) != 0) {
        fprintf(stderr, "bench: %s: cannot create: %s\n", dir2,
                strerror(errno));
        goto done;
    }
    if (write_conf(dir2) != 0 || kb_open_view(&k, font, font_index) != 0)
        goto done;
    sc.data_dir = dir2;
    k.now = BENCH_T0_MS;
    if ((k.shell = kiosk_shell_new(&sc, k.now, err, sizeof err)) == NULL) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    if (kb_start(&k, &home_cpu) != 0 || frame(&k, false) != 0)
        goto done;
    uint64_t all_idle = BENCH_FNV_INIT;
    double worst_idle = 0, worst_idle_switch = 0;
    if (walk(&k, frames, smoke, idle_ms, &all_idle, &worst_idle,
             &worst_idle_switch) != 0)
        goto done;
    size_t entries = 0, renders = 0;
    kiosk_textcache_stats(k.text, &entries, &renders);
    printf("# idle walk: pixel hash %016" PRIx64 ", worst screen switch "
           "%.2f ms; pre-render: %zu slices, longest %.2f ms (CPU %.2f ms), "
           "CPU %.1f ms in all; text cache %zu entries, %.1f MiB of "
           "textures\n",
           all_idle, worst_idle_switch, k.slices, k.slice_max_ms,
           k.slice_cpu_max_ms, k.warm_cpu_ms, entries,
           (double)kiosk_textcache_bytes(k.text) / 1048576);
    if (all_idle != all) {
        fprintf(stderr,
                "bench: with the idle pre-render the screens drew other "
                "pixels (hash %016" PRIx64 ") than without (%016" PRIx64 ")\n",
                all_idle, all);
        goto done;
    }
    snprintf(fig, sizeof fig,
             "kiosk idle pre-render slice, longest wall clock (%zu slices; "
             "longest thread CPU %.2f ms)%s",
             k.slices, k.slice_cpu_max_ms, smoke ? " (smoke)" : "");
    bench_row(
        "kiosk-warm-slice", fig, k.slice_max_ms, "ms", NAN, "-", NAN, "<= 2 ms",
        smoke ? "info" : (k.slice_max_ms <= 2 ? "pass" : "miss"), all_idle);
    double rss = (double)bench_peak_rss_kib() / 1024;
    bench_row("kiosk-rss",
              smoke ? "kiosk peak resident memory (smoke)"
                    : "kiosk peak resident memory",
              rss, "MiB", NAN, "-", NAN, "< 64 MiB",
              smoke ? "info" : (rss < 64 ? "pass" : "miss"), all);
    rc = 0;
done:
    kiosk_shell_destroy(&k.shell);
    kiosk_warm_destroy(&k.warm);
    kiosk_view_destroy(&k.view);
    kiosk_textcache_destroy(&k.text);
    if (k.r)
        SDL_DestroyRenderer(k.r);
    if (k.surf)
        SDL_FreeSurface(k.surf);
    if (sdl) {
        TTF_Quit();
        SDL_Quit();
    }
    bench_rmtree(dir);
    return rc;
}
