/* sigv4: AWS Signature Version 4, header form, for any service and region
 * (S3, Secrets Manager, ...), on OpenSSL 3.
 *
 * Contract: sigv4_sign() is a pure function of its inputs and the clock value
 * passed in: it builds the canonical request (method, canonical URI, query
 * parameters sorted by encoded name then value, headers lowercased, trimmed,
 * inner runs of spaces collapsed, sorted, repeated names joined with ','),
 * the string to sign and the signature, and returns what the caller must send.
 * It adds the headers SigV4 needs itself, so the caller must not pass them:
 *   host                  from req->host (send it as the Host header)
 *   x-amz-date            from `now` (sent value: out->amz_date)
 *   x-amz-content-sha256  = req->payload_hash, for service "s3" only
 *   x-amz-security-token  when the credentials carry a session token
 * The caller sends: Host, its extra headers, the added ones, Authorization =
 * out->authorization, to a URL whose path is out->path and whose query is
 * out->query, byte for byte (libcurl passes both through unchanged).
 * Secrets: the derived signing keys live in stack buffers wiped after use;
 * canonical_request and string_to_sign hold no secret but are for tests and
 * debugging only (the signature and token must never be logged). */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_HEX_LEN 64  /* a hex SHA-256 */
#define SIGV4_DATE_LEN 16 /* "20150830T123600Z" */

typedef struct sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "": none */
} sigv4_credentials;

/* How req->path becomes the canonical URI (and the URL path). */
typedef enum sigv4_path_mode {
    SIGV4_PATH_ENCODE_ONCE,  /* raw path; each byte outside A-Za-z0-9-._~/ is
                               %XX-encoded once: S3's rule; URL path = canonical */
    SIGV4_PATH_ENCODE_TWICE, /* raw path; URL path = encoded once, canonical URI =
                               that encoded again: every other service's rule */
    SIGV4_PATH_AS_IS         /* already the canonical URI, sent as given */
} sigv4_path_mode;

typedef struct sigv4_param {
    const char *name;  /* raw (unencoded) */
    const char *value; /* raw; NULL is the empty value ("?lifecycle" -> "lifecycle=") */
} sigv4_param;

typedef struct sigv4_header {
    const char *name; /* any case */
    const char *value;
} sigv4_header;

typedef struct sigv4_request {
    const char *method; /* "GET", "PUT", ... */
    const char *host;   /* "bucket.s3.eu-west-1.amazonaws.com", "127.0.0.1:8000" */
    const char *path;   /* starts with '/'; see path_mode */
    sigv4_path_mode path_mode;
    const sigv4_param *query; /* any order */
    size_t n_query;
    const sigv4_header *headers; /* extra headers to sign (content-type, range, ...) */
    size_t n_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or SIGV4_UNSIGNED_PAYLOAD */
    const char *region;       /* "us-east-1" */
    const char *service;      /* "s3", "secretsmanager", ... */
} sigv4_request;

typedef struct sigv4_signed {
    char amz_date[SIGV4_DATE_LEN + 1]; /* the x-amz-date value */
    dstr authorization;                /* the Authorization value */
    dstr path;                         /* the URL path to request */
    dstr query;                        /* the URL query, without '?' ("" if none) */
    dstr canonical_request;            /* tests and debugging only */
    dstr string_to_sign;               /* tests and debugging only */
} sigv4_signed;

/* Signs req at `now` (unix seconds, UTC). Returns 0 and fills out (start from
 * {0}; earlier contents are replaced), or -1 with err appended to and out
 * emptied: bad input (missing field, a header that the signer adds itself, CR
 * or LF in a value, a clock gmtime cannot express) or an OpenSSL failure. */
int sigv4_sign(const sigv4_request *req, const sigv4_credentials *cred, int64_t now,
               sigv4_signed *out, dstr *err);
/* Wipes (the authorization carries a signature) and frees; out becomes {0}. */
void sigv4_signed_free(sigv4_signed *out);

/* Appends s[0..n) RFC 3986-encoded: A-Z a-z 0-9 - . _ ~ kept, '/' kept when
 * keep_slash, every other byte as %XX (upper-case hex). */
void sigv4_uri_encode(dstr *out, const char *s, size_t n, int keep_slash);
/* hex = lower-case hex SHA-256 of data[0..n). 0, or -1 if OpenSSL fails. */
int sigv4_sha256_hex(const void *data, size_t n, char hex[SIGV4_HEX_LEN + 1]);

#endif
