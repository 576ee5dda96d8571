/* fuzz_binance_exchange_info: exchangeInfo answers into symbol_rules
 * (bn_exchange_info_parse), for two asked symbols or for every symbol (the
 * first byte picks which, and the HTTP outcome; the rest is the body).
 * Rules that parse keep only the symbols asked, each once, with a positive
 * tick and step whose decimals are what a formatter can print, limits not
 * negative; a failure names its reason and keeps nothing. */
#include <math.h>

#include "fuzz.h"
#include "fuzz_answer.h"
#include "services/binance_trading.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void check_step(const step_rule *s) {
    if (!(s->step > 0) || !isfinite(s->step) || s->decimals < 0 || s->decimals >= EX_DECIMAL_LEN)
        fuzz_fail("exchangeInfo: a step that is not positive or has impossible decimals");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0];
    int all = sel % 2;
    static const char *const asked[] = {"BTCUSDT", "ETHUSDT"};
    http_request r;
    fuzz_answer(&r, "GET", "https://fapi.binance.com/fapi/v1/exchangeInfo", sel / 2, data + 1,
                size - 1);
    symbol_rules *v = NULL;
    size_t n = 0;
    ex_error e = {0};
    dstr err = {0};
    ex_status st = bn_exchange_info_parse(&r, all ? NULL : asked, all ? 0 : 2, &v, &n, &e, &err);
    if (st != EX_OK && (v || n || !err.len || e.status != st))
        fuzz_fail("failure that kept rules or gave no reason");
    for (size_t i = 0; st == EX_OK && i < n; i++) {
        const symbol_rules *s = &v[i];
        if (!all && strcmp(s->symbol, asked[0]) && strcmp(s->symbol, asked[1]))
            fuzz_fail("exchangeInfo: a symbol not asked");
        for (size_t k = 0; k < i; k++)
            if (strcmp(v[k].symbol, s->symbol) == 0) fuzz_fail("exchangeInfo: a symbol twice");
        check_step(&s->tick);
        check_step(&s->lot.step);
        check_step(&s->market_lot.step);
        if (s->min_price < 0 || s->max_price < 0 || s->lot.min_qty < 0 || s->lot.max_qty < 0 ||
            s->market_lot.min_qty < 0 || s->min_notional < 0 || !s->status[0])
            fuzz_fail("exchangeInfo: a negative limit or no status");
    }
    free(v);
    dstr_free(&err);
    http_request_free(&r);
    return 0;
}
