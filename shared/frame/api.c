/* api: config, routing, errors and health for every function (see api.h). */
#include "frame/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipelines/run_alerts.h"
#include "platform/log.h"
#include "platform/secret.h"
#include "platform/clock.h"

struct api_state {
    const api_function *fn;
    cfg cfg;
    pl_resources *res; /* the pipelines' clients, kept for the process */
    pl_env env;        /* this invocation's, once api_env() made it */
    int has_env;
    int secret_reread; /* the secret was read again after Binance refused the keys */
};

const pl_env *api_env(api_ctx *ctx) {
    struct api_state *st = ctx->state;
    if (!st->has_env) {
        if (!st->res) st->res = pl_resources_new(ctx->cfg);
        pl_env_make(st->res, ctx->deadline_ms, &st->env);
        st->has_env = 1;
    }
    return &st->env;
}

void api_upstream_error(apigw_response *res, const ex_error *e, const char *msg) {
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

void api_error(apigw_response *res, int status, const char *code, const char *fmt, ...) {
    dstr msg = {0};
    va_list ap;
    va_start(ap, fmt);
    dstr_vprintf(&msg, fmt, ap);
    va_end(ap);
    res->status = status;
    res->content_type = NULL;
    dstr_clear(&res->body);
    dstr_puts(&res->body, "{\"error\":");
    dstr_json_str(&res->body, code);
    dstr_puts(&res->body, ",\"message\":");
    dstr_json_str(&res->body, msg.ptr);
    dstr_putc(&res->body, '}');
    dstr_free(&msg);
}

int api_query_symbol(const apigw_event *ev, apigw_response *res, const char **out) {
    const char *s = apigw_query(ev, "symbol");
    if (!s || !*s) {
        api_error(res, 400, "missing_parameter", "symbol is required, e.g. symbol=BTCUSDT");
        return -1;
    }
    if (!cfg_valid_symbol(s)) {
        api_error(res, 400, "invalid_symbol",
                  "symbol must be 2-20 uppercase letters or digits (e.g. BTCUSDT)");
        return -1;
    }
    *out = s;
    return 0;
}

int api_query_long(const apigw_event *ev, apigw_response *res, const char *name, long def, long min,
                   long max, long *out) {
    const char *s = apigw_query(ev, name);
    if (!s) {
        *out = def;
        return 0;
    }
    if (cfg_parse_long(s, min, max, out)) {
        api_error(res, 400, "invalid_parameter", "%s must be a whole number from %ld to %ld", name,
                  min, max);
        return -1;
    }
    return 0;
}

static int method_allowed(const char *methods, const char *method) {
    size_t n = strlen(method);
    for (const char *p = methods; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncasecmp(p, method, n) == 0) return 1;
        p += len + (comma ? 1 : 0);
    }
    return 0;
}

/* Unknown query parameters are refused rather than ignored: a typo such as
 * "limt=5" must not silently fall back to a default on a trading API. */
static int check_params(const api_route *r, const apigw_event *ev, apigw_response *res) {
    if (!ev->query) return 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, ev->query) {
        int known = 0;
        for (const char *const *a = r->params; a && *a && !known; a++)
            known = strcmp(*a, p->string) == 0;
        if (!known) {
            dstr allowed = {0};
            for (const char *const *a = r->params; a && *a; a++)
                dstr_printf(&allowed, "%s%s", allowed.len ? ", " : "", *a);
            api_error(res, 400, "unknown_parameter", "unknown query parameter '%s'; allowed: %s",
                      p->string, allowed.len ? allowed.ptr : "none");
            dstr_free(&allowed);
            return -1;
        }
    }
    return 0;
}

static void health(const api_function *fn, api_ctx *ctx, apigw_response *res) {
    res->status = 200;
    dstr_puts(&res->body, "{\"status\":\"ok\",\"service\":");
    dstr_json_str(&res->body, fn->name);
    dstr_printf(&res->body,
                ",\"time\":%lld,\"execute_trades\":%s,\"account\":\"%s\",\"testnet\":%s}",
                (long long)clock_wall_ms(), ctx->cfg->execute_trades ? "true" : "false",
                cfg_account(ctx->cfg), ctx->cfg->use_testnet ? "true" : "false");
}

static void route_http(const api_function *fn, api_ctx *ctx, const apigw_event *ev,
                       apigw_response *res) {
    /* Parsed values end at a %00, so "symbol=BTCUSDT%00../x" would pass as
     * BTCUSDT with the rest dropped unseen: refuse it here, for every route. */
    size_t bad_len;
    const char *bad = apigw_query_control(ev, &bad_len);
    if (bad) {
        api_error(res, 400, "invalid_parameter",
                  "query parameter '%.*s' has a control character (such as %%00) in its name or "
                  "value",
                  (int)(bad_len > 64 ? 64 : bad_len), bad);
        return;
    }
    if (strcmp(ev->path, "/health") == 0) {
        if (strcasecmp(ev->method, "GET") == 0 || strcasecmp(ev->method, "HEAD") == 0)
            health(fn, ctx, res);
        else {
            api_error(res, 405, "method_not_allowed", "%s is not allowed on /health; use GET",
                      ev->method);
            apigw_add_header(res, "allow", "GET");
        }
        return;
    }
    for (size_t i = 0; i < fn->n_routes; i++) {
        const api_route *r = &fn->routes[i];
        if (strcmp(r->path, ev->path) != 0) continue;
        if (!method_allowed(r->methods, ev->method)) {
            api_error(res, 405, "method_not_allowed", "%s is not allowed on %s; use %s", ev->method,
                      r->path, r->methods);
            apigw_add_header(res, "allow", r->methods);
            return;
        }
        if (check_params(r, ev, res)) return;
        r->fn(ctx, ev, res);
        return;
    }
    api_error(res, 404, "not_found", "no route for %s in function %s", ev->path, fn->name);
}

static int finish(api_ctx *ctx) { return ctx->finish ? ctx->finish(ctx) : 0; }

void api_note_unwritten(api_ctx *ctx, size_t n) { ctx->unwritten += (int)n; }

/* An event's answer stays as it is (a function error would make Lambda retry
 * the run); the loss is an ERROR for the alarms, the records are on stdout. */
static void log_unwritten_summary(const api_function *fn, int records, int log) {
    if (!records && !log) return;
    log_rec *r = log_begin(LOG_ERROR, "journal.unwritten_summary");
    log_str(r, "function", fn->name);
    log_int(r, "unwritten", records + log);
    log_int(r, "records", records);
    log_int(r, "log", log);
    log_end(r);
}

void api_dispatch(const api_function *fn, api_ctx *ctx, const char *payload, size_t len,
                  rt_response *out) {
    apigw_event ev;
    dstr err = {0};
    if (apigw_parse(payload, len, &ev, &err)) {
        rt_response_fail(out, "Function.BadEvent", "%s", err.ptr);
        log_msg(LOG_WARN, "api.bad_event", "%s", err.ptr);
        finish(ctx);
    } else if (ev.kind == APIGW_HTTP) {
        int64_t t0 = clock_wall_ms();
        apigw_response res = {.status = 500};
        route_http(fn, ctx, &ev, &res);
        log_rec *r = log_begin(res.status >= 500 ? LOG_ERROR : LOG_INFO, "http.request");
        log_str(r, "method", ev.method);
        log_str(r, "path", ev.path);
        log_int(r, "status", res.status);
        log_int(r, "duration_ms", clock_wall_ms() - t0);
        log_end(r);
        /* A health probe (load balancers, monitors: every few seconds) is not
         * worth an object in the journal; its lines still go to stdout. */
        if (strcmp(ev.path, "/health") == 0 && res.status == 200 && ctx->discard) ctx->discard(ctx);
        int unwritten = ctx->unwritten + finish(ctx);
        if (unwritten) {
            char n[16];
            snprintf(n, sizeof n, "%d", unwritten);
            apigw_add_header(&res, "x-journal-unwritten", n);
        }
        apigw_response_format(&res, &out->body);
        apigw_response_free(&res);
    } else if (fn->on_event) {
        fn->on_event(ctx, ev.input, out);
        int log = finish(ctx);
        log_unwritten_summary(fn, ctx->unwritten, log);
    } else {
        rt_response_fail(out, "Function.UnsupportedEvent",
                         "function %s only serves HTTP requests (payload format 2.0)", fn->name);
        finish(ctx);
    }
    apigw_event_free(&ev);
    dstr_free(&err);
}

static int on_init(void *vst, dstr *err, const char **err_type) {
    struct api_state *st = vst;
    int bad = cfg_load(&st->cfg, err);
    if (st->cfg.secret_id) { /* the keys come from the secret: load again with them */
        dstr_clear(err);
        if (pl_secrets_fetch(&st->cfg, 0, err)) {
            *err_type = "Runtime.SecretUnavailable";
            log_rec *r = log_begin(LOG_ERROR, "config.secret_unavailable");
            log_str(r, "message", err->ptr);
            log_end(r);
            run_alerts_config_error(&st->cfg, st->fn->name, dstr_cstr(err));
            return -1;
        }
        cfg_free(&st->cfg);
        bad = cfg_load(&st->cfg, err);
    }
    if (!bad && st->fn->init_check) {
        if (!st->res) st->res = pl_resources_new(&st->cfg);
        bad = st->fn->init_check(&st->cfg, st->res, err);
    }
    if (bad) {
        *err_type = "Runtime.ConfigInvalid";
        log_rec *r = log_begin(LOG_ERROR, "config.invalid");
        log_str(r, "message", err->ptr);
        log_end(r);
        run_alerts_config_error(&st->cfg, st->fn->name, dstr_cstr(err));
        return -1;
    }
    log_init(st->fn->name); /* again: TZ may have been set from the default */
    log_set_level(st->cfg.log_level);
    return 0;
}

static int write_invocation_log(api_ctx *ctx) {
    return pl_invocation_end(ctx->state->res, ctx->inv->deadline_ms);
}

static void discard_invocation_log(api_ctx *ctx) {
    pl_invocation_discard(ctx->state->res);
    ctx->finish = NULL;
}

/* Binance refused the keys: with SECRET_ID, the secret is read again (once
 * per process) and the configuration loaded anew with it; the clients built
 * from the old one are dropped (rebuilt at the next invocation). The answer
 * is ready but not yet posted: the read ends half of API_RESERVE_MS before
 * Lambda's deadline, and with less time left it waits for a later
 * invocation. A secret or a configuration that cannot be read keeps the old
 * one, said in the log. */
static void reread_secret(struct api_state *st, int64_t lambda_deadline_ms) {
    int64_t until = lambda_deadline_ms - API_RESERVE_MS / 2;
    if (!st->cfg.secret_id || st->secret_reread || until - clock_wall_ms() < 100) return;
    st->secret_reread = 1;
    dstr err = {0};
    cfg fresh;
    int ok = pl_secrets_fetch(&st->cfg, until, &err) == 0;
    if (ok && cfg_load(&fresh, &err) == 0) {
        pl_resources_free(st->res);
        st->res = NULL;
        cfg_free(&st->cfg);
        st->cfg = fresh;
        log_msg(LOG_WARN, "secrets.reread", "Binance refused the keys: secret %s read again",
                st->cfg.secret_id);
    } else {
        if (ok) cfg_free(&fresh);
        log_msg(LOG_ERROR, "secrets.reread_failed", "%s", dstr_cstr(&err));
    }
    dstr_free(&err);
}

static void on_invoke(void *vst, const rt_invocation *inv, rt_response *res) {
    struct api_state *st = vst;
    api_ctx ctx = {
        .cfg = &st->cfg, .inv = inv, .state = st, .deadline_ms = inv->deadline_ms - API_RESERVE_MS};
    st->has_env = 0; /* each invocation has its own deadline */
    if (!st->res) st->res = pl_resources_new(&st->cfg);
    if (!st->fn->no_invocation_log) {
        pl_invocation_begin(st->res, st->fn->name, inv->request_id);
        ctx.finish = write_invocation_log;
        ctx.discard = discard_invocation_log;
    }
    api_dispatch(st->fn, &ctx, inv->payload, inv->payload_len, res);
    if (ctx.keys_rejected) reread_secret(st, inv->deadline_ms);
}

int api_main(const api_function *fn) {
    struct api_state st = {.fn = fn};
    log_init(fn->name);
    rt_handler h = {.ctx = &st, .init = on_init, .invoke = on_invoke};
    int rc = rt_run(&h);
    pl_resources_free(st.res);
    cfg_free(&st.cfg);
    secret_clear();
    return rc;
}
