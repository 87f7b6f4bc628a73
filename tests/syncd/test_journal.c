/*
 * test_journal.c — the ingest journal's row format (syncd/src/journal.c):
 * every field of every event type and every decision comes back as it
 * went in, texts included (Chinese, empty, absent); a row cut short at any
 * byte, with bytes left over, with another magic, with a length that runs
 * past its end or an identifier over its bound is refused with the field
 * and the byte it failed at, and never read past.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../syncd/src/journal.h"

#define N 4

typedef struct {
    proto_event_t ev[N];
    syncd_ingest_item_t it[N];
    const syncd_ingest_item_t *ptr[N];
} row_t;

static char note[] = "客户要求明天回电", title[] = "外呼名单质量太差",
            empty[] = "";

static void make_row(row_t *r)
{
    proto_event_t *c = &r->ev[0], *s = &r->ev[1], *v = &r->ev[2],
                  *g = &r->ev[3];

    memset(r, 0, sizeof *r);
    c->type = PROTO_EV_CHECKIN;
    snprintf(c->kiosk_id, sizeof c->kiosk_id, "k1");
    c->seq = 7;
    c->captured_ms = 1764034200123LL;
    c->boot_id = 0xfedcba9876543210ULL;
    c->mono_ms = 86400123;
    snprintf(c->staff_id, sizeof c->staff_id, "zhang");
    snprintf(c->step_id, sizeof c->step_id, "tm-call");
    c->catalogue_version = 3;
    c->n_measures = 2;
    snprintf(c->measures[0].key, sizeof c->measures[0].key, "calls");
    c->measures[0].value = 35;
    snprintf(c->measures[1].key, sizeof c->measures[1].key, "minutes");
    c->measures[1].value = 12.25;
    c->quality = 4;
    c->note = note;

    s->type = PROTO_EV_SUGGESTION;
    s->seq = 8;
    s->captured_ms = -5; /* a kiosk clock before 1970 still round-trips */
    s->anonymous = true; /* its author already erased by ingest */
    s->kind = PROTO_KIND_PROBLEM;
    snprintf(s->process_id, sizeof s->process_id, "telemarketing");
    s->title = title;
    s->body = empty;

    v->type = PROTO_EV_VOTE;
    v->seq = 9;
    snprintf(v->staff_id, sizeof v->staff_id, "li");
    snprintf(v->suggestion_id, sizeof v->suggestion_id, "k2:41");
    v->vote = -1; /* not a value ingest accepts; the format keeps it */

    g->type = PROTO_EV_RATING;
    g->seq = UINT64_MAX;
    snprintf(g->staff_id, sizeof g->staff_id, "%064d", 0); /* at its bound */
    g->score = 5;

    for (int i = 0; i < N; i++) {
        r->it[i].event = &r->ev[i];
        snprintf(r->it[i].day, sizeof r->it[i].day, "2025-11-2%d", i);
        r->ptr[i] = &r->it[i];
    }
    r->it[0].points = 1.0 / 3;
    r->it[0].points_cap = 50;
    r->it[0].team_id = "红队";
    r->it[3].points = 2;
    r->it[3].team_id = ""; /* no team: comes back as none */
}

static void encode(const row_t *r, syncd_buf_t *b)
{
    syncd_journal_encode(b, r->ptr, N);
    assert_false(b->oom);
}

/* The row of make_row(), encoded into b. */
static void encoded_row(syncd_buf_t *b)
{
    row_t in;

    make_row(&in);
    encode(&in, b);
}

static void test_round_trip(void **state)
{
    row_t in;
    syncd_buf_t b = {0};
    proto_event_t evs[N];
    syncd_ingest_item_t its[N];
    size_t n = 99;
    char why[160] = "";

    (void)state;
    make_row(&in);
    encode(&in, &b);
    assert_int_equal(syncd_journal_decode((const uint8_t *)b.p, b.len, "k9",
                                          evs, its, N, &n, why, sizeof why),
                     0);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++) {
        const proto_event_t *a = &in.ev[i], *e = &evs[i];

        assert_ptr_equal(its[i].event, e);
        assert_string_equal(e->kiosk_id, "k9"); /* the row's kiosk */
        assert_int_equal(e->type, a->type);
        assert_true(e->seq == a->seq);
        assert_true(e->captured_ms == a->captured_ms);
        assert_true(e->boot_id == a->boot_id);
        assert_true(e->mono_ms == a->mono_ms);
        assert_string_equal(e->staff_id, a->staff_id);
        assert_string_equal(e->step_id, a->step_id);
        assert_string_equal(e->process_id, a->process_id);
        assert_string_equal(e->suggestion_id, a->suggestion_id);
        assert_true(e->catalogue_version == a->catalogue_version);
        assert_int_equal(e->n_measures, a->n_measures);
        for (uint32_t m = 0; m < a->n_measures; m++) {
            assert_string_equal(e->measures[m].key, a->measures[m].key);
            assert_true(e->measures[m].value == a->measures[m].value);
        }
        assert_int_equal(e->quality, a->quality);
        assert_int_equal(e->score, a->score);
        assert_int_equal(e->vote, a->vote);
        assert_int_equal(e->anonymous, a->anonymous);
        assert_int_equal(e->kind, a->kind);
        assert_string_equal(its[i].day, in.it[i].day);
        assert_true(its[i].points == in.it[i].points); /* bit for bit */
        assert_true(its[i].points_cap == in.it[i].points_cap);
        assert_int_equal(its[i].reject_code, 0);
    }
    assert_string_equal(evs[0].note, "客户要求明天回电");
    assert_null(evs[0].title);
    assert_null(evs[1].note);
    assert_string_equal(evs[1].title, "外呼名单质量太差");
    assert_string_equal(evs[1].body, "");
    assert_string_equal(its[0].team_id, "红队");
    assert_null(its[1].team_id);
    assert_null(its[3].team_id);
    /* the texts live in the row */
    assert_true(evs[0].note > b.p && evs[0].note < b.p + b.len);
    syncd_buf_free(&b);
}

static int decode(const syncd_buf_t *b, size_t len, char *why, size_t size)
{
    proto_event_t evs[N];
    syncd_ingest_item_t its[N];
    size_t n = 99;
    int rc = syncd_journal_decode((const uint8_t *)b->p, len, "k1", evs, its, N,
                                  &n, why, size);

    if (rc != 0)
        assert_int_equal(n, 0);
    return rc;
}

static void test_every_cut_refused(void **state)
{
    syncd_buf_t b = {0};
    char why[160];

    (void)state;
    encoded_row(&b);
    for (size_t len = 0; len < b.len; len++) {
        /* a copy of exactly len bytes: a read past it is an error under
         * the sanitizers */
        syncd_buf_t cut = {0};
        syncd_buf_add(&cut, b.p, len);
        if (decode(&cut, len, why, sizeof why) != PROTO_EINVAL)
            fail_msg("a row cut to %zu of %zu bytes was read", len, b.len);
        assert_true(strstr(why, "magic") != NULL ||
                    strstr(why, "breaks off or is malformed at ") != NULL);
        syncd_buf_free(&cut);
    }
    assert_int_equal(decode(&b, b.len, why, sizeof why), 0);
    syncd_buf_free(&b);
}

static void test_malformed_refused(void **state)
{
    syncd_buf_t b = {0};
    char why[160];

    (void)state;
    encoded_row(&b);

    syncd_buf_add(&b, "x", 1);
    assert_int_equal(decode(&b, b.len, why, sizeof why), PROTO_EINVAL);
    assert_string_equal(why, "it breaks off or is malformed at the end (bytes "
                             "left over), byte 535");
    b.len--;

    b.p[3] = 2; /* a version this syncd does not know */
    assert_int_equal(decode(&b, b.len, why, sizeof why), PROTO_EINVAL);
    assert_string_equal(why, "it does not start with the journal's magic "
                             "\"SWJ\" and version 1");
    b.p[3] = 1;

    b.p[4] = N + 1; /* more events than the caller has room for */
    assert_int_equal(decode(&b, b.len, why, sizeof why), PROTO_EINVAL);
    assert_string_equal(why, "it holds 5 events, more than 4");
    b.p[4] = N;

    /* the first staff id's length byte: 5 ("zhang") made 200, past the
     * identifier bound and the row's end; then 4, where the NUL is not */
    size_t at = 8 + 8 + 5 * 8 + 2 * 8 + 10;
    assert_int_equal(b.p[at], 5);
    b.p[at] = (char)200;
    assert_int_equal(decode(&b, b.len, why, sizeof why), PROTO_EINVAL);
    assert_string_equal(why, "it breaks off or is malformed at staff_id, "
                             "byte 83");
    b.p[at] = 4;
    assert_int_equal(decode(&b, b.len, why, sizeof why), PROTO_EINVAL);
    assert_string_equal(why, "it breaks off or is malformed at staff_id, "
                             "byte 83");
    b.p[at] = 5;

    b.p[8] = 9; /* the check-in's type: no such event type */
    assert_int_equal(decode(&b, b.len, why, sizeof why), PROTO_EINVAL);
    assert_string_equal(why, "it breaks off or is malformed at type, byte 8");
    b.p[8] = PROTO_EV_CHECKIN;

    b.p[8 + 6] = PROTO_MAX_MEASURES + 1; /* the check-in's measure count */
    assert_int_equal(decode(&b, b.len, why, sizeof why), PROTO_EINVAL);
    assert_non_null(strstr(why, "malformed at measures"));
    b.p[8 + 6] = 2;
    assert_int_equal(decode(&b, b.len, why, sizeof why), 0);
    syncd_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_cut_refused),
        cmocka_unit_test(test_malformed_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
