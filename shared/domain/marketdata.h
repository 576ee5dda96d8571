/* marketdata: plain market data shared by services (which fetch it) and
 * domain code (which computes on it): candles, order book, premium index,
 * and the per-symbol snapshot a predictor sees. No behaviour beyond freeing;
 * times are unix epoch milliseconds, prices and sizes plain doubles. */
#ifndef MARKETDATA_H
#define MARKETDATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct candle {
    int64_t open_time, close_time;
    double open, high, low, close, volume;
} candle;

typedef struct candles {
    candle *v; /* oldest first */
    size_t n;
} candles;

typedef struct book_level {
    double price, qty;
} book_level;

typedef struct order_book {
    book_level *bids, *asks; /* best first */
    size_t n_bids, n_asks;
    int64_t time_ms;
} order_book;

typedef struct premium_index {
    double mark_price, index_price, funding_rate;
    int64_t next_funding_time, time_ms;
} premium_index;

/* The timeframes every snapshot carries, in this order. */
typedef enum timeframe { TF_5M, TF_1H, TF_4H, TF_1D, TF_COUNT } timeframe;

typedef struct snapshot {
    char symbol[24];
    int64_t now_ms;       /* when the snapshot was taken */
    candles tf[TF_COUNT]; /* closed candles only */
    order_book book;
    premium_index premium;
} snapshot;

const char *tf_name(timeframe tf); /* "5m", "1h", "4h", "1d" */
int64_t tf_ms(timeframe tf);
int tf_parse(const char *name, timeframe *out); /* 0, or -1 when not one of the four */

void candles_free(candles *c);
void order_book_free(order_book *b);
void snapshot_free(snapshot *s);

#endif
