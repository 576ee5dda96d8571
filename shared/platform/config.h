/* config: the service configuration, read once from the environment at init.
 *
 * Names and defaults follow the original service (README "Configuration").
 * Every value is validated: a malformed or out-of-range value, an unknown
 * enum, or a TZ whose zone data is missing makes cfg_load() fail with a
 * message naming the variable, what was given and what is allowed. Nothing
 * falls back silently to a default. Secrets (API keys) are registered with
 * the log module so they can never be printed. Nothing else in the library
 * reads the environment (but the Runtime API's own variables, which the
 * runtime loop needs before a configuration exists): clients get their
 * settings from here. EXECUTE_TRADES is true, false or paper (paper trading:
 * no key needed, PAPER_BALANCE USDT to start, and the journal is
 * <JOURNAL_URL>/paper: nothing of it mixes with a live account's). EXECUTE_TRADES=true needs BINANCE_API_KEY and
 * BINANCE_API_SECRET, and refuses POSITION_MODE=HEDGE (the bot closes with
 * reduce-only orders, which Hedge mode does not accept). TRADER_TOKEN, when set, must be
 * 16-256 printable characters without spaces (it travels in a header).
 * On AWS Lambda (AWS_LAMBDA_FUNCTION_NAME and AWS_LAMBDA_RUNTIME_API set,
 * TRADER_LOCAL_GATEWAY not: the local gateway sets it) a file journal
 * outside /tmp is refused, since the task root is read-only. An s3:// journal
 * needs a region and credentials; a file journal needs neither.
 * TELEGRAM_BOT_TOKEN (a secret: registered, never shown, not even in the
 * error naming it) and TELEGRAM_CHAT_ID go together: one without the other
 * is an error; neither means no alert channel. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "platform/dstr.h"
#include "platform/log.h"

#define CFG_MAX_SYMBOLS 32

#define CFG_PAPER_JOURNAL "paper" /* EXECUTE_TRADES=paper: JOURNAL_URL/paper */

/* A store URL taken apart (the forms of store/store.h). */

typedef struct cfg_store_url {
    const char *scheme; /* "file" or "s3" (static text) */
    char *path;         /* file: the root, as written in the URL */
    char *bucket;       /* s3 */
    char *prefix;       /* s3: key prefix inside the bucket, "" or "a/b" (no '/' at the end) */
} cfg_store_url;

typedef enum {
    CFG_URL_OK = 0,
    CFG_URL_SCHEME,  /* not file://... or s3://... */
    CFG_URL_NO_PATH, /* "file://" alone */
    CFG_URL_BUCKET   /* not an S3 bucket name (3-63 of a-z 0-9 . -, alphanumeric ends) */
} cfg_url_status;

#define CFG_TELEGRAM_USERS_MAX 32 /* TELEGRAM_ALLOWED_USER_IDS: ids at most */

typedef struct cfg {
    /* runtime / logging */
    int port;
    log_level log_level;
    char *log_dir;
    char *tz;

    /* signals / risk */
    char *symbols[CFG_MAX_SYMBOLS];
    size_t n_symbols;
    int execute_trades;   /* true or paper */
    int paper;            /* EXECUTE_TRADES=paper: the simulated exchange on the live market */
    double paper_balance; /* PAPER_BALANCE: the paper account's USDT at its start */
    double min_prob, rr_min, atr_mult_tp, atr_mult_sl;
    int leverage;
    char *margin_type;   /* ISOLATED | CROSSED */
    char *position_mode; /* ONEWAY | HEDGE */
    double max_spread_bps;
    double risk_usdt;

    /* execution: sizing costs and caps (domain/sizing.h) */
    double slippage_bps;      /* SLIPPAGE_BPS: allowance per market fill */
    double max_notional_usdt; /* MAX_NOTIONAL_USDT: the position's value cap */
    double fee_taker;         /* FEE_TAKER: fraction per fill, 0.0005 */
    double fee_maker;         /* FEE_MAKER: 0.0002; negative for a rebate */
    char *entry_order_type;   /* MARKET | LIMIT */

    /* execution: the risk manager (domain/risk.h) */
    int max_open_positions;
    double daily_loss_limit_usdt;
    double max_drawdown_pct;
    int cooldown_minutes;
    double max_funding_rate;

    /* the probe before going live (pipelines/probe.h): with
     * LIVE_REQUIRES_PROBE, EXECUTE_TRADES=true needs a ready backtest of
     * the strategy no older than PROBE_MAX_AGE_DAYS in the journal */
    int live_requires_probe;
    int probe_max_age_days;
    double probe_max_drawdown_pct; /* a probe is ready at most at this drawdown */
    int probe_min_trades;          /* ... and with at least this many closed trades */

    /* execution: the HTTP trigger and the signed client */
    char *trader_token;    /* TRADER_TOKEN: NULL when unset; never logged */
    long recv_window_ms;   /* BINANCE_RECV_WINDOW_MS */
    char *order_id_prefix; /* ORDER_ID_PREFIX: this bot's client-id prefix */

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
    cfg_store_url journal; /* journal_url taken apart */

    /* AWS (the S3 journal): region and credentials are set whenever the
     * journal is s3://, possibly also otherwise */
    char *aws_region;            /* AWS_REGION, else AWS_DEFAULT_REGION; NULL when unset */
    char *s3_endpoint;           /* AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL; NULL: AWS */
    char *aws_access_key_id;     /* NULL when unset */
    char *aws_secret_access_key; /* NULL when unset; never logged */
    char *aws_session_token;     /* NULL when unset; never logged */
    char *secret_id;             /* SECRET_ID: the Secrets Manager secret holding the keys; NULL */
    char *secrets_endpoint; /* AWS_ENDPOINT_URL_SECRETS_MANAGER, else AWS_ENDPOINT_URL; NULL: AWS */
    long secret_timeout_ms; /* SECRET_TIMEOUT_MS: the whole read of the secret at init */
    long s3_timeout_ms;
    int s3_retries;
    long s3_backoff_ms;

    /* Gemini */
    char *google_api_key; /* NULL when unset; never logged */
    char *gemini_model;
    char *gemini_base_url;
    double g_temperature;
    int g_max_tokens;
    long gemini_timeout_ms;
    int gemini_retries;
    long gemini_backoff_ms;

    /* Telegram, the operator channel (services/telegram.h): alerts go out
     * only when both the token and the chat are set */
    char *telegram_bot_token; /* TELEGRAM_BOT_TOKEN: NULL when unset; never logged */
    char *telegram_chat_id;   /* TELEGRAM_CHAT_ID: NULL when unset */
    char *telegram_base_url;  /* TELEGRAM_BASE_URL */
    long telegram_timeout_ms;
    int telegram_retries;
    long telegram_backoff_ms;
    /* the commands' webhook (functions/telegram) */
    char *telegram_webhook_secret; /* TELEGRAM_WEBHOOK_SECRET: NULL when unset; never logged */
    long long telegram_allowed_users[CFG_TELEGRAM_USERS_MAX]; /* TELEGRAM_ALLOWED_USER_IDS */
    size_t n_telegram_allowed_users;
    /* alerts (services/alerts.h) */
    long alert_budget_ms; /* ALERT_BUDGET_MS: the time a run gives its alerts */
    unsigned alert_types; /* ALERTS: bit (1u << cfg_alert_type) set per type on */

    /* outgoing TLS: CA directory (hashed, cheap to load) or bundle file;
     * NULL when unset; checked to exist */
    char *ca_path;
    char *ca_file;
} cfg;

/* The alert types ALERTS switches (issue 11; README "Alerts"). */
typedef enum cfg_alert_type {
    CFG_ALERT_ENTRY,     /* an entry with its bracket */
    CFG_ALERT_EXIT,      /* a stop or take-profit filled, with realised PnL */
    CFG_ALERT_EMERGENCY, /* an emergency close */
    CFG_ALERT_RECONCILE, /* a reconcile action */
    CFG_ALERT_RISK,      /* kill switch tripped, cooldown started */
    CFG_ALERT_JOURNAL,   /* a journal record that could not be written */
    CFG_ALERT_UPSTREAM,  /* repeated upstream failures (Binance, Gemini, S3) */
    CFG_ALERT_CONFIG,    /* a configuration error at init */
    CFG_ALERT_ALARM,     /* an alarm of the stack */
    CFG_ALERT_N
} cfg_alert_type;
#define CFG_ALERTS_ALL ((1u << CFG_ALERT_N) - 1u)
#define CFG_TELEGRAM_CHAT_ID_MAX 64

/* "entry", "exit", ... (NULL out of range); the parse answers -1 for an unknown name. */
const char *cfg_alert_type_name(cfg_alert_type t);
int cfg_alert_type_parse(const char *name);
/* ALERTS: "all", "none", or comma-separated type names (any case, spaces
 * around names ignored): 0 and *mask, else -1. */
int cfg_parse_alerts(const char *text, unsigned *mask);
/* 1 when type t is on in c's ALERTS. */
int cfg_alert_on(const struct cfg *c, cfg_alert_type t);
/* TELEGRAM_CHAT_ID: an integer (groups are negative: -100...) or an
 * @channelusername (5-32 of [A-Za-z0-9_]). */
int cfg_valid_telegram_chat_id(const char *text);
/* TELEGRAM_BOT_TOKEN: "<bot id>:<secret>", digits, ':', then 1-128 of
 * [A-Za-z0-9_-] (it goes into the URL path). */
int cfg_valid_telegram_token(const char *text);
/* TELEGRAM_WEBHOOK_SECRET: 16-256 of [A-Za-z0-9_-]: Telegram's characters
 * for the secret_token it sends back in X-Telegram-Bot-Api-Secret-Token,
 * and long enough not to be guessed (and for the scrubber to mask it). */
int cfg_valid_telegram_webhook_secret(const char *text);
/* TELEGRAM_ALLOWED_USER_IDS: comma-separated user ids (whole numbers 1 to
 * 2^53, spaces around each ignored; "" none), at most
 * CFG_TELEGRAM_USERS_MAX: 0 with ids[0..*n), else -1. */
int cfg_parse_telegram_users(const char *text, long long *ids, size_t *n);

/* Fills c from the environment. Returns 0, or -1 with err describing every
 * invalid variable (one per line). c is always safe to cfg_free(). */
int cfg_load(cfg *c, dstr *err);

/* The variables SECRET_ID's secret may hold (a JSON object with these
 * names as keys). */
#define CFG_SECRET_N 6
extern const char *const cfg_secret_names[CFG_SECRET_N];
/* Makes values[i] (for cfg_secret_names[i]; NULL: not in the secret) win
 * over the environment in every later cfg_load() of the process, which
 * then logs config.secret_sources (each name: "secret", "env" or "unset",
 * never a value). Takes the strings (malloc'd; values[i] become NULL).
 * NULL forgets them. */
void cfg_use_secret_values(char **values);

/* The TZ rule of every process of the project, so all log lines of one stream
 * carry one offset: TZ (NULL or empty: CFG_DEFAULT_TZ) must name loadable
 * zone data; it is then set in the environment (children inherit it) and
 * applied. -1 when it cannot be loaded. cfg_load() uses it; tools without a
 * cfg (the local gateway, invoke) call it themselves. */
#define CFG_DEFAULT_TZ "Asia/Seoul"
int cfg_apply_tz(const char *tz);
void cfg_free(cfg *c);

/* The Binance REST base in force (testnet or production). */
const char *cfg_fapi_base(const cfg *c);
/* The account the configuration trades: "paper" or "live". */
const char *cfg_account(const cfg *c);

/* Shared parsers, also used to validate query parameters and events.
 * Each returns 0 on success and -1 when text is not entirely a valid value. */
int cfg_parse_bool(const char *text, int *out);
int cfg_parse_long(const char *text, long min, long max, long *out);
int cfg_parse_double(const char *text, double min, double max, double *out);
/* 2-20 uppercase ASCII letters or digits, as Binance spells symbols. */
int cfg_valid_symbol(const char *text);
/* ORDER_ID_PREFIX: 1-CFG_ORDER_ID_PREFIX_MAX ASCII letters or digits. A client
 * id (^[.A-Z:/a-z0-9_-]{1,36}$) must hold the prefix, a symbol of up to 20
 * characters, the candle time in base 36 (8) and the leg, with separators. */
#define CFG_ORDER_ID_PREFIX_MAX 4
int cfg_valid_order_id_prefix(const char *text);
/* Takes a store URL apart (scheme case-insensitive; one trailing '/' of an
 * s3 prefix dropped). The prefix is not checked: its rules are the store's.
 * out is always safe to cfg_store_url_free(). */
cfg_url_status cfg_parse_store_url(const char *url, cfg_store_url *out);
void cfg_store_url_free(cfg_store_url *u);

#endif
