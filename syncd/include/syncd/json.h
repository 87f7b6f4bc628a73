/*
 * json.h — a small JSON writer and reader for the admin endpoint.
 *
 * The daemon answers admin requests (status, kiosks, enrol ...) with JSON
 * text; syncctl reads it back to print tables. Both needs are small and
 * flat, so this is a few hundred lines rather than a dependency.
 *
 * Writer: calls append to a growing buffer and place commas themselves.
 * Errors are sticky: after the first failure (out of memory, nesting
 * deeper than SYNCD_JSON_MAX_DEPTH, a value where a key is due) every
 * later call does nothing, and syncd_json_take() reports the error, so a
 * caller checks once at the end.
 *
 * Reader: syncd_json_parse() builds a tree the caller owns and releases
 * with syncd_json_value_destroy(). Look-ups on a NULL value or a value of
 * the wrong type return NULL or the given default, so a chain of
 * look-ups needs one check at the end.
 */
#ifndef SYNCD_JSON_H
#define SYNCD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYNCD_JSON_MAX_DEPTH 32

/* ---- Writer */
typedef struct syncd_json syncd_json_t;

syncd_json_t *syncd_json_new(void);
void syncd_json_destroy(syncd_json_t **self_p);

void syncd_json_object_begin(syncd_json_t *self);
void syncd_json_object_end(syncd_json_t *self);
void syncd_json_array_begin(syncd_json_t *self);
void syncd_json_array_end(syncd_json_t *self);
/* Inside an object: the next member's name. */
void syncd_json_key(syncd_json_t *self, const char *key);
void syncd_json_string(syncd_json_t *self, const char *s); /* NULL: null */
void syncd_json_int(syncd_json_t *self, int64_t v);
void syncd_json_uint(syncd_json_t *self, uint64_t v);
void syncd_json_double(syncd_json_t *self, double v); /* non-finite: null */
void syncd_json_bool(syncd_json_t *self, bool v);
void syncd_json_null(syncd_json_t *self);

/* Receives the escaped text of syncd_json_escape() piece by piece. */
typedef void syncd_json_sink_fn(void *ctx, const char *bytes, size_t n);

/* Writes s as a JSON string, quotes included, through sink: '"', '\\',
 * \n, \r and \t get their two-character escapes, other bytes below 0x20
 * \u00XX, and every other byte (UTF-8 included) stays as it is. short_bf
 * writes \b and \f short too: the store's exports always have, the admin
 * replies never have (\u0008, \u000c), and each keeps its bytes. */
void syncd_json_escape(const char *s, bool short_bf, syncd_json_sink_fn *sink,
                       void *ctx);

/* 0, or the first error (PROTO_ENOMEM, PROTO_EINVAL) met so far. */
int syncd_json_error(const syncd_json_t *self);

/* Hands over the text (NUL-terminated; *len without the NUL) and resets
 * the writer. Fails with the sticky error, or PROTO_EINVAL when a
 * container is still open; *out is then NULL. Caller free()s *out. */
int syncd_json_take(syncd_json_t *self, char **out, size_t *len);

/* ---- Reader */
typedef enum {
    SYNCD_JSON_NULL = 0,
    SYNCD_JSON_BOOL,
    SYNCD_JSON_NUMBER,
    SYNCD_JSON_STRING,
    SYNCD_JSON_ARRAY,
    SYNCD_JSON_OBJECT,
} syncd_json_type_t;

typedef struct syncd_json_value syncd_json_value_t;

/* Parses exactly one JSON value (surrounding white space allowed). NULL on
 * failure with "what at line L column C" in err. */
syncd_json_value_t *syncd_json_parse(const char *text, size_t len, char *err,
                                     size_t err_len);
void syncd_json_value_destroy(syncd_json_value_t **self_p);

syncd_json_type_t syncd_json_type(const syncd_json_value_t *v);
/* Object member by name, or NULL (also when v is not an object). */
const syncd_json_value_t *syncd_json_get(const syncd_json_value_t *v,
                                         const char *key);
/* Elements of an array or members of an object; 0 for anything else. */
size_t syncd_json_count(const syncd_json_value_t *v);
const syncd_json_value_t *syncd_json_at(const syncd_json_value_t *v, size_t i);
/* The string, or NULL when v is not a string. */
const char *syncd_json_as_str(const syncd_json_value_t *v);
/* Numbers: the value, or dflt when v is not a number. Integers written
 * without fraction or exponent keep all 64 bits. */
int64_t syncd_json_as_int(const syncd_json_value_t *v, int64_t dflt);
double syncd_json_as_num(const syncd_json_value_t *v, double dflt);
bool syncd_json_as_bool(const syncd_json_value_t *v, bool dflt);

#ifdef __cplusplus
}
#endif
#endif
