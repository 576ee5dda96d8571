/* apigw + api: Lambda event shapes and the routing every function shares.
 * Cases are data: an event (method, rawPath, stage, query) and the status
 * and error code the frame must answer, without touching any upstream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "frame/api.h"
#include "frame/apigw.h"
#include "platform/clock.h"

static int handler_calls;

static void echo_route(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    (void)ctx;
    handler_calls++;
    res->status = 200;
    dstr_puts(&res->body, "{\"path\":");
    dstr_json_str(&res->body, ev->path);
    dstr_puts(&res->body, ",\"symbol\":");
    dstr_json_str(&res->body, apigw_query(ev, "symbol"));
    dstr_putc(&res->body, '}');
}

static void on_event(api_ctx *ctx, const cJSON *input, rt_response *res) {
    (void)ctx;
    const cJSON *src = cJSON_GetObjectItem(input, "source");
    dstr_printf(&res->body, "{\"got\":\"%s\"}", cJSON_IsString(src) ? src->valuestring : "?");
}

static const char *const params[] = {"symbol", "limit", NULL};
static const api_route routes[] = {
    {"GET", "/api/things", echo_route, params},
    {"GET,POST", "/tasks/run", echo_route, params},
};
static const api_function fn = {"testfn", routes, 2, on_event, 0, NULL};

static void http_event(dstr *out, const char *method, const char *raw_path, const char *stage,
                       const char *query_json, const char *raw_query) {
    dstr_printf(
        out,
        "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"%s\","
        "\"rawQueryString\":\"%s\",%s%s%s\"headers\":{\"user-agent\":\"t\"},"
        "\"requestContext\":{\"stage\":\"%s\",\"http\":{\"method\":\"%s\",\"path\":\"%s\"}},"
        "\"isBase64Encoded\":false}",
        raw_path, raw_query, query_json ? "\"queryStringParameters\":" : "",
        query_json ? query_json : "", query_json ? "," : "", stage, method, raw_path);
}

/* Runs one payload through the frame; returns the parsed response object. */
static cJSON *dispatch(const char *payload, rt_response *res) {
    cfg c;
    memset(&c, 0, sizeof c);
    rt_invocation inv = {.request_id = "r",
                         .deadline_ms = clock_wall_ms() + 3000,
                         .payload = payload,
                         .payload_len = strlen(payload)};
    api_ctx ctx = {.cfg = &c, .inv = &inv, .deadline_ms = inv.deadline_ms - API_RESERVE_MS};
    memset(res, 0, sizeof *res);
    api_dispatch(&fn, &ctx, payload, strlen(payload), res);
    return cJSON_Parse(dstr_cstr(&res->body));
}

typedef struct route_case {
    const char *method, *raw_path, *stage, *query_json, *raw_query;
    int status;
    const char *error; /* expected "error" code in the body, NULL for success */
} route_case;

/* clang-format off */
static const route_case route_cases[] = {
    {"GET", "/api/things", "$default", "{\"symbol\":\"BTCUSDT\"}", "symbol=BTCUSDT", 200, NULL},
    {"GET", "/prod/api/things", "prod", "{\"symbol\":\"BTCUSDT\"}", "symbol=BTCUSDT", 200, NULL},
    {"GET", "/prod", "prod", NULL, "", 404, "not_found"},
    {"GET", "/api/things/", "$default", NULL, "", 404, "not_found"},
    {"DELETE", "/api/things", "$default", NULL, "", 405, "method_not_allowed"},
    {"POST", "/tasks/run", "$default", NULL, "", 200, NULL},
    {"get", "/api/things", "$default", NULL, "", 200, NULL},
    {"GET", "/api/things", "$default", "{\"limt\":\"5\"}", "limt=5", 400, "unknown_parameter"},
    {"GET", "/nope", "$default", NULL, "", 404, "not_found"},
    {"GET", "/health", "$default", NULL, "", 200, NULL},
    {"GET", "/prod/health", "prod", NULL, "", 200, NULL},
    {"POST", "/health", "$default", NULL, "", 405, "method_not_allowed"},
    /* control characters: the parsed strings end at a NUL, the raw query does not */
    {"GET", "/api/things", "$default", "{\"symbol\":\"BTCUSDT\\u0000../x\"}", "symbol=BTCUSDT%00../x", 400, "invalid_parameter"},
    {"GET", "/api/things", "$default", "{\"symbol\\u0000zzz\":\"BTCUSDT\"}", "symbol%00zzz=BTCUSDT", 400, "invalid_parameter"},
    {"GET", "/api/things", "$default", "{\"symbol\":\"BTC\\u0001\"}", "", 400, "invalid_parameter"},
    {"GET", "/api/things", "$default", "{\"symbol\":\"BTC\\u007f\"}", "symbol=BTC%7f", 400, "invalid_parameter"},
    {"GET", "/nope", "$default", "{\"x\":\"\\n\"}", "x=%0A", 400, "invalid_parameter"},
    {"GET", "/health", "$default", "{\"x\":\"\\t\"}", "x=%09", 400, "invalid_parameter"},
    /* not control characters: a '%' without two hex digits, '+', a repeat (comma-joined) */
    {"GET", "/api/things", "$default", "{\"symbol\":\"A%zz%2\"}", "symbol=A%zz%2", 200, NULL},
    {"GET", "/api/things", "$default", "{\"symbol\":\"A+B\"}", "symbol=A+B%20", 200, NULL},
    {"GET", "/api/things", "$default", "{\"symbol\":\"A,B\"}", "symbol=A&symbol=B", 200, NULL},
};
/* clang-format on */

static void test_routing(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof route_cases / sizeof *route_cases; i++) {
        const route_case *t = &route_cases[i];
        dstr ev = {0};
        http_event(&ev, t->method, t->raw_path, t->stage, t->query_json, t->raw_query);
        rt_response res;
        cJSON *out = dispatch(ev.ptr, &res);
        assert_non_null(out);
        assert_false(res.failed);
        int status = cJSON_GetObjectItem(out, "statusCode")->valueint;
        if (status != t->status)
            fail_msg("case %zu %s %s: status %d", i, t->method, t->raw_path, status);
        cJSON *body = cJSON_Parse(cJSON_GetObjectItem(out, "body")->valuestring);
        assert_non_null(body);
        const cJSON *err = cJSON_GetObjectItem(body, "error");
        if (t->error) {
            assert_true(cJSON_IsString(err));
            assert_string_equal(err->valuestring, t->error);
            assert_true(cJSON_IsString(cJSON_GetObjectItem(body, "message")));
        } else {
            assert_null(err);
        }
        if (t->status == 405)
            assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "headers"), "allow"));
        cJSON_Delete(body);
        cJSON_Delete(out);
        dstr_free(&res.body);
        dstr_free(&ev);
    }
}

static void test_stage_prefix_stripped(void **state) {
    (void)state;
    dstr ev = {0};
    http_event(&ev, "GET", "/prod/api/things", "prod", "{\"symbol\":\"ETHUSDT\"}",
               "symbol=ETHUSDT");
    rt_response res;
    cJSON *out = dispatch(ev.ptr, &res);
    cJSON *body = cJSON_Parse(cJSON_GetObjectItem(out, "body")->valuestring);
    assert_string_equal(cJSON_GetObjectItem(body, "path")->valuestring, "/api/things");
    assert_string_equal(cJSON_GetObjectItem(body, "symbol")->valuestring, "ETHUSDT");
    cJSON_Delete(body);
    cJSON_Delete(out);
    dstr_free(&res.body);
    dstr_free(&ev);
}

static const struct {
    const char *payload;
    int failed;
    const char *type;
    const char *got;
} event_cases[] = {
    {"{\"version\":\"0\",\"id\":\"x\",\"detail-type\":\"Scheduled "
     "Event\",\"source\":\"aws.events\","
     "\"time\":\"2026-11-21T12:00:00Z\",\"detail\":{}}",
     0, NULL, "aws.events"},
    {"{\"source\":\"scheduler\",\"scheduled_time\":\"2026-11-21T12:00:00Z\"}", 0, NULL,
     "scheduler"},
    {"{}", 0, NULL, "?"},
    {"not json", 1, "Function.BadEvent", NULL},
    {"[1,2]", 1, "Function.BadEvent", NULL},
    {"{\"version\":\"2.0\",\"requestContext\":{}}", 1, "Function.BadEvent", NULL},
};

static void test_non_http_events(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof event_cases / sizeof *event_cases; i++) {
        rt_response res;
        cJSON *out = dispatch(event_cases[i].payload, &res);
        assert_int_equal(res.failed, event_cases[i].failed);
        if (event_cases[i].failed) {
            assert_string_equal(res.error_type, event_cases[i].type);
        } else {
            assert_string_equal(cJSON_GetObjectItem(out, "got")->valuestring, event_cases[i].got);
        }
        cJSON_Delete(out);
        dstr_free(&res.body);
    }
}

static void test_base64_body_and_headers(void **state) {
    (void)state;
    const char *ev_json =
        "{\"version\":\"2.0\",\"rawPath\":\"/x\",\"rawQueryString\":\"\","
        "\"headers\":{\"x-a\":\"1,2\"},\"requestContext\":{\"http\":{\"method\":\"POST\"}},"
        "\"body\":\"aGk=\",\"isBase64Encoded\":true}";
    apigw_event ev;
    dstr err = {0};
    assert_int_equal(apigw_parse(ev_json, strlen(ev_json), &ev, &err), 0);
    assert_int_equal(ev.kind, APIGW_HTTP);
    assert_int_equal(ev.body_len, 2);
    assert_string_equal(ev.body, "hi");
    assert_string_equal(apigw_header(&ev, "x-a"), "1,2");
    assert_null(apigw_query(&ev, "symbol"));
    apigw_event_free(&ev);
    const char *bad = "{\"version\":\"2.0\",\"rawPath\":\"/x\",\"requestContext\":{\"http\":"
                      "{\"method\":\"POST\"}},\"body\":\"!!\",\"isBase64Encoded\":true}";
    assert_int_equal(apigw_parse(bad, strlen(bad), &ev, &err), -1);
    assert_non_null(strstr(err.ptr, "base64"));
    apigw_event_free(&ev);
    dstr_free(&err);
}

static void test_response_format(void **state) {
    (void)state;
    apigw_response res = {.status = 201};
    dstr_puts(&res.body, "a\"b\n");
    apigw_add_header(&res, "x-extra", "v");
    dstr out = {0};
    apigw_response_format(&res, &out);
    cJSON *j = cJSON_Parse(out.ptr);
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "statusCode")->valueint, 201);
    assert_string_equal(cJSON_GetObjectItem(j, "body")->valuestring, "a\"b\n");
    cJSON *h = cJSON_GetObjectItem(j, "headers");
    assert_string_equal(cJSON_GetObjectItem(h, "content-type")->valuestring, "application/json");
    assert_string_equal(cJSON_GetObjectItem(h, "x-extra")->valuestring, "v");
    cJSON_Delete(j);
    dstr_free(&out);
    apigw_response_free(&res);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing),         cmocka_unit_test(test_stage_prefix_stripped),
        cmocka_unit_test(test_non_http_events), cmocka_unit_test(test_base64_body_and_headers),
        cmocka_unit_test(test_response_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
