/*
 * test_codec.c — the codec round trip, driven by the schema table.
 *
 * For every message type and every event type, with every field set and
 * with only the required ones, over many random messages (fixed seeds):
 * encode → decode gives the same message field by field, and encoding the
 * decoded message gives the same bytes (one canonical encoding). Also the
 * encoder's refusals (it never emits what a decoder refuses), pinned bytes
 * for a few messages, and the small public helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mpjson.h"
#include "schema_walk.h"

/* Encodes, decodes, compares, re-encodes and compares bytes. */
static void roundtrip(const proto_msg_t *msg)
{
    uint8_t *a = NULL, *b = NULL;
    size_t al = 0, bl = 0;
    proto_msg_t back;
    proto_diag_t diag;
    int rc = proto_encode(msg, &a, &al);
    if (rc != 0)
        fprintf(stderr, "encode %s: %s\n", proto_msg_name(msg->type),
                proto_errname(rc));
    assert_int_equal(rc, 0);
    rc = proto_decode(a, al, PROTO_MAX_ADMIN_FRAME, &back, &diag);
    if (rc != 0)
        fprintf(stderr, "decode %s: %s at %s\n", proto_msg_name(msg->type),
                proto_errname(rc), diag.where);
    assert_int_equal(rc, 0);
    assert_true(walk_equal_msg(msg, &back));
    assert_int_equal(proto_encode(&back, &b, &bl), 0);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, al);
    proto_msg_clear(&back);
    proto_free(a);
    proto_free(b);
}

static void test_roundtrip_every_message(void **state)
{
    (void)state;
    walk_rng_t rng = {0x5eed5eed12345678ull};
    for (int iter = 0; iter < 60; iter++) {
        for (size_t i = 0; i < schema_n_msgs; i++) {
            for (int all = 0; all <= 1; all++) {
                walk_opts_t o = {.all = all, .max_arr = 6};
                proto_msg_t msg;
                walk_fill_msg(&rng, &msg, schema_msgs[i].id, &o);
                roundtrip(&msg);
                proto_msg_clear(&msg);
            }
        }
    }
}

/* One PUSH per event type holding just that type, full and minimal. */
static void test_roundtrip_every_event(void **state)
{
    (void)state;
    walk_rng_t rng = {42};
    for (int iter = 0; iter < 40; iter++) {
        for (size_t e = 0; e < schema_n_events; e++) {
            for (int all = 0; all <= 1; all++) {
                walk_opts_t o = {.all = all, .max_arr = 1};
                proto_msg_t msg = {.type = PROTO_MSG_PUSH};
                msg.u.push.n_events = 1;
                msg.u.push.events = proto_malloc(sizeof(proto_event_t));
                memset(msg.u.push.events, 0, sizeof(proto_event_t));
                walk_fill_event(&rng, msg.u.push.events, schema_events[e].type,
                                &o);
                roundtrip(&msg);

                /* and the deep copy is equal and independent */
                proto_event_t copy = {0};
                assert_int_equal(proto_event_copy(&copy, msg.u.push.events), 0);
                assert_true(walk_equal_event(&copy, msg.u.push.events, "copy"));
                if (copy.title)
                    assert_ptr_not_equal(copy.title, msg.u.push.events->title);
                proto_msg_clear(&msg);
                proto_event_clear(&copy);
                proto_event_t zero = {0};
                assert_memory_equal(&copy, &zero, sizeof(zero));
            }
        }
    }
}

/* A PUSH joined from one-event PUSHes is byte for byte the PUSH of those
 * events encoded at once, for every count up to the batch limit's array
 * headers (fixarray, array16) and every event type; a part that is not a
 * one-event PUSH of this encoding, too many parts, or a result over the
 * frame limit are refused. */
static void test_push_join(void **state)
{
    static const size_t counts[] = {0, 1, 2, 15, 16, 17, PROTO_MAX_BATCH};
    walk_rng_t rng = {99};
    proto_msg_t all = {.type = PROTO_MSG_PUSH};
    uint8_t *parts[PROTO_MAX_BATCH], *joined, *whole;
    size_t lens[PROTO_MAX_BATCH], jlen, wlen;

    (void)state;
    all.u.push.events = proto_malloc(PROTO_MAX_BATCH * sizeof(proto_event_t));
    memset(all.u.push.events, 0, PROTO_MAX_BATCH * sizeof(proto_event_t));
    for (uint32_t i = 0; i < PROTO_MAX_BATCH; i++) {
        proto_event_t *ev = &all.u.push.events[i];
        walk_opts_t o = {.all = i % 2 == 0, .max_arr = 2};
        proto_msg_t one = {.type = PROTO_MSG_PUSH};

        walk_fill_event(&rng, ev, schema_events[i % schema_n_events].type, &o);
        ev->seq = i + 1;
        one.u.push.n_events = 1;
        one.u.push.events = ev;
        assert_int_equal(proto_encode(&one, &parts[i], &lens[i]), 0);
    }
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        all.u.push.n_events = (uint32_t)counts[c];
        assert_int_equal(proto_encode(&all, &whole, &wlen), 0);
        assert_int_equal(proto_push_join((const uint8_t *const *)parts, lens,
                                         counts[c], &joined, &jlen),
                         0);
        assert_int_equal(jlen, wlen);
        assert_memory_equal(joined, whole, wlen);
        proto_free(joined);
        proto_free(whole);
    }

    /* refused: a PUSH of two events, another message, a part cut to its
     * head, more parts than a batch holds */
    proto_msg_t two = {.type = PROTO_MSG_PUSH},
                hello = {.type = PROTO_MSG_HELLO};
    uint8_t *bad;
    size_t bad_len;
    two.u.push.n_events = 2;
    two.u.push.events = all.u.push.events;
    assert_int_equal(proto_encode(&two, &bad, &bad_len), 0);
    const uint8_t *mixed[2] = {parts[0], bad};
    size_t mixed_lens[2] = {lens[0], bad_len};
    assert_int_equal(proto_push_join(mixed, mixed_lens, 2, &joined, &jlen),
                     PROTO_EINVAL);
    assert_null(joined);
    proto_free(bad);
    snprintf(hello.u.hello.kiosk_id, sizeof hello.u.hello.kiosk_id, "k1");
    hello.u.hello.version = 2;
    assert_int_equal(proto_encode(&hello, &bad, &bad_len), 0);
    mixed[1] = bad;
    mixed_lens[1] = bad_len;
    assert_int_equal(proto_push_join(mixed, mixed_lens, 2, &joined, &jlen),
                     PROTO_EINVAL);
    proto_free(bad);
    mixed[1] = parts[1];
    mixed_lens[1] = 11; /* the head alone: no event after it */
    assert_int_equal(proto_push_join(mixed, mixed_lens, 2, &joined, &jlen),
                     PROTO_EINVAL);
    assert_int_equal(proto_push_join((const uint8_t *const *)parts, lens,
                                     PROTO_MAX_BATCH + 1, &joined, &jlen),
                     PROTO_EINVAL);

    /* over the frame limit: the join takes parts' events as they are, so
     * 500 parts of a one-event head and 9,000 bytes after it make more
     * than PROTO_MAX_FRAME */
    size_t big_len = 11 + 9000;
    uint8_t *big = malloc(big_len);
    memcpy(big, parts[0], 11);
    memset(big + 11, 0xc0, big_len - 11);
    const uint8_t *same[PROTO_MAX_BATCH];
    size_t same_lens[PROTO_MAX_BATCH];
    for (size_t i = 0; i < PROTO_MAX_BATCH; i++) {
        same[i] = big;
        same_lens[i] = big_len;
    }
    assert_true((big_len - 11) * PROTO_MAX_BATCH > PROTO_MAX_FRAME);
    assert_int_equal(
        proto_push_join(same, same_lens, PROTO_MAX_BATCH, &joined, &jlen),
        PROTO_EINVAL);
    free(big);

    for (size_t i = 0; i < PROTO_MAX_BATCH; i++)
        proto_free(parts[i]);
    all.u.push.n_events = PROTO_MAX_BATCH;
    proto_msg_clear(&all);
}

/* Every list at its bound, every string at its byte limit. */
static void test_roundtrip_at_limits(void **state)
{
    (void)state;
    walk_rng_t rng = {7};
    proto_msg_t msg = {.type = PROTO_MSG_PUSH};
    msg.u.push.n_events = PROTO_MAX_BATCH;
    msg.u.push.events = proto_malloc(PROTO_MAX_BATCH * sizeof(proto_event_t));
    memset(msg.u.push.events, 0, PROTO_MAX_BATCH * sizeof(proto_event_t));
    for (uint32_t i = 0; i < PROTO_MAX_BATCH; i++) {
        proto_event_t *ev = &msg.u.push.events[i];
        walk_opts_t o = {.all = true, .max_arr = 1};
        walk_fill_event(&rng, ev, PROTO_EV_CHECKIN, &o);
        ev->seq = i + 1;
        ev->n_measures = PROTO_MAX_MEASURES;
        for (int k = 0; k < PROTO_MAX_MEASURES; k++) {
            memset(ev->measures[k].key, 'k', PROTO_KEY_MAX);
            ev->measures[k].key[PROTO_KEY_MAX] = '\0';
            ev->measures[k].key[0] = (char)('a' + k);
            ev->measures[k].value = k * 1.5;
        }
        proto_free(ev->note);
        ev->note = walk_heap_text(&rng, PROTO_NOTE_MAX);
    }
    roundtrip(&msg);
    proto_msg_clear(&msg);

    /* catalogue of exactly PROTO_CATALOGUE_MAX bytes */
    msg = (proto_msg_t){.type = PROTO_MSG_CATALOGUE};
    msg.u.catalogue.version = 3;
    msg.u.catalogue.yaml = walk_heap_text(&rng, PROTO_CATALOGUE_MAX);
    msg.u.catalogue.yaml_len = PROTO_CATALOGUE_MAX;
    roundtrip(&msg);
    msg.u.catalogue.yaml_len = 0; /* 0 with a pointer: NUL-terminated */
    roundtrip(&msg);
    proto_msg_clear(&msg);
}

static void expect_einval(const proto_msg_t *msg, const char *what)
{
    uint8_t *out = (uint8_t *)"untouched";
    size_t len = 99;
    int rc = proto_encode(msg, &out, &len);
    if (rc != PROTO_EINVAL)
        fprintf(stderr, "encoder accepted %s (%s, %zu bytes)\n", what,
                proto_errname(rc), len);
    assert_int_equal(rc, PROTO_EINVAL);
    assert_null(out);
    assert_int_equal(len, 0);
}

/* Breaks one field of a valid message so that a decoder would refuse it,
 * then checks that the encoder refuses it too. Walks every field of every
 * message and event. Returns how many cases it made. */
static int break_field(proto_msg_t *msg, void *base, const schema_field_t *f,
                       const char *where)
{
    char *p = (char *)base + f->offset;
    int cases = 0;
    char what[160];
    snprintf(what, sizeof(what), "%s.%s", where, f->key);
    switch (f->type) {
    case SCHEMA_UINT: {
        uint64_t keep = schema_get_uint(base, f);
        uint64_t cmax = f->size == 8 ? UINT64_MAX : (1ull << (8 * f->size)) - 1;
        if (f->umin > 1 || (f->umin == 1 && f->required)) {
            schema_set_uint(base, f, f->umin - 1);
            expect_einval(msg, what);
            cases++;
        }
        if (f->umax < cmax) {
            schema_set_uint(base, f, f->umax + 1);
            expect_einval(msg, what);
            cases++;
        }
        schema_set_uint(base, f, keep);
        break;
    }
    case SCHEMA_INT: {
        int64_t keep = schema_get_int(base, f);
        int64_t cmin = f->size == 8 ? INT64_MIN : -(1ll << (8 * f->size - 1));
        int64_t cmax =
            f->size == 8 ? INT64_MAX : (1ll << (8 * f->size - 1)) - 1;
        if (f->imin > cmin && (f->imin - 1 != 0 || f->required)) {
            schema_set_int(base, f, f->imin - 1);
            expect_einval(msg, what);
            cases++;
        }
        if (f->imax < cmax && (f->imax + 1 != 0 || f->required)) {
            schema_set_int(base, f, f->imax + 1);
            expect_einval(msg, what);
            cases++;
        }
        schema_set_int(base, f, keep);
        break;
    }
    case SCHEMA_STR: {
        /* the longest fixed string of the schema: an AGENDA name */
        char keep[PROTO_NAME_MAX + 1];
        assert_true(f->umax < sizeof keep);
        memcpy(keep, p, f->umax + 1);
        memset(p, 'x', f->umax + 1); /* no terminator inside the array */
        expect_einval(msg, what);
        memcpy(p, "a\xff", 3); /* invalid UTF-8 */
        expect_einval(msg, what);
        cases += 2;
        if (f->required && f->umin > 0) {
            p[0] = '\0';
            expect_einval(msg, what);
            cases++;
        }
        memcpy(p, keep, f->umax + 1);
        break;
    }
    case SCHEMA_HSTR:
    case SCHEMA_LSTR: {
        char **sp = (char **)p;
        char *keep = *sp;
        size_t keep_len = 0;
        if (f->type == SCHEMA_LSTR)
            keep_len = *(size_t *)((char *)base + f->aux_offset);
        char *big = malloc(f->umax + 2);
        memset(big, 'y', f->umax + 1);
        big[f->umax + 1] = '\0';
        *sp = big;
        if (f->type == SCHEMA_LSTR)
            *(size_t *)((char *)base + f->aux_offset) = f->umax + 1;
        expect_einval(msg, what);     /* one byte too long */
        memcpy(big, "ok\xc0\xaf", 5); /* overlong '/' */
        if (f->type == SCHEMA_LSTR)
            *(size_t *)((char *)base + f->aux_offset) = 4;
        expect_einval(msg, what);
        cases += 2;
        if (f->type == SCHEMA_LSTR) { /* embedded NUL */
            memcpy(big, "a\0b", 3);
            *(size_t *)((char *)base + f->aux_offset) = 3;
            expect_einval(msg, what);
            cases++;
        }
        if (f->required && f->umin > 0) {
            *sp = NULL;
            expect_einval(msg, what);
            cases++;
        }
        free(big);
        *sp = keep;
        if (f->type == SCHEMA_LSTR)
            *(size_t *)((char *)base + f->aux_offset) = keep_len;
        break;
    }
    case SCHEMA_ENUM: {
        int64_t keep = schema_get_int(base, f);
        schema_set_int(base, f, f->names->count);
        expect_einval(msg, what);
        schema_set_int(base, f, -1);
        expect_einval(msg, what);
        cases += 2;
        if (f->required) {
            schema_set_int(base, f, 0);
            expect_einval(msg, what);
            cases++;
        }
        schema_set_int(base, f, keep);
        break;
    }
    case SCHEMA_MEASURES: {
        proto_measure_t *ms = (proto_measure_t *)p;
        uint32_t *n = (uint32_t *)((char *)base + f->aux_offset);
        uint32_t keep_n = *n;
        proto_measure_t keep[PROTO_MAX_MEASURES];
        memcpy(keep, ms, sizeof(keep));
        *n = 2;
        strcpy(ms[0].key, "calls");
        strcpy(ms[1].key, "calls");
        ms[0].value = ms[1].value = 1;
        expect_einval(msg, "duplicate measure key");
        strcpy(ms[1].key, "");
        expect_einval(msg, "empty measure key");
        strcpy(ms[1].key, "effective");
        ms[1].value = NAN;
        expect_einval(msg, "NaN measure");
        ms[1].value = -1;
        expect_einval(msg, "negative measure");
        ms[1].value = INFINITY;
        expect_einval(msg, "infinite measure");
        ms[1].value = 2;
        *n = PROTO_MAX_MEASURES + 1;
        expect_einval(msg, "17 measures");
        cases += 6;
        memcpy(ms, keep, sizeof(keep));
        *n = keep_n;
        break;
    }
    case SCHEMA_ARGS: {
        uint32_t *n = (uint32_t *)((char *)base + f->aux_offset);
        proto_arg_t **ap = (proto_arg_t **)p;
        uint32_t keep_n = *n;
        proto_arg_t *keep = *ap;
        proto_arg_t two[2] = {{.key = "a", .value = "1"},
                              {.key = "a", .value = "2"}};
        *ap = two;
        *n = 2;
        expect_einval(msg, "duplicate admin arg");
        strcpy(two[1].key, "b");
        two[1].value = "\xff";
        expect_einval(msg, "admin arg not UTF-8");
        *ap = NULL;
        expect_einval(msg, "admin args NULL with a count");
        *ap = keep;
        *n = PROTO_MAX_ADMIN_ARGS + 1;
        expect_einval(msg, "33 admin args");
        cases += 4;
        *n = keep_n;
        break;
    }
    case SCHEMA_ARRAY:
    case SCHEMA_EVENTS: {
        uint32_t *n = (uint32_t *)((char *)base + f->aux_offset);
        uint32_t keep_n = *n;
        *n = (uint32_t)f->umax + 1;
        expect_einval(msg, what);
        cases++;
        *n = keep_n;
        break;
    }
    case SCHEMA_BOOL:
        break;
    }
    return cases;
}

static void test_encoder_refuses_what_decoder_refuses(void **state)
{
    (void)state;
    walk_rng_t rng = {99};
    int cases = 0;
    for (size_t i = 0; i < schema_n_msgs; i++) {
        walk_opts_t o = {.all = true, .max_arr = 1};
        proto_msg_t msg;
        walk_fill_msg(&rng, &msg, schema_msgs[i].id, &o);
        const schema_struct_t *s = &schema_msgs[i].body;
        for (size_t k = 0; k < s->n_fields; k++)
            cases += break_field(&msg, &msg, &s->fields[k], s->name);
        proto_msg_clear(&msg);
    }
    /* every field of every event type, and of list elements */
    for (size_t e = 0; e < schema_n_events; e++) {
        walk_opts_t o = {.all = true, .max_arr = 1};
        proto_msg_t msg = {.type = PROTO_MSG_PUSH};
        msg.u.push.n_events = 1;
        msg.u.push.events = proto_malloc(sizeof(proto_event_t));
        memset(msg.u.push.events, 0, sizeof(proto_event_t));
        walk_fill_event(&rng, msg.u.push.events, schema_events[e].type, &o);
        for (size_t k = 0; k < schema_event_common.n_fields; k++)
            cases += break_field(&msg, msg.u.push.events,
                                 &schema_event_common.fields[k], "event");
        for (size_t k = 0; k < schema_events[e].body.n_fields; k++)
            cases += break_field(&msg, msg.u.push.events,
                                 &schema_events[e].body.fields[k],
                                 schema_events[e].body.name);
        msg.u.push.events->type = 99;
        expect_einval(&msg, "event type 99");
        proto_msg_clear(&msg);
    }
    for (size_t i = 0; i < schema_n_msgs; i++) {
        const schema_struct_t *s = &schema_msgs[i].body;
        for (size_t k = 0; k < s->n_fields; k++) {
            const schema_field_t *f = &s->fields[k];
            if (f->type != SCHEMA_ARRAY)
                continue;
            walk_opts_t o = {.all = true, .max_arr = 1};
            proto_msg_t msg;
            walk_fill_msg(&rng, &msg, schema_msgs[i].id, &o);
            char *elem = *(char **)((char *)&msg + f->offset);
            for (size_t j = 0; j < f->elem->n_fields; j++)
                cases +=
                    break_field(&msg, elem, &f->elem->fields[j], f->elem->name);
            proto_msg_clear(&msg);
        }
    }
    proto_msg_t bad = {.type = 14};
    expect_einval(&bad, "message type 14");
    expect_einval(NULL, "NULL message");
    /* the table is large: make sure the walk did not silently skip it */
    assert_true(cases > 150);
}

/* A FEED within every field bound can still outgrow the kiosk frame. */
static void test_encoder_refuses_oversize_frame(void **state)
{
    (void)state;
    proto_msg_t msg = {.type = PROTO_MSG_FEED};
    msg.u.feed.n_suggestions = PROTO_MAX_FEED;
    msg.u.feed.suggestions =
        proto_malloc(PROTO_MAX_FEED * sizeof(proto_suggestion_t));
    memset(msg.u.feed.suggestions, 0,
           PROTO_MAX_FEED * sizeof(proto_suggestion_t));
    char *body = malloc(PROTO_BODY_MAX + 1);
    memset(body, 'b', PROTO_BODY_MAX);
    body[PROTO_BODY_MAX] = '\0';
    for (int i = 0; i < PROTO_MAX_FEED; i++) {
        proto_suggestion_t *s = &msg.u.feed.suggestions[i];
        /* every string at its bound */
        memset(s->id, 'i', PROTO_ID_MAX);
        memset(s->process_id, 'p', PROTO_ID_MAX);
        memset(s->step_id, 's', PROTO_ID_MAX);
        memset(s->author_id, 'a', PROTO_ID_MAX);
        memset(s->owner_id, 'o', PROTO_ID_MAX);
        memset(s->merged_into, 'm', PROTO_ID_MAX);
        memset(s->status, 'n', PROTO_SHORT_MAX);
        s->kind = PROTO_KIND_IDEA;
        s->title = proto_strdup(body + PROTO_BODY_MAX - PROTO_TITLE_MAX);
        s->body = proto_strdup(body);
        s->feedback = proto_strdup(body);
    }
    expect_einval(&msg, "FEED over PROTO_MAX_FRAME");
    /* half of it fits */
    for (int i = PROTO_MAX_FEED / 2; i < PROTO_MAX_FEED; i++) {
        proto_suggestion_t *s = &msg.u.feed.suggestions[i];
        proto_free(s->body);
        proto_free(s->feedback);
        s->body = s->feedback = NULL;
    }
    uint8_t *out;
    size_t len;
    assert_int_equal(proto_encode(&msg, &out, &len), 0);
    assert_true(len > PROTO_MAX_FRAME / 2 && len <= PROTO_MAX_FRAME);
    proto_free(out);
    free(body);
    proto_msg_clear(&msg);
}

/* docs/PROTOCOL.md promises that an AGENDA with every list full and every
 * string at its bound still fits the kiosk frame, with room to spare. */
static void test_agenda_at_every_bound_fits(void **state)
{
    (void)state;
    enum { N = PROTO_MAX_AGENDA_ROWS };
    proto_msg_t msg = {.type = PROTO_MSG_AGENDA};
    typeof(msg.u.agenda) *a = &msg.u.agenda;
    char title[PROTO_TITLE_MAX + 1];
    memset(title, 't', PROTO_TITLE_MAX);
    title[PROTO_TITLE_MAX] = '\0';
    memset(a->site, 's', PROTO_ID_MAX);
    memset(a->week, 'w', PROTO_SHORT_MAX);
    a->generated_ms = INT64_MAX;
    a->n_steps = a->n_people = a->n_teams = a->n_exceptions = a->n_decisions =
        N;
    a->steps = proto_malloc(N * sizeof *a->steps);
    a->people = proto_malloc(N * sizeof *a->people);
    a->teams = proto_malloc(N * sizeof *a->teams);
    a->exceptions = proto_malloc(N * sizeof *a->exceptions);
    a->decisions = proto_malloc(N * sizeof *a->decisions);
    assert_non_null(a->steps && a->people && a->teams && a->exceptions &&
                    a->decisions);
    memset(a->steps, 0, N * sizeof *a->steps);
    memset(a->people, 0, N * sizeof *a->people);
    memset(a->teams, 0, N * sizeof *a->teams);
    memset(a->exceptions, 0, N * sizeof *a->exceptions);
    memset(a->decisions, 0, N * sizeof *a->decisions);
    for (int i = 0; i < N; i++) {
        proto_agenda_step_t *st = &a->steps[i];
        memset(st->process_id, 'p', PROTO_ID_MAX);
        memset(st->step_id, 's', PROTO_ID_MAX);
        memset(st->name, 'n', PROTO_NAME_MAX);
        memset(st->measure, 'm', PROTO_KEY_MAX);
        memset(st->rag, 'r', PROTO_SHORT_MAX);
        st->value_x100 = st->target_x100 = st->points_x10 = INT64_MAX;
        st->pct_x10 = INT32_MAX;
        st->people = st->checkins = UINT32_MAX;
        st->quality_x100 = 500;
        proto_agenda_person_t *p = &a->people[i];
        memset(p->staff_id, 's', PROTO_ID_MAX);
        memset(p->team_id, 't', PROTO_ID_MAX);
        memset(p->name, 'n', PROTO_NAME_MAX);
        memset(p->rag, 'r', PROTO_SHORT_MAX);
        p->checkins = UINT32_MAX;
        p->points_x10 = p->value_x100 = p->target_x100 = INT64_MAX;
        p->pct_x10 = INT32_MAX;
        proto_agenda_team_t *t = &a->teams[i];
        memset(t->team_id, 't', PROTO_ID_MAX);
        memset(t->name, 'n', PROTO_NAME_MAX);
        t->members = UINT32_MAX;
        t->points_x10 = INT64_MAX;
        proto_agenda_exception_t *e = &a->exceptions[i];
        memset(e->kind, 'k', PROTO_KEY_MAX);
        memset(e->subject, 's', PROTO_KEY_MAX);
        memset(e->id, 'i', PROTO_ID_MAX);
        memset(e->name, 'n', PROTO_NAME_MAX);
        e->now_x100 = e->before_x100 = INT64_MAX;
        proto_agenda_decision_t *d = &a->decisions[i];
        memset(d->id, 'i', PROTO_ID_MAX);
        memset(d->status, 's', PROTO_SHORT_MAX);
        d->title = proto_strdup(title);
        assert_non_null(d->title);
        d->votes = d->group = d->rank = UINT32_MAX;
    }
    uint8_t *out;
    size_t len;
    assert_int_equal(proto_encode(&msg, &out, &len), 0);
    /* the bound the docs state: under 200 KiB, a twentieth of the frame */
    assert_true(len < 200u * 1024);
    proto_msg_t back;
    assert_int_equal(proto_decode(out, len, 0, &back, NULL), 0);
    assert_int_equal(back.u.agenda.n_decisions, N);
    assert_string_equal(back.u.agenda.decisions[N - 1].title, title);
    proto_msg_clear(&back);
    proto_free(out);
    /* one row more is refused by the encoder */
    a->n_decisions = N + 1;
    proto_agenda_decision_t *more =
        proto_realloc(a->decisions, (N + 1) * sizeof *more);
    assert_non_null(more);
    a->decisions = more;
    more[N] = more[N - 1];
    more[N].title = proto_strdup(title);
    expect_einval(&msg, "AGENDA with 61 decisions");
    proto_msg_clear(&msg);
}

static void expect_bytes(const proto_msg_t *msg, const char *hex)
{
    size_t want_len, len;
    uint8_t *want = unhex(hex, &want_len), *out;
    assert_int_equal(proto_encode(msg, &out, &len), 0);
    if (len != want_len || memcmp(out, want, len) != 0) {
        fprintf(stderr, "got: ");
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, "%02x", out[i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(len, want_len);
    assert_memory_equal(out, want, len);
    proto_free(out);
    free(want);
}

/* The wire form pinned byte for byte: a change here breaks deployed
 * kiosks, so it must be deliberate. */
static void test_wire_bytes_pinned(void **state)
{
    (void)state;
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    ping.u.ping.last_seq = 5;
    ping.u.ping.outbox_depth = 300;
    ping.u.ping.oldest_unsent_s = 0;
    ping.u.ping.kiosk_time_ms = 1764000000000;
    /* [9, {"last_seq":5, "outbox_depth":300, "oldest_unsent_s":0,
     *      "kiosk_time_ms":1764000000000}] */
    expect_bytes(&ping, "92 09 84"
                        "a8 6c6173745f736571 05"
                        "ac 6f7574626f785f6465707468 cd 012c"
                        "af 6f6c646573745f756e73656e745f73 00"
                        "ad 6b696f736b5f74696d655f6d73 cf 0000019ab697e800");

    /* optional fields at zero are omitted; measures canonical numbers */
    proto_msg_t push = {.type = PROTO_MSG_PUSH};
    proto_event_t ev = {.type = PROTO_EV_CHECKIN,
                        .seq = 1,
                        .captured_ms = 0,
                        .boot_id = 0,
                        .mono_ms = 0,
                        .catalogue_version = 1,
                        .n_measures = 2};
    strcpy(ev.kiosk_id, "k");
    strcpy(ev.staff_id, "s");
    strcpy(ev.step_id, "t");
    strcpy(ev.measures[0].key, "a");
    ev.measures[0].value = 35.0; /* integral: positive fixint */
    strcpy(ev.measures[1].key, "b");
    ev.measures[1].value = 2.5; /* float64 */
    push.u.push.n_events = 1;
    push.u.push.events = &ev;
    expect_bytes(&push,
                 "92 03 81 a6 6576656e7473 91 8a"
                 "a4 74797065 a7 636865636b696e"
                 "a8 6b696f736b5f6964 a1 6b"
                 "a3 736571 01"
                 "ab 63617074757265645f6d73 00"
                 "a7 626f6f745f6964 00"
                 "a7 6d6f6e6f5f6d73 00"
                 "a8 73746166665f6964 a1 73"
                 "a7 737465705f6964 a1 74"
                 "b1 636174616c6f6775655f76657273696f6e 01"
                 "a8 6d6561737572657382 a1 61 23 a1 62 cb 4004000000000000");
}

static void test_decode_accepts_other_forms(void **state)
{
    (void)state;
    /* keys in any order, non-shortest integers, float32 and integer
     * measures, str16 strings, unknown keys of every type */
    const char *spec =
        "[3, {\"future\": {\"x\": [1, 2.5, b\"\\x00\", e\"ab\", null]},"
        " \"events\": [{\"measures\": {\"a\": 1.5f, \"b\": 7, \"c\": 0.0},"
        " \"note\": \"\", \"type\": \"checkin\", \"mono_ms\": 1,"
        " \"boot_id\": 2, \"captured_ms\": 3, \"seq\": 4,"
        " \"kiosk_id\": \"k01\", \"staff_id\": \"s\", \"step_id\": \"t\","
        " \"catalogue_version\": 9, \"unknown\": true}]}]";
    uint8_t *buf;
    size_t len;
    proto_msg_t msg;
    proto_diag_t diag;
    assert_int_equal(mpjson(spec, &buf, &len), 0);
    assert_int_equal(proto_decode(buf, len, 0, &msg, &diag), 0);
    assert_int_equal(msg.type, PROTO_MSG_PUSH);
    assert_int_equal(msg.u.push.n_events, 1);
    proto_event_t *ev = &msg.u.push.events[0];
    assert_int_equal(ev->type, PROTO_EV_CHECKIN);
    assert_int_equal(ev->seq, 4);
    assert_int_equal(ev->captured_ms, 3);
    assert_int_equal(ev->boot_id, 2);
    assert_int_equal(ev->mono_ms, 1);
    assert_string_equal(ev->kiosk_id, "k01");
    assert_int_equal(ev->n_measures, 3);
    assert_string_equal(ev->measures[0].key, "a");
    assert_true(ev->measures[0].value == 1.5);
    assert_true(ev->measures[1].value == 7.0);
    assert_true(ev->measures[2].value == 0.0);
    assert_null(ev->note); /* "" is the same as absent */
    assert_int_equal(ev->quality, 0);
    proto_msg_clear(&msg);
    free(buf);

    /* a uint8 where a fixint would do: the same message */
    assert_int_equal(mpjson("[5, {\"have_version\": 3}]", &buf, &len), 0);
    uint8_t *wide = malloc(len + 1);
    wide[0] = buf[0];
    wide[1] = 0xcc;
    wide[2] = 0x05;
    memcpy(wide + 3, buf + 2, len - 2);
    assert_int_equal(proto_decode(wide, len + 1, 0, &msg, &diag), 0);
    assert_int_equal(msg.type, PROTO_MSG_CATALOGUE_REQ);
    assert_int_equal(msg.u.catalogue_req.have_version, 3);
    free(wide);
    free(buf);
}

static void test_names_and_texts(void **state)
{
    (void)state;
    assert_string_equal(proto_strerror(0), "success");
    assert_string_equal(proto_strerror(PROTO_ETRUNCATED),
                        "message ends before its declared content");
    assert_string_equal(proto_strerror(PROTO_EIO), "input/output error");
    assert_string_equal(proto_strerror(-999), "unknown error");
    assert_string_equal(proto_strerror(5), "unknown error");
    assert_string_equal(proto_errname(PROTO_EUNKNOWNEVENT), "EUNKNOWNEVENT");
    assert_string_equal(proto_errname(PROTO_EINVAL), "EINVAL");
    assert_string_equal(proto_errname(0), "OK");
    assert_string_equal(proto_errname(-77), "EUNKNOWN");
    assert_int_equal(PROTO_ESTORE, -20);
    assert_string_equal(proto_reject_name(PROTO_REJECT_KIOSK_MISMATCH),
                        "KIOSK_MISMATCH");
    assert_string_equal(proto_reject_name(9), "INVALID");
    assert_string_equal(proto_reject_name(0), "UNKNOWN");
    assert_string_equal(proto_msg_name(PROTO_MSG_CATALOGUE_REQ),
                        "CATALOGUE_REQ");
    assert_string_equal(proto_msg_name(21), "ADMIN_REP");
    assert_string_equal(proto_msg_name(12), "AGENDA_REQ");
    assert_string_equal(proto_msg_name(13), "AGENDA");
    assert_string_equal(proto_msg_name(14), "?");
    assert_string_equal(proto_event_name(PROTO_EV_RATING), "rating");
    assert_string_equal(proto_event_name(0), "?");
    /* every message and event of the enums is in the schema */
    for (int id = 1; id <= 13; id++)
        assert_non_null(schema_msg(id));
    assert_non_null(schema_msg(20));
    assert_non_null(schema_msg(21));
    assert_int_equal(schema_n_msgs, 15);
    assert_int_equal(schema_n_events, 4);
}

static void test_schema_table_is_sane(void **state)
{
    (void)state;
    /* decoder bitmaps hold 64 fields per struct; keys unique per struct */
    assert_true(schema_event_common.n_fields <= 64);
    for (size_t i = 0; i < schema_n_msgs; i++) {
        const schema_struct_t *s = &schema_msgs[i].body;
        assert_true(s->n_fields <= 64);
        for (size_t k = 0; k < s->n_fields; k++)
            if (s->fields[k].type == SCHEMA_ARRAY) {
                const schema_struct_t *el = s->fields[k].elem;
                assert_true(el->n_fields <= 64);
                for (size_t a = 0; a < el->n_fields; a++)
                    for (size_t b = a + 1; b < el->n_fields; b++)
                        assert_string_not_equal(el->fields[a].key,
                                                el->fields[b].key);
            }
        for (size_t a = 0; a < s->n_fields; a++)
            for (size_t b = a + 1; b < s->n_fields; b++)
                assert_string_not_equal(s->fields[a].key, s->fields[b].key);
    }
    for (size_t e = 0; e < schema_n_events; e++) {
        const schema_struct_t *s = &schema_events[e].body;
        assert_true(s->n_fields <= 64);
        assert_int_equal(schema_events[e].type, (int)e + 1);
        for (size_t a = 0; a < s->n_fields; a++) {
            for (size_t b = a + 1; b < s->n_fields; b++)
                assert_string_not_equal(s->fields[a].key, s->fields[b].key);
            assert_string_not_equal(s->fields[a].key, "type");
            for (size_t b = 0; b < schema_event_common.n_fields; b++)
                assert_string_not_equal(s->fields[a].key,
                                        schema_event_common.fields[b].key);
        }
    }
}

static void test_admin_args(void **state)
{
    (void)state;
    proto_msg_t msg = {.type = PROTO_MSG_ADMIN_REQ};
    strcpy(msg.u.admin_req.op, "kiosk.enrol");
    assert_int_equal(proto_admin_arg_add(&msg, "id", "k01"), 0);
    assert_int_equal(proto_admin_arg_add(&msg, "site", "营业部"), 0);
    assert_int_equal(proto_admin_arg_add(&msg, "empty", ""), 0);
    assert_int_equal(proto_admin_arg_add(&msg, "id", "k02"), PROTO_EINVAL);
    assert_int_equal(proto_admin_arg_add(&msg, "", "x"), PROTO_EINVAL);
    assert_int_equal(
        proto_admin_arg_add(&msg, "a-key-that-is-longer-than-32-bytes", "x"),
        PROTO_EINVAL);
    assert_int_equal(proto_admin_arg_add(&msg, "bad", "\xfe"), PROTO_EINVAL);
    assert_int_equal(proto_admin_arg_add(&msg, NULL, "x"), PROTO_EINVAL);
    assert_string_equal(proto_admin_arg(&msg, "id"), "k01");
    assert_string_equal(proto_admin_arg(&msg, "site"), "营业部");
    assert_string_equal(proto_admin_arg(&msg, "empty"), "");
    assert_null(proto_admin_arg(&msg, "nope"));
    assert_int_equal(msg.u.admin_req.n_args, 3);

    uint8_t *buf;
    size_t len;
    proto_msg_t back;
    assert_int_equal(proto_encode(&msg, &buf, &len), 0);
    assert_int_equal(proto_decode(buf, len, PROTO_MAX_ADMIN_FRAME, &back, NULL),
                     0);
    assert_string_equal(back.u.admin_req.op, "kiosk.enrol");
    assert_int_equal(back.u.admin_req.n_args, 3);
    assert_string_equal(proto_admin_arg(&back, "site"), "营业部");
    assert_int_equal(back.u.admin_req.args[1].value_len, strlen("营业部"));
    proto_free(buf);
    proto_msg_clear(&back);

    for (int i = 3; i < PROTO_MAX_ADMIN_ARGS; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(proto_admin_arg_add(&msg, key, "v"), 0);
    }
    assert_int_equal(proto_admin_arg_add(&msg, "one-more", "v"), PROTO_EINVAL);
    assert_int_equal(msg.u.admin_req.n_args, PROTO_MAX_ADMIN_ARGS);
    proto_msg_clear(&msg);

    proto_msg_t other = {.type = PROTO_MSG_PING};
    assert_int_equal(proto_admin_arg_add(&other, "a", "b"), PROTO_EINVAL);
    assert_null(proto_admin_arg(&other, "a"));
}

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"", true},
        {"plain ascii", true},
        {"外呼 effective", true},
        {"😀", true},
        {"\xc2\x80", true},              /* U+0080 */
        {"\xf4\x8f\xbf\xbf", true},      /* U+10FFFF */
        {"\xef\xbf\xbf", true},          /* U+FFFF */
        {"\x80", false},                 /* lone continuation */
        {"\xc0\xaf", false},             /* overlong '/' */
        {"\xc1\xbf", false},             /* overlong */
        {"\xe0\x80\xaf", false},         /* overlong 3 bytes */
        {"\xf0\x80\x80\xaf", false},     /* overlong 4 bytes */
        {"\xed\xa0\x80", false},         /* surrogate U+D800 */
        {"\xed\xbf\xbf", false},         /* surrogate U+DFFF */
        {"\xf4\x90\x80\x80", false},     /* U+110000 */
        {"\xf8\x88\x80\x80\x80", false}, /* 5 bytes */
        {"\xe5\xa4", false},             /* truncated */
        {"ab\xff", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (proto_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
            fprintf(stderr, "utf8 case %zu\n", i);
        assert_int_equal(proto_utf8_valid(cases[i].s, strlen(cases[i].s)),
                         cases[i].ok);
    }
    /* length is honoured: a valid prefix of a longer buffer */
    assert_true(proto_utf8_valid("ab\xff", 2));
    assert_false(proto_utf8_valid("\xe5\xa4\x96", 2));

    /* cutting: never inside a sequence ("外呼" is 6 bytes) */
    const char *w = "\xe5\xa4\x96\xe5\x91\xbc";
    assert_int_equal(proto_utf8_cut(w, 6, 6), 6);
    assert_int_equal(proto_utf8_cut(w, 6, 10), 6);
    assert_int_equal(proto_utf8_cut(w, 6, 5), 3);
    assert_int_equal(proto_utf8_cut(w, 6, 3), 3);
    assert_int_equal(proto_utf8_cut(w, 6, 2), 0);
    assert_int_equal(proto_utf8_cut("abc", 3, 2), 2);
    char out[5];
    proto_utf8_copy(out, sizeof out, w);
    assert_string_equal(out, "\xe5\xa4\x96");
    proto_utf8_copy(out, sizeof out, "abcd");
    assert_string_equal(out, "abcd");
    proto_utf8_copy(out, sizeof out, "abcde");
    assert_string_equal(out, "abcd");
    proto_utf8_copy(out, sizeof out, NULL);
    assert_string_equal(out, "");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    proto_msg_t msg;
    uint8_t *out;
    size_t len;
    assert_int_equal(proto_decode(NULL, 3, 0, &msg, NULL), PROTO_EINVAL);
    assert_int_equal(proto_decode((const uint8_t *)"\x90", 1, 0, NULL, NULL),
                     PROTO_EINVAL);
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    assert_int_equal(proto_encode(&ping, NULL, &len), PROTO_EINVAL);
    assert_int_equal(proto_encode(&ping, &out, NULL), PROTO_EINVAL);
    proto_msg_clear(NULL);
    proto_event_clear(NULL);
    assert_int_equal(proto_event_copy(NULL, NULL), PROTO_EINVAL);
    assert_null(proto_strdup(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_message),
        cmocka_unit_test(test_roundtrip_every_event),
        cmocka_unit_test(test_roundtrip_at_limits),
        cmocka_unit_test(test_push_join),
        cmocka_unit_test(test_encoder_refuses_what_decoder_refuses),
        cmocka_unit_test(test_encoder_refuses_oversize_frame),
        cmocka_unit_test(test_wire_bytes_pinned),
        cmocka_unit_test(test_decode_accepts_other_forms),
        cmocka_unit_test(test_agenda_at_every_bound_fits),
        cmocka_unit_test(test_names_and_texts),
        cmocka_unit_test(test_schema_table_is_sane),
        cmocka_unit_test(test_admin_args),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
