/* predictor: what turns a symbol's features into a prediction, behind one
 * table of functions (as store_ops is for stores): the built-in model here,
 * the Gemini service in services/gemini_predictor.h, others alike.
 *
 * Contract of predict(): for every job whose feat is set, fill pred (always:
 * a failure is a FLAT with failed = 1 and the reason as rationale) and
 * append to request the record of what was asked (for the journal: a
 * service's request body as sent, or {"predictor":name,"features":{...}}).
 * Jobs with feat NULL are skipped. A predictor that asks a service asks for
 * every job in one concurrent batch and is done by deadline_ms. */
#ifndef PREDICTOR_H
#define PREDICTOR_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "domain/market_features.h"
#include "domain/prediction.h"

typedef struct predict_job {
    const char *symbol;
    const features *feat; /* NULL: not asked */
    prediction pred;      /* out */
    dstr *request;        /* out: appended to */
} predict_job;

typedef struct predictor predictor;

typedef struct predictor_ops {
    const char *name; /* "builtin", "gemini"; the decision names it */
    void (*predict)(const predictor *p, predict_job *jobs, size_t n, int64_t deadline_ms);
    void (*free)(predictor *p); /* NULL: nothing to free (static predictors) */
} predictor_ops;

struct predictor {
    const predictor_ops *ops;
    void *impl;
};

/* The built-in model (model.h) as a predictor; static, never freed. */
const predictor *predictor_builtin(void);

void predictor_run(const predictor *p, predict_job *jobs, size_t n, int64_t deadline_ms);
const char *predictor_name(const predictor *p);
void predictor_free(predictor *p); /* NULL is fine */

/* The request record of a predictor that sends no request of its own:
 * {"predictor":name,"features":{features_to_json}}. */
void predictor_features_request(const char *name, const features *f, dstr *out);

#endif
