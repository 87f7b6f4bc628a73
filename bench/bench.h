/*
 * bench.h — what every Stepwise benchmark shares: a clock, fixed-seed
 * random numbers, FNV-1a output hashes, resident memory, and one way to
 * report a figure.
 *
 * Why one helper: every figure of `make bench` is a ratio against a
 * baseline measured in the same run, and both sides hash what they
 * produced (stored rows, decoded fields, drawn pixels). A program that
 * finds the two hashes differ, or differ from the hash of its input,
 * exits 1: a fast wrong answer must not pass, in the full run nor in the
 * smoke run of `make test`.
 *
 * A figure is one line of tab-separated fields (bench_row), printed and,
 * when $STEPWISE_BENCH_OUT names a file, appended to it; bench/report
 * turns those lines into the table and the JSON.
 */
#ifndef STEPWISE_BENCH_H
#define STEPWISE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_FNV_INIT 0xcbf29ce484222325ull

/* Monotonic time in nanoseconds and seconds. */
uint64_t bench_now_ns(void);
double bench_now_s(void);

/* Fixed-seed generator (splitmix64): the same seed gives the same run. */
typedef struct {
    uint64_t s;
} bench_rng_t;
void bench_rng_seed(bench_rng_t *r, uint64_t seed);
uint64_t bench_rng_next(bench_rng_t *r);
/* Uniform in [0, n). */
uint32_t bench_rng_below(bench_rng_t *r, uint32_t n);

/* FNV-1a over bytes, chained from h. Strings hash with their NUL so that
 * ("ab","c") and ("a","bc") differ. */
uint64_t bench_fnv(uint64_t h, const void *p, size_t n);
uint64_t bench_fnv_str(uint64_t h, const char *s); /* NULL hashes as "" */
uint64_t bench_fnv_u64(uint64_t h, uint64_t v);
/* Doubles hash through their value rounded to 1e-6, so 35 and 35.0
 * stored as integer or real hash alike. */
uint64_t bench_fnv_num(uint64_t h, double v);

/* Resident memory of this process now and at its peak, in KiB (from
 * /proc/self/status; 0 when unreadable). */
uint64_t bench_rss_kib(void);
uint64_t bench_peak_rss_kib(void);

/* A fresh directory under $TMPDIR (or /tmp) named stepwise-bench-NAME-*;
 * path gets it. 0 or -1. bench_rmtree removes it and all it holds. */
int bench_tmpdir(const char *name, char *path, size_t len);
void bench_rmtree(const char *path);

/* One figure. status: "pass", "miss", "info" (no target) or "check"
 * (a correctness line). value/baseline NAN when not applicable; ratio is
 * value/baseline unless given. Units are free text ("events/s", "ms").
 * The line: BENCH\tid\tfigure\tvalue\tunit\tbaseline\tbaseline_what\t
 *           ratio\ttarget\tstatus\thash */
void bench_row(const char *id, const char *figure, double value,
               const char *unit, double baseline, const char *baseline_what,
               double ratio, const char *target, const char *status,
               uint64_t hash);

/* Says that two hashes must be equal; prints both. Returns 0 or -1 (and
 * writes a readable line to stderr naming what differs). */
int bench_check_hash(const char *what, uint64_t got, uint64_t want);

/* True when argv holds --smoke (tiny sizes for `make test`). */
bool bench_smoke(int argc, char **argv);

#endif
