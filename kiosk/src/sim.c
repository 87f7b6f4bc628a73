/*
 * sim.c — stepwise-sim, the load simulator: N kiosks, each with its own
 * outbox, key pair and sync thread (the real kiosk sync library), capturing
 * realistic check-ins, suggestions, votes and customer ratings against the
 * catalogue while going offline and online.
 *
 * Why it exists: until the kiosk screens exist it is what `make run`
 * drives syncd with; the end-to-end tests use it to prove exactly-once
 * delivery across outages and daemon kills; benchmarks use it for load.
 * Its content is deterministic from --seed (timestamps aside), so a run
 * can be repeated.
 *
 * Layout of --data DIR: one directory per kiosk, DIR/<id>/ holding
 * kiosk.key (0600), kiosk.pub and outbox.db.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
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
#include "protocol/protocol.h"

#define EXIT_USAGE 2
#define EXIT_TIMEOUT 3
#define MAX_KIOSKS 999
#define KNOWN_SUGGESTIONS 256

static const char usage_text[] =
    "stepwise-sim: simulated kiosks for Stepwise, driving a real syncd.\n"
    "\n"
    "usage:\n"
    "  stepwise-sim keygen --data DIR --kiosks N [--prefix sim]\n"
    "      Writes DIR/<id>/kiosk.key (mode 0600) and kiosk.pub for kiosks\n"
    "      <prefix>-01 .. <prefix>-N and prints \"<id> <public-key>\" per\n"
    "      line, ready for `syncctl enrol`. An existing key is kept.\n"
    "\n"
    "  stepwise-sim run --data DIR --server ENDPOINT[,ENDPOINT...]\n"
    "                   --server-key FILE|Z85 --catalogue FILE --site SITE\n"
    "                   --kiosks N [--prefix sim] --events M [--seed S]\n"
    "                   [--batch B] [--offline] [--sync-only] [--rate EPS]\n"
    "                   [--flap SECONDS] [--timeout SECONDS]\n"
    "                   [--catalogue-version V] [--verbose]\n"
    "      Each kiosk (one thread, own outbox DIR/<id>/outbox.db, own sync\n"
    "      thread) captures M events, then waits until syncd has acked its\n"
    "      whole outbox. Prints one line per kiosk and a total:\n"
    "        sim: kiosk sim-01 captured 100 acked 100 rejected 0 pending 0\n"
    "      (acked, rejected and pending count this run's captures plus the\n"
    "      backlog the kiosk started with).\n"
    "      --server           several endpoints (commas, or --server\n"
    "                         repeated): each kiosk fails over in turn\n"
    "      --offline          capture only, do not connect\n"
    "      --sync-only        capture nothing new, just sync the backlog\n"
    "      --rate EPS         captures per second per kiosk (0 = as fast as\n"
    "                         possible; default 0)\n"
    "      --flap SECONDS     go offline and online at random, mean period\n"
    "      --timeout SECONDS  give up waiting for the backlog to drain after\n"
    "                         this long (default 300), exit 3\n"
    "      --batch B          events per PUSH (default 200, at most 500)\n"
    "      --seed S           content seed (default 1): event i of a kiosk\n"
    "                         depends only on the seed, the kiosk and i\n"
    "                         (votes go to suggestions the kiosk has seen,\n"
    "                         which depends on what syncd sent back)\n"
    "      --catalogue-version V\n"
    "                         catalogue version check-ins name before the\n"
    "                         kiosk has synced a catalogue (default: the\n"
    "                         file's version, or 1: a fresh syncd's first)\n"
    "      --verbose          log the sync threads' debug lines\n"
    "\n"
    "  stepwise-sim verify --data DIR --kiosks N [--prefix sim]\n"
    "      Prints per kiosk: last_seq acked_seq pending rejected.\n"
    "\n"
    "Exit status: 0 success (run: every outbox fully acked; verify: nothing\n"
    "pending), 1 error, 2 usage, 3 run gave up waiting (--timeout) or a\n"
    "kiosk was revoked. Logs go to stderr, results to stdout.\n";

/* ---- Logging, in the daemon's format */

static atomic_bool verbose;

static void vlog_line(kiosk_log_level_t level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vlog_line(kiosk_log_level_t level, const char *fmt, va_list ap)
{
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (level == KIOSK_LOG_DEBUG && !atomic_load(&verbose))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char msg[1200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* one fprintf per line: lines of different threads never mix */
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s sim: %s\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
            tm.tm_sec, ts.tv_nsec / 1000000L,
            names[level <= KIOSK_LOG_ERROR ? level : KIOSK_LOG_ERROR], msg);
}

static void log_line(kiosk_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void log_line(kiosk_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_line(level, fmt, ap);
    va_end(ap);
}

static void sync_log(void *ctx, kiosk_log_level_t level, const char *line)
{
    (void)ctx;
    log_line(level, "%s", line);
}

/* ---- Stop on SIGINT / SIGTERM */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- Small helpers */

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* splitmix64: small, fast, and the same sequence on every machine */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(rng_next(s) % n) : 0;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static bool file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < 0)
        return false;
    *out = v;
    return true;
}

/* ---- Options */

typedef struct {
    const char *data;
    uint64_t kiosks;
    const char *prefix;
    char *servers; /* comma-separated copy */
    const char *server_key;
    const char *catalogue;
    const char *site;
    uint64_t events;
    bool events_set;
    uint64_t seed;
    uint64_t batch;
    bool offline;
    bool sync_only;
    double rate;
    double flap;
    double timeout;
    uint64_t catalogue_version;
    bool have_kiosks;
} opts_t;

enum {
    OPT_DATA = 256,
    OPT_KIOSKS,
    OPT_PREFIX,
    OPT_SERVER,
    OPT_SERVER_KEY,
    OPT_CATALOGUE,
    OPT_SITE,
    OPT_EVENTS,
    OPT_SEED,
    OPT_BATCH,
    OPT_OFFLINE,
    OPT_SYNC_ONLY,
    OPT_RATE,
    OPT_FLAP,
    OPT_TIMEOUT,
    OPT_CAT_VERSION,
    OPT_VERBOSE,
    OPT_HELP,
};

static const struct option long_opts[] = {
    {"data", required_argument, NULL, OPT_DATA},
    {"kiosks", required_argument, NULL, OPT_KIOSKS},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"server", required_argument, NULL, OPT_SERVER},
    {"server-key", required_argument, NULL, OPT_SERVER_KEY},
    {"catalogue", required_argument, NULL, OPT_CATALOGUE},
    {"site", required_argument, NULL, OPT_SITE},
    {"events", required_argument, NULL, OPT_EVENTS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"offline", no_argument, NULL, OPT_OFFLINE},
    {"sync-only", no_argument, NULL, OPT_SYNC_ONLY},
    {"rate", required_argument, NULL, OPT_RATE},
    {"flap", required_argument, NULL, OPT_FLAP},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"catalogue-version", required_argument, NULL, OPT_CAT_VERSION},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("stepwise-sim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("; see stepwise-sim --help\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* Parses argv after the subcommand; returns 0, or an exit status. */
static int parse_opts(int argc, char **argv, opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->prefix = "sim";
    o->seed = 1;
    o->batch = 200;
    o->timeout = 300;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "hv", long_opts, NULL)) != -1) {
        const char *a = optarg;
        switch (c) {
        case OPT_DATA:
            o->data = a;
            break;
        case OPT_KIOSKS:
            if (!parse_u64(a, &o->kiosks) || o->kiosks < 1 ||
                o->kiosks > MAX_KIOSKS)
                return usage_error("--kiosks \"%s\": give a number from 1 "
                                   "to %d",
                                   a, MAX_KIOSKS);
            o->have_kiosks = true;
            break;
        case OPT_PREFIX:
            if (!*a || strlen(a) > 40 || strchr(a, '/') || strchr(a, ':'))
                return usage_error("--prefix \"%s\": give 1 to 40 "
                                   "characters without '/' or ':'",
                                   a);
            o->prefix = a;
            break;
        case OPT_SERVER: {
            /* repeated --server options add endpoints, like commas do */
            size_t have = o->servers ? strlen(o->servers) : 0;
            char *joined = realloc(o->servers, have + 1 + strlen(a) + 1);
            if (!joined)
                return 1;
            if (have)
                joined[have++] = ',';
            strcpy(joined + have, a);
            o->servers = joined;
            break;
        }
        case OPT_SERVER_KEY:
            o->server_key = a;
            break;
        case OPT_CATALOGUE:
            o->catalogue = a;
            break;
        case OPT_SITE:
            o->site = a;
            break;
        case OPT_EVENTS:
            if (!parse_u64(a, &o->events) || o->events > 100000000ULL)
                return usage_error("--events \"%s\": give a number of "
                                   "events per kiosk (0 or more)",
                                   a);
            o->events_set = true;
            break;
        case OPT_SEED:
            if (!parse_u64(a, &o->seed))
                return usage_error("--seed \"%s\": give a whole number", a);
            break;
        case OPT_BATCH:
            if (!parse_u64(a, &o->batch) || o->batch < 1 ||
                o->batch > PROTO_MAX_BATCH)
                return usage_error("--batch \"%s\": give 1 to %d", a,
                                   PROTO_MAX_BATCH);
            break;
        case OPT_OFFLINE:
            o->offline = true;
            break;
        case OPT_SYNC_ONLY:
            o->sync_only = true;
            break;
        case OPT_RATE:
            if (!parse_double(a, &o->rate))
                return usage_error("--rate \"%s\": give events per second "
                                   "(0 = as fast as possible)",
                                   a);
            break;
        case OPT_FLAP:
            if (!parse_double(a, &o->flap))
                return usage_error("--flap \"%s\": give a mean period in "
                                   "seconds",
                                   a);
            break;
        case OPT_TIMEOUT:
            if (!parse_double(a, &o->timeout) || o->timeout <= 0)
                return usage_error("--timeout \"%s\": give seconds (more "
                                   "than 0)",
                                   a);
            break;
        case OPT_CAT_VERSION:
            if (!parse_u64(a, &o->catalogue_version) ||
                o->catalogue_version == 0)
                return usage_error("--catalogue-version \"%s\": give a "
                                   "version number (1 or more)",
                                   a);
            break;
        case 'v':
        case OPT_VERBOSE:
            atomic_store(&verbose, true);
            break;
        case 'h':
        case OPT_HELP:
            fputs(usage_text, stdout);
            return -1;
        default:
            return usage_error("unknown or incomplete option \"%s\"",
                               argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument \"%s\"", argv[optind]);
    return 0;
}

static void kiosk_name(const opts_t *o, uint64_t i, char *out, size_t len)
{
    int width = o->kiosks >= 100 ? 3 : 2;
    snprintf(out, len, "%s-%0*" PRIu64, o->prefix, width, i);
}

/* ---- keygen */

static int cmd_keygen(const opts_t *o)
{
    if (!o->data || !o->have_kiosks)
        return usage_error("keygen needs --data DIR and --kiosks N");
    if (mkdir_p(o->data, 0700) != 0) {
        log_line(KIOSK_LOG_ERROR,
                 "cannot create data directory %s: %s; choose a writable "
                 "place",
                 o->data, strerror(errno));
        return 1;
    }
    for (uint64_t i = 1; i <= o->kiosks; i++) {
        char id[64], dir[4096], keyfile[4200], err[512];
        kiosk_name(o, i, id, sizeof id);
        snprintf(dir, sizeof dir, "%s/%s", o->data, id);
        snprintf(keyfile, sizeof keyfile, "%s/kiosk.key", dir);
        if (mkdir_p(dir, 0700) != 0) {
            log_line(KIOSK_LOG_ERROR,
                     "cannot create %s: %s; check the data directory", dir,
                     strerror(errno));
            return 1;
        }
        proto_keypair_t kp;
        if (file_exists(keyfile)) {
            if (proto_keys_load_secret(keyfile, &kp, err, sizeof err) != 0) {
                log_line(KIOSK_LOG_ERROR, "%s", err);
                return 1;
            }
            log_line(KIOSK_LOG_INFO, "kiosk %s: kept the existing key %s", id,
                     keyfile);
        } else {
            if (proto_keys_generate(&kp) != 0) {
                log_line(KIOSK_LOG_ERROR,
                         "cannot generate a key pair (is libzmq built with "
                         "CURVE?)");
                return 1;
            }
            if (proto_keys_save(&kp, dir, "kiosk", "kiosk", err, sizeof err) !=
                0) {
                log_line(KIOSK_LOG_ERROR, "%s", err);
                return 1;
            }
        }
        printf("%s %s\n", id, kp.public_z85);
    }
    if (fflush(stdout) != 0) {
        log_line(KIOSK_LOG_ERROR, "cannot write the key list: %s",
                 strerror(errno));
        return 1;
    }
    return 0;
}

/* ---- verify */

static int cmd_verify(const opts_t *o)
{
    if (!o->data || !o->have_kiosks)
        return usage_error("verify needs --data DIR and --kiosks N");
    int rc = 0;
    for (uint64_t i = 1; i <= o->kiosks; i++) {
        char id[64], path[4200], err[512];
        kiosk_name(o, i, id, sizeof id);
        snprintf(path, sizeof path, "%s/%s/outbox.db", o->data, id);
        if (!file_exists(path)) {
            log_line(KIOSK_LOG_ERROR,
                     "kiosk %s has no outbox at %s; run `stepwise-sim run` "
                     "first",
                     id, path);
            rc = 1;
            continue;
        }
        kiosk_outbox_t *ob = kiosk_outbox_open(path, err, sizeof err);
        kiosk_outbox_stats_t st;
        if (!ob || kiosk_outbox_stats(ob, &st) != 0) {
            log_line(KIOSK_LOG_ERROR, "kiosk %s: %s", id,
                     ob ? kiosk_outbox_errmsg(ob) : err);
            kiosk_outbox_destroy(&ob);
            rc = 1;
            continue;
        }
        printf("sim: kiosk %s last_seq %" PRIu64 " acked_seq %" PRIu64
               " pending %" PRIu64 " rejected %" PRIu64 "\n",
               id, st.last_seq, st.acked_seq, st.depth, st.rejected);
        if (st.depth > 0)
            rc = 1;
        kiosk_outbox_destroy(&ob);
    }
    fflush(stdout);
    return rc;
}

/* ---- run: content */

static const char *const titles[] = {
    "外呼名单重复率太高，建议先去重再分配",
    "直播前一天在社群预告，提高进场人数",
    "新人带教缺少话术范本，建议整理一份",
    "客户风险测评提醒应自动推送",
    "有效通话的标准不统一，建议明确定义",
    "直播两组交接时设备经常没充电",
    "社群早报模板可以固定，节省时间",
    "跟进记录字段太多，外呼间隙来不及填",
    "高净值客户回访周期建议从季度改为月度",
    "企业拜访前应先查工商信息，避免白跑",
    "电销时段集中在上午，下午接通率低",
    "直播脚本评审可以提前到前一天下午",
    "新开户客户首周应安排一次电话关怀",
    "社群答疑高峰在收盘后，需安排值班",
    "建议每周复盘一次未接通号码的原因",
    "产品说明材料版本太多，容易发错",
    "直播间常见问题可以做成置顶卡片",
    "外呼系统经常卡顿，影响通话数量",
    "客户满意度评价入口不够明显",
    "流程步骤“整理名单”可与“外呼”合并",
};

static const char *const bodies[] = {
    "上周统计有三成号码重复，浪费了大量通话时间。",
    "试行两周，对比进场人数再决定是否推广。",
    "可以先由老员工录音，挑选效果好的整理成文字。",
    "需要信息技术部门协助，预计两周可以完成。",
};

static const char *const notes[] = {
    "上午时段接通率低", "客户要求下周再联系", "直播设备调试耗时较长",
    "社群新增成员较多", "新人第一次独立外呼", "客户对新产品感兴趣",
    "系统卡顿影响通话", "跟进客户已预约面谈",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- run: one kiosk */

typedef struct {
    const opts_t *o;
    const proto_catalogue_t *file_cat; /* loaded from --catalogue */
    uint64_t file_version;             /* version to name without cache */
    char server_key[PROTO_Z85_KEY_LEN + 1];
    const char *endpoints[KIOSK_SYNC_MAX_ENDPOINTS];
    size_t n_endpoints;
} shared_t;

typedef struct {
    const shared_t *sh;
    uint64_t index;
    char id[64];
    char dir[4096];
    char outbox_path[4200];
    proto_keypair_t keys;
    uint64_t base;     /* seed of this kiosk's content */
    uint64_t rng;      /* the current event's stream */
    uint64_t flap_rng; /* outage timing, apart from the content */
    pthread_t thread;

    kiosk_outbox_t *ob;
    kiosk_sync_t *sync;
    const proto_catalogue_t *cat; /* the one in use */
    proto_catalogue_t *cached;    /* owned, when from the outbox cache */
    const proto_site_t *site;
    uint64_t cat_version;
    char known[KNOWN_SUGGESTIONS][PROTO_ID_MAX + 1];
    size_t n_known, next_known;

    /* results */
    uint64_t baseline;     /* acked mark at start: we count what is above */
    uint64_t baseline_seq; /* last seq at start: events continue from it */
    uint64_t captured;
    kiosk_outbox_tally_t tally;
    kiosk_link_t link;
    char message[KIOSK_SYNC_MESSAGE_MAX];
    bool failed;
    bool drained;
} kiosk_t;

static void remember_suggestion(kiosk_t *k, const char *id)
{
    for (size_t i = 0; i < k->n_known; i++)
        if (strcmp(k->known[i], id) == 0)
            return;
    snprintf(k->known[k->next_known], sizeof k->known[0], "%s", id);
    k->next_known = (k->next_known + 1) % KNOWN_SUGGESTIONS;
    if (k->n_known < KNOWN_SUGGESTIONS)
        k->n_known++;
}

/* Suggestions the kiosk has seen in its feed cache. */
static void learn_feed(kiosk_t *k)
{
    proto_suggestion_t *list = NULL;
    size_t n = 0;
    if (kiosk_outbox_suggestions(k->ob, 64, &list, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        remember_suggestion(k, list[i].id);
    kiosk_outbox_suggestions_free(&list, n);
}

static const proto_staff_t *pick_staff(kiosk_t *k)
{
    return &k->site->staff[rng_below(&k->rng, (uint32_t)k->site->n_staff)];
}

static const proto_step_def_t *pick_step(kiosk_t *k)
{
    return k->cat->steps[rng_below(&k->rng, (uint32_t)k->cat->n_steps)];
}

/* 1..5, leaning to the good end as real service ratings do. */
static uint8_t pick_score(kiosk_t *k)
{
    static const uint8_t table[] = {1, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5, 5};
    return table[rng_below(&k->rng, (uint32_t)N_OF(table))];
}

static int make_checkin(kiosk_t *k, proto_event_t *ev)
{
    const proto_step_def_t *step = pick_step(k);
    ev->type = PROTO_EV_CHECKIN;
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", pick_staff(k)->id);
    snprintf(ev->step_id, sizeof ev->step_id, "%s", step->id);
    ev->catalogue_version = k->cat_version;
    size_t n = step->n_measures;
    if (n > PROTO_MAX_MEASURES)
        n = PROTO_MAX_MEASURES;
    for (size_t i = 0; i < n; i++) {
        const proto_measure_def_t *m = &step->measures[i];
        double top = m->max_per_checkin > 0 ? m->max_per_checkin
                     : m->daily_target > 0  ? m->daily_target * 1.5
                                            : 10;
        /* around the daily target, never above what one check-in allows */
        double v = floor(rng_unit(&k->rng) * (top + 1));
        if (v > top)
            v = floor(top);
        if (m->max_per_checkin > 0 && v > m->max_per_checkin)
            v = m->max_per_checkin;
        snprintf(ev->measures[i].key, sizeof ev->measures[i].key, "%s", m->id);
        ev->measures[i].value = v;
    }
    ev->n_measures = (uint32_t)n;
    if (step->asks_quality)
        ev->quality = pick_score(k);
    if (rng_below(&k->rng, 5) == 0) {
        ev->note = proto_strdup(notes[rng_below(&k->rng, N_OF(notes))]);
        if (!ev->note)
            return PROTO_ENOMEM;
    }
    return 0;
}

static int make_suggestion(kiosk_t *k, proto_event_t *ev)
{
    ev->type = PROTO_EV_SUGGESTION;
    if (rng_below(&k->rng, 4) == 0) {
        ev->anonymous = true; /* author left out: staff_id stays "" */
    } else {
        snprintf(ev->staff_id, sizeof ev->staff_id, "%s", pick_staff(k)->id);
    }
    uint32_t where = rng_below(&k->rng, 20);
    if (where < 12) {
        const proto_step_def_t *step = pick_step(k);
        snprintf(ev->step_id, sizeof ev->step_id, "%s", step->id);
        if (step->process)
            snprintf(ev->process_id, sizeof ev->process_id, "%s",
                     step->process->id);
    } else if (where < 17 && k->cat->n_processes > 0) {
        const proto_process_def_t *p =
            k->cat
                ->processes[rng_below(&k->rng, (uint32_t)k->cat->n_processes)];
        snprintf(ev->process_id, sizeof ev->process_id, "%s", p->id);
    } /* else a general suggestion */
    ev->kind = rng_below(&k->rng, 2) ? PROTO_KIND_IDEA : PROTO_KIND_PROBLEM;
    ev->title = proto_strdup(titles[rng_below(&k->rng, N_OF(titles))]);
    if (!ev->title)
        return PROTO_ENOMEM;
    if (rng_below(&k->rng, 2)) {
        ev->body = proto_strdup(bodies[rng_below(&k->rng, N_OF(bodies))]);
        if (!ev->body)
            return PROTO_ENOMEM;
    }
    return 0;
}

static void make_vote(kiosk_t *k, proto_event_t *ev)
{
    ev->type = PROTO_EV_VOTE;
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", pick_staff(k)->id);
    snprintf(ev->suggestion_id, sizeof ev->suggestion_id, "%s",
             k->known[rng_below(&k->rng, (uint32_t)k->n_known)]);
    ev->vote = rng_below(&k->rng, 10) == 0 ? 0 : 1;
}

static void make_rating(kiosk_t *k, proto_event_t *ev)
{
    ev->type = PROTO_EV_RATING;
    snprintf(ev->staff_id, sizeof ev->staff_id, "%s", pick_staff(k)->id);
    if (rng_below(&k->rng, 2))
        snprintf(ev->step_id, sizeof ev->step_id, "%s", pick_step(k)->id);
    ev->score = pick_score(k);
}

/* One event of the usual mix: mostly check-ins. */
static int make_event(kiosk_t *k, proto_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    uint32_t roll = rng_below(&k->rng, 100);
    if (roll < 8)
        return make_suggestion(k, ev);
    if (roll < 20) {
        if (k->n_known == 0)
            return make_checkin(k, ev); /* nothing to vote on yet */
        make_vote(k, ev);
        return 0;
    }
    if (roll < 30) {
        make_rating(k, ev);
        return 0;
    }
    return make_checkin(k, ev);
}

/* ---- run: sync on/off */

static int sync_on(kiosk_t *k)
{
    const shared_t *sh = k->sh;
    kiosk_sync_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.outbox_path = k->outbox_path;
    cfg.kiosk_id = k->id;
    for (size_t i = 0; i < sh->n_endpoints; i++)
        cfg.endpoints[i] = sh->endpoints[i];
    cfg.n_endpoints = sh->n_endpoints;
    cfg.server_public_z85 = sh->server_key;
    cfg.keys = k->keys;
    cfg.app_version = "stepwise-sim " STEPWISE_VERSION;
    cfg.batch_size = (uint32_t)sh->o->batch;
    /* reconnect quickly: a simulated outage is short */
    cfg.backoff_max_ms = 5000;
    cfg.log = sync_log;
    char err[512];
    k->sync = kiosk_sync_new(&cfg, err, sizeof err);
    if (!k->sync) {
        log_line(KIOSK_LOG_ERROR, "kiosk %s: %s", k->id, err);
        return -1;
    }
    return 0;
}

static void sync_off(kiosk_t *k)
{
    kiosk_sync_destroy(&k->sync);
}

/* Drains the sync queue (the sync thread already logged what matters). */
static void drain_events(kiosk_t *k)
{
    kiosk_sync_event_t ev;
    while (k->sync && kiosk_sync_poll(k->sync, &ev)) {
        if (ev.type == KIOSK_SYNC_EV_FEED)
            learn_feed(k);
    }
}

/* Picks the catalogue to capture against: the one cached from syncd (what
 * a real kiosk shows), else the file. */
static int choose_catalogue(kiosk_t *k)
{
    const shared_t *sh = k->sh;
    char *yaml = NULL;
    size_t len = 0;
    uint64_t version = 0;
    k->cat = sh->file_cat;
    k->cat_version = sh->file_version;
    if (kiosk_outbox_catalogue_get(k->ob, &version, &yaml, &len) == 0) {
        char err[512], name[64];
        snprintf(name, sizeof name, "cached catalogue v%" PRIu64, version);
        k->cached =
            proto_catalogue_load_string(yaml, len, name, err, sizeof err);
        free(yaml);
        if (k->cached && proto_catalogue_site(k->cached, sh->o->site) &&
            k->cached->n_steps > 0) {
            k->cat = k->cached;
            k->cat_version = version;
        } else if (!k->cached) {
            log_line(KIOSK_LOG_WARN,
                     "kiosk %s: %s; capturing against %s instead", k->id, err,
                     sh->o->catalogue);
        }
    }
    k->site = proto_catalogue_site(k->cat, sh->o->site);
    if (!k->site || k->site->n_staff == 0 || k->cat->n_steps == 0) {
        log_line(KIOSK_LOG_ERROR,
                 "kiosk %s: site \"%s\" has no staff or the catalogue no "
                 "steps; check --site and --catalogue",
                 k->id, sh->o->site);
        return -1;
    }
    return 0;
}

static void *kiosk_main(void *arg)
{
    kiosk_t *k = arg;
    const opts_t *o = k->sh->o;
    char err[512];
    int64_t next_flap = 0;
    bool want_online = !o->offline;

    k->ob = kiosk_outbox_open(k->outbox_path, err, sizeof err);
    if (!k->ob) {
        log_line(KIOSK_LOG_ERROR, "kiosk %s: %s", k->id, err);
        k->failed = true;
        return NULL;
    }
    if (kiosk_outbox_set_identity(k->ob, k->id) != 0) {
        log_line(KIOSK_LOG_ERROR, "kiosk %s: %s", k->id,
                 kiosk_outbox_errmsg(k->ob));
        k->failed = true;
        goto done;
    }
    kiosk_outbox_stats_t st;
    if (kiosk_outbox_stats(k->ob, &st) != 0) {
        log_line(KIOSK_LOG_ERROR, "kiosk %s: %s", k->id,
                 kiosk_outbox_errmsg(k->ob));
        k->failed = true;
        goto done;
    }
    k->baseline = st.acked_seq;
    k->baseline_seq = st.last_seq;
    if (!o->sync_only && choose_catalogue(k) != 0) {
        k->failed = true;
        goto done;
    }
    learn_feed(k);
    if (want_online && sync_on(k) != 0) {
        k->failed = true;
        goto done;
    }
    if (o->flap > 0 && want_online)
        next_flap = mono_ms() + (int64_t)(-log(1.0 - rng_unit(&k->flap_rng)) *
                                          o->flap * 1000);

    /* capture */
    int64_t t0 = mono_ms();
    uint64_t m = o->sync_only ? 0 : o->events;
    for (uint64_t i = 0; i < m && !interrupted; i++) {
        if (o->rate > 0)
            sleep_ms(t0 + (int64_t)((double)i * 1000.0 / o->rate) - mono_ms());
        if (next_flap && mono_ms() >= next_flap) {
            if (k->sync) {
                log_line(KIOSK_LOG_INFO, "kiosk %s: going offline (flap)",
                         k->id);
                sync_off(k);
            } else {
                log_line(KIOSK_LOG_INFO, "kiosk %s: coming online (flap)",
                         k->id);
                if (sync_on(k) != 0) {
                    k->failed = true;
                    goto done;
                }
            }
            next_flap =
                mono_ms() +
                (int64_t)(-log(1.0 - rng_unit(&k->flap_rng)) * o->flap * 1000);
        }
        proto_event_t ev;
        uint64_t seq = 0;
        /* event i depends on (seed, kiosk, i) alone, so what the feed
         * happened to deliver changes only which suggestion a vote
         * goes to, never the events after it */
        k->rng = k->base;
        for (int mix = 0; mix < 2; mix++)
            k->rng = rng_next(&k->rng) ^ (k->captured + k->baseline_seq);
        int r = make_event(k, &ev);
        if (r == 0)
            r = kiosk_outbox_append(k->ob, &ev, &seq);
        if (r == 0 && ev.type == PROTO_EV_SUGGESTION) {
            char sid[PROTO_ID_MAX + 24];
            snprintf(sid, sizeof sid, "%s:%" PRIu64, k->id, seq);
            if (strlen(sid) <= PROTO_ID_MAX)
                remember_suggestion(k, sid);
        }
        proto_event_clear(&ev);
        if (r != 0) {
            log_line(KIOSK_LOG_ERROR, "kiosk %s: %s", k->id,
                     kiosk_outbox_errmsg(k->ob));
            k->failed = true;
            goto done;
        }
        k->captured++;
        if (k->sync)
            kiosk_sync_kick(k->sync);
        drain_events(k);
    }
    if (k->captured)
        log_line(KIOSK_LOG_INFO, "kiosk %s: captured %" PRIu64 " events", k->id,
                 k->captured);

    /* wait for the outbox to drain */
    if (want_online && !interrupted) {
        if (!k->sync && sync_on(k) != 0) {
            k->failed = true;
            goto done;
        }
        int64_t deadline = mono_ms() + (int64_t)(o->timeout * 1000);
        for (;;) {
            kiosk_sync_status_t ss;
            kiosk_sync_status(k->sync, &ss);
            k->link = ss.link;
            if (ss.message[0])
                snprintf(k->message, sizeof k->message, "%s", ss.message);
            else
                snprintf(k->message, sizeof k->message,
                         "no answer yet from syncd at %s", ss.endpoint);
            /* Done when a session has happened and our own outbox
             * connection sees nothing unacked (the status snapshot may
             * not yet count the last capture). */
            if (ss.connects > 0 && ss.link == KIOSK_LINK_ONLINE) {
                kiosk_outbox_stats_t now;
                if (kiosk_outbox_stats(k->ob, &now) != 0) {
                    log_line(KIOSK_LOG_ERROR, "kiosk %s: %s", k->id,
                             kiosk_outbox_errmsg(k->ob));
                    k->failed = true;
                    break;
                }
                if (now.depth == 0) {
                    k->drained = true;
                    /* let syncd hear the empty queue (its fleet status),
                     * which the sync thread reports right away */
                    int64_t told_by = mono_ms() + 1000;
                    while (ss.reported_waiting != 0 && mono_ms() < told_by &&
                           !interrupted) {
                        kiosk_sync_event_t ev;
                        (void)kiosk_sync_wait(k->sync, &ev, 50);
                        kiosk_sync_status(k->sync, &ss);
                    }
                    break;
                }
            }
            if (ss.link == KIOSK_LINK_REVOKED || interrupted ||
                mono_ms() >= deadline)
                break;
            kiosk_sync_event_t ev;
            if (kiosk_sync_wait(k->sync, &ev, 100) &&
                ev.type == KIOSK_SYNC_EV_FEED)
                learn_feed(k);
        }
    }
done:
    sync_off(k);
    if (k->ob && kiosk_outbox_tally(k->ob, k->baseline, &k->tally) != 0) {
        log_line(KIOSK_LOG_ERROR, "kiosk %s: %s", k->id,
                 kiosk_outbox_errmsg(k->ob));
        k->failed = true;
    }
    kiosk_outbox_destroy(&k->ob);
    proto_catalogue_destroy(&k->cached);
    return NULL;
}

/* ---- run */

static int cmd_run(opts_t *o)
{
    if (!o->data || !o->have_kiosks || !o->catalogue || !o->site)
        return usage_error("run needs --data DIR, --kiosks N, --catalogue "
                           "FILE and --site SITE");
    if (!o->events_set && !o->sync_only)
        return usage_error("run needs --events M (events per kiosk)");
    if (o->offline && o->sync_only)
        return usage_error("--offline and --sync-only exclude each other");
    if (!o->offline && (!o->servers || !o->server_key))
        return usage_error("run needs --server ENDPOINT and --server-key "
                           "FILE|Z85 (or --offline)");

    shared_t sh;
    memset(&sh, 0, sizeof sh);
    sh.o = o;
    char err[512];
    proto_catalogue_t *cat =
        proto_catalogue_load_file(o->catalogue, err, sizeof err);
    if (!cat) {
        log_line(KIOSK_LOG_ERROR, "%s", err);
        return 1;
    }
    int rc = 0;
    kiosk_t *ks = NULL;
    if (!proto_catalogue_site(cat, o->site)) {
        char sites[512] = "";
        for (size_t i = 0; i < cat->n_sites; i++) {
            size_t used = strlen(sites);
            snprintf(sites + used, sizeof sites - used, "%s%s", i ? ", " : "",
                     cat->sites[i].id);
        }
        log_line(KIOSK_LOG_ERROR, "site \"%s\" is not in %s; use one of: %s",
                 o->site, o->catalogue, sites[0] ? sites : "(none)");
        rc = 1;
        goto out;
    }
    sh.file_cat = cat;
    sh.file_version = o->catalogue_version ? o->catalogue_version
                      : cat->version > 0   ? cat->version
                                           : 1;
    if (!o->offline) {
        if (proto_keys_load_public(o->server_key, sh.server_key, err,
                                   sizeof err) != 0) {
            log_line(KIOSK_LOG_ERROR, "%s", err);
            rc = 1;
            goto out;
        }
        for (char *save = NULL, *tok = strtok_r(o->servers, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            if (sh.n_endpoints == KIOSK_SYNC_MAX_ENDPOINTS) {
                rc = usage_error("--server lists more than %d endpoints",
                                 KIOSK_SYNC_MAX_ENDPOINTS);
                goto out;
            }
            sh.endpoints[sh.n_endpoints++] = tok;
        }
        if (sh.n_endpoints == 0) {
            rc = usage_error("--server is empty");
            goto out;
        }
    }

    ks = calloc(o->kiosks, sizeof *ks);
    if (!ks) {
        log_line(KIOSK_LOG_ERROR, "out of memory for %" PRIu64 " kiosks",
                 o->kiosks);
        rc = 1;
        goto out;
    }
    for (uint64_t i = 0; i < o->kiosks; i++) {
        kiosk_t *k = &ks[i];
        k->sh = &sh;
        k->index = i + 1;
        kiosk_name(o, i + 1, k->id, sizeof k->id);
        snprintf(k->dir, sizeof k->dir, "%s/%s", o->data, k->id);
        snprintf(k->outbox_path, sizeof k->outbox_path, "%s/outbox.db", k->dir);
        char keyfile[4200];
        snprintf(keyfile, sizeof keyfile, "%s/kiosk.key", k->dir);
        if (!file_exists(keyfile)) {
            log_line(KIOSK_LOG_ERROR,
                     "kiosk %s has no key at %s; run `stepwise-sim keygen "
                     "--data %s --kiosks %" PRIu64 "` and enrol the keys",
                     k->id, keyfile, o->data, o->kiosks);
            rc = 1;
            goto out;
        }
        if (proto_keys_load_secret(keyfile, &k->keys, err, sizeof err) != 0) {
            log_line(KIOSK_LOG_ERROR, "%s", err);
            rc = 1;
            goto out;
        }
        /* content depends on the seed and the kiosk, nothing else */
        k->base = o->seed * 0x100000001b3ULL + k->index;
        k->flap_rng = k->base ^ 0x5bd1e995ULL;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    log_line(KIOSK_LOG_INFO,
             "%" PRIu64 " kiosks, %" PRIu64 " events each%s%s, site %s, "
             "seed %" PRIu64,
             o->kiosks, o->sync_only ? 0 : o->events,
             o->offline ? ", offline" : "", o->sync_only ? ", sync only" : "",
             o->site, o->seed);
    int64_t t0 = mono_ms();
    uint64_t started = 0;
    for (uint64_t i = 0; i < o->kiosks; i++) {
        int e = pthread_create(&ks[i].thread, NULL, kiosk_main, &ks[i]);
        if (e != 0) {
            log_line(KIOSK_LOG_ERROR, "cannot start kiosk thread %s: %s",
                     ks[i].id, strerror(e));
            ks[i].failed = true;
            rc = 1;
            break;
        }
        started++;
    }
    for (uint64_t i = 0; i < started; i++)
        pthread_join(ks[i].thread, NULL);

    uint64_t tot_c = 0, tot_a = 0, tot_r = 0, tot_p = 0, undrained = 0;
    bool failed = false, revoked = false;
    for (uint64_t i = 0; i < o->kiosks; i++) {
        kiosk_t *k = &ks[i];
        printf("sim: kiosk %s captured %" PRIu64 " acked %" PRIu64
               " rejected %" PRIu64 " pending %" PRIu64 "\n",
               k->id, k->captured, k->tally.acked, k->tally.rejected,
               k->tally.pending);
        tot_c += k->captured;
        tot_a += k->tally.acked;
        tot_r += k->tally.rejected;
        tot_p += k->tally.pending;
        failed |= k->failed;
        if (!o->offline && !k->drained && !k->failed) {
            undrained++;
            revoked |= k->link == KIOSK_LINK_REVOKED;
            log_line(KIOSK_LOG_WARN,
                     "kiosk %s: %s with %" PRIu64 " events pending%s%s", k->id,
                     kiosk_link_name(k->link), k->tally.pending,
                     k->message[0] ? ": " : "", k->message);
        }
    }
    double secs = (double)(mono_ms() - t0) / 1000.0;
    printf("sim: total kiosks %" PRIu64 " captured %" PRIu64 " acked %" PRIu64
           " rejected %" PRIu64 " pending %" PRIu64 " seconds %.1f\n",
           o->kiosks, tot_c, tot_a, tot_r, tot_p, secs);
    fflush(stdout);
    if (failed)
        rc = 1;
    else if (interrupted)
        rc = 130;
    else if (undrained > 0) {
        log_line(KIOSK_LOG_ERROR,
                 "%" PRIu64 " kiosks still hold unsent events%s; they stay "
                 "in the outboxes and go at the next run",
                 undrained,
                 revoked ? " (revoked kiosks never sync again)"
                         : " after the timeout");
        rc = EXIT_TIMEOUT;
    }
out:
    free(ks);
    proto_catalogue_destroy(&cat);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    opts_t o;
    int rc = parse_opts(argc - 1, argv + 1, &o);
    if (rc != 0) {
        free(o.servers);
        return rc < 0 ? 0 : rc;
    }
    if (strcmp(cmd, "keygen") == 0)
        rc = cmd_keygen(&o);
    else if (strcmp(cmd, "run") == 0)
        rc = cmd_run(&o);
    else if (strcmp(cmd, "verify") == 0)
        rc = cmd_verify(&o);
    else
        rc = usage_error("unknown command \"%s\" (keygen, run, verify)", cmd);
    free(o.servers);
    return rc;
}
