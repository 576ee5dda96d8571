/* signal_pipeline: the parts that need no network (the market-data requests
 * and their assembly are tested in test_binance_exchange.c): the run without
 * market data: FLAT with a "data:" reason, request and decision records
 * journaled, signal.decision logged. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cJSON.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cfgfix.h"
#include "canned_binance.h"
#include "capture.h"
#include "platform/config.h"
#include "services/journal.h"
#include "platform/log.h"
#include "domain/market_features.h"
#include "mini_server.h"
#include "pipelines/signal.h"
#include "services/binance_exchange.h"

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static cfg test_cfg(void) {
    cfg c = cfgfix_base();
    c.min_prob = 0.6, c.rr_min = 1.2, c.atr_mult_tp = 1.8, c.atr_mult_sl = 1.0;
    c.max_spread_bps = 2.0;
    c.atr_period = 14;
    c.atr_tf = "1h";
    c.predictor = "builtin";
    c.predictor_fallback = "none";
    c.fapi_base = "http://127.0.0.1:9";
    c.binance_timeout_ms = 1000;
    c.gemini_model = "gemini-2.5-flash-lite";
    c.journal_url = "file:///dev/null/unused"; /* the tests hand the env their own store */
    return c;
}

static const ex_snapshot_spec spec = {.bars = SIGNAL_TF_BARS, .depth = SIGNAL_DEPTH_LIMIT};

/* ---- the run without market data ---------------------------------------------------- */

typedef struct run_fixture {
    char dir[256];
    char url[300];
    store *s;
    dstr log;
    pl_resources *res;
} run_fixture;

/* The pipeline's environment as the frame builds it (pl_resources from the
 * config), journaling into the fixture's store. */
static pl_env env_of(run_fixture *f, const cfg *c, int64_t deadline_ms) {
    pl_resources_free(f->res);
    f->res = pl_resources_new(c);
    pl_env env;
    pl_env_make(f->res, deadline_ms, &env);
    env.journal = f->s;
    return env;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int run_setup(void **state) {
    run_fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/test_signal.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) return -1;
    dstr url = {0}, err = {0};
    dstr_printf(&url, "file://%s", f->dir);
    snprintf(f->url, sizeof f->url, "%s", url.ptr);
    f->s = store_open(url.ptr, &err);
    dstr_free(&url);
    dstr_free(&err);
    log_init("test");
    capture_start(&f->log);
    *state = f;
    return f->s ? 0 : -1;
}

static int run_teardown(void **state) {
    run_fixture *f = *state;
    capture_stop();
    pl_resources_free(f->res);
    store_close(f->s);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    dstr_free(&f->log);
    free(f);
    return 0;
}

static const char *str_of(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_run_without_market_data(void **state) {
    run_fixture *f = *state;
    cfg c = test_cfg();
    pl_env env = env_of(f, &c, now_ms() + 1000);
    env.exchange = NULL; /* as when the HTTP client cannot start */
    const char *symbols[] = {"BTCUSDT", "ETHUSDT"};
    signal_result res[2];
    int64_t t0 = now_ms();
    assert_int_equal(signal_run(&env, symbols, 2, res), 0);
    for (int i = 0; i < 2; i++) {
        signal_result *r = &res[i];
        assert_string_equal(r->symbol, symbols[i]);
        assert_int_equal(r->d.dir, DIR_FLAT);
        assert_false(r->d.risk_ok);
        assert_true(r->d.decided_at >= t0);
        assert_int_equal(r->d.candle_time, 0);
        assert_int_equal(r->data_status, EX_UNAVAILABLE);
        assert_int_equal(r->unwritten, 0);
        /* the decision record: decision_to_json and the rationale */
        cJSON *rec = cJSON_Parse(r->record.ptr);
        assert_non_null(rec);
        static const char *const keys[] = {
            "symbol",  "direction", "prob",      "entry",       "tp",         "sl",       "rr",
            "risk_ok", "reasons",   "predictor", "candle_time", "decided_at", "rationale"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            if (!cJSON_GetObjectItemCaseSensitive(rec, keys[k]))
                fail_msg("record lacks %s", keys[k]);
        assert_string_equal(str_of(rec, "direction"), "FLAT");
        assert_string_equal(str_of(rec, "predictor"), "builtin");
        const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(rec, "reasons");
        assert_string_equal(cJSON_GetArrayItem(reasons, 0)->valuestring,
                            "data: market data: the HTTP client could not start");
        assert_string_equal(cJSON_GetArrayItem(reasons, 1)->valuestring, "direction FLAT");
        assert_int_equal(cJSON_GetArraySize(reasons),
                         2); /* the predictor did not fail: not asked */
        assert_null(cJSON_GetObjectItemCaseSensitive(rec, "fallback"));
        cJSON_Delete(rec);
        /* the request record says why the predictor was not asked */
        cJSON *req = cJSON_Parse(r->request.ptr);
        assert_non_null(req);
        assert_string_equal(str_of(req, "predictor"), "builtin");
        assert_string_equal(str_of(req, "symbol"), symbols[i]);
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(req, "features")));
        assert_non_null(str_of(req, "data_error"));
        cJSON_Delete(req);
        /* both journaled under the layout's keys, with the same instant */
        char want[JOURNAL_KEY_MAX];
        journal_key(JOURNAL_DECISION, symbols[i], r->d.decided_at, 0, want, sizeof want);
        assert_string_equal(r->decision_key.ptr, want);
        journal_key(JOURNAL_REQUEST, symbols[i], r->d.decided_at, 0, want, sizeof want);
        assert_string_equal(r->request_key.ptr, want);
        dstr got = {0};
        assert_int_equal(store_get(f->s, r->decision_key.ptr, &got, NULL), STORE_OK);
        assert_string_equal(got.ptr, r->record.ptr);
        dstr_free(&got);
    }
    /* one signal.decision event per symbol, with the original fields */
    size_t events = 0;
    for (const char *p = f->log.ptr; (p = strstr(p, "\"event\":\"signal.decision\"")); p++)
        events++;
    assert_int_equal(events, 2);
    static const char *const fields[] = {"\"symbol\":\"BTCUSDT\"",
                                         "\"direction\":\"FLAT\"",
                                         "\"prob\":0",
                                         "\"entry\":null",
                                         "\"tp\":null",
                                         "\"sl\":null",
                                         "\"rr\":null",
                                         "\"risk_ok\":false",
                                         "\"reasons\":[",
                                         "\"predictor\":\"builtin\""};
    for (size_t k = 0; k < sizeof fields / sizeof *fields; k++)
        if (!strstr(f->log.ptr, fields[k])) fail_msg("signal.decision lacks %s", fields[k]);
    /* what /api/signals serves: both, read back */
    dstr arr = {0};
    assert_int_equal(journal_recent_decisions(f->s, 10, &arr, NULL), 0);
    cJSON *list = cJSON_Parse(arr.ptr);
    assert_int_equal(cJSON_GetArraySize(list), 2);
    assert_string_equal(str_of(cJSON_GetArrayItem(list, 0), "symbol"), "BTCUSDT");
    cJSON_Delete(list);
    dstr_free(&arr);
    signal_results_free(res, 2);
}

static void test_run_journal_unavailable(void **state) {
    run_fixture *f = *state;
    cfg c = test_cfg();
    pl_env env = env_of(f, &c, now_ms() + 1000);
    env.exchange = NULL;
    env.journal = NULL;
    const char *symbols[] = {"BTCUSDT"};
    signal_result r;
    assert_int_equal(signal_run(&env, symbols, 1, &r), 2);
    assert_int_equal(r.unwritten, 2);
    assert_int_equal(r.decision_key.len, 0);
    /* both records are in the log, whole */
    const char *ev = strstr(f->log.ptr, "\"event\":\"journal.unwritten\"");
    assert_non_null(ev);
    assert_non_null(strstr(ev, "\"kind\":\"request\""));
    assert_non_null(strstr(ev, "\"kind\":\"decision\""));
    assert_non_null(strstr(ev, r.record.ptr));
    signal_results_free(&r, 1);
}

static void test_run_invalid_symbol_not_requested(void **state) {
    run_fixture *f = *state;
    cfg c = test_cfg();
    pl_env env = env_of(f, &c, now_ms() + 1000);
    assert_non_null(env.exchange);
    const char *symbols[] = {"btc/usdt"};
    signal_result r;
    signal_decide(&env, symbols, 1, &r);
    assert_int_equal(r.data_status, EX_INVALID_SYMBOL);
    assert_int_equal(r.d.dir, DIR_FLAT);
    assert_null(strstr(f->log.ptr, "binance.response")); /* nothing was sent */
    signal_results_free(&r, 1);
}

/* ---- predictors, from snapshots ------------------------------------------------------- */

#define GEMINI_PATH "/v1beta/models/gemini-2.5-flash-lite:generateContent"
#define GEMINI_GOOD                                                                          \
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"{\\\"direction\\\":\\\"LONG\\\"," \
    "\\\"prob\\\":0.72,\\\"support\\\":99.5,\\\"resistance\\\":100.8,\\\"entry\\\":100.0,"   \
    "\\\"rationale\\\":\\\"trend up\\\"}\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"," \
    "\"index\":0}],\"modelVersion\":\"gemini-2.5-flash-lite\"}"
#define GEMINI_503                                         \
    "{\"error\":{\"code\":503,\"message\":\"The model is " \
    "overloaded.\",\"status\":\"UNAVAILABLE\"}}"

/* Two usable snapshots (BTCUSDT, ETHUSDT) from canned answers. */
static void two_snapshots(snapshot *snaps) {
    int64_t now = now_ms();
    static const char *const names[] = {"BTCUSDT", "ETHUSDT"};
    for (int k = 0; k < 2; k++) {
        http_request reqs[BN_SNAPSHOT_REQS];
        canned ok[BN_SNAPSHOT_REQS] = {{0}};
        canned_snapshot_requests(reqs, "BTCUSDT", &spec, ok, now, SIGNAL_TF_BARS + 1, 1);
        assert_int_equal(bn_snapshot_assemble(reqs, names[k], &spec, now, &snaps[k], NULL), EX_OK);
        canned_requests_free(reqs);
    }
}

static cfg gemini_cfg(const char *base, const char *fallback) {
    cfg c = test_cfg();
    c.predictor = "gemini";
    c.predictor_fallback = (char *)fallback;
    c.google_api_key = "test-key-not-secret";
    c.gemini_model = "gemini-2.5-flash-lite";
    c.gemini_base_url = (char *)base;
    c.g_max_tokens = 512;
    c.gemini_timeout_ms = 2000;
    return c;
}

static void test_builtin_from_snapshots(void **state) {
    run_fixture *f = *state;
    cfg c = test_cfg();
    pl_env env = env_of(f, &c, now_ms() + 1000);
    snapshot snaps[2];
    two_snapshots(snaps);
    signal_result r[2];
    signal_decide_snapshots(&env, snaps, 2, r);
    for (int k = 0; k < 2; k++) {
        assert_string_equal(r[k].symbol, snaps[k].symbol);
        assert_string_equal(r[k].d.predictor, "builtin");
        assert_false(r[k].pred.failed);
        /* candle_time: close of the newest closed 5m candle */
        assert_int_equal(r[k].d.candle_time,
                         snaps[k].tf[TF_5M].v[snaps[k].tf[TF_5M].n - 1].close_time);
        cJSON *req = cJSON_Parse(r[k].request.ptr);
        assert_string_equal(str_of(req, "predictor"), "builtin");
        const cJSON *feat = cJSON_GetObjectItemCaseSensitive(req, "features");
        assert_string_equal(str_of(feat, "symbol"), snaps[k].symbol);
        cJSON_Delete(req);
        cJSON *rec = cJSON_Parse(r[k].record.ptr);
        assert_string_equal(str_of(rec, "rationale"), r[k].pred.rationale);
        cJSON_Delete(rec);
        snapshot_free(&snaps[k]);
    }
    signal_results_free(r, 2);
}

static void test_gemini_one_batch(void **state) {
    run_fixture *f = *state;
    mini_server *ms = ms_start();
    assert_non_null(ms);
    ms_step step = {.path = GEMINI_PATH,
                    .body = GEMINI_GOOD,
                    .headers = "Content-Type: application/json",
                    .repeat = 1,
                    .delay_ms = 300};
    ms_script(ms, &step, 1);
    cfg c = gemini_cfg(ms_url(ms), "none");
    pl_env env = env_of(f, &c, now_ms() + 5000);
    snapshot snaps[2];
    two_snapshots(snaps);
    signal_result r[2];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    signal_decide_snapshots(&env, snaps, 2, r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms_taken = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    /* both asked at once: two connections, one delay rather than two */
    assert_int_equal(ms_request_count(ms), 2);
    assert_int_equal(ms_connection_count(ms), 2);
    assert_true(ms_taken < 590);
    for (size_t i = 0; i < 2; i++) {
        const ms_request *q = ms_request_at(ms, i);
        assert_string_equal(q->method, "POST");
        assert_string_equal(ms_header_get(q, "x-goog-api-key"), "test-key-not-secret");
    }
    for (int k = 0; k < 2; k++) {
        assert_string_equal(r[k].d.predictor, "gemini");
        assert_int_equal(r[k].d.dir, DIR_LONG);
        assert_true(r[k].d.prob == 0.72);
        assert_string_equal(r[k].fallback, "");
        /* the request record is the body sent, which carries the features */
        cJSON *req = cJSON_Parse(r[k].request.ptr);
        assert_non_null(cJSON_GetObjectItemCaseSensitive(req, "contents"));
        cJSON_Delete(req);
        assert_non_null(strstr(r[k].request.ptr, snaps[k].symbol));
        assert_null(strstr(r[k].request.ptr, "test-key-not-secret"));
        snapshot_free(&snaps[k]);
    }
    signal_results_free(r, 2);
    ms_stop(ms);
}

typedef struct fallback_case {
    const char *fallback;
    const char *predictor; /* who answered */
} fallback_case;

static void test_gemini_failure_and_fallback(void **state) {
    run_fixture *f = *state;
    static const fallback_case cases[] = {{"builtin", "builtin"}, {"none", "gemini"}};
    for (size_t i = 0; i < 2; i++) {
        mini_server *ms = ms_start();
        assert_non_null(ms);
        ms_step step = {.path = GEMINI_PATH, .status = 503, .body = GEMINI_503, .repeat = 1};
        ms_script(ms, &step, 1);
        cfg c = gemini_cfg(ms_url(ms), cases[i].fallback);
        pl_env env = env_of(f, &c, now_ms() + 5000);
        snapshot snaps[2];
        two_snapshots(snaps);
        signal_result r[2];
        signal_decide_snapshots(&env, snaps, 2, r);
        for (int k = 0; k < 2; k++) {
            assert_string_equal(r[k].d.predictor, cases[i].predictor);
            cJSON *rec = cJSON_Parse(r[k].record.ptr);
            cJSON *req = cJSON_Parse(r[k].request.ptr);
            assert_non_null(cJSON_GetObjectItemCaseSensitive(req, "contents")); /* what was sent */
            const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(rec, "reasons");
            int predictor_failed = 0;
            const cJSON *reason;
            cJSON_ArrayForEach(reason, reasons) predictor_failed |=
                strstr(reason->valuestring, "predictor failed: gemini HTTP 503") != NULL;
            if (strcmp(cases[i].fallback, "builtin") == 0) {
                assert_true(
                    strncmp(str_of(rec, "fallback"), "gemini failed: gemini HTTP 503", 30) == 0);
                assert_false(predictor_failed);
                assert_false(r[k].pred.failed);
            } else {
                assert_null(cJSON_GetObjectItemCaseSensitive(rec, "fallback"));
                assert_int_equal(r[k].d.dir, DIR_FLAT);
                assert_true(predictor_failed);
            }
            cJSON_Delete(rec);
            cJSON_Delete(req);
            snapshot_free(&snaps[k]);
        }
        if (strcmp(cases[i].fallback, "builtin") == 0)
            assert_non_null(strstr(f->log.ptr, "\"fallback\":\"gemini failed: "));
        signal_results_free(r, 2);
        ms_stop(ms);
    }
}

static void test_gemini_not_configured(void **state) {
    run_fixture *f = *state;
    cfg c = gemini_cfg("http://127.0.0.1:9", "none");
    c.gemini_model = "models/../x"; /* config refuses it at init; the client refuses it too */
    pl_env env = env_of(f, &c, now_ms() + 1000);
    snapshot snaps[2];
    two_snapshots(snaps);
    signal_result r[2];
    signal_decide_snapshots(&env, snaps, 2, r);
    assert_int_equal(r[0].d.dir, DIR_FLAT);
    assert_non_null(
        strstr(r[0].record.ptr, "predictor failed: gemini not configured: GEMINI_MODEL"));
    assert_non_null(strstr(r[0].request.ptr, "\"predictor\":\"gemini\",\"features\":{"));
    for (int k = 0; k < 2; k++) snapshot_free(&snaps[k]);
    signal_results_free(r, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_without_market_data, run_setup, run_teardown),
        cmocka_unit_test_setup_teardown(test_run_journal_unavailable, run_setup, run_teardown),
        cmocka_unit_test_setup_teardown(test_run_invalid_symbol_not_requested, run_setup,
                                        run_teardown),
        cmocka_unit_test_setup_teardown(test_builtin_from_snapshots, run_setup, run_teardown),
        cmocka_unit_test_setup_teardown(test_gemini_one_batch, run_setup, run_teardown),
        cmocka_unit_test_setup_teardown(test_gemini_failure_and_fallback, run_setup, run_teardown),
        cmocka_unit_test_setup_teardown(test_gemini_not_configured, run_setup, run_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
