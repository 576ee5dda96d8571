/* fuzz_answer: a finished request, as http_run leaves it, for the targets
 * that feed a Binance parser: the selector picks the outcome (one in 16 a
 * transport error, the others an HTTP status, mostly 200) and the rest of
 * the input is the body. */
#ifndef FUZZ_ANSWER_H
#define FUZZ_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "platform/http.h"

static const long fuzz_statuses[] = {200, 200, 200, 200, 201, 400, 418, 429, 500, 503, 302, 404};

/* sel % 16 is the outcome; the transport error (and whether the request was
 * sent) comes from sel / 16. */
static inline void fuzz_answer(http_request *r, const char *method, const char *url, unsigned sel,
                               const uint8_t *body, size_t n) {
    http_request_init(r, method, url, NULL);
    unsigned o = sel % 16;
    r->err = o == 15 ? (http_err)(1 + (sel / 16) % 7) : HTTP_OK;
    r->status =
        r->err == HTTP_OK ? fuzz_statuses[o % (sizeof fuzz_statuses / sizeof *fuzz_statuses)] : 0;
    r->attempts = r->err == HTTP_OK || (sel / 16) % 2 ? 1 : 0;
    dstr_append(&r->resp_body, body, n);
}

#endif
