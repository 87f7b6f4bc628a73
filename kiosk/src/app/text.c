/*
 * text.c — the kiosk's text: Noto Sans CJK through SDL2_ttf, fitted into
 * widget boxes, with a cache of rendered textures.
 *
 * Why a cache: rasterising CJK text is the most expensive thing a frame
 * does; the same strings are drawn every frame, so each (text, size,
 * colour, box, wrap, alignment) is rendered once and kept as a texture.
 *
 * Why our own line breaking: Chinese has no spaces, so lines break between
 * any two characters, while Latin text breaks at spaces. Text that does
 * not fit is wrapped (when the widget allows it) or shrunk down to 60%;
 * only if that still fails is it cut off, and the report says so, so the
 * headless checks can fail on it — text is never clipped silently.
 */
#include "app.h"

#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_MAX 1024
#define MAX_LINES 64

typedef struct {
    uint64_t hash;
    char *text;
    int px, w, h, align;
    bool multiline;
    SDL_Color colour;
    SDL_Texture *tex;
    int tw, th;
    kiosk_text_report_t rep;
} entry_t;

struct kiosk_textcache {
    TTF_Font *font;
    int font_px;
    SDL_Renderer *r;
    entry_t *e;
    size_t n;
    size_t renders;
};

int kiosk_find_font(char *path, size_t len, int *index)
{
    const char *fallback = "/usr/share/fonts/opentype/noto/"
                           "NotoSansCJK-Regular.ttc";
    char line[1200] = "";
    FILE *p = popen("fc-match -f '%{file}|%{index}' 'Noto Sans CJK SC' "
                    "2>/dev/null",
                    "r");
    if (p) {
        if (!fgets(line, sizeof line, p))
            line[0] = '\0';
        pclose(p);
    }
    char *bar = strchr(line, '|');
    if (bar && strstr(line, "CJK")) {
        *bar = '\0';
        snprintf(path, len, "%s", line);
        *index = atoi(bar + 1);
        return 0;
    }
    snprintf(path, len, "%s", fallback);
    *index = 2; /* JP, KR, SC, TC, HK: Simplified Chinese is the third */
    return access(fallback, R_OK) == 0 ? 0 : -1;
}

kiosk_textcache_t *kiosk_textcache_new(const char *font_path, int index,
                                       char *err, size_t err_len)
{
    kiosk_textcache_t *self = NULL;
    if (!TTF_WasInit() && TTF_Init() != 0) {
        snprintf(err, err_len, "SDL_ttf failed to start: %s", TTF_GetError());
        return NULL;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, err_len, "out of memory opening the font");
        return NULL;
    }
    self->font_px = 20;
    self->font = TTF_OpenFontIndex(font_path, self->font_px, index);
    if (!self->font) {
        snprintf(err, err_len,
                 "%s: cannot open the CJK font (face %d): %s; install "
                 "fonts-noto-cjk or pass --font PATH",
                 font_path, index, TTF_GetError());
        free(self);
        return NULL;
    }
    return self;
}

static void flush(kiosk_textcache_t *self)
{
    for (size_t i = 0; i < self->n; i++) {
        if (self->e[i].tex)
            SDL_DestroyTexture(self->e[i].tex);
        free(self->e[i].text);
    }
    self->n = 0;
}

void kiosk_textcache_destroy(kiosk_textcache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kiosk_textcache_t *self = *self_p;
    flush(self);
    free(self->e);
    if (self->font)
        TTF_CloseFont(self->font);
    free(self);
    *self_p = NULL;
}

void kiosk_textcache_set_renderer(kiosk_textcache_t *self, SDL_Renderer *r)
{
    if (self->r != r)
        flush(self);
    self->r = r;
}

void kiosk_textcache_stats(const kiosk_textcache_t *self, size_t *entries,
                           size_t *renders)
{
    *entries = self->n;
    *renders = self->renders;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static size_t cp_len(unsigned char c)
{
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

static Uint32 cp_at(const char *s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t l = cp_len(p[0]);
    Uint32 c = l == 1   ? p[0]
               : l == 2 ? p[0] & 0x1F
               : l == 3 ? p[0] & 0x0F
                        : p[0] & 0x07;
    for (size_t k = 1; k < l; k++) {
        if (!p[k]) {
            l = k;
            break;
        }
        c = (c << 6) | (p[k] & 0x3F);
    }
    *n = l;
    return c;
}

static int count_missing(TTF_Font *f, const char *s)
{
    int missing = 0;
    while (*s) {
        size_t n;
        Uint32 c = cp_at(s, &n);
        if (c != '\n' && c != '\r' && c != '\t' && !TTF_GlyphIsProvided32(f, c))
            missing++;
        s += n;
    }
    return missing;
}

typedef struct {
    const char *p;
    size_t len;
} line_t;

/* Breaks one paragraph (no '\n') into lines no wider than maxw. */
static int wrap_para(TTF_Font *f, const char *p, size_t len, int maxw,
                     line_t *out, int max_out, char *tmp, size_t tmp_len)
{
    int n = 0;
    while (len > 0 && n < max_out) {
        size_t take = len < tmp_len - 1 ? len : tmp_len - 1;
        memcpy(tmp, p, take);
        tmp[take] = '\0';
        int extent = 0, count = 0;
        if (TTF_MeasureUTF8(f, tmp, maxw, &extent, &count) != 0)
            count = 1;
        /* count is in code points; find its byte length */
        size_t bytes = 0;
        for (int k = 0; k < count && bytes < take; k++)
            bytes += cp_len((unsigned char)p[bytes]);
        if (bytes >= len) {
            out[n++] = (line_t){p, len};
            break;
        }
        if (bytes == 0)
            bytes = cp_len((unsigned char)p[0]);
        /* Chinese line-start rule: closing punctuation never begins a
         * line; it takes the character before it along */
        static const char *const no_start[] = {"、", "，", "。", "：", "；",
                                               "）", "！", "？", "」", "·"};
        for (size_t k = 0; k < sizeof no_start / sizeof no_start[0]; k++) {
            size_t l = strlen(no_start[k]);
            if (strncmp(p + bytes, no_start[k], l) == 0) {
                size_t back = bytes;
                do
                    back--;
                while (back > 0 && ((unsigned char)p[back] & 0xC0) == 0x80);
                if (back > 0)
                    bytes = back;
                break;
            }
        }
        /* Latin: break after the last space in the span when the break
         * would fall inside a word */
        size_t brk = bytes;
        bool in_word = (unsigned char)p[bytes] < 0x80 && p[bytes] != ' ' &&
                       bytes > 0 && (unsigned char)p[bytes - 1] < 0x80 &&
                       p[bytes - 1] != ' ';
        if (in_word) {
            for (size_t k = bytes; k > 0; k--) {
                if (p[k - 1] == ' ') {
                    brk = k;
                    break;
                }
                if ((unsigned char)p[k - 1] >= 0x80) {
                    brk = k; /* after a CJK character is a fine break */
                    break;
                }
            }
        }
        size_t keep = brk;
        while (keep > 0 && p[keep - 1] == ' ')
            keep--;
        out[n++] = (line_t){p, keep};
        p += brk;
        len -= brk;
        while (len > 0 && *p == ' ') {
            p++;
            len--;
        }
    }
    return n;
}

static int layout(TTF_Font *f, const char *text, int maxw, bool multiline,
                  line_t *lines, int *w_out)
{
    int n = 0;
    static char tmp[8192];
    const char *p = text;
    while (n < MAX_LINES) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (multiline && len > 0) {
            n += wrap_para(f, p, len, maxw, lines + n, MAX_LINES - n, tmp,
                           sizeof tmp);
        } else {
            lines[n++] = (line_t){p, len};
        }
        if (!e)
            break;
        p = e + 1;
    }
    int w = 0;
    for (int i = 0; i < n; i++) {
        size_t l =
            lines[i].len < sizeof tmp - 1 ? lines[i].len : sizeof tmp - 1;
        memcpy(tmp, lines[i].p, l);
        tmp[l] = '\0';
        int lw = 0, lh = 0;
        if (l && TTF_SizeUTF8(f, tmp, &lw, &lh) == 0 && lw > w)
            w = lw;
    }
    *w_out = w;
    return n;
}

static SDL_Texture *render(kiosk_textcache_t *self, const line_t *lines, int n,
                           int w, SDL_Color c, int align, int *tw, int *th)
{
    int skip = TTF_FontLineSkip(self->font);
    int h = n * skip;
    if (w <= 0 || h <= 0)
        return NULL;
    SDL_Surface *all =
        SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!all)
        return NULL;
    SDL_FillRect(all, NULL, SDL_MapRGBA(all->format, c.r, c.g, c.b, 0));
    char tmp[8192];
    for (int i = 0; i < n; i++) {
        size_t l =
            lines[i].len < sizeof tmp - 1 ? lines[i].len : sizeof tmp - 1;
        if (!l)
            continue;
        memcpy(tmp, lines[i].p, l);
        tmp[l] = '\0';
        SDL_Surface *s = TTF_RenderUTF8_Blended(self->font, tmp, c);
        if (!s)
            continue;
        SDL_SetSurfaceBlendMode(s, SDL_BLENDMODE_NONE);
        SDL_Rect dst = {0, i * skip, s->w, s->h};
        if (align == 0)
            dst.x = (w - s->w) / 2;
        else if (align > 0)
            dst.x = w - s->w;
        SDL_BlitSurface(s, NULL, all, &dst);
        SDL_FreeSurface(s);
    }
    SDL_Texture *t = SDL_CreateTextureFromSurface(self->r, all);
    SDL_FreeSurface(all);
    if (t)
        SDL_SetTextureBlendMode(t, SDL_BLENDMODE_BLEND);
    *tw = w;
    *th = h;
    self->renders++;
    return t;
}

static entry_t *find(kiosk_textcache_t *self, uint64_t h, const char *text,
                     int px, SDL_Color c, SDL_Rect box, bool ml, int align)
{
    for (size_t i = 0; i < self->n; i++) {
        entry_t *e = &self->e[i];
        if (e->hash == h && e->px == px && e->w == box.w && e->h == box.h &&
            e->multiline == ml && e->align == align && e->colour.r == c.r &&
            e->colour.g == c.g && e->colour.b == c.b &&
            strcmp(e->text, text) == 0)
            return e;
    }
    return NULL;
}

static entry_t *make(kiosk_textcache_t *self, uint64_t h, const char *text,
                     int px, SDL_Color c, SDL_Rect box, bool ml, int align)
{
    static line_t lines[MAX_LINES];
    if (self->n >= CACHE_MAX)
        flush(self);
    if (!self->e) {
        self->e = calloc(CACHE_MAX, sizeof *self->e);
        if (!self->e)
            return NULL;
    }
    entry_t *e = &self->e[self->n];
    memset(e, 0, sizeof *e);
    if (!(e->text = strdup(text)))
        return NULL;
    e->hash = h;
    e->px = px;
    e->w = box.w;
    e->h = box.h;
    e->multiline = ml;
    e->align = align;
    e->colour = c;
    int min_px = px * 6 / 10 > 9 ? px * 6 / 10 : 9;
    int use = px, n = 0, w = 0;
    bool fits = false;
    for (use = px; use >= min_px; use = use > 12 ? use * 92 / 100 : use - 1) {
        TTF_SetFontSize(self->font, use);
        n = layout(self->font, text, box.w, ml, lines, &w);
        if (w <= box.w && n * TTF_FontLineSkip(self->font) <= box.h + 2) {
            fits = true;
            break;
        }
        /* a single line may still fit by height though its line skip
         * does not: judge by the font height then */
        if (n == 1 && w <= box.w && TTF_FontHeight(self->font) <= box.h) {
            fits = true;
            break;
        }
    }
    if (!fits) {
        use = min_px;
        TTF_SetFontSize(self->font, use);
        n = layout(self->font, text, box.w, ml, lines, &w);
    }
    e->rep.overflow = !fits;
    e->rep.px = use;
    e->rep.lines = n;
    e->rep.missing = count_missing(self->font, text);
    e->tex = render(self, lines, n, w, c, align, &e->tw, &e->th);
    self->n++;
    return e;
}

int kiosk_textcache_draw(kiosk_textcache_t *self, const char *text, int px,
                         SDL_Color colour, SDL_Rect box, bool multiline,
                         int align, kiosk_text_report_t *rep)
{
    memset(rep, 0, sizeof *rep);
    if (!text || !text[0] || px <= 0 || box.w <= 0 || box.h <= 0)
        return 0;
    uint64_t h = fnv(text, strlen(text), 1469598103934665603ULL);
    entry_t *e = find(self, h, text, px, colour, box, multiline, align);
    if (!e && !(e = make(self, h, text, px, colour, box, multiline, align)))
        return -1;
    *rep = e->rep;
    if (!e->tex)
        return 0;
    SDL_Rect dst = {box.x, box.y + (box.h - e->th) / 2, e->tw, e->th};
    if (align == 0)
        dst.x = box.x + (box.w - e->tw) / 2;
    else if (align > 0)
        dst.x = box.x + box.w - e->tw;
    if (e->rep.overflow) {
        SDL_RenderSetClipRect(self->r, &box);
        if (dst.y < box.y)
            dst.y = box.y;
    }
    int rc = SDL_RenderCopy(self->r, e->tex, NULL, &dst);
    if (e->rep.overflow)
        SDL_RenderSetClipRect(self->r, NULL);
    return rc == 0 ? 0 : -1;
}
