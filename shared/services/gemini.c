/* gemini: the Gemini predictor over REST generateContent (see gemini.h). */
#include "services/gemini.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "platform/log.h"

#define PREDICTOR "gemini"
#define EXCERPT_CHARS 80         /* of a non-JSON answer, in the reason */
#define GOOGLE_MESSAGE_CHARS 200 /* of Google's error.message, in the reason */

/* ---- the prompt ---------------------------------------------------------- */

static const char system_text[] =
    "You are a cautious crypto futures analyst. Answer with one JSON object that follows the "
    "response schema and nothing else. When the evidence is weak, mixed or missing, answer FLAT.";

/* Field names as features_to_json writes them (market_features.h). */
static const char fields_text[] =
    "Snapshot fields: now = unix ms; atr_period; tf.5m, tf.1h, tf.4h, tf.1d = indicators over "
    "closed candles: n candles, gaps, close, ema20, ema50, rsi14, atr (Wilder, atr_period), "
    "macd, macd_sig, macd_hist (12/26/9), bb_up, bb_mid, bb_lo, bb_pctb (Bollinger 20, 2), "
    "vwap20, rvol20 (sd of log returns), ret1, ret20 (returns over 1 and 20 bars), swing_hi, "
    "swing_lo (extremes of the 20 bars before the last); book = best bid, ask, mid, spread_bps, "
    "imbalance10 (-1..1, > 0 when bids outweigh asks over the top 10 levels); premium = mark "
    "price and funding_rate. null means unknown.";

/* responseJsonSchema (standard JSON Schema, the newer of the two fields:
 * unlike responseSchema's OpenAPI subset it takes minimum/maximum as JSON
 * Schema spells them). Levels are optional: a FLAT answer need not invent
 * them. Property order is the order the model writes them in. */
static const char schema_json[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"direction\":{\"type\":\"string\",\"enum\":[\"LONG\",\"SHORT\",\"FLAT\"]},"
    "\"prob\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
    "\"support\":{\"type\":\"number\"},"
    "\"resistance\":{\"type\":\"number\"},"
    "\"entry\":{\"type\":\"number\"},"
    "\"rationale\":{\"type\":\"string\"}},"
    "\"required\":[\"direction\",\"prob\",\"rationale\"]}";

static void put_user_text(dstr *t, const gemini_client *g, const char *symbol,
                          const char *payload) {
    dstr_printf(t,
                "Task: predict the next move of the %s perpetual futures contract (Binance USD-M) "
                "from the market snapshot below. A trade enters near the current price with a "
                "take-profit %g x ATR away and a stop-loss %g x ATR away, ATR being tf.%s.atr.\n"
                "Answer:\n"
                "- direction: LONG or SHORT when that side is more likely to reach its "
                "take-profit before its stop-loss; FLAT when neither side is clearly favoured.\n"
                "- prob: the probability (0 to 1) that the take-profit of the chosen direction "
                "is reached before its stop-loss; for FLAT, the higher of the two sides' "
                "probabilities.\n"
                "- support, resistance: the nearest meaningful price levels below and above the "
                "current price.\n"
                "- entry: the price to enter at, between support and resistance.\n"
                "- rationale: one short sentence naming the decisive signals.\n",
                symbol, g->atr_mult_tp, g->atr_mult_sl, g->atr_tf);
    dstr_puts(t, fields_text);
    dstr_puts(t, "\nMarket snapshot (JSON):\n");
    dstr_puts(t, payload);
}

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void put_thinking(dstr *b, const char *model) {
    if (starts_with(model, "gemini-2.5-pro"))
        dstr_puts(b, ",\"thinkingConfig\":{\"thinkingBudget\":128}");
    else if (starts_with(model, "gemini-2.5"))
        dstr_puts(b, ",\"thinkingConfig\":{\"thinkingBudget\":0}");
    else if (starts_with(model, "gemini-3"))
        dstr_puts(b, ",\"thinkingConfig\":{\"thinkingLevel\":\"low\"}");
}

static void build_body(dstr *b, const gemini_client *g, const char *symbol, const char *payload) {
    dstr user = {0};
    put_user_text(&user, g, symbol, payload);
    dstr_puts(b, "{\"systemInstruction\":{\"parts\":[{\"text\":");
    dstr_json_str(b, system_text);
    dstr_puts(b, "}]},\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":");
    dstr_json_strn(b, user.ptr, user.len);
    dstr_puts(b, "}]}],\"generationConfig\":{\"temperature\":");
    dstr_json_num(b, g->temperature);
    dstr_printf(b, ",\"maxOutputTokens\":%d,\"responseMimeType\":\"application/json\"",
                g->max_tokens);
    dstr_printf(b, ",\"responseJsonSchema\":%s", schema_json);
    put_thinking(b, g->model);
    dstr_puts(b, "}}");
    dstr_free(&user);
}

/* ---- client and request -------------------------------------------------- */

static int model_id_valid(const char *m) {
    size_t n = strlen(m);
    return n > 0 && n <= GEMINI_MODEL_MAX &&
           strspn(m, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int gemini_client_init(gemini_client *g, const gemini_config *c, dstr *err) {
    memset(g, 0, sizeof *g);
    if (!c->api_key || !*c->api_key) {
        dstr_error_line(err, "GOOGLE_API_KEY is not set: the gemini predictor needs it");
        return -1;
    }
    const char *model = c->model ? c->model : "";
    if (!model_id_valid(model)) {
        dstr_error_line(
            err,
            "GEMINI_MODEL '%.*s' is not a model id (letters, digits, '.', '_', '-'; e.g. "
            "gemini-2.5-flash-lite)",
            GEMINI_MODEL_MAX, model);
        return -1;
    }
    g->policy = (http_policy){.service = "gemini",
                              .timeout_ms = c->timeout_ms,
                              .retries = c->retries,
                              .backoff_ms = c->backoff_ms,
                              .retry_delay_ms = gemini_retry_delay_ms};
    g->base_url = c->base_url;
    g->model = model;
    g->api_key = c->api_key;
    g->temperature = c->temperature;
    g->max_tokens = c->max_tokens;
    g->atr_mult_tp = c->atr_mult_tp;
    g->atr_mult_sl = c->atr_mult_sl;
    g->atr_tf = c->atr_tf ? c->atr_tf : "1h";
    return 0;
}

/* "features: tf 5m,1h,4h,1d + book + premium; 2034 bytes", from the payload
 * itself, so the log says what the model was really shown. */
static void payload_hint(dstr *h, const char *payload) {
    size_t bytes = strlen(payload);
    cJSON *root = cJSON_ParseWithLength(payload, bytes);
    if (!cJSON_IsObject(root)) {
        dstr_printf(h, "not a JSON object; %zu bytes", bytes);
        cJSON_Delete(root);
        return;
    }
    dstr_puts(h, "features:");
    const cJSON *tf = cJSON_GetObjectItemCaseSensitive(root, "tf"), *it;
    if (cJSON_IsObject(tf)) {
        dstr_puts(h, " tf ");
        int first = 1;
        cJSON_ArrayForEach(it, tf) {
            dstr_printf(h, "%s%s", first ? "" : ",", it->string);
            first = 0;
        }
    }
    cJSON_ArrayForEach(it, root) {
        if (cJSON_IsObject(it) && strcmp(it->string, "tf") != 0)
            dstr_printf(h, " + %s", it->string);
    }
    dstr_printf(h, "; %zu bytes", bytes);
    cJSON_Delete(root);
}

/* Length of s cut to at most max bytes, not inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n <= max) return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    return max;
}

void gemini_prepare(const gemini_client *g, http_request *r, const char *symbol,
                    const char *payload_json) {
    const char *payload = payload_json ? payload_json : "";
    if (!symbol) symbol = "";
    dstr url = {0};
    dstr_printf(&url, "%s/v1beta/models/%s:generateContent", g->base_url, g->model);
    http_request_init(r, "POST", url.ptr, &g->policy);
    dstr_free(&url);
    r->idempotent = 1; /* a prediction is safe to ask for again */
    http_request_header(r, "x-goog-api-key", g->api_key);
    http_request_header(r, "Content-Type", "application/json");
    build_body(&r->body, g, symbol, payload);

    dstr hint = {0};
    payload_hint(&hint, payload);
    log_rec *lr = log_begin(LOG_INFO, "gemini.request");
    log_str(lr, "symbol", symbol);
    log_str(lr, "model", g->model);
    log_str(lr, "payload_hint", hint.ptr);
    log_strn(lr, "payload_preview", payload, utf8_cut(payload, GEMINI_PREVIEW_BYTES));
    log_int(lr, "request_bytes", (long long)r->body.len);
    log_end(lr);
    dstr_free(&hint);
}

/* ---- small JSON helpers -------------------------------------------------- */

static const cJSON *field(const cJSON *o, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *str_field(const cJSON *o, const char *key) {
    const cJSON *v = field(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The error.details[] entry of one google.rpc type, or NULL. */
static const cJSON *detail_of(const cJSON *error, const char *rpc_type) {
    const cJSON *d;
    cJSON_ArrayForEach(d, field(error, "details")) {
        const char *t = str_field(d, "@type");
        if (t && has_suffix(t, rpc_type)) return d;
    }
    return NULL;
}

/* A protobuf Duration ("23s", "29.72s") in ms, rounded up; -1 if malformed. */
static long duration_ms(const char *s) {
    size_t whole = strspn(s, "0123456789");
    if (whole == 0 || whole > 6) return -1; /* over ~11 days is no wait; fits 32-bit long */
    long ms = 0;
    for (size_t i = 0; i < whole; i++) ms = ms * 10 + (s[i] - '0');
    ms *= 1000;
    const char *p = s + whole;
    if (*p == '.') {
        p++;
        size_t frac = strspn(p, "0123456789");
        if (frac == 0) return -1;
        long scale = 100, rest = 0;
        for (size_t i = 0; i < frac; i++) {
            if (scale > 0) ms += (p[i] - '0') * scale;
            else rest |= p[i] - '0';
            scale /= 10;
        }
        ms += rest != 0;
        p += frac;
    }
    return strcmp(p, "s") == 0 ? ms : -1;
}

/* The quotaId of a daily quota among the QuotaFailure violations, or NULL. */
static const char *daily_quota(const cJSON *error) {
    const cJSON *v;
    cJSON_ArrayForEach(v, field(detail_of(error, "google.rpc.QuotaFailure"), "violations")) {
        const char *id = str_field(v, "quotaId");
        if (id && strstr(id, "PerDay")) return id;
    }
    return NULL;
}

static const char *retry_delay(const cJSON *error) {
    return str_field(detail_of(error, "google.rpc.RetryInfo"), "retryDelay");
}

long gemini_retry_delay_ms(const http_request *a) {
    if (a->err != HTTP_OK || (a->status != 429 && a->status < 500)) return HTTP_RETRY_DEFAULT;
    cJSON *root = cJSON_ParseWithLength(dstr_cstr(&a->resp_body), a->resp_body.len);
    const cJSON *error = field(root, "error");
    long answer = HTTP_RETRY_DEFAULT;
    const char *delay = retry_delay(error);
    if (a->status == 429 && daily_quota(error)) answer = HTTP_NO_RETRY;
    else if (delay && duration_ms(delay) >= 0) answer = duration_ms(delay);
    cJSON_Delete(root);
    return answer;
}

/* ---- parse --------------------------------------------------------------- */

/* What usageMetadata said, -1 when absent: logged, and named in reasons. */
typedef struct usage {
    long prompt, output, thoughts;
} usage;

static long count_of(const cJSON *meta, const char *key) {
    const cJSON *v = field(meta, key);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e12 ? (long)v->valuedouble
                                                                             : -1;
}

static void usage_read(const cJSON *root, usage *u) {
    const cJSON *meta = field(root, "usageMetadata");
    u->prompt = count_of(meta, "promptTokenCount");
    u->output = count_of(meta, "candidatesTokenCount");
    u->thoughts = count_of(meta, "thoughtsTokenCount");
}

static int fail(prediction *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(prediction *out, const char *fmt, ...) {
    char why[sizeof out->rationale];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    for (char *c = why; *c; c++) /* Google's texts may carry newlines */
        if ((unsigned char)*c < 0x20) *c = ' ';
    prediction_flat(out, PREDICTOR, "%s", why);
    return -1;
}

/* Up to max bytes of s on one line (control characters blanked), for a
 * reason or a rationale; dst always NUL-terminated. */
static void excerpt(char *dst, size_t cap, const char *s, size_t max) {
    if (cap == 0) return;
    size_t n = utf8_cut(s, max < cap - 1 ? max : cap - 1);
    for (size_t i = 0; i < n; i++) dst[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
    dst[n] = '\0';
}

/* The model id from ".../models/{model}:generateContent". */
static void model_of(const http_request *r, char *buf, size_t cap) {
    const char *u = dstr_cstr(&r->url), *m = strstr(u, "/models/");
    m = m ? m + 8 : "";
    size_t n = strcspn(m, ":?");
    snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), m);
}

/* maxOutputTokens as sent (the request body is ours), -1 if unreadable. */
static long max_tokens_sent(const http_request *r) {
    cJSON *req = cJSON_ParseWithLength(dstr_cstr(&r->body), r->body.len);
    const cJSON *v = field(field(req, "generationConfig"), "maxOutputTokens");
    long n = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    cJSON_Delete(req);
    return n;
}

static int http_failure(const http_request *r, const cJSON *root, prediction *out) {
    const cJSON *error = field(root, "error");
    const char *status = str_field(error, "status"), *message = str_field(error, "message");
    char said[GOOGLE_MESSAGE_CHARS + 1], model[GEMINI_MODEL_MAX + 1];
    if (message) excerpt(said, sizeof said, message, GOOGLE_MESSAGE_CHARS);
    else excerpt(said, sizeof said, dstr_cstr(&r->resp_body), EXCERPT_CHARS);
    model_of(r, model, sizeof model);

    /* the hint before Google's long message: reasons get cut at the end */
    dstr why = {0};
    dstr_printf(&why, "gemini HTTP %ld", r->status);
    if (status) dstr_printf(&why, " %s", status);
    const char *reason = str_field(detail_of(error, "google.rpc.ErrorInfo"), "reason");
    if (reason) dstr_printf(&why, " (%s)", reason);
    const char *daily = daily_quota(error), *delay = retry_delay(error);
    if (r->status == 404)
        dstr_printf(&why, "; the model id '%s' may be retired or misspelt, check GEMINI_MODEL",
                    model);
    else if ((reason && strstr(reason, "API_KEY")) || r->status == 401 || r->status == 403)
        dstr_puts(&why, "; check GOOGLE_API_KEY");
    else if (r->status == 429 && daily)
        dstr_printf(&why, "; daily quota %s exhausted, not retried", daily);
    else if (delay) dstr_printf(&why, "; Google asked to retry after %s", delay);
    if (*said) dstr_printf(&why, ": %s", said);
    fail(out, "%s", why.ptr);
    dstr_free(&why);
    return -1;
}

static int blocked_finish(const char *reason) {
    static const char *const blocked[] = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT",
                                          "SPII",   "OTHER"};
    for (size_t i = 0; i < sizeof blocked / sizeof *blocked; i++)
        if (strcmp(reason, blocked[i]) == 0) return 1;
    return 0;
}

/* An optional price level: absent or null is NAN. Returns 0, or -1 after
 * failing out with the field named. */
static int level(const cJSON *answer, const char *name, double *v, prediction *out) {
    const cJSON *j = field(answer, name);
    *v = NAN;
    if (!j || cJSON_IsNull(j)) return 0;
    if (!cJSON_IsNumber(j)) return fail(out, "%s: not a number", name);
    if (!isfinite(j->valuedouble) || j->valuedouble <= 0)
        return fail(out, "%s: %g is not a positive price", name, j->valuedouble);
    *v = j->valuedouble;
    return 0;
}

static int levels_consistent(const prediction *p, prediction *out) {
    double s = p->support, r = p->resistance, e = p->entry;
    if (!isnan(s) && !isnan(r) && s >= r) return fail(out, "support %g >= resistance %g", s, r);
    if (p->dir == DIR_FLAT || isnan(e)) return 0;
    if (!isnan(s) && e <= s)
        return fail(out, "%s entry %g not above support %g", direction_name(p->dir), e, s);
    if (!isnan(r) && e >= r)
        return fail(out, "%s entry %g not below resistance %g", direction_name(p->dir), e, r);
    return 0;
}

/* The model's JSON answer -> out. */
static int prediction_from(const cJSON *a, prediction *out) {
    prediction p;
    memset(&p, 0, sizeof p);
    snprintf(p.predictor, sizeof p.predictor, PREDICTOR);

    const cJSON *dir = field(a, "direction");
    if (!cJSON_IsString(dir)) return fail(out, "direction: missing or not a string");
    if (direction_parse(dir->valuestring, &p.dir) != 0) {
        char got[33];
        excerpt(got, sizeof got, dir->valuestring, 32);
        return fail(out, "direction: expected LONG, SHORT or FLAT, got '%s'", got);
    }
    const cJSON *prob = field(a, "prob");
    if (!prob) return fail(out, "prob: missing");
    if (!cJSON_IsNumber(prob)) return fail(out, "prob: not a number");
    if (!isfinite(prob->valuedouble) || prob->valuedouble < 0 || prob->valuedouble > 1)
        return fail(out, "prob: %g outside [0, 1]", prob->valuedouble);
    p.prob = prob->valuedouble;
    if (level(a, "support", &p.support, out) || level(a, "resistance", &p.resistance, out) ||
        level(a, "entry", &p.entry, out))
        return -1;
    const cJSON *why = field(a, "rationale");
    if (why && !cJSON_IsNull(why) && !cJSON_IsString(why))
        return fail(out, "rationale: not a string");
    if (cJSON_IsString(why)) excerpt(p.rationale, sizeof p.rationale, why->valuestring, SIZE_MAX);
    if (levels_consistent(&p, out)) return -1;
    *out = p;
    return 0;
}

static int answer_text(const cJSON *parts, dstr *text) {
    const cJSON *part;
    cJSON_ArrayForEach(part, parts) {
        if (cJSON_IsTrue(field(part, "thought"))) continue;
        const char *t = str_field(part, "text");
        if (t) dstr_puts(text, t);
    }
    return text->len > 0;
}

static int candidate_answer(const http_request *r, const cJSON *root, const usage *u,
                            prediction *out) {
    const char *blocked = str_field(field(root, "promptFeedback"), "blockReason");
    if (blocked) return fail(out, "prompt blocked: %s", blocked);
    const cJSON *cands = field(root, "candidates");
    const cJSON *cand = cJSON_IsArray(cands) ? cJSON_GetArrayItem(cands, 0) : NULL;
    if (!cJSON_IsObject(cand)) return fail(out, "no candidates");

    const char *finish = str_field(cand, "finishReason");
    if (!finish) return fail(out, "no finishReason");
    if (strcmp(finish, "MAX_TOKENS") == 0) {
        char thinking[64] = "";
        if (u->thoughts > 0)
            snprintf(thinking, sizeof thinking, " (thinking used %ld)", u->thoughts);
        return fail(out, "truncated at maxOutputTokens=%ld%s: raise G_MAX_TOKENS",
                    max_tokens_sent(r), thinking);
    }
    if (strcmp(finish, "STOP") != 0)
        return fail(out, "%s: %s", blocked_finish(finish) ? "blocked" : "stopped", finish);

    dstr text = {0};
    if (!answer_text(field(field(cand, "content"), "parts"), &text)) {
        dstr_free(&text);
        return fail(out, "empty answer");
    }
    int rc;
    cJSON *answer = cJSON_ParseWithOpts(text.ptr, NULL, 1); /* one value, nothing after it */
    char seen[EXCERPT_CHARS + 1];
    excerpt(seen, sizeof seen, text.ptr, EXCERPT_CHARS);
    if (!answer) rc = fail(out, "not JSON: %s", seen);
    else if (!cJSON_IsObject(answer)) rc = fail(out, "not a JSON object: %s", seen);
    else rc = prediction_from(answer, out);
    cJSON_Delete(answer);
    dstr_free(&text);
    return rc;
}

static int read_answer(http_request *r, prediction *out, usage *u) {
    if (r->err != HTTP_OK)
        return fail(out, "gemini unavailable: %s after %d attempt(s): %s", http_err_name(r->err),
                    r->attempts, r->errmsg);
    cJSON *root = cJSON_ParseWithLength(dstr_cstr(&r->resp_body), r->resp_body.len);
    usage_read(root, u);
    int rc;
    if (r->status < 200 || r->status >= 300) rc = http_failure(r, root, out);
    else if (!cJSON_IsObject(root))
        rc = fail(out, "gemini answered HTTP %ld with a body that is not a JSON object", r->status);
    else rc = candidate_answer(r, root, u, out);
    cJSON_Delete(root);
    return rc;
}

static void log_level_num(log_rec *lr, const char *key, double v) {
    if (!isnan(v)) log_num(lr, key, v);
}

static void log_response(const http_request *r, const char *symbol, const prediction *p,
                         const usage *u, int rc) {
    log_rec *lr = log_begin(rc == 0 ? LOG_INFO : LOG_WARN, "gemini.response");
    log_str(lr, "symbol", symbol);
    log_num(lr, "prob", p->prob);
    log_str(lr, "direction", direction_name(p->dir));
    log_level_num(lr, "support", p->support);
    log_level_num(lr, "resistance", p->resistance);
    log_level_num(lr, "entry", p->entry);
    if (rc != 0) log_str(lr, "error", p->rationale);
    log_int(lr, "status", r->status);
    log_int(lr, "attempts", r->attempts);
    log_int(lr, "elapsed_ms", r->elapsed_ms);
    if (u->prompt >= 0) log_int(lr, "prompt_tokens", u->prompt);
    if (u->output >= 0) log_int(lr, "output_tokens", u->output);
    if (u->thoughts >= 0) log_int(lr, "thoughts_tokens", u->thoughts);
    log_end(lr);
}

int gemini_parse(http_request *r, const char *symbol, prediction *out) {
    usage u = {-1, -1, -1};
    int rc = read_answer(r, out, &u);
    log_response(r, symbol ? symbol : "", out, &u, rc);
    return rc;
}
