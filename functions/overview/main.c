/* overview: the account at a glance.
 *   GET /api/overview   {time, execute_trades, order_id_prefix, balances, positions,
 *                        symbols:[{symbol, open_orders, other_open_orders, algo_orders,
 *                        other_algo_orders, latest_decision}], pnl_today, kill_switch, last_run,
 *                        errors}
 * (pipelines/overview.h; the README's Endpoints section has an example).
 * Reads only: works with EXECUTE_TRADES=false and read-only keys. A part
 * that cannot be read is null and named in "errors" (still 200); no keys
 * configured is 503 keys_not_configured; when every part failed, the first
 * exchange failure through the one upstream mapping, with "errors". */
#include "frame/api.h"
#include "pipelines/overview.h"

static void get_overview(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    (void)ev;
    overview ov;
    ex_error e = {0};
    dstr err = {0};
    overview_status st = overview_read(api_env(ctx), &ov, &e, &err);
    if (st == OVERVIEW_NO_KEYS) {
        api_error(res, 503, "keys_not_configured", "%s", dstr_cstr(&err));
    } else if (st == OVERVIEW_ALL_FAILED) {
        api_upstream_error(res, &e, dstr_cstr(&err));
        const char *sep = dstr_json_reopen(&res->body); /* api_upstream_error made an object */
        dstr_puts(&res->body, sep ? sep : "");
        dstr_puts(&res->body, "\"overview\":");
        overview_json(&ov, &res->body);
        dstr_putc(&res->body, '}');
    } else {
        res->status = 200;
        overview_json(&ov, &res->body);
    }
    overview_free(&ov);
    dstr_free(&err);
}

static const char *const params[] = {NULL};
static const api_route routes[] = {{"GET", "/api/overview", get_overview, params}};

int main(void) {
    api_function fn = {.name = "overview", .routes = routes, .n_routes = 1};
    return api_main(&fn);
}
