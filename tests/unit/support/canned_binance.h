/* canned_binance: Binance market-data answers for tests that need no server:
 * klines on a gentle zig-zag around 100, a two-level book, a premium index,
 * and one symbol's snapshot requests (services/binance_exchange.h) given
 * those answers or scripted failures, as if http_run had run them. */
#ifndef CANNED_BINANCE_H
#define CANNED_BINANCE_H

#include <stdint.h>

#include "platform/dstr.h"
#include "platform/http.h"
#include "services/binance_exchange.h"

extern const int64_t canned_tf_interval[TF_COUNT]; /* 5m 1h 4h 1d in ms */
extern const char canned_depth_body[];
extern const char canned_premium_body[];

/* n klines of interval ms, ending with the candle forming at now (when
 * forming) or with the newest closed one. */
void canned_klines_body(dstr *out, int64_t interval, int n, int64_t now, int forming);

typedef struct canned {
    http_err err;     /* per request: HTTP_OK unless a transport failure */
    long status;      /* 0 means 200 */
    const char *body; /* NULL: the good answer */
} canned;

/* Prepares symbol's BN_SNAPSHOT_REQS requests (client on base, or a
 * placeholder) and gives each its outcome; free with canned_requests_free(). */
void canned_snapshot_requests(http_request reqs[BN_SNAPSHOT_REQS], const char *symbol,
                              const ex_snapshot_spec *spec, const canned *outcome, int64_t now,
                              int n_klines, int forming);
void canned_requests_free(http_request reqs[BN_SNAPSHOT_REQS]);

#endif
