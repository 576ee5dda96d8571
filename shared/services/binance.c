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

void bn_client_init(bn_client *bn, http_client *http, const bn_config *c) {
    bn->http = http;
    bn->base = c->base;
    bn->policy = (http_policy){.service = "binance",
                               .timeout_ms = c->timeout_ms,
                               .retries = c->retries,
                               .backoff_ms = c->backoff_ms};
}

ex_status bn_fail(ex_error *e, dstr *err, ex_status st, long http_status, long code,
                  const char *fmt, ...) {
    if (e) *e = (ex_error){.status = st, .http_status = http_status, .code = code};
    va_list ap;
    va_start(ap, fmt);
    dstr_verror_line(err, fmt, ap);
    va_end(ap);
    return st;
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

/* Logs a usage header (a whole number) under key when the answer has it. */
static void log_usage(log_rec *lr, const http_request *r, const char *header, const char *key) {
    const char *v = http_response_header(r, header);
    if (!v) return;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v && !*end) log_int(lr, key, n);
}

static void log_response(const http_request *r) {
    char path[128];
    log_rec *lr =
        log_begin(r->err == HTTP_OK && r->status < 400 ? LOG_INFO : LOG_WARN, "binance.response");
    log_str(lr, "method", r->method);
    log_str(lr, "path", url_path(r, path, sizeof path));
    log_int(lr, "status", r->status);
    if (r->err != HTTP_OK) log_str(lr, "error", http_err_name(r->err));
    log_int(lr, "attempts", r->attempts);
    log_int(lr, "elapsed_ms", r->elapsed_ms);
    log_usage(lr, r, "x-mbx-used-weight-1m", "used_weight_1m");
    log_usage(lr, r, "x-mbx-order-count-10s", "order_count_10s");
    log_usage(lr, r, "x-mbx-order-count-1m", "order_count_1m");
    log_end(lr);
}

/* Binance's codes that say a request's outcome is unknown (it may have been
 * executed): -1000 UNKNOWN, -1006 UNEXPECTED_RESP, -1007 TIMEOUT. */
static int unknown_code(long code) { return code == -1000 || code == -1006 || code == -1007; }

/* What a failed write's transport outcome means: sent or maybe sent is
 * EX_UNKNOWN, never sent is a definite failure (0: not a transport failure). */
static ex_status write_transport(const http_request *r) {
    switch (r->err) {
    case HTTP_ERR_TIMEOUT:
    case HTTP_ERR_TRANSPORT:
    case HTTP_ERR_TOO_LARGE: return EX_UNKNOWN;
    case HTTP_ERR_DEADLINE: return r->attempts > 0 ? EX_UNKNOWN : EX_TIMEOUT;
    default: return EX_OK;
    }
}

ex_status bn_checked(http_request *r, bn_kind kind, struct cJSON **root, ex_error *e, dstr *err) {
    *root = NULL;
    log_response(r);
    int write = kind == BN_WRITE;
    if (write && write_transport(r) == EX_UNKNOWN)
        return bn_fail(e, err, EX_UNKNOWN, 0, 0,
                       "Binance may have executed it: no complete answer (%s%s%s)",
                       http_err_name(r->err), r->errmsg[0] ? ": " : "", r->errmsg);
    switch (r->err) {
    case HTTP_OK: break;
    case HTTP_ERR_TIMEOUT:
    case HTTP_ERR_DEADLINE:
        return bn_fail(e, err, EX_TIMEOUT, 0, 0, "Binance did not answer in time (%s)%s",
                       http_err_name(r->err), write ? ", nothing was sent" : "");
    case HTTP_ERR_BANNED:
        return bn_fail(e, err, EX_BANNED, 418, 0, "%s",
                       r->errmsg[0] ? r->errmsg : "IP banned by Binance");
    case HTTP_ERR_CONNECT:
        return bn_fail(e, err, EX_UNAVAILABLE, 0, 0, "cannot reach Binance: %s", r->errmsg);
    default:
        return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0,
                       "broken response from Binance (%s): %s", http_err_name(r->err), r->errmsg);
    }
    cJSON *json = cJSON_ParseWithLength(dstr_cstr(&r->resp_body), r->resp_body.len);
    if (r->status >= 200 && r->status < 300) {
        if (!json)
            return bn_fail(e, err, write ? EX_UNKNOWN : EX_BAD_RESPONSE, r->status, 0,
                           "Binance answered %ld with a body that is not JSON", r->status);
        *root = json;
        return EX_OK;
    }
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(json, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(json, "msg");
    /* Binance's codes are small negative integers; any other number is kept as 0 */
    long bcode =
        cJSON_IsNumber(code) && fabs(code->valuedouble) < 1e9 ? (long)code->valuedouble : 0;
    int has_msg = cJSON_IsString(msg) && *msg->valuestring;
    /* 503 "Service Unavailable." failed for sure; any other 5xx may have landed */
    const char *said = has_msg ? msg->valuestring : dstr_cstr(&r->resp_body);
    int surely_failed = strstr(said, "Service Unavailable") || bcode == -1008;
    ex_status st =
        r->status == 429                                                         ? EX_RATE_LIMITED
        : r->status == 418                                                       ? EX_BANNED
        : write && (unknown_code(bcode) || (r->status >= 500 && !surely_failed)) ? EX_UNKNOWN
        : r->status >= 500                                                       ? EX_UNAVAILABLE
        : bcode == -1121                                                         ? EX_INVALID_SYMBOL
        : bcode == -2013 || bcode == -2011 ? (kind == BN_READ ? EX_REJECTED : EX_NOT_FOUND)
        : cJSON_IsNumber(code)             ? EX_REJECTED
                                           : EX_BAD_RESPONSE;
    bn_fail(e, err, st, r->status, bcode, "%s",
            has_msg ? msg->valuestring : "Binance answered with an error status");
    cJSON_Delete(json);
    return st;
}

static ex_status checked_json(http_request *r, cJSON **root, ex_error *e, dstr *err) {
    return bn_checked(r, BN_READ, root, e, err);
}

/* Binance decimals arrive as strings; anything else is a broken response. */
int bn_decimal(const struct cJSON *v, double *out) {
    if (!cJSON_IsString(v) || !*v->valuestring) return -1;
    char *end;
    errno = 0;
    double d = strtod(v->valuestring, &end);
    if (errno || *end || !isfinite(d)) return -1;
    *out = d;
    return 0;
}

int bn_whole(const struct cJSON *v, int64_t *out) {
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

void bn_klines_since_prepare(const bn_client *bn, http_request *r, const char *symbol,
                             const char *interval, int64_t start_ms, int64_t end_ms, int limit) {
    char pq[192];
    snprintf(pq, sizeof pq,
             "/fapi/v1/klines?symbol=%s&interval=%s&startTime=%lld&endTime=%lld&limit=%d", symbol,
             interval, (long long)start_ms, (long long)end_ms, limit);
    prepare_get(bn, r, pq);
}

void bn_funding_prepare(const bn_client *bn, http_request *r, const char *symbol, int64_t start_ms,
                        int64_t end_ms, int limit) {
    char pq[160];
    snprintf(pq, sizeof pq, "/fapi/v1/fundingRate?symbol=%s&startTime=%lld&endTime=%lld&limit=%d",
             symbol, (long long)start_ms, (long long)end_ms, limit);
    prepare_get(bn, r, pq);
}

ex_status bn_funding_parse(http_request *r, bn_funding **v, size_t *n, ex_error *e, dstr *err) {
    *v = NULL;
    *n = 0;
    cJSON *root;
    ex_status st = checked_json(r, &root, e, err);
    if (st) return st;
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0, "fundingRate: expected a JSON array");
    }
    size_t cap = (size_t)cJSON_GetArraySize(root), i = 0;
    bn_funding *out = cap ? calloc(cap, sizeof *out) : NULL;
    if (cap && !out) abort();
    const cJSON *row;
    cJSON_ArrayForEach(row, root) {
        if (bn_whole(cJSON_GetObjectItemCaseSensitive(row, "fundingTime"), &out[i].time_ms) ||
            bn_decimal(cJSON_GetObjectItemCaseSensitive(row, "fundingRate"), &out[i].rate) ||
            fabs(out[i].rate) >= 1 || (i > 0 && out[i].time_ms <= out[i - 1].time_ms)) {
            cJSON_Delete(root);
            free(out);
            return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0,
                           "fundingRate: row %zu is malformed or out of order", i);
        }
        i++;
    }
    cJSON_Delete(root);
    *v = out;
    *n = i;
    return EX_OK;
}

static int parse_candle(const cJSON *row, candle *c) {
    if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) < 7) return -1;
    if (bn_whole(cJSON_GetArrayItem(row, 0), &c->open_time) ||
        bn_decimal(cJSON_GetArrayItem(row, 1), &c->open) ||
        bn_decimal(cJSON_GetArrayItem(row, 2), &c->high) ||
        bn_decimal(cJSON_GetArrayItem(row, 3), &c->low) ||
        bn_decimal(cJSON_GetArrayItem(row, 4), &c->close) ||
        bn_decimal(cJSON_GetArrayItem(row, 5), &c->volume) ||
        bn_whole(cJSON_GetArrayItem(row, 6), &c->close_time))
        return -1;
    int sane = c->low <= c->high && c->open >= c->low && c->open <= c->high && c->close >= c->low &&
               c->close <= c->high && c->low > 0 && c->volume >= 0 && c->close_time > c->open_time;
    return sane ? 0 : -1;
}

ex_status bn_klines_parse(http_request *r, candles *out, ex_error *e, dstr *err) {
    out->v = NULL;
    out->n = 0;
    cJSON *root;
    ex_status st = checked_json(r, &root, e, err);
    if (st) return st;
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0, "klines: expected a JSON array");
    }
    size_t n = (size_t)cJSON_GetArraySize(root), i = 0;
    out->v = n ? calloc(n, sizeof *out->v) : NULL;
    if (n && !out->v) abort();
    const cJSON *row;
    cJSON_ArrayForEach(row, root) {
        if (parse_candle(row, &out->v[i]) ||
            (i > 0 && out->v[i].open_time <= out->v[i - 1].close_time)) { /* overlapping */
            cJSON_Delete(root);
            candles_free(out);
            return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0,
                           "klines: row %zu is malformed or out of order", i);
        }
        i++;
    }
    out->n = n;
    cJSON_Delete(root);
    return EX_OK;
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
            bn_decimal(cJSON_GetArrayItem(lv, 0), &l->price) ||
            bn_decimal(cJSON_GetArrayItem(lv, 1), &l->qty) || l->price <= 0 || l->qty < 0)
            return -1;
        if (i > 0 && (descending ? l->price >= l[-1].price : l->price <= l[-1].price)) return -1;
        i++;
    }
    return 0;
}

ex_status bn_depth_parse(http_request *r, order_book *out, ex_error *e, dstr *err) {
    memset(out, 0, sizeof *out);
    cJSON *root;
    ex_status st = checked_json(r, &root, e, err);
    if (st) return st;
    int64_t t = 0;
    if (parse_side(cJSON_GetObjectItemCaseSensitive(root, "bids"), &out->bids, &out->n_bids, 1) ||
        parse_side(cJSON_GetObjectItemCaseSensitive(root, "asks"), &out->asks, &out->n_asks, 0) ||
        (out->n_bids && out->n_asks && out->bids[0].price >= out->asks[0].price)) {
        cJSON_Delete(root);
        order_book_free(out);
        return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0,
                       "depth: bids/asks malformed, unordered or crossed");
    }
    if (bn_whole(cJSON_GetObjectItemCaseSensitive(root, "T"), &t) &&
        bn_whole(cJSON_GetObjectItemCaseSensitive(root, "E"), &t))
        t = 0;
    out->time_ms = t;
    cJSON_Delete(root);
    return EX_OK;
}

void bn_premium_prepare(const bn_client *bn, http_request *r, const char *symbol) {
    char pq[96];
    snprintf(pq, sizeof pq, "/fapi/v1/premiumIndex?symbol=%s", symbol);
    prepare_get(bn, r, pq);
}

ex_status bn_premium_parse(http_request *r, premium_index *out, ex_error *e, dstr *err) {
    memset(out, 0, sizeof *out);
    cJSON *root;
    ex_status st = checked_json(r, &root, e, err);
    if (st) return st;
    if (bn_decimal(cJSON_GetObjectItemCaseSensitive(root, "markPrice"), &out->mark_price) ||
        bn_decimal(cJSON_GetObjectItemCaseSensitive(root, "indexPrice"), &out->index_price) ||
        bn_decimal(cJSON_GetObjectItemCaseSensitive(root, "lastFundingRate"), &out->funding_rate) ||
        bn_whole(cJSON_GetObjectItemCaseSensitive(root, "nextFundingTime"),
                 &out->next_funding_time) ||
        bn_whole(cJSON_GetObjectItemCaseSensitive(root, "time"), &out->time_ms) ||
        out->mark_price <= 0) {
        cJSON_Delete(root);
        return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0,
                       "premiumIndex: missing or malformed fields");
    }
    cJSON_Delete(root);
    return EX_OK;
}

/* One page of klines ending at end_time (0: the newest). */
static ex_status fetch_page(const bn_client *bn, const char *symbol, const char *interval,
                            int limit, int64_t end_time, int64_t deadline_ms, candles *page,
                            ex_error *e, dstr *err) {
    http_request r;
    bn_klines_prepare(bn, &r, symbol, interval, limit, end_time);
    http_request *batch[] = {&r};
    http_run(bn->http, batch, 1, deadline_ms);
    ex_status st = bn_klines_parse(&r, page, e, err);
    http_request_free(&r);
    return st;
}

ex_status bn_closed_klines(const bn_client *bn, const char *symbol, const char *interval, int limit,
                           int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e,
                           dstr *err) {
    out->v = NULL;
    out->n = 0;
    /* one more than asked, since the newest row is usually the forming candle */
    int want = limit + 1;
    int64_t end_time = 0;
    candles acc = {0};
    while (want > 0) {
        int ask = want > BN_KLINES_MAX ? BN_KLINES_MAX : want;
        candles page;
        ex_status st = fetch_page(bn, symbol, interval, ask, end_time, deadline_ms, &page, e, err);
        if (st) {
            candles_free(&acc);
            return st;
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
    return EX_OK;
}
