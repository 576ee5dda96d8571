/* risk: each rule of risk.h alone (with its reason text), at and around its
 * threshold, unknown inputs refusing, several reasons at once, and the
 * high-water mark and kill switch moving as documented. The base input is
 * a LONG on BTCUSDT allowed by the defaults (2, 200, 10 %, 60 min, 0.1 %):
 * no open position, no loss today, equity 1000 at its high-water mark, no
 * stop-out, funding 0.01 %. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "domain/risk.h"

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define MIN 60000LL

static risk_input base(void) {
    return (risk_input){.symbol = "BTCUSDT",
                        .dir = DIR_LONG,
                        .open_positions = 0,
                        .realized_pnl_today = 0,
                        .equity = 1000,
                        .hwm = 1000,
                        .kill_switch = 0,
                        .last_stop_out_ms = 0,
                        .funding_rate = 0.0001,
                        .now_ms = NOW};
}

static void expect(const risk_input *in, const risk_params *p, const char *name,
                   const char *reason) {
    risk_result r;
    risk_check(in, p, &r);
    if (!reason) {
        if (!r.allow || r.n_reasons) fail_msg("%s: refused: %s", name, r.reasons[0]);
        return;
    }
    if (r.allow || r.n_reasons != 1 || strcmp(r.reasons[0], reason) != 0)
        fail_msg("%s: allow %d, %zu reasons, first \"%s\" (want \"%s\")", name, r.allow,
                 r.n_reasons, r.n_reasons ? r.reasons[0] : "", reason);
}

static void test_defaults(void **state) {
    (void)state;
    risk_params p = risk_params_default();
    assert_int_equal(p.max_open_positions, 2);
    assert_true(p.daily_loss_limit_usdt == 200);
    assert_true(p.max_drawdown_pct == 10);
    assert_int_equal(p.cooldown_minutes, 60);
    assert_true(p.max_funding_rate == 0.001);
    risk_input in = base();
    expect(&in, &p, "base", NULL);
}

static void test_open_positions(void **state) {
    (void)state;
    risk_params p = risk_params_default();
    risk_input in = base();
    in.open_positions = 1;
    expect(&in, &p, "one below max", NULL);
    in.open_positions = 2;
    expect(&in, &p, "at max", "open positions 2 >= max 2");
    in.open_positions = -1;
    expect(&in, &p, "unknown", "open positions unknown");
}

static void test_daily_loss(void **state) {
    (void)state;
    risk_params p = risk_params_default();
    risk_input in = base();
    in.realized_pnl_today = -199.99;
    expect(&in, &p, "just under", NULL);
    in.realized_pnl_today = -200;
    expect(&in, &p, "at limit", "daily loss 200.00 >= limit 200.00 USDT");
    in.realized_pnl_today = 500;
    expect(&in, &p, "a winning day", NULL);
    in.realized_pnl_today = NAN;
    expect(&in, &p, "unknown", "today's realised pnl unknown");
}

static void test_drawdown_and_kill_switch(void **state) {
    (void)state;
    risk_params p = risk_params_default();
    risk_input in = base();
    risk_result r;

    in.equity = 900.01; /* 9.999 % below */
    risk_check(&in, &p, &r);
    assert_true(r.allow);
    assert_false(r.kill_switch);
    assert_false(r.hwm_raised);
    assert_true(r.hwm == 1000);
    assert_true(fabs(r.drawdown_pct - 9.999) < 1e-9);

    in.equity = 900; /* exactly 10 %: trips */
    risk_check(&in, &p, &r);
    assert_false(r.allow);
    assert_true(r.kill_switch && r.kill_switch_tripped);
    assert_string_equal(r.reasons[0],
                        "kill switch: drawdown 10.00% (max 10.00%; reset it in the journal)");

    /* tripped before: stays tripped after recovery, not re-reported as new */
    in.equity = 1000;
    in.kill_switch = 1;
    risk_check(&in, &p, &r);
    assert_false(r.allow);
    assert_true(r.kill_switch);
    assert_false(r.kill_switch_tripped);
    assert_int_equal(r.n_reasons, 1);
    assert_string_equal(r.reasons[0],
                        "kill switch: drawdown 0.00% (max 10.00%; reset it in the journal)");

    /* a new high: the mark rises */
    in = base();
    in.equity = 1250.5;
    risk_check(&in, &p, &r);
    assert_true(r.allow);
    assert_true(r.hwm_raised);
    assert_true(r.hwm == 1250.5);
    assert_true(r.drawdown_pct == 0);

    /* no mark yet: it starts at the equity */
    in.hwm = NAN;
    in.equity = 800;
    risk_check(&in, &p, &r);
    assert_true(r.allow && r.hwm_raised && r.hwm == 800);

    /* the mark is kept even when other rules refuse */
    in = base();
    in.open_positions = 5;
    in.equity = 1100;
    risk_check(&in, &p, &r);
    assert_false(r.allow);
    assert_true(r.hwm_raised && r.hwm == 1100);

    in = base();
    in.equity = NAN;
    expect(&in, &p, "equity unknown", "equity unknown");
    risk_check(&in, &p, &r);
    assert_true(r.hwm == 1000 && !r.hwm_raised && isnan(r.drawdown_pct));
    in.hwm = 0;
    in.equity = 0;
    expect(&in, &p, "no equity, no mark", "equity 0.00 not > 0");
    in.equity = NAN;
    in.kill_switch = 1;
    risk_check(&in, &p, &r);
    assert_int_equal(r.n_reasons, 2);
    assert_string_equal(r.reasons[1], "kill switch tripped (reset it in the journal)");
    /* equity wiped out against a mark: 100 % drawdown */
    in = base();
    in.equity = -5;
    risk_check(&in, &p, &r);
    assert_true(r.kill_switch_tripped && r.drawdown_pct > 100);
}

static void test_cooldown(void **state) {
    (void)state;
    risk_params p = risk_params_default();
    risk_input in = base();
    risk_result r;
    in.last_stop_out_ms = NOW - 59 * MIN - 1;
    expect(&in, &p, "inside", "cooldown after a stop-out on BTCUSDT: 1 of 60 min left");
    risk_check(&in, &p, &r);
    assert_true(r.cooldown_until_ms == NOW + MIN - 1);
    in.last_stop_out_ms = NOW - 60 * MIN;
    expect(&in, &p, "just over", NULL);
    in.last_stop_out_ms = NOW - 10 * MIN;
    expect(&in, &p, "fresh", "cooldown after a stop-out on BTCUSDT: 50 of 60 min left");
    p.cooldown_minutes = 0;
    expect(&in, &p, "no cooldown configured", NULL);
    risk_check(&in, &p, &r);
    assert_true(r.cooldown_until_ms == 0);
}

static void test_funding(void **state) {
    (void)state;
    risk_params p = risk_params_default();
    risk_input in = base();
    in.funding_rate = 0.001;
    expect(&in, &p, "long at max", NULL);
    in.funding_rate = 0.0015;
    expect(&in, &p, "long pays too much", "funding 0.1500% against the LONG > max 0.1000%");
    in.dir = DIR_SHORT;
    expect(&in, &p, "short is paid", NULL);
    in.funding_rate = -0.002;
    expect(&in, &p, "short pays too much", "funding -0.2000% against the SHORT > max 0.1000%");
    in.dir = DIR_LONG;
    expect(&in, &p, "long is paid", NULL);
    in.funding_rate = NAN;
    expect(&in, &p, "unknown", "funding rate unknown");
}

static void test_every_reason_listed(void **state) {
    (void)state;
    risk_params p = risk_params_default();
    risk_input in = base();
    in.dir = DIR_FLAT;
    in.open_positions = 3;
    in.realized_pnl_today = -300;
    in.equity = 850;
    in.last_stop_out_ms = NOW - MIN;
    in.funding_rate = NAN;
    risk_result r;
    risk_check(&in, &p, &r);
    assert_false(r.allow);
    static const char *const want[] = {
        "direction FLAT: nothing to enter",
        "open positions 3 >= max 2",
        "daily loss 300.00 >= limit 200.00 USDT",
        "kill switch: drawdown 15.00% (max 10.00%; reset it in the journal)",
        "cooldown after a stop-out on BTCUSDT: 59 of 60 min left",
        "funding rate unknown",
    };
    assert_int_equal(r.n_reasons, 6);
    for (size_t i = 0; i < 6; i++) assert_string_equal(r.reasons[i], want[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_open_positions),
        cmocka_unit_test(test_daily_loss),
        cmocka_unit_test(test_drawdown_and_kill_switch),
        cmocka_unit_test(test_cooldown),
        cmocka_unit_test(test_funding),
        cmocka_unit_test(test_every_reason_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
