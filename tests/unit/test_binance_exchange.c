/* binance_exchange: a symbol's six requests, its snapshot assembled from
 * canned Binance answers (forming candle dropped, newest spec->bars kept, a
 * failed request named with its status, the others counted), and the
 * exchange table against the scripted local server: every symbol in one
 * batch, a failed klines request, an invalid symbol never sent, no HTTP
 * client, candles and order book. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blackhole.h"
#include "canned_binance.h"
#include "capture.h"
#include "mini_server.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "domain/market_features.h"
#include "services/binance_exchange.h"

#define BARS 300
static const ex_snapshot_spec spec = {.bars = BARS, .depth = 20};

static bn_config test_config(const char *base) {
    return (bn_config){.base = base, .timeout_ms = 2000, .retries = 0, .backoff_ms = 10};
}

/* ---- prepare and assemble ------------------------------------------------------------ */

static void test_prepare_six_requests(void **state) {
    (void)state;
    bn_config c = test_config("http://127.0.0.1:9");
    bn_client bn;
    bn_client_init(&bn, NULL, &c);
    http_request reqs[BN_SNAPSHOT_REQS];
    bn_snapshot_prepare(&bn, "ETHUSDT", &spec, reqs);
    static const char *const want[BN_SNAPSHOT_REQS] = {
        "http://127.0.0.1:9/fapi/v1/klines?symbol=ETHUSDT&interval=5m&limit=301",
        "http://127.0.0.1:9/fapi/v1/klines?symbol=ETHUSDT&interval=1h&limit=301",
        "http://127.0.0.1:9/fapi/v1/klines?symbol=ETHUSDT&interval=4h&limit=301",
        "http://127.0.0.1:9/fapi/v1/klines?symbol=ETHUSDT&interval=1d&limit=301",
        "http://127.0.0.1:9/fapi/v1/depth?symbol=ETHUSDT&limit=20",
        "http://127.0.0.1:9/fapi/v1/premiumIndex?symbol=ETHUSDT",
    };
    for (int i = 0; i < BN_SNAPSHOT_REQS; i++) {
        assert_string_equal(reqs[i].url.ptr, want[i]);
        assert_string_equal(reqs[i].method, "GET");
    }
    canned_requests_free(reqs);
}

static void test_assemble_drops_forming_keeps_bars(void **state) {
    (void)state;
    int64_t now = clock_wall_ms();
    http_request reqs[BN_SNAPSHOT_REQS];
    canned ok[BN_SNAPSHOT_REQS] = {{0}};
    canned_snapshot_requests(reqs, "BTCUSDT", &spec, ok, now, BARS + 1, 1);
    snapshot s;
    dstr why = {0};
    assert_int_equal(bn_snapshot_assemble(reqs, "BTCUSDT", &spec, now, &s, &why), EX_OK);
    assert_int_equal(why.len, 0);
    assert_string_equal(s.symbol, "BTCUSDT");
    assert_int_equal(s.now_ms, now);
    for (int tf = 0; tf < TF_COUNT; tf++) {
        assert_int_equal(s.tf[tf].n, BARS);
        const candle *last = &s.tf[tf].v[s.tf[tf].n - 1];
        assert_true(last->close_time < now);                           /* closed */
        assert_true(now - last->close_time <= canned_tf_interval[tf]); /* the newest closed one */
    }
    assert_int_equal(s.book.n_bids, 2);
    assert_true(s.premium.mark_price == 100.005);
    char reason[160];
    if (snapshot_check(&s, now, reason, sizeof reason)) fail_msg("snapshot_check: %s", reason);
    snapshot_free(&s);
    canned_requests_free(reqs);
}

static void test_assemble_all_closed_keeps_newest(void **state) {
    (void)state;
    int64_t now = clock_wall_ms();
    http_request reqs[BN_SNAPSHOT_REQS];
    canned ok[BN_SNAPSHOT_REQS] = {{0}};
    canned_snapshot_requests(reqs, "BTCUSDT", &spec, ok, now, BARS + 1,
                             0); /* Binance lagging: no forming row */
    snapshot s;
    assert_int_equal(bn_snapshot_assemble(reqs, "BTCUSDT", &spec, now, &s, NULL), EX_OK);
    for (int tf = 0; tf < TF_COUNT; tf++) {
        assert_int_equal(s.tf[tf].n, BARS);
        assert_true(now - s.tf[tf].v[BARS - 1].close_time <= canned_tf_interval[tf]);
    }
    snapshot_free(&s);
    canned_requests_free(reqs);
}

typedef struct fail_case {
    int index;
    canned outcome;
    ex_status status;
    const char *why; /* exactly, or a prefix when it ends with '*' */
} fail_case;

/* clang-format off */
static const fail_case fail_cases[] = {
    {1, {HTTP_ERR_TIMEOUT, 0, NULL}, EX_TIMEOUT, "klines 1h: timeout: Binance did not answer in time (timeout)"},
    {4, {HTTP_OK, 503, "Service Unavailable."}, EX_UNAVAILABLE, "depth: unavailable (HTTP 503): Binance answered with an error status"},
    {5, {HTTP_OK, 200, "<html>"}, EX_BAD_RESPONSE, "premiumIndex: bad_response (HTTP 200): Binance answered 200 with a body that is not JSON"},
    {3, {HTTP_OK, 200, "{\"not\":\"an array\"}"}, EX_BAD_RESPONSE, "klines 1d: bad_response (HTTP 200): klines: expected a JSON array"},
    {0, {HTTP_OK, 400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}"}, EX_INVALID_SYMBOL,
     "klines 5m: invalid_symbol (HTTP 400): Invalid symbol."},
    {2, {HTTP_OK, 429, "{\"code\":-1003,\"msg\":\"Too many requests\"}"}, EX_RATE_LIMITED,
     "klines 4h: rate_limited (HTTP 429): Too many requests"},
    {4, {HTTP_ERR_CONNECT, 0, NULL}, EX_UNAVAILABLE, "depth: unavailable: cannot reach Binance: *"},
    /* an empty msg still leaves a reason (found by tests/fuzz/fuzz_binance) */
    {0, {HTTP_OK, 400, "{\"code\":-1121,\"msg\":\"\"}"}, EX_INVALID_SYMBOL,
     "klines 5m: invalid_symbol (HTTP 400): Binance answered with an error status"},
    /* a candle that overlaps the next one (closing after it opens) is out of order: an
     * earlier candle still forming would be kept (found by tests/fuzz/fuzz_snapshot) */
    {0, {HTTP_OK, 200, "[[1000,\"1\",\"1\",\"1\",\"1\",\"1\",5000],[2000,\"1\",\"1\",\"1\",\"1\",\"1\",2999]]"},
     EX_BAD_RESPONSE, "klines 5m: bad_response (HTTP 200): klines: row 1 is malformed or out of order"},
    /* a code out of long's range is no UB (found by tests/fuzz/fuzz_binance) */
    {0, {HTTP_OK, 400, "{\"code\":-1e308,\"msg\":\"x\"}"}, EX_REJECTED, "klines 5m: rejected (HTTP 400): x"},
};
/* clang-format on */

static void assert_why(const char *got, const char *want) {
    size_t n = strlen(want);
    int prefix = n && want[n - 1] == '*';
    if (prefix ? strncmp(got, want, n - 1) != 0 : strcmp(got, want) != 0)
        fail_msg("why '%s', want '%s'", got, want);
}

static void test_assemble_one_failure_names_it(void **state) {
    (void)state;
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < sizeof fail_cases / sizeof *fail_cases; i++) {
        const fail_case *fc = &fail_cases[i];
        canned outcome[BN_SNAPSHOT_REQS] = {{0}};
        outcome[fc->index] = fc->outcome;
        http_request reqs[BN_SNAPSHOT_REQS];
        canned_snapshot_requests(reqs, "BTCUSDT", &spec, outcome, now, BARS + 1, 1);
        snapshot s;
        dstr why = {0};
        assert_int_equal(bn_snapshot_assemble(reqs, "BTCUSDT", &spec, now, &s, &why), fc->status);
        assert_why(dstr_cstr(&why), fc->why);
        for (int tf = 0; tf < TF_COUNT; tf++) assert_null(s.tf[tf].v); /* nothing half-kept */
        assert_null(s.book.bids);
        dstr_free(&why);
        canned_requests_free(reqs);
    }
}

static void test_assemble_counts_further_failures(void **state) {
    (void)state;
    int64_t now = clock_wall_ms();
    canned outcome[BN_SNAPSHOT_REQS] = {{0}};
    outcome[1] = (canned){HTTP_ERR_TIMEOUT, 0, NULL};
    outcome[2] = (canned){HTTP_OK, 503, "x"};
    outcome[5] = (canned){HTTP_ERR_CONNECT, 0, NULL};
    http_request reqs[BN_SNAPSHOT_REQS];
    canned_snapshot_requests(reqs, "BTCUSDT", &spec, outcome, now, BARS + 1, 1);
    snapshot s;
    dstr why = {0};
    assert_int_equal(bn_snapshot_assemble(reqs, "BTCUSDT", &spec, now, &s, &why), EX_TIMEOUT);
    assert_string_equal(why.ptr, "klines 1h: timeout: Binance did not answer in time (timeout) "
                                 "(and 2 more requests failed)");
    dstr_free(&why);
    canned_requests_free(reqs);
}

/* ---- the exchange against the scripted server ------------------------------------------ */

typedef struct fixture {
    mini_server *srv;
    http_client *http;
    exchange *ex;
    dstr klines; /* a good klines answer: BARS + 1 5m candles, the last forming */
    dstr log;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->srv = ms_start();
    f->http = http_client_new(NULL);
    if (!f->srv || !f->http) return -1;
    bn_config c = test_config(ms_url(f->srv));
    f->ex = binance_exchange_new(f->http, &c);
    canned_klines_body(&f->klines, canned_tf_interval[TF_5M], BARS + 1, clock_wall_ms(), 1);
    log_init("test");
    capture_start(&f->log);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    capture_stop();
    ex_close(f->ex);
    http_client_free(f->http);
    ms_stop(f->srv);
    dstr_free(&f->klines);
    dstr_free(&f->log);
    free(f);
    return 0;
}

#define DELAY_MS 300

/* Every endpoint answers well, after DELAY_MS; failing steps go first. */
static void script(fixture *f, const ms_step *first, size_t n_first) {
    ms_step steps[8];
    size_t n = 0;
    for (size_t i = 0; i < n_first; i++) steps[n++] = first[i];
    steps[n++] = (ms_step){.path = "/fapi/v1/klines", .body = f->klines.ptr, .repeat = 1};
    steps[n++] = (ms_step){.path = "/fapi/v1/depth", .body = canned_depth_body, .repeat = 1};
    steps[n++] =
        (ms_step){.path = "/fapi/v1/premiumIndex", .body = canned_premium_body, .repeat = 1};
    for (size_t i = 0; i < n; i++) steps[i].delay_ms = DELAY_MS;
    ms_script(f->srv, steps, n);
}

static size_t count_of(const char *text, const char *needle) {
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++) n++;
    return n;
}

static void test_snapshots_two_symbols_one_batch(void **state) {
    fixture *f = *state;
    script(f, NULL, 0);
    const char *symbols[] = {"BTCUSDT", "ETHUSDT"};
    ex_snapshot out[2];
    int64_t now = clock_wall_ms(), t0 = clock_mono_ms();
    ex_snapshots(f->ex, symbols, 2, &spec, now, now + 5000, out);
    int64_t took = clock_mono_ms() - t0;
    /* twelve requests of DELAY_MS each: concurrent, not one after another */
    assert_true(took < 4 * DELAY_MS);
    assert_int_equal(ms_request_count(f->srv), 2 * BN_SNAPSHOT_REQS);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(out[k].status, EX_OK);
        assert_int_equal(out[k].why.len, 0);
        const snapshot *s = &out[k].snap;
        assert_string_equal(s->symbol, symbols[k]);
        assert_int_equal(s->now_ms, now);
        for (int tf = 0; tf < TF_COUNT; tf++) assert_int_equal(s->tf[tf].n, BARS);
        assert_int_equal(s->book.n_asks, 2);
        assert_true(s->premium.mark_price == 100.005);
        ex_snapshot_free(&out[k]);
    }
    for (size_t i = 0; i < ms_request_count(f->srv); i++) {
        const ms_request *r = ms_request_at(f->srv, i);
        if (strcmp(r->path, "/fapi/v1/klines") == 0) assert_non_null(strstr(r->query, "limit=301"));
        if (strcmp(r->path, "/fapi/v1/depth") == 0) assert_non_null(strstr(r->query, "limit=20"));
    }
    assert_int_equal(count_of(f->log.ptr, "\"event\":\"binance.response\""), 12);
}

static void test_snapshots_failed_klines_named(void **state) {
    fixture *f = *state;
    ms_step down = {.path = "/fapi/v1/klines",
                    .status = 400,
                    .body = "{\"code\":-1100,\"msg\":\"Illegal characters found.\"}"};
    script(f, &down, 1);
    const char *symbols[] = {"BTCUSDT"};
    ex_snapshot out;
    int64_t now = clock_wall_ms();
    ex_snapshots(f->ex, symbols, 1, &spec, now, now + 5000, &out);
    assert_int_equal(out.status, EX_REJECTED);
    /* which klines request met the failure first depends on arrival order */
    int named = 0;
    for (int tf = 0; tf < TF_COUNT; tf++) {
        char want[128];
        snprintf(want, sizeof want, "klines %s: rejected (HTTP 400): Illegal characters found.",
                 tf_name((timeframe)tf));
        named += strcmp(out.why.ptr, want) == 0;
    }
    if (!named) fail_msg("why '%s'", out.why.ptr);
    for (int tf = 0; tf < TF_COUNT; tf++) assert_null(out.snap.tf[tf].v);
    /* all six were parsed, the failed one and the good ones */
    assert_int_equal(count_of(f->log.ptr, "\"event\":\"binance.response\""), BN_SNAPSHOT_REQS);
    ex_snapshot_free(&out);
}

static void test_snapshots_invalid_symbol_not_sent(void **state) {
    fixture *f = *state;
    script(f, NULL, 0);
    const char *symbols[] = {"btc/usdt", "ETHUSDT"};
    ex_snapshot out[2];
    int64_t now = clock_wall_ms();
    ex_snapshots(f->ex, symbols, 2, &spec, now, now + 5000, out);
    assert_int_equal(out[0].status, EX_INVALID_SYMBOL);
    assert_string_equal(out[0].why.ptr, "symbol must be 2-20 uppercase letters or digits");
    assert_int_equal(out[1].status, EX_OK);
    assert_int_equal(ms_request_count(f->srv), BN_SNAPSHOT_REQS); /* ETHUSDT's only */
    for (size_t i = 0; i < ms_request_count(f->srv); i++)
        assert_non_null(strstr(ms_request_at(f->srv, i)->query, "symbol=ETHUSDT"));
    ex_snapshot_free(&out[0]);
    ex_snapshot_free(&out[1]);
}

static void test_no_http_client(void **state) {
    (void)state;
    bn_config c = test_config("http://127.0.0.1:9");
    exchange *ex = binance_exchange_new(NULL, &c);
    const char *symbols[] = {"BTCUSDT"};
    ex_snapshot snap;
    ex_snapshots(ex, symbols, 1, &spec, clock_wall_ms(), clock_wall_ms() + 1000, &snap);
    assert_int_equal(snap.status, EX_UNAVAILABLE);
    assert_string_equal(snap.why.ptr, "market data: the HTTP client could not start");
    ex_snapshot_free(&snap);
    order_book book;
    ex_error e;
    dstr err = {0};
    assert_int_equal(ex_orderbook(ex, "BTCUSDT", 5, clock_wall_ms() + 1000, &book, &e, &err),
                     EX_UNAVAILABLE);
    assert_int_equal(e.status, EX_UNAVAILABLE);
    assert_string_equal(err.ptr, "the HTTP client could not start");
    dstr_free(&err);
    ex_close(ex);
}

static void test_candles_and_orderbook(void **state) {
    fixture *f = *state;
    script(f, NULL, 0);
    int64_t now = clock_wall_ms();
    candles c;
    assert_int_equal(ex_candles(f->ex, "BTCUSDT", "5m", 50, now, now + 5000, &c, NULL, NULL),
                     EX_OK);
    assert_int_equal(c.n, 50);
    assert_true(c.v[c.n - 1].close_time < now);
    candles_free(&c);
    order_book book;
    assert_int_equal(ex_orderbook(f->ex, "BTCUSDT", 5, now + 5000, &book, NULL, NULL), EX_OK);
    assert_int_equal(book.n_bids, 2);
    order_book_free(&book);
    /* a refusal: the structured part and the line for people */
    ms_step bad = {.path = "/fapi/v1/depth",
                   .status = 400,
                   .body = "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}"};
    ms_script(f->srv, &bad, 1);
    ex_error e;
    dstr err = {0};
    assert_int_equal(ex_orderbook(f->ex, "NOPEUSDT", 5, now + 5000, &book, &e, &err),
                     EX_INVALID_SYMBOL);
    assert_int_equal(e.status, EX_INVALID_SYMBOL);
    assert_int_equal(e.http_status, 400);
    assert_int_equal(e.code, -1121);
    assert_string_equal(err.ptr, "Invalid symbol.");
    dstr_free(&err);
}

/* A Binance that accepts and never answers, with 5 s attempts and 3 retries:
 * snapshots, candles and the order book each return by the deadline (plus a
 * small margin) as a timeout. */
static void test_blackhole_deadline(void **state) {
    (void)state;
    blackhole *bh = bh_start();
    assert_non_null(bh);
    const char *base = bh_url(bh);
    bn_config cfg = {.base = base, .timeout_ms = 5000, .retries = 3, .backoff_ms = 200};
    http_client *http = http_client_new(NULL);
    exchange *ex = binance_exchange_new(http, &cfg);
    assert_non_null(ex);
    const char *symbols[] = {"BTCUSDT", "ETHUSDT"};
    ex_snapshot snaps[2] = {0};
    int64_t t0 = clock_wall_ms(), deadline = t0 + 500;
    ex_snapshots(ex, symbols, 2, &spec, t0, deadline, snaps);
    int64_t end = clock_wall_ms();
    if (end > deadline + 250) fail_msg("snapshots ended %lld ms late", (long long)(end - deadline));
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(snaps[i].status, EX_TIMEOUT);
        if (!strstr(dstr_cstr(&snaps[i].why), "timeout") &&
            !strstr(dstr_cstr(&snaps[i].why), "deadline"))
            fail_msg("no timeout in '%s'", dstr_cstr(&snaps[i].why));
        ex_snapshot_free(&snaps[i]);
    }
    candles c = {0};
    ex_error e;
    dstr err = {0};
    t0 = clock_wall_ms();
    assert_int_equal(ex_candles(ex, "BTCUSDT", "5m", 50, t0, t0 + 300, &c, &e, &err), EX_TIMEOUT);
    assert_true(clock_wall_ms() - t0 < 550);
    candles_free(&c);
    order_book book = {0};
    t0 = clock_wall_ms();
    assert_int_equal(ex_orderbook(ex, "BTCUSDT", 5, t0 + 300, &book, &e, &err), EX_TIMEOUT);
    assert_true(clock_wall_ms() - t0 < 550);
    order_book_free(&book);
    dstr_free(&err);
    ex_close(ex);
    http_client_free(http);
    bh_stop(bh);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_six_requests),
        cmocka_unit_test(test_assemble_drops_forming_keeps_bars),
        cmocka_unit_test(test_assemble_all_closed_keeps_newest),
        cmocka_unit_test(test_assemble_one_failure_names_it),
        cmocka_unit_test(test_assemble_counts_further_failures),
        cmocka_unit_test_setup_teardown(test_snapshots_two_symbols_one_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshots_failed_klines_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshots_invalid_symbol_not_sent, setup, teardown),
        cmocka_unit_test(test_no_http_client),
        cmocka_unit_test_setup_teardown(test_candles_and_orderbook, setup, teardown),
        cmocka_unit_test(test_blackhole_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
