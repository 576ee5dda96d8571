/* fnhost: one function run locally the way Lambda runs it: a Runtime API
 * server (2018-06-01) on 127.0.0.1 and one warm process of its bootstrap.
 *
 * Contract:
 *  - The process is started lazily for the first invocation (a cold start),
 *    with the caller's environment plus the Lambda variables
 *    (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME/_VERSION/_MEMORY_SIZE,
 *    AWS_REGION, _HANDLER, LAMBDA_TASK_ROOT, ...) and TRADER_LOCAL_GATEWAY=1
 *    (config tells local runs from AWS by it), in its own process group,
 *    stdout/stderr inherited. It stays warm for the next invocations.
 *  - One invocation at a time: others wait in a FIFO queue. Each gets a uuid
 *    request id, a trace id and a deadline (dispatch time + timeout_ms).
 *  - Runtime API semantics as Lambda/RIE: /next blocks until work is
 *    queued; /response (at most 6 MB + 100 bytes, else 413 and the caller
 *    gets Function.ResponseSizeTooLarge) and /error answer 202; an unknown
 *    or already answered id gets 400 InvalidRequestID; a second /next while
 *    an invocation is open gets 403 InvalidStateTransition; /init/error
 *    gets 202, fails the invocation waiting for that start, and the process
 *    is expected to exit (killed after a grace period).
 *  - No answer by the deadline: the process group is killed (SIGKILL), the
 *    invocation ends FN_TIMEOUT. A process that dies ends its invocation
 *    FN_CRASH. Either way the next invocation starts a new process.
 *  - Thread-safe. Completion callbacks run on host threads with the host's
 *    lock held: they must be quick and must not call into the same host. */
#ifndef FNHOST_H
#define FNHOST_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"

#define FN_MAX_REQUEST (6u * 1024u * 1024u)         /* sync invoke payload */
#define FN_MAX_RESPONSE (6u * 1024u * 1024u + 100u) /* RIE's limit */

typedef enum fn_status {
    FN_OK,        /* /response: payload holds the answer */
    FN_ERROR,     /* /error, /init/error or response too large: payload holds the error JSON */
    FN_TIMEOUT,   /* no answer by the deadline; the process was killed */
    FN_CRASH,     /* the process exited before answering */
    FN_NO_BINARY, /* the bootstrap is missing or cannot be started */
    FN_TOO_LARGE, /* the event exceeds the 6 MB request limit */
    FN_ABANDONED, /* the caller stopped waiting (fnhost_invoke wait limit) */
    FN_SHUTDOWN   /* the host was stopped */
} fn_status;

typedef struct fn_result {
    fn_status status;
    dstr payload; /* FN_OK: the response; others: an error JSON */
    char content_type[128];
    char error_type[96]; /* FN_ERROR/TIMEOUT/CRASH: e.g. "Function.TestError" */
    char detail[256];    /* a sentence for logs when not FN_OK */
    char request_id[37];
    int cold_start;      /* this invocation started the process */
    int64_t init_ms;     /* cold start: spawn to first /next */
    int64_t duration_ms; /* dispatch to answer */
    int64_t queued_ms;   /* enqueue to dispatch */
} fn_result;

typedef struct fnhost_config {
    const char *function;  /* name */
    const char *bootstrap; /* path of the executable */
    long timeout_ms;       /* function timeout */
    long init_timeout_ms;  /* start to first /next */
    int memory_mb;
    const char *region;
} fnhost_config;

typedef struct fn_call {
    const char *payload;
    size_t len;
    const char *trace_root; /* X-Ray root to continue, or NULL for a new one */
    int64_t wait_until_ms;  /* fnhost_invoke only: give up waiting then (epoch ms), 0 = never */
} fn_call;

typedef struct fnhost fnhost;

fnhost *fnhost_new(const fnhost_config *cfg, char *err, size_t errlen);
/* Starts the stop and returns at once: fails everything pending with
 * FN_SHUTDOWN (later invocations end FN_SHUTDOWN at once), kills a process
 * that is running an invocation or starting, and answers an idle one's /next
 * with 500 Runtime.ExitRequested, as Lambda retires a sandbox: it exits by
 * itself (killed if it has not within 2 s). Idempotent. */
void fnhost_stop(fnhost *h);
/* fnhost_stop(), then waits until the process is gone. Idempotent. */
void fnhost_shutdown(fnhost *h);
void fnhost_free(fnhost *h);

const char *fnhost_function(const fnhost *h);
const char *fnhost_bootstrap(const fnhost *h);
/* 1 when the bootstrap exists and is executable now. */
int fnhost_binary_present(const fnhost *h);
unsigned short fnhost_api_port(const fnhost *h);

/* Synchronous (RequestResponse) invocation; out is filled, free it with
 * fn_result_free(). FN_ABANDONED when wait_until_ms passed first: a queued
 * invocation is dropped, a running one keeps running to its own end. */
void fnhost_invoke(fnhost *h, const fn_call *call, fn_result *out);

/* Asynchronous (Event) invocation: queued, done(ctx, result) is called once
 * when it ends (see the callback rules above). Returns 0, or -1 when the host
 * is shut down (done is then never called). */
typedef void (*fnhost_done_fn)(void *ctx, const fn_result *res);
int fnhost_invoke_async(fnhost *h, const fn_call *call, fnhost_done_fn done, void *ctx);

void fn_result_free(fn_result *r);
const char *fn_status_name(fn_status s);

#endif
