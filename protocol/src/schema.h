/*
 * schema.h — the private description of the wire protocol (see schema.c).
 *
 * The schema is data: every message type and every event type is a list of
 * fields, each naming its wire key, its wire type, the C member it lives in,
 * its bounds and whether it is required. The codec (codec.c), the deep
 * helpers (clear, copy), the documentation tool (tool_schema_doc.c) and the
 * round-trip tests walk these tables, so a new field is one table line.
 *
 * This header is private to the protocol library and its tests; the public
 * contract is protocol.h.
 */
#ifndef PROTOCOL_SCHEMA_H
#define PROTOCOL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/protocol.h"

/* Wire types of a field. */
typedef enum {
    SCHEMA_UINT,     /* unsigned integer, C size 1/2/4/8 */
    SCHEMA_INT,      /* signed integer, C size 1/2/4/8 */
    SCHEMA_BOOL,     /* msgpack bool into a C bool */
    SCHEMA_STR,      /* str into a char[max + 1] member */
    SCHEMA_HSTR,     /* str into a heap char * (NUL-terminated) */
    SCHEMA_LSTR,     /* str into a heap char * plus a size_t length */
    SCHEMA_ENUM,     /* str naming a C enum value (int-sized member) */
    SCHEMA_MEASURES, /* map str -> number into proto_measure_t[] + count */
    SCHEMA_ARGS,     /* map str -> str into heap proto_arg_t * + count */
    SCHEMA_ARRAY,    /* array of maps into heap struct array + count */
    SCHEMA_EVENTS,   /* array of event maps into heap proto_event_t * */
} schema_type_t;

/* The names of an enum carried as a string; names[v] is the wire name of
 * C value v, names[0] is NULL (0 is "not set" for every enum). */
typedef struct {
    const char *const *names;
    int count; /* valid values are 1 .. count - 1 */
} schema_enum_t;

struct schema_struct;

typedef struct {
    const char *key; /* wire key */
    schema_type_t type;
    bool required;
    uint8_t size;      /* C size of an integer, bool or enum member */
    size_t offset;     /* the member, from the start of the C struct */
    size_t aux_offset; /* element count (uint32_t) or length (size_t) */
    /* Bounds. INT: imin..imax. UINT: umin..umax. Strings: byte length
     * umin..umax. Containers: element count umin..umax. An optional field
     * holding its zero value is absent; a present one obeys the bounds. */
    int64_t imin, imax;
    uint64_t umin, umax;
    const schema_enum_t *names;       /* ENUM */
    const struct schema_struct *elem; /* ARRAY element */
    size_t elem_size;                 /* ARRAY element C size */
    const char *doc;                  /* one line for docs/PROTOCOL.md */
} schema_field_t;

typedef struct schema_struct {
    const char *name; /* "HELLO", "checkin", "reject" */
    const schema_field_t *fields;
    size_t n_fields;
    const char *doc; /* a paragraph for docs/PROTOCOL.md */
} schema_struct_t;

/* A message type: id, name, body and which way it travels. */
typedef struct {
    int id;
    const char *direction; /* "kiosk → server", ... */
    schema_struct_t body;
} schema_msg_t;

/* An event type: the "type" name, and the fields added to the common
 * ones (schema_event_common). */
typedef struct {
    int type;
    schema_struct_t body;
} schema_event_t;

/* A documented limit (the PROTO_* constants of protocol.h). */
typedef struct {
    const char *name;
    uint64_t value;
    const char *unit;
    const char *doc;
} schema_limit_t;

/* Most keys any map (a body, an event, a list element) may carry, known or
 * not. Keeps duplicate-key detection cheap on hostile input. */
#define SCHEMA_MAX_KEYS PROTO_MAX_KEYS

/* Length of a length-carrying string (LSTR, admin argument value): a zero
 * length with a non-NULL pointer means "NUL-terminated", so that callers
 * may set only the pointer. */
static inline size_t schema_lstr_len(const char *p, size_t n)
{
    return (p && n == 0) ? strlen(p) : n;
}

extern const schema_msg_t schema_msgs[];
extern const size_t schema_n_msgs;
extern const schema_struct_t schema_event_common;
extern const schema_event_t schema_events[];
extern const size_t schema_n_events;
extern const schema_limit_t schema_limits[];
extern const size_t schema_n_limits;
extern const schema_enum_t schema_kind_names;

/* Look-ups; NULL when unknown. */
const schema_msg_t *schema_msg(int id);
const schema_event_t *schema_event(int type);
const schema_event_t *schema_event_by_name(const char *name, size_t len);

/* Unsigned / signed / bool member access by the field's C size. */
uint64_t schema_get_uint(const void *base, const schema_field_t *f);
int64_t schema_get_int(const void *base, const schema_field_t *f);
void schema_set_uint(void *base, const schema_field_t *f, uint64_t v);
void schema_set_int(void *base, const schema_field_t *f, int64_t v);

/* Frees the heap parts that the fields of s own inside base, recursively,
 * and zeroes those members. Leaves other members untouched. */
void schema_clear_fields(void *base, const schema_struct_t *s);
/* Deep-copies the heap parts of s from src into dst, where dst already
 * holds a shallow copy (memcpy) of src. 0 or PROTO_ENOMEM; on failure dst
 * owns only what was copied and can be cleared with schema_clear_fields. */
int schema_copy_fields(void *dst, const void *src, const schema_struct_t *s);

#endif
