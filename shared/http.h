/* http: outgoing HTTPS on libcurl, built for batches.
 *
 * Contract: the caller prepares several http_request values and hands them to
 * http_run(), which runs them concurrently (one curl multi handle, connections
 * kept alive across calls and invocations) until each has a final outcome or
 * the deadline passes. Each request keeps its own retry state:
 *   - retried (up to policy->retries extra attempts, exponential backoff with
 *     full jitter from policy->backoff_ms, honouring Retry-After in seconds or
 *     as an HTTP date): timeouts, connection failures, 429 and 5xx;
 *   - never retried: other 4xx, and any request not marked idempotent
 *     (GET/HEAD/DELETE are idempotent by default, POST/PUT are not);
 *   - 418 (IP ban) is not retried, and the ban (Retry-After, else 120 s) is
 *     remembered per host for the life of the client: requests to a banned host
 *     fail at once with HTTP_ERR_BANNED without touching the network.
 * No attempt's timeout and no backoff sleep reaches past deadline_ms: a retry
 * that would is not made, and the last outcome stands. The caller passes a
 * deadline that already keeps back the time it needs to answer and journal.
 * TLS peer and host verification are always on; the CA location comes from
 * http_tls (CURLOPT_CAPATH / CURLOPT_CAINFO).
 * Each attempt that is retried or fails logs an "http.attempt" event with the
 * service, method, host, path (never the query string: it may carry
 * signatures), status, error and delay. Single-threaded. */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "dstr.h"

typedef struct http_policy {
    const char *service;  /* "binance", "gemini", ...: for logs */
    long timeout_ms;      /* per attempt */
    int retries;          /* extra attempts after the first */
    long backoff_ms;      /* base of the exponential backoff */
} http_policy;

typedef struct http_tls {
    const char *ca_path;  /* hashed directory (preferred: cheap to load), or NULL */
    const char *ca_file;  /* PEM bundle, or NULL */
} http_tls;

typedef enum http_err {
    HTTP_OK = 0,          /* a response arrived: see status (may be 4xx/5xx) */
    HTTP_ERR_TIMEOUT,     /* no (complete) answer within the attempt timeout */
    HTTP_ERR_CONNECT,     /* could not connect / resolve / TLS failure */
    HTTP_ERR_BANNED,      /* host banned us earlier (418) and the ban still runs */
    HTTP_ERR_DEADLINE,    /* the deadline passed before any answer */
    HTTP_ERR_TOO_LARGE,   /* response body over HTTP_MAX_BODY */
    HTTP_ERR_TRANSPORT    /* anything else (truncated transfer, protocol error) */
} http_err;

#define HTTP_MAX_BODY (32u * 1024u * 1024u)

typedef struct http_header {
    char *name;   /* lowercased */
    char *value;
} http_header;

typedef struct http_request {
    /* in: set through http_request_init / http_request_header */
    char method[8];
    dstr url;
    dstr body;                 /* sent when non-empty (or for POST/PUT) */
    int idempotent;            /* may be retried automatically */
    const http_policy *policy;
    struct http_req_priv *priv; /* outgoing headers and retry state */

    /* out */
    http_err err;
    long status;               /* HTTP status of the final attempt, 0 if none */
    dstr resp_body;
    http_header *resp_headers; /* of the final attempt */
    size_t n_resp_headers;
    int attempts;
    int64_t elapsed_ms;        /* first attempt start to final outcome */
    char errmsg[256];          /* human-readable transport error, "" if none */
} http_request;

typedef struct http_client http_client;

http_client *http_client_new(const http_tls *tls);
void http_client_free(http_client *c);

void http_request_init(http_request *r, const char *method, const char *url,
                       const http_policy *policy);
/* Adds an outgoing header; name and value are copied. */
void http_request_header(http_request *r, const char *name, const char *value);
void http_request_free(http_request *r);
/* Case-insensitive lookup in the final response's headers, NULL if absent. */
const char *http_response_header(const http_request *r, const char *name);

/* Runs the batch; returns the number of requests that ended with HTTP_OK and a
 * 2xx status. */
size_t http_run(http_client *c, http_request **reqs, size_t n, int64_t deadline_ms);

const char *http_err_name(http_err e);

#endif
