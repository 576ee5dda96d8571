/* apigw: API Gateway HTTP API payload format 2.0, function side, and the
 * other event shapes a function can receive.
 *
 * Contract: apigw_parse() classifies a Lambda event as an HTTP request
 * (version "2.0" with requestContext.http), an EventBridge "Scheduled Event"
 * envelope, or a plain JSON object (EventBridge Scheduler delivers the
 * schedule's own input as is). For HTTP it exposes method, path with any
 * stage prefix removed, the raw and parsed query, headers (lowercased by API
 * Gateway) and the body, base64-decoded when isBase64Encoded, and finds a
 * query parameter with a control character in it (apigw_query_control: on
 * the decoded raw query, since the parsed strings end at a NUL). Bad events get
 * -1 and a message; nothing here allocates after parse except the response
 * builder. apigw_response_format() renders {statusCode, headers, body}. */
#ifndef APIGW_H
#define APIGW_H

#include <stddef.h>

#include <cJSON.h>

#include "platform/dstr.h"

typedef enum apigw_kind {
    APIGW_HTTP,      /* API Gateway HTTP API, payload 2.0 */
    APIGW_SCHEDULED, /* EventBridge rule "Scheduled Event" envelope */
    APIGW_OBJECT     /* any other JSON object, e.g. EventBridge Scheduler input */
} apigw_kind;

typedef struct apigw_event {
    apigw_kind kind;
    cJSON *root; /* owned: the whole event */
    /* APIGW_HTTP */
    const char *method;    /* "GET", ... */
    const char *path;      /* rawPath without the stage prefix */
    const char *raw_query; /* "" when none */
    const cJSON *query;    /* queryStringParameters object, or NULL */
    const cJSON *headers;  /* object, or NULL */
    char *body;            /* owned, decoded, NUL-terminated; NULL when none */
    size_t body_len;
    /* APIGW_SCHEDULED and APIGW_OBJECT: the input object (the envelope's
     * "detail" is not it: the whole envelope is the input) */
    const cJSON *input;
} apigw_event;

int apigw_parse(const char *payload, size_t len, apigw_event *ev, dstr *err);
void apigw_event_free(apigw_event *ev);

/* Value of a query parameter, NULL when absent (duplicates arrive comma-joined). */
const char *apigw_query(const apigw_event *ev, const char *name);
/* The first query parameter whose name or value holds a control character
 * (a byte < 0x20 or 0x7f, raw or %XX-encoded), checked on the percent-decoded
 * bytes of rawQueryString (a %00 there would otherwise vanish: the parsed
 * strings end at it) and on queryStringParameters. Returns its name as
 * received (raw: still percent-encoded), *name_len bytes long, not
 * NUL-terminated; NULL when the query is clean. */
const char *apigw_query_control(const apigw_event *ev, size_t *name_len);
/* Value of a header (name in lowercase), NULL when absent. */
const char *apigw_header(const apigw_event *ev, const char *name);

typedef struct apigw_response {
    int status;
    const char *content_type; /* NULL means application/json */
    dstr body;
    dstr extra_headers; /* rendered `,"name":"value"` pairs, see apigw_add_header */
} apigw_response;

void apigw_add_header(apigw_response *res, const char *name, const char *value);
/* Renders the payload 2.0 response object into out. */
void apigw_response_format(const apigw_response *res, dstr *out);
void apigw_response_free(apigw_response *res);

#endif
