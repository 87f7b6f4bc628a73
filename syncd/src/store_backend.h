/*
 * store_backend.h — what a store backend provides (private to syncd).
 *
 * store.h is the interface the daemon sees; this header is the other side
 * of it. store.c parses the URI, picks a backend and forwards every call
 * through the backend's table of operations, after checking the arguments
 * that every backend would otherwise have to check again. A backend
 * (store_sqlite.c, store_pg.c) embeds struct syncd_store as the
 * first member of its own object and fills one syncd_store_ops_t.
 */
#ifndef SYNCD_STORE_BACKEND_H
#define SYNCD_STORE_BACKEND_H

#include "syncd/store.h"

typedef struct {
    const char *name; /* "sqlite" */
    void (*destroy)(syncd_store_t *self);
    int (*schema_version)(syncd_store_t *self);
    int (*kiosk_enrol)(syncd_store_t *self, const char *kiosk_id,
                       const char *site_id, const char *public_key,
                       int64_t now_ms);
    int (*kiosk_revoke)(syncd_store_t *self, const char *kiosk_id,
                        int64_t now_ms);
    int (*kiosk_get)(syncd_store_t *self, const char *kiosk_id,
                     syncd_kiosk_t *out);
    int (*kiosk_by_key)(syncd_store_t *self, const char *public_key,
                        syncd_kiosk_t *out);
    int (*kiosk_list)(syncd_store_t *self, syncd_kiosk_t **out, size_t *n);
    int (*kiosk_seen)(syncd_store_t *self, const char *kiosk_id, int64_t now_ms,
                      uint64_t last_seq, uint64_t outbox_depth,
                      uint64_t oldest_unsent_s, int64_t clock_skew_ms,
                      uint64_t catalogue_version, const char *app_version);
    int (*kiosks_seen)(syncd_store_t *self, const syncd_kiosk_seen_t *v,
                       size_t n);
    int (*ingest)(syncd_store_t *self, const char *kiosk_id,
                  const char *site_id, const syncd_ingest_item_t *items,
                  size_t n, int64_t now_ms, syncd_ingest_result_t *res);
    /* Optional (NULL: ingest writes everything itself): folds up to
     * max_rows of the ingest journal; the rows left, or negative. */
    int (*fold)(syncd_store_t *self, size_t max_rows);
    int (*suggestion_exists)(syncd_store_t *self, const char *id);
    int (*catalogue_put)(syncd_store_t *self, const char *yaml, size_t len,
                         int64_t now_ms, uint64_t *version);
    int (*catalogue_current)(syncd_store_t *self, uint64_t *version,
                             char **yaml, size_t *len);
    int (*catalogue_get)(syncd_store_t *self, uint64_t version, char **yaml,
                         size_t *len);
    int (*feed)(syncd_store_t *self, const char *site_id, uint64_t cursor,
                uint32_t max_items, proto_msg_t *msg);
    uint64_t (*feed_cursor)(syncd_store_t *self, const char *site_id);
    int (*export_events)(syncd_store_t *self, syncd_export_format_t fmt,
                         syncd_export_page_t *page, syncd_write_fn write,
                         void *ctx);
    int (*counts)(syncd_store_t *self, syncd_store_counts_t *out);
    int (*verify_rollups)(syncd_store_t *self, char *why, size_t why_len);
    int (*suggestion_decide)(syncd_store_t *self, const char *id,
                             const syncd_decision_t *d, int64_t now_ms);
    int (*suggestion_merge)(syncd_store_t *self, const char *id,
                            const char *into, const char *manager,
                            int64_t now_ms);
    int (*suggestion_get)(syncd_store_t *self, const char *id,
                          syncd_suggestion_t *out);
    int (*suggestion_list)(syncd_store_t *self, const char *site_id,
                           const char *status, syncd_suggestion_t **out,
                           size_t *n);
    int (*suggestion_history)(syncd_store_t *self, const char *id,
                              syncd_history_t **out, size_t *n);
    int (*report)(syncd_store_t *self, const char *sql,
                  const char *const *args, size_t nargs, syncd_row_fn row,
                  void *ctx);
    int (*similar_candidates)(syncd_store_t *self, const char *site_id,
                              const char *text, size_t max,
                              syncd_suggestion_t **out, size_t *n);
} syncd_store_ops_t;

/* The common head of every backend's store object. errmsg holds the last
 * failure as "operation: what: why" (see syncd_store_errmsg). */
#define SYNCD_STORE_ERRMSG_MAX 512
struct syncd_store {
    const syncd_store_ops_t *ops;
    char errmsg[SYNCD_STORE_ERRMSG_MAX];
    /* the feeds' standings, built once per change (store_common.h) */
    struct syncd_standings_cache *standings;
};

/* Records the last failure in self->errmsg, printf-style. */
void syncd_store_set_error(syncd_store_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Backend constructors: path is the URI with its scheme removed. NULL on
 * failure with a readable line in err. */
syncd_store_t *syncd_store_sqlite_open(const char *path,
                                       const syncd_store_options_t *opt,
                                       char *err, size_t err_len);
/* The PostgreSQL backend (store_pg.c) takes the whole URI, scheme and all
 * ("postgresql://USER@HOST:PORT/DB" or "postgres://..."), as libpq does. */
syncd_store_t *syncd_store_pg_open(const char *uri,
                                   const syncd_store_options_t *opt, char *err,
                                   size_t err_len);

#endif
