/*
 * agenda_text.c — the agenda as JSON, Markdown and CSV, and the text
 * buffer with the escapes every writer needs.
 *
 * JSON is for programs (the kiosk's meeting mode, spreadsheets): every
 * number the HTML shows, keys always in the order docs/AGENDA.md lists,
 * numbers rounded the way the page shows them, so golden files are stable.
 * Markdown is for pasting into a chat or a wiki and must read well as
 * plain text. CSV carries the scoreboard tables only, as one rectangular
 * table (RFC 4180, CRLF) starting with a UTF-8 BOM so that Excel opens the
 * Chinese names correctly.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agenda_model.h"

/* ---------------------------------------------------------------- sb */

void sb_put(sb_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sb_puts(sb_t *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

void sb_printf(sb_t *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        sb_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_put(b, big, (size_t)n);
    free(big);
}

void sb_html(sb_t *b, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '&':
            sb_puts(b, "&amp;");
            break;
        case '<':
            sb_puts(b, "&lt;");
            break;
        case '>':
            sb_puts(b, "&gt;");
            break;
        case '"':
            sb_puts(b, "&quot;");
            break;
        case '\'':
            sb_puts(b, "&#39;");
            break;
        default:
            sb_put(b, p, 1);
        }
    }
}

void sb_json_str(sb_t *b, const char *s)
{
    if (!s) {
        sb_puts(b, "null");
        return;
    }
    sb_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            sb_printf(b, "\\%c", *p);
        } else if (*p == '\n') {
            sb_puts(b, "\\n");
        } else if (*p < 0x20) {
            sb_printf(b, "\\u%04x", *p);
        } else if (*p == '<') {
            sb_puts(b, "\\u003c"); /* safe to embed in a page */
        } else {
            sb_put(b, (const char *)p, 1);
        }
    }
    sb_puts(b, "\"");
}

void sb_md(sb_t *b, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '|' || *p == '\\' || *p == '*' || *p == '_' || *p == '`' ||
            *p == '<' || *p == '[' || *p == ']')
            sb_printf(b, "\\%c", *p);
        else if (*p == '\n' || *p == '\r')
            sb_puts(b, " ");
        else
            sb_put(b, p, 1);
    }
}

void sb_csv(sb_t *b, const char *s)
{
    s = s ? s : "";
    if (!strpbrk(s, ",\"\r\n")) {
        sb_puts(b, s);
        return;
    }
    sb_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            sb_puts(b, "\"\"");
        else
            sb_put(b, p, 1);
    }
    sb_puts(b, "\"");
}

void sb_num(sb_t *b, double v, int decimals, const char *nan_text)
{
    if (isnan(v) || isinf(v)) {
        sb_puts(b, nan_text);
        return;
    }
    char t[64];
    double scale = pow(10, decimals);
    v = round(v * scale) / scale;
    if (v == 0)
        v = 0; /* no "-0" */
    snprintf(t, sizeof t, "%.*f", decimals, v);
    if (strchr(t, '.')) {
        char *e = t + strlen(t) - 1;
        while (*e == '0')
            *e-- = '\0';
        if (*e == '.')
            *e = '\0';
    }
    sb_puts(b, t);
}

/* -------------------------------------------------------------- JSON */

typedef struct {
    sb_t *b;
    int depth;
    bool first[32];
    bool after_key;
} jw_t;

static void jw_slot(jw_t *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth == 0)
        return;
    if (!j->first[j->depth])
        sb_puts(j->b, ",");
    j->first[j->depth] = false;
    sb_printf(j->b, "\n%*s", j->depth * 2, "");
}

static void jw_open(jw_t *j, const char *brace)
{
    jw_slot(j);
    sb_puts(j->b, brace);
    j->depth++;
    j->first[j->depth] = true;
}

static void jw_close(jw_t *j, const char *brace)
{
    bool empty = j->first[j->depth];
    j->depth--;
    if (!empty)
        sb_printf(j->b, "\n%*s", j->depth * 2, "");
    sb_puts(j->b, brace);
}

static void jw_key(jw_t *j, const char *k)
{
    jw_slot(j);
    sb_json_str(j->b, k);
    sb_puts(j->b, ": ");
    j->after_key = true;
}

static void jw_str(jw_t *j, const char *k, const char *v)
{
    jw_key(j, k);
    jw_slot(j);
    sb_json_str(j->b, v);
}

static void jw_num(jw_t *j, const char *k, double v, int decimals)
{
    if (k)
        jw_key(j, k);
    jw_slot(j);
    sb_num(j->b, v, decimals, "null");
}

static void jw_bool(jw_t *j, const char *k, bool v)
{
    jw_key(j, k);
    jw_slot(j);
    sb_puts(j->b, v ? "true" : "false");
}

static void jw_obj(jw_t *j, const char *k)
{
    if (k)
        jw_key(j, k);
    jw_open(j, "{");
}

static void jw_arr(jw_t *j, const char *k)
{
    if (k)
        jw_key(j, k);
    jw_open(j, "[");
}

/* The numbers of one scoreboard row, in the documented order. trend_points
 * selects the trend: weekly points (people, teams) or weekly value. */
static void json_cell(jw_t *j, const ag_cell_t *wk, bool trend_points)
{
    const ag_cell_t *c = &wk[AG_CUR], *p = &wk[AG_PREV];
    jw_num(j, "people", c->people, 0);
    jw_num(j, "checkins", (double)c->checkins, 0);
    jw_num(j, "value", c->value, 2);
    jw_num(j, "target", c->target > 0 ? c->target : NAN, 2);
    jw_num(j, "pct", ag_pct(c), 1);
    jw_str(j, "rag", ag_rag(c) ? ag_rag_name(ag_rag(c)) : NULL);
    jw_num(j, "quality", ag_quality(c), 2);
    jw_num(j, "points", c->points, 1);
    jw_num(j, "rating", ag_rating(c), 2);
    jw_num(j, "ratings", (double)c->ratings_n, 0);
    if (trend_points) {
        jw_num(j, "prev_points", p->points, 1);
        jw_num(j, "change", c->points - p->points, 1);
    } else {
        jw_num(j, "prev_value", p->value, 2);
        jw_num(j, "prev_pct", ag_pct(p), 1);
        jw_num(j, "change", c->value - p->value, 2);
    }
    jw_arr(j, "trend");
    for (int w = 0; w < AG_WEEKS; w++)
        jw_num(j, NULL, trend_points ? wk[w].points : wk[w].value,
               trend_points ? 1 : 2);
    jw_close(j, "]");
}

static void json_side(jw_t *j, const char *k, const char *from, const char *to,
                      double total, long pd)
{
    jw_obj(j, k);
    jw_str(j, "from", from);
    jw_str(j, "to", to);
    jw_num(j, "total", total, 2);
    jw_num(j, "person_days", (double)pd, 0);
    jw_num(j, "per_person_day", ag_effect_value(total, pd), 2);
    jw_close(j, "}");
}

int ag_write_json(const ag_t *ag, sb_t *b)
{
    jw_t j = {.b = b};
    jw_obj(&j, NULL);
    jw_num(&j, "agenda_format", 1, 0);
    jw_obj(&j, "site");
    jw_str(&j, "id", ag->site_id);
    jw_str(&j, "name", ag->site->name.zh);
    jw_str(&j, "timezone", ag->tz);
    jw_close(&j, "}");
    jw_obj(&j, "week");
    jw_str(&j, "id", ag->week);
    jw_str(&j, "monday", ag->monday);
    jw_str(&j, "sunday", ag->sunday);
    jw_num(&j, "working_days", AG_WORKDAYS, 0);
    jw_close(&j, "}");
    jw_str(&j, "today", ag->today);
    jw_num(&j, "catalogue_version", (double)ag->cat->version, 0);

    jw_obj(&j, "freshness");
    jw_arr(&j, "kiosks");
    uint64_t queued = 0;
    for (size_t i = 0; i < ag->n_kiosks; i++) {
        const ag_kiosk_t *k = &ag->kiosks[i];
        queued += k->queued;
        jw_obj(&j, NULL);
        jw_str(&j, "id", k->id);
        jw_str(&j, "last_sync_day",
               k->last_sync_day[0] ? k->last_sync_day : NULL);
        jw_num(&j, "hours_since_sync", k->hours_ago < 0 ? NAN : k->hours_ago,
               1);
        jw_num(&j, "queued", (double)k->queued, 0);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");
    jw_num(&j, "queued_total", (double)queued, 0);
    jw_num(&j, "roster", ag->roster, 0);
    jw_num(&j, "checked_in", ag->covered, 0);
    jw_num(&j, "coverage_pct",
           ag->roster ? ag->covered * 100.0 / ag->roster : NAN, 1);
    jw_close(&j, "}");

    jw_arr(&j, "attendees");
    for (size_t i = 0; i < ag->n_people; i++) {
        if (!ag->people[i].on_roster)
            continue;
        jw_obj(&j, NULL);
        jw_str(&j, "id", ag->people[i].id);
        jw_str(&j, "name", ag->people[i].name);
        jw_str(&j, "team", ag->people[i].team_name);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");

    jw_arr(&j, "followups");
    for (size_t i = 0; i < ag->n_followups; i++) {
        const ag_sugg_t *s = &ag->followups[i];
        jw_obj(&j, NULL);
        jw_str(&j, "id", s->id);
        jw_str(&j, "title", s->title);
        jw_str(&j, "status", s->status);
        jw_str(&j, "owner_id", s->owner_id);
        jw_str(&j, "owner",
               s->owner_id[0] ? ag_person_name(ag, s->owner_id) : "");
        jw_str(&j, "due", s->due);
        jw_bool(&j, "overdue", s->overdue);
        jw_num(&j, "days_overdue", s->days_overdue, 0);
        jw_num(&j, "votes", (double)s->votes, 0);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");

    jw_obj(&j, "scoreboard");
    jw_arr(&j, "weeks");
    for (int w = 0; w < AG_WEEKS; w++) {
        jw_slot(&j);
        sb_json_str(b, ag->weeks[w]);
    }
    jw_close(&j, "]");
    jw_arr(&j, "steps");
    for (size_t i = 0; i < ag->n_steps; i++) {
        const ag_step_t *s = &ag->steps[i];
        jw_obj(&j, NULL);
        jw_str(&j, "process_id", s->process_id);
        jw_str(&j, "process", s->process_name);
        jw_str(&j, "step_id", s->id);
        jw_str(&j, "step", s->name);
        jw_bool(&j, "in_catalogue", s->def != NULL);
        jw_str(&j, "measure", s->measure);
        jw_str(&j, "unit", s->unit);
        jw_num(&j, "daily_target", s->daily_target > 0 ? s->daily_target : NAN,
               2);
        json_cell(&j, s->wk, false);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");
    jw_arr(&j, "teams");
    for (size_t i = 0; i < ag->n_teams; i++) {
        const ag_team_t *t = &ag->teams[i];
        jw_obj(&j, NULL);
        jw_str(&j, "id", t->id);
        jw_str(&j, "name", t->name);
        jw_num(&j, "members", t->members, 0);
        json_cell(&j, t->wk, true);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");
    jw_arr(&j, "people");
    for (size_t i = 0; i < ag->n_people; i++) {
        const ag_person_t *p = &ag->people[i];
        jw_obj(&j, NULL);
        jw_str(&j, "id", p->id);
        jw_str(&j, "name", p->name);
        jw_str(&j, "team_id", p->team_id);
        jw_str(&j, "team", p->team_name);
        jw_bool(&j, "on_roster", p->on_roster);
        json_cell(&j, p->wk, true);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");
    jw_close(&j, "}");

    jw_arr(&j, "exceptions");
    for (size_t i = 0; i < ag->n_exceptions; i++) {
        const ag_exception_t *e = &ag->exceptions[i];
        bool person = e->kind == AG_EX_NO_CHECKINS;
        jw_obj(&j, NULL);
        jw_str(&j, "kind", ag_exception_key(e->kind));
        jw_str(&j, "subject", person ? "person" : "step");
        jw_str(&j, "id",
               person ? ag->people[e->index].id : ag->steps[e->index].id);
        jw_str(&j, "name",
               person ? ag->people[e->index].name : ag->steps[e->index].name);
        if (e->kind == AG_EX_BELOW_TARGET) {
            jw_num(&j, "pct", e->now, 1);
            jw_num(&j, "prev_pct", e->before, 1);
        } else if (e->kind == AG_EX_QUALITY_DROP) {
            jw_num(&j, "quality", e->now, 2);
            jw_num(&j, "prev_quality", e->before, 2);
        }
        jw_close(&j, "}");
    }
    jw_close(&j, "]");

    jw_arr(&j, "problems");
    for (size_t i = 0; i < ag->n_problem_groups; i++) {
        const ag_problem_group_t *g = &ag->problem_groups[i];
        jw_obj(&j, NULL);
        jw_str(&j, "process_id", g->process_id);
        jw_str(&j, "process", ag_process_label(ag, g->process_id));
        jw_str(&j, "step_id", g->step_id);
        jw_str(&j, "step", ag_step_label(ag, g->step_id));
        jw_num(&j, "count", (double)g->n, 0);
        jw_arr(&j, "items");
        for (size_t k = 0; k < g->n; k++) {
            const ag_sugg_t *s = &ag->problems[g->items[k]];
            jw_obj(&j, NULL);
            jw_str(&j, "id", s->id);
            jw_str(&j, "title", s->title);
            jw_str(&j, "status", s->status);
            jw_close(&j, "}");
        }
        jw_close(&j, "]");
        jw_close(&j, "}");
    }
    jw_close(&j, "]");

    jw_arr(&j, "decisions");
    for (size_t i = 0; i < ag->n_cand_groups; i++) {
        const ag_cand_group_t *g = &ag->cand_groups[i];
        jw_obj(&j, NULL);
        jw_num(&j, "votes", (double)g->votes, 0);
        jw_arr(&j, "items");
        for (size_t k = 0; k < g->n; k++) {
            const ag_sugg_t *s = &ag->candidates[g->items[k]];
            jw_obj(&j, NULL);
            jw_str(&j, "id", s->id);
            jw_str(&j, "title", s->title);
            jw_str(&j, "kind", s->kind);
            jw_str(&j, "status", s->status);
            jw_str(&j, "process", ag_process_label(ag, s->process_id));
            jw_str(&j, "step",
                   s->step_id[0] ? ag_step_label(ag, s->step_id) : "");
            jw_num(&j, "votes", (double)s->votes, 0);
            jw_close(&j, "}");
        }
        jw_close(&j, "]");
        jw_close(&j, "}");
    }
    jw_close(&j, "]");

    jw_arr(&j, "effects");
    for (size_t i = 0; i < ag->n_effects; i++) {
        const ag_effect_t *e = &ag->effects[i];
        const ag_sugg_t *s = &ag->effects_s[e->sugg];
        jw_obj(&j, NULL);
        jw_str(&j, "id", s->id);
        jw_str(&j, "title", s->title);
        jw_str(&j, "measure", s->measure);
        jw_str(&j, "step", ag_step_label(ag, e->step));
        jw_str(&j, "direction", e->up ? "up" : "down");
        jw_str(&j, "decided", e->decided);
        jw_str(&j, "done", s->done_day);
        json_side(&j, "before", e->before_from, e->before_to, e->before_total,
                  e->before_pd);
        json_side(&j, "after", e->after_from, e->after_to, e->after_total,
                  e->after_pd);
        jw_str(&j, "verdict", e->verdict);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");

    jw_obj(&j, "recognition");
    jw_arr(&j, "people");
    for (size_t i = 0; i < ag->n_top_people; i++) {
        const ag_person_t *p = &ag->people[ag->top_people[i]];
        jw_obj(&j, NULL);
        jw_str(&j, "id", p->id);
        jw_str(&j, "name", p->name);
        jw_str(&j, "team", p->team_name);
        jw_num(&j, "points", round(p->wk[AG_CUR].points), 0);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");
    jw_arr(&j, "teams");
    for (size_t i = 0; i < ag->n_top_teams; i++) {
        const ag_team_t *t = &ag->teams[ag->top_teams[i]];
        jw_obj(&j, NULL);
        jw_str(&j, "id", t->id);
        jw_str(&j, "name", t->name);
        jw_num(&j, "points", round(t->wk[AG_CUR].points), 0);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");
    jw_arr(&j, "authors");
    for (size_t i = 0; i < ag->n_authors; i++) {
        const ag_author_t *a = &ag->authors[i];
        jw_obj(&j, NULL);
        jw_str(&j, "suggestion_id", a->suggestion_id);
        jw_str(&j, "title", a->title);
        jw_str(&j, "status", a->status);
        jw_str(&j, "staff_id", a->staff_id);
        jw_str(&j, "name", ag_person_name(ag, a->staff_id));
        jw_num(&j, "points", a->points, 1);
        jw_str(&j, "day", a->day);
        jw_close(&j, "}");
    }
    jw_close(&j, "]");
    jw_close(&j, "}");

    jw_obj(&j, "decision_log");
    jw_arr(&j, "columns");
    static const char *const cols[] = {"item", "decision", "owner", "due"};
    for (size_t i = 0; i < 4; i++) {
        jw_slot(&j);
        sb_json_str(b, cols[i]);
    }
    jw_close(&j, "]");
    jw_num(&j, "blank_rows", AG_BLANK_ROWS, 0);
    jw_close(&j, "}");
    jw_close(&j, "}");
    sb_puts(b, "\n");
    return 0;
}

/* ---------------------------------------------------------- Markdown */

static void md_pct(sb_t *b, const ag_cell_t *c)
{
    double p = ag_pct(c);
    if (isnan(p)) {
        sb_puts(b, "—");
        return;
    }
    sb_num(b, p, 1, "—");
    static const char *const mark[] = {"", " 🟢", " 🟡", " 🔴"};
    sb_printf(b, "%%%s", mark[ag_rag(c)]);
}

static void md_trend(sb_t *b, const ag_cell_t *wk, bool points)
{
    for (int w = 0; w < AG_WEEKS; w++) {
        if (w)
            sb_puts(b, " ");
        sb_num(b, points ? wk[w].points : wk[w].value, 1, "0");
    }
}

static void md_change(sb_t *b, double d, int decimals)
{
    if (d > 0)
        sb_puts(b, "+");
    sb_num(b, d, decimals, "—");
}

/* The 达成, 质量, 积分 and 客户评分 columns of a week's cell, each with the
 * separator before it, and the one after the last. */
static void md_scores(sb_t *b, const ag_cell_t *c)
{
    sb_puts(b, " | ");
    md_pct(b, c);
    sb_puts(b, " | ");
    sb_num(b, ag_quality(c), 2, "—");
    sb_puts(b, " | ");
    sb_num(b, c->points, 1, "0");
    sb_puts(b, " | ");
    sb_num(b, ag_rating(c), 2, "—");
    sb_puts(b, " | ");
}

static void md_who_row(sb_t *b, const char *name, const char *team,
                       const ag_cell_t *wk)
{
    const ag_cell_t *c = &wk[AG_CUR];
    sb_puts(b, "| ");
    sb_md(b, name);
    if (team) {
        sb_puts(b, " | ");
        sb_md(b, team);
    }
    sb_printf(b, " | %ld | ", c->checkins);
    sb_num(b, c->value, 1, "0");
    sb_puts(b, " / ");
    sb_num(b, c->target > 0 ? c->target : NAN, 1, "—");
    md_scores(b, c);
    md_change(b, c->points - wk[AG_PREV].points, 1);
    sb_puts(b, " | ");
    md_trend(b, wk, true);
    sb_puts(b, " |\n");
}

int ag_write_md(const ag_t *ag, sb_t *b)
{
    sb_puts(b, "# ");
    sb_md(b, ag->site->name.zh);
    sb_printf(b, " · 周例会议程 Weekly meeting agenda · %s\n\n", ag->week);
    sb_printf(b,
              "%s（周一）至 %s（周日）· 时区 %s · 目录版本 %llu · "
              "生成日期 %s\n\n",
              ag->monday, ag->sunday, ag->tz,
              (unsigned long long)ag->cat->version, ag->today);

    sb_puts(b, "## 0 概况 Overview\n\n");
    sb_printf(b, "- 打卡覆盖 Check-in coverage: %d / %d 人（", ag->covered,
              ag->roster);
    sb_num(b, ag->roster ? ag->covered * 100.0 / ag->roster : NAN, 1, "—");
    sb_puts(b, "%）\n");
    uint64_t queued = 0;
    for (size_t i = 0; i < ag->n_kiosks; i++)
        queued += ag->kiosks[i].queued;
    sb_printf(b, "- 终端待上传 Events still queued on kiosks: %llu\n",
              (unsigned long long)queued);
    sb_puts(b, "- 参会人员 Attendees: ");
    bool first = true;
    for (size_t i = 0; i < ag->n_people; i++) {
        if (!ag->people[i].on_roster)
            continue;
        sb_puts(b, first ? "" : "、");
        sb_md(b, ag->people[i].name);
        sb_puts(b, "（");
        sb_md(b, ag->people[i].team_name);
        sb_puts(b, "）");
        first = false;
    }
    sb_puts(b, "\n\n| 终端 Kiosk | 最近同步 Last sync | 距今（小时） | 待上传 "
               "Queued |\n|---|---|--:|--:|\n");
    for (size_t i = 0; i < ag->n_kiosks; i++) {
        const ag_kiosk_t *k = &ag->kiosks[i];
        sb_puts(b, "| ");
        sb_md(b, k->id);
        sb_printf(b, " | %s | ",
                  k->last_sync_day[0] ? k->last_sync_day : "从未 never");
        sb_num(b, k->hours_ago < 0 ? NAN : k->hours_ago, 1, "—");
        sb_printf(b, " | %llu |\n", (unsigned long long)k->queued);
    }

    sb_puts(b, "\n## 1 跟进事项 Follow-ups\n\n");
    if (!ag->n_followups)
        sb_puts(b, "（无未完成的决定 No open decisions）\n");
    else
        sb_puts(b, "| 事项 Item | 状态 | 负责人 Owner | 截止 Due | 逾期 "
                   "Overdue |\n|---|---|---|---|--:|\n");
    for (size_t i = 0; i < ag->n_followups; i++) {
        const ag_sugg_t *s = &ag->followups[i];
        sb_puts(b, "| ");
        sb_md(b, s->title);
        sb_printf(b, " | %s | ", ag_status_zh(s->status));
        sb_md(b, s->owner_id[0] ? ag_person_name(ag, s->owner_id) : "—");
        sb_printf(b, " | %s | ", s->due[0] ? s->due : "—");
        if (s->overdue)
            sb_printf(b, "⚠ %d 天", s->days_overdue);
        sb_puts(b, " |\n");
    }

    sb_puts(b, "\n## 2 指标看板 KPI scoreboard\n\n");
    sb_printf(b,
              "目标 = 每人每日目标 × %d 个工作日 × 本周有打卡的人数；"
              "🟢 ≥ 100%%，🟡 ≥ 80%%，🔴 < 80%%。趋势：%s 至 %s，8 "
              "周。\n\n",
              AG_WORKDAYS, ag->weeks[0], ag->weeks[AG_CUR]);
    sb_puts(b, "### 按流程与步骤 By process and step\n\n"
               "| 流程 Process | 步骤 Step | 人数 | 打卡 | 完成 / 目标 | 达成 "
               "| 质量 | 积分 | 客户评分 | 较上周 | 8 周趋势 |\n"
               "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for (size_t i = 0; i < ag->n_steps; i++) {
        const ag_step_t *s = &ag->steps[i];
        const ag_cell_t *c = &s->wk[AG_CUR];
        sb_puts(b, "| ");
        sb_md(b, s->process_name);
        sb_puts(b, " | ");
        sb_md(b, s->name);
        sb_printf(b, " | %d | %ld | ", c->people, c->checkins);
        sb_num(b, c->value, 1, "0");
        sb_puts(b, " / ");
        sb_num(b, c->target > 0 ? c->target : NAN, 1, "—");
        if (s->unit[0]) {
            sb_puts(b, " ");
            sb_md(b, s->unit);
        }
        md_scores(b, c);
        md_change(b, c->value - s->wk[AG_PREV].value, 1);
        sb_puts(b, " | ");
        md_trend(b, s->wk, false);
        sb_puts(b, " |\n");
    }
    sb_puts(b, "\n### 按小组 By team\n\n"
               "| 小组 Team | 打卡 | 完成 / 目标 | 达成 | 质量 | 积分 | "
               "客户评分 | 积分较上周 | 8 周积分 |\n"
               "|---|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for (size_t i = 0; i < ag->n_teams; i++)
        md_who_row(b, ag->teams[i].name, NULL, ag->teams[i].wk);
    sb_puts(b, "\n### 按人员 By person\n\n"
               "| 人员 Person | 小组 | 打卡 | 完成 / 目标 | 达成 | 质量 | "
               "积分 | 客户评分 | 积分较上周 | 8 周积分 |\n"
               "|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for (size_t i = 0; i < ag->n_people; i++)
        md_who_row(b, ag->people[i].name, ag->people[i].team_name,
                   ag->people[i].wk);

    sb_puts(b, "\n## 3 异常 Exceptions\n\n");
    if (!ag->n_exceptions)
        sb_puts(b, "（无 None）\n");
    for (size_t i = 0; i < ag->n_exceptions; i++) {
        const ag_exception_t *e = &ag->exceptions[i];
        sb_puts(b, "- ");
        switch (e->kind) {
        case AG_EX_BELOW_TARGET:
            sb_puts(b, "连续两周未达标 Below target two weeks: ");
            sb_md(b, ag->steps[e->index].name);
            sb_puts(b, "（本周 ");
            sb_num(b, e->now, 1, "—");
            sb_puts(b, "%，上周 ");
            sb_num(b, e->before, 1, "—");
            sb_puts(b, "%）\n");
            break;
        case AG_EX_QUALITY_DROP:
            sb_puts(b, "质量下降 Quality drop: ");
            sb_md(b, ag->steps[e->index].name);
            sb_puts(b, "（");
            sb_num(b, e->before, 2, "—");
            sb_puts(b, " → ");
            sb_num(b, e->now, 2, "—");
            sb_puts(b, "）\n");
            break;
        case AG_EX_NO_ACTIVITY:
            sb_puts(b, "本周无人执行（可考虑删除）No activity: ");
            sb_md(b, ag->steps[e->index].name);
            sb_puts(b, "\n");
            break;
        case AG_EX_NO_CHECKINS:
            sb_puts(b, "本周无打卡 No check-ins: ");
            sb_md(b, ag->people[e->index].name);
            sb_puts(b, "\n");
            break;
        }
    }

    sb_puts(b, "\n## 4 员工反映的问题 Problems raised\n\n");
    if (!ag->n_problem_groups)
        sb_puts(b, "（本周无 None this week）\n");
    for (size_t i = 0; i < ag->n_problem_groups; i++) {
        const ag_problem_group_t *g = &ag->problem_groups[i];
        sb_puts(b, "- **");
        sb_md(b, ag_process_label(ag, g->process_id));
        sb_puts(b, " → ");
        sb_md(b, ag_step_label(ag, g->step_id));
        sb_printf(b, "**（%zu 次）\n", g->n);
        for (size_t k = 0; k < g->n; k++) {
            sb_puts(b, "  - ");
            sb_md(b, ag->problems[g->items[k]].title);
            sb_puts(b, "\n");
        }
    }

    sb_puts(b, "\n## 5 待决定的建议 Suggestions for decision\n\n");
    if (!ag->n_cand_groups)
        sb_puts(b, "（无 None）\n");
    else
        sb_puts(b, "| # | 建议 Suggestion | 流程 / 步骤 | 状态 | 支持 Votes "
                   "|\n|--:|---|---|---|--:|\n");
    for (size_t i = 0; i < ag->n_cand_groups; i++) {
        const ag_cand_group_t *g = &ag->cand_groups[i];
        for (size_t k = 0; k < g->n; k++) {
            const ag_sugg_t *s = &ag->candidates[g->items[k]];
            if (k == 0)
                sb_printf(b, "| %zu | ", i + 1);
            else
                sb_puts(b, "|  | ↳ 相似 similar: ");
            sb_md(b, s->title);
            sb_puts(b, " | ");
            sb_md(b, ag_process_label(ag, s->process_id));
            if (s->step_id[0]) {
                sb_puts(b, " / ");
                sb_md(b, ag_step_label(ag, s->step_id));
            }
            sb_printf(b, " | %s | %ld", ag_status_zh(s->status), s->votes);
            if (k == 0 && g->n > 1)
                sb_printf(b, "（合计 %ld）", g->votes);
            sb_puts(b, " |\n");
        }
    }

    sb_puts(b, "\n## 6 改进效果回顾 Effect review\n\n");
    if (!ag->n_effects)
        sb_puts(b, "（无完成满两周且有成效指标的改进 None yet）\n");
    else
        sb_puts(b, "| 改进 Change | 指标 Indicator | 决定日 | 之前（每人日） | "
                   "之后（每人日） | 结论 |\n|---|---|---|--:|--:|---|\n");
    for (size_t i = 0; i < ag->n_effects; i++) {
        const ag_effect_t *e = &ag->effects[i];
        const ag_sugg_t *s = &ag->effects_s[e->sugg];
        sb_puts(b, "| ");
        sb_md(b, s->title);
        sb_puts(b, " | ");
        sb_md(b, ag_step_label(ag, e->step));
        sb_printf(b, " · %s %s | %s | ", e->key, e->up ? "↑" : "↓", e->decided);
        sb_num(b, ag_effect_value(e->before_total, e->before_pd), 2, "—");
        sb_puts(b, " | ");
        sb_num(b, ag_effect_value(e->after_total, e->after_pd), 2, "—");
        const char *v = strcmp(e->verdict, "improved") == 0    ? "✅ 改善"
                        : strcmp(e->verdict, "worse") == 0     ? "❌ 变差"
                        : strcmp(e->verdict, "unchanged") == 0 ? "➖ 无变化"
                                                               : "数据不足";
        sb_printf(b, " | %s |\n", v);
    }

    sb_puts(b, "\n## 7 表彰 Recognition\n\n");
    sb_puts(b, "积分榜（个人）Top people: ");
    for (size_t i = 0; i < ag->n_top_people; i++) {
        const ag_person_t *p = &ag->people[ag->top_people[i]];
        sb_printf(b, "%s%zu. ", i ? "；" : "", i + 1);
        sb_md(b, p->name);
        sb_puts(b, " ");
        sb_num(b, round(p->wk[AG_CUR].points), 0, "0");
        sb_puts(b, " 分");
    }
    sb_puts(b, ag->n_top_people ? "\n\n" : "—\n\n");
    sb_puts(b, "积分榜（小组）Top teams: ");
    for (size_t i = 0; i < ag->n_top_teams; i++) {
        const ag_team_t *t = &ag->teams[ag->top_teams[i]];
        sb_printf(b, "%s%zu. ", i ? "；" : "", i + 1);
        sb_md(b, t->name);
        sb_puts(b, " ");
        sb_num(b, round(t->wk[AG_CUR].points), 0, "0");
        sb_puts(b, " 分");
    }
    sb_puts(b, ag->n_top_teams ? "\n\n" : "—\n\n");
    sb_puts(b, "建议被采纳 / 完成 Accepted or done suggestions:\n\n");
    if (!ag->n_authors)
        sb_puts(b, "- （本周无 None this week）\n");
    for (size_t i = 0; i < ag->n_authors; i++) {
        const ag_author_t *a = &ag->authors[i];
        sb_puts(b, "- ");
        sb_md(b, ag_person_name(ag, a->staff_id));
        sb_puts(b, "：");
        sb_md(b, a->title);
        sb_printf(b, "（%s，+", ag_status_zh(a->status));
        sb_num(b, a->points, 1, "0");
        sb_puts(b, " 分）\n");
    }

    sb_puts(b, "\n## 8 决定记录 Decision log\n\n"
               "| 事项 Item | 决定 Decision | 负责人 Owner | 截止 Due |\n"
               "|---|---|---|---|\n");
    for (int i = 0; i < AG_BLANK_ROWS; i++)
        sb_puts(b, "|   |   |   |   |\n");
    return 0;
}

/* --------------------------------------------------------------- CSV */

static void csv_row(const ag_t *ag, sb_t *b, const char *table,
                    const char *process, const char *step, const char *team,
                    const char *person, const char *measure, const char *unit,
                    const ag_cell_t *wk, bool points_trend)
{
    const ag_cell_t *c = &wk[AG_CUR], *p = &wk[AG_PREV];
    (void)ag;
    const char *f[] = {table, process, step, team, person, measure, unit};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (i)
            sb_puts(b, ",");
        sb_csv(b, f[i]);
    }
    sb_printf(b, ",%d,%ld,", c->people, c->checkins);
    sb_num(b, c->value, 2, "");
    sb_puts(b, ",");
    sb_num(b, c->target > 0 ? c->target : NAN, 2, "");
    sb_puts(b, ",");
    sb_num(b, ag_pct(c), 1, "");
    sb_printf(b, ",%s,", ag_rag_name(ag_rag(c)));
    sb_num(b, ag_quality(c), 2, "");
    sb_puts(b, ",");
    sb_num(b, c->points, 1, "");
    sb_puts(b, ",");
    sb_num(b, ag_rating(c), 2, "");
    sb_puts(b, ",");
    if (points_trend)
        sb_num(b, c->points - p->points, 1, "");
    else
        sb_num(b, c->value - p->value, 2, "");
    for (int w = 0; w < AG_WEEKS; w++) {
        sb_puts(b, ",");
        sb_num(b, points_trend ? wk[w].points : wk[w].value, 2, "");
    }
    sb_puts(b, "\r\n");
}

int ag_write_csv(const ag_t *ag, sb_t *b)
{
    sb_puts(b, "\xEF\xBB\xBF"); /* UTF-8 BOM: Excel then reads UTF-8 */
    sb_puts(b, "table,process,step,team,person,measure,unit,people,checkins,"
               "value,target,pct,rag,quality,points,rating,change");
    for (int w = 0; w < AG_WEEKS; w++)
        sb_printf(b, ",%s", ag->weeks[w]);
    sb_puts(b, "\r\n");
    for (size_t i = 0; i < ag->n_steps; i++) {
        const ag_step_t *s = &ag->steps[i];
        csv_row(ag, b, "step", s->process_name, s->name, "", "",
                s->measure_name, s->unit, s->wk, false);
    }
    for (size_t i = 0; i < ag->n_teams; i++)
        csv_row(ag, b, "team", "", "", ag->teams[i].name, "", "", "",
                ag->teams[i].wk, true);
    for (size_t i = 0; i < ag->n_people; i++)
        csv_row(ag, b, "person", "", "", ag->people[i].team_name,
                ag->people[i].name, "", "", ag->people[i].wk, true);
    return 0;
}
