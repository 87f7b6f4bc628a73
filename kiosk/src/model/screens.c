/*
 * screens.c — the widget tree of every screen, laid out for the window.
 *
 * Why here and not in the view: the same tree is drawn by the view,
 * hit-tested for taps by the model and dumped for tests, so it is computed
 * once, without SDL. Layout works in units of a virtual canvas whose short
 * side is 480 (see model.h); narrow (portrait) canvases stack what
 * landscape ones put side by side. Lists longer than a screen are paged
 * with big previous / next buttons rather than scrolled: on a touch kiosk
 * a page turn is a deliberate act that never fires by accident.
 *
 * Every tappable widget is at least 48 units in both directions.
 */
#include "model_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOP 56.0    /* top bar height */
#define MARGIN 16.0 /* outer margin */
#define GAP 10.0    /* between widgets */
#define BTN 56.0    /* standard button height */
#define PAGER 56.0  /* height of the page turn row */

typedef struct {
    double x, y, w, h;
} box_t;

static box_t box(double x, double y, double w, double h)
{
    box_t b = {x, y, w, h};
    return b;
}


static int add(kiosk_model_t *m, kiosk_widget_kind_t kind, const char *id,
               box_t b, double font, unsigned flags, kiosk_tone_t tone,
               const char *text)
{
    if (m->n_w == m->cap_w) {
        size_t cap = m->cap_w ? m->cap_w * 2 : 128;
        kiosk_widget_t *grown = realloc(m->w, cap * sizeof *grown);
        if (!grown) {
            m->oom = true;
            return -1;
        }
        m->w = grown;
        m->cap_w = cap;
    }
    kiosk_widget_t *w = &m->w[m->n_w];
    memset(w, 0, sizeof *w);
    if (id)
        snprintf(w->id, sizeof w->id, "%s", id);
    else
        snprintf(w->id, sizeof w->id, "w%zu", m->n_w);
    w->kind = kind;
    double s = m->scale;
    w->x = (int)lround(b.x * s);
    w->y = (int)lround(b.y * s);
    w->w = (int)lround((b.x + b.w) * s) - w->x;
    w->h = (int)lround((b.y + b.h) * s) - w->y;
    w->font_px = text && text[0] ? (int)lround(font * s) : 0;
    w->flags = flags;
    w->tone = tone;
    w->parent = m->cur_parent;
    proto_utf8_copy(w->text, sizeof w->text, text);
    return (int)m->n_w++;
}

static int label(kiosk_model_t *m, const char *id, box_t b, double font,
                 unsigned flags, kiosk_tone_t tone, const char *text)
{
    return add(m, KIOSK_W_LABEL, id, b, font, flags, tone, text);
}

static int button(kiosk_model_t *m, const char *id, box_t b, double font,
                  kiosk_tone_t tone, const char *text)
{
    return add(m, KIOSK_W_BUTTON, id, b, font,
               KIOSK_WF_TAPPABLE | KIOSK_WF_MULTILINE, tone, text);
}

static const char *tr(const kiosk_model_t *m, const char *key)
{
    return kiosk_tr(m, key);
}

static bool narrow(const kiosk_model_t *m)
{
    return m->vw < 640;
}

/* The top bar: back, title, and who is identified with a log-out. On a
 * narrow (portrait) canvas the title gets a row of its own under the
 * buttons, so long titles stay readable. */
static double topbar(kiosk_model_t *m, const char *title, bool back)
{
    char who[200];
    double right = 0;
    bool nar = narrow(m);
    double height = nar ? 104 : TOP;
    add(m, KIOSK_W_PANEL, "topbar", box(0, 0, m->vw, height), 0, 0,
        KIOSK_TONE_HEADER, NULL);
    if (back)
        button(m, "back", box(8, 4, 104, 48), 20, KIOSK_TONE_NORMAL,
               tr(m, "nav.back"));
    if (m->staff) {
        double w = nar ? 220 : 200;
        kiosk_strings_fill(who, sizeof who, tr(m, "nav.logout"),
                           kiosk_text(m, &m->staff->name), NULL, NULL);
        button(m, "logout", box(m->vw - 8 - w, 4, w, 48), 18, KIOSK_TONE_NORMAL,
               who);
        right = w + 8;
    }
    if (nar) {
        label(m, "heading", box(MARGIN, 54, m->vw - 2 * MARGIN, 48), 24, 0,
              KIOSK_TONE_HEADER, title);
        return height + 10;
    }
    double left = back ? 120 : 16;
    double side = left > right + 8 ? left : right + 8;
    label(m, "heading", box(side, 0, m->vw - 2 * side, TOP), 24, 0,
          KIOSK_TONE_HEADER, title);
    return TOP + 10;
}

/* A paged grid. Call grid_plan, then grid_cell for i in [first, first +
 * count), then pager. */
typedef struct {
    box_t area;
    int cols, rows, per_page, pages, first, count;
    double cw, ch, gap;
} grid_t;

static grid_t grid_plan(kiosk_model_t *m, box_t area, int n, double min_w,
                        double ch, double gap)
{
    grid_t g;
    memset(&g, 0, sizeof g);
    g.area = area;
    g.gap = gap;
    g.ch = ch;
    g.cols = (int)floor((area.w + gap) / (min_w + gap));
    if (g.cols < 1)
        g.cols = 1;
    g.rows = (int)floor((area.h + gap) / (ch + gap));
    if (g.rows < 1)
        g.rows = 1;
    g.per_page = g.cols * g.rows;
    if (n > g.per_page) {
        g.area.h -= PAGER + gap;
        g.rows = (int)floor((g.area.h + gap) / (ch + gap));
        if (g.rows < 1)
            g.rows = 1;
        g.per_page = g.cols * g.rows;
    }
    g.cw = (area.w - (g.cols - 1) * gap) / g.cols;
    g.pages = n > 0 ? (n + g.per_page - 1) / g.per_page : 1;
    if (m->page >= g.pages)
        m->page = g.pages - 1;
    g.first = m->page * g.per_page;
    g.count = n - g.first < g.per_page ? n - g.first : g.per_page;
    if (g.count < 0)
        g.count = 0;
    return g;
}

static box_t grid_cell(const grid_t *g, int i)
{
    int k = i - g->first;
    int r = k / g->cols, c = k % g->cols;
    return box(g->area.x + c * (g->cw + g->gap),
               g->area.y + r * (g->ch + g->gap), g->cw, g->ch);
}

/* Column after column, for lists read top to bottom (a process, then its
 * steps under it). */
static box_t grid_cell_down(const grid_t *g, int i)
{
    int k = i - g->first;
    int c = k / g->rows, r = k % g->rows;
    return box(g->area.x + c * (g->cw + g->gap),
               g->area.y + r * (g->ch + g->gap), g->cw, g->ch);
}

/* Page turn row at the bottom of area when there is more than a page. */
static void pager(kiosk_model_t *m, box_t area, int pages)
{
    char text[64], a[16], b[16];
    if (pages <= 1)
        return;
    double y = area.y + area.h - PAGER;
    double w = 160;
    snprintf(a, sizeof a, "%d", m->page + 1);
    snprintf(b, sizeof b, "%d", pages);
    kiosk_strings_fill(text, sizeof text, tr(m, "nav.page"), a, b, NULL);
    unsigned dis_prev = m->page == 0 ? KIOSK_WF_DISABLED : 0;
    unsigned dis_next = m->page + 1 >= pages ? KIOSK_WF_DISABLED : 0;
    int i = button(m, "page-prev", box(area.x, y, w, PAGER), 20,
                   KIOSK_TONE_NORMAL, tr(m, "nav.prev"));
    if (i >= 0)
        m->w[i].flags |= dis_prev;
    label(m, "page", box(area.x + w + 8, y, area.w - 2 * w - 16, PAGER), 20, 0,
          KIOSK_TONE_MUTED, text);
    i = button(m, "page-next", box(area.x + area.w - w, y, w, PAGER), 20,
               KIOSK_TONE_NORMAL, tr(m, "nav.next"));
    if (i >= 0)
        m->w[i].flags |= dis_next;
}

static box_t content(const kiosk_model_t *m, double top)
{
    return box(MARGIN, top, m->vw - 2 * MARGIN, m->vh - top - MARGIN);
}

static void fmt_num(char *out, size_t len, double v)
{
    if (fabs(v - round(v)) < 1e-9)
        snprintf(out, len, "%.0f", v);
    else
        snprintf(out, len, "%.1f", v);
}

static void fmt_time(const kiosk_model_t *m, int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000 + m->tz_offset_s);
    struct tm tm;
    gmtime_r(&t, &tm);
    if (kiosk_day_of(m, ms) == kiosk_day_of(m, m->now_ms))
        strftime(out, len, "%H:%M", &tm);
    else
        strftime(out, len, "%m-%d %H:%M", &tm);
}

/* ---- Home */

static void sync_line(kiosk_model_t *m, char *out, size_t len,
                      kiosk_tone_t *tone)
{
    char a[32], part[200], when[64];
    const char *link;
    switch (m->sync.link) {
    case KIOSK_NET_ONLINE:
        link = tr(m, "sync.online");
        break;
    case KIOSK_NET_NOT_ENROLLED:
        link = tr(m, "sync.not_enrolled");
        break;
    case KIOSK_NET_REVOKED:
        link = tr(m, "sync.revoked");
        break;
    case KIOSK_NET_INCOMPATIBLE:
        link = tr(m, "sync.incompatible");
        break;
    default:
        link = tr(m, "sync.offline");
    }
    *tone = m->sync.link == KIOSK_NET_ONLINE && m->sync.waiting == 0
                ? KIOSK_TONE_OK
                : KIOSK_TONE_WARN;
    if (m->sync.link == KIOSK_NET_REVOKED)
        *tone = KIOSK_TONE_DANGER;
    snprintf(out, len, "● %s", link);
    snprintf(a, sizeof a, "%llu", (unsigned long long)m->sync.waiting);
    if (m->sync.waiting)
        kiosk_strings_fill(part, sizeof part, tr(m, "sync.waiting"), a, NULL,
                           NULL);
    else
        snprintf(part, sizeof part, "%s",
                 tr(m, m->sync.link == KIOSK_NET_ONLINE ? "sync.all_sent"
                                                        : "sync.none_waiting"));
    size_t n = strlen(out);
    snprintf(out + n, len - n, " · %s", part);
    /* Online with nothing to send is in sync even if it never had to
     * push: "online · all sent · never synced" would read as a fault. */
    bool in_sync = m->sync.link == KIOSK_NET_ONLINE && m->sync.waiting == 0;
    part[0] = '\0';
    if (m->sync.last_sync_ms > 0) {
        fmt_time(m, m->sync.last_sync_ms, when, sizeof when);
        kiosk_strings_fill(part, sizeof part, tr(m, "sync.last"), when, NULL,
                           NULL);
    } else if (!in_sync) {
        snprintf(part, sizeof part, "%s", tr(m, "sync.never"));
    }
    n = strlen(out);
    if (part[0])
        snprintf(out + n, len - n, " · %s", part);
    if (m->sync.rejected) {
        snprintf(a, sizeof a, "%llu", (unsigned long long)m->sync.rejected);
        kiosk_strings_fill(part, sizeof part, tr(m, "sync.rejected"), a, NULL,
                           NULL);
        n = strlen(out);
        snprintf(out + n, len - n, " · %s", part);
    }
}

static void build_home(kiosk_model_t *m)
{
    static const char *const tiles[][3] = {
        {"tile-checkin", "home.checkin", "home.checkin_sub"},
        {"tile-suggest", "home.suggest", "home.suggest_sub"},
        {"tile-board", "home.board", "home.board_sub"},
        {"tile-guide", "home.guide", "home.guide_sub"},
        {"tile-me", "home.me", "home.me_sub"},
        {"tile-rating", "home.rating", "home.rating_sub"},
        {"tile-meeting", "home.meeting", "home.meeting_sub"},
    };
    char text[512], id[64];
    kiosk_tone_t tone;
    time_t t = (time_t)(m->now_ms / 1000 + m->tz_offset_s);
    struct tm tm;
    gmtime_r(&t, &tm);
    char hm[16], day[16], mon[16], mday[16];
    strftime(hm, sizeof hm, "%H:%M", &tm);
    snprintf(day, sizeof day, "%d", tm.tm_wday);
    snprintf(mon, sizeof mon, "%d", tm.tm_mon + 1);
    snprintf(mday, sizeof mday, "%d", tm.tm_mday);
    char wkey[32];
    snprintf(wkey, sizeof wkey, "weekday.%d", tm.tm_wday);

    add(m, KIOSK_W_PANEL, "topbar", box(0, 0, m->vw, 64), 0, 0,
        KIOSK_TONE_HEADER, NULL);
    double langw = 120, clockw = narrow(m) ? 150 : 250;
    const char *branch =
        m->site ? kiosk_text(m, &m->site->name)
                : (m->cat ? kiosk_text(m, &m->cat->title) : "Stepwise");
    label(m, "branch",
          box(MARGIN, 0, m->vw - 2 * MARGIN - langw - clockw - 16, 64), 26,
          KIOSK_WF_LEFT, KIOSK_TONE_HEADER, branch);
    if (narrow(m))
        snprintf(text, sizeof text, "%s", hm);
    else
        kiosk_strings_fill(text, sizeof text, tr(m, "home.date"), mon, mday,
                           tr(m, wkey));
    if (!narrow(m)) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, "  %s", hm);
    }
    label(m, "clock", box(m->vw - MARGIN - langw - 8 - clockw, 0, clockw, 64),
          narrow(m) ? 28 : 24, KIOSK_WF_RIGHT, KIOSK_TONE_HEADER, text);
    button(m, "lang", box(m->vw - MARGIN - langw, 8, langw, 48), 20,
           KIOSK_TONE_NORMAL, tr(m, "home.lang_switch"));

    double y = 64 + 12;
    if (m->staff) {
        kiosk_strings_fill(text, sizeof text, tr(m, "home.hello"),
                           kiosk_text(m, &m->staff->name), NULL, NULL);
        label(m, "hello", box(MARGIN, y, m->vw - 2 * MARGIN - 180 - 10, 48), 22,
              KIOSK_WF_LEFT, KIOSK_TONE_NORMAL, text);
        button(m, "logout", box(m->vw - MARGIN - 180, y, 180, 48), 20,
               KIOSK_TONE_NORMAL, tr(m, "nav.logout_short"));
        y += 48 + 10;
    }
    double bottom = m->vh - 48 - 8;
    if (!m->cat) {
        label(m, "nocat", box(MARGIN, bottom - 56, m->vw - 2 * MARGIN, 52), 18,
              KIOSK_WF_MULTILINE, KIOSK_TONE_WARN, tr(m, "home.nocat"));
        bottom -= 60;
    }
    int cols = narrow(m) ? 2 : 4;
    int rows = (7 + cols - 1) / cols;
    double gw = (m->vw - 2 * MARGIN - (cols - 1) * 12) / cols;
    double gh = (bottom - 8 - y - (rows - 1) * 12) / rows;
    for (int i = 0; i < 7; i++) {
        box_t b = box(MARGIN + (i % cols) * (gw + 12),
                      y + (i / cols) * (gh + 12), gw, gh);
        int k = add(m, KIOSK_W_TILE, tiles[i][0], b, 0, KIOSK_WF_TAPPABLE,
                    i == 0 && m->cat ? KIOSK_TONE_PRIMARY : KIOSK_TONE_NORMAL,
                    NULL);
        if (k >= 0) {
            m->w[k].value = i;
            if (!m->cat)
                m->w[k].flags |= KIOSK_WF_DISABLED;
        }
        int saved = m->cur_parent;
        m->cur_parent = k;
        snprintf(id, sizeof id, "%s-title", tiles[i][0]);
        /* the first tile is filled: white text on it */
        bool filled = i == 0 && m->cat;
        label(m, id, box(b.x + 8, b.y + b.h * 0.18, b.w - 16, b.h * 0.42), 32,
              0, filled ? KIOSK_TONE_HEADER : KIOSK_TONE_NORMAL,
              tr(m, tiles[i][1]));
        snprintf(id, sizeof id, "%s-sub", tiles[i][0]);
        label(m, id, box(b.x + 8, b.y + b.h * 0.62, b.w - 16, b.h * 0.32), 16,
              KIOSK_WF_MULTILINE, filled ? KIOSK_TONE_HEADER : KIOSK_TONE_MUTED,
              tr(m, tiles[i][2]));
        m->cur_parent = saved;
    }
    sync_line(m, text, sizeof text, &tone);
    label(m, "sync", box(MARGIN, m->vh - 48 - 4, m->vw - 2 * MARGIN, 48), 18,
          KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, tone, text);
}

/* ---- First run */

static void build_first_run(kiosk_model_t *m)
{
    char text[4096], key[64];
    double y = topbar(m, tr(m, "first.title"), false);
    box_t c = content(m, y);
    size_t n = 0;
    text[0] = '\0';
    for (const char *p = m->missing; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        snprintf(key, sizeof key, "first.missing.%.*s", (int)l, p);
        n += (size_t)snprintf(text + n, sizeof text - n, "%s· %s",
                              n ? "\n" : "", tr(m, key));
        if (n >= sizeof text)
            break;
        p = e ? e + 1 : p + l;
    }
    double lh = narrow(m) ? 150 : 110;
    label(m, "first-intro", box(c.x, c.y, c.w, 30), 20, KIOSK_WF_LEFT,
          KIOSK_TONE_NORMAL, tr(m, "first.intro"));
    label(m, "first-missing", box(c.x, c.y + 34, c.w, lh - 34), 18,
          KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_DANGER, text);
    double bh = m->can_capture ? BTN + GAP : 0;
    kiosk_strings_fill(text, sizeof text, tr(m, "first.fix"), m->data_dir,
                       m->kiosk_id[0] ? m->kiosk_id : "<kiosk-id>",
                       m->site_id[0] ? m->site_id
                                     : (m->site ? m->site->id : "<site>"));
    label(m, "first-fix", box(c.x, c.y + lh, c.w, c.h - lh - bh), 15,
          KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
    if (m->can_capture)
        button(m, "continue", box(c.x, c.y + c.h - BTN, c.w, BTN), 20,
               KIOSK_TONE_PRIMARY, tr(m, "first.continue"));
}

/* ---- Identify / rating: staff grouped by team */

static bool staff_listed(const kiosk_model_t *m, const proto_staff_t *st)
{
    if (m->screen == KIOSK_SCREEN_IDENTIFY && m->identify_managers)
        return (st->role == PROTO_ROLE_LEAD ||
                st->role == PROTO_ROLE_MANAGER) &&
               st->pin_hash && st->pin_hash[0];
    return true;
}

static void build_staff(kiosk_model_t *m)
{
    const char *title = m->screen == KIOSK_SCREEN_RATING_STAFF
                            ? tr(m, "rating.who")
                            : (m->identify_managers ? tr(m, "identify.managers")
                                                    : tr(m, "identify.title"));
    double y = topbar(m, title, true);
    box_t c = content(m, y);
    if (!m->site) {
        label(m, "empty", c, 20, KIOSK_WF_MULTILINE, KIOSK_TONE_WARN,
              tr(m, "identify.noroster"));
        return;
    }
    double cw = narrow(m) ? 140 : 150, head = 30, row = 56;
    int cols = (int)floor((c.w + GAP) / (cw + GAP));
    if (cols < 1)
        cols = 1;
    double bw = (c.w - (cols - 1) * GAP) / cols;
    /* rows: a team header, then its staff cols at a time; pages break
     * before a row that does not fit */
    typedef struct {
        size_t team;
        size_t from; /* staff index in the filtered team list */
        bool header;
    } row_t;
    row_t rows[1200];
    size_t n_rows = 0;
    for (size_t t = 0; t < m->site->n_teams; t++) {
        size_t count = 0;
        for (size_t s = 0; s < m->site->n_staff; s++)
            if (strcmp(m->site->staff[s].team_id, m->site->teams[t].id) == 0 &&
                staff_listed(m, &m->site->staff[s]))
                count++;
        if (!count)
            continue;
        if (n_rows < 1200)
            rows[n_rows++] = (row_t){t, 0, true};
        for (size_t f = 0; f < count && n_rows < 1200; f += (size_t)cols)
            rows[n_rows++] = (row_t){t, f, false};
    }
    /* assign pages */
    int page_of[1200];
    double used = 0, avail = c.h;
    double total = 0;
    for (size_t r = 0; r < n_rows; r++)
        total += (rows[r].header ? head : row) + 6;
    if (total > avail)
        avail -= PAGER + GAP;
    int page = 0;
    for (size_t r = 0; r < n_rows; r++) {
        double h = (rows[r].header ? head : row) + 6;
        /* keep a header with its first row */
        double need = rows[r].header ? h + row + 6 : h;
        if (used + need > avail && used > 0) {
            page++;
            used = 0;
        }
        page_of[r] = page;
        used += h;
    }
    int pages = page + 1;
    if (m->page >= pages)
        m->page = pages - 1;
    double yy = c.y;
    char id[KIOSK_WIDGET_ID_MAX];
    for (size_t r = 0; r < n_rows; r++) {
        if (page_of[r] != m->page)
            continue;
        const proto_team_t *team = &m->site->teams[rows[r].team];
        if (rows[r].header) {
            snprintf(id, sizeof id, "team-%s", team->id);
            label(m, id, box(c.x, yy, c.w, head), 18, KIOSK_WF_LEFT,
                  KIOSK_TONE_MUTED, kiosk_text(m, &team->name));
            yy += head + 6;
            continue;
        }
        size_t k = 0;
        int col = 0;
        for (size_t s = 0; s < m->site->n_staff && col < cols; s++) {
            const proto_staff_t *st = &m->site->staff[s];
            if (strcmp(st->team_id, team->id) != 0 || !staff_listed(m, st))
                continue;
            if (k++ < rows[r].from)
                continue;
            snprintf(id, sizeof id, "staff-%s", st->id);
            int i = button(m, id, box(c.x + col * (bw + GAP), yy, bw, row), 22,
                           KIOSK_TONE_NORMAL, kiosk_text(m, &st->name));
            if (i >= 0 && m->staff && m->staff == st)
                m->w[i].flags |= KIOSK_WF_SELECTED;
            col++;
        }
        yy += row + 6;
    }
    if (n_rows == 0)
        label(m, "empty", box(c.x, c.y, c.w, 80), 20, KIOSK_WF_MULTILINE,
              KIOSK_TONE_WARN, tr(m, "identify.nomanagers"));
    pager(m, c, pages);
}

/* ---- PIN */

static void build_pin(kiosk_model_t *m)
{
    char title[256], msg[256], secs[32];
    kiosk_strings_fill(title, sizeof title, tr(m, "pin.title"),
                       kiosk_text(m, &m->pin_staff->name), NULL, NULL);
    double y = topbar(m, title, true);
    box_t c = content(m, y);
    bool locked = false;
    snprintf(msg, sizeof msg, "%s", m->pin_msg);
    for (size_t i = 0; i < m->n_pins; i++) {
        const pin_record_t *r = &m->pins[i];
        if (strcmp(r->staff_id, m->pin_staff->id) == 0 &&
            r->locked_until > m->now_ms) {
            locked = true;
            snprintf(secs, sizeof secs, "%lld",
                     (long long)((r->locked_until - m->now_ms + 999) / 1000));
            kiosk_strings_fill(msg, sizeof msg, tr(m, "pin.locked"), secs, NULL,
                               NULL);
        }
    }
    double kw = narrow(m) ? 130 : 120;
    double padw = 3 * kw + 2 * GAP;
    double x0 = narrow(m) ? (m->vw - padw) / 2 : c.x + c.w - padw;
    double info_w = narrow(m) ? c.w : c.w - padw - 24;
    double info_y = c.y;
    int i = add(m, KIOSK_W_DOTS, "pin-dots", box(c.x, info_y, info_w, 56), 0, 0,
                KIOSK_TONE_NORMAL, NULL);
    if (i >= 0) {
        m->w[i].value = (int)strlen(m->pin);
        m->w[i].aux = m->w[i].value > 4 ? m->w[i].value : 4;
    }
    label(m, "pin-msg", box(c.x, info_y + 64, info_w, 80), 20,
          KIOSK_WF_MULTILINE,
          locked          ? KIOSK_TONE_DANGER
          : m->pin_msg[0] ? KIOSK_TONE_WARN
                          : KIOSK_TONE_MUTED,
          msg[0] ? msg : tr(m, "pin.hint"));
    double ky = narrow(m) ? info_y + 160 : c.y;
    double kh = (c.y + c.h - ky - 3 * GAP) / 4;
    if (kh > 100)
        kh = 100;
    static const char *const keys[12][2] = {{"1", NULL}, {"2", NULL},
                                            {"3", NULL}, {"4", NULL},
                                            {"5", NULL}, {"6", NULL},
                                            {"7", NULL}, {"8", NULL},
                                            {"9", NULL}, {"clear", "pin.clear"},
                                            {"0", NULL}, {"ok", "pin.ok"}};
    for (int k = 0; k < 12; k++) {
        char id[KIOSK_WIDGET_ID_MAX];
        snprintf(id, sizeof id, "key-%s", keys[k][0]);
        int j = add(
            m, KIOSK_W_KEY, id,
            box(x0 + (k % 3) * (kw + GAP), ky + (k / 3) * (kh + GAP), kw, kh),
            keys[k][1] ? 22 : 32, KIOSK_WF_TAPPABLE,
            k == 11 ? KIOSK_TONE_PRIMARY : KIOSK_TONE_NORMAL,
            keys[k][1] ? tr(m, keys[k][1]) : keys[k][0]);
        if (j >= 0 && locked)
            m->w[j].flags |= KIOSK_WF_DISABLED;
    }
}

/* ---- Process and step pickers (check-in, guide) */

static bool has_steps(const proto_process_def_t *p)
{
    return p->n_steps > 0;
}

static void build_processes(kiosk_model_t *m, const char *title)
{
    double y = topbar(m, title, true);
    box_t c = content(m, y);
    if (!m->cat)
        return;
    int n = 0;
    for (size_t i = 0; i < m->cat->n_processes; i++)
        n += has_steps(m->cat->processes[i]);
    grid_t g = grid_plan(m, c, n, 300, 72, GAP);
    int k = 0;
    char id[KIOSK_WIDGET_ID_MAX], text[400];
    for (size_t i = 0; i < m->cat->n_processes; i++) {
        const proto_process_def_t *p = m->cat->processes[i];
        if (!has_steps(p))
            continue;
        if (k >= g.first && k < g.first + g.count) {
            snprintf(id, sizeof id, "proc-%s", p->id);
            if (p->parent)
                snprintf(text, sizeof text, "%s › %s",
                         kiosk_text(m, &p->parent->name),
                         kiosk_text(m, &p->name));
            else
                snprintf(text, sizeof text, "%s", kiosk_text(m, &p->name));
            button(m, id, grid_cell(&g, k), 20, KIOSK_TONE_NORMAL, text);
        }
        k++;
    }
    pager(m, c, g.pages);
}

static void build_steps(kiosk_model_t *m, const proto_process_def_t *p)
{
    double y = topbar(m, kiosk_text(m, &p->name), true);
    box_t c = content(m, y);
    grid_t g = grid_plan(m, c, (int)p->n_steps, 230, 80, GAP);
    char id[KIOSK_WIDGET_ID_MAX], text[300];
    for (int k = g.first; k < g.first + g.count; k++) {
        const proto_step_def_t *s = &p->steps[k];
        snprintf(id, sizeof id, "step-%s", s->id);
        snprintf(text, sizeof text, "%d. %s", k + 1, kiosk_text(m, &s->name));
        button(m, id, grid_cell(&g, k), 22, KIOSK_TONE_NORMAL, text);
    }
    pager(m, c, g.pages);
}

/* ---- Check-in measures */

static void build_measures(kiosk_model_t *m)
{
    const proto_step_def_t *st = m->step;
    double y = topbar(m, kiosk_text(m, &st->name), true);
    box_t c = content(m, y);
    char id[KIOSK_WIDGET_ID_MAX], text[400], a[32], b[32];
    double bottom = c.y + c.h - BTN; /* note + confirm row */
    double stars_h = st->asks_quality ? 60 : 0;
    double err_h = m->error[0] ? 56 : 0;
    size_t n = st->n_measures;
    bool two_line = narrow(m);
    /* portrait screens have height to spare: bigger steppers there */
    double bh = two_line ? 72 : BTN, sw = two_line ? 84 : 64;
    double valw = two_line ? 150 : 120;
    double row_h = two_line ? 34 + bh + 20 : BTN + 8;
    double avail = bottom - GAP - stars_h - err_h - c.y;
    int cols = 1;
    if (!two_line && n * row_h > avail)
        cols = 2;
    double colw = (c.w - (cols - 1) * 24) / cols;
    for (size_t i = 0; i < n; i++) {
        const proto_measure_def_t *md = &st->measures[i];
        int col = (int)(i % (size_t)cols);
        int r = (int)(i / (size_t)cols);
        double x = c.x + col * (colw + 24), yy = c.y + r * row_h;
        snprintf(text, sizeof text, "%s（%s）", kiosk_text(m, &md->name),
                 kiosk_text(m, &md->unit));
        if (m->lang == KIOSK_LANG_EN)
            snprintf(text, sizeof text, "%s (%s)", kiosk_text(m, &md->name),
                     kiosk_text(m, &md->unit));
        double today = kiosk_today_total(m, m->staff->id, st->id, md->id);
        fmt_num(a, sizeof a, today);
        fmt_num(b, sizeof b, md->daily_target);
        char today_text[200];
        kiosk_strings_fill(today_text, sizeof today_text,
                           md->daily_target > 0 ? tr(m, "checkin.today_of")
                                                : tr(m, "checkin.today"),
                           a, b, NULL);
        double ctl_w = sw + 8 + valw + 8 + sw;
        double cy = yy;
        snprintf(id, sizeof id, "name-%s", md->id);
        if (two_line) {
            /* name on the left, today's figure on the right, controls
             * under both */
            label(m, id, box(x, yy, colw * 0.55, 32), 20, KIOSK_WF_LEFT,
                  KIOSK_TONE_NORMAL, text);
            snprintf(id, sizeof id, "today-%s", md->id);
            label(m, id, box(x + colw * 0.55, yy, colw * 0.45, 32), 16,
                  KIOSK_WF_RIGHT, KIOSK_TONE_MUTED, today_text);
            cy = yy + 34;
        } else {
            double nw = cols == 1 ? colw * 0.36 : colw - ctl_w - 8;
            label(m, id, box(x, yy, nw, BTN), 20,
                  KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
            x += nw + 8;
        }
        snprintf(id, sizeof id, "minus-%s", md->id);
        button(m, id, box(x, cy, sw, bh), 32, KIOSK_TONE_NORMAL, "−");
        snprintf(id, sizeof id, "value-%s", md->id);
        fmt_num(a, sizeof a, m->values[i]);
        add(m, KIOSK_W_FIELD, id, box(x + sw + 8, cy, valw, bh), 30,
            KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL, a);
        snprintf(id, sizeof id, "plus-%s", md->id);
        button(m, id, box(x + sw + 8 + valw + 8, cy, sw, bh), 32,
               KIOSK_TONE_NORMAL, "+");
        if (cols == 1 && !two_line) {
            double tx = x + ctl_w + 12;
            double tw = c.x + c.w - tx;
            snprintf(id, sizeof id, "today-%s", md->id);
            label(m, id, box(tx, cy, tw, bh), 16,
                  KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_MUTED,
                  today_text);
        }
    }
    double yy = c.y + ((n + (size_t)cols - 1) / (size_t)cols) * row_h;
    if (st->asks_quality) {
        label(m, "quality-label", box(c.x, yy, narrow(m) ? 130 : 200, 52), 20,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL,
              tr(m, "checkin.quality"));
        double sx = c.x + (narrow(m) ? 136 : 208);
        for (int q = 1; q <= 5; q++) {
            snprintf(id, sizeof id, "star-%d", q);
            int i = add(m, KIOSK_W_STAR, id, box(sx + (q - 1) * 58, yy, 52, 52),
                        0, KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL, NULL);
            if (i >= 0)
                m->w[i].value = q <= m->quality;
        }
        yy += stars_h;
    }
    if (m->error[0])
        label(m, "error", box(c.x, yy, c.w, 52), 16,
              KIOSK_WF_MULTILINE | KIOSK_WF_LEFT, KIOSK_TONE_DANGER, m->error);
    double cw = narrow(m) ? 170 : 240;
    if (m->note[0])
        kiosk_strings_fill(text, sizeof text, tr(m, "checkin.note_is"), m->note,
                           NULL, NULL);
    else
        snprintf(text, sizeof text, "%s", tr(m, "checkin.note"));
    add(m, KIOSK_W_FIELD, "note", box(c.x, bottom, c.w - cw - GAP, BTN), 18,
        KIOSK_WF_TAPPABLE | KIOSK_WF_LEFT | KIOSK_WF_MULTILINE,
        m->note[0] ? KIOSK_TONE_NORMAL : KIOSK_TONE_MUTED, text);
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= m->values[i] > 0;
    int i =
        button(m, "confirm", box(c.x + c.w - cw, bottom, cw, BTN), 22,
               KIOSK_TONE_PRIMARY,
               m->saving ? tr(m, "common.saving") : tr(m, "checkin.confirm"));
    if (i >= 0 && (!any || m->saving))
        m->w[i].flags |= KIOSK_WF_DISABLED;
}

static void build_numpad(kiosk_model_t *m)
{
    const proto_measure_def_t *md = &m->step->measures[m->numpad_measure];
    char title[300], text[64], a[32];
    kiosk_strings_fill(title, sizeof title, tr(m, "numpad.title"),
                       kiosk_text(m, &md->name), NULL, NULL);
    double y = topbar(m, title, true);
    box_t c = content(m, y);
    bool nar = narrow(m);
    double kw = nar ? (c.w - 2 * GAP) / 3 : 130;
    double padw = 3 * kw + 2 * GAP;
    double px = nar ? c.x : c.x + c.w - padw;
    double infow = nar ? c.w : c.w - padw - 24;
    snprintf(text, sizeof text, "%s %s", m->numpad[0] ? m->numpad : "0",
             kiosk_text(m, &md->unit));
    add(m, KIOSK_W_FIELD, "np-display", box(c.x, c.y, infow, 72), 36, 0,
        KIOSK_TONE_NORMAL, text);
    fmt_num(a, sizeof a, md->max_per_checkin > 0 ? md->max_per_checkin : 99999);
    kiosk_strings_fill(text, sizeof text, tr(m, "numpad.max"), a, NULL, NULL);
    label(m, "np-max", box(c.x, c.y + 80, infow, 32), 16, 0, KIOSK_TONE_MUTED,
          text);
    double ky = nar ? c.y + 124 : c.y;
    double okh = BTN;
    double kh = nar ? 88 : (c.h - 3 * GAP) / 4;
    static const char *const keys[12][2] = {
        {"1", NULL}, {"2", NULL},
        {"3", NULL}, {"4", NULL},
        {"5", NULL}, {"6", NULL},
        {"7", NULL}, {"8", NULL},
        {"9", NULL}, {"clear", "pin.clear"},
        {"0", NULL}, {"back", "numpad.back"}};
    for (int k = 0; k < 12; k++) {
        char id[KIOSK_WIDGET_ID_MAX];
        snprintf(id, sizeof id, "key-%s", keys[k][0]);
        add(m, KIOSK_W_KEY, id,
            box(px + (k % 3) * (kw + GAP), ky + (k / 3) * (kh + GAP), kw, kh),
            keys[k][1] ? 22 : 32, KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL,
            keys[k][1] ? tr(m, keys[k][1]) : keys[k][0]);
    }
    double by = nar ? ky + 4 * (kh + GAP) : c.y + c.h - okh;
    double bw = (infow - GAP) / 2;
    button(m, "key-cancel", box(c.x, by, bw, okh), 22, KIOSK_TONE_NORMAL,
           tr(m, "common.cancel"));
    button(m, "key-ok", box(c.x + bw + GAP, by, bw, okh), 22,
           KIOSK_TONE_PRIMARY, tr(m, "pin.ok"));
}

/* ---- Check-in saved: the feedback card */

static void standing_text(kiosk_model_t *m, char *out, size_t len)
{
    char a[32], b[32], p[32];
    const char *team = m->staff->team_id;
    if (m->n_standings) {
        /* the latest week the server sent; team points are the sum of its
         * members' */
        const char *week = m->standings[0].week;
        for (size_t i = 1; i < m->n_standings; i++)
            if (strcmp(m->standings[i].week, week) > 0)
                week = m->standings[i].week;
        double pts[64] = {0};
        char ids[64][PROTO_ID_MAX + 1];
        size_t nt = 0;
        for (size_t i = 0; i < m->n_standings; i++) {
            const proto_standing_t *s = &m->standings[i];
            if (strcmp(s->week, week) != 0)
                continue;
            size_t k = 0;
            while (k < nt && strcmp(ids[k], s->team_id) != 0)
                k++;
            if (k == nt && nt < 64)
                snprintf(ids[nt++], sizeof ids[0], "%s", s->team_id);
            if (k < nt)
                pts[k] += (double)s->points;
        }
        double mine = -1;
        for (size_t k = 0; k < nt; k++)
            if (strcmp(ids[k], team) == 0)
                mine = pts[k];
        if (mine >= 0) {
            int rank = 1;
            for (size_t k = 0; k < nt; k++)
                rank += pts[k] > mine;
            snprintf(a, sizeof a, "%d", rank);
            snprintf(b, sizeof b, "%zu", nt);
            fmt_num(p, sizeof p, mine);
            kiosk_strings_fill(out, len, tr(m, "saved.standing_server"), a, b,
                               p);
            return;
        }
    }
    int rank, of;
    double pts;
    kiosk_team_rank(m, team, &rank, &of, &pts);
    snprintf(a, sizeof a, "%d", rank);
    snprintf(b, sizeof b, "%d", of);
    fmt_num(p, sizeof p, pts);
    kiosk_strings_fill(out, len, tr(m, "saved.standing_local"), a, b, p);
}

static void build_saved(kiosk_model_t *m)
{
    const proto_step_def_t *st = m->step;
    double y = topbar(m, tr(m, "saved.title"), false);
    box_t c = content(m, y);
    char id[KIOSK_WIDGET_ID_MAX], text[400], a[32], b[32], u[64];
    int card =
        add(m, KIOSK_W_PANEL, "card", box(c.x, c.y, c.w, c.h - BTN - GAP), 0, 0,
            KIOSK_TONE_NORMAL, NULL);
    int saved_parent = m->cur_parent;
    m->cur_parent = card;
    double x = c.x + 16, w = c.w - 32, yy = c.y + 12;
    kiosk_strings_fill(text, sizeof text, tr(m, "saved.headline"),
                       kiosk_text(m, &st->name), NULL, NULL);
    label(m, "saved", box(x, yy, w, 40), 26, KIOSK_WF_LEFT, KIOSK_TONE_OK,
          text);
    yy += 48;
    for (size_t i = 0; i < st->n_measures; i++) {
        const proto_measure_def_t *md = &st->measures[i];
        double today = kiosk_today_total(m, m->staff->id, st->id, md->id);
        fmt_num(a, sizeof a, today);
        fmt_num(b, sizeof b, md->daily_target);
        snprintf(u, sizeof u, "%s", kiosk_text(m, &md->unit));
        char line[300];
        kiosk_strings_fill(line, sizeof line,
                           md->daily_target > 0 ? tr(m, "saved.total_of")
                                                : tr(m, "saved.total"),
                           a, b, u);
        snprintf(text, sizeof text, "%s  %s", kiosk_text(m, &md->name), line);
        snprintf(id, sizeof id, "total-%s", md->id);
        double lw = md->daily_target > 0 ? w * 0.55 : w;
        label(m, id, box(x, yy, lw, 36), 20, KIOSK_WF_LEFT, KIOSK_TONE_NORMAL,
              text);
        if (md->daily_target > 0) {
            snprintf(id, sizeof id, "bar-%s", md->id);
            int k =
                add(m, KIOSK_W_PROGRESS, id,
                    box(x + lw + 12, yy + 8, w - lw - 12, 20), 0, 0,
                    today >= md->daily_target ? KIOSK_TONE_OK : KIOSK_TONE_WARN,
                    NULL);
            if (k >= 0) {
                double pm = today / md->daily_target * 1000;
                m->w[k].value = (int)(pm > 1000 ? 1000 : pm);
            }
        }
        yy += 40;
    }
    fmt_num(a, sizeof a, m->earned);
    fmt_num(b, sizeof b, kiosk_day_points(m, m->staff->id, m->now_ms, 0));
    kiosk_strings_fill(text, sizeof text, tr(m, "saved.points"), a, b, NULL);
    label(m, "points", box(x, yy, w, 36), 20, KIOSK_WF_LEFT, KIOSK_TONE_PRIMARY,
          text);
    yy += 40;
    standing_text(m, text, sizeof text);
    label(m, "standing", box(x, yy, w, c.y + c.h - BTN - GAP - yy - 8), 18,
          KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
    m->cur_parent = saved_parent;
    double bw = (c.w - GAP) / 2;
    button(m, "again", box(c.x, c.y + c.h - BTN, bw, BTN), 20,
           KIOSK_TONE_NORMAL, tr(m, "saved.again"));
    button(m, "done", box(c.x + bw + GAP, c.y + c.h - BTN, bw, BTN), 20,
           KIOSK_TONE_PRIMARY, tr(m, "saved.done"));
}

/* ---- Suggest */

static const char *status_text(const kiosk_model_t *m, const char *status,
                               bool local_only)
{
    char key[96];
    if (local_only)
        return tr(m, "status.local");
    snprintf(key, sizeof key, "status.%s", status);
    const char *t = tr(m, key);
    return t == key || strcmp(t, key) == 0 ? status : t;
}

static kiosk_tone_t status_tone(const char *status, bool local_only)
{
    if (local_only)
        return KIOSK_TONE_WARN;
    if (strcmp(status, "accepted") == 0 || strcmp(status, "done") == 0)
        return KIOSK_TONE_OK;
    if (strcmp(status, "rejected") == 0)
        return KIOSK_TONE_DANGER;
    return KIOSK_TONE_PRIMARY;
}

/* Next code point of s at *i (0 at the end). */
static unsigned next_cp(const char *s, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    unsigned c = p[0];
    size_t n = 1;
    if (!c)
        return 0;
    if (c >= 0xF0)
        c &= 0x07, n = 4;
    else if (c >= 0xE0)
        c &= 0x0F, n = 3;
    else if (c >= 0xC0)
        c &= 0x1F, n = 2;
    for (size_t k = 1; k < n && p[k]; k++)
        c = (c << 6) | (p[k] & 0x3F);
    *i += n;
    return c;
}

/* Two titles look alike when they share two consecutive CJK characters
 * or a Latin word of four letters or more. */
static bool similar_title(const char *a, const char *b)
{
    unsigned prev = 0, c;
    size_t i = 0;
    char word[64];
    size_t wl = 0;
    if (!a || !b || !a[0] || !b[0])
        return false;
    while (1) {
        size_t at = i;
        c = next_cp(a, &i);
        bool latin = c && c < 128 && ((c | 32) >= 'a' && (c | 32) <= 'z');
        if (latin && wl + 1 < sizeof word) {
            word[wl++] = (char)(c | 32);
        } else {
            if (wl >= 4) {
                word[wl] = '\0';
                if (strcasestr(b, word))
                    return true;
            }
            wl = 0;
        }
        if (c >= 0x2E80 && prev >= 0x2E80) {
            /* the previous character and this one, as bytes */
            size_t start = at;
            do
                start--;
            while (start > 0 && ((unsigned char)a[start] & 0xC0) == 0x80);
            char pair[16];
            size_t len = i - start;
            if (len < sizeof pair) {
                memcpy(pair, a + start, len);
                pair[len] = '\0';
                if (strstr(b, pair))
                    return true;
            }
        }
        if (!c)
            break;
        prev = c;
    }
    return false;
}

static bool is_similar(const kiosk_model_t *m, const board_item_t *b)
{
    if (m->sg_step && strcmp(b->s.step_id, m->sg_step->id) == 0)
        return true;
    if (m->sg_proc && !m->sg_step &&
        strcmp(b->s.process_id, m->sg_proc->id) == 0)
        return true;
    return similar_title(m->title, b->s.title);
}

/* With the similar hook: the feed's suggestions it found for this title,
 * and suggestions captured here and not in the feed yet (so not in its
 * index) that share three consecutive characters with it. Titles under
 * three characters find nothing. */
static bool similar_hit(const kiosk_model_t *m, const board_item_t *b)
{
    if (kiosk_utf8_len(m->title) < 3)
        return false;
    if (b->local_only)
        return kiosk_shares_trigram(m->title, b->s.title);
    for (size_t i = 0; i < m->n_sim; i++)
        if (strcmp(m->sim_ids[i], b->s.id) == 0)
            return true;
    return false;
}

static void vote_button(kiosk_model_t *m, const char *id, box_t bx,
                        const board_item_t *b)
{
    bool voted = m->staff && kiosk_voted(m, m->staff->id, b->s.id);
    bool busy =
        m->saving == SAVING_VOTE && strcmp(m->vote_target, b->s.id) == 0;
    int i =
        button(m, id, bx, 20, voted ? KIOSK_TONE_DANGER : KIOSK_TONE_PRIMARY,
               busy ? tr(m, "common.saving")
                    : (voted ? tr(m, "board.withdraw") : tr(m, "board.plus1")));
    if (i >= 0 && busy)
        m->w[i].flags |= KIOSK_WF_DISABLED;
}

static void build_suggest(kiosk_model_t *m)
{
    char text[PROTO_BODY_MAX + 200], id[KIOSK_WIDGET_ID_MAX];
    double y = topbar(m, tr(m, "suggest.title"), true);
    box_t c = content(m, y);
    bool nar = narrow(m);
    double fw = nar ? c.w : c.w * 0.6;
    double x = c.x, yy = c.y;
    double hw = (fw - GAP) / 2;
    int i = button(m, "kind-problem", box(x, yy, hw, 52), 20, KIOSK_TONE_NORMAL,
                   tr(m, "suggest.problem"));
    if (i >= 0 && m->kind == PROTO_KIND_PROBLEM)
        m->w[i].flags |= KIOSK_WF_SELECTED;
    i = button(m, "kind-idea", box(x + hw + GAP, yy, hw, 52), 20,
               KIOSK_TONE_NORMAL, tr(m, "suggest.idea"));
    if (i >= 0 && m->kind == PROTO_KIND_IDEA)
        m->w[i].flags |= KIOSK_WF_SELECTED;
    yy += 52 + GAP;
    const char *about = m->sg_step
                            ? kiosk_text(m, &m->sg_step->name)
                            : (m->sg_proc ? kiosk_text(m, &m->sg_proc->name)
                                          : tr(m, "suggest.general"));
    kiosk_strings_fill(text, sizeof text, tr(m, "suggest.about"), about, NULL,
                       NULL);
    i = button(m, "target", box(x, yy, fw, 52), 18, KIOSK_TONE_NORMAL, text);
    if (i >= 0)
        m->w[i].flags |= KIOSK_WF_LEFT;
    yy += 52 + GAP;
    add(m, KIOSK_W_FIELD, "title", box(x, yy, fw, 52), 20,
        KIOSK_WF_TAPPABLE | KIOSK_WF_LEFT | KIOSK_WF_MULTILINE,
        m->title[0] ? KIOSK_TONE_NORMAL : KIOSK_TONE_MUTED,
        m->title[0] ? m->title : tr(m, "suggest.title_hint"));
    yy += 52 + GAP;
    double body_h =
        nar ? 96 : c.y + c.h - BTN - GAP - (m->error[0] ? 48 : 0) - yy;
    if (body_h > 120)
        body_h = 120;
    if (m->body[0]) {
        /* the end of a long body, where typing continues */
        size_t len = strlen(m->body), from = len > 240 ? len - 240 : 0;
        while (from > 0 && ((unsigned char)m->body[from] & 0xC0) == 0x80)
            from++;
        snprintf(text, sizeof text, "%s%s", from ? "…" : "", m->body + from);
    } else {
        snprintf(text, sizeof text, "%s", tr(m, "suggest.body_hint"));
    }
    add(m, KIOSK_W_FIELD, "body", box(x, yy, fw, body_h), 18,
        KIOSK_WF_TAPPABLE | KIOSK_WF_LEFT | KIOSK_WF_MULTILINE,
        m->body[0] ? KIOSK_TONE_NORMAL : KIOSK_TONE_MUTED, text);
    yy += body_h + GAP;
    if (m->error[0]) {
        label(m, "error", box(x, yy, fw, 44), 15,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_DANGER, m->error);
        yy += 48;
    }
    double sy = nar ? yy : c.y + c.h - BTN;
    i = add(m, KIOSK_W_SWITCH, "anonymous", box(x, sy, hw, BTN), 18,
            KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL, tr(m, "suggest.anonymous"));
    if (i >= 0)
        m->w[i].value = m->anonymous;
    i = button(m, "submit", box(x + hw + GAP, sy, hw, BTN), 22,
               KIOSK_TONE_PRIMARY,
               m->saving ? tr(m, "common.saving") : tr(m, "suggest.submit"));
    if (i >= 0 && (!m->title[0] || m->saving))
        m->w[i].flags |= KIOSK_WF_DISABLED;
    /* similar suggestions */
    double rx = nar ? c.x : c.x + fw + 20;
    double ry = nar ? sy + BTN + 16 : c.y;
    double rw = nar ? c.w : c.w - fw - 20;
    double rh = c.y + c.h - ry;
    label(m, "similar-head", box(rx, ry, rw, 32), 18, KIOSK_WF_LEFT,
          KIOSK_TONE_MUTED, tr(m, "suggest.similar"));
    ry += 36;
    int shown = 0;
    int max = (int)((rh - 36) / (104 + GAP));
    if (max > 3)
        max = 3;
    for (size_t k = 0; k < m->n_board && shown < max; k++) {
        const board_item_t *b = &m->board[k];
        if (m->similar ? !similar_hit(m, b)
                       : (!(m->title[0] || m->sg_proc) || !is_similar(m, b)))
            continue;
        char votes[32];
        snprintf(votes, sizeof votes, "%u", b->s.votes);
        kiosk_strings_fill(text, sizeof text, tr(m, "suggest.similar_row"),
                           b->s.title, votes, NULL);
        snprintf(id, sizeof id, "similar-%zu", k + 1);
        label(m, id, box(rx, ry, rw, 48), 16,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
        snprintf(id, sizeof id, "similar-vote-%zu", k + 1);
        vote_button(m, id, box(rx + rw - 120, ry + 50, 120, 48), b);
        ry += 104 + GAP;
        shown++;
    }
    if (!shown)
        label(m, "similar-none", box(rx, ry, rw, 60), 16,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_MUTED,
              tr(m, (m->similar ? kiosk_utf8_len(m->title) >= 3
                                : (m->title[0] || m->sg_proc))
                        ? "suggest.similar_none"
                        : "suggest.similar_hint"));
}

static void build_suggest_target(kiosk_model_t *m)
{
    double y = topbar(m, tr(m, "suggest.target_title"), true);
    box_t c = content(m, y);
    /* entries: general, then each process with steps and its steps */
    int n = 1;
    if (m->cat)
        for (size_t i = 0; i < m->cat->n_processes; i++)
            if (has_steps(m->cat->processes[i]))
                n += 1 + (int)m->cat->processes[i]->n_steps;
    grid_t g = grid_plan(m, c, n, 320, 52, 6);
    char id[KIOSK_WIDGET_ID_MAX], text[300];
    int k = 0;
    if (k >= g.first && k < g.first + g.count)
        button(m, "target-general", grid_cell_down(&g, k), 18,
               KIOSK_TONE_PRIMARY, tr(m, "suggest.general_long"));
    k++;
    for (size_t i = 0; m->cat && i < m->cat->n_processes; i++) {
        const proto_process_def_t *p = m->cat->processes[i];
        if (!has_steps(p))
            continue;
        if (k >= g.first && k < g.first + g.count) {
            snprintf(id, sizeof id, "target-p-%s", p->id);
            int w = button(m, id, grid_cell_down(&g, k), 18, KIOSK_TONE_NORMAL,
                           kiosk_text(m, &p->name));
            if (w >= 0)
                m->w[w].flags |= KIOSK_WF_LEFT;
        }
        k++;
        for (size_t s = 0; s < p->n_steps; s++, k++) {
            if (k < g.first || k >= g.first + g.count)
                continue;
            snprintf(id, sizeof id, "target-s-%s", p->steps[s].id);
            snprintf(text, sizeof text, "    · %s",
                     kiosk_text(m, &p->steps[s].name));
            int w = button(m, id, grid_cell_down(&g, k), 16, KIOSK_TONE_NORMAL,
                           text);
            if (w >= 0)
                m->w[w].flags |= KIOSK_WF_LEFT;
        }
    }
    pager(m, c, g.pages);
}

/* ---- Keyboard */

/* The candidate bar: the composition as typed, the current page of
 * candidates (widths follow their length, so a four-character phrase is
 * as readable as a single character) and ‹ › to turn pages. While the
 * input method is preparing, has failed or is switched to 英, one line
 * says so in its place; the bar keeps its height, so keys never jump. */
static void candidate_bar(kiosk_model_t *m, box_t bar, double pre_w)
{
    char id[32];
    kiosk_ime_state_t st = kiosk_ime_state(m);
    const char *status = NULL;
    if (st == KIOSK_IME_PREPARING)
        status = tr(m, "kb.preparing");
    else if (st == KIOSK_IME_FAILED)
        status = tr(m, "kb.ime_failed");
    else if (!kiosk_ime_active(m))
        status = tr(m, "kb.ime_en_hint");
    const char *pre = "";
    if (!status && m->ime->preedit)
        pre = m->ime->preedit(m->ime->ctx);
    if (!pre)
        pre = "";
    if (!status && !pre[0])
        status = tr(m, "kb.ime_hint");
    if (status) {
        label(m, "ime-status", bar, 16, KIOSK_WF_LEFT | KIOSK_WF_MULTILINE,
              st == KIOSK_IME_FAILED ? KIOSK_TONE_DANGER : KIOSK_TONE_MUTED,
              status);
        return;
    }
    bool nar = narrow(m);
    if (nar) {
        /* portrait: the composition gets a line of its own above */
        label(m, "ime-preedit", box(bar.x, bar.y - 40, bar.w, 36), 20,
              KIOSK_WF_LEFT, KIOSK_TONE_PRIMARY, pre);
    } else {
        label(m, "ime-preedit", box(bar.x, bar.y, pre_w, bar.h), 20,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_PRIMARY, pre);
        bar.x += pre_w + GAP;
        bar.w -= pre_w + GAP;
    }
    bool has_prev = false, has_next = false;
    if (m->ime->paging)
        m->ime->paging(m->ime->ctx, &has_prev, &has_next);
    double aw = nar ? 44 : 52, gap = nar ? 4 : 8;
    int i = button(m, "ime-prev", box(bar.x, bar.y, aw, bar.h), 24,
                   KIOSK_TONE_NORMAL, "‹");
    if (i >= 0 && !has_prev)
        m->w[i].flags |= KIOSK_WF_DISABLED;
    i = button(m, "ime-next", box(bar.x + bar.w - aw, bar.y, aw, bar.h), 24,
               KIOSK_TONE_NORMAL, "›");
    if (i >= 0 && !has_next)
        m->w[i].flags |= KIOSK_WF_DISABLED;
    const char *cand[9];
    double weight[9], total = 0;
    size_t n = 0;
    for (; m->ime->candidate && n < 9; n++) {
        cand[n] = m->ime->candidate(m->ime->ctx, n);
        if (!cand[n])
            break;
        size_t cps = kiosk_utf8_len(cand[n]);
        weight[n] = (cps < 2 ? 2 : (double)cps) + 1;
        total += weight[n];
    }
    if (!n)
        return;
    double x = bar.x + aw + gap;
    double room = bar.w - 2 * (aw + gap) - (double)(n - 1) * gap;
    double minw = nar ? 42 : 48;
    bool equal = false;
    for (size_t k = 0; k < n; k++)
        if (room * weight[k] / total < minw)
            equal = true;
    for (size_t k = 0; k < n; k++) {
        double w = equal ? room / (double)n : room * weight[k] / total;
        snprintf(id, sizeof id, "ime-cand-%zu", k);
        button(m, id, box(x, bar.y, w, bar.h), 22,
               k == 0 ? KIOSK_TONE_PRIMARY : KIOSK_TONE_NORMAL, cand[k]);
        x += w + gap;
    }
}

static void build_keyboard(kiosk_model_t *m)
{
    static const char *const titles[] = {"kb.title", "kb.body", "kb.note"};
    static const size_t limits[] = {PROTO_TITLE_MAX, PROTO_BODY_MAX,
                                    PROTO_NOTE_MAX};
    /* the symbols row; comma, period and question are on the letter rows */
    static const char *const symbols[] = {"excl",      "dunhao", "colon",
                                          "semicolon", "lquote", "rquote",
                                          "ellipsis",  "dash"};
    const char *buf = m->field == FIELD_TITLE
                          ? m->title
                          : (m->field == FIELD_BODY ? m->body : m->note);
    char text[400], a[32], b[32], id[32];
    double y = topbar(m, tr(m, titles[m->field]), true);
    box_t c = content(m, y);
    bool nar = narrow(m);
    bool ime_on = kiosk_ime_state(m) != KIOSK_IME_OFF;
    /* the end of the text, where typing goes on, with a caret */
    size_t len = strlen(buf), from = len > 150 ? len - 150 : 0;
    while (from > 0 && ((unsigned char)buf[from] & 0xC0) == 0x80)
        from++;
    snprintf(text, sizeof text, "%s%.*s|", from ? "…" : "", 200, buf + from);
    /* landscape with the candidate bar: a lower field keeps keys ≥ 48 */
    double fh = nar ? 150 : (ime_on ? 52 : 70);
    add(m, KIOSK_W_FIELD, "kb-field", box(c.x, c.y, c.w - 110, fh), 20,
        KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
    snprintf(a, sizeof a, "%zu", len);
    snprintf(b, sizeof b, "%zu", limits[m->field]);
    kiosk_strings_fill(text, sizeof text, tr(m, "kb.count"), a, b, NULL);
    label(m, "kb-count", box(c.x + c.w - 100, c.y, 100, fh), 15,
          KIOSK_WF_MULTILINE, KIOSK_TONE_MUTED, text);
    double ky = c.y + fh + GAP;
    if (ime_on) {
        if (nar)
            ky += 40; /* the composition's own line */
        candidate_bar(m, box(c.x, ky, c.w, 52), 130);
        ky += 52 + (nar ? GAP : 6);
    }
    static const char *const rows[4] = {"1234567890", "qwertyuiop", "asdfghjkl",
                                        "zxcvbnm"};
    double gap = 6;
    if (nar) {
        /* ten keys across a portrait screen: use every unit of width */
        gap = 4;
        c.x = 4;
        c.w = m->vw - 8;
    }
    double kh = (c.y + c.h - ky - 4 * gap) / 5;
    if (kh > 90)
        kh = 90;
    double kw = (c.w - 9 * gap) / 10;
    for (int r = 0; r < 4; r++) {
        size_t n = r == 0 && m->symbols ? sizeof symbols / sizeof symbols[0]
                                        : strlen(rows[r]);
        double rx = c.x + (10 - (double)n) * (kw + gap) / 2;
        if (r == 3)
            rx = c.x;
        for (size_t k = 0; k < n; k++) {
            box_t kb = box(rx + k * (kw + gap), ky + r * (kh + gap), kw, kh);
            if (r == 0 && m->symbols) {
                snprintf(id, sizeof id, "k-%s", symbols[k]);
                /* "……" is two wide glyphs: one shows what the key is */
                add(m, KIOSK_W_KEY, id, kb, 24, KIOSK_WF_TAPPABLE,
                    KIOSK_TONE_NORMAL,
                    strcmp(symbols[k], "ellipsis") == 0
                        ? "…"
                        : kiosk_punct_text(m, symbols[k]));
                continue;
            }
            char key[2] = {rows[r][k], 0};
            char cap[2] = {
                m->shift && key[0] >= 'a' ? (char)(key[0] - 32) : key[0], 0};
            snprintf(id, sizeof id, "k-%s", key);
            add(m, KIOSK_W_KEY, id, kb, 24, KIOSK_WF_TAPPABLE,
                KIOSK_TONE_NORMAL, cap);
        }
        if (r == 3) {
            static const char *const tail[] = {"comma", "period", "question"};
            for (int t = 0; t < 3; t++) {
                snprintf(id, sizeof id, "k-%s", tail[t]);
                add(m, KIOSK_W_KEY, id,
                    box(rx + (7 + t) * (kw + gap), ky + r * (kh + gap), kw, kh),
                    24, KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL,
                    kiosk_punct_text(m, tail[t]));
            }
        }
    }
    /* bottom row: [中/英] 符号 大写 删除 空格 完成, in units of one key */
    double by = ky + 4 * (kh + gap);
    double u = kw + gap, x = c.x;
    double small = ime_on ? 1.5 : 2;
    int i;
    if (ime_on) {
        i = add(m, KIOSK_W_KEY, "k-ime", box(x, by, small * u - gap, kh), 22,
                KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL,
                tr(m, m->ime_en ? "kb.ime_en" : "kb.ime_zh"));
        if (i >= 0 && !m->ime_en)
            m->w[i].flags |= KIOSK_WF_SELECTED;
        x += small * u;
    }
    i = add(m, KIOSK_W_KEY, "k-sym", box(x, by, small * u - gap, kh), 18,
            KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL,
            tr(m, m->symbols ? "kb.digits" : "kb.sym"));
    x += small * u;
    i = add(m, KIOSK_W_KEY, "k-shift", box(x, by, small * u - gap, kh), 18,
            KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL, tr(m, "kb.shift"));
    if (i >= 0 && m->shift)
        m->w[i].flags |= KIOSK_WF_SELECTED;
    x += small * u;
    add(m, KIOSK_W_KEY, "k-back", box(x, by, small * u - gap, kh), 18,
        KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL, tr(m, "kb.back"));
    x += small * u;
    double done_x = c.x + 8 * u;
    add(m, KIOSK_W_KEY, "k-space", box(x, by, done_x - gap - x, kh), 18,
        KIOSK_WF_TAPPABLE, KIOSK_TONE_NORMAL, tr(m, "kb.space"));
    add(m, KIOSK_W_KEY, "k-done", box(done_x, by, c.x + c.w - done_x, kh), 20,
        KIOSK_WF_TAPPABLE, KIOSK_TONE_PRIMARY, tr(m, "kb.done"));
}

static void build_suggest_voted(kiosk_model_t *m)
{
    char text[PROTO_TITLE_MAX + 400];
    double y = topbar(m, tr(m, "suggest.voted_title"), false);
    box_t c = content(m, y);
    label(m, "voted", box(c.x, c.y + 20, c.w, 48), 28, 0, KIOSK_TONE_OK,
          tr(m, "suggest.voted"));
    kiosk_strings_fill(text, sizeof text, tr(m, "suggest.voted_detail"),
                       m->voted_title, NULL, NULL);
    label(m, "voted-detail", box(c.x, c.y + 80, c.w, 120), 18,
          KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
    double bw = (c.w - GAP) / 2;
    button(m, "board", box(c.x, c.y + c.h - BTN, bw, BTN), 20,
           KIOSK_TONE_NORMAL, tr(m, "suggest.to_board"));
    button(m, "done", box(c.x + bw + GAP, c.y + c.h - BTN, bw, BTN), 20,
           KIOSK_TONE_PRIMARY, tr(m, "saved.done"));
}

static void build_suggest_saved(kiosk_model_t *m)
{
    char text[300];
    double y = topbar(m, tr(m, "suggest.saved_title"), false);
    box_t c = content(m, y);
    label(m, "saved", box(c.x, c.y + 20, c.w, 48), 28, 0, KIOSK_TONE_OK,
          tr(m, "suggest.saved"));
    const proto_event_t *ev =
        m->n_history ? &m->history[m->n_history - 1] : NULL;
    char seq[32];
    snprintf(seq, sizeof seq, "%llu", ev ? (unsigned long long)ev->seq : 0ULL);
    kiosk_strings_fill(text, sizeof text, tr(m, "suggest.saved_detail"), seq,
                       NULL, NULL);
    label(m, "saved-detail", box(c.x, c.y + 80, c.w, 80), 18,
          KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
    double bw = (c.w - GAP) / 2;
    button(m, "board", box(c.x, c.y + c.h - BTN, bw, BTN), 20,
           KIOSK_TONE_NORMAL, tr(m, "suggest.to_board"));
    button(m, "done", box(c.x + bw + GAP, c.y + c.h - BTN, bw, BTN), 20,
           KIOSK_TONE_PRIMARY, tr(m, "saved.done"));
}

/* ---- Board */

static void build_board(kiosk_model_t *m)
{
    char text[PROTO_TITLE_MAX + 100], id[KIOSK_WIDGET_ID_MAX], v[32];
    double y = topbar(m, tr(m, "board.title"), true);
    box_t c = content(m, y);
    if (m->error[0]) {
        label(m, "error", box(c.x, c.y, c.w, 44), 15,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_DANGER, m->error);
        c.y += 48;
        c.h -= 48;
    }
    if (m->n_board == 0) {
        label(m, "empty", box(c.x, c.y, c.w, 80), 20, KIOSK_WF_MULTILINE,
              KIOSK_TONE_MUTED, tr(m, "board.empty"));
        return;
    }
    bool nar = narrow(m);
    double rh = nar ? 120 : 64;
    grid_t g = grid_plan(m, c, (int)m->n_board, c.w, rh, 8);
    for (int k = g.first; k < g.first + g.count; k++) {
        const board_item_t *b = &m->board[k];
        box_t r = grid_cell(&g, k);
        snprintf(id, sizeof id, "badge-%d", k + 1);
        add(m, KIOSK_W_BADGE, id, box(r.x, r.y + 8, 110, 48), 16, 0,
            status_tone(b->s.status, b->local_only),
            status_text(m, b->s.status, b->local_only));
        snprintf(id, sizeof id, "title-%d", k + 1);
        snprintf(text, sizeof text, "%s %s",
                 b->s.kind == PROTO_KIND_IDEA ? tr(m, "board.idea_prefix")
                                              : tr(m, "board.problem_prefix"),
                 b->s.title ? b->s.title : "");
        double tx = r.x + 120;
        double tw = nar ? r.w - 120 : r.w - 120 - 100 - 130 - 2 * GAP;
        label(m, id, box(tx, r.y, tw, nar ? 60 : rh), 18,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
        snprintf(v, sizeof v, "%u", b->s.votes);
        kiosk_strings_fill(text, sizeof text, tr(m, "board.votes"), v, NULL,
                           NULL);
        snprintf(id, sizeof id, "votes-%d", k + 1);
        double vy = nar ? r.y + 64 : r.y + 8;
        double vx = nar ? tx : tx + tw + GAP;
        label(m, id, box(vx, vy, 100, 48), 18, 0, KIOSK_TONE_NORMAL, text);
        snprintf(id, sizeof id, "vote-%d", k + 1);
        vote_button(m, id, box(r.x + r.w - 130, vy, 130, 48), b);
    }
    pager(m, c, g.pages);
}

/* ---- Guide */

/* Conservative width estimate in ems, for paging guide lines before the
 * view measures them: CJK one em, Latin 0.6. */
static double text_ems(const char *s)
{
    double ems = 0;
    size_t i = 0;
    unsigned c;
    while ((c = next_cp(s, &i)) != 0)
        ems += c >= 0x2E80 ? 1.0 : 0.52;
    return ems;
}

static void build_guide_step(kiosk_model_t *m)
{
    const proto_step_def_t *st = m->guide_step;
    double y = topbar(m, kiosk_text(m, &st->name), true);
    box_t c = content(m, y);
    const char *guide = kiosk_text(m, &st->guide);
    /* the guide's lines, then one line per measure with its target */
    char lines[64][1024];
    size_t n = 0;
    for (const char *p = guide; p && *p && n < 48;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l >= sizeof lines[0])
            l = sizeof lines[0] - 1;
        if (l > 0) {
            memcpy(lines[n], p, l);
            lines[n][l] = '\0';
            n++;
        }
        p = e ? e + 1 : p + strlen(p);
    }
    if (n == 0)
        snprintf(lines[n++], sizeof lines[0], "%s", tr(m, "guide.none"));
    for (size_t i = 0; i < st->n_measures && n < 64; i++) {
        char a[32], line[400];
        fmt_num(a, sizeof a, st->measures[i].daily_target);
        kiosk_strings_fill(line, sizeof line,
                           st->measures[i].daily_target > 0
                               ? tr(m, "guide.target")
                               : tr(m, "guide.measure"),
                           kiosk_text(m, &st->measures[i].name), a,
                           kiosk_text(m, &st->measures[i].unit));
        snprintf(lines[n++], sizeof lines[0], "%s", line);
    }
    double font = 20, lh = font * 1.45;
    double heights[64], total = 0;
    for (size_t i = 0; i < n; i++) {
        double per_line = floor((c.w - 8) / font);
        double nl = ceil(text_ems(lines[i]) / per_line);
        if (nl < 1)
            nl = 1;
        heights[i] = nl * lh + 10;
        total += heights[i] + 4;
    }
    double avail = c.h;
    if (total > avail)
        avail -= PAGER + GAP;
    int page = 0, page_of[64];
    double used = 0;
    for (size_t i = 0; i < n; i++) {
        if (used + heights[i] > avail && used > 0) {
            page++;
            used = 0;
        }
        page_of[i] = page;
        used += heights[i] + 4;
    }
    if (m->page > page)
        m->page = page;
    double yy = c.y;
    char id[KIOSK_WIDGET_ID_MAX];
    for (size_t i = 0; i < n; i++) {
        if (page_of[i] != m->page)
            continue;
        snprintf(id, sizeof id, "line-%zu", i + 1);
        label(m, id, box(c.x, yy, c.w, heights[i]), font,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE,
              i + st->n_measures >= n ? KIOSK_TONE_PRIMARY : KIOSK_TONE_NORMAL,
              lines[i]);
        yy += heights[i] + 4;
    }
    pager(m, c, page + 1);
}

/* ---- Me */

static void build_me(kiosk_model_t *m)
{
    char title[200], text[600], id[KIOSK_WIDGET_ID_MAX], a[32], b[32];
    kiosk_strings_fill(title, sizeof title, tr(m, "me.title"),
                       kiosk_text(m, &m->staff->name), NULL, NULL);
    double y = topbar(m, title, true);
    box_t c = content(m, y);
    bool nar = narrow(m);
    double lw = nar ? c.w : c.w * 0.48;
    double yy = c.y;
    label(m, "today-head", box(c.x, yy, lw, 32), 20, KIOSK_WF_LEFT,
          KIOSK_TONE_MUTED, tr(m, "me.today"));
    yy += 36;
    int rows = 0;
    int64_t today = kiosk_day_of(m, m->now_ms);
    int max_rows = nar ? 4 : 5;
    for (size_t s = 0; m->cat && s < m->cat->n_steps && rows < max_rows; s++) {
        const proto_step_def_t *st = m->cat->steps[s];
        bool any = false;
        for (size_t i = 0; i < m->n_history && !any; i++)
            any = m->history[i].type == PROTO_EV_CHECKIN &&
                  strcmp(m->history[i].staff_id, m->staff->id) == 0 &&
                  strcmp(m->history[i].step_id, st->id) == 0 &&
                  kiosk_day_of(m, m->history[i].captured_ms) == today;
        if (!any)
            continue;
        bool en = m->lang == KIOSK_LANG_EN;
        const char *comma = en ? ", " : "，";
        size_t n = (size_t)snprintf(text, sizeof text, "%s%s",
                                    kiosk_text(m, &st->name), en ? ": " : "：");
        for (size_t k = 0; k < st->n_measures && n < sizeof text; k++) {
            const proto_measure_def_t *md = &st->measures[k];
            fmt_num(a, sizeof a,
                    kiosk_today_total(m, m->staff->id, st->id, md->id));
            fmt_num(b, sizeof b, md->daily_target);
            if (md->daily_target > 0)
                n += (size_t)snprintf(text + n, sizeof text - n, "%s%s %s/%s",
                                      k ? comma : "", kiosk_text(m, &md->name),
                                      a, b);
            else
                n += (size_t)snprintf(text + n, sizeof text - n, "%s%s %s",
                                      k ? comma : "", kiosk_text(m, &md->name),
                                      a);
        }
        snprintf(id, sizeof id, "me-step-%d", ++rows);
        label(m, id, box(c.x, yy, lw, 52), 16,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
        yy += 56;
    }
    if (!rows) {
        label(m, "me-none", box(c.x, yy, lw, 40), 18, KIOSK_WF_LEFT,
              KIOSK_TONE_MUTED, tr(m, "me.none_today"));
        yy += 44;
    }
    fmt_num(a, sizeof a, kiosk_day_points(m, m->staff->id, m->now_ms, 0));
    fmt_num(b, sizeof b, kiosk_week_points(m, m->staff->id));
    kiosk_strings_fill(text, sizeof text, tr(m, "me.points"), a, b, NULL);
    label(m, "me-points", box(c.x, yy, lw, 44), 20,
          KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_PRIMARY, text);
    yy += 48;
    /* my suggestions */
    double rx = nar ? c.x : c.x + lw + 20;
    double ry = nar ? yy + 8 : c.y;
    double rw = nar ? c.w : c.w - lw - 20;
    label(m, "mine-head", box(rx, ry, rw, 32), 20, KIOSK_WF_LEFT,
          KIOSK_TONE_MUTED, tr(m, "me.mine"));
    ry += 36;
    int shown = 0;
    for (size_t k = 0; k < m->n_board && ry + 84 <= c.y + c.h; k++) {
        const board_item_t *bi = &m->board[k];
        bool mine = strcmp(bi->s.author_id, m->staff->id) == 0;
        if (!mine)
            continue;
        snprintf(id, sizeof id, "mine-badge-%d", shown + 1);
        add(m, KIOSK_W_BADGE, id, box(rx, ry, 100, 32), 15, 0,
            status_tone(bi->s.status, bi->local_only),
            status_text(m, bi->s.status, bi->local_only));
        snprintf(id, sizeof id, "mine-title-%d", shown + 1);
        label(m, id, box(rx + 108, ry, rw - 108, 32), 17, KIOSK_WF_LEFT,
              KIOSK_TONE_NORMAL, bi->s.title ? bi->s.title : "");
        snprintf(id, sizeof id, "mine-feedback-%d", shown + 1);
        if (bi->s.feedback && bi->s.feedback[0])
            kiosk_strings_fill(text, sizeof text, tr(m, "me.feedback"),
                               bi->s.feedback, NULL, NULL);
        else
            snprintf(text, sizeof text, "%s", tr(m, "me.no_feedback"));
        label(m, id, box(rx + 108, ry + 34, rw - 108, 44), 15,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_MUTED, text);
        ry += 84;
        shown++;
    }
    if (!shown)
        label(m, "mine-none", box(rx, ry, rw, 40), 18, KIOSK_WF_LEFT,
              KIOSK_TONE_MUTED, tr(m, "me.none_mine"));
}

/* ---- Rating */

static void build_faces(kiosk_model_t *m)
{
    char text[300], id[KIOSK_WIDGET_ID_MAX], key[32];
    double y = topbar(m, tr(m, "rating.title"), true);
    box_t c = content(m, y);
    kiosk_strings_fill(text, sizeof text, tr(m, "rating.prompt"),
                       kiosk_text(m, &m->rated->name), NULL, NULL);
    label(m, "rate-prompt", box(c.x, c.y, c.w, 60), 28, KIOSK_WF_MULTILINE,
          KIOSK_TONE_NORMAL, text);
    bool nar = narrow(m);
    /* landscape: a row of five; portrait: a column, label beside each */
    double size = nar ? (c.h - 80 - 4 * 14) / 5 : (c.w - 4 * 14) / 5;
    if (size > 150)
        size = 150;
    double x0 = c.x + (c.w - (5 * size + 4 * 14)) / 2;
    double fy = c.y + 80 + (c.h - 80 - size - 40) / 2;
    if (nar) {
        x0 = c.x + (c.w - size - 16 - 160) / 2;
        fy = c.y + 80 + (c.h - 80 - (5 * size + 4 * 14)) / 2;
    }
    for (int f = 1; f <= 5; f++) {
        /* the happiest face first in the column, where the eye starts */
        int slot = nar ? 5 - f : f - 1;
        box_t fb = nar ? box(x0, fy + slot * (size + 14), size, size)
                       : box(x0 + slot * (size + 14), fy, size, size);
        snprintf(id, sizeof id, "face-%d", f);
        int i = add(m, KIOSK_W_FACE, id, fb, 0, KIOSK_WF_TAPPABLE,
                    KIOSK_TONE_NORMAL, NULL);
        if (i >= 0) {
            m->w[i].value = f;
            if (m->score == f)
                m->w[i].flags |= KIOSK_WF_SELECTED;
        }
        snprintf(id, sizeof id, "face-%d-label", f);
        snprintf(key, sizeof key, "rating.face%d", f);
        box_t lb = nar ? box(fb.x + size + 16, fb.y, 160, size)
                       : box(fb.x - 7, fb.y + size + 6, size + 14, 34);
        label(m, id, lb, nar ? 22 : 16, nar ? KIOSK_WF_LEFT : 0,
              KIOSK_TONE_NORMAL, tr(m, key));
    }
    if (m->error[0])
        label(m, "error", box(c.x, c.y + c.h - 48, c.w, 48), 15,
              KIOSK_WF_MULTILINE, KIOSK_TONE_DANGER, m->error);
}

static void build_thanks(kiosk_model_t *m)
{
    double y = topbar(m, tr(m, "rating.title"), false);
    box_t c = content(m, y);
    label(m, "thanks", box(c.x, c.y + c.h * 0.2, c.w, 70), 40, 0, KIOSK_TONE_OK,
          tr(m, "rating.thanks"));
    label(m, "thanks-sub", box(c.x, c.y + c.h * 0.2 + 80, c.w, 60), 20,
          KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, tr(m, "rating.thanks_sub"));
    button(m, "done", box(c.x + c.w / 2 - 120, c.y + c.h - BTN, 240, BTN), 20,
           KIOSK_TONE_PRIMARY, tr(m, "rating.done"));
}

/* ---- Meeting: the agenda from syncd, else what the kiosk knows */

/* A scaled integer (v / scale) with its trailing zeros dropped: 24000/100
 * → "240", 333/100 → "3.33", 245/10 → "24.5". */
static void fmt_scaled(char *out, size_t len, int64_t v, int scale)
{
    const char *sign = v < 0 ? "-" : "";
    uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    uint64_t whole = a / (uint64_t)scale, frac = a % (uint64_t)scale;
    if (frac == 0)
        snprintf(out, len, "%s%llu", sign, (unsigned long long)whole);
    else if (scale == 10)
        snprintf(out, len, "%s%llu.%llu", sign, (unsigned long long)whole,
                 (unsigned long long)frac);
    else if (frac % 10 == 0)
        snprintf(out, len, "%s%llu.%llu", sign, (unsigned long long)whole,
                 (unsigned long long)(frac / 10));
    else
        snprintf(out, len, "%s%llu.%02llu", sign, (unsigned long long)whole,
                 (unsigned long long)frac);
}

/* Names in the kiosk's language from its catalogue, else the server's. */
static const char *ag_step_name(const kiosk_model_t *m,
                                const proto_agenda_step_t *r, const char **unit)
{
    const proto_step_def_t *d =
        m->cat ? proto_catalogue_step(m->cat, r->step_id) : NULL;
    *unit = "";
    if (!d)
        return r->name[0] ? r->name : r->step_id;
    for (size_t i = 0; i < d->n_measures; i++)
        if (strcmp(d->measures[i].id, r->measure) == 0)
            *unit = kiosk_text(m, &d->measures[i].unit);
    return kiosk_text(m, &d->name);
}

static const char *ag_staff_name(const kiosk_model_t *m, const char *id,
                                 const char *fallback)
{
    const proto_staff_t *st =
        m->site ? proto_catalogue_staff(m->site, id) : NULL;
    return st ? kiosk_text(m, &st->name) : fallback[0] ? fallback : id;
}

static const char *ag_team_name(const kiosk_model_t *m, const char *id,
                                const char *fallback)
{
    const proto_team_t *t = m->site ? proto_catalogue_team(m->site, id) : NULL;
    return t ? kiosk_text(m, &t->name) : fallback[0] ? fallback : id;
}

static const char *ag_ex_name(const kiosk_model_t *m,
                              const proto_agenda_exception_t *e)
{
    if (strcmp(e->subject, "person") == 0)
        return ag_staff_name(m, e->id, e->name);
    const proto_step_def_t *d =
        m->cat ? proto_catalogue_step(m->cat, e->id) : NULL;
    return d ? kiosk_text(m, &d->name) : e->name[0] ? e->name : e->id;
}

static kiosk_tone_t rag_tone(const char *rag)
{
    if (strcmp(rag, "green") == 0)
        return KIOSK_TONE_OK;
    if (strcmp(rag, "amber") == 0)
        return KIOSK_TONE_WARN;
    if (strcmp(rag, "red") == 0)
        return KIOSK_TONE_DANGER;
    return KIOSK_TONE_NORMAL;
}

typedef struct {
    char id[32];
    char text[480];
    kiosk_tone_t tone;
    bool head; /* a section heading */
} ag_row_t;

typedef struct {
    ag_row_t *rows;
    int n, cap;
} ag_rows_t;

static ag_row_t *ag_row(kiosk_model_t *m, ag_rows_t *l, const char *id,
                        kiosk_tone_t tone, bool head)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 32;
        ag_row_t *g = realloc(l->rows, (size_t)cap * sizeof *g);
        if (!g) {
            m->oom = true;
            return NULL;
        }
        l->rows = g;
        l->cap = cap;
    }
    ag_row_t *r = &l->rows[l->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    r->tone = tone;
    r->head = head;
    return r;
}

static void ag_rows_score(kiosk_model_t *m, ag_rows_t *l)
{
    const typeof(m->agenda.u.agenda) *a = &m->agenda.u.agenda;
    char id[32], v[32], t[32], p[32], q[32], x[200], y[200];
    ag_row_t *r = ag_row(m, l, "ag-h-steps", KIOSK_TONE_MUTED, true);
    if (r)
        snprintf(r->text, sizeof r->text, "%s", tr(m, "meeting.sec_steps"));
    for (uint32_t i = 0; i < a->n_steps; i++) {
        const proto_agenda_step_t *st = &a->steps[i];
        const char *unit;
        const char *name = ag_step_name(m, st, &unit);
        snprintf(id, sizeof id, "ag-step-%u", i + 1);
        if (!(r = ag_row(m, l, id, rag_tone(st->rag), false)))
            return;
        fmt_scaled(v, sizeof v, st->value_x100, 100);
        if (st->target_x100 > 0) {
            fmt_scaled(t, sizeof t, st->target_x100, 100);
            fmt_scaled(p, sizeof p, st->pct_x10, 10);
            snprintf(x, sizeof x, "%s / %s %s", v, t, unit);
            kiosk_strings_fill(r->text, sizeof r->text, tr(m, "meeting.step"),
                               name, x, p);
        } else {
            snprintf(x, sizeof x, "%s %s", v, unit);
            kiosk_strings_fill(r->text, sizeof r->text,
                               tr(m, "meeting.step_notarget"), name, x, NULL);
        }
        snprintf(t, sizeof t, "%u", st->checkins);
        fmt_scaled(p, sizeof p, st->points_x10, 10);
        kiosk_strings_fill(y, sizeof y, tr(m, "meeting.step_more"), t, p, NULL);
        size_t n = strlen(r->text);
        snprintf(r->text + n, sizeof r->text - n, " · %s", y);
        if (st->quality_x100) {
            fmt_scaled(q, sizeof q, st->quality_x100, 100);
            kiosk_strings_fill(y, sizeof y, tr(m, "meeting.quality"), q, NULL,
                               NULL);
            n = strlen(r->text);
            snprintf(r->text + n, sizeof r->text - n, " · %s", y);
        }
    }
    if ((r = ag_row(m, l, "ag-h-teams", KIOSK_TONE_MUTED, true)))
        snprintf(r->text, sizeof r->text, "%s", tr(m, "meeting.sec_teams"));
    for (uint32_t i = 0; i < a->n_teams; i++) {
        const proto_agenda_team_t *tm = &a->teams[i];
        snprintf(id, sizeof id, "ag-team-%u", i + 1);
        if (!(r = ag_row(m, l, id, KIOSK_TONE_NORMAL, false)))
            return;
        snprintf(t, sizeof t, "%u", tm->members);
        fmt_scaled(p, sizeof p, tm->points_x10, 10);
        kiosk_strings_fill(r->text, sizeof r->text, tr(m, "meeting.team"),
                           ag_team_name(m, tm->team_id, tm->name), t, p);
    }
    if ((r = ag_row(m, l, "ag-h-people", KIOSK_TONE_MUTED, true)))
        snprintf(r->text, sizeof r->text, "%s", tr(m, "meeting.sec_people"));
    for (uint32_t i = 0; i < a->n_people; i++) {
        const proto_agenda_person_t *pe = &a->people[i];
        snprintf(id, sizeof id, "ag-person-%u", i + 1);
        if (!(r = ag_row(m, l, id, rag_tone(pe->rag), false)))
            return;
        fmt_scaled(p, sizeof p, pe->points_x10, 10);
        snprintf(t, sizeof t, "%u", pe->checkins);
        kiosk_strings_fill(r->text, sizeof r->text, tr(m, "meeting.person"),
                           ag_staff_name(m, pe->staff_id, pe->name), p, t);
        if (pe->target_x100 > 0) {
            fmt_scaled(p, sizeof p, pe->pct_x10, 10);
            kiosk_strings_fill(y, sizeof y, tr(m, "meeting.person_pct"), p,
                               NULL, NULL);
            size_t n = strlen(r->text);
            snprintf(r->text + n, sizeof r->text - n, " · %s", y);
        }
    }
}

static void ag_rows_exceptions(kiosk_model_t *m, ag_rows_t *l)
{
    const typeof(m->agenda.u.agenda) *a = &m->agenda.u.agenda;
    char id[32], now[32], before[32];
    for (uint32_t i = 0; i < a->n_exceptions; i++) {
        const proto_agenda_exception_t *e = &a->exceptions[i];
        bool below = strcmp(e->kind, "below_target_2w") == 0;
        bool quality = strcmp(e->kind, "quality_drop") == 0;
        char key[64];
        snprintf(key, sizeof key, "meeting.ex_%s", e->kind);
        snprintf(id, sizeof id, "ag-ex-%u", i + 1);
        ag_row_t *r = ag_row(
            m, l, id, below || quality ? KIOSK_TONE_DANGER : KIOSK_TONE_WARN,
            false);
        if (!r)
            return;
        /* pct travels × 100 here, shown to 0.1 as the agenda does */
        fmt_scaled(now, sizeof now, below ? e->now_x100 / 10 : e->now_x100,
                   below ? 10 : 100);
        fmt_scaled(before, sizeof before,
                   below ? e->before_x100 / 10 : e->before_x100,
                   below ? 10 : 100);
        const char *fmt = tr(m, key);
        if (strcmp(fmt, key) == 0) /* a kind this kiosk does not know */
            snprintf(r->text, sizeof r->text, "%s: %s", e->kind,
                     ag_ex_name(m, e));
        else
            kiosk_strings_fill(r->text, sizeof r->text, fmt, ag_ex_name(m, e),
                               now, before);
    }
    if (!a->n_exceptions) {
        ag_row_t *r = ag_row(m, l, "ag-ex-none", KIOSK_TONE_MUTED, false);
        if (r)
            snprintf(r->text, sizeof r->text, "%s", tr(m, "meeting.ex_none"));
    }
}

static void ag_rows_decisions(kiosk_model_t *m, ag_rows_t *l)
{
    const typeof(m->agenda.u.agenda) *a = &m->agenda.u.agenda;
    char id[32], g[32], v[64], n[32];
    for (uint32_t i = 0; i < a->n_decisions; i++) {
        const proto_agenda_decision_t *d = &a->decisions[i];
        snprintf(id, sizeof id, "ag-dec-%u", i + 1);
        ag_row_t *r =
            ag_row(m, l, id,
                   d->rank == 1 ? KIOSK_TONE_NORMAL : KIOSK_TONE_MUTED, false);
        if (!r)
            return;
        snprintf(n, sizeof n, "%u", d->votes);
        kiosk_strings_fill(v, sizeof v, tr(m, "board.votes"), n, NULL, NULL);
        size_t k = strlen(v);
        snprintf(v + k, sizeof v - k, " · %s",
                 status_text(m, d->status, false));
        snprintf(g, sizeof g, "%u", d->group);
        kiosk_strings_fill(
            r->text, sizeof r->text,
            tr(m, d->rank == 1 ? "meeting.dec" : "meeting.dec_similar"), g,
            d->title ? d->title : "", v);
    }
    if (!a->n_decisions) {
        ag_row_t *r = ag_row(m, l, "ag-dec-none", KIOSK_TONE_MUTED, false);
        if (r)
            snprintf(r->text, sizeof r->text, "%s", tr(m, "meeting.dec_none"));
    }
}

/* The status line: which agenda this is and how fresh, or why there is
 * none. Returns the tone. */
static kiosk_tone_t agenda_status(kiosk_model_t *m, char *out, size_t len)
{
    char when[64], a[32], b[32], part[300];
    bool have = m->agenda.type == PROTO_MSG_AGENDA;
    bool online = m->sync.link == KIOSK_NET_ONLINE;
    bool unknown = m->agenda_code == PROTO_EUNKNOWNMSG;
    if (have)
        fmt_time(m, m->agenda_fetched_ms, when, sizeof when);
    if (have && !m->agenda_code && online) {
        const typeof(m->agenda.u.agenda) *ag = &m->agenda.u.agenda;
        kiosk_strings_fill(out, len, tr(m, "meeting.agenda_head"), ag->week,
                           when, NULL);
        snprintf(a, sizeof a, "%u", ag->checked_in);
        snprintf(b, sizeof b, "%u", ag->roster);
        kiosk_strings_fill(part, sizeof part, tr(m, "meeting.coverage"), a, b,
                           NULL);
        size_t n = strlen(out);
        snprintf(out + n, len - n, " · %s", part);
        if (m->agenda_pending) {
            n = strlen(out);
            snprintf(out + n, len - n, " · %s", tr(m, "meeting.updating"));
        }
        return KIOSK_TONE_OK;
    }
    if (have) {
        /* stale: say so, and since when */
        kiosk_strings_fill(out, len,
                           tr(m, unknown  ? "meeting.stale_unavailable"
                                 : online ? "meeting.stale_failed"
                                          : "meeting.stale_offline"),
                           m->agenda.u.agenda.week, when, NULL);
        return KIOSK_TONE_WARN;
    }
    if (unknown)
        snprintf(out, len, "%s", tr(m, "meeting.unavailable"));
    else if (!online && !m->agenda_pending)
        snprintf(out, len, "%s", tr(m, "meeting.offline_none"));
    else if (m->agenda_code)
        kiosk_strings_fill(out, len, tr(m, "meeting.failed"),
                           proto_errname(m->agenda_code), NULL, NULL);
    else if (!online)
        snprintf(out, len, "%s", tr(m, "meeting.offline_none"));
    else
        snprintf(out, len, "%s", tr(m, "meeting.fetching"));
    return KIOSK_TONE_WARN;
}

/* What the kiosk itself knows: today's captures and the cached board. */
static void build_meeting_local(kiosk_model_t *m, box_t c, double yy)
{
    char text[600], id[KIOSK_WIDGET_ID_MAX], a[32], b[32], c3[32];
    kiosk_tone_t tone;
    sync_line(m, text, sizeof text, &tone);
    label(m, "m-sync", box(c.x, yy, c.w, 40), 18,
          KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, tone, text);
    yy += 44;
    int64_t today = kiosk_day_of(m, m->now_ms);
    int checkins = 0, suggestions = 0, ratings = 0, score_sum = 0;
    for (size_t i = 0; i < m->n_history; i++) {
        const proto_event_t *ev = &m->history[i];
        if (kiosk_day_of(m, ev->captured_ms) != today)
            continue;
        checkins += ev->type == PROTO_EV_CHECKIN;
        suggestions += ev->type == PROTO_EV_SUGGESTION;
        if (ev->type == PROTO_EV_RATING) {
            ratings++;
            score_sum += ev->score;
        }
    }
    snprintf(a, sizeof a, "%d", checkins);
    snprintf(b, sizeof b, "%d", suggestions);
    snprintf(c3, sizeof c3, "%d", ratings);
    kiosk_strings_fill(text, sizeof text, tr(m, "meeting.today"), a, b, c3);
    if (ratings) {
        char avg[32], part[100];
        snprintf(avg, sizeof avg, "%.1f", (double)score_sum / ratings);
        kiosk_strings_fill(part, sizeof part, tr(m, "meeting.avg"), avg, NULL,
                           NULL);
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, "%s", part);
    }
    label(m, "m-today", box(c.x, yy, c.w, 40), 18,
          KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, KIOSK_TONE_NORMAL, text);
    yy += 44;
    label(m, "m-top-head", box(c.x, yy, c.w, 32), 18, KIOSK_WF_LEFT,
          KIOSK_TONE_MUTED, tr(m, "meeting.top"));
    yy += 34;
    int shown = 0;
    for (size_t k = 0; k < m->n_board && shown < 5 && yy + 36 <= c.y + c.h;
         k++) {
        const board_item_t *bi = &m->board[k];
        snprintf(a, sizeof a, "%u", bi->s.votes);
        kiosk_strings_fill(text, sizeof text, tr(m, "meeting.row"), a,
                           status_text(m, bi->s.status, bi->local_only),
                           bi->s.title ? bi->s.title : "");
        snprintf(id, sizeof id, "m-top-%d", ++shown);
        label(m, id, box(c.x, yy, c.w, 34), 17, KIOSK_WF_LEFT,
              KIOSK_TONE_NORMAL, text);
        yy += 36;
    }
    if (!shown)
        label(m, "m-top-none", box(c.x, yy, c.w, 34), 17, KIOSK_WF_LEFT,
              KIOSK_TONE_MUTED, tr(m, "board.empty"));
}

static void build_meeting(kiosk_model_t *m)
{
    char text[600];
    double y = topbar(m, tr(m, "meeting.title"), true);
    box_t c = content(m, y);
    bool nar = narrow(m);
    bool have = m->agenda.type == PROTO_MSG_AGENDA;
    /* status line and refresh; with an agenda on a landscape canvas the
     * tabs share the refresh row and the status gets a slim line, so the
     * lists keep most of the height */
    double rw = nar ? 120 : 130, sh = nar ? 64 : 48;
    bool slim = have && !nar;
    /* with an agenda, the week button (this week <-> the one before) sits
     * left of refresh: it needs the agenda's week to count back from */
    double bw = have ? rw + GAP : 0;
    kiosk_tone_t tone = agenda_status(m, text, sizeof text);
    if (slim)
        label(m, "ag-status", box(c.x, c.y + 48 + 6, c.w, 28), 15,
              KIOSK_WF_LEFT, tone, text);
    else
        label(m, "ag-status", box(c.x, c.y, c.w - rw - GAP - bw, sh), 17,
              KIOSK_WF_LEFT | KIOSK_WF_MULTILINE, tone, text);
    int ri = button(m, "ag-refresh", box(c.x + c.w - rw, c.y, rw, 48), 18,
                    KIOSK_TONE_NORMAL,
                    tr(m, m->agenda_pending ? "meeting.fetching_short"
                                            : "meeting.refresh"));
    if (ri >= 0 && m->agenda_pending)
        m->w[ri].flags |= KIOSK_WF_DISABLED;
    if (have) {
        int wi = button(m, "ag-week", box(c.x + c.w - rw - bw, c.y, rw, 48),
                        18, KIOSK_TONE_NORMAL,
                        tr(m, m->agenda_week[0] ? "meeting.week_current"
                                                : "meeting.week_before"));
        if (wi >= 0 && m->agenda_pending)
            m->w[wi].flags |= KIOSK_WF_DISABLED;
    }
    double yy = c.y + sh + GAP;
    if (!have) {
        build_meeting_local(m, box(c.x, yy, c.w, c.y + c.h - yy), yy);
        return;
    }
    /* tabs */
    static const char *const tab_ids[] = {"ag-tab-score", "ag-tab-ex",
                                          "ag-tab-dec"};
    static const char *const tab_keys[] = {"meeting.tab_score",
                                           "meeting.tab_ex", "meeting.tab_dec"};
    double tx = c.x, tabs_w = c.w;
    if (slim) {
        yy = c.y;
        tabs_w = c.w - rw - GAP - bw;
    }
    double tw = (tabs_w - 2 * GAP) / 3;
    for (int t = 0; t < 3; t++) {
        int i =
            button(m, tab_ids[t], box(tx + t * (tw + GAP), yy, tw, 48), 18,
                   m->meeting_tab == t ? KIOSK_TONE_PRIMARY : KIOSK_TONE_NORMAL,
                   tr(m, tab_keys[t]));
        if (i >= 0 && m->meeting_tab == t)
            m->w[i].flags |= KIOSK_WF_SELECTED;
    }
    yy += slim ? 48 + 6 + 28 + 6 : 48 + GAP;
    ag_rows_t l = {0};
    if (m->meeting_tab == 1)
        ag_rows_exceptions(m, &l);
    else if (m->meeting_tab == 2)
        ag_rows_decisions(m, &l);
    else
        ag_rows_score(m, &l);
    if (m->agenda.u.agenda.omitted) {
        ag_row_t *r = ag_row(m, &l, "ag-omitted", KIOSK_TONE_MUTED, false);
        if (r) {
            char n[32];
            snprintf(n, sizeof n, "%u", m->agenda.u.agenda.omitted);
            kiosk_strings_fill(r->text, sizeof r->text,
                               tr(m, "meeting.omitted"), n, NULL, NULL);
        }
    }
    box_t area = box(c.x, yy, c.w, c.y + c.h - yy);
    double rh = nar ? 52 : 30, rgap = nar ? 4 : 2;
    int page = m->page;
    grid_t g = grid_plan(m, area, l.n, c.w, rh, rgap);
    /* a heading never ends a page: a gap row pushes it to the next */
    if (g.pages > 1 && !m->oom) {
        for (int k = 0; k < l.n; k++) {
            if (!l.rows[k].head || k % g.per_page != g.per_page - 1)
                continue;
            if (!ag_row(m, &l, "", KIOSK_TONE_NORMAL, false))
                break;
            memmove(&l.rows[k + 1], &l.rows[k],
                    (size_t)(l.n - 1 - k) * sizeof l.rows[0]);
            memset(&l.rows[k], 0, sizeof l.rows[0]);
            k++;
        }
        m->page = page;
        g = grid_plan(m, area, l.n, c.w, rh, rgap);
    }
    for (int k = g.first; k < g.first + g.count; k++) {
        const ag_row_t *r = &l.rows[k];
        if (!r->text[0])
            continue; /* a gap */
        label(m, r->id, grid_cell(&g, k), 16,
              KIOSK_WF_LEFT | (nar && !r->head ? KIOSK_WF_MULTILINE : 0),
              r->tone, r->text);
    }
    pager(m, area, g.pages);
    free(l.rows);
}

int kiosk_screens_build(kiosk_model_t *m)
{
    m->n_w = 0;
    m->cur_parent = -1;
    m->oom = false;
    add(m, KIOSK_W_PANEL, "screen", box(0, 0, m->vw, m->vh), 0, 0,
        KIOSK_TONE_NORMAL, NULL);
    switch (m->screen) {
    case KIOSK_SCREEN_FIRST_RUN:
        build_first_run(m);
        break;
    case KIOSK_SCREEN_HOME:
        build_home(m);
        break;
    case KIOSK_SCREEN_IDENTIFY:
    case KIOSK_SCREEN_RATING_STAFF:
        build_staff(m);
        break;
    case KIOSK_SCREEN_PIN:
        build_pin(m);
        break;
    case KIOSK_SCREEN_CHECKIN_PROCESS:
        build_processes(m, tr(m, "checkin.title"));
        break;
    case KIOSK_SCREEN_CHECKIN_STEP:
        build_steps(m, m->proc);
        break;
    case KIOSK_SCREEN_CHECKIN_MEASURES:
        build_measures(m);
        break;
    case KIOSK_SCREEN_NUMPAD:
        build_numpad(m);
        break;
    case KIOSK_SCREEN_CHECKIN_SAVED:
        build_saved(m);
        break;
    case KIOSK_SCREEN_SUGGEST:
        build_suggest(m);
        break;
    case KIOSK_SCREEN_SUGGEST_TARGET:
        build_suggest_target(m);
        break;
    case KIOSK_SCREEN_KEYBOARD:
        build_keyboard(m);
        break;
    case KIOSK_SCREEN_SUGGEST_SAVED:
        build_suggest_saved(m);
        break;
    case KIOSK_SCREEN_SUGGEST_VOTED:
        build_suggest_voted(m);
        break;
    case KIOSK_SCREEN_BOARD:
        build_board(m);
        break;
    case KIOSK_SCREEN_GUIDE:
        build_processes(m, tr(m, "guide.title"));
        break;
    case KIOSK_SCREEN_GUIDE_PROCESS:
        build_steps(m, m->guide_proc);
        break;
    case KIOSK_SCREEN_GUIDE_STEP:
        build_guide_step(m);
        break;
    case KIOSK_SCREEN_ME:
        build_me(m);
        break;
    case KIOSK_SCREEN_RATING_FACES:
        build_faces(m);
        break;
    case KIOSK_SCREEN_RATING_THANKS:
        build_thanks(m);
        break;
    case KIOSK_SCREEN_MEETING:
        build_meeting(m);
        break;
    default:
        break;
    }
    return m->oom ? KIOSK_MODEL_ENOMEM : 0;
}
