/*
 * syncctl.c — the managers' and operators' command-line tool.
 *
 * Two jobs: making CURVE key pairs (`syncctl keygen ...`), and talking to
 * syncd's admin endpoint with a manager key: one ADMIN_REQ, one ADMIN_REP,
 * printed for a person (tables, "3 min ago") or as the daemon's JSON with
 * --json. It never opens the database: everything goes through the daemon,
 * which checks the manager key and logs who did what. The one exception
 * is `syncctl migrate`, an operator's one-off with syncd stopped, which
 * opens an SQLite file and a PostgreSQL database itself (migrate.c).
 *
 * Exit status: 0 done; 1 the daemon refused (its message is printed) or a
 * local file could not be read or written; 2 usage error; 3 no answer
 * within the timeout (daemon down, wrong endpoint, or a key it refuses).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "protocol/keys.h"
#include "protocol/proto_zmq.h"
#include "protocol/protocol.h"
#include "syncd/fileio.h"
#include "syncd/json.h"
#include "syncd/migrate.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_NO_ANSWER 3
#define DEFAULT_ENDPOINT "tcp://127.0.0.1:7851"
#define DEFAULT_TIMEOUT_S 5

typedef struct {
    const char *endpoint;
    char endpoint_buf[512];
    const char *server_key_arg;
    const char *manager_key_path;
    char data_server_pub[4096];
    char data_manager_key[4096];
    double timeout_s;
    bool json;
} ctl_t;

static void usage(FILE *out)
{
    fputs(
        "usage: syncctl keygen server|kiosk|manager [--name NAME] --out DIR\n"
        "       syncctl migrate --from SQLITE_PATH --to postgresql://...\n"
        "       syncctl [OPTIONS] COMMAND ...\n"
        "\n"
        "Commands (sent to syncd's admin endpoint, signed by a manager key):\n"
        "  ping\n"
        "  enrol KIOSK --site SITE --key FILE|Z85\n"
        "  revoke KIOSK\n"
        "  kiosks [--json]\n"
        "  status [--json]\n"
        "  catalogue import FILE\n"
        "  catalogue publish FILE [--yes]\n"
        "  catalogue export [--version N] [-o FILE]\n"
        "  export events --format csv|json [--site S] [--since YYYY-MM-DD]\n"
        "                [--until YYYY-MM-DD] [--page-bytes N] [-o FILE]\n"
        "  verify\n"
        "  suggestions --site S [--status ST]\n"
        "  decide ID --status ST [--owner STAFF] [--due YYYY-MM-DD]\n"
        "         [--measure STEP.MEASURE:up|down] [--feedback TEXT]\n"
        "  merge ID --into ID\n"
        "  agenda --site S --week 2026-W48 [--format html|md|json|csv]\n"
        "         [-o FILE]\n"
        "  similar --site S [--limit N] [--json] TEXT\n"
        "\n"
        "Options (before the command):\n"
        "  --endpoint EP        admin endpoint (env STEPWISE_ADMIN_ENDPOINT;\n"
        "                       default " DEFAULT_ENDPOINT ")\n"
        "  --server-key FILE|Z85  the server's public key (env "
        "STEPWISE_SERVER_KEY)\n"
        "  --key FILE           your manager key pair, NAME.key (env "
        "STEPWISE_MANAGER_KEY)\n"
        "  --data DIR           take all three from syncd's data directory:\n"
        "                       DIR/run/admin.endpoint, DIR/server.pub, "
        "DIR/manager.key\n"
        "  --timeout S          seconds to wait for an answer (default 5)\n"
        "\n"
        "migrate (local, with syncd stopped) copies an SQLite store into an\n"
        "empty PostgreSQL database and checks counts and rollups.\n"
        "\n"
        "Exit status: 0 done, 1 refused, 2 usage error, 3 no answer.\n",
        out);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("syncctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(syncctl --help shows the commands)\n", stderr);
    return EXIT_USAGE;
}

/* ---------------------------------------------------------------- files */

/* A catalogue file, whole; on failure the reason is printed. 0 or -1. */
static int read_catalogue(const char *path, char **out, size_t *len)
{
    char err[PATH_MAX + 256];
    if (syncd_read_file(path, PROTO_CATALOGUE_MAX, "the daemon accepts", out,
                        len, err, sizeof err) != 0) {
        fprintf(stderr, "syncctl: %s\n", err);
        return -1;
    }
    return 0;
}

/* Writes text to path, or stdout when path is NULL or "-". */
static int write_output(const char *path, const char *text, size_t len)
{
    if (!path || strcmp(path, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
            fprintf(stderr, "syncctl: cannot write to standard output: %s\n",
                    strerror(errno));
            return -1;
        }
        return 0;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "syncctl: cannot create %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    int ok = fwrite(text, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        fprintf(stderr, "syncctl: cannot write %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* --------------------------------------------------------------- keygen */

static int mkdir_p(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return -1;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *out = NULL;
    int c;
    optind = 0; /* glibc: 0 restarts the scan (and its state) */
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c == 'n')
            name = optarg;
        else if (c == 'o')
            out = optarg;
        else
            return usage_error("keygen: unknown option");
    }
    if (optind != argc - 1)
        return usage_error(
            "keygen needs a role: syncctl keygen server|kiosk|manager "
            "[--name NAME] --out DIR");
    const char *role = argv[optind];
    if (strcmp(role, "server") != 0 && strcmp(role, "kiosk") != 0 &&
        strcmp(role, "manager") != 0)
        return usage_error("keygen: role \"%s\" is not server, kiosk or "
                           "manager",
                           role);
    if (!out)
        return usage_error("keygen: --out DIR is required");
    if (!name) {
        if (strcmp(role, "kiosk") == 0)
            return usage_error("keygen kiosk: --name KIOSK_ID is required "
                               "(the id the kiosk is enrolled under)");
        name = role; /* server.key, manager.key */
    }
    if (mkdir_p(out) != 0) {
        fprintf(stderr, "syncctl: cannot create directory %s: %s\n", out,
                strerror(errno));
        return 1;
    }
    proto_keypair_t kp;
    char err[1024];
    if (proto_keys_generate(&kp) != 0) {
        fprintf(stderr, "syncctl: cannot generate a key pair (libzmq without "
                        "CURVE support?)\n");
        return 1;
    }
    int rc = proto_keys_save(&kp, out, name, role, err, sizeof err);
    memset(kp.secret_z85, 0, sizeof kp.secret_z85);
    if (rc != 0) {
        fprintf(stderr, "syncctl: %s\n", err);
        return 1;
    }
    printf("wrote %s/%s.key (secret, mode 0600) and %s/%s.pub\n", out, name,
           out, name);
    printf("public key: %s\n", kp.public_z85);
    if (strcmp(role, "server") == 0)
        printf("next: give %s/%s.pub to every kiosk and manager; start "
               "syncd --data %s\n",
               out, name, out);
    else if (strcmp(role, "manager") == 0)
        printf("next: copy %s/%s.pub into syncd's DATA/managers/ and run "
               "kill -HUP $(cat DATA/run/syncd.pid)\n",
               out, name);
    else
        printf("next: syncctl enrol %s --site SITE --key %s/%s.pub\n", name,
               out, name);
    return 0;
}

/* ------------------------------------------------------------ transport */

/* The ZeroMQ side of one request: a context, a DEALER with the manager's
 * key, and a monitor on it that reports a refused handshake. */
typedef struct {
    void *zctx, *sock, *mon;
} link_t;

static void link_close(link_t *l)
{
    if (l->mon)
        (void)zmq_close(l->mon);
    if (l->sock) {
        (void)zmq_socket_monitor(l->sock, NULL, 0);
        (void)zmq_close(l->sock);
    }
    if (l->zctx)
        (void)zmq_ctx_term(l->zctx);
    memset(l, 0, sizeof *l);
}

static int link_open(link_t *l, const proto_keypair_t *mine,
                     const char *server_key)
{
    int linger = 0;
    l->zctx = zmq_ctx_new();
    if (!l->zctx)
        return -1;
    l->sock = zmq_socket(l->zctx, ZMQ_DEALER);
    if (!l->sock ||
        zmq_setsockopt(l->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        proto_zmq_curve_client(l->sock, mine, server_key) != 0)
        return -1;
    /* The monitor tells a refused key apart from a daemon that is not
     * there, so the message can say which. */
    if (zmq_socket_monitor(l->sock, "inproc://syncctl.monitor",
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
        return -1;
    l->mon = zmq_socket(l->zctx, ZMQ_PAIR);
    if (!l->mon ||
        zmq_setsockopt(l->mon, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(l->mon, "inproc://syncctl.monitor") != 0)
        return -1;
    return 0;
}

/* Did the monitor report a refused handshake? Drains one event. */
static bool handshake_refused(void *mon)
{
    bool refused = false;
    zmq_msg_t ev;
    if (zmq_msg_init(&ev) != 0)
        return false;
    if (zmq_msg_recv(&ev, mon, 0) >= 0 && zmq_msg_size(&ev) >= 2) {
        uint16_t id;
        memcpy(&id, zmq_msg_data(&ev), 2);
        refused = id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
                  id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
        while (zmq_msg_more(&ev) && zmq_msg_recv(&ev, mon, 0) >= 0)
            ; /* the address frame */
    }
    (void)zmq_msg_close(&ev);
    return refused;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Sends req and waits for the answer. 0 with *rep filled, EXIT_NO_ANSWER
 * after the timeout or a refused handshake, or EXIT_REFUSED / EXIT_USAGE
 * on local problems (all with a message printed). */
static int transact(ctl_t *ctl, const proto_msg_t *req, proto_msg_t *rep)
{
    char err[1024];
    proto_keypair_t mine;
    char server_key[PROTO_Z85_KEY_LEN + 1];
    if (!ctl->server_key_arg)
        return usage_error("no server key: pass --server-key FILE|Z85 (the "
                           "server's server.pub), set STEPWISE_SERVER_KEY, "
                           "or use --data DIR");
    if (!ctl->manager_key_path)
        return usage_error("no manager key: pass --key NAME.key, set "
                           "STEPWISE_MANAGER_KEY, or use --data DIR");
    if (proto_keys_load_public(ctl->server_key_arg, server_key, err,
                               sizeof err) != 0) {
        fprintf(stderr, "syncctl: server key: %s\n", err);
        return EXIT_USAGE;
    }
    if (proto_keys_load_secret(ctl->manager_key_path, &mine, err, sizeof err) !=
        0) {
        fprintf(stderr, "syncctl: manager key: %s\n", err);
        return EXIT_USAGE;
    }
    link_t l = {0};
    int rc = EXIT_REFUSED;
    bool refused = false;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (link_open(&l, &mine, server_key) != 0) {
        fprintf(stderr, "syncctl: ZeroMQ failed: %s\n",
                zmq_strerror(zmq_errno()));
        goto out;
    }
    if (zmq_connect(l.sock, ctl->endpoint) != 0) {
        fprintf(stderr,
                "syncctl: cannot use endpoint %s: %s; give one such as "
                "tcp://127.0.0.1:7851\n",
                ctl->endpoint, zmq_strerror(zmq_errno()));
        rc = EXIT_USAGE;
        goto out;
    }
    /* Without ZMQ_IMMEDIATE the DEALER queues the request at once, even
     * before the connection exists. */
    int src = proto_zmq_send(l.sock, req, ZMQ_DONTWAIT);
    if (src != 0) {
        fprintf(stderr, "syncctl: cannot send the request: %s\n",
                src == PROTO_EIO ? zmq_strerror(zmq_errno())
                                 : proto_strerror(src));
        goto out;
    }
    rc = EXIT_NO_ANSWER;
    while (!refused) {
        double left = ctl->timeout_s - seconds_since(&t0);
        if (left <= 0)
            break;
        zmq_pollitem_t items[2] = {{l.sock, 0, ZMQ_POLLIN, 0},
                                   {l.mon, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, (long)(left * 1000) + 1) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            fprintf(stderr, "syncctl: ZeroMQ failed: %s\n",
                    zmq_strerror(zmq_errno()));
            rc = EXIT_REFUSED;
            goto out;
        }
        if (items[1].revents & ZMQ_POLLIN)
            refused = handshake_refused(l.mon);
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        proto_diag_t diag;
        int r = proto_zmq_recv(l.sock, rep, PROTO_MAX_ADMIN_FRAME, &diag,
                               ZMQ_DONTWAIT);
        if (r == 0) {
            rc = 0;
            goto out;
        }
        if (r == PROTO_EIO && zmq_errno() == EAGAIN)
            continue;
        fprintf(stderr,
                "syncctl: the daemon's answer does not decode (%s at %s); "
                "are syncd and syncctl the same version?\n",
                proto_errname(r), diag.where);
        rc = EXIT_REFUSED;
        goto out;
    }
    if (refused)
        fprintf(stderr,
                "syncctl: no answer from %s: syncd refused the key in %s at "
                "the handshake; a manager key's NAME.pub must be in syncd's "
                "DATA/managers/ (then kill -HUP syncd), and --server-key "
                "must be that server's server.pub\n",
                ctl->endpoint, ctl->manager_key_path);
    else
        fprintf(stderr,
                "syncctl: no answer from %s within %g s; is syncd running? "
                "(check the endpoint, DATA/run/admin.endpoint, and that "
                "--server-key is the server's server.pub)\n",
                ctl->endpoint, ctl->timeout_s);
out:
    explicit_bzero(&mine, sizeof mine);
    link_close(&l);
    return rc;
}

/* Runs an admin op. On success rep holds the ADMIN_REP (the caller
 * proto_msg_clear()s it). A refusal is printed and gives EXIT_REFUSED. */
static int admin(ctl_t *ctl, proto_msg_t *req, proto_msg_t *rep)
{
    int rc = transact(ctl, req, rep);
    if (rc != 0)
        return rc;
    if (rep->type == PROTO_MSG_ERROR) {
        fprintf(stderr, "syncctl: the daemon refused the request: %s\n",
                rep->u.error.message ? rep->u.error.message
                                     : proto_strerror(rep->u.error.code));
        return EXIT_REFUSED;
    }
    if (rep->type != PROTO_MSG_ADMIN_REP) {
        fprintf(stderr, "syncctl: unexpected %s from the daemon\n",
                proto_msg_name(rep->type));
        return EXIT_REFUSED;
    }
    if (rep->u.admin_rep.code != 0) {
        fprintf(stderr, "syncctl: %s\n",
                rep->u.admin_rep.text && rep->u.admin_rep.text[0]
                    ? rep->u.admin_rep.text
                    : proto_strerror(rep->u.admin_rep.code));
        return EXIT_REFUSED;
    }
    return 0;
}

static int new_req(proto_msg_t *req, const char *op)
{
    memset(req, 0, sizeof *req);
    req->type = PROTO_MSG_ADMIN_REQ;
    snprintf(req->u.admin_req.op, sizeof req->u.admin_req.op, "%s", op);
    return 0;
}

static int add_arg(proto_msg_t *req, const char *key, const char *value)
{
    int rc = proto_admin_arg_add(req, key, value);
    if (rc != 0)
        fprintf(stderr, "syncctl: cannot add argument %s: %s\n", key,
                proto_strerror(rc));
    return rc;
}

static const char *rep_text(const proto_msg_t *rep, size_t *len)
{
    *len = rep->u.admin_rep.text ? rep->u.admin_rep.text_len : 0;
    return rep->u.admin_rep.text ? rep->u.admin_rep.text : "";
}

/* Parses the reply text as JSON; prints a message on failure. */
static syncd_json_value_t *rep_json(const proto_msg_t *rep)
{
    size_t len;
    const char *text = rep_text(rep, &len);
    char err[256];
    syncd_json_value_t *v = syncd_json_parse(text, len, err, sizeof err);
    if (!v)
        fprintf(stderr,
                "syncctl: the daemon's answer is not the JSON expected (%s); "
                "are syncd and syncctl the same version?\n",
                err);
    return v;
}

/* admin(), then the reply parsed as JSON into *v (NULL on failure; the
 * caller destroys it). 0, or the exit status. */
static int admin_json(ctl_t *ctl, proto_msg_t *req, proto_msg_t *rep,
                      syncd_json_value_t **v)
{
    int rc = admin(ctl, req, rep);
    if (rc != 0)
        return rc;
    *v = rep_json(rep);
    return *v ? 0 : EXIT_REFUSED;
}

/* The reply text on a line of its own. */
static void print_reply(const proto_msg_t *rep)
{
    size_t len;
    printf("%s\n", rep_text(rep, &len));
}

/* --json: the reply as the daemon sent it, then a newline. 0 or
 * EXIT_REFUSED. */
static int print_reply_json(const proto_msg_t *rep)
{
    size_t len;
    const char *text = rep_text(rep, &len);
    return write_output(NULL, text, len) || write_output(NULL, "\n", 1)
               ? EXIT_REFUSED
               : 0;
}

/* ---------------------------------------------------------- formatting */

static const char *ago(int64_t now_ms, int64_t then_ms, char *buf, size_t n)
{
    if (then_ms <= 0)
        return "never";
    int64_t s = (now_ms - then_ms) / 1000;
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, n, "%" PRId64 " s ago", s);
    else if (s < 3600)
        snprintf(buf, n, "%" PRId64 " min ago", s / 60);
    else if (s < 48 * 3600)
        snprintf(buf, n, "%" PRId64 " h ago", s / 3600);
    else
        snprintf(buf, n, "%" PRId64 " days ago", s / 86400);
    return buf;
}

static const char *duration(int64_t s, char *buf, size_t n)
{
    if (s <= 0)
        return "-";
    if (s < 60)
        snprintf(buf, n, "%" PRId64 " s", s);
    else if (s < 3600)
        snprintf(buf, n, "%" PRId64 " min", s / 60);
    else if (s < 48 * 3600)
        snprintf(buf, n, "%" PRId64 " h", s / 3600);
    else
        snprintf(buf, n, "%" PRId64 " days", s / 86400);
    return buf;
}

static const char *skew(int64_t ms, char *buf, size_t n)
{
    int64_t a = ms < 0 ? -ms : ms;
    if (a < 1000)
        snprintf(buf, n, "%+" PRId64 " ms", ms);
    else if (a < 120000)
        snprintf(buf, n, "%+.1f s", (double)ms / 1000.0);
    else
        snprintf(buf, n, "%+" PRId64 " min", ms / 60000);
    return buf;
}

#define MAX_COLS 10

typedef struct {
    size_t n_cols;
    const char *head[MAX_COLS];
    char **cells; /* rows x n_cols, malloc'd strings */
    size_t n_rows, cap_rows;
} table_t;

static int table_row(table_t *t, const char *const *vals)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
        char **nc = realloc(t->cells, cap * t->n_cols * sizeof *nc);
        if (!nc)
            return -1;
        t->cells = nc;
        t->cap_rows = cap;
    }
    for (size_t i = 0; i < t->n_cols; i++) {
        char *s = strdup(vals[i] ? vals[i] : "");
        if (!s) {
            for (size_t j = 0; j < i; j++)
                free(t->cells[t->n_rows * t->n_cols + j]);
            return -1;
        }
        t->cells[t->n_rows * t->n_cols + i] = s;
    }
    t->n_rows++;
    return 0;
}

/* Display width of UTF-8 text: CJK characters take two columns. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (*p < 0x80) {
            w++;
            p++;
        } else if ((*p & 0xE0) == 0xC0) {
            w++;
            p += p[1] ? 2 : 1;
        } else {
            /* three- and four-byte sequences: mostly CJK, two columns */
            w += 2;
            int len = (*p & 0xF0) == 0xE0 ? 3 : 4;
            for (int i = 0; i < len && *p; i++)
                p++;
        }
    }
    return w;
}

static void table_print(const table_t *t)
{
    size_t width[MAX_COLS] = {0};
    for (size_t c = 0; c < t->n_cols; c++) {
        width[c] = text_width(t->head[c]);
        for (size_t r = 0; r < t->n_rows; r++) {
            size_t w = text_width(t->cells[r * t->n_cols + c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    for (size_t r = 0; r <= t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols; c++) {
            const char *s =
                r == 0 ? t->head[c] : t->cells[(r - 1) * t->n_cols + c];
            bool last = c + 1 == t->n_cols;
            fputs(s, stdout);
            if (!last)
                for (size_t pad = text_width(s); pad < width[c] + 2; pad++)
                    fputc(' ', stdout);
        }
        fputc('\n', stdout);
    }
}

static void table_free(table_t *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
}

/* ------------------------------------------------------------- commands */

static int cmd_ping(ctl_t *ctl)
{
    proto_msg_t req, rep = {0};
    new_req(&req, "ping");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = admin(ctl, &req, &rep);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == 0) {
        size_t len;
        printf("%s from %s in %ld ms\n", rep_text(&rep, &len), ctl->endpoint,
               (long)((t1.tv_sec - t0.tv_sec) * 1000 +
                      (t1.tv_nsec - t0.tv_nsec) / 1000000));
    }
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

static int cmd_enrol(ctl_t *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"site", required_argument, NULL, 's'},
        {"key", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0},
    };
    const char *site = NULL, *key = NULL;
    int c;
    optind = 0; /* glibc: 0 restarts the scan (and its state) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's')
            site = optarg;
        else if (c == 'k')
            key = optarg;
        else
            return usage_error("enrol: unknown option");
    }
    if (optind != argc - 1 || !site || !key)
        return usage_error(
            "usage: syncctl enrol KIOSK --site SITE --key FILE|Z85");
    char z85[PROTO_Z85_KEY_LEN + 1], err[1024];
    if (proto_keys_load_public(key, z85, err, sizeof err) != 0) {
        fprintf(stderr, "syncctl: kiosk key: %s\n", err);
        return EXIT_USAGE;
    }
    proto_msg_t req, rep = {0};
    new_req(&req, "enrol");
    int rc = EXIT_REFUSED;
    if (add_arg(&req, "kiosk", argv[optind]) || add_arg(&req, "site", site) ||
        add_arg(&req, "key", z85))
        goto out;
    syncd_json_value_t *v = NULL;
    if ((rc = admin_json(ctl, &req, &rep, &v)) != 0)
        goto out;
    printf("enrolled kiosk %s at site %s (key %s)\n", argv[optind], site, z85);
    if (syncd_json_as_bool(syncd_json_get(v, "reenrolled"), false))
        printf("it was enrolled before: its earlier key no longer works "
               "(%" PRId64 " live connection(s) closed)\n",
               syncd_json_as_int(syncd_json_get(v, "connections_closed"), 0));
    if (!syncd_json_as_bool(syncd_json_get(v, "catalogue_checked"), true))
        printf("note: no catalogue is loaded yet, so the site was not "
               "checked\n");
    syncd_json_value_destroy(&v);
out:
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

static int cmd_revoke(ctl_t *ctl, int argc, char **argv)
{
    if (argc != 2)
        return usage_error("usage: syncctl revoke KIOSK");
    proto_msg_t req, rep = {0};
    new_req(&req, "revoke");
    int rc = EXIT_REFUSED;
    if (add_arg(&req, "kiosk", argv[1]))
        goto out;
    syncd_json_value_t *v = NULL;
    if ((rc = admin_json(ctl, &req, &rep, &v)) != 0)
        goto out;
    printf("revoked kiosk %s; %" PRId64 " live connection(s) closed; its key "
           "is refused from now on\n",
           argv[1],
           syncd_json_as_int(syncd_json_get(v, "connections_closed"), 0));
    syncd_json_value_destroy(&v);
out:
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

static bool flag_json(int argc, char **argv, int *bad)
{
    bool json = false;
    *bad = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            *bad = i;
    }
    return json;
}

static int cmd_kiosks(ctl_t *ctl, int argc, char **argv)
{
    int bad;
    bool json = flag_json(argc, argv, &bad);
    if (bad)
        return usage_error("usage: syncctl kiosks [--json]");
    proto_msg_t req, rep = {0};
    new_req(&req, "kiosks");
    int rc = admin(ctl, &req, &rep);
    if (rc != 0)
        goto out;
    if (json) {
        rc = print_reply_json(&rep);
        goto out;
    }
    syncd_json_value_t *v = rep_json(&rep);
    if (!v) {
        rc = EXIT_REFUSED;
        goto out;
    }
    table_t t = {.n_cols = 5,
                 .head = {"KIOSK", "SITE", "STATE", "ENROLLED", "KEY"}};
    for (size_t i = 0; i < syncd_json_count(v); i++) {
        const syncd_json_value_t *k = syncd_json_at(v, i);
        const char *state =
            syncd_json_as_bool(syncd_json_get(k, "revoked"), false) ? "revoked"
            : syncd_json_as_bool(syncd_json_get(k, "connected"), false)
                ? "connected"
                : "enrolled";
        const char *row[5] = {syncd_json_as_str(syncd_json_get(k, "id")),
                              syncd_json_as_str(syncd_json_get(k, "site")),
                              state,
                              syncd_json_as_str(syncd_json_get(k, "enrolled")),
                              syncd_json_as_str(syncd_json_get(k, "key"))};
        if (table_row(&t, row) != 0) {
            rc = EXIT_REFUSED;
            break;
        }
    }
    if (syncd_json_count(v) == 0)
        printf("no kiosks enrolled; enrol one with syncctl enrol KIOSK "
               "--site SITE --key FILE\n");
    else
        table_print(&t);
    table_free(&t);
    syncd_json_value_destroy(&v);
out:
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

static int cmd_status(ctl_t *ctl, int argc, char **argv)
{
    int bad;
    bool json = flag_json(argc, argv, &bad);
    if (bad)
        return usage_error("usage: syncctl status [--json]");
    proto_msg_t req, rep = {0};
    new_req(&req, "status");
    int rc = admin(ctl, &req, &rep);
    if (rc != 0)
        goto out;
    if (json) {
        rc = print_reply_json(&rep);
        goto out;
    }
    syncd_json_value_t *v = rep_json(&rep);
    if (!v) {
        rc = EXIT_REFUSED;
        goto out;
    }
    int64_t now = syncd_json_as_int(syncd_json_get(v, "server_time_ms"), 0);
    const syncd_json_value_t *ks = syncd_json_get(v, "kiosks");
    table_t t = {.n_cols = 9,
                 .head = {"KIOSK", "SITE", "STATE", "LAST SYNC", "ACKED",
                          "QUEUED ON KIOSK", "OLDEST UNSENT", "SKEW", "APP"}};
    for (size_t i = 0; i < syncd_json_count(ks); i++) {
        const syncd_json_value_t *k = syncd_json_at(ks, i);
        char sync[32], acked[32], queued[32], oldest[32], sk[32];
        const char *state =
            syncd_json_as_bool(syncd_json_get(k, "revoked"), false) ? "revoked"
            : syncd_json_as_bool(syncd_json_get(k, "connected"), false)
                ? "online"
                : "offline";
        bool seen = syncd_json_as_int(syncd_json_get(k, "last_seen_ms"), 0) > 0;
        snprintf(acked, sizeof acked, "%" PRId64,
                 syncd_json_as_int(syncd_json_get(k, "acked_seq"), 0));
        snprintf(queued, sizeof queued, "%" PRId64,
                 syncd_json_as_int(syncd_json_get(k, "outbox_depth"), 0));
        const char *row[9] = {
            syncd_json_as_str(syncd_json_get(k, "id")),
            syncd_json_as_str(syncd_json_get(k, "site")),
            state,
            ago(now, syncd_json_as_int(syncd_json_get(k, "last_sync_ms"), 0),
                sync, sizeof sync),
            acked,
            seen ? queued : "?",
            seen ? duration(syncd_json_as_int(
                                syncd_json_get(k, "oldest_unsent_s"), 0),
                            oldest, sizeof oldest)
                 : "?",
            seen
                ? skew(syncd_json_as_int(syncd_json_get(k, "clock_skew_ms"), 0),
                       sk, sizeof sk)
                : "?",
            syncd_json_as_str(syncd_json_get(k, "app_version"))};
        if (table_row(&t, row) != 0) {
            rc = EXIT_REFUSED;
            break;
        }
    }
    if (syncd_json_count(ks) == 0)
        printf("no kiosks enrolled\n");
    else
        table_print(&t);
    table_free(&t);
    const syncd_json_value_t *tot = syncd_json_get(v, "totals");
    printf("\ncatalogue version %" PRId64 "; %" PRId64
           " events stored, %" PRId64 " rejected, %" PRId64
           " suggestions, %" PRId64 " votes\n",
           syncd_json_as_int(syncd_json_get(v, "catalogue_version"), 0),
           syncd_json_as_int(syncd_json_get(tot, "events"), 0),
           syncd_json_as_int(syncd_json_get(tot, "dead_letters"), 0),
           syncd_json_as_int(syncd_json_get(tot, "suggestions"), 0),
           syncd_json_as_int(syncd_json_get(tot, "votes"), 0));
    syncd_json_value_destroy(&v);
out:
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

/* y or yes (any case) on a line of standard input. */
static bool confirmed(void)
{
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

/* catalogue publish FILE [--yes]: validate, show what changes, then import
 * as the next version (after --yes or a y at the prompt). */
static int catalogue_publish(ctl_t *ctl, int argc, char **argv)
{
    static const char use[] = "usage: syncctl catalogue publish FILE [--yes]";
    const char *file = NULL;
    bool yes = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--yes") == 0 || strcmp(argv[i], "-y") == 0)
            yes = true;
        else if (!file && argv[i][0] != '-')
            file = argv[i];
        else
            return usage_error("%s", use);
    }
    if (!file)
        return usage_error("%s", use);
    char *yaml = NULL;
    size_t len = 0;
    if (read_catalogue(file, &yaml, &len) != 0)
        return EXIT_REFUSED;
    proto_msg_t req = {0}, rep = {0};
    syncd_json_value_t *v = NULL;
    int rc = EXIT_REFUSED;
    new_req(&req, "catalogue.diff");
    if (add_arg(&req, "yaml", yaml) || add_arg(&req, "name", file))
        goto out;
    if ((rc = admin_json(ctl, &req, &rep, &v)) != 0)
        goto out;
    int64_t current = syncd_json_as_int(syncd_json_get(v, "current"), 0);
    int64_t changes = syncd_json_as_int(syncd_json_get(v, "changes"), 0);
    const char *diff = syncd_json_as_str(syncd_json_get(v, "diff"));
    if (syncd_json_as_bool(syncd_json_get(v, "identical"), false)) {
        printf("%s is the same as the current catalogue version %" PRId64
               "; nothing to publish\n",
               file, current);
        rc = 0;
        goto out;
    }
    if (current == 0)
        printf("%s: the server has no catalogue yet; all of it is new:\n",
               file);
    else if (changes == 0)
        printf("%s: no process, step, measure, target, points or staff "
               "changes from version %" PRId64
               " (other text, e.g. guides or names' English, differs)\n",
               file, current);
    else
        printf("%s: %" PRId64 " change%s from catalogue version %" PRId64
               ":\n",
               file, changes, changes == 1 ? "" : "s", current);
    fputs(diff ? diff : "", stdout);
    if (!yes) {
        if (!isatty(STDIN_FILENO)) {
            printf("not published; re-run with --yes to publish it as "
                   "version %" PRId64 "\n",
                   current + 1);
            rc = EXIT_REFUSED;
            goto out;
        }
        printf("Publish %s as catalogue version %" PRId64 "? [y/N] ", file,
               current + 1);
        fflush(stdout);
        if (!confirmed()) {
            printf("not published\n");
            rc = EXIT_REFUSED;
            goto out;
        }
    }
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    syncd_json_value_destroy(&v);
    new_req(&req, "catalogue.import");
    char base[24];
    snprintf(base, sizeof base, "%" PRId64, current);
    if (add_arg(&req, "yaml", yaml) || add_arg(&req, "name", file) ||
        add_arg(&req, "base", base)) {
        rc = EXIT_REFUSED;
        goto out;
    }
    if ((rc = admin_json(ctl, &req, &rep, &v)) != 0)
        goto out;
    int64_t version = syncd_json_as_int(syncd_json_get(v, "version"), 0);
    if (syncd_json_as_bool(syncd_json_get(v, "imported"), false))
        printf("published %s as catalogue version %" PRId64
               "; kiosks pick it up at their next sync\n",
               file, version);
    else
        printf("%s is the same as the current catalogue version %" PRId64
               "; nothing published\n",
               file, version);
out:
    syncd_json_value_destroy(&v);
    free(yaml);
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

static int cmd_catalogue(ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2)
        return usage_error("usage: syncctl catalogue import FILE | catalogue "
                           "publish FILE [--yes] | catalogue export "
                           "[--version N] [-o FILE]");
    proto_msg_t req = {0}, rep = {0};
    int rc = EXIT_REFUSED;
    if (strcmp(argv[1], "import") == 0) {
        if (argc != 3)
            return usage_error("usage: syncctl catalogue import FILE");
        char *yaml = NULL;
        size_t len = 0;
        if (read_catalogue(argv[2], &yaml, &len) != 0)
            return EXIT_REFUSED;
        new_req(&req, "catalogue.import");
        int arc = add_arg(&req, "yaml", yaml) || add_arg(&req, "name", argv[2]);
        free(yaml);
        if (arc)
            goto out;
        syncd_json_value_t *v = NULL;
        if ((rc = admin_json(ctl, &req, &rep, &v)) != 0)
            goto out;
        int64_t version = syncd_json_as_int(syncd_json_get(v, "version"), 0);
        if (syncd_json_as_bool(syncd_json_get(v, "imported"), false))
            printf("imported %s as catalogue version %" PRId64
                   "; kiosks pick it up at their next sync\n",
                   argv[2], version);
        else
            printf("%s is the same as the current catalogue version %" PRId64
                   "; nothing imported\n",
                   argv[2], version);
        syncd_json_value_destroy(&v);
        goto out;
    }
    if (strcmp(argv[1], "publish") == 0)
        return catalogue_publish(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "export") == 0) {
        static const struct option opts[] = {
            {"version", required_argument, NULL, 'v'},
            {"output", required_argument, NULL, 'o'},
            {NULL, 0, NULL, 0},
        };
        const char *version = NULL, *out_path = NULL;
        int c;
        optind = 1;
        while ((c = getopt_long(argc - 1, argv + 1, "o:", opts, NULL)) != -1) {
            if (c == 'v')
                version = optarg;
            else if (c == 'o')
                out_path = optarg;
            else
                return usage_error("usage: syncctl catalogue export "
                                   "[--version N] [-o FILE]");
        }
        if (optind != argc - 1)
            return usage_error("usage: syncctl catalogue export [--version "
                               "N] [-o FILE]");
        new_req(&req, "catalogue.export");
        if (version && add_arg(&req, "version", version))
            goto out;
        rc = admin(ctl, &req, &rep);
        if (rc != 0)
            goto out;
        size_t len;
        const char *text = rep_text(&rep, &len);
        rc = write_output(out_path, text, len) ? EXIT_REFUSED : 0;
        goto out;
    }
    return usage_error("catalogue: \"%s\" is not import, publish or export",
                       argv[1]);
out:
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

/* An export's output, written page by page: standard output, or FILE
 * through FILE.part, renamed when the last page is in (a failed export
 * leaves no FILE that looks whole). */
typedef struct {
    FILE *f;
    const char *path; /* NULL: standard output */
    char part[4096];
} out_t;

static int out_open(out_t *o, const char *path)
{
    o->path = (path && strcmp(path, "-") != 0) ? path : NULL;
    if (!o->path) {
        o->f = stdout;
        return 0;
    }
    if (snprintf(o->part, sizeof o->part, "%s.part", path) >=
        (int)sizeof o->part) {
        fprintf(stderr, "syncctl: the output path %s is too long\n", path);
        return -1;
    }
    if ((o->f = fopen(o->part, "wb")) == NULL) {
        fprintf(stderr, "syncctl: cannot create %s: %s\n", o->part,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int out_write(out_t *o, const char *text, size_t len)
{
    if (fwrite(text, 1, len, o->f) == len && fflush(o->f) == 0)
        return 0;
    fprintf(stderr, "syncctl: cannot write %s: %s\n",
            o->path ? o->part : "to standard output", strerror(errno));
    return -1;
}

/* Renames FILE.part to FILE when ok, else removes it. */
static int out_close(out_t *o, bool ok)
{
    int rc = 0;
    if (o->f && o->path) {
        if (fclose(o->f) != 0) {
            fprintf(stderr, "syncctl: cannot write %s: %s\n", o->part,
                    strerror(errno));
            ok = false;
            rc = -1;
        }
        if (ok && rename(o->part, o->path) != 0) {
            fprintf(stderr, "syncctl: cannot rename %s to %s: %s\n", o->part,
                    o->path, strerror(errno));
            rc = -1;
        }
        if (!ok || rc != 0)
            (void)unlink(o->part);
    }
    o->f = NULL;
    return rc;
}

/* The pages an export is read in (export.events `page`): 8 MiB answers
 * keep syncd's and syncctl's memory small whatever the store's size. */
#define EXPORT_PAGE_BYTES (8u << 20)

static int cmd_export(ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "events") != 0)
        return usage_error("usage: syncctl export events --format csv|json "
                           "[--site S] [--since YYYY-MM-DD] [--until "
                           "YYYY-MM-DD] [--page-bytes N] [-o FILE]");
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"site", required_argument, NULL, 's'},
        {"since", required_argument, NULL, 'a'},
        {"until", required_argument, NULL, 'b'},
        {"page-bytes", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *format = NULL, *site = NULL, *since = NULL, *until = NULL,
               *out_path = NULL;
    char page[24];
    snprintf(page, sizeof page, "%u", EXPORT_PAGE_BYTES);
    int c;
    optind = 0; /* glibc: 0 restarts the scan (and its state) */
    while ((c = getopt_long(argc - 1, argv + 1, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 's':
            site = optarg;
            break;
        case 'a':
            since = optarg;
            break;
        case 'b':
            until = optarg;
            break;
        case 'p':
            snprintf(page, sizeof page, "%s", optarg);
            break;
        case 'o':
            out_path = optarg;
            break;
        default:
            return usage_error("export events: unknown option");
        }
    }
    if (optind != argc - 1)
        return usage_error("export events takes no further arguments");
    if (!format || (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0))
        return usage_error("export events needs --format csv or --format "
                           "json");
    /* Page after page, each request naming where the last one ended; a
     * syncd older than paging answers the whole export at once, without
     * `next`. */
    char after[sizeof ((proto_msg_t *)0)->u.admin_rep.next] = "";
    out_t out = {0};
    int rc = EXIT_REFUSED;
    if (out_open(&out, out_path) != 0)
        return EXIT_REFUSED;
    do {
        proto_msg_t req, rep = {0};
        new_req(&req, "export.events");
        rc = EXIT_REFUSED;
        if (add_arg(&req, "format", format) ||
            (site && add_arg(&req, "site", site)) ||
            (since && add_arg(&req, "since", since)) ||
            (until && add_arg(&req, "until", until)) ||
            add_arg(&req, "page", page) ||
            (after[0] && add_arg(&req, "after", after))) {
            proto_msg_clear(&req);
            break;
        }
        rc = admin(ctl, &req, &rep);
        if (rc == 0) {
            size_t len;
            const char *text = rep_text(&rep, &len);
            rc = out_write(&out, text, len) ? EXIT_REFUSED : 0;
            snprintf(after, sizeof after, "%s", rep.u.admin_rep.next);
        }
        proto_msg_clear(&req);
        proto_msg_clear(&rep);
    } while (rc == 0 && after[0]);
    if (out_close(&out, rc == 0) != 0 && rc == 0)
        rc = EXIT_REFUSED;
    return rc;
}

/* syncctl decide ID --status ST [--owner S --due D --measure M --feedback T]
 * An option given as "" clears the field. Prints the suggestion as JSON. */
static int cmd_decide(ctl_t *ctl, int argc, char **argv)
{
    static const char use[] =
        "usage: syncctl decide ID --status "
        "new|review|accepted|in_progress|done|rejected [--owner STAFF] "
        "[--due YYYY-MM-DD] [--measure STEP.MEASURE:up|down] "
        "[--feedback TEXT]";
    static const struct option opts[] = {
        {"status", required_argument, NULL, 's'},
        {"owner", required_argument, NULL, 'o'},
        {"due", required_argument, NULL, 'd'},
        {"measure", required_argument, NULL, 'm'},
        {"feedback", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const char *v[5] = {NULL};
    static const char *const keys[5] = {"status", "owner", "due", "measure",
                                        "feedback"};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *p = strchr("sodmf", c);
        if (!p || c == 0)
            return usage_error("%s", use);
        v[p - "sodmf"] = optarg;
    }
    if (optind != argc - 1 || !v[0])
        return usage_error("%s", use);
    proto_msg_t req, rep = {0};
    new_req(&req, "decide");
    int rc = add_arg(&req, "id", argv[optind]);
    for (int i = 0; i < 5 && rc == 0; i++)
        if (v[i])
            rc = add_arg(&req, keys[i], v[i]);
    if (rc == 0)
        rc = admin(ctl, &req, &rep);
    else
        rc = EXIT_REFUSED;
    if (rc == 0)
        print_reply(&rep);
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

static int cmd_merge(ctl_t *ctl, int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[2], "--into") != 0)
        return usage_error("usage: syncctl merge ID --into ID");
    proto_msg_t req, rep = {0};
    new_req(&req, "merge");
    int rc = add_arg(&req, "id", argv[1]) || add_arg(&req, "into", argv[3])
                 ? EXIT_REFUSED
                 : admin(ctl, &req, &rep);
    if (rc == 0)
        print_reply(&rep);
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

static int cmd_suggestions(ctl_t *ctl, int argc, char **argv)
{
    static const char use[] =
        "usage: syncctl suggestions --site S [--status ST]";
    static const struct option opts[] = {
        {"site", required_argument, NULL, 's'},
        {"status", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *site = NULL, *status = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's')
            site = optarg;
        else if (c == 't')
            status = optarg;
        else
            return usage_error("%s", use);
    }
    if (optind != argc || !site)
        return usage_error("%s", use);
    proto_msg_t req, rep = {0};
    new_req(&req, "suggestions");
    int rc = add_arg(&req, "site", site) ||
                     (status && add_arg(&req, "status", status))
                 ? EXIT_REFUSED
                 : admin(ctl, &req, &rep);
    if (rc == 0)
        print_reply(&rep);
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

/* Suggestions at a site like TEXT (the kiosk's "+1 an existing one"). */
static int cmd_similar(ctl_t *ctl, int argc, char **argv)
{
    static const char use[] =
        "usage: syncctl similar --site S [--limit N] [--json] TEXT";
    static const struct option opts[] = {
        {"site", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *site = NULL, *limit = NULL;
    bool json = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's')
            site = optarg;
        else if (c == 'l')
            limit = optarg;
        else if (c == 'j')
            json = true;
        else
            return usage_error("%s", use);
    }
    if (optind != argc - 1 || !site)
        return usage_error("%s", use);
    proto_msg_t req, rep = {0};
    new_req(&req, "similar");
    int rc = add_arg(&req, "site", site) || add_arg(&req, "text", argv[optind]) ||
                     (limit && add_arg(&req, "limit", limit))
                 ? EXIT_REFUSED
                 : admin(ctl, &req, &rep);
    if (rc != 0)
        goto out;
    if (json) {
        print_reply(&rep);
        goto out;
    }
    syncd_json_value_t *v = rep_json(&rep);
    if (!v) {
        rc = EXIT_REFUSED;
        goto out;
    }
    table_t t = {.n_cols = 5,
                 .head = {"SCORE", "VOTES", "STATUS", "ID", "TITLE"}};
    for (size_t i = 0; i < syncd_json_count(v); i++) {
        const syncd_json_value_t *o = syncd_json_at(v, i);
        char score[16], votes[24];
        snprintf(score, sizeof score, "%.3f",
                 syncd_json_as_num(syncd_json_get(o, "score"), 0));
        snprintf(votes, sizeof votes, "%" PRId64,
                 syncd_json_as_int(syncd_json_get(o, "votes"), 0));
        const char *row[5] = {score, votes,
                              syncd_json_as_str(syncd_json_get(o, "status")),
                              syncd_json_as_str(syncd_json_get(o, "id")),
                              syncd_json_as_str(syncd_json_get(o, "title"))};
        if (table_row(&t, row) != 0) {
            rc = EXIT_REFUSED;
            break;
        }
    }
    if (syncd_json_count(v) == 0)
        printf("no suggestion at %s is similar to \"%s\"\n", site,
               argv[optind]);
    else
        table_print(&t);
    table_free(&t);
    syncd_json_value_destroy(&v);
out:
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

/* syncctl agenda --site S --week 2026-W48 [--format html|md|json|csv]
 * [-o FILE]: the weekly meeting agenda, written as the server built it. */
static int cmd_agenda(ctl_t *ctl, int argc, char **argv)
{
    static const char use[] = "usage: syncctl agenda --site S --week "
                              "2026-W48 [--format html|md|json|csv] "
                              "[-o FILE]";
    static const struct option opts[] = {
        {"site", required_argument, NULL, 's'},
        {"week", required_argument, NULL, 'w'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *site = NULL, *week = NULL, *format = "html", *out_path = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c == 's')
            site = optarg;
        else if (c == 'w')
            week = optarg;
        else if (c == 'f')
            format = optarg;
        else if (c == 'o')
            out_path = optarg;
        else
            return usage_error("%s", use);
    }
    if (optind != argc || !site || !week)
        return usage_error("%s", use);
    proto_msg_t req, rep = {0};
    new_req(&req, "agenda");
    int rc = add_arg(&req, "site", site) || add_arg(&req, "week", week) ||
                     add_arg(&req, "format", format)
                 ? EXIT_REFUSED
                 : admin(ctl, &req, &rep);
    if (rc == 0) {
        size_t len;
        const char *text = rep_text(&rep, &len);
        rc = write_output(out_path, text, len) ? EXIT_REFUSED : 0;
    }
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

static int cmd_verify(ctl_t *ctl, int argc)
{
    if (argc != 1)
        return usage_error("usage: syncctl verify");
    proto_msg_t req, rep = {0};
    new_req(&req, "verify");
    int rc = admin(ctl, &req, &rep);
    if (rc == 0)
        print_reply(&rep);
    proto_msg_clear(&req);
    proto_msg_clear(&rep);
    return rc;
}

/* syncctl migrate --from SQLITE_PATH --to postgresql://...: local, no
 * daemon involved (see the file comment). */
static int cmd_migrate(int argc, char **argv)
{
    const char *from = NULL, *to = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            to = argv[++i];
        else
            return usage_error("migrate: unexpected \"%s\"; usage: syncctl "
                               "migrate --from SQLITE_PATH --to "
                               "postgresql://USER@HOST:PORT/DATABASE",
                               argv[i]);
    }
    if (!from || !to)
        return usage_error("usage: syncctl migrate --from SQLITE_PATH --to "
                           "postgresql://USER@HOST:PORT/DATABASE");
    char err[1024];
    if (syncd_migrate_sqlite_to_pg(from, to, stdout, err, sizeof err) != 0) {
        fprintf(stderr, "syncctl: migrate: %s\n", err);
        return EXIT_REFUSED;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"server-key", required_argument, NULL, 's'},
        {"key", required_argument, NULL, 'k'},
        {"data", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    ctl_t ctl = {.timeout_s = DEFAULT_TIMEOUT_S};
    const char *data = NULL;
    int c;
    /* '+': stop at the command; its own options (enrol --key) differ */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            ctl.endpoint = optarg;
            break;
        case 's':
            ctl.server_key_arg = optarg;
            break;
        case 'k':
            ctl.manager_key_path = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 't': {
            char *end;
            errno = 0;
            ctl.timeout_s = strtod(optarg, &end);
            if (errno || *end || !(ctl.timeout_s > 0) || ctl.timeout_s > 3600)
                return usage_error("--timeout %s is not a number of seconds "
                                   "between 0 and 3600",
                                   optarg);
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("syncctl %s (protocol %d)\n", STEPWISE_VERSION,
                   PROTO_VERSION);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int cargc = argc - optind;
    char **cargv = argv + optind;
    const char *cmd = cargv[0];
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(cargc, cargv);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(cargc, cargv);

    /* Defaults: flags, then --data, then the environment, then built-in. */
    if (data) {
        if (!ctl.endpoint) {
            char path[4200];
            snprintf(path, sizeof path, "%s/run/admin.endpoint", data);
            FILE *f = fopen(path, "r");
            if (!f) {
                fprintf(stderr,
                        "syncctl: cannot read %s: %s; is syncd running with "
                        "--data %s?\n",
                        path, strerror(errno), data);
                return EXIT_NO_ANSWER;
            }
            if (!fgets(ctl.endpoint_buf, sizeof ctl.endpoint_buf, f))
                ctl.endpoint_buf[0] = '\0';
            fclose(f);
            ctl.endpoint_buf[strcspn(ctl.endpoint_buf, "\r\n")] = '\0';
            ctl.endpoint = ctl.endpoint_buf;
        }
        snprintf(ctl.data_server_pub, sizeof ctl.data_server_pub,
                 "%s/server.pub", data);
        snprintf(ctl.data_manager_key, sizeof ctl.data_manager_key,
                 "%s/manager.key", data);
        if (!ctl.server_key_arg)
            ctl.server_key_arg = ctl.data_server_pub;
        if (!ctl.manager_key_path)
            ctl.manager_key_path = ctl.data_manager_key;
    }
    if (!ctl.endpoint)
        ctl.endpoint = getenv("STEPWISE_ADMIN_ENDPOINT");
    if (!ctl.endpoint || !ctl.endpoint[0])
        ctl.endpoint = DEFAULT_ENDPOINT;
    if (!ctl.server_key_arg)
        ctl.server_key_arg = getenv("STEPWISE_SERVER_KEY");
    if (!ctl.manager_key_path)
        ctl.manager_key_path = getenv("STEPWISE_MANAGER_KEY");

    if (strcmp(cmd, "ping") == 0)
        return cargc == 1 ? cmd_ping(&ctl) : usage_error("usage: syncctl ping");
    if (strcmp(cmd, "enrol") == 0 || strcmp(cmd, "enroll") == 0)
        return cmd_enrol(&ctl, cargc, cargv);
    if (strcmp(cmd, "revoke") == 0)
        return cmd_revoke(&ctl, cargc, cargv);
    if (strcmp(cmd, "kiosks") == 0)
        return cmd_kiosks(&ctl, cargc, cargv);
    if (strcmp(cmd, "status") == 0)
        return cmd_status(&ctl, cargc, cargv);
    if (strcmp(cmd, "catalogue") == 0 || strcmp(cmd, "catalog") == 0)
        return cmd_catalogue(&ctl, cargc, cargv);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(&ctl, cargc, cargv);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(&ctl, cargc);
    if (strcmp(cmd, "decide") == 0)
        return cmd_decide(&ctl, cargc, cargv);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(&ctl, cargc, cargv);
    if (strcmp(cmd, "suggestions") == 0)
        return cmd_suggestions(&ctl, cargc, cargv);
    if (strcmp(cmd, "agenda") == 0)
        return cmd_agenda(&ctl, cargc, cargv);
    if (strcmp(cmd, "similar") == 0)
        return cmd_similar(&ctl, cargc, cargv);
    return usage_error("unknown command \"%s\"", cmd);
}
