/*
 * admin_op.c — sends one raw ADMIN_REQ, any op name, any arguments.
 *
 * syncctl only sends the operations it knows; the admin-surface test
 * (admin.sh) must also reach operations added to syncd's op table later,
 * so it asks syncd for the table (an unknown op's error lists every op)
 * and tries each one with keys that must be refused. This is that client.
 *
 *   stepwise-admin-op EP SERVER_PUB KEY_FILE TIMEOUT_S OP [KEY=VALUE...]
 *
 * Prints the reply text on stdout. Exit status: 0 code 0, 1 refused (the
 * code is printed on stderr), 2 usage, 3 no answer within TIMEOUT_S, 4 the
 * CURVE handshake was refused by syncd's authentication (ZAP): the request
 * was never delivered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "protocol/keys.h"
#include "protocol/proto_zmq.h"
#include "protocol/protocol.h"

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: stepwise-admin-op EP SERVER_PUB KEY_FILE "
                        "TIMEOUT_S OP [KEY=VALUE...]\n");
        return 2;
    }
    char err[512], server_pub[PROTO_Z85_KEY_LEN + 1];
    proto_keypair_t kp;
    if (proto_keys_load_public(argv[2], server_pub, err, sizeof err) != 0 ||
        proto_keys_load_secret(argv[3], &kp, err, sizeof err) != 0) {
        fprintf(stderr, "admin_op: %s\n", err);
        return 2;
    }
    int n_args = argc - 6;
    if (n_args > PROTO_MAX_ADMIN_ARGS || strlen(argv[5]) > PROTO_KEY_MAX) {
        fprintf(stderr, "admin_op: too many arguments or op too long\n");
        return 2;
    }
    proto_arg_t args[PROTO_MAX_ADMIN_ARGS];
    proto_msg_t req = {.type = PROTO_MSG_ADMIN_REQ};
    snprintf(req.u.admin_req.op, sizeof req.u.admin_req.op, "%s", argv[5]);
    for (int i = 0; i < n_args; i++) {
        const char *kv = argv[6 + i];
        const char *eq = strchr(kv, '=');
        if (!eq || (size_t)(eq - kv) > PROTO_KEY_MAX) {
            fprintf(stderr, "admin_op: argument \"%s\" is not KEY=VALUE\n", kv);
            return 2;
        }
        memset(&args[i], 0, sizeof args[i]);
        memcpy(args[i].key, kv, (size_t)(eq - kv));
        args[i].value = (char *)eq + 1;
        args[i].value_len = strlen(eq + 1);
    }
    req.u.admin_req.n_args = (uint32_t)n_args;
    req.u.admin_req.args = args;

    int status = 3;
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
    void *mon = ctx ? zmq_socket(ctx, ZMQ_PAIR) : NULL;
    int linger = 0;
    if (!sock || !mon ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        proto_zmq_curve_client(sock, &kp, server_pub) != 0 ||
        zmq_socket_monitor(sock, "inproc://admin-op-monitor",
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
        zmq_connect(mon, "inproc://admin-op-monitor") != 0 ||
        zmq_connect(sock, argv[1]) != 0) {
        fprintf(stderr, "admin_op: cannot connect to %s: %s\n", argv[1],
                zmq_strerror(zmq_errno()));
        status = 2;
        goto cleanup;
    }
    if (proto_zmq_send(sock, &req, 0) != 0) {
        fprintf(stderr, "admin_op: cannot send %s\n", argv[5]);
        status = 2;
        goto cleanup;
    }
    zmq_pollitem_t it[2] = {{sock, 0, ZMQ_POLLIN, 0}, {mon, 0, ZMQ_POLLIN, 0}};
    int rc = zmq_poll(it, 2, atoi(argv[4]) * 1000);
    if (rc < 1) {
        fprintf(stderr, "admin_op: no answer to %s within %s s\n", argv[5],
                argv[4]);
        goto cleanup;
    }
    if (!(it[0].revents & ZMQ_POLLIN)) {
        fprintf(stderr,
                "admin_op: %s not delivered: syncd refused the key "
                "at the handshake\n",
                argv[5]);
        status = 4;
        goto cleanup;
    }
    proto_msg_t rep = {0};
    proto_diag_t diag;
    rc = proto_zmq_recv(sock, &rep, PROTO_MAX_ADMIN_FRAME, &diag, 0);
    if (rc != 0) {
        fprintf(stderr, "admin_op: undecodable answer: %s\n",
                proto_errname(rc));
        status = 2;
        goto cleanup;
    }
    if (rep.type == PROTO_MSG_ADMIN_REP) {
        fwrite(rep.u.admin_rep.text, 1, rep.u.admin_rep.text_len, stdout);
        putchar('\n');
        status = rep.u.admin_rep.code == 0 ? 0 : 1;
        if (status)
            fprintf(stderr, "admin_op: code %s\n",
                    proto_errname(rep.u.admin_rep.code));
    } else {
        fprintf(stderr, "admin_op: answer is %s, not ADMIN_REP\n",
                proto_msg_name(rep.type));
        status = 1;
    }
    proto_msg_clear(&rep);
cleanup:
    if (mon)
        zmq_close(mon);
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    return status;
}
