/* signal: the decision pipeline: market data -> decide (domain/decide.h:
 * gate, features, predictor, decision) -> journal, for several symbols in
 * about one round trip.
 *
 * Contract: signal_decide() asks the exchange for every symbol's snapshot in
 * ONE batch (ex_snapshots: klines 5m/1h/4h/1d, SIGNAL_TF_BARS closed each,
 * depth SIGNAL_DEPTH_LIMIT, premium index; candles closing at or after the
 * pipeline clock's "now" are still forming and dropped), then decides them
 * all with decide_symbols() using env->params, env->predictor and
 * env->fallback (a predictor that asks a service asks for every symbol in
 * one more batch). A symbol whose data failed or is unusable is FLAT with
 * the reason ("data: klines 1h: timeout: ..."); it never guesses, and it
 * never stops the other symbols. No exchange (env->exchange NULL): every
 * symbol FLAT, "market data: the HTTP client could not start".
 *   candle_time = close_time of the newest closed 5m candle, as the exchange
 *                 reports it (the candle's last millisecond); 0 when unknown
 *   decided_at  = the pipeline clock once every prediction is in
 * Every decision is logged as "signal.decision" {symbol, direction, prob,
 * entry, tp, sl, rr, risk_ok, reasons, predictor, fallback?}.
 * signal_journal() writes each symbol's request and decision records
 * (journal.h), all of them in one concurrent batch bounded by a deadline
 * (signal_run: env->deadline_ms), so a slow or silent store costs the run at
 * most the time left, never an attempt per record; signal_run() does both
 * and returns how many records could not be written.
 *
 * Records:
 *   request  builtin: {"predictor":"builtin","features":{features_to_json}}
 *            gemini:  the Gemini request body, as sent (when no request could
 *                     be built: {"predictor":"gemini","features":{...}})
 *            no data: {"predictor":P,"symbol":S,"features":null,"data_error":why}
 *   decision decision_to_json + "build", "config_hash" (pipelines/audit.h) +
 *            "rationale" (the predictor's) + "fallback"
 *            (only when the fallback answered) */
#ifndef SIGNAL_H
#define SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#include "domain/decision.h"
#include "domain/decide.h"
#include "domain/marketdata.h"
#include "domain/prediction.h"
#include "pipelines/env.h"
#include "services/exchange.h"
#include "store/store.h"

#define SIGNAL_TF_BARS 300
#define SIGNAL_DEPTH_LIMIT 20

typedef struct signal_result {
    char symbol[24];
    decision d;
    prediction pred;                    /* the prediction d was made from */
    char fallback[DECIDE_FALLBACK_LEN]; /* why the configured predictor was replaced; "" if not */
    ex_status data_status;              /* EX_OK, or the status of the first failed request */
    dstr request;                       /* the request record */
    dstr record;                        /* the decision record */
    dstr request_key, decision_key;     /* journal keys; empty until written */
    int unwritten;                      /* this symbol's records the journal could not write */
} signal_result;

/* Decides for symbols[0..n) into out[0..n) (out need not be initialised).
 * Always fills every result; free them with signal_results_free(). */
void signal_decide(const pl_env *env, const char *const *symbols, size_t n, signal_result *out);
/* The same from snapshots the caller read (ex_read: the trader's one read
 * batch); snaps[i] for symbols[i], still the caller's. */
void signal_decide_read(const pl_env *env, const char *const *symbols, size_t n,
                        const ex_snapshot *snaps, signal_result *out);
/* Fills snaps[0..n) with the failure of a run without an exchange. */
void signal_no_exchange(ex_snapshot *snaps, size_t n);
/* The same from snapshots already taken (each checked at its own now_ms),
 * without the exchange. The snapshots stay the caller's. */
void signal_decide_snapshots(const pl_env *env, const snapshot *snaps, size_t n,
                             signal_result *out);
/* Journals every result (request, then decision) in one batch ending by
 * deadline_ms (0: the store's own deadline); returns the number of records
 * that could not be written (each logged whole as journal.unwritten). */
size_t signal_journal(store *journal, signal_result *out, size_t n, int64_t deadline_ms);
/* signal_decide + signal_journal into env->journal. */
size_t signal_run(const pl_env *env, const char *const *symbols, size_t n, signal_result *out);
void signal_results_free(signal_result *out, size_t n);

#endif
