/* binance: Binance USD-M futures public REST (market data), over http.
 *
 * Each endpoint comes as a pair: *_prepare() builds an http_request, and
 * *_parse() turns its outcome into typed data or a bn_error. Callers batch
 * several prepared requests in one http_run(), so a whole market snapshot
 * costs about one round trip. Every response logs a "binance.response" event
 * with the path, status, attempts, latency and the X-MBX-USED-WEIGHT-1M
 * header (the IP's used request weight). Prices and quantities, which
 * Binance sends as decimal strings, are validated while parsed: a body that
 * is not what the API documents is an error (BN_BAD_RESPONSE), never a guess. */
#ifndef BINANCE_H
#define BINANCE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/config.h"
#include "platform/http.h"
#include "domain/marketdata.h"

#define BN_KLINES_MAX 1500 /* per request, the forming candle included */

typedef enum bn_status {
    BN_OK = 0,
    BN_INVALID_SYMBOL, /* Binance -1121: the caller's input is wrong */
    BN_REJECTED,       /* other 4xx with a Binance error body */
    BN_RATE_LIMITED,   /* 429 after the retries */
    BN_BANNED,         /* 418, or a ban still running */
    BN_UNAVAILABLE,    /* 5xx after the retries, or no connection */
    BN_BAD_RESPONSE,   /* not JSON, truncated, or not the documented shape */
    BN_TIMEOUT         /* no answer within the timeout or the deadline */
} bn_status;

typedef struct bn_error {
    bn_status status;
    long http_status; /* 0 when no response */
    long code;        /* Binance error code, 0 when none */
    char msg[256];    /* Binance's msg, or what went wrong */
} bn_error;

/* The policy (timeouts, retries) and base URL for Binance, from the config. */
typedef struct bn_client {
    http_client *http;
    http_policy policy;
    const char *base;
} bn_client;

void bn_client_init(bn_client *bn, http_client *http, const cfg *c);

/* Binance kline interval names; bn_interval_ms() is 0 for unknown ones
 * (and an approximation, 31 days, for "1M"). */
int bn_valid_interval(const char *tf);
int64_t bn_interval_ms(const char *tf);
int bn_valid_depth_limit(long limit);
const char *bn_status_name(bn_status s);

void bn_klines_prepare(const bn_client *bn, http_request *r, const char *symbol,
                       const char *interval, int limit, int64_t end_time_ms);
int bn_klines_parse(http_request *r, candles *out, bn_error *err);
void bn_depth_prepare(const bn_client *bn, http_request *r, const char *symbol, int limit);
int bn_depth_parse(http_request *r, order_book *out, bn_error *err);
void bn_premium_prepare(const bn_client *bn, http_request *r, const char *symbol);
int bn_premium_parse(http_request *r, premium_index *out, bn_error *err);

/* The newest `limit` CLOSED candles (close_time < now_ms), oldest first,
 * paging with endTime when limit + 1 exceeds one request. */
int bn_closed_klines(const bn_client *bn, const char *symbol, const char *interval, int limit,
                     int64_t now_ms, int64_t deadline_ms, candles *out, bn_error *err);

#endif
