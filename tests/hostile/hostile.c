/*
 * hostile.c — stepwise-hostile: a legitimate kiosk timing its round trips
 * while hostile peers hammer syncd's kiosk port.
 *
 * Why it exists: syncd faces the branch network. A port scanner, a broken
 * client, a stolen-but-revoked key or a malicious insider must not stop
 * the kiosks from syncing. The probe is one real kiosk (its own enrolled
 * key) doing HELLO -> WELCOME and PUSH(1 event) -> ACK, timed; the
 * attackers run in threads beside it:
 *
 *   garbage    raw TCP, random bytes, no handshake
 *   greeting   ZMTP greetings with wrong versions / signatures
 *   unknown    CURVE with a key syncd never enrolled (ZAP refuses)
 *   oversized  an enrolled key sending a frame over ZMQ_MAXMSGSIZE
 *   multipart  an enrolled key sending messages of 1000 parts
 *   halfopen   TCP connections that never speak (ZMQ_HANDSHAKE_IVL)
 *
 * Usage:
 *   stepwise-hostile --endpoint EP --server-key Z85|FILE --key KIOSK.key
 *       --id KIOSK_ID [--evil-key FILE] [--rounds N] [--attack]
 *       [--threads T] [--attack-seconds S (default 7)]
 * Prints "quiet ..." (and with --attack "attack ..." and "ratio ...")
 * with p50/p99 in ms. Exit 0 when every probe exchange was answered
 * (within 10 s each) with the exact ACK expected, 1 otherwise, 2 usage.
 * The same probe serves the load test (tests/load).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "protocol/keys.h"
#include "protocol/proto_zmq.h"
#include "protocol/protocol.h"

#define REPLY_TIMEOUT_MS 10000
#define HALF_OPEN_MAX 64

typedef struct {
    const char *endpoint;
    char server_pub[PROTO_Z85_KEY_LEN + 1];
    proto_keypair_t kiosk, evil;
    bool have_evil;
    char kiosk_id[PROTO_ID_MAX + 1];
    struct sockaddr_in addr;
    int rounds;
    int threads;
} cfg_t;

enum {
    A_GARBAGE,
    A_GREETING,
    A_UNKNOWN,
    A_OVERSIZED,
    A_MULTIPART,
    A_HALFOPEN,
    A_KINDS
};
static const char *const attack_names[A_KINDS] = {"garbage",     "greeting",
                                                  "unknown_key", "oversized",
                                                  "multipart",   "half_open"};
static atomic_ulong attack_count[A_KINDS];
static atomic_ulong half_open_dropped; /* silent ones syncd closed */
static atomic_bool stop;

typedef struct {
    const cfg_t *cfg;
    int kind;
    unsigned seed;
} attacker_t;

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* ---- the probe */

/* Waits for a message of type want, skipping anything else (PONG, FEED).
 * 0, or -1 with a line on stderr. */
static int await(void *sock, proto_msg_type_t want, proto_msg_t *msg)
{
    int64_t end = now_us() + (int64_t)REPLY_TIMEOUT_MS * 1000;

    for (;;) {
        int left = (int)((end - now_us()) / 1000);
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        proto_diag_t diag;

        if (left <= 0 || zmq_poll(&it, 1, left) <= 0) {
            fprintf(stderr,
                    "hostile: no %s from syncd within %d s; is it "
                    "alive and serving kiosks?\n",
                    proto_msg_name(want), REPLY_TIMEOUT_MS / 1000);
            return -1;
        }
        int rc = proto_zmq_recv(sock, msg, PROTO_MAX_FRAME, &diag, 0);
        if (rc != 0) {
            fprintf(stderr,
                    "hostile: a reply from syncd did not decode: "
                    "%s at %s\n",
                    proto_errname(rc), diag.where);
            return -1;
        }
        if (msg->type == want)
            return 0;
        if (msg->type == PROTO_MSG_ERROR && msg->u.error.code == PROTO_ESTATE) {
            /* the session expired while syncd was busy: say HELLO again,
             * as a kiosk does */
            proto_msg_clear(msg);
            return -2;
        }
        if (msg->type == PROTO_MSG_ERROR) {
            fprintf(stderr, "hostile: syncd answered ERROR %s: %s\n",
                    proto_errname(msg->u.error.code), msg->u.error.message);
            proto_msg_clear(msg);
            return -1;
        }
        proto_msg_clear(msg);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(int64_t *v, int n, int pct)
{
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    int i = (n * pct + 99) / 100 - 1;
    return (double)v[i < 0 ? 0 : i] / 1000.0;
}

/* n rounds of HELLO->WELCOME and PUSH(1)->ACK; prints one line. */
static int probe(const cfg_t *cfg, void *ctx, const char *label, int n,
                 double *push_p50)
{
    int64_t *hello = calloc((size_t)n, sizeof *hello);
    int64_t *push = calloc((size_t)n, sizeof *push);
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, rc = -1;
    proto_msg_t m = {0}, r = {0};
    proto_event_t ev;
    int restarts = 0;

    if (!hello || !push || !s ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        proto_zmq_curve_client(s, &cfg->kiosk, cfg->server_pub) != 0 ||
        zmq_connect(s, cfg->endpoint) != 0) {
        fprintf(stderr, "hostile: cannot set up the probe socket: %s\n",
                zmq_strerror(zmq_errno()));
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        memset(&m, 0, sizeof m);
        m.type = PROTO_MSG_HELLO;
        m.u.hello.version = PROTO_VERSION;
        snprintf(m.u.hello.kiosk_id, sizeof m.u.hello.kiosk_id, "%s",
                 cfg->kiosk_id);
        snprintf(m.u.hello.app_version, sizeof m.u.hello.app_version, "probe");
        m.u.hello.kiosk_time_ms = (int64_t)time(NULL) * 1000;
        int64_t t0 = now_us();
        if (proto_zmq_send(s, &m, 0) != 0 ||
            await(s, PROTO_MSG_WELCOME, &r) != 0)
            goto cleanup;
        hello[i] = now_us() - t0;
        uint64_t seq = r.u.welcome.acked_seq + 1;
        proto_msg_clear(&r);

        memset(&ev, 0, sizeof ev);
        ev.type = PROTO_EV_CHECKIN;
        snprintf(ev.kiosk_id, sizeof ev.kiosk_id, "%s", cfg->kiosk_id);
        ev.seq = seq;
        ev.captured_ms = (int64_t)time(NULL) * 1000 - 1000;
        ev.boot_id = 1;
        ev.mono_ms = (uint64_t)i;
        snprintf(ev.staff_id, sizeof ev.staff_id, "zhang-wei");
        snprintf(ev.step_id, sizeof ev.step_id, "ps-profile");
        ev.catalogue_version = 1;
        ev.n_measures = 1;
        snprintf(ev.measures[0].key, sizeof ev.measures[0].key, "profiles");
        ev.measures[0].value = 1;
        memset(&m, 0, sizeof m);
        m.type = PROTO_MSG_PUSH;
        m.u.push.events = &ev;
        m.u.push.n_events = 1;
        t0 = now_us();
        if (proto_zmq_send(s, &m, 0) != 0)
            goto cleanup;
        int w = await(s, PROTO_MSG_ACK, &r);
        if (w == -2 && ++restarts < 1000) {
            i--;
            continue;
        }
        if (w != 0)
            goto cleanup;
        push[i] = now_us() - t0;
        if (r.u.ack.acked_seq != seq) {
            fprintf(stderr,
                    "hostile: ACK for seq %" PRIu64 " says %" PRIu64 "\n", seq,
                    r.u.ack.acked_seq);
            proto_msg_clear(&r);
            goto cleanup;
        }
        proto_msg_clear(&r);
    }
    *push_p50 = pct_ms(push, n, 50);
    printf("%s rounds=%d hello_p50_ms=%.3f hello_p99_ms=%.3f "
           "push_p50_ms=%.3f push_p99_ms=%.3f session_restarts=%d\n",
           label, n, pct_ms(hello, n, 50), pct_ms(hello, n, 99),
           pct_ms(push, n, 50), pct_ms(push, n, 99), restarts);
    fflush(stdout);
    rc = 0;
cleanup:
    if (s)
        zmq_close(s);
    free(hello);
    free(push);
    return rc;
}

/* ---- the attackers */

static int tcp_connect(const cfg_t *cfg)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&cfg->addr, sizeof cfg->addr) !=
        0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until the peer closes or ms pass. */
static void drain(int fd, int ms)
{
    char buf[512];
    struct pollfd p = {fd, POLLIN, 0};
    int64_t end = now_us() + (int64_t)ms * 1000;

    while (!atomic_load(&stop) && now_us() < end) {
        if (poll(&p, 1, 50) > 0 && read(fd, buf, sizeof buf) <= 0)
            return;
    }
}

static void raw_send(int fd, const void *buf, size_t n)
{
    /* the peer may drop us half way: that is the point */
    (void)!send(fd, buf, n, MSG_NOSIGNAL);
}

static void attack_garbage(attacker_t *a)
{
    unsigned char buf[2048];
    int fd = tcp_connect(a->cfg);

    if (fd < 0)
        return;
    size_t n = 1 + (size_t)(rand_r(&a->seed) % sizeof buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)rand_r(&a->seed);
    raw_send(fd, buf, n);
    drain(fd, 200);
    close(fd);
}

static void attack_greeting(attacker_t *a)
{
    unsigned char g[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f};
    int v = rand_r(&a->seed) % 4;
    int fd = tcp_connect(a->cfg);

    if (fd < 0)
        return;
    if (v == 0) {
        g[10] = 9; /* ZMTP 9.0: no such version */
        memcpy(g + 12, "CURVE", 5);
    } else if (v == 1) {
        g[10] = 3; /* ZMTP 3.0 with the NULL mechanism: CURVE expected */
        g[11] = 0;
        memcpy(g + 12, "NULL", 4);
    } else if (v == 2) {
        g[10] = 3; /* PLAIN, as a client */
        memcpy(g + 12, "PLAIN", 5);
    } else {
        g[0] = 0x01; /* ZMTP 1.0 style short identity, then junk */
        g[1] = 0x00;
        memset(g + 2, 0xAA, sizeof g - 2);
    }
    raw_send(fd, g, sizeof g);
    drain(fd, 300);
    close(fd);
}

static void *zsock(void *ctx, const cfg_t *cfg, const proto_keypair_t *kp)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;

    if (!s)
        return NULL;
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        proto_zmq_curve_client(s, kp, cfg->server_pub) != 0 ||
        zmq_connect(s, cfg->endpoint) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

static void attack_unknown(attacker_t *a, void *ctx)
{
    proto_keypair_t kp;
    proto_msg_t m = {.type = PROTO_MSG_HELLO};

    if (proto_keys_generate(&kp) != 0)
        return;
    void *s = zsock(ctx, a->cfg, &kp);
    if (!s)
        return;
    m.u.hello.version = PROTO_VERSION;
    snprintf(m.u.hello.kiosk_id, sizeof m.u.hello.kiosk_id, "%s",
             a->cfg->kiosk_id);
    (void)proto_zmq_send(s, &m, ZMQ_DONTWAIT);
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 300) > 0) {
        fprintf(stderr, "hostile: syncd answered a kiosk with an unknown "
                        "key\n");
        exit(1);
    }
    zmq_close(s);
}

static void attack_oversized(attacker_t *a, void *ctx)
{
    size_t n = PROTO_MAX_FRAME + 4096;
    char *big = malloc(n);
    void *s = zsock(ctx, a->cfg, &a->cfg->evil);

    if (big && s) {
        memset(big, 0x92, n);
        (void)zmq_send(s, big, n, 0);
        sleep_ms(200);
    }
    if (s)
        zmq_close(s);
    free(big);
}

static void attack_multipart(attacker_t *a, void *ctx)
{
    void *s = zsock(ctx, a->cfg, &a->cfg->evil);

    if (!s)
        return;
    for (int i = 0; i < 1000; i++)
        (void)zmq_send(s, "\x93", 1, i < 999 ? ZMQ_SNDMORE : 0);
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    (void)zmq_poll(&it, 1, 200); /* an ERROR is fine, silence too */
    zmq_close(s);
}

/* Keeps up to HALF_OPEN_MAX silent connections open, replacing those
 * syncd drops; counts each one opened. */
static void attack_halfopen(attacker_t *a)
{
    int fds[HALF_OPEN_MAX];
    int n = 0;

    while (!atomic_load(&stop)) {
        while (n < HALF_OPEN_MAX) {
            int fd = tcp_connect(a->cfg);
            if (fd < 0)
                break;
            fds[n++] = fd;
            atomic_fetch_add(&attack_count[A_HALFOPEN], 1);
        }
        sleep_ms(100);
        for (int i = 0; i < n; i++) {
            struct pollfd p = {fds[i], POLLIN, 0};
            char c;
            if (poll(&p, 1, 0) > 0 && read(fds[i], &c, 1) <= 0) {
                close(fds[i]);
                fds[i--] = fds[--n];
                atomic_fetch_add(&half_open_dropped, 1);
            }
        }
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

static void *attacker_main(void *arg)
{
    attacker_t *a = arg;
    void *ctx = zmq_ctx_new();

    if (!ctx)
        return NULL;
    if (a->kind == A_HALFOPEN) {
        attack_halfopen(a);
    } else {
        while (!atomic_load(&stop)) {
            switch (a->kind) {
            case A_GARBAGE:
                attack_garbage(a);
                break;
            case A_GREETING:
                attack_greeting(a);
                break;
            case A_UNKNOWN:
                attack_unknown(a, ctx);
                break;
            case A_OVERSIZED:
                if (a->cfg->have_evil)
                    attack_oversized(a, ctx);
                break;
            case A_MULTIPART:
                if (a->cfg->have_evil)
                    attack_multipart(a, ctx);
                break;
            }
            atomic_fetch_add(&attack_count[a->kind], 1);
            sleep_ms(5);
        }
    }
    zmq_ctx_term(ctx);
    return NULL;
}

/* ---- main */

static int usage(void)
{
    fprintf(stderr,
            "usage: stepwise-hostile --endpoint tcp://HOST:PORT --server-key "
            "Z85|FILE --key KIOSK.key --id KIOSK_ID [--evil-key FILE] "
            "[--rounds N] [--attack] [--threads T] [--attack-seconds S]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static cfg_t cfg = {.rounds = 200, .threads = 2};
    const char *key = NULL, *evil = NULL, *server = NULL;
    bool attack = false;
    int attack_s = 7;
    char err[512];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--attack") == 0) {
            attack = true;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (strcmp(a, "--endpoint") == 0)
            cfg.endpoint = v;
        else if (strcmp(a, "--server-key") == 0)
            server = v;
        else if (strcmp(a, "--key") == 0)
            key = v;
        else if (strcmp(a, "--evil-key") == 0)
            evil = v;
        else if (strcmp(a, "--id") == 0)
            snprintf(cfg.kiosk_id, sizeof cfg.kiosk_id, "%s", v);
        else if (strcmp(a, "--rounds") == 0)
            cfg.rounds = atoi(v);
        else if (strcmp(a, "--attack-seconds") == 0)
            attack_s = atoi(v);
        else if (strcmp(a, "--threads") == 0)
            cfg.threads = atoi(v);
        else
            return usage();
    }
    if (!cfg.endpoint || !server || !key || !cfg.kiosk_id[0] ||
        cfg.rounds < 1 || cfg.threads < 1 || cfg.threads > 16)
        return usage();
    if (proto_keys_load_public(server, cfg.server_pub, err, sizeof err) != 0 ||
        proto_keys_load_secret(key, &cfg.kiosk, err, sizeof err) != 0 ||
        (evil &&
         proto_keys_load_secret(evil, &cfg.evil, err, sizeof err) != 0)) {
        fprintf(stderr, "hostile: %s\n", err);
        return 1;
    }
    cfg.have_evil = evil != NULL;
    const char *colon = strrchr(cfg.endpoint, ':');
    if (strncmp(cfg.endpoint, "tcp://", 6) != 0 || !colon) {
        fprintf(stderr, "hostile: endpoint %s is not tcp://HOST:PORT\n",
                cfg.endpoint);
        return 2;
    }
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int)(colon - cfg.endpoint - 6),
             cfg.endpoint + 6);
    cfg.addr.sin_family = AF_INET;
    cfg.addr.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &cfg.addr.sin_addr) != 1) {
        fprintf(stderr, "hostile: %s is not an IPv4 address\n", host);
        return 2;
    }

    void *ctx = zmq_ctx_new();
    double quiet = 0, loud = 0;
    int rc = 0;
    if (!ctx)
        return 1;
    if (probe(&cfg, ctx, "quiet", cfg.rounds, &quiet) != 0)
        rc = 1;
    if (rc == 0 && attack) {
        int n = A_KINDS * cfg.threads;
        pthread_t *th = calloc((size_t)n, sizeof *th);
        attacker_t *at = calloc((size_t)n, sizeof *at);
        int started = 0;
        for (int i = 0; th && at && i < n; i++) {
            at[i] = (attacker_t){&cfg, i % A_KINDS, (unsigned)i * 7919u + 1};
            if (pthread_create(&th[i], NULL, attacker_main, &at[i]) != 0)
                break;
            started++;
        }
        if (started != n) {
            fprintf(stderr, "hostile: could only start %d of %d attackers\n",
                    started, n);
            rc = 1;
        }
        int64_t t0 = now_us();
        sleep_ms(1000); /* let every kind of attack get going */
        if (rc == 0 && probe(&cfg, ctx, "attack", cfg.rounds, &loud) != 0)
            rc = 1;
        /* long enough for ZMQ_HANDSHAKE_IVL (5 s) to drop silent peers */
        while (rc == 0 && now_us() - t0 < (int64_t)attack_s * 1000000)
            sleep_ms(100);
        atomic_store(&stop, true);
        for (int i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        free(th);
        free(at);
        printf("attacks");
        for (int k = 0; k < A_KINDS; k++)
            printf(" %s=%lu", attack_names[k], atomic_load(&attack_count[k]));
        printf(" half_open_dropped=%lu\n", atomic_load(&half_open_dropped));
        if (rc == 0)
            printf("ratio push_p50=%.2f\n", quiet > 0 ? loud / quiet : 0);
    }
    zmq_ctx_term(ctx);
    return rc;
}
