/* Unit tests: the route table format (infra/routes.tsv) and lookups. */
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

static void test_parse_and_lookup(void **state) {
    (void)state;
    const char text[] = "# header\n\n/health\tcandles\n/api/candles   candles  # trailing\n"
                        "  /api/signals/latest\t\tsignals\r\n/api/signals\tsignals";
    gw_routes r;
    char err[256];
    if (gw_routes_parse(text, strlen(text), "r.tsv", &r, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.items[0].line, 3);
    assert_string_equal(gw_routes_lookup(&r, "/health", 7), "candles");
    assert_string_equal(gw_routes_lookup(&r, "/api/signals/latest", 19), "signals");
    assert_string_equal(gw_routes_lookup(&r, "/api/signals", 12), "signals");
    assert_null(gw_routes_lookup(&r, "/api/signals/", 13));
    assert_null(gw_routes_lookup(&r, "/api", 4));
    assert_string_equal(gw_routes_lookup(&r, "/api/candles?x=1", 12), "candles");
    gw_routes_free(&r);
}

static void test_errors(void **state) {
    (void)state;
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"api\tf\n", "r.tsv:1: PATH must start"},
        {"/ok\tf\n/a\n", "r.tsv:2: expected PATH<TAB>FUNCTION"},
        {"/a\tf\textra\n", "r.tsv:1: expected"},
        {"/a?x=1\tf\n", "r.tsv:1: PATH must start"},
        {"/a\tbad.name\n", "r.tsv:1: FUNCTION must be"},
        {"/a\tf\n/b\tg\n/a\th\n", "r.tsv:3: duplicate PATH"},
        {"/a\tf\n/b\0\tg\n", "r.tsv:2: NUL byte"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gw_routes r;
        char err[256] = "";
        size_t len = strlen(bad[i].text);
        if (i == 6) len = 11; /* includes the NUL */
        int rc = gw_routes_parse(bad[i].text, len, "r.tsv", &r, err, sizeof err);
        if (rc == 0 || !strstr(err, bad[i].needle))
            fail_msg("case %zu: rc %d '%s', want '%s'", i, rc, err, bad[i].needle);
        assert_int_equal(r.n, 0);
    }
    assert_true(gw_function_name_ok("trader_2-x"));
    assert_false(gw_function_name_ok(""));
    assert_false(gw_function_name_ok("../x"));
}

/* The repository's route table must stay valid and complete. */
static void test_repo_routes(void **state) {
    (void)state;
    if (access("infra/routes.tsv", R_OK) != 0) skip();
    gw_routes r;
    char err[256];
    if (gw_routes_load("infra/routes.tsv", &r, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(r.n, 10);
    assert_string_equal(gw_routes_lookup(&r, "/api/overview", 13), "overview");
    assert_string_equal(gw_routes_lookup(&r, "/telegram/webhook", 17), "telegram");
    assert_string_equal(gw_routes_lookup(&r, "/health", 7), "candles");
    assert_string_equal(gw_routes_lookup(&r, "/tasks/trader", 13), "trader");
    assert_string_equal(gw_routes_lookup(&r, "/api/logs", 9), "journal");
    gw_routes_free(&r);
    assert_int_equal(gw_routes_load("/nonexistent/routes.tsv", &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/routes.tsv"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_lookup),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_repo_routes),
    };
    return cmocka_run_group_tests_name("gateway_routes", tests, NULL, NULL);
}
