/* sim_exchange: a simulated Binance USD-M futures exchange behind the
 * exchange table (exchange.h), for the backtest and paper trading: the
 * trader's own code runs against it unchanged, on a simulated clock.
 *
 * Where it lives: in services, beside the Binance client it stands in for,
 * because it implements the exchange table and speaks its types (ex_order,
 * ex_algo_order, ex_result...), which are services'. It does no I/O itself
 * (history.h loads the files; sim_exchange_load() is the one call that
 * reads them) and never reads the wall clock: time moves only by
 * sim_advance(). The order rules are domain/symbol_rules' (sr_check_order),
 * the same checks sizing rounds for, answered with Binance's codes.
 *
 * The account: one USDT wallet, one-way positions (positionSide BOTH),
 * MARKET and LIMIT orders, STOP_MARKET / TAKE_PROFIT_MARKET algo orders
 * (quantity + reduceOnly, trigger on the mark), account settings (position
 * mode, margin type, leverage), fills (userTrades) and income
 * (REALIZED_PNL, COMMISSION, FUNDING_FEE, INSURANCE_CLEAR): every change of
 * the wallet is one income entry, so wallet = start + the sum of income.
 *
 * Prices. Each symbol's path is its path_ms candles (5m by default), walked
 * when sim_advance() passes their close; the mark is that path (no separate
 * mark-price klines are bundled: mark = last price). The price "now" is the
 * open of the candle forming at now, or the last close when none is (a gap
 * or the end of the data); before the first candle there is no price and
 * orders are refused (EX_UNAVAILABLE). Within a candle the path is open ->
 * the extreme against the position -> the other extreme -> close (long:
 * low first; short: high first; flat: the extreme nearer the open first),
 * so when a stop and a take-profit both lie inside one candle the stop is
 * taken first. When candles of a finer interval (e.g. 1m) tile the candle,
 * they are walked instead, and settle the order. The jump from the previous
 * close to the open is a gap: what it crosses fills at the open, as soon as
 * the clock reaches that open (the run at that time sees it done, as live).
 *
 * Fills. MARKET: at the price now, moved SLIPPAGE_BPS against the taker,
 * taker fee. LIMIT: rests, and fills at its price (or at a better open
 * after a gap) when the path reaches it, maker fee; one marketable when
 * placed fills at once like MARKET (capped at its price), taker fee. Algo
 * legs fire when the mark path reaches the trigger and fill as MARKET at the
 * trigger (or the gapped open) with slippage, taker fee; reduce-only fills
 * only what still reduces (nothing: the triggered order expires). Legs are
 * not linked: one firing leaves the other open, as on Binance (reconcile
 * must cancel it). A reduce-only leg is accepted without a position (no
 * margin check before the trigger, as Binance's algo service). Fees are FEE_TAKER / FEE_MAKER of the notional; amounts
 * booked are rounded to 1e-8 USDT, as Binance books them.
 *
 * Funding at every 8 h boundary (00:00, 08:00, 16:00 UTC) passed: position
 * x mark x rate, paid by longs when the rate is > 0, from the history row
 * within a minute of the boundary. A boundary without a row is never
 * silently 0: it is counted (sim_report: missing while holding a position,
 * and while flat) and nothing is booked, unless the configuration assumes a
 * rate (assume_funding): then that rate is paid and counted as assumed.
 *
 * Margin and liquidation (a simplification of Binance's tiers): initial
 * margin = notional / leverage; available = wallet - isolated margins -
 * crossed positions' margin at the mark + crossed unrealised PnL - open
 * LIMIT orders' margin; an order that opens more than available is -2019.
 * One maintenance-margin rate (maint_margin_rate, default 0.4 %) for every
 * size. A position is liquidated when the mark path reaches the price where
 * what backs it (ISOLATED: its margin; CROSSED: the wallet minus the other
 * positions' margin plus their unrealised PnL at their latest prices)
 * plus its unrealised PnL falls to the maintenance margin: it is closed
 * there (a fill, taker fee) and the rest of that backing is booked as
 * INSURANCE_CLEAR, so a liquidation loses exactly what backed the position
 * (and never more: a gap past the price costs the insurance fund, not the
 * wallet). Open LIMIT orders' margin, the tiers and the liquidation fee are
 * not modelled.
 *
 * Errors: the same codes and messages as Binance for the same mistakes:
 * -1121 unknown symbol, -4015 bad client id, -4116 duplicated open client
 * id, -1100 a malformed amount, -1111 more decimals than the step or tick,
 * -4003/-4004/-4005/-4023 quantity (<= 0, min, max, step), -4013/-4014/-4016
 * price, -4140 entry on a symbol not TRADING, -4164 min notional (not for
 * reduce-only), -2022 reduce-only with nothing to reduce, -2019 margin,
 * -2021 a leg that would trigger at once, -5022 a post-only (GTX) LIMIT that
 * would take, -4061 an order in Hedge mode, -2011 cancel / -2013 query of
 * an unknown order, -4046/-4059 (EX_OK), -4047/-4048, -4067/-4068, -4028,
 * -4161 for the set-up.
 * Reads answer like Binance's: positions with an amount or open orders,
 * open orders and algo orders of the symbols asked, userTrades since
 * since_ms (7 days, at most 1000 a symbol, oldest first), income since
 * since_ms (at most 1000).
 * Market data: candles of the loaded intervals, snapshots (5m 1h 4h 1d that
 * closed before now), a one-level book at the price now (the best bid the
 * price rounded down to the tick, the best ask one tick above, as Binance's
 * majors; spread_bps wide around it when set) and the premium index (mark =
 * the price now, funding rate = the current period's row of the history,
 * NAN when there is none). */
#ifndef SIM_EXCHANGE_H
#define SIM_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/dstr.h"
#include "domain/marketdata.h"
#include "domain/symbol_rules.h"
#include "services/exchange.h"
#include "services/history.h"

#define SIM_FUNDING_INTERVAL_MS (8LL * 3600 * 1000)
#define SIM_FUNDING_MATCH_MS 60000 /* a history row this close to a boundary is its rate */
#define SIM_LIST_LIMIT 1000        /* rows of userTrades (a symbol) and income */
#define SIM_TRADES_WINDOW_MS (7LL * 86400000)
#define SIM_IDS_PER_MS 1000 /* ids: time * 1000 + rank within the millisecond */

typedef struct sim_config {
    double balance;           /* the USDT wallet at the start */
    double fee_taker;         /* FEE_TAKER */
    double fee_maker;         /* FEE_MAKER (may be < 0: a rebate) */
    double slippage_bps;      /* SLIPPAGE_BPS, against every taker fill */
    double maint_margin_rate; /* <= 0: 0.004 */
    double spread_bps;        /* > 0: the book this wide around the price; <= 0: one tick */
    int leverage;             /* every symbol's at the start; <= 0: 20 (Binance's default) */
    ex_margin_type margin_type;
    /* A boundary without a history row: with assume_funding, assumed_rate is
     * paid (and shown in the premium index) and counted as assumed; without,
     * nothing is booked and the boundary is counted missing. */
    int assume_funding;
    double assumed_rate;
    int64_t path_ms;  /* the interval whose candles drive the price; <= 0: 5 minutes */
    int64_t start_ms; /* the clock at the start */
} sim_config;

typedef struct sim_symbol_report {
    char symbol[EX_SYMBOL_LEN];
    int funding_paid;         /* boundaries booked (a position was open, the rate known) */
    int funding_missing_held; /* boundaries without a rate while a position was open */
    int funding_missing_flat; /* boundaries without a rate while flat (no effect yet) */
    int funding_assumed;      /* boundaries paid at the assumed rate (a position was open) */
    int liquidations;
    int64_t first_ms, last_ms; /* the path's span: first open, last close (0: none) */
} sim_symbol_report;

typedef struct sim_report {
    double wallet, start_balance;
    double realized_pnl, commission, funding, insurance_clear; /* the income, by type */
    size_t fills;
    sim_symbol_report *sym;
    size_t n;
} sim_report;

typedef struct sim_exchange sim_exchange;

sim_exchange *sim_exchange_new(const sim_config *c);
void sim_exchange_free(sim_exchange *s); /* NULL is fine; the table's close does the same */

/* Adds a symbol with its rules: 0, or -1 (a symbol twice) with err set. */
int sim_add_symbol(sim_exchange *s, const symbol_rules *rules, dstr *err);
/* Gives a symbol its candles of one interval (taken: *c is emptied), e.g.
 * 1m 5m 1h 4h 1d; -1 for an unknown symbol or an interval given twice. */
int sim_set_candles(sim_exchange *s, const char *symbol, int64_t interval_ms, candles *c,
                    dstr *err);
/* Gives a symbol its funding history (copied). */
int sim_set_funding(sim_exchange *s, const char *symbol, const hist_funding *v, size_t n,
                    dstr *err);
/* Loads dir in the layout of tests/data/binance (history.h) for the
 * symbols: exchangeInfo.json, klines/<S>-<tf>.csv for 1m 5m 1h 4h 1d (those
 * that exist; the path interval's must), funding/<S>-funding.csv (may be
 * absent). -1 with err naming the file. */
int sim_exchange_load(sim_exchange *s, const char *dir, const char *const *symbols, size_t n,
                      dstr *err);
/* The kline intervals it reads, in that order. */
#define SIM_LOAD_INTERVALS 5
extern const char *const sim_load_intervals[SIM_LOAD_INTERVALS];

/* Moves the clock to t_ms (never back): walks every path candle that closed
 * by then, firing what the path reaches, booking funding and liquidations. */
void sim_advance(sim_exchange *s, int64_t t_ms);
int64_t sim_now(const sim_exchange *s);
/* The simulated clock, for pl_env.clock: sim_now(). */
const clock_src *sim_clock(sim_exchange *s);
/* The exchange table (valid until sim_exchange_free; its close frees s). */
exchange *sim_exchange_table(sim_exchange *s);
/* The price now of a symbol (see above); NAN when none. */
double sim_price(const sim_exchange *s, const char *symbol);

/* Every fill so far, oldest first (valid until the next call on s): what
 * a record of the whole run needs beyond userTrades' 7-day window. */
const ex_fill *sim_fills(const sim_exchange *s, size_t *n);

/* ---- the account as data (paper trading keeps it between runs) ---------------- */

/* One symbol's position and settings. */
typedef struct sim_holding {
    char symbol[EX_SYMBOL_LEN];
    double amount, entry, iso_margin; /* amount signed, 0: flat */
    int leverage;
    ex_margin_type margin;
    int64_t update_ms; /* the position's or the settings' last change */
} sim_holding;

/* Everything the account is, apart from prices: the wallet, the position
 * mode, each symbol's holding, the orders and algo orders (open ones, and
 * closed ones kept for queries), the fills and the income. walked_to: the
 * price path has been walked through this time (the clock of the export). */
typedef struct sim_account {
    double wallet;
    int hedge;
    int64_t walked_to;
    sim_holding *hold;
    size_t n_hold;
    ex_order *orders;
    size_t n_orders;
    ex_algo_order *algos;
    size_t n_algos;
    ex_fill *fills;
    size_t n_fills;
    ex_income *income;
    size_t n_income;
} sim_account;

/* A copy of the account now (walked_to = sim_now). Closed orders and algo
 * orders, fills and income older than since_ms are left out. */
void sim_account_get(const sim_exchange *s, int64_t since_ms, sim_account *out);
/* Makes a's account the exchange's (replacing its own): the symbols it holds
 * a position on must have been added (else -1, err naming it; a flat holding
 * of a symbol not added is left out, settings and all); the clock is not
 * moved (create the exchange at start_ms = a->walked_to, then give it the
 * candles, so those that closed by then count as walked). */
int sim_account_set(sim_exchange *s, const sim_account *a, dstr *err);
void sim_account_free(sim_account *a);

/* The account's totals and per-symbol funding coverage; free with sim_report_free. */
void sim_report_make(const sim_exchange *s, sim_report *out);
void sim_report_free(sim_report *r);

#endif
