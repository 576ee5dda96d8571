/* model: each numbered rule of model.h on hand-built features. The base
 * market is neutral (every vote 0, 1h ATR 0.5% of price, 5m RSI 50, mid
 * 100); a case sets the votes it needs through the raw features, so the vote
 * rules themselves are exercised, not bypassed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "domain/model.h"

static features neutral(void) {
    features f;
    memset(&f, 0, sizeof f);
    snprintf(f.symbol, sizeof f.symbol, "BTCUSDT");
    f.atr_period = 14;
    for (int i = 0; i < TF_COUNT; i++) {
        tf_features *t = &f.tf[i];
        t->n = 300;
        t->close = t->ema20 = t->ema50 = t->bb_mid = t->vwap = 100;
        t->rsi14 = 50;
        t->atr = 0.5;
        t->macd = t->macd_signal = t->macd_hist = 0;
        t->bb_upper = 102;
        t->bb_lower = 98;
        t->bb_pctb = 0.5;
        t->rvol20 = 0.004;
        t->ret1 = t->ret20 = 0;
        t->swing_high = 101 + i; /* 1h 102, 4h 103 */
        t->swing_low = 99 - i;   /* 1h 98, 4h 97 */
    }
    f.bid = 99.995;
    f.ask = 100.005;
    f.mid = 100;
    f.spread_bps = 1;
    f.imbalance = 0;
    f.mark = 100;
    f.funding_rate = 0.0001;
    return f;
}

/* Rule 3 through raw features. */
static void set_trend(tf_features *t, int vote) {
    if (vote == 0) return;
    t->close = 100 + 2 * vote;
    t->ema20 = 100 + vote;
    t->ema50 = 100;
}

/* Rule 4. */
static void set_momentum(tf_features *t, int vote) {
    if (vote == 0) return;
    t->macd_hist = 0.5 * vote;
    t->rsi14 = 50 + 10 * vote;
}

/* Rule 5: the 5m close against its VWAP (mid stays 100). */
static void set_timing(tf_features *t, int vote) { t->vwap = 100 - 0.2 * vote; }

static features with_votes(int d1, int h4, int h1, int m5) {
    features f = neutral();
    set_trend(&f.tf[TF_1D], d1);
    set_trend(&f.tf[TF_4H], h4);
    set_momentum(&f.tf[TF_1H], h1);
    set_timing(&f.tf[TF_5M], m5);
    return f;
}

static void predict(const features *f, prediction *p) {
    memset(p, 0xA5, sizeof *p); /* every field must be written */
    model_predict(f, p);
    assert_string_equal(p->predictor, "builtin");
    assert_true(p->prob >= 0 && p->prob <= 1);
}

/* ---- rules 6 and 8: the vote table ----------------------------------------- */

typedef struct vote_case {
    int d1, h4, h1, m5;
    direction dir;
    double prob;
    const char *verdict; /* rationale up to ';' */
} vote_case;

/* clang-format off */
static const vote_case vote_cases[] = {
    {+1, +1, +1, +1, DIR_LONG, 0.85, "LONG: 4 votes"},
    {-1, -1, -1, -1, DIR_SHORT, 0.85, "SHORT: 4 votes"},
    {+1, +1, +1, 0, DIR_LONG, 0.75, "LONG: 3 votes"},
    {+1, +1, 0, -1, DIR_FLAT, 0, "FLAT: weak agreement"},
    {0, -1, -1, -1, DIR_SHORT, 0.75, "SHORT: 3 votes"},
    {+1, 0, 0, +1, DIR_LONG, 0.65, "LONG: 2 votes"},
    {+1, +1, -1, +1, DIR_LONG, 0.65, "LONG: 2 votes"}, /* a pullback on 1h is allowed */
    {0, -1, 0, -1, DIR_SHORT, 0.65, "SHORT: 2 votes"},
    {+1, -1, +1, +1, DIR_FLAT, 0, "FLAT: trends disagree"},
    {-1, +1, -1, -1, DIR_FLAT, 0, "FLAT: trends disagree"},
    {+1, 0, 0, 0, DIR_FLAT, 0, "FLAT: weak agreement"},
    {+1, 0, -1, 0, DIR_FLAT, 0, "FLAT: weak agreement"},
    {0, 0, 0, 0, DIR_FLAT, 0, "FLAT: weak agreement"},
    {0, 0, +1, +1, DIR_FLAT, 0, "FLAT: no trend support"},
    {0, 0, -1, -1, DIR_FLAT, 0, "FLAT: no trend support"},
};
/* clang-format on */

static void test_votes(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof vote_cases / sizeof *vote_cases; i++) {
        const vote_case *c = &vote_cases[i];
        features f = with_votes(c->d1, c->h4, c->h1, c->m5);
        prediction p;
        predict(&f, &p);
        char votes[64];
        snprintf(votes, sizeof votes, "; 1d %+d 4h %+d 1h %+d 5m %+d;", c->d1, c->h4, c->h1, c->m5);
        if (p.dir != c->dir || p.prob != c->prob ||
            strncmp(p.rationale, c->verdict, strlen(c->verdict)) ||
            p.rationale[strlen(c->verdict)] != ';' || !strstr(p.rationale, votes))
            fail_msg("votes %+d %+d %+d %+d: got %s %.17g \"%s\", want %s %.2f \"%s\"", c->d1,
                     c->h4, c->h1, c->m5, direction_name(p.dir), p.prob, p.rationale,
                     direction_name(c->dir), c->prob, c->verdict);
        assert_false(p.failed);
    }
}

/* ---- rules 3, 4, 5: each vote from its raw features --------------------------- */

/* The vote the rationale reports for a timeframe label ("1d", ...). */
static int reported_vote(const prediction *p, const char *label) {
    char key[8];
    snprintf(key, sizeof key, " %s ", label);
    const char *at = strstr(p->rationale, key);
    assert_non_null(at);
    int v = 99;
    assert_int_equal(sscanf(at + strlen(key), "%d", &v), 1);
    return v;
}

static void test_trend_vote(void **state) {
    (void)state;
    static const struct {
        double close, ema20, ema50;
        int vote;
    } rows[] = {
        {102, 101, 100, +1}, {98, 99, 100, -1}, {102, 99, 100, 0},  {98, 101, 100, 0},
        {100, 101, 100, 0},  {100, 99, 100, 0}, {102, 100, 100, 0},
    };
    for (int tf = TF_4H; tf <= TF_1D; tf++)
        for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
            features f = neutral();
            f.tf[tf].close = rows[i].close;
            f.tf[tf].ema20 = rows[i].ema20;
            f.tf[tf].ema50 = rows[i].ema50;
            prediction p;
            predict(&f, &p);
            assert_int_equal(reported_vote(&p, tf_name((timeframe)tf)), rows[i].vote);
        }
}

static void test_momentum_vote(void **state) {
    (void)state;
    static const struct {
        double hist, rsi;
        int vote;
    } rows[] = {
        {0.5, 60, +1},  {0.5, 69.9, +1},  {0.5, 70, 0},  {0.5, 50, 0},  {0.5, 45, 0},  {0, 60, 0},
        {-0.5, 40, -1}, {-0.5, 30.1, -1}, {-0.5, 30, 0}, {-0.5, 50, 0}, {-0.5, 55, 0}, {0, 40, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        features f = neutral();
        f.tf[TF_1H].macd_hist = rows[i].hist;
        f.tf[TF_1H].rsi14 = rows[i].rsi;
        prediction p;
        predict(&f, &p);
        assert_int_equal(reported_vote(&p, "1h"), rows[i].vote);
    }
}

static void test_timing_vote(void **state) {
    (void)state;
    static const struct {
        double close, vwap;
        int vote;
    } rows[] = {{100.2, 100, +1}, {99.8, 100, -1}, {100, 100, 0}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        features f = neutral();
        f.tf[TF_5M].close = rows[i].close;
        f.tf[TF_5M].vwap = rows[i].vwap;
        prediction p;
        predict(&f, &p);
        assert_int_equal(reported_vote(&p, "5m"), rows[i].vote);
    }
}

/* ---- rule 1: missing inputs --------------------------------------------------- */

static void test_missing_inputs(void **state) {
    (void)state;
    static const struct {
        timeframe tf;
        size_t offset;
        const char *text;
    } rows[] = {
        {TF_1D, offsetof(tf_features, ema50), "FLAT: insufficient data (1d)"},
        {TF_4H, offsetof(tf_features, close), "FLAT: insufficient data (4h)"},
        {TF_1H, offsetof(tf_features, macd_hist), "FLAT: insufficient data (1h)"},
        {TF_1H, offsetof(tf_features, atr), "FLAT: insufficient data (1h)"},
        {TF_1H, offsetof(tf_features, ema20), "FLAT: insufficient data (1h)"},
        {TF_5M, offsetof(tf_features, vwap), "FLAT: insufficient data (5m)"},
        {TF_5M, offsetof(tf_features, rsi14), "FLAT: insufficient data (5m)"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        features f = with_votes(1, 1, 1, 1);
        double nan = NAN;
        memcpy((char *)&f.tf[rows[i].tf] + rows[i].offset, &nan, sizeof nan);
        prediction p;
        predict(&f, &p);
        assert_int_equal(p.dir, DIR_FLAT);
        assert_true(p.failed);
        assert_true(p.prob == 0);
        assert_string_equal(p.rationale, rows[i].text);
    }
    /* several at once, and features the rules do not read do not matter */
    features f = with_votes(1, 1, 1, 1);
    f.tf[TF_1D].close = NAN;
    f.tf[TF_5M].close = INFINITY;
    prediction p;
    predict(&f, &p);
    assert_string_equal(p.rationale, "FLAT: insufficient data (5m, 1d)");
    f = with_votes(1, 1, 1, 1);
    f.tf[TF_1D].bb_upper = f.tf[TF_5M].atr = f.funding_rate = f.imbalance = NAN;
    predict(&f, &p);
    assert_int_equal(p.dir, DIR_LONG);
}

/* ---- rule 2: volatility regime ------------------------------------------------ */

static void test_volatility_regime(void **state) {
    (void)state;
    static const struct {
        double atr; /* 1h, price 100: percent */
        direction dir;
        const char *verdict;
    } rows[] = {
        {0.10, DIR_FLAT, "FLAT: too quiet"}, {0.14, DIR_FLAT, "FLAT: too quiet"},
        {0.16, DIR_LONG, "LONG: 4 votes"},   {2.9, DIR_LONG, "LONG: 4 votes"},
        {3.1, DIR_FLAT, "FLAT: too wild"},   {8.0, DIR_FLAT, "FLAT: too wild"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        features f = with_votes(1, 1, 1, 1);
        /* the 1h close is 100 with momentum votes (set_momentum leaves it) */
        f.tf[TF_1H].atr = rows[i].atr;
        prediction p;
        predict(&f, &p);
        assert_int_equal(p.dir, rows[i].dir);
        assert_false(p.failed);
        assert_memory_equal(p.rationale, rows[i].verdict, strlen(rows[i].verdict));
    }
    /* ATR% is relative to the 1h close, not absolute */
    features f = with_votes(-1, -1, -1, -1);
    f.tf[TF_1H].close = 10000;
    f.tf[TF_1H].atr = 10; /* 0.1% */
    prediction p;
    predict(&f, &p);
    assert_memory_equal(p.rationale, "FLAT: too quiet", 15);
    assert_non_null(strstr(p.rationale, "atr1h 0.10%"));
}

/* ---- rule 7: exhaustion veto -------------------------------------------------- */

static void test_exhaustion_veto(void **state) {
    (void)state;
    static const struct {
        int side;
        double rsi5m;
        direction dir;
        const char *verdict;
    } rows[] = {
        {+1, 74.9, DIR_LONG, "LONG: 4 votes"},     {+1, 75, DIR_FLAT, "FLAT: 5m overbought"},
        {+1, 90, DIR_FLAT, "FLAT: 5m overbought"}, {+1, 10, DIR_LONG, "LONG: 4 votes"},
        {-1, 25.1, DIR_SHORT, "SHORT: 4 votes"},   {-1, 25, DIR_FLAT, "FLAT: 5m oversold"},
        {-1, 5, DIR_FLAT, "FLAT: 5m oversold"},    {-1, 90, DIR_SHORT, "SHORT: 4 votes"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int s = rows[i].side;
        features f = with_votes(s, s, s, s);
        f.tf[TF_5M].rsi14 = rows[i].rsi5m;
        prediction p;
        predict(&f, &p);
        assert_int_equal(p.dir, rows[i].dir);
        assert_memory_equal(p.rationale, rows[i].verdict, strlen(rows[i].verdict));
    }
}

/* ---- rule 9: levels ----------------------------------------------------------- */

static void test_levels(void **state) {
    (void)state;
    static const struct {
        double hi1h, hi4h, lo1h, lo4h, mid;
        double resistance, support;
    } rows[] = {
        {102, 103, 98, 97, 100, 102, 98},     /* the nearer: 1h */
        {104, 103, 96, 97, 100, 103, 97},     /* the nearer: 4h */
        {99.5, 103, 100.5, 97, 100, 103, 97}, /* 1h levels already broken */
        {99, 98, 101, 102, 100, NAN, NAN},    /* none on the right side */
        {100, 101, 100, 99, 100, 101, 99},    /* a level at mid is not beyond it */
        {NAN, 103, 98, NAN, 100, 103, 98},
        {102, 103, 98, 97, NAN, NAN, NAN}, /* no book: no levels, no entry */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        for (int flat = 0; flat <= 1; flat++) {
            features f = flat ? neutral() : with_votes(1, 1, 1, 1);
            f.tf[TF_1H].swing_high = rows[i].hi1h;
            f.tf[TF_4H].swing_high = rows[i].hi4h;
            f.tf[TF_1H].swing_low = rows[i].lo1h;
            f.tf[TF_4H].swing_low = rows[i].lo4h;
            f.mid = rows[i].mid;
            prediction p;
            predict(&f, &p);
            assert_int_equal(p.dir, flat ? DIR_FLAT : DIR_LONG);
            if (isnan(rows[i].resistance)) assert_true(isnan(p.resistance));
            else assert_true(p.resistance == rows[i].resistance);
            if (isnan(rows[i].support)) assert_true(isnan(p.support));
            else assert_true(p.support == rows[i].support);
            if (isnan(rows[i].mid)) assert_true(isnan(p.entry));
            else assert_true(p.entry == rows[i].mid);
        }
    }
}

static void test_rationale_and_determinism(void **state) {
    (void)state;
    features f = with_votes(1, 1, 0, 1);
    f.tf[TF_1H].rsi14 = 57.4;
    f.tf[TF_5M].rsi14 = 61.6;
    prediction a, b;
    predict(&f, &a);
    predict(&f, &b);
    assert_memory_equal(&a, &b, sizeof a);
    assert_string_equal(a.rationale,
                        "LONG: 3 votes; 1d +1 4h +1 1h +0 5m +1; atr1h 0.50%; rsi1h 57; rsi5m 62");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_votes),
        cmocka_unit_test(test_trend_vote),
        cmocka_unit_test(test_momentum_vote),
        cmocka_unit_test(test_timing_vote),
        cmocka_unit_test(test_missing_inputs),
        cmocka_unit_test(test_volatility_regime),
        cmocka_unit_test(test_exhaustion_veto),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_rationale_and_determinism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
