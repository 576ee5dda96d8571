/* fuzz_history: the history files the simulated exchange replays, through
 * their parsers: the first byte picks kline CSV (hist_candles_parse),
 * funding CSV (hist_funding_parse) or a saved exchangeInfo
 * (bn_exchange_info_rules); the rest is the file. The text is handed over
 * without a NUL at its end, so a read past it is an ASan report. Candles
 * kept are in strictly increasing time, positive, with low <= open,close
 * <= high; funding rows in strictly increasing time with finite rates; a
 * failure keeps nothing and says why. */
#include <math.h>

#include "fuzz.h"
#include "services/binance_trading.h"
#include "services/history.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void check_candles(const candles *c) {
    if (!c->n) fuzz_fail("klines: success without a candle");
    for (size_t i = 0; i < c->n; i++) {
        const candle *k = &c->v[i];
        if (!(k->open > 0 && k->close > 0 && k->low > 0 && k->high > 0) || !isfinite(k->high) ||
            k->low > fmin(k->open, k->close) || k->high < fmax(k->open, k->close) ||
            !(k->volume >= 0) || k->close_time <= k->open_time)
            fuzz_fail("klines: a candle that breaks the rules");
        if (i && k->open_time <= c->v[i - 1].open_time) fuzz_fail("klines: time not increasing");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t len = size - 1;
    char *text = malloc(len ? len : 1); /* no NUL: the parsers must stop at len */
    if (!text) abort();
    if (len) memcpy(text, data + 1, len);
    dstr err = {0};
    int rc;
    switch (data[0] % 3) {
    case 0: {
        candles c;
        rc = hist_candles_parse(text, len, "k.csv", &c, &err);
        if (rc == 0) check_candles(&c);
        else if (c.v || c.n) fuzz_fail("klines: a failure that kept candles");
        candles_free(&c);
        break;
    }
    case 1: {
        hist_funding *v;
        size_t n;
        rc = hist_funding_parse(text, len, "f.csv", &v, &n, &err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (!isfinite(v[i].rate) || (i && v[i].time_ms <= v[i - 1].time_ms))
                fuzz_fail("funding: a row that breaks the rules");
        if (rc && (v || n)) fuzz_fail("funding: a failure that kept rows");
        free(v);
        break;
    }
    default: {
        symbol_rules *v;
        size_t n;
        rc = bn_exchange_info_rules(text, len, NULL, 0, &v, &n, &err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (!(v[i].tick.step > 0) || !(v[i].lot.step.step > 0))
                fuzz_fail("exchangeInfo: a step that is not positive");
        if (rc && (v || n)) fuzz_fail("exchangeInfo: a failure that kept rules");
        free(v);
        break;
    }
    }
    if (rc && !err.len) fuzz_fail("a failure without a reason");
    dstr_free(&err);
    free(text);
    return 0;
}
