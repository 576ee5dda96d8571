/* marketdata: timeframe names and freeing (see marketdata.h). */
#include "domain/marketdata.h"

#include <stdlib.h>
#include <string.h>

static const char *const tf_names[TF_COUNT] = {"5m", "1h", "4h", "1d"};
static const int64_t tf_millis[TF_COUNT] = {300000, 3600000, 14400000, 86400000};

const char *tf_name(timeframe tf) { return (unsigned)tf < TF_COUNT ? tf_names[tf] : "?"; }

int64_t tf_ms(timeframe tf) { return (unsigned)tf < TF_COUNT ? tf_millis[tf] : 0; }

int tf_parse(const char *name, timeframe *out) {
    for (int i = 0; i < TF_COUNT; i++)
        if (strcmp(name, tf_names[i]) == 0) return *out = (timeframe)i, 0;
    return -1;
}

void candles_free(candles *c) {
    free(c->v);
    c->v = NULL;
    c->n = 0;
}

void order_book_free(order_book *b) {
    free(b->bids);
    free(b->asks);
    memset(b, 0, sizeof *b);
}

void snapshot_free(snapshot *s) {
    for (int i = 0; i < TF_COUNT; i++) candles_free(&s->tf[i]);
    order_book_free(&s->book);
    memset(s, 0, sizeof *s);
}
