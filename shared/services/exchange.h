/* exchange: the market the trader works on, behind one table of functions
 * (as store_ops is for stores), so Binance, a second exchange or the
 * backtest's simulated one plug in without an `if`. Market data today; the
 * execution work adds account and order calls to the same table.
 *
 * Failures: every call returns an ex_status (EX_OK = 0) and appends one line
 * for people to a caller's dstr *err (NULL: not wanted); the structured part
 * a caller maps to an answer (the HTTP status and the exchange's own error
 * code) goes to an ex_error (NULL: not wanted).
 *
 * ex_snapshots(): the market snapshot of every symbol in ONE concurrent
 * batch bounded by deadline_ms: candles of every timeframe of marketdata.h
 * that closed before now_ms (the newest spec->bars each), the order book
 * (spec->depth levels a side) and the premium index. out[i] is always
 * filled: status EX_OK and snap, or the failure and why ("klines 1h:
 * timeout: ...", the first failed request, and how many others failed). */
#ifndef EXCHANGE_H
#define EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "domain/marketdata.h"

typedef enum ex_status {
    EX_OK = 0,
    EX_INVALID_SYMBOL, /* the exchange does not know the symbol */
    EX_REJECTED,       /* other refusal with an exchange error code */
    EX_RATE_LIMITED,   /* 429 after the retries */
    EX_BANNED,         /* 418, or a ban still running */
    EX_UNAVAILABLE,    /* 5xx after the retries, or no connection */
    EX_BAD_RESPONSE,   /* not JSON, truncated, or not the documented shape */
    EX_TIMEOUT         /* no answer within the timeout or the deadline */
} ex_status;

typedef struct ex_error {
    ex_status status;
    long http_status; /* 0 when nothing answered */
    long code;        /* the exchange's own error code, 0 when none */
} ex_error;

typedef struct ex_snapshot_spec {
    int bars;  /* closed candles kept per timeframe */
    int depth; /* order-book levels a side */
} ex_snapshot_spec;

typedef struct ex_snapshot {
    snapshot snap;    /* valid when status is EX_OK; ex_snapshot_free() frees it */
    ex_status status; /* the first failed request's status */
    dstr why;         /* why it failed; empty when EX_OK */
} ex_snapshot;

typedef struct exchange exchange;

typedef struct exchange_ops {
    const char *name; /* "binance", "replay", ... */
    void (*snapshots)(exchange *ex, const char *const *symbols, size_t n,
                      const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                      ex_snapshot *out);
    /* The newest `limit` candles that closed before now_ms, oldest first. */
    ex_status (*candles)(exchange *ex, const char *symbol, const char *interval, int limit,
                         int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e, dstr *err);
    ex_status (*orderbook)(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                           order_book *out, ex_error *e, dstr *err);
    void (*close)(exchange *ex);
} exchange_ops;

struct exchange {
    const exchange_ops *ops;
    void *impl;
};

void ex_snapshots(exchange *ex, const char *const *symbols, size_t n, const ex_snapshot_spec *spec,
                  int64_t now_ms, int64_t deadline_ms, ex_snapshot *out);
ex_status ex_candles(exchange *ex, const char *symbol, const char *interval, int limit,
                     int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e, dstr *err);
ex_status ex_orderbook(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                       order_book *out, ex_error *e, dstr *err);
void ex_close(exchange *ex); /* NULL is fine */

void ex_snapshot_free(ex_snapshot *s);
/* "ok", "invalid_symbol", "rejected", "rate_limited", "banned", "unavailable",
 * "bad_response", "timeout". */
const char *ex_status_name(ex_status s);

#endif
