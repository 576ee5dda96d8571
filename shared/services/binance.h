/* binance: Binance USD-M futures public REST (market data), over http.
 *
 * Each endpoint comes as a pair: *_prepare() builds an http_request, and
 * *_parse() turns its outcome into typed data. Callers batch several
 * prepared requests in one http_run(), so a whole market snapshot costs
 * about one round trip. Every response logs a "binance.response" event with
 * the path, status, attempts, latency and the X-MBX-USED-WEIGHT-1M header
 * (the IP's used request weight). Prices and quantities, which Binance sends
 * as decimal strings, are validated while parsed: a body that is not what
 * the API documents is an error (EX_BAD_RESPONSE), never a guess.
 *
 * Failures follow exchange.h: a call returns its ex_status (EX_OK = 0),
 * appends one line for people to err (Binance's msg, or what went wrong;
 * NULL: not wanted) and fills e (NULL: not wanted) with the status, the
 * HTTP status and Binance's error code. Neither is touched on success.
 * Binance's -1121 is EX_INVALID_SYMBOL (the caller's input is wrong); any
 * other 4xx with a Binance code is EX_REJECTED.
 * binance_exchange.h puts this client behind the exchange table. */
#ifndef BINANCE_H
#define BINANCE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "platform/http.h"
#include "domain/marketdata.h"
#include "services/exchange.h"

#define BN_KLINES_MAX 1500 /* per request, the forming candle included */

/* Where Binance is and how hard to try. The composition root fills it (the
 * functions from their cfg), so the client reads no global configuration.
 * base is borrowed: it must outlive every client made from it. */
typedef struct bn_config {
    const char *base; /* "https://fapi.binance.com": scheme and host, no trailing slash */
    long timeout_ms;  /* per attempt */
    int retries;      /* extra attempts after the first (see http.h for which) */
    long backoff_ms;  /* base of the exponential backoff */
    /* The account (signed endpoints, binance_signed.h); NULL keys: market
     * data only. Borrowed like base. recv_window_ms <= 0 means 5000. */
    const char *api_key, *api_secret;
    long recv_window_ms;
} bn_config;

typedef struct bn_client {
    http_client *http; /* borrowed */
    http_policy policy;
    const char *base;
} bn_client;

void bn_client_init(bn_client *bn, http_client *http, const bn_config *c);

/* Binance kline interval names; bn_interval_ms() is 0 for unknown ones
 * (and an approximation, 31 days, for "1M"). */
int bn_valid_interval(const char *tf);
int64_t bn_interval_ms(const char *tf);
int bn_valid_depth_limit(long limit);

void bn_klines_prepare(const bn_client *bn, http_request *r, const char *symbol,
                       const char *interval, int limit, int64_t end_time_ms);
ex_status bn_klines_parse(http_request *r, candles *out, ex_error *e, dstr *err);
/* Klines from start_ms on (ascending, at most limit rows with open_time in
 * [start_ms, end_ms]): paging forward through history. */
void bn_klines_since_prepare(const bn_client *bn, http_request *r, const char *symbol,
                             const char *interval, int64_t start_ms, int64_t end_ms, int limit);

/* GET /fapi/v1/fundingRate: the funding events with fundingTime in
 * [start_ms, end_ms], oldest first, at most limit (<= BN_FUNDING_MAX). */
#define BN_FUNDING_MAX 1000
typedef struct bn_funding {
    int64_t time_ms; /* fundingTime */
    double rate;     /* fundingRate; > 0: longs pay shorts */
} bn_funding;
void bn_funding_prepare(const bn_client *bn, http_request *r, const char *symbol, int64_t start_ms,
                        int64_t end_ms, int limit);
/* *v (free() it) holds *n events in strictly increasing time. */
ex_status bn_funding_parse(http_request *r, bn_funding **v, size_t *n, ex_error *e, dstr *err);

void bn_depth_prepare(const bn_client *bn, http_request *r, const char *symbol, int limit);
ex_status bn_depth_parse(http_request *r, order_book *out, ex_error *e, dstr *err);
void bn_premium_prepare(const bn_client *bn, http_request *r, const char *symbol);
ex_status bn_premium_parse(http_request *r, premium_index *out, ex_error *e, dstr *err);

/* The newest `limit` CLOSED candles (close_time < now_ms), oldest first,
 * paging with endTime when limit + 1 exceeds one request. */
ex_status bn_closed_klines(const bn_client *bn, const char *symbol, const char *interval, int limit,
                           int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e,
                           dstr *err);

/* ---- shared by the Binance modules (binance_signed, binance_trading) ---- */

struct cJSON;

/* What a request was, for classifying its failure: a read; a lookup of an
 * order (-2013 is EX_NOT_FOUND); a write that changes something (-2011 is
 * EX_NOT_FOUND, and any outcome that may have landed is EX_UNKNOWN: see
 * exchange.h). */
typedef enum bn_kind { BN_READ, BN_LOOKUP, BN_WRITE } bn_kind;

/* Logs binance.response (method, path, status, attempts, latency, the
 * used-weight and order-count headers), then turns a finished request into
 * parsed JSON (*root, the caller deletes it) or classifies the failure. */
ex_status bn_checked(http_request *r, bn_kind kind, struct cJSON **root, ex_error *e, dstr *err);
/* Fills e (NULL: not wanted), appends the line to err, returns st. */
ex_status bn_fail(ex_error *e, dstr *err, ex_status st, long http_status, long code,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A decimal string ("0.001") / a whole non-negative JSON number: 0, or -1
 * when v is not one. */
int bn_decimal(const struct cJSON *v, double *out);
int bn_whole(const struct cJSON *v, int64_t *out);

#endif
