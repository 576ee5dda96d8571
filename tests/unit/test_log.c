/* log: line shape, common fields, cold start, TZ offsets and redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <cmocka.h>

#include "capture.h"
#include "platform/log.h"
#include "platform/secret.h"

static cJSON *last_line(dstr *cap) {
    char *end = cap->ptr + cap->len - 1; /* the trailing newline */
    char *start = end;
    while (start > cap->ptr && start[-1] != '\n') start--;
    cJSON *j = cJSON_ParseWithLength(start, (size_t)(end - start));
    assert_non_null(j);
    return j;
}

static const char *str(const cJSON *j, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_fields_and_cold_start(void **state) {
    (void)state;
    dstr cap = {0};
    capture_start(&cap);
    log_init("candles");
    log_invocation_begin("req-1", "Root=1-abc");
    log_rec *r = log_begin(LOG_INFO, "binance.response");
    log_str(r, "path", "/fapi/v1/klines");
    log_int(r, "used_weight_1m", 42);
    log_num(r, "ratio", 0.5);
    log_bool(r, "ok", 1);
    log_json(r, "raw", "[1,2]");
    log_end(r);
    cJSON *j = last_line(&cap);
    assert_string_equal(str(j, "level"), "INFO");
    assert_string_equal(str(j, "event"), "binance.response");
    assert_string_equal(str(j, "service"), "candles");
    assert_string_equal(str(j, "function_request_id"), "req-1");
    assert_string_equal(str(j, "xray_trace_id"), "Root=1-abc");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "cold_start")));
    assert_int_equal(cJSON_GetObjectItem(j, "used_weight_1m")->valueint, 42);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(j, "raw")));
    cJSON_Delete(j);
    /* once the answer is posted, the rest of the invocation is warm */
    log_invocation_answered();
    log_msg(LOG_INFO, "x.after", "after the answer");
    j = last_line(&cap);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "cold_start")));
    assert_string_equal(str(j, "function_request_id"), "req-1");
    cJSON_Delete(j);
    log_invocation_end();
    log_invocation_begin("req-2", NULL);
    log_msg(LOG_WARN, "x.y", "second %d", 2);
    j = last_line(&cap);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "cold_start")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "xray_trace_id")));
    assert_string_equal(str(j, "message"), "second 2");
    cJSON_Delete(j);
    log_invocation_end();
    capture_stop();
    dstr_free(&cap);
}

static const struct {
    const char *tz;
    const char *suffix;
} zones[] = {
    {"Asia/Seoul", "+09:00"},
    {"UTC", "+00:00"},
    {"America/St_Johns", "-0"},
    {"KST-9", "+09:00"},
};

static void test_timestamp_offset(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        setenv("TZ", zones[i].tz, 1);
        log_init("t");
        dstr cap = {0};
        capture_start(&cap);
        log_msg(LOG_INFO, "tz", "x");
        capture_stop();
        cJSON *j = last_line(&cap);
        const char *ts = str(j, "timestamp");
        /* 2026-11-21T20:15:16.123+09:00 */
        assert_int_equal(strlen(ts), 29);
        assert_int_equal(ts[10], 'T');
        assert_int_equal(ts[19], '.');
        assert_non_null(strstr(ts + 23, zones[i].suffix));
        cJSON_Delete(j);
        dstr_free(&cap);
    }
    setenv("TZ", "UTC", 1);
    tzset();
}

static void test_redaction_and_levels(void **state) {
    (void)state;
    dstr cap = {0};
    capture_start(&cap);
    secret_register("SENTINEL-secret-key-123");
    secret_register("ab"); /* too short to register */
    log_msg(LOG_INFO, "leak", "key=SENTINEL-secret-key-123 twice SENTINEL-secret-key-123 ab");
    assert_null(strstr(cap.ptr, "SENTINEL-secret-key-123"));
    assert_non_null(strstr(cap.ptr, "[REDACTED]"));
    assert_non_null(strstr(cap.ptr, " ab\""));
    size_t before = cap.len;
    log_set_level(LOG_WARN);
    log_msg(LOG_INFO, "filtered", "not shown");
    assert_int_equal(cap.len, before);
    log_msg(LOG_ERROR, "shown", "yes");
    assert_true(cap.len > before);
    log_set_level(LOG_INFO);
    secret_clear();
    capture_stop();
    dstr_free(&cap);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_and_cold_start),
        cmocka_unit_test(test_timestamp_offset),
        cmocka_unit_test(test_redaction_and_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
