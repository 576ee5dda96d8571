/* journal_control: pause/resume keys (newest first), the state read back
 * (empty, newest wins, by and reason, independent of the kill switch), an
 * operator's hand-written pause, corrupt records, bad input; handled
 * updates claimed once, also by concurrent claimers on separate store
 * handles; and the pause parser. A fresh file store per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "jfix.h"
#include "services/journal_control.h"
#include "services/journal_risk.h"

#define T0 1767180907042LL

static void test_keys(void **state) {
    (void)state;
    char a[96], b[96];
    assert_int_equal(journal_control_pause_key(1, T0, a, sizeof a), 0);
    assert_string_equal(a, "control/pause/8232819092957_pause.json");
    assert_int_equal(journal_control_pause_key(0, T0 + 1, b, sizeof b), 0);
    assert_string_equal(b, "control/pause/8232819092956_resume.json");
    assert_true(strcmp(b, a) < 0); /* the later one lists first */
    assert_int_equal(journal_control_pause_key(1, -1, a, sizeof a), -1);
    assert_int_equal(journal_control_update_key(123456789, a, sizeof a), 0);
    assert_string_equal(a, "control/updates/123456789.json");
    assert_int_equal(journal_control_update_key(-1, a, sizeof a), -1);
    assert_int_equal(journal_control_update_key(1, a, 10), -1);
}

static void test_pause_newest_wins(void **state) {
    jfix *f = *state;
    journal_pause_state p;
    dstr err = {0};
    assert_int_equal(journal_control_read_pause(f->t.s, &p, &err), JOURNAL_OK);
    assert_int_equal(p.paused, 0);
    assert_int_equal(p.has, 0);
    assert_int_equal(journal_control_put_pause(f->t.s, 1, T0, "holiday", "telegram:42", &err),
                     JOURNAL_OK);
    assert_int_equal(journal_control_read_pause(f->t.s, &p, &err), JOURNAL_OK);
    assert_int_equal(p.paused, 1);
    assert_int_equal(p.has, 1);
    assert_int_equal(p.since_ms, T0);
    assert_string_equal(p.by, "telegram:42");
    assert_string_equal(p.reason, "holiday");
    /* a pause does not trip the kill switch, and a kill switch reset does not resume */
    journal_risk_state rs;
    assert_int_equal(journal_risk_read(f->t.s, &rs, &err), JOURNAL_OK);
    assert_int_equal(rs.has_kill, 0);
    assert_int_equal(
        journal_risk_put_kill(f->t.s, JOURNAL_KILL_RESET, T0 + 500, NULL, "telegram:42", &err),
        JOURNAL_OK);
    assert_int_equal(journal_control_read_pause(f->t.s, &p, &err), JOURNAL_OK);
    assert_int_equal(p.paused, 1);
    /* resume: the newest wins */
    assert_int_equal(journal_control_put_pause(f->t.s, 0, T0 + 1000, NULL, "telegram:7", &err),
                     JOURNAL_OK);
    assert_int_equal(journal_control_read_pause(f->t.s, &p, &err), JOURNAL_OK);
    assert_int_equal(p.paused, 0);
    assert_int_equal(p.since_ms, T0 + 1000);
    assert_string_equal(p.by, "telegram:7");
    assert_string_equal(p.reason, "");
    /* a resume does not reset a tripped kill switch */
    assert_int_equal(
        journal_risk_put_kill(f->t.s, JOURNAL_KILL_TRIP, T0 + 2000, "drawdown", "trader", &err),
        JOURNAL_OK);
    assert_int_equal(journal_control_put_pause(f->t.s, 0, T0 + 3000, NULL, NULL, &err), JOURNAL_OK);
    assert_int_equal(journal_risk_read(f->t.s, &rs, &err), JOURNAL_OK);
    assert_int_equal(rs.tripped, 1);
    /* a pause and a resume in one millisecond: "pause" lists before "resume", so
     * the pause wins (in doubt, no new entries) */
    assert_int_equal(journal_control_put_pause(f->t.s, 1, T0 + 3000, NULL, NULL, &err), JOURNAL_OK);
    assert_int_equal(journal_control_read_pause(f->t.s, &p, &err), JOURNAL_OK);
    assert_int_equal(p.paused, 1);
    assert_int_equal(p.since_ms, T0 + 3000);
    /* the same event twice in one millisecond: the second goes 1 ms later */
    assert_int_equal(journal_control_put_pause(f->t.s, 1, T0 + 3000, "again", NULL, &err),
                     JOURNAL_OK);
    assert_int_equal(journal_control_read_pause(f->t.s, &p, &err), JOURNAL_OK);
    assert_int_equal(p.since_ms, T0 + 3001);
    assert_string_equal(p.reason, "again");
    assert_int_equal(err.len, 0);
    dstr_free(&err);
}

/* The header's hand-written pause, and a broken record that never counts. */
static void test_pause_by_hand_and_corrupt(void **state) {
    jfix *f = *state;
    long long now = jfix_now_ms();
    char key[96];
    snprintf(key, sizeof key, "control/pause/%013lld_pause.json", 9999999999999LL - now);
    assert_int_equal(store_put_new(f->t.s, key, "{}", 2, NULL), STORE_OK);
    journal_pause_state p;
    assert_int_equal(journal_control_read_pause(f->t.s, &p, NULL), JOURNAL_OK);
    assert_int_equal(p.paused, 1);
    assert_int_equal(p.since_ms, now);
    snprintf(key, sizeof key, "control/pause/%013lld_resume.json", 9999999999999LL - now - 5);
    assert_int_equal(store_put_new(f->t.s, key, "{\"by\":\"bad name\"}", 17, NULL), STORE_OK);
    assert_int_equal(journal_control_read_pause(f->t.s, &p, NULL), JOURNAL_OK);
    assert_int_equal(p.paused, 1); /* the broken resume is skipped */
    assert_non_null(strstr(dstr_cstr(&f->log), "journal.corrupt"));
    /* more corrupt records than a reader skips: unavailable, never "not paused" */
    for (int i = 6; i < 6 + JOURNAL_STREAM_SKIP_MAX + 1; i++) {
        snprintf(key, sizeof key, "control/pause/%013lld_resume.json", 9999999999999LL - now - i);
        assert_int_equal(store_put_new(f->t.s, key, "nope", 4, NULL), STORE_OK);
    }
    dstr err = {0};
    assert_int_equal(journal_control_read_pause(f->t.s, &p, &err), JOURNAL_UNAVAILABLE);
    assert_non_null(strstr(dstr_cstr(&err), "unreadable"));
    assert_int_equal(journal_control_read_pause(NULL, &p, &err), JOURNAL_UNAVAILABLE);
    assert_int_equal(journal_control_put_pause(f->t.s, 1, T0, NULL, "a b", NULL), JOURNAL_INVALID);
    cJSON *ev = jfix_event(f->log.ptr, "journal.unwritten", "control");
    assert_non_null(ev);
    cJSON_Delete(ev);
    dstr_free(&err);
}

static void test_update_claimed_once(void **state) {
    jfix *f = *state;
    dstr err = {0};
    assert_int_equal(journal_control_claim_update(f->t.s, 900001, T0, -1001, 42, "status", &err),
                     JOURNAL_OK);
    assert_int_equal(
        journal_control_claim_update(f->t.s, 900001, T0 + 5, -1001, 42, "status", &err),
        JOURNAL_EXISTS);
    assert_int_equal(journal_control_claim_update(f->t.s, 900002, T0, -1001, 42, NULL, NULL),
                     JOURNAL_OK);
    /* a command that is not a word is stored as null, never as given */
    assert_int_equal(journal_control_claim_update(f->t.s, 900003, T0, 1, 2, "x\"}", NULL),
                     JOURNAL_OK);
    dstr body = {0};
    assert_int_equal(store_get(f->t.s, "control/updates/900003.json", &body, NULL), STORE_OK);
    assert_string_equal(dstr_cstr(&body),
                        "{\"update_id\":900003,\"time\":1767180907042,\"chat\":1,\"from\":2,"
                        "\"command\":null}");
    assert_int_equal(journal_control_claim_update(f->t.s, -3, T0, 1, 2, NULL, NULL),
                     JOURNAL_INVALID);
    assert_int_equal(journal_control_claim_update(NULL, 5, T0, 1, 2, NULL, NULL),
                     JOURNAL_UNWRITTEN);
    dstr_free(&body);
    dstr_free(&err);
}

typedef struct claimer {
    const char *url;
    journal_status st;
} claimer;

static void *claim(void *arg) {
    claimer *c = arg;
    store *s = store_open(c->url, NULL);
    c->st = journal_control_claim_update(s, 777, T0, 1, 2, "flatten", NULL);
    store_close(s);
    return NULL;
}

/* Two deliveries of one update at once, each on its own store handle: one acts. */
static void test_concurrent_claims(void **state) {
    jfix *f = *state;
    enum { N = 8 };
    claimer c[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        c[i] = (claimer){f->t.url, JOURNAL_INVALID};
        assert_int_equal(pthread_create(&th[i], NULL, claim, &c[i]), 0);
    }
    int ok = 0, exists = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += c[i].st == JOURNAL_OK;
        exists += c[i].st == JOURNAL_EXISTS;
    }
    assert_int_equal(ok, 1);
    assert_int_equal(exists, N - 1);
}

static void test_parse_pause(void **state) {
    (void)state;
    static const struct {
        const char *file, *json, *error;
    } cases[] = {
        {"8232819092957_pause.json", "{\"reason\":\"x\",\"by\":\"telegram:1\"}", NULL},
        {"8232819092957_resume.json", "{}", NULL},
        {"8232819092957_resume.json", "{\"reason\":null,\"by\":null}", NULL},
        {"8232819092957_pause.json", "{\"reason\":5}", "reason"},
        {"8232819092957_pause.json", "{\"by\":\"a b\"}", "by"},
        {"8232819092957_pause.json", "[]", "JSON object"},
        {"8232819092957_pause.json", "{", "JSON object"},
        {"8232819092957_trip.json", "{}", "event"},
        {"823281909295_pause.json", "{}", "key"},
        {"8232819092957_pause.jsonl", "{}", "key"},
        {"8232819092957_averyverylongevent.json", "{}", "key"},
        {"", "{}", "key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        journal_pause_state p = {0};
        dstr why = {0};
        int rc = journal_control_parse_pause(cases[i].file, cases[i].json, strlen(cases[i].json),
                                             &p, &why);
        if (cases[i].error ? rc != -1 || !strstr(dstr_cstr(&why), cases[i].error) : rc != 0)
            fail_msg("case %zu: rc %d why '%s'", i, rc, dstr_cstr(&why));
        if (rc == 0) assert_int_equal(p.since_ms, T0);
        if (rc == 0) assert_int_equal(p.paused, strstr(cases[i].file, "_pause") != NULL);
        dstr_free(&why);
    }
    journal_pause_state p = {0};
    assert_int_equal(journal_control_parse_pause(NULL, "{}", 2, &p, NULL), -1);
    assert_int_equal(journal_control_parse_pause("8232819092957_pause.json", NULL, 0, &p, NULL),
                     -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test_setup_teardown(test_pause_newest_wins, jfix_setup, jfix_teardown),
        cmocka_unit_test_setup_teardown(test_pause_by_hand_and_corrupt, jfix_setup, jfix_teardown),
        cmocka_unit_test_setup_teardown(test_update_claimed_once, jfix_setup, jfix_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_claims, jfix_setup, jfix_teardown),
        cmocka_unit_test(test_parse_pause),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
