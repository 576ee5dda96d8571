/* prediction: what every predictor answers, in one shape:
 * {direction: LONG|SHORT|FLAT, prob: 0..1, support?, resistance?, entry?,
 *  rationale}. The optional levels are NAN when absent. A predictor that
 * cannot answer (a blocked, truncated or malformed model reply, missing
 * data) answers FLAT with the reason in rationale and `failed` set, so the
 * decision says why nothing was traded. `predictor` names who answered. */
#ifndef PREDICTION_H
#define PREDICTION_H

typedef enum direction { DIR_FLAT = 0, DIR_LONG, DIR_SHORT } direction;

typedef struct prediction {
    direction dir;
    double prob;                       /* 0..1 */
    double support, resistance, entry; /* NAN when absent */
    char rationale[512];
    char predictor[16]; /* "builtin", "gemini" */
    int failed;         /* 1: FLAT because the predictor could not answer */
} prediction;

const char *direction_name(direction d);            /* "LONG", "SHORT", "FLAT" */
int direction_parse(const char *s, direction *out); /* 0, or -1 if not one of the three */
/* A FLAT prediction carrying why (printf-style). */
void prediction_flat(prediction *p, const char *predictor, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
