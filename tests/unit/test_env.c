/* env: the composition root: the configuration made into the pipelines'
 * environment (thresholds, client settings, predictors by PREDICTOR and
 * PREDICTOR_FALLBACK), the journal store opened once per process and tried
 * again after a failure, nothing opened before the first use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "pipelines/env.h"
#include "platform/log.h"
#include "tmpstore.h"

static cfg test_cfg(const char *journal_url) {
    cfg c;
    memset(&c, 0, sizeof c);
    c.min_prob = 0.65, c.rr_min = 1.5, c.atr_mult_tp = 2.0, c.atr_mult_sl = 1.1;
    c.max_spread_bps = 3.0;
    c.atr_period = 21;
    c.atr_tf = "4h";
    c.predictor = "builtin";
    c.predictor_fallback = "none";
    c.fapi_base = "https://fapi.example";
    c.fapi_testnet_base = "https://testnet.example";
    c.binance_timeout_ms = 1234, c.binance_retries = 2, c.binance_backoff_ms = 50;
    c.google_api_key = "k", c.gemini_model = "gemini-2.5-flash-lite";
    c.gemini_base_url = "http://127.0.0.1:9";
    c.g_temperature = 0.2, c.g_max_tokens = 512;
    c.risk_usdt = 40, c.leverage = 3, c.cooldown_minutes = 15;
    c.journal_url = (char *)journal_url;
    return c;
}

static void test_settings_from_the_config(void **state) {
    (void)state;
    cfg c = test_cfg("file:///nowhere");
    decision_params p = pl_decision_params(&c);
    assert_true(p.min_prob == 0.65 && p.rr_min == 1.5 && p.atr_mult_tp == 2.0);
    assert_true(p.atr_mult_sl == 1.1 && p.max_spread_bps == 3.0);
    assert_int_equal(p.atr_period, 21);
    assert_int_equal(p.atr_tf, TF_4H);
    bn_config b = pl_binance_config(&c);
    assert_string_equal(b.base, "https://fapi.example");
    assert_null(b.api_key); /* no keys: market data only */
    c.binance_api_key = "k-test-key";
    c.binance_api_secret = "s-test-secret";
    c.recv_window_ms = 7000;
    b = pl_binance_config(&c);
    assert_string_equal(b.api_key, "k-test-key");
    assert_string_equal(b.api_secret, "s-test-secret");
    assert_int_equal(b.recv_window_ms, 7000);
    c.use_testnet = 1;
    assert_string_equal(pl_binance_config(&c).base, "https://testnet.example");
    gemini_config g = pl_gemini_config(&c);
    assert_string_equal(g.model, "gemini-2.5-flash-lite");
    assert_string_equal(g.atr_tf, "4h");
    assert_true(g.atr_mult_tp == 2.0);
}

/* Sizing and risk parameters come from their variables, one field each. */
static void test_sizing_and_risk_from_the_config(void **state) {
    (void)state;
    cfg c = test_cfg("file:///nowhere");
    c.risk_usdt = 25, c.fee_taker = 0.0004, c.slippage_bps = 3, c.max_notional_usdt = 5000;
    c.leverage = 7;
    c.max_open_positions = 3, c.daily_loss_limit_usdt = 75, c.max_drawdown_pct = 12.5;
    c.cooldown_minutes = 30, c.max_funding_rate = 0.0007;
    sizing_params s = pl_sizing_params(&c);
    assert_true(s.risk_usdt == 25 && s.fee_taker == 0.0004 && s.slippage_bps == 3);
    assert_true(s.max_notional_usdt == 5000 && s.leverage == 7 && s.rr_min == 1.5);
    assert_true(s.mmr == SIZING_DEFAULT_MMR);
    risk_params r = pl_risk_params(&c);
    assert_int_equal(r.max_open_positions, 3);
    assert_true(r.daily_loss_limit_usdt == 75 && r.max_drawdown_pct == 12.5);
    assert_int_equal(r.cooldown_minutes, 30);
    assert_true(r.max_funding_rate == 0.0007);
    c.entry_order_type = "LIMIT";
    assert_false(pl_market_entry(&c));
    c.entry_order_type = "MARKET";
    assert_true(pl_market_entry(&c));
}

/* The documented defaults and the domain's default parameters agree. */
static void test_default_thresholds(void **state) {
    (void)state;
    static const char *const vars[] = {"MIN_PROB",
                                       "RR_MIN",
                                       "ATR_MULT_TP",
                                       "ATR_MULT_SL",
                                       "MAX_SPREAD_BPS",
                                       "ATR_PERIOD",
                                       "ATR_TF",
                                       "PREDICTOR",
                                       "GOOGLE_API_KEY",
                                       "JOURNAL_URL",
                                       "MAX_OPEN_POSITIONS",
                                       "DAILY_LOSS_LIMIT_USDT",
                                       "MAX_DRAWDOWN_PCT",
                                       "COOLDOWN_MINUTES",
                                       "MAX_FUNDING_RATE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
    cfg c;
    dstr err = {0};
    assert_int_equal(cfg_load(&c, &err), 0);
    decision_params got = pl_decision_params(&c), want = decision_params_default();
    assert_true(got.min_prob == want.min_prob && got.rr_min == want.rr_min);
    assert_true(got.atr_mult_tp == want.atr_mult_tp && got.atr_mult_sl == want.atr_mult_sl);
    assert_true(got.max_spread_bps == want.max_spread_bps);
    assert_int_equal(got.atr_period, want.atr_period);
    assert_int_equal(got.atr_tf, want.atr_tf);
    risk_params risk = pl_risk_params(&c), risk_want = risk_params_default();
    assert_int_equal(risk.max_open_positions, risk_want.max_open_positions);
    assert_true(risk.daily_loss_limit_usdt == risk_want.daily_loss_limit_usdt);
    assert_true(risk.max_drawdown_pct == risk_want.max_drawdown_pct);
    assert_int_equal(risk.cooldown_minutes, risk_want.cooldown_minutes);
    assert_true(risk.max_funding_rate == risk_want.max_funding_rate);
    cfg_free(&c);
    dstr_free(&err);
}

static void test_predictors_by_config(void **state) {
    (void)state;
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    static const struct {
        const char *predictor, *fallback, *want, *want_fallback;
    } cases[] = {
        {"builtin", "none", "builtin", NULL},
        {"gemini", "none", "gemini", NULL},
        {"gemini", "builtin", "gemini", "builtin"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cfg c = test_cfg(t.url);
        c.predictor = (char *)cases[i].predictor;
        c.predictor_fallback = (char *)cases[i].fallback;
        pl_resources *r = pl_resources_new(&c);
        pl_env env;
        pl_env_make(r, 42, &env);
        assert_string_equal(predictor_name(env.predictor), cases[i].want);
        if (cases[i].want_fallback)
            assert_string_equal(predictor_name(env.fallback), cases[i].want_fallback);
        else assert_null(env.fallback);
        assert_non_null(env.exchange);
        assert_true(env.deadline_ms == 42);
        assert_true(env.sizing.risk_usdt == c.risk_usdt && env.sizing.leverage == c.leverage);
        assert_int_equal(env.risk.cooldown_minutes, c.cooldown_minutes);
        assert_null(env.clock);
        pl_resources_free(r);
    }
    tmpstore_close(&t);
}

static void test_journal_opened_once_and_retried(void **state) {
    (void)state;
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    cfg c = test_cfg(t.url);
    pl_resources *r = pl_resources_new(&c);
    pl_env a, b;
    pl_env_make(r, 1, &a);
    pl_env_make(r, 2, &b);
    assert_non_null(a.journal);
    assert_ptr_equal(a.journal, b.journal); /* kept for the warm process */
    assert_ptr_equal(a.exchange, b.exchange);
    pl_resources_free(r);

    /* a root that cannot be created: NULL, logged, and tried again */
    cfg bad = test_cfg("file:///dev/null/journal");
    dstr log = {0};
    log_init("test");
    capture_start(&log);
    r = pl_resources_new(&bad);
    pl_env_make(r, 1, &a);
    assert_null(a.journal);
    pl_env_make(r, 2, &b);
    assert_null(b.journal);
    capture_stop();
    const char *first = strstr(dstr_cstr(&log), "\"event\":\"journal.open_failed\"");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "\"event\":\"journal.open_failed\""));
    pl_resources_free(r);
    dstr_free(&log);
    tmpstore_close(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_from_the_config),
        cmocka_unit_test(test_sizing_and_risk_from_the_config),
        cmocka_unit_test(test_default_thresholds),
        cmocka_unit_test(test_predictors_by_config),
        cmocka_unit_test(test_journal_opened_once_and_retried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
