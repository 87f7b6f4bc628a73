/*
 * model.c — the kiosk's rules: which screen follows which, who is
 * identified, PIN checks and lockout, what a confirm saves, idle timeout,
 * when a new catalogue applies. No SDL, no ZeroMQ: every input arrives
 * through kiosk_model_update() and every side effect leaves as an effect
 * the shell executes (see model.h).
 */
#include "model_int.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *kiosk_model_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define KIOSK_MODEL_ERRNO_TEXT(name, num, text)                                \
    case -(num):                                                               \
        return text;
        KIOSK_MODEL_ERRNO_MAP(KIOSK_MODEL_ERRNO_TEXT)
#undef KIOSK_MODEL_ERRNO_TEXT
    }
    return "unknown error";
}

const char *kiosk_screen_name(kiosk_screen_t s)
{
    static const char *names[] = {
#define KIOSK_SCREEN_NAME(name, text) text,
        KIOSK_SCREEN_MAP(KIOSK_SCREEN_NAME)
#undef KIOSK_SCREEN_NAME
    };
    return (unsigned)s < KIOSK_SCREEN_COUNT ? names[s] : "?";
}

const char *kiosk_widget_kind_name(kiosk_widget_kind_t k)
{
    static const char *names[] = {"panel", "label",  "button",   "tile",
                                  "key",   "field",  "progress", "star",
                                  "face",  "switch", "badge",    "dots"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

const char *kiosk_tr(const kiosk_model_t *m, const char *key)
{
    return kiosk_strings_get(m->strings[m->lang], key);
}

const char *kiosk_text(const kiosk_model_t *m, const proto_text_t *t)
{
    if (m->lang == KIOSK_LANG_EN && t->en && t->en[0])
        return t->en;
    return t->zh ? t->zh : "";
}

const char *kiosk_model_string(const kiosk_model_t *self, const char *key)
{
    return kiosk_tr(self, key);
}

/* ---- helpers */

static int push_effect(kiosk_model_t *m, kiosk_effect_kind_t kind,
                       proto_event_t *ev);

static void set_screen(kiosk_model_t *m, kiosk_screen_t s)
{
    /* opening meeting mode fetches the latest agenda; until it arrives
     * the screen shows what it has */
    if (s == KIOSK_SCREEN_MEETING && m->screen != KIOSK_SCREEN_MEETING) {
        m->meeting_tab = 0;
        m->agenda_week[0] = '\0';
        m->agenda_pending = push_effect(m, KIOSK_FX_AGENDA, NULL) == 0;
    }
    m->screen = s;
    m->page = 0;
    m->error[0] = '\0';
}

static void resolve_site(kiosk_model_t *m)
{
    m->site = NULL;
    if (!m->cat || m->cat->n_sites == 0)
        return;
    if (m->site_id[0])
        m->site = proto_catalogue_site(m->cat, m->site_id);
    if (!m->site && !m->site_id[0])
        m->site = &m->cat->sites[0];
}

static void clear_capture(kiosk_model_t *m)
{
    m->proc = NULL;
    m->step = NULL;
    memset(m->values, 0, sizeof m->values);
    m->quality = 0;
    m->note[0] = '\0';
    m->numpad[0] = '\0';
    m->kind = PROTO_KIND_PROBLEM;
    m->sg_proc = NULL;
    m->sg_step = NULL;
    m->title[0] = '\0';
    m->body[0] = '\0';
    m->anonymous = false;
    m->shift = false;
    m->guide_proc = NULL;
    m->guide_step = NULL;
    m->rated = NULL;
    m->score = 0;
    m->pin[0] = '\0';
    m->pin_staff = NULL;
    m->vote_target[0] = '\0';
    m->ime_chosen = false;
    m->symbols = false;
    m->quote_open = false;
    m->vote_from_suggest = false;
    m->sim_valid = false;
    if (m->ime && m->ime->reset)
        m->ime->reset(m->ime->ctx);
}

/* A new catalogue applies only here: at Home with nobody identified, so
 * no screen holds a pointer into the old one. */
static void apply_pending_catalogue(kiosk_model_t *m)
{
    if (!m->pending_cat || m->screen != KIOSK_SCREEN_HOME || m->staff ||
        m->saving != SAVING_NONE)
        return;
    proto_catalogue_destroy(&m->cat);
    m->cat = m->pending_cat;
    m->pending_cat = NULL;
    resolve_site(m);
}

static void go_home(kiosk_model_t *m, bool logout)
{
    if (logout)
        m->staff = NULL;
    clear_capture(m);
    set_screen(m, KIOSK_SCREEN_HOME);
    apply_pending_catalogue(m);
}

static const proto_staff_t *site_staff(const kiosk_model_t *m, const char *id)
{
    return m->site ? proto_catalogue_staff(m->site, id) : NULL;
}

static pin_record_t *pin_record(kiosk_model_t *m, const char *staff_id)
{
    for (size_t i = 0; i < m->n_pins; i++)
        if (strcmp(m->pins[i].staff_id, staff_id) == 0)
            return &m->pins[i];
    if (m->n_pins == KIOSK_MAX_PIN_RECORDS) {
        /* reuse the oldest unlocked record */
        for (size_t i = 0; i < m->n_pins; i++)
            if (m->pins[i].locked_until <= m->now_ms) {
                memset(&m->pins[i], 0, sizeof m->pins[i]);
                snprintf(m->pins[i].staff_id, sizeof m->pins[i].staff_id, "%s",
                         staff_id);
                return &m->pins[i];
            }
        return &m->pins[0];
    }
    pin_record_t *r = &m->pins[m->n_pins++];
    memset(r, 0, sizeof *r);
    snprintf(r->staff_id, sizeof r->staff_id, "%s", staff_id);
    return r;
}

static void identified(kiosk_model_t *m, const proto_staff_t *st)
{
    m->staff = st;
    m->pin[0] = '\0';
    m->pin_msg[0] = '\0';
    m->pin_staff = NULL;
    switch (m->after_identify) {
    case KIOSK_SCREEN_CHECKIN_PROCESS:
    case KIOSK_SCREEN_SUGGEST:
    case KIOSK_SCREEN_BOARD:
    case KIOSK_SCREEN_ME:
    case KIOSK_SCREEN_MEETING:
        set_screen(m, m->after_identify);
        break;
    default:
        set_screen(m, KIOSK_SCREEN_HOME);
    }
}

static void pick_staff(kiosk_model_t *m, const proto_staff_t *st)
{
    if (st->pin_hash && st->pin_hash[0]) {
        m->pin_staff = st;
        m->pin[0] = '\0';
        m->pin_msg[0] = '\0';
        set_screen(m, KIOSK_SCREEN_PIN);
    } else {
        identified(m, st);
    }
}

static void check_pin(kiosk_model_t *m)
{
    const proto_staff_t *st = m->pin_staff;
    pin_record_t *r = pin_record(m, st->id);
    char n[16];
    if (r->locked_until > m->now_ms || m->pin[0] == '\0')
        return;
    if (crypto_pwhash_str_verify(st->pin_hash, m->pin, strlen(m->pin)) == 0) {
        r->fails = 0;
        sodium_memzero(m->pin, sizeof m->pin);
        identified(m, st);
        return;
    }
    sodium_memzero(m->pin, sizeof m->pin);
    r->fails++;
    if (r->fails >= KIOSK_PIN_TRIES) {
        r->fails = 0;
        r->locked_until = m->now_ms + KIOSK_PIN_LOCK_MS;
        m->pin_msg[0] = '\0'; /* the lockout line is computed each frame */
        return;
    }
    snprintf(n, sizeof n, "%d", KIOSK_PIN_TRIES - r->fails);
    kiosk_strings_fill(m->pin_msg, sizeof m->pin_msg, kiosk_tr(m, "pin.wrong"),
                       n, NULL, NULL);
}

static int push_effect(kiosk_model_t *m, kiosk_effect_kind_t kind,
                       proto_event_t *ev)
{
    kiosk_effect_t *grown = realloc(m->fx, (m->n_fx + 1) * sizeof *grown);
    if (!grown) {
        proto_event_clear(ev);
        return KIOSK_MODEL_ENOMEM;
    }
    m->fx = grown;
    kiosk_effect_t *fx = &m->fx[m->n_fx++];
    memset(fx, 0, sizeof *fx);
    fx->kind = kind;
    if (kind == KIOSK_FX_AGENDA)
        snprintf(fx->week, sizeof fx->week, "%s", m->agenda_week);
    if (ev) {
        fx->event = *ev; /* moves the heap parts */
        memset(ev, 0, sizeof *ev);
    }
    return 0;
}

static void start_event(kiosk_model_t *m, proto_event_t *ev,
                        proto_event_type_t type)
{
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    snprintf(ev->kiosk_id, sizeof ev->kiosk_id, "%s", m->kiosk_id);
    /* the model's clock, so that headless runs and tests count "today"
     * consistently; the outbox keeps it when non-zero */
    ev->captured_ms = m->now_ms;
}

static int save(kiosk_model_t *m, proto_event_t *ev, saving_t what)
{
    int rc = push_effect(m, KIOSK_FX_SAVE, ev);
    if (rc == 0) {
        m->saving = what;
        m->error[0] = '\0';
    }
    return rc;
}

static int save_checkin(kiosk_model_t *m)
{
    proto_event_t ev;
    start_event(m, &ev, PROTO_EV_CHECKIN);
    snprintf(ev.staff_id, sizeof ev.staff_id, "%s", m->staff->id);
    snprintf(ev.step_id, sizeof ev.step_id, "%s", m->step->id);
    ev.catalogue_version = m->cat->version;
    for (size_t i = 0; i < m->step->n_measures && i < PROTO_MAX_MEASURES; i++) {
        if (m->values[i] <= 0)
            continue;
        snprintf(ev.measures[ev.n_measures].key, sizeof ev.measures[0].key,
                 "%s", m->step->measures[i].id);
        ev.measures[ev.n_measures].value = m->values[i];
        ev.n_measures++;
    }
    ev.quality = (uint8_t)(m->step->asks_quality ? m->quality : 0);
    if (m->note[0] && !(ev.note = proto_strdup(m->note)))
        return KIOSK_MODEL_ENOMEM;
    return save(m, &ev, SAVING_CHECKIN);
}

static int save_suggestion(kiosk_model_t *m)
{
    proto_event_t ev;
    start_event(m, &ev, PROTO_EV_SUGGESTION);
    ev.anonymous = m->anonymous;
    if (!m->anonymous)
        snprintf(ev.staff_id, sizeof ev.staff_id, "%s", m->staff->id);
    if (m->sg_step)
        snprintf(ev.step_id, sizeof ev.step_id, "%s", m->sg_step->id);
    if (m->sg_proc)
        snprintf(ev.process_id, sizeof ev.process_id, "%s", m->sg_proc->id);
    ev.kind = m->kind;
    ev.title = proto_strdup(m->title);
    if (m->body[0])
        ev.body = proto_strdup(m->body);
    if (!ev.title || (m->body[0] && !ev.body)) {
        proto_event_clear(&ev);
        return KIOSK_MODEL_ENOMEM;
    }
    return save(m, &ev, SAVING_SUGGESTION);
}

static int save_vote(kiosk_model_t *m, const char *suggestion_id, int vote)
{
    proto_event_t ev;
    start_event(m, &ev, PROTO_EV_VOTE);
    snprintf(ev.staff_id, sizeof ev.staff_id, "%s", m->staff->id);
    snprintf(ev.suggestion_id, sizeof ev.suggestion_id, "%s", suggestion_id);
    ev.vote = (int8_t)vote;
    snprintf(m->vote_target, sizeof m->vote_target, "%s", suggestion_id);
    return save(m, &ev, SAVING_VOTE);
}

static int save_rating(kiosk_model_t *m)
{
    proto_event_t ev;
    start_event(m, &ev, PROTO_EV_RATING);
    snprintf(ev.staff_id, sizeof ev.staff_id, "%s", m->rated->id);
    ev.score = (uint8_t)m->score;
    return save(m, &ev, SAVING_RATING);
}

static int add_history(kiosk_model_t *m, const proto_event_t *ev)
{
    if (m->n_history == m->cap_history) {
        size_t cap = m->cap_history ? m->cap_history * 2 : 64;
        proto_event_t *grown = realloc(m->history, cap * sizeof *grown);
        if (!grown)
            return KIOSK_MODEL_ENOMEM;
        m->history = grown;
        m->cap_history = cap;
    }
    /* a deep copy of the three heap strings an event may own, through
     * the protocol allocator so that proto_event_clear() frees them */
    proto_event_t *dst = &m->history[m->n_history];
    *dst = *ev;
    dst->note = dst->title = dst->body = NULL;
    if ((ev->note && !(dst->note = proto_strdup(ev->note))) ||
        (ev->title && !(dst->title = proto_strdup(ev->title))) ||
        (ev->body && !(dst->body = proto_strdup(ev->body)))) {
        proto_event_clear(dst);
        return KIOSK_MODEL_ENOMEM;
    }
    m->n_history++;
    return 0;
}

static void field_buffer(kiosk_model_t *m, char **buf, size_t *cap)
{
    switch (m->field) {
    case FIELD_TITLE:
        *buf = m->title;
        *cap = sizeof m->title;
        break;
    case FIELD_BODY:
        *buf = m->body;
        *cap = sizeof m->body;
        break;
    default:
        *buf = m->note;
        *cap = sizeof m->note;
    }
}

/* Appends UTF-8 text to the focused field; what does not fit whole is
 * dropped rather than cut inside a character. */
static void field_insert(kiosk_model_t *m, const char *text)
{
    char *buf;
    size_t cap;
    field_buffer(m, &buf, &cap);
    size_t len = strlen(buf), add = strlen(text);
    if (!proto_utf8_valid(text, add))
        return;
    if (len + add + 1 > cap)
        return;
    memcpy(buf + len, text, add + 1);
}

static void field_backspace(kiosk_model_t *m)
{
    char *buf;
    size_t cap;
    field_buffer(m, &buf, &cap);
    size_t len = strlen(buf);
    while (len > 0) {
        len--;
        if (((unsigned char)buf[len] & 0xC0) != 0x80)
            break;
    }
    buf[len] = '\0';
}

kiosk_ime_state_t kiosk_ime_state(const kiosk_model_t *m)
{
    if (!m->ime)
        return KIOSK_IME_OFF;
    return m->ime->state ? m->ime->state(m->ime->ctx) : KIOSK_IME_READY;
}

bool kiosk_ime_active(const kiosk_model_t *m)
{
    return !m->ime_en && kiosk_ime_state(m) == KIOSK_IME_READY && m->ime->key;
}

/* Something is being composed: keys that would edit the field edit the
 * composition instead. */
static bool ime_composing(const kiosk_model_t *m)
{
    if (!kiosk_ime_active(m) || !m->ime->preedit)
        return false;
    const char *pre = m->ime->preedit(m->ime->ctx);
    return pre && pre[0];
}

/* Punctuation keys: in 中 mode the Chinese marks, in 英 mode ASCII. The
 * first three sit on the letter rows, the rest on the symbols row. */
static const char *const punct[][3] = {
    {"comma", "，", ","},      {"period", "。", "."}, {"question", "？", "?"},
    {"excl", "！", "!"},       {"dunhao", "、", "/"}, {"colon", "：", ":"},
    {"semicolon", "；", ";"},  {"lquote", "“", "\""}, {"rquote", "”", "\""},
    {"ellipsis", "……", "..."}, {"dash", "—", "-"},
};

const char *kiosk_punct_text(const kiosk_model_t *m, const char *name)
{
    bool zh = m->ime && !m->ime_en && kiosk_ime_state(m) == KIOSK_IME_READY;
    for (size_t i = 0; i < sizeof punct / sizeof punct[0]; i++)
        if (strcmp(name, punct[i][0]) == 0)
            return punct[i][zh ? 1 : 2];
    return NULL;
}

/* ASCII punctuation typed on a physical keyboard, as a key name. */
static const char *punct_name(const kiosk_model_t *m, char c)
{
    switch (c) {
    case ',':
        return "comma";
    case '.':
        return "period";
    case '?':
        return "question";
    case '!':
        return "excl";
    case '\\':
        return "dunhao";
    case ':':
        return "colon";
    case ';':
        return "semicolon";
    case '"':
        return m->quote_open ? "rquote" : "lquote";
    default:
        return NULL;
    }
}

/* Commits the composition with its first candidate (what space does), so
 * that punctuation or a mode switch never loses what was typed. */
static void ime_commit_top(kiosk_model_t *m)
{
    char commit[256] = "";
    if (ime_composing(m) && m->ime->select &&
        m->ime->select(m->ime->ctx, 0, commit, sizeof commit) && commit[0])
        field_insert(m, commit);
}

/* A key of the on-screen or physical keyboard, through the input method
 * when it is active: letters compose; while composing, backspace, space
 * and enter edit or commit the composition and digits 1-9 pick that
 * candidate of the page; punctuation commits the first candidate first. */
static void keyboard_key(kiosk_model_t *m, const char *key)
{
    char commit[256] = "";
    bool letter = strlen(key) == 1 && key[0] >= 'a' && key[0] <= 'z';
    bool digit = strlen(key) == 1 && key[0] >= '1' && key[0] <= '9';
    bool composing = ime_composing(m);
    if (kiosk_ime_active(m) && !(letter && m->shift)) {
        if (composing && digit && m->ime->select) {
            if (m->ime->select(m->ime->ctx, (size_t)(key[0] - '1'), commit,
                               sizeof commit) &&
                commit[0])
                field_insert(m, commit);
            return;
        }
        if ((letter || (composing && (strcmp(key, "backspace") == 0 ||
                                      strcmp(key, "space") == 0 ||
                                      strcmp(key, "enter") == 0))) &&
            m->ime->key(m->ime->ctx, key, commit, sizeof commit)) {
            if (commit[0])
                field_insert(m, commit);
            return;
        }
    }
    const char *p = kiosk_punct_text(m, key);
    if (p) {
        ime_commit_top(m);
        if (strcmp(key, "lquote") == 0)
            m->quote_open = true;
        else if (strcmp(key, "rquote") == 0)
            m->quote_open = false;
        field_insert(m, p);
        return;
    }
    if (strcmp(key, "backspace") == 0) {
        field_backspace(m);
    } else if (strcmp(key, "space") == 0) {
        field_insert(m, " ");
    } else if (strcmp(key, "shift") == 0) {
        m->shift = !m->shift;
    } else if (strcmp(key, "sym") == 0) {
        m->symbols = !m->symbols;
    } else if (strcmp(key, "ime") == 0) {
        /* leaving 中 keeps what was typed as the letters typed */
        if (composing &&
            m->ime->key(m->ime->ctx, "enter", commit, sizeof commit) &&
            commit[0])
            field_insert(m, commit);
        if (m->ime && m->ime->reset)
            m->ime->reset(m->ime->ctx);
        m->ime_en = !m->ime_en;
        m->ime_chosen = true;
    } else if (strcmp(key, "enter") == 0 || strcmp(key, "done") == 0) {
        ime_commit_top(m);
        if (m->ime && m->ime->reset)
            m->ime->reset(m->ime->ctx);
        set_screen(m, m->kb_return);
    } else {
        char c[8];
        snprintf(c, sizeof c, "%s", key);
        if (letter && m->shift) {
            c[0] = (char)(c[0] - 'a' + 'A');
            m->shift = false;
        }
        field_insert(m, c);
    }
}

static void open_keyboard(kiosk_model_t *m, field_t f)
{
    m->kb_return = m->screen;
    m->field = f;
    m->shift = false;
    m->symbols = false;
    if (!m->ime_chosen)
        m->ime_en = m->lang == KIOSK_LANG_EN; /* the UI's language first */
    if (m->ime && m->ime->reset)
        m->ime->reset(m->ime->ctx);
    set_screen(m, KIOSK_SCREEN_KEYBOARD);
}

static double measure_max(const proto_measure_def_t *md)
{
    return md->max_per_checkin > 0 ? md->max_per_checkin : 99999;
}

static void numpad_key(kiosk_model_t *m, const char *key)
{
    size_t len = strlen(m->numpad);
    if (strcmp(key, "back") == 0 || strcmp(key, "backspace") == 0) {
        if (len)
            m->numpad[len - 1] = '\0';
    } else if (strcmp(key, "clear") == 0) {
        m->numpad[0] = '\0';
    } else if (strcmp(key, "ok") == 0 || strcmp(key, "enter") == 0) {
        const proto_measure_def_t *md = &m->step->measures[m->numpad_measure];
        /* nothing typed keeps the value that was there */
        double v =
            m->numpad[0] ? atof(m->numpad) : m->values[m->numpad_measure];
        if (v > measure_max(md))
            v = measure_max(md);
        m->values[m->numpad_measure] = v;
        set_screen(m, KIOSK_SCREEN_CHECKIN_MEASURES);
    } else if (strcmp(key, "cancel") == 0) {
        set_screen(m, KIOSK_SCREEN_CHECKIN_MEASURES);
    } else if (strlen(key) == 1 && key[0] >= '0' && key[0] <= '9' && len < 6) {
        if (len == 1 && m->numpad[0] == '0')
            len = 0; /* no leading zeros */
        m->numpad[len] = key[0];
        m->numpad[len + 1] = '\0';
    }
}

static void pin_key(kiosk_model_t *m, const char *key)
{
    pin_record_t *r = pin_record(m, m->pin_staff->id);
    size_t len = strlen(m->pin);
    if (r->locked_until > m->now_ms)
        return;
    if (strcmp(key, "clear") == 0 || strcmp(key, "backspace") == 0) {
        if (strcmp(key, "clear") == 0)
            len = 0;
        else if (len)
            len--;
        m->pin[len] = '\0';
    } else if (strcmp(key, "ok") == 0 || strcmp(key, "enter") == 0) {
        check_pin(m);
    } else if (strlen(key) == 1 && key[0] >= '0' && key[0] <= '9' &&
               len < KIOSK_PIN_MAX) {
        m->pin[len] = key[0];
        m->pin[len + 1] = '\0';
        m->pin_msg[0] = '\0';
    }
}

static void back(kiosk_model_t *m)
{
    switch (m->screen) {
    case KIOSK_SCREEN_PIN:
        sodium_memzero(m->pin, sizeof m->pin);
        m->pin_staff = NULL;
        set_screen(m, KIOSK_SCREEN_IDENTIFY);
        break;
    case KIOSK_SCREEN_CHECKIN_STEP:
        set_screen(m, KIOSK_SCREEN_CHECKIN_PROCESS);
        break;
    case KIOSK_SCREEN_CHECKIN_MEASURES:
        set_screen(m, KIOSK_SCREEN_CHECKIN_STEP);
        break;
    case KIOSK_SCREEN_NUMPAD:
        set_screen(m, KIOSK_SCREEN_CHECKIN_MEASURES);
        break;
    case KIOSK_SCREEN_SUGGEST_TARGET:
        set_screen(m, KIOSK_SCREEN_SUGGEST);
        break;
    case KIOSK_SCREEN_KEYBOARD:
        set_screen(m, m->kb_return);
        break;
    case KIOSK_SCREEN_GUIDE_PROCESS:
        set_screen(m, KIOSK_SCREEN_GUIDE);
        break;
    case KIOSK_SCREEN_GUIDE_STEP:
        set_screen(m, KIOSK_SCREEN_GUIDE_PROCESS);
        break;
    case KIOSK_SCREEN_RATING_FACES:
        set_screen(m, KIOSK_SCREEN_RATING_STAFF);
        break;
    case KIOSK_SCREEN_MEETING:
        go_home(m, true);
        break;
    case KIOSK_SCREEN_FIRST_RUN:
    case KIOSK_SCREEN_HOME:
        break;
    default:
        go_home(m, false);
    }
}

/* Opens what a Home tile stands for, through Identify when it needs a
 * person. */
static void open_tile(kiosk_model_t *m, kiosk_screen_t target,
                      bool needs_person)
{
    m->identify_managers = target == KIOSK_SCREEN_MEETING;
    m->after_identify = target;
    if (target == KIOSK_SCREEN_MEETING) {
        if (m->staff &&
            (m->staff->role == PROTO_ROLE_LEAD ||
             m->staff->role == PROTO_ROLE_MANAGER) &&
            m->staff->pin_hash) {
            set_screen(m, target);
            return;
        }
        m->staff = NULL;
        set_screen(m, KIOSK_SCREEN_IDENTIFY);
        return;
    }
    if (needs_person && !m->staff)
        set_screen(m, KIOSK_SCREEN_IDENTIFY);
    else
        set_screen(m, target);
}

static bool id_is(const char *id, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(id, prefix, n) != 0)
        return false;
    *rest = id + n;
    return true;
}

static const board_item_t *board_at(const kiosk_model_t *m, const char *idx)
{
    long i = strtol(idx, NULL, 10) - 1;
    return i >= 0 && (size_t)i < m->n_board ? &m->board[i] : NULL;
}

static void vote_toggle(kiosk_model_t *m, const board_item_t *b)
{
    if (!m->staff) {
        m->after_identify = m->screen;
        m->identify_managers = false;
        set_screen(m, KIOSK_SCREEN_IDENTIFY);
        return;
    }
    bool voted = kiosk_voted(m, m->staff->id, b->s.id);
    save_vote(m, b->s.id, voted ? 0 : 1);
}

/* A fetched agenda replaces the last one; a failed fetch keeps it (the
 * screen then says it is stale) and says why. */
static int on_agenda(kiosk_model_t *m, const kiosk_input_t *in)
{
    m->agenda_pending = false;
    if (!in->agenda) {
        m->agenda_code = in->code ? in->code : PROTO_EIO;
        snprintf(m->agenda_error, sizeof m->agenda_error, "%s",
                 in->text ? in->text : proto_strerror(m->agenda_code));
        return 0;
    }
    if (in->agenda->type != PROTO_MSG_AGENDA)
        return KIOSK_MODEL_EINVAL;
    proto_msg_t copy;
    if (proto_msg_copy(&copy, in->agenda) != 0)
        return KIOSK_MODEL_ENOMEM;
    proto_msg_clear(&m->agenda);
    m->agenda = copy;
    m->agenda_fetched_ms = in->fetched_ms;
    m->agenda_code = 0;
    m->agenda_error[0] = '\0';
    return 0;
}

/* Similar suggestions on the Suggest screen are board entries; their
 * widget ids name the board position so one handler serves both. */
static int on_tap(kiosk_model_t *m, const char *id)
{
    const char *rest;
    if (strcmp(id, "back") == 0) {
        back(m);
        return 0;
    }
    if (strcmp(id, "logout") == 0) {
        go_home(m, true);
        return 0;
    }
    if (strcmp(id, "page-next") == 0) {
        m->page++;
        return 0;
    }
    if (strcmp(id, "page-prev") == 0) {
        if (m->page > 0)
            m->page--;
        return 0;
    }
    switch (m->screen) {
    case KIOSK_SCREEN_FIRST_RUN:
        if (strcmp(id, "continue") == 0) {
            m->first_run_dismissed = true;
            go_home(m, true);
        }
        break;
    case KIOSK_SCREEN_HOME:
        if (strcmp(id, "tile-checkin") == 0)
            open_tile(m, KIOSK_SCREEN_CHECKIN_PROCESS, true);
        else if (strcmp(id, "tile-suggest") == 0)
            open_tile(m, KIOSK_SCREEN_SUGGEST, true);
        else if (strcmp(id, "tile-board") == 0)
            open_tile(m, KIOSK_SCREEN_BOARD, false);
        else if (strcmp(id, "tile-guide") == 0)
            open_tile(m, KIOSK_SCREEN_GUIDE, false);
        else if (strcmp(id, "tile-me") == 0)
            open_tile(m, KIOSK_SCREEN_ME, true);
        else if (strcmp(id, "tile-rating") == 0)
            open_tile(m, KIOSK_SCREEN_RATING_STAFF, false);
        else if (strcmp(id, "tile-meeting") == 0)
            open_tile(m, KIOSK_SCREEN_MEETING, true);
        else if (strcmp(id, "lang") == 0)
            m->lang = m->lang == KIOSK_LANG_ZH ? KIOSK_LANG_EN : KIOSK_LANG_ZH;
        break;
    case KIOSK_SCREEN_IDENTIFY:
    case KIOSK_SCREEN_RATING_STAFF:
        if (id_is(id, "staff-", &rest)) {
            const proto_staff_t *st = site_staff(m, rest);
            if (!st)
                return KIOSK_MODEL_ENOWIDGET;
            if (m->screen == KIOSK_SCREEN_RATING_STAFF) {
                m->rated = st;
                m->score = 0;
                set_screen(m, KIOSK_SCREEN_RATING_FACES);
            } else {
                pick_staff(m, st);
            }
        }
        break;
    case KIOSK_SCREEN_PIN:
        if (id_is(id, "key-", &rest))
            pin_key(m, rest);
        break;
    case KIOSK_SCREEN_CHECKIN_PROCESS:
        if (id_is(id, "proc-", &rest) && m->cat) {
            m->proc = proto_catalogue_process(m->cat, rest);
            if (m->proc)
                set_screen(m, KIOSK_SCREEN_CHECKIN_STEP);
        }
        break;
    case KIOSK_SCREEN_CHECKIN_STEP:
        if (id_is(id, "step-", &rest) && m->cat) {
            m->step = proto_catalogue_step(m->cat, rest);
            if (m->step) {
                memset(m->values, 0, sizeof m->values);
                m->quality = 0;
                m->note[0] = '\0';
                set_screen(m, KIOSK_SCREEN_CHECKIN_MEASURES);
            }
        }
        break;
    case KIOSK_SCREEN_CHECKIN_MEASURES:
        if (id_is(id, "minus-", &rest) || id_is(id, "plus-", &rest) ||
            id_is(id, "value-", &rest)) {
            for (size_t i = 0; i < m->step->n_measures; i++) {
                if (strcmp(m->step->measures[i].id, rest) != 0)
                    continue;
                double max = measure_max(&m->step->measures[i]);
                if (id[0] == 'm' && m->values[i] >= 1)
                    m->values[i] -= 1;
                else if (id[0] == 'p' && m->values[i] + 1 <= max)
                    m->values[i] += 1;
                else if (id[0] == 'v') {
                    m->numpad_measure = (int)i;
                    m->numpad[0] = '\0';
                    set_screen(m, KIOSK_SCREEN_NUMPAD);
                }
            }
        } else if (id_is(id, "star-", &rest)) {
            int q = atoi(rest);
            m->quality = q == m->quality ? 0 : q;
        } else if (strcmp(id, "note") == 0) {
            open_keyboard(m, FIELD_NOTE);
        } else if (strcmp(id, "confirm") == 0) {
            return save_checkin(m);
        }
        break;
    case KIOSK_SCREEN_NUMPAD:
        if (id_is(id, "key-", &rest))
            numpad_key(m, rest);
        break;
    case KIOSK_SCREEN_CHECKIN_SAVED:
        if (strcmp(id, "again") == 0) {
            memset(m->values, 0, sizeof m->values);
            m->quality = 0;
            m->note[0] = '\0';
            set_screen(m, KIOSK_SCREEN_CHECKIN_PROCESS);
        } else if (strcmp(id, "done") == 0) {
            go_home(m, true);
        }
        break;
    case KIOSK_SCREEN_SUGGEST:
        if (strcmp(id, "kind-problem") == 0)
            m->kind = PROTO_KIND_PROBLEM;
        else if (strcmp(id, "kind-idea") == 0)
            m->kind = PROTO_KIND_IDEA;
        else if (strcmp(id, "target") == 0)
            set_screen(m, KIOSK_SCREEN_SUGGEST_TARGET);
        else if (strcmp(id, "title") == 0)
            open_keyboard(m, FIELD_TITLE);
        else if (strcmp(id, "body") == 0)
            open_keyboard(m, FIELD_BODY);
        else if (strcmp(id, "anonymous") == 0)
            m->anonymous = !m->anonymous;
        else if (strcmp(id, "submit") == 0)
            return save_suggestion(m);
        else if (id_is(id, "similar-vote-", &rest)) {
            const board_item_t *b = board_at(m, rest);
            if (!b)
                return KIOSK_MODEL_ENOWIDGET;
            /* supporting an existing idea is the point of the list: say so
             * and leave, rather than leave a half-written duplicate */
            m->vote_from_suggest = m->similar != NULL;
            snprintf(m->voted_title, sizeof m->voted_title, "%s",
                     b->s.title ? b->s.title : "");
            vote_toggle(m, b);
        }
        break;
    case KIOSK_SCREEN_SUGGEST_TARGET:
        if (strcmp(id, "target-general") == 0) {
            m->sg_proc = NULL;
            m->sg_step = NULL;
            set_screen(m, KIOSK_SCREEN_SUGGEST);
        } else if (id_is(id, "target-p-", &rest) && m->cat) {
            m->sg_proc = proto_catalogue_process(m->cat, rest);
            m->sg_step = NULL;
            set_screen(m, KIOSK_SCREEN_SUGGEST);
        } else if (id_is(id, "target-s-", &rest) && m->cat) {
            m->sg_step = proto_catalogue_step(m->cat, rest);
            m->sg_proc = m->sg_step ? m->sg_step->process : NULL;
            set_screen(m, KIOSK_SCREEN_SUGGEST);
        }
        break;
    case KIOSK_SCREEN_KEYBOARD:
        if (id_is(id, "k-", &rest)) {
            /* key ids are words; punctuation names stay names (their text
             * depends on 中/英) */
            if (strcmp(rest, "back") == 0)
                rest = "backspace";
            keyboard_key(m, rest);
        } else if (strcmp(id, "ime-prev") == 0 || strcmp(id, "ime-next") == 0) {
            if (kiosk_ime_active(m) && m->ime->page)
                m->ime->page(m->ime->ctx, strcmp(id, "ime-next") == 0 ? 1 : -1);
        } else if (id_is(id, "ime-cand-", &rest) && kiosk_ime_active(m) &&
                   m->ime->select) {
            char commit[256] = "";
            if (m->ime->select(m->ime->ctx, (size_t)atoi(rest), commit,
                               sizeof commit) &&
                commit[0])
                field_insert(m, commit);
        }
        break;
    case KIOSK_SCREEN_SUGGEST_VOTED:
    case KIOSK_SCREEN_SUGGEST_SAVED:
        if (strcmp(id, "done") == 0)
            go_home(m, true);
        else if (strcmp(id, "board") == 0)
            set_screen(m, KIOSK_SCREEN_BOARD);
        break;
    case KIOSK_SCREEN_BOARD:
        if (id_is(id, "vote-", &rest)) {
            const board_item_t *b = board_at(m, rest);
            if (!b)
                return KIOSK_MODEL_ENOWIDGET;
            vote_toggle(m, b);
        }
        break;
    case KIOSK_SCREEN_GUIDE:
        if (id_is(id, "proc-", &rest) && m->cat) {
            m->guide_proc = proto_catalogue_process(m->cat, rest);
            if (m->guide_proc)
                set_screen(m, KIOSK_SCREEN_GUIDE_PROCESS);
        }
        break;
    case KIOSK_SCREEN_GUIDE_PROCESS:
        if (id_is(id, "step-", &rest) && m->cat) {
            m->guide_step = proto_catalogue_step(m->cat, rest);
            if (m->guide_step)
                set_screen(m, KIOSK_SCREEN_GUIDE_STEP);
        }
        break;
    case KIOSK_SCREEN_RATING_FACES:
        if (id_is(id, "face-", &rest)) {
            int s = atoi(rest);
            if (s < 1 || s > 5)
                return KIOSK_MODEL_ENOWIDGET;
            m->score = s;
            return save_rating(m);
        }
        break;
    case KIOSK_SCREEN_RATING_THANKS:
        if (strcmp(id, "done") == 0)
            go_home(m, false);
        break;
    case KIOSK_SCREEN_MEETING:
        if (strncmp(id, "ag-tab-", 7) == 0) {
            static const char *const tabs[] = {"score", "ex", "dec"};
            for (int t = 0; t < 3; t++)
                if (strcmp(id + 7, tabs[t]) == 0 && m->meeting_tab != t) {
                    m->meeting_tab = t;
                    m->page = 0;
                }
        } else if (strcmp(id, "ag-refresh") == 0 && !m->agenda_pending) {
            m->agenda_pending = push_effect(m, KIOSK_FX_AGENDA, NULL) == 0;
        } else if (strcmp(id, "ag-week") == 0 && !m->agenda_pending &&
                   m->agenda.type == PROTO_MSG_AGENDA) {
            /* the current week <-> the one before it, for a meeting held
             * early in a week about the last */
            if (m->agenda_week[0] != '\0')
                m->agenda_week[0] = '\0';
            else if (kiosk_iso_week_before(m->agenda.u.agenda.week,
                                           m->agenda_week,
                                           sizeof m->agenda_week) != 0)
                return 0;
            m->page = 0;
            m->agenda_pending = push_effect(m, KIOSK_FX_AGENDA, NULL) == 0;
        }
        break;
    default:
        break;
    }
    return 0;
}

static const kiosk_widget_t *hit(const kiosk_model_t *m, int x, int y)
{
    for (size_t i = m->n_w; i-- > 0;) {
        const kiosk_widget_t *w = &m->w[i];
        if ((w->flags & KIOSK_WF_TAPPABLE) && x >= w->x && x < w->x + w->w &&
            y >= w->y && y < w->y + w->h)
            return w;
    }
    return NULL;
}

static int tap(kiosk_model_t *m, const kiosk_widget_t *w)
{
    char id[KIOSK_WIDGET_ID_MAX];
    if (!w)
        return KIOSK_MODEL_ENOWIDGET;
    if (!(w->flags & KIOSK_WF_TAPPABLE))
        return KIOSK_MODEL_ENOHIT;
    if (w->flags & KIOSK_WF_DISABLED)
        return KIOSK_MODEL_EDISABLED;
    snprintf(id, sizeof id, "%s", w->id); /* the tree is rebuilt after */
    return on_tap(m, id);
}

static void on_key(kiosk_model_t *m, const char *key)
{
    if (strcmp(key, "escape") == 0) {
        back(m);
    } else if (strcmp(key, "pagedown") == 0) {
        m->page++;
    } else if (strcmp(key, "pageup") == 0) {
        if (m->page > 0)
            m->page--;
    } else if (m->screen == KIOSK_SCREEN_KEYBOARD) {
        keyboard_key(m, key);
    } else if (m->screen == KIOSK_SCREEN_PIN) {
        pin_key(m, key);
    } else if (m->screen == KIOSK_SCREEN_NUMPAD) {
        numpad_key(m, key);
    }
}

/* Physical typing goes where on-screen keys would: one code point at a
 * time into the keyboard, digits into the PIN and number pads. */
static void on_text(kiosk_model_t *m, const char *text)
{
    if (m->screen == KIOSK_SCREEN_KEYBOARD) {
        for (const char *p = text; *p;) {
            char cp[8];
            size_t n = 1;
            while (p[n] && ((unsigned char)p[n] & 0xC0) == 0x80 && n < 4)
                n++;
            memcpy(cp, p, n);
            cp[n] = '\0';
            const char *pn = n == 1 ? punct_name(m, cp[0]) : NULL;
            if (strcmp(cp, " ") == 0)
                keyboard_key(m, "space");
            else if (kiosk_ime_active(m) && n == 1 &&
                     ((cp[0] >= 'a' && cp[0] <= 'z') ||
                      (cp[0] >= '1' && cp[0] <= '9')))
                keyboard_key(m, cp); /* the on-screen keys' path */
            else if (kiosk_ime_active(m) && pn)
                keyboard_key(m, pn);
            else
                field_insert(m, cp);
            p += n;
        }
    } else if (m->screen == KIOSK_SCREEN_PIN ||
               m->screen == KIOSK_SCREEN_NUMPAD) {
        for (const char *p = text; *p; p++) {
            char d[2] = {*p, 0};
            if (*p >= '0' && *p <= '9')
                on_key(m, d);
        }
    }
}

static void on_saved(kiosk_model_t *m, const proto_event_t *ev)
{
    saving_t what = m->saving;
    m->saving = SAVING_NONE;
    if (ev && add_history(m, ev) != 0)
        snprintf(m->error, sizeof m->error, "%s", kiosk_tr(m, "error.memory"));
    push_effect(m, KIOSK_FX_SYNC_NOW, NULL);
    switch (what) {
    case SAVING_CHECKIN:
        m->earned =
            ev ? kiosk_day_points(m, m->staff->id, ev->captured_ms, 0) -
                     kiosk_day_points(m, m->staff->id, ev->captured_ms, ev->seq)
               : 0;
        set_screen(m, KIOSK_SCREEN_CHECKIN_SAVED);
        break;
    case SAVING_SUGGESTION:
        set_screen(m, KIOSK_SCREEN_SUGGEST_SAVED);
        break;
    case SAVING_VOTE:
        m->vote_target[0] = '\0';
        if (m->vote_from_suggest && m->screen == KIOSK_SCREEN_SUGGEST) {
            m->vote_from_suggest = false;
            set_screen(m, KIOSK_SCREEN_SUGGEST_VOTED);
        }
        break;
    case SAVING_RATING:
        m->thanks_at = m->now_ms;
        set_screen(m, KIOSK_SCREEN_RATING_THANKS);
        break;
    default:
        m->vote_target[0] = '\0';
    }
}

static void on_save_failed(kiosk_model_t *m, const char *why)
{
    m->saving = SAVING_NONE;
    m->vote_target[0] = '\0';
    kiosk_strings_fill(m->error, sizeof m->error,
                       kiosk_tr(m, "error.save_failed"), why ? why : "?", NULL,
                       NULL);
}

static int on_feed(kiosk_model_t *m, const kiosk_input_t *in)
{
    board_item_t *feed = NULL;
    proto_standing_t *st = NULL;
    size_t n = 0;
    if (in->n_suggestions && !(feed = calloc(in->n_suggestions, sizeof *feed)))
        return KIOSK_MODEL_ENOMEM;
    for (; n < in->n_suggestions; n++)
        if (kiosk_suggestion_copy(&feed[n].s, &in->suggestions[n]) != 0)
            goto nomem;
    if (in->n_standings) {
        st = malloc(in->n_standings * sizeof *st);
        if (!st)
            goto nomem;
        memcpy(st, in->standings, in->n_standings * sizeof *st);
    }
    for (size_t i = 0; i < m->n_feed; i++)
        kiosk_suggestion_free(&m->feed[i].s);
    free(m->feed);
    free(m->standings);
    m->feed = feed;
    m->n_feed = in->n_suggestions;
    m->standings = st;
    m->n_standings = in->n_standings;
    m->sim_valid = false; /* the index behind the hook changed too */
    return 0;
nomem:
    for (size_t i = 0; i < n; i++)
        kiosk_suggestion_free(&feed[i].s);
    free(feed);
    return KIOSK_MODEL_ENOMEM;
}

size_t kiosk_utf8_len(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Byte offset of each code point of s (at most max), and the count. */
static size_t cp_offsets(const char *s, size_t *off, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; s[i] && n < max; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            off[n++] = i;
    return n;
}

bool kiosk_shares_trigram(const char *title, const char *other)
{
    size_t off[PROTO_TITLE_MAX + 1];
    if (!title || !other)
        return false;
    size_t n = cp_offsets(title, off, PROTO_TITLE_MAX);
    size_t len = strlen(title);
    for (size_t i = 0; i + 3 <= n; i++) {
        size_t end = i + 3 < n ? off[i + 3] : len;
        char tri[16];
        if (end - off[i] >= sizeof tri)
            continue;
        memcpy(tri, title + off[i], end - off[i]);
        tri[end - off[i]] = '\0';
        if (strcasestr(other, tri))
            return true;
    }
    return false;
}

/* Asks the similar hook again when the title changed (or the feed did):
 * once per change, not once per frame. */
static void refresh_similar(kiosk_model_t *m)
{
    if (!m->similar || m->screen != KIOSK_SCREEN_SUGGEST)
        return;
    if (m->sim_valid && strcmp(m->sim_title, m->title) == 0)
        return;
    m->sim_valid = true;
    snprintf(m->sim_title, sizeof m->sim_title, "%s", m->title);
    m->n_sim = 0;
    if (kiosk_utf8_len(m->title) < 3)
        return;
    int n = m->similar->search(m->similar->ctx, m->title, m->sim_ids, 3);
    m->n_sim = n > 0 ? (size_t)(n > 3 ? 3 : n) : 0;
}

static void layout_scale(kiosk_model_t *m)
{
    int shortest = m->width < m->height ? m->width : m->height;
    m->scale = shortest / 480.0;
    m->vw = m->width / m->scale;
    m->vh = m->height / m->scale;
}

/* ---- public */

kiosk_model_t *kiosk_model_new(const kiosk_model_config_t *cfg, char *err,
                               size_t err_len)
{
    char path[4096];
    kiosk_model_t *m = NULL;
    if (!cfg || !cfg->strings_dir) {
        snprintf(err, err_len, "kiosk model: no strings directory given");
        return NULL;
    }
    if (sodium_init() < 0) {
        snprintf(err, err_len, "kiosk model: libsodium failed to start");
        return NULL;
    }
    m = calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    snprintf(path, sizeof path, "%s/zh-CN.strings", cfg->strings_dir);
    if (!(m->strings[KIOSK_LANG_ZH] = kiosk_strings_load(path, err, err_len)))
        goto fail;
    snprintf(path, sizeof path, "%s/en.strings", cfg->strings_dir);
    if (!(m->strings[KIOSK_LANG_EN] = kiosk_strings_load(path, err, err_len)))
        goto fail;
    m->lang = cfg->lang;
    m->width = cfg->width > 0 ? cfg->width : 800;
    m->height = cfg->height > 0 ? cfg->height : 480;
    layout_scale(m);
    m->idle_timeout_ms =
        cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms : 60000;
    m->tz_offset_s = cfg->tz_offset_s;
    snprintf(m->site_id, sizeof m->site_id, "%s",
             cfg->site_id ? cfg->site_id : "");
    snprintf(m->kiosk_id, sizeof m->kiosk_id, "%s",
             cfg->kiosk_id ? cfg->kiosk_id : "");
    if (cfg->missing && cfg->missing[0] && !(m->missing = strdup(cfg->missing)))
        goto nomem;
    snprintf(m->data_dir, sizeof m->data_dir, "%s",
             cfg->data_dir ? cfg->data_dir : "DIR");
    m->can_capture = cfg->can_capture;
    m->ime = cfg->ime;
    m->similar = cfg->similar;
    m->cur_parent = -1;
    clear_capture(m);
    m->screen = m->missing ? KIOSK_SCREEN_FIRST_RUN : KIOSK_SCREEN_HOME;
    if (kiosk_screens_build(m) != 0)
        goto nomem;
    return m;
nomem:
    snprintf(err, err_len, "kiosk model: out of memory");
fail:
    kiosk_model_destroy(&m);
    return NULL;
}

void kiosk_effects_free(kiosk_effect_t **list_p, size_t n)
{
    if (!list_p || !*list_p)
        return;
    for (size_t i = 0; i < n; i++)
        proto_event_clear(&(*list_p)[i].event);
    free(*list_p);
    *list_p = NULL;
}

void kiosk_model_destroy(kiosk_model_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kiosk_model_t *m = *self_p;
    kiosk_strings_destroy(&m->strings[0]);
    kiosk_strings_destroy(&m->strings[1]);
    free(m->missing);
    proto_catalogue_destroy(&m->cat);
    proto_catalogue_destroy(&m->pending_cat);
    for (size_t i = 0; i < m->n_feed; i++)
        kiosk_suggestion_free(&m->feed[i].s);
    free(m->feed);
    free(m->standings);
    for (size_t i = 0; i < m->n_history; i++)
        proto_event_clear(&m->history[i]);
    free(m->history);
    free(m->board);
    free(m->w);
    free(m->pw);
    proto_msg_clear(&m->agenda);
    kiosk_effects_free(&m->fx, m->n_fx);
    sodium_memzero(m->pin, sizeof m->pin);
    free(m);
    *self_p = NULL;
}

static bool is_activity(kiosk_input_kind_t k)
{
    return k == KIOSK_IN_TAP_ID || k == KIOSK_IN_TAP_XY || k == KIOSK_IN_TEXT ||
           k == KIOSK_IN_KEY || k == KIOSK_IN_LANG;
}

int kiosk_model_update(kiosk_model_t *m, kiosk_input_t *in, int64_t now_ms)
{
    int rc = 0;
    if (!m || !in)
        return KIOSK_MODEL_EINVAL;
    if (now_ms > m->now_ms)
        m->now_ms = now_ms;
    if (m->last_activity_ms == 0)
        m->last_activity_ms = m->now_ms;
    /* a saved or failed answer is news to the person waiting for it */
    if (is_activity(in->kind) || in->kind == KIOSK_IN_SAVED ||
        in->kind == KIOSK_IN_SAVE_FAILED)
        m->last_activity_ms = m->now_ms;
    switch (in->kind) {
    case KIOSK_IN_TICK:
        break;
    case KIOSK_IN_TAP_ID:
        if (m->saving != SAVING_NONE)
            return KIOSK_MODEL_EDISABLED; /* one save at a time */
        rc = tap(m, in->id ? kiosk_model_widget(m, in->id) : NULL);
        break;
    case KIOSK_IN_TAP_XY: {
        const kiosk_widget_t *w = hit(m, in->x, in->y);
        if (!w)
            return KIOSK_MODEL_ENOHIT;
        if (m->saving != SAVING_NONE)
            return KIOSK_MODEL_EDISABLED;
        rc = tap(m, w);
        break;
    }
    case KIOSK_IN_TEXT:
        if (in->text)
            on_text(m, in->text);
        break;
    case KIOSK_IN_KEY:
        if (in->text)
            on_key(m, in->text);
        break;
    case KIOSK_IN_RESIZE:
        if (in->w > 0 && in->h > 0) {
            m->width = in->w;
            m->height = in->h;
            layout_scale(m);
        }
        break;
    case KIOSK_IN_LANG:
        m->lang = in->lang == KIOSK_LANG_EN ? KIOSK_LANG_EN : KIOSK_LANG_ZH;
        break;
    case KIOSK_IN_SAVED:
        on_saved(m, in->event);
        break;
    case KIOSK_IN_SAVE_FAILED:
        on_save_failed(m, in->text);
        break;
    case KIOSK_IN_SYNC_STATUS:
        m->sync = in->sync;
        break;
    case KIOSK_IN_CATALOGUE:
        if (!in->catalogue)
            return KIOSK_MODEL_EINVAL;
        proto_catalogue_destroy(&m->pending_cat);
        m->pending_cat = in->catalogue;
        in->catalogue = NULL;
        if (!m->cat) {
            /* nothing in use yet: apply at once */
            m->cat = m->pending_cat;
            m->pending_cat = NULL;
            resolve_site(m);
        }
        break;
    case KIOSK_IN_FEED:
        rc = on_feed(m, in);
        break;
    case KIOSK_IN_HISTORY:
        if (in->event)
            rc = add_history(m, in->event);
        break;
    case KIOSK_IN_AGENDA:
        rc = on_agenda(m, in);
        break;
    }
    /* idle: back to Home and nobody identified, unless a save is in
     * flight (its answer must reach the screen that asked) */
    if (m->screen != KIOSK_SCREEN_HOME && m->screen != KIOSK_SCREEN_FIRST_RUN &&
        m->saving == SAVING_NONE &&
        m->now_ms - m->last_activity_ms >= m->idle_timeout_ms)
        go_home(m, true);
    else if (m->screen == KIOSK_SCREEN_HOME && m->staff &&
             m->saving == SAVING_NONE &&
             m->now_ms - m->last_activity_ms >= m->idle_timeout_ms)
        go_home(m, true);
    if (m->screen == KIOSK_SCREEN_RATING_THANKS &&
        m->now_ms - m->thanks_at >= KIOSK_THANKS_MS)
        go_home(m, false);
    if (m->screen == KIOSK_SCREEN_FIRST_RUN && !m->missing)
        set_screen(m, KIOSK_SCREEN_HOME);
    apply_pending_catalogue(m);
    refresh_similar(m);
    int brc = kiosk_board_rebuild(m);
    if (brc == 0)
        brc = kiosk_screens_build(m);
    return rc != 0 ? rc : brc;
}

int kiosk_model_take_effects(kiosk_model_t *self, kiosk_effect_t **list,
                             size_t *n)
{
    if (!self || !list || !n)
        return KIOSK_MODEL_EINVAL;
    *list = self->fx;
    *n = self->n_fx;
    self->fx = NULL;
    self->n_fx = 0;
    return 0;
}

const kiosk_widget_t *kiosk_model_widgets(kiosk_model_t *self, size_t *n)
{
    *n = self->n_w;
    return self->w;
}

const kiosk_widget_t *kiosk_model_widget(kiosk_model_t *self, const char *id)
{
    for (size_t i = 0; i < self->n_w; i++)
        if (strcmp(self->w[i].id, id) == 0)
            return &self->w[i];
    return NULL;
}

kiosk_screen_t kiosk_model_screen(const kiosk_model_t *self)
{
    return self->screen;
}

kiosk_lang_t kiosk_model_lang(const kiosk_model_t *self)
{
    return self->lang;
}

const char *kiosk_model_staff(const kiosk_model_t *self)
{
    return self->staff ? self->staff->id : NULL;
}

uint64_t kiosk_model_catalogue_version(const kiosk_model_t *self)
{
    return self->cat ? self->cat->version : 0;
}
