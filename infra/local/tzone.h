/* tzone: IANA time zones for schedule evaluation, read straight from the
 * system's TZif files (RFC 8536) instead of through TZ/localtime, because
 * setenv("TZ") is process-wide and not thread-safe in a server.
 *
 * Contract: tzone_load() reads $TZDIR/<name> (default /usr/share/zoneinfo);
 * "UTC" needs no file. Offsets after the file's last transition follow its
 * POSIX TZ footer rule (e.g. "CET-1CEST,M3.5.0,M10.5.0/3"), so far-future
 * dates are right. A loaded zone is immutable and safe to share between
 * threads. Also: proleptic Gregorian calendar helpers on day numbers
 * (days since 1970-01-01), used by the schedule code. */
#ifndef TZONE_H
#define TZONE_H

#include <stddef.h>
#include <stdint.h>

typedef struct tzone tzone;

/* NULL on failure, with the reason in err. */
tzone *tzone_load(const char *name, char *err, size_t errlen);
void tzone_free(tzone *z);
const char *tzone_name(const tzone *z);
/* UTC offset (seconds east) in force at instant t (epoch seconds). */
int32_t tzone_offset(const tzone *z, int64_t t);
/* *prev: the latest offset change at or before t (INT64_MIN if none);
 * *next: the earliest one after t (INT64_MAX if none). */
void tzone_transitions(const tzone *z, int64_t t, int64_t *prev, int64_t *next);

int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int tz_days_in_month(int64_t y, int m);
/* 0 = Sunday ... 6 = Saturday */
int tz_weekday(int64_t days);
int64_t tz_floor_div(int64_t a, int64_t b);

#endif
