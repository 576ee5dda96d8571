/* audit: the build version and the configuration hash: stable for the same
 * settings, changed by a setting, blind to secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "pipelines/audit.h"
#include "services/journal.h"

static cfg base(void) {
    static char *symbols[] = {"BTCUSDT", "ETHUSDT"};
    cfg c;
    memset(&c, 0, sizeof c);
    c.symbols[0] = symbols[0];
    c.symbols[1] = symbols[1];
    c.n_symbols = 2;
    c.risk_usdt = 100;
    c.leverage = 5;
    c.order_id_prefix = "atr";
    c.fapi_base = "https://fapi.binance.com";
    return c;
}

static void test_hash_is_stable_and_a_tag(void **state) {
    (void)state;
    cfg a = base(), b = base();
    char ha[PL_CONFIG_HASH_LEN], hb[PL_CONFIG_HASH_LEN];
    pl_config_hash(&a, ha, sizeof ha);
    pl_config_hash(&b, hb, sizeof hb);
    assert_string_equal(ha, hb);
    assert_int_equal(strlen(ha), 16);
    assert_true(journal_valid_tag(ha, JOURNAL_TAG_MAX));
    assert_true(journal_valid_tag(pl_build_version(), JOURNAL_TAG_MAX));
}

static void test_a_setting_changes_it(void **state) {
    (void)state;
    cfg a = base(), b = base();
    b.risk_usdt = 101;
    char ha[PL_CONFIG_HASH_LEN], hb[PL_CONFIG_HASH_LEN];
    pl_config_hash(&a, ha, sizeof ha);
    pl_config_hash(&b, hb, sizeof hb);
    assert_string_not_equal(ha, hb);
    b = base();
    b.execute_trades = 1;
    pl_config_hash(&b, hb, sizeof hb);
    assert_string_not_equal(ha, hb);
}

static void test_secrets_are_not_in_it(void **state) {
    (void)state;
    cfg a = base(), b = base();
    b.binance_api_key = "key-one-123456";
    b.binance_api_secret = "secret-one-123456";
    b.trader_token = "token-one-1234567890";
    b.google_api_key = "gkey-one-123456";
    b.aws_secret_access_key = "aws-secret-123456";
    b.aws_session_token = "aws-session-123456";
    char ha[PL_CONFIG_HASH_LEN], hb[PL_CONFIG_HASH_LEN];
    pl_config_hash(&a, ha, sizeof ha);
    pl_config_hash(&b, hb, sizeof hb);
    assert_string_equal(ha, hb);
    dstr text = {0};
    pl_config_text(&b, &text);
    assert_null(strstr(text.ptr, "one-123456"));
    assert_null(strstr(text.ptr, "aws-"));
    assert_null(strstr(text.ptr, "token-one"));
    dstr_free(&text);
}

static void test_small_buffer(void **state) {
    (void)state;
    cfg a = base();
    char h[8] = "xxxxxxx";
    pl_config_hash(&a, h, sizeof h);
    assert_string_equal(h, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_is_stable_and_a_tag),
        cmocka_unit_test(test_a_setting_changes_it),
        cmocka_unit_test(test_secrets_are_not_in_it),
        cmocka_unit_test(test_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
