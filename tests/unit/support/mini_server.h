/* mini_server: a scripted HTTP/1.1 server for unit tests (libmicrohttpd).
 *
 * Contract: ms_start() listens on 127.0.0.1, ephemeral port, one thread per
 * connection (keep-alive on). Every request is recorded (method, path, raw
 * query, headers, body, arrival time, connection id) and answered from the
 * script: the first unconsumed step whose path matches (path NULL matches any)
 * answers it and is consumed, unless it repeats. A request no step matches
 * gets 500 "mini_server: no script step". Steps and their strings are copied.
 * Delays are cut short by ms_stop(), which returns once every connection
 * thread has ended. The recording functions may be called from the test
 * thread while the server runs; a returned ms_request stays valid until
 * ms_reset() or ms_stop().
 * ms_start_tls() does the same over TLS with a fresh self-signed EC
 * certificate for 127.0.0.1 (subject CN and SAN IP), made at start.
 */
#ifndef MINI_SERVER_H
#define MINI_SERVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ms_step {
    int status;               /* 0 means 200 */
    const char *headers;      /* "Name: value" lines separated by '\n', or NULL */
    const char *body;         /* NULL means empty */
    size_t body_len;          /* 0 means strlen(body) */
    int delay_ms;             /* wait before answering */
    int truncate;             /* declare a longer Content-Length, send the body, close */
    int chunked;              /* no Content-Length: chunked transfer encoding */
    int close_without_answer; /* close the connection instead of answering */
    const char *path;         /* only requests to this path use the step; NULL: any */
    int repeat;               /* never consumed */
} ms_step;

typedef struct ms_header {
    char *name;
    char *value;
} ms_header;

typedef struct ms_request {
    char *method;
    char *path;  /* without the query */
    char *query; /* raw, as sent (not decoded), "" if none */
    ms_header *headers;
    size_t n_headers;
    char *body; /* NUL-terminated */
    size_t body_len;
    int64_t arrival_ms; /* CLOCK_MONOTONIC milliseconds */
    unsigned conn_id;   /* 1, 2, ...: one per TCP connection */
} ms_request;

typedef struct mini_server mini_server;

/* NULL on failure (message on stderr). */
mini_server *ms_start(void);
/* NULL on failure or when libmicrohttpd lacks TLS. */
mini_server *ms_start_tls(void);
void ms_stop(mini_server *s);

int ms_port(const mini_server *s);
/* "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT", no trailing slash. */
const char *ms_url(const mini_server *s);
/* PEM of the TLS certificate (its own CA), NULL for plain HTTP. */
const char *ms_cert_pem(const mini_server *s);

/* Replaces the script. */
void ms_script(mini_server *s, const ms_step *steps, size_t n);
/* Forgets recorded requests and zeroes the connection count. */
void ms_reset(mini_server *s);

size_t ms_request_count(mini_server *s);
const ms_request *ms_request_at(mini_server *s, size_t i);
/* TCP connections accepted since start or ms_reset. */
unsigned ms_connection_count(mini_server *s);
/* Case-insensitive header lookup in a recorded request, NULL if absent. */
const char *ms_header_get(const ms_request *r, const char *name);

#endif
