/* runtime: the Lambda Runtime API loop (see runtime.h). The wire work is
 * rtconn's; this file decides what each answer means. */
#include "platform/runtime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "platform/log.h"
#include "platform/rtconn.h"
#include "platform/secret.h"
#include "platform/clock.h"

#define API_BASE "/2018-06-01/runtime"
#define MAX_REQUEST_ID 128
#define BACKOFF_FIRST_MS 10
#define BACKOFF_MAX_MS 1000
#define EXIT_FATAL 1
/* the errorType of the 500 on /next that retires a sandbox: a normal end */
#define EXIT_REQUESTED "Runtime.ExitRequested"

static void sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* --------------------------------------------------- answers to POSTs */

static void log_answer(log_level level, const char *event, const char *path, const rtconn_resp *r) {
    char type[96];
    rtconn_error_type(r, type, sizeof type);
    log_rec *l = log_begin(level, event);
    log_str(l, "path", path);
    log_int(l, "status", r->status);
    log_str(l, "error_type", type[0] ? type : NULL);
    log_end(l);
}

typedef enum { POST_OK, POST_REJECTED, POST_TOO_LARGE, POST_FATAL } post_outcome;

static post_outcome post(rtconn *c, const rtconn_req *q) {
    rtconn_resp r = {0};
    post_outcome out = POST_FATAL;
    if (rtconn_call(c, q, &r) != 0) {
        log_msg(LOG_ERROR, "runtime.api_unreachable", "cannot reach the Runtime API at %s",
                c->authority);
    } else if (r.status >= 200 && r.status < 300) {
        out = POST_OK;
    } else if (r.status == 500) {
        log_answer(LOG_ERROR, "runtime.api_exit", q->path, &r);
    } else {
        log_answer(LOG_ERROR, "runtime.post_rejected", q->path, &r);
        out = r.status == 413 ? POST_TOO_LARGE : POST_REJECTED;
    }
    rtconn_resp_free(&r);
    return out;
}

static int valid_token(const char *s, size_t max) {
    size_t n = 0;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && !strchr("-_.:", s[n])) return 0;
    return n > 0 && n <= max;
}

static int header_safe(const char *s) {
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f) return 0;
    return 1;
}

/* POSTs {errorMessage, errorType, stackTrace: []} to path. */
static post_outcome post_error(rtconn *c, const char *path, const char *type, const char *msg,
                               size_t msg_len) {
    dstr body = {0};
    dstr_puts(&body, "{\"errorMessage\":");
    dstr_json_strn(&body, msg, msg_len);
    dstr_puts(&body, ",\"errorType\":");
    dstr_json_str(&body, type);
    dstr_puts(&body, ",\"stackTrace\":[]}");
    rtconn_req q = {"POST", path, "application/json", type, body.ptr, body.len};
    post_outcome out = post(c, &q);
    dstr_free(&body);
    return out;
}

static int report_error(rtconn *c, const char *id, const char *type, const char *msg, size_t len) {
    char path[sizeof API_BASE + MAX_REQUEST_ID + 32];
    snprintf(path, sizeof path, API_BASE "/invocation/%s/error", id);
    if (!valid_token(type, 63)) type = "Function.Unknown";
    log_rec *l = log_begin(LOG_INFO, "runtime.invocation_error");
    log_str(l, "error_type", type);
    log_end(l);
    return post_error(c, path, type, msg, len) == POST_FATAL ? -1 : 0;
}

static int deliver(rtconn *c, const char *id, const rt_response *res) {
    if (res->failed) {
        const char *msg = res->body.len ? res->body.ptr : "function failed";
        return report_error(c, id, res->error_type, msg,
                            res->body.len ? res->body.len : strlen(msg));
    }
    char path[sizeof API_BASE + MAX_REQUEST_ID + 32];
    snprintf(path, sizeof path, API_BASE "/invocation/%s/response", id);
    const char *type = res->content_type && header_safe(res->content_type) ? res->content_type
                                                                           : "application/json";
    rtconn_req q = {"POST", path, type, NULL, dstr_cstr(&res->body), res->body.len};
    post_outcome out = post(c, &q);
    /* an API may hang up on an oversize body instead of answering 413 */
    if (out == POST_TOO_LARGE || (out == POST_FATAL && res->body.len > RT_MAX_PAYLOAD)) {
        dstr msg = {0};
        dstr_printf(&msg, "response of %zu bytes is over the Runtime API limit", res->body.len);
        int rc = report_error(c, id, "Function.ResponseSizeTooLarge", msg.ptr, msg.len);
        dstr_free(&msg);
        return rc;
    }
    return out == POST_FATAL ? -1 : 0;
}

/* ------------------------------------------------------------- the loop */

static int64_t parse_deadline(const char *v) {
    if (!v || !isdigit((unsigned char)v[0])) return -1;
    char *end;
    errno = 0;
    long long ms = strtoll(v, &end, 10);
    return errno || *end || ms <= 0 ? -1 : ms;
}

/* glibc's setenv() keeps every value it was ever given (old pointers may be
 * in use), so a new trace id per invocation would grow the heap for the life
 * of a warm process (measured: ~150 bytes an invocation). putenv() with our
 * own string swaps it in place and lets the previous one go. */
static void export_trace_id(const char *trace) {
    static char *current; /* the "_X_AMZN_TRACE_ID=..." that environ points at */
    char *next = NULL;
    if (trace) {
        dstr s = {0};
        dstr_puts(&s, "_X_AMZN_TRACE_ID=");
        dstr_puts(&s, trace);
        next = dstr_take(&s);
        putenv(next);
    } else {
        unsetenv("_X_AMZN_TRACE_ID");
    }
    free(current);
    current = next;
}

static int serve(rtconn *c, const rt_handler *h, const rtconn_resp *next) {
    const char *id = rtconn_header(next, "lambda-runtime-aws-request-id");
    if (!id || !valid_token(id, MAX_REQUEST_ID)) {
        /* without an id nothing can be answered: Lambda times the event out */
        log_msg(LOG_ERROR, "runtime.bad_event",
                "event without a usable Lambda-Runtime-Aws-Request-Id: skipped");
        return 0;
    }
    const char *trace = rtconn_header(next, "lambda-runtime-trace-id");
    log_invocation_begin(id, trace);
    export_trace_id(trace);
    const char *deadline_hdr = rtconn_header(next, "lambda-runtime-deadline-ms");
    int64_t deadline = parse_deadline(deadline_hdr);
    if (deadline < 0) {
        deadline = clock_wall_ms() + RT_DEFAULT_TIMEOUT_MS;
        log_rec *l = log_begin(LOG_WARN, "runtime.deadline_missing");
        if (deadline_hdr) log_strn(l, "value", deadline_hdr, strnlen(deadline_hdr, 32));
        log_int(l, "assumed_timeout_ms", RT_DEFAULT_TIMEOUT_MS);
        log_end(l);
    }
    int rc;
    if (next->too_large) {
        dstr msg = {0};
        dstr_printf(&msg, "event of %zu bytes is over the %u-byte limit", next->body_size,
                    RT_MAX_PAYLOAD);
        rc = report_error(c, id, "Runtime.PayloadTooLarge", msg.ptr, msg.len);
        dstr_free(&msg);
    } else {
        const char *arn = rtconn_header(next, "lambda-runtime-invoked-function-arn");
        rt_invocation inv = {
            .request_id = id,
            .function_arn = arn ? arn : "",
            .trace_id = trace,
            .client_context = rtconn_header(next, "lambda-runtime-client-context"),
            .cognito_identity = rtconn_header(next, "lambda-runtime-cognito-identity"),
            .content_type = rtconn_header(next, "content-type"),
            .tenant_id = rtconn_header(next, "lambda-runtime-aws-tenant-id"),
            .deadline_ms = deadline,
            .payload = dstr_cstr(&next->body),
            .payload_len = next->body.len,
        };
        rt_response res;
        memset(&res, 0, sizeof res);
        h->invoke(h->ctx, &inv, &res);
        secret_scrub(&res.body); /* every answer and error message leaves here */
        rc = deliver(c, id, &res);
        dstr_free(&res.body);
    }
    log_invocation_answered();
    log_invocation_end();
    return rc;
}

static int run_init(rtconn *c, const rt_handler *h) {
    dstr err = {0};
    const char *type = NULL;
    if (h->init(h->ctx, &err, &type) == 0) {
        dstr_free(&err);
        return 0;
    }
    if (!type || !valid_token(type, 63)) type = "Runtime.Unknown";
    if (err.len == 0) dstr_puts(&err, "initialisation failed");
    secret_scrub(&err);
    log_rec *l = log_begin(LOG_ERROR, "runtime.init_failed");
    log_str(l, "error_type", type);
    log_str(l, "message", err.ptr);
    log_end(l);
    post_error(c, API_BASE "/init/error", type, err.ptr, err.len);
    dstr_free(&err);
    return -1;
}

/* A process started with stdin, stdout or stderr closed would hand those
 * numbers to the next open(): the Runtime API socket would then receive the
 * log lines. /dev/null takes the empty slots first. */
static void fill_std_fds(void) {
    for (int fd = 0; fd <= 2; fd++) /* open() takes the lowest free number: fd itself */
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF && open("/dev/null", O_RDWR) < 0) return;
}

/* ------------------------------------------------------ stop signals */

/* SIGINT or SIGTERM asks the process to stop (Ctrl-C on a bootstrap run by
 * hand, a service manager stopping everything, Lambda's shutdown when an
 * extension is registered): the handler notes it and writes to a pipe that
 * the idle wait on GET /next also watches (rtconn's wake_fd), so the loop ends
 * at once when idle and right after the answer when an invocation runs. A
 * second one ends the process by the signal's default action, for a handler
 * that is stuck. SA_RESTART: an invocation's system calls go on as before
 * (poll and sleeps see EINTR, which libcurl and ours retry). */
static volatile sig_atomic_t stop_signal;
static int stop_pipe[2] = {-1, -1}; /* for the life of the process, as the handler */

static void on_stop_signal(int sig) {
    if (stop_signal) {
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, NULL);
        raise(sig); /* pending until this handler returns, then fatal */
        return;
    }
    stop_signal = sig;
    int saved = errno;
    ssize_t w = write(stop_pipe[1], "", 1);
    (void)w; /* nonblocking: a full pipe is awake already */
    errno = saved;
}

/* Catches SIGINT and SIGTERM unless they came ignored: a shell starts its
 * background commands with SIGINT ignored, and that choice is the parent's. */
static void catch_stop_signals(rtconn *c) {
    if (pipe(stop_pipe) != 0) return; /* the signals keep their default action */
    for (int i = 0; i < 2; i++) {
        fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(stop_pipe[i], F_SETFL, O_NONBLOCK);
    }
    struct sigaction sa = {.sa_handler = on_stop_signal, .sa_flags = SA_RESTART}, old;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT); /* one handler at a time: the second sees the first */
    sigaddset(&sa.sa_mask, SIGTERM);
    const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    c->wake_fd = stop_pipe[0];
}

/* The loop ends on a stop signal: a normal end, logged at info. */
static int stopped_by_signal(void) {
    log_rec *l = log_begin(LOG_INFO, "runtime.stop_signal");
    log_str(l, "signal", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    log_end(l);
    return 0;
}

/* 500 on /next: the sandbox is being retired (Runtime.ExitRequested, exit 0)
 * or the API failed (any other error type, exit EXIT_FATAL). */
static int next_500(const rtconn_req *q, const rtconn_resp *r) {
    char type[96];
    rtconn_error_type(r, type, sizeof type);
    int requested = strcmp(type, EXIT_REQUESTED) == 0;
    log_answer(requested ? LOG_INFO : LOG_ERROR,
               requested ? "runtime.exit_requested" : "runtime.api_exit", q->path, r);
    return requested ? 0 : EXIT_FATAL;
}

int rt_run(const rt_handler *h) {
    static rtconn c; /* one per process; its 16 KB buffer stays off the stack */
    /* A reader that went away (the gateway piped into `head`, a closed socket)
     * must cost a log line or a reconnect, never the process. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, NULL);
    fill_std_fds();
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || rtconn_init(&c, api) != 0 || !h || !h->invoke) {
        log_msg(LOG_ERROR, "runtime.bad_setup",
                "AWS_LAMBDA_RUNTIME_API must be host:port, and a handler given");
        return EXIT_FATAL;
    }
    catch_stop_signals(&c);
    if (h->init && run_init(&c, h) != 0) {
        rtconn_close(&c);
        return EXIT_FATAL;
    }
    rtconn_req next = {.method = "GET", .path = API_BASE "/invocation/next"};
    rtconn_resp r = {0};
    long backoff_ms = 0;
    int rc = -1; /* -1 while running; then the exit status */
    while (rc < 0) {
        int got = stop_signal ? RTCONN_INTERRUPTED : rtconn_call(&c, &next, &r);
        if (got == RTCONN_INTERRUPTED) {
            rc = stopped_by_signal();
        } else if (got != 0) {
            log_msg(LOG_ERROR, "runtime.api_unreachable", "cannot reach the Runtime API at %s",
                    c.authority);
            rc = EXIT_FATAL;
        } else if (r.status == 200) {
            backoff_ms = 0;
            if (serve(&c, h, &r) != 0) rc = EXIT_FATAL;
        } else if (r.status == 500) {
            rc = next_500(&next, &r);
        } else { /* e.g. 403: asking again at once would spin */
            backoff_ms = backoff_ms ? backoff_ms * 2 : BACKOFF_FIRST_MS;
            if (backoff_ms > BACKOFF_MAX_MS) backoff_ms = BACKOFF_MAX_MS;
            log_answer(LOG_WARN, "runtime.next_rejected", next.path, &r);
            sleep_ms(backoff_ms);
        }
        rtconn_resp_free(&r); /* a warm process lives for hours: keep no 6 MB buffer around */
    }
    rtconn_close(&c);
    return rc;
}

void rt_response_fail(rt_response *res, const char *error_type, const char *fmt, ...) {
    res->failed = 1;
    snprintf(res->error_type, sizeof res->error_type, "%s",
             error_type ? error_type : "Function.Unknown");
    dstr_clear(&res->body);
    va_list ap;
    va_start(ap, fmt);
    dstr_vprintf(&res->body, fmt, ap);
    va_end(ap);
}
