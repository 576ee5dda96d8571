/* sim_record: the record of a simulated run (issue 12 item 3, a start):
 * the account after every step, and the files written at the end.
 *
 * Contract: sim_record_point() reads the account after a step through the
 * exchange table, as the trader reads it (the USDT wallet, the open
 * positions' unrealised PnL at the price now). sim_record_write() puts
 * four objects at the root of out (a file store on runs/<run id>):
 *  - equity.csv: time (ISO 8601 UTC), wallet, unrealized_pnl, equity,
 *    drawdown, drawdown_pct: one row a step, oldest first;
 *  - trades.csv: the trade journal as /api/trades renders it (its columns,
 *    newest first, at most JOURNAL_LIMIT_MAX rows: the summary's
 *    trades_csv_truncated is true when it holds that many, as there may
 *    be more);
 *  - summary.json: the period and symbols, the configuration's hash, runs,
 *    entries and fills, start and end equity, the end wallet, the income by
 *    type (gross PnL = realised, fees, funding, insurance clear) and their
 *    net, the open positions' unrealised PnL, the maximum drawdown in money
 *    and percent of the peak, liquidations and the funding coverage per
 *    symbol; and the round trips (a position from flat back to flat, from
 *    the exchange's fills: its net = realised PnL - fees of its fills;
 *    one that reverses through flat ends there and the rest opens the next):
 *    closed trades, wins, losses, win rate, profit factor (wins' sum over
 *    losses'), average R (net / RISK_USDT), the longest losing streak, the
 *    closed ones' net and the open one's so far (together gross PnL -
 *    fees); exposure (the share of steps with a position);
 *    Sharpe and Sortino of the daily returns (equity at each UTC day's last
 *    step), annualised with sqrt(365), null with fewer than two returns or
 *    no spread. The numbers agree: end_equity = start_equity + net_pnl +
 *    unrealized_pnl (the exchange books every change of the wallet as
 *    income). It holds nothing that differs between two runs of the same
 *    configuration and data (no run id, no wall time), so it is the same
 *    bytes twice. Money is printed with 8 decimals.
 *  - report.html: the equity and the drawdown after every run as SVG
 *    charts (platform/svg: no JavaScript, it opens from the disk) and the
 *    summary's plain fields as a table.
 * sim_record_write_inputs() puts the run's inputs beside them:
 *  - config.json: config_hash and strategy_hash (pipelines/audit.h), the
 *    build version, "variables" (every setting the hash covers, by name, as
 *    loaded: pl_config_each, so never a key, token or credential),
 *    "strategy_variables" (the names the strategy hash covers) and
 *    "backtest" (data folder, symbols, period, step, start balance, the
 *    assumed funding rate or null, the predictor run and the mode taken);
 *  - manifest.json: every data file read (exchangeInfo.json, the kline
 *    files of sim_load_intervals that exist, the funding file) as
 *    history_fetch lists them (path, sha256, bytes, rows, span, gaps), the
 *    coverage per symbol and timeframe (rows, first and last, gap_count),
 *    how gaps are handled, and the funding coverage (the assumed rate, and
 *    per symbol the 8 h boundaries paid from the history, at the assumed
 *    rate, and missing while holding or flat).
 * Returns 0, or -1 with one line in err for the first object that could
 * not be written. */
#ifndef PL_SIM_RECORD_H
#define PL_SIM_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "pipelines/sim_run.h"
#include "services/exchange.h"
#include "services/sim_exchange.h"
#include "store/store.h"

typedef struct sim_point {
    int64_t t;
    double wallet, unrealized;
    int open; /* positions open */
} sim_point;

typedef struct sim_record {
    sim_point *v;
    size_t n, cap;
} sim_record;

typedef struct sim_record_meta {
    const char *const *symbols;
    size_t n;
    int64_t from_ms, to_ms, step_ms;
    const char *config_hash;
    double risk_usdt; /* RISK_USDT: what one R is */
    /* the run's inputs, for sim_record_write_inputs() */
    const cfg *cfg;       /* the configuration as loaded */
    const char *data_dir; /* the history folder (history.h's layout) */
    double balance;       /* the wallet at the start */
    int assume_funding;   /* boundaries without a row paid at assumed_rate */
    double assumed_rate;
} sim_record_meta;

void sim_record_point(sim_record *r, exchange *ex, int64_t t);
void sim_record_free(sim_record *r);

int sim_record_write(store *out, store *journal, const sim_record *r, const sim_exchange *sim,
                     const sim_run_stats *st, const sim_record_meta *meta, dstr *err);
int sim_record_write_inputs(store *out, const sim_exchange *sim, const sim_record_meta *meta,
                            dstr *err);

#endif
