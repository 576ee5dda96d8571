/* signals: the decision journal and a decision on demand.
 *   GET /api/signals?limit=50            {"signals":[decision records, newest first]}, limit 1..1000
 *   GET /api/signals/latest?symbol=BTCUSDT  decides now for that symbol (any valid
 *       symbol: nothing is executed), journals it, answers the decision record.
 * A symbol Binance does not know is a 400 (and is not journaled); a journal
 * that cannot be written is a 500 that still carries the decision. */
#include "frame/api.h"
#include "services/journal.h"
#include "pipelines/signal.h"

#define SIGNALS_DEFAULT_LIMIT 50

static void list_signals(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    long limit;
    if (api_query_long(ev, res, "limit", SIGNALS_DEFAULT_LIMIT, 1, JOURNAL_LIMIT_MAX, &limit))
        return;
    store *j = journal_open(ctx->cfg->journal_url);
    dstr list = {0}, err = {0};
    if (!j || journal_recent_decisions(j, (size_t)limit, &list, &err)) {
        api_error(res, 503, "journal_unavailable", "the decision journal cannot be read: %s",
                  j ? dstr_cstr(&err) : "the store did not open");
        dstr_free(&list);
        dstr_free(&err);
        return;
    }
    res->status = 200;
    dstr_puts(&res->body, "{\"signals\":");
    dstr_append(&res->body, list.ptr, list.len);
    dstr_putc(&res->body, '}');
    dstr_free(&list);
}

static void latest_signal(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    const char *symbol;
    if (api_query_symbol(ev, res, &symbol)) return;
    signal_env env;
    signal_env_from_ctx(ctx, &env);
    signal_result r;
    signal_decide(&env, &symbol, 1, &r);
    if (r.data_status == BN_INVALID_SYMBOL) {
        api_error(res, 400, "invalid_symbol", "Binance does not know %s: %s", symbol,
                  r.d.n_reasons ? r.d.reasons[0] : "invalid symbol");
        signal_results_free(&r, 1);
        return;
    }
    if (signal_journal(env.journal, &r, 1)) {
        api_error(res, 500, "journal_unwritten",
                  "the decision was made but %d journal record(s) could not be written "
                  "(logged as journal.unwritten)",
                  r.unwritten);
        const char *sep = dstr_json_reopen(&res->body); /* api_error made an object */
        dstr_puts(&res->body, sep ? sep : "");
        dstr_puts(&res->body, "\"decision\":");
        dstr_append(&res->body, r.record.ptr, r.record.len);
        dstr_putc(&res->body, '}');
    } else {
        res->status = 200;
        dstr_append(&res->body, r.record.ptr, r.record.len);
    }
    signal_results_free(&r, 1);
}

static const char *const list_params[] = {"limit", NULL};
static const char *const latest_params[] = {"symbol", NULL};
static const api_route routes[] = {
    {"GET", "/api/signals", list_signals, list_params},
    {"GET", "/api/signals/latest", latest_signal, latest_params},
};

int main(void) {
    api_function fn = {.name = "signals", .routes = routes, .n_routes = 2};
    int rc = api_main(&fn);
    journal_close();
    return rc;
}
