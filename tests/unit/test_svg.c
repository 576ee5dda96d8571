/* svg: escaping, and a line chart's points placed by hand: a 300 x 200
 * chart has its plot at x 90..280 and y 44..160 (left margin 90, margins
 * 20, title 24); the series 0, 5, 10 spans it corner to corner, with the
 * bounds as labels, and a value that is not finite is left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "platform/svg.h"

static void test_escape(void **state) {
    (void)state;
    dstr out = {0};
    svg_escape(&out, "a<b & \"c\" > 'd'");
    assert_string_equal(dstr_cstr(&out), "a&lt;b &amp; &quot;c&quot; &gt; &#39;d&#39;");
    dstr_free(&out);
}

static void test_line_chart(void **state) {
    (void)state;
    double y[] = {0, 5, NAN, 10};
    svg_series s = {y, 4, "red", "x<y"};
    dstr out = {0};
    svg_line_chart(&out, "T & U", &s, 1, "first", "last", 300, 200);
    const char *svg = dstr_cstr(&out);
    assert_non_null(strstr(svg, "width=\"300\" height=\"200\""));
    assert_non_null(strstr(svg, ">T &amp; U</text>"));
    assert_non_null(strstr(svg, "points=\"90.0,160.0 153.3,102.0 280.0,44.0\""));
    assert_non_null(strstr(svg, "<title>x&lt;y</title>"));
    assert_non_null(strstr(svg, ">10.00</text>"));
    assert_non_null(strstr(svg, ">0.00</text>"));
    assert_non_null(strstr(svg, ">first</text>"));
    assert_null(strstr(svg, "script"));
    dstr_free(&out);
    /* a flat series is drawn in the middle */
    double flat[] = {7, 7};
    s = (svg_series){flat, 2, "red", "flat"};
    svg_line_chart(&out, "", &s, 1, "", "", 300, 200);
    assert_non_null(strstr(dstr_cstr(&out), "points=\"90.0,102.0 280.0,102.0\""));
    dstr_free(&out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_line_chart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
