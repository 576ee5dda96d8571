/* overview: the account at a glance (GET /api/overview) as a pipeline:
 * balances, positions, this bot's open orders and algo orders on SYMBOLS,
 * the latest decision per symbol, the UTC day's realised and net PnL, the
 * kill switch and the trader's latest run.
 *
 * Reads only; nothing is ordered, cancelled or journaled, so it works with
 * EXECUTE_TRADES=false and read-only API keys. Every exchange read (balances,
 * positions, symbol configs for the leverage, open orders and open algo
 * orders of each symbol of SYMBOLS) goes out in ONE ex_read() batch, bounded
 * by the invocation's deadline minus a share kept for the journal reads
 * (OVERVIEW_JOURNAL_RESERVE_MS at most); then the journal: latest decisions,
 * the day's trade records, the risk state, the latest run record, through
 * the store's deadline.
 *
 * "This bot's" order: a client id (newClientOrderId / clientAlgoId) that
 * starts with ORDER_ID_PREFIX followed by a separator (not a letter or a
 * digit), so prefix "atr" does not claim "atrx-..."; the others are only
 * counted (other_open_orders, other_algo_orders).
 *
 * Failures: a part that cannot be read (an exchange part, or a journal
 * reader) does not fail the others: its field is null in the answer and the
 * part is named in "errors" with why. overview_read() fails as a whole only
 * when there is nothing to read the account with (OVERVIEW_NO_KEYS, no
 * request made) or when every part failed (OVERVIEW_ALL_FAILED; the answer
 * is still rendered, and first_error says how the exchange failed). */
#ifndef OVERVIEW_H
#define OVERVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "pipelines/env.h"
#include "services/exchange.h"
#include "services/journal_risk.h"
#include "services/journal_run.h"
#include "services/journal_trade.h"

#define OVERVIEW_JOURNAL_RESERVE_MS 2000 /* kept for the journal reads, at most a third */

typedef enum overview_status {
    OVERVIEW_OK = 0,     /* rendered; some parts may have failed (see "errors") */
    OVERVIEW_NO_KEYS,    /* BINANCE_API_KEY / BINANCE_API_SECRET not configured */
    OVERVIEW_ALL_FAILED, /* rendered, but every part failed */
} overview_status;

/* The parts of the answer, in the order "errors" lists them. */
typedef enum overview_part {
    OV_BALANCES,
    OV_POSITIONS,
    OV_LEVERAGE, /* symbolConfig: the positions' leverage and margin type */
    OV_OPEN_ORDERS,
    OV_ALGO_ORDERS,
    OV_DECISIONS,   /* the journal's latest decision per symbol */
    OV_PNL_TODAY,   /* the journal's trade records of the UTC day */
    OV_KILL_SWITCH, /* the journal's risk state */
    OV_LAST_RUN,    /* the journal's newest run record */
    OV_PART_COUNT
} overview_part;

typedef struct overview_failure {
    int failed;
    ex_error e; /* exchange parts: status, HTTP status, Binance's code */
    dstr why;   /* one line for people */
} overview_failure;

typedef struct overview {
    int64_t now_ms;
    const char *const *symbols; /* SYMBOLS (borrowed from the configuration) */
    size_t n_symbols;
    const char *prefix; /* ORDER_ID_PREFIX */
    int execute_trades;
    const char *account; /* "paper" (EXECUTE_TRADES=paper) or "live" */
    ex_account acct;
    dstr *decisions; /* n_symbols: the latest decision record, "" when none */
    journal_day_pnl pnl;
    journal_risk_state risk;
    int has_run; /* a run record exists: last_run */
    journal_run_info last_run;
    overview_failure parts[OV_PART_COUNT];
} overview;

/* Reads everything (see the contract); *out is always safe to render and
 * free. err gets one line for OVERVIEW_NO_KEYS and OVERVIEW_ALL_FAILED;
 * first_error (may be NULL) the first failed exchange part's error, for the
 * frame's upstream mapping. */
overview_status overview_read(const pl_env *env, overview *out, ex_error *first_error, dstr *err);

/* Appends the answer's JSON object (README, "Endpoints": /api/overview). */
void overview_json(const overview *ov, dstr *out);

void overview_free(overview *ov);

/* "balances", "positions", ... as the answer's "errors" name them. */
const char *overview_part_name(overview_part p);

/* 1 when client_id is this bot's: prefix, then a character that is neither
 * a letter nor a digit. */
int overview_is_bot_order(const char *prefix, const char *client_id);

#endif
