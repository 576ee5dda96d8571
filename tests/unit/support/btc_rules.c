/* btc_rules: see btc_rules.h. */
#include "btc_rules.h"

symbol_rules btc_rules(void) {
    return (symbol_rules){.symbol = "BTCUSDT",
                          .status = "TRADING",
                          .tick = {0.1, 1},
                          .min_price = 100,
                          .max_price = 1000000,
                          .lot = {{0.001, 3}, 0.001, 1000},
                          .market_lot = {{0.001, 3}, 0.001, 120},
                          .min_notional = 100};
}
