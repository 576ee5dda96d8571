/* market_features: features against TA-Lib's numbers for real BTCUSDT 1h
 * candles (tests/reference/indicators/) and against values recomputed here
 * from their definitions; insufficient inputs; the book and premium; the
 * JSON rendering; and every snapshot_check rule as a table of mutations of a
 * good snapshot. Run from the repository root. */
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

#include "domain/market_features.h"

#define CANDLES_CSV "tests/reference/indicators/btcusdt_1h_300.csv"
#define REFERENCE_CSV "tests/reference/indicators/btcusdt_1h_ref.csv"
#define NOW 1767225600000LL /* 2026-01-01 00:00 UTC: a boundary of every timeframe */

/* ---- building snapshots -------------------------------------------------- */

/* n candles of tf, the newest closing at end_ms - 1, on a wavy uptrend. */
static void make_candles(candles *c, timeframe tf, size_t n, int64_t end_ms) {
    c->v = n ? calloc(n, sizeof *c->v) : NULL;
    c->n = n;
    int64_t step = tf_ms(tf);
    double prev = 100;
    for (size_t i = 0; i < n; i++) {
        candle *k = &c->v[i];
        k->open_time = end_ms - (int64_t)(n - i) * step;
        k->close_time = k->open_time + step - 1;
        k->open = prev;
        k->close = 100 + 5 * sin((double)i / 7.0) + 0.01 * (double)i;
        k->high = fmax(k->open, k->close) + 0.5;
        k->low = fmin(k->open, k->close) - 0.5;
        k->volume = 10 + (double)(i % 7);
        prev = k->close;
    }
}

static void make_book(order_book *b, double bid, double ask, size_t levels) {
    b->bids = calloc(levels, sizeof *b->bids);
    b->asks = calloc(levels, sizeof *b->asks);
    b->n_bids = b->n_asks = levels;
    for (size_t i = 0; i < levels; i++) {
        b->bids[i] = (book_level){bid - 0.01 * (double)i, 1.0};
        b->asks[i] = (book_level){ask + 0.01 * (double)i, 1.0};
    }
}

static void good_snapshot(snapshot *s, size_t n) {
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "BTCUSDT");
    s->now_ms = NOW;
    for (int i = 0; i < TF_COUNT; i++) make_candles(&s->tf[i], (timeframe)i, n, NOW);
    make_book(&s->book, 99.99, 100.01, 12);
    s->premium = (premium_index){.mark_price = 100, .index_price = 100, .funding_rate = 0.0001};
}

/* ---- reading the reference files ------------------------------------------ */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("%s: cannot open (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

/* Field col of a CSV line (no quoting in these files) as a double. */
static double csv_field(const char *line, int col) {
    for (int i = 0; i < col; i++) {
        line = strchr(line, ',');
        if (!line) return NAN;
        line++;
    }
    return strtod(line, NULL);
}

static int csv_column(const char *header, const char *name) {
    size_t len = strlen(name);
    int col = 0;
    for (const char *p = header; *p && *p != '\n'; col++) {
        if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\n' || !p[len])) return col;
        p = strchr(p, ',');
        if (!p) break;
        p++;
    }
    fail_msg("no column %s", name);
    return -1;
}

static const char *last_line(const char *text) {
    const char *end = text + strlen(text);
    while (end > text && end[-1] == '\n') end--;
    const char *p = end;
    while (p > text && p[-1] != '\n') p--;
    return p;
}

static void load_reference_candles(candles *c) {
    char *text = slurp(CANDLES_CSV);
    size_t cap = 400;
    c->v = calloc(cap, sizeof *c->v);
    c->n = 0;
    for (const char *line = strchr(text, '\n'); line && line[1]; line = strchr(line, '\n')) {
        line++;
        assert_true(c->n < cap);
        candle *k = &c->v[c->n++];
        k->open_time = (int64_t)csv_field(line, 0);
        k->open = csv_field(line, 1);
        k->high = csv_field(line, 2);
        k->low = csv_field(line, 3);
        k->close = csv_field(line, 4);
        k->volume = csv_field(line, 5);
        k->close_time = (int64_t)csv_field(line, 6);
    }
    free(text);
}

static void assert_close(const char *what, double got, double want) {
    if (!(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want))))
        fail_msg("%s: %.17g, want %.17g", what, got, want);
}

/* ---- features -------------------------------------------------------------- */

static void test_reference_1h(void **state) {
    (void)state;
    snapshot s;
    good_snapshot(&s, 300);
    candles_free(&s.tf[TF_1H]);
    load_reference_candles(&s.tf[TF_1H]);
    assert_int_equal(s.tf[TF_1H].n, 300);

    features f;
    assert_int_equal(features_compute(&s, 14, &f), 0);
    const tf_features *t = &f.tf[TF_1H];

    char *ref = slurp(REFERENCE_CSV);
    const char *last = last_line(ref);
    assert_int_equal((int)csv_field(last, 0), 299);
    static const struct {
        const char *column;
        size_t offset;
    } cols[] = {
        {"ema_20", offsetof(tf_features, ema20)},
        {"rsi_14", offsetof(tf_features, rsi14)},
        {"atr_14", offsetof(tf_features, atr)},
        {"macd_12_26_9", offsetof(tf_features, macd)},
        {"macd_signal_12_26_9", offsetof(tf_features, macd_signal)},
        {"macd_hist_12_26_9", offsetof(tf_features, macd_hist)},
        {"bb_upper_20_2", offsetof(tf_features, bb_upper)},
        {"bb_middle_20_2", offsetof(tf_features, bb_mid)},
        {"bb_lower_20_2", offsetof(tf_features, bb_lower)},
        {"rvol_20", offsetof(tf_features, rvol20)},
    };
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        double got;
        memcpy(&got, (const char *)t + cols[i].offset, sizeof got);
        assert_close(cols[i].column, got, csv_field(last, csv_column(ref, cols[i].column)));
    }
    free(ref);

    /* the rest, recomputed here from the definitions */
    const candle *v = s.tf[TF_1H].v;
    size_t n = 300;
    assert_close("close", t->close, v[n - 1].close);
    assert_close("ret1", t->ret1, v[n - 1].close / v[n - 2].close - 1);
    assert_close("ret20", t->ret20, v[n - 1].close / v[n - 21].close - 1);
    double pv = 0, vol = 0, hi = -INFINITY, lo = INFINITY;
    for (size_t i = n - 20; i < n; i++) {
        pv += (v[i].high + v[i].low + v[i].close) / 3 * v[i].volume;
        vol += v[i].volume;
    }
    for (size_t i = n - 21; i < n - 1; i++) {
        hi = fmax(hi, v[i].high);
        lo = fmin(lo, v[i].low);
    }
    assert_close("vwap", t->vwap, pv / vol);
    assert_true(t->swing_high == hi);
    assert_true(t->swing_low == lo);
    assert_close("bb_pctb", t->bb_pctb, (t->close - t->bb_lower) / (t->bb_upper - t->bb_lower));
    double ema = 0;
    for (size_t i = 0; i < 50; i++) ema += v[i].close / 50;
    for (size_t i = 50; i < n; i++) ema += (v[i].close - ema) * (2.0 / 51.0);
    assert_close("ema50", t->ema50, ema);
    assert_int_equal(t->n, 300);
    assert_int_equal(t->gaps, 0);
    assert_true(t->close_time == v[n - 1].close_time);
    snapshot_free(&s);
}

/* The newest bar is left out of the swing levels: a breakout shows as
 * close > swing_high. */
static void test_swing_excludes_last_bar(void **state) {
    (void)state;
    snapshot s;
    good_snapshot(&s, 100);
    candles *c = &s.tf[TF_4H];
    c->v[99].high = 500;
    c->v[99].close = 450;
    c->v[78].high = 300; /* 21 bars before the last: outside the window */
    c->v[79].high = 120; /* 20 bars before the last: inside */
    c->v[79].low = 50;
    features f;
    features_compute(&s, 14, &f);
    assert_true(f.tf[TF_4H].swing_high == 120);
    assert_true(f.tf[TF_4H].swing_low == 50);
    assert_true(f.tf[TF_4H].close > f.tf[TF_4H].swing_high);
    snapshot_free(&s);
}

static void test_flat_market(void **state) {
    (void)state;
    snapshot s;
    good_snapshot(&s, 80);
    candles *c = &s.tf[TF_5M];
    for (size_t i = 0; i < c->n; i++) {
        c->v[i].open = c->v[i].close = 50;
        c->v[i].high = 50.5;
        c->v[i].low = 49.5;
    }
    features f;
    assert_int_equal(features_compute(&s, 14, &f), 0);
    const tf_features *t = &f.tf[TF_5M];
    assert_true(t->bb_pctb == 0.5); /* flat band: price at the middle */
    assert_true(t->bb_upper == 50 && t->bb_lower == 50);
    assert_true(t->rvol20 == 0 && t->ret1 == 0 && t->ret20 == 0);
    assert_close("atr", t->atr, 1.0);
    assert_close("vwap", t->vwap, 50);
    snapshot_free(&s);
}

static void test_insufficient_candles(void **state) {
    (void)state;
    snapshot s;
    good_snapshot(&s, 300);
    candles_free(&s.tf[TF_1D]);
    make_candles(&s.tf[TF_1D], TF_1D, 40, NOW);
    candles_free(&s.tf[TF_5M]); /* none at all */
    features f;
    unsigned lack = features_compute(&s, 14, &f);
    assert_int_equal(lack, FEAT_LACK_5M | FEAT_LACK_1D);
    const tf_features *d = &f.tf[TF_1D];
    assert_true(isfinite(d->ema20) && isfinite(d->macd_hist) && isfinite(d->rsi14));
    assert_true(isnan(d->ema50));
    const tf_features *m = &f.tf[TF_5M];
    assert_int_equal(m->n, 0);
    assert_true(m->close_time == 0);
    assert_true(isnan(m->close) && isnan(m->swing_high) && isnan(m->vwap) && isnan(m->ret1));

    /* 21 candles: the 20-bar windows just fit; one fewer and they do not */
    for (size_t n = 20; n <= 21; n++) {
        candles_free(&s.tf[TF_5M]);
        make_candles(&s.tf[TF_5M], TF_5M, n, NOW);
        features_compute(&s, 14, &f);
        assert_int_equal(isfinite(f.tf[TF_5M].swing_high), n == 21);
        assert_int_equal(isfinite(f.tf[TF_5M].ret20), n == 21);
        assert_int_equal(isfinite(f.tf[TF_5M].rvol20), n == 21);
        assert_true(isfinite(f.tf[TF_5M].vwap));
    }
    /* an invalid ATR period: every ATR NAN, every timeframe reported */
    assert_int_equal(features_compute(&s, 0, &f) & 0xF, 0xF);
    assert_true(isnan(f.tf[TF_1H].atr));
    snapshot_free(&s);
}

/* Only the newest FEAT_MAX_BARS candles count. */
static void test_max_bars(void **state) {
    (void)state;
    snapshot big, cut;
    good_snapshot(&big, FEAT_MAX_BARS + 100);
    good_snapshot(&cut, 0);
    big.tf[TF_1H].v[10].open_time -= tf_ms(TF_1H); /* a gap among the ignored candles */
    for (int i = 0; i < TF_COUNT; i++) {
        cut.tf[i].n = FEAT_MAX_BARS;
        cut.tf[i].v = malloc(FEAT_MAX_BARS * sizeof(candle));
        memcpy(cut.tf[i].v, big.tf[i].v + 100, FEAT_MAX_BARS * sizeof(candle));
    }
    features a, b;
    features_compute(&big, 14, &a);
    features_compute(&cut, 14, &b);
    assert_int_equal(a.tf[TF_1H].n, FEAT_MAX_BARS);
    assert_memory_equal(a.tf, b.tf, sizeof a.tf);
    snapshot_free(&big);
    snapshot_free(&cut);
}

static void test_book_and_premium(void **state) {
    (void)state;
    snapshot s;
    good_snapshot(&s, 100);
    for (size_t i = 0; i < 10; i++) {
        s.book.bids[i].qty = 3;
        s.book.asks[i].qty = 1;
    }
    s.book.asks[10].qty = s.book.asks[11].qty = 1000; /* beyond the top 10 */
    features f;
    assert_int_equal(features_compute(&s, 14, &f), 0);
    assert_true(f.bid == 99.99 && f.ask == 100.01);
    assert_close("mid", f.mid, 100);
    assert_close("spread", f.spread_bps, 2);
    assert_close("imbalance", f.imbalance, 0.5);
    assert_true(f.mark == 100 && f.funding_rate == 0.0001);

    static const struct {
        double bid, ask, qty;
        size_t n_asks;
    } bad_books[] = {
        {100.01, 99.99, 1, 12},                                            /* crossed */
        {100, 100, 1, 12},                                                 /* locked */
        {0, 100, 1, 12},        {NAN, 100, 1, 12}, {99.99, 100.01, 0, 12}, /* nothing quoted */
        {99.99, 100.01, 1, 0},                                             /* no asks */
    };
    for (size_t i = 0; i < sizeof bad_books / sizeof *bad_books; i++) {
        order_book_free(&s.book);
        make_book(&s.book, bad_books[i].bid, bad_books[i].ask, 12);
        for (size_t k = 0; k < 12; k++) s.book.bids[k].qty = s.book.asks[k].qty = bad_books[i].qty;
        s.book.n_asks = bad_books[i].n_asks;
        assert_int_equal(features_compute(&s, 14, &f), FEAT_LACK_BOOK);
        assert_true(isnan(f.imbalance));
    }

    order_book_free(&s.book);
    make_book(&s.book, 99.99, 100.01, 3);
    s.premium.funding_rate = NAN; /* informative only */
    assert_int_equal(features_compute(&s, 14, &f), 0);
    s.premium.mark_price = 0;
    assert_int_equal(features_compute(&s, 14, &f), FEAT_LACK_PREMIUM);
    s.premium.mark_price = NAN;
    assert_int_equal(features_compute(&s, 14, &f), FEAT_LACK_PREMIUM);
    snapshot_free(&s);
}

static void test_lack_describe(void **state) {
    (void)state;
    char buf[64];
    features_lack_describe(0, buf, sizeof buf);
    assert_string_equal(buf, "");
    features_lack_describe(FEAT_LACK_1D | FEAT_LACK_BOOK, buf, sizeof buf);
    assert_string_equal(buf, "1d, book");
    features_lack_describe(0x3F, buf, sizeof buf);
    assert_string_equal(buf, "5m, 1h, 4h, 1d, book, premium");
    features_lack_describe(0x3F, buf, 8);
    assert_true(strlen(buf) < 8);
}

static void test_json(void **state) {
    (void)state;
    snapshot s;
    good_snapshot(&s, 300);
    candles_free(&s.tf[TF_1H]);
    load_reference_candles(&s.tf[TF_1H]);
    candles_free(&s.tf[TF_1D]);
    make_candles(&s.tf[TF_1D], TF_1D, 40, NOW); /* no EMA50 */
    features f;
    features_compute(&s, 14, &f);
    dstr js = {0};
    features_to_json(&f, &js);
    printf("features JSON: %zu bytes\n", js.len);
    assert_true(js.len < 2500);

    cJSON *root = cJSON_Parse(dstr_cstr(&js));
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItem(root, "symbol")->valuestring, "BTCUSDT");
    assert_true(cJSON_GetObjectItem(root, "now")->valuedouble == (double)NOW);
    assert_int_equal(cJSON_GetObjectItem(root, "atr_period")->valueint, 14);
    const cJSON *tfs = cJSON_GetObjectItem(root, "tf");
    assert_int_equal(cJSON_GetArraySize(tfs), TF_COUNT);
    for (int i = 0; i < TF_COUNT; i++) {
        const cJSON *t = cJSON_GetObjectItem(tfs, tf_name((timeframe)i));
        assert_non_null(t);
        assert_int_equal(cJSON_GetArraySize(t), 20);
        for (const cJSON *v = t->child; v; v = v->next)
            if (!cJSON_IsNumber(v))
                assert_true(i == TF_1D && cJSON_IsNull(v) && strcmp(v->string, "ema50") == 0);
    }
    const cJSON *h = cJSON_GetObjectItem(tfs, "1h");
    assert_int_equal(cJSON_GetObjectItem(h, "n")->valueint, 300);
    /* 7 significant digits: the BTC close keeps its 0.1 tick */
    assert_true(cJSON_GetObjectItem(h, "close")->valuedouble == s.tf[TF_1H].v[299].close);
    double rsi = cJSON_GetObjectItem(h, "rsi14")->valuedouble;
    assert_true(rsi != f.tf[TF_1H].rsi14 && fabs(rsi - f.tf[TF_1H].rsi14) <= 5e-7 * rsi);
    const cJSON *book = cJSON_GetObjectItem(root, "book");
    assert_int_equal(cJSON_GetArraySize(book), 5);
    assert_true(cJSON_GetObjectItem(book, "spread_bps")->valuedouble == 2);
    const cJSON *prem = cJSON_GetObjectItem(root, "premium");
    assert_true(cJSON_GetObjectItem(prem, "mark")->valuedouble == 100);
    assert_true(cJSON_GetObjectItem(prem, "funding_rate")->valuedouble == 0.0001);
    cJSON_Delete(root);

    /* a zeroed features: every number null, still valid JSON */
    features empty;
    memset(&empty, 0, sizeof empty);
    for (int i = 0; i < TF_COUNT; i++) empty.tf[i].close = NAN;
    empty.mid = NAN;
    dstr_clear(&js);
    features_to_json(&empty, &js);
    root = cJSON_Parse(dstr_cstr(&js));
    assert_non_null(root);
    const cJSON *h4 = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "tf"), "4h");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(h4, "close")));
    cJSON_Delete(root);
    dstr_free(&js);
    snapshot_free(&s);
}

/* ---- snapshot_check ------------------------------------------------------- */

typedef void (*mutation)(snapshot *s, int64_t *now);

static void m_none(snapshot *s, int64_t *now) { (void)s, (void)now; }
static void m_59_1h(snapshot *s, int64_t *now) {
    (void)now;
    candles_free(&s->tf[TF_1H]);
    make_candles(&s->tf[TF_1H], TF_1H, 59, NOW);
}
static void m_60_1d(snapshot *s, int64_t *now) {
    (void)now;
    candles_free(&s->tf[TF_1D]);
    make_candles(&s->tf[TF_1D], TF_1D, 60, NOW);
}
static void m_high_below_close(snapshot *s, int64_t *now) {
    (void)now;
    s->tf[TF_5M].v[10].high = s->tf[TF_5M].v[10].close - 1;
}
static void m_low_zero(snapshot *s, int64_t *now) { (void)now, s->tf[TF_4H].v[0].low = 0; }
static void m_nan_close(snapshot *s, int64_t *now) { (void)now, s->tf[TF_1D].v[299].close = NAN; }
static void m_neg_volume(snapshot *s, int64_t *now) { (void)now, s->tf[TF_1H].v[5].volume = -1; }
static void m_times_inverted(snapshot *s, int64_t *now) {
    (void)now;
    s->tf[TF_1H].v[7].close_time = s->tf[TF_1H].v[7].open_time;
}
static void m_swapped(snapshot *s, int64_t *now) {
    (void)now;
    candle t = s->tf[TF_4H].v[100];
    s->tf[TF_4H].v[100] = s->tf[TF_4H].v[101];
    s->tf[TF_4H].v[101] = t;
}
static void m_duplicate(snapshot *s, int64_t *now) {
    (void)now;
    s->tf[TF_5M].v[200] = s->tf[TF_5M].v[199];
}
static void m_off_grid(snapshot *s, int64_t *now) {
    (void)now;
    s->tf[TF_1H].v[150].open_time += 1000;
}
/* drop candle 150 of 1h by moving every older one an interval back */
static void m_gap(snapshot *s, int64_t *now) {
    (void)now;
    for (size_t i = 0; i <= 150; i++) {
        s->tf[TF_1H].v[i].open_time -= tf_ms(TF_1H);
        s->tf[TF_1H].v[i].close_time -= tf_ms(TF_1H);
    }
}
static void m_stale_edge(snapshot *s, int64_t *now) {
    (void)s, *now += tf_ms(TF_5M) + FEAT_GRACE_MS - 1;
}
static void m_stale(snapshot *s, int64_t *now) { (void)s, *now += tf_ms(TF_5M) + FEAT_GRACE_MS; }
/* the daily candle that closed at NOW is missing, and the grace is over */
static void m_stale_1d(snapshot *s, int64_t *now) {
    candles_free(&s->tf[TF_1D]);
    make_candles(&s->tf[TF_1D], TF_1D, 300, NOW - tf_ms(TF_1D));
    *now += FEAT_GRACE_MS + 1;
}
static void m_future_edge(snapshot *s, int64_t *now) { (void)s, *now -= FEAT_GRACE_MS + 1; }
static void m_future(snapshot *s, int64_t *now) { (void)s, *now -= FEAT_GRACE_MS + 2; }
static void m_no_bids(snapshot *s, int64_t *now) { (void)now, s->book.n_bids = 0; }
static void m_crossed(snapshot *s, int64_t *now) {
    (void)now;
    s->book.bids[0].price = 100.02;
}
static void m_locked(snapshot *s, int64_t *now) { (void)now, s->book.bids[0].price = 100.01; }
static void m_bad_ask(snapshot *s, int64_t *now) { (void)now, s->book.asks[0].price = INFINITY; }
static void m_no_mark(snapshot *s, int64_t *now) { (void)now, s->premium.mark_price = 0; }
static void m_nan_mark(snapshot *s, int64_t *now) { (void)now, s->premium.mark_price = NAN; }

static void test_snapshot_check(void **state) {
    (void)state;
    static const struct {
        const char *name;
        mutation mutate;
        const char *reason; /* "" when usable */
    } rows[] = {
        {"good", m_none, ""},
        {"too few", m_59_1h, "1h: 59 candles < 60"},
        {"just enough", m_60_1d, ""},
        {"high below close", m_high_below_close, "5m: bad candle 10: open/close outside low..high"},
        {"low zero", m_low_zero, "4h: bad candle 0: low <= 0"},
        {"NaN close", m_nan_close, "1d: bad candle 299: non-finite price"},
        {"negative volume", m_neg_volume, "1h: bad candle 5: bad volume"},
        {"close before open", m_times_inverted, "1h: bad candle 7: open_time >= close_time"},
        {"swapped", m_swapped, "4h: candles out of order at 101"},
        {"duplicate", m_duplicate, "5m: candles out of order at 200"},
        {"off grid", m_off_grid, "1h: candle 150 off the 1h grid"},
        {"gap tolerated", m_gap, ""},
        {"stale: edge", m_stale_edge, ""},
        {"stale", m_stale, "5m: stale, newest candle closed 360 s ago"},
        {"daily missing", m_stale_1d, "1d: stale, newest candle closed 86460 s ago"},
        {"not closed: edge", m_future_edge, ""},
        {"not closed", m_future, "5m: newest candle closes 60 s after now (not closed)"},
        {"no bids", m_no_bids, "book: empty side"},
        {"crossed", m_crossed, "book: crossed (bid 100.02 >= ask 100.01)"},
        {"locked", m_locked, "book: crossed (bid 100.01 >= ask 100.01)"},
        {"bad ask", m_bad_ask, "book: bad best price"},
        {"no mark", m_no_mark, "premium: mark price 0"},
        {"NaN mark", m_nan_mark, "premium: mark price nan"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        snapshot s;
        good_snapshot(&s, 300);
        int64_t now = NOW;
        rows[i].mutate(&s, &now);
        char reason[128];
        memset(reason, 'x', sizeof reason);
        int rc = snapshot_check(&s, now, reason, sizeof reason);
        if (rc != (rows[i].reason[0] ? -1 : 0) || strcmp(reason, rows[i].reason) != 0)
            fail_msg("%s: rc %d \"%s\", want \"%s\"", rows[i].name, rc, reason, rows[i].reason);
        snapshot_free(&s);
    }
}

static void test_gap_counted(void **state) {
    (void)state;
    snapshot s;
    good_snapshot(&s, 300);
    int64_t now = NOW;
    m_gap(&s, &now);
    features f;
    assert_int_equal(features_compute(&s, 14, &f), 0);
    assert_int_equal(f.tf[TF_1H].gaps, 1);
    assert_int_equal(f.tf[TF_4H].gaps, 0);
    char small[8];
    assert_int_equal(snapshot_check(&s, now, small, sizeof small), 0);
    m_59_1h(&s, &now);
    assert_int_equal(snapshot_check(&s, now, small, sizeof small), -1);
    assert_string_equal(small, "1h: 59 "); /* truncated, terminated */
    assert_int_equal(snapshot_check(&s, now, NULL, 0), -1);
    snapshot_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_1h),   cmocka_unit_test(test_swing_excludes_last_bar),
        cmocka_unit_test(test_flat_market),    cmocka_unit_test(test_insufficient_candles),
        cmocka_unit_test(test_max_bars),       cmocka_unit_test(test_book_and_premium),
        cmocka_unit_test(test_lack_describe),  cmocka_unit_test(test_json),
        cmocka_unit_test(test_snapshot_check), cmocka_unit_test(test_gap_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
