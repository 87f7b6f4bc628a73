/*
 * test_malformed.c — hostile and broken frames, each with its exact code.
 *
 * The decoder is the hostile edge of syncd: every frame a kiosk (or anyone
 * who got past CURVE) sends arrives here. Each row of the table in
 * malformed_rows.h is a frame written as readable msgpack-text (mpjson.h)
 * or hex, the error code it must give, and the diag path that must name
 * the culprit. Beyond the table: every truncation of a valid PUSH, every
 * single-byte mutation of it, and frames too large to write by hand. Every
 * failure must leave the message zeroed; ASan (the sanitize build) checks that
 * nothing leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "malformed_rows.h"
#include "mpjson.h"
#include "schema_walk.h"

static void check_failure(const char *name, const uint8_t *buf, size_t len,
                          size_t max_frame, int code, const char *where)
{
    proto_msg_t msg;
    proto_diag_t diag;
    memset(&msg, 0xa5, sizeof(msg)); /* decode must clear it */
    int rc = proto_decode(buf, len, max_frame, &msg, &diag);
    if (rc != code || strcmp(diag.where, where) != 0)
        fprintf(stderr,
                "row \"%s\": got %s at \"%s\" (offset %zu), want %s "
                "at \"%s\"\n",
                name, proto_errname(rc), diag.where, diag.offset,
                proto_errname(code), where);
    assert_int_equal(rc, code);
    assert_string_equal(diag.where, where);
    if (rc < 0) {
        proto_msg_t zero;
        memset(&zero, 0, sizeof(zero));
        assert_memory_equal(&msg, &zero, sizeof(zero));
        assert_true(diag.offset <= len);
    } else {
        /* accepted: re-encodes cleanly */
        uint8_t *out;
        size_t out_len;
        assert_int_equal(proto_encode(&msg, &out, &out_len), 0);
        proto_free(out);
    }
    proto_msg_clear(&msg);
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const row_t *r = &rows[i];
        uint8_t *buf;
        size_t len;
        if (r->spec) {
            if (mpjson(r->spec, &buf, &len) != 0)
                fail_msg("row \"%s\": bad spec", r->name);
        } else {
            buf = unhex(r->hex, &len);
        }
        if (r->code == PROTO_ETRAILING && r->spec) {
            buf = realloc(buf, len + 1);
            buf[len++] = 0xc0;
        }
        check_failure(r->name, buf, len, PROTO_MAX_ADMIN_FRAME, r->code,
                      r->where);
        free(buf);
    }
}

/* Offsets point at the culprit: the key of the bad field. */
static void test_diag_offset(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    proto_msg_t msg;
    proto_diag_t diag;
    assert_int_equal(mpjson("[5, {\"have_version\": \"3\"}]", &buf, &len), 0);
    assert_int_equal(proto_decode(buf, len, 0, &msg, &diag), PROTO_ETYPE);
    /* 92 05 81 ac "have_version" a1 "3": the field's key at byte 4 */
    assert_int_equal(diag.offset, 4);
    free(buf);
    buf = unhex("92 09 c1", &len);
    assert_int_equal(proto_decode(buf, len, 0, &msg, &diag), PROTO_EMALFORMED);
    assert_int_equal(diag.offset, 2);
    free(buf);
}

static uint8_t *valid_push(size_t *len)
{
    const char *spec = PUSH(CHECKIN(
        "\"measures\": {\"calls\": 35, \"effective\": 6.5}, "
        "\"quality\": 4, \"note\": \"名单 ok\"") ", " SUGG("\"title\": "
                                                           "\"更新名单\", "
                                                           "\"body\": \"the "
                                                           "list is old\", "
                                                           "\"anonymous\": "
                                                           "true"));
    uint8_t *buf;
    assert_int_equal(mpjson(spec, &buf, len), 0);
    proto_msg_t msg;
    assert_int_equal(proto_decode(buf, *len, 0, &msg, NULL), 0);
    proto_msg_clear(&msg);
    return buf;
}

/* A frame cut at any byte is refused cleanly, never read past its end. */
static void test_every_truncation(void **state)
{
    (void)state;
    size_t len;
    uint8_t *full = valid_push(&len);
    for (size_t cut = 0; cut < len; cut++) {
        /* an exact-size copy so that ASan sees any read past the end */
        uint8_t *part = malloc(cut ? cut : 1);
        memcpy(part, full, cut);
        proto_msg_t msg;
        proto_diag_t diag;
        int rc = proto_decode(part, cut, 0, &msg, &diag);
        assert_true(rc == PROTO_ETRUNCATED || rc == PROTO_EMALFORMED);
        assert_string_equal(diag.where, "frame");
        proto_msg_t zero = {0};
        assert_memory_equal(&msg, &zero, sizeof(zero));
        free(part);
    }
    free(full);
}

/* Every single-byte change of a valid frame: never a crash or a leak, and
 * whatever is accepted re-encodes and decodes to the same bytes. */
static void test_every_byte_mutation(void **state)
{
    (void)state;
    size_t len;
    uint8_t *full = valid_push(&len);
    uint8_t *buf = malloc(len);
    int accepted = 0, refused = 0;
    for (size_t i = 0; i < len; i++) {
        for (int v = 0; v < 256; v++) {
            memcpy(buf, full, len);
            buf[i] = (uint8_t)v;
            proto_msg_t msg;
            if (proto_decode(buf, len, 0, &msg, NULL) < 0) {
                refused++;
                continue;
            }
            accepted++;
            uint8_t *a, *b;
            size_t al, bl;
            proto_msg_t back;
            assert_int_equal(proto_encode(&msg, &a, &al), 0);
            assert_int_equal(proto_decode(a, al, 0, &back, NULL), 0);
            assert_int_equal(proto_encode(&back, &b, &bl), 0);
            assert_int_equal(al, bl);
            assert_memory_equal(a, b, al);
            proto_free(a);
            proto_free(b);
            proto_msg_clear(&back);
            proto_msg_clear(&msg);
        }
    }
    /* both outcomes happen: the mutations did reach the schema layer */
    assert_true(accepted > 100);
    assert_true(refused > 1000);
    free(buf);
    free(full);
}

static void test_nesting_bomb(void **state)
{
    (void)state;
    uint8_t bomb[1000];
    memset(bomb, 0x91, sizeof(bomb)); /* [[[[[...: a thousand levels */
    check_failure("nesting bomb", bomb, sizeof(bomb), 0, PROTO_EDEPTH, "frame");
    memset(bomb, 0x81, sizeof(bomb)); /* {{{{...: maps */
    check_failure("map nesting bomb", bomb, sizeof(bomb), 0, PROTO_EDEPTH,
                  "frame");
}

static void test_frame_size(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = valid_push(&len);
    check_failure("one byte over max_frame", buf, len, len - 1, PROTO_ETOOBIG,
                  "frame");
    check_failure("exactly max_frame", buf, len, len, 0, "");
    free(buf);
    /* over the default limit: refused before a byte is read (the bytes
     * are garbage that would give another code) */
    uint8_t *big = malloc(PROTO_MAX_FRAME + 1);
    memset(big, 0xc1, PROTO_MAX_FRAME + 1);
    check_failure("PROTO_MAX_FRAME + 1", big, PROTO_MAX_FRAME + 1, 0,
                  PROTO_ETOOBIG, "frame");
    free(big);
}

/* Builds [3, {"events": [N check-ins]}] by hand. */
static char *spec_events(int n, int measures)
{
    size_t cap = (size_t)n * 400 + 64 + (size_t)measures * 16;
    char *s = malloc(cap);
    size_t at = (size_t)snprintf(s, cap, "[3, {\"events\": [");
    for (int i = 0; i < n; i++) {
        at += (size_t)snprintf(s + at, cap - at,
                               "%s{\"type\": \"checkin\", \"kiosk_id\": "
                               "\"k01\", \"seq\": %d, \"captured_ms\": 1, "
                               "\"boot_id\": 1, \"mono_ms\": 1, \"staff_id\": "
                               "\"s\", \"step_id\": \"t\", "
                               "\"catalogue_version\": 1, \"measures\": {",
                               i ? ", " : "", i + 1);
        for (int m = 0; m < measures; m++)
            at += (size_t)snprintf(s + at, cap - at, "%s\"m%d\": %d",
                                   m ? ", " : "", m, m);
        at += (size_t)snprintf(s + at, cap - at, "}}");
    }
    snprintf(s + at, cap - at, "]}]");
    return s;
}

static void check_spec(const char *name, const char *spec, int code,
                       const char *where)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(mpjson(spec, &buf, &len), 0);
    check_failure(name, buf, len, 0, code, where);
    free(buf);
}

static void test_counts(void **state)
{
    (void)state;
    char *s = spec_events(PROTO_MAX_BATCH + 1, 1);
    check_spec("501 events", s, PROTO_ECOUNT, "PUSH.events");
    free(s);
    s = spec_events(PROTO_MAX_BATCH, 1);
    check_spec("500 events", s, 0, "");
    free(s);
    s = spec_events(1, PROTO_MAX_MEASURES + 1);
    check_spec("17 measures", s, PROTO_ECOUNT, "PUSH.events[0].measures");
    free(s);
    s = spec_events(1, PROTO_MAX_MEASURES);
    check_spec("16 measures", s, 0, "");
    free(s);

    /* 65 keys in a body, known or not */
    char spec[4096];
    size_t at =
        (size_t)snprintf(spec, sizeof(spec), "[5, {\"have_version\": 1");
    for (int i = 0; i < PROTO_MAX_KEYS; i++)
        at += (size_t)snprintf(spec + at, sizeof(spec) - at, ", \"x%d\": 0", i);
    snprintf(spec + at, sizeof(spec) - at, "}]");
    check_spec("65 keys", spec, PROTO_ECOUNT, "CATALOGUE_REQ");

    /* 33 admin args */
    at = (size_t)snprintf(spec, sizeof(spec),
                          "[20, {\"op\": \"x\", \"args\": {");
    for (int i = 0; i <= PROTO_MAX_ADMIN_ARGS; i++)
        at += (size_t)snprintf(spec + at, sizeof(spec) - at, "%s\"a%d\": \"v\"",
                               i ? ", " : "", i);
    snprintf(spec + at, sizeof(spec) - at, "}}]");
    check_spec("33 admin args", spec, PROTO_ECOUNT, "ADMIN_REQ.args");

    /* a title of 201 bytes, and of exactly 200 */
    char title[PROTO_TITLE_MAX + 2];
    memset(title, 't', sizeof(title));
    title[PROTO_TITLE_MAX + 1] = '\0';
    snprintf(spec, sizeof(spec), PUSH(SUGG("\"title\": \"%s\"")), title);
    check_spec("title 201 bytes", spec, PROTO_ERANGE, "PUSH.events[0].title");
    title[PROTO_TITLE_MAX] = '\0';
    snprintf(spec, sizeof(spec), PUSH(SUGG("\"title\": \"%s\"")), title);
    check_spec("title 200 bytes", spec, 0, "");
}

/* Hundreds of thousands of tiny objects: refused before msgpack-c builds
 * a tree many times the size of the frame. */
static void test_object_flood(void **state)
{
    (void)state;
    size_t n = PROTO_MAX_OBJECTS + 10;
    size_t len = 3 + 5 + n;
    uint8_t *buf = malloc(len);
    buf[0] = 0x92; /* [3, [nil, nil, ...]]: the body's type comes later */
    buf[1] = 0x03;
    buf[2] = 0xdd;
    buf[3] = (uint8_t)(n >> 24);
    buf[4] = (uint8_t)(n >> 16);
    buf[5] = (uint8_t)(n >> 8);
    buf[6] = (uint8_t)n;
    memset(buf + 7, 0xc0, len - 7);
    check_failure("object flood", buf, len - 1, 0, PROTO_ECOUNT, "frame");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_diag_offset),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_every_byte_mutation),
        cmocka_unit_test(test_nesting_bomb),
        cmocka_unit_test(test_frame_size),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_object_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
