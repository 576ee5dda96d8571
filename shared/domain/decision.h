/* decision: from a prediction to a decision: the money-safety rules.
 *
 * Contract: pure (no I/O, no allocation). decision_make() turns a prediction
 * and the market features into entry, TP, SL, reward/risk and risk_ok, and
 * lists in reasons[] every rule that failed, as short strings with numbers.
 * risk_ok is true exactly when reasons[] is empty. Rules:
 *  1. ATR is Wilder ATR(atr_period) on atr_tf, read from the features (which
 *     must have been computed with the same period); it must be finite > 0.
 *  2. Entry is the predictor's entry when it lies within 0.5 ATR of mid,
 *     else mid.
 *  3. LONG: SL = entry - atr_mult_sl * ATR, TP = entry + atr_mult_tp * ATR;
 *     when the resistance lies in (entry, TP], TP = resistance - 0.05 ATR
 *     (just below it: price often turns at the level itself). SHORT mirrors
 *     this: SL above, TP below, capped at support + 0.05 ATR when the support
 *     lies in [TP, entry). A level on the far side of entry is ignored.
 *  4. rr = reward / risk: LONG (TP - entry) / (entry - SL), SHORT
 *     (entry - TP) / (SL - entry); NAN when the risk is not > 0 (rule 5's
 *     level gate then says why).
 *  5. Gates for LONG/SHORT: prob >= min_prob; rr >= rr_min (both with a 1e-9
 *     tolerance, so a value equal to the threshold in decimal passes despite
 *     binary rounding); spread_bps <= max_spread_bps; levels on the right
 *     side (LONG: sl < entry < tp; SHORT: tp < entry < sl). An unknown mid,
 *     spread or ATR fails its gate ("no mid price", "spread unknown", ...).
 *  6. FLAT: risk_ok false; entry = mid (for the record); TP, SL, rr NAN;
 *     reasons say "direction FLAT" and, for a predictor that could not
 *     answer, "predictor failed: <why>". The gates of rule 5 are not
 *     evaluated: nothing would be traded.
 *  7. A data-validity failure passed in by the caller comes first, as
 *     "data: <why>".
 * Times are unix ms, chosen by the caller. */
#ifndef DECISION_H
#define DECISION_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "domain/market_features.h"
#include "domain/marketdata.h"
#include "domain/prediction.h"

#define DECISION_ENTRY_MAX_ATR 0.5 /* rule 2 */
#define DECISION_CAP_ATR 0.05      /* rule 3: distance kept from the level */
#define DECISION_MAX_REASONS 10
#define DECISION_REASON_LEN 160

typedef struct decision_params {
    double min_prob, rr_min, atr_mult_tp, atr_mult_sl, max_spread_bps;
    int atr_period;
    timeframe atr_tf;
} decision_params;

/* The service defaults (config.c): 0.60, 1.20, 1.8, 1.0, 2.0 bps, ATR(14) on 1h. */
decision_params decision_params_default(void);

typedef struct decision_input {
    const char *symbol;
    const prediction *pred;
    const features *feat;    /* NULL when the snapshot was unusable */
    const char *data_reason; /* snapshot_check's reason; NULL or "" when usable */
    int64_t candle_time, decided_at;
} decision_input;

typedef struct decision {
    char symbol[24];
    direction dir;
    double prob, entry, tp, sl, rr; /* NAN when absent */
    int risk_ok;
    char reasons[DECISION_MAX_REASONS][DECISION_REASON_LEN];
    size_t n_reasons; /* further failures beyond the capacity are dropped */
    char predictor[16];
    int64_t candle_time, decided_at;
} decision;

void decision_make(const decision_input *in, const decision_params *params, decision *out);

/* {"symbol","direction","prob","entry","tp","sl","rr","risk_ok","reasons":[],
 *  "predictor","candle_time","decided_at"}; null for NAN. */
void decision_to_json(const decision *d, dstr *out);

#endif
