/*
 * main.c — the `syncd` executable: options, the data directory, signals
 * and the loop around syncd_server_step().
 *
 *   syncd --data DIR [--listen EP] [--admin EP] [--store URI]
 *         [--catalogue FILE] [--sync full|normal] [--heartbeat-ms N]
 *         [--log-level debug|info|warn|error]
 *
 * DIR holds server.key (made with `syncctl keygen server --out DIR`),
 * managers/NAME.pub (the manager keys the admin endpoint admits) and, by
 * default, the store stepwise.db. syncd writes the endpoints it actually
 * bound to DIR/run/kiosk.endpoint and DIR/run/admin.endpoint, and its pid
 * to DIR/run/syncd.pid, which it also locks so that two daemons never
 * share a directory. It runs in the foreground and logs to stderr.
 *
 * SIGINT / SIGTERM: finish the message in hand, close everything, exit 0.
 * SIGHUP: re-read the manager keys (and the kiosk allow-list).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/catalogue.h"
#include "protocol/keys.h"
#include "syncd/fileio.h"
#include "syncd/log.h"
#include "syncd/server.h"
#include "syncd/store.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_reload;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        g_reload = 1;
    else
        g_stop = sig;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: syncd --data DIR [options]\n"
        "\n"
        "Runs the Stepwise sync daemon in the foreground.\n"
        "\n"
        "  --data DIR          server.key, managers/*.pub, the store, run/\n"
        "  --listen EP         kiosk endpoint (default %s)\n"
        "  --admin EP          admin endpoint (default %s)\n"
        "  --store URI         store (default DIR/stepwise.db; also "
        "sqlite:PATH)\n"
        "  --catalogue FILE    import FILE when it differs from the "
        "current version\n"
        "  --sync full|normal  SQLite durability (default full: fsync "
        "every batch)\n"
        "  --heartbeat-ms N    kiosk heartbeat (default %u); silent 3x "
        "this = expired\n"
        "  --log-level L       debug, info (default), warn, error\n"
        "  --version, --help\n",
        SYNCD_DEFAULT_KIOSK_ENDPOINT, SYNCD_DEFAULT_ADMIN_ENDPOINT,
        SYNCD_DEFAULT_HEARTBEAT_MS);
}

/* Writes text to path through a temporary file and rename(), so that a
 * reader never sees half an endpoint. */
static int write_atomic(const char *path, const char *text)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        (void)unlink(tmp);
        return -1;
    }
    return 0;
}

/* Locks DIR/run/syncd.pid and writes our pid into it. Returns the open
 * descriptor (kept for the daemon's life: the lock is the descriptor), or
 * -1 with a message printed. */
static int lock_pid_file(const char *path, const char *dir)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "syncd: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char old[32] = "";
        ssize_t n = read(fd, old, sizeof old - 1);
        old[n > 0 ? n : 0] = '\0';
        old[strcspn(old, "\n")] = '\0';
        fprintf(stderr,
                "syncd: another syncd (pid %s) is already running on %s; "
                "stop it first, or use another --data directory\n",
                old[0] ? old : "?", dir);
        close(fd);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        fprintf(stderr, "syncd: cannot write %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int import_catalogue(syncd_server_t *server, const char *path)
{
    char err[1024];
    char *yaml = NULL;
    size_t len = 0;
    if (syncd_read_file(path, PROTO_CATALOGUE_MAX, "a catalogue may be", &yaml,
                        &len, err, sizeof err) != 0) {
        fprintf(stderr, "syncd: %s; fix --catalogue or start without it\n",
                err);
        return -1;
    }
    uint64_t before = syncd_server_catalogue_version(server);
    uint64_t version = 0;
    bool imported = false;
    int rc = syncd_server_import_catalogue(server, yaml, len, path, &version,
                                           &imported, err, sizeof err);
    free(yaml);
    if (rc != 0) {
        fprintf(stderr,
                "syncd: %s\nsyncd: the catalogue was not imported; fix the "
                "file, or start without --catalogue to keep version %llu\n",
                err, (unsigned long long)before);
        return -1;
    }
    if (!imported)
        syncd_log(SYNCD_LOG_INFO,
                  "catalogue file is the current version; nothing imported "
                  "file=%s version=%llu",
                  path, (unsigned long long)version);
    else if (before == 0)
        syncd_log(SYNCD_LOG_INFO,
                  "catalogue imported: the store had none file=%s "
                  "version=%llu",
                  path, (unsigned long long)version);
    else
        syncd_log(SYNCD_LOG_INFO,
                  "catalogue imported: the file differs from the current "
                  "version file=%s version=%llu previous=%llu",
                  path, (unsigned long long)version,
                  (unsigned long long)before);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"admin", required_argument, NULL, 'a'},
        {"store", required_argument, NULL, 's'},
        {"catalogue", required_argument, NULL, 'c'},
        {"sync", required_argument, NULL, 'y'},
        {"heartbeat-ms", required_argument, NULL, 'b'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *listen = NULL, *admin = NULL, *store_uri = NULL,
               *catalogue = NULL;
    syncd_store_options_t sopt = {SYNCD_SYNC_FULL, 0};
    uint32_t heartbeat = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'a':
            admin = optarg;
            break;
        case 's':
            store_uri = optarg;
            break;
        case 'c':
            catalogue = optarg;
            break;
        case 'y':
            if (strcmp(optarg, "full") == 0) {
                sopt.sync_mode = SYNCD_SYNC_FULL;
            } else if (strcmp(optarg, "normal") == 0) {
                sopt.sync_mode = SYNCD_SYNC_NORMAL;
            } else {
                fprintf(stderr,
                        "syncd: --sync %s is not known; use full or "
                        "normal\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'b': {
            char *end;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || *end || v < 100 || v > 3600000) {
                fprintf(stderr,
                        "syncd: --heartbeat-ms %s is not a number of "
                        "milliseconds between 100 and 3600000\n",
                        optarg);
                return EXIT_USAGE;
            }
            heartbeat = (uint32_t)v;
            break;
        }
        case 'L': {
            syncd_log_level_t level;
            if (syncd_log_level_parse(optarg, &level) != 0) {
                fprintf(stderr,
                        "syncd: --log-level %s is not known; use debug, "
                        "info, warn or error\n",
                        optarg);
                return EXIT_USAGE;
            }
            syncd_log_set_level(level);
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("syncd %s (protocol %d)\n", STEPWISE_VERSION, PROTO_VERSION);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "syncd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!data) {
        fprintf(stderr, "syncd: --data DIR is required\n");
        usage(stderr);
        return EXIT_USAGE;
    }

    int exit_code = 1;
    int pid_fd = -1;
    syncd_store_t *store = NULL;
    syncd_server_t *server = NULL;
    char key_path[4096], managers[4096], run_dir[4096], pid_path[4200],
        kiosk_ep_path[4200], admin_ep_path[4200], default_store[4096],
        store_shown[4096];
    char err[1024];
    bool wrote_endpoints = false;
    snprintf(key_path, sizeof key_path, "%s/server.key", data);
    snprintf(managers, sizeof managers, "%s/managers", data);
    snprintf(run_dir, sizeof run_dir, "%s/run", data);
    snprintf(pid_path, sizeof pid_path, "%s/syncd.pid", run_dir);
    snprintf(kiosk_ep_path, sizeof kiosk_ep_path, "%s/kiosk.endpoint", run_dir);
    snprintf(admin_ep_path, sizeof admin_ep_path, "%s/admin.endpoint", run_dir);
    snprintf(default_store, sizeof default_store, "%s/stepwise.db", data);

    struct stat st;
    if (stat(data, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "syncd: data directory %s does not exist; create it with a "
                "server key: syncctl keygen server --out %s\n",
                data, data);
        return 1;
    }
    if (access(key_path, F_OK) != 0) {
        fprintf(stderr,
                "syncd: no server key at %s; make one with: syncctl keygen "
                "server --out %s\n",
                key_path, data);
        return 1;
    }
    syncd_server_config_t cfg = {0};
    if (proto_keys_load_secret(key_path, &cfg.server_key, err, sizeof err) !=
        0) {
        fprintf(stderr, "syncd: %s\n", err);
        return 1;
    }
    if (mkdir(run_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "syncd: cannot create %s: %s\n", run_dir,
                strerror(errno));
        goto out;
    }
    pid_fd = lock_pid_file(pid_path, data);
    if (pid_fd < 0)
        goto out;
    /* A stale endpoint from an earlier run must not send anyone to a
     * port we may not get again. */
    (void)unlink(kiosk_ep_path);
    (void)unlink(admin_ep_path);

    if (!store_uri)
        store_uri = default_store;
    store = syncd_store_open(store_uri, &sopt, err, sizeof err);
    if (!store) {
        fprintf(stderr, "syncd: %s\n", err);
        goto out;
    }
    const char *store_path = NULL;
    if (strncmp(store_uri, "sqlite:", 7) == 0)
        store_path = store_uri + 7;
    else if (!strstr(store_uri, "://"))
        store_path = store_uri;

    cfg.kiosk_endpoint = listen;
    cfg.admin_endpoint = admin;
    cfg.managers_dir = managers;
    cfg.heartbeat_ms = heartbeat;
    cfg.store_path = store_path;
    server = syncd_server_new(&cfg, store, NULL, NULL, err, sizeof err);
    if (!server) {
        fprintf(stderr, "syncd: %s\n", err);
        goto out;
    }
    if (catalogue && import_catalogue(server, catalogue) != 0)
        goto out;
    if (syncd_server_catalogue_version(server) == 0)
        syncd_log(SYNCD_LOG_WARN,
                  "no catalogue loaded; kiosks get version 0 and check-ins "
                  "are rejected until one is imported (syncd --catalogue "
                  "FILE, or syncctl catalogue import FILE)");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: a signal must wake zmq_poll at once */
    if (sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0 ||
        sigaction(SIGHUP, &sa, NULL) != 0 ||
        signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "syncd: cannot install signal handlers: %s\n",
                strerror(errno));
        goto out;
    }
    if (write_atomic(kiosk_ep_path, syncd_server_kiosk_endpoint(server)) != 0 ||
        write_atomic(admin_ep_path, syncd_server_admin_endpoint(server)) != 0) {
        fprintf(stderr, "syncd: cannot write the endpoint files in %s: %s\n",
                run_dir, strerror(errno));
        goto out;
    }
    wrote_endpoints = true;
    syncd_store_uri_redact(store_uri, store_shown, sizeof store_shown);
    syncd_log(SYNCD_LOG_INFO,
              "syncd started version=%s pid=%ld kiosk_endpoint=%s "
              "admin_endpoint=%s store=%s sync=%s catalogue=%llu "
              "heartbeat_ms=%u",
              STEPWISE_VERSION, (long)getpid(),
              syncd_server_kiosk_endpoint(server),
              syncd_server_admin_endpoint(server), store_shown,
              sopt.sync_mode == SYNCD_SYNC_FULL ? "full" : "normal",
              (unsigned long long)syncd_server_catalogue_version(server),
              heartbeat ? heartbeat : SYNCD_DEFAULT_HEARTBEAT_MS);

    while (!g_stop) {
        if (g_reload) {
            g_reload = 0;
            syncd_log(SYNCD_LOG_INFO, "SIGHUP: reloading manager keys");
            (void)syncd_server_reload(server);
        }
        if (syncd_server_step(server, 1000) != 0) {
            syncd_log(SYNCD_LOG_ERROR,
                      "the main loop failed; stopping (restart syncd)");
            goto out;
        }
    }
    syncd_log(SYNCD_LOG_INFO, "stopping on %s",
              g_stop == SIGINT ? "SIGINT" : "SIGTERM");
    exit_code = 0;
    /* A clean stop leaves the journal folded: the store's tables are then
     * complete for whoever opens the file next. A failure loses nothing:
     * the next open folds. */
    if (syncd_store_fold(store, SIZE_MAX) < 0)
        syncd_log(SYNCD_LOG_ERROR,
                  "cannot fold the ingest journal before stopping; its "
                  "batches are kept and folded after the next start "
                  "detail=\"%s\"",
                  syncd_store_errmsg(store));
out:
    syncd_server_destroy(&server);
    syncd_store_destroy(&store);
    if (wrote_endpoints) {
        (void)unlink(kiosk_ep_path);
        (void)unlink(admin_ep_path);
    }
    if (pid_fd >= 0) {
        (void)unlink(pid_path);
        close(pid_fd);
    }
    if (exit_code == 0)
        syncd_log(SYNCD_LOG_INFO, "stopped cleanly");
    return exit_code;
}
