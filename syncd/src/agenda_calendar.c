/*
 * agenda_calendar.c — ISO weeks and day arithmetic on "YYYY-MM-DD" dates.
 *
 * The agenda, the FEED standings and the effect review all speak in ISO
 * weeks of site-local days. The days were fixed in the site's time zone at
 * ingest, so this is plain proleptic-Gregorian arithmetic on day numbers
 * (days since 1970-01-01), with no TZ switching and no libc time zone state.
 */
#include <stdio.h>
#include <string.h>

#include "protocol/protocol.h"
#include "syncd/agenda.h"

/* Days since 1970-01-01 of y-m-d (Howard Hinnant's days_from_civil). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long)yoe + era * 400 + (*m <= 2);
}

/* Parses a real calendar date; 0 or PROTO_EINVAL. */
static int parse_day(const char *day, long *days)
{
    int y, m, d, n = 0;
    if (!day || strlen(day) != 10 ||
        sscanf(day, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return PROTO_EINVAL;
    long z = days_from_civil(y, (unsigned)m, (unsigned)d);
    long yy;
    unsigned mm, dd;
    civil_from_days(z, &yy, &mm, &dd);
    if (yy != y || (int)mm != m || (int)dd != d)
        return PROTO_EINVAL; /* 2026-02-30 */
    *days = z;
    return 0;
}

static void format_day(long z, char out[11])
{
    long y;
    unsigned m, d;
    char tmp[48];
    civil_from_days(z, &y, &m, &d);
    /* years stay within 0000..9999: parse_day only reads four digits */
    snprintf(tmp, sizeof tmp, "%04ld-%02u-%02u", y, m, d);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

/* 0 = Monday ... 6 = Sunday; 1970-01-01 was a Thursday. */
static int weekday(long z)
{
    long w = (z + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* The Monday of ISO week 1 of year y. */
static long week1_monday(long y)
{
    long jan4 = days_from_civil(y, 1, 4);
    return jan4 - weekday(jan4);
}

int syncd_iso_week(const char *day, char week[16])
{
    long z;
    if (parse_day(day, &z) != 0)
        return PROTO_EINVAL;
    long thursday = z - weekday(z) + 3;
    long y;
    unsigned m, d;
    civil_from_days(thursday, &y, &m, &d);
    long w = (thursday - week1_monday(y)) / 7 + 1;
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%04ld-W%02ld", y, w);
    snprintf(week, 16, "%.15s", tmp);
    return 0;
}

int syncd_week_days(const char *week, char monday[11], char sunday[11])
{
    int y, w, n = 0;
    if (!week || strlen(week) != 8 ||
        sscanf(week, "%4d-W%2d%n", &y, &w, &n) != 2 || n != 8 || w < 1 ||
        w > 53)
        return PROTO_EINVAL;
    long mon = week1_monday(y) + (long)(w - 1) * 7;
    char check[16];
    format_day(mon, monday);
    if (syncd_iso_week(monday, check) != 0 || strcmp(check, week) != 0)
        return PROTO_EINVAL; /* week 53 of a 52-week year */
    format_day(mon + 6, sunday);
    return 0;
}

int syncd_day_add(const char *day, int n, char out[11])
{
    long z;
    if (parse_day(day, &z) != 0)
        return PROTO_EINVAL;
    format_day(z + n, out);
    return 0;
}
