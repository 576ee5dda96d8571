/* fuzz_binance: Binance response bodies through the klines, depth,
 * premiumIndex and fundingRate parsers. The first byte picks the parser (0xC0 and up:
 * fundingRate) and the HTTP outcome
 * (transport error or status); the rest is the body. A parse that succeeds
 * must hand back what binance.h promises: candles sane and in time order,
 * bids descending and asks ascending, positive prices, a positive mark price,
 * funding rates in (-1, 1) in strictly increasing time. */
#include <math.h>

#include "fuzz.h"
#include "fuzz_answer.h"
#include "services/binance.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void check_candles(const candles *c) {
    for (size_t i = 0; i < c->n; i++) {
        const candle *k = &c->v[i];
        if (!(k->low > 0 && k->low <= k->high && k->open >= k->low && k->open <= k->high &&
              k->close >= k->low && k->close <= k->high && k->volume >= 0 &&
              k->close_time > k->open_time))
            fuzz_fail("klines: an insane candle parsed");
        if (i && k->open_time <= c->v[i - 1].open_time) fuzz_fail("klines: out of order");
    }
}

static void check_book(const order_book *b) {
    for (size_t i = 0; i < b->n_bids; i++)
        if (!(b->bids[i].price > 0) || (i && b->bids[i].price >= b->bids[i - 1].price))
            fuzz_fail("depth: bids not positive and descending");
    for (size_t i = 0; i < b->n_asks; i++)
        if (!(b->asks[i].price > 0) || (i && b->asks[i].price <= b->asks[i - 1].price))
            fuzz_fail("depth: asks not positive and ascending");
    if (b->n_bids && b->n_asks && b->bids[0].price >= b->asks[0].price) fuzz_fail("depth: crossed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0];
    static const char *const urls[] = {
        "https://fapi.binance.com/fapi/v1/klines?symbol=BTCUSDT&interval=5m&limit=3",
        "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=5",
        "https://fapi.binance.com/fapi/v1/premiumIndex?symbol=BTCUSDT",
        "https://fapi.binance.com/fapi/v1/fundingRate?symbol=BTCUSDT&limit=9"};
    /* 0xC0.. picks fundingRate (added later: the older seeds keep their meaning) */
    unsigned which = sel >= 0xC0 ? 3 : sel % 3;
    http_request r;
    fuzz_answer(&r, "GET", urls[which], which == 3 ? sel - 0xC0 : sel / 3, data + 1, size - 1);
    ex_error e = {0};
    dstr err = {0};
    ex_status st;
    if (which == 0) {
        candles c;
        st = bn_klines_parse(&r, &c, &e, &err);
        if (st == EX_OK) check_candles(&c);
        candles_free(&c);
    } else if (which == 1) {
        order_book b;
        st = bn_depth_parse(&r, &b, &e, &err);
        if (st == EX_OK) check_book(&b);
        order_book_free(&b);
    } else if (which == 3) {
        bn_funding *f;
        size_t n;
        st = bn_funding_parse(&r, &f, &n, &e, &err);
        for (size_t i = 0; st == EX_OK && i < n; i++)
            if (!(fabs(f[i].rate) < 1) || (i && f[i].time_ms <= f[i - 1].time_ms))
                fuzz_fail("fundingRate: a bad or unordered row parsed");
        free(f);
    } else {
        premium_index p;
        st = bn_premium_parse(&r, &p, &e, &err);
        if (st == EX_OK && !(p.mark_price > 0 && isfinite(p.index_price)))
            fuzz_fail("premiumIndex: bad prices parsed");
    }
    if (st != EX_OK && (!err.len || e.status != st)) fuzz_fail("failure without its line or error");
    if (st == EX_OK && (r.status < 200 || r.status >= 300)) fuzz_fail("non-2xx parsed as OK");
    dstr_free(&err);
    http_request_free(&r);
    return 0;
}
