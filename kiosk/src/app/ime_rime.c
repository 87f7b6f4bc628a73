/*
 * ime_rime.c — pinyin input for the on-screen and physical keyboards,
 * through librime (schema luna_pinyin_simp), behind the model's
 * kiosk_ime_t hook.
 *
 * Why a file of its own: the model must stay free of librime (its tests
 * use a fake input method), and librime has two habits the rest of the
 * app must not feel. Its first deploy of a schema takes seconds, so it
 * runs on a thread of its own, and the result is kept in the user data
 * directory (the kiosk's DIR/rime) so later starts take milliseconds;
 * until it is done the hook says KIOSK_IME_PREPARING and the keyboard
 * stays Latin. And librime is one engine per process (rime_get_api() is a
 * singleton): only one kiosk_ime_rime_t may be started at a time.
 *
 * Threads: the deploy thread owns librime until it publishes the state
 * (release store); after that only the UI thread calls it (acquire load
 * in every hook function), so no lock is needed.
 */
#include "app.h"

#include <errno.h>
#include <pthread.h>
#include <rime_api.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCHEMA "luna_pinyin_simp"
#define PAGE_MAX 9

struct kiosk_ime_rime {
    kiosk_ime_t hook;
    RimeApi *api;
    char user_dir[1024];
    char shared_dir[1024];
    char error[2400];
    pthread_t thread;
    bool started;
    _Atomic int state; /* kiosk_ime_state_t */
    _Atomic bool deploy_failed;
    RimeSessionId session;
    /* the context of the last key, kept until the next */
    char preedit[256];
    char cand[PAGE_MAX][128];
    size_t n_cand;
    bool has_prev, has_next;
};

static atomic_flag engine_taken = ATOMIC_FLAG_INIT;

/* X11 keysyms librime expects. */
enum {
    XK_BACKSPACE = 0xff08,
    XK_RETURN = 0xff0d,
    XK_PAGE_UP = 0xff55,
    XK_PAGE_DOWN = 0xff56,
    XK_SPACE = 0x20,
};

static void on_notice(void *obj, RimeSessionId session, const char *type,
                      const char *value)
{
    kiosk_ime_rime_t *self = obj;
    (void)session;
    if (type && value && strcmp(type, "deploy") == 0 &&
        strcmp(value, "failure") == 0)
        atomic_store(&self->deploy_failed, true);
}

static void *deploy_main(void *arg)
{
    kiosk_ime_rime_t *self = arg;
    RimeApi *api = self->api;
    RIME_STRUCT(RimeTraits, traits);
    traits.shared_data_dir = self->shared_dir;
    traits.user_data_dir = self->user_dir;
    traits.distribution_name = "Stepwise";
    traits.distribution_code_name = "stepwise";
    traits.distribution_version = STEPWISE_VERSION;
    traits.app_name = "rime.stepwise";
    traits.min_log_level = 2; /* errors only */
    traits.log_dir = self->user_dir;
    api->setup(&traits);
    api->set_notification_handler(on_notice, self);
    api->initialize(NULL);
    /* builds what changed since the last start; nothing when cached */
    if (api->start_maintenance(False))
        api->join_maintenance_thread();
    self->session = api->create_session();
    if (atomic_load(&self->deploy_failed) || !self->session ||
        !api->select_schema(self->session, SCHEMA)) {
        snprintf(self->error, sizeof self->error,
                 "%s: rime could not deploy schema " SCHEMA
                 " from %s; check that rime-data-luna-pinyin is installed "
                 "(scripts/install-deps) and that the directory is writable",
                 self->user_dir, self->shared_dir);
        atomic_store_explicit(&self->state, KIOSK_IME_FAILED,
                              memory_order_release);
        return NULL;
    }
    atomic_store_explicit(&self->state, KIOSK_IME_READY, memory_order_release);
    return NULL;
}

static bool ready(const kiosk_ime_rime_t *self)
{
    return atomic_load_explicit(&((kiosk_ime_rime_t *)self)->state,
                                memory_order_acquire) == KIOSK_IME_READY;
}

/* Copies what librime shows now (composition, the page of candidates)
 * and what it committed, if anything. */
static void refresh(kiosk_ime_rime_t *self, char *commit, size_t commit_len)
{
    RimeApi *api = self->api;
    if (commit && commit_len)
        commit[0] = '\0';
    RIME_STRUCT(RimeCommit, cm);
    if (api->get_commit(self->session, &cm)) {
        if (commit && cm.text)
            snprintf(commit, commit_len, "%s", cm.text);
        api->free_commit(&cm);
    }
    self->preedit[0] = '\0';
    self->n_cand = 0;
    self->has_prev = self->has_next = false;
    RIME_STRUCT(RimeContext, ctx);
    if (!api->get_context(self->session, &ctx))
        return;
    if (ctx.composition.length > 0 && ctx.composition.preedit)
        snprintf(self->preedit, sizeof self->preedit, "%s",
                 ctx.composition.preedit);
    for (int i = 0; i < ctx.menu.num_candidates && self->n_cand < PAGE_MAX; i++)
        if (ctx.menu.candidates[i].text)
            snprintf(self->cand[self->n_cand++], sizeof self->cand[0], "%s",
                     ctx.menu.candidates[i].text);
    self->has_prev = ctx.menu.num_candidates > 0 && ctx.menu.page_no > 0;
    self->has_next = ctx.menu.num_candidates > 0 && !ctx.menu.is_last_page;
    api->free_context(&ctx);
}

static bool ime_key(void *ctx, const char *key, char *commit, size_t commit_len)
{
    kiosk_ime_rime_t *self = ctx;
    int code;
    if (!ready(self))
        return false;
    if (strlen(key) == 1 && key[0] >= 'a' && key[0] <= 'z')
        code = key[0];
    else if (strcmp(key, "backspace") == 0)
        code = XK_BACKSPACE;
    else if (strcmp(key, "space") == 0)
        code = XK_SPACE;
    else if (strcmp(key, "enter") == 0)
        code = XK_RETURN;
    else
        return false;
    Bool used = self->api->process_key(self->session, code, 0);
    refresh(self, commit, commit_len);
    return used != 0;
}

static const char *ime_preedit(void *ctx)
{
    kiosk_ime_rime_t *self = ctx;
    return ready(self) ? self->preedit : "";
}

static const char *ime_candidate(void *ctx, size_t i)
{
    kiosk_ime_rime_t *self = ctx;
    return ready(self) && i < self->n_cand ? self->cand[i] : NULL;
}

static bool ime_select(void *ctx, size_t i, char *commit, size_t commit_len)
{
    kiosk_ime_rime_t *self = ctx;
    if (!ready(self) || i >= self->n_cand)
        return false;
    /* librime commits it, or keeps the rest of a longer composition to be
     * picked next; older librime without the call: the candidate's digit,
     * as a physical keyboard would send it */
    RimeApi *api = self->api;
    Bool used =
        RIME_STRUCT_HAS_MEMBER(*api, api->select_candidate_on_current_page) &&
                api->select_candidate_on_current_page
            ? api->select_candidate_on_current_page(self->session, i)
            : api->process_key(self->session, (int)('1' + i), 0);
    refresh(self, commit, commit_len);
    return used != 0;
}

static void ime_reset(void *ctx)
{
    kiosk_ime_rime_t *self = ctx;
    if (!ready(self))
        return;
    self->api->clear_composition(self->session);
    refresh(self, NULL, 0);
}

static kiosk_ime_state_t ime_state(void *ctx)
{
    kiosk_ime_rime_t *self = ctx;
    return (kiosk_ime_state_t)atomic_load_explicit(&self->state,
                                                   memory_order_acquire);
}

static bool ime_page(void *ctx, int dir)
{
    kiosk_ime_rime_t *self = ctx;
    if (!ready(self) || (dir > 0 ? !self->has_next : !self->has_prev))
        return false;
    Bool used = self->api->process_key(self->session,
                                       dir > 0 ? XK_PAGE_DOWN : XK_PAGE_UP, 0);
    refresh(self, NULL, 0);
    return used != 0;
}

static void ime_paging(void *ctx, bool *has_prev, bool *has_next)
{
    kiosk_ime_rime_t *self = ctx;
    *has_prev = ready(self) && self->has_prev;
    *has_next = ready(self) && self->has_next;
}

kiosk_ime_rime_t *kiosk_ime_rime_new(const char *user_dir,
                                     const char *shared_dir, char *err,
                                     size_t err_len)
{
    kiosk_ime_rime_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, err_len, "out of memory starting pinyin input");
        return NULL;
    }
    snprintf(self->user_dir, sizeof self->user_dir, "%s", user_dir);
    snprintf(self->shared_dir, sizeof self->shared_dir, "%s",
             shared_dir ? shared_dir : "/usr/share/rime-data");
    atomic_init(&self->state, KIOSK_IME_OFF);
    atomic_init(&self->deploy_failed, false);
    self->hook = (kiosk_ime_t){.ctx = self,
                               .key = ime_key,
                               .preedit = ime_preedit,
                               .candidate = ime_candidate,
                               .select = ime_select,
                               .reset = ime_reset,
                               .state = ime_state,
                               .page = ime_page,
                               .paging = ime_paging};
    return self;
}

const kiosk_ime_t *kiosk_ime_rime_hook(kiosk_ime_rime_t *self)
{
    return &self->hook;
}

/* Only the one schema the kiosk uses is built: a deploy of everything
 * the shared directory offers takes ten times as long. */
static int write_custom(kiosk_ime_rime_t *self)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/default.custom.yaml", self->user_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = fputs("# written by the Stepwise kiosk: pinyin only\n"
                   "patch:\n"
                   "  schema_list:\n"
                   "    - schema: " SCHEMA "\n"
                   "  menu/page_size: 5\n",
                   f);
    if (fclose(f) != 0 || rc < 0)
        return -1;
    return 0;
}

int kiosk_ime_rime_start(kiosk_ime_rime_t *self)
{
    if (self->started)
        return 0;
    if (atomic_flag_test_and_set(&engine_taken)) {
        snprintf(self->error, sizeof self->error,
                 "pinyin input is already running in this process (librime "
                 "allows one engine)");
        atomic_store(&self->state, KIOSK_IME_FAILED);
        return -1;
    }
    if ((mkdir(self->user_dir, 0700) != 0 && errno != EEXIST) ||
        write_custom(self) != 0) {
        snprintf(self->error, sizeof self->error,
                 "%s: cannot prepare the pinyin data directory: %s; check "
                 "that the kiosk's data directory is writable",
                 self->user_dir, strerror(errno));
        atomic_store(&self->state, KIOSK_IME_FAILED);
        atomic_flag_clear(&engine_taken);
        return -1;
    }
    self->api = rime_get_api();
    if (!self->api) {
        snprintf(self->error, sizeof self->error,
                 "librime gave no API; reinstall librime1");
        atomic_store(&self->state, KIOSK_IME_FAILED);
        atomic_flag_clear(&engine_taken);
        return -1;
    }
    atomic_store(&self->state, KIOSK_IME_PREPARING);
    if (pthread_create(&self->thread, NULL, deploy_main, self) != 0) {
        snprintf(self->error, sizeof self->error,
                 "cannot start the pinyin deploy thread");
        atomic_store(&self->state, KIOSK_IME_FAILED);
        atomic_flag_clear(&engine_taken);
        return -1;
    }
    self->started = true;
    return 0;
}

kiosk_ime_state_t kiosk_ime_rime_wait(kiosk_ime_rime_t *self, int timeout_ms)
{
    for (int waited = 0;; waited += 10) {
        kiosk_ime_state_t st = ime_state(self);
        if (st != KIOSK_IME_PREPARING || waited >= timeout_ms)
            return st;
        SDL_Delay(10);
    }
}

const char *kiosk_ime_rime_error(const kiosk_ime_rime_t *self)
{
    return self->error;
}

void kiosk_ime_rime_destroy(kiosk_ime_rime_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kiosk_ime_rime_t *self = *self_p;
    if (self->started) {
        /* a deploy cannot be cancelled: wait for it (seconds at most) */
        pthread_join(self->thread, NULL);
        if (self->session)
            self->api->destroy_session(self->session);
        self->api->set_notification_handler(NULL, NULL);
        self->api->finalize();
        atomic_flag_clear(&engine_taken);
    }
    free(self);
    *self_p = NULL;
}
