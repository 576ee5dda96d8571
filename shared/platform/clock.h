/* clock: the one source of time for the whole library.
 *
 * clock_wall_ms() is unix epoch milliseconds (CLOCK_REALTIME): what records,
 * logs, signatures and Lambda deadlines are stated in. clock_mono_ms() never
 * steps (CLOCK_MONOTONIC): what timeouts and waits are measured on, so an NTP
 * step cannot stretch or cut one short.
 *
 * A clock_src lets code that decides by the time (pipelines, the backtest)
 * run on a simulated clock: clock_now(NULL) is the wall clock. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t clock_wall_ms(void);
int64_t clock_mono_ms(void);
/* The wall clock as a timespec (for formatting with nanoseconds). */
struct timespec clock_wall_ts(void);

typedef struct clock_src {
    int64_t (*now_ms)(void *ctx); /* unix epoch milliseconds */
    void *ctx;
} clock_src;

/* src's time, or the wall clock when src is NULL. */
int64_t clock_now(const clock_src *src);

/* A UTC calendar time as unix ms (second precision), or -1 when a field is
 * out of range or the day does not exist (31 February), or it is before 1970. */
int64_t clock_utc_ms(int year, int month, int day, int hour, int minute, int second);

#endif
