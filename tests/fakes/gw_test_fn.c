/* gw_test_fn: a tiny Lambda function for testing the local gateway. It speaks
 * the Runtime API itself with libcurl (independent of shared/platform/runtime.c) and
 * acts on the last segment of the event's rawPath:
 *   /echo        200 with {"event": <event>, "runtime": {ids, deadline, env}}
 *   /sleep?ms=N  sleeps N ms, then 200 {"pid","start_ms","end_ms"}
 *   /crash       abort()            /exit     exit(3)
 *   /error       POST .../error (Function.TestError)
 *   /nostatus    {"hello":"world"}  /string   "plain text"   /notjson  not JSON
 *   /binary      base64 body of bytes 0..255 with isBase64Encoded
 *   /status?code=N  status N with header x-status
 *   /big         a 7 MB response (the host must refuse it with 413)
 *   /pid         {"pid": N}
 *   /probe       checks Runtime API rules from inside (second /next, bogus id)
 *   /last        what the previous /probe and /big saw afterwards
 * Any other event (no rawPath: e.g. a scheduled one) is appended to the file
 * $GW_TEST_FN_RECORD (one line each) and answered {"ok":true}.
 * Function name "initfail" reports /runtime/init/error and exits; "hanginit"
 * never calls /next. */
#include <cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "platform/dstr.h"

typedef struct fn_next {
    dstr body;
    char request_id[64];
    char deadline[32];
    char arn[256];
    char trace[256];
} fn_next;

static CURL *curl;
static char base_url[256];
static long last_second_answer = -1, last_big_status = -1;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    dstr_append(ud, p, size * n);
    return size * n;
}

static void copy_header(const char *line, size_t len, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return;
    const char *v = line + nl + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ')) v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n')) vl--;
    snprintf(out, cap, "%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    fn_next *nx = ud;
    size_t len = size * n;
    copy_header(p, len, "Lambda-Runtime-Aws-Request-Id", nx->request_id, sizeof nx->request_id);
    copy_header(p, len, "Lambda-Runtime-Deadline-Ms", nx->deadline, sizeof nx->deadline);
    copy_header(p, len, "Lambda-Runtime-Invoked-Function-Arn", nx->arn, sizeof nx->arn);
    copy_header(p, len, "Lambda-Runtime-Trace-Id", nx->trace, sizeof nx->trace);
    return len;
}

static long rt_get_next(fn_next *nx) {
    dstr url = {0};
    dstr_printf(&url, "%s/runtime/invocation/next", base_url);
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, dstr_cstr(&url));
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &nx->body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, nx);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    CURLcode rc = curl_easy_perform(curl);
    dstr_free(&url);
    long status = -1;
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static long rt_post(const char *path, const char *body, size_t len, const char *error_type) {
    dstr url = {0}, sink = {0};
    dstr_printf(&url, "%s%s", base_url, path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    if (error_type) {
        dstr hv = {0};
        dstr_printf(&hv, "Lambda-Runtime-Function-Error-Type: %s", error_type);
        h = curl_slist_append(h, dstr_cstr(&hv));
        dstr_free(&hv);
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, dstr_cstr(&url));
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    CURLcode rc = curl_easy_perform(curl);
    long status = -1;
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    dstr_free(&url);
    dstr_free(&sink);
    return status;
}

static long respond(const char *id, const char *body) {
    dstr path = {0};
    dstr_printf(&path, "/runtime/invocation/%s/response", id);
    long s = rt_post(dstr_cstr(&path), body, strlen(body), NULL);
    dstr_free(&path);
    return s;
}

/* {"statusCode":status,"headers":{...},"body":body} */
static char *proxy_response(int status, const char *headers_json, const char *body) {
    dstr out = {0};
    dstr_printf(&out, "{\"statusCode\":%d,\"headers\":%s,\"body\":", status, headers_json);
    dstr_json_str(&out, body);
    dstr_putc(&out, '}');
    return dstr_take(&out);
}

static void base64(dstr *out, const unsigned char *p, size_t n) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        dstr_putc(out, a[v >> 18]);
        dstr_putc(out, a[(v >> 12) & 63]);
        dstr_putc(out, i + 1 < n ? a[(v >> 6) & 63] : '=');
        dstr_putc(out, i + 2 < n ? a[v & 63] : '=');
    }
}

static const char *query_param(const cJSON *ev, const char *name) {
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(ev, "queryStringParameters");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(q, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static char *do_echo(const fn_next *nx, const char *fn) {
    dstr b = {0};
    dstr_puts(&b, "{\"event\":");
    dstr_append(&b, nx->body.ptr, nx->body.len);
    dstr_puts(&b, ",\"runtime\":{\"request_id\":");
    dstr_json_str(&b, nx->request_id);
    dstr_printf(&b, ",\"deadline_ms\":%s,\"now_ms\":%lld,\"pid\":%d,\"function_arn\":",
                nx->deadline[0] ? nx->deadline : "0", now_ms(), (int)getpid());
    dstr_json_str(&b, nx->arn);
    dstr_puts(&b, ",\"trace_id\":");
    dstr_json_str(&b, nx->trace);
    dstr_puts(&b, ",\"env\":{");
    static const char *const vars[] = {"AWS_LAMBDA_FUNCTION_NAME",
                                       "AWS_LAMBDA_FUNCTION_VERSION",
                                       "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                       "AWS_REGION",
                                       "_HANDLER",
                                       "LAMBDA_TASK_ROOT",
                                       "AWS_LAMBDA_RUNTIME_API",
                                       "TZ"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        if (i) dstr_putc(&b, ',');
        dstr_json_str(&b, vars[i]);
        dstr_putc(&b, ':');
        dstr_json_str(&b, getenv(vars[i]));
    }
    dstr_puts(&b, "}}}");
    dstr hdr = {0};
    dstr_puts(&hdr, "{\"content-type\":\"application/json\",\"x-fn\":");
    dstr_json_str(&hdr, fn);
    dstr_putc(&hdr, '}');
    dstr out = {0};
    dstr_printf(
        &out, "{\"statusCode\":200,\"headers\":%s,\"cookies\":[\"a=1; Path=/\",\"b=2\"],\"body\":",
        dstr_cstr(&hdr));
    dstr_json_str(&out, dstr_cstr(&b));
    dstr_putc(&out, '}');
    dstr_free(&b);
    dstr_free(&hdr);
    return dstr_take(&out);
}

static void do_probe(const fn_next *nx) {
    fn_next again = {0};
    long next_again = rt_get_next(&again);
    dstr_free(&again.body);
    long bogus = respond("00000000-0000-4000-8000-000000000000", "{}");
    char body[128];
    snprintf(body, sizeof body, "{\"next_again\":%ld,\"bogus_id\":%ld}", next_again, bogus);
    respond(nx->request_id, body);
    last_second_answer = respond(nx->request_id, "{\"second\":true}");
}

static void record(const fn_next *nx) {
    const char *path = getenv("GW_TEST_FN_RECORD");
    if (!path) return;
    FILE *f = fopen(path, "a");
    if (!f) return;
    fwrite(nx->body.ptr, 1, nx->body.len, f);
    fputc('\n', f);
    fclose(f);
}

/* Handles one invocation; returns 0 to go on. */
static int handle(const fn_next *nx, const char *fn) {
    cJSON *ev = cJSON_ParseWithLength(nx->body.ptr ? nx->body.ptr : "", nx->body.len);
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(ev, "rawPath");
    const char *action = cJSON_IsString(rp) ? strrchr(rp->valuestring, '/') : NULL;
    action = action ? action + 1 : "";
    char *resp = NULL;
    if (!cJSON_IsString(rp)) {
        record(nx);
        resp = strdup("{\"ok\":true}");
    } else if (strcmp(action, "echo") == 0) {
        resp = do_echo(nx, fn);
    } else if (strcmp(action, "sleep") == 0) {
        const char *ms = query_param(ev, "ms");
        long long start = now_ms();
        usleep((useconds_t)(ms ? atol(ms) : 100) * 1000u);
        char b[160];
        snprintf(b, sizeof b, "{\"pid\":%d,\"start_ms\":%lld,\"end_ms\":%lld}", (int)getpid(),
                 start, now_ms());
        resp = proxy_response(200, "{\"content-type\":\"application/json\"}", b);
    } else if (strcmp(action, "crash") == 0) {
        abort();
    } else if (strcmp(action, "exit") == 0) {
        exit(3);
    } else if (strcmp(action, "error") == 0) {
        dstr path = {0};
        dstr_printf(&path, "/runtime/invocation/%s/error", nx->request_id);
        const char *err = "{\"errorMessage\":\"failed on "
                          "purpose\",\"errorType\":\"Function.TestError\",\"stackTrace\":[]}";
        rt_post(dstr_cstr(&path), err, strlen(err), "Function.TestError");
        dstr_free(&path);
    } else if (strcmp(action, "nostatus") == 0) {
        resp = strdup("{\"hello\": \"world\"}");
    } else if (strcmp(action, "string") == 0) {
        resp = strdup("\"plain text\"");
    } else if (strcmp(action, "notjson") == 0) {
        resp = strdup("not json at all");
    } else if (strcmp(action, "binary") == 0) {
        unsigned char bytes[256];
        for (int i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
        dstr b = {0};
        dstr_puts(&b,
                  "{\"statusCode\":200,\"headers\":{\"content-type\":\"application/octet-stream\"},"
                  "\"isBase64Encoded\":true,\"body\":\"");
        base64(&b, bytes, sizeof bytes);
        dstr_puts(&b, "\"}");
        resp = dstr_take(&b);
    } else if (strcmp(action, "status") == 0) {
        const char *code = query_param(ev, "code");
        resp = proxy_response(code ? atoi(code) : 200, "{\"x-status\":\"yes\"}", "custom");
    } else if (strcmp(action, "big") == 0) {
        size_t n = 7u * 1024u * 1024u;
        char *big = malloc(n + 3);
        if (!big) abort();
        big[0] = '"';
        memset(big + 1, 'x', n);
        big[n + 1] = '"';
        big[n + 2] = '\0';
        last_big_status = respond(nx->request_id, big);
        free(big);
    } else if (strcmp(action, "pid") == 0) {
        char b[64];
        snprintf(b, sizeof b, "{\"pid\":%d}", (int)getpid());
        resp = proxy_response(200, "{}", b);
    } else if (strcmp(action, "probe") == 0) {
        do_probe(nx);
    } else if (strcmp(action, "last") == 0) {
        char b[128];
        snprintf(b, sizeof b, "{\"second_answer\":%ld,\"big_status\":%ld}", last_second_answer,
                 last_big_status);
        resp = proxy_response(200, "{}", b);
    } else {
        resp = proxy_response(404, "{}", "unknown test action");
    }
    if (resp) respond(nx->request_id, resp);
    free(resp);
    cJSON_Delete(ev);
    return 0;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    const char *fn = getenv("AWS_LAMBDA_FUNCTION_NAME");
    if (!api || !fn) {
        fprintf(stderr, "gw_test_fn: AWS_LAMBDA_RUNTIME_API and AWS_LAMBDA_FUNCTION_NAME needed\n");
        return 1;
    }
    snprintf(base_url, sizeof base_url, "http://%s/2018-06-01", api);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    if (!curl) return 1;
    int rc = 0;
    if (strcmp(fn, "initfail") == 0) {
        const char *err =
            "{\"errorMessage\":\"init failed on purpose\",\"errorType\":\"Runtime.ConfigInvalid\"}";
        rt_post("/runtime/init/error", err, strlen(err), "Runtime.ConfigInvalid");
        rc = 1;
    } else if (strcmp(fn, "hanginit") == 0) {
        sleep(60);
    } else {
        for (;;) {
            fn_next nx = {0};
            long status = rt_get_next(&nx);
            if (status != 200) { /* 500 or no connection: the host wants us gone */
                dstr_free(&nx.body);
                break;
            }
            handle(&nx, fn);
            dstr_free(&nx.body);
        }
    }
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return rc;
}
