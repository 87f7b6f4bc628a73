/*
 * protocol.h — the Stepwise wire protocol: messages, events, their codec.
 *
 * This is the one public header of the protocol library, shared by the
 * kiosk and the sync daemon. The schema (message ids, field names, types,
 * bounds, the protocol version) lives in one table in src/schema.c; the
 * generic codec in src/codec.c walks that table, and the reference tables
 * in docs/PROTOCOL.md are printed from it by `proto-schema-doc`.
 *
 * The codec works on bytes only. The ZeroMQ binding (proto_zmq.h) is a thin
 * separate layer.
 *
 * Wire form: every message is one msgpack array of two elements,
 *   [ message id (positive integer), body (map: string key -> value) ]
 * Unknown body keys are skipped (forward compatibility); unknown message
 * ids, wrong types, missing required keys and trailing bytes are errors.
 *
 * Ownership: proto_decode() fills a caller-provided proto_msg_t whose heap
 * parts (events, texts, lists) the caller releases with proto_msg_clear().
 * proto_encode() returns a buffer the caller owns and frees with
 * proto_free().
 */
#ifndef PROTOCOL_PROTOCOL_H
#define PROTOCOL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The protocol version this library speaks. A peer announces its version
 * in HELLO; the daemon answers WELCOME with min(its, theirs) when it
 * supports that version, or ERROR PROTO_EVERSION otherwise. Version 2
 * (same messages) lets a kiosk keep several PUSHes in flight: the daemon
 * refuses every later PUSH of a session after one fails, until the next
 * HELLO (docs/PROTOCOL.md 6.3, 8). */
#define PROTO_VERSION 2
#define PROTO_VERSION_MIN 1

/* ---- Limits (bytes unless said otherwise). Every one is enforced by the
 *      decoder and documented in docs/PROTOCOL.md. */
#define PROTO_MAX_FRAME (4u << 20)        /* kiosk socket frame */
#define PROTO_MAX_ADMIN_FRAME (16u << 20) /* admin socket frame */
#define PROTO_MAX_DEPTH 6                 /* container nesting */
#define PROTO_MAX_KEYS 64                 /* keys in one body/event map */
#define PROTO_MAX_OBJECTS (1u << 18)      /* msgpack objects in one frame */
#define PROTO_ID_MAX 64                   /* any identifier */
#define PROTO_KEY_MAX 32                  /* measure key, admin arg key, op */
#define PROTO_SHORT_MAX 64                /* app version, status, dates */
#define PROTO_NOTE_MAX 1000               /* check-in note */
#define PROTO_TITLE_MAX 200               /* suggestion title */
#define PROTO_BODY_MAX 4000               /* suggestion body, feedback */
#define PROTO_REASON_MAX 300              /* rejection reason, error text */
#define PROTO_CATALOGUE_MAX (2u << 20)    /* catalogue YAML text */
#define PROTO_ADMIN_VALUE_MAX (8u << 20)  /* one admin argument */
#define PROTO_ADMIN_TEXT_MAX (15u << 20)  /* admin reply text */
#define PROTO_MAX_BATCH 500               /* events in one PUSH */
#define PROTO_MAX_MEASURES 16             /* measures in one check-in */
#define PROTO_MAX_FEED 500                /* suggestions in one FEED */
#define PROTO_MAX_STANDINGS 500           /* leaderboard rows in one FEED */
#define PROTO_MAX_ADMIN_ARGS 32
#define PROTO_NAME_MAX 96        /* display name in an AGENDA row */
#define PROTO_MAX_AGENDA_ROWS 60 /* rows in each list of one AGENDA */

/* ---- Error codes: one X-macro gives the enum and proto_strerror(). All
 *      codes are negative; 0 is success. Values are part of the protocol
 *      (ERROR messages and rejections carry them) and never change. */
#define PROTO_ERRNO_MAP(X)                                                   \
    X(EINVAL, 1, "invalid argument")                                         \
    X(ENOMEM, 2, "out of memory")                                            \
    X(ETOOBIG, 3, "frame exceeds the size limit")                            \
    X(ETRUNCATED, 4, "message ends before its declared content")            \
    X(EMALFORMED, 5, "bytes are not valid msgpack")                          \
    X(ETYPE, 6, "a field has the wrong type")                                \
    X(ERANGE, 7, "a value is outside its allowed range")                     \
    X(EMISSING, 8, "a required field is missing")                            \
    X(ETRAILING, 9, "bytes follow the end of the message")                   \
    X(EUNKNOWNMSG, 10, "unknown message id")                                 \
    X(EUNKNOWNEVENT, 11, "unknown event type")                               \
    X(EDEPTH, 12, "containers are nested deeper than allowed")               \
    X(ECOUNT, 13, "a container holds more elements than allowed")            \
    X(EUTF8, 14, "a string is not valid UTF-8")                              \
    X(EDUPKEY, 15, "a map key appears twice")                                \
    X(EVERSION, 16, "unsupported protocol version")                          \
    X(ESTATE, 17, "message not allowed in this session state")              \
    X(EDENIED, 18, "not allowed for this key")                               \
    X(EREVOKED, 19, "this kiosk has been revoked")                           \
    X(ESTORE, 20, "the server could not store the batch; retry later")      \
    X(ENOTFOUND, 21, "no such object")                                       \
    X(EIO, 22, "input/output error")

typedef enum {
#define PROTO_ERRNO_ENUM(name, num, text) PROTO_##name = -(num),
    PROTO_ERRNO_MAP(PROTO_ERRNO_ENUM)
#undef PROTO_ERRNO_ENUM
} proto_errno_t;

/* Text for an error code (0 gives "success"; an unknown code gives
 * "unknown error"). Never NULL. */
const char *proto_strerror(int code);
/* Symbolic name of an error code, e.g. "ETRUNCATED". Never NULL. */
const char *proto_errname(int code);

/* ---- Per-event rejection codes (in ACK). Stable numbers. */
#define PROTO_REJECT_MAP(X)                                                  \
    X(KIOSK_MISMATCH, 1, "event claims another kiosk's id")                 \
    X(UNKNOWN_STAFF, 2, "no such staff member at this site")                \
    X(UNKNOWN_STEP, 3, "no such step in the catalogue version")             \
    X(UNKNOWN_MEASURE, 4, "the step has no such measure")                   \
    X(UNKNOWN_PROCESS, 5, "no such process")                                \
    X(UNKNOWN_SUGGESTION, 6, "no such suggestion")                          \
    X(OUT_OF_RANGE, 7, "a value is outside its allowed range")              \
    X(BAD_ORDER, 8, "sequence numbers in a batch must increase")            \
    X(INVALID, 9, "the event is not valid")

typedef enum {
#define PROTO_REJECT_ENUM(name, num, text) PROTO_REJECT_##name = (num),
    PROTO_REJECT_MAP(PROTO_REJECT_ENUM)
#undef PROTO_REJECT_ENUM
} proto_reject_code_t;

const char *proto_reject_name(int code); /* "UNKNOWN_STEP"; never NULL */

/* ---- Events: what a kiosk captures. One flat struct for all types; each
 *      type uses the fields listed in docs/PROTOCOL.md (schema.c). */
typedef enum {
    PROTO_EV_CHECKIN = 1,
    PROTO_EV_SUGGESTION = 2,
    PROTO_EV_VOTE = 3,
    PROTO_EV_RATING = 4,
} proto_event_type_t;

typedef enum {
    PROTO_KIND_PROBLEM = 1,
    PROTO_KIND_IDEA = 2,
} proto_suggestion_kind_t;

typedef struct {
    char key[PROTO_KEY_MAX + 1];
    double value; /* finite, >= 0 */
} proto_measure_t;

typedef struct {
    proto_event_type_t type;
    /* common to every event */
    char kiosk_id[PROTO_ID_MAX + 1];
    uint64_t seq;         /* 1, 2, 3 ... per kiosk, never reused */
    int64_t captured_ms;  /* kiosk wall clock, ms since Unix epoch */
    uint64_t boot_id;     /* random, new at every kiosk process start */
    uint64_t mono_ms;     /* monotonic ms since that start */
    /* checkin: staff who did the step; vote: voter; rating: staff served;
     * suggestion: author, "" when anonymous */
    char staff_id[PROTO_ID_MAX + 1];
    /* checkin (required); suggestion and rating (optional, "" = none) */
    char step_id[PROTO_ID_MAX + 1];
    /* suggestion (optional, "" = general) */
    char process_id[PROTO_ID_MAX + 1];
    /* checkin */
    uint64_t catalogue_version;
    uint32_t n_measures;
    proto_measure_t measures[PROTO_MAX_MEASURES];
    uint8_t quality; /* 0 = not given, else 1..5 */
    char *note;      /* optional, may be NULL */
    /* suggestion */
    bool anonymous;
    proto_suggestion_kind_t kind;
    char *title;
    char *body; /* may be NULL */
    /* vote */
    char suggestion_id[PROTO_ID_MAX + 1]; /* "<kiosk_id>:<seq>" */
    int8_t vote;                          /* +1, or 0 to withdraw */
    /* rating */
    uint8_t score; /* 1..5 */
} proto_event_t;

/* Frees an event's heap parts and zeroes it. Accepts NULL. */
void proto_event_clear(proto_event_t *ev);
/* Deep copy; dst must be clear. 0 or PROTO_ENOMEM. */
int proto_event_copy(proto_event_t *dst, const proto_event_t *src);
const char *proto_event_name(int type); /* "checkin"...; "?" if unknown */

/* ---- Lists carried by messages */
typedef struct {
    uint64_t seq;
    int32_t code; /* proto_reject_code_t */
    char *reason; /* readable: what and what to do */
} proto_reject_t;

typedef struct {
    char id[PROTO_ID_MAX + 1]; /* "<kiosk_id>:<seq>" */
    proto_suggestion_kind_t kind;
    char status[PROTO_SHORT_MAX + 1]; /* new, review, accepted, ... */
    char *title;
    char *body;                        /* may be NULL */
    char process_id[PROTO_ID_MAX + 1]; /* "" = general */
    char step_id[PROTO_ID_MAX + 1];
    char author_id[PROTO_ID_MAX + 1]; /* "" when anonymous */
    uint32_t votes;
    char owner_id[PROTO_ID_MAX + 1];  /* "" = none yet */
    char due[PROTO_SHORT_MAX + 1];    /* "YYYY-MM-DD" or "" */
    char *feedback;                   /* may be NULL */
    char merged_into[PROTO_ID_MAX + 1];
    int64_t created_ms;
    int64_t updated_ms;
} proto_suggestion_t;

typedef struct {
    char week[PROTO_SHORT_MAX + 1]; /* ISO week "2026-W48" */
    char staff_id[PROTO_ID_MAX + 1];
    char team_id[PROTO_ID_MAX + 1];
    int64_t points; /* whole points */
    uint32_t rank;  /* 1 = first */
} proto_standing_t;

typedef struct {
    char key[PROTO_KEY_MAX + 1];
    char *value;
    size_t value_len;
} proto_arg_t;

/* AGENDA rows (docs/PROTOCOL.md §6.11). Fractional figures travel as
 * scaled integers (x100: hundredths, x10: tenths), rounded as the agenda
 * shows them, so every reader prints the same number. */
typedef struct {
    char process_id[PROTO_ID_MAX + 1];
    char step_id[PROTO_ID_MAX + 1];
    char name[PROTO_NAME_MAX + 1];   /* zh name; "" when unknown */
    char measure[PROTO_KEY_MAX + 1]; /* primary measure; "" = none */
    int64_t value_x100;              /* Σ of the primary measure */
    int64_t target_x100;             /* 0 = no target */
    int32_t pct_x10;                 /* % of target, when there is one */
    char rag[PROTO_SHORT_MAX + 1];   /* "", green, amber, red */
    uint32_t people;                 /* staff with a check-in */
    uint32_t checkins;
    int64_t points_x10;
    uint32_t quality_x100; /* 0 = nobody gave one */
} proto_agenda_step_t;

typedef struct {
    char staff_id[PROTO_ID_MAX + 1];
    char team_id[PROTO_ID_MAX + 1];
    char name[PROTO_NAME_MAX + 1];
    uint32_t checkins;
    int64_t points_x10;
    int64_t value_x100, target_x100; /* over steps with a target */
    int32_t pct_x10;
    char rag[PROTO_SHORT_MAX + 1];
} proto_agenda_person_t;

typedef struct {
    char team_id[PROTO_ID_MAX + 1];
    char name[PROTO_NAME_MAX + 1];
    uint32_t members;
    int64_t points_x10;
} proto_agenda_team_t;

typedef struct {
    char kind[PROTO_KEY_MAX + 1];    /* below_target_2w, quality_drop,
                                        no_activity, no_checkins */
    char subject[PROTO_KEY_MAX + 1]; /* "step" or "person" */
    char id[PROTO_ID_MAX + 1];
    char name[PROTO_NAME_MAX + 1];
    int64_t now_x100, before_x100; /* % of target or quality; 0 = none */
} proto_agenda_exception_t;

typedef struct {
    char id[PROTO_ID_MAX + 1]; /* suggestion id */
    char *title;
    char status[PROTO_SHORT_MAX + 1];
    uint32_t votes;
    uint32_t group; /* 1, 2 ... in rank order; near-duplicates share it */
    uint32_t rank;  /* position inside the group; 1 = representative */
} proto_agenda_decision_t;

/* ---- Messages */
typedef enum {
    PROTO_MSG_HELLO = 1,
    PROTO_MSG_WELCOME = 2,
    PROTO_MSG_PUSH = 3,
    PROTO_MSG_ACK = 4,
    PROTO_MSG_CATALOGUE_REQ = 5,
    PROTO_MSG_CATALOGUE = 6,
    PROTO_MSG_FEED_REQ = 7,
    PROTO_MSG_FEED = 8,
    PROTO_MSG_PING = 9,
    PROTO_MSG_PONG = 10,
    PROTO_MSG_ERROR = 11,
    PROTO_MSG_AGENDA_REQ = 12,
    PROTO_MSG_AGENDA = 13,
    PROTO_MSG_ADMIN_REQ = 20,
    PROTO_MSG_ADMIN_REP = 21,
} proto_msg_type_t;

const char *proto_msg_name(int type); /* "HELLO"...; "?" if unknown */

typedef struct {
    proto_msg_type_t type;
    union {
        struct {
            uint32_t version;
            char kiosk_id[PROTO_ID_MAX + 1];
            char app_version[PROTO_SHORT_MAX + 1];
            uint64_t catalogue_version;
            uint64_t last_seq;        /* highest seq in the local store */
            uint64_t outbox_depth;    /* events not yet acked */
            uint64_t oldest_unsent_s; /* age of the oldest of them */
            int64_t kiosk_time_ms;
            uint64_t feed_cursor;
        } hello;
        struct {
            uint32_t version;
            uint64_t acked_seq; /* server's high-water mark for this kiosk */
            uint64_t catalogue_version;
            uint64_t feed_cursor;
            int64_t server_time_ms;
            uint32_t heartbeat_ms; /* kiosk sends PING at least this often */
        } welcome;
        struct {
            uint32_t n_events;
            proto_event_t *events;
        } push;
        struct {
            uint64_t acked_seq; /* cumulative */
            uint32_t n_rejects;
            proto_reject_t *rejects;
        } ack;
        struct {
            uint64_t have_version;
        } catalogue_req;
        struct {
            uint64_t version;
            bool unchanged; /* true: have_version is current, yaml NULL */
            char *yaml;
            size_t yaml_len;
        } catalogue;
        struct {
            uint64_t cursor;
            uint32_t max_items;
        } feed_req;
        struct {
            uint64_t cursor; /* pass back in the next FEED_REQ */
            bool more;       /* more items wait past this cursor */
            uint32_t n_suggestions;
            proto_suggestion_t *suggestions;
            uint32_t n_standings;
            proto_standing_t *standings;
        } feed;
        struct {
            uint64_t last_seq;
            uint64_t outbox_depth;
            uint64_t oldest_unsent_s;
            int64_t kiosk_time_ms;
        } ping;
        struct {
            int64_t server_time_ms;
            uint64_t acked_seq;
            uint64_t catalogue_version;
            uint64_t feed_cursor;
        } pong;
        struct {
            int32_t code; /* proto_errno_t */
            char *message;
        } error;
        struct {
            char week[PROTO_SHORT_MAX + 1]; /* "" = the current week */
        } agenda_req;
        struct {
            char site[PROTO_ID_MAX + 1];
            char week[PROTO_SHORT_MAX + 1];
            int64_t generated_ms;
            uint64_t catalogue_version;
            uint32_t roster, checked_in; /* check-in coverage */
            uint32_t omitted; /* rows left out of the lists (bounds) */
            uint32_t n_steps;
            proto_agenda_step_t *steps;
            uint32_t n_people;
            proto_agenda_person_t *people;
            uint32_t n_teams;
            proto_agenda_team_t *teams;
            uint32_t n_exceptions;
            proto_agenda_exception_t *exceptions;
            uint32_t n_decisions;
            proto_agenda_decision_t *decisions;
        } agenda;
        struct {
            char op[PROTO_KEY_MAX + 1];
            uint32_t n_args;
            proto_arg_t *args;
        } admin_req;
        struct {
            int32_t code; /* 0 or proto_errno_t */
            char *text;
            size_t text_len;
            /* a paged answer with more to come: pass it back as the
             * request's `after` ("" = the last page) */
            char next[PROTO_ID_MAX + 24];
        } admin_rep;
    } u;
} proto_msg_t;

/* Where decoding failed, for logs and ERROR replies: a path such as
 * "PUSH.events[3].measures" and the byte offset. */
typedef struct {
    char where[128];
    size_t offset;
} proto_diag_t;

/* Encodes msg. On success *out is a buffer of *out_len bytes that the
 * caller frees with proto_free(). Returns 0, PROTO_EINVAL (a field breaks
 * its bound: the encoder never emits what the decoder would refuse) or
 * PROTO_ENOMEM. */
int proto_encode(const proto_msg_t *msg, uint8_t **out, size_t *out_len);

/* A PUSH of n events joined from n one-event PUSHes as proto_encode wrote
 * them (a kiosk keeps each captured event so): each part's event is taken
 * byte for byte, not decoded and encoded again; the result is what
 * proto_encode gives for the PUSH of those n events (the parts' events
 * are as valid as they were when encoded). *out is freed with proto_free.
 * 0, PROTO_EINVAL (n over PROTO_MAX_BATCH, a part that is not a one-event
 * PUSH of this encoding, a result over PROTO_MAX_FRAME) or PROTO_ENOMEM. */
int proto_push_join(const uint8_t *const *parts, const size_t *lens, size_t n,
                    uint8_t **out, size_t *out_len);

/* Decodes one message of len bytes, refusing frames over max_frame
 * (0 means PROTO_MAX_FRAME; use PROTO_MAX_ADMIN_FRAME on the admin socket).
 * On success fills *msg (caller calls proto_msg_clear). On failure *msg is
 * left clear, diag (may be NULL) says where, and a negative code returns. */
int proto_decode(const uint8_t *buf, size_t len, size_t max_frame,
                 proto_msg_t *msg, proto_diag_t *diag);

/* Frees a message's heap parts and zeroes it. Accepts NULL. A message
 * built by hand must hold heap parts from proto_malloc/proto_strdup. */
void proto_msg_clear(proto_msg_t *msg);

/* Deep copy of a message; dst is overwritten (it must hold nothing the
 * caller still owns). 0, PROTO_EINVAL (unknown type) or PROTO_ENOMEM; on
 * failure dst is left clear. */
int proto_msg_copy(proto_msg_t *dst, const proto_msg_t *src);

/* Admin argument look-up: value or NULL. */
const char *proto_admin_arg(const proto_msg_t *msg, const char *key);
/* Appends an argument (copies key and value). 0, PROTO_EINVAL, PROTO_ENOMEM. */
int proto_admin_arg_add(proto_msg_t *msg, const char *key, const char *value);

/* ---- Allocator. Everything the library allocates goes through these,
 *      so tests can fail the Nth allocation. Set before any other call. */
typedef struct {
    void *(*malloc_fn)(size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
} proto_allocator_t;
void proto_set_allocator(const proto_allocator_t *a); /* NULL = libc */
void *proto_malloc(size_t n);
void *proto_realloc(void *p, size_t n);
void proto_free(void *p);
char *proto_strdup(const char *s);

/* UTF-8 check used by the decoder; exported for the kiosk's text entry. */
bool proto_utf8_valid(const char *s, size_t len);
/* The longest prefix of s (len bytes) of at most max bytes that does not
 * end inside a UTF-8 sequence: len when it fits. */
size_t proto_utf8_cut(const char *s, size_t len, size_t max);
/* Copies src ("" for NULL) into dst of cap bytes (cap > 0), cut on a
 * character boundary when it does not fit; always NUL-terminated. */
void proto_utf8_copy(char *dst, size_t cap, const char *src);

#ifdef __cplusplus
}
#endif
#endif
