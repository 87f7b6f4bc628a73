/*
 * shell.c — joins the model to the kiosk's durable outbox and its sync
 * thread, and reads the kiosk's configuration.
 *
 * Why it exists: the model only asks ("save this event", "sync now"); the
 * shell does it and answers. A confirm reaches the outbox here, and only
 * when kiosk_outbox_append() has returned 0 (committed and fsynced) does
 * the model hear KIOSK_IN_SAVED and show "saved". The sync thread's queue
 * is drained here on the UI thread each frame; the thread never touches
 * the model. A new catalogue from the server is handed to the model,
 * which applies it only between interactions.
 *
 * DIR/kiosk.conf, one "key = value" per line:
 *   kiosk_id = k-futian-01      site = futian       language = zh
 *   server = tcp://10.0.0.5:7700[,tcp://backup:7700]
 *   server_key = <40-character Z85 key, or a path to server.pub>
 *   idle_timeout = 60
 * DIR/kiosk.key is this kiosk's CURVE key pair (syncctl keygen kiosk).
 */
#include "app.h"

#include <errno.h>
#include <stdbool.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kiosk/outbox.h"
#include "kiosk/sync.h"
#include "protocol/catalogue.h"
#include "protocol/keys.h"

#define HISTORY_MAX 20000

struct kiosk_shell {
    kiosk_model_t *model;
    kiosk_outbox_t *outbox;
    kiosk_sync_t *sync;
    char outbox_err[512];
    char data_dir[PATH_MAX];
    bool temp_dir;
    char kiosk_id[PROTO_ID_MAX + 1];
    char site[PROTO_ID_MAX + 1];
    char lang[16];
    char servers[1024];
    char server_key[PATH_MAX];
    int idle_timeout_s;
    proto_keypair_t keys;
    bool have_keys;
    char missing[256];
    kiosk_ime_rime_t *ime; /* pinyin; started now or at first use */
    kiosk_simindex_t *sim; /* similar suggestions over the feed */
    bool agenda_waiting;   /* meeting mode asked the sync thread */
};

int64_t kiosk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                 s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Reads DIR/kiosk.conf; a missing file is not an error (first run). */
static int read_conf(kiosk_shell_t *self, char *err, size_t err_len)
{
    char path[PATH_MAX + 16], line[2048];
    snprintf(path, sizeof path, "%s/kiosk.conf", self->data_dir);
    FILE *f = fopen(path, "r");
    int lineno = 0;
    if (!f)
        return errno == ENOENT ? 0 : -1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, err_len,
                     "%s:%d: expected \"key = value\"; fix or remove the "
                     "line",
                     path, lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        if (strcmp(k, "kiosk_id") == 0)
            snprintf(self->kiosk_id, sizeof self->kiosk_id, "%s", v);
        else if (strcmp(k, "site") == 0)
            snprintf(self->site, sizeof self->site, "%s", v);
        else if (strcmp(k, "language") == 0)
            snprintf(self->lang, sizeof self->lang, "%s", v);
        else if (strcmp(k, "server") == 0)
            snprintf(self->servers, sizeof self->servers, "%s", v);
        else if (strcmp(k, "server_key") == 0)
            snprintf(self->server_key, sizeof self->server_key, "%s", v);
        else if (strcmp(k, "idle_timeout") == 0)
            self->idle_timeout_s = atoi(v);
        else {
            snprintf(err, err_len,
                     "%s:%d: unknown key \"%s\"; allowed: kiosk_id, site, "
                     "language, server, server_key, idle_timeout",
                     path, lineno, k);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static void add_missing(kiosk_shell_t *self, const char *what)
{
    size_t n = strlen(self->missing);
    snprintf(self->missing + n, sizeof self->missing - n, "%s%s", n ? "\n" : "",
             what);
}

static void figures(kiosk_shell_t *self, kiosk_sync_figures_t *f)
{
    memset(f, 0, sizeof *f);
    f->link = self->missing[0] ? KIOSK_NET_NOT_ENROLLED : KIOSK_NET_OFFLINE;
    if (self->sync) {
        kiosk_sync_status_t st;
        kiosk_sync_status(self->sync, &st);
        switch (st.link) {
        case KIOSK_LINK_ONLINE:
            f->link = KIOSK_NET_ONLINE;
            break;
        case KIOSK_LINK_NOT_ENROLLED:
            f->link = KIOSK_NET_NOT_ENROLLED;
            break;
        case KIOSK_LINK_REVOKED:
            f->link = KIOSK_NET_REVOKED;
            break;
        case KIOSK_LINK_INCOMPATIBLE:
            f->link = KIOSK_NET_INCOMPATIBLE;
            break;
        default:
            f->link = KIOSK_NET_OFFLINE;
        }
    }
    /* counts from the outbox itself: it is the truth of what waits */
    kiosk_outbox_stats_t os;
    if (self->outbox && kiosk_outbox_stats(self->outbox, &os) == 0) {
        f->waiting = os.depth;
        f->acked_seq = os.acked_seq;
        f->last_sync_ms = os.last_sync_ms;
        f->rejected = os.rejected;
    }
}

static void push_figures(kiosk_shell_t *self, int64_t now)
{
    kiosk_input_t in = {.kind = KIOSK_IN_SYNC_STATUS};
    figures(self, &in.sync);
    kiosk_model_update(self->model, &in, now);
}

/* The agenda the sync thread cached (or the one from an earlier run, at
 * start) to the model. */
static void push_agenda(kiosk_shell_t *self, int64_t now)
{
    proto_msg_t agenda;
    int64_t fetched = 0;
    if (!self->outbox)
        return;
    int rc = kiosk_outbox_agenda_get(self->outbox, &agenda, &fetched);
    if (rc == PROTO_ENOTFOUND)
        return;
    if (rc != 0) {
        fprintf(stderr, "kiosk: %s\n", kiosk_outbox_errmsg(self->outbox));
        return;
    }
    kiosk_input_t in = {
        .kind = KIOSK_IN_AGENDA, .agenda = &agenda, .fetched_ms = fetched};
    kiosk_model_update(self->model, &in, now);
    proto_msg_clear(&agenda);
}

static void agenda_failed(kiosk_shell_t *self, int code, const char *why,
                          int64_t now)
{
    kiosk_input_t in = {.kind = KIOSK_IN_AGENDA, .code = code, .text = why};
    kiosk_model_update(self->model, &in, now);
}

/* One agenda report of the sync thread; true if ev was one. */
static bool on_agenda_event(kiosk_shell_t *self, const kiosk_sync_event_t *ev,
                            int64_t now)
{
    if (ev->type == KIOSK_SYNC_EV_AGENDA) {
        self->agenda_waiting = false;
        push_agenda(self, now);
        return true;
    }
    if (ev->type == KIOSK_SYNC_EV_AGENDA_FAILED) {
        self->agenda_waiting = false;
        fprintf(stderr, "kiosk: sync: %s\n", ev->message);
        agenda_failed(self, -(int)ev->count, ev->message, now);
        return true;
    }
    return false;
}

static void push_feed(kiosk_shell_t *self, int64_t now)
{
    proto_suggestion_t *list = NULL;
    proto_standing_t *st = NULL;
    size_t n = 0, ns = 0;
    if (!self->outbox)
        return;
    if (kiosk_outbox_suggestions(self->outbox, PROTO_MAX_FEED, &list, &n) != 0)
        return;
    /* the index first: the feed input makes the model search again */
    if (self->sim && kiosk_simindex_update(self->sim, list, n) != 0)
        fprintf(stderr, "kiosk: %s\n", kiosk_simindex_errmsg(self->sim));
    if (kiosk_outbox_standings(self->outbox, NULL, &st, &ns) != 0) {
        st = NULL;
        ns = 0;
    }
    kiosk_input_t in = {.kind = KIOSK_IN_FEED,
                        .suggestions = list,
                        .n_suggestions = n,
                        .standings = st,
                        .n_standings = ns};
    kiosk_model_update(self->model, &in, now);
    kiosk_outbox_suggestions_free(&list, n);
    free(st);
}

/* The cached catalogue, if any, to the model. 0 when one was given. */
static int push_cached_catalogue(kiosk_shell_t *self, int64_t now)
{
    uint64_t version = 0;
    char *yaml = NULL, err[512];
    size_t len = 0;
    if (!self->outbox ||
        kiosk_outbox_catalogue_get(self->outbox, &version, &yaml, &len) != 0)
        return -1;
    proto_catalogue_t *cat = proto_catalogue_load_string(
        yaml, len, "cached catalogue", err, sizeof err);
    free(yaml);
    if (!cat) {
        fprintf(stderr,
                "kiosk: the cached catalogue version %llu does not "
                "load (%s); keeping the one in use\n",
                (unsigned long long)version, err);
        return -1;
    }
    /* the version syncd published it as is the one check-ins name, even
     * if the YAML text carries another */
    cat->version = version;
    kiosk_input_t in = {.kind = KIOSK_IN_CATALOGUE, .catalogue = cat};
    kiosk_model_update(self->model, &in, now);
    proto_catalogue_destroy(&in.catalogue); /* NULL when the model took it */
    return 0;
}

static void load_history(kiosk_shell_t *self, int64_t now)
{
    kiosk_outbox_stats_t os;
    if (!self->outbox || kiosk_outbox_stats(self->outbox, &os) != 0)
        return;
    uint64_t from = os.last_seq > HISTORY_MAX ? os.last_seq - HISTORY_MAX : 1;
    for (uint64_t seq = from; seq <= os.last_seq; seq++) {
        proto_event_t ev;
        memset(&ev, 0, sizeof ev);
        if (kiosk_outbox_get(self->outbox, seq, &ev, NULL) != 0)
            continue;
        /* a week and a day is all the screens count */
        if (ev.captured_ms >= now - 8LL * 86400 * 1000) {
            kiosk_input_t in = {.kind = KIOSK_IN_HISTORY, .event = &ev};
            kiosk_model_update(self->model, &in, now);
        }
        proto_event_clear(&ev);
    }
}

/* The site's offset from UTC now, for "today" (set before any thread). */
static int tz_offset(const char *tz, int64_t now)
{
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    if (tz && tz[0]) {
        setenv("TZ", tz, 1);
        tzset();
    }
    localtime_r(&t, &tm);
    return (int)tm.tm_gmtoff;
}

/* A failed save is also the operator's business: one line on stderr in
 * syncd's log format (the service's journal keeps it), besides the
 * message the model puts on screen. */
static void log_save_failed(const proto_event_t *ev, const char *why)
{
    struct timespec ts = {0, 0};
    struct tm tm;
    const char *what = ev->type == PROTO_EV_SUGGESTION ? "suggestion"
                       : ev->type == PROTO_EV_VOTE     ? "vote"
                       : ev->type == PROTO_EV_RATING   ? "rating"
                                                       : "check-in";
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm))
        memset(&tm, 0, sizeof tm);
    static const char safe[] = "events already saved are safe";
    if (!why)
        why = "unknown error";
    size_t wl = strlen(why), sl = sizeof safe - 1;
    /* the outbox's own message may already end with the reassurance */
    bool said = wl >= sl && strcmp(why + wl - sl, safe) == 0;
    fprintf(stderr,
            "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ERROR kiosk: could not save "
            "the %s: %s%s%s\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
            tm.tm_sec, ts.tv_nsec / 1000000L, what, why, said ? "" : "; ",
            said ? "" : safe);
}

static void run_effects(kiosk_shell_t *self, int64_t now)
{
    for (int round = 0; round < 16; round++) {
        kiosk_effect_t *fx = NULL;
        size_t n = 0;
        kiosk_model_take_effects(self->model, &fx, &n);
        if (!n)
            break;
        for (size_t i = 0; i < n; i++) {
            if (fx[i].kind == KIOSK_FX_SAVE) {
                kiosk_input_t in;
                memset(&in, 0, sizeof in);
                int rc = self->outbox ? kiosk_outbox_append(self->outbox,
                                                            &fx[i].event, NULL)
                                      : PROTO_EIO;
                if (rc == 0) {
                    in.kind = KIOSK_IN_SAVED;
                    in.event = &fx[i].event;
                } else {
                    in.kind = KIOSK_IN_SAVE_FAILED;
                    in.text = self->outbox ? kiosk_outbox_errmsg(self->outbox)
                                           : self->outbox_err;
                    log_save_failed(&fx[i].event, in.text);
                }
                kiosk_model_update(self->model, &in, now);
                push_figures(self, now);
            } else if (fx[i].kind == KIOSK_FX_SYNC_NOW) {
                if (self->sync)
                    kiosk_sync_kick(self->sync);
            } else if (fx[i].kind == KIOSK_FX_AGENDA) {
                if (self->sync) {
                    kiosk_sync_request_agenda(self->sync, fx[i].week);
                    self->agenda_waiting = true;
                } else {
                    /* not enrolled: no server to ask; the screen says
                     * offline and shows the kiosk's own data */
                    agenda_failed(self, PROTO_EIO,
                                  "this kiosk does not sync (not enrolled)",
                                  now);
                }
            }
        }
        kiosk_effects_free(&fx, n);
    }
}

static int make_temp_dir(kiosk_shell_t *self, char *err, size_t err_len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(self->data_dir, sizeof self->data_dir, "%s/stepwise-kiosk-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(self->data_dir)) {
        snprintf(err, err_len,
                 "cannot make a temporary data directory in %s: %s; set "
                 "TMPDIR or pass --data DIR",
                 tmp && tmp[0] ? tmp : "/tmp", strerror(errno));
        return -1;
    }
    self->temp_dir = true;
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* From the sync thread: a report is queued. The window loop sleeps until
 * the model's next timer (kiosk_model_next_wake) or an SDL event, so an
 * event wakes it to poll the queue at once (SDL_PushEvent is
 * thread-safe). A full SDL queue drops it; the next wake polls anyway. */
static void wake_window(void *ctx)
{
    (void)ctx;
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_USEREVENT;
    (void)SDL_PushEvent(&e);
}

kiosk_shell_t *kiosk_shell_new(const kiosk_shell_config_t *cfg, int64_t now,
                               char *err, size_t err_len)
{
    char path[PATH_MAX + 32], strings[PATH_MAX + 32], kerr[512];
    proto_catalogue_t *seed = NULL;
    kiosk_shell_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, err_len, "out of memory starting the kiosk");
        return NULL;
    }
    if (cfg->data_dir) {
        snprintf(self->data_dir, sizeof self->data_dir, "%s", cfg->data_dir);
        if (mkdir(self->data_dir, 0700) != 0 && errno != EEXIST) {
            snprintf(err, err_len,
                     "%s: cannot create the data directory: %s; pick "
                     "another with --data DIR",
                     self->data_dir, strerror(errno));
            goto fail;
        }
    } else if (make_temp_dir(self, err, err_len) != 0) {
        goto fail;
    }
    if (read_conf(self, err, err_len) != 0) {
        if (!err[0])
            snprintf(err, err_len, "%s/kiosk.conf: cannot read: %s",
                     self->data_dir, strerror(errno));
        goto fail;
    }
    if (cfg->headless && !self->kiosk_id[0] && self->temp_dir)
        snprintf(self->kiosk_id, sizeof self->kiosk_id, "headless");
    if (cfg->idle_timeout_s > 0)
        self->idle_timeout_s = cfg->idle_timeout_s;
    if (cfg->lang)
        snprintf(self->lang, sizeof self->lang, "%s", cfg->lang);

    /* what enrolment still lacks */
    if (!self->kiosk_id[0])
        add_missing(self, "kiosk_id");
    if (!self->servers[0])
        add_missing(self, "server");
    if (!self->server_key[0])
        add_missing(self, "server_key");
    snprintf(path, sizeof path, "%s/kiosk.key", self->data_dir);
    if (access(path, F_OK) != 0)
        add_missing(self, "kiosk_key");
    else if (proto_keys_load_secret(path, &self->keys, kerr, sizeof kerr) == 0)
        self->have_keys = true;
    else
        fprintf(stderr, "kiosk: %s\n", kerr);

    /* the outbox */
    snprintf(path, sizeof path, "%s/outbox.db", self->data_dir);
    self->outbox =
        kiosk_outbox_open(path, self->outbox_err, sizeof self->outbox_err);
    if (!self->outbox)
        fprintf(stderr, "kiosk: %s\n", self->outbox_err);
    if (self->outbox && self->kiosk_id[0] &&
        kiosk_outbox_set_identity(self->outbox, self->kiosk_id) != 0) {
        snprintf(err, err_len, "%s", kiosk_outbox_errmsg(self->outbox));
        goto fail;
    }
    if (self->outbox && !self->kiosk_id[0])
        kiosk_outbox_get_identity(self->outbox, self->kiosk_id);

    /* the catalogue: the cache first, else the seed file */
    if (cfg->catalogue_path) {
        seed =
            proto_catalogue_load_file(cfg->catalogue_path, kerr, sizeof kerr);
        if (!seed) {
            snprintf(err, err_len, "%s", kerr);
            goto fail;
        }
    }
    const char *tz = NULL;
    if (seed && seed->n_sites)
        tz = seed->sites[0].timezone;
    int tzoff = tz_offset(tz ? tz : "Asia/Shanghai", now);

    /* pinyin: librime's user data (and its deploy cache) in DIR/rime; the
     * deploy runs on its own thread from now on, or, headless, from the
     * script's first pinyin line so that Latin-only scripts stay Latin */
    snprintf(path, sizeof path, "%s/rime", self->data_dir);
    self->ime = kiosk_ime_rime_new(path, NULL, kerr, sizeof kerr);
    if (!self->ime) {
        snprintf(err, err_len, "%s", kerr);
        goto fail;
    }
    if (!cfg->headless && kiosk_ime_rime_start(self->ime) != 0)
        fprintf(stderr, "kiosk: %s\n", kiosk_ime_rime_error(self->ime));
    snprintf(path, sizeof path, "%s/similar.db", self->data_dir);
    self->sim = kiosk_simindex_open(path, kerr, sizeof kerr);
    if (!self->sim)
        fprintf(stderr, "kiosk: %s (similar suggestions by title are off)\n",
                kerr);

    snprintf(strings, sizeof strings, "%s/strings",
             cfg->assets_dir ? cfg->assets_dir : "assets");
    kiosk_model_config_t mc = {
        .strings_dir = strings,
        .lang = strcmp(self->lang, "en") == 0 ? KIOSK_LANG_EN : KIOSK_LANG_ZH,
        .width = cfg->width,
        .height = cfg->height,
        .idle_timeout_ms = (int64_t)self->idle_timeout_s * 1000,
        .tz_offset_s = tzoff,
        .site_id = self->site[0] ? self->site : NULL,
        .kiosk_id = self->kiosk_id,
        .missing = self->missing,
        .data_dir = self->data_dir,
        .can_capture = self->outbox && self->kiosk_id[0],
        .ime = kiosk_ime_rime_hook(self->ime),
        .similar = self->sim ? kiosk_simindex_hook(self->sim) : NULL,
    };
    self->model = kiosk_model_new(&mc, err, err_len);
    if (!self->model)
        goto fail;
    /* A file that was never published has version 0, which no check-in
     * may name (the protocol starts at 1). syncd publishes the file it is
     * started with as version 1 when it has none, so a seed stands for
     * that first version; a later catalogue from syncd replaces it. */
    if (seed && seed->version == 0)
        seed->version = 1;
    if (push_cached_catalogue(self, now) != 0 && seed) {
        kiosk_input_t in = {.kind = KIOSK_IN_CATALOGUE, .catalogue = seed};
        kiosk_model_update(self->model, &in, now);
        seed = in.catalogue; /* NULL: the model owns it */
    }
    proto_catalogue_destroy(&seed);
    load_history(self, now);
    push_feed(self, now);
    push_agenda(self, now);

    /* the sync thread, when enrolled */
    if (!self->missing[0] && self->have_keys && self->outbox) {
        kiosk_sync_config_t sc;
        memset(&sc, 0, sizeof sc);
        sc.outbox_path = kiosk_outbox_path(self->outbox);
        sc.kiosk_id = self->kiosk_id;
        char *save = NULL;
        for (char *t = strtok_r(self->servers, ", ", &save);
             t && sc.n_endpoints < KIOSK_SYNC_MAX_ENDPOINTS;
             t = strtok_r(NULL, ", ", &save))
            sc.endpoints[sc.n_endpoints++] = t;
        char server_pub[PROTO_Z85_KEY_LEN + 1];
        if (proto_keys_load_public(self->server_key, server_pub, kerr,
                                   sizeof kerr) != 0) {
            snprintf(err, err_len, "%s/kiosk.conf: server_key: %s",
                     self->data_dir, kerr);
            goto fail;
        }
        sc.server_public_z85 = server_pub;
        sc.keys = self->keys;
        sc.app_version = STEPWISE_VERSION;
        if (!cfg->headless)
            sc.wake = wake_window; /* the window loop sleeps until then */
        self->sync = kiosk_sync_new(&sc, kerr, sizeof kerr);
        if (!self->sync)
            fprintf(stderr, "kiosk: sync not started: %s\n", kerr);
    }
    push_figures(self, now);
    return self;
fail:
    proto_catalogue_destroy(&seed);
    kiosk_shell_destroy(&self);
    return NULL;
}

void kiosk_shell_destroy(kiosk_shell_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kiosk_shell_t *self = *self_p;
    kiosk_sync_destroy(&self->sync);
    kiosk_outbox_destroy(&self->outbox);
    kiosk_model_destroy(&self->model);
    kiosk_ime_rime_destroy(&self->ime);
    kiosk_simindex_destroy(&self->sim);
    if (self->temp_dir)
        nftw(self->data_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    memset(&self->keys, 0, sizeof self->keys);
    free(self);
    *self_p = NULL;
}

kiosk_model_t *kiosk_shell_model(kiosk_shell_t *self)
{
    return self->model;
}

kiosk_ime_rime_t *kiosk_shell_ime(kiosk_shell_t *self)
{
    return self->ime;
}

int kiosk_shell_input(kiosk_shell_t *self, kiosk_input_t *in, int64_t now)
{
    int rc = kiosk_model_update(self->model, in, now);
    run_effects(self, now);
    return rc;
}

void kiosk_shell_poll(kiosk_shell_t *self, int64_t now)
{
    kiosk_sync_event_t ev;
    bool status = false, feed = false, cat = false;
    while (self->sync && kiosk_sync_poll(self->sync, &ev) == 1) {
        if (on_agenda_event(self, &ev, now))
            continue;
        switch (ev.type) {
        case KIOSK_SYNC_EV_CATALOGUE:
            cat = true;
            break;
        case KIOSK_SYNC_EV_FEED:
            feed = true;
            break;
        case KIOSK_SYNC_EV_CATALOGUE_BAD:
        case KIOSK_SYNC_EV_ERROR:
            fprintf(stderr, "kiosk: sync: %s\n", ev.message);
            status = true;
            break;
        default:
            status = true;
        }
    }
    if (cat)
        push_cached_catalogue(self, now);
    if (feed)
        push_feed(self, now);
    if (status || feed || cat)
        push_figures(self, now);
    kiosk_input_t tick = {.kind = KIOSK_IN_TICK};
    kiosk_shell_input(self, &tick, now);
}

/* Headless `sync`: kick the thread and follow its reports until the
 * outbox is empty and the link online, or 5 s pass (an unreachable syncd
 * then simply leaves the events waiting, as on a real kiosk). */
void kiosk_shell_sync_round(kiosk_shell_t *self, int64_t now)
{
    if (self->sync) {
        kiosk_sync_kick(self->sync);
        int64_t until = kiosk_now_ms() + 5000;
        while (kiosk_now_ms() < until) {
            kiosk_sync_event_t ev;
            bool cat = false, feed = false;
            if (kiosk_sync_wait(self->sync, &ev, 200) == 1) {
                (void)on_agenda_event(self, &ev, now);
                cat = ev.type == KIOSK_SYNC_EV_CATALOGUE;
                feed = ev.type == KIOSK_SYNC_EV_FEED;
                if (ev.type == KIOSK_SYNC_EV_ERROR ||
                    ev.type == KIOSK_SYNC_EV_CATALOGUE_BAD)
                    fprintf(stderr, "kiosk: sync: %s\n", ev.message);
            }
            if (cat)
                push_cached_catalogue(self, now);
            if (feed)
                push_feed(self, now);
            kiosk_sync_figures_t f;
            figures(self, &f);
            if (f.link == KIOSK_NET_REVOKED ||
                (f.link == KIOSK_NET_ONLINE && f.waiting == 0 &&
                 !self->agenda_waiting))
                break;
        }
        /* let a feed that follows the last ack arrive */
        kiosk_sync_event_t ev;
        while (kiosk_sync_wait(self->sync, &ev, 300) == 1) {
            if (on_agenda_event(self, &ev, now))
                continue;
            if (ev.type == KIOSK_SYNC_EV_FEED)
                push_feed(self, now);
            else if (ev.type == KIOSK_SYNC_EV_CATALOGUE)
                push_cached_catalogue(self, now);
        }
    }
    push_figures(self, now);
    kiosk_shell_poll(self, now);
}
