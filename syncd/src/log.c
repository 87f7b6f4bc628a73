/*
 * log.c — the one log format of syncd (see log.h).
 *
 * Each record is formatted into one buffer and written with one fwrite, so
 * that lines from the daemon never interleave half-way even when stderr is
 * a pipe shared with other writers (systemd's journal, a test harness).
 */
#include "syncd/log.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "protocol/protocol.h"

static syncd_log_level_t g_level = SYNCD_LOG_INFO;
static FILE *g_stream; /* NULL = stderr */

static const char *const level_words[] = {"debug", "info", "warn", "error"};
static const char *const level_tags[] = {"DEBUG", "INFO", "WARN", "ERROR"};

int syncd_log_level_parse(const char *word, syncd_log_level_t *out)
{
    if (!word)
        return PROTO_EINVAL;
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(word, level_words[i]) == 0) {
            *out = (syncd_log_level_t)i;
            return 0;
        }
    }
    if (strcasecmp(word, "warning") == 0) {
        *out = SYNCD_LOG_WARN;
        return 0;
    }
    return PROTO_EINVAL;
}

const char *syncd_log_level_name(syncd_log_level_t level)
{
    if ((int)level < 0 || level > SYNCD_LOG_ERROR)
        return "?";
    return level_words[level];
}

void syncd_log_set_level(syncd_log_level_t level)
{
    g_level = level;
}

syncd_log_level_t syncd_log_get_level(void)
{
    return g_level;
}

void syncd_log_set_stream(FILE *stream)
{
    g_stream = stream;
}

void syncd_log(syncd_log_level_t level, const char *fmt, ...)
{
    if (level < g_level || level > SYNCD_LOG_ERROR)
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(
        line, sizeof line,
        "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s syncd: ", tm.tm_year + 1900,
        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
        ts.tv_nsec / 1000000L, level_tags[level]);
    if (n < 0)
        return;
    size_t head = (size_t)n;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + head, sizeof line - head - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t len = head + (size_t)m;
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* truncated: still one line */
    /* One record, one line: a newline inside a message would let a
     * client-supplied text forge a log record. */
    for (size_t i = head; i < len; i++) {
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    }
    line[len++] = '\n';
    FILE *out = g_stream ? g_stream : stderr;
    if (fwrite(line, 1, len, out) == len)
        (void)fflush(out);
}

const char *syncd_log_quote(const char *s, char *buf, size_t len)
{
    if (!s)
        return "\"\"";
    bool plain = s[0] != '\0';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f) {
            plain = false;
            break;
        }
    }
    if (plain || len < 3)
        return plain ? s : "\"\"";
    size_t o = 0;
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[5];
        size_t el;
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            el = 2;
        } else if (*p == '\n') {
            memcpy(esc, "\\n", 2);
            el = 2;
        } else if (*p < ' ' || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", *p);
            el = 4;
        } else {
            esc[0] = (char)*p;
            el = 1;
        }
        if (o + el + 2 > len)
            break;
        memcpy(buf + o, esc, el);
        o += el;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}
