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
#include "platform/secret.h"

static const char *const all_vars[] = {"PORT",
                                       "LOG_DIR",
                                       "TZ",
                                       "SYMBOLS",
                                       "EXECUTE_TRADES",
                                       "PAPER_BALANCE",
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
                                       "TRADER_LOCAL_GATEWAY",
                                       "LOG_LEVEL",
                                       "AWS_REGION",
                                       "AWS_DEFAULT_REGION",
                                       "AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SESSION_TOKEN",
                                       "AWS_ENDPOINT_URL_S3",
                                       "AWS_ENDPOINT_URL",
                                       "SECRET_ID",
                                       "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                                       "SECRET_TIMEOUT_MS",
                                       "S3_HTTP_TIMEOUT_MS",
                                       "S3_HTTP_RETRIES",
                                       "S3_HTTP_BACKOFF_MS",
                                       "SLIPPAGE_BPS",
                                       "MAX_NOTIONAL_USDT",
                                       "FEE_TAKER",
                                       "FEE_MAKER",
                                       "ENTRY_ORDER_TYPE",
                                       "MAX_OPEN_POSITIONS",
                                       "DAILY_LOSS_LIMIT_USDT",
                                       "MAX_DRAWDOWN_PCT",
                                       "COOLDOWN_MINUTES",
                                       "MAX_FUNDING_RATE",
                                       "TRADER_TOKEN",
                                       "BINANCE_RECV_WINDOW_MS",
                                       "ORDER_ID_PREFIX",
                                       "TELEGRAM_BOT_TOKEN",
                                       "TELEGRAM_CHAT_ID",
                                       "TELEGRAM_BASE_URL",
                                       "TELEGRAM_HTTP_TIMEOUT_MS",
                                       "TELEGRAM_HTTP_RETRIES",
                                       "TELEGRAM_HTTP_BACKOFF_MS",
                                       "TELEGRAM_WEBHOOK_SECRET",
                                       "TELEGRAM_ALLOWED_USER_IDS",
                                       "ALERT_BUDGET_MS",
                                       "ALERTS",
                                       "LIVE_REQUIRES_PROBE",
                                       "PROBE_MAX_AGE_DAYS",
                                       "PROBE_MAX_DRAWDOWN_PCT",
                                       "PROBE_MIN_TRADES"};

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
    assert_false(c.paper);
    assert_true(c.paper_balance == 10000);
    assert_float_equal(c.min_prob, 0.60, 1e-12);
    assert_float_equal(c.rr_min, 1.20, 1e-12);
    assert_float_equal(c.atr_mult_tp, 1.8, 1e-12);
    assert_float_equal(c.atr_mult_sl, 1.0, 1e-12);
    assert_int_equal(c.leverage, 5);
    assert_string_equal(c.margin_type, "ISOLATED");
    assert_string_equal(c.position_mode, "ONEWAY");
    assert_float_equal(c.max_spread_bps, 2.0, 1e-12);
    assert_float_equal(c.risk_usdt, 100, 1e-12);
    assert_false(c.live_requires_probe);
    assert_int_equal(c.probe_max_age_days, 14);
    assert_float_equal(c.probe_max_drawdown_pct, 15, 1e-12);
    assert_int_equal(c.probe_min_trades, 10);
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
    assert_string_equal(c.journal.scheme, "file");
    assert_string_equal(c.journal.path, "./logs");
    assert_int_equal(c.log_level, LOG_INFO);
    assert_null(c.aws_region);
    assert_null(c.aws_access_key_id);
    assert_null(c.s3_endpoint);
    assert_null(c.ca_path);
    assert_null(c.ca_file);
    assert_int_equal(c.s3_timeout_ms, 5000);
    assert_int_equal(c.s3_retries, 3);
    assert_int_equal(c.s3_backoff_ms, 200);
    assert_float_equal(c.slippage_bps, 5, 1e-12);
    assert_float_equal(c.max_notional_usdt, 10000, 1e-12);
    assert_float_equal(c.fee_taker, 0.0005, 1e-12);
    assert_float_equal(c.fee_maker, 0.0002, 1e-12);
    assert_string_equal(c.entry_order_type, "MARKET");
    assert_null(c.telegram_bot_token);
    assert_null(c.telegram_chat_id);
    assert_string_equal(c.telegram_base_url, "https://api.telegram.org");
    assert_int_equal(c.telegram_timeout_ms, 5000);
    assert_int_equal(c.telegram_retries, 2);
    assert_int_equal(c.telegram_backoff_ms, 500);
    assert_int_equal(c.alert_budget_ms, 3000);
    assert_int_equal(c.alert_types, CFG_ALERTS_ALL);
    assert_true(cfg_alert_on(&c, CFG_ALERT_ALARM));
    assert_int_equal(c.max_open_positions, 2);
    assert_float_equal(c.daily_loss_limit_usdt, 200, 1e-12);
    assert_float_equal(c.max_drawdown_pct, 10, 1e-12);
    assert_int_equal(c.cooldown_minutes, 60);
    assert_float_equal(c.max_funding_rate, 0.001, 1e-12);
    assert_null(c.trader_token);
    assert_int_equal(c.recv_window_ms, 5000);
    assert_string_equal(c.order_id_prefix, "atr");
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
    {"EXECUTE_TRADES", "true", "BINANCE_API_KEY"},
    {"EXECUTE_TRADES", "maybe", "true, false or paper"},
    {"EXECUTE_TRADES", "FALSE", NULL},
    {"EXECUTE_TRADES", "Paper", NULL}, /* paper trading needs no key */
    {"PAPER_BALANCE", "0", "PAPER_BALANCE"},
    {"PAPER_BALANCE", "inf", "PAPER_BALANCE"},
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
    {"GEMINI_MODEL", "models/gemini-2.5-flash", "GEMINI_MODEL=\"models/gemini-2.5-flash\" is invalid"},
    {"GEMINI_MODEL", "gemini 2.5", "GEMINI_MODEL"},
    {"GEMINI_MODEL", "gemini-3.1-flash-lite", NULL},
    {"G_MAX_TOKENS", "abc", "G_MAX_TOKENS"},
    {"BINANCE_USE_TESTNET", "yes", NULL},
    {"PREDICTOR", "gemini", "needs GOOGLE_API_KEY"},
    {"PREDICTOR", "oracle", "one of gemini builtin"},
    {"PREDICTOR_FALLBACK", "builtin", NULL},
    {"ATR_TF", "2h", "ATR_TF"},
    {"ATR_PERIOD", "0", "ATR_PERIOD"},
    {"LOG_LEVEL", "verbose", "LOG_LEVEL=\"verbose\" is invalid: one of debug info warn error"},
    {"LOG_LEVEL", "WARNING", NULL},
    {"LOG_LEVEL", "Debug", NULL},
    {"JOURNAL_URL", "ftp://x", "JOURNAL_URL=\"ftp://x\" is invalid: expected file://<path> or s3://"},
    {"JOURNAL_URL", "/var/journal", "JOURNAL_URL=\"/var/journal\" is invalid"},
    {"JOURNAL_URL", "file://", "JOURNAL_URL=\"file://\" is invalid: file:// needs a path"},
    {"JOURNAL_URL", "file:///var/journal", NULL},
    {"JOURNAL_URL", "s3://Bad_Bucket/x", "JOURNAL_URL=\"s3://Bad_Bucket/x\" is invalid: the bucket"},
    {"JOURNAL_URL", "s3://ab", "JOURNAL_URL=\"s3://ab\" is invalid: the bucket"},
    {"JOURNAL_URL", "s3://-bucket", "JOURNAL_URL=\"s3://-bucket\" is invalid: the bucket"},
    {"S3_HTTP_TIMEOUT_MS", "abc", "S3_HTTP_TIMEOUT_MS=\"abc\" is invalid: expected a whole number from 1 to 600000"},
    {"S3_HTTP_TIMEOUT_MS", "0", "S3_HTTP_TIMEOUT_MS=\"0\" is invalid"},
    {"S3_HTTP_RETRIES", "11", "S3_HTTP_RETRIES=\"11\" is invalid: expected a whole number from 0 to 10"},
    {"S3_HTTP_RETRIES", "3x", "S3_HTTP_RETRIES=\"3x\" is invalid"},
    {"S3_HTTP_BACKOFF_MS", "-1", "S3_HTTP_BACKOFF_MS=\"-1\" is invalid: expected a whole number from 0 to 60000"},
    {"S3_HTTP_BACKOFF_MS", "60000", NULL},
    {"AWS_ENDPOINT_URL_S3", "ftp://x", "AWS_ENDPOINT_URL_S3=\"ftp://x\" is invalid: expected an http(s) URL"},
    {"AWS_ENDPOINT_URL_S3", "http://host/a?b", "AWS_ENDPOINT_URL_S3=\"http://host/a?b\" is invalid"},
    {"AWS_ENDPOINT_URL_S3", "http://user@host", "AWS_ENDPOINT_URL_S3=\"http://user@host\" is invalid"},
    {"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000/", NULL},
    {"AWS_ENDPOINT_URL", "localhost:9000", "AWS_ENDPOINT_URL=\"localhost:9000\" is invalid"},
    {"AWS_REGION", "us east", "AWS_REGION=\"us east\" is invalid: a region name"},
    {"AWS_DEFAULT_REGION", "us/east", "AWS_DEFAULT_REGION=\"us/east\" is invalid"},
    {"HTTP_CA_FILE", "/nonexistent", "HTTP_CA_FILE=\"/nonexistent\" is invalid: not an existing readable file"},
    {"HTTP_CA_FILE", "/", "HTTP_CA_FILE=\"/\" is invalid"},
    {"SSL_CERT_FILE", "/nonexistent", "SSL_CERT_FILE=\"/nonexistent\" is invalid"},
    {"HTTP_CA_PATH", "/nonexistent", "HTTP_CA_PATH=\"/nonexistent\" is invalid: not an existing directory"},
    {"SSL_CERT_DIR", "/etc/hostname", "SSL_CERT_DIR=\"/etc/hostname\" is invalid"},
    {"HTTP_CA_PATH", "/", NULL},
    {"SLIPPAGE_BPS", "0", NULL},
    {"SLIPPAGE_BPS", "1000.5", "SLIPPAGE_BPS=\"1000.5\" is invalid: expected a number from 0 to 1000"},
    {"MAX_NOTIONAL_USDT", "0", "MAX_NOTIONAL_USDT=\"0\" is invalid"},
    {"MAX_NOTIONAL_USDT", "250000", NULL},
    {"FEE_TAKER", "-0.0001", "FEE_TAKER=\"-0.0001\" is invalid"},
    {"FEE_TAKER", "0.0004", NULL},
    {"FEE_MAKER", "-0.0001", NULL}, /* a rebate */
    {"FEE_MAKER", "0.2", "FEE_MAKER=\"0.2\" is invalid"},
    {"ENTRY_ORDER_TYPE", "limit", NULL},
    {"ENTRY_ORDER_TYPE", "STOP_MARKET", "ENTRY_ORDER_TYPE=\"STOP_MARKET\" is invalid: one of MARKET LIMIT"},
    {"MAX_OPEN_POSITIONS", "0", "MAX_OPEN_POSITIONS=\"0\" is invalid: expected a whole number from 1 to 32"},
    {"MAX_OPEN_POSITIONS", "32", NULL},
    {"DAILY_LOSS_LIMIT_USDT", "0", "DAILY_LOSS_LIMIT_USDT=\"0\" is invalid"},
    {"DAILY_LOSS_LIMIT_USDT", "50", NULL},
    {"MAX_DRAWDOWN_PCT", "100.1", "MAX_DRAWDOWN_PCT=\"100.1\" is invalid: expected a number from 0.1 to 100"},
    {"MAX_DRAWDOWN_PCT", "100", NULL},
    {"COOLDOWN_MINUTES", "0", NULL},
    {"COOLDOWN_MINUTES", "10081", "COOLDOWN_MINUTES=\"10081\" is invalid"},
    {"MAX_FUNDING_RATE", "nan", "MAX_FUNDING_RATE=\"nan\" is invalid"},
    {"MAX_FUNDING_RATE", "0", NULL},
    {"BINANCE_RECV_WINDOW_MS", "60001", "BINANCE_RECV_WINDOW_MS=\"60001\" is invalid: expected a whole number from 1 to 60000"},
    {"BINANCE_RECV_WINDOW_MS", "60000", NULL},
    {"BINANCE_RECV_WINDOW_MS", "0", "BINANCE_RECV_WINDOW_MS"},
    {"ORDER_ID_PREFIX", "tb1", NULL},
    {"ORDER_ID_PREFIX", "abcde", "ORDER_ID_PREFIX=\"abcde\" is invalid: 1-4 ASCII letters or digits"},
    {"ORDER_ID_PREFIX", "a-b", "ORDER_ID_PREFIX=\"a-b\" is invalid"},
    {"TRADER_TOKEN", "SeCrEt-config-test-0123", NULL},
    {"TRADER_TOKEN", "SeCrEt-config", "TRADER_TOKEN=\"(hidden)\" is invalid: 16-256 printable"},
    {"TRADER_TOKEN", "SeCrEt-config-test with space", "TRADER_TOKEN=\"(hidden)\""},
    {"TELEGRAM_BASE_URL", "http://127.0.0.1:9", NULL},
    {"TELEGRAM_BASE_URL", "https://api.telegram.org/", "TELEGRAM_BASE_URL=\"https://api.telegram.org/\" is invalid"},
    {"TELEGRAM_HTTP_TIMEOUT_MS", "50", "TELEGRAM_HTTP_TIMEOUT_MS=\"50\" is invalid: expected a whole number from 100 to 120000"},
    {"TELEGRAM_HTTP_RETRIES", "11", "TELEGRAM_HTTP_RETRIES=\"11\" is invalid"},
    {"TELEGRAM_HTTP_BACKOFF_MS", "-1", "TELEGRAM_HTTP_BACKOFF_MS=\"-1\" is invalid"},
    {"ALERT_BUDGET_MS", "99", "ALERT_BUDGET_MS=\"99\" is invalid: expected a whole number from 100 to 60000"},
    {"ALERTS", "none", NULL},
    {"ALERTS", "Entry, exit ,reconcile", NULL},
    {"ALERTS", "entry,fills", "ALERTS=\"entry,fills\" is invalid: all, none, or a comma-separated list of entry exit"},
    {"ALERTS", ",", "ALERTS=\",\" is invalid"},
    /* one of the pair alone is a mistake; the token is never shown */
    {"TELEGRAM_BOT_TOKEN", "123:SeCrEt-config-test", "TELEGRAM_CHAT_ID=\"\" is invalid: TELEGRAM_BOT_TOKEN is set"},
    {"TELEGRAM_CHAT_ID", "-1001234567890", "TELEGRAM_BOT_TOKEN=\"\" is invalid: TELEGRAM_CHAT_ID is set"},
    /* the probe gate's settings (the gate itself is the trader's init: pipelines/probe.h) */
    {"LIVE_REQUIRES_PROBE", "true", NULL},
    {"LIVE_REQUIRES_PROBE", "maybe", "LIVE_REQUIRES_PROBE=\"maybe\" is invalid"},
    {"PROBE_MAX_AGE_DAYS", "0", "PROBE_MAX_AGE_DAYS=\"0\" is invalid"},
    {"PROBE_MAX_AGE_DAYS", "366", "PROBE_MAX_AGE_DAYS=\"366\" is invalid"},
    {"PROBE_MAX_DRAWDOWN_PCT", "0", "PROBE_MAX_DRAWDOWN_PCT=\"0\" is invalid"},
    {"PROBE_MAX_DRAWDOWN_PCT", "12.5", NULL},
    {"PROBE_MIN_TRADES", "-1", "PROBE_MIN_TRADES=\"-1\" is invalid"},
    {"PROBE_MIN_TRADES", "0", NULL},
};
/* clang-format on */

/* Loads the environment as it is: it must fail with error in the message
 * (NULL: must load). No test secret may appear in the message. */
static void expect_load(const char *what, const char *error) {
    cfg c;
    dstr err = {0};
    int rc = cfg_load(&c, &err);
    if (error) {
        if (rc != -1 || !strstr(dstr_cstr(&err), error))
            fail_msg("%s: expected error containing '%s', got rc=%d '%s'", what, error, rc,
                     dstr_cstr(&err));
    } else if (rc != 0) {
        fail_msg("%s: expected to load, got '%s'", what, dstr_cstr(&err));
    }
    assert_null(strstr(dstr_cstr(&err), "SeCrEt-config-test"));
    cfg_free(&c);
    dstr_free(&err);
}

static void test_each_variable(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const env_case *t = &cases[i];
        clear_env();
        setenv(t->name, t->value, 1);
        expect_load(t->name, t->error);
    }
    clear_env();
}

/* Settings that only matter together: an s3:// journal and what it needs.
 * env: name/value pairs, NULL-terminated. */
typedef struct env_set_case {
    const char *env[16];
    const char *error; /* substring expected in the error, NULL: must load */
} env_set_case;

#define S3_CREDS \
    "AWS_ACCESS_KEY_ID", "AKIDCONFIGTEST", "AWS_SECRET_ACCESS_KEY", "SeCrEt-config-test"

#define BINANCE_KEYS \
    "BINANCE_API_KEY", "SeCrEt-config-test-key", "BINANCE_API_SECRET", "SeCrEt-config-test"

/* clang-format off */
static const env_set_case set_cases[] = {
    {{"JOURNAL_URL", "s3://trader-journal/prod", "AWS_REGION", "eu-west-1", S3_CREDS}, NULL},
    {{"JOURNAL_URL", "s3://trader-journal", "AWS_DEFAULT_REGION", "eu-west-1", S3_CREDS}, NULL},
    {{"JOURNAL_URL", "s3://trader-journal/prod", S3_CREDS}, "AWS_REGION=\"\" is invalid: an s3:// journal needs a region"},
    {{"JOURNAL_URL", "s3://trader-journal/prod", "AWS_REGION", "eu-west-1", "AWS_SECRET_ACCESS_KEY", "SeCrEt-config-test"},
     "AWS_ACCESS_KEY_ID=\"\" is invalid: an s3:// journal needs credentials"},
    {{"JOURNAL_URL", "s3://trader-journal/prod", "AWS_REGION", "eu-west-1", "AWS_ACCESS_KEY_ID", "AKIDCONFIGTEST"},
     "AWS_SECRET_ACCESS_KEY=\"\" is invalid: an s3:// journal needs credentials"},
    {{"JOURNAL_URL", "s3://trader-journal/a//b", "AWS_REGION", "eu-west-1", S3_CREDS},
     "JOURNAL_URL=\"s3://trader-journal/a//b\" is invalid: the s3:// prefix must not have empty"},
    {{"JOURNAL_URL", "s3://trader-journal/../x", "AWS_REGION", "eu-west-1", S3_CREDS}, "JOURNAL_URL=\"s3://trader-journal/../x\" is invalid"},
    {{"JOURNAL_URL", "s3://trader-journal/a/./b", "AWS_REGION", "eu-west-1", S3_CREDS}, "JOURNAL_URL"},
    /* a file journal needs neither region nor credentials */
    {{"JOURNAL_URL", "file:///tmp/j", "AWS_ACCESS_KEY_ID", "AKIDCONFIGTEST"}, NULL},
    /* the named variable is the one that was set */
    {{"HTTP_CA_FILE", "/nonexistent", "SSL_CERT_FILE", "/etc/hostname"}, "HTTP_CA_FILE=\"/nonexistent\""},
    {{"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000", "AWS_ENDPOINT_URL", "bad"}, NULL},
    /* EXECUTE_TRADES=true: keys and One-way mode are required */
    {{"EXECUTE_TRADES", "true"}, "BINANCE_API_KEY=\"\" is invalid: EXECUTE_TRADES=true needs the API key (orders are signed)\n"
     "BINANCE_API_SECRET=\"\" is invalid: EXECUTE_TRADES=true needs the API secret (orders are signed)"},
    {{"EXECUTE_TRADES", "true", "BINANCE_API_KEY", "SeCrEt-config-test-key"},
     "BINANCE_API_SECRET=\"\" is invalid: EXECUTE_TRADES=true needs the API secret"},
    {{"EXECUTE_TRADES", "true", BINANCE_KEYS, "POSITION_MODE", "hedge"},
     "POSITION_MODE=\"HEDGE\" is invalid: EXECUTE_TRADES=true needs ONEWAY: the bot protects and "
     "closes positions with reduce-only orders, which Hedge mode does not accept"},
    {{"EXECUTE_TRADES", "true", BINANCE_KEYS}, NULL},
    {{"EXECUTE_TRADES", "paper", "POSITION_MODE", "hedge"},
     "POSITION_MODE=\"HEDGE\" is invalid: EXECUTE_TRADES=paper simulates ONEWAY only"},
    /* the operator channel: token and chat together, each checked */
    {{"TELEGRAM_BOT_TOKEN", "123:SeCrEt-config-test", "TELEGRAM_CHAT_ID", "-1001234567890"}, NULL},
    {{"TELEGRAM_BOT_TOKEN", "123:SeCrEt-config-test", "TELEGRAM_CHAT_ID", "@trader_alerts"}, NULL},
    {{"TELEGRAM_BOT_TOKEN", "SeCrEt-config-test", "TELEGRAM_CHAT_ID", "42"},
     "TELEGRAM_BOT_TOKEN=\"(hidden)\" is invalid: a bot token as BotFather gives it"},
    {{"TELEGRAM_BOT_TOKEN", "123:SeCrEt-config-test/x", "TELEGRAM_CHAT_ID", "42"}, "TELEGRAM_BOT_TOKEN=\"(hidden)\""},
    {{"TELEGRAM_BOT_TOKEN", "123:SeCrEt-config-test", "TELEGRAM_CHAT_ID", "@abc"},
     "TELEGRAM_CHAT_ID=\"@abc\" is invalid: an integer chat id"},
    {{"TELEGRAM_BOT_TOKEN", "123:SeCrEt-config-test", "TELEGRAM_CHAT_ID", "12a"}, "TELEGRAM_CHAT_ID=\"12a\" is invalid"},
    /* the webhook: its secret (hidden even when wrong) and the allowed users */
    {{"TELEGRAM_WEBHOOK_SECRET", "SeCrEt-config-test_1"}, NULL},
    {{"TELEGRAM_WEBHOOK_SECRET", "SeCrEt-config-test!"},
     "TELEGRAM_WEBHOOK_SECRET=\"(hidden)\" is invalid: 16-256 of A-Z a-z 0-9 _ -"},
    {{"TELEGRAM_WEBHOOK_SECRET", "SeCrEt-short"}, "TELEGRAM_WEBHOOK_SECRET=\"(hidden)\""},
    {{"TELEGRAM_ALLOWED_USER_IDS", "42, 7,123456789"}, NULL},
    {{"TELEGRAM_ALLOWED_USER_IDS", " "}, NULL},
    {{"TELEGRAM_ALLOWED_USER_IDS", "42,"}, "TELEGRAM_ALLOWED_USER_IDS=\"42,\" is invalid: comma-separated"},
    {{"TELEGRAM_ALLOWED_USER_IDS", "-5"}, "TELEGRAM_ALLOWED_USER_IDS=\"-5\" is invalid"},
    {{"TELEGRAM_ALLOWED_USER_IDS", "0"}, "TELEGRAM_ALLOWED_USER_IDS=\"0\" is invalid"},
    {{"TELEGRAM_ALLOWED_USER_IDS", "12x"}, "TELEGRAM_ALLOWED_USER_IDS=\"12x\" is invalid"},
    {{"TELEGRAM_ALLOWED_USER_IDS", "99999999999999999"}, "TELEGRAM_ALLOWED_USER_IDS"},
    /* SECRET_ID: a name or ARN, with a region and credentials to read it */
    {{"SECRET_ID", "trader keys", "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "k"},
     "SECRET_ID=\"trader keys\" is invalid: a secret name or ARN"},
    {{"SECRET_ID", "arn:aws:secretsmanager:us-east-1:123456789012:secret:trader/keys-AbCdEf"},
     "AWS_REGION=\"\" is invalid: SECRET_ID needs a region"},
    {{"SECRET_ID", "trader/keys", "AWS_REGION", "us-east-1"}, "AWS_ACCESS_KEY_ID=\"\" is invalid: SECRET_ID needs credentials"},
    {{"SECRET_ID", "trader/keys", "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "k",
      "AWS_ENDPOINT_URL_SECRETS_MANAGER", "localhost:4566"}, "AWS_ENDPOINT_URL_SECRETS_MANAGER=\"localhost:4566\" is invalid"},
    {{"SECRET_ID", "trader/keys", "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "k",
      "SECRET_TIMEOUT_MS", "50"}, "SECRET_TIMEOUT_MS=\"50\" is invalid"},
    {{"SECRET_ID", "trader/keys", "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "k"}, NULL},
    /* dry runs need neither keys nor One-way mode */
    {{"EXECUTE_TRADES", "false", "POSITION_MODE", "HEDGE"}, NULL},
    {{"JOURNAL_URL", "s3://trader-journal/prod"}, "AWS_REGION=\"\" is invalid: an s3:// journal needs a region (or AWS_DEFAULT_REGION)\n"
     "AWS_ACCESS_KEY_ID=\"\" is invalid: an s3:// journal needs credentials\n"
     "AWS_SECRET_ACCESS_KEY=\"\" is invalid: an s3:// journal needs credentials"},
};
/* clang-format on */

static void test_variable_sets(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof set_cases / sizeof *set_cases; i++) {
        const env_set_case *t = &set_cases[i];
        clear_env();
        for (size_t k = 0; t->env[k]; k += 2) setenv(t->env[k], t->env[k + 1], 1);
        expect_load(t->env[1], t->error);
    }
    clear_env();
}

/* The webhook's allowed users as the pipeline gets them; its secret registered. */
static void test_telegram_webhook_parsed(void **state) {
    (void)state;
    clear_env();
    setenv("TELEGRAM_ALLOWED_USER_IDS", " 42 ,9007199254740992", 1);
    setenv("TELEGRAM_WEBHOOK_SECRET", "SeCrEt-webhook-config", 1);
    cfg c;
    dstr err = {0};
    if (cfg_load(&c, &err) != 0) fail_msg("%s", err.ptr);
    assert_int_equal(c.n_telegram_allowed_users, 2);
    assert_true(c.telegram_allowed_users[0] == 42);
    assert_true(c.telegram_allowed_users[1] == 9007199254740992LL);
    assert_string_equal(c.telegram_webhook_secret, "SeCrEt-webhook-config");
    dstr text = {0};
    dstr_puts(&text, "x SeCrEt-webhook-config y");
    secret_scrub(&text);
    assert_null(strstr(dstr_cstr(&text), "SeCrEt-webhook-config"));
    dstr_free(&text);
    cfg_free(&c);
    dstr_free(&err);
    clear_env();
}

/* What an s3:// configuration hands the S3 client. */
static void test_s3_settings_parsed(void **state) {
    (void)state;
    clear_env();
    setenv("JOURNAL_URL", "S3://trader-journal/prod/j/", 1);
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDCONFIGTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SeCrEt-config-test", 1);
    setenv("AWS_SESSION_TOKEN", "ToKeN-config-test", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1);
    setenv("S3_HTTP_TIMEOUT_MS", "1500", 1);
    setenv("S3_HTTP_RETRIES", "0", 1);
    setenv("S3_HTTP_BACKOFF_MS", "7", 1);
    setenv("SSL_CERT_DIR", "/", 1);
    setenv("LOG_LEVEL", "warning", 1);
    cfg c;
    dstr err = {0};
    if (cfg_load(&c, &err) != 0) fail_msg("%s", err.ptr);
    assert_string_equal(c.journal.scheme, "s3");
    assert_string_equal(c.journal.bucket, "trader-journal");
    assert_string_equal(c.journal.prefix, "prod/j");
    assert_null(c.journal.path);
    assert_string_equal(c.aws_region, "ap-south-1");
    assert_string_equal(c.aws_access_key_id, "AKIDCONFIGTEST");
    assert_string_equal(c.aws_secret_access_key, "SeCrEt-config-test");
    assert_string_equal(c.aws_session_token, "ToKeN-config-test");
    assert_string_equal(c.s3_endpoint, "http://127.0.0.1:9000");
    assert_int_equal(c.s3_timeout_ms, 1500);
    assert_int_equal(c.s3_retries, 0);
    assert_int_equal(c.s3_backoff_ms, 7);
    assert_string_equal(c.ca_path, "/");
    assert_int_equal(c.log_level, LOG_WARN);
    /* the AWS secrets are registered (platform/secret.h), so log lines are scrubbed */
    dstr cap = {0};
    capture_start(&cap);
    log_msg(LOG_ERROR, "oops", "%s %s", c.aws_secret_access_key, c.aws_session_token);
    capture_stop();
    assert_null(strstr(cap.ptr, "SeCrEt-config-test"));
    assert_null(strstr(cap.ptr, "ToKeN-config-test"));
    dstr_free(&cap);
    secret_clear();
    cfg_free(&c);
    dstr_free(&err);
    clear_env();
}

static void test_store_url_parser(void **state) {
    (void)state;
    static const struct {
        const char *url;
        cfg_url_status st;
        const char *scheme, *path, *bucket, *prefix;
    } urls[] = {
        {"file:///var/j", CFG_URL_OK, "file", "/var/j", NULL, NULL},
        {"FILE://rel", CFG_URL_OK, "file", "rel", NULL, NULL},
        {"s3://bkt", CFG_URL_OK, "s3", NULL, "bkt", ""},
        {"s3://bkt/", CFG_URL_OK, "s3", NULL, "bkt", ""},
        {"s3://my.bkt-1/a/b/", CFG_URL_OK, "s3", NULL, "my.bkt-1", "a/b"},
        {"file://", CFG_URL_NO_PATH, NULL, NULL, NULL, NULL},
        {"ftp://x", CFG_URL_SCHEME, NULL, NULL, NULL, NULL},
        {"s3:/bkt", CFG_URL_SCHEME, NULL, NULL, NULL, NULL},
        {NULL, CFG_URL_SCHEME, NULL, NULL, NULL, NULL},
        {"s3://bkt.", CFG_URL_BUCKET, NULL, NULL, NULL, NULL},
        {"s3://BKT", CFG_URL_BUCKET, NULL, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        cfg_store_url u;
        cfg_url_status st = cfg_parse_store_url(urls[i].url, &u);
        if (st != urls[i].st) fail_msg("%s: status %d, want %d", urls[i].url, st, urls[i].st);
        if (st == CFG_URL_OK) {
            assert_string_equal(u.scheme, urls[i].scheme);
            if (urls[i].path) assert_string_equal(u.path, urls[i].path);
            else assert_null(u.path);
            if (urls[i].bucket) assert_string_equal(u.bucket, urls[i].bucket);
            if (urls[i].prefix) assert_string_equal(u.prefix, urls[i].prefix);
        }
        cfg_store_url_free(&u);
    }
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

/* With keys and One-way mode, EXECUTE_TRADES=true loads. */
static void test_execute_trades_ready(void **state) {
    (void)state;
    clear_env();
    setenv("EXECUTE_TRADES", "true", 1);
    setenv("BINANCE_API_KEY", "SeCrEt-config-test-key", 1);
    setenv("BINANCE_API_SECRET", "SeCrEt-config-test", 1);
    cfg c;
    dstr err = {0};
    assert_int_equal(cfg_load(&c, &err), 0);
    assert_true(c.execute_trades);
    cfg_free(&c);
    dstr_free(&err);
    secret_clear();
    clear_env();
}

static void test_order_id_prefix(void **state) {
    (void)state;
    assert_true(cfg_valid_order_id_prefix("a"));
    assert_true(cfg_valid_order_id_prefix("Atr9"));
    assert_false(cfg_valid_order_id_prefix(""));
    assert_false(cfg_valid_order_id_prefix("atr12"));
    assert_false(cfg_valid_order_id_prefix("a_b"));
    assert_false(cfg_valid_order_id_prefix("a.b"));
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
    setenv("TRADER_TOKEN", "SENTINEL-trader-token", 1);
    cfg c;
    dstr err = {0};
    assert_int_equal(cfg_load(&c, &err), 0);
    assert_string_equal(c.predictor, "gemini"); /* a key makes gemini the default */
    assert_string_equal(c.trader_token, "SENTINEL-trader-token");
    dstr cap = {0};
    capture_start(&cap);
    log_msg(LOG_ERROR, "oops", "%s %s %s %s", c.binance_api_key, c.binance_api_secret,
            c.google_api_key, c.trader_token);
    capture_stop();
    assert_null(strstr(cap.ptr, "SENTINEL"));
    cfg_free(&c);
    dstr_free(&err);
    dstr_free(&cap);
    secret_clear();
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
        setenv("AWS_REGION", "eu-west-1", 1); /* Lambda sets these */
        setenv("AWS_ACCESS_KEY_ID", "AKIDCONFIGTEST", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "SeCrEt-config-test", 1);
        expect_load(t->journal_url ? t->journal_url
                    : t->log_dir   ? t->log_dir
                                   : "default",
                    t->error);
    }
    clear_env();
}

/* EXECUTE_TRADES=paper: a journal of its own under the configured one. */
static void test_paper_journal(void **state) {
    (void)state;
    static const char *const paper_urls[][2] = {
        {NULL, "file://./logs/paper"},
        {"file:///tmp/j/", "file:///tmp/j/paper"},
        {"s3://trader-journal", "s3://trader-journal/paper"},
        {"s3://trader-journal/prod", "s3://trader-journal/prod/paper"}};
    for (size_t i = 0; i < sizeof paper_urls / sizeof *paper_urls; i++) {
        clear_env();
        setenv("EXECUTE_TRADES", "paper", 1);
        set_or_unset("JOURNAL_URL", paper_urls[i][0]);
        setenv("AWS_REGION", "eu-west-1", 1);
        setenv("AWS_ACCESS_KEY_ID", "AKIDCONFIGTEST", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "SeCrEt-config-test", 1);
        cfg c;
        dstr err = {0};
        assert_int_equal(cfg_load(&c, &err), 0);
        assert_true(c.paper && c.execute_trades);
        assert_string_equal(c.journal_url, paper_urls[i][1]);
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
        cmocka_unit_test(test_paper_journal),
        cmocka_unit_test(test_each_variable),
        cmocka_unit_test(test_variable_sets),
        cmocka_unit_test(test_s3_settings_parsed),
        cmocka_unit_test(test_telegram_webhook_parsed),
        cmocka_unit_test(test_store_url_parser),
        cmocka_unit_test(test_all_errors_reported_at_once),
        cmocka_unit_test(test_execute_trades_ready),
        cmocka_unit_test(test_order_id_prefix),
        cmocka_unit_test(test_testnet_selection),
        cmocka_unit_test(test_secrets_never_logged),
        cmocka_unit_test(test_file_journal_on_lambda),
        cmocka_unit_test(test_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
