/* fuzz_apigw: Lambda events (API Gateway payload 2.0, EventBridge envelopes,
 * plain objects) through apigw_parse, every query parameter and header
 * looked up, and a response carrying the event's values rendered: the
 * rendered payload must stay one valid JSON object. */
#include <string.h>

#include <cJSON.h>

#include "frame/apigw.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void lookup_all(const apigw_event *ev, const cJSON *obj,
                       const char *(*get)(const apigw_event *, const char *), apigw_response *res) {
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        const char *v = get(ev, it->string);
        if (v) apigw_add_header(res, it->string, v); /* names and values as they came */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    apigw_event ev;
    dstr err = {0};
    if (apigw_parse((const char *)data, size, &ev, &err) != 0) {
        if (!err.len) fuzz_fail("apigw_parse failed without a message");
        apigw_event_free(&ev);
        dstr_free(&err);
        return 0;
    }
    apigw_response res = {.status = 200};
    if (ev.kind == APIGW_HTTP) {
        if (!ev.method || !ev.path || ev.path[0] != '/' || !ev.raw_query)
            fuzz_fail("HTTP event without method, path or query");
        if (ev.body && strlen(ev.body) > ev.body_len) fuzz_fail("body longer than body_len");
        lookup_all(&ev, ev.query, apigw_query, &res);
        lookup_all(&ev, ev.headers, apigw_header, &res);
        apigw_query(&ev, "symbol");
        apigw_header(&ev, "content-type");
        dstr_puts(&res.body, "{\"path\":");
        dstr_json_str(&res.body, ev.path);
        dstr_puts(&res.body, ",\"raw_query\":");
        dstr_json_str(&res.body, ev.raw_query);
        dstr_putc(&res.body, '}');
    } else if (ev.input != ev.root) {
        fuzz_fail("event input is not the whole event");
    }
    dstr out = {0};
    apigw_response_format(&res, &out);
    cJSON *back = cJSON_ParseWithLength(out.ptr, out.len);
    if (!cJSON_IsObject(back)) fuzz_fail("apigw_response_format rendered invalid JSON");
    cJSON_Delete(back);
    dstr_free(&out);
    apigw_response_free(&res);
    apigw_event_free(&ev);
    dstr_free(&err);
    return 0;
}
