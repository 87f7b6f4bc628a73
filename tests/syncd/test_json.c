/*
 * test_json.c — the admin endpoint's JSON writer and reader: exact text
 * out (escapes, commas, numbers), sticky errors, and the reader's answers
 * and error positions on what syncctl may receive.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/protocol.h"
#include "syncd/json.h"

static char *take(syncd_json_t *j)
{
    char *s = NULL;
    size_t len = 0;
    assert_int_equal(syncd_json_take(j, &s, &len), 0);
    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    return s;
}

static void test_writer_exact_text(void **state)
{
    (void)state;
    syncd_json_t *j = syncd_json_new();
    assert_non_null(j);
    syncd_json_object_begin(j);
    syncd_json_key(j, "id");
    syncd_json_string(j, "k01");
    syncd_json_key(j, "title");
    syncd_json_string(j, "say \"hi\"\\\n\t\x01 名单");
    syncd_json_key(j, "n");
    syncd_json_int(j, -42);
    syncd_json_key(j, "big");
    syncd_json_uint(j, UINT64_MAX);
    syncd_json_key(j, "ms");
    syncd_json_int(j, INT64_C(1795744800000));
    syncd_json_key(j, "x");
    syncd_json_double(j, 2.5);
    syncd_json_key(j, "nan");
    syncd_json_double(j, NAN);
    syncd_json_key(j, "list");
    syncd_json_array_begin(j);
    syncd_json_bool(j, true);
    syncd_json_bool(j, false);
    syncd_json_null(j);
    syncd_json_string(j, NULL);
    syncd_json_array_begin(j);
    syncd_json_array_end(j);
    syncd_json_object_begin(j);
    syncd_json_object_end(j);
    syncd_json_array_end(j);
    syncd_json_object_end(j);
    char *s = take(j);
    assert_string_equal(
        s, "{\"id\":\"k01\",\"title\":\"say \\\"hi\\\"\\\\\\n\\t\\u0001 名单\","
           "\"n\":-42,\"big\":18446744073709551615,\"ms\":1795744800000,"
           "\"x\":2.5,\"nan\":null,\"list\":[true,false,null,null,[],{}]}");
    free(s);
    /* the writer is reset and reusable */
    syncd_json_array_begin(j);
    syncd_json_int(j, 1);
    syncd_json_array_end(j);
    s = take(j);
    assert_string_equal(s, "[1]");
    free(s);
    syncd_json_destroy(&j);
    assert_null(j);
    syncd_json_destroy(&j); /* NULL is fine */
}

static void test_writer_sticky_errors(void **state)
{
    (void)state;
    syncd_json_t *j = syncd_json_new();
    char *s;
    size_t len;
    /* a value where an object needs a key */
    syncd_json_object_begin(j);
    syncd_json_int(j, 1);
    assert_int_equal(syncd_json_error(j), PROTO_EINVAL);
    syncd_json_key(j, "a"); /* ignored from now on */
    syncd_json_object_end(j);
    assert_int_equal(syncd_json_take(j, &s, &len), PROTO_EINVAL);
    assert_null(s);
    /* a container left open */
    syncd_json_array_begin(j);
    assert_int_equal(syncd_json_take(j, &s, &len), PROTO_EINVAL);
    assert_null(s);
    /* mismatched close */
    syncd_json_array_begin(j);
    syncd_json_object_end(j);
    assert_int_equal(syncd_json_take(j, &s, &len), PROTO_EINVAL);
    /* nothing written at all */
    assert_int_equal(syncd_json_take(j, &s, &len), PROTO_EINVAL);
    /* two top-level values */
    syncd_json_int(j, 1);
    syncd_json_int(j, 2);
    assert_int_equal(syncd_json_take(j, &s, &len), PROTO_EINVAL);
    /* too deep */
    for (int i = 0; i <= SYNCD_JSON_MAX_DEPTH; i++)
        syncd_json_array_begin(j);
    assert_int_equal(syncd_json_error(j), PROTO_EINVAL);
    syncd_json_destroy(&j);
}

/* The one escaper the writer and the store's exports share: the two differ
 * only in how \b and \f come out, and each keeps its own bytes. */
struct sink {
    char text[128];
    size_t len;
};

static void sink_add(void *ctx, const char *bytes, size_t n)
{
    struct sink *k = ctx;
    assert_true(k->len + n < sizeof k->text);
    memcpy(k->text + k->len, bytes, n);
    k->len += n;
    k->text[k->len] = '\0';
}

static void test_escape(void **state)
{
    (void)state;
    const char *in = "a\bb\fc\x1f\"\\\r\x7f é";
    struct sink k = {0};

    syncd_json_escape(in, false, sink_add, &k);
    assert_string_equal(k.text,
                        "\"a\\u0008b\\u000cc\\u001f\\\"\\\\\\r\x7f é\"");
    memset(&k, 0, sizeof k);
    syncd_json_escape(in, true, sink_add, &k);
    assert_string_equal(k.text, "\"a\\bb\\fc\\u001f\\\"\\\\\\r\x7f é\"");
    memset(&k, 0, sizeof k);
    syncd_json_escape("", true, sink_add, &k);
    assert_string_equal(k.text, "\"\"");

    /* the writer is the short_bf = false form */
    syncd_json_t *j = syncd_json_new();
    assert_non_null(j);
    syncd_json_string(j, in);
    char *s = take(j);
    memset(&k, 0, sizeof k);
    syncd_json_escape(in, false, sink_add, &k);
    assert_string_equal(s, k.text);
    free(s);
    syncd_json_destroy(&j);
}

static void test_reader(void **state)
{
    (void)state;
    const char *text = " {\"kiosks\": [ {\"id\": \"k01\", \"acked_seq\": 1832, "
                       "\"skew\": -2.5e3, \"ok\": true, \"note\": null},"
                       " {\"id\": \"\\u540d\\u5355 \\ud83d\\ude00\\n\"} ],"
                       " \"ms\": 9007199254740993 } ";
    char err[128];
    syncd_json_value_t *v =
        syncd_json_parse(text, strlen(text), err, sizeof err);
    assert_non_null(v);
    assert_int_equal(syncd_json_type(v), SYNCD_JSON_OBJECT);
    const syncd_json_value_t *ks = syncd_json_get(v, "kiosks");
    assert_int_equal(syncd_json_type(ks), SYNCD_JSON_ARRAY);
    assert_int_equal(syncd_json_count(ks), 2);
    const syncd_json_value_t *k = syncd_json_at(ks, 0);
    assert_string_equal(syncd_json_as_str(syncd_json_get(k, "id")), "k01");
    assert_int_equal(syncd_json_as_int(syncd_json_get(k, "acked_seq"), 0),
                     1832);
    assert_true(syncd_json_as_num(syncd_json_get(k, "skew"), 0) == -2500.0);
    assert_int_equal(syncd_json_as_int(syncd_json_get(k, "skew"), 0), -2500);
    assert_true(syncd_json_as_bool(syncd_json_get(k, "ok"), false));
    assert_int_equal(syncd_json_type(syncd_json_get(k, "note")),
                     SYNCD_JSON_NULL);
    /* a missing key or a wrong type gives the default */
    assert_null(syncd_json_get(k, "nope"));
    assert_int_equal(syncd_json_as_int(syncd_json_get(k, "id"), -7), -7);
    assert_null(syncd_json_as_str(syncd_json_get(k, "acked_seq")));
    assert_null(syncd_json_at(ks, 2));
    assert_string_equal(
        syncd_json_as_str(syncd_json_get(syncd_json_at(ks, 1), "id")),
        "名单 \xf0\x9f\x98\x80\n");
    /* integers keep all their bits (a double would say ...992) */
    assert_int_equal(syncd_json_as_int(syncd_json_get(v, "ms"), 0),
                     INT64_C(9007199254740993));
    syncd_json_value_destroy(&v);
    assert_null(v);
}

static void test_reader_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"", "unexpected end of text at line 1 column 1"},
        {"{\"a\": 1,\n \"b\" 2}", "expected ':' after a member name at line "
                                  "2 column 6"},
        {"[1, 2", "expected ',' or ']' at line 1 column 6"},
        {"{\"a\": tru}", "expected a value at line 1 column 7"},
        {"\"abc", "unterminated string at line 1 column 2"},
        {"\"\\q\"", "unknown escape in string at line 1 column 4"},
        {"\"\\ud800\"", "lone surrogate in \\u escape at line 1 column 8"},
        {"{} x", "text follows the value at line 1 column 4"},
        {"{1: 2}", "expected a member name in quotes at line 1 column 2"},
        {"-", "expected a value at line 1 column 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[128] = "";
        syncd_json_value_t *v = syncd_json_parse(
            cases[i].text, strlen(cases[i].text), err, sizeof err);
        assert_null(v);
        assert_string_equal(err, cases[i].err);
    }
    /* nesting beyond the limit */
    char deep[SYNCD_JSON_MAX_DEPTH * 2 + 8];
    size_t n = 0;
    for (int i = 0; i <= SYNCD_JSON_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i <= SYNCD_JSON_MAX_DEPTH; i++)
        deep[n++] = ']';
    char err[128];
    assert_null(syncd_json_parse(deep, n, err, sizeof err));
    assert_string_equal(err, "nesting too deep at line 1 column 33");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_exact_text),
        cmocka_unit_test(test_writer_sticky_errors),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_reader_errors),
    };
    return cmocka_run_group_tests_name("syncd/json", tests, NULL, NULL);
}
