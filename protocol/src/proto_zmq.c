/*
 * proto_zmq.c — the thin ZeroMQ binding: one message is one frame.
 *
 * Kept apart from the codec so that the codec stays bytes in, bytes out
 * (testable and fuzzable without sockets) and so that this file is the
 * only place that knows how CURVE options are set on a socket.
 */
#include "protocol/proto_zmq.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

/* A draft option in libzmq 4.3: with it, a CURVE server whose ZAP handler
 * is missing refuses every peer instead of admitting all of them. Set when
 * the library knows it; harmless when not. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

int proto_zmq_send_frame(void *socket, const uint8_t *buf, size_t len,
                         int flags)
{
    if (!socket || (!buf && len))
        return PROTO_EINVAL;
    int sent = zmq_send(socket, buf, len, flags);
    return sent < 0 || (size_t)sent != len ? PROTO_EIO : 0;
}

int proto_zmq_send(void *socket, const proto_msg_t *msg, int flags)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!socket)
        return PROTO_EINVAL;
    int rc = proto_encode(msg, &buf, &len);
    if (rc < 0)
        return rc;
    rc = proto_zmq_send_frame(socket, buf, len, flags);
    int saved = errno;
    proto_free(buf);
    errno = saved;
    return rc;
}

int proto_zmq_recv(void *socket, proto_msg_t *msg, size_t max_frame,
                   proto_diag_t *diag, int flags)
{
    zmq_msg_t frame;
    if (diag)
        memset(diag, 0, sizeof(*diag));
    if (!msg)
        return PROTO_EINVAL;
    memset(msg, 0, sizeof(*msg));
    if (!socket)
        return PROTO_EINVAL;
    if (zmq_msg_init(&frame) != 0)
        return PROTO_EIO;
    if (zmq_msg_recv(&frame, socket, flags) < 0) {
        int saved = errno;
        zmq_msg_close(&frame);
        errno = saved;
        return PROTO_EIO;
    }
    int rc;
    if (zmq_msg_more(&frame)) {
        /* One message is one frame. The rest of a multipart message is
         * already here (ZeroMQ delivers them whole): drop it, so the next
         * receive starts at a message boundary. */
        while (zmq_msg_more(&frame)) {
            if (zmq_msg_recv(&frame, socket, 0) < 0)
                break;
        }
        if (diag)
            snprintf(diag->where, sizeof(diag->where), "frame");
        rc = PROTO_EMALFORMED;
    } else {
        rc = proto_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), max_frame,
                          msg, diag);
    }
    zmq_msg_close(&frame);
    return rc;
}

int proto_zmq_curve_client(void *socket, const proto_keypair_t *ours,
                           const char *server_public_z85)
{
    if (!socket || !ours || !proto_keys_valid_z85(ours->public_z85) ||
        !proto_keys_valid_z85(ours->secret_z85) ||
        !proto_keys_valid_z85(server_public_z85)) {
        errno = EINVAL;
        return PROTO_EIO;
    }
    /* Z85 form: 40 characters plus the terminating NUL. */
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, server_public_z85,
                       PROTO_Z85_KEY_LEN + 1) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, ours->public_z85,
                       PROTO_Z85_KEY_LEN + 1) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, ours->secret_z85,
                       PROTO_Z85_KEY_LEN + 1) != 0)
        return PROTO_EIO;
    return 0;
}

int proto_zmq_curve_server(void *socket, const proto_keypair_t *ours,
                           const char *zap_domain)
{
    int one = 1;
    if (!socket || !ours || !proto_keys_valid_z85(ours->public_z85) ||
        !proto_keys_valid_z85(ours->secret_z85) || !zap_domain ||
        !zap_domain[0]) {
        errno = EINVAL;
        return PROTO_EIO;
    }
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, ours->public_z85,
                       PROTO_Z85_KEY_LEN + 1) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, ours->secret_z85,
                       PROTO_Z85_KEY_LEN + 1) != 0 ||
        zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, zap_domain,
                       strlen(zap_domain)) != 0)
        return PROTO_EIO;
    /* EINVAL means a libzmq built without the draft option: not fatal,
     * since syncd starts its ZAP handler before it binds. */
    if (zmq_setsockopt(socket, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof(one)) !=
            0 &&
        errno != EINVAL)
        return PROTO_EIO;
    return 0;
}
