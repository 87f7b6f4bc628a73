/*
 * agenda_fixture.h — the in-process store + ingest path shared by the
 * points, lifecycle and agenda tests: a temporary store, a test catalogue
 * (site futian, Asia/Shanghai, teams tele and live, step tm-call with a
 * quality multiplier and a daily cap of 50 points), and helpers that push
 * events through syncd_ingest_build() and syncd_store_ingest() exactly as
 * the daemon does. Header-only: each test program includes it once.
 */
#ifndef TEST_AGENDA_FIXTURE_H
#define TEST_AGENDA_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "protocol/catalogue.h"
#include "store_fixture.h"
#include "syncd/ingest.h"
#include "syncd/store.h"

#define FX_KEY "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

static const char fx_catalogue[] =
    "title: {zh: 测试目录, en: Test catalogue}\n"
    "sites:\n"
    "  - id: futian\n"
    "    name: {zh: 福田营业部}\n"
    "    timezone: Asia/Shanghai\n"
    "    teams:\n"
    "      - id: tele\n"
    "        name: {zh: 电销组}\n"
    "      - id: live\n"
    "        name: {zh: 直播组}\n"
    "    staff:\n"
    "      - id: s1\n"
    "        name: {zh: 张三}\n"
    "        team: tele\n"
    "        role: adviser\n"
    "      - id: s2\n"
    "        name: {zh: 李四}\n"
    "        team: tele\n"
    "        role: new-hire\n"
    "      - id: s3\n"
    "        name: {zh: 王五}\n"
    "        team: live\n"
    "        role: adviser\n"
    "framework:\n"
    "  - id: tm\n"
    "    name: {zh: 电话营销}\n"
    "    steps:\n"
    "      - id: tm-call\n"
    "        name: {zh: 外呼}\n"
    "        measures:\n"
    "          - id: calls\n"
    "            name: {zh: 外呼}\n"
    "            unit: {zh: 通}\n"
    "            points: 1\n"
    "            target: 100\n"
    "            max: 300\n"
    "        quality: true\n"
    "        points: {quality_multiplier: true, daily_cap: 50}\n"
    "      - id: tm-list\n"
    "        name: {zh: 准备名单}\n"
    "        measures:\n"
    "          - id: lists\n"
    "            name: {zh: 名单}\n"
    "            unit: {zh: 份}\n"
    "            points: 2\n"
    "            max: 10\n";

typedef struct {
    char dir[256];
    char path[300];
    sfx_t sx; /* the store: path, or a PostgreSQL database (@postgres) */
    syncd_store_t *store;
    proto_catalogue_t *cat;
    syncd_ingest_t *ing;
    uint64_t next_seq;
} afx_t;

static int afx_exists(void *ctx, const char *id)
{
    afx_t *fx = ctx;
    return syncd_store_suggestion_exists(fx->store, id);
}

static int afx_setup(void **state)
{
    afx_t *fx = calloc(1, sizeof *fx);
    char err[512];
    uint64_t version = 0;

    assert_non_null(fx);
    /* The backend before the directory: a set-up that fails runs no
     * teardown, so an unreachable cluster must fail the test before
     * anything is made on disk that nothing would remove. */
    sfx_init(&fx->sx, "");
    sfx_tmpdir(fx->dir, sizeof fx->dir, "stepwise-agenda");
    snprintf(fx->path, sizeof fx->path, "%s/store.db", fx->dir);
    if (!fx->sx.pg)
        snprintf(fx->sx.uri, sizeof fx->sx.uri, "%s", fx->path);
    syncd_store_options_t opt = {SYNCD_SYNC_OFF, 0};
    fx->store = syncd_store_open(fx->sx.uri, &opt, err, sizeof err);
    if (!fx->store)
        fail_msg("open: %s", err);
    assert_int_equal(syncd_store_catalogue_put(fx->store, fx_catalogue,
                                               strlen(fx_catalogue), 0,
                                               &version),
                     0);
    fx->cat = proto_catalogue_load_string(fx_catalogue, strlen(fx_catalogue),
                                          "test.yaml", err, sizeof err);
    if (!fx->cat)
        fail_msg("catalogue: %s", err);
    fx->cat->version = version;
    fx->ing = syncd_ingest_new();
    assert_non_null(fx->ing);
    assert_int_equal(
        syncd_store_kiosk_enrol(fx->store, "k1", "futian", FX_KEY, 0), 0);
    fx->next_seq = 1;
    *state = fx;
    return 0;
}

static int afx_teardown(void **state)
{
    afx_t *fx = *state;
    syncd_ingest_destroy(&fx->ing);
    proto_catalogue_destroy(&fx->cat);
    syncd_store_destroy(&fx->store);
    sfx_fini(&fx->sx);
    sfx_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* ms since the epoch of a Shanghai wall-clock time (UTC+8, no DST). */
static int64_t afx_sh(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return ((int64_t)timegm(&tm) - 8 * 3600) * 1000;
}

/* Pushes the events (kiosk k1, seqs assigned here) through ingest and the
 * store; every event must be accepted. */
static void afx_push(afx_t *fx, proto_event_t *evs, size_t n)
{
    proto_msg_t push = {.type = PROTO_MSG_PUSH};
    syncd_kiosk_t k;
    push.u.push.events = calloc(n, sizeof(proto_event_t));
    assert_non_null(push.u.push.events);
    for (size_t i = 0; i < n; i++) {
        proto_event_t *e = &push.u.push.events[i];
        assert_int_equal(proto_event_copy(e, &evs[i]), 0);
        snprintf(e->kiosk_id, sizeof e->kiosk_id, "k1");
        e->seq = fx->next_seq++;
        if (e->type == PROTO_EV_CHECKIN)
            e->catalogue_version = fx->cat->version;
    }
    push.u.push.n_events = (uint32_t)n;
    assert_int_equal(syncd_store_kiosk_get(fx->store, "k1", &k), 0);
    syncd_ingest_env_t env = {.kiosk_id = "k1",
                              .site_id = "futian",
                              .acked_seq = k.acked_seq,
                              .current = fx->cat,
                              .suggestion_exists = afx_exists,
                              .ctx = fx};
    assert_int_equal(syncd_ingest_build(fx->ing, &env, &push), 0);
    size_t nr = 0, ni = 0;
    const proto_reject_t *rej = syncd_ingest_rejects(fx->ing, &nr);
    if (nr)
        fail_msg("seq %llu rejected: %s", (unsigned long long)rej[0].seq,
                 rej[0].reason);
    const syncd_ingest_item_t *items = syncd_ingest_items(fx->ing, &ni);
    syncd_ingest_result_t res;
    int rc =
        syncd_store_ingest(fx->store, "k1", "futian", items, ni, 1000, &res);
    if (rc != 0)
        fail_msg("ingest: %s", syncd_store_errmsg(fx->store));
    assert_int_equal(res.accepted, n);
    proto_msg_clear(&push);
}

__attribute__((unused)) static proto_event_t
afx_checkin(const char *staff, const char *step, const char *key, double value,
            uint8_t quality, int64_t at)
{
    proto_event_t ev = {0};
    ev.type = PROTO_EV_CHECKIN;
    ev.captured_ms = at;
    snprintf(ev.staff_id, sizeof ev.staff_id, "%s", staff);
    snprintf(ev.step_id, sizeof ev.step_id, "%s", step);
    ev.n_measures = 1;
    snprintf(ev.measures[0].key, sizeof ev.measures[0].key, "%s", key);
    ev.measures[0].value = value;
    ev.quality = quality;
    return ev;
}

/* title and body must outlive the push (they are copied there). */
__attribute__((unused)) static proto_event_t
afx_suggestion(const char *author, bool anonymous, const char *title,
               const char *body, int64_t at)
{
    proto_event_t ev = {0};
    ev.type = PROTO_EV_SUGGESTION;
    ev.captured_ms = at;
    snprintf(ev.staff_id, sizeof ev.staff_id, "%s", author);
    ev.anonymous = anonymous;
    ev.kind = PROTO_KIND_IDEA;
    snprintf(ev.process_id, sizeof ev.process_id, "tm");
    ev.title = (char *)title;
    ev.body = (char *)body;
    return ev;
}

__attribute__((unused)) static proto_event_t
afx_vote(const char *staff, const char *id, int64_t at)
{
    proto_event_t ev = {0};
    ev.type = PROTO_EV_VOTE;
    ev.captured_ms = at;
    snprintf(ev.staff_id, sizeof ev.staff_id, "%s", staff);
    snprintf(ev.suggestion_id, sizeof ev.suggestion_id, "%s", id);
    ev.vote = 1;
    return ev;
}

/* One value of a query on a side connection, as text ("" for none), over
 * the tables as every read through the store sees them: the ingest
 * journal folded into them first. */
__attribute__((unused)) static void afx_sql(afx_t *fx, const char *sql,
                                            char *out, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (syncd_store_fold(fx->store, SIZE_MAX) != 0)
        fail_msg("fold: %s", syncd_store_errmsg(fx->store));
    if (fx->sx.pg) {
        /* a sub-select gives NULL, not an error, when there is no row */
        char wrapped[2048];
        snprintf(wrapped, sizeof wrapped, "SELECT (%s)", sql);
        sfx_text(&fx->sx, wrapped, out, size);
        if (strcmp(out, "NULL") == 0)
            out[0] = '\0';
        return;
    }
    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

#define assert_afx_sql(fx, sql, expected)                                      \
    do {                                                                       \
        char got_[512], want_[512];                                            \
        afx_sql((fx), (sql), got_, sizeof got_);                               \
        sfx_expected(&(fx)->sx, (expected), want_, sizeof want_);              \
        assert_string_equal(got_, want_);                                      \
    } while (0)

__attribute__((unused)) static void afx_verified(afx_t *fx)
{
    char why[512];
    if (syncd_store_verify_rollups(fx->store, why, sizeof why) != 0)
        fail_msg("verify: %s", why);
}

#endif
