/* mem_exchange: an in-memory exchange behind the exchange table (test
 * double for the execution pipelines): one-way positions that MARKET and
 * reduce-only orders change at the mark price, LIMIT orders that rest (or
 * fill at once with fill_limits), algo legs (STOP_MARKET,
 * TAKE_PROFIT_MARKET, reduce-only, not linked: one firing leaves the
 * other) triggered by mx_set_mark(), the account set-up, queries and
 * cancels by client id, fills and funding income, and scripted faults per
 * operation: an error code (nothing done), or an unknown outcome that did
 * or did not land. It counts every request that would change the account
 * (writes), so a test can assert a dry run sent none.
 * No market data: a read asked for snapshots answers EX_UNAVAILABLE. */
#ifndef MEM_EXCHANGE_H
#define MEM_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "services/exchange.h"

#define MX_MAX_SYMBOLS 8
#define MX_MAX_ORDERS 64
#define MX_MAX_FILLS 64
#define MX_MAX_FAULTS 8

typedef enum mx_op {
    MX_PLACE_ORDER, /* ex_place_order, an element of ex_place_orders */
    MX_PLACE_STOP,  /* a STOP_MARKET element of ex_place_algo_orders */
    MX_PLACE_TP,    /* a TAKE_PROFIT_MARKET element */
    MX_CANCEL,      /* an element of ex_cancel */
    MX_QUERY,       /* an element of ex_query */
    MX_CONFIGURE,   /* an element of ex_configure */
    MX_READ,        /* ex_read: every account part fails */
    MX_OPS
} mx_op;

typedef struct mx_fault {
    ex_status status; /* EX_REJECTED (with code), EX_UNKNOWN, EX_TIMEOUT, ... */
    long code;
    int landed; /* EX_UNKNOWN / EX_TIMEOUT: the action was applied before the answer was lost */
} mx_fault;

typedef struct mx_symbol {
    char symbol[EX_SYMBOL_LEN];
    double mark;
    double amount, entry; /* the position: signed amount, average entry */
    symbol_rules rules;
    int leverage;
    ex_margin_type margin;
    int locked; /* margin type / leverage changes answer -4048 (open position elsewhere) */
} mx_symbol;

typedef struct mem_exchange {
    exchange ex; /* hand &m->ex to the code under test */
    mx_symbol sym[MX_MAX_SYMBOLS];
    size_t n_sym;
    int hedge_mode;
    double balance; /* USDT wallet */
    ex_order orders[MX_MAX_ORDERS];
    size_t n_orders;
    ex_algo_order algos[MX_MAX_ORDERS];
    size_t n_algos;
    ex_fill fills[MX_MAX_FILLS];
    size_t n_fills;
    ex_income income[MX_MAX_FILLS];
    size_t n_income;
    int64_t next_id, now_ms;
    int fill_limits;   /* LIMIT orders fill at once at their price */
    int writes;        /* requests that change something (orders, algo, cancel, set-up) */
    int entries;       /* non-reduce-only orders accepted */
    int calls[MX_OPS]; /* elements asked per operation */
    int order_batches; /* ex_place_orders calls (each one batch, however many orders) */
    int algo_batches;  /* ex_place_algo_orders calls */
    mx_fault faults[MX_OPS][MX_MAX_FAULTS];
    size_t n_faults[MX_OPS], next_fault[MX_OPS];
} mem_exchange;

/* Empty account: 10000 USDT, one-way, clock at 1.7e12. */
void mx_init(mem_exchange *m);
/* Adds a symbol (TRADING, tick 0.1, step 0.001, min qty 0.001, min notional
 * 5, leverage 5 ISOLATED) at mark; returns it. */
mx_symbol *mx_add_symbol(mem_exchange *m, const char *symbol, double mark);
mx_symbol *mx_find(mem_exchange *m, const char *symbol);
/* Queues a fault for the next element of op (FIFO); status EX_OK lets
 * that element pass (to fault a later one). */
void mx_fault_next(mem_exchange *m, mx_op op, ex_status status, long code, int landed);
/* Moves the mark price; legs whose trigger it reaches fire (reduce-only
 * market at the mark). */
void mx_set_mark(mem_exchange *m, const char *symbol, double mark);
/* A position or an order the bot did not make (as a person would). */
void mx_manual_position(mem_exchange *m, const char *symbol, double amount, double entry);
ex_order *mx_manual_order(mem_exchange *m, const char *symbol, const char *client_id, ex_side side,
                          double qty, double price);
/* Counts of the current state. */
size_t mx_open_algos(const mem_exchange *m, const char *symbol, ex_algo_type type);
size_t mx_open_orders(const mem_exchange *m, const char *symbol);
const ex_algo_order *mx_algo(const mem_exchange *m, const char *client_id); /* newest */
const ex_order *mx_order(const mem_exchange *m, const char *client_id);     /* newest */
/* Adds funding income for symbol. */
void mx_funding(mem_exchange *m, const char *symbol, double amount);

#endif
