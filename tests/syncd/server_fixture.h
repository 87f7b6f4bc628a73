/*
 * server_fixture.h — a kiosk's side of the wire for the tests that run the
 * daemon in-process (test_server, test_shared_store, test_faultvfs,
 * test_agenda_session): a DEALER with the kiosk's CURVE keys, and the
 * loop that steps the server until that socket's reply arrives. Each test
 * had its own copy; one copy means a change to the handshake or the frame
 * limits is made once. Header-only: each test program includes it once,
 * after <cmocka.h>.
 */
#ifndef TEST_SERVER_FIXTURE_H
#define TEST_SERVER_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "protocol/keys.h"
#include "protocol/proto_zmq.h"
#include "protocol/protocol.h"
#include "syncd/clock.h"
#include "syncd/server.h"

/* A DEALER in zctx that speaks CURVE as kp to the server whose public key
 * is server_public, not yet connected (so a monitor can be attached
 * first). Linger 0: a test's teardown never waits on unsent frames.
 * Caller closes it. */
__attribute__((unused)) static void *
srvfx_dealer(void *zctx, const proto_keypair_t *kp, const char *server_public)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    int linger = 0;

    assert_non_null(s);
    assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger), 0);
    assert_int_equal(proto_zmq_curve_client(s, kp, server_public), 0);
    return s;
}

/* Steps srv until sock has a message, then decodes it into reply
 * (frames up to max_frame bytes); a reply that does not decode fails the
 * test. 0, or -1 when timeout_ms passes first. */
__attribute__((unused)) static int
srvfx_pump_reply(syncd_server_t *srv, void *sock, proto_msg_t *reply,
                 size_t max_frame, int timeout_ms)
{
    int64_t end = syncd_clock_mono_ms() + timeout_ms;

    while (syncd_clock_mono_ms() < end) {
        assert_int_equal(syncd_server_step(srv, 5), 0);
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 0) == 1) {
            proto_diag_t diag;
            int rc = proto_zmq_recv(sock, reply, max_frame, &diag, 0);
            if (rc != 0)
                fail_msg("reply does not decode: %s at %s", proto_errname(rc),
                         diag.where);
            return 0;
        }
    }
    return -1;
}

#endif
