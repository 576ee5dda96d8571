/* sim_exchange: the simulated exchange through the exchange table, on
 * scripted 5m price paths, every figure computed by hand (below each test).
 *
 * The account: 10000 USDT, FEE_TAKER 0.0005, FEE_MAKER 0.0002,
 * SLIPPAGE_BPS 5, maintenance rate 0.004, leverage 5 ISOLATED; BTCUSDT with
 * tick 0.1, step 0.001, min notional 100. The clock starts at T0 =
 * 2026-01-01 00:00 UTC (a funding boundary); candle i opens at T0 + 5 min i.
 * After the first candle closed the price now is the next one's open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc_rules.h"
#include "services/exchange.h"
#include "services/history.h"
#include "services/sim_exchange.h"

#define T0 1767225600000LL
#define M5 300000LL
#define M1 60000LL
#define H8 (8LL * 3600 * 1000)
#define CENT_EXACT 1e-7 /* booked amounts are exact to 1e-8 */

typedef struct ohlc {
    double o, h, l, c;
} ohlc;

static sim_config base_config(void) {
    return (sim_config){.balance = 10000,
                        .fee_taker = 0.0005,
                        .fee_maker = 0.0002,
                        .slippage_bps = 5,
                        .maint_margin_rate = 0.004,
                        .leverage = 5,
                        .margin_type = EX_ISOLATED,
                        .start_ms = T0};
}

static void add_series(sim_exchange *s, int64_t start, int64_t ms, const ohlc *k, size_t n) {
    candles c = {.v = calloc(n, sizeof(candle)), .n = n};
    assert_non_null(c.v);
    for (size_t i = 0; i < n; i++)
        c.v[i] = (candle){.open_time = start + (int64_t)i * ms,
                          .close_time = start + (int64_t)(i + 1) * ms - 1,
                          .open = k[i].o,
                          .high = k[i].h,
                          .low = k[i].l,
                          .close = k[i].c,
                          .volume = 1};
    assert_int_equal(sim_set_candles(s, "BTCUSDT", ms, &c, NULL), 0);
    assert_null(c.v);
}

static sim_exchange *sim_with(const sim_config *cfg, const ohlc *path, size_t n) {
    sim_exchange *s = sim_exchange_new(cfg);
    symbol_rules r = btc_rules();
    assert_int_equal(sim_add_symbol(s, &r, NULL), 0);
    add_series(s, T0, M5, path, n);
    return s;
}

static ex_status market(sim_exchange *s, ex_side side, const char *qty, int reduce, const char *cid,
                        ex_order *out);

/* cfg's account on path, long qty bought at the second candle's open
 * (100000 + 5 bps = 100050 on every path here). */
static sim_exchange *opened_long(const sim_config *cfg, const ohlc *path, size_t n,
                                 const char *qty) {
    sim_exchange *s = sim_with(cfg, path, n);
    sim_advance(s, T0 + M5);
    ex_order o;
    assert_int_equal(market(s, EX_BUY, qty, 0, "E", &o), EX_OK);
    assert_true(fabs(o.avg_price - 100050) < 1e-9);
    return s;
}

static ex_status order(sim_exchange *s, ex_side side, ex_order_type type, const char *qty,
                       const char *price, int reduce, const char *cid, ex_order *out, ex_error *e,
                       dstr *err) {
    ex_order_request rq = {.side = side, .type = type, .reduce_only = reduce};
    snprintf(rq.symbol, sizeof rq.symbol, "BTCUSDT");
    snprintf(rq.quantity, sizeof rq.quantity, "%s", qty);
    snprintf(rq.price, sizeof rq.price, "%s", price ? price : "");
    snprintf(rq.client_id, sizeof rq.client_id, "%s", cid);
    return ex_place_order(sim_exchange_table(s), &rq, 0, out, e, err);
}

static ex_status market(sim_exchange *s, ex_side side, const char *qty, int reduce, const char *cid,
                        ex_order *out) {
    ex_error e = {0};
    return order(s, side, EX_MARKET, qty, NULL, reduce, cid, out, &e, NULL);
}

/* Places one algo leg; returns its status, the answer in *out. */
static ex_status leg(sim_exchange *s, ex_algo_type type, ex_side side, const char *trigger,
                     const char *qty, const char *cid, ex_algo_placed *out) {
    ex_algo_request rq = {.side = side, .type = type, .reduce_only = 1};
    snprintf(rq.symbol, sizeof rq.symbol, "BTCUSDT");
    snprintf(rq.trigger_price, sizeof rq.trigger_price, "%s", trigger);
    snprintf(rq.quantity, sizeof rq.quantity, "%s", qty);
    snprintf(rq.client_id, sizeof rq.client_id, "%s", cid);
    ex_place_algo_orders(sim_exchange_table(s), &rq, 1, 0, out);
    return out->r.status;
}

/* The bracket of a long 0.010: stop "S" at 99000, take-profit "T" at 101000. */
static ex_algo_order bracket(sim_exchange *s) {
    ex_algo_placed sl, tp;
    assert_int_equal(leg(s, EX_STOP_MARKET, EX_SELL, "99000.0", "0.010", "S", &sl), EX_OK);
    assert_int_equal(leg(s, EX_TAKE_PROFIT_MARKET, EX_SELL, "101000", "0.010", "T", &tp), EX_OK);
    assert_int_equal(sl.algo.status, EX_ALGO_NEW);
    assert_int_equal(sl.algo.mark_price, 1);
    return sl.algo;
}

static ex_lookup query(sim_exchange *s, const char *cid, int algo) {
    ex_order_ref ref = {.algo = algo};
    snprintf(ref.symbol, sizeof ref.symbol, "BTCUSDT");
    snprintf(ref.client_id, sizeof ref.client_id, "%s", cid);
    ex_lookup l;
    ex_query(sim_exchange_table(s), &ref, 1, 0, &l);
    return l;
}

static void read_all(sim_exchange *s, int64_t since, ex_account *a) {
    static const char *const syms[] = {"BTCUSDT"};
    ex_read_spec spec = {.symbols = syms,
                         .n_symbols = 1,
                         .parts = EX_READ_POSITIONS | EX_READ_OPEN_ORDERS |
                                  EX_READ_OPEN_ALGO_ORDERS | EX_READ_BALANCES |
                                  EX_READ_POSITION_MODE | EX_READ_SYMBOL_CONFIGS | EX_READ_RULES |
                                  EX_READ_TRADES | EX_READ_INCOME,
                         .since_ms = since};
    ex_read(sim_exchange_table(s), &spec, sim_now(s), 0, NULL, a);
}

static double wallet(sim_exchange *s) {
    ex_account a;
    read_all(s, T0, &a);
    assert_int_equal(a.balances_part.r.status, EX_OK);
    double w = a.balances[0].balance;
    ex_account_free(&a);
    return w;
}

static double position(sim_exchange *s) {
    ex_account a;
    read_all(s, T0, &a);
    const ex_position *p = ex_account_position(&a, "BTCUSDT");
    double amt = p ? p->amount : 0;
    ex_account_free(&a);
    return amt;
}

/* End balance = start + realised PnL - fees + funding (+ insurance clear),
 * from the income the trader reads, and from the report. */
static void assert_identity(sim_exchange *s) {
    ex_account a;
    read_all(s, T0, &a);
    double sum = 0;
    for (size_t i = 0; i < a.n_income; i++) sum += a.income[i].amount;
    double fills_pnl = 0, fills_fee = 0;
    for (size_t i = 0; i < a.n_trades; i++) {
        fills_pnl += a.trades[i].realized_pnl;
        fills_fee += a.trades[i].commission;
    }
    sim_report r;
    sim_report_make(s, &r);
    assert_true(fabs(a.balances[0].balance - (10000 + sum)) < CENT_EXACT);
    assert_true(fabs(r.wallet - (r.start_balance + r.realized_pnl - r.commission + r.funding +
                                 r.insurance_clear)) < CENT_EXACT);
    assert_true(fabs(r.realized_pnl - fills_pnl) < CENT_EXACT);
    assert_true(fabs(r.commission - fills_fee) < CENT_EXACT);
    sim_report_free(&r);
    ex_account_free(&a);
}

/* Flat candles at p. */
static void flat(ohlc *k, size_t n, double p) {
    for (size_t i = 0; i < n; i++) k[i] = (ohlc){p, p, p, p};
}

/* ---- fills, fees, PnL ------------------------------------------------------------------ */

/* BUY 0.010 MARKET at the open 100000 + 5 bps = 100050, fee 0.50025;
 * SELL 0.010 reduce-only at the next open 101000 - 5 bps = 100949.5, fee
 * 0.5047475, PnL 0.01 * 899.5 = 8.995. Wallet 10000 - 0.50025 + 8.995 -
 * 0.5047475 = 10007.9900025. */
static void test_market_round_trip(void **state) {
    (void)state;
    ohlc path[] = {{100000, 100100, 99900, 100000},
                   {100000, 101000, 99500, 101000},
                   {101000, 101200, 100800, 101100}};
    sim_config cfg = base_config();
    sim_exchange *s = sim_with(&cfg, path, 3);
    ex_order o;
    sim_advance(s, T0 + M5);
    assert_true(sim_price(s, "BTCUSDT") == 100000);
    assert_int_equal(market(s, EX_BUY, "0.010", 0, "atr-BTCUSDT-a-E", &o), EX_OK);
    assert_int_equal(o.status, EX_ORDER_FILLED);
    assert_string_equal(o.status_name, "FILLED");
    assert_true(fabs(o.avg_price - 100050) < 1e-9);
    assert_string_equal(o.executed_qty_str, "0.010");
    assert_string_equal(o.client_id, "atr-BTCUSDT-a-E");
    assert_true(fabs(wallet(s) - 9999.49975) < CENT_EXACT);
    assert_true(fabs(position(s) - 0.01) < 1e-12);
    sim_advance(s, T0 + 2 * M5);
    assert_int_equal(market(s, EX_SELL, "0.010", 1, "atr-BTCUSDT-a-C", &o), EX_OK);
    assert_true(fabs(o.avg_price - 100949.5) < 1e-9);
    assert_true(fabs(wallet(s) - 10007.9900025) < CENT_EXACT);
    assert_true(position(s) == 0);

    ex_account a;
    read_all(s, T0, &a);
    assert_int_equal(a.n_trades, 2);
    assert_true(a.trades[0].side == EX_BUY && a.trades[0].realized_pnl == 0);
    assert_true(fabs(a.trades[0].commission - 0.50025) < CENT_EXACT);
    assert_true(fabs(a.trades[1].realized_pnl - 8.995) < CENT_EXACT);
    assert_true(fabs(a.trades[1].commission - 0.5047475) < CENT_EXACT);
    assert_string_equal(a.trades[1].commission_asset, "USDT");
    assert_int_equal(a.trades[1].maker, 0);
    assert_int_equal(a.trades[1].order_id, o.order_id);
    assert_int_equal(a.n_income, 3); /* COMMISSION, REALIZED_PNL, COMMISSION */
    assert_string_equal(a.income[0].type, "COMMISSION");
    assert_string_equal(a.income[1].type, "REALIZED_PNL");
    assert_string_equal(a.income[2].type, "COMMISSION");
    /* trades since the second fill only */
    int64_t second = a.trades[1].time;
    ex_account_free(&a);
    read_all(s, second, &a);
    assert_int_equal(a.n_trades, 1);
    ex_account_free(&a);
    assert_identity(s);
    sim_exchange_free(s);
}

/* A resting BUY LIMIT at 99500 fills at its price when the low reaches it,
 * maker fee 0.01 * 99500 * 0.0002 = 0.199; one at 99000 when the next
 * candle gaps down to open at 98800 fills at the better open: 98800, fee
 * 0.197600. A marketable BUY LIMIT at 100100 fills at once at
 * min(100000 + 5 bps, 100100) = 100050 as taker. */
static void test_limit_fills(void **state) {
    (void)state;
    ohlc path[] = {{100000, 100000, 100000, 100000},
                   {100000, 100200, 99400, 99800},
                   {98800, 99000, 98700, 98900},
                   {98900, 98900, 98900, 98900}};
    sim_config cfg = base_config();
    sim_exchange *s = sim_with(&cfg, path, 4);
    sim_advance(s, T0 + M5);
    ex_order o;
    ex_error e = {0};
    assert_int_equal(order(s, EX_BUY, EX_LIMIT, "0.010", "99500.0", 0, "L1", &o, &e, NULL), EX_OK);
    assert_int_equal(o.status, EX_ORDER_NEW);
    assert_int_equal(order(s, EX_BUY, EX_LIMIT, "0.010", "99000", 0, "L2", &o, &e, NULL), EX_OK);
    ex_account a;
    read_all(s, T0, &a);
    assert_int_equal(a.n_orders, 2);
    /* the resting orders hold margin: 0.01 * (99500 + 99000) / 5 = 397 */
    assert_true(fabs(a.balances[0].available_balance - (10000 - 397)) < CENT_EXACT);
    ex_account_free(&a);
    sim_advance(s, T0 + 2 * M5 - 1); /* the second candle still forming */
    ex_lookup l = query(s, "L1", 0);
    assert_int_equal(l.order.status, EX_ORDER_NEW);
    ex_lookup_free(&l);
    /* its low 99400 reaches 99500; and the jump from its close 99800 to the
     * third candle's open 98800 is seen as soon as the clock reaches that
     * open (not when that candle closes): a run then finds L2 filled */
    sim_advance(s, T0 + 2 * M5);
    l = query(s, "L1", 0);
    assert_int_equal(l.r.status, EX_OK);
    assert_int_equal(l.order.status, EX_ORDER_FILLED);
    assert_true(l.order.avg_price == 99500);
    ex_lookup_free(&l);
    l = query(s, "L2", 0);
    assert_int_equal(l.order.status, EX_ORDER_FILLED);
    assert_true(l.order.avg_price == 98800);
    assert_true(l.order.update_time == T0 + 2 * M5);
    ex_lookup_free(&l);
    sim_advance(s, T0 + 3 * M5); /* the price now: the fourth candle's open, 98900 */
    read_all(s, T0, &a);
    assert_int_equal(a.n_trades, 2);
    assert_int_equal(a.trades[0].maker, 1);
    assert_true(fabs(a.trades[0].commission - 0.199) < CENT_EXACT);
    assert_true(fabs(a.trades[1].commission - 0.1976) < CENT_EXACT);
    const ex_position *p = ex_account_position(&a, "BTCUSDT");
    assert_non_null(p);
    assert_string_equal(p->amount_str, "0.020");
    assert_true(fabs(p->entry_price - 99150) < 1e-9);
    ex_account_free(&a);
    /* marketable: fills at once, taker */
    assert_int_equal(order(s, EX_SELL, EX_LIMIT, "0.020", "98000", 1, "L3", &o, &e, NULL), EX_OK);
    assert_int_equal(o.status, EX_ORDER_FILLED);
    /* 98900 - 5 bps = 98850.55, above the limit 98000 */
    assert_true(fabs(o.avg_price - 98850.55) < 1e-9);
    assert_true(position(s) == 0);
    assert_identity(s);
    sim_exchange_free(s);
}

/* ---- the bracket legs ------------------------------------------------------------------ */

/* Long 0.010 at 100050 (fee 0.50025), stop 99000 and take-profit 101000
 * both inside the next candle (low 98500, high 101500): the stop is taken
 * first, at 99000 - 5 bps = 98950.5: PnL 0.01 * -1099.5 = -10.995, fee
 * 0.4947525; the take-profit then triggers with nothing left to reduce and
 * fills nothing. Wallet 10000 - 0.50025 - 10.995 - 0.4947525 = 9988.0099975. */
static void test_stop_first_within_a_candle(void **state) {
    (void)state;
    ohlc path[] = {{100000, 100000, 100000, 100000},
                   {100000, 101500, 98500, 100500},
                   {100500, 100500, 100500, 100500}};
    sim_config cfg = base_config();
    sim_exchange *s = opened_long(&cfg, path, 3, "0.010");
    bracket(s);
    sim_advance(s, T0 + 2 * M5);
    ex_lookup ls = query(s, "S", 1), lt = query(s, "T", 1);
    assert_int_equal(ls.algo.status, EX_ALGO_FINISHED);
    assert_true(fabs(ls.algo.avg_price - 98950.5) < 1e-9);
    assert_true(ls.algo.executed_qty == 0.01);
    assert_true(ls.algo.actual_order_id > 0);
    assert_int_equal(lt.algo.status, EX_ALGO_FINISHED);
    assert_true(lt.algo.executed_qty == 0);
    assert_true(position(s) == 0);
    assert_true(fabs(wallet(s) - 9988.0099975) < CENT_EXACT);
    ex_account a;
    read_all(s, T0, &a);
    assert_int_equal(a.n_trades, 2);
    assert_int_equal(a.trades[1].order_id, ls.algo.actual_order_id); /* reconcile maps by it */
    assert_true(fabs(a.trades[1].realized_pnl + 10.995) < CENT_EXACT);
    assert_int_equal(a.n_algo_orders, 0);
    ex_account_free(&a);
    ex_lookup_free(&ls);
    ex_lookup_free(&lt);
    assert_identity(s);
    sim_exchange_free(s);
}

/* The same bracket, and 1m candles that tile the second 5m candle: the
 * high (101500) comes first, so the take-profit settles the trade at
 * 101000 - 5 bps = 100949.5: PnL 8.995, fee 0.5047475; the stop, reached
 * later, has nothing to reduce. Wallet 10000 - 0.50025 + 8.995 - 0.5047475. */
static void test_finer_candles_settle(void **state) {
    (void)state;
    ohlc path[] = {{100000, 100000, 100000, 100000},
                   {100000, 101500, 98500, 100500},
                   {100500, 100500, 100500, 100500}};
    ohlc minutes[] = {{100000, 101500, 100000, 101200},
                      {101200, 101200, 100000, 100100},
                      {100100, 100100, 98500, 99000},
                      {99000, 100000, 99000, 100000},
                      {100000, 100500, 100000, 100500}};
    sim_config cfg = base_config();
    sim_exchange *s = opened_long(&cfg, path, 3, "0.010");
    add_series(s, T0 + M5, M1, minutes, 5);
    bracket(s);
    sim_advance(s, T0 + 2 * M5);
    ex_lookup ls = query(s, "S", 1), lt = query(s, "T", 1);
    assert_true(fabs(lt.algo.avg_price - 100949.5) < 1e-9);
    assert_true(lt.algo.executed_qty == 0.01);
    assert_true(ls.algo.executed_qty == 0);
    assert_true(fabs(wallet(s) - 10007.9900025) < CENT_EXACT);
    ex_lookup_free(&ls);
    ex_lookup_free(&lt);
    assert_identity(s);
    sim_exchange_free(s);
}

/* The legs are not linked: the take-profit fires (high 101500, low 99500
 * above the stop), the stop stays open until someone cancels it; a cancel
 * answers the ids, a second cancel -2011. */
static void test_unlinked_legs(void **state) {
    (void)state;
    ohlc path[] = {{100000, 100000, 100000, 100000},
                   {100000, 101500, 99500, 101200},
                   {101200, 101200, 101200, 101200}};
    sim_config cfg = base_config();
    sim_exchange *s = opened_long(&cfg, path, 3, "0.010");
    ex_algo_order sl = bracket(s);
    sim_advance(s, T0 + 2 * M5);
    assert_true(position(s) == 0);
    ex_account a;
    read_all(s, T0, &a);
    assert_int_equal(a.n_algo_orders, 1);
    assert_string_equal(a.algo_orders[0].client_id, "S");
    assert_string_equal(a.algo_orders[0].type, "STOP_MARKET");
    ex_account_free(&a);
    ex_order_ref ref = {.symbol = "BTCUSDT", .client_id = "S", .algo = 1};
    ex_lookup l;
    ex_cancel(sim_exchange_table(s), &ref, 1, 0, &l);
    assert_int_equal(l.r.status, EX_OK);
    assert_int_equal(l.algo.algo_id, sl.algo_id);
    assert_true(l.algo.trigger_price == 0); /* ids only */
    ex_lookup_free(&l);
    ex_cancel(sim_exchange_table(s), &ref, 1, 0, &l);
    assert_int_equal(l.r.status, EX_NOT_FOUND);
    assert_int_equal(l.r.e.code, -2011);
    ex_lookup_free(&l);
    assert_identity(s);
    sim_exchange_free(s);
}

/* The mirror for a SHORT 0.010 sold at 100000 - 5 bps = 99950 (fee
 * 0.49975): stop BUY 101000 and take-profit BUY 99000 both inside the next
 * candle: the high comes first, the stop fills at 101000 + 5 bps =
 * 101050.5: PnL 0.01 * (99950 - 101050.5) = -11.005, fee 0.5052525.
 * Wallet 10000 - 0.49975 - 11.005 - 0.5052525 = 9987.9899975. Then a new
 * short and a path up to 120000: ISOLATED margin 199.9, liquidation at
 * (999.5 + 199.9) / (0.01 * 1.004) = 119462.15...: the wallet loses the
 * 199.9 and the entry fee 0.49975. */
static void test_short_side(void **state) {
    (void)state;
    ohlc path[] = {{100000, 100000, 100000, 100000},
                   {100000, 101500, 98500, 100000},
                   {100000, 100000, 100000, 100000},
                   {100000, 120000, 100000, 115000},
                   {115000, 115000, 115000, 115000}};
    sim_config cfg = base_config();
    sim_exchange *s = sim_with(&cfg, path, 5);
    sim_advance(s, T0 + M5);
    ex_order o;
    assert_int_equal(market(s, EX_SELL, "0.010", 0, "E", &o), EX_OK);
    assert_true(fabs(o.avg_price - 99950) < 1e-9);
    ex_algo_placed sl, tp;
    assert_int_equal(leg(s, EX_STOP_MARKET, EX_BUY, "101000", "0.010", "S", &sl), EX_OK);
    assert_int_equal(leg(s, EX_TAKE_PROFIT_MARKET, EX_BUY, "99000", "0.010", "T", &tp), EX_OK);
    assert_true(fabs(position(s) + 0.01) < 1e-12);
    sim_advance(s, T0 + 2 * M5);
    ex_lookup ls = query(s, "S", 1), lt = query(s, "T", 1);
    assert_true(fabs(ls.algo.avg_price - 101050.5) < 1e-9);
    assert_true(ls.algo.executed_qty == 0.01);
    assert_true(lt.algo.executed_qty == 0);
    ex_lookup_free(&ls);
    ex_lookup_free(&lt);
    assert_true(position(s) == 0);
    assert_true(fabs(wallet(s) - 9987.9899975) < CENT_EXACT);
    sim_advance(s, T0 + 3 * M5);
    assert_int_equal(market(s, EX_SELL, "0.010", 0, "E2", &o), EX_OK);
    ex_account a;
    read_all(s, T0, &a);
    const ex_position *p = ex_account_position(&a, "BTCUSDT");
    assert_string_equal(p->amount_str, "-0.010");
    assert_true(fabs(p->liquidation_price - 1199.4 / 0.01004) < 1e-6);
    ex_account_free(&a);
    sim_advance(s, T0 + 5 * M5);
    assert_true(position(s) == 0);
    assert_true(fabs(wallet(s) - (9987.9899975 - 0.49975 - 199.9)) < CENT_EXACT);
    assert_identity(s);
    sim_exchange_free(s);
}

/* ---- errors ---------------------------------------------------------------------------- */

static void expect(ex_status got, ex_status want, const ex_error *e, long code, dstr *err,
                   const char *text) {
    assert_int_equal(got, want);
    assert_int_equal(e->code, code);
    assert_int_equal(e->status, want);
    assert_non_null(strstr(dstr_cstr(err), text));
    dstr_clear(err);
}

static void test_errors(void **state) {
    (void)state;
    ohlc path[] = {{100000, 100000, 100000, 100000}, {100000, 100000, 100000, 100000}};
    sim_config cfg = base_config();
    sim_exchange *s = sim_with(&cfg, path, 2);
    sim_advance(s, T0 + M5);
    ex_order o;
    ex_error e = {0};
    dstr err = {0};
    expect(order(s, EX_BUY, EX_MARKET, "0.0015", NULL, 0, "X1", &o, &e, &err), EX_REJECTED, &e,
           -1111, &err, "Precision is over the maximum defined for this asset.");
    expect(order(s, EX_BUY, EX_LIMIT, "0.010", "99999.95", 0, "X1", &o, &e, &err), EX_REJECTED, &e,
           -1111, &err, "Precision is over the maximum");
    expect(order(s, EX_BUY, EX_MARKET, "1e-3", NULL, 0, "X1", &o, &e, &err), EX_REJECTED, &e, -1100,
           &err, "Illegal characters found in parameter 'quantity'");
    expect(order(s, EX_BUY, EX_MARKET, "0.000", NULL, 0, "X1", &o, &e, &err), EX_REJECTED, &e,
           -4003, &err, "Quantity less than or equal to zero.");
    expect(order(s, EX_BUY, EX_MARKET, "121", NULL, 0, "X1", &o, &e, &err), EX_REJECTED, &e, -4005,
           &err, "Quantity greater than max quantity.");
    /* 0.001 * 100000 = 100 is the minimum; at 50 it is refused, unless reduce-only */
    expect(order(s, EX_BUY, EX_LIMIT, "0.001", "50000", 0, "X1", &o, &e, &err), EX_REJECTED, &e,
           -4164, &err,
           "Order's notional must be no smaller than 100 (unless you choose reduce only).");
    expect(order(s, EX_BUY, EX_LIMIT, "0.010", "50", 0, "X1", &o, &e, &err), EX_REJECTED, &e, -4013,
           &err, "Price less than min price.");
    expect(order(s, EX_SELL, EX_MARKET, "0.010", NULL, 1, "X1", &o, &e, &err), EX_REJECTED, &e,
           -2022, &err, "ReduceOnly Order is rejected.");
    /* 0.5 BTC at 100050 / 5 = 10005 of margin > 10000 */
    expect(order(s, EX_BUY, EX_MARKET, "0.500", NULL, 0, "X1", &o, &e, &err), EX_REJECTED, &e,
           -2019, &err, "Margin is insufficient.");
    expect(order(s, EX_BUY, EX_MARKET, "0.010", NULL, 0, "bad id!", &o, &e, &err), EX_REJECTED, &e,
           -4015, &err, "Client order id is not valid.");
    assert_int_equal(order(s, EX_BUY, EX_LIMIT, "0.010", "90000", 0, "REST", &o, &e, &err), EX_OK);
    expect(order(s, EX_BUY, EX_LIMIT, "0.010", "90000", 0, "REST", &o, &e, &err), EX_REJECTED, &e,
           -4116, &err, "ClientOrderId is duplicated.");
    ex_order_request rq = {.side = EX_BUY,
                           .type = EX_MARKET,
                           .symbol = "NOPEUSDT",
                           .quantity = "1",
                           .client_id = "X2"};
    expect(ex_place_order(sim_exchange_table(s), &rq, 0, &o, &e, &err), EX_INVALID_SYMBOL, &e,
           -1121, &err, "Invalid symbol.");
    /* legs: a stop the price has already passed */
    assert_int_equal(market(s, EX_BUY, "0.010", 0, "E", &o), EX_OK);
    ex_algo_placed p;
    assert_int_equal(leg(s, EX_STOP_MARKET, EX_SELL, "100500", "0.010", "S", &p), EX_REJECTED);
    assert_int_equal(p.r.e.code, -2021);
    assert_non_null(strstr(dstr_cstr(&p.r.why), "Order would immediately trigger."));
    ex_algo_placed_free(&p);
    assert_int_equal(leg(s, EX_TAKE_PROFIT_MARKET, EX_SELL, "99000", "0.010", "T", &p),
                     EX_REJECTED);
    assert_int_equal(p.r.e.code, -2021);
    ex_algo_placed_free(&p);
    assert_int_equal(leg(s, EX_STOP_MARKET, EX_SELL, "99000.05", "0.010", "S", &p), EX_REJECTED);
    assert_int_equal(p.r.e.code, -1111);
    ex_algo_placed_free(&p);
    /* unknown orders */
    ex_lookup l = query(s, "NEVER", 0);
    assert_int_equal(l.r.status, EX_NOT_FOUND);
    assert_int_equal(l.r.e.code, -2013);
    assert_non_null(strstr(dstr_cstr(&l.r.why), "Order does not exist."));
    ex_lookup_free(&l);
    l = query(s, "NEVER", 1);
    assert_int_equal(l.r.e.code, -2013);
    ex_lookup_free(&l);
    ex_order_ref ref = {.symbol = "BTCUSDT", .client_id = "NEVER"};
    ex_cancel(sim_exchange_table(s), &ref, 1, 0, &l);
    assert_int_equal(l.r.status, EX_NOT_FOUND);
    assert_int_equal(l.r.e.code, -2011);
    assert_non_null(strstr(dstr_cstr(&l.r.why), "Unknown order sent."));
    ex_lookup_free(&l);
    /* the set-up: benign "already so", refusals with a position */
    ex_setup set[] = {{.what = EX_SET_MARGIN_TYPE, .symbol = "BTCUSDT", .margin_type = EX_ISOLATED},
                      {.what = EX_SET_MARGIN_TYPE, .symbol = "BTCUSDT", .margin_type = EX_CROSSED},
                      {.what = EX_SET_LEVERAGE, .symbol = "BTCUSDT", .leverage = 200},
                      {.what = EX_SET_LEVERAGE, .symbol = "BTCUSDT", .leverage = 3},
                      {.what = EX_SET_POSITION_MODE, .hedge_mode = 0},
                      {.what = EX_SET_POSITION_MODE, .hedge_mode = 1}};
    ex_result res[6];
    ex_configure(sim_exchange_table(s), set, 6, 0, res);
    assert_int_equal(res[0].status, EX_OK);
    assert_int_equal(res[1].e.code, -4047); /* REST is open */
    assert_int_equal(res[2].e.code, -4028);
    assert_int_equal(res[3].e.code, -4161);
    assert_int_equal(res[4].status, EX_OK);
    assert_int_equal(res[5].e.code, -4067);
    for (int i = 0; i < 6; i++) ex_result_free(&res[i]);
    dstr_free(&err);
    sim_exchange_free(s);
    /* before the first candle there is no price: nothing is ordered */
    cfg.start_ms = T0 - 1000;
    s = sim_with(&cfg, path, 2);
    assert_int_equal(market(s, EX_BUY, "0.010", 0, "E", &o), EX_UNAVAILABLE);
    assert_true(isnan(sim_price(s, "BTCUSDT")));
    sim_exchange_free(s);
}

/* ---- funding --------------------------------------------------------------------------- */

/* Long 0.010 from the 2nd candle through 00:00+8h (rate 0.0001 in the
 * history, 5 ms past the hour, mark 100000): funding -0.1. The boundary at
 * +16 h has no row: counted missing while holding, nothing booked; the one
 * at +24 h, after the close, missing while flat. The premium index of a
 * snapshot carries the current period's rate, NAN where none. */
static void test_funding(void **state) {
    (void)state;
    enum { N = 24 * 12 + 2 };
    static ohlc path[N];
    flat(path, N, 100000);
    sim_config cfg = base_config();
    hist_funding rates[] = {{T0 + H8 + 5, 0.0001}, {T0 + 4 * H8 + 2, -0.0002}};
    sim_exchange *s = opened_long(&cfg, path, N, "0.010");
    assert_int_equal(sim_set_funding(s, "BTCUSDT", rates, 2, NULL), 0);
    ex_order o;
    sim_advance(s, T0 + 20 * 3600000LL);
    ex_account a;
    read_all(s, T0, &a);
    size_t funding = 0;
    for (size_t i = 0; i < a.n_income; i++)
        if (!strcmp(a.income[i].type, "FUNDING_FEE")) {
            funding++;
            assert_true(fabs(a.income[i].amount + 0.1) < CENT_EXACT);
            assert_int_equal(a.income[i].time, T0 + H8);
        }
    assert_int_equal(funding, 1);
    ex_account_free(&a);
    assert_int_equal(market(s, EX_SELL, "0.010", 1, "C", &o), EX_OK);
    sim_advance(s, T0 + N * M5);
    sim_report r;
    sim_report_make(s, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.sym[0].funding_paid, 1);
    assert_int_equal(r.sym[0].funding_missing_held, 1);
    assert_int_equal(r.sym[0].funding_missing_flat, 1);
    assert_true(fabs(r.funding + 0.1) < CENT_EXACT);
    /* 10000 - 0.50025 (entry fee) - 0.1 (funding) - 1.0 (bought at 100050, sold at
     * 100000 - 5 bps = 99950) - 0.49975 (exit fee) */
    assert_true(fabs(r.wallet - 9997.9) < CENT_EXACT);
    sim_report_free(&r);
    assert_identity(s);
    sim_exchange_free(s);
}

/* With an assumed rate (0.0003), the boundary at +16 h without a row pays
 * -0.01 * 100000 * 0.0003 = -0.3, counted as assumed (with the -0.1 of
 * the row at +8 h: -0.4). */
static void test_funding_assumed(void **state) {
    (void)state;
    enum { N = 20 * 12 };
    static ohlc path[N];
    flat(path, N, 100000);
    sim_config cfg = base_config();
    cfg.assume_funding = 1;
    cfg.assumed_rate = 0.0003;
    hist_funding rates[] = {{T0 + H8 + 5, 0.0001}};
    sim_exchange *s = opened_long(&cfg, path, N, "0.010");
    assert_int_equal(sim_set_funding(s, "BTCUSDT", rates, 1, NULL), 0);
    sim_advance(s, T0 + N * M5);
    sim_report r;
    sim_report_make(s, &r);
    assert_int_equal(r.sym[0].funding_paid, 1);
    assert_int_equal(r.sym[0].funding_assumed, 1);
    assert_int_equal(r.sym[0].funding_missing_held, 0);
    assert_true(fabs(r.funding + 0.4) < CENT_EXACT);
    sim_report_free(&r);
    assert_identity(s);
    sim_exchange_free(s);
}

/* ---- liquidation ----------------------------------------------------------------------- */

/* ISOLATED, leverage 5: long 0.010 at 100050, margin 200.1; liquidation
 * price (1000.5 - 200.1) / (0.01 * 0.996) = 80361.44578...; the next
 * candle's low 80000 reaches it: the position is closed there and the
 * wallet loses exactly the margin: 10000 - 0.50025 - 200.1 = 9799.39975.
 * A stop below the liquidation price never fills. */
static void test_liquidation_isolated(void **state) {
    (void)state;
    ohlc path[] = {{100000, 100000, 100000, 100000},
                   {100000, 100000, 80000, 85000},
                   {70000, 70000, 70000, 70000}};
    sim_config cfg = base_config();
    sim_exchange *s = opened_long(&cfg, path, 3, "0.010");
    ex_algo_placed sl;
    assert_int_equal(leg(s, EX_STOP_MARKET, EX_SELL, "79000", "0.010", "S", &sl), EX_OK);
    ex_account a;
    read_all(s, T0, &a);
    const ex_position *p = ex_account_position(&a, "BTCUSDT");
    assert_true(fabs(p->liquidation_price - 800.4 / 0.00996) < 1e-6);
    assert_true(fabs(p->initial_margin - 200.1) < 1e-9);
    ex_account_free(&a);
    sim_advance(s, T0 + 3 * M5); /* and the gap to 70000 reaches the stop: nothing to reduce */
    assert_true(position(s) == 0);
    assert_true(fabs(wallet(s) - 9799.39975) < CENT_EXACT);
    ex_lookup l = query(s, "S", 1);
    assert_true(l.algo.executed_qty == 0);
    ex_lookup_free(&l);
    sim_report r;
    sim_report_make(s, &r);
    assert_int_equal(r.sym[0].liquidations, 1);
    assert_true(r.insurance_clear < 0);
    sim_report_free(&r);
    assert_identity(s);
    sim_exchange_free(s);
}

/* CROSSED, leverage 20, a 1000 USDT wallet: long 0.100 at 100050 (fee
 * 5.0025); the wallet backs it: liquidation at (10005 - 994.9975) /
 * (0.1 * 0.996) = 90461.87...; a low of 90000 takes the whole wallet. */
static void test_liquidation_cross(void **state) {
    (void)state;
    ohlc path[] = {{100000, 100000, 100000, 100000},
                   {100000, 100000, 90000, 95000},
                   {95000, 95000, 95000, 95000}};
    sim_config cfg = base_config();
    cfg.balance = 1000;
    cfg.leverage = 20;
    cfg.margin_type = EX_CROSSED;
    sim_exchange *s = opened_long(&cfg, path, 3, "0.100");
    ex_account a;
    read_all(s, T0, &a);
    const ex_position *p = ex_account_position(&a, "BTCUSDT");
    assert_true(fabs(p->liquidation_price - 9010.0025 / 0.0996) < 1e-6);
    ex_account_free(&a);
    sim_advance(s, T0 + 2 * M5);
    assert_true(position(s) == 0);
    assert_true(fabs(wallet(s)) < CENT_EXACT);
    sim_exchange_free(s);
}

/* ---- the bundled data ------------------------------------------------------------------ */

/* tests/data/binance through sim_exchange_load: the rules of exchangeInfo,
 * the 5m path, snapshots of every timeframe closed before now, and funding
 * reported missing (the bundled history ends in October, the 5m candles
 * are from December), never zero. */
static void test_bundled_data(void **state) {
    (void)state;
    static const char *const syms[] = {"BTCUSDT", "ETHUSDT"};
    sim_config cfg = base_config();
    cfg.start_ms = 1766000000000LL; /* 2025-12-17 19:33 UTC, inside the 5m data */
    sim_exchange *s = sim_exchange_new(&cfg);
    dstr err = {0};
    assert_int_equal(sim_exchange_load(s, "tests/data/binance", syms, 2, &err), 0);
    sim_advance(s, cfg.start_ms + 3600000);
    ex_snapshot snaps[2];
    ex_account a;
    ex_snapshot_spec spec = {.bars = 300, .depth = 5};
    ex_read_spec rs = {.symbols = syms, .n_symbols = 2, .market = &spec, .parts = EX_READ_RULES};
    ex_read(sim_exchange_table(s), &rs, sim_now(s), 0, snaps, &a);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(snaps[i].status, EX_OK);
        const snapshot *sn = &snaps[i].snap;
        for (int tf = 0; tf < TF_COUNT; tf++) {
            assert_true(sn->tf[tf].n > 0 && sn->tf[tf].n <= 300);
            assert_true(sn->tf[tf].v[sn->tf[tf].n - 1].close_time < sim_now(s));
        }
        assert_true(sn->premium.mark_price == sim_price(s, syms[i]));
        assert_true(isnan(sn->premium.funding_rate));
        assert_true(sn->book.bids[0].price < sn->book.asks[0].price);
        ex_snapshot_free(&snaps[i]);
    }
    const symbol_rules *r = ex_account_rules(&a, "BTCUSDT");
    assert_non_null(r);
    assert_true(r->tick.step == 0.1 && r->min_notional == 10);
    ex_account_free(&a);
    /* an unknown symbol in a snapshot read */
    static const char *const nope[] = {"NOPEUSDT"};
    ex_snapshot one;
    ex_snapshots(sim_exchange_table(s), nope, 1, &spec, sim_now(s), 0, &one);
    assert_int_equal(one.status, EX_INVALID_SYMBOL);
    ex_snapshot_free(&one);
    sim_advance(s, cfg.start_ms + 2 * 86400000LL);
    sim_report r2;
    sim_report_make(s, &r2);
    assert_int_equal(r2.sym[0].funding_missing_flat, 6);
    assert_int_equal(r2.sym[0].funding_paid, 0);
    sim_report_free(&r2);
    /* a directory without the files: the error names the file */
    sim_exchange *t = sim_exchange_new(&cfg);
    assert_int_equal(sim_exchange_load(t, "tests/data/nowhere", syms, 2, &err), -1);
    assert_non_null(strstr(dstr_cstr(&err), "tests/data/nowhere/exchangeInfo.json"));
    sim_exchange_free(t);
    dstr_free(&err);
    ex_close(sim_exchange_table(s)); /* the table's close frees it */
}

/* ---- the history parsers --------------------------------------------------------------- */

static void test_history_parsers(void **state) {
    (void)state;
    const char ok[] = "open_time,open,high,low,close,volume,close_time,quote_volume\r\n"
                      "0,10,12,9,11,5,299999,\r\n"
                      "300000,11,11,10,10.5,0,599999,,,\n";
    candles c;
    dstr err = {0};
    assert_int_equal(hist_candles_parse(ok, strlen(ok), "k.csv", &c, &err), 0);
    assert_int_equal(c.n, 2);
    assert_true(c.v[1].close == 10.5 && c.v[1].close_time == 599999);
    candles_free(&c);
    static const struct {
        const char *text, *why;
    } bad[] = {{"0,10,12,9,11,5\n", "k.csv:1: close_time is not whole milliseconds"},
               {"0,10,9,9,11,5,299999\n", "k.csv:1: low/high do not hold open and close"},
               {"0,10,12,9,11,5,299999\n0,10,12,9,11,5,299999\n",
                "k.csv:2: open_time not after the previous row's"},
               {"0,nan,12,9,11,5,299999\n", "k.csv:1: open is not a number"},
               {"0,10,12,9,11,-1,299999\n", "k.csv:1: volume < 0"},
               {"", "k.csv: no candles"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dstr_clear(&err);
        assert_int_equal(hist_candles_parse(bad[i].text, strlen(bad[i].text), "k.csv", &c, &err),
                         -1);
        assert_null(c.v);
        assert_string_equal(dstr_cstr(&err), bad[i].why);
    }
    const char f_ok[] =
        "funding_time,symbol,funding_rate\n1,BTCUSDT,0.0001\n2,BTCUSDT,-0.00000027\n";
    hist_funding *f;
    size_t n;
    assert_int_equal(hist_funding_parse(f_ok, strlen(f_ok), "f.csv", &f, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_true(f[1].rate == -0.00000027);
    free(f);
    const char f_bad[] = "funding_time,symbol,funding_rate\n1,BTCUSDT,x\n";
    dstr_clear(&err);
    assert_int_equal(hist_funding_parse(f_bad, strlen(f_bad), "f.csv", &f, &n, &err), -1);
    assert_string_equal(dstr_cstr(&err), "f.csv:2: funding_rate is not a number");
    int missing = 0;
    assert_int_equal(hist_load_funding("tests/data/nowhere.csv", &f, &n, &missing, &err), 0);
    assert_int_equal(missing, 1);
    assert_int_equal(n, 0);
    dstr_free(&err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_market_round_trip),
        cmocka_unit_test(test_limit_fills),
        cmocka_unit_test(test_stop_first_within_a_candle),
        cmocka_unit_test(test_finer_candles_settle),
        cmocka_unit_test(test_unlinked_legs),
        cmocka_unit_test(test_short_side),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_funding),
        cmocka_unit_test(test_funding_assumed),
        cmocka_unit_test(test_liquidation_isolated),
        cmocka_unit_test(test_liquidation_cross),
        cmocka_unit_test(test_bundled_data),
        cmocka_unit_test(test_history_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
