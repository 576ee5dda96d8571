/* env: the configuration made into clients, kept for the warm process (see
 * env.h). */
#include "pipelines/env.h"

#include <stdlib.h>
#include <string.h>

#include "platform/http.h"
#include "aws/secretsmanager.h"
#include "aws/store_s3.h"
#include "platform/secret.h"
#include "platform/log.h"
#include "services/binance_exchange.h"
#include "services/gemini_predictor.h"
#include "services/paper_exchange.h"
#include "services/invlog.h"

struct pl_resources {
    const cfg *cfg;
    bn_config binance;
    gemini_config gemini;
    http_client *http;
    exchange *exchange; /* Binance */
    exchange *paper;    /* EXECUTE_TRADES=paper: the simulated account on Binance's market */
    predictor *gemini_predictor;
    store *journal;
    telegram_client telegram;
    int telegram_ok; /* TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID set and valid */
    invlog log;      /* the invocation being collected */
};

decision_params pl_decision_params(const cfg *c) {
    decision_params p = {.min_prob = c->min_prob,
                         .rr_min = c->rr_min,
                         .atr_mult_tp = c->atr_mult_tp,
                         .atr_mult_sl = c->atr_mult_sl,
                         .max_spread_bps = c->max_spread_bps,
                         .atr_period = c->atr_period,
                         .atr_tf = TF_1H};
    if (c->atr_tf) tf_parse(c->atr_tf, &p.atr_tf);
    return p;
}

sizing_params pl_sizing_params(const cfg *c) {
    return (sizing_params){.risk_usdt = c->risk_usdt,
                           .fee_taker = c->fee_taker,
                           .slippage_bps = c->slippage_bps,
                           .max_notional_usdt = c->max_notional_usdt,
                           .leverage = c->leverage,
                           .rr_min = c->rr_min,
                           .mmr = SIZING_DEFAULT_MMR};
}

risk_params pl_risk_params(const cfg *c) {
    return (risk_params){.max_open_positions = c->max_open_positions,
                         .daily_loss_limit_usdt = c->daily_loss_limit_usdt,
                         .max_drawdown_pct = c->max_drawdown_pct,
                         .cooldown_minutes = c->cooldown_minutes,
                         .max_funding_rate = c->max_funding_rate};
}

sim_config pl_paper_sim_config(const cfg *c) {
    /* Binance's defaults for a new account (leverage 20, CROSSED): the
     * trader's set-up changes them as it would live */
    return (sim_config){.balance = c->paper_balance,
                        .fee_taker = c->fee_taker,
                        .fee_maker = c->fee_maker,
                        .slippage_bps = c->slippage_bps,
                        .margin_type = EX_CROSSED};
}

int pl_market_entry(const cfg *c) {
    return !c->entry_order_type || strcmp(c->entry_order_type, "LIMIT") != 0;
}

int pl_binance_keys(const cfg *c) {
    return c->binance_api_key && *c->binance_api_key && c->binance_api_secret &&
           *c->binance_api_secret;
}

int pl_account_readable(const cfg *c) { return c->paper || pl_binance_keys(c); }

bn_config pl_binance_config(const cfg *c) {
    return (bn_config){.base = cfg_fapi_base(c),
                       .timeout_ms = c->binance_timeout_ms,
                       .retries = c->binance_retries,
                       .backoff_ms = c->binance_backoff_ms,
                       .api_key = c->binance_api_key,
                       .api_secret = c->binance_api_secret,
                       .recv_window_ms = c->recv_window_ms};
}

gemini_config pl_gemini_config(const cfg *c) {
    return (gemini_config){.base_url = c->gemini_base_url,
                           .model = c->gemini_model,
                           .api_key = c->google_api_key,
                           .temperature = c->g_temperature,
                           .max_tokens = c->g_max_tokens,
                           .timeout_ms = c->gemini_timeout_ms,
                           .retries = c->gemini_retries,
                           .backoff_ms = c->gemini_backoff_ms,
                           .atr_mult_tp = c->atr_mult_tp,
                           .atr_mult_sl = c->atr_mult_sl,
                           .atr_tf = c->atr_tf ? c->atr_tf : "1h"};
}

telegram_config pl_telegram_config(const cfg *c) {
    return (telegram_config){.base_url = c->telegram_base_url,
                             .token = c->telegram_bot_token,
                             .chat_id = c->telegram_chat_id,
                             .timeout_ms = c->telegram_timeout_ms,
                             .retries = c->telegram_retries,
                             .backoff_ms = c->telegram_backoff_ms};
}

pl_resources *pl_resources_new(const cfg *c) {
    pl_resources *r = calloc(1, sizeof *r);
    if (!r) abort();
    /* the composition root decides which store backends exist */
    store_s3_settings s3 = store_s3_settings_from_cfg(c);
    store_s3_register(&s3);
    r->cfg = c;
    r->binance = pl_binance_config(c);
    r->gemini = pl_gemini_config(c);
    if (c->telegram_bot_token) {
        telegram_config tc = pl_telegram_config(c);
        dstr err = {0};
        r->telegram_ok = telegram_client_init(&r->telegram, &tc, &err) == 0;
        if (!r->telegram_ok) log_msg(LOG_ERROR, "telegram.unusable", "%s", dstr_cstr(&err));
        dstr_free(&err);
    }
    return r;
}

void pl_resources_free(pl_resources *r) {
    if (!r) return;
    ex_close(r->paper);
    ex_close(r->exchange);
    predictor_free(r->gemini_predictor);
    if (r->http) http_client_free(r->http);
    store_close(r->journal);
    invlog_free(&r->log);
    free(r);
}

/* NULL (logged, so the records say why) when it cannot be opened. */
static store *journal(pl_resources *r) {
    if (r->journal) return r->journal;
    dstr err = {0};
    r->journal = store_open(r->cfg->journal_url, &err);
    if (!r->journal) {
        log_rec *lr = log_begin(LOG_ERROR, "journal.open_failed");
        log_str(lr, "url", r->cfg->journal_url);
        log_str(lr, "error", dstr_cstr(&err));
        log_end(lr);
    }
    dstr_free(&err);
    return r->journal;
}

store *pl_resources_journal(pl_resources *r, int64_t deadline_ms) {
    store *s = journal(r);
    store_set_deadline(s, deadline_ms);
    return s;
}

/* The HTTP client starts only when libcurl can; the clients that need it
 * follow it. */
static void open_clients(pl_resources *r) {
    if (!r->http) {
        http_tls tls = {.ca_path = r->cfg->ca_path, .ca_file = r->cfg->ca_file};
        r->http = http_client_new(&tls);
    }
    if (!r->http) return;
    if (!r->exchange) r->exchange = binance_exchange_new(r->http, &r->binance);
    if (!r->paper && r->cfg->paper) {
        paper_config pc = {.market = r->exchange, .sim = pl_paper_sim_config(r->cfg)};
        r->paper = paper_exchange_new(&pc);
    }
    if (!r->gemini_predictor && strcmp(r->cfg->predictor, "gemini") == 0)
        r->gemini_predictor = gemini_predictor_new(r->http, &r->gemini);
}

void pl_env_make(pl_resources *r, int64_t deadline_ms, pl_env *env) {
    open_clients(r);
    const cfg *c = r->cfg;
    int gemini = strcmp(c->predictor, "gemini") == 0;
    *env = (pl_env){
        .cfg = c,
        .exchange = r->paper ? r->paper : r->exchange,
        /* without an HTTP client no symbol has data, so no predictor is asked;
         * the decisions still name the configured one */
        .predictor = !gemini               ? predictor_builtin()
                     : r->gemini_predictor ? r->gemini_predictor
                                           : gemini_predictor_unavailable(),
        .fallback = strcmp(c->predictor_fallback, "builtin") == 0 ? predictor_builtin() : NULL,
        .journal = journal(r),
        .http = r->http,
        .telegram = r->http && r->telegram_ok ? &r->telegram : NULL,
        .deadline_ms = deadline_ms,
        .params = pl_decision_params(c),
        .sizing = pl_sizing_params(c),
        .risk = pl_risk_params(c),
    }; /* every journal read or write of the invocation ends by its deadline */
    store_set_deadline(env->journal, deadline_ms);
    paper_exchange_bind(r->paper, env->journal);
}

void pl_invocation_begin(pl_resources *r, const char *function, const char *request_id) {
    invlog_begin(&r->log, function, request_id, clock_wall_ms(), 0);
}

int pl_invocation_end(pl_resources *r, int64_t deadline_ms) {
    store *s = r->log.n_lines ? journal(r) : NULL; /* no lines: nothing to write */
    return invlog_end(&r->log, s, deadline_ms, NULL) ? 1 : 0;
}

void pl_invocation_discard(pl_resources *r) { invlog_discard(&r->log); }

int pl_secrets_fetch(const cfg *c, int64_t deadline_ms, dstr *err) {
    if (!c->secret_id) return 0;
    http_tls tls = {.ca_path = c->ca_path, .ca_file = c->ca_file};
    http_client *h = http_client_new(&tls);
    if (!h) {
        dstr_error_line(err, "SECRET_ID: the HTTP client could not start");
        return -1;
    }
    sm_config sc = {
        .region = c->aws_region,
        .endpoint = c->secrets_endpoint,
        .cred = {c->aws_access_key_id, c->aws_secret_access_key, c->aws_session_token},
        .policy = {.timeout_ms = c->secret_timeout_ms, .retries = 2, .backoff_ms = 100}};
    dstr text = {0}, why = {0};
    char *values[CFG_SECRET_N];
    size_t unknown = 0;
    int rc = -1;
    int64_t until = clock_wall_ms() + c->secret_timeout_ms;
    if (deadline_ms > 0 && deadline_ms < until) until = deadline_ms;
    if (sm_get_secret(h, &sc, c->secret_id, until, &text, &why))
        dstr_error_line(err, "SECRET_ID: %s", dstr_cstr(&why));
    else if (sm_parse_secret(text.ptr, text.len, cfg_secret_names, CFG_SECRET_N, values, &unknown,
                             &why))
        dstr_error_line(err, "SECRET_ID: secret %s: %s", c->secret_id, dstr_cstr(&why));
    else {
        for (size_t i = 0; i < CFG_SECRET_N; i++) secret_register(values[i]);
        cfg_use_secret_values(values);
        if (unknown)
            log_msg(LOG_WARN, "secrets.unknown_names",
                    "secret %s holds %zu name(s) that are not secret variables: ignored",
                    c->secret_id, unknown);
        rc = 0;
    }
    if (text.ptr) explicit_bzero(text.ptr, text.cap); /* the keys: not left in freed memory */
    dstr_free(&text);
    dstr_free(&why);
    http_client_free(h);
    return rc;
}
