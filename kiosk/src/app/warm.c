/*
 * warm.c — uses the kiosk's idle time to render the text of the screens
 * one tap away, so that the tap finds it cached.
 *
 * Why: a screen's first frame lays out and rasterises every string it
 * has not shown before (FreeType, HarfBuzz), which took up to 12 ms of
 * CPU on Home, longer than a frame; the frames after it take 1-5 ms
 * (docs/PERFORMANCE.md). A person takes a few hundred milliseconds
 * between taps, and the window loop has nothing to draw meanwhile.
 *
 * How: in slices of at most a budget (the window loop gives 2 ms, then
 * looks at its input again), for each tappable widget of the current
 * tree in drawing order, the model builds the screen that tap would open
 * (kiosk_model_preview_tap) and the view puts its text in the cache
 * (kiosk_view_prepare) with the exact size, colour and box the frame
 * will ask for. Nothing is drawn and nothing in the model changes, so
 * what the kiosk shows is the same with or without it; only the cost of
 * the first frame moves. The cache keeps a quarter of itself for what is
 * drawn, so preparing never pushes out the current screen's text.
 *
 * At start-up (kiosk_warm_home), before the first frame, Home's text is
 * prepared with no budget: Home is where the first-run screen, every
 * log-out and the idle timeout lead, and with nothing shown before it
 * its first frame was the slowest switch of all (11-12 ms of CPU, of
 * which 9 ms text; docs/PERFORMANCE.md). The cost moves into the
 * start-up, where it is counted as such.
 */
#include "app.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kiosk_warm {
    kiosk_view_t *view;
    uint64_t tree;  /* hash of the current tree the work is for */
    bool have_tree; /* tree is set */
    bool done;      /* nothing left for this tree */
    size_t tap;     /* the tappable widget being prepared */
    /* the tree that tap opens (the model keeps it until the next
     * preview), and its next widget to prepare */
    const kiosk_widget_t *pw;
    size_t pn, next;
};

kiosk_warm_t *kiosk_warm_new(kiosk_view_t *view)
{
    kiosk_warm_t *self = calloc(1, sizeof *self);
    if (self)
        self->view = view;
    return self;
}

void kiosk_warm_destroy(kiosk_warm_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int kiosk_warm_step(kiosk_warm_t *self, kiosk_model_t *m, uint64_t budget_ns)
{
    uint64_t t0 = mono_ns();
    size_t n;
    const kiosk_widget_t *cur = kiosk_model_widgets(m, &n);
    uint64_t h = kiosk_widgets_hash(cur, n);
    if (!self->have_tree || h != self->tree) {
        self->tree = h;
        self->have_tree = true;
        self->done = false;
        self->tap = 0;
        self->next = 0;
        self->pw = NULL;
    }
    bool first = true; /* the slice's first render may pass the budget */
    while (!self->done) {
        if (!self->pw) {
            while (self->tap < n && !(cur[self->tap].flags & KIOSK_WF_TAPPABLE))
                self->tap++;
            if (self->tap >= n) {
                self->done = true;
                break;
            }
            self->pw = kiosk_model_preview_tap(m, cur[self->tap].id, &self->pn);
            self->next = 0;
            if (!self->pw) { /* a tap that opens no screen foreseen */
                self->tap++;
                continue;
            }
        }
        uint64_t spent = mono_ns() - t0;
        if (!first && spent >= budget_ns)
            return 1;
        uint64_t left = spent < budget_ns ? budget_ns - spent : 0;
        int rc = kiosk_view_prepare(self->view, self->pw, self->pn, &self->next,
                                    left, &first);
        if (rc == 1)
            return 1;
        if (rc == 2) { /* the cache's share for this is full */
            self->done = true;
            break;
        }
        if (rc < 0)
            return -1;
        self->tap++;
        self->pw = NULL;
    }
    return 0;
}

/* Everything of one previewed tree, with no time budget. */
static int prepare_all(kiosk_warm_t *self, const kiosk_widget_t *w, size_t n)
{
    size_t next = 0;
    bool first = true;
    int rc;
    while ((rc = kiosk_view_prepare(self->view, w, n, &next, UINT64_MAX,
                                    &first)) == 1)
        first = true;
    return rc < 0 ? -1 : 0;
}

int kiosk_warm_home(kiosk_warm_t *self, kiosk_model_t *m)
{
    /* the previews below replace the tree a slice may be half-way
     * through: the next slice starts over */
    self->have_tree = false;
    self->pw = NULL;
    size_t n;
    const kiosk_widget_t *w = kiosk_model_preview_home(m, &n);
    if (!w || prepare_all(self, w, n) != 0)
        return -1;
    /* The faces' textures: met with no idle time before it, the faces
     * screen's first frame made them (12-14 ms). A site without staff
     * has no faces screen. */
    w = kiosk_model_preview_faces(m, &n);
    return w ? prepare_all(self, w, n) : 0;
}
