/* probe: the gate before going live (pipelines/probe.h) over probe records
 * (services/journal_probe.h) in a real file journal: off, not live, a ready
 * fresh probe of the strategy passes; missing, another strategy's, stale,
 * not ready, a newer not-ready one over an older ready one, and an
 * unreadable journal are refused, each naming what is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cfgfix.h"
#include "pipelines/audit.h"
#include "pipelines/probe.h"
#include "services/journal_probe.h"
#include "tmpstore.h"

#define NOW 1790000000000LL
#define DAY 86400000LL

static cfg base(void) {
    cfg c = cfgfix_base();
    c.journal_url = "file:///tmp/journal";
    c.execute_trades = 1;
    c.live_requires_probe = 1;
    c.probe_max_age_days = 14;
    c.probe_max_drawdown_pct = 15;
    c.probe_min_trades = 10;
    return c;
}

static void put_probe(store *s, const cfg *c, int64_t at, int ready, const char *why) {
    journal_probe p = {.time_ms = at, .ready = ready, .max_drawdown_pct = 8, .closed_trades = 12};
    pl_strategy_hash(c, p.strategy_hash, sizeof p.strategy_hash);
    pl_config_hash(c, p.config_hash, sizeof p.config_hash);
    snprintf(p.run_id, sizeof p.run_id, "sim-%lld", (long long)at);
    snprintf(p.why, sizeof p.why, "%s", why);
    snprintf(p.from, sizeof p.from, "2025-12-17 14:25");
    snprintf(p.to, sizeof p.to, "2025-12-31 11:35");
    const char *syms[] = {"BTCUSDT"};
    p.symbols = syms;
    p.n_symbols = 1;
    dstr err = {0};
    assert_int_equal(journal_probe_put(s, &p, &err), JOURNAL_OK);
    dstr_free(&err);
}

/* The gate's answer and its message ("" when it passes). */
static int gate(const cfg *c, store *s, dstr *err) {
    dstr_clear(err);
    return pl_probe_gate(c, s, NOW, err);
}

static void test_judge(void **state) {
    (void)state;
    cfg c = base();
    char why[256];
    assert_true(pl_probe_judge(&c, 10.31, 12, why, sizeof why));
    assert_non_null(strstr(why, "ready: max drawdown 10.31 %"));
    assert_false(pl_probe_judge(&c, 15.01, 12, why, sizeof why));
    assert_non_null(strstr(why, "drawdown over the limit"));
    assert_false(pl_probe_judge(&c, 3, 9, why, sizeof why));
    assert_non_null(strstr(why, "too few trades"));
    assert_non_null(strstr(why, "PROBE_MIN_TRADES=10"));
    assert_true(pl_probe_judge(&c, 15, 10, why, sizeof why)); /* the limits are inclusive */
}

static void test_gate_off_or_not_live(void **state) {
    (void)state;
    dstr err = {0};
    cfg c = base();
    c.live_requires_probe = 0;
    assert_int_equal(gate(&c, NULL, &err), 0); /* nothing read */
    c = base();
    c.execute_trades = 0;
    assert_int_equal(gate(&c, NULL, &err), 0);
    c = base();
    c.paper = 1; /* EXECUTE_TRADES=paper: no money, no probe needed */
    assert_int_equal(gate(&c, NULL, &err), 0);
    c.paper = 0;
    assert_int_equal(gate(&c, NULL, &err), -1); /* live: the same journal-less gate refuses */
    dstr_free(&err);
}

static void test_gate(void **state) {
    (void)state;
    tmpstore t;
    assert_int_equal(tmpstore_open(&t, 1), 0);
    cfg c = base(), other = base();
    other.risk_usdt = 50;
    char hash[PL_CONFIG_HASH_LEN];
    pl_strategy_hash(&c, hash, sizeof hash);
    dstr err = {0};

    assert_int_equal(gate(&c, t.s, &err), -1); /* missing */
    assert_non_null(strstr(err.ptr, "holds no probe of it"));
    assert_non_null(strstr(err.ptr, hash));

    put_probe(t.s, &other, NOW - DAY, 1, "ready"); /* another strategy's */
    assert_int_equal(gate(&c, t.s, &err), -1);
    assert_non_null(strstr(err.ptr, "holds no probe of it"));
    assert_int_equal(gate(&other, t.s, &err), 0);

    put_probe(t.s, &c, NOW - 15 * DAY, 1, "ready"); /* stale */
    assert_int_equal(gate(&c, t.s, &err), -1);
    assert_non_null(strstr(err.ptr, "15.0 days old, over PROBE_MAX_AGE_DAYS=14"));

    put_probe(t.s, &c, NOW - 2 * DAY, 1, "ready: fine"); /* fresh and ready */
    assert_int_equal(gate(&c, t.s, &err), 0);
    assert_int_equal(err.len, 0);
    cfg live_only = c; /* the mode, the journal's place and the keys are not the strategy */
    live_only.journal_url = "s3://bucket/live";
    live_only.binance_api_key = "key-123456";
    assert_int_equal(gate(&live_only, t.s, &err), 0);

    put_probe(t.s, &c, NOW - DAY, 0, "too few trades: 3 closed"); /* newer, not ready */
    assert_int_equal(gate(&c, t.s, &err), -1);
    assert_non_null(strstr(err.ptr, "is not ready: too few trades: 3 closed"));

    c.probe_max_age_days = 1; /* a day old (less 1 ms: the key was taken): still in */
    put_probe(t.s, &c, NOW - DAY, 1, "ready");
    assert_int_equal(gate(&c, t.s, &err), 0);
    c.probe_min_trades = 13; /* the asking configuration's limits apply */
    assert_int_equal(gate(&c, t.s, &err), -1);
    assert_non_null(strstr(err.ptr, "not within this configuration's limits: too few trades"));

    assert_int_equal(gate(&c, NULL, &err), -1); /* no journal: never passes */
    assert_non_null(strstr(err.ptr, "could not be read"));
    dstr_free(&err);
    tmpstore_close(&t);
}

static void test_record_round_trip(void **state) {
    (void)state;
    journal_probe p;
    dstr why = {0};
    const char *good = "{\"time\":5,\"strategy_hash\":\"abc\",\"config_hash\":\"def\",\"run_id\":"
                       "\"r\",\"ready\":true,\"why\":\"w\",\"max_drawdown_pct\":1.5,"
                       "\"closed_trades\":3,\"net_pnl\":-2,\"from\":\"a\",\"to\":\"b\"}";
    assert_int_equal(journal_probe_parse(good, strlen(good), &p, &why), 0);
    assert_true(p.ready);
    assert_int_equal(p.closed_trades, 3);
    assert_int_equal(p.time_ms, 5);
    const char *bad = "{\"time\":5,\"ready\":\"yes\"}";
    assert_int_equal(journal_probe_parse(bad, strlen(bad), &p, &why), -1);
    assert_non_null(strstr(why.ptr, "ready"));
    dstr_free(&why);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_gate_off_or_not_live),
        cmocka_unit_test(test_gate),
        cmocka_unit_test(test_record_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
