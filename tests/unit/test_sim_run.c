/* sim_run: the trader's own run stepped every 5 minutes over 8 hours of the
 * bundled history (2025-12-17 19:35 UTC on, BTCUSDT and ETHUSDT) on the
 * simulated exchange, with the trader's default configuration and a
 * 10000 USDT CROSSED account (funding assumed at 0.01 % where the bundled
 * history has none). What must hold: the run trades (entries happen and
 * settle); the wallet is the start plus every income entry, and each
 * record of the trade journal (what reconcile wrote of settled trades)
 * carries the realised PnL and fee of its order's fills on the exchange; the
 * equity identity holds after every step, not only at the end; no leg is
 * left on a flat symbol and every open position has its stop (reconcile
 * cleaned what fired); and the same period run twice gives the same account,
 * cent for cent. */
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
#include "platform/log.h"
#include "pipelines/sim_record.h"
#include "pipelines/sim_run.h"
#include "services/journal_trade.h"
#include "tmpstore.h"

#define FROM 1766000100000LL /* 2025-12-17 19:35 UTC, a 5m close */
#define HOURS 8

static const char *const syms[] = {"BTCUSDT", "ETHUSDT"};

typedef struct outcome {
    sim_run_stats st;
    sim_report rep;
    double journal_realized;
    size_t journal_trades, journal_mismatches;
    size_t legs_on_flat, unprotected;
    dstr summary; /* the record's summary.json */
    dstr report;  /* its report.html */
    size_t equity_rows;
    size_t identity_breaks;
} outcome;

typedef struct stepper {
    sim_record record;
    exchange *ex;
    sim_exchange *sim;
    size_t identity_breaks; /* steps after which the equity identity did not hold */
} stepper;

/* After every step, not only at the end: wallet = start + realised PnL - fees
 * + funding + insurance clear, the recorded wallet is the exchange's, and
 * equity = wallet + the open positions' unrealised PnL at the price now. */
static void record_step(void *ctx, int64_t t, const trader_result *r) {
    (void)r;
    stepper *k = ctx;
    sim_record_point(&k->record, k->ex, t);
    sim_report rep;
    sim_report_make(k->sim, &rep);
    const sim_point *p = &k->record.v[k->record.n - 1];
    ex_read_spec rs = {.parts = EX_READ_POSITIONS};
    ex_account a;
    ex_read(k->ex, &rs, t, 0, NULL, &a);
    double unrealized = 0;
    for (size_t i = 0; i < a.n_positions; i++)
        unrealized += a.positions[i].amount *
                      (sim_price(k->sim, a.positions[i].symbol) - a.positions[i].entry_price);
    ex_account_free(&a);
    k->identity_breaks +=
        !(fabs(rep.wallet - (rep.start_balance + rep.realized_pnl - rep.commission + rep.funding +
                             rep.insurance_clear)) < 1e-6 &&
          fabs(p->wallet - rep.wallet) < 1e-9 && fabs(p->unrealized - unrealized) < 1e-6);
    sim_report_free(&rep);
}

/* A number of summary.json by its key; NAN when absent. */
static double summary_num(const dstr *sum, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *at = strstr(dstr_cstr(sum), pat);
    return at ? strtod(at + strlen(pat), NULL) : NAN;
}

/* Field col (0-based) of a CSV line as a number; NAN when absent. */
static double field(const char *line, int col) {
    for (int i = 0; i < col && line; i++) {
        line = strchr(line, ',');
        if (line) line++;
    }
    return line ? strtod(line, NULL) : NAN;
}

/* Compares each row of the trade journal's CSV with the exchange's fills
 * of its order: the realised PnL and fee of the row against theirs. */
static void compare_journal(const char *csv, const ex_account *a, outcome *o) {
    const char *line = strstr(csv, "\r\n");
    while (line && line[2]) {
        line += 2;
        int64_t order_id = (int64_t)field(line, 7);
        double realized = 0, fee = 0;
        int found = 0;
        for (size_t i = 0; i < a->n_trades; i++)
            if (a->trades[i].order_id == order_id) {
                realized += a->trades[i].realized_pnl;
                fee += a->trades[i].commission;
                found = 1;
            }
        o->journal_trades++;
        o->journal_mismatches +=
            !found || fabs(field(line, 9) - realized) > 1e-6 || fabs(field(line, 10) - fee) > 1e-6;
        o->journal_realized += field(line, 9);
        line = strstr(line, "\r\n");
    }
}

static void run_once(outcome *o) {
    memset(o, 0, sizeof *o);
    cfg c;
    dstr err = {0};
    assert_int_equal(cfg_load(&c, &err), 0); /* the trader's defaults */
    sim_config sc = {.balance = 10000,
                     .fee_taker = c.fee_taker,
                     .fee_maker = c.fee_maker,
                     .slippage_bps = c.slippage_bps,
                     .margin_type = EX_CROSSED,
                     .assume_funding = 1,
                     .assumed_rate = 0.0001,
                     .start_ms = FROM - 1};
    sim_exchange *s = sim_exchange_new(&sc);
    assert_int_equal(sim_exchange_load(s, "tests/data/binance", syms, 2, &err), 0);
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    log_init("test");
    log_set_level(LOG_ERROR); /* thousands of INFO lines otherwise */
    stepper steps = {.ex = sim_exchange_table(s), .sim = s};
    sim_run_spec spec = {.cfg = &c,
                         .sim = s,
                         .journal = t.s,
                         .symbols = syms,
                         .n = 2,
                         .from_ms = FROM,
                         .to_ms = FROM + HOURS * 3600000LL,
                         .on_step = record_step,
                         .ctx = &steps};
    sim_run(&spec, &o->st);
    log_set_level(LOG_INFO);
    sim_report_make(s, &o->rep);
    /* the account as the next run would find it */
    ex_read_spec rs = {.symbols = syms,
                       .n_symbols = 2,
                       .parts = EX_READ_POSITIONS | EX_READ_OPEN_ALGO_ORDERS | EX_READ_INCOME |
                                EX_READ_TRADES,
                       .since_ms = FROM};
    ex_account a;
    ex_read(sim_exchange_table(s), &rs, sim_now(s), 0, NULL, &a);
    for (size_t i = 0; i < 2; i++) {
        const ex_position *p = ex_account_position(&a, syms[i]);
        size_t legs = 0, stops = 0;
        for (size_t k = 0; k < a.n_algo_orders; k++)
            if (!strcmp(a.algo_orders[k].symbol, syms[i])) {
                legs++;
                stops += !strcmp(a.algo_orders[k].type, "STOP_MARKET");
            }
        if (!p || !p->amount) o->legs_on_flat += legs;
        else o->unprotected += stops == 0;
    }
    dstr csv = {0};
    assert_int_equal(journal_trade_csv(t.s, 1000, &csv, &err), 0);
    compare_journal(dstr_cstr(&csv), &a, o);
    dstr_free(&csv);
    /* the run's record, in a folder of its own */
    tmpstore folder;
    assert_int_equal(tmpstore_open(&folder, 1), 0);
    sim_record_meta meta = {.symbols = syms,
                            .n = 2,
                            .from_ms = FROM,
                            .to_ms = FROM + HOURS * 3600000LL,
                            .step_ms = SIM_RUN_DEFAULT_STEP_MS,
                            .config_hash = "0123456789abcdef",
                            .risk_usdt = c.risk_usdt};
    assert_int_equal(sim_record_write(folder.s, t.s, &steps.record, s, &o->st, &meta, &err), 0);
    assert_int_equal(store_get(folder.s, "summary.json", &o->summary, &err), STORE_OK);
    assert_int_equal(store_get(folder.s, "report.html", &o->report, &err), STORE_OK);
    dstr eq = {0};
    assert_int_equal(store_get(folder.s, "equity.csv", &eq, &err), STORE_OK);
    for (const char *p = eq.ptr; (p = strstr(p, "\r\n")); p += 2) o->equity_rows++;
    dstr_free(&eq);
    tmpstore_close(&folder);
    o->identity_breaks = steps.identity_breaks;
    sim_record_free(&steps.record);
    double income = 0;
    for (size_t i = 0; i < a.n_income; i++) income += a.income[i].amount;
    assert_true(fabs(o->rep.wallet - (10000 + income)) < 1e-6);
    ex_account_free(&a);
    tmpstore_close(&t);
    sim_exchange_free(s);
    cfg_free(&c);
    dstr_free(&err);
}

static void test_trader_on_the_simulated_exchange(void **state) {
    (void)state;
    outcome a, b;
    run_once(&a);
    assert_int_equal(a.st.steps, HOURS * 12 + 1);
    assert_int_equal(a.st.outcomes[0], a.st.steps); /* every run "ok" */
    assert_true(a.st.executed >= 2);                /* it traded */
    assert_true(a.rep.fills > a.st.executed);       /* and at least one exit */
    assert_int_equal(a.identity_breaks, 0);         /* after every step (record_step) */
    /* equity identity: end = start + realised PnL - fees + funding */
    assert_true(fabs(a.rep.wallet - (a.rep.start_balance + a.rep.realized_pnl - a.rep.commission +
                                     a.rep.funding + a.rep.insurance_clear)) < 1e-6);
    assert_true(a.rep.funding != 0);
    /* the trade journal (reconcile's records of settled trades) is the exchange's fills;
     * entries realise nothing, so every realised PnL is in it */
    assert_true(a.journal_trades >= 2);
    assert_int_equal(a.journal_mismatches, 0);
    assert_true(fabs(a.journal_realized - a.rep.realized_pnl) < 1e-6);
    assert_int_equal(a.legs_on_flat, 0);
    assert_int_equal(a.unprotected, 0);
    /* the record: one equity row a run (and the header); its numbers agree */
    assert_int_equal(a.equity_rows, a.st.steps + 1);
    double start = summary_num(&a.summary, "start_equity"),
           end = summary_num(&a.summary, "end_equity");
    assert_true(start == 10000);
    assert_true(fabs(end - (start + summary_num(&a.summary, "net_pnl") +
                            summary_num(&a.summary, "unrealized_pnl"))) < 1e-6);
    assert_true(fabs(summary_num(&a.summary, "end_wallet") - a.rep.wallet) < 1e-8);
    assert_true(summary_num(&a.summary, "entries") == (double)a.st.executed);
    assert_true(summary_num(&a.summary, "max_drawdown") > 0);
    /* the report: two charts (equity, drawdown) of one point a run, no script */
    const char *html = dstr_cstr(&a.report), *svg2 = strstr(html, "<svg");
    assert_non_null(svg2);
    assert_non_null(strstr(svg2 + 1, "<svg"));
    assert_null(strstr(html, "<script"));
    const char *points = strstr(html, "points=\"");
    assert_non_null(points);
    size_t commas = 0;
    for (const char *p = points + 8; *p != '"'; p++) commas += *p == ',';
    assert_int_equal(commas, a.st.steps);
    assert_non_null(strstr(html, "<th>max_drawdown_pct</th>"));
    /* the round trips account for every fill: their nets are gross PnL - fees */
    assert_true(summary_num(&a.summary, "closed_trades") >= 1);
    assert_true(summary_num(&a.summary, "wins") + summary_num(&a.summary, "losses") ==
                summary_num(&a.summary, "closed_trades"));
    assert_true(fabs(summary_num(&a.summary, "closed_trades_net") +
                     summary_num(&a.summary, "open_trade_net") -
                     (summary_num(&a.summary, "gross_pnl") - summary_num(&a.summary, "fees"))) <
                1e-6);
    double exposure = summary_num(&a.summary, "exposure");
    assert_true(exposure > 0 && exposure <= 1);
    /* the same period again: the same account */
    run_once(&b);
    assert_int_equal(b.st.executed, a.st.executed);
    assert_int_equal(b.rep.fills, a.rep.fills);
    assert_true(b.rep.wallet == a.rep.wallet);
    assert_true(b.rep.realized_pnl == a.rep.realized_pnl);
    assert_string_equal(dstr_cstr(&b.summary), dstr_cstr(&a.summary)); /* the same bytes */
    dstr_free(&a.summary);
    dstr_free(&b.summary);
    dstr_free(&a.report);
    dstr_free(&b.report);
    sim_report_free(&a.rep);
    sim_report_free(&b.rep);
}

static int64_t fixed_now(void *ctx) { return *(const int64_t *)ctx; }

/* The journal's newest-first readers start from the store's now: a record
 * 500 days older than the wall clock (beyond JOURNAL_MAX_EMPTY_DAYS empty
 * days) is out of a wall-clock reader's reach, and found when the store is
 * on the clock it was written in (what sim_run sets). */
static void test_journal_on_a_simulated_clock(void **state) {
    (void)state;
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    int64_t then = clock_wall_ms() - 500 * 86400000LL;
    journal_trade tr = {.time_ms = then,
                        .symbol = "BTCUSDT",
                        .side = "BUY",
                        .type = "MARKET",
                        .status = "FILLED",
                        .qty = "0.010",
                        .price = "100050",
                        .realized_pnl = "0",
                        .fee = "0.50025",
                        .fee_asset = "USDT",
                        .order_id = 1001};
    dstr err = {0}, csv = {0};
    log_set_level(LOG_ERROR);
    assert_int_equal(journal_trade_put(t.s, &tr, NULL, &err), JOURNAL_OK);
    assert_int_equal(journal_trade_csv(t.s, 10, &csv, &err), 0);
    assert_null(strstr(dstr_cstr(&csv), "BTCUSDT")); /* the header only */
    clock_src clk = {.now_ms = fixed_now, .ctx = &then};
    store_set_clock(t.s, &clk);
    assert_int_equal(store_now(t.s), then);
    dstr_clear(&csv);
    assert_int_equal(journal_trade_csv(t.s, 10, &csv, &err), 0);
    assert_non_null(strstr(dstr_cstr(&csv), "BTCUSDT"));
    log_set_level(LOG_INFO);
    dstr_free(&csv);
    dstr_free(&err);
    tmpstore_close(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trader_on_the_simulated_exchange),
        cmocka_unit_test(test_journal_on_a_simulated_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
