/* signals: the decision journal and a decision on demand.
 *   GET /api/signals?limit=50            {"signals":[decision records, newest first]}, limit 1..1000
 *   GET /api/signals/latest?symbol=BTCUSDT  decides now for that symbol (any valid
 *       symbol: nothing is executed), journals it, answers the decision record.
 * A symbol Binance does not know is a 400 (and is not journaled); a journal
 * that cannot be written by the invocation's deadline is a 500 that still
 * carries the decision (and x-journal-unwritten). */
#include "frame/api.h"
#include "pipelines/journal_read.h"
#include "pipelines/signal.h"

#define SIGNALS_DEFAULT_LIMIT 50

static void list_signals(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    long limit;
    if (api_query_long(ev, res, "limit", SIGNALS_DEFAULT_LIMIT, 1, JOURNAL_READ_MAX, &limit))
        return;
    dstr list = {0}, err = {0};
    if (journal_read_decisions(api_env(ctx), (size_t)limit, &list, &err)) {
        api_error(res, 503, "journal_unavailable", "the decision journal cannot be read: %s",
                  dstr_cstr(&err));
    } else {
        res->status = 200;
        dstr_puts(&res->body, "{\"signals\":");
        dstr_append(&res->body, list.ptr, list.len);
        dstr_putc(&res->body, '}');
    }
    dstr_free(&list);
    dstr_free(&err);
}

static void latest_signal(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    const char *symbol;
    if (api_query_symbol(ev, res, &symbol)) return;
    const pl_env *env = api_env(ctx);
    signal_result r;
    signal_decide(env, &symbol, 1, &r);
    if (r.data_status == EX_INVALID_SYMBOL) {
        api_error(res, 400, "invalid_symbol", "Binance does not know %s: %s", symbol,
                  r.d.n_reasons ? r.d.reasons[0] : "invalid symbol");
        signal_results_free(&r, 1);
        return;
    }
    if (signal_journal(env->journal, &r, 1, env->deadline_ms)) {
        api_note_unwritten(ctx, (size_t)r.unwritten);
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
    return api_main(&fn);
}
