/*
 * catalogue.h — the process catalogue: sites with their teams and staff,
 * the framework of processes → sub-processes → steps, each step with its
 * measures, daily targets, points rules and guide text.
 *
 * Both sides load it: syncd validates check-ins against it and serves it
 * (as YAML text in CATALOGUE messages); the kiosk draws its screens from it.
 * The file format is described in docs/CATALOGUE.md; the sample branch is
 * assets/catalogue.yaml.
 *
 * Loading is strict: every error names the file, the line, what is wrong
 * and what to do, e.g.
 *   catalogue.yaml:42: step "tm-call" has no measures; add at least one (e.g. calls)
 *
 * Ownership: a loaded catalogue is one allocation tree owned by the caller
 * and released with proto_catalogue_destroy(). Pointers returned by the
 * look-up functions live as long as the catalogue.
 */
#ifndef PROTOCOL_CATALOGUE_H
#define PROTOCOL_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A text in both languages; en may equal zh when no English was given. */
typedef struct {
    char *zh;
    char *en;
} proto_text_t;

typedef struct {
    char id[PROTO_KEY_MAX + 1]; /* measure key in check-ins, e.g. "calls" */
    proto_text_t name;
    proto_text_t unit;
    double daily_target; /* per person per day; 0 = no target */
    double points_per_unit; /* points earned per unit; 0 = none */
    double max_per_checkin; /* largest value accepted in one check-in */
    int line;
} proto_measure_def_t;

struct proto_process_def;

typedef struct proto_step_def {
    char id[PROTO_ID_MAX + 1];
    proto_text_t name;
    proto_text_t guide; /* step-by-step guide text, may be multi-line */
    proto_measure_def_t *measures;
    size_t n_measures;
    bool asks_quality;       /* check-in asks for quality 1..5 */
    bool quality_multiplier; /* points × quality/3 when quality given */
    double daily_points_cap; /* per person per day; 0 = no cap */
    const struct proto_process_def *process; /* owning process */
    int line;
} proto_step_def_t;

typedef struct proto_process_def {
    char id[PROTO_ID_MAX + 1];
    proto_text_t name;
    uint32_t version; /* the process's own version label */
    struct proto_process_def *children;
    size_t n_children;
    proto_step_def_t *steps;
    size_t n_steps;
    const struct proto_process_def *parent; /* NULL at the top */
    int line;
} proto_process_def_t;

typedef struct {
    char id[PROTO_ID_MAX + 1];
    proto_text_t name;
    int line;
} proto_team_t;

typedef enum {
    PROTO_ROLE_ADVISER = 0,
    PROTO_ROLE_NEW_HIRE,
    PROTO_ROLE_LEAD,
    PROTO_ROLE_MANAGER,
} proto_role_t;

typedef struct {
    char id[PROTO_ID_MAX + 1];
    proto_text_t name;
    char team_id[PROTO_ID_MAX + 1];
    proto_role_t role;
    char *pin_hash; /* libsodium crypto_pwhash_str, or NULL: no PIN */
    int line;
} proto_staff_t;

typedef struct {
    char id[PROTO_ID_MAX + 1];
    proto_text_t name;
    char timezone[PROTO_SHORT_MAX + 1]; /* IANA name, default Asia/Shanghai */
    proto_team_t *teams;
    size_t n_teams;
    proto_staff_t *staff;
    size_t n_staff;
    int line;
} proto_site_t;

typedef struct proto_catalogue {
    char *source_name; /* file name used in error messages */
    uint64_t version;  /* assigned by syncd on publish; 0 in a fresh file */
    proto_text_t title;
    proto_site_t *sites;
    size_t n_sites;
    proto_process_def_t *framework; /* top-level processes */
    size_t n_framework;
    /* flat indexes over the tree, in file order */
    const proto_process_def_t **processes;
    size_t n_processes;
    const proto_step_def_t **steps;
    size_t n_steps;
} proto_catalogue_t;

/* Loads and validates. On failure returns NULL and writes one readable
 * line into err (file:line: what; what to do). */
proto_catalogue_t *proto_catalogue_load_file(const char *path, char *err,
                                             size_t err_len);
proto_catalogue_t *proto_catalogue_load_string(const char *text, size_t len,
                                               const char *source_name,
                                               char *err, size_t err_len);
void proto_catalogue_destroy(proto_catalogue_t **self_p);

/* Look-ups by id; NULL when absent. */
const proto_site_t *proto_catalogue_site(const proto_catalogue_t *self,
                                         const char *site_id);
const proto_staff_t *proto_catalogue_staff(const proto_site_t *site,
                                           const char *staff_id);
const proto_team_t *proto_catalogue_team(const proto_site_t *site,
                                         const char *team_id);
const proto_process_def_t *
proto_catalogue_process(const proto_catalogue_t *self, const char *id);
const proto_step_def_t *proto_catalogue_step(const proto_catalogue_t *self,
                                             const char *id);
const proto_measure_def_t *proto_step_measure(const proto_step_def_t *step,
                                              const char *key);
const char *proto_role_name(proto_role_t role); /* "adviser", ... */

#ifdef __cplusplus
}
#endif
#endif
