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
