/*
 * test_store.c — the store's promises, checked against a real SQLite file.
 *
 * Each test gets its own temporary directory and store. What is asserted is
 * what the daemon and the managers rely on: every event stored exactly
 * once across retries and overlaps, dead letters kept with their reason,
 * rollups equal to what the events give (and a corrupted one caught),
 * votes counted once per person, the feed paging without loss, exports
 * byte for byte, and a failed batch leaving nothing behind. A second
 * SQLite connection opened by the test looks at (and tampers with) the
 * file behind the store's back.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include "store_fixture.h"
#include "syncd/store.h"

#define KEY1 "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
#define KEY2 "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
#define KEY3 "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"

/* 2025-11-25T01:30:00Z, 09:30 in the branch (UTC+8) */
#define T0 1764034200000LL
#define DAY "2025-11-25"

typedef struct {
    char dir[256];
    char path[300];
    sfx_t sx; /* the store's URI: path, or a PostgreSQL database */
    syncd_store_t *store;
} fx_t;

static syncd_store_t *open_store(fx_t *fx)
{
    syncd_store_options_t opt = {SYNCD_SYNC_FULL, 0};
    char err[512];
    syncd_store_t *st = syncd_store_open(fx->sx.uri, &opt, err, sizeof err);

    if (st == NULL)
        fail_msg("open %s: %s", fx->sx.uri, err);
    return st;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);

    assert_non_null(fx);
    sfx_tmpdir(fx->dir, sizeof fx->dir, "test_store");
    snprintf(fx->path, sizeof fx->path, "%s/stepwise.db", fx->dir);
    sfx_init(&fx->sx, fx->path);
    fx->store = open_store(fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;

    syncd_store_destroy(&fx->store);
    assert_null(fx->store);
    sfx_fini(&fx->sx);
    assert_int_equal(sfx_rmtree(fx->dir), 0);
    free(fx);
    return 0;
}

/* ---- A second connection to the store, for looking and tampering
 *      (store_fixture.h: SQLite or PostgreSQL) */

/* The side connection sees the tables as every read through the store
 * does: with the ingest journal folded into them first. */
static void side_fold(fx_t *fx)
{
    if (fx->store != NULL && syncd_store_fold(fx->store, SIZE_MAX) != 0)
        fail_msg("fold: %s", syncd_store_errmsg(fx->store));
}

static void side_exec(fx_t *fx, const char *sql)
{
    side_fold(fx);
    sfx_exec(&fx->sx, sql);
}

/* The first column of the one row sql returns, as text ("NULL" for NULL).
 * Numbers come back in SQLite's own text form ("15.5", "45.0"). */
static void side_text(fx_t *fx, const char *sql, char *out, size_t size)
{
    side_fold(fx);
    sfx_text(&fx->sx, sql, out, size);
}

static int64_t side_int(fx_t *fx, const char *sql)
{
    char text[64];

    side_text(fx, sql, text, sizeof text);
    return strtoll(text, NULL, 10);
}

#define assert_sql(fx, sql, expected)                                          \
    do {                                                                       \
        char got_[4096], want_[4096];                                          \
        side_text((fx), (sql), got_, sizeof got_);                             \
        sfx_expected(&(fx)->sx, (expected), want_, sizeof want_);              \
        assert_string_equal(got_, want_);                                      \
    } while (0)

/* ---- Events */

static proto_event_t ev_base(proto_event_type_t type, const char *kiosk,
                             uint64_t seq, const char *staff)
{
    proto_event_t ev;

    memset(&ev, 0, sizeof ev);
    ev.type = type;
    snprintf(ev.kiosk_id, sizeof ev.kiosk_id, "%s", kiosk);
    ev.seq = seq;
    ev.captured_ms = T0 + (int64_t)seq * 60000;
    ev.boot_id = 0xfeedfacecafebeefULL;
    ev.mono_ms = 1000 + seq;
    snprintf(ev.staff_id, sizeof ev.staff_id, "%s", staff);
    return ev;
}

/* measures as "calls=35,effective=6" */
static proto_event_t ev_checkin(const char *kiosk, uint64_t seq,
                                const char *staff, const char *step,
                                uint8_t quality, const char *measures)
{
    proto_event_t ev = ev_base(PROTO_EV_CHECKIN, kiosk, seq, staff);
    char spec[256];
    char *save = NULL;

    snprintf(ev.step_id, sizeof ev.step_id, "%s", step);
    ev.catalogue_version = 3;
    ev.quality = quality;
    snprintf(spec, sizeof spec, "%s", measures);
    for (char *tok = strtok_r(spec, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');

        assert_non_null(eq);
        *eq = '\0';
        assert_true(ev.n_measures < PROTO_MAX_MEASURES);
        snprintf(ev.measures[ev.n_measures].key,
                 sizeof ev.measures[ev.n_measures].key, "%s", tok);
        ev.measures[ev.n_measures++].value = strtod(eq + 1, NULL);
    }
    return ev;
}

static proto_event_t ev_suggestion(const char *kiosk, uint64_t seq,
                                   const char *staff, bool anonymous,
                                   proto_suggestion_kind_t kind,
                                   const char *process, const char *step,
                                   const char *title, const char *body)
{
    proto_event_t ev = ev_base(PROTO_EV_SUGGESTION, kiosk, seq, staff);

    ev.anonymous = anonymous;
    ev.kind = kind;
    snprintf(ev.process_id, sizeof ev.process_id, "%s", process);
    snprintf(ev.step_id, sizeof ev.step_id, "%s", step);
    ev.title = (char *)title;
    ev.body = (char *)body;
    return ev;
}

static proto_event_t ev_vote(const char *kiosk, uint64_t seq, const char *staff,
                             const char *suggestion, int8_t vote)
{
    proto_event_t ev = ev_base(PROTO_EV_VOTE, kiosk, seq, staff);

    snprintf(ev.suggestion_id, sizeof ev.suggestion_id, "%s", suggestion);
    ev.vote = vote;
    return ev;
}

static proto_event_t ev_rating(const char *kiosk, uint64_t seq,
                               const char *staff, const char *step,
                               uint8_t score)
{
    proto_event_t ev = ev_base(PROTO_EV_RATING, kiosk, seq, staff);

    snprintf(ev.step_id, sizeof ev.step_id, "%s", step);
    ev.score = score;
    return ev;
}

static syncd_ingest_item_t accept_item(const proto_event_t *ev, const char *day,
                                       double points)
{
    syncd_ingest_item_t it;

    memset(&it, 0, sizeof it);
    it.event = ev;
    snprintf(it.day, sizeof it.day, "%s", day);
    it.points = points;
    return it;
}

static syncd_ingest_item_t reject_item(const proto_event_t *ev, int code,
                                       const char *reason)
{
    syncd_ingest_item_t it;

    memset(&it, 0, sizeof it);
    it.event = ev;
    it.reject_code = code;
    it.reason = reason;
    return it;
}

static void enrol(fx_t *fx, const char *kiosk, const char *site,
                  const char *key)
{
    assert_int_equal(syncd_store_kiosk_enrol(fx->store, kiosk, site, key, T0),
                     0);
}

static syncd_ingest_result_t ingest_ok(fx_t *fx, const char *kiosk,
                                       const char *site,
                                       const syncd_ingest_item_t *items,
                                       size_t n, int64_t now)
{
    syncd_ingest_result_t r;
    int rc = syncd_store_ingest(fx->store, kiosk, site, items, n, now, &r);

    if (rc != 0)
        fail_msg("ingest: %d %s", rc, syncd_store_errmsg(fx->store));
    return r;
}

static void assert_counts(fx_t *fx, uint64_t events, uint64_t dead,
                          uint64_t suggestions, uint64_t votes, uint64_t kiosks)
{
    syncd_store_counts_t c;

    assert_int_equal(syncd_store_counts(fx->store, &c), 0);
    assert_int_equal(c.events, events);
    assert_int_equal(c.dead_letters, dead);
    assert_int_equal(c.suggestions, suggestions);
    assert_int_equal(c.votes, votes);
    assert_int_equal(c.kiosks, kiosks);
}

static void assert_verified(fx_t *fx)
{
    char why[512];
    int rc = syncd_store_verify_rollups(fx->store, why, sizeof why);

    if (rc != 0)
        fail_msg("verify: %d %s", rc, why);
    assert_string_equal(why, "");
}

/* ---- The mixed batch most tests start from: kiosk k1 at site s1 */

#define MIXED_N 10
typedef struct {
    proto_event_t ev[MIXED_N];
    syncd_ingest_item_t items[MIXED_N];
} mixed_t;

static void mixed_batch(mixed_t *m)
{
    m->ev[0] =
        ev_checkin("k1", 1, "zhang", "tm-call", 4, "calls=35,effective=6");
    m->ev[1] = ev_checkin("k1", 2, "zhang", "tm-call", 0, "calls=10");
    m->ev[2] =
        ev_checkin("k1", 3, "li", "tm-call", 5, "calls=20,effective=2.5");
    m->ev[3] = ev_suggestion("k1", 4, "li", false, PROTO_KIND_IDEA, "tm",
                             "tm-list", "名单要提前一天准备", NULL);
    m->ev[4] = ev_vote("k1", 5, "zhang", "k1:4", 1);
    m->ev[5] = ev_vote("k1", 6, "wang", "k1:4", 1);
    m->ev[6] = ev_rating("k1", 7, "zhang", "tm-call", 5);
    m->ev[7] = ev_rating("k1", 8, "zhang", "", 3);
    m->ev[8] = ev_checkin("k1", 9, "zhang", "tm-cal", 3, "calls=1");
    m->ev[9] = ev_checkin("k1", 10, "zhang", "tm-call", 0, "calls=5");
    m->items[0] = accept_item(&m->ev[0], DAY, 12.5);
    m->items[1] = accept_item(&m->ev[1], DAY, 3);
    m->items[2] = accept_item(&m->ev[2], DAY, 7.25);
    for (int i = 3; i < 8; i++)
        m->items[i] = accept_item(&m->ev[i], DAY, 0);
    m->items[8] = reject_item(&m->ev[8], PROTO_REJECT_UNKNOWN_STEP,
                              "step \"tm-cal\" is not in catalogue version "
                              "3; update the kiosk's catalogue");
    m->items[9] = accept_item(&m->ev[9], "2025-11-26", 1);
}

/* The rollups of mixed_batch, as SQLite prints them. */
static void assert_mixed_rollups(fx_t *fx)
{
    assert_sql(fx, "SELECT COUNT(*) FROM rollup_day", "4");
    assert_sql(fx,
               "SELECT checkins || ' ' || quality_sum || ' ' || quality_n ||"
               " ' ' || points || ' ' || ratings_n || ' ' || ratings_sum"
               " FROM rollup_day WHERE site_id = 's1' AND day = '" DAY "'"
               " AND step_id = 'tm-call' AND staff_id = 'zhang'",
               "2 4 1 15.5 1 5");
    assert_sql(fx,
               "SELECT checkins || ' ' || quality_sum || ' ' || quality_n ||"
               " ' ' || points || ' ' || ratings_n || ' ' || ratings_sum"
               " FROM rollup_day WHERE day = '" DAY "'"
               " AND step_id = 'tm-call' AND staff_id = 'li'",
               "1 5 1 7.25 0 0");
    assert_sql(fx,
               "SELECT checkins || ' ' || ratings_n || ' ' || ratings_sum"
               " FROM rollup_day WHERE day = '" DAY "'"
               " AND step_id = '' AND staff_id = 'zhang'",
               "0 1 3");
    assert_sql(fx,
               "SELECT checkins || ' ' || points FROM rollup_day"
               " WHERE day = '2025-11-26' AND staff_id = 'zhang'",
               "1 1.0");
    assert_sql(fx,
               "SELECT group_concat(day || '/' || staff_id || '/' || measure"
               " || '=' || total, ' ') FROM (SELECT * FROM rollup_measure"
               " ORDER BY day, staff_id, measure) AS x",
               "2025-11-25/li/calls=20.0 2025-11-25/li/effective=2.5 "
               "2025-11-25/zhang/calls=45.0 2025-11-25/zhang/effective=6.0 "
               "2025-11-26/zhang/calls=5.0");
}

/* ---- Open, reopen, migrations */

static void test_open_reopen_keeps_data(void **state)
{
    fx_t *fx = *state;
    syncd_kiosk_t k;
    uint64_t version = 0;
    char *yaml = NULL;
    size_t len = 0;
    char uri[400];
    syncd_store_options_t opt = {SYNCD_SYNC_NORMAL, 1000};
    syncd_store_t *second;
    char err[1024], expected[1024];

    assert_int_equal(syncd_store_schema_version(fx->store), 4);
    enrol(fx, "k1", "s1", KEY1);
    assert_int_equal(
        syncd_store_catalogue_put(fx->store, "title: x\n", 9, T0, &version), 0);
    syncd_store_destroy(&fx->store);

    /* the same file through the sqlite: form of the URI */
    snprintf(uri, sizeof uri, "sqlite:%s", fx->path);
    fx->store = syncd_store_open(uri, &opt, err, sizeof err);
    assert_non_null(fx->store);
    assert_int_equal(syncd_store_schema_version(fx->store), 4);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_string_equal(k.site_id, "s1");
    assert_string_equal(k.public_key, KEY1);
    assert_int_equal(
        syncd_store_catalogue_current(fx->store, &version, &yaml, &len), 0);
    assert_int_equal(version, 1);
    assert_int_equal(len, 9);
    assert_string_equal(yaml, "title: x\n");
    free(yaml);
    assert_sql(fx, "SELECT version FROM schema_version", "4");
    assert_sql(fx, "PRAGMA journal_mode", "wal");

    /* a second store on the same file (syncctl-side tools, a restarted
     * daemon) finds it migrated and sees the same data */
    opt.sync_mode = SYNCD_SYNC_OFF;
    second = syncd_store_open(fx->path, &opt, err, sizeof err);
    assert_non_null(second);
    assert_int_equal(syncd_store_kiosk_get(second, "k1", &k), 0);
    syncd_store_destroy(&second);

    opt.sync_mode = (syncd_sync_mode_t)7;
    assert_null(syncd_store_open(fx->path, &opt, err, sizeof err));
    snprintf(expected, sizeof expected,
             "store %s: unknown sync mode 7; use full, normal or off",
             fx->path);
    assert_string_equal(err, expected);
}

/* An empty file (touched by an installer, say) becomes a store. */
static void test_open_empty_file_migrates(void **state)
{
    fx_t *fx = *state;
    char path[400], err[1024];
    FILE *f;
    syncd_store_t *st;

    snprintf(path, sizeof path, "%s/empty.db", fx->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
    st = syncd_store_open(path, NULL, err, sizeof err);
    if (st == NULL)
        fail_msg("%s", err);
    assert_int_equal(syncd_store_schema_version(st), 4);
    assert_counts(&(fx_t){.store = st}, 0, 0, 0, 0, 0);
    syncd_store_destroy(&st);
}

static void test_future_schema_refused(void **state)
{
    fx_t *fx = *state;
    char err[1024], expected[1024];

    syncd_store_destroy(&fx->store);
    side_exec(fx, "UPDATE schema_version SET version = 99");
    assert_null(syncd_store_open(fx->sx.uri, NULL, err, sizeof err));
    snprintf(expected, sizeof expected,
             "store %s: schema version 99 is newer than this syncd "
             "understands (4); run the syncd that wrote it, or restore a "
             "backup made by this version",
             fx->sx.uri);
    assert_string_equal(err, expected);
    /* refusing it changed nothing */
    assert_sql(fx, "SELECT version FROM schema_version", "99");
}

static void test_open_errors_are_readable(void **state)
{
    fx_t *fx = *state;
    char path[400], err[1024], expected[1024];
    FILE *f;

    snprintf(path, sizeof path, "%s/notes.txt", fx->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        assert_true(fputs("this is not a database at all\n", f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_null(syncd_store_open(path, NULL, err, sizeof err));
    snprintf(expected, sizeof expected,
             "store %s: PRAGMA journal_mode=WAL: file is not a database; "
             "is this a Stepwise store? (give syncd a new path to start an "
             "empty one)",
             path);
    assert_string_equal(err, expected);

    snprintf(path, sizeof path, "%s/missing/stepwise.db", fx->dir);
    assert_null(syncd_store_open(path, NULL, err, sizeof err));
    snprintf(expected, sizeof expected,
             "cannot open store %s: unable to open database file; check "
             "that its directory exists and is writable",
             path);
    assert_string_equal(err, expected);

    assert_null(
        syncd_store_open("postgres:db/stepwise", NULL, err, sizeof err));
    assert_string_equal(err, "store \"postgres:db/stepwise\" is not a "
                             "PostgreSQL URI; write "
                             "postgresql://USER@HOST:PORT/DATABASE");
    /* nothing listens on port 1; the password never shows */
    assert_null(syncd_store_open("postgresql://u:secret@127.0.0.1:1/stepwise",
                                 NULL, err, sizeof err));
    assert_non_null(strstr(err, "cannot connect to PostgreSQL store "
                                "postgresql://u:***@127.0.0.1:1/stepwise: "));
    assert_non_null(strstr(err, "; check that the server runs and that the "
                                "URI's host, port, user and database are "
                                "right"));
    assert_null(strstr(err, "secret"));
    assert_null(syncd_store_open("sqlite:", NULL, err, sizeof err));
    assert_string_equal(err, "store URI \"sqlite:\" names no file; write "
                             "sqlite:DIR/stepwise.db");
}

/* ---- Kiosks */

static void test_kiosk_enrol_revoke_get_list(void **state)
{
    fx_t *fx = *state;
    syncd_kiosk_t k, *list = NULL;
    size_t n = 0;
    proto_event_t ev = ev_checkin("k1", 1, "zhang", "tm-call", 0, "calls=1");
    syncd_ingest_item_t it = accept_item(&ev, DAY, 1);

    assert_int_equal(syncd_store_kiosk_enrol(fx->store, "k2", "s2", KEY2, 500),
                     0);
    assert_int_equal(syncd_store_kiosk_enrol(fx->store, "k1", "s1", KEY1, 1000),
                     0);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_string_equal(k.kiosk_id, "k1");
    assert_string_equal(k.site_id, "s1");
    assert_string_equal(k.public_key, KEY1);
    assert_false(k.revoked);
    assert_int_equal(k.enrolled_ms, 1000);
    assert_int_equal(k.revoked_ms, 0);
    assert_int_equal(k.acked_seq, 0);
    assert_int_equal(k.last_seen_ms, 0);
    assert_int_equal(k.last_sync_ms, 0);
    assert_int_equal(k.events, 0);
    assert_int_equal(k.rejected, 0);
    assert_string_equal(k.app_version, "");

    /* a key held by another kiosk */
    assert_int_equal(syncd_store_kiosk_enrol(fx->store, "k3", "s1", KEY1, 1),
                     PROTO_EINVAL);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "enrol: public key " KEY1 " already belongs to kiosk "
                        "\"k1\"; make a new key pair for \"k3\" with syncctl "
                        "keygen kiosk");
    assert_int_equal(syncd_store_kiosk_enrol(fx->store, "k3", "s1", "short", 1),
                     PROTO_EINVAL);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k3", &k),
                     PROTO_ENOTFOUND);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "kiosk get: no kiosk with id \"k3\"; list them with "
                        "syncctl kiosks");

    assert_int_equal(syncd_store_kiosk_by_key(fx->store, KEY2, &k), 0);
    assert_string_equal(k.kiosk_id, "k2");
    assert_string_equal(k.site_id, "s2");
    assert_int_equal(syncd_store_kiosk_by_key(fx->store, KEY3, &k),
                     PROTO_ENOTFOUND);

    assert_int_equal(syncd_store_kiosk_list(fx->store, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].kiosk_id, "k1");
    assert_string_equal(list[1].kiosk_id, "k2");
    assert_string_equal(list[1].public_key, KEY2);
    assert_int_equal(list[1].enrolled_ms, 500);
    free(list);

    /* what HELLO and PING report */
    assert_int_equal(syncd_store_kiosk_seen(fx->store, "k1", 2000, 50, 7, 30,
                                            -120, 3, "1.2.0"),
                     0);
    assert_int_equal(
        syncd_store_kiosk_seen(fx->store, "k1", 2500, 51, 6, 20, -110, 3, NULL),
        0);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_int_equal(k.last_seen_ms, 2500);
    assert_int_equal(k.last_seq, 51);
    assert_int_equal(k.outbox_depth, 6);
    assert_int_equal(k.oldest_unsent_s, 20);
    assert_int_equal(k.clock_skew_ms, -110);
    assert_int_equal(k.catalogue_version, 3);
    assert_string_equal(k.app_version, "1.2.0");
    assert_int_equal(
        syncd_store_kiosk_seen(fx->store, "k9", 1, 0, 0, 0, 0, 0, NULL),
        PROTO_ENOTFOUND);
    /* several kiosks' PINGs in one call: each recorded, the app version
     * kept, a kiosk no longer in the store skipped */
    const syncd_kiosk_seen_t seen[3] = {
        {"k1", 2700, 52, 4, 10, -100, 3},
        {"k2", 2710, 9, 1, 5, 40, 2},
        {"k9", 2720, 1, 1, 1, 1, 1},
    };
    assert_int_equal(syncd_store_kiosks_seen(fx->store, seen, 3), 0);
    assert_int_equal(syncd_store_kiosks_seen(fx->store, NULL, 0), 0);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_int_equal(k.last_seen_ms, 2700);
    assert_int_equal(k.last_seq, 52);
    assert_int_equal(k.outbox_depth, 4);
    assert_int_equal(k.oldest_unsent_s, 10);
    assert_int_equal(k.clock_skew_ms, -100);
    assert_string_equal(k.app_version, "1.2.0");
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k2", &k), 0);
    assert_int_equal(k.last_seen_ms, 2710);
    assert_int_equal(k.last_seq, 9);
    assert_int_equal(k.clock_skew_ms, 40);
    assert_int_equal(k.catalogue_version, 2);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k9", &k),
                     PROTO_ENOTFOUND);

    /* a push, then revocation: kept marks and counters */
    assert_int_equal(ingest_ok(fx, "k1", "s1", &it, 1, 2600).acked_seq, 1);
    assert_int_equal(syncd_store_kiosk_revoke(fx->store, "k1", 3000), 0);
    assert_int_equal(syncd_store_kiosk_revoke(fx->store, "k1", 4000), 0);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_true(k.revoked);
    assert_int_equal(k.revoked_ms, 3000); /* the first revocation counts */
    assert_int_equal(syncd_store_kiosk_revoke(fx->store, "k9", 1),
                     PROTO_ENOTFOUND);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "revoke: no kiosk \"k9\" to revoke; list them with "
                        "syncctl kiosks");

    /* re-enrolment with a new key: admitted again, history kept */
    assert_int_equal(syncd_store_kiosk_enrol(fx->store, "k1", "s1", KEY3, 5000),
                     0);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_false(k.revoked);
    assert_int_equal(k.revoked_ms, 0);
    assert_int_equal(k.enrolled_ms, 5000);
    assert_string_equal(k.public_key, KEY3);
    assert_int_equal(k.acked_seq, 1);
    assert_int_equal(k.events, 1);
    assert_int_equal(k.last_sync_ms, 2600);
    assert_int_equal(k.last_seq, 52);
    /* the old key is free again */
    assert_int_equal(syncd_store_kiosk_by_key(fx->store, KEY1, &k),
                     PROTO_ENOTFOUND);
    assert_counts(fx, 1, 0, 0, 0, 2);
}

/* ---- Ingest */

static void test_ingest_mixed_batch(void **state)
{
    fx_t *fx = *state;
    mixed_t m;
    syncd_ingest_result_t r;
    syncd_kiosk_t k;

    enrol(fx, "k1", "s1", KEY1);
    mixed_batch(&m);
    r = ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0 + 3600000);
    assert_int_equal(r.acked_seq, 10);
    assert_int_equal(r.accepted, 9);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.duplicates, 0);
    assert_counts(fx, 9, 1, 1, 2, 1);
    assert_mixed_rollups(fx);
    assert_verified(fx);

    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_int_equal(k.acked_seq, 10);
    assert_int_equal(k.events, 9);
    assert_int_equal(k.rejected, 1);
    assert_int_equal(k.last_sync_ms, T0 + 3600000);
    assert_int_equal(k.last_seen_ms, T0 + 3600000);

    /* the suggestion and its two supporters */
    assert_sql(fx,
               "SELECT id || ' ' || kind || ' ' || status || ' ' || votes ||"
               " ' ' || author_id || ' ' || process_id || ' ' || step_id ||"
               " ' ' || title || ' ' || (CASE WHEN body IS NULL THEN 1 ELSE 0 "
               "END) FROM suggestions",
               "k1:4 idea new 2 li tm tm-list 名单要提前一天准备 1");
    assert_sql(fx,
               "SELECT group_concat(staff_id, ',') FROM (SELECT staff_id FROM"
               " votes WHERE suggestion_id = 'k1:4' ORDER BY staff_id) AS x",
               "wang,zhang");
    assert_int_equal(syncd_store_suggestion_exists(fx->store, "k1:4"), 1);
    assert_int_equal(syncd_store_suggestion_exists(fx->store, "k1:5"), 0);

    /* the refused event, kept with its reason and as sent */
    assert_sql(fx,
               "SELECT kiosk_id || ' ' || seq || ' ' || type || ' ' || code ||"
               " ' ' || reason FROM dead_letters",
               "k1 9 checkin 3 step \"tm-cal\" is not in catalogue version "
               "3; update the kiosk's catalogue");
    assert_sql(fx, "SELECT payload FROM dead_letters",
               "{\"type\":\"checkin\",\"kiosk_id\":\"k1\",\"seq\":9,"
               "\"captured_ms\":1764034740000,\"boot_id\":"
               "18369614221190020847,\"mono_ms\":1009,\"staff_id\":\"zhang\","
               "\"step_id\":\"tm-cal\",\"catalogue_version\":3,\"measures\":"
               "{\"calls\":1},\"quality\":3,\"note\":null}");
    assert_sql(fx, "SELECT COUNT(*) FROM events WHERE seq = 9", "0");

    /* rows as stored */
    assert_sql(
        fx,
        "SELECT measures || ' ' || quality || ' ' || catalogue_version ||"
        " ' ' || day || ' ' || points FROM events WHERE seq = 1",
        "{\"calls\":35,\"effective\":6} 4 3 2025-11-25 12.5");
    assert_sql(fx, "SELECT quote(quality) FROM events WHERE seq = 2", "NULL");
    assert_sql(fx,
               "SELECT vote || ' ' || suggestion_id || ' ' || quote(measures)"
               " FROM events WHERE seq = 5",
               "1 k1:4 NULL");
    assert_sql(fx,
               "SELECT score || ' [' || step_id || ']' FROM events"
               " WHERE seq = 8",
               "3 []");
}

static void test_ingest_same_batch_twice_changes_nothing(void **state)
{
    fx_t *fx = *state;
    mixed_t m;
    syncd_ingest_result_t r;
    syncd_kiosk_t k;

    enrol(fx, "k1", "s1", KEY1);
    mixed_batch(&m);
    ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0 + 3600000);
    r = ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0 + 7200000);
    assert_int_equal(r.acked_seq, 10);
    assert_int_equal(r.accepted, 0);
    assert_int_equal(r.rejected, 0);
    assert_int_equal(r.duplicates, MIXED_N);
    assert_counts(fx, 9, 1, 1, 2, 1);
    assert_mixed_rollups(fx);
    assert_verified(fx);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_int_equal(k.events, 9);
    assert_int_equal(k.rejected, 1);
    assert_int_equal(k.last_sync_ms, T0 + 7200000);
    /* 1 suggestion + 2 votes + 1 standings change (the batch earned
     * points); the resent batch takes none */
    assert_sql(fx, "SELECT value FROM meta WHERE key = 'change_counter'", "4");
}

static void test_ingest_overlap_stores_only_new(void **state)
{
    fx_t *fx = *state;
    proto_event_t ev[9];
    syncd_ingest_item_t items[9];
    syncd_ingest_result_t r;

    enrol(fx, "k1", "s1", KEY1);
    for (int i = 0; i < 9; i++) {
        ev[i] =
            ev_checkin("k1", (uint64_t)i + 1, "zhang", "tm-call", 0, "calls=2");
        items[i] = accept_item(&ev[i], DAY, 1);
    }
    r = ingest_ok(fx, "k1", "s1", items, 6, T0);
    assert_int_equal(r.acked_seq, 6);
    assert_int_equal(r.accepted, 6);
    r = ingest_ok(fx, "k1", "s1", items + 3, 6, T0 + 1); /* seq 4..9 */
    assert_int_equal(r.acked_seq, 9);
    assert_int_equal(r.accepted, 3);
    assert_int_equal(r.duplicates, 3);
    assert_counts(fx, 9, 0, 0, 0, 1);
    assert_sql(fx, "SELECT checkins || ' ' || points FROM rollup_day", "9 9.0");
    assert_sql(fx, "SELECT total FROM rollup_measure", "18.0");
    assert_sql(fx,
               "SELECT group_concat(seq) FROM (SELECT seq FROM events"
               " ORDER BY seq) AS x",
               "1,2,3,4,5,6,7,8,9");
    assert_verified(fx);
}

static void test_ingest_refuses_unknown_and_revoked_kiosks(void **state)
{
    fx_t *fx = *state;
    proto_event_t ev = ev_checkin("k1", 1, "zhang", "tm-call", 0, "calls=1");
    syncd_ingest_item_t it = accept_item(&ev, DAY, 1);
    syncd_ingest_result_t r;

    assert_int_equal(syncd_store_ingest(fx->store, "k1", "s1", &it, 1, T0, &r),
                     PROTO_EDENIED);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "ingest: kiosk \"k1\" is not enrolled; enrol it with "
                        "syncctl enrol before it pushes");
    enrol(fx, "k1", "s1", KEY1);
    assert_int_equal(syncd_store_kiosk_revoke(fx->store, "k1", T0), 0);
    assert_int_equal(syncd_store_ingest(fx->store, "k1", "s1", &it, 1, T0, &r),
                     PROTO_EDENIED);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "ingest: kiosk \"k1\" is revoked; its events are "
                        "refused until it is enrolled again");
    assert_counts(fx, 0, 0, 0, 0, 1);
    enrol(fx, "k1", "s1", KEY1);
    assert_int_equal(ingest_ok(fx, "k1", "s1", &it, 1, T0).accepted, 1);
}

static void test_ingest_refuses_out_of_order_batch(void **state)
{
    fx_t *fx = *state;
    proto_event_t a = ev_checkin("k1", 2, "zhang", "tm-call", 0, "calls=1");
    proto_event_t b = ev_checkin("k1", 1, "zhang", "tm-call", 0, "calls=1");
    syncd_ingest_item_t items[2] = {accept_item(&a, DAY, 1),
                                    accept_item(&b, DAY, 1)};
    syncd_ingest_result_t r;
    syncd_kiosk_t k;

    enrol(fx, "k1", "s1", KEY1);
    assert_int_equal(
        syncd_store_ingest(fx->store, "k1", "s1", items, 2, T0, &r),
        PROTO_EINVAL);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "ingest: seq 1 follows seq 2 in one batch; items must "
                        "be in increasing seq order");
    assert_counts(fx, 0, 0, 0, 0, 1);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_int_equal(k.acked_seq, 0);
}

/* What ingest itself writes on SQLite (the kiosk's mark, dead letters, the
 * journal row) failing: nothing of the batch may remain, and the store
 * must take the retry. */
static void test_ingest_failure_rolls_back(void **state)
{
    fx_t *fx = *state;
    mixed_t m;
    syncd_ingest_result_t r;
    syncd_kiosk_t k;

    enrol(fx, "k1", "s1", KEY1);
    mixed_batch(&m);
    side_exec(fx, "CREATE TRIGGER fail_journal BEFORE INSERT ON ingest_journal"
                  " BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END");
    assert_int_equal(
        syncd_store_ingest(fx->store, "k1", "s1", m.items, MIXED_N, T0, &r),
        PROTO_ESTORE);
    assert_string_equal(
        syncd_store_errmsg(fx->store),
        "ingest: INSERT ingest_journal: simulated disk failure");
    assert_int_equal(r.acked_seq, 0);
    assert_int_equal(r.accepted, 0);
    assert_counts(fx, 0, 0, 0, 0, 1);
    assert_sql(fx, "SELECT COUNT(*) FROM ingest_journal", "0");
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_int_equal(k.acked_seq, 0);
    assert_int_equal(k.events, 0);

    /* a failure that makes SQLite undo the transaction itself (as
     * SQLITE_FULL and IOERR do), late in the batch: the kiosk's mark */
    side_exec(fx, "DROP TRIGGER fail_journal");
    side_exec(fx, "CREATE TRIGGER fail_mark BEFORE UPDATE ON kiosks"
                  " BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full');"
                  " END");
    assert_int_equal(
        syncd_store_ingest(fx->store, "k1", "s1", m.items, MIXED_N, T0, &r),
        PROTO_ESTORE);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "ingest: UPDATE kiosks: database or disk is full");
    assert_counts(fx, 0, 0, 0, 0, 1);
    assert_sql(fx, "SELECT COUNT(*) FROM ingest_journal", "0");

    side_exec(fx, "DROP TRIGGER fail_mark");
    r = ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0);
    assert_int_equal(r.acked_seq, 10);
    assert_int_equal(r.accepted, 9);
    assert_int_equal(r.rejected, 1);
    assert_counts(fx, 9, 1, 1, 2, 1);
    assert_mixed_rollups(fx);
    assert_verified(fx);
}

/* The tables as they are, the journal not folded first. */
static void assert_raw(fx_t *fx, const char *sql, const char *want)
{
    char got[256];

    sfx_text(&fx->sx, sql, got, sizeof got);
    assert_string_equal(got, want);
}

/* A fresh store in a fresh directory (the fixture's teardown and setup). */
static fx_t *fresh(void **state)
{
    assert_int_equal(teardown(state), 0);
    assert_int_equal(setup(state), 0);
    return *state;
}

/* What a fold writes on SQLite (events, rollups, suggestions, votes, the
 * change counter, the journal row's deletion) failing, both when the
 * statement alone fails (ABORT) and when SQLite undoes the whole
 * transaction (ROLLBACK, as on a full disk): the batch stays acknowledged
 * and whole in the journal, nothing of it reaches the tables, reads
 * report the failure instead of answering without it, and the next fold
 * writes it exactly once. A fold sums its rollups per key before writing
 * them, so the upserts that update an existing rollup row are exercised by
 * a second batch at the end. */
static void test_fold_failure_keeps_the_batch(void **state)
{
    static const char *const where[] = {
        "INSERT ON events",         "INSERT ON rollup_day",
        "INSERT ON rollup_measure", "INSERT ON suggestions",
        "UPDATE ON suggestions",    "INSERT ON votes",
        "UPDATE ON meta",           "INSERT ON site_points",
        "DELETE ON ingest_journal",
    };
    static const char *const how[] = {"ABORT", "ROLLBACK"};
    mixed_t m;
    syncd_ingest_result_t r;
    syncd_store_counts_t c;
    syncd_kiosk_t k;
    fx_t *fx = *state;

    mixed_batch(&m);
    for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
        for (size_t h = 0; h < 2; h++) {
            char sql[256];

            fx = fresh(state);
            enrol(fx, "k1", "s1", KEY1);
            snprintf(sql, sizeof sql,
                     "CREATE TRIGGER injected BEFORE %s BEGIN"
                     " SELECT RAISE(%s, 'injected failure'); END",
                     where[w], how[h]);
            sfx_exec(&fx->sx, sql);
            r = ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0);
            assert_int_equal(r.acked_seq, 10);
            assert_int_equal(r.accepted, 9);
            assert_int_equal(r.rejected, 1);
            if (syncd_store_fold(fx->store, SIZE_MAX) != PROTO_ESTORE)
                fail_msg("a failure at %s (%s) was not reported", where[w],
                         how[h]);
            assert_non_null(
                strstr(syncd_store_errmsg(fx->store), ": injected failure"));
            assert_int_equal(syncd_store_counts(fx->store, &c), PROTO_ESTORE);
            assert_raw(fx,
                       "SELECT (SELECT COUNT(*) FROM events) ||"
                       " (SELECT COUNT(*) FROM rollup_day) ||"
                       " (SELECT COUNT(*) FROM rollup_measure) ||"
                       " (SELECT COUNT(*) FROM suggestions) ||"
                       " (SELECT COUNT(*) FROM votes) ||"
                       " (SELECT value FROM meta) ||"
                       " (SELECT COUNT(*) FROM ingest_journal) ||"
                       " (SELECT COUNT(*) FROM dead_letters)",
                       "00000011");
            assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
            assert_int_equal(k.acked_seq, 10);
            assert_int_equal(k.events, 9);
            assert_int_equal(k.rejected, 1);
            /* the kiosk, not having heard, sends the batch again */
            r = ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0);
            assert_int_equal(r.duplicates, MIXED_N);
            sfx_exec(&fx->sx, "DROP TRIGGER injected");
            assert_counts(fx, 9, 1, 1, 2, 1);
            assert_raw(fx, "SELECT COUNT(*) FROM ingest_journal", "0");
            assert_mixed_rollups(fx);
            assert_verified(fx);
        }
    }

    /* a later check-in of the same day, step and staff updates rows */
    static const char *const update[] = {"UPDATE ON rollup_day",
                                         "UPDATE ON rollup_measure"};
    /* three of them: one or two would be written out in the ingest */
    proto_event_t more[3];
    syncd_ingest_item_t more_items[3];
    for (int i = 0; i < 3; i++) {
        more[i] = ev_checkin("k1", 11 + (uint64_t)i, "zhang", "tm-call", 2,
                             "calls=4");
        more_items[i] = accept_item(&more[i], DAY, 1);
    }
    for (size_t w = 0; w < 2; w++) {
        for (size_t h = 0; h < 2; h++) {
            char sql[256];

            snprintf(sql, sizeof sql,
                     "CREATE TRIGGER injected BEFORE %s BEGIN"
                     " SELECT RAISE(%s, 'injected failure'); END",
                     update[w], how[h]);
            sfx_exec(&fx->sx, sql);
            if (w == 0 && h == 0)
                r = ingest_ok(fx, "k1", "s1", more_items, 3, T0);
            if (syncd_store_fold(fx->store, SIZE_MAX) != PROTO_ESTORE)
                fail_msg("a failure at %s (%s) was not reported", update[w],
                         how[h]);
            assert_non_null(
                strstr(syncd_store_errmsg(fx->store), ": injected failure"));
            assert_raw(fx,
                       "SELECT COUNT(*) || ' ' || (SELECT COUNT(*) FROM"
                       " ingest_journal) FROM events",
                       "9 1");
            sfx_exec(&fx->sx, "DROP TRIGGER injected");
        }
    }
    assert_int_equal(r.acked_seq, 13);
    assert_sql(fx,
               "SELECT checkins || ' ' || quality_sum || ' ' || points"
               " FROM rollup_day WHERE day = '" DAY "'"
               " AND step_id = 'tm-call' AND staff_id = 'zhang'",
               "5 10 18.5");
    assert_counts(fx, 12, 1, 1, 2, 1);
    assert_verified(fx);
}

/* Kiosk k1 enrolled and its mixed batch acknowledged, not yet folded. */
static void mixed_journalled(fx_t *fx, mixed_t *m)
{
    syncd_ingest_result_t r;

    enrol(fx, "k1", "s1", KEY1);
    mixed_batch(m);
    r = ingest_ok(fx, "k1", "s1", m->items, MIXED_N, T0);
    assert_int_equal(r.acked_seq, 10);
}

/* An acknowledged batch lives in the journal until folded: a syncd that
 * stops hard (no fold at the end) loses nothing, the next open's first
 * read folds it, exactly once. */
static void test_journal_survives_reopen(void **state)
{
    fx_t *fx = *state;
    mixed_t m;
    syncd_ingest_result_t r;

    mixed_journalled(fx, &m);
    assert_raw(fx,
               "SELECT (SELECT COUNT(*) FROM events) || ' ' ||"
               " (SELECT COUNT(*) FROM ingest_journal) || ' ' ||"
               " (SELECT COUNT(*) FROM dead_letters)",
               "0 1 1");
    assert_int_equal(syncd_store_fold(fx->store, 0), 1); /* counts only */
    syncd_store_destroy(&fx->store);
    fx->store = open_store(fx);
    assert_raw(fx, "SELECT COUNT(*) FROM ingest_journal", "1");
    r = ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0); /* resent */
    assert_int_equal(r.duplicates, MIXED_N);
    assert_counts(fx, 9, 1, 1, 2, 1);
    assert_raw(fx, "SELECT COUNT(*) FROM ingest_journal", "0");
    assert_mixed_rollups(fx);
    assert_verified(fx);
}

/* One or two events while the journal is empty (a kiosk online sends each
 * capture as it is made) are written out in the ingest's transaction; with
 * rows waiting they wait behind them, so the points caps are applied in
 * the order the batches were acknowledged. Cap 50, 20 points each: the
 * batch of two is capped 20, 20 and the single check-in after it 10. */
static void test_small_batch_written_at_once(void **state)
{
    fx_t *fx = *state;
    proto_event_t ev[5];
    syncd_ingest_item_t it[5];

    enrol(fx, "k1", "s1", KEY1);
    for (int i = 0; i < 5; i++) {
        ev[i] = ev_checkin("k1", (uint64_t)i + 1, "zhang", "tm-call", 3,
                           "calls=20");
        it[i] = accept_item(&ev[i], DAY, 20);
        it[i].points_cap = 50;
    }
    (void)ingest_ok(fx, "k1", "s1", &it[0], 1, T0);
    assert_raw(fx,
               "SELECT (SELECT COUNT(*) FROM events) || ' ' ||"
               " (SELECT COUNT(*) FROM ingest_journal)",
               "1 0");
    /* a batch of three goes to the journal; the single one after it waits
     * behind it */
    (void)ingest_ok(fx, "k1", "s1", &it[1], 3, T0);
    (void)ingest_ok(fx, "k1", "s1", &it[4], 1, T0);
    assert_raw(fx,
               "SELECT (SELECT COUNT(*) FROM events) || ' ' ||"
               " (SELECT COUNT(*) FROM ingest_journal)",
               "1 2");
    assert_sql(fx,
               "SELECT group_concat(points, ',') FROM (SELECT points FROM"
               " events ORDER BY seq) AS x",
               "20.0,20.0,10.0,0.0,0.0");
    assert_sql(fx,
               "SELECT checkins || ' ' || points FROM rollup_day"
               " WHERE staff_id = 'zhang'",
               "5 50.0");
    assert_verified(fx);
}

/* A journal row damaged on disk is named, with what is wrong with it, by
 * the fold and by every read (which would otherwise answer without it);
 * it is kept, not skipped. */
static void test_journal_damage_reported(void **state)
{
    fx_t *fx = *state;
    mixed_t m;
    syncd_store_counts_t c;

    mixed_journalled(fx, &m);
    sfx_exec(&fx->sx, "UPDATE ingest_journal SET items = substr(items, 1, 40)");
    assert_int_equal(syncd_store_fold(fx->store, SIZE_MAX), PROTO_ESTORE);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "fold the ingest journal: journal row 1 (kiosk k1): "
                        "it breaks off or is malformed at mono_ms, byte 40; "
                        "the store is damaged, restore it from a backup");
    assert_int_equal(syncd_store_counts(fx->store, &c), PROTO_ESTORE);
    assert_raw(fx,
               "SELECT COUNT(*) || ' ' || length(items) FROM ingest_journal",
               "1 40");
    assert_raw(fx, "SELECT COUNT(*) FROM events", "0");
}

/* ---- Votes and the feed */

static proto_suggestion_t *feed_find(proto_msg_t *msg, const char *id)
{
    for (uint32_t i = 0; i < msg->u.feed.n_suggestions; i++)
        if (strcmp(msg->u.feed.suggestions[i].id, id) == 0)
            return &msg->u.feed.suggestions[i];
    return NULL;
}

static void test_votes_once_per_staff_and_withdraw(void **state)
{
    fx_t *fx = *state;
    proto_event_t ev[7];
    syncd_ingest_item_t it[7];
    proto_msg_t msg;
    proto_suggestion_t *sg;
    uint64_t cursor;

    enrol(fx, "k1", "s1", KEY1);
    ev[0] = ev_suggestion("k1", 1, "wang", true, PROTO_KIND_PROBLEM, "tm", "",
                          "外呼名单重复", "同一客户一天被打了三次");
    ev[1] = ev_vote("k1", 2, "zhang", "k1:1", 1);
    ev[2] = ev_vote("k1", 3, "zhang", "k1:1", 1); /* again: no effect */
    ev[3] = ev_vote("k1", 4, "li", "k1:1", 1);
    ev[4] = ev_vote("k1", 5, "zhang", "k1:1", 0); /* withdraw */
    ev[5] = ev_vote("k1", 6, "zhang", "k1:1", 0); /* nothing to withdraw */
    ev[6] = ev_vote("k1", 7, "li", "k1:404", 1);  /* no such suggestion */
    for (int i = 0; i < 7; i++)
        it[i] = accept_item(&ev[i], DAY, 0);

    ingest_ok(fx, "k1", "s1", it, 3, T0 + 1000);
    assert_sql(fx, "SELECT votes || ' ' || change_id FROM suggestions", "1 2");
    assert_int_equal(syncd_store_feed(fx->store, "s1", 0, 0, &msg), 0);
    assert_int_equal(msg.type, PROTO_MSG_FEED);
    assert_int_equal(msg.u.feed.n_suggestions, 1);
    assert_int_equal(msg.u.feed.cursor, 2);
    assert_false(msg.u.feed.more);
    assert_int_equal(msg.u.feed.n_standings, 0);
    sg = feed_find(&msg, "k1:1");
    assert_non_null(sg);
    assert_int_equal(sg->votes, 1);
    assert_int_equal(sg->kind, PROTO_KIND_PROBLEM);
    assert_string_equal(sg->status, "new");
    assert_string_equal(sg->title, "外呼名单重复");
    assert_string_equal(sg->body, "同一客户一天被打了三次");
    assert_string_equal(sg->author_id, ""); /* anonymous */
    assert_string_equal(sg->process_id, "tm");
    assert_string_equal(sg->step_id, "");
    assert_string_equal(sg->owner_id, "");
    assert_string_equal(sg->due, "");
    assert_null(sg->feedback);
    assert_string_equal(sg->merged_into, "");
    assert_int_equal(sg->created_ms, ev[0].captured_ms);
    assert_int_equal(sg->updated_ms, T0 + 1000);
    cursor = msg.u.feed.cursor;
    proto_msg_clear(&msg);

    /* an anonymous author is nowhere in the store */
    assert_sql(fx, "SELECT COUNT(*) FROM events WHERE staff_id = 'wang'", "0");
    assert_sql(fx, "SELECT quote(anonymous) FROM events WHERE seq = 1", "1");

    ingest_ok(fx, "k1", "s1", it + 3, 4, T0 + 2000);
    assert_sql(fx, "SELECT votes || ' ' || change_id FROM suggestions", "1 4");
    assert_sql(fx, "SELECT staff_id FROM votes", "li");
    assert_counts(fx, 7, 0, 1, 1, 1);
    assert_verified(fx);

    /* the kiosk that saw cursor 2 learns the new count */
    assert_int_equal(syncd_store_feed(fx->store, "s1", cursor, 10, &msg), 0);
    assert_int_equal(msg.u.feed.n_suggestions, 1);
    assert_int_equal(msg.u.feed.suggestions[0].votes, 1);
    assert_int_equal(msg.u.feed.cursor, 4);
    assert_int_equal(syncd_store_feed_cursor(fx->store, "s1"), 4);
    proto_msg_clear(&msg);
    assert_int_equal(syncd_store_feed(fx->store, "s1", 4, 10, &msg), 0);
    assert_int_equal(msg.u.feed.n_suggestions, 0);
    assert_null(msg.u.feed.suggestions);
    assert_int_equal(msg.u.feed.cursor, 4);
    assert_false(msg.u.feed.more);
    proto_msg_clear(&msg);
}

static void test_feed_pages_by_site(void **state)
{
    fx_t *fx = *state;
    proto_event_t ev[9];
    syncd_ingest_item_t it[9];
    proto_msg_t msg;
    uint64_t cursor = 0;
    char ids[256] = "";

    enrol(fx, "k1", "s1", KEY1);
    enrol(fx, "k2", "s2", KEY2);
    for (int i = 0; i < 9; i++) {
        const char *kiosk = i < 7 ? "k1" : "k2";

        ev[i] = ev_suggestion(kiosk, (uint64_t)(i < 7 ? i + 1 : i - 6), "zhang",
                              false, PROTO_KIND_IDEA, "", "", "idea", NULL);
        it[i] = accept_item(&ev[i], DAY, 0);
    }
    /* interleave the sites' change ids */
    ingest_ok(fx, "k1", "s1", it, 3, T0);
    ingest_ok(fx, "k2", "s2", it + 7, 1, T0);
    ingest_ok(fx, "k1", "s1", it + 3, 4, T0);
    ingest_ok(fx, "k2", "s2", it + 8, 1, T0);

    const struct {
        uint32_t n;
        bool more;
        uint64_t cursor;
    } pages[] = {{3, true, 3}, {3, true, 7}, {1, false, 8}, {0, false, 8}};
    for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
        assert_int_equal(syncd_store_feed(fx->store, "s1", cursor, 3, &msg), 0);
        assert_int_equal(msg.u.feed.n_suggestions, pages[p].n);
        assert_int_equal(msg.u.feed.more, pages[p].more);
        assert_int_equal(msg.u.feed.cursor, pages[p].cursor);
        for (uint32_t i = 0; i < msg.u.feed.n_suggestions; i++) {
            strcat(ids, msg.u.feed.suggestions[i].id);
            strcat(ids, " ");
        }
        cursor = msg.u.feed.cursor;
        proto_msg_clear(&msg);
    }
    assert_string_equal(ids, "k1:1 k1:2 k1:3 k1:4 k1:5 k1:6 k1:7 ");
    assert_int_equal(syncd_store_feed_cursor(fx->store, "s1"), 8);
    assert_int_equal(syncd_store_feed_cursor(fx->store, "s2"), 9);
    assert_int_equal(syncd_store_feed_cursor(fx->store, "s9"), 0);

    /* 0 means "as many as a FEED may carry" */
    assert_int_equal(syncd_store_feed(fx->store, "s1", 0, 0, &msg), 0);
    assert_int_equal(msg.u.feed.n_suggestions, 7);
    assert_false(msg.u.feed.more);
    proto_msg_clear(&msg);
    assert_int_equal(syncd_store_feed(fx->store, "s2", 0, 0, &msg), 0);
    assert_int_equal(msg.u.feed.n_suggestions, 2);
    assert_string_equal(msg.u.feed.suggestions[0].id, "k2:1");
    assert_string_equal(msg.u.feed.suggestions[1].id, "k2:2");
    assert_int_equal(msg.u.feed.cursor, 9);
    proto_msg_clear(&msg);
}

/* More changes than one FEED may carry: 500, then the rest. */
static void test_feed_caps_at_protocol_limit(void **state)
{
    fx_t *fx = *state;
    enum { N = 620 };
    proto_event_t *ev = calloc(N, sizeof *ev);
    syncd_ingest_item_t *it = calloc(N, sizeof *it);
    proto_msg_t msg;

    assert_non_null(ev);
    assert_non_null(it);
    enrol(fx, "k1", "s1", KEY1);
    for (int i = 0; i < N; i++) {
        ev[i] = ev_suggestion("k1", (uint64_t)i + 1, "li", false,
                              PROTO_KIND_PROBLEM, "", "", "问题", "细节");
        it[i] = accept_item(&ev[i], DAY, 0);
    }
    ingest_ok(fx, "k1", "s1", it, PROTO_MAX_BATCH, T0);
    ingest_ok(fx, "k1", "s1", it + PROTO_MAX_BATCH, N - PROTO_MAX_BATCH, T0);
    free(ev);
    free(it);

    assert_int_equal(syncd_store_feed(fx->store, "s1", 0, 100000, &msg), 0);
    assert_int_equal(msg.u.feed.n_suggestions, PROTO_MAX_FEED);
    assert_true(msg.u.feed.more);
    assert_int_equal(msg.u.feed.cursor, PROTO_MAX_FEED);
    assert_string_equal(msg.u.feed.suggestions[499].id, "k1:500");
    assert_string_equal(msg.u.feed.suggestions[499].body, "细节");
    proto_msg_clear(&msg);
    assert_int_equal(syncd_store_feed(fx->store, "s1", PROTO_MAX_FEED, 0, &msg),
                     0);
    assert_int_equal(msg.u.feed.n_suggestions, N - PROTO_MAX_FEED);
    assert_false(msg.u.feed.more);
    assert_int_equal(msg.u.feed.cursor, N);
    assert_string_equal(msg.u.feed.suggestions[0].id, "k1:501");
    proto_msg_clear(&msg);
}

/* ---- Export */

typedef struct {
    char *text;
    size_t len;
    int calls;
    int fail_after; /* 0 = never */
} sink_t;

static int sink_write(void *ctx, const char *data, size_t len)
{
    sink_t *s = ctx;
    char *p;

    if (s->fail_after && s->calls >= s->fail_after)
        return PROTO_ERANGE;
    s->calls++;
    p = realloc(s->text, s->len + len + 1);
    assert_non_null(p);
    memcpy(p + s->len, data, len);
    s->len += len;
    p[s->len] = '\0';
    s->text = p;
    return 0;
}

static void export_batch(fx_t *fx, proto_event_t *ev)
{
    syncd_ingest_item_t it[7];

    enrol(fx, "k1", "s1", KEY1);
    enrol(fx, "k2", "s2", KEY2);
    ev[0] = ev_checkin("k1", 1, "zhang", "tm-call", 4, "calls=35,effective=6");
    ev[0].captured_ms = T0;
    ev[0].note = "打了35个电话, 6个有效\n客户说\"明天再联系\"";
    ev[1] = ev_suggestion("k1", 2, "li", false, PROTO_KIND_IDEA, "tm",
                          "tm-list", "名单要提前一天准备",
                          "Sort lists by \"last contact\", oldest first");
    ev[2] = ev_vote("k1", 3, "zhang", "k1:2", 1);
    ev[3] = ev_rating("k1", 4, "wang", "", 5);
    ev[4] = ev_checkin("k1", 5, "zhang", "nope", 0, "calls=1");
    ev[5] = ev_checkin("k1", 6, "li", "tm-call", 0, "calls=0.1");
    ev[5].captured_ms = T0 + 300;
    ev[5].note = "tab\there\x01 back\\slash";
    ev[6] = ev_checkin("k2", 1, "zhao", "tm-call", 0, "calls=1");
    it[0] = accept_item(&ev[0], DAY, 12.5);
    it[1] = accept_item(&ev[1], DAY, 0);
    it[2] = accept_item(&ev[2], DAY, 0);
    it[3] = accept_item(&ev[3], DAY, 0);
    it[4] = reject_item(&ev[4], PROTO_REJECT_UNKNOWN_STEP, "no step nope");
    it[5] = accept_item(&ev[5], DAY, 0.025);
    it[6] = accept_item(&ev[6], DAY, 0);
    ingest_ok(fx, "k1", "s1", it, 6, T0 + 60000);
    ingest_ok(fx, "k2", "s2", it + 6, 1, T0 + 60000);
}

#define CSV_HEADER                                                             \
    "kiosk_id,seq,type,site_id,staff_id,step_id,process_id,"                   \
    "catalogue_version,captured_utc,received_utc,day,quality,score,vote,"      \
    "suggestion_id,measures,note,points,kind,anonymous,title,body\r\n"

static const char csv_s1[] = CSV_HEADER
    "k1,1,checkin,s1,zhang,tm-call,,3,2025-11-25T01:30:00.000Z,"
    "2025-11-25T01:31:00.000Z,2025-11-25,4,,,,"
    "\"{\"\"calls\"\":35,\"\"effective\"\":6}\","
    "\"打了35个电话, 6个有效\n客户说\"\"明天再联系\"\"\",12.5,,,,\r\n"
    "k1,2,suggestion,s1,li,tm-list,tm,,2025-11-25T01:32:00.000Z,"
    "2025-11-25T01:31:00.000Z,2025-11-25,,,,,,,0,idea,false,"
    "名单要提前一天准备,\"Sort lists by \"\"last contact\"\", oldest "
    "first\"\r\n"
    "k1,3,vote,s1,zhang,,,,2025-11-25T01:33:00.000Z,"
    "2025-11-25T01:31:00.000Z,2025-11-25,,,1,k1:2,,,0,,,,\r\n"
    "k1,4,rating,s1,wang,,,,2025-11-25T01:34:00.000Z,"
    "2025-11-25T01:31:00.000Z,2025-11-25,,5,,,,,0,,,,\r\n"
    "k1,6,checkin,s1,li,tm-call,,3,2025-11-25T01:30:00.300Z,"
    "2025-11-25T01:31:00.000Z,2025-11-25,,,,,\"{\"\"calls\"\":0.1}\","
    "tab\there\x01 back\\slash,0.025,,,,\r\n";

static const char json_s1[] =
    "{\"kiosk_id\":\"k1\",\"seq\":1,\"type\":\"checkin\",\"site_id\":\"s1\","
    "\"staff_id\":\"zhang\",\"step_id\":\"tm-call\",\"process_id\":null,"
    "\"catalogue_version\":3,\"captured_utc\":\"2025-11-25T01:30:00.000Z\","
    "\"received_utc\":\"2025-11-25T01:31:00.000Z\",\"day\":\"2025-11-25\","
    "\"quality\":4,\"score\":null,\"vote\":null,\"suggestion_id\":null,"
    "\"measures\":{\"calls\":35,\"effective\":6},"
    "\"note\":\"打了35个电话, 6个有效\\n客户说\\\"明天再联系\\\"\","
    "\"points\":12.5,\"kind\":null,\"anonymous\":null,\"title\":null,"
    "\"body\":null}\n"
    "{\"kiosk_id\":\"k1\",\"seq\":2,\"type\":\"suggestion\",\"site_id\":\"s1\","
    "\"staff_id\":\"li\",\"step_id\":\"tm-list\",\"process_id\":\"tm\","
    "\"catalogue_version\":null,\"captured_utc\":\"2025-11-25T01:32:00.000Z\","
    "\"received_utc\":\"2025-11-25T01:31:00.000Z\",\"day\":\"2025-11-25\","
    "\"quality\":null,\"score\":null,\"vote\":null,\"suggestion_id\":null,"
    "\"measures\":null,\"note\":null,\"points\":0,\"kind\":\"idea\","
    "\"anonymous\":false,\"title\":\"名单要提前一天准备\","
    "\"body\":\"Sort lists by \\\"last contact\\\", oldest first\"}\n"
    "{\"kiosk_id\":\"k1\",\"seq\":3,\"type\":\"vote\",\"site_id\":\"s1\","
    "\"staff_id\":\"zhang\",\"step_id\":null,\"process_id\":null,"
    "\"catalogue_version\":null,\"captured_utc\":\"2025-11-25T01:33:00.000Z\","
    "\"received_utc\":\"2025-11-25T01:31:00.000Z\",\"day\":\"2025-11-25\","
    "\"quality\":null,\"score\":null,\"vote\":1,\"suggestion_id\":\"k1:2\","
    "\"measures\":null,\"note\":null,\"points\":0,\"kind\":null,"
    "\"anonymous\":null,\"title\":null,\"body\":null}\n"
    "{\"kiosk_id\":\"k1\",\"seq\":4,\"type\":\"rating\",\"site_id\":\"s1\","
    "\"staff_id\":\"wang\",\"step_id\":null,\"process_id\":null,"
    "\"catalogue_version\":null,\"captured_utc\":\"2025-11-25T01:34:00.000Z\","
    "\"received_utc\":\"2025-11-25T01:31:00.000Z\",\"day\":\"2025-11-25\","
    "\"quality\":null,\"score\":5,\"vote\":null,\"suggestion_id\":null,"
    "\"measures\":null,\"note\":null,\"points\":0,\"kind\":null,"
    "\"anonymous\":null,\"title\":null,\"body\":null}\n"
    "{\"kiosk_id\":\"k1\",\"seq\":6,\"type\":\"checkin\",\"site_id\":\"s1\","
    "\"staff_id\":\"li\",\"step_id\":\"tm-call\",\"process_id\":null,"
    "\"catalogue_version\":3,\"captured_utc\":\"2025-11-25T01:30:00.300Z\","
    "\"received_utc\":\"2025-11-25T01:31:00.000Z\",\"day\":\"2025-11-25\","
    "\"quality\":null,\"score\":null,\"vote\":null,\"suggestion_id\":null,"
    "\"measures\":{\"calls\":0.1},"
    "\"note\":\"tab\\there\\u0001 back\\\\slash\",\"points\":0.025,"
    "\"kind\":null,\"anonymous\":null,\"title\":null,\"body\":null}\n";

static void test_export_csv_exact(void **state)
{
    fx_t *fx = *state;
    proto_event_t ev[7];
    sink_t sink = {0};

    export_batch(fx, ev);
    assert_int_equal(syncd_store_export_events(fx->store, SYNCD_EXPORT_CSV,
                                               "s1", 0, 0, sink_write, &sink),
                     0);
    assert_string_equal(sink.text, csv_s1);
    free(sink.text);

    /* every site, and a time window [since, until) */
    memset(&sink, 0, sizeof sink);
    assert_int_equal(syncd_store_export_events(fx->store, SYNCD_EXPORT_CSV,
                                               NULL, 0, 0, sink_write, &sink),
                     0);
    assert_int_equal(sink.calls, 7); /* header and six events */
    assert_non_null(strstr(sink.text, "\r\nk2,1,checkin,s2,zhao,"));
    free(sink.text);
    memset(&sink, 0, sizeof sink);
    assert_int_equal(syncd_store_export_events(fx->store, SYNCD_EXPORT_CSV,
                                               NULL, T0 + 120000, T0 + 240000,
                                               sink_write, &sink),
                     0);
    assert_string_equal(sink.text, CSV_HEADER
                        "k1,2,suggestion,s1,li,tm-list,tm,,"
                        "2025-11-25T01:32:00.000Z,2025-11-25T01:31:00.000Z,"
                        "2025-11-25,,,,,,,0,idea,false,名单要提前一天准备,"
                        "\"Sort lists by \"\"last contact\"\", oldest "
                        "first\"\r\n"
                        "k1,3,vote,s1,zhang,,,,2025-11-25T01:33:00.000Z,"
                        "2025-11-25T01:31:00.000Z,2025-11-25,,,1,k1:2,,,0,,,,"
                        "\r\n");
    free(sink.text);
}

static void test_export_json_exact(void **state)
{
    fx_t *fx = *state;
    proto_event_t ev[7];
    sink_t sink = {0};

    export_batch(fx, ev);
    assert_int_equal(syncd_store_export_events(fx->store, SYNCD_EXPORT_JSON,
                                               "s1", 0, 0, sink_write, &sink),
                     0);
    assert_string_equal(sink.text, json_s1);
    free(sink.text);

    /* a writer that gives up stops the export with its code */
    memset(&sink, 0, sizeof sink);
    sink.fail_after = 2;
    assert_int_equal(syncd_store_export_events(fx->store, SYNCD_EXPORT_JSON,
                                               NULL, 0, 0, sink_write, &sink),
                     PROTO_ERANGE);
    assert_int_equal(sink.calls, 2);
    free(sink.text);
    /* and the store is not left mid-read */
    assert_counts(fx, 6, 1, 1, 1, 2);
}

/* Reads an export page by page of max_bytes (syncctl's loop): returns
 * the pages put together, *pages how many there were. */
static char *export_paged(fx_t *fx, syncd_export_format_t fmt, const char *site,
                          size_t max_bytes, int *pages)
{
    sink_t all = {0};
    char after[PROTO_ID_MAX + 1] = "";
    uint64_t after_seq = 0;
    bool more = true;

    *pages = 0;
    while (more) {
        sink_t one = {0};
        syncd_export_page_t page = {.site_id = site,
                                    .after_kiosk = after[0] ? after : NULL,
                                    .after_seq = after_seq,
                                    .max_bytes = max_bytes};
        assert_int_equal(
            syncd_store_export_page(fx->store, fmt, &page, sink_write, &one),
            0);
        ++*pages;
        if (one.len)
            sink_write(&all, one.text, one.len);
        free(one.text);
        more = page.more;
        if (more) {
            /* the page ended on a row: the next starts after it */
            assert_true(page.last_kiosk[0] != '\0');
            assert_true(strcmp(page.last_kiosk, after) > 0 ||
                        (strcmp(page.last_kiosk, after) == 0 &&
                         page.last_seq > after_seq));
            snprintf(after, sizeof after, "%s", page.last_kiosk);
            after_seq = page.last_seq;
        }
        assert_true(*pages <= 100);
    }
    return all.text ? all.text : strdup("");
}

/* An export read in pages is the whole export byte for byte, each row
 * once and the CSV header once, whatever the page size; a page holds at
 * least one row; one past the last row is empty. */
static void test_export_pages(void **state)
{
    fx_t *fx = *state;
    proto_event_t ev[7];
    int pages;

    export_batch(fx, ev);
    for (int f = 0; f < 2; f++) {
        syncd_export_format_t fmt = f ? SYNCD_EXPORT_JSON : SYNCD_EXPORT_CSV;
        sink_t whole = {0};
        assert_int_equal(syncd_store_export_events(fx->store, fmt, NULL, 0, 0,
                                                   sink_write, &whole),
                         0);
        static const size_t sizes[] = {1, 200, 700, 1u << 20};
        static const int want_pages[] = {6, 0, 0, 1}; /* 0: 2 to 6 */
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            char *paged = export_paged(fx, fmt, NULL, sizes[i], &pages);
            assert_string_equal(paged, whole.text);
            if (want_pages[i])
                assert_int_equal(pages, want_pages[i]);
            else
                assert_in_range(pages, 2, 6);
            free(paged);
        }
        free(whole.text);
    }
    /* a site's export, paged */
    char *paged = export_paged(fx, SYNCD_EXPORT_CSV, "s1", 1, &pages);
    assert_string_equal(paged, csv_s1);
    assert_int_equal(pages, 5);
    free(paged);
    /* after the last row: nothing, and no header */
    sink_t none = {0};
    syncd_export_page_t page = {
        .after_kiosk = "k2", .after_seq = 1, .max_bytes = 1};
    assert_int_equal(syncd_store_export_page(fx->store, SYNCD_EXPORT_CSV, &page,
                                             sink_write, &none),
                     0);
    assert_int_equal(none.len, 0);
    assert_false(page.more);
    free(none.text);
}

/* ---- Verification */

static void assert_verify_finds(fx_t *fx, const char *expected)
{
    char why[512];

    assert_int_equal(syncd_store_verify_rollups(fx->store, why, sizeof why),
                     PROTO_ERANGE);
    assert_string_equal(why, expected);
}

static void test_verify_finds_corruption(void **state)
{
    fx_t *fx = *state;
    mixed_t m;

    enrol(fx, "k1", "s1", KEY1);
    mixed_batch(&m);
    ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0);
    assert_verified(fx);

    side_exec(fx, "UPDATE rollup_day SET checkins = checkins + 1"
                  " WHERE staff_id = 'li'");
    assert_verify_finds(
        fx, "rollup_day site s1, day 2025-11-25, step \"tm-call\", staff "
            "\"li\" holds checkins 2 (events give 1), quality_sum 5 (5), "
            "quality_n 1 (1), points 7.25 (7.25), ratings_n 0 (0), "
            "ratings_sum 0 (0)");
    side_exec(fx, "UPDATE rollup_day SET checkins = checkins - 1"
                  " WHERE staff_id = 'li'");
    assert_verified(fx);

    side_exec(fx, "UPDATE rollup_day SET points = 7.5 WHERE staff_id = 'li'");
    assert_verify_finds(
        fx, "rollup_day site s1, day 2025-11-25, step \"tm-call\", staff "
            "\"li\" holds checkins 1 (events give 1), quality_sum 5 (5), "
            "quality_n 1 (1), points 7.5 (7.25), ratings_n 0 (0), "
            "ratings_sum 0 (0)");
    side_exec(fx, "UPDATE rollup_day SET points = 7.25 WHERE staff_id = 'li'");

    side_exec(fx, "DELETE FROM rollup_measure WHERE staff_id = 'li'"
                  " AND measure = 'effective'");
    assert_verify_finds(fx, "rollup_measure lacks the row site s1, day "
                            "2025-11-25, step \"tm-call\", staff \"li\", "
                            "measure \"effective\" that its events give");
    side_exec(fx, "INSERT INTO rollup_measure VALUES ('s1', '2025-11-25',"
                  " 'tm-call', 'li', 'effective', 2.5)");
    assert_verified(fx);

    side_exec(fx,
              "INSERT INTO rollup_day(site_id, day, step_id, staff_id,"
              " checkins) VALUES ('s1', '2025-11-24', 'tm-call', 'zhao', 3)");
    assert_verify_finds(fx, "rollup_day has the row site s1, day 2025-11-24, "
                            "step \"tm-call\", staff \"zhao\" with no events "
                            "behind it");
    side_exec(fx, "DELETE FROM rollup_day WHERE staff_id = 'zhao'");

    side_exec(fx, "UPDATE rollup_measure SET total = 44 WHERE staff_id ="
                  " 'zhang' AND measure = 'calls' AND day = '2025-11-25'");
    assert_verify_finds(fx, "rollup_measure site s1, day 2025-11-25, step "
                            "\"tm-call\", staff \"zhang\", measure \"calls\" "
                            "totals 44 but its events give 45");
    side_exec(fx, "UPDATE rollup_measure SET total = 45 WHERE staff_id ="
                  " 'zhang' AND measure = 'calls' AND day = '2025-11-25'");

    side_exec(fx, "UPDATE suggestions SET votes = 5");
    assert_verify_finds(fx, "suggestion k1:4 counts 5 votes but 2 staff "
                            "voted for it");
    side_exec(fx, "UPDATE suggestions SET votes = 2");

    side_exec(fx, "UPDATE kiosks SET acked_seq = 8");
    assert_verify_finds(fx, "kiosk k1 has acked seq 8 but the store holds "
                            "seq 10 above it");
    side_exec(fx, "UPDATE kiosks SET acked_seq = 10, events = 8");
    assert_verify_finds(fx, "kiosk k1 counts 8 events (the store holds 9) "
                            "and 1 rejected (dead letters hold 1)");
    side_exec(fx, "UPDATE kiosks SET events = 9");
    assert_verified(fx);
    /* verifying leaves the store as it was and usable */
    assert_int_equal(ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0).duplicates,
                     MIXED_N);
}

/* ---- Catalogue versions */

static void test_catalogue_versions(void **state)
{
    fx_t *fx = *state;
    uint64_t version = 99;
    char *yaml = (char *)"x";
    size_t len = 99;
    const char v2[] = "title: 营业部\nversion: two\n";

    assert_int_equal(
        syncd_store_catalogue_current(fx->store, &version, &yaml, &len), 0);
    assert_int_equal(version, 0);
    assert_null(yaml);
    assert_int_equal(len, 0);
    assert_int_equal(
        syncd_store_catalogue_put(fx->store, "a: 1\n", 5, T0, &version), 0);
    assert_int_equal(version, 1);
    assert_int_equal(
        syncd_store_catalogue_put(fx->store, v2, strlen(v2), T0 + 1, &version),
        0);
    assert_int_equal(version, 2);
    assert_int_equal(
        syncd_store_catalogue_current(fx->store, &version, &yaml, &len), 0);
    assert_int_equal(version, 2);
    assert_int_equal(len, strlen(v2));
    assert_string_equal(yaml, v2);
    free(yaml);
    assert_int_equal(syncd_store_catalogue_get(fx->store, 1, &yaml, &len), 0);
    assert_int_equal(len, 5);
    assert_string_equal(yaml, "a: 1\n");
    free(yaml);
    assert_int_equal(syncd_store_catalogue_get(fx->store, 3, &yaml, &len),
                     PROTO_ENOTFOUND);
    assert_null(yaml);
    assert_string_equal(syncd_store_errmsg(fx->store),
                        "catalogue get: no catalogue version 3; syncctl "
                        "catalogue export shows the current one");
    assert_sql(fx,
               "SELECT published_ms FROM catalogue_versions"
               " WHERE version = 2",
               "1764034200001");
}

/* ---- Volume: 10,000 events in batches of 500, all there exactly once */

static void test_ingest_ten_thousand(void **state)
{
    fx_t *fx = *state;
    enum { TOTAL = 10000, BATCH = 500 };
    static const char *const staff[] = {"zhang", "li", "wang", "zhao", "sun"};
    static const char *const days[] = {"2025-11-24", "2025-11-25",
                                       "2025-11-26"};
    proto_event_t *ev = calloc(BATCH, sizeof *ev);
    syncd_ingest_item_t *it = calloc(BATCH, sizeof *it);
    uint64_t calls = 0;
    syncd_kiosk_t k;
    char expected[64];

    assert_non_null(ev);
    assert_non_null(it);
    enrol(fx, "k1", "s1", KEY1);
    for (int b = 0; b < TOTAL / BATCH; b++) {
        syncd_ingest_result_t r;

        for (int i = 0; i < BATCH; i++) {
            uint64_t seq = (uint64_t)b * BATCH + (uint64_t)i + 1;
            char m[64];

            snprintf(m, sizeof m, "calls=%d,effective=%d", (int)(seq % 50),
                     (int)(seq % 7));
            calls += seq % 50;
            ev[i] = ev_checkin("k1", seq, staff[seq % 5], "tm-call",
                               (uint8_t)(seq % 6), m);
            it[i] = accept_item(&ev[i], days[seq % 3], (double)(seq % 50));
        }
        r = ingest_ok(fx, "k1", "s1", it, BATCH, T0 + b);
        assert_int_equal(r.accepted, BATCH);
        assert_int_equal(r.acked_seq, (uint64_t)(b + 1) * BATCH);
    }
    /* the last batch again: nothing new */
    assert_int_equal(ingest_ok(fx, "k1", "s1", it, BATCH, T0).duplicates,
                     BATCH);
    free(ev);
    free(it);

    assert_counts(fx, TOTAL, 0, 0, 0, 1);
    assert_sql(fx,
               "SELECT COUNT(DISTINCT seq) || ' ' || MIN(seq) || ' ' ||"
               " MAX(seq) FROM events",
               "10000 1 10000");
    assert_sql(fx, "SELECT SUM(checkins) || ' ' || COUNT(*) FROM rollup_day",
               "10000 15");
    snprintf(expected, sizeof expected, "%" PRIu64, calls);
    assert_sql(fx,
               "SELECT CAST(SUM(total) AS INTEGER) FROM rollup_measure"
               " WHERE measure = 'calls'",
               expected);
    assert_int_equal(side_int(fx, "SELECT CAST(SUM(points) AS INTEGER)"
                                  " FROM rollup_day"),
                     (int64_t)calls);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_int_equal(k.acked_seq, TOTAL);
    assert_int_equal(k.events, TOTAL);
    assert_verified(fx);
}

/* A batch with more rollup keys than the store writes in one statement
 * (SQLite: 32- and 8-row upserts, then single rows): every key inserted
 * once, then added to by a second batch, with exact sums. */
static void test_ingest_many_rollup_keys(void **state)
{
    fx_t *fx = *state;
    enum { FIRST = 100, SECOND = 45 };
    static const char *const staff[] = {"zhang", "li", "wang", "zhao", "sun"};
    proto_event_t ev[FIRST];
    syncd_ingest_item_t it[FIRST];
    char days[20][16], m[64];

    enrol(fx, "k1", "s1", KEY1);
    for (int d = 0; d < 20; d++)
        snprintf(days[d], sizeof days[d], "2025-11-%02d", d + 1);
    /* 5 staff x 20 days: 100 rollup_day keys, 200 rollup_measure keys */
    for (int i = 0; i < FIRST; i++) {
        snprintf(m, sizeof m, "calls=%d,effective=1", i + 1);
        ev[i] =
            ev_checkin("k1", (uint64_t)i + 1, staff[i % 5], "tm-call", 4, m);
        it[i] = accept_item(&ev[i], days[i / 5], (double)(i + 1));
    }
    assert_int_equal(ingest_ok(fx, "k1", "s1", it, FIRST, T0).accepted, FIRST);
    /* 45 of those keys again, in another order */
    for (int i = 0; i < SECOND; i++) {
        int key = (i * 7) % FIRST;
        snprintf(m, sizeof m, "calls=%d,effective=1", 1000 + i);
        ev[i] = ev_checkin("k1", (uint64_t)(FIRST + i + 1), staff[key % 5],
                           "tm-call", 4, m);
        it[i] = accept_item(&ev[i], days[key / 5], (double)(1000 + i));
    }
    assert_int_equal(ingest_ok(fx, "k1", "s1", it, SECOND, T0 + 1).accepted,
                     SECOND);
    assert_sql(fx, "SELECT COUNT(*) || ' ' || SUM(checkins) FROM rollup_day",
               "100 145");
    assert_sql(fx,
               "SELECT COUNT(*) || ' ' || CAST(SUM(total) AS INTEGER)"
               " FROM rollup_measure WHERE measure = 'calls'",
               "100 51040"); /* 1..100 = 5050, 1000..1044 = 45990 */
    assert_sql(fx,
               "SELECT COUNT(*) || ' ' || CAST(SUM(total) AS INTEGER)"
               " FROM rollup_measure WHERE measure = 'effective'",
               "100 145");
    /* key 0 (zhang, 2025-11-01): seq 1 (1 call) and i = 0 (1000 calls) */
    assert_sql(fx,
               "SELECT d.checkins || ' ' || CAST(m.total AS INTEGER)"
               " FROM rollup_day d JOIN rollup_measure m"
               " ON m.day = d.day AND m.step_id = d.step_id"
               " AND m.staff_id = d.staff_id"
               " WHERE d.staff_id = 'zhang' AND d.day = '2025-11-01'"
               " AND m.measure = 'calls'",
               "2 1001");
    assert_verified(fx);
}

/* ---- PostgreSQL only: what the SQLite tests above check with SQLite's
 *      own triggers and files, and what only several processes sharing
 *      one database can do. */

/* A failure at any write of a batch (a trigger raising an error, as a full
 * disk or a lost connection would) leaves nothing of it; the retry then
 * stores it whole. */
static void test_pg_failure_anywhere_rolls_back(void **state)
{
    fx_t *fx = *state;
    static const char *const where[] = {
        "INSERT ON events",      "INSERT ON dead_letters",
        "INSERT ON rollup_day",  "INSERT ON rollup_measure",
        "INSERT ON suggestions", "UPDATE ON suggestions",
        "INSERT ON votes",       "UPDATE ON meta",
        "UPDATE ON kiosks",      "INSERT ON site_points",
    };
    mixed_t m;
    syncd_ingest_result_t r;
    syncd_kiosk_t k;

    enrol(fx, "k1", "s1", KEY1);
    mixed_batch(&m);
    side_exec(fx, "CREATE FUNCTION injected() RETURNS trigger"
                  " LANGUAGE plpgsql AS $$ BEGIN"
                  " RAISE EXCEPTION 'injected failure'; END $$");
    for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
        char sql[256];

        snprintf(sql, sizeof sql,
                 "CREATE TRIGGER injected BEFORE %s FOR EACH ROW"
                 " EXECUTE FUNCTION injected()",
                 where[w]);
        side_exec(fx, sql);
        if (syncd_store_ingest(fx->store, "k1", "s1", m.items, MIXED_N, T0,
                               &r) != PROTO_ESTORE)
            fail_msg("a failure at %s was not reported", where[w]);
        assert_non_null(
            strstr(syncd_store_errmsg(fx->store), ": injected failure"));
        assert_counts(fx, 0, 0, 0, 0, 1);
        assert_sql(fx,
                   "SELECT (SELECT COUNT(*) FROM rollup_day)::text ||"
                   " (SELECT COUNT(*) FROM rollup_measure) ||"
                   " (SELECT COUNT(*) FROM site_points) ||"
                   " (SELECT value FROM meta) ||"
                   " (SELECT acked_seq || '' || events || rejected ||"
                   " last_sync_ms FROM kiosks)",
                   "00000000");
        snprintf(sql, sizeof sql, "DROP TRIGGER injected ON %s",
                 strstr(where[w], " ON ") + 4);
        side_exec(fx, sql);
    }
    r = ingest_ok(fx, "k1", "s1", m.items, MIXED_N, T0);
    assert_int_equal(r.accepted, 9);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    assert_int_equal(k.acked_seq, 10);
    assert_mixed_rollups(fx);
    assert_verified(fx);
}

/* Two syncd instances (two stores on one database) serving the same two
 * kiosks at once, each receiving every batch (a kiosk that failed over and
 * resent): every event is stored once, the points cap of a staff member
 * checking in on both kiosks holds exactly, and the rollups agree. */
#define PAR_KIOSKS 2
#define PAR_EVENTS 120
#define PAR_BATCH 20
#define PAR_CAP 30.0

typedef struct {
    syncd_store_t *store;
    syncd_ingest_item_t *items[PAR_KIOSKS];
    uint64_t accepted, duplicates;
    int failed;
    char err[512];
} par_t;

static void *par_run(void *arg)
{
    static const char *const kiosks[PAR_KIOSKS] = {"k1", "k2"};
    par_t *p = arg;

    for (int b = 0; b < PAR_EVENTS / PAR_BATCH && !p->failed; b++)
        for (int k = 0; k < PAR_KIOSKS && !p->failed; k++) {
            syncd_ingest_result_t r;
            int rc;

            /* kiosk row, rollup rows in key order, then the change
             * counter: no two batches wait for each other in a cycle, so
             * none fails (no retry here) */
            rc = syncd_store_ingest(p->store, kiosks[k], "s1",
                                    p->items[k] + b * PAR_BATCH, PAR_BATCH, T0,
                                    &r);
            if (rc != 0) {
                p->failed = rc;
                snprintf(p->err, sizeof p->err, "%s",
                         syncd_store_errmsg(p->store));
                break;
            }
            p->accepted += r.accepted;
            p->duplicates += r.duplicates;
        }
    return NULL;
}

static void test_pg_two_instances_same_kiosks(void **state)
{
    fx_t *fx = *state;
    proto_event_t *ev = calloc(PAR_KIOSKS * PAR_EVENTS, sizeof *ev);
    syncd_ingest_item_t *it = calloc(PAR_KIOSKS * PAR_EVENTS, sizeof *it);
    par_t par[2];
    pthread_t th[2];
    char expected[64];

    assert_non_null(ev);
    assert_non_null(it);
    enrol(fx, "k1", "s1", KEY1);
    enrol(fx, "k2", "s1", KEY2);
    for (int k = 0; k < PAR_KIOSKS; k++)
        for (int i = 0; i < PAR_EVENTS; i++) {
            int j = k * PAR_EVENTS + i;

            ev[j] = ev_checkin(k ? "k2" : "k1", (uint64_t)i + 1, "zhang",
                               "tm-call", 0, "calls=1");
            it[j] = accept_item(&ev[j], DAY, 1);
            it[j].points_cap = PAR_CAP;
        }
    for (int t = 0; t < 2; t++) {
        memset(&par[t], 0, sizeof par[t]);
        par[t].store = t ? open_store(fx) : fx->store;
        for (int k = 0; k < PAR_KIOSKS; k++)
            par[t].items[k] = it + k * PAR_EVENTS;
    }
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&th[t], NULL, par_run, &par[t]), 0);
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < 2; t++)
        if (par[t].failed)
            fail_msg("instance %d: %d %s", t, par[t].failed, par[t].err);
    syncd_store_destroy(&par[1].store);

    assert_int_equal(par[0].accepted + par[1].accepted,
                     PAR_KIOSKS * PAR_EVENTS);
    assert_int_equal(par[0].duplicates + par[1].duplicates,
                     PAR_KIOSKS * PAR_EVENTS);
    assert_counts(fx, PAR_KIOSKS * PAR_EVENTS, 0, 0, 0, PAR_KIOSKS);
    snprintf(expected, sizeof expected, "%d %d", PAR_KIOSKS * PAR_EVENTS,
             (int)PAR_CAP);
    assert_sql(fx, "SELECT checkins || ' ' || points FROM rollup_day",
               expected);
    assert_sql(fx, "SELECT SUM(points) FROM events", "30");
    assert_verified(fx);
    free(ev);
    free(it);
}

/* Two syncd instances, each serving its own kiosk of one site, whose
 * batches add to the same two (day, step, staff) keys, each capping the
 * key the other does not: both lock every rollup_day row of the batch in
 * key order before the events, so neither waits for the other in a cycle
 * (when the capped key was locked first and the others later, the two
 * could deadlock and PostgreSQL failed one batch: the first round did).
 * Every batch is stored at the first attempt, and the rollups agree with
 * the events. */
#define DL_ROUNDS 60

typedef struct {
    syncd_store_t *store;
    const char *kiosk;
    syncd_ingest_item_t *items; /* DL_ROUNDS batches of 2 */
    int failed;
    char err[512];
} dl_t;

static void *dl_run(void *arg)
{
    dl_t *p = arg;

    for (int b = 0; b < DL_ROUNDS && !p->failed; b++) {
        syncd_ingest_result_t r;
        int rc = syncd_store_ingest(p->store, p->kiosk, "s1", p->items + 2 * b,
                                    2, T0, &r);

        if (rc != 0 || r.accepted != 2) {
            p->failed = rc ? rc : -1;
            snprintf(p->err, sizeof p->err, "batch %d: %s", b,
                     syncd_store_errmsg(p->store));
        }
    }
    return NULL;
}

static void test_pg_crossed_caps_never_deadlock(void **state)
{
    fx_t *fx = *state;
    static const char *const kiosks[2] = {"k1", "k2"};
    proto_event_t ev[2][2 * DL_ROUNDS];
    syncd_ingest_item_t it[2][2 * DL_ROUNDS];
    dl_t dl[2];
    pthread_t th[2];

    enrol(fx, "k1", "s1", KEY1);
    enrol(fx, "k2", "s1", KEY2);
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < DL_ROUNDS; b++)
            for (int e = 0; e < 2; e++) {
                int j = 2 * b + e;
                /* event e of kiosk k's batch: key A (zhang, tm-call) or
                 * key B (li, tm-list); kiosk k caps key k */
                ev[k][j] =
                    ev_checkin(kiosks[k], (uint64_t)j + 1, e ? "li" : "zhang",
                               e ? "tm-list" : "tm-call", 0, "calls=1");
                it[k][j] = accept_item(&ev[k][j], DAY, 1);
                it[k][j].points_cap = e == k ? 50.0 : 0;
            }
    for (int t = 0; t < 2; t++) {
        memset(&dl[t], 0, sizeof dl[t]);
        dl[t].store = t ? open_store(fx) : fx->store;
        dl[t].kiosk = kiosks[t];
        dl[t].items = it[t];
    }
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&th[t], NULL, dl_run, &dl[t]), 0);
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    syncd_store_destroy(&dl[1].store);
    for (int t = 0; t < 2; t++)
        if (dl[t].failed)
            fail_msg("instance %d: %d %s", t, dl[t].failed, dl[t].err);
    assert_counts(fx, 4 * DL_ROUNDS, 0, 0, 0, 2);
    assert_verified(fx);
}

/* What syncd's start line and every store message show of a URI. */
static void test_uri_redact(void **state)
{
    static const char *const cases[][2] = {
        {"postgresql://stepwise:s3cret@db.branch:5432/stepwise",
         "postgresql://stepwise:***@db.branch:5432/stepwise"},
        {"postgresql://stepwise@db/stepwise?password=s3cret&sslmode=require",
         "postgresql://stepwise@db/stepwise?password=***&sslmode=require"},
        {"postgres://u:p@h/d?password=x", "postgres://u:***@h/d?password=***"},
        {"postgresql://stepwise@db/stepwise",
         "postgresql://stepwise@db/stepwise"},
        {"postgresql://db/a:b@c", "postgresql://db/a:b@c"},
        {"/var/lib/stepwise/stepwise.db", "/var/lib/stepwise/stepwise.db"},
    };
    char out[256], tiny[8];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        syncd_store_uri_redact(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    syncd_store_uri_redact("postgresql://u:secret@h/d", tiny, sizeof tiny);
    assert_null(strstr(tiny, "sec"));
}

int main(void)
{
    const struct CMUnitTest pg_tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_future_schema_refused),
        T(test_kiosk_enrol_revoke_get_list),
        T(test_ingest_mixed_batch),
        T(test_ingest_same_batch_twice_changes_nothing),
        T(test_ingest_overlap_stores_only_new),
        T(test_ingest_refuses_unknown_and_revoked_kiosks),
        T(test_ingest_refuses_out_of_order_batch),
        T(test_pg_failure_anywhere_rolls_back),
        T(test_votes_once_per_staff_and_withdraw),
        T(test_feed_pages_by_site),
        T(test_feed_caps_at_protocol_limit),
        T(test_export_csv_exact),
        T(test_export_json_exact),
        T(test_export_pages),
        T(test_verify_finds_corruption),
        T(test_catalogue_versions),
        T(test_ingest_ten_thousand),
        T(test_ingest_many_rollup_keys),
        T(test_pg_two_instances_same_kiosks),
        T(test_pg_crossed_caps_never_deadlock),
#undef T
    };
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_open_reopen_keeps_data),
        T(test_future_schema_refused),
        T(test_open_empty_file_migrates),
        T(test_open_errors_are_readable),
        T(test_kiosk_enrol_revoke_get_list),
        T(test_ingest_mixed_batch),
        T(test_ingest_same_batch_twice_changes_nothing),
        T(test_ingest_overlap_stores_only_new),
        T(test_ingest_refuses_unknown_and_revoked_kiosks),
        T(test_ingest_refuses_out_of_order_batch),
        T(test_ingest_failure_rolls_back),
        T(test_fold_failure_keeps_the_batch),
        T(test_journal_survives_reopen),
        T(test_small_batch_written_at_once),
        T(test_journal_damage_reported),
        T(test_votes_once_per_staff_and_withdraw),
        T(test_feed_pages_by_site),
        T(test_feed_caps_at_protocol_limit),
        T(test_export_csv_exact),
        T(test_export_json_exact),
        T(test_export_pages),
        T(test_verify_finds_corruption),
        T(test_catalogue_versions),
        T(test_ingest_ten_thousand),
        T(test_ingest_many_rollup_keys),
#undef T
        cmocka_unit_test(test_uri_redact),
    };

    /* SQLite-only tests check the file (journal mode, a file that is not
     * a database) and SQLite's own triggers; their PostgreSQL
     * counterparts are the test_pg_ ones. */
    if (sfx_postgres_wanted())
        return cmocka_run_group_tests(pg_tests, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
