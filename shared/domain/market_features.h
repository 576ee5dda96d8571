/* market_features (prefix features_): what the market looks like, computed
 * once per snapshot. (Not "features.h": -Ishared would shadow glibc's.)
 *
 * Contract: pure domain code: no I/O, no logging, no allocation (scratch
 * space lives on the stack). features_compute() never fails: a value that
 * cannot be computed (too few candles, a bad price) is NAN, and the returned
 * mask says which inputs were insufficient, so a predictor can go FLAT with
 * a reason instead of guessing. snapshot_check() is the data-validity gate a
 * caller runs first (it guarantees enough candles, not e.g. traded volume).
 *
 * Per timeframe (5m, 1h, 4h, 1d), over the newest FEAT_MAX_BARS candles:
 *   close                       last close
 *   ema20, ema50                EMA(20), EMA(50) of closes
 *   rsi14                       Wilder RSI(14)
 *   atr                         Wilder ATR(atr_period), 14 by default
 *   macd, macd_signal, macd_hist  MACD(12, 26, 9)
 *   bb_upper, bb_mid, bb_lower  Bollinger(20, 2)
 *   bb_pctb                     (close - lower) / (upper - lower); 0.5 on a flat band
 *   vwap                        VWAP of the last FEAT_WINDOW (20) bars
 *   rvol20                      realised volatility: sd of the last 20 log returns
 *   ret1, ret20                 close / close 1 and 20 bars back, minus 1
 *   swing_high, swing_low       highest high / lowest low of the FEAT_WINDOW (20)
 *                               bars before the last one: the last bar is left
 *                               out so a breakout shows as close > swing_high
 * Book (top FEAT_BOOK_LEVELS = 10 levels): best bid/ask, mid, spread in bps
 * of mid, imbalance = (bid qty - ask qty) / (bid qty + ask qty) in [-1, 1].
 * Premium: mark price, funding rate (funding is informative only: a NAN
 * funding rate is not reported as insufficient). */
#ifndef MARKET_FEATURES_H
#define MARKET_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "domain/marketdata.h"

#define FEAT_MIN_CANDLES 60 /* snapshot_check's minimum per timeframe */
#define FEAT_MAX_BARS 512   /* older candles are ignored */
#define FEAT_WINDOW 20      /* VWAP, swing levels (Bollinger, rvol use 20 too) */
#define FEAT_BOOK_LEVELS 10
#define FEAT_ATR_PERIOD 14  /* the default; features_compute takes the period */
#define FEAT_GRACE_MS 60000 /* snapshot_check's tolerance for latency and clock skew */

typedef struct tf_features {
    int n;              /* candles used */
    int gaps;           /* open_time steps larger than the interval (tolerated) */
    int64_t close_time; /* of the newest candle; 0 when none */
    double close, ema20, ema50, rsi14, atr;
    double macd, macd_signal, macd_hist;
    double bb_upper, bb_mid, bb_lower, bb_pctb;
    double vwap, rvol20, ret1, ret20;
    double swing_high, swing_low;
} tf_features;

typedef struct features {
    char symbol[24];
    int64_t now_ms;
    int atr_period;
    tf_features tf[TF_COUNT];
    double bid, ask, mid, spread_bps, imbalance;
    double mark, funding_rate;
} features;

/* Bits of features_compute's result: which inputs were insufficient.
 * A timeframe's bit is set when any of its features is NAN. */
enum {
    FEAT_LACK_5M = 1u << TF_5M,
    FEAT_LACK_1H = 1u << TF_1H,
    FEAT_LACK_4H = 1u << TF_4H,
    FEAT_LACK_1D = 1u << TF_1D,
    FEAT_LACK_BOOK = 1u << TF_COUNT,         /* empty side, bad or crossed prices */
    FEAT_LACK_PREMIUM = 1u << (TF_COUNT + 1) /* mark price missing or <= 0 */
};

/* Fills out from s; ATR uses atr_period (>= 1; otherwise every ATR is NAN).
 * Returns the FEAT_LACK_* mask, 0 when everything was computed. */
unsigned features_compute(const snapshot *s, int atr_period, features *out);

/* Writes the mask as text ("1d, book"; "" for 0) into buf. */
void features_lack_describe(unsigned lack, char *buf, size_t cap);

/* Compact JSON (short keys, 7 significant digits, null for NAN), used as the
 * predictor's prompt payload and stored for audit; about 2 KB:
 * {"symbol","now","atr_period","tf":{"5m":{...},...},"book":{...},"premium":{...}} */
void features_to_json(const features *f, dstr *out);

/* The data-validity gate. Returns 0 when s is usable at now_ms, otherwise -1
 * with one reason in reason (always NUL-terminated when cap > 0). Rules, in
 * the order checked:
 *  1. every timeframe has at least FEAT_MIN_CANDLES candles;
 *  2. every candle is sane: finite prices, 0 < low <= min(open, close),
 *     max(open, close) <= high, volume >= 0 and finite, open_time < close_time;
 *  3. open_time strictly increases and every step is a whole number of
 *     intervals; a step of several intervals (a gap: exchange maintenance)
 *     is tolerated and counted in tf_features.gaps;
 *  4. the newest candle has closed: close_time <= now + FEAT_GRACE_MS (the
 *     grace absorbs clock skew against the exchange);
 *  5. the newest candle is recent: now - close_time <= interval +
 *     FEAT_GRACE_MS. When fresh, the newest closed candle ended less than one
 *     interval ago; the fixed grace covers fetch latency; a proportional one
 *     would let a missing daily candle through for hours;
 *  6. the book has both sides, positive finite best prices, bid < ask;
 *  7. the mark price is finite and > 0.
 * Book and premium exchange timestamps are not compared with now: they are
 * fetched in the same pass as the candles, and a replayed or quiet book
 * carries an old update time. */
int snapshot_check(const snapshot *s, int64_t now_ms, char *reason, size_t cap);

#endif
