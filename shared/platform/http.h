/* http: outgoing HTTP(S) on libcurl, built for batches.
 *
 * Contract: the caller prepares several http_request values and hands them to
 * http_run(), which runs them concurrently (one curl multi handle, connections
 * kept alive across calls and invocations) until each has a final outcome or
 * the deadline passes. Each request keeps its own retry state:
 *   - retried (up to policy->retries extra attempts, exponential backoff with
 *     full jitter from policy->backoff_ms, or exactly Retry-After when the
 *     answer carries one, in seconds or as an HTTP date): timeouts, connection
 *     failures, truncated transfers, 429 and 5xx;
 *   - never retried: other 4xx, TLS verification failures, and any request
 *     not marked idempotent (GET/HEAD/DELETE are idempotent by default,
 *     POST/PUT are not: set r->idempotent = 1 after init to allow it);
 *   - 418 (IP ban) is not retried, and the ban (Retry-After, else 120 s) is
 *     remembered per scheme+host+port for the life of the client: requests to
 *     a banned host fail at once with HTTP_ERR_BANNED without network;
 *   - an upstream that says when to retry in its body (Gemini's RetryInfo)
 *     sets policy->retry_delay_ms: consulted only when a retry is due by the
 *     rules above, it picks the wait or refuses the retry (see http_policy).
 * No attempt's timeout and no backoff sleep reaches past deadline_ms: a retry
 * whose wait plus HTTP_MIN_ATTEMPT_MS (or the attempt timeout, if shorter)
 * would pass the deadline is not made, and the last outcome stands. The
 * caller passes a deadline that already keeps back the time it needs to
 * answer and journal.
 * TLS peer and host verification are always on; the CA location comes from
 * http_tls (ca_path -> CURLOPT_CAPATH, ca_file -> CURLOPT_CAINFO; setting one
 * disables libcurl's built-in default for the other, so a hashed directory
 * never pays for parsing a whole bundle). Both NULL: the first existing of
 * /var/task/certs (the hashed directory a packaged zip ships; /var/task is
 * Lambda's task root) and /etc/ssl/certs (Debian's, for local runs); the static
 * libcurl the bootstraps link has no CA location compiled in, so with none
 * of them every TLS connection fails verification (closed, never open).
 * Each attempt that is retried or fails (transport error or status >= 400)
 * logs an "http.attempt" event: upstream (policy->service; "service" is the
 * log line's own field), method, host, path (never the query string nor any
 * header: they carry signatures and keys), attempt, status or error+message,
 * retry, delay_ms when retrying, deadline_cut when the deadline stopped a due
 * retry, retry_refused when policy->retry_delay_ms did. WARN for retries and
 * final 4xx, ERROR otherwise.
 * Single-threaded: one client per thread.
 *
 * libcurl's global init runs once, lazily, in the first http_client_new(); it
 * is never cleaned up (it lives until the process exits; OpenSSL frees its own
 * state then), so nothing is needed at exit and clients can come and go
 * cheaply.
 *
 *   http_request r;
 *   http_request_init(&r, "GET", url, &policy);
 *   http_request_header(&r, "X-MBX-APIKEY", key);
 *   http_request *batch[] = {&r};
 *   http_run(client, batch, 1, deadline_ms);
 *   ... r.err, r.status, r.resp_body ...
 *   http_request_free(&r);
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"

struct http_request;

/* Answers of http_policy.retry_delay_ms besides a wait in ms (>= 0). */
#define HTTP_RETRY_DEFAULT (-1L) /* Retry-After, else the backoff */
#define HTTP_NO_RETRY (-2L)      /* this outcome must not be retried */

typedef struct http_policy {
    const char *service; /* "binance", "gemini", ...: for logs */
    long timeout_ms;     /* per attempt (<= 0: HTTP_DEFAULT_TIMEOUT_MS) */
    int retries;         /* extra attempts after the first */
    long backoff_ms;     /* base of the exponential backoff */
    /* Optional (NULL: Retry-After, else backoff). Called with the finished
     * attempt (err, status, resp_body, headers, attempts) only when it is
     * about to be retried; returns the wait in ms, HTTP_NO_RETRY or
     * HTTP_RETRY_DEFAULT. It cannot make other outcomes retryable, and the
     * deadline rule still applies to the wait it picks. */
    long (*retry_delay_ms)(const struct http_request *attempt);
    /* 1: every attempt on a new connection. libcurl resends a request by
     * itself when a REUSED keep-alive connection dies before any byte of
     * the answer, even with retries 0; for a request that is not idempotent
     * (an order) the first copy may have landed, so it must never ride a
     * reused connection. Costs a connect (and TLS handshake) per attempt. */
    int fresh_connection;
} http_policy;

typedef struct http_tls {
    const char *ca_path; /* hashed directory (preferred: cheap to load), or NULL */
    const char *ca_file; /* PEM bundle, or NULL */
} http_tls;

typedef enum http_err {
    HTTP_OK = 0,        /* a response arrived: see status (may be 4xx/5xx) */
    HTTP_ERR_TIMEOUT,   /* no (complete) answer within the attempt timeout */
    HTTP_ERR_CONNECT,   /* could not connect / resolve / TLS failure */
    HTTP_ERR_BANNED,    /* host banned us earlier (418) and the ban still runs */
    HTTP_ERR_DEADLINE,  /* the deadline passed before any answer */
    HTTP_ERR_TOO_LARGE, /* response body over the client's cap */
    HTTP_ERR_TRANSPORT, /* truncated transfer, connection closed, protocol error */
    HTTP_ERR_INVALID    /* the request itself is unusable (URL, method, header) */
} http_err;

#define HTTP_MAX_BODY (32u * 1024u * 1024u)
#define HTTP_DEFAULT_TIMEOUT_MS 10000L
/* A retry is only worth making if at least this long (or the whole attempt
 * timeout, if shorter) remains before the deadline once its wait is over. */
#define HTTP_MIN_ATTEMPT_MS 50L
/* Ban length after a 418 without Retry-After. */
#define HTTP_DEFAULT_BAN_MS 120000L

typedef struct http_header {
    char *name;  /* lowercased */
    char *value; /* surrounding whitespace trimmed */
} http_header;

typedef struct http_request {
    /* in: set through http_request_init / http_request_header */
    char method[8];
    dstr url;
    dstr body;                  /* sent when non-empty (always for POST/PUT) */
    int idempotent;             /* may be retried automatically */
    const http_policy *policy;  /* must outlive http_run */
    struct http_req_priv *priv; /* outgoing headers and retry state */

    /* out: reset by every http_run */
    http_err err;
    long status;               /* HTTP status of the final attempt; 0 unless err == HTTP_OK */
    dstr resp_body;            /* registered secrets already scrubbed out (platform/secret.h) */
    http_header *resp_headers; /* of the final attempt */
    size_t n_resp_headers;
    int attempts;       /* attempts that went to the network */
    int64_t elapsed_ms; /* first attempt start to final outcome */
    char errmsg[256];   /* human-readable transport error, "" if none */
} http_request;

typedef struct http_client http_client;

/* tls may be NULL (libcurl's default CA store). The strings are copied.
 * Returns NULL if libcurl cannot be initialised. */
http_client *http_client_new(const http_tls *tls);
void http_client_free(http_client *c);
/* Lowers the response body cap (0 restores HTTP_MAX_BODY; larger values are
 * clamped to it). For small APIs and for tests. */
void http_client_set_max_body(http_client *c, size_t max_body);

/* method: an upper-case token ("GET", "POST", ...); url is copied; policy
 * NULL means HTTP_DEFAULT_TIMEOUT_MS, no retries. A bad method or URL is
 * reported by http_run as HTTP_ERR_INVALID, not here. r must be fresh or
 * freed (init does not release an earlier init). */
void http_request_init(http_request *r, const char *method, const char *url,
                       const http_policy *policy);
/* Adds an outgoing header; name and value are copied. An empty name, a name
 * with ':' or white space, or CR/LF anywhere makes the request
 * HTTP_ERR_INVALID (header injection is refused, not repaired). */
void http_request_header(http_request *r, const char *name, const char *value);
/* Releases everything the request owns and zeroes it. */
void http_request_free(http_request *r);
/* Case-insensitive lookup in the final response's headers, NULL if absent. */
const char *http_response_header(const http_request *r, const char *name);

/* Runs the batch (distinct requests) until every request has its final
 * outcome; deadline_ms is absolute, unix epoch milliseconds (the clock of
 * Lambda-Runtime-Deadline-Ms). Returns the number of requests that ended with
 * HTTP_OK and a 2xx status. */
size_t http_run(http_client *c, http_request **reqs, size_t n, int64_t deadline_ms);

const char *http_err_name(http_err e);

/* Appends s percent-encoded (RFC 3986: only ALPHA DIGIT - . _ ~ kept). */
void http_url_encode(dstr *out, const char *s);
/* Appends "key=value" (both encoded) to url, after '?' or '&' as needed.
 * val NULL is sent as an empty value. */
void http_query_add(dstr *url, const char *key, const char *val);

#endif
