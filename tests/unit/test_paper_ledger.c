/* paper_ledger: the paper account's records in a file store, built by hand.
 *
 * What must hold: an account reads back exactly as written (every double
 * to the bit); a record that breaks a rule is refused naming what (cases as
 * data below); two runs that start from the same state and both record the
 * same fill (one walk, seen twice) and each an order of its own leave an
 * account with the fill, its income and the wallet's change ONCE and both
 * orders; a newest state that cannot be read is skipped for the records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/paper_ledger.h"
#include "tmpstore.h"

#define T0 1766188800000LL /* 2025-12-20 00:00 UTC */

static ex_fill fill_at(int64_t t, double price, double realized) {
    ex_fill f = {.id = t * SIM_IDS_PER_MS,
                 .order_id = t * SIM_IDS_PER_MS + 1,
                 .side = EX_SELL,
                 .price = price,
                 .qty = 0.01,
                 .quote_qty = price * 0.01,
                 .realized_pnl = realized,
                 .commission = price * 0.01 * 0.0005,
                 .time = t};
    snprintf(f.symbol, sizeof f.symbol, "BTCUSDT");
    snprintf(f.commission_asset, sizeof f.commission_asset, "USDT");
    return f;
}

static ex_income income_at(int64_t t, const char *type, double amount, int64_t id) {
    ex_income in = {.amount = amount, .time = t, .tran_id = id};
    snprintf(in.symbol, sizeof in.symbol, "BTCUSDT");
    snprintf(in.type, sizeof in.type, "%s", type);
    snprintf(in.asset, sizeof in.asset, "USDT");
    return in;
}

static ex_order order_at(int64_t t, const char *cid) {
    ex_order o = {.order_id = t * SIM_IDS_PER_MS + 7,
                  .side = EX_BUY,
                  .orig_qty = 0.01,
                  .price = 87000.5,
                  .time = t,
                  .update_time = t};
    snprintf(o.symbol, sizeof o.symbol, "BTCUSDT");
    snprintf(o.client_id, sizeof o.client_id, "%s", cid);
    snprintf(o.type, sizeof o.type, "LIMIT");
    snprintf(o.orig_qty_str, sizeof o.orig_qty_str, "0.010");
    snprintf(o.executed_qty_str, sizeof o.executed_qty_str, "0");
    ex_order_set_status(&o, EX_ORDER_NEW);
    return o;
}

/* An account with one of everything, built on copies of the arguments. */
static sim_account account_of(double wallet, const sim_holding *h, const ex_order *o, size_t no,
                              const ex_fill *f, size_t nf, const ex_income *in, size_t ni) {
    sim_account a = {.wallet = wallet, .walked_to = T0};
    a.hold = calloc(2, sizeof *a.hold);
    a.orders = calloc(no + 1, sizeof *a.orders);
    a.algos = calloc(2, sizeof *a.algos);
    a.fills = calloc(nf + 1, sizeof *a.fills);
    a.income = calloc(ni + 1, sizeof *a.income);
    assert_true(a.hold && a.orders && a.algos && a.fills && a.income);
    if (h) a.hold[a.n_hold++] = *h;
    for (size_t i = 0; i < no; i++) a.orders[a.n_orders++] = o[i];
    for (size_t i = 0; i < nf; i++) a.fills[a.n_fills++] = f[i];
    for (size_t i = 0; i < ni; i++) a.income[a.n_income++] = in[i];
    return a;
}

static sim_holding btc_holding(double amount, int64_t t) {
    sim_holding h = {.amount = amount,
                     .entry = 87123.4 + 0.1 + 0.2,
                     .iso_margin = 1e-9,
                     .leverage = 5,
                     .margin = EX_ISOLATED,
                     .update_ms = t};
    snprintf(h.symbol, sizeof h.symbol, "BTCUSDT");
    return h;
}

static void test_account_reads_back_exactly(void **state) {
    (void)state;
    sim_holding h = btc_holding(-0.013, T0);
    ex_order o = order_at(T0, "E1");
    ex_fill f = fill_at(T0 + 5, 87000.1 / 3, -0.1 - 0.2);
    ex_income in = income_at(T0 + 5, "REALIZED_PNL", -1.0 / 3, f.id);
    sim_account a = account_of(10000.0 / 7, &h, &o, 1, &f, 1, &in, 1);
    ex_algo_order *g = &a.algos[a.n_algos++];
    snprintf(g->symbol, sizeof g->symbol, "BTCUSDT");
    snprintf(g->client_id, sizeof g->client_id, "SL1");
    snprintf(g->type, sizeof g->type, "STOP_MARKET");
    snprintf(g->quantity_str, sizeof g->quantity_str, "0.013");
    g->algo_id = 9007199254740000LL;
    g->trigger_price = 86999.9;
    g->reduce_only = g->mark_price = 1;
    ex_algo_set_status(g, EX_ALGO_NEW);
    dstr j1 = {0}, j2 = {0}, why = {0};
    paper_account_json(&a, &j1);
    cJSON *root = cJSON_Parse(j1.ptr);
    sim_account b;
    assert_int_equal(paper_account_parse(root, &b, &why), 0);
    paper_account_json(&b, &j2);
    assert_string_equal(j1.ptr, j2.ptr);
    assert_true(b.wallet == a.wallet && b.hold[0].entry == a.hold[0].entry &&
                b.fills[0].price == a.fills[0].price && b.income[0].amount == a.income[0].amount);
    assert_int_equal(b.algos[0].algo_id, g->algo_id);
    assert_string_equal(b.orders[0].status_name, "NEW");
    cJSON_Delete(root);
    sim_account_free(&a);
    sim_account_free(&b);
    dstr_free(&j1);
    dstr_free(&j2);
    dstr_free(&why);
}

/* Records that break a rule: the account JSON after a replacement of one
 * piece of a valid one, and the words the refusal must hold. */
static const struct bad_case {
    const char *from, *to, *why;
} bad_cases[] = {
    {"\"wallet\":", "\"wallet\":\"1\",\"x\":", "wallet"},
    {"\"hedge\":0", "\"hedge\":2", "hedge"},
    {"\"symbol\":\"BTCUSDT\",\"amount\"", "\"symbol\":\"btc\",\"amount\"", "holdings[0]"},
    {"\"client_id\":\"E1\"", "\"client_id\":\"E 1\"", "orders[0]"},
    {"\"client_id\":\"E1\"", "\"client_id\":\"E1E1E1E1E1E1E1E1E1E1E1E1E1E1E1E1E1E1E1E1\"",
     "orders[0].client_id"},
    {"\"fills\":[{\"symbol\":\"BTCUSDT\",\"id\":", "\"fills\":[{\"symbol\":\"BTCUSDT\",\"id\":-",
     "fills[0].id"},
    {"\"leverage\":5", "\"leverage\":5.5", "holdings[0].leverage"},
    {"\"side\":\"SELL\"", "\"side\":\"sell\"", "fills[0].side"},
    {"\"status\":\"NEW\"", "\"status\":\"OTHER\"", "orders[0].status"},
    {"\"income\":[]", "\"income\":[7]", "income[0]"},
    {"\"algos\":[]", "\"algos\":{}", "algos is not a list"},
    {"\"time\":1766188800000,\"update_time\"", "\"update_time\"", "orders[0].time"},
};

static void test_broken_records_refused(void **state) {
    (void)state;
    sim_holding h = btc_holding(0.01, T0);
    ex_order o = order_at(T0, "E1");
    ex_fill f = fill_at(T0 + 5, 87000, 0);
    sim_account a = account_of(10000, &h, &o, 1, &f, 1, NULL, 0);
    dstr good = {0};
    paper_account_json(&a, &good);
    sim_account_free(&a);
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *c = &bad_cases[i];
        const char *at = strstr(good.ptr, c->from);
        assert_non_null(at);
        dstr text = {0}, why = {0};
        dstr_append(&text, good.ptr, (size_t)(at - good.ptr));
        dstr_puts(&text, c->to);
        dstr_puts(&text, at + strlen(c->from));
        cJSON *root = cJSON_Parse(text.ptr);
        sim_account b;
        if (!root) fail_msg("case %zu is not JSON: %s", i, text.ptr);
        assert_int_equal(paper_account_parse(root, &b, &why), -1);
        if (!strstr(why.ptr, c->why)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why.ptr, c->why);
        cJSON_Delete(root);
        dstr_free(&text);
        dstr_free(&why);
    }
    /* a duplicated key: the first counts, as everywhere (cJSON) */
    dstr dup = {0}, why = {0};
    dstr_puts(&dup, "{\"wallet\":5,\"wallet\":\"x\"");
    dstr_puts(&dup, strchr(good.ptr, ','));
    cJSON *root = cJSON_Parse(dup.ptr);
    sim_account b;
    assert_int_equal(paper_account_parse(root, &b, &why), 0);
    assert_true(b.wallet == 5);
    sim_account_free(&b);
    cJSON_Delete(root);
    dstr_free(&dup);
    dstr_free(&why);
    dstr_free(&good);
}

static void assert_account(const sim_account *a, double wallet, size_t fills, size_t orders) {
    assert_true(fabs(a->wallet - wallet) < 1e-9);
    assert_int_equal(a->n_fills, fills);
    assert_int_equal(a->n_orders, orders);
}

static void test_overlapping_runs_count_once(void **state) {
    (void)state;
    tmpstore ts;
    assert_int_equal(tmpstore_open(&ts, 1), 0);
    dstr err = {0};
    paper_ledger l0, l1, l2, l3;
    /* a new account, then a position opened: the first state */
    assert_int_equal(paper_ledger_load(ts.s, 10000, T0, &l0, &err), 0);
    assert_true(l0.acct.wallet == 10000 && l0.state_ms == 0);
    sim_holding open = btc_holding(0.01, T0);
    sim_account a0 = account_of(10000, &open, NULL, 0, NULL, 0, NULL, 0);
    assert_int_equal(paper_ledger_append(ts.s, &l0, &a0, "order", T0 + 1, 0, &err), 0);
    /* two runs read it at once; both walk the stop's fill, each places an order */
    assert_int_equal(paper_ledger_load(ts.s, 10000, T0 + 60000, &l1, &err), 0);
    assert_int_equal(paper_ledger_load(ts.s, 10000, T0 + 60000, &l2, &err), 0);
    assert_int_equal(l1.state_ms, T0 + 1);
    sim_holding flat = btc_holding(0, T0 + 50000);
    ex_fill stop = fill_at(T0 + 50000, 86000, -11.234);
    ex_income pnl = income_at(T0 + 50000, "REALIZED_PNL", -11.234, 1);
    ex_order o1 = order_at(T0 + 60001, "A1"), o2 = order_at(T0 + 60002, "B1");
    sim_account a1 = account_of(10000 - 11.234, &flat, &o1, 1, &stop, 1, &pnl, 1);
    sim_account a2 = account_of(10000 - 11.234, &flat, &o2, 1, &stop, 1, &pnl, 1);
    assert_int_equal(paper_ledger_append(ts.s, &l1, &a1, "order", T0 + 60003, 0, &err), 0);
    assert_int_equal(paper_ledger_append(ts.s, &l2, &a2, "order", T0 + 60004, 0, &err), 0);
    /* the next run: l2's state, and l1's events it did not cover */
    assert_int_equal(paper_ledger_load(ts.s, 10000, T0 + 120000, &l3, &err), 0);
    assert_int_equal(l3.state_ms, T0 + 60004);
    assert_int_equal(l3.events_folded, 1);
    assert_account(&l3.acct, 10000 - 11.234, 1, 2);
    assert_int_equal(l3.acct.n_income, 1);
    assert_true(l3.acct.hold[0].amount == 0);
    /* a newest state nobody can read: skipped, the same account from the rest */
    const char *junk = "{\"kind\":\"paper_state\",\"time\":1766189000000,\"account\":[]}";
    assert_int_equal(
        store_put(ts.s, "ledger/state/8233810999999_000001-walk-0.json", junk, strlen(junk), NULL),
        STORE_OK);
    paper_ledger l4;
    assert_int_equal(paper_ledger_load(ts.s, 10000, T0 + 400000, &l4, &err), 0);
    assert_int_equal(l4.corrupt, 1);
    assert_account(&l4.acct, 10000 - 11.234, 1, 2);
    /* folding the same records again changes nothing */
    paper_account_merge(&l4.acct, &a1, T0 - 1);
    paper_account_merge(&l4.acct, &a2, T0 - 1);
    assert_account(&l4.acct, 10000 - 11.234, 1, 2);
    paper_ledger *all[] = {&l0, &l1, &l2, &l3, &l4};
    for (size_t i = 0; i < 5; i++) paper_ledger_free(all[i]);
    sim_account *accts[] = {&a0, &a1, &a2};
    for (size_t i = 0; i < 3; i++) sim_account_free(accts[i]);
    dstr_free(&err);
    tmpstore_close(&ts);
}

/* A later version of an order wins whichever record is folded first; a
 * tie goes to the further status. */
static void test_latest_version_wins(void **state) {
    (void)state;
    ex_order o = order_at(T0, "E1"), filled = o, cancelled = o;
    ex_order_set_status(&filled, EX_ORDER_FILLED);
    filled.update_time = T0 + 10;
    ex_order_set_status(&cancelled, EX_ORDER_CANCELED);
    sim_account base = account_of(100, NULL, &o, 1, NULL, 0, NULL, 0);
    sim_account later = account_of(100, NULL, &filled, 1, NULL, 0, NULL, 0);
    sim_account tie = account_of(100, NULL, &cancelled, 1, NULL, 0, NULL, 0);
    paper_account_merge(&base, &later, T0 - 1);
    paper_account_merge(&base, &tie, T0 - 1); /* older than FILLED: ignored */
    assert_int_equal(base.orders[0].status, EX_ORDER_FILLED);
    sim_account_free(&base);
    base = account_of(100, NULL, &o, 1, NULL, 0, NULL, 0);
    paper_account_merge(&base, &tie, T0 - 1); /* same time, further status */
    assert_int_equal(base.orders[0].status, EX_ORDER_CANCELED);
    /* closed and older than the window: left out of the fold */
    paper_account_merge(&base, &tie, T0 + 1);
    assert_int_equal(base.n_orders, 0);
    sim_account *accts[] = {&base, &later, &tie};
    for (size_t i = 0; i < 3; i++) sim_account_free(accts[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_account_reads_back_exactly),
        cmocka_unit_test(test_broken_records_refused),
        cmocka_unit_test(test_overlapping_runs_count_once),
        cmocka_unit_test(test_latest_version_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
