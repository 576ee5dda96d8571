/* fuzz_rtconn: the Runtime API client's HTTP reader. The input is what the
 * server sends, written into one end of a socketpair that is then shut; the
 * reader (rtconn_read_answer, as rtconn_call reads after its request) takes
 * answers from the other end while they keep the connection alive: status
 * line, 1xx interim answers, headers, Content-Length, chunked or
 * close-delimited bodies, the oversize drain. */
#include <sys/socket.h>

#include "fuzz.h"
#include "platform/rtconn.h"

#define MAX_INPUT (64 * 1024) /* fits a socketpair's buffer: written at once */
#define MAX_ANSWERS 8

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void check(const rtconn_resp *r) {
    if (r->status < 200 || r->status > 999) fuzz_fail("answer status out of range");
    if (!r->too_large && r->body.len != r->body_size) fuzz_fail("body length != bytes received");
    if (r->too_large && r->body.len) fuzz_fail("oversize body kept");
    if (r->n_headers > RTCONN_MAX_HEADERS) fuzz_fail("too many headers");
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *name = r->head.ptr + r->at[i];
        for (const char *p = name; *p; p++)
            if (*p >= 'A' && *p <= 'Z') fuzz_fail("header name not lowercased");
        if (rtconn_header(r, name) == NULL) fuzz_fail("a received header is not found");
    }
    char type[64];
    rtconn_error_type(r, type, sizeof type);
    if (strlen(type) >= sizeof type) fuzz_fail("error type overflows");
    rtconn_header(r, "lambda-runtime-aws-request-id");
    rtconn_header(r, "lambda-runtime-deadline-ms");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > MAX_INPUT) return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) abort();
    int buf = 2 * MAX_INPUT;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    for (size_t off = 0; off < size;) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0) abort();
        off += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR);
    rtconn c;
    if (rtconn_init(&c, "127.0.0.1:9001") != 0) abort();
    c.fd = sv[0];
    rtconn_resp r = {0};
    for (int i = 0; i < MAX_ANSWERS && rtconn_read_answer(&c, &r, 1000) == 0; i++) {
        check(&r);
        if (!r.keep_alive) break;
    }
    rtconn_resp_free(&r);
    rtconn_close(&c);
    close(sv[1]);
    return 0;
}
