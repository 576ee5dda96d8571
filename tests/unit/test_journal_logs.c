/* journal_logs: the newest log lines like tail(1): chronological within the
 * answer, across invocations and days, only as many objects read as needed,
 * lines that are not JSON objects skipped, limits and the size cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "services/invlog.h"
#include "services/journal.h"
#include "services/journal_logs.h"
#include "platform/log.h"
#include "tmpstore.h"

#define DAY 86400000LL

typedef struct fixture {
    tmpstore t;
    dstr log;
    int64_t today; /* midnight UTC, ms */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    *state = f;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000;
    f->today = now - now % DAY;
    log_init("test");
    capture_start(&f->log);
    return tmpstore_open(&f->t, 1);
}

static int teardown(void **state) {
    fixture *f = *state;
    capture_stop();
    tmpstore_close(&f->t);
    dstr_free(&f->log);
    free(f);
    return 0;
}

/* Stores an invocation log object for request rid started at `at`. */
static void put_log(fixture *f, int64_t at, const char *rid, const char *lines) {
    char key[INVLOG_KEY_MAX];
    assert_int_equal(invlog_key("candles", rid, at, key, sizeof key), 0);
    assert_int_equal(store_put_new(f->t.s, key, lines, strlen(lines), NULL), STORE_OK);
}

static void expect_tail(fixture *f, size_t n, const char *want, size_t want_n) {
    dstr out = {0};
    size_t got = 99;
    assert_int_equal(journal_logs_tail(f->t.s, n, &out, &got, NULL), 0);
    assert_string_equal(dstr_cstr(&out), want);
    assert_int_equal(got, want_n);
    dstr_free(&out);
}

static void three_invocations(fixture *f) {
    put_log(f, f->today - DAY + 5000, "r1", "{\"n\":1}\n{\"n\":2}\n");
    put_log(f, f->today + 1000, "r2", "{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n");
    put_log(f, f->today + 2000, "r3", "{\"n\":6}\n{\"n\":7}\n");
}

static void test_tail_order_across_invocations_and_days(void **state) {
    fixture *f = *state;
    three_invocations(f);
    expect_tail(f, 1, "{\"n\":7}\n", 1);
    expect_tail(f, 3, "{\"n\":5}\n{\"n\":6}\n{\"n\":7}\n", 3);
    expect_tail(f, 5, "{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n{\"n\":6}\n{\"n\":7}\n", 5);
    expect_tail(f, 6, "{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n{\"n\":6}\n{\"n\":7}\n", 6);
    expect_tail(f, 1000,
                "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n{\"n\":6}\n{\"n\":7}\n", 7);
}

/* Two invocations starting in the same millisecond: the one written later
 * (the suffixed key) holds the later lines. */
static void test_tail_same_millisecond(void **state) {
    fixture *f = *state;
    char stem[INVLOG_KEY_MAX];
    assert_int_equal(
        recordkey_stem(INVLOG_PREFIX, f->today + 1000, "candles_r1", stem, sizeof stem), 0);
    dstr key = {0}, why = {0};
    assert_int_equal(recordkey_put_new(f->t.s, stem, INVLOG_EXT, "{\"n\":1}\n", 8, &key, &why), 0);
    assert_int_equal(recordkey_put_new(f->t.s, stem, INVLOG_EXT, "{\"n\":2}\n", 8, &key, &why), 0);
    assert_non_null(strstr(key.ptr, "_candles_r1-1.jsonl"));
    expect_tail(f, 2, "{\"n\":1}\n{\"n\":2}\n", 2);
    dstr_free(&key);
    dstr_free(&why);
}

/* Objects older than the answer needs are never read: a corrupt one two
 * days back stays silent until a tail reaches it. */
static void test_tail_reads_only_what_it_needs(void **state) {
    fixture *f = *state;
    three_invocations(f);
    put_log(f, f->today - 2 * DAY, "r0", "{\"n\":0}\nnot json\n[1]\n42\r\n\n");
    expect_tail(f, 7,
                "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n{\"n\":6}\n{\"n\":7}\n", 7);
    assert_null(strstr(dstr_cstr(&f->log), "journal.corrupt"));
    expect_tail(
        f, 10,
        "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n{\"n\":6}\n{\"n\":7}\n",
        8);
    assert_non_null(strstr(dstr_cstr(&f->log), "\"event\":\"journal.corrupt\""));
}

static void test_tail_crlf_and_gaps(void **state) {
    fixture *f = *state;
    put_log(f, f->today + 1000, "r1", "{\"a\":1}\r\n\r\n{\"b\":2}");
    expect_tail(f, 5, "{\"a\":1}\n{\"b\":2}\n", 2);
}

static void test_tail_empty_and_limits(void **state) {
    fixture *f = *state;
    expect_tail(f, 200, "", 0);
    dstr out = {0};
    dstr_puts(&out, "keep");
    assert_int_equal(journal_logs_tail(f->t.s, 0, &out, NULL, NULL), -1);
    assert_int_equal(journal_logs_tail(f->t.s, JOURNAL_LIMIT_MAX + 1, &out, NULL, NULL), -1);
    assert_int_equal(journal_logs_tail(NULL, 5, &out, NULL, NULL), -1);
    assert_string_equal(out.ptr, "keep");
    dstr_free(&out);
}

/* The answer stays under JOURNAL_LOGS_MAX_BYTES: 1 MB lines, at most 3. */
static void test_tail_size_cap(void **state) {
    fixture *f = *state;
    dstr line = {0};
    dstr_puts(&line, "{\"pad\":\"");
    while (line.len < 1024 * 1024) dstr_puts(&line, "xxxxxxxxxxxxxxxx");
    dstr_puts(&line, "\"}\n");
    for (int i = 0; i < 5; i++) {
        char rid[16];
        snprintf(rid, sizeof rid, "r%d", i);
        put_log(f, f->today + 1000 * (i + 1), rid, line.ptr);
    }
    dstr out = {0};
    size_t got = 0;
    assert_int_equal(journal_logs_tail(f->t.s, 10, &out, &got, NULL), 0);
    assert_int_equal(got, 3);
    assert_int_equal(out.len, 3 * line.len);
    assert_true(out.len <= JOURNAL_LOGS_MAX_BYTES);
    dstr_free(&out);
    dstr_free(&line);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tail_order_across_invocations_and_days, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tail_same_millisecond, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_reads_only_what_it_needs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_crlf_and_gaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_empty_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_size_cap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
