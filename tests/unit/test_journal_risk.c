/* journal_risk: the keys (newest first in ascending order), the empty
 * state, high-water marks and kill switch events read back newest first, a
 * reset re-basing the mark, an operator's hand-written reset, collisions in
 * one millisecond, corrupt objects skipped (and too many of them refused),
 * bad input, and the parser, in a fresh file store per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "jfix.h"
#include "services/journal_risk.h"

#define T0 1767180907042LL

static void test_keys_sort_newest_first(void **state) {
    (void)state;
    char a[96], b[96], c[96];
    assert_int_equal(journal_risk_hwm_key(T0, a, sizeof a), 0);
    assert_string_equal(a, "risk/hwm/8232819092957_hwm.json");
    assert_int_equal(journal_risk_hwm_key(T0 + 1, b, sizeof b), 0);
    assert_true(strcmp(b, a) < 0); /* the later one lists first */
    assert_int_equal(journal_risk_kill_key(JOURNAL_KILL_TRIP, T0, c, sizeof c), 0);
    assert_string_equal(c, "risk/kill/8232819092957_trip.json");
    assert_int_equal(journal_risk_kill_key(JOURNAL_KILL_RESET, 0, c, sizeof c), 0);
    assert_string_equal(c, "risk/kill/9999999999999_reset.json");
    assert_int_equal(journal_risk_kill_key(JOURNAL_KILL_RESET, -1, c, sizeof c), -1);
    assert_int_equal(journal_risk_kill_key((journal_kill_event)7, T0, c, sizeof c), -1);
    assert_int_equal(journal_risk_hwm_key(JOURNAL_RISK_INV_BASE + 1, c, sizeof c), -1);
    assert_int_equal(journal_risk_hwm_key(T0, c, 10), -1);
}

static void test_state_newest_wins(void **state) {
    jfix *f = *state;
    journal_risk_state st;
    dstr err = {0};
    assert_int_equal(journal_risk_read(f->t.s, &st, &err), JOURNAL_OK);
    assert_int_equal(st.has_hwm, 0);
    assert_int_equal(st.has_kill, 0);
    assert_int_equal(st.tripped, 0);
    assert_int_equal(journal_risk_put_hwm(f->t.s, T0, "1000.5", "run-1", &err), JOURNAL_OK);
    assert_int_equal(journal_risk_put_hwm(f->t.s, T0 + 60000, "1200.25", NULL, &err), JOURNAL_OK);
    assert_int_equal(journal_risk_read(f->t.s, &st, &err), JOURNAL_OK);
    assert_int_equal(st.has_hwm, 1);
    assert_true(st.hwm == 1200.25);
    assert_string_equal(st.hwm_text, "1200.25");
    assert_int_equal(st.hwm_ms, T0 + 60000);
    /* tripped: the mark stays (it is what the drawdown is measured from) */
    assert_int_equal(journal_risk_put_kill(f->t.s, JOURNAL_KILL_TRIP, T0 + 120000,
                                           "drawdown 12.3% > MAX_DRAWDOWN_PCT 10", "trader", &err),
                     JOURNAL_OK);
    assert_int_equal(journal_risk_read(f->t.s, &st, &err), JOURNAL_OK);
    assert_int_equal(st.has_kill, 1);
    assert_int_equal(st.tripped, 1);
    assert_int_equal(st.kill_ms, T0 + 120000);
    assert_string_equal(st.kill_reason, "drawdown 12.3% > MAX_DRAWDOWN_PCT 10");
    assert_string_equal(st.kill_by, "trader");
    assert_int_equal(st.has_hwm, 1);
    /* reset: not tripped, and the old mark no longer counts (re-based) */
    assert_int_equal(
        journal_risk_put_kill(f->t.s, JOURNAL_KILL_RESET, T0 + 180000, NULL, "alice", &err),
        JOURNAL_OK);
    assert_int_equal(journal_risk_read(f->t.s, &st, &err), JOURNAL_OK);
    assert_int_equal(st.tripped, 0);
    assert_int_equal(st.has_kill, 1);
    assert_string_equal(st.kill_by, "alice");
    assert_string_equal(st.kill_reason, "");
    assert_int_equal(st.has_hwm, 0);
    /* a mark after the reset counts again */
    assert_int_equal(journal_risk_put_hwm(f->t.s, T0 + 240000, "900", "run-9", &err), JOURNAL_OK);
    assert_int_equal(journal_risk_read(f->t.s, &st, &err), JOURNAL_OK);
    assert_int_equal(st.has_hwm, 1);
    assert_true(st.hwm == 900);
    assert_int_equal(err.len, 0);
    dstr_free(&err);
}

/* The README's operator reset: a hand-written object under the documented key. */
static void test_operator_reset_by_hand(void **state) {
    jfix *f = *state;
    long long now = jfix_now_ms();
    assert_int_equal(
        journal_risk_put_kill(f->t.s, JOURNAL_KILL_TRIP, now - 60000, "daily", NULL, NULL),
        JOURNAL_OK);
    char key[96];
    snprintf(key, sizeof key, "risk/kill/%013lld_reset.json", 9999999999999LL - now);
    assert_int_equal(store_put_new(f->t.s, key, "{}", 2, NULL), STORE_OK);
    journal_risk_state st;
    assert_int_equal(journal_risk_read(f->t.s, &st, NULL), JOURNAL_OK);
    assert_int_equal(st.tripped, 0);
    assert_int_equal(st.kill_ms, now);
    /* a broken reset never counts: the trip below it is read instead */
    snprintf(key, sizeof key, "risk/kill/%013lld_reset.json", 9999999999999LL - now - 5);
    assert_int_equal(store_put_new(f->t.s, key, "{\"by\":\"bad name\"}", 17, NULL), STORE_OK);
    snprintf(key, sizeof key, "risk/kill/%013lld_rest.json", 9999999999999LL - now - 6);
    assert_int_equal(store_put_new(f->t.s, key, "{}", 2, NULL), STORE_OK);
    assert_int_equal(journal_risk_read(f->t.s, &st, NULL), JOURNAL_OK);
    assert_int_equal(st.tripped, 0);
    assert_int_equal(st.kill_ms, now); /* the good reset, under the two broken ones */
    assert_non_null(strstr(dstr_cstr(&f->log), "journal.corrupt"));
}

static void test_same_millisecond(void **state) {
    jfix *f = *state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(journal_risk_put_kill(f->t.s,
                                               i % 2 ? JOURNAL_KILL_RESET : JOURNAL_KILL_TRIP, T0,
                                               "r", NULL, NULL),
                         JOURNAL_OK);
    /* trip and reset at T0 (two keys), then a trip: T0's is taken, it goes to T0+1 and wins */
    journal_risk_state st;
    assert_int_equal(journal_risk_read(f->t.s, &st, NULL), JOURNAL_OK);
    assert_int_equal(st.tripped, 1);
    /* the same event: T0, T0+1, T0+2 taken; the next goes to T0+3 */
    assert_int_equal(journal_risk_put_kill(f->t.s, JOURNAL_KILL_TRIP, T0, "r", NULL, NULL),
                     JOURNAL_OK);
    assert_int_equal(journal_risk_read(f->t.s, &st, NULL), JOURNAL_OK);
    assert_true(st.kill_ms >= T0 + 1);
    /* JOURNAL_RISK_TRIES hwm records at one ms: the next is refused, loudly */
    for (int i = 0; i < JOURNAL_RISK_TRIES; i++)
        assert_int_equal(journal_risk_put_hwm(f->t.s, T0, "1", NULL, NULL), JOURNAL_OK);
    dstr err = {0};
    assert_int_equal(journal_risk_put_hwm(f->t.s, T0, "1", NULL, &err), JOURNAL_UNWRITTEN);
    assert_non_null(strstr(err.ptr, "taken"));
    cJSON *ev = jfix_event(f->log.ptr, "journal.unwritten", "risk");
    assert_non_null(ev);
    cJSON_Delete(ev);
    dstr_free(&err);
}

static void test_corrupt_and_unavailable(void **state) {
    jfix *f = *state;
    journal_risk_state st;
    dstr err = {0};
    assert_int_equal(journal_risk_read(NULL, &st, &err), JOURNAL_UNAVAILABLE);
    assert_int_equal(journal_risk_put_hwm(NULL, T0, "1", NULL, NULL), JOURNAL_UNWRITTEN);
    assert_int_equal(journal_risk_put_hwm(f->t.s, T0, "-1", NULL, NULL), JOURNAL_INVALID);
    assert_int_equal(journal_risk_put_hwm(f->t.s, T0, "1", "a b", NULL), JOURNAL_INVALID);
    assert_int_equal(journal_risk_put_kill(f->t.s, JOURNAL_KILL_TRIP, T0, NULL, NULL, NULL),
                     JOURNAL_INVALID);
    assert_int_equal(journal_risk_put_kill(f->t.s, JOURNAL_KILL_RESET, T0, NULL, "a b", NULL),
                     JOURNAL_INVALID);
    assert_int_equal(journal_risk_put_kill(f->t.s, JOURNAL_KILL_RESET, -5, NULL, NULL, NULL),
                     JOURNAL_INVALID);
    /* a trip under more corrupt objects than a reader skips: refused, not "off" */
    assert_int_equal(journal_risk_put_kill(f->t.s, JOURNAL_KILL_TRIP, T0, "x", NULL, NULL),
                     JOURNAL_OK);
    for (int i = 1; i <= JOURNAL_RISK_SKIP_MAX + 1; i++) {
        char key[96];
        assert_int_equal(journal_risk_kill_key(JOURNAL_KILL_RESET, T0 + i, key, sizeof key), 0);
        assert_int_equal(store_put_new(f->t.s, key, "nope", 4, NULL), STORE_OK);
    }
    dstr_clear(&err);
    assert_int_equal(journal_risk_read(f->t.s, &st, &err), JOURNAL_UNAVAILABLE);
    assert_non_null(strstr(err.ptr, "unreadable"));
    assert_int_equal(st.tripped, 0);
    assert_int_equal(st.has_kill, 0);
    dstr_free(&err);
}

static void test_long_reason_is_cut_on_a_character(void **state) {
    jfix *f = *state;
    char reason[400];
    memset(reason, 'a', sizeof reason);
    memcpy(reason + JOURNAL_RISK_TEXT_MAX - 1, "\xc3\xa9", 2); /* é across the cut */
    reason[sizeof reason - 1] = '\0';
    assert_int_equal(journal_risk_put_kill(f->t.s, JOURNAL_KILL_TRIP, T0, reason, NULL, NULL),
                     JOURNAL_OK);
    journal_risk_state st;
    assert_int_equal(journal_risk_read(f->t.s, &st, NULL), JOURNAL_OK);
    assert_int_equal(strlen(st.kill_reason), JOURNAL_RISK_TEXT_MAX - 1);
}

static void test_parse(void **state) {
    (void)state;
    static const struct {
        const char *file, *json, *error;
    } cases[] = {
        {"8232819092957_hwm.json", "{\"equity\":\"10.5\"}", NULL},
        {"8232819092957_trip.json", "{\"reason\":\"x\",\"by\":\"trader\"}", NULL},
        {"8232819092957_reset.json", "{}", NULL},
        {"8232819092957_hwm.json", "{\"equity\":10.5}", "equity"},
        {"8232819092957_hwm.json", "{\"equity\":\"-1\"}", "equity"},
        {"8232819092957_trip.json", "{\"reason\":5}", "reason"},
        {"8232819092957_trip.json", "[]", "JSON object"},
        {"8232819092957_stop.json", "{}", "event"},
        {"823281909295_hwm.json", "{}", "key"},
        {"8232819092957_hwm.jsonl", "{}", "key"},
        {"8232819092957_averyverylongevent.json", "{}", "key"},
        {"", "{}", "key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        journal_risk_state st = {0};
        dstr why = {0};
        int rc = journal_risk_parse(cases[i].file, cases[i].json, strlen(cases[i].json), &st, &why);
        if (cases[i].error ? rc != -1 || !strstr(dstr_cstr(&why), cases[i].error) : rc != 0)
            fail_msg("case %zu: rc %d why '%s'", i, rc, dstr_cstr(&why));
        if (rc == 0) assert_int_equal(st.has_hwm ? st.hwm_ms : st.kill_ms, T0);
        dstr_free(&why);
    }
    journal_risk_state st = {0};
    assert_int_equal(journal_risk_parse(NULL, "{}", 2, &st, NULL), -1);
    assert_int_equal(journal_risk_parse("8232819092957_hwm.json", NULL, 0, &st, NULL), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_sort_newest_first),
        cmocka_unit_test_setup_teardown(test_state_newest_wins, jfix_setup, jfix_teardown),
        cmocka_unit_test_setup_teardown(test_operator_reset_by_hand, jfix_setup, jfix_teardown),
        cmocka_unit_test_setup_teardown(test_same_millisecond, jfix_setup, jfix_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_and_unavailable, jfix_setup, jfix_teardown),
        cmocka_unit_test_setup_teardown(test_long_reason_is_cut_on_a_character, jfix_setup,
                                        jfix_teardown),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
