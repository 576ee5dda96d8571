/* journal: the trade journal and the invocation logs, read back.
 *   GET /api/trades?limit=200   CSV (text/csv), a header line, newest first; limit 1..1000;
 *                               the header x-trader-account says whose: paper or live
 *   GET /api/logs?lines=200     the newest log lines as JSON lines (application/x-ndjson),
 *                               oldest first like tail(1); lines 1..1000
 * A journal that cannot be read is a 503. Reading the journal does not add
 * to it: this function's own invocations are not kept under logs/ (a
 * dashboard polling /api/logs would otherwise fill the very day it reads;
 * they still print to stdout). */
#include "frame/api.h"
#include "pipelines/journal_read.h"

#define TRADES_DEFAULT_LIMIT 200
#define LOGS_DEFAULT_LINES 200

typedef int (*journal_reader)(const pl_env *env, size_t n, dstr *out, dstr *err);

/* One read endpoint: the count parameter, the reader, the content type. */
static void serve(api_ctx *ctx, const apigw_event *ev, apigw_response *res, const char *param,
                  long def, journal_reader read, const char *what, const char *content_type) {
    long n;
    if (api_query_long(ev, res, param, def, 1, JOURNAL_READ_MAX, &n)) return;
    dstr err = {0};
    if (read(api_env(ctx), (size_t)n, &res->body, &err)) {
        api_error(res, 503, "journal_unavailable", "the %s cannot be read: %s", what,
                  dstr_cstr(&err));
    } else {
        res->status = 200;
        res->content_type = content_type;
        apigw_add_header(res, "x-trader-account", cfg_account(ctx->cfg));
    }
    dstr_free(&err);
}

static void list_trades(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    serve(ctx, ev, res, "limit", TRADES_DEFAULT_LIMIT, journal_read_trades_csv, "trade journal",
          "text/csv; charset=utf-8");
}

static void tail_logs(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    serve(ctx, ev, res, "lines", LOGS_DEFAULT_LINES, journal_read_logs, "log journal",
          "application/x-ndjson");
}

static const char *const trades_params[] = {"limit", NULL};
static const char *const logs_params[] = {"lines", NULL};
static const api_route routes[] = {
    {"GET", "/api/trades", list_trades, trades_params},
    {"GET", "/api/logs", tail_logs, logs_params},
};

int main(void) {
    api_function fn = {.name = "journal", .routes = routes, .n_routes = 2, .no_invocation_log = 1};
    return api_main(&fn);
}
