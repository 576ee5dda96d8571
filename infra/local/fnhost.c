/* fnhost: Runtime API server + one warm bootstrap process per function. */
#include "fnhost.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gw_ids.h"
#include "gw_log.h"

extern char **environ;

#define RT_PREFIX "/2018-06-01/runtime/"
#define FN_INIT_ERROR_GRACE_MS 2000
#define FN_POLL_FALLBACK_MS 100 /* child-exit polling when pidfd_open is unavailable */
#define FN_EXIT_GRACE_MS 2000   /* at shutdown, for an idle runtime to exit by itself */

typedef enum inv_state { INV_QUEUED, INV_INFLIGHT, INV_DONE } inv_state;

typedef struct fn_inv {
    struct fn_inv *next;
    char id[37];
    char trace[80];
    dstr payload;
    int64_t enqueued_ms, dispatched_ms, deadline_ms;
    inv_state state;
    int refs; /* the host's (until done) + a synchronous caller's */
    fnhost_done_fn done;
    void *done_ctx;
    fn_result res;
} fn_inv;

typedef enum child_phase {
    CHILD_NONE,     /* no process */
    CHILD_STARTING, /* spawned, has not called /next yet */
    CHILD_IDLE,     /* initialised, between invocations */
    CHILD_BUSY,     /* an invocation is open */
    CHILD_DYING     /* killed or told to exit; waiting for it to go */
} child_phase;

struct fnhost {
    char *function, *bootstrap, *region, *arn;
    long timeout_ms, init_timeout_ms;
    int memory_mb;
    char **envp;
    struct MHD_Daemon *api;
    unsigned short port;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast on every state change */
    fn_inv *q_head, *q_tail;
    fn_inv *inflight;
    pid_t pid;
    int pidfd;
    child_phase phase;
    uint64_t gen;           /* process generation: stale /next waiters notice a new one */
    int64_t phase_deadline; /* STARTING: init deadline; DYING: kill-by time */
    int64_t spawned_ms;
    int64_t init_ms;
    int cold_pending; /* the next dispatch is the process's first */
    int killed;
    int wake_fd;
    pthread_t supervisor;
    int supervisor_running;
    int shutdown;
};

const char *fn_status_name(fn_status s) {
    static const char *const names[] = {"ok",        "error",     "timeout",   "crash",
                                        "no_binary", "too_large", "abandoned", "shutdown"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

void fn_result_free(fn_result *r) {
    dstr_free(&r->payload);
    *r = (fn_result){0};
}

const char *fnhost_function(const fnhost *h) { return h->function; }
const char *fnhost_bootstrap(const fnhost *h) { return h->bootstrap; }
unsigned short fnhost_api_port(const fnhost *h) { return h->port; }
int fnhost_binary_present(const fnhost *h) { return access(h->bootstrap, X_OK) == 0; }

static char *fh_strdup(const char *s) {
    char *d = strdup(s ? s : "");
    if (!d) abort();
    return d;
}

static void fh_wake(fnhost *h) {
    uint64_t one = 1;
    ssize_t w = write(h->wake_fd, &one, sizeof one);
    (void)w; /* a full counter still wakes the supervisor */
}

/* ---- invocations ----------------------------------------------------------- */

static void inv_unref_locked(fn_inv *inv) {
    if (--inv->refs > 0) return;
    dstr_free(&inv->payload);
    fn_result_free(&inv->res);
    free(inv);
}

/* Sets the error payload Lambda reports for failures outside the function's
 * own /error (timeouts, crashes), so callers see the familiar shape. */
static void inv_set_error_payload(fn_inv *inv, const char *type, const char *message) {
    dstr *p = &inv->res.payload;
    dstr_clear(p);
    dstr_puts(p, "{\"errorMessage\":");
    dstr m = {0};
    dstr_printf(&m, "RequestId: %s Error: %s", inv->id, message);
    dstr_json_str(p, dstr_cstr(&m));
    dstr_free(&m);
    dstr_puts(p, ",\"errorType\":");
    dstr_json_str(p, type);
    dstr_putc(p, '}');
    snprintf(inv->res.error_type, sizeof inv->res.error_type, "%s", type);
}

/* Ends inv with status: runs its callback, wakes waiters, drops the host's
 * reference. inv must already be out of the queue / inflight slot. */
static void inv_finish_locked(fnhost *h, fn_inv *inv, fn_status status, const char *detail) {
    inv->state = INV_DONE;
    fn_result *r = &inv->res;
    r->status = status;
    snprintf(r->request_id, sizeof r->request_id, "%s", inv->id);
    if (detail) snprintf(r->detail, sizeof r->detail, "%s", detail);
    int64_t now = gw_now_ms();
    if (inv->dispatched_ms) {
        r->duration_ms = now - inv->dispatched_ms;
        r->queued_ms = inv->dispatched_ms - inv->enqueued_ms;
    } else {
        r->queued_ms = now - inv->enqueued_ms;
    }
    if (inv->done) inv->done(inv->done_ctx, r);
    pthread_cond_broadcast(&h->cv);
    inv_unref_locked(inv);
}

static fn_inv *queue_pop_locked(fnhost *h) {
    fn_inv *inv = h->q_head;
    if (inv) {
        h->q_head = inv->next;
        if (!h->q_head) h->q_tail = NULL;
        inv->next = NULL;
    }
    return inv;
}

static int queue_remove_locked(fnhost *h, fn_inv *inv) {
    fn_inv **pp = &h->q_head, *prev = NULL;
    for (; *pp; prev = *pp, pp = &(*pp)->next)
        if (*pp == inv) {
            *pp = inv->next;
            if (h->q_tail == inv) h->q_tail = prev;
            inv->next = NULL;
            return 1;
        }
    return 0;
}

static fn_inv *inv_new(const fn_call *call, int refs) {
    fn_inv *inv = calloc(1, sizeof *inv);
    if (!inv) abort();
    gw_uuid4(inv->id);
    int64_t now = gw_now_ms();
    char root[36];
    if (call->trace_root && strlen(call->trace_root) < sizeof root) {
        snprintf(root, sizeof root, "%s", call->trace_root);
    } else {
        gw_trace_root(root, now);
    }
    gw_trace_header(inv->trace, root);
    dstr_append(&inv->payload, call->payload ? call->payload : "", call->payload ? call->len : 0);
    inv->enqueued_ms = now;
    inv->refs = refs;
    inv->state = INV_QUEUED;
    return inv;
}

static void queue_push_locked(fnhost *h, fn_inv *inv) {
    if (h->q_tail) h->q_tail->next = inv;
    else h->q_head = inv;
    h->q_tail = inv;
    pthread_cond_broadcast(&h->cv);
    fh_wake(h);
}

/* ---- the child process --------------------------------------------------- */

static void fh_log_exit(const fnhost *h, pid_t pid, int status, const char *phase) {
    log_rec *r =
        gw_log_begin(WIFSIGNALED(status) && !h->killed ? LOG_WARN : LOG_INFO, "function.exit");
    log_str(r, "function", h->function);
    log_int(r, "pid", pid);
    if (WIFEXITED(status)) log_int(r, "exit_code", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) log_str(r, "signal", strsignal(WTERMSIG(status)));
    log_str(r, "phase", phase);
    log_bool(r, "killed_by_host", h->killed);
    gw_log_end(r);
}

static const char *fh_phase_name(child_phase p) {
    static const char *const names[] = {"none", "init", "idle", "invoke", "dying"};
    return names[p];
}

static void fh_child_gone_locked(fnhost *h, int status) {
    char why[128];
    if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "Runtime exited with error: signal: %s",
                 strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof why, "Runtime exited with error: exit status %d", WEXITSTATUS(status));
    fh_log_exit(h, h->pid, status, fh_phase_name(h->phase));
    if (h->phase == CHILD_BUSY && h->inflight) {
        fn_inv *inv = h->inflight;
        h->inflight = NULL;
        inv_set_error_payload(inv, "Runtime.ExitError", why);
        inv_finish_locked(h, inv, FN_CRASH, why);
    } else if (h->phase == CHILD_STARTING && h->q_head) {
        fn_inv *inv = queue_pop_locked(h);
        inv_set_error_payload(inv, "Runtime.ExitError", why);
        inv_finish_locked(h, inv, FN_CRASH, why);
    }
    if (h->pidfd >= 0) close(h->pidfd);
    h->pidfd = -1;
    h->pid = 0;
    h->phase = CHILD_NONE;
    h->killed = 0;
    h->gen++;
    pthread_cond_broadcast(&h->cv);
}

static void fh_kill_locked(fnhost *h) {
    if (h->pid > 0 && !h->killed) {
        kill(-h->pid, SIGKILL); /* the whole process group: helpers die too */
        kill(h->pid, SIGKILL);
        h->killed = 1;
    }
}

static void fh_spawn_locked(fnhost *h) {
    fn_inv *head = h->q_head;
    char why[320];
    if (!fnhost_binary_present(h)) {
        snprintf(why, sizeof why, "bootstrap not found or not executable: %s", h->bootstrap);
        log_rec *r = gw_log_begin(LOG_WARN, "function.missing");
        log_str(r, "function", h->function);
        log_str(r, "bootstrap", h->bootstrap);
        gw_log_end(r);
        queue_pop_locked(h);
        inv_finish_locked(h, head, FN_NO_BINARY, why);
        return;
    }
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&defaults, sigs[i]);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    char *argv[] = {h->bootstrap, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, h->bootstrap, NULL, &attr, argv, h->envp);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        snprintf(why, sizeof why, "cannot start %s: %s", h->bootstrap, strerror(rc));
        gw_log_msg(LOG_ERROR, "function.spawn_failed", "%s", why);
        queue_pop_locked(h);
        inv_finish_locked(h, head, FN_NO_BINARY, why);
        return;
    }
    h->pid = pid;
    h->pidfd = pidfd_open(pid, 0);
    h->phase = CHILD_STARTING;
    h->gen++;
    h->spawned_ms = gw_now_ms();
    h->phase_deadline = h->spawned_ms + h->init_timeout_ms;
    h->cold_pending = 1;
    h->killed = 0;
    log_rec *r = gw_log_begin(LOG_INFO, "function.start");
    log_str(r, "function", h->function);
    log_int(r, "pid", pid);
    log_int(r, "runtime_api_port", h->port);
    gw_log_end(r);
}

/* Deadlines of the current phase; returns the next one to wake up for. */
static int64_t fh_enforce_deadlines_locked(fnhost *h, int64_t now) {
    if (h->phase == CHILD_BUSY && h->inflight) {
        if (now < h->inflight->deadline_ms) return h->inflight->deadline_ms;
        fn_inv *inv = h->inflight;
        h->inflight = NULL;
        char why[96];
        snprintf(why, sizeof why, "Task timed out after %.2f seconds",
                 (double)h->timeout_ms / 1000);
        log_rec *r = gw_log_begin(LOG_WARN, "function.timeout");
        log_str(r, "function", h->function);
        log_str(r, "lambda_request_id", inv->id);
        log_int(r, "timeout_ms", h->timeout_ms);
        log_int(r, "pid", h->pid);
        gw_log_end(r);
        fh_kill_locked(h);
        h->phase = CHILD_DYING;
        inv_set_error_payload(inv, "Sandbox.Timedout", why);
        inv_finish_locked(h, inv, FN_TIMEOUT, why);
        return INT64_MAX;
    }
    if (h->phase == CHILD_STARTING) {
        if (now < h->phase_deadline) return h->phase_deadline;
        gw_log_msg(LOG_WARN, "function.init_timeout", "%s: no /next within %ld ms; killed",
                   h->function, h->init_timeout_ms);
        fh_kill_locked(h);
        h->phase = CHILD_DYING;
        if (h->q_head) {
            fn_inv *inv = queue_pop_locked(h);
            inv_set_error_payload(inv, "Runtime.InitTimeout", "Init phase timed out");
            inv_finish_locked(h, inv, FN_TIMEOUT, "init phase timed out");
        }
        return INT64_MAX;
    }
    if (h->phase == CHILD_DYING && !h->killed) {
        if (now < h->phase_deadline) return h->phase_deadline;
        fh_kill_locked(h);
    }
    return INT64_MAX;
}

static void fh_reap_locked(fnhost *h) {
    if (h->pid <= 0) return;
    int status;
    pid_t r = waitpid(h->pid, &status, WNOHANG);
    if (r == h->pid) fh_child_gone_locked(h, status);
    else if (r < 0 && errno == ECHILD)
        fh_child_gone_locked(h, 0); /* reaped elsewhere (SIGCHLD ignored) */
}

static void *fh_supervisor(void *arg) {
    fnhost *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->shutdown) {
        if (h->phase == CHILD_NONE && h->q_head) {
            fh_spawn_locked(h);
            continue; /* a failed spawn ended the head: look at the next one */
        }
        int64_t now = gw_now_ms();
        int64_t until = fh_enforce_deadlines_locked(h, now);
        int timeout = -1;
        if (until != INT64_MAX) timeout = until - now > INT_MAX ? INT_MAX : (int)(until - now + 1);
        if (h->pid > 0 && h->pidfd < 0 && (timeout < 0 || timeout > FN_POLL_FALLBACK_MS))
            timeout = FN_POLL_FALLBACK_MS;
        struct pollfd fds[2] = {{h->wake_fd, POLLIN, 0}, {h->pidfd, POLLIN, 0}};
        nfds_t nfds = h->pidfd >= 0 ? 2 : 1;
        pthread_mutex_unlock(&h->mu);
        int n = poll(fds, nfds, timeout);
        pthread_mutex_lock(&h->mu);
        if (n > 0 && (fds[0].revents & POLLIN)) {
            uint64_t v;
            ssize_t rd = read(h->wake_fd, &v, sizeof v);
            (void)rd;
        }
        fh_reap_locked(h);
    }
    /* shutting down: no process may outlive the host. A warm runtime parked
     * on /next has just been answered 500 and exits by itself, as it would on
     * Lambda, so its own cleanup (and a sanitizer's leak check) runs; give it
     * a moment before the kill. */
    if (h->pid > 0) {
        int status = 0;
        pid_t pid = h->pid, r = 0;
        int64_t until = gw_now_ms() + (h->phase == CHILD_IDLE ? FN_EXIT_GRACE_MS : 0);
        pthread_mutex_unlock(&h->mu);
        while ((r = waitpid(pid, &status, WNOHANG)) == 0 && gw_now_ms() < until) usleep(5000);
        pthread_mutex_lock(&h->mu);
        if (r != pid) {
            fh_kill_locked(h);
            pthread_mutex_unlock(&h->mu);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            pthread_mutex_lock(&h->mu);
        }
        fh_child_gone_locked(h, status);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* ---- Runtime API server ------------------------------------------------ */

typedef enum rt_kind { RT_RESPONSE, RT_ERROR, RT_INIT_ERROR } rt_kind;

typedef struct rt_req {
    rt_kind kind;
    char id[64];
    dstr body;
    int too_large;
} rt_req;

static enum MHD_Result rt_reply(struct MHD_Connection *c, unsigned status, const char *body) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result rt_error_reply(struct MHD_Connection *c, unsigned status, const char *type,
                                      const char *message) {
    dstr b = {0};
    dstr_puts(&b, "{\"errorMessage\":");
    dstr_json_str(&b, message);
    dstr_puts(&b, ",\"errorType\":");
    dstr_json_str(&b, type);
    dstr_putc(&b, '}');
    enum MHD_Result rc = rt_reply(c, status, dstr_cstr(&b));
    dstr_free(&b);
    return rc;
}

static enum MHD_Result rt_next(fnhost *h, struct MHD_Connection *c) {
    pthread_mutex_lock(&h->mu);
    if (h->phase == CHILD_STARTING) { /* the first /next ends the init phase */
        h->phase = CHILD_IDLE;
        h->init_ms = gw_now_ms() - h->spawned_ms;
        log_rec *r = gw_log_begin(LOG_INFO, "function.ready");
        log_str(r, "function", h->function);
        log_int(r, "pid", h->pid);
        log_int(r, "init_ms", h->init_ms);
        gw_log_end(r);
    }
    uint64_t gen = h->gen;
    for (;;) {
        if (h->shutdown || h->gen != gen || h->phase == CHILD_DYING || h->phase == CHILD_NONE) {
            pthread_mutex_unlock(&h->mu);
            /* 500 tells a runtime to exit: it is being replaced or stopped */
            return rt_error_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "Runtime.ExitRequested",
                                  "the function host is stopping this process");
        }
        if (h->phase == CHILD_BUSY) {
            pthread_mutex_unlock(&h->mu);
            return rt_error_reply(c, MHD_HTTP_FORBIDDEN, "InvalidStateTransition",
                                  "an invocation is already open: answer it before /next");
        }
        if (h->q_head) break;
        pthread_cond_wait(&h->cv, &h->mu);
    }
    fn_inv *inv = queue_pop_locked(h);
    int64_t now = gw_now_ms();
    inv->state = INV_INFLIGHT;
    inv->dispatched_ms = now;
    inv->deadline_ms = now + h->timeout_ms;
    inv->res.cold_start = h->cold_pending;
    inv->res.init_ms = h->cold_pending ? h->init_ms : 0;
    h->cold_pending = 0;
    h->inflight = inv;
    h->phase = CHILD_BUSY;
    fh_wake(h); /* the supervisor now watches this deadline */
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        inv->payload.len, (void *)dstr_cstr(&inv->payload), MHD_RESPMEM_MUST_COPY);
    char deadline[24];
    snprintf(deadline, sizeof deadline, "%lld", (long long)inv->deadline_ms);
    if (resp) {
        MHD_add_response_header(resp, "Lambda-Runtime-Aws-Request-Id", inv->id);
        MHD_add_response_header(resp, "Lambda-Runtime-Deadline-Ms", deadline);
        MHD_add_response_header(resp, "Lambda-Runtime-Invoked-Function-Arn", h->arn);
        MHD_add_response_header(resp, "Lambda-Runtime-Trace-Id", inv->trace);
        MHD_add_response_header(resp, "Content-Type", "application/json");
    }
    pthread_mutex_unlock(&h->mu);
    if (!resp) return MHD_NO; /* the process dies or times out; the supervisor ends it */
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* Builds the error JSON of an /error or /init/error post: the body when it is
 * a JSON object, else one made from the error-type header. */
static void rt_error_payload(const rt_req *q, const char *type, dstr *out) {
    cJSON *j = q->body.len ? cJSON_ParseWithLength(q->body.ptr, q->body.len) : NULL;
    if (cJSON_IsObject(j)) {
        dstr_append(out, q->body.ptr, q->body.len);
    } else {
        dstr_puts(out, "{\"errorMessage\":");
        dstr_json_str(out, q->body.len ? dstr_cstr(&q->body) : "Unknown error");
        dstr_puts(out, ",\"errorType\":");
        dstr_json_str(out, type);
        dstr_putc(out, '}');
    }
    cJSON_Delete(j);
}

static const char *rt_error_type(struct MHD_Connection *c, const rt_req *q, char *buf, size_t cap) {
    const char *hdr =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Lambda-Runtime-Function-Error-Type");
    if (hdr && *hdr) {
        snprintf(buf, cap, "%s", hdr);
        return buf;
    }
    cJSON *j = q->body.len ? cJSON_ParseWithLength(q->body.ptr, q->body.len) : NULL;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "errorType");
    snprintf(buf, cap, "%s", cJSON_IsString(t) ? t->valuestring : "Unhandled");
    cJSON_Delete(j);
    return buf;
}

static enum MHD_Result rt_post_done(fnhost *h, struct MHD_Connection *c, rt_req *q) {
    char type[96];
    pthread_mutex_lock(&h->mu);
    if (q->kind == RT_INIT_ERROR) {
        if (h->phase != CHILD_STARTING) {
            pthread_mutex_unlock(&h->mu);
            return rt_error_reply(c, MHD_HTTP_FORBIDDEN, "InvalidStateTransition",
                                  "init/error is only valid before the first /next");
        }
        rt_error_type(c, q, type, sizeof type);
        log_rec *r = gw_log_begin(LOG_ERROR, "function.init_error");
        log_str(r, "function", h->function);
        log_str(r, "error_type", type);
        gw_log_end(r);
        h->phase = CHILD_DYING;
        h->phase_deadline = gw_now_ms() + FN_INIT_ERROR_GRACE_MS;
        fh_wake(h);
        fn_inv *inv = queue_pop_locked(h);
        if (inv) { /* Lambda serves the init error to the invocation that started it */
            rt_error_payload(q, type, &inv->res.payload);
            snprintf(inv->res.error_type, sizeof inv->res.error_type, "%s", type);
            inv_finish_locked(h, inv, FN_ERROR, "init error");
        }
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        return rt_reply(c, MHD_HTTP_ACCEPTED, "{\"status\":\"OK\"}");
    }
    fn_inv *inv = h->inflight;
    if (!inv || strcmp(inv->id, q->id) != 0) {
        pthread_mutex_unlock(&h->mu);
        return rt_error_reply(c, MHD_HTTP_BAD_REQUEST, "InvalidRequestID",
                              "unknown or already answered request id");
    }
    h->inflight = NULL;
    h->phase = CHILD_IDLE;
    unsigned status = MHD_HTTP_ACCEPTED;
    if (q->kind == RT_RESPONSE && q->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg,
                 "Response payload size exceeded maximum allowed payload size (%u bytes).",
                 FN_MAX_RESPONSE);
        dstr_clear(&inv->res.payload);
        dstr_puts(&inv->res.payload, "{\"errorMessage\":");
        dstr_json_str(&inv->res.payload, msg);
        dstr_puts(&inv->res.payload, ",\"errorType\":\"Function.ResponseSizeTooLarge\"}");
        snprintf(inv->res.error_type, sizeof inv->res.error_type, "Function.ResponseSizeTooLarge");
        inv_finish_locked(h, inv, FN_ERROR, "response too large");
        status = MHD_HTTP_CONTENT_TOO_LARGE;
    } else if (q->kind == RT_RESPONSE) {
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        snprintf(inv->res.content_type, sizeof inv->res.content_type, "%s",
                 ct ? ct : "application/json");
        inv->res.payload = q->body;
        q->body = (dstr){0};
        inv_finish_locked(h, inv, FN_OK, NULL);
    } else {
        rt_error_type(c, q, type, sizeof type);
        rt_error_payload(q, type, &inv->res.payload);
        snprintf(inv->res.error_type, sizeof inv->res.error_type, "%s", type);
        inv_finish_locked(h, inv, FN_ERROR, "function error");
    }
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (status == MHD_HTTP_CONTENT_TOO_LARGE)
        return rt_error_reply(c, status, "RequestEntityTooLarge",
                              "response payload exceeds 6291556 bytes");
    return rt_reply(c, status, "{\"status\":\"OK\"}");
}

/* Which POST this is; id is filled for /response and /error. */
static int rt_classify_post(const char *url, rt_req *q) {
    if (strcmp(url, RT_PREFIX "init/error") == 0) {
        q->kind = RT_INIT_ERROR;
        return 0;
    }
    const char *inv = RT_PREFIX "invocation/";
    if (strncmp(url, inv, strlen(inv)) != 0) return -1;
    const char *id = url + strlen(inv);
    const char *slash = strchr(id, '/');
    if (!slash || slash == id || (size_t)(slash - id) >= sizeof q->id) return -1;
    if (strcmp(slash, "/response") == 0) q->kind = RT_RESPONSE;
    else if (strcmp(slash, "/error") == 0) q->kind = RT_ERROR;
    else return -1;
    memcpy(q->id, id, (size_t)(slash - id));
    q->id[slash - id] = '\0';
    return 0;
}

static enum MHD_Result rt_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls) {
    (void)version;
    fnhost *h = cls;
    if (strcmp(method, "GET") == 0) {
        if (strcmp(url, RT_PREFIX "invocation/next") == 0) return rt_next(h, c);
        return rt_error_reply(c, MHD_HTTP_NOT_FOUND, "NotFound", "no such Runtime API path");
    }
    if (strcmp(method, "POST") != 0)
        return rt_error_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "MethodNotAllowed", method);
    rt_req *q = *con_cls;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q) abort();
        if (rt_classify_post(url, q) != 0) {
            free(q);
            return rt_error_reply(c, MHD_HTTP_NOT_FOUND, "NotFound", "no such Runtime API path");
        }
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (q->body.len + *upload_data_size > FN_MAX_RESPONSE) q->too_large = 1;
        else dstr_append(&q->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (q->too_large && q->kind != RT_RESPONSE) /* an oversized error report: keep its head */
        q->too_large = 0;
    return rt_post_done(h, c, q);
}

static void rt_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    rt_req *q = *con_cls;
    if (q) {
        dstr_free(&q->body);
        free(q);
        *con_cls = NULL;
    }
}

/* ---- setup ----------------------------------------------------------------- */

static int env_is_ours(const char *entry) {
    static const char *const keys[] = {"AWS_LAMBDA_RUNTIME_API",
                                       "AWS_LAMBDA_FUNCTION_NAME",
                                       "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                       "AWS_LAMBDA_FUNCTION_VERSION",
                                       "AWS_REGION",
                                       "_HANDLER",
                                       "LAMBDA_TASK_ROOT",
                                       "AWS_LAMBDA_LOG_GROUP_NAME",
                                       "AWS_LAMBDA_LOG_STREAM_NAME",
                                       "AWS_LAMBDA_INITIALIZATION_TYPE",
                                       "_X_AMZN_TRACE_ID",
                                       "TRADER_LOCAL_GATEWAY"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t n = strlen(keys[i]);
        if (strncmp(entry, keys[i], n) == 0 && entry[n] == '=') return 1;
    }
    return 0;
}

static char *env_pair(const char *key, const char *value) {
    dstr s = {0};
    dstr_printf(&s, "%s=%s", key, value);
    return dstr_take(&s);
}

/* The bootstrap's directory as an absolute path (LAMBDA_TASK_ROOT). */
static char *fh_task_root(const char *bootstrap) {
    dstr s = {0};
    if (bootstrap[0] != '/') {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) dstr_printf(&s, "%s/", cwd);
    }
    dstr_puts(&s, bootstrap);
    char *p = strrchr(s.ptr, '/');
    if (p && p != s.ptr) *p = '\0';
    return dstr_take(&s);
}

static char **fh_build_env(const fnhost *h) {
    size_t n = 0;
    while (environ && environ[n]) n++;
    char **env = calloc(n + 16, sizeof *env);
    if (!env) abort();
    size_t k = 0;
    int has_default_region = 0;
    for (size_t i = 0; i < n; i++) {
        if (env_is_ours(environ[i])) continue;
        if (strncmp(environ[i], "AWS_DEFAULT_REGION=", 19) == 0) has_default_region = 1;
        env[k++] = fh_strdup(environ[i]);
    }
    char buf[64];
    snprintf(buf, sizeof buf, "127.0.0.1:%u", h->port);
    env[k++] = env_pair("AWS_LAMBDA_RUNTIME_API", buf);
    env[k++] = env_pair("AWS_LAMBDA_FUNCTION_NAME", h->function);
    snprintf(buf, sizeof buf, "%d", h->memory_mb);
    env[k++] = env_pair("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", buf);
    env[k++] = env_pair("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    env[k++] = env_pair("AWS_REGION", h->region);
    if (!has_default_region) env[k++] = env_pair("AWS_DEFAULT_REGION", h->region);
    env[k++] = env_pair("_HANDLER", "bootstrap");
    char *root = fh_task_root(h->bootstrap);
    env[k++] = env_pair("LAMBDA_TASK_ROOT", root);
    free(root);
    dstr s = {0};
    dstr_printf(&s, "/aws/lambda/%s", h->function);
    env[k++] = env_pair("AWS_LAMBDA_LOG_GROUP_NAME", dstr_cstr(&s));
    dstr_clear(&s);
    char id[37];
    gw_uuid4(id);
    dstr_printf(&s, "local/[$LATEST]%.8s%.4s%.4s%.4s%.12s", id, id + 9, id + 14, id + 19, id + 24);
    env[k++] = env_pair("AWS_LAMBDA_LOG_STREAM_NAME", dstr_cstr(&s));
    dstr_free(&s);
    env[k++] = env_pair("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    /* tells config it runs here, not on AWS Lambda (where only /tmp is writable) */
    env[k++] = env_pair("TRADER_LOCAL_GATEWAY", "1");
    env[k] = NULL;
    return env;
}

fnhost *fnhost_new(const fnhost_config *cfg, char *err, size_t errlen) {
    fnhost *h = calloc(1, sizeof *h);
    if (!h) abort();
    h->function = fh_strdup(cfg->function);
    h->bootstrap = fh_strdup(cfg->bootstrap);
    h->region = fh_strdup(cfg->region && *cfg->region ? cfg->region : "us-east-1");
    dstr arn = {0};
    dstr_printf(&arn, "arn:aws:lambda:%s:000000000000:function:%s", h->region, h->function);
    h->arn = dstr_take(&arn);
    h->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    h->init_timeout_ms = cfg->init_timeout_ms > 0 ? cfg->init_timeout_ms : 10000;
    h->memory_mb = cfg->memory_mb > 0 ? cfg->memory_mb : 128;
    h->pidfd = -1;
    h->wake_fd = -1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (h->wake_fd < 0) {
        snprintf(err, errlen, "%s: eventfd: %s", h->function, strerror(errno));
        fnhost_free(h);
        return NULL;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    h->api = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                  MHD_USE_ITC | MHD_USE_AUTO | MHD_USE_ERROR_LOG,
                              0, NULL, NULL, rt_access, h, MHD_OPTION_SOCK_ADDR, &sa,
                              MHD_OPTION_NOTIFY_COMPLETED, rt_completed, h,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        h->api ? MHD_get_daemon_info(h->api, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info || !info->port) {
        snprintf(err, errlen, "%s: cannot start the Runtime API server on 127.0.0.1", h->function);
        fnhost_free(h);
        return NULL;
    }
    h->port = info->port;
    h->envp = fh_build_env(h);
    int rc = pthread_create(&h->supervisor, NULL, fh_supervisor, h);
    if (rc != 0) {
        snprintf(err, errlen, "%s: pthread_create: %s", h->function, strerror(rc));
        fnhost_free(h);
        return NULL;
    }
    h->supervisor_running = 1;
    return h;
}

void fnhost_stop(fnhost *h) {
    pthread_mutex_lock(&h->mu);
    if (h->shutdown) {
        pthread_mutex_unlock(&h->mu);
        return;
    }
    h->shutdown = 1;
    fn_inv *inv;
    while ((inv = queue_pop_locked(h))) inv_finish_locked(h, inv, FN_SHUTDOWN, "host stopped");
    if (h->inflight) {
        /* killed before its invocation is failed: alive, it could post its
         * answer to a host that no longer knows the request (400, and an
         * ERROR line of its runtime) */
        fh_kill_locked(h);
        inv = h->inflight;
        h->inflight = NULL;
        inv_finish_locked(h, inv, FN_SHUTDOWN, "host stopped");
    }
    pthread_cond_broadcast(&h->cv); /* the idle process's /next answers 500 */
    pthread_mutex_unlock(&h->mu);
    if (h->supervisor_running) fh_wake(h); /* it waits for the process, then ends */
}

void fnhost_shutdown(fnhost *h) {
    fnhost_stop(h);
    if (h->supervisor_running) {
        pthread_join(h->supervisor, NULL);
        h->supervisor_running = 0;
    }
}

void fnhost_free(fnhost *h) {
    if (!h) return;
    fnhost_shutdown(h);
    if (h->api) MHD_stop_daemon(h->api);
    if (h->envp)
        for (char **e = h->envp; *e; e++) free(*e);
    free(h->envp);
    if (h->wake_fd >= 0) close(h->wake_fd);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h->function);
    free(h->bootstrap);
    free(h->region);
    free(h->arn);
    free(h);
}

void fnhost_invoke(fnhost *h, const fn_call *call, fn_result *out) {
    *out = (fn_result){0};
    if (call->len > FN_MAX_REQUEST) {
        out->status = FN_TOO_LARGE;
        snprintf(out->detail, sizeof out->detail, "event of %zu bytes exceeds %u", call->len,
                 FN_MAX_REQUEST);
        return;
    }
    fn_inv *inv = inv_new(call, 2);
    pthread_mutex_lock(&h->mu);
    if (h->shutdown) {
        pthread_mutex_unlock(&h->mu);
        out->status = FN_SHUTDOWN;
        snprintf(out->request_id, sizeof out->request_id, "%s", inv->id);
        dstr_free(&inv->payload);
        free(inv);
        return;
    }
    queue_push_locked(h, inv);
    while (inv->state != INV_DONE) {
        if (!call->wait_until_ms) {
            pthread_cond_wait(&h->cv, &h->mu);
            continue;
        }
        int64_t now = gw_now_ms();
        if (now >= call->wait_until_ms) {
            if (queue_remove_locked(h, inv)) {
                inv_finish_locked(h, inv, FN_ABANDONED, "caller stopped waiting (queued)");
            } else { /* running: it ends on its own; its answer is dropped */
                out->status = FN_ABANDONED;
                snprintf(out->request_id, sizeof out->request_id, "%s", inv->id);
                snprintf(out->detail, sizeof out->detail, "caller stopped waiting (running)");
                inv_unref_locked(inv);
                pthread_mutex_unlock(&h->mu);
                return;
            }
            break;
        }
        struct timespec ts = {.tv_sec = (time_t)(call->wait_until_ms / 1000),
                              .tv_nsec = (long)(call->wait_until_ms % 1000) * 1000000L};
        pthread_cond_timedwait(&h->cv, &h->mu, &ts);
    }
    *out = inv->res;
    inv->res = (fn_result){0};
    inv_unref_locked(inv);
    pthread_mutex_unlock(&h->mu);
}

int fnhost_invoke_async(fnhost *h, const fn_call *call, fnhost_done_fn done, void *ctx) {
    fn_inv *inv = inv_new(call, 1);
    inv->done = done;
    inv->done_ctx = ctx;
    pthread_mutex_lock(&h->mu);
    if (h->shutdown) {
        pthread_mutex_unlock(&h->mu);
        dstr_free(&inv->payload);
        free(inv);
        return -1;
    }
    queue_push_locked(h, inv);
    pthread_mutex_unlock(&h->mu);
    return 0;
}
