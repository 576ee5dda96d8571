/* brackets: the stored plan of each position: written create-only under
 * the decision's key, read back newest first per symbol, corrupt objects
 * skipped, outside input parsed defensively. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "pipelines/brackets.h"
#include "platform/log.h"
#include "tmpstore.h"

#define CANDLE 1767225600000LL

static bracket_plan plan_of(const char *symbol, int64_t candle_ms, direction dir) {
    return (bracket_plan){.symbol = symbol,
                          .candle_ms = candle_ms,
                          .created_ms = candle_ms + 1000,
                          .dir = dir,
                          .qty = "0.010",
                          .entry = "100.0",
                          .sl = dir == DIR_LONG ? "98.0" : "102.0",
                          .tp = dir == DIR_LONG ? "104.0" : "96.0",
                          .sl_distance = 2,
                          .tp_distance = 4,
                          .run_id = "run-1",
                          .build = "dev",
                          .config_hash = "0123456789abcdef"};
}

static void test_put_is_create_only_and_read_back_newest(void **state) {
    (void)state;
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    bracket_plan a = plan_of("BTCUSDT", CANDLE, DIR_LONG);
    bracket_plan b = plan_of("BTCUSDT", CANDLE + 300000, DIR_SHORT);
    bracket_plan c = plan_of("ETHUSDT", CANDLE - 86400000, DIR_LONG);
    assert_int_equal(bracket_put(t.s, &a, NULL), JOURNAL_OK);
    assert_int_equal(bracket_put(t.s, &b, NULL), JOURNAL_OK);
    assert_int_equal(bracket_put(t.s, &c, NULL), JOURNAL_OK);
    dstr err = {0};
    assert_int_equal(bracket_put(t.s, &a, &err), JOURNAL_EXISTS);
    assert_non_null(strstr(err.ptr, "already"));
    dstr_free(&err);
    const char *syms[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
    bracket_info out[3];
    assert_int_equal(bracket_latest(t.s, syms, 3, out, NULL), 0);
    assert_true(out[0].has);
    assert_int_equal(out[0].candle_ms, CANDLE + 300000);
    assert_int_equal(out[0].dir, DIR_SHORT);
    assert_string_equal(out[0].sl, "102.0");
    assert_true(out[1].has);
    assert_int_equal(out[1].candle_ms, CANDLE - 86400000);
    assert_true(fabs(out[1].qty_value - 0.01) < 1e-12);
    assert_false(out[2].has);
    tmpstore_close(&t);
}

/* The fill record: create-only under the claim's key (fills/), with the
 * triggers the legs are about to get (null when unpriceable); a second
 * writer (a later reconcile) meets JOURNAL_EXISTS; bad records are refused. */
static void test_fill_record_is_create_only(void **state) {
    (void)state;
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    bracket_fill f = {.symbol = "BTCUSDT",
                      .candle_ms = CANDLE,
                      .filled_ms = CANDLE + 2000,
                      .dir = DIR_LONG,
                      .client_id = "atr_BTCUSDT_x_E",
                      .order_id = 1000001,
                      .qty = "0.010",
                      .fill_price = 100.5,
                      .sl_trigger = "98.5",
                      .tp_trigger = NULL,
                      .build = "dev"};
    assert_int_equal(bracket_fill_put(t.s, &f, NULL), JOURNAL_OK);
    f.recovered = 1;
    assert_int_equal(bracket_fill_put(t.s, &f, NULL), JOURNAL_EXISTS);
    char key[JOURNAL_KEY_MAX];
    assert_int_equal(bracket_fill_key("BTCUSDT", CANDLE, key, sizeof key), 0);
    assert_int_equal(strncmp(key, "fills/20260101/", 15), 0);
    dstr body = {0}, err = {0};
    assert_int_equal(store_get(t.s, key, &body, &err), STORE_OK);
    assert_non_null(strstr(body.ptr, "\"fill_price\":100.5"));
    assert_non_null(strstr(body.ptr, "\"sl_trigger\":\"98.5\",\"tp_trigger\":null"));
    assert_non_null(strstr(body.ptr, "\"recovered\":false"));
    bracket_fill bad = f;
    bad.candle_ms = CANDLE + 300000;
    bad.qty = "1e3";
    assert_int_equal(bracket_fill_put(t.s, &bad, &err), JOURNAL_INVALID);
    bad.qty = "0.010";
    bad.fill_price = NAN;
    assert_int_equal(bracket_fill_put(t.s, &bad, NULL), JOURNAL_INVALID);
    dstr_free(&body);
    dstr_free(&err);
    tmpstore_close(&t);
}

static void test_corrupt_newest_is_skipped(void **state) {
    (void)state;
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    bracket_plan a = plan_of("BTCUSDT", CANDLE, DIR_LONG);
    assert_int_equal(bracket_put(t.s, &a, NULL), JOURNAL_OK);
    char key[JOURNAL_KEY_MAX];
    assert_int_equal(bracket_key("BTCUSDT", CANDLE + 60000, key, sizeof key), 0);
    assert_int_equal(store_put_new(t.s, key, "{\"symbol\":1}", 12, NULL), STORE_OK);
    log_set_level(LOG_ERROR); /* the WARN journal.corrupt */
    const char *syms[] = {"BTCUSDT"};
    bracket_info out;
    assert_int_equal(bracket_latest(t.s, syms, 1, &out, NULL), 0);
    log_set_level(LOG_INFO);
    assert_true(out.has);
    assert_int_equal(out.candle_ms, CANDLE);
    tmpstore_close(&t);
}

static void test_bad_plans_are_not_written(void **state) {
    (void)state;
    bracket_plan p = plan_of("BTCUSDT", CANDLE, DIR_LONG);
    p.sl_distance = 0;
    assert_int_equal(bracket_put(NULL, &p, NULL), JOURNAL_INVALID);
    p = plan_of("btc", CANDLE, DIR_LONG);
    assert_int_equal(bracket_put(NULL, &p, NULL), JOURNAL_INVALID);
    p = plan_of("BTCUSDT", CANDLE, DIR_FLAT);
    assert_int_equal(bracket_put(NULL, &p, NULL), JOURNAL_INVALID);
    p = plan_of("BTCUSDT", CANDLE, DIR_LONG);
    p.qty = "1e-3";
    assert_int_equal(bracket_put(NULL, &p, NULL), JOURNAL_INVALID);
    p = plan_of("BTCUSDT", CANDLE, DIR_LONG);
    assert_int_equal(bracket_put(NULL, &p, NULL), JOURNAL_UNWRITTEN); /* no store */
    const char *syms[] = {"BTCUSDT"};
    bracket_info out;
    assert_int_equal(bracket_latest(NULL, syms, 1, &out, NULL), -1);
}

static void test_parse_refuses_broken_records(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        "[]",
        "{\"symbol\":\"BTCUSDT\"}",
        "{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"created_ms\":1,\"side\":\"FLAT\",\"qty\":\"1\","
        "\"entry\":\"1\",\"sl\":\"1\",\"tp\":\"1\",\"sl_distance\":1,\"tp_distance\":1}",
        "{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"created_ms\":1,\"side\":\"LONG\",\"qty\":\"-1\","
        "\"entry\":\"1\",\"sl\":\"1\",\"tp\":\"1\",\"sl_distance\":1,\"tp_distance\":1}",
        "{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"created_ms\":1,\"side\":\"LONG\",\"qty\":\"1\","
        "\"entry\":\"1\",\"sl\":\"1\",\"tp\":\"1\",\"sl_distance\":-1,\"tp_distance\":1}",
        "{\"symbol\":\"BTCUSDT\",\"candle_ms\":-5,\"created_ms\":1,\"side\":\"LONG\",\"qty\":\"1\","
        "\"entry\":\"1\",\"sl\":\"1\",\"tp\":\"1\",\"sl_distance\":1,\"tp_distance\":1}",
        "{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"created_ms\":1,\"side\":\"LONG\",\"qty\":\"1\","
        "\"entry\":\"1\",\"sl\":\"1\",\"tp\":\"1\",\"sl_distance\":1,\"tp_distance\":1,"
        "\"run_id\":\"a b\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bracket_info b;
        dstr why = {0};
        assert_int_equal(bracket_parse(bad[i], strlen(bad[i]), &b, &why), -1);
        assert_true(why.len > 0);
        assert_false(b.has);
        dstr_free(&why);
    }
    const char *good =
        "{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"created_ms\":1,\"side\":\"SHORT\","
        "\"qty\":\"1\",\"entry\":\"1\",\"sl\":\"1\",\"tp\":\"1\",\"sl_distance\":1,"
        "\"tp_distance\":1}";
    bracket_info b;
    assert_int_equal(bracket_parse(good, strlen(good), &b, NULL), 0);
    assert_int_equal(b.dir, DIR_SHORT);
}

int main(void) {
    log_init("test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_is_create_only_and_read_back_newest),
        cmocka_unit_test(test_fill_record_is_create_only),
        cmocka_unit_test(test_corrupt_newest_is_skipped),
        cmocka_unit_test(test_bad_plans_are_not_written),
        cmocka_unit_test(test_parse_refuses_broken_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
