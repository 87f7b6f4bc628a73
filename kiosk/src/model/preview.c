/*
 * preview.c — the screen a tap would open, built without opening it.
 *
 * Why: the first frame of a screen lays out and rasterises every string
 * it has not shown before, which on the kiosk's CPU is longer than a
 * frame (docs/PERFORMANCE.md). A person takes a few hundred milliseconds
 * between taps; in that time the app renders the text of the screens one
 * tap away, and needs their widget trees for it, exactly as they will be
 * laid out (the text cache is keyed by text, size and box).
 *
 * How: the navigation rules of on_tap (model.c) are repeated here only
 * for the taps that open a screen, as the fields they set (screen,
 * person, process, step...); the whole state is copied aside, those
 * fields are set, the screen is built into the preview's own buffer, and
 * the state is put back. The builders (screens.c) only read the state
 * besides the widget list, the page (clamped) and the current parent, all
 * of which the copy restores. A tap foreseen wrongly costs only a cache
 * miss later: what is drawn always comes from the real tree.
 *
 * The screens after a save are foreseen too (check-in saved, rating
 * thanks), as the save would leave the state: for the check-in, the
 * event confirm would save is put in the history for the build (with a
 * seq no saved event has), so that its totals, points and standing read
 * as they will, then dropped with the rest of the copy. Home alone is
 * kiosk_model_preview_home, for the start-up.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

static bool prefix(const char *id, const char *p, const char **rest)
{
    size_t n = strlen(p);
    if (strncmp(id, p, n) != 0)
        return false;
    *rest = id + n;
    return true;
}

/* Where back() goes from the current screen; false where it stays. */
static bool back_target(kiosk_model_t *m)
{
    switch (m->screen) {
    case KIOSK_SCREEN_PIN:
        m->pin_staff = NULL;
        m->screen = KIOSK_SCREEN_IDENTIFY;
        return true;
    case KIOSK_SCREEN_CHECKIN_STEP:
        m->screen = KIOSK_SCREEN_CHECKIN_PROCESS;
        return true;
    case KIOSK_SCREEN_CHECKIN_MEASURES:
        m->screen = KIOSK_SCREEN_CHECKIN_STEP;
        return m->proc != NULL;
    case KIOSK_SCREEN_NUMPAD:
        m->screen = KIOSK_SCREEN_CHECKIN_MEASURES;
        return m->step != NULL;
    case KIOSK_SCREEN_GUIDE_PROCESS:
        m->screen = KIOSK_SCREEN_GUIDE;
        return true;
    case KIOSK_SCREEN_GUIDE_STEP:
        m->screen = KIOSK_SCREEN_GUIDE_PROCESS;
        return m->guide_proc != NULL;
    case KIOSK_SCREEN_RATING_FACES:
        m->screen = KIOSK_SCREEN_RATING_STAFF;
        return true;
    case KIOSK_SCREEN_MEETING:
        m->staff = NULL;
        m->screen = KIOSK_SCREEN_HOME;
        return true;
    case KIOSK_SCREEN_KEYBOARD:
        m->screen = m->kb_return;
        return true;
    case KIOSK_SCREEN_SUGGEST_TARGET:
        m->screen = KIOSK_SCREEN_SUGGEST;
        return true;
    case KIOSK_SCREEN_FIRST_RUN:
    case KIOSK_SCREEN_HOME:
        return false;
    default:
        m->screen = KIOSK_SCREEN_HOME;
        return true;
    }
}

/* A Home tile, as open_tile() opens it; meeting mode is not foreseen
 * (opening it asks syncd for the agenda). */
static bool tile_target(kiosk_model_t *m, const char *id)
{
    static const struct {
        const char *id;
        kiosk_screen_t target;
        bool needs_person;
    } tiles[] = {
        {"tile-checkin", KIOSK_SCREEN_CHECKIN_PROCESS, true},
        {"tile-suggest", KIOSK_SCREEN_SUGGEST, true},
        {"tile-board", KIOSK_SCREEN_BOARD, false},
        {"tile-guide", KIOSK_SCREEN_GUIDE, false},
        {"tile-me", KIOSK_SCREEN_ME, true},
        {"tile-rating", KIOSK_SCREEN_RATING_STAFF, false},
    };
    for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++) {
        if (strcmp(id, tiles[i].id) != 0)
            continue;
        m->identify_managers = false;
        m->after_identify = tiles[i].target;
        m->screen = tiles[i].needs_person && !m->staff ? KIOSK_SCREEN_IDENTIFY
                                                       : tiles[i].target;
        return true;
    }
    return false;
}

/* The on-screen keyboard for field f, as open_keyboard() opens it (the
 * input method is not reset: nothing may change outside the model). */
static bool keyboard_target(kiosk_model_t *m, field_t f)
{
    m->kb_return = m->screen;
    m->field = f;
    m->shift = false;
    m->symbols = false;
    if (!m->ime_chosen)
        m->ime_en = m->lang == KIOSK_LANG_EN;
    m->screen = KIOSK_SCREEN_KEYBOARD;
    return true;
}

/* A seq the outbox never gives (it counts up from 1): the foreseen
 * check-in's, so that kiosk_day_points can leave it out. */
#define PREVIEW_SEQ UINT64_MAX

/* confirm on the measures screen, as save_checkin and then on_saved
 * leave the state: the event in the history (the caller made room for
 * it: the history is not grown here, since the copy put back afterwards
 * would hold the old array), the points it earned, the saved screen. */
static bool saved_target(kiosk_model_t *m)
{
    if (!m->staff || !m->step || !m->cat || m->n_history >= m->cap_history)
        return false;
    proto_event_t *ev = &m->history[m->n_history];
    memset(ev, 0, sizeof *ev);
    ev->type = PROTO_EV_CHECKIN;
    ev->seq = PREVIEW_SEQ;
    ev->captured_ms = m->now_ms;
    snprintf(ev->kiosk_id, sizeof ev->kiosk_id, "%s", m->kiosk_id);
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", m->staff->id);
    snprintf(ev->step_id, sizeof ev->step_id, "%s", m->step->id);
    ev->catalogue_version = m->cat->version;
    for (size_t i = 0; i < m->step->n_measures && i < PROTO_MAX_MEASURES; i++) {
        if (m->values[i] <= 0)
            continue;
        snprintf(ev->measures[ev->n_measures].key, sizeof ev->measures[0].key,
                 "%s", m->step->measures[i].id);
        ev->measures[ev->n_measures].value = m->values[i];
        ev->n_measures++;
    }
    ev->quality = (uint8_t)(m->step->asks_quality ? m->quality : 0);
    m->n_history++;
    m->earned = kiosk_day_points(m, m->staff->id, ev->captured_ms, 0) -
                kiosk_day_points(m, m->staff->id, ev->captured_ms, PREVIEW_SEQ);
    m->screen = KIOSK_SCREEN_CHECKIN_SAVED;
    return true;
}

/* Room for one more event in the history, as add_history grows it: the
 * only change a preview makes outside its own buffer (capacity, nothing
 * the kiosk shows). 0 or -1 (out of memory: confirm is not foreseen). */
static int history_room(kiosk_model_t *m)
{
    if (m->n_history < m->cap_history)
        return 0;
    size_t cap = m->cap_history ? m->cap_history * 2 : 64;
    proto_event_t *grown = realloc(m->history, cap * sizeof *grown);
    if (!grown)
        return -1;
    m->history = grown;
    m->cap_history = cap;
    return 0;
}

/* Sets the fields the tap would set; false when it opens no screen that
 * is foreseen. */
static bool tap_target(kiosk_model_t *m, const char *id)
{
    const char *rest;
    if (strcmp(id, "back") == 0 ||
        (m->screen == KIOSK_SCREEN_KEYBOARD && strcmp(id, "k-done") == 0))
        return back_target(m);
    if (strcmp(id, "logout") == 0 ||
        (m->screen == KIOSK_SCREEN_FIRST_RUN && strcmp(id, "continue") == 0)) {
        m->staff = NULL;
        m->screen = KIOSK_SCREEN_HOME;
        return true;
    }
    switch (m->screen) {
    case KIOSK_SCREEN_HOME:
        return m->cat && tile_target(m, id);
    case KIOSK_SCREEN_IDENTIFY:
    case KIOSK_SCREEN_RATING_STAFF: {
        const proto_staff_t *st = prefix(id, "staff-", &rest) && m->site
                                      ? proto_catalogue_staff(m->site, rest)
                                      : NULL;
        if (!st)
            return false;
        if (m->screen == KIOSK_SCREEN_RATING_STAFF) {
            m->rated = st;
            m->score = 0;
            m->screen = KIOSK_SCREEN_RATING_FACES;
            return true;
        }
        if (st->pin_hash && st->pin_hash[0]) {
            m->pin_staff = st;
            m->pin[0] = '\0';
            m->pin_msg[0] = '\0';
            m->screen = KIOSK_SCREEN_PIN;
            return true;
        }
        m->staff = st;
        switch (m->after_identify) {
        case KIOSK_SCREEN_CHECKIN_PROCESS:
        case KIOSK_SCREEN_SUGGEST:
        case KIOSK_SCREEN_BOARD:
        case KIOSK_SCREEN_ME:
            m->screen = m->after_identify;
            return true;
        default:
            return false;
        }
    }
    case KIOSK_SCREEN_CHECKIN_PROCESS:
    case KIOSK_SCREEN_GUIDE: {
        const proto_process_def_t *p =
            prefix(id, "proc-", &rest) && m->cat
                ? proto_catalogue_process(m->cat, rest)
                : NULL;
        if (!p)
            return false;
        if (m->screen == KIOSK_SCREEN_GUIDE) {
            m->guide_proc = p;
            m->screen = KIOSK_SCREEN_GUIDE_PROCESS;
        } else {
            m->proc = p;
            m->screen = KIOSK_SCREEN_CHECKIN_STEP;
        }
        return true;
    }
    case KIOSK_SCREEN_CHECKIN_STEP:
    case KIOSK_SCREEN_GUIDE_PROCESS: {
        const proto_step_def_t *s = prefix(id, "step-", &rest) && m->cat
                                        ? proto_catalogue_step(m->cat, rest)
                                        : NULL;
        if (!s)
            return false;
        if (m->screen == KIOSK_SCREEN_GUIDE_PROCESS) {
            m->guide_step = s;
            m->screen = KIOSK_SCREEN_GUIDE_STEP;
        } else {
            m->step = s;
            memset(m->values, 0, sizeof m->values);
            m->quality = 0;
            m->note[0] = '\0';
            m->screen = KIOSK_SCREEN_CHECKIN_MEASURES;
        }
        return true;
    }
    case KIOSK_SCREEN_CHECKIN_MEASURES:
        if (strcmp(id, "note") == 0)
            return keyboard_target(m, FIELD_NOTE);
        if (strcmp(id, "confirm") == 0)
            return saved_target(m);
        if (prefix(id, "value-", &rest) && m->step) {
            for (size_t i = 0; i < m->step->n_measures; i++) {
                if (strcmp(m->step->measures[i].id, rest) != 0)
                    continue;
                m->numpad_measure = (int)i;
                m->numpad[0] = '\0';
                m->screen = KIOSK_SCREEN_NUMPAD;
                return true;
            }
        }
        return false;
    case KIOSK_SCREEN_CHECKIN_SAVED:
        if (strcmp(id, "again") == 0) { /* as on_tap: a new capture */
            memset(m->values, 0, sizeof m->values);
            m->quality = 0;
            m->note[0] = '\0';
            m->screen = KIOSK_SCREEN_CHECKIN_PROCESS;
            return true;
        }
        if (strcmp(id, "done") == 0) { /* go_home, logging out */
            m->staff = NULL;
            m->screen = KIOSK_SCREEN_HOME;
            return true;
        }
        return false;
    case KIOSK_SCREEN_RATING_FACES: {
        /* save_rating, then on_saved: the thanks screen */
        int score = prefix(id, "face-", &rest) ? atoi(rest) : 0;
        if (score < 1 || score > 5 || !m->rated)
            return false;
        m->score = score;
        m->thanks_at = m->now_ms;
        m->screen = KIOSK_SCREEN_RATING_THANKS;
        return true;
    }
    case KIOSK_SCREEN_RATING_THANKS:
        if (strcmp(id, "done") != 0)
            return false;
        m->screen = KIOSK_SCREEN_HOME; /* go_home, still identified */
        return true;
    case KIOSK_SCREEN_SUGGEST:
        if (strcmp(id, "title") == 0)
            return keyboard_target(m, FIELD_TITLE);
        if (strcmp(id, "body") == 0)
            return keyboard_target(m, FIELD_BODY);
        if (strcmp(id, "target") == 0) {
            m->screen = KIOSK_SCREEN_SUGGEST_TARGET;
            return true;
        }
        return false;
    default:
        return false;
    }
}

/* Builds the screen the state would show once target(state, id) has set
 * its fields, into the preview's buffer, and puts the state back. */
static const kiosk_widget_t *
preview(kiosk_model_t *self, bool (*target)(kiosk_model_t *, const char *),
        const char *id, size_t *n)
{
    kiosk_model_t *saved = malloc(sizeof *saved);
    if (!saved)
        return NULL;
    *saved = *self;
    const kiosk_widget_t *out = NULL;
    if (target(self, id)) {
        self->page = 0;
        self->error[0] = '\0';
        /* build into the preview's buffer: the builders append to w */
        self->w = saved->pw;
        self->cap_w = saved->cap_pw;
        self->n_w = 0;
        int rc = kiosk_screens_build(self);
        saved->pw = self->w;
        saved->cap_pw = self->cap_w;
        saved->n_pw = rc == 0 ? self->n_w : 0;
        if (rc == 0) {
            out = saved->pw;
            *n = saved->n_pw;
        }
    }
    *self = *saved;
    sodium_memzero(saved->pin, sizeof saved->pin); /* the copy's PIN */
    free(saved);
    return out;
}

const kiosk_widget_t *kiosk_model_preview_tap(kiosk_model_t *self,
                                              const char *id, size_t *n)
{
    *n = 0;
    if (!self || !id)
        return NULL;
    if (self->screen == KIOSK_SCREEN_CHECKIN_MEASURES &&
        strcmp(id, "confirm") == 0 && history_room(self) != 0)
        return NULL;
    return preview(self, tap_target, id, n);
}

/* Home with nobody identified, as log-out, the first-run screen's
 * continue and the idle timeout open it. */
static bool home_target(kiosk_model_t *m, const char *unused)
{
    (void)unused;
    m->staff = NULL;
    m->screen = KIOSK_SCREEN_HOME;
    return true;
}

const kiosk_widget_t *kiosk_model_preview_home(kiosk_model_t *self, size_t *n)
{
    *n = 0;
    if (!self)
        return NULL;
    return preview(self, home_target, "", n);
}

/* The rating faces, for the site's first staff member: the faces are the
 * same for everyone, only the name above them differs. */
static bool faces_target(kiosk_model_t *m, const char *unused)
{
    (void)unused;
    if (!m->site || m->site->n_staff == 0)
        return false;
    m->staff = NULL;
    m->rated = &m->site->staff[0];
    m->score = 0;
    m->screen = KIOSK_SCREEN_RATING_FACES;
    return true;
}

const kiosk_widget_t *kiosk_model_preview_faces(kiosk_model_t *self,
                                                size_t *n)
{
    *n = 0;
    if (!self)
        return NULL;
    return preview(self, faces_target, "", n);
}
