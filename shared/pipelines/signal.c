/* signal_pipeline: the decision pipeline (see signal_pipeline.h). */
#include "pipelines/signal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/binance_exchange.h"
#include "services/gemini.h"
#include "services/journal.h"
#include "platform/log.h"
#include "domain/market_features.h"
#include "domain/model.h"
#include "platform/runtime.h"
#include "platform/clock.h"

/* Per-symbol working state between the stages. */
typedef struct stage {
    snapshot snap; /* taken at snap.now_ms */
    int has_snap;  /* snap holds the market data */
    int owns_snap; /* snap is ours to free */
    features feat;
    int usable;                            /* snapshot passed the gate: features valid */
    char data_reason[DECISION_REASON_LEN]; /* why not usable */
    http_request *reqs;                    /* its SIGNAL_REQS market requests, or NULL */
} stage;

/* ---- market data ------------------------------------------------------------ */

static const ex_snapshot_spec signal_spec = {.bars = SIGNAL_TF_BARS, .depth = SIGNAL_DEPTH_LIMIT};

void signal_prepare_market(const bn_client *bn, const char *symbol, http_request *reqs) {
    bn_snapshot_prepare(bn, symbol, &signal_spec, reqs);
}

int signal_assemble(http_request *reqs, const char *symbol, int64_t now_ms, snapshot *s, char *why,
                    size_t cap, ex_status *status) {
    dstr reason = {0};
    *status = bn_snapshot_assemble(reqs, symbol, &signal_spec, now_ms, s, &reason);
    if (cap) snprintf(why, cap, "%s", dstr_cstr(&reason));
    dstr_free(&reason);
    return *status == EX_OK ? 0 : -1;
}

/* One batch for every symbol's market data, assembled into snapshots. */
static void fetch_all(const signal_env *env, const char *const *symbols, size_t n, stage *st,
                      signal_result *out) {
    http_request *reqs = calloc(n * SIGNAL_REQS + 1, sizeof *reqs);
    http_request **batch = calloc(n * SIGNAL_REQS + 1, sizeof *batch);
    if (!reqs || !batch) abort();
    size_t nb = 0;
    bn_client bn;
    const cfg *c = env->cfg;
    bn_config bc = {.base = cfg_fapi_base(c),
                    .timeout_ms = c->binance_timeout_ms,
                    .retries = c->binance_retries,
                    .backoff_ms = c->binance_backoff_ms};
    if (env->http) bn_client_init(&bn, env->http, &bc);
    for (size_t i = 0; i < n; i++) {
        if (!env->http) {
            snprintf(st[i].data_reason, sizeof st[i].data_reason,
                     "market data: the HTTP client could not start");
            out[i].data_status = EX_UNAVAILABLE;
        } else if (!cfg_valid_symbol(symbols[i])) {
            snprintf(st[i].data_reason, sizeof st[i].data_reason,
                     "symbol must be 2-20 uppercase letters or digits");
            out[i].data_status = EX_INVALID_SYMBOL;
        } else {
            st[i].reqs = reqs + i * SIGNAL_REQS;
            signal_prepare_market(&bn, symbols[i], st[i].reqs);
            for (int k = 0; k < SIGNAL_REQS; k++) batch[nb++] = &st[i].reqs[k];
        }
    }
    int64_t now = clock_wall_ms(); /* candles closing after this are still forming */
    if (nb) http_run(env->http, batch, nb, env->deadline_ms);
    for (size_t i = 0; i < n; i++) {
        stage *s = &st[i];
        if (!s->reqs) continue;
        s->has_snap = s->owns_snap =
            signal_assemble(s->reqs, symbols[i], now, &s->snap, s->data_reason,
                            sizeof s->data_reason, &out[i].data_status) == 0;
        for (int k = 0; k < SIGNAL_REQS; k++) http_request_free(&s->reqs[k]);
        s->reqs = NULL;
    }
    free(batch);
    free(reqs);
}

/* ---- predictors ------------------------------------------------------------- */

static void features_request(const char *predictor, const features *f, dstr *out) {
    dstr_puts(out, "{\"predictor\":");
    dstr_json_str(out, predictor);
    dstr_puts(out, ",\"features\":");
    features_to_json(f, out);
    dstr_putc(out, '}');
}

static void builtin_predict(stage *s, signal_result *r) {
    model_predict(&s->feat, &r->pred);
    if (!r->request.len) /* a fallback keeps the request that was sent */
        features_request("builtin", &s->feat, &r->request);
}

/* Every usable symbol asks Gemini in one batch; the request record is the
 * body sent. A client that cannot be set up fails every prediction. */
static void gemini_predict_all(const signal_env *env, stage *st, signal_result *out, size_t n) {
    gemini_client g;
    char err[256];
    if (gemini_client_init(&g, env->cfg, err, sizeof err)) {
        for (size_t i = 0; i < n; i++) {
            if (!st[i].usable) continue;
            prediction_flat(&out[i].pred, "gemini", "gemini not configured: %s", err);
            features_request("gemini", &st[i].feat, &out[i].request);
        }
        return;
    }
    http_request *reqs = calloc(n, sizeof *reqs);
    http_request **batch = calloc(n, sizeof *batch);
    if (!reqs || !batch) abort();
    size_t nb = 0;
    dstr payload = {0};
    for (size_t i = 0; i < n; i++) {
        if (!st[i].usable) continue;
        dstr_clear(&payload);
        features_to_json(&st[i].feat, &payload);
        gemini_prepare(&g, &reqs[i], out[i].symbol, payload.ptr);
        dstr_append(&out[i].request, reqs[i].body.ptr, reqs[i].body.len);
        batch[nb++] = &reqs[i];
    }
    dstr_free(&payload);
    if (nb) http_run(env->http, batch, nb, env->deadline_ms);
    for (size_t i = 0; i < n; i++) {
        if (!st[i].usable) continue;
        gemini_parse(&reqs[i], out[i].symbol, &out[i].pred);
        http_request_free(&reqs[i]);
    }
    free(batch);
    free(reqs);
}

/* No usable data: the predictor is not asked. */
static void not_asked(const char *predictor, const char *symbol, stage *s, signal_result *r) {
    prediction_flat(&r->pred, predictor, "not asked: no usable market data");
    r->pred.failed = 0; /* the data reason says why; the predictor did not fail */
    dstr_puts(&r->request, "{\"predictor\":");
    dstr_json_str(&r->request, predictor);
    dstr_puts(&r->request, ",\"symbol\":");
    dstr_json_str(&r->request, symbol);
    dstr_puts(&r->request, ",\"features\":null,\"data_error\":");
    dstr_json_str(&r->request, s->data_reason);
    dstr_putc(&r->request, '}');
}

static void predict_all(const signal_env *env, stage *st, signal_result *out, size_t n) {
    const cfg *c = env->cfg;
    int gemini = strcmp(c->predictor, "gemini") == 0;
    int fallback = strcmp(c->predictor_fallback, "builtin") == 0;
    for (size_t i = 0; i < n; i++)
        if (!st[i].usable) not_asked(c->predictor, out[i].symbol, &st[i], &out[i]);
    if (gemini) gemini_predict_all(env, st, out, n);
    for (size_t i = 0; i < n; i++) {
        if (!st[i].usable) continue;
        if (!gemini) {
            builtin_predict(&st[i], &out[i]);
        } else if (out[i].pred.failed && fallback) {
            snprintf(out[i].fallback, sizeof out[i].fallback, "%s failed: %s",
                     out[i].pred.predictor, out[i].pred.rationale);
            builtin_predict(&st[i], &out[i]);
        }
    }
}

/* ---- decisions -------------------------------------------------------------- */

static decision_params params_from(const cfg *c) {
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

static int64_t candle_time(const stage *s) {
    if (s->usable) return s->feat.tf[TF_5M].close_time;
    const candles *m5 = &s->snap.tf[TF_5M];
    return m5->n ? m5->v[m5->n - 1].close_time : 0;
}

static void build_record(signal_result *r) {
    decision_to_json(&r->d, &r->record);
    const char *sep = dstr_json_reopen(&r->record); /* the audit fields */
    dstr_puts(&r->record, sep ? sep : "");
    dstr_puts(&r->record, "\"rationale\":");
    dstr_json_str(&r->record, r->pred.rationale);
    if (r->fallback[0]) {
        dstr_puts(&r->record, ",\"fallback\":");
        dstr_json_str(&r->record, r->fallback);
    }
    dstr_putc(&r->record, '}');
}

static void log_decision(const decision *d, const char *fallback) {
    log_rec *lr = log_begin(LOG_INFO, "signal.decision");
    log_str(lr, "symbol", d->symbol);
    log_str(lr, "direction", direction_name(d->dir));
    log_num(lr, "prob", d->prob);
    log_num(lr, "entry", d->entry);
    log_num(lr, "tp", d->tp);
    log_num(lr, "sl", d->sl);
    log_num(lr, "rr", d->rr);
    log_bool(lr, "risk_ok", d->risk_ok);
    dstr reasons = {0};
    dstr_putc(&reasons, '[');
    for (size_t i = 0; i < d->n_reasons; i++) {
        if (i) dstr_putc(&reasons, ',');
        dstr_json_str(&reasons, d->reasons[i]);
    }
    dstr_putc(&reasons, ']');
    log_json(lr, "reasons", reasons.ptr);
    log_str(lr, "predictor", d->predictor);
    if (fallback[0]) log_str(lr, "fallback", fallback);
    log_end(lr);
    dstr_free(&reasons);
}

/* The gate, features, predictions and decisions for staged symbols. */
static void decide_staged(const signal_env *env, stage *st, size_t n, signal_result *out) {
    for (size_t i = 0; i < n; i++) {
        stage *s = &st[i];
        if (s->has_snap &&
            snapshot_check(&s->snap, s->snap.now_ms, s->data_reason, sizeof s->data_reason) == 0) {
            features_compute(&s->snap, env->cfg->atr_period, &s->feat);
            s->usable = 1;
        }
    }
    predict_all(env, st, out, n);
    decision_params params = params_from(env->cfg);
    int64_t decided_at = clock_wall_ms();
    for (size_t i = 0; i < n; i++) {
        signal_result *r = &out[i];
        decision_input in = {.symbol = r->symbol,
                             .pred = &r->pred,
                             .feat = st[i].usable ? &st[i].feat : NULL,
                             .data_reason = st[i].usable ? NULL : st[i].data_reason,
                             .candle_time = candle_time(&st[i]),
                             .decided_at = decided_at};
        decision_make(&in, &params, &r->d);
        build_record(r);
        log_decision(&r->d, r->fallback);
        if (st[i].owns_snap) snapshot_free(&st[i].snap);
    }
}

void signal_decide(const signal_env *env, const char *const *symbols, size_t n,
                   signal_result *out) {
    memset(out, 0, n * sizeof *out);
    if (!n) return;
    stage *st = calloc(n, sizeof *st);
    if (!st) abort();
    for (size_t i = 0; i < n; i++) snprintf(out[i].symbol, sizeof out[i].symbol, "%s", symbols[i]);
    fetch_all(env, symbols, n, st, out);
    decide_staged(env, st, n, out);
    free(st);
}

void signal_decide_snapshots(const signal_env *env, const snapshot *snaps, size_t n,
                             signal_result *out) {
    memset(out, 0, n * sizeof *out);
    if (!n) return;
    stage *st = calloc(n, sizeof *st);
    if (!st) abort();
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].symbol, sizeof out[i].symbol, "%s", snaps[i].symbol);
        st[i].snap = snaps[i]; /* borrowed: the caller frees it */
        st[i].has_snap = 1;
    }
    decide_staged(env, st, n, out);
    free(st);
}

/* ---- journal and the whole run ----------------------------------------------- */

size_t signal_journal(store *journal, signal_result *out, size_t n) {
    size_t unwritten = 0;
    for (size_t i = 0; i < n; i++) {
        signal_result *r = &out[i];
        r->unwritten = 0;
        if (journal_put(journal, JOURNAL_REQUEST, r->symbol, r->d.decided_at, r->request.ptr,
                        r->request.len, &r->request_key))
            r->unwritten++;
        if (journal_put(journal, JOURNAL_DECISION, r->symbol, r->d.decided_at, r->record.ptr,
                        r->record.len, &r->decision_key))
            r->unwritten++;
        unwritten += (size_t)r->unwritten;
    }
    return unwritten;
}

size_t signal_run_env(const signal_env *env, const char *const *symbols, size_t n,
                      signal_result *out) {
    signal_decide(env, symbols, n, out);
    return signal_journal(env->journal, out, n);
}

void signal_env_from_ctx(api_ctx *ctx, signal_env *env) {
    env->cfg = ctx->cfg;
    env->http = api_http(ctx);
    env->journal = journal_open(ctx->cfg->journal_url);
    env->deadline_ms = ctx->deadline_ms;
}

size_t signal_run(api_ctx *ctx, const char *const *symbols, size_t n, signal_result *out) {
    signal_env env;
    signal_env_from_ctx(ctx, &env);
    return signal_run_env(&env, symbols, n, out);
}

void signal_results_free(signal_result *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dstr_free(&out[i].request);
        dstr_free(&out[i].record);
        dstr_free(&out[i].request_key);
        dstr_free(&out[i].decision_key);
    }
}
