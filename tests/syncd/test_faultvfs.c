/*
 * test_faultvfs.c — the disk failing at every point of an ingest.
 *
 * With the fault VFS (syncd/faultvfs.h) in front of SQLite, a batch is
 * ingested once for every N, failing the Nth read, write or sync with an
 * I/O error or a full disk, until an ingest runs without reaching N. Each
 * time the store must refuse the batch whole (PROTO_ESTORE and a message),
 * keep exactly what it had, let the same connection store the batch on the
 * next attempt, and pass PRAGMA integrity_check afterwards. The server
 * test then shows the same through the wire: ERROR ESTORE and no ACK, and
 * the resent PUSH acknowledged with every event stored once. The same
 * for every point of the fold that writes an acknowledged batch out of
 * the SQLite ingest journal: the batch stays whole in the journal, and the
 * next fold on the same connection writes it once.
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
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "protocol/keys.h"
#include "protocol/proto_zmq.h"
#include "syncd/clock.h"
#include "syncd/faultvfs.h"
#include "syncd/log.h"
#include "syncd/server.h"
#include "syncd/store.h"

#include "server_fixture.h"
#include "store_fixture.h"

#define KEY1 "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
/* 2025-11-25T01:30:00Z */
#define T0 1764034200000LL
#define DAY "2025-11-25"

static char dir[256];

static int group_setup(void **state)
{
    (void)state;
    sfx_tmpdir(dir, sizeof dir, "test_faultvfs");
    assert_int_equal(syncd_faultvfs_install(), 0);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    syncd_faultvfs_disarm();
    sfx_rmtree(dir);
    return 0;
}

/* A fresh, empty store file at path (leftovers of the last round gone). */
static syncd_store_t *fresh_store(const char *path)
{
    syncd_store_options_t opt = {SYNCD_SYNC_FULL, 0};
    char err[512], side[400];
    syncd_store_t *st;

    syncd_faultvfs_disarm();
    for (int i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path,
                 i == 0 ? "" : (i == 1 ? "-wal" : "-shm"));
        (void)unlink(side);
    }
    st = syncd_store_open(path, &opt, err, sizeof err);
    if (st == NULL)
        fail_msg("open %s: %s", path, err);
    return st;
}

static syncd_store_t *reopen(const char *path)
{
    syncd_store_options_t opt = {SYNCD_SYNC_FULL, 0};
    char err[512];
    syncd_store_t *st = syncd_store_open(path, &opt, err, sizeof err);

    if (st == NULL)
        fail_msg("reopen %s: %s", path, err);
    return st;
}

static void assert_integrity(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* ---- A batch: check-ins, a suggestion, a vote on it, a dead letter */

#define BATCH_N 6
typedef struct {
    proto_event_t ev[BATCH_N];
    syncd_ingest_item_t items[BATCH_N];
} batch_t;

static proto_event_t ev_base(proto_event_type_t type, uint64_t seq,
                             const char *staff)
{
    proto_event_t ev;

    memset(&ev, 0, sizeof ev);
    ev.type = type;
    snprintf(ev.kiosk_id, sizeof ev.kiosk_id, "k1");
    ev.seq = seq;
    ev.captured_ms = T0 + (int64_t)seq * 60000;
    ev.boot_id = 42;
    ev.mono_ms = 1000 + seq;
    snprintf(ev.staff_id, sizeof ev.staff_id, "%s", staff);
    return ev;
}

static proto_event_t ev_checkin(uint64_t seq, const char *staff, double calls)
{
    proto_event_t ev = ev_base(PROTO_EV_CHECKIN, seq, staff);

    snprintf(ev.step_id, sizeof ev.step_id, "tm-call");
    ev.catalogue_version = 1;
    ev.quality = 4;
    ev.n_measures = 1;
    snprintf(ev.measures[0].key, sizeof ev.measures[0].key, "calls");
    ev.measures[0].value = calls;
    return ev;
}

/* Events first_seq .. first_seq+5 of kiosk k1. */
static void make_batch(batch_t *b, uint64_t s)
{
    char sid[32];

    b->ev[0] = ev_checkin(s, "zhang", 35);
    b->ev[1] = ev_checkin(s + 1, "li", 20);
    b->ev[2] = ev_base(PROTO_EV_SUGGESTION, s + 2, "li");
    b->ev[2].kind = PROTO_KIND_IDEA;
    snprintf(b->ev[2].process_id, sizeof b->ev[2].process_id, "tm");
    b->ev[2].title = "名单要提前一天准备";
    b->ev[3] = ev_base(PROTO_EV_VOTE, s + 3, "zhang");
    snprintf(sid, sizeof sid, "k1:%" PRIu64, s + 2);
    snprintf(b->ev[3].suggestion_id, sizeof b->ev[3].suggestion_id, "%s", sid);
    b->ev[3].vote = 1;
    b->ev[4] = ev_checkin(s + 4, "ghost", 1);
    b->ev[5] = ev_checkin(s + 5, "zhang", 5);
    for (int i = 0; i < BATCH_N; i++) {
        memset(&b->items[i], 0, sizeof b->items[i]);
        b->items[i].event = &b->ev[i];
        snprintf(b->items[i].day, sizeof b->items[i].day, DAY);
        b->items[i].points = b->ev[i].type == PROTO_EV_CHECKIN ? 2.5 : 0;
    }
    b->items[4].reject_code = PROTO_REJECT_UNKNOWN_STAFF;
    b->items[4].reason = "staff \"ghost\" is not on the roster";
}

static void assert_state(syncd_store_t *st, uint64_t events, uint64_t dead,
                         uint64_t suggestions, uint64_t votes, uint64_t acked)
{
    syncd_store_counts_t c;
    syncd_kiosk_t k;
    char why[512];

    assert_int_equal(syncd_store_counts(st, &c), 0);
    assert_int_equal(c.events, events);
    assert_int_equal(c.dead_letters, dead);
    assert_int_equal(c.suggestions, suggestions);
    assert_int_equal(c.votes, votes);
    assert_int_equal(syncd_store_kiosk_get(st, "k1", &k), 0);
    assert_int_equal(k.acked_seq, acked);
    if (syncd_store_verify_rollups(st, why, sizeof why) != 0)
        fail_msg("rollups differ from the events: %s", why);
}

/* For every N: a store holding one batch, the Nth op of kind op failing
 * during the second batch's ingest, or (in_fold) during the fold that
 * writes it out of the SQLite ingest journal once it was acknowledged.
 * Returns how many rounds the failure refused. */
static unsigned every_n_at(syncd_fault_op_t op, syncd_fault_kind_t kind,
                           bool in_fold, unsigned *points)
{
    char path[300];
    unsigned refused = 0;
    batch_t first, second;

    snprintf(path, sizeof path, "%s/stepwise.db", dir);
    make_batch(&first, 1);
    make_batch(&second, 7);
    for (unsigned n = 1;; n++) {
        syncd_store_t *st = fresh_store(path);
        syncd_ingest_result_t r;
        int rc;

        assert_int_equal(syncd_store_kiosk_enrol(st, "k1", "s1", KEY1, T0), 0);
        assert_int_equal(
            syncd_store_ingest(st, "k1", "s1", first.items, BATCH_N, T0, &r),
            0);
        assert_int_equal(syncd_store_fold(st, SIZE_MAX), 0);
        if (in_fold)
            assert_int_equal(syncd_store_ingest(st, "k1", "s1", second.items,
                                                BATCH_N, T0 + 1000, &r),
                             0);
        syncd_faultvfs_arm(op, n, kind, false);
        if (in_fold)
            rc = syncd_store_fold(st, SIZE_MAX) < 0 ? PROTO_ESTORE : 0;
        else
            rc = syncd_store_ingest(st, "k1", "s1", second.items, BATCH_N,
                                    T0 + 1000, &r);
        unsigned failed = syncd_faultvfs_failed();
        syncd_faultvfs_disarm();
        if (failed == 0) {
            /* the ingest never reached the Nth op: all points covered */
            assert_int_equal(rc, 0);
            assert_state(st, 10, 2, 2, 2, 12);
            syncd_store_destroy(&st);
            assert_integrity(path);
            print_message("fault op %d kind %d%s: %u points, %u refused\n",
                          (int)op, (int)kind, in_fold ? " (fold)" : "", n - 1,
                          refused);
            if (points)
                *points = n - 1;
            return refused;
        }
        /* A failed op need not fail the ingest (SQLite retries some reads
         * and a failed sync of a page already safe may be harmless), but
         * whatever the answer, it is all or nothing. */
        if (rc != 0 && in_fold) {
            /* acknowledged, kept whole in the journal; the next read
             * folds it on the same connection */
            refused++;
            assert_true(syncd_store_errmsg(st)[0] != '\0');
            assert_int_equal(syncd_store_fold(st, 0), 1);
        } else if (rc != 0) {
            refused++;
            assert_int_equal(rc, PROTO_ESTORE);
            assert_true(syncd_store_errmsg(st)[0] != '\0');
            assert_state(st, 5, 1, 1, 1, 6);
            /* the next attempt on the same connection stores it */
            assert_int_equal(syncd_store_ingest(st, "k1", "s1", second.items,
                                                BATCH_N, T0 + 2000, &r),
                             0);
            assert_int_equal(r.accepted, 5);
            assert_int_equal(r.rejected, 1);
            assert_int_equal(r.duplicates, 0);
        }
        assert_state(st, 10, 2, 2, 2, 12);
        /* and a retry after the ACK was lost changes nothing */
        assert_int_equal(syncd_store_ingest(st, "k1", "s1", second.items,
                                            BATCH_N, T0 + 3000, &r),
                         0);
        assert_int_equal(r.duplicates, BATCH_N);
        syncd_store_destroy(&st);
        assert_integrity(path);
        st = reopen(path);
        assert_state(st, 10, 2, 2, 2, 12);
        syncd_store_destroy(&st);
        assert_true(n < 10000);
    }
}

static unsigned every_n(syncd_fault_op_t op, syncd_fault_kind_t kind)
{
    return every_n_at(op, kind, false, NULL);
}

static void test_every_fold_write_ioerr(void **state)
{
    (void)state;
    assert_true(every_n_at(SYNCD_FAULT_WRITE, SYNCD_FAULT_IOERR, true, NULL) >=
                1);
}

static void test_every_fold_write_full(void **state)
{
    (void)state;
    assert_true(every_n_at(SYNCD_FAULT_WRITE, SYNCD_FAULT_FULL, true, NULL) >=
                1);
}

/* A fold commits without waiting for the disk: it syncs nothing (the
 * next ingest's fsynced commit makes it durable). */
static void test_fold_never_syncs(void **state)
{
    unsigned points = 99;

    (void)state;
    assert_int_equal(
        every_n_at(SYNCD_FAULT_SYNC, SYNCD_FAULT_IOERR, true, &points), 0);
    assert_int_equal(points, 0);
}

static void test_every_write_ioerr(void **state)
{
    (void)state;
    assert_true(every_n(SYNCD_FAULT_WRITE, SYNCD_FAULT_IOERR) >= 1);
}

static void test_every_write_full(void **state)
{
    (void)state;
    assert_true(every_n(SYNCD_FAULT_WRITE, SYNCD_FAULT_FULL) >= 1);
}

static void test_every_sync_ioerr(void **state)
{
    (void)state;
    assert_true(every_n(SYNCD_FAULT_SYNC, SYNCD_FAULT_IOERR) >= 1);
}

static void test_every_read_ioerr(void **state)
{
    (void)state;
    /* reads may all come from the page cache: only all-or-nothing counts */
    (void)every_n(SYNCD_FAULT_READ, SYNCD_FAULT_IOERR);
}

/* A disk that stays full refuses every attempt, and once space is back
 * the batch goes in once. */
static void test_disk_stays_full(void **state)
{
    char path[300];
    batch_t first, second;
    syncd_ingest_result_t r;

    (void)state;
    snprintf(path, sizeof path, "%s/stepwise.db", dir);
    make_batch(&first, 1);
    make_batch(&second, 7);
    syncd_store_t *st = fresh_store(path);
    assert_int_equal(syncd_store_kiosk_enrol(st, "k1", "s1", KEY1, T0), 0);
    assert_int_equal(
        syncd_store_ingest(st, "k1", "s1", first.items, BATCH_N, T0, &r), 0);
    syncd_faultvfs_arm(SYNCD_FAULT_WRITE, 1, SYNCD_FAULT_FULL, true);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(syncd_store_ingest(st, "k1", "s1", second.items,
                                            BATCH_N, T0 + 1000, &r),
                         PROTO_ESTORE);
        assert_non_null(strstr(syncd_store_errmsg(st), "full"));
    }
    assert_true(syncd_faultvfs_failed() >= 3);
    syncd_faultvfs_disarm();
    assert_state(st, 5, 1, 1, 1, 6);
    assert_int_equal(syncd_store_ingest(st, "k1", "s1", second.items, BATCH_N,
                                        T0 + 2000, &r),
                     0);
    assert_state(st, 10, 2, 2, 2, 12);
    syncd_store_destroy(&st);
    assert_integrity(path);
}

/* ---- Through the wire: an in-process server, stepped by the test */

static const char catalogue_yaml[] = "title: {zh: 测试目录, en: Test}\n"
                                     "sites:\n"
                                     "  - id: futian\n"
                                     "    name: {zh: 福田营业部}\n"
                                     "    timezone: Asia/Shanghai\n"
                                     "    teams:\n"
                                     "      - id: tele\n"
                                     "        name: {zh: 电销组}\n"
                                     "    staff:\n"
                                     "      - id: s1\n"
                                     "        name: {zh: 张三}\n"
                                     "        team: tele\n"
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
                                     "            points: 0.5\n"
                                     "            max: 300\n";

static int exchange(syncd_server_t *srv, void *sock, const proto_msg_t *msg,
                    proto_msg_t *reply)
{
    assert_int_equal(proto_zmq_send(sock, msg, 0), 0);
    if (srvfx_pump_reply(srv, sock, reply, PROTO_MAX_ADMIN_FRAME, 5000) == 0)
        return 0;
    fail_msg("no reply to %s within 5 s", proto_msg_name(msg->type));
    return -1;
}

static void test_server_refuses_then_acks(void **state)
{
    char path[300], err[1024];
    proto_keypair_t server_kp, k1_kp;
    syncd_store_options_t opt = {SYNCD_SYNC_FULL, 0};

    (void)state;
    snprintf(path, sizeof path, "%s/server.db", dir);
    assert_int_equal(proto_keys_generate(&server_kp), 0);
    assert_int_equal(proto_keys_generate(&k1_kp), 0);
    syncd_faultvfs_disarm();
    syncd_store_t *st = syncd_store_open(path, &opt, err, sizeof err);
    if (st == NULL)
        fail_msg("%s", err);
    assert_int_equal(
        syncd_store_kiosk_enrol(st, "k1", "futian", k1_kp.public_z85, T0), 0);
    syncd_server_config_t cfg = {
        .kiosk_endpoint = "tcp://127.0.0.1:*",
        .admin_endpoint = "tcp://127.0.0.1:*",
        .server_key = server_kp,
        .heartbeat_ms = 60000,
        .store_path = path,
    };
    FILE *log = tmpfile();
    assert_non_null(log);
    syncd_log_set_stream(log);
    syncd_server_t *srv =
        syncd_server_new(&cfg, st, NULL, NULL, err, sizeof err);
    if (srv == NULL)
        fail_msg("%s", err);
    uint64_t version;
    bool imported;
    assert_int_equal(syncd_server_import_catalogue(
                         srv, catalogue_yaml, strlen(catalogue_yaml),
                         "test.yaml", &version, &imported, err, sizeof err),
                     0);

    void *ctx = zmq_ctx_new();
    void *k = srvfx_dealer(ctx, &k1_kp, server_kp.public_z85);
    assert_int_equal(zmq_connect(k, syncd_server_kiosk_endpoint(srv)), 0);

    proto_msg_t hello = {.type = PROTO_MSG_HELLO}, reply = {0};
    hello.u.hello.version = PROTO_VERSION;
    snprintf(hello.u.hello.kiosk_id, sizeof hello.u.hello.kiosk_id, "k1");
    snprintf(hello.u.hello.app_version, sizeof hello.u.hello.app_version, "1");
    hello.u.hello.kiosk_time_ms = syncd_clock_wall_ms(NULL);
    exchange(srv, k, &hello, &reply);
    assert_int_equal(reply.type, PROTO_MSG_WELCOME);
    proto_msg_clear(&reply);

    proto_event_t evs[3];
    for (int i = 0; i < 3; i++) {
        memset(&evs[i], 0, sizeof evs[i]);
        evs[i].type = PROTO_EV_CHECKIN;
        snprintf(evs[i].kiosk_id, sizeof evs[i].kiosk_id, "k1");
        evs[i].seq = (uint64_t)i + 1;
        evs[i].captured_ms = syncd_clock_wall_ms(NULL) - 60000;
        evs[i].boot_id = 1;
        snprintf(evs[i].staff_id, sizeof evs[i].staff_id, "s1");
        snprintf(evs[i].step_id, sizeof evs[i].step_id, "tm-call");
        evs[i].catalogue_version = 1;
        evs[i].n_measures = 1;
        snprintf(evs[i].measures[0].key, sizeof evs[i].measures[0].key,
                 "calls");
        evs[i].measures[0].value = 10 * (i + 1);
    }
    proto_msg_t push = {.type = PROTO_MSG_PUSH};
    push.u.push.events = evs;
    push.u.push.n_events = 3;

    /* every write of the ingest fails in turn: ERROR ESTORE, no ACK */
    for (unsigned n = 1; n <= 3; n++) {
        syncd_faultvfs_arm(SYNCD_FAULT_WRITE, n, SYNCD_FAULT_IOERR, false);
        exchange(srv, k, &push, &reply);
        unsigned failed = syncd_faultvfs_failed();
        syncd_faultvfs_disarm();
        assert_int_equal(failed, 1);
        assert_int_equal(reply.type, PROTO_MSG_ERROR);
        assert_string_equal(proto_errname(reply.u.error.code), "ESTORE");
        assert_string_equal(reply.u.error.message,
                            "the server could not store the batch; nothing of "
                            "it was acknowledged; retry later");
        proto_msg_clear(&reply);
        syncd_store_counts_t c;
        assert_int_equal(syncd_store_counts(st, &c), 0);
        assert_int_equal(c.events, 0);
    }
    /* the kiosk's retry: acknowledged, each event once */
    exchange(srv, k, &push, &reply);
    assert_int_equal(reply.type, PROTO_MSG_ACK);
    assert_int_equal(reply.u.ack.acked_seq, 3);
    proto_msg_clear(&reply);
    exchange(srv, k, &push, &reply);
    assert_int_equal(reply.type, PROTO_MSG_ACK);
    assert_int_equal(reply.u.ack.acked_seq, 3);
    proto_msg_clear(&reply);
    syncd_store_counts_t c;
    assert_int_equal(syncd_store_counts(st, &c), 0);
    assert_int_equal(c.events, 3);
    char why[256];
    assert_int_equal(syncd_store_verify_rollups(st, why, sizeof why), 0);

    /* the operator's log says what happened */
    char text[8192];
    fflush(log);
    rewind(log);
    size_t got = fread(text, 1, sizeof text - 1, log);
    text[got] = '\0';
    assert_non_null(strstr(text, "batch not stored; nothing acknowledged "
                                 "kiosk=k1 n=3 error=ESTORE"));

    zmq_close(k);
    zmq_ctx_term(ctx);
    syncd_server_destroy(&srv);
    syncd_store_destroy(&st);
    syncd_log_set_stream(NULL);
    fclose(log);
    assert_integrity(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_write_ioerr),
        cmocka_unit_test(test_every_write_full),
        cmocka_unit_test(test_every_sync_ioerr),
        cmocka_unit_test(test_every_read_ioerr),
        cmocka_unit_test(test_every_fold_write_ioerr),
        cmocka_unit_test(test_every_fold_write_full),
        cmocka_unit_test(test_fold_never_syncs),
        cmocka_unit_test(test_disk_stays_full),
        cmocka_unit_test(test_server_refuses_then_acks),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
