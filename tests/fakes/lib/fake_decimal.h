/* fake_decimal: exact decimal numbers as Binance writes them ("88910.9").
 *
 * Contract: a value is m / 10^scale with 0 <= scale <= FDEC_MAX_SCALE and m a
 * signed 64-bit integer, so the text a value was parsed from prints back
 * unchanged (same digits after the point). Arithmetic is exact; every
 * operation that could overflow reports it instead of wrapping. Used by the
 * replay server to aggregate candles and place order-book levels on the tick
 * grid without binary floating point. */
#ifndef FAKE_DECIMAL_H
#define FAKE_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"

#define FDEC_MAX_SCALE 12

typedef struct fdec {
    int64_t m;
    int scale;
} fdec;

/* Parses [-]digits[.digits] (n bytes, no exponent, no spaces). Returns 0, or
 * -1 when the text is not such a number or does not fit. */
int fdec_parse(const char *text, size_t n, fdec *out);
/* Returns <0, 0, >0 like strcmp. Values of any scale compare correctly. */
int fdec_cmp(fdec a, fdec b);
/* *out = a + b at the larger scale. Returns -1 on overflow. */
int fdec_add(fdec a, fdec b, fdec *out);
/* Rescales to scale (only upwards: adds zeros). Returns -1 on overflow or
 * when scale is smaller than v.scale or above FDEC_MAX_SCALE. */
int fdec_rescale(fdec v, int scale, fdec *out);
/* floor(a / b) for b > 0, as an integer count (how many b fit in a). */
int fdec_floor_div(fdec a, fdec b, int64_t *out);
/* Appends v with exactly v.scale digits after the point. */
void fdec_format(dstr *out, fdec v);
/* Appends a * b exactly (scale a.scale + b.scale, computed in 128 bits);
 * returns -1 (appending nothing) when the product cannot be printed. */
int fdec_format_product(dstr *out, fdec a, fdec b);
double fdec_to_double(fdec v);

#endif
