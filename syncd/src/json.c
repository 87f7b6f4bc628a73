/*
 * json.c — the small JSON writer and reader of json.h.
 *
 * Self-contained on purpose: the admin endpoint and syncctl need only flat
 * objects and arrays of strings and numbers. The store's exports build
 * their JSON text themselves but escape strings with syncd_json_escape()
 * from here, so there is one escaper.
 */
#include "syncd/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/protocol.h"

/* ---------------------------------------------------------------- writer */

struct syncd_json {
    char *buf;
    size_t len, cap;
    int err;
    int depth;
    /* per open container: is it an object, has it a member yet, and (for
     * objects) is a key waiting for its value */
    bool is_object[SYNCD_JSON_MAX_DEPTH];
    bool has_member[SYNCD_JSON_MAX_DEPTH];
    bool key_pending;
    bool done_top; /* a complete top-level value was written */
};

syncd_json_t *syncd_json_new(void)
{
    return calloc(1, sizeof(syncd_json_t));
}

void syncd_json_destroy(syncd_json_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->buf);
    free(*self_p);
    *self_p = NULL;
}

static void put(syncd_json_t *self, const char *s, size_t n)
{
    if (self->err)
        return;
    if (self->len + n + 1 > self->cap) {
        size_t cap = self->cap ? self->cap : 256;
        while (cap < self->len + n + 1)
            cap *= 2;
        char *nb = realloc(self->buf, cap);
        if (!nb) {
            self->err = PROTO_ENOMEM;
            return;
        }
        self->buf = nb;
        self->cap = cap;
    }
    memcpy(self->buf + self->len, s, n);
    self->len += n;
    self->buf[self->len] = '\0';
}

/* Called before every value: places the comma, and refuses a value where
 * an object expects a key or after a finished top-level value. */
static void before_value(syncd_json_t *self)
{
    if (self->err)
        return;
    if (self->depth == 0) {
        if (self->done_top)
            self->err = PROTO_EINVAL;
        return;
    }
    int d = self->depth - 1;
    if (self->is_object[d]) {
        if (!self->key_pending) {
            self->err = PROTO_EINVAL;
            return;
        }
        self->key_pending = false;
        return;
    }
    if (self->has_member[d])
        put(self, ",", 1);
    self->has_member[d] = true;
}

static void after_value(syncd_json_t *self)
{
    if (self->depth == 0)
        self->done_top = true;
}

static void open_container(syncd_json_t *self, bool object)
{
    before_value(self);
    if (self->err)
        return;
    if (self->depth >= SYNCD_JSON_MAX_DEPTH) {
        self->err = PROTO_EINVAL;
        return;
    }
    put(self, object ? "{" : "[", 1);
    self->is_object[self->depth] = object;
    self->has_member[self->depth] = false;
    self->depth++;
}

static void close_container(syncd_json_t *self, bool object)
{
    if (self->err)
        return;
    if (self->depth == 0 || self->is_object[self->depth - 1] != object ||
        self->key_pending) {
        self->err = PROTO_EINVAL;
        return;
    }
    self->depth--;
    put(self, object ? "}" : "]", 1);
    after_value(self);
}

void syncd_json_object_begin(syncd_json_t *self)
{
    open_container(self, true);
}

void syncd_json_object_end(syncd_json_t *self)
{
    close_container(self, true);
}

void syncd_json_array_begin(syncd_json_t *self)
{
    open_container(self, false);
}

void syncd_json_array_end(syncd_json_t *self)
{
    close_container(self, false);
}

void syncd_json_escape(const char *s, bool short_bf, syncd_json_sink_fn *sink,
                       void *ctx)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run = p;

    sink(ctx, "\"", 1);
    for (; *p; p++) {
        const char *esc = NULL;
        char hex[8];
        switch (*p) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            if (short_bf)
                esc = "\\b";
            break;
        case '\f':
            if (short_bf)
                esc = "\\f";
            break;
        }
        if (!esc && *p < 0x20) {
            snprintf(hex, sizeof hex, "\\u%04x", *p);
            esc = hex;
        }
        if (esc) {
            sink(ctx, (const char *)run, (size_t)(p - run));
            sink(ctx, esc, strlen(esc));
            run = p + 1;
        }
    }
    sink(ctx, (const char *)run, (size_t)(p - run));
    sink(ctx, "\"", 1);
}

static void put_sink(void *ctx, const char *s, size_t n)
{
    put(ctx, s, n);
}

static void put_string(syncd_json_t *self, const char *s)
{
    syncd_json_escape(s, false, put_sink, self);
}

void syncd_json_key(syncd_json_t *self, const char *key)
{
    if (self->err)
        return;
    if (self->depth == 0 || !self->is_object[self->depth - 1] ||
        self->key_pending || !key) {
        self->err = PROTO_EINVAL;
        return;
    }
    int d = self->depth - 1;
    if (self->has_member[d])
        put(self, ",", 1);
    self->has_member[d] = true;
    put_string(self, key);
    put(self, ":", 1);
    self->key_pending = true;
}

void syncd_json_string(syncd_json_t *self, const char *s)
{
    if (!s) {
        syncd_json_null(self);
        return;
    }
    before_value(self);
    put_string(self, s);
    after_value(self);
}

void syncd_json_int(syncd_json_t *self, int64_t v)
{
    char num[32];
    before_value(self);
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    put(self, num, (size_t)n);
    after_value(self);
}

void syncd_json_uint(syncd_json_t *self, uint64_t v)
{
    char num[32];
    before_value(self);
    int n = snprintf(num, sizeof num, "%" PRIu64, v);
    put(self, num, (size_t)n);
    after_value(self);
}

void syncd_json_double(syncd_json_t *self, double v)
{
    if (!isfinite(v)) {
        syncd_json_null(self);
        return;
    }
    char num[40];
    before_value(self);
    /* %.17g round-trips every double; integral values print without a
     * fraction, which readers then take as integers. */
    int n = snprintf(num, sizeof num, "%.17g", v);
    put(self, num, (size_t)n);
    after_value(self);
}

void syncd_json_bool(syncd_json_t *self, bool v)
{
    before_value(self);
    put(self, v ? "true" : "false", v ? 4 : 5);
    after_value(self);
}

void syncd_json_null(syncd_json_t *self)
{
    before_value(self);
    put(self, "null", 4);
    after_value(self);
}

int syncd_json_error(const syncd_json_t *self)
{
    return self->err;
}

int syncd_json_take(syncd_json_t *self, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    int rc = self->err;
    if (!rc && (self->depth != 0 || !self->done_top))
        rc = PROTO_EINVAL;
    if (rc == 0) {
        *out = self->buf;
        if (len)
            *len = self->len;
        self->buf = NULL;
    }
    free(self->buf);
    memset(self, 0, sizeof *self);
    return rc;
}

/* ---------------------------------------------------------------- reader */

struct syncd_json_value {
    syncd_json_type_t type;
    bool b;
    bool is_int;
    int64_t i;
    double d;
    char *s;                     /* string */
    char **keys;                 /* object member names */
    struct syncd_json_value **v; /* array elements / object members */
    size_t n, cap;
};

typedef struct {
    const char *p, *end, *start;
    char *err;
    size_t err_len;
    int depth;
} parser_t;

static void fail(parser_t *ps, const char *what)
{
    if (!ps->err || ps->err[0])
        return; /* keep the first error */
    size_t line = 1, col = 1;
    for (const char *q = ps->start; q < ps->p && q < ps->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(ps->err, ps->err_len, "%s at line %zu column %zu", what, line,
             col);
}

static void skip_ws(parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                               *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

void syncd_json_value_destroy(syncd_json_value_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    syncd_json_value_t *v = *self_p;
    for (size_t i = 0; i < v->n; i++) {
        syncd_json_value_destroy(&v->v[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->v);
    free(v->keys);
    free(v->s);
    free(v);
    *self_p = NULL;
}

static syncd_json_value_t *parse_value(parser_t *ps);

static int hex4(parser_t *ps, unsigned *out)
{
    if (ps->end - ps->p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    ps->p += 4;
    *out = v;
    return 0;
}

static size_t utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string at ps->p (on the opening quote) into a new buffer. */
static char *parse_string(parser_t *ps)
{
    ps->p++; /* opening quote */
    /* the decoded text is never longer than the source */
    const char *q = ps->p;
    while (q < ps->end && *q != '"') {
        if (*q == '\\' && q + 1 < ps->end)
            q++;
        q++;
    }
    if (q >= ps->end) {
        fail(ps, "unterminated string");
        return NULL;
    }
    char *out = malloc((size_t)(q - ps->p) + 1);
    if (!out) {
        fail(ps, "out of memory");
        return NULL;
    }
    size_t o = 0;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            fail(ps, "control character in string");
            goto fail;
        }
        if (c != '\\') {
            out[o++] = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        char e = *ps->p++;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            out[o++] = e;
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            unsigned cp;
            if (hex4(ps, &cp) != 0) {
                fail(ps, "bad \\u escape");
                goto fail;
            }
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' ||
                    ps->p[1] != 'u') {
                    fail(ps, "lone surrogate in \\u escape");
                    goto fail;
                }
                ps->p += 2;
                if (hex4(ps, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    fail(ps, "bad surrogate pair in \\u escape");
                    goto fail;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                fail(ps, "lone surrogate in \\u escape");
                goto fail;
            }
            o += utf8_put(out + o, cp);
            break;
        }
        default:
            fail(ps, "unknown escape in string");
            goto fail;
        }
    }
    ps->p++; /* closing quote */
    out[o] = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

static int push_child(syncd_json_value_t *v, char *key,
                      syncd_json_value_t *child)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        syncd_json_value_t **nv = realloc(v->v, cap * sizeof *nv);
        if (!nv)
            return PROTO_ENOMEM;
        v->v = nv;
        if (v->type == SYNCD_JSON_OBJECT) {
            char **nk = realloc(v->keys, cap * sizeof *nk);
            if (!nk)
                return PROTO_ENOMEM;
            v->keys = nk;
        }
        v->cap = cap;
    }
    v->v[v->n] = child;
    if (v->type == SYNCD_JSON_OBJECT)
        v->keys[v->n] = key;
    v->n++;
    return 0;
}

static syncd_json_value_t *parse_container(parser_t *ps, bool object)
{
    syncd_json_value_t *v = calloc(1, sizeof *v);
    if (!v) {
        fail(ps, "out of memory");
        return NULL;
    }
    v->type = object ? SYNCD_JSON_OBJECT : SYNCD_JSON_ARRAY;
    if (++ps->depth > SYNCD_JSON_MAX_DEPTH) {
        fail(ps, "nesting too deep");
        goto fail;
    }
    ps->p++; /* { or [ */
    skip_ws(ps);
    char close = object ? '}' : ']';
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') {
                fail(ps, "expected a member name in quotes");
                goto fail;
            }
            key = parse_string(ps);
            if (!key)
                goto fail;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                fail(ps, "expected ':' after a member name");
                goto fail;
            }
            ps->p++;
        }
        syncd_json_value_t *child = parse_value(ps);
        if (!child) {
            free(key);
            goto fail;
        }
        if (push_child(v, key, child) != 0) {
            free(key);
            syncd_json_value_destroy(&child);
            fail(ps, "out of memory");
            goto fail;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            break;
        }
        fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto fail;
    }
    ps->depth--;
    return v;
fail:
    syncd_json_value_destroy(&v);
    return NULL;
}

static syncd_json_value_t *parse_number(parser_t *ps)
{
    const char *s = ps->p;
    bool integral = true;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
        fail(ps, "expected a value");
        return NULL;
    }
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c >= '0' && c <= '9') {
            ps->p++;
        } else if (c == '.' || c == 'e' || c == 'E' || c == '+' ||
                   (c == '-' && (ps->p[-1] == 'e' || ps->p[-1] == 'E'))) {
            integral = false;
            ps->p++;
        } else {
            break;
        }
    }
    char tmp[64];
    size_t n = (size_t)(ps->p - s);
    if (n >= sizeof tmp) {
        fail(ps, "number too long");
        return NULL;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    syncd_json_value_t *v = calloc(1, sizeof *v);
    if (!v) {
        fail(ps, "out of memory");
        return NULL;
    }
    v->type = SYNCD_JSON_NUMBER;
    char *endp;
    errno = 0;
    v->d = strtod(tmp, &endp);
    if (*endp != '\0') {
        free(v);
        ps->p = s;
        fail(ps, "malformed number");
        return NULL;
    }
    if (integral) {
        errno = 0;
        long long ll = strtoll(tmp, &endp, 10);
        if (errno == 0 && *endp == '\0') {
            v->is_int = true;
            v->i = ll;
        }
    }
    return v;
}

static bool literal(parser_t *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0) {
        ps->p += n;
        return true;
    }
    return false;
}

static syncd_json_value_t *parse_value(parser_t *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end of text");
        return NULL;
    }
    char c = *ps->p;
    if (c == '{' || c == '[')
        return parse_container(ps, c == '{');
    if (c == '"') {
        char *s = parse_string(ps);
        if (!s)
            return NULL;
        syncd_json_value_t *v = calloc(1, sizeof *v);
        if (!v) {
            free(s);
            fail(ps, "out of memory");
            return NULL;
        }
        v->type = SYNCD_JSON_STRING;
        v->s = s;
        return v;
    }
    if (c == 't' || c == 'f' || c == 'n') {
        syncd_json_value_t *v = calloc(1, sizeof *v);
        if (!v) {
            fail(ps, "out of memory");
            return NULL;
        }
        if (literal(ps, "true")) {
            v->type = SYNCD_JSON_BOOL;
            v->b = true;
        } else if (literal(ps, "false")) {
            v->type = SYNCD_JSON_BOOL;
        } else if (literal(ps, "null")) {
            v->type = SYNCD_JSON_NULL;
        } else {
            free(v);
            fail(ps, "expected a value");
            return NULL;
        }
        return v;
    }
    return parse_number(ps);
}

syncd_json_value_t *syncd_json_parse(const char *text, size_t len, char *err,
                                     size_t err_len)
{
    parser_t ps = {text, text + len, text, err, err_len, 0};
    if (err && err_len)
        err[0] = '\0';
    syncd_json_value_t *v = parse_value(&ps);
    if (!v)
        return NULL;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        fail(&ps, "text follows the value");
        syncd_json_value_destroy(&v);
    }
    return v;
}

syncd_json_type_t syncd_json_type(const syncd_json_value_t *v)
{
    return v ? v->type : SYNCD_JSON_NULL;
}

const syncd_json_value_t *syncd_json_get(const syncd_json_value_t *v,
                                         const char *key)
{
    if (!v || v->type != SYNCD_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->keys[i], key) == 0)
            return v->v[i];
    }
    return NULL;
}

size_t syncd_json_count(const syncd_json_value_t *v)
{
    if (!v || (v->type != SYNCD_JSON_ARRAY && v->type != SYNCD_JSON_OBJECT))
        return 0;
    return v->n;
}

const syncd_json_value_t *syncd_json_at(const syncd_json_value_t *v, size_t i)
{
    if (i >= syncd_json_count(v))
        return NULL;
    return v->v[i];
}

const char *syncd_json_as_str(const syncd_json_value_t *v)
{
    return v && v->type == SYNCD_JSON_STRING ? v->s : NULL;
}

int64_t syncd_json_as_int(const syncd_json_value_t *v, int64_t dflt)
{
    if (!v || v->type != SYNCD_JSON_NUMBER)
        return dflt;
    if (v->is_int)
        return v->i;
    if (v->d >= -9.2e18 && v->d <= 9.2e18)
        return (int64_t)v->d;
    return dflt;
}

double syncd_json_as_num(const syncd_json_value_t *v, double dflt)
{
    if (!v || v->type != SYNCD_JSON_NUMBER)
        return dflt;
    return v->is_int ? (double)v->i : v->d;
}

bool syncd_json_as_bool(const syncd_json_value_t *v, bool dflt)
{
    return v && v->type == SYNCD_JSON_BOOL ? v->b : dflt;
}
