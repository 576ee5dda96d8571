/* btc_rules: a BTCUSDT-like symbol's exchange rules for the tests of the
 * code that sizes, checks and fills orders: tick 0.1, step 0.001 (market
 * max 120), min qty 0.001, max qty 1000, prices 100..1000000, min notional
 * 100. */
#ifndef BTC_RULES_H
#define BTC_RULES_H

#include "domain/symbol_rules.h"

symbol_rules btc_rules(void);

#endif
