/* run_fake_account: starts build/<v>/bin/fake_binance --account
 * tests/fakes/accounts/check.json on an ephemeral port and checks the
 * futures account over HTTP: keys, signatures over the exact bytes (the
 * official vectors), timestamps, the order and algo-order lifecycle on a
 * scripted mark-price path, fills, fees, income, Binance's error codes and
 * bodies, account set-up, manual orders and positions, scripted faults that
 * did or did not land, determinism, and --latency-ms on signed endpoints.
 *
 *   run_fake_account [build dir | path/to/fake_binance]   (from the repo root)
 *
 * Default binary: $FAKE_BINANCE, else <dir of this program>/../bin/fake_binance.
 * The fake must exit 0 on SIGTERM (under ASan that also means: no leaks). */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "driver.h"
#include "fake_server.h"
#include "platform/dstr.h"

#define ACCOUNT_FILE "tests/fakes/accounts/check.json"
/* the official example key pair of Binance's docs (trading-apis.md §1.2) */
#define API_KEY "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
#define API_SECRET "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"

static char fake_bin[4096];
static fake_server main_fake;
static const char *base_url;
static int64_t clock_offset; /* what the test told the fake's clock */

/* ---- HTTP --------------------------------------------------------------------------- */

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

typedef struct resp {
    CURLcode rc;
    long status;
    dstr body, headers;
    int64_t elapsed_ms;
    cJSON *json; /* parsed body, NULL when not JSON */
} resp;

static void resp_free(resp *r) {
    dstr_free(&r->body);
    dstr_free(&r->headers);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    dstr_append(ud, p, size * n);
    return size * n;
}

static void http_do(const char *method, const char *path_and_query, const char *body,
                    const char *key, long timeout_ms, resp *out) {
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    dstr url = {0}, hdr = {0};
    dstr_printf(&url, "%s%s", base_url, path_and_query);
    struct curl_slist *hl = NULL;
    if (key) {
        dstr_printf(&hdr, "X-MBX-APIKEY: %s", key);
        hl = curl_slist_append(hl, hdr.ptr);
    }
    curl_easy_setopt(c, CURLOPT_URL, url.ptr);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    int64_t t0 = drv_mono_ms();
    out->rc = curl_easy_perform(c);
    out->elapsed_ms = drv_mono_ms() - t0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    dstr_append(&out->body, "", 0);
    dstr_append(&out->headers, "", 0);
    out->json = cJSON_ParseWithLength(out->body.ptr, out->body.len);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    dstr_free(&url);
    dstr_free(&hdr);
}

static void hmac_hex(const char *secret, const char *msg, char hex[65]) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, strlen(msg), mac,
         &n);
    for (unsigned i = 0; i < n && i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

/* A signed request: params (without timestamp) go in the query for GET and
 * DELETE, in the form body for POST; timestamp and signature are appended. */
static void signed_req(const char *method, const char *path, const char *params, resp *out) {
    dstr total = {0}, target = {0};
    dstr_printf(&total, "%s%stimestamp=%lld", params, *params ? "&" : "",
                (long long)(wall_ms() + clock_offset));
    char sig[65];
    hmac_hex(API_SECRET, total.ptr, sig);
    dstr_printf(&total, "&signature=%s", sig);
    int in_body = strcmp(method, "POST") == 0;
    dstr_printf(&target, "%s%s%s", path, in_body ? "" : "?", in_body ? "" : total.ptr);
    http_do(method, target.ptr, in_body ? total.ptr : NULL, API_KEY, 20000, out);
    dstr_free(&total);
    dstr_free(&target);
}

static void ctl(const char *method, const char *path, const char *body, resp *out) {
    http_do(method, path, body, NULL, 20000, out);
    if (out->status != 200)
        fail_msg("%s %s: status %ld: %s", method, path, out->status, out->body.ptr);
}

static void ctl_quiet(const char *path, const char *body) {
    resp r;
    ctl("POST", path, body, &r);
    resp_free(&r);
}

static void reset_all(void) {
    ctl_quiet("/__fake/reset", "");
    clock_offset = 0;
}

static void mark_path(const char *symbol, const char *prices) {
    char body[512];
    snprintf(body, sizeof body, "{\"symbol\":\"%s\",\"path\":[%s]}", symbol, prices);
    ctl_quiet("/__fake/account/mark", body);
}

static void step(const char *symbol, int n) {
    char body[128];
    snprintf(body, sizeof body, "{\"symbol\":\"%s\",\"n\":%d}", symbol, n);
    ctl_quiet("/__fake/account/step", body);
}

static const char *str(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(v)) fail_msg("field %s is not a string", name);
    return v->valuestring;
}

static double num(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v)) fail_msg("field %s is not a number", name);
    return v->valuedouble;
}

static void expect_ok(const resp *r) {
    if (r->rc != CURLE_OK || r->status != 200 || !r->json)
        fail_msg("expected 200 JSON, got rc %d status %ld: %s", (int)r->rc, r->status,
                 r->body.ptr ? r->body.ptr : "");
}

/* A Binance error: status, {"code","msg"} exactly those two fields. */
static void expect_error(const resp *r, long status, int code) {
    if (r->status != status || !cJSON_IsObject(r->json) || (int)num(r->json, "code") != code ||
        cJSON_GetArraySize(r->json) != 2 || !*str(r->json, "msg"))
        fail_msg("expected %ld {code %d}, got %ld: %s", status, code, r->status, r->body.ptr);
}

static void signed_expect(const char *method, const char *path, const char *params, long status,
                          int code) {
    resp r;
    signed_req(method, path, params, &r);
    expect_error(&r, status, code);
    resp_free(&r);
}

static cJSON *account_state(void) {
    resp r;
    ctl("GET", "/__fake/account", NULL, &r);
    cJSON *j = r.json;
    r.json = NULL;
    resp_free(&r);
    assert_non_null(j);
    return j;
}

static const cJSON *field(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v) fail_msg("no field %s", name);
    return v;
}

static void assert_str(const cJSON *obj, const char *name, const char *want) {
    const char *got = str(obj, name);
    if (strcmp(got, want) != 0) fail_msg("%s: want \"%s\", got \"%s\"", name, want, got);
}

static const char *header_value(const resp *r, const char *name, char *buf, size_t cap) {
    size_t n = strlen(name);
    for (const char *line = r->headers.ptr; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ') v++;
            snprintf(buf, cap, "%.*s", (int)(len - (size_t)(v - line)), v);
            return buf;
        }
        line = eol ? eol + 2 : line + len;
    }
    return NULL;
}

/* A MARKET entry with newOrderRespType=RESULT; returns nothing, checks 200. */
static void market(const char *symbol, const char *side, const char *qty, const char *extra) {
    char params[512];
    snprintf(params, sizeof params,
             "symbol=%s&side=%s&type=MARKET&quantity=%s&newOrderRespType=RESULT%s", symbol, side,
             qty, extra);
    resp r;
    signed_req("POST", "/fapi/v1/order", params, &r);
    expect_ok(&r);
    assert_str(r.json, "status", "FILLED");
    resp_free(&r);
}

static void algo_leg(const char *type, const char *side, const char *trigger, const char *qty,
                     const char *cid) {
    char params[512];
    snprintf(params, sizeof params,
             "algoType=CONDITIONAL&symbol=BTCUSDT&side=%s&type=%s&triggerPrice=%s"
             "&workingType=MARK_PRICE&reduceOnly=true&quantity=%s&clientAlgoId=%s",
             side, type, trigger, qty, cid);
    resp r;
    signed_req("POST", "/fapi/v1/algoOrder", params, &r);
    expect_ok(&r);
    assert_str(r.json, "algoStatus", "NEW");
    assert_str(r.json, "clientAlgoId", cid);
    resp_free(&r);
}

/* ---- keys, signatures, time ------------------------------------------------------------ */

static void test_keys_and_signatures(void **state) {
    (void)state;
    reset_all();
    resp r;
    http_do("GET", "/fapi/v3/balance?timestamp=1&signature=00", NULL, NULL, 20000, &r);
    expect_error(&r, 401, -2014);
    resp_free(&r);
    http_do("GET", "/fapi/v3/balance?timestamp=1&signature=00", NULL, "wrong-key", 20000, &r);
    expect_error(&r, 401, -2015);
    resp_free(&r);

    dstr q = {0};
    dstr_printf(&q, "/fapi/v3/balance?timestamp=%lld&signature=%064d", (long long)wall_ms(), 0);
    http_do("GET", q.ptr, NULL, API_KEY, 20000, &r);
    expect_error(&r, 400, -1022);
    resp_free(&r);
    dstr_clear(&q);
    dstr_printf(&q, "/fapi/v3/balance?timestamp=%lld", (long long)wall_ms());
    http_do("GET", q.ptr, NULL, API_KEY, 20000, &r);
    expect_error(&r, 400, -1102);
    resp_free(&r);

    /* a correct signature that is not the last parameter */
    char payload[128], sig[65];
    snprintf(payload, sizeof payload, "timestamp=%lld", (long long)wall_ms());
    hmac_hex(API_SECRET, payload, sig);
    dstr_clear(&q);
    dstr_printf(&q, "/fapi/v3/balance?signature=%s&%s", sig, payload);
    http_do("GET", q.ptr, NULL, API_KEY, 20000, &r);
    expect_error(&r, 400, -1022);
    resp_free(&r);
    /* the same, last: accepted; and an upper-case hex signature too */
    dstr_clear(&q);
    for (char *p = sig; *p; p++) *p = (char)toupper((unsigned char)*p);
    dstr_printf(&q, "/fapi/v3/balance?%s&signature=%s", payload, sig);
    http_do("GET", q.ptr, NULL, API_KEY, 20000, &r);
    expect_ok(&r);
    assert_true(cJSON_IsArray(r.json));
    assert_str(cJSON_GetArrayItem(r.json, 0), "balance", "1000.00000000");
    assert_str(cJSON_GetArrayItem(r.json, 0), "asset", "USDT");
    resp_free(&r);
    dstr_free(&q);

    /* public market data needs no key even with an account */
    http_do("GET", "/fapi/v1/premiumIndex?symbol=BTCUSDT", NULL, NULL, 20000, &r);
    expect_ok(&r);
    resp_free(&r);
}

static void test_timestamps(void **state) {
    (void)state;
    reset_all();
    clock_offset = -6000; /* 6 s behind the server, default recvWindow 5000 */
    signed_expect("GET", "/fapi/v3/balance", "", 400, -1021);
    resp r;
    signed_req("GET", "/fapi/v3/balance", "recvWindow=10000", &r);
    expect_ok(&r);
    resp_free(&r);
    clock_offset = 1500; /* ahead by more than 1 s */
    signed_expect("GET", "/fapi/v3/balance", "", 400, -1021);
    /* the fake's clock skew moves /fapi/v1/time and the check together */
    ctl_quiet("/__fake/account/clock", "{\"offset_ms\":-60000}");
    clock_offset = 0;
    signed_expect("GET", "/fapi/v3/balance", "", 400, -1021);
    http_do("GET", "/fapi/v1/time", NULL, NULL, 20000, &r);
    int64_t server = (int64_t)num(r.json, "serverTime");
    assert_true(server < wall_ms() - 55000 && server > wall_ms() - 65000);
    resp_free(&r);
    clock_offset = -60000; /* a client synced to the server time */
    signed_req("GET", "/fapi/v3/balance", "", &r);
    expect_ok(&r);
    resp_free(&r);
}

/* The official example (trading-apis §1.2): the fake's clock is set to the
 * example's time, and the exact documented bytes with the documented
 * signature are accepted, as query and as body; example 3 (mixed) with
 * the signature of its bytes without the docs' typo. */
static void test_official_vectors(void **state) {
    (void)state;
    reset_all();
    static const char payload[] = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&"
                                  "timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
    static const char sig[] = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";
    resp r;
    signed_req("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=125", &r); /* 3 x 1 BTC */
    expect_ok(&r);
    resp_free(&r);
    char body[256];
    snprintf(body, sizeof body, "{\"offset_ms\":%lld}", (long long)(1591702614043LL - wall_ms()));
    ctl_quiet("/__fake/account/clock", body);
    mark_path("BTCUSDT", "\"9500\"");
    dstr q = {0};
    dstr_printf(&q, "/fapi/v1/order?%s&signature=%s", payload, sig);
    http_do("POST", q.ptr, NULL, API_KEY, 20000, &r);
    expect_ok(&r);
    assert_str(r.json, "status", "NEW");
    assert_str(r.json, "type", "LIMIT");
    resp_free(&r);
    dstr_clear(&q);
    dstr_printf(&q, "%s&signature=%s", payload, sig);
    http_do("POST", "/fapi/v1/order", q.ptr, API_KEY, 20000, &r);
    expect_ok(&r);
    resp_free(&r);
    /* example 3: query then body, no '&' between them in the signed bytes */
    const char *query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC";
    const char *form = "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943";
    char joined[256], mixed_sig[65];
    snprintf(joined, sizeof joined, "%s%s", query, form);
    hmac_hex(API_SECRET, joined, mixed_sig);
    assert_int_equal(strncmp(mixed_sig, "30baaf0f", 8), 0); /* the reference's prefix */
    dstr_clear(&q);
    dstr_printf(&q, "/fapi/v1/order?%s", query);
    dstr b = {0};
    dstr_printf(&b, "%s&signature=%s", form, mixed_sig);
    http_do("POST", q.ptr, b.ptr, API_KEY, 20000, &r);
    expect_ok(&r);
    resp_free(&r);
    /* the docs' published example-3 signature signs other bytes (a typo) */
    dstr_clear(&b);
    dstr_printf(&b, "%s&signature=%s", form,
                "f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2");
    http_do("POST", q.ptr, b.ptr, API_KEY, 20000, &r);
    expect_error(&r, 400, -1022);
    resp_free(&r);
    dstr_free(&q);
    dstr_free(&b);
}

/* ---- the bracket lifecycle ------------------------------------------------------------- */

static const cJSON *only_position(const cJSON *st) {
    const cJSON *ps = field(st, "positions");
    return cJSON_GetArraySize(ps) == 1 ? cJSON_GetArrayItem(ps, 0) : NULL;
}

static void test_bracket_stop_fires_and_take_profit_stays(void **state) {
    (void)state;
    reset_all();
    mark_path("BTCUSDT", "\"90000\",\"89500\",\"89000\",\"91000\",\"92000\"");
    market("BTCUSDT", "BUY", "0.010", "&newClientOrderId=atr-BTCUSDT-x1-E");
    algo_leg("STOP_MARKET", "SELL", "89200.0", "0.010", "atr-BTCUSDT-x1-SL");
    algo_leg("TAKE_PROFIT_MARKET", "SELL", "91500.0", "0.010", "atr-BTCUSDT-x1-TP");
    resp r;
    signed_req("GET", "/fapi/v3/positionRisk", "symbol=BTCUSDT", &r);
    expect_ok(&r);
    const cJSON *p = cJSON_GetArrayItem(r.json, 0);
    assert_str(p, "positionAmt", "0.010");
    assert_str(p, "entryPrice", "90000.00000000");
    assert_str(p, "markPrice", "90000.00000000");
    assert_str(p, "positionSide", "BOTH");
    resp_free(&r);

    step("BTCUSDT", 1); /* 89500: nothing fires */
    signed_req("GET", "/fapi/v3/positionRisk", "symbol=BTCUSDT", &r);
    assert_str(cJSON_GetArrayItem(r.json, 0), "unRealizedProfit", "-5.00000000");
    resp_free(&r);
    step("BTCUSDT", 1); /* 89000: the stop fires, filled at that mark */

    cJSON *st = account_state();
    assert_null(only_position(st));
    const cJSON *algos = field(st, "algoOrders");
    assert_int_equal(cJSON_GetArraySize(algos), 2);
    assert_str(cJSON_GetArrayItem(algos, 0), "algoStatus", "FINISHED");
    assert_str(cJSON_GetArrayItem(algos, 0), "executedQty", "0.010");
    assert_str(cJSON_GetArrayItem(algos, 1), "algoStatus", "NEW"); /* not linked */
    /* 1000 - 0.45 (entry fee) - 10 (loss) - 0.445 (exit fee) */
    assert_str(field(st, "balance"), "balance", "989.10500000");
    cJSON_Delete(st);

    signed_req("GET", "/fapi/v1/openAlgoOrders", "symbol=BTCUSDT", &r);
    expect_ok(&r);
    assert_int_equal(cJSON_GetArraySize(r.json), 1);
    assert_str(cJSON_GetArrayItem(r.json, 0), "clientAlgoId", "atr-BTCUSDT-x1-TP");
    resp_free(&r);
    signed_req("GET", "/fapi/v1/algoOrder", "clientAlgoId=atr-BTCUSDT-x1-SL", &r);
    expect_ok(&r);
    assert_str(r.json, "actualOrderId", "1000002");
    assert_str(r.json, "avgPrice", "89000.00000000");
    resp_free(&r);
    signed_req("GET", "/fapi/v1/order", "symbol=BTCUSDT&orderId=1000002", &r);
    expect_ok(&r);
    assert_str(r.json, "status", "FILLED");
    assert_str(r.json, "origType", "STOP_MARKET");
    assert_str(r.json, "clientOrderId", "atr-BTCUSDT-x1-SL");
    assert_true(cJSON_IsTrue(field(r.json, "reduceOnly")));
    resp_free(&r);

    signed_req("GET", "/fapi/v1/userTrades", "symbol=BTCUSDT", &r);
    expect_ok(&r);
    assert_int_equal(cJSON_GetArraySize(r.json), 2);
    const cJSON *exit_fill = cJSON_GetArrayItem(r.json, 1);
    assert_str(exit_fill, "realizedPnl", "-10.00000000");
    assert_str(exit_fill, "commission", "0.44500000");
    assert_str(exit_fill, "commissionAsset", "USDT");
    assert_str(exit_fill, "side", "SELL");
    assert_int_equal((int64_t)num(exit_fill, "orderId"), 1000002);
    resp_free(&r);
    signed_req("GET", "/fapi/v1/income", "symbol=BTCUSDT&incomeType=REALIZED_PNL", &r);
    expect_ok(&r);
    assert_int_equal(cJSON_GetArraySize(r.json), 1);
    assert_str(cJSON_GetArrayItem(r.json, 0), "income", "-10.00000000");
    resp_free(&r);
    signed_req("GET", "/fapi/v1/income", "incomeType=COMMISSION&limit=1", &r);
    expect_ok(&r);
    assert_int_equal(cJSON_GetArraySize(r.json), 1); /* the newest one */
    assert_str(cJSON_GetArrayItem(r.json, 0), "income", "-0.44500000");
    resp_free(&r);

    /* the orphan take-profit fires later with nothing to reduce */
    step("BTCUSDT", 2);
    signed_req("GET", "/fapi/v1/algoOrder", "clientAlgoId=atr-BTCUSDT-x1-TP", &r);
    assert_str(r.json, "algoStatus", "FINISHED");
    assert_str(r.json, "executedQty", "0.000");
    resp_free(&r);
    st = account_state();
    assert_null(only_position(st));
    assert_int_equal(cJSON_GetArraySize(field(st, "fills")), 2);
    cJSON_Delete(st);
}

static void test_take_profit_fires_then_cancel_orphan(void **state) {
    (void)state;
    reset_all();
    mark_path("BTCUSDT", "\"90000\",\"91000\",\"92000\"");
    market("BTCUSDT", "SELL", "0.020", "");
    algo_leg("STOP_MARKET", "BUY", "91500.0", "0.020", "s-SL");
    algo_leg("TAKE_PROFIT_MARKET", "BUY", "88000.0", "0.020", "s-TP");
    cJSON *st = account_state();
    assert_str(only_position(st), "positionAmt", "-0.020");
    cJSON_Delete(st);
    ctl_quiet("/__fake/account/mark", "{\"symbol\":\"BTCUSDT\",\"path\":[\"89000\",\"87900\"]}");
    step("BTCUSDT", 1); /* 87900: the short's take-profit */
    resp r;
    signed_req("GET", "/fapi/v1/userTrades", "symbol=BTCUSDT", &r);
    assert_str(cJSON_GetArrayItem(r.json, 1), "realizedPnl", "42.00000000");
    resp_free(&r);
    signed_req("DELETE", "/fapi/v1/algoOrder", "symbol=BTCUSDT&clientAlgoId=s-SL", &r);
    expect_ok(&r);
    assert_str(r.json, "code", "200");
    assert_str(r.json, "clientAlgoId", "s-SL");
    resp_free(&r);
    signed_expect("DELETE", "/fapi/v1/algoOrder", "symbol=BTCUSDT&clientAlgoId=s-SL", 400, -2011);
    signed_req("GET", "/fapi/v1/openAlgoOrders", "", &r);
    assert_int_equal(cJSON_GetArraySize(r.json), 0);
    resp_free(&r);
    signed_req("GET", "/fapi/v3/positionRisk", "", &r);
    assert_int_equal(cJSON_GetArraySize(r.json), 0); /* v3: no position, no open orders */
    resp_free(&r);
}

/* A non-reduce-only order flips the position; a closePosition leg closes
 * whatever is there when it fires, beyond its trigger if the mark gapped. */
static void test_flip_and_close_position_leg(void **state) {
    (void)state;
    reset_all();
    mark_path("BTCUSDT", "\"90000\",\"91500\"");
    market("BTCUSDT", "BUY", "0.010", "");
    market("BTCUSDT", "SELL", "0.030", "");
    cJSON *st = account_state();
    assert_str(only_position(st), "positionAmt", "-0.020");
    assert_str(only_position(st), "entryPrice", "90000.00000000");
    cJSON_Delete(st);
    resp r;
    signed_req("POST", "/fapi/v1/algoOrder",
               "algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&type=STOP_MARKET"
               "&triggerPrice=91000.0&closePosition=true&clientAlgoId=cp-SL",
               &r);
    expect_ok(&r);
    assert_true(cJSON_IsTrue(field(r.json, "closePosition")));
    resp_free(&r);
    step("BTCUSDT", 1);
    st = account_state();
    assert_null(only_position(st));
    /* 1000 - fees 0.45 + 1.35 + 0.915 - loss 30 (0.020 x 1500) */
    assert_str(field(st, "balance"), "balance", "967.28500000");
    cJSON_Delete(st);
    signed_req("GET", "/fapi/v1/algoOrder", "algoId=5000001", &r);
    assert_str(r.json, "executedQty", "0.020");
    assert_str(r.json, "avgPrice", "91500.00000000");
    resp_free(&r);
}

static void test_limit_rests_then_fills_as_maker(void **state) {
    (void)state;
    reset_all();
    mark_path("BTCUSDT", "\"90000\",\"89950\",\"89900\"");
    resp r;
    signed_req("POST", "/fapi/v1/order",
               "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=89900.0"
               "&newClientOrderId=lim-1",
               &r);
    expect_ok(&r);
    assert_str(r.json, "status", "NEW");
    assert_str(r.json, "executedQty", "0.000");
    resp_free(&r);
    signed_req("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT", &r);
    assert_int_equal(cJSON_GetArraySize(r.json), 1);
    resp_free(&r);
    /* a resting order's id is taken: -4116 */
    signed_expect("POST", "/fapi/v1/order",
                  "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010"
                  "&price=89000.0&newClientOrderId=lim-1",
                  400, -4116);
    step("BTCUSDT", 1);
    signed_req("GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=lim-1", &r);
    assert_str(r.json, "status", "NEW");
    resp_free(&r);
    step("BTCUSDT", 1);
    signed_req("GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=lim-1", &r);
    assert_str(r.json, "status", "FILLED");
    assert_str(r.json, "avgPrice", "89900.00000000");
    resp_free(&r);
    signed_req("GET", "/fapi/v1/userTrades", "symbol=BTCUSDT", &r);
    const cJSON *f = cJSON_GetArrayItem(r.json, 0);
    assert_true(cJSON_IsTrue(field(f, "maker")));
    assert_str(f, "commission", "0.17980000"); /* 899 * 0.0002 */
    resp_free(&r);
    /* the id is free again once the order is no longer open */
    signed_req("POST", "/fapi/v1/order",
               "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.010"
               "&price=95000.0&newClientOrderId=lim-1&reduceOnly=true",
               &r);
    expect_ok(&r);
    resp_free(&r);
    signed_req("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=lim-1", &r);
    expect_ok(&r);
    assert_str(r.json, "status", "CANCELED");
    resp_free(&r);
}

static void test_ack_answer_then_filled(void **state) {
    (void)state;
    reset_all();
    mark_path("ETHUSDT", "\"3000\"");
    resp r;
    signed_req("POST", "/fapi/v1/order", "symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.100", &r);
    expect_ok(&r); /* ACK (the default): as accepted */
    assert_str(r.json, "status", "NEW");
    int64_t id = (int64_t)num(r.json, "orderId");
    resp_free(&r);
    char q[128];
    snprintf(q, sizeof q, "symbol=ETHUSDT&orderId=%lld", (long long)id);
    signed_req("GET", "/fapi/v1/order", q, &r);
    assert_str(r.json, "status", "FILLED");
    resp_free(&r);
    signed_req("GET", "/fapi/v3/positionRisk", "symbol=ETHUSDT", &r);
    const cJSON *p = cJSON_GetArrayItem(r.json, 0);
    assert_str(p, "isolatedWallet", "60.00000000"); /* 300 / 5x, isolated */
    /* isolated long: (300 - 60) / (0.1 * (1 - 0.004)) */
    assert_str(p, "liquidationPrice", "2409.63855422");
    resp_free(&r);
}

/* ---- errors ---------------------------------------------------------------------------- */

static void test_order_errors(void **state) {
    (void)state;
    reset_all();
    mark_path("BTCUSDT", "\"90000\"");
    const char *m = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=";
    char p[256];
#define ORDER_EXPECT(params, code) signed_expect("POST", "/fapi/v1/order", params, 400, code)
    snprintf(p, sizeof p, "%s0.0015", m);
    ORDER_EXPECT(p, -1111);
    snprintf(p, sizeof p, "%s0.000", m);
    ORDER_EXPECT(p, -4003);
    snprintf(p, sizeof p, "%s0.0001", m);
    ORDER_EXPECT(p, -1111);
    snprintf(p, sizeof p, "%s1x", m);
    ORDER_EXPECT(p, -1100);
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=MARKET", -1102);
    ORDER_EXPECT("symbol=NOPEUSDT&side=BUY&type=MARKET&quantity=1", -1121);
    ORDER_EXPECT("symbol=BTCUSDT&side=UP&type=MARKET&quantity=1", -1117);
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=FANCY&quantity=1", -1116);
    ORDER_EXPECT("symbol=BTCUSDT&side=SELL&type=STOP_MARKET&quantity=0.010&stopPrice=80000", -4120);
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010"
                 "&price=89000.123",
                 -1111); /* more decimals than pricePrecision */
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010"
                 "&price=89000.15",
                 -4014); /* off the 0.10 tick */
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010"
                 "&price=99999.0",
                 -4016); /* above mark x 1.1 */
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.0001", -1111);
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.0010", -1111);
    /* min notional 10: 0.001 x 9000 */
    mark_path("BTCUSDT", "\"9000\"");
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001", -4164);
    resp r;
    signed_req("POST", "/fapi/v1/order",
               "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&reduceOnly=true", &r);
    expect_error(&r, 400, -2022); /* reduce-only is exempt from min notional, but flat */
    assert_non_null(strstr(r.body.ptr, "ReduceOnly Order is rejected."));
    resp_free(&r);
    mark_path("BTCUSDT", "\"90000\"");
    /* 1000 USDT at 10x buys at most ~11k notional */
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.200", -2019);
    signed_req("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.200", &r);
    assert_string_equal(r.body.ptr, "{\"code\":-2019,\"msg\":\"Margin is insufficient.\"}");
    resp_free(&r);
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&positionSide=LONG", -4061);
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010"
                 "&newClientOrderId=0123456789012345678901234567890123456",
                 -4015);
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=a%20b",
                 -4015);
    ORDER_EXPECT("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&price=1", -1106);
#undef ORDER_EXPECT
    signed_expect("GET", "/fapi/v1/order", "symbol=BTCUSDT&orderId=42", 400, -2013);
    signed_expect("GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=none", 400, -2013);
    signed_expect("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&orderId=42", 400, -2011);
    signed_expect("GET", "/fapi/v1/algoOrder", "algoId=42", 400, -2013);
    /* algo orders: would trigger now, bad combinations */
    const char *a = "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&workingType=MARK_PRICE&";
    snprintf(p, sizeof p, "%stype=STOP_MARKET&triggerPrice=91000.0&closePosition=true", a);
    signed_expect("POST", "/fapi/v1/algoOrder", p, 400, -2021);
    snprintf(p, sizeof p, "%stype=TAKE_PROFIT_MARKET&triggerPrice=89000.0&closePosition=true", a);
    signed_expect("POST", "/fapi/v1/algoOrder", p, 400, -2021);
    snprintf(p, sizeof p,
             "%stype=STOP_MARKET&triggerPrice=89000.0&closePosition=true"
             "&quantity=0.010",
             a);
    signed_expect("POST", "/fapi/v1/algoOrder", p, 400, -4137);
    snprintf(p, sizeof p,
             "%stype=STOP_MARKET&triggerPrice=89000.0&quantity=0.010"
             "&clientAlgoId=bad*id",
             a);
    signed_expect("POST", "/fapi/v1/algoOrder", p, 400, -4015);
    snprintf(p, sizeof p, "%stype=LIMIT&triggerPrice=89000.0&quantity=0.010", a);
    signed_expect("POST", "/fapi/v1/algoOrder", p, 400, -1116);
    snprintf(p, sizeof p,
             "%stype=STOP_MARKET&triggerPrice=89000.0&quantity=0.010"
             "&clientAlgoId=dup",
             a);
    signed_req("POST", "/fapi/v1/algoOrder", p, &r);
    expect_ok(&r); /* a reduce-only-less stop may rest without a position */
    resp_free(&r);
    signed_expect("POST", "/fapi/v1/algoOrder", p, 400, -4116);
    /* nothing of the refused requests changed the account */
    cJSON *st = account_state();
    assert_int_equal(cJSON_GetArraySize(field(st, "orders")), 0);
    assert_int_equal(cJSON_GetArraySize(field(st, "algoOrders")), 1);
    assert_str(field(st, "balance"), "balance", "1000.00000000");
    cJSON_Delete(st);
}

static void test_account_setup(void **state) {
    (void)state;
    reset_all();
    mark_path("BTCUSDT", "\"90000\"");
    resp r;
    signed_req("GET", "/fapi/v1/symbolConfig", "symbol=ETHUSDT", &r);
    expect_ok(&r);
    assert_str(cJSON_GetArrayItem(r.json, 0), "marginType", "ISOLATED");
    assert_int_equal((int)num(cJSON_GetArrayItem(r.json, 0), "leverage"), 5);
    resp_free(&r);
    signed_expect("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=false", 400, -4059);
    signed_expect("POST", "/fapi/v1/marginType", "symbol=ETHUSDT&marginType=ISOLATED", 400, -4046);
    signed_expect("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=126", 400, -4028);
    signed_req("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=3", &r);
    expect_ok(&r);
    assert_int_equal((int)num(r.json, "leverage"), 3);
    assert_str(r.json, "symbol", "BTCUSDT");
    resp_free(&r);
    /* an open order blocks changes of margin type and position mode */
    signed_req("POST", "/fapi/v1/order",
               "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=85000.0",
               &r);
    expect_ok(&r);
    resp_free(&r);
    signed_expect("POST", "/fapi/v1/marginType", "symbol=BTCUSDT&marginType=ISOLATED", 400, -4047);
    signed_expect("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=true", 400, -4067);
    signed_req("DELETE", "/fapi/v1/allOpenOrders", "symbol=BTCUSDT", &r);
    expect_ok(&r);
    resp_free(&r);
    market("BTCUSDT", "BUY", "0.010", "");
    signed_expect("POST", "/fapi/v1/marginType", "symbol=BTCUSDT&marginType=ISOLATED", 400, -4048);
    signed_expect("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=true", 400, -4068);
    market("BTCUSDT", "SELL", "0.010", "&reduceOnly=true");
    signed_req("POST", "/fapi/v1/marginType", "symbol=BTCUSDT&marginType=ISOLATED", &r);
    expect_ok(&r);
    assert_int_equal((int)num(r.json, "code"), 200);
    resp_free(&r);
    signed_req("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=true", &r);
    expect_ok(&r);
    resp_free(&r);
    signed_req("GET", "/fapi/v1/positionSide/dual", "", &r);
    assert_true(cJSON_IsTrue(field(r.json, "dualSidePosition")));
    resp_free(&r);
    /* Hedge mode: positionSide required, reduceOnly refused */
    signed_expect("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010",
                  400, -4061);
    signed_expect("POST", "/fapi/v1/order",
                  "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.010&positionSide=LONG"
                  "&reduceOnly=true",
                  400, -1106);
    market("BTCUSDT", "BUY", "0.010", "&positionSide=LONG");
    market("BTCUSDT", "SELL", "0.010", "&positionSide=LONG");
    cJSON *st = account_state();
    assert_int_equal(cJSON_GetArraySize(field(st, "positions")), 0);
    cJSON_Delete(st);
}

/* ---- faults, manual actions, determinism -------------------------------------------- */

static int open_order_count(void) {
    cJSON *st = account_state();
    int n = cJSON_GetArraySize(field(st, "orders"));
    cJSON_Delete(st);
    return n;
}

static void load_script(const char *script) {
    resp r;
    http_do("POST", "/__fake/script", script, NULL, 20000, &r);
    if (r.status != 200) fail_msg("script refused: %s", r.body.ptr);
    resp_free(&r);
}

static void test_faults_landed_or_not(void **state) {
    (void)state;
    reset_all();
    mark_path("BTCUSDT", "\"90000\"");
    static const char unknown[] =
        "{\"code\":-1000,\"msg\":\"Unknown error, please check your request or try again later.\"}";
    char script[2048];
    snprintf(script, sizeof script,
             "["
             "{\"match\":{\"path\":\"/fapi/v1/order\",\"method\":\"POST\"},"
             "\"answer\":{\"status\":503,\"body\":%s}},"
             "{\"match\":{\"path\":\"/fapi/v1/order\",\"method\":\"POST\"},"
             "\"answer\":{\"apply\":true,\"status\":503,\"body\":%s}},"
             "{\"match\":{\"path\":\"/fapi/v1/order\",\"method\":\"POST\"},"
             "\"answer\":{\"close\":true}},"
             "{\"match\":{\"path\":\"/fapi/v1/order\",\"method\":\"POST\"},"
             "\"answer\":{\"apply\":true,\"close\":true}},"
             "{\"match\":{\"path\":\"/fapi/v1/order\",\"method\":\"POST\"},"
             "\"answer\":{\"delay_ms\":1500,\"close\":true}},"
             "{\"match\":{\"path\":\"/fapi/v1/order\",\"method\":\"POST\"},"
             "\"answer\":{\"apply\":true,\"delay_ms\":1500,\"status\":200,\"json\":{}}},"
             "{\"match\":{\"path\":\"/fapi/v1/algoOrder\"},"
             "\"answer\":{\"status\":400,\"json\":{\"code\":-2021,"
             "\"msg\":\"Order would immediately trigger.\"}}}"
             "]",
             "\"{\\\"code\\\":-1000,\\\"msg\\\":\\\"Unknown error, please check your request or "
             "try again later.\\\"}\"",
             "\"{\\\"code\\\":-1000,\\\"msg\\\":\\\"Unknown error, please check your request or "
             "try again later.\\\"}\"");
    load_script(script);
    const char *limit = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010"
                        "&price=80000.0";
    resp r;
    signed_req("POST", "/fapi/v1/order", limit, &r); /* 503, did not land */
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body.ptr, unknown);
    resp_free(&r);
    assert_int_equal(open_order_count(), 0);
    signed_req("POST", "/fapi/v1/order", limit, &r); /* 503, landed */
    assert_int_equal(r.status, 503);
    resp_free(&r);
    assert_int_equal(open_order_count(), 1);
    signed_req("POST", "/fapi/v1/order", limit, &r); /* connection lost, not landed */
    assert_int_not_equal(r.rc, CURLE_OK);
    resp_free(&r);
    assert_int_equal(open_order_count(), 1);
    signed_req("POST", "/fapi/v1/order", limit, &r); /* connection lost, landed */
    assert_int_not_equal(r.rc, CURLE_OK);
    resp_free(&r);
    assert_int_equal(open_order_count(), 2);
    /* timeouts: the client gives up after 300 ms */
    dstr body = {0};
    dstr_printf(&body, "%s&timestamp=%lld", limit, (long long)wall_ms());
    char sig[65];
    hmac_hex(API_SECRET, body.ptr, sig);
    dstr_printf(&body, "&signature=%s", sig);
    http_do("POST", "/fapi/v1/order", body.ptr, API_KEY, 300, &r);
    assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
    resp_free(&r);
    assert_int_equal(open_order_count(), 2);
    http_do("POST", "/fapi/v1/order", body.ptr, API_KEY, 300, &r);
    assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
    resp_free(&r);
    assert_int_equal(open_order_count(), 3); /* landed before the answer was due */
    dstr_free(&body);
    /* an error code */
    signed_req("POST", "/fapi/v1/algoOrder",
               "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET"
               "&triggerPrice=85000.0&quantity=0.010",
               &r);
    expect_error(&r, 400, -2021);
    resp_free(&r);
    cJSON *st = account_state();
    assert_int_equal(cJSON_GetArraySize(field(st, "algoOrders")), 0);
    cJSON_Delete(st);
    /* bad "apply" combinations are refused */
    http_do("POST", "/__fake/script",
            "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"apply\":true,\"replay\":true}}]", NULL,
            20000, &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
}

static void test_manual_orders_positions_funding(void **state) {
    (void)state;
    reset_all();
    mark_path("BTCUSDT", "\"90000\",\"91000\"");
    resp r;
    ctl("POST", "/__fake/account/act",
        "{\"method\":\"POST\",\"path\":\"/fapi/v1/order\",\"params\":{\"symbol\":\"BTCUSDT\","
        "\"side\":\"BUY\",\"type\":\"LIMIT\",\"timeInForce\":\"GTC\",\"quantity\":\"0.010\","
        "\"price\":\"85000.0\",\"newClientOrderId\":\"web_manual1\"}}",
        &r);
    assert_str(r.json, "clientOrderId", "web_manual1");
    resp_free(&r);
    http_do("POST", "/__fake/account/act",
            "{\"method\":\"POST\",\"path\":\"/fapi/v1/order\",\"params\":{\"symbol\":\"BTCUSDT\"}}",
            NULL, 20000, &r);
    expect_error(&r, 400, -1102); /* a manual action gets the wire's answer */
    resp_free(&r);
    ctl("POST", "/__fake/account/position",
        "{\"symbol\":\"BTCUSDT\",\"positionAmt\":\"-0.050\",\"entryPrice\":\"90000\"}", &r);
    assert_str(r.json, "positionAmt", "-0.050");
    resp_free(&r);
    signed_req("GET", "/fapi/v1/openOrders", "", &r);
    assert_int_equal(cJSON_GetArraySize(r.json), 1);
    assert_str(cJSON_GetArrayItem(r.json, 0), "clientOrderId", "web_manual1");
    resp_free(&r);
    ctl_quiet("/__fake/account/funding", "{\"symbol\":\"BTCUSDT\",\"rate\":\"-0.0001\"}");
    signed_req("GET", "/fapi/v1/income", "incomeType=FUNDING_FEE", &r);
    assert_int_equal(cJSON_GetArraySize(r.json), 1);
    assert_str(cJSON_GetArrayItem(r.json, 0), "income", "-0.45000000"); /* short pays -rate */
    resp_free(&r);
    step("BTCUSDT", 1);
    signed_req("GET", "/fapi/v3/positionRisk", "symbol=BTCUSDT", &r);
    assert_str(cJSON_GetArrayItem(r.json, 0), "unRealizedProfit", "-50.00000000");
    resp_free(&r);
    /* premiumIndex follows the scripted mark; back to the replay with null */
    http_do("GET", "/fapi/v1/premiumIndex?symbol=BTCUSDT", NULL, NULL, 20000, &r);
    assert_str(r.json, "markPrice", "91000.00000000");
    resp_free(&r);
    ctl_quiet("/__fake/account/mark", "{\"symbol\":\"BTCUSDT\",\"path\":null}");
    http_do("GET", "/fapi/v1/premiumIndex?symbol=BTCUSDT", NULL, NULL, 20000, &r);
    assert_string_not_equal(str(r.json, "markPrice"), "91000.00000000");
    resp_free(&r);
    http_do("POST", "/__fake/account/mark", "{\"symbol\":\"BTCUSDT\",\"path\":[\"-1\"]}", NULL,
            20000, &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    http_do("POST", "/__fake/account/step", "{\"symbol\":\"BTCUSDT\"}", NULL, 20000, &r);
    assert_int_equal(r.status, 400); /* no path any more */
    resp_free(&r);
}

/* Two runs of the same requests from a reset give the same ids and amounts. */
static void scripted_run(dstr *summary) {
    reset_all();
    mark_path("BTCUSDT", "\"90000\",\"90500\",\"89000\"");
    market("BTCUSDT", "BUY", "0.033", "&newClientOrderId=d-E");
    algo_leg("STOP_MARKET", "SELL", "89100.0", "0.033", "d-SL");
    step("BTCUSDT", 2);
    cJSON *st = account_state();
    const cJSON *it;
    cJSON_ArrayForEach(it, field(st, "fills")) {
        dstr_printf(summary, "%d/%d %s %s %s %s;", (int)num(it, "id"), (int)num(it, "orderId"),
                    str(it, "price"), str(it, "qty"), str(it, "commission"),
                    str(it, "realizedPnl"));
    }
    cJSON_ArrayForEach(it, field(st, "algoOrders")) {
        dstr_printf(summary, "%d %s;", (int)num(it, "algoId"), str(it, "algoStatus"));
    }
    dstr_printf(summary, "%s", str(field(st, "balance"), "balance"));
    cJSON_Delete(st);
}

static void test_deterministic_after_reset(void **state) {
    (void)state;
    dstr a = {0}, b = {0};
    scripted_run(&a);
    scripted_run(&b);
    assert_string_equal(a.ptr, b.ptr);
    assert_non_null(strstr(a.ptr, "3000001/1000001 90000.00 0.033"));
    assert_non_null(strstr(a.ptr, "5000001 FINISHED"));
    dstr_free(&a);
    dstr_free(&b);
}

/* A timed path moves by itself: one point per step_ms of wall-clock time. */
static void test_timed_path(void **state) {
    (void)state;
    reset_all();
    ctl_quiet("/__fake/account/mark",
              "{\"symbol\":\"BTCUSDT\",\"path\":[\"90000\",\"90100\",\"89000\"],"
              "\"step_ms\":500}");
    market("BTCUSDT", "BUY", "0.010", "");
    algo_leg("STOP_MARKET", "SELL", "89500.0", "0.010", "t-SL");
    cJSON *st = account_state();
    assert_non_null(only_position(st)); /* well before 1000 ms */
    cJSON_Delete(st);
    sleep_ms(1100);
    resp r;
    signed_req("GET", "/fapi/v1/algoOrder", "clientAlgoId=t-SL", &r);
    assert_str(r.json, "algoStatus", "FINISHED");
    assert_str(r.json, "avgPrice", "89000.00000000");
    resp_free(&r);
    http_do("GET", "/fapi/v1/premiumIndex?symbol=BTCUSDT", NULL, NULL, 20000, &r);
    assert_str(r.json, "markPrice", "89000.00000000"); /* stays on the last point */
    resp_free(&r);
    http_do("POST", "/__fake/account/mark",
            "{\"symbol\":\"BTCUSDT\",\"price\":\"1\",\"step_ms\":0}", NULL, 20000, &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
}

static void test_weights_and_order_counts(void **state) {
    (void)state;
    reset_all();
    mark_path("BTCUSDT", "\"90000\"");
    resp r;
    char v[32];
    signed_req("POST", "/fapi/v1/order",
               "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=80000.0",
               &r);
    expect_ok(&r);
    assert_non_null(header_value(&r, "X-MBX-ORDER-COUNT-10S", v, sizeof v));
    assert_true(atol(v) >= 1);
    assert_non_null(header_value(&r, "X-MBX-ORDER-COUNT-1M", v, sizeof v));
    resp_free(&r);
    /* openOrders without a symbol weighs 40 (unless a minute turns: try again) */
    long added = 0;
    for (int attempt = 0; attempt < 3 && added != 40; attempt++) {
        signed_req("GET", "/fapi/v3/positionRisk", "", &r);
        assert_non_null(header_value(&r, "X-MBX-USED-WEIGHT-1M", v, sizeof v));
        long before = atol(v);
        resp_free(&r);
        signed_req("GET", "/fapi/v1/openOrders", "", &r);
        assert_non_null(header_value(&r, "X-MBX-USED-WEIGHT-1M", v, sizeof v));
        added = atol(v) - before;
        assert_null(header_value(&r, "X-MBX-ORDER-COUNT-10S", v, sizeof v));
        resp_free(&r);
    }
    assert_int_equal(added, 40);
}

/* ---- fixture: the fake as a child process ---------------------------------------------- */

static int start_proc(fake_server *p, const char *latency) {
    const char *argv[] = {fake_bin, "--account", ACCOUNT_FILE, "--latency-ms", latency, NULL};
    return fake_server_start(p, argv);
}

static void test_latency_applies_to_account(void **state) {
    (void)state;
    fake_server slow = {0};
    assert_int_equal(start_proc(&slow, "150"), 0);
    base_url = slow.base_url;
    resp r;
    signed_req("GET", "/fapi/v3/balance", "", &r);
    int64_t elapsed = r.elapsed_ms;
    int ok = r.status == 200;
    resp_free(&r);
    base_url = main_fake.base_url;
    assert_int_equal(fake_server_stop(&slow), 0);
    assert_true(ok);
    assert_true(elapsed >= 150);
}

static int start_fake(void **state) {
    (void)state;
    if (start_proc(&main_fake, "0")) return -1;
    base_url = main_fake.base_url;
    return 0;
}

static int stop_fake(void **state) {
    (void)state;
    return fake_server_stop(&main_fake);
}

int main(int argc, char **argv) {
    const char *env_bin = getenv("FAKE_BINANCE");
    struct stat st;
    if (argc > 1 && stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(fake_bin, sizeof fake_bin, "%s/bin/fake_binance", argv[1]);
    else if (argc > 1) snprintf(fake_bin, sizeof fake_bin, "%s", argv[1]);
    else if (env_bin) snprintf(fake_bin, sizeof fake_bin, "%s", env_bin);
    else {
        const char *slash = strrchr(argv[0], '/');
        int dir_len = slash ? (int)(slash - argv[0]) : 1;
        snprintf(fake_bin, sizeof fake_bin, "%.*s/../bin/fake_binance", dir_len,
                 slash ? argv[0] : ".");
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_and_signatures),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_official_vectors),
        cmocka_unit_test(test_bracket_stop_fires_and_take_profit_stays),
        cmocka_unit_test(test_take_profit_fires_then_cancel_orphan),
        cmocka_unit_test(test_flip_and_close_position_leg),
        cmocka_unit_test(test_limit_rests_then_fills_as_maker),
        cmocka_unit_test(test_ack_answer_then_filled),
        cmocka_unit_test(test_order_errors),
        cmocka_unit_test(test_account_setup),
        cmocka_unit_test(test_faults_landed_or_not),
        cmocka_unit_test(test_manual_orders_positions_funding),
        cmocka_unit_test(test_deterministic_after_reset),
        cmocka_unit_test(test_timed_path),
        cmocka_unit_test(test_weights_and_order_counts),
        cmocka_unit_test(test_latency_applies_to_account),
    };
    int failed = cmocka_run_group_tests_name("fake_account", tests, start_fake, stop_fake);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
