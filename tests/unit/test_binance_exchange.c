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

/* ---- the account and order calls ------------------------------------------------ */

static const char key[] = "test-key-0123456789abcdef";
static const char secret_key[] = "test-secret-0123456789abcdef";

static int setup_account(void **state) {
    if (setup(state)) return -1;
    fixture *f = *state;
    ex_close(f->ex);
    bn_config c = test_config(ms_url(f->srv));
    c.api_key = key;
    c.api_secret = secret_key;
    c.retries = 3; /* reads may be retried; order writes never */
    c.timeout_ms = 600;
    f->ex = binance_exchange_new(f->http, &c);
    return 0;
}

static const char position_body[] =
    "[{\"symbol\":\"BTCUSDT\",\"positionSide\":\"BOTH\",\"positionAmt\":\"0.010\","
    "\"entryPrice\":\"65000\",\"breakEvenPrice\":\"65010\",\"markPrice\":\"65100\","
    "\"unRealizedProfit\":\"1.0\",\"liquidationPrice\":\"52000\",\"isolatedMargin\":\"0\","
    "\"notional\":\"651\",\"initialMargin\":\"130\",\"maintMargin\":\"2.6\","
    "\"updateTime\":1720736417660}]";
static const char open_order_body[] =
    "[{\"clientOrderId\":\"manual1\",\"orderId\":5,\"status\":\"NEW\",\"side\":\"SELL\","
    "\"type\":\"LIMIT\",\"price\":\"70000\",\"avgPrice\":\"0\",\"origQty\":\"0.010\","
    "\"executedQty\":\"0\",\"symbol\":\"BTCUSDT\",\"time\":1,\"updateTime\":1}]";
static const char algo_body[] =
    "{\"algoId\":11,\"clientAlgoId\":\"atr-BTCUSDT-x-S\",\"algoType\":\"CONDITIONAL\","
    "\"orderType\":\"STOP_MARKET\",\"symbol\":\"BTCUSDT\",\"side\":\"SELL\",\"quantity\":\"0.010\","
    "\"algoStatus\":\"NEW\",\"triggerPrice\":\"63000\",\"workingType\":\"MARK_PRICE\","
    "\"reduceOnly\":true,\"closePosition\":false,\"createTime\":1,\"updateTime\":1}";
static const char balance_body[] =
    "[{\"asset\":\"USDT\",\"balance\":\"1000.5\",\"crossWalletBalance\":\"1000.5\","
    "\"crossUnPnl\":\"1.0\",\"availableBalance\":\"870.25\",\"maxWithdrawAmount\":\"870.25\","
    "\"updateTime\":1}]";
static const char config_body[] =
    "[{\"symbol\":\"BTCUSDT\",\"marginType\":\"ISOLATED\",\"isAutoAddMargin\":false,"
    "\"leverage\":5,\"maxNotionalValue\":\"1000000\"}]";
static const char info_body[] =
    "{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\",\"filters\":["
    "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"556.80\",\"maxPrice\":\"4529764\","
    "\"tickSize\":\"0.10\"},{\"filterType\":\"LOT_SIZE\",\"stepSize\":\"0.001\","
    "\"maxQty\":\"1000\",\"minQty\":\"0.001\"},{\"filterType\":\"MIN_NOTIONAL\","
    "\"notional\":\"100\"}]},{\"symbol\":\"ETHUSDT\",\"status\":\"TRADING\",\"filters\":["
    "{\"filterType\":\"PRICE_FILTER\",\"tickSize\":\"0.01\"},{\"filterType\":\"LOT_SIZE\","
    "\"stepSize\":\"0.001\"}]}]}";
static const char trades_body[] =
    "[{\"commission\":\"-0.3\",\"commissionAsset\":\"USDT\",\"id\":1,\"maker\":false,"
    "\"orderId\":25,\"price\":\"65000\",\"qty\":\"0.010\",\"quoteQty\":\"650\","
    "\"realizedPnl\":\"0\",\"side\":\"BUY\",\"symbol\":\"BTCUSDT\",\"time\":1}]";
static const char income_body[] =
    "[{\"symbol\":\"BTCUSDT\",\"incomeType\":\"FUNDING_FEE\",\"income\":\"-0.05\","
    "\"asset\":\"USDT\",\"time\":1,\"tranId\":3,\"tradeId\":\"\"}]";

static const char *time_answer(dstr *b) {
    dstr_clear(b);
    dstr_printf(b, "{\"serverTime\":%lld}", (long long)clock_wall_ms());
    return b->ptr;
}

/* The whole account answering well after DELAY_MS; failing steps go first. */
static void script_account(fixture *f, dstr *tb, dstr *algos, const ms_step *first,
                           size_t n_first) {
    ms_step steps[24];
    size_t n = 0;
    for (size_t i = 0; i < n_first; i++) steps[n++] = first[i];
    dstr_clear(algos);
    dstr_printf(algos, "[%s]", algo_body);
    const ms_step all[] = {
        {.path = "/fapi/v1/klines", .body = f->klines.ptr},
        {.path = "/fapi/v1/depth", .body = canned_depth_body},
        {.path = "/fapi/v1/premiumIndex", .body = canned_premium_body},
        {.path = "/fapi/v3/positionRisk", .body = position_body},
        {.path = "/fapi/v1/openOrders", .body = open_order_body},
        {.path = "/fapi/v1/openAlgoOrders", .body = algos->ptr},
        {.path = "/fapi/v3/balance", .body = balance_body},
        {.path = "/fapi/v1/positionSide/dual", .body = "{\"dualSidePosition\":false}"},
        {.path = "/fapi/v1/symbolConfig", .body = config_body},
        {.path = "/fapi/v1/exchangeInfo", .body = info_body},
        {.path = "/fapi/v1/userTrades", .body = trades_body},
        {.path = "/fapi/v1/income", .body = income_body},
    };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        steps[n] = all[i];
        steps[n].repeat = 1;
        n++;
    }
    for (size_t i = 0; i < n; i++) steps[i].delay_ms = DELAY_MS;
    /* the clock sync comes first and alone: no delay */
    steps[n++] = (ms_step){.path = "/fapi/v1/time", .body = time_answer(tb), .repeat = 1};
    ms_script(f->srv, steps, n);
}

static const unsigned every_part = EX_READ_POSITIONS | EX_READ_OPEN_ORDERS |
                                   EX_READ_OPEN_ALGO_ORDERS | EX_READ_BALANCES |
                                   EX_READ_POSITION_MODE | EX_READ_SYMBOL_CONFIGS | EX_READ_RULES |
                                   EX_READ_TRADES | EX_READ_INCOME;

static void test_read_market_and_account_in_one_batch(void **state) {
    fixture *f = *state;
    dstr tb = {0}, algos = {0};
    script_account(f, &tb, &algos, NULL, 0);
    const char *symbols[] = {"BTCUSDT", "ETHUSDT"};
    ex_read_spec rs = {.symbols = symbols,
                       .n_symbols = 2,
                       .market = &spec,
                       .parts = every_part,
                       .since_ms = 1700000000000};
    ex_snapshot snaps[2];
    ex_account a;
    int64_t now = clock_wall_ms(), t0 = clock_mono_ms();
    ex_read(f->ex, &rs, now, now + 5000, snaps, &a);
    int64_t took = clock_mono_ms() - t0;
    /* 25 requests of DELAY_MS each (after the clock sync): one concurrent batch */
    if (took >= 3 * DELAY_MS) fail_msg("took %lld ms", (long long)took);
    /* 12 market, 1 time, positions, balance, mode, exchangeInfo, income, and
     * per symbol: open orders, open algo orders, configs, trades */
    assert_int_equal(ms_request_count(f->srv), 12 + 1 + 5 + 2 * 4);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(snaps[k].status, EX_OK);
        ex_snapshot_free(&snaps[k]);
    }
    ex_part *parts[] = {&a.positions_part, &a.orders_part,        &a.algo_orders_part,
                        &a.balances_part,  &a.position_mode_part, &a.configs_part,
                        &a.rules_part,     &a.trades_part,        &a.income_part};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        assert_true(parts[i]->asked);
        if (parts[i]->r.status) fail_msg("part %zu: %s", i, parts[i]->r.why.ptr);
    }
    assert_int_equal(a.n_positions, 1);
    const ex_position *p = ex_account_position(&a, "BTCUSDT");
    assert_non_null(p);
    assert_string_equal(p->amount_str, "0.010");
    assert_true(p->liquidation_price == 52000);
    assert_null(ex_account_position(&a, "ETHUSDT"));
    assert_int_equal(a.n_orders, 2); /* one answer per symbol, merged */
    assert_int_equal(a.n_algo_orders, 2);
    assert_int_equal(a.algo_orders[0].status, EX_ALGO_NEW);
    assert_int_equal(a.n_balances, 1);
    assert_true(a.balances[0].available_balance == 870.25);
    assert_int_equal(a.hedge_mode, 0);
    assert_non_null(ex_account_config(&a, "BTCUSDT"));
    assert_int_equal(ex_account_config(&a, "BTCUSDT")->leverage, 5);
    assert_int_equal(a.n_rules, 2);
    assert_int_equal(ex_account_rules(&a, "BTCUSDT")->tick.decimals, 1);
    assert_true(ex_account_rules(&a, "BTCUSDT")->min_notional == 100);
    assert_int_equal(a.n_trades, 2);
    assert_int_equal(a.n_income, 1);
    assert_string_equal(a.income[0].type, "FUNDING_FEE");
    /* per-symbol requests name their symbol; the history its start */
    for (size_t i = 0; i < ms_request_count(f->srv); i++) {
        const ms_request *r = ms_request_at(f->srv, i);
        if (strcmp(r->path, "/fapi/v1/openOrders") == 0 ||
            strcmp(r->path, "/fapi/v1/symbolConfig") == 0)
            assert_true(strncmp(r->query, "symbol=", 7) == 0);
        if (strcmp(r->path, "/fapi/v1/userTrades") == 0 || strcmp(r->path, "/fapi/v1/income") == 0)
            assert_non_null(strstr(r->query, "startTime=1700000000000"));
        if (strcmp(r->path, "/fapi/v3/balance") == 0)
            assert_string_equal(ms_header_get(r, "X-MBX-APIKEY"), key);
    }
    ex_account_free(&a);
    assert_null(a.positions);
    dstr_free(&tb);
    dstr_free(&algos);
}

static ex_order_request entry(void);

static size_t requests_to(fixture *f, const char *path) {
    size_t n = 0;
    for (size_t i = 0; i < ms_request_count(f->srv); i++)
        n += strcmp(ms_request_at(f->srv, i)->path, path) == 0;
    return n;
}

/* Reads the rules of symbols[0..n) at now; returns how many the read found. */
static size_t read_rules(fixture *f, const char *const *symbols, size_t n, int64_t now) {
    ex_read_spec rs = {.symbols = symbols, .n_symbols = n, .parts = EX_READ_RULES};
    ex_account a;
    ex_read(f->ex, &rs, now, clock_wall_ms() + 5000, NULL, &a);
    if (a.rules_part.r.status) fail_msg("rules: %s", a.rules_part.r.why.ptr);
    size_t got = a.n_rules;
    ex_account_free(&a);
    return got;
}

/* The exchange rules are kept for the warm process: read again only after
 * an order refused for a rule (-1111), after BN_RULES_MAX_AGE_MS, or for a
 * symbol the kept read did not ask. */
static void test_rules_kept_until_a_rule_error(void **state) {
    fixture *f = *state;
    dstr tb = {0}, algos = {0};
    const ms_step precision = {.path = "/fapi/v1/order",
                               .status = 400,
                               .body = "{\"code\":-1111,\"msg\":\"Precision is over the maximum "
                                       "defined for this asset.\"}"};
    script_account(f, &tb, &algos, &precision, 1);
    const char *both[] = {"BTCUSDT", "ETHUSDT"};
    int64_t now = clock_wall_ms();
    assert_int_equal(read_rules(f, both, 2, now), 2);
    assert_int_equal(requests_to(f, "/fapi/v1/exchangeInfo"), 1);
    assert_int_equal(read_rules(f, both, 2, now + 1000), 2); /* kept */
    assert_int_equal(read_rules(f, both + 1, 1, now + 2000), 1);
    assert_int_equal(requests_to(f, "/fapi/v1/exchangeInfo"), 1);
    /* an order refused for its precision: the next read asks again */
    ex_order_request q = entry();
    ex_order o;
    ex_error e = {0};
    assert_int_equal(ex_place_order(f->ex, &q, clock_wall_ms() + 5000, &o, &e, NULL), EX_REJECTED);
    assert_int_equal(e.code, -1111);
    assert_non_null(strstr(f->log.ptr, "\"event\":\"binance.rules_stale\""));
    assert_int_equal(read_rules(f, both, 2, now + 3000), 2);
    assert_int_equal(requests_to(f, "/fapi/v1/exchangeInfo"), 2);
    assert_int_equal(read_rules(f, both, 2, now + 4000), 2);
    assert_int_equal(requests_to(f, "/fapi/v1/exchangeInfo"), 2);
    /* too old, or a symbol not asked before: asked again */
    assert_int_equal(read_rules(f, both, 2, now + 4000 + BN_RULES_MAX_AGE_MS + 1), 2);
    assert_int_equal(requests_to(f, "/fapi/v1/exchangeInfo"), 3);
    const char *sol[] = {"SOLUSDT"};
    assert_int_equal(read_rules(f, sol, 1, now + 4000 + BN_RULES_MAX_AGE_MS + 2), 0);
    assert_int_equal(requests_to(f, "/fapi/v1/exchangeInfo"), 4);
    assert_false(bn_rules_error(-2019)); /* margin: not a rule */
    assert_true(bn_rules_error(-4164));
    dstr_free(&tb);
    dstr_free(&algos);
}

static void test_read_failed_part_alone(void **state) {
    fixture *f = *state;
    dstr tb = {0}, algos = {0};
    ms_step bad = {.path = "/fapi/v1/openAlgoOrders",
                   .status = 400,
                   .body = "{\"code\":-1102,\"msg\":\"Mandatory parameter was not sent.\"}"};
    script_account(f, &tb, &algos, &bad, 1);
    const char *symbols[] = {"BTCUSDT", "ETHUSDT"};
    ex_read_spec rs = {
        .symbols = symbols, .n_symbols = 2, .parts = EX_READ_POSITIONS | EX_READ_OPEN_ALGO_ORDERS};
    ex_account a;
    int64_t now = clock_wall_ms();
    ex_read(f->ex, &rs, now, now + 5000, NULL, &a);
    assert_int_equal(a.positions_part.r.status, EX_OK);
    assert_int_equal(a.n_positions, 1);
    assert_int_equal(a.algo_orders_part.r.status, EX_REJECTED);
    assert_int_equal(a.algo_orders_part.r.e.code, -1102);
    assert_true(strncmp(a.algo_orders_part.r.why.ptr, "openAlgoOrders ", 15) == 0);
    assert_non_null(strstr(a.algo_orders_part.r.why.ptr,
                           "rejected (HTTP 400): Mandatory parameter was not sent."));
    assert_int_equal(a.n_algo_orders, 0); /* no partial list */
    assert_null(a.algo_orders);
    assert_false(a.balances_part.asked);
    assert_false(a.rules_part.asked);
    /* invalid symbols are not sent; trades need a symbol */
    ex_account_free(&a);
    ms_reset(f->srv);
    const char *odd[] = {"btc/usdt"};
    ex_read_spec rs2 = {.symbols = odd, .n_symbols = 1, .parts = EX_READ_OPEN_ORDERS};
    ex_read(f->ex, &rs2, now, now + 5000, NULL, &a);
    assert_int_equal(a.orders_part.r.status, EX_INVALID_SYMBOL);
    assert_int_equal(ms_request_count(f->srv), 0);
    ex_account_free(&a);
    ex_read_spec rs3 = {.parts = EX_READ_TRADES | EX_READ_OPEN_ORDERS};
    ex_read(f->ex, &rs3, now, now + 5000, NULL, &a);
    assert_int_equal(a.trades_part.r.status, EX_INVALID_SYMBOL);
    assert_int_equal(a.orders_part.r.status, EX_OK); /* no symbol: the whole account */
    assert_int_equal(ms_request_count(f->srv), 1);
    assert_string_equal(ms_request_at(f->srv, 0)->path, "/fapi/v1/openOrders");
    assert_null(strstr(ms_request_at(f->srv, 0)->query, "symbol="));
    ex_account_free(&a);
    dstr_free(&tb);
    dstr_free(&algos);
}

static void test_no_keys_no_account(void **state) {
    fixture *f = *state; /* the market-data-only exchange */
    script(f, NULL, 0);
    ex_read_spec rs = {.parts = EX_READ_BALANCES | EX_READ_RULES};
    ex_account a;
    ex_read(f->ex, &rs, clock_wall_ms(), clock_wall_ms() + 5000, NULL, &a);
    assert_int_equal(a.balances_part.r.status, EX_UNAVAILABLE);
    assert_string_equal(a.balances_part.r.why.ptr, "no Binance API key and secret configured");
    ex_account_free(&a);
    ex_order_request q = {.type = EX_MARKET};
    snprintf(q.symbol, sizeof q.symbol, "BTCUSDT");
    snprintf(q.quantity, sizeof q.quantity, "1");
    snprintf(q.client_id, sizeof q.client_id, "atr-1");
    ex_order o;
    ex_error e;
    dstr err = {0};
    assert_int_equal(ex_place_order(f->ex, &q, clock_wall_ms() + 5000, &o, &e, &err),
                     EX_UNAVAILABLE);
    assert_string_equal(err.ptr, "no Binance API key and secret configured");
    /* only exchangeInfo (public) went out */
    assert_int_equal(ms_request_count(f->srv), 1);
    assert_string_equal(ms_request_at(f->srv, 0)->path, "/fapi/v1/exchangeInfo");
    dstr_free(&err);
}

static void test_configure_benign_codes(void **state) {
    fixture *f = *state;
    dstr tb = {0};
    ms_step steps[] = {
        {.path = "/fapi/v1/time", .body = time_answer(&tb), .repeat = 1},
        {.path = "/fapi/v1/positionSide/dual",
         .status = 400,
         .body = "{\"code\":-4059,\"msg\":\"No need to change position side.\"}"},
        {.path = "/fapi/v1/marginType",
         .status = 400,
         .body = "{\"code\":-4046,\"msg\":\"No need to change margin type.\"}"},
        {.path = "/fapi/v1/marginType",
         .status = 400,
         .body = "{\"code\":-4048,\"msg\":\"Margin type cannot be changed if there exists "
                 "position.\"}"},
        {.path = "/fapi/v1/leverage",
         .body = "{\"leverage\":5,\"maxNotionalValue\":\"1000000\",\"symbol\":\"BTCUSDT\"}"},
    };
    ms_script(f->srv, steps, 5);
    ex_setup setups[5] = {
        {.what = EX_SET_POSITION_MODE, .hedge_mode = 0},
        {.what = EX_SET_MARGIN_TYPE, .symbol = "BTCUSDT", .margin_type = EX_ISOLATED},
        {.what = EX_SET_LEVERAGE, .symbol = "BTCUSDT", .leverage = 5},
        {.what = EX_SET_LEVERAGE, .symbol = "nope!", .leverage = 5},
    };
    ex_result out[4];
    ex_configure(f->ex, setups, 3, clock_wall_ms() + 5000, out);
    for (int i = 0; i < 3; i++) {
        if (out[i].status) fail_msg("set-up %d: %s", i, out[i].why.ptr);
        assert_int_equal(out[i].why.len, 0);
        ex_result_free(&out[i]);
    }
    /* the second margin type answer: a position exists */
    setups[0] = (ex_setup){.what = EX_SET_MARGIN_TYPE, .symbol = "ETHUSDT"};
    setups[1] = setups[3];
    ex_configure(f->ex, setups, 2, clock_wall_ms() + 5000, out);
    assert_int_equal(out[0].status, EX_REJECTED);
    assert_int_equal(out[0].e.code, -4048);
    assert_int_equal(out[1].status, EX_REJECTED); /* not sent */
    assert_non_null(strstr(out[1].why.ptr, "not sent"));
    size_t posts = 0;
    for (size_t i = 0; i < ms_request_count(f->srv); i++) {
        const ms_request *r = ms_request_at(f->srv, i);
        posts += strcmp(r->method, "POST") == 0;
        if (strcmp(r->path, "/fapi/v1/marginType") == 0 && strstr(r->body, "ETHUSDT"))
            assert_non_null(strstr(r->body, "marginType=CROSSED"));
    }
    assert_int_equal(posts, 4);
    ex_result_free(&out[0]);
    ex_result_free(&out[1]);
    dstr_free(&tb);
}

static const char filled[] =
    "{\"clientOrderId\":\"atr-BTCUSDT-x-E\",\"cumQuote\":\"650.12\",\"executedQty\":\"0.010\","
    "\"orderId\":22542179,\"avgPrice\":\"65012.0\",\"origQty\":\"0.010\",\"price\":\"0\","
    "\"reduceOnly\":false,\"side\":\"BUY\",\"positionSide\":\"BOTH\",\"status\":\"FILLED\","
    "\"symbol\":\"BTCUSDT\",\"timeInForce\":\"GTC\",\"type\":\"MARKET\",\"origType\":\"MARKET\","
    "\"updateTime\":1566818724722}";

static ex_order_request entry(void) {
    ex_order_request q = {.side = EX_BUY, .type = EX_MARKET};
    snprintf(q.symbol, sizeof q.symbol, "BTCUSDT");
    snprintf(q.quantity, sizeof q.quantity, "0.010");
    snprintf(q.client_id, sizeof q.client_id, "atr-BTCUSDT-x-E");
    return q;
}

static void test_place_order_fill_and_events(void **state) {
    fixture *f = *state;
    dstr tb = {0};
    ms_step steps[] = {{.path = "/fapi/v1/time", .body = time_answer(&tb), .repeat = 1},
                       {.path = "/fapi/v1/order", .body = filled}};
    ms_script(f->srv, steps, 2);
    ex_order_request q = entry();
    ex_order o;
    ex_error e = {0};
    dstr err = {0};
    assert_int_equal(ex_place_order(f->ex, &q, clock_wall_ms() + 5000, &o, &e, &err), EX_OK);
    assert_int_equal(err.len, 0);
    assert_int_equal(o.status, EX_ORDER_FILLED);
    assert_true(o.avg_price == 65012.0);
    assert_string_equal(o.executed_qty_str, "0.010");
    assert_non_null(strstr(f->log.ptr, "\"event\":\"binance.order.request\""));
    assert_non_null(strstr(f->log.ptr, "newOrderRespType=RESULT"));
    assert_non_null(strstr(f->log.ptr, "\"event\":\"binance.order.response\""));
    assert_non_null(strstr(f->log.ptr, "\\\"orderId\\\":22542179")); /* the raw answer */
    assert_null(strstr(f->log.ptr, "signature"));

    /* no answer in time: unknown, and sent once although reads retry 3 times */
    ms_reset(f->srv);
    ms_step slow[] = {{.path = "/fapi/v1/order", .body = filled, .delay_ms = 2000, .repeat = 1}};
    ms_script(f->srv, slow, 1);
    int64_t t0 = clock_mono_ms();
    assert_int_equal(ex_place_order(f->ex, &q, clock_wall_ms() + 5000, &o, &e, &err), EX_UNKNOWN);
    assert_true(clock_mono_ms() - t0 < 1500);
    assert_int_equal(e.status, EX_UNKNOWN);
    assert_int_equal(ms_request_count(f->srv), 1);
    assert_int_equal(o.order_id, 0);
    assert_non_null(strstr(err.ptr, "order: outcome_unknown"));
    /* refused before sending */
    ms_reset(f->srv);
    snprintf(q.client_id, sizeof q.client_id, "no spaces allowed");
    dstr_clear(&err);
    assert_int_equal(ex_place_order(f->ex, &q, clock_wall_ms() + 5000, &o, &e, &err), EX_REJECTED);
    assert_int_equal(ms_request_count(f->srv), 0);
    dstr_free(&err);
    dstr_free(&tb);
}

static ex_algo_request leg(ex_algo_type type, const char *trigger, const char *id) {
    ex_algo_request q = {.side = EX_SELL, .type = type, .reduce_only = 1};
    snprintf(q.symbol, sizeof q.symbol, "BTCUSDT");
    snprintf(q.trigger_price, sizeof q.trigger_price, "%s", trigger);
    snprintf(q.quantity, sizeof q.quantity, "0.010");
    snprintf(q.client_id, sizeof q.client_id, "%s", id);
    return q;
}

static void test_place_two_legs_concurrently(void **state) {
    fixture *f = *state;
    dstr tb = {0};
    ms_step steps[] = {
        {.path = "/fapi/v1/time", .body = time_answer(&tb), .repeat = 1},
        {.path = "/fapi/v1/algoOrder", .body = algo_body, .delay_ms = DELAY_MS},
        {.path = "/fapi/v1/algoOrder",
         .status = 400,
         .body = "{\"code\":-2021,\"msg\":\"Order would immediately trigger.\"}",
         .delay_ms = DELAY_MS},
    };
    ms_script(f->srv, steps, 3);
    ex_algo_request legs[2] = {leg(EX_STOP_MARKET, "63000.0", "atr-BTCUSDT-x-S"),
                               leg(EX_TAKE_PROFIT_MARKET, "70000.0", "atr-BTCUSDT-x-T")};
    ex_algo_placed out[2];
    ex_place_algo_orders(f->ex, legs, 2, clock_wall_ms() + 5000, out); /* syncs the clock */
    int ok = 0, refused = 0;
    for (int i = 0; i < 2; i++) {
        if (out[i].r.status == EX_OK) {
            ok++;
            assert_int_equal(out[i].algo.algo_id, 11);
        } else {
            refused++;
            assert_int_equal(out[i].r.status, EX_REJECTED);
            assert_int_equal(out[i].r.e.code, -2021);
            assert_non_null(strstr(out[i].r.why.ptr, "Order would immediately trigger."));
        }
        ex_algo_placed_free(&out[i]);
    }
    assert_int_equal(ok, 1);
    assert_int_equal(refused, 1);
    /* concurrent: two legs of DELAY_MS in about one DELAY_MS */
    ms_step both[] = {
        {.path = "/fapi/v1/algoOrder", .body = algo_body, .delay_ms = DELAY_MS, .repeat = 1}};
    ms_reset(f->srv);
    ms_script(f->srv, both, 1);
    int64_t t0 = clock_mono_ms();
    ex_place_algo_orders(f->ex, legs, 2, clock_wall_ms() + 5000, out);
    int64_t took = clock_mono_ms() - t0;
    if (took >= 2 * DELAY_MS) fail_msg("two legs took %lld ms", (long long)took);
    assert_int_equal(ms_request_count(f->srv), 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(out[i].r.status, EX_OK);
        ex_algo_placed_free(&out[i]);
        const ms_request *r = ms_request_at(f->srv, (size_t)i);
        assert_string_equal(r->method, "POST");
        assert_non_null(strstr(r->body, "algoType=CONDITIONAL"));
        assert_non_null(strstr(r->body, "workingType=MARK_PRICE&reduceOnly=true"));
    }
    assert_int_equal(count_of(f->log.ptr, "\"event\":\"binance.order.request\""), 4);
    dstr_free(&tb);
}

static void test_query_and_cancel_by_client_id(void **state) {
    fixture *f = *state;
    dstr tb = {0};
    ms_step steps[] = {
        {.path = "/fapi/v1/time", .body = time_answer(&tb), .repeat = 1},
        {.path = "/fapi/v1/order", .body = filled},
        {.path = "/fapi/v1/algoOrder",
         .status = 400,
         .body = "{\"code\":-2013,\"msg\":\"Order does not exist.\"}"},
    };
    ms_script(f->srv, steps, 3);
    ex_order_ref refs[2] = {{.symbol = "BTCUSDT", .client_id = "atr-BTCUSDT-x-E"},
                            {.symbol = "BTCUSDT", .client_id = "atr-BTCUSDT-x-S", .algo = 1}};
    ex_lookup out[2];
    ex_query(f->ex, refs, 2, clock_wall_ms() + 5000, out);
    assert_int_equal(out[0].r.status, EX_OK);
    assert_int_equal(out[0].order.order_id, 22542179);
    assert_int_equal(out[1].r.status, EX_NOT_FOUND);
    assert_int_equal(out[1].r.e.code, -2013);
    for (size_t i = 0; i < ms_request_count(f->srv); i++) {
        const ms_request *r = ms_request_at(f->srv, i);
        if (strcmp(r->path, "/fapi/v1/order") == 0) {
            assert_string_equal(r->method, "GET");
            assert_non_null(strstr(r->query, "symbol=BTCUSDT&origClientOrderId=atr-BTCUSDT-x-E"));
        }
        if (strcmp(r->path, "/fapi/v1/algoOrder") == 0)
            assert_non_null(strstr(r->query, "clientAlgoId=atr-BTCUSDT-x-S"));
    }
    ex_lookup_free(&out[0]);
    ex_lookup_free(&out[1]);

    ms_reset(f->srv);
    ms_step cancels[] = {
        {.path = "/fapi/v1/order",
         .status = 400,
         .body = "{\"code\":-2011,\"msg\":\"Unknown order sent.\"}"},
        {.path = "/fapi/v1/algoOrder",
         .body = "{\"algoId\":11,\"clientAlgoId\":\"atr-BTCUSDT-x-S\",\"code\":\"200\","
                 "\"msg\":\"success\"}"},
    };
    ms_script(f->srv, cancels, 2);
    ex_cancel(f->ex, refs, 2, clock_wall_ms() + 5000, out);
    assert_int_equal(out[0].r.status, EX_NOT_FOUND);
    assert_int_equal(out[1].r.status, EX_OK);
    assert_int_equal(out[1].algo.algo_id, 11);
    assert_int_equal(ms_request_count(f->srv), 2);
    for (size_t i = 0; i < 2; i++) assert_string_equal(ms_request_at(f->srv, i)->method, "DELETE");
    ex_lookup_free(&out[0]);
    ex_lookup_free(&out[1]);
    dstr_free(&tb);
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
        cmocka_unit_test_setup_teardown(test_read_market_and_account_in_one_batch, setup_account,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_failed_part_alone, setup_account, teardown),
        cmocka_unit_test_setup_teardown(test_rules_kept_until_a_rule_error, setup_account,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_keys_no_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure_benign_codes, setup_account, teardown),
        cmocka_unit_test_setup_teardown(test_place_order_fill_and_events, setup_account, teardown),
        cmocka_unit_test_setup_teardown(test_place_two_legs_concurrently, setup_account, teardown),
        cmocka_unit_test_setup_teardown(test_query_and_cancel_by_client_id, setup_account,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
