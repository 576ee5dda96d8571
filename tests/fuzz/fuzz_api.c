/* fuzz_api: one Lambda event through the frame's dispatch (api_dispatch), as
 * tests/unit/test_api.c drives it: routing, method and query checks, health,
 * the test routes' query parsing (api_query_symbol, api_query_long), events
 * and the uniform errors. No upstream is reached. An HTTP answer must be a
 * valid payload 2.0 response; a failed event must carry an error type. */
#include <string.h>

#include <cJSON.h>

#include "frame/api.h"
#include "frame/apigw.h"
#include "fuzz.h"
#include "platform/clock.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void query_route(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    (void)ctx;
    const char *symbol;
    long limit;
    if (api_query_symbol(ev, res, &symbol) || api_query_long(ev, res, "limit", 10, 1, 1500, &limit))
        return;
    res->status = 200;
    dstr_puts(&res->body, "{\"symbol\":");
    dstr_json_str(&res->body, symbol);
    dstr_printf(&res->body, ",\"limit\":%ld}", limit);
}

static void echo_route(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    (void)ctx;
    res->status = 200;
    res->content_type = "text/plain";
    dstr_append(&res->body, ev->body ? ev->body : "", ev->body ? ev->body_len : 0);
}

static void on_event(api_ctx *ctx, const cJSON *input, rt_response *res) {
    (void)ctx;
    char *text = cJSON_PrintUnformatted(input);
    if (!text) abort();
    dstr_printf(&res->body, "{\"got\":%s}", text);
    cJSON_free(text);
}

static const char *const params[] = {"symbol", "limit", NULL};
static const api_route routes[] = {
    {"GET", "/api/things", query_route, params},
    {"GET,POST", "/tasks/run", echo_route, NULL},
};
static const api_function fn_events = {"fuzzfn", routes, 2, on_event, 0, NULL};
static const api_function fn_http_only = {"fuzzfn", routes, 2, NULL, 1, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* the first byte picks the function (with or without an event handler) */
    const api_function *fn = size && (data[0] & 1) ? &fn_http_only : &fn_events;
    cfg c;
    memset(&c, 0, sizeof c);
    rt_invocation inv = {.request_id = "fuzz",
                         .deadline_ms = clock_wall_ms() + 3000,
                         .payload = (const char *)data,
                         .payload_len = size};
    api_ctx ctx = {.cfg = &c, .inv = &inv, .deadline_ms = inv.deadline_ms - API_RESERVE_MS};
    rt_response res;
    memset(&res, 0, sizeof res);
    api_dispatch(fn, &ctx, (const char *)data, size, &res);
    if (res.failed) {
        if (!res.error_type[0]) fuzz_fail("failed invocation without an error type");
    } else {
        apigw_event ev;
        dstr err = {0};
        if (apigw_parse((const char *)data, size, &ev, &err) == 0 && ev.kind == APIGW_HTTP) {
            cJSON *out = cJSON_ParseWithLength(res.body.ptr, res.body.len);
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(out, "statusCode");
            if (!cJSON_IsNumber(st) || st->valueint < 200 || st->valueint > 599)
                fuzz_fail("HTTP answer is not a payload 2.0 response with a status");
            cJSON_Delete(out);
        }
        apigw_event_free(&ev);
        dstr_free(&err);
    }
    dstr_free(&res.body);
    return 0;
}
