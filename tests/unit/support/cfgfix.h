/* cfgfix: the small configuration the hash and gate tests start from
 * (BTCUSDT and ETHUSDT, RISK_USDT 100, LEVERAGE 5, ORDER_ID_PREFIX atr,
 * the production FAPI base; everything else zero), built by hand so a test
 * states only what it changes. */
#ifndef CFGFIX_H
#define CFGFIX_H

#include "platform/config.h"

cfg cfgfix_base(void);

#endif
