/*
 * tool_schema_doc.c — proto-schema-doc: the reference tables of
 * docs/PROTOCOL.md, printed from the schema.
 *
 * The specification's tables (limits, messages, events, error and
 * rejection codes, the worked example's bytes) are generated, so that they
 * cannot drift from the code that enforces them. Each lives between
 * `<!-- schema:begin NAME -->` and `<!-- schema:end NAME -->` in the
 * document; the prose around them is written by hand.
 *
 *   proto-schema-doc                  print every block
 *   proto-schema-doc --check FILE     exit 1 when a block in FILE differs
 *   proto-schema-doc --update FILE    rewrite the blocks of FILE in place
 *
 * A ctest runs --check, so a schema change without a docs update fails.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "schema.h"

/* ---- Formatting helpers ---------------------------------------------- */

static void fmt_u64(char *out, size_t n, uint64_t v)
{
    if (v == UINT64_MAX)
        snprintf(out, n, "2^64−1");
    else if (v == (uint64_t)INT64_MAX)
        snprintf(out, n, "2^63−1");
    else if (v == UINT32_MAX)
        snprintf(out, n, "2^32−1");
    else if (v == (uint64_t)INT32_MAX)
        snprintf(out, n, "2^31−1");
    else
        snprintf(out, n, "%" PRIu64, v);
}

static void fmt_i64(char *out, size_t n, int64_t v)
{
    if (v == INT64_MIN)
        snprintf(out, n, "−2^63");
    else if (v == INT32_MIN)
        snprintf(out, n, "−2^31");
    else if (v < 0)
        snprintf(out, n, "−%" PRIu64, (uint64_t)(-(v + 1)) + 1);
    else
        fmt_u64(out, n, (uint64_t)v);
}

static void fmt_bytes(char *out, size_t n, uint64_t min, uint64_t max)
{
    if (min == 0)
        snprintf(out, n, "≤ %" PRIu64 " bytes", max);
    else
        snprintf(out, n, "%" PRIu64 "–%" PRIu64 " bytes", min, max);
}

static void field_type(const schema_field_t *f, char *out, size_t n)
{
    switch (f->type) {
    case SCHEMA_UINT:
        snprintf(out, n, "uint");
        break;
    case SCHEMA_INT:
        snprintf(out, n, "int");
        break;
    case SCHEMA_BOOL:
        snprintf(out, n, "bool");
        break;
    case SCHEMA_STR:
    case SCHEMA_HSTR:
    case SCHEMA_LSTR:
        snprintf(out, n, "str");
        break;
    case SCHEMA_ENUM: {
        size_t at = (size_t)snprintf(out, n, "str:");
        for (int v = 1; v < f->names->count && at < n; v++)
            at += (size_t)snprintf(out + at, n - at, "%s `%s`",
                                   v > 1 ? " or" : "", f->names->names[v]);
        break;
    }
    case SCHEMA_MEASURES:
        snprintf(out, n, "map str → number");
        break;
    case SCHEMA_ARGS:
        snprintf(out, n, "map str → str");
        break;
    case SCHEMA_ARRAY:
        snprintf(out, n, "array of `%s`", f->elem->name);
        break;
    case SCHEMA_EVENTS:
        snprintf(out, n, "array of event (§5)");
        break;
    }
}

static void field_bounds(const schema_field_t *f, char *out, size_t n)
{
    char a[32], b[32];
    switch (f->type) {
    case SCHEMA_UINT:
        fmt_u64(a, sizeof(a), f->umin);
        fmt_u64(b, sizeof(b), f->umax);
        snprintf(out, n, "%s … %s", a, b);
        break;
    case SCHEMA_INT:
        fmt_i64(a, sizeof(a), f->imin);
        fmt_i64(b, sizeof(b), f->imax);
        snprintf(out, n, "%s … %s", a, b);
        break;
    case SCHEMA_BOOL:
    case SCHEMA_ENUM:
        snprintf(out, n, "—");
        break;
    case SCHEMA_STR:
    case SCHEMA_HSTR:
    case SCHEMA_LSTR:
        fmt_bytes(out, n, f->umin, f->umax);
        break;
    case SCHEMA_MEASURES:
        snprintf(out, n,
                 "≤ %" PRIu64 " entries; keys 1–%d bytes; values finite, ≥ 0",
                 f->umax, PROTO_KEY_MAX);
        break;
    case SCHEMA_ARGS:
        snprintf(out, n,
                 "≤ %" PRIu64 " entries; keys 1–%d bytes; values ≤ %u bytes",
                 f->umax, PROTO_KEY_MAX, PROTO_ADMIN_VALUE_MAX);
        break;
    case SCHEMA_ARRAY:
    case SCHEMA_EVENTS:
        snprintf(out, n, "≤ %" PRIu64 " elements", f->umax);
        break;
    }
}

static void table_head(FILE *o)
{
    fprintf(o, "| key | type | required | bounds | meaning |\n"
               "|---|---|---|---|---|\n");
}

static void table_rows(FILE *o, const schema_struct_t *s)
{
    char type[128], bounds[160];
    for (size_t i = 0; i < s->n_fields; i++) {
        const schema_field_t *f = &s->fields[i];
        field_type(f, type, sizeof(type));
        field_bounds(f, bounds, sizeof(bounds));
        fprintf(o, "| `%s` | %s | %s | %s | %s |\n", f->key, type,
                f->required ? "yes" : "no", bounds, f->doc);
    }
}

/* ---- Blocks ----------------------------------------------------------- */

static void block_limits(FILE *o)
{
    fprintf(o, "| limit | value | what it bounds |\n|---|---|---|\n");
    for (size_t i = 0; i < schema_n_limits; i++) {
        const schema_limit_t *l = &schema_limits[i];
        char extra[32] = "";
        if (l->value >= (1u << 20) && l->value % (1u << 20) == 0)
            snprintf(extra, sizeof(extra), " (%" PRIu64 " MiB)",
                     l->value >> 20);
        fprintf(o, "| `%s` | %" PRIu64 " %s%s | %s |\n", l->name, l->value,
                l->unit, extra, l->doc);
    }
}

static void block_messages(FILE *o)
{
    for (size_t i = 0; i < schema_n_msgs; i++) {
        const schema_msg_t *m = &schema_msgs[i];
        fprintf(o, "%s### 4.%zu %s (id %d, %s)\n\n%s\n\n", i ? "\n" : "", i + 1,
                m->body.name, m->id, m->direction, m->body.doc);
        table_head(o);
        table_rows(o, &m->body);
        for (size_t k = 0; k < m->body.n_fields; k++) {
            const schema_field_t *f = &m->body.fields[k];
            if (f->type != SCHEMA_ARRAY)
                continue;
            fprintf(o, "\nEach element of `%s` is a `%s` map. %s\n\n", f->key,
                    f->elem->name, f->elem->doc);
            table_head(o);
            table_rows(o, f->elem);
        }
    }
}

static void block_events(FILE *o)
{
    fprintf(o, "### 5.1 Fields of every event\n\n%s\n\n",
            schema_event_common.doc);
    table_head(o);
    fprintf(o, "| `type` | str:");
    for (size_t e = 0; e < schema_n_events; e++)
        fprintf(o, "%s `%s`", e ? "," : "", schema_events[e].body.name);
    fprintf(o, " | yes | — | event type; selects the fields below |\n");
    table_rows(o, &schema_event_common);
    for (size_t e = 0; e < schema_n_events; e++) {
        const schema_event_t *v = &schema_events[e];
        fprintf(o, "\n### 5.%zu %s (type \"%s\")\n\n%s\n\n", e + 2,
                v->body.name, v->body.name, v->body.doc);
        table_head(o);
        table_rows(o, &v->body);
    }
}

static void block_errors(FILE *o)
{
    fprintf(o, "| code | name | meaning |\n|---|---|---|\n");
#define ROW(name, num, text)                                                   \
    fprintf(o, "| -%d | `%s` | %s |\n", num, #name, text);
    PROTO_ERRNO_MAP(ROW)
#undef ROW
}

static void block_rejects(FILE *o)
{
    fprintf(o, "| code | name | meaning |\n|---|---|---|\n");
#define ROW(name, num, text)                                                   \
    fprintf(o, "| %d | `%s` | %s |\n", num, #name, text);
    PROTO_REJECT_MAP(ROW)
#undef ROW
}

/* msgpack text notation of the examples: JSON-like, integers as written,
 * floats with a decimal point. */
static void print_object(FILE *o, const msgpack_object *v)
{
    switch (v->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        fprintf(o, "%" PRIu64, v->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        fprintf(o, "%" PRId64, v->via.i64);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        fprintf(o, v->via.boolean ? "true" : "false");
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        fprintf(o, "%.17g", v->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        fprintf(o, "\"%.*s\"", (int)v->via.str.size, v->via.str.ptr);
        break;
    case MSGPACK_OBJECT_ARRAY:
        fprintf(o, "[");
        for (uint32_t i = 0; i < v->via.array.size; i++) {
            fprintf(o, i ? ", " : "");
            print_object(o, &v->via.array.ptr[i]);
        }
        fprintf(o, "]");
        break;
    case MSGPACK_OBJECT_MAP:
        fprintf(o, "{");
        for (uint32_t i = 0; i < v->via.map.size; i++) {
            fprintf(o, i ? ", " : "");
            print_object(o, &v->via.map.ptr[i].key);
            fprintf(o, ": ");
            print_object(o, &v->via.map.ptr[i].val);
        }
        fprintf(o, "}");
        break;
    default:
        fprintf(o, "?");
        break;
    }
}

static int example(FILE *o, const char *title, const proto_msg_t *msg)
{
    uint8_t *buf;
    size_t len;
    int rc = proto_encode(msg, &buf, &len);
    if (rc < 0) {
        fprintf(stderr, "proto-schema-doc: cannot encode the %s example: %s\n",
                title, proto_strerror(rc));
        return rc;
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    if (msgpack_unpack_next(&u, (const char *)buf, len, &off) !=
        MSGPACK_UNPACK_SUCCESS) {
        msgpack_unpacked_destroy(&u);
        proto_free(buf);
        return PROTO_EMALFORMED;
    }
    fprintf(o, "**%s** (%zu bytes):\n\n```\n", title, len);
    print_object(o, &u.data);
    fprintf(o, "\n```\n\n```\n");
    for (size_t i = 0; i < len; i += 16) {
        fprintf(o, "%04zx ", i);
        for (size_t k = i; k < i + 16; k++) {
            if (k < len)
                fprintf(o, " %02x", buf[k]);
            else
                fprintf(o, "   ");
        }
        fprintf(o, "  ");
        for (size_t k = i; k < i + 16 && k < len; k++)
            fputc(buf[k] >= 0x20 && buf[k] < 0x7f ? buf[k] : '.', o);
        fprintf(o, "\n");
    }
    fprintf(o, "```\n");
    msgpack_unpacked_destroy(&u);
    proto_free(buf);
    return 0;
}

static int block_example(FILE *o)
{
    proto_msg_t hello = {.type = PROTO_MSG_HELLO};
    hello.u.hello.version = 1;
    strcpy(hello.u.hello.kiosk_id, "k01");
    strcpy(hello.u.hello.app_version, "0.1.0");
    hello.u.hello.catalogue_version = 1;
    hello.u.hello.last_seq = 41;
    hello.u.hello.outbox_depth = 1;
    hello.u.hello.oldest_unsent_s = 95;
    hello.u.hello.kiosk_time_ms = 1764230400000;
    hello.u.hello.feed_cursor = 17;

    proto_msg_t welcome = {.type = PROTO_MSG_WELCOME};
    welcome.u.welcome.version = 1;
    welcome.u.welcome.acked_seq = 41;
    welcome.u.welcome.catalogue_version = 1;
    welcome.u.welcome.feed_cursor = 17;
    welcome.u.welcome.server_time_ms = 1764230400120;
    welcome.u.welcome.heartbeat_ms = 15000;

    proto_event_t ev = {.type = PROTO_EV_CHECKIN,
                        .seq = 42,
                        .captured_ms = 1764230305000,
                        .boot_id = 0x2f9c0d41e37a5b68ull,
                        .mono_ms = 3600000,
                        .catalogue_version = 1,
                        .n_measures = 2,
                        .quality = 4};
    strcpy(ev.kiosk_id, "k01");
    strcpy(ev.staff_id, "liu-yang");
    strcpy(ev.step_id, "tm-call");
    strcpy(ev.measures[0].key, "calls");
    ev.measures[0].value = 35;
    strcpy(ev.measures[1].key, "effective_calls");
    ev.measures[1].value = 6;
    ev.note = "名单新";
    proto_msg_t push = {.type = PROTO_MSG_PUSH};
    push.u.push.n_events = 1;
    push.u.push.events = &ev;

    proto_msg_t ack = {.type = PROTO_MSG_ACK};
    ack.u.ack.acked_seq = 42;

    fprintf(o, "A kiosk with one check-in waiting opens a session:\n\n");
    int rc = example(o, "HELLO", &hello);
    if (rc == 0) {
        fprintf(o, "\nThe server has stored up to seq 41:\n\n");
        rc = example(o, "WELCOME", &welcome);
    }
    if (rc == 0) {
        fprintf(o, "\nThe kiosk sends its waiting check-in, seq 42 (35 calls, "
                   "6 effective calls, quality 4, note \"名单新\", \"the list is "
                   "fresh\"):\n\n");
        rc = example(o, "PUSH", &push);
    }
    if (rc == 0) {
        fprintf(o, "\nAfter COMMIT the server acknowledges it; the kiosk "
                   "deletes seq 42 from its outbox:\n\n");
        rc = example(o, "ACK", &ack);
    }
    return rc;
}

/* The generated blocks, in document order: tables that cannot fail, and
 * the worked example that encodes (and can fail). */
static const struct {
    const char *name;
    void (*table)(FILE *);
    int (*example)(FILE *);
} blocks[] = {
    {"limits", block_limits, NULL},   {"messages", block_messages, NULL},
    {"events", block_events, NULL},   {"errors", block_errors, NULL},
    {"rejects", block_rejects, NULL}, {"example", NULL, block_example},
};

/* One block with its markers, in a malloc'd string. */
static char *render(size_t i)
{
    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&text, &len);
    if (!o)
        return NULL;
    fprintf(o, "<!-- schema:begin %s -->\n", blocks[i].name);
    int rc = 0;
    if (blocks[i].example)
        rc = blocks[i].example(o);
    else
        blocks[i].table(o);
    fprintf(o, "<!-- schema:end %s -->\n", blocks[i].name);
    if (fclose(o) != 0 || rc < 0) {
        free(text);
        return NULL;
    }
    return text;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = t;
        }
        size_t n = fread(text + *len, 1, cap - *len - 1, f);
        *len += n;
        if (n == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(text);
        return NULL;
    }
    text[*len] = '\0';
    return text;
}

/* Finds the block NAME in doc: [*start, *end) covers both marker lines. */
static int find_block(const char *doc, const char *name, size_t *start,
                      size_t *end)
{
    char begin[128], stop[128];
    snprintf(begin, sizeof(begin), "<!-- schema:begin %s -->\n", name);
    snprintf(stop, sizeof(stop), "<!-- schema:end %s -->\n", name);
    const char *b = strstr(doc, begin);
    const char *e = b ? strstr(b, stop) : NULL;
    if (!b || !e)
        return -1;
    *start = (size_t)(b - doc);
    *end = (size_t)(e - doc) + strlen(stop);
    return 0;
}

static int check_or_update(const char *path, bool update)
{
    size_t len;
    char *doc = read_file(path, &len);
    if (!doc) {
        fprintf(stderr, "proto-schema-doc: cannot read %s\n", path);
        return 1;
    }
    int stale = 0;
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        size_t start, end;
        char *want = render(i);
        if (!want) {
            fprintf(stderr, "proto-schema-doc: cannot render block %s\n",
                    blocks[i].name);
            free(doc);
            return 1;
        }
        if (find_block(doc, blocks[i].name, &start, &end) != 0) {
            fprintf(stderr,
                    "%s: no block \"<!-- schema:begin %s -->\" ... "
                    "\"<!-- schema:end %s -->\"; add the two marker lines "
                    "where the generated table belongs\n",
                    path, blocks[i].name, blocks[i].name);
            free(want);
            free(doc);
            return 1;
        }
        size_t wl = strlen(want);
        if (end - start != wl || memcmp(doc + start, want, wl) != 0) {
            stale++;
            if (update) {
                char *next = malloc(len - (end - start) + wl + 1);
                if (!next) {
                    free(want);
                    free(doc);
                    return 1;
                }
                memcpy(next, doc, start);
                memcpy(next + start, want, wl);
                memcpy(next + start + wl, doc + end, len - end + 1);
                len = len - (end - start) + wl;
                free(doc);
                doc = next;
            } else {
                fprintf(stderr,
                        "%s: the \"%s\" block differs from the schema "
                        "(protocol/src/schema.c); run: proto-schema-doc "
                        "--update %s\n",
                        path, blocks[i].name, path);
            }
        }
        free(want);
    }
    int rc = 0;
    if (update && stale) {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(doc, 1, len, f) != len || fclose(f) != 0) {
            fprintf(stderr, "proto-schema-doc: cannot write %s\n", path);
            rc = 1;
        } else {
            printf("proto-schema-doc: %d block(s) of %s updated\n", stale,
                   path);
        }
    } else if (!update && stale) {
        rc = 1;
    }
    free(doc);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 1) {
        for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
            char *text = render(i);
            if (!text)
                return 1;
            printf("%s\n", text);
            free(text);
        }
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--check") == 0)
        return check_or_update(argv[2], false);
    if (argc == 3 && strcmp(argv[1], "--update") == 0)
        return check_or_update(argv[2], true);
    fprintf(stderr, "usage: proto-schema-doc [--check FILE | --update FILE]\n");
    return 2;
}
