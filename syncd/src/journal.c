/*
 * journal.c — the ingest journal's row format (see journal.h).
 */
#include "journal.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum {
    HAS_NOTE = 1,
    HAS_TITLE = 2,
    HAS_BODY = 4,
    HAS_TEAM = 8,
};

static const uint8_t magic[4] = {'S', 'W', 'J', 1};

/* ---- Writing */

static void put_u8(syncd_buf_t *b, unsigned v)
{
    char c = (char)(uint8_t)v;

    syncd_buf_add(b, &c, 1);
}

static void put_u32(syncd_buf_t *b, uint32_t v)
{
    char le[4];

    for (int i = 0; i < 4; i++)
        le[i] = (char)(uint8_t)(v >> (8 * i));
    syncd_buf_add(b, le, sizeof le);
}

static void put_u64(syncd_buf_t *b, uint64_t v)
{
    char le[8];

    for (int i = 0; i < 8; i++)
        le[i] = (char)(uint8_t)(v >> (8 * i));
    syncd_buf_add(b, le, sizeof le);
}

static void put_f64(syncd_buf_t *b, double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    put_u64(b, bits);
}

static void put_id(syncd_buf_t *b, const char *s)
{
    size_t len = strnlen(s, PROTO_ID_MAX + 1);

    if (len > PROTO_ID_MAX) { /* the store checked the batch: cannot be */
        b->oom = true;
        return;
    }
    put_u8(b, (unsigned)len);
    syncd_buf_add(b, s, len + 1);
}

static void put_text(syncd_buf_t *b, const char *s)
{
    size_t len = strlen(s);

    put_u32(b, (uint32_t)len);
    syncd_buf_add(b, s, len + 1);
}

static bool present(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static void put_item(syncd_buf_t *b, const syncd_ingest_item_t *it)
{
    const proto_event_t *ev = it->event;
    unsigned flags = (ev->note ? HAS_NOTE : 0) | (ev->title ? HAS_TITLE : 0) |
                     (ev->body ? HAS_BODY : 0) |
                     (present(it->team_id) ? HAS_TEAM : 0);

    put_u8(b, (unsigned)ev->type);
    put_u8(b, ev->quality);
    put_u8(b, ev->score);
    put_u8(b, (uint8_t)ev->vote);
    put_u8(b, ev->anonymous);
    put_u8(b, (unsigned)ev->kind);
    put_u8(b, ev->n_measures);
    put_u8(b, flags);
    put_u64(b, ev->seq);
    put_u64(b, (uint64_t)ev->captured_ms);
    put_u64(b, ev->boot_id);
    put_u64(b, ev->mono_ms);
    put_u64(b, ev->catalogue_version);
    put_f64(b, it->points);
    put_f64(b, it->points_cap);
    syncd_buf_add(b, it->day, 10);
    put_id(b, ev->staff_id);
    put_id(b, ev->step_id);
    put_id(b, ev->process_id);
    put_id(b, ev->suggestion_id);
    for (uint32_t m = 0; m < ev->n_measures; m++) {
        put_id(b, ev->measures[m].key);
        put_f64(b, ev->measures[m].value);
    }
    if (flags & HAS_NOTE)
        put_text(b, ev->note);
    if (flags & HAS_TITLE)
        put_text(b, ev->title);
    if (flags & HAS_BODY)
        put_text(b, ev->body);
    if (flags & HAS_TEAM)
        put_id(b, it->team_id);
}

void syncd_journal_encode(syncd_buf_t *b,
                          const syncd_ingest_item_t *const *items, size_t n)
{
    syncd_buf_add(b, (const char *)magic, sizeof magic);
    put_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n && !b->oom; i++)
        put_item(b, items[i]);
}

/* ---- Reading */

typedef struct {
    const uint8_t *p, *end;
    const char *what; /* the field being read, for the error */
    bool bad;
} rd_t;

static void fail_at(rd_t *r, const char *what)
{
    if (!r->bad) {
        r->bad = true;
        r->what = what;
    }
}

static const uint8_t *take(rd_t *r, size_t n, const char *what)
{
    const uint8_t *at = r->p;

    if (r->bad)
        return NULL;
    if ((size_t)(r->end - r->p) < n) {
        fail_at(r, what);
        return NULL;
    }
    r->p += n;
    return at;
}

static unsigned get_u8(rd_t *r, const char *what)
{
    const uint8_t *p = take(r, 1, what);

    return p ? p[0] : 0;
}

static uint64_t get_le(rd_t *r, int bytes, const char *what)
{
    const uint8_t *p = take(r, (size_t)bytes, what);
    uint64_t v = 0;

    for (int i = 0; p != NULL && i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static double get_f64(rd_t *r, const char *what)
{
    uint64_t bits = get_le(r, 8, what);
    double v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

/* A string of len bytes and its NUL; NULL (r->bad set) when it is not
 * there. */
static const char *get_str(rd_t *r, size_t len, const char *what)
{
    const uint8_t *p = take(r, len + 1, what);

    if (p != NULL && p[len] != '\0') {
        r->p = p; /* the error names where the string starts */
        fail_at(r, what);
        return NULL;
    }
    return (const char *)p;
}

/* An identifier left in the blob. */
static const char *get_id_at(rd_t *r, const char *what)
{
    size_t len = get_u8(r, what);

    return get_str(r, len, what);
}

/* An identifier copied into a field of size bytes. */
static void get_id(rd_t *r, char *dst, size_t size, const char *what)
{
    const char *s = get_id_at(r, what);
    size_t len = s ? strlen(s) : 0;

    if (s != NULL && len >= size)
        fail_at(r, what);
    else if (s != NULL)
        memcpy(dst, s, len + 1);
}

static char *get_text(rd_t *r, const char *what)
{
    size_t len = (size_t)get_le(r, 4, what);

    return (char *)get_str(r, len, what);
}

static void get_item(rd_t *r, proto_event_t *ev, syncd_ingest_item_t *it,
                     const char *kiosk_id)
{
    unsigned flags;
    const uint8_t *day;

    memset(ev, 0, sizeof *ev);
    memset(it, 0, sizeof *it);
    it->event = ev;
    snprintf(ev->kiosk_id, sizeof ev->kiosk_id, "%s", kiosk_id);
    ev->type = (proto_event_type_t)get_u8(r, "type");
    if (!r->bad &&
        (ev->type < PROTO_EV_CHECKIN || ev->type > PROTO_EV_RATING)) {
        r->p--; /* the error names the type's byte */
        fail_at(r, "type");
        return;
    }
    ev->quality = (uint8_t)get_u8(r, "quality");
    ev->score = (uint8_t)get_u8(r, "score");
    ev->vote = (int8_t)(uint8_t)get_u8(r, "vote");
    ev->anonymous = get_u8(r, "anonymous") != 0;
    ev->kind = (proto_suggestion_kind_t)get_u8(r, "kind");
    ev->n_measures = get_u8(r, "measures");
    flags = get_u8(r, "flags");
    ev->seq = get_le(r, 8, "seq");
    ev->captured_ms = (int64_t)get_le(r, 8, "captured_ms");
    ev->boot_id = get_le(r, 8, "boot_id");
    ev->mono_ms = get_le(r, 8, "mono_ms");
    ev->catalogue_version = get_le(r, 8, "catalogue_version");
    it->points = get_f64(r, "points");
    it->points_cap = get_f64(r, "points_cap");
    if ((day = take(r, 10, "day")) != NULL) {
        memcpy(it->day, day, 10);
        it->day[10] = '\0';
    }
    get_id(r, ev->staff_id, sizeof ev->staff_id, "staff_id");
    get_id(r, ev->step_id, sizeof ev->step_id, "step_id");
    get_id(r, ev->process_id, sizeof ev->process_id, "process_id");
    get_id(r, ev->suggestion_id, sizeof ev->suggestion_id, "suggestion_id");
    if (ev->n_measures > PROTO_MAX_MEASURES) {
        fail_at(r, "measures");
        return;
    }
    for (uint32_t m = 0; m < ev->n_measures; m++) {
        get_id(r, ev->measures[m].key, sizeof ev->measures[m].key,
               "measure key");
        ev->measures[m].value = get_f64(r, "measure value");
    }
    if (flags & HAS_NOTE)
        ev->note = get_text(r, "note");
    if (flags & HAS_TITLE)
        ev->title = get_text(r, "title");
    if (flags & HAS_BODY)
        ev->body = get_text(r, "body");
    if (flags & HAS_TEAM)
        it->team_id = get_id_at(r, "team_id");
}

int syncd_journal_decode(const uint8_t *text, size_t len, const char *kiosk_id,
                         proto_event_t *evs, syncd_ingest_item_t *items,
                         size_t max, size_t *n, char *why, size_t why_len)
{
    rd_t r = {text, text + len, NULL, false};
    const uint8_t *head = take(&r, sizeof magic, "magic");
    size_t count;

    *n = 0;
    if (head == NULL || memcmp(head, magic, sizeof magic) != 0) {
        snprintf(why, why_len,
                 "it does not start with the journal's "
                 "magic \"SWJ\" and version 1");
        return PROTO_EINVAL;
    }
    count = (size_t)get_le(&r, 4, "count");
    if (!r.bad && count > max) {
        snprintf(why, why_len, "it holds %zu events, more than %zu", count,
                 max);
        return PROTO_EINVAL;
    }
    for (size_t i = 0; i < count && !r.bad; i++)
        get_item(&r, &evs[i], &items[i], kiosk_id);
    if (!r.bad && r.p != r.end)
        fail_at(&r, "the end (bytes left over)");
    if (r.bad) {
        snprintf(why, why_len, "it breaks off or is malformed at %s, byte %zu",
                 r.what, (size_t)(r.p - text));
        return PROTO_EINVAL;
    }
    *n = count;
    return 0;
}
