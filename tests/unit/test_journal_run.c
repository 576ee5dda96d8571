/* journal_run: the run record's rules, JSON and key, create-only writes (a
 * second write of the same run is "already recorded"), the parser of a
 * stored run, and the latest run read back across days past corrupt
 * objects, in a fresh file store per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "jfix.h"
#include "services/journal_run.h"

#define T0 1767180907042LL /* 2025-12-31T11:35:07.042Z */
#define DAY 86400000LL

static const char *const two[] = {"BTCUSDT", "ETHUSDT"};

static journal_run a_run(void) {
    return (journal_run){.run_id = "req-7f3a:1",
                         .trigger = "schedule",
                         .trigger_id = "2025-12-31T11:35:00Z",
                         .started_ms = T0,
                         .finished_ms = T0 + 1500,
                         .execute = 1,
                         .symbols = two,
                         .n_symbols = 2,
                         .actions_json = "[{\"symbol\":\"BTCUSDT\",\"action\":\"entry\"}]",
                         .outcome = "ok",
                         .build = "1.4.0",
                         .config_hash = "c0ffee"};
}

static void test_rules_json_key(void **state) {
    (void)state;
    journal_run r = a_run();
    dstr json = {0}, why = {0};
    assert_int_equal(journal_run_check(&r, &why), 0);
    journal_run_json(&r, &json);
    assert_string_equal(json.ptr,
                        "{\"run_id\":\"req-7f3a:1\",\"trigger\":\"schedule\",\"trigger_id\":"
                        "\"2025-12-31T11:35:00Z\",\"started_ms\":1767180907042,\"finished_ms\":"
                        "1767180908542,\"execute\":true,\"symbols\":[\"BTCUSDT\",\"ETHUSDT\"],"
                        "\"actions\":[{\"symbol\":\"BTCUSDT\",\"action\":\"entry\"}],\"outcome\":"
                        "\"ok\",\"build\":\"1.4.0\",\"config_hash\":\"c0ffee\"}");
    char key[256];
    assert_int_equal(journal_run_key(&r, key, sizeof key), 0);
    assert_string_equal(key, "runs/20251231/113507042_req-7f3a:1.json");
    struct {
        const char *what;
        journal_run r;
    } bad[] = {
        {"run_id", a_run()},      {"trigger", a_run()}, {"trigger_id", a_run()},
        {"finished_ms", a_run()}, {"symbol", a_run()},  {"actions", a_run()},
        {"outcome", a_run()},     {"build", a_run()},
    };
    bad[0].r.run_id = "has space";
    bad[1].r.trigger = "Schedule";
    bad[2].r.trigger_id = "a/b";
    bad[3].r.finished_ms = T0 - 1;
    static const char *const lower[] = {"btcusdt"};
    bad[4].r.symbols = lower;
    bad[4].r.n_symbols = 1;
    bad[5].r.actions_json = "{\"not\":\"an array\"}";
    bad[6].r.outcome = "";
    bad[7].r.build = "1.4 beta";
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dstr_clear(&why);
        if (journal_run_check(&bad[i].r, &why) != -1 || !strstr(dstr_cstr(&why), bad[i].what))
            fail_msg("case %s accepted or wrong reason '%s'", bad[i].what, dstr_cstr(&why));
        assert_int_equal(journal_run_key(&bad[i].r, key, sizeof key), -1);
    }
    r.trigger_id = NULL;
    r.actions_json = NULL;
    r.build = r.config_hash = NULL;
    r.n_symbols = 0;
    r.execute = 0;
    dstr_clear(&json);
    journal_run_json(&r, &json);
    assert_non_null(strstr(json.ptr, "\"trigger_id\":null"));
    assert_non_null(strstr(json.ptr, "\"execute\":false,\"symbols\":[],\"actions\":[]"));
    dstr_free(&json);
    dstr_free(&why);
}

static void test_put_create_only_and_latest(void **state) {
    jfix *f = *state;
    journal_run_info info;
    dstr json = {0}, key = {0}, err = {0};
    assert_int_equal(journal_latest_run(f->t.s, &info, &json, &err), JOURNAL_NOT_FOUND);
    long long now = jfix_now_ms();
    journal_run r = a_run();
    r.started_ms = now - DAY; /* yesterday */
    r.finished_ms = r.started_ms + 10;
    r.run_id = "old";
    assert_int_equal(journal_run_put(f->t.s, &r, &key, &err), JOURNAL_OK);
    r.started_ms = now - 5000;
    r.finished_ms = now - 4000;
    r.run_id = "newest";
    r.outcome = "partial";
    assert_int_equal(journal_run_put(f->t.s, &r, &key, &err), JOURNAL_OK);
    assert_int_equal(journal_run_put(f->t.s, &r, &key, &err), JOURNAL_EXISTS);
    assert_int_equal(key.len, 0);
    assert_non_null(strstr(err.ptr, "already journaled"));
    /* a newer object that is not a run record is skipped with a WARN */
    char stem[128];
    assert_int_equal(recordkey_stem(JOURNAL_RUN_PREFIX, now - 1000, "junk", stem, sizeof stem), 0);
    dstr_printf(&key, "%s.json", stem);
    assert_int_equal(store_put_new(f->t.s, key.ptr, "{\"run_id\":7}", 12, NULL), STORE_OK);
    assert_int_equal(journal_latest_run(f->t.s, &info, &json, NULL), JOURNAL_OK);
    assert_string_equal(info.run_id, "newest");
    assert_string_equal(info.outcome, "partial");
    assert_string_equal(info.trigger, "schedule");
    assert_string_equal(info.trigger_id, "2025-12-31T11:35:00Z");
    assert_int_equal(info.started_ms, now - 5000);
    assert_int_equal(info.finished_ms, now - 4000);
    assert_int_equal(info.execute, 1);
    assert_int_equal(info.n_symbols, 2);
    assert_int_equal(info.n_actions, 1);
    assert_non_null(strstr(json.ptr, "\"run_id\":\"newest\""));
    assert_non_null(strstr(dstr_cstr(&f->log), "journal.corrupt"));
    /* no store */
    dstr_clear(&err);
    assert_int_equal(journal_latest_run(NULL, &info, &json, &err), JOURNAL_UNAVAILABLE);
    assert_int_equal(json.len, 0);
    assert_int_equal(journal_run_put(NULL, &r, NULL, NULL), JOURNAL_UNWRITTEN);
    r.outcome = "OK!";
    assert_int_equal(journal_run_put(f->t.s, &r, NULL, NULL), JOURNAL_INVALID);
    cJSON *ev = jfix_event(f->log.ptr, "journal.unwritten", "run");
    assert_non_null(ev);
    cJSON_Delete(ev);
    dstr_free(&json);
    dstr_free(&key);
    dstr_free(&err);
}

static void test_parse(void **state) {
    (void)state;
    static const char *const good =
        "{\"run_id\":\"r1\",\"trigger\":\"http\",\"trigger_id\":null,\"started_ms\":5,"
        "\"finished_ms\":6,\"execute\":false,\"symbols\":[\"BTCUSDT\"],\"actions\":[],"
        "\"outcome\":\"dry_run\"}";
    journal_run_info info;
    assert_int_equal(journal_run_parse(good, strlen(good), &info, NULL), 0);
    assert_string_equal(info.trigger, "http");
    assert_string_equal(info.trigger_id, "");
    assert_int_equal(info.execute, 0);
    static const struct {
        const char *from, *to, *error;
    } breaks[] = {
        {"\"run_id\":\"r1\"", "\"run_id\":\"\"", "run_id"},
        {"\"trigger\":\"http\"", "\"trigger\":1", "trigger"},
        {"\"trigger_id\":null", "\"trigger_id\":\"a b\"", "trigger_id"},
        {"\"finished_ms\":6", "\"finished_ms\":4", "finished_ms"},
        {"\"execute\":false", "\"execute\":0", "execute"},
        {"[\"BTCUSDT\"]", "[\"BTCUSDT\",3]", "symbols"},
        {"\"actions\":[]", "\"actions\":{}", "actions"},
        {"\"outcome\":\"dry_run\"", "\"outcome\":null", "outcome"},
    };
    for (size_t i = 0; i < sizeof breaks / sizeof *breaks; i++) {
        const char *at = strstr(good, breaks[i].from);
        assert_non_null(at);
        dstr bad = {0}, why = {0};
        dstr_append(&bad, good, (size_t)(at - good));
        dstr_puts(&bad, breaks[i].to);
        dstr_puts(&bad, at + strlen(breaks[i].from));
        if (journal_run_parse(bad.ptr, bad.len, &info, &why) != -1 ||
            !strstr(dstr_cstr(&why), breaks[i].error))
            fail_msg("case %zu parsed or wrong reason '%s'", i, dstr_cstr(&why));
        assert_string_equal(info.run_id, "");
        dstr_free(&bad);
        dstr_free(&why);
    }
    assert_int_equal(journal_run_parse("[]", 2, &info, NULL), -1);
    assert_int_equal(journal_run_parse(NULL, 0, &info, NULL), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_json_key),
        cmocka_unit_test_setup_teardown(test_put_create_only_and_latest, jfix_setup, jfix_teardown),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
