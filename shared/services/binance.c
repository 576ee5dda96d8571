/* binance: USD-M futures market data over REST (see binance.h). */
#include "services/binance.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "platform/log.h"

static const char *const intervals[] = {"1m", "3m", "5m",  "15m", "30m", "1h", "2h", "4h",
                                        "6h", "8h", "12h", "1d",  "3d",  "1w", "1M"};
static const int64_t interval_ms[] = {60000,    180000,   300000,    900000,    1800000,
                                      3600000,  7200000,  14400000,  21600000,  28800000,
                                      43200000, 86400000, 259200000, 604800000, 2678400000};

int bn_valid_interval(const char *tf) { return bn_interval_ms(tf) > 0; }

int64_t bn_interval_ms(const char *tf) {
    for (size_t i = 0; i < sizeof intervals / sizeof *intervals; i++)
        if (strcmp(tf, intervals[i]) == 0) return interval_ms[i];
    return 0;
}

int bn_valid_depth_limit(long limit) {
    static const long allowed[] = {5, 10, 20, 50, 100, 500, 1000};
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
        if (limit == allowed[i]) return 1;
    return 0;
}

const char *bn_status_name(bn_status s) {
    static const char *const names[] = {"ok",     "invalid_symbol", "rejected",     "rate_limited",
                                        "banned", "unavailable",    "bad_response", "timeout"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "unknown";
}

void bn_client_init(bn_client *bn, http_client *http, const cfg *c) {
    bn->http = http;
    bn->base = cfg_fapi_base(c);
    bn->policy = (http_policy){.service = "binance",
                               .timeout_ms = c->binance_timeout_ms,
                               .retries = c->binance_retries,
                               .backoff_ms = c->binance_backoff_ms};
}

static void set_err(bn_error *err, bn_status st, long http_status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(bn_error *err, bn_status st, long http_status, const char *fmt, ...) {
    err->status = st;
    err->http_status = http_status;
    err->code = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

static void prepare_get(const bn_client *bn, http_request *r, const char *path_and_query) {
    dstr url = {0};
    dstr_printf(&url, "%s%s", bn->base, path_and_query);
    http_request_init(r, "GET", url.ptr, &bn->policy);
    dstr_free(&url);
}

static const char *url_path(const http_request *r, char *buf, size_t cap) {
    const char *p = strstr(dstr_cstr(&r->url), "://");
    p = p ? strchr(p + 3, '/') : NULL;
    snprintf(buf, cap, "%s", p ? p : "/");
    buf[strcspn(buf, "?")] = '\0';
    return buf;
}

static void log_response(const http_request *r) {
    char path[128];
    const char *weight = http_response_header(r, "x-mbx-used-weight-1m");
    log_rec *lr =
        log_begin(r->err == HTTP_OK && r->status < 400 ? LOG_INFO : LOG_WARN, "binance.response");
    log_str(lr, "path", url_path(r, path, sizeof path));
    log_int(lr, "status", r->status);
    if (r->err != HTTP_OK) log_str(lr, "error", http_err_name(r->err));
    log_int(lr, "attempts", r->attempts);
    log_int(lr, "elapsed_ms", r->elapsed_ms);
    if (weight) {
        char *end;
        long w = strtol(weight, &end, 10);
        if (*weight && !*end) log_int(lr, "used_weight_1m", w);
    }
    log_end(lr);
}

/* Turns a finished request into parsed JSON, or classifies the failure. */
static cJSON *checked_json(http_request *r, bn_error *err) {
    log_response(r);
    switch (r->err) {
    case HTTP_OK: break;
    case HTTP_ERR_TIMEOUT:
    case HTTP_ERR_DEADLINE:
        set_err(err, BN_TIMEOUT, 0, "Binance did not answer in time (%s)", http_err_name(r->err));
        return NULL;
    case HTTP_ERR_BANNED:
        set_err(err, BN_BANNED, 418, "%s", r->errmsg[0] ? r->errmsg : "IP banned by Binance");
        return NULL;
    case HTTP_ERR_CONNECT:
        set_err(err, BN_UNAVAILABLE, 0, "cannot reach Binance: %s", r->errmsg);
        return NULL;
    default:
        set_err(err, BN_BAD_RESPONSE, r->status, "broken response from Binance (%s): %s",
                http_err_name(r->err), r->errmsg);
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength(dstr_cstr(&r->resp_body), r->resp_body.len);
    if (r->status >= 200 && r->status < 300) {
        if (!root)
            set_err(err, BN_BAD_RESPONSE, r->status,
                    "Binance answered %ld with a body that is not JSON", r->status);
        return root;
    }
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "msg");
    bn_status st = r->status == 429                                     ? BN_RATE_LIMITED
                   : r->status == 418                                   ? BN_BANNED
                   : r->status >= 500                                   ? BN_UNAVAILABLE
                   : cJSON_IsNumber(code) && code->valuedouble == -1121 ? BN_INVALID_SYMBOL
                   : cJSON_IsNumber(code)                               ? BN_REJECTED
                                                                        : BN_BAD_RESPONSE;
    set_err(err, st, r->status, "%s",
            cJSON_IsString(msg) ? msg->valuestring : "Binance answered with an error status");
    if (cJSON_IsNumber(code)) err->code = (long)code->valuedouble;
    cJSON_Delete(root);
    return NULL;
}

/* Binance decimals arrive as strings; anything else is a broken response. */
static int decimal(const cJSON *v, double *out) {
    if (!cJSON_IsString(v) || !*v->valuestring) return -1;
    char *end;
    errno = 0;
    double d = strtod(v->valuestring, &end);
    if (errno || *end || !isfinite(d)) return -1;
    *out = d;
    return 0;
}

static int whole(const cJSON *v, int64_t *out) {
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15 ||
        v->valuedouble != floor(v->valuedouble))
        return -1;
    *out = (int64_t)v->valuedouble;
    return 0;
}

void bn_klines_prepare(const bn_client *bn, http_request *r, const char *symbol,
                       const char *interval, int limit, int64_t end_time_ms) {
    char pq[160];
    int n = snprintf(pq, sizeof pq, "/fapi/v1/klines?symbol=%s&interval=%s&limit=%d", symbol,
                     interval, limit);
    if (end_time_ms > 0 && n > 0 && (size_t)n < sizeof pq)
        snprintf(pq + n, sizeof pq - (size_t)n, "&endTime=%lld", (long long)end_time_ms);
    prepare_get(bn, r, pq);
}

static int parse_candle(const cJSON *row, candle *c) {
    if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) < 7) return -1;
    if (whole(cJSON_GetArrayItem(row, 0), &c->open_time) ||
        decimal(cJSON_GetArrayItem(row, 1), &c->open) ||
        decimal(cJSON_GetArrayItem(row, 2), &c->high) ||
        decimal(cJSON_GetArrayItem(row, 3), &c->low) ||
        decimal(cJSON_GetArrayItem(row, 4), &c->close) ||
        decimal(cJSON_GetArrayItem(row, 5), &c->volume) ||
        whole(cJSON_GetArrayItem(row, 6), &c->close_time))
        return -1;
    int sane = c->low <= c->high && c->open >= c->low && c->open <= c->high && c->close >= c->low &&
               c->close <= c->high && c->low > 0 && c->volume >= 0 && c->close_time > c->open_time;
    return sane ? 0 : -1;
}

int bn_klines_parse(http_request *r, candles *out, bn_error *err) {
    out->v = NULL;
    out->n = 0;
    cJSON *root = checked_json(r, err);
    if (!root) return -1;
    if (!cJSON_IsArray(root)) {
        set_err(err, BN_BAD_RESPONSE, r->status, "klines: expected a JSON array");
        cJSON_Delete(root);
        return -1;
    }
    size_t n = (size_t)cJSON_GetArraySize(root), i = 0;
    out->v = n ? calloc(n, sizeof *out->v) : NULL;
    if (n && !out->v) abort();
    const cJSON *row;
    cJSON_ArrayForEach(row, root) {
        if (parse_candle(row, &out->v[i]) ||
            (i > 0 && out->v[i].open_time <= out->v[i - 1].open_time)) {
            set_err(err, BN_BAD_RESPONSE, r->status, "klines: row %zu is malformed or out of order",
                    i);
            cJSON_Delete(root);
            candles_free(out);
            return -1;
        }
        i++;
    }
    out->n = n;
    cJSON_Delete(root);
    return 0;
}

void bn_depth_prepare(const bn_client *bn, http_request *r, const char *symbol, int limit) {
    char pq[128];
    snprintf(pq, sizeof pq, "/fapi/v1/depth?symbol=%s&limit=%d", symbol, limit);
    prepare_get(bn, r, pq);
}

static int parse_side(const cJSON *side, book_level **out, size_t *n_out, int descending) {
    if (!cJSON_IsArray(side)) return -1;
    size_t n = (size_t)cJSON_GetArraySize(side), i = 0;
    *out = n ? calloc(n, sizeof **out) : NULL;
    if (n && !*out) abort();
    *n_out = n;
    const cJSON *lv;
    cJSON_ArrayForEach(lv, side) {
        book_level *l = &(*out)[i];
        if (!cJSON_IsArray(lv) || cJSON_GetArraySize(lv) < 2 ||
            decimal(cJSON_GetArrayItem(lv, 0), &l->price) ||
            decimal(cJSON_GetArrayItem(lv, 1), &l->qty) || l->price <= 0 || l->qty < 0)
            return -1;
        if (i > 0 && (descending ? l->price >= l[-1].price : l->price <= l[-1].price)) return -1;
        i++;
    }
    return 0;
}

int bn_depth_parse(http_request *r, order_book *out, bn_error *err) {
    memset(out, 0, sizeof *out);
    cJSON *root = checked_json(r, err);
    if (!root) return -1;
    int64_t t = 0;
    if (parse_side(cJSON_GetObjectItemCaseSensitive(root, "bids"), &out->bids, &out->n_bids, 1) ||
        parse_side(cJSON_GetObjectItemCaseSensitive(root, "asks"), &out->asks, &out->n_asks, 0) ||
        (out->n_bids && out->n_asks && out->bids[0].price >= out->asks[0].price)) {
        set_err(err, BN_BAD_RESPONSE, r->status,
                "depth: bids/asks malformed, unordered or crossed");
        cJSON_Delete(root);
        order_book_free(out);
        return -1;
    }
    if (whole(cJSON_GetObjectItemCaseSensitive(root, "T"), &t) &&
        whole(cJSON_GetObjectItemCaseSensitive(root, "E"), &t))
        t = 0;
    out->time_ms = t;
    cJSON_Delete(root);
    return 0;
}

void bn_premium_prepare(const bn_client *bn, http_request *r, const char *symbol) {
    char pq[96];
    snprintf(pq, sizeof pq, "/fapi/v1/premiumIndex?symbol=%s", symbol);
    prepare_get(bn, r, pq);
}

int bn_premium_parse(http_request *r, premium_index *out, bn_error *err) {
    memset(out, 0, sizeof *out);
    cJSON *root = checked_json(r, err);
    if (!root) return -1;
    if (decimal(cJSON_GetObjectItemCaseSensitive(root, "markPrice"), &out->mark_price) ||
        decimal(cJSON_GetObjectItemCaseSensitive(root, "indexPrice"), &out->index_price) ||
        decimal(cJSON_GetObjectItemCaseSensitive(root, "lastFundingRate"), &out->funding_rate) ||
        whole(cJSON_GetObjectItemCaseSensitive(root, "nextFundingTime"), &out->next_funding_time) ||
        whole(cJSON_GetObjectItemCaseSensitive(root, "time"), &out->time_ms) ||
        out->mark_price <= 0) {
        set_err(err, BN_BAD_RESPONSE, r->status, "premiumIndex: missing or malformed fields");
        cJSON_Delete(root);
        return -1;
    }
    cJSON_Delete(root);
    return 0;
}

/* One page of klines ending at end_time (0: the newest). */
static int fetch_page(const bn_client *bn, const char *symbol, const char *interval, int limit,
                      int64_t end_time, int64_t deadline_ms, candles *page, bn_error *err) {
    http_request r;
    bn_klines_prepare(bn, &r, symbol, interval, limit, end_time);
    http_request *batch[] = {&r};
    http_run(bn->http, batch, 1, deadline_ms);
    int rc = bn_klines_parse(&r, page, err);
    http_request_free(&r);
    return rc;
}

int bn_closed_klines(const bn_client *bn, const char *symbol, const char *interval, int limit,
                     int64_t now_ms, int64_t deadline_ms, candles *out, bn_error *err) {
    out->v = NULL;
    out->n = 0;
    /* one more than asked, since the newest row is usually the forming candle */
    int want = limit + 1;
    int64_t end_time = 0;
    candles acc = {0};
    while (want > 0) {
        int ask = want > BN_KLINES_MAX ? BN_KLINES_MAX : want;
        candles page;
        if (fetch_page(bn, symbol, interval, ask, end_time, deadline_ms, &page, err)) {
            candles_free(&acc);
            return -1;
        }
        /* older page goes in front of what we have */
        candle *v = malloc((page.n + acc.n + 1) * sizeof *v);
        if (!v) abort();
        if (page.n) memcpy(v, page.v, page.n * sizeof *v);
        if (acc.n) memcpy(v + page.n, acc.v, acc.n * sizeof *v);
        size_t n = page.n + acc.n;
        int exhausted = (int)page.n < ask;
        if (page.n) end_time = page.v[0].open_time - 1;
        candles_free(&page);
        candles_free(&acc);
        acc.v = v;
        acc.n = n;
        want -= ask;
        if (exhausted) break; /* the symbol has no older history */
    }
    size_t closed = acc.n;
    while (closed && acc.v[closed - 1].close_time >= now_ms) closed--;
    size_t first = closed > (size_t)limit ? closed - (size_t)limit : 0;
    out->n = closed - first;
    out->v = malloc((out->n + 1) * sizeof *out->v);
    if (!out->v) abort();
    if (out->n) memcpy(out->v, acc.v + first, out->n * sizeof *out->v);
    candles_free(&acc);
    return 0;
}
