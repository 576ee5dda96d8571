/* base64: RFC 4648 encoding for API Gateway bodies (see base64.h). */
#include "platform/base64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(dstr *out, const void *data, size_t n) {
    const unsigned char *p = data;
    dstr_reserve(out, (n + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        char q[4] = {b64_alphabet[v >> 18], b64_alphabet[(v >> 12) & 63],
                     b64_alphabet[(v >> 6) & 63], b64_alphabet[v & 63]};
        dstr_append(out, q, 4);
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        char q[4] = {b64_alphabet[v >> 18], b64_alphabet[(v >> 12) & 63],
                     i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=', '='};
        dstr_append(out, q, 4);
    }
}

static int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int base64_decode(dstr *out, const char *text, size_t n) {
    /* strip padding: at most two '=' and only at the very end */
    size_t pad = 0;
    while (n > 0 && text[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if (pad && (n + pad) % 4 != 0) return -1;
    if (n % 4 == 1) return -1;
    dstr_reserve(out, n / 4 * 3 + 3);
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(text[i]);
        if (v < 0) return -1;
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dstr_putc(out, (char)((acc >> bits) & 0xff));
        }
    }
    /* leftover bits of a final partial quantum must be zero (canonical) */
    if (bits && (acc & ((1u << bits) - 1))) return -1;
    return 0;
}
