/* gw_head: how the local gateway reads an HTTP/1.1 request off the wire, as
 * pure functions (no I/O), so every malformed shape is refused by the
 * gateway itself in its JSON error shape instead of by a library's page.
 *
 * gw_head_scan() looks at the bytes a connection has received for the next
 * request and says: need more, here is a well-formed head (parsed), or
 * refuse it with this status. It checks what it can as early as the bytes
 * allow (a method that is no token, as in a TLS handshake, is refused at the
 * first byte; a bad request line before its headers arrive), and holds the
 * request to API Gateway's 10,240 bytes of request line and headers:
 *   400 bad_request            malformed request line or header line (no
 *                              colon, whitespace before the colon, folded or
 *                              whitespace-led line, a control character or
 *                              bare CR, a target with a space), HTTP/1.1
 *                              without exactly one Host, a Content-Length
 *                              that is not digits or conflicts with another,
 *                              Transfer-Encoding with Content-Length, on
 *                              HTTP/1.0, or not ending in chunked (RFC 9112)
 *   414 uri_too_long           request line over 10,240 bytes
 *   431 headers_too_large      request line and headers over 10,240 bytes
 *   413 (code NULL)            Content-Length over max_body
 *   501 not_implemented        a transfer coding other than chunked before it
 *   505 http_version_not_supported  a version other than HTTP/1.x
 * Empty lines before the request line are skipped (RFC 9112 2.2); lines may
 * end in CRLF or a bare LF.
 *
 * gw_chunked_feed() decodes a chunked body as its bytes arrive, refusing
 * malformed framing (400), a chunk size over 64 bits or a body over
 * max_body (413, code NULL) and malformed trailer lines (400). */
#ifndef GW_HEAD_H
#define GW_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "gw_event.h"
#include "platform/dstr.h"

/* API Gateway's quota: request line and headers together. */
#define GW_HEAD_MAX 10240u

typedef struct gw_refusal {
    unsigned status;
    const char *code; /* NULL for 413: API Gateway's {"message":...} answer */
    const char *message;
    /* the request line's method and target when it was readable (for the
     * log), as offsets into the scanned bytes; lengths 0 otherwise */
    size_t method_off, method_len, target_off, target_len;
} gw_refusal;

typedef struct gw_head {
    char *mem; /* one block: every string below points into it */
    const char *method;
    const char *target;  /* as received: path[?query] */
    const char *version; /* "HTTP/1.1" */
    gw_header *headers;  /* in order, names as sent, values without OWS */
    size_t n_headers;
    int chunked;             /* Transfer-Encoding: chunked */
    uint64_t content_length; /* when not chunked (0 without the header) */
    int keep_alive;          /* another request may follow on the connection */
    int expect_continue;     /* HTTP/1.1 Expect: 100-continue */
} gw_head;

/* Scans buf[0..len), the start of a request. Returns 0 when more bytes are
 * needed, -1 when the request is refused (*why filled), else the length of
 * the head (leading empty lines included; the body follows) with *h filled
 * (free it with gw_head_free). */
long gw_head_scan(const char *buf, size_t len, uint64_t max_body, gw_head *h, gw_refusal *why);
void gw_head_free(gw_head *h);

typedef struct gw_chunked {
    int state, then; /* then: where the LF after a CR leads */
    uint64_t left;   /* chunk size being read, then its bytes still due */
    size_t line;     /* bytes of the current size line */
    size_t trailer;  /* bytes of the trailer section */
    int digits;
} gw_chunked;

/* Feeds buf[0..len) of a chunked body: appends the chunk data to body.
 * Returns the bytes consumed (it stops right after the body, so what
 * follows belongs to the next request), or -1 with *why. *done is set once
 * the last chunk and the trailer section are in. Start from a zeroed
 * gw_chunked. */
long gw_chunked_feed(gw_chunked *c, const char *buf, size_t len, uint64_t max_body, dstr *body,
                     int *done, gw_refusal *why);

#endif
