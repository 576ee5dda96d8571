/* exchange: the table's dispatch and shared helpers. A table without the
 * account calls (market data only) answers EX_UNAVAILABLE for every
 * element of every trading call; a minimal in-memory double written from
 * the header alone serves ex_read and ex_place_order; the finders, the
 * client-id rule, the names, and ex_account_free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/exchange.h"

static void market_only_snapshots(exchange *ex, const char *const *symbols, size_t n,
                                  const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                                  ex_snapshot *out) {
    (void)ex, (void)symbols, (void)spec, (void)now_ms, (void)deadline_ms;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].status = EX_TIMEOUT;
        dstr_puts(&out[i].why, "replay: no data");
    }
}

static void no_close(exchange *ex) { (void)ex; }

static const exchange_ops market_only = {
    .name = "market-only", .snapshots = market_only_snapshots, .close = no_close};

static void test_table_without_account(void **state) {
    (void)state;
    exchange ex = {.ops = &market_only};
    const char *symbols[] = {"BTCUSDT"};
    ex_snapshot_spec spec = {.bars = 10, .depth = 5};
    ex_read_spec rs = {.symbols = symbols,
                       .n_symbols = 1,
                       .market = &spec,
                       .parts = EX_READ_POSITIONS | EX_READ_RULES};
    ex_snapshot snap;
    ex_account a;
    ex_read(&ex, &rs, 0, 0, &snap, &a);
    assert_int_equal(snap.status, EX_TIMEOUT); /* the market part still ran */
    ex_snapshot_free(&snap);
    assert_true(a.positions_part.asked);
    assert_int_equal(a.positions_part.r.status, EX_UNAVAILABLE);
    assert_string_equal(a.positions_part.r.why.ptr, "this exchange has no account calls");
    assert_int_equal(a.rules_part.r.status, EX_UNAVAILABLE);
    assert_false(a.balances_part.asked);
    assert_int_equal(a.balances_part.r.status, EX_OK);
    ex_account_free(&a);

    ex_setup setups[2] = {{.what = EX_SET_LEVERAGE, .symbol = "BTCUSDT", .leverage = 3}};
    ex_result results[2];
    ex_configure(&ex, setups, 2, 0, results);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(results[i].status, EX_UNAVAILABLE);
        assert_int_equal(results[i].e.status, EX_UNAVAILABLE);
        ex_result_free(&results[i]);
    }
    ex_order_request q = {0};
    ex_order o;
    ex_error e;
    dstr err = {0};
    assert_int_equal(ex_place_order(&ex, &q, 0, &o, &e, &err), EX_UNAVAILABLE);
    assert_int_equal(e.status, EX_UNAVAILABLE);
    assert_string_equal(err.ptr, "this exchange has no account calls");
    dstr_free(&err);
    ex_algo_request legs[2];
    memset(legs, 0, sizeof legs);
    ex_algo_placed placed[2];
    ex_place_algo_orders(&ex, legs, 2, 0, placed);
    ex_order_ref refs[1] = {{.symbol = "BTCUSDT", .client_id = "x"}};
    ex_lookup found[1], cancelled[1];
    ex_query(&ex, refs, 1, 0, found);
    ex_cancel(&ex, refs, 1, 0, cancelled);
    assert_int_equal(placed[1].r.status, EX_UNAVAILABLE);
    assert_int_equal(found[0].r.status, EX_UNAVAILABLE);
    assert_int_equal(cancelled[0].r.status, EX_UNAVAILABLE);
    ex_algo_placed_free(&placed[0]);
    ex_algo_placed_free(&placed[1]);
    ex_lookup_free(&found[0]);
    ex_lookup_free(&cancelled[0]);
}

/* ---- a double from the header alone ------------------------------------------- */

typedef struct double_state {
    double position; /* BTCUSDT, signed */
    int orders;
} double_state;

static void double_read(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
                        ex_snapshot *snaps, ex_account *a) {
    (void)now_ms, (void)deadline_ms, (void)snaps;
    double_state *s = ex->impl;
    memset(a, 0, sizeof *a);
    a->positions_part.asked = !!(spec->parts & EX_READ_POSITIONS);
    if (a->positions_part.asked && s->position != 0) {
        a->positions = calloc(1, sizeof *a->positions);
        assert_non_null(a->positions);
        snprintf(a->positions[0].symbol, sizeof a->positions[0].symbol, "BTCUSDT");
        a->positions[0].amount = s->position;
        a->n_positions = 1;
    }
}

static ex_status double_place(exchange *ex, const ex_order_request *q, int64_t deadline_ms,
                              ex_order *out, ex_error *e, dstr *err) {
    (void)deadline_ms;
    double_state *s = ex->impl;
    memset(out, 0, sizeof *out);
    if (s->orders++ > 0) { /* the second order "times out after sending" */
        if (e) *e = (ex_error){.status = EX_UNKNOWN};
        dstr_error_line(err, "order: outcome_unknown: scripted");
        return EX_UNKNOWN;
    }
    double qty = strtod(q->quantity, NULL);
    s->position += q->side == EX_BUY ? qty : -qty;
    snprintf(out->client_id, sizeof out->client_id, "%s", q->client_id);
    out->status = EX_ORDER_FILLED;
    out->executed_qty = qty;
    out->avg_price = 100;
    return EX_OK;
}

static const exchange_ops double_ops = {.name = "double",
                                        .snapshots = market_only_snapshots,
                                        .close = no_close,
                                        .read = double_read,
                                        .place_order = double_place};

static void test_double_from_the_header(void **state) {
    (void)state;
    double_state s = {0};
    exchange ex = {.ops = &double_ops, .impl = &s};
    ex_order_request q = {.side = EX_BUY, .type = EX_MARKET};
    snprintf(q.quantity, sizeof q.quantity, "0.5");
    snprintf(q.client_id, sizeof q.client_id, "atr-1");
    ex_order o;
    assert_int_equal(ex_place_order(&ex, &q, 0, &o, NULL, NULL), EX_OK);
    assert_int_equal(o.status, EX_ORDER_FILLED);
    ex_error e;
    dstr err = {0};
    assert_int_equal(ex_place_order(&ex, &q, 0, &o, &e, &err), EX_UNKNOWN);
    assert_string_equal(ex_status_name(e.status), "outcome_unknown");
    dstr_free(&err);
    /* a table without place_orders: ex_place_orders sends them one by one */
    ex_order_request two[2] = {q, q};
    ex_placed placed[2];
    ex_place_orders(&ex, two, 2, 0, placed);
    assert_int_equal(placed[0].r.status, EX_UNKNOWN);
    assert_int_equal(placed[0].r.e.status, EX_UNKNOWN);
    assert_non_null(strstr(placed[0].r.why.ptr, "scripted"));
    assert_int_equal(placed[1].r.status, EX_UNKNOWN);
    assert_int_equal(s.orders, 4);
    for (int i = 0; i < 2; i++) ex_placed_free(&placed[i]);
    s.orders = 0;
    ex_place_orders(&ex, two, 1, 0, placed);
    assert_int_equal(placed[0].r.status, EX_OK);
    assert_int_equal(placed[0].order.status, EX_ORDER_FILLED);
    ex_placed_free(&placed[0]);
    ex_read_spec rs = {.parts = EX_READ_POSITIONS};
    ex_account a;
    ex_read(&ex, &rs, 0, 0, NULL, &a);
    const ex_position *p = ex_account_position(&a, "BTCUSDT");
    assert_non_null(p);
    assert_true(p->amount == 1.0);
    assert_null(ex_account_rules(&a, "BTCUSDT"));
    assert_null(ex_account_config(&a, "BTCUSDT"));
    ex_account_free(&a);
    assert_null(a.positions);
    assert_int_equal(a.n_positions, 0);
}

static void test_names_and_client_ids(void **state) {
    (void)state;
    assert_string_equal(ex_status_name(EX_UNKNOWN), "outcome_unknown");
    assert_string_equal(ex_status_name(EX_NOT_FOUND), "not_found");
    assert_string_equal(ex_status_name(EX_TIMEOUT), "timeout");
    assert_string_equal(ex_status_name((ex_status)99), "unknown");
    assert_string_equal(ex_side_name(EX_SELL), "SELL");
    assert_string_equal(ex_algo_type_name(EX_TAKE_PROFIT_MARKET), "TAKE_PROFIT_MARKET");
    assert_string_equal(ex_margin_type_name(EX_ISOLATED), "ISOLATED");
    assert_true(ex_valid_client_id("atr-ABCDEFGHIJ1234567890-m5k2q1-SL"));
    assert_true(ex_valid_client_id("x"));
    char longest[37];
    memset(longest, 'Z', 36);
    longest[36] = '\0';
    assert_true(ex_valid_client_id(longest));
    char too_long[38];
    memset(too_long, 'Z', 37);
    too_long[37] = '\0';
    assert_false(ex_valid_client_id(too_long));
    assert_false(ex_valid_client_id(""));
    assert_false(ex_valid_client_id("a b"));
    assert_false(ex_valid_client_id("a+b"));
    assert_false(ex_valid_client_id("é"));
    ex_result r = {0};
    ex_result_fail(&r, EX_REJECTED, 400, -2019, "order: %s", "Margin is insufficient.");
    assert_int_equal(r.e.code, -2019);
    assert_int_equal(r.e.http_status, 400);
    assert_string_equal(r.why.ptr, "order: Margin is insufficient.");
    ex_result_free(&r);
    assert_null(r.why.ptr);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_without_account),
        cmocka_unit_test(test_double_from_the_header),
        cmocka_unit_test(test_names_and_client_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
