/* cfgfix: see cfgfix.h. */
#include "cfgfix.h"

#include <string.h>

cfg cfgfix_base(void) {
    static char *symbols[] = {"BTCUSDT", "ETHUSDT"};
    cfg c;
    memset(&c, 0, sizeof c);
    c.symbols[0] = symbols[0];
    c.symbols[1] = symbols[1];
    c.n_symbols = 2;
    c.risk_usdt = 100;
    c.leverage = 5;
    c.order_id_prefix = "atr";
    c.fapi_base = "https://fapi.binance.com";
    return c;
}
