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
 * header is exported as _X_AMZN_TRACE_ID (unset when absent; a getenv()
 * pointer to it is good for that invocation only).
 *
 * A failing handler never ends the loop. A 400 or 413 answer to a POST is
 * logged and the loop goes on (413: an error is posted in its place). Only a
 * 500 from the Runtime API, or a connection that cannot be (re)established,
 * ends rt_run(), as Lambda expects. A 500 on /next whose errorType is
 * Runtime.ExitRequested (the sandbox is being retired) is a normal end:
 * logged at info (runtime.exit_requested), rt_run() returns 0; any other 500
 * is logged as an error (runtime.api_exit) and, like an unreachable API,
 * returns non-zero. One keep-alive connection is used for the life of the
 * process. Payloads up to 6 MB.
 *
 * SIGINT and SIGTERM (unless they came ignored) ask the process to stop, as
 * Ctrl-C or a service manager does: idle on /next, rt_run() returns 0 at once;
 * during an invocation, once its answer is posted. Either way it logs
 * runtime.stop_signal at info. A second such signal ends the process by that
 * signal, for a handler that does not return. The handler is installed with
 * SA_RESTART; poll() and sleeps in the function's code may still see EINTR.
 *
 * rt_run() first ignores SIGPIPE for the whole process and puts /dev/null on
 * any of fds 0-2 that is closed: a reader that went away (a closed Runtime
 * API socket, stdout piped into `head`) costs a reconnect or a log line,
 * never the process, and a closed stdout's number is never reused by the API
 * socket (log lines would go to the API).
 *
 * Details worth knowing:
 *   - The API is spoken by a small HTTP/1.1 client of this module (plain
 *     loopback HTTP: no libcurl, so cold start stays small). Connect timeout
 *     1 s, POSTs answered within 10 s; a dropped connection is reopened once
 *     per request, and if that fails too rt_run() returns.
 *   - An event larger than RT_MAX_PAYLOAD is not handed to the handler: an
 *     error Runtime.PayloadTooLarge is posted for it. An event without a
 *     usable request id cannot be answered at all: it is logged
 *     (runtime.bad_event) and skipped.
 *   - A non-200 answer to /next other than 500 (e.g. 403) is logged and /next
 *     is asked again after a backoff of 10 ms doubling up to 1 s.
 *   - An answer the wire client cannot frame (see rtconn.h: a body or
 *     Content-Length past RTCONN_MAX_BODY, conflicting Content-Lengths) is
 *     treated as a dropped connection: reopened once, the request sent again.
 *   - Every response body, error message and init error is passed through
 *     secret_scrub() (platform/secret.h) just before it is posted: the
 *     Runtime API is the sink of every HTTP answer and event result.
 *   - Nothing of the payload is ever logged. Call log_init() before rt_run():
 *     the runtime logs through log.h, wraps every invocation in
 *     log_invocation_begin()/log_invocation_end() and calls
 *     log_invocation_answered() once its answer is posted (cold_start ends). */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"

#define RT_MAX_PAYLOAD (6u * 1024u * 1024u)
/* Used when Lambda-Runtime-Deadline-Ms is missing or unparsable: Lambda's
 * default function timeout, so work is never planned past a real deadline. */
#define RT_DEFAULT_TIMEOUT_MS 3000

/* Everything points into runtime-owned memory valid until invoke returns. */
typedef struct rt_invocation {
    const char *request_id;
    const char *function_arn;     /* "" when absent */
    const char *trace_id;         /* NULL when absent */
    const char *client_context;   /* NULL when absent */
    const char *cognito_identity; /* NULL when absent */
    const char *content_type;     /* NULL when absent */
    const char *tenant_id;        /* NULL when absent (Lambda-Runtime-Aws-Tenant-Id) */
    int64_t deadline_ms;          /* absolute, unix epoch milliseconds */
    const char *payload;          /* NUL-terminated */
    size_t payload_len;
} rt_invocation;

typedef struct rt_response {
    dstr body; /* success: the payload; failure: the message. Freed by the runtime. */
    /* NULL means application/json. Must outlive invoke(): a literal, memory of
     * ctx, or a field of the rt_invocation. */
    const char *content_type;
    int failed;          /* set by rt_response_fail() */
    char error_type[64]; /* e.g. "Function.BadEvent"; [A-Za-z0-9._-] */
} rt_response;

/* Marks res as a function error; message is copied into res->body (any
 * earlier body is dropped). */
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

/* Runs until the Runtime API says stop. Returns the process exit status: 0
 * when the API asked the process to exit (Runtime.ExitRequested), non-zero on
 * a fatal condition. */
int rt_run(const rt_handler *handler);

#endif
