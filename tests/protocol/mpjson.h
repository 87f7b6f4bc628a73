/*
 * mpjson.h — write msgpack test inputs as readable JSON-like text.
 *
 * Hand-made frames (wrong types, duplicate keys, strings one byte too
 * long) cannot come from the encoder, which refuses them; hex dumps of
 * them would be unreadable. So test tables write them as text:
 *
 *   [3, {"events": [{"type": "checkin", "seq": "1"}]}]
 *
 * Extensions to JSON: integers keep their sign (shortest msgpack form),
 * a number with '.' or 'e' is float64 and with a trailing 'f' float32;
 * nan, inf, -inf; "\xHH" puts a raw byte in a string (invalid UTF-8);
 * b"..." is bin, e"..." an ext of type 1; objects keep duplicate keys and
 * their order. Header-only: each test is its own program.
 */
#ifndef TESTS_PROTOCOL_MPJSON_H
#define TESTS_PROTOCOL_MPJSON_H

/* Not every test uses every helper. */
#define MPJ_FN __attribute__((unused)) static

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

MPJ_FN int mpj_value(const char **pp, msgpack_packer *pk);

MPJ_FN void mpj_ws(const char **pp)
{
    while (isspace((unsigned char)**pp))
        (*pp)++;
}

/* Parses a quoted string into a malloc'd buffer. */
MPJ_FN char *mpj_string(const char **pp, size_t *len)
{
    const char *p = *pp;
    if (*p != '"')
        return NULL;
    p++;
    char *out = malloc(strlen(p) + 1);
    size_t n = 0;
    while (*p && *p != '"') {
        if (*p == '\\') {
            p++;
            if (*p == 'x') {
                unsigned v;
                if (sscanf(p + 1, "%2x", &v) != 1)
                    break;
                out[n++] = (char)v;
                p += 3;
                continue;
            }
            out[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
            p++;
            continue;
        }
        out[n++] = *p++;
    }
    if (*p != '"') {
        free(out);
        return NULL;
    }
    *pp = p + 1;
    *len = n;
    return out;
}

MPJ_FN int mpj_container(const char **pp, msgpack_packer *pk, bool map)
{
    msgpack_sbuffer sub;
    msgpack_packer spk;
    msgpack_sbuffer_init(&sub);
    msgpack_packer_init(&spk, &sub, msgpack_sbuffer_write);
    char close = map ? '}' : ']';
    uint32_t n = 0;
    int rc = -1;
    (*pp)++;
    mpj_ws(pp);
    while (**pp && **pp != close) {
        if (mpj_value(pp, &spk) != 0)
            goto done;
        n++;
        mpj_ws(pp);
        if (map) {
            if (**pp != ':')
                goto done;
            (*pp)++;
            if (mpj_value(pp, &spk) != 0)
                goto done;
            mpj_ws(pp);
        }
        if (**pp == ',') {
            (*pp)++;
            mpj_ws(pp);
        }
    }
    if (**pp != close)
        goto done;
    (*pp)++;
    if ((map ? msgpack_pack_map(pk, n) : msgpack_pack_array(pk, n)) != 0)
        goto done;
    if (sub.size && pk->callback(pk->data, sub.data, sub.size) != 0)
        goto done;
    rc = 0;
done:
    msgpack_sbuffer_destroy(&sub);
    return rc;
}

MPJ_FN int mpj_value(const char **pp, msgpack_packer *pk)
{
    mpj_ws(pp);
    const char *p = *pp;
    if (*p == '{' || *p == '[')
        return mpj_container(pp, pk, *p == '{');
    if (*p == '"' || ((*p == 'b' || *p == 'e') && p[1] == '"')) {
        char kind = *p == '"' ? 's' : *p;
        if (kind != 's')
            (*pp)++;
        size_t n;
        char *s = mpj_string(pp, &n);
        if (!s)
            return -1;
        int rc;
        if (kind == 's')
            rc = msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
        else if (kind == 'b')
            rc = msgpack_pack_bin(pk, n) || msgpack_pack_bin_body(pk, s, n);
        else
            rc = msgpack_pack_ext(pk, n, 1) || msgpack_pack_ext_body(pk, s, n);
        free(s);
        return rc ? -1 : 0;
    }
    static const struct {
        const char *word;
        int what;
    } words[] = {{"true", 1}, {"false", 2}, {"null", 3},
                 {"nan", 4},  {"-inf", 5},  {"inf", 6}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t wl = strlen(words[i].word);
        if (strncmp(p, words[i].word, wl) == 0) {
            *pp += wl;
            switch (words[i].what) {
            case 1:
                return msgpack_pack_true(pk);
            case 2:
                return msgpack_pack_false(pk);
            case 3:
                return msgpack_pack_nil(pk);
            case 4:
                return msgpack_pack_double(pk, NAN);
            case 5:
                return msgpack_pack_double(pk, -INFINITY);
            default:
                return msgpack_pack_double(pk, INFINITY);
            }
        }
    }
    if (*p == '-' || isdigit((unsigned char)*p)) {
        const char *q = p + (*p == '-');
        while (isdigit((unsigned char)*q))
            q++;
        bool flt = *q == '.' || *q == 'e' || *q == 'E';
        char *end;
        if (flt) {
            double d = strtod(p, &end);
            if (*end == 'f') {
                *pp = end + 1;
                return msgpack_pack_float(pk, (float)d);
            }
            *pp = end;
            return msgpack_pack_double(pk, d);
        }
        if (*p == '-') {
            long long v = strtoll(p, &end, 10);
            *pp = end;
            return msgpack_pack_int64(pk, v);
        }
        unsigned long long v = strtoull(p, &end, 10);
        *pp = end;
        return msgpack_pack_uint64(pk, v);
    }
    return -1;
}

/* Converts spec to msgpack; caller frees *out with free(). 0 or -1. */
MPJ_FN int mpjson(const char *spec, uint8_t **out, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    const char *p = spec;
    if (mpj_value(&p, &pk) != 0) {
        fprintf(stderr, "mpjson: cannot parse near: %.40s\n", p);
        msgpack_sbuffer_destroy(&sb);
        return -1;
    }
    mpj_ws(&p);
    if (*p) {
        fprintf(stderr, "mpjson: trailing text: %.40s\n", p);
        msgpack_sbuffer_destroy(&sb);
        return -1;
    }
    *len = sb.size;
    *out = (uint8_t *)msgpack_sbuffer_release(&sb);
    if (!*out)
        *out = malloc(1);
    return 0;
}

/* Parses hex digits (spaces allowed); caller frees. */
MPJ_FN uint8_t *unhex(const char *hex, size_t *len)
{
    uint8_t *out = malloc(strlen(hex) / 2 + 1);
    size_t n = 0;
    while (*hex) {
        unsigned v;
        if (isspace((unsigned char)*hex)) {
            hex++;
            continue;
        }
        if (sscanf(hex, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    *len = n;
    return out;
}

#endif
