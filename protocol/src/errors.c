/*
 * errors.c — names and texts of error and rejection codes.
 *
 * Both tables come from the X-macros in protocol.h, so a new code is one
 * line there and appears here, in ERROR messages and in docs/PROTOCOL.md
 * (proto-schema-doc prints the same macros) without further edits.
 */
#include "protocol/protocol.h"

const char *proto_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define PROTO_ERRNO_TEXT(name, num, text)                                      \
    case -(num):                                                               \
        return text;
        PROTO_ERRNO_MAP(PROTO_ERRNO_TEXT)
#undef PROTO_ERRNO_TEXT
    default:
        return "unknown error";
    }
}

const char *proto_errname(int code)
{
    switch (code) {
    case 0:
        return "OK";
#define PROTO_ERRNO_NAME(name, num, text)                                      \
    case -(num):                                                               \
        return #name;
        PROTO_ERRNO_MAP(PROTO_ERRNO_NAME)
#undef PROTO_ERRNO_NAME
    default:
        return "EUNKNOWN";
    }
}

const char *proto_reject_name(int code)
{
    switch (code) {
#define PROTO_REJECT_NAME(name, num, text)                                     \
    case (num):                                                                \
        return #name;
        PROTO_REJECT_MAP(PROTO_REJECT_NAME)
#undef PROTO_REJECT_NAME
    default:
        return "UNKNOWN";
    }
}
