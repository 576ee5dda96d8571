/* indicators: technical indicators over arrays of doubles, TA-Lib conventions.
 *
 * Contract: pure functions: no I/O, no global state, no allocation. Series
 * are oldest first and n is their length. A full-series function fills out[i]
 * for every i in [0, n), NaN at the warm-up indices, and returns the first
 * valid index. It returns -1 when an argument is invalid (NULL array, period
 * out of range; nothing is written) or when n is too short for one value
 * (every out[i] is then NaN). Each *_last helper returns exactly what out[n-1]
 * would hold, from the same code, without an output array (NaN fields where
 * the full function would return -1).
 *
 * Values are TA-Lib's (0.6, default compatibility, no unstable period, called
 * over the whole series from index 0): EMA seeded with the SMA of its first
 * `period` values, k = 2/(period+1); RSI and ATR use Wilder smoothing seeded
 * with a plain average; Bollinger bands use the population standard deviation.
 * Recursive indicators (EMA, RSI, ATR, MACD) depend on where the series
 * starts, like TA-Lib's: pass the same history to get the same numbers.
 * Where TA-Lib treats |x| < 1e-14 as zero (RSI denominator, variance) we test
 * for exact zero, so tiny-priced assets keep their values; results differ from
 * TA-Lib only for moves below 1e-14. Inputs should be finite: a NaN spreads to
 * the outputs that depend on it (for recursive indicators, all later ones).
 *
 * Warm-up (first valid index; the full function needs n > that index):
 *
 *   indicator                   first valid   periods accepted
 *   ind_sma(p)                  p - 1         p >= 1
 *   ind_ema(p)                  p - 1         p >= 1
 *   ind_rsi(p)                  p             p >= 1
 *   ind_atr(p)                  p             p >= 1   (TR needs the previous close)
 *   ind_macd(f, s, g)           s + g - 2     1 <= f <= s, g >= 1 (all 3 lines)
 *   ind_bbands(p, k)            p - 1         p >= 1, k >= 0
 *   ind_vwap                    first bar with cumulative volume > 0 (-1 if none)
 *   ind_realised_vol(w)         w             w >= 2   (w log returns: w+1 closes)
 *
 * Cost: recursive indicators and VWAP are O(n), so their *_last is too;
 * windowed ones (SMA, Bollinger, realised volatility) evaluate each window
 * directly, O(n * period) (realised volatility: that many log() calls), which
 * keeps them free of running-sum drift and makes their *_last O(period). */
#ifndef INDICATORS_H
#define INDICATORS_H

#include <stddef.h>

/* Simple moving average of the last p values. */
ptrdiff_t ind_sma(const double *in, size_t n, int period, double *out);
double ind_sma_last(const double *in, size_t n, int period);

/* Exponential moving average, seeded at index p-1 with the SMA of in[0..p). */
ptrdiff_t ind_ema(const double *in, size_t n, int period, double *out);
double ind_ema_last(const double *in, size_t n, int period);

/* Wilder's RSI in [0, 100]. Averages of gains and losses start as plain means
 * of the first p price changes. Only gains: 100. No change at all (both
 * averages exactly zero): 0, as TA-Lib. */
ptrdiff_t ind_rsi(const double *in, size_t n, int period, double *out);
double ind_rsi_last(const double *in, size_t n, int period);

/* Wilder's average true range. TR[i] = max(high-low, |high-close[i-1]|,
 * |low-close[i-1]|) from i = 1; ATR[p] is the mean of TR[1..p]. */
ptrdiff_t ind_atr(const double *high, const double *low, const double *close, size_t n, int period,
                  double *out);
double ind_atr_last(const double *high, const double *low, const double *close, size_t n,
                    int period);

/* MACD = EMA(fast) - EMA(slow), both seeded at index slow-1 (the fast one
 * with the mean of the `fast` values ending there, as TA-Lib's TA_MACD);
 * signal = EMA(signal) of that line; hist = macd - signal. All three outputs
 * start at slow + signal - 2, as TA-Lib's. TA-Lib swaps fast > slow silently;
 * here it is an error. */
typedef struct ind_macd_value {
    double macd;
    double signal;
    double hist;
} ind_macd_value;

ptrdiff_t ind_macd(const double *in, size_t n, int fast, int slow, int signal, double *macd,
                   double *signal_out, double *hist);
ind_macd_value ind_macd_last(const double *in, size_t n, int fast, int slow, int signal);

/* Bollinger bands: middle = SMA(p); upper/lower = middle +/- k * population
 * standard deviation of the same p values. */
typedef struct ind_bbands_value {
    double upper;
    double middle;
    double lower;
} ind_bbands_value;

ptrdiff_t ind_bbands(const double *in, size_t n, int period, double k, double *upper,
                     double *middle, double *lower);
ind_bbands_value ind_bbands_last(const double *in, size_t n, int period, double k);

/* VWAP anchored at index 0 of the arrays given (pass a slice to anchor
 * elsewhere, e.g. at a session start): cumulative sum of typical price
 * (high+low+close)/3 times volume over cumulative volume. NaN until some
 * volume has traded; a negative or NaN volume makes that bar and every later
 * one NaN. */
ptrdiff_t ind_vwap(const double *high, const double *low, const double *close, const double *volume,
                   size_t n, double *out);
double ind_vwap_last(const double *high, const double *low, const double *close,
                     const double *volume, size_t n);

/* Realised volatility: sample standard deviation (divisor w-1) of the last w
 * log returns ln(close[i]/close[i-1]), per bar, not annualised. A window
 * touching a close <= 0 (or NaN) gives NaN. */
ptrdiff_t ind_realised_vol(const double *close, size_t n, int window, double *out);
double ind_realised_vol_last(const double *close, size_t n, int window);

#endif
