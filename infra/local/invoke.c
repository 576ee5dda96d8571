/* invoke: run one event through a function's real bootstrap via the Lambda
 * Runtime API, like `sam local invoke`. The response payload goes to stdout
 * byte for byte; everything else (the function's own output, host logs)
 * goes to stderr. Exit: 0 success, 1 function error (error JSON on stderr),
 * 2 timeout, crash or missing bootstrap, 64 bad usage or event, 128 + N when
 * signal N (SIGINT, SIGTERM) stopped it. */
#include <cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/config.h"
#include "platform/dstr.h"
#include "fnhost.h"
#include "gw_event.h"
#include "gw_file.h"
#include "gw_ids.h"
#include "gw_log.h"
#include "gw_routes.h"
#include "gw_signals.h"

#define INV_MAX_HEADERS 64
#define EX_USAGE_ 64

typedef struct inv_opts {
    const char *functions_dir;
    long timeout_ms;
    const char *function;
    const char *event_path;
    const char *http_method, *http_uri;
    gw_header headers[INV_MAX_HEADERS];
    char *header_store[INV_MAX_HEADERS];
    size_t n_headers;
    const char *data, *data_file;
    int print_event;
} inv_opts;

static void usage(FILE *f) {
    fputs("usage: invoke [--functions-dir DIR] [--timeout-ms N] <function> [event.json | -]\n"
          "       invoke [options] --http METHOD URI [--header 'Name: value']...\n"
          "              [--data TEXT | --data-file FILE] [--print-event] <function>\n"
          "  Runs one event through DIR/<function>/bootstrap (default DIR: build) and prints\n"
          "  the response payload on stdout. Default event: {}. --http builds an API Gateway\n"
          "  payload 2.0 event for METHOD URI (e.g. GET '/api/candles?symbol=BTCUSDT').\n"
          "  --print-event prints that event instead of invoking.\n"
          "  Exit: 0 ok, 1 function error, 2 timeout/crash/missing bootstrap, 64 usage.\n",
          f);
}

static void free_opts(inv_opts *o) {
    for (size_t i = 0; i < o->n_headers; i++) free(o->header_store[i]);
}

static int add_header(inv_opts *o, const char *spec) {
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || o->n_headers == INV_MAX_HEADERS) return -1;
    char *copy = strdup(spec);
    if (!copy) abort();
    copy[colon - spec] = '\0';
    const char *v = copy + (colon - spec) + 1;
    while (*v == ' ') v++;
    o->header_store[o->n_headers] = copy;
    o->headers[o->n_headers++] = (gw_header){copy, v};
    return 0;
}

static int parse_opts(int argc, char **argv, inv_opts *o) {
    o->functions_dir = "build";
    const char *t = getenv("LOCAL_FUNCTION_TIMEOUT_MS");
    o->timeout_ms = t && *t ? atol(t) : 30000;
    const char *positional[2];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--print-event") == 0) {
            o->print_event = 1;
            continue;
        }
        if (strcmp(a, "-") != 0 && a[0] == '-') {
            if (i + 1 >= argc) return -1;
            const char *v = argv[++i];
            if (strcmp(a, "--functions-dir") == 0) o->functions_dir = v;
            else if (strcmp(a, "--timeout-ms") == 0) {
                char *e;
                o->timeout_ms = strtol(v, &e, 10);
                if (*e || o->timeout_ms < 1) return -1;
            } else if (strcmp(a, "--http") == 0) {
                if (i + 1 >= argc) return -1;
                o->http_method = v;
                o->http_uri = argv[++i];
            } else if (strcmp(a, "--header") == 0) {
                if (add_header(o, v) != 0) return -1;
            } else if (strcmp(a, "--data") == 0) o->data = v;
            else if (strcmp(a, "--data-file") == 0) o->data_file = v;
            else return -1;
            continue;
        }
        if (np == 2) return -1;
        positional[np++] = a;
    }
    if (np < 1 || (o->http_method && np > 1)) return -1;
    o->function = positional[0];
    o->event_path = np == 2 ? positional[1] : NULL;
    if (o->http_uri && o->http_uri[0] != '/') return -1;
    return gw_function_name_ok(o->function) ? 0 : -1;
}

static int build_event(const inv_opts *o, dstr *event, char *err, size_t errlen) {
    if (!o->http_method) {
        if (!o->event_path) {
            dstr_puts(event, "{}");
            return 0;
        }
        if (gw_read_file(o->event_path, FN_MAX_REQUEST, event, err, errlen) != 0) return -1;
        cJSON *j = cJSON_ParseWithLength(dstr_cstr(event), event->len);
        if (!j) {
            snprintf(err, errlen, "%s: not valid JSON (Lambda accepts JSON events only)",
                     o->event_path);
            return -1;
        }
        cJSON_Delete(j);
        return 0;
    }
    dstr body = {0};
    if (o->data_file && gw_read_file(o->data_file, FN_MAX_REQUEST, &body, err, errlen) != 0) {
        dstr_free(&body);
        return -1;
    }
    if (o->data) dstr_puts(&body, o->data);
    char rid[17], root[36];
    int64_t now = gw_now_ms();
    gw_apigw_request_id(rid);
    gw_trace_root(root, now);
    gw_request req = {.method = o->http_method,
                      .raw_uri = o->http_uri,
                      .protocol = "HTTP/1.1",
                      .source_ip = "127.0.0.1",
                      .server_port = 8080,
                      .headers = o->headers,
                      .n_headers = o->n_headers,
                      .body = dstr_cstr(&body),
                      .body_len = body.len,
                      .request_id = rid,
                      .trace_root = root,
                      .time_epoch_ms = now};
    gw_event_build(&req, event);
    dstr_free(&body);
    return 0;
}

static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static void log_result(const char *function, const fn_result *r) {
    log_rec *rec = gw_log_begin(r->status == FN_OK ? LOG_INFO : LOG_WARN, "invoke.result");
    log_str(rec, "function", function);
    log_str(rec, "status", fn_status_name(r->status));
    log_str(rec, "lambda_request_id", r->request_id);
    log_bool(rec, "lambda_cold_start", r->cold_start);
    log_int(rec, "init_ms", r->init_ms);
    log_int(rec, "duration_ms", r->duration_ms);
    log_int(rec, "response_bytes", (long long)r->payload.len);
    if (r->error_type[0]) log_str(rec, "error_type", r->error_type);
    if (r->detail[0]) log_str(rec, "detail", r->detail);
    gw_log_end(rec);
}

/* Logs the result; the payload to out_fd, or an error to stderr. The exit status. */
static int report(const char *function, const fn_result *res, int out_fd) {
    log_result(function, res);
    if (res->status == FN_OK) {
        write_all(out_fd, dstr_cstr(&res->payload), res->payload.len);
        return 0;
    }
    dstr msg = {0};
    if (res->payload.len) dstr_append(&msg, res->payload.ptr, res->payload.len);
    else dstr_puts(&msg, res->detail);
    dstr_putc(&msg, '\n');
    write_all(STDERR_FILENO, msg.ptr, msg.len);
    dstr_free(&msg);
    return res->status == FN_ERROR ? 1 : 2;
}

/* Ctrl-C or SIGTERM stops the run, and the function process with it: the
 * process has a group of its own, so the terminal's Ctrl-C never reaches it,
 * and left behind it would run on and report, later, that its Runtime API is
 * gone. A thread takes the signal and stops the host, which kills a process
 * running the event; fnhost_invoke() then returns FN_SHUTDOWN. */
typedef struct inv_stop {
    sigset_t set;
    fnhost *h;
    pthread_t thread;
    atomic_int done; /* the invocation has ended: a signal now changes nothing */
    int sig;         /* the signal that stopped it, or 0; read after the join */
} inv_stop;

static void *inv_stop_wait(void *arg) {
    inv_stop *s = arg;
    int sig = 0;
    while (sigwait(&s->set, &sig) != 0) {
    }
    if (!atomic_load(&s->done)) {
        s->sig = sig;
        fnhost_stop(s->h);
    }
    return NULL;
}

/* Ends the waiting thread; 0, or the signal that stopped the invocation. */
static int inv_stop_end(inv_stop *s) {
    atomic_store(&s->done, 1);
    pthread_kill(s->thread, SIGTERM); /* blocked everywhere: only its sigwait takes it */
    pthread_join(s->thread, NULL);
    return s->sig;
}

int main(int argc, char **argv) {
    inv_opts o = {0};
    if (parse_opts(argc, argv, &o) != 0) {
        usage(stderr);
        free_opts(&o);
        return EX_USAGE_;
    }
    char err[512];
    dstr event = {0};
    if (build_event(&o, &event, err, sizeof err) != 0) {
        fprintf(stderr, "invoke: %s\n", err);
        dstr_free(&event);
        free_opts(&o);
        return EX_USAGE_;
    }
    if (o.print_event) {
        dstr_putc(&event, '\n');
        write_all(STDOUT_FILENO, event.ptr, event.len);
        dstr_free(&event);
        free_opts(&o);
        return 0;
    }
    /* stdout carries only the payload: logs and the function's output go to stderr */
    int out_fd = dup(STDOUT_FILENO);
    if (out_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        perror("invoke: dup");
        return 2;
    }
    const char *tz = getenv("TZ"); /* one offset with the function's own lines */
    if (cfg_apply_tz(tz) != 0) {
        fprintf(stderr, "invoke: TZ=%s: no zone data for it (install tzdata or use UTC)\n", tz);
        free_opts(&o);
        return 64;
    }
    log_init("invoke");
    signal(SIGPIPE, SIG_IGN);
    inv_stop stop = {0};
    gw_block_stop_signals(&stop.set); /* before the host's threads, which inherit the mask */
    dstr boot = {0};
    dstr_printf(&boot, "%s/%s/bootstrap", o.functions_dir, o.function);
    const char *region = getenv("AWS_REGION");
    fnhost_config fcfg = {o.function, dstr_cstr(&boot), o.timeout_ms, 10000, 128, region};
    int rc = 2;
    fnhost *h = fnhost_new(&fcfg, err, sizeof err);
    if (!h) {
        fprintf(stderr, "invoke: %s\n", err);
    } else if (!fnhost_binary_present(h)) {
        fprintf(stderr, "invoke: %s is missing or not executable (build it with make)\n",
                dstr_cstr(&boot));
    } else {
        fn_call call = {dstr_cstr(&event), event.len, NULL, 0};
        fn_result res;
        stop.h = h;
        int waiting = pthread_create(&stop.thread, NULL, inv_stop_wait, &stop) == 0;
        fnhost_invoke(h, &call, &res);
        int sig = waiting ? inv_stop_end(&stop) : 0;
        if (sig && res.status == FN_SHUTDOWN) {
            log_rec *rec = gw_log_begin(LOG_INFO, "invoke.stopped");
            log_str(rec, "function", o.function);
            log_str(rec, "signal", gw_signal_name(sig));
            gw_log_end(rec);
            rc = 128 + sig;
        } else {
            rc = report(o.function, &res, out_fd);
        }
        fn_result_free(&res);
    }
    fnhost_free(h);
    close(out_fd);
    dstr_free(&boot);
    dstr_free(&event);
    free_opts(&o);
    return rc;
}
