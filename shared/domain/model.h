/* model: the built-in predictor, a deterministic multi-timeframe vote.
 *
 * Contract: pure (no I/O, no allocation); the same features always give the
 * same prediction, predictor "builtin". Every vote is +1 (long), -1 (short)
 * or 0, and the rationale lists them, e.g.
 *   "LONG: 3 votes; 1d +1 4h +1 1h +0 5m +1; atr1h 0.42%; rsi1h 55; rsi5m 58"
 * The text before the first ':' is the verdict (LONG, SHORT, or FLAT and why).
 *
 * Rules, applied in this order:
 *  1. Data: any feature the rules read that is not finite (the 1h/4h/1d
 *     close, EMA20, EMA50; 1h MACD histogram, RSI, ATR; 5m close, VWAP, RSI)
 *     -> FLAT, failed, naming the missing timeframes.
 *  2. Volatility regime: ATR% = 1h ATR / 1h close. Below 0.15% (too quiet:
 *     a target of a few ATR hardly clears fees) or above 3% (too wild: stops
 *     of one ATR are noise) -> FLAT.
 *  3. Trend votes, 1d and 4h: +1 when close > EMA50 and EMA20 > EMA50;
 *     -1 when close < EMA50 and EMA20 < EMA50; 0 otherwise.
 *  4. Momentum vote, 1h: +1 when MACD histogram > 0 and 50 < RSI < 70;
 *     -1 when histogram < 0 and 30 < RSI < 50; 0 otherwise (including an
 *     overbought or oversold RSI, where momentum tends to stall).
 *  5. Timing vote, 5m: +1 when close > VWAP(20 bars); -1 when close < VWAP.
 *  6. Score S = sum of the four votes. FLAT when the 1d and 4h votes oppose
 *     each other, when |S| < 2, or when neither trend vote has the sign of S
 *     (no trade against or without the higher-timeframe trend).
 *     Otherwise the direction is the sign of S.
 *  7. Exhaustion veto: LONG with 5m RSI >= 75, or SHORT with 5m RSI <= 25
 *     -> FLAT (the entry would chase an extended move).
 *  8. prob = 0.45 + 0.10 * |S|: 0.65, 0.75, 0.85 for 2, 3, 4 agreeing votes.
 *     FLAT answers carry prob 0 (no directional claim).
 *  9. Levels: resistance = the nearer of the 1h and 4h swing highs above mid,
 *     support = the nearer of the 1h and 4h swing lows below mid (NAN when
 *     none lies on that side); entry = mid (NAN without a book). Set for FLAT
 *     answers too, for the record. */
#ifndef MODEL_H
#define MODEL_H

#include "domain/market_features.h"
#include "domain/prediction.h"

#define MODEL_ATR_PCT_MIN 0.15
#define MODEL_ATR_PCT_MAX 3.0
#define MODEL_RSI_EXHAUSTED 75.0

void model_predict(const features *f, prediction *out);

#endif
