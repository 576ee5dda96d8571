/* sim_run: the trader's own run (trader_run: reconcile, snapshot, predictor,
 * decision, risk manager, sizing, bracket, journal) stepped over a period on
 * the simulated exchange (services/sim_exchange.h), on its clock: the
 * backtest's engine, with no second implementation of any rule.
 *
 * Contract: at every step time t (from_ms, from_ms + step_ms, ... while
 * <= to_ms) the exchange's clock is advanced to t (the path of the candles
 * that closed by then is walked: legs fire, funding is booked), then ONE
 * trader_run for the symbols, with a pl_env whose exchange and clock are
 * the simulated exchange's, whose predictor is the built-in model (a
 * language model's answers about past prices are no fair test), whose
 * journal is the caller's store and whose configuration is the caller's
 * with EXECUTE_TRADES on (the copy only: what the account does is the
 * point). The run is a scheduled one: trigger "schedule", trigger id the
 * slot's UTC time, run id "sim-<t>". No deadline (the store's deadline
 * is the wall clock's, which a simulated run is not on). The journal's
 * clock (store_set_clock) is the simulated one while it runs, so its
 * newest-first readers start from the simulated day.
 * With paper, the same runs go through paper trading's exchange: the
 * account is derived from the journal's ledger at every run and sim is
 * only the market (a test of paper trading against the backtest).
 * Tallies what the runs did; each step's result is also handed to on_step
 * (NULL: none) before it is freed. */
#ifndef PL_SIM_RUN_H
#define PL_SIM_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "platform/config.h"
#include "pipelines/trader.h"
#include "services/sim_exchange.h"
#include "store/store.h"

#define SIM_RUN_DEFAULT_STEP_MS (5LL * 60 * 1000)

typedef struct sim_run_spec {
    const cfg *cfg; /* the trader's configuration */
    sim_exchange *sim;
    exchange *via; /* NULL: the trader uses sim's table; else this one, which must pass
                      every call on to it (a test's recorder of what was sent) */
    store *journal;
    const char *const *symbols;
    size_t n;
    int64_t from_ms, to_ms, step_ms; /* step_ms <= 0: 5 minutes */
    /* 1: the trader trades on a paper exchange (services/paper_exchange.h)
     * whose market is sim, its account in journal, as EXECUTE_TRADES=paper
     * does on Binance's market; 0: on sim itself */
    int paper;
    void (*on_step)(void *ctx, int64_t t, const trader_result *r);
    void *ctx;
} sim_run_spec;

typedef struct sim_run_stats {
    size_t steps;
    size_t decisions;   /* LONG or SHORT and risk_ok */
    size_t executed;    /* symbols that reached the bracket */
    size_t outcomes[4]; /* runs by outcome: ok, partial, alert, other */
} sim_run_stats;

void sim_run(const sim_run_spec *spec, sim_run_stats *out);

/* The request of the run at step t (what a scheduled live run at t is
 * given): trigger "schedule", trigger id the slot (UTC, ISO 8601) written
 * to slot, run id "sim-<t>" to run_id; both must outlive the request. */
trader_request sim_run_request(const sim_run_spec *spec, int64_t t, char slot[32], char run_id[32]);

#endif
