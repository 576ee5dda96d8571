/* binance_exchange: the Binance client (binance.h) behind the exchange table
 * (exchange.h), with the failure convention of both.
 *
 * snapshots: per valid symbol BN_SNAPSHOT_REQS requests (klines 5m 1h 4h 1d
 * with limit spec->bars + 1, the +1 for the forming candle; depth with
 * limit spec->depth; premiumIndex), every symbol's in ONE http_run bounded
 * by the deadline, then assembled: candles whose close_time >= now_ms are
 * still forming and dropped, the newest spec->bars kept. Every request is
 * parsed, failed or not, since each parse logs binance.response. A failed
 * symbol's why is the first failed request, "klines 1h: timeout (HTTP 504):
 * <msg>", then " (and N more requests failed)" when others failed too.
 * A symbol that is not 2-20 uppercase letters or digits (cfg_valid_symbol)
 * is EX_INVALID_SYMBOL without a request.
 * candles: bn_closed_klines(). orderbook: one depth request.
 * With http NULL (the HTTP client could not start) every call fails with
 * EX_UNAVAILABLE without a request: why "market data: the HTTP client could
 * not start" for snapshots, "the HTTP client could not start" otherwise.
 * close frees the exchange, not the borrowed http_client; c->base and the
 * keys are borrowed too and must outlive the exchange.
 *
 * Trading (c->api_key and c->api_secret set; without them every account
 * call fails with EX_UNAVAILABLE "no Binance API key and secret configured"
 * and sends nothing; exchangeInfo, public, still works):
 * read: the snapshot requests above, exchangeInfo, and the signed reads of
 * the parts asked (binance_trading.h), in ONE http_run through
 * bn_signed_run (the clock synced before the first signed batch of the
 * process; -1021 resynced and resent once). Per-symbol parts send one
 * request a symbol (weight 1 each, where all symbols would cost 40).
 * configure: every set-up POST in one batch (retried like reads: they are
 * idempotent). place_order, place_algo_orders, cancel: order writes, never
 * retried; each logs binance.order.request (method, path and the unsigned
 * parameters) and binance.order.response (outcome, HTTP status, code, the
 * raw answer). query: GET by origClientOrderId / clientAlgoId, in one batch.
 * An element whose request is invalid (symbol, client id, amount) is
 * EX_REJECTED "<what>: not sent: <why>" and is not sent.
 * The server-time offset lives in the exchange, so a warm process syncs
 * once. */
#ifndef BINANCE_EXCHANGE_H
#define BINANCE_EXCHANGE_H

#include <stdint.h>

#include "platform/dstr.h"
#include "platform/http.h"
#include "domain/marketdata.h"
#include "services/binance.h"
#include "services/exchange.h"

#define BN_SNAPSHOT_REQS \
    (TF_COUNT + 2) /* per symbol: one klines a timeframe, depth, premiumIndex */

exchange *binance_exchange_new(http_client *http, const bn_config *c);

/* Exposed for tests: the two halves of one symbol's snapshot. */
/* Prepares its BN_SNAPSHOT_REQS requests into reqs (the caller frees them). */
void bn_snapshot_prepare(const bn_client *bn, const char *symbol, const ex_snapshot_spec *spec,
                         http_request reqs[BN_SNAPSHOT_REQS]);
/* Parses the finished requests into s. EX_OK, or the first failed request's
 * status with the reason appended to why (NULL: not wanted); s is then
 * empty. */
ex_status bn_snapshot_assemble(http_request reqs[BN_SNAPSHOT_REQS], const char *symbol,
                               const ex_snapshot_spec *spec, int64_t now_ms, snapshot *s,
                               dstr *why);

#endif
