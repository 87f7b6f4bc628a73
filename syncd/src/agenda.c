/*
 * agenda.c — the weekly meeting agenda: every number, from rollups.
 *
 * The branch manager runs the weekly process-improvement meeting from this
 * page, so every number on it must be traceable to check-ins and cheap to
 * get on a store of millions of them. It therefore reads only the
 * per-day rollups (rollup_day, rollup_measure — keyed by site and day, so a
 * site's eight weeks are one index range), points_awards, the suggestions
 * and the kiosk list, through syncd_store_report(), and never raw events.
 * The eight weeks of daily rollup rows are read in key order and summed
 * into weeks here rather than by a SQL GROUP BY: the GROUP BY sorted every
 * row and was nearly all of the agenda's time (docs/PERFORMANCE.md).
 * The rules (targets, colours, exceptions, effect review) are applied here
 * once, into the model of agenda_model.h; the writers only format it.
 * docs/AGENDA.md describes each rule; keep the two in step.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agenda_model.h"
#include "protocol/protocol.h"
#include "syncd/ingest.h"
#include "syncd/similar.h"

/* ----------------------------------------------------------- derived */

double ag_pct(const ag_cell_t *c)
{
    return c->target > 0 ? c->value * 100.0 / c->target : NAN;
}

ag_rag_t ag_rag(const ag_cell_t *c)
{
    double p = ag_pct(c);
    if (isnan(p))
        return AG_RAG_NONE;
    /* compared on the rounded percentage the page shows, so a row shown as
     * 100 % is never amber */
    p = round(p * 10) / 10;
    return p >= 100 ? AG_RAG_GREEN : p >= 80 ? AG_RAG_AMBER : AG_RAG_RED;
}

const char *ag_rag_name(ag_rag_t r)
{
    static const char *const names[] = {"", "green", "amber", "red"};
    return names[r];
}

double ag_quality(const ag_cell_t *c)
{
    return c->quality_n ? (double)c->quality_sum / (double)c->quality_n : NAN;
}

double ag_rating(const ag_cell_t *c)
{
    return c->ratings_n ? (double)c->ratings_sum / (double)c->ratings_n : NAN;
}

double ag_effect_value(double total, long person_days)
{
    return person_days > 0 ? total / (double)person_days : NAN;
}

const char *ag_exception_key(ag_ex_kind_t k)
{
    static const char *const keys[] = {"below_target_2w", "quality_drop",
                                       "no_activity", "no_checkins"};
    return keys[k];
}

const char *ag_status_zh(const char *status)
{
    static const char *const map[][2] = {
        {"new", "新提交"},         {"review", "评审中"}, {"accepted", "已采纳"},
        {"in_progress", "进行中"}, {"done", "已完成"},   {"rejected", "未采纳"},
        {"merged", "已合并"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], status) == 0)
            return map[i][1];
    return status;
}

const char *ag_person_name(const ag_t *ag, const char *staff_id)
{
    const proto_staff_t *p = staff_id && staff_id[0]
                                 ? proto_catalogue_staff(ag->site, staff_id)
                                 : NULL;
    if (p && p->name.zh)
        return p->name.zh;
    return staff_id && staff_id[0] ? staff_id : "—";
}

const char *ag_step_label(const ag_t *ag, const char *step_id)
{
    const proto_step_def_t *s =
        step_id && step_id[0] ? proto_catalogue_step(ag->cat, step_id) : NULL;
    if (s && s->name.zh)
        return s->name.zh;
    return step_id && step_id[0] ? step_id : "（未指定步骤）";
}

const char *ag_process_label(const ag_t *ag, const char *process_id)
{
    const proto_process_def_t *p =
        process_id && process_id[0]
            ? proto_catalogue_process(ag->cat, process_id)
            : NULL;
    if (p && p->name.zh)
        return p->name.zh;
    return process_id && process_id[0] ? process_id : "（未指定流程）";
}

/* ------------------------------------------------------------ building */

/* Where query callbacks put what they read. */
typedef struct {
    ag_t *ag;
    syncd_store_t *store;
    char *err;
    size_t err_len;
    ag_sugg_t **sugg_list; /* on_sugg appends here */
    size_t *sugg_n;
    double ind_total; /* on_ind */
    long ind_pd;
    char accepted_ms[32];   /* on_accepted */
    struct week_sums *sums; /* on_day_row, on_measure_row */
} build_t;

static int oom(build_t *b)
{
    snprintf(b->err, b->err_len,
             "out of memory building the agenda; try again or free memory "
             "on the server");
    return PROTO_ENOMEM;
}

static char *dup(const char *s)
{
    return strdup(s ? s : "");
}

/* Grows *arr (elements of size sz) to hold one more; the new element is
 * zeroed. NULL on failure. */
static void *grow(void *arr_p, size_t *n, size_t sz)
{
    void **arr = arr_p;
    void *g = realloc(*arr, (*n + 1) * sz);
    if (!g)
        return NULL;
    *arr = g;
    memset((char *)g + *n * sz, 0, sz);
    return (char *)g + (*n)++ * sz;
}

static double num(const char *s)
{
    return s ? strtod(s, NULL) : 0;
}

static int query(build_t *b, const char *what, const char *sql,
                 const char *const *args, size_t nargs, syncd_row_fn fn)
{
    int rc = syncd_store_report(b->store, sql, args, nargs, fn, b);
    if (rc < 0 && rc != PROTO_ENOMEM)
        snprintf(b->err, b->err_len,
                 "reading %s for the agenda failed: %s; check the store with "
                 "syncctl verify",
                 what, syncd_store_errmsg(b->store));
    else if (rc == PROTO_ENOMEM)
        (void)oom(b);
    return rc;
}

static ag_step_t *step_find(ag_t *ag, const char *id)
{
    for (size_t i = 0; i < ag->n_steps; i++)
        if (strcmp(ag->steps[i].id, id) == 0)
            return &ag->steps[i];
    return NULL;
}

static ag_person_t *person_find(ag_t *ag, const char *id)
{
    for (size_t i = 0; i < ag->n_people; i++)
        if (strcmp(ag->people[i].id, id) == 0)
            return &ag->people[i];
    return NULL;
}

/* Steps of the current catalogue first (catalogue order), then steps the
 * rollups name that it no longer has (kept so nothing disappears). */
static int steps_init(build_t *b)
{
    ag_t *ag = b->ag;
    for (size_t i = 0; i < ag->cat->n_steps; i++) {
        const proto_step_def_t *d = ag->cat->steps[i];
        ag_step_t *s = grow(&ag->steps, &ag->n_steps, sizeof *s);
        if (!s)
            return oom(b);
        snprintf(s->id, sizeof s->id, "%s", d->id);
        s->def = d;
        s->name = d->name.zh ? d->name.zh : d->id;
        s->name_en = d->name.en ? d->name.en : "";
        s->process_id = d->process ? d->process->id : "";
        s->process_name = d->process && d->process->name.zh
                              ? d->process->name.zh
                              : s->process_id;
        s->measure = s->measure_name = s->unit = "";
        /* the primary measure: the first with a target, else the first */
        const proto_measure_def_t *m = NULL;
        for (size_t k = 0; k < d->n_measures && !m; k++)
            if (d->measures[k].daily_target > 0)
                m = &d->measures[k];
        if (!m && d->n_measures)
            m = &d->measures[0];
        if (m) {
            s->measure = m->id;
            s->measure_name = m->name.zh ? m->name.zh : m->id;
            s->unit = m->unit.zh ? m->unit.zh : "";
            s->daily_target = m->daily_target;
        }
    }
    return 0;
}

static int people_init(build_t *b)
{
    ag_t *ag = b->ag;
    for (size_t i = 0; i < ag->site->n_staff; i++) {
        const proto_staff_t *st = &ag->site->staff[i];
        ag_person_t *p = grow(&ag->people, &ag->n_people, sizeof *p);
        if (!p)
            return oom(b);
        snprintf(p->id, sizeof p->id, "%s", st->id);
        p->name = st->name.zh ? st->name.zh : st->id;
        p->team_id = st->team_id;
        const proto_team_t *t = proto_catalogue_team(ag->site, st->team_id);
        p->team_name = t && t->name.zh ? t->name.zh : st->team_id;
        p->on_roster = true;
    }
    for (size_t i = 0; i < ag->site->n_teams; i++) {
        ag_team_t *t = grow(&ag->teams, &ag->n_teams, sizeof *t);
        if (!t)
            return oom(b);
        snprintf(t->id, sizeof t->id, "%s", ag->site->teams[i].id);
        t->name = ag->site->teams[i].name.zh ? ag->site->teams[i].name.zh
                                             : ag->site->teams[i].id;
    }
    return 0;
}

/* A step or person the rollups name but the catalogue does not. The name
 * is the id (it points into the element, which never moves after the
 * rollups are read: names are fixed up in fix_names). */
static ag_step_t *step_get(build_t *b, const char *id)
{
    ag_step_t *s = step_find(b->ag, id);
    if (s)
        return s;
    s = grow(&b->ag->steps, &b->ag->n_steps, sizeof *s);
    if (!s)
        return NULL;
    snprintf(s->id, sizeof s->id, "%s", id);
    s->process_id = "";
    s->process_name = "（不在当前目录）";
    s->measure = s->measure_name = s->unit = s->name_en = "";
    return s;
}

static ag_person_t *person_get(build_t *b, const char *id)
{
    ag_person_t *p = person_find(b->ag, id);
    if (p)
        return p;
    p = grow(&b->ag->people, &b->ag->n_people, sizeof *p);
    if (!p)
        return NULL;
    snprintf(p->id, sizeof p->id, "%s", id);
    p->team_id = "";
    p->team_name = "—";
    return p;
}

static void fix_names(ag_t *ag)
{
    for (size_t i = 0; i < ag->n_steps; i++)
        if (!ag->steps[i].def)
            ag->steps[i].name = ag->steps[i].id;
    for (size_t i = 0; i < ag->n_people; i++)
        if (!ag->people[i].on_roster)
            ag->people[i].name = ag->people[i].id;
}

static int week_index(const char *s)
{
    int w = (int)num(s);
    return w >= 0 && w < AG_WEEKS ? w : -1;
}

/* Days from a to b ("YYYY-MM-DD"), b - a. */
static int days_between(const char *a, const char *b)
{
    struct tm ta = {0}, tb = {0};
    if (sscanf(a, "%d-%d-%d", &ta.tm_year, &ta.tm_mon, &ta.tm_mday) != 3 ||
        sscanf(b, "%d-%d-%d", &tb.tm_year, &tb.tm_mon, &tb.tm_mday) != 3)
        return 0;
    ta.tm_year -= 1900;
    tb.tm_year -= 1900;
    ta.tm_mon--;
    tb.tm_mon--;
    return (int)((timegm(&tb) - timegm(&ta)) / 86400);
}

/* The rollup_day counts of add into c. */
static void cell_add(ag_cell_t *c, const ag_cell_t *add)
{
    c->checkins += add->checkins;
    c->quality_sum += add->quality_sum;
    c->quality_n += add->quality_n;
    c->points += add->points;
    c->ratings_n += add->ratings_n;
    c->ratings_sum += add->ratings_sum;
}

/* One week of one (step, staff) pair of rollup_day: adds it to the step's
 * and the person's cell of week w. */
static int day_group(build_t *b, int w, const char *step, const char *staff,
                     const ag_cell_t *add)
{
    if (step[0]) {
        ag_step_t *s = step_get(b, step);
        if (!s)
            return oom(b);
        ag_cell_t *sc = &s->wk[w];
        cell_add(sc, add);
        if (add->checkins > 0 && staff[0]) {
            sc->people++;
            sc->target += s->daily_target * AG_WORKDAYS;
        }
    }
    if (staff[0]) {
        ag_person_t *p = person_get(b, staff);
        if (!p)
            return oom(b);
        ag_cell_t *pc = &p->wk[w];
        cell_add(pc, add);
        if (add->checkins > 0 && step[0]) {
            const ag_step_t *s = step_find(b->ag, step);
            if (s && s->daily_target > 0)
                pc->target += s->daily_target * AG_WORKDAYS;
        }
    }
    return 0;
}

/* One week of one (step, staff) pair of the step's primary measure: its
 * total goes to the step's and the person's value of week w. */
static void measure_group(build_t *b, int w, const char *step,
                          const char *staff, double v)
{
    ag_step_t *s = step_find(b->ag, step);
    if (!s)
        return;
    s->wk[w].value += v;
    if (s->daily_target > 0 && staff[0]) {
        ag_person_t *p = person_find(b->ag, staff);
        if (p)
            p->wk[w].value += v;
    }
}

/* The rollup rows of one (week, step, staff), summed as they are read.
 * Ids are bounded at capture (PROTO_ID_MAX), so the copies are whole. */
typedef struct {
    int w;
    char step[PROTO_ID_MAX + 1], staff[PROTO_ID_MAX + 1];
    ag_cell_t c; /* measure rows: the total in c.value */
} week_sum_t;

/* The week sums of one query: a vector, and an open-addressing hash table
 * of indices + 1 into it (0 = free). */
typedef struct week_sums {
    week_sum_t *v;
    size_t n, cap;
    uint32_t *slot;
    size_t n_slot;
    char day[16]; /* the last day read and its week, computed once a day */
    int day_w;
    const ag_step_t *step; /* the last step on_measure_row looked up */
} week_sums_t;

/* The week index of day: whole days since the first Monday, divided by 7.
 * Rows come in day order, so it is worked out once per day. */
static int row_week(week_sums_t *ws, const char *week0, const char *day)
{
    if (strcmp(ws->day, day) != 0) {
        snprintf(ws->day, sizeof ws->day, "%s", day);
        int d = days_between(week0, day);
        ws->day_w = d >= 0 && d / 7 < AG_WEEKS ? d / 7 : -1;
    }
    return ws->day_w;
}

static uint32_t ws_hash(int w, const char *step, const char *staff)
{
    uint32_t h = 2166136261u ^ (uint32_t)w;
    for (const char *p = step; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ 0xff) * 16777619u; /* no byte of UTF-8: ends step */
    for (const char *p = staff; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

/* Copies an id into a week_sum_t field, cut at the field's size. */
static void id_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Doubles the table and puts every sum back in it. */
static int ws_rehash(week_sums_t *ws)
{
    size_t n_slot = ws->n_slot ? ws->n_slot * 2 : 1024;
    uint32_t *slot = calloc(n_slot, sizeof *slot);
    if (!slot)
        return PROTO_ENOMEM;
    for (size_t i = 0; i < ws->n; i++) {
        const week_sum_t *g = &ws->v[i];
        size_t k = ws_hash(g->w, g->step, g->staff) & (n_slot - 1);
        while (slot[k])
            k = (k + 1) & (n_slot - 1);
        slot[k] = (uint32_t)i + 1;
    }
    free(ws->slot);
    ws->slot = slot;
    ws->n_slot = n_slot;
    return 0;
}

/* The sum of (day's week, step, staff), new and zeroed on first sight;
 * NULL when out of memory, and *skip set when the day is outside the eight
 * weeks. */
static week_sum_t *ws_get(build_t *b, const char *day, const char *step,
                          const char *staff, bool *skip)
{
    week_sums_t *ws = b->sums;
    int w = row_week(ws, b->ag->week_mon[0], day ? day : "");
    *skip = w < 0;
    if (*skip)
        return NULL;
    char st[PROTO_ID_MAX + 1], sf[PROTO_ID_MAX + 1];
    id_copy(st, sizeof st, step ? step : "");
    id_copy(sf, sizeof sf, staff ? staff : "");
    if ((ws->n + 1) * 2 > ws->n_slot && ws_rehash(ws) != 0)
        return NULL;
    size_t k = ws_hash(w, st, sf) & (ws->n_slot - 1);
    for (; ws->slot[k]; k = (k + 1) & (ws->n_slot - 1)) {
        week_sum_t *g = &ws->v[ws->slot[k] - 1];
        if (g->w == w && strcmp(g->step, st) == 0 && strcmp(g->staff, sf) == 0)
            return g;
    }
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 1024;
        week_sum_t *v = realloc(ws->v, cap * sizeof *v);
        if (!v)
            return NULL;
        ws->v = v;
        ws->cap = cap;
    }
    week_sum_t *g = &ws->v[ws->n];
    memset(g, 0, sizeof *g);
    g->w = w;
    memcpy(g->step, st, sizeof st);
    memcpy(g->staff, sf, sizeof sf);
    ws->slot[k] = (uint32_t)++ws->n;
    return g;
}

/* rollup_day: day, step, staff, checkins, qsum, qn, points, rn, rsum. A
 * week's days are added in day order, as SUM and TOTAL added them. */
static int on_day_row(void *ctx, const char *const *c, size_t n)
{
    build_t *b = ctx;
    bool skip;
    (void)n;
    week_sum_t *g = ws_get(b, c[0], c[1], c[2], &skip);
    if (skip)
        return 0;
    if (!g)
        return oom(b);
    g->c.checkins += (long)num(c[3]);
    g->c.quality_sum += (long)num(c[4]);
    g->c.quality_n += (long)num(c[5]);
    g->c.points += num(c[6]);
    g->c.ratings_n += (long)num(c[7]);
    g->c.ratings_sum += (long)num(c[8]);
    return 0;
}

/* rollup_measure: day, step, staff, measure, total — only the primary
 * measure of a step in the catalogue counts, so only those are kept. */
static int on_measure_row(void *ctx, const char *const *c, size_t n)
{
    build_t *b = ctx;
    week_sums_t *ws = b->sums;
    bool skip;
    (void)n;
    if (!c[1] || !c[3])
        return 0;
    if (!ws->step || strcmp(ws->step->id, c[1]) != 0)
        ws->step = step_find(b->ag, c[1]);
    const ag_step_t *s = ws->step;
    if (!s || !s->measure[0] || strcmp(s->measure, c[3]) != 0)
        return 0;
    week_sum_t *g = ws_get(b, c[0], c[1], c[2], &skip);
    if (skip)
        return 0;
    if (!g)
        return oom(b);
    g->c.value += num(c[4]);
    return 0;
}

/* Week, step, staff (byte order, as SQLite's BINARY collation). */
static int ws_cmp(const void *pa, const void *pb)
{
    const week_sum_t *a = pa, *b = pb;
    int c = a->w - b->w;
    if (!c)
        c = strcmp(a->step, b->step);
    return c ? c : strcmp(a->staff, b->staff);
}

/* A sum of doubles as the agenda used to receive it: SQLite's text of a
 * REAL has 15 significant digits, and the figures must not move. */
static double as_text15(double v)
{
    char t[40];
    snprintf(t, sizeof t, "%.15g", v);
    return strtod(t, NULL);
}

/* Hands each week sum to day_group (measures: measure_group) in week, step,
 * staff order: the order of the GROUP BY this replaces, so every figure
 * adds up exactly as before. Empties the sums. */
static int ws_apply(build_t *b, bool measures)
{
    week_sums_t *ws = b->sums;
    int rc = 0;
    if (ws->n > 1)
        qsort(ws->v, ws->n, sizeof *ws->v, ws_cmp);
    for (size_t i = 0; i < ws->n && rc == 0; i++) {
        week_sum_t *g = &ws->v[i];
        if (measures) {
            measure_group(b, g->w, g->step, g->staff, as_text15(g->c.value));
        } else {
            g->c.points = as_text15(g->c.points);
            rc = day_group(b, g->w, g->step, g->staff, &g->c);
        }
    }
    ws->n = 0;
    ws->day[0] = '\0';
    ws->step = NULL;
    if (ws->n_slot)
        memset(ws->slot, 0, ws->n_slot * sizeof *ws->slot);
    return rc;
}

/* points_awards: wk, staff, points */
static int on_award(void *ctx, const char *const *c, size_t n)
{
    build_t *b = ctx;
    (void)n;
    int w = week_index(c[0]);
    if (w < 0 || !c[1] || !c[1][0])
        return 0;
    ag_person_t *p = person_get(b, c[1]);
    if (!p)
        return oom(b);
    p->wk[w].points += num(c[2]);
    return 0;
}

/* The primary measures' rows of rollup_measure, summed per week. The
 * catalogue's primary measure keys are bound as an IN list so that SQLite
 * does not hand over the other measures' rows (over a third of them);
 * on_measure_row still checks each row's step, as two steps may use one
 * key for different measures. */
static int read_measures(build_t *b)
{
    enum { MAX_KEYS = 90 }; /* PostgreSQL reports take ?1..?99 */
    ag_t *ag = b->ag;
    const char *args[3 + MAX_KEYS] = {ag->site_id, ag->week_mon[0], ag->sunday};
    size_t nargs = 3;
    char sql[512 + MAX_KEYS * 6];
    int len;

    for (size_t i = 0; i < ag->n_steps && nargs < 3 + MAX_KEYS + 1; i++) {
        const char *m = ag->steps[i].measure;
        bool seen = !m[0];
        for (size_t k = 3; k < nargs && !seen; k++)
            seen = strcmp(args[k], m) == 0;
        if (seen)
            continue;
        if (nargs == 3 + MAX_KEYS) { /* too many to list: read them all */
            nargs = 3 + MAX_KEYS + 1;
            break;
        }
        args[nargs++] = m;
    }
    if (nargs == 3)
        return 0; /* no step has a measure: nothing to read */
    len = snprintf(sql, sizeof sql, "%s",
                   "SELECT day, step_id, staff_id, measure, total"
                   " FROM rollup_measure WHERE site_id = ?1"
                   "  AND day BETWEEN ?2 AND ?3");
    if (nargs > 3 + MAX_KEYS) {
        nargs = 3;
    } else {
        for (size_t k = 3; k < nargs; k++)
            len += snprintf(sql + len, sizeof sql - (size_t)len, "%s?%zu",
                            k == 3 ? " AND measure IN (" : ", ", k + 1);
        len += snprintf(sql + len, sizeof sql - (size_t)len, ")");
    }
    snprintf(sql + len, sizeof sql - (size_t)len, " ORDER BY day");
    return query(b, "the measure rollups", sql, args, nargs, on_measure_row);
}

static int read_rollups(build_t *b)
{
    ag_t *ag = b->ag;
    const char *args[] = {ag->site_id, ag->week_mon[0], ag->sunday};
    int rc;
    week_sums_t sums = {0};
    /* The 8 weeks are one range of the rollups' (site, day) key, read in
     * key order (no sort) and summed per week as they come. ORDER BY day
     * keeps the day order on PostgreSQL too. */
    b->sums = &sums;
    rc = query(b, "the daily rollups",
               "SELECT day, step_id, staff_id, checkins, quality_sum,"
               "  quality_n, points, ratings_n, ratings_sum"
               " FROM rollup_day WHERE site_id = ?1"
               "  AND day BETWEEN ?2 AND ?3 ORDER BY day",
               args, 3, on_day_row);
    if (rc == 0)
        rc = ws_apply(b, false);
    if (rc == 0)
        rc = read_measures(b);
    if (rc == 0)
        rc = ws_apply(b, true);
    free(sums.v);
    free(sums.slot);
    b->sums = NULL;
    if (rc != 0)
        return rc;
    if ((rc = query(b, "the suggestion points",
                    "SELECT CAST(julianday(day) - julianday(?2) AS INTEGER)"
                    "  / 7, staff_id, TOTAL(points)"
                    " FROM points_awards WHERE site_id = ?1"
                    "  AND day BETWEEN ?2 AND ?3"
                    " GROUP BY 1, 2 ORDER BY 1, 2",
                    args, 3, on_award)) != 0)
        return rc;
    fix_names(ag);
    /* teams: the sum of their members on the roster */
    for (size_t i = 0; i < ag->n_teams; i++) {
        ag_team_t *t = &ag->teams[i];
        for (size_t k = 0; k < ag->n_people; k++) {
            const ag_person_t *p = &ag->people[k];
            if (!p->on_roster || strcmp(p->team_id, t->id) != 0)
                continue;
            t->members++;
            for (int w = 0; w < AG_WEEKS; w++) {
                ag_cell_t *tc = &t->wk[w];
                const ag_cell_t *pc = &p->wk[w];
                cell_add(tc, pc);
                tc->value += pc->value;
                tc->target += pc->target;
                tc->people += pc->checkins > 0;
            }
        }
    }
    for (size_t k = 0; k < ag->n_people; k++) {
        ag_person_t *p = &ag->people[k];
        for (int w = 0; w < AG_WEEKS; w++)
            p->wk[w].people = p->wk[w].checkins > 0;
        if (p->on_roster) {
            ag->roster++;
            ag->covered += p->wk[AG_CUR].checkins > 0;
        }
    }
    return 0;
}

static int read_kiosks(build_t *b)
{
    ag_t *ag = b->ag;
    syncd_kiosk_t *list = NULL;
    size_t n = 0;
    int rc = syncd_store_kiosk_list(b->store, &list, &n);
    if (rc != 0) {
        snprintf(b->err, b->err_len,
                 "reading the kiosks for the agenda failed: %s",
                 syncd_store_errmsg(b->store));
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (list[i].revoked || strcmp(list[i].site_id, ag->site_id) != 0)
            continue;
        ag_kiosk_t *k = grow(&ag->kiosks, &ag->n_kiosks, sizeof *k);
        if (!k) {
            rc = oom(b);
            break;
        }
        snprintf(k->id, sizeof k->id, "%s", list[i].kiosk_id);
        k->last_sync_ms = list[i].last_sync_ms;
        k->last_seen_ms = list[i].last_seen_ms;
        k->queued = list[i].outbox_depth;
        k->hours_ago = -1;
        if (k->last_sync_ms > 0) {
            if (syncd_local_day(ag->tz, k->last_sync_ms, k->last_sync_day) != 0)
                k->last_sync_day[0] = '\0';
            k->hours_ago =
                round((double)(ag->now_ms - k->last_sync_ms) / 360000.0) / 10;
        }
    }
    free(list);
    return rc;
}

/* Suggestion rows: id, title, body, status, kind, process, step, owner,
 * due, measure, done_day, votes, created_ms — into b->sugg_list. */
static int on_sugg(void *ctx, const char *const *c, size_t n)
{
    build_t *b = ctx;
    (void)n;
    ag_sugg_t *s = grow(b->sugg_list, b->sugg_n, sizeof *s);
    if (!s)
        return oom(b);
    s->id = dup(c[0]);
    s->title = dup(c[1]);
    s->body = dup(c[2]);
    s->status = dup(c[3]);
    s->kind = dup(c[4]);
    s->process_id = dup(c[5]);
    s->step_id = dup(c[6]);
    s->owner_id = dup(c[7]);
    s->due = dup(c[8]);
    s->measure = dup(c[9]);
    s->done_day = dup(c[10]);
    s->votes = (long)num(c[11]);
    s->created_ms = (int64_t)num(c[12]);
    if (!s->id || !s->title || !s->body || !s->status || !s->kind ||
        !s->process_id || !s->step_id || !s->owner_id || !s->due ||
        !s->measure || !s->done_day)
        return oom(b);
    return 0;
}

#define SUGG_COLUMNS                                                           \
    "id, title, COALESCE(body, ''), status, kind, process_id, step_id, "       \
    "owner_id, due, measure, done_day, votes, created_ms"

static int read_suggs(build_t *b, const char *what, const char *sql,
                      const char *const *args, size_t nargs, ag_sugg_t **list,
                      size_t *n)
{
    b->sugg_list = list;
    b->sugg_n = n;
    return query(b, what, sql, args, nargs, on_sugg);
}

static int followup_cmp(const void *pa, const void *pb)
{
    const ag_sugg_t *a = pa, *b = pb;
    if (a->overdue != b->overdue)
        return a->overdue ? -1 : 1;
    if (!a->due[0] != !b->due[0])
        return a->due[0] ? -1 : 1;
    int c = strcmp(a->due, b->due);
    return c ? c : strcmp(a->id, b->id);
}

static int read_followups(build_t *b)
{
    ag_t *ag = b->ag;
    const char *args[] = {ag->site_id};
    int rc = read_suggs(b, "the open decisions",
                        "SELECT " SUGG_COLUMNS " FROM suggestions"
                        " WHERE site_id = ?1"
                        "  AND status IN ('accepted', 'in_progress')",
                        args, 1, &ag->followups, &ag->n_followups);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < ag->n_followups; i++) {
        ag_sugg_t *s = &ag->followups[i];
        s->overdue = s->due[0] && strcmp(s->due, ag->today) < 0;
        s->days_overdue = s->overdue ? days_between(s->due, ag->today) : 0;
    }
    if (ag->n_followups > 1) /* qsort wants a non-NULL base */
        qsort(ag->followups, ag->n_followups, sizeof *ag->followups,
              followup_cmp);
    return 0;
}

static int64_t day_ms(const char *day)
{
    struct tm t = {0};
    if (sscanf(day, "%d-%d-%d", &t.tm_year, &t.tm_mon, &t.tm_mday) != 3)
        return 0;
    t.tm_year -= 1900;
    t.tm_mon--;
    return (int64_t)timegm(&t) * 1000;
}

static int by_process_step(const void *pa, const void *pb)
{
    const ag_sugg_t *a = pa, *b = pb;
    int c = strcmp(a->process_id, b->process_id);
    if (!c)
        c = strcmp(a->step_id, b->step_id);
    if (!c)
        c = a->created_ms < b->created_ms ? -1 : a->created_ms > b->created_ms;
    return c ? c : strcmp(a->id, b->id);
}

static void sugg_free(ag_sugg_t *s)
{
    free(s->id);
    free(s->title);
    free(s->body);
    free(s->status);
    free(s->kind);
    free(s->process_id);
    free(s->step_id);
    free(s->owner_id);
    free(s->due);
    free(s->measure);
    free(s->done_day);
}

/* Problems raised in the week: created on one of its site-local days. The
 * store keeps created_ms, so a window a day wider than any time zone offset
 * is read by index and each row's local day decides. */
static int read_problems(build_t *b)
{
    ag_t *ag = b->ag;
    char from[24], to[24];
    snprintf(from, sizeof from, "%" PRId64, day_ms(ag->monday) - 86400000);
    snprintf(to, sizeof to, "%" PRId64, day_ms(ag->sunday) + 2 * 86400000);
    const char *args[] = {ag->site_id, from, to};
    ag_sugg_t *all = NULL;
    size_t n = 0;
    int rc = read_suggs(b, "the problems raised",
                        "SELECT " SUGG_COLUMNS " FROM suggestions"
                        " WHERE site_id = ?1 AND created_ms BETWEEN"
                        "  CAST(?2 AS INTEGER) AND CAST(?3 AS INTEGER)"
                        "  AND kind = 'problem'",
                        args, 3, &all, &n);
    for (size_t i = 0; i < n; i++) {
        char day[11];
        bool in = rc == 0 &&
                  syncd_local_day(ag->tz, all[i].created_ms, day) == 0 &&
                  strcmp(day, ag->monday) >= 0 && strcmp(day, ag->sunday) <= 0;
        if (in) {
            ag_sugg_t *p = grow(&ag->problems, &ag->n_problems, sizeof *p);
            if (!p) {
                rc = oom(b);
                sugg_free(&all[i]);
                continue;
            }
            *p = all[i];
        } else {
            sugg_free(&all[i]);
        }
    }
    free(all);
    if (rc != 0)
        return rc;
    if (ag->n_problems > 1)
        qsort(ag->problems, ag->n_problems, sizeof *ag->problems,
              by_process_step);
    for (size_t i = 0; i < ag->n_problems; i++) {
        ag_problem_group_t *g =
            ag->n_problem_groups ? &ag->problem_groups[ag->n_problem_groups - 1]
                                 : NULL;
        if (!g || strcmp(g->process_id, ag->problems[i].process_id) != 0 ||
            strcmp(g->step_id, ag->problems[i].step_id) != 0) {
            g = grow(&ag->problem_groups, &ag->n_problem_groups, sizeof *g);
            if (!g)
                return oom(b);
            g->process_id = ag->problems[i].process_id;
            g->step_id = ag->problems[i].step_id;
        }
        size_t *items = realloc(g->items, (g->n + 1) * sizeof *items);
        if (!items)
            return oom(b);
        g->items = items;
        g->items[g->n++] = i;
    }
    /* most often raised first; ties keep process/step order */
    for (size_t i = 1; i < ag->n_problem_groups; i++) {
        ag_problem_group_t g = ag->problem_groups[i];
        size_t k = i;
        while (k > 0 && ag->problem_groups[k - 1].n < g.n) {
            ag->problem_groups[k] = ag->problem_groups[k - 1];
            k--;
        }
        ag->problem_groups[k] = g;
    }
    return 0;
}

/* Suggestions for decision: ideas (problems have section 4) that are new
 * or under review, near-duplicates grouped by syncd_similar_group, groups
 * ranked by their combined votes. */
static int read_candidates(build_t *b)
{
    ag_t *ag = b->ag;
    const char *args[] = {ag->site_id};
    int rc = read_suggs(b, "the suggestions for decision",
                        "SELECT " SUGG_COLUMNS " FROM suggestions"
                        " WHERE site_id = ?1 AND status IN ('new', 'review')"
                        "  AND kind = 'idea' ORDER BY id",
                        args, 1, &ag->candidates, &ag->n_candidates);
    if (rc != 0 || ag->n_candidates == 0)
        return rc;
    syncd_similar_item_t *items = calloc(ag->n_candidates, sizeof *items);
    syncd_similar_cluster_t *cl = NULL;
    size_t ncl = 0;
    if (!items)
        return oom(b);
    for (size_t i = 0; i < ag->n_candidates; i++) {
        items[i].id = ag->candidates[i].id;
        items[i].title = ag->candidates[i].title;
        items[i].body = ag->candidates[i].body;
        items[i].votes = (uint32_t)ag->candidates[i].votes;
    }
    rc = syncd_similar_group(items, ag->n_candidates, 0, &cl, &ncl);
    free(items);
    if (rc != 0) {
        snprintf(b->err, b->err_len,
                 "grouping near-duplicate suggestions failed (%s)",
                 proto_strerror(rc));
        return rc;
    }
    ag->cand_groups = calloc(ncl ? ncl : 1, sizeof *ag->cand_groups);
    if (!ag->cand_groups) {
        syncd_similar_clusters_free(&cl, ncl);
        return oom(b);
    }
    for (size_t i = 0; i < ncl; i++) {
        ag_cand_group_t *g = &ag->cand_groups[ag->n_cand_groups++];
        g->items = calloc(cl[i].n, sizeof *g->items);
        if (!g->items) {
            syncd_similar_clusters_free(&cl, ncl);
            return oom(b);
        }
        memcpy(g->items, cl[i].members, cl[i].n * sizeof *g->items);
        g->n = cl[i].n;
        g->votes = (long)cl[i].votes;
    }
    syncd_similar_clusters_free(&cl, ncl);
    return 0;
}

/* One effect's indicator: (total of the measure, person-days of the step)
 * over [from, to]. */
static int on_ind(void *ctx, const char *const *c, size_t n)
{
    build_t *b = ctx;
    (void)n;
    b->ind_total = num(c[0]);
    b->ind_pd = (long)num(c[1]);
    return 0;
}

static int indicator(build_t *b, const char *step, const char *key,
                     const char *from, const char *to, double *total, long *pd)
{
    const char *args[] = {b->ag->site_id, step, key, from, to};
    b->ind_total = 0;
    b->ind_pd = 0;
    int rc = query(b, "an effect indicator",
                   "SELECT (SELECT TOTAL(total) FROM rollup_measure"
                   "   WHERE site_id = ?1 AND day BETWEEN ?4 AND ?5"
                   "   AND step_id = ?2 AND measure = ?3),"
                   "  (SELECT COUNT(*) FROM rollup_day"
                   "   WHERE site_id = ?1 AND day BETWEEN ?4 AND ?5"
                   "   AND step_id = ?2 AND staff_id <> '' AND checkins > 0)",
                   args, 5, on_ind);
    *total = b->ind_total;
    *pd = b->ind_pd;
    return rc;
}

static int on_accepted(void *ctx, const char *const *c, size_t n)
{
    build_t *b = ctx;
    (void)n;
    snprintf(b->accepted_ms, sizeof b->accepted_ms, "%s", c[0] ? c[0] : "");
    return 0;
}

/* Effect review: done suggestions with a success measure whose done day is
 * at least 14 days before the agenda's Sunday. The decision day is the
 * first time the suggestion was accepted (its done day when the history
 * has none); before = the 28 days before it, after = from it to Sunday. */
static int read_effects(build_t *b)
{
    ag_t *ag = b->ag;
    char limit[11];
    if (syncd_day_add(ag->sunday, -14, limit) != 0)
        return PROTO_EINVAL;
    const char *args[] = {ag->site_id, limit};
    int rc = read_suggs(b, "the done suggestions",
                        "SELECT " SUGG_COLUMNS " FROM suggestions"
                        " WHERE site_id = ?1 AND status = 'done'"
                        "  AND measure <> '' AND done_day <> ''"
                        "  AND done_day <= ?2 ORDER BY done_day, id",
                        args, 2, &ag->effects_s, &ag->n_effects);
    if (rc != 0)
        return rc;
    ag->effects =
        calloc(ag->n_effects ? ag->n_effects : 1, sizeof *ag->effects);
    if (!ag->effects)
        return oom(b);
    for (size_t i = 0; i < ag->n_effects; i++) {
        ag_effect_t *e = &ag->effects[i];
        const ag_sugg_t *s = &ag->effects_s[i];
        e->sugg = i;
        char m[PROTO_ID_MAX + PROTO_KEY_MAX + 8];
        snprintf(m, sizeof m, "%s", s->measure);
        char *dot = strchr(m, '.'), *colon = strrchr(m, ':');
        if (dot && colon && colon > dot) {
            *dot = *colon = '\0';
            snprintf(e->step, sizeof e->step, "%.*s", PROTO_ID_MAX, m);
            snprintf(e->key, sizeof e->key, "%.*s", PROTO_KEY_MAX, dot + 1);
            e->up = strcmp(colon + 1, "down") != 0;
        }
        e->step_row = step_find(ag, e->step);
        const char *idargs[] = {s->id};
        b->accepted_ms[0] = '\0';
        if ((rc = query(b, "a suggestion's history",
                        "SELECT MIN(at_ms) FROM suggestion_history"
                        " WHERE suggestion_id = ?1 AND to_status = 'accepted'",
                        idargs, 1, on_accepted)) != 0)
            return rc;
        if (!b->accepted_ms[0] ||
            syncd_local_day(ag->tz, (int64_t)num(b->accepted_ms), e->decided) !=
                0)
            snprintf(e->decided, sizeof e->decided, "%s", s->done_day);
        if (syncd_day_add(e->decided, -28, e->before_from) != 0 ||
            syncd_day_add(e->decided, -1, e->before_to) != 0)
            return PROTO_EINVAL;
        snprintf(e->after_from, sizeof e->after_from, "%s", e->decided);
        snprintf(e->after_to, sizeof e->after_to, "%s", ag->sunday);
        if ((rc = indicator(b, e->step, e->key, e->before_from, e->before_to,
                            &e->before_total, &e->before_pd)) != 0 ||
            (rc = indicator(b, e->step, e->key, e->after_from, e->after_to,
                            &e->after_total, &e->after_pd)) != 0)
            return rc;
        double before = ag_effect_value(e->before_total, e->before_pd);
        double after = ag_effect_value(e->after_total, e->after_pd);
        if (isnan(before) || isnan(after))
            e->verdict = "no_data";
        else if (round(after * 10) == round(before * 10))
            e->verdict = "unchanged";
        else
            e->verdict = (after > before) == e->up ? "improved" : "worse";
    }
    return 0;
}

static int on_author(void *ctx, const char *const *c, size_t n)
{
    build_t *b = ctx;
    (void)n;
    ag_author_t *a = grow(&b->ag->authors, &b->ag->n_authors, sizeof *a);
    if (!a)
        return oom(b);
    a->suggestion_id = dup(c[0]);
    a->status = dup(c[1]);
    a->staff_id = dup(c[2]);
    a->points = num(c[3]);
    snprintf(a->day, sizeof a->day, "%s", c[4] ? c[4] : "");
    a->title = dup(c[5]);
    if (!a->suggestion_id || !a->status || !a->staff_id || !a->title)
        return oom(b);
    return 0;
}

/* Leaderboards of the week (check-in and rating points + suggestion
 * points, as FEED's standings) and the authors whose suggestions were
 * accepted or done this week: the points_awards rows, which anonymous
 * suggestions never have. */
static int recognition(build_t *b)
{
    ag_t *ag = b->ag;
    for (size_t i = 0; i < ag->n_people; i++) {
        double p = round(ag->people[i].wk[AG_CUR].points);
        if (p <= 0)
            continue;
        size_t k = ag->n_top_people;
        while (k > 0 &&
               round(ag->people[ag->top_people[k - 1]].wk[AG_CUR].points) < p)
            k--;
        if (k >= AG_TOP)
            continue;
        size_t last = ag->n_top_people < AG_TOP ? ag->n_top_people : AG_TOP - 1;
        memmove(&ag->top_people[k + 1], &ag->top_people[k],
                (last - k) * sizeof ag->top_people[0]);
        ag->top_people[k] = i;
        if (ag->n_top_people < AG_TOP)
            ag->n_top_people++;
    }
    for (size_t i = 0; i < ag->n_teams; i++) {
        double p = round(ag->teams[i].wk[AG_CUR].points);
        if (p <= 0)
            continue;
        size_t k = ag->n_top_teams;
        while (k > 0 &&
               round(ag->teams[ag->top_teams[k - 1]].wk[AG_CUR].points) < p)
            k--;
        if (k >= AG_TOP)
            continue;
        size_t last = ag->n_top_teams < AG_TOP ? ag->n_top_teams : AG_TOP - 1;
        memmove(&ag->top_teams[k + 1], &ag->top_teams[k],
                (last - k) * sizeof ag->top_teams[0]);
        ag->top_teams[k] = i;
        if (ag->n_top_teams < AG_TOP)
            ag->n_top_teams++;
    }
    const char *args[] = {ag->site_id, ag->monday, ag->sunday};
    return query(b, "the suggestion awards",
                 "SELECT a.suggestion_id, a.status, a.staff_id, a.points,"
                 "  a.day, s.title"
                 " FROM points_awards AS a JOIN suggestions AS s"
                 "  ON s.id = a.suggestion_id"
                 " WHERE a.site_id = ?1 AND a.day BETWEEN ?2 AND ?3"
                 "  AND a.staff_id <> '' AND s.anonymous = 0"
                 " ORDER BY a.day, a.suggestion_id, a.status",
                 args, 3, on_author);
}

static int add_exception(build_t *b, ag_ex_kind_t kind, size_t index,
                         double now, double before)
{
    ag_exception_t *e =
        grow(&b->ag->exceptions, &b->ag->n_exceptions, sizeof *e);
    if (!e)
        return oom(b);
    e->kind = kind;
    e->index = index;
    e->now = now;
    e->before = before;
    return 0;
}

static int exceptions(build_t *b)
{
    ag_t *ag = b->ag;
    int rc = 0;
    for (size_t i = 0; i < ag->n_steps && rc == 0; i++) {
        const ag_cell_t *c = &ag->steps[i].wk[AG_CUR];
        const ag_cell_t *p = &ag->steps[i].wk[AG_PREV];
        if (c->target > 0 && p->target > 0 && ag_rag(c) != AG_RAG_GREEN &&
            ag_rag(p) != AG_RAG_GREEN)
            rc = add_exception(b, AG_EX_BELOW_TARGET, i, ag_pct(c), ag_pct(p));
    }
    for (size_t i = 0; i < ag->n_steps && rc == 0; i++) {
        double q = ag_quality(&ag->steps[i].wk[AG_CUR]);
        double qp = ag_quality(&ag->steps[i].wk[AG_PREV]);
        if (!isnan(q) && !isnan(qp) && qp - q >= 0.5 - 1e-9)
            rc = add_exception(b, AG_EX_QUALITY_DROP, i, q, qp);
    }
    for (size_t i = 0; i < ag->n_steps && rc == 0; i++)
        if (ag->steps[i].def && ag->steps[i].wk[AG_CUR].checkins == 0)
            rc = add_exception(b, AG_EX_NO_ACTIVITY, i, 0, 0);
    for (size_t i = 0; i < ag->n_people && rc == 0; i++)
        if (ag->people[i].on_roster && ag->people[i].wk[AG_CUR].checkins == 0)
            rc = add_exception(b, AG_EX_NO_CHECKINS, i, 0, 0);
    return rc;
}

static void ag_free(ag_t *ag)
{
    ag_sugg_t *lists[] = {ag->followups, ag->problems, ag->candidates,
                          ag->effects_s};
    size_t ns[] = {ag->n_followups, ag->n_problems, ag->n_candidates,
                   ag->n_effects};
    for (size_t l = 0; l < 4; l++) {
        for (size_t i = 0; i < ns[l]; i++)
            sugg_free(&lists[l][i]);
        free(lists[l]);
    }
    for (size_t i = 0; i < ag->n_problem_groups; i++)
        free(ag->problem_groups[i].items);
    free(ag->problem_groups);
    for (size_t i = 0; i < ag->n_cand_groups; i++)
        free(ag->cand_groups[i].items);
    free(ag->cand_groups);
    for (size_t i = 0; i < ag->n_authors; i++) {
        free(ag->authors[i].suggestion_id);
        free(ag->authors[i].title);
        free(ag->authors[i].status);
        free(ag->authors[i].staff_id);
    }
    free(ag->authors);
    free(ag->effects);
    free(ag->kiosks);
    free(ag->steps);
    free(ag->people);
    free(ag->teams);
    free(ag->exceptions);
}

int syncd_agenda_format_parse(const char *name, syncd_agenda_format_t *out)
{
    static const struct {
        const char *name;
        syncd_agenda_format_t fmt;
    } names[] = {{"html", SYNCD_AGENDA_HTML},
                 {"md", SYNCD_AGENDA_MD},
                 {"markdown", SYNCD_AGENDA_MD},
                 {"json", SYNCD_AGENDA_JSON},
                 {"csv", SYNCD_AGENDA_CSV}};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return 0;
        }
    return PROTO_EINVAL;
}

/* Computes the whole agenda model of site_id for week ("" = the week of
 * the site-local day of now_ms) into *ag, which the caller frees with
 * ag_free whatever the result. 0 or negative with err set. */
static int compute(ag_t *ag, syncd_store_t *store, const proto_catalogue_t *cat,
                   const char *site_id, const char *week, int64_t now_ms,
                   char *err, size_t err_len)
{
    build_t b = {.ag = ag, .store = store, .err = err, .err_len = err_len};
    int rc = 0;

    memset(ag, 0, sizeof *ag);
    err[0] = '\0';
    if (!cat) {
        snprintf(err, err_len,
                 "no catalogue has been imported, so the agenda has no "
                 "branch, roster or targets; import one with syncctl "
                 "catalogue import FILE");
        return PROTO_ENOTFOUND;
    }
    ag->cat = cat;
    ag->site = proto_catalogue_site(cat, site_id);
    if (!ag->site) {
        snprintf(err, err_len,
                 "site \"%.64s\" is not in catalogue version %" PRIu64
                 "; use a site id from the catalogue",
                 site_id, cat->version);
        return PROTO_ENOTFOUND;
    }
    snprintf(ag->site_id, sizeof ag->site_id, "%s", site_id);
    ag->tz =
        ag->site->timezone[0] ? ag->site->timezone : SYNCD_DEFAULT_TIMEZONE;
    ag->now_ms = now_ms;
    if (syncd_local_day(ag->tz, now_ms, ag->today) != 0) {
        snprintf(err, err_len,
                 "time zone \"%s\" of site %s is unknown; fix the catalogue",
                 ag->tz, site_id);
        return PROTO_EINVAL;
    }
    /* no week: the one the site is living now (kiosk meeting mode) */
    if (!week[0]) {
        if (syncd_iso_week(ag->today, ag->week) != 0) {
            snprintf(err, err_len, "today (%s) has no ISO week", ag->today);
            return PROTO_EINVAL;
        }
        week = ag->week;
    }
    if (syncd_week_days(week, ag->monday, ag->sunday) != 0) {
        snprintf(err, err_len,
                 "week \"%.32s\" is not an ISO week; write it as 2026-W48",
                 week);
        return PROTO_EINVAL;
    }
    if (week != ag->week)
        snprintf(ag->week, sizeof ag->week, "%s", week);
    for (int w = 0; w < AG_WEEKS; w++) {
        if (syncd_day_add(ag->monday, -7 * (AG_CUR - w), ag->week_mon[w]) !=
                0 ||
            syncd_iso_week(ag->week_mon[w], ag->weeks[w]) != 0) {
            snprintf(err, err_len, "week \"%.32s\" is out of range", week);
            return PROTO_EINVAL;
        }
    }
    if ((rc = steps_init(&b)) != 0 || (rc = people_init(&b)) != 0 ||
        (rc = read_rollups(&b)) != 0 || (rc = read_kiosks(&b)) != 0 ||
        (rc = read_followups(&b)) != 0 || (rc = exceptions(&b)) != 0 ||
        (rc = read_problems(&b)) != 0 || (rc = read_candidates(&b)) != 0 ||
        (rc = read_effects(&b)) != 0 || (rc = recognition(&b)) != 0) {
        if (rc > 0) /* a callback's own code */
            rc = PROTO_ESTORE;
        return rc;
    }
    return 0;
}

int syncd_agenda_build(syncd_store_t *store, const proto_catalogue_t *cat,
                       const char *site_id, const char *week,
                       syncd_agenda_format_t fmt, int64_t now_ms, char **out,
                       size_t *len, char *err, size_t err_len)
{
    ag_t ag;
    build_t b = {.ag = &ag, .store = store, .err = err, .err_len = err_len};
    sb_t sb = {0};
    int rc = 0;

    memset(&ag, 0, sizeof ag);
    if (!store || !site_id || !week || !out || !len || !err || !err_len)
        return PROTO_EINVAL;
    *out = NULL;
    *len = 0;
    if (!week[0]) { /* managers name the week they print */
        snprintf(err, err_len, "no week given; write it as 2026-W48");
        return PROTO_EINVAL;
    }
    if ((rc = compute(&ag, store, cat, site_id, week, now_ms, err, err_len)) !=
        0)
        goto cleanup;
    switch (fmt) {
    case SYNCD_AGENDA_JSON:
        rc = ag_write_json(&ag, &sb);
        break;
    case SYNCD_AGENDA_MD:
        rc = ag_write_md(&ag, &sb);
        break;
    case SYNCD_AGENDA_CSV:
        rc = ag_write_csv(&ag, &sb);
        break;
    case SYNCD_AGENDA_HTML:
        rc = ag_write_html(&ag, &sb);
        break;
    default:
        rc = PROTO_EINVAL;
    }
    if (rc == 0 && (sb.oom || !sb.p))
        rc = PROTO_ENOMEM;
    if (rc == PROTO_ENOMEM)
        (void)oom(&b);
    else if (rc != 0 && !err[0])
        snprintf(err, err_len, "writing the agenda failed (%s)",
                 proto_strerror(rc));
cleanup:
    if (rc > 0) /* a callback's own code */
        rc = PROTO_ESTORE;
    if (rc == 0) {
        *out = sb.p;
        *len = sb.len;
    } else {
        free(sb.p);
    }
    ag_free(&ag);
    return rc;
}

/* ---- The kiosks' summary (AGENDA, docs/PROTOCOL.md §6.11) ------------ */

/* A figure rounded to 1/scale as the agenda prints it, 0 for none. */
static int64_t scaled(double v, double scale)
{
    if (isnan(v) || isinf(v))
        return 0;
    return (int64_t)llround(v * scale);
}


static void put_id(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Points this week (tenths, as shown) and id of person or team i. */
static void standing_of(const ag_t *ag, bool teams, size_t i, int64_t *pts,
                        const char **id)
{
    const ag_cell_t *c =
        teams ? &ag->teams[i].wk[AG_CUR] : &ag->people[i].wk[AG_CUR];
    *pts = scaled(c->points, 10);
    *id = teams ? ag->teams[i].id : ag->people[i].id;
}

/* Indices 0..n-1 of people or teams, most points this week first, then
 * id. An insertion sort: a site has tens of people, and it needs no
 * context-less comparator. Caller frees. */
static size_t *ranked(const ag_t *ag, bool teams, size_t n)
{
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int64_t pi;
        const char *ii;
        standing_of(ag, teams, i, &pi, &ii);
        size_t j = i;
        while (j > 0) {
            int64_t pj;
            const char *ij;
            standing_of(ag, teams, idx[j - 1], &pj, &ij);
            if (pj > pi || (pj == pi && strcmp(ij, ii) <= 0))
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    return idx;
}

/* Allocates a zeroed list of min(n, cap) elements; the rest is omitted. */
static void *rows(size_t n, size_t sz, uint32_t *count, uint32_t *omitted)
{
    size_t k = n > PROTO_MAX_AGENDA_ROWS ? PROTO_MAX_AGENDA_ROWS : n;
    *omitted += (uint32_t)(n - k);
    *count = (uint32_t)k;
    if (k == 0)
        return NULL;
    void *p = proto_malloc(k * sz);
    if (p)
        memset(p, 0, k * sz);
    return p;
}

static int fill_summary(const ag_t *ag, proto_msg_t *msg)
{
    typeof(msg->u.agenda) *a = &msg->u.agenda;
    size_t *order = NULL;
    msg->type = PROTO_MSG_AGENDA;
    put_id(a->site, sizeof a->site, ag->site_id);
    put_id(a->week, sizeof a->week, ag->week);
    a->generated_ms = ag->now_ms;
    a->catalogue_version = ag->cat->version;
    a->roster = (uint32_t)ag->roster;
    a->checked_in = (uint32_t)ag->covered;

    a->steps = rows(ag->n_steps, sizeof *a->steps, &a->n_steps, &a->omitted);
    if (a->n_steps && !a->steps)
        goto nomem;
    for (uint32_t i = 0; i < a->n_steps; i++) {
        const ag_step_t *s = &ag->steps[i];
        const ag_cell_t *c = &s->wk[AG_CUR];
        proto_agenda_step_t *r = &a->steps[i];
        put_id(r->process_id, sizeof r->process_id, s->process_id);
        put_id(r->step_id, sizeof r->step_id, s->id);
        proto_utf8_copy(r->name, sizeof r->name, s->name);
        put_id(r->measure, sizeof r->measure, s->measure);
        r->value_x100 = scaled(c->value, 100);
        if (c->target > 0) {
            r->target_x100 = scaled(c->target, 100);
            r->pct_x10 = (int32_t)scaled(ag_pct(c), 10);
            put_id(r->rag, sizeof r->rag, ag_rag_name(ag_rag(c)));
        }
        r->people = (uint32_t)c->people;
        r->checkins = (uint32_t)c->checkins;
        r->points_x10 = scaled(c->points, 10);
        r->quality_x100 = (uint32_t)scaled(ag_quality(c), 100);
    }

    a->people =
        rows(ag->n_people, sizeof *a->people, &a->n_people, &a->omitted);
    if ((a->n_people && !a->people) ||
        !(order = ranked(ag, false, ag->n_people)))
        goto nomem;
    for (uint32_t i = 0; i < a->n_people; i++) {
        const ag_person_t *p = &ag->people[order[i]];
        const ag_cell_t *c = &p->wk[AG_CUR];
        proto_agenda_person_t *r = &a->people[i];
        put_id(r->staff_id, sizeof r->staff_id, p->id);
        put_id(r->team_id, sizeof r->team_id, p->team_id);
        proto_utf8_copy(r->name, sizeof r->name, p->name);
        r->checkins = (uint32_t)c->checkins;
        r->points_x10 = scaled(c->points, 10);
        r->value_x100 = scaled(c->value, 100);
        if (c->target > 0) {
            r->target_x100 = scaled(c->target, 100);
            r->pct_x10 = (int32_t)scaled(ag_pct(c), 10);
            put_id(r->rag, sizeof r->rag, ag_rag_name(ag_rag(c)));
        }
    }
    free(order);
    order = NULL;

    a->teams = rows(ag->n_teams, sizeof *a->teams, &a->n_teams, &a->omitted);
    if ((a->n_teams && !a->teams) || !(order = ranked(ag, true, ag->n_teams)))
        goto nomem;
    for (uint32_t i = 0; i < a->n_teams; i++) {
        const ag_team_t *t = &ag->teams[order[i]];
        proto_agenda_team_t *r = &a->teams[i];
        put_id(r->team_id, sizeof r->team_id, t->id);
        proto_utf8_copy(r->name, sizeof r->name, t->name);
        r->members = (uint32_t)t->members;
        r->points_x10 = scaled(t->wk[AG_CUR].points, 10);
    }
    free(order);
    order = NULL;

    a->exceptions = rows(ag->n_exceptions, sizeof *a->exceptions,
                         &a->n_exceptions, &a->omitted);
    if (a->n_exceptions && !a->exceptions)
        goto nomem;
    for (uint32_t i = 0; i < a->n_exceptions; i++) {
        const ag_exception_t *e = &ag->exceptions[i];
        proto_agenda_exception_t *r = &a->exceptions[i];
        bool person = e->kind == AG_EX_NO_CHECKINS;
        put_id(r->kind, sizeof r->kind, ag_exception_key(e->kind));
        put_id(r->subject, sizeof r->subject, person ? "person" : "step");
        put_id(r->id, sizeof r->id,
               person ? ag->people[e->index].id : ag->steps[e->index].id);
        proto_utf8_copy(r->name, sizeof r->name,
                 person ? ag->people[e->index].name : ag->steps[e->index].name);
        if (e->kind == AG_EX_BELOW_TARGET || e->kind == AG_EX_QUALITY_DROP) {
            /* % to 0.1 and quality to 0.01, as the agenda prints them */
            double step = e->kind == AG_EX_BELOW_TARGET ? 10 : 100;
            r->now_x100 = scaled(round(e->now * step) / step, 100);
            r->before_x100 = scaled(round(e->before * step) / step, 100);
        }
    }

    size_t n_dec = 0;
    for (size_t g = 0; g < ag->n_cand_groups; g++)
        n_dec += ag->cand_groups[g].n;
    a->decisions =
        rows(n_dec, sizeof *a->decisions, &a->n_decisions, &a->omitted);
    if (a->n_decisions && !a->decisions)
        goto nomem;
    uint32_t k = 0;
    for (size_t g = 0; g < ag->n_cand_groups && k < a->n_decisions; g++) {
        const ag_cand_group_t *grp = &ag->cand_groups[g];
        for (size_t j = 0; j < grp->n && k < a->n_decisions; j++, k++) {
            const ag_sugg_t *sg = &ag->candidates[grp->items[j]];
            proto_agenda_decision_t *r = &a->decisions[k];
            put_id(r->id, sizeof r->id, sg->id);
            put_id(r->status, sizeof r->status, sg->status);
            r->votes = sg->votes > 0 ? (uint32_t)sg->votes : 0;
            r->group = (uint32_t)g + 1;
            r->rank = (uint32_t)j + 1;
            /* titles are bounded at capture; cut again in case an older
             * store holds a longer one */
            char title[PROTO_TITLE_MAX + 1];
            proto_utf8_copy(title, sizeof title,
                     sg->title && sg->title[0] ? sg->title : "?");
            if (!(r->title = proto_strdup(title)))
                goto nomem;
        }
    }
    return 0;
nomem:
    free(order);
    return PROTO_ENOMEM;
}

int syncd_agenda_summary(syncd_store_t *store, const proto_catalogue_t *cat,
                         const char *site_id, const char *week, int64_t now_ms,
                         proto_msg_t *msg, char *err, size_t err_len)
{
    ag_t ag;
    int rc;
    if (!store || !site_id || !msg || !err || !err_len)
        return PROTO_EINVAL;
    memset(msg, 0, sizeof *msg);
    rc = compute(&ag, store, cat, site_id, week ? week : "", now_ms, err,
                 err_len);
    if (rc == 0)
        rc = fill_summary(&ag, msg);
    if (rc == PROTO_ENOMEM && !err[0])
        snprintf(err, err_len, "out of memory building the agenda summary");
    if (rc != 0)
        proto_msg_clear(msg);
    ag_free(&ag);
    return rc;
}
