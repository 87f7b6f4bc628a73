/*
 * admin.c — the operations managers run through syncctl, one table.
 *
 * The admin endpoint is a second CURVE ROUTER whose ZAP domain admits only
 * manager keys, so every operation here already knows which manager asked
 * (User-Id "manager:<name>") and logs it. A request is ADMIN_REQ(op,
 * args); the answer is ADMIN_REP(code, text) where text is JSON unless
 * the table says otherwise, or a readable sentence when code is not 0.
 * docs/PROTOCOL.md "Admin operations" documents the same table.
 */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/keys.h"
#include "syncd/agenda.h"
#include "syncd/catalogue_diff.h"
#include "syncd/clock.h"
#include "syncd/ingest.h"
#include "syncd/json.h"
#include "syncd/log.h"
#include "syncd/similar.h"

typedef struct {
    syncd_server_t *srv;
    const proto_msg_t *req;
    const char *manager; /* name after "manager:" */
    int code;
    char *text; /* malloc'd reply text */
    size_t len;
    char next[PROTO_ID_MAX + 24]; /* a paged answer's cursor ("" = last) */
    char detail[256]; /* key=value pairs for the log line */
} op_t;

typedef void (*op_fn)(op_t *op);

typedef struct {
    const char *name;
    op_fn fn;
    const char *args; /* for the list given with an unknown op */
} op_def_t;

/* --------------------------------------------------------------- replies */

static void set_text(op_t *op, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_text(op_t *op, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    free(op->text);
    op->text = NULL;
    op->len = 0;
    op->code = code;
    if (n < 0) {
        op->code = PROTO_ENOMEM;
        return;
    }
    op->text = s;
    op->len = (size_t)n;
}

/* Takes the writer's text as the reply. */
static void set_json(op_t *op, syncd_json_t *j)
{
    char *s = NULL;
    size_t n = 0;
    int rc = syncd_json_take(j, &s, &n);
    if (rc != 0) {
        set_text(op, rc, "the server could not build its answer (%s)",
                 proto_strerror(rc));
        return;
    }
    free(op->text);
    op->code = 0;
    op->text = s;
    op->len = n;
}

static void add_detail(op_t *op, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_detail(op_t *op, const char *fmt, ...)
{
    size_t used = strlen(op->detail);
    if (used + 2 >= sizeof op->detail)
        return;
    if (used)
        op->detail[used++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op->detail + used, sizeof op->detail - used, fmt, ap);
    va_end(ap);
}

static const char *arg(const op_t *op, const char *key)
{
    const char *v = proto_admin_arg(op->req, key);
    return (v && v[0]) ? v : NULL;
}

/* PROTO_ID_MAX less ':' and the 20 digits of the largest seq. */
#define SYNCD_KIOSK_ID_MAX (PROTO_ID_MAX - 21)

static bool id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PROTO_ID_MAX)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static void store_failed(op_t *op, int rc, const char *what)
{
    set_text(op, rc, "%s failed: %s", what, syncd_store_errmsg(op->srv->store));
}

/* ------------------------------------------------------------------- ops */

static void op_ping(op_t *op)
{
    set_text(op, 0, "pong");
}

static void list_sites(const proto_catalogue_t *cat, char *out, size_t len)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < cat->n_sites && used + 4 < len; i++) {
        int n = snprintf(out + used, len - used, "%s%s", i ? ", " : "",
                         cat->sites[i].id);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void op_enrol(op_t *op)
{
    syncd_server_t *srv = op->srv;
    const char *kiosk = arg(op, "kiosk");
    const char *site = arg(op, "site");
    const char *key = arg(op, "key");
    if (!kiosk || !site || !key) {
        set_text(op, PROTO_EINVAL,
                 "enrol needs the arguments kiosk, site and key (syncctl "
                 "enrol KIOSK --site SITE --key FILE|Z85)");
        return;
    }
    add_detail(op, "kiosk=%.64s site=%.64s", kiosk, site);
    if (!id_valid(kiosk) || !id_valid(site)) {
        set_text(op, PROTO_EINVAL,
                 "kiosk and site ids may only hold letters, digits, '.', "
                 "'_' and '-', at most %d of them; \"%.64s\" / \"%.64s\" "
                 "does not",
                 PROTO_ID_MAX, kiosk, site);
        return;
    }
    /* Suggestion ids are "<kiosk_id>:<seq>" and must fit PROTO_ID_MAX
     * with any seq (up to 20 digits), so kiosk ids are shorter than other
     * ids. */
    if (strlen(kiosk) > SYNCD_KIOSK_ID_MAX) {
        set_text(op, PROTO_EINVAL,
                 "kiosk id \"%.64s\" is %zu bytes; kiosk ids may be at most "
                 "%d bytes, so that the ids of their suggestions "
                 "(\"<kiosk>:<seq>\") fit in %d; choose a shorter id",
                 kiosk, strlen(kiosk), SYNCD_KIOSK_ID_MAX, PROTO_ID_MAX);
        return;
    }
    if (!proto_keys_valid_z85(key)) {
        set_text(op, PROTO_EINVAL,
                 "\"%.60s\" is not a CURVE public key (40 Z85 characters); "
                 "pass the kiosk's .pub file or the key text",
                 key);
        return;
    }
    const proto_catalogue_t *cat = syncd_catalogues_current(srv->catalogues);
    if (cat && !proto_catalogue_site(cat, site)) {
        char sites[512];
        list_sites(cat, sites, sizeof sites);
        set_text(op, PROTO_ENOTFOUND,
                 "site \"%s\" is not in catalogue version %" PRIu64
                 "; its sites are: %s",
                 site, syncd_catalogues_version(srv->catalogues), sites);
        return;
    }
    syncd_kiosk_t before;
    bool existed = syncd_store_kiosk_get(srv->store, kiosk, &before) == 0;
    int rc = syncd_store_kiosk_enrol(srv->store, kiosk, site, key,
                                     syncd_server_now(srv));
    if (rc != 0) {
        store_failed(op, rc, "enrol");
        return;
    }
    (void)syncd_zap_load_kiosks(srv->zap, srv->store);
    int cut = 0;
    if (existed && strcmp(before.public_key, key) != 0) {
        /* A new key replaces the old: connections made with the old one
         * must not live on. */
        cut = syncd_session_cut_kiosk(srv, kiosk, false);
    }
    add_detail(op, "reenrolled=%s", existed ? "yes" : "no");
    syncd_json_t *j = syncd_json_new();
    if (!j) {
        set_text(op, PROTO_ENOMEM, "out of memory");
        return;
    }
    syncd_json_object_begin(j);
    syncd_json_key(j, "kiosk");
    syncd_json_string(j, kiosk);
    syncd_json_key(j, "site");
    syncd_json_string(j, site);
    syncd_json_key(j, "key");
    syncd_json_string(j, key);
    syncd_json_key(j, "reenrolled");
    syncd_json_bool(j, existed);
    syncd_json_key(j, "connections_closed");
    syncd_json_int(j, cut);
    syncd_json_key(j, "catalogue_checked");
    syncd_json_bool(j, cat != NULL);
    syncd_json_object_end(j);
    set_json(op, j);
    syncd_json_destroy(&j);
}

static void op_revoke(op_t *op)
{
    syncd_server_t *srv = op->srv;
    const char *kiosk = arg(op, "kiosk");
    if (!kiosk) {
        set_text(op, PROTO_EINVAL,
                 "revoke needs the argument kiosk (syncctl revoke KIOSK)");
        return;
    }
    add_detail(op, "kiosk=%.64s", kiosk);
    int rc = syncd_store_kiosk_revoke(srv->store, kiosk, syncd_server_now(srv));
    if (rc == PROTO_ENOTFOUND) {
        set_text(op, rc,
                 "no kiosk \"%.64s\" is enrolled; list them with syncctl "
                 "kiosks",
                 kiosk);
        return;
    }
    if (rc != 0) {
        store_failed(op, rc, "revoke");
        return;
    }
    /* The allow-list first, so that the reconnect the cut provokes is
     * already refused. */
    (void)syncd_zap_load_kiosks(srv->zap, srv->store);
    int cut = syncd_session_cut_kiosk(srv, kiosk, true);
    add_detail(op, "connections_closed=%d", cut);
    syncd_json_t *j = syncd_json_new();
    if (!j) {
        set_text(op, PROTO_ENOMEM, "out of memory");
        return;
    }
    syncd_json_object_begin(j);
    syncd_json_key(j, "kiosk");
    syncd_json_string(j, kiosk);
    syncd_json_key(j, "revoked");
    syncd_json_bool(j, true);
    syncd_json_key(j, "connections_closed");
    syncd_json_int(j, cut);
    syncd_json_object_end(j);
    set_json(op, j);
    syncd_json_destroy(&j);
}

static void json_time(syncd_json_t *j, const char *key, int64_t ms)
{
    char iso[32];
    syncd_json_key(j, key);
    if (ms > 0)
        syncd_json_string(j, syncd_clock_iso(ms, iso, sizeof iso));
    else
        syncd_json_null(j);
}

static void op_kiosks(op_t *op)
{
    syncd_kiosk_t *list = NULL;
    size_t n = 0;
    int rc = syncd_store_kiosk_list(op->srv->store, &list, &n);
    if (rc != 0) {
        store_failed(op, rc, "listing kiosks");
        free(list);
        return;
    }
    syncd_json_t *j = syncd_json_new();
    if (!j) {
        free(list);
        set_text(op, PROTO_ENOMEM, "out of memory");
        return;
    }
    syncd_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        const syncd_kiosk_t *k = &list[i];
        syncd_json_object_begin(j);
        syncd_json_key(j, "id");
        syncd_json_string(j, k->kiosk_id);
        syncd_json_key(j, "site");
        syncd_json_string(j, k->site_id);
        syncd_json_key(j, "key");
        syncd_json_string(j, k->public_key);
        syncd_json_key(j, "revoked");
        syncd_json_bool(j, k->revoked);
        json_time(j, "enrolled", k->enrolled_ms);
        json_time(j, "revoked_at", k->revoked ? k->revoked_ms : 0);
        syncd_json_key(j, "connected");
        syncd_json_bool(j, syncd_session_connected(op->srv, k->kiosk_id));
        syncd_json_object_end(j);
    }
    syncd_json_array_end(j);
    free(list);
    add_detail(op, "kiosks=%zu", n);
    set_json(op, j);
    syncd_json_destroy(&j);
}

static void op_status(op_t *op)
{
    syncd_server_t *srv = op->srv;
    syncd_kiosk_t *list = NULL;
    size_t n = 0;
    syncd_store_counts_t counts = {0};
    int rc = syncd_store_kiosk_list(srv->store, &list, &n);
    if (rc == 0)
        rc = syncd_store_counts(srv->store, &counts);
    if (rc != 0) {
        store_failed(op, rc, "reading the fleet status");
        free(list);
        return;
    }
    syncd_json_t *j = syncd_json_new();
    if (!j) {
        free(list);
        set_text(op, PROTO_ENOMEM, "out of memory");
        return;
    }
    int64_t now = syncd_server_now(srv);
    syncd_json_object_begin(j);
    syncd_json_key(j, "server_time_ms");
    syncd_json_int(j, now);
    json_time(j, "server_time", now);
    syncd_json_key(j, "catalogue_version");
    syncd_json_uint(j, syncd_catalogues_version(srv->catalogues));
    syncd_json_key(j, "sessions");
    syncd_json_uint(j, syncd_server_session_count(srv));
    syncd_json_key(j, "kiosks");
    syncd_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        const syncd_kiosk_t *k = &list[i];
        syncd_json_object_begin(j);
        syncd_json_key(j, "id");
        syncd_json_string(j, k->kiosk_id);
        syncd_json_key(j, "site");
        syncd_json_string(j, k->site_id);
        syncd_json_key(j, "revoked");
        syncd_json_bool(j, k->revoked);
        syncd_json_key(j, "connected");
        syncd_json_bool(j, syncd_session_connected(srv, k->kiosk_id));
        json_time(j, "last_seen", k->last_seen_ms);
        syncd_json_key(j, "last_seen_ms");
        syncd_json_int(j, k->last_seen_ms);
        json_time(j, "last_sync", k->last_sync_ms);
        syncd_json_key(j, "last_sync_ms");
        syncd_json_int(j, k->last_sync_ms);
        syncd_json_key(j, "acked_seq");
        syncd_json_uint(j, k->acked_seq);
        syncd_json_key(j, "last_seq");
        syncd_json_uint(j, k->last_seq);
        syncd_json_key(j, "lag");
        syncd_json_uint(
            j, k->last_seq > k->acked_seq ? k->last_seq - k->acked_seq : 0);
        syncd_json_key(j, "outbox_depth");
        syncd_json_uint(j, k->outbox_depth);
        syncd_json_key(j, "oldest_unsent_s");
        syncd_json_uint(j, k->oldest_unsent_s);
        syncd_json_key(j, "clock_skew_ms");
        syncd_json_int(j, k->clock_skew_ms);
        syncd_json_key(j, "app_version");
        syncd_json_string(j, k->app_version);
        syncd_json_key(j, "catalogue_version");
        syncd_json_uint(j, k->catalogue_version);
        syncd_json_key(j, "events");
        syncd_json_uint(j, k->events);
        syncd_json_key(j, "rejected");
        syncd_json_uint(j, k->rejected);
        syncd_json_object_end(j);
    }
    syncd_json_array_end(j);
    syncd_json_key(j, "totals");
    syncd_json_object_begin(j);
    syncd_json_key(j, "kiosks");
    syncd_json_uint(j, counts.kiosks);
    syncd_json_key(j, "events");
    syncd_json_uint(j, counts.events);
    syncd_json_key(j, "dead_letters");
    syncd_json_uint(j, counts.dead_letters);
    syncd_json_key(j, "suggestions");
    syncd_json_uint(j, counts.suggestions);
    syncd_json_key(j, "votes");
    syncd_json_uint(j, counts.votes);
    syncd_json_object_end(j);
    syncd_json_object_end(j);
    free(list);
    set_json(op, j);
    syncd_json_destroy(&j);
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return PROTO_EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return PROTO_EINVAL;
    *out = v;
    return 0;
}

/* The catalogue a request carries: the text of its last yaml argument
 * (length from the argument, not strlen) and the file name to report it
 * under (its name argument, or "catalogue.yaml"). NULL when yaml is
 * missing or empty. */
static const char *catalogue_args(const op_t *op, size_t *len,
                                  const char **name)
{
    const char *yaml = NULL;
    *len = 0;
    for (uint32_t i = 0; i < op->req->u.admin_req.n_args; i++) {
        const proto_arg_t *a = &op->req->u.admin_req.args[i];
        if (strcmp(a->key, "yaml") == 0) {
            yaml = a->value;
            *len = a->value_len;
        }
    }
    *name = arg(op, "name");
    if (!*name)
        *name = "catalogue.yaml";
    return *len ? yaml : NULL;
}

static void op_catalogue_import(op_t *op)
{
    size_t len;
    const char *name;
    const char *yaml = catalogue_args(op, &len, &name);
    if (!yaml) {
        set_text(op, PROTO_EINVAL,
                 "catalogue.import needs the argument yaml (syncctl "
                 "catalogue import FILE)");
        return;
    }
    add_detail(op, "bytes=%zu", len);
    /* base: the version the manager reviewed the changes against
     * (catalogue.diff's current). Another manager may have published in
     * between; importing anyway would silently drop their version. */
    const char *base = arg(op, "base");
    uint64_t base_version = 0;
    if (base && parse_u64(base, &base_version) != 0) {
        set_text(op, PROTO_EINVAL,
                 "catalogue.import: base \"%s\" is not a version number",
                 base);
        return;
    }
    uint64_t current = syncd_catalogues_version(op->srv->catalogues);
    if (base && base_version != current) {
        set_text(op, PROTO_ESTATE,
                 "catalogue version %" PRIu64 " was published after the "
                 "changes were reviewed against version %" PRIu64
                 "; nothing published; run catalogue publish again to see "
                 "the changes from version %" PRIu64,
                 current, base_version, current);
        return;
    }
    char err[1024];
    uint64_t version = 0;
    bool imported = false;
    int rc = syncd_server_import_catalogue(op->srv, yaml, len, name, &version,
                                           &imported, err, sizeof err);
    if (rc != 0) {
        set_text(op, rc, "%s", err);
        return;
    }
    add_detail(op, "version=%" PRIu64 " imported=%s", version,
               imported ? "yes" : "no");
    if (imported)
        syncd_log(SYNCD_LOG_INFO,
                  "catalogue imported version=%" PRIu64 " manager=%s", version,
                  op->manager);
    syncd_json_t *j = syncd_json_new();
    if (!j) {
        set_text(op, PROTO_ENOMEM, "out of memory");
        return;
    }
    syncd_json_object_begin(j);
    syncd_json_key(j, "version");
    syncd_json_uint(j, version);
    syncd_json_key(j, "imported");
    syncd_json_bool(j, imported);
    syncd_json_object_end(j);
    set_json(op, j);
    syncd_json_destroy(&j);
}

/* What publishing yaml would change: {current, identical, changes, diff}.
 * The text of diff is syncd_catalogue_diff's lines; identical means the
 * same bytes as the current version, which catalogue.import would not
 * store again. */
static void op_catalogue_diff(op_t *op)
{
    size_t len;
    const char *name;
    const char *yaml = catalogue_args(op, &len, &name);
    if (!yaml) {
        set_text(op, PROTO_EINVAL,
                 "catalogue.diff needs the argument yaml (syncctl catalogue "
                 "publish FILE)");
        return;
    }
    char err[1024];
    proto_catalogue_t *cat =
        proto_catalogue_load_string(yaml, len, name, err, sizeof err);
    if (!cat) {
        set_text(op, PROTO_EINVAL, "%s", err);
        return;
    }
    syncd_server_t *srv = op->srv;
    size_t cur_len = 0;
    const char *cur = syncd_catalogues_yaml(srv->catalogues, &cur_len);
    bool identical = cur && cur_len == len && memcmp(cur, yaml, len) == 0;
    char *text = NULL;
    size_t text_len = 0, lines = 0;
    int rc = syncd_catalogue_diff(syncd_catalogues_current(srv->catalogues),
                                  cat, &text, &text_len, &lines);
    proto_catalogue_destroy(&cat);
    if (rc != 0) {
        set_text(op, rc, "out of memory comparing the catalogues");
        return;
    }
    add_detail(op, "bytes=%zu changes=%zu", len, lines);
    syncd_json_t *j = syncd_json_new();
    if (!j) {
        free(text);
        set_text(op, PROTO_ENOMEM, "out of memory");
        return;
    }
    syncd_json_object_begin(j);
    syncd_json_key(j, "current");
    syncd_json_uint(j, syncd_catalogues_version(srv->catalogues));
    syncd_json_key(j, "identical");
    syncd_json_bool(j, identical);
    syncd_json_key(j, "changes");
    syncd_json_uint(j, lines);
    syncd_json_key(j, "diff");
    syncd_json_string(j, text);
    syncd_json_object_end(j);
    free(text);
    set_json(op, j);
    syncd_json_destroy(&j);
}

static void op_catalogue_export(op_t *op)
{
    syncd_server_t *srv = op->srv;
    uint64_t current = syncd_catalogues_version(srv->catalogues);
    uint64_t version = current;
    const char *v = arg(op, "version");
    if (v && parse_u64(v, &version) != 0) {
        set_text(op, PROTO_EINVAL,
                 "version \"%.32s\" is not a number; give a version such as "
                 "3",
                 v);
        return;
    }
    if (current == 0) {
        set_text(op, PROTO_ENOTFOUND,
                 "no catalogue has been imported yet; import one with "
                 "syncctl catalogue import FILE");
        return;
    }
    add_detail(op, "version=%" PRIu64, version);
    char *yaml = NULL;
    size_t len = 0;
    int rc;
    if (version == current) {
        const char *cur = syncd_catalogues_yaml(srv->catalogues, &len);
        yaml = malloc(len + 1);
        rc = yaml ? 0 : PROTO_ENOMEM;
        if (yaml) {
            memcpy(yaml, cur, len);
            yaml[len] = '\0';
        }
    } else {
        rc = syncd_store_catalogue_get(srv->store, version, &yaml, &len);
    }
    if (rc == PROTO_ENOTFOUND) {
        set_text(op, rc,
                 "there is no catalogue version %" PRIu64
                 "; versions run from 1 to %" PRIu64,
                 version, current);
        free(yaml);
        return;
    }
    if (rc != 0) {
        store_failed(op, rc, "reading the catalogue");
        free(yaml);
        return;
    }
    free(op->text);
    op->code = 0;
    op->text = yaml;
    op->len = len;
}

typedef struct {
    char *buf;
    size_t len, cap;
    bool overflow;
} sink_t;

static int sink_write(void *ctx, const char *data, size_t len)
{
    sink_t *s = ctx;
    if (s->len + len > PROTO_ADMIN_TEXT_MAX) {
        s->overflow = true;
        return PROTO_ERANGE;
    }
    if (s->len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 65536;
        while (cap < s->len + len + 1)
            cap *= 2;
        char *nb = realloc(s->buf, cap);
        if (!nb)
            return PROTO_ENOMEM;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return 0;
}

/* The date after "YYYY-MM-DD" (for an inclusive --until). */
static int next_date(const char *date, char out[11])
{
    int y, m, d;
    if (sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return PROTO_EINVAL;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + 1;
    time_t t = timegm(&tm);
    struct tm n;
    if (t == (time_t)-1 || !gmtime_r(&t, &n))
        return PROTO_EINVAL;
    if (n.tm_year + 1900 < 1 || n.tm_year + 1900 > 9999)
        return PROTO_EINVAL;
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", n.tm_year + 1900, n.tm_mon + 1,
             n.tm_mday);
    memcpy(out, tmp, 11);
    return 0;
}

/* The largest page an export may ask for: the answer ends after the row
 * that reaches it, and one row (a few KiB at most) must still fit under
 * PROTO_ADMIN_TEXT_MAX. */
#define EXPORT_PAGE_MAX (PROTO_ADMIN_TEXT_MAX - (1u << 20))

/* `page` BYTES and `after` KIOSK:SEQ of a paged export; false (answered)
 * when either is malformed. */
static bool export_paging(op_t *op, syncd_export_page_t *page, char *kiosk,
                          size_t kiosk_len)
{
    const char *bytes = arg(op, "page");
    const char *after = arg(op, "after");
    char *end;

    if (bytes == NULL)
        return true;
    errno = 0;
    unsigned long long v = strtoull(bytes, &end, 10);
    if (errno || *end || end == bytes || bytes[0] == '-' || v == 0 ||
        v > EXPORT_PAGE_MAX) {
        set_text(op, PROTO_EINVAL,
                 "page \"%.32s\" is not a size in bytes from 1 to %u", bytes,
                 (unsigned)EXPORT_PAGE_MAX);
        return false;
    }
    page->max_bytes = (size_t)v;
    if (after == NULL)
        return true;
    const char *colon = strrchr(after, ':');
    bool ok = colon && (size_t)(colon - after) < kiosk_len;
    if (ok) {
        memcpy(kiosk, after, (size_t)(colon - after));
        kiosk[colon - after] = '\0';
        errno = 0;
        page->after_seq = strtoull(colon + 1, &end, 10);
        ok = !errno && !*end && end != colon + 1 && colon[1] != '-' &&
             id_valid(kiosk);
    }
    if (!ok) {
        set_text(op, PROTO_EINVAL,
                 "after \"%.80s\" is not the `next` of an earlier page "
                 "(KIOSK:SEQ)",
                 after);
        return false;
    }
    page->after_kiosk = kiosk;
    return true;
}

static void op_export_events(op_t *op)
{
    syncd_server_t *srv = op->srv;
    const char *format = arg(op, "format");
    const char *site = arg(op, "site");
    const char *since = arg(op, "since");
    const char *until = arg(op, "until");
    char after_kiosk[PROTO_ID_MAX + 1];
    syncd_export_page_t page = {.site_id = site};
    syncd_export_format_t fmt;
    if (!format || strcmp(format, "csv") == 0) {
        fmt = SYNCD_EXPORT_CSV;
    } else if (strcmp(format, "json") == 0) {
        fmt = SYNCD_EXPORT_JSON;
    } else {
        set_text(op, PROTO_EINVAL,
                 "format \"%.32s\" is not known; use csv or json", format);
        return;
    }
    /* Dates are the site's calendar days: the site's timezone, or when no
     * site is named, that of the catalogue's first site. */
    const char *tz = SYNCD_DEFAULT_TIMEZONE;
    const proto_catalogue_t *cat = syncd_catalogues_current(srv->catalogues);
    if (cat) {
        const proto_site_t *s = site ? proto_catalogue_site(cat, site)
                                     : (cat->n_sites ? &cat->sites[0] : NULL);
        if (s && s->timezone[0])
            tz = s->timezone;
    }
    int64_t since_ms = 0, until_ms = 0;
    char after[11];
    if (since && syncd_local_midnight_ms(tz, since, &since_ms) != 0) {
        set_text(op, PROTO_EINVAL,
                 "since \"%.32s\" is not a date; write it as YYYY-MM-DD",
                 since);
        return;
    }
    if (until && (next_date(until, after) != 0 ||
                  syncd_local_midnight_ms(tz, until, &until_ms) != 0 ||
                  syncd_local_midnight_ms(tz, after, &until_ms) != 0)) {
        set_text(op, PROTO_EINVAL,
                 "until \"%.32s\" is not a date; write it as YYYY-MM-DD",
                 until);
        return;
    }
    if (since && until && until_ms <= since_ms) {
        set_text(op, PROTO_EINVAL,
                 "until %s is before since %s; nothing to export", until,
                 since);
        return;
    }
    if (!export_paging(op, &page, after_kiosk, sizeof after_kiosk))
        return;
    add_detail(op, "format=%s site=%.64s since=%.10s until=%.10s",
               fmt == SYNCD_EXPORT_CSV ? "csv" : "json", site ? site : "all",
               since ? since : "-", until ? until : "-");
    if (page.max_bytes)
        add_detail(op, "page=%zu", page.max_bytes);
    if (page.after_kiosk)
        add_detail(op, "after=%.64s:%" PRIu64, page.after_kiosk,
                   page.after_seq);
    page.since_ms = since_ms;
    page.until_ms = until_ms;
    sink_t sink = {0};
    int rc = syncd_store_export_page(srv->store, fmt, &page, sink_write, &sink);
    if (sink.overflow) {
        free(sink.buf);
        set_text(op, PROTO_ERANGE,
                 "the export is larger than %u MiB, the most one answer may "
                 "carry; narrow it with --since/--until or --site and "
                 "export in parts",
                 (unsigned)(PROTO_ADMIN_TEXT_MAX >> 20));
        return;
    }
    if (rc != 0) {
        free(sink.buf);
        store_failed(op, rc, "export");
        return;
    }
    add_detail(op, "bytes=%zu", sink.len);
    if (page.more)
        snprintf(op->next, sizeof op->next, "%s:%" PRIu64, page.last_kiosk,
                 page.last_seq);
    free(op->text);
    op->code = 0;
    op->text = sink.buf ? sink.buf : strdup("");
    op->len = sink.len;
    if (!op->text)
        set_text(op, PROTO_ENOMEM, "out of memory");
}

/* PRAGMA integrity_check on the SQLite file, through a read-only
 * connection of its own: the store interface is backend-neutral and has
 * no such call. 0 when "ok", else PROTO_ERANGE with the first problems in
 * why. */
static int integrity_check(const char *path, char *why, size_t why_len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = PROTO_EIO;
    why[0] = '\0';
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(why, why_len, "cannot open %s to check it: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    if (sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA integrity_check(20)", -1, &st, NULL) !=
            SQLITE_OK) {
        snprintf(why, why_len, "cannot check %s: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    size_t used = 0;
    int step;
    rc = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (line && strcmp(line, "ok") == 0)
            continue;
        rc = PROTO_ERANGE;
        int n = snprintf(why + used, why_len - used, "%s%s", used ? "; " : "",
                         line ? line : "?");
        if (n < 0 || (size_t)n >= why_len - used)
            break;
        used += (size_t)n;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        snprintf(why, why_len, "checking %s failed: %s", path,
                 sqlite3_errmsg(db));
        rc = PROTO_EIO;
    }
out:
    if (st)
        (void)sqlite3_finalize(st);
    if (db)
        (void)sqlite3_close(db);
    return rc;
}

static void op_verify(op_t *op)
{
    syncd_server_t *srv = op->srv;
    char why[1024] = "";
    int rc = syncd_store_verify_rollups(srv->store, why, sizeof why);
    if (rc != 0) {
        set_text(op, rc == PROTO_ERANGE ? PROTO_ERANGE : rc,
                 "rollups differ from the raw events: %s", why);
        add_detail(op, "result=rollups");
        return;
    }
    if (srv->store_path) {
        rc = integrity_check(srv->store_path, why, sizeof why);
        if (rc != 0) {
            set_text(op, rc, "database integrity check failed: %s", why);
            add_detail(op, "result=integrity");
            return;
        }
    }
    add_detail(op, "result=ok");
    set_text(op, 0, "ok");
}

/* ------------------------------------------------ suggestions (issue 3) */

static void json_suggestion(syncd_json_t *j, const syncd_suggestion_t *sg)
{
    syncd_json_object_begin(j);
    syncd_json_key(j, "id");
    syncd_json_string(j, sg->s.id);
    syncd_json_key(j, "site");
    syncd_json_string(j, sg->site_id);
    syncd_json_key(j, "kind");
    syncd_json_string(j, sg->s.kind == PROTO_KIND_PROBLEM ? "problem" : "idea");
    syncd_json_key(j, "status");
    syncd_json_string(j, sg->s.status);
    syncd_json_key(j, "title");
    syncd_json_string(j, sg->s.title);
    syncd_json_key(j, "body");
    syncd_json_string(j, sg->s.body);
    syncd_json_key(j, "process");
    syncd_json_string(j, sg->s.process_id);
    syncd_json_key(j, "step");
    syncd_json_string(j, sg->s.step_id);
    syncd_json_key(j, "author");
    syncd_json_string(j, sg->s.author_id); /* "" when anonymous */
    syncd_json_key(j, "votes");
    syncd_json_uint(j, sg->s.votes);
    syncd_json_key(j, "owner");
    syncd_json_string(j, sg->s.owner_id);
    syncd_json_key(j, "due");
    syncd_json_string(j, sg->s.due);
    syncd_json_key(j, "measure");
    syncd_json_string(j, sg->measure);
    syncd_json_key(j, "feedback");
    syncd_json_string(j, sg->s.feedback);
    syncd_json_key(j, "merged_into");
    syncd_json_string(j, sg->s.merged_into);
    syncd_json_key(j, "done_day");
    syncd_json_string(j, sg->done_day);
    json_time(j, "created", sg->s.created_ms);
    json_time(j, "updated", sg->s.updated_ms);
    syncd_json_object_end(j);
}

/* The suggestion's site timezone from the current catalogue. */
static const char *site_tz(op_t *op, const char *site_id)
{
    const proto_catalogue_t *cat =
        syncd_catalogues_current(op->srv->catalogues);
    const proto_site_t *site = cat ? proto_catalogue_site(cat, site_id) : NULL;
    return site && site->timezone[0] ? site->timezone : SYNCD_DEFAULT_TIMEZONE;
}

/* Owner on the site's roster and measure in the catalogue, when there is
 * a catalogue to check against. 0 or sets the reply. */
static int decision_check(op_t *op, const syncd_suggestion_t *sg,
                          const char *owner, const char *measure)
{
    const proto_catalogue_t *cat =
        syncd_catalogues_current(op->srv->catalogues);
    if (!cat)
        return 0;
    const proto_site_t *site = proto_catalogue_site(cat, sg->site_id);
    if (owner && owner[0] && (!site || !proto_catalogue_staff(site, owner))) {
        set_text(op, PROTO_EINVAL,
                 "owner \"%s\" is not on the roster of site %s; name a staff "
                 "id from the catalogue",
                 owner, sg->site_id);
        return -1;
    }
    if (measure && measure[0]) {
        char step[PROTO_ID_MAX + PROTO_KEY_MAX + 8];
        snprintf(step, sizeof step, "%s", measure);
        char *dot = strchr(step, '.');
        char *colon = strrchr(step, ':');
        if (dot && colon && colon > dot) {
            *dot = '\0';
            *colon = '\0';
            const proto_step_def_t *sd = proto_catalogue_step(cat, step);
            if (!sd || !proto_step_measure(sd, dot + 1)) {
                set_text(op, PROTO_EINVAL,
                         "success measure \"%s\": step \"%s\" has no measure "
                         "\"%s\" in catalogue version %" PRIu64
                         "; write STEP.MEASURE:up|down with ids from the "
                         "catalogue",
                         measure, step, dot + 1, cat->version);
                return -1;
            }
        }
    }
    return 0;
}

static void op_decide(op_t *op)
{
    const char *id = arg(op, "id");
    const char *status = arg(op, "status");
    if (!id || !status) {
        set_text(op, PROTO_EINVAL,
                 "decide needs the arguments id and status (syncctl decide "
                 "ID --status STATUS)");
        return;
    }
    add_detail(op, "id=%.64s status=%.16s", id, status);
    syncd_suggestion_t sg;
    int rc = syncd_store_suggestion_get(op->srv->store, id, &sg);
    if (rc != 0) {
        set_text(op, rc, "%s", syncd_store_errmsg(op->srv->store));
        return;
    }
    /* arguments present but empty clear a field; absent ones keep it */
    const char *owner = proto_admin_arg(op->req, "owner");
    const char *due = proto_admin_arg(op->req, "due");
    const char *measure = proto_admin_arg(op->req, "measure");
    const char *feedback = proto_admin_arg(op->req, "feedback");
    int64_t now = syncd_server_now(op->srv);
    char day[11];
    if (decision_check(op, &sg, owner, measure) != 0)
        goto cleanup;
    if (syncd_local_day(site_tz(op, sg.site_id), now, day) != 0) {
        set_text(op, PROTO_EINVAL,
                 "the time zone of site %s is not usable; fix it in the "
                 "catalogue",
                 sg.site_id);
        goto cleanup;
    }
    syncd_decision_t d = {.status = status,
                          .owner_id = owner,
                          .due = due,
                          .measure = measure,
                          .feedback = feedback,
                          .manager = op->manager,
                          .day = day};
    rc = syncd_store_suggestion_decide(op->srv->store, id, &d, now);
    if (rc != 0) {
        set_text(op, rc, "%s", syncd_store_errmsg(op->srv->store));
        goto cleanup;
    }
    proto_free(sg.s.title);
    proto_free(sg.s.body);
    proto_free(sg.s.feedback);
    rc = syncd_store_suggestion_get(op->srv->store, id, &sg);
    if (rc != 0) {
        store_failed(op, rc, "reading the decided suggestion");
        return;
    }
    syncd_json_t *j = syncd_json_new();
    if (!j) {
        set_text(op, PROTO_ENOMEM, "out of memory");
        goto cleanup;
    }
    json_suggestion(j, &sg);
    set_json(op, j);
    syncd_json_destroy(&j);
cleanup:
    proto_free(sg.s.title);
    proto_free(sg.s.body);
    proto_free(sg.s.feedback);
}

static void op_merge(op_t *op)
{
    const char *id = arg(op, "id");
    const char *into = arg(op, "into");
    if (!id || !into) {
        set_text(op, PROTO_EINVAL,
                 "merge needs the arguments id and into (syncctl merge ID "
                 "--into ID)");
        return;
    }
    add_detail(op, "id=%.64s into=%.64s", id, into);
    int rc = syncd_store_suggestion_merge(op->srv->store, id, into,
                                          op->manager,
                                          syncd_server_now(op->srv));
    if (rc != 0) {
        set_text(op, rc, "%s", syncd_store_errmsg(op->srv->store));
        return;
    }
    syncd_suggestion_t sg;
    rc = syncd_store_suggestion_get(op->srv->store, into, &sg);
    if (rc != 0) {
        store_failed(op, rc, "reading the merged suggestion");
        return;
    }
    syncd_json_t *j = syncd_json_new();
    if (j) {
        json_suggestion(j, &sg);
        set_json(op, j);
        syncd_json_destroy(&j);
    } else {
        set_text(op, PROTO_ENOMEM, "out of memory");
    }
    proto_free(sg.s.title);
    proto_free(sg.s.body);
    proto_free(sg.s.feedback);
}

static void op_suggestions(op_t *op)
{
    const char *site = arg(op, "site");
    const char *status = arg(op, "status");
    if (!site) {
        set_text(op, PROTO_EINVAL,
                 "suggestions needs the argument site (syncctl suggestions "
                 "--site S [--status ST])");
        return;
    }
    syncd_suggestion_t *list = NULL;
    size_t n = 0;
    int rc = syncd_store_suggestion_list(op->srv->store, site, status, &list,
                                         &n);
    if (rc != 0) {
        set_text(op, rc, "%s", syncd_store_errmsg(op->srv->store));
        return;
    }
    add_detail(op, "site=%.64s n=%zu", site, n);
    syncd_json_t *j = syncd_json_new();
    if (!j) {
        syncd_suggestions_free(list, n);
        set_text(op, PROTO_ENOMEM, "out of memory");
        return;
    }
    syncd_json_array_begin(j);
    for (size_t i = 0; i < n; i++)
        json_suggestion(j, &list[i]);
    syncd_json_array_end(j);
    syncd_suggestions_free(list, n);
    set_json(op, j);
    syncd_json_destroy(&j);
}

/* ------------------------------------------- near-duplicates (issue 3) */

/* How many candidates the index may return for one text: enough for a
 * branch's open suggestions, few enough to score them all at once. */
#define SIMILAR_CANDIDATES 200
#define SIMILAR_LIMIT_DEFAULT 5
#define SIMILAR_LIMIT_MAX 50

typedef struct {
    const syncd_suggestion_t *sg;
    double score;
} scored_t;

static int scored_cmp(const void *a, const void *b)
{
    const scored_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->sg->s.votes != y->sg->s.votes)
        return x->sg->s.votes > y->sg->s.votes ? -1 : 1;
    return strcmp(x->sg->s.id, y->sg->s.id);
}

/* The score of a typed text against a suggestion: against its title alone
 * or its title and body, whichever is higher, so that a long body does not
 * hide a title someone is retyping. */
static double suggestion_score(const char *text, const syncd_suggestion_t *sg)
{
    double t = syncd_similarity(text, sg->s.title);
    if (!sg->s.body || !sg->s.body[0])
        return t;
    char *both = NULL;
    if (asprintf(&both, "%s %s", sg->s.title ? sg->s.title : "", sg->s.body) <
        0)
        return t;
    double b = syncd_similarity(text, both);
    free(both);
    return b > t ? b : t;
}

static void op_similar(op_t *op)
{
    const char *site = arg(op, "site");
    const char *text = arg(op, "text");
    const char *lim = arg(op, "limit");
    uint64_t limit = SIMILAR_LIMIT_DEFAULT;
    if (!site || !text) {
        set_text(op, PROTO_EINVAL,
                 "similar needs the arguments site and text (syncctl similar "
                 "--site S TEXT)");
        return;
    }
    if (lim && (parse_u64(lim, &limit) != 0 || limit == 0 ||
                limit > SIMILAR_LIMIT_MAX)) {
        set_text(op, PROTO_EINVAL,
                 "limit \"%.32s\" is not a number from 1 to %d; give how many "
                 "similar suggestions to return",
                 lim, SIMILAR_LIMIT_MAX);
        return;
    }
    syncd_suggestion_t *list = NULL;
    size_t n = 0;
    int rc = syncd_store_similar_candidates(op->srv->store, site, text,
                                            SIMILAR_CANDIDATES, &list, &n);
    if (rc != 0) {
        store_failed(op, rc, "the similar search");
        return;
    }
    scored_t *sc = calloc(n ? n : 1, sizeof *sc);
    syncd_json_t *j = syncd_json_new();
    if (!sc || !j) {
        set_text(op, PROTO_ENOMEM, "out of memory");
        goto cleanup;
    }
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        double score = suggestion_score(text, &list[i]);
        if (score >= SYNCD_SIMILAR_THRESHOLD)
            sc[hits++] = (scored_t){&list[i], score};
    }
    qsort(sc, hits, sizeof *sc, scored_cmp);
    if (hits > limit)
        hits = (size_t)limit;
    add_detail(op, "site=%.64s candidates=%zu hits=%zu", site, n, hits);
    syncd_json_array_begin(j);
    for (size_t i = 0; i < hits; i++) {
        syncd_json_object_begin(j);
        syncd_json_key(j, "id");
        syncd_json_string(j, sc[i].sg->s.id);
        syncd_json_key(j, "title");
        syncd_json_string(j, sc[i].sg->s.title);
        syncd_json_key(j, "votes");
        syncd_json_uint(j, sc[i].sg->s.votes);
        syncd_json_key(j, "status");
        syncd_json_string(j, sc[i].sg->s.status);
        syncd_json_key(j, "score");
        /* three decimals: what the docs and tests quote */
        syncd_json_double(j, (double)(int64_t)(sc[i].score * 1000 + 0.5) /
                                 1000.0);
        syncd_json_object_end(j);
    }
    syncd_json_array_end(j);
    set_json(op, j);
cleanup:
    syncd_json_destroy(&j);
    free(sc);
    syncd_suggestions_free(list, n);
}

/* The weekly meeting agenda (docs/AGENDA.md): the text in the asked
 * format, built from the store's rollups and the current catalogue. */
static void op_agenda(op_t *op)
{
    const char *site = arg(op, "site");
    const char *week = arg(op, "week");
    const char *format = arg(op, "format");
    syncd_agenda_format_t fmt = SYNCD_AGENDA_HTML;
    if (!site || !week) {
        set_text(op, PROTO_EINVAL,
                 "agenda needs the arguments site and week (syncctl agenda "
                 "--site S --week 2026-W48 --format html|md|json|csv)");
        return;
    }
    if (format && syncd_agenda_format_parse(format, &fmt) != 0) {
        set_text(op, PROTO_EINVAL,
                 "agenda format \"%.32s\" is not known; use html, md, json "
                 "or csv",
                 format);
        return;
    }
    add_detail(op, "site=%.64s week=%.16s format=%.16s", site, week,
               format ? format : "html");
    char err[512];
    char *text = NULL;
    size_t len = 0;
    int rc = syncd_agenda_build(
        op->srv->store, syncd_catalogues_current(op->srv->catalogues), site,
        week, fmt, syncd_server_now(op->srv), &text, &len, err, sizeof err);
    if (rc != 0) {
        set_text(op, rc, "%s", err);
        return;
    }
    free(op->text);
    op->text = text;
    op->len = len;
    op->code = 0;
}

static const op_def_t ops[] = {
    {"ping", op_ping, ""},
    {"enrol", op_enrol, "kiosk, site, key"},
    {"revoke", op_revoke, "kiosk"},
    {"kiosks", op_kiosks, ""},
    {"status", op_status, ""},
    {"catalogue.import", op_catalogue_import, "yaml, name?"},
    {"catalogue.export", op_catalogue_export, "version?"},
    {"catalogue.diff", op_catalogue_diff, "yaml, name?"},
    {"export.events", op_export_events,
     "format, site?, since?, until?, page?, after?"},
    {"verify", op_verify, ""},
    {"decide", op_decide, "id, status, owner?, due?, measure?, feedback?"},
    {"merge", op_merge, "id, into"},
    {"suggestions", op_suggestions, "site, status?"},
    {"similar", op_similar, "site, text, limit?"},
    {"agenda", op_agenda, "site, week, format?"},
};

static void unknown_op(op_t *op, const char *name)
{
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         ops[i].name);
        if (n < 0 || (size_t)n >= sizeof list - used)
            break;
        used += (size_t)n;
    }
    set_text(op, PROTO_ENOTFOUND,
             "unknown operation \"%.32s\"; the operations are: %s", name, list);
}

void syncd_admin_message(syncd_server_t *self, const uint8_t *rid,
                         size_t rid_len, const char *user_id,
                         const uint8_t *data, size_t len)
{
    size_t plen = strlen(SYNCD_MANAGER_PREFIX);
    if (strncmp(user_id, SYNCD_MANAGER_PREFIX, plen) != 0) {
        syncd_log(SYNCD_LOG_WARN,
                  "admin request from a key that is not a manager's refused "
                  "user=%s",
                  user_id);
        (void)syncd_server_send_error(self, self->admin_sock, rid, rid_len,
                                      PROTO_EDENIED,
                                      "admin operations need a manager key");
        return;
    }
    const char *manager = user_id + plen;
    proto_msg_t req = {0};
    proto_diag_t diag = {{0}, 0};
    int rc = proto_decode(data, len, PROTO_MAX_ADMIN_FRAME, &req, &diag);
    if (rc != 0) {
        syncd_log(SYNCD_LOG_WARN,
                  "undecodable admin frame; answered with ERROR manager=%s "
                  "bytes=%zu error=%s where=%s",
                  manager, len, proto_errname(rc),
                  diag.where[0] ? diag.where : "?");
        (void)syncd_server_send_error(self, self->admin_sock, rid, rid_len, rc,
                                      "%s at %s", proto_errname(rc),
                                      diag.where[0] ? diag.where : "the start");
        return;
    }
    if (req.type != PROTO_MSG_ADMIN_REQ) {
        (void)syncd_server_send_error(self, self->admin_sock, rid, rid_len,
                                      PROTO_ESTATE,
                                      "%s is not accepted on the admin "
                                      "endpoint; send ADMIN_REQ",
                                      proto_msg_name(req.type));
        proto_msg_clear(&req);
        return;
    }
    int64_t t0 = syncd_clock_mono_ms();
    op_t op = {.srv = self, .req = &req, .manager = manager};
    const op_def_t *def = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(ops[i].name, req.u.admin_req.op) == 0)
            def = &ops[i];
    }
    if (def)
        def->fn(&op);
    else
        unknown_op(&op, req.u.admin_req.op);
    if (!op.text && op.code == 0)
        set_text(&op, 0, "%s", "");
    proto_msg_t rep = {.type = PROTO_MSG_ADMIN_REP};
    rep.u.admin_rep.code = op.code;
    rep.u.admin_rep.text = op.text ? op.text : (char *)"out of memory";
    rep.u.admin_rep.text_len = op.text ? op.len : strlen("out of memory");
    if (op.code == 0)
        memcpy(rep.u.admin_rep.next, op.next, sizeof op.next);
    (void)syncd_server_send(self, self->admin_sock, rid, rid_len, &rep);
    char optext[PROTO_KEY_MAX * 2 + 4];
    const char *opq =
        syncd_log_quote(req.u.admin_req.op, optext, sizeof optext);
    int64_t ms = syncd_clock_mono_ms() - t0;
    if (op.code == 0) {
        syncd_log(SYNCD_LOG_INFO,
                  "admin op=%s manager=%s code=0 ms=%" PRId64 "%s%s", opq,
                  manager, ms, op.detail[0] ? " " : "", op.detail);
    } else {
        char first[PROTO_REASON_MAX + 1];
        char quoted[PROTO_REASON_MAX * 2];
        snprintf(first, sizeof first, "%s", op.text ? op.text : "");
        syncd_log(SYNCD_LOG_WARN,
                  "admin op refused op=%s manager=%s code=%s ms=%" PRId64
                  "%s%s reason=%s",
                  opq, manager, proto_errname(op.code), ms,
                  op.detail[0] ? " " : "", op.detail,
                  syncd_log_quote(first, quoted, sizeof quoted));
    }
    free(op.text);
    proto_msg_clear(&req);
}
