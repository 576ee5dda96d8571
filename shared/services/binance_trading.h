/* binance_trading: the account and order endpoints of Binance USD-M futures
 * as prepare/parse pairs, like binance.h's market data.
 *
 * A *_prepare() fills a bn_call (binance_signed.h: method, path, unsigned
 * parameters); bn_signed_run() signs and sends it, batched with others; the
 * *_parse() turns its finished request into the typed data of exchange.h.
 * exchangeInfo is public: a plain http_request. Parsers validate the
 * documented shape (amounts are decimal strings, ids whole numbers, names
 * from the documented sets where the bot acts on them); a body that is not
 * that shape is EX_BAD_RESPONSE for a read and EX_UNKNOWN for a write that
 * Binance accepted (it was done; the caller learns what by a query).
 * Failures follow binance.h (status, one line in err, ex_error); a parse
 * that fails leaves its outputs empty and appends nothing to a list.
 * List parsers APPEND to (*v, *n), so per-symbol answers merge into one list.
 *
 * Prepares that take a request validate it first: 0, or -1 with the reason
 * appended to why and nothing prepared (a symbol that is not 2-20 uppercase
 * letters or digits, a client id outside ^[.A-Z:/a-z0-9_-]{1,36}$, an amount
 * that is not a plain positive decimal). */
#ifndef BINANCE_TRADING_H
#define BINANCE_TRADING_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "platform/http.h"
#include "domain/symbol_rules.h"
#include "services/binance.h"
#include "services/binance_signed.h"
#include "services/exchange.h"

#define BN_LIST_LIMIT 1000 /* rows asked of userTrades and income */

/* 1 when s is a plain positive decimal ("12", "0.001"): what an amount sent must be. */
int bn_valid_amount(const char *s);
/* Digits after the point a step needs: "0.00100000" -> 3, "10" -> 0; -1 when not a decimal. */
int bn_step_decimals(const char *s);

/* GET /fapi/v1/exchangeInfo: the rules of the symbols asked (n 0: every
 * symbol); a symbol the answer lacks is absent from the list. A kept symbol
 * without PRICE_FILTER.tickSize or LOT_SIZE.stepSize, or listed twice, is a
 * bad response. MARKET_LOT_SIZE falls back to LOT_SIZE. */
void bn_exchange_info_prepare(const bn_client *bn, http_request *r);
ex_status bn_exchange_info_parse(http_request *r, const char *const *symbols, size_t n,
                                 symbol_rules **v, size_t *nv, ex_error *e, dstr *err);
/* The same rules from an exchangeInfo body held in memory (a saved copy,
 * read by the simulated exchange): 0, or -1 with one line in err and
 * nothing kept (*v NULL). */
int bn_exchange_info_rules(const char *text, size_t len, const char *const *symbols, size_t n,
                           symbol_rules **v, size_t *nv, dstr *err);

/* GET/POST /fapi/v1/positionSide/dual. */
void bn_position_mode_prepare(bn_call *c);
ex_status bn_position_mode_parse(http_request *r, int *hedge, ex_error *e, dstr *err);
void bn_set_position_mode_prepare(bn_call *c, int hedge);
/* POST /fapi/v1/marginType, /fapi/v1/leverage. */
int bn_set_margin_type_prepare(bn_call *c, const char *symbol, ex_margin_type t, dstr *why);
int bn_set_leverage_prepare(bn_call *c, const char *symbol, int leverage, dstr *why);
/* Any set-up write's answer: EX_OK for a 2xx object and for the benign
 * "no need to change" codes -4059 and -4046 (nothing appended to err). */
ex_status bn_setup_parse(http_request *r, ex_error *e, dstr *err);

/* GET /fapi/v1/symbolConfig (symbol NULL: all). */
int bn_symbol_config_prepare(bn_call *c, const char *symbol, dstr *why);
ex_status bn_symbol_config_parse(http_request *r, ex_symbol_config **v, size_t *n, ex_error *e,
                                 dstr *err);
/* GET /fapi/v3/balance. */
void bn_balance_prepare(bn_call *c);
ex_status bn_balance_parse(http_request *r, ex_balance **v, size_t *n, ex_error *e, dstr *err);
/* GET /fapi/v3/positionRisk (every symbol). */
void bn_position_risk_prepare(bn_call *c);
ex_status bn_position_risk_parse(http_request *r, ex_position **v, size_t *n, ex_error *e,
                                 dstr *err);
/* GET /fapi/v1/openOrders (symbol NULL: all). */
int bn_open_orders_prepare(bn_call *c, const char *symbol, dstr *why);
ex_status bn_open_orders_parse(http_request *r, ex_order **v, size_t *n, ex_error *e, dstr *err);

/* POST /fapi/v1/order (newOrderRespType=RESULT); GET and DELETE by
 * origClientOrderId. One parser for the three answers (kind: BN_WRITE for
 * POST and DELETE, BN_LOOKUP for GET). */
int bn_order_prepare(bn_call *c, const ex_order_request *q, dstr *why);
int bn_order_ref_prepare(bn_call *c, const char *method, const char *symbol, const char *client_id,
                         dstr *why);
ex_status bn_order_parse(http_request *r, bn_kind kind, ex_order *out, ex_error *e, dstr *err);

/* POST /fapi/v1/algoOrder (algoType CONDITIONAL); GET and DELETE by
 * clientAlgoId; GET /fapi/v1/openAlgoOrders (symbol NULL: all). A DELETE's
 * answer carries the ids only: bn_algo_cancel_parse. */
int bn_algo_prepare(bn_call *c, const ex_algo_request *q, dstr *why);
int bn_algo_ref_prepare(bn_call *c, const char *method, const char *client_id, dstr *why);
ex_status bn_algo_parse(http_request *r, bn_kind kind, ex_algo_order *out, ex_error *e, dstr *err);
ex_status bn_algo_cancel_parse(http_request *r, ex_algo_order *out, ex_error *e, dstr *err);
int bn_open_algo_orders_prepare(bn_call *c, const char *symbol, dstr *why);
ex_status bn_open_algo_orders_parse(http_request *r, ex_algo_order **v, size_t *n, ex_error *e,
                                    dstr *err);

/* GET /fapi/v1/userTrades (a symbol, since since_ms, BN_LIST_LIMIT rows);
 * GET /fapi/v1/income (every symbol and type, since since_ms). *full is set
 * when the answer had BN_LIST_LIMIT rows (there may be more). */
int bn_user_trades_prepare(bn_call *c, const char *symbol, int64_t since_ms, dstr *why);
ex_status bn_user_trades_parse(http_request *r, ex_fill **v, size_t *n, int *full, ex_error *e,
                               dstr *err);
void bn_income_prepare(bn_call *c, int64_t since_ms);
ex_status bn_income_parse(http_request *r, ex_income **v, size_t *n, int *full, ex_error *e,
                          dstr *err);

#endif
