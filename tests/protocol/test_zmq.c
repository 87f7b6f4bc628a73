/*
 * test_zmq.c — the ZeroMQ binding over a real CURVE connection.
 *
 * A ROUTER set up with proto_zmq_curve_server and a tiny ZAP handler (a
 * thread on inproc://zeromq.zap.01 that admits one client key), a DEALER
 * set up with proto_zmq_curve_client: a HELLO crosses the wire and decodes
 * to the same message, a WELCOME comes back, an unknown key gets nothing
 * through, a multipart frame is refused and drained, timeouts report
 * EAGAIN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include <zmq.h>

#include "protocol/proto_zmq.h"
#include "schema_walk.h"

typedef struct {
    void *ctx;
    char admit[41];  /* the one client key the handler admits */
    char domain[32]; /* ZAP domain of the last request */
    int admitted;
    int denied;
    pthread_mutex_t lock;
    void *ready; /* set once the handler socket is bound */
} zap_t;

static void *zap_thread(void *arg)
{
    zap_t *z = arg;
    void *sock = zmq_socket(z->ctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_bind(sock, "inproc://zeromq.zap.01") != 0) {
        zmq_close(sock);
        return NULL;
    }
    __atomic_store_n(&z->ready, sock, __ATOMIC_RELEASE);
    for (;;) {
        char frames[7][256];
        int sizes[7];
        int n = 0, more = 1;
        while (more && n < 7) {
            int r = zmq_recv(sock, frames[n], sizeof(frames[n]), 0);
            if (r < 0)
                goto done; /* context shut down */
            sizes[n++] = r;
            size_t ml = sizeof(more);
            zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
        }
        /* version, request id, domain, address, identity, mechanism, key */
        uint8_t want[32];
        zmq_z85_decode(want, z->admit);
        bool ok = n == 7 && sizes[5] == 5 &&
                  memcmp(frames[5], "CURVE", 5) == 0 && sizes[6] == 32 &&
                  memcmp(frames[6], want, 32) == 0;
        pthread_mutex_lock(&z->lock);
        snprintf(z->domain, sizeof(z->domain), "%.*s", sizes[2], frames[2]);
        if (ok)
            z->admitted++;
        else
            z->denied++;
        pthread_mutex_unlock(&z->lock);
        zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(sock, frames[1], (size_t)sizes[1], ZMQ_SNDMORE);
        zmq_send(sock, ok ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(sock, ok ? "OK" : "unknown key", ok ? 2 : 11, ZMQ_SNDMORE);
        zmq_send(sock, ok ? "k01" : "", ok ? 3 : 0, ZMQ_SNDMORE);
        zmq_send(sock, "", 0, 0);
    }
done:
    zmq_close(sock);
    return NULL;
}

typedef struct {
    zap_t zap;
    pthread_t thread;
    proto_keypair_t server, client;
    void *router;
    void *dealer;
    void *extra; /* a test's own socket, closed by teardown */
    char endpoint[256];
} fixture_t;

static void *dealer_for(fixture_t *f, const proto_keypair_t *kp)
{
    void *d = zmq_socket(f->zap.ctx, ZMQ_DEALER);
    int timeout = 5000, linger = 0;
    assert_non_null(d);
    assert_int_equal(zmq_setsockopt(d, ZMQ_RCVTIMEO, &timeout, sizeof(timeout)),
                     0);
    assert_int_equal(zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof(linger)), 0);
    assert_int_equal(proto_zmq_curve_client(d, kp, f->server.public_z85), 0);
    assert_int_equal(zmq_connect(d, f->endpoint), 0);
    return d;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->zap.ctx = zmq_ctx_new();
    pthread_mutex_init(&f->zap.lock, NULL);
    assert_int_equal(proto_keys_generate(&f->server), 0);
    assert_int_equal(proto_keys_generate(&f->client), 0);
    strcpy(f->zap.admit, f->client.public_z85);
    assert_int_equal(pthread_create(&f->thread, NULL, zap_thread, &f->zap), 0);
    for (int i = 0;
         i < 500 && !__atomic_load_n(&f->zap.ready, __ATOMIC_ACQUIRE); i++)
        usleep(1000);
    assert_non_null(f->zap.ready);

    f->router = zmq_socket(f->zap.ctx, ZMQ_ROUTER);
    int linger = 0, timeout = 5000;
    zmq_setsockopt(f->router, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(f->router, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    assert_int_equal(proto_zmq_curve_server(f->router, &f->server, "kiosk"), 0);
    assert_int_equal(zmq_bind(f->router, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof(f->endpoint);
    assert_int_equal(
        zmq_getsockopt(f->router, ZMQ_LAST_ENDPOINT, f->endpoint, &len), 0);
    f->dealer = dealer_for(f, &f->client);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    /* close every socket even when the test failed half-way, or
     * zmq_ctx_term waits for ever */
    if (f->extra)
        zmq_close(f->extra);
    zmq_close(f->dealer);
    zmq_close(f->router);
    zmq_ctx_shutdown(f->zap.ctx); /* wakes the ZAP thread with ETERM */
    pthread_join(f->thread, NULL);
    zmq_ctx_term(f->zap.ctx);
    pthread_mutex_destroy(&f->zap.lock);
    free(f);
    return 0;
}

/* Receives [identity][payload] on the router; returns the payload. */
static size_t router_recv(fixture_t *f, uint8_t *id, size_t *id_len,
                          uint8_t *buf, size_t cap)
{
    int n = zmq_recv(f->router, id, 256, 0);
    assert_true(n > 0);
    *id_len = (size_t)n;
    int more;
    size_t ml = sizeof(more);
    zmq_getsockopt(f->router, ZMQ_RCVMORE, &more, &ml);
    assert_true(more);
    n = zmq_recv(f->router, buf, cap, 0);
    assert_true(n >= 0 && (size_t)n <= cap);
    return (size_t)n;
}

static void test_hello_welcome(void **state)
{
    fixture_t *f = *state;
    walk_rng_t rng = {2024};
    walk_opts_t o = {.all = true, .max_arr = 3};
    proto_msg_t hello, got, welcome, back;
    proto_diag_t diag;
    walk_fill_msg(&rng, &hello, PROTO_MSG_HELLO, &o);
    strcpy(hello.u.hello.kiosk_id, "k01");
    assert_int_equal(proto_zmq_send(f->dealer, &hello, 0), 0);

    uint8_t id[256], buf[65536];
    size_t id_len;
    size_t n = router_recv(f, id, &id_len, buf, sizeof(buf));
    assert_int_equal(proto_decode(buf, n, PROTO_MAX_FRAME, &got, &diag), 0);
    assert_true(walk_equal_msg(&hello, &got));
    proto_msg_clear(&got);

    pthread_mutex_lock(&f->zap.lock);
    char domain[32];
    strcpy(domain, f->zap.domain);
    int denied = f->zap.denied, admitted = f->zap.admitted;
    pthread_mutex_unlock(&f->zap.lock);
    assert_string_equal(domain, "kiosk");
    assert_int_equal(admitted, 1);
    assert_int_equal(denied, 0);

    /* and back: ROUTER sends [identity][WELCOME] */
    walk_fill_msg(&rng, &welcome, PROTO_MSG_WELCOME, &o);
    uint8_t *enc;
    size_t enc_len;
    assert_int_equal(proto_encode(&welcome, &enc, &enc_len), 0);
    assert_int_equal(zmq_send(f->router, id, id_len, ZMQ_SNDMORE), (int)id_len);
    assert_int_equal(zmq_send(f->router, enc, enc_len, 0), (int)enc_len);
    proto_free(enc);
    assert_int_equal(
        proto_zmq_recv(f->dealer, &back, PROTO_MAX_FRAME, &diag, 0), 0);
    assert_true(walk_equal_msg(&welcome, &back));
    proto_msg_clear(&back);
    proto_msg_clear(&welcome);
    proto_msg_clear(&hello);
}

static void test_unknown_key_gets_nothing_through(void **state)
{
    fixture_t *f = *state;
    proto_keypair_t stranger;
    assert_int_equal(proto_keys_generate(&stranger), 0);
    void *d = f->extra = dealer_for(f, &stranger);
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    ping.u.ping.last_seq = 1;
    /* queued locally; the handshake fails, so it never leaves */
    assert_int_equal(proto_zmq_send(d, &ping, ZMQ_DONTWAIT), 0);
    zmq_pollitem_t item = {f->router, 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&item, 1, 700), 0);
    pthread_mutex_lock(&f->zap.lock);
    int denied = f->zap.denied, admitted = f->zap.admitted;
    pthread_mutex_unlock(&f->zap.lock);
    assert_true(denied >= 1);
    assert_true(admitted <= 1); /* the fixture's own client, nobody else */
}

static void test_multipart_refused_and_drained(void **state)
{
    fixture_t *f = *state;
    proto_msg_t ping = {.type = PROTO_MSG_PING}, got;
    proto_diag_t diag;
    /* the router learns the dealer's identity from its first message */
    assert_int_equal(proto_zmq_send(f->dealer, &ping, 0), 0);
    uint8_t id[256], buf[256];
    size_t id_len;
    router_recv(f, id, &id_len, buf, sizeof(buf));

    proto_msg_t pong = {.type = PROTO_MSG_PONG};
    pong.u.pong.acked_seq = 41;
    uint8_t *enc;
    size_t enc_len;
    assert_int_equal(proto_encode(&pong, &enc, &enc_len), 0);
    /* [identity][PONG][PONG][PONG]: one message of three frames */
    zmq_send(f->router, id, id_len, ZMQ_SNDMORE);
    zmq_send(f->router, enc, enc_len, ZMQ_SNDMORE);
    zmq_send(f->router, enc, enc_len, ZMQ_SNDMORE);
    zmq_send(f->router, enc, enc_len, 0);
    /* then a proper one */
    pong.u.pong.acked_seq = 42;
    proto_free(enc);
    assert_int_equal(proto_encode(&pong, &enc, &enc_len), 0);
    zmq_send(f->router, id, id_len, ZMQ_SNDMORE);
    zmq_send(f->router, enc, enc_len, 0);
    proto_free(enc);

    assert_int_equal(proto_zmq_recv(f->dealer, &got, 0, &diag, 0),
                     PROTO_EMALFORMED);
    assert_string_equal(diag.where, "frame");
    assert_int_equal(proto_zmq_recv(f->dealer, &got, 0, &diag, 0), 0);
    assert_int_equal(got.type, PROTO_MSG_PONG);
    assert_int_equal(got.u.pong.acked_seq, 42);
    proto_msg_clear(&got);
}

static void test_timeouts_and_errors(void **state)
{
    fixture_t *f = *state;
    proto_msg_t got;
    proto_diag_t diag;
    errno = 0;
    assert_int_equal(proto_zmq_recv(f->dealer, &got, 0, &diag, ZMQ_DONTWAIT),
                     PROTO_EIO);
    assert_int_equal(errno, EAGAIN);
    int timeout = 100;
    zmq_setsockopt(f->dealer, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    errno = 0;
    assert_int_equal(proto_zmq_recv(f->dealer, &got, 0, &diag, 0), PROTO_EIO);
    assert_int_equal(errno, EAGAIN);

    /* a message the encoder refuses is not sent */
    proto_msg_t bad = {.type = PROTO_MSG_ERROR}; /* code 0, no message */
    assert_int_equal(proto_zmq_send(f->dealer, &bad, 0), PROTO_EINVAL);
    zmq_pollitem_t item = {f->router, 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&item, 1, 200), 0);

    /* a frame that does not decode: the decoder's code and path */
    uint8_t id[256], buf[256];
    size_t id_len;
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    assert_int_equal(proto_zmq_send(f->dealer, &ping, 0), 0);
    router_recv(f, id, &id_len, buf, sizeof(buf));
    zmq_send(f->router, id, id_len, ZMQ_SNDMORE);
    zmq_send(f->router, "\x92\x63\x80", 3, 0); /* [99, {}] */
    timeout = 5000;
    zmq_setsockopt(f->dealer, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    assert_int_equal(proto_zmq_recv(f->dealer, &got, 0, &diag, 0),
                     PROTO_EUNKNOWNMSG);
    assert_string_equal(diag.where, "message.id");

    /* CURVE options with a bad key */
    void *d = f->extra = zmq_socket(f->zap.ctx, ZMQ_DEALER);
    errno = 0;
    assert_int_equal(proto_zmq_curve_client(d, &f->client, "not-a-key"),
                     PROTO_EIO);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(proto_zmq_curve_server(d, &f->server, ""), PROTO_EIO);
    assert_int_equal(proto_zmq_send(NULL, &ping, 0), PROTO_EINVAL);
}

/* The czmq pitfall: with no ZAP handler running, CURVE alone admits
 * anyone. proto_zmq_curve_server sets ZMQ_ZAP_ENFORCE_DOMAIN, so a server
 * whose handler is missing admits nobody. */
static void test_no_zap_handler_admits_nobody(void **state)
{
    (void)state;
    proto_keypair_t server, client;
    assert_int_equal(proto_keys_generate(&server), 0);
    assert_int_equal(proto_keys_generate(&client), 0);
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
    char endpoint[256];
    size_t len = sizeof(endpoint);
    int rc = proto_zmq_curve_server(router, &server, "kiosk");
    if (rc == 0)
        rc = zmq_bind(router, "tcp://127.0.0.1:*");
    if (rc == 0)
        rc = zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &len);
    if (rc == 0)
        rc = proto_zmq_curve_client(dealer, &client, server.public_z85);
    if (rc == 0)
        rc = zmq_connect(dealer, endpoint);
    proto_msg_t ping = {.type = PROTO_MSG_PING};
    if (rc == 0)
        rc = proto_zmq_send(dealer, &ping, ZMQ_DONTWAIT);
    zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
    int ready = rc == 0 ? zmq_poll(&item, 1, 700) : -1;
    zmq_close(dealer);
    zmq_close(router);
    zmq_ctx_term(ctx);
    assert_int_equal(rc, 0);
    assert_int_equal(ready, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hello_welcome, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_gets_nothing_through,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_refused_and_drained,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeouts_and_errors, setup,
                                        teardown),
        cmocka_unit_test(test_no_zap_handler_admits_nobody),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
