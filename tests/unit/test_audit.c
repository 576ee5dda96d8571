/* audit: the build version and the configuration hash: stable for the same
 * settings, changed by a setting, blind to secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "cfgfix.h"
#include "pipelines/audit.h"
#include "services/journal.h"

static cfg base(void) { return cfgfix_base(); }

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

/* 1 when hash gives a and b the same value. */
static int same(void (*hash)(const cfg *, char *, size_t), const cfg *a, const cfg *b) {
    char ha[PL_CONFIG_HASH_LEN], hb[PL_CONFIG_HASH_LEN];
    hash(a, ha, sizeof ha);
    hash(b, hb, sizeof hb);
    return strcmp(ha, hb) == 0;
}

static void test_a_setting_changes_it(void **state) {
    (void)state;
    cfg a = base(), b = base();
    b.risk_usdt = 101;
    assert_false(same(pl_config_hash, &a, &b));
    b = base();
    b.execute_trades = 1;
    assert_false(same(pl_config_hash, &a, &b));
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

/* The strategy hash: what changes a decision changes it; the mode, where
 * it trades and keeps records, ids and secrets do not. */
static void test_strategy_hash(void **state) {
    (void)state;
    cfg a = base(), b = base();
    char ha[PL_CONFIG_HASH_LEN];
    pl_strategy_hash(&a, ha, sizeof ha);
    assert_int_equal(strlen(ha), 16);
    b.execute_trades = 1;
    b.journal_url = "s3://bucket/live";
    b.fapi_base = "https://testnet.example";
    b.order_id_prefix = "xyz";
    b.recv_window_ms = 9000;
    b.binance_api_key = "key-one-123456";
    b.telegram_bot_token = "1:tg-token-123456";
    b.live_requires_probe = 1;
    b.probe_max_age_days = 3;
    assert_true(same(pl_strategy_hash, &a, &b));
    assert_false(same(pl_config_hash, &a, &b)); /* the configuration hash sees the mode */
    double *knobs[] = {&b.min_prob, &b.risk_usdt, &b.max_drawdown_pct, &b.fee_taker,
                       &b.max_funding_rate};
    for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++) {
        b = base();
        *knobs[i] += 0.5; /* each points into b */
        assert_false(same(pl_strategy_hash, &a, &b));
    }
    b = base();
    b.n_symbols = 1;
    assert_false(same(pl_strategy_hash, &a, &b));
    dstr text = {0};
    pl_strategy_text(&a, &text);
    assert_null(strstr(text.ptr, "EXECUTE_TRADES"));
    assert_null(strstr(text.ptr, "JOURNAL_URL"));
    assert_null(strstr(text.ptr, "FAPI_BASE"));
    assert_non_null(strstr(text.ptr, "RISK_USDT=100\n"));
    dstr_free(&text);
}

/* The configuration text is pl_config_each's list, one line a setting. */
static void count(void *ctx, const char *name, const char *value, int number, int strategy) {
    (void)name, (void)value, (void)number;
    ((int *)ctx)[0]++;
    ((int *)ctx)[1] += strategy;
}

static void test_each_is_the_text(void **state) {
    (void)state;
    cfg a = base();
    int n[2] = {0, 0};
    pl_config_each(&a, count, n);
    dstr text = {0}, strat = {0};
    pl_config_text(&a, &text);
    pl_strategy_text(&a, &strat);
    int lines = 0, slines = 0;
    for (const char *p = text.ptr; (p = strchr(p, '\n')); p++) lines++;
    for (const char *p = strat.ptr; (p = strchr(p, '\n')); p++) slines++;
    assert_int_equal(lines, n[0]);
    assert_int_equal(slines, n[1]);
    assert_true(n[1] < n[0]);
    dstr_free(&text);
    dstr_free(&strat);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_is_stable_and_a_tag),
        cmocka_unit_test(test_a_setting_changes_it),
        cmocka_unit_test(test_secrets_are_not_in_it),
        cmocka_unit_test(test_small_buffer),
        cmocka_unit_test(test_strategy_hash),
        cmocka_unit_test(test_each_is_the_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
