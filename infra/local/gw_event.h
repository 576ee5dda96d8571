/* gw_event: API Gateway HTTP API (payload format 2.0) on both sides of a
 * Lambda proxy integration, as pure functions.
 *
 * gw_event_build() turns one received HTTP request into the event JSON API
 * Gateway would send: header names lowercased and duplicates comma-joined,
 * the Cookie header moved to "cookies", query parameters URL-decoded ('+'
 * is a space) with duplicates comma-joined ("queryStringParameters" left out
 * when there is no query), rawPath/rawQueryString exactly as received, the
 * body as text when it is valid UTF-8, else base64 with isBase64Encoded.
 * The x-forwarded-* and x-amzn-trace-id headers API Gateway adds are added.
 *
 * gw_response_map() turns the function's response payload into the HTTP
 * answer: an object with "statusCode" is the structured format (headers,
 * cookies -> set-cookie, body, isBase64Encoded); other valid JSON is
 * answered 200 application/json with the JSON re-serialised (a bare JSON
 * string becomes the body as is); anything else is malformed, which API
 * Gateway answers with 500 Internal Server Error. */
#ifndef GW_EVENT_H
#define GW_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"

typedef struct gw_header {
    const char *name;
    const char *value;
} gw_header;

typedef struct gw_request {
    const char *method;
    const char *raw_uri;  /* path[?query] as received on the request line */
    const char *protocol; /* "HTTP/1.1" */
    const char *source_ip;
    int server_port;          /* for x-forwarded-port */
    const gw_header *headers; /* as received, in order */
    size_t n_headers;
    const char *body;
    size_t body_len;
    const char *request_id; /* API Gateway request id */
    const char *trace_root; /* X-Ray root for x-amzn-trace-id, or NULL */
    int64_t time_epoch_ms;
} gw_request;

void gw_event_build(const gw_request *req, dstr *out);

/* Splits a raw URI into its path and query (without '?'); both are views
 * into raw_uri. */
void gw_split_uri(const char *raw_uri, const char **path, size_t *path_len, const char **query,
                  size_t *query_len);

typedef struct gw_kv {
    char *name;
    char *value;
} gw_kv;

typedef struct gw_response {
    int status;
    gw_kv *headers; /* in the order the function gave them */
    size_t n_headers;
    char **cookies; /* each one becomes a set-cookie header */
    size_t n_cookies;
    dstr body;
    char why[160]; /* reason when malformed */
} gw_response;

/* Returns 0 on success; -1 if the payload is malformed (why says how; the
 * caller answers 500). out is always safe to pass to gw_response_free(). */
int gw_response_map(const char *payload, size_t len, gw_response *out);
void gw_response_free(gw_response *r);

#endif
