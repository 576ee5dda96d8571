/* dstr: growth, JSON string escaping and number formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "platform/dstr.h"

static void test_append_and_grow(void **state) {
    (void)state;
    dstr s = {0};
    assert_string_equal(dstr_cstr(&s), "");
    for (int i = 0; i < 1000; i++) dstr_printf(&s, "%d,", i % 10);
    assert_int_equal(s.len, 2000);
    assert_int_equal(s.ptr[s.len], '\0');
    dstr_clear(&s);
    assert_string_equal(s.ptr, "");
    dstr_free(&s);
    assert_null(s.ptr);
}

static void test_long_printf(void **state) {
    (void)state;
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dstr s = {0};
    dstr_puts(&s, "a");
    dstr_printf(&s, "%s|%d", big, 7);
    assert_int_equal(s.len, 1 + 599 + 2);
    assert_string_equal(s.ptr + 600, "|7");
    dstr_free(&s);
}

static const struct {
    const char *in;
    size_t n;
    const char *out;
} escapes[] = {
    {"plain", 5, "\"plain\""},
    {"q\"b\\", 4, "\"q\\\"b\\\\\""},
    {"a\nb\tc\r", 6, "\"a\\nb\\tc\\r\""},
    {"\x01\x1f", 2, "\"\\u0001\\u001f\""},
    {"nul\0x", 5, "\"nul\\u0000x\""},
    {"\xea\xb0\x80", 3, "\"\xea\xb0\x80\""}, /* UTF-8 passes through */
};

static void test_json_escape(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof escapes / sizeof *escapes; i++) {
        dstr s = {0};
        dstr_json_strn(&s, escapes[i].in, escapes[i].n);
        assert_string_equal(s.ptr, escapes[i].out);
        dstr_free(&s);
    }
    dstr s = {0};
    dstr_json_str(&s, NULL);
    assert_string_equal(s.ptr, "null");
    dstr_free(&s);
}

static const struct {
    double v;
    const char *out;
} numbers[] = {
    {0.1, "0.1"},
    {87234.1, "87234.1"},
    {-0.0, "0"},
    {1e21, "1e+21"},
    {3.0, "3"},
    {0.30000000000000004, "0.30000000000000004"},
    {123456789.125, "123456789.125"},
};

static void test_json_num(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        dstr s = {0};
        dstr_json_num(&s, numbers[i].v);
        assert_string_equal(s.ptr, numbers[i].out);
        dstr_free(&s);
    }
    dstr s = {0};
    dstr_json_num(&s, NAN);
    dstr_json_num(&s, INFINITY);
    assert_string_equal(s.ptr, "nullnull");
    dstr_free(&s);
}

static void test_take(void **state) {
    (void)state;
    dstr s = {0};
    char *empty = dstr_take(&s);
    assert_string_equal(empty, "");
    free(empty);
    dstr_puts(&s, "abc");
    char *p = dstr_take(&s);
    assert_string_equal(p, "abc");
    assert_null(s.ptr);
    free(p);
}

static void test_json_reopen(void **state) {
    (void)state;
    /* clang-format off */
    static const struct { const char *in, *sep, *after; } cases[] = {
        {"{\"a\":1}", ",", "{\"a\":1"},
        {"{}", "", "{"},
        {"{ }\n", "", "{ "},
        {"[1]", NULL, "[1]"},
        {"", NULL, ""},
        {"\"}\"x", NULL, "\"}\"x"},
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dstr s = {0};
        dstr_puts(&s, cases[i].in);
        const char *sep = dstr_json_reopen(&s);
        if (cases[i].sep) {
            assert_non_null(sep);
            assert_string_equal(sep, cases[i].sep);
        } else {
            assert_null(sep);
        }
        assert_string_equal(dstr_cstr(&s), cases[i].after);
        assert_int_equal(strlen(dstr_cstr(&s)), s.len);
        dstr_free(&s);
    }
    dstr s = {0};
    dstr_puts(&s, "{\"a\":1}");
    dstr_puts(&s, dstr_json_reopen(&s));
    dstr_puts(&s, "\"b\":2}");
    assert_string_equal(s.ptr, "{\"a\":1,\"b\":2}");
    dstr_free(&s);
}

static void test_error_lines(void **state) {
    (void)state;
    dstr err = {0};
    dstr_error_line(&err, "first %d", 1);
    dstr_error_line(&err, "second");
    assert_string_equal(err.ptr, "first 1\nsecond");
    dstr_error_line(NULL, "nowhere"); /* the caller did not want it */
    dstr_free(&err);
}

static void test_xstrdup(void **state) {
    (void)state;
    char *a = xstrdup("abc"), *b = xstrdup(NULL);
    assert_string_equal(a, "abc");
    assert_string_equal(b, "");
    free(a);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_grow),
        cmocka_unit_test(test_long_printf),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_num),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_json_reopen),
        cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_xstrdup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
