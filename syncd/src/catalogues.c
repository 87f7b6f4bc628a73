/*
 * catalogues.c — the catalogue versions the daemon validates against.
 *
 * The current version is kept parsed together with its YAML text (served
 * to kiosks as is). A kiosk that was offline across a publish still sends
 * check-ins naming the version it showed; those are validated against that
 * version, loaded from the store on first use and kept in a small cache,
 * so a busy morning after a publish parses each old version once.
 */
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/log.h"

#define OLD_SLOTS 4

typedef struct {
    uint64_t version;
    proto_catalogue_t *cat;
    uint64_t used; /* for least-recently-used eviction */
} old_slot_t;

struct syncd_catalogues {
    syncd_store_t *store;
    uint64_t version;
    char *yaml;
    size_t yaml_len;
    proto_catalogue_t *current;
    old_slot_t old[OLD_SLOTS];
    uint64_t tick;
};

syncd_catalogues_t *syncd_catalogues_new(syncd_store_t *store)
{
    syncd_catalogues_t *self = calloc(1, sizeof *self);
    if (self)
        self->store = store;
    return self;
}

static void drop_old(syncd_catalogues_t *self)
{
    for (int i = 0; i < OLD_SLOTS; i++) {
        proto_catalogue_destroy(&self->old[i].cat);
        self->old[i].version = 0;
    }
}

void syncd_catalogues_destroy(syncd_catalogues_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    syncd_catalogues_t *self = *self_p;
    drop_old(self);
    proto_catalogue_destroy(&self->current);
    free(self->yaml);
    free(self);
    *self_p = NULL;
}

static proto_catalogue_t *parse(uint64_t version, const char *yaml, size_t len)
{
    char name[64], err[512];
    snprintf(name, sizeof name, "catalogue version %llu",
             (unsigned long long)version);
    proto_catalogue_t *cat =
        proto_catalogue_load_string(yaml, len, name, err, sizeof err);
    if (!cat) {
        syncd_log(SYNCD_LOG_ERROR,
                  "a stored catalogue no longer loads; check-ins naming it "
                  "will be rejected until a corrected one is imported "
                  "version=%llu error=\"%s\"",
                  (unsigned long long)version, err);
        return NULL;
    }
    cat->version = version; /* the store's number is the version */
    return cat;
}

int syncd_catalogues_reload(syncd_catalogues_t *self)
{
    uint64_t version = 0;
    char *yaml = NULL;
    size_t len = 0;
    int rc = syncd_store_catalogue_current(self->store, &version, &yaml, &len);
    if (rc != 0) {
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot read the current catalogue from the store "
                  "error=%s detail=\"%s\"",
                  proto_errname(rc), syncd_store_errmsg(self->store));
        free(yaml);
        return rc;
    }
    if (version == self->version && self->yaml) {
        free(yaml);
        return 0;
    }
    proto_catalogue_t *cat = version ? parse(version, yaml, len) : NULL;
    /* The previous current version joins the old ones: kiosks still
     * showing it keep sending check-ins for it. Simplest is to let the
     * cache load it again on demand. */
    drop_old(self);
    proto_catalogue_destroy(&self->current);
    free(self->yaml);
    self->current = cat;
    self->yaml = yaml;
    self->yaml_len = len;
    self->version = version;
    return 0;
}

const proto_catalogue_t *syncd_catalogues_current(syncd_catalogues_t *self)
{
    return self->current;
}

uint64_t syncd_catalogues_version(const syncd_catalogues_t *self)
{
    return self->version;
}

const char *syncd_catalogues_yaml(const syncd_catalogues_t *self, size_t *len)
{
    if (len)
        *len = self->yaml_len;
    return self->yaml;
}

const proto_catalogue_t *syncd_catalogues_get(syncd_catalogues_t *self,
                                              uint64_t version)
{
    /* A version newer than our current one is looked up too: another
     * syncd on the same store published it and the kiosk has it from
     * there. It goes into a slot like an old one; the current version is
     * not swapped here, because callers hold pointers into it for the
     * whole batch (the periodic refresh in server.c swaps it). */
    if (version == 0)
        return NULL;
    if (version == self->version)
        return self->current;
    self->tick++;
    old_slot_t *victim = &self->old[0];
    for (int i = 0; i < OLD_SLOTS; i++) {
        old_slot_t *s = &self->old[i];
        if (s->cat && s->version == version) {
            s->used = self->tick;
            return s->cat;
        }
        if (!s->cat || (victim->cat && s->used < victim->used))
            victim = s;
    }
    char *yaml = NULL;
    size_t len = 0;
    int rc = syncd_store_catalogue_get(self->store, version, &yaml, &len);
    if (rc != 0) {
        if (rc != PROTO_ENOTFOUND)
            syncd_log(SYNCD_LOG_ERROR,
                      "cannot read a catalogue version from the store "
                      "version=%llu error=%s detail=\"%s\"",
                      (unsigned long long)version, proto_errname(rc),
                      syncd_store_errmsg(self->store));
        free(yaml);
        return NULL;
    }
    proto_catalogue_t *cat = parse(version, yaml, len);
    free(yaml);
    if (!cat)
        return NULL;
    proto_catalogue_destroy(&victim->cat);
    victim->cat = cat;
    victim->version = version;
    victim->used = self->tick;
    return cat;
}
