/*
 * catalogue.c — loads the process catalogue (docs/CATALOGUE.md) from YAML
 * into the tree declared in catalogue.h, and answers look-ups by id.
 *
 * The catalogue is written by people (a branch manager, a team lead), so
 * the loader's real job is to tell them precisely what is wrong: every
 * error names the file and line, what is wrong with what, and what to do.
 * That is why it uses libyaml's document API (every node keeps its line)
 * and checks the document against the schema by hand instead of mapping it
 * blindly into structs: unknown keys, wrong types, duplicate ids, dangling
 * team references and out-of-range numbers are all refused, one clear
 * message at a time.
 *
 * Memory: the whole tree lives in one arena of blocks taken from
 * proto_malloc(), so a half-built tree after an error and a finished one
 * are freed the same way, in one place, by proto_catalogue_destroy().
 * (libyaml's own parser memory is libyaml's and is released before we
 * return.)
 *
 * Look-ups: processes and steps are looked up per event at ingest, so they
 * get sorted pointer indexes searched with bsearch(). Sites (≤ 64), staff
 * of one site (≤ 512), teams and measures are scanned linearly; those
 * arrays stay in file order because the kiosk shows them in that order.
 */
#include "protocol/catalogue.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

/* Bounds of the format; docs/CATALOGUE.md lists the same numbers. */
#define CAT_MAX_SITES 64
#define CAT_MAX_TEAMS 64  /* per site */
#define CAT_MAX_STAFF 512 /* per site */
#define CAT_MAX_PROCESSES 256
#define CAT_MAX_STEPS 1024
#define CAT_MAX_DEPTH 4    /* top-level process = depth 1 */
#define CAT_NAME_MAX 120   /* bytes, per language */
#define CAT_GUIDE_MAX 8000 /* bytes, per language */
#define CAT_NUMBER_MAX 1e9
#define CAT_PIN_HASH_MAX 127 /* crypto_pwhash_STRBYTES - 1 */
#define CAT_ZONEINFO "/usr/share/zoneinfo"
#define CAT_DEFAULT_TZ "Asia/Shanghai"
#define CAT_DEFAULT_MAX 1000.0 /* max per check-in when not given */
#define CAT_WHAT_MAX 160       /* "measure \"<32>\" of step \"<64>\"" fits */
#define CAT_DESC_MAX (CAT_WHAT_MAX + 40) /* "<field> of " + what */

/* ---- Arena --------------------------------------------------------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used;
    size_t cap;
} arena_block_t;

#define ARENA_ALIGN _Alignof(max_align_t)
#define ARENA_ROUND(n) (((n) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1))
#define ARENA_HDR ARENA_ROUND(sizeof(arena_block_t))
#define ARENA_BLOCK_SIZE ((size_t)64 * 1024)

/* The caller sees only the public part; the rest is ours. The public
 * struct comes first so the two pointers convert to each other. */
typedef struct {
    proto_catalogue_t pub;
    arena_block_t *blocks;
    const proto_process_def_t **process_by_id; /* sorted by id */
    const proto_step_def_t **step_by_id;       /* sorted by id */
} catalogue_impl_t;

/* Zeroed memory from the arena, or NULL when proto_malloc fails. */
static void *arena_alloc(catalogue_impl_t *cat, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2)
        return NULL;
    n = ARENA_ROUND(n);
    arena_block_t *b = cat->blocks;
    if (!b || b->cap - b->used < n) {
        /* Big requests get a block of their own, linked behind the
         * current one so its free space stays in use. */
        bool own = n > ARENA_BLOCK_SIZE / 4;
        size_t cap = own ? n : ARENA_BLOCK_SIZE;
        arena_block_t *nb = proto_malloc(ARENA_HDR + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        if (own && b) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            cat->blocks = nb;
        }
        b = nb;
    }
    unsigned char *p = (unsigned char *)b + ARENA_HDR + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

static char *arena_strndup(catalogue_impl_t *cat, const char *s, size_t len)
{
    char *p = arena_alloc(cat, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* ---- Loader state and error reporting ------------------------------ */

typedef struct {
    catalogue_impl_t *cat;
    yaml_document_t *doc;
    const char *src; /* name used in messages */
    char *err;
    size_t err_len;
    bool failed;
    size_t n_processes; /* filled into cat->pub.processes as we go */
    size_t n_steps;
} loader_t;

static int node_line(const yaml_node_t *node)
{
    return node ? (int)node->start_mark.line + 1 : 0;
}

/* Records the first error as "src:line:col: message"; line 0 = no line,
 * col 0 = no column. Returns -1 so callers can `return fail_at(...)`. */
__attribute__((format(printf, 4, 0))) static int
fail_v(loader_t *ld, int line, size_t col, const char *fmt, va_list ap)
{
    if (ld->failed)
        return -1;
    ld->failed = true;
    if (!ld->err || ld->err_len == 0)
        return -1;
    int n;
    if (line > 0 && col > 0)
        n = snprintf(ld->err, ld->err_len, "%s:%d:%zu: ", ld->src, line, col);
    else if (line > 0)
        n = snprintf(ld->err, ld->err_len, "%s:%d: ", ld->src, line);
    else
        n = snprintf(ld->err, ld->err_len, "%s: ", ld->src);
    if (n < 0 || (size_t)n >= ld->err_len)
        return -1;
    vsnprintf(ld->err + n, ld->err_len - (size_t)n, fmt, ap);
    return -1;
}

__attribute__((format(printf, 3, 4))) static int fail_at(loader_t *ld, int line,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(ld, line, 0, fmt, ap);
    va_end(ap);
    return -1;
}

__attribute__((format(printf, 4, 5))) static int
fail_at_col(loader_t *ld, int line, size_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(ld, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_nomem(loader_t *ld)
{
    return fail_at(ld, 0,
                   "out of memory while loading the catalogue; "
                   "free some memory and try again");
}

/* Copies user text into out for quoting in a message: at most 48 bytes,
 * cut on a UTF-8 character boundary, control characters shown as '?'. */
static const char *show(char out[64], const char *s, size_t len)
{
    size_t n = len;
    bool cut = false;
    if (n > 48) {
        n = 48;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        cut = true;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (cut)
        memcpy(out + n, "...", 4);
    else
        out[n] = '\0';
    return out;
}

/* ---- Node helpers -------------------------------------------------- */

static yaml_node_t *node_get(loader_t *ld, int index)
{
    return yaml_document_get_node(ld->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static size_t scalar_len(const yaml_node_t *n)
{
    return n->data.scalar.length;
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
    size_t len = strlen(s);
    return n->type == YAML_SCALAR_NODE && scalar_len(n) == len &&
           memcmp(scalar(n), s, len) == 0;
}

static bool is_plain(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* YAML's null: an empty plain value, ~ or null. */
static bool is_null(const yaml_node_t *n)
{
    if (!is_plain(n))
        return false;
    return scalar_len(n) == 0 || scalar_is(n, "~") || scalar_is(n, "null") ||
           scalar_is(n, "Null") || scalar_is(n, "NULL");
}

static const char *kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return "text";
    }
}

/* Describes what a value is, for "must be X, not <this>" messages. */
static const char *describe_value(char out[96], const yaml_node_t *n)
{
    char buf[64];
    if (n->type != YAML_SCALAR_NODE)
        snprintf(out, 96, "%s", kind_name(n));
    else if (is_null(n))
        snprintf(out, 96, "empty");
    else if (!is_plain(n))
        snprintf(out, 96, "the quoted text \"%s\"",
                 show(buf, scalar(n), scalar_len(n)));
    else
        snprintf(out, 96, "\"%s\"", show(buf, scalar(n), scalar_len(n)));
    return out;
}

/* ---- Mappings: known keys, duplicates, unknown keys ------------------ */

/* One schema mapping: the allowed keys in the order the docs list them;
 * after map_fields() values[i] / key_line[i] hold what the file gave for
 * keys[i] (NULL / 0 when absent). */
#define MAP_MAX_KEYS 8
typedef struct {
    const char *const *keys;
    size_t n_keys;
    yaml_node_t *values[MAP_MAX_KEYS];
    int key_line[MAP_MAX_KEYS];
} fields_t;

static void join_keys(char *out, size_t len, const char *const *keys, size_t n)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && off < len; i++) {
        int w = snprintf(out + off, len - off, "%s%s", i ? ", " : "", keys[i]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}

static yaml_node_t *map_lookup(loader_t *ld, yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_get(ld, p->key);
        if (k && scalar_is(k, key))
            return node_get(ld, p->value);
    }
    return NULL;
}

/* Checks that node is a mapping (what: "step \"tm-call\"") and sorts its
 * pairs into f. Refuses non-text keys, unknown keys and repeated keys. */
static int map_fields(loader_t *ld, yaml_node_t *node, const char *what,
                      fields_t *f)
{
    char buf[64];
    char allowed[256];
    memset(f->values, 0, sizeof f->values);
    memset(f->key_line, 0, sizeof f->key_line);
    if (node->type != YAML_MAPPING_NODE)
        return fail_at(ld, node_line(node),
                       "%s must be a mapping of keys and values, not %s", what,
                       kind_name(node));
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_get(ld, p->key);
        yaml_node_t *v = node_get(ld, p->value);
        if (!k || !v)
            return fail_at(ld, node_line(node),
                           "%s is damaged (a key without a value); "
                           "rewrite it",
                           what);
        if (k->type != YAML_SCALAR_NODE)
            return fail_at(ld, node_line(k),
                           "a key in %s is %s; keys must be plain words "
                           "such as id or name",
                           what, kind_name(k));
        size_t i = 0;
        while (i < f->n_keys && !scalar_is(k, f->keys[i]))
            i++;
        if (i == f->n_keys) {
            join_keys(allowed, sizeof allowed, f->keys, f->n_keys);
            return fail_at(ld, node_line(k),
                           "unknown key \"%s\" in %s; allowed: %s",
                           show(buf, scalar(k), scalar_len(k)), what, allowed);
        }
        if (f->values[i])
            return fail_at(ld, node_line(k),
                           "key \"%s\" appears twice in %s (first at line "
                           "%d); keep one",
                           f->keys[i], what, f->key_line[i]);
        f->values[i] = v;
        f->key_line[i] = node_line(k);
    }
    return 0;
}

/* Index of key in f (a programming error if absent). */
static size_t field_index(const fields_t *f, const char *key)
{
    for (size_t i = 0; i < f->n_keys; i++)
        if (strcmp(f->keys[i], key) == 0)
            return i;
    abort();
}

static yaml_node_t *field(const fields_t *f, const char *key)
{
    yaml_node_t *v = f->values[field_index(f, key)];
    /* A key with no value ("guide:") counts as absent. */
    return v && !is_null(v) ? v : NULL;
}

static int field_line(const fields_t *f, const char *key)
{
    return f->key_line[field_index(f, key)];
}

/* ---- Scalars ------------------------------------------------------- */

static bool has_control(const char *s, size_t len, bool allow_newlines)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (allow_newlines && (c == '\n' || c == '\t' || c == '\r'))
            continue;
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

/* Decimal only: strtod alone would also take hex, inf and nan. */
static bool parse_decimal(const char *s, size_t len, double *out)
{
    char text[64];
    if (len == 0 || len >= sizeof text)
        return false;
    memcpy(text, s, len);
    text[len] = '\0';
    if (strspn(text, "0123456789+-.eE") != len ||
        strpbrk(text, "0123456789") == NULL)
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* A number for a field: plain decimal, finite, 0 ≤ x ≤ CAT_NUMBER_MAX. */
static int get_number(loader_t *ld, const yaml_node_t *n, const char *desc,
                      double *out)
{
    char vbuf[96];
    char shown[64];
    double v;
    bool scalar_ok = n->type == YAML_SCALAR_NODE && !is_null(n);
    if (!scalar_ok || !parse_decimal(scalar(n), scalar_len(n), &v))
        return fail_at(ld, node_line(n), "%s must be a number, not %s", desc,
                       describe_value(vbuf, n));
    if (!is_plain(n)) /* "100" is text in YAML, whatever it looks like */
        return fail_at(ld, node_line(n),
                       "%s must be a number, not %s; remove the quotes", desc,
                       describe_value(vbuf, n));
    if (v < 0)
        return fail_at(ld, node_line(n), "%s is %s; it must be 0 or more", desc,
                       show(shown, scalar(n), scalar_len(n)));
    if (v > CAT_NUMBER_MAX)
        return fail_at(ld, node_line(n),
                       "%s is %s; it must be at most 1000000000", desc,
                       show(shown, scalar(n), scalar_len(n)));
    *out = v;
    return 0;
}

/* A whole number 0 ≤ x ≤ max. */
static int get_uint(loader_t *ld, const yaml_node_t *n, const char *desc,
                    uint64_t max, uint64_t *out)
{
    char vbuf[96];
    bool ok = n->type == YAML_SCALAR_NODE && is_plain(n) && !is_null(n) &&
              scalar_len(n) <= 20;
    for (size_t i = 0; ok && i < scalar_len(n); i++)
        ok = scalar(n)[i] >= '0' && scalar(n)[i] <= '9';
    uint64_t v = 0;
    for (size_t i = 0; ok && i < scalar_len(n); i++) {
        unsigned d = (unsigned)(scalar(n)[i] - '0');
        if (v > (max - d) / 10)
            ok = false;
        else
            v = v * 10 + d;
    }
    if (!ok)
        return fail_at(ld, node_line(n),
                       "%s must be a whole number from 0 to %" PRIu64
                       ", not %s",
                       desc, max, describe_value(vbuf, n));
    *out = v;
    return 0;
}

static int get_bool(loader_t *ld, const yaml_node_t *n, const char *desc,
                    bool *out)
{
    char vbuf[96];
    if (is_plain(n) && (scalar_is(n, "true") || scalar_is(n, "True") ||
                        scalar_is(n, "TRUE"))) {
        *out = true;
        return 0;
    }
    if (is_plain(n) && (scalar_is(n, "false") || scalar_is(n, "False") ||
                        scalar_is(n, "FALSE"))) {
        *out = false;
        return 0;
    }
    return fail_at(ld, node_line(n), "%s must be true or false, not %s", desc,
                   describe_value(vbuf, n));
}

/* One line of text, 1..max bytes, into the arena (or into buf when buf is
 * given, which must hold max + 1 bytes). */
static int get_string(loader_t *ld, const yaml_node_t *n, const char *desc,
                      size_t max, char *buf, char **out)
{
    char vbuf[96];
    if (n->type != YAML_SCALAR_NODE || is_null(n))
        return fail_at(ld, node_line(n), "%s must be text, not %s", desc,
                       describe_value(vbuf, n));
    const char *s = scalar(n);
    size_t len = scalar_len(n);
    if (len > max)
        return fail_at(ld, node_line(n),
                       "%s is %zu bytes, over the limit of %zu; shorten it",
                       desc, len, max);
    if (has_control(s, len, false) || !proto_utf8_valid(s, len))
        return fail_at(ld, node_line(n),
                       "%s contains a line break or control character; "
                       "write it on one line",
                       desc);
    if (buf) {
        memcpy(buf, s, len);
        buf[len] = '\0';
        return 0;
    }
    *out = arena_strndup(ld->cat, s, len);
    return *out ? 0 : fail_nomem(ld);
}

/* ---- Identifiers --------------------------------------------------- */

static bool id_valid(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '.' || c == '_' || c == '-'));
        if (!ok)
            return false;
    }
    return true;
}

/* Reads the id of an object before anything else, so that every later
 * message can name the object by it. unnamed: how to call the object
 * without its id ("step 3 of process \"x\""). out holds max + 1 bytes. */
static int get_id(loader_t *ld, yaml_node_t *map, const char *unnamed,
                  size_t max, char *out)
{
    char buf[64];
    if (map->type != YAML_MAPPING_NODE)
        return fail_at(ld, node_line(map),
                       "%s must be a mapping of keys and values (id: ..., "
                       "name: ...), not %s",
                       unnamed, kind_name(map));
    yaml_node_t *v = map_lookup(ld, map, "id");
    if (!v || is_null(v))
        return fail_at(ld, node_line(v ? v : map),
                       "%s has no id; add id: followed by a short "
                       "lowercase name (e.g. id: tm-call)",
                       unnamed);
    if (v->type != YAML_SCALAR_NODE)
        return fail_at(ld, node_line(v), "id of %s must be text, not %s",
                       unnamed, kind_name(v));
    if (!id_valid(scalar(v), scalar_len(v), max))
        return fail_at(ld, node_line(v),
                       "id \"%s\" of %s is not valid; use 1 to %zu "
                       "characters from a-z, 0-9, '.', '_' and '-', "
                       "starting with a letter or digit",
                       show(buf, scalar(v), scalar_len(v)), unnamed, max);
    memcpy(out, scalar(v), scalar_len(v));
    out[scalar_len(v)] = '\0';
    return 0;
}

/* ---- Texts {zh, en} ------------------------------------------------ */

static const char *const text_keys[] = {"zh", "en"};

/* One language of a text: "name.zh of step \"tm-call\"" in messages. */
static int get_text_lang(loader_t *ld, yaml_node_t *n, const char *fld,
                         const char *lang, const char *what, size_t max,
                         bool multiline, char **out)
{
    char vbuf[96];
    if (n->type != YAML_SCALAR_NODE)
        return fail_at(ld, node_line(n), "%s.%s of %s must be text, not %s",
                       fld, lang, what, describe_value(vbuf, n));
    const char *s = scalar(n);
    size_t len = scalar_len(n);
    if (multiline) /* "|" blocks end in a newline nobody wants shown */
        while (len > 0 && strchr(" \t\r\n", s[len - 1]))
            len--;
    if (len == 0)
        return fail_at(ld, node_line(n),
                       "%s.%s of %s is empty; write the text or remove the "
                       "key",
                       fld, lang, what);
    if (len > max)
        return fail_at(ld, node_line(n),
                       "%s.%s of %s is %zu bytes, over the limit of %zu; "
                       "shorten it",
                       fld, lang, what, len, max);
    if (!proto_utf8_valid(s, len) || has_control(s, len, multiline))
        return fail_at(ld, node_line(n),
                       multiline ? "%s.%s of %s contains a control "
                                   "character; remove it"
                                 : "%s.%s of %s contains a line break or "
                                   "control character; write it on one line",
                       fld, lang, what);
    *out = arena_strndup(ld->cat, s, len);
    return *out ? 0 : fail_nomem(ld);
}

/* A text {zh, en} in field fld of what ("name", "step \"tm-call\""). n
 * may be NULL for an optional text that was left out; then both languages
 * are "". A missing en is a copy of zh. */
static int get_text(loader_t *ld, yaml_node_t *n, const char *fld,
                    const char *what, size_t max, bool multiline,
                    proto_text_t *out)
{
    char desc[CAT_DESC_MAX];
    if (!n) {
        out->zh = arena_strndup(ld->cat, "", 0);
        out->en = arena_strndup(ld->cat, "", 0);
        return out->zh && out->en ? 0 : fail_nomem(ld);
    }
    snprintf(desc, sizeof desc, "%s of %s", fld, what);
    if (n->type != YAML_MAPPING_NODE) {
        char vbuf[96];
        return fail_at(ld, node_line(n),
                       "%s must be a mapping {zh: ..., en: ...}, not %s", desc,
                       describe_value(vbuf, n));
    }
    fields_t f = {.keys = text_keys, .n_keys = 2};
    if (map_fields(ld, n, desc, &f) < 0)
        return -1;
    yaml_node_t *zh = field(&f, "zh");
    yaml_node_t *en = field(&f, "en");
    if (!zh)
        return fail_at(ld, f.values[0] ? f.key_line[0] : node_line(n),
                       "%s has no zh text; add zh: followed by the Chinese "
                       "text",
                       desc);
    if (get_text_lang(ld, zh, fld, "zh", what, max, multiline, &out->zh) < 0)
        return -1;
    if (!en) {
        out->en = arena_strndup(ld->cat, out->zh, strlen(out->zh));
        return out->en ? 0 : fail_nomem(ld);
    }
    return get_text_lang(ld, en, fld, "en", what, max, multiline, &out->en);
}

/* A list field: a sequence of at most max items. */
/* line: where the key is, which is where people look for the list. */
static int get_list(loader_t *ld, yaml_node_t *n, int line, const char *fld,
                    const char *what, size_t max, const char *unit,
                    size_t *count)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return fail_at(ld, line,
                       "%s of %s must be a list (one \"- \" line per entry), "
                       "not %s",
                       fld, what, kind_name(n));
    size_t c =
        (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (c > max)
        return fail_at(ld, line, "%s has %zu %s; at most %zu are allowed", what,
                       c, unit, max);
    *count = c;
    return 0;
}

static yaml_node_t *list_item(loader_t *ld, yaml_node_t *seq, size_t i)
{
    return node_get(ld, seq->data.sequence.items.start[i]);
}

/* ---- Sites, teams, staff ------------------------------------------- */

static const char *const team_keys[] = {"id", "name"};
static const char *const staff_keys[] = {"id", "name", "team", "role",
                                         "pin_hash"};
static const char *const site_keys[] = {"id", "name", "timezone", "teams",
                                        "staff"};

static const char *const role_names[] = {
    [PROTO_ROLE_ADVISER] = "adviser",
    [PROTO_ROLE_NEW_HIRE] = "new-hire",
    [PROTO_ROLE_LEAD] = "lead",
    [PROTO_ROLE_MANAGER] = "manager",
};

const char *proto_role_name(proto_role_t role)
{
    if ((unsigned)role < sizeof role_names / sizeof role_names[0])
        return role_names[role];
    return "?";
}

static int parse_team(loader_t *ld, yaml_node_t *n, const proto_site_t *site,
                      size_t idx, proto_team_t *team)
{
    char what[CAT_WHAT_MAX];
    snprintf(what, sizeof what, "team %zu of site \"%s\"", idx + 1, site->id);
    if (get_id(ld, n, what, PROTO_ID_MAX, team->id) < 0)
        return -1;
    team->line = node_line(n);
    for (size_t i = 0; i < idx; i++)
        if (strcmp(site->teams[i].id, team->id) == 0)
            return fail_at(ld, team->line,
                           "duplicate team id \"%s\" in site \"%s\" (first "
                           "at line %d); give each team its own id",
                           team->id, site->id, site->teams[i].line);
    snprintf(what, sizeof what, "team \"%s\"", team->id);
    fields_t f = {.keys = team_keys, .n_keys = 2};
    if (map_fields(ld, n, what, &f) < 0)
        return -1;
    if (!field(&f, "name"))
        return fail_at(ld, team->line,
                       "%s has no name; add name: {zh: ..., en: ...}", what);
    return get_text(ld, field(&f, "name"), "name", what, CAT_NAME_MAX, false,
                    &team->name);
}

static int parse_staff(loader_t *ld, yaml_node_t *n, const proto_site_t *site,
                       size_t idx, proto_staff_t *st)
{
    char what[CAT_WHAT_MAX];
    char desc[CAT_DESC_MAX];
    char buf[64];
    snprintf(what, sizeof what, "staff %zu of site \"%s\"", idx + 1, site->id);
    if (get_id(ld, n, what, PROTO_ID_MAX, st->id) < 0)
        return -1;
    st->line = node_line(n);
    snprintf(what, sizeof what, "staff \"%s\"", st->id);
    fields_t f = {.keys = staff_keys, .n_keys = 5};
    if (map_fields(ld, n, what, &f) < 0)
        return -1;

    if (!field(&f, "name"))
        return fail_at(ld, st->line,
                       "%s has no name; add name: {zh: ..., en: ...}", what);
    if (get_text(ld, field(&f, "name"), "name", what, CAT_NAME_MAX, false,
                 &st->name) < 0)
        return -1;

    yaml_node_t *team = field(&f, "team");
    if (!team)
        return fail_at(ld, st->line,
                       "%s has no team; add team: followed by the id of "
                       "one of the site's teams",
                       what);
    if (team->type != YAML_SCALAR_NODE) {
        char vbuf[96];
        return fail_at(ld, node_line(team),
                       "team of %s must be a team id, not %s", what,
                       describe_value(vbuf, team));
    }
    bool found = false;
    for (size_t i = 0; i < site->n_teams && !found; i++)
        found = scalar_len(team) == strlen(site->teams[i].id) &&
                memcmp(scalar(team), site->teams[i].id, scalar_len(team)) == 0;
    if (!found) {
        char list[512];
        size_t off = 0;
        list[0] = '\0';
        for (size_t i = 0; i < site->n_teams && off < sizeof list; i++) {
            int w = snprintf(list + off, sizeof list - off, "%s%s",
                             i ? ", " : "", site->teams[i].id);
            if (w < 0)
                break;
            off += (size_t)w;
        }
        return fail_at(ld, node_line(team),
                       "%s names team \"%s\", which site \"%s\" does not "
                       "define; use one of: %s",
                       what, show(buf, scalar(team), scalar_len(team)),
                       site->id, list);
    }
    memcpy(st->team_id, scalar(team), scalar_len(team));
    st->team_id[scalar_len(team)] = '\0';

    yaml_node_t *role = field(&f, "role");
    if (!role)
        return fail_at(ld, st->line,
                       "%s has no role; add role: adviser, new-hire, lead "
                       "or manager",
                       what);
    size_t r = 0;
    while (r < sizeof role_names / sizeof role_names[0] &&
           !scalar_is(role, role_names[r]))
        r++;
    if (r == sizeof role_names / sizeof role_names[0]) {
        char vbuf[96];
        return fail_at(ld, node_line(role),
                       "role %s of %s is not known; use adviser, new-hire, "
                       "lead or manager",
                       describe_value(vbuf, role), what);
    }
    st->role = (proto_role_t)r;

    yaml_node_t *pin = field(&f, "pin_hash");
    if (pin) {
        snprintf(desc, sizeof desc, "pin_hash of %s", what);
        if (get_string(ld, pin, desc, CAT_PIN_HASH_MAX, NULL, &st->pin_hash) <
            0)
            return -1;
        if (strncmp(st->pin_hash, "$argon2", 7) != 0)
            return fail_at(ld, node_line(pin),
                           "%s does not start with \"$argon2\"; store the "
                           "output of crypto_pwhash_str, never the PIN "
                           "itself (see docs/CATALOGUE.md)",
                           desc);
    }
    return 0;
}

/* IANA names only: letters, digits, '/', '_', '+', '-'; no "..", no
 * leading '/', so the name cannot leave the zoneinfo directory. */
static bool timezone_exists(const char *tz)
{
    size_t len = strlen(tz);
    if (len == 0 || tz[0] == '/' || tz[len - 1] == '/')
        return false;
    for (const char *c = tz; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || strchr("/_+-", *c);
        if (!ok || (*c == '/' && c[1] == '/'))
            return false;
    }
    char path[sizeof CAT_ZONEINFO + PROTO_SHORT_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", CAT_ZONEINFO, tz);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int parse_site(loader_t *ld, yaml_node_t *n, size_t idx,
                      proto_site_t *site)
{
    char what[CAT_WHAT_MAX];
    char desc[CAT_DESC_MAX];
    snprintf(what, sizeof what, "site %zu", idx + 1);
    if (get_id(ld, n, what, PROTO_ID_MAX, site->id) < 0)
        return -1;
    site->line = node_line(n);
    snprintf(what, sizeof what, "site \"%s\"", site->id);
    fields_t f = {.keys = site_keys, .n_keys = 5};
    if (map_fields(ld, n, what, &f) < 0)
        return -1;

    if (!field(&f, "name"))
        return fail_at(ld, site->line,
                       "%s has no name; add name: {zh: ..., en: ...}", what);
    if (get_text(ld, field(&f, "name"), "name", what, CAT_NAME_MAX, false,
                 &site->name) < 0)
        return -1;

    yaml_node_t *tz = field(&f, "timezone");
    if (tz) {
        snprintf(desc, sizeof desc, "timezone of %s", what);
        if (get_string(ld, tz, desc, PROTO_SHORT_MAX, site->timezone, NULL) < 0)
            return -1;
        if (!timezone_exists(site->timezone)) {
            char buf[64];
            return fail_at(ld, node_line(tz),
                           "timezone \"%s\" of %s is not in " CAT_ZONEINFO
                           "; use an IANA name such as Asia/Shanghai",
                           show(buf, site->timezone, strlen(site->timezone)),
                           what);
        }
    } else {
        snprintf(site->timezone, sizeof site->timezone, "%s", CAT_DEFAULT_TZ);
    }

    /* Teams before staff whatever the key order: staff refer to teams. */
    yaml_node_t *teams = field(&f, "teams");
    if (!teams)
        return fail_at(ld, site->line,
                       "%s has no teams; add teams: with at least one team",
                       what);
    if (get_list(ld, teams, field_line(&f, "teams"), "teams", what,
                 CAT_MAX_TEAMS, "teams", &site->n_teams) < 0)
        return -1;
    if (site->n_teams == 0)
        return fail_at(ld, field_line(&f, "teams"),
                       "%s has no teams; add at least one under teams:", what);
    site->teams = arena_alloc(ld->cat, site->n_teams * sizeof *site->teams);
    if (!site->teams)
        return fail_nomem(ld);
    for (size_t i = 0; i < site->n_teams; i++)
        if (parse_team(ld, list_item(ld, teams, i), site, i, &site->teams[i]) <
            0)
            return -1;

    yaml_node_t *staff = field(&f, "staff");
    if (!staff)
        return fail_at(ld, site->line,
                       "%s has no staff; add staff: with at least one "
                       "person",
                       what);
    if (get_list(ld, staff, field_line(&f, "staff"), "staff", what,
                 CAT_MAX_STAFF, "staff", &site->n_staff) < 0)
        return -1;
    if (site->n_staff == 0)
        return fail_at(ld, field_line(&f, "staff"),
                       "%s has no staff; add at least one person under "
                       "staff:",
                       what);
    site->staff = arena_alloc(ld->cat, site->n_staff * sizeof *site->staff);
    if (!site->staff)
        return fail_nomem(ld);
    for (size_t i = 0; i < site->n_staff; i++)
        if (parse_staff(ld, list_item(ld, staff, i), site, i, &site->staff[i]) <
            0)
            return -1;
    return 0;
}

/* ---- Framework: processes, steps, measures -------------------------- */

static const char *const process_keys[] = {"id", "name", "version", "steps",
                                           "processes"};
static const char *const step_keys[] = {"id",       "name",    "guide",
                                        "measures", "quality", "points"};
static const char *const measure_keys[] = {"id",     "name",   "unit",
                                           "target", "points", "max"};
static const char *const points_keys[] = {"quality_multiplier", "daily_cap"};

static int parse_measure(loader_t *ld, yaml_node_t *n,
                         const proto_step_def_t *step, size_t idx,
                         proto_measure_def_t *m)
{
    char what[CAT_WHAT_MAX];
    char desc[CAT_DESC_MAX];
    snprintf(what, sizeof what, "measure %zu of step \"%s\"", idx + 1,
             step->id);
    if (get_id(ld, n, what, PROTO_KEY_MAX, m->id) < 0)
        return -1;
    m->line = node_line(n);
    for (size_t i = 0; i < idx; i++)
        if (strcmp(step->measures[i].id, m->id) == 0)
            return fail_at(ld, m->line,
                           "duplicate measure id \"%s\" in step \"%s\" "
                           "(first at line %d); give each measure its own id",
                           m->id, step->id, step->measures[i].line);
    snprintf(what, sizeof what, "measure \"%s\" of step \"%s\"", m->id,
             step->id);
    fields_t f = {.keys = measure_keys, .n_keys = 6};
    if (map_fields(ld, n, what, &f) < 0)
        return -1;
    if (!field(&f, "name"))
        return fail_at(ld, m->line,
                       "%s has no name; add name: {zh: ..., en: ...}", what);
    if (get_text(ld, field(&f, "name"), "name", what, CAT_NAME_MAX, false,
                 &m->name) < 0)
        return -1;
    if (get_text(ld, field(&f, "unit"), "unit", what, CAT_NAME_MAX, false,
                 &m->unit) < 0)
        return -1;
    /* Numbers: a key given with no value is an error, not a default. */
    static const char *const nums[] = {"target", "points", "max"};
    double *dst[] = {&m->daily_target, &m->points_per_unit,
                     &m->max_per_checkin};
    m->max_per_checkin = CAT_DEFAULT_MAX;
    for (size_t i = 0; i < 3; i++) {
        yaml_node_t *v = f.values[field_index(&f, nums[i])];
        if (!v)
            continue;
        snprintf(desc, sizeof desc, "%s of %s", nums[i], what);
        if (get_number(ld, v, desc, dst[i]) < 0)
            return -1;
    }
    if (m->max_per_checkin <= 0)
        return fail_at(ld, node_line(f.values[field_index(&f, "max")]),
                       "max of %s is 0; it is the largest value one "
                       "check-in may carry, so make it more than 0",
                       what);
    return 0;
}

static int parse_points(loader_t *ld, yaml_node_t *n, proto_step_def_t *step)
{
    char what[CAT_WHAT_MAX];
    char desc[CAT_DESC_MAX];
    snprintf(what, sizeof what, "points of step \"%s\"", step->id);
    fields_t f = {.keys = points_keys, .n_keys = 2};
    if (map_fields(ld, n, what, &f) < 0)
        return -1;
    yaml_node_t *qm = f.values[0];
    yaml_node_t *cap = f.values[1];
    if (qm) {
        snprintf(desc, sizeof desc, "quality_multiplier of %s", what);
        if (get_bool(ld, qm, desc, &step->quality_multiplier) < 0)
            return -1;
    }
    if (cap) {
        snprintf(desc, sizeof desc, "daily_cap of %s", what);
        if (get_number(ld, cap, desc, &step->daily_points_cap) < 0)
            return -1;
    }
    if (step->quality_multiplier && !step->asks_quality)
        return fail_at(ld, node_line(qm),
                       "step \"%s\" multiplies points by quality but does "
                       "not ask for it; add quality: true to the step or "
                       "remove quality_multiplier",
                       step->id);
    return 0;
}

static int parse_step(loader_t *ld, yaml_node_t *n,
                      const proto_process_def_t *proc, size_t idx,
                      proto_step_def_t *step)
{
    char what[CAT_WHAT_MAX];
    char desc[CAT_DESC_MAX];
    snprintf(what, sizeof what, "step %zu of process \"%s\"", idx + 1,
             proc->id);
    if (get_id(ld, n, what, PROTO_ID_MAX, step->id) < 0)
        return -1;
    step->line = node_line(n);
    step->process = proc;
    if (ld->n_steps == CAT_MAX_STEPS)
        return fail_at(ld, step->line,
                       "step \"%s\" is one step too many; a catalogue holds "
                       "at most %d steps",
                       step->id, CAT_MAX_STEPS);
    ld->cat->pub.steps[ld->n_steps++] = step;

    snprintf(what, sizeof what, "step \"%s\"", step->id);
    fields_t f = {.keys = step_keys, .n_keys = 6};
    if (map_fields(ld, n, what, &f) < 0)
        return -1;
    if (!field(&f, "name"))
        return fail_at(ld, step->line,
                       "%s has no name; add name: {zh: ..., en: ...}", what);
    if (get_text(ld, field(&f, "name"), "name", what, CAT_NAME_MAX, false,
                 &step->name) < 0)
        return -1;
    if (get_text(ld, field(&f, "guide"), "guide", what, CAT_GUIDE_MAX, true,
                 &step->guide) < 0)
        return -1;
    if (f.values[field_index(&f, "quality")]) {
        snprintf(desc, sizeof desc, "quality of %s", what);
        if (get_bool(ld, f.values[field_index(&f, "quality")], desc,
                     &step->asks_quality) < 0)
            return -1;
    }

    yaml_node_t *ms = field(&f, "measures");
    if (!ms)
        return fail_at(ld, step->line,
                       "%s has no measures; add at least one (e.g. calls)",
                       what);
    if (get_list(ld, ms, field_line(&f, "measures"), "measures", what,
                 PROTO_MAX_MEASURES, "measures", &step->n_measures) < 0)
        return -1;
    /* Reported at the step, like a missing list: the step is at fault. */
    if (step->n_measures == 0)
        return fail_at(ld, step->line,
                       "%s has no measures; add at least one (e.g. calls)",
                       what);
    step->measures =
        arena_alloc(ld->cat, step->n_measures * sizeof *step->measures);
    if (!step->measures)
        return fail_nomem(ld);
    for (size_t i = 0; i < step->n_measures; i++)
        if (parse_measure(ld, list_item(ld, ms, i), step, i,
                          &step->measures[i]) < 0)
            return -1;

    yaml_node_t *pts = f.values[field_index(&f, "points")];
    if (pts && parse_points(ld, pts, step) < 0)
        return -1;
    return 0;
}

static int parse_process(loader_t *ld, yaml_node_t *n,
                         const proto_process_def_t *parent, int depth,
                         size_t idx, proto_process_def_t *proc);

static int parse_children(loader_t *ld, yaml_node_t *list, int line, int depth,
                          proto_process_def_t *proc)
{
    char what[CAT_WHAT_MAX];
    snprintf(what, sizeof what, "process \"%s\"", proc->id);
    if (get_list(ld, list, line, "processes", what, CAT_MAX_PROCESSES,
                 "sub-processes", &proc->n_children) < 0)
        return -1;
    if (proc->n_children == 0)
        return 0;
    proc->children =
        arena_alloc(ld->cat, proc->n_children * sizeof *proc->children);
    if (!proc->children)
        return fail_nomem(ld);
    for (size_t i = 0; i < proc->n_children; i++)
        if (parse_process(ld, list_item(ld, list, i), proc, depth + 1, i,
                          &proc->children[i]) < 0)
            return -1;
    return 0;
}

static int parse_steps(loader_t *ld, yaml_node_t *list, int line,
                       proto_process_def_t *proc)
{
    char what[CAT_WHAT_MAX];
    snprintf(what, sizeof what, "process \"%s\"", proc->id);
    if (get_list(ld, list, line, "steps", what, CAT_MAX_STEPS, "steps",
                 &proc->n_steps) < 0)
        return -1;
    if (proc->n_steps == 0)
        return 0;
    proc->steps = arena_alloc(ld->cat, proc->n_steps * sizeof *proc->steps);
    if (!proc->steps)
        return fail_nomem(ld);
    for (size_t i = 0; i < proc->n_steps; i++)
        if (parse_step(ld, list_item(ld, list, i), proc, i, &proc->steps[i]) <
            0)
            return -1;
    return 0;
}

static int parse_process(loader_t *ld, yaml_node_t *n,
                         const proto_process_def_t *parent, int depth,
                         size_t idx, proto_process_def_t *proc)
{
    char what[CAT_WHAT_MAX];
    char desc[CAT_DESC_MAX];
    if (parent)
        snprintf(what, sizeof what, "process %zu of process \"%s\"", idx + 1,
                 parent->id);
    else
        snprintf(what, sizeof what, "process %zu of the framework", idx + 1);
    if (get_id(ld, n, what, PROTO_ID_MAX, proc->id) < 0)
        return -1;
    proc->line = node_line(n);
    proc->parent = parent;
    proc->version = 1;
    if (depth > CAT_MAX_DEPTH)
        return fail_at(ld, proc->line,
                       "process \"%s\" is nested %d levels deep; processes "
                       "nest at most %d levels, so move it up a level",
                       proc->id, depth, CAT_MAX_DEPTH);
    if (ld->n_processes == CAT_MAX_PROCESSES)
        return fail_at(ld, proc->line,
                       "process \"%s\" is one process too many; a catalogue "
                       "holds at most %d processes",
                       proc->id, CAT_MAX_PROCESSES);
    ld->cat->pub.processes[ld->n_processes++] = proc;

    snprintf(what, sizeof what, "process \"%s\"", proc->id);
    fields_t f = {.keys = process_keys, .n_keys = 5};
    if (map_fields(ld, n, what, &f) < 0)
        return -1;
    if (!field(&f, "name"))
        return fail_at(ld, proc->line,
                       "%s has no name; add name: {zh: ..., en: ...}", what);
    if (get_text(ld, field(&f, "name"), "name", what, CAT_NAME_MAX, false,
                 &proc->name) < 0)
        return -1;
    yaml_node_t *ver = f.values[field_index(&f, "version")];
    if (ver) {
        uint64_t v;
        snprintf(desc, sizeof desc, "version of %s", what);
        if (get_uint(ld, ver, desc, UINT32_MAX, &v) < 0)
            return -1;
        proc->version = (uint32_t)v;
    }

    /* Sub-processes and steps in the order the file gives them, so the
     * flat indexes follow the file. */
    yaml_node_t *children = field(&f, "processes");
    yaml_node_t *steps = field(&f, "steps");
    bool steps_first = steps && (!children || field_line(&f, "steps") <
                                                  field_line(&f, "processes"));
    if (steps_first &&
        parse_steps(ld, steps, field_line(&f, "steps"), proc) < 0)
        return -1;
    if (children && parse_children(ld, children, field_line(&f, "processes"),
                                   depth, proc) < 0)
        return -1;
    if (!steps_first && steps &&
        parse_steps(ld, steps, field_line(&f, "steps"), proc) < 0)
        return -1;
    if (proc->n_steps == 0 && proc->n_children == 0)
        return fail_at(ld, proc->line,
                       "%s has no steps and no sub-processes; add steps: or "
                       "processes: with at least one entry",
                       what);
    return 0;
}

/* ---- Whole-catalogue checks ---------------------------------------- */

static int cmp_process(const void *a, const void *b)
{
    const proto_process_def_t *x = *(const proto_process_def_t *const *)a;
    const proto_process_def_t *y = *(const proto_process_def_t *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int cmp_step(const void *a, const void *b)
{
    const proto_step_def_t *x = *(const proto_step_def_t *const *)a;
    const proto_step_def_t *y = *(const proto_step_def_t *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int cmp_staff(const void *a, const void *b)
{
    const proto_staff_t *x = *(const proto_staff_t *const *)a;
    const proto_staff_t *y = *(const proto_staff_t *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Among ids used twice in sorted (by id, then line), finds the repeat
 * that comes first in the file and reports it naming both lines. The
 * three struct types share the shape "id[], ..., int line"; offsetof
 * lets one function serve them all. */
static int report_duplicate(loader_t *ld, const void *const *sorted, size_t n,
                            size_t id_off, size_t line_off, const char *kind,
                            const char *advice)
{
#define ID_OF(i) ((const char *)sorted[i] + id_off)
#define LINE_OF(i) (*(const int *)((const char *)sorted[i] + line_off))
    size_t best = 0, first = 0;
    bool found = false;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(ID_OF(i), ID_OF(i - 1)) != 0)
            continue;
        if (found && LINE_OF(i) >= LINE_OF(best))
            continue;
        best = i;
        found = true;
    }
    if (!found)
        return 0;
    first = best;
    while (first > 0 && strcmp(ID_OF(first - 1), ID_OF(best)) == 0)
        first--;
    return fail_at(ld, LINE_OF(best),
                   "duplicate %s id \"%s\" (first at line %d); %s", kind,
                   ID_OF(best), LINE_OF(first), advice);
#undef ID_OF
#undef LINE_OF
}

static int check_unique(loader_t *ld)
{
    catalogue_impl_t *cat = ld->cat;
    proto_catalogue_t *pub = &cat->pub;

    /* Sites: at most 64, compared pairwise. */
    for (size_t i = 1; i < pub->n_sites; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(pub->sites[i].id, pub->sites[j].id) == 0)
                return fail_at(ld, pub->sites[i].line,
                               "duplicate site id \"%s\" (first at line "
                               "%d); give each site its own id",
                               pub->sites[i].id, pub->sites[j].line);

    /* Staff ids are unique across sites: events and leaderboards name a
     * person by id alone. */
    size_t n_staff = 0;
    for (size_t i = 0; i < pub->n_sites; i++)
        n_staff += pub->sites[i].n_staff;
    const proto_staff_t **staff = arena_alloc(cat, n_staff * sizeof *staff);
    if (!staff)
        return fail_nomem(ld);
    size_t k = 0;
    for (size_t i = 0; i < pub->n_sites; i++)
        for (size_t j = 0; j < pub->sites[i].n_staff; j++)
            staff[k++] = &pub->sites[i].staff[j];
    qsort(staff, n_staff, sizeof *staff, cmp_staff);
    if (report_duplicate(ld, (const void *const *)staff, n_staff,
                         offsetof(proto_staff_t, id),
                         offsetof(proto_staff_t, line), "staff",
                         "give each person their own id") < 0)
        return -1;

    cat->process_by_id =
        arena_alloc(cat, pub->n_processes * sizeof *cat->process_by_id);
    cat->step_by_id = arena_alloc(cat, pub->n_steps * sizeof *cat->step_by_id);
    if (!cat->process_by_id || !cat->step_by_id)
        return fail_nomem(ld);
    memcpy(cat->process_by_id, pub->processes,
           pub->n_processes * sizeof *cat->process_by_id);
    memcpy(cat->step_by_id, pub->steps, pub->n_steps * sizeof *cat->step_by_id);
    qsort(cat->process_by_id, pub->n_processes, sizeof *cat->process_by_id,
          cmp_process);
    qsort(cat->step_by_id, pub->n_steps, sizeof *cat->step_by_id, cmp_step);
    if (report_duplicate(ld, (const void *const *)cat->process_by_id,
                         pub->n_processes, offsetof(proto_process_def_t, id),
                         offsetof(proto_process_def_t, line), "process",
                         "give each process its own id") < 0)
        return -1;
    return report_duplicate(ld, (const void *const *)cat->step_by_id,
                            pub->n_steps, offsetof(proto_step_def_t, id),
                            offsetof(proto_step_def_t, line), "step",
                            "give each step its own id");
}

/* ---- The document -------------------------------------------------- */

static const char *const top_keys[] = {"title", "version", "sites",
                                       "framework"};

static int parse_catalogue(loader_t *ld, yaml_node_t *root)
{
    proto_catalogue_t *pub = &ld->cat->pub;
    const char *what = "the catalogue";
    if (root->type != YAML_MAPPING_NODE)
        return fail_at(ld, node_line(root),
                       "the catalogue must be a mapping with title, sites "
                       "and framework, not %s",
                       kind_name(root));
    fields_t f = {.keys = top_keys, .n_keys = 4};
    if (map_fields(ld, root, what, &f) < 0)
        return -1;

    if (!field(&f, "title"))
        return fail_at(ld, node_line(root),
                       "the catalogue has no title; add title: {zh: ..., "
                       "en: ...}");
    if (get_text(ld, field(&f, "title"), "title", what, CAT_NAME_MAX, false,
                 &pub->title) < 0)
        return -1;
    if (f.values[field_index(&f, "version")] &&
        get_uint(ld, f.values[field_index(&f, "version")],
                 "version of the catalogue", UINT64_MAX, &pub->version) < 0)
        return -1;

    yaml_node_t *sites = field(&f, "sites");
    if (!sites)
        return fail_at(ld, node_line(root),
                       "the catalogue has no sites; add sites: with at "
                       "least one site");
    if (get_list(ld, sites, field_line(&f, "sites"), "sites", what,
                 CAT_MAX_SITES, "sites", &pub->n_sites) < 0)
        return -1;
    if (pub->n_sites == 0)
        return fail_at(ld, field_line(&f, "sites"),
                       "the catalogue has no sites; add at least one under "
                       "sites:");
    pub->sites = arena_alloc(ld->cat, pub->n_sites * sizeof *pub->sites);
    if (!pub->sites)
        return fail_nomem(ld);
    for (size_t i = 0; i < pub->n_sites; i++)
        if (parse_site(ld, list_item(ld, sites, i), i, &pub->sites[i]) < 0)
            return -1;

    yaml_node_t *fw = field(&f, "framework");
    if (!fw)
        return fail_at(ld, node_line(root),
                       "the catalogue has no framework; add framework: with "
                       "at least one process");
    if (get_list(ld, fw, field_line(&f, "framework"), "framework", what,
                 CAT_MAX_PROCESSES, "top-level processes",
                 &pub->n_framework) < 0)
        return -1;
    if (pub->n_framework == 0)
        return fail_at(ld, field_line(&f, "framework"),
                       "the framework has no processes; add at least one "
                       "under framework:");
    /* Flat indexes at their bound; the counts say how much is used. */
    pub->processes =
        arena_alloc(ld->cat, CAT_MAX_PROCESSES * sizeof *pub->processes);
    pub->steps = arena_alloc(ld->cat, CAT_MAX_STEPS * sizeof *pub->steps);
    pub->framework =
        arena_alloc(ld->cat, pub->n_framework * sizeof *pub->framework);
    if (!pub->processes || !pub->steps || !pub->framework)
        return fail_nomem(ld);
    for (size_t i = 0; i < pub->n_framework; i++)
        if (parse_process(ld, list_item(ld, fw, i), NULL, 1, i,
                          &pub->framework[i]) < 0)
            return -1;
    pub->n_processes = ld->n_processes;
    pub->n_steps = ld->n_steps;
    return check_unique(ld);
}

/* The byte at a libyaml mark (0-based line, column in characters, not
 * bytes), or -1 past the end. */
static int char_at(const char *text, size_t len, size_t line, size_t col)
{
    size_t i = 0;
    for (size_t l = 0; l < line; l++) {
        const char *nl = memchr(text + i, '\n', len - i);
        if (!nl)
            return -1;
        i = (size_t)(nl - text) + 1;
    }
    for (size_t c = 0; c < col && i < len; c++)
        do /* skip one UTF-8 character: its lead and continuation bytes */
            i++;
        while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80);
    return i < len ? (unsigned char)text[i] : -1;
}

/* libyaml's own words, with line and column; a tab gets plain words,
 * since editors make it the most common mistake and libyaml's "cannot
 * start any token" does not say what to do. */
static int fail_syntax(loader_t *ld, const yaml_parser_t *p, const char *text,
                       size_t len)
{
    if (p->error == YAML_MEMORY_ERROR)
        return fail_nomem(ld);
    const char *problem = p->problem ? p->problem : "unreadable YAML";
    if (p->error == YAML_READER_ERROR) { /* a byte offset, not a mark */
        int at = 1;
        for (size_t i = 0; i < p->problem_offset && i < len; i++)
            at += text[i] == '\n';
        return fail_at(ld, at,
                       "YAML syntax error: %s (byte %zu); remove it, or save "
                       "the file as plain UTF-8 text",
                       problem, p->problem_offset);
    }
    int line = (int)p->problem_mark.line + 1;
    size_t col = p->problem_mark.column + 1;
    if (char_at(text, len, p->problem_mark.line, p->problem_mark.column) ==
        '\t')
        return fail_at_col(ld, line, col,
                           "YAML syntax error: a tab character where YAML "
                           "allows only spaces; indent with spaces");
    if (p->context)
        return fail_at_col(ld, line, col,
                           "YAML syntax error: %s (%s at line %zu); check "
                           "the indentation, the \": \" after each key and "
                           "the closing quotes and brackets",
                           problem, p->context, p->context_mark.line + 1);
    return fail_at_col(ld, line, col,
                       "YAML syntax error: %s; check the indentation, the "
                       "\": \" after each key and the closing quotes and "
                       "brackets",
                       problem);
}

/* The first line that is not valid UTF-8 (1-based), or 0. Lines are cut
 * at '\n', which never occurs inside a multi-byte sequence. */
static int first_bad_utf8_line(const char *text, size_t len)
{
    int line = 1;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            if (!proto_utf8_valid(text + start, i - start))
                return line;
            line++;
            start = i + 1;
        }
    }
    return 0;
}

static void catalogue_free(catalogue_impl_t *cat)
{
    if (!cat)
        return;
    arena_block_t *b = cat->blocks;
    while (b) {
        arena_block_t *next = b->next;
        proto_free(b);
        b = next;
    }
    proto_free(cat);
}

proto_catalogue_t *proto_catalogue_load_string(const char *text, size_t len,
                                               const char *source_name,
                                               char *err, size_t err_len)
{
    loader_t ld = {.src = source_name ? source_name : "catalogue",
                   .err = err,
                   .err_len = err_len};
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    bool parser_ready = false, doc_ready = false;
    proto_catalogue_t *result = NULL;
    if (err && err_len)
        err[0] = '\0';

    if (!text) {
        fail_at(&ld, 0, "no catalogue text given; pass the YAML text");
        goto cleanup;
    }
    if (len > PROTO_CATALOGUE_MAX) {
        fail_at(&ld, 0,
                "the catalogue is %zu bytes, over the limit of %u bytes; "
                "shorten the guides or remove unused processes",
                len, (unsigned)PROTO_CATALOGUE_MAX);
        goto cleanup;
    }
    if (!proto_utf8_valid(text, len)) {
        int line = first_bad_utf8_line(text, len);
        fail_at(&ld, line,
                "the text is not valid UTF-8; save the file as UTF-8 "
                "(not GBK or GB18030)");
        goto cleanup;
    }

    ld.cat = proto_malloc(sizeof *ld.cat);
    if (!ld.cat) {
        fail_nomem(&ld);
        goto cleanup;
    }
    memset(ld.cat, 0, sizeof *ld.cat);
    ld.cat->pub.source_name = arena_strndup(ld.cat, ld.src, strlen(ld.src));
    if (!ld.cat->pub.source_name) {
        fail_nomem(&ld);
        goto cleanup;
    }

    if (!yaml_parser_initialize(&parser)) {
        fail_nomem(&ld);
        goto cleanup;
    }
    parser_ready = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    /* On failure yaml_parser_load has already deleted the document. */
    if (!yaml_parser_load(&parser, &doc)) {
        fail_syntax(&ld, &parser, text, len);
        goto cleanup;
    }
    doc_ready = true;
    ld.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || is_null(root)) {
        fail_at(&ld, 0,
                "the catalogue is empty; it needs title, sites and "
                "framework (start from assets/catalogue.yaml)");
        goto cleanup;
    }
    /* One document only: a second one would be silently ignored. */
    if (!yaml_parser_load(&parser, &extra)) {
        fail_syntax(&ld, &parser, text, len);
        goto cleanup;
    }
    yaml_node_t *extra_root = yaml_document_get_root_node(&extra);
    int extra_line = extra_root ? (int)extra.start_mark.line + 1 : 0;
    yaml_document_delete(&extra);
    if (extra_root) {
        fail_at(&ld, extra_line,
                "a second YAML document starts here; a catalogue is one "
                "document, so remove this \"---\" and what follows or "
                "merge it into the first");
        goto cleanup;
    }

    if (parse_catalogue(&ld, root) < 0)
        goto cleanup;
    result = &ld.cat->pub;
    ld.cat = NULL;

cleanup:
    if (doc_ready)
        yaml_document_delete(&doc);
    if (parser_ready)
        yaml_parser_delete(&parser);
    catalogue_free(ld.cat);
    return result;
}

proto_catalogue_t *proto_catalogue_load_file(const char *path, char *err,
                                             size_t err_len)
{
    loader_t ld = {
        .src = path ? path : "catalogue", .err = err, .err_len = err_len};
    char *buf = NULL;
    size_t len = 0;
    int fd = -1;
    proto_catalogue_t *result = NULL;
    if (err && err_len)
        err[0] = '\0';
    if (!path) {
        fail_at(&ld, 0, "no catalogue file given; pass a path");
        goto cleanup;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fail_at(&ld, 0,
                "cannot open the catalogue: %s; check the path and "
                "its permissions",
                strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        fail_at(&ld, 0,
                "is not a regular file; give the path of a YAML "
                "catalogue file");
        goto cleanup;
    }
    if ((uintmax_t)st.st_size > PROTO_CATALOGUE_MAX) {
        fail_at(&ld, 0,
                "the catalogue is %jd bytes, over the limit of %u bytes; "
                "shorten the guides or remove unused processes",
                (intmax_t)st.st_size, (unsigned)PROTO_CATALOGUE_MAX);
        goto cleanup;
    }
    /* Read to the end, one byte past the limit, in case the file grew
     * since fstat. */
    buf = proto_malloc(PROTO_CATALOGUE_MAX + 1);
    if (!buf) {
        fail_nomem(&ld);
        goto cleanup;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, PROTO_CATALOGUE_MAX + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail_at(&ld, 0, "cannot read the catalogue: %s; check the file",
                    strerror(errno));
            goto cleanup;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > PROTO_CATALOGUE_MAX) {
            fail_at(&ld, 0,
                    "the catalogue is over the limit of %u bytes; shorten "
                    "the guides or remove unused processes",
                    (unsigned)PROTO_CATALOGUE_MAX);
            goto cleanup;
        }
    }
    result = proto_catalogue_load_string(buf, len, path, err, err_len);

cleanup:
    if (fd >= 0)
        close(fd);
    proto_free(buf);
    return result;
}

void proto_catalogue_destroy(proto_catalogue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    catalogue_free((catalogue_impl_t *)*self_p);
    *self_p = NULL;
}

/* ---- Look-ups ------------------------------------------------------ */

const proto_site_t *proto_catalogue_site(const proto_catalogue_t *self,
                                         const char *site_id)
{
    if (!self || !site_id)
        return NULL;
    for (size_t i = 0; i < self->n_sites; i++)
        if (strcmp(self->sites[i].id, site_id) == 0)
            return &self->sites[i];
    return NULL;
}

const proto_staff_t *proto_catalogue_staff(const proto_site_t *site,
                                           const char *staff_id)
{
    if (!site || !staff_id)
        return NULL;
    for (size_t i = 0; i < site->n_staff; i++)
        if (strcmp(site->staff[i].id, staff_id) == 0)
            return &site->staff[i];
    return NULL;
}

const proto_team_t *proto_catalogue_team(const proto_site_t *site,
                                         const char *team_id)
{
    if (!site || !team_id)
        return NULL;
    for (size_t i = 0; i < site->n_teams; i++)
        if (strcmp(site->teams[i].id, team_id) == 0)
            return &site->teams[i];
    return NULL;
}

static int cmp_key_process(const void *key, const void *elem)
{
    return strcmp(key, (*(const proto_process_def_t *const *)elem)->id);
}

static int cmp_key_step(const void *key, const void *elem)
{
    return strcmp(key, (*(const proto_step_def_t *const *)elem)->id);
}

const proto_process_def_t *
proto_catalogue_process(const proto_catalogue_t *self, const char *id)
{
    if (!self || !id)
        return NULL;
    const catalogue_impl_t *cat = (const catalogue_impl_t *)self;
    const proto_process_def_t *const *hit =
        bsearch(id, cat->process_by_id, self->n_processes,
                sizeof *cat->process_by_id, cmp_key_process);
    return hit ? *hit : NULL;
}

const proto_step_def_t *proto_catalogue_step(const proto_catalogue_t *self,
                                             const char *id)
{
    if (!self || !id)
        return NULL;
    const catalogue_impl_t *cat = (const catalogue_impl_t *)self;
    const proto_step_def_t *const *hit =
        bsearch(id, cat->step_by_id, self->n_steps, sizeof *cat->step_by_id,
                cmp_key_step);
    return hit ? *hit : NULL;
}

const proto_measure_def_t *proto_step_measure(const proto_step_def_t *step,
                                              const char *key)
{
    if (!step || !key)
        return NULL;
    for (size_t i = 0; i < step->n_measures; i++)
        if (strcmp(step->measures[i].id, key) == 0)
            return &step->measures[i];
    return NULL;
}
