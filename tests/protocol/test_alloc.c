/*
 * test_alloc.c — out of memory at every allocation, as SQLite tests it.
 *
 * An allocator that fails the Nth allocation is installed with
 * proto_set_allocator. For every N from 1 upwards, encoding and then
 * decoding a large message must either succeed or return PROTO_ENOMEM
 * with nothing leaked and the output left clear, until N is large enough
 * for both to succeed. The allocator counts live blocks, so a leak fails
 * here even without ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "schema_walk.h"

static long alloc_count; /* allocations so far */
static long fail_at;     /* fail the allocation with this number; 0 never */
static long live;        /* blocks allocated and not freed */

static void *t_malloc(size_t n)
{
    if (++alloc_count == fail_at)
        return NULL;
    void *p = malloc(n);
    if (p)
        live++;
    return p;
}

static void *t_realloc(void *p, size_t n)
{
    if (++alloc_count == fail_at)
        return NULL;
    void *q = realloc(p, n);
    if (q && !p)
        live++;
    return q;
}

static void t_free(void *p)
{
    if (p)
        live--;
    free(p);
}

static const proto_allocator_t failing = {t_malloc, t_realloc, t_free};

static void arm(long n)
{
    alloc_count = 0;
    fail_at = n;
}

/* Builds msg with the counting allocator so that live counts its parts. */
static void build(proto_msg_t *msg, int id, uint32_t max_arr, uint64_t seed)
{
    walk_rng_t rng = {seed};
    walk_opts_t o = {.all = true, .max_arr = max_arr, .min_arr = max_arr};
    arm(0);
    walk_fill_msg(&rng, msg, id, &o);
}

/* The loop of the test: returns the N at which everything succeeded. */
static long fail_every_allocation(const proto_msg_t *msg)
{
    long base_live = live;
    for (long n = 1;; n++) {
        uint8_t *buf = (uint8_t *)"x";
        size_t len = 1;
        proto_msg_t back;
        proto_diag_t diag;
        arm(n);
        int rc = proto_encode(msg, &buf, &len);
        if (rc == PROTO_ENOMEM) {
            assert_null(buf);
            assert_int_equal(len, 0);
            assert_int_equal(live, base_live);
            continue;
        }
        assert_int_equal(rc, 0);
        memset(&back, 0x5a, sizeof(back));
        rc = proto_decode(buf, len, PROTO_MAX_ADMIN_FRAME, &back, &diag);
        if (rc == PROTO_ENOMEM) {
            proto_msg_t zero = {0};
            assert_memory_equal(&back, &zero, sizeof(zero));
            assert_true(diag.where[0] != '\0');
            proto_free(buf);
            assert_int_equal(live, base_live);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_true(walk_equal_msg(msg, &back));
        /* success at n means allocation n never happened: exactly n - 1
         * were made (a failure swallowed somewhere would show as more) */
        assert_int_equal(alloc_count, n - 1);
        proto_msg_clear(&back);
        proto_free(buf);
        assert_int_equal(live, base_live);
        arm(0);
        return n;
    }
}

static void run_message(int id, uint32_t max_arr, long min_points)
{
    proto_msg_t msg;
    build(&msg, id, max_arr, 1000 + (uint64_t)id);
    long n = fail_every_allocation(&msg);
    if (n < min_points)
        fprintf(stderr, "%s: only %ld allocation points\n", proto_msg_name(id),
                n);
    assert_true(n >= min_points);
    arm(0);
    proto_msg_clear(&msg);
    assert_int_equal(live, 0);
}

static void test_push(void **state)
{
    (void)state;
    run_message(PROTO_MSG_PUSH, 40, 20);
}

static void test_feed(void **state)
{
    (void)state;
    run_message(PROTO_MSG_FEED, 30, 20);
}

static void test_admin(void **state)
{
    (void)state;
    run_message(PROTO_MSG_ADMIN_REQ, PROTO_MAX_ADMIN_ARGS, 34);
    run_message(PROTO_MSG_ADMIN_REP, 4, 2);
}

static void test_every_message_type(void **state)
{
    (void)state;
    for (size_t i = 0; i < schema_n_msgs; i++)
        run_message(schema_msgs[i].id, 3, 2);
}

static void test_event_copy(void **state)
{
    (void)state;
    for (size_t e = 0; e < schema_n_events; e++) {
        walk_rng_t rng = {5};
        walk_opts_t o = {.all = true, .max_arr = 1};
        proto_event_t src = {0};
        arm(0);
        walk_fill_event(&rng, &src, schema_events[e].type, &o);
        long base_live = live;
        for (long n = 1;; n++) {
            proto_event_t dst = {0};
            arm(n);
            int rc = proto_event_copy(&dst, &src);
            if (rc == PROTO_ENOMEM) {
                proto_event_t zero = {0};
                assert_memory_equal(&dst, &zero, sizeof(zero));
                assert_int_equal(live, base_live);
                continue;
            }
            assert_int_equal(rc, 0);
            assert_true(walk_equal_event(&src, &dst, "copy"));
            proto_event_clear(&dst);
            assert_int_equal(live, base_live);
            break;
        }
        arm(0);
        proto_event_clear(&src);
    }
    assert_int_equal(live, 0);
}

static void test_admin_arg_add(void **state)
{
    (void)state;
    for (long n = 1;; n++) {
        proto_msg_t msg = {.type = PROTO_MSG_ADMIN_REQ};
        int rc = 0;
        arm(n);
        for (int i = 0; i < 5 && rc == 0; i++) {
            char key[8];
            snprintf(key, sizeof(key), "k%d", i);
            rc = proto_admin_arg_add(&msg, key, "value");
        }
        arm(0);
        if (rc == PROTO_ENOMEM) {
            proto_msg_clear(&msg);
            assert_int_equal(live, 0);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(msg.u.admin_req.n_args, 5);
        assert_string_equal(proto_admin_arg(&msg, "k4"), "value");
        proto_msg_clear(&msg);
        assert_int_equal(live, 0);
        assert_true(n > 10); /* two allocations per argument */
        break;
    }
}

static int setup(void **state)
{
    (void)state;
    proto_set_allocator(&failing);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    proto_set_allocator(NULL);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push),
        cmocka_unit_test(test_feed),
        cmocka_unit_test(test_admin),
        cmocka_unit_test(test_every_message_type),
        cmocka_unit_test(test_event_copy),
        cmocka_unit_test(test_admin_arg_add),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
