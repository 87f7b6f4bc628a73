/*
 * view.c — draws the model's widget tree with the SDL2 renderer.
 *
 * The view reads widgets and draws; it decides nothing. Rounded boxes
 * (panels, tiles, keys, buttons, fields, badges, progress bars) are
 * filled as horizontal spans of rectangles, and stars, faces and dots as
 * SDL_RenderGeometry triangle fans, so they look the same on the software
 * renderer of headless runs and on the GPU; the spans because they are
 * what the software renderer fills fastest (docs/PERFORMANCE.md).
 * Colours are chosen for contrast: dark text on light surfaces, white on
 * the dark header and on filled primary buttons.
 */
#include "app.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PI 3.14159265358979323846

/* faces kept as textures: five scores, selected or not, at one size */
#define FACE_CACHE 10

struct kiosk_view {
    kiosk_textcache_t *text;
    kiosk_text_report_t *rep;
    size_t n_rep, cap_rep;
    /* kiosk_view_prepare: the text goes to the cache, no shape is drawn;
     * prep_rc is kiosk_textcache_prepare's answer for the widget */
    bool preparing;
    int prep_rc;
    bool prep_render;     /* whether a string not cached may be rendered */
    uint64_t prep_max_ns; /* the longest render of one string so far */
    /* faces drawn once into textures (see face_cached); they belong to
     * face_r */
    SDL_Renderer *face_r;
    struct {
        int w, h, v;
        bool selected;
        SDL_Texture *tex;
    } faces[FACE_CACHE];
    int n_faces;
    bool faces_direct; /* kiosk_view_cache_faces(false): for tests */
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

static void faces_flush(kiosk_view_t *self)
{
    for (int i = 0; i < self->n_faces; i++)
        SDL_DestroyTexture(self->faces[i].tex);
    self->n_faces = 0;
}

void kiosk_view_destroy(kiosk_view_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    faces_flush(*self_p);
    free((*self_p)->rep);
    free(*self_p);
    *self_p = NULL;
}

void kiosk_view_set_renderer(kiosk_view_t *self, SDL_Renderer *r)
{
    if (self->face_r != r)
        faces_flush(self);
    self->face_r = r;
}

void kiosk_view_cache_faces(kiosk_view_t *self, bool on)
{
    self->faces_direct = !on;
    faces_flush(self);
}

int kiosk_view_faces_made(const kiosk_view_t *self)
{
    return self->n_faces;
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

typedef struct {
    float ymin, ymax; /* rows whose centre is in [ymin, ymax) cross it */
    SDL_FPoint a, b;  /* as in the polygon, so x is computed alike */
} edge_t;

/* The row spans of a convex polygon, asked for row by row going down:
 * each row intersects only the edges it crosses (an active list walked
 * down the polygon), not every edge. */
typedef struct {
    edge_t e[64];
    int ne, next, na, act[64];
    float ymin, ymax;
} scan_t;

static void scan_init(scan_t *s, const SDL_FPoint *pts, int n)
{
    s->ne = s->next = s->na = 0;
    s->ymin = s->ymax = 0;
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        SDL_FPoint a = pts[i], b = pts[(i + 1) % n];
        if (a.y == b.y)
            continue; /* never crossed: a row centre is in [min, max) */
        edge_t x = {a.y < b.y ? a.y : b.y, a.y < b.y ? b.y : a.y, a, b};
        int k = s->ne++;
        while (k > 0 && s->e[k - 1].ymin > x.ymin) {
            s->e[k] = s->e[k - 1];
            k--;
        }
        s->e[k] = x;
    }
    for (int i = 0; i < s->ne; i++) {
        if (i == 0 || s->e[i].ymin < s->ymin)
            s->ymin = s->e[i].ymin;
        if (i == 0 || s->e[i].ymax > s->ymax)
            s->ymax = s->e[i].ymax;
    }
}

/* The pixels [x0, x1) of the row whose centre is yc (yc only grows from
 * call to call): a pixel is in when its centre is inside, the rule of the
 * triangle rasteriser. False when the row has none. */
static bool scan_row(scan_t *s, float yc, int *x0, int *x1)
{
    float xl = 0, xr = 0;
    bool any = false;
    while (s->next < s->ne && s->e[s->next].ymin <= yc)
        s->act[s->na++] = s->next++;
    int keep = 0;
    for (int j = 0; j < s->na; j++)
        if (s->e[s->act[j]].ymax > yc)
            s->act[keep++] = s->act[j];
    s->na = keep;
    for (int j = 0; j < s->na; j++) {
        SDL_FPoint a = s->e[s->act[j]].a, b = s->e[s->act[j]].b;
        float x = a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y);
        if (!any || x < xl)
            xl = x;
        if (!any || x > xr)
            xr = x;
        any = true;
    }
    if (!any)
        return false;
    *x0 = (int)ceilf(xl - 0.5f);
    *x1 = (int)ceilf(xr - 0.5f);
    return *x1 > *x0;
}

/* Rectangles of one colour, a span joined to the one right above it when
 * they are alike, filled together. */
typedef struct {
    SDL_Renderer *r;
    SDL_Color c;
    SDL_Rect q[128];
    int n;
} rects_t;

static void rects_flush(rects_t *q)
{
    if (q->n == 0)
        return;
    SDL_SetRenderDrawColor(q->r, q->c.r, q->c.g, q->c.b, q->c.a);
    SDL_RenderFillRects(q->r, q->q, q->n);
    q->n = 0;
}

/* Pixels [x0, x1) of rows first..first+rows-1. */
static void rects_add(rects_t *q, int x0, int x1, int first, int rows)
{
    if (x1 <= x0)
        return;
    SDL_Rect *l = q->n > 0 ? &q->q[q->n - 1] : NULL;
    if (l && l->x == x0 && l->w == x1 - x0 && l->y + l->h == first) {
        l->h += rows;
        return;
    }
    if (q->n == (int)(sizeof q->q / sizeof q->q[0]))
        rects_flush(q);
    q->q[q->n++] = (SDL_Rect){x0, first, x1 - x0, rows};
}

/* The outline of a rounded box: 9 points per corner. rad is clamped to
 * half the shorter side. */
static void round_pts(SDL_FRect b, float rad, SDL_FPoint pts[36])
{
    /* cos and sin of the 36 angles, computed once: the same doubles as
     * computing them per box, so the same points */
    static double cs[36][2];
    static bool have_cs = false;
    if (!have_cs) {
        for (int i = 0; i < 36; i++) {
            double a = ((i / 9) * 90 + (i % 9) * 90.0 / 8) * PI / 180;
            cs[i][0] = cos(a);
            cs[i][1] = sin(a);
        }
        have_cs = true;
    }
    if (rad * 2 > b.w)
        rad = b.w / 2;
    if (rad * 2 > b.h)
        rad = b.h / 2;
    const float cx[4] = {b.x + b.w - rad, b.x + rad, b.x + rad,
                         b.x + b.w - rad};
    const float cy[4] = {b.y + rad, b.y + rad, b.y + b.h - rad,
                         b.y + b.h - rad};
    for (int i = 0; i < 36; i++) {
        pts[i].x = cx[i / 9] + (float)(cs[i][0] * rad);
        pts[i].y = cy[i / 9] - (float)(cs[i][1] * rad);
    }
}

/* A rounded box (border width bw, 0 = none) filled as horizontal spans,
 * one rectangle per run of rows that share a span.
 *
 * Why spans and not a triangle fan: the software renderer rasterises
 * triangles pixel by pixel with edge functions, which for the large
 * rounded panels was three quarters of a frame, while a rectangle fill
 * is a run of stores. Why the border is drawn as a ring, not as a full
 * box with the inside drawn over it: each pixel of the inside was written
 * twice, on the keys, tiles and cards that fill most of a screen. Rows in
 * the straight middle of both outlines (strictly between their corner
 * centres) share one span each, so they are given as one rectangle at
 * once. The pixels are those of filling the outer box and then the inner
 * one, each pixel centre inside its outline (docs/PERFORMANCE.md). */
static void round_box(SDL_Renderer *r, SDL_Rect w, float rad, SDL_Color fill,
                      SDL_Color border, float bw)
{
    SDL_FRect ob = {(float)w.x, (float)w.y, (float)w.w, (float)w.h};
    SDL_FRect ib = ob;
    float irad = rad;
    if (bw > 0) {
        ib.x += bw;
        ib.y += bw;
        ib.w -= 2 * bw;
        ib.h -= 2 * bw;
        irad = rad > bw ? rad - bw : 0;
    }
    SDL_FPoint op[36], ip[36];
    scan_t so, si;
    float orad = rad;
    if (orad * 2 > ob.w)
        orad = ob.w / 2;
    if (orad * 2 > ob.h)
        orad = ob.h / 2;
    float crad = irad;
    if (crad * 2 > ib.w)
        crad = ib.w / 2;
    if (crad * 2 > ib.h)
        crad = ib.h / 2;
    round_pts(ib, irad, ip);
    scan_init(&si, ip, 36);
    if (bw > 0) {
        round_pts(ob, rad, op);
        scan_init(&so, op, 36);
    } else {
        so.ne = 0; /* no border: nothing outside the box itself */
        so.ymin = si.ymin;
        so.ymax = si.ymax;
    }
    /* the straight middle of both outlines */
    float lo = ib.y + crad, hi = ib.y + ib.h - crad;
    if (bw > 0) {
        if (ob.y + orad > lo)
            lo = ob.y + orad;
        if (ob.y + ob.h - orad < hi)
            hi = ob.y + ob.h - orad;
    }
    rects_t left = {.r = r, .c = border}, mid = {.r = r, .c = fill},
            right = {.r = r, .c = border};
    float ymin = so.ymin < si.ymin ? so.ymin : si.ymin;
    float ymax = so.ymax > si.ymax ? so.ymax : si.ymax;
    bool band_done = false;
    for (int y = (int)ceilf(ymin - 0.5f); (float)y + 0.5f < ymax; y++) {
        float yc = (float)y + 0.5f;
        int ox0 = 0, ox1 = 0, ix0 = 0, ix1 = 0, rows = 1;
        bool out = so.ne > 0 && scan_row(&so, yc, &ox0, &ox1);
        bool in = scan_row(&si, yc, &ix0, &ix1);
        if (!out && !in)
            continue;
        if (!band_done && yc > lo && yc < hi) {
            /* the last row of the band: its centre still below hi */
            int last = (int)ceilf(hi - 0.5f) - 1;
            while ((float)last + 0.5f >= hi)
                last--;
            while ((float)(last + 1) + 0.5f < hi)
                last++;
            if (last > y) {
                rows = last - y + 1;
                y = last;
            }
            band_done = true;
        }
        int first = y - rows + 1;
        if (!in) {
            rects_add(&left, ox0, ox1, first, rows);
            continue;
        }
        rects_add(&mid, ix0, ix1, first, rows);
        if (out) {
            rects_add(&left, ox0, ix0 < ox1 ? ix0 : ox1, first, rows);
            rects_add(&right, ix1 > ox0 ? ix1 : ox0, ox1, first, rows);
        }
    }
    rects_flush(&left);
    rects_flush(&right);
    rects_flush(&mid);
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

/* Faces are kept as textures. Why: a face is 28 triangle fans (the
 * mouth is a row of dots), and the five faces of the rating screen were
 * three quarters of its frame, over the 8 ms budget at 1920x1080
 * (docs/PERFORMANCE.md). The texture is drawn with the same calls at the
 * same fractional positions (the widget's origin moves by whole pixels),
 * transparent around the face, and copied with blending: the same pixels
 * as drawing the face on the screen (the bench's pixel hash). Like text,
 * the faces of the screen one tap away are made in idle time.
 *
 * The cached texture for a face of box b, made when make is true (NULL
 * when it is not cached and make is false, or cannot be made). */
static SDL_Texture *face_texture(kiosk_view_t *self, SDL_Renderer *r,
                                 SDL_Rect b, int v, bool selected, bool make,
                                 bool *made)
{
    *made = false;
    if (self->face_r != r) {
        faces_flush(self);
        self->face_r = r;
    }
    for (int i = 0; i < self->n_faces; i++)
        if (self->faces[i].w == b.w && self->faces[i].h == b.h &&
            self->faces[i].v == v && self->faces[i].selected == selected)
            return self->faces[i].tex;
    if (!make || b.w <= 0 || b.h <= 0)
        return NULL;
    if (self->n_faces == FACE_CACHE)
        faces_flush(self); /* another size: start over */
    SDL_Texture *old = SDL_GetRenderTarget(r);
    SDL_Texture *tex = SDL_CreateTexture(r, SDL_PIXELFORMAT_ARGB8888,
                                         SDL_TEXTUREACCESS_TARGET, b.w, b.h);
    if (!tex)
        return NULL;
    if (SDL_SetRenderTarget(r, tex) != 0) {
        SDL_DestroyTexture(tex);
        return NULL;
    }
    SDL_BlendMode mode;
    SDL_GetRenderDrawBlendMode(r, &mode);
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(r, 0, 0, 0, 0);
    SDL_RenderClear(r);
    SDL_Rect at = {0, 0, b.w, b.h};
    face(r, at, v, selected);
    SDL_SetRenderTarget(r, old);
    SDL_SetRenderDrawBlendMode(r, mode);
    SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_BLEND);
    self->faces[self->n_faces].w = b.w;
    self->faces[self->n_faces].h = b.h;
    self->faces[self->n_faces].v = v;
    self->faces[self->n_faces].selected = selected;
    self->faces[self->n_faces].tex = tex;
    self->n_faces++;
    *made = true;
    return tex;
}

/* Draws a face from its texture; drawn directly when no texture can be
 * made. */
static void face_cached(kiosk_view_t *self, SDL_Renderer *r, SDL_Rect b, int v,
                        bool selected)
{
    bool made;
    SDL_Texture *tex = self->faces_direct
                           ? NULL
                           : face_texture(self, r, b, v, selected, true, &made);
    if (tex)
        SDL_RenderCopy(r, tex, NULL, &b);
    else
        face(r, b, v, selected);
}

static void draw_text(kiosk_view_t *self, const kiosk_widget_t *w, SDL_Rect box,
                      SDL_Color ink, kiosk_text_report_t *rep)
{
    int align = (w->flags & KIOSK_WF_LEFT)    ? -1
                : (w->flags & KIOSK_WF_RIGHT) ? 1
                                              : 0;
    if (self->preparing) {
        self->prep_rc = kiosk_textcache_prepare(
            self->text, w->text, w->font_px, ink, box,
            (w->flags & KIOSK_WF_MULTILINE) != 0, align, self->prep_render);
        return;
    }
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
    /* preparing: a face's texture, made with the renderer last drawn
     * with, answering as kiosk_textcache_prepare does (1 made, 0 cached
     * or not made, 3 not cached and no time for it) */
    if (self->preparing && w->kind == KIOSK_W_FACE) {
        bool made = false;
        if (self->face_r &&
            !face_texture(self, self->face_r, b, w->value, selected,
                          self->prep_render, &made) &&
            !self->prep_render)
            self->prep_rc = 3;
        else
            self->prep_rc = made ? 1 : 0;
        return;
    }
    /* preparing: the panels, tiles, stars... that carry no text have
     * nothing to prepare (a label's text and box are the widget's own) */
    if (self->preparing &&
        (!w->text[0] || w->kind == KIOSK_W_PANEL || w->kind == KIOSK_W_TILE ||
         w->kind == KIOSK_W_PROGRESS || w->kind == KIOSK_W_STAR ||
         w->kind == KIOSK_W_DOTS))
        return;
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
        if (!self->preparing)
            round_box(r, b, rad, fill, border, bw);
        draw_text(self, w, inset(b, pad, 2), text, rep);
        return;
    }
    case KIOSK_W_FIELD:
        if (!self->preparing)
            round_box(r, b, 8, SURFACE, INK, 2);
        draw_text(self, w, inset(b, pad, 3), ink, rep);
        return;
    case KIOSK_W_BADGE:
        if (!self->preparing)
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
        face_cached(self, r, b, w->value, selected);
        return;
    case KIOSK_W_SWITCH: {
        int sw = b.h * 2 > b.w / 2 ? b.w / 2 : b.h * 2;
        SDL_Rect track = {b.x + b.w - sw, b.y + b.h / 4, sw, b.h / 2};
        SDL_Rect text = {b.x, b.y, b.w - sw - 8, b.h};
        text = inset(text, pad, 2);
        if (self->preparing) {
            draw_text(self, w, text, INK, rep);
            return;
        }
        round_box(r, b, rad, SURFACE, BORDER, bw);
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

/* True for the screen's root panel when it covers the whole output: it is
 * drawn in the background colour (draw_one), so it is the clear. */
static bool covers_window(const kiosk_widget_t *w, int ow, int oh)
{
    return w->kind == KIOSK_W_PANEL && w->tone != KIOSK_TONE_HEADER &&
           w->parent < 0 && w->x == 0 && w->y == 0 && w->w >= ow && w->h >= oh;
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
    if (self->face_r != r) { /* faces are prepared with it too */
        faces_flush(self);
        self->face_r = r;
    }
    /* Every shape colour is opaque, so shapes are copied, not blended:
     * the software renderer then fills spans directly instead of
     * blending each pixel (and, for each triangle of a rounded box,
     * blending through a scratch surface of its bounding box), which was
     * nine tenths of a frame (docs/PERFORMANCE.md). Text textures keep
     * their own blend mode. */
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_NONE);
    /* Every screen starts with a panel filling the window in the
     * background colour: clearing first would write each of the two
     * million pixels of a 1920x1080 frame twice. */
    int ow = 0, oh = 0;
    if (SDL_GetRendererOutputSize(r, &ow, &oh) != 0 || n == 0 ||
        !covers_window(&w[0], ow, oh)) {
        SDL_SetRenderDrawColor(r, BG.r, BG.g, BG.b, 255);
        SDL_RenderClear(r);
    }
    for (size_t i = 0; i < n; i++)
        draw_one(self, r, &w[i], &self->rep[i]);
    return 0;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int kiosk_view_prepare(kiosk_view_t *self, const kiosk_widget_t *w, size_t n,
                       size_t *next, uint64_t budget_ns, bool *first)
{
    uint64_t t0 = mono_ns();
    kiosk_text_report_t unused;
    int rc = 0;
    bool rendered = !*first;
    self->preparing = true;
    for (; *next < n; (*next)++) {
        /* a string not yet cached takes up to a millisecond or so to
         * render: none is started that could end past the budget, judged
         * by the longest so far */
        uint64_t t = mono_ns();
        self->prep_render =
            !rendered || t - t0 + self->prep_max_ns <= budget_ns;
        self->prep_rc = 0;
        draw_one(self, NULL, &w[*next], &unused);
        if (self->prep_rc == 3) { /* no time left for it */
            rc = 1;
            break;
        }
        if (self->prep_rc < 0 || self->prep_rc == 2) {
            rc = self->prep_rc;
            break;
        }
        if (self->prep_rc == 1) {
            uint64_t took = mono_ns() - t;
            if (took > self->prep_max_ns)
                self->prep_max_ns = took;
            rendered = true;
            *first = false;
        }
    }
    self->preparing = false;
    return rc;
}
