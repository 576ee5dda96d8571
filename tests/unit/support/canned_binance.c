/* canned_binance: canned Binance answers (see canned_binance.h). */
#include "canned_binance.h"

const int64_t canned_tf_interval[TF_COUNT] = {300000, 3600000, 14400000, 86400000};

const char canned_depth_body[] =
    "{\"lastUpdateId\":1,\"E\":1,\"T\":1,\"bids\":[[\"100.00\",\"3\"],[\"99.99\",\"2\"]],"
    "\"asks\":[[\"100.01\",\"1\"],[\"100.02\",\"4\"]]}";
const char canned_premium_body[] =
    "{\"symbol\":\"BTCUSDT\",\"markPrice\":\"100.005\",\"indexPrice\":\"100.0\","
    "\"estimatedSettlePrice\":\"100.0\",\"lastFundingRate\":\"0.0001\",\"interestRate\":\"0.0001\","
    "\"nextFundingTime\":1767225600000,\"time\":1767180907042}";

void canned_klines_body(dstr *out, int64_t interval, int n, int64_t now, int forming) {
    int64_t open = now - now % interval - (forming ? 0 : interval);
    open -= (int64_t)(n - 1) * interval;
    dstr_putc(out, '[');
    for (int i = 0; i < n; i++, open += interval) {
        double o = 100 + (i % 7) * 0.1, c = 100 + ((i + 3) % 7) * 0.1;
        double hi = (o > c ? o : c) + 0.05, lo = (o < c ? o : c) - 0.05;
        dstr_printf(out,
                    "%s[%lld,\"%.2f\",\"%.2f\",\"%.2f\",\"%.2f\",\"12.5\",%lld,\"1250\",10,\"6\","
                    "\"600\",\"0\"]",
                    i ? "," : "", (long long)open, o, hi, lo, c, (long long)(open + interval - 1));
    }
    dstr_putc(out, ']');
}

void canned_snapshot_requests(http_request reqs[BN_SNAPSHOT_REQS], const char *symbol,
                              const ex_snapshot_spec *spec, const canned *outcome, int64_t now,
                              int n_klines, int forming) {
    bn_config c = {.base = "http://127.0.0.1:9", .timeout_ms = 2000, .backoff_ms = 10};
    bn_client bn;
    bn_client_init(&bn, NULL, &c);
    bn_snapshot_prepare(&bn, symbol, spec, reqs);
    for (int i = 0; i < BN_SNAPSHOT_REQS; i++) {
        const canned *o = &outcome[i];
        reqs[i].err = o->err;
        reqs[i].status = o->err == HTTP_OK ? (o->status ? o->status : 200) : 0;
        if (o->err != HTTP_OK) continue;
        if (o->body) dstr_puts(&reqs[i].resp_body, o->body);
        else if (i < TF_COUNT)
            canned_klines_body(&reqs[i].resp_body, canned_tf_interval[i], n_klines, now, forming);
        else dstr_puts(&reqs[i].resp_body, i == TF_COUNT ? canned_depth_body : canned_premium_body);
    }
}

void canned_requests_free(http_request reqs[BN_SNAPSHOT_REQS]) {
    for (int i = 0; i < BN_SNAPSHOT_REQS; i++) http_request_free(&reqs[i]);
}
