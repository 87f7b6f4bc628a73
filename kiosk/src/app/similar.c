/*
 * similar.c — "similar suggestions" while someone types a title: an SQLite
 * FTS5 trigram index over the suggestions syncd sent down (the feed
 * cache), behind the model's kiosk_similar_t hook.
 *
 * Why: staff should support an existing idea (+1) rather than write it
 * again, and the agenda groups near-duplicates anyway. Chinese has no
 * spaces to split words on, so the index is of trigrams (any three
 * consecutive characters), which works the same for 名单重复 and
 * "call script". A title matches when it shares at least one trigram with
 * the typed one; bm25 ranks those sharing more first.
 *
 * The index is a file of its own in the kiosk's data directory
 * (DIR/similar.db) with its own connection, so the outbox's schema and
 * its writer are untouched. It is rebuilt from the feed in one
 * transaction whenever the feed changes: a feed is a few hundred titles
 * at most (PROTO_MAX_FEED).
 */
#include "app.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRIGRAMS 64

struct kiosk_simindex {
    sqlite3 *db;
    char path[1024];
    char err[1800];
    kiosk_similar_t hook;
};

static int fail(kiosk_simindex_t *self, const char *what)
{
    snprintf(self->err, sizeof self->err,
             "%s: %s: %s; delete the file, the kiosk rebuilds it from the "
             "feed",
             self->path, what, self->db ? sqlite3_errmsg(self->db) : "?");
    return -1;
}

static int hook_search(void *ctx, const char *title,
                       char (*ids)[PROTO_ID_MAX + 1], size_t max)
{
    return kiosk_simindex_search(ctx, title, ids, max);
}

kiosk_simindex_t *kiosk_simindex_open(const char *path, char *err,
                                      size_t err_len)
{
    kiosk_simindex_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, err_len, "out of memory opening %s", path);
        return NULL;
    }
    snprintf(self->path, sizeof self->path, "%s", path);
    self->hook.ctx = self;
    self->hook.search = hook_search;
    if (sqlite3_open_v2(path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(self->db,
                     "PRAGMA journal_mode=WAL;"
                     "CREATE VIRTUAL TABLE IF NOT EXISTS similar USING "
                     "fts5(id UNINDEXED, title, tokenize='trigram');",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fail(self, "cannot open the similar-suggestion index");
        snprintf(err, err_len, "%s", self->err);
        kiosk_simindex_destroy(&self);
        return NULL;
    }
    return self;
}

void kiosk_simindex_destroy(kiosk_simindex_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sqlite3_close((*self_p)->db);
    free(*self_p);
    *self_p = NULL;
}

const kiosk_similar_t *kiosk_simindex_hook(kiosk_simindex_t *self)
{
    return &self->hook;
}

const char *kiosk_simindex_errmsg(const kiosk_simindex_t *self)
{
    return self->err;
}

int kiosk_simindex_update(kiosk_simindex_t *self,
                          const proto_suggestion_t *list, size_t n)
{
    sqlite3_stmt *ins = NULL;
    int rc = -1;
    if (sqlite3_exec(self->db, "BEGIN IMMEDIATE; DELETE FROM similar;", NULL,
                     NULL, NULL) != SQLITE_OK) {
        fail(self, "cannot clear the index");
        goto done;
    }
    if (sqlite3_prepare_v2(self->db,
                           "INSERT INTO similar(id, title) VALUES (?1, ?2)", -1,
                           &ins, NULL) != SQLITE_OK) {
        fail(self, "cannot prepare the insert");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (!list[i].title || !list[i].title[0])
            continue;
        if (sqlite3_bind_text(ins, 1, list[i].id, -1, SQLITE_STATIC) !=
                SQLITE_OK ||
            sqlite3_bind_text(ins, 2, list[i].title, -1, SQLITE_STATIC) !=
                SQLITE_OK ||
            sqlite3_step(ins) != SQLITE_DONE) {
            fail(self, "cannot index a suggestion");
            goto done;
        }
        sqlite3_reset(ins);
    }
    if (sqlite3_exec(self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail(self, "cannot commit the index");
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(ins);
    if (rc != 0)
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The title's trigrams as an FTS5 query: "abc" OR "bcd" OR ..., each a
 * quoted string (quotes doubled) so that no character is an operator. */
static int trigram_query(const char *title, char *q, size_t cap)
{
    size_t off[PROTO_TITLE_MAX + 2], n = 0, len = strlen(title), out = 0;
    for (size_t i = 0; i < len && n <= PROTO_TITLE_MAX; i++)
        if (((unsigned char)title[i] & 0xC0) != 0x80)
            off[n++] = i;
    off[n] = len;
    int terms = 0;
    for (size_t i = 0; i + 3 <= n && terms < MAX_TRIGRAMS; i++) {
        if (out + 8 + 2 * (off[i + 3] - off[i]) >= cap)
            break;
        if (terms)
            out += (size_t)snprintf(q + out, cap - out, " OR ");
        q[out++] = '"';
        for (size_t k = off[i]; k < off[i + 3]; k++) {
            if (title[k] == '"')
                q[out++] = '"';
            q[out++] = title[k];
        }
        q[out++] = '"';
        terms++;
    }
    q[out] = '\0';
    return terms;
}

int kiosk_simindex_search(kiosk_simindex_t *self, const char *title,
                          char (*ids)[PROTO_ID_MAX + 1], size_t max)
{
    char q[MAX_TRIGRAMS * 32];
    sqlite3_stmt *st = NULL;
    int n = 0, rc;
    if (!title || !proto_utf8_valid(title, strlen(title)) ||
        trigram_query(title, q, sizeof q) == 0 || max == 0)
        return 0;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT id FROM similar WHERE similar MATCH ?1 "
                           "ORDER BY bm25(similar), rowid LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int(st, 2, (int)max) != SQLITE_OK) {
        n = fail(self, "cannot search the index");
        goto done;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && (size_t)n < max) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        snprintf(ids[n++], PROTO_ID_MAX + 1, "%s", id ? id : "");
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        n = fail(self, "cannot read the index");
done:
    sqlite3_finalize(st);
    return n;
}
