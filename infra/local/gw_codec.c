/* gw_codec: UTF-8 checks, URL decoding and UTC time formats. */
#include "gw_codec.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail) {
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c == 0xe0) len = 3, lo = 0xa0;
    else if (c == 0xed) len = 3, hi = 0x9f; /* no UTF-16 surrogates */
    else if (c >= 0xe1 && c <= 0xef) len = 3;
    else if (c == 0xf0) len = 4, lo = 0x90;
    else if (c >= 0xf1 && c <= 0xf3) len = 4;
    else if (c == 0xf4) len = 4, hi = 0x8f;
    else return 0;
    if (avail < len) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return len;
}

int gw_utf8_valid(const char *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_seq_len(p + i, n - i);
        if (!l) return 0;
        i += l;
    }
    return 1;
}

void gw_json_str_utf8(dstr *out, const char *data, size_t n) {
    if (gw_utf8_valid(data, n)) {
        dstr_json_strn(out, data, n);
        return;
    }
    dstr clean = {0};
    const unsigned char *p = (const unsigned char *)data;
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_seq_len(p + i, n - i);
        if (l) {
            dstr_append(&clean, p + i, l);
            i += l;
        } else {
            dstr_puts(&clean, "\xef\xbf\xbd"); /* U+FFFD */
            i++;
        }
    }
    dstr_json_strn(out, dstr_cstr(&clean), clean.len);
    dstr_free(&clean);
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void gw_url_decode(dstr *out, const char *data, size_t n, int plus_is_space) {
    dstr_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (c == '%' && i + 2 < n && hex_value(data[i + 1]) >= 0 && hex_value(data[i + 2]) >= 0) {
            dstr_putc(out, (char)(hex_value(data[i + 1]) * 16 + hex_value(data[i + 2])));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            dstr_putc(out, ' ');
        } else {
            dstr_putc(out, c);
        }
    }
}

static const char *const month_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void gw_fmt_apigw_time(char out[32], int64_t epoch_ms) {
    time_t t = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    /* the modulos only tell the compiler the widths; gmtime_r keeps them in range */
    snprintf(out, 32, "%02u/%s/%04u:%02u:%02u:%02u +0000", (unsigned)tm.tm_mday % 100u,
             month_abbr[tm.tm_mon], (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

void gw_fmt_iso_utc(char out[24], int64_t epoch_s) {
    time_t t = (time_t)epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 24, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}
