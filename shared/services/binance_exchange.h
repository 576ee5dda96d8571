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
 * idempotent). place_order(s), place_algo_orders, cancel: order writes, never
 * retried; each logs binance.order.request (method, path and the unsigned
 * parameters) and binance.order.response (outcome, HTTP status, code, the
 * raw answer). query: GET by origClientOrderId / clientAlgoId, in one batch.
 * An element whose request is invalid (symbol, client id, amount) is
 * EX_REJECTED "<what>: not sent: <why>" and is not sent.
 * Warm-process state (what the exchange keeps between invocations):
 * - the server-time offset: synced once, again on -1021;
 * - the exchange rules: a successful exchangeInfo read is kept, and a later
 *   read asking EX_READ_RULES for symbols it covered answers from it without
 *   the request, until BN_RULES_MAX_AGE_MS have passed or an order or algo
 *   order is refused with a rule's error code (bn_rules_error: -1111
 *   precision, -1013 filter, -4003/-4004/-4005 quantity, -4013/-4014/-4016/
 *   -4023/-4024 price, tick, step and bands, -4164 min notional; logged as
 *   binance.rules_stale): then the next read fetches it again. The age
 *   bound catches what no order error reports, a symbol whose status left
 *   TRADING. exchangeInfo is the largest answer of the read (about 1 MB on
 *   Binance for every symbol) and the rules change rarely.
 * - NOT the account set-up (position mode, margin types, leverage): its
 *   owner can change it between two runs (the web UI), and reading it costs
 *   no latency, since it is part of the run's one concurrent read batch;
 *   what is sent (ex_configure) is only what that read shows differs, so a
 *   warm run whose set-up is right sends no set-up request at all. */
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

#define BN_RULES_MAX_AGE_MS (60LL * 60 * 1000) /* kept exchange rules are read again after 1 h */

exchange *binance_exchange_new(http_client *http, const bn_config *c);

/* 1 when an order refused with this exchange error code says the rules
 * (precision, filters) the client used are not the exchange's: the kept
 * exchangeInfo is then read again. */
int bn_rules_error(long code);

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
