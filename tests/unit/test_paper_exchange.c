/* paper_exchange: paper trading's account, derived from the journal at
 * every read, against the simulated exchange it stands on.
 *
 * The "live market" is a simulated exchange over the bundled history
 * (BTCUSDT and ETHUSDT, 5m 1h 4h 1d) whose clock the test moves; the
 * reference is a second simulated exchange over the same history that
 * keeps its account in memory for the whole test. The paper exchange is
 * made anew for every run (a cold process): all it knows is the journal.
 * What must hold: every run, the paper account is the reference's to the
 * 1e-8 USDT (wallet, positions, open legs, fills, funding), since both walk
 * the same candles with the same rules; a write whose ledger records
 * cannot be stored is "unknown" and the invocation writes no more; a write
 * without a read is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/config.h"
#include "platform/log.h"
#include "pipelines/env.h"
#include "pipelines/sim_run.h"
#include "services/journal_trade.h"
#include "services/paper_exchange.h"
#include "services/paper_ledger.h"
#include "services/sim_exchange.h"
#include "btc_rules.h"
#include "tmpstore.h"

#define T0 1766188800000LL /* 2025-12-20 00:00 UTC: three days of 5m history before it */
#define M5 300000LL
#define H8 (8LL * 3600 * 1000)
#define RUN_LAG 7000 /* a run starts a few seconds after the 5m close */
#define EXACT 1e-8

static const char *const syms[] = {"BTCUSDT", "ETHUSDT"};

static int64_t now_ms;
static int64_t test_now(void *ctx) {
    (void)ctx;
    return now_ms;
}
static const clock_src test_clock = {.now_ms = test_now};

static sim_config account_config(void) {
    return (sim_config){.balance = 10000,
                        .fee_taker = 0.0005,
                        .fee_maker = 0.0002,
                        .slippage_bps = 5,
                        .margin_type = EX_CROSSED,
                        .start_ms = T0};
}

static sim_exchange *history_sim(void) {
    sim_config c = account_config();
    sim_exchange *s = sim_exchange_new(&c);
    dstr err = {0};
    assert_int_equal(sim_exchange_load(s, "tests/data/binance", syms, 2, &err), 0);
    dstr_free(&err);
    return s;
}

typedef struct world {
    tmpstore ts;
    sim_exchange *market, *ref;
    exchange *paper; /* this run's */
} world;

static void world_open(world *w) {
    memset(w, 0, sizeof *w);
    assert_int_equal(tmpstore_open(&w->ts, 1), 0);
    w->market = history_sim();
    w->ref = history_sim();
}

static void world_close(world *w) {
    ex_close(w->paper);
    sim_exchange_free(w->market);
    sim_exchange_free(w->ref);
    tmpstore_close(&w->ts);
}

/* A new process's paper exchange at t, having read the account. */
static void run_at(world *w, int64_t t, ex_account *a) {
    now_ms = t;
    sim_advance(w->market, t);
    sim_advance(w->ref, t);
    ex_close(w->paper);
    paper_config pc = {
        .market = sim_exchange_table(w->market), .sim = account_config(), .clock = &test_clock};
    w->paper = paper_exchange_new(&pc);
    paper_exchange_bind(w->paper, w->ts.s);
    ex_snapshot_spec mk = {.bars = 300, .depth = 5};
    ex_snapshot snaps[2];
    ex_read_spec spec = {.symbols = syms,
                         .n_symbols = 2,
                         .market = &mk,
                         .parts = EX_READ_POSITIONS | EX_READ_OPEN_ORDERS |
                                  EX_READ_OPEN_ALGO_ORDERS | EX_READ_BALANCES |
                                  EX_READ_SYMBOL_CONFIGS | EX_READ_RULES | EX_READ_TRADES |
                                  EX_READ_INCOME,
                         .since_ms = T0 - 1};
    ex_read(w->paper, &spec, t, 0, snaps, a);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(snaps[i].status, EX_OK); /* the live market's data comes through */
        assert_string_equal(snaps[i].snap.symbol, syms[i]);
        ex_snapshot_free(&snaps[i]);
    }
}

static void read_ref(world *w, ex_account *a) {
    ex_read_spec spec = {.symbols = syms,
                         .n_symbols = 2,
                         .parts = EX_READ_POSITIONS | EX_READ_OPEN_ALGO_ORDERS | EX_READ_BALANCES |
                                  EX_READ_TRADES | EX_READ_INCOME,
                         .since_ms = T0 - 1};
    ex_read(sim_exchange_table(w->ref), &spec, now_ms, 0, NULL, a);
}

static double amount_of(const ex_account *a, const char *symbol) {
    const ex_position *p = ex_account_position(a, symbol);
    return p ? p->amount : 0;
}

/* The paper account is the reference's, to the 1e-8. */
static void assert_same_account(world *w, const ex_account *paper) {
    ex_account ref;
    read_ref(w, &ref);
    assert_int_equal(paper->balances_part.r.status, EX_OK);
    assert_true(fabs(paper->balances[0].balance - ref.balances[0].balance) < EXACT);
    for (int i = 0; i < 2; i++) {
        assert_true(fabs(amount_of(paper, syms[i]) - amount_of(&ref, syms[i])) < EXACT);
        const ex_position *pp = ex_account_position(paper, syms[i]),
                          *rp = ex_account_position(&ref, syms[i]);
        if (pp && rp) assert_true(fabs(pp->entry_price - rp->entry_price) < EXACT);
    }
    assert_int_equal(paper->n_algo_orders, ref.n_algo_orders);
    for (size_t i = 0; i < ref.n_algo_orders; i++)
        assert_string_equal(paper->algo_orders[i].client_id, ref.algo_orders[i].client_id);
    assert_int_equal(paper->n_trades, ref.n_trades);
    for (size_t i = 0; i < ref.n_trades; i++) {
        assert_int_equal(paper->trades[i].id, ref.trades[i].id);
        assert_true(fabs(paper->trades[i].price - ref.trades[i].price) < EXACT);
    }
    assert_int_equal(paper->n_income, ref.n_income);
    ex_account_free(&ref);
}

/* The same request to the paper exchange and the reference. */
static ex_status both_order(world *w, ex_side side, const char *qty, int reduce, const char *cid) {
    ex_order_request rq = {.side = side, .type = EX_MARKET, .reduce_only = reduce};
    snprintf(rq.symbol, sizeof rq.symbol, "BTCUSDT");
    snprintf(rq.quantity, sizeof rq.quantity, "%s", qty);
    snprintf(rq.client_id, sizeof rq.client_id, "%s", cid);
    ex_order a, b;
    ex_status st = ex_place_order(w->paper, &rq, 0, &a, NULL, NULL);
    assert_int_equal(ex_place_order(sim_exchange_table(w->ref), &rq, 0, &b, NULL, NULL), st);
    if (st == EX_OK) assert_true(fabs(a.avg_price - b.avg_price) < EXACT);
    return st;
}

static void both_leg(world *w, ex_algo_type type, double trigger, const char *qty,
                     const char *cid) {
    ex_algo_request rq = {.side = EX_SELL, .type = type, .reduce_only = 1};
    snprintf(rq.symbol, sizeof rq.symbol, "BTCUSDT");
    snprintf(rq.trigger_price, sizeof rq.trigger_price, "%.1f", trigger);
    snprintf(rq.quantity, sizeof rq.quantity, "%s", qty);
    snprintf(rq.client_id, sizeof rq.client_id, "%s", cid);
    ex_algo_placed a, b;
    ex_place_algo_orders(w->paper, &rq, 1, 0, &a);
    ex_place_algo_orders(sim_exchange_table(w->ref), &rq, 1, 0, &b);
    assert_int_equal(a.r.status, EX_OK);
    assert_int_equal(b.r.status, EX_OK);
    ex_algo_placed_free(&a);
    ex_algo_placed_free(&b);
}

static void both_cancel(world *w, const char *cid) {
    ex_order_ref ref = {.algo = 1};
    snprintf(ref.symbol, sizeof ref.symbol, "BTCUSDT");
    snprintf(ref.client_id, sizeof ref.client_id, "%s", cid);
    ex_lookup a, b;
    ex_cancel(w->paper, &ref, 1, 0, &a);
    ex_cancel(sim_exchange_table(w->ref), &ref, 1, 0, &b);
    assert_int_equal(a.r.status, b.r.status);
    ex_lookup_free(&a);
    ex_lookup_free(&b);
}

static void set_leverage(world *w, int leverage) {
    ex_setup u = {.what = EX_SET_LEVERAGE, .leverage = leverage};
    snprintf(u.symbol, sizeof u.symbol, "BTCUSDT");
    ex_result a, b;
    ex_configure(w->paper, &u, 1, 0, &a);
    ex_configure(sim_exchange_table(w->ref), &u, 1, 0, &b);
    assert_int_equal(a.status, EX_OK);
    assert_int_equal(b.status, EX_OK);
    ex_result_free(&a);
    ex_result_free(&b);
}

/* A long with a stop 0.3 % under and a take-profit 0.4 % over: each run
 * a new process, reconciling like the trader (the leg left when the other
 * fired is cancelled); until both legs are gone. */
static void test_paper_account_is_the_simulators(void **state) {
    (void)state;
    world w;
    world_open(&w);
    ex_account a;
    run_at(&w, T0, &a);
    assert_int_equal(a.positions_part.r.status, EX_OK);
    assert_true(fabs(a.balances[0].balance - 10000) < EXACT); /* a new account */
    assert_int_equal(a.n_positions, 0);
    ex_account_free(&a);
    set_leverage(&w, 5);
    assert_int_equal(both_order(&w, EX_BUY, "0.010", 0, "E1"), EX_OK);
    double px = sim_price(w.ref, "BTCUSDT");
    both_leg(&w, EX_STOP_MARKET, px * 0.997, "0.010", "SL1");
    both_leg(&w, EX_TAKE_PROFIT_MARKET, px * 1.004, "0.010", "TP1");
    int closed_at = -1;
    for (int k = 1; k <= 288 && (closed_at < 0 || k <= closed_at + 2); k++) {
        run_at(&w, T0 + k * M5 + RUN_LAG, &a);
        assert_same_account(&w, &a);
        if (closed_at < 0 && amount_of(&a, "BTCUSDT") == 0) {
            closed_at = k;
            for (size_t i = 0; i < a.n_algo_orders; i++)
                both_cancel(&w, a.algo_orders[i].client_id);
        }
        ex_account_free(&a);
    }
    assert_true(closed_at > 0); /* a leg fired within the day */
    run_at(&w, T0 + 300 * M5 + RUN_LAG, &a);
    assert_same_account(&w, &a);
    assert_int_equal(a.n_algo_orders, 0);
    assert_int_equal(a.n_trades, 2); /* the entry and the leg, each once */
    ex_account_free(&a);
    world_close(&w);
}

/* Held across two 8-hourly boundaries whose rates the market publishes:
 * the paper account pays them as the reference does; then a market close. */
static void test_paper_funding(void **state) {
    (void)state;
    world w;
    world_open(&w);
    hist_funding rows[] = {{T0 + H8 + 3, 0.0001}, {T0 + 2 * H8 + 2, -0.00005}};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sim_set_funding(i ? w.ref : w.market, "BTCUSDT", rows, 2, NULL), 0);
    }
    ex_account a;
    run_at(&w, T0, &a);
    ex_account_free(&a);
    assert_int_equal(both_order(&w, EX_BUY, "0.020", 0, "E2"), EX_OK);
    for (int64_t t = T0 + 3600000; t <= T0 + 2 * H8 + 3600000; t += 3600000) {
        run_at(&w, t + RUN_LAG, &a); /* hourly runs: each walks twelve candles */
        assert_same_account(&w, &a);
        ex_account_free(&a);
    }
    ex_account ref;
    read_ref(&w, &ref);
    int paid = 0;
    for (size_t i = 0; i < ref.n_income; i++) paid += !strcmp(ref.income[i].type, "FUNDING_FEE");
    assert_int_equal(paid, 2);
    ex_account_free(&ref);
    assert_int_equal(both_order(&w, EX_SELL, "0.020", 1, "X2"), EX_OK);
    run_at(&w, T0 + 2 * H8 + 2 * 3600000, &a);
    assert_same_account(&w, &a);
    assert_int_equal(a.n_positions, 0);
    ex_account_free(&a);
    world_close(&w);
}

/* The ledger cannot be written: the order is unknown, later writes are
 * refused, and the next run's account has no trace of it. */
static void test_unwritten_ledger(void **state) {
    (void)state;
    world w;
    world_open(&w);
    ex_account a;
    run_at(&w, T0, &a);
    ex_account_free(&a);
    paper_exchange_bind(w.paper, NULL);
    ex_order_request rq = {.side = EX_BUY, .type = EX_MARKET};
    snprintf(rq.symbol, sizeof rq.symbol, "BTCUSDT");
    snprintf(rq.quantity, sizeof rq.quantity, "0.010");
    snprintf(rq.client_id, sizeof rq.client_id, "E3");
    ex_order o;
    ex_error e = {0};
    dstr err = {0};
    assert_int_equal(ex_place_order(w.paper, &rq, 0, &o, &e, &err), EX_UNKNOWN);
    assert_non_null(strstr(err.ptr, "paper ledger unwritten"));
    snprintf(rq.client_id, sizeof rq.client_id, "E4");
    assert_int_equal(ex_place_order(w.paper, &rq, 0, &o, &e, NULL), EX_UNAVAILABLE);
    /* nor does a query answer from what was not recorded */
    ex_order_ref ref = {.algo = 0};
    snprintf(ref.symbol, sizeof ref.symbol, "BTCUSDT");
    snprintf(ref.client_id, sizeof ref.client_id, "E3");
    ex_lookup l;
    ex_query(w.paper, &ref, 1, 0, &l);
    assert_int_equal(l.r.status, EX_UNAVAILABLE);
    ex_lookup_free(&l);
    dstr_free(&err);
    run_at(&w, T0 + M5 + RUN_LAG, &a);
    assert_int_equal(a.n_positions, 0);
    assert_true(fabs(a.balances[0].balance - 10000) < EXACT);
    ex_account_free(&a);
    world_close(&w);
}

/* The market of a symbol the account holds cannot be read (here: listed,
 * but its candles do not come): its legs cannot be walked, so the account is
 * unknown and every account part fails, naming it; nothing is traded on a
 * guess. */
static void test_market_lost_while_holding(void **state) {
    (void)state;
    world w;
    world_open(&w);
    ex_account a;
    run_at(&w, T0, &a);
    ex_account_free(&a);
    assert_int_equal(both_order(&w, EX_BUY, "0.010", 0, "E5"), EX_OK);
    sim_config c = account_config();
    sim_exchange *eth_only = sim_exchange_new(&c);
    assert_int_equal(sim_exchange_load(eth_only, "tests/data/binance", &syms[1], 1, NULL), 0);
    symbol_rules btc = btc_rules();
    assert_int_equal(sim_add_symbol(eth_only, &btc, NULL), 0); /* no candles */
    sim_advance(eth_only, T0 + M5);
    paper_config pc = {.market = sim_exchange_table(eth_only), .sim = c, .clock = &test_clock};
    exchange *p = paper_exchange_new(&pc);
    paper_exchange_bind(p, w.ts.s);
    now_ms = T0 + M5;
    ex_read_spec spec = {.symbols = &syms[1],
                         .n_symbols = 1,
                         .parts = EX_READ_POSITIONS | EX_READ_BALANCES,
                         .since_ms = T0};
    ex_read(p, &spec, now_ms, 0, NULL, &a);
    assert_int_equal(a.positions_part.r.status, EX_UNAVAILABLE);
    assert_int_equal(a.balances_part.r.status, EX_UNAVAILABLE);
    assert_non_null(strstr(a.positions_part.r.why.ptr, "no market for BTCUSDT"));
    assert_non_null(strstr(a.positions_part.r.why.ptr, "klines"));
    ex_account_free(&a);
    ex_close(p);
    sim_exchange_free(eth_only);
    world_close(&w);
}

/* Writes come after a read, which builds the account. */
static void test_write_without_read(void **state) {
    (void)state;
    world w;
    world_open(&w);
    paper_config pc = {
        .market = sim_exchange_table(w.market), .sim = account_config(), .clock = &test_clock};
    exchange *p = paper_exchange_new(&pc);
    paper_exchange_bind(p, w.ts.s);
    ex_order_ref ref = {.algo = 1};
    snprintf(ref.symbol, sizeof ref.symbol, "BTCUSDT");
    snprintf(ref.client_id, sizeof ref.client_id, "SL");
    ex_lookup l;
    ex_cancel(p, &ref, 1, 0, &l);
    assert_int_equal(l.r.status, EX_UNAVAILABLE);
    assert_non_null(strstr(l.r.why.ptr, "not read"));
    ex_lookup_free(&l);
    assert_true(paper_exchange_is(p));
    assert_false(paper_exchange_is(sim_exchange_table(w.market)));
    ex_close(p);
    world_close(&w);
}

/* The trader every 5 minutes for 8 hours of the bundled history (the
 * backtest's own test period, 2025-12-17 19:35 UTC on), once on the
 * simulated exchange itself (the backtest) and once through paper trading
 * (its account derived from the journal at every run, the simulated
 * exchange only its market), with the same funding: the same decisions,
 * orders and fills, so the same trade journal, byte for byte, and the same
 * account at the end. */
#define RUN_FROM 1766000100000LL
#define RUN_HOURS 8

typedef struct run_end {
    dstr trades;
    double wallet;
    size_t fills, executed;
} run_end;

static void trader_over_history(int paper, run_end *out) {
    cfg c;
    dstr err = {0};
    assert_int_equal(cfg_load(&c, &err), 0); /* the trader's defaults */
    sim_config sc = pl_paper_sim_config(&c);
    sc.start_ms = RUN_FROM - 1;
    sim_exchange *market = sim_exchange_new(&sc);
    assert_int_equal(sim_exchange_load(market, "tests/data/binance", syms, 2, &err), 0);
    hist_funding rows[] = {{1765987200004LL, 0.0001},
                           {1766016000003LL, 0.00012},
                           {1766044800002LL, -0.00003}}; /* 17th 16:00, 18th 00:00 and 08:00 */
    for (int i = 0; i < 2; i++)
        assert_int_equal(sim_set_funding(market, syms[i], rows, 3, NULL), 0);
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    log_set_level(LOG_ERROR);
    sim_run_spec spec = {.cfg = &c,
                         .sim = market,
                         .journal = t.s,
                         .symbols = syms,
                         .n = 2,
                         .from_ms = RUN_FROM,
                         .to_ms = RUN_FROM + RUN_HOURS * 3600000LL,
                         .paper = paper};
    sim_run_stats st;
    sim_run(&spec, &st);
    log_set_level(LOG_INFO);
    memset(out, 0, sizeof *out);
    out->executed = st.executed;
    assert_int_equal(journal_trade_csv(t.s, 1000, &out->trades, &err), 0);
    /* the account at the end: the simulator's, or the paper ledger's read anew */
    exchange *ex = sim_exchange_table(market), *fresh = NULL;
    if (paper) {
        paper_config pc = {.market = ex, .sim = sc, .clock = sim_clock(market)};
        ex = fresh = paper_exchange_new(&pc);
        paper_exchange_bind(fresh, t.s);
        store_set_clock(t.s, sim_clock(market));
    }
    ex_snapshot_spec mk = {.bars = 300, .depth = 5};
    ex_snapshot snaps[2];
    ex_read_spec rs = {.symbols = syms,
                       .n_symbols = 2,
                       .market = &mk,
                       .parts = EX_READ_BALANCES | EX_READ_TRADES,
                       .since_ms = RUN_FROM};
    ex_account a;
    ex_read(ex, &rs, sim_now(market), 0, snaps, &a);
    assert_int_equal(a.balances_part.r.status, EX_OK);
    out->wallet = a.balances[0].balance;
    out->fills = a.n_trades;
    for (int i = 0; i < 2; i++) ex_snapshot_free(&snaps[i]);
    ex_account_free(&a);
    ex_close(fresh);
    sim_exchange_free(market);
    tmpstore_close(&t);
    cfg_free(&c);
    dstr_free(&err);
}

static void test_paper_trading_is_the_backtest(void **state) {
    (void)state;
    run_end bt, paper;
    trader_over_history(0, &bt);
    trader_over_history(1, &paper);
    assert_true(bt.executed >= 2); /* it trades */
    assert_int_equal(paper.executed, bt.executed);
    assert_string_equal(paper.trades.ptr, bt.trades.ptr);
    assert_true(fabs(paper.wallet - bt.wallet) < EXACT);
    assert_int_equal(paper.fills, bt.fills);
    dstr_free(&bt.trades);
    dstr_free(&paper.trades);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paper_account_is_the_simulators),
        cmocka_unit_test(test_paper_funding),
        cmocka_unit_test(test_unwritten_ledger),
        cmocka_unit_test(test_write_without_read),
        cmocka_unit_test(test_market_lost_while_holding),
        cmocka_unit_test(test_paper_trading_is_the_backtest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
