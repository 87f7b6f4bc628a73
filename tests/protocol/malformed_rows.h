/*
 * malformed_rows.h — the table of hostile and broken frames.
 *
 * Each row: a name, the frame as msgpack-text (mpjson.h) or hex, the error
 * code the decoder must give and the diag path that must name the culprit.
 * test_malformed.c checks every row; the fuzz corpus generator
 * (tests/fuzz/gen_corpus.c) writes every row as a seed input.
 */
#ifndef TESTS_PROTOCOL_MALFORMED_ROWS_H
#define TESTS_PROTOCOL_MALFORMED_ROWS_H

#include "protocol/protocol.h"

#define EVC                                                                    \
    "\"kiosk_id\": \"k01\", \"seq\": 1, \"captured_ms\": 1764000000000, "      \
    "\"boot_id\": 77, \"mono_ms\": 5000"
#define CHECKIN(extra)                                                         \
    "{\"type\": \"checkin\", " EVC ", \"staff_id\": \"s01\", "                 \
    "\"step_id\": \"tm-call\", \"catalogue_version\": 1, " extra "}"
#define MEAS "\"measures\": {\"calls\": 35}"
#define PUSH(ev) "[3, {\"events\": [" ev "]}]"
#define SUGG(extra)                                                            \
    "{\"type\": \"suggestion\", " EVC ", \"kind\": \"idea\", " extra "}"
#define HELLO_REST                                                             \
    "\"app_version\": \"1.0\", \"catalogue_version\": 0, \"last_seq\": 0, "    \
    "\"outbox_depth\": 0, \"oldest_unsent_s\": 0, \"kiosk_time_ms\": 1, "      \
    "\"feed_cursor\": 0"
#define HELLO(extra)                                                           \
    "[1, {\"version\": 1, \"kiosk_id\": \"k01\", " HELLO_REST extra "}]"

typedef struct {
    const char *name;
    const char *spec; /* mpjson text, or NULL */
    const char *hex;  /* raw bytes, or NULL */
    int code;
    const char *where;
} row_t;

__attribute__((unused)) static const row_t rows[] = {
    /* framing and structure: caught by the pre-scan, before msgpack-c */
    {"empty input", NULL, "", PROTO_ETRUNCATED, "frame"},
    {"array32 claiming 4G elements", NULL, "dd ffffffff", PROTO_ETRUNCATED,
     "frame"},
    {"map32 claiming 4G pairs", NULL, "df ffffffff", PROTO_ETRUNCATED, "frame"},
    {"map16 inside a message claiming 65535 pairs", NULL, "92 03 de ffff 00",
     PROTO_ETRUNCATED, "frame"},
    {"array16 claims more than the bytes left", NULL, "dc 0004 c0 c0 c0",
     PROTO_ETRUNCATED, "frame"},
    {"str32 claiming 4 GB", NULL, "db ffffffff 61", PROTO_ETRUNCATED, "frame"},
    {"str8 one byte short", NULL, "92 09 81 a8 6c6173745f736571 d9 05 61626364",
     PROTO_ETRUNCATED, "frame"},
    {"bin32 claiming 4 GB", NULL, "c6 ffffffff", PROTO_ETRUNCATED, "frame"},
    {"ext32 claiming 4 GB", NULL, "c9 ffffffff 01", PROTO_ETRUNCATED, "frame"},
    {"fixext16 cut short", NULL, "d8 01 0000", PROTO_ETRUNCATED, "frame"},
    {"uint64 cut short", NULL, "cf 0000", PROTO_ETRUNCATED, "frame"},
    {"0xc1 is never used", NULL, "92 09 c1", PROTO_EMALFORMED, "frame"},
    {"trailing byte",
     "[10, {\"server_time_ms\": 1, \"acked_seq\": 0, "
     "\"catalogue_version\": 0, \"feed_cursor\": 0}]",
     NULL, PROTO_ETRAILING, "frame"}, /* a byte is appended below */
    {"two messages in one frame", NULL,
     "92 05 81 ac 686176655f76657273696f6e 00"
     "92 05 81 ac 686176655f76657273696f6e 00",
     PROTO_ETRAILING, "frame"},
    {"nesting at depth 7", "[3, {\"x\": [[[[[]]]]]}]", NULL, PROTO_EDEPTH,
     "frame"},

    /* top level */
    {"top level is a map", "{\"type\": 1}", NULL, PROTO_ETYPE, "message"},
    {"top level is a string", "\"HELLO\"", NULL, PROTO_ETYPE, "message"},
    {"top array of one", "[9]", NULL, PROTO_ETYPE, "message"},
    {"top array of three", "[9, {}, {}]", NULL, PROTO_ETYPE, "message"},
    {"message id 99", "[99, {}]", NULL, PROTO_EUNKNOWNMSG, "message.id"},
    {"message id 0", "[0, {}]", NULL, PROTO_EUNKNOWNMSG, "message.id"},
    {"message id -1", "[-1, {}]", NULL, PROTO_EUNKNOWNMSG, "message.id"},
    {"message id 2^64-1", "[18446744073709551615, {}]", NULL, PROTO_EUNKNOWNMSG,
     "message.id"},
    {"message id as string", "[\"1\", {}]", NULL, PROTO_ETYPE, "message.id"},
    {"message id as float", "[1.0, {}]", NULL, PROTO_ETYPE, "message.id"},
    {"body is an array", "[9, []]", NULL, PROTO_ETYPE, "PING"},
    {"body is nil", "[9, null]", NULL, PROTO_ETYPE, "PING"},

    /* keys */
    {"missing kiosk_id", "[1, {\"version\": 1, " HELLO_REST "}]", NULL,
     PROTO_EMISSING, "HELLO.kiosk_id"},
    {"duplicate key", HELLO(", \"kiosk_id\": \"k02\""), NULL, PROTO_EDUPKEY,
     "HELLO.kiosk_id"},
    {"duplicate unknown key", HELLO(", \"zz\": 1, \"zz\": 2"), NULL,
     PROTO_EDUPKEY, "HELLO.zz"},
    {"integer map key", HELLO(", 7: 1"), NULL, PROTO_ETYPE, "HELLO"},
    {"unknown extra key accepted", HELLO(", \"hostname\": \"kiosk-3\""), NULL,
     0, ""},
    {"unknown nested key accepted at depth 6",
     HELLO(", \"future\": [[[{\"a\": b\"\\x01\", \"t\": e\"xy\"}]]]"), NULL, 0,
     ""},

    /* exact types */
    {"seq as string",
     PUSH("{\"type\": \"checkin\", \"kiosk_id\": \"k01\", "
          "\"seq\": \"1\", \"captured_ms\": 1, \"boot_id\": "
          "1, \"mono_ms\": 1, \"staff_id\": \"s\", "
          "\"step_id\": \"t\", \"catalogue_version\": 1, " MEAS "}"),
     NULL, PROTO_ETYPE, "PUSH.events[0].seq"},
    {"seq as float",
     PUSH("{\"type\": \"checkin\", \"kiosk_id\": \"k01\", "
          "\"seq\": 1.0, \"captured_ms\": 1, \"boot_id\": "
          "1, \"mono_ms\": 1, \"staff_id\": \"s\", "
          "\"step_id\": \"t\", \"catalogue_version\": 1, " MEAS "}"),
     NULL, PROTO_ETYPE, "PUSH.events[0].seq"},
    {"kiosk_id as bin",
     "[1, {\"version\": 1, \"kiosk_id\": b\"k01\", " HELLO_REST "}]", NULL,
     PROTO_ETYPE, "HELLO.kiosk_id"},
    {"bool as integer", "[6, {\"version\": 1, \"unchanged\": 1}]", NULL,
     PROTO_ETYPE, "CATALOGUE.unchanged"},
    {"nil for an optional field", "[6, {\"version\": 1, \"yaml\": null}]", NULL,
     PROTO_ETYPE, "CATALOGUE.yaml"},
    {"nil for a field", "[5, {\"have_version\": null}]", NULL, PROTO_ETYPE,
     "CATALOGUE_REQ.have_version"},
    {"measure as string", PUSH(CHECKIN("\"measures\": {\"calls\": \"35\"}")),
     NULL, PROTO_ETYPE, "PUSH.events[0].measures.calls"},
    {"measures as array", PUSH(CHECKIN("\"measures\": [35]")), NULL,
     PROTO_ETYPE, "PUSH.events[0].measures"},
    {"events as map", "[3, {\"events\": {}}]", NULL, PROTO_ETYPE,
     "PUSH.events"},
    {"event as array", "[3, {\"events\": [[1]]}]", NULL, PROTO_ETYPE,
     "PUSH.events[0]"},
    {"reject as string", "[4, {\"acked_seq\": 3, \"rejects\": [\"x\"]}]", NULL,
     PROTO_ETYPE, "ACK.rejects[0]"},
    {"admin arg value not a string",
     "[20, {\"op\": \"ping\", \"args\": {\"n\": 5}}]", NULL, PROTO_ETYPE,
     "ADMIN_REQ.args.n"},

    /* events */
    {"event type teleport", PUSH("{\"type\": \"teleport\", " EVC "}"), NULL,
     PROTO_EUNKNOWNEVENT, "PUSH.events[0].type"},
    {"event type missing", PUSH("{" EVC "}"), NULL, PROTO_EMISSING,
     "PUSH.events[0].type"},
    {"event type as integer", PUSH("{\"type\": 1, " EVC "}"), NULL, PROTO_ETYPE,
     "PUSH.events[0].type"},
    {"second event broken",
     PUSH(CHECKIN(MEAS) ", " CHECKIN("\"measures\": {\"calls\": -1}")), NULL,
     PROTO_ERANGE, "PUSH.events[1].measures.calls"},
    {"checkin missing step_id",
     PUSH("{\"type\": \"checkin\", " EVC ", \"staff_id\": \"s\", "
          "\"catalogue_version\": 1, " MEAS "}"),
     NULL, PROTO_EMISSING, "PUSH.events[0].step_id"},
    {"checkin with a rating's score: skipped",
     PUSH(CHECKIN(MEAS ", \"score\": 99")), NULL, 0, ""},

    /* bounds */
    {"quality 6", PUSH(CHECKIN(MEAS ", \"quality\": 6")), NULL, PROTO_ERANGE,
     "PUSH.events[0].quality"},
    {"quality 0 present", PUSH(CHECKIN(MEAS ", \"quality\": 0")), NULL,
     PROTO_ERANGE, "PUSH.events[0].quality"},
    {"quality -1", PUSH(CHECKIN(MEAS ", \"quality\": -1")), NULL, PROTO_ERANGE,
     "PUSH.events[0].quality"},
    {"quality 5", PUSH(CHECKIN(MEAS ", \"quality\": 5")), NULL, 0, ""},
    {"seq 0",
     PUSH("{\"type\": \"vote\", \"kiosk_id\": \"k\", \"seq\": 0, "
          "\"captured_ms\": 1, \"boot_id\": 1, \"mono_ms\": 1, "
          "\"staff_id\": \"s\", \"suggestion_id\": \"k:1\", "
          "\"vote\": 1}"),
     NULL, PROTO_ERANGE, "PUSH.events[0].seq"},
    {"seq 2^63",
     PUSH("{\"type\": \"vote\", \"kiosk_id\": \"k\", \"seq\": "
          "9223372036854775808, \"captured_ms\": 1, \"boot_id\": "
          "1, \"mono_ms\": 1, \"staff_id\": \"s\", "
          "\"suggestion_id\": \"k:1\", \"vote\": 1}"),
     NULL, PROTO_ERANGE, "PUSH.events[0].seq"},
    {"captured_ms 2^64-1",
     PUSH("{\"type\": \"rating\", \"kiosk_id\": \"k\", "
          "\"seq\": 1, \"captured_ms\": "
          "18446744073709551615, \"boot_id\": 1, "
          "\"mono_ms\": 1, \"staff_id\": \"s\", "
          "\"score\": 5}"),
     NULL, PROTO_ERANGE, "PUSH.events[0].captured_ms"},
    {"vote 2",
     PUSH("{\"type\": \"vote\", " EVC ", \"staff_id\": \"s\", "
          "\"suggestion_id\": \"k:1\", \"vote\": 2}"),
     NULL, PROTO_ERANGE, "PUSH.events[0].vote"},
    {"vote -1",
     PUSH("{\"type\": \"vote\", " EVC ", \"staff_id\": \"s\", "
          "\"suggestion_id\": \"k:1\", \"vote\": -1}"),
     NULL, PROTO_ERANGE, "PUSH.events[0].vote"},
    {"score 0",
     PUSH("{\"type\": \"rating\", " EVC ", \"staff_id\": \"s\", "
          "\"score\": 0}"),
     NULL, PROTO_ERANGE, "PUSH.events[0].score"},
    {"kind banana",
     PUSH("{\"type\": \"suggestion\", " EVC ", \"kind\": "
          "\"banana\", \"title\": \"t\"}"),
     NULL, PROTO_ERANGE, "PUSH.events[0].kind"},
    {"version 0",
     "[1, {\"version\": 0, \"kiosk_id\": \"k01\", " HELLO_REST "}]", NULL,
     PROTO_ERANGE, "HELLO.version"},
    {"version negative",
     "[1, {\"version\": -3, \"kiosk_id\": \"k01\", " HELLO_REST "}]", NULL,
     PROTO_ERANGE, "HELLO.version"},
    {"version 2^32",
     "[1, {\"version\": 4294967296, \"kiosk_id\": \"k01\", " HELLO_REST "}]",
     NULL, PROTO_ERANGE, "HELLO.version"},
    {"empty kiosk_id",
     "[1, {\"version\": 1, \"kiosk_id\": \"\", " HELLO_REST "}]", NULL,
     PROTO_ERANGE, "HELLO.kiosk_id"},
    {"kiosk_id 65 bytes",
     "[1, {\"version\": 1, \"kiosk_id\": "
     "\"12345678901234567890123456789012345678901234567890123456789012345\","
     " " HELLO_REST "}]",
     NULL, PROTO_ERANGE, "HELLO.kiosk_id"},
    {"kiosk_id 64 bytes",
     "[1, {\"version\": 1, \"kiosk_id\": "
     "\"1234567890123456789012345678901234567890123456789012345678901234\","
     " " HELLO_REST "}]",
     NULL, 0, ""},
    {"NaN measure", PUSH(CHECKIN("\"measures\": {\"calls\": nan}")), NULL,
     PROTO_ERANGE, "PUSH.events[0].measures.calls"},
    {"infinite measure", PUSH(CHECKIN("\"measures\": {\"calls\": inf}")), NULL,
     PROTO_ERANGE, "PUSH.events[0].measures.calls"},
    {"negative measure", PUSH(CHECKIN("\"measures\": {\"calls\": -1}")), NULL,
     PROTO_ERANGE, "PUSH.events[0].measures.calls"},
    {"negative float measure", PUSH(CHECKIN("\"measures\": {\"calls\": -0.5}")),
     NULL, PROTO_ERANGE, "PUSH.events[0].measures.calls"},
    {"float32 measure", PUSH(CHECKIN("\"measures\": {\"calls\": 2.5f}")), NULL,
     0, ""},
    {"empty measure key", PUSH(CHECKIN("\"measures\": {\"\": 1}")), NULL,
     PROTO_ERANGE, "PUSH.events[0].measures"},
    {"measure key 33 bytes",
     PUSH(CHECKIN("\"measures\": {\"abcdefghijklmnopqrstuvwxyz1234567\": 1}")),
     NULL, PROTO_ERANGE, "PUSH.events[0].measures"},
    {"duplicate measure",
     PUSH(CHECKIN("\"measures\": {\"calls\": 1, \"calls\": 2}")), NULL,
     PROTO_EDUPKEY, "PUSH.events[0].measures.calls"},
    {"error code positive", "[11, {\"code\": 3, \"message\": \"x\"}]", NULL,
     PROTO_ERANGE, "ERROR.code"},
    {"admin reply code positive", "[21, {\"code\": 1}]", NULL, PROTO_ERANGE,
     "ADMIN_REP.code"},
    {"heartbeat 0",
     "[2, {\"version\": 1, \"acked_seq\": 0, "
     "\"catalogue_version\": 0, \"feed_cursor\": 0, "
     "\"server_time_ms\": 0, \"heartbeat_ms\": 0}]",
     NULL, PROTO_ERANGE, "WELCOME.heartbeat_ms"},
    {"reject without reason",
     "[4, {\"acked_seq\": 3, \"rejects\": "
     "[{\"seq\": 3, \"code\": 2}]}]",
     NULL, PROTO_EMISSING, "ACK.rejects[0].reason"},
    {"feed suggestion kind wrong",
     "[8, {\"cursor\": 1, \"suggestions\": [{\"id\": \"k:1\", \"kind\": "
     "\"rant\", \"status\": \"new\", \"title\": \"t\", \"votes\": 0, "
     "\"created_ms\": 1, \"updated_ms\": 1}]}]",
     NULL, PROTO_ERANGE, "FEED.suggestions[0].kind"},
    {"standing rank 0",
     "[8, {\"cursor\": 1, \"standings\": [{\"week\": "
     "\"2026-W48\", \"staff_id\": \"s\", \"points\": -5, "
     "\"rank\": 0}]}]",
     NULL, PROTO_ERANGE, "FEED.standings[0].rank"},

    {"agenda decision group 0",
     "[13, {\"site\": \"futian\", \"week\": \"2026-W48\", "
     "\"generated_ms\": 1, \"decisions\": [{\"id\": \"k:1\", "
     "\"title\": \"t\", \"status\": \"new\", \"group\": 0, "
     "\"rank\": 1}]}]",
     NULL, PROTO_ERANGE, "AGENDA.decisions[0].group"},
    {"agenda without site",
     "[13, {\"week\": \"2026-W48\", \"generated_ms\": 1}]", NULL,
     PROTO_EMISSING, "AGENDA.site"},
    {"agenda step without step_id",
     "[13, {\"site\": \"futian\", \"week\": \"2026-W48\", "
     "\"generated_ms\": 1, \"steps\": [{\"value_x100\": 100}]}]",
     NULL, PROTO_EMISSING, "AGENDA.steps[0].step_id"},
    {"agenda quality over 5",
     "[13, {\"site\": \"futian\", \"week\": \"2026-W48\", "
     "\"generated_ms\": 1, \"steps\": [{\"step_id\": \"s\", "
     "\"quality_x100\": 501}]}]",
     NULL, PROTO_ERANGE, "AGENDA.steps[0].quality_x100"},
    {"agenda negative value",
     "[13, {\"site\": \"futian\", \"week\": \"2026-W48\", "
     "\"generated_ms\": 1, \"people\": [{\"staff_id\": \"s\", "
     "\"value_x100\": -1}]}]",
     NULL, PROTO_ERANGE, "AGENDA.people[0].value_x100"},
    {"agenda request week wrong type", "[12, {\"week\": 48}]", NULL,
     PROTO_ETYPE, "AGENDA_REQ.week"},
    {"agenda request accepted", "[12, {}]", NULL, 0, ""},
    {"agenda exception name too long",
     "[13, {\"site\": \"futian\", \"week\": \"2026-W48\", "
     "\"generated_ms\": 1, \"exceptions\": [{\"kind\": \"no_checkins\", "
     "\"subject\": \"person\", \"id\": \"s\", \"name\": "
     "\"0123456789012345678901234567890123456789012345678901234567890123"
     "456789012345678901234567890123456\"}]}]",
     NULL, PROTO_ERANGE, "AGENDA.exceptions[0].name"},

    /* text */
    {"invalid UTF-8", PUSH(CHECKIN(MEAS ", \"note\": \"ok \\xff\"")), NULL,
     PROTO_EUTF8, "PUSH.events[0].note"},
    {"overlong UTF-8", PUSH(CHECKIN(MEAS ", \"note\": \"\\xc0\\xaf\"")), NULL,
     PROTO_EUTF8, "PUSH.events[0].note"},
    {"UTF-16 surrogate", PUSH(CHECKIN(MEAS ", \"note\": \"\\xed\\xa0\\x80\"")),
     NULL, PROTO_EUTF8, "PUSH.events[0].note"},
    {"NUL inside a string",
     "[1, {\"version\": 1, \"kiosk_id\": \"k\\x000\", " HELLO_REST "}]", NULL,
     PROTO_EUTF8, "HELLO.kiosk_id"},
    {"invalid UTF-8 measure key",
     PUSH(CHECKIN("\"measures\": {\"\\xe5\\xa4\": 1}")), NULL, PROTO_EUTF8,
     "PUSH.events[0].measures"},
    {"Chinese text accepted",
     PUSH(SUGG("\"title\": \"外呼名单太旧\", \"body\": \"名单来源要更新\"")),
     NULL, 0, ""},
    {"empty title", PUSH(SUGG("\"title\": \"\"")), NULL, PROTO_ERANGE,
     "PUSH.events[0].title"},
};

#endif
