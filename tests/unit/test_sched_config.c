/* Unit tests: scheduler.yaml parsing (strict, with line numbers) and the
 * EventBridge Scheduler placeholder substitution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* the modules under test are linked into the local tools, not libcore */
#include "gw_file.h"
#include "gw_routes.h"
#include "tzone.h"
#include "sched_expr.h"
#include "sched_config.h"

static const char valid_yaml[] =
    "# comment\n"
    "schedules:\n"
    "  - name: trader-every-5-minutes\n"
    "    function: trader\n"
    "    expression: rate(5 minutes)\n"
    "    input: "
    "'{\"source\":\"scheduler\",\"scheduled_time\":\"<aws.scheduler.scheduled-time>\"}'\n"
    "  - name: nightly\n"
    "    function: journal\n"
    "    expression: cron(0 3 * * ? *)\n"
    "    timezone: Europe/Berlin\n"
    "    enabled: false\n";

static void test_valid(void **state) {
    (void)state;
    sched_config c;
    char err[512];
    int rc = sched_config_parse(valid_yaml, strlen(valid_yaml), "s.yaml", &c, err, sizeof err);
    if (rc != 0) fail_msg("%s", err);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.items[0].name, "trader-every-5-minutes");
    assert_string_equal(c.items[0].function, "trader");
    assert_int_equal(c.items[0].expr.kind, SCHED_RATE);
    assert_int_equal(c.items[0].expr.rate_s, 300);
    assert_int_equal(c.items[0].enabled, 1);
    assert_int_equal(c.items[0].line, 3);
    assert_null(c.items[0].tz);
    assert_string_equal(c.items[1].input, "{}");
    assert_int_equal(c.items[1].enabled, 0);
    assert_int_equal(c.items[1].expr.kind, SCHED_CRON);
    assert_non_null(c.items[1].tz);
    assert_string_equal(c.items[1].timezone, "Europe/Berlin");
    assert_int_equal(c.items[1].line, 7);
    assert_ptr_equal(sched_config_find(&c, "nightly"), &c.items[1]);
    assert_null(sched_config_find(&c, "nope"));
    sched_config_free(&c);

    const char *empty = "schedules: []\n";
    assert_int_equal(sched_config_parse(empty, strlen(empty), "e.yaml", &c, err, sizeof err), 0);
    assert_int_equal(c.n, 0);
    sched_config_free(&c);
}

typedef struct bad_yaml {
    const char *text;
    const char *needle;
} bad_yaml;

#define ENTRY "schedules:\n  - name: a\n    function: f\n"
/* clang-format off */
static const bad_yaml bad_cases[] = {
    {"schedule:\n  - name: a\n", "y.yaml:1: unknown top-level key 'schedule'"},
    {"schedules:\n  - name: a\n    expression: rate(1 day)\n", "y.yaml:2: schedule without 'function'"},
    {ENTRY "    expression: rate(5 minute)\n", "y.yaml:4: rate(5 minute): use the singular"},
    {ENTRY "    expression: rate(1 day)\n    timeout: 3\n", "y.yaml:5: unknown key 'timeout'"},
    {ENTRY "    expression: rate(1 day)\n  - name: a\n    function: g\n    expression: rate(1 day)\n",
     "y.yaml:5: duplicate schedule name 'a'"},
    {ENTRY "    expression: rate(1 day)\n    input: '{\"a\":}'\n", "y.yaml:5: input is not valid JSON"},
    {ENTRY "    expression: rate(1 day)\n    input: '{\"t\":<aws.scheduler.scheduled-time>}'\n",
     "y.yaml:5: input is not valid JSON after substituting"},
    /* text after the JSON value (the sample uuid's "00000000" read as a number) is not JSON
     * (found by tests/fuzz/fuzz_sched_config) */
    {ENTRY "    expression: rate(1 day)\n    input: '<aws.scheduler.execution-id>'\n",
     "y.yaml:5: input is not valid JSON after substituting"},
    {ENTRY "    expression: rate(1 day)\n    input: '{} x'\n", "y.yaml:5: input is not valid JSON"},
    {ENTRY "    expression: rate(1 day)\n    enabled: yes\n", "y.yaml:5: enabled must be true or false"},
    {ENTRY "    expression: rate(1 day)\n    timezone: UTC\n", "y.yaml:2: schedule 'a': timezone only"},
    {ENTRY "    expression: cron(0 1 * * ? *)\n    timezone: Mars/Base\n", "y.yaml:5: unknown time zone"},
    {ENTRY "    expression: cron(0 1 * * ? *)\n    timezone: ../x\n", "y.yaml:5: invalid time zone"},
    {ENTRY "    expression: 'rate(1 day)\n", "YAML error"},
    {"schedules:\n  - name: a\n   function: f\n", "y.yaml:3: YAML error"},
    {"schedules: 5\n", "y.yaml:1: 'schedules' must be a list"},
    {ENTRY "    expression: rate(1 day)\n    input: {a: 1}\n", "y.yaml:5: 'input' must be a single value"},
    {"schedules:\n  - name: \"\"\n    function: f\n    expression: rate(1 day)\n", "y.yaml:2: 'name' is empty"},
    {ENTRY "    function: g\n    expression: rate(1 day)\n", "y.yaml:4: duplicate key 'function'"},
    {"schedules: []\n---\nschedules: []\n", "only one YAML document"},
    {"", "expected a mapping"},
    {"- a\n- b\n", "y.yaml:1: expected a mapping"},
    {"schedules:\n  - name: a\n    function: bad name\n    expression: rate(1 day)\n",
     "y.yaml:3: function 'bad name'"},
    {"schedules:\n  - name: a/b\n    function: f\n    expression: rate(1 day)\n", "y.yaml:2: name 'a/b'"},
    {"schedules:\n  - just-a-string\n", "y.yaml:2: each schedule must be a mapping"},
};
/* clang-format on */

static void test_errors(void **state) {
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        sched_config c;
        char err[512] = "";
        int rc = sched_config_parse(bad_cases[i].text, strlen(bad_cases[i].text), "y.yaml", &c, err,
                                    sizeof err);
        if (rc == 0 || !strstr(err, bad_cases[i].needle)) {
            print_error("case %zu: rc %d, message '%s', want '%s'\n", i, rc, err,
                        bad_cases[i].needle);
            failures++;
        }
        if (rc == 0) sched_config_free(&c);
        assert_int_equal(c.n, 0); /* nothing left behind on failure */
    }
    assert_int_equal(failures, 0);
}

static void test_render(void **state) {
    (void)state;
    sched_vars v = {"arn:aws:scheduler:eu-west-1:000000000000:schedule/default/s1",
                    "2022-03-22T18:59:43Z", "9f4b9f2e-8d1c-4c7e-9a55-3f7b4c2d1e0a", 1};
    dstr out = {0};
    char err[256];
    const char *tmpl =
        "{\"arn\":\"<aws.scheduler.schedule-arn>\",\"t\":\"<aws.scheduler.scheduled-time>\","
        "\"t2\":\"<aws.scheduler.scheduled-time>\",\"id\":\"<aws.scheduler.execution-id>\","
        "\"n\":<aws.scheduler.attempt-number>,\"other\":\"<aws.scheduler.unknown>\"}";
    assert_int_equal(sched_input_render(tmpl, &v, &out, err, sizeof err), 0);
    assert_string_equal(dstr_cstr(&out),
                        "{\"arn\":\"arn:aws:scheduler:eu-west-1:000000000000:schedule/default/s1\","
                        "\"t\":\"2022-03-22T18:59:43Z\",\"t2\":\"2022-03-22T18:59:43Z\","
                        "\"id\":\"9f4b9f2e-8d1c-4c7e-9a55-3f7b4c2d1e0a\",\"n\":1,"
                        "\"other\":\"<aws.scheduler.unknown>\"}");
    dstr_clear(&out);
    assert_int_equal(sched_input_render("{\"a\":", &v, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "not valid JSON"));
    dstr_free(&out);

    char arn[160];
    sched_schedule_arn(arn, sizeof arn, "us-east-1", "trader-every-5-minutes");
    assert_string_equal(
        arn, "arn:aws:scheduler:us-east-1:000000000000:schedule/default/trader-every-5-minutes");
}

/* The repository's own scheduler.yaml must stay valid. */
static void test_repo_file(void **state) {
    (void)state;
    if (access("scheduler.yaml", R_OK) != 0) skip();
    sched_config c;
    char err[512];
    int rc = sched_config_load("scheduler.yaml", &c, err, sizeof err);
    if (rc != 0) fail_msg("%s", err);
    assert_true(c.n >= 1);
    sched_config_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_repo_file),
    };
    return cmocka_run_group_tests_name("sched_config", tests, NULL, NULL);
}
