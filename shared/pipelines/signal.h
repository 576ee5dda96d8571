/* signal_pipeline (prefix signal_; not "signal.h": -Ishared would shadow
 * the system header): the decision pipeline: market data -> features ->
 * predictor -> decision -> journal, for several symbols in about one round
 * trip.
 *
 * Contract: signal_decide() prepares every Binance request of every symbol
 * (klines 5m/1h/4h/1d with limit SIGNAL_KLINES_LIMIT, depth
 * SIGNAL_DEPTH_LIMIT, premiumIndex) and runs them in ONE http_run; a
 * predictor that asks a service (gemini) gets one more batch for all
 * symbols. Per symbol, in the domain order: snapshot (forming candles, whose
 * close_time >= the time the batch started, dropped; the newest
 * SIGNAL_TF_BARS kept) -> snapshot_check -> features_compute(ATR_PERIOD) ->
 * predictor -> decision_make with the configured decision_params. A symbol
 * whose data failed (any of its six requests) or is unusable is FLAT with
 * the reason ("data: klines 1h: timeout: ..."); it never guesses, and it
 * never stops the other symbols.
 *   candle_time = close_time of the newest closed 5m candle, as Binance
 *                 reports it (the candle's last millisecond); 0 when unknown
 *   decided_at  = the wall clock once every prediction is in
 * Predictors (PREDICTOR): "builtin" = model_predict; "gemini" = the Gemini
 * service (gemini.h), every symbol in one batch. With
 * PREDICTOR_FALLBACK=builtin a failed gemini prediction is replaced by the
 * builtin one: the decision names "builtin", and the record carries
 * "fallback": "gemini failed: <why>" (not a decision reason: decision.h keeps
 * risk_ok true exactly when reasons is empty, and the fallback is a
 * configured, tradeable predictor); with "none" it stays FLAT with
 * "predictor failed: <why>".
 * Every decision is logged as "signal.decision" {symbol, direction, prob,
 * entry, tp, sl, rr, risk_ok, reasons, predictor, fallback?}. signal_journal() writes
 * each symbol's request and decision records (journal.h); signal_run() does
 * both and returns how many records could not be written.
 *
 * Records:
 *   request  builtin: {"predictor":"builtin","features":{features_to_json}}
 *            gemini:  the Gemini request body, as sent (when no request could
 *                     be built: {"predictor":"gemini","features":{...}})
 *            no data: {"predictor":P,"symbol":S,"features":null,"data_error":why}
 *   decision decision_to_json + "rationale" (the predictor's) + "fallback"
 *            (only when the fallback answered) */
#ifndef SIGNAL_PIPELINE_H
#define SIGNAL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "frame/api.h"
#include "services/binance.h"
#include "domain/decision.h"
#include "domain/marketdata.h"
#include "domain/prediction.h"
#include "store/store.h"

#define SIGNAL_TF_BARS 300
#define SIGNAL_KLINES_LIMIT (SIGNAL_TF_BARS + 1) /* + the forming candle */
#define SIGNAL_DEPTH_LIMIT 20
#define SIGNAL_REQS 6 /* per symbol: 4 klines, depth, premiumIndex */

/* What the pipeline runs with; signal_run() fills it from an api_ctx. */
typedef struct signal_env {
    const cfg *cfg;
    http_client *http;   /* NULL: no market data (every symbol FLAT, "data: ...") */
    store *journal;      /* NULL: every record unwritten (logged in full) */
    int64_t deadline_ms; /* absolute, unix ms */
} signal_env;

typedef struct signal_result {
    char symbol[24];
    decision d;
    prediction pred;                /* the prediction d was made from */
    char fallback[600];             /* why the configured predictor was replaced; "" if not */
    ex_status data_status;          /* EX_OK, or the status of the first failed request */
    dstr request;                   /* the request record */
    dstr record;                    /* the decision record */
    dstr request_key, decision_key; /* journal keys; empty until written */
    int unwritten;                  /* this symbol's records the journal could not write */
} signal_result;

/* Decides for symbols[0..n) into out[0..n) (out need not be initialised).
 * Always fills every result; free them with signal_results_free(). */
void signal_decide(const signal_env *env, const char *const *symbols, size_t n, signal_result *out);
/* Journals every result (request, then decision); returns the number of
 * records that could not be written (each logged as journal.unwritten). */
size_t signal_journal(store *journal, signal_result *out, size_t n);
/* signal_decide + signal_journal. */
size_t signal_run_env(const signal_env *env, const char *const *symbols, size_t n,
                      signal_result *out);
/* The same inside a function: the process-wide HTTP client, the journal
 * store of JOURNAL_URL (journal_open), the invocation's deadline. */
size_t signal_run(api_ctx *ctx, const char *const *symbols, size_t n, signal_result *out);
void signal_results_free(signal_result *out, size_t n);

/* The environment of signal_run() without running it (for functions that
 * decide and journal in two steps). */
void signal_env_from_ctx(api_ctx *ctx, signal_env *env);

/* Exposed for tests and benchmarks. */
/* signal_decide() from snapshots already taken (each checked at its own
 * now_ms), without fetching: gate, features, predictor, decision, log. The
 * snapshots stay the caller's. */
void signal_decide_snapshots(const signal_env *env, const snapshot *snaps, size_t n,
                             signal_result *out);
/* Prepares the SIGNAL_REQS market-data requests of one symbol into reqs. */
void signal_prepare_market(const bn_client *bn, const char *symbol, http_request *reqs);
/* Parses finished requests into s (closed candles before now_ms, newest
 * SIGNAL_TF_BARS). Returns 0, or -1 with why (the first failed request, and
 * how many others failed) and its status; s is then empty. */
int signal_assemble(http_request *reqs, const char *symbol, int64_t now_ms, snapshot *s, char *why,
                    size_t cap, ex_status *status);

#endif
