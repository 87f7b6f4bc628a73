/*
 * store.c — the store interface: picks a backend from the URI and forwards.
 *
 * The daemon and syncctl's server side call syncd_store_*() without knowing
 * which database sits behind it. This file is the only place that knows the
 * URI forms ("PATH" and "sqlite:PATH" select SQLite; "postgresql://..." and
 * "postgres://..." select PostgreSQL, store_pg.c) and the one place
 * that checks arguments, so every backend can rely on non-NULL pointers and
 * identifiers within their protocol bounds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_backend.h"
#include "store_common.h"

/* An identifier the protocol could carry: present and within its bound. */
static bool id_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && strlen(s) <= PROTO_ID_MAX;
}

void syncd_store_set_error(syncd_store_t *self, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(self->errmsg, sizeof self->errmsg, fmt, ap);
    va_end(ap);
}

/* Refuses a call whose arguments no backend could use, saying which. */
static int bad_args(syncd_store_t *self, const char *op, const char *what)
{
    if (self != NULL)
        syncd_store_set_error(self, "%s: %s", op, what);
    return PROTO_EINVAL;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

void syncd_store_uri_redact(const char *uri, char *out, size_t len)
{
    const char *auth, *at, *slash, *colon;
    char *pw;

    if (out == NULL || len == 0)
        return;
    snprintf(out, len, "%s", uri ? uri : "");
    if (uri == NULL || (auth = strstr(uri, "://")) == NULL)
        return;
    auth += 3;
    at = strchr(auth, '@');
    slash = strchr(auth, '/');
    if (at != NULL && (slash == NULL || at < slash) &&
        (colon = memchr(auth, ':', (size_t)(at - auth))) != NULL)
        snprintf(out, len, "%.*s:***%s", (int)(colon - uri), uri, at);
    /* libpq also takes the password as a query parameter. */
    if ((pw = strstr(out, "password=")) != NULL) {
        char *value = pw + strlen("password="), *end = strchr(value, '&');
        size_t tail = end ? strlen(end) + 1 : 1;

        if (value + 3 + tail <= out + len) {
            memmove(value + 3, end ? end : value + strlen(value), tail);
            memcpy(value, "***", 3);
        }
    }
}

syncd_store_t *syncd_store_open(const char *uri,
                                const syncd_store_options_t *opt, char *err,
                                size_t err_len)
{
    static const syncd_store_options_t defaults = {SYNCD_SYNC_FULL, 0};
    char dummy[8];

    if (err == NULL || err_len == 0) {
        err = dummy;
        err_len = sizeof dummy;
    }
    err[0] = '\0';
    if (uri == NULL || uri[0] == '\0') {
        snprintf(err, err_len,
                 "no store given; pass a path such as DIR/stepwise.db or "
                 "sqlite:DIR/stepwise.db");
        return NULL;
    }
    if (opt == NULL)
        opt = &defaults;
    if (starts_with(uri, "postgres://") || starts_with(uri, "postgresql://"))
        return syncd_store_pg_open(uri, opt, err, err_len);
    if (starts_with(uri, "postgres:") || starts_with(uri, "postgresql:")) {
        char shown[512];

        syncd_store_uri_redact(uri, shown, sizeof shown);
        snprintf(err, err_len,
                 "store \"%s\" is not a PostgreSQL URI; write "
                 "postgresql://USER@HOST:PORT/DATABASE",
                 shown);
        return NULL;
    }
    if (starts_with(uri, "sqlite:"))
        uri += strlen("sqlite:");
    if (uri[0] == '\0') {
        snprintf(err, err_len,
                 "store URI \"sqlite:\" names no file; write "
                 "sqlite:DIR/stepwise.db");
        return NULL;
    }
    return syncd_store_sqlite_open(uri, opt, err, err_len);
}

void syncd_store_destroy(syncd_store_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    syncd_standings_cache_free(&(*self_p)->standings);
    (*self_p)->ops->destroy(*self_p);
    *self_p = NULL;
}

const char *syncd_store_errmsg(const syncd_store_t *self)
{
    if (self == NULL)
        return "no store (NULL)";
    return self->errmsg;
}

int syncd_store_schema_version(syncd_store_t *self)
{
    if (self == NULL)
        return PROTO_EINVAL;
    return self->ops->schema_version(self);
}

int syncd_store_kiosk_enrol(syncd_store_t *self, const char *kiosk_id,
                            const char *site_id, const char *public_key,
                            int64_t now_ms)
{
    if (self == NULL)
        return PROTO_EINVAL;
    if (!id_ok(kiosk_id) || !id_ok(site_id))
        return bad_args(self, "enrol",
                        "kiosk id and site id must be 1 to 64 bytes; "
                        "check the enrol request");
    if (public_key == NULL || strlen(public_key) != 40)
        return bad_args(self, "enrol",
                        "a CURVE public key is 40 Z85 characters; pass the "
                        "kiosk's .pub file made by syncctl keygen kiosk");
    return self->ops->kiosk_enrol(self, kiosk_id, site_id, public_key, now_ms);
}

int syncd_store_kiosk_revoke(syncd_store_t *self, const char *kiosk_id,
                             int64_t now_ms)
{
    if (self == NULL)
        return PROTO_EINVAL;
    if (!id_ok(kiosk_id))
        return bad_args(self, "revoke", "kiosk id must be 1 to 64 bytes");
    return self->ops->kiosk_revoke(self, kiosk_id, now_ms);
}

int syncd_store_kiosk_get(syncd_store_t *self, const char *kiosk_id,
                          syncd_kiosk_t *out)
{
    if (self == NULL || kiosk_id == NULL || out == NULL)
        return PROTO_EINVAL;
    return self->ops->kiosk_get(self, kiosk_id, out);
}

int syncd_store_kiosk_by_key(syncd_store_t *self, const char *public_key,
                             syncd_kiosk_t *out)
{
    if (self == NULL || public_key == NULL || out == NULL)
        return PROTO_EINVAL;
    return self->ops->kiosk_by_key(self, public_key, out);
}

int syncd_store_kiosk_list(syncd_store_t *self, syncd_kiosk_t **out, size_t *n)
{
    if (self == NULL || out == NULL || n == NULL)
        return PROTO_EINVAL;
    *out = NULL;
    *n = 0;
    return self->ops->kiosk_list(self, out, n);
}

int syncd_store_kiosk_seen(syncd_store_t *self, const char *kiosk_id,
                           int64_t now_ms, uint64_t last_seq,
                           uint64_t outbox_depth, uint64_t oldest_unsent_s,
                           int64_t clock_skew_ms, uint64_t catalogue_version,
                           const char *app_version)
{
    if (self == NULL || kiosk_id == NULL)
        return PROTO_EINVAL;
    if (app_version != NULL && strlen(app_version) > PROTO_SHORT_MAX)
        return bad_args(self, "kiosk seen", "app version is over 64 bytes");
    return self->ops->kiosk_seen(self, kiosk_id, now_ms, last_seq, outbox_depth,
                                 oldest_unsent_s, clock_skew_ms,
                                 catalogue_version, app_version);
}

int syncd_store_kiosks_seen(syncd_store_t *self, const syncd_kiosk_seen_t *v,
                            size_t n)
{
    if (self == NULL || (v == NULL && n > 0))
        return PROTO_EINVAL;
    if (n == 0)
        return 0;
    return self->ops->kiosks_seen(self, v, n);
}

int syncd_store_ingest(syncd_store_t *self, const char *kiosk_id,
                       const char *site_id, const syncd_ingest_item_t *items,
                       size_t n, int64_t now_ms, syncd_ingest_result_t *res)
{
    if (self == NULL || res == NULL || (items == NULL && n > 0))
        return PROTO_EINVAL;
    if (!id_ok(kiosk_id) || !id_ok(site_id))
        return bad_args(self, "ingest",
                        "kiosk id and site id must be 1 to 64 bytes");
    memset(res, 0, sizeof *res);
    return self->ops->ingest(self, kiosk_id, site_id, items, n, now_ms, res);
}

int syncd_store_fold(syncd_store_t *self, size_t max_rows)
{
    if (self == NULL)
        return PROTO_EINVAL;
    return self->ops->fold ? self->ops->fold(self, max_rows) : 0;
}

int syncd_store_fold_lag(syncd_store_t *self)
{
    int rows = syncd_store_fold(self, 0);

    if (rows > SYNCD_FOLD_LAG)
        rows = syncd_store_fold(self, (size_t)(rows - SYNCD_FOLD_LAG / 2));
    return rows;
}

/* Every read, and every write that reads, first folds the whole journal:
 * what was acknowledged is never missing from what it returns. */
static int fold_all(syncd_store_t *self)
{
    int rc = syncd_store_fold(self, SIZE_MAX);

    return rc < 0 ? rc : 0;
}

int syncd_store_suggestion_exists(syncd_store_t *self, const char *id)
{
    int rc;

    if (self == NULL || id == NULL)
        return PROTO_EINVAL;
    /* Votes name suggestions made long ago: the journal is folded only
     * when the suggestion is not found without it. */
    rc = self->ops->suggestion_exists(self, id);
    if (rc != 0 || (rc = fold_all(self)) < 0)
        return rc;
    return self->ops->suggestion_exists(self, id);
}

int syncd_store_catalogue_put(syncd_store_t *self, const char *yaml, size_t len,
                              int64_t now_ms, uint64_t *version)
{
    if (self == NULL || yaml == NULL || version == NULL)
        return PROTO_EINVAL;
    return self->ops->catalogue_put(self, yaml, len, now_ms, version);
}

int syncd_store_catalogue_current(syncd_store_t *self, uint64_t *version,
                                  char **yaml, size_t *len)
{
    if (self == NULL || version == NULL || yaml == NULL || len == NULL)
        return PROTO_EINVAL;
    *version = 0;
    *yaml = NULL;
    *len = 0;
    return self->ops->catalogue_current(self, version, yaml, len);
}

int syncd_store_catalogue_get(syncd_store_t *self, uint64_t version,
                              char **yaml, size_t *len)
{
    if (self == NULL || yaml == NULL || len == NULL)
        return PROTO_EINVAL;
    *yaml = NULL;
    *len = 0;
    return self->ops->catalogue_get(self, version, yaml, len);
}

int syncd_store_feed(syncd_store_t *self, const char *site_id, uint64_t cursor,
                     uint32_t max_items, proto_msg_t *msg)
{
    int rc;

    if (self == NULL || site_id == NULL || msg == NULL)
        return PROTO_EINVAL;
    if (max_items == 0 || max_items > PROTO_MAX_FEED)
        max_items = PROTO_MAX_FEED;
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->feed(self, site_id, cursor, max_items, msg);
}

uint64_t syncd_store_feed_cursor(syncd_store_t *self, const char *site_id)
{
    if (self == NULL || site_id == NULL)
        return 0;
    /* a fold that fails leaves the cursor where the folded rows put it:
     * the kiosk asks again at its next sync */
    (void)fold_all(self);
    return self->ops->feed_cursor(self, site_id);
}

int syncd_store_export_events(syncd_store_t *self, syncd_export_format_t fmt,
                              const char *site_id, int64_t since_ms,
                              int64_t until_ms, syncd_write_fn write, void *ctx)
{
    syncd_export_page_t page = {
        .site_id = site_id, .since_ms = since_ms, .until_ms = until_ms};

    return syncd_store_export_page(self, fmt, &page, write, ctx);
}

int syncd_store_export_page(syncd_store_t *self, syncd_export_format_t fmt,
                            syncd_export_page_t *page, syncd_write_fn write,
                            void *ctx)
{
    int rc;

    if (self == NULL || page == NULL || write == NULL)
        return PROTO_EINVAL;
    if (fmt != SYNCD_EXPORT_CSV && fmt != SYNCD_EXPORT_JSON)
        return bad_args(self, "export", "format must be csv or json");
    page->more = false;
    page->last_kiosk[0] = '\0';
    page->last_seq = 0;
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->export_events(self, fmt, page, write, ctx);
}

int syncd_store_counts(syncd_store_t *self, syncd_store_counts_t *out)
{
    int rc;

    if (self == NULL || out == NULL)
        return PROTO_EINVAL;
    memset(out, 0, sizeof *out);
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->counts(self, out);
}

int syncd_store_verify_rollups(syncd_store_t *self, char *why, size_t why_len)
{
    char dummy[8];
    int rc;

    if (self == NULL)
        return PROTO_EINVAL;
    if (why == NULL || why_len == 0) {
        why = dummy;
        why_len = sizeof dummy;
    }
    why[0] = '\0';
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->verify_rollups(self, why, why_len);
}

/* ---- Suggestion lifecycle */

int syncd_store_suggestion_decide(syncd_store_t *self, const char *id,
                                  const syncd_decision_t *d, int64_t now_ms)
{
    int rc;

    if (self == NULL || id == NULL || d == NULL)
        return PROTO_EINVAL;
    if (d->status == NULL || d->manager == NULL || d->day == NULL)
        return bad_args(self, "decide",
                        "a decision needs a status, a manager and a day");
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->suggestion_decide(self, id, d, now_ms);
}

int syncd_store_suggestion_merge(syncd_store_t *self, const char *id,
                                 const char *into, const char *manager,
                                 int64_t now_ms)
{
    int rc;

    if (self == NULL || id == NULL || into == NULL || manager == NULL)
        return PROTO_EINVAL;
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->suggestion_merge(self, id, into, manager, now_ms);
}

int syncd_store_suggestion_get(syncd_store_t *self, const char *id,
                               syncd_suggestion_t *out)
{
    int rc;

    if (self == NULL || id == NULL || out == NULL)
        return PROTO_EINVAL;
    memset(out, 0, sizeof *out);
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->suggestion_get(self, id, out);
}

int syncd_store_suggestion_list(syncd_store_t *self, const char *site_id,
                                const char *status, syncd_suggestion_t **out,
                                size_t *n)
{
    int rc;

    if (self == NULL || site_id == NULL || out == NULL || n == NULL)
        return PROTO_EINVAL;
    *out = NULL;
    *n = 0;
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->suggestion_list(self, site_id, status, out, n);
}

void syncd_suggestions_free(syncd_suggestion_t *list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        proto_free(list[i].s.title);
        proto_free(list[i].s.body);
        proto_free(list[i].s.feedback);
    }
    free(list);
}

int syncd_store_suggestion_history(syncd_store_t *self, const char *id,
                                   syncd_history_t **out, size_t *n)
{
    int rc;

    if (self == NULL || id == NULL || out == NULL || n == NULL)
        return PROTO_EINVAL;
    *out = NULL;
    *n = 0;
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->suggestion_history(self, id, out, n);
}

int syncd_store_report(syncd_store_t *self, const char *sql,
                       const char *const *args, size_t nargs, syncd_row_fn row,
                       void *ctx)
{
    int rc;

    if (self == NULL || sql == NULL || row == NULL || (nargs && args == NULL))
        return PROTO_EINVAL;
    if ((rc = fold_all(self)) < 0)
        return rc;
    return self->ops->report(self, sql, args, nargs, row, ctx);
}

int syncd_store_similar_candidates(syncd_store_t *self, const char *site_id,
                                   const char *text, size_t max,
                                   syncd_suggestion_t **out, size_t *n)
{
    int rc;

    if (self == NULL || site_id == NULL || text == NULL || out == NULL ||
        n == NULL)
        return PROTO_EINVAL;
    *out = NULL;
    *n = 0;
    if ((rc = fold_all(self)) < 0)
        return rc;
    if (self->ops->similar_candidates == NULL) {
        syncd_store_set_error(self, "similar: the %s store has no "
                                    "near-duplicate search",
                              self->ops->name);
        return PROTO_ESTORE;
    }
    return self->ops->similar_candidates(self, site_id, text, max, out, n);
}
