/* sizing: the README's worked example figure by figure, each cap, each
 * refusal with its reason, the rounding of the legs toward the entry, the
 * loss bound over a grid of inputs, and the legs re-derived from a fill.
 * Unless a case says otherwise: BTCUSDT-like rules (tick 0.1, step 0.001,
 * min qty 0.001, market max 120, min notional 100), RISK_USDT 100,
 * FEE_TAKER 0.0005, SLIPPAGE_BPS 5, MAX_NOTIONAL_USDT 10000, leverage 5,
 * RR_MIN 1.2, the default maintenance-margin rate, 5000 USDT available. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "btc_rules.h"
#include "domain/sizing.h"

static sizing_params params(void) {
    return (sizing_params){.risk_usdt = 100,
                           .fee_taker = 0.0005,
                           .slippage_bps = 5,
                           .max_notional_usdt = 10000,
                           .leverage = 5,
                           .rr_min = 1.2,
                           .mmr = SIZING_DEFAULT_MMR};
}

static void near(double got, double want, const char *what) {
    if (!(fabs(got - want) <= 1e-9 * fmax(1, fabs(want))))
        fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

/* README "Sizing": keep the two in step. */
static void test_readme_example(void **state) {
    (void)state;
    symbol_rules r = btc_rules();
    sizing_params p = params();
    sizing_input in = {DIR_LONG, 60000.03, 59399.96, 61080.07, 5000, 1, &r};
    sizing_result o;
    assert_int_equal(sizing_make(&in, &p, &o), SIZING_OK);
    assert_string_equal(o.reason, "");
    assert_string_equal(o.entry_text, "60000.0");
    assert_string_equal(o.sl_text, "59400.0"); /* up, toward the entry */
    assert_string_equal(o.tp_text, "61080.0"); /* down, toward the entry */
    near(o.rr, 1.8, "rr");
    near(o.cost_per_unit, 119.4, "cost per unit"); /* (0.0005 + 0.0005) * (60000 + 59400) */
    assert_string_equal(o.qty_text, "0.139");      /* 100 / 719.4 = 0.13900 */
    near(o.qty, 0.139, "qty");
    assert_string_equal(o.cap, "risk");
    near(o.notional, 8340, "notional");
    near(o.margin, 1668, "margin");
    near(o.loss_at_stop, 99.9966, "loss at stop");
    assert_true(fabs(o.liq_price - 48192.77) < 0.005); /* 60000 * 0.8 / 0.996 */
    /* the two caps the README quotes: the balance allows 0.4156, MAX_NOTIONAL_USDT 0.1667 */
    p.risk_usdt = 1000;
    p.max_notional_usdt = 0;
    assert_int_equal(sizing_make(&in, &p, &o), SIZING_OK);
    assert_string_equal(o.qty_text, "0.415");
    assert_string_equal(o.cap, "balance");
    p.max_notional_usdt = 10000;
    assert_int_equal(sizing_make(&in, &p, &o), SIZING_OK);
    assert_string_equal(o.qty_text, "0.166");
    assert_string_equal(o.cap, "max_notional");
    p = params();
    assert_int_equal(sizing_make(&in, &p, &o), SIZING_OK);
    sizing_legs legs;
    assert_int_equal(
        sizing_legs_from_fill(DIR_LONG, 60012.4, o.qty, o.entry - o.sl, o.tp - o.entry, &r, &legs),
        SIZING_OK);
    assert_string_equal(legs.sl_text, "59412.4");
    assert_string_equal(legs.tp_text, "61092.4");
}

static void test_short_mirrors(void **state) {
    (void)state;
    symbol_rules r = btc_rules();
    sizing_params p = params();
    sizing_input in = {DIR_SHORT, 60000, 60600.04, 58919.93, 5000, 1, &r};
    sizing_result o;
    assert_int_equal(sizing_make(&in, &p, &o), SIZING_OK);
    assert_string_equal(o.sl_text, "60600.0"); /* down, toward the entry */
    assert_string_equal(o.tp_text, "58920.0"); /* up, toward the entry */
    near(o.cost_per_unit, 0.001 * 120600, "cost per unit");
    assert_string_equal(o.qty_text, "0.138"); /* 100 / 720.6 = 0.13877 */
    near(o.loss_at_stop, 0.138 * 720.6, "loss at stop");
    near(o.liq_price, 60000 * 1.2 / 1.004, "liquidation");
    assert_true(o.liq_price > o.sl);
}

typedef struct cap_case {
    const char *name;
    double balance, max_notional, market_max_qty;
    const char *qty_text, *cap;
} cap_case;

static void test_caps(void **state) {
    (void)state;
    static const cap_case cases[] = {
        {"balance: 1000 / (60000 * (0.2 + 0.0005))", 1000, 10000, 120, "0.083", "balance"},
        {"max notional: 4000 / 60000", 5000, 4000, 120, "0.066", "max_notional"},
        {"no notional cap of our own", 50000, 0, 120, "0.139", "risk"},
        {"exchange max qty", 5000, 10000, 0.05, "0.050", "max_qty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const cap_case *c = &cases[i];
        symbol_rules r = btc_rules();
        r.market_lot.max_qty = c->market_max_qty;
        sizing_params p = params();
        p.max_notional_usdt = c->max_notional;
        sizing_input in = {DIR_LONG, 60000, 59400, 61080, c->balance, 1, &r};
        sizing_result o;
        sizing_status st = sizing_make(&in, &p, &o);
        if (st != SIZING_OK || strcmp(o.qty_text, c->qty_text) || strcmp(o.cap, c->cap))
            fail_msg("%s: status %d (%s), qty %s cap %s", c->name, st, o.reason, o.qty_text, o.cap);
        assert_true(o.loss_at_stop <= p.risk_usdt);
        assert_true(o.margin + o.notional * p.fee_taker <= c->balance);
    }
}

typedef struct refusal_case {
    const char *name;
    direction dir;
    double entry, sl, tp, balance;
    int leverage;        /* 0: 5 */
    double risk, rr_min; /* 0: the defaults */
    double tick;         /* 0: 0.1 */
    const char *status;  /* NULL: TRADING */
    int limit;           /* 1: LIMIT entry */
    sizing_status want;
    const char *reason;
} refusal_case;

static void test_refusals(void **state) {
    (void)state;
    static const refusal_case cases[] = {
        {"risk budget too small", DIR_LONG, 60000, 59400, 61080, 5000, 0, 0.5, 0, 0, NULL, 0,
         SIZING_TOO_SMALL, "quantity 0.000695024 (bound by risk) rounds down to 0 at step 0.001"},
        {"min notional", DIR_LONG, 60000, 59400, 61080, 5000, 0, 1, 0, 0, NULL, 0, SIZING_TOO_SMALL,
         "entry: notional 60 < min 100"},
        {"not trading", DIR_LONG, 60000, 59400, 61080, 5000, 0, 0, 0, 0, "SETTLING", 0,
         SIZING_EXCHANGE, "entry: BTCUSDT status SETTLING, not TRADING"},
        {"liquidation before the stop", DIR_LONG, 60000, 59400, 61080, 5000, 100, 0, 0, 0, NULL, 0,
         SIZING_LIQUIDATION,
         "estimated liquidation 59638.55 not beyond the stop 59400 (leverage 100)"},
        {"short liquidation before the stop", DIR_SHORT, 60000, 60600, 58920, 5000, 100, 0, 0, 0,
         NULL, 0, SIZING_LIQUIDATION,
         "estimated liquidation 60358.57 not beyond the stop 60600 (leverage 100)"},
        {"rr falls below the minimum by rounding", DIR_LONG, 60000, 59400, 60725, 5000, 0, 0, 1.207,
         10, NULL, 0, SIZING_LEVELS, "rr 1.20 < min 1.21 after rounding to the tick"},
        {"stop rounds onto the entry", DIR_LONG, 60000, 59995, 61080, 5000, 0, 0, 0, 10, NULL, 0,
         SIZING_LEVELS, "stop 59995 rounds onto the entry 60000 (tick 10)"},
        {"take-profit rounds onto the entry", DIR_SHORT, 60000, 60600, 59995, 5000, 0, 0, 0, 10,
         NULL, 0, SIZING_LEVELS, "take-profit 59995 rounds onto the entry 60000 (tick 10)"},
        {"a LIMIT entry is sized the same way", DIR_LONG, 60000, 59400, 61080, 5000, 0, 0, 0, 0,
         NULL, 1, SIZING_OK, ""},
        {"levels on the wrong side", DIR_LONG, 60000, 60100, 61080, 5000, 0, 0, 0, 0, NULL, 0,
         SIZING_BAD_INPUT, "levels sl 60100, entry 60000, tp 61080 not in order for LONG"},
        {"flat", DIR_FLAT, 60000, 59400, 61080, 5000, 0, 0, 0, 0, NULL, 0, SIZING_BAD_INPUT,
         "direction FLAT"},
        {"unknown balance", DIR_LONG, 60000, 59400, 61080, NAN, 0, 0, 0, 0, NULL, 0,
         SIZING_BAD_INPUT, "available balance nan unknown"},
        {"no balance", DIR_LONG, 60000, 59400, 61080, 0, 0, 0, 0, 0, NULL, 0, SIZING_TOO_SMALL,
         "quantity 0 (bound by balance) rounds down to 0 at step 0.001"},
        {"leverage out of range", DIR_LONG, 60000, 59400, 61080, 5000, 126, 0, 0, 0, NULL, 0,
         SIZING_BAD_INPUT, "leverage not within 1..125"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const refusal_case *c = &cases[i];
        symbol_rules r = btc_rules();
        if (c->status) strcpy(r.status, c->status);
        if (c->tick) r.tick = (step_rule){c->tick, 0};
        sizing_params p = params();
        if (c->leverage) p.leverage = c->leverage;
        if (c->risk) p.risk_usdt = c->risk;
        if (c->rr_min) p.rr_min = c->rr_min;
        sizing_input in = {c->dir, c->entry, c->sl, c->tp, c->balance, !c->limit, &r};
        sizing_result o;
        sizing_status st = sizing_make(&in, &p, &o);
        if (st != c->want || strcmp(o.reason, c->reason) != 0)
            fail_msg("%s: status %d (want %d), reason \"%s\" (want \"%s\")", c->name, st, c->want,
                     o.reason, c->reason);
    }
}

/* The entry's step and the legs' step differ: the quantity is a whole
 * number of both, printed with the finer one's decimals. */
static void test_two_steps(void **state) {
    (void)state;
    symbol_rules r = btc_rules();
    r.market_lot.step = (step_rule){0.01, 2};
    sizing_params p = params();
    sizing_input in = {DIR_LONG, 60000, 59400, 61080, 5000, 1, &r};
    sizing_result o;
    assert_int_equal(sizing_make(&in, &p, &o), SIZING_OK);
    assert_string_equal(o.qty_text, "0.130");
    r.market_lot.step = (step_rule){0.001, 3};
    r.lot.step = (step_rule){0.005, 3};
    assert_int_equal(sizing_make(&in, &p, &o), SIZING_OK);
    assert_string_equal(o.qty_text, "0.135");
}

/* Whatever the inputs, an accepted size never loses more than RISK_USDT at
 * the stop, and its levels are on the tick on the right sides. */
static void test_loss_bound_grid(void **state) {
    (void)state;
    symbol_rules r = btc_rules();
    sizing_params p = params();
    p.max_notional_usdt = 0;
    size_t accepted = 0;
    for (int k = 0; k < 2000; k++) {
        direction dir = k % 2 ? DIR_LONG : DIR_SHORT;
        int side = dir == DIR_LONG ? 1 : -1;
        double entry = 20000 + 37.77 * k;
        double dist = 50 + 3.13 * (k % 97);
        p.risk_usdt = 5 + 0.71 * (k % 211);
        p.slippage_bps = (k % 7) * 1.5;
        p.leverage = 1 + k % 20;
        sizing_input in = {dir,        entry, entry - side * dist, entry + side * 2 * dist, 1e6,
                           k % 3 != 0, &r};
        sizing_result o;
        if (sizing_make(&in, &p, &o) != SIZING_OK) continue;
        accepted++;
        if (!(o.loss_at_stop <= p.risk_usdt + 1e-9))
            fail_msg("case %d: loss %.17g > risk %.17g", k, o.loss_at_stop, p.risk_usdt);
        assert_true(fabs(o.entry - in.entry) <= 0.05 + 1e-9); /* the nearest tick */
        assert_true(side * (o.sl - in.sl) >= -1e-9);          /* moved toward the entry */
        assert_true(side * (in.tp - o.tp) >= -1e-9);
        char why[128];
        assert_int_equal(sr_check_order(&r, SR_EXIT_LEG, o.qty, o.sl, why, sizeof why), SR_OK);
        assert_int_equal(sr_check_order(&r, SR_EXIT_LEG, o.qty, o.tp, why, sizeof why), SR_OK);
    }
    assert_true(accepted > 1000); /* the grid exercises the accepting path */
}

static void test_legs_from_fill(void **state) {
    (void)state;
    symbol_rules r = btc_rules();
    sizing_legs l;
    /* a fill off the tick: each leg rounded toward it */
    assert_int_equal(sizing_legs_from_fill(DIR_LONG, 60012.45, 0.139, 600, 1080, &r, &l),
                     SIZING_OK);
    assert_string_equal(l.sl_text, "59412.5");
    assert_string_equal(l.tp_text, "61092.4");
    assert_string_equal(l.reason, "");
    assert_int_equal(sizing_legs_from_fill(DIR_SHORT, 59987.65, 0.139, 600, 1080, &r, &l),
                     SIZING_OK);
    assert_string_equal(l.sl_text, "60587.6");
    assert_string_equal(l.tp_text, "58907.7");
    /* a distance under one tick rounds onto the fill */
    assert_int_equal(sizing_legs_from_fill(DIR_LONG, 60000, 0.139, 0.05, 1080, &r, &l),
                     SIZING_LEVELS);
    assert_string_equal(l.reason, "legs 60000 / 61080 not on both sides of the fill 60000");
    /* a short's stop above the price filter */
    r.max_price = 60500;
    assert_int_equal(sizing_legs_from_fill(DIR_SHORT, 60000, 0.139, 600, 1080, &r, &l),
                     SIZING_EXCHANGE);
    assert_string_equal(l.reason, "stop: price 60600 > max 60500");
    assert_int_equal(sizing_legs_from_fill(DIR_LONG, 60000, 0, 600, 1080, &r, &l),
                     SIZING_BAD_INPUT);
    assert_int_equal(sizing_legs_from_fill(DIR_FLAT, 60000, 1, 600, 1080, &r, &l),
                     SIZING_BAD_INPUT);
    assert_int_equal(sizing_legs_from_fill(DIR_LONG, 60000, 1, 70000, 1080, &r, &l),
                     SIZING_LEVELS); /* the stop would be below 0 */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_example), cmocka_unit_test(test_short_mirrors),
        cmocka_unit_test(test_caps),           cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_two_steps),      cmocka_unit_test(test_loss_bound_grid),
        cmocka_unit_test(test_legs_from_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
