/* clock: wall and monotonic milliseconds, and pluggable clocks (see clock.h). */
#include "platform/clock.h"

static int64_t ms_of(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_wall_ms(void) { return ms_of(CLOCK_REALTIME); }
int64_t clock_mono_ms(void) { return ms_of(CLOCK_MONOTONIC); }

struct timespec clock_wall_ts(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts;
}

int64_t clock_now(const clock_src *src) {
    return src && src->now_ms ? src->now_ms(src->ctx) : clock_wall_ms();
}

int64_t clock_utc_ms(int year, int month, int day, int hour, int minute, int second) {
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        minute < 0 || minute > 59 || second < 0 || second > 60)
        return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = minute,
                    .tm_sec = second};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != day) return -1; /* normalised: no such day */
    return (int64_t)t * 1000;
}
