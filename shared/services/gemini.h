/* gemini: the Gemini predictor, over REST generateContent (prefix gemini_).
 *
 * Contract: like binance.h, a prepare/parse pair around http_run, so several
 * symbols are asked concurrently in one batch. gemini_prepare() builds
 *   POST {GEMINI_BASE_URL}/v1beta/models/{GEMINI_MODEL}:generateContent
 * with the key in the x-goog-api-key header only (never in the URL, the body
 * or a log), marked idempotent (asking again is harmless), and logs
 * "gemini.request" {symbol, model, payload_hint, payload_preview (first 256
 * bytes of the market payload), request_bytes}. The request's body (r->body)
 * is the full request JSON, free of secrets: the caller stores it as
 * payloads/YYYYMMDD/{ts}_{symbol}_request.json.
 * gemini_parse() always fills a prediction (predictor "gemini") and logs
 * "gemini.response" {symbol, direction, prob, support?, resistance?, entry?,
 * attempts, elapsed_ms, status, token counts when Google sent them}, plus
 * error when it failed. It returns 0 for a usable answer, or -1 with a
 * failed FLAT whose rationale says why. Rules, in the order checked:
 *  1. No HTTP answer (timeout, deadline, connection, ban) ->
 *     "gemini unavailable: <error> after N attempt(s): <detail>".
 *  2. HTTP status >= 300 -> "gemini HTTP <code> <error.status> (<ErrorInfo
 *     reason>); <hint>: <error.message>", hint first (decision reasons are
 *     short): 404 "the model id '<id>' may be retired or misspelt, check
 *     GEMINI_MODEL"; API_KEY_* / 401 / 403 "check GOOGLE_API_KEY"; 429 with
 *     a PerDay quotaId "daily quota <id> exhausted, not retried"; a RetryInfo
 *     delay that could not be honoured "Google asked to retry after <d>".
 *  3. A 2xx body that is not a JSON object -> failed.
 *  4. promptFeedback.blockReason -> "prompt blocked: <reason>".
 *  5. No candidates -> "no candidates". Only candidates[0] is read.
 *  6. finishReason other than STOP: MAX_TOKENS -> "truncated at
 *     maxOutputTokens=N: raise G_MAX_TOKENS" (N read back from the request
 *     sent; thinking tokens, which count against it, are named when > 0);
 *     SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, OTHER ->
 *     "blocked: <reason>"; any other -> "stopped: <reason>"; absent ->
 *     "no finishReason" (fail closed).
 *  7. The answer is the concatenation of parts[*].text, skipping parts with
 *     "thought": true; empty -> "empty answer"; not exactly one JSON value
 *     (prose, a code fence) -> "not JSON: <first 80 chars>"; not an object
 *     -> "not a JSON object: ...".
 *  8. Shape, each failure naming the field: direction one of LONG, SHORT,
 *     FLAT; prob a finite number in [0, 1] (1.7 fails); support,
 *     resistance, entry absent/null or finite numbers > 0; rationale absent
 *     or a string (kept, control characters blanked).
 *  9. Consistency: support < resistance when both are given (any
 *     direction); for LONG and SHORT, entry > support and entry < resistance
 *     whenever those levels are given (entry inside (support, resistance)).
 *     A FLAT answer is FLAT whatever its prob (kept for the record: the
 *     prompt defines it as the better side's chance) and its entry is not
 *     checked: nothing is traded on it.
 * Retries (http.h) cover timeouts, 429 and 5xx within the deadline; the
 * policy's hook gemini_retry_delay_ms() waits what Google's RetryInfo asks
 * and refuses to retry a daily quota. */
#ifndef GEMINI_H
#define GEMINI_H

#include <stddef.h>

#include "platform/dstr.h"
#include "platform/http.h"
#include "domain/prediction.h"

#define GEMINI_PREVIEW_BYTES 256 /* payload_preview in gemini.request */
#define GEMINI_MODEL_MAX 100

/* The client's settings (GOOGLE_API_KEY, GEMINI_*, G_*, and the trade the
 * prompt describes: ATR_MULT_TP/SL, ATR_TF). Strings are borrowed. */
typedef struct gemini_config {
    const char *base_url;
    const char *model;
    const char *api_key;
    double temperature;
    int max_tokens;
    long timeout_ms;
    int retries;
    long backoff_ms;
    double atr_mult_tp, atr_mult_sl;
    const char *atr_tf;
} gemini_config;

/* Everything gemini_prepare needs; the strings are borrowed from the
 * gemini_config, which must outlive the client (and the client every request
 * it made: requests point at its policy). */
typedef struct gemini_client {
    http_policy policy; /* service "gemini", retry_delay_ms = gemini_retry_delay_ms */
    const char *base_url;
    const char *model;
    const char *api_key;
    double temperature;
    int max_tokens;
    /* the trade the prompt describes, so prob means what the decision needs */
    double atr_mult_tp, atr_mult_sl;
    const char *atr_tf;
} gemini_client;

/* Returns 0, or -1 with why in err: no GOOGLE_API_KEY, or a GEMINI_MODEL
 * that is not a bare model id ([A-Za-z0-9._-], at most GEMINI_MODEL_MAX). */
int gemini_client_init(gemini_client *g, const gemini_config *c, dstr *err);

/* Builds the request (see the contract) for symbol with payload_json (the
 * compact market JSON of features_to_json) as the prompt's data. Thinking:
 * gemini-2.5-pro* gets thinkingBudget 128 (the least it accepts: it cannot
 * stop thinking), other gemini-2.5* thinkingBudget 0 (off), gemini-3*
 * thinkingLevel "low" (every Gemini 3 model accepts it; thoughts then count
 * against maxOutputTokens, so raise G_MAX_TOKENS to about 2048); any other
 * model gets no thinkingConfig (models without thinking reject it). */
void gemini_prepare(const gemini_client *g, http_request *r, const char *symbol,
                    const char *payload_json);

/* See the contract: 0 and a usable prediction, or -1 and a failed FLAT. */
int gemini_parse(http_request *r, const char *symbol, prediction *out);

/* http_policy.retry_delay_ms for Gemini: for a 429/5xx whose error.details
 * hold a google.rpc.RetryInfo, its retryDelay ("23s", "29.72s") in ms,
 * rounded up; HTTP_NO_RETRY for a 429 whose QuotaFailure has a quotaId
 * containing "PerDay" (sticky until the daily reset); otherwise
 * HTTP_RETRY_DEFAULT. */
long gemini_retry_delay_ms(const http_request *attempt);

#endif
