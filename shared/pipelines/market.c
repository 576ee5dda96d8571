/* market: candles and order book pipelines (see market.h). */
#include "pipelines/market.h"
#include "platform/clock.h"

#include <stdio.h>

/* The HTTP client only fails to start when libcurl cannot initialise. */
static int client(api_ctx *ctx, bn_client *bn, bn_error *err) {
    http_client *http = api_http(ctx);
    if (!http) {
        err->status = BN_UNAVAILABLE;
        err->http_status = err->code = 0;
        snprintf(err->msg, sizeof err->msg, "the HTTP client could not start");
        return -1;
    }
    bn_client_init(bn, http, ctx->cfg);
    return 0;
}

int market_candles(api_ctx *ctx, const char *symbol, const char *tf, int limit, candles *out,
                   bn_error *err) {
    bn_client bn;
    if (client(ctx, &bn, err)) return -1;
    return bn_closed_klines(&bn, symbol, tf, limit, clock_wall_ms(), ctx->deadline_ms, out, err);
}

int market_orderbook(api_ctx *ctx, const char *symbol, int limit, order_book *out, bn_error *err) {
    bn_client bn;
    if (client(ctx, &bn, err)) return -1;
    http_request r;
    bn_depth_prepare(&bn, &r, symbol, limit);
    http_request *batch[] = {&r};
    http_run(bn.http, batch, 1, ctx->deadline_ms);
    int rc = bn_depth_parse(&r, out, err);
    http_request_free(&r);
    return rc;
}

void market_upstream_error(apigw_response *res, const bn_error *err) {
    switch (err->status) {
    case BN_INVALID_SYMBOL:
        api_error(res, 400, "invalid_symbol", "Binance rejected the symbol: %s", err->msg);
        break;
    case BN_REJECTED:
        api_error(res, 502, "upstream_rejected", "Binance rejected the request: %s", err->msg);
        break;
    case BN_RATE_LIMITED:
        api_error(res, 503, "upstream_rate_limited",
                  "Binance is rate limiting this IP; try again later (%s)", err->msg);
        break;
    case BN_BANNED:
        api_error(res, 503, "upstream_banned", "Binance has banned this IP for now: %s", err->msg);
        break;
    case BN_TIMEOUT: api_error(res, 504, "upstream_timeout", "%s", err->msg); break;
    case BN_UNAVAILABLE:
        api_error(res, 502, "upstream_unavailable", "Binance is unavailable: %s", err->msg);
        break;
    default: api_error(res, 502, "upstream_bad_response", "%s", err->msg); break;
    }
    if (err->code) { /* keep Binance's own code next to ours */
        const char *sep = dstr_json_reopen(&res->body);
        if (sep) dstr_printf(&res->body, "%s\"binance_code\":%ld}", sep, err->code);
    }
}
