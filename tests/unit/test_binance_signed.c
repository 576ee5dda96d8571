/* binance_signed: the official HMAC test vectors; the exact bytes a signed
 * call sends (query for GET, body for POST, the signature last); against
 * the scripted local server: the clock synced before the first signed
 * request and the timestamp stamped from it, the key header, a signature
 * the server can check over what it received; -1021 resyncs and resends
 * once (never twice); an order write that times out, loses its connection
 * or gets 503 "Unknown error" is EX_UNKNOWN and was sent exactly once, while
 * a read is retried; no key, secret, signature or signed query in any log
 * line, and an answer echoing the key is scrubbed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "mini_server.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "platform/secret.h"
#include "services/binance_signed.h"
#include "services/binance_trading.h"

/* The official example's key pair (trading-apis.md §1.2). */
static const char api_key[] = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
static const char api_secret[] = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

/* ---- vectors and bytes ------------------------------------------------------------ */

static void hmac_is(const char *key, const char *msg, const char *want) {
    char got[65];
    bn_hmac_sha256_hex(key, msg, strlen(msg), got);
    assert_string_equal(got, want);
}

static void test_official_vectors(void **state) {
    (void)state;
    /* futures example 1 and 2: the payload as query string or as body */
    hmac_is(api_secret,
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&"
            "recvWindow=5000&timestamp=1591702613943",
            "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
    /* example 3, mixed: query then body with no '&' between them (and the
     * docs' space after "timestamp=", which its published signature needs) */
    hmac_is(api_secret,
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
            "quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943",
            "f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2");
    /* the spot reference vector */
    hmac_is("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
            "recvWindow=5000&timestamp=1499827319559",
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

static void example_call(bn_call *c, const char *method) {
    bn_call_init(c, method, "/fapi/v1/order", BN_WRITE);
    bn_call_param(c, "symbol", "BTCUSDT");
    bn_call_param(c, "side", "BUY");
    bn_call_param(c, "type", "LIMIT");
    bn_call_param(c, "quantity", "1");
    bn_call_param(c, "price", "9000");
    bn_call_param(c, "timeInForce", "GTC");
}

static void test_signed_bytes(void **state) {
    (void)state;
    bn_config cfg = {.base = "https://fapi.binance.com", .timeout_ms = 1000, .retries = 3};
    bn_client bn;
    bn_client_init(&bn, NULL, &cfg);
    bn_signer s;
    bn_signer_init(&s, &bn, api_key, api_secret, 0);
    assert_int_equal(s.recv_window_ms, 5000);
    bn_call c;
    example_call(&c, "POST");
    bn_call_sign(&s, &c, 1591702613943);
    assert_string_equal(c.req.url.ptr, "https://fapi.binance.com/fapi/v1/order");
    assert_string_equal(c.req.body.ptr,
                        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&"
                        "recvWindow=5000&timestamp=1591702613943&signature="
                        "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
    assert_int_equal(c.req.idempotent, 0);
    assert_int_equal(c.req.policy->retries, 0); /* an order write is never retried */
    bn_call_free(&c);
    /* GET: the same bytes in the query; the offset moves the timestamp */
    s.offset_ms = -1000;
    example_call(&c, "GET");
    c.kind = BN_READ;
    c.retryable = 1;
    bn_call_sign(&s, &c, 1591702614943);
    assert_string_equal(c.req.url.ptr,
                        "https://fapi.binance.com/fapi/v1/order?symbol=BTCUSDT&side=BUY&type=LIMIT&"
                        "quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&"
                        "timestamp=1591702613943&signature="
                        "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
    assert_int_equal(c.req.body.len, 0);
    assert_int_equal(c.req.policy->retries, 3);
    /* signing again replaces the request */
    bn_call_sign(&s, &c, 1591702614944);
    assert_non_null(strstr(c.req.url.ptr, "timestamp=1591702613944&signature="));
    bn_call_free(&c);
    /* encoded values, and the receive window's bounds */
    bn_signer_init(&s, &bn, api_key, api_secret, 999999);
    assert_int_equal(s.recv_window_ms, BN_MAX_RECV_WINDOW_MS);
    bn_call_init(&c, "GET", "/fapi/v1/x", BN_READ);
    bn_call_param(&c, "a", "x y&z=1");
    assert_string_equal(c.params.ptr, "a=x%20y%26z%3D1");
    bn_call_free(&c);
    secret_clear();
}

/* ---- against the local server ------------------------------------------------------- */

typedef struct fixture {
    mini_server *srv;
    http_client *http;
    bn_config cfg;
    bn_client bn;
    bn_signer s;
    dstr log;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->srv = ms_start();
    f->http = http_client_new(NULL);
    if (!f->srv || !f->http) return -1;
    f->cfg = (bn_config){.base = ms_url(f->srv), .timeout_ms = 400, .retries = 3, .backoff_ms = 5};
    bn_client_init(&f->bn, f->http, &f->cfg);
    bn_signer_init(&f->s, &f->bn, api_key, api_secret, 5000);
    /* the log must not need the scrubber: nothing registered from here on */
    secret_clear();
    log_init("test");
    capture_start(&f->log);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    capture_stop();
    ms_stop(f->srv);
    http_client_free(f->http);
    dstr_free(&f->log);
    secret_clear();
    free(f);
    return 0;
}

/* A parameter's raw value in "a=1&b=2" (copied into buf; "" when absent). */
static const char *param(const char *s, const char *name, char *buf, size_t cap) {
    size_t n = strlen(name);
    buf[0] = '\0';
    for (const char *p = s; p && *p; p = strchr(p, '&'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t len = strcspn(p + n + 1, "&");
            if (len >= cap) len = cap - 1;
            memcpy(buf, p + n + 1, len);
            buf[len] = '\0';
            break;
        }
    }
    return buf;
}

static size_t count_path(mini_server *srv, const char *path) {
    size_t n = 0;
    for (size_t i = 0; i < ms_request_count(srv); i++)
        if (strcmp(ms_request_at(srv, i)->path, path) == 0) n++;
    return n;
}

static const char *time_body(dstr *b, int64_t ahead_ms) {
    dstr_clear(b);
    dstr_printf(b, "{\"serverTime\":%lld}", (long long)(clock_wall_ms() + ahead_ms));
    return b->ptr;
}

static void check_signature(const ms_request *r) {
    /* totalParams = query then body; the signature is the last parameter */
    dstr total = {0};
    dstr_puts(&total, r->query);
    dstr_append(&total, r->body, r->body_len);
    const char *sig = strstr(total.ptr, "&signature=");
    assert_non_null(sig);
    assert_int_equal(strlen(sig + 11), 64);
    char want[65];
    bn_hmac_sha256_hex(api_secret, total.ptr, (size_t)(sig - total.ptr), want);
    assert_string_equal(sig + 11, want);
    assert_string_equal(ms_header_get(r, "X-MBX-APIKEY"), api_key);
    dstr_free(&total);
}

static void test_first_run_syncs_the_clock(void **state) {
    fixture *f = *state;
    dstr tb = {0};
    ms_step steps[] = {
        {.path = "/fapi/v1/time", .body = time_body(&tb, 100000)},
        {.path = "/fapi/v3/balance", .body = "[]"},
        {.path = "/fapi/v1/order", .body = "{}"},
    };
    ms_script(f->srv, steps, 3);
    bn_call read, write;
    bn_balance_prepare(&read);
    example_call(&write, "POST");
    bn_call *calls[] = {&read, &write};
    bn_signed_run(&f->s, calls, 2, NULL, 0, clock_wall_ms() + 5000);
    assert_true(f->s.synced);
    assert_true(f->s.offset_ms > 99000 && f->s.offset_ms < 101000);
    assert_int_equal(ms_request_count(f->srv), 3);
    assert_string_equal(ms_request_at(f->srv, 0)->path, "/fapi/v1/time");
    for (size_t i = 1; i < 3; i++) {
        const ms_request *r = ms_request_at(f->srv, i);
        check_signature(r);
        char ts[32];
        const char *params = strcmp(r->method, "GET") == 0 ? r->query : r->body;
        long long t = atoll(param(params, "timestamp", ts, sizeof ts));
        long long server_now = (long long)(clock_wall_ms() + 100000);
        assert_true(t > server_now - 3000 && t <= server_now + 1000);
        assert_string_equal(param(params, "recvWindow", ts, sizeof ts), "5000");
    }
    const ms_request *post = ms_request_at(f->srv, 1)->method[0] == 'P' ? ms_request_at(f->srv, 1)
                                                                        : ms_request_at(f->srv, 2);
    assert_string_equal(post->query, ""); /* POST: everything in the body */
    assert_string_equal(ms_header_get(post, "Content-Type"), "application/x-www-form-urlencoded");
    /* synced: the next run asks no time */
    ms_reset(f->srv);
    ms_step again[] = {{.path = "/fapi/v3/balance", .body = "[]"}};
    ms_script(f->srv, again, 1);
    bn_call_free(&read);
    bn_balance_prepare(&read);
    bn_call *one[] = {&read};
    bn_signed_run(&f->s, one, 1, NULL, 0, clock_wall_ms() + 5000);
    assert_int_equal(ms_request_count(f->srv), 1);
    bn_call_free(&read);
    bn_call_free(&write);
    dstr_free(&tb);
}

static const char bad_ts[] =
    "{\"code\":-1021,\"msg\":\"Timestamp for this request is outside of the recvWindow.\"}";

static void test_bad_timestamp_resyncs_and_resends_once(void **state) {
    fixture *f = *state;
    dstr t1 = {0}, t2 = {0};
    ms_step steps[] = {
        {.path = "/fapi/v1/time", .body = time_body(&t1, 0)},
        {.path = "/fapi/v1/order", .status = 400, .body = bad_ts},
        {.path = "/fapi/v1/time", .body = time_body(&t2, 30000)},
        {.path = "/fapi/v1/order",
         .body = "{\"clientOrderId\":\"x1\",\"orderId\":7,\"status\":\"NEW\",\"side\":\"BUY\","
                 "\"type\":\"LIMIT\",\"price\":\"9000\",\"avgPrice\":\"0\",\"origQty\":\"1\","
                 "\"executedQty\":\"0\",\"symbol\":\"BTCUSDT\",\"updateTime\":1}"},
    };
    ms_script(f->srv, steps, 4);
    bn_call c;
    example_call(&c, "POST");
    bn_call *calls[] = {&c};
    bn_signed_run(&f->s, calls, 1, NULL, 0, clock_wall_ms() + 5000);
    ex_order o;
    assert_int_equal(bn_order_parse(&c.req, BN_WRITE, &o, NULL, NULL), EX_OK);
    assert_int_equal(o.order_id, 7);
    assert_int_equal(ms_request_count(f->srv), 4);
    static const char *const order[] = {"/fapi/v1/time", "/fapi/v1/order", "/fapi/v1/time",
                                        "/fapi/v1/order"};
    for (size_t i = 0; i < 4; i++) assert_string_equal(ms_request_at(f->srv, i)->path, order[i]);
    char a[32], b[32];
    long long first = atoll(param(ms_request_at(f->srv, 1)->body, "timestamp", a, sizeof a));
    long long second = atoll(param(ms_request_at(f->srv, 3)->body, "timestamp", b, sizeof b));
    assert_true(second - first > 25000); /* stamped with the new offset */
    check_signature(ms_request_at(f->srv, 3));
    assert_non_null(strstr(f->log.ptr, "binance.clock_rejected"));
    bn_call_free(&c);

    /* rejected again: no third try, and the caller sees -1021 */
    ms_reset(f->srv);
    ms_step twice[] = {
        {.path = "/fapi/v1/order", .status = 400, .body = bad_ts},
        {.path = "/fapi/v1/time", .body = time_body(&t1, 0)},
        {.path = "/fapi/v1/order", .status = 400, .body = bad_ts},
        {.path = "/fapi/v1/order", .body = "{}"},
    };
    ms_script(f->srv, twice, 4);
    example_call(&c, "POST");
    bn_signed_run(&f->s, calls, 1, NULL, 0, clock_wall_ms() + 5000);
    ex_error e = {0};
    assert_int_equal(bn_order_parse(&c.req, BN_WRITE, &o, &e, NULL), EX_REJECTED);
    assert_int_equal(e.code, -1021);
    assert_int_equal(count_path(f->srv, "/fapi/v1/order"), 2);
    bn_call_free(&c);
    dstr_free(&t1);
    dstr_free(&t2);
}

static void place_once(fixture *f, const ms_step *order_step, ex_status want) {
    ms_reset(f->srv);
    dstr tb = {0};
    ms_step steps[] = {{.path = "/fapi/v1/time", .body = time_body(&tb, 0), .repeat = 1},
                       *order_step,
                       {.path = "/fapi/v1/order", .body = "{}", .repeat = 1}};
    ms_script(f->srv, steps, 3);
    bn_call c;
    example_call(&c, "POST");
    bn_call *calls[] = {&c};
    bn_signed_run(&f->s, calls, 1, NULL, 0, clock_wall_ms() + 5000);
    ex_order o;
    ex_error e = {0};
    ex_status st = bn_order_parse(&c.req, BN_WRITE, &o, &e, NULL);
    if (st != want) fail_msg("%s, want %s", ex_status_name(st), ex_status_name(want));
    /* sent once: the transport never resent it, whatever happened */
    assert_int_equal(count_path(f->srv, "/fapi/v1/order"), 1);
    assert_int_equal(c.req.attempts, 1);
    bn_call_free(&c);
    dstr_free(&tb);
}

static void test_order_writes_are_never_resent(void **state) {
    fixture *f = *state;
    ms_step timeout = {.path = "/fapi/v1/order", .delay_ms = 1500, .body = "{}"};
    place_once(f, &timeout, EX_UNKNOWN);
    ms_step lost = {.path = "/fapi/v1/order", .close_without_answer = 1};
    place_once(f, &lost, EX_UNKNOWN);
    ms_step unknown = {.path = "/fapi/v1/order",
                       .status = 503,
                       .body = "{\"code\":-1000,\"msg\":\"Unknown error, please check your "
                               "request or try again later.\"}"};
    place_once(f, &unknown, EX_UNKNOWN);
    ms_step unavailable = {.path = "/fapi/v1/order", .status = 503, .body = "Service Unavailable."};
    place_once(f, &unavailable, EX_UNAVAILABLE);
    ms_step limited = {.path = "/fapi/v1/order",
                       .status = 429,
                       .headers = "Retry-After: 0",
                       .body = "{\"code\":-1003,\"msg\":\"Too many requests.\"}"};
    place_once(f, &limited, EX_RATE_LIMITED);
    /* a read in the same state is retried by the transport */
    ms_reset(f->srv);
    ms_step steps[] = {{.path = "/fapi/v3/balance", .status = 503, .body = "Service Unavailable."},
                       {.path = "/fapi/v3/balance", .body = "[]"}};
    ms_script(f->srv, steps, 2);
    bn_call c;
    bn_balance_prepare(&c);
    bn_call *calls[] = {&c};
    bn_signed_run(&f->s, calls, 1, NULL, 0, clock_wall_ms() + 5000);
    ex_balance *v = NULL;
    size_t n = 0;
    assert_int_equal(bn_balance_parse(&c.req, &v, &n, NULL, NULL), EX_OK);
    assert_int_equal(count_path(f->srv, "/fapi/v3/balance"), 2);
    free(v);
    bn_call_free(&c);
}

static void test_no_secret_in_logs(void **state) {
    fixture *f = *state;
    dstr tb = {0};
    ms_step steps[] = {
        {.path = "/fapi/v1/time", .body = time_body(&tb, 0), .repeat = 1},
        {.path = "/fapi/v1/order", .status = 400, .body = bad_ts},
        {.path = "/fapi/v1/order",
         .status = 400,
         .body = "{\"code\":-1022,\"msg\":\"Signature for this request is not valid.\"}"},
        {.path = "/fapi/v3/balance", .status = 500, .body = "oops", .repeat = 1},
    };
    ms_script(f->srv, steps, 4);
    bn_call w, r;
    example_call(&w, "POST");
    bn_balance_prepare(&r);
    bn_call *calls[] = {&w, &r};
    bn_signed_run(&f->s, calls, 2, NULL, 0, clock_wall_ms() + 5000);
    ex_order o;
    ex_balance *v = NULL;
    size_t n = 0;
    dstr err = {0};
    assert_int_equal(bn_order_parse(&w.req, BN_WRITE, &o, NULL, &err), EX_REJECTED);
    assert_int_equal(bn_balance_parse(&r.req, &v, &n, NULL, &err), EX_UNAVAILABLE);
    assert_true(f->log.len > 0);
    assert_non_null(strstr(f->log.ptr, "http.attempt")); /* the failures were logged */
    const char *forbidden[] = {api_key, api_secret, "signature=", "timestamp=", "recvWindow"};
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++) {
        if (strstr(f->log.ptr, forbidden[i])) fail_msg("the log holds %s", forbidden[i]);
        if (strstr(err.ptr, forbidden[i])) fail_msg("the error holds %s", forbidden[i]);
    }
    for (size_t i = 0; i < ms_request_count(f->srv); i++) {
        const ms_request *q = ms_request_at(f->srv, i);
        char sig[80];
        param(q->query[0] ? q->query : q->body, "signature", sig, sizeof sig);
        if (sig[0] && strstr(f->log.ptr, sig)) fail_msg("the log holds a signature");
    }
    bn_call_free(&w);
    bn_call_free(&r);
    dstr_free(&err);

    /* registered (as bn_signer_init does): an answer echoing the key is scrubbed */
    secret_register(api_key);
    ms_reset(f->srv);
    dstr echo = {0};
    dstr_printf(&echo, "{\"code\":-2015,\"msg\":\"Invalid API-key %s, IP, or permissions.\"}",
                api_key);
    ms_step echoed[] = {{.path = "/fapi/v3/balance", .status = 401, .body = echo.ptr}};
    ms_script(f->srv, echoed, 1);
    bn_balance_prepare(&r);
    bn_call *one[] = {&r};
    bn_signed_run(&f->s, one, 1, NULL, 0, clock_wall_ms() + 5000);
    assert_int_equal(bn_balance_parse(&r.req, &v, &n, NULL, &err), EX_REJECTED);
    assert_null(strstr(err.ptr, api_key));
    assert_non_null(strstr(err.ptr, SECRET_MASK));
    assert_null(strstr(f->log.ptr, api_key));
    bn_call_free(&r);
    dstr_free(&err);
    dstr_free(&echo);
    dstr_free(&tb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_official_vectors),
        cmocka_unit_test(test_signed_bytes),
        cmocka_unit_test_setup_teardown(test_first_run_syncs_the_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_timestamp_resyncs_and_resends_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_order_writes_are_never_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_secret_in_logs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
