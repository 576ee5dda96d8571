/* Unit tests: the local gateway's HTTP/1.1 request reader (gw_head): heads
 * read whole, byte by byte and refused with the right status, the
 * 10,240-byte limits, and chunked bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

/* the module under test is linked into the local tools, not libcore */
#include "gw_head.h"

#define MAX_BODY (6u * 1024u * 1024u)

static long scan(const char *req, size_t len, gw_head *h, gw_refusal *why) {
    return gw_head_scan(req, len, MAX_BODY, h, why);
}

static void test_head_fields(void **state) {
    (void)state;
    static const char req[] = "\r\nPOST /a/b?x=1&y=%20 HTTP/1.1\r\nHost: h:1\r\n"
                              "X-Sp:  v  w \t\r\nEmpty:\r\nContent-Length: 3\n"
                              "Expect: 100-continue\r\n\r\nabcGET";
    gw_head h;
    gw_refusal why;
    long n = scan(req, sizeof req - 1, &h, &why);
    assert_int_equal(n, (long)(strstr(req, "abc") - req));
    assert_string_equal(h.method, "POST");
    assert_string_equal(h.target, "/a/b?x=1&y=%20");
    assert_string_equal(h.version, "HTTP/1.1");
    assert_int_equal(h.n_headers, 5);
    assert_string_equal(h.headers[0].name, "Host");
    assert_string_equal(h.headers[0].value, "h:1");
    assert_string_equal(h.headers[1].value, "v  w"); /* OWS trimmed, inner kept */
    assert_string_equal(h.headers[2].name, "Empty");
    assert_string_equal(h.headers[2].value, "");
    assert_int_equal(h.content_length, 3);
    assert_false(h.chunked);
    assert_true(h.keep_alive);
    assert_true(h.expect_continue);
    gw_head_free(&h);
}

static void test_head_connection(void **state) {
    (void)state;
    static const struct {
        const char *req;
        int keep_alive, chunked;
    } cases[] = {
        {"GET / HTTP/1.0\r\n\r\n", 0, 0},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1, 0},
        {"GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n", 0, 0},
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1, 0},
        {"GET / HTTP/1.2\r\nHost: x\r\n\r\n", 1, 0}, /* a later 1.x is read as 1.1 */
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n", 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_head h;
        gw_refusal why;
        long n = scan(cases[i].req, strlen(cases[i].req), &h, &why);
        assert_int_equal(n, (long)strlen(cases[i].req));
        assert_int_equal(h.keep_alive, cases[i].keep_alive);
        assert_int_equal(h.chunked, cases[i].chunked);
        gw_head_free(&h);
    }
}

/* Every prefix of a well-formed head asks for more, never refuses. */
static void test_head_byte_by_byte(void **state) {
    (void)state;
    static const char req[] = "\r\nGET /echo?q=1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n";
    for (size_t len = 0; len < sizeof req - 1; len++) {
        gw_head h;
        gw_refusal why;
        assert_int_equal(scan(req, len, &h, &why), 0);
    }
}

static void test_head_refusals(void **state) {
    (void)state;
    static const struct {
        const char *req;
        size_t len; /* 0: strlen */
        unsigned status;
        const char *code;
    } cases[] = {
        {"\x16\x03\x01", 0, 400, "bad_request"}, /* a TLS handshake: refused at once */
        {"GARBAGE\r\n\r\n", 0, 400, "bad_request"},
        {" / HTTP/1.1\r\n", 0, 400, "bad_request"},
        {"GET /\r\n", 0, 400, "bad_request"},
        {"GET  / HTTP/1.1\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.1 \r\n", 0, 400, "bad_request"},
        {"GET /a b HTTP/1.1\r\n", 0, 400, "bad_request"},
        {"GET /\x01 HTTP/1.1\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.x\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/11\r\n", 0, 400, "bad_request"},
        {"GET / http/1.1\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.1\r\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/2.0\r\n", 0, 505, "http_version_not_supported"}, /* before its headers */
        {"GET / HTTP/0.9\r\n", 0, 505, "http_version_not_supported"},
        {"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.1\r\n Host: x\r\n\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n\t2\r\n\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.1\r\nHost: x\r\nA: 1\0002\r\n\r\n", 35, 400, "bad_request"},
        {"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r2\r\n\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.1\r\nHost: x\r\nA: 1\x7f\r\n\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.1\r\n\r\n", 0, 400, "bad_request"},
        {"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 0, 400, "bad_request"},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 0, 400, "bad_request"},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 0, 400, "bad_request"},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\n", 0, 400, "bad_request"},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 0, 400,
         "bad_request"},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n", 0, 413,
         NULL},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6291457\r\n\r\n", 0, 413, NULL},
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 0, 400, "bad_request"},
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 0, 400,
         "bad_request"},
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, 501,
         "not_implemented"},
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 0,
         400, "bad_request"},
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 400, "bad_request"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].req);
        gw_head h;
        gw_refusal why;
        long n = scan(cases[i].req, len, &h, &why);
        if (n != -1 || why.status != cases[i].status ||
            (cases[i].code ? !why.code || strcmp(why.code, cases[i].code) != 0 : why.code != NULL))
            fail_msg("case %zu: %ld %u %s", i, n, why.status, why.code ? why.code : "-");
        assert_non_null(why.message);
    }
}

/* Builds "GET /aaa... HTTP/1.1\r\n" of line_len bytes, then headers,
 * with a last header filled so the head is head_len bytes. */
static size_t limit_request(char *out, size_t line_len, size_t head_len) {
    static const char end[] = " HTTP/1.1\r\n";
    memset(out, 'a', line_len);
    memcpy(out, "GET /", 5);
    memcpy(out + line_len - (sizeof end - 1), end, sizeof end - 1);
    size_t n = line_len;
    n += (size_t)sprintf(out + n, "Host: x\r\nX-Fill: ");
    while (n < head_len - 4) out[n++] = 'f';
    memcpy(out + n, "\r\n\r\n", 4);
    return n + 4;
}

static void test_head_limits(void **state) {
    (void)state;
    static char req[3 * GW_HEAD_MAX];
    gw_head h;
    gw_refusal why;
    /* a request line over the limit is refused before its end arrives */
    memset(req, 'a', sizeof req);
    memcpy(req, "GET /", 5);
    assert_int_equal(scan(req, GW_HEAD_MAX, &h, &why), 0);
    assert_int_equal(scan(req, GW_HEAD_MAX + 1, &h, &why), -1);
    assert_int_equal(why.status, 414);
    assert_string_equal(why.code, "uri_too_long");
    /* line and headers of exactly 10,240 bytes are served; one more is 431 */
    size_t n = limit_request(req, 100, GW_HEAD_MAX);
    assert_int_equal(n, GW_HEAD_MAX);
    assert_int_equal(scan(req, n, &h, &why), (long)n);
    gw_head_free(&h);
    n = limit_request(req, 100, GW_HEAD_MAX + 1);
    assert_int_equal(scan(req, n, &h, &why), -1);
    assert_int_equal(why.status, 431);
    assert_string_equal(why.code, "headers_too_large");
    assert_int_equal(why.method_len, 3); /* the request line is known, for the log */
    assert_int_equal(why.target_len, 100 - 3 - 1 - 11);
    /* ... also before the head's end arrives */
    assert_int_equal(scan(req, GW_HEAD_MAX, &h, &why), 0);
    assert_int_equal(scan(req, GW_HEAD_MAX + 1, &h, &why), -1);
    assert_int_equal(why.status, 431);
    /* a request line of 10,240 bytes with its CRLF fits; with headers it is 431 */
    n = limit_request(req, GW_HEAD_MAX, GW_HEAD_MAX + 40);
    assert_int_equal(scan(req, n, &h, &why), -1);
    assert_int_equal(why.status, 431);
    n = limit_request(req, GW_HEAD_MAX + 1, GW_HEAD_MAX + 40);
    assert_int_equal(scan(req, n, &h, &why), -1);
    assert_int_equal(why.status, 414);
}

static const char chunked_body[] = "3;ext=\"a b\"\r\nabc\r\nA\r\n0123456789\n0\r\nT: v\r\n"
                                   "U:\r\n\r\nGET /next";

static void test_chunked_whole_and_split(void **state) {
    (void)state;
    size_t want_used = strlen(chunked_body) - strlen("GET /next");
    for (size_t step = 1; step <= sizeof chunked_body; step++) {
        gw_chunked c = {0};
        dstr body = {0};
        gw_refusal why;
        int done = 0;
        size_t used = 0;
        while (!done && used < sizeof chunked_body - 1) {
            size_t len = sizeof chunked_body - 1 - used;
            if (len > step) len = step;
            long n = gw_chunked_feed(&c, chunked_body + used, len, MAX_BODY, &body, &done, &why);
            assert_true(n >= 0);
            used += (size_t)n;
        }
        assert_true(done);
        assert_int_equal(used, want_used);
        assert_string_equal(dstr_cstr(&body), "abc0123456789");
        dstr_free(&body);
    }
}

static void test_chunked_refusals(void **state) {
    (void)state;
    static const struct {
        const char *body;
        unsigned status;
    } cases[] = {
        {"zz\r\n", 400},           {";x\r\n", 400},
        {"3 ;x\r\n", 400},         {"3\rx", 400},
        {"3\r\nabcX", 400},        {"3\r\nabc\rX", 400},
        {"3;\x01\r\n", 400},       {"0\r\nbad trailer\r\n\r\n", 400},
        {"0\r\n: v\r\n\r\n", 400}, {"0\r\nA: \x01\r\n\r\n", 400},
        {"0\r\n\rX", 400},         {"FFFFFFFFFFFFFFFFF\r\n", 413},
        {"700000\r\n", 413}, /* over the 6 MB body */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_chunked c = {0};
        dstr body = {0};
        gw_refusal why;
        int done = 0;
        long n =
            gw_chunked_feed(&c, cases[i].body, strlen(cases[i].body), MAX_BODY, &body, &done, &why);
        if (n != -1 || why.status != cases[i].status)
            fail_msg("case %zu: %ld %u", i, n, why.status);
        dstr_free(&body);
    }
    /* incomplete is not malformed */
    gw_chunked c = {0};
    dstr body = {0};
    gw_refusal why;
    int done = 1;
    assert_int_equal(gw_chunked_feed(&c, "3\r\nab", 5, MAX_BODY, &body, &done, &why), 5);
    assert_false(done);
    dstr_free(&body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_fields),       cmocka_unit_test(test_head_connection),
        cmocka_unit_test(test_head_byte_by_byte), cmocka_unit_test(test_head_refusals),
        cmocka_unit_test(test_head_limits),       cmocka_unit_test(test_chunked_whole_and_split),
        cmocka_unit_test(test_chunked_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
