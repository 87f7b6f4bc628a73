/*
 * catalogue_diff.h — what changes when a manager publishes a new version of
 * the process catalogue (`syncctl catalogue publish`, admin op
 * catalogue.diff). docs/OPERATIONS.md "Publishing a new catalogue version"
 * shows the lines.
 */
#ifndef SYNCD_CATALOGUE_DIFF_H
#define SYNCD_CATALOGUE_DIFF_H

#include <stddef.h>

#include "protocol/catalogue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The differences from old (NULL: no catalogue yet) to new, one line each
 * ending in '\n', matched by id: processes, steps and measures added,
 * removed, renamed or moved; measure targets, points and limits and step
 * points rules with old -> new values; sites and staff added or removed and
 * staff whose team or role changed. Guide texts and titles are not compared.
 * *text is "" when none of these differ. *n_lines counts the lines (may be
 * NULL). Caller frees *text. 0 or PROTO_ENOMEM. */
int syncd_catalogue_diff(const proto_catalogue_t *old,
                         const proto_catalogue_t *new_cat, char **text,
                         size_t *len, size_t *n_lines);

#ifdef __cplusplus
}
#endif
#endif
