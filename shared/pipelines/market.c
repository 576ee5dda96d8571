/* market: candles and order book pipelines (see market.h). */
#include "pipelines/market.h"

#include "services/binance.h"

int market_interval_valid(const char *interval) { return bn_valid_interval(interval); }
int market_depth_limit_valid(long limit) { return bn_valid_depth_limit(limit); }

static ex_status no_exchange(ex_error *e, dstr *err) {
    if (e) *e = (ex_error){.status = EX_UNAVAILABLE};
    dstr_error_line(err, "the HTTP client could not start");
    return EX_UNAVAILABLE;
}

ex_status market_candles(const pl_env *env, const char *symbol, const char *interval, int limit,
                         candles *out, ex_error *e, dstr *err) {
    if (!env->exchange) return no_exchange(e, err);
    return ex_candles(env->exchange, symbol, interval, limit, clock_now(env->clock),
                      env->deadline_ms, out, e, err);
}

ex_status market_orderbook(const pl_env *env, const char *symbol, int limit, order_book *out,
                           ex_error *e, dstr *err) {
    if (!env->exchange) return no_exchange(e, err);
    return ex_orderbook(env->exchange, symbol, limit, env->deadline_ms, out, e, err);
}
