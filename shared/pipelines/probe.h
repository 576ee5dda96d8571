/* probe: the gate before going live (issue 12 item 6). A backtest of the
 * configuration's strategy (pipelines/audit.h, pl_strategy_hash) run with
 * --probe is judged and recorded in the live journal
 * (services/journal_probe.h); with LIVE_REQUIRES_PROBE=true the trader's
 * init refuses EXECUTE_TRADES=true unless the newest probe of its strategy
 * is ready and no older than PROBE_MAX_AGE_DAYS.
 *
 * Contract: pl_probe_judge() is ready (1) when the run's maximum drawdown
 * is at most PROBE_MAX_DRAWDOWN_PCT and it closed at least
 * PROBE_MIN_TRADES trades; why gets the figures against the limits either
 * way (the first failed limit first). pl_probe_gate() answers 0 when
 * execution may start: the gate is off (LIVE_REQUIRES_PROBE false), the
 * mode is not EXECUTE_TRADES=true, or the journal's newest probe of the
 * strategy hash is ready, at most PROBE_MAX_AGE_DAYS old at now_ms, and its
 * figures are within the limits of the configuration asking (they are no
 * part of the strategy hash: a probe judged under looser limits does not
 * pass stricter ones);
 * else -1 with one line in err naming what is missing (no probe of this
 * strategy hash, its age, its "why", or the journal that could not be read:
 * an unreadable journal never passes). pl_probe_init_check() is the
 * trader's init hook (frame/api.h): the gate over the configuration's
 * journal, opened only when the gate applies, its reads bounded by
 * PL_PROBE_INIT_BUDGET_MS. */
#ifndef PL_PROBE_H
#define PL_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/config.h"
#include "platform/dstr.h"
#include "pipelines/env.h"
#include "store/store.h"

#define PL_PROBE_INIT_BUDGET_MS 5000

int pl_probe_judge(const cfg *c, double max_drawdown_pct, long closed_trades, char *why,
                   size_t cap);
int pl_probe_gate(const cfg *c, store *journal, int64_t now_ms, dstr *err);
int pl_probe_init_check(const cfg *c, pl_resources *r, dstr *err);

#endif
