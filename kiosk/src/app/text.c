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
    int tw, th;    /* the text's box: width, lines x line skip */
    int sh;        /* rows of tex drawn from its top (<= th) */
    uint64_t used; /* the draw call that last used it */
    kiosk_text_report_t rep;
} entry_t;

struct kiosk_textcache {
    TTF_Font *font;
    int font_px; /* the size font is set to */
    SDL_Renderer *r;
    entry_t *e;
    size_t n;
    size_t renders;
    uint64_t draws; /* draw calls so far: the clock of entry_t.used */
    size_t bytes;   /* pixels of the kept textures, 4 bytes each */
};

/* What kiosk_textcache_prepare may fill: a quarter of the entries and
 * of the eviction headroom stays for what is drawn, so preparing never
 * evicts the current screen's text, and the textures it adds stay well
 * inside the kiosk's 64 MB (docs/PERFORMANCE.md). */
#define PREPARE_MAX_ENTRIES (CACHE_MAX * 3 / 4)
#define PREPARE_MAX_BYTES ((size_t)24 << 20)

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
    self->bytes = 0;
}

static size_t entry_bytes(const entry_t *e)
{
    return e->tex ? (size_t)e->tw * (size_t)e->th * 4 : 0;
}

static int cmp_used(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Full: drops the half of the entries used longest ago. Why not all of
 * them: a kiosk adds a string a minute (the clock) and more as people
 * type, and emptying the cache made the next frame render every string
 * of the screen again, a frame several times slower than the others,
 * every few hours; what is on screen now is among the newest used. */
static void evict(kiosk_textcache_t *self)
{
    uint64_t used[CACHE_MAX];
    for (size_t i = 0; i < self->n; i++)
        used[i] = self->e[i].used;
    qsort(used, self->n, sizeof used[0], cmp_used);
    uint64_t keep_from = used[self->n / 2];
    size_t k = 0;
    for (size_t i = 0; i < self->n; i++) {
        entry_t *e = &self->e[i];
        if (e->used >= keep_from && k < CACHE_MAX / 2) {
            self->e[k++] = *e;
            continue;
        }
        self->bytes -= entry_bytes(e);
        if (e->tex)
            SDL_DestroyTexture(e->tex);
        free(e->text);
    }
    self->n = k;
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

/* The font at px. TTF_SetFontSize empties SDL_ttf's glyph cache, so the
 * size is set only when it changes. (A handle per size, to keep each
 * size's glyphs cached, was measured: first frames hardly changed, since
 * shaping and rasterising each new string dominate, and every open face
 * of Noto Sans CJK costs about 2 MB; docs/PERFORMANCE.md.) */
static TTF_Font *font_at(kiosk_textcache_t *self, int px)
{
    if (self->font_px != px && TTF_SetFontSize(self->font, px) == 0)
        self->font_px = px;
    return self->font;
}

static SDL_Texture *render(kiosk_textcache_t *self, TTF_Font *font,
                           const line_t *lines, int n, int w, SDL_Color c,
                           int align, int *tw, int *th)
{
    int skip = TTF_FontLineSkip(font);
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
        SDL_Surface *s = TTF_RenderUTF8_Blended(font, tmp, c);
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

/* One line at px when it fits the box as it is, as most labels and
 * buttons do: rendering a line measures it too, so the surface SDL_ttf
 * returns becomes the texture, without laying the text out first (a
 * second shaping of the string) or copying it into a box of its line
 * skip. Draws the same pixels as layout + render: the box is the line's
 * width and one line skip, of which the top min(height, skip) rows hold
 * the glyphs. Returns false (nothing kept) when the text needs the
 * general path: several lines, or too wide or tall at px. */
static bool render_line(kiosk_textcache_t *self, entry_t *e, const char *text,
                        int px, SDL_Color c, SDL_Rect box)
{
    if (strchr(text, '\n'))
        return false;
    TTF_Font *font = font_at(self, px);
    int skip = TTF_FontLineSkip(font);
    if (skip > box.h + 2 && TTF_FontHeight(font) > box.h)
        return false;
    SDL_Surface *s = TTF_RenderUTF8_Blended(font, text, c);
    if (!s)
        return false;
    bool kept = false;
    if (s->w <= box.w && s->w > 0 && skip > 0) {
        e->tex = SDL_CreateTextureFromSurface(self->r, s);
        if (e->tex) {
            SDL_SetTextureBlendMode(e->tex, SDL_BLENDMODE_BLEND);
            e->tw = s->w;
            e->th = skip;
            e->sh = s->h < skip ? s->h : skip;
            e->rep.px = px;
            e->rep.lines = 1;
            self->renders++;
            kept = true;
        }
    }
    SDL_FreeSurface(s);
    return kept;
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
        evict(self);
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
    if (!ml && px >= min_px && render_line(self, e, text, px, c, box)) {
        e->rep.missing = count_missing(self->font, text);
        self->bytes += entry_bytes(e);
        self->n++;
        return e;
    }
    int use = px, n = 0, w = 0;
    bool fits = false;
    TTF_Font *font = NULL;
    for (use = px; use >= min_px; use = use > 12 ? use * 92 / 100 : use - 1) {
        font = font_at(self, use);
        n = layout(font, text, box.w, ml, lines, &w);
        if (w <= box.w && n * TTF_FontLineSkip(font) <= box.h + 2) {
            fits = true;
            break;
        }
        /* a single line may still fit by height though its line skip
         * does not: judge by the font height then */
        if (n == 1 && w <= box.w && TTF_FontHeight(font) <= box.h) {
            fits = true;
            break;
        }
    }
    if (!fits) {
        use = min_px;
        font = font_at(self, use);
        n = layout(font, text, box.w, ml, lines, &w);
    }
    e->rep.overflow = !fits;
    e->rep.px = use;
    e->rep.lines = n;
    e->rep.missing = count_missing(self->font, text);
    e->tex = render(self, font, lines, n, w, c, align, &e->tw, &e->th);
    e->sh = e->th;
    self->bytes += entry_bytes(e);
    self->n++;
    return e;
}

int kiosk_textcache_prepare(kiosk_textcache_t *self, const char *text, int px,
                            SDL_Color colour, SDL_Rect box, bool multiline,
                            int align, bool render)
{
    if (!text || !text[0] || px <= 0 || box.w <= 0 || box.h <= 0 || !self->r)
        return 0;
    uint64_t h = fnv(text, strlen(text), 1469598103934665603ULL);
    entry_t *e = find(self, h, text, px, colour, box, multiline, align);
    if (e)
        return 0;
    if (self->n >= PREPARE_MAX_ENTRIES || self->bytes >= PREPARE_MAX_BYTES)
        return 2;
    if (!render)
        return 3;
    if (!(e = make(self, h, text, px, colour, box, multiline, align)))
        return -1;
    /* as if drawn now: kept over what was drawn before it, dropped before
     * what is drawn after it */
    e->used = ++self->draws;
    return 1;
}

size_t kiosk_textcache_bytes(const kiosk_textcache_t *self)
{
    return self->bytes;
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
    e->used = ++self->draws;
    *rep = e->rep;
    if (!e->tex)
        return 0;
    SDL_Rect src = {0, 0, e->tw, e->sh};
    SDL_Rect dst = {box.x, box.y + (box.h - e->th) / 2, e->tw, e->sh};
    if (align == 0)
        dst.x = box.x + (box.w - e->tw) / 2;
    else if (align > 0)
        dst.x = box.x + box.w - e->tw;
    if (e->rep.overflow) {
        SDL_RenderSetClipRect(self->r, &box);
        if (dst.y < box.y)
            dst.y = box.y;
    }
    int rc = SDL_RenderCopy(self->r, e->tex, &src, &dst);
    if (e->rep.overflow)
        SDL_RenderSetClipRect(self->r, NULL);
    return rc == 0 ? 0 : -1;
}
