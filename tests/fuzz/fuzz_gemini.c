/* fuzz_gemini: Gemini generateContent answers through gemini_parse (and the
 * retry hook gemini_retry_delay_ms). The request is a real one
 * (gemini_prepare: the parse reads maxOutputTokens back from it); the first
 * byte picks the HTTP outcome, the rest is the body. A usable answer must
 * meet gemini.h's shape and consistency rules; a failed one is a FLAT with
 * its reason. */
#include <math.h>

#include "fuzz.h"
#include "services/gemini.h"

static gemini_client client;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    gemini_config conf = {.base_url = "https://generativelanguage.googleapis.com",
                          .model = "gemini-2.5-flash-lite",
                          .api_key = "fuzz-key-not-a-secret",
                          .temperature = 0.2,
                          .max_tokens = 512,
                          .timeout_ms = 1000,
                          .atr_mult_tp = 2,
                          .atr_mult_sl = 1,
                          .atr_tf = "1h"};
    dstr err = {0};
    if (gemini_client_init(&client, &conf, &err) != 0) abort();
    dstr_free(&err);
    return 0;
}

static const long statuses[] = {200, 200, 200, 200, 200, 200, 200, 200,
                                400, 401, 403, 404, 429, 429, 500, 503};

static int level_ok(double v) { return isnan(v) || (isfinite(v) && v > 0); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0];
    http_request r;
    gemini_prepare(&client, &r, "BTCUSDT", "{\"symbol\":\"BTCUSDT\"}");
    r.err = (sel & 0xf0) == 0xf0 ? (http_err)(1 + sel % 7) : HTTP_OK;
    r.status = r.err == HTTP_OK ? statuses[sel % 16] : 0;
    r.attempts = 1 + (int)(sel >> 6);
    dstr_append(&r.resp_body, data + 1, size - 1);
    long delay = gemini_retry_delay_ms(&r);
    if (delay < 0 && delay != HTTP_RETRY_DEFAULT && delay != HTTP_NO_RETRY)
        fuzz_fail("retry delay neither a wait nor an answer");
    prediction p;
    int rc = gemini_parse(&r, "BTCUSDT", &p);
    if (strnlen(p.rationale, sizeof p.rationale) == sizeof p.rationale)
        fuzz_fail("rationale not terminated");
    if (rc != 0) {
        if (!p.failed || p.dir != DIR_FLAT || !p.rationale[0]) fuzz_fail("failure not a FLAT");
    } else {
        if (p.failed || !(p.prob >= 0 && p.prob <= 1)) fuzz_fail("usable answer out of range");
        if (!level_ok(p.support) || !level_ok(p.resistance) || !level_ok(p.entry))
            fuzz_fail("level not a positive finite number");
        if (!isnan(p.support) && !isnan(p.resistance) && !(p.support < p.resistance))
            fuzz_fail("support not below resistance");
        if (p.dir != DIR_FLAT && !isnan(p.entry) &&
            ((!isnan(p.support) && !(p.entry > p.support)) ||
             (!isnan(p.resistance) && !(p.entry < p.resistance))))
            fuzz_fail("entry outside (support, resistance)");
    }
    http_request_free(&r);
    return 0;
}
