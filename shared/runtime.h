/* runtime: the AWS Lambda Runtime API loop for a custom runtime
 * (provided.al2023), in the style of aws-lambda-cpp.
 *
 * Contract: rt_run() reads AWS_LAMBDA_RUNTIME_API (host:port), calls
 * handler->init once; if init fails it POSTs /runtime/init/error and returns
 * non-zero (the process should exit). Then it loops: GET .../invocation/next
 * (no read timeout: the sandbox is frozen between invocations) -> invoke ->
 * POST .../{id}/response, or .../{id}/error with a JSON
 * {errorMessage, errorType, stackTrace: []} body and the
 * Lambda-Runtime-Function-Error-Type header. Before each invoke the trace
 * header is exported as _X_AMZN_TRACE_ID (unset when absent).
 *
 * A failing handler never ends the loop. A 400 or 413 answer to a POST is
 * logged and the loop goes on (413: an error is posted in its place). Only a
 * 500 from the Runtime API, or a connection that cannot be (re)established,
 * ends rt_run() with a non-zero return, as Lambda expects. One keep-alive
 * connection is used for the life of the process. Payloads up to 6 MB. */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "dstr.h"

#define RT_MAX_PAYLOAD (6u * 1024u * 1024u)
/* Used when Lambda-Runtime-Deadline-Ms is missing or unparsable: Lambda's
 * default function timeout, so work is never planned past a real deadline. */
#define RT_DEFAULT_TIMEOUT_MS 3000

typedef struct rt_invocation {
    const char *request_id;
    const char *function_arn;     /* "" when absent */
    const char *trace_id;         /* NULL when absent */
    const char *client_context;   /* NULL when absent */
    const char *cognito_identity; /* NULL when absent */
    const char *content_type;     /* NULL when absent */
    int64_t deadline_ms;          /* absolute, unix epoch milliseconds */
    const char *payload;          /* NUL-terminated */
    size_t payload_len;
} rt_invocation;

typedef struct rt_response {
    dstr body;                /* success: the payload; failure: the message */
    const char *content_type; /* NULL means application/json */
    int failed;               /* set by rt_response_fail() */
    char error_type[64];      /* e.g. "Function.BadEvent" */
} rt_response;

/* Marks res as a function error; message is copied into res->body. */
void rt_response_fail(rt_response *res, const char *error_type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef struct rt_handler {
    void *ctx;
    /* Returns 0 on success. On failure it fills err (message) and sets
     * *err_type (e.g. "Runtime.ConfigInvalid"); the runtime reports it to
     * /runtime/init/error. May be NULL. */
    int (*init)(void *ctx, dstr *err, const char **err_type);
    /* Fills res. Must not exit or longjmp; res starts zeroed. */
    void (*invoke)(void *ctx, const rt_invocation *inv, rt_response *res);
} rt_handler;

/* Runs until the Runtime API says stop. Returns the process exit status. */
int rt_run(const rt_handler *handler);

/* Wall clock in unix epoch milliseconds. */
int64_t rt_now_ms(void);

#endif
