/* market: candles and order book pipelines (see market.h). */
#include "pipelines/market.h"
#include "platform/clock.h"

#include <stdio.h>

/* The HTTP client only fails to start when libcurl cannot initialise. */
static int client(api_ctx *ctx, bn_client *bn, ex_error *e, dstr *err) {
    http_client *http = api_http(ctx);
    if (!http) {
        *e = (ex_error){.status = EX_UNAVAILABLE};
        dstr_puts(err, "the HTTP client could not start");
        return -1;
    }
    const cfg *c = ctx->cfg;
    bn_config bc = {.base = cfg_fapi_base(c),
                    .timeout_ms = c->binance_timeout_ms,
                    .retries = c->binance_retries,
                    .backoff_ms = c->binance_backoff_ms};
    bn_client_init(bn, http, &bc);
    return 0;
}

int market_candles(api_ctx *ctx, const char *symbol, const char *tf, int limit, candles *out,
                   ex_error *e, dstr *err) {
    bn_client bn;
    if (client(ctx, &bn, e, err)) return -1;
    return bn_closed_klines(&bn, symbol, tf, limit, clock_wall_ms(), ctx->deadline_ms, out, e, err)
               ? -1
               : 0;
}

int market_orderbook(api_ctx *ctx, const char *symbol, int limit, order_book *out, ex_error *e,
                     dstr *err) {
    bn_client bn;
    if (client(ctx, &bn, e, err)) return -1;
    http_request r;
    bn_depth_prepare(&bn, &r, symbol, limit);
    http_request *batch[] = {&r};
    http_run(bn.http, batch, 1, ctx->deadline_ms);
    int rc = bn_depth_parse(&r, out, e, err) ? -1 : 0;
    http_request_free(&r);
    return rc;
}

void market_upstream_error(apigw_response *res, const ex_error *e, const char *msg) {
    switch (e->status) {
    case EX_INVALID_SYMBOL:
        api_error(res, 400, "invalid_symbol", "Binance rejected the symbol: %s", msg);
        break;
    case EX_REJECTED:
        api_error(res, 502, "upstream_rejected", "Binance rejected the request: %s", msg);
        break;
    case EX_RATE_LIMITED:
        api_error(res, 503, "upstream_rate_limited",
                  "Binance is rate limiting this IP; try again later (%s)", msg);
        break;
    case EX_BANNED:
        api_error(res, 503, "upstream_banned", "Binance has banned this IP for now: %s", msg);
        break;
    case EX_TIMEOUT: api_error(res, 504, "upstream_timeout", "%s", msg); break;
    case EX_UNAVAILABLE:
        api_error(res, 502, "upstream_unavailable", "Binance is unavailable: %s", msg);
        break;
    default: api_error(res, 502, "upstream_bad_response", "%s", msg); break;
    }
    if (e->code) { /* keep Binance's own code next to ours */
        const char *sep = dstr_json_reopen(&res->body);
        if (sep) dstr_printf(&res->body, "%s\"binance_code\":%ld}", sep, e->code);
    }
}
