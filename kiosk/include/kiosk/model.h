/*
 * model.h — the kiosk's screens, state and rules, without SDL or ZeroMQ.
 *
 * Why it exists: everything a person can do at the kiosk is decided here,
 * so the whole UI flow can be driven and tested headless. The model is a
 * state machine stepped by kiosk_model_update(model, input, now_ms):
 *
 *   inputs   taps (on a widget id or at window coordinates), typed text,
 *            named keys, clock ticks, window size and language changes,
 *            and the results the shell feeds back (event saved with its
 *            seq, save failed with a message, sync status, a new
 *            catalogue, a new feed, events from the outbox history);
 *   effects  what the model wants done outside itself (save this event
 *            durably, ask the sync thread to push now), taken by the shell
 *            with kiosk_model_take_effects() and answered with inputs;
 *   widgets  the widget tree of the current screen, laid out for the
 *            current window size (kiosk_model_widgets()), which the view
 *            draws and the headless runner dumps.
 *
 * The model never claims something is saved before the shell answered
 * KIOSK_IN_SAVED for it, and it applies a new catalogue only between
 * interactions (at Home with nobody identified).
 *
 * Layout: every screen is laid out on a virtual canvas whose short side is
 * 480 units (800×480 landscape, 853×480 for 16:9, 480×853 portrait), then
 * scaled to window pixels, so 800×480, 1920×1080 and 1080×1920 all get the
 * same proportions. Touch targets are at least 48 units (≥ 9 mm on the
 * screens this kiosk ships on).
 *
 * Ownership: the model owns what it is given through inputs unless said
 * otherwise (see kiosk_input_t). Widgets returned by kiosk_model_widgets()
 * live until the next kiosk_model_update() or kiosk_model_destroy().
 */
#ifndef KIOSK_MODEL_H
#define KIOSK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/catalogue.h"
#include "protocol/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiosk_model kiosk_model_t;

/* ---- Errors. 0 is success; negative codes from one X-macro. */
#define KIOSK_MODEL_ERRNO_MAP(X)                                               \
    X(EINVAL, 1, "invalid argument")                                           \
    X(ENOMEM, 2, "out of memory")                                              \
    X(ENOWIDGET, 3, "no widget with that id on this screen")                   \
    X(ENOHIT, 4, "the tap hit no button")                                      \
    X(EDISABLED, 5, "that button is disabled right now")                       \
    X(ESTRINGS, 6, "the UI strings could not be loaded")

typedef enum {
#define KIOSK_MODEL_ERRNO_ENUM(name, num, text) KIOSK_MODEL_##name = -(num),
    KIOSK_MODEL_ERRNO_MAP(KIOSK_MODEL_ERRNO_ENUM)
#undef KIOSK_MODEL_ERRNO_ENUM
} kiosk_model_errno_t;

const char *kiosk_model_strerror(int code);

/* ---- Languages */
typedef enum {
    KIOSK_LANG_ZH = 0, /* zh-CN, the default */
    KIOSK_LANG_EN = 1,
} kiosk_lang_t;

/* ---- Screens. Names (kiosk_screen_name) are what scripts expect. */
#define KIOSK_SCREEN_MAP(X)                                                    \
    X(FIRST_RUN, "first-run")                                                  \
    X(HOME, "home")                                                            \
    X(IDENTIFY, "identify")                                                    \
    X(PIN, "pin")                                                              \
    X(CHECKIN_PROCESS, "checkin-process")                                      \
    X(CHECKIN_STEP, "checkin-step")                                            \
    X(CHECKIN_MEASURES, "checkin-measures")                                    \
    X(NUMPAD, "numpad")                                                        \
    X(CHECKIN_SAVED, "checkin-saved")                                          \
    X(SUGGEST, "suggest")                                                      \
    X(SUGGEST_TARGET, "suggest-target")                                        \
    X(KEYBOARD, "keyboard")                                                    \
    X(SUGGEST_SAVED, "suggest-saved")                                          \
    X(SUGGEST_VOTED, "suggest-voted")                                          \
    X(BOARD, "board")                                                          \
    X(GUIDE, "guide")                                                          \
    X(GUIDE_PROCESS, "guide-process")                                          \
    X(GUIDE_STEP, "guide-step")                                                \
    X(ME, "me")                                                                \
    X(RATING_STAFF, "rating-staff")                                            \
    X(RATING_FACES, "rating-faces")                                            \
    X(RATING_THANKS, "rating-thanks")                                          \
    X(MEETING, "meeting")

typedef enum {
#define KIOSK_SCREEN_ENUM(name, text) KIOSK_SCREEN_##name,
    KIOSK_SCREEN_MAP(KIOSK_SCREEN_ENUM)
#undef KIOSK_SCREEN_ENUM
        KIOSK_SCREEN_COUNT
} kiosk_screen_t;

const char *kiosk_screen_name(kiosk_screen_t s); /* "home"...; never NULL */

/* ---- Widgets: what the view draws and the dump lists. */
typedef enum {
    KIOSK_W_PANEL = 0, /* a background area or card */
    KIOSK_W_LABEL,     /* text */
    KIOSK_W_BUTTON,    /* tappable text */
    KIOSK_W_TILE,      /* a big home tile */
    KIOSK_W_KEY,       /* keyboard / number pad key */
    KIOSK_W_FIELD,     /* a text field showing entered text */
    KIOSK_W_PROGRESS,  /* value = permille done */
    KIOSK_W_STAR,      /* value = 1 filled, 0 empty */
    KIOSK_W_FACE,      /* value = 1..5: very unhappy .. very happy */
    KIOSK_W_SWITCH,    /* value = 1 on */
    KIOSK_W_BADGE,     /* small status label with a coloured background */
    KIOSK_W_DOTS,      /* PIN dots: value = entered, aux = shown total */
} kiosk_widget_kind_t;

const char *kiosk_widget_kind_name(kiosk_widget_kind_t k);

typedef enum {
    KIOSK_TONE_NORMAL = 0,
    KIOSK_TONE_PRIMARY, /* the main action of a screen */
    KIOSK_TONE_OK,      /* saved, online, on target */
    KIOSK_TONE_WARN,    /* offline, waiting, below target */
    KIOSK_TONE_DANGER,  /* errors, lockout, withdraw */
    KIOSK_TONE_MUTED,   /* secondary text */
    KIOSK_TONE_HEADER,  /* top bar */
} kiosk_tone_t;

enum {
    KIOSK_WF_TAPPABLE = 1u << 0,
    KIOSK_WF_SELECTED = 1u << 1,
    KIOSK_WF_DISABLED = 1u << 2,
    KIOSK_WF_MULTILINE = 1u << 3, /* text may wrap onto several lines */
    KIOSK_WF_LEFT = 1u << 4,      /* align left (default: centred) */
    KIOSK_WF_RIGHT = 1u << 5,
};

#define KIOSK_WIDGET_ID_MAX 96
#define KIOSK_WIDGET_TEXT_MAX 1024

typedef struct {
    char id[KIOSK_WIDGET_ID_MAX];
    kiosk_widget_kind_t kind;
    int x, y, w, h; /* window pixels */
    int font_px;    /* text size in pixels; 0 = no text */
    unsigned flags; /* KIOSK_WF_* */
    kiosk_tone_t tone;
    int value, aux; /* kind-specific, see kiosk_widget_kind_t */
    int parent;     /* index of the containing card/panel, -1 = none */
    char text[KIOSK_WIDGET_TEXT_MAX];
} kiosk_widget_t;

/* ---- Inputs */
typedef enum {
    KIOSK_IN_TICK = 0,    /* the clock moved; nothing else */
    KIOSK_IN_TAP_ID,      /* tap the widget named id */
    KIOSK_IN_TAP_XY,      /* tap at window pixel x, y */
    KIOSK_IN_TEXT,        /* UTF-8 text typed (physical keyboard) */
    KIOSK_IN_KEY,         /* named key: backspace enter escape pageup
                             pagedown */
    KIOSK_IN_RESIZE,      /* window is now w × h pixels */
    KIOSK_IN_LANG,        /* switch language */
    KIOSK_IN_SAVED,       /* the event of the last KIOSK_FX_SAVE is
                             durable; event carries its seq (copied) */
    KIOSK_IN_SAVE_FAILED, /* it is not: text says why (copied) */
    KIOSK_IN_SYNC_STATUS, /* sync figures changed */
    KIOSK_IN_CATALOGUE,   /* a catalogue: the model takes ownership of
                             catalogue and clears the input's pointer */
    KIOSK_IN_FEED,        /* cached suggestions and standings (copied) */
    KIOSK_IN_HISTORY,     /* one event kept in the outbox (copied) */
    KIOSK_IN_AGENDA,      /* meeting agenda from syncd: agenda (an AGENDA
                             message, copied) fetched at fetched_ms; or
                             agenda NULL: the request failed with code
                             (a PROTO_E* value; PROTO_EUNKNOWNMSG = the
                             server has no agenda) and text says why */
} kiosk_input_kind_t;

typedef enum {
    KIOSK_NET_OFFLINE = 0,
    KIOSK_NET_ONLINE,
    KIOSK_NET_NOT_ENROLLED,
    KIOSK_NET_REVOKED,
    KIOSK_NET_INCOMPATIBLE, /* no common protocol version */
} kiosk_net_t;

typedef struct {
    kiosk_net_t link;     /* the sync thread's view of the link */
    uint64_t waiting;     /* events not yet acknowledged */
    uint64_t acked_seq;   /* server's high-water mark */
    int64_t last_sync_ms; /* wall clock of the last ACK; 0 = never */
    uint64_t rejected;    /* events the server set aside */
} kiosk_sync_figures_t;

typedef struct {
    kiosk_input_kind_t kind;
    const char *id;               /* TAP_ID */
    int x, y;                     /* TAP_XY */
    int w, h;                     /* RESIZE */
    const char *text;             /* TEXT, KEY (name), SAVE_FAILED (message) */
    kiosk_lang_t lang;            /* LANG */
    const proto_event_t *event;   /* SAVED, HISTORY */
    kiosk_sync_figures_t sync;    /* SYNC_STATUS */
    proto_catalogue_t *catalogue; /* CATALOGUE (ownership moves) */
    const proto_suggestion_t *suggestions; /* FEED */
    size_t n_suggestions;
    const proto_standing_t *standings;
    size_t n_standings;
    const proto_msg_t *agenda; /* AGENDA */
    int64_t fetched_ms;        /* AGENDA: kiosk wall clock */
    int code;                  /* AGENDA: error when agenda is NULL */
} kiosk_input_t;

/* ---- Effects: what the model asks the shell to do. */
typedef enum {
    KIOSK_FX_SAVE = 1, /* append event to the outbox durably, then answer
                          KIOSK_IN_SAVED or KIOSK_IN_SAVE_FAILED */
    KIOSK_FX_SYNC_NOW, /* new events wait: ask the sync thread to push */
    KIOSK_FX_AGENDA,   /* meeting mode opened or refreshed: fetch the
                          agenda of `week`, answer KIOSK_IN_AGENDA */
} kiosk_effect_kind_t;

typedef struct {
    kiosk_effect_kind_t kind;
    proto_event_t event; /* SAVE: kiosk_id, seq, times are filled by the
                            outbox */
    char week[PROTO_SHORT_MAX + 1]; /* AGENDA: ISO week, "" = the current */
} kiosk_effect_t;

/* Frees a list taken with kiosk_model_take_effects() and clears it. */
void kiosk_effects_free(kiosk_effect_t **list_p, size_t n);

/* ---- Input method hook (pinyin: kiosk/src/app/ime_rime.c). When set and
 *      ready, and the keyboard is in 中 mode, every letter key typed on the
 *      on-screen or physical keyboard goes to the input method first; what
 *      it commits is inserted into the field, and its preedit and the
 *      current page of candidates are shown above the keys. In 英 mode,
 *      while it is still preparing, or when it failed, keys are Latin. */
typedef enum {
    KIOSK_IME_OFF = 0,   /* not started: the keyboard is Latin only, as
                            without an input method */
    KIOSK_IME_PREPARING, /* deploying its data: Latin keys work, the
                            candidate bar says "preparing" */
    KIOSK_IME_READY,
    KIOSK_IME_FAILED, /* could not start: Latin keys, the bar says so */
} kiosk_ime_state_t;

typedef struct {
    void *ctx;
    /* Offers one key ("a".."z", "backspace", "space", "enter"). Returns
     * true when consumed. Committed text, if any, is written to commit
     * (NUL-terminated, at most commit_len bytes). */
    bool (*key)(void *ctx, const char *key, char *commit, size_t commit_len);
    const char *(*preedit)(void *ctx); /* "" when none */
    /* Candidate i of the current page; NULL past the page's last. */
    const char *(*candidate)(void *ctx, size_t i);
    /* Picks candidate i of the current page; its text goes to commit. */
    bool (*select)(void *ctx, size_t i, char *commit, size_t commit_len);
    void (*reset)(void *ctx);
    /* NULL = always KIOSK_IME_READY. */
    kiosk_ime_state_t (*state)(void *ctx);
    /* Turns the candidate page: dir +1 next, -1 previous. false when there
     * is no such page. NULL = one page only. */
    bool (*page)(void *ctx, int dir);
    /* Whether a previous / next page exists (for the ‹ › buttons). */
    void (*paging)(void *ctx, bool *has_prev, bool *has_next);
} kiosk_ime_t;

/* ---- Similar-suggestion hook (kiosk/src/app/similar.c: SQLite FTS5
 *      trigram over the feed cache). Ids of cached suggestions whose title
 *      looks like title, best first, at most max; returns how many, or a
 *      negative code (then the Suggest screen lists none). Only called for
 *      titles of 3 characters or more (trigrams need 3). */
typedef struct {
    void *ctx;
    int (*search)(void *ctx, const char *title, char (*ids)[PROTO_ID_MAX + 1],
                  size_t max);
} kiosk_similar_t;

/* ---- The model */
typedef struct {
    const char *strings_dir; /* assets/strings: zh-CN.strings, en.strings */
    kiosk_lang_t lang;
    int width, height;       /* window pixels */
    int64_t idle_timeout_ms; /* 0 = 60 s */
    int tz_offset_s;         /* local time = UTC + this (for "today") */
    const char *site_id;     /* which site of the catalogue; NULL = first */
    const char *kiosk_id;    /* for suggestion ids "<kiosk>:<seq>" */
    /* Not enrolled: the first-run screen says what is missing (one item
     * per line) and how to fix it. NULL or "" when enrolled. */
    const char *missing;    /* newline-separated keys: kiosk_id server
                               server_key kiosk_key */
    const char *data_dir;   /* for the fix-it commands on that screen */
    bool can_capture;       /* false: no kiosk id, the outbox cannot accept */
    const kiosk_ime_t *ime; /* NULL = Latin keyboard only */
    /* NULL = titles compared by the model's own rule (shared CJK pairs,
     * Latin words); set: feed suggestions found through the hook. */
    const kiosk_similar_t *similar;
} kiosk_model_config_t;

/* New model on the Home screen (or first-run). NULL on failure with a
 * readable line in err (e.g. a strings file that cannot be read). */
kiosk_model_t *kiosk_model_new(const kiosk_model_config_t *cfg, char *err,
                               size_t err_len);
void kiosk_model_destroy(kiosk_model_t **self_p);

/* Steps the model. Returns 0, or for taps a negative code
 * (KIOSK_MODEL_ENOWIDGET, KIOSK_MODEL_ENOHIT, KIOSK_MODEL_EDISABLED) that
 * the headless runner reports as a script error; the state is unchanged
 * then. */
int kiosk_model_update(kiosk_model_t *self, kiosk_input_t *in, int64_t now_ms);

/* Moves the effects produced so far to the caller (caller owns *list and
 * frees it with kiosk_effects_free). *list is NULL when there are none. */
int kiosk_model_take_effects(kiosk_model_t *self, kiosk_effect_t **list,
                             size_t *n);

/* The widget tree of the current screen, drawing order (later on top). */
const kiosk_widget_t *kiosk_model_widgets(kiosk_model_t *self, size_t *n);
/* The widget with this id on the current screen, or NULL. */
const kiosk_widget_t *kiosk_model_widget(kiosk_model_t *self, const char *id);

/* The widget tree a tap on widget id of the current screen would show,
 * built from the current state and window size without changing either:
 * nothing is saved, no effect is produced, the current tree stays valid.
 * For the kiosk's idle time, to prepare what the next screen draws (its
 * text). Only taps that open another screen are foreseen (tiles but
 * meeting mode, staff, processes, steps, a measure's number pad, the
 * keyboard, back, log-out, and the screens after a save: confirm's
 * check-in saved, a face's thanks, and their again / done); NULL for the
 * others (keys, values, paging, the suggestion's submit) and when it
 * cannot be built. The tree lives until the next preview or
 * kiosk_model_destroy() (kiosk_model_update() leaves it alone, though
 * what it shows may then be out of date). */
const kiosk_widget_t *kiosk_model_preview_tap(kiosk_model_t *self,
                                              const char *id, size_t *n);
/* Home as it shows with nobody identified (after log-out, the first-run
 * screen's continue, the idle timeout), built like
 * kiosk_model_preview_tap; for the start-up, so that the screen every
 * path comes back to is prepared before the first frame. */
const kiosk_widget_t *kiosk_model_preview_home(kiosk_model_t *self,
                                               size_t *n);
/* The rating faces screen (for the site's first staff member), built
 * like kiosk_model_preview_home; for the start-up, so that the faces'
 * textures, the dearest first frame of all, are made before it. NULL
 * when the site has no staff. */
const kiosk_widget_t *kiosk_model_preview_faces(kiosk_model_t *self,
                                                size_t *n);

kiosk_screen_t kiosk_model_screen(const kiosk_model_t *self);
kiosk_lang_t kiosk_model_lang(const kiosk_model_t *self);
/* The identified staff member's id, or NULL when nobody is. */
const char *kiosk_model_staff(const kiosk_model_t *self);
/* Catalogue version in use (0 = none). */
uint64_t kiosk_model_catalogue_version(const kiosk_model_t *self);
/* A UI string of the current language ("" keys give the key back). */
const char *kiosk_model_string(const kiosk_model_t *self, const char *key);

/* ---- Redraw decision (redraw.c): the window loop draws and presents a
 * frame only when something visible changed. Everything the view draws
 * comes from the widget tree (texts, the clock, the sync line included),
 * so a hash of the tree and the window size decide; window events that
 * lose the picture (exposed, restored...) mark it damaged. */
typedef struct {
    uint64_t hash; /* of the tree last drawn */
    int w, h;      /* window size last drawn */
    bool drawn;    /* a frame has been drawn since start */
    bool damaged;  /* the window lost its picture: draw anyway */
} kiosk_redraw_t;

/* FNV-1a over every field of every widget (texts up to their NUL). */
uint64_t kiosk_widgets_hash(const kiosk_widget_t *w, size_t n);
/* True when a frame must be drawn for this tree (hash from
 * kiosk_widgets_hash) at this window size. */
bool kiosk_redraw_needed(const kiosk_redraw_t *r, uint64_t hash, int w, int h);
/* Records the frame just drawn and presented. */
void kiosk_redraw_done(kiosk_redraw_t *r, uint64_t hash, int w, int h);
/* When, in the model's clock (ms), a tick can next change what it shows
 * without any input: the clock's next minute, the idle timeout, the end
 * of the thanks screen, a PIN lockout's next second; always after the
 * last update's time. The window loop sleeps until then (or until input
 * or a sync report wakes it). */
int64_t kiosk_model_next_wake(const kiosk_model_t *m);

#ifdef __cplusplus
}
#endif
#endif
