/* gemini_predictor: the Gemini service (gemini.h) behind the predictor
 * interface (domain/predictor.h): every job in one concurrent batch on the
 * given HTTP client, bounded by the deadline; the request record of a job is
 * the request body sent. A client that cannot be set up (no key, a model id
 * that is not one) fails every job with "gemini not configured: <why>" and
 * records {"predictor":"gemini","features":{...}}. */
#ifndef GEMINI_PREDICTOR_H
#define GEMINI_PREDICTOR_H

#include "platform/http.h"
#include "domain/predictor.h"
#include "services/gemini.h"

/* http is borrowed (it must outlive the predictor); c is copied by pointer
 * (its strings too: keep it alive). Free with predictor_free(). */
predictor *gemini_predictor_new(http_client *http, const gemini_config *c);
/* A gemini predictor for when no HTTP client could start: every job fails
 * with "gemini unavailable: the HTTP client could not start". Static. */
const predictor *gemini_predictor_unavailable(void);

#endif
