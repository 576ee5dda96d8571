/* config: the service configuration, read once from the environment at init.
 *
 * Names and defaults follow the original service (README "Configuration").
 * Every value is validated: a malformed or out-of-range value, an unknown
 * enum, or a TZ whose zone data is missing makes cfg_load() fail with a
 * message naming the variable, what was given and what is allowed. Nothing
 * falls back silently to a default. Secrets (API keys) are registered with
 * the log module so they can never be printed. EXECUTE_TRADES=true is
 * refused while order execution does not exist: the trader never pretends
 * to trade. On AWS Lambda (AWS_LAMBDA_FUNCTION_NAME and AWS_LAMBDA_RUNTIME_API
 * set, TRADER_LOCAL_GATEWAY not: the local gateway sets it) a file journal
 * outside /tmp is refused, since the task root is read-only. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "platform/dstr.h"

#define CFG_MAX_SYMBOLS 32

typedef struct cfg {
    /* runtime / logging */
    int port;
    char *log_dir;
    char *tz;

    /* signals / risk */
    char *symbols[CFG_MAX_SYMBOLS];
    size_t n_symbols;
    int execute_trades;
    double min_prob, rr_min, atr_mult_tp, atr_mult_sl;
    int leverage;
    char *margin_type;   /* ISOLATED | CROSSED */
    char *position_mode; /* ONEWAY | HEDGE */
    double max_spread_bps;
    double risk_usdt;

    /* Binance USD-M futures */
    char *binance_api_key;    /* NULL when unset; never logged */
    char *binance_api_secret; /* NULL when unset; never logged */
    int use_testnet;
    char *fapi_base;
    char *fapi_testnet_base;
    long binance_timeout_ms;
    int binance_retries;
    long binance_backoff_ms;

    /* predictor: "gemini" or "builtin" (default: gemini when a key is set);
     * fallback when gemini fails: "builtin" or "none" */
    char *predictor;
    char *predictor_fallback;
    int atr_period;
    char *atr_tf; /* 5m | 1h | 4h | 1d */

    /* journal: file://<dir> (default file://$LOG_DIR) or s3://bucket/prefix;
     * on AWS Lambda a file journal must be under /tmp */
    char *journal_url;

    /* Gemini */
    char *google_api_key; /* NULL when unset; never logged */
    char *gemini_model;
    char *gemini_base_url;
    double g_temperature;
    int g_max_tokens;
    long gemini_timeout_ms;
    int gemini_retries;
    long gemini_backoff_ms;

    /* outgoing TLS: CA directory (hashed, cheap to load) or bundle file */
    char *ca_path;
    char *ca_file;
} cfg;

/* Fills c from the environment. Returns 0, or -1 with err describing every
 * invalid variable (one per line). c is always safe to cfg_free(). */
int cfg_load(cfg *c, dstr *err);
void cfg_free(cfg *c);

/* The Binance REST base in force (testnet or production). */
const char *cfg_fapi_base(const cfg *c);

/* Shared parsers, also used to validate query parameters and events.
 * Each returns 0 on success and -1 when text is not entirely a valid value. */
int cfg_parse_bool(const char *text, int *out);
int cfg_parse_long(const char *text, long min, long max, long *out);
int cfg_parse_double(const char *text, double min, double max, double *out);
/* 2-20 uppercase ASCII letters or digits, as Binance spells symbols. */
int cfg_valid_symbol(const char *text);

#endif
