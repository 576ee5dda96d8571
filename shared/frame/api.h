/* api: the frame every function binary runs in.
 *
 * A function declares its name, its routes (methods + path -> handler) and,
 * optionally, a handler for scheduled events; api_main() does the rest: it
 * loads and validates the config at init (a bad config is reported to the
 * Runtime API as Runtime.ConfigInvalid), answers GET /health, routes HTTP
 * events (unknown path 404, wrong method 405 with an Allow header), renders
 * every error as {"error": code, "message": text}, and turns a handler's
 * response into the API Gateway payload 2.0 shape.
 *
 * Before any route (health and 404 included), a query parameter whose name or
 * value holds a control character (< 0x20 or 0x7f, e.g. %00) is refused with
 * 400 invalid_parameter (apigw_query_control); a route then refuses query
 * parameters it does not list (400 unknown_parameter). Repeated parameters
 * reach handlers comma-joined, as API Gateway joins them.
 *
 * Handlers get an api_ctx: the config, the invocation, a deadline that keeps
 * API_RESERVE_MS back before Lambda's (to answer and journal), and, through
 * api_env(), the pipelines' environment (pipelines/env.h: exchange,
 * predictors, journal store, bounded by that deadline), built from
 * process-wide resources opened on first use, so that requests which need no
 * upstream (health, validation errors) never initialise TLS.
 *
 * Every invocation's log lines are kept as one object in the journal store
 * (the pipelines' invocation log; the store is opened once per process),
 * written once the answer is ready, in the time kept back before the
 * deadline, by a write that cannot outlive Lambda's deadline. Records that
 * could not be written by their deadline are printed whole as
 * journal.unwritten; the invocation log's and those a handler reports with
 * api_note_unwritten() are counted, and the invocation says so without
 * losing or changing its answer: an HTTP response keeps its status and body
 * and gains the header "x-journal-unwritten: N"; an event keeps its result
 * (or its own error) and the frame logs an ERROR
 * "journal.unwritten_summary" {unwritten, records, log}. It is never made a
 * function error: Lambda would retry a scheduled run, and a retried trader
 * run could trade twice. A function sets no_invocation_log to keep its
 * invocations out of the store. */
#ifndef API_H
#define API_H

#include <stdint.h>

#include "frame/apigw.h"
#include "pipelines/env.h"
#include "platform/config.h"
#include "platform/runtime.h"

#define API_RESERVE_MS 500

typedef struct api_ctx {
    const cfg *cfg;
    const rt_invocation *inv;
    int64_t deadline_ms; /* Lambda's deadline minus API_RESERVE_MS */
    /* Called once the answer is ready (HTTP: before it is rendered); returns
     * how many of the invocation's records could not be written. api_main
     * sets it to write the invocation log; NULL: nothing to do. */
    int (*finish)(struct api_ctx *ctx);
    /* Drops the invocation log (a health probe keeps none); NULL: no log. */
    void (*discard)(struct api_ctx *ctx);
    int unwritten; /* records a handler could not journal: api_note_unwritten() */
    /* A handler sets it when Binance refused the keys (-2014/-2015): with
     * SECRET_ID the frame reads the secret again once the answer is ready,
     * before Lambda's deadline (once per process: a rotated key then needs
     * no cold start). */
    int keys_rejected;
    struct api_state *state; /* private */
} api_ctx;

/* Counts n records of this invocation that could not be journaled (already
 * printed as journal.unwritten), for x-journal-unwritten and the summary. */
void api_note_unwritten(api_ctx *ctx, size_t n);

typedef void (*api_http_fn)(api_ctx *ctx, const apigw_event *ev, apigw_response *res);
/* Scheduled or direct invocation: input is the event object; the handler
 * fills out with a JSON result, or calls rt_response_fail() on res. */
typedef void (*api_event_fn)(api_ctx *ctx, const cJSON *input, rt_response *res);

typedef struct api_route {
    const char *methods; /* "GET" or "GET,POST" */
    const char *path;
    api_http_fn fn;
    const char *const *params; /* allowed query parameters, NULL-terminated */
} api_route;

typedef struct api_function {
    const char *name;
    const api_route *routes;
    size_t n_routes;
    api_event_fn on_event; /* NULL: non-HTTP events are an error */
    int no_invocation_log; /* 1: this function's invocations are not kept under logs/ */
    /* Checked at init once the configuration is valid (NULL: none): -1 with
     * one line in err refuses the start as an invalid configuration
     * (Runtime.ConfigInvalid, config.invalid, the config alert), e.g. the
     * trader's probe gate (pipelines/probe.h). */
    int (*init_check)(const cfg *c, pl_resources *r, dstr *err);
} api_function;

/* Runs the function until the Runtime API ends it; returns the exit status. */
int api_main(const api_function *fn);

/* The pipelines' environment for this invocation (deadline: ctx->deadline_ms),
 * made on first call; the process-wide clients behind it are kept. */
const pl_env *api_env(api_ctx *ctx);

/* Sets res to an error: status, machine code, human message. */
void api_error(apigw_response *res, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The one mapping from an exchange failure (e, and msg for people) to the
 * answer every endpoint gives for it:
 *   invalid symbol                            400 invalid_symbol
 *   other refusal with an exchange code       502 upstream_rejected
 *   429 after the retries                     503 upstream_rate_limited
 *   418 / ban still running                   503 upstream_banned
 *   5xx or no connection after the retries    502 upstream_unavailable
 *   not JSON / truncated / wrong shape        502 upstream_bad_response
 *   no answer within the timeout              504 upstream_timeout
 * with the exchange's own code as "binance_code" when it sent one. */
void api_upstream_error(apigw_response *res, const ex_error *e, const char *msg);

/* Query helpers: on a bad value they fill res with a 400 and return -1. */
int api_query_symbol(const apigw_event *ev, apigw_response *res, const char **out);
int api_query_long(const apigw_event *ev, apigw_response *res, const char *name, long def, long min,
                   long max, long *out);

/* Exposed for tests: runs one event through fn without the Runtime API
 * (ctx->finish, when set, is called as api_main would). */
void api_dispatch(const api_function *fn, api_ctx *ctx, const char *payload, size_t len,
                  rt_response *out);

#endif
