/* risk: the account-level rules that may refuse a new entry which the
 * decision found worth taking (issue 9 item 8), and the kill switch.
 *
 * Contract: pure (no I/O, no allocation, no clock: `now_ms` comes in).
 * risk_check() takes plain data the caller read (exchange, journal) and
 * answers allow, plus one reason per failed rule in the style of
 * decision.reasons ("open positions 2 >= max 2"). allow is true exactly
 * when n_reasons is 0. Anything unknown (NAN) refuses, saying so: when in
 * doubt, no entry. Rules (defaults: config.c, README "Configuration"):
 *  1. MAX_OPEN_POSITIONS (default 2): open_positions, counted over the
 *     account's symbols including entries made earlier in the same run,
 *     must be < max.
 *  2. DAILY_LOSS_LIMIT_USDT (default 200, two full stop-outs at the default
 *     RISK_USDT): the realised net PnL of the current UTC day must be
 *     > -limit.
 *  3. MAX_DRAWDOWN_PCT (default 10): the high-water mark is max(hwm in,
 *     equity); when equity <= hwm * (1 - pct/100) the kill switch trips.
 *     A tripped kill switch refuses every entry and stays tripped (state
 *     out = state in | tripped now) until an operator resets it in the
 *     journal; a reset must also restart the high-water mark at the
 *     equity of that moment, or the switch trips again at once.
 *  4. COOLDOWN_MINUTES (default 60; 0: none): no entry on a symbol until
 *     that many minutes after its last stop-out.
 *  5. MAX_FUNDING_RATE (default 0.001 = 0.1 % per funding interval, ten
 *     times the usual base rate): the funding the position would pay
 *     (LONG: rate > 0, SHORT: rate < 0) must not exceed it.
 * Every rule is evaluated (all reasons listed); the high-water mark and the
 * kill switch are updated whatever the other rules say. */
#ifndef RISK_H
#define RISK_H

#include <stddef.h>
#include <stdint.h>

#include "domain/decision.h"
#include "domain/prediction.h"

#define RISK_MAX_REASONS 8

typedef struct risk_params {
    int max_open_positions;       /* >= 1 */
    double daily_loss_limit_usdt; /* > 0 */
    double max_drawdown_pct;      /* (0, 100] */
    int cooldown_minutes;         /* >= 0 */
    double max_funding_rate;      /* >= 0, a fraction per funding interval */
} risk_params;

/* The defaults above: 2, 200, 10, 60, 0.001. */
risk_params risk_params_default(void);

typedef struct risk_input {
    const char *symbol;
    direction dir;             /* LONG or SHORT: the side the entry would take */
    int open_positions;        /* positions open now, this run's entries included */
    double realized_pnl_today; /* net of fees and funding, UTC day; < 0 is a loss */
    double equity;             /* wallet balance + unrealised PnL, USDT */
    double hwm;                /* from the journal; NAN or <= 0: none yet */
    int kill_switch;           /* tripped, from the journal */
    int64_t last_stop_out_ms;  /* this symbol's; 0: none */
    double funding_rate;       /* the symbol's current funding rate; NAN: unknown */
    int64_t now_ms;
} risk_input;

typedef struct risk_result {
    int allow;
    char reasons[RISK_MAX_REASONS][DECISION_REASON_LEN];
    size_t n_reasons;
    double hwm;                /* the high-water mark out (NAN when equity and hwm are unknown) */
    int hwm_raised;            /* 1: hwm out > hwm in: journal the new mark */
    double drawdown_pct;       /* 100 * (hwm - equity) / hwm; NAN when unknown */
    int kill_switch;           /* state out */
    int kill_switch_tripped;   /* 1: tripped by this check (it was not before): journal it */
    int64_t cooldown_until_ms; /* last stop-out + cooldown; 0 when none */
} risk_result;

void risk_check(const risk_input *in, const risk_params *p, risk_result *out);

#endif
