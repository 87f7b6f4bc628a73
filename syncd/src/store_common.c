/*
 * store_common.c — the forms and rules every store backend shares
 * (store_common.h): the text buffer, numbers, JSON and CSV fields, the
 * dead-letter JSON of an event, the batch checks, the points cap, the
 * suggestion lifecycle's transitions and the checks and changes of a
 * decision or merge, suggestions and standings from rows, the
 * verification reports, the near-duplicate search terms and the export's
 * row format. Kept out of the backends so that SQLite and PostgreSQL
 * write the same bytes and refuse the same things; a backend keeps its
 * SQL and its driver calls.
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
        /* by hand: this runs for every measure of every check-in */
        char tmp[24];
        size_t n = 0, o = 0;
        uint64_t u = (uint64_t)fabs(v);

        do
            tmp[n++] = (char)('0' + u % 10);
        while ((u /= 10) != 0 && n < sizeof tmp);
        if (v < 0 && o + 1 < size)
            out[o++] = '-';
        while (n > 0 && o + 1 < size)
            out[o++] = tmp[--n];
        out[o] = '\0';
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

double syncd_points_capped(double points, double cap, double so_far)
{
    double left = cap - so_far;

    if (left < 0)
        left = 0;
    return points > left ? left : points;
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

/* ---- Suggestions as rows */

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

int syncd_suggestion_fill_proto(proto_suggestion_t *sg, const char *const *cols)
{
    memset(sg, 0, sizeof *sg);
    snprintf(sg->id, sizeof sg->id, "%s", or_empty(cols[0]));
    sg->kind = strcmp(or_empty(cols[1]), "problem") == 0 ? PROTO_KIND_PROBLEM
                                                         : PROTO_KIND_IDEA;
    snprintf(sg->status, sizeof sg->status, "%s", or_empty(cols[2]));
    sg->title = proto_strdup(or_empty(cols[3]));
    if (cols[4])
        sg->body = proto_strdup(cols[4]);
    snprintf(sg->process_id, sizeof sg->process_id, "%s", or_empty(cols[5]));
    snprintf(sg->step_id, sizeof sg->step_id, "%s", or_empty(cols[6]));
    snprintf(sg->author_id, sizeof sg->author_id, "%s", or_empty(cols[7]));
    sg->votes = (uint32_t)strtoll(or_empty(cols[8]), NULL, 10);
    snprintf(sg->owner_id, sizeof sg->owner_id, "%s", or_empty(cols[9]));
    snprintf(sg->due, sizeof sg->due, "%s", or_empty(cols[10]));
    if (cols[11])
        sg->feedback = proto_strdup(cols[11]);
    snprintf(sg->merged_into, sizeof sg->merged_into, "%s", or_empty(cols[12]));
    sg->created_ms = strtoll(or_empty(cols[13]), NULL, 10);
    sg->updated_ms = strtoll(or_empty(cols[14]), NULL, 10);
    if (sg->title == NULL || (cols[4] && sg->body == NULL) ||
        (cols[11] && sg->feedback == NULL))
        return PROTO_ENOMEM;
    return 0;
}

int syncd_suggestion_fill(syncd_suggestion_t *out, const char *const *cols)
{
    if (syncd_suggestion_fill_proto(&out->s, cols) < 0) {
        proto_free(out->s.title);
        proto_free(out->s.body);
        proto_free(out->s.feedback);
        memset(&out->s, 0, sizeof out->s);
        return PROTO_ENOMEM;
    }
    out->change_id = (uint64_t)strtoll(or_empty(cols[15]), NULL, 10);
    snprintf(out->site_id, sizeof out->site_id, "%s", or_empty(cols[16]));
    snprintf(out->measure, sizeof out->measure, "%s", or_empty(cols[17]));
    snprintf(out->done_day, sizeof out->done_day, "%s", or_empty(cols[18]));
    return 0;
}

void syncd_standing_fill(proto_standing_t *rows, uint32_t i, const char *week,
                         const char *staff_id, const char *team_id,
                         int64_t points)
{
    proto_standing_t *r = &rows[i];

    memset(r, 0, sizeof *r);
    snprintf(r->week, sizeof r->week, "%s", week);
    snprintf(r->staff_id, sizeof r->staff_id, "%s", or_empty(staff_id));
    snprintf(r->team_id, sizeof r->team_id, "%s", or_empty(team_id));
    r->points = points;
    r->rank =
        (i > 0 && rows[i - 1].points == points) ? rows[i - 1].rank : i + 1;
}

/* ---- Standings cache (store_common.h) */

typedef struct {
    char site_id[PROTO_ID_MAX + 1];
    uint64_t change_id;
    uint64_t used; /* tick of the last put, for the eviction */
    proto_standing_t *rows;
    uint32_t n;
} standings_entry_t;

struct syncd_standings_cache {
    standings_entry_t e[SYNCD_STANDINGS_SITES];
    size_t n;
    uint64_t tick;
};

void syncd_standings_cache_free(syncd_standings_cache_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    for (size_t i = 0; i < (*self_p)->n; i++)
        proto_free((*self_p)->e[i].rows);
    free(*self_p);
    *self_p = NULL;
}

static standings_entry_t *standings_find(syncd_standings_cache_t *self,
                                         const char *site_id)
{
    for (size_t i = 0; self && i < self->n; i++)
        if (strcmp(self->e[i].site_id, site_id) == 0)
            return &self->e[i];
    return NULL;
}

int syncd_standings_cache_get(syncd_standings_cache_t *self,
                              const char *site_id, uint64_t change_id,
                              proto_standing_t **rows, uint32_t *n)
{
    standings_entry_t *e = standings_find(self, site_id);

    *rows = NULL;
    *n = 0;
    if (e == NULL || e->change_id != change_id)
        return 0;
    if (e->n > 0) {
        *rows = proto_malloc(e->n * sizeof **rows);
        if (*rows == NULL)
            return PROTO_ENOMEM;
        memcpy(*rows, e->rows, e->n * sizeof **rows);
    }
    *n = e->n;
    return 1;
}

void syncd_standings_cache_put(syncd_standings_cache_t **self_p,
                               const char *site_id, uint64_t change_id,
                               const proto_standing_t *rows, uint32_t n)
{
    syncd_standings_cache_t *self = *self_p;
    standings_entry_t *e;
    proto_standing_t *copy = NULL;

    if (strlen(site_id) > PROTO_ID_MAX)
        return;
    if (self == NULL && (self = *self_p = calloc(1, sizeof *self)) == NULL)
        return;
    if (n > 0) {
        if ((copy = proto_malloc(n * sizeof *copy)) == NULL)
            return;
        memcpy(copy, rows, n * sizeof *copy);
    }
    if ((e = standings_find(self, site_id)) == NULL) {
        if (self->n < SYNCD_STANDINGS_SITES) {
            e = &self->e[self->n++];
        } else {
            e = &self->e[0];
            for (size_t i = 1; i < self->n; i++)
                if (self->e[i].used < e->used)
                    e = &self->e[i];
        }
        snprintf(e->site_id, sizeof e->site_id, "%s", site_id);
    }
    proto_free(e->rows);
    e->rows = copy;
    e->n = n;
    e->change_id = change_id;
    e->used = ++self->tick;
}

/* ---- Decisions and merges: the checks and the changes that are the
 *      same whatever the SQL. */

int syncd_decision_check(const syncd_decision_t *d, char *why, size_t why_len)
{
    if (!syncd_status_known(d->status) || strcmp(d->status, "merged") == 0)
        snprintf(why, why_len,
                 "status \"%s\" is not one a decision can set; use new, "
                 "review, accepted, in_progress, done or rejected (merge "
                 "with syncctl merge)",
                 d->status);
    else if (d->due && d->due[0] && !syncd_date_ok(d->due))
        snprintf(why, why_len,
                 "due date \"%s\" is not a date; write it as YYYY-MM-DD",
                 d->due);
    else if (d->measure && d->measure[0] && !syncd_measure_ok(d->measure))
        snprintf(why, why_len,
                 "success measure \"%s\" is malformed; write "
                 "STEP.MEASURE:up or STEP.MEASURE:down (e.g. "
                 "tm-call.effective:up)",
                 d->measure);
    else if (d->feedback && strlen(d->feedback) > PROTO_BODY_MAX)
        snprintf(why, why_len, "feedback is %zu bytes; keep it within %d",
                 strlen(d->feedback), PROTO_BODY_MAX);
    else if (d->owner_id && strlen(d->owner_id) > PROTO_ID_MAX)
        snprintf(why, why_len, "owner id is over %d bytes", PROTO_ID_MAX);
    else if (!syncd_date_ok(d->day))
        snprintf(why, why_len, "decision day \"%s\" is not a YYYY-MM-DD date",
                 d->day);
    else
        return 0;
    return PROTO_EINVAL;
}

int syncd_decision_apply(syncd_suggestion_t *sg, const char *from,
                         const syncd_decision_t *d, char *why, size_t why_len)
{
    if (!syncd_status_transition_ok(from, d->status)) {
        const char *to = syncd_status_allowed_from(from);

        snprintf(why, why_len,
                 "suggestion %s is \"%s\" and cannot become \"%s\"; %s%s",
                 sg->s.id, from, d->status,
                 to[0] ? "from there it can become: " : "it is closed",
                 to[0] ? to : "; record a new suggestion instead");
        return PROTO_ESTATE;
    }
    snprintf(sg->s.status, sizeof sg->s.status, "%s", d->status);
    if (d->owner_id)
        snprintf(sg->s.owner_id, sizeof sg->s.owner_id, "%s", d->owner_id);
    if (d->due)
        snprintf(sg->s.due, sizeof sg->s.due, "%s", d->due);
    if (d->measure)
        snprintf(sg->measure, sizeof sg->measure, "%s", d->measure);
    if (d->feedback) {
        proto_free(sg->s.feedback);
        sg->s.feedback = d->feedback[0] ? proto_strdup(d->feedback) : NULL;
        if (d->feedback[0] && sg->s.feedback == NULL) {
            snprintf(why, why_len, "out of memory");
            return PROTO_ENOMEM;
        }
    }
    if (strcmp(d->status, "done") == 0 && strcmp(from, "done") != 0)
        snprintf(sg->done_day, sizeof sg->done_day, "%s", d->day);
    return 0;
}

int syncd_merge_check(const syncd_suggestion_t *a, const syncd_suggestion_t *b,
                      char *why, size_t why_len)
{
    if (strcmp(a->site_id, b->site_id) != 0) {
        snprintf(why, why_len,
                 "suggestion %s is from site %s and %s from site %s; only "
                 "suggestions of one site can be merged",
                 a->s.id, a->site_id, b->s.id, b->site_id);
        return PROTO_EINVAL;
    }
    if (strcmp(a->s.status, "new") != 0 && strcmp(a->s.status, "review") != 0) {
        snprintf(why, why_len,
                 "suggestion %s is \"%s\"; only new or review suggestions "
                 "can be merged into another",
                 a->s.id, a->s.status);
        return PROTO_ESTATE;
    }
    if (strcmp(b->s.status, "merged") == 0 ||
        strcmp(b->s.status, "rejected") == 0) {
        snprintf(why, why_len,
                 "suggestion %s is \"%s\"; merge into a suggestion that is "
                 "still open%s%s%s",
                 b->s.id, b->s.status, b->s.merged_into[0] ? " (e.g. " : "",
                 b->s.merged_into, b->s.merged_into[0] ? ")" : "");
        return PROTO_ESTATE;
    }
    return 0;
}

/* ---- Rollup verification reports */

static const struct {
    const char *fmt; /* printf with the columns as strings, in order */
    int ncols;
} verify_reports[SYNCD_VERIFY_NCHECKS] = {
    [SYNCD_VERIFY_DAY_MISSING] =
        {"rollup_day lacks the row site %s, day %s, step \"%s\", staff "
         "\"%s\" that its events give",
         4},
    [SYNCD_VERIFY_DAY_EXTRA] =
        {"rollup_day has the row site %s, day %s, step \"%s\", staff "
         "\"%s\" with no events behind it",
         4},
    [SYNCD_VERIFY_DAY_VALUES] =
        {"rollup_day site %s, day %s, step \"%s\", staff \"%s\" holds "
         "checkins %s (events give %s), quality_sum %s (%s), quality_n %s "
         "(%s), points %s (%s), ratings_n %s (%s), ratings_sum %s (%s)",
         16},
    [SYNCD_VERIFY_MEASURE_MISSING] =
        {"rollup_measure lacks the row site %s, day %s, step \"%s\", "
         "staff \"%s\", measure \"%s\" that its events give",
         5},
    [SYNCD_VERIFY_MEASURE_EXTRA] =
        {"rollup_measure has the row site %s, day %s, step \"%s\", "
         "staff \"%s\", measure \"%s\" with no events behind it",
         5},
    [SYNCD_VERIFY_MEASURE_TOTAL] =
        {"rollup_measure site %s, day %s, step \"%s\", staff \"%s\", "
         "measure \"%s\" totals %s but its events give %s",
         7},
    [SYNCD_VERIFY_VOTES] =
        {"suggestion %s counts %s votes but %s staff voted for it", 3},
    [SYNCD_VERIFY_KIOSK_COUNTS] =
        {"kiosk %s counts %s events (the store holds %s) and %s rejected "
         "(dead letters hold %s)",
         5},
    [SYNCD_VERIFY_KIOSK_ACKED] =
        {"kiosk %s has acked seq %s but the store holds seq %s above it", 3},
};

int syncd_verify_ncols(size_t k)
{
    return k < SYNCD_VERIFY_NCHECKS ? verify_reports[k].ncols : 0;
}

void syncd_verify_report(size_t k, const char *const *cols, char *why,
                         size_t why_len)
{
    const char *v[SYNCD_VERIFY_MAX_COLS];
    int n = syncd_verify_ncols(k);

    for (int i = 0; i < SYNCD_VERIFY_MAX_COLS; i++)
        v[i] = i < n && cols[i] ? cols[i] : "NULL";
    if (n == 0) {
        snprintf(why, why_len, "verification check %zu is not known", k);
        return;
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(why, why_len, verify_reports[k].fmt, v[0], v[1], v[2], v[3], v[4],
             v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14],
             v[15]);
#pragma GCC diagnostic pop
}

/* ---- Near-duplicate search terms */

void syncd_similar_terms(const char *norm, syncd_similar_terms_t *t)
{
    size_t nlen = strlen(norm), pos = 0, cps = 0, last2 = nlen;

    t->norm = norm;
    t->n_off = 0;
    for (size_t i = 0; norm[i] && t->n_off < SYNCD_SIMILAR_MAX_TERMS + 3; i++)
        if (((unsigned char)norm[i] & 0xC0) != 0x80)
            t->off[t->n_off++] = i;
    for (size_t i = 0; i < nlen; i++) {
        if (((unsigned char)norm[i] & 0xC0) == 0x80)
            continue;
        if (++cps == 3)
            pos = i;
    }
    snprintf(t->head, sizeof t->head, "%.*s", (int)pos, norm);
    for (size_t seen = 0; last2 > 0 && seen < 2;) {
        last2--;
        if (((unsigned char)norm[last2] & 0xC0) != 0x80)
            seen++;
    }
    snprintf(t->tail, sizeof t->tail, "%s", norm + last2);
}

size_t syncd_similar_ntrigrams(const syncd_similar_terms_t *t)
{
    return t->n_off >= 3 ? t->n_off - 2 : 0;
}

const char *syncd_similar_trigram(const syncd_similar_terms_t *t, size_t i,
                                  size_t *len)
{
    size_t end = i + 3 < t->n_off ? t->off[i + 3] : strlen(t->norm);

    *len = end - t->off[i];
    return t->norm + t->off[i];
}

/* ---- Export (store.h syncd_store_export_events): CSV is RFC 4180 with
 *      a header line and CRLF, an absent value an empty field; JSON Lines
 *      has every column, null when the event has no value for it (SQL
 *      NULL, or the "" a store keeps for an identifier the type lacks),
 *      measures as an object. CSV fields are quoted only when they hold a
 *      comma, quote, CR or LF. Both are UTF-8 as stored, without a BOM;
 *      times are UTC with milliseconds ("2025-11-25T01:30:00.000Z"). */

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

syncd_export_val_t syncd_export_val_text(syncd_col_kind_t kind, const char *v)
{
    syncd_export_val_t out = {.null = v == NULL};

    if (v == NULL)
        return out;
    switch (kind) {
    case SYNCD_COL_TEXT:
    case SYNCD_COL_JSON:
        out.text = v;
        break;
    case SYNCD_COL_NUMBER:
        out.d = strtod(v, NULL);
        break;
    default:
        out.i = strtoll(v, NULL, 10);
        break;
    }
    return out;
}

/* A number, time or flag in the form both formats share. */
static void export_scalar(syncd_buf_t *b, const syncd_export_val_t *v,
                          syncd_col_kind_t kind)
{
    switch (kind) {
    case SYNCD_COL_UINT:
        syncd_buf_fmt(b, "%" PRIu64, (uint64_t)v->i);
        break;
    case SYNCD_COL_INT:
        syncd_buf_fmt(b, "%" PRId64, v->i);
        break;
    case SYNCD_COL_NUMBER:
        syncd_buf_number(b, v->d);
        break;
    case SYNCD_COL_BOOL:
        syncd_buf_str(b, v->i ? "true" : "false");
        break;
    case SYNCD_COL_UTC:
        syncd_buf_utc(b, v->i);
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

void syncd_export_row(syncd_buf_t *b, bool csv, const syncd_export_val_t *vals)
{
    for (size_t i = 0; i < syncd_export_ncols; i++) {
        syncd_col_kind_t kind = syncd_export_cols[i].kind;
        const syncd_export_val_t *v = &vals[i];
        bool text = kind == SYNCD_COL_TEXT || kind == SYNCD_COL_JSON;
        /* identifiers a type does not have are stored as "": absent too */
        bool absent = v->null || (text && (v->text == NULL || !v->text[0]));

        if (csv) {
            if (i > 0)
                syncd_buf_add(b, ",", 1);
            if (absent)
                continue;
            if (text)
                syncd_buf_csv_str(b, v->text);
            else
                export_scalar(b, v, kind);
            continue;
        }
        syncd_buf_add(b, i > 0 ? "," : "{", 1);
        syncd_buf_json_str(b, syncd_export_cols[i].name);
        syncd_buf_add(b, ":", 1);
        if (absent) {
            syncd_buf_str(b, "null");
        } else if (kind == SYNCD_COL_TEXT) {
            syncd_buf_json_str(b, v->text);
        } else if (kind == SYNCD_COL_JSON) {
            syncd_buf_str(b, v->text);
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
