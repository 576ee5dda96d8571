/* model: the built-in predictor's rules (see model.h; numbers refer to them). */
#include "domain/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int trend_vote(const tf_features *t) {
    if (t->close > t->ema50 && t->ema20 > t->ema50) return 1;
    if (t->close < t->ema50 && t->ema20 < t->ema50) return -1;
    return 0;
}

static int momentum_vote(const tf_features *t) {
    if (t->macd_hist > 0 && t->rsi14 > 50 && t->rsi14 < 70) return 1;
    if (t->macd_hist < 0 && t->rsi14 > 30 && t->rsi14 < 50) return -1;
    return 0;
}

static int timing_vote(const tf_features *t) { return (t->close > t->vwap) - (t->close < t->vwap); }

static int sign(int x) { return (x > 0) - (x < 0); }

/* Rule 1: the timeframes with a feature the rules need that is not finite. */
static void missing_inputs(const features *f, char *buf, size_t cap) {
    unsigned lack = 0;
    for (int i = TF_1H; i <= TF_1D; i++) {
        const tf_features *t = &f->tf[i];
        if (!isfinite(t->close) || !isfinite(t->ema20) || !isfinite(t->ema50)) lack |= 1u << i;
    }
    const tf_features *h = &f->tf[TF_1H], *m = &f->tf[TF_5M];
    if (!isfinite(h->macd_hist) || !isfinite(h->rsi14) || !isfinite(h->atr)) lack |= FEAT_LACK_1H;
    if (!isfinite(m->close) || !isfinite(m->vwap) || !isfinite(m->rsi14)) lack |= FEAT_LACK_5M;
    features_lack_describe(lack, buf, cap);
}

/* Rule 9: the nearer of two candidate levels strictly on the wanted side of mid. */
static double nearest_level(double mid, double a, double b, int above) {
    double best = NAN;
    const double cand[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        double x = cand[i];
        if (!isfinite(x) || !(above ? x > mid : x < mid)) continue;
        if (isnan(best) || fabs(x - mid) < fabs(best - mid)) best = x;
    }
    return best;
}

static void set_levels(const features *f, prediction *p) {
    const tf_features *h = &f->tf[TF_1H], *h4 = &f->tf[TF_4H];
    p->entry = isfinite(f->mid) ? f->mid : NAN;
    p->resistance = nearest_level(f->mid, h->swing_high, h4->swing_high, 1);
    p->support = nearest_level(f->mid, h->swing_low, h4->swing_low, 0);
}

/* Rules 6 and 7: NULL when the votes make a trade, else why not. */
static const char *flat_reason(const int votes[TF_COUNT], int score, double rsi5m) {
    int d1 = votes[TF_1D], h4 = votes[TF_4H];
    if (d1 * h4 < 0) return "trends disagree";
    if (score > -2 && score < 2) return "weak agreement";
    if (d1 != sign(score) && h4 != sign(score)) return "no trend support";
    if (score > 0 && rsi5m >= MODEL_RSI_EXHAUSTED) return "5m overbought";
    if (score < 0 && rsi5m <= 100 - MODEL_RSI_EXHAUSTED) return "5m oversold";
    return NULL;
}

void model_predict(const features *f, prediction *out) {
    char missing[64];
    missing_inputs(f, missing, sizeof missing);
    if (missing[0]) {
        prediction_flat(out, "builtin", "FLAT: insufficient data (%s)", missing);
        set_levels(f, out);
        return;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->predictor, sizeof out->predictor, "builtin");
    set_levels(f, out);

    const tf_features *h = &f->tf[TF_1H], *m = &f->tf[TF_5M];
    double atr_pct = h->atr / h->close * 100;
    int votes[TF_COUNT] = {
        [TF_5M] = timing_vote(m),
        [TF_1H] = momentum_vote(h),
        [TF_4H] = trend_vote(&f->tf[TF_4H]),
        [TF_1D] = trend_vote(&f->tf[TF_1D]),
    };
    int score = votes[TF_5M] + votes[TF_1H] + votes[TF_4H] + votes[TF_1D];

    const char *why = NULL;
    if (atr_pct < MODEL_ATR_PCT_MIN) why = "too quiet";
    else if (atr_pct > MODEL_ATR_PCT_MAX) why = "too wild";
    else why = flat_reason(votes, score, m->rsi14);

    char verdict[40];
    if (why) {
        out->dir = DIR_FLAT;
        out->prob = 0;
        snprintf(verdict, sizeof verdict, "FLAT: %s", why);
    } else {
        out->dir = score > 0 ? DIR_LONG : DIR_SHORT;
        out->prob = (45 + 10 * abs(score)) / 100.0; /* integer first: 0.65 is the double 0.65 */
        snprintf(verdict, sizeof verdict, "%s: %d votes", direction_name(out->dir), abs(score));
    }
    snprintf(out->rationale, sizeof out->rationale,
             "%s; 1d %+d 4h %+d 1h %+d 5m %+d; atr1h %.2f%%; rsi1h %.0f; rsi5m %.0f", verdict,
             votes[TF_1D], votes[TF_4H], votes[TF_1H], votes[TF_5M], atr_pct, h->rsi14, m->rsi14);
}
