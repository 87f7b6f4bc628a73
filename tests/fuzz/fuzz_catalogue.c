/*
 * fuzz_catalogue.c — libFuzzer target for the catalogue loader.
 *
 * The catalogue is YAML a manager writes by hand and syncd serves to every
 * kiosk, which loads it again: both sides parse text that may be broken,
 * truncated or hostile. This target checks more than "no crash". For every
 * input:
 *  - a refused text gives one readable line that starts with the source
 *    name ("fuzz.yaml:"), fits its buffer, is valid UTF-8 and has no
 *    control characters (it is shown on a kiosk screen and in a log);
 *  - an accepted catalogue is consistent: every process, step, measure,
 *    site, team and staff member is found again by its id, every step
 *    points at its process, every text has both languages, every staff
 *    member's team exists.
 * The input is passed without a terminating NUL, so ASan catches a loader
 * that reads past the length it was given. Built as a libFuzzer binary
 * with STEPWISE_FUZZ=ON, and always as a replay driver (fuzz_replay.c)
 * that ctest runs over tests/fuzz/corpus/catalogue/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/catalogue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_catalogue: %s\n", what);
        abort();
    }
}

static void check_text(const proto_text_t *t)
{
    check(t->zh != NULL && t->en != NULL, "text without both languages");
    check(proto_utf8_valid(t->zh, strlen(t->zh)), "text not UTF-8 (zh)");
    check(proto_utf8_valid(t->en, strlen(t->en)), "text not UTF-8 (en)");
}

static void check_error(const char *err, size_t cap)
{
    const char *end = memchr(err, '\0', cap);
    check(end != NULL, "error not terminated");
    size_t len = (size_t)(end - err);
    check(len > 0, "refused without an error message");
    check(strncmp(err, "fuzz.yaml:", 10) == 0,
          "error does not start with the source name");
    check(proto_utf8_valid(err, len), "error not UTF-8");
    for (size_t i = 0; i < len; i++)
        check((unsigned char)err[i] >= 0x20 && err[i] != 0x7f,
              "control character in the error");
}

static void check_process(const proto_catalogue_t *cat,
                          const proto_process_def_t *p,
                          const proto_process_def_t *parent)
{
    check(p->parent == parent, "process with the wrong parent");
    check(proto_catalogue_process(cat, p->id) == p, "process not found");
    check_text(&p->name);
    for (size_t i = 0; i < p->n_steps; i++) {
        const proto_step_def_t *s = &p->steps[i];
        check(s->process == p, "step with the wrong process");
        check(proto_catalogue_step(cat, s->id) == s, "step not found");
        check(s->n_measures > 0, "step without measures");
        check_text(&s->name);
        check_text(&s->guide);
        for (size_t m = 0; m < s->n_measures; m++) {
            const proto_measure_def_t *md = &s->measures[m];
            check(proto_step_measure(s, md->id) == md, "measure not found");
            check(md->max_per_checkin > 0, "measure without a maximum");
            check(md->daily_target >= 0, "negative target");
            check_text(&md->name);
            check_text(&md->unit);
        }
    }
    for (size_t i = 0; i < p->n_children; i++)
        check_process(cat, &p->children[i], p);
}

static void check_catalogue(const proto_catalogue_t *cat)
{
    check(strcmp(cat->source_name, "fuzz.yaml") == 0, "source name lost");
    check_text(&cat->title);
    for (size_t i = 0; i < cat->n_framework; i++)
        check_process(cat, &cat->framework[i], NULL);
    for (size_t i = 0; i < cat->n_processes; i++)
        check(proto_catalogue_process(cat, cat->processes[i]->id) ==
                  cat->processes[i],
              "indexed process not found");
    for (size_t i = 0; i < cat->n_steps; i++)
        check(proto_catalogue_step(cat, cat->steps[i]->id) == cat->steps[i],
              "indexed step not found");
    for (size_t i = 0; i < cat->n_sites; i++) {
        const proto_site_t *site = &cat->sites[i];
        check(proto_catalogue_site(cat, site->id) == site, "site not found");
        check_text(&site->name);
        for (size_t t = 0; t < site->n_teams; t++) {
            check(proto_catalogue_team(site, site->teams[t].id) ==
                      &site->teams[t],
                  "team not found");
            check_text(&site->teams[t].name);
        }
        for (size_t s = 0; s < site->n_staff; s++) {
            const proto_staff_t *st = &site->staff[s];
            check(proto_catalogue_staff(site, st->id) == st, "staff not found");
            check(proto_catalogue_team(site, st->team_id) != NULL,
                  "staff in a team that does not exist");
            check(proto_role_name(st->role) != NULL, "role without a name");
            check_text(&st->name);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    /* a marker the loader must overwrite, whatever the outcome */
    memset(err, 'x', sizeof(err));
    proto_catalogue_t *cat = proto_catalogue_load_string(
        (const char *)data, size, "fuzz.yaml", err, sizeof(err));
    if (!cat) {
        check_error(err, sizeof(err));
        return 0;
    }
    check(err[0] == '\0', "accepted with an error message");
    check_catalogue(cat);
    proto_catalogue_destroy(&cat);
    check(cat == NULL, "destroy did not clear the pointer");
    return 0;
}
