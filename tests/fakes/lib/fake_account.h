/* fake_account: a stateful Binance USD-M futures account on the real wire
 * format, behind fake_binance --account FILE (see tests/fakes/README.md).
 *
 * Contract: fa_load() reads the account file (API key and secret, wallet
 * balance, fees, position mode, per-symbol leverage and margin type) and
 * takes the symbols' rules from exchangeInfo. fa_serve() answers the signed
 * endpoints (key, HMAC-SHA256 signature over the exact query+body bytes,
 * timestamp/recvWindow) with Binance's shapes, error codes and bodies, and
 * changes the state: MARKET orders fill at the mark price with the taker fee,
 * LIMIT orders rest and fill (maker fee) when the mark crosses them, algo
 * (conditional) orders fire when the mark crosses their trigger and are not
 * linked to each other. fa_control() is the test's side (/__fake/account/…):
 * the mark-price path, state as JSON, manual orders and positions, funding,
 * clock skew, reset. Every amount is exact fixed point (1e-8 units), ids
 * count up from fixed starts, and prices move only when a test steps a path
 * (or, without one, with the replay), so a script replays identically.
 * All functions are thread-safe (one lock for the whole account). */
#ifndef FAKE_ACCOUNT_H
#define FAKE_ACCOUNT_H

#include <stdint.h>

#include <cJSON.h>

#include "fake_decimal.h"
#include "fake_http.h"
#include "platform/dstr.h"

typedef struct fake_account fake_account;

/* The replay's current price of a symbol in 1e-8 units; returns -1 when it
 * has none (a symbol without bundled klines). */
typedef int (*fa_price_fn)(void *ctx, const char *symbol, int64_t now_ms, int64_t *units);

/* Returns NULL with a message in err. exchange_info is only read here. */
fake_account *fa_load(const char *path, const cJSON *exchange_info, fa_price_fn price,
                      void *price_ctx, dstr *err);
void fa_free(fake_account *a);

/* Is this one of the account's endpoints (method and path)? */
int fa_is_route(const fake_request *req);
/* Answers an account endpoint; returns 0 (out untouched) for other requests. */
int fa_serve(fake_account *a, const fake_request *req, fake_reply *out);
/* X-MBX-USED-WEIGHT cost of an account request (1 for others). */
long fa_weight(const fake_request *req);
/* Adds X-MBX-ORDER-COUNT-10S/-1M to order-placing answers. */
void fa_decorate(fake_account *a, const fake_request *req, fake_reply *out);
/* /__fake/account… requests; returns 0 for other paths. */
int fa_control(fake_account *a, const fake_request *req, fake_reply *out);
/* Back to the file's state: no orders, positions, fills, paths or skew. */
void fa_reset(fake_account *a);
/* The fake exchange's clock: the wall clock plus the scripted skew. */
int64_t fa_server_time(fake_account *a);
/* The scripted mark price of a symbol; returns -1 when it follows the replay. */
int fa_scripted_mark(fake_account *a, const char *symbol, fdec *out);

#endif
