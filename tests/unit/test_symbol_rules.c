/* symbol_rules: rounding to steps (with decimal values that binary cannot
 * hold exactly), rounding toward a reference, formatting with the step's
 * decimals, and each rule of sr_check_order with its text. The symbol is
 * BTCUSDT-like: tick 0.1, step 0.001 (market step 0.01), min qty 0.001,
 * max qty 1000 (market 120), prices 100..1000000, min notional 100. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "btc_rules.h"
#include "domain/symbol_rules.h"

static symbol_rules btc(void) {
    symbol_rules r = btc_rules();
    r.market_lot.step = (step_rule){0.01, 2};
    return r;
}

static void test_round_down_up(void **state) {
    (void)state;
    step_rule s = {0.1, 1}, q = {0.001, 3}, ten = {10, 0};
    assert_true(sr_round_down(0.3, &s) == 0.3); /* 0.3 / 0.1 = 2.9999999999999996 */
    assert_true(sr_round_down(0.39, &s) == 0.3);
    assert_true(sr_round_up(0.31, &s) == 0.4);
    assert_true(sr_round_up(0.3, &s) == 0.3);
    assert_true(sr_round_down(0.0999, &s) == 0);
    assert_true(sr_round_down(1.2345678, &q) == 1.234);
    assert_true(sr_round_up(1.2341, &q) == 1.235);
    assert_true(sr_round_down(123456.789, &q) == 123456.789);
    assert_true(sr_round_down(1999, &ten) == 1990);
    assert_true(sr_round_up(1991, &ten) == 2000);
    assert_true(sr_round_down(-0.15, &s) == -0.2); /* floor, not toward zero */
    step_rule zero = {0, 0}, bad = {0.1, -1};
    assert_true(isnan(sr_round_down(1, &zero)));
    assert_true(isnan(sr_round_up(1, &bad)));
    assert_true(isnan(sr_round_down(NAN, &s)));
    assert_true(isnan(sr_round_down(INFINITY, &s)));
}

static void test_price_toward(void **state) {
    (void)state;
    symbol_rules r = btc();
    /* a LONG's stop below the entry goes up, its target above goes down */
    assert_true(sr_price_toward(&r, 59399.96, 60000) == 59400.0);
    assert_true(sr_price_toward(&r, 61080.07, 60000) == 61080.0);
    /* a SHORT's stop above goes down, its target below goes up */
    assert_true(sr_price_toward(&r, 60600.09, 60000) == 60600.0);
    assert_true(sr_price_toward(&r, 58920.01, 60000) == 58920.1);
    /* on the tick already: unchanged either way */
    assert_true(sr_price_toward(&r, 59400.1, 60000) == 59400.1);
    assert_true(sr_price_toward(&r, 59400.1, 1) == 59400.1);
    /* equal reference: nearest */
    assert_true(sr_price_toward(&r, 100.06, 100.06) == 100.1);
    assert_true(sr_price_toward(&r, 100.04, 100.04) == 100.0);
    assert_true(isnan(sr_price_toward(&r, 100, NAN)));
}

static void test_format(void **state) {
    (void)state;
    step_rule q = {0.001, 3}, ten = {10, 0}, fine = {0.00000001, 8};
    char buf[32];
    assert_int_equal(sr_format(0.139, &q, buf, sizeof buf), 5);
    assert_string_equal(buf, "0.139");
    assert_int_equal(sr_format(2, &q, buf, sizeof buf), 5);
    assert_string_equal(buf, "2.000");
    assert_int_equal(sr_format(1990, &ten, buf, sizeof buf), 4);
    assert_string_equal(buf, "1990");
    sr_format(0.00000123, &fine, buf, sizeof buf);
    assert_string_equal(buf, "0.00000123"); /* never an exponent */
    sr_format(0.3, &(step_rule){0.1, 1}, buf, sizeof buf);
    assert_string_equal(buf, "0.3");
    assert_int_equal(sr_format(-1, &q, buf, sizeof buf), -1);
    assert_string_equal(buf, "");
    assert_int_equal(sr_format(NAN, &q, buf, sizeof buf), -1);
    char small[5];
    assert_int_equal(sr_format(12.5, &q, small, sizeof small), -1); /* "12.500" */
    assert_string_equal(small, "");
    assert_int_equal(sr_format(1e300, &q, buf, sizeof buf), -1);
}

typedef struct check_case {
    const char *name;
    sr_order_kind kind;
    const char *status;
    double qty, price;
    sr_status want;
    const char *why;
} check_case;

static void test_check_order(void **state) {
    (void)state;
    static const check_case cases[] = {
        {"market entry ok", SR_MARKET_ENTRY, NULL, 0.14, 60000, SR_OK, ""},
        {"limit entry ok", SR_LIMIT_ENTRY, NULL, 0.139, 60000.1, SR_OK, ""},
        {"not trading", SR_MARKET_ENTRY, "SETTLING", 0.14, 60000, SR_NOT_TRADING,
         "BTCUSDT status SETTLING, not TRADING"},
        {"exit while settling is fine", SR_MARKET_EXIT, "SETTLING", 0.14, 60000, SR_OK, ""},
        {"leg while settling is fine", SR_EXIT_LEG, "SETTLING", 0.139, 59400, SR_OK, ""},
        {"market step", SR_MARKET_ENTRY, NULL, 0.139, 60000, SR_QTY_STEP,
         "qty 0.139 not a multiple of step 0.01"},
        {"lot step", SR_LIMIT_ENTRY, NULL, 0.1395, 60000, SR_QTY_STEP,
         "qty 0.1395 not a multiple of step 0.001"},
        {"zero qty", SR_EXIT_LEG, NULL, 0.0, 60000, SR_BAD_VALUE, "qty 0 not a number > 0"},
        {"market max", SR_MARKET_ENTRY, NULL, 120.01, 60000, SR_QTY_MAX, "qty 120.01 > max 120"},
        {"market max exactly", SR_MARKET_ENTRY, NULL, 120, 60000, SR_OK, ""},
        {"limit max is the lot's", SR_LIMIT_ENTRY, NULL, 120.01, 60000, SR_OK, ""},
        {"tick", SR_LIMIT_ENTRY, NULL, 0.139, 60000.05, SR_PRICE_TICK,
         "price 60000.05 not a multiple of tick 0.1"},
        {"market price not on tick is fine", SR_MARKET_ENTRY, NULL, 0.14, 60000.05, SR_OK, ""},
        {"min price", SR_EXIT_LEG, NULL, 1, 99.9, SR_PRICE_MIN, "price 99.9 < min 100"},
        {"max price", SR_EXIT_LEG, NULL, 1, 1000000.1, SR_PRICE_MAX,
         "price 1000000.1 > max 1000000"},
        {"min notional", SR_LIMIT_ENTRY, NULL, 0.001, 60000, SR_MIN_NOTIONAL,
         "notional 60 < min 100"},
        {"min notional exactly", SR_LIMIT_ENTRY, NULL, 0.002, 50000, SR_OK, ""},
        {"reduce-only leg exempt from notional", SR_EXIT_LEG, NULL, 0.001, 60000, SR_OK, ""},
        {"nan price", SR_MARKET_ENTRY, NULL, 0.14, NAN, SR_BAD_VALUE, "price nan not a number > 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const check_case *c = &cases[i];
        symbol_rules r = btc();
        if (c->status) strcpy(r.status, c->status);
        char why[128] = "junk";
        sr_status st = sr_check_order(&r, c->kind, c->qty, c->price, why, sizeof why);
        if (st != c->want || strcmp(why, c->why) != 0)
            fail_msg("%s: status %d (want %d), why \"%s\" (want \"%s\")", c->name, st, c->want, why,
                     c->why);
    }
}

static void test_check_min_qty_and_no_limits(void **state) {
    (void)state;
    symbol_rules r = btc();
    r.lot.min_qty = 0.01;
    char why[64];
    assert_int_equal(sr_check_order(&r, SR_EXIT_LEG, 0.009, 60000, why, sizeof why), SR_QTY_MIN);
    assert_string_equal(why, "qty 0.009 < min 0.01");
    /* absent limits (0) limit nothing; why may be NULL */
    symbol_rules open = {.symbol = "X",
                         .status = "TRADING",
                         .tick = {0.5, 1},
                         .lot = {{1, 0}, 0, 0},
                         .market_lot = {{1, 0}, 0, 0}};
    assert_int_equal(sr_check_order(&open, SR_LIMIT_ENTRY, 1e9, 0.5, NULL, 0), SR_OK);
    /* a symbol without a usable tick is refused, not divided by */
    open.tick.step = 0;
    assert_int_equal(sr_check_order(&open, SR_EXIT_LEG, 1, 0.5, why, sizeof why), SR_BAD_VALUE);
    assert_string_equal(why, "X has no usable step or tick size");
    /* the qty rule per kind */
    assert_ptr_equal(sr_qty_rule(&r, SR_MARKET_ENTRY), &r.market_lot);
    assert_ptr_equal(sr_qty_rule(&r, SR_MARKET_EXIT), &r.market_lot);
    assert_ptr_equal(sr_qty_rule(&r, SR_LIMIT_ENTRY), &r.lot);
    assert_ptr_equal(sr_qty_rule(&r, SR_EXIT_LEG), &r.lot);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_down_up),
        cmocka_unit_test(test_price_toward),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_check_order),
        cmocka_unit_test(test_check_min_qty_and_no_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
