/*
 * codec.c — the generic msgpack encoder and the strict decoder.
 *
 * Neither knows any message: both walk the schema tables of schema.c.
 *
 * Encoding refuses (PROTO_EINVAL) every value the decoder would refuse, so
 * a peer built on this library never puts an invalid frame on the wire.
 * The output buffer grows through proto_realloc, so the allocator tests
 * reach it; the bytes are written by small writers of our own that emit
 * exactly what msgpack-c's packer does.
 *
 * Decoding treats every byte as hostile and works in three steps:
 *  1. the frame length against max_frame, before anything is read;
 *  2. a pre-scan of our own over the raw bytes, allocating nothing: every
 *     header must be complete, every str/bin/ext length must fit in the
 *     bytes that remain, every container's declared count (plus what the
 *     enclosing containers still expect, one byte at least per element)
 *     must fit in the bytes that remain, nesting stays within
 *     PROTO_MAX_DEPTH, the frame holds at most PROTO_MAX_OBJECTS objects,
 *     0xc1 never appears, and exactly one object fills the frame. A tree
 *     is allocated from declared counts, so `dd ff ff ff ff` must die here,
 *     in O(1), and not in malloc;
 *  3. only then the object tree is built (msgpack-c's msgpack_object
 *     types, strings pointing into the frame, all objects in one
 *     allocation of the size step 2 counted), and the tree is converted
 *     through the schema with exact types and bounds. The path of the
 *     field being converted, for the diag, is only rendered on failure.
 * On any failure everything taken is freed and the message is left clear.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "schema.h"

/* Strings on the wire are UTF-8 without NUL: the C side keeps them as C
 * strings, and a NUL would silently cut them short. */
static bool text_ok(const char *s, size_t n)
{
    /* Most text is ASCII (ids, keys, enum names): 8 bytes at a time while
     * no byte has its high bit set and none is NUL; from the first other
     * byte on, the full checks (the prefix is whole characters). */
    const unsigned char *p = (const unsigned char *)s;
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if ((w & highs) || ((w - ones) & ~w & highs))
            break;
        i += 8;
    }
    for (; i < n; i++) {
        if (p[i] == 0)
            return false;
        if (p[i] >= 0x80)
            return memchr(p + i, 0, n - i) == NULL &&
                   proto_utf8_valid(s + i, n - i);
    }
    return true;
}

#define PTR_AT(base, off) ((void **)((char *)(base) + (off)))
#define CPTR_AT(base, off) (*(void *const *)((const char *)(base) + (off)))
#define U32_AT(base, off) ((uint32_t *)((char *)(base) + (off)))
#define CU32_AT(base, off) (*(const uint32_t *)((const char *)(base) + (off)))
#define SIZE_AT(base, off) ((size_t *)((char *)(base) + (off)))
#define CSIZE_AT(base, off) (*(const size_t *)((const char *)(base) + (off)))

/* ==== Encoding ========================================================= */

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} wbuf_t;

/* Makes room for n more bytes. The only way encoding fails besides a bound
 * is memory, so every failure of the writers below is PROTO_ENOMEM. */
static int wb_reserve(wbuf_t *w, size_t n)
{
    if (n <= w->cap - w->len)
        return 0;
    if (n > SIZE_MAX / 2 - w->len)
        return -1;
    size_t cap = w->cap ? w->cap : 512;
    while (cap < w->len + n)
        cap *= 2;
    uint8_t *d = proto_realloc(w->data, cap);
    if (!d)
        return -1;
    w->data = d;
    w->cap = cap;
    return 0;
}

/* The writers emit exactly what msgpack-c's msgpack_pack_* emit (the
 * shortest form of each integer and length, str8 for short strings), so
 * the wire bytes are those of a msgpack_packer, without a callback and a
 * copy per header; bench_codec compares both encodings byte for byte. */
static int wb_head(wbuf_t *w, uint8_t marker, uint64_t v, int width)
{
    if (wb_reserve(w, 9) != 0)
        return -1;
    uint8_t *d = w->data + w->len;
    d[0] = marker;
    for (int i = 0; i < width; i++)
        d[1 + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    w->len += 1 + (size_t)width;
    return 0;
}

static int wb_uint(wbuf_t *w, uint64_t v)
{
    if (v < 128)
        return wb_head(w, (uint8_t)v, 0, 0);
    if (v < 256)
        return wb_head(w, 0xcc, v, 1);
    if (v < 65536)
        return wb_head(w, 0xcd, v, 2);
    if (v < 4294967296ull)
        return wb_head(w, 0xce, v, 4);
    return wb_head(w, 0xcf, v, 8);
}

static int wb_int(wbuf_t *w, int64_t v)
{
    if (v >= 0)
        return wb_uint(w, (uint64_t)v);
    if (v >= -32)
        return wb_head(w, (uint8_t)(int8_t)v, 0, 0);
    if (v >= -128)
        return wb_head(w, 0xd0, (uint64_t)v, 1);
    if (v >= -32768)
        return wb_head(w, 0xd1, (uint64_t)v, 2);
    if (v >= -2147483647ll - 1)
        return wb_head(w, 0xd2, (uint64_t)v, 4);
    return wb_head(w, 0xd3, (uint64_t)v, 8);
}

static int wb_double(wbuf_t *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    return wb_head(w, 0xcb, bits, 8);
}

static int wb_bool(wbuf_t *w, bool v)
{
    return wb_head(w, v ? 0xc3 : 0xc2, 0, 0);
}

/* A container header: fix form (base | n) below 16, else 16- or 32-bit. */
static int wb_count(wbuf_t *w, uint8_t fix, uint8_t m16, uint32_t n)
{
    if (n < 16)
        return wb_head(w, (uint8_t)(fix | n), 0, 0);
    if (n < 65536)
        return wb_head(w, m16, n, 2);
    return wb_head(w, (uint8_t)(m16 + 1), n, 4);
}

static int wb_map(wbuf_t *w, uint32_t n)
{
    return wb_count(w, 0x80, 0xde, n);
}

static int wb_array(wbuf_t *w, uint32_t n)
{
    return wb_count(w, 0x90, 0xdc, n);
}

static int wb_str(wbuf_t *w, const char *s, size_t n)
{
    int rc;
    if (n < 32)
        rc = wb_head(w, (uint8_t)(0xa0 | n), 0, 0);
    else if (n < 256)
        rc = wb_head(w, 0xd9, n, 1);
    else if (n < 65536)
        rc = wb_head(w, 0xda, n, 2);
    else if (n <= UINT32_MAX)
        rc = wb_head(w, 0xdb, n, 4);
    else
        rc = -1;
    if (rc != 0 || n == 0)
        return rc;
    if (wb_reserve(w, n) != 0)
        return -1;
    memcpy(w->data + w->len, s, n);
    w->len += n;
    return 0;
}

#define PACK(call)                                                             \
    do {                                                                       \
        if ((call) != 0)                                                       \
            return PROTO_ENOMEM;                                               \
    } while (0)

static int enc_text(wbuf_t *pk, const char *s, size_t n, uint64_t min,
                    uint64_t max)
{
    if (n < min || n > max || !text_ok(s, n))
        return PROTO_EINVAL;
    PACK(wb_str(pk, s, n));
    return 0;
}

/* Canonical number: an integral value that fits is an integer (shortest
 * form), anything else float64. Measures are finite and never negative. */
static int enc_number(wbuf_t *pk, double v)
{
    if (!isfinite(v) || v < 0)
        return PROTO_EINVAL;
    if (v == floor(v) && v < 9223372036854775808.0)
        PACK(wb_uint(pk, (uint64_t)v));
    else
        PACK(wb_double(pk, v));
    return 0;
}

static bool field_is_zero(const void *base, const schema_field_t *f)
{
    const char *p = (const char *)base + f->offset;
    switch (f->type) {
    case SCHEMA_UINT:
        return schema_get_uint(base, f) == 0;
    case SCHEMA_INT:
    case SCHEMA_ENUM:
        return schema_get_int(base, f) == 0;
    case SCHEMA_BOOL:
        return !*(const bool *)p;
    case SCHEMA_STR:
        return p[0] == '\0';
    case SCHEMA_HSTR: {
        const char *s = CPTR_AT(base, f->offset);
        return !s || !s[0];
    }
    case SCHEMA_LSTR: {
        const char *s = CPTR_AT(base, f->offset);
        return !s || schema_lstr_len(s, CSIZE_AT(base, f->aux_offset)) == 0;
    }
    default:
        return CU32_AT(base, f->aux_offset) == 0;
    }
}

static int enc_struct(wbuf_t *pk, const void *base,
                      const schema_struct_t *const *ss, size_t nss,
                      const char *type_name);

static int enc_event(wbuf_t *pk, const proto_event_t *ev)
{
    const schema_event_t *v = schema_event(ev->type);
    if (!v)
        return PROTO_EINVAL;
    const schema_struct_t *ss[2] = {&schema_event_common, &v->body};
    return enc_struct(pk, ev, ss, 2, v->body.name);
}

static int enc_measures(wbuf_t *pk, const void *base, const schema_field_t *f)
{
    const proto_measure_t *ms =
        (const proto_measure_t *)((const char *)base + f->offset);
    uint32_t n = CU32_AT(base, f->aux_offset);
    if (n > f->umax)
        return PROTO_EINVAL;
    PACK(wb_map(pk, n));
    for (uint32_t i = 0; i < n; i++) {
        size_t kn = strnlen(ms[i].key, sizeof(ms[i].key));
        if (kn == sizeof(ms[i].key))
            return PROTO_EINVAL;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(ms[j].key, ms[i].key) == 0)
                return PROTO_EINVAL;
        int rc = enc_text(pk, ms[i].key, kn, 1, PROTO_KEY_MAX);
        if (rc == 0)
            rc = enc_number(pk, ms[i].value);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int enc_args(wbuf_t *pk, const void *base, const schema_field_t *f)
{
    const proto_arg_t *args = CPTR_AT(base, f->offset);
    uint32_t n = CU32_AT(base, f->aux_offset);
    if (n > f->umax || (n && !args))
        return PROTO_EINVAL;
    PACK(wb_map(pk, n));
    for (uint32_t i = 0; i < n; i++) {
        size_t kn = strnlen(args[i].key, sizeof(args[i].key));
        if (kn == sizeof(args[i].key))
            return PROTO_EINVAL;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(args[j].key, args[i].key) == 0)
                return PROTO_EINVAL;
        const char *v = args[i].value ? args[i].value : "";
        size_t vn = schema_lstr_len(args[i].value, args[i].value_len);
        int rc = enc_text(pk, args[i].key, kn, 1, PROTO_KEY_MAX);
        if (rc == 0)
            rc = enc_text(pk, v, vn, 0, PROTO_ADMIN_VALUE_MAX);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int enc_array(wbuf_t *pk, const void *base, const schema_field_t *f)
{
    const char *arr = CPTR_AT(base, f->offset);
    uint32_t n = CU32_AT(base, f->aux_offset);
    if (n > f->umax || n < f->umin || (n && !arr))
        return PROTO_EINVAL;
    PACK(wb_array(pk, n));
    for (uint32_t i = 0; i < n; i++) {
        const char *e = arr + (size_t)i * f->elem_size;
        int rc = f->type == SCHEMA_EVENTS
                     ? enc_event(pk, (const proto_event_t *)e)
                     : enc_struct(pk, e, &f->elem, 1, NULL);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int enc_field(wbuf_t *pk, const void *base, const schema_field_t *f)
{
    const char *p = (const char *)base + f->offset;
    switch (f->type) {
    case SCHEMA_UINT: {
        uint64_t v = schema_get_uint(base, f);
        if (v < f->umin || v > f->umax)
            return PROTO_EINVAL;
        PACK(wb_uint(pk, v));
        return 0;
    }
    case SCHEMA_INT: {
        int64_t v = schema_get_int(base, f);
        if (v < f->imin || v > f->imax)
            return PROTO_EINVAL;
        PACK(wb_int(pk, v));
        return 0;
    }
    case SCHEMA_BOOL:
        PACK(wb_bool(pk, *(const bool *)p));
        return 0;
    case SCHEMA_STR: {
        size_t n = strnlen(p, f->umax + 1);
        if (n > f->umax)
            return PROTO_EINVAL; /* not terminated inside its array */
        return enc_text(pk, p, n, f->umin, f->umax);
    }
    case SCHEMA_HSTR: {
        const char *s = CPTR_AT(base, f->offset);
        return enc_text(pk, s ? s : "", s ? strlen(s) : 0, f->umin, f->umax);
    }
    case SCHEMA_LSTR: {
        const char *s = CPTR_AT(base, f->offset);
        size_t n = schema_lstr_len(s, CSIZE_AT(base, f->aux_offset));
        if (!s && n)
            return PROTO_EINVAL;
        return enc_text(pk, s ? s : "", n, f->umin, f->umax);
    }
    case SCHEMA_ENUM: {
        int64_t v = schema_get_int(base, f);
        if (v < 1 || v >= f->names->count)
            return PROTO_EINVAL;
        const char *name = f->names->names[v];
        return enc_text(pk, name, strlen(name), 1, PROTO_KEY_MAX);
    }
    case SCHEMA_MEASURES:
        return enc_measures(pk, base, f);
    case SCHEMA_ARGS:
        return enc_args(pk, base, f);
    case SCHEMA_ARRAY:
    case SCHEMA_EVENTS:
        return enc_array(pk, base, f);
    }
    return PROTO_EINVAL;
}

/* One map: "type" first when type_name is given (events), then the present
 * fields of each struct in table order. */
static int enc_struct(wbuf_t *pk, const void *base,
                      const schema_struct_t *const *ss, size_t nss,
                      const char *type_name)
{
    uint32_t count = type_name ? 1 : 0;
    for (size_t s = 0; s < nss; s++)
        for (size_t i = 0; i < ss[s]->n_fields; i++)
            if (ss[s]->fields[i].required ||
                !field_is_zero(base, &ss[s]->fields[i]))
                count++;
    PACK(wb_map(pk, count));
    if (type_name) {
        int rc = enc_text(pk, "type", 4, 1, 4);
        if (rc == 0)
            rc = enc_text(pk, type_name, strlen(type_name), 1, PROTO_KEY_MAX);
        if (rc < 0)
            return rc;
    }
    for (size_t s = 0; s < nss; s++) {
        for (size_t i = 0; i < ss[s]->n_fields; i++) {
            const schema_field_t *f = &ss[s]->fields[i];
            if (!f->required && field_is_zero(base, f))
                continue;
            int rc = enc_text(pk, f->key, strlen(f->key), 1, PROTO_KEY_MAX);
            if (rc == 0)
                rc = enc_field(pk, base, f);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static size_t frame_limit(int type)
{
    return (type == PROTO_MSG_ADMIN_REQ || type == PROTO_MSG_ADMIN_REP)
               ? PROTO_MAX_ADMIN_FRAME
               : PROTO_MAX_FRAME;
}

int proto_encode(const proto_msg_t *msg, uint8_t **out, size_t *out_len)
{
    if (!out || !out_len)
        return PROTO_EINVAL;
    *out = NULL;
    *out_len = 0;
    if (!msg)
        return PROTO_EINVAL;
    const schema_msg_t *m = schema_msg(msg->type);
    if (!m)
        return PROTO_EINVAL;

    wbuf_t w = {0};
    const schema_struct_t *body = &m->body;
    int rc = PROTO_ENOMEM;
    if (wb_array(&w, 2) != 0 || wb_uint(&w, (uint64_t)m->id) != 0)
        goto cleanup;
    rc = enc_struct(&w, msg, &body, 1, NULL);
    /* Within every bound, a frame can still outgrow its socket's limit
     * (a FEED of 500 long suggestions): the peer would refuse it. */
    if (rc == 0 && w.len > frame_limit(m->id))
        rc = PROTO_EINVAL;
cleanup:
    if (rc < 0) {
        proto_free(w.data);
        return rc;
    }
    *out = w.data;
    *out_len = w.len;
    return 0;
}

int proto_push_join(const uint8_t *const *parts, const size_t *lens, size_t n,
                    uint8_t **out, size_t *out_len)
{
    proto_msg_t none = {.type = PROTO_MSG_PUSH};
    uint8_t *head = NULL;
    size_t head_len = 0, pre;
    wbuf_t w = {0};
    int rc;

    if (!out || !out_len || (n && (!parts || !lens)))
        return PROTO_EINVAL;
    *out = NULL;
    *out_len = 0;
    if (n > PROTO_MAX_BATCH)
        return PROTO_EINVAL;
    /* A PUSH of no events ends with its events array's header, 0x90; a
     * one-event PUSH is the same head with 0x91, then the event's map. */
    if ((rc = proto_encode(&none, &head, &head_len)) < 0)
        return rc;
    pre = head_len - 1;
    rc = PROTO_ENOMEM;
    if (wb_reserve(&w, pre) != 0)
        goto cleanup;
    memcpy(w.data, head, pre);
    w.len = pre;
    if (wb_array(&w, (uint32_t)n) != 0)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        size_t ev_len = lens[i] > pre + 1 ? lens[i] - pre - 1 : 0;

        if (ev_len == 0 || !parts[i] || memcmp(parts[i], head, pre) != 0 ||
            parts[i][pre] != 0x91) {
            rc = PROTO_EINVAL;
            goto cleanup;
        }
        if (wb_reserve(&w, ev_len) != 0)
            goto cleanup;
        memcpy(w.data + w.len, parts[i] + pre + 1, ev_len);
        w.len += ev_len;
    }
    rc = w.len > frame_limit(PROTO_MSG_PUSH) ? PROTO_EINVAL : 0;
cleanup:
    proto_free(head);
    if (rc < 0) {
        proto_free(w.data);
        return rc;
    }
    *out = w.data;
    *out_len = w.len;
    return 0;
}

/* ==== Decoding: step 2, the pre-scan ==================================== */

static uint64_t read_be(const uint8_t *p, int width)
{
    uint64_t v = 0;
    for (int i = 0; i < width; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Checks that buf is exactly one well-formed msgpack object that msgpack-c
 * can build within bounded memory. Allocates nothing. On failure *at is the
 * offset of the offending byte. */
static int prescan(const uint8_t *buf, size_t len, size_t *at,
                   size_t *n_objects)
{
    uint64_t pending[PROTO_MAX_DEPTH + 1]; /* elements left per level */
    int top = 0;                           /* level 0: the frame itself */
    uint64_t need = 1; /* elements still expected across all levels */
    uint64_t objects = 0;
    size_t pos = 0;

    pending[0] = 1;
    for (;;) {
        while (top > 0 && pending[top] == 0)
            top--;
        if (pending[top] == 0)
            break;
        *at = pos;
        if (pos >= len)
            return PROTO_ETRUNCATED;
        if (++objects > PROTO_MAX_OBJECTS)
            return PROTO_ECOUNT;
        pending[top]--;
        need--;

        uint8_t b = buf[pos];
        size_t hdr = 1;     /* marker plus fixed header bytes */
        int width = 0;      /* bytes of the length/count field after b */
        uint64_t small = 0; /* length or count held in b itself */
        uint64_t fixed = 0; /* payload bytes known from b */
        enum { SCALAR, BLOB, ARRAY, MAP } kind = SCALAR;

        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* fixint, nil, bool */
        } else if (b <= 0x8f) {
            kind = MAP;
            small = b & 0x0f;
        } else if (b <= 0x9f) {
            kind = ARRAY;
            small = b & 0x0f;
        } else if (b <= 0xbf) {
            kind = BLOB;
            small = b & 0x1f;
        } else {
            switch (b) {
            case 0xc1:
                return PROTO_EMALFORMED; /* never used */
            case 0xc4:                   /* bin 8/16/32 */
            case 0xd9:                   /* str 8/16/32 */
                kind = BLOB;
                width = 1;
                break;
            case 0xc5:
            case 0xda:
                kind = BLOB;
                width = 2;
                break;
            case 0xc6:
            case 0xdb:
                kind = BLOB;
                width = 4;
                break;
            case 0xc7: /* ext 8/16/32: length, then a type byte */
                kind = BLOB;
                width = 1;
                hdr = 2;
                break;
            case 0xc8:
                kind = BLOB;
                width = 2;
                hdr = 2;
                break;
            case 0xc9:
                kind = BLOB;
                width = 4;
                hdr = 2;
                break;
            case 0xca: /* float 32/64 */
                fixed = 4;
                break;
            case 0xcb:
                fixed = 8;
                break;
            case 0xcc: /* uint and int 8/16/32/64 */
            case 0xd0:
                fixed = 1;
                break;
            case 0xcd:
            case 0xd1:
                fixed = 2;
                break;
            case 0xce:
            case 0xd2:
                fixed = 4;
                break;
            case 0xcf:
            case 0xd3:
                fixed = 8;
                break;
            case 0xd4: /* fixext 1/2/4/8/16: type byte and data */
                fixed = 2;
                break;
            case 0xd5:
                fixed = 3;
                break;
            case 0xd6:
                fixed = 5;
                break;
            case 0xd7:
                fixed = 9;
                break;
            case 0xd8:
                fixed = 17;
                break;
            case 0xdc: /* array 16/32 */
                kind = ARRAY;
                width = 2;
                break;
            case 0xdd:
                kind = ARRAY;
                width = 4;
                break;
            case 0xde: /* map 16/32 */
                kind = MAP;
                width = 2;
                break;
            default: /* 0xdf */
                kind = MAP;
                width = 4;
                break;
            }
        }
        hdr += (size_t)width;
        if (len - pos < hdr)
            return PROTO_ETRUNCATED;
        uint64_t n = width ? read_be(buf + pos + 1, width) : small;
        size_t rest = len - pos - hdr;

        if (kind == SCALAR || kind == BLOB) {
            uint64_t payload = kind == BLOB ? n : fixed;
            if (payload > rest)
                return PROTO_ETRUNCATED;
            pos += hdr + (size_t)payload;
            continue;
        }
        if (top + 1 > PROTO_MAX_DEPTH)
            return PROTO_EDEPTH;
        uint64_t elems = kind == MAP ? 2 * n : n;
        /* Each element takes a byte at least: a count the remaining bytes
         * cannot hold is a lie, refused before anything trusts it. */
        need += elems;
        if (need > rest)
            return PROTO_ETRUNCATED;
        pos += hdr;
        pending[++top] = elems;
    }
    *at = pos;
    *n_objects = (size_t)objects;
    return pos == len ? 0 : PROTO_ETRAILING;
}

/* ==== Decoding: the object tree ========================================= */

/* Builds msgpack-c's object tree of a frame the pre-scan accepted, the way
 * msgpack_unpack_next would (same types: a signed integer that is not
 * negative is POSITIVE_INTEGER, float32 is FLOAT32 with its value in f64;
 * strings, bins and exts point into the frame), but in one allocation of
 * the size the pre-scan counted, without msgpack-c's zone and its
 * per-chunk mallocs. The pre-scan proved every header and length sound and
 * the nesting within PROTO_MAX_DEPTH, so nothing is checked again here. */
typedef struct {
    msgpack_object *pool; /* one slot per object of the frame */
    size_t used;
} tree_t;

_Static_assert(sizeof(msgpack_object_kv) == 2 * sizeof(msgpack_object),
               "a map's pairs are carved from the object pool");

static const uint8_t *build(tree_t *t, const uint8_t *p, msgpack_object *o)
{
    uint8_t b = *p++;
    uint64_t n = 0; /* length or count */
    int width = 0;
    enum { STR, BIN, EXT, ARR, MAP } kind;

    if (b <= 0x7f) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = b;
        return p;
    }
    if (b >= 0xe0) {
        o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
        o->via.i64 = (int8_t)b;
        return p;
    }
    if (b <= 0x8f) {
        kind = MAP;
        n = b & 0x0f;
    } else if (b <= 0x9f) {
        kind = ARR;
        n = b & 0x0f;
    } else if (b <= 0xbf) {
        kind = STR;
        n = b & 0x1f;
    } else {
        switch (b) {
        case 0xc0:
            o->type = MSGPACK_OBJECT_NIL;
            return p;
        case 0xc2:
        case 0xc3:
            o->type = MSGPACK_OBJECT_BOOLEAN;
            o->via.boolean = b == 0xc3;
            return p;
        case 0xca: {
            uint32_t bits = (uint32_t)read_be(p, 4);
            float f;
            memcpy(&f, &bits, sizeof(f));
            o->type = MSGPACK_OBJECT_FLOAT32;
            o->via.f64 = f;
            return p + 4;
        }
        case 0xcb: {
            uint64_t bits = read_be(p, 8);
            o->type = MSGPACK_OBJECT_FLOAT64;
            memcpy(&o->via.f64, &bits, sizeof(bits));
            return p + 8;
        }
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf:
            width = 1 << (b - 0xcc);
            o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
            o->via.u64 = read_be(p, width);
            return p + width;
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3: {
            width = 1 << (b - 0xd0);
            uint64_t u = read_be(p, width);
            int64_t v;
            if (width == 1)
                v = (int8_t)u;
            else if (width == 2)
                v = (int16_t)u;
            else if (width == 4)
                v = (int32_t)u;
            else
                v = (int64_t)u;
            if (v < 0) {
                o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
                o->via.i64 = v;
            } else {
                o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
                o->via.u64 = (uint64_t)v;
            }
            return p + width;
        }
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8: /* fixext: type byte, then 1/2/4/8/16 bytes */
            o->type = MSGPACK_OBJECT_EXT;
            o->via.ext.type = (int8_t)p[0];
            o->via.ext.size = 1u << (b - 0xd4);
            o->via.ext.ptr = (const char *)p + 1;
            return p + 1 + o->via.ext.size;
        case 0xc4:
        case 0xc5:
        case 0xc6:
            kind = BIN;
            width = 1 << (b - 0xc4);
            break;
        case 0xc7:
        case 0xc8:
        case 0xc9:
            kind = EXT;
            width = 1 << (b - 0xc7);
            break;
        case 0xd9:
        case 0xda:
        case 0xdb:
            kind = STR;
            width = 1 << (b - 0xd9);
            break;
        case 0xdc:
        case 0xdd:
            kind = ARR;
            width = 2 << (b - 0xdc);
            break;
        default: /* 0xde, 0xdf; 0xc1 never passes the pre-scan */
            kind = MAP;
            width = 2 << (b - 0xde);
            break;
        }
        n = read_be(p, width);
        p += width;
    }
    switch (kind) {
    case STR:
        o->type = MSGPACK_OBJECT_STR;
        o->via.str.size = (uint32_t)n;
        o->via.str.ptr = (const char *)p;
        return p + n;
    case BIN:
        o->type = MSGPACK_OBJECT_BIN;
        o->via.bin.size = (uint32_t)n;
        o->via.bin.ptr = (const char *)p;
        return p + n;
    case EXT:
        o->type = MSGPACK_OBJECT_EXT;
        o->via.ext.type = (int8_t)p[0];
        o->via.ext.size = (uint32_t)n;
        o->via.ext.ptr = (const char *)p + 1;
        return p + 1 + n;
    case ARR: {
        o->type = MSGPACK_OBJECT_ARRAY;
        o->via.array.size = (uint32_t)n;
        o->via.array.ptr = n ? t->pool + t->used : NULL;
        t->used += (size_t)n;
        for (uint32_t i = 0; i < n; i++)
            p = build(t, p, &o->via.array.ptr[i]);
        return p;
    }
    default: {
        o->type = MSGPACK_OBJECT_MAP;
        o->via.map.size = (uint32_t)n;
        o->via.map.ptr = n ? (msgpack_object_kv *)(t->pool + t->used) : NULL;
        t->used += 2 * (size_t)n;
        for (uint32_t i = 0; i < n; i++) {
            p = build(t, p, &o->via.map.ptr[i].key);
            p = build(t, p, &o->via.map.ptr[i].val);
        }
        return p;
    }
    }
}

/* ==== Decoding: step 3, conversion through the schema =================== */

/* The path of the field being converted ("PUSH.events[3].measures") is
 * kept as a stack of segments and only rendered into text when decoding
 * fails: formatting it for every field of every good frame cost more than
 * the conversion itself. Rendered, it is the segments' text concatenated
 * and cut at sizeof(where) - 1 bytes. The schema nests a few levels only
 * (message, list, element, field, key), well within PATH_MAX_SEGS. */
enum { SEG_TEXT, SEG_FIELD, SEG_INDEX, SEG_KEY };

typedef struct {
    uint8_t kind;
    uint32_t n;     /* SEG_INDEX: the index; SEG_KEY: the key's length */
    uint32_t index; /* SEG_KEY: shown instead when it is not printable */
    const char *s;  /* SEG_TEXT, SEG_FIELD: NUL-terminated; SEG_KEY: bytes */
} path_seg_t;

#define PATH_MAX_SEGS 16

typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t off; /* best-effort offset of the field being converted */
    path_seg_t seg[PATH_MAX_SEGS];
    size_t nseg;
    proto_diag_t *diag;
} dctx_t;

static size_t path_push_seg(dctx_t *c, uint8_t kind, const char *s, uint32_t n)
{
    size_t old = c->nseg;
    if (c->nseg < PATH_MAX_SEGS)
        c->seg[c->nseg++] =
            (path_seg_t){.kind = kind, .n = n, .index = 0, .s = s};
    return old;
}

static size_t path_push_text(dctx_t *c, const char *s)
{
    return path_push_seg(c, SEG_TEXT, s, 0);
}

static size_t path_push_field(dctx_t *c, const char *key)
{
    return path_push_seg(c, SEG_FIELD, key, 0);
}

static size_t path_push_index(dctx_t *c, uint32_t i)
{
    return path_push_seg(c, SEG_INDEX, NULL, i);
}

/* A key from the wire goes into the path only when it is printable text
 * (diag text ends up in logs and ERROR replies); else the index does. The
 * choice is made when the path is rendered. */
static size_t path_push_key(dctx_t *c, const msgpack_object *key,
                            uint32_t index)
{
    if (key->type != MSGPACK_OBJECT_STR)
        return path_push_index(c, index);
    size_t old = path_push_seg(c, SEG_KEY, key->via.str.ptr, key->via.str.size);
    if (old < c->nseg)
        c->seg[old].index = index;
    return old;
}

static void path_pop(dctx_t *c, size_t old)
{
    c->nseg = old;
}

static void put(char *dst, size_t *len, size_t cap, const char *s, size_t n)
{
    size_t room = cap - 1 - *len;
    if (n > room)
        n = room;
    memcpy(dst + *len, s, n);
    *len += n;
}

static void path_render(const dctx_t *c, char *dst, size_t cap)
{
    size_t len = 0;
    char num[16];
    for (size_t i = 0; i < c->nseg; i++) {
        const path_seg_t *g = &c->seg[i];
        switch (g->kind) {
        case SEG_FIELD:
            put(dst, &len, cap, ".", 1);
            /* fall through */
        case SEG_TEXT:
            put(dst, &len, cap, g->s, strlen(g->s));
            break;
        case SEG_KEY: {
            bool printable =
                g->n > 0 && g->n <= PROTO_KEY_MAX && text_ok(g->s, g->n);
            for (uint32_t k = 0; printable && k < g->n; k++)
                if ((unsigned char)g->s[k] < 0x20 || g->s[k] == 0x7f)
                    printable = false;
            if (printable) {
                put(dst, &len, cap, ".", 1);
                put(dst, &len, cap, g->s, g->n);
                break;
            }
            int n = snprintf(num, sizeof(num), "[%u]", g->index);
            put(dst, &len, cap, num, n > 0 ? (size_t)n : 0);
            break;
        }
        default: {
            int n = snprintf(num, sizeof(num), "[%u]", g->n);
            put(dst, &len, cap, num, n > 0 ? (size_t)n : 0);
            break;
        }
        }
    }
    dst[len] = '\0';
}

static void mark(dctx_t *c, const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_STR && o->via.str.size) {
        const uint8_t *p = (const uint8_t *)o->via.str.ptr;
        if (p >= c->buf && p < c->buf + c->len)
            c->off = (size_t)(p - c->buf);
    }
}

static int fail(dctx_t *c, int code)
{
    if (c->diag) {
        path_render(c, c->diag->where, sizeof(c->diag->where));
        c->diag->offset = c->off;
    }
    return code;
}

/* Whether the bytes of a str object are the C string s. No strlen: the
 * first differing byte (usually the first) ends the comparison. */
static bool str_eq(const msgpack_object *o, const char *s)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return false;
    const char *p = o->via.str.ptr;
    uint32_t n = o->via.str.size, i = 0;
    while (i < n && s[i] && s[i] == p[i])
        i++;
    return i == n && s[n] == '\0';
}

static bool same_str(const msgpack_object *a, const msgpack_object *b)
{
    return a->via.str.size == b->via.str.size &&
           (a->via.str.size == 0 ||
            memcmp(a->via.str.ptr, b->via.str.ptr, a->via.str.size) == 0);
}

/* Checks a str object against byte bounds and the text rules. */
static int check_str(dctx_t *c, const msgpack_object *o, uint64_t min,
                     uint64_t max)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return fail(c, PROTO_ETYPE);
    mark(c, o);
    if (o->via.str.size < min || o->via.str.size > max)
        return fail(c, PROTO_ERANGE);
    if (!text_ok(o->via.str.ptr, o->via.str.size))
        return fail(c, PROTO_EUTF8);
    return 0;
}

static char *dup_str(const msgpack_object *o)
{
    char *s = proto_malloc((size_t)o->via.str.size + 1);
    if (!s)
        return NULL;
    if (o->via.str.size)
        memcpy(s, o->via.str.ptr, o->via.str.size);
    s[o->via.str.size] = '\0';
    return s;
}

static int dec_struct(dctx_t *c, const msgpack_object *o, void *base,
                      const schema_struct_t *const *ss, size_t nss,
                      const char *skip_key);

static int dec_event(dctx_t *c, const msgpack_object *o, proto_event_t *ev)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return fail(c, PROTO_ETYPE);
    if (o->via.map.size > PROTO_MAX_KEYS)
        return fail(c, PROTO_ECOUNT);
    const msgpack_object *t = NULL;
    for (uint32_t i = 0; i < o->via.map.size && !t; i++)
        if (str_eq(&o->via.map.ptr[i].key, "type"))
            t = &o->via.map.ptr[i].val;
    size_t old = path_push_field(c, "type");
    if (!t)
        return fail(c, PROTO_EMISSING);
    if (t->type != MSGPACK_OBJECT_STR)
        return fail(c, PROTO_ETYPE);
    mark(c, t);
    const schema_event_t *v =
        schema_event_by_name(t->via.str.ptr, t->via.str.size);
    if (!v)
        return fail(c, PROTO_EUNKNOWNEVENT);
    path_pop(c, old);
    ev->type = (proto_event_type_t)v->type;
    const schema_struct_t *ss[2] = {&schema_event_common, &v->body};
    return dec_struct(c, o, ev, ss, 2, "type");
}

static int dec_measures(dctx_t *c, const msgpack_object *o, void *base,
                        const schema_field_t *f)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return fail(c, PROTO_ETYPE);
    if (o->via.map.size > f->umax)
        return fail(c, PROTO_ECOUNT);
    proto_measure_t *ms = (proto_measure_t *)((char *)base + f->offset);
    uint32_t *count = U32_AT(base, f->aux_offset);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        const msgpack_object *v = &o->via.map.ptr[i].val;
        int rc = check_str(c, k, 1, PROTO_KEY_MAX);
        if (rc < 0)
            return rc;
        size_t old = path_push_key(c, k, i);
        for (uint32_t j = 0; j < i; j++)
            if (same_str(k, &o->via.map.ptr[j].key))
                return fail(c, PROTO_EDUPKEY);
        double d;
        switch (v->type) {
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            d = (double)v->via.u64;
            break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            return fail(c, PROTO_ERANGE);
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            d = v->via.f64;
            if (!isfinite(d) || d < 0)
                return fail(c, PROTO_ERANGE);
            break;
        default:
            return fail(c, PROTO_ETYPE);
        }
        memcpy(ms[i].key, k->via.str.ptr, k->via.str.size);
        ms[i].key[k->via.str.size] = '\0';
        ms[i].value = d;
        *count = i + 1;
        path_pop(c, old);
    }
    return 0;
}

static int dec_args(dctx_t *c, const msgpack_object *o, void *base,
                    const schema_field_t *f)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return fail(c, PROTO_ETYPE);
    uint32_t n = o->via.map.size;
    if (n > f->umax)
        return fail(c, PROTO_ECOUNT);
    if (n == 0)
        return 0;
    proto_arg_t *args = proto_malloc((size_t)n * sizeof(*args));
    if (!args)
        return fail(c, PROTO_ENOMEM);
    memset(args, 0, (size_t)n * sizeof(*args));
    *PTR_AT(base, f->offset) = args;
    *U32_AT(base, f->aux_offset) = n;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        const msgpack_object *v = &o->via.map.ptr[i].val;
        int rc = check_str(c, k, 1, PROTO_KEY_MAX);
        if (rc < 0)
            return rc;
        size_t old = path_push_key(c, k, i);
        for (uint32_t j = 0; j < i; j++)
            if (same_str(k, &o->via.map.ptr[j].key))
                return fail(c, PROTO_EDUPKEY);
        rc = check_str(c, v, 0, PROTO_ADMIN_VALUE_MAX);
        if (rc < 0)
            return rc;
        memcpy(args[i].key, k->via.str.ptr, k->via.str.size);
        args[i].key[k->via.str.size] = '\0';
        if (!(args[i].value = dup_str(v)))
            return fail(c, PROTO_ENOMEM);
        args[i].value_len = v->via.str.size;
        path_pop(c, old);
    }
    return 0;
}

static int dec_array(dctx_t *c, const msgpack_object *o, void *base,
                     const schema_field_t *f)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return fail(c, PROTO_ETYPE);
    uint32_t n = o->via.array.size;
    if (n > f->umax)
        return fail(c, PROTO_ECOUNT);
    if (n < f->umin)
        return fail(c, PROTO_ERANGE);
    if (n == 0)
        return 0;
    char *arr = proto_malloc((size_t)n * f->elem_size);
    if (!arr)
        return fail(c, PROTO_ENOMEM);
    memset(arr, 0, (size_t)n * f->elem_size);
    *PTR_AT(base, f->offset) = arr;
    *U32_AT(base, f->aux_offset) = n;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        char *elem = arr + (size_t)i * f->elem_size;
        size_t old = path_push_index(c, i);
        int rc;
        if (f->type == SCHEMA_EVENTS)
            rc = dec_event(c, e, (proto_event_t *)elem);
        else if (e->type != MSGPACK_OBJECT_MAP)
            rc = fail(c, PROTO_ETYPE);
        else
            rc = dec_struct(c, e, elem, &f->elem, 1, NULL);
        if (rc < 0)
            return rc;
        path_pop(c, old);
    }
    return 0;
}

static int dec_field(dctx_t *c, const msgpack_object *o, void *base,
                     const schema_field_t *f)
{
    char *p = (char *)base + f->offset;
    switch (f->type) {
    case SCHEMA_UINT:
        if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            return fail(c, PROTO_ERANGE);
        if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return fail(c, PROTO_ETYPE);
        if (o->via.u64 < f->umin || o->via.u64 > f->umax)
            return fail(c, PROTO_ERANGE);
        schema_set_uint(base, f, o->via.u64);
        return 0;
    case SCHEMA_INT: {
        int64_t v;
        if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            if (o->via.u64 > (uint64_t)INT64_MAX)
                return fail(c, PROTO_ERANGE);
            v = (int64_t)o->via.u64;
        } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            v = o->via.i64;
        } else {
            return fail(c, PROTO_ETYPE);
        }
        if (v < f->imin || v > f->imax)
            return fail(c, PROTO_ERANGE);
        schema_set_int(base, f, v);
        return 0;
    }
    case SCHEMA_BOOL:
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            return fail(c, PROTO_ETYPE);
        *(bool *)p = o->via.boolean;
        return 0;
    case SCHEMA_STR: {
        int rc = check_str(c, o, f->umin, f->umax);
        if (rc < 0)
            return rc;
        if (o->via.str.size)
            memcpy(p, o->via.str.ptr, o->via.str.size);
        p[o->via.str.size] = '\0';
        return 0;
    }
    case SCHEMA_HSTR:
    case SCHEMA_LSTR: {
        int rc = check_str(c, o, f->umin, f->umax);
        if (rc < 0)
            return rc;
        if (o->via.str.size == 0 && !f->required)
            return 0; /* "" is the zero value: same as absent */
        char *s = dup_str(o);
        if (!s)
            return fail(c, PROTO_ENOMEM);
        *PTR_AT(base, f->offset) = s;
        if (f->type == SCHEMA_LSTR)
            *SIZE_AT(base, f->aux_offset) = o->via.str.size;
        return 0;
    }
    case SCHEMA_ENUM: {
        int rc = check_str(c, o, 1, PROTO_KEY_MAX);
        if (rc < 0)
            return rc;
        for (int v = 1; v < f->names->count; v++) {
            if (str_eq(o, f->names->names[v])) {
                schema_set_int(base, f, v);
                return 0;
            }
        }
        return fail(c, PROTO_ERANGE);
    }
    case SCHEMA_MEASURES:
        return dec_measures(c, o, base, f);
    case SCHEMA_ARGS:
        return dec_args(c, o, base, f);
    case SCHEMA_ARRAY:
    case SCHEMA_EVENTS:
        return dec_array(c, o, base, f);
    }
    return fail(c, PROTO_EINVAL);
}

/* The field named by key k. The encoder writes fields in table order, so
 * the field after the last one found (*si, *fi on entry) is tried first;
 * then the tables from the start. Keys are unique across the structs of one
 * map (test_schema_table_is_sane), so either way finds the same field. */
static bool find_field(const msgpack_object *k,
                       const schema_struct_t *const *ss, size_t nss, size_t *si,
                       size_t *fi)
{
    size_t hs = *si, hf = *fi;
    while (hs < nss && hf >= ss[hs]->n_fields) {
        hs++;
        hf = 0;
    }
    if (hs < nss && str_eq(k, ss[hs]->fields[hf].key)) {
        *si = hs;
        *fi = hf;
        return true;
    }
    for (size_t s = 0; s < nss; s++) {
        for (size_t i = 0; i < ss[s]->n_fields; i++) {
            if (str_eq(k, ss[s]->fields[i].key)) {
                *si = s;
                *fi = i;
                return true;
            }
        }
    }
    return false;
}

/* One map against the fields of ss[0..nss): unknown keys are skipped, a
 * key seen twice is EDUPKEY, a required key never seen is EMISSING. */
static int dec_struct(dctx_t *c, const msgpack_object *o, void *base,
                      const schema_struct_t *const *ss, size_t nss,
                      const char *skip_key)
{
    uint64_t seen[2] = {0, 0};
    /* Duplicate keys: a known key is a duplicate when its field was seen,
     * the skipped key when it was met before, an unknown key when it equals
     * an earlier unknown one (no known key equals an unknown one). The
     * first repeated key is reported, as a pairwise comparison would. */
    uint32_t unknown[SCHEMA_MAX_KEYS];
    uint32_t n_unknown = 0;
    bool skip_seen = false;
    size_t next_s = 0, next_f = 0; /* where find_field looks first */
    if (o->type != MSGPACK_OBJECT_MAP)
        return fail(c, PROTO_ETYPE);
    uint32_t n = o->via.map.size;
    if (n > PROTO_MAX_KEYS)
        return fail(c, PROTO_ECOUNT);
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR)
            return fail(c, PROTO_ETYPE);
        mark(c, k);
        bool dup = false;
        size_t si = next_s, fi = next_f;
        bool known = false;
        if (skip_key && str_eq(k, skip_key)) {
            dup = skip_seen;
            skip_seen = true;
        } else if ((known = find_field(k, ss, nss, &si, &fi))) {
            dup = (seen[si] >> fi) & 1;
        } else {
            for (uint32_t j = 0; j < n_unknown && !dup; j++)
                dup = same_str(k, &o->via.map.ptr[unknown[j]].key);
            unknown[n_unknown++] = i;
        }
        if (dup) {
            path_push_key(c, k, i);
            return fail(c, PROTO_EDUPKEY);
        }
        if (!known)
            continue; /* the skipped key, or a newer peer's field */
        next_s = si;
        next_f = fi + 1;
        const schema_field_t *f = &ss[si]->fields[fi];
        size_t old = path_push_field(c, f->key);
        int rc = dec_field(c, &o->via.map.ptr[i].val, base, f);
        if (rc < 0)
            return rc;
        path_pop(c, old);
        seen[si] |= 1ull << fi;
    }
    for (size_t s = 0; s < nss; s++) {
        for (size_t i = 0; i < ss[s]->n_fields; i++) {
            if (ss[s]->fields[i].required && !(seen[s] & (1ull << i))) {
                path_push_field(c, ss[s]->fields[i].key);
                return fail(c, PROTO_EMISSING);
            }
        }
    }
    return 0;
}

static int dec_message(dctx_t *c, const msgpack_object *o, proto_msg_t *msg)
{
    path_push_text(c, "message");
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2)
        return fail(c, PROTO_ETYPE);
    const msgpack_object *id = &o->via.array.ptr[0];
    const msgpack_object *body = &o->via.array.ptr[1];
    path_push_field(c, "id");
    if (id->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return fail(c, PROTO_EUNKNOWNMSG);
    if (id->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return fail(c, PROTO_ETYPE);
    const schema_msg_t *m =
        id->via.u64 <= INT32_MAX ? schema_msg((int)id->via.u64) : NULL;
    if (!m)
        return fail(c, PROTO_EUNKNOWNMSG);
    path_pop(c, 0);
    path_push_text(c, m->body.name);
    if (body->type != MSGPACK_OBJECT_MAP)
        return fail(c, PROTO_ETYPE);
    msg->type = (proto_msg_type_t)m->id;
    const schema_struct_t *s = &m->body;
    return dec_struct(c, body, msg, &s, 1, NULL);
}

int proto_decode(const uint8_t *buf, size_t len, size_t max_frame,
                 proto_msg_t *msg, proto_diag_t *diag)
{
    dctx_t c = {.buf = buf, .len = len, .diag = diag};
    if (diag)
        memset(diag, 0, sizeof(*diag));
    if (!msg)
        return PROTO_EINVAL;
    memset(msg, 0, sizeof(*msg));
    if (!buf && len)
        return PROTO_EINVAL;
    if (max_frame == 0)
        max_frame = PROTO_MAX_FRAME;

    path_push_text(&c, "frame");
    if (len > max_frame) {
        c.off = max_frame;
        return fail(&c, PROTO_ETOOBIG);
    }
    size_t n_objects = 0;
    int rc = prescan(buf, len, &c.off, &n_objects);
    if (rc < 0)
        return fail(&c, rc);
    path_pop(&c, 0);

    tree_t t = {.pool = NULL, .used = 0};
    msgpack_object root;
    if (n_objects > 1 &&
        !(t.pool = proto_malloc((n_objects - 1) * sizeof(*t.pool)))) {
        path_push_text(&c, "frame");
        rc = fail(&c, PROTO_ENOMEM);
    } else if (build(&t, buf, &root) != buf + len || t.used + 1 != n_objects) {
        /* The pre-scan accepted what the builder reads otherwise: a bug in
         * one of them. The fuzzer must hear of it. */
#ifdef STEPWISE_FUZZING
        abort();
#endif
        path_push_text(&c, "frame");
        rc = fail(&c, PROTO_EMALFORMED);
    } else {
        rc = dec_message(&c, &root, msg);
    }
    proto_free(t.pool);
    if (rc < 0)
        proto_msg_clear(msg);
    return rc;
}

/* ==== Admin arguments =================================================== */

const char *proto_admin_arg(const proto_msg_t *msg, const char *key)
{
    if (!msg || !key || msg->type != PROTO_MSG_ADMIN_REQ)
        return NULL;
    for (uint32_t i = 0; i < msg->u.admin_req.n_args; i++)
        if (strcmp(msg->u.admin_req.args[i].key, key) == 0)
            return msg->u.admin_req.args[i].value
                       ? msg->u.admin_req.args[i].value
                       : "";
    return NULL;
}

int proto_admin_arg_add(proto_msg_t *msg, const char *key, const char *value)
{
    if (!msg || !key || !value || msg->type != PROTO_MSG_ADMIN_REQ)
        return PROTO_EINVAL;
    size_t kn = strlen(key), vn = strlen(value);
    if (kn < 1 || kn > PROTO_KEY_MAX || !text_ok(key, kn) ||
        vn > PROTO_ADMIN_VALUE_MAX || !text_ok(value, vn))
        return PROTO_EINVAL;
    uint32_t n = msg->u.admin_req.n_args;
    if (n >= PROTO_MAX_ADMIN_ARGS || proto_admin_arg(msg, key))
        return PROTO_EINVAL;
    char *v = proto_malloc(vn + 1);
    if (!v)
        return PROTO_ENOMEM;
    memcpy(v, value, vn + 1);
    proto_arg_t *args =
        proto_realloc(msg->u.admin_req.args, (size_t)(n + 1) * sizeof(*args));
    if (!args) {
        proto_free(v);
        return PROTO_ENOMEM;
    }
    msg->u.admin_req.args = args;
    memset(&args[n], 0, sizeof(args[n]));
    memcpy(args[n].key, key, kn + 1);
    args[n].value = v;
    args[n].value_len = vn;
    msg->u.admin_req.n_args = n + 1;
    return 0;
}
