/* execute: turning one decision into a protected position on the exchange
 * (issue 9 items 3, 5, 6): client ids, account set-up, the bracket.
 *
 * Client ids (exec_client_id): PREFIX_SYMBOL_TIME_LEG, where PREFIX is
 * ORDER_ID_PREFIX (1-4 letters or digits), SYMBOL the symbol (2-20 of A-Z
 * 0-9), TIME the decision candle's time in unix ms written in base 36
 * (lowercase, 8 digits at most until the year 2059) and LEG one letter:
 *   E entry, S stop, T take-profit, X emergency close (no stop possible or
 *   the take-profit already passed), s / t a stop / take-profit re-created
 *   by reconcile, C a close made by reconcile.
 * At most 4+1+20+1+8+1+1 = 36 characters of [A-Za-z0-9_]: always within
 * Binance's ^[.A-Z:/a-z0-9_-]{1,36}$. The same decision always gives the
 * same ids, so an order placed by an attempt whose answer was lost is
 * found again by its id (ex_query), and an id this bot did not make never
 * parses as one of its own (exec_parse_client_id), which is how reconcile
 * tells the bot's orders from the account's other orders.
 *
 * Set-up (exec_setup): read first (the run's ONE read batch: position mode,
 * symbol configs), change only what differs (one-way mode, MARGIN_TYPE,
 * LEVERAGE) in one ex_configure batch. -4059/-4046 ("no need to change")
 * are success (the exchange table maps them to EX_OK). A change that fails
 * (-4067/-4068 open orders or positions, -4047/-4048, any other refusal, an
 * unknown outcome) or a read that failed blocks entries on that symbol (the
 * position mode: on every symbol), with the reason. With execute 0 nothing
 * is sent: the result lists what would change.
 *
 * The bracket (exec_bracket), after the caller claimed the decision:
 *  1. the entry on /fapi/v1/order: MARKET (newOrderRespType RESULT) or LIMIT
 *     at the decided entry (GTC), id ..._E. An unknown outcome (EX_UNKNOWN,
 *     or a MARKET answer that is not final) is settled by ONE query of that
 *     id; when the query cannot settle it (-2013, a failure) the outcome is
 *     EXEC_ENTRY_UNKNOWN: nothing more is sent, the entry is NEVER resent in
 *     this run, and the next run's reconcile decides from the position.
 *  2. once something filled, first the fill record (bracket_fill_put,
 *     brackets.h: the fill and the legs' triggers, create-only, keyed by the
 *     claim; action "journal_fill"; a failed write is said but does not hold
 *     the legs back), so a process killed from then on leaves the fill in
 *     the journal; then the stop (STOP_MARKET) and the take-profit
 *     (TAKE_PROFIT_MARKET) legs on /fapi/v1/algoOrder in ONE batch,
 *     reduceOnly with the filled quantity, triggers on the mark price at
 *     the decided distances from the actual fill price
 *     (sizing_legs_from_fill). An unknown leg outcome is settled by a query
 *     of its id (one batch for both legs).
 *  3. faults (exec_protect, shared with reconcile):
 *     - the stop cannot be placed (legs impossible to price, -2021, any
 *       refusal, an unknown outcome the query does not settle): the
 *       position is closed at once with a reduce-only MARKET order (..._X),
 *       the take-profit (if placed) cancelled, and it is logged as ERROR
 *       exec.emergency_close. If even that close fails: ERROR
 *       exec.unprotected (EXEC_UNPROTECTED): a person must act.
 *     - the take-profit gets -2021 (the price is already past it): closed
 *       at market too (the profit is there), the stop cancelled.
 *     - any other take-profit failure keeps the stop (EXEC_STOP_ONLY), WARN
 *       exec.take_profit_missing; the next run's reconcile re-creates it.
 * Several symbols (exec_brackets): the brackets of different symbols do not
 * depend on each other, so each step above runs for all of them at once:
 * ONE batch of entries (ex_place_orders), ONE query batch settling the
 * unknown ones, ONE cancel batch for partly filled LIMIT rests, ONE journal
 * batch with the fill records (bracket_fills_put), ONE algo
 * batch with the legs of every filled entry, ONE query batch settling the
 * unknown legs; the closes of step 3 (the rare path) then go one symbol
 * after the other. Every property above holds per symbol: one symbol's
 * failure (a refused entry, a stop that cannot be placed) changes nothing
 * for the others. A warm run's critical path is thus entry -> legs, two
 * round trips, whatever the number of symbols.
 * Each step is appended to the caller's actions (JSON objects, comma
 * separated, for the run record; per step, in plan order) and logged
 * (exec.*). */
#ifndef PL_EXECUTE_H
#define PL_EXECUTE_H

#include <stddef.h>
#include <stdint.h>

#include "domain/prediction.h"
#include "domain/sizing.h"
#include "domain/symbol_rules.h"
#include "pipelines/env.h"
#include "services/exchange.h"

#define EXEC_LEG_ENTRY 'E'
#define EXEC_LEG_STOP 'S'
#define EXEC_LEG_TP 'T'
#define EXEC_LEG_CLOSE 'X'
#define EXEC_LEG_STOP_AGAIN 's'
#define EXEC_LEG_TP_AGAIN 't'
#define EXEC_LEG_RECONCILE_CLOSE 'C'
#define EXEC_REASON_LEN 200

/* The client id of a leg: 0, or -1 (out "") for a bad prefix, symbol, time
 * or leg. out has EX_CLIENT_ID_LEN bytes. */
int exec_client_id(const char *prefix, const char *symbol, int64_t candle_ms, char leg,
                   char out[EX_CLIENT_ID_LEN]);
/* 1 when id is one of this bot's (made by exec_client_id with prefix),
 * with its parts (each out may be NULL; symbol has EX_SYMBOL_LEN bytes);
 * else 0. */
int exec_parse_client_id(const char *prefix, const char *id, char *symbol, int64_t *candle_ms,
                         char *leg);

/* ---- account set-up ------------------------------------------------------- */

typedef struct exec_gate {
    int entry_ok;              /* 1: entries allowed on the symbol as far as set-up goes */
    char why[EXEC_REASON_LEN]; /* why not ("" when entry_ok) */
} exec_gate;

/* Reads a (position_mode_part, configs_part) and makes the account what the
 * configuration wants for symbols[0..n) (see the contract); gates[i] for
 * symbols[i]. With execute 0 nothing is sent and gates say whether an
 * entry would be possible. actions gets one object per change (done,
 * failed or, dry, "would"). Returns the number of changes sent. */
size_t exec_setup(const pl_env *env, const ex_account *a, const char *const *symbols, size_t n,
                  int execute, exec_gate *gates, dstr *actions);

/* ---- the bracket ------------------------------------------------------------ */

typedef struct exec_plan {
    const char *symbol;
    direction dir;     /* LONG or SHORT */
    int64_t candle_ms; /* the decision candle: the claim's and the ids' time */
    const symbol_rules *rules;
    sizing_result size; /* SIZING_OK: qty, entry, sl, tp (texts on the step / tick) */
    int market;         /* 1 MARKET, 0 LIMIT at size.entry */
    const char *prefix; /* ORDER_ID_PREFIX */
} exec_plan;

typedef enum exec_outcome {
    EXEC_NO_ENTRY = 0,  /* the entry definitely did not fill: no position */
    EXEC_ENTRY_UNKNOWN, /* the entry may have filled: left to the next reconcile */
    EXEC_ENTRY_RESTING, /* a LIMIT entry rests unfilled; reconcile protects a later fill */
    EXEC_PROTECTED,     /* position with its stop and take-profit */
    EXEC_STOP_ONLY,     /* position with its stop; the take-profit is missing */
    EXEC_CLOSED,        /* the position was closed at market (stop impossible, TP passed) */
    EXEC_UNPROTECTED    /* ALERT: a position without a stop that could not be closed */
} exec_outcome;

/* "no_entry", "entry_unknown", "entry_resting", "protected", "stop_only",
 * "closed", "unprotected". */
const char *exec_outcome_name(exec_outcome o);

typedef struct exec_report {
    exec_outcome outcome;
    int filled;               /* something of the entry filled */
    ex_order entry;           /* the entry as last known (answer or query) */
    double fill_price;        /* avg fill price, 0 when nothing filled */
    char qty[EX_DECIMAL_LEN]; /* the filled quantity, as the exchange wrote it */
    ex_algo_order stop, tp;   /* valid when stop_placed / tp_placed */
    int stop_placed, tp_placed;
    ex_order close; /* the emergency close, when close_placed */
    int close_placed;
    char why[EXEC_REASON_LEN]; /* what went wrong, "" when nothing */
} exec_report;

/* Places the bracket of plan (see the contract); every outcome leaves either
 * no position, or a position with its stop (and, but for STOP_ONLY, its
 * take-profit), or the ERROR exec.unprotected. */
exec_outcome exec_bracket(const pl_env *env, const exec_plan *plan, exec_report *out,
                          dstr *actions);
/* The brackets of plans[0..n) (distinct symbols, each already claimed),
 * step by step together (see the contract); outs[i] for plans[i], its
 * outcome in outs[i].outcome. exec_bracket() is the batch of one. */
void exec_brackets(const pl_env *env, const exec_plan *plans, size_t n, exec_report *outs,
                   dstr *actions);

/* Protection of an open position (the bracket's step 2-3, and reconcile's
 * re-creation of a missing leg): places the legs asked (need_stop,
 * need_tp) for a position of dir and qty (the exchange's decimal string),
 * at the triggers given (texts on the tick), with the ids of stop_leg /
 * tp_leg / close_leg; on a failure of the stop or a -2021 of the
 * take-profit, closes the position reduce-only at market and cancels the
 * leg left behind (an existing leg the caller names in keep_stop_id /
 * keep_tp_id, "" when none, is cancelled then too). Fills out's stop, tp,
 * close fields and returns EXEC_PROTECTED, EXEC_STOP_ONLY, EXEC_CLOSED or
 * EXEC_UNPROTECTED. */
typedef struct exec_protect_spec {
    const char *symbol;
    direction dir;
    const char *qty;
    const char *sl_text, *tp_text; /* NULL when the leg cannot be priced: the stop then fails */
    int need_stop, need_tp;
    int64_t candle_ms;
    const char *prefix;
    char stop_leg, tp_leg, close_leg;
    const char *keep_stop_id, *keep_tp_id; /* legs already open on the exchange, NULL: none */
} exec_protect_spec;

exec_outcome exec_protect(const pl_env *env, const exec_protect_spec *spec, exec_report *out,
                          dstr *actions);

/* Closes a position of spec->symbol (side spec->dir, spec->qty unsigned)
 * reduce-only at market with the id of spec->close_leg at spec->candle_ms;
 * an unknown outcome is settled by one query of that id. 1 when all of it
 * is known filled (out->close set), else 0. action names the step in
 * actions ("closed" / "failed" with the detail) and, as "exec.<action>", the
 * log event (ERROR for "emergency_close", else WARN): exec_protect's
 * emergency close, and an operator's flatten ("flatten_close"). */
int exec_close_at_market(const pl_env *env, const exec_protect_spec *spec, const char *because,
                         const char *action, exec_report *out, dstr *actions);
/* The same for n positions (of different symbols): the closes in ONE
 * ex_place_orders batch, the unknown ones settled in ONE ex_query batch;
 * closed[i] and out[i] (its close) per specs[i]. */
void exec_close_at_market_batch(const pl_env *env, const exec_protect_spec *specs, size_t n,
                                const char *because, const char *action, exec_report *out,
                                int *closed, dstr *actions);

/* Logs event name (level a log_level) with "symbol" and "message". */
void exec_event(int level, const char *name, const char *symbol, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends one action object to actions (a comma first when it is not empty):
 * {"symbol", "action", "outcome", "detail"?}. */
void exec_action(dstr *actions, const char *symbol, const char *action, const char *outcome,
                 const char *detail);

#endif
