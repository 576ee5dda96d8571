/* fake_decimal: exact decimal arithmetic for the replay server. */
#include "fake_decimal.h"

#include <math.h>
#include <stdio.h>

static const int64_t pow10_table[FDEC_MAX_SCALE * 2 + 1] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL, 1000000000LL,
    10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL, 100000000000000LL,
    1000000000000000LL, 10000000000000000LL, 100000000000000000LL, 1000000000000000000LL,
    /* beyond int64: never used as a multiplier (checked by callers) */
    0, 0, 0, 0, 0, 0};

int fdec_parse(const char *text, size_t n, fdec *out) {
    size_t i = 0;
    int neg = 0;
    if (i < n && text[i] == '-') {
        neg = 1;
        i++;
    }
    int64_t m = 0;
    int scale = -1; /* -1 until the point is seen */
    size_t digits = 0;
    for (; i < n; i++) {
        char c = text[i];
        if (c == '.') {
            if (scale >= 0) return -1;
            scale = 0;
            continue;
        }
        if (c < '0' || c > '9') return -1;
        if (__builtin_mul_overflow(m, 10, &m) || __builtin_add_overflow(m, c - '0', &m)) return -1;
        digits++;
        if (scale >= 0 && ++scale > FDEC_MAX_SCALE) return -1;
    }
    if (digits == 0) return -1;
    out->m = neg ? -m : m;
    out->scale = scale < 0 ? 0 : scale;
    return 0;
}

int fdec_rescale(fdec v, int scale, fdec *out) {
    if (scale < v.scale || scale > FDEC_MAX_SCALE) return -1;
    int64_t m;
    if (__builtin_mul_overflow(v.m, pow10_table[scale - v.scale], &m)) return -1;
    out->m = m;
    out->scale = scale;
    return 0;
}

int fdec_cmp(fdec a, fdec b) {
    /* 128-bit so no common scale can overflow */
    __int128 x = (__int128)a.m * pow10_table[FDEC_MAX_SCALE - a.scale];
    __int128 y = (__int128)b.m * pow10_table[FDEC_MAX_SCALE - b.scale];
    return (x > y) - (x < y);
}

int fdec_add(fdec a, fdec b, fdec *out) {
    int scale = a.scale > b.scale ? a.scale : b.scale;
    fdec x, y;
    if (fdec_rescale(a, scale, &x) || fdec_rescale(b, scale, &y)) return -1;
    if (__builtin_add_overflow(x.m, y.m, &out->m)) return -1;
    out->scale = scale;
    return 0;
}

int fdec_floor_div(fdec a, fdec b, int64_t *out) {
    int scale = a.scale > b.scale ? a.scale : b.scale;
    fdec x, y;
    if (fdec_rescale(a, scale, &x) || fdec_rescale(b, scale, &y) || y.m <= 0) return -1;
    int64_t q = x.m / y.m;
    if (x.m % y.m != 0 && x.m < 0) q--;
    *out = q;
    return 0;
}

/* Prints |mag| with `scale` digits after the point, sign first. */
static void format_mag(dstr *out, int neg, unsigned __int128 mag, int scale) {
    char buf[64];
    int pos = (int)sizeof buf;
    int produced = 0;
    while (mag > 0 || produced <= scale) {
        if (produced == scale && scale > 0) buf[--pos] = '.';
        buf[--pos] = (char)('0' + (int)(mag % 10));
        mag /= 10;
        produced++;
    }
    if (neg) buf[--pos] = '-';
    dstr_append(out, buf + pos, sizeof buf - (size_t)pos);
}

void fdec_format(dstr *out, fdec v) {
    unsigned __int128 mag = v.m < 0 ? (unsigned __int128)(-(__int128)v.m) : (unsigned __int128)v.m;
    format_mag(out, v.m < 0 && v.m != 0, mag, v.scale);
}

int fdec_format_product(dstr *out, fdec a, fdec b) {
    __int128 p = (__int128)a.m * (__int128)b.m; /* |a.m|,|b.m| < 2^63: fits */
    int scale = a.scale + b.scale;
    if (scale > 2 * FDEC_MAX_SCALE) return -1;
    unsigned __int128 mag = p < 0 ? (unsigned __int128)(-p) : (unsigned __int128)p;
    format_mag(out, p < 0, mag, scale);
    return 0;
}

double fdec_to_double(fdec v) { return (double)v.m / pow(10.0, v.scale); }
