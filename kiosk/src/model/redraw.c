/*
 * redraw.c — whether the window loop must draw a frame, and when it must
 * next wake (kiosk_model_next_wake).
 *
 * The loop wakes for input and for the clock (idle timeout, the clock on
 * Home, sync reports) and the model rebuilds its widget tree each time,
 * but almost always to the same tree. Drawing and presenting that same
 * frame cost a full software render ten times a second on an idle kiosk;
 * hashing the tree costs a few microseconds. It lives in the model
 * library, without SDL, so that it is tested without a window.
 */
#include "kiosk/model.h"
#include "model_int.h"

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

/* Why the model says when to wake: the window loop used to wake every
 * 250 ms to let the clock, the idle timeout and the thanks screen act, so
 * each could be up to 250 ms late, and an idle kiosk woke four times a
 * second for nothing. Every timed change the model makes is listed here;
 * a new timer in kiosk_model_update must be added here too (the tests
 * check each one). */
int64_t kiosk_model_next_wake(const kiosk_model_t *m)
{
    int64_t now = m->now_ms;
    /* the clock shows local minutes (and the day's figures turn at local
     * midnight, also a minute boundary) */
    int64_t tz = (int64_t)m->tz_offset_s * 1000, local = now + tz;
    int64_t minute = local >= 0 ? local / 60000 : (local - 59999) / 60000;
    int64_t next = (minute + 1) * 60000 - tz;
    /* the idle timeout, under the conditions kiosk_model_update applies */
    bool idle = m->saving == SAVING_NONE &&
                ((m->screen != KIOSK_SCREEN_HOME &&
                  m->screen != KIOSK_SCREEN_FIRST_RUN) ||
                 (m->screen == KIOSK_SCREEN_HOME && m->staff));
    int64_t at = m->last_activity_ms + m->idle_timeout_ms;
    if (idle && at > now && at < next)
        next = at;
    at = m->thanks_at + KIOSK_THANKS_MS;
    if (m->screen == KIOSK_SCREEN_RATING_THANKS && at > now && at < next)
        next = at;
    /* a PIN lockout counts down in whole seconds on the PIN pad */
    for (size_t i = 0; i < m->n_pins; i++) {
        int64_t rem = m->pins[i].locked_until - now;
        if (rem > 0 && now + (rem - 1) % 1000 + 1 < next)
            next = now + (rem - 1) % 1000 + 1;
    }
    return next;
}
