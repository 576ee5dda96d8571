/* overview pipeline: against the in-memory exchange (ro_exchange) and a
 * fresh file journal: no keys (nothing asked), the whole answer (balances,
 * positions with leverage, this bot's orders and algo orders by prefix, the
 * others counted, the latest decision, the day's PnL, the kill switch), ONE
 * read batch with exactly the parts and symbols it needs within the
 * deadline minus the journal's share, no write ever, and each kind of
 * partial failure named in "errors" while the rest still answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jfix.h"
#include "ro_exchange.h"
#include "pipelines/overview.h"
#include "services/journal.h"
#include "services/journal_risk.h"
#include "services/journal_run.h"
#include "services/journal_trade.h"

static int64_t fixed_now;
static int64_t fixed_clock(void *ctx) {
    (void)ctx;
    return fixed_now;
}
static const clock_src test_clock = {.now_ms = fixed_clock};

typedef struct fixture {
    jfix *j; /* the file journal and the captured log */
    cfg c;
    ro_exchange m;
    pl_env env;
    ex_position positions[3];
    ex_order orders[4];
    ex_algo_order algos[3];
    ex_balance balances[2];
    ex_symbol_config configs[2];
} fixture;

static char *symbols[] = {"BTCUSDT", "ETHUSDT"};

static void account(fixture *f) {
    ro_exchange *m = &f->m;
    f->balances[0] = (ex_balance){.asset = "USDT",
                                  .balance = 1000.5,
                                  .available_balance = 900.25,
                                  .cross_wallet_balance = 1000.5,
                                  .cross_unrealized_pnl = 12.5};
    f->balances[1] = (ex_balance){.asset = "BNB", .balance = 0.1};
    f->positions[0] = (ex_position){.symbol = "BTCUSDT",
                                    .position_side = "BOTH",
                                    .amount_str = "0.010",
                                    .amount = 0.01,
                                    .entry_price = 90000,
                                    .mark_price = 91250,
                                    .unrealized_pnl = 12.5,
                                    .liquidation_price = 72000.5,
                                    .notional = 912.5};
    f->positions[1] = (ex_position){.symbol = "XRPUSDT",
                                    .position_side = "BOTH",
                                    .amount_str = "-100",
                                    .amount = -100,
                                    .entry_price = 2,
                                    .mark_price = 2.1,
                                    .unrealized_pnl = -10};
    f->positions[2] = (ex_position){.symbol = "ETHUSDT",
                                    .position_side = "BOTH",
                                    .amount_str = "0.000"}; /* listed for its orders only */
    f->configs[0] =
        (ex_symbol_config){.symbol = "BTCUSDT", .margin_type = EX_ISOLATED, .leverage = 5};
    f->configs[1] =
        (ex_symbol_config){.symbol = "ETHUSDT", .margin_type = EX_CROSSED, .leverage = 3};
    f->orders[0] = (ex_order){.symbol = "BTCUSDT",
                              .client_id = "atr-BTCUSDT-t1a2b3c-E",
                              .order_id = 11,
                              .status_name = "NEW",
                              .side = EX_BUY,
                              .type = "LIMIT",
                              .price = 89000,
                              .orig_qty_str = "0.010",
                              .executed_qty_str = "0"};
    f->orders[1] = (ex_order){.symbol = "BTCUSDT",
                              .client_id = "web_manual_1",
                              .order_id = 12,
                              .status_name = "NEW",
                              .type = "LIMIT"};
    f->orders[2] = (ex_order){.symbol = "BTCUSDT",
                              .client_id = "atrx-not-ours",
                              .order_id = 13,
                              .status_name = "NEW",
                              .type = "LIMIT"};
    f->orders[3] = (ex_order){.symbol = "SOLUSDT",
                              .client_id = "atr-SOLUSDT-x-E",
                              .order_id = 14,
                              .status_name = "NEW",
                              .type = "LIMIT"}; /* not asked */
    f->algos[0] = (ex_algo_order){.symbol = "BTCUSDT",
                                  .client_id = "atr-BTCUSDT-t1a2b3c-S",
                                  .algo_id = 21,
                                  .status_name = "NEW",
                                  .type = "STOP_MARKET",
                                  .side = EX_SELL,
                                  .reduce_only = 1,
                                  .trigger_price = 88000,
                                  .quantity_str = "0.010",
                                  .mark_price = 1};
    f->algos[1] = (ex_algo_order){.symbol = "BTCUSDT",
                                  .client_id = "atr-BTCUSDT-t1a2b3c-T",
                                  .algo_id = 22,
                                  .status_name = "NEW",
                                  .type = "TAKE_PROFIT_MARKET",
                                  .side = EX_SELL,
                                  .reduce_only = 1,
                                  .trigger_price = 94000,
                                  .quantity_str = "0.010",
                                  .mark_price = 1};
    f->algos[2] = (ex_algo_order){.symbol = "ETHUSDT",
                                  .client_id = "manual-stop",
                                  .algo_id = 23,
                                  .status_name = "NEW",
                                  .type = "STOP_MARKET"};
    m->balances = f->balances, m->n_balances = 2;
    m->positions = f->positions, m->n_positions = 3;
    m->configs = f->configs, m->n_configs = 2;
    m->orders = f->orders, m->n_orders = 4;
    m->algo_orders = f->algos, m->n_algo_orders = 3;
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    *state = f;
    void *j = NULL;
    int rc = jfix_setup(&j);
    f->j = j;
    if (rc) return -1;
    fixed_now = jfix_now_ms();
    f->c.symbols[0] = symbols[0];
    f->c.symbols[1] = symbols[1];
    f->c.n_symbols = 2;
    f->c.binance_api_key = "read-only-key";
    f->c.binance_api_secret = "read-only-secret";
    f->c.order_id_prefix = "atr";
    ro_exchange_init(&f->m);
    account(f);
    f->env = (pl_env){.cfg = &f->c,
                      .exchange = &f->m.ex,
                      .journal = f->j->t.s,
                      .clock = &test_clock,
                      .deadline_ms = fixed_now + 9000};
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    void *j = f->j;
    if (j) jfix_teardown(&j);
    free(f);
    return 0;
}

/* Runs the pipeline and parses its answer (the caller deletes it). */
static cJSON *run(fixture *f, overview_status want, ex_error *e) {
    overview ov;
    dstr err = {0}, out = {0};
    overview_status st = overview_read(&f->env, &ov, e, &err);
    if (st != want) fail_msg("status %d, want %d: %s", st, want, dstr_cstr(&err));
    overview_json(&ov, &out);
    overview_free(&ov);
    cJSON *j = cJSON_ParseWithLength(out.ptr, out.len);
    if (!cJSON_IsObject(j)) fail_msg("not a JSON object: %s", dstr_cstr(&out));
    dstr_free(&out);
    dstr_free(&err);
    return j;
}

static const cJSON *at(const cJSON *j, const char *path) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = j;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && cur;
         k = strtok_r(NULL, ".", &save))
        cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(k)) : cJSON_GetObjectItem(cur, k);
    return cur;
}

static double num(const cJSON *j, const char *path) {
    const cJSON *v = at(j, path);
    if (!cJSON_IsNumber(v)) fail_msg("%s is not a number", path);
    return v->valuedouble;
}

static const char *str(const cJSON *j, const char *path) {
    const cJSON *v = at(j, path);
    if (!cJSON_IsString(v)) fail_msg("%s is not a string", path);
    return v->valuestring;
}

static void test_bot_order_prefix(void **state) {
    (void)state;
    assert_true(overview_is_bot_order("atr", "atr-BTCUSDT-x-S"));
    assert_true(overview_is_bot_order("atr", "atr_1"));
    assert_true(overview_is_bot_order("atr", "atr.x"));
    assert_false(overview_is_bot_order("atr", "atrx-1"));
    assert_false(overview_is_bot_order("atr", "atr1"));
    assert_false(overview_is_bot_order("atr", "atr"));
    assert_false(overview_is_bot_order("atr", "xatr-1"));
    assert_false(overview_is_bot_order("atr", "web_1"));
    assert_false(overview_is_bot_order("atr", ""));
    assert_false(overview_is_bot_order("", "atr-1"));
    assert_false(overview_is_bot_order(NULL, "atr-1"));
    assert_false(overview_is_bot_order("atr", NULL));
}

static void test_no_keys_asks_nothing(void **state) {
    fixture *f = *state;
    f->c.binance_api_secret = "";
    overview ov;
    dstr err = {0};
    assert_int_equal(overview_read(&f->env, &ov, NULL, &err), OVERVIEW_NO_KEYS);
    assert_non_null(strstr(dstr_cstr(&err), "BINANCE_API_KEY"));
    assert_non_null(strstr(dstr_cstr(&err), "read-only keys are enough"));
    assert_int_equal(f->m.reads, 0);
    overview_free(&ov);
    f->c.binance_api_key = NULL;
    dstr_clear(&err);
    assert_int_equal(overview_read(&f->env, &ov, NULL, &err), OVERVIEW_NO_KEYS);
    assert_int_equal(f->m.reads, 0);
    overview_free(&ov);
    dstr_free(&err);
}

static void journal_day(fixture *f) {
    store *s = f->j->t.s;
    dstr err = {0};
    const char *older = "{\"symbol\":\"BTCUSDT\",\"direction\":\"SHORT\",\"risk_ok\":false}";
    const char *newer = "{\"symbol\":\"BTCUSDT\",\"direction\":\"LONG\",\"risk_ok\":true}";
    assert_int_equal(
        journal_put(s, JOURNAL_DECISION, "BTCUSDT", fixed_now - 600000, older, strlen(older), NULL),
        0);
    assert_int_equal(
        journal_put(s, JOURNAL_DECISION, "BTCUSDT", fixed_now - 300000, newer, strlen(newer), NULL),
        0);
    journal_trade t = {.time_ms = fixed_now - 1000,
                       .symbol = "BTCUSDT",
                       .side = "SELL",
                       .type = "STOP_MARKET",
                       .status = "FILLED",
                       .qty = "0.010",
                       .price = "88000",
                       .realized_pnl = "-20.5",
                       .fee = "4.9220248",
                       .fee_asset = "USDT",
                       .order_id = 31,
                       .trade_id = 1,
                       .kind = JOURNAL_TRADE_STOP};
    assert_int_equal(journal_trade_put(s, &t, NULL, &err), JOURNAL_OK);
    t.order_id = 32, t.realized_pnl = "30", t.fee = "4.9599928", t.kind = JOURNAL_TRADE_TAKE_PROFIT;
    assert_int_equal(journal_trade_put(s, &t, NULL, &err), JOURNAL_OK);
    assert_int_equal(journal_risk_put_hwm(s, fixed_now - 5000, "1100.5", NULL, &err), JOURNAL_OK);
    assert_int_equal(journal_risk_put_kill(s, JOURNAL_KILL_TRIP, fixed_now - 4000,
                                           "drawdown 10.2% > MAX_DRAWDOWN_PCT 10", "trader", &err),
                     JOURNAL_OK);
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    journal_run run = {.run_id = "run-1",
                       .trigger = "schedule",
                       .trigger_id = "2026-01-01T00:05:00Z",
                       .started_ms = fixed_now - 3000,
                       .finished_ms = fixed_now - 2500,
                       .symbols = syms,
                       .n_symbols = 2,
                       .actions_json = "[\"cancel stale leg\"]",
                       .outcome = "ok",
                       .build = "v1.2"};
    assert_int_equal(journal_run_put(s, &run, NULL, &err), JOURNAL_OK);
    dstr_free(&err);
}

static void test_the_whole_answer(void **state) {
    fixture *f = *state;
    journal_day(f);
    cJSON *j = run(f, OVERVIEW_OK, NULL);
    /* one read batch, the parts and symbols it needs, no write, no market data */
    assert_int_equal(f->m.reads, 1);
    assert_int_equal(f->m.writes, 0);
    assert_int_equal(f->m.market_calls, 0);
    assert_int_equal(f->m.last_parts, EX_READ_BALANCES | EX_READ_POSITIONS |
                                          EX_READ_SYMBOL_CONFIGS | EX_READ_OPEN_ORDERS |
                                          EX_READ_OPEN_ALGO_ORDERS);
    assert_int_equal(f->m.last_n_symbols, 2);
    assert_string_equal(f->m.last_symbols[0], "BTCUSDT");
    assert_string_equal(f->m.last_symbols[1], "ETHUSDT");
    assert_int_equal(f->m.last_now_ms, fixed_now);
    assert_int_equal(f->m.last_deadline_ms, fixed_now + 9000 - OVERVIEW_JOURNAL_RESERVE_MS);

    assert_int_equal((int64_t)num(j, "time"), fixed_now);
    assert_true(cJSON_IsFalse(at(j, "execute_trades")));
    assert_string_equal(str(j, "order_id_prefix"), "atr");
    /* balances */
    assert_int_equal(cJSON_GetArraySize(at(j, "balances")), 2);
    assert_string_equal(str(j, "balances.0.asset"), "USDT");
    assert_true(num(j, "balances.0.balance") == 1000.5);
    assert_true(num(j, "balances.0.available_balance") == 900.25);
    /* positions: the flat ETHUSDT entry left out; XRPUSDT is outside SYMBOLS */
    assert_int_equal(cJSON_GetArraySize(at(j, "positions")), 2);
    assert_string_equal(str(j, "positions.0.symbol"), "BTCUSDT");
    assert_string_equal(str(j, "positions.0.side"), "LONG");
    assert_true(num(j, "positions.0.size") == 0.01);
    assert_string_equal(str(j, "positions.0.amount"), "0.010");
    assert_true(num(j, "positions.0.entry_price") == 90000);
    assert_true(num(j, "positions.0.mark_price") == 91250);
    assert_true(num(j, "positions.0.unrealized_pnl") == 12.5);
    assert_true(num(j, "positions.0.liquidation_price") == 72000.5);
    assert_int_equal((int)num(j, "positions.0.leverage"), 5);
    assert_string_equal(str(j, "positions.0.margin_type"), "ISOLATED");
    assert_true(cJSON_IsTrue(at(j, "positions.0.in_symbols")));
    assert_string_equal(str(j, "positions.1.side"), "SHORT");
    assert_true(num(j, "positions.1.size") == 100);
    assert_true(cJSON_IsNull(at(j, "positions.1.leverage"))); /* not asked: not in SYMBOLS */
    assert_true(cJSON_IsNull(at(j, "positions.1.liquidation_price")));
    assert_true(cJSON_IsFalse(at(j, "positions.1.in_symbols")));
    /* per symbol: this bot's orders only, the others counted */
    assert_int_equal(cJSON_GetArraySize(at(j, "symbols")), 2);
    assert_string_equal(str(j, "symbols.0.symbol"), "BTCUSDT");
    assert_int_equal(cJSON_GetArraySize(at(j, "symbols.0.open_orders")), 1);
    assert_string_equal(str(j, "symbols.0.open_orders.0.client_id"), "atr-BTCUSDT-t1a2b3c-E");
    assert_int_equal((int)num(j, "symbols.0.open_orders.0.order_id"), 11);
    assert_string_equal(str(j, "symbols.0.open_orders.0.side"), "BUY");
    assert_string_equal(str(j, "symbols.0.open_orders.0.orig_qty"), "0.010");
    assert_int_equal((int)num(j, "symbols.0.other_open_orders"), 2);
    assert_int_equal(cJSON_GetArraySize(at(j, "symbols.0.algo_orders")), 2);
    assert_string_equal(str(j, "symbols.0.algo_orders.0.type"), "STOP_MARKET");
    assert_true(num(j, "symbols.0.algo_orders.0.trigger_price") == 88000);
    assert_string_equal(str(j, "symbols.0.algo_orders.0.working_type"), "MARK_PRICE");
    assert_true(cJSON_IsTrue(at(j, "symbols.0.algo_orders.0.reduce_only")));
    assert_string_equal(str(j, "symbols.0.algo_orders.1.type"), "TAKE_PROFIT_MARKET");
    assert_int_equal((int)num(j, "symbols.0.other_algo_orders"), 0);
    assert_int_equal(cJSON_GetArraySize(at(j, "symbols.1.open_orders")), 0);
    assert_int_equal(cJSON_GetArraySize(at(j, "symbols.1.algo_orders")), 0);
    assert_int_equal((int)num(j, "symbols.1.other_algo_orders"), 1);
    /* the journal: the newest decision, the day's PnL, the kill switch */
    assert_string_equal(str(j, "symbols.0.latest_decision.direction"), "LONG");
    assert_true(cJSON_IsNull(at(j, "symbols.1.latest_decision")));
    assert_int_equal((int)num(j, "pnl_today.trades"), 2);
    assert_true(num(j, "pnl_today.realized") == 9.5);
    /* sums of doubles shown at the asset's 8 decimals: 9.8820176, not 9.882017600000001 */
    assert_true(num(j, "pnl_today.fees") == 9.8820176);
    assert_true(num(j, "pnl_today.net") == -0.3820176);
    assert_int_equal(strlen(str(j, "pnl_today.day")), 10);
    assert_true(cJSON_IsTrue(at(j, "kill_switch.tripped")));
    assert_int_equal((int64_t)num(j, "kill_switch.since"), fixed_now - 4000);
    assert_string_equal(str(j, "kill_switch.reason"), "drawdown 10.2% > MAX_DRAWDOWN_PCT 10");
    assert_string_equal(str(j, "kill_switch.by"), "trader");
    assert_string_equal(str(j, "kill_switch.high_water_mark"), "1100.5");
    assert_string_equal(str(j, "last_run.run_id"), "run-1");
    assert_string_equal(str(j, "last_run.trigger"), "schedule");
    assert_string_equal(str(j, "last_run.trigger_id"), "2026-01-01T00:05:00Z");
    assert_int_equal((int64_t)num(j, "last_run.finished_ms"), fixed_now - 2500);
    assert_true(cJSON_IsFalse(at(j, "last_run.execute")));
    assert_string_equal(str(j, "last_run.outcome"), "ok");
    assert_int_equal((int)num(j, "last_run.actions"), 1);
    assert_string_equal(str(j, "last_run.build"), "v1.2");
    assert_int_equal(cJSON_GetArraySize(at(j, "errors")), 0);
    cJSON_Delete(j);
}

static void test_empty_journal_and_account(void **state) {
    fixture *f = *state;
    f->m.n_positions = f->m.n_orders = f->m.n_algo_orders = 0;
    cJSON *j = run(f, OVERVIEW_OK, NULL);
    assert_int_equal(cJSON_GetArraySize(at(j, "positions")), 0);
    assert_int_equal(cJSON_GetArraySize(at(j, "symbols.0.open_orders")), 0);
    assert_true(cJSON_IsNull(at(j, "symbols.0.latest_decision")));
    assert_int_equal((int)num(j, "pnl_today.trades"), 0);
    assert_true(num(j, "pnl_today.net") == 0);
    assert_true(cJSON_IsFalse(at(j, "kill_switch.tripped")));
    assert_true(cJSON_IsNull(at(j, "kill_switch.since")));
    assert_true(cJSON_IsNull(at(j, "kill_switch.high_water_mark")));
    assert_true(cJSON_IsNull(at(j, "last_run"))); /* none yet: not an error */
    assert_int_equal(cJSON_GetArraySize(at(j, "errors")), 0);
    cJSON_Delete(j);
}

static void test_one_exchange_part_fails(void **state) {
    fixture *f = *state;
    int k = ro_exchange_part_index(EX_READ_POSITIONS);
    f->m.fail[k] = EX_TIMEOUT;
    f->m.fail_why[k] = "positionRisk: timeout: no answer within 1000 ms";
    cJSON *j = run(f, OVERVIEW_OK, NULL);
    assert_true(cJSON_IsNull(at(j, "positions")));
    assert_int_equal(cJSON_GetArraySize(at(j, "balances")), 2); /* the others still answer */
    assert_int_equal(cJSON_GetArraySize(at(j, "symbols.0.algo_orders")), 2);
    assert_int_equal(cJSON_GetArraySize(at(j, "errors")), 1);
    assert_string_equal(str(j, "errors.0.part"), "positions");
    assert_string_equal(str(j, "errors.0.status"), "timeout");
    assert_string_equal(str(j, "errors.0.message"),
                        "positionRisk: timeout: no answer within 1000 ms");
    cJSON_Delete(j);
}

static void test_leverage_and_orders_fail(void **state) {
    fixture *f = *state;
    int k = ro_exchange_part_index(EX_READ_SYMBOL_CONFIGS);
    f->m.fail[k] = EX_REJECTED, f->m.fail_code[k] = -2015;
    f->m.fail_why[k] = "symbolConfig BTCUSDT: rejected (HTTP 400): Invalid API-key, IP, or "
                       "permissions for action.";
    k = ro_exchange_part_index(EX_READ_OPEN_ALGO_ORDERS);
    f->m.fail[k] = EX_BAD_RESPONSE;
    cJSON *j = run(f, OVERVIEW_OK, NULL);
    assert_true(num(j, "positions.0.entry_price") == 90000);
    assert_true(cJSON_IsNull(at(j, "positions.0.leverage")));
    assert_true(cJSON_IsNull(at(j, "positions.0.margin_type")));
    assert_int_equal(cJSON_GetArraySize(at(j, "symbols.0.open_orders")), 1);
    assert_true(cJSON_IsNull(at(j, "symbols.0.algo_orders")));
    assert_true(cJSON_IsNull(at(j, "symbols.0.other_algo_orders")));
    assert_int_equal(cJSON_GetArraySize(at(j, "errors")), 2);
    assert_string_equal(str(j, "errors.0.part"), "leverage");
    assert_string_equal(str(j, "errors.0.status"), "rejected");
    assert_int_equal((int)num(j, "errors.0.binance_code"), -2015);
    assert_int_equal((int)num(j, "errors.0.http_status"), 400);
    assert_string_equal(str(j, "errors.1.part"), "algo_orders");
    assert_string_equal(str(j, "errors.1.status"), "bad_response");
    cJSON_Delete(j);
}

static void test_journal_unavailable(void **state) {
    fixture *f = *state;
    f->env.journal = NULL;
    cJSON *j = run(f, OVERVIEW_OK, NULL);
    assert_int_equal(cJSON_GetArraySize(at(j, "positions")), 2);
    assert_true(cJSON_IsNull(at(j, "symbols.0.latest_decision")));
    assert_true(cJSON_IsNull(at(j, "pnl_today")));
    assert_true(cJSON_IsNull(at(j, "kill_switch"))); /* unknown, never "off" */
    assert_true(cJSON_IsNull(at(j, "last_run")));
    assert_int_equal(cJSON_GetArraySize(at(j, "errors")), 4);
    assert_string_equal(str(j, "errors.0.part"), "decisions");
    assert_string_equal(str(j, "errors.1.part"), "pnl_today");
    assert_string_equal(str(j, "errors.2.part"), "kill_switch");
    assert_string_equal(str(j, "errors.2.status"), "journal_unavailable");
    assert_string_equal(str(j, "errors.3.part"), "last_run");
    cJSON_Delete(j);
}

static void test_everything_fails(void **state) {
    fixture *f = *state;
    f->env.journal = NULL;
    unsigned bits[] = {EX_READ_BALANCES, EX_READ_POSITIONS, EX_READ_SYMBOL_CONFIGS,
                       EX_READ_OPEN_ORDERS, EX_READ_OPEN_ALGO_ORDERS};
    for (size_t i = 0; i < 5; i++) f->m.fail[ro_exchange_part_index(bits[i])] = EX_UNAVAILABLE;
    ex_error e = {0};
    cJSON *j = run(f, OVERVIEW_ALL_FAILED, &e);
    assert_int_equal(e.status, EX_UNAVAILABLE);
    assert_int_equal(cJSON_GetArraySize(at(j, "errors")), OV_PART_COUNT);
    assert_true(cJSON_IsNull(at(j, "balances")));
    cJSON_Delete(j);
    /* no HTTP client: every exchange part says so, without a read */
    f->env.exchange = NULL;
    f->m.reads = 0;
    j = run(f, OVERVIEW_ALL_FAILED, &e);
    assert_int_equal(f->m.reads, 0);
    assert_string_equal(str(j, "errors.0.message"), "the HTTP client could not start");
    assert_string_equal(str(j, "errors.0.status"), "unavailable");
    cJSON_Delete(j);
}

static void test_journal_keeps_its_share_of_a_short_deadline(void **state) {
    fixture *f = *state;
    f->env.deadline_ms = fixed_now + 3000;
    cJSON *j = run(f, OVERVIEW_OK, NULL);
    assert_int_equal(f->m.last_deadline_ms, fixed_now + 2000); /* a third kept back */
    cJSON_Delete(j);
    f->env.deadline_ms = fixed_now - 10; /* already past: nothing kept, nothing negative */
    j = run(f, OVERVIEW_OK, NULL);
    assert_int_equal(f->m.last_deadline_ms, fixed_now - 10);
    cJSON_Delete(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bot_order_prefix),
        cmocka_unit_test_setup_teardown(test_no_keys_asks_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_whole_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_journal_and_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_exchange_part_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leverage_and_orders_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_everything_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_keeps_its_share_of_a_short_deadline, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("overview", tests, NULL, NULL);
}
