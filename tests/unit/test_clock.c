/* clock_utc_ms on plain data: calendar times in, unix ms (or -1) out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "platform/clock.h"

typedef struct utc_case {
    int y, mo, d, h, mi, s;
    int64_t want;
} utc_case;

static const utc_case cases[] = {
    {1970, 1, 1, 0, 0, 0, 0},
    {2026, 1, 1, 0, 0, 0, 1767225600000LL},
    {2024, 2, 29, 23, 59, 59, 1709251199000LL}, /* a leap day */
    {2025, 2, 29, 0, 0, 0, -1},                 /* no such day */
    {2026, 2, 31, 0, 0, 0, -1},
    {2026, 4, 31, 0, 0, 0, -1},
    {2026, 13, 1, 0, 0, 0, -1},
    {2026, 0, 1, 0, 0, 0, -1},
    {2026, 1, 1, 24, 0, 0, -1},
    {2026, 1, 1, 0, 60, 0, -1},
    {1969, 12, 31, 23, 59, 59, -1},
};

static void test_utc_ms(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const utc_case *c = &cases[i];
        int64_t got = clock_utc_ms(c->y, c->mo, c->d, c->h, c->mi, c->s);
        if (got != c->want)
            fail_msg("%04d-%02d-%02d %02d:%02d:%02d: %lld, want %lld", c->y, c->mo, c->d, c->h,
                     c->mi, c->s, (long long)got, (long long)c->want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_utc_ms)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
