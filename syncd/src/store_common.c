/*
 * store_common.c — the forms and rules every store backend shares
 * (store_common.h): the text buffer, numbers, JSON and CSV fields, the
 * dead-letter JSON of an event, the export's row format and the
 * suggestion lifecycle's transitions. Kept out of the backends so that
 * SQLite and PostgreSQL write the same bytes and refuse the same things.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_common.h"
#include "syncd/agenda.h"
#include "syncd/json.h"

/* ---- Text buffer */

void syncd_buf_add(syncd_buf_t *b, const char *d, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void syncd_buf_str(syncd_buf_t *b, const char *s)
{
    syncd_buf_add(b, s, strlen(s));
}

void syncd_buf_fmt(syncd_buf_t *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->oom = true; /* only short numeric forms come through here */
        return;
    }
    syncd_buf_add(b, tmp, (size_t)n);
}

void syncd_buf_reset(syncd_buf_t *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void syncd_buf_free(syncd_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Values are finite (ingest refuses others). */
void syncd_fmt_number(char *out, size_t size, double v)
{
    if (v == 0) {
        snprintf(out, size, "0"); /* also for -0 */
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, size, "%.0f", v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

void syncd_buf_number(syncd_buf_t *b, double v)
{
    char tmp[40];

    syncd_fmt_number(tmp, sizeof tmp, v);
    syncd_buf_str(b, tmp);
}

static void buf_sink(void *ctx, const char *d, size_t n)
{
    syncd_buf_add(ctx, d, n);
}

void syncd_buf_json_str(syncd_buf_t *b, const char *s)
{
    syncd_json_escape(s, true, buf_sink, b);
}

void syncd_buf_csv_str(syncd_buf_t *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        syncd_buf_str(b, s);
        return;
    }
    syncd_buf_add(b, "\"", 1);
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
        syncd_buf_add(b, s, (size_t)(q - s));
        syncd_buf_add(b, "\"\"", 2);
    }
    syncd_buf_str(b, s);
    syncd_buf_add(b, "\"", 1);
}

void syncd_buf_utc(syncd_buf_t *b, int64_t ms)
{
    int64_t secs = ms / 1000, frac = ms % 1000;
    time_t t;
    struct tm tm;
    char tmp[64];

    if (frac < 0) { /* floor, for instants before 1970 */
        frac += 1000;
        secs -= 1;
    }
    t = (time_t)secs;
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        syncd_buf_fmt(b, "%" PRId64, ms); /* out of calendar range: raw */
        return;
    }
    syncd_buf_str(b, tmp);
    syncd_buf_fmt(b, ".%03dZ", (int)frac);
}

/* ---- Events */

const char *syncd_event_type_name(proto_event_type_t type)
{
    switch (type) {
    case PROTO_EV_CHECKIN:
        return "checkin";
    case PROTO_EV_SUGGESTION:
        return "suggestion";
    case PROTO_EV_VOTE:
        return "vote";
    case PROTO_EV_RATING:
        return "rating";
    }
    return "unknown";
}

const char *syncd_kind_name(proto_suggestion_kind_t kind)
{
    return kind == PROTO_KIND_PROBLEM ? "problem" : "idea";
}

const char *syncd_event_staff(const proto_event_t *ev)
{
    if (ev->type == PROTO_EV_SUGGESTION && ev->anonymous)
        return "";
    return ev->staff_id;
}

void syncd_buf_measures(syncd_buf_t *b, const proto_event_t *ev)
{
    syncd_buf_add(b, "{", 1);
    for (uint32_t i = 0; i < ev->n_measures && i < PROTO_MAX_MEASURES; i++) {
        if (i > 0)
            syncd_buf_add(b, ",", 1);
        syncd_buf_json_str(b, ev->measures[i].key);
        syncd_buf_add(b, ":", 1);
        syncd_buf_number(b, ev->measures[i].value);
    }
    syncd_buf_add(b, "}", 1);
}

static void json_key(syncd_buf_t *b, const char *key)
{
    syncd_buf_add(b, ",", 1);
    syncd_buf_json_str(b, key);
    syncd_buf_add(b, ":", 1);
}

static void json_text(syncd_buf_t *b, const char *key, const char *v)
{
    json_key(b, key);
    if (v)
        syncd_buf_json_str(b, v);
    else
        syncd_buf_str(b, "null");
}

static void json_u64(syncd_buf_t *b, const char *key, uint64_t v)
{
    json_key(b, key);
    syncd_buf_fmt(b, "%" PRIu64, v);
}

/* Only the fields of the event's type; anonymity holds here too. */
void syncd_buf_event_json(syncd_buf_t *b, const proto_event_t *ev)
{
    syncd_buf_str(b, "{\"type\":");
    syncd_buf_json_str(b, syncd_event_type_name(ev->type));
    json_text(b, "kiosk_id", ev->kiosk_id);
    json_u64(b, "seq", ev->seq);
    json_key(b, "captured_ms");
    syncd_buf_fmt(b, "%" PRId64, ev->captured_ms);
    json_u64(b, "boot_id", ev->boot_id);
    json_u64(b, "mono_ms", ev->mono_ms);
    json_text(b, "staff_id", syncd_event_staff(ev));
    switch (ev->type) {
    case PROTO_EV_CHECKIN:
        json_text(b, "step_id", ev->step_id);
        json_u64(b, "catalogue_version", ev->catalogue_version);
        json_key(b, "measures");
        syncd_buf_measures(b, ev);
        json_u64(b, "quality", ev->quality);
        json_text(b, "note", ev->note);
        break;
    case PROTO_EV_SUGGESTION:
        json_key(b, "anonymous");
        syncd_buf_str(b, ev->anonymous ? "true" : "false");
        json_text(b, "kind", syncd_kind_name(ev->kind));
        json_text(b, "process_id", ev->process_id);
        json_text(b, "step_id", ev->step_id);
        json_text(b, "title", ev->title);
        json_text(b, "body", ev->body);
        break;
    case PROTO_EV_VOTE:
        json_text(b, "suggestion_id", ev->suggestion_id);
        json_key(b, "vote");
        syncd_buf_fmt(b, "%d", ev->vote);
        break;
    case PROTO_EV_RATING:
        json_text(b, "step_id", ev->step_id);
        json_u64(b, "score", ev->score);
        break;
    }
    syncd_buf_add(b, "}", 1);
}

int syncd_store_batch_check(const syncd_ingest_item_t *items, size_t n,
                            char *why, size_t why_len)
{
    for (size_t i = 0; i < n; i++) {
        const proto_event_t *ev = items[i].event;

        if (ev == NULL) {
            snprintf(why, why_len, "item %zu has no event", i);
            return PROTO_EINVAL;
        }
        if (i > 0 && ev->seq <= items[i - 1].event->seq) {
            snprintf(why, why_len,
                     "seq %" PRIu64 " follows seq %" PRIu64
                     " in one batch; items must be in increasing seq order",
                     ev->seq, items[i - 1].event->seq);
            return PROTO_EINVAL;
        }
        if (items[i].reject_code != 0)
            continue;
        if (!isfinite(items[i].points) || !isfinite(items[i].points_cap) ||
            strnlen(items[i].day, sizeof items[i].day) != 10) {
            snprintf(why, why_len,
                     "seq %" PRIu64 ": points must be finite and day a "
                     "YYYY-MM-DD date",
                     ev->seq);
            return PROTO_EINVAL;
        }
        for (uint32_t m = 0; m < ev->n_measures && m < PROTO_MAX_MEASURES; m++)
            if (!isfinite(ev->measures[m].value)) {
                snprintf(why, why_len,
                         "seq %" PRIu64 ": measure \"%s\" is not a finite "
                         "number",
                         ev->seq, ev->measures[m].key);
                return PROTO_EINVAL;
            }
        if (ev->n_measures > PROTO_MAX_MEASURES ||
            (ev->type == PROTO_EV_SUGGESTION && ev->title == NULL) ||
            (ev->type == PROTO_EV_VOTE && ev->vote != 0 && ev->vote != 1)) {
            snprintf(why, why_len,
                     "seq %" PRIu64 ": accepted %s event is incomplete",
                     ev->seq, syncd_event_type_name(ev->type));
            return PROTO_EINVAL;
        }
    }
    return 0;
}

/* ---- Suggestion lifecycle */

static const char *const statuses[] = {
    "new", "review", "accepted", "in_progress", "done", "rejected", "merged"};

/* The statuses each one may become (besides itself). */
static const struct {
    const char *from;
    const char *to; /* space-separated */
} transitions[] = {
    {"new", "review accepted rejected"},
    {"review", "accepted rejected"},
    {"accepted", "in_progress done rejected"},
    {"in_progress", "done rejected"},
    {"rejected", "review"},
    {"done", ""},
    {"merged", ""},
};

bool syncd_status_known(const char *st)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(statuses[i], st) == 0)
            return true;
    return false;
}

const char *syncd_status_allowed_from(const char *from)
{
    for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
        if (strcmp(transitions[i].from, from) == 0)
            return transitions[i].to;
    return "";
}

bool syncd_status_transition_ok(const char *from, const char *to)
{
    const char *list = syncd_status_allowed_from(from);
    size_t n = strlen(to);

    if (strcmp(from, to) == 0)
        return strcmp(from, "merged") != 0;
    for (const char *p = list; (p = strstr(p, to)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

bool syncd_date_ok(const char *d)
{
    char week[16];

    return syncd_iso_week(d, week) == 0;
}

bool syncd_measure_ok(const char *m)
{
    const char *dot = strchr(m, '.'), *colon = strrchr(m, ':');

    if (!dot || !colon || dot == m || colon < dot + 2)
        return false;
    if (strcmp(colon + 1, "up") != 0 && strcmp(colon + 1, "down") != 0)
        return false;
    for (const char *p = m; p < colon; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
              (*p == '.' && p == dot)))
            return false;
    return (size_t)(colon - m) <= PROTO_ID_MAX + PROTO_KEY_MAX;
}

/* ---- Export (store.h syncd_store_export_events): CSV is RFC 4180 with
 *      a header line and CRLF, NULL an empty field; JSON Lines has every
 *      column (null when the type has none), measures as an object. */

const syncd_export_col_t syncd_export_cols[] = {
    {"kiosk_id", SYNCD_COL_TEXT},      {"seq", SYNCD_COL_UINT},
    {"type", SYNCD_COL_TEXT},          {"site_id", SYNCD_COL_TEXT},
    {"staff_id", SYNCD_COL_TEXT},      {"step_id", SYNCD_COL_TEXT},
    {"process_id", SYNCD_COL_TEXT},    {"catalogue_version", SYNCD_COL_UINT},
    {"captured_utc", SYNCD_COL_UTC},   {"received_utc", SYNCD_COL_UTC},
    {"day", SYNCD_COL_TEXT},           {"quality", SYNCD_COL_INT},
    {"score", SYNCD_COL_INT},          {"vote", SYNCD_COL_INT},
    {"suggestion_id", SYNCD_COL_TEXT}, {"measures", SYNCD_COL_JSON},
    {"note", SYNCD_COL_TEXT},          {"points", SYNCD_COL_NUMBER},
    {"kind", SYNCD_COL_TEXT},          {"anonymous", SYNCD_COL_BOOL},
    {"title", SYNCD_COL_TEXT},         {"body", SYNCD_COL_TEXT},
};
const size_t syncd_export_ncols =
    sizeof syncd_export_cols / sizeof syncd_export_cols[0];

/* A non-NULL number, time or flag in the form both formats share. */
static void export_scalar(syncd_buf_t *b, const char *v, syncd_col_kind_t kind)
{
    switch (kind) {
    case SYNCD_COL_UINT:
        syncd_buf_fmt(b, "%" PRIu64, (uint64_t)strtoll(v, NULL, 10));
        break;
    case SYNCD_COL_INT:
        syncd_buf_fmt(b, "%lld", strtoll(v, NULL, 10));
        break;
    case SYNCD_COL_NUMBER:
        syncd_buf_number(b, strtod(v, NULL));
        break;
    case SYNCD_COL_BOOL:
        syncd_buf_str(b, strtoll(v, NULL, 10) ? "true" : "false");
        break;
    case SYNCD_COL_UTC:
        syncd_buf_utc(b, strtoll(v, NULL, 10));
        break;
    default:
        break;
    }
}

void syncd_export_csv_header(syncd_buf_t *b)
{
    for (size_t i = 0; i < syncd_export_ncols; i++) {
        if (i > 0)
            syncd_buf_add(b, ",", 1);
        syncd_buf_str(b, syncd_export_cols[i].name);
    }
    syncd_buf_add(b, "\r\n", 2);
}

void syncd_export_row(syncd_buf_t *b, bool csv, const char *const *vals)
{
    for (size_t i = 0; i < syncd_export_ncols; i++) {
        syncd_col_kind_t kind = syncd_export_cols[i].kind;
        const char *v = vals[i];

        if (csv) {
            if (i > 0)
                syncd_buf_add(b, ",", 1);
            if (v == NULL)
                continue;
            if (kind == SYNCD_COL_TEXT || kind == SYNCD_COL_JSON)
                syncd_buf_csv_str(b, v);
            else
                export_scalar(b, v, kind);
            continue;
        }
        syncd_buf_add(b, i > 0 ? "," : "{", 1);
        syncd_buf_json_str(b, syncd_export_cols[i].name);
        syncd_buf_add(b, ":", 1);
        if (v == NULL) {
            syncd_buf_str(b, "null");
        } else if (kind == SYNCD_COL_TEXT) {
            syncd_buf_json_str(b, v);
        } else if (kind == SYNCD_COL_JSON) {
            syncd_buf_str(b, v);
        } else if (kind == SYNCD_COL_UTC) {
            syncd_buf_add(b, "\"", 1);
            export_scalar(b, v, kind);
            syncd_buf_add(b, "\"", 1);
        } else {
            export_scalar(b, v, kind);
        }
    }
    syncd_buf_add(b, csv ? "\r\n" : "}\n", 2);
}
