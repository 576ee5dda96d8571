/* fake_http: the HTTP side of a fake upstream, with scripted faults and a
 * record of every request, for tests that must see what a client sent.
 *
 * Contract: fake_http_start() serves HTTP/1.1 (keep-alive) on 127.0.0.1, one
 * thread per connection, so a scripted hang never blocks other clients.
 * Paths under /__fake/ are the control API (see tests/fakes/README.md):
 *   POST /__fake/script    JSON array of steps; replaces the pending script
 *   GET  /__fake/requests  every recorded request, oldest first
 *   POST /__fake/reset     drops the script and the records (and calls hooks.reset)
 * other /__fake/ paths go to hooks.control (404 when it declines).
 * Any other request is recorded, then answered by the first pending script
 * step that matches it (consumed), or else by hooks.serve ("replay"). Every
 * answer that is not a control answer passes through hooks.decorate, which
 * may add headers (a header the script already set is kept). A step with
 * "apply": true calls hooks.serve first and drops its answer (the request
 * "landed"), then answers as scripted (error, 503, close, delay). All hooks run
 * on connection threads concurrently and must be thread-safe. Delays are
 * bounded by FAKE_HTTP_MAX_DELAY_MS and cut short by fake_http_stop(). */
#ifndef FAKE_HTTP_H
#define FAKE_HTTP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"

#define FAKE_HTTP_MAX_DELAY_MS 60000L
#define FAKE_HTTP_MAX_BODY (1024u * 1024u)
#define FAKE_HTTP_MAX_RECORDS 10000u

typedef struct fake_kv {
    char *name;
    char *value;
} fake_kv;

typedef struct fake_request {
    const char *method;
    const char *path;      /* without the query */
    const char *query;     /* raw, without '?'; "" when none */
    const fake_kv *params; /* query decoded (%XX and '+'), in order */
    size_t n_params;
    const fake_kv *headers; /* names lowercased, duplicates joined by ", " */
    size_t n_headers;
    const char *body; /* NUL-terminated */
    size_t body_len;
} fake_request;

/* Appends the pairs of an application/x-www-form-urlencoded text of n bytes
 * (also a query string), decoded (%XX and '+'), in order; free with fake_kv_free. */
void fake_parse_form(const char *text, size_t n, fake_kv **params, size_t *n_params);
void fake_kv_free(fake_kv *list, size_t n);
/* Appends a copy of name=value to a list (grown with realloc). */
void fake_kv_push(fake_kv **list, size_t *n, const char *name, const char *value);

/* First value of a query parameter, NULL when absent. */
const char *fake_request_param(const fake_request *r, const char *name);
const char *fake_request_header(const fake_request *r, const char *lower_name);

typedef struct fake_reply {
    int status;
    dstr body;
    fake_kv *headers;
    size_t n_headers;
} fake_reply;

/* Adds a header (copied); replace=0 keeps an existing one of the same name. */
void fake_reply_header(fake_reply *r, const char *name, const char *value, int replace);
int fake_reply_has_header(const fake_reply *r, const char *name);
/* Replaces the body with head, then the formatted message as a JSON string,
 * then '}': head is e.g. "{\"code\":-1121,\"msg\":" or "{\"error\":". */
void fake_reply_verror(fake_reply *r, int status, const char *head, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

typedef struct fake_http_hooks {
    /* the real ("replay") answer; out->status starts at 200, body empty */
    void (*serve)(void *ctx, const fake_request *req, fake_reply *out);
    /* called for every non-control answer, scripted or not; may be NULL */
    void (*decorate)(void *ctx, const fake_request *req, fake_reply *out);
    /* a /__fake/ request fake_http does not know; returns 1 when it answered
     * (out->status starts at 200), 0 for 404; may be NULL */
    int (*control)(void *ctx, const fake_request *req, fake_reply *out);
    /* after POST /__fake/reset dropped the script and records; may be NULL */
    void (*reset)(void *ctx);
    void *ctx;
} fake_http_hooks;

typedef struct fake_http fake_http;

/* port 0 picks a free port (see fake_http_port). Returns NULL with err set. */
fake_http *fake_http_start(uint16_t port, const fake_http_hooks *hooks, dstr *err);
uint16_t fake_http_port(const fake_http *f);
/* Stops serving (interrupting scripted delays), joins threads, frees all. */
void fake_http_stop(fake_http *f);

/* ---- what every fake program's main does ------------------------------------------- */

/* Writes port and a newline to path through a temporary name and a rename,
 * so a reader never sees half: 0, or -1 after a message on stderr naming prog. */
int fake_write_port_file(const char *prog, const char *path, unsigned port);

#endif
