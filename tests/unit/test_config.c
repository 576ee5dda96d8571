/* config: defaults, every validation rule, and secrets kept out of logs.
 * Cases are data: the environment to set and what cfg_load must say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture.h"
#include "platform/config.h"
#include "platform/log.h"

static const char *const all_vars[] = {"PORT",
                                       "LOG_DIR",
                                       "TZ",
                                       "SYMBOLS",
                                       "EXECUTE_TRADES",
                                       "MIN_PROB",
                                       "RR_MIN",
                                       "ATR_MULT_TP",
                                       "ATR_MULT_SL",
                                       "LEVERAGE",
                                       "MARGIN_TYPE",
                                       "POSITION_MODE",
                                       "MAX_SPREAD_BPS",
                                       "RISK_USDT",
                                       "BINANCE_API_KEY",
                                       "BINANCE_API_SECRET",
                                       "BINANCE_USE_TESTNET",
                                       "BINANCE_FUTURES_TESTNET",
                                       "BINANCE_FAPI_BASE",
                                       "BINANCE_FAPI_TESTNET_BASE",
                                       "BINANCE_HTTP_TIMEOUT_MS",
                                       "BINANCE_HTTP_RETRIES",
                                       "BINANCE_HTTP_BACKOFF_MS",
                                       "GOOGLE_API_KEY",
                                       "GEMINI_MODEL",
                                       "GEMINI_BASE_URL",
                                       "G_TEMPERATURE",
                                       "G_MAX_TOKENS",
                                       "HTTP_CA_PATH",
                                       "HTTP_CA_FILE",
                                       "SSL_CERT_DIR",
                                       "SSL_CERT_FILE",
                                       "TZDIR",
                                       "PREDICTOR",
                                       "PREDICTOR_FALLBACK",
                                       "ATR_PERIOD",
                                       "ATR_TF",
                                       "JOURNAL_URL",
                                       "GEMINI_HTTP_TIMEOUT_MS",
                                       "GEMINI_HTTP_RETRIES",
                                       "GEMINI_HTTP_BACKOFF_MS",
                                       "AWS_LAMBDA_FUNCTION_NAME",
                                       "AWS_LAMBDA_RUNTIME_API",
                                       "TRADER_LOCAL_GATEWAY"};

static void clear_env(void) {
    for (size_t i = 0; i < sizeof all_vars / sizeof *all_vars; i++) unsetenv(all_vars[i]);
}

static void test_defaults(void **state) {
    (void)state;
    clear_env();
    cfg c;
    dstr err = {0};
    assert_int_equal(cfg_load(&c, &err), 0);
    assert_int_equal(c.port, 8080);
    assert_string_equal(c.log_dir, "./logs");
    assert_string_equal(c.tz, "Asia/Seoul");
    assert_int_equal(c.n_symbols, 2);
    assert_string_equal(c.symbols[0], "BTCUSDT");
    assert_string_equal(c.symbols[1], "ETHUSDT");
    assert_false(c.execute_trades);
    assert_float_equal(c.min_prob, 0.60, 1e-12);
    assert_float_equal(c.rr_min, 1.20, 1e-12);
    assert_float_equal(c.atr_mult_tp, 1.8, 1e-12);
    assert_float_equal(c.atr_mult_sl, 1.0, 1e-12);
    assert_int_equal(c.leverage, 5);
    assert_string_equal(c.margin_type, "ISOLATED");
    assert_string_equal(c.position_mode, "ONEWAY");
    assert_float_equal(c.max_spread_bps, 2.0, 1e-12);
    assert_float_equal(c.risk_usdt, 100, 1e-12);
    assert_string_equal(cfg_fapi_base(&c), "https://fapi.binance.com");
    assert_int_equal(c.binance_timeout_ms, 10000);
    assert_int_equal(c.binance_retries, 3);
    assert_int_equal(c.binance_backoff_ms, 1000);
    assert_null(c.google_api_key);
    assert_string_equal(c.gemini_model, "gemini-2.5-flash-lite");
    assert_float_equal(c.g_temperature, 0.0, 1e-12);
    assert_int_equal(c.g_max_tokens, 512);
    assert_string_equal(c.predictor, "builtin");
    assert_string_equal(c.predictor_fallback, "none");
    assert_int_equal(c.atr_period, 14);
    assert_string_equal(c.atr_tf, "1h");
    assert_string_equal(c.journal_url, "file://./logs");
    cfg_free(&c);
    dstr_free(&err);
}

typedef struct env_case {
    const char *name, *value;
    const char *error; /* substring expected in the error, NULL: must load */
} env_case;

/* clang-format off */
static const env_case cases[] = {
    {"PORT", "0", "PORT=\"0\" is invalid"},
    {"PORT", "80a", "whole number"},
    {"PORT", "9090", NULL},
    {"TZ", "Mars/Olympus_Mons", "TZ=\"Mars/Olympus_Mons\" is invalid: no zone data"},
    {"TZ", "../../etc/passwd", "no zone data"},
    {"TZ", "UTC", NULL},
    {"TZ", "KST-9", NULL},
    {"TZ", ":Asia/Seoul", NULL},
    {"SYMBOLS", "btcusdt", "SYMBOLS"},
    {"SYMBOLS", "BTCUSDT,,ETHUSDT", NULL},
    {"SYMBOLS", "BTC-USDT", "uppercase"},
    {"EXECUTE_TRADES", "true", "order execution is not available"},
    {"EXECUTE_TRADES", "maybe", "true or false"},
    {"EXECUTE_TRADES", "FALSE", NULL},
    {"MIN_PROB", "1.5", "MIN_PROB"},
    {"MIN_PROB", "nan", "MIN_PROB"},
    {"MIN_PROB", " 0.6", "MIN_PROB"},
    {"RR_MIN", "-1", "RR_MIN"},
    {"ATR_MULT_TP", "0", "ATR_MULT_TP"},
    {"LEVERAGE", "126", "LEVERAGE"},
    {"MARGIN_TYPE", "cross", "one of ISOLATED CROSSED"},
    {"MARGIN_TYPE", "crossed", NULL},
    {"POSITION_MODE", "HEDGE", NULL},
    {"POSITION_MODE", "both", "POSITION_MODE"},
    {"MAX_SPREAD_BPS", "-0.1", "MAX_SPREAD_BPS"},
    {"RISK_USDT", "0", "RISK_USDT"},
    {"BINANCE_FAPI_BASE", "fapi.binance.com", "http(s) base URL"},
    {"BINANCE_FAPI_BASE", "https://fapi.binance.com/", "trailing slash"},
    {"BINANCE_FAPI_BASE", "http://127.0.0.1:9000", NULL},
    {"BINANCE_HTTP_TIMEOUT_MS", "10", "BINANCE_HTTP_TIMEOUT_MS"},
    {"BINANCE_HTTP_RETRIES", "11", "BINANCE_HTTP_RETRIES"},
    {"G_TEMPERATURE", "2.5", "G_TEMPERATURE"},
    {"G_MAX_TOKENS", "abc", "G_MAX_TOKENS"},
    {"BINANCE_USE_TESTNET", "yes", NULL},
    {"PREDICTOR", "gemini", "needs GOOGLE_API_KEY"},
    {"PREDICTOR", "oracle", "one of gemini builtin"},
    {"PREDICTOR_FALLBACK", "builtin", NULL},
    {"ATR_TF", "2h", "ATR_TF"},
    {"ATR_PERIOD", "0", "ATR_PERIOD"},
};
/* clang-format on */

static void test_each_variable(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const env_case *t = &cases[i];
        clear_env();
        setenv(t->name, t->value, 1);
        cfg c;
        dstr err = {0};
        int rc = cfg_load(&c, &err);
        if (t->error) {
            if (rc != -1 || !strstr(dstr_cstr(&err), t->error))
                fail_msg("%s=%s: expected error containing '%s', got rc=%d '%s'", t->name, t->value,
                         t->error, rc, dstr_cstr(&err));
        } else if (rc != 0) {
            fail_msg("%s=%s: expected to load, got '%s'", t->name, t->value, dstr_cstr(&err));
        }
        cfg_free(&c);
        dstr_free(&err);
    }
    clear_env();
}

static void test_all_errors_reported_at_once(void **state) {
    (void)state;
    clear_env();
    setenv("PORT", "x", 1);
    setenv("LEVERAGE", "0", 1);
    cfg c;
    dstr err = {0};
    assert_int_equal(cfg_load(&c, &err), -1);
    assert_non_null(strstr(err.ptr, "PORT"));
    assert_non_null(strstr(err.ptr, "\nLEVERAGE"));
    cfg_free(&c);
    dstr_free(&err);
    clear_env();
}

static void test_testnet_selection(void **state) {
    (void)state;
    const char *flags[] = {"BINANCE_USE_TESTNET", "BINANCE_FUTURES_TESTNET"};
    for (size_t i = 0; i < 2; i++) {
        clear_env();
        setenv(flags[i], "true", 1);
        cfg c;
        dstr err = {0};
        assert_int_equal(cfg_load(&c, &err), 0);
        assert_string_equal(cfg_fapi_base(&c), "https://demo-fapi.binance.com");
        cfg_free(&c);
        dstr_free(&err);
    }
    clear_env();
}

static void test_secrets_never_logged(void **state) {
    (void)state;
    clear_env();
    setenv("BINANCE_API_KEY", "SENTINEL-binance-key", 1);
    setenv("BINANCE_API_SECRET", "SENTINEL-binance-secret", 1);
    setenv("GOOGLE_API_KEY", "SENTINEL-google-key", 1);
    cfg c;
    dstr err = {0};
    assert_int_equal(cfg_load(&c, &err), 0);
    assert_string_equal(c.predictor, "gemini"); /* a key makes gemini the default */
    dstr cap = {0};
    capture_start(&cap);
    log_msg(LOG_ERROR, "oops", "%s %s %s", c.binance_api_key, c.binance_api_secret,
            c.google_api_key);
    capture_stop();
    assert_null(strstr(cap.ptr, "SENTINEL"));
    cfg_free(&c);
    dstr_free(&err);
    dstr_free(&cap);
    log_secrets_clear();
    clear_env();
}

/* Where a file journal may be: on AWS Lambda only under /tmp; locally (the
 * gateway's marker, or no Lambda variables) anywhere. */
typedef struct journal_place_case {
    const char *function_name, *runtime_api, *local_marker; /* NULL: unset */
    const char *journal_url, *log_dir;                      /* NULL: unset */
    const char *error; /* substring expected in the error, NULL: must load */
} journal_place_case;

#define LAMBDA "trader", "127.0.0.1:9001"
#define TMP_RULE                                                                         \
    "on AWS Lambda a file journal must be under /tmp (the task root is read-only); use " \
    "JOURNAL_URL=s3://bucket/prefix"

/* clang-format off */
static const journal_place_case journal_place_cases[] = {
    {LAMBDA, NULL, "file:///var/task/logs", NULL, "JOURNAL_URL=\"file:///var/task/logs\" is invalid: " TMP_RULE},
    {LAMBDA, NULL, NULL, NULL, "LOG_DIR=\"./logs\" is invalid: " TMP_RULE},
    {LAMBDA, NULL, NULL, "/var/task/logs", "LOG_DIR=\"/var/task/logs\""},
    {LAMBDA, NULL, NULL, "/tmp/trading_bot", NULL},
    {LAMBDA, NULL, "file:///tmp", NULL, NULL},
    {LAMBDA, NULL, "file:///tmp/journal", NULL, NULL},
    {LAMBDA, NULL, "file:///tmp/a/b/", NULL, NULL},
    {LAMBDA, NULL, "file:///tmpfoo", NULL, TMP_RULE},
    {LAMBDA, NULL, "file:///tmp/../var/task", NULL, TMP_RULE},
    {LAMBDA, NULL, "file:///tmp/..", NULL, TMP_RULE},
    {LAMBDA, NULL, "file:///tmp/..x", NULL, NULL}, /* a name, not the parent */
    {LAMBDA, NULL, "file://tmp/journal", NULL, TMP_RULE}, /* relative to the task root */
    {LAMBDA, NULL, "FILE:///var/task", NULL, TMP_RULE},
    {LAMBDA, NULL, "s3://trader-journal/prod", NULL, NULL},
    {LAMBDA, "", "file://./logs", NULL, TMP_RULE}, /* an empty marker is no marker */
    {LAMBDA, "1", "file://./logs", NULL, NULL},    /* the local gateway */
    {LAMBDA, "1", NULL, NULL, NULL},
    {"trader", NULL, NULL, "file://./logs", NULL, NULL}, /* no runtime API: not Lambda */
    {NULL, "127.0.0.1:9001", NULL, "file://./logs", NULL, NULL}, /* a bench harness */
    {NULL, NULL, NULL, "file:///var/journal", NULL, NULL},
};
/* clang-format on */

static void set_or_unset(const char *name, const char *value) {
    if (value) setenv(name, value, 1);
    else unsetenv(name);
}

static void test_file_journal_on_lambda(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof journal_place_cases / sizeof *journal_place_cases; i++) {
        const journal_place_case *t = &journal_place_cases[i];
        clear_env();
        set_or_unset("AWS_LAMBDA_FUNCTION_NAME", t->function_name);
        set_or_unset("AWS_LAMBDA_RUNTIME_API", t->runtime_api);
        set_or_unset("TRADER_LOCAL_GATEWAY", t->local_marker);
        set_or_unset("JOURNAL_URL", t->journal_url);
        set_or_unset("LOG_DIR", t->log_dir);
        cfg c;
        dstr err = {0};
        int rc = cfg_load(&c, &err);
        if (t->error) {
            if (rc != -1 || !strstr(dstr_cstr(&err), t->error))
                fail_msg("case %zu (%s): expected error containing '%s', got rc=%d '%s'", i,
                         t->journal_url ? t->journal_url : t->log_dir, t->error, rc,
                         dstr_cstr(&err));
        } else if (rc != 0) {
            fail_msg("case %zu (%s): expected to load, got '%s'", i,
                     t->journal_url ? t->journal_url : "default", dstr_cstr(&err));
        }
        cfg_free(&c);
        dstr_free(&err);
    }
    clear_env();
}

static void test_parsers(void **state) {
    (void)state;
    long l;
    double d;
    int b;
    assert_int_equal(cfg_parse_long("42", 0, 100, &l), 0);
    assert_int_equal(l, 42);
    assert_int_equal(cfg_parse_long("", 0, 100, &l), -1);
    assert_int_equal(cfg_parse_long("99999999999999999999", 0, 100, &l), -1);
    assert_int_equal(cfg_parse_double("1e3", 0, 1e4, &d), 0);
    assert_int_equal(cfg_parse_double("inf", 0, 1e300, &d), -1);
    assert_int_equal(cfg_parse_bool("On", &b), 0);
    assert_true(b);
    assert_true(cfg_valid_symbol("BTCUSDT"));
    assert_true(cfg_valid_symbol("1000PEPEUSDT"));
    assert_false(cfg_valid_symbol("B"));
    assert_false(cfg_valid_symbol("ABCDEFGHIJKLMNOPQRSTU"));
    assert_false(cfg_valid_symbol("BTC_USDT"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_each_variable),
        cmocka_unit_test(test_all_errors_reported_at_once),
        cmocka_unit_test(test_testnet_selection),
        cmocka_unit_test(test_secrets_never_logged),
        cmocka_unit_test(test_file_journal_on_lambda),
        cmocka_unit_test(test_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
