/* Unit tests: API Gateway payload 2.0 event building, Lambda proxy response
 * mapping, and the codecs under them (base64, UTF-8, URL decoding). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

/* the modules under test are linked into the local tools, not libcore */
#include "gw_codec.h"
#include "gw_event.h"

static const char *jstr(const cJSON *o, const char *path) {
    /* dotted path lookup: "requestContext.http.method" */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    char *save = NULL;
    for (char *k = strtok_r(buf, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, k);
    return cJSON_IsString(cur) ? cur->valuestring : NULL;
}

static void test_event_minimal_exact(void **state) {
    (void)state;
    gw_header h[] = {{"Host", "localhost:8080"}, {"User-Agent", "curl/8"}};
    gw_request req = {.method = "GET",
                      .raw_uri = "/health",
                      .protocol = "HTTP/1.1",
                      .source_ip = "127.0.0.1",
                      .server_port = 8080,
                      .headers = h,
                      .n_headers = 2,
                      .request_id = "JKJaXmPLvHcESHA=",
                      .trace_root = "1-5e6ecb2e-0123456789abcdef01234567",
                      .time_epoch_ms = 1583348638390};
    dstr out = {0};
    gw_event_build(&req, &out);
    assert_string_equal(
        dstr_cstr(&out),
        "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/"
        "health\",\"rawQueryString\":\"\","
        "\"headers\":{\"host\":\"localhost:8080\",\"user-agent\":\"curl/"
        "8\",\"x-forwarded-for\":\"127.0.0.1\","
        "\"x-forwarded-port\":\"8080\",\"x-forwarded-proto\":\"http\","
        "\"x-amzn-trace-id\":\"Root=1-5e6ecb2e-0123456789abcdef01234567\"},"
        "\"requestContext\":{\"accountId\":\"000000000000\",\"apiId\":\"local\",\"domainName\":"
        "\"localhost\","
        "\"domainPrefix\":\"localhost\",\"http\":{\"method\":\"GET\",\"path\":\"/"
        "health\",\"protocol\":\"HTTP/1.1\","
        "\"sourceIp\":\"127.0.0.1\",\"userAgent\":\"curl/8\"},\"requestId\":\"JKJaXmPLvHcESHA=\","
        "\"routeKey\":\"$default\",\"stage\":\"$default\",\"time\":\"04/Mar/2020:19:03:58 +0000\","
        "\"timeEpoch\":1583348638390},\"isBase64Encoded\":false}");
    dstr_free(&out);
}

static void test_event_fields(void **state) {
    (void)state;
    gw_header h[] = {{"X-Custom", "v1"}, {"Cookie", "c1=1; c2=2"},
                     {"x-custom", "v2"}, {"Content-Type", "text/plain"},
                     {"Cookie", "c3=3"}, {"X-Forwarded-For", "10.0.0.1"}};
    const char body[] = "héllo";
    gw_request req = {
        .method = "POST",
        .raw_uri = "/api/candles?symbol=BTCUSDT&tf=1h&a=1&a=2&enc=x%20y%2Bz+w&flag&&=novalue",
        .protocol = "HTTP/1.1",
        .source_ip = "192.0.2.7",
        .server_port = 9000,
        .headers = h,
        .n_headers = 6,
        .body = body,
        .body_len = strlen(body),
        .request_id = "rid",
        .time_epoch_ms = 1700000000000};
    dstr out = {0};
    gw_event_build(&req, &out);
    cJSON *ev = cJSON_Parse(dstr_cstr(&out));
    assert_non_null(ev);
    assert_string_equal(jstr(ev, "rawPath"), "/api/candles");
    assert_string_equal(jstr(ev, "rawQueryString"),
                        "symbol=BTCUSDT&tf=1h&a=1&a=2&enc=x%20y%2Bz+w&flag&&=novalue");
    assert_string_equal(jstr(ev, "queryStringParameters.symbol"), "BTCUSDT");
    assert_string_equal(jstr(ev, "queryStringParameters.a"), "1,2");
    assert_string_equal(jstr(ev, "queryStringParameters.enc"), "x y+z w");
    assert_string_equal(jstr(ev, "queryStringParameters.flag"), "");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ev, "queryStringParameters")), 5);
    assert_string_equal(jstr(ev, "headers.x-custom"), "v1,v2");
    assert_string_equal(jstr(ev, "headers.content-type"), "text/plain");
    assert_string_equal(jstr(ev, "headers.x-forwarded-for"), "10.0.0.1,192.0.2.7");
    assert_null(jstr(ev, "headers.cookie"));
    cJSON *cookies = cJSON_GetObjectItem(ev, "cookies");
    assert_int_equal(cJSON_GetArraySize(cookies), 3);
    assert_string_equal(cJSON_GetArrayItem(cookies, 0)->valuestring, "c1=1");
    assert_string_equal(cJSON_GetArrayItem(cookies, 2)->valuestring, "c3=3");
    assert_string_equal(jstr(ev, "requestContext.http.method"), "POST");
    assert_string_equal(jstr(ev, "requestContext.http.sourceIp"), "192.0.2.7");
    assert_string_equal(jstr(ev, "requestContext.http.userAgent"), "");
    assert_string_equal(jstr(ev, "requestContext.time"), "14/Nov/2023:22:13:20 +0000");
    assert_string_equal(jstr(ev, "body"), "héllo");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(ev, "isBase64Encoded")));
    assert_null(cJSON_GetObjectItem(ev, "pathParameters"));
    cJSON_Delete(ev);
    dstr_free(&out);
}

static void test_event_binary_body(void **state) {
    (void)state;
    const char body[] = {'\x00', '\xff', '\xfe', 'a'};
    gw_header h[] = {{"X-Bad", "ok\xff"}};
    gw_request req = {.method = "PUT",
                      .raw_uri = "/up",
                      .headers = h,
                      .n_headers = 1,
                      .body = body,
                      .body_len = sizeof body,
                      .time_epoch_ms = 0};
    dstr out = {0};
    gw_event_build(&req, &out);
    assert_true(gw_utf8_valid(out.ptr, out.len));
    cJSON *ev = cJSON_Parse(dstr_cstr(&out));
    assert_non_null(ev);
    assert_string_equal(jstr(ev, "body"), "AP/+YQ==");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(ev, "isBase64Encoded")));
    assert_string_equal(jstr(ev, "headers.x-bad"), "ok\xef\xbf\xbd");
    assert_null(cJSON_GetObjectItem(ev, "queryStringParameters"));
    cJSON_Delete(ev);
    dstr_free(&out);
}

typedef struct map_case {
    const char *payload;
    int rc, status;
    const char *body;
    const char *headers; /* "name: value\n" each, in order */
    size_t cookies;
} map_case;

/* clang-format off */
static const map_case map_cases[] = {
    {"{\"statusCode\":201,\"headers\":{\"content-type\":\"text/plain\",\"x-a\":\"1\"},\"body\":\"hi\"}", 0,
     201, "hi", "content-type: text/plain\nx-a: 1\n", 0},
    {"{\"statusCode\":200,\"body\":\"aGVsbG8=\",\"isBase64Encoded\":true}", 0, 200, "hello", "", 0},
    {"{\"statusCode\":302,\"headers\":{\"location\":\"/x\"},\"cookies\":[\"a=1; Path=/\",\"b=2\"]}", 0, 302,
     "", "location: /x\n", 2},
    {"{\"statusCode\":200,\"headers\":{\"x-n\":5,\"x-b\":true,\"content-length\":\"99\"},\"body\":null}", 0,
     200, "", "x-n: 5\nx-b: true\n", 0},
    {"{\"statusCode\":204}", 0, 204, "", "", 0},
    {"{\"hello\": [1, 2]}", 0, 200, "{\"hello\":[1,2]}", "content-type: application/json\n", 0},
    {"\"plain text\"", 0, 200, "plain text", "content-type: application/json\n", 0},
    {"[1,2]", 0, 200, "[1,2]", "content-type: application/json\n", 0},
    {"42", 0, 200, "42", "content-type: application/json\n", 0},
    {"not json", -1, 500, "", "", 0},
    {"", -1, 500, "", "", 0},
    {"{\"statusCode\":\"200\"}", -1, 500, "", "", 0},
    {"{\"statusCode\":99}", -1, 500, "", "", 0},
    {"{\"statusCode\":600}", -1, 500, "", "", 0},
    {"{\"statusCode\":200.5}", -1, 500, "", "", 0},
    {"{\"statusCode\":1e300}", -1, 500, "", "", 0},
    {"{\"statusCode\":200,\"body\":{\"a\":1}}", -1, 500, "", "", 0},
    {"{\"statusCode\":200,\"body\":\"!!!\",\"isBase64Encoded\":true}", -1, 500, "", "", 0},
    {"{\"statusCode\":200,\"isBase64Encoded\":\"yes\"}", -1, 500, "", "", 0},
    {"{\"statusCode\":200,\"headers\":{\"bad name\":\"x\"}}", -1, 500, "", "", 0},
    {"{\"statusCode\":200,\"headers\":{\"x\":\"a\\r\\nb\"}}", -1, 500, "", "", 0},
    {"{\"statusCode\":200,\"headers\":[]}", -1, 500, "", "", 0},
    {"{\"statusCode\":200,\"cookies\":[1]}", -1, 500, "", "", 0},
};
/* clang-format on */

static void test_response_map(void **state) {
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof map_cases / sizeof map_cases[0]; i++) {
        const map_case *c = &map_cases[i];
        gw_response r;
        int rc = gw_response_map(c->payload, strlen(c->payload), &r);
        dstr hs = {0};
        for (size_t k = 0; k < r.n_headers; k++)
            dstr_printf(&hs, "%s: %s\n", r.headers[k].name, r.headers[k].value);
        if (rc != c->rc || r.status != c->status || strcmp(dstr_cstr(&r.body), c->body) != 0 ||
            strcmp(dstr_cstr(&hs), c->headers) != 0 || r.n_cookies != c->cookies) {
            print_error("case %zu (%s): rc %d status %d body '%s' headers '%s' cookies %zu (%s)\n",
                        i, c->payload, rc, r.status, dstr_cstr(&r.body), dstr_cstr(&hs),
                        r.n_cookies, r.why);
            failures++;
        }
        if (rc != 0 && !r.why[0]) {
            print_error("case %zu: no reason given\n", i);
            failures++;
        }
        dstr_free(&hs);
        gw_response_free(&r);
    }
    assert_int_equal(failures, 0);
}

static void test_base64(void **state) {
    (void)state;
    static const struct {
        const char *plain, *b64;
    } ok[] = {{"", ""},
              {"f", "Zg=="},
              {"fo", "Zm8="},
              {"foo", "Zm9v"},
              {"foob", "Zm9vYg=="},
              {"fooba", "Zm9vYmE="},
              {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        dstr e = {0}, d = {0};
        base64_encode(&e, ok[i].plain, strlen(ok[i].plain));
        assert_string_equal(dstr_cstr(&e), ok[i].b64);
        assert_int_equal(base64_decode(&d, ok[i].b64, strlen(ok[i].b64)), 0);
        assert_string_equal(dstr_cstr(&d), ok[i].plain);
        dstr_free(&e);
        dstr_free(&d);
    }
    dstr d = {0};
    assert_int_equal(base64_decode(&d, "aGVsbG8", 7), 0); /* unpadded */
    assert_string_equal(dstr_cstr(&d), "hello");
    static const char *const bad[] = {"a", "ab=c", "a===", "@@@@", "aGVsbG9=", "Zg=", "Zm9v\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dstr_clear(&d);
        if (base64_decode(&d, bad[i], strlen(bad[i])) != -1) fail_msg("accepted '%s'", bad[i]);
    }
    dstr_free(&d);
}

static void test_utf8_and_url(void **state) {
    (void)state;
    static const char *const valid[] = {"", "abc", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    static const char *const invalid[] = {"\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                          "\xff", "\x80",     "a\xe2\x82"};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        assert_true(gw_utf8_valid(valid[i], strlen(valid[i])));
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        assert_false(gw_utf8_valid(invalid[i], strlen(invalid[i])));

    static const struct {
        const char *in;
        int plus;
        const char *out;
    } url[] = {{"a%20b+c", 1, "a b c"}, {"a%20b+c", 0, "a b+c"}, {"%zz", 1, "%zz"},
               {"%4", 1, "%4"},         {"%41%42", 1, "AB"},     {"100%", 1, "100%"}};
    for (size_t i = 0; i < sizeof url / sizeof url[0]; i++) {
        dstr o = {0};
        gw_url_decode(&o, url[i].in, strlen(url[i].in), url[i].plus);
        assert_string_equal(dstr_cstr(&o), url[i].out);
        dstr_free(&o);
    }
    char t[32];
    gw_fmt_iso_utc(t, 1647975583);
    assert_string_equal(t, "2022-03-22T18:59:43Z");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_minimal_exact),
        cmocka_unit_test(test_event_fields),
        cmocka_unit_test(test_event_binary_body),
        cmocka_unit_test(test_response_map),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_utf8_and_url),
    };
    return cmocka_run_group_tests_name("gateway_event", tests, NULL, NULL);
}
