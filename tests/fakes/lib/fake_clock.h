/* fake_clock: the fakes' "now": the wall clock, or a time a test pinned.
 *
 * Contract: fake_clock_now() is the wall clock (unix ms) until a test pins
 * it (fake_binance's POST /__fake/time {"now_ms": T}); then it is T, frozen,
 * until it is pinned again or unpinned ({"now_ms": null}, /__fake/reset).
 * A pinned clock lets a test replay the market and the account as of a
 * chosen instant (the backtest-versus-live parity run steps it every 5
 * minutes of simulated time). Thread-safe. */
#ifndef FAKE_CLOCK_H
#define FAKE_CLOCK_H

#include <stdint.h>

int64_t fake_clock_now(void);
int fake_clock_pinned(void); /* 1 while pinned */
void fake_clock_pin(int64_t ms);
void fake_clock_unpin(void);

#endif
