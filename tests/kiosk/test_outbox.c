/*
 * test_outbox.c — the kiosk outbox keeps every event the screen called
 * "saved": numbered 1, 2, 3 ... without gaps or repeats, across restarts,
 * under concurrent use by the UI and sync threads, after a server-side
 * reset, and when the disk fills up.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "kiosk/outbox.h"

/* ---- Fixture: a fresh directory per test */

typedef struct {
    char dir[64];
    char path[128];
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/stepwise-outbox.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/outbox.db", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int rc = system(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

static kiosk_outbox_t *open_ok(const char *path, const char *id)
{
    char err[512] = "";
    kiosk_outbox_t *ob = kiosk_outbox_open(path, err, sizeof err);
    if (!ob)
        fail_msg("open %s: %s", path, err);
    if (id)
        assert_int_equal(kiosk_outbox_set_identity(ob, id), 0);
    return ob;
}

/* A check-in whose content derives from i, so it can be checked later. */
static void make_checkin(proto_event_t *ev, unsigned i)
{
    memset(ev, 0, sizeof *ev);
    ev->type = PROTO_EV_CHECKIN;
    snprintf(ev->staff_id, sizeof ev->staff_id, "s%02u", i % 16 + 1);
    snprintf(ev->step_id, sizeof ev->step_id, "tm-call");
    ev->catalogue_version = 3;
    ev->n_measures = 2;
    snprintf(ev->measures[0].key, sizeof ev->measures[0].key, "calls");
    ev->measures[0].value = (double)(i % 100);
    snprintf(ev->measures[1].key, sizeof ev->measures[1].key, "effective");
    ev->measures[1].value = (double)(i % 7);
    ev->quality = (uint8_t)(i % 5 + 1);
    char note[64];
    snprintf(note, sizeof note, "外呼第%u轮", i);
    ev->note = proto_strdup(note);
    assert_non_null(ev->note);
}

static void check_checkin(const proto_event_t *ev, unsigned i)
{
    char staff[16], note[64];
    snprintf(staff, sizeof staff, "s%02u", i % 16 + 1);
    snprintf(note, sizeof note, "外呼第%u轮", i);
    assert_int_equal(ev->type, PROTO_EV_CHECKIN);
    assert_string_equal(ev->staff_id, staff);
    assert_string_equal(ev->step_id, "tm-call");
    assert_int_equal(ev->catalogue_version, 3);
    assert_int_equal(ev->n_measures, 2);
    assert_string_equal(ev->measures[0].key, "calls");
    assert_true(ev->measures[0].value == (double)(i % 100));
    assert_string_equal(ev->measures[1].key, "effective");
    assert_true(ev->measures[1].value == (double)(i % 7));
    assert_int_equal(ev->quality, i % 5 + 1);
    assert_non_null(ev->note);
    assert_string_equal(ev->note, note);
}

static uint64_t append_checkin(kiosk_outbox_t *ob, unsigned i)
{
    proto_event_t ev;
    uint64_t seq = 0;
    make_checkin(&ev, i);
    int r = kiosk_outbox_append(ob, &ev, &seq);
    if (r != 0)
        fail_msg("append %u: %s", i, kiosk_outbox_errmsg(ob));
    assert_int_equal(ev.seq, seq);
    proto_event_clear(&ev);
    return seq;
}

/* ---- Tests */

static void test_append_assigns_seq(void **state)
{
    fx_t *fx = *state;
    kiosk_outbox_t *ob = open_ok(fx->path, NULL);

    /* no identity yet: nothing can be saved, and the reason is given */
    proto_event_t ev;
    make_checkin(&ev, 1);
    assert_int_equal(kiosk_outbox_append(ob, &ev, NULL), PROTO_ENOTFOUND);
    assert_non_null(strstr(kiosk_outbox_errmsg(ob), "has no kiosk id yet"));
    proto_event_clear(&ev);

    assert_int_equal(kiosk_outbox_set_identity(ob, "k01"), 0);
    assert_int_equal(kiosk_outbox_set_identity(ob, "k01"), 0);
    assert_int_equal(kiosk_outbox_set_identity(ob, "k02"), PROTO_EINVAL);
    char want[256];
    snprintf(want, sizeof want,
             "outbox %s belongs to kiosk \"k01\", not \"k02\"", fx->path);
    assert_non_null(strstr(kiosk_outbox_errmsg(ob), want));

    for (unsigned i = 1; i <= 3; i++) {
        make_checkin(&ev, i);
        uint64_t seq = 0;
        assert_int_equal(kiosk_outbox_append(ob, &ev, &seq), 0);
        assert_int_equal(seq, i);
        assert_string_equal(ev.kiosk_id, "k01");
        assert_true(ev.captured_ms > 1700000000000LL);
        assert_int_equal(ev.boot_id, kiosk_outbox_boot_id());
        assert_true(ev.boot_id != 0);
        proto_event_clear(&ev);
    }

    /* an event breaking a bound is refused and uses up no seq */
    make_checkin(&ev, 4);
    proto_free(ev.note);
    ev.note = proto_malloc(PROTO_NOTE_MAX + 2);
    assert_non_null(ev.note);
    memset(ev.note, 'x', PROTO_NOTE_MAX + 1);
    ev.note[PROTO_NOTE_MAX + 1] = '\0';
    assert_int_equal(kiosk_outbox_append(ob, &ev, NULL), PROTO_EINVAL);
    assert_non_null(
        strstr(kiosk_outbox_errmsg(ob), "the checkin event was not saved"));
    proto_event_clear(&ev);
    assert_int_equal(append_checkin(ob, 5), 4);

    kiosk_outbox_stats_t st;
    assert_int_equal(kiosk_outbox_stats(ob, &st), 0);
    assert_int_equal(st.last_seq, 4);
    assert_int_equal(st.depth, 4);
    assert_int_equal(st.acked_seq, 0);
    assert_int_equal(st.total, 4);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.last_sync_ms, 0);
    kiosk_outbox_destroy(&ob);
    assert_null(ob);
    kiosk_outbox_destroy(&ob); /* NULL is fine */
}

static void test_open_errors(void **state)
{
    fx_t *fx = *state;
    char err[512] = "";
    char path[256];
    snprintf(path, sizeof path, "%s/no/such/dir/outbox.db", fx->dir);
    assert_null(kiosk_outbox_open(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "check that the directory exists"));

    /* a file that is not a database is refused, not overwritten */
    snprintf(path, sizeof path, "%s/notes.txt", fx->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database, just text\n", f);
    fclose(f);
    err[0] = '\0';
    assert_null(kiosk_outbox_open(path, err, sizeof err));
    assert_non_null(strstr(err, "damaged"));
}

static void test_durable_across_reopen(void **state)
{
    fx_t *fx = *state;
    kiosk_outbox_t *ob = open_ok(fx->path, "k01");
    for (unsigned i = 1; i <= 25; i++)
        assert_int_equal(append_checkin(ob, i), i);
    kiosk_outbox_destroy(&ob);

    ob = open_ok(fx->path, NULL);
    char id[PROTO_ID_MAX + 1];
    assert_int_equal(kiosk_outbox_get_identity(ob, id), 0);
    assert_string_equal(id, "k01");
    for (unsigned i = 1; i <= 25; i++) {
        proto_event_t ev;
        kiosk_event_state_t st = KIOSK_EVENT_ACKED;
        memset(&ev, 0, sizeof ev);
        assert_int_equal(kiosk_outbox_get(ob, i, &ev, &st), 0);
        assert_int_equal(ev.seq, i);
        assert_string_equal(ev.kiosk_id, "k01");
        assert_int_equal(st, KIOSK_EVENT_PENDING);
        check_checkin(&ev, i);
        proto_event_clear(&ev);
    }
    proto_event_t none;
    memset(&none, 0, sizeof none);
    assert_int_equal(kiosk_outbox_get(ob, 26, &none, NULL), PROTO_ENOTFOUND);
    assert_int_equal(append_checkin(ob, 26), 26);
    kiosk_outbox_destroy(&ob);
}

/* kiosk_outbox_set_cache_kib: a size of 0 or less is refused with a
 * readable reason; any accepted size, even one smaller than a page, leaves
 * every read exact (the cache only changes how often pages are re-read). */
static void test_cache_size(void **state)
{
    fx_t *fx = *state;
    kiosk_outbox_t *ob = open_ok(fx->path, "k01");
    assert_int_equal(kiosk_outbox_set_cache_kib(NULL, 8192), PROTO_EINVAL);
    assert_int_equal(kiosk_outbox_set_cache_kib(ob, 0), PROTO_EINVAL);
    assert_non_null(strstr(kiosk_outbox_errmsg(ob),
                           "a page cache of 0 KiB was asked for; give a size "
                           "above 0"));
    assert_int_equal(kiosk_outbox_set_cache_kib(ob, -4), PROTO_EINVAL);
    assert_int_equal(kiosk_outbox_set_cache_kib(ob, 1), 0);
    for (unsigned i = 1; i <= 30; i++)
        assert_int_equal(append_checkin(ob, i), i);
    proto_msg_t push;
    assert_int_equal(kiosk_outbox_pending(ob, 10, 500, &push), 0);
    assert_int_equal(push.u.push.n_events, 20);
    for (unsigned i = 0; i < 20; i++) {
        assert_int_equal(push.u.push.events[i].seq, i + 11);
        check_checkin(&push.u.push.events[i], i + 11);
    }
    proto_msg_clear(&push);
    assert_int_equal(kiosk_outbox_set_cache_kib(ob, 8192), 0);
    uint64_t newly = 0;
    assert_int_equal(kiosk_outbox_ack(ob, 25, NULL, 0, &newly), 0);
    assert_int_equal(newly, 25);
    kiosk_outbox_stats_t st;
    assert_int_equal(kiosk_outbox_stats(ob, &st), 0);
    assert_int_equal(st.depth, 5);
    assert_int_equal(st.acked_seq, 25);
    assert_int_equal(st.total, 30);
    kiosk_outbox_destroy(&ob);
}

static void test_pending_ack_rejects(void **state)
{
    fx_t *fx = *state;
    kiosk_outbox_t *ob = open_ok(fx->path, "k01");
    for (unsigned i = 1; i <= 10; i++)
        append_checkin(ob, i);

    proto_msg_t push;
    assert_int_equal(kiosk_outbox_pending(ob, 0, 4, &push), 0);
    assert_int_equal(push.type, PROTO_MSG_PUSH);
    assert_int_equal(push.u.push.n_events, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(push.u.push.events[i].seq, i + 1);
        check_checkin(&push.u.push.events[i], i + 1);
    }
    proto_msg_clear(&push);

    uint64_t newly = 0;
    assert_int_equal(kiosk_outbox_ack(ob, 4, NULL, 0, &newly), 0);
    assert_int_equal(newly, 4);
    /* a repeated ACK changes nothing */
    assert_int_equal(kiosk_outbox_ack(ob, 4, NULL, 0, &newly), 0);
    assert_int_equal(newly, 0);

    assert_int_equal(kiosk_outbox_pending(ob, 0, 100, &push), 0);
    assert_int_equal(push.u.push.n_events, 6);
    assert_int_equal(push.u.push.events[0].seq, 5);
    assert_int_equal(push.u.push.events[5].seq, 10);
    proto_msg_clear(&push);
    /* after_seq skips what is already in flight */
    assert_int_equal(kiosk_outbox_pending(ob, 8, 100, &push), 0);
    assert_int_equal(push.u.push.n_events, 2);
    assert_int_equal(push.u.push.events[0].seq, 9);
    proto_msg_clear(&push);

    char reason[] = "step \"tm-call\" is not in catalogue version 3";
    proto_reject_t rej = {
        .seq = 7, .code = PROTO_REJECT_UNKNOWN_STEP, .reason = reason};
    assert_int_equal(kiosk_outbox_ack(ob, 10, &rej, 1, &newly), 0);
    assert_int_equal(newly, 6);

    kiosk_outbox_stats_t st;
    assert_int_equal(kiosk_outbox_stats(ob, &st), 0);
    assert_int_equal(st.last_seq, 10);
    assert_int_equal(st.acked_seq, 10);
    assert_int_equal(st.depth, 0);
    assert_int_equal(st.oldest_unsent_s, 0);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.total, 10);
    assert_true(st.last_sync_ms > 1700000000000LL);

    kiosk_rejected_t *list = NULL;
    size_t n = 0;
    assert_int_equal(kiosk_outbox_rejected(ob, 10, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].seq, 7);
    assert_int_equal(list[0].type, PROTO_EV_CHECKIN);
    assert_int_equal(list[0].code, PROTO_REJECT_UNKNOWN_STEP);
    assert_string_equal(list[0].reason, reason);
    free(list);

    proto_event_t ev;
    kiosk_event_state_t es;
    memset(&ev, 0, sizeof ev);
    assert_int_equal(kiosk_outbox_get(ob, 7, &ev, &es), 0);
    assert_int_equal(es, KIOSK_EVENT_REJECTED);
    proto_event_clear(&ev);
    assert_int_equal(kiosk_outbox_get(ob, 6, &ev, &es), 0);
    assert_int_equal(es, KIOSK_EVENT_ACKED);
    proto_event_clear(&ev);

    kiosk_outbox_tally_t t;
    assert_int_equal(kiosk_outbox_tally(ob, 0, &t), 0);
    assert_int_equal(t.acked, 9);
    assert_int_equal(t.rejected, 1);
    assert_int_equal(t.pending, 0);
    append_checkin(ob, 11);
    assert_int_equal(kiosk_outbox_tally(ob, 5, &t), 0);
    assert_int_equal(t.acked, 4);
    assert_int_equal(t.rejected, 1);
    assert_int_equal(t.pending, 1);

    /* pruning keeps unsent events and recent acks */
    uint64_t pruned = 99;
    int64_t now = st.last_sync_ms;
    assert_int_equal(
        kiosk_outbox_prune(ob, now, KIOSK_OUTBOX_RETENTION_MS, &pruned), 0);
    assert_int_equal(pruned, 0);
    assert_int_equal(kiosk_outbox_prune(ob,
                                        now + KIOSK_OUTBOX_RETENTION_MS + 60000,
                                        KIOSK_OUTBOX_RETENTION_MS, &pruned),
                     0);
    assert_int_equal(pruned, 10);
    assert_int_equal(kiosk_outbox_stats(ob, &st), 0);
    assert_int_equal(st.total, 1);
    assert_int_equal(st.depth, 1);
    assert_int_equal(st.last_seq, 11);
    assert_int_equal(st.acked_seq, 10);
    /* numbering continues after pruning */
    assert_int_equal(append_checkin(ob, 12), 12);
    kiosk_outbox_destroy(&ob);
}

/* The unsent events as one frame joined from their stored encodings is
 * the PUSH of the same events read and encoded again, byte for byte, at
 * every position (from the start, after a PUSH in flight, past the end);
 * a stored event in another form (an outbox from another version) makes
 * the join step aside (PROTO_EINVAL), and the events read one by one
 * still go. */
static void test_pending_frame(void **state)
{
    fx_t *fx = *state;
    kiosk_outbox_t *ob = open_ok(fx->path, "k01");
    static const uint64_t after[] = {0, 3, 39, 40};

    for (unsigned i = 1; i <= 40; i++)
        append_checkin(ob, i);
    for (size_t a = 0; a < sizeof after / sizeof after[0]; a++) {
        proto_msg_t m;
        uint8_t *frame, *whole = NULL;
        size_t len, wlen = 0;
        uint32_t n;
        uint64_t first, last;

        assert_int_equal(kiosk_outbox_pending_frame(ob, after[a], 25, &frame,
                                                    &len, &n, &first, &last),
                         0);
        assert_int_equal(kiosk_outbox_pending(ob, after[a], 25, &m), 0);
        assert_int_equal(n, m.u.push.n_events);
        if (n == 0) {
            assert_null(frame);
            proto_msg_clear(&m);
            continue;
        }
        assert_int_equal(first, after[a] + 1);
        assert_int_equal(last, m.u.push.events[n - 1].seq);
        assert_int_equal(proto_encode(&m, &whole, &wlen), 0);
        assert_int_equal(len, wlen);
        assert_memory_equal(frame, whole, wlen);
        proto_free(frame);
        proto_free(whole);
        proto_msg_clear(&m);
    }

    /* event 5 kept in another valid form: its PUSH's events array written
     * as array16 (0xdc 0x00 0x01) instead of fixarray (0x91) */
    kiosk_outbox_destroy(&ob);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "UPDATE events SET msg = substr(msg, 1, 10) ||"
                     " x'dc0001' || substr(msg, 12) WHERE seq = 5",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    ob = open_ok(fx->path, NULL);
    uint8_t *frame;
    size_t len;
    uint32_t n;
    uint64_t first, last;
    assert_int_equal(
        kiosk_outbox_pending_frame(ob, 0, 25, &frame, &len, &n, &first, &last),
        PROTO_EINVAL);
    assert_int_equal(n, 0);
    assert_null(frame);
    proto_msg_t m;
    assert_int_equal(kiosk_outbox_pending(ob, 0, 25, &m), 0);
    assert_int_equal(m.u.push.n_events, 25);
    check_checkin(&m.u.push.events[4], 5);
    proto_msg_clear(&m);
    kiosk_outbox_destroy(&ob);
}

static void test_reconcile_and_floor(void **state)
{
    fx_t *fx = *state;
    kiosk_outbox_t *ob = open_ok(fx->path, "k01");

    /* A new store of a kiosk the server knows up to seq 500: a
     * suggestion and a vote on it captured before the first sync. */
    proto_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = PROTO_EV_SUGGESTION;
    snprintf(ev.staff_id, sizeof ev.staff_id, "s01");
    ev.kind = PROTO_KIND_IDEA;
    ev.title = proto_strdup("外呼名单按客户活跃度排序");
    uint64_t seq = 0;
    assert_int_equal(kiosk_outbox_append(ob, &ev, &seq), 0);
    assert_int_equal(seq, 1);
    proto_event_clear(&ev);
    ev.type = PROTO_EV_VOTE;
    snprintf(ev.staff_id, sizeof ev.staff_id, "s02");
    snprintf(ev.suggestion_id, sizeof ev.suggestion_id, "k01:1");
    ev.vote = 1;
    assert_int_equal(kiosk_outbox_append(ob, &ev, &seq), 0);
    assert_int_equal(seq, 2);
    memset(&ev, 0, sizeof ev);
    append_checkin(ob, 3);

    kiosk_outbox_reconcile_t rec;
    assert_int_equal(kiosk_outbox_reconcile(ob, 500, &rec), 0);
    assert_int_equal(rec.renumbered, 3);
    assert_int_equal(rec.acked, 0);
    assert_int_equal(rec.resent, 0);

    proto_msg_t push;
    assert_int_equal(kiosk_outbox_pending(ob, 0, 10, &push), 0);
    assert_int_equal(push.u.push.n_events, 3);
    assert_int_equal(push.u.push.events[0].seq, 501);
    assert_int_equal(push.u.push.events[0].type, PROTO_EV_SUGGESTION);
    assert_string_equal(push.u.push.events[0].title,
                        "外呼名单按客户活跃度排序");
    assert_int_equal(push.u.push.events[1].seq, 502);
    assert_int_equal(push.u.push.events[1].type, PROTO_EV_VOTE);
    assert_string_equal(push.u.push.events[1].suggestion_id, "k01:501");
    assert_int_equal(push.u.push.events[2].seq, 503);
    check_checkin(&push.u.push.events[2], 3);
    proto_msg_clear(&push);
    assert_int_equal(append_checkin(ob, 4), 504);

    kiosk_outbox_stats_t st;
    assert_int_equal(kiosk_outbox_stats(ob, &st), 0);
    assert_int_equal(st.last_seq, 504);
    assert_int_equal(st.acked_seq, 500);
    assert_int_equal(st.depth, 4);

    /* a normal session start: the server has 502, we have 504 */
    assert_int_equal(kiosk_outbox_reconcile(ob, 502, &rec), 0);
    assert_int_equal(rec.acked, 2);
    assert_int_equal(rec.renumbered, 0);
    assert_int_equal(rec.resent, 0);
    assert_int_equal(kiosk_outbox_ack(ob, 504, NULL, 0, NULL), 0);

    /* the server was restored from a backup holding up to 502: what it
     * lost is sent again, with the same seqs */
    assert_int_equal(kiosk_outbox_reconcile(ob, 502, &rec), 0);
    assert_int_equal(rec.resent, 2);
    assert_int_equal(kiosk_outbox_pending(ob, 0, 10, &push), 0);
    assert_int_equal(push.u.push.n_events, 2);
    assert_int_equal(push.u.push.events[0].seq, 503);
    assert_int_equal(push.u.push.events[1].seq, 504);
    proto_msg_clear(&push);
    assert_int_equal(kiosk_outbox_stats(ob, &st), 0);
    assert_int_equal(st.acked_seq, 502);
    assert_int_equal(st.depth, 2);

    /* an explicit floor: numbering continues above it */
    uint64_t moved = 0;
    assert_int_equal(kiosk_outbox_set_seq_floor(ob, 1000, &moved), 0);
    assert_int_equal(moved, 2);
    assert_int_equal(append_checkin(ob, 5), 1003);
    kiosk_outbox_destroy(&ob);

    /* the floor survives a restart */
    ob = open_ok(fx->path, "k01");
    assert_int_equal(append_checkin(ob, 6), 1004);
    kiosk_outbox_destroy(&ob);
}

/* ---- Two connections, two threads */

#define CONC_EVENTS 10000
#define CONC_REJECT_EVERY 97

typedef struct {
    const char *path;
    volatile int ui_done;
    uint64_t ui_last;
    int ui_errors;
    unsigned char *seen; /* by the sync thread, per seq */
    uint64_t sync_duplicates, sync_out_of_order, sync_batches;
    char err[512];
} conc_t;

static void *ui_thread(void *arg)
{
    conc_t *c = arg;
    char err[400];
    kiosk_outbox_t *ob = kiosk_outbox_open(c->path, err, sizeof err);
    if (!ob) {
        snprintf(c->err, sizeof c->err, "ui open: %s", err);
        c->ui_errors++;
        c->ui_done = 1;
        return NULL;
    }
    for (unsigned i = 1; i <= CONC_EVENTS; i++) {
        proto_event_t ev;
        make_checkin(&ev, i);
        uint64_t seq = 0;
        if (kiosk_outbox_append(ob, &ev, &seq) != 0 || seq != i) {
            snprintf(c->err, sizeof c->err, "append %u gave %llu: %s", i,
                     (unsigned long long)seq, kiosk_outbox_errmsg(ob));
            c->ui_errors++;
            proto_event_clear(&ev);
            break;
        }
        c->ui_last = seq;
        proto_event_clear(&ev);
    }
    kiosk_outbox_destroy(&ob);
    __atomic_store_n(&c->ui_done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *sync_thread(void *arg)
{
    conc_t *c = arg;
    char err[400];
    kiosk_outbox_t *ob = kiosk_outbox_open(c->path, err, sizeof err);
    if (!ob) {
        snprintf(c->err, sizeof c->err, "sync open: %s", err);
        return NULL;
    }
    uint64_t acked = 0;
    for (;;) {
        int done = __atomic_load_n(&c->ui_done, __ATOMIC_SEQ_CST);
        proto_msg_t push;
        if (kiosk_outbox_pending(ob, 0, 200, &push) != 0) {
            snprintf(c->err, sizeof c->err, "pending: %s",
                     kiosk_outbox_errmsg(ob));
            break;
        }
        uint32_t n = push.u.push.n_events;
        proto_reject_t rej[200];
        uint32_t n_rej = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t seq = push.u.push.events[i].seq;
            if (seq == 0 || seq > CONC_EVENTS)
                c->sync_out_of_order++;
            else if (c->seen[seq])
                c->sync_duplicates++;
            else
                c->seen[seq] = 1;
            if (seq != acked + 1 + i)
                c->sync_out_of_order++;
            if (seq % CONC_REJECT_EVERY == 0) {
                rej[n_rej].seq = seq;
                rej[n_rej].code = PROTO_REJECT_INVALID;
                rej[n_rej].reason = (char *)"test rejection";
                n_rej++;
            }
        }
        uint64_t last = n ? push.u.push.events[n - 1].seq : acked;
        proto_msg_clear(&push);
        if (n == 0) {
            if (done)
                break;
            continue;
        }
        uint64_t newly = 0;
        if (kiosk_outbox_ack(ob, last, rej, n_rej, &newly) != 0) {
            snprintf(c->err, sizeof c->err, "ack: %s", kiosk_outbox_errmsg(ob));
            break;
        }
        if (newly != n)
            c->sync_duplicates += n - newly;
        acked = last;
        c->sync_batches++;
    }
    kiosk_outbox_destroy(&ob);
    return NULL;
}

static void test_two_threads(void **state)
{
    fx_t *fx = *state;
    kiosk_outbox_t *ob = open_ok(fx->path, "k01");
    conc_t c;
    memset(&c, 0, sizeof c);
    c.path = fx->path;
    c.seen = calloc(CONC_EVENTS + 1, 1);
    assert_non_null(c.seen);
    pthread_t ui, sy;
    assert_int_equal(pthread_create(&sy, NULL, sync_thread, &c), 0);
    assert_int_equal(pthread_create(&ui, NULL, ui_thread, &c), 0);
    pthread_join(ui, NULL);
    pthread_join(sy, NULL);
    if (c.err[0])
        fail_msg("%s", c.err);
    assert_int_equal(c.ui_errors, 0);
    assert_int_equal(c.ui_last, CONC_EVENTS);
    assert_int_equal(c.sync_duplicates, 0);
    assert_int_equal(c.sync_out_of_order, 0);
    unsigned missing = 0;
    for (unsigned i = 1; i <= CONC_EVENTS; i++)
        missing += !c.seen[i];
    assert_int_equal(missing, 0);
    assert_true(c.sync_batches >= CONC_EVENTS / 200);
    print_message("sync thread acked in %llu batches\n",
                  (unsigned long long)c.sync_batches);

    kiosk_outbox_stats_t st;
    assert_int_equal(kiosk_outbox_stats(ob, &st), 0);
    assert_int_equal(st.last_seq, CONC_EVENTS);
    assert_int_equal(st.acked_seq, CONC_EVENTS);
    assert_int_equal(st.total, CONC_EVENTS);
    assert_int_equal(st.depth, 0);
    assert_int_equal(st.rejected, CONC_EVENTS / CONC_REJECT_EVERY);
    /* every stored event is the one captured under its seq */
    for (unsigned i = 1; i <= CONC_EVENTS; i += 111) {
        proto_event_t ev;
        memset(&ev, 0, sizeof ev);
        assert_int_equal(kiosk_outbox_get(ob, i, &ev, NULL), 0);
        check_checkin(&ev, i);
        proto_event_clear(&ev);
    }
    free(c.seen);
    kiosk_outbox_destroy(&ob);
}

/* ---- Caches */

static void test_catalogue_cache(void **state)
{
    fx_t *fx = *state;
    kiosk_outbox_t *ob = open_ok(fx->path, "k01");
    uint64_t v = 99;
    char *yaml = NULL;
    size_t len = 0;
    assert_int_equal(kiosk_outbox_catalogue_get(ob, &v, &yaml, &len),
                     PROTO_ENOTFOUND);
    assert_null(yaml);
    assert_non_null(strstr(kiosk_outbox_errmsg(ob), "no catalogue cached"));

    const char *v3 = "title: 营业部流程\nversion: 3\n";
    assert_int_equal(kiosk_outbox_catalogue_put(ob, 3, v3, strlen(v3)), 0);
    assert_int_equal(kiosk_outbox_catalogue_get(ob, &v, &yaml, &len), 0);
    assert_int_equal(v, 3);
    assert_int_equal(len, strlen(v3));
    assert_string_equal(yaml, v3);
    free(yaml);

    /* an older version never replaces a newer one */
    assert_int_equal(kiosk_outbox_catalogue_put(ob, 2, "old", 3), 0);
    assert_int_equal(kiosk_outbox_catalogue_get(ob, &v, NULL, NULL), 0);
    assert_int_equal(v, 3);
    assert_int_equal(kiosk_outbox_catalogue_put(ob, 0, "x", 1), PROTO_EINVAL);

    const char *v4 = "title: v4\n";
    assert_int_equal(kiosk_outbox_catalogue_put(ob, 4, v4, strlen(v4)), 0);
    kiosk_outbox_destroy(&ob);
    ob = open_ok(fx->path, "k01");
    assert_int_equal(kiosk_outbox_catalogue_get(ob, &v, &yaml, &len), 0);
    assert_int_equal(v, 4);
    assert_string_equal(yaml, v4);
    free(yaml);
    kiosk_outbox_stats_t st;
    assert_int_equal(kiosk_outbox_stats(ob, &st), 0);
    assert_int_equal(st.catalogue_version, 4);
    kiosk_outbox_destroy(&ob);
}

static void fill_suggestion(proto_suggestion_t *g, const char *id,
                            const char *title, uint32_t votes,
                            const char *status, int64_t updated)
{
    memset(g, 0, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", id);
    g->kind = PROTO_KIND_PROBLEM;
    snprintf(g->status, sizeof g->status, "%s", status);
    g->title = proto_strdup(title);
    snprintf(g->process_id, sizeof g->process_id, "telemarketing");
    snprintf(g->author_id, sizeof g->author_id, "s03");
    g->votes = votes;
    g->created_ms = 1000;
    g->updated_ms = updated;
}

static void test_feed_cache(void **state)
{
    fx_t *fx = *state;
    kiosk_outbox_t *ob = open_ok(fx->path, "k01");
    proto_msg_t feed;
    memset(&feed, 0, sizeof feed);
    feed.type = PROTO_MSG_FEED;
    feed.u.feed.cursor = 7;
    feed.u.feed.n_suggestions = 2;
    feed.u.feed.suggestions = proto_malloc(2 * sizeof(proto_suggestion_t));
    assert_non_null(feed.u.feed.suggestions);
    fill_suggestion(&feed.u.feed.suggestions[0], "k02:5", "名单质量差", 2,
                    "new", 2000);
    fill_suggestion(&feed.u.feed.suggestions[1], "k03:9", "直播排班冲突", 5,
                    "review", 1500);
    feed.u.feed.n_standings = 2;
    feed.u.feed.standings = proto_malloc(2 * sizeof(proto_standing_t));
    assert_non_null(feed.u.feed.standings);
    memset(feed.u.feed.standings, 0, 2 * sizeof(proto_standing_t));
    snprintf(feed.u.feed.standings[0].week, PROTO_SHORT_MAX, "2026-W48");
    snprintf(feed.u.feed.standings[0].staff_id, PROTO_ID_MAX, "s01");
    feed.u.feed.standings[0].points = 120;
    feed.u.feed.standings[0].rank = 1;
    snprintf(feed.u.feed.standings[1].week, PROTO_SHORT_MAX, "2026-W48");
    snprintf(feed.u.feed.standings[1].staff_id, PROTO_ID_MAX, "s02");
    feed.u.feed.standings[1].points = 80;
    feed.u.feed.standings[1].rank = 2;
    assert_int_equal(kiosk_outbox_feed_apply(ob, &feed), 0);
    proto_msg_clear(&feed);

    uint64_t cursor = 0;
    assert_int_equal(kiosk_outbox_feed_cursor(ob, &cursor), 0);
    assert_int_equal(cursor, 7);
    proto_suggestion_t *list = NULL;
    size_t n = 0;
    assert_int_equal(kiosk_outbox_suggestions(ob, 10, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "k03:9"); /* most votes first */
    assert_string_equal(list[0].title, "直播排班冲突");
    assert_int_equal(list[0].votes, 5);
    assert_string_equal(list[1].id, "k02:5");
    kiosk_outbox_suggestions_free(&list, n);
    assert_null(list);

    /* an update of one suggestion replaces it, never duplicates it */
    memset(&feed, 0, sizeof feed);
    feed.type = PROTO_MSG_FEED;
    feed.u.feed.cursor = 9;
    feed.u.feed.n_suggestions = 1;
    feed.u.feed.suggestions = proto_malloc(sizeof(proto_suggestion_t));
    assert_non_null(feed.u.feed.suggestions);
    fill_suggestion(&feed.u.feed.suggestions[0], "k02:5", "名单质量差", 9,
                    "accepted", 3000);
    feed.u.feed.suggestions[0].feedback = proto_strdup("下周起用新名单");
    snprintf(feed.u.feed.suggestions[0].owner_id, PROTO_ID_MAX, "s10");
    snprintf(feed.u.feed.suggestions[0].due, PROTO_SHORT_MAX, "2026-12-04");
    assert_int_equal(kiosk_outbox_feed_apply(ob, &feed), 0);
    proto_msg_clear(&feed);

    assert_int_equal(kiosk_outbox_feed_cursor(ob, &cursor), 0);
    assert_int_equal(cursor, 9);
    assert_int_equal(kiosk_outbox_suggestions(ob, 10, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "k02:5");
    assert_int_equal(list[0].votes, 9);
    assert_string_equal(list[0].status, "accepted");
    assert_string_equal(list[0].feedback, "下周起用新名单");
    assert_string_equal(list[0].owner_id, "s10");
    assert_string_equal(list[0].due, "2026-12-04");
    assert_null(list[1].feedback);
    kiosk_outbox_suggestions_free(&list, n);

    proto_standing_t *rows = NULL;
    assert_int_equal(kiosk_outbox_standings(ob, NULL, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].staff_id, "s01");
    assert_int_equal(rows[0].points, 120);
    assert_int_equal(rows[1].rank, 2);
    free(rows);
    assert_int_equal(kiosk_outbox_standings(ob, "2026-W47", &rows, &n), 0);
    assert_int_equal(n, 0);
    free(rows);
    kiosk_outbox_destroy(&ob);
}

/* ---- A full disk */

typedef struct {
    int saved;      /* events saved before the first failure */
    int code;       /* the failing append's return */
    int code_again; /* a second attempt's return */
    int ok;         /* child's own checks passed */
    char msg[512];
} disk_report_t;

static off_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/* In a child: fill the "disk" (RLIMIT_FSIZE) while appending. */
static void full_disk_child(const char *path, int fd)
{
    disk_report_t rep;
    memset(&rep, 0, sizeof rep);
    char err[512];
    kiosk_outbox_t *ob = kiosk_outbox_open(path, err, sizeof err);
    if (!ob)
        goto out;
    if (kiosk_outbox_set_identity(ob, "k01") != 0)
        goto out;
    for (unsigned i = 1; i <= 20; i++) {
        proto_event_t ev;
        make_checkin(&ev, i);
        int r = kiosk_outbox_append(ob, &ev, NULL);
        proto_event_clear(&ev);
        if (r != 0)
            goto out;
        rep.saved++;
    }
    char wal[256];
    snprintf(wal, sizeof wal, "%s-wal", path);
    off_t big = file_size(path);
    if (file_size(wal) > big)
        big = file_size(wal);
    /* the "disk" holds 48 KiB more than the largest file so far */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {(rlim_t)big + 48 * 1024, (rlim_t)big + 48 * 1024};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        goto out;
    for (unsigned i = 21; i <= 100000; i++) {
        proto_event_t ev;
        make_checkin(&ev, i);
        int r = kiosk_outbox_append(ob, &ev, NULL);
        proto_event_clear(&ev);
        if (r != 0) {
            rep.code = r;
            snprintf(rep.msg, sizeof rep.msg, "%s", kiosk_outbox_errmsg(ob));
            break;
        }
        rep.saved++;
    }
    proto_event_t ev;
    make_checkin(&ev, 999999);
    rep.code_again = kiosk_outbox_append(ob, &ev, NULL);
    proto_event_clear(&ev);
    rep.ok = 1;
out:
    if (write(fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
        _exit(2);
    kiosk_outbox_destroy(&ob);
    _exit(0);
}

static void test_full_disk(void **state)
{
    fx_t *fx = *state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        full_disk_child(fx->path, fds[1]);
    }
    close(fds[1]);
    disk_report_t rep;
    memset(&rep, 0, sizeof rep);
    ssize_t got = read(fds[0], &rep, sizeof rep);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(got, (ssize_t)sizeof rep);
    assert_true(WIFEXITED(status));
    assert_int_equal(rep.ok, 1);
    print_message("disk full after %d events: %s\n", rep.saved, rep.msg);
    assert_true(rep.saved > 20);
    assert_true(rep.saved < 100000);
    assert_int_equal(rep.code, PROTO_EIO);
    assert_int_equal(rep.code_again, PROTO_EIO);
    /* what happened, to which file, what to do */
    char want[256];
    snprintf(want, sizeof want, "outbox %s: could not save the event",
             fx->path);
    if (!strstr(rep.msg, want) ||
        !strstr(rep.msg, "events already saved are safe"))
        fail_msg("unexpected message: %s", rep.msg);

    /* every event confirmed before the disk filled is intact */
    kiosk_outbox_t *ob = open_ok(fx->path, NULL);
    kiosk_outbox_stats_t st;
    assert_int_equal(kiosk_outbox_stats(ob, &st), 0);
    assert_int_equal(st.last_seq, (uint64_t)rep.saved);
    assert_int_equal(st.total, (uint64_t)rep.saved);
    assert_int_equal(st.depth, (uint64_t)rep.saved);
    for (unsigned i = 1; i <= (unsigned)rep.saved; i++) {
        proto_event_t ev;
        memset(&ev, 0, sizeof ev);
        if (kiosk_outbox_get(ob, i, &ev, NULL) != 0)
            fail_msg("event %u lost: %s", i, kiosk_outbox_errmsg(ob));
        assert_int_equal(ev.seq, i);
        check_checkin(&ev, i);
        proto_event_clear(&ev);
    }
    /* with space again, numbering continues without a gap */
    assert_int_equal(append_checkin(ob, 7), (uint64_t)rep.saved + 1);
    kiosk_outbox_destroy(&ob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_assigns_seq, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_across_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cache_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_ack_rejects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pending_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_and_floor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_two_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
