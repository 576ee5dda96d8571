/* market: the market-data pipelines behind the chart endpoints: the newest
 * closed candles of one symbol and timeframe, and the order book, from the
 * environment's exchange by its deadline. No exchange (the HTTP client could
 * not start): EX_UNAVAILABLE. Failures follow the exchange's convention
 * (services/exchange.h): the status, the structured ex_error, and one line
 * for people appended to err; the frame turns them into the HTTP answer. */
#ifndef MARKET_H
#define MARKET_H

#include "domain/marketdata.h"
#include "pipelines/env.h"
#include "services/exchange.h"

/* The request shapes the exchange accepts (Binance's kline intervals: 1m ..
 * 1M; depth limits 5, 10, 20, 50, 100, 500, 1000). */
int market_interval_valid(const char *interval);
int market_depth_limit_valid(long limit);

ex_status market_candles(const pl_env *env, const char *symbol, const char *interval, int limit,
                         candles *out, ex_error *e, dstr *err);
ex_status market_orderbook(const pl_env *env, const char *symbol, int limit, order_book *out,
                           ex_error *e, dstr *err);

#endif
