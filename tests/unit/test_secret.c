/* secret: registration rules, the scrubber's edge cases, the encoded forms,
 * and its cost on a record of the journal's size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <cmocka.h>

#include "platform/dstr.h"
#include "platform/secret.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int teardown(void **state) {
    (void)state;
    secret_clear();
    return 0;
}

/* scrubs text and checks the result and the count of masks */
static void expect_scrub(const char *text, const char *want, size_t masks) {
    dstr s = {0};
    dstr_puts(&s, text);
    assert_int_equal(secret_scrub(&s), masks);
    assert_string_equal(dstr_cstr(&s), want);
    assert_int_equal(s.len, strlen(want));
    assert_int_equal(secret_present(text, strlen(text)), masks > 0);
    dstr_free(&s);
}

static void test_none_registered(void **state) {
    (void)state;
    expect_scrub("nothing to see: ABCDEFGH12345678", "nothing to see: ABCDEFGH12345678", 0);
    dstr empty = {0};
    assert_int_equal(secret_scrub(&empty), 0);
    assert_null(empty.ptr); /* untouched: not even allocated */
}

static void test_registration_rules(void **state) {
    (void)state;
    secret_register(NULL);
    secret_register("");
    secret_register("seven77"); /* 7 bytes: would redact ordinary words */
    expect_scrub("seven77 and null", "seven77 and null", 0);
    secret_register("eight888");
    secret_register("eight888"); /* kept once */
    expect_scrub("eight888", "[REDACTED]", 1);
    char many[SECRET_MAX + 2][32];
    for (int i = 0; i < SECRET_MAX + 2; i++) {
        snprintf(many[i], sizeof many[i], "value-%02d-xyz", i);
        secret_register(many[i]);
    }
    /* eight888 took a slot: values 0..SECRET_MAX-2 fit, the rest are ignored */
    expect_scrub(many[SECRET_MAX - 2], "[REDACTED]", 1);
    expect_scrub(many[SECRET_MAX - 1], many[SECRET_MAX - 1], 0);
    secret_clear();
    expect_scrub("eight888", "eight888", 0);
}

static void test_positions_and_repeats(void **state) {
    (void)state;
    secret_register("SENTINEL-key-0001");
    expect_scrub("SENTINEL-key-0001 at the start", "[REDACTED] at the start", 1);
    expect_scrub("at the end SENTINEL-key-0001", "at the end [REDACTED]", 1);
    expect_scrub("SENTINEL-key-0001", "[REDACTED]", 1);
    expect_scrub("a SENTINEL-key-0001 b SENTINEL-key-0001 c", "a [REDACTED] b [REDACTED] c", 2);
    /* back to back: one span, one mask */
    expect_scrub("SENTINEL-key-0001SENTINEL-key-0001", "[REDACTED]", 1);
    expect_scrub("SENTINEL-key-000", "SENTINEL-key-000", 0); /* a prefix is no match */
}

static void test_overlapping_secrets(void **state) {
    (void)state;
    secret_register("ABCDEFGH12");
    secret_register("EFGH1234XY");  /* overlaps the end of the first */
    secret_register("CDEFGH12345"); /* inside both */
    /* replacing one secret at a time would leave "34XY" of the second */
    expect_scrub("<ABCDEFGH1234XY>", "<[REDACTED]>", 1);
    expect_scrub("EFGH1234XY then ABCDEFGH12", "[REDACTED] then [REDACTED]", 2);
    secret_clear();
    secret_register("aaaaaaaa"); /* overlaps itself */
    expect_scrub("xaaaaaaaaaaax", "x[REDACTED]x", 1);
}

static void test_encoded_forms(void **state) {
    (void)state;
    /* an AWS secret key is base64: '/' and '+' */
    secret_register("wJalrXUtnFEMI/K7MDENG+bPxRfiCY");
    expect_scrub("raw wJalrXUtnFEMI/K7MDENG+bPxRfiCY", "raw [REDACTED]", 1);
    expect_scrub("json wJalrXUtnFEMI\\/K7MDENG+bPxRfiCY", "json [REDACTED]", 1);
    expect_scrub("url wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCY", "url [REDACTED]", 1);
    expect_scrub("url wJalrXUtnFEMI%2fK7MDENG%2bbPxRfiCY", "url [REDACTED]", 1);
    secret_clear();
    secret_register("quote\"back\\slash");
    expect_scrub("{\"m\":\"quote\\\"back\\\\slash\"}", "{\"m\":\"[REDACTED]\"}", 1);
}

/* A scrubbed JSON record stays JSON, and the mask replaces the key only. */
static void test_json_stays_valid(void **state) {
    (void)state;
    secret_register("AIzaSyD-sentinel-google-key-0001");
    const char *rec = "{\"reasons\":[\"predictor failed: gemini HTTP 400 INVALID_ARGUMENT: API key "
                      "not valid: AIzaSyD-sentinel-google-key-0001\"],\"prob\":null}";
    dstr s = {0};
    dstr_puts(&s, rec);
    assert_int_equal(secret_scrub(&s), 1);
    cJSON *j = cJSON_Parse(s.ptr);
    assert_non_null(j);
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "reasons"), 0);
    assert_non_null(strstr(r0->valuestring, "API key not valid: [REDACTED]"));
    cJSON_Delete(j);
    dstr_free(&s);
}

/* The cost the sinks pay: a 4 KB decision record, 3 registered secrets (their
 * forms included), none present: the usual case on every journal write. */
static void test_cost_of_a_clean_record(void **state) {
    (void)state;
    secret_register("SENTINEL-binance-key-0123456789abcdef0123456789abcdef");
    secret_register("SENTINEL-binance-secret-0123456789abcdef0123456789ab");
    secret_register("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    dstr rec = {0};
    while (rec.len < 4096)
        dstr_puts(&rec, "{\"symbol\":\"BTCUSDT\",\"direction\":\"FLAT\",\"prob\":0.53,\"reasons\":"
                        "[\"spread 2.4 bps over 2.0\"],\"entry\":64012.5},");
    enum { ROUNDS = 20000 };
    double t0 = now_us();
    size_t masks = 0;
    for (int i = 0; i < ROUNDS; i++) masks += secret_scrub(&rec);
    double us = (now_us() - t0) / ROUNDS;
    assert_int_equal(masks, 0);
    printf("secret_scrub: %zu-byte record, 3 secrets, no match: %.2f us\n", rec.len, us);
    /* generous for a sanitized build on a shared machine: the hot path must
     * stay far below the journal write it precedes (~500 us fsynced) */
    assert_true(us < 100.0);
    dstr_free(&rec);
}

/* secret_equal: the token check of the trader's HTTP trigger. */
static void test_equal(void **state) {
    (void)state;
    assert_true(secret_equal("token-0123456789abcdef", "token-0123456789abcdef"));
    assert_false(secret_equal("token-0123456789abcdeg", "token-0123456789abcdef"));
    assert_false(secret_equal("token-0123456789abcde", "token-0123456789abcdef"));
    assert_false(secret_equal("token-0123456789abcdefx", "token-0123456789abcdef"));
    assert_false(secret_equal("", "token-0123456789abcdef"));
    assert_false(secret_equal(NULL, "token-0123456789abcdef"));
    assert_false(secret_equal("token", NULL));
    assert_false(secret_equal(NULL, NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_none_registered, teardown),
        cmocka_unit_test_teardown(test_registration_rules, teardown),
        cmocka_unit_test_teardown(test_positions_and_repeats, teardown),
        cmocka_unit_test_teardown(test_overlapping_secrets, teardown),
        cmocka_unit_test_teardown(test_encoded_forms, teardown),
        cmocka_unit_test_teardown(test_json_stays_valid, teardown),
        cmocka_unit_test_teardown(test_cost_of_a_clean_record, teardown),
        cmocka_unit_test(test_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
