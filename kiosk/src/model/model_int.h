/*
 * model_int.h — the kiosk model's state, shared by the files of the model
 * library (rules in model.c, local figures in stats.c, layout in
 * screens.c). Private: nothing outside kiosk/src/model includes it.
 */
#ifndef KIOSK_MODEL_INT_H
#define KIOSK_MODEL_INT_H

#include "kiosk/model.h"
#include "strings.h"

#define KIOSK_PIN_MAX 8
#define KIOSK_PIN_TRIES 5
#define KIOSK_PIN_LOCK_MS 60000
#define KIOSK_THANKS_MS 5000
#define KIOSK_MAX_PIN_RECORDS 64

/* Which text field the on-screen keyboard edits. */
typedef enum {
    FIELD_TITLE = 0,
    FIELD_BODY,
    FIELD_NOTE,
} field_t;

/* What the one save in flight is for. */
typedef enum {
    SAVING_NONE = 0,
    SAVING_CHECKIN,
    SAVING_SUGGESTION,
    SAVING_VOTE,
    SAVING_RATING,
} saving_t;

typedef struct {
    char staff_id[PROTO_ID_MAX + 1];
    int fails;
    int64_t locked_until;
} pin_record_t;

/* A suggestion as the board shows it: the feed's copy or one captured
 * here and not in the feed yet. */
typedef struct {
    proto_suggestion_t s; /* heap strings owned by the model */
    bool local_only;
} board_item_t;

struct kiosk_model {
    kiosk_strings_t *strings[2];
    kiosk_lang_t lang;
    int width, height;
    double scale;  /* pixels per layout unit */
    double vw, vh; /* virtual canvas in layout units */
    int64_t idle_timeout_ms;
    int64_t now_ms, last_activity_ms;
    int tz_offset_s;
    char site_id[PROTO_ID_MAX + 1];
    char kiosk_id[PROTO_ID_MAX + 1];
    char *missing;
    char data_dir[1024];
    bool can_capture;
    bool first_run_dismissed;
    const kiosk_ime_t *ime;
    const kiosk_similar_t *similar;

    proto_catalogue_t *cat, *pending_cat;
    const proto_site_t *site;

    kiosk_screen_t screen;
    kiosk_screen_t after_identify;
    bool identify_managers;         /* meeting: leads and managers with a PIN */
    const proto_staff_t *staff;     /* identified */
    const proto_staff_t *pin_staff; /* on the PIN pad */
    char pin[KIOSK_PIN_MAX + 1];
    char pin_msg[256];
    pin_record_t pins[KIOSK_MAX_PIN_RECORDS];
    size_t n_pins;
    int page;

    /* check-in */
    const proto_process_def_t *proc;
    const proto_step_def_t *step;
    double values[PROTO_MAX_MEASURES];
    int quality;
    char note[PROTO_NOTE_MAX + 1];
    int numpad_measure;
    char numpad[16];
    double earned; /* points of the last saved check-in */

    /* suggest */
    proto_suggestion_kind_t kind;
    const proto_process_def_t *sg_proc;
    const proto_step_def_t *sg_step;
    char title[PROTO_TITLE_MAX + 1];
    char body[PROTO_BODY_MAX + 1];
    bool anonymous;

    /* keyboard */
    field_t field;
    bool shift;
    kiosk_screen_t kb_return;
    bool ime_en;     /* 英 mode: letters are Latin even with an IME */
    bool ime_chosen; /* the person picked 中/英 in this interaction */
    bool symbols;    /* the top row shows punctuation, not digits */
    bool quote_open; /* a typed " opens “ and closes ” in turn */

    /* similar suggestions found through the hook for sim_title */
    bool sim_valid;
    char sim_title[PROTO_TITLE_MAX + 1];
    char sim_ids[3][PROTO_ID_MAX + 1];
    size_t n_sim;
    /* "you +1'd" confirmation after a +1 from the Suggest screen */
    bool vote_from_suggest;
    char voted_title[PROTO_TITLE_MAX + 1];

    /* guide */
    const proto_process_def_t *guide_proc;
    const proto_step_def_t *guide_step;

    /* rating */
    const proto_staff_t *rated;
    int score;
    int64_t thanks_at;

    /* saving */
    saving_t saving;
    char vote_target[PROTO_ID_MAX + 1];
    char error[600];

    /* what the shell told us */
    kiosk_sync_figures_t sync;
    board_item_t *feed; /* the feed's suggestions */
    size_t n_feed;
    proto_standing_t *standings;
    size_t n_standings;
    proto_event_t *history; /* events captured here (outbox + saved) */
    size_t n_history, cap_history;
    /* meeting mode: the last agenda from syncd (type 0 = none yet) */
    proto_msg_t agenda;
    int64_t agenda_fetched_ms;
    bool agenda_pending;    /* asked, no answer yet */
    /* the week meeting mode asks for: "" = the current one, else the one
     * before it ("2026-W47"), chosen with the week button */
    char agenda_week[PROTO_SHORT_MAX + 1];
    int agenda_code;        /* the last request failed with this; 0 = ok */
    char agenda_error[300]; /* and why */
    int meeting_tab;        /* 0 scoreboard, 1 exceptions, 2 decisions */

    /* derived, rebuilt after every update */
    board_item_t *board; /* feed + local-only, ranked; points into feed */
    size_t n_board;
    kiosk_widget_t *w;
    size_t n_w, cap_w;
    /* the tree of kiosk_model_preview_tap (preview.c): a buffer of its
     * own, so the current tree stays valid */
    kiosk_widget_t *pw;
    size_t n_pw, cap_pw;
    int cur_parent;
    bool oom; /* a widget could not be added */

    kiosk_effect_t *fx;
    size_t n_fx;
};

/* ---- model.c */
const char *kiosk_tr(const kiosk_model_t *m, const char *key);
const char *kiosk_text(const kiosk_model_t *m, const proto_text_t *t);

/* ---- stats.c: figures from the events captured here */
int64_t kiosk_day_of(const kiosk_model_t *m, int64_t ms);
int64_t kiosk_week_of(const kiosk_model_t *m, int64_t ms);
/* The ISO week before week, into out ("2026-W01" -> "2025-W52",
 * "2027-W01" -> "2026-W53"); PROTO_EINVAL when week is not "YYYY-Www". */
int kiosk_iso_week_before(const char *week, char *out, size_t out_len);
/* Sum of measure key of step by staff today. */
double kiosk_today_total(const kiosk_model_t *m, const char *staff_id,
                         const char *step_id, const char *key);
/* Points before any daily cap of one check-in. */
double kiosk_checkin_points(const proto_step_def_t *step,
                            const proto_event_t *ev);
/* Points of staff on the day of ms (daily caps applied), optionally
 * excluding the event with seq skip (0 = none). */
double kiosk_day_points(const kiosk_model_t *m, const char *staff_id,
                        int64_t ms, uint64_t skip_seq);
double kiosk_week_points(const kiosk_model_t *m, const char *staff_id);
/* The team's place among the site's teams this week by local points:
 * *rank 1-based, *of teams. */
void kiosk_team_rank(const kiosk_model_t *m, const char *team_id, int *rank,
                     int *of, double *points);
/* Does staff currently support suggestion id (last local vote)? */
bool kiosk_voted(const kiosk_model_t *m, const char *staff_id,
                 const char *suggestion_id);
/* Votes cast here not yet acknowledged: the change they make to the
 * feed's count (from_zero: all votes cast here, for a suggestion the feed
 * does not know yet). */
int kiosk_vote_delta(const kiosk_model_t *m, const char *suggestion_id,
                     bool from_zero);
/* Rebuilds m->board from the feed and local suggestions. */
int kiosk_board_rebuild(kiosk_model_t *m);
void kiosk_suggestion_free(proto_suggestion_t *s);
int kiosk_suggestion_copy(proto_suggestion_t *dst,
                          const proto_suggestion_t *src);

/* ---- model.c: the keyboard's input method */
/* The IME takes letters now: set, ready and in 中 mode. */
bool kiosk_ime_active(const kiosk_model_t *m);
kiosk_ime_state_t kiosk_ime_state(const kiosk_model_t *m);
/* What a punctuation key id (without "k-") types in the current mode, or
 * NULL when it is not one. */
const char *kiosk_punct_text(const kiosk_model_t *m, const char *name);
/* Code points in s. */
size_t kiosk_utf8_len(const char *s);
/* Does the title share three consecutive characters with other? */
bool kiosk_shares_trigram(const char *title, const char *other);

/* ---- screens.c */
int kiosk_screens_build(kiosk_model_t *m);

#endif
