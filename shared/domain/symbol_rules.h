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

#endif
