/*
 * codec.c — the generic msgpack encoder and the strict decoder.
 *
 * Neither knows any message: both walk the schema tables of schema.c.
 *
 * Encoding refuses (PROTO_EINVAL) every value the decoder would refuse, so
 * a peer built on this library never puts an invalid frame on the wire.
 * The output buffer grows through proto_realloc (a msgpack_packer with our
 * own write callback), so the allocator tests reach it.
 *
 * Decoding treats every byte as hostile and works in three steps:
 *  1. the frame length against max_frame, before anything is read;
 *  2. a pre-scan of our own over the raw bytes, allocating nothing: every
 *     header must be complete, every str/bin/ext length must fit in the
 *     bytes that remain, every container's declared count (plus what the
 *     enclosing containers still expect, one byte at least per element)
 *     must fit in the bytes that remain, nesting stays within
 *     PROTO_MAX_DEPTH, the frame holds at most PROTO_MAX_OBJECTS objects,
 *     0xc1 never appears, and exactly one object fills the frame. msgpack-c
 *     allocates from declared counts, so `dd ff ff ff ff` must die here, in
 *     O(1), and not in malloc;
 *  3. only then msgpack-c builds its object tree (strings point into the
 *     frame, objects live in a zone bounded by step 2), and the tree is
 *     converted through the schema with exact types and bounds.
 * On any failure everything taken is freed and the message is left clear.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "schema.h"

/* Strings on the wire are UTF-8 without NUL: the C side keeps them as C
 * strings, and a NUL would silently cut them short. */
static bool text_ok(const char *s, size_t n)
{
    return n == 0 || (memchr(s, 0, n) == NULL && proto_utf8_valid(s, n));
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

/* msgpack_packer write callback: appends to a wbuf_t. The only way it
 * fails is memory, so every pack failure below is PROTO_ENOMEM. */
static int wbuf_write(void *data, const char *buf, size_t n)
{
    wbuf_t *w = data;
    if (n == 0)
        return 0;
    if (n > SIZE_MAX / 2 - w->len)
        return -1;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *d = proto_realloc(w->data, cap);
        if (!d)
            return -1;
        w->data = d;
        w->cap = cap;
    }
    memcpy(w->data + w->len, buf, n);
    w->len += n;
    return 0;
}

#define PACK(call)                                                             \
    do {                                                                       \
        if ((call) != 0)                                                       \
            return PROTO_ENOMEM;                                               \
    } while (0)

static int enc_text(msgpack_packer *pk, const char *s, size_t n, uint64_t min,
                    uint64_t max)
{
    if (n < min || n > max || !text_ok(s, n))
        return PROTO_EINVAL;
    PACK(msgpack_pack_str(pk, n));
    PACK(msgpack_pack_str_body(pk, s, n));
    return 0;
}

/* Canonical number: an integral value that fits is an integer (shortest
 * form), anything else float64. Measures are finite and never negative. */
static int enc_number(msgpack_packer *pk, double v)
{
    if (!isfinite(v) || v < 0)
        return PROTO_EINVAL;
    if (v == floor(v) && v < 9223372036854775808.0)
        PACK(msgpack_pack_uint64(pk, (uint64_t)v));
    else
        PACK(msgpack_pack_double(pk, v));
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

static int enc_struct(msgpack_packer *pk, const void *base,
                      const schema_struct_t *const *ss, size_t nss,
                      const char *type_name);

static int enc_event(msgpack_packer *pk, const proto_event_t *ev)
{
    const schema_event_t *v = schema_event(ev->type);
    if (!v)
        return PROTO_EINVAL;
    const schema_struct_t *ss[2] = {&schema_event_common, &v->body};
    return enc_struct(pk, ev, ss, 2, v->body.name);
}

static int enc_measures(msgpack_packer *pk, const void *base,
                        const schema_field_t *f)
{
    const proto_measure_t *ms =
        (const proto_measure_t *)((const char *)base + f->offset);
    uint32_t n = CU32_AT(base, f->aux_offset);
    if (n > f->umax)
        return PROTO_EINVAL;
    PACK(msgpack_pack_map(pk, n));
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

static int enc_args(msgpack_packer *pk, const void *base,
                    const schema_field_t *f)
{
    const proto_arg_t *args = CPTR_AT(base, f->offset);
    uint32_t n = CU32_AT(base, f->aux_offset);
    if (n > f->umax || (n && !args))
        return PROTO_EINVAL;
    PACK(msgpack_pack_map(pk, n));
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

static int enc_array(msgpack_packer *pk, const void *base,
                     const schema_field_t *f)
{
    const char *arr = CPTR_AT(base, f->offset);
    uint32_t n = CU32_AT(base, f->aux_offset);
    if (n > f->umax || n < f->umin || (n && !arr))
        return PROTO_EINVAL;
    PACK(msgpack_pack_array(pk, n));
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

static int enc_field(msgpack_packer *pk, const void *base,
                     const schema_field_t *f)
{
    const char *p = (const char *)base + f->offset;
    switch (f->type) {
    case SCHEMA_UINT: {
        uint64_t v = schema_get_uint(base, f);
        if (v < f->umin || v > f->umax)
            return PROTO_EINVAL;
        PACK(msgpack_pack_uint64(pk, v));
        return 0;
    }
    case SCHEMA_INT: {
        int64_t v = schema_get_int(base, f);
        if (v < f->imin || v > f->imax)
            return PROTO_EINVAL;
        PACK(msgpack_pack_int64(pk, v));
        return 0;
    }
    case SCHEMA_BOOL:
        PACK(*(const bool *)p ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
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
static int enc_struct(msgpack_packer *pk, const void *base,
                      const schema_struct_t *const *ss, size_t nss,
                      const char *type_name)
{
    uint32_t count = type_name ? 1 : 0;
    for (size_t s = 0; s < nss; s++)
        for (size_t i = 0; i < ss[s]->n_fields; i++)
            if (ss[s]->fields[i].required ||
                !field_is_zero(base, &ss[s]->fields[i]))
                count++;
    PACK(msgpack_pack_map(pk, count));
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
    msgpack_packer pk;
    msgpack_packer_init(&pk, &w, wbuf_write);
    const schema_struct_t *body = &m->body;
    int rc = PROTO_ENOMEM;
    if (msgpack_pack_array(&pk, 2) != 0 ||
        msgpack_pack_uint64(&pk, (uint64_t)m->id) != 0)
        goto cleanup;
    rc = enc_struct(&pk, msg, &body, 1, NULL);
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
static int prescan(const uint8_t *buf, size_t len, size_t *at)
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
    return pos == len ? 0 : PROTO_ETRAILING;
}

/* ==== Decoding: step 3, conversion through the schema =================== */

typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t off; /* best-effort offset of the field being converted */
    char path[sizeof(((proto_diag_t *)0)->where)];
    size_t plen;
    proto_diag_t *diag;
} dctx_t;

__attribute__((format(printf, 2, 3))) static size_t
path_push(dctx_t *c, const char *fmt, ...)
{
    size_t old = c->plen;
    size_t room = sizeof(c->path) - c->plen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + c->plen, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        c->path[c->plen] = '\0';
    else if ((size_t)n >= room)
        c->plen = sizeof(c->path) - 1;
    else
        c->plen += (size_t)n;
    return old;
}

static void path_pop(dctx_t *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

/* A key from the wire goes into the path only when it is printable text
 * (diag text ends up in logs and ERROR replies); else the index does. */
static size_t path_push_key(dctx_t *c, const msgpack_object *key,
                            uint32_t index)
{
    if (key->type != MSGPACK_OBJECT_STR)
        return path_push(c, "[%u]", index);
    const char *s = key->via.str.ptr;
    uint32_t n = key->via.str.size;
    bool printable = n > 0 && n <= PROTO_KEY_MAX && text_ok(s, n);
    for (uint32_t i = 0; printable && i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            printable = false;
    if (printable)
        return path_push(c, ".%.*s", (int)n, s);
    return path_push(c, "[%u]", index);
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
        memcpy(c->diag->where, c->path, c->plen + 1);
        c->diag->offset = c->off;
    }
    return code;
}

static bool str_eq(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, s, n) == 0;
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
    size_t old = path_push(c, ".type");
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
        size_t old = path_push(c, "[%u]", i);
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

static bool find_field(const msgpack_object *k,
                       const schema_struct_t *const *ss, size_t nss, size_t *si,
                       size_t *fi)
{
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
        for (uint32_t j = 0; j < i; j++) {
            if (same_str(k, &o->via.map.ptr[j].key)) {
                path_push_key(c, k, i);
                return fail(c, PROTO_EDUPKEY);
            }
        }
        if (skip_key && str_eq(k, skip_key))
            continue;
        size_t si, fi;
        if (!find_field(k, ss, nss, &si, &fi))
            continue; /* unknown key: a newer peer's field */
        const schema_field_t *f = &ss[si]->fields[fi];
        size_t old = path_push(c, ".%s", f->key);
        int rc = dec_field(c, &o->via.map.ptr[i].val, base, f);
        if (rc < 0)
            return rc;
        path_pop(c, old);
        seen[si] |= 1ull << fi;
    }
    for (size_t s = 0; s < nss; s++) {
        for (size_t i = 0; i < ss[s]->n_fields; i++) {
            if (ss[s]->fields[i].required && !(seen[s] & (1ull << i))) {
                path_push(c, ".%s", ss[s]->fields[i].key);
                return fail(c, PROTO_EMISSING);
            }
        }
    }
    return 0;
}

static int dec_message(dctx_t *c, const msgpack_object *o, proto_msg_t *msg)
{
    path_push(c, "message");
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2)
        return fail(c, PROTO_ETYPE);
    const msgpack_object *id = &o->via.array.ptr[0];
    const msgpack_object *body = &o->via.array.ptr[1];
    path_push(c, ".id");
    if (id->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return fail(c, PROTO_EUNKNOWNMSG);
    if (id->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return fail(c, PROTO_ETYPE);
    const schema_msg_t *m =
        id->via.u64 <= INT32_MAX ? schema_msg((int)id->via.u64) : NULL;
    if (!m)
        return fail(c, PROTO_EUNKNOWNMSG);
    path_pop(c, 0);
    path_push(c, "%s", m->body.name);
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
    c.path[0] = '\0';
    if (diag)
        memset(diag, 0, sizeof(*diag));
    if (!msg)
        return PROTO_EINVAL;
    memset(msg, 0, sizeof(*msg));
    if (!buf && len)
        return PROTO_EINVAL;
    if (max_frame == 0)
        max_frame = PROTO_MAX_FRAME;

    path_push(&c, "frame");
    if (len > max_frame) {
        c.off = max_frame;
        return fail(&c, PROTO_ETOOBIG);
    }
    int rc = prescan(buf, len, &c.off);
    if (rc < 0)
        return fail(&c, rc);
    path_pop(&c, 0);

    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    msgpack_unpack_return r =
        msgpack_unpack_next(&u, (const char *)buf, len, &off);
    if (r == MSGPACK_UNPACK_NOMEM_ERROR) {
        rc = fail(&c, PROTO_ENOMEM);
    } else if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
        /* The pre-scan accepted what msgpack-c refuses: a bug in one of
         * them. The fuzzer must hear of it. */
#ifdef STEPWISE_FUZZING
        abort();
#endif
        path_push(&c, "frame");
        rc = fail(&c, PROTO_EMALFORMED);
    } else {
        rc = dec_message(&c, &u.data, msg);
    }
    msgpack_unpacked_destroy(&u);
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
