/*
 * bench.c — the helpers every benchmark shares (see bench.h): clock,
 * fixed-seed numbers, output hashes, memory figures and the report line.
 */
#include "bench.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

double bench_now_s(void)
{
    return (double)bench_now_ns() / 1e9;
}

void bench_rng_seed(bench_rng_t *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t bench_rng_next(bench_rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t bench_rng_below(bench_rng_t *r, uint32_t n)
{
    return n ? (uint32_t)(bench_rng_next(r) % n) : 0;
}

uint64_t bench_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t bench_fnv_str(uint64_t h, const char *s)
{
    if (s == NULL)
        s = "";
    return bench_fnv(h, s, strlen(s) + 1);
}

uint64_t bench_fnv_u64(uint64_t h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return bench_fnv(h, b, sizeof b);
}

uint64_t bench_fnv_num(uint64_t h, double v)
{
    return bench_fnv_u64(h, (uint64_t)(int64_t)llround(v * 1e6));
}

static uint64_t status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t v = 0;
    size_t klen = strlen(key);
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0) {
            v = strtoull(line + klen, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

uint64_t bench_rss_kib(void)
{
    return status_kib("VmRSS:");
}

uint64_t bench_peak_rss_kib(void)
{
    return status_kib("VmHWM:");
}

int bench_tmpdir(const char *name, char *path, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(path, len, "%s/stepwise-bench-%s-XXXXXX",
                     tmp && *tmp ? tmp : "/tmp", name);
    if (n < 0 || (size_t)n >= len || mkdtemp(path) == NULL) {
        fprintf(stderr,
                "bench: cannot create a temporary directory for %s: "
                "%s; set TMPDIR to a writable directory\n",
                name, strerror(errno));
        return -1;
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void bench_rmtree(const char *path)
{
    if (path && *path && getenv("STEPWISE_BENCH_KEEP") == NULL)
        (void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void fmt_num(char *out, size_t len, double v)
{
    if (isnan(v))
        snprintf(out, len, "-");
    else if (fabs(v) >= 1000 || v == floor(v))
        snprintf(out, len, "%.0f", v);
    else if (fabs(v) >= 1)
        snprintf(out, len, "%.3g", v);
    else
        snprintf(out, len, "%.3g", v);
}

void bench_row(const char *id, const char *figure, double value,
               const char *unit, double baseline, const char *baseline_what,
               double ratio, const char *target, const char *status,
               uint64_t hash)
{
    char v[64], b[64], r[64], line[1024];
    if (isnan(ratio) && !isnan(value) && !isnan(baseline) && baseline != 0)
        ratio = value / baseline;
    fmt_num(v, sizeof v, value);
    fmt_num(b, sizeof b, baseline);
    if (isnan(ratio))
        snprintf(r, sizeof r, "-");
    else
        snprintf(r, sizeof r, "%.3g", ratio);
    snprintf(line, sizeof line,
             "BENCH\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%016llx\n", id, figure,
             v, unit, b, baseline_what ? baseline_what : "-", r,
             target ? target : "-", status, (unsigned long long)hash);
    fputs(line, stdout);
    fflush(stdout);
    const char *out = getenv("STEPWISE_BENCH_OUT");
    if (out && *out) {
        FILE *f = fopen(out, "a");
        if (f == NULL || fputs(line, f) < 0 || fclose(f) != 0)
            fprintf(stderr,
                    "bench: cannot append to %s (STEPWISE_BENCH_OUT): "
                    "%s\n",
                    out, strerror(errno));
    }
}

int bench_check_hash(const char *what, uint64_t got, uint64_t want)
{
    printf("# %s: hash %016llx, expected %016llx: %s\n", what,
           (unsigned long long)got, (unsigned long long)want,
           got == want ? "same" : "DIFFERENT");
    if (got == want)
        return 0;
    fprintf(stderr,
            "bench: %s: output hash %016llx differs from the expected "
            "%016llx; the measured path produced a wrong answer, the figure "
            "does not count\n",
            what, (unsigned long long)got, (unsigned long long)want);
    return -1;
}

bool bench_smoke(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--smoke") == 0)
            return true;
    return false;
}
