/* trader: the run's steps after the read (trader_act) and its record
 * (trader_finish) against the in-memory exchange and a file journal:
 * exactly one entry for a decision however often it arrives, reconcile
 * cancelling an orphan leg and journaling the fills, a missing stop
 * re-created, foreign orders and positions untouched, the risk manager's
 * refusals, and a dry run that sends nothing that changes the account. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "mem_exchange.h"
#include "pipelines/brackets.h"
#include "pipelines/trader.h"
#include "platform/log.h"
#include "services/journal_claim.h"
#include "services/journal_risk.h"
#include "services/journal_run.h"
#include "services/journal_trade.h"
#include "tmpstore.h"

#define CANDLE 1767225600000LL /* 2026-01-01T00:00:00Z */

typedef struct fixture {
    tmpstore t;
    mem_exchange m;
    cfg c;
    int64_t now;
    clock_src clk;
    pl_env env;
    dstr log;
    int run_no;
} fixture;

static int64_t fixture_now(void *ctx) { return ((fixture *)ctx)->now; }

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f || tmpstore_open(&f->t, 1)) return -1;
    mx_init(&f->m);
    f->m.now_ms = CANDLE + 60000;
    mx_add_symbol(&f->m, "BTCUSDT", 100);
    mx_add_symbol(&f->m, "ETHUSDT", 100);
    static char *symbols[] = {"BTCUSDT", "ETHUSDT"};
    memset(&f->c, 0, sizeof f->c);
    f->c.symbols[0] = symbols[0];
    f->c.symbols[1] = symbols[1];
    f->c.n_symbols = 2;
    f->c.execute_trades = 1;
    f->c.order_id_prefix = "atr";
    f->c.leverage = 5;
    f->c.margin_type = "ISOLATED";
    f->c.entry_order_type = "MARKET";
    f->c.rr_min = 1.2;
    f->now = CANDLE + 300000;
    f->clk = (clock_src){.now_ms = fixture_now, .ctx = f};
    f->env = (pl_env){.cfg = &f->c,
                      .exchange = &f->m.ex,
                      .journal = f->t.s,
                      .clock = &f->clk,
                      .deadline_ms = INT64_MAX / 2,
                      .risk = risk_params_default(),
                      .sizing = {.risk_usdt = 10,
                                 .fee_taker = 0.0005,
                                 .slippage_bps = 5,
                                 .leverage = 5,
                                 .rr_min = 1.2,
                                 .mmr = SIZING_DEFAULT_MMR}};
    log_init("test");
    capture_start(&f->log);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    capture_stop();
    dstr_free(&f->log);
    tmpstore_close(&f->t);
    free(f);
    return 0;
}

/* A decision worth an entry on symbol (LONG 100 / 98 / 104) of candle. */
static decision worth(const char *symbol, direction dir, int64_t candle_ms) {
    decision d;
    memset(&d, 0, sizeof d);
    snprintf(d.symbol, sizeof d.symbol, "%s", symbol);
    d.dir = dir;
    d.risk_ok = 1;
    d.prob = 0.7;
    d.entry = 100;
    d.sl = dir == DIR_LONG ? 98 : 102;
    d.tp = dir == DIR_LONG ? 104 : 96;
    d.rr = 2;
    d.candle_time = candle_ms;
    d.decided_at = candle_ms + 1000;
    return d;
}

/* One run: reads the account as trader_run does, with the decisions
 * given (NULL: FLAT) for symbols (at most 4) and a funding rate of 0.01 %,
 * then acts and writes the run record. */
static void run(fixture *f, const char *const *symbols, size_t n, const decision *ds,
                trader_result *out) {
    char run_id[32];
    snprintf(run_id, sizeof run_id, "run-%d", ++f->run_no);
    trader_request rq = {
        .symbols = symbols, .n = n, .trigger = "schedule", .trigger_id = NULL, .run_id = run_id};
    trader_begin(&f->env, &rq, out);
    for (size_t i = 0; ds && i < n; i++) out->sym[i].sig.d = ds[i];
    ex_read_spec spec = {.symbols = symbols,
                         .n_symbols = n,
                         .parts = ~0u,
                         .since_ms = f->now - TRADER_TRADES_WINDOW_MS};
    ex_account a;
    ex_read(&f->m.ex, &spec, f->now, f->env.deadline_ms, NULL, &a);
    ex_snapshot snaps[4];
    memset(snaps, 0, sizeof snaps);
    for (size_t i = 0; i < n; i++) snaps[i].snap.premium.funding_rate = 0.0001; /* EX_OK */
    trader_act(&f->env, &rq, &a, snaps, out);
    trader_finish(&f->env, &rq, out);
    ex_account_free(&a);
    f->now += 300000; /* the next run is 5 minutes later */
}

static const char *const btc[] = {"BTCUSDT"};

static void test_entry_is_protected_claimed_planned_and_recorded(void **state) {
    fixture *f = *state;
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    assert_string_equal(r.sym[0].step, "executed");
    assert_int_equal(r.sym[0].exec.outcome, EXEC_PROTECTED);
    assert_string_equal(r.outcome, "ok");
    assert_true(mx_find(&f->m, "BTCUSDT")->amount > 0);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 1);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_TAKE_PROFIT_MARKET), 1);
    /* the claim and the plan are in the journal */
    journal_claim c = {.symbol = "BTCUSDT", .candle_ms = CANDLE, .claimed_ms = 1, .run_id = "x"};
    journal_claim_info holder;
    assert_int_equal(journal_claim_put(f->t.s, &c, &holder, NULL), JOURNAL_EXISTS);
    assert_string_equal(holder.run_id, "run-1");
    bracket_info plan;
    assert_int_equal(bracket_latest(f->t.s, btc, 1, &plan, NULL), 0);
    assert_true(plan.has);
    assert_int_equal(plan.dir, DIR_LONG);
    assert_true(fabs(plan.sl_distance - 2) < 1e-9);
    /* the run record */
    journal_run_info ri;
    assert_int_equal(journal_latest_run(f->t.s, &ri, NULL, NULL), JOURNAL_OK);
    assert_string_equal(ri.run_id, "run-1");
    assert_string_equal(ri.outcome, "ok");
    assert_true(ri.execute);
    assert_string_equal(ri.config_hash, r.config_hash);
    assert_true(ri.n_actions >= 4); /* claim, entry, stop, take-profit */
    trader_result_free(&r);
}

/* The same decision delivered again and again (retries, a repeated
 * schedule), even once the position is gone: one entry. */
static void test_same_decision_many_times_one_entry(void **state) {
    fixture *f = *state;
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    for (int k = 0; k < 20; k++) {
        trader_result r;
        run(f, btc, 1, &d, &r);
        if (k == 0) assert_string_equal(r.sym[0].step, "executed");
        else assert_string_not_equal(r.sym[0].step, "executed");
        trader_result_free(&r);
        if (k == 3) mx_set_mark(&f->m, "BTCUSDT", 105); /* the take-profit fires */
    }
    assert_int_equal(f->m.entries, 1);
}

/* Two runs racing for one decision: the one that does not hold the claim orders nothing. */
static void test_overlapping_claim_orders_nothing(void **state) {
    fixture *f = *state;
    journal_claim c = {
        .symbol = "BTCUSDT", .candle_ms = CANDLE, .claimed_ms = f->now, .run_id = "other-run"};
    assert_int_equal(journal_claim_put(f->t.s, &c, NULL, NULL), JOURNAL_OK);
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    assert_string_equal(r.sym[0].step, "claim_held");
    assert_non_null(strstr(r.sym[0].status, "other-run"));
    assert_int_equal(f->m.entries, 0);
    trader_result_free(&r);
}

static void test_take_profit_fired_orphan_stop_cancelled_and_journaled(void **state) {
    fixture *f = *state;
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    trader_result_free(&r);
    mx_set_mark(&f->m, "BTCUSDT", 104.5); /* take-profit fires; the stop stays */
    mx_funding(&f->m, "BTCUSDT", -0.25);
    assert_true(mx_find(&f->m, "BTCUSDT")->amount == 0);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 1);
    run(f, btc, 1, NULL, &r);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 0);
    assert_int_equal(r.sym[0].rec.cancelled, 1);
    assert_int_equal(r.sym[0].rec.journaled, 2); /* the entry and the take-profit fill */
    assert_true(r.sym[0].rec.entry_ok);
    trader_result_free(&r);
    /* the trades are in the journal with their kinds; again: nothing new */
    dstr csv = {0};
    assert_int_equal(journal_trade_csv(f->t.s, 10, &csv, NULL), 0);
    assert_non_null(strstr(csv.ptr, "TAKE_PROFIT_MARKET"));
    dstr_free(&csv);
    journal_day_pnl day;
    assert_int_equal(journal_trade_day_pnl(f->t.s, f->m.now_ms, &day, NULL), JOURNAL_OK);
    assert_int_equal(day.trades, 2);
    assert_true(day.realized > 0);
    assert_true(fabs(day.funding + 0.25) < 1e-9);
    run(f, btc, 1, NULL, &r);
    assert_int_equal(r.sym[0].rec.journaled, 0);
    trader_result_free(&r);
}

static void cancel_leg(mem_exchange *m, char leg) {
    char id[EX_CLIENT_ID_LEN];
    exec_client_id("atr", "BTCUSDT", CANDLE, leg, id);
    for (size_t i = 0; i < m->n_algos; i++)
        if (strcmp(m->algos[i].client_id, id) == 0) m->algos[i].status = EX_ALGO_CANCELED;
}

static void test_missing_stop_recreated(void **state) {
    fixture *f = *state;
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    trader_result_free(&r);
    cancel_leg(&f->m, 'S'); /* someone cancelled the stop */
    run(f, btc, 1, NULL, &r);
    assert_int_equal(r.sym[0].rec.recreated, 1);
    assert_int_equal(r.sym[0].rec.protect, EXEC_PROTECTED);
    assert_false(r.sym[0].rec.entry_ok);
    trader_result_free(&r);
    char id[EX_CLIENT_ID_LEN];
    exec_client_id("atr", "BTCUSDT", CANDLE, 's', id);
    const ex_algo_order *st = mx_algo(&f->m, id);
    assert_non_null(st);
    assert_true(fabs(st->trigger_price - 98) < 1e-9);
    assert_true(fabs(st->quantity - mx_find(&f->m, "BTCUSDT")->amount) < 1e-9);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 1);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_TAKE_PROFIT_MARKET), 1);
    assert_int_equal(f->m.entries, 1);
}

static void test_missing_take_profit_recreated(void **state) {
    fixture *f = *state;
    mx_fault_next(&f->m, MX_PLACE_TP, EX_REJECTED, -1008, 0); /* overloaded: the stop stays */
    decision d = worth("BTCUSDT", DIR_SHORT, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    assert_int_equal(r.sym[0].exec.outcome, EXEC_STOP_ONLY);
    trader_result_free(&r);
    run(f, btc, 1, NULL, &r);
    assert_int_equal(r.sym[0].rec.recreated, 1);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_TAKE_PROFIT_MARKET), 1);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 1);
    trader_result_free(&r);
}

/* A position of the bot whose stop is missing and whose plan is not
 * known: closed at market, never left without a stop. */
static void test_unpriceable_missing_stop_closes(void **state) {
    fixture *f = *state;
    mx_manual_position(&f->m, "BTCUSDT", 0.5, 100);
    ex_algo_request tp = {.side = EX_SELL, .type = EX_TAKE_PROFIT_MARKET, .reduce_only = 1};
    snprintf(tp.symbol, sizeof tp.symbol, "BTCUSDT");
    snprintf(tp.trigger_price, sizeof tp.trigger_price, "110.0");
    snprintf(tp.quantity, sizeof tp.quantity, "0.500");
    exec_client_id("atr", "BTCUSDT", CANDLE, 'T', tp.client_id);
    ex_algo_placed placed;
    ex_place_algo_orders(&f->m.ex, &tp, 1, 0, &placed);
    assert_int_equal(placed.r.status, EX_OK);
    trader_result r;
    run(f, btc, 1, NULL, &r);
    assert_true(r.sym[0].rec.ours);
    assert_int_equal(r.sym[0].rec.protect, EXEC_CLOSED);
    assert_true(mx_find(&f->m, "BTCUSDT")->amount == 0);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_TAKE_PROFIT_MARKET), 0);
    assert_non_null(strstr(f->log.ptr, "exec.emergency_close"));
    trader_result_free(&r);
}

static void test_foreign_order_and_position_left_alone(void **state) {
    fixture *f = *state;
    mx_manual_order(&f->m, "BTCUSDT", "web_1234", EX_BUY, 1, 90);
    mx_manual_position(&f->m, "ETHUSDT", -2, 100);
    const char *both[] = {"BTCUSDT", "ETHUSDT"};
    decision ds[2] = {worth("BTCUSDT", DIR_LONG, CANDLE), worth("ETHUSDT", DIR_LONG, CANDLE)};
    int before = f->m.writes;
    trader_result r;
    run(f, both, 2, ds, &r);
    assert_true(r.sym[0].rec.foreign);
    assert_true(r.sym[1].rec.foreign);
    assert_string_equal(r.sym[0].step, "blocked");
    assert_string_equal(r.sym[1].step, "blocked");
    assert_int_equal(f->m.writes, before);
    assert_int_equal(mx_open_orders(&f->m, "BTCUSDT"), 1);
    assert_true(mx_find(&f->m, "ETHUSDT")->amount == -2);
    assert_non_null(strstr(f->log.ptr, "reconcile.foreign"));
    trader_result_free(&r);
}

static void test_dry_run_sends_nothing_that_changes(void **state) {
    fixture *f = *state;
    /* an orphan leg of this bot, a hedge-mode account, a leverage to change */
    ex_algo_request st = {.side = EX_SELL, .type = EX_STOP_MARKET, .reduce_only = 1};
    snprintf(st.symbol, sizeof st.symbol, "BTCUSDT");
    snprintf(st.trigger_price, sizeof st.trigger_price, "90.0");
    snprintf(st.quantity, sizeof st.quantity, "0.500");
    exec_client_id("atr", "BTCUSDT", CANDLE - 300000, 'S', st.client_id);
    ex_algo_placed placed;
    ex_place_algo_orders(&f->m.ex, &st, 1, 0, &placed);
    f->m.hedge_mode = 1;
    mx_find(&f->m, "BTCUSDT")->leverage = 20;
    f->c.execute_trades = 0;
    int before = f->m.writes;
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    assert_int_equal(f->m.writes, before);
    assert_string_equal(r.sym[0].step, "would_enter");
    assert_string_equal(r.outcome, "dry_run");
    assert_non_null(strstr(r.actions.ptr, "would_cancel"));
    assert_non_null(strstr(r.actions.ptr, "would_change"));
    assert_non_null(strstr(r.actions.ptr, "would_enter"));
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 1);
    /* nothing claimed either */
    journal_claim c = {.symbol = "BTCUSDT", .candle_ms = CANDLE, .claimed_ms = 1, .run_id = "x"};
    assert_int_equal(journal_claim_put(f->t.s, &c, NULL, NULL), JOURNAL_OK);
    trader_result_free(&r);
}

/* trader_run's dry run reads the market only: no account part is asked,
 * nothing is sent, and a decision worth an entry is reported as such. */
static void test_dry_run_without_account(void **state) {
    fixture *f = *state;
    f->c.execute_trades = 0;
    trader_request rq = {.symbols = btc, .n = 1, .trigger = "schedule", .run_id = "dry-1"};
    trader_result r;
    trader_begin(&f->env, &rq, &r);
    r.sym[0].sig.d = worth("BTCUSDT", DIR_LONG, CANDLE);
    ex_account a;
    memset(&a, 0, sizeof a);
    trader_act(&f->env, &rq, &a, NULL, &r);
    trader_finish(&f->env, &rq, &r);
    assert_string_equal(r.sym[0].step, "would_enter");
    assert_string_equal(r.outcome, "dry_run");
    assert_false(r.read_failed);
    assert_int_equal(f->m.writes, 0);
    trader_result_free(&r);
}

/* A LIMIT entry that rests is protected by the next run once it filled. */
static void test_limit_entry_filled_later_is_protected(void **state) {
    fixture *f = *state;
    f->c.entry_order_type = "LIMIT";
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    d.entry = 99.5; /* below the mark: it rests */
    trader_result r;
    run(f, btc, 1, &d, &r);
    assert_int_equal(r.sym[0].exec.outcome, EXEC_ENTRY_RESTING);
    trader_result_free(&r);
    /* it fills at its price */
    char id[EX_CLIENT_ID_LEN];
    exec_client_id("atr", "BTCUSDT", CANDLE, 'E', id);
    ex_order *o = (ex_order *)mx_order(&f->m, id);
    assert_non_null(o);
    mx_find(&f->m, "BTCUSDT")->amount = o->orig_qty;
    mx_find(&f->m, "BTCUSDT")->entry = 99.5;
    o->status = EX_ORDER_FILLED;
    run(f, btc, 1, NULL, &r);
    assert_true(r.sym[0].rec.ours);
    assert_int_equal(r.sym[0].rec.protect, EXEC_PROTECTED);
    trader_result_free(&r);
    exec_client_id("atr", "BTCUSDT", CANDLE, 's', id);
    const ex_algo_order *st = mx_algo(&f->m, id);
    assert_non_null(st);
    assert_true(fabs(st->trigger_price - 98) < 1e-9); /* 1.5 below the fill, as decided */
    exec_client_id("atr", "BTCUSDT", CANDLE, 't', id);
    assert_non_null(mx_algo(&f->m, id));
}

/* A LIMIT entry still resting at the next run is cancelled: a decision is
 * acted on in its own run. */
static void test_limit_entry_unfilled_is_cancelled(void **state) {
    fixture *f = *state;
    f->c.entry_order_type = "LIMIT";
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    d.entry = 99.5;
    trader_result r;
    run(f, btc, 1, &d, &r);
    trader_result_free(&r);
    assert_int_equal(mx_open_orders(&f->m, "BTCUSDT"), 1);
    run(f, btc, 1, NULL, &r);
    assert_int_equal(mx_open_orders(&f->m, "BTCUSDT"), 0);
    assert_true(r.sym[0].rec.entry_ok);
    trader_result_free(&r);
}

/* An impossible set-up change blocks that symbol's entry only. */
static void test_setup_refusal_blocks_the_symbol(void **state) {
    fixture *f = *state;
    mx_find(&f->m, "BTCUSDT")->margin = EX_CROSSED;
    mx_find(&f->m, "BTCUSDT")->locked = 1; /* -4048 */
    const char *both[] = {"BTCUSDT", "ETHUSDT"};
    decision ds[2] = {worth("BTCUSDT", DIR_LONG, CANDLE), worth("ETHUSDT", DIR_LONG, CANDLE)};
    trader_result r;
    run(f, both, 2, ds, &r);
    assert_string_equal(r.sym[0].step, "setup_blocked");
    assert_non_null(strstr(r.sym[0].status, "-4048"));
    assert_string_equal(r.sym[1].step, "executed");
    assert_int_equal(f->m.entries, 1);
    trader_result_free(&r);
}

/* An emergency close's fills are journaled as such by the next run. */
static void test_emergency_close_journaled(void **state) {
    fixture *f = *state;
    mx_fault_next(&f->m, MX_PLACE_STOP, EX_REJECTED, -2021, 0);
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    assert_int_equal(r.sym[0].exec.outcome, EXEC_CLOSED);
    trader_result_free(&r);
    run(f, btc, 1, NULL, &r);
    assert_int_equal(r.sym[0].rec.journaled, 2);
    trader_result_free(&r);
    dstr csv = {0};
    assert_int_equal(journal_trade_csv(f->t.s, 10, &csv, NULL), 0);
    assert_non_null(strstr(csv.ptr, "SELL,MARKET"));
    /* the fills carry the client ids of this bot's orders (userTrades do not) */
    assert_non_null(strstr(csv.ptr, "_E,"));
    assert_non_null(strstr(csv.ptr, "_X,"));
    dstr_free(&csv);
    /* each trade record says which build and configuration journaled it */
    store_page page = {0};
    assert_int_equal(store_list(f->t.s, JOURNAL_TRADE_PREFIX, NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 2);
    char hash[PL_CONFIG_HASH_LEN];
    pl_config_hash(&f->c, hash, sizeof hash);
    for (size_t i = 0; i < page.n; i++) {
        dstr rec = {0};
        assert_int_equal(store_get(f->t.s, page.keys[i], &rec, NULL), STORE_OK);
        assert_non_null(strstr(rec.ptr, hash));
        assert_non_null(strstr(rec.ptr, "\"build\":\"dev\""));
        dstr_free(&rec);
    }
    store_page_free(&page);
}

/* trader_run's dry run reads the account when the keys are configured (so
 * reconcile reports what it would do), and only the market without them. */
static void test_dry_run_reads_the_account_with_keys(void **state) {
    fixture *f = *state;
    f->c.execute_trades = 0;
    f->env.predictor = predictor_builtin();
    trader_request rq = {.symbols = btc, .n = 1, .trigger = "schedule", .run_id = "dry-2"};
    trader_result r;
    f->c.binance_api_key = NULL;
    trader_run(&f->env, &rq, &r);
    assert_int_equal(f->m.calls[MX_READ], 0);
    trader_result_free(&r);
    char key[] = "k", secret[] = "s";
    f->c.binance_api_key = key;
    f->c.binance_api_secret = secret;
    trader_run(&f->env, &rq, &r);
    assert_true(f->m.calls[MX_READ] > 0);
    assert_int_equal(f->m.writes, 0);
    assert_string_equal(r.outcome, "dry_run");
    assert_true(r.sym[0].rec.read_ok);
    trader_result_free(&r);
    f->c.binance_api_key = f->c.binance_api_secret = NULL;
}

/* The whole run without an exchange: every symbol FLAT, nothing entered,
 * the run recorded as partial. */
static void test_run_without_exchange(void **state) {
    fixture *f = *state;
    f->env.exchange = NULL;
    f->env.predictor = predictor_builtin();
    trader_request rq = {.symbols = btc, .n = 1, .trigger = "http", .run_id = "bad id!"};
    trader_result r;
    trader_run(&f->env, &rq, &r);
    assert_string_equal(r.sym[0].step, "no_signal");
    assert_string_equal(r.outcome, "partial");
    assert_int_equal(strncmp(r.run_id, "run-", 4), 0); /* an id that is not one is replaced */
    assert_true(r.run_key.len > 0);
    assert_non_null(strstr(r.sym[0].sig.record.ptr, "\"config_hash\""));
    trader_result_free(&r);
}

static void test_kill_switch_refuses(void **state) {
    fixture *f = *state;
    assert_int_equal(
        journal_risk_put_kill(f->t.s, JOURNAL_KILL_TRIP, f->now - 1000, "test", "tester", NULL),
        JOURNAL_OK);
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    assert_string_equal(r.sym[0].step, "risk_refused");
    assert_int_equal(f->m.entries, 0);
    trader_result_free(&r);
}

static void test_drawdown_trips_the_kill_switch(void **state) {
    fixture *f = *state;
    assert_int_equal(journal_risk_put_hwm(f->t.s, f->now - 1000, "20000", "earlier", NULL),
                     JOURNAL_OK);
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r); /* equity 10000: 50 % below the mark */
    assert_string_equal(r.sym[0].step, "risk_refused");
    trader_result_free(&r);
    journal_risk_state rs;
    assert_int_equal(journal_risk_read(f->t.s, &rs, NULL), JOURNAL_OK);
    assert_true(rs.tripped);
}

static void test_max_open_positions_counts_this_runs_entries(void **state) {
    fixture *f = *state;
    f->env.risk.max_open_positions = 1;
    const char *both[] = {"BTCUSDT", "ETHUSDT"};
    decision ds[2] = {worth("BTCUSDT", DIR_LONG, CANDLE), worth("ETHUSDT", DIR_SHORT, CANDLE)};
    trader_result r;
    run(f, both, 2, ds, &r);
    assert_string_equal(r.sym[0].step, "executed");
    assert_string_equal(r.sym[1].step, "risk_refused");
    assert_int_equal(f->m.entries, 1);
    trader_result_free(&r);
}

/* Two symbols worth an entry: both claimed and planned, then their entries
 * in ONE order batch and all four legs in ONE algo batch; one symbol's stop
 * failing closes that one and leaves the other protected. */
static void test_two_symbols_enter_together(void **state) {
    fixture *f = *state;
    const char *both[] = {"BTCUSDT", "ETHUSDT"};
    decision ds[2] = {worth("BTCUSDT", DIR_LONG, CANDLE), worth("ETHUSDT", DIR_SHORT, CANDLE)};
    mx_fault_next(&f->m, MX_PLACE_STOP, EX_OK, 0, 0);
    mx_fault_next(&f->m, MX_PLACE_STOP, EX_REJECTED, -2021, 0); /* ETHUSDT's stop */
    trader_result r;
    run(f, both, 2, ds, &r);
    assert_int_equal(f->m.order_batches, 1);
    assert_int_equal(f->m.algo_batches, 1);
    assert_int_equal(f->m.calls[MX_PLACE_STOP] + f->m.calls[MX_PLACE_TP], 4);
    assert_string_equal(r.sym[0].step, "executed");
    assert_int_equal(r.sym[0].exec.outcome, EXEC_PROTECTED);
    assert_int_equal(r.sym[1].exec.outcome, EXEC_CLOSED);
    assert_true(mx_find(&f->m, "BTCUSDT")->amount > 0);
    assert_true(mx_find(&f->m, "ETHUSDT")->amount == 0);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 1);
    assert_int_equal(mx_open_algos(&f->m, "ETHUSDT", EX_STOP_MARKET) +
                         mx_open_algos(&f->m, "ETHUSDT", EX_TAKE_PROFIT_MARKET),
                     0);
    /* both decisions claimed: a second run orders nothing */
    trader_result again;
    f->now -= 300000; /* the same candle */
    run(f, both, 2, ds, &again);
    assert_string_equal(again.sym[1].step, "claim_held");
    assert_int_equal(f->m.order_batches, 1);
    trader_result_free(&again);
    trader_result_free(&r);
}

static void test_no_journal_no_entry(void **state) {
    fixture *f = *state;
    f->env.journal = NULL;
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    assert_string_not_equal(r.sym[0].step, "executed");
    assert_int_equal(f->m.entries, 0);
    trader_result_free(&r);
}

static void test_unreadable_account_no_entry(void **state) {
    fixture *f = *state;
    mx_fault_next(&f->m, MX_READ, EX_TIMEOUT, 0, 0);
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    assert_string_equal(r.sym[0].step, "blocked");
    assert_string_equal(r.outcome, "partial");
    assert_int_equal(f->m.writes, 0);
    trader_result_free(&r);
}

static void test_answer_json_parses(void **state) {
    fixture *f = *state;
    decision d = worth("BTCUSDT", DIR_LONG, CANDLE);
    trader_result r;
    run(f, btc, 1, &d, &r);
    dstr j = {0};
    trader_result_json(&r, &j);
    assert_non_null(strstr(j.ptr, "\"outcome\":\"protected\""));
    assert_non_null(strstr(j.ptr, "\"config_hash\":\""));
    dstr_free(&j);
    trader_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entry_is_protected_claimed_planned_and_recorded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_same_decision_many_times_one_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlapping_claim_orders_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_profit_fired_orphan_stop_cancelled_and_journaled,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_stop_recreated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_take_profit_recreated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpriceable_missing_stop_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_order_and_position_left_alone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_sends_nothing_that_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_without_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_reads_the_account_with_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_entry_filled_later_is_protected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_limit_entry_unfilled_is_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setup_refusal_blocks_the_symbol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emergency_close_journaled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_without_exchange, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_switch_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drawdown_trips_the_kill_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_open_positions_counts_this_runs_entries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_two_symbols_enter_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_journal_no_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_account_no_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_json_parses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
