/*
 * schema_walk.h — test helpers that walk the schema table: fill a message
 * with random values inside every field's bounds, and compare two messages
 * field by field. Used by the round-trip and allocator tests and by the
 * fuzz corpus generator, so that a field added to the schema is covered by
 * them without touching any test.
 *
 * Header-only (static functions) because each test is its own program.
 */
#ifndef TESTS_PROTOCOL_SCHEMA_WALK_H
#define TESTS_PROTOCOL_SCHEMA_WALK_H

/* Not every test uses every helper. */
#define WALK_FN __attribute__((unused)) static

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../protocol/src/schema.h"

/* xorshift64*: fixed seeds give the same messages on every run. */
typedef struct {
    uint64_t s;
} walk_rng_t;

WALK_FN uint64_t walk_next(walk_rng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

/* Uniform-ish in [lo, hi], with the edges drawn often: bounds are where
 * codecs break. */
WALK_FN uint64_t walk_urange(walk_rng_t *r, uint64_t lo, uint64_t hi)
{
    uint64_t k = walk_next(r) % 8;
    if (k == 0)
        return lo;
    if (k == 1)
        return hi;
    if (hi - lo == UINT64_MAX)
        return walk_next(r);
    if (k < 5 && hi - lo > 300) /* small values: the short encodings */
        return lo + walk_next(r) % 300;
    return lo + walk_next(r) % (hi - lo + 1);
}

WALK_FN int64_t walk_irange(walk_rng_t *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    return (int64_t)((uint64_t)lo + walk_urange(r, 0, span));
}

/* Random valid UTF-8 (ASCII, Chinese, 4-byte emoji), exactly n bytes. */
WALK_FN void walk_text(walk_rng_t *r, char *out, size_t n)
{
    static const char *const pieces[] = {"a",    "Z",    "7",    " ", "-",
                                         "外呼", "直播", "客户", "😀", "é"};
    size_t i = 0;
    while (i < n) {
        const char *p = pieces[walk_next(r) % 10];
        size_t pl = strlen(p);
        if (pl > n - i)
            p = "x", pl = 1;
        memcpy(out + i, p, pl);
        i += pl;
    }
    out[n] = '\0';
}

/* Length for a string field: all = present (≥ 1 byte); big heap bounds
 * capped so that messages stay small, the bound itself drawn sometimes. */
WALK_FN size_t walk_len(walk_rng_t *r, const schema_field_t *f)
{
    uint64_t lo = f->umin ? f->umin : 1, hi = f->umax;
    if (hi > 600)
        hi = walk_next(r) % 16 == 0 ? (hi > 5000 ? 5000 : hi) : 600;
    return (size_t)walk_urange(r, lo, hi);
}

WALK_FN char *walk_heap_text(walk_rng_t *r, size_t n)
{
    char *s = proto_malloc(n + 1);
    if (s)
        walk_text(r, s, n);
    return s;
}

typedef struct {
    bool all;         /* true: every optional field set; false: none */
    uint32_t max_arr; /* largest list drawn */
    uint32_t min_arr; /* smallest list drawn (0 means 1) */
} walk_opts_t;

WALK_FN void walk_fill_struct(walk_rng_t *r, void *base,
                              const schema_struct_t *s, const walk_opts_t *o);

WALK_FN void walk_fill_event(walk_rng_t *r, proto_event_t *ev, int type,
                             const walk_opts_t *o)
{
    const schema_event_t *v = schema_event(type);
    ev->type = (proto_event_type_t)type;
    walk_fill_struct(r, ev, &schema_event_common, o);
    walk_fill_struct(r, ev, &v->body, o);
}

WALK_FN void walk_fill_field(walk_rng_t *r, void *base, const schema_field_t *f,
                             const walk_opts_t *o)
{
    char *p = (char *)base + f->offset;
    bool zero_ok = !f->required && !o->all;
    if (zero_ok) {
        /* required-only: leave it at its zero value */
        return;
    }
    switch (f->type) {
    case SCHEMA_UINT: {
        uint64_t lo = f->umin;
        if (!f->required && lo == 0)
            lo = 1;
        schema_set_uint(base, f, walk_urange(r, lo, f->umax));
        break;
    }
    case SCHEMA_INT: {
        int64_t v;
        do {
            v = walk_irange(r, f->imin, f->imax);
        } while (!f->required && v == 0);
        schema_set_int(base, f, v);
        break;
    }
    case SCHEMA_BOOL:
        *(bool *)p = true;
        break;
    case SCHEMA_STR:
        walk_text(r, p, walk_len(r, f));
        break;
    case SCHEMA_HSTR:
        *(char **)p = walk_heap_text(r, walk_len(r, f));
        break;
    case SCHEMA_LSTR: {
        size_t n = walk_len(r, f);
        *(char **)p = walk_heap_text(r, n);
        *(size_t *)((char *)base + f->aux_offset) = n;
        break;
    }
    case SCHEMA_ENUM:
        schema_set_int(
            base, f,
            1 + (int64_t)(walk_next(r) % (uint64_t)(f->names->count - 1)));
        break;
    case SCHEMA_MEASURES: {
        proto_measure_t *ms = (proto_measure_t *)p;
        uint32_t n = (uint32_t)walk_urange(r, o->all ? 1 : 0, f->umax);
        for (uint32_t i = 0; i < n; i++) {
            size_t kl = (size_t)walk_urange(r, 3, PROTO_KEY_MAX);
            /* unique: the index in front */
            ms[i].key[0] = (char)('A' + i % 26);
            ms[i].key[1] = (char)('a' + i / 26);
            ms[i].key[2] = '_';
            walk_text(r, ms[i].key + 3, kl - 3);
            switch (walk_next(r) % 4) {
            case 0:
                ms[i].value = (double)(walk_next(r) % 1000);
                break;
            case 1:
                ms[i].value = (double)(walk_next(r) % 100000) / 8.0 + 0.125;
                break;
            case 2:
                ms[i].value = (double)(walk_next(r) >> 12); /* big integral */
                break;
            default:
                ms[i].value = 1e300 * (double)(walk_next(r) % 5 + 1);
                break;
            }
        }
        *(uint32_t *)((char *)base + f->aux_offset) = n;
        break;
    }
    case SCHEMA_ARGS: {
        uint32_t max = o->max_arr < f->umax ? o->max_arr : (uint32_t)f->umax;
        uint32_t min = o->min_arr ? o->min_arr : 1;
        uint32_t n = (uint32_t)walk_urange(r, min < max ? min : max, max);
        proto_arg_t *a = proto_malloc(n * sizeof(*a));
        memset(a, 0, n * sizeof(*a));
        for (uint32_t i = 0; i < n; i++) {
            size_t kl = (size_t)walk_urange(r, 2, PROTO_KEY_MAX);
            a[i].key[0] = (char)('a' + i % 26);
            a[i].key[1] = (char)('A' + i / 26);
            walk_text(r, a[i].key + 2, kl - 2);
            size_t vl = (size_t)(walk_next(r) % 200);
            a[i].value = walk_heap_text(r, vl);
            a[i].value_len = vl;
        }
        *(proto_arg_t **)p = a;
        *(uint32_t *)((char *)base + f->aux_offset) = n;
        break;
    }
    case SCHEMA_ARRAY:
    case SCHEMA_EVENTS: {
        uint32_t max = o->max_arr < f->umax ? o->max_arr : (uint32_t)f->umax;
        uint32_t min = o->min_arr ? o->min_arr : 1;
        uint32_t n = (uint32_t)walk_urange(r, min < max ? min : max, max);
        char *arr = proto_malloc((size_t)n * f->elem_size);
        memset(arr, 0, (size_t)n * f->elem_size);
        for (uint32_t i = 0; i < n; i++) {
            char *e = arr + (size_t)i * f->elem_size;
            if (f->type == SCHEMA_EVENTS)
                /* every event type in turn, then random */
                walk_fill_event(
                    r, (proto_event_t *)e,
                    schema_events[(i < schema_n_events
                                       ? i
                                       : walk_next(r) % schema_n_events)]
                        .type,
                    o);
            else
                walk_fill_struct(r, e, f->elem, o);
        }
        *(char **)p = arr;
        *(uint32_t *)((char *)base + f->aux_offset) = n;
        break;
    }
    }
}

WALK_FN void walk_fill_struct(walk_rng_t *r, void *base,
                              const schema_struct_t *s, const walk_opts_t *o)
{
    for (size_t i = 0; i < s->n_fields; i++)
        walk_fill_field(r, base, &s->fields[i], o);
}

/* Fills msg (which must be clear) as message type id. */
WALK_FN void walk_fill_msg(walk_rng_t *r, proto_msg_t *msg, int id,
                           const walk_opts_t *o)
{
    memset(msg, 0, sizeof(*msg));
    msg->type = (proto_msg_type_t)id;
    walk_fill_struct(r, msg, &schema_msg(id)->body, o);
}

/* ---- Deep comparison: prints the first difference. */

WALK_FN bool walk_equal_struct(const void *a, const void *b,
                               const schema_struct_t *s, const char *path);

WALK_FN bool walk_equal_event(const proto_event_t *a, const proto_event_t *b,
                              const char *path)
{
    if (a->type != b->type) {
        fprintf(stderr, "%s.type: %d != %d\n", path, a->type, b->type);
        return false;
    }
    const schema_event_t *v = schema_event(a->type);
    return walk_equal_struct(a, b, &schema_event_common, path) &&
           (!v || walk_equal_struct(a, b, &v->body, path));
}

WALK_FN bool walk_equal_field(const void *a, const void *b,
                              const schema_field_t *f, const char *path)
{
    const char *pa = (const char *)a + f->offset;
    const char *pb = (const char *)b + f->offset;
    char sub[256];
    switch (f->type) {
    case SCHEMA_UINT:
        if (schema_get_uint(a, f) == schema_get_uint(b, f))
            return true;
        break;
    case SCHEMA_INT:
    case SCHEMA_ENUM:
        if (schema_get_int(a, f) == schema_get_int(b, f))
            return true;
        break;
    case SCHEMA_BOOL:
        if (*(const bool *)pa == *(const bool *)pb)
            return true;
        break;
    case SCHEMA_STR:
        if (strcmp(pa, pb) == 0)
            return true;
        break;
    case SCHEMA_HSTR: {
        const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;
        if (strcmp(sa ? sa : "", sb ? sb : "") == 0)
            return true;
        break;
    }
    case SCHEMA_LSTR: {
        const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;
        size_t la = schema_lstr_len(
            sa, *(const size_t *)((const char *)a + f->aux_offset));
        size_t lb = schema_lstr_len(
            sb, *(const size_t *)((const char *)b + f->aux_offset));
        if (la == lb && (la == 0 || memcmp(sa, sb, la) == 0))
            return true;
        break;
    }
    case SCHEMA_MEASURES: {
        uint32_t na = *(const uint32_t *)((const char *)a + f->aux_offset);
        uint32_t nb = *(const uint32_t *)((const char *)b + f->aux_offset);
        const proto_measure_t *ma = (const proto_measure_t *)pa;
        const proto_measure_t *mb = (const proto_measure_t *)pb;
        if (na != nb)
            break;
        for (uint32_t i = 0; i < na; i++)
            if (strcmp(ma[i].key, mb[i].key) != 0 ||
                ma[i].value != mb[i].value) {
                fprintf(stderr, "%s.%s[%u]: %s=%.17g != %s=%.17g\n", path,
                        f->key, i, ma[i].key, ma[i].value, mb[i].key,
                        mb[i].value);
                return false;
            }
        return true;
    }
    case SCHEMA_ARGS: {
        uint32_t na = *(const uint32_t *)((const char *)a + f->aux_offset);
        uint32_t nb = *(const uint32_t *)((const char *)b + f->aux_offset);
        const proto_arg_t *xa = *(proto_arg_t *const *)pa;
        const proto_arg_t *xb = *(proto_arg_t *const *)pb;
        if (na != nb)
            break;
        for (uint32_t i = 0; i < na; i++) {
            size_t la = schema_lstr_len(xa[i].value, xa[i].value_len);
            size_t lb = schema_lstr_len(xb[i].value, xb[i].value_len);
            if (strcmp(xa[i].key, xb[i].key) != 0 || la != lb ||
                (la && memcmp(xa[i].value, xb[i].value, la) != 0)) {
                fprintf(stderr, "%s.%s[%u] differs\n", path, f->key, i);
                return false;
            }
        }
        return true;
    }
    case SCHEMA_ARRAY:
    case SCHEMA_EVENTS: {
        uint32_t na = *(const uint32_t *)((const char *)a + f->aux_offset);
        uint32_t nb = *(const uint32_t *)((const char *)b + f->aux_offset);
        const char *xa = *(char *const *)pa, *xb = *(char *const *)pb;
        if (na != nb)
            break;
        for (uint32_t i = 0; i < na; i++) {
            snprintf(sub, sizeof(sub), "%s.%s[%u]", path, f->key, i);
            const char *ea = xa + (size_t)i * f->elem_size;
            const char *eb = xb + (size_t)i * f->elem_size;
            bool ok = f->type == SCHEMA_EVENTS
                          ? walk_equal_event((const proto_event_t *)ea,
                                             (const proto_event_t *)eb, sub)
                          : walk_equal_struct(ea, eb, f->elem, sub);
            if (!ok)
                return false;
        }
        return true;
    }
    }
    fprintf(stderr, "%s.%s differs\n", path, f->key);
    return false;
}

WALK_FN bool walk_equal_struct(const void *a, const void *b,
                               const schema_struct_t *s, const char *path)
{
    for (size_t i = 0; i < s->n_fields; i++)
        if (!walk_equal_field(a, b, &s->fields[i], path))
            return false;
    return true;
}

WALK_FN bool walk_equal_msg(const proto_msg_t *a, const proto_msg_t *b)
{
    if (a->type != b->type) {
        fprintf(stderr, "type %d != %d\n", a->type, b->type);
        return false;
    }
    const schema_msg_t *m = schema_msg(a->type);
    return m && walk_equal_struct(a, b, &m->body, m->body.name);
}

#endif
