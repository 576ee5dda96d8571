/* decide: the one entry point that decides symbols from their snapshots:
 * gate (snapshot_check) -> features (ATR period of the params) -> predictor
 * (one call for every usable symbol, so a service is asked in one batch) ->
 * fallback predictor for the ones that failed -> decision_make. The live
 * pipeline and the backtest both call it; nothing else strings these steps
 * together.
 *
 * Contract of decide_symbols(): every item is filled, whatever happens:
 * - no snapshot (item->snap NULL, item->data_reason says why) or a snapshot
 *   that fails the gate: the predictor is not asked (pred is FLAT "not asked:
 *   no usable market data", not failed), the decision is FLAT with
 *   "data: <why>", and request records {"predictor":P,"symbol":S,
 *   "features":null,"data_error":why};
 * - a failed prediction with a fallback set: the fallback predicts it, the
 *   decision names the fallback, and item->fallback says "<primary> failed:
 *   <why>" (not a decision reason: the fallback is a configured, tradeable
 *   predictor); the request record stays the primary's, as sent;
 * - decided_at is env->now_ms(env->clock_ctx) once every prediction is in;
 *   candle_time the close time of the newest closed 5m candle (0: none).
 * Pure but for what the predictors do (a service predictor does I/O by
 * env->deadline_ms). Free items with decide_item_free(). */
#ifndef DECIDE_H
#define DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "domain/decision.h"
#include "domain/market_features.h"
#include "domain/marketdata.h"
#include "domain/prediction.h"
#include "domain/predictor.h"

#define DECIDE_FALLBACK_LEN 600

typedef struct decide_env {
    decision_params params;
    const predictor *primary;
    const predictor *fallback; /* NULL: a failed prediction stays FLAT */
    int64_t deadline_ms;       /* for predictors that ask a service */
    int64_t (*now_ms)(void *clock_ctx);
    void *clock_ctx;
} decide_env;

typedef struct decide_item {
    /* in */
    const char *symbol;
    const snapshot *snap;    /* NULL: no market data */
    const char *data_reason; /* why snap is NULL */
    /* out */
    decision d;
    prediction pred;                    /* the prediction d was made from */
    char fallback[DECIDE_FALLBACK_LEN]; /* why the primary was replaced; "" if not */
    dstr request;                       /* the request record */
    int usable;                         /* the snapshot passed the gate */
    features feat;                      /* valid when usable */
} decide_item;

void decide_symbols(const decide_env *env, decide_item *items, size_t n);
void decide_item_free(decide_item *item);

#endif
