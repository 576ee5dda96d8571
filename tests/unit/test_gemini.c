/* Unit tests for shared/services/gemini.c: the request the project sends and how every
 * kind of Gemini answer becomes a prediction, against the scripted
 * mini_server (wire level) and on canned responses (parse rules).
 * Response bodies follow the shapes Google documents and returns
 * (reference: trading-apis.md section 2). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "capture.h"
#include "platform/config.h"
#include "platform/dstr.h"
#include "services/gemini.h"
#include "platform/http.h"
#include "platform/log.h"
#include "domain/market_features.h"
#include "blackhole.h"
#include "mini_server.h"
#include "platform/clock.h"
#include "services/gemini_predictor.h"

/* Not registered with secret_register(): the log's redaction must not be what
 * keeps it out of the output. */
#define SENTINEL_KEY "test-sentinel-gemini-key-never-shown-0001"
#define MODEL "gemini-2.5-flash-lite"
#define PATH "/v1beta/models/" MODEL ":generateContent"
#define MAX_TOKENS 512
#define TEMPERATURE 0.2
#define SYMBOL "BTCUSDT"

static int64_t epoch_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- Gemini response bodies ------------------------------------------------ */

#define USAGE                                                                                  \
    "\"usageMetadata\":{\"promptTokenCount\":1210,\"candidatesTokenCount\":58,"                \
    "\"totalTokenCount\":1268,\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":" \
    "1210}]}"
#define TAIL ",\"modelVersion\":\"gemini-2.5-flash-lite\",\"responseId\":\"mR1naZ-kOuWz7M8P\"}"
/* one candidate whose single part is text (already escaped for a JSON string) */
#define ANSWER(text, finish)                                                                  \
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"" text "\"}],\"role\":\"model\"}," \
    "\"finishReason\":\"" finish "\",\"index\":0}]," USAGE TAIL
#define GOOD_TEXT                                                                             \
    "{\\\"direction\\\":\\\"LONG\\\",\\\"prob\\\":0.72,\\\"support\\\":64250.5,"              \
    "\\\"resistance\\\":66800,\\\"entry\\\":65120,\\\"rationale\\\":\\\"1d and 4h trend up, " \
    "1h MACD histogram rising, bids outweigh asks\\\"}"
#define GOOD ANSWER(GOOD_TEXT, "STOP")

/* a thought part (would break the JSON if kept) and the answer in two parts */
#define SPLIT_WITH_THOUGHT                                                                  \
    "{\"candidates\":[{\"content\":{\"parts\":["                                            \
    "{\"text\":\"**Weighing trend against momentum** {4h below EMA50?\",\"thought\":true}," \
    "{\"text\":\"{\\\"direction\\\":\\\"SHORT\\\",\\\"prob\\\":0.64,\"},"                   \
    "{\"text\":\"\\\"support\\\":3010.2,\\\"resistance\\\":3122,\\\"entry\\\":3050,"        \
    "\\\"rationale\\\":\\\"4h and 1d below EMA50\\\"}\"}],\"role\":\"model\"},"             \
    "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":1210," \
    "\"candidatesTokenCount\":52,\"thoughtsTokenCount\":96,\"totalTokenCount\":1358}" TAIL

#define PROMPT_BLOCKED                                                                   \
    "{\"promptFeedback\":{\"blockReason\":\"SAFETY\",\"safetyRatings\":["                \
    "{\"category\":\"HARM_CATEGORY_SEXUALLY_EXPLICIT\",\"probability\":\"NEGLIGIBLE\"}," \
    "{\"category\":\"HARM_CATEGORY_HATE_SPEECH\",\"probability\":\"NEGLIGIBLE\"},"       \
    "{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"probability\":\"NEGLIGIBLE\"},"        \
    "{\"category\":\"HARM_CATEGORY_DANGEROUS_CONTENT\",\"probability\":\"HIGH\"}]},"     \
    "\"usageMetadata\":{\"promptTokenCount\":1210,\"totalTokenCount\":1210}" TAIL

#define CANDIDATE_SAFETY                                                            \
    "{\"candidates\":[{\"finishReason\":\"SAFETY\",\"index\":0,\"safetyRatings\":[" \
    "{\"category\":\"HARM_CATEGORY_DANGEROUS_CONTENT\",\"probability\":\"MEDIUM\"," \
    "\"blocked\":true}]}]," USAGE TAIL

/* thinking ate the budget: no parts at all */
#define MAX_TOKENS_NO_PARTS                                                                \
    "{\"candidates\":[{\"content\":{\"role\":\"model\"},\"finishReason\":\"MAX_TOKENS\","  \
    "\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":1210,\"totalTokenCount\":1722," \
    "\"thoughtsTokenCount\":512}" TAIL

#define ERROR_429(quota_id, delay)                                                             \
    "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota, please check "    \
    "your plan and billing details. For more information on this error, head to: "             \
    "https://ai.google.dev/gemini-api/docs/rate-limits.\\n* Quota exceeded for metric: "       \
    "generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 20, "       \
    "model: gemini-2.5-flash-lite\\nPlease retry in " delay ".\",\"status\":"                  \
    "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/"                    \
    "google.rpc.QuotaFailure\",\"violations\":[{\"quotaMetric\":\"generativelanguage."         \
    "googleapis.com/generate_content_free_tier_requests\",\"quotaId\":\"" quota_id "\","       \
    "\"quotaDimensions\":{\"location\":\"global\",\"model\":\"gemini-2.5-flash-lite\"},"       \
    "\"quotaValue\":\"20\"}]},{\"@type\":\"type.googleapis.com/google.rpc.Help\",\"links\":"   \
    "[{\"description\":\"Learn more about Gemini API quotas\",\"url\":\"https://ai.google.dev" \
    "/gemini-api/docs/rate-limits\"}]},{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo"  \
    "\",\"retryDelay\":\"" delay "\"}]}}"
#define PER_MINUTE "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
#define PER_DAY "GenerateRequestsPerDayPerProjectPerModel-FreeTier"

#define ERROR_503                                                                       \
    "{\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again " \
    "later.\",\"status\":\"UNAVAILABLE\"}}"
#define ERROR_KEY_INVALID                                                                       \
    "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API key.\"," \
    "\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/"            \
    "google.rpc.ErrorInfo\",\"reason\":\"API_KEY_INVALID\",\"domain\":\"googleapis.com\","      \
    "\"metadata\":{\"service\":\"generativelanguage.googleapis.com\"}},{\"@type\":"             \
    "\"type.googleapis.com/google.rpc.LocalizedMessage\",\"locale\":\"en-US\",\"message\":"     \
    "\"API key not valid. Please pass a valid API key.\"}]}}"
#define ERROR_404                                                                               \
    "{\"error\":{\"code\":404,\"message\":\"models/gemini-2.5-flash-lite is not found for API " \
    "version v1beta, or is not supported for generateContent. Call ListModels to see the "      \
    "list of available models and their supported methods.\",\"status\":\"NOT_FOUND\"}}"
#define JSON_HEADERS "Content-Type: application/json; charset=UTF-8"

/* ---- fixture: a client on a fresh server, a realistic payload -------------- */

typedef struct fixture {
    mini_server *srv;
    http_client *http;
    gemini_config conf;
    gemini_client g;
    dstr payload;
} fixture;

static void make_payload(dstr *out) {
    features f;
    memset(&f, 0, sizeof f);
    snprintf(f.symbol, sizeof f.symbol, SYMBOL);
    f.now_ms = 1767182400000;
    f.atr_period = 14;
    for (int i = 0; i < TF_COUNT; i++) {
        tf_features *t = &f.tf[i];
        double k = 1.0 + 0.01 * i;
        t->n = 300;
        t->close_time = f.now_ms - 1;
        t->close = 65120 * k, t->ema20 = 64900 * k, t->ema50 = 64500 * k, t->rsi14 = 57.3;
        t->atr = 210 * (i + 1), t->macd = 41.2, t->macd_signal = 30.5, t->macd_hist = 10.7;
        t->bb_upper = 65800 * k, t->bb_mid = 64950 * k, t->bb_lower = 64100 * k;
        t->bb_pctb = 0.6, t->vwap = 64990 * k, t->rvol20 = 0.0031, t->ret1 = 0.0012;
        t->ret20 = 0.021, t->swing_high = 66800 * k, t->swing_low = 64250.5 * k;
    }
    f.bid = 65119.9, f.ask = 65120.0, f.mid = 65119.95, f.spread_bps = 0.015;
    f.imbalance = 0.18, f.mark = 65121.3, f.funding_rate = 0.0001;
    features_to_json(&f, out);
}

static void test_cfg(gemini_config *c, const char *base_url) {
    memset(c, 0, sizeof *c);
    c->api_key = SENTINEL_KEY;
    c->model = MODEL;
    c->base_url = base_url;
    c->temperature = TEMPERATURE;
    c->max_tokens = MAX_TOKENS;
    c->timeout_ms = 300;
    c->retries = 2;
    c->backoff_ms = 10; /* a RetryInfo wait shows as a much longer gap */
    c->atr_mult_tp = 1.8;
    c->atr_mult_sl = 1.0;
    c->atr_tf = "1h";
}

static int fixture_setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->srv = ms_start();
    assert_non_null(f->srv);
    f->http = http_client_new(NULL);
    assert_non_null(f->http);
    test_cfg(&f->conf, ms_url(f->srv));
    assert_int_equal(gemini_client_init(&f->g, &f->conf, NULL), 0);
    make_payload(&f->payload);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state) {
    fixture *f = *state;
    http_client_free(f->http);
    ms_stop(f->srv);
    dstr_free(&f->payload);
    free(f);
    return 0;
}

/* ---- what every request must look like ------------------------------------- */

static const cJSON *at(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) print_error("  missing key %s\n", key);
    assert_non_null(v);
    return v;
}

static int array_has(const cJSON *arr, const char *s) {
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0) return 1;
    return 0;
}

/* The request body the project sent (or stored): every required piece. */
static void assert_request_body(const char *body, const char *payload) {
    assert_null(strstr(body, SENTINEL_KEY));
    cJSON *root = cJSON_Parse(body);
    assert_non_null(root);
    const cJSON *sys = at(at(root, "systemInstruction"), "parts");
    const char *sys_text = at(cJSON_GetArrayItem(sys, 0), "text")->valuestring;
    assert_non_null(strstr(sys_text, "JSON"));
    assert_non_null(strstr(sys_text, "FLAT"));

    const cJSON *contents = at(root, "contents");
    assert_int_equal(cJSON_GetArraySize(contents), 1);
    const cJSON *turn = cJSON_GetArrayItem(contents, 0);
    assert_string_equal(at(turn, "role")->valuestring, "user");
    const char *text = at(cJSON_GetArrayItem(at(turn, "parts"), 0), "text")->valuestring;
    assert_non_null(strstr(text, payload));
    assert_non_null(strstr(text, SYMBOL));
    assert_non_null(strstr(text, "1.8 x ATR")); /* the trade prob is about */

    const cJSON *gc = at(root, "generationConfig");
    assert_string_equal(at(gc, "responseMimeType")->valuestring, "application/json");
    assert_int_equal((int)at(gc, "maxOutputTokens")->valuedouble, MAX_TOKENS);
    assert_true(fabs(at(gc, "temperature")->valuedouble - TEMPERATURE) < 1e-12);
    assert_int_equal(at(at(gc, "thinkingConfig"), "thinkingBudget")->valuedouble, 0);
    assert_null(cJSON_GetObjectItemCaseSensitive(gc, "responseSchema")); /* one schema field */
    const cJSON *schema = at(gc, "responseJsonSchema");
    assert_string_equal(at(schema, "type")->valuestring, "object");
    const cJSON *props = at(schema, "properties");
    const cJSON *dir_enum = at(at(props, "direction"), "enum");
    assert_int_equal(cJSON_GetArraySize(dir_enum), 3);
    assert_true(array_has(dir_enum, "LONG") && array_has(dir_enum, "SHORT") &&
                array_has(dir_enum, "FLAT"));
    const cJSON *prob = at(props, "prob");
    assert_string_equal(at(prob, "type")->valuestring, "number");
    assert_int_equal(at(prob, "minimum")->valuedouble, 0);
    assert_int_equal(at(prob, "maximum")->valuedouble, 1);
    static const char *const numbers[] = {"support", "resistance", "entry"};
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(at(at(props, numbers[i]), "type")->valuestring, "number");
    assert_string_equal(at(at(props, "rationale"), "type")->valuestring, "string");
    const cJSON *required = at(schema, "required");
    assert_true(array_has(required, "direction") && array_has(required, "prob"));
    assert_false(array_has(required, "entry")); /* levels are optional */
    cJSON_Delete(root);
}

static void assert_wire_request(const ms_request *q, const char *payload) {
    assert_string_equal(q->method, "POST");
    assert_string_equal(q->path, PATH);
    assert_string_equal(q->query, "");
    assert_null(strstr(q->path, SENTINEL_KEY));
    const char *key = ms_header_get(q, "x-goog-api-key");
    assert_non_null(key);
    assert_string_equal(key, SENTINEL_KEY);
    assert_string_equal(ms_header_get(q, "Content-Type"), "application/json");
    assert_request_body(q->body, payload);
}

/* The log line of one event, parsed (NULL if absent). */
static cJSON *log_event(const char *logs, const char *event) {
    char needle[96];
    snprintf(needle, sizeof needle, "\"event\":\"%s\"", event);
    const char *hit = strstr(logs, needle);
    if (!hit) return NULL;
    const char *start = hit;
    while (start > logs && start[-1] != '\n') start--;
    const char *end = strchr(hit, '\n');
    return cJSON_ParseWithLength(start, end ? (size_t)(end - start) : strlen(start));
}

/* ---- the wire cases ---------------------------------------------------------- */

#define OK_STEP(b) \
    { .status = 200, .headers = JSON_HEADERS, .body = (b) }

typedef struct wire_case {
    const char *name;
    ms_step steps[3];
    size_t n_steps;
    /* expected outcome */
    direction dir;
    double prob;
    int failed;
    const char *reason;                /* substring of the rationale */
    double support, resistance, entry; /* checked when support != 0 (NAN: absent) */
    /* expected requests */
    size_t requests;
    long min_gap_ms; /* between the first two */
    long max_ms;     /* whole exchange; 0: unchecked */
} wire_case;

/* clang-format off */
static const wire_case wire_cases[] = {
    {.name = "a good answer: LONG 0.72 with levels",
     .steps = {OK_STEP(GOOD)}, .n_steps = 1,
     .dir = DIR_LONG, .prob = 0.72, .reason = "1d and 4h trend up",
     .support = 64250.5, .resistance = 66800, .entry = 65120, .requests = 1, .max_ms = 500},
    {.name = "an answer split across two parts after a thought part",
     .steps = {OK_STEP(SPLIT_WITH_THOUGHT)}, .n_steps = 1,
     .dir = DIR_SHORT, .prob = 0.64, .reason = "4h and 1d below EMA50",
     .support = 3010.2, .resistance = 3122, .entry = 3050, .requests = 1},
    {.name = "the prompt blocked for safety: no candidates",
     .steps = {OK_STEP(PROMPT_BLOCKED)}, .n_steps = 1,
     .failed = 1, .reason = "prompt blocked: SAFETY", .requests = 1},
    {.name = "a candidate stopped for SAFETY without parts",
     .steps = {OK_STEP(CANDIDATE_SAFETY)}, .n_steps = 1,
     .failed = 1, .reason = "blocked: SAFETY", .requests = 1},
    {.name = "MAX_TOKENS without parts (thinking used the budget)",
     .steps = {OK_STEP(MAX_TOKENS_NO_PARTS)}, .n_steps = 1, .failed = 1,
     .reason = "truncated at maxOutputTokens=512 (thinking used 512): raise G_MAX_TOKENS",
     .requests = 1},
    {.name = "MAX_TOKENS with the JSON cut short",
     .steps = {OK_STEP(ANSWER("{\\\"direction\\\":\\\"LONG\\\",\\\"prob\\\":0.7", "MAX_TOKENS"))},
     .n_steps = 1, .failed = 1, .reason = "truncated at maxOutputTokens=512: raise G_MAX_TOKENS",
     .requests = 1},
    {.name = "prose instead of JSON",
     .steps = {OK_STEP(ANSWER("Based on the data, BTC looks bullish in the short term. I would "
                              "go long with a tight stop below the 4h swing low.", "STOP"))},
     .n_steps = 1, .failed = 1,
     .reason = "not JSON: Based on the data, BTC looks bullish in the short term. I would go long "
               "wi",
     .requests = 1},
    {.name = "prob 1.7",
     .steps = {OK_STEP(ANSWER("{\\\"direction\\\":\\\"LONG\\\",\\\"prob\\\":1.7,"
                              "\\\"rationale\\\":\\\"very sure\\\"}", "STOP"))},
     .n_steps = 1, .failed = 1, .reason = "prob: 1.7 outside [0, 1]", .requests = 1},
    {.name = "support above resistance",
     .steps = {OK_STEP(ANSWER("{\\\"direction\\\":\\\"LONG\\\",\\\"prob\\\":0.7,"
                              "\\\"support\\\":66800,\\\"resistance\\\":64250,\\\"entry\\\":65120,"
                              "\\\"rationale\\\":\\\"x\\\"}", "STOP"))},
     .n_steps = 1, .failed = 1, .reason = "support 66800 >= resistance 64250", .requests = 1},
    {.name = "429 with RetryInfo 1s, then a good answer",
     .steps = {{.status = 429, .headers = JSON_HEADERS, .body = ERROR_429(PER_MINUTE, "1s")},
               OK_STEP(GOOD)}, .n_steps = 2,
     .dir = DIR_LONG, .prob = 0.72, .support = 64250.5, .resistance = 66800, .entry = 65120,
     .requests = 2, .min_gap_ms = 950, .max_ms = 1800},
    {.name = "429 with a RetryInfo wait past the deadline: not retried",
     .steps = {{.status = 429, .headers = JSON_HEADERS, .body = ERROR_429(PER_MINUTE, "30s")},
               OK_STEP(GOOD)}, .n_steps = 2, .failed = 1,
     .reason = "gemini HTTP 429 RESOURCE_EXHAUSTED; Google asked to retry after 30s: You "
               "exceeded your current quota",
     .requests = 1, .max_ms = 500},
    {.name = "429 on the daily quota: not retried",
     .steps = {{.status = 429, .headers = JSON_HEADERS, .body = ERROR_429(PER_DAY, "1s")},
               OK_STEP(GOOD)}, .n_steps = 2, .failed = 1,
     .reason = "gemini HTTP 429 RESOURCE_EXHAUSTED; daily quota " PER_DAY
               " exhausted, not retried: You exceeded", .requests = 1, .max_ms = 500},
    {.name = "503 then a good answer",
     .steps = {{.status = 503, .headers = JSON_HEADERS, .body = ERROR_503}, OK_STEP(GOOD)},
     .n_steps = 2, .dir = DIR_LONG, .prob = 0.72, .requests = 2, .max_ms = 800},
    {.name = "503 until the retries run out",
     .steps = {{.status = 503, .headers = JSON_HEADERS, .body = ERROR_503, .repeat = 1}},
     .n_steps = 1, .failed = 1,
     .reason = "gemini HTTP 503 UNAVAILABLE: The model is overloaded", .requests = 3,
     .max_ms = 1000},
    {.name = "a hang past the timeout",
     .steps = {{.status = 200, .body = GOOD, .delay_ms = 3000, .repeat = 1}}, .n_steps = 1,
     .failed = 1, .reason = "gemini unavailable: timeout after 3 attempt(s)", .requests = 3,
     .max_ms = 2000},
    {.name = "400 API_KEY_INVALID: not retried",
     .steps = {{.status = 400, .headers = JSON_HEADERS, .body = ERROR_KEY_INVALID},
               OK_STEP(GOOD)}, .n_steps = 2, .failed = 1,
     .reason = "gemini HTTP 400 INVALID_ARGUMENT (API_KEY_INVALID); check GOOGLE_API_KEY: API "
               "key not valid. Please pass a valid API key.",
     .requests = 1},
    {.name = "404: the model is gone",
     .steps = {{.status = 404, .headers = JSON_HEADERS, .body = ERROR_404}, OK_STEP(GOOD)},
     .n_steps = 2, .failed = 1,
     .reason = "gemini HTTP 404 NOT_FOUND; the model id 'gemini-2.5-flash-lite' may be retired "
               "or misspelt, check GEMINI_MODEL: models/gemini-2.5-flash-lite is not found",
     .requests = 1},
};
/* clang-format on */

static void assert_level(double got, double want) {
    if (isnan(want)) assert_true(isnan(got));
    else assert_true(fabs(got - want) < 1e-9);
}

static void assert_logs(const char *logs, const wire_case *tc, const prediction *p,
                        const char *payload) {
    assert_null(strstr(logs, SENTINEL_KEY));
    assert_null(strstr(logs, "x-goog-api-key"));

    cJSON *req = log_event(logs, "gemini.request");
    assert_non_null(req);
    assert_string_equal(at(req, "symbol")->valuestring, SYMBOL);
    assert_string_equal(at(req, "model")->valuestring, MODEL);
    const char *hint = at(req, "payload_hint")->valuestring;
    assert_non_null(strstr(hint, "tf 5m,1h,4h,1d + book + premium;"));
    char bytes[32];
    snprintf(bytes, sizeof bytes, "; %zu bytes", strlen(payload));
    assert_non_null(strstr(hint, bytes));
    const char *preview = at(req, "payload_preview")->valuestring;
    assert_int_equal(strlen(preview), GEMINI_PREVIEW_BYTES);
    assert_memory_equal(preview, payload, GEMINI_PREVIEW_BYTES);
    cJSON_Delete(req);

    cJSON *resp = log_event(logs, "gemini.response");
    assert_non_null(resp);
    assert_string_equal(at(resp, "symbol")->valuestring, SYMBOL);
    assert_string_equal(at(resp, "direction")->valuestring, direction_name(p->dir));
    assert_true(fabs(at(resp, "prob")->valuedouble - p->prob) < 1e-12);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(resp, "error");
    if (tc->failed) {
        assert_non_null(err);
        assert_non_null(strstr(err->valuestring, tc->reason));
        assert_null(cJSON_GetObjectItemCaseSensitive(resp, "support"));
    } else {
        assert_null(err);
        if (tc->support != 0)
            assert_true(fabs(at(resp, "support")->valuedouble - tc->support) < 1e-9);
    }
    assert_int_equal(at(resp, "attempts")->valuedouble, (double)tc->requests);
    cJSON_Delete(resp);
}

static void test_wire_cases(void **state) {
    fixture *f = *state;
    dstr logs = {0};
    for (size_t i = 0; i < sizeof wire_cases / sizeof *wire_cases; i++) {
        const wire_case *tc = &wire_cases[i];
        print_message("  case: %s\n", tc->name);
        ms_reset(f->srv);
        ms_script(f->srv, tc->steps, tc->n_steps);
        dstr_clear(&logs);
        capture_start(&logs);

        http_request r;
        gemini_prepare(&f->g, &r, SYMBOL, f->payload.ptr);
        http_request *batch[] = {&r};
        int64_t t0 = mono_ms();
        http_run(f->http, batch, 1, epoch_ms() + 5000);
        int64_t took = mono_ms() - t0;
        prediction p;
        int rc = gemini_parse(&r, SYMBOL, &p);
        capture_stop();

        if (p.failed != tc->failed || (tc->reason && !strstr(p.rationale, tc->reason)))
            print_error("  %s: failed=%d rationale: %s\n", tc->name, p.failed, p.rationale);
        assert_int_equal(rc, tc->failed ? -1 : 0);
        assert_int_equal(p.failed, tc->failed);
        assert_string_equal(p.predictor, "gemini");
        assert_int_equal(p.dir, tc->failed ? DIR_FLAT : tc->dir);
        assert_true(fabs(p.prob - (tc->failed ? 0 : tc->prob)) < 1e-12);
        if (tc->reason) assert_non_null(strstr(p.rationale, tc->reason));
        if (tc->support != 0) {
            assert_level(p.support, tc->support);
            assert_level(p.resistance, tc->resistance);
            assert_level(p.entry, tc->entry);
        }
        if (tc->failed) assert_true(isnan(p.support) && isnan(p.resistance) && isnan(p.entry));

        size_t n = ms_request_count(f->srv);
        if (n != tc->requests) print_error("  %s: %zu requests\n", tc->name, n);
        assert_int_equal(n, tc->requests);
        for (size_t k = 0; k < n; k++) {
            const ms_request *q = ms_request_at(f->srv, k);
            assert_wire_request(q, f->payload.ptr);
            assert_string_equal(q->body, dstr_cstr(&r.body)); /* what the caller stores */
        }
        assert_request_body(dstr_cstr(&r.body), f->payload.ptr);
        if (tc->min_gap_ms) {
            int64_t gap =
                ms_request_at(f->srv, 1)->arrival_ms - ms_request_at(f->srv, 0)->arrival_ms;
            print_message("    gap between requests: %lld ms\n", (long long)gap);
            assert_true(gap >= tc->min_gap_ms);
        }
        if (tc->max_ms && took > tc->max_ms)
            print_error("  %s: took %lld ms > %ld\n", tc->name, (long long)took, tc->max_ms);
        if (tc->max_ms) assert_true(took <= tc->max_ms);
        assert_logs(dstr_cstr(&logs), tc, &p, f->payload.ptr);
        http_request_free(&r);
    }
    dstr_free(&logs);
}

/* ---- parse rules on canned responses ---------------------------------------- */

typedef struct parse_case {
    const char *name;
    const char *text;   /* the model's answer text, wrapped in a STOP candidate */
    const char *finish; /* NULL: STOP */
    const char *raw;    /* instead: the whole response body */
    long status;        /* 0: 200 */
    http_err err;       /* transport outcome */
    /* expected */
    direction dir;
    double prob;
    int failed;
    const char *reason;
    int levels_absent; /* support, resistance and entry all NAN */
} parse_case;

#define L(x) "{\"direction\":\"LONG\",\"prob\":0.7," x "\"rationale\":\"r\"}"

/* clang-format off */
static const parse_case parse_cases[] = {
    {"direction not in the enum", "{\"direction\":\"UP\",\"prob\":0.7}", .failed = 1,
     .reason = "direction: expected LONG, SHORT or FLAT, got 'UP'"},
    {"direction missing", "{\"prob\":0.7}", .failed = 1, .reason = "direction: missing"},
    {"prob as a string", "{\"direction\":\"LONG\",\"prob\":\"0.7\"}", .failed = 1,
     .reason = "prob: not a number"},
    {"prob missing", "{\"direction\":\"SHORT\"}", .failed = 1, .reason = "prob: missing"},
    {"prob negative", "{\"direction\":\"SHORT\",\"prob\":-0.1}", .failed = 1,
     .reason = "prob: -0.1 outside [0, 1]"},
    {"prob infinite", "{\"direction\":\"SHORT\",\"prob\":1e999}", .failed = 1,
     .reason = "prob: inf outside [0, 1]"},
    {"support negative", L("\"support\":-5,"), .failed = 1,
     .reason = "support: -5 is not a positive price"},
    {"resistance zero", L("\"resistance\":0,"), .failed = 1,
     .reason = "resistance: 0 is not a positive price"},
    {"entry as a string", L("\"entry\":\"65000\","), .failed = 1, .reason = "entry: not a number"},
    {"null levels are absent", L("\"support\":null,\"resistance\":null,\"entry\":null,"),
     .dir = DIR_LONG, .prob = 0.7, .levels_absent = 1},
    {"no levels at all", L(""), .dir = DIR_LONG, .prob = 0.7, .levels_absent = 1},
    {"LONG entry at the resistance", L("\"support\":64000,\"resistance\":66800,\"entry\":66800,"),
     .failed = 1, .reason = "LONG entry 66800 not below resistance 66800"},
    {"SHORT entry below the support",
     "{\"direction\":\"SHORT\",\"prob\":0.66,\"support\":3010,\"resistance\":3122,"
     "\"entry\":3000}",
     .failed = 1, .reason = "SHORT entry 3000 not above support 3010"},
    {"LONG entry with one level only", L("\"support\":65200,\"entry\":65120,"), .failed = 1,
     .reason = "LONG entry 65120 not above support 65200"},
    {"FLAT keeps its prob and its entry is not checked",
     "{\"direction\":\"FLAT\",\"prob\":0.8,\"support\":64000,\"resistance\":66800,"
     "\"entry\":70000,\"rationale\":\"mixed\"}",
     .dir = DIR_FLAT, .prob = 0.8},
    {"FLAT with support above resistance",
     "{\"direction\":\"FLAT\",\"prob\":0.3,\"support\":66800,\"resistance\":64000}", .failed = 1,
     .reason = "support 66800 >= resistance 64000"},
    {"rationale not a string", L("\"rationale\":42,"), .failed = 1,
     .reason = "rationale: not a string"},
    {"a code fence around the JSON",
     "```json\n{\"direction\":\"LONG\",\"prob\":0.7}\n```", .failed = 1,
     .reason = "not JSON: ```json {\"direction\""},
    {"text after the JSON", "{\"direction\":\"LONG\",\"prob\":0.7} Hope this helps!", .failed = 1,
     .reason = "not JSON:"},
    {"a JSON array", "[\"LONG\",0.7]", .failed = 1, .reason = "not a JSON object: [\"LONG\""},
    {"RECITATION", "{}", "RECITATION", .failed = 1, .reason = "blocked: RECITATION"},
    {"PROHIBITED_CONTENT", "{}", "PROHIBITED_CONTENT", .failed = 1,
     .reason = "blocked: PROHIBITED_CONTENT"},
    {"LANGUAGE", "{}", "LANGUAGE", .failed = 1, .reason = "stopped: LANGUAGE"},
    {"no finishReason", .raw = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"{}\"}]}}]}",
     .failed = 1, .reason = "no finishReason"},
    {"empty candidates", .raw = "{\"candidates\":[]," USAGE "}", .failed = 1,
     .reason = "no candidates"},
    {"STOP with no text", .raw = "{\"candidates\":[{\"content\":{\"parts\":[]},"
                                 "\"finishReason\":\"STOP\"}]}",
     .failed = 1, .reason = "empty answer"},
    {"STOP with only a thought", .raw = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
                                        "\"hmm\",\"thought\":true}]},\"finishReason\":\"STOP\"}]}",
     .failed = 1, .reason = "empty answer"},
    {"200 with HTML", .raw = "<html>hello</html>", .failed = 1,
     .reason = "gemini answered HTTP 200 with a body that is not a JSON object"},
    {"502 from a proxy, not JSON", .raw = "<html>Bad Gateway</html>", .status = 502, .failed = 1,
     .reason = "gemini HTTP 502: <html>Bad Gateway</html>"},
    {"403 permission denied",
     .raw = "{\"error\":{\"code\":403,\"message\":\"Method doesn't allow unregistered callers.\","
            "\"status\":\"PERMISSION_DENIED\"}}",
     .status = 403, .failed = 1,
     .reason = "gemini HTTP 403 PERMISSION_DENIED; check GOOGLE_API_KEY: Method doesn't allow "
               "unregistered callers."},
    {"no connection", .err = HTTP_ERR_CONNECT, .failed = 1,
     .reason = "gemini unavailable: connect after 1 attempt(s): refused"},
    {"banned", .err = HTTP_ERR_BANNED, .failed = 1, .reason = "gemini unavailable: banned"},
    {"a rationale with a newline is kept on one line",
     "{\"direction\":\"SHORT\",\"prob\":0.61,\"rationale\":\"4h down\\nfunding high\"}",
     .dir = DIR_SHORT, .prob = 0.61, .reason = "4h down funding high", .levels_absent = 1},
};
/* clang-format on */

/* A STOP (or other finish) response around text, built as Google sends it. */
static char *wrap_answer(const char *text, const char *finish) {
    cJSON *root = cJSON_CreateObject(), *cands = cJSON_AddArrayToObject(root, "candidates");
    cJSON *cand = cJSON_CreateObject(), *content = cJSON_AddObjectToObject(cand, "content");
    cJSON *parts = cJSON_AddArrayToObject(content, "parts"), *part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "text", text);
    cJSON_AddItemToArray(parts, part);
    cJSON_AddStringToObject(content, "role", "model");
    cJSON_AddStringToObject(cand, "finishReason", finish);
    cJSON_AddNumberToObject(cand, "index", 0);
    cJSON_AddItemToArray(cands, cand);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

static void test_parse_rules(void **state) {
    fixture *f = *state;
    dstr logs = {0};
    for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
        const parse_case *tc = &parse_cases[i];
        print_message("  case: %s\n", tc->name);
        http_request r;
        gemini_prepare(&f->g, &r, SYMBOL, f->payload.ptr); /* the request a reply answers */
        r.err = tc->err;
        r.attempts = 1;
        if (tc->err == HTTP_OK) {
            r.status = tc->status ? tc->status : 200;
            char *body = tc->raw ? NULL : wrap_answer(tc->text, tc->finish ? tc->finish : "STOP");
            dstr_puts(&r.resp_body, tc->raw ? tc->raw : body);
            free(body);
        } else {
            snprintf(r.errmsg, sizeof r.errmsg, "refused");
        }
        prediction p;
        dstr_clear(&logs);
        capture_start(&logs);
        int rc = gemini_parse(&r, SYMBOL, &p);
        capture_stop();
        if (p.failed != tc->failed || (tc->reason && !strstr(p.rationale, tc->reason)))
            print_error("  %s: failed=%d rationale: %s\n", tc->name, p.failed, p.rationale);
        assert_int_equal(rc, tc->failed ? -1 : 0);
        assert_int_equal(p.failed, tc->failed);
        assert_int_equal(p.dir, tc->failed ? DIR_FLAT : tc->dir);
        assert_true(fabs(p.prob - (tc->failed ? 0 : tc->prob)) < 1e-12);
        if (tc->reason) assert_non_null(strstr(p.rationale, tc->reason));
        if (tc->levels_absent)
            assert_true(isnan(p.support) && isnan(p.resistance) && isnan(p.entry));
        for (const char *c = p.rationale; *c; c++) assert_true((unsigned char)*c >= 0x20);
        cJSON *resp = log_event(dstr_cstr(&logs), "gemini.response");
        assert_non_null(resp);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(resp, "error") != NULL, tc->failed);
        cJSON_Delete(resp);
        http_request_free(&r);
    }
    dstr_free(&logs);
}

/* ---- the retry hook ------------------------------------------------------------ */

static void test_retry_delay(void **state) {
    (void)state;
    static const struct {
        long status;
        const char *body;
        long want;
    } cases[] = {
        {429, ERROR_429(PER_MINUTE, "23s"), 23000},
        {429, ERROR_429(PER_MINUTE, "29.72s"), 29720},
        {429, ERROR_429(PER_MINUTE, "1.0001s"), 1001}, /* rounded up, never early */
        {429, ERROR_429(PER_MINUTE, "0s"), 0},
        {503,
         "{\"error\":{\"code\":503,\"status\":\"UNAVAILABLE\",\"details\":[{\"@type\":"
         "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"0.5s\"}]}}",
         500},
        {429, ERROR_429(PER_DAY, "23s"), HTTP_NO_RETRY},
        {429, ERROR_429(PER_MINUTE, "abc"), HTTP_RETRY_DEFAULT},
        {429, ERROR_429(PER_MINUTE, "1.s"), HTTP_RETRY_DEFAULT},
        {429, ERROR_429(PER_MINUTE, "-3s"), HTTP_RETRY_DEFAULT},
        {429, ERROR_429(PER_MINUTE, "12"), HTTP_RETRY_DEFAULT},
        {429, ERROR_429(PER_MINUTE, "99999999s"), HTTP_RETRY_DEFAULT},
        {503, ERROR_503, HTTP_RETRY_DEFAULT},
        {500, "", HTTP_RETRY_DEFAULT},
        {500, "<html>oops</html>", HTTP_RETRY_DEFAULT},
        {400, ERROR_429(PER_MINUTE, "5s"), HTTP_RETRY_DEFAULT}, /* not a retryable status */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        http_request r;
        memset(&r, 0, sizeof r);
        r.err = HTTP_OK;
        r.status = cases[i].status;
        dstr_puts(&r.resp_body, cases[i].body);
        long got = gemini_retry_delay_ms(&r);
        if (got != cases[i].want) print_error("  case %zu: got %ld\n", i, got);
        assert_int_equal(got, cases[i].want);
        dstr_free(&r.resp_body);
    }
    http_request timeout;
    memset(&timeout, 0, sizeof timeout);
    timeout.err = HTTP_ERR_TIMEOUT;
    assert_int_equal(gemini_retry_delay_ms(&timeout), HTTP_RETRY_DEFAULT);
}

/* ---- client setup and the thinking rule ----------------------------------------- */

static void test_client_init(void **state) {
    (void)state;
    static const struct {
        const char *key, *model, *err;
    } cases[] = {
        {NULL, MODEL, "GOOGLE_API_KEY is not set"},
        {"", MODEL, "GOOGLE_API_KEY is not set"},
        {SENTINEL_KEY, "models/gemini-2.5-flash", "is not a model id"},
        {SENTINEL_KEY, "gemini 2.5", "is not a model id"},
        {SENTINEL_KEY, "gemini-2.5-flash-lite:generateContent?key=x", "is not a model id"},
        {SENTINEL_KEY, "", "is not a model id"},
        {SENTINEL_KEY, "gemini-3.1-flash-lite", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gemini_config c;
        test_cfg(&c, "http://127.0.0.1:9");
        c.api_key = cases[i].key;
        c.model = cases[i].model;
        gemini_client g;
        dstr err = {0};
        int rc = gemini_client_init(&g, &c, &err);
        if (cases[i].err) {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(dstr_cstr(&err), cases[i].err));
            assert_null(strstr(dstr_cstr(&err), SENTINEL_KEY));
        } else {
            assert_int_equal(rc, 0);
            assert_string_equal(g.policy.service, "gemini");
            assert_true(g.policy.retry_delay_ms == gemini_retry_delay_ms);
            assert_int_equal(g.policy.retries, 2);
        }
        dstr_free(&err);
    }
}

static void test_thinking_per_model(void **state) {
    fixture *f = *state;
    static const struct {
        const char *model, *key; /* key NULL: no thinkingConfig */
        const char *want;        /* value as JSON text */
    } cases[] = {
        {"gemini-2.5-flash-lite", "thinkingBudget", "0"},
        {"gemini-2.5-flash", "thinkingBudget", "0"},
        {"gemini-2.5-pro", "thinkingBudget", "128"},
        {"gemini-3.1-flash-lite", "thinkingLevel", "\"low\""},
        {"gemini-3.5-flash-lite", "thinkingLevel", "\"low\""},
        {"gemini-2.0-flash", NULL, NULL},
        {"gemma-3-27b-it", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gemini_config c;
        test_cfg(&c, "https://generativelanguage.googleapis.com");
        c.model = cases[i].model;
        gemini_client g;
        assert_int_equal(gemini_client_init(&g, &c, NULL), 0);
        http_request r;
        gemini_prepare(&g, &r, "ETHUSDT", f->payload.ptr);
        dstr want_url = {0};
        dstr_printf(&want_url,
                    "https://generativelanguage.googleapis.com/v1beta/models/%s"
                    ":generateContent",
                    cases[i].model);
        assert_string_equal(dstr_cstr(&r.url), want_url.ptr);
        assert_true(r.idempotent);
        cJSON *root = cJSON_Parse(dstr_cstr(&r.body));
        assert_non_null(root);
        const cJSON *tc = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(root, "generationConfig"), "thinkingConfig");
        if (!cases[i].key) {
            assert_null(tc);
        } else {
            assert_int_equal(cJSON_GetArraySize(tc), 1); /* never both fields: a 400 */
            char *v = cJSON_PrintUnformatted(at(tc, cases[i].key));
            assert_string_equal(v, cases[i].want);
            free(v);
        }
        cJSON_Delete(root);
        dstr_free(&want_url);
        http_request_free(&r);
    }
}

/* A Gemini that accepts and never answers, with 20 s attempts and 3
 * retries: the predictor batch (two symbols) returns by the deadline (plus a
 * small margin), each prediction failed with a timeout. */
static void test_blackhole_deadline(void **state) {
    (void)state;
    blackhole *bh = bh_start();
    assert_non_null(bh);
    const char *base = bh_url(bh);
    gemini_config gc;
    test_cfg(&gc, base);
    gc.timeout_ms = 20000;
    gc.retries = 3;
    http_client *http = http_client_new(NULL);
    predictor *p = gemini_predictor_new(http, &gc);
    assert_non_null(p);
    features f;
    memset(&f, 0, sizeof f);
    snprintf(f.symbol, sizeof f.symbol, SYMBOL);
    dstr req[2] = {{0}, {0}};
    predict_job jobs[2] = {{.symbol = "BTCUSDT", .feat = &f, .request = &req[0]},
                           {.symbol = "ETHUSDT", .feat = &f, .request = &req[1]}};
    int64_t t0 = clock_wall_ms(), deadline = t0 + 500;
    predictor_run(p, jobs, 2, deadline);
    int64_t end = clock_wall_ms();
    if (end > deadline + 250)
        fail_msg("predictions ended %lld ms late", (long long)(end - deadline));
    for (size_t i = 0; i < 2; i++) {
        assert_true(jobs[i].pred.failed);
        if (!strstr(jobs[i].pred.rationale, "timeout") &&
            !strstr(jobs[i].pred.rationale, "deadline"))
            fail_msg("no timeout in '%s'", jobs[i].pred.rationale);
        dstr_free(&req[i]);
    }
    assert_int_equal(bh_connections(bh), 2);
    predictor_free(p);
    http_client_free(http);
    bh_stop(bh);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blackhole_deadline),
        cmocka_unit_test_setup_teardown(test_wire_cases, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_parse_rules, fixture_setup, fixture_teardown),
        cmocka_unit_test(test_retry_delay),
        cmocka_unit_test(test_client_init),
        cmocka_unit_test_setup_teardown(test_thinking_per_model, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
