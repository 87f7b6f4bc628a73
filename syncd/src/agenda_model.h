/*
 * agenda_model.h — the weekly agenda as numbers, between the file that
 * computes it (agenda.c, from rollups) and the files that write it
 * (agenda_text.c: JSON, Markdown, CSV; agenda_html.c: HTML). Private to
 * syncd. Keeping the numbers in one model is what guarantees that the JSON
 * carries every number the HTML shows: both read the same fields, and
 * every rule (targets, colours, exceptions) is applied once, in agenda.c.
 */
#ifndef SYNCD_AGENDA_MODEL_H
#define SYNCD_AGENDA_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/catalogue.h"
#include "syncd/agenda.h"

#define AG_WEEKS 8 /* the trend; index AG_CUR is the agenda's week */
#define AG_CUR (AG_WEEKS - 1)
#define AG_PREV (AG_WEEKS - 2)
#define AG_WORKDAYS 5 /* Monday–Friday: what a daily target is multiplied by \
                       */
#define AG_TOP 5      /* leaderboard length */
#define AG_BLANK_ROWS 6 /* empty rows of the decision log */

typedef enum {
    AG_RAG_NONE = 0,
    AG_RAG_GREEN,
    AG_RAG_AMBER,
    AG_RAG_RED
} ag_rag_t;

/* One subject (step, person, team) in one week. */
typedef struct {
    long checkins;
    long quality_sum, quality_n;
    double points;
    long ratings_n, ratings_sum;
    double value;  /* units of the primary measure(s) */
    double target; /* 0 = no target */
    int people;    /* distinct staff with a check-in */
} ag_cell_t;

typedef struct {
    char id[PROTO_ID_MAX + 1];
    const proto_step_def_t *def; /* NULL: not in the current catalogue */
    const char *name, *name_en, *process_id, *process_name;
    const char *measure, *measure_name, *unit; /* "" when the step has none */
    double daily_target;
    ag_cell_t wk[AG_WEEKS];
} ag_step_t;

typedef struct {
    char id[PROTO_ID_MAX + 1];
    const char *name, *team_id, *team_name;
    bool on_roster;
    ag_cell_t wk[AG_WEEKS];
} ag_person_t;

typedef struct {
    char id[PROTO_ID_MAX + 1];
    const char *name;
    int members;
    ag_cell_t wk[AG_WEEKS];
} ag_team_t;

typedef struct {
    char id[PROTO_ID_MAX + 1];
    int64_t last_sync_ms, last_seen_ms;
    char last_sync_day[11];
    uint64_t queued;
    double hours_ago; /* since the last sync, as of the report; <0 never */
} ag_kiosk_t;

typedef struct {
    char *id, *title, *body, *status, *kind, *process_id, *step_id, *owner_id,
        *due, *measure, *done_day;
    long votes;
    int64_t created_ms;
    bool overdue;
    int days_overdue;
} ag_sugg_t;

typedef enum {
    AG_EX_BELOW_TARGET = 0, /* below target this week and last */
    AG_EX_QUALITY_DROP,     /* quality average fell by 0.5 or more */
    AG_EX_NO_ACTIVITY,      /* catalogue step without a check-in */
    AG_EX_NO_CHECKINS,      /* roster member without a check-in */
} ag_ex_kind_t;

typedef struct {
    ag_ex_kind_t kind;
    size_t index;       /* into steps (first three kinds) or people */
    double now, before; /* % of target or quality average */
} ag_exception_t;

typedef struct {
    const char *process_id, *step_id;
    size_t *items; /* into problems */
    size_t n;
} ag_problem_group_t;

typedef struct {
    size_t *items; /* into candidates; [0] is the representative */
    size_t n;
    long votes;
} ag_cand_group_t;

typedef struct {
    size_t sugg; /* into effects_s */
    char step[PROTO_ID_MAX + 1], key[PROTO_KEY_MAX + 1];
    bool up;
    const ag_step_t *step_row; /* NULL when the step is unknown */
    char decided[11], before_from[11], before_to[11], after_from[11],
        after_to[11];
    double before_total, after_total;
    long before_pd, after_pd; /* person-days with a check-in of the step */
    const char *verdict;      /* improved, worse, unchanged, no_data */
} ag_effect_t;

typedef struct {
    char *suggestion_id, *title, *status, *staff_id;
    double points;
    char day[11];
} ag_author_t;

typedef struct {
    /* header */
    const proto_catalogue_t *cat;
    const proto_site_t *site;
    char site_id[PROTO_ID_MAX + 1];
    char week[16], monday[11], sunday[11], today[11];
    char weeks[AG_WEEKS][16], week_mon[AG_WEEKS][11];
    int64_t now_ms;
    const char *tz;
    ag_kiosk_t *kiosks;
    size_t n_kiosks;
    int roster, covered;
    /* sections */
    ag_sugg_t *followups;
    size_t n_followups;
    ag_step_t *steps;
    size_t n_steps;
    ag_person_t *people;
    size_t n_people;
    ag_team_t *teams;
    size_t n_teams;
    ag_exception_t *exceptions;
    size_t n_exceptions;
    ag_sugg_t *problems;
    size_t n_problems;
    ag_problem_group_t *problem_groups;
    size_t n_problem_groups;
    ag_sugg_t *candidates;
    size_t n_candidates;
    ag_cand_group_t *cand_groups;
    size_t n_cand_groups;
    ag_sugg_t *effects_s;
    ag_effect_t *effects;
    size_t n_effects;
    size_t top_people[AG_TOP], n_top_people;
    size_t top_teams[AG_TOP], n_top_teams;
    ag_author_t *authors;
    size_t n_authors;
} ag_t;

/* Derived numbers, computed the same way for every format. */
double ag_pct(const ag_cell_t *c);     /* NAN without a target */
ag_rag_t ag_rag(const ag_cell_t *c);   /* from ag_pct */
const char *ag_rag_name(ag_rag_t r);   /* "", green, amber, red */
double ag_quality(const ag_cell_t *c); /* NAN without quality */
double ag_rating(const ag_cell_t *c);  /* NAN without ratings */
double ag_effect_value(double total, long person_days); /* NAN if 0 days */
const char *ag_person_name(const ag_t *ag, const char *staff_id);
const char *ag_step_label(const ag_t *ag, const char *step_id);
const char *ag_process_label(const ag_t *ag, const char *process_id);
const char *ag_status_zh(const char *status);
const char *ag_exception_key(ag_ex_kind_t k);

/* ---- A growing text buffer with the escapes each format needs. A failed
 *      allocation is sticky: sb_take reports it once at the end. */
typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} sb_t;

void sb_put(sb_t *b, const char *s, size_t n);
void sb_puts(sb_t *b, const char *s);
void sb_printf(sb_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_html(sb_t *b, const char *s);     /* &<>"' escaped */
void sb_json_str(sb_t *b, const char *s); /* quoted, escaped; NULL = null */
void sb_md(sb_t *b, const char *s);       /* one table cell / line, | escaped */
void sb_csv(sb_t *b, const char *s);      /* RFC 4180 field */
/* A number with at most decimals decimals, trailing zeros dropped; NAN
 * writes nan_text. */
void sb_num(sb_t *b, double v, int decimals, const char *nan_text);

int ag_write_json(const ag_t *ag, sb_t *b);
int ag_write_md(const ag_t *ag, sb_t *b);
int ag_write_csv(const ag_t *ag, sb_t *b);
int ag_write_html(const ag_t *ag, sb_t *b);

#endif
