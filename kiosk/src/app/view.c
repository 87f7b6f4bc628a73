/*
 * view.c — draws the model's widget tree with the SDL2 renderer.
 *
 * The view reads widgets and draws; it decides nothing. Shapes (rounded
 * rectangles, stars, faces, progress bars, switches, PIN dots) are drawn
 * with SDL_RenderGeometry triangle fans so they look the same on the
 * software renderer of headless runs and on the GPU. Colours are chosen
 * for contrast: dark text on light surfaces, white on the dark header and
 * on filled primary buttons.
 */
#include "app.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

struct kiosk_view {
    kiosk_textcache_t *text;
    kiosk_text_report_t *rep;
    size_t n_rep, cap_rep;
};

static const SDL_Color BG = {0xEE, 0xF1, 0xF5, 0xFF};
static const SDL_Color SURFACE = {0xFF, 0xFF, 0xFF, 0xFF};
static const SDL_Color BORDER = {0x8A, 0x96, 0xA3, 0xFF};
static const SDL_Color INK = {0x11, 0x18, 0x27, 0xFF};
static const SDL_Color MUTED = {0x4B, 0x55, 0x63, 0xFF};
static const SDL_Color HEADER = {0x1E, 0x33, 0x50, 0xFF};
static const SDL_Color WHITE = {0xFF, 0xFF, 0xFF, 0xFF};
static const SDL_Color PRIMARY = {0x0B, 0x57, 0xD0, 0xFF};
static const SDL_Color PRIMARY_SOFT = {0xDC, 0xE8, 0xFC, 0xFF};
static const SDL_Color OK = {0x16, 0x7A, 0x3A, 0xFF};
static const SDL_Color WARN = {0xA8, 0x4B, 0x00, 0xFF};
static const SDL_Color DANGER = {0xB4, 0x1C, 0x1C, 0xFF};
static const SDL_Color DISABLED_BG = {0xD6, 0xDA, 0xE0, 0xFF};
static const SDL_Color DISABLED_INK = {0x5F, 0x68, 0x73, 0xFF};
static const SDL_Color GOLD = {0xE8, 0xA3, 0x00, 0xFF};
static const SDL_Color TRACK = {0xCF, 0xD5, 0xDD, 0xFF};

/* accents of the seven home tiles */
static const SDL_Color ACCENTS[] = {
    {0x0B, 0x57, 0xD0, 0xFF}, {0xA8, 0x4B, 0x00, 0xFF},
    {0x6D, 0x28, 0xD9, 0xFF}, {0x16, 0x7A, 0x3A, 0xFF},
    {0x0E, 0x74, 0x90, 0xFF}, {0xBE, 0x18, 0x5D, 0xFF},
    {0x33, 0x41, 0x55, 0xFF},
};

kiosk_view_t *kiosk_view_new(kiosk_textcache_t *text)
{
    kiosk_view_t *self = calloc(1, sizeof *self);
    if (self)
        self->text = text;
    return self;
}

void kiosk_view_destroy(kiosk_view_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->rep);
    free(*self_p);
    *self_p = NULL;
}

const kiosk_text_report_t *kiosk_view_reports(const kiosk_view_t *self,
                                              size_t *n)
{
    *n = self->n_rep;
    return self->rep;
}

static SDL_Color tone_colour(kiosk_tone_t t)
{
    switch (t) {
    case KIOSK_TONE_PRIMARY:
        return PRIMARY;
    case KIOSK_TONE_OK:
        return OK;
    case KIOSK_TONE_WARN:
        return WARN;
    case KIOSK_TONE_DANGER:
        return DANGER;
    case KIOSK_TONE_MUTED:
        return MUTED;
    case KIOSK_TONE_HEADER:
        return WHITE;
    default:
        return INK;
    }
}

/* A convex polygon as a triangle fan around its centre. */
static void fill_poly(SDL_Renderer *r, const SDL_FPoint *pts, int n,
                      SDL_FPoint centre, SDL_Color c)
{
    SDL_Vertex v[200];
    int idx[600];
    if (n > 198)
        n = 198;
    v[0].position = centre;
    v[0].color = c;
    for (int i = 0; i < n; i++) {
        v[i + 1].position = pts[i];
        v[i + 1].color = c;
        v[i + 1].tex_coord.x = v[i + 1].tex_coord.y = 0;
        idx[3 * i] = 0;
        idx[3 * i + 1] = i + 1;
        idx[3 * i + 2] = (i + 1) % n + 1;
    }
    v[0].tex_coord.x = v[0].tex_coord.y = 0;
    SDL_RenderGeometry(r, NULL, v, n + 1, idx, 3 * n);
}

/* A convex polygon as horizontal spans, one filled rectangle per run of
 * rows that share a span: a pixel is filled when its centre lies inside,
 * the same rule as the triangle rasteriser's. Why not a triangle fan: the
 * software renderer rasterises triangles pixel by pixel with edge
 * functions, which for the large rounded panels was three quarters of a
 * frame, while a rectangle fill is a run of stores; a rounded box becomes
 * one rectangle for its straight middle and a few dozen short spans for
 * its corners. */
static void fill_convex(SDL_Renderer *r, const SDL_FPoint *pts, int n,
                        SDL_Color c)
{
    SDL_Rect spans[256];
    int ns = 0;
    float ymin = pts[0].y, ymax = pts[0].y;
    for (int i = 1; i < n; i++) {
        if (pts[i].y < ymin)
            ymin = pts[i].y;
        if (pts[i].y > ymax)
            ymax = pts[i].y;
    }
    SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
    for (int y = (int)ceilf(ymin - 0.5f); (float)y + 0.5f < ymax; y++) {
        float yc = (float)y + 0.5f, xl = 0, xr = 0;
        bool any = false;
        for (int i = 0; i < n; i++) {
            SDL_FPoint a = pts[i], b = pts[(i + 1) % n];
            if ((a.y <= yc && b.y > yc) || (b.y <= yc && a.y > yc)) {
                float x = a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y);
                if (!any || x < xl)
                    xl = x;
                if (!any || x > xr)
                    xr = x;
                any = true;
            }
        }
        if (!any)
            continue;
        int x0 = (int)ceilf(xl - 0.5f), x1 = (int)ceilf(xr - 0.5f);
        if (x1 <= x0)
            continue;
        if (ns > 0 && spans[ns - 1].x == x0 && spans[ns - 1].w == x1 - x0 &&
            spans[ns - 1].y + spans[ns - 1].h == y) {
            spans[ns - 1].h++;
            continue;
        }
        if (ns == (int)(sizeof spans / sizeof spans[0])) {
            SDL_RenderFillRects(r, spans, ns);
            ns = 0;
        }
        spans[ns++] = (SDL_Rect){x0, y, x1 - x0, 1};
    }
    if (ns > 0)
        SDL_RenderFillRects(r, spans, ns);
}

static void fill_round(SDL_Renderer *r, SDL_FRect b, float rad, SDL_Color c)
{
    SDL_FPoint pts[4 * 9];
    int n = 0;
    if (rad * 2 > b.w)
        rad = b.w / 2;
    if (rad * 2 > b.h)
        rad = b.h / 2;
    const float cx[4] = {b.x + b.w - rad, b.x + rad, b.x + rad,
                         b.x + b.w - rad};
    const float cy[4] = {b.y + rad, b.y + rad, b.y + b.h - rad,
                         b.y + b.h - rad};
    for (int q = 0; q < 4; q++)
        for (int k = 0; k <= 8; k++) {
            double a = (q * 90 + k * 90.0 / 8) * PI / 180;
            pts[n].x = cx[q] + (float)(cos(a) * rad);
            pts[n].y = cy[q] - (float)(sin(a) * rad);
            n++;
        }
    fill_convex(r, pts, n, c);
}

static void round_box(SDL_Renderer *r, SDL_Rect w, float rad, SDL_Color fill,
                      SDL_Color border, float bw)
{
    SDL_FRect b = {(float)w.x, (float)w.y, (float)w.w, (float)w.h};
    if (bw > 0) {
        fill_round(r, b, rad, border);
        b.x += bw;
        b.y += bw;
        b.w -= 2 * bw;
        b.h -= 2 * bw;
        rad = rad > bw ? rad - bw : 0;
    }
    fill_round(r, b, rad, fill);
}

static void circle(SDL_Renderer *r, float x, float y, float rad, SDL_Color c)
{
    SDL_FPoint pts[48];
    for (int i = 0; i < 48; i++) {
        pts[i].x = x + (float)(cos(i * 2 * PI / 48) * rad);
        pts[i].y = y + (float)(sin(i * 2 * PI / 48) * rad);
    }
    SDL_FPoint centre = {x, y};
    fill_poly(r, pts, 48, centre, c);
}

static void star(SDL_Renderer *r, SDL_Rect w, bool filled)
{
    float cx = w.x + w.w / 2.0f, cy = w.y + w.h / 2.0f + w.h * 0.04f;
    float ro = (w.w < w.h ? w.w : w.h) * 0.46f, ri = ro * 0.45f;
    SDL_FPoint pts[10];
    for (int i = 0; i < 10; i++) {
        double a = -PI / 2 + i * PI / 5;
        float rr = i % 2 ? ri : ro;
        pts[i].x = cx + (float)(cos(a) * rr);
        pts[i].y = cy + (float)(sin(a) * rr);
    }
    SDL_FPoint centre = {cx, cy};
    fill_poly(r, pts, 10, centre, filled ? GOLD : BORDER);
    if (!filled) {
        /* hollow: the inside in the background colour */
        for (int i = 0; i < 10; i++) {
            pts[i].x = cx + (pts[i].x - cx) * 0.72f;
            pts[i].y = cy + (pts[i].y - cy) * 0.72f;
        }
        fill_poly(r, pts, 10, centre, BG);
    }
}

/* A face: colour from red (1) to green (5), eyes, and a mouth whose
 * curve goes from a frown to a smile. */
static void face(SDL_Renderer *r, SDL_Rect w, int v, bool selected)
{
    static const SDL_Color colours[5] = {{0xC6, 0x28, 0x28, 0xFF},
                                         {0xEF, 0x6C, 0x00, 0xFF},
                                         {0xF9, 0xA8, 0x25, 0xFF},
                                         {0x7C, 0xB3, 0x42, 0xFF},
                                         {0x2E, 0x7D, 0x32, 0xFF}};
    if (v < 1 || v > 5)
        v = 3;
    float cx = w.x + w.w / 2.0f, cy = w.y + w.h / 2.0f;
    float rad = (w.w < w.h ? w.w : w.h) * 0.47f;
    if (selected)
        circle(r, cx, cy, rad * 1.06f, INK);
    circle(r, cx, cy, rad, colours[v - 1]);
    SDL_Color dark = {0x1A, 0x1A, 0x1A, 0xFF};
    circle(r, cx - rad * 0.35f, cy - rad * 0.22f, rad * 0.11f, dark);
    circle(r, cx + rad * 0.35f, cy - rad * 0.22f, rad * 0.11f, dark);
    float curve = (v - 3) * 0.12f; /* + smile, - frown */
    float th = rad * 0.07f;
    for (int i = 0; i <= 24; i++) {
        float t = i / 24.0f * 2 - 1; /* -1..1 */
        float x = cx + t * rad * 0.45f;
        float y = cy + rad * 0.38f + curve * rad * (1 - t * t) -
                  (v == 3 ? 0 : curve * rad * 0.5f);
        circle(r, x, y, th, dark);
    }
}

static void draw_text(kiosk_view_t *self, const kiosk_widget_t *w, SDL_Rect box,
                      SDL_Color ink, kiosk_text_report_t *rep)
{
    int align = (w->flags & KIOSK_WF_LEFT)    ? -1
                : (w->flags & KIOSK_WF_RIGHT) ? 1
                                              : 0;
    kiosk_textcache_draw(self->text, w->text, w->font_px, ink, box,
                         (w->flags & KIOSK_WF_MULTILINE) != 0, align, rep);
}

static SDL_Rect inset(SDL_Rect r, int dx, int dy)
{
    SDL_Rect o = {r.x + dx, r.y + dy, r.w - 2 * dx, r.h - 2 * dy};
    return o;
}

static void draw_one(kiosk_view_t *self, SDL_Renderer *r,
                     const kiosk_widget_t *w, kiosk_text_report_t *rep)
{
    SDL_Rect b = {w->x, w->y, w->w, w->h};
    int shortest = w->w < w->h ? w->w : w->h;
    float rad = shortest * 0.16f;
    int pad = w->font_px / 2 > 4 ? w->font_px / 2 : 4;
    bool disabled = w->flags & KIOSK_WF_DISABLED;
    bool selected = w->flags & KIOSK_WF_SELECTED;
    float bw = shortest > 60 ? 3 : 2;
    SDL_Color ink = tone_colour(w->tone);
    switch (w->kind) {
    case KIOSK_W_PANEL:
        if (w->tone == KIOSK_TONE_HEADER) {
            SDL_SetRenderDrawColor(r, HEADER.r, HEADER.g, HEADER.b, 255);
            SDL_RenderFillRect(r, &b);
        } else if (w->parent < 0 && w->x == 0 && w->y == 0) {
            SDL_SetRenderDrawColor(r, BG.r, BG.g, BG.b, 255);
            SDL_RenderFillRect(r, &b);
        } else {
            round_box(r, b, 12, SURFACE, BORDER, 2);
        }
        return;
    case KIOSK_W_LABEL:
        draw_text(self, w, b, ink, rep);
        return;
    case KIOSK_W_TILE: {
        SDL_Color accent = ACCENTS[(unsigned)w->value % 7];
        SDL_Color fill = w->tone == KIOSK_TONE_PRIMARY ? PRIMARY : SURFACE;
        if (disabled)
            fill = DISABLED_BG;
        round_box(r, b, 16, fill, disabled ? BORDER : accent, 3);
        if (w->tone != KIOSK_TONE_PRIMARY && !disabled) {
            SDL_Rect bar = {b.x + 3, b.y + 14, (int)(b.w * 0.02f) + 6,
                            b.h - 28};
            SDL_SetRenderDrawColor(r, accent.r, accent.g, accent.b, 255);
            SDL_RenderFillRect(r, &bar);
        }
        return;
    }
    case KIOSK_W_BUTTON:
    case KIOSK_W_KEY: {
        SDL_Color fill = SURFACE, border = BORDER, text = INK;
        if (w->tone == KIOSK_TONE_PRIMARY) {
            fill = PRIMARY;
            border = PRIMARY;
            text = WHITE;
        } else if (w->tone == KIOSK_TONE_DANGER) {
            fill = SURFACE;
            border = DANGER;
            text = DANGER;
        }
        if (selected) {
            fill = PRIMARY_SOFT;
            border = PRIMARY;
            text = INK;
            bw += 1;
        }
        if (disabled) {
            fill = DISABLED_BG;
            border = DISABLED_BG;
            text = DISABLED_INK;
        }
        round_box(r, b, rad, fill, border, bw);
        draw_text(self, w, inset(b, pad, 2), text, rep);
        return;
    }
    case KIOSK_W_FIELD:
        round_box(r, b, 8, SURFACE, INK, 2);
        draw_text(self, w, inset(b, pad, 3), ink, rep);
        return;
    case KIOSK_W_BADGE:
        round_box(r, b, b.h / 2.0f, ink, ink, 0);
        draw_text(self, w, inset(b, 6, 2), WHITE, rep);
        return;
    case KIOSK_W_PROGRESS: {
        round_box(r, b, b.h / 2.0f, TRACK, TRACK, 0);
        SDL_Rect f = b;
        f.w = (int)((long)b.w * (w->value < 0 ? 0 : w->value) / 1000);
        if (f.w > 0) {
            if (f.w < f.h)
                f.w = f.h;
            round_box(r, f, f.h / 2.0f, ink, ink, 0);
        }
        return;
    }
    case KIOSK_W_STAR:
        star(r, b, w->value != 0);
        return;
    case KIOSK_W_FACE:
        face(r, b, w->value, selected);
        return;
    case KIOSK_W_SWITCH: {
        int sw = b.h * 2 > b.w / 2 ? b.w / 2 : b.h * 2;
        SDL_Rect track = {b.x + b.w - sw, b.y + b.h / 4, sw, b.h / 2};
        SDL_Rect text = {b.x, b.y, b.w - sw - 8, b.h};
        round_box(r, b, rad, SURFACE, BORDER, bw);
        text = inset(text, pad, 2);
        round_box(r, inset(track, 8, 0), track.h / 2.0f, w->value ? OK : TRACK,
                  w->value ? OK : TRACK, 0);
        float kx = w->value ? track.x + track.w - 8 - track.h / 2.0f
                            : track.x + 8 + track.h / 2.0f;
        circle(r, kx, track.y + track.h / 2.0f, track.h * 0.62f,
               w->value ? OK : BORDER);
        circle(r, kx, track.y + track.h / 2.0f, track.h * 0.48f, SURFACE);
        draw_text(self, w, text, INK, rep);
        return;
    }
    case KIOSK_W_DOTS: {
        int n = w->aux > 0 ? w->aux : 4;
        float d = b.h * 0.5f, gap = d * 0.8f;
        float total = n * d + (n - 1) * gap;
        float x = b.x + (b.w - total) / 2 + d / 2;
        for (int i = 0; i < n; i++) {
            circle(r, x + i * (d + gap), b.y + b.h / 2.0f, d / 2, INK);
            if (i >= w->value)
                circle(r, x + i * (d + gap), b.y + b.h / 2.0f, d / 2 - 3, BG);
        }
        return;
    }
    }
}

int kiosk_view_draw(kiosk_view_t *self, SDL_Renderer *r,
                    const kiosk_widget_t *w, size_t n)
{
    if (n > self->cap_rep) {
        kiosk_text_report_t *grown = realloc(self->rep, n * sizeof *grown);
        if (!grown)
            return -1;
        self->rep = grown;
        self->cap_rep = n;
    }
    self->n_rep = n;
    memset(self->rep, 0, n * sizeof *self->rep);
    kiosk_textcache_set_renderer(self->text, r);
    /* Every shape colour is opaque, so shapes are copied, not blended:
     * the software renderer then fills spans directly instead of
     * blending each pixel (and, for each triangle of a rounded box,
     * blending through a scratch surface of its bounding box), which was
     * nine tenths of a frame (docs/PERFORMANCE.md). Text textures keep
     * their own blend mode. */
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(r, BG.r, BG.g, BG.b, 255);
    SDL_RenderClear(r);
    for (size_t i = 0; i < n; i++)
        draw_one(self, r, &w[i], &self->rep[i]);
    return 0;
}
