/* sns_alarm: a CloudWatch alarm notification and a plain one made into
 * texts, records skipped (not SNS, no MessageId, bad time), refused events,
 * the cut of a long text, and the timestamp parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "services/sns_alarm.h"

#define REC(id, at, subject, message)                                                     \
    "{\"EventSource\":\"aws:sns\",\"Sns\":{\"Type\":\"Notification\",\"MessageId\":\"" id \
    "\",\"Timestamp\":\"" at "\",\"Subject\":\"" subject "\",\"Message\":\"" message "\"}}"

static void test_alarm_and_plain(void **state) {
    (void)state;
    const char *ev = "{\"Records\":[" REC(
        "95df01b4-ee98", "2026-12-06T02:00:00.123Z", "ALARM: x",
        "{\\\"AlarmName\\\":\\\"trader-errors\\\",\\\"NewStateValue\\\":\\\"ALARM\\\","
        "\\\"OldStateValue\\\":\\\"OK\\\",\\\"NewStateReason\\\":\\\"Threshold "
        "Crossed\\\"}") "," REC("m-2", "2026-12-06T02:00:01Z", "hello",
                                "plain words") "," REC("bad id!", "2026-12-06T02:00:01Z", "s",
                                                       "m") "," REC("m-4", "2026-02-31T02:00:01Z",
                                                                    "s", "m") ",{"
                                                                              "\"EventSource\":"
                                                                              "\"aws:sqs\"}]}";
    sns_alarms a;
    dstr why = {0};
    assert_int_equal(sns_alarm_parse_bytes(ev, strlen(ev), &a, &why), 0);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.skipped, 3);
    assert_string_equal(a.items[0].event, "95df01b4-ee98");
    assert_int_equal(a.items[0].at_ms, 1796522400123LL);
    assert_string_equal(dstr_cstr(&a.items[0].text),
                        "ALARM trader-errors: ALARM (was OK)\nThreshold Crossed");
    assert_string_equal(dstr_cstr(&a.items[1].text), "SNS hello\nplain words");
    assert_int_equal(a.items[1].at_ms, 1796522401000LL);
    sns_alarms_free(&a);
    dstr_free(&why);
}

static void test_refused_and_cut(void **state) {
    (void)state;
    sns_alarms a;
    dstr why = {0};
    assert_int_equal(sns_alarm_parse_bytes("[]", 2, &a, &why), -1);
    assert_non_null(strstr(dstr_cstr(&why), "Records"));
    assert_int_equal(sns_alarm_parse_bytes("{\"Records\":{}}", 14, &a, NULL), -1);
    assert_int_equal(sns_alarm_parse_bytes("{\"Records\":[]}\0", 15, &a, NULL), -1);
    assert_int_equal(sns_alarm_parse_bytes("{\"Records\":[]}", 14, &a, NULL), 0);
    assert_int_equal(a.n, 0);
    sns_alarms_free(&a);
    /* a long message: cut to the cap, on a character */
    dstr ev = {0};
    dstr_puts(&ev, "{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{\"Type\":\"Notification\","
                   "\"MessageId\":\"m\",\"Timestamp\":\"2026-12-06T02:00:00Z\",\"Message\":\"");
    for (int i = 0; i < SNS_ALARM_TEXT_MAX; i++) dstr_puts(&ev, "\xc3\xa9");
    dstr_puts(&ev, "\"}}]}");
    assert_int_equal(sns_alarm_parse_bytes(ev.ptr, ev.len, &a, NULL), 0);
    assert_int_equal(a.n, 1);
    assert_true(a.items[0].text.len <= SNS_ALARM_TEXT_MAX);
    assert_true(a.items[0].text.len > SNS_ALARM_TEXT_MAX - 2);
    assert_int_equal(((unsigned char)a.items[0].text.ptr[a.items[0].text.len - 1]), 0xa9);
    sns_alarms_free(&a);
    dstr_free(&ev);
    dstr_free(&why);
}

static void test_time(void **state) {
    (void)state;
    int64_t ms;
    assert_int_equal(sns_alarm_time("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(sns_alarm_time("2026-12-06T02:00:00.5Z", &ms), 0);
    assert_int_equal(ms, 1796522400500LL);
    static const char *const bad[] = {"2026-12-06 02:00:00Z",
                                      "2026-12-06T02:00:00",
                                      "+026-12-06T02:00:00Z",
                                      "2026-13-06T02:00:00Z",
                                      "2026-12-06T24:00:00Z",
                                      "2026-12-06T02:00:00.Z",
                                      "2026-12-06T02:00:00+01:00",
                                      "1969-12-31T23:59:59Z",
                                      "",
                                      NULL};
    for (size_t i = 0; bad[i]; i++)
        if (sns_alarm_time(bad[i], &ms) == 0) fail_msg("took '%s'", bad[i]);
    assert_int_equal(sns_alarm_time(NULL, &ms), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alarm_and_plain),
        cmocka_unit_test(test_refused_and_cut),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
