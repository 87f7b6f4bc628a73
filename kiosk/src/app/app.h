/*
 * app.h — the SDL side of the kiosk (private to kiosk/src/app): the text
 * cache, the view, input mapping, the shell that joins the model to the
 * outbox and the sync thread, and the headless script runner.
 *
 * The model (kiosk/model.h) decides everything; these files only turn
 * SDL events into model inputs, draw the model's widget tree, and carry
 * out the model's effects.
 */
#ifndef KIOSK_APP_H
#define KIOSK_APP_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>

#include "kiosk/model.h"

/* ---- text.c: fonts, fitting and a cache of rendered text */
typedef struct kiosk_textcache kiosk_textcache_t;

/* What drawing one widget's text found. */
typedef struct {
    bool overflow; /* did not fit even shrunk: some of it is cut off */
    int missing;   /* code points the font has no glyph for */
    int px;        /* size used */
    int lines;     /* lines used */
} kiosk_text_report_t;

/* Opens the font (path, face index in a .ttc). NULL with err. */
kiosk_textcache_t *kiosk_textcache_new(const char *font_path, int index,
                                       char *err, size_t err_len);
void kiosk_textcache_destroy(kiosk_textcache_t **self_p);
/* Textures belong to a renderer: call when it changes. */
void kiosk_textcache_set_renderer(kiosk_textcache_t *self, SDL_Renderer *r);
/* Draws text fitted into box: at px, wrapped onto lines when multiline,
 * shrunk down to 60% when needed; align -1 left, 0 centre, 1 right. */
int kiosk_textcache_draw(kiosk_textcache_t *self, const char *text, int px,
                         SDL_Color colour, SDL_Rect box, bool multiline,
                         int align, kiosk_text_report_t *rep);
/* Renders text into the cache as kiosk_textcache_draw would for the same
 * arguments, drawing nothing, so that a later draw finds it: for idle
 * time. 1 rendered, 0 already cached (or nothing to render), 2 not
 * rendered because the share of the cache preparing may fill is full
 * (three quarters of the entries, 24 MB of textures), 3 not cached and
 * render is false (the caller has no time left for it), -1 error. */
int kiosk_textcache_prepare(kiosk_textcache_t *self, const char *text, int px,
                            SDL_Color colour, SDL_Rect box, bool multiline,
                            int align, bool render);
/* Bytes of the textures kept (width x height x 4). */
size_t kiosk_textcache_bytes(const kiosk_textcache_t *self);
/* Cache figures for tests: entries and renders done (misses). */
void kiosk_textcache_stats(const kiosk_textcache_t *self, size_t *entries,
                           size_t *renders);
/* Finds the CJK font: fontconfig's match for "Noto Sans CJK SC", else the
 * Debian path. 0 or -1. */
int kiosk_find_font(char *path, size_t len, int *index);

/* ---- view.c: draws the widget tree */
typedef struct kiosk_view kiosk_view_t;
kiosk_view_t *kiosk_view_new(kiosk_textcache_t *text);
void kiosk_view_destroy(kiosk_view_t **self_p);
/* Draws every widget; the per-widget text reports stay until the next
 * draw. 0 or -1 (SDL error). */
int kiosk_view_draw(kiosk_view_t *self, SDL_Renderer *r,
                    const kiosk_widget_t *w, size_t n);
const kiosk_text_report_t *kiosk_view_reports(const kiosk_view_t *self,
                                              size_t *n);
/* The face textures belong to the renderer last drawn with: call with
 * NULL before destroying it (kiosk_view_draw with another renderer, or
 * kiosk_view_destroy, drop them too). */
void kiosk_view_set_renderer(kiosk_view_t *self, SDL_Renderer *r);
/* Rating faces are drawn once into textures and copied (the default),
 * or drawn shape by shape every frame (off); the pixels are the same,
 * which is what the tests compare. */
void kiosk_view_cache_faces(kiosk_view_t *self, bool on);
/* How many face textures the view holds (for tests). */
int kiosk_view_faces_made(const kiosk_view_t *self);
/* Renders into the text cache the text of widgets *next.. of a tree, as
 * kiosk_view_draw would, drawing nothing, for the kiosk's idle time; the
 * rating faces' textures too (with the renderer of the last draw; a face
 * counts as one string below).
 * While *first is true one string may be rendered whatever the budget
 * (so that every slice makes progress; *first is then cleared), after
 * that no render is started that could end after budget_ns (monotonic
 * clock; judged by the longest render so far); text already cached costs
 * a look-up. 1 more to do (from *next), 0 done, 2 the cache's share for
 * preparing is full, -1 error. */
int kiosk_view_prepare(kiosk_view_t *self, const kiosk_widget_t *w, size_t n,
                       size_t *next, uint64_t budget_ns, bool *first);

/* ---- warm.c: the idle pre-render of the screens one tap away */
typedef struct kiosk_warm kiosk_warm_t;
kiosk_warm_t *kiosk_warm_new(kiosk_view_t *view);
void kiosk_warm_destroy(kiosk_warm_t **self_p);
/* One slice of idle work of at most budget_ns (checked with the clock):
 * the text of the screens each tappable widget of the model's current
 * tree would open (kiosk_model_preview_tap) goes into the text cache.
 * Starts over when the current tree changes. 1 more to do, 0 nothing
 * left (all prepared, or the cache's share for it is full), -1 error. */
int kiosk_warm_step(kiosk_warm_t *self, kiosk_model_t *m, uint64_t budget_ns);
/* Start-up, before the first frame: renders into the text cache, with no
 * time budget, the text of Home as it shows with nobody identified
 * (kiosk_model_preview_home), then makes the rating faces' textures
 * (kiosk_model_preview_faces). The text cache and the view must have
 * their renderer (kiosk_textcache_set_renderer, kiosk_view_set_renderer).
 * 0 (also when the cache's share for preparing is full), or -1 (out of
 * memory, or a render failed). */
int kiosk_warm_home(kiosk_warm_t *self, kiosk_model_t *m);

/* ---- input.c: SDL events → model inputs */
/* Fills *in from e and returns 1, or returns 0 for events that are not
 * input (and for mouse events SDL synthesised from touch, so that one tap
 * never counts twice). buf holds text the input points to. */
int kiosk_input_from_sdl(const SDL_Event *e, int win_w, int win_h,
                         kiosk_input_t *in, char *buf, size_t buf_len);
/* The SDL hints that stop SDL from synthesising mouse from touch and
 * touch from mouse; call before SDL_Init. */
void kiosk_input_hints(void);
/* True for window events after which the window's picture must be drawn
 * again although the widget tree is the same (exposed, resized, shown,
 * restored, maximised, renderer targets or device reset). */
bool kiosk_input_repaints(const SDL_Event *e);

/* ---- ime_rime.c: pinyin through librime behind the kiosk_ime_t hook.
 * One per process (librime is a singleton). */
typedef struct kiosk_ime_rime kiosk_ime_rime_t;
/* user_dir: librime's user data (the deploy result is cached there);
 * shared_dir NULL = /usr/share/rime-data. Nothing starts yet: the hook
 * says KIOSK_IME_OFF. NULL with err on failure. */
kiosk_ime_rime_t *kiosk_ime_rime_new(const char *user_dir,
                                     const char *shared_dir, char *err,
                                     size_t err_len);
/* Starts the deploy on a thread of its own; the hook says PREPARING, then
 * READY or FAILED. 0, or -1 (FAILED; kiosk_ime_rime_error says why). */
int kiosk_ime_rime_start(kiosk_ime_rime_t *self);
/* Waits up to timeout_ms while it is preparing; returns the state. */
kiosk_ime_state_t kiosk_ime_rime_wait(kiosk_ime_rime_t *self, int timeout_ms);
const char *kiosk_ime_rime_error(const kiosk_ime_rime_t *self);
const kiosk_ime_t *kiosk_ime_rime_hook(kiosk_ime_rime_t *self);
/* Waits for a deploy in progress, then ends the session and librime. */
void kiosk_ime_rime_destroy(kiosk_ime_rime_t **self_p);

/* ---- similar.c: similar suggestions, SQLite FTS5 trigram over the feed
 * cache, behind the kiosk_similar_t hook. */
typedef struct kiosk_simindex kiosk_simindex_t;
/* Opens (creates) the index database at path. NULL with err. */
kiosk_simindex_t *kiosk_simindex_open(const char *path, char *err,
                                      size_t err_len);
void kiosk_simindex_destroy(kiosk_simindex_t **self_p);
/* Replaces the index with these suggestions (the feed), in one
 * transaction. 0 or -1 (kiosk_simindex_errmsg says why). */
int kiosk_simindex_update(kiosk_simindex_t *self,
                          const proto_suggestion_t *list, size_t n);
/* Ids of up to max suggestions whose titles share trigrams with title,
 * best first (bm25). Titles under 3 characters find nothing. Count, or
 * -1. */
int kiosk_simindex_search(kiosk_simindex_t *self, const char *title,
                          char (*ids)[PROTO_ID_MAX + 1], size_t max);
const char *kiosk_simindex_errmsg(const kiosk_simindex_t *self);
const kiosk_similar_t *kiosk_simindex_hook(kiosk_simindex_t *self);

/* ---- shell.c: the model joined to the outbox and the sync thread */
typedef struct kiosk_shell kiosk_shell_t;

typedef struct {
    const char *data_dir;       /* NULL: a temporary one (headless) */
    const char *catalogue_path; /* seed when nothing is cached; NULL */
    const char *assets_dir;     /* strings live in assets/strings */
    const char *lang;           /* "zh" / "en" / NULL = kiosk.conf */
    int width, height;
    int idle_timeout_s; /* 0 = kiosk.conf or 60 */
    bool headless;
} kiosk_shell_config_t;

kiosk_shell_t *kiosk_shell_new(const kiosk_shell_config_t *cfg, int64_t now,
                               char *err, size_t err_len);
void kiosk_shell_destroy(kiosk_shell_t **self_p);
kiosk_model_t *kiosk_shell_model(kiosk_shell_t *self);
/* The pinyin input method (never NULL once the shell exists). */
kiosk_ime_rime_t *kiosk_shell_ime(kiosk_shell_t *self);
/* Feeds one input to the model and carries out what it asks (saves,
 * sync kicks), feeding the results back. Returns the model's code. */
int kiosk_shell_input(kiosk_shell_t *self, kiosk_input_t *in, int64_t now);
/* Drains the sync thread's queue into the model (every frame). */
void kiosk_shell_poll(kiosk_shell_t *self, int64_t now);
/* Headless `sync`: waits briefly for the sync thread to report, then
 * polls. */
void kiosk_shell_sync_round(kiosk_shell_t *self, int64_t now);
/* Wall clock in ms. */
int64_t kiosk_now_ms(void);

/* ---- script.c: headless replay */
typedef struct {
    const char *script;
    const char *shots_dir;
    const char *dump_path; /* NULL = none */
    int width, height;
    const char *lang;
    const char *font_path;
    int font_index;
    bool check; /* verify fit, overlap, glyphs, non-blank at every shot */
} kiosk_script_config_t;

/* Runs the script. 0, or -1 with "FILE:LINE: what" in err. */
int kiosk_script_run(kiosk_shell_t *shell, const kiosk_script_config_t *cfg,
                     char *err, size_t err_len);

#endif
