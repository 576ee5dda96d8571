/* market_features: see market_features.h. Candles are copied into column
 * arrays on the stack (the indicators want plain double series), then each
 * feature is one indicator call on the newest bars. */
#include "domain/market_features.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "domain/indicators.h"

typedef struct columns {
    double high[FEAT_MAX_BARS], low[FEAT_MAX_BARS], close[FEAT_MAX_BARS], volume[FEAT_MAX_BARS];
    size_t n;
} columns;

static void columns_load(columns *col, const candles *c) {
    size_t from = c->n > FEAT_MAX_BARS ? c->n - FEAT_MAX_BARS : 0;
    col->n = c->n - from;
    for (size_t i = 0; i < col->n; i++) {
        const candle *k = &c->v[from + i];
        col->high[i] = k->high;
        col->low[i] = k->low;
        col->close[i] = k->close;
        col->volume[i] = k->volume;
    }
}

/* close[n-1] / close[n-1-back] - 1 */
static double return_over(const double *close, size_t n, size_t back) {
    if (n <= back) return NAN;
    double base = close[n - 1 - back];
    return base > 0 ? close[n - 1] / base - 1.0 : NAN;
}

/* Extremes of the FEAT_WINDOW bars before the last one. */
static void swing_levels(const columns *col, double *high, double *low) {
    *high = *low = NAN;
    if (col->n < FEAT_WINDOW + 1) return;
    double hi = -INFINITY, lo = INFINITY;
    for (size_t i = col->n - 1 - FEAT_WINDOW; i < col->n - 1; i++) {
        if (!(col->high[i] <= hi)) hi = col->high[i]; /* a NaN high wins and stays */
        if (!(col->low[i] >= lo)) lo = col->low[i];
    }
    *high = hi;
    *low = lo;
}

/* Over the candles used (the newest FEAT_MAX_BARS). */
static int count_gaps(const candles *c, int64_t interval) {
    int gaps = 0;
    size_t from = c->n > FEAT_MAX_BARS ? c->n - FEAT_MAX_BARS : 0;
    for (size_t i = from + 1; i < c->n; i++)
        if (c->v[i].open_time - c->v[i - 1].open_time > interval) gaps++;
    return gaps;
}

static void tf_compute(const candles *c, int64_t interval, int atr_period, tf_features *t) {
    columns col;
    columns_load(&col, c);
    size_t n = col.n;
    const double *cl = col.close;

    t->n = (int)n;
    t->gaps = count_gaps(c, interval);
    t->close_time = n ? c->v[c->n - 1].close_time : 0;
    t->close = n ? cl[n - 1] : NAN;
    t->ema20 = ind_ema_last(cl, n, 20);
    t->ema50 = ind_ema_last(cl, n, 50);
    t->rsi14 = ind_rsi_last(cl, n, 14);
    t->atr = atr_period >= 1 ? ind_atr_last(col.high, col.low, cl, n, atr_period) : NAN;

    ind_macd_value m = ind_macd_last(cl, n, 12, 26, 9);
    t->macd = m.macd;
    t->macd_signal = m.signal;
    t->macd_hist = m.hist;

    ind_bbands_value b = ind_bbands_last(cl, n, 20, 2.0);
    t->bb_upper = b.upper;
    t->bb_mid = b.middle;
    t->bb_lower = b.lower;
    double width = b.upper - b.lower;
    t->bb_pctb = width > 0 ? (t->close - b.lower) / width : width == 0 ? 0.5 : NAN;

    size_t w = n < FEAT_WINDOW ? 0 : FEAT_WINDOW; /* VWAP needs the whole window */
    t->vwap =
        w ? ind_vwap_last(col.high + n - w, col.low + n - w, cl + n - w, col.volume + n - w, w)
          : NAN;
    t->rvol20 = ind_realised_vol_last(cl, n, 20);
    t->ret1 = return_over(cl, n, 1);
    t->ret20 = return_over(cl, n, 20);
    swing_levels(&col, &t->swing_high, &t->swing_low);
}

/* The double fields of tf_features, in JSON order, with their keys. */
static const struct {
    const char *key;
    size_t offset;
} tf_fields[] = {
    {"close", offsetof(tf_features, close)},
    {"ema20", offsetof(tf_features, ema20)},
    {"ema50", offsetof(tf_features, ema50)},
    {"rsi14", offsetof(tf_features, rsi14)},
    {"atr", offsetof(tf_features, atr)},
    {"macd", offsetof(tf_features, macd)},
    {"macd_sig", offsetof(tf_features, macd_signal)},
    {"macd_hist", offsetof(tf_features, macd_hist)},
    {"bb_up", offsetof(tf_features, bb_upper)},
    {"bb_mid", offsetof(tf_features, bb_mid)},
    {"bb_lo", offsetof(tf_features, bb_lower)},
    {"bb_pctb", offsetof(tf_features, bb_pctb)},
    {"vwap20", offsetof(tf_features, vwap)},
    {"rvol20", offsetof(tf_features, rvol20)},
    {"ret1", offsetof(tf_features, ret1)},
    {"ret20", offsetof(tf_features, ret20)},
    {"swing_hi", offsetof(tf_features, swing_high)},
    {"swing_lo", offsetof(tf_features, swing_low)},
};
#define N_TF_FIELDS (sizeof tf_fields / sizeof *tf_fields)

static double tf_field(const tf_features *t, size_t i) {
    double v;
    memcpy(&v, (const char *)t + tf_fields[i].offset, sizeof v);
    return v;
}

static int tf_complete(const tf_features *t) {
    for (size_t i = 0; i < N_TF_FIELDS; i++)
        if (!isfinite(tf_field(t, i))) return 0;
    return 1;
}

static void book_compute(const order_book *b, features *f) {
    f->bid = b->n_bids ? b->bids[0].price : NAN;
    f->ask = b->n_asks ? b->asks[0].price : NAN;
    f->mid = f->spread_bps = f->imbalance = NAN;
    if (!(f->bid > 0 && f->ask > f->bid && isfinite(f->ask))) return; /* also rejects NaN */
    f->mid = (f->bid + f->ask) / 2;
    f->spread_bps = (f->ask - f->bid) / f->mid * 1e4;
    double bid_qty = 0, ask_qty = 0;
    for (size_t i = 0; i < b->n_bids && i < FEAT_BOOK_LEVELS; i++) bid_qty += b->bids[i].qty;
    for (size_t i = 0; i < b->n_asks && i < FEAT_BOOK_LEVELS; i++) ask_qty += b->asks[i].qty;
    if (bid_qty >= 0 && ask_qty >= 0 && bid_qty + ask_qty > 0)
        f->imbalance = (bid_qty - ask_qty) / (bid_qty + ask_qty);
}

unsigned features_compute(const snapshot *s, int atr_period, features *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->symbol, sizeof out->symbol, "%s", s->symbol);
    out->now_ms = s->now_ms;
    out->atr_period = atr_period;
    unsigned lack = 0;
    for (int i = 0; i < TF_COUNT; i++) {
        tf_compute(&s->tf[i], tf_ms((timeframe)i), atr_period, &out->tf[i]);
        if (!tf_complete(&out->tf[i])) lack |= 1u << i;
    }
    book_compute(&s->book, out);
    if (!isfinite(out->imbalance)) lack |= FEAT_LACK_BOOK;
    out->mark = s->premium.mark_price;
    out->funding_rate = s->premium.funding_rate;
    if (!(out->mark > 0 && isfinite(out->mark))) lack |= FEAT_LACK_PREMIUM;
    return lack;
}

void features_lack_describe(unsigned lack, char *buf, size_t cap) {
    static const char *const names[] = {"5m", "1h", "4h", "1d", "book", "premium"};
    if (cap == 0) return;
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (!(lack & (1u << i))) continue;
        int w = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= cap - len) return; /* truncated, still terminated */
        len += (size_t)w;
    }
}

/* 7 significant digits: a BTC price keeps its 0.1 tick. */
static void json_num7(dstr *out, double v) {
    if (isfinite(v)) dstr_printf(out, "%.7g", v);
    else dstr_puts(out, "null");
}

static void json_key_num(dstr *out, const char *key, double v) {
    dstr_printf(out, ",\"%s\":", key);
    json_num7(out, v);
}

void features_to_json(const features *f, dstr *out) {
    dstr_puts(out, "{\"symbol\":");
    dstr_json_str(out, f->symbol);
    dstr_printf(out, ",\"now\":%" PRId64 ",\"atr_period\":%d,\"tf\":{", f->now_ms, f->atr_period);
    for (int i = 0; i < TF_COUNT; i++) {
        const tf_features *t = &f->tf[i];
        dstr_printf(out, "%s\"%s\":{\"n\":%d,\"gaps\":%d", i ? "," : "", tf_name((timeframe)i),
                    t->n, t->gaps);
        for (size_t k = 0; k < N_TF_FIELDS; k++)
            json_key_num(out, tf_fields[k].key, tf_field(t, k));
        dstr_putc(out, '}');
    }
    dstr_puts(out, "},\"book\":{\"bid\":");
    json_num7(out, f->bid);
    json_key_num(out, "ask", f->ask);
    json_key_num(out, "mid", f->mid);
    json_key_num(out, "spread_bps", f->spread_bps);
    json_key_num(out, "imbalance10", f->imbalance);
    dstr_puts(out, "},\"premium\":{\"mark\":");
    json_num7(out, f->mark);
    json_key_num(out, "funding_rate", f->funding_rate);
    dstr_puts(out, "}}");
}

/* ---- snapshot_check ------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static int reject(char *reason, size_t cap, const char *fmt,
                                                        ...) {
    if (cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *candle_flaw(const candle *k) {
    if (!(isfinite(k->open) && isfinite(k->high) && isfinite(k->low) && isfinite(k->close)))
        return "non-finite price";
    if (!(k->low > 0)) return "low <= 0";
    if (k->low > k->open || k->low > k->close || k->high < k->open || k->high < k->close)
        return "open/close outside low..high";
    if (!(k->volume >= 0 && isfinite(k->volume))) return "bad volume";
    if (k->open_time >= k->close_time) return "open_time >= close_time";
    return NULL;
}

static int check_tf(const candles *c, timeframe tf, int64_t now_ms, char *reason, size_t cap) {
    const char *name = tf_name(tf);
    int64_t interval = tf_ms(tf);
    if (c->n < FEAT_MIN_CANDLES)
        return reject(reason, cap, "%s: %zu candles < %d", name, c->n, FEAT_MIN_CANDLES);
    for (size_t i = 0; i < c->n; i++) {
        const char *flaw = candle_flaw(&c->v[i]);
        if (flaw) return reject(reason, cap, "%s: bad candle %zu: %s", name, i, flaw);
        if (i == 0) continue;
        int64_t step = c->v[i].open_time - c->v[i - 1].open_time;
        if (step <= 0) return reject(reason, cap, "%s: candles out of order at %zu", name, i);
        if (step % interval != 0)
            return reject(reason, cap, "%s: candle %zu off the %s grid", name, i, name);
    }
    int64_t last_close = c->v[c->n - 1].close_time;
    if (last_close > now_ms + FEAT_GRACE_MS)
        return reject(reason, cap, "%s: newest candle closes %" PRId64 " s after now (not closed)",
                      name, (last_close - now_ms) / 1000);
    if (now_ms - last_close > interval + FEAT_GRACE_MS)
        return reject(reason, cap, "%s: stale, newest candle closed %" PRId64 " s ago", name,
                      (now_ms - last_close) / 1000);
    return 0;
}

int snapshot_check(const snapshot *s, int64_t now_ms, char *reason, size_t cap) {
    if (cap) reason[0] = '\0';
    for (int i = 0; i < TF_COUNT; i++)
        if (check_tf(&s->tf[i], (timeframe)i, now_ms, reason, cap)) return -1;
    const order_book *b = &s->book;
    if (b->n_bids == 0 || b->n_asks == 0) return reject(reason, cap, "book: empty side");
    double bid = b->bids[0].price, ask = b->asks[0].price;
    if (!(bid > 0 && isfinite(bid) && ask > 0 && isfinite(ask)))
        return reject(reason, cap, "book: bad best price");
    if (bid >= ask) return reject(reason, cap, "book: crossed (bid %.10g >= ask %.10g)", bid, ask);
    double mark = s->premium.mark_price;
    if (!(mark > 0 && isfinite(mark))) return reject(reason, cap, "premium: mark price %g", mark);
    return 0;
}
