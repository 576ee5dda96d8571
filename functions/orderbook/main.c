/* orderbook: GET /api/orderbook?symbol=BTCUSDT&limit=10
 * Top-N bids and asks with mid price and spread in basis points. */
#include "frame/api.h"
#include "pipelines/market.h"
#include "platform/clock.h"

#include <math.h>

static void render_side(dstr *b, const char *name, const book_level *lv, size_t n) {
    dstr_printf(b, ",\"%s\":[", name);
    for (size_t i = 0; i < n; i++) {
        dstr_puts(b, i ? ",[" : "[");
        dstr_json_num(b, lv[i].price);
        dstr_putc(b, ',');
        dstr_json_num(b, lv[i].qty);
        dstr_putc(b, ']');
    }
    dstr_putc(b, ']');
}

static void render(apigw_response *res, const char *symbol, const order_book *d) {
    dstr *b = &res->body;
    dstr_puts(b, "{\"symbol\":");
    dstr_json_str(b, symbol);
    render_side(b, "bids", d->bids, d->n_bids);
    render_side(b, "asks", d->asks, d->n_asks);
    /* an empty side (illiquid or halted symbol) has no mid: say so with null */
    double mid = NAN, spread_bps = NAN;
    if (d->n_bids && d->n_asks) {
        mid = (d->bids[0].price + d->asks[0].price) / 2;
        spread_bps = (d->asks[0].price - d->bids[0].price) / mid * 1e4;
    }
    dstr_puts(b, ",\"mid\":");
    dstr_json_num(b, mid);
    dstr_puts(b, ",\"spread_bps\":");
    dstr_json_num(b, spread_bps);
    dstr_printf(b, ",\"time\":%lld}", (long long)(d->time_ms ? d->time_ms : clock_wall_ms()));
}

static void get_orderbook(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    const char *symbol;
    long limit;
    if (api_query_symbol(ev, res, &symbol)) return;
    if (api_query_long(ev, res, "limit", 10, 1, 1000, &limit)) return;
    if (!market_depth_limit_valid(limit)) {
        api_error(res, 400, "invalid_parameter",
                  "limit must be one of 5, 10, 20, 50, 100, 500, 1000");
        return;
    }
    order_book d;
    ex_error e;
    dstr err = {0};
    if (market_orderbook(api_env(ctx), symbol, (int)limit, &d, &e, &err)) {
        api_upstream_error(res, &e, dstr_cstr(&err));
        dstr_free(&err);
        return;
    }
    res->status = 200;
    render(res, symbol, &d);
    order_book_free(&d);
}

static const char *const params[] = {"symbol", "limit", NULL};
static const api_route routes[] = {{"GET", "/api/orderbook", get_orderbook, params}};

int main(void) {
    api_function fn = {.name = "orderbook", .routes = routes, .n_routes = 1};
    return api_main(&fn);
}
