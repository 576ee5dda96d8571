/* exchange: the market and the account the trader works on, behind one
 * table of functions (as store_ops is for stores), so Binance, a second
 * exchange, the backtest's simulated one or a test double plug in without
 * an `if`.
 *
 * Failures: every call returns an ex_status (EX_OK = 0) and appends one line
 * for people to a caller's dstr *err (NULL: not wanted); the structured part
 * a caller maps to an answer (the HTTP status and the exchange's own error
 * code) goes to an ex_error (NULL: not wanted). Batched calls give each
 * element its own ex_result instead.
 *
 * ex_snapshots(): the market snapshot of every symbol in ONE concurrent
 * batch bounded by deadline_ms: candles of every timeframe of marketdata.h
 * that closed before now_ms (the newest spec->bars each), the order book
 * (spec->depth levels a side) and the premium index. out[i] is always
 * filled: status EX_OK and snap, or the failure and why ("klines 1h:
 * timeout: ...", the first failed request, and how many others failed).
 *
 * Trading contract (the account and order calls):
 * - What is batched: ex_read() makes the market snapshots AND every account
 *   read the run needs (positions, open orders, open algo orders, balances,
 *   position mode, symbol configs, symbol rules, user trades, income) in ONE
 *   concurrent batch; ex_configure() sends every set-up write in one batch;
 *   ex_place_orders() sends N orders (the entries of several symbols, each
 *   independent of the others) in one batch; ex_place_algo_orders() sends N
 *   algo orders (the legs of every filled entry) in one batch; ex_query()
 *   and ex_cancel() take N references each. ex_place_order() is the batch
 *   of one. Within one symbol the steps stay in turn: an entry's fill
 *   decides what follows.
 * - EX_UNKNOWN means the request may have landed and nothing says whether
 *   it did: a timeout or the deadline after the request could have been
 *   sent, a connection lost mid-answer, 503 "Unknown error...", another 5xx
 *   on an order write, or the exchange's -1006/-1007 (and -1000). It is
 *   only ever returned by calls that change something (place, cancel,
 *   configure). The caller settles it by querying the client id (ex_query),
 *   and EX_NOT_FOUND from that query right after an unknown placement still
 *   means "unknown" (the order may not be visible yet). Every other failure
 *   of a write is a definite "not done" (EX_REJECTED with e.code, a
 *   connection that never opened, 429/418, 503 "Service Unavailable").
 * - Order-creating and order-cancelling requests (ex_place_order,
 *   ex_place_algo_orders, ex_cancel) are NEVER retried by the transport,
 *   whatever the outcome, except once after -1021 (timestamp outside the
 *   receive window: the exchange refused it unread; the client re-syncs its
 *   clock and sends it once more, signed anew). Reads and set-up writes
 *   (which are idempotent) may be retried under the client's policy.
 * - Benign answers are success: -4059 (position mode already so) and -4046
 *   (margin type already so) give EX_OK from ex_configure().
 * - Amounts sent are decimal strings already rounded to the symbol's rules
 *   (symbol_rules.h); amounts received keep the exchange's string next to
 *   the parsed double where a caller sends them back (quantities).
 * - Client ids follow ^[.A-Z:/a-z0-9_-]{1,36}$; a request with another id
 *   fails with EX_REJECTED without being sent.
 * - Times are unix epoch milliseconds; deadline_ms is absolute. */
#ifndef EXCHANGE_H
#define EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "domain/marketdata.h"
#include "domain/symbol_rules.h"

typedef enum ex_status {
    EX_OK = 0,
    EX_INVALID_SYMBOL, /* the exchange does not know the symbol */
    EX_REJECTED,       /* other refusal with an exchange error code */
    EX_RATE_LIMITED,   /* 429 after the retries */
    EX_BANNED,         /* 418, or a ban still running */
    EX_UNAVAILABLE,    /* 5xx after the retries, or no connection */
    EX_BAD_RESPONSE,   /* not JSON, truncated, or not the documented shape */
    EX_TIMEOUT,        /* a read got no answer within the timeout or the deadline */
    EX_UNKNOWN,        /* a write may have landed (see the contract above) */
    EX_NOT_FOUND       /* no such order (-2013 query, -2011 cancel) */
} ex_status;

typedef struct ex_error {
    ex_status status;
    long http_status; /* 0 when nothing answered */
    long code;        /* the exchange's own error code, 0 when none */
} ex_error;

typedef struct ex_snapshot_spec {
    int bars;  /* closed candles kept per timeframe */
    int depth; /* order-book levels a side */
} ex_snapshot_spec;

typedef struct ex_snapshot {
    snapshot snap;    /* valid when status is EX_OK; ex_snapshot_free() frees it */
    ex_status status; /* the first failed request's status */
    dstr why;         /* why it failed; empty when EX_OK */
} ex_snapshot;

/* ---- trading types ---------------------------------------------------------- */

#define EX_SYMBOL_LEN 24
#define EX_CLIENT_ID_LEN 37 /* 36 characters and the NUL */
#define EX_DECIMAL_LEN 40   /* a decimal string as the exchange writes it */
#define EX_ASSET_LEN 16
#define EX_NAME_LEN 32 /* a status, type or income type name */

typedef enum ex_side { EX_BUY, EX_SELL } ex_side;

/* The one result of one element of a batched call (why: one line for people). */
typedef struct ex_result {
    ex_status status;
    ex_error e;
    dstr why; /* empty when EX_OK; ex_result_free() */
} ex_result;

/* A position (/fapi/v3/positionRisk). amount is signed: > 0 long, < 0 short;
 * 0 when the symbol is listed only for its open orders. */
typedef struct ex_position {
    char symbol[EX_SYMBOL_LEN];
    char position_side[8];           /* "BOTH" in one-way mode */
    char amount_str[EX_DECIMAL_LEN]; /* positionAmt as sent, for a reduce-only close */
    double amount, entry_price, break_even_price, mark_price, unrealized_pnl;
    double liquidation_price; /* 0: none */
    double notional, isolated_margin, initial_margin, maint_margin;
    int64_t update_time;
} ex_position;

typedef enum ex_order_type { EX_MARKET, EX_LIMIT } ex_order_type;

typedef enum ex_order_status {
    EX_ORDER_NEW,
    EX_ORDER_PARTIALLY_FILLED,
    EX_ORDER_FILLED,
    EX_ORDER_CANCELED,
    EX_ORDER_REJECTED,
    EX_ORDER_EXPIRED, /* EXPIRED and EXPIRED_IN_MATCH */
    EX_ORDER_OTHER    /* a status this client does not know; status_name has it */
} ex_order_status;

/* An order of /fapi/v1/order (placed, queried, cancelled) or openOrders. */
typedef struct ex_order {
    char symbol[EX_SYMBOL_LEN];
    char client_id[EX_CLIENT_ID_LEN];
    int64_t order_id;
    ex_order_status status;
    char status_name[EX_NAME_LEN]; /* as sent: "FILLED", ... */
    ex_side side;
    char type[EX_NAME_LEN]; /* "MARKET", "LIMIT", ... as sent */
    int reduce_only;
    double price, avg_price; /* avg_price 0 until something filled */
    char orig_qty_str[EX_DECIMAL_LEN], executed_qty_str[EX_DECIMAL_LEN];
    double orig_qty, executed_qty, cum_quote;
    int64_t time, update_time; /* time 0 when the answer has none */
} ex_order;

typedef enum ex_algo_type { EX_STOP_MARKET, EX_TAKE_PROFIT_MARKET } ex_algo_type;

typedef enum ex_algo_status {
    EX_ALGO_NEW,        /* accepted, not yet triggered */
    EX_ALGO_TRIGGERING, /* condition met, being sent to the matching engine */
    EX_ALGO_TRIGGERED,  /* placed in the matching engine */
    EX_ALGO_FINISHED,   /* the triggered order filled or was cancelled */
    EX_ALGO_CANCELED,
    EX_ALGO_REJECTED,
    EX_ALGO_EXPIRED,
    EX_ALGO_OTHER /* a status this client does not know; status_name has it */
} ex_algo_status;

/* A conditional order (/fapi/v1/algoOrder, openAlgoOrders). A cancel's
 * answer carries only the ids: the other fields are then zero. */
typedef struct ex_algo_order {
    char symbol[EX_SYMBOL_LEN];
    char client_id[EX_CLIENT_ID_LEN]; /* clientAlgoId */
    int64_t algo_id;
    ex_algo_status status;
    char status_name[EX_NAME_LEN];
    char type[EX_NAME_LEN]; /* orderType: "STOP_MARKET", ... as sent */
    ex_side side;
    int reduce_only, close_position;
    double trigger_price;
    char quantity_str[EX_DECIMAL_LEN];
    double quantity;
    int mark_price;                 /* workingType MARK_PRICE (else CONTRACT_PRICE) */
    int64_t actual_order_id;        /* the order it became once triggered; 0 before */
    double executed_qty, avg_price; /* after triggering, when the exchange says */
    int64_t create_time, update_time, trigger_time;
} ex_algo_order;

/* One asset of the futures wallet (/fapi/v3/balance). */
typedef struct ex_balance {
    char asset[EX_ASSET_LEN];
    double balance; /* wallet balance */
    double cross_wallet_balance, cross_unrealized_pnl, available_balance, max_withdraw;
    int64_t update_time;
} ex_balance;

typedef enum ex_margin_type { EX_CROSSED, EX_ISOLATED } ex_margin_type;

/* A symbol's account settings (/fapi/v1/symbolConfig). */
typedef struct ex_symbol_config {
    char symbol[EX_SYMBOL_LEN];
    ex_margin_type margin_type;
    int auto_add_margin;
    int leverage;
    double max_notional;
} ex_symbol_config;

/* One fill of this account (/fapi/v1/userTrades). */
typedef struct ex_fill {
    char symbol[EX_SYMBOL_LEN];
    int64_t id, order_id;
    ex_side side;
    double price, qty, quote_qty, realized_pnl, commission;
    char commission_asset[EX_ASSET_LEN];
    int maker;
    int64_t time;
} ex_fill;

/* One income entry (/fapi/v1/income): REALIZED_PNL, COMMISSION, FUNDING_FEE,
 * TRANSFER, ... symbol "" when the entry has none. */
typedef struct ex_income {
    char symbol[EX_SYMBOL_LEN];
    char type[EX_NAME_LEN];
    double amount; /* signed: < 0 paid */
    char asset[EX_ASSET_LEN];
    int64_t time, tran_id;
    char trade_id[EX_NAME_LEN]; /* "" when none */
} ex_income;

/* One settled funding event of a symbol (/fapi/v1/fundingRate). */
typedef struct ex_funding {
    char symbol[EX_SYMBOL_LEN];
    int64_t time_ms; /* fundingTime */
    double rate;     /* > 0: longs pay shorts */
} ex_funding;

/* ---- reads: ONE batch for everything a run reads ------------------------------- */

/* "Per symbol": one request a symbol asked, or, with no symbols asked, one
 * request for the whole account (not for trades: they need a symbol). */
typedef enum ex_read_part {
    EX_READ_POSITIONS = 1 << 0,        /* every open position of the account */
    EX_READ_OPEN_ORDERS = 1 << 1,      /* per symbol */
    EX_READ_OPEN_ALGO_ORDERS = 1 << 2, /* per symbol */
    EX_READ_BALANCES = 1 << 3,         /* every asset */
    EX_READ_POSITION_MODE = 1 << 4,    /* account-wide */
    EX_READ_SYMBOL_CONFIGS = 1 << 5,   /* per symbol */
    EX_READ_RULES = 1 << 6,            /* exchangeInfo, kept for the symbols asked (all: none) */
    EX_READ_TRADES = 1 << 7,           /* per symbol, since since_ms */
    EX_READ_INCOME = 1 << 8,           /* all symbols, since since_ms */
    EX_READ_FUNDING = 1 << 9           /* per symbol, public: funding events since since_ms */
} ex_read_part;

typedef struct ex_read_spec {
    const char *const *symbols; /* the symbols of the per-symbol parts and of market */
    size_t n_symbols;
    const ex_snapshot_spec *market; /* NULL: no market data (snaps may be NULL) */
    unsigned parts;                 /* EX_READ_* bits */
    int64_t since_ms;               /* EX_READ_TRADES and EX_READ_INCOME */
} ex_read_spec;

/* What ex_read() found. A part not asked has asked == 0 and nothing else;
 * a part asked has its ex_result: EX_OK only when every request of that part
 * succeeded (a per-symbol part fails as a whole and its why names the
 * symbol), and then its list. Lists keep the exchange's order. */
typedef struct ex_part {
    int asked;
    ex_result r;
} ex_part;

typedef struct ex_account {
    ex_part positions_part;
    ex_position *positions;
    size_t n_positions;
    ex_part orders_part;
    ex_order *orders;
    size_t n_orders;
    ex_part algo_orders_part;
    ex_algo_order *algo_orders;
    size_t n_algo_orders;
    ex_part balances_part;
    ex_balance *balances;
    size_t n_balances;
    ex_part position_mode_part;
    int hedge_mode; /* dualSidePosition */
    ex_part configs_part;
    ex_symbol_config *configs;
    size_t n_configs;
    ex_part rules_part; /* a symbol the exchange does not list is absent */
    symbol_rules *rules;
    size_t n_rules;
    ex_part trades_part; /* at most 1000 per symbol and 7 days after since_ms */
    ex_fill *trades;
    size_t n_trades;
    int trades_truncated; /* a symbol's answer hit the limit */
    ex_part income_part;  /* at most 1000 */
    ex_income *income;
    size_t n_income;
    int income_truncated;
    ex_part funding_part; /* at most 1000 per symbol, oldest first */
    ex_funding *funding;
    size_t n_funding;
    int64_t read_ms; /* the now_ms of ex_read: no read of this account is older */
} ex_account;

/* ---- writes ---------------------------------------------------------------- */

/* Account set-up: one change each; ex_configure() sends them in one batch. */
typedef enum ex_setting { EX_SET_POSITION_MODE, EX_SET_MARGIN_TYPE, EX_SET_LEVERAGE } ex_setting;

typedef struct ex_setup {
    ex_setting what;
    char symbol[EX_SYMBOL_LEN]; /* unused for EX_SET_POSITION_MODE (account-wide) */
    int hedge_mode;             /* EX_SET_POSITION_MODE: 1 hedge, 0 one-way */
    ex_margin_type margin_type; /* EX_SET_MARGIN_TYPE */
    int leverage;               /* EX_SET_LEVERAGE */
} ex_setup;

/* An order on /fapi/v1/order, one-way mode (positionSide BOTH). MARKET is
 * sent with newOrderRespType=RESULT, so a filled answer carries avg_price
 * and executed_qty; LIMIT with price and time_in_force (GTC when empty). */
typedef struct ex_order_request {
    char symbol[EX_SYMBOL_LEN];
    ex_side side;
    ex_order_type type;
    char quantity[EX_DECIMAL_LEN]; /* rounded to the step */
    char price[EX_DECIMAL_LEN];    /* LIMIT only, rounded to the tick */
    char time_in_force[8];         /* LIMIT only; "" means GTC */
    int reduce_only;
    char client_id[EX_CLIENT_ID_LEN]; /* newClientOrderId, required */
} ex_order_request;

/* A conditional order on /fapi/v1/algoOrder: algoType CONDITIONAL, the
 * trigger on the mark price unless contract_price, a quantity (never
 * closePosition: a stale close-all leg can close a later position). */
typedef struct ex_algo_request {
    char symbol[EX_SYMBOL_LEN];
    ex_side side;
    ex_algo_type type;
    char trigger_price[EX_DECIMAL_LEN]; /* rounded to the tick */
    char quantity[EX_DECIMAL_LEN];      /* rounded to the step */
    int reduce_only;
    int contract_price; /* 0: workingType MARK_PRICE (what the bot uses) */
    int price_protect;
    char client_id[EX_CLIENT_ID_LEN]; /* clientAlgoId, required */
} ex_algo_request;

/* One order of ex_place_orders(). */
typedef struct ex_placed {
    ex_result r;
    ex_order order; /* valid when r.status is EX_OK (for MARKET: the final fill) */
} ex_placed;

typedef struct ex_algo_placed {
    ex_result r;
    ex_algo_order algo; /* valid when r.status is EX_OK */
} ex_algo_placed;

/* An order or an algo order, by its client id (ex_query, ex_cancel). */
typedef struct ex_order_ref {
    char symbol[EX_SYMBOL_LEN];
    char client_id[EX_CLIENT_ID_LEN];
    int algo; /* 0: /fapi/v1/order, 1: /fapi/v1/algoOrder */
} ex_order_ref;

typedef struct ex_lookup {
    ex_result r;        /* EX_NOT_FOUND: -2013 (query) / -2011 (cancel) */
    ex_order order;     /* ref.algo == 0, when r.status is EX_OK */
    ex_algo_order algo; /* ref.algo == 1, when r.status is EX_OK */
} ex_lookup;

typedef struct exchange exchange;

typedef struct exchange_ops {
    const char *name; /* "binance", "replay", ... */
    void (*snapshots)(exchange *ex, const char *const *symbols, size_t n,
                      const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                      ex_snapshot *out);
    /* The newest `limit` candles that closed before now_ms, oldest first. */
    ex_status (*candles)(exchange *ex, const char *symbol, const char *interval, int limit,
                         int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e, dstr *err);
    ex_status (*orderbook)(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                           order_book *out, ex_error *e, dstr *err);
    void (*close)(exchange *ex);
    /* ---- trading (see the contract above); NULL in a table without an account
     * (the ex_* wrappers then answer EX_UNAVAILABLE for every element) ---- */
    /* Market snapshots (snaps[i] per spec->symbols[i] when spec->market) and
     * the account parts of spec->parts, all in ONE concurrent batch. snaps
     * and acct are always filled; free with ex_snapshot_free, ex_account_free. */
    void (*read)(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
                 ex_snapshot *snaps, ex_account *acct);
    /* The set-up writes in one batch; out[i] for setups[i]. -4059 and -4046
     * are EX_OK; -4067/-4068/-4047/-4048 (open orders or positions) are
     * EX_REJECTED with that code. */
    void (*configure)(exchange *ex, const ex_setup *setups, size_t n, int64_t deadline_ms,
                      ex_result *out);
    /* One order; *out is its answer when EX_OK (for MARKET: the final fill). */
    ex_status (*place_order)(exchange *ex, const ex_order_request *req, int64_t deadline_ms,
                             ex_order *out, ex_error *e, dstr *err);
    /* N orders in one batch; out[i] for reqs[i]. NULL: ex_place_orders()
     * sends them one after the other through place_order. */
    void (*place_orders)(exchange *ex, const ex_order_request *reqs, size_t n, int64_t deadline_ms,
                         ex_placed *out);
    /* N conditional orders in one batch; out[i] for reqs[i]. */
    void (*place_algo_orders)(exchange *ex, const ex_algo_request *reqs, size_t n,
                              int64_t deadline_ms, ex_algo_placed *out);
    /* N lookups by client id in one batch; out[i] for refs[i]. */
    void (*query)(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                  ex_lookup *out);
    /* N cancels by client id in one batch; out[i] for refs[i] (an algo
     * cancel's answer carries only the ids). */
    void (*cancel)(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                   ex_lookup *out);
} exchange_ops;

struct exchange {
    const exchange_ops *ops;
    void *impl;
};

void ex_snapshots(exchange *ex, const char *const *symbols, size_t n, const ex_snapshot_spec *spec,
                  int64_t now_ms, int64_t deadline_ms, ex_snapshot *out);
ex_status ex_candles(exchange *ex, const char *symbol, const char *interval, int limit,
                     int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e, dstr *err);
ex_status ex_orderbook(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                       order_book *out, ex_error *e, dstr *err);
void ex_close(exchange *ex); /* NULL is fine */

void ex_read(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
             ex_snapshot *snaps, ex_account *acct);
void ex_configure(exchange *ex, const ex_setup *setups, size_t n, int64_t deadline_ms,
                  ex_result *out);
ex_status ex_place_order(exchange *ex, const ex_order_request *req, int64_t deadline_ms,
                         ex_order *out, ex_error *e, dstr *err);
void ex_place_orders(exchange *ex, const ex_order_request *reqs, size_t n, int64_t deadline_ms,
                     ex_placed *out);
/* ex_place_orders() for a table without place_orders: one ex_place_order()
 * after the other, each answer in out[i]. */
void ex_place_orders_each(exchange *ex, const ex_order_request *reqs, size_t n, int64_t deadline_ms,
                          ex_placed *out);
void ex_place_algo_orders(exchange *ex, const ex_algo_request *reqs, size_t n, int64_t deadline_ms,
                          ex_algo_placed *out);
void ex_query(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
              ex_lookup *out);
void ex_cancel(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
               ex_lookup *out);

void ex_result_free(ex_result *r);
void ex_account_free(ex_account *a); /* frees the lists and every part's why; zeroes it */
void ex_algo_placed_free(ex_algo_placed *p);
void ex_placed_free(ex_placed *p);
void ex_lookup_free(ex_lookup *l);
/* Sets r (already zeroed or freed) to a failure with its why line. */
void ex_result_fail(ex_result *r, ex_status st, long http_status, long code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Finds a symbol's entry in a read's lists, NULL when absent. */
const symbol_rules *ex_account_rules(const ex_account *a, const char *symbol);
const ex_symbol_config *ex_account_config(const ex_account *a, const char *symbol);
const ex_position *ex_account_position(const ex_account *a, const char *symbol);
/* A client id the exchange accepts: ^[.A-Z:/a-z0-9_-]{1,36}$. */
int ex_valid_client_id(const char *id);

const char *ex_side_name(ex_side s);               /* "BUY", "SELL" */
const char *ex_algo_type_name(ex_algo_type t);     /* "STOP_MARKET", "TAKE_PROFIT_MARKET" */
const char *ex_margin_type_name(ex_margin_type t); /* "CROSSED", "ISOLATED" */
/* Binance's names of the statuses: "NEW", "PARTIALLY_FILLED", ... and "NEW",
 * "TRIGGERING", ...; "OTHER" for EX_*_OTHER and values out of range. */
const char *ex_order_status_name(ex_order_status s);
const char *ex_algo_status_name(ex_algo_status s);
/* Sets a status and its name (for exchanges made in memory). */
void ex_order_set_status(ex_order *o, ex_order_status s);
void ex_algo_set_status(ex_algo_order *a, ex_algo_status s);

void ex_snapshot_free(ex_snapshot *s);
/* "ok", "invalid_symbol", "rejected", "rate_limited", "banned", "unavailable",
 * "bad_response", "timeout", "outcome_unknown", "not_found"; "unknown" for a
 * value out of range. */
const char *ex_status_name(ex_status s);

#endif
