/* predictor: dispatch, and the built-in model behind the interface (see
 * predictor.h). */
#include "domain/predictor.h"

#include "domain/model.h"

void predictor_features_request(const char *name, const features *f, dstr *out) {
    dstr_puts(out, "{\"predictor\":");
    dstr_json_str(out, name);
    dstr_puts(out, ",\"features\":");
    features_to_json(f, out);
    dstr_putc(out, '}');
}

static void builtin_predict(const predictor *p, predict_job *jobs, size_t n, int64_t deadline_ms) {
    (void)deadline_ms; /* pure computation: microseconds */
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i].feat) continue;
        model_predict(jobs[i].feat, &jobs[i].pred);
        predictor_features_request(p->ops->name, jobs[i].feat, jobs[i].request);
    }
}

static const predictor_ops builtin_ops = {.name = "builtin", .predict = builtin_predict};
static const predictor builtin = {.ops = &builtin_ops};

const predictor *predictor_builtin(void) { return &builtin; }

void predictor_run(const predictor *p, predict_job *jobs, size_t n, int64_t deadline_ms) {
    p->ops->predict(p, jobs, n, deadline_ms);
}

const char *predictor_name(const predictor *p) { return p->ops->name; }

void predictor_free(predictor *p) {
    if (p && p->ops->free) p->ops->free(p);
}
