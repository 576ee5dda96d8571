/* fake_clock: the wall clock or a pinned time (see fake_clock.h). */
#include "fake_clock.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic int64_t pinned_ms = -1; /* -1: not pinned */

int64_t fake_clock_now(void) {
    int64_t p = atomic_load(&pinned_ms);
    if (p >= 0) return p;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fake_clock_pinned(void) { return atomic_load(&pinned_ms) >= 0; }

void fake_clock_pin(int64_t ms) { atomic_store(&pinned_ms, ms < 0 ? 0 : ms); }

void fake_clock_unpin(void) { atomic_store(&pinned_ms, -1); }
