/* bench_indicators: time every indicator over a series of 300 candles.
 *
 * Prints one row per call form: name, n, median and 90th-percentile
 * nanoseconds per call over RUNS timed calls (clock_gettime, CLOCK_MONOTONIC),
 * after a warm-up. The candles are a deterministic random walk around a
 * BTC-like price, so the program needs no data file. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "domain/indicators.h"

#define N 300
#define RUNS 1000
#define WARMUP 100

static double high[N], low[N], close_[N], volume[N];
static double out1[N], out2[N], out3[N];
static volatile double sink; /* keeps the calls from being optimised away */

static void make_candles(void) {
    uint64_t s = 0x9E3779B97F4A7C15u;
    double price = 100000.0;
    for (int i = 0; i < N; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        double u = (double)(s >> 11) / 9007199254740992.0; /* [0, 1) */
        price *= 1.0 + (u - 0.5) * 0.01;
        close_[i] = price;
        high[i] = price * (1.0 + u * 0.003);
        low[i] = price * (1.0 - (1.0 - u) * 0.003);
        volume[i] = 1000.0 + u * 5000.0;
    }
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef enum {
    SMA,
    SMA_LAST,
    EMA,
    EMA_LAST,
    RSI,
    RSI_LAST,
    ATR,
    ATR_LAST,
    MACD,
    MACD_LAST,
    BBANDS,
    BBANDS_LAST,
    VWAP,
    VWAP_LAST,
    RVOL,
    RVOL_LAST,
    CASES
} bench_case;

static const char *const NAMES[CASES] = {
    "sma(20)",       "sma_last(20)",       "ema(20)",          "ema_last(20)",
    "rsi(14)",       "rsi_last(14)",       "atr(14)",          "atr_last(14)",
    "macd(12,26,9)", "macd_last(12,26,9)", "bbands(20,2)",     "bbands_last(20,2)",
    "vwap",          "vwap_last",          "realised_vol(20)", "realised_vol_last(20)",
};

static void call(bench_case c) {
    switch (c) {
    case SMA: ind_sma(close_, N, 20, out1), sink = out1[N - 1]; break;
    case SMA_LAST: sink = ind_sma_last(close_, N, 20); break;
    case EMA: ind_ema(close_, N, 20, out1), sink = out1[N - 1]; break;
    case EMA_LAST: sink = ind_ema_last(close_, N, 20); break;
    case RSI: ind_rsi(close_, N, 14, out1), sink = out1[N - 1]; break;
    case RSI_LAST: sink = ind_rsi_last(close_, N, 14); break;
    case ATR: ind_atr(high, low, close_, N, 14, out1), sink = out1[N - 1]; break;
    case ATR_LAST: sink = ind_atr_last(high, low, close_, N, 14); break;
    case MACD: ind_macd(close_, N, 12, 26, 9, out1, out2, out3), sink = out3[N - 1]; break;
    case MACD_LAST: sink = ind_macd_last(close_, N, 12, 26, 9).hist; break;
    case BBANDS: ind_bbands(close_, N, 20, 2.0, out1, out2, out3), sink = out1[N - 1]; break;
    case BBANDS_LAST: sink = ind_bbands_last(close_, N, 20, 2.0).upper; break;
    case VWAP: ind_vwap(high, low, close_, volume, N, out1), sink = out1[N - 1]; break;
    case VWAP_LAST: sink = ind_vwap_last(high, low, close_, volume, N); break;
    case RVOL: ind_realised_vol(close_, N, 20, out1), sink = out1[N - 1]; break;
    case RVOL_LAST: sink = ind_realised_vol_last(close_, N, 20); break;
    case CASES: break;
    }
}

int main(void) {
    static int64_t ns[RUNS];
    make_candles();
    printf("%-24s %5s %12s %12s\n", "indicator", "n", "median_ns", "p90_ns");
    for (int c = 0; c < CASES; c++) {
        for (int r = 0; r < WARMUP; r++) call((bench_case)c);
        for (int r = 0; r < RUNS; r++) {
            int64_t t0 = now_ns();
            call((bench_case)c);
            ns[r] = now_ns() - t0;
        }
        qsort(ns, RUNS, sizeof ns[0], cmp_i64);
        printf("%-24s %5d %12lld %12lld\n", NAMES[c], N, (long long)ns[RUNS / 2],
               (long long)ns[RUNS * 9 / 10]);
    }
    return isnan(sink) ? 1 : 0;
}
