/* ro_exchange: a read-only in-memory exchange behind the exchange table
 * (mem_exchange.h is the stateful one that trades; this one serves fixed
 * account lists and records what a read-only pipeline asked)
 * (services/exchange.h) for pipeline tests: reads answer from lists the test
 * fills (borrowed; copied into each ex_account as the real client would
 * allocate them), a part can be made to fail, and every call is counted
 * and its arguments kept. Market data is not modelled (snapshots, candles
 * and the order book answer EX_UNAVAILABLE); writes (configure, orders,
 * algo orders, cancels) are counted and refused with EX_REJECTED, so a test
 * can prove a read-only pipeline wrote nothing.
 *
 * Per-symbol parts (open orders, open algo orders, symbol configs) return
 * only the entries of the symbols asked (all, when none are asked), as the
 * per-symbol requests would; positions and balances are account-wide. */
#ifndef RO_EXCHANGE_H
#define RO_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "services/exchange.h"

#define RO_EX_PARTS 9 /* one per EX_READ_* bit */
#define RO_EX_SYMBOLS_MAX 16

typedef struct ro_exchange {
    exchange ex; /* hand &m->ex to the code under test */
    /* the account (borrowed) */
    const ex_position *positions;
    size_t n_positions;
    const ex_order *orders;
    size_t n_orders;
    const ex_algo_order *algo_orders;
    size_t n_algo_orders;
    const ex_balance *balances;
    size_t n_balances;
    const ex_symbol_config *configs;
    size_t n_configs;
    int hedge_mode;
    /* fail[k] != EX_OK: the part of bit 1 << k fails with it, code and why */
    ex_status fail[RO_EX_PARTS];
    long fail_code[RO_EX_PARTS];
    const char *fail_why[RO_EX_PARTS];
    /* what was asked */
    int reads, writes, market_calls;
    unsigned last_parts;
    size_t last_n_symbols;
    char last_symbols[RO_EX_SYMBOLS_MAX][EX_SYMBOL_LEN];
    int64_t last_now_ms, last_deadline_ms;
} ro_exchange;

/* Zeroes m and sets its table; nothing to free (close does nothing). */
void ro_exchange_init(ro_exchange *m);
/* The index into fail[] of one EX_READ_* bit. */
int ro_exchange_part_index(unsigned part_bit);

#endif
