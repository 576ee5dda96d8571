/* audit: what every decision, order and run record says about the code and
 * the configuration that made it (issue 9 item 9).
 *
 * Contract: pl_build_version() is the build's version (TRADER_BUILD_VERSION
 * when the build defines it, else "dev"), a journal tag (1-64 of
 * [A-Za-z0-9._:+-]). pl_config_hash() is the first 16 hex digits of the
 * SHA-256 of the effective configuration written as "NAME=value\n" lines in
 * a fixed order, secrets excluded (API keys and secret, TRADER_TOKEN, AWS
 * credentials, the Gemini key): two processes with the same settings give
 * the same hash, and rotating a key does not change it.
 *
 * pl_strategy_hash() is the same over the settings that change a trading
 * decision only (the strategy: what is traded, the decision thresholds and
 * the predictor, sizing, costs, the risk manager): it leaves out
 * EXECUTE_TRADES (the mode: a backtest runs the strategy with orders),
 * BINANCE_RECV_WINDOW_MS, ORDER_ID_PREFIX, FAPI_BASE and JOURNAL_URL (where
 * it trades and keeps records), and, as pl_config_hash, every key, token,
 * log setting and endpoint credential. It is what a backtest marked as a
 * probe vouches for (pipelines/probe.h). pl_config_each() hands each
 * setting of the hash to fn in that fixed order, with its value as text
 * (number: %.17g or a whole number) and whether it is part of the strategy:
 * the one list both hashes, the run's config.json and the README follow. */
#ifndef PL_AUDIT_H
#define PL_AUDIT_H

#include <stddef.h>

#include "platform/config.h"

#define PL_CONFIG_HASH_LEN 17 /* 16 hex digits and the NUL */

const char *pl_build_version(void);
/* out gets the hash (cap >= PL_CONFIG_HASH_LEN, else ""). */
void pl_config_hash(const cfg *c, char *out, size_t cap);
/* The canonical text the hash is taken over (for tests and operators). */
void pl_config_text(const cfg *c, dstr *out);

void pl_strategy_hash(const cfg *c, char *out, size_t cap);
void pl_strategy_text(const cfg *c, dstr *out);

typedef void (*pl_config_visit_fn)(void *ctx, const char *name, const char *value, int number,
                                   int strategy);
void pl_config_each(const cfg *c, pl_config_visit_fn fn, void *ctx);

#endif
