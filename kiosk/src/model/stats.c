/*
 * stats.c — the figures the kiosk shows from what it knows locally: the
 * events captured here (the outbox history plus what was saved since) and
 * the feed cache. Today's totals, points (with the step's quality
 * multiplier and daily cap), team standing, votes and the board.
 *
 * Why local: the kiosk must show a truthful feedback card the moment a
 * check-in is saved, also when syncd is unreachable. Points are computed
 * by the same rule syncd applies (docs/CATALOGUE.md), so the figures agree
 * once synced; the daily cap is applied here per person and day.
 */
#include "model_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t kiosk_day_of(const kiosk_model_t *m, int64_t ms)
{
    int64_t s = ms / 1000 + m->tz_offset_s;
    return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/* Monday-based: 1970-01-01 was a Thursday, so day 4 is the first Monday. */
int64_t kiosk_week_of(const kiosk_model_t *m, int64_t ms)
{
    int64_t d = kiosk_day_of(m, ms) + 3;
    return d >= 0 ? d / 7 : -((-d + 6) / 7);
}

/* The weekday of 31 December of year y, 0 = Sunday. */
static int dec31_weekday(int y)
{
    return (y + y / 4 - y / 100 + y / 400) % 7;
}

/* 53 ISO weeks when the year ends on a Thursday or begins on one (the
 * year before ended on a Wednesday). */
static int iso_weeks_in(int y)
{
    return dec31_weekday(y) == 4 || dec31_weekday(y - 1) == 3 ? 53 : 52;
}

int kiosk_iso_week_before(const char *week, char *out, size_t out_len)
{
    int y = 0, w = 0, n = 0;
    if (!week || strlen(week) != 8 ||
        sscanf(week, "%4d-W%2d%n", &y, &w, &n) != 2 || n != 8 || y < 2 ||
        w < 1 || w > iso_weeks_in(y))
        return PROTO_EINVAL;
    if (--w == 0)
        w = iso_weeks_in(--y);
    snprintf(out, out_len, "%04d-W%02d", y, w);
    return 0;
}

double kiosk_today_total(const kiosk_model_t *m, const char *staff_id,
                         const char *step_id, const char *key)
{
    int64_t today = kiosk_day_of(m, m->now_ms);
    double sum = 0;
    for (size_t i = 0; i < m->n_history; i++) {
        const proto_event_t *ev = &m->history[i];
        if (ev->type != PROTO_EV_CHECKIN ||
            strcmp(ev->staff_id, staff_id) != 0 ||
            strcmp(ev->step_id, step_id) != 0 ||
            kiosk_day_of(m, ev->captured_ms) != today)
            continue;
        for (uint32_t k = 0; k < ev->n_measures; k++)
            if (strcmp(ev->measures[k].key, key) == 0)
                sum += ev->measures[k].value;
    }
    return sum;
}

double kiosk_checkin_points(const proto_step_def_t *step,
                            const proto_event_t *ev)
{
    double pts = 0;
    if (!step)
        return 0;
    for (uint32_t k = 0; k < ev->n_measures; k++) {
        const proto_measure_def_t *md = NULL;
        for (size_t j = 0; j < step->n_measures; j++)
            if (strcmp(step->measures[j].id, ev->measures[k].key) == 0)
                md = &step->measures[j];
        if (md)
            pts += ev->measures[k].value * md->points_per_unit;
    }
    if (step->quality_multiplier && ev->quality > 0)
        pts = pts * ev->quality / 3.0;
    return pts;
}

/* Points of one staff member on one day, each step's daily cap applied
 * to that step's sum. */
double kiosk_day_points(const kiosk_model_t *m, const char *staff_id,
                        int64_t ms, uint64_t skip_seq)
{
    int64_t day = kiosk_day_of(m, ms);
    double total = 0;
    if (!m->cat)
        return 0;
    for (size_t s = 0; s < m->cat->n_steps; s++) {
        const proto_step_def_t *step = m->cat->steps[s];
        double sum = 0;
        for (size_t i = 0; i < m->n_history; i++) {
            const proto_event_t *ev = &m->history[i];
            if (ev->type != PROTO_EV_CHECKIN || ev->seq == skip_seq ||
                strcmp(ev->staff_id, staff_id) != 0 ||
                strcmp(ev->step_id, step->id) != 0 ||
                kiosk_day_of(m, ev->captured_ms) != day)
                continue;
            sum += kiosk_checkin_points(step, ev);
        }
        if (step->daily_points_cap > 0 && sum > step->daily_points_cap)
            sum = step->daily_points_cap;
        total += sum;
    }
    return total;
}

double kiosk_week_points(const kiosk_model_t *m, const char *staff_id)
{
    int64_t week = kiosk_week_of(m, m->now_ms);
    int64_t days[7];
    size_t n_days = 0;
    double total = 0;
    /* the days of this week that have events of this staff member */
    for (size_t i = 0; i < m->n_history; i++) {
        const proto_event_t *ev = &m->history[i];
        if (ev->type != PROTO_EV_CHECKIN ||
            strcmp(ev->staff_id, staff_id) != 0 ||
            kiosk_week_of(m, ev->captured_ms) != week)
            continue;
        int64_t d = kiosk_day_of(m, ev->captured_ms);
        bool seen = false;
        for (size_t k = 0; k < n_days; k++)
            seen |= days[k] == d;
        if (!seen && n_days < 7) {
            days[n_days++] = d;
            total += kiosk_day_points(m, staff_id, ev->captured_ms, 0);
        }
    }
    return total;
}

void kiosk_team_rank(const kiosk_model_t *m, const char *team_id, int *rank,
                     int *of, double *points)
{
    *rank = 0;
    *of = 0;
    *points = 0;
    if (!m->site)
        return;
    double mine = 0;
    double team_pts[64] = {0};
    size_t nt = m->site->n_teams < 64 ? m->site->n_teams : 64;
    for (size_t t = 0; t < nt; t++) {
        for (size_t s = 0; s < m->site->n_staff; s++)
            if (strcmp(m->site->staff[s].team_id, m->site->teams[t].id) == 0)
                team_pts[t] += kiosk_week_points(m, m->site->staff[s].id);
        if (strcmp(m->site->teams[t].id, team_id) == 0)
            mine = team_pts[t];
    }
    *of = (int)nt;
    *rank = 1;
    for (size_t t = 0; t < nt; t++)
        if (team_pts[t] > mine)
            (*rank)++;
    *points = mine;
}

bool kiosk_voted(const kiosk_model_t *m, const char *staff_id,
                 const char *suggestion_id)
{
    bool voted = false;
    for (size_t i = 0; i < m->n_history; i++) {
        const proto_event_t *ev = &m->history[i];
        if (ev->type == PROTO_EV_VOTE && strcmp(ev->staff_id, staff_id) == 0 &&
            strcmp(ev->suggestion_id, suggestion_id) == 0)
            voted = ev->vote == 1;
    }
    return voted;
}

/* For each voter: their vote now minus their vote as of the server's ack
 * mark, which the feed already counts. */
int kiosk_vote_delta(const kiosk_model_t *m, const char *suggestion_id,
                     bool from_zero)
{
    int delta = 0;
    for (size_t i = 0; i < m->n_history; i++) {
        const proto_event_t *ev = &m->history[i];
        if (ev->type != PROTO_EV_VOTE ||
            strcmp(ev->suggestion_id, suggestion_id) != 0)
            continue;
        /* first event of this voter on this suggestion decides the pair */
        bool first = true;
        for (size_t j = 0; j < i; j++)
            if (m->history[j].type == PROTO_EV_VOTE &&
                strcmp(m->history[j].suggestion_id, suggestion_id) == 0 &&
                strcmp(m->history[j].staff_id, ev->staff_id) == 0)
                first = false;
        if (!first)
            continue;
        int acked = 0, now = 0;
        for (size_t j = i; j < m->n_history; j++) {
            const proto_event_t *e2 = &m->history[j];
            if (e2->type != PROTO_EV_VOTE ||
                strcmp(e2->suggestion_id, suggestion_id) != 0 ||
                strcmp(e2->staff_id, ev->staff_id) != 0)
                continue;
            now = e2->vote == 1;
            if (e2->seq <= m->sync.acked_seq && !from_zero)
                acked = now;
        }
        delta += now - acked;
    }
    return delta;
}

void kiosk_suggestion_free(proto_suggestion_t *s)
{
    if (!s)
        return;
    free(s->title);
    free(s->body);
    free(s->feedback);
    memset(s, 0, sizeof *s);
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : KIOSK_MODEL_ENOMEM;
}

int kiosk_suggestion_copy(proto_suggestion_t *dst,
                          const proto_suggestion_t *src)
{
    *dst = *src;
    dst->title = dst->body = dst->feedback = NULL;
    if (dup_opt(&dst->title, src->title ? src->title : "") < 0 ||
        dup_opt(&dst->body, src->body) < 0 ||
        dup_opt(&dst->feedback, src->feedback) < 0) {
        kiosk_suggestion_free(dst);
        return KIOSK_MODEL_ENOMEM;
    }
    return 0;
}

static int board_cmp(const void *a, const void *b)
{
    const board_item_t *x = a, *y = b;
    if (x->s.votes != y->s.votes)
        return x->s.votes < y->s.votes ? 1 : -1;
    if (x->s.created_ms != y->s.created_ms)
        return x->s.created_ms < y->s.created_ms ? 1 : -1;
    return strcmp(x->s.id, y->s.id);
}

/* The board holds shallow copies: strings point into the feed copies or
 * into the history events, which outlive it (rebuilt after each update). */
int kiosk_board_rebuild(kiosk_model_t *m)
{
    size_t cap = m->n_feed + m->n_history;
    free(m->board);
    m->board = NULL;
    m->n_board = 0;
    if (cap == 0)
        return 0;
    m->board = calloc(cap, sizeof *m->board);
    if (!m->board)
        return KIOSK_MODEL_ENOMEM;
    for (size_t i = 0; i < m->n_feed; i++) {
        if (m->feed[i].s.merged_into[0])
            continue; /* shown through the one it was merged into */
        board_item_t *b = &m->board[m->n_board++];
        *b = m->feed[i];
        int v = (int)b->s.votes + kiosk_vote_delta(m, b->s.id, false);
        b->s.votes = v < 0 ? 0 : (uint32_t)v;
    }
    for (size_t i = 0; i < m->n_history; i++) {
        const proto_event_t *ev = &m->history[i];
        if (ev->type != PROTO_EV_SUGGESTION)
            continue;
        char id[PROTO_ID_MAX + 32];
        snprintf(id, sizeof id, "%s:%llu", ev->kiosk_id,
                 (unsigned long long)ev->seq);
        bool known = false;
        for (size_t j = 0; j < m->n_feed && !known; j++)
            known = strcmp(m->feed[j].s.id, id) == 0;
        if (known)
            continue;
        board_item_t *b = &m->board[m->n_board++];
        memset(b, 0, sizeof *b);
        b->local_only = true;
        snprintf(b->s.id, sizeof b->s.id, "%.64s", id);
        b->s.kind = ev->kind;
        snprintf(b->s.status, sizeof b->s.status, "%s", "new");
        b->s.title = ev->title;
        b->s.body = ev->body;
        snprintf(b->s.process_id, sizeof b->s.process_id, "%s", ev->process_id);
        snprintf(b->s.step_id, sizeof b->s.step_id, "%s", ev->step_id);
        snprintf(b->s.author_id, sizeof b->s.author_id, "%s",
                 ev->anonymous ? "" : ev->staff_id);
        int v = kiosk_vote_delta(m, id, true);
        b->s.votes = v < 0 ? 0 : (uint32_t)v;
        b->s.created_ms = ev->captured_ms;
    }
    qsort(m->board, m->n_board, sizeof *m->board, board_cmp);
    return 0;
}
