/*
 * log.h — syncd's one log format, on stderr:
 *
 *   2026-11-27T19:00:00.123Z INFO  syncd: batch stored kiosk=k01 n=12 ...
 *
 * One line per record (newlines in a message become spaces), UTC time with
 * milliseconds, the level padded to five characters, then a sentence and
 * key=value pairs. journald and grep both read it without help.
 */
#ifndef SYNCD_LOG_H
#define SYNCD_LOG_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SYNCD_LOG_DEBUG = 0,
    SYNCD_LOG_INFO,
    SYNCD_LOG_WARN,
    SYNCD_LOG_ERROR,
} syncd_log_level_t;

/* "debug", "info", "warn" (or "warning"), "error" -> level. 0, or
 * PROTO_EINVAL for any other word. */
int syncd_log_level_parse(const char *word, syncd_log_level_t *out);
const char *syncd_log_level_name(syncd_log_level_t level); /* "info" */

/* Records below level are dropped. Default: info. */
void syncd_log_set_level(syncd_log_level_t level);
syncd_log_level_t syncd_log_get_level(void);

/* Where records go; NULL restores stderr. Tests point it at a temp file
 * to assert on log lines. The stream is not closed by the logger. */
void syncd_log_set_stream(FILE *stream);

void syncd_log(syncd_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A value fit for key=value: returned as is when it has no space, quote,
 * '=' or control character, else double-quoted with \" and \\ escaped and
 * control characters shown as \n or \xNN. Writes into buf (truncated to
 * len) and returns buf, or s itself when no quoting was needed. */
const char *syncd_log_quote(const char *s, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
