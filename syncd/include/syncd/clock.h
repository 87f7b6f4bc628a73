/*
 * clock.h — the daemon's notion of "now", injectable.
 *
 * Everything syncd stamps (server_time_ms in WELCOME and PONG, last-seen
 * times, clock-skew estimates) and every session-idle decision reads the
 * clock given to syncd_server_new(), so a test can move time forward
 * without sleeping. syncd_clock_wall_ms is the real one.
 */
#ifndef SYNCD_CLOCK_H
#define SYNCD_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returns milliseconds since the Unix epoch. ctx is the pointer given
 * along with the function. */
typedef int64_t (*syncd_clock_fn)(void *ctx);

/* The real wall clock (CLOCK_REALTIME); ctx is ignored. */
int64_t syncd_clock_wall_ms(void *ctx);

/* A monotonic millisecond counter for timeouts that must not jump with
 * the wall clock. Its zero is arbitrary. */
int64_t syncd_clock_mono_ms(void);

/* Formats ms since the epoch as "2026-11-27T11:00:00.123Z" (UTC) into
 * buf (at least 25 bytes); returns buf. 0 gives "". */
const char *syncd_clock_iso(int64_t ms, char *buf, unsigned long len);

#ifdef __cplusplus
}
#endif
#endif
