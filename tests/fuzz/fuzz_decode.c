/*
 * fuzz_decode.c — libFuzzer target for the protocol decoder.
 *
 * The decoder is what every byte from the network meets first, so it is
 * fuzzed for more than crashes. For every input:
 *  - a refused frame leaves the message zeroed and the code is one the
 *    decoder documents;
 *  - an accepted frame re-encodes (everything the decoder lets through is
 *    within the bounds the encoder enforces), decodes again, and encodes
 *    to the same bytes (one canonical form).
 * Any broken rule aborts, which libFuzzer reports as a crash. Built as a
 * libFuzzer binary with STEPWISE_FUZZ=ON, and always as a replay driver
 * (fuzz_replay.c) that ctest runs over tests/fuzz/corpus/decode/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_decode: %s\n", what);
        abort();
    }
}

static int documented(int rc)
{
    switch (rc) {
    case PROTO_ENOMEM:
    case PROTO_ETOOBIG:
    case PROTO_ETRUNCATED:
    case PROTO_EMALFORMED:
    case PROTO_ETYPE:
    case PROTO_ERANGE:
    case PROTO_EMISSING:
    case PROTO_ETRAILING:
    case PROTO_EUNKNOWNMSG:
    case PROTO_EUNKNOWNEVENT:
    case PROTO_EDEPTH:
    case PROTO_ECOUNT:
    case PROTO_EUTF8:
    case PROTO_EDUPKEY:
        return 1;
    default:
        return 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const proto_msg_t zero;
    proto_msg_t msg, back;
    proto_diag_t diag;
    uint8_t *a = NULL, *b = NULL;
    size_t al = 0, bl = 0;

    int rc = proto_decode(data, size, PROTO_MAX_ADMIN_FRAME, &msg, &diag);
    if (rc < 0) {
        check(documented(rc), "undocumented error code");
        check(memcmp(&msg, &zero, sizeof(msg)) == 0, "message not cleared");
        check(diag.where[0] != '\0', "no diag path");
        check(memchr(diag.where, '\0', sizeof(diag.where)) != NULL,
              "diag path not terminated");
        return 0;
    }
    /* Re-encoding may grow a frame (a float32 measure becomes float64),
     * so near the frame limit the encoder may rightly refuse. */
    rc = proto_encode(&msg, &a, &al);
    if (size < (1u << 20))
        check(rc == 0, "accepted frame does not re-encode");
    if (rc == 0) {
        check(proto_decode(a, al, PROTO_MAX_ADMIN_FRAME, &back, NULL) == 0,
              "re-encoded frame does not decode");
        check(proto_encode(&back, &b, &bl) == 0, "second encode failed");
        check(al == bl && memcmp(a, b, al) == 0, "encoding not canonical");
        proto_msg_clear(&back);
    }
    if (msg.type == PROTO_MSG_PUSH) {
        for (uint32_t i = 0; i < msg.u.push.n_events; i++) {
            proto_event_t copy;
            memset(&copy, 0, sizeof(copy));
            check(proto_event_copy(&copy, &msg.u.push.events[i]) == 0,
                  "event copy failed");
            proto_event_clear(&copy);
        }
    }
    proto_free(a);
    proto_free(b);
    proto_msg_clear(&msg);
    check(memcmp(&msg, &zero, sizeof(msg)) == 0, "clear left data");
    return 0;
}
