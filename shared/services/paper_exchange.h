/* paper_exchange: paper trading (EXECUTE_TRADES=paper): the simulated
 * exchange (sim_exchange.h) fed with the live market, its account kept in
 * the journal (paper_ledger.h), behind the exchange table, so the trader,
 * the overview and the operator commands work on it unchanged and no key
 * is needed.
 *
 * Contract:
 * - read: derives the account from the journal (paper_ledger_load), then ONE
 *   batch on the market exchange: the snapshots of the symbols asked and of
 *   every symbol the account holds or has orders on (a failed one of those
 *   makes the account unknown: its legs could not be walked), exchangeInfo and,
 *   when an 8-hourly boundary passed since the account's path was walked,
 *   the funding events since then. That batch follows the ledger because
 *   it depends on it (which symbols, since when). Then the simulated
 *   exchange is built from the account, each symbol's closed 5m candles
 *   (the path) and, as the price now, a forming candle at the live mark
 *   price; it walks the candles that closed since the walk's end (legs
 *   trigger on the real path; stop first inside one candle) and books the
 *   funding passed, and the account parts are answered from it. What the
 *   walk changed is appended to the ledger (whichever function reads: the
 *   walk's records are the same whoever writes them). Market data
 *   comes back as the live exchange gave it. A walk that starts after the
 *   account's last walk (the candles do not reach back that far) is
 *   logged (paper.path_gap).
 * - writes (configure, orders, algo orders, cancels) go to the simulated
 *   exchange of the invocation's last read, its clock at the clock's now,
 *   and each call's changes are appended to the ledger in one batch before
 *   it answers. When that append fails, the call's successes become
 *   EX_UNKNOWN (the records may have landed) and every later write of the
 *   invocation is refused (EX_UNAVAILABLE): the next run derives the truth.
 *   A write before any read is refused too.
 * - query answers from the same simulated exchange, nothing written; after
 *   a failed append it is refused too (what it would say is not recorded).
 * - snapshots, candles and orderbook are the market exchange's.
 * Failures: the ledger's or the market's, in the exchange.h convention:
 * an account that cannot be derived fails every account part with
 * EX_UNAVAILABLE ("paper ledger: ..."), so nothing is traded. */
#ifndef PAPER_EXCHANGE_H
#define PAPER_EXCHANGE_H

#include "platform/clock.h"
#include "services/exchange.h"
#include "services/sim_exchange.h"
#include "store/store.h"

typedef struct paper_config {
    exchange *market;       /* borrowed: live market data, exchangeInfo, funding */
    sim_config sim;         /* fees, slippage, margin rate, Binance's defaults; balance:
                               PAPER_BALANCE, the new account's wallet */
    const clock_src *clock; /* NULL: the wall clock */
} paper_config;

exchange *paper_exchange_new(const paper_config *c);
/* The journal the ledger lives in for the next calls (borrowed; NULL: none,
 * every account part fails). */
void paper_exchange_bind(exchange *ex, store *journal);
/* 1 when ex is a paper exchange. */
int paper_exchange_is(const exchange *ex);

#endif
