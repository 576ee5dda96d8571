/* gemini_predictor: Gemini behind the predictor interface (see
 * gemini_predictor.h). */
#include "services/gemini_predictor.h"

#include <stdlib.h>

typedef struct gemini_predictor {
    predictor base;
    http_client *http;
    gemini_client client;
    dstr init_error; /* non-empty: the client could not be set up */
} gemini_predictor;

static void fail_all(predict_job *jobs, size_t n, const char *why) {
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i].feat) continue;
        prediction_flat(&jobs[i].pred, "gemini", "%s", why);
        predictor_features_request("gemini", jobs[i].feat, jobs[i].request);
    }
}

static void predict(const predictor *p, predict_job *jobs, size_t n, int64_t deadline_ms) {
    const gemini_predictor *g = p->impl;
    if (g->init_error.len) {
        dstr why = {0};
        dstr_printf(&why, "gemini not configured: %s", g->init_error.ptr);
        fail_all(jobs, n, why.ptr);
        dstr_free(&why);
        return;
    }
    http_request *reqs = calloc(n + 1, sizeof *reqs);
    http_request **batch = calloc(n + 1, sizeof *batch);
    if (!reqs || !batch) abort();
    size_t nb = 0;
    dstr payload = {0};
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i].feat) continue;
        dstr_clear(&payload);
        features_to_json(jobs[i].feat, &payload);
        gemini_prepare(&g->client, &reqs[i], jobs[i].symbol, payload.ptr);
        dstr_append(jobs[i].request, reqs[i].body.ptr, reqs[i].body.len);
        batch[nb++] = &reqs[i];
    }
    dstr_free(&payload);
    if (nb) http_run(g->http, batch, nb, deadline_ms);
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i].feat) continue;
        gemini_parse(&reqs[i], jobs[i].symbol, &jobs[i].pred);
        http_request_free(&reqs[i]);
    }
    free(batch);
    free(reqs);
}

static void free_predictor(predictor *p) {
    gemini_predictor *g = p->impl;
    dstr_free(&g->init_error);
    free(g);
}

static const predictor_ops gemini_ops = {
    .name = "gemini", .predict = predict, .free = free_predictor};

predictor *gemini_predictor_new(http_client *http, const gemini_config *c) {
    gemini_predictor *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->base = (predictor){.ops = &gemini_ops, .impl = g};
    g->http = http;
    if (gemini_client_init(&g->client, c, &g->init_error) && !g->init_error.len)
        dstr_puts(&g->init_error, "the gemini client could not be set up");
    return &g->base;
}

static void predict_unavailable(const predictor *p, predict_job *jobs, size_t n,
                                int64_t deadline_ms) {
    (void)p, (void)deadline_ms;
    fail_all(jobs, n, "gemini unavailable: the HTTP client could not start");
}

static const predictor_ops unavailable_ops = {.name = "gemini", .predict = predict_unavailable};
static const predictor unavailable = {.ops = &unavailable_ops};

const predictor *gemini_predictor_unavailable(void) { return &unavailable; }
