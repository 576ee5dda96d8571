/* journal_claim: the claim's key, exactly one winner of repeated and
 * concurrent claims of one decision, the holder read back, claims that are
 * not held (bad input, no store, store failure), and the stored claim's
 * parser, in a fresh file store per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jfix.h"
#include "services/journal_claim.h"

#define CANDLE 1767180900000LL /* 2025-12-31T11:35:00.000Z */

static journal_claim a_claim(const char *run_id) {
    return (journal_claim){.symbol = "BTCUSDT",
                           .candle_ms = CANDLE,
                           .claimed_ms = CANDLE + 7042,
                           .run_id = run_id,
                           .build = "1.4.0+g1a2b3c",
                           .config_hash = "sha256:0f1e2d"};
}

static void test_key(void **state) {
    (void)state;
    char key[128];
    assert_int_equal(journal_claim_key("BTCUSDT", CANDLE, key, sizeof key), 0);
    assert_string_equal(key, "claims/20251231/113500000_BTCUSDT.json");
    assert_int_equal(journal_claim_key("btc", CANDLE, key, sizeof key), -1);
    assert_int_equal(journal_claim_key("BTCUSDT", -1, key, sizeof key), -1);
    assert_int_equal(journal_claim_key("BTCUSDT", CANDLE, key, 10), -1);
    /* a 20-character symbol still makes a valid key */
    assert_int_equal(journal_claim_key("ABCDEFGHIJKLMNOPQRST", CANDLE, key, sizeof key), 0);
    assert_true(store_key_valid(key, NULL));
}

static void test_one_winner_holder_read_back(void **state) {
    jfix *f = *state;
    journal_claim c = a_claim("run-1");
    journal_claim_info holder;
    dstr err = {0};
    assert_int_equal(journal_claim_put(f->t.s, &c, &holder, &err), JOURNAL_OK);
    assert_int_equal(err.len, 0);
    assert_string_equal(holder.run_id, ""); /* only filled for EXISTS */
    /* a retried, repeated or overlapping run: already claimed, by run-1 */
    for (int i = 0; i < 3; i++) {
        journal_claim again = a_claim("run-2");
        again.claimed_ms += 1000 * i;
        dstr_clear(&err);
        assert_int_equal(journal_claim_put(f->t.s, &again, &holder, &err), JOURNAL_EXISTS);
        assert_non_null(strstr(dstr_cstr(&err), "already journaled"));
        assert_string_equal(holder.run_id, "run-1");
        assert_string_equal(holder.symbol, "BTCUSDT");
        assert_int_equal(holder.candle_ms, CANDLE);
        assert_int_equal(holder.claimed_ms, CANDLE + 7042);
        assert_string_equal(holder.build, "1.4.0+g1a2b3c");
        assert_string_equal(holder.config_hash, "sha256:0f1e2d");
    }
    assert_int_equal(journal_claim_put(f->t.s, &c, NULL, NULL), JOURNAL_EXISTS);
    /* the next candle, or another symbol, is another decision */
    c.candle_ms += 300000;
    assert_int_equal(journal_claim_put(f->t.s, &c, NULL, NULL), JOURNAL_OK);
    c.symbol = "ETHUSDT";
    assert_int_equal(journal_claim_put(f->t.s, &c, NULL, NULL), JOURNAL_OK);
    assert_null(strstr(dstr_cstr(&f->log), "journal.unwritten"));
    dstr_free(&err);
}

/* The claims of several symbols in one batch: each its own answer (a new
 * one held, one already held with its holder, a broken one refused). */
static void test_claims_batch(void **state) {
    jfix *f = *state;
    journal_claim first = a_claim("run-1");
    assert_int_equal(journal_claim_put(f->t.s, &first, NULL, NULL), JOURNAL_OK);
    journal_claim c[3] = {a_claim("run-2"), a_claim("run-2"), a_claim("run-2")};
    c[0].symbol = "ETHUSDT";
    c[2].symbol = "bad";
    journal_status st[3];
    journal_claim_info holders[3];
    dstr err = {0};
    journal_claims_put(f->t.s, c, 3, 0, st, holders, &err);
    assert_int_equal(st[0], JOURNAL_OK);
    assert_int_equal(st[1], JOURNAL_EXISTS);
    assert_string_equal(holders[1].run_id, "run-1");
    assert_string_equal(holders[0].run_id, "");
    assert_int_equal(st[2], JOURNAL_INVALID);
    assert_non_null(strstr(dstr_cstr(&err), "already journaled"));
    assert_non_null(strstr(dstr_cstr(&err), "claim not written"));
    journal_claims_put(f->t.s, c, 0, 0, st, NULL, NULL); /* nothing: nothing done */
    dstr_free(&err);
}

/* 8 processes claim the same decision at once: exactly one holds it. */
static void test_concurrent_claims(void **state) {
    jfix *f = *state;
    enum { N = 8 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            store *s = store_open(f->t.url, NULL);
            char run[16];
            snprintf(run, sizeof run, "run-%d", i);
            journal_claim c = a_claim(run);
            journal_status st = journal_claim_put(s, &c, NULL, NULL);
            store_close(s);
            _exit(st == JOURNAL_OK ? 0 : st == JOURNAL_EXISTS ? 1 : 2);
        }
    }
    int won = 0, lost = 0;
    for (int i = 0; i < N; i++) {
        int st = 0;
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st));
        won += WEXITSTATUS(st) == 0;
        lost += WEXITSTATUS(st) == 1;
    }
    assert_int_equal(won, 1);
    assert_int_equal(lost, N - 1);
}

static void test_not_held(void **state) {
    jfix *f = *state;
    dstr err = {0};
    journal_claim c = a_claim("run-1");
    assert_int_equal(journal_claim_put(NULL, &c, NULL, &err), JOURNAL_UNWRITTEN);
    cJSON *ev = jfix_event(f->log.ptr, "journal.unwritten", "claim");
    assert_non_null(ev);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "record"), "run_id")->valuestring, "run-1");
    cJSON_Delete(ev);
    static const struct {
        const char *field, *value;
        long long number;
        const char *error;
    } bad[] = {
        {"symbol", "btcusdt", 0, "symbol"},
        {"run_id", "", 0, "run_id"},
        {"run_id", "a b", 0, "run_id"},
        {"build", "1.0 beta", 0, "build"},
        {"config_hash", "x\"y", 0, "config_hash"},
        {"candle_ms", NULL, -1, "candle_ms"},
        {"claimed_ms", NULL, 253402300800000LL, "claimed_ms"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        c = a_claim("run-1");
        if (!strcmp(bad[i].field, "symbol")) c.symbol = bad[i].value;
        else if (!strcmp(bad[i].field, "run_id")) c.run_id = bad[i].value;
        else if (!strcmp(bad[i].field, "build")) c.build = bad[i].value;
        else if (!strcmp(bad[i].field, "config_hash")) c.config_hash = bad[i].value;
        else if (!strcmp(bad[i].field, "candle_ms")) c.candle_ms = bad[i].number;
        else c.claimed_ms = bad[i].number;
        dstr_clear(&err);
        assert_int_equal(journal_claim_put(f->t.s, &c, NULL, &err), JOURNAL_INVALID);
        if (!strstr(dstr_cstr(&err), bad[i].error))
            fail_msg("case %zu: '%s' lacks '%s'", i, dstr_cstr(&err), bad[i].error);
    }
    assert_int_equal(journal_claim_put(f->t.s, NULL, NULL, NULL), JOURNAL_INVALID);
    /* the store fails (an object where the day's directory must go): not held */
    assert_int_equal(store_put(f->t.s, "claims/20251231", "x", 1, NULL), STORE_OK);
    c = a_claim("run-1");
    assert_int_equal(journal_claim_put(f->t.s, &c, NULL, NULL), JOURNAL_UNWRITTEN);
    dstr_free(&err);
}

static void test_parse(void **state) {
    (void)state;
    static const struct {
        const char *json, *error; /* error NULL: parses */
    } cases[] = {
        {"{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"claimed_ms\":2,\"run_id\":\"r\"}", NULL},
        {"{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"claimed_ms\":2,\"run_id\":\"r\",\"build\":null,"
         "\"config_hash\":\"h\"}",
         NULL},
        {"[]", "not a JSON object"},
        {"{\"symbol\":\"btc\",\"candle_ms\":1,\"claimed_ms\":2,\"run_id\":\"r\"}", "symbol"},
        {"{\"symbol\":\"BTCUSDT\",\"candle_ms\":1.5,\"claimed_ms\":2,\"run_id\":\"r\"}",
         "candle_ms"},
        {"{\"symbol\":\"BTCUSDT\",\"candle_ms\":-1,\"claimed_ms\":2,\"run_id\":\"r\"}",
         "candle_ms"},
        {"{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"claimed_ms\":\"2\",\"run_id\":\"r\"}",
         "claimed_ms"},
        {"{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"claimed_ms\":2}", "run_id"},
        {"{\"symbol\":\"BTCUSDT\",\"candle_ms\":1,\"claimed_ms\":2,\"run_id\":\"r\",\"build\":7}",
         "build"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        journal_claim_info info;
        dstr why = {0};
        int rc = journal_claim_parse(cases[i].json, strlen(cases[i].json), &info, &why);
        if (cases[i].error ? rc != -1 || !strstr(dstr_cstr(&why), cases[i].error) : rc != 0)
            fail_msg("case %zu: rc %d why '%s'", i, rc, dstr_cstr(&why));
        if (rc) assert_string_equal(info.run_id, "");
        dstr_free(&why);
    }
    journal_claim_info info;
    assert_int_equal(journal_claim_parse(NULL, 0, &info, NULL), -1);
    /* a NUL inside the stored bytes ends nothing early */
    assert_int_equal(journal_claim_parse("{\"symbol\":\"BTC\0USDT\"}", 20, &info, NULL), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test_setup_teardown(test_one_winner_holder_read_back, jfix_setup,
                                        jfix_teardown),
        cmocka_unit_test_setup_teardown(test_claims_batch, jfix_setup, jfix_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_claims, jfix_setup, jfix_teardown),
        cmocka_unit_test_setup_teardown(test_not_held, jfix_setup, jfix_teardown),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
