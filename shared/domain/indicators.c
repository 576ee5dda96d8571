/* indicators: see indicators.h. Two building blocks carry all the smoothing:
 * an EMA and a Wilder average, both fed one value at a time and seeded with the
 * plain mean of their first `period` values, as TA-Lib seeds them. Windowed
 * indicators use one kernel per window. Every public pair (full series and
 * *_last) runs the same code, so out[n-1] and *_last agree to the bit. */
#include "domain/indicators.h"

#include <math.h>
#include <stdbool.h>

/* ---- smoothers ---------------------------------------------------------- */

typedef struct ema {
    size_t period;
    size_t count; /* values pushed so far, up to period */
    double k;
    double value; /* running sum while count < period */
} ema;

static ema ema_init(size_t period) {
    return (ema){.period = period, .k = 2.0 / ((double)period + 1.0)};
}

/* Feeds x; returns true once value holds an EMA. */
static bool ema_push(ema *e, double x) {
    if (e->count < e->period) {
        e->value += x;
        if (++e->count < e->period) return false;
        e->value /= (double)e->period;
        return true;
    }
    e->value = (x - e->value) * e->k + e->value;
    return true;
}

typedef struct wilder {
    size_t period;
    size_t count;
    double value; /* running sum while count < period */
} wilder;

static wilder wilder_init(size_t period) { return (wilder){.period = period}; }

/* Feeds x; returns true once value holds Wilder's average. The update is
 * (prev*(p-1) + x)/p, TA-Lib's order of operations. */
static bool wilder_push(wilder *w, double x) {
    if (w->count < w->period) {
        w->value += x;
        if (++w->count < w->period) return false;
        w->value /= (double)w->period;
        return true;
    }
    w->value = (w->value * (double)(w->period - 1) + x) / (double)w->period;
    return true;
}

/* ---- helpers -------------------------------------------------------------- */

/* Writes the warm-up NaNs of one output; true if n leaves room for a value. */
static bool warm_up(double *out, size_t n, size_t first) {
    for (size_t i = 0; i < n && i < first; i++) out[i] = NAN;
    return n > first;
}

static double window_mean(const double *x, size_t w) {
    double sum = 0.0;
    for (size_t j = 0; j < w; j++) sum += x[j];
    return sum / (double)w;
}

/* Two-pass, so no cancellation when the mean dwarfs the spread (prices). */
static double window_pop_stdev(const double *x, size_t w, double mean) {
    double ss = 0.0;
    for (size_t j = 0; j < w; j++) {
        double d = x[j] - mean;
        ss += d * d;
    }
    return sqrt(ss / (double)w);
}

/* ---- SMA ------------------------------------------------------------------ */

ptrdiff_t ind_sma(const double *in, size_t n, int period, double *out) {
    if (!in || !out || period < 1) return -1;
    size_t p = (size_t)period;
    if (!warm_up(out, n, p - 1)) return -1;
    for (size_t i = p - 1; i < n; i++) out[i] = window_mean(in + i + 1 - p, p);
    return (ptrdiff_t)(p - 1);
}

double ind_sma_last(const double *in, size_t n, int period) {
    if (!in || period < 1 || n < (size_t)period) return NAN;
    return window_mean(in + n - (size_t)period, (size_t)period);
}

/* ---- EMA ------------------------------------------------------------------ */

static double ema_run(const double *in, size_t n, size_t p, double *out) {
    ema e = ema_init(p);
    for (size_t i = 0; i < n; i++)
        if (ema_push(&e, in[i]) && out) out[i] = e.value;
    return n >= p ? e.value : NAN;
}

ptrdiff_t ind_ema(const double *in, size_t n, int period, double *out) {
    if (!in || !out || period < 1) return -1;
    if (!warm_up(out, n, (size_t)period - 1)) return -1;
    ema_run(in, n, (size_t)period, out);
    return period - 1;
}

double ind_ema_last(const double *in, size_t n, int period) {
    if (!in || period < 1) return NAN;
    return ema_run(in, n, (size_t)period, NULL);
}

/* ---- RSI ------------------------------------------------------------------ */

static double rsi_run(const double *in, size_t n, size_t p, double *out) {
    wilder gain = wilder_init(p), loss = wilder_init(p);
    double rsi = NAN;
    for (size_t i = 1; i < n; i++) {
        double change = in[i] - in[i - 1];
        bool ready = wilder_push(&gain, change > 0.0 ? change : 0.0);
        wilder_push(&loss, change < 0.0 ? -change : 0.0);
        if (!ready) continue;
        double total = gain.value + loss.value;
        rsi = total == 0.0 ? 0.0 : 100.0 * (gain.value / total);
        if (out) out[i] = rsi;
    }
    return rsi;
}

ptrdiff_t ind_rsi(const double *in, size_t n, int period, double *out) {
    if (!in || !out || period < 1) return -1;
    if (!warm_up(out, n, (size_t)period)) return -1;
    rsi_run(in, n, (size_t)period, out);
    return period;
}

double ind_rsi_last(const double *in, size_t n, int period) {
    if (!in || period < 1) return NAN;
    return rsi_run(in, n, (size_t)period, NULL);
}

/* ---- ATR ------------------------------------------------------------------ */

static double true_range(const double *high, const double *low, const double *close, size_t i) {
    double tr = high[i] - low[i];
    double up = fabs(high[i] - close[i - 1]);
    double down = fabs(low[i] - close[i - 1]);
    if (up > tr) tr = up;
    if (down > tr) tr = down;
    return tr;
}

static double atr_run(const double *high, const double *low, const double *close, size_t n,
                      size_t p, double *out) {
    wilder atr = wilder_init(p);
    bool ready = false;
    for (size_t i = 1; i < n; i++) {
        ready = wilder_push(&atr, true_range(high, low, close, i));
        if (ready && out) out[i] = atr.value;
    }
    return ready ? atr.value : NAN;
}

ptrdiff_t ind_atr(const double *high, const double *low, const double *close, size_t n, int period,
                  double *out) {
    if (!high || !low || !close || !out || period < 1) return -1;
    if (!warm_up(out, n, (size_t)period)) return -1;
    atr_run(high, low, close, n, (size_t)period, out);
    return period;
}

double ind_atr_last(const double *high, const double *low, const double *close, size_t n,
                    int period) {
    if (!high || !low || !close || period < 1) return NAN;
    return atr_run(high, low, close, n, (size_t)period, NULL);
}

/* ---- MACD ----------------------------------------------------------------- */

static bool macd_periods_ok(int fast, int slow, int signal) {
    return fast >= 1 && slow >= fast && signal >= 1;
}

/* The fast EMA starts consuming at slow-fast so that it is seeded at slow-1
 * together with the slow one: TA_MACD's alignment. Outputs are written from
 * the first signal value on; the earlier MACD values only seed the signal. */
static ind_macd_value macd_run(const double *in, size_t n, size_t f, size_t s, size_t g,
                               double *out_macd, double *out_signal, double *out_hist) {
    ind_macd_value v = {NAN, NAN, NAN};
    ema fast = ema_init(f), slow = ema_init(s), signal = ema_init(g);
    for (size_t i = 0; i < n; i++) {
        bool slow_ready = ema_push(&slow, in[i]);
        if (i >= s - f) ema_push(&fast, in[i]);
        if (!slow_ready) continue;
        double line = fast.value - slow.value;
        if (!ema_push(&signal, line)) continue;
        v = (ind_macd_value){line, signal.value, line - signal.value};
        if (out_macd) {
            out_macd[i] = v.macd;
            out_signal[i] = v.signal;
            out_hist[i] = v.hist;
        }
    }
    return v;
}

ptrdiff_t ind_macd(const double *in, size_t n, int fast, int slow, int signal, double *macd,
                   double *signal_out, double *hist) {
    if (!in || !macd || !signal_out || !hist || !macd_periods_ok(fast, slow, signal)) return -1;
    size_t first = (size_t)slow + (size_t)signal - 2;
    warm_up(macd, n, first);
    warm_up(signal_out, n, first);
    if (!warm_up(hist, n, first)) return -1;
    macd_run(in, n, (size_t)fast, (size_t)slow, (size_t)signal, macd, signal_out, hist);
    return (ptrdiff_t)first;
}

ind_macd_value ind_macd_last(const double *in, size_t n, int fast, int slow, int signal) {
    if (!in || !macd_periods_ok(fast, slow, signal)) return (ind_macd_value){NAN, NAN, NAN};
    return macd_run(in, n, (size_t)fast, (size_t)slow, (size_t)signal, NULL, NULL, NULL);
}

/* ---- Bollinger bands ------------------------------------------------------ */

static ind_bbands_value bbands_window(const double *x, size_t p, double k) {
    double mean = window_mean(x, p);
    double width = k * window_pop_stdev(x, p, mean);
    return (ind_bbands_value){mean + width, mean, mean - width};
}

static bool bbands_args_ok(const double *in, int period, double k) {
    return in && period >= 1 && k >= 0.0 && isfinite(k);
}

ptrdiff_t ind_bbands(const double *in, size_t n, int period, double k, double *upper,
                     double *middle, double *lower) {
    if (!bbands_args_ok(in, period, k) || !upper || !middle || !lower) return -1;
    size_t p = (size_t)period;
    warm_up(upper, n, p - 1);
    warm_up(middle, n, p - 1);
    if (!warm_up(lower, n, p - 1)) return -1;
    for (size_t i = p - 1; i < n; i++) {
        ind_bbands_value b = bbands_window(in + i + 1 - p, p, k);
        upper[i] = b.upper;
        middle[i] = b.middle;
        lower[i] = b.lower;
    }
    return (ptrdiff_t)(p - 1);
}

ind_bbands_value ind_bbands_last(const double *in, size_t n, int period, double k) {
    if (!bbands_args_ok(in, period, k) || n < (size_t)period)
        return (ind_bbands_value){NAN, NAN, NAN};
    return bbands_window(in + n - (size_t)period, (size_t)period, k);
}

/* ---- VWAP ----------------------------------------------------------------- */

/* Returns the last VWAP; *first gets the first valid index (or n if none). */
static double vwap_run(const double *high, const double *low, const double *close,
                       const double *volume, size_t n, double *out, size_t *first) {
    double price_volume = 0.0, total_volume = 0.0, vwap = NAN;
    *first = n;
    for (size_t i = 0; i < n; i++) {
        if (!(volume[i] >= 0.0)) total_volume = NAN; /* poisons this bar and all later ones */
        price_volume += (high[i] + low[i] + close[i]) / 3.0 * volume[i];
        total_volume += volume[i];
        vwap = total_volume > 0.0 ? price_volume / total_volume : NAN;
        if (*first == n && total_volume > 0.0) *first = i;
        if (out) out[i] = vwap;
    }
    return vwap;
}

ptrdiff_t ind_vwap(const double *high, const double *low, const double *close, const double *volume,
                   size_t n, double *out) {
    if (!high || !low || !close || !volume || !out) return -1;
    size_t first;
    vwap_run(high, low, close, volume, n, out, &first);
    return first < n ? (ptrdiff_t)first : -1;
}

double ind_vwap_last(const double *high, const double *low, const double *close,
                     const double *volume, size_t n) {
    if (!high || !low || !close || !volume) return NAN;
    size_t first;
    return vwap_run(high, low, close, volume, n, NULL, &first);
}

/* ---- realised volatility -------------------------------------------------- */

/* Sample stdev of the w log returns between close[0..w]; Welford's update keeps
 * it accurate in one pass. */
static double logret_stdev(const double *close, size_t w) {
    double mean = 0.0, m2 = 0.0;
    for (size_t j = 1; j <= w; j++) {
        if (!(close[j] > 0.0 && close[j - 1] > 0.0)) return NAN;
        double r = log(close[j] / close[j - 1]);
        double d = r - mean;
        mean += d / (double)j;
        m2 += d * (r - mean);
    }
    return sqrt(m2 / (double)(w - 1));
}

ptrdiff_t ind_realised_vol(const double *close, size_t n, int window, double *out) {
    if (!close || !out || window < 2) return -1;
    size_t w = (size_t)window;
    if (!warm_up(out, n, w)) return -1;
    for (size_t i = w; i < n; i++) out[i] = logret_stdev(close + i - w, w);
    return window;
}

double ind_realised_vol_last(const double *close, size_t n, int window) {
    if (!close || window < 2 || n <= (size_t)window) return NAN;
    return logret_stdev(close + n - 1 - (size_t)window, (size_t)window);
}
