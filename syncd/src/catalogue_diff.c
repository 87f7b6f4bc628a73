/*
 * catalogue_diff.c — the difference between two catalogue versions, as
 * lines a manager reads before publishing (catalogue_diff.h).
 *
 * Everything is matched by id, because ids are what check-ins, rollups and
 * the scoreboard key on: a step whose name changes but whose id stays is
 * "renamed" and keeps its history; a new id is a new step. The lines come
 * in a fixed order (sites, staff, processes, steps, measures; within each,
 * the new file's order, then what was removed in the old file's order) so
 * the same two files always give the same text and a test can compare it
 * exactly.
 */
#include "syncd/catalogue_diff.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, cap;
    size_t lines;
    bool failed;
} out_t;

static void line(out_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void line(out_t *o, const char *fmt, ...)
{
    if (o->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->failed = true;
        return;
    }
    if (o->len + (size_t)n + 2 > o->cap) {
        size_t cap = (o->cap ? o->cap * 2 : 1024) + (size_t)n;
        char *b = realloc(o->buf, cap);
        if (!b) {
            free(s);
            o->failed = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, (size_t)n);
    o->len += (size_t)n;
    o->buf[o->len++] = '\n';
    o->buf[o->len] = '\0';
    o->lines++;
    free(s);
}

static const char *zh(const proto_text_t *t)
{
    return t->zh ? t->zh : "";
}

static bool text_eq(const proto_text_t *a, const proto_text_t *b)
{
    return strcmp(a->zh ? a->zh : "", b->zh ? b->zh : "") == 0 &&
           strcmp(a->en ? a->en : "", b->en ? b->en : "") == 0;
}

static const char *onoff(bool v)
{
    return v ? "on" : "off";
}

/* ---- staff */

static void diff_sites(out_t *o, const proto_catalogue_t *old,
                       const proto_catalogue_t *cur)
{
    for (size_t i = 0; i < cur->n_sites; i++) {
        const proto_site_t *ns = &cur->sites[i];
        const proto_site_t *os = old ? proto_catalogue_site(old, ns->id) : NULL;
        if (!os) {
            line(o, "site added: %s \"%s\" (%zu staff)", ns->id, zh(&ns->name),
                 ns->n_staff);
            continue;
        }
        if (strcmp(os->timezone, ns->timezone) != 0)
            line(o, "site time zone changed: %s %s -> %s", ns->id, os->timezone,
                 ns->timezone);
        for (size_t k = 0; k < ns->n_staff; k++) {
            const proto_staff_t *np = &ns->staff[k];
            const proto_staff_t *op = proto_catalogue_staff(os, np->id);
            if (!op) {
                line(o, "staff added: %s/%s \"%s\" team %s, %s", ns->id, np->id,
                     zh(&np->name), np->team_id, proto_role_name(np->role));
                continue;
            }
            if (strcmp(op->team_id, np->team_id) != 0)
                line(o, "staff team changed: %s/%s \"%s\" %s -> %s", ns->id,
                     np->id, zh(&np->name), op->team_id, np->team_id);
            if (op->role != np->role)
                line(o, "staff role changed: %s/%s \"%s\" %s -> %s", ns->id,
                     np->id, zh(&np->name), proto_role_name(op->role),
                     proto_role_name(np->role));
            if (!text_eq(&op->name, &np->name))
                line(o, "staff renamed: %s/%s \"%s\" -> \"%s\"", ns->id, np->id,
                     zh(&op->name), zh(&np->name));
        }
        for (size_t k = 0; k < os->n_staff; k++) {
            const proto_staff_t *op = &os->staff[k];
            if (!proto_catalogue_staff(ns, op->id))
                line(o, "staff removed: %s/%s \"%s\" (was team %s)", os->id,
                     op->id, zh(&op->name), op->team_id);
        }
    }
    for (size_t i = 0; old && i < old->n_sites; i++) {
        if (!proto_catalogue_site(cur, old->sites[i].id))
            line(o, "site removed: %s \"%s\"", old->sites[i].id,
                 zh(&old->sites[i].name));
    }
}

/* ---- processes, steps, measures */

static const char *parent_id(const proto_process_def_t *p)
{
    return p->parent ? p->parent->id : "(top)";
}

static void diff_processes(out_t *o, const proto_catalogue_t *old,
                           const proto_catalogue_t *cur)
{
    for (size_t i = 0; i < cur->n_processes; i++) {
        const proto_process_def_t *np = cur->processes[i];
        const proto_process_def_t *op =
            old ? proto_catalogue_process(old, np->id) : NULL;
        if (!op) {
            line(o, "process added: %s \"%s\" under %s", np->id, zh(&np->name),
                 parent_id(np));
            continue;
        }
        if (!text_eq(&op->name, &np->name))
            line(o, "process renamed: %s \"%s\" -> \"%s\"", np->id,
                 zh(&op->name), zh(&np->name));
        if (strcmp(parent_id(op), parent_id(np)) != 0)
            line(o, "process moved: %s from %s -> %s", np->id, parent_id(op),
                 parent_id(np));
        if (op->version != np->version)
            line(o, "process version changed: %s %u -> %u", np->id, op->version,
                 np->version);
    }
    for (size_t i = 0; old && i < old->n_processes; i++) {
        const proto_process_def_t *op = old->processes[i];
        if (!proto_catalogue_process(cur, op->id))
            line(o, "process removed: %s \"%s\"", op->id, zh(&op->name));
    }
}

static void diff_measures(out_t *o, const proto_step_def_t *os,
                          const proto_step_def_t *ns)
{
    for (size_t k = 0; k < ns->n_measures; k++) {
        const proto_measure_def_t *nm = &ns->measures[k];
        const proto_measure_def_t *om = proto_step_measure(os, nm->id);
        if (!om) {
            line(o, "measure added: %s.%s \"%s\" target %g, points %g", ns->id,
                 nm->id, zh(&nm->name), nm->daily_target, nm->points_per_unit);
            continue;
        }
        if (!text_eq(&om->name, &nm->name))
            line(o, "measure renamed: %s.%s \"%s\" -> \"%s\"", ns->id, nm->id,
                 zh(&om->name), zh(&nm->name));
        if (om->daily_target != nm->daily_target)
            line(o, "target changed: %s.%s %g -> %g per person per day", ns->id,
                 nm->id, om->daily_target, nm->daily_target);
        if (om->points_per_unit != nm->points_per_unit)
            line(o, "points changed: %s.%s %g -> %g per unit", ns->id, nm->id,
                 om->points_per_unit, nm->points_per_unit);
        if (om->max_per_checkin != nm->max_per_checkin)
            line(o, "max changed: %s.%s %g -> %g per check-in", ns->id, nm->id,
                 om->max_per_checkin, nm->max_per_checkin);
    }
    for (size_t k = 0; k < os->n_measures; k++) {
        const proto_measure_def_t *om = &os->measures[k];
        if (!proto_step_measure(ns, om->id))
            line(o, "measure removed: %s.%s \"%s\"", os->id, om->id,
                 zh(&om->name));
    }
}

static void diff_steps(out_t *o, const proto_catalogue_t *old,
                       const proto_catalogue_t *cur)
{
    for (size_t i = 0; i < cur->n_steps; i++) {
        const proto_step_def_t *ns = cur->steps[i];
        const proto_step_def_t *os =
            old ? proto_catalogue_step(old, ns->id) : NULL;
        if (!os) {
            line(o, "step added: %s \"%s\" in process %s", ns->id,
                 zh(&ns->name), ns->process->id);
            continue;
        }
        if (!text_eq(&os->name, &ns->name))
            line(o, "step renamed: %s \"%s\" -> \"%s\"", ns->id, zh(&os->name),
                 zh(&ns->name));
        if (strcmp(os->process->id, ns->process->id) != 0)
            line(o, "step moved: %s from process %s -> %s", ns->id,
                 os->process->id, ns->process->id);
        if (os->daily_points_cap != ns->daily_points_cap)
            line(o, "points cap changed: %s %g -> %g per person per day",
                 ns->id, os->daily_points_cap, ns->daily_points_cap);
        if (os->quality_multiplier != ns->quality_multiplier)
            line(o, "quality multiplier changed: %s %s -> %s", ns->id,
                 onoff(os->quality_multiplier), onoff(ns->quality_multiplier));
        if (os->asks_quality != ns->asks_quality)
            line(o, "quality question changed: %s %s -> %s", ns->id,
                 onoff(os->asks_quality), onoff(ns->asks_quality));
        diff_measures(o, os, ns);
    }
    for (size_t i = 0; old && i < old->n_steps; i++) {
        const proto_step_def_t *os = old->steps[i];
        if (!proto_catalogue_step(cur, os->id))
            line(o, "step removed: %s \"%s\" from process %s", os->id,
                 zh(&os->name), os->process->id);
    }
}

int syncd_catalogue_diff(const proto_catalogue_t *old,
                         const proto_catalogue_t *new_cat, char **text,
                         size_t *len, size_t *n_lines)
{
    if (!new_cat || !text || !len)
        return PROTO_EINVAL;
    out_t o = {0};
    diff_sites(&o, old, new_cat);
    diff_processes(&o, old, new_cat);
    diff_steps(&o, old, new_cat);
    if (!o.failed && !o.buf) {
        o.buf = strdup("");
        o.failed = o.buf == NULL;
    }
    if (o.failed) {
        free(o.buf);
        *text = NULL;
        *len = 0;
        return PROTO_ENOMEM;
    }
    *text = o.buf;
    *len = o.len;
    if (n_lines)
        *n_lines = o.lines;
    return 0;
}
