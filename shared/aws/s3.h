/* s3: the few S3 calls the journal store needs (PutObject, create-only
 * PutObject, GetObject, ListObjectsV2), signed with sigv4.h and sent through
 * http.h, which brings retries (timeouts, connection failures, 429, 5xx such
 * as 503 SlowDown, honouring Retry-After), deadlines, TLS and connection reuse.
 *
 * Contract:
 * - Addressing: with no endpoint, virtual-hosted
 *   https://{bucket}.s3.{region}.amazonaws.com/{key} (path-style on
 *   https://s3.{region}.amazonaws.com/{bucket}/{key} for a bucket name with
 *   dots, which the wildcard certificate does not cover); with an endpoint
 *   (S3-compatible servers, tests), path-style {endpoint}/{bucket}/{key}.
 *   Every byte of a key outside A-Za-z0-9-._~/ is %XX-encoded once, in the URL
 *   and in the canonical request alike.
 * - Each call signs with the wall clock (plus config.clock_offset_s) and
 *   sends x-amz-content-sha256 = the body's SHA-256; PUTs are marked
 *   idempotent (the same bytes again), so http.h retries them too.
 * - Every call reports through s3_result (status, HTTP status, attempts, S3's
 *   error code) for programs, and, when it fails, appends one line for people
 *   to the caller's err (NULL: nothing; after earlier text the line starts
 *   with '\n'). Messages and logs carry bucket, key, HTTP status and S3 error
 *   code only: never the secret, the session token, the Authorization header
 *   or the signature.
 * - Deadlines: every call takes deadline_ms (absolute unix ms): no attempt,
 *   retry or backoff reaches past it (http.h's rule), so a call returns by
 *   then with S3_FAILED and a "deadline" or "timeout" line when nothing
 *   answered in time. 0 means no deadline of the caller's: the call is then
 *   bounded only by the room its policy needs (every attempt, every backoff).
 *   Several PUTs go out concurrently, under one deadline, with
 *   s3_put_objects().
 * - A client is for one thread at a time (like its http_client). */
#ifndef S3_H
#define S3_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "platform/http.h"
#include "aws/sigv4.h"

#define S3_CODE_MAX 64

typedef struct s3_config {
    const char *bucket;
    const char *region;
    const char *endpoint;   /* NULL or "": AWS; else "http[s]://host[:port][/base]" */
    sigv4_credentials cred; /* strings are copied */
    http_policy policy;     /* timeout_ms, retries, backoff_ms (service is set to "s3") */
    http_tls tls;           /* CA location; NULLs: libcurl's default */
    int64_t clock_offset_s; /* added to the signing clock; 0 except in clock-skew tests */
} s3_config;

typedef struct s3_client s3_client;

typedef enum s3_status {
    S3_OK = 0,
    S3_NOT_FOUND,           /* 404 NoSuchKey */
    S3_PRECONDITION_FAILED, /* 412: a create-only PUT found the key taken */
    S3_FAILED               /* anything else: see code, and err */
} s3_status;

typedef struct s3_result {
    s3_status status;
    long http_status;       /* of the final attempt; 0 when nothing answered */
    int attempts;           /* network attempts, retries included */
    int timed_out;          /* nothing answered in time (attempt timeout or deadline) */
    char code[S3_CODE_MAX]; /* S3's <Code> ("NoSuchBucket"), "" if none */
} s3_result;

typedef struct s3_list_request {
    const char *prefix;             /* NULL or "": the whole bucket */
    const char *start_after;        /* NULL: from the first key; ignored with a token */
    const char *continuation_token; /* NULL: first page */
    size_t max_keys;                /* 1..1000 */
} s3_list_request;

typedef struct s3_list_page {
    char **keys; /* n object keys, decoded, ascending */
    size_t n;
    int truncated;    /* S3's IsTruncated */
    char *next_token; /* NextContinuationToken, NULL if none */
} s3_list_page;

/* NULL with err appended to when the configuration is unusable (no bucket,
 * region or credentials, a bad endpoint URL, libcurl failing to start). */
s3_client *s3_client_new(const s3_config *cfg, dstr *err);
void s3_client_free(s3_client *c);

/* PutObject of key with data[0..n); if_none_match adds `If-None-Match: *`,
 * so an existing key answers S3_PRECONDITION_FAILED (res->attempts > 1 then
 * means an earlier attempt of this same call may be the one that created it).
 * Content-Type: application/json for keys ending ".json", else
 * application/octet-stream. */
s3_status s3_put_object(s3_client *c, const char *key, const void *data, size_t n,
                        int if_none_match, int64_t deadline_ms, s3_result *res, dstr *err);

/* One PutObject of a batch (s3_put_objects): in as s3_put_object's
 * arguments, out its result and its failure line. */
typedef struct s3_put {
    const char *key;
    const void *data;
    size_t n;
    int if_none_match;
    s3_result res; /* out */
    dstr err;      /* out: appended to when res.status is not S3_OK (caller frees) */
} s3_put;

/* Sends every PutObject concurrently (one http_run, distinct keys), each as
 * s3_put_object would, all bounded by deadline_ms. Returns how many are S3_OK. */
size_t s3_put_objects(s3_client *c, s3_put *items, size_t n, int64_t deadline_ms);
/* GetObject into out (replaced; binary-safe). */
s3_status s3_get_object(s3_client *c, const char *key, int64_t deadline_ms, dstr *out,
                        s3_result *res, dstr *err);
/* One ListObjectsV2 call (list-type=2, encoding-type=url; keys come back
 * decoded). page is replaced. */
s3_status s3_list_objects(s3_client *c, const s3_list_request *req, int64_t deadline_ms,
                          s3_list_page *page, s3_result *res, dstr *err);

/* Appends the URL of key (NULL: the bucket itself, as listings use it). */
void s3_object_url(const s3_client *c, const char *key, dstr *out);

void s3_list_page_free(s3_list_page *page);

/* Wire-format pieces, exposed for tests. */
/* Parses a ListBucketResult body into page (replaced). 0, or -1 with err. */
int s3_parse_list(const char *xml, size_t n, s3_list_page *page, dstr *err);
/* Reads <Error><Code>..</Code><Message>..</Message> from an error body;
 * code and message are "" when absent or unparsable. */
void s3_parse_error(const char *xml, size_t n, char code[S3_CODE_MAX], dstr *message);
/* Appends what an S3 error means and what to check, e.g.
 * "SignatureDoesNotMatch (HTTP 403): ... check AWS_SECRET_ACCESS_KEY". */
void s3_describe_error(dstr *out, long http_status, const char *code, const char *server_message);

#endif
