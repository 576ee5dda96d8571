/* market: the market-data pipelines behind the chart endpoints (candles,
 * order book), and the one mapping from an upstream failure to the HTTP
 * answer every endpoint gives for it:
 *   invalid symbol (Binance -1121)            400, Binance's code and msg
 *   other Binance rejection (4xx with code)   502 upstream_rejected
 *   429 after the retries                     503 upstream_rate_limited
 *   418 / ban still running                   503 upstream_banned
 *   5xx or no connection after the retries    502 upstream_unavailable
 *   not JSON / truncated / wrong shape        502 upstream_bad_response
 *   no answer within the timeout              504 upstream_timeout */
#ifndef MARKET_H
#define MARKET_H

#include "frame/api.h"
#include "services/binance.h"

/* On failure e and err (see exchange.h) say why; market_upstream_error()
 * answers with them. */
int market_candles(api_ctx *ctx, const char *symbol, const char *tf, int limit, candles *out,
                   ex_error *e, dstr *err);
int market_orderbook(api_ctx *ctx, const char *symbol, int limit, order_book *out, ex_error *e,
                     dstr *err);
void market_upstream_error(apigw_response *res, const ex_error *e, const char *msg);

#endif
