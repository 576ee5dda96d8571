/* decide: snapshots -> gate -> features -> predictors -> decisions (see
 * decide.h). */
#include "domain/decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gate {
    char reason[DECISION_REASON_LEN]; /* why the item is not usable */
} gate;

static void not_asked(const char *name, decide_item *it, const char *why) {
    prediction_flat(&it->pred, name, "not asked: no usable market data");
    it->pred.failed = 0; /* the data reason says why; the predictor did not fail */
    dstr_puts(&it->request, "{\"predictor\":");
    dstr_json_str(&it->request, name);
    dstr_puts(&it->request, ",\"symbol\":");
    dstr_json_str(&it->request, it->symbol);
    dstr_puts(&it->request, ",\"features\":null,\"data_error\":");
    dstr_json_str(&it->request, why);
    dstr_putc(&it->request, '}');
}

static int64_t candle_time(const decide_item *it) {
    if (it->usable) return it->feat.tf[TF_5M].close_time;
    if (!it->snap) return 0;
    const candles *m5 = &it->snap->tf[TF_5M];
    return m5->n ? m5->v[m5->n - 1].close_time : 0;
}

/* Asks p for the items in idx[0..k); results land in the items. */
static void ask(const predictor *p, decide_item *items, const size_t *idx, size_t k,
                int64_t deadline_ms, int fallback) {
    if (!k) return;
    predict_job *jobs = calloc(k, sizeof *jobs);
    dstr *scratch = calloc(k, sizeof *scratch);
    if (!jobs || !scratch) abort();
    for (size_t j = 0; j < k; j++) {
        decide_item *it = &items[idx[j]];
        /* a fallback keeps the request record that was sent */
        jobs[j] = (predict_job){.symbol = it->symbol,
                                .feat = &it->feat,
                                .request = fallback ? &scratch[j] : &it->request};
    }
    predictor_run(p, jobs, k, deadline_ms);
    for (size_t j = 0; j < k; j++) {
        items[idx[j]].pred = jobs[j].pred;
        dstr_free(&scratch[j]);
    }
    free(scratch);
    free(jobs);
}

static void predict(const decide_env *env, decide_item *items, size_t n, gate *g) {
    size_t *idx = calloc(n, sizeof *idx);
    if (!idx) abort();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].usable) idx[k++] = i;
        else not_asked(predictor_name(env->primary), &items[i], g[i].reason);
    }
    ask(env->primary, items, idx, k, env->deadline_ms, 0);
    if (env->fallback) {
        size_t f = 0;
        for (size_t j = 0; j < k; j++) {
            decide_item *it = &items[idx[j]];
            if (!it->pred.failed) continue;
            snprintf(it->fallback, sizeof it->fallback, "%s failed: %s", it->pred.predictor,
                     it->pred.rationale);
            idx[f++] = idx[j];
        }
        ask(env->fallback, items, idx, f, env->deadline_ms, 1);
    }
    free(idx);
}

void decide_symbols(const decide_env *env, decide_item *items, size_t n) {
    if (!n) return;
    gate *g = calloc(n, sizeof *g);
    if (!g) abort();
    for (size_t i = 0; i < n; i++) {
        decide_item *it = &items[i];
        it->usable = 0;
        it->fallback[0] = '\0';
        if (!it->snap) {
            snprintf(g[i].reason, sizeof g[i].reason, "%s",
                     it->data_reason ? it->data_reason : "no market data");
        } else if (snapshot_check(it->snap, it->snap->now_ms, g[i].reason, sizeof g[i].reason) ==
                   0) {
            features_compute(it->snap, env->params.atr_period, &it->feat);
            it->usable = 1;
        }
    }
    predict(env, items, n, g);
    int64_t decided_at = env->now_ms(env->clock_ctx);
    for (size_t i = 0; i < n; i++) {
        decide_item *it = &items[i];
        decision_input in = {.symbol = it->symbol,
                             .pred = &it->pred,
                             .feat = it->usable ? &it->feat : NULL,
                             .data_reason = it->usable ? NULL : g[i].reason,
                             .candle_time = candle_time(it),
                             .decided_at = decided_at};
        decision_make(&in, &env->params, &it->d);
    }
    free(g);
}

void decide_item_free(decide_item *item) { dstr_free(&item->request); }
