/* reconcile, called directly on an account read from the in-memory
 * exchange: this bot's orders only, foreign ones untouched, a dry run
 * that reports and sends nothing, a failed cancel that blocks entries, a
 * missing stop deferred when the rules are unknown, a bracket still in
 * flight in an overlapping run left alone until that run has a record that
 * finished before this run's read began. */
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
#include "pipelines/reconcile.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "services/journal_run.h"
#include "tmpstore.h"

#define CANDLE 1767225600000LL

typedef struct fixture {
    mem_exchange m;
    cfg c;
    pl_env env;
    dstr log;
    int64_t read_ms; /* when the account read began; 0: now */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    mx_init(&f->m);
    mx_add_symbol(&f->m, "BTCUSDT", 100);
    f->c.order_id_prefix = "atr";
    f->env = (pl_env){.cfg = &f->c, .exchange = &f->m.ex, .deadline_ms = INT64_MAX / 2};
    log_init("test");
    capture_start(&f->log);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    capture_stop();
    dstr_free(&f->log);
    free(f);
    return 0;
}

static const char *const btc[] = {"BTCUSDT"};

static void leg(fixture *f, ex_algo_type type, const char *trigger, char id_leg) {
    ex_algo_request r = {.side = EX_SELL, .type = type, .reduce_only = 1};
    snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
    snprintf(r.trigger_price, sizeof r.trigger_price, "%s", trigger);
    snprintf(r.quantity, sizeof r.quantity, "0.500");
    exec_client_id("atr", "BTCUSDT", CANDLE, id_leg, r.client_id);
    ex_algo_placed p;
    ex_place_algo_orders(&f->m.ex, &r, 1, 0, &p);
    assert_int_equal(p.r.status, EX_OK);
}

static void reconcile_once(fixture *f, unsigned parts, const bracket_info *plan, int execute,
                           rec_symbol *out, dstr *actions) {
    ex_read_spec spec = {.symbols = btc, .n_symbols = 1, .parts = parts};
    ex_account a;
    ex_read(&f->m.ex, &spec, f->read_ms ? f->read_ms : clock_now(NULL), 0, NULL, &a);
    bracket_info none = {0};
    reconcile(&f->env, &a, plan ? plan : &none, btc, 1, execute, out, actions);
    ex_account_free(&a);
}

static bracket_info long_plan(void) {
    bracket_info b = {.has = 1,
                      .candle_ms = CANDLE,
                      .dir = DIR_LONG,
                      .qty_value = 0.5,
                      .sl_distance = 2,
                      .tp_distance = 4};
    snprintf(b.symbol, sizeof b.symbol, "BTCUSDT");
    snprintf(b.qty, sizeof b.qty, "0.500");
    return b;
}

static void test_flat_cancels_only_its_own(void **state) {
    fixture *f = *state;
    leg(f, EX_STOP_MARKET, "90.0", 'S');
    mx_manual_order(&f->m, "BTCUSDT", "atr_manual_1", EX_BUY, 1, 80); /* not an id of ours */
    rec_symbol r;
    dstr actions = {0};
    reconcile_once(f, ~0u, NULL, 1, &r, &actions);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 0);
    assert_int_equal(mx_open_orders(&f->m, "BTCUSDT"), 1);
    assert_true(r.foreign);
    assert_false(r.entry_ok);
    assert_int_equal(r.cancelled, 1);
    dstr_free(&actions);
}

static void test_failed_cancel_blocks_entries(void **state) {
    fixture *f = *state;
    leg(f, EX_TAKE_PROFIT_MARKET, "120.0", 'T');
    mx_fault_next(&f->m, MX_CANCEL, EX_UNKNOWN, 0, 0);
    rec_symbol r;
    reconcile_once(f, ~0u, NULL, 1, &r, NULL);
    assert_false(r.entry_ok);
    assert_non_null(strstr(r.why, "could not all be cancelled"));
}

static void test_dry_run_reports_and_sends_nothing(void **state) {
    fixture *f = *state;
    mx_manual_position(&f->m, "BTCUSDT", 0.5, 100);
    leg(f, EX_TAKE_PROFIT_MARKET, "104.0", 'T'); /* the stop is missing */
    int before = f->m.writes;
    bracket_info plan = long_plan();
    rec_symbol r;
    dstr actions = {0};
    reconcile_once(f, ~0u, &plan, 0, &r, &actions);
    assert_int_equal(f->m.writes, before);
    assert_true(r.ours);
    assert_non_null(strstr(actions.ptr, "\"recreate_stop\",\"outcome\":\"would_place\""));
    assert_non_null(strstr(actions.ptr, "98.0"));
    dstr_free(&actions);
}

static void test_unknown_rules_defer_the_stop(void **state) {
    fixture *f = *state;
    mx_manual_position(&f->m, "BTCUSDT", 0.5, 100);
    int before = f->m.writes;
    bracket_info plan = long_plan();
    rec_symbol r;
    reconcile_once(f, EX_READ_POSITIONS | EX_READ_OPEN_ORDERS | EX_READ_OPEN_ALGO_ORDERS, &plan, 1,
                   &r, NULL);
    assert_int_equal(f->m.writes, before);
    assert_true(r.ours);
    assert_non_null(strstr(f->log.ptr, "reconcile.unprotected"));
}

static void test_bigger_position_than_planned_is_foreign(void **state) {
    fixture *f = *state;
    mx_manual_position(&f->m, "BTCUSDT", 2, 100);
    bracket_info plan = long_plan();
    rec_symbol r;
    reconcile_once(f, ~0u, &plan, 1, &r, NULL);
    assert_true(r.foreign);
    assert_false(r.ours);
    assert_int_equal(f->m.writes, 0);
    assert_true(mx_find(&f->m, "BTCUSDT")->amount == 2);
}

static void test_unread_account_does_nothing(void **state) {
    fixture *f = *state;
    leg(f, EX_STOP_MARKET, "90.0", 'S');
    mx_fault_next(&f->m, MX_READ, EX_UNAVAILABLE, 0, 0);
    int before = f->m.writes;
    rec_symbol r;
    reconcile_once(f, ~0u, NULL, 1, &r, NULL);
    assert_false(r.read_ok);
    assert_false(r.entry_ok);
    assert_int_equal(f->m.writes, before);
}

/* An overlapping run (run-A) filled and is placing its legs: its plan's
 * deadline is ahead and it has no run record. Another run neither re-creates
 * the missing stop nor cancels a leg on a flat symbol; once run-A's record
 * exists and says it finished before the other run's read began, the stop
 * is re-created. */
static void test_bracket_in_flight_is_left_alone(void **state) {
    fixture *f = *state;
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    f->env.journal = t.s;
    int64_t now = clock_now(NULL);
    bracket_info plan = long_plan();
    plan.created_ms = now - 100;
    plan.deadline_ms = now + 60000;
    snprintf(plan.run_id, sizeof plan.run_id, "run-A");
    mx_manual_position(&f->m, "BTCUSDT", 0.5, 100);
    leg(f, EX_TAKE_PROFIT_MARKET, "104.0", 'T'); /* its stop is on the way */
    int before = f->m.writes;
    rec_symbol r;
    dstr actions = {0};
    reconcile_once(f, ~0u, &plan, 1, &r, &actions);
    assert_int_equal(f->m.writes, before);
    assert_true(r.ours);
    assert_false(r.entry_ok);
    assert_non_null(strstr(actions.ptr, "\"bracket_in_flight\",\"outcome\":\"deferred\""));
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 0);
    /* run-A finished: its record is there, the stop is missing for real */
    const char *syms[] = {"BTCUSDT"};
    journal_run run = {.run_id = "run-A",
                       .trigger = "schedule",
                       .started_ms = now - 200,
                       .finished_ms = now,
                       .execute = 1,
                       .symbols = syms,
                       .n_symbols = 1,
                       .outcome = "ok"};
    assert_int_equal(journal_run_put(t.s, &run, NULL, NULL), JOURNAL_OK);
    /* ...but it finished after this run's read began: the read may have seen
     * its position before its stop; still hands off */
    f->read_ms = now - 50;
    dstr_clear(&actions);
    reconcile_once(f, ~0u, &plan, 1, &r, &actions);
    assert_int_equal(f->m.writes, before);
    assert_false(r.entry_ok);
    assert_non_null(strstr(actions.ptr, "\"bracket_in_flight\",\"outcome\":\"deferred\""));
    /* a read begun after run-A finished sees everything it sent */
    f->read_ms = now + 1;
    dstr_clear(&actions);
    reconcile_once(f, ~0u, &plan, 1, &r, &actions);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 1);
    assert_null(strstr(actions.ptr, "bracket_in_flight"));
    /* past its deadline (+ slack) a run without a record was killed: not in flight */
    snprintf(plan.run_id, sizeof plan.run_id, "run-B");
    plan.deadline_ms = now - RECONCILE_INFLIGHT_SLACK_MS - 1000;
    mx_manual_position(&f->m, "BTCUSDT", 0, 0);
    dstr_clear(&actions);
    reconcile_once(f, ~0u, &plan, 1, &r, &actions);
    assert_null(strstr(dstr_cstr(&actions), "bracket_in_flight"));
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 0); /* flat: legs cancelled */
    dstr_free(&actions);
    f->env.journal = NULL;
    tmpstore_close(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flat_cancels_only_its_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_cancel_blocks_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_reports_and_sends_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_rules_defer_the_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bigger_position_than_planned_is_foreign, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unread_account_does_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bracket_in_flight_is_left_alone, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
