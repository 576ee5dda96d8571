/* fuzz_config: the configuration read from fuzzed environment values. The
 * input's lines are the values of a fixed list of variables, in order (a
 * variable past the last line is unset); cfg_load validates them all. Each
 * line also goes through the shared value parsers (cfg_parse_bool, _long,
 * _double, cfg_valid_symbol, cfg_parse_store_url), whose answers must lie in
 * the bounds asked for. A configuration that loads keeps the execution
 * rules: EXECUTE_TRADES=true only with keys in One-way mode (paper: One-way,
 * no key, its journal under the configured one), limits and the client-id
 * prefix in range. */
#include <math.h>

#include "fuzz.h"
#include "platform/config.h"
#include "platform/secret.h"

static const char *const vars[] = {
    "SYMBOLS",
    "JOURNAL_URL",
    "TZ",
    "LOG_LEVEL",
    "MIN_PROB",
    "RR_MIN",
    "ATR_MULT_TP",
    "ATR_MULT_SL",
    "LEVERAGE",
    "MARGIN_TYPE",
    "POSITION_MODE",
    "MAX_SPREAD_BPS",
    "RISK_USDT",
    "EXECUTE_TRADES",
    "PREDICTOR",
    "PREDICTOR_FALLBACK",
    "ATR_PERIOD",
    "ATR_TF",
    "PORT",
    "LOG_DIR",
    "BINANCE_USE_TESTNET",
    "BINANCE_FUTURES_TESTNET",
    "BINANCE_FAPI_BASE",
    "BINANCE_FAPI_TESTNET_BASE",
    "BINANCE_HTTP_TIMEOUT_MS",
    "BINANCE_HTTP_RETRIES",
    "BINANCE_HTTP_BACKOFF_MS",
    "BINANCE_API_KEY",
    "BINANCE_API_SECRET",
    "GOOGLE_API_KEY",
    "GEMINI_MODEL",
    "GEMINI_BASE_URL",
    "G_TEMPERATURE",
    "G_MAX_TOKENS",
    "GEMINI_HTTP_TIMEOUT_MS",
    "GEMINI_HTTP_RETRIES",
    "GEMINI_HTTP_BACKOFF_MS",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "S3_HTTP_TIMEOUT_MS",
    "S3_HTTP_RETRIES",
    "S3_HTTP_BACKOFF_MS",
    "HTTP_CA_PATH",
    "HTTP_CA_FILE",
    "SSL_CERT_DIR",
    "SSL_CERT_FILE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "TRADER_LOCAL_GATEWAY",
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
};
#define N_VARS (sizeof vars / sizeof *vars)

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void value_parsers(const char *s) {
    int b;
    if (cfg_parse_bool(s, &b) == 0 && b != 0 && b != 1) fuzz_fail("bool not 0 or 1");
    long l;
    if (cfg_parse_long(s, -5, 1500, &l) == 0 && (l < -5 || l > 1500))
        fuzz_fail("long out of range");
    double d;
    if (cfg_parse_double(s, 0, 1, &d) == 0 && !(d >= 0 && d <= 1)) fuzz_fail("double out of range");
    if (cfg_valid_symbol(s)) {
        size_t n = strlen(s);
        if (n < 2 || n > 20) fuzz_fail("symbol length out of range");
    }
    cfg_store_url u;
    if (cfg_parse_store_url(s, &u) == CFG_URL_OK && !u.scheme)
        fuzz_fail("store URL without scheme");
    cfg_store_url_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_strndup(data, size);
    size_t i = 0;
    for (char *line = text, *next; line && i < N_VARS; line = next, i++) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        value_parsers(line);
        setenv(vars[i], line, 1);
    }
    for (; i < N_VARS; i++) unsetenv(vars[i]);
    cfg c;
    dstr err = {0};
    if (cfg_load(&c, &err) == 0) {
        if (c.n_symbols == 0 || c.n_symbols > CFG_MAX_SYMBOLS)
            fuzz_fail("symbol count out of range");
        for (size_t k = 0; k < c.n_symbols; k++)
            if (!cfg_valid_symbol(c.symbols[k])) fuzz_fail("an invalid symbol accepted");
        if (!cfg_fapi_base(&c) || !c.journal.scheme) fuzz_fail("no Binance base or journal");
        if (c.execute_trades && !c.paper &&
            (!c.binance_api_key || !c.binance_api_secret || strcmp(c.position_mode, "ONEWAY") != 0))
            fuzz_fail("EXECUTE_TRADES=true loaded without keys or in Hedge mode");
        if (c.paper && (!c.execute_trades || strcmp(c.position_mode, "ONEWAY") != 0 ||
                        !strstr(c.journal_url, "/" CFG_PAPER_JOURNAL)))
            fuzz_fail("EXECUTE_TRADES=paper loaded in Hedge mode or on the live journal");
        if (!cfg_valid_order_id_prefix(c.order_id_prefix)) fuzz_fail("a bad ORDER_ID_PREFIX");
        if (c.recv_window_ms < 1 || c.recv_window_ms > 60000) fuzz_fail("recvWindow out of range");
        if (c.max_open_positions < 1 || !(c.max_drawdown_pct > 0 && c.max_drawdown_pct <= 100))
            fuzz_fail("a risk limit out of range");
        if (strcmp(c.entry_order_type, "MARKET") != 0 && strcmp(c.entry_order_type, "LIMIT") != 0)
            fuzz_fail("an unknown ENTRY_ORDER_TYPE");
        if (c.trader_token && (strlen(c.trader_token) < 16 || strchr(c.trader_token, ' ')))
            fuzz_fail("a weak TRADER_TOKEN accepted");
    } else if (!err.len) {
        fuzz_fail("cfg_load failed without a message");
    }
    cfg_free(&c);
    dstr_free(&err);
    secret_clear();
    free(text);
    return 0;
}
