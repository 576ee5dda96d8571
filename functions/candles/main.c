/* candles: GET /api/candles?symbol=BTCUSDT&tf=5m&limit=500
 * Closed OHLCV candles for charts, oldest first, times in unix seconds. */
#include "frame/api.h"
#include "pipelines/market.h"

static void render(apigw_response *res, const char *symbol, const char *tf, const candles *c) {
    dstr *b = &res->body;
    dstr_puts(b, "{\"symbol\":");
    dstr_json_str(b, symbol);
    dstr_puts(b, ",\"tf\":");
    dstr_json_str(b, tf);
    dstr_puts(b, ",\"candles\":[");
    for (size_t i = 0; i < c->n; i++) {
        const candle *k = &c->v[i];
        dstr_printf(b, "%s{\"time\":%lld,\"open\":", i ? "," : "",
                    (long long)(k->open_time / 1000));
        dstr_json_num(b, k->open);
        dstr_puts(b, ",\"high\":");
        dstr_json_num(b, k->high);
        dstr_puts(b, ",\"low\":");
        dstr_json_num(b, k->low);
        dstr_puts(b, ",\"close\":");
        dstr_json_num(b, k->close);
        dstr_puts(b, ",\"volume\":");
        dstr_json_num(b, k->volume);
        dstr_putc(b, '}');
    }
    dstr_puts(b, "]}");
}

static void get_candles(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    const char *symbol, *tf = apigw_query(ev, "tf");
    long limit;
    if (api_query_symbol(ev, res, &symbol)) return;
    if (!tf) tf = "5m";
    if (!market_interval_valid(tf)) {
        api_error(res, 400, "invalid_tf",
                  "tf must be a Binance interval: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M");
        return;
    }
    if (api_query_long(ev, res, "limit", 500, 1, 1500, &limit)) return;
    candles c;
    ex_error e;
    dstr err = {0};
    if (market_candles(api_env(ctx), symbol, tf, (int)limit, &c, &e, &err)) {
        api_upstream_error(res, &e, dstr_cstr(&err));
        dstr_free(&err);
        return;
    }
    res->status = 200;
    render(res, symbol, tf, &c);
    candles_free(&c);
}

static const char *const params[] = {"symbol", "tf", "limit", NULL};
static const api_route routes[] = {{"GET", "/api/candles", get_candles, params}};

int main(void) {
    api_function fn = {.name = "candles", .routes = routes, .n_routes = 1};
    return api_main(&fn);
}
