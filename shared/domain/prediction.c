/* prediction: names and the FLAT-with-reason constructor (see prediction.h). */
#include "domain/prediction.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {"FLAT", "LONG", "SHORT"};

const char *direction_name(direction d) { return (unsigned)d < 3 ? names[d] : "FLAT"; }

int direction_parse(const char *s, direction *out) {
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) return *out = (direction)i, 0;
    return -1;
}

void prediction_flat(prediction *p, const char *predictor, const char *fmt, ...) {
    memset(p, 0, sizeof *p);
    p->dir = DIR_FLAT;
    p->support = p->resistance = p->entry = NAN;
    p->failed = 1;
    snprintf(p->predictor, sizeof p->predictor, "%s", predictor);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->rationale, sizeof p->rationale, fmt, ap);
    va_end(ap);
}
