/*
 * redraw.c — whether the window loop must draw a frame.
 *
 * The loop wakes for input and for the clock (idle timeout, the clock on
 * Home, sync reports) and the model rebuilds its widget tree each time,
 * but almost always to the same tree. Drawing and presenting that same
 * frame cost a full software render ten times a second on an idle kiosk;
 * hashing the tree costs a few microseconds. It lives in the model
 * library, without SDL, so that it is tested without a window.
 */
#include "kiosk/model.h"

#include <string.h>

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* Field by field, never the struct's bytes: padding and the unused tail
 * of id and text are not part of what is drawn. */
static uint64_t fnv_int(uint64_t h, long long v)
{
    return fnv(h, &v, sizeof v);
}

/* A string and its end, so that "ab"+"c" and "a"+"bc" differ. */
static uint64_t fnv_str(uint64_t h, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    return fnv_int(fnv(h, s, n), (long long)n);
}

uint64_t kiosk_widgets_hash(const kiosk_widget_t *w, size_t n)
{
    uint64_t h = fnv_int(FNV_OFFSET, (long long)n);
    for (size_t i = 0; w && i < n; i++) {
        const kiosk_widget_t *x = &w[i];
        h = fnv_str(h, x->id, sizeof x->id);
        h = fnv_int(h, x->kind);
        h = fnv_int(h, x->x);
        h = fnv_int(h, x->y);
        h = fnv_int(h, x->w);
        h = fnv_int(h, x->h);
        h = fnv_int(h, x->font_px);
        h = fnv_int(h, x->flags);
        h = fnv_int(h, x->tone);
        h = fnv_int(h, x->value);
        h = fnv_int(h, x->aux);
        h = fnv_int(h, x->parent);
        h = fnv_str(h, x->text, sizeof x->text);
    }
    return h;
}

bool kiosk_redraw_needed(const kiosk_redraw_t *r, uint64_t hash, int w, int h)
{
    return !r->drawn || r->damaged || r->hash != hash || r->w != w || r->h != h;
}

void kiosk_redraw_done(kiosk_redraw_t *r, uint64_t hash, int w, int h)
{
    r->hash = hash;
    r->w = w;
    r->h = h;
    r->drawn = true;
    r->damaged = false;
}
