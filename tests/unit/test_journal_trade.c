/* journal_trade: the rules a trade must obey, its record and key (the
 * exchange's ids), net PnL in exact decimal, create-only writes (a second
 * write of the same fill is "already journaled"), unwritten trades logged in
 * full, CSV escaping and the CSV of the newest records (corrupt objects
 * skipped), the stored record's parser, a day's PnL and the last stop-outs,
 * in a fresh file store per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/journal.h"
#include "services/journal_trade.h"
#include "platform/log.h"
#include "jfix.h"

#define DAY 86400000LL
#define T0 1767180907042LL /* 2025-12-31T11:35:07.042Z */

typedef jfix fixture;
#define setup jfix_setup
#define teardown jfix_teardown

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static journal_trade a_trade(void) {
    return (journal_trade){.time_ms = T0,
                           .symbol = "BTCUSDT",
                           .side = "BUY",
                           .type = "LIMIT",
                           .status = "NEW",
                           .qty = "0.010",
                           .price = "50000.00",
                           .order_id = 12345678,
                           .client_order_id = "trd-BTC/1:E",
                           .raw_json = "{\"orderId\":12345678,\"status\":\"NEW\"}"};
}

/* ---- the rules -------------------------------------------------------------------- */

typedef struct rule_case {
    const char *field, *value; /* the one field changed from a_trade() */
    long long number;          /* for time and order_id */
    const char *error;         /* substring of the refusal; NULL: accepted */
} rule_case;

/* clang-format off */
static const rule_case rule_cases[] = {
    {"none", NULL, 0, NULL},
    {"time", NULL, -1, "time"},
    {"time", NULL, 253402300800000LL, "time"},
    {"symbol", "btcusdt", 0, "symbol"},
    {"symbol", NULL, 0, "symbol"},
    {"side", "buy", 0, "side must be BUY or SELL"},
    {"side", "SELL", 0, NULL},
    {"type", "", 0, "type"},
    {"type", "LIMIT ORDER", 0, "type"},
    {"type", "TAKE_PROFIT_MARKET", 0, NULL},
    {"status", NULL, 0, "status"},
    {"status", "PARTIALLY_FILLED", 0, NULL},
    {"qty", "-1", 0, "qty"},
    {"qty", "1e3", 0, "qty"},
    {"qty", "1.", 0, "qty"},
    {"qty", ".5", 0, "qty"},
    {"qty", NULL, 0, NULL},
    {"qty", "12345678901234567890123456789012345678901", 0, "qty"},
    {"price", "abc", 0, "price"},
    {"price", "0", 0, NULL},
    {"pnl", "-0.5", 0, NULL},
    {"pnl", "--1", 0, "realized_pnl"},
    {"pnl", "+1", 0, "realized_pnl"},
    {"order_id", NULL, -5, "order_id"},
    {"order_id", NULL, 0, NULL},
    {"trade_id", NULL, -1, "trade_id"},
    {"trade_id", NULL, 7, NULL},
    {"fee", "-0.1", 0, "fee must"},
    {"fee", "0.0245", 0, NULL},
    {"fee_asset", "usdt", 0, "fee_asset"},
    {"fee_asset", "ABCDEFGHIJKLMNOPQ", 0, "fee_asset"},
    {"fee_asset", "BNB", 0, NULL},
    {"funding", "-1.5", 0, NULL},
    {"funding", "1,5", 0, "funding"},
    {"client_order_id", "has space", 0, "client_order_id"},
    {"client_order_id", "a,b", 0, "client_order_id"},
    {"client_order_id", "x23456789012345678901234567890123456", 0, NULL},
    {"client_order_id", "x234567890123456789012345678901234567", 0, "client_order_id"},
    {"client_order_id", "", 0, "client_order_id"},
    {"kind", "Fill", 0, "kind"},
    {"kind", "fill", 0, NULL},
    {"raw", "[1]", 0, "raw"},
    {"raw", "{", 0, "raw"},
    {"raw", NULL, 0, NULL},
};
/* clang-format on */

static journal_trade changed(const rule_case *c) {
    journal_trade t = a_trade();
    const char *f = c->field;
    if (!strcmp(f, "time")) t.time_ms = c->number;
    else if (!strcmp(f, "symbol")) t.symbol = c->value;
    else if (!strcmp(f, "side")) t.side = c->value;
    else if (!strcmp(f, "type")) t.type = c->value;
    else if (!strcmp(f, "status")) t.status = c->value;
    else if (!strcmp(f, "qty")) t.qty = c->value;
    else if (!strcmp(f, "price")) t.price = c->value;
    else if (!strcmp(f, "pnl")) t.realized_pnl = c->value;
    else if (!strcmp(f, "order_id")) t.order_id = c->number;
    else if (!strcmp(f, "trade_id")) t.trade_id = c->number;
    else if (!strcmp(f, "fee")) t.fee = c->value;
    else if (!strcmp(f, "fee_asset")) t.fee_asset = c->value;
    else if (!strcmp(f, "funding")) t.funding = c->value;
    else if (!strcmp(f, "client_order_id")) t.client_order_id = c->value;
    else if (!strcmp(f, "kind")) t.kind = c->value;
    else if (!strcmp(f, "raw")) t.raw_json = c->value;
    return t;
}

static void test_rules(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof rule_cases / sizeof *rule_cases; i++) {
        const rule_case *c = &rule_cases[i];
        journal_trade t = changed(c);
        dstr why = {0};
        int rc = journal_trade_check(&t, &why);
        if (c->error && (rc != -1 || !strstr(dstr_cstr(&why), c->error)))
            fail_msg("case %zu (%s=%s): want '%s', got rc=%d '%s'", i, c->field,
                     c->value ? c->value : "", c->error, rc, dstr_cstr(&why));
        if (!c->error && rc != 0)
            fail_msg("case %zu (%s): refused: %s", i, c->field, dstr_cstr(&why));
        dstr_free(&why);
    }
}

/* ---- the record and its key --------------------------------------------------------- */

static void test_record_and_key(void **state) {
    (void)state;
    journal_trade t = a_trade();
    dstr json = {0};
    journal_trade_json(&t, &json);
    assert_string_equal(json.ptr, "{\"time\":1767180907042,\"symbol\":\"BTCUSDT\",\"side\":\"BUY\","
                                  "\"type\":\"LIMIT\",\"qty\":\"0.010\",\"price\":\"50000.00\","
                                  "\"status\":\"NEW\",\"order_id\":12345678,\"trade_id\":null,"
                                  "\"client_order_id\":\"trd-BTC/1:E\",\"realized_pnl\":null,"
                                  "\"fee\":null,\"fee_asset\":null,\"funding\":null,"
                                  "\"net_pnl\":null,\"kind\":\"order\","
                                  "\"raw\":{\"orderId\":12345678,\"status\":\"NEW\"}}");
    char key[128];
    assert_int_equal(journal_trade_key(&t, key, sizeof key), 0);
    assert_string_equal(key, "trades/20251231/113507042_BTCUSDT_12345678.json");
    assert_true(store_key_valid(key, NULL));
    /* one fill of the order: its trade id joins the key; the client id never does */
    t.trade_id = 987;
    t.client_order_id = NULL;
    assert_int_equal(journal_trade_key(&t, key, sizeof key), 0);
    assert_string_equal(key, "trades/20251231/113507042_BTCUSDT_12345678_987.json");
    t.order_id = 0; /* no exchange id: no key */
    assert_int_equal(journal_trade_key(&t, key, sizeof key), -1);
    t.order_id = 1;
    t.side = "sell";
    assert_int_equal(journal_trade_key(&t, key, sizeof key), -1);
    dstr_free(&json);
}

static const struct {
    const char *pnl, *fee, *asset, *funding, *net; /* net NULL: unknown */
} net_cases[] = {
    {"-15.5", "0.0245", "USDT", NULL, "-15.5245"},
    {"12", NULL, NULL, NULL, "12"},
    {"0", "0.01", "USDT", NULL, "-0.01"},
    {"0.01", "0.01", "USDT", NULL, "0.00"},
    {"10.5", "0.5", "USDT", "-0.25", "9.75"},
    {"10", "0.5", "BNB", NULL, NULL},                  /* a fee in another asset cannot be netted */
    {"10", "0.5", NULL, NULL, NULL},                   /* nor one in an unknown asset */
    {NULL, "0.5", "USDT", NULL, NULL},                 /* no realised PnL: unknown */
    {"1.0000000000000000001", NULL, NULL, NULL, NULL}, /* past 18 decimals: not exact */
    {"-99999999999999999.12345678", "0.00000001", "USDT", "0.5", "-99999999999999998.62345679"},
};

static void test_net_pnl_is_exact(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof net_cases / sizeof *net_cases; i++) {
        journal_trade t = a_trade();
        t.realized_pnl = net_cases[i].pnl;
        t.fee = net_cases[i].fee;
        t.fee_asset = net_cases[i].asset;
        t.funding = net_cases[i].funding;
        char net[64] = "";
        int rc = journal_trade_net_pnl(&t, net, sizeof net);
        if (net_cases[i].net ? rc != 0 || strcmp(net, net_cases[i].net) != 0 : rc != -1)
            fail_msg("case %zu: rc %d net '%s', want '%s'", i, rc, net,
                     net_cases[i].net ? net_cases[i].net : "(unknown)");
    }
    journal_trade t = a_trade();
    t.realized_pnl = "-15.5";
    char tiny[4];
    assert_int_equal(journal_trade_net_pnl(&t, tiny, sizeof tiny), -1); /* does not fit */
}

static void test_put_is_create_only(void **state) {
    fixture *f = *state;
    journal_trade t = a_trade();
    t.status = "FILLED";
    dstr key = {0}, err = {0};
    assert_int_equal(journal_trade_put(f->t.s, &t, &key, &err), JOURNAL_OK);
    assert_string_equal(key.ptr, "trades/20251231/113507042_BTCUSDT_12345678.json");
    assert_int_equal(err.len, 0);
    /* the same order again (a retried run, then reconcile): already journaled */
    t.status = "CANCELED";
    t.kind = "reconcile_close";
    assert_int_equal(journal_trade_put(f->t.s, &t, &key, &err), JOURNAL_EXISTS);
    assert_int_equal(key.len, 0);
    assert_non_null(strstr(dstr_cstr(&err), "already journaled"));
    assert_null(strstr(dstr_cstr(&f->log), "journal.unwritten"));
    dstr got = {0};
    assert_int_equal(
        store_get(f->t.s, "trades/20251231/113507042_BTCUSDT_12345678.json", &got, NULL), STORE_OK);
    cJSON *rec = cJSON_Parse(got.ptr);
    assert_string_equal(cJSON_GetObjectItem(rec, "status")->valuestring, "FILLED");
    cJSON_Delete(rec);
    /* no suffixed copy */
    store_page page = {0};
    assert_int_equal(store_list(f->t.s, "trades/", NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 1);
    store_page_free(&page);
    /* another fill of that order is another record */
    t.trade_id = 2;
    assert_int_equal(journal_trade_put(f->t.s, &t, &key, NULL), JOURNAL_OK);
    assert_string_equal(key.ptr, "trades/20251231/113507042_BTCUSDT_12345678_2.json");
    dstr_free(&got);
    dstr_free(&key);
    dstr_free(&err);
}

/* The "journal.unwritten" event of kind trade in the captured log. */
static cJSON *unwritten_trade(const char *log) {
    for (const char *line = log; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        cJSON *ev = cJSON_ParseWithLength(line, len);
        const cJSON *name = cJSON_GetObjectItem(ev, "event"),
                    *kind = cJSON_GetObjectItem(ev, "kind");
        if (cJSON_IsString(name) && !strcmp(name->valuestring, "journal.unwritten") &&
            cJSON_IsString(kind) && !strcmp(kind->valuestring, "trade"))
            return ev;
        cJSON_Delete(ev);
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

static void test_unwritten_trades_are_logged_in_full(void **state) {
    fixture *f = *state;
    journal_trade t = a_trade();
    /* no store */
    dstr err = {0};
    assert_int_equal(journal_trade_put(NULL, &t, NULL, &err), JOURNAL_UNWRITTEN);
    assert_non_null(strstr(dstr_cstr(&err), "unavailable"));
    cJSON *ev = unwritten_trade(f->log.ptr);
    assert_non_null(ev);
    assert_string_equal(cJSON_GetObjectItem(ev, "level")->valuestring, "ERROR");
    assert_string_equal(cJSON_GetObjectItem(ev, "symbol")->valuestring, "BTCUSDT");
    assert_string_equal(cJSON_GetObjectItem(ev, "key")->valuestring,
                        "trades/20251231/113507042_BTCUSDT_12345678.json");
    const cJSON *rec = cJSON_GetObjectItem(ev, "record");
    assert_string_equal(cJSON_GetObjectItem(rec, "qty")->valuestring, "0.010");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "raw"), "orderId")->valuedouble,
                     12345678);
    cJSON_Delete(ev);

    /* a trade that breaks a rule is not written but kept in the log */
    dstr_clear(&f->log);
    t.side = "buy";
    t.raw_json = "not json";
    dstr key = {0};
    dstr_puts(&key, "stale");
    assert_int_equal(journal_trade_put(f->t.s, &t, &key, NULL), JOURNAL_INVALID);
    assert_int_equal(key.len, 0);
    ev = unwritten_trade(f->log.ptr);
    assert_non_null(ev);
    assert_non_null(strstr(cJSON_GetObjectItem(ev, "error")->valuestring, "side"));
    rec = cJSON_GetObjectItem(ev, "record");
    assert_string_equal(cJSON_GetObjectItem(rec, "side")->valuestring, "buy");
    assert_string_equal(cJSON_GetObjectItem(rec, "raw")->valuestring, "not json");
    cJSON_Delete(ev);
    store_page page = {0};
    assert_int_equal(store_list(f->t.s, "trades/", NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 0);
    store_page_free(&page);

    /* the store fails: an object where the day's "directory" must go */
    dstr_clear(&f->log);
    assert_int_equal(store_put(f->t.s, "trades/20251231", "x", 1, NULL), STORE_OK);
    t = a_trade();
    assert_int_equal(journal_trade_put(f->t.s, &t, &key, NULL), JOURNAL_UNWRITTEN);
    ev = unwritten_trade(f->log.ptr);
    assert_non_null(ev);
    assert_string_equal(cJSON_GetObjectItem(ev, "key")->valuestring,
                        "trades/20251231/113507042_BTCUSDT_12345678.json");
    cJSON_Delete(ev);
    /* a trade without the exchange's order id has no key */
    dstr_clear(&f->log);
    t.order_id = 0;
    assert_int_equal(journal_trade_put(f->t.s, &t, &key, NULL), JOURNAL_INVALID);
    ev = unwritten_trade(f->log.ptr);
    assert_non_null(ev);
    assert_non_null(strstr(cJSON_GetObjectItem(ev, "error")->valuestring, "order_id"));
    cJSON_Delete(ev);
    assert_int_equal(journal_trade_put(f->t.s, NULL, NULL, NULL), JOURNAL_INVALID);
    dstr_free(&key);
    dstr_free(&err);
}

/* ---- CSV ------------------------------------------------------------------------------- */

static const struct {
    const char *in, *out;
} escape_cases[] = {
    {"plain", "plain"},       {"", ""},
    {"a,b", "\"a,b\""},       {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"\"", "\"\"\"\""},       {"two\nlines", "\"two\nlines\""},
    {"cr\r", "\"cr\r\""},     {"semi;colon", "semi;colon"},
    {" spaced ", " spaced "}, {"-15.5", "-15.5"},
    {"x/1:E", "x/1:E"},
};

static void test_csv_field_escaping(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof escape_cases / sizeof *escape_cases; i++) {
        dstr out = {0};
        journal_trade_csv_field(&out, escape_cases[i].in, strlen(escape_cases[i].in));
        if (strcmp(dstr_cstr(&out), escape_cases[i].out) != 0)
            fail_msg("case %zu: '%s' -> '%s', want '%s'", i, escape_cases[i].in, dstr_cstr(&out),
                     escape_cases[i].out);
        dstr_free(&out);
    }
}

static void iso(int64_t ms, char *buf, size_t cap) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char s[32];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%03dZ", s, (int)(ms % 1000));
}

static void put_trade(fixture *f, journal_trade t) {
    if (journal_trade_put(f->t.s, &t, NULL, NULL) != JOURNAL_OK)
        fail_msg("put failed: %s", f->log.ptr);
}

static void put_object(fixture *f, int64_t at, const char *name, const char *json) {
    char stem[128];
    assert_int_equal(recordkey_stem(JOURNAL_TRADE_PREFIX, at, name, stem, sizeof stem), 0);
    dstr key = {0};
    dstr_printf(&key, "%s.json", stem);
    assert_int_equal(store_put_new(f->t.s, key.ptr, json, strlen(json), NULL), STORE_OK);
    dstr_free(&key);
}

static void test_csv_newest_first_with_corrupt_objects(void **state) {
    fixture *f = *state;
    int64_t now = now_ms(), today = now - now % DAY;
    int64_t ta = today - DAY + 36000000, tb = today + 1000, tc = today + 2000, td = today + 3000;
    put_trade(f, (journal_trade){.time_ms = ta,
                                 .symbol = "BTCUSDT",
                                 .side = "BUY",
                                 .type = "MARKET",
                                 .status = "FILLED",
                                 .qty = "0.010",
                                 .price = "50000.5",
                                 .fee = "0.25",
                                 .fee_asset = "BNB",
                                 .order_id = 1,
                                 .client_order_id = "c1"});
    put_trade(f, (journal_trade){.time_ms = tb,
                                 .symbol = "ETHUSDT",
                                 .side = "SELL",
                                 .type = "LIMIT",
                                 .status = "NEW",
                                 .order_id = 2,
                                 .qty = "1"});
    put_trade(f, (journal_trade){.time_ms = tc,
                                 .symbol = "BTCUSDT",
                                 .side = "SELL",
                                 .type = "STOP_MARKET",
                                 .status = "FILLED",
                                 .qty = "0.010",
                                 .price = "49000",
                                 .order_id = 3,
                                 .client_order_id = "c3",
                                 .realized_pnl = "-15.5",
                                 .fee = "0.0245",
                                 .fee_asset = "USDT"});
    /* objects that are not trade records: skipped, not counted */
    put_object(f, td, "X_a", "not json");
    put_object(f, td + 1, "X_b", "[1]");
    put_object(f, td + 2, "X_c", "{\"symbol\":\"X\"}");
    put_object(f, td + 3, "X_d", "{\"time\":1,\"symbol\":\"X\",\"side\":{}}");
    /* an odd but readable one: its status needs quoting, qty is a number */
    put_object(
        f, td + 4, "X_e",
        "{\"time\":1767180907042,\"symbol\":\"XRPUSDT\",\"status\":\"NEW, \\\"odd\\\"\\nline\","
        "\"qty\":0.5,\"order_id\":12}");

    char ia[40], ib[40], ic[40];
    iso(ta, ia, sizeof ia);
    iso(tb, ib, sizeof ib);
    iso(tc, ic, sizeof ic);
    dstr want = {0};
    dstr_printf(&want,
                JOURNAL_TRADE_CSV_HEADER
                "\r\n"
                "2025-12-31T11:35:07.042Z,XRPUSDT,,,0.5,,\"NEW, \"\"odd\"\"\nline\",12,,,,,\r\n"
                "%s,BTCUSDT,SELL,STOP_MARKET,0.010,49000,FILLED,3,c3,-15.5,0.0245,USDT,-15.5245\r\n"
                "%s,ETHUSDT,SELL,LIMIT,1,,NEW,2,,,,,\r\n"
                "%s,BTCUSDT,BUY,MARKET,0.010,50000.5,FILLED,1,c1,,0.25,BNB,\r\n",
                ic, ib, ia);
    dstr csv = {0};
    assert_int_equal(journal_trade_csv(f->t.s, 1000, &csv, NULL), 0);
    assert_string_equal(csv.ptr, want.ptr);
    assert_non_null(strstr(dstr_cstr(&f->log), "\"event\":\"journal.corrupt\""));
    /* the limit counts rows, not the skipped objects */
    dstr_clear(&csv);
    assert_int_equal(journal_trade_csv(f->t.s, 2, &csv, NULL), 0);
    const char *third = strstr(want.ptr, "\r\n");
    third = strstr(third + 2, "\r\n");
    third = strstr(third + 2, "\r\n");
    assert_int_equal(csv.len, (size_t)(third + 2 - want.ptr));
    assert_memory_equal(csv.ptr, want.ptr, csv.len);
    dstr_free(&csv);
    dstr_free(&want);
}

static void test_csv_empty_and_limits(void **state) {
    fixture *f = *state;
    dstr csv = {0};
    assert_int_equal(journal_trade_csv(f->t.s, 200, &csv, NULL), 0);
    assert_string_equal(csv.ptr, JOURNAL_TRADE_CSV_HEADER "\r\n");
    dstr_clear(&csv);
    dstr_puts(&csv, "keep");
    assert_int_equal(journal_trade_csv(f->t.s, 0, &csv, NULL), -1);
    assert_int_equal(journal_trade_csv(f->t.s, JOURNAL_LIMIT_MAX + 1, &csv, NULL), -1);
    assert_int_equal(journal_trade_csv(NULL, 10, &csv, NULL), -1);
    assert_string_equal(csv.ptr, "keep");
    dstr_free(&csv);
}

/* ---- reading records back: parser, a day's PnL, stop-outs ------------------------------ */

static void test_parse(void **state) {
    (void)state;
    journal_trade t = a_trade();
    t.realized_pnl = "-15.5";
    t.fee = "0.0245";
    t.fee_asset = "USDT";
    t.funding = "0.5";
    t.kind = "stop";
    dstr json = {0};
    journal_trade_json(&t, &json);
    journal_trade_info info;
    assert_int_equal(journal_trade_parse(json.ptr, json.len, &info, NULL), 0);
    assert_int_equal(info.time_ms, T0);
    assert_string_equal(info.symbol, "BTCUSDT");
    assert_string_equal(info.kind, "stop");
    assert_string_equal(info.fee_asset, "USDT");
    assert_true(info.has_realized && info.has_fee && info.has_funding && info.has_net);
    assert_true(info.net_pnl == -15.0245);
    dstr_free(&json);
    static const struct {
        const char *json, *error;
    } cases[] = {
        {"{\"time\":1,\"symbol\":\"BTCUSDT\"}", NULL},
        {"{\"time\":1,\"symbol\":\"BTCUSDT\",\"kind\":null,\"fee_asset\":null}", NULL},
        {"[]", "JSON object"},
        {"{\"time\":1.5,\"symbol\":\"BTCUSDT\"}", "time"},
        {"{\"time\":-1,\"symbol\":\"BTCUSDT\"}", "time"},
        {"{\"time\":1,\"symbol\":\"btc\"}", "symbol"},
        {"{\"time\":1,\"symbol\":\"BTCUSDT\",\"kind\":\"Stop\"}", "kind"},
        {"{\"time\":1,\"symbol\":\"BTCUSDT\",\"fee_asset\":\"usdt\"}", "fee_asset"},
        {"{\"time\":1,\"symbol\":\"BTCUSDT\",\"realized_pnl\":-1}", "money"},
        {"{\"time\":1,\"symbol\":\"BTCUSDT\",\"fee\":\"-1\"}", "money"},
        {"{\"time\":1,\"symbol\":\"BTCUSDT\",\"net_pnl\":\"1e5\"}", "money"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dstr why = {0};
        int rc = journal_trade_parse(cases[i].json, strlen(cases[i].json), &info, &why);
        if (cases[i].error ? rc != -1 || !strstr(dstr_cstr(&why), cases[i].error) : rc != 0)
            fail_msg("case %zu: rc %d why '%s'", i, rc, dstr_cstr(&why));
        dstr_free(&why);
    }
    assert_int_equal(journal_trade_parse(NULL, 0, &info, NULL), -1);
}

static journal_trade fill(int64_t at, const char *symbol, int64_t order, int64_t trade,
                          const char *kind, const char *pnl, const char *fee, const char *asset) {
    return (journal_trade){.time_ms = at,
                           .symbol = symbol,
                           .side = "SELL",
                           .type = "MARKET",
                           .status = "FILLED",
                           .qty = "0.010",
                           .price = "50000",
                           .order_id = order,
                           .trade_id = trade,
                           .kind = kind,
                           .realized_pnl = pnl,
                           .fee = fee,
                           .fee_asset = asset};
}

static void test_day_pnl(void **state) {
    fixture *f = *state;
    int64_t day = T0 - T0 % DAY;
    put_trade(f, fill(day + 1000, "BTCUSDT", 1, 11, "entry", "0", "0.2", "USDT"));
    put_trade(f, fill(day + 2000, "BTCUSDT", 2, 12, "stop", "-10.5", "0.2", "USDT"));
    put_trade(f, fill(day + 3000, "ETHUSDT", 3, 13, "take_profit", "20", "0.001", "BNB"));
    put_trade(f, fill(day + 4000, "ETHUSDT", 4, 14, "emergency_close", NULL, NULL, NULL));
    /* other days do not count */
    put_trade(f, fill(day - 1, "BTCUSDT", 5, 15, "stop", "-100", NULL, NULL));
    put_trade(f, fill(day + DAY, "BTCUSDT", 6, 16, "stop", "-100", NULL, NULL));
    /* a corrupt object of the day is skipped */
    put_object(f, day + 5000, "X_z", "{\"time\":1,\"symbol\":\"BTCUSDT\",\"fee\":7}");
    journal_day_pnl d;
    dstr err = {0};
    assert_int_equal(journal_trade_day_pnl(f->t.s, day + 12345, &d, &err), JOURNAL_OK);
    assert_int_equal(d.trades, 4);
    assert_true(fabs(d.realized - 9.5) < 1e-9);
    assert_true(fabs(d.fees - 0.4) < 1e-9);
    assert_int_equal(d.fees_unnetted, 1);
    /* net: -0.2 + -10.7 + 20 (BNB fee not netted: realised) + 0 */
    assert_true(fabs(d.net - 9.1) < 1e-9);
    assert_non_null(strstr(dstr_cstr(&f->log), "journal.corrupt"));
    /* an empty day, no store, a day out of range */
    assert_int_equal(journal_trade_day_pnl(f->t.s, day + 10 * DAY, &d, &err), JOURNAL_OK);
    assert_int_equal(d.trades, 0);
    assert_int_equal(journal_trade_day_pnl(NULL, day, &d, &err), JOURNAL_UNAVAILABLE);
    assert_int_equal(journal_trade_day_pnl(f->t.s, -1, &d, &err), JOURNAL_UNAVAILABLE);
    dstr_free(&err);
}

static void test_last_stop_outs(void **state) {
    fixture *f = *state;
    int64_t now = now_ms();
    put_trade(f, fill(now - 3 * DAY, "ETHUSDT", 1, 1, "stop", "-5", NULL, NULL));
    put_trade(f, fill(now - 40 * 60000, "BTCUSDT", 2, 2, "stop", "-5", NULL, NULL));
    put_trade(f, fill(now - 20 * 60000, "BTCUSDT", 3, 3, "stop", "-5", NULL, NULL));
    put_trade(f, fill(now - 10 * 60000, "BTCUSDT", 4, 4, "entry", "0", NULL, NULL));
    put_trade(f, fill(now - 5 * 60000, "BTCUSDTX", 5, 5, "stop", "-5", NULL, NULL));
    static const char *const symbols[] = {"BTCUSDT", "ETHUSDT", "BTCUSDTX", "XRPUSDT"};
    int64_t at[4];
    dstr err = {0};
    assert_int_equal(journal_trade_last_stop_outs(f->t.s, symbols, 4, now - 60 * 60000, at, &err),
                     JOURNAL_OK);
    assert_int_equal(at[0], now - 20 * 60000); /* the newest stop, not the later entry */
    assert_int_equal(at[1], -1);               /* older than the window */
    assert_int_equal(at[2], now - 5 * 60000);  /* a symbol that extends another is its own */
    assert_int_equal(at[3], -1);
    assert_int_equal(journal_trade_last_stop_outs(f->t.s, symbols, 2, now - 4 * DAY, at, &err),
                     JOURNAL_OK);
    assert_int_equal(at[1], now - 3 * DAY);
    assert_int_equal(journal_trade_last_stop_outs(NULL, symbols, 2, 0, at, &err),
                     JOURNAL_UNAVAILABLE);
    assert_int_equal(at[0], -1);
    assert_int_equal(journal_trade_last_stop_outs(f->t.s, symbols, 0, 0, at, &err), JOURNAL_OK);
    dstr_free(&err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_record_and_key),
        cmocka_unit_test(test_net_pnl_is_exact),
        cmocka_unit_test_setup_teardown(test_put_is_create_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritten_trades_are_logged_in_full, setup, teardown),
        cmocka_unit_test(test_csv_field_escaping),
        cmocka_unit_test_setup_teardown(test_csv_newest_first_with_corrupt_objects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_csv_empty_and_limits, setup, teardown),
        cmocka_unit_test(test_parse),
        cmocka_unit_test_setup_teardown(test_day_pnl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_stop_outs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
