/* symbol_rules: what the exchange allows for one symbol's orders (Binance
 * exchangeInfo: status, PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE,
 * MIN_NOTIONAL), as plain data, and the rounding every order goes through.
 *
 * Contract: pure (no I/O, no allocation). The services parse exchangeInfo
 * into a symbol_rules; domain code (sizing, the simulated exchange) only
 * reads it. Steps are kept as the exchange wrote them: a value and its
 * number of decimals (from the decimal string, "0.00100000" -> 3 significant
 * decimals), so an amount is a whole number of steps and is printed with
 * exactly the step's decimals (more digits would be -1111 BAD_PRECISION).
 * A field the exchange did not send is 0 (no limit), but tick_size and
 * step_size are required (a parser refuses a symbol without them). */
#ifndef SYMBOL_RULES_H
#define SYMBOL_RULES_H

#include <stddef.h>

#define SYMBOL_RULES_SYMBOL_LEN 24
#define SYMBOL_RULES_STATUS_LEN 24

typedef struct step_rule {
    double step;  /* > 0 */
    int decimals; /* digits after the point that the step needs: 0.001 -> 3, 10 -> 0 */
} step_rule;

typedef struct qty_rule {
    step_rule step;
    double min_qty, max_qty; /* 0: no limit */
} qty_rule;

typedef struct symbol_rules {
    char symbol[SYMBOL_RULES_SYMBOL_LEN];
    char status[SYMBOL_RULES_STATUS_LEN]; /* "TRADING", "SETTLING", "PENDING_TRADING", ... */
    step_rule tick;                       /* PRICE_FILTER.tickSize */
    double min_price, max_price;          /* PRICE_FILTER; 0: no limit */
    qty_rule lot;                         /* LOT_SIZE: LIMIT orders and algo legs */
    qty_rule market_lot;                  /* MARKET_LOT_SIZE (LOT_SIZE when absent) */
    double min_notional;                  /* MIN_NOTIONAL.notional; 0: none */
} symbol_rules;

/* ---- rounding and checks (symbol_rules.c) --------------------------------
 * Rounding works in whole steps with a tolerance of 1e-9 step, so a value
 * that is a whole number of steps in decimal (0.3 with step 0.1) is not
 * lost to binary rounding. A non-finite value or a step that is not > 0
 * gives NAN (the checks then refuse it). */

/* The largest whole number of steps <= value (quantities: never more than
 * what was sized), and the smallest >= value. */
double sr_round_down(double value, const step_rule *step);
double sr_round_up(double value, const step_rule *step);

/* price on the tick, rounded toward reference: down when the reference lies
 * below price, up when above, to the nearest tick when equal (NAN for a
 * non-finite reference). Stops and targets are rounded toward the entry, so
 * the loss never grows and the target stays reachable. */
double sr_price_toward(const symbol_rules *r, double price, double reference);

/* value printed with exactly the step's decimals ("%.*f"), no exponent:
 * what an order's quantity, price or triggerPrice field carries. Returns
 * the length, or -1 (buf "" when n > 0) for a non-finite or negative value
 * or a buffer too small. */
int sr_format(double value, const step_rule *step, char *buf, size_t n);

/* What an order is, for the checks: which rules apply to it. */
typedef enum sr_order_kind {
    SR_MARKET_ENTRY, /* status TRADING, MARKET_LOT_SIZE, min notional at price */
    SR_LIMIT_ENTRY,  /* status TRADING, LOT_SIZE, PRICE_FILTER, min notional */
    SR_EXIT_LEG,     /* reduce-only algo leg: LOT_SIZE, PRICE_FILTER on the trigger */
    SR_MARKET_EXIT   /* reduce-only market close: MARKET_LOT_SIZE */
} sr_order_kind;

typedef enum sr_status {
    SR_OK = 0,
    SR_NOT_TRADING, /* entry while status is not TRADING */
    SR_BAD_VALUE,   /* qty or price not finite and > 0 */
    SR_QTY_STEP,    /* not a whole number of steps */
    SR_QTY_MIN,
    SR_QTY_MAX,
    SR_PRICE_TICK, /* not a whole number of ticks */
    SR_PRICE_MIN,
    SR_PRICE_MAX,
    SR_MIN_NOTIONAL /* qty * price below MIN_NOTIONAL (reduce-only orders are exempt) */
} sr_status;

/* The rules the exchange would apply to one order of the given kind, the
 * first failing one returned and described in why (e.g. "qty 0.0004 < min
 * 0.001"; "" when SR_OK); why may be NULL. price is the order's price or
 * trigger, and for market orders the reference price the notional is
 * estimated at (not checked against PRICE_FILTER). Exits are not refused
 * for the status: a position must always be closable. */
sr_status sr_check_order(const symbol_rules *r, sr_order_kind kind, double qty, double price,
                         char *why, size_t n);

/* The quantity rule of an order kind (market_lot for market orders). */
const qty_rule *sr_qty_rule(const symbol_rules *r, sr_order_kind kind);

#endif
