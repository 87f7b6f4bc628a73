/*
 * proto_zmq.h — the thin ZeroMQ binding of the protocol: one message is one
 * ZeroMQ frame holding its msgpack encoding. ROUTER sockets add the routing
 * frame themselves (syncd handles that); these helpers are for the DEALER
 * side (kiosks, simulator, syncctl) and for tests.
 */
#ifndef PROTOCOL_PROTO_ZMQ_H
#define PROTOCOL_PROTO_ZMQ_H

#include "protocol/keys.h"
#include "protocol/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Encodes and sends msg as one frame. flags as zmq_send (ZMQ_DONTWAIT).
 * 0, a negative proto code, or PROTO_EIO with errno set by ZeroMQ. */
int proto_zmq_send(void *socket, const proto_msg_t *msg, int flags);
/* Sends len bytes already encoded (proto_push_join) as one frame. */
int proto_zmq_send_frame(void *socket, const uint8_t *buf, size_t len,
                         int flags);

/* Receives one frame and decodes it into msg (caller proto_msg_clear()s).
 * A frame with more parts following is refused (PROTO_EMALFORMED) and the
 * remaining parts drained. PROTO_EIO with errno EAGAIN on timeout. */
int proto_zmq_recv(void *socket, proto_msg_t *msg, size_t max_frame,
                   proto_diag_t *diag, int flags);

/* Sets the CURVE client options on a DEALER: our key pair and the
 * server's public key. 0 or PROTO_EIO. */
int proto_zmq_curve_client(void *socket, const proto_keypair_t *ours,
                           const char *server_public_z85);

/* Sets the CURVE server options on a socket: our key pair, server role,
 * and the ZAP domain the ZAP handler uses to tell sockets apart. */
int proto_zmq_curve_server(void *socket, const proto_keypair_t *ours,
                           const char *zap_domain);

#ifdef __cplusplus
}
#endif
#endif
