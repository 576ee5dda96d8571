/* trader: one trader run: decide for the symbols and journal every decision.
 * Execution does not exist yet (EXECUTE_TRADES=true is refused at init).
 *   GET|POST /tasks/trader?symbols=BTCUSDT,ETHUSDT&debug=1
 *     symbols: optional, comma-separated, each one of SYMBOLS (else 400);
 *     default all of SYMBOLS. debug=1 adds the stored request records.
 *   scheduled: the EventBridge Scheduler input object (scheduler.yaml), with
 *     optional "symbols" (array of strings, or one comma-separated string)
 *     and "debug" (bool); or the EventBridge "Scheduled Event" envelope.
 * Answer: {"run_at" (unix ms),"scheduled_time"?,"symbols":[...],"predictor",
 *          "decisions":[decision records, in symbol order],
 *          "journal":{"written":N,"unwritten":M},"requests"?:[request records]}
 * Every record of the run goes to the journal in one batch that ends by the
 * invocation's deadline. A record the journal could not write by then (it is
 * printed whole as journal.unwritten) changes no answer: "journal.unwritten"
 * counts it, the HTTP answer keeps its 200 and gains x-journal-unwritten, and
 * a scheduled run returns its result (the frame logs the ERROR
 * journal.unwritten_summary). A function error would make Lambda retry the
 * run, and a retried run could trade twice. */
#include <stdlib.h>
#include <string.h>

#include "frame/api.h"
#include "platform/log.h"
#include "pipelines/signal.h"
#include "platform/clock.h"

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
static size_t trader_run(api_ctx *ctx, const run_spec *rs, dstr *out) {
    int64_t run_at = clock_wall_ms();
    signal_result *res = calloc(rs->n + 1, sizeof *res);
    if (!res) abort();
    size_t unwritten = signal_run(api_env(ctx), rs->symbols, rs->n, res);
    size_t risk_ok = 0;
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
    for (size_t i = 0; i < rs->n; i++) {
        if (i) dstr_putc(out, ',');
        dstr_append(out, res[i].record.ptr, res[i].record.len);
        risk_ok += (size_t)res[i].d.risk_ok;
    }
    dstr_printf(out, "],\"journal\":{\"written\":%zu,\"unwritten\":%zu}", 2 * rs->n - unwritten,
                unwritten);
    if (rs->debug) {
        dstr_puts(out, ",\"requests\":[");
        for (size_t i = 0; i < rs->n; i++) {
            if (i) dstr_putc(out, ',');
            dstr_append(out, res[i].request.ptr, res[i].request.len);
        }
        dstr_putc(out, ']');
    }
    dstr_putc(out, '}');

    log_rec *r = log_begin(unwritten ? LOG_ERROR : LOG_INFO, "trader.run");
    log_int(r, "symbols", (long long)rs->n);
    log_int(r, "risk_ok", (long long)risk_ok);
    log_int(r, "journal_unwritten", (long long)unwritten);
    log_int(r, "duration_ms", clock_wall_ms() - run_at);
    log_end(r);
    signal_results_free(res, rs->n);
    free(res);
    return unwritten;
}

static void http_trader(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    run_spec rs = {0};
    const char *symbols = apigw_query(ev, "symbols"), *debug = apigw_query(ev, "debug");
    dstr err = {0};
    if (debug && cfg_parse_bool(debug, &rs.debug)) {
        api_error(res, 400, "invalid_parameter", "debug must be 1 or 0 (true or false)");
    } else if (symbols && symbols_from_csv(ctx->cfg, symbols, &rs, &err)) {
        api_error(res, 400, "invalid_symbol", "%s", err.ptr);
    } else {
        if (!symbols) all_symbols(ctx->cfg, &rs);
        api_note_unwritten(ctx, trader_run(ctx, &rs, &res->body));
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
    api_note_unwritten(ctx, trader_run(ctx, &rs, &res->body));
    dstr_free(&err);
}

static const char *const params[] = {"symbols", "debug", NULL};
static const api_route routes[] = {{"GET,POST", "/tasks/trader", http_trader, params}};

int main(void) {
    api_function fn = {.name = "trader", .routes = routes, .n_routes = 1, .on_event = on_event};
    return api_main(&fn);
}
