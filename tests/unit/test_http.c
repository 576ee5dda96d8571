/* Unit tests for shared/platform/http.c against the scripted mini_server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "platform/dstr.h"
#include "platform/http.h"
#include "platform/log.h"
#include "support/mini_server.h"

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t epoch_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A fresh server and client per test: no connection or ban leaks between them. */
typedef struct fixture {
    mini_server *srv;
    http_client *cli;
} fixture;

static int fixture_setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->srv = ms_start();
    assert_non_null(f->srv);
    f->cli = http_client_new(NULL);
    assert_non_null(f->cli);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state) {
    fixture *f = *state;
    http_client_free(f->cli);
    ms_stop(f->srv);
    free(f);
    return 0;
}

static void url_of(dstr *u, const mini_server *s, const char *path) {
    dstr_clear(u);
    dstr_printf(u, "%s%s", ms_url(s), path);
}

/* Runs one request; returns the wall time of http_run in ms. */
static int64_t run_one(http_client *c, http_request *r, long deadline_from_now) {
    http_request *batch[] = {r};
    int64_t t0 = mono_ms();
    http_run(c, batch, 1, epoch_ms() + deadline_from_now);
    return mono_ms() - t0;
}

/* ---- the retry/outcome table --------------------------------------------- */

static char big_body[4096]; /* over the 1 KiB cap the size cases set */

#define POLICY(timeout, n_retries, backoff) \
    { .service = "test", .timeout_ms = (timeout), .retries = (n_retries), .backoff_ms = (backoff) }

typedef struct http_case {
    const char *name;
    ms_step steps[3];
    size_t n_steps;
    const char *method; /* NULL: GET */
    const char *body;   /* request body, NULL: none */
    int mark_idempotent;
    http_policy policy;
    long deadline_ms; /* from now */
    size_t max_body;  /* 0: the default cap */
    /* expected */
    http_err err;
    long status;
    int attempts;          /* also the number of requests the server must see */
    const char *resp_body; /* NULL: not checked */
    long min_ms, max_ms;   /* bounds on http_run's wall time; max 0: unchecked */
    long min_gap_ms;       /* between the first two arrivals at the server */
} http_case;

/* clang-format off */
static const http_case cases[] = {
    {.name = "200 on the first try",
     .steps = {{.status = 200, .body = "ok"}}, .n_steps = 1,
     .policy = POLICY(2000, 3, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 200, .attempts = 1, .resp_body = "ok", .max_ms = 500},
    {.name = "500, 500, 200 with 3 retries",
     .steps = {{.status = 500}, {.status = 500}, {.status = 200, .body = "third"}}, .n_steps = 3,
     .policy = POLICY(2000, 3, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 200, .attempts = 3, .resp_body = "third", .max_ms = 800},
    {.name = "503 until retries are exhausted",
     .steps = {{.status = 503, .body = "busy", .repeat = 1}}, .n_steps = 1,
     .policy = POLICY(2000, 2, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 503, .attempts = 3, .resp_body = "busy", .max_ms = 800},
    {.name = "429 with Retry-After: 1 waits a second",
     .steps = {{.status = 429, .headers = "Retry-After: 1"}, {.status = 200, .body = "ok"}},
     .n_steps = 2, .policy = POLICY(2000, 2, 10), .deadline_ms = 4000,
     .err = HTTP_OK, .status = 200, .attempts = 2, .resp_body = "ok",
     .min_ms = 950, .max_ms = 1600, .min_gap_ms = 950},
    {.name = "429 with Retry-After past the deadline ends at once",
     .steps = {{.status = 429, .headers = "Retry-After: 5"}, {.status = 200}}, .n_steps = 2,
     .policy = POLICY(2000, 3, 10), .deadline_ms = 2000,
     .err = HTTP_OK, .status = 429, .attempts = 1, .max_ms = 400},
    {.name = "429 with an HTTP-date Retry-After past the deadline",
     .steps = {{.status = 429, .headers = "Retry-After: Fri, 01 Jan 2100 00:00:00 GMT"},
               {.status = 200}}, .n_steps = 2,
     .policy = POLICY(2000, 3, 10), .deadline_ms = 2000,
     .err = HTTP_OK, .status = 429, .attempts = 1, .max_ms = 400},
    {.name = "503 with a past HTTP-date Retry-After retries at once (not after backoff)",
     .steps = {{.status = 503, .headers = "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT"},
               {.status = 200, .body = "ok"}}, .n_steps = 2,
     .policy = POLICY(2000, 1, 5000), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 200, .attempts = 2, .resp_body = "ok", .max_ms = 400},
    {.name = "400 is never retried",
     .steps = {{.status = 400, .body = "{\"code\":-1102}"}, {.status = 200}}, .n_steps = 2,
     .policy = POLICY(2000, 3, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 400, .attempts = 1, .resp_body = "{\"code\":-1102}"},
    {.name = "404 is never retried",
     .steps = {{.status = 404}, {.status = 200}}, .n_steps = 2,
     .policy = POLICY(2000, 3, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 404, .attempts = 1},
    {.name = "POST is not retried on 503",
     .steps = {{.status = 503}, {.status = 200}}, .n_steps = 2,
     .method = "POST", .body = "symbol=BTCUSDT&side=BUY",
     .policy = POLICY(2000, 3, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 503, .attempts = 1},
    {.name = "POST marked idempotent is retried on 503",
     .steps = {{.status = 503}, {.status = 200, .body = "done"}}, .n_steps = 2,
     .method = "POST", .body = "symbol=BTCUSDT&side=BUY", .mark_idempotent = 1,
     .policy = POLICY(2000, 3, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 200, .attempts = 2, .resp_body = "done"},
    {.name = "DELETE is idempotent by default",
     .steps = {{.status = 502}, {.status = 200}}, .n_steps = 2, .method = "DELETE",
     .policy = POLICY(2000, 3, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 200, .attempts = 2},
    {.name = "HEAD gets the status without a body",
     .steps = {{.status = 200, .body = "not sent"}}, .n_steps = 1, .method = "HEAD",
     .policy = POLICY(2000, 0, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 200, .attempts = 1, .resp_body = ""},
    {.name = "a hang past timeout_ms times out, the retry succeeds",
     .steps = {{.status = 200, .body = "late", .delay_ms = 1500}, {.status = 200, .body = "ok"}},
     .n_steps = 2, .policy = POLICY(200, 1, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 200, .attempts = 2, .resp_body = "ok",
     .min_ms = 190, .max_ms = 900},
    {.name = "a hang past timeout_ms without retries is HTTP_ERR_TIMEOUT",
     .steps = {{.status = 200, .delay_ms = 1500}}, .n_steps = 1,
     .policy = POLICY(200, 0, 10), .deadline_ms = 3000,
     .err = HTTP_ERR_TIMEOUT, .status = 0, .attempts = 1, .min_ms = 190, .max_ms = 700},
    {.name = "a truncated body is a transport error, then retried",
     .steps = {{.status = 200, .body = "partial", .truncate = 1}, {.status = 200, .body = "whole"}},
     .n_steps = 2, .policy = POLICY(2000, 1, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 200, .attempts = 2, .resp_body = "whole", .max_ms = 800},
    {.name = "a truncated body without retries is HTTP_ERR_TRANSPORT",
     .steps = {{.status = 200, .body = "partial", .truncate = 1}}, .n_steps = 1,
     .policy = POLICY(2000, 0, 10), .deadline_ms = 3000,
     .err = HTTP_ERR_TRANSPORT, .status = 0, .attempts = 1, .max_ms = 800},
    {.name = "a connection closed without an answer is retried",
     .steps = {{.close_without_answer = 1}, {.status = 200, .body = "ok"}}, .n_steps = 2,
     .policy = POLICY(2000, 1, 10), .deadline_ms = 3000,
     .err = HTTP_OK, .status = 200, .attempts = 2, .resp_body = "ok", .max_ms = 800},
    {.name = "a body over the cap (Content-Length) is HTTP_ERR_TOO_LARGE",
     .steps = {{.status = 200, .body = big_body, .body_len = sizeof big_body}}, .n_steps = 1,
     .policy = POLICY(2000, 2, 10), .deadline_ms = 3000, .max_body = 1024,
     .err = HTTP_ERR_TOO_LARGE, .status = 0, .attempts = 1},
    {.name = "a chunked body over the cap is HTTP_ERR_TOO_LARGE",
     .steps = {{.status = 200, .body = big_body, .body_len = sizeof big_body, .chunked = 1}},
     .n_steps = 1, .policy = POLICY(2000, 2, 10), .deadline_ms = 3000, .max_body = 1024,
     .err = HTTP_ERR_TOO_LARGE, .status = 0, .attempts = 1},
    {.name = "a chunked body under the cap arrives whole",
     .steps = {{.status = 200, .body = "chunky", .chunked = 1}}, .n_steps = 1,
     .policy = POLICY(2000, 0, 10), .deadline_ms = 3000, .max_body = 1024,
     .err = HTTP_OK, .status = 200, .attempts = 1, .resp_body = "chunky"},
    {.name = "the deadline caps a hanging request",
     .steps = {{.status = 200, .delay_ms = 2000}}, .n_steps = 1,
     .policy = POLICY(10000, 3, 10), .deadline_ms = 300,
     .err = HTTP_ERR_DEADLINE, .status = 0, .attempts = 1, .min_ms = 280, .max_ms = 400},
};
/* clang-format on */

static void test_cases(void **state) {
    fixture *f = *state;
    dstr url = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const http_case *tc = &cases[i];
        print_message("  case: %s\n", tc->name);
        ms_reset(f->srv);
        ms_script(f->srv, tc->steps, tc->n_steps);
        http_client_set_max_body(f->cli, tc->max_body);
        url_of(&url, f->srv, "/case");
        http_request r;
        http_request_init(&r, tc->method ? tc->method : "GET", url.ptr, &tc->policy);
        if (tc->body) dstr_puts(&r.body, tc->body);
        if (tc->mark_idempotent) r.idempotent = 1;

        int64_t took = run_one(f->cli, &r, tc->deadline_ms);

        if (r.err != tc->err || r.status != tc->status || r.attempts != tc->attempts)
            print_error("  %s: got err=%s status=%ld attempts=%d (%s)\n", tc->name,
                        http_err_name(r.err), r.status, r.attempts, r.errmsg);
        assert_int_equal(r.err, tc->err);
        assert_int_equal(r.status, tc->status);
        assert_int_equal(r.attempts, tc->attempts);
        assert_int_equal(ms_request_count(f->srv), (size_t)tc->attempts);
        if (tc->resp_body) assert_string_equal(dstr_cstr(&r.resp_body), tc->resp_body);
        if (took < tc->min_ms || (tc->max_ms && took > tc->max_ms))
            print_error("  %s: took %lld ms, want [%ld, %ld]\n", tc->name, (long long)took,
                        tc->min_ms, tc->max_ms);
        assert_true(took >= tc->min_ms);
        if (tc->max_ms) assert_true(took <= tc->max_ms);
        assert_true(r.elapsed_ms <= took);

        const ms_request *first = ms_request_at(f->srv, 0);
        assert_non_null(first);
        assert_string_equal(first->method, tc->method ? tc->method : "GET");
        assert_string_equal(first->body, tc->body ? tc->body : "");
        if (tc->body) assert_null(ms_header_get(first, "Expect"));
        if (tc->min_gap_ms) {
            const ms_request *second = ms_request_at(f->srv, 1);
            assert_non_null(second);
            assert_true(second->arrival_ms - first->arrival_ms >= tc->min_gap_ms);
        }
        http_request_free(&r);
    }
    http_client_set_max_body(f->cli, 0);
    dstr_free(&url);
}

/* ---- bans ---------------------------------------------------------------- */

static void test_418_bans_the_host(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.status = 418, .headers = "Retry-After: 60"}, {.status = 200, .repeat = 1}};
    ms_script(f->srv, steps, 2);
    mini_server *other = ms_start();
    assert_non_null(other);
    ms_script(other, steps + 1, 1);
    http_policy pol = POLICY(2000, 3, 10);
    dstr url = {0};

    url_of(&url, f->srv, "/fapi/v1/klines");
    http_request r1;
    http_request_init(&r1, "GET", url.ptr, &pol);
    run_one(f->cli, &r1, 3000);
    assert_int_equal(r1.err, HTTP_OK);
    assert_int_equal(r1.status, 418);
    assert_int_equal(r1.attempts, 1);

    url_of(&url, f->srv, "/fapi/v1/ticker/price?symbol=BTCUSDT");
    http_request r2;
    http_request_init(&r2, "GET", url.ptr, &pol);
    int64_t took = run_one(f->cli, &r2, 3000);
    assert_int_equal(r2.err, HTTP_ERR_BANNED);
    assert_int_equal(r2.attempts, 0);
    assert_int_equal(r2.status, 0);
    assert_non_null(strstr(r2.errmsg, "until"));
    assert_true(took < 50);
    assert_int_equal(ms_request_count(f->srv), 1); /* nothing reached the server */

    /* the ban is per scheme+host+port: another port on the same host is fine */
    url_of(&url, other, "/fapi/v1/klines");
    http_request r3;
    http_request_init(&r3, "GET", url.ptr, &pol);
    run_one(f->cli, &r3, 3000);
    assert_int_equal(r3.err, HTTP_OK);
    assert_int_equal(r3.status, 200);

    http_request_free(&r1);
    http_request_free(&r2);
    http_request_free(&r3);
    dstr_free(&url);
    ms_stop(other);
}

/* ---- batches and connections --------------------------------------------- */

static void test_batch_runs_concurrently(void **state) {
    fixture *f = *state;
    ms_step step = {.status = 200, .body = "slow", .delay_ms = 300, .repeat = 1};
    ms_script(f->srv, &step, 1);
    http_policy pol = POLICY(2000, 0, 10);
    dstr url = {0};
    url_of(&url, f->srv, "/slow");
    http_request r[3];
    http_request *batch[3];
    for (int i = 0; i < 3; i++) {
        http_request_init(&r[i], "GET", url.ptr, &pol);
        batch[i] = &r[i];
    }
    int64_t t0 = mono_ms();
    size_t ok = http_run(f->cli, batch, 3, epoch_ms() + 3000);
    int64_t took = mono_ms() - t0;
    print_message("  3 x 300 ms requests took %lld ms\n", (long long)took);
    assert_int_equal(ok, 3);
    assert_true(took >= 290 && took < 550);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i].status, 200);
        assert_string_equal(dstr_cstr(&r[i].resp_body), "slow");
        http_request_free(&r[i]);
    }
    dstr_free(&url);
}

/* While one request sleeps before its retry, the others keep going. */
static void test_backoff_does_not_block_the_batch(void **state) {
    fixture *f = *state;
    ms_step steps[] = {
        {.path = "/wait", .status = 429, .headers = "Retry-After: 1"},
        {.path = "/wait", .status = 200, .body = "waited"},
        {.path = "/slow", .status = 200, .body = "slow", .delay_ms = 300},
    };
    ms_script(f->srv, steps, 3);
    http_policy pol = POLICY(2000, 1, 10);
    dstr u1 = {0}, u2 = {0};
    url_of(&u1, f->srv, "/wait");
    url_of(&u2, f->srv, "/slow");
    http_request a, b;
    http_request_init(&a, "GET", u1.ptr, &pol);
    http_request_init(&b, "GET", u2.ptr, &pol);
    http_request *batch[] = {&a, &b};
    assert_int_equal(http_run(f->cli, batch, 2, epoch_ms() + 3000), 2);
    print_message("  waiting request %lld ms, the other %lld ms\n", (long long)a.elapsed_ms,
                  (long long)b.elapsed_ms);
    assert_string_equal(dstr_cstr(&a.resp_body), "waited");
    assert_string_equal(dstr_cstr(&b.resp_body), "slow");
    assert_true(a.elapsed_ms >= 950);
    assert_true(b.elapsed_ms >= 290 && b.elapsed_ms < 600);
    http_request_free(&a);
    http_request_free(&b);
    dstr_free(&u1);
    dstr_free(&u2);
}

static void test_connection_reused_across_runs(void **state) {
    fixture *f = *state;
    ms_step step = {.status = 200, .body = "ok", .repeat = 1};
    ms_script(f->srv, &step, 1);
    http_policy pol = POLICY(2000, 0, 10);
    dstr url = {0};
    url_of(&url, f->srv, "/again");
    for (int i = 0; i < 3; i++) {
        http_request r;
        http_request_init(&r, "GET", url.ptr, &pol);
        run_one(f->cli, &r, 3000);
        assert_int_equal(r.status, 200);
        http_request_free(&r);
    }
    assert_int_equal(ms_request_count(f->srv), 3);
    assert_int_equal(ms_connection_count(f->srv), 1);
    assert_int_equal(ms_request_at(f->srv, 0)->conn_id, ms_request_at(f->srv, 2)->conn_id);
    dstr_free(&url);
}

/* A POST whose reused connection dies before any answer byte: libcurl
 * resends it by itself (with retries 0), so the server sees it twice; with
 * fresh_connection it goes on a new connection and is sent exactly once. */
static void test_fresh_connection_is_never_resent(void **state) {
    fixture *f = *state;
    dstr url = {0};
    url_of(&url, f->srv, "/order");
    for (int fresh = 0; fresh <= 1; fresh++) {
        ms_reset(f->srv);
        ms_step steps[] = {{.status = 200, .body = "warm", .path = "/order"},
                           {.close_without_answer = 1, .path = "/order", .repeat = 1}};
        ms_script(f->srv, steps, 2);
        http_policy pol = POLICY(2000, 0, 10);
        http_request r;
        http_request_init(&r, "GET", url.ptr, &pol); /* leaves a kept-alive connection */
        run_one(f->cli, &r, 3000);
        assert_int_equal(r.status, 200);
        http_request_free(&r);
        pol.fresh_connection = fresh;
        http_request_init(&r, "POST", url.ptr, &pol);
        dstr_puts(&r.body, "side=BUY");
        run_one(f->cli, &r, 3000);
        assert_int_not_equal(r.err, HTTP_OK);
        http_request_free(&r);
        size_t posts = 0;
        for (size_t i = 0; i < ms_request_count(f->srv); i++)
            posts += strcmp(ms_request_at(f->srv, i)->method, "POST") == 0;
        if (fresh) assert_int_equal(posts, 1);
        else assert_int_equal(posts, 2); /* what the policy guards against */
    }
    dstr_free(&url);
}

/* ---- headers and logs ---------------------------------------------------- */

static void test_headers_both_ways(void **state) {
    fixture *f = *state;
    ms_step step = {.status = 200,
                    .body = "{}",
                    .headers = "X-MBX-USED-WEIGHT-1M: 42\nContent-Type: application/json"};
    ms_script(f->srv, &step, 1);
    http_policy pol = POLICY(2000, 0, 10);
    dstr url = {0};
    url_of(&url, f->srv, "/fapi/v1/time");
    http_query_add(&url, "symbol", "BTCUSDT");
    http_query_add(&url, "note", "a b&c");
    http_request r;
    http_request_init(&r, "GET", url.ptr, &pol);
    http_request_header(&r, "X-MBX-APIKEY", "key-value-123");
    http_request_header(&r, "X-Empty", "");
    run_one(f->cli, &r, 3000);
    assert_int_equal(r.status, 200);

    assert_string_equal(http_response_header(&r, "x-mbx-used-weight-1m"), "42");
    assert_string_equal(http_response_header(&r, "X-Mbx-Used-Weight-1M"), "42");
    assert_string_equal(http_response_header(&r, "CONTENT-TYPE"), "application/json");
    assert_null(http_response_header(&r, "retry-after"));
    for (size_t i = 0; i < r.n_resp_headers; i++)
        for (const char *p = r.resp_headers[i].name; *p; p++) assert_false(*p >= 'A' && *p <= 'Z');

    const ms_request *got = ms_request_at(f->srv, 0);
    assert_string_equal(got->path, "/fapi/v1/time");
    assert_string_equal(got->query, "symbol=BTCUSDT&note=a%20b%26c");
    assert_string_equal(ms_header_get(got, "x-mbx-apikey"), "key-value-123");
    assert_string_equal(ms_header_get(got, "X-Empty"), "");
    http_request_free(&r);
    dstr_free(&url);
}

static void capture_line(void *ctx, const char *line, size_t len) {
    dstr *d = ctx;
    dstr_append(d, line, len);
    dstr_putc(d, '\n');
}

static void test_log_never_shows_query_or_headers(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.status = 500}, {.status = 400, .body = "{\"code\":-1022}"}};
    ms_script(f->srv, steps, 2);
    http_policy pol = POLICY(2000, 2, 10);
    dstr url = {0}, logs = {0};
    url_of(&url, f->srv, "/fapi/v1/order?symbol=BTCUSDT&signature=5ec12e7519a7");
    http_request r;
    http_request_init(&r, "DELETE", url.ptr, &pol);
    http_request_header(&r, "X-MBX-APIKEY", "apikey-must-not-leak");

    /* and a connection error, whose message comes from curl: nothing listens
     * on the port of a stopped server */
    dstr dead = {0};
    mini_server *gone = ms_start();
    assert_non_null(gone);
    dstr_printf(&dead, "%s/fapi/v1/order?signature=5ec12e7519a7", ms_url(gone));
    ms_stop(gone);
    http_request r2;
    http_policy once = POLICY(500, 0, 10);
    http_request_init(&r2, "GET", dead.ptr, &once);

    log_set_sink(capture_line, &logs);
    http_request *batch[] = {&r, &r2};
    http_run(f->cli, batch, 2, epoch_ms() + 3000);
    log_set_sink(NULL, NULL);

    assert_int_equal(r.status, 400);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r2.err, HTTP_ERR_CONNECT);
    const char *text = dstr_cstr(&logs);
    assert_non_null(strstr(text, "\"event\":\"http.attempt\""));
    assert_non_null(strstr(text, "\"path\":\"/fapi/v1/order\""));
    assert_non_null(strstr(text, "\"upstream\":\"test\""));
    assert_non_null(strstr(text, "\"delay_ms\":"));
    assert_non_null(strstr(text, "\"status\":500"));
    assert_non_null(strstr(text, "\"error\":\"connect\""));
    assert_null(strstr(text, "5ec12e7519a7"));
    assert_null(strstr(text, "symbol="));
    assert_null(strstr(text, "apikey-must-not-leak"));
    assert_null(strstr(r2.errmsg, "5ec12e7519a7"));
    http_request_free(&r);
    http_request_free(&r2);
    dstr_free(&url);
    dstr_free(&dead);
    dstr_free(&logs);
}

/* ---- the retry_delay_ms hook --------------------------------------------- */

static int hook_calls;

/* Reads its answer from the response body, as Gemini's hook reads RetryInfo:
 * "wait=N" -> N ms, "stop" -> HTTP_NO_RETRY, anything else -> default. */
static long body_says_when(const http_request *attempt) {
    hook_calls++;
    const char *b = dstr_cstr(&attempt->resp_body);
    if (strncmp(b, "wait=", 5) == 0) return atol(b + 5);
    if (strcmp(b, "stop") == 0) return HTTP_NO_RETRY;
    return HTTP_RETRY_DEFAULT;
}

typedef struct hook_case {
    const char *name;
    ms_step steps[2];
    const char *method; /* NULL: GET */
    int hook_calls;     /* expected */
    long status;
    int attempts;
    long min_gap_ms, max_ms;
    const char *log_has; /* NULL: not checked */
} hook_case;

/* clang-format off */
static const hook_case hook_cases[] = {
    {.name = "the hook's wait wins over Retry-After and backoff",
     .steps = {{.status = 503, .body = "wait=300", .headers = "Retry-After: 5"},
               {.status = 200, .body = "ok"}},
     .hook_calls = 1, .status = 200, .attempts = 2, .min_gap_ms = 290, .max_ms = 900},
    {.name = "HTTP_NO_RETRY stops at once",
     .steps = {{.status = 429, .body = "stop", .headers = "Retry-After: 0"}, {.status = 200}},
     .hook_calls = 1, .status = 429, .attempts = 1, .max_ms = 300,
     .log_has = "\"retry_refused\":true"},
    {.name = "HTTP_RETRY_DEFAULT falls back to Retry-After",
     .steps = {{.status = 503, .body = "later", .headers = "Retry-After: 1"},
               {.status = 200, .body = "ok"}},
     .hook_calls = 1, .status = 200, .attempts = 2, .min_gap_ms = 950, .max_ms = 1600},
    {.name = "a wait past the deadline is cut like Retry-After",
     .steps = {{.status = 503, .body = "wait=10000"}, {.status = 200}},
     .hook_calls = 1, .status = 503, .attempts = 1, .max_ms = 300,
     .log_has = "\"deadline_cut\":true"},
    {.name = "a 400 is never retried, the hook is not asked",
     .steps = {{.status = 400, .body = "wait=0"}, {.status = 200}},
     .hook_calls = 0, .status = 400, .attempts = 1, .max_ms = 300},
    {.name = "a POST not marked idempotent: the hook is not asked",
     .steps = {{.status = 503, .body = "wait=0"}, {.status = 200}}, .method = "POST",
     .hook_calls = 0, .status = 503, .attempts = 1, .max_ms = 300},
};
/* clang-format on */

static void test_retry_delay_hook(void **state) {
    fixture *f = *state;
    http_policy pol = {.service = "test",
                       .timeout_ms = 2000,
                       .retries = 2,
                       .backoff_ms = 5000,
                       .retry_delay_ms = body_says_when};
    dstr url = {0}, logs = {0};
    url_of(&url, f->srv, "/hook");
    for (size_t i = 0; i < sizeof hook_cases / sizeof hook_cases[0]; i++) {
        const hook_case *tc = &hook_cases[i];
        print_message("  case: %s\n", tc->name);
        ms_reset(f->srv);
        ms_script(f->srv, tc->steps, 2);
        hook_calls = 0;
        dstr_clear(&logs);
        http_request r;
        http_request_init(&r, tc->method ? tc->method : "GET", url.ptr, &pol);
        log_set_sink(capture_line, &logs);
        int64_t took = run_one(f->cli, &r, 3000);
        log_set_sink(NULL, NULL);
        assert_int_equal(r.err, HTTP_OK);
        assert_int_equal(r.status, tc->status);
        assert_int_equal(r.attempts, tc->attempts);
        assert_int_equal(ms_request_count(f->srv), (size_t)tc->attempts);
        assert_int_equal(hook_calls, tc->hook_calls);
        if (tc->max_ms && took > tc->max_ms)
            print_error("  %s: took %lld ms > %ld\n", tc->name, (long long)took, tc->max_ms);
        if (tc->max_ms) assert_true(took <= tc->max_ms);
        if (tc->min_gap_ms) {
            int64_t gap =
                ms_request_at(f->srv, 1)->arrival_ms - ms_request_at(f->srv, 0)->arrival_ms;
            assert_true(gap >= tc->min_gap_ms);
        }
        if (tc->log_has) assert_non_null(strstr(dstr_cstr(&logs), tc->log_has));
        http_request_free(&r);
    }
    dstr_free(&url);
    dstr_free(&logs);
}

/* ---- failures without a server answer ------------------------------------ */

static void test_connection_refused_is_retried(void **state) {
    fixture *f = *state;
    mini_server *gone = ms_start();
    assert_non_null(gone);
    dstr url = {0};
    url_of(&url, gone, "/x");
    ms_stop(gone);
    http_policy pol = POLICY(1000, 2, 10);
    http_request r;
    http_request_init(&r, "GET", url.ptr, &pol);
    int64_t took = run_one(f->cli, &r, 3000);
    assert_int_equal(r.err, HTTP_ERR_CONNECT);
    assert_int_equal(r.attempts, 3);
    assert_true(took < 500);
    assert_true(r.errmsg[0] != '\0');
    http_request_free(&r);
    dstr_free(&url);
}

static void test_deadline_already_passed(void **state) {
    fixture *f = *state;
    http_policy pol = POLICY(1000, 2, 10);
    dstr url = {0};
    url_of(&url, f->srv, "/late");
    http_request r;
    http_request_init(&r, "GET", url.ptr, &pol);
    run_one(f->cli, &r, -1);
    assert_int_equal(r.err, HTTP_ERR_DEADLINE);
    assert_int_equal(r.attempts, 0);
    assert_int_equal(ms_request_count(f->srv), 0);
    http_request_free(&r);
    dstr_free(&url);
}

static void test_invalid_requests(void **state) {
    fixture *f = *state;
    dstr good = {0};
    url_of(&good, f->srv, "/x");
    static const struct {
        const char *method, *url, *hname, *hvalue;
    } bad[] = {
        {"GET", "ftp://127.0.0.1/x", NULL, NULL},
        {"GET", "not a url", NULL, NULL},
        {"GET", "", NULL, NULL},
        {"get", NULL, NULL, NULL},
        {"TOOLONGMETHOD", NULL, NULL, NULL},
        {"GET", NULL, "X-Evil", "a\r\nInjected: 1"},
        {"GET", NULL, "Bad Name", "v"},
        {"GET", NULL, "", "v"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        http_request r;
        http_request_init(&r, bad[i].method, bad[i].url ? bad[i].url : good.ptr, NULL);
        if (bad[i].hname) http_request_header(&r, bad[i].hname, bad[i].hvalue);
        run_one(f->cli, &r, 3000);
        assert_int_equal(r.err, HTTP_ERR_INVALID);
        assert_int_equal(r.attempts, 0);
        assert_true(r.errmsg[0] != '\0');
        http_request_free(&r);
    }
    assert_int_equal(ms_request_count(f->srv), 0);
    http_request_free(NULL);
    assert_int_equal(http_run(f->cli, NULL, 0, epoch_ms() + 1000), 0);
    assert_int_equal(http_run(NULL, NULL, 0, 0), 0);
    dstr_free(&good);
}

/* ---- URL helpers ---------------------------------------------------------- */

static void test_url_helpers(void **state) {
    (void)state;
    static const struct {
        const char *in, *out;
    } enc[] = {
        {"", ""},
        {"AZaz09-._~", "AZaz09-._~"},
        {"a b", "a%20b"},
        {"a+b=c&d", "a%2Bb%3Dc%26d"},
        {"/?#[]@", "%2F%3F%23%5B%5D%40"},
        {"\xc3\xa9", "%C3%A9"},
    };
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
        dstr d = {0};
        http_url_encode(&d, enc[i].in);
        assert_string_equal(dstr_cstr(&d), enc[i].out);
        dstr_free(&d);
    }
    static const struct {
        const char *base, *key, *val, *out;
    } q[] = {
        {"https://h/p", "a", "1", "https://h/p?a=1"},
        {"https://h/p?a=1", "b", "x y", "https://h/p?a=1&b=x%20y"},
        {"https://h/p?", "a", "1", "https://h/p?a=1"},
        {"https://h/p?a=1&", "b", "2", "https://h/p?a=1&b=2"},
        {"https://h/p", "k", NULL, "https://h/p?k="},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        dstr d = {0};
        dstr_puts(&d, q[i].base);
        http_query_add(&d, q[i].key, q[i].val);
        assert_string_equal(dstr_cstr(&d), q[i].out);
        dstr_free(&d);
    }
    assert_string_equal(http_err_name(HTTP_ERR_BANNED), "banned");
    assert_string_equal(http_err_name(HTTP_OK), "ok");
}

/* ---- TLS ------------------------------------------------------------------ */

/* Writes the certificate as <subject-hash>.0 into a fresh directory, the
 * layout CURLOPT_CAPATH (OpenSSL's hashed directory) reads. */
static void write_hashed_dir(const char *pem, char *dir, char *file, size_t cap) {
    assert_non_null(mkdtemp(dir));
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    assert_non_null(x);
    snprintf(file, cap, "%s/%08lx.0", dir, X509_subject_name_hash(x));
    X509_free(x);
    BIO_free(b);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fputs(pem, fp);
    fclose(fp);
}

static void test_tls_verification_is_on(void **state) {
    (void)state;
    mini_server *s = ms_start_tls();
    if (!s) skip();
    ms_step step = {.status = 200, .body = "secure", .repeat = 1};
    ms_script(s, &step, 1);
    char dir[] = "/tmp/test_http_ca.XXXXXX", file[512];
    write_hashed_dir(ms_cert_pem(s), dir, file, sizeof file);
    dstr url = {0};
    url_of(&url, s, "/tls");
    http_policy pol = POLICY(3000, 2, 10);

    const http_tls trusts[] = {{.ca_file = file}, {.ca_path = dir}};
    for (size_t i = 0; i < 2; i++) {
        http_client *c = http_client_new(&trusts[i]);
        http_request r;
        http_request_init(&r, "GET", url.ptr, &pol);
        run_one(c, &r, 5000);
        if (r.err != HTTP_OK) print_error("  tls trust %zu: %s\n", i, r.errmsg);
        assert_int_equal(r.err, HTTP_OK);
        assert_string_equal(dstr_cstr(&r.resp_body), "secure");
        http_request_free(&r);
        http_client_free(c);
    }

    /* the default store does not know this certificate: refused, not retried */
    size_t before = ms_request_count(s);
    http_client *c = http_client_new(NULL);
    http_request r;
    http_request_init(&r, "GET", url.ptr, &pol);
    run_one(c, &r, 5000);
    assert_int_equal(r.err, HTTP_ERR_CONNECT);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(ms_request_count(s), before);
    print_message("  untrusted: %s\n", r.errmsg);
    http_request_free(&r);
    http_client_free(c);

    /* a trusted certificate for another name: host verification refuses it */
    dstr_clear(&url);
    dstr_printf(&url, "https://localhost:%d/tls", ms_port(s));
    c = http_client_new(&trusts[0]);
    http_request_init(&r, "GET", url.ptr, &pol);
    run_one(c, &r, 5000);
    assert_int_equal(r.err, HTTP_ERR_CONNECT);
    assert_int_equal(r.attempts, 1);
    print_message("  wrong name: %s\n", r.errmsg);
    http_request_free(&r);
    http_client_free(c);

    unlink(file);
    rmdir(dir);
    dstr_free(&url);
    ms_stop(s);
}

int main(void) {
    memset(big_body, 'x', sizeof big_body);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cases, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_418_bans_the_host, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_batch_runs_concurrently, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_backoff_does_not_block_the_batch, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_connection_reused_across_runs, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fresh_connection_is_never_resent, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_headers_both_ways, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_log_never_shows_query_or_headers, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_retry_delay_hook, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused_is_retried, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_deadline_already_passed, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_requests, fixture_setup, fixture_teardown),
        cmocka_unit_test(test_url_helpers),
        cmocka_unit_test(test_tls_verification_is_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
