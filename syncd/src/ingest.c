/*
 * ingest.c — validation of a PUSH against the catalogue and the roster,
 * points and site-local days (see ingest.h for the rules).
 *
 * Every rejection carries a sentence that names the offending value and,
 * where there is one, what to do; kiosks show it to the person who set
 * the event aside and the operator reads it in the dead-letter table.
 */
#include "syncd/ingest.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TZ_CACHE_SLOTS 8

typedef struct {
    char tz[PROTO_SHORT_MAX + 1];
    int64_t start_ms, end_ms; /* [start, end) is the day below */
    char day[11];
} tz_day_t;

struct syncd_ingest {
    syncd_ingest_item_t *items;
    size_t n_items, cap_items;
    proto_reject_t *rejects;
    size_t n_rejects, cap_rejects;
    char **reasons; /* every reason string, freed at the next build */
    size_t n_reasons, cap_reasons;
    uint64_t *created; /* seqs of suggestions accepted in this batch */
    size_t n_created, cap_created;
};

static tz_day_t tz_cache[TZ_CACHE_SLOTS];
static unsigned tz_next;

syncd_ingest_t *syncd_ingest_new(void)
{
    return calloc(1, sizeof(syncd_ingest_t));
}

static void reset(syncd_ingest_t *self)
{
    for (size_t i = 0; i < self->n_reasons; i++)
        free(self->reasons[i]);
    self->n_reasons = 0;
    self->n_items = 0;
    self->n_rejects = 0;
    self->n_created = 0;
}

void syncd_ingest_destroy(syncd_ingest_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    syncd_ingest_t *self = *self_p;
    reset(self);
    free(self->items);
    free(self->rejects);
    free(self->reasons);
    free(self->created);
    free(self);
    *self_p = NULL;
}

const syncd_ingest_item_t *syncd_ingest_items(const syncd_ingest_t *self,
                                              size_t *n)
{
    *n = self->n_items;
    return self->items;
}

const proto_reject_t *syncd_ingest_rejects(const syncd_ingest_t *self,
                                           size_t *n)
{
    *n = self->n_rejects;
    return self->rejects;
}

/* ------------------------------------------------------------ local days */

/* Runs localtime_r / mktime with TZ set to tz, restoring the previous TZ
 * afterwards. */
typedef struct {
    char *saved;
    bool had;
} tz_guard_t;

static int tz_enter(tz_guard_t *g, const char *tz)
{
    const char *old = getenv("TZ");
    g->had = old != NULL;
    g->saved = old ? strdup(old) : NULL;
    if (old && !g->saved)
        return PROTO_ENOMEM;
    /* glibc reads a name without a leading ':' the same way, but the colon
     * says "a zoneinfo file" explicitly. */
    char spec[PROTO_SHORT_MAX + 2];
    snprintf(spec, sizeof spec, ":%s", tz);
    if (setenv("TZ", spec, 1) != 0) {
        free(g->saved);
        return PROTO_ENOMEM;
    }
    tzset();
    return 0;
}

static void tz_leave(tz_guard_t *g)
{
    if (g->had)
        (void)setenv("TZ", g->saved, 1);
    else
        (void)unsetenv("TZ");
    tzset();
    free(g->saved);
    g->saved = NULL;
}

static const char *tz_or_default(const char *tz)
{
    return (tz && tz[0]) ? tz : SYNCD_DEFAULT_TIMEZONE;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int syncd_local_day(const char *tz, int64_t ms, char day[11])
{
    tz = tz_or_default(tz);
    if (strlen(tz) > PROTO_SHORT_MAX)
        return PROTO_EINVAL;
    for (int i = 0; i < TZ_CACHE_SLOTS; i++) {
        tz_day_t *c = &tz_cache[i];
        if (c->tz[0] && strcmp(c->tz, tz) == 0 && ms >= c->start_ms &&
            ms < c->end_ms) {
            memcpy(day, c->day, 11);
            return 0;
        }
    }
    tz_guard_t g;
    int rc = tz_enter(&g, tz);
    if (rc)
        return rc;
    time_t t = (time_t)floor_div(ms, 1000);
    struct tm tm;
    rc = PROTO_EINVAL;
    if (!localtime_r(&t, &tm))
        goto out;
    /* The day's bounds via mktime, which knows the zone's DST rules: a
     * day is not always 24 hours long. */
    struct tm start = {0};
    start.tm_year = tm.tm_year;
    start.tm_mon = tm.tm_mon;
    start.tm_mday = tm.tm_mday;
    start.tm_isdst = -1;
    struct tm end = start;
    end.tm_mday += 1;
    time_t ts = mktime(&start);
    time_t te = mktime(&end);
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday);
    if (strlen(tmp) != 10)
        goto out; /* a year outside 0..9999: no calendar day to give */
    memcpy(day, tmp, 11);
    rc = 0;
    if (ts == (time_t)-1 || te == (time_t)-1 || te <= ts)
        goto out; /* correct answer, nothing cacheable */
    tz_day_t *c = &tz_cache[tz_next++ % TZ_CACHE_SLOTS];
    snprintf(c->tz, sizeof c->tz, "%s", tz);
    c->start_ms = (int64_t)ts * 1000;
    c->end_ms = (int64_t)te * 1000;
    memcpy(c->day, day, 11);
out:
    tz_leave(&g);
    return rc;
}

int syncd_local_midnight_ms(const char *tz, const char *date, int64_t *ms)
{
    int y, m, d;
    char tail;
    if (!date || strlen(date) != 10 ||
        sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return PROTO_EINVAL;
    tz_guard_t g;
    int rc = tz_enter(&g, tz_or_default(tz));
    if (rc)
        return rc;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    /* mktime normalises 2026-02-31 to March: refuse such dates */
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m - 1)
        rc = PROTO_EINVAL;
    else
        *ms = (int64_t)t * 1000;
    tz_leave(&g);
    return rc;
}

/* ---------------------------------------------------------------- points */

double syncd_checkin_points(const proto_step_def_t *step,
                            const proto_event_t *ev)
{
    double points = 0;
    for (uint32_t i = 0; i < ev->n_measures; i++) {
        const proto_measure_def_t *m =
            proto_step_measure(step, ev->measures[i].key);
        if (m)
            points += ev->measures[i].value * m->points_per_unit;
    }
    if (step->quality_multiplier && ev->quality > 0)
        points = points * ev->quality / 3.0;
    /* The per-person daily cap (step->daily_points_cap) needs the day's
     * earlier points; the store applies it (item->points_cap), not
     * per event here. */
    return points;
}

/* ------------------------------------------------------------ validation */

typedef struct {
    syncd_ingest_t *self;
    const syncd_ingest_env_t *env;
    const proto_site_t *site; /* in the current catalogue, may be NULL */
    const char *tz;
} ctx_t;

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 32;
    while (c < need)
        c *= 2;
    void *np = realloc(*p, c * size);
    if (!np)
        return PROTO_ENOMEM;
    *p = np;
    *cap = c;
    return 0;
}

/* Records a rejection of ev: the item's code and reason, and an entry for
 * the ACK. item may be NULL (BAD_ORDER events never reach the store). */
static int reject(ctx_t *c, syncd_ingest_item_t *item, const proto_event_t *ev,
                  int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int reject(ctx_t *c, syncd_ingest_item_t *item, const proto_event_t *ev,
                  int code, const char *fmt, ...)
{
    syncd_ingest_t *self = c->self;
    char buf[PROTO_REASON_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    buf[proto_utf8_cut(buf, strlen(buf), PROTO_REASON_MAX)] = '\0';
    if (grow((void **)&self->reasons, &self->cap_reasons, self->n_reasons + 1,
             sizeof(char *)) ||
        grow((void **)&self->rejects, &self->cap_rejects, self->n_rejects + 1,
             sizeof(proto_reject_t)))
        return PROTO_ENOMEM;
    char *reason = strdup(buf);
    if (!reason)
        return PROTO_ENOMEM;
    self->reasons[self->n_reasons++] = reason;
    proto_reject_t *r = &self->rejects[self->n_rejects++];
    r->seq = ev->seq;
    r->code = code;
    r->reason = reason;
    if (item) {
        item->reject_code = code;
        item->reason = reason;
        item->points = 0;
    }
    return 0;
}

/* Is staff_id on the roster of the kiosk's site, in the current catalogue
 * or (for a check-in made under an older version) in that version? */
static bool staff_known(const ctx_t *c, const proto_catalogue_t *named,
                        const char *staff_id)
{
    if (c->site && proto_catalogue_staff(c->site, staff_id))
        return true;
    if (named && named != c->env->current) {
        const proto_site_t *s = proto_catalogue_site(named, c->env->site_id);
        if (s && proto_catalogue_staff(s, staff_id))
            return true;
    }
    return false;
}

static int reject_staff(ctx_t *c, syncd_ingest_item_t *item,
                        const proto_event_t *ev)
{
    const proto_catalogue_t *cur = c->env->current;
    if (!cur)
        return reject(c, item, ev, PROTO_REJECT_UNKNOWN_STAFF,
                      "staff \"%s\" cannot be checked: the server has no "
                      "catalogue yet; import one with syncctl catalogue "
                      "import",
                      ev->staff_id);
    if (!c->site)
        return reject(c, item, ev, PROTO_REJECT_UNKNOWN_STAFF,
                      "site \"%s\" of this kiosk is not in catalogue version "
                      "%llu, so staff \"%s\" cannot be checked; enrol the "
                      "kiosk at a site of the catalogue",
                      c->env->site_id, (unsigned long long)cur->version,
                      ev->staff_id);
    return reject(c, item, ev, PROTO_REJECT_UNKNOWN_STAFF,
                  "staff \"%s\" is not on the roster of site \"%s\" in "
                  "catalogue version %llu",
                  ev->staff_id, c->env->site_id,
                  (unsigned long long)cur->version);
}

static const proto_catalogue_t *catalogue_version(const ctx_t *c,
                                                  uint64_t version)
{
    const proto_catalogue_t *cur = c->env->current;
    if (cur && cur->version == version)
        return cur;
    if (version == 0 || !c->env->catalogue)
        return NULL;
    return c->env->catalogue(c->env->ctx, version);
}

static int check_checkin(ctx_t *c, syncd_ingest_item_t *item,
                         const proto_event_t *ev)
{
    const proto_catalogue_t *cat = catalogue_version(c, ev->catalogue_version);
    if (!staff_known(c, cat, ev->staff_id))
        return reject_staff(c, item, ev);
    if (!cat)
        return reject(c, item, ev, PROTO_REJECT_UNKNOWN_STEP,
                      "step \"%s\" is not in catalogue version %llu, which "
                      "the server does not have",
                      ev->step_id, (unsigned long long)ev->catalogue_version);
    const proto_step_def_t *step = proto_catalogue_step(cat, ev->step_id);
    if (!step)
        return reject(c, item, ev, PROTO_REJECT_UNKNOWN_STEP,
                      "step \"%s\" is not in catalogue version %llu",
                      ev->step_id, (unsigned long long)ev->catalogue_version);
    for (uint32_t i = 0; i < ev->n_measures; i++) {
        const proto_measure_t *m = &ev->measures[i];
        const proto_measure_def_t *def = proto_step_measure(step, m->key);
        if (!def)
            return reject(c, item, ev, PROTO_REJECT_UNKNOWN_MEASURE,
                          "measure \"%s\" is not defined for step \"%s\" in "
                          "catalogue version %llu",
                          m->key, ev->step_id,
                          (unsigned long long)ev->catalogue_version);
        if (!isfinite(m->value) || m->value < 0)
            return reject(c, item, ev, PROTO_REJECT_OUT_OF_RANGE,
                          "measure \"%s\" is %g; it must be a number of at "
                          "least 0",
                          m->key, m->value);
        /* max_per_checkin 0 means the catalogue sets no limit */
        if (def->max_per_checkin > 0 && m->value > def->max_per_checkin)
            return reject(c, item, ev, PROTO_REJECT_OUT_OF_RANGE,
                          "measure \"%s\" is %g; one check-in of step \"%s\" "
                          "may record at most %g",
                          m->key, m->value, ev->step_id, def->max_per_checkin);
    }
    if (ev->quality > 5)
        return reject(c, item, ev, PROTO_REJECT_OUT_OF_RANGE,
                      "quality %u is outside 1..5 (0 = not given)",
                      (unsigned)ev->quality);
    item->points = syncd_checkin_points(step, ev);
    item->points_cap = step->daily_points_cap;
    const proto_staff_t *who =
        c->site ? proto_catalogue_staff(c->site, ev->staff_id) : NULL;
    item->team_id = who ? who->team_id : "";
    return 0;
}

/* Does step sit in process or one of its sub-processes? */
static bool step_under(const proto_step_def_t *step,
                       const proto_process_def_t *proc)
{
    for (const proto_process_def_t *p = step->process; p; p = p->parent) {
        if (p == proc)
            return true;
    }
    return false;
}

static bool blank(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' ||
            *p == '\f') {
            p++;
        } else if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
            p += 3; /* U+3000 ideographic space, common in Chinese input */
        } else {
            return false;
        }
    }
    return true;
}

static int reject_no_catalogue(ctx_t *c, syncd_ingest_item_t *item,
                               const proto_event_t *ev, int code,
                               const char *what, const char *id)
{
    return reject(c, item, ev, code,
                  "%s \"%s\" cannot be checked: the server has no catalogue "
                  "yet; import one with syncctl catalogue import",
                  what, id);
}

static int check_suggestion(ctx_t *c, syncd_ingest_item_t *item,
                            proto_event_t *ev)
{
    const proto_catalogue_t *cur = c->env->current;
    if (ev->kind != PROTO_KIND_PROBLEM && ev->kind != PROTO_KIND_IDEA)
        return reject(c, item, ev, PROTO_REJECT_INVALID,
                      "suggestion kind %d is neither problem (1) nor idea "
                      "(2)",
                      (int)ev->kind);
    if (blank(ev->title))
        return reject(c, item, ev, PROTO_REJECT_INVALID,
                      "the suggestion's title is empty; a suggestion needs a "
                      "title");
    if (ev->anonymous) {
        /* Anonymity is kept by not storing the author at all. */
        ev->staff_id[0] = '\0';
    } else if (!ev->staff_id[0]) {
        return reject(c, item, ev, PROTO_REJECT_INVALID,
                      "the suggestion names no author and is not marked "
                      "anonymous");
    } else if (!staff_known(c, NULL, ev->staff_id)) {
        return reject_staff(c, item, ev);
    }
    const proto_process_def_t *proc = NULL;
    if (ev->process_id[0]) {
        if (!cur)
            return reject_no_catalogue(c, item, ev,
                                       PROTO_REJECT_UNKNOWN_PROCESS, "process",
                                       ev->process_id);
        proc = proto_catalogue_process(cur, ev->process_id);
        if (!proc)
            return reject(c, item, ev, PROTO_REJECT_UNKNOWN_PROCESS,
                          "process \"%s\" is not in catalogue version %llu",
                          ev->process_id, (unsigned long long)cur->version);
    }
    if (ev->step_id[0]) {
        if (!cur)
            return reject_no_catalogue(c, item, ev, PROTO_REJECT_UNKNOWN_STEP,
                                       "step", ev->step_id);
        const proto_step_def_t *step = proto_catalogue_step(cur, ev->step_id);
        if (!step)
            return reject(c, item, ev, PROTO_REJECT_UNKNOWN_STEP,
                          "step \"%s\" is not in catalogue version %llu",
                          ev->step_id, (unsigned long long)cur->version);
        if (proc && !step_under(step, proc))
            return reject(c, item, ev, PROTO_REJECT_INVALID,
                          "step \"%s\" is not part of process \"%s\" in "
                          "catalogue version %llu",
                          ev->step_id, ev->process_id,
                          (unsigned long long)cur->version);
    }
    return 0;
}

/* "<kiosk_id>:<seq>" of a suggestion accepted earlier in this batch? */
static bool created_in_batch(const ctx_t *c, const char *id)
{
    size_t kl = strlen(c->env->kiosk_id);
    if (strncmp(id, c->env->kiosk_id, kl) != 0 || id[kl] != ':')
        return false;
    const char *num = id + kl + 1;
    if (*num < '0' || *num > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long seq = strtoull(num, &end, 10);
    if (errno || *end)
        return false;
    for (size_t i = 0; i < c->self->n_created; i++) {
        if (c->self->created[i] == seq)
            return true;
    }
    return false;
}

static int check_vote(ctx_t *c, syncd_ingest_item_t *item,
                      const proto_event_t *ev)
{
    if (ev->vote != 0 && ev->vote != 1)
        return reject(c, item, ev, PROTO_REJECT_OUT_OF_RANGE,
                      "vote %d is neither +1 nor 0 (withdraw)", (int)ev->vote);
    if (!staff_known(c, NULL, ev->staff_id))
        return reject_staff(c, item, ev);
    if (!ev->suggestion_id[0])
        return reject(c, item, ev, PROTO_REJECT_UNKNOWN_SUGGESTION,
                      "the vote names no suggestion");
    if (created_in_batch(c, ev->suggestion_id))
        return 0;
    int rc = c->env->suggestion_exists
                 ? c->env->suggestion_exists(c->env->ctx, ev->suggestion_id)
                 : 0;
    if (rc < 0)
        return PROTO_ESTORE;
    if (rc == 0)
        return reject(c, item, ev, PROTO_REJECT_UNKNOWN_SUGGESTION,
                      "suggestion \"%s\" does not exist on the server",
                      ev->suggestion_id);
    return 0;
}

static int check_rating(ctx_t *c, syncd_ingest_item_t *item,
                        const proto_event_t *ev)
{
    const proto_catalogue_t *cur = c->env->current;
    if (ev->score < 1 || ev->score > 5)
        return reject(c, item, ev, PROTO_REJECT_OUT_OF_RANGE,
                      "score %u is outside 1..5", (unsigned)ev->score);
    if (!staff_known(c, NULL, ev->staff_id))
        return reject_staff(c, item, ev);
    if (ev->step_id[0]) {
        if (!cur)
            return reject_no_catalogue(c, item, ev, PROTO_REJECT_UNKNOWN_STEP,
                                       "step", ev->step_id);
        if (!proto_catalogue_step(cur, ev->step_id))
            return reject(c, item, ev, PROTO_REJECT_UNKNOWN_STEP,
                          "step \"%s\" is not in catalogue version %llu",
                          ev->step_id, (unsigned long long)cur->version);
    }
    return 0;
}

int syncd_ingest_build(syncd_ingest_t *self, const syncd_ingest_env_t *env,
                       proto_msg_t *push)
{
    reset(self);
    if (!push || push->type != PROTO_MSG_PUSH || !env || !env->kiosk_id ||
        !env->site_id)
        return PROTO_EINVAL;
    uint32_t n = push->u.push.n_events;
    if (n && grow((void **)&self->items, &self->cap_items, n,
                  sizeof(syncd_ingest_item_t)))
        return PROTO_ENOMEM;
    ctx_t c = {self, env, NULL, SYNCD_DEFAULT_TIMEZONE};
    if (env->current) {
        c.site = proto_catalogue_site(env->current, env->site_id);
        if (c.site && c.site->timezone[0])
            c.tz = c.site->timezone;
    }
    uint64_t prev = 0;
    bool have_prev = false;
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        proto_event_t *ev = &push->u.push.events[i];
        if (ev->seq == 0 || (have_prev && ev->seq <= prev)) {
            rc = ev->seq == 0
                     ? reject(&c, NULL, ev, PROTO_REJECT_BAD_ORDER,
                              "seq 0 is not valid; sequence numbers start "
                              "at 1")
                     : reject(&c, NULL, ev, PROTO_REJECT_BAD_ORDER,
                              "seq %llu does not follow seq %llu in this "
                              "batch; send events in increasing seq order",
                              (unsigned long long)ev->seq,
                              (unsigned long long)prev);
            if (rc)
                return rc;
            continue;
        }
        prev = ev->seq;
        have_prev = true;
        syncd_ingest_item_t *item = &self->items[self->n_items++];
        memset(item, 0, sizeof *item);
        item->event = ev;
        if (syncd_local_day(c.tz, ev->captured_ms, item->day) != 0)
            snprintf(item->day, sizeof item->day, "1970-01-01");
        if (ev->seq <= env->acked_seq)
            continue; /* a duplicate: the store ignores it */
        if (strcmp(ev->kiosk_id, env->kiosk_id) != 0) {
            rc = reject(&c, item, ev, PROTO_REJECT_KIOSK_MISMATCH,
                        "event names kiosk \"%s\" but was sent with the key "
                        "of kiosk \"%s\"; a kiosk may only send its own "
                        "events",
                        ev->kiosk_id, env->kiosk_id);
        } else {
            switch (ev->type) {
            case PROTO_EV_CHECKIN:
                rc = check_checkin(&c, item, ev);
                break;
            case PROTO_EV_SUGGESTION:
                rc = check_suggestion(&c, item, ev);
                if (rc == 0 && item->reject_code == 0) {
                    rc = grow((void **)&self->created, &self->cap_created,
                              self->n_created + 1, sizeof(uint64_t));
                    if (rc == 0)
                        self->created[self->n_created++] = ev->seq;
                }
                break;
            case PROTO_EV_VOTE:
                rc = check_vote(&c, item, ev);
                break;
            case PROTO_EV_RATING:
                rc = check_rating(&c, item, ev);
                break;
            default:
                rc = reject(&c, item, ev, PROTO_REJECT_INVALID,
                            "event type %d is not known to this server",
                            (int)ev->type);
            }
        }
        if (rc)
            return rc;
    }
    return 0;
}
