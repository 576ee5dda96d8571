/* trader: one trader run (pipelines/trader.h): read the market and the
 * account in one batch, reconcile, decide, and with EXECUTE_TRADES=true
 * open protected positions for the decisions worth it; journal every
 * decision and one run record.
 *   POST /tasks/trader?symbols=BTCUSDT,ETHUSDT&debug=1
 *   GET  /tasks/trader?...   only while EXECUTE_TRADES is false or paper (no money)
 *     symbols: optional, comma-separated, each one of SYMBOLS (else 400);
 *     default all of SYMBOLS. debug=1 adds the stored request records.
 *   HTTP trigger safety, while EXECUTE_TRADES=true (not paper): POST only (GET answers
 *     405 with Allow: POST); the request needs the header X-Trader-Token
 *     equal to TRADER_TOKEN (compared in constant time; the Authorization
 *     header is the gateway's own); without TRADER_TOKEN configured, HTTP
 *     runs are refused (403): only the scheduler runs the trader. An HTTP
 *     run's I/O ends within TRADER_HTTP_BUDGET_MS, inside API Gateway's 30 s
 *     integration limit, whatever the retries.
 *   scheduled: the EventBridge Scheduler input object (scheduler.yaml), with
 *     optional "symbols" (array of strings, or one comma-separated string)
 *     and "debug" (bool); or the EventBridge "Scheduled Event" envelope. It
 *     needs no token.
 * Init: with LIVE_REQUIRES_PROBE=true, EXECUTE_TRADES=true is refused as an
 *   invalid configuration unless a ready backtest of the strategy is in the
 *   journal (pipelines/probe.h).
 * Answer: {"run_at" (unix ms),"scheduled_time"?,"symbols":[...],"predictor",
 *          "decisions":[decision records, in symbol order],
 *          "journal":{"written":N,"unwritten":M},"run":{trader_result_json},
 *          "requests"?:[request records]}
 * journal counts the run's records: each symbol's request and decision and
 * the run record (and, with execution, claims, plans, trades, risk state
 * written along the way are not counted; their losses are). A record the
 * journal could not write (it is printed whole as journal.unwritten)
 * changes no answer: the HTTP answer keeps its 200 and gains
 * x-journal-unwritten, and a scheduled run returns its result. A function
 * error would make Lambda retry the run; the claim would stop a second
 * entry, but the retry is still pointless. */
#include <stdlib.h>
#include <string.h>

#include "frame/api.h"
#include "pipelines/probe.h"
#include "pipelines/trader.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "platform/secret.h"

#define TRADER_HTTP_BUDGET_MS 25000 /* API Gateway ends an HTTP integration at 30 s */

typedef struct run_spec {
    const char *symbols[CFG_MAX_SYMBOLS]; /* cfg's own strings */
    size_t n;
    int debug;
    const char *scheduled_time; /* from the event, NULL when none */
} run_spec;

static void allowed_symbols(const cfg *c, dstr *out) {
    for (size_t i = 0; i < c->n_symbols; i++) dstr_printf(out, "%s%s", i ? "," : "", c->symbols[i]);
}

/* Adds symbol text[0..len) if SYMBOLS has it (once); else err and -1. */
static int add_symbol(const cfg *c, run_spec *rs, const char *text, size_t len, dstr *err) {
    for (size_t i = 0; i < c->n_symbols; i++) {
        if (strlen(c->symbols[i]) != len || memcmp(c->symbols[i], text, len) != 0) continue;
        for (size_t k = 0; k < rs->n; k++)
            if (rs->symbols[k] == c->symbols[i]) return 0; /* listed twice: once is enough */
        rs->symbols[rs->n++] = c->symbols[i];
        return 0;
    }
    dstr_puts(err, len ? "symbol '" : "empty symbol in the list");
    if (len) {
        dstr_append(err, text, len);
        dstr_puts(err, "' is not traded here");
    }
    dstr_puts(err, "; allowed: ");
    allowed_symbols(c, err);
    return -1;
}

static int symbols_from_csv(const cfg *c, const char *csv, run_spec *rs, dstr *err) {
    for (const char *p = csv;;) {
        size_t len = strcspn(p, ",");
        if (add_symbol(c, rs, p, len, err)) return -1;
        if (!p[len]) return 0;
        p += len + 1;
    }
}

static void all_symbols(const cfg *c, run_spec *rs) {
    for (size_t i = 0; i < c->n_symbols; i++) rs->symbols[rs->n++] = c->symbols[i];
}

static void json_str_array(dstr *out, const char *const *v, size_t n) {
    dstr_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) dstr_putc(out, ',');
        dstr_json_str(out, v[i]);
    }
    dstr_putc(out, ']');
}

/* Runs the pipeline and renders the answer into out; returns the number of
 * journal records that could not be written. */
static size_t trader_answer(api_ctx *ctx, const run_spec *rs, const char *trigger,
                            const char *trigger_id, dstr *out) {
    int64_t run_at = clock_wall_ms();
    trader_request rq = {.symbols = rs->symbols,
                         .n = rs->n,
                         .trigger = trigger,
                         .trigger_id = trigger_id,
                         .run_id = ctx->inv ? ctx->inv->request_id : NULL};
    trader_result r;
    trader_run(api_env(ctx), &rq, &r);
    dstr_printf(out, "{\"run_at\":%lld", (long long)run_at);
    if (rs->scheduled_time) {
        dstr_puts(out, ",\"scheduled_time\":");
        dstr_json_str(out, rs->scheduled_time);
    }
    dstr_puts(out, ",\"symbols\":");
    json_str_array(out, rs->symbols, rs->n);
    dstr_puts(out, ",\"predictor\":");
    dstr_json_str(out, ctx->cfg->predictor);
    dstr_puts(out, ",\"decisions\":[");
    size_t lost = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (i) dstr_putc(out, ',');
        dstr_append(out, r.sym[i].sig.record.ptr, r.sym[i].sig.record.len);
        lost += (size_t)r.sym[i].sig.unwritten;
    }
    size_t run_lost = r.run_key.len ? 0 : 1, records = 2 * rs->n + 1;
    lost += run_lost;
    dstr_printf(out, "],\"journal\":{\"written\":%zu,\"unwritten\":%zu},\"run\":", records - lost,
                lost);
    trader_result_json(&r, out);
    if (rs->debug) {
        dstr_puts(out, ",\"requests\":[");
        for (size_t i = 0; i < rs->n; i++) {
            if (i) dstr_putc(out, ',');
            dstr_append(out, r.sym[i].sig.request.ptr, r.sym[i].sig.request.len);
        }
        dstr_putc(out, ']');
    }
    dstr_putc(out, '}');
    size_t unwritten = r.unwritten;
    ctx->keys_rejected |= r.keys_rejected;
    trader_result_free(&r);
    return unwritten;
}

/* The HTTP trigger's safety (see the header); 0 when the run may go on. */
static int http_allowed(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    const cfg *c = ctx->cfg;
    if (!c->execute_trades || c->paper) return 0; /* no money at stake: as a dry run */
    if (strcmp(ev->method, "POST") != 0) {
        api_error(res, 405, "method_not_allowed",
                  "with EXECUTE_TRADES=true /tasks/trader runs only on POST with X-Trader-Token");
        apigw_add_header(res, "allow", "POST");
        return -1;
    }
    if (!c->trader_token) {
        api_error(res, 403, "http_execution_disabled",
                  "HTTP-triggered execution needs TRADER_TOKEN configured; scheduled runs "
                  "need none");
        return -1;
    }
    if (!secret_equal(apigw_header(ev, "x-trader-token"), c->trader_token)) {
        log_msg(LOG_WARN, "trader.bad_token", "an HTTP run was refused: X-Trader-Token %s",
                apigw_header(ev, "x-trader-token") ? "wrong" : "missing");
        api_error(res, 401, "invalid_token", "X-Trader-Token is missing or wrong");
        return -1;
    }
    return 0;
}

static void http_trader(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    run_spec rs = {0};
    const char *symbols = apigw_query(ev, "symbols"), *debug = apigw_query(ev, "debug");
    dstr err = {0};
    if (http_allowed(ctx, ev, res)) {
        /* refused: nothing read, nothing run */
    } else if (debug && cfg_parse_bool(debug, &rs.debug)) {
        api_error(res, 400, "invalid_parameter", "debug must be 1 or 0 (true or false)");
    } else if (symbols && symbols_from_csv(ctx->cfg, symbols, &rs, &err)) {
        api_error(res, 400, "invalid_symbol", "%s", err.ptr);
    } else {
        if (!symbols) all_symbols(ctx->cfg, &rs);
        int64_t budget = clock_wall_ms() + TRADER_HTTP_BUDGET_MS;
        if (ctx->deadline_ms > budget) ctx->deadline_ms = budget; /* before api_env() */
        api_note_unwritten(ctx, trader_answer(ctx, &rs, "http",
                                              ctx->inv ? ctx->inv->request_id : NULL, &res->body));
        res->status = 200;
    }
    dstr_free(&err);
}

/* The scheduler's input: optional "symbols" and "debug"; other keys (source,
 * schedule, execution_id, the envelope's fields) are informative. */
static int spec_from_event(const cfg *c, const cJSON *in, run_spec *rs, dstr *err) {
    const cJSON *sym = cJSON_GetObjectItemCaseSensitive(in, "symbols");
    const cJSON *dbg = cJSON_GetObjectItemCaseSensitive(in, "debug");
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(in, "scheduled_time");
    if (!cJSON_IsString(when)) when = cJSON_GetObjectItemCaseSensitive(in, "time"); /* envelope */
    rs->scheduled_time = cJSON_IsString(when) ? when->valuestring : NULL;
    if (dbg && !cJSON_IsBool(dbg)) {
        dstr_puts(err, "\"debug\" must be true or false");
        return -1;
    }
    rs->debug = cJSON_IsTrue(dbg);
    if (!sym || cJSON_IsNull(sym)) {
        all_symbols(c, rs);
        return 0;
    }
    if (cJSON_IsString(sym)) return symbols_from_csv(c, sym->valuestring, rs, err);
    if (!cJSON_IsArray(sym) || cJSON_GetArraySize(sym) == 0) {
        dstr_puts(err,
                  "\"symbols\" must be a non-empty array of strings or a comma-separated string");
        return -1;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, sym) {
        if (!cJSON_IsString(s)) {
            dstr_puts(err, "\"symbols\" must hold strings");
            return -1;
        }
        if (add_symbol(c, rs, s->valuestring, strlen(s->valuestring), err)) return -1;
    }
    return 0;
}

static void on_event(api_ctx *ctx, const cJSON *input, rt_response *res) {
    run_spec rs = {0};
    dstr err = {0};
    if (spec_from_event(ctx->cfg, input, &rs, &err)) {
        log_msg(LOG_WARN, "trader.bad_event", "%s", err.ptr);
        rt_response_fail(res, "Function.BadEvent", "%s", err.ptr);
        dstr_free(&err);
        return;
    }
    api_note_unwritten(ctx, trader_answer(ctx, &rs, "schedule", rs.scheduled_time, &res->body));
    dstr_free(&err);
}

static const char *const params[] = {"symbols", "debug", NULL};
static const api_route routes[] = {{"GET,POST", "/tasks/trader", http_trader, params}};

int main(void) {
    api_function fn = {.name = "trader",
                       .routes = routes,
                       .n_routes = 1,
                       .on_event = on_event,
                       .init_check = pl_probe_init_check};
    return api_main(&fn);
}
