/*
 * clock.c — the real clocks behind clock.h. Kept apart so the daemon's
 * logic only ever sees the injected syncd_clock_fn.
 */
#include "syncd/clock.h"

#include <stdio.h>
#include <time.h>

int64_t syncd_clock_wall_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t syncd_clock_mono_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *syncd_clock_iso(int64_t ms, char *buf, unsigned long len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (ms <= 0)
        return buf;
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&s, &tm))
        return buf;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ms % 1000));
    return buf;
}
