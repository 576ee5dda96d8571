/* journal: the trade journal and the invocation logs, read back.
 *   GET /api/trades?limit=200   CSV (text/csv), a header line, newest first; limit 1..1000
 *   GET /api/logs?lines=200     the newest log lines as JSON lines (application/x-ndjson),
 *                               oldest first like tail(1); lines 1..1000
 * A journal that cannot be read is a 503. Reading the journal does not add
 * to it: this function's own invocations are not kept under logs/ (a
 * dashboard polling /api/logs would otherwise fill the very day it reads;
 * they still print to stdout). */
#include "frame/api.h"
#include "services/journal.h"
#include "services/journal_logs.h"
#include "services/journal_trade.h"

#define TRADES_DEFAULT_LIMIT 200
#define LOGS_DEFAULT_LINES 200

static void unavailable(apigw_response *res, store *j, const char *what, const dstr *err) {
    api_error(res, 503, "journal_unavailable", "the %s cannot be read: %s", what,
              j ? dstr_cstr(err) : "the store did not open");
}

static void list_trades(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    long limit;
    if (api_query_long(ev, res, "limit", TRADES_DEFAULT_LIMIT, 1, JOURNAL_LIMIT_MAX, &limit))
        return;
    store *j = journal_open(ctx->cfg->journal_url);
    dstr err = {0};
    if (!j || journal_trade_csv(j, (size_t)limit, &res->body, &err)) {
        unavailable(res, j, "trade journal", &err);
        dstr_free(&err);
        return;
    }
    res->status = 200;
    res->content_type = "text/csv; charset=utf-8";
}

static void tail_logs(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    long lines;
    if (api_query_long(ev, res, "lines", LOGS_DEFAULT_LINES, 1, JOURNAL_LIMIT_MAX, &lines)) return;
    store *j = journal_open(ctx->cfg->journal_url);
    dstr err = {0};
    if (!j || journal_logs_tail(j, (size_t)lines, &res->body, NULL, &err)) {
        unavailable(res, j, "log journal", &err);
        dstr_free(&err);
        return;
    }
    res->status = 200;
    res->content_type = "application/x-ndjson";
}

static const char *const trades_params[] = {"limit", NULL};
static const char *const logs_params[] = {"lines", NULL};
static const api_route routes[] = {
    {"GET", "/api/trades", list_trades, trades_params},
    {"GET", "/api/logs", tail_logs, logs_params},
};

int main(void) {
    api_function fn = {.name = "journal", .routes = routes, .n_routes = 2, .no_invocation_log = 1};
    int rc = api_main(&fn);
    journal_close();
    return rc;
}
