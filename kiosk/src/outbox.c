/*
 * outbox.c — the kiosk's durable outbox and caches over one SQLite file.
 *
 * This file exists so that "saved" on the kiosk screen means saved: an
 * append returns only after COMMIT in WAL mode with synchronous=FULL, i.e.
 * after the write-ahead log is fsynced. The UI thread and the sync thread
 * each open their own connection on the same file; every write
 * transaction starts with BEGIN IMMEDIATE so two writers queue on the
 * database lock (busy_timeout) instead of failing half way, and sequence
 * numbers are assigned inside that transaction so none is ever given
 * twice.
 *
 * Events are stored as the msgpack bytes of a PUSH of that one event; the
 * sync thread decodes them back into a PUSH of many. What the server
 * receives is therefore exactly what was saved, field for field.
 *
 * Counters that must survive pruning (the highest seq ever assigned, the
 * seq floor, the server's acked mark) live in the meta table rather than
 * being derived from the events still kept.
 */
#include "kiosk/outbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 10000

/* Prepared once per connection: these run on every append and sync. */
enum {
    ST_META_GET,
    ST_META_SET,
    ST_INSERT,
    ST_PENDING,
    ST_ACK_RANGE,
    ST_REJECT,
    ST_GET,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [ST_INSERT] = "INSERT INTO events(seq, type, captured_ms, msg) "
                  "VALUES (?1, ?2, ?3, ?4)",
    [ST_PENDING] = "SELECT seq, msg FROM events WHERE acked_ms IS NULL "
                   "AND seq > ?1 ORDER BY seq LIMIT ?2",
    [ST_ACK_RANGE] = "UPDATE events SET acked_ms = ?1 "
                     "WHERE acked_ms IS NULL AND seq <= ?2",
    [ST_REJECT] = "UPDATE events SET reject_code = ?1, reject_reason = ?2, "
                  "acked_ms = coalesce(acked_ms, ?3) WHERE seq = ?4",
    [ST_GET] = "SELECT msg, acked_ms, reject_code FROM events WHERE seq = ?1",
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY,"
    "  value) WITHOUT ROWID;"
    /* one row per captured event; msg = msgpack PUSH of the one event */
    "CREATE TABLE IF NOT EXISTS events ("
    "  seq INTEGER PRIMARY KEY,"
    "  type INTEGER NOT NULL,"
    "  captured_ms INTEGER NOT NULL,"
    "  msg BLOB NOT NULL,"
    "  acked_ms INTEGER,"
    "  reject_code INTEGER,"
    "  reject_reason TEXT);"
    /* the sync thread reads only unsent events: keep them indexed apart
     * from the (much larger) retained history */
    "CREATE INDEX IF NOT EXISTS events_unsent ON events(seq) "
    "  WHERE acked_ms IS NULL;"
    "CREATE INDEX IF NOT EXISTS events_rejected ON events(seq) "
    "  WHERE reject_code IS NOT NULL;"
    /* the age of the oldest unsent event, read after every ACK: without
     * it that MIN visits every unsent row (4 ms at 10,000) */
    "CREATE INDEX IF NOT EXISTS events_unsent_captured ON events(captured_ms) "
    "  WHERE acked_ms IS NULL;"
    "CREATE TABLE IF NOT EXISTS catalogue ("
    "  version INTEGER PRIMARY KEY,"
    "  yaml TEXT NOT NULL,"
    "  stored_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS suggestions ("
    "  id TEXT PRIMARY KEY,"
    "  kind INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  body TEXT,"
    "  process_id TEXT NOT NULL,"
    "  step_id TEXT NOT NULL,"
    "  author_id TEXT NOT NULL,"
    "  votes INTEGER NOT NULL,"
    "  owner_id TEXT NOT NULL,"
    "  due TEXT NOT NULL,"
    "  feedback TEXT,"
    "  merged_into TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS standings ("
    "  week TEXT NOT NULL,"
    "  staff_id TEXT NOT NULL,"
    "  team_id TEXT NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  rank INTEGER NOT NULL,"
    "  PRIMARY KEY (week, staff_id));";

/* Writers of one database file inside this process queue here, in
 * arrival order. SQLite's busy handler polls with sleeps and is not fair:
 * a thread appending in a tight loop (the simulator, a burst of captures)
 * re-takes the lock before the sleeping sync thread wakes, which could
 * then fail with "database is locked" after its whole busy timeout. A
 * ticket lock per file makes the two connections alternate; SQLite's own
 * locking still guards against other processes. */
typedef struct write_queue {
    struct write_queue *next;
    dev_t dev;
    ino_t ino;
    int refs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t next_ticket, serving;
} write_queue_t;

static pthread_mutex_t queues_mu = PTHREAD_MUTEX_INITIALIZER;
static write_queue_t *queues;

struct kiosk_outbox {
    sqlite3 *db;
    write_queue_t *wq; /* NULL only while opening */
    bool writing;      /* holds its turn in wq */
    sqlite3_stmt *st[ST_COUNT];
    char *path;
    char kiosk_id[PROTO_ID_MAX + 1]; /* cached identity, "" = not read */
    char err[512];
};

/* ---- Process clocks and boot id */

static pthread_once_t boot_once = PTHREAD_ONCE_INIT;
static uint64_t boot_id;
static struct timespec boot_mono;

static void boot_init(void)
{
    clock_gettime(CLOCK_MONOTONIC, &boot_mono);
    /* getrandom blocks only before the kernel pool is seeded at boot;
     * fall back to time and pid if it is unavailable. */
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        v = ((uint64_t)now.tv_sec << 32) ^ (uint64_t)now.tv_nsec ^
            ((uint64_t)getpid() << 16);
    }
    boot_id = v ? v : 1;
}

uint64_t kiosk_outbox_boot_id(void)
{
    pthread_once(&boot_once, boot_init);
    return boot_id;
}

uint64_t kiosk_outbox_mono_ms(void)
{
    pthread_once(&boot_once, boot_init);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)(now.tv_sec - boot_mono.tv_sec) * 1000 +
                 (now.tv_nsec - boot_mono.tv_nsec) / 1000000;
    return ms > 0 ? (uint64_t)ms : 0;
}

static int64_t wall_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* ---- Errors */

static int set_err(kiosk_outbox_t *self, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int set_err(kiosk_outbox_t *self, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->err, sizeof self->err, fmt, ap);
    va_end(ap);
    return code;
}

/* What a person should do about an SQLite failure. */
static const char *db_hint(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return "the disk is full: free space on the kiosk, then try again";
    case SQLITE_IOERR:
        return "the disk could not be written: check the kiosk's storage, "
               "then try again";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "another program keeps the outbox locked: close it, then try "
               "again";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return "the outbox file is damaged: keep a copy for support and "
               "restore it from a backup";
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
        return "check that the directory exists and the kiosk user may "
               "write it";
    case SQLITE_NOMEM:
        return "the kiosk is out of memory: restart the kiosk app";
    default:
        return "try again; if it persists, restart the kiosk app";
    }
}

/* Records an SQLite failure while doing `doing`; call before any ROLLBACK
 * (which would replace SQLite's message). */
static int db_fail(kiosk_outbox_t *self, int rc, const char *doing)
{
    int sys = sqlite3_system_errno(self->db);
    char sysbuf[96] = "";
    if (sys != 0)
        snprintf(sysbuf, sizeof sysbuf, " (%s)", strerror(sys));
    set_err(self, (rc & 0xff) == SQLITE_NOMEM ? PROTO_ENOMEM : PROTO_EIO,
            "outbox %s: could not %s: %s%s; %s; events already saved are "
            "safe",
            self->path, doing, sqlite3_errmsg(self->db), sysbuf, db_hint(rc));
    return (rc & 0xff) == SQLITE_NOMEM ? PROTO_ENOMEM : PROTO_EIO;
}

/* Room for one more element in list, which holds count elements of size
 * bytes in *cap: the capacity doubles from 16 when full. Returns the list,
 * perhaps moved, or NULL when out of memory (list is then unchanged and
 * still the caller's to free). */
static void *grow(void *list, size_t count, size_t *cap, size_t size)
{
    if (count < *cap)
        return list;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(list, ncap * size);
    if (p)
        *cap = ncap;
    return p;
}

const char *kiosk_outbox_errmsg(const kiosk_outbox_t *self)
{
    return self ? self->err : "no outbox";
}

const char *kiosk_outbox_path(const kiosk_outbox_t *self)
{
    return self ? self->path : "";
}

/* ---- Small SQL helpers */

static int exec_sql(kiosk_outbox_t *self, const char *sql, const char *doing)
{
    int rc = sqlite3_exec(self->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_fail(self, rc, doing);
    return 0;
}

int kiosk_outbox_set_cache_kib(kiosk_outbox_t *self, int kib)
{
    if (!self)
        return PROTO_EINVAL;
    if (kib <= 0) {
        set_err(self, PROTO_EINVAL,
                "outbox %s: a page cache of %d KiB was asked for; give a "
                "size above 0",
                self->path, kib);
        return PROTO_EINVAL;
    }
    char sql[64];
    /* a negative cache_size is a size in KiB, not a page count */
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", kib);
    return exec_sql(self, sql, "set the page cache size");
}

/* The queue of the file at path (found or created); NULL when out of
 * memory or the file cannot be examined. */
static write_queue_t *queue_get(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return NULL;
    pthread_mutex_lock(&queues_mu);
    write_queue_t *q = queues;
    while (q && !(q->dev == sb.st_dev && q->ino == sb.st_ino))
        q = q->next;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (q && (pthread_mutex_init(&q->mu, NULL) != 0 ||
                  pthread_cond_init(&q->cv, NULL) != 0)) {
            free(q);
            q = NULL;
        }
        if (q) {
            q->dev = sb.st_dev;
            q->ino = sb.st_ino;
            q->next = queues;
            queues = q;
        }
    }
    if (q)
        q->refs++;
    pthread_mutex_unlock(&queues_mu);
    return q;
}

static void queue_put(write_queue_t *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&queues_mu);
    if (--q->refs == 0) {
        write_queue_t **pp = &queues;
        while (*pp != q)
            pp = &(*pp)->next;
        *pp = q->next;
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        free(q);
    }
    pthread_mutex_unlock(&queues_mu);
}

/* Waits for this connection's turn to write. Every holder gives its turn
 * back (end_turn) whether its transaction commits or fails, so the wait
 * ends; a writer in another process is SQLite's busy timeout's job. */
static void take_turn(kiosk_outbox_t *self)
{
    write_queue_t *q = self->wq;
    if (!q || self->writing)
        return;
    pthread_mutex_lock(&q->mu);
    uint64_t ticket = q->next_ticket++;
    while (q->serving != ticket)
        pthread_cond_wait(&q->cv, &q->mu);
    pthread_mutex_unlock(&q->mu);
    self->writing = true;
}

static void end_turn(kiosk_outbox_t *self)
{
    write_queue_t *q = self->wq;
    if (!q || !self->writing)
        return;
    self->writing = false;
    pthread_mutex_lock(&q->mu);
    q->serving++;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static int begin_write(kiosk_outbox_t *self, const char *doing)
{
    take_turn(self);
    int r = exec_sql(self, "BEGIN IMMEDIATE", doing);
    if (r < 0)
        end_turn(self);
    return r;
}

static int commit(kiosk_outbox_t *self, const char *doing)
{
    int r = exec_sql(self, "COMMIT", doing);
    if (r == 0)
        end_turn(self); /* on failure the caller's rollback() ends it */
    return r;
}

static void rollback(kiosk_outbox_t *self)
{
    if (!sqlite3_get_autocommit(self->db))
        (void)sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    end_turn(self);
}

static sqlite3_stmt *stmt(kiosk_outbox_t *self, int which)
{
    sqlite3_stmt *s = self->st[which];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

/* Steps a statement that returns no rows. */
static int step_done(kiosk_outbox_t *self, sqlite3_stmt *s, const char *doing)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) {
        int r = db_fail(self, rc, doing);
        sqlite3_reset(s);
        return r;
    }
    sqlite3_reset(s);
    return 0;
}

static int bind_fail(kiosk_outbox_t *self, int rc, const char *doing)
{
    return db_fail(self, rc, doing);
}

/* Reads meta integer key into *out (def when absent). */
static int meta_get_u64(kiosk_outbox_t *self, const char *key, uint64_t def,
                        uint64_t *out)
{
    sqlite3_stmt *s = stmt(self, ST_META_GET);
    int rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK)
        return bind_fail(self, rc, "read the outbox settings");
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        sqlite3_int64 v = sqlite3_column_int64(s, 0);
        *out = v > 0 ? (uint64_t)v : 0;
    } else if (rc == SQLITE_DONE) {
        *out = def;
    } else {
        int r = db_fail(self, rc, "read the outbox settings");
        sqlite3_reset(s);
        return r;
    }
    sqlite3_reset(s);
    return 0;
}

static int meta_set_u64(kiosk_outbox_t *self, const char *key, uint64_t v)
{
    sqlite3_stmt *s = stmt(self, ST_META_SET);
    int rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, (sqlite3_int64)v);
    if (rc != SQLITE_OK)
        return bind_fail(self, rc, "write the outbox settings");
    return step_done(self, s, "write the outbox settings");
}

static int meta_get_text(kiosk_outbox_t *self, const char *key, char *out,
                         size_t out_len, bool *found)
{
    sqlite3_stmt *s = stmt(self, ST_META_GET);
    int rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK)
        return bind_fail(self, rc, "read the outbox settings");
    rc = sqlite3_step(s);
    *found = false;
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(out, out_len, "%s", t ? (const char *)t : "");
        *found = true;
    } else if (rc != SQLITE_DONE) {
        int r = db_fail(self, rc, "read the outbox settings");
        sqlite3_reset(s);
        return r;
    }
    sqlite3_reset(s);
    return 0;
}

/* ---- Open / close */

static int migrate(kiosk_outbox_t *self)
{
    sqlite3_stmt *s = NULL;
    int version = 0;
    int rc = sqlite3_prepare_v2(self->db, "PRAGMA user_version", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return db_fail(self, rc, "read the schema version");
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return db_fail(self, rc, "read the schema version");
    if (version > SCHEMA_VERSION)
        return set_err(self, PROTO_EINVAL,
                       "outbox %s: written by a newer Stepwise (schema %d, "
                       "this kiosk knows %d); update the kiosk app",
                       self->path, version, SCHEMA_VERSION);
    if (version == SCHEMA_VERSION)
        return 0;

    /* Two connections may open a fresh file at once: the write lock
     * serialises them, and the second finds the schema in place. */
    int r = begin_write(self, "create the outbox tables");
    if (r < 0)
        return r;
    r = exec_sql(self, schema_sql, "create the outbox tables");
    if (r == 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
        r = exec_sql(self, sql, "record the schema version");
    }
    if (r == 0)
        r = commit(self, "create the outbox tables");
    if (r < 0)
        rollback(self);
    return r;
}

kiosk_outbox_t *kiosk_outbox_open(const char *path, char *err, size_t err_len)
{
    kiosk_outbox_t *self = NULL;
    if (!path || !*path) {
        if (err && err_len)
            snprintf(err, err_len,
                     "outbox: no file name given; pass the path of the "
                     "kiosk's outbox file");
        return NULL;
    }
    self = calloc(1, sizeof *self);
    if (!self)
        goto oom;
    self->path = strdup(path);
    if (!self->path)
        goto oom;

    int rc = sqlite3_open_v2(
        path, &self->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (!self->db)
            goto oom;
        db_fail(self, rc, "open the file");
        goto fail;
    }
    sqlite3_extended_result_codes(self->db, 1);
    if (sqlite3_busy_timeout(self->db, BUSY_TIMEOUT_MS) != SQLITE_OK) {
        db_fail(self, sqlite3_errcode(self->db), "set the busy timeout");
        goto fail;
    }

    /* WAL lets the sync thread read while the UI appends; FULL makes
     * every COMMIT fsync the log, which is what "saved" promises. */
    sqlite3_stmt *s = NULL;
    rc =
        sqlite3_prepare_v2(self->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (rc != SQLITE_OK) {
        db_fail(self, rc, "switch to WAL mode");
        goto fail;
    }
    rc = sqlite3_step(s);
    const unsigned char *mode =
        rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
    bool wal = mode && strcmp((const char *)mode, "wal") == 0;
    if (rc != SQLITE_ROW) {
        db_fail(self, rc, "switch to WAL mode");
        sqlite3_finalize(s);
        goto fail;
    }
    sqlite3_finalize(s);
    if (!wal) {
        set_err(self, PROTO_EIO,
                "outbox %s: the file system does not support SQLite's WAL "
                "mode; put the outbox on a local disk",
                path);
        goto fail;
    }
    if (exec_sql(self, "PRAGMA synchronous = FULL", "set synchronous=FULL") < 0)
        goto fail;
    self->wq = queue_get(path);
    if (!self->wq) {
        set_err(self, PROTO_EIO,
                "outbox %s: cannot examine the file (%s); check that the "
                "kiosk user may read it",
                path, strerror(errno));
        goto fail;
    }
    if (migrate(self) < 0)
        goto fail;
    for (int i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(self->db, stmt_sql[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &self->st[i], NULL);
        if (rc != SQLITE_OK) {
            db_fail(self, rc, "prepare its statements");
            goto fail;
        }
    }
    /* Stamp this process's boot so support can tell restarts apart. */
    if (begin_write(self, "record the boot") < 0)
        goto fail;
    if (meta_set_u64(self, "last_boot_id", kiosk_outbox_boot_id()) < 0 ||
        commit(self, "record the boot") < 0) {
        rollback(self);
        goto fail;
    }
    self->err[0] = '\0';
    return self;

oom:
    if (err && err_len)
        snprintf(err, err_len,
                 "outbox %s: out of memory while opening; restart the kiosk "
                 "app",
                 path);
    kiosk_outbox_destroy(&self);
    return NULL;
fail:
    if (err && err_len)
        snprintf(err, err_len, "%s", self->err);
    kiosk_outbox_destroy(&self);
    return NULL;
}

void kiosk_outbox_destroy(kiosk_outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kiosk_outbox_t *self = *self_p;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(self->st[i]);
    if (self->db) {
        rollback(self); /* gives back a write turn still held */
        sqlite3_close(self->db);
    }
    queue_put(self->wq);
    free(self->path);
    free(self);
    *self_p = NULL;
}

/* ---- Identity */

int kiosk_outbox_set_identity(kiosk_outbox_t *self, const char *kiosk_id)
{
    if (!self)
        return PROTO_EINVAL;
    if (!kiosk_id || !*kiosk_id || strlen(kiosk_id) > PROTO_ID_MAX)
        return set_err(self, PROTO_EINVAL,
                       "outbox %s: kiosk id \"%s\" is empty or longer than "
                       "%d bytes; use the id the kiosk was enrolled with",
                       self->path, kiosk_id ? kiosk_id : "", PROTO_ID_MAX);
    char have[PROTO_ID_MAX + 1];
    bool found = false;
    int r = begin_write(self, "record the kiosk id");
    if (r < 0)
        return r;
    r = meta_get_text(self, "kiosk_id", have, sizeof have, &found);
    if (r < 0)
        goto done;
    if (found) {
        if (strcmp(have, kiosk_id) != 0)
            r = set_err(self, PROTO_EINVAL,
                        "outbox %s belongs to kiosk \"%s\", not \"%s\"; "
                        "use that kiosk's id or a new outbox file",
                        self->path, have, kiosk_id);
        goto done;
    }
    sqlite3_stmt *s = stmt(self, ST_META_SET);
    int rc = sqlite3_bind_text(s, 1, "kiosk_id", -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 2, kiosk_id, -1, SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) {
        r = bind_fail(self, rc, "record the kiosk id");
        goto done;
    }
    r = step_done(self, s, "record the kiosk id");
    if (r == 0)
        r = commit(self, "record the kiosk id");
done:
    if (r < 0) {
        rollback(self);
        return r;
    }
    rollback(self); /* the already-set case ends the read here */
    snprintf(self->kiosk_id, sizeof self->kiosk_id, "%s", kiosk_id);
    return 0;
}

int kiosk_outbox_get_identity(kiosk_outbox_t *self,
                              char kiosk_id[PROTO_ID_MAX + 1])
{
    if (!self || !kiosk_id)
        return PROTO_EINVAL;
    if (!self->kiosk_id[0]) {
        bool found = false;
        int r = meta_get_text(self, "kiosk_id", self->kiosk_id,
                              sizeof self->kiosk_id, &found);
        if (r < 0)
            return r;
        if (!found) {
            self->kiosk_id[0] = '\0';
            return set_err(self, PROTO_ENOTFOUND,
                           "outbox %s has no kiosk id yet; set it (the id "
                           "the kiosk was enrolled with) before capturing",
                           self->path);
        }
    }
    memcpy(kiosk_id, self->kiosk_id, PROTO_ID_MAX + 1);
    return 0;
}

/* ---- Encoding of one stored event */

static int encode_one(const proto_event_t *ev, uint8_t **out, size_t *len)
{
    proto_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_MSG_PUSH;
    m.u.push.n_events = 1;
    m.u.push.events = (proto_event_t *)ev; /* borrowed: never cleared */
    return proto_encode(&m, out, len);
}

/* Decodes stored bytes into *ev (clear on entry). */
static int decode_one(kiosk_outbox_t *self, uint64_t seq, const void *blob,
                      int len, proto_event_t *ev)
{
    proto_msg_t m;
    proto_diag_t diag;
    memset(&m, 0, sizeof m);
    memset(&diag, 0, sizeof diag);
    int r = proto_decode(blob, len > 0 ? (size_t)len : 0, PROTO_MAX_FRAME, &m,
                         &diag);
    if (r == 0 && (m.type != PROTO_MSG_PUSH || m.u.push.n_events != 1))
        r = PROTO_EMALFORMED;
    if (r == 0) {
        /* move the event out: the message keeps a zeroed shell */
        *ev = m.u.push.events[0];
        memset(&m.u.push.events[0], 0, sizeof m.u.push.events[0]);
    }
    proto_msg_clear(&m);
    if (r < 0)
        return set_err(self, r,
                       "outbox %s: stored event %llu cannot be read (%s at "
                       "%s); keep the file for support",
                       self->path, (unsigned long long)seq, proto_strerror(r),
                       diag.where[0] ? diag.where : "?");
    return 0;
}

/* ---- Capture */

int kiosk_outbox_append(kiosk_outbox_t *self, proto_event_t *ev,
                        uint64_t *seq_out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t last = 0, floor = 0, seq = 0;
    int r;

    if (!self)
        return PROTO_EINVAL;
    if (!ev)
        return set_err(self, PROTO_EINVAL,
                       "outbox %s: append was given no event", self->path);
    if (!ev->kiosk_id[0]) {
        r = kiosk_outbox_get_identity(self, ev->kiosk_id);
        if (r < 0)
            return r;
    }
    if (ev->captured_ms == 0)
        ev->captured_ms = wall_ms();
    if (ev->boot_id == 0)
        ev->boot_id = kiosk_outbox_boot_id();
    if (ev->mono_ms == 0)
        ev->mono_ms = kiosk_outbox_mono_ms();

    r = begin_write(self, "save the event");
    if (r < 0)
        return r;
    r = meta_get_u64(self, "last_seq", 0, &last);
    if (r == 0)
        r = meta_get_u64(self, "seq_floor", 0, &floor);
    if (r < 0)
        goto done;
    seq = (last > floor ? last : floor) + 1;
    ev->seq = seq;
    r = encode_one(ev, &buf, &len);
    if (r < 0) {
        r = set_err(self, r == PROTO_ENOMEM ? PROTO_ENOMEM : PROTO_EINVAL,
                    "outbox %s: the %s event was not saved: %s (a text too "
                    "long, a missing field or a value out of range); "
                    "correct it and save again",
                    self->path, proto_event_name(ev->type), proto_strerror(r));
        goto done;
    }
    sqlite3_stmt *s = stmt(self, ST_INSERT);
    int rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 2, (int)ev->type);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, ev->captured_ms);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob(s, 4, buf, (int)len, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        r = bind_fail(self, rc, "save the event");
        goto done;
    }
    r = step_done(self, s, "save the event");
    sqlite3_clear_bindings(s); /* buf is freed below */
    if (r == 0)
        r = meta_set_u64(self, "last_seq", seq);
    if (r == 0)
        r = commit(self, "save the event");
done:
    proto_free(buf);
    if (r < 0) {
        rollback(self);
        ev->seq = 0;
        return r;
    }
    if (seq_out)
        *seq_out = seq;
    return 0;
}

/* ---- Sending */

int kiosk_outbox_pending(kiosk_outbox_t *self, uint64_t after_seq, uint32_t max,
                         proto_msg_t *push)
{
    if (!self || !push)
        return PROTO_EINVAL;
    memset(push, 0, sizeof *push);
    push->type = PROTO_MSG_PUSH;
    if (max == 0)
        return 0;
    if (max > PROTO_MAX_BATCH)
        max = PROTO_MAX_BATCH;
    push->u.push.events = proto_malloc(sizeof(proto_event_t) * max);
    if (!push->u.push.events)
        return set_err(self, PROTO_ENOMEM,
                       "outbox %s: out of memory reading %u events; lower "
                       "the batch size",
                       self->path, max);
    memset(push->u.push.events, 0, sizeof(proto_event_t) * max);

    sqlite3_stmt *s = stmt(self, ST_PENDING);
    int rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)after_seq);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, max);
    if (rc != SQLITE_OK) {
        int r = bind_fail(self, rc, "read unsent events");
        proto_msg_clear(push);
        push->type = PROTO_MSG_PUSH;
        return r;
    }
    int r = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
        const void *blob = sqlite3_column_blob(s, 1);
        int blen = sqlite3_column_bytes(s, 1);
        proto_event_t *ev = &push->u.push.events[push->u.push.n_events];
        r = decode_one(self, seq, blob, blen, ev);
        if (r < 0)
            break;
        if (ev->seq != seq) {
            r = set_err(self, PROTO_EMALFORMED,
                        "outbox %s: stored event %llu says it is %llu; keep "
                        "the file for support",
                        self->path, (unsigned long long)seq,
                        (unsigned long long)ev->seq);
            proto_event_clear(ev);
            break;
        }
        push->u.push.n_events++;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = db_fail(self, rc, "read unsent events");
    sqlite3_reset(s);
    if (r < 0) {
        proto_msg_clear(push);
        push->type = PROTO_MSG_PUSH;
    }
    return r;
}

int kiosk_outbox_pending_frame(kiosk_outbox_t *self, uint64_t after_seq,
                               uint32_t max, uint8_t **frame, size_t *len,
                               uint32_t *n, uint64_t *first, uint64_t *last)
{
    if (!self || !frame || !len || !n || !first || !last)
        return PROTO_EINVAL;
    *frame = NULL;
    *len = 0;
    *n = 0;
    *first = *last = 0;
    if (max > PROTO_MAX_BATCH)
        max = PROTO_MAX_BATCH;
    if (max == 0)
        return 0;
    /* the stored encodings, end to end (a row's blob lives only until the
     * next step), then joined at once */
    const uint8_t *parts[PROTO_MAX_BATCH];
    size_t offs[PROTO_MAX_BATCH], lens[PROTO_MAX_BATCH];
    uint8_t *all = NULL;
    size_t used = 0, cap = 0;
    sqlite3_stmt *s = stmt(self, ST_PENDING);
    int rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)after_seq);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, max);
    if (rc != SQLITE_OK)
        return bind_fail(self, rc, "read unsent events");
    int r = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const void *blob = sqlite3_column_blob(s, 1);
        size_t blen = (size_t)sqlite3_column_bytes(s, 1);
        if (used + blen > cap) {
            size_t want = cap ? cap : 65536;
            while (want < used + blen)
                want *= 2;
            uint8_t *grown = realloc(all, want);
            if (!grown) {
                r = set_err(self, PROTO_ENOMEM,
                            "outbox %s: out of memory reading %u events; "
                            "lower the batch size",
                            self->path, max);
                break;
            }
            all = grown;
            cap = want;
        }
        if (blen)
            memcpy(all + used, blob, blen);
        offs[*n] = used;
        lens[*n] = blen;
        used += blen;
        *last = (uint64_t)sqlite3_column_int64(s, 0);
        if (*n == 0)
            *first = *last;
        (*n)++;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = db_fail(self, rc, "read unsent events");
    sqlite3_reset(s);
    for (uint32_t i = 0; r == 0 && i < *n; i++)
        parts[i] = all + offs[i];
    if (r == 0 && *n > 0)
        r = proto_push_join(parts, lens, *n, frame, len);
    free(all);
    if (r < 0)
        *n = 0;
    return r;
}

/* Records the server's mark, raising the floor when the server holds seqs
 * this store never assigned. Inside a write transaction. */
static int note_acked_mark(kiosk_outbox_t *self, uint64_t acked_seq,
                           bool lower_ok)
{
    uint64_t have = 0, last = 0, floor = 0;
    int r = meta_get_u64(self, "acked_seq", 0, &have);
    if (r == 0)
        r = meta_get_u64(self, "last_seq", 0, &last);
    if (r == 0)
        r = meta_get_u64(self, "seq_floor", 0, &floor);
    if (r < 0)
        return r;
    if (acked_seq > have || (lower_ok && acked_seq != have))
        r = meta_set_u64(self, "acked_seq", acked_seq);
    if (r == 0 && acked_seq > last && acked_seq > floor)
        r = meta_set_u64(self, "seq_floor", acked_seq);
    return r;
}

int kiosk_outbox_ack(kiosk_outbox_t *self, uint64_t acked_seq,
                     const proto_reject_t *rejects, uint32_t n_rejects,
                     uint64_t *newly_acked)
{
    if (!self || (n_rejects && !rejects))
        return PROTO_EINVAL;
    int64_t now = wall_ms();
    uint64_t n = 0;
    /* The acknowledgement is committed without its own fsync
     * (synchronous=NORMAL for this one transaction; WAL keeps it atomic
     * and ordered). Losing it in a power cut is harmless: the events
     * stay marked unsent, the next WELCOME carries the server's mark and
     * marks them acked again, and anything re-pushed has seq <= that mark
     * and is ignored by syncd, so nothing is lost or stored twice. The
     * next fsynced commit (an append) makes it durable anyway. It saves
     * one fsync per batch on the backlog path (docs/PERFORMANCE.md). */
    int r = exec_sql(self, "PRAGMA synchronous = NORMAL",
                     "record the server's acknowledgement");
    if (r < 0)
        return r;
    r = begin_write(self, "record the server's acknowledgement");
    if (r < 0)
        goto restore;
    sqlite3_stmt *s = stmt(self, ST_ACK_RANGE);
    int rc = sqlite3_bind_int64(s, 1, now);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, (sqlite3_int64)acked_seq);
    if (rc != SQLITE_OK) {
        r = bind_fail(self, rc, "record the server's acknowledgement");
        goto done;
    }
    r = step_done(self, s, "record the server's acknowledgement");
    if (r < 0)
        goto done;
    n = (uint64_t)sqlite3_changes(self->db);
    for (uint32_t i = 0; i < n_rejects; i++) {
        s = stmt(self, ST_REJECT);
        const char *reason = rejects[i].reason ? rejects[i].reason : "";
        rc = sqlite3_bind_int(s, 1, rejects[i].code);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, 3, now);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, 4, (sqlite3_int64)rejects[i].seq);
        if (rc != SQLITE_OK) {
            r = bind_fail(self, rc, "record a rejected event");
            goto done;
        }
        r = step_done(self, s, "record a rejected event");
        if (r < 0)
            goto done;
        /* a reject above the cumulative mark still counts as acked */
        if (rejects[i].seq > acked_seq)
            n += (uint64_t)sqlite3_changes(self->db);
    }
    r = note_acked_mark(self, acked_seq, false);
    if (r == 0)
        r = meta_set_u64(self, "last_sync_ms", (uint64_t)now);
    if (r == 0)
        r = commit(self, "record the server's acknowledgement");
done:
    if (r < 0)
        rollback(self);
    else if (newly_acked)
        *newly_acked = n;
restore:;
    /* every other write (appends above all) stays fsynced */
    int rr = exec_sql(self, "PRAGMA synchronous = FULL",
                      "restore synchronous=FULL after an acknowledgement");
    return r < 0 ? r : rr;
}

/* Renumbers unsent events with seq <= floor to above max(last, floor), in
 * order, rewriting votes that point at a renumbered suggestion of this
 * kiosk. Inside a write transaction. */
static int renumber_below(kiosk_outbox_t *self, uint64_t floor,
                          uint64_t *renumbered)
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    uint64_t last = 0, old_floor = 0, count = 0;
    /* old -> new seq of renumbered suggestions, for votes that follow */
    uint64_t(*moved)[2] = NULL;
    size_t n_moved = 0, cap_moved = 0;
    int r = meta_get_u64(self, "last_seq", 0, &last);
    if (r == 0)
        r = meta_get_u64(self, "seq_floor", 0, &old_floor);
    if (r < 0)
        return r;
    uint64_t next = last;
    if (old_floor > next)
        next = old_floor;
    if (floor > next)
        next = floor;

    int rc = sqlite3_prepare_v2(self->db,
                                "SELECT seq, msg FROM events WHERE acked_ms "
                                "IS NULL AND seq <= ?1 ORDER BY seq",
                                -1, &sel, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(self->db,
                                "UPDATE events SET seq = ?1, msg = ?2 "
                                "WHERE seq = ?3",
                                -1, &upd, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(sel, 1, (sqlite3_int64)floor);
    if (rc != SQLITE_OK) {
        r = db_fail(self, rc, "renumber unsent events");
        goto done;
    }
    /* New seqs are all above every existing one, so updating rows while
     * the select walks lower seqs never meets a moved row again. */
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        uint64_t old = (uint64_t)sqlite3_column_int64(sel, 0);
        proto_event_t ev;
        memset(&ev, 0, sizeof ev);
        r = decode_one(self, old, sqlite3_column_blob(sel, 1),
                       sqlite3_column_bytes(sel, 1), &ev);
        if (r < 0)
            goto done;
        ev.seq = ++next;
        if (ev.type == PROTO_EV_VOTE) {
            for (size_t i = 0; i < n_moved; i++) {
                char was[PROTO_ID_MAX + 24], now_id[PROTO_ID_MAX + 24];
                snprintf(was, sizeof was, "%s:%llu", ev.kiosk_id,
                         (unsigned long long)moved[i][0]);
                if (strcmp(was, ev.suggestion_id) != 0)
                    continue;
                int w = snprintf(now_id, sizeof now_id, "%s:%llu", ev.kiosk_id,
                                 (unsigned long long)moved[i][1]);
                /* an id that no longer fits keeps the old one: the vote
                 * is then rejected and shown, never silently changed */
                if (w > 0 && w <= PROTO_ID_MAX)
                    memcpy(ev.suggestion_id, now_id, (size_t)w + 1);
                break;
            }
        } else if (ev.type == PROTO_EV_SUGGESTION) {
            void *p = grow(moved, n_moved, &cap_moved, sizeof *moved);
            if (!p) {
                proto_event_clear(&ev);
                r = set_err(self, PROTO_ENOMEM,
                            "outbox %s: out of memory renumbering "
                            "events; restart the kiosk app",
                            self->path);
                goto done;
            }
            moved = p;
            moved[n_moved][0] = old;
            moved[n_moved][1] = ev.seq;
            n_moved++;
        }
        uint8_t *buf = NULL;
        size_t len = 0;
        r = encode_one(&ev, &buf, &len);
        proto_event_clear(&ev);
        if (r < 0) {
            r = set_err(self, r,
                        "outbox %s: event %llu could not be re-encoded (%s); "
                        "keep the file for support",
                        self->path, (unsigned long long)old, proto_strerror(r));
            goto done;
        }
        sqlite3_reset(upd);
        rc = sqlite3_bind_int64(upd, 1, (sqlite3_int64)next);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_blob(upd, 2, buf, (int)len, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(upd, 3, (sqlite3_int64)old);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(upd);
            if (rc == SQLITE_DONE)
                rc = SQLITE_OK;
        }
        sqlite3_reset(upd);
        sqlite3_clear_bindings(upd);
        proto_free(buf);
        if (rc != SQLITE_OK) {
            r = db_fail(self, rc, "renumber unsent events");
            goto done;
        }
        count++;
    }
    if (rc != SQLITE_DONE) {
        r = db_fail(self, rc, "renumber unsent events");
        goto done;
    }
    r = meta_set_u64(self, "seq_floor", floor > old_floor ? floor : old_floor);
    if (r == 0 && next > last)
        r = meta_set_u64(self, "last_seq", next);
    if (r == 0 && renumbered)
        *renumbered = count;
done:
    free(moved);
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return r;
}

int kiosk_outbox_set_seq_floor(kiosk_outbox_t *self, uint64_t floor,
                               uint64_t *renumbered)
{
    if (!self)
        return PROTO_EINVAL;
    uint64_t n = 0;
    int r = begin_write(self, "raise the sequence floor");
    if (r < 0)
        return r;
    r = renumber_below(self, floor, &n);
    if (r == 0)
        r = commit(self, "raise the sequence floor");
    if (r < 0) {
        rollback(self);
        return r;
    }
    if (renumbered)
        *renumbered = n;
    return 0;
}

int kiosk_outbox_reconcile(kiosk_outbox_t *self, uint64_t server_acked,
                           kiosk_outbox_reconcile_t *out)
{
    if (!self)
        return PROTO_EINVAL;
    kiosk_outbox_reconcile_t res = {0, 0, 0};
    uint64_t last = 0, floor = 0, ours = 0;
    int64_t now = wall_ms();
    int r = begin_write(self, "reconcile with the server");
    if (r < 0)
        return r;
    r = meta_get_u64(self, "last_seq", 0, &last);
    if (r == 0)
        r = meta_get_u64(self, "seq_floor", 0, &floor);
    if (r == 0)
        r = meta_get_u64(self, "acked_seq", 0, &ours);
    if (r < 0)
        goto done;
    uint64_t top = last > floor ? last : floor;
    if (server_acked > top) {
        /* The server knows seqs this store never gave: it was reset. */
        r = renumber_below(self, server_acked, &res.renumbered);
        if (r == 0)
            r = meta_set_u64(self, "acked_seq", server_acked);
        goto done;
    }
    sqlite3_stmt *s = stmt(self, ST_ACK_RANGE);
    int rc = sqlite3_bind_int64(s, 1, now);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, (sqlite3_int64)server_acked);
    if (rc != SQLITE_OK) {
        r = bind_fail(self, rc, "reconcile with the server");
        goto done;
    }
    r = step_done(self, s, "reconcile with the server");
    if (r < 0)
        goto done;
    res.acked = (uint64_t)sqlite3_changes(self->db);
    if (server_acked < ours) {
        /* The server lost what it had acked (restored from a backup):
         * send again what is still kept. */
        sqlite3_stmt *u = NULL;
        rc = sqlite3_prepare_v2(self->db,
                                "UPDATE events SET acked_ms = NULL, "
                                "reject_code = NULL, reject_reason = NULL "
                                "WHERE seq > ?1 AND acked_ms IS NOT NULL",
                                -1, &u, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(u, 1, (sqlite3_int64)server_acked);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(u);
            if (rc == SQLITE_DONE) {
                rc = SQLITE_OK;
                res.resent = (uint64_t)sqlite3_changes(self->db);
            }
        }
        if (rc != SQLITE_OK)
            r = db_fail(self, rc, "mark events for sending again");
        sqlite3_finalize(u);
        if (r < 0)
            goto done;
    }
    r = note_acked_mark(self, server_acked, true);
done:
    if (r == 0)
        r = commit(self, "reconcile with the server");
    if (r < 0) {
        rollback(self);
        return r;
    }
    if (out)
        *out = res;
    return 0;
}

/* ---- Reading state */

/* Runs a one-value integer query with up to one integer parameter. */
static int query_u64(kiosk_outbox_t *self, const char *sql, bool has_arg,
                     uint64_t arg, uint64_t *out, const char *doing)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(self->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK && has_arg)
        rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)arg);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            sqlite3_int64 v = sqlite3_column_int64(s, 0);
            *out = v > 0 ? (uint64_t)v : 0;
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            *out = 0;
            rc = SQLITE_OK;
        }
    }
    int r = rc == SQLITE_OK ? 0 : db_fail(self, rc, doing);
    sqlite3_finalize(s);
    return r;
}

int kiosk_outbox_stats(kiosk_outbox_t *self, kiosk_outbox_stats_t *out)
{
    if (!self || !out)
        return PROTO_EINVAL;
    kiosk_outbox_stats_t st;
    memset(&st, 0, sizeof st);
    uint64_t floor = 0, oldest = 0, last_sync = 0;
    const char *doing = "read the outbox figures";
    /* one read transaction: the figures agree with each other */
    int r = exec_sql(self, "BEGIN", doing);
    if (r < 0)
        return r;
    r = meta_get_u64(self, "last_seq", 0, &st.last_seq);
    if (r == 0)
        r = meta_get_u64(self, "seq_floor", 0, &floor);
    if (r == 0)
        r = meta_get_u64(self, "acked_seq", 0, &st.acked_seq);
    if (r == 0)
        r = meta_get_u64(self, "last_sync_ms", 0, &last_sync);
    if (r == 0)
        r = meta_get_u64(self, "catalogue_version", 0, &st.catalogue_version);
    if (r == 0)
        r = meta_get_u64(self, "feed_cursor", 0, &st.feed_cursor);
    if (r == 0)
        r = query_u64(self,
                      "SELECT count(*) FROM events WHERE acked_ms IS NULL",
                      false, 0, &st.depth, doing);
    if (r == 0)
        r = query_u64(self,
                      "SELECT min(captured_ms) FROM events "
                      "WHERE acked_ms IS NULL",
                      false, 0, &oldest, doing);
    if (r == 0)
        r = query_u64(self,
                      "SELECT count(*) FROM events "
                      "WHERE reject_code IS NOT NULL",
                      false, 0, &st.rejected, doing);
    if (r == 0)
        r = query_u64(self, "SELECT count(*) FROM events", false, 0, &st.total,
                      doing);
    rollback(self);
    if (r < 0)
        return r;
    if (floor > st.last_seq)
        st.last_seq = floor;
    st.last_sync_ms = (int64_t)last_sync;
    if (st.depth > 0 && oldest > 0) {
        int64_t age = wall_ms() - (int64_t)oldest;
        st.oldest_unsent_s = age > 0 ? (uint64_t)age / 1000 : 0;
    }
    *out = st;
    return 0;
}

int kiosk_outbox_tally(kiosk_outbox_t *self, uint64_t after_seq,
                       kiosk_outbox_tally_t *out)
{
    if (!self || !out)
        return PROTO_EINVAL;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(
        self->db,
        "SELECT coalesce(sum(acked_ms IS NOT NULL AND reject_code IS NULL), "
        "0), coalesce(sum(reject_code IS NOT NULL), 0), "
        "coalesce(sum(acked_ms IS NULL), 0) FROM events WHERE seq > ?1",
        -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)after_seq);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            out->acked = (uint64_t)sqlite3_column_int64(s, 0);
            out->rejected = (uint64_t)sqlite3_column_int64(s, 1);
            out->pending = (uint64_t)sqlite3_column_int64(s, 2);
            rc = SQLITE_OK;
        }
    }
    int r = rc == SQLITE_OK ? 0 : db_fail(self, rc, "count events");
    sqlite3_finalize(s);
    return r;
}

int kiosk_outbox_get(kiosk_outbox_t *self, uint64_t seq, proto_event_t *ev,
                     kiosk_event_state_t *state)
{
    if (!self || !ev)
        return PROTO_EINVAL;
    sqlite3_stmt *s = stmt(self, ST_GET);
    int rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
    if (rc != SQLITE_OK)
        return bind_fail(self, rc, "read an event");
    rc = sqlite3_step(s);
    int r = 0;
    if (rc == SQLITE_ROW) {
        r = decode_one(self, seq, sqlite3_column_blob(s, 0),
                       sqlite3_column_bytes(s, 0), ev);
        if (r == 0 && state) {
            if (sqlite3_column_type(s, 2) != SQLITE_NULL)
                *state = KIOSK_EVENT_REJECTED;
            else if (sqlite3_column_type(s, 1) != SQLITE_NULL)
                *state = KIOSK_EVENT_ACKED;
            else
                *state = KIOSK_EVENT_PENDING;
        }
    } else if (rc == SQLITE_DONE) {
        r = set_err(self, PROTO_ENOTFOUND,
                    "outbox %s: event %llu is not kept (never captured, or "
                    "pruned after its retention)",
                    self->path, (unsigned long long)seq);
    } else {
        r = db_fail(self, rc, "read an event");
    }
    sqlite3_reset(s);
    return r;
}

/* Prepares a list query whose ?1 is its LIMIT. */
static int prepare_limited(kiosk_outbox_t *self, const char *sql, size_t max,
                           sqlite3_stmt **s)
{
    int rc = sqlite3_prepare_v2(self->db, sql, -1, s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(
            *s, 1, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
    return rc;
}

int kiosk_outbox_rejected(kiosk_outbox_t *self, size_t max,
                          kiosk_rejected_t **out, size_t *n)
{
    if (!self || !out || !n)
        return PROTO_EINVAL;
    *out = NULL;
    *n = 0;
    if (max == 0)
        return 0;
    sqlite3_stmt *s = NULL;
    kiosk_rejected_t *list = NULL;
    size_t count = 0, cap = 0;
    int r = 0;
    int rc = prepare_limited(
        self,
        "SELECT seq, type, captured_ms, acked_ms, reject_code, reject_reason "
        "FROM events WHERE reject_code IS NOT NULL ORDER BY seq DESC "
        "LIMIT ?1",
        max, &s);
    if (rc != SQLITE_OK) {
        r = db_fail(self, rc, "list rejected events");
        goto done;
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        kiosk_rejected_t *p = grow(list, count, &cap, sizeof *list);
        if (!p) {
            r = set_err(self, PROTO_ENOMEM,
                        "outbox %s: out of memory listing rejected events",
                        self->path);
            goto done;
        }
        list = p;
        kiosk_rejected_t *e = &list[count++];
        memset(e, 0, sizeof *e);
        e->seq = (uint64_t)sqlite3_column_int64(s, 0);
        e->type = (proto_event_type_t)sqlite3_column_int(s, 1);
        e->captured_ms = sqlite3_column_int64(s, 2);
        e->acked_ms = sqlite3_column_int64(s, 3);
        e->code = sqlite3_column_int(s, 4);
        const unsigned char *t = sqlite3_column_text(s, 5);
        snprintf(e->reason, sizeof e->reason, "%s", t ? (const char *)t : "");
    }
    if (rc != SQLITE_DONE)
        r = db_fail(self, rc, "list rejected events");
done:
    sqlite3_finalize(s);
    if (r < 0) {
        free(list);
        return r;
    }
    *out = list;
    *n = count;
    return 0;
}

int kiosk_outbox_prune(kiosk_outbox_t *self, int64_t now_ms,
                       int64_t retention_ms, uint64_t *pruned)
{
    if (!self || retention_ms < 0)
        return PROTO_EINVAL;
    const char *doing = "prune old events";
    sqlite3_stmt *s = NULL;
    uint64_t n = 0;
    int r = begin_write(self, doing);
    if (r < 0)
        return r;
    int rc = sqlite3_prepare_v2(self->db,
                                "DELETE FROM events WHERE acked_ms IS NOT "
                                "NULL AND acked_ms < ?1",
                                -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 1, now_ms - retention_ms);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        r = db_fail(self, rc, doing);
    else
        n = (uint64_t)sqlite3_changes(self->db);
    sqlite3_finalize(s);
    if (r == 0)
        r = commit(self, doing);
    if (r < 0) {
        rollback(self);
        return r;
    }
    if (pruned)
        *pruned = n;
    return 0;
}

/* ---- Catalogue cache */

int kiosk_outbox_catalogue_put(kiosk_outbox_t *self, uint64_t version,
                               const char *yaml, size_t len)
{
    if (!self)
        return PROTO_EINVAL;
    if (!yaml || version == 0 || len > PROTO_CATALOGUE_MAX)
        return set_err(self, PROTO_EINVAL,
                       "outbox %s: catalogue to cache has no text, version "
                       "0 or more than %u bytes; nothing cached",
                       self->path, PROTO_CATALOGUE_MAX);
    const char *doing = "cache the catalogue";
    uint64_t have = 0;
    sqlite3_stmt *s = NULL;
    int r = begin_write(self, doing);
    if (r < 0)
        return r;
    r = query_u64(self, "SELECT max(version) FROM catalogue", false, 0, &have,
                  doing);
    if (r < 0 || version <= have)
        goto done;
    int rc = sqlite3_prepare_v2(self->db,
                                "INSERT INTO catalogue(version, yaml, "
                                "stored_ms) VALUES (?1, ?2, ?3)",
                                -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)version);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 2, yaml, (int)len, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, wall_ms());
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        r = db_fail(self, rc, doing);
        goto done;
    }
    r = exec_sql(self,
                 "DELETE FROM catalogue WHERE version < "
                 "(SELECT max(version) FROM catalogue)",
                 doing);
    if (r == 0)
        r = meta_set_u64(self, "catalogue_version", version);
done:
    sqlite3_finalize(s);
    if (r == 0)
        r = commit(self, doing);
    if (r < 0)
        rollback(self);
    return r;
}

int kiosk_outbox_catalogue_get(kiosk_outbox_t *self, uint64_t *version,
                               char **yaml, size_t *len)
{
    if (!self)
        return PROTO_EINVAL;
    if (yaml)
        *yaml = NULL;
    if (len)
        *len = 0;
    sqlite3_stmt *s = NULL;
    int r = 0;
    int rc = sqlite3_prepare_v2(self->db,
                                "SELECT version, yaml FROM catalogue "
                                "ORDER BY version DESC LIMIT 1",
                                -1, &s, NULL);
    if (rc != SQLITE_OK) {
        r = db_fail(self, rc, "read the cached catalogue");
        goto done;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        r = set_err(self, PROTO_ENOTFOUND,
                    "outbox %s: no catalogue cached yet; the kiosk fetches "
                    "it at its next sync",
                    self->path);
        goto done;
    }
    if (rc != SQLITE_ROW) {
        r = db_fail(self, rc, "read the cached catalogue");
        goto done;
    }
    if (version)
        *version = (uint64_t)sqlite3_column_int64(s, 0);
    if (yaml) {
        const unsigned char *t = sqlite3_column_text(s, 1);
        int n = sqlite3_column_bytes(s, 1);
        char *copy = malloc((size_t)n + 1);
        if (!copy) {
            r = set_err(self, PROTO_ENOMEM,
                        "outbox %s: out of memory reading the catalogue",
                        self->path);
            goto done;
        }
        if (n > 0)
            memcpy(copy, t, (size_t)n);
        copy[n] = '\0';
        *yaml = copy;
        if (len)
            *len = (size_t)n;
    }
done:
    sqlite3_finalize(s);
    return r;
}

/* ---- Feed cache */

static int bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
    return t ? sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC)
             : sqlite3_bind_null(s, i);
}

int kiosk_outbox_feed_apply(kiosk_outbox_t *self, const proto_msg_t *feed)
{
    if (!self || !feed || feed->type != PROTO_MSG_FEED)
        return PROTO_EINVAL;
    const char *doing = "cache the feed";
    sqlite3_stmt *su = NULL, *ss = NULL;
    int r = begin_write(self, doing);
    if (r < 0)
        return r;
    int rc = sqlite3_prepare_v2(
        self->db,
        "INSERT INTO suggestions(id, kind, status, title, body, process_id, "
        "step_id, author_id, votes, owner_id, due, feedback, merged_into, "
        "created_ms, updated_ms) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
        "ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, "
        "status = excluded.status, title = excluded.title, "
        "body = excluded.body, process_id = excluded.process_id, "
        "step_id = excluded.step_id, author_id = excluded.author_id, "
        "votes = excluded.votes, owner_id = excluded.owner_id, "
        "due = excluded.due, feedback = excluded.feedback, "
        "merged_into = excluded.merged_into, "
        "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms",
        -1, &su, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(self->db,
                                "INSERT OR REPLACE INTO standings(week, "
                                "staff_id, team_id, points, rank) VALUES "
                                "(?1, ?2, ?3, ?4, ?5)",
                                -1, &ss, NULL);
    for (uint32_t i = 0; rc == SQLITE_OK && i < feed->u.feed.n_suggestions;
         i++) {
        const proto_suggestion_t *g = &feed->u.feed.suggestions[i];
        sqlite3_reset(su);
        rc = sqlite3_bind_text(su, 1, g->id, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int(su, 2, (int)g->kind);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(su, 3, g->status, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(su, 4, g->title ? g->title : "", -1,
                                   SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = bind_text_or_null(su, 5, g->body);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(su, 6, g->process_id, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(su, 7, g->step_id, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(su, 8, g->author_id, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(su, 9, g->votes);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(su, 10, g->owner_id, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(su, 11, g->due, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = bind_text_or_null(su, 12, g->feedback);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(su, 13, g->merged_into, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(su, 14, g->created_ms);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(su, 15, g->updated_ms);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(su);
            if (rc == SQLITE_DONE)
                rc = SQLITE_OK;
        }
    }
    for (uint32_t i = 0; rc == SQLITE_OK && i < feed->u.feed.n_standings; i++) {
        const proto_standing_t *st = &feed->u.feed.standings[i];
        sqlite3_reset(ss);
        rc = sqlite3_bind_text(ss, 1, st->week, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(ss, 2, st->staff_id, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(ss, 3, st->team_id, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ss, 4, st->points);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(ss, 5, st->rank);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(ss);
            if (rc == SQLITE_DONE)
                rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        r = db_fail(self, rc, doing);
    sqlite3_finalize(su);
    sqlite3_finalize(ss);
    if (r == 0)
        r = meta_set_u64(self, "feed_cursor", feed->u.feed.cursor);
    if (r == 0)
        r = commit(self, doing);
    if (r < 0)
        rollback(self);
    return r;
}

int kiosk_outbox_feed_cursor(kiosk_outbox_t *self, uint64_t *cursor)
{
    if (!self || !cursor)
        return PROTO_EINVAL;
    return meta_get_u64(self, "feed_cursor", 0, cursor);
}

static int col_copy(kiosk_outbox_t *self, sqlite3_stmt *s, int col, char **dst)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    *dst = NULL;
    if (!t)
        return 0;
    *dst = proto_strdup((const char *)t);
    if (!*dst)
        return set_err(self, PROTO_ENOMEM,
                       "outbox %s: out of memory reading suggestions",
                       self->path);
    return 0;
}

static void col_text(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

int kiosk_outbox_suggestions(kiosk_outbox_t *self, size_t max,
                             proto_suggestion_t **out, size_t *n)
{
    if (!self || !out || !n)
        return PROTO_EINVAL;
    *out = NULL;
    *n = 0;
    if (max == 0)
        return 0;
    sqlite3_stmt *s = NULL;
    proto_suggestion_t *list = NULL;
    size_t count = 0, cap = 0;
    int r = 0;
    int rc = prepare_limited(
        self,
        "SELECT id, kind, status, title, body, process_id, step_id, "
        "author_id, votes, owner_id, due, feedback, merged_into, created_ms, "
        "updated_ms FROM suggestions ORDER BY votes DESC, updated_ms DESC, "
        "id LIMIT ?1",
        max, &s);
    if (rc != SQLITE_OK) {
        r = db_fail(self, rc, "list cached suggestions");
        goto done;
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        proto_suggestion_t *p = grow(list, count, &cap, sizeof *list);
        if (!p) {
            r = set_err(self, PROTO_ENOMEM,
                        "outbox %s: out of memory listing suggestions",
                        self->path);
            goto done;
        }
        list = p;
        proto_suggestion_t *g = &list[count++];
        memset(g, 0, sizeof *g);
        col_text(s, 0, g->id, sizeof g->id);
        g->kind = (proto_suggestion_kind_t)sqlite3_column_int(s, 1);
        col_text(s, 2, g->status, sizeof g->status);
        col_text(s, 5, g->process_id, sizeof g->process_id);
        col_text(s, 6, g->step_id, sizeof g->step_id);
        col_text(s, 7, g->author_id, sizeof g->author_id);
        g->votes = (uint32_t)sqlite3_column_int64(s, 8);
        col_text(s, 9, g->owner_id, sizeof g->owner_id);
        col_text(s, 10, g->due, sizeof g->due);
        col_text(s, 12, g->merged_into, sizeof g->merged_into);
        g->created_ms = sqlite3_column_int64(s, 13);
        g->updated_ms = sqlite3_column_int64(s, 14);
        if ((r = col_copy(self, s, 3, &g->title)) < 0 ||
            (r = col_copy(self, s, 4, &g->body)) < 0 ||
            (r = col_copy(self, s, 11, &g->feedback)) < 0)
            goto done;
    }
    if (rc != SQLITE_DONE)
        r = db_fail(self, rc, "list cached suggestions");
done:
    sqlite3_finalize(s);
    if (r < 0) {
        kiosk_outbox_suggestions_free(&list, count);
        return r;
    }
    *out = list;
    *n = count;
    return 0;
}

void kiosk_outbox_suggestions_free(proto_suggestion_t **list, size_t n)
{
    if (!list || !*list)
        return;
    for (size_t i = 0; i < n; i++) {
        proto_free((*list)[i].title);
        proto_free((*list)[i].body);
        proto_free((*list)[i].feedback);
    }
    free(*list);
    *list = NULL;
}

int kiosk_outbox_standings(kiosk_outbox_t *self, const char *week,
                           proto_standing_t **out, size_t *n)
{
    if (!self || !out || !n)
        return PROTO_EINVAL;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = NULL;
    proto_standing_t *list = NULL;
    size_t count = 0, cap = 0;
    int r = 0;
    int rc = sqlite3_prepare_v2(
        self->db,
        "SELECT week, staff_id, team_id, points, rank FROM standings "
        "WHERE week = coalesce(nullif(?1, ''), "
        "(SELECT max(week) FROM standings)) ORDER BY rank, staff_id",
        -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = bind_text_or_null(s, 1, week);
    if (rc != SQLITE_OK) {
        r = db_fail(self, rc, "list cached standings");
        goto done;
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        proto_standing_t *p = grow(list, count, &cap, sizeof *list);
        if (!p) {
            r = set_err(self, PROTO_ENOMEM,
                        "outbox %s: out of memory listing standings",
                        self->path);
            goto done;
        }
        list = p;
        proto_standing_t *st = &list[count++];
        memset(st, 0, sizeof *st);
        col_text(s, 0, st->week, sizeof st->week);
        col_text(s, 1, st->staff_id, sizeof st->staff_id);
        col_text(s, 2, st->team_id, sizeof st->team_id);
        st->points = sqlite3_column_int64(s, 3);
        st->rank = (uint32_t)sqlite3_column_int64(s, 4);
    }
    if (rc != SQLITE_DONE)
        r = db_fail(self, rc, "list cached standings");
done:
    sqlite3_finalize(s);
    if (r < 0) {
        free(list);
        return r;
    }
    *out = list;
    *n = count;
    return 0;
}

/* ---- Agenda cache: the last AGENDA from syncd, for meeting mode offline.
 * Kept as its wire bytes in the meta table (one row, replaced whole), with
 * the kiosk's clock when it arrived: no schema change, and the decoder
 * checks it again on the way out like any frame. */

int kiosk_outbox_agenda_put(kiosk_outbox_t *self, const proto_msg_t *agenda,
                            int64_t fetched_ms)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    const char *doing = "cache the meeting agenda";
    if (!self || !agenda || agenda->type != PROTO_MSG_AGENDA)
        return PROTO_EINVAL;
    int r = proto_encode(agenda, &bytes, &len);
    if (r < 0)
        return set_err(self, r, "outbox %s: cannot encode the agenda (%s)",
                       self->path, proto_strerror(r));
    if ((r = begin_write(self, doing)) < 0)
        goto done;
    sqlite3_stmt *s = stmt(self, ST_META_SET);
    int rc = sqlite3_bind_text(s, 1, "agenda", -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob(s, 2, bytes, (int)len, SQLITE_STATIC);
    if (rc != SQLITE_OK)
        r = bind_fail(self, rc, doing);
    else
        r = step_done(self, s, doing);
    if (r == 0)
        r = meta_set_u64(self, "agenda_fetched_ms",
                         fetched_ms > 0 ? (uint64_t)fetched_ms : 0);
    if (r == 0)
        r = commit(self, doing);
    if (r < 0)
        rollback(self);
done:
    proto_free(bytes);
    return r;
}

int kiosk_outbox_agenda_get(kiosk_outbox_t *self, proto_msg_t *agenda,
                            int64_t *fetched_ms)
{
    if (!self || !agenda || !fetched_ms)
        return PROTO_EINVAL;
    memset(agenda, 0, sizeof *agenda);
    *fetched_ms = 0;
    sqlite3_stmt *s = stmt(self, ST_META_GET);
    int rc = sqlite3_bind_text(s, 1, "agenda", -1, SQLITE_STATIC);
    if (rc != SQLITE_OK)
        return bind_fail(self, rc, "read the cached agenda");
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return PROTO_ENOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        int r = db_fail(self, rc, "read the cached agenda");
        sqlite3_reset(s);
        return r;
    }
    proto_diag_t diag = {{0}, 0};
    int r = proto_decode(sqlite3_column_blob(s, 0),
                         (size_t)sqlite3_column_bytes(s, 0), 0, agenda, &diag);
    sqlite3_reset(s);
    if (r == 0 && agenda->type != PROTO_MSG_AGENDA) {
        proto_msg_clear(agenda);
        r = PROTO_ETYPE;
    }
    if (r < 0)
        return set_err(self, r,
                       "outbox %s: the cached agenda does not decode (%s at "
                       "%s); it will be replaced at the next fetch",
                       self->path, proto_strerror(r), diag.where);
    uint64_t at = 0;
    if ((r = meta_get_u64(self, "agenda_fetched_ms", 0, &at)) < 0) {
        proto_msg_clear(agenda);
        return r;
    }
    *fetched_ms = (int64_t)at;
    return 0;
}
