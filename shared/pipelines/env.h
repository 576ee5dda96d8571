/* env: what a pipeline runs with (pl_env), and the process-wide resources it
 * is built from (pl_resources): the composition root, where the
 * configuration becomes clients.
 *
 * A pipeline takes a pl_env and nothing of the Lambda frame: the exchange,
 * the predictors, the journal store, a clock and the deadline by which all
 * its I/O must be done. The frame (or a local tool, or a test) builds one.
 *
 * pl_resources lives as long as the warm process: nothing is opened until
 * pl_env_make() is first called (so a health probe never starts TLS); then
 * the HTTP client, the exchange (Binance), the predictors (PREDICTOR and
 * PREDICTOR_FALLBACK) and the journal store (JOURNAL_URL) are opened once and
 * kept. pl_resources_new() registers the store backends the configuration
 * may name (s3:// with the configuration's AWS settings) and sets up the
 * Telegram client when TELEGRAM_BOT_TOKEN is configured (no I/O). What cannot be opened is NULL in the env and is tried again at the
 * next call: no HTTP client means no exchange (every symbol FLAT, "market
 * data: the HTTP client could not start"); no journal store means every
 * record is unwritten (printed whole as journal.unwritten), with
 * journal.open_failed logged.
 *
 * The invocation log (services/invlog.h) is driven from here too, so the
 * frame needs to know nothing of the journal's layout. */
#ifndef PL_ENV_H
#define PL_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/config.h"
#include "domain/decision.h"
#include "domain/predictor.h"
#include "domain/risk.h"
#include "domain/sizing.h"
#include "services/exchange.h"
#include "services/gemini.h"
#include "services/binance.h"
#include "services/sim_exchange.h"
#include "services/telegram.h"
#include "store/store.h"

typedef struct pl_env {
    const cfg *cfg;
    exchange *exchange;         /* NULL: no market data */
    const predictor *predictor; /* PREDICTOR */
    const predictor *fallback;  /* PREDICTOR_FALLBACK=builtin; NULL: none */
    store *journal;             /* NULL: every record is unwritten */
    http_client *http;          /* NULL: libcurl could not start */
    telegram_client *telegram;  /* NULL: no TELEGRAM_BOT_TOKEN (or no HTTP client) */
    const clock_src *clock;     /* NULL: the wall clock */
    int64_t deadline_ms;        /* absolute unix ms: all I/O is done by then */
    decision_params params;     /* MIN_PROB, RR_MIN, ATR_* and MAX_SPREAD_BPS */
    sizing_params sizing;       /* RISK_USDT, FEE_TAKER, SLIPPAGE_BPS, ... */
    risk_params risk;           /* MAX_OPEN_POSITIONS, DAILY_LOSS_LIMIT_USDT, ... */
} pl_env;

/* The decision thresholds of the configuration. */
decision_params pl_decision_params(const cfg *c);
/* Sizing: RISK_USDT, FEE_TAKER, SLIPPAGE_BPS, MAX_NOTIONAL_USDT, LEVERAGE,
 * RR_MIN, and the default maintenance-margin rate (SIZING_DEFAULT_MMR). */
sizing_params pl_sizing_params(const cfg *c);
/* The risk manager: MAX_OPEN_POSITIONS, DAILY_LOSS_LIMIT_USDT,
 * MAX_DRAWDOWN_PCT, COOLDOWN_MINUTES, MAX_FUNDING_RATE. */
risk_params pl_risk_params(const cfg *c);
/* The simulated exchange of paper trading and the backtest: PAPER_BALANCE,
 * FEE_TAKER, FEE_MAKER, SLIPPAGE_BPS, Binance's defaults otherwise. */
sim_config pl_paper_sim_config(const cfg *c);
/* 1 when ENTRY_ORDER_TYPE is MARKET (sizing_input.market), 0 for LIMIT. */
int pl_market_entry(const cfg *c);
/* 1 when both BINANCE_API_KEY and BINANCE_API_SECRET are set: the account
 * can be read (a dry run then reconciles in report mode). */
int pl_binance_keys(const cfg *c);
/* 1 when there is an account to read: the Binance keys, or the paper
 * account (EXECUTE_TRADES=paper, which needs none). */
int pl_account_readable(const cfg *c);
/* The clients' own settings, from the configuration (Binance: with the API
 * key and secret, borrowed from c, and BINANCE_RECV_WINDOW_MS). */
bn_config pl_binance_config(const cfg *c);
gemini_config pl_gemini_config(const cfg *c);
telegram_config pl_telegram_config(const cfg *c);

/* SECRET_ID (none: 0): reads the secret once (GetSecretValue, within
 * SECRET_TIMEOUT_MS and by deadline_ms when that comes first (0: none),
 * with the configuration's AWS settings), registers its
 * values with the secret scrubber and makes them win over the environment
 * at the next cfg_load (cfg_use_secret_values). -1 with one line in err
 * (naming the secret and AWS's error code, never a value) when it cannot. */
int pl_secrets_fetch(const cfg *c, int64_t deadline_ms, dstr *err);

typedef struct pl_resources pl_resources;

/* c must outlive the resources. Opens nothing yet. */
pl_resources *pl_resources_new(const cfg *c);
void pl_resources_free(pl_resources *r); /* NULL is fine */

/* The journal store alone (opened on first use, kept; NULL when it cannot
 * be opened, logged), its calls bounded by deadline_ms: what an init check
 * reads without starting the HTTP clients. */
store *pl_resources_journal(pl_resources *r, int64_t deadline_ms);

/* The environment of one invocation with the given deadline, which also
 * bounds every call on its journal store (store_set_deadline). */
void pl_env_make(pl_resources *r, int64_t deadline_ms, pl_env *env);

/* The invocation log of one invocation (services/invlog.h): begin collects
 * every log line; end writes them as one journal object, a write that ends
 * before deadline_ms whatever the store does (else the record is printed as
 * journal.unwritten), and returns how many records could not be written (0
 * or 1; a record without lines is not written); discard keeps nothing. */
void pl_invocation_begin(pl_resources *r, const char *function, const char *request_id);
int pl_invocation_end(pl_resources *r, int64_t deadline_ms);
void pl_invocation_discard(pl_resources *r);

#endif
