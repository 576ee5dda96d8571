/* rtconn: the runtime's HTTP/1.1 client for the Lambda Runtime API.
 *
 * Contract: one keep-alive TCP connection (TCP_NODELAY, 1 s connect timeout)
 * to a plain-HTTP server such as the loopback Runtime API. rtconn_call()
 * sends one request and reads the whole answer. If the connection turns out
 * dropped (or cannot be opened) it is reopened once and the request sent
 * again; -1 then means the server is unreachable. GETs wait for their answer
 * without limit (GET /next blocks while the sandbox is frozen); other methods
 * must be answered within RTCONN_POST_TIMEOUT_MS. Bodies may be framed by
 * Content-Length, chunked encoding or connection close; a body over
 * RT_MAX_PAYLOAD is read and dropped (too_large set), so the connection stays
 * usable. Protocol errors are treated as a dropped connection (closed, then
 * reopened once): a malformed status line or header, a body (or a
 * Content-Length, or a chunk) over RTCONN_MAX_BODY, and Content-Length
 * headers with different values (identical repeats are one). Header names are
 * lowercased on receipt. No TLS, proxies or redirects: this is not a general
 * client (see http.h for that).
 *
 * A GET's wait for its answer, the only wait without a limit, can be cut
 * short: when wake_fd (-1: none) turns readable before the first byte of the
 * answer has arrived, rtconn_call() closes the connection and returns
 * RTCONN_INTERRUPTED, without retrying. The runtime points it at the pipe its
 * stop signals write to; an answer already arriving is read whole. */
#ifndef RTCONN_H
#define RTCONN_H

#include <stddef.h>

#include "platform/dstr.h"
#include "platform/runtime.h"

#define RTCONN_CONNECT_TIMEOUT_MS 1000
#define RTCONN_POST_TIMEOUT_MS 10000
#define RTCONN_MAX_HEADERS 64
/* Bodies up to this are drained so that an oversize event can still be
 * answered with an error; beyond it the answer is not a Runtime API's. */
#define RTCONN_MAX_BODY (RT_MAX_PAYLOAD + 1024u * 1024u)
/* rtconn_call(): a GET's wait was cut short by wake_fd */
#define RTCONN_INTERRUPTED (-2)

typedef struct rtconn {
    char authority[256]; /* host:port as given; also the Host header */
    char host[256];
    char port[16];
    int fd;          /* -1 while closed */
    int wake_fd;     /* -1 (rtconn_init), or see above */
    int wakeable;    /* a GET's answer is awaited and none of it has arrived */
    int interrupted; /* the last wait was cut short by wake_fd */
    unsigned opened; /* connections opened so far */
    size_t pos, len; /* unread received bytes are buf[pos..len) */
    char buf[16 * 1024];
} rtconn;

typedef struct rtconn_req {
    const char *method;
    const char *path;
    const char *content_type; /* sent, with Content-Length, unless the method is GET */
    const char *error_type;   /* non-NULL: adds Lambda-Runtime-Function-Error-Type */
    const char *body;
    size_t body_len;
} rtconn_req;

typedef struct rtconn_resp {
    int status;
    int keep_alive;
    int too_large;    /* body over RT_MAX_PAYLOAD (up to RTCONN_MAX_BODY): drained, not kept */
    size_t body_size; /* bytes the server sent */
    dstr body;
    dstr head; /* "name\0value\0" per header */
    size_t n_headers;
    size_t at[RTCONN_MAX_HEADERS];
} rtconn_resp;

/* authority: "host:port" or "[v6]:port". The connection opens lazily. */
int rtconn_init(rtconn *c, const char *authority);
void rtconn_close(rtconn *c);

/* r must be zeroed or previously used; 0: r holds an answer (any status);
 * -1: unreachable; RTCONN_INTERRUPTED: see wake_fd above. */
int rtconn_call(rtconn *c, const rtconn_req *q, rtconn_resp *r);

/* Exposed for tests (tests/fuzz/fuzz_rtconn.c): reads one answer from c's
 * open connection (c->fd) into r, as rtconn_call() does once its request is
 * sent, without sending, retrying or closing. timeout_ms < 0 waits without
 * limit. 0: r holds an answer; -1: no complete answer. */
int rtconn_read_answer(rtconn *c, rtconn_resp *r, long timeout_ms);

/* Value of a header by lowercase name, or NULL. */
const char *rtconn_header(const rtconn_resp *r, const char *lower_name);
/* The "errorType" of a JSON error answer, for logs ("" when none). */
void rtconn_error_type(const rtconn_resp *r, char *out, size_t cap);
void rtconn_resp_free(rtconn_resp *r);

#endif
