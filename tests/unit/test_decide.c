/* decide: the one decision entry point, from plain data: scripted
 * predictors behind the predictor table (so the seam is exercised without a
 * service), the gate, the fallback, the clock and the parameters. Cases are
 * data: what the primary answers per symbol, whether a fallback is set and
 * the snapshot usable, and what the decision must be. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/decide.h"

#define NOW 1767225600000LL /* a boundary of every timeframe */
#define DECIDED_AT (NOW + 1234)

/* ---- plain-data snapshots ---------------------------------------------------- */

static void make_candles(candles *c, timeframe tf, size_t n) {
    c->v = calloc(n, sizeof *c->v);
    c->n = n;
    int64_t step = tf_ms(tf);
    for (size_t i = 0; i < n; i++) {
        candle *k = &c->v[i];
        k->open_time = NOW - (int64_t)(n - i) * step;
        k->close_time = k->open_time + step - 1;
        k->open = 100 + 2 * sin((double)i / 5.0);
        k->close = 100 + 2 * sin((double)(i + 1) / 5.0);
        k->high = fmax(k->open, k->close) + 0.5;
        k->low = fmin(k->open, k->close) - 0.5;
        k->volume = 10;
    }
}

static void make_snapshot(snapshot *s, const char *symbol, size_t n) {
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    s->now_ms = NOW;
    for (int i = 0; i < TF_COUNT; i++) make_candles(&s->tf[i], (timeframe)i, n);
    s->book.bids = calloc(1, sizeof *s->book.bids);
    s->book.asks = calloc(1, sizeof *s->book.asks);
    s->book.bids[0] = (book_level){99.995, 1};
    s->book.asks[0] = (book_level){100.005, 1};
    s->book.n_bids = s->book.n_asks = 1;
    s->premium.mark_price = 100;
}

/* ---- a scripted predictor ------------------------------------------------------ */

typedef struct script {
    const char *name;
    direction dir;
    double prob;
    int failed;
    int calls, jobs_seen; /* how it was asked */
} script;

static void scripted_predict(const predictor *p, predict_job *jobs, size_t n, int64_t deadline) {
    script *s = p->impl;
    (void)deadline;
    s->calls++;
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i].feat) continue;
        s->jobs_seen++;
        if (s->failed) {
            prediction_flat(&jobs[i].pred, s->name, "scripted failure");
        } else {
            prediction *out = &jobs[i].pred;
            memset(out, 0, sizeof *out);
            out->dir = s->dir;
            out->prob = s->prob;
            out->support = out->resistance = out->entry = NAN;
            snprintf(out->rationale, sizeof out->rationale, "scripted");
            snprintf(out->predictor, sizeof out->predictor, "%s", s->name);
        }
        dstr_printf(jobs[i].request, "{\"asked\":\"%s\"}", s->name);
    }
}

static const predictor_ops primary_ops = {.name = "primary", .predict = scripted_predict};
static const predictor_ops fallback_ops = {.name = "backup", .predict = scripted_predict};

static int64_t fixed_clock(void *ctx) { return *(const int64_t *)ctx; }

/* ---- the cases ------------------------------------------------------------------- */

typedef struct dcase {
    const char *name;
    int usable;      /* 0: no snapshot (data_reason "fetch failed") */
    direction pdir;  /* the primary's answer */
    int pfailed;     /* the primary fails */
    int fallback;    /* a fallback predictor is set (answers LONG 0.9) */
    double min_prob; /* the parameters' threshold */
    /* expected */
    direction dir;
    int risk_ok;
    const char *predictor; /* the decision names it */
    const char *fallback_prefix;
    const char *reason_prefix; /* first reason; NULL: none */
    const char *request;       /* the request record */
    int primary_jobs, fallback_jobs;
} dcase;

/* clang-format off */
static const dcase cases[] = {
    {"primary long passes", 1, DIR_LONG, 0, 0, 0.6,
     DIR_LONG, 1, "primary", "", NULL, "{\"asked\":\"primary\"}", 1, 0},
    {"threshold from the params", 1, DIR_LONG, 0, 0, 0.95,
     DIR_LONG, 0, "primary", "", "prob 0.80 < min 0.95", "{\"asked\":\"primary\"}", 1, 0},
    {"primary fails, no fallback: FLAT", 1, DIR_LONG, 1, 0, 0.6,
     DIR_FLAT, 0, "primary", "", "predictor failed: scripted failure", "{\"asked\":\"primary\"}",
     1, 0},
    {"primary fails, fallback answers", 1, DIR_LONG, 1, 1, 0.6,
     DIR_LONG, 1, "backup", "primary failed: scripted failure", NULL,
     "{\"asked\":\"primary\"}", 1, 1},
    {"primary answers, fallback not asked", 1, DIR_SHORT, 0, 1, 0.6,
     DIR_SHORT, 1, "primary", "", NULL, "{\"asked\":\"primary\"}", 1, 0},
    {"no data: nobody asked", 0, DIR_LONG, 0, 1, 0.6,
     DIR_FLAT, 0, "primary", "", "data: fetch failed",
     "{\"predictor\":\"primary\",\"symbol\":\"BTCUSDT\",\"features\":null,"
     "\"data_error\":\"fetch failed\"}", 0, 0},
};
/* clang-format on */

static void test_cases(void **state) {
    (void)state;
    snapshot snap;
    make_snapshot(&snap, "BTCUSDT", 300);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const dcase *c = &cases[i];
        script prim = {.name = "primary", .dir = c->pdir, .prob = 0.8, .failed = c->pfailed};
        script back = {.name = "backup", .dir = DIR_LONG, .prob = 0.9};
        predictor p = {.ops = &primary_ops, .impl = &prim};
        predictor f = {.ops = &fallback_ops, .impl = &back};
        int64_t clock = DECIDED_AT;
        decide_env env = {.params = decision_params_default(),
                          .primary = &p,
                          .fallback = c->fallback ? &f : NULL,
                          .deadline_ms = NOW + 1000,
                          .now_ms = fixed_clock,
                          .clock_ctx = &clock};
        env.params.min_prob = c->min_prob;
        decide_item it = {
            .symbol = "BTCUSDT", .snap = c->usable ? &snap : NULL, .data_reason = "fetch failed"};
        decide_symbols(&env, &it, 1);
        print_message("case: %s\n", c->name);
        assert_int_equal(it.d.dir, c->dir);
        assert_int_equal(it.d.risk_ok, c->risk_ok);
        assert_string_equal(it.d.predictor, c->predictor);
        assert_string_equal(it.fallback, c->fallback_prefix);
        if (c->reason_prefix) {
            assert_true(it.d.n_reasons > 0);
            assert_true(strncmp(it.d.reasons[0], c->reason_prefix, strlen(c->reason_prefix)) == 0);
        } else {
            assert_int_equal(it.d.n_reasons, 0);
        }
        assert_string_equal(dstr_cstr(&it.request), c->request);
        assert_int_equal(prim.jobs_seen, c->primary_jobs);
        assert_int_equal(back.jobs_seen, c->fallback_jobs);
        assert_int_equal(it.usable, c->usable);
        assert_true(it.d.decided_at == DECIDED_AT);
        if (c->usable) assert_true(it.d.candle_time == NOW - 1); /* newest closed 5m */
        decide_item_free(&it);
    }
    snapshot_free(&snap);
}

/* Several symbols: the primary is asked once for all usable ones (a service
 * predictor batches them); an unusable snapshot fails the gate with its why. */
static void test_one_batch_and_the_gate(void **state) {
    (void)state;
    snapshot good, thin;
    make_snapshot(&good, "BTCUSDT", 300);
    make_snapshot(&thin, "ETHUSDT", 10); /* under FEAT_MIN_CANDLES */
    script prim = {.name = "primary", .dir = DIR_LONG, .prob = 0.8};
    predictor p = {.ops = &primary_ops, .impl = &prim};
    int64_t clock = DECIDED_AT;
    decide_env env = {.params = decision_params_default(),
                      .primary = &p,
                      .now_ms = fixed_clock,
                      .clock_ctx = &clock};
    decide_item items[3] = {{.symbol = "BTCUSDT", .snap = &good},
                            {.symbol = "ETHUSDT", .snap = &thin},
                            {.symbol = "SOLUSDT", .snap = &good}};
    decide_symbols(&env, items, 3);
    assert_int_equal(prim.calls, 1);
    assert_int_equal(prim.jobs_seen, 2);
    assert_int_equal(items[0].d.dir, DIR_LONG);
    assert_int_equal(items[1].d.dir, DIR_FLAT);
    assert_false(items[1].usable);
    assert_true(strncmp(items[1].d.reasons[0], "data: ", 6) == 0);
    assert_int_equal(items[2].d.dir, DIR_LONG);
    for (int i = 0; i < 3; i++) decide_item_free(&items[i]);
    snapshot_free(&good);
    snapshot_free(&thin);
}

/* The built-in model through the same table. */
static void test_builtin_behind_the_table(void **state) {
    (void)state;
    snapshot snap;
    make_snapshot(&snap, "BTCUSDT", 300);
    int64_t clock = DECIDED_AT;
    decide_env env = {.params = decision_params_default(),
                      .primary = predictor_builtin(),
                      .now_ms = fixed_clock,
                      .clock_ctx = &clock};
    decide_item it = {.symbol = "BTCUSDT", .snap = &snap};
    decide_symbols(&env, &it, 1);
    assert_string_equal(it.d.predictor, "builtin");
    assert_string_equal(predictor_name(predictor_builtin()), "builtin");
    assert_true(strncmp(dstr_cstr(&it.request), "{\"predictor\":\"builtin\",\"features\":{", 35) ==
                0);
    decide_item_free(&it);
    snapshot_free(&snap);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_one_batch_and_the_gate),
        cmocka_unit_test(test_builtin_behind_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
