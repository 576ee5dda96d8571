/* decision: every rule of decision.h as a table of inputs and the expected
 * entry, TP, SL, rr, risk_ok and reasons, plus the JSON shape. Defaults:
 * MIN_PROB 0.60, RR_MIN 1.20, ATR_MULT_TP 1.8, ATR_MULT_SL 1.0,
 * MAX_SPREAD_BPS 2.0; the market is mid 100, ATR 2, spread 1 bps unless a
 * case says otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "domain/decision.h"

#define MAX_EXPECTED 4

typedef struct dcase {
    const char *name;
    /* prediction */
    direction dir;
    double prob, entry, support, resistance;
    const char *failed; /* the predictor's failure text, or NULL */
    /* market; 0 means the default (mid 100, ATR 2, spread 1), NAN is NAN */
    double mid, atr, spread;
    int no_features;
    const char *data_reason;
    int atr_period; /* params.atr_period, 0 = default */
    /* expected */
    double x_entry, x_tp, x_sl, x_rr;
    int x_ok;
    const char *x_reasons[MAX_EXPECTED];
} dcase;

#define N NAN

/* clang-format off */
static const dcase cases[] = {
    {"long basic", DIR_LONG, 0.70, N, N, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 103.6, 98, 1.8, 1, {NULL}},
    {"short basic", DIR_SHORT, 0.70, N, N, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 96.4, 102, 1.8, 1, {NULL}},
    {"entry far from mid: mid used", DIR_LONG, 0.70, 101.5, N, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 103.6, 98, 1.8, 1, {NULL}},
    {"entry within 0.5 ATR used", DIR_LONG, 0.70, 100.8, N, N, NULL, 0, 0, 0, 0, NULL, 0,
     100.8, 104.4, 98.8, 1.8, 1, {NULL}},
    {"entry exactly 0.5 ATR away used", DIR_SHORT, 0.70, 99, N, N, NULL, 0, 0, 0, 0, NULL, 0,
     99, 95.4, 101, 1.8, 1, {NULL}},
    {"entry below mid beyond 0.5 ATR: mid", DIR_SHORT, 0.70, 98.9, N, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 96.4, 102, 1.8, 1, {NULL}},
    {"long TP capped by resistance", DIR_LONG, 0.70, N, N, 103, NULL, 0, 0, 0, 0, NULL, 0,
     100, 102.9, 98, 1.45, 1, {NULL}},
    {"long cap makes rr too small", DIR_LONG, 0.70, N, N, 102, NULL, 0, 0, 0, 0, NULL, 0,
     100, 101.9, 98, 0.95, 0, {"rr 0.95 < min 1.20"}},
    {"rr exactly RR_MIN passes", DIR_LONG, 0.70, N, N, 102.5, NULL, 0, 0, 0, 0, NULL, 0,
     100, 102.4, 98, 1.2, 1, {NULL}},
    {"resistance beyond TP: not capped", DIR_LONG, 0.70, N, N, 105, NULL, 0, 0, 0, 0, NULL, 0,
     100, 103.6, 98, 1.8, 1, {NULL}},
    {"resistance below entry ignored", DIR_LONG, 0.70, N, N, 99, NULL, 0, 0, 0, 0, NULL, 0,
     100, 103.6, 98, 1.8, 1, {NULL}},
    {"support does not cap a long", DIR_LONG, 0.70, N, 101, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 103.6, 98, 1.8, 1, {NULL}},
    {"resistance just above entry: levels wrong", DIR_LONG, 0.70, N, N, 100.05, NULL, 0, 0, 0, 0,
     NULL, 0, 100, 99.95, 98, -0.025, 0, {"tp 99.95 not above entry 100", "rr -0.02 < min 1.20"}},
    {"short TP capped by support", DIR_SHORT, 0.70, N, 97, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 97.1, 102, 1.45, 1, {NULL}},
    {"support below short TP: not capped", DIR_SHORT, 0.70, N, 95, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 96.4, 102, 1.8, 1, {NULL}},
    {"support above short entry ignored", DIR_SHORT, 0.70, N, 101, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 96.4, 102, 1.8, 1, {NULL}},
    {"prob below MIN_PROB", DIR_LONG, 0.55, N, N, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 103.6, 98, 1.8, 0, {"prob 0.55 < min 0.60"}},
    {"prob exactly MIN_PROB passes", DIR_SHORT, 0.60, N, N, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 96.4, 102, 1.8, 1, {NULL}},
    {"prob NaN fails", DIR_LONG, N, N, N, N, NULL, 0, 0, 0, 0, NULL, 0,
     100, 103.6, 98, 1.8, 0, {"prob nan < min 0.60"}},
    {"spread above max", DIR_LONG, 0.70, N, N, N, NULL, 0, 0, 3.1, 0, NULL, 0,
     100, 103.6, 98, 1.8, 0, {"spread 3.1 bps > max 2.0"}},
    {"spread exactly max passes", DIR_LONG, 0.70, N, N, N, NULL, 0, 0, 2.0, 0, NULL, 0,
     100, 103.6, 98, 1.8, 1, {NULL}},
    {"spread unknown", DIR_LONG, 0.70, N, N, N, NULL, 0, 0, N, 0, NULL, 0,
     100, 103.6, 98, 1.8, 0, {"spread unknown"}},
    {"ATR NaN", DIR_LONG, 0.70, 100.5, N, N, NULL, 0, N, 0, 0, NULL, 0,
     100, N, N, N, 0, {"atr unknown"}},
    {"ATR not positive", DIR_SHORT, 0.70, N, N, N, NULL, 0, -1, 0, 0, NULL, 0,
     100, N, N, N, 0, {"atr -1 not > 0"}},
    {"ATR period not in features", DIR_LONG, 0.70, N, N, N, NULL, 0, 0, 0, 0, NULL, 21,
     100, N, N, N, 0, {"atr(21) on 1h not in features (atr 14)"}},
    {"no mid price", DIR_LONG, 0.70, 100, N, N, NULL, N, 0, 0, 0, NULL, 0,
     N, N, N, N, 0, {"no mid price"}},
    {"every gate fails at once", DIR_LONG, 0.50, N, N, 102, NULL, 0, 0, 5, 0, NULL, 0,
     100, 101.9, 98, 0.95, 0, {"prob 0.50 < min 0.60", "spread 5.0 bps > max 2.0",
                               "rr 0.95 < min 1.20"}},
    {"FLAT", DIR_FLAT, 0, N, 95, 105, NULL, 0, 0, 0, 0, NULL, 0,
     100, N, N, N, 0, {"direction FLAT"}},
    {"FLAT because the predictor failed", DIR_FLAT, 0, N, N, N, "reply truncated", 0, 0, 9, 0,
     NULL, 0, 100, N, N, N, 0, {"predictor failed: reply truncated", "direction FLAT"}},
    {"data failure, no features", DIR_FLAT, 0, N, N, N, "no data", 0, 0, 0, 1,
     "1d: 42 candles < 60", 0, N, N, N, N, 0,
     {"data: 1d: 42 candles < 60", "predictor failed: no data", "direction FLAT"}},
    {"data failure with a LONG", DIR_LONG, 0.70, N, N, N, NULL, 0, 0, 0, 0,
     "5m: stale, newest candle closed 900 s ago", 0, 100, 103.6, 98, 1.8, 0,
     {"data: 5m: stale, newest candle closed 900 s ago"}},
};
/* clang-format on */

#undef N

static double or_default(double v, double dflt) { return v == 0 ? dflt : v; }

static void build(const dcase *c, prediction *p, features *f, decision_params *params) {
    memset(p, 0, sizeof *p);
    p->dir = c->dir;
    p->prob = c->prob;
    p->entry = c->entry;
    p->support = c->support;
    p->resistance = c->resistance;
    p->failed = c->failed != NULL;
    snprintf(p->rationale, sizeof p->rationale, "%s", c->failed ? c->failed : "votes");
    snprintf(p->predictor, sizeof p->predictor, "builtin");

    memset(f, 0, sizeof *f);
    f->atr_period = 14;
    for (int i = 0; i < TF_COUNT; i++) f->tf[i].atr = 1000; /* only atr_tf's may be read */
    f->tf[TF_1H].atr = or_default(c->atr, 2);
    f->mid = or_default(c->mid, 100);
    f->spread_bps = or_default(c->spread, 1);

    *params = decision_params_default();
    if (c->atr_period) params->atr_period = c->atr_period;
}

static void assert_num(const char *what, const char *name, double got, double want) {
    int ok = isnan(want) ? isnan(got) : fabs(got - want) < 1e-9;
    if (!ok) fail_msg("%s: %s = %.17g, want %.17g", name, what, got, want);
}

static void test_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const dcase *c = &cases[i];
        prediction p;
        features f;
        decision_params params;
        build(c, &p, &f, &params);
        decision_input in = {
            "BTCUSDT",     &p,           c->no_features ? NULL : &f, c->data_reason,
            1767225600000, 1767225601234};
        decision d;
        decision_make(&in, &params, &d);

        assert_num("entry", c->name, d.entry, c->x_entry);
        assert_num("tp", c->name, d.tp, c->x_tp);
        assert_num("sl", c->name, d.sl, c->x_sl);
        assert_num("rr", c->name, d.rr, c->x_rr);
        if (d.risk_ok != c->x_ok) fail_msg("%s: risk_ok %d, want %d", c->name, d.risk_ok, c->x_ok);
        size_t want = 0;
        while (want < MAX_EXPECTED && c->x_reasons[want]) want++;
        if (d.n_reasons != want)
            fail_msg("%s: %zu reasons (first: %s), want %zu", c->name, d.n_reasons,
                     d.n_reasons ? d.reasons[0] : "-", want);
        for (size_t k = 0; k < want; k++)
            if (strcmp(d.reasons[k], c->x_reasons[k]) != 0)
                fail_msg("%s: reason %zu is \"%s\", want \"%s\"", c->name, k, d.reasons[k],
                         c->x_reasons[k]);
        /* the invariant of decision.h */
        assert_int_equal(d.risk_ok, d.n_reasons == 0);
        assert_int_equal(d.dir, c->dir);
        assert_string_equal(d.symbol, "BTCUSDT");
        assert_string_equal(d.predictor, "builtin");
    }
}

/* ATR is read on the params' timeframe, nowhere else. */
static void test_atr_timeframe(void **state) {
    (void)state;
    prediction p;
    features f;
    decision_params params;
    build(&cases[0], &p, &f, &params);
    f.tf[TF_4H].atr = 4;
    params.atr_tf = TF_4H;
    decision_input in = {"ETHUSDT", &p, &f, NULL, 0, 0};
    decision d;
    decision_make(&in, &params, &d);
    assert_true(d.risk_ok);
    assert_true(fabs(d.sl - 96) < 1e-9);
    assert_true(fabs(d.tp - 107.2) < 1e-9);
}

/* Long texts are cut to DECISION_REASON_LEN, still terminated. */
static void test_reason_truncation(void **state) {
    (void)state;
    char long_text[600];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    prediction p;
    prediction_flat(&p, "gemini", "%s", long_text);
    decision_params params = decision_params_default();
    decision_input in = {"X", &p, NULL, long_text, 0, 0};
    decision d;
    decision_make(&in, &params, &d);
    assert_int_equal(d.n_reasons, 3);
    assert_int_equal(strlen(d.reasons[0]), DECISION_REASON_LEN - 1);
    assert_int_equal(strlen(d.reasons[1]), DECISION_REASON_LEN - 1);
    assert_string_equal(d.reasons[2], "direction FLAT");
    assert_string_equal(d.predictor, "gemini");
    assert_false(d.risk_ok);
}

static const dcase *case_named(const char *name) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (strcmp(cases[i].name, name) == 0) return &cases[i];
    fail_msg("no case %s", name);
    return NULL;
}

static void test_json_shape(void **state) {
    (void)state;
    static const char *const keys[] = {"symbol",  "direction", "prob",        "entry",
                                       "tp",      "sl",        "rr",          "risk_ok",
                                       "reasons", "predictor", "candle_time", "decided_at"};
    for (int flat = 0; flat <= 1; flat++) {
        prediction p;
        features f;
        decision_params params;
        build(case_named(flat ? "FLAT" : "long cap makes rr too small"), &p, &f, &params);
        decision_input in = {"BTCUSDT", &p, &f, NULL, 1767225600000, 1767225601234};
        decision d;
        decision_make(&in, &params, &d);
        dstr js = {0};
        decision_to_json(&d, &js);
        cJSON *root = cJSON_Parse(dstr_cstr(&js));
        assert_non_null(root);
        assert_int_equal(cJSON_GetArraySize(root), sizeof keys / sizeof *keys);
        size_t k = 0;
        for (cJSON *it = root->child; it; it = it->next, k++)
            assert_string_equal(it->string, keys[k]);

        assert_string_equal(cJSON_GetObjectItem(root, "symbol")->valuestring, "BTCUSDT");
        assert_string_equal(cJSON_GetObjectItem(root, "direction")->valuestring,
                            flat ? "FLAT" : "LONG");
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(root, "prob")));
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(root, "entry")));
        for (int i = 0; i < 3; i++) {
            const cJSON *v = cJSON_GetObjectItem(root, (const char *[]){"tp", "sl", "rr"}[i]);
            assert_true(flat ? cJSON_IsNull(v) : cJSON_IsNumber(v));
        }
        if (!flat) assert_true(fabs(cJSON_GetObjectItem(root, "tp")->valuedouble - 101.9) < 1e-12);
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "risk_ok")));
        const cJSON *reasons = cJSON_GetObjectItem(root, "reasons");
        assert_true(cJSON_IsArray(reasons));
        assert_int_equal(cJSON_GetArraySize(reasons), 1);
        assert_string_equal(cJSON_GetArrayItem(reasons, 0)->valuestring,
                            flat ? "direction FLAT" : "rr 0.95 < min 1.20");
        assert_string_equal(cJSON_GetObjectItem(root, "predictor")->valuestring, "builtin");
        assert_true(cJSON_GetObjectItem(root, "candle_time")->valuedouble == 1767225600000.0);
        assert_true(cJSON_GetObjectItem(root, "decided_at")->valuedouble == 1767225601234.0);
        cJSON_Delete(root);
        dstr_free(&js);
    }
}

static void test_json_risk_ok_true(void **state) {
    (void)state;
    prediction p;
    features f;
    decision_params params;
    build(&cases[0], &p, &f, &params);
    params.atr_mult_tp = 1.5; /* exact binary arithmetic: tp 103, rr 1.5 */
    decision_input in = {"BTC\"USDT", &p, &f, NULL, 1, 2};
    decision d;
    decision_make(&in, &params, &d);
    dstr js = {0};
    decision_to_json(&d, &js);
    assert_string_equal(
        dstr_cstr(&js),
        "{\"symbol\":\"BTC\\\"USDT\",\"direction\":\"LONG\",\"prob\":0.7,\"entry\":100,"
        "\"tp\":103,\"sl\":98,\"rr\":1.5,\"risk_ok\":true,\"reasons\":[],"
        "\"predictor\":\"builtin\",\"candle_time\":1,\"decided_at\":2}");
    dstr_free(&js);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_atr_timeframe),
        cmocka_unit_test(test_reason_truncation),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_json_risk_ok_true),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
