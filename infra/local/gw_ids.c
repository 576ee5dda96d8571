/* gw_ids: uuid v4, X-Ray trace ids and API Gateway request ids. */
#include "gw_ids.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "gw_codec.h"

void gw_random_bytes(void *buf, size_t n) {
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            abort();
        }
        p += r;
        n -= (size_t)r;
    }
}

static void put_hex(char *out, const unsigned char *bytes, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 15];
    }
}

void gw_uuid4(char out[37]) {
    unsigned char b[16];
    gw_random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char hex[32];
    put_hex(hex, b, 16);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

void gw_trace_root(char out[36], int64_t epoch_ms) {
    unsigned char b[12];
    gw_random_bytes(b, sizeof b);
    char hex[24];
    put_hex(hex, b, sizeof b);
    snprintf(out, 36, "1-%08x-%.24s", (unsigned)((uint64_t)epoch_ms / 1000u), hex);
}

void gw_trace_header(char out[80], const char *root) {
    unsigned char b[8];
    gw_random_bytes(b, sizeof b);
    char hex[16];
    put_hex(hex, b, sizeof b);
    snprintf(out, 80, "Root=%s;Parent=%.16s;Sampled=0", root, hex);
}

void gw_apigw_request_id(char out[17]) {
    unsigned char b[11];
    gw_random_bytes(b, sizeof b);
    dstr s = {0};
    base64_encode(&s, b, sizeof b);
    snprintf(out, 17, "%s", dstr_cstr(&s));
    dstr_free(&s);
}

int64_t gw_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
