/* run_conformance: plays scripted Runtime API conversations against a real
 * function process (build/<variant>/bin/rt_echo_fn on rt_run()).
 *
 *   run_conformance <build-dir> [cases-dir]      (cases default: tests/runtime/cases)
 *
 * Each case is a JSON file (see tests/runtime/cases/README.md): an ordered
 * script of the requests the runtime must send, with what the fake API
 * answers to each and what each request must contain, then how the process
 * must end. The fake listens on 127.0.0.1 (ephemeral port), one case at a
 * time; every case is bounded in time and its process is always killed and
 * reaped. Prints one line per case and "conformance: N passed, N failed". */
#include <cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/dstr.h"

#define FAKE_MAX_RESPONSE (6u * 1024u * 1024u + 100u) /* RIE's limit on /response bodies */
#define DEFAULT_CASE_MS 5000
#define HOLD_MS 200      /* a "running" process must survive this long on an open /next */
#define SHUTDOWN_MS 3000 /* after the closing 500, the process must be gone by then */
#define MAX_REQ_HEADERS 64
#define SANITIZER_EXIT 23 /* a sanitizer report must not pass for the runtime's own exit 1 */
#define SIGNAL_GAP_MS 100 /* between a step's signals: two of a kind pending at once are one */

/* ----------------------------------------------------------------- clock */

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------ the child process */

/* Appends exitcode=23 to a sanitizer options variable (later flags win). */
static void sanitizer_exit_code(const char *var) {
    const char *old = getenv(var);
    char opts[1024];
    snprintf(opts, sizeof opts, "%s%sexitcode=%d", old ? old : "", old && *old ? ":" : "",
             SANITIZER_EXIT);
    setenv(var, opts, 1);
}

typedef struct child {
    pid_t pid;
    int exited;
    int status;
} child;

/* stdout: NULL or "file": the case's log file; "closed_pipe": a pipe nobody
 * reads (writes fail with EPIPE); "closed": no stdout at all. */
static int child_start(child *ch, const char *bin, int port, const cJSON *env,
                       const char *stdout_kind, const char *log_path) {
    memset(ch, 0, sizeof *ch);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the driver */
        signal(SIGPIPE, SIG_DFL); /* Lambda starts a runtime with the default; ours ignores it */
        char api[64];
        snprintf(api, sizeof api, "127.0.0.1:%d", port);
        setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
        unsetenv("_X_AMZN_TRACE_ID");
        unsetenv("RT_ECHO_FAIL_INIT");
        sanitizer_exit_code("ASAN_OPTIONS");
        sanitizer_exit_code("UBSAN_OPTIONS");
        const cJSON *e;
        cJSON_ArrayForEach(e, env) if (cJSON_IsString(e)) setenv(e->string, e->valuestring, 1);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int p[2];
        if (stdout_kind && strcmp(stdout_kind, "closed") == 0) {
            close(STDOUT_FILENO);
        } else if (stdout_kind && strcmp(stdout_kind, "closed_pipe") == 0 && pipe(p) == 0) {
            dup2(p[1], STDOUT_FILENO);
            close(p[0]);
            close(p[1]);
        } else if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
        }
        if (fd >= 0 && fd != STDOUT_FILENO) close(fd);
        execl(bin, bin, (char *)NULL);
        _exit(127);
    }
    ch->pid = pid;
    return 0;
}

static void child_poll(child *ch) {
    if (ch->pid > 0 && !ch->exited && waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid)
        ch->exited = 1;
}

static void child_kill(child *ch) {
    if (ch->pid <= 0) return;
    if (!ch->exited) {
        kill(ch->pid, SIGKILL);
        waitpid(ch->pid, &ch->status, 0);
        ch->exited = 1;
    }
    ch->pid = 0;
}

static void describe_status(int status, char *out, size_t cap) {
    if (WIFEXITED(status)) snprintf(out, cap, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(out, cap, "signal %d", WTERMSIG(status));
    else snprintf(out, cap, "status %d", status);
}

/* ------------------------------------------------------- the fake server */

typedef struct request {
    char method[16];
    char path[1024];
    char version[16];
    dstr head; /* header lines, each "name\0value\0" */
    size_t n_headers;
    size_t at[MAX_REQ_HEADERS];
    dstr body;
    int64_t at_ms; /* when it was complete */
} request;

typedef struct fake {
    int lfd;
    int cfd;
    unsigned accepted;
    dstr in; /* received on cfd; in.ptr[used..] not yet parsed */
    size_t used;
    int64_t answered_ms; /* when the last answer was written */
} fake;

static int fake_listen(fake *f, int *port) {
    memset(f, 0, sizeof *f);
    f->cfd = -1;
    f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(f->lfd, 8) != 0 || getsockname(f->lfd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return 0;
}

static void fake_drop(fake *f) {
    if (f->cfd >= 0) close(f->cfd);
    f->cfd = -1;
    dstr_clear(&f->in);
    f->used = 0;
}

static void fake_close(fake *f) {
    fake_drop(f);
    if (f->lfd >= 0) close(f->lfd);
    f->lfd = -1;
    dstr_free(&f->in);
}

static const char *req_header(const request *r, const char *name) {
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *n = r->head.ptr + r->at[i];
        if (strcasecmp(n, name) == 0) return n + strlen(n) + 1;
    }
    return NULL;
}

static void req_free(request *r) {
    dstr_free(&r->head);
    dstr_free(&r->body);
}

static const char *find_head_end(const char *p, size_t n) {
    for (size_t i = 0; i + 4 <= n; i++)
        if (p[i] == '\r' && memcmp(p + i, "\r\n\r\n", 4) == 0) return p + i;
    return NULL;
}

/* 1: a whole request was parsed into r; 0: need more bytes; -1: malformed (why in err). */
static int fake_parse(fake *f, request *r, char *err, size_t cap) {
    const char *start = f->in.ptr ? f->in.ptr + f->used : "";
    size_t avail = f->in.len - f->used;
    const char *end = find_head_end(start, avail);
    if (!end) return 0;
    size_t head_len = (size_t)(end - start) + 4;
    dstr head = {0};
    dstr_append(&head, start, head_len);
    char *line_end = strstr(head.ptr, "\r\n");
    *line_end = '\0';
    int rc = -1;
    r->n_headers = 0;
    dstr_clear(&r->head);
    dstr_clear(&r->body);
    if (sscanf(head.ptr, "%15s %1023s %15s", r->method, r->path, r->version) != 3) {
        snprintf(err, cap, "bad request line \"%.80s\"", head.ptr);
        goto out;
    }
    for (char *line = line_end + 2; *line && strncmp(line, "\r\n", 2) != 0;) {
        char *eol = strstr(line, "\r\n");
        *eol = '\0';
        char *colon = strchr(line, ':');
        if (!colon || r->n_headers == MAX_REQ_HEADERS) {
            snprintf(err, cap, "bad header line \"%.80s\"", line);
            goto out;
        }
        *colon = '\0';
        const char *v = colon + 1;
        while (*v == ' ') v++;
        r->at[r->n_headers++] = r->head.len;
        dstr_append(&r->head, line, strlen(line) + 1);
        dstr_append(&r->head, v, strlen(v) + 1);
        line = eol + 2;
    }
    if (req_header(r, "transfer-encoding")) {
        snprintf(err, cap, "request uses Transfer-Encoding (must send Content-Length)");
        goto out;
    }
    const char *cl = req_header(r, "content-length");
    size_t body_len = cl ? strtoul(cl, NULL, 10) : 0;
    if (avail - head_len < body_len) {
        rc = 0;
        goto out;
    }
    dstr_append(&r->body, start + head_len, body_len);
    f->used += head_len + body_len;
    if (f->used == f->in.len) {
        dstr_clear(&f->in);
        f->used = 0;
    }
    r->at_ms = mono_ms();
    rc = 1;
out:
    dstr_free(&head);
    return rc;
}

/* Waits for the next request. 1: got one; 0: deadline passed; -1: the child
 * exited; -2: malformed request (err says why). */
static int fake_wait(fake *f, child *ch, request *r, int64_t deadline, char *err, size_t cap) {
    for (;;) {
        int got = fake_parse(f, r, err, cap);
        if (got != 0) return got == 1 ? 1 : -2;
        struct pollfd p[2] = {{.fd = f->lfd, .events = POLLIN}, {.fd = f->cfd, .events = POLLIN}};
        int n = poll(p, 2, 5);
        if (n > 0 && (p[0].revents & POLLIN)) {
            int fd = accept(f->lfd, NULL, NULL);
            if (fd >= 0) {
                fcntl(fd, F_SETFD, FD_CLOEXEC);
                fake_drop(f); /* a new connection means the runtime gave up the old one */
                f->cfd = fd;
                f->accepted++;
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct timeval tv = {.tv_sec = 3};
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            }
            continue;
        }
        if (n > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            dstr_reserve(&f->in, 64 * 1024);
            ssize_t got_n = recv(f->cfd, f->in.ptr + f->in.len, 64 * 1024, MSG_DONTWAIT);
            if (got_n > 0) {
                f->in.len += (size_t)got_n;
                f->in.ptr[f->in.len] = '\0';
            } else if (got_n == 0 || (errno != EAGAIN && errno != EINTR)) {
                fake_drop(f);
            }
            continue;
        }
        child_poll(ch);
        if (ch->exited) return -1;
        if (mono_ms() > deadline) return 0;
    }
}

static void send_all(int fd, const char *p, size_t n, int drip) {
    while (n > 0) {
        size_t piece = drip && n > 7 ? 7 : n;
        ssize_t w = send(fd, p, piece, MSG_NOSIGNAL);
        if (w <= 0) return; /* the runtime hung up: the script notices */
        p += w;
        n -= (size_t)w;
        if (drip) pause_ms(1);
    }
}

static const char *reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 413: return "Request Entity Too Large";
    case 500: return "Internal Server Error";
    default: return "Status";
    }
}

/* "now+N" becomes the wall clock in ms plus N, as a deadline header wants. */
static void header_value(const char *v, char *out, size_t cap) {
    if (strncmp(v, "now+", 4) == 0)
        snprintf(out, cap, "%lld", (long long)(wall_ms() + atoll(v + 4)));
    else snprintf(out, cap, "%s", v);
}

static void fake_answer(fake *f, int status, const cJSON *step, const char *body, size_t body_len) {
    if (f->cfd < 0) return;
    dstr out = {0};
    int chunked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "chunked"));
    dstr_printf(&out, "HTTP/1.1 %d %s\r\n", status, reason(status));
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(step, "headers")) {
        char v[512];
        header_value(cJSON_IsString(h) ? h->valuestring : "", v, sizeof v);
        dstr_printf(&out, "%s: %s\r\n", h->string, v);
    }
    if (chunked) dstr_puts(&out, "Transfer-Encoding: chunked\r\n\r\n");
    else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "no_length")))
        dstr_puts(&out, "\r\n"); /* the step's own headers frame the body, if anything */
    else dstr_printf(&out, "Content-Length: %zu\r\n\r\n", body_len);
    for (size_t off = 0; chunked && off < body_len; off += 1000) {
        size_t n = body_len - off < 1000 ? body_len - off : 1000;
        dstr_printf(&out, "%zx\r\n", n);
        dstr_append(&out, body + off, n);
        dstr_puts(&out, "\r\n");
    }
    if (chunked) dstr_puts(&out, "0\r\n\r\n");
    else dstr_append(&out, body, body_len);
    send_all(f->cfd, out.ptr, out.len,
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "drip")));
    dstr_free(&out);
    f->answered_ms = mono_ms();
}

/* ---------------------------------------------------------------- checks */

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* What every request must look like, whatever the script says. */
static int check_wire(const request *r, char *err, size_t cap) {
    if (strcmp(r->version, "HTTP/1.1") != 0)
        return fail(err, cap, "request is %s, not HTTP/1.1", r->version);
    if (!req_header(r, "host")) return fail(err, cap, "%s %s without Host", r->method, r->path);
    if (strcmp(r->method, "POST") == 0) {
        if (!req_header(r, "content-length"))
            return fail(err, cap, "POST %s without Content-Length", r->path);
        if (req_header(r, "expect")) return fail(err, cap, "POST %s sends Expect", r->path);
    }
    return 0;
}

static int check_json_fields(const cJSON *want, const cJSON *got, char *err, size_t cap) {
    const cJSON *w;
    cJSON_ArrayForEach(w, want) {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, w->string);
        if (!g || !cJSON_Compare(w, g, 1)) {
            char *ws = cJSON_PrintUnformatted(w), *gs = g ? cJSON_PrintUnformatted(g) : NULL;
            fail(err, cap, "field %s is %.200s, want %.200s", w->string, gs ? gs : "(absent)", ws);
            free(ws);
            free(gs);
            return -1;
        }
    }
    return 0;
}

static int check_ranges(const cJSON *want, const cJSON *got, char *err, size_t cap) {
    const cJSON *w;
    cJSON_ArrayForEach(w, want) {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, w->string);
        double lo = cJSON_GetArrayItem(w, 0) ? cJSON_GetArrayItem(w, 0)->valuedouble : 0;
        double hi = cJSON_GetArrayItem(w, 1) ? cJSON_GetArrayItem(w, 1)->valuedouble : 0;
        if (!cJSON_IsNumber(g) || g->valuedouble < lo || g->valuedouble > hi)
            return fail(err, cap, "field %s is %g, want %g..%g", w->string, g ? g->valuedouble : -1,
                        lo, hi);
    }
    return 0;
}

/* The step's "check" object against one request. */
static int check_request(const cJSON *check, const request *r, char *err, size_t cap) {
    const cJSON *c;
    cJSON_ArrayForEach(
        c,
        cJSON_GetObjectItemCaseSensitive(
            check,
            "header_present")) if (!req_header(r, c->valuestring)) return fail(err, cap,
                                                                               "header %s missing",
                                                                               c->valuestring);
    cJSON_ArrayForEach(
        c, cJSON_GetObjectItemCaseSensitive(
               check,
               "header_absent")) if (req_header(r, c->valuestring)) return fail(err, cap,
                                                                                "header %s present",
                                                                                c->valuestring);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(check, "header_equals")) {
        const char *v = req_header(r, c->string);
        if (!v || strcmp(v, c->valuestring) != 0)
            return fail(err, cap, "header %s is \"%.100s\", want \"%s\"", c->string,
                        v ? v : "(absent)", c->valuestring);
    }
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(check, "body_length");
    if (len && (double)r->body.len != len->valuedouble)
        return fail(err, cap, "body is %zu bytes, want %.0f", r->body.len, len->valuedouble);
    const cJSON *want_json = cJSON_GetObjectItemCaseSensitive(check, "body_json");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(check, "json_fields");
    const cJSON *ranges = cJSON_GetObjectItemCaseSensitive(check, "json_ranges");
    if (!want_json && !fields && !ranges) return 0;
    cJSON *got = cJSON_ParseWithLength(dstr_cstr(&r->body), r->body.len);
    int rc = 0;
    if (!got) rc = fail(err, cap, "body is not JSON: %.120s", dstr_cstr(&r->body));
    else if (want_json && !cJSON_Compare(want_json, got, 1))
        rc = fail(err, cap, "body %.200s differs from the expected JSON", r->body.ptr);
    else if (check_json_fields(fields, got, err, cap) || check_ranges(ranges, got, err, cap))
        rc = -1;
    cJSON_Delete(got);
    return rc;
}

/* ------------------------------------------------------------- the cases */

typedef struct run {
    const char *name;
    fake f;
    child ch;
    dstr log_path;
    char err[512];
} run;

/* Body of the answer a step describes: "body" (JSON value), "body_text" or "body_fill" (N x's). */
static char *step_body(const cJSON *step, size_t *len) {
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(step, "body");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(step, "body_text");
    const cJSON *fill = cJSON_GetObjectItemCaseSensitive(step, "body_fill");
    char *out;
    if (b) {
        out = cJSON_PrintUnformatted(b);
    } else if (cJSON_IsString(text)) {
        out = strdup(text->valuestring);
    } else if (cJSON_IsNumber(fill)) {
        size_t n = (size_t)fill->valuedouble;
        out = malloc(n + 1);
        if (out) memset(out, 'x', n), out[n] = '\0';
    } else {
        out = strdup("");
    }
    if (!out) abort();
    *len = strlen(out);
    return out;
}

/* "SIGINT" or "SIGTERM" -> its number; 0 for anything else. */
static int signal_number(const cJSON *name) {
    const char *s = cJSON_GetStringValue(name);
    return !s ? 0 : strcmp(s, "SIGINT") == 0 ? SIGINT : strcmp(s, "SIGTERM") == 0 ? SIGTERM : 0;
}

/* Sends "signal" (a name, or a list of names SIGNAL_GAP_MS apart) to the process. */
static int send_signals(run *R, const cJSON *spec) {
    const cJSON *list = cJSON_IsArray(spec) ? spec : NULL;
    int sent = 0;
    for (const cJSON *one = list ? list->child : spec; one; one = list ? one->next : NULL) {
        int sig = signal_number(one);
        if (!sig)
            return fail(R->err, sizeof R->err, "\"signal\": SIGINT or SIGTERM, or a list of them");
        if (sent++) pause_ms(SIGNAL_GAP_MS);
        kill(R->ch.pid, sig);
    }
    return sent ? 0 : fail(R->err, sizeof R->err, "\"signal\" names no signal");
}

static int play_step(run *R, const cJSON *step, int64_t deadline, int index) {
    request r = {0};
    char why[256];
    const char *expect = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(step, "expect"));
    int got = fake_wait(&R->f, &R->ch, &r, deadline, why, sizeof why);
    int rc = -1;
    if (got == 0)
        fail(R->err, sizeof R->err, "step %d: no request within the case time (want %s)", index,
             expect);
    else if (got == -1)
        fail(R->err, sizeof R->err, "step %d: process ended before sending %s", index, expect);
    else if (got == -2) fail(R->err, sizeof R->err, "step %d: %s", index, why);
    if (got != 1) goto out;
    char line[1100];
    snprintf(line, sizeof line, "%s %s", r.method, r.path);
    if (!expect || strcmp(line, expect) != 0) {
        fail(R->err, sizeof R->err, "step %d: got \"%s\", want \"%s\"", index, line,
             expect ? expect : "?");
        goto out;
    }
    const cJSON *gap = cJSON_GetObjectItemCaseSensitive(step, "min_gap_ms");
    if (cJSON_IsNumber(gap) && r.at_ms - R->f.answered_ms < (int64_t)gap->valuedouble) {
        fail(R->err, sizeof R->err, "step %d: came %lld ms after the last answer, want >= %.0f",
             index, (long long)(r.at_ms - R->f.answered_ms), gap->valuedouble);
        goto out;
    }
    if (check_wire(&r, why, sizeof why) != 0 ||
        check_request(cJSON_GetObjectItemCaseSensitive(step, "check"), &r, why, sizeof why) != 0) {
        fail(R->err, sizeof R->err, "step %d (%s): %s", index, line, why);
        goto out;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "drop"))) {
        fake_drop(&R->f); /* hang up without an answer */
    } else {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(step, "status");
        int post = strcmp(r.method, "POST") == 0;
        int status = cJSON_IsNumber(st) ? st->valueint : post ? 202 : 200;
        size_t len;
        char *body = step_body(step, &len);
        if (!cJSON_IsNumber(st) && post && strstr(r.path, "/response") &&
            r.body.len > FAKE_MAX_RESPONSE) {
            free(body); /* enforce the limit as RIE does */
            body = strdup(
                "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\","
                "\"errorType\":\"RequestEntityTooLarge\"}");
            if (!body) abort();
            len = strlen(body);
            status = 413;
        } else if (!cJSON_GetObjectItemCaseSensitive(step, "body") && post && status == 202 &&
                   len == 0) {
            free(body);
            body = strdup("{\"status\":\"OK\"}");
            if (!body) abort();
            len = strlen(body);
        }
        fake_answer(&R->f, status, step, body, len);
        free(body);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "close_after"))) fake_drop(&R->f);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "close_listener"))) {
        close(R->f.lfd); /* nothing listens any more: reconnecting must fail */
        R->f.lfd = -1;
    }
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(step, "signal");
    if (sig && send_signals(R, sig) != 0) goto out; /* while the answer is being handled */
    rc = 0;
out:
    req_free(&r);
    return rc;
}

/* After the script, the process must sit on an open GET /next for HOLD_MS. */
static int await_idle(run *R) {
    request r = {0};
    char why[256];
    int rc = -1;
    int got = fake_wait(&R->f, &R->ch, &r, mono_ms() + 2000, why, sizeof why);
    if (got != 1) {
        fail(R->err, sizeof R->err, "after the script: no GET /next (%s)",
             got == -1  ? "process ended"
             : got == 0 ? "timeout"
                        : why);
        goto out;
    }
    if (strcmp(r.method, "GET") != 0 || !strstr(r.path, "/invocation/next")) {
        fail(R->err, sizeof R->err, "after the script: unexpected %s %s", r.method, r.path);
        goto out;
    }
    pause_ms(HOLD_MS);
    child_poll(&R->ch);
    if (R->ch.exited) {
        fail(R->err, sizeof R->err, "process ended while waiting on /next");
        goto out;
    }
    rc = 0;
out:
    req_free(&r);
    return rc;
}

/* "running": alive on an open /next; then a 500 must make it exit 1 (which
 * also runs the sanitizers' leak check). */
static int finish_running(run *R) {
    if (await_idle(R) != 0) return -1;
    static const char shut[] =
        "{\"errorMessage\":\"shutdown\",\"errorType\":\"Runtime.TestShutdown\"}";
    fake_answer(&R->f, 500, NULL, shut, sizeof shut - 1);
    return 0;
}

/* The process must end, sending nothing more, within within_ms: with exit
 * code want_code, or by signal want_signal when that is not 0. */
static int expect_exit(run *R, int want_code, int want_signal, int64_t within_ms) {
    int64_t until = mono_ms() + within_ms;
    request r = {0};
    char why[256];
    int rc = -1;
    int got = fake_wait(&R->f, &R->ch, &r, until, why, sizeof why);
    if (got == 1)
        fail(R->err, sizeof R->err, "unexpected request %s %s (want the process to exit)", r.method,
             r.path);
    else if (got != -1)
        fail(R->err, sizeof R->err, "process still running %lld ms after the script",
             (long long)within_ms);
    else if (want_signal) {
        if (!WIFSIGNALED(R->ch.status) || WTERMSIG(R->ch.status) != want_signal) {
            describe_status(R->ch.status, why, sizeof why);
            fail(R->err, sizeof R->err, "process ended with %s, want signal %d", why, want_signal);
        } else rc = 0;
    } else if (!WIFEXITED(R->ch.status) || WEXITSTATUS(R->ch.status) != want_code) {
        describe_status(R->ch.status, why, sizeof why);
        fail(R->err, sizeof R->err, "process ended with %s, want exit %d%s", why, want_code,
             WIFEXITED(R->ch.status) && WEXITSTATUS(R->ch.status) == SANITIZER_EXIT
                 ? " (sanitizer report on stderr)"
                 : "");
    } else rc = 0;
    req_free(&r);
    return rc;
}

static char *read_file(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    dstr s = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) dstr_append(&s, buf, n);
    fclose(fp);
    *len = s.len;
    return dstr_take(&s);
}

static int check_log(run *R, const cJSON *kase) {
    size_t len;
    char *log = read_file(R->log_path.ptr, &len);
    int rc = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(
                              kase, "log_contains")) if (rc == 0 &&
                                                         (!log || !strstr(log, s->valuestring)))
        rc = fail(R->err, sizeof R->err, "log lacks \"%s\" (%s)", s->valuestring, R->log_path.ptr);
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(
                              kase, "log_lacks")) if (rc == 0 && log && strstr(log, s->valuestring))
        rc = fail(R->err, sizeof R->err, "log contains \"%s\" (%s)", s->valuestring,
                  R->log_path.ptr);
    free(log);
    return rc;
}

static int play_case(run *R, const cJSON *kase, const char *bin) {
    int port;
    if (fake_listen(&R->f, &port) != 0)
        return fail(R->err, sizeof R->err, "cannot listen: %s", strerror(errno));
    const cJSON *tm = cJSON_GetObjectItemCaseSensitive(kase, "timeout_ms");
    int64_t deadline =
        mono_ms() + (cJSON_IsNumber(tm) ? (int64_t)tm->valuedouble : DEFAULT_CASE_MS);
    if (child_start(&R->ch, bin, port, cJSON_GetObjectItemCaseSensitive(kase, "env"),
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kase, "stdout")),
                    R->log_path.ptr) != 0)
        return fail(R->err, sizeof R->err, "cannot start %s", bin);
    int i = 0;
    const cJSON *step;
    cJSON_ArrayForEach(
        step, cJSON_GetObjectItemCaseSensitive(kase, "script")) if (play_step(R, step, deadline,
                                                                              ++i) != 0) return -1;
    const char *then = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kase, "then"));
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(kase, "exit_code");
    const cJSON *within = cJSON_GetObjectItemCaseSensitive(kase, "within_ms");
    int want_signal = signal_number(cJSON_GetObjectItemCaseSensitive(kase, "exit_signal"));
    int64_t within_ms = cJSON_IsNumber(within) ? (int64_t)within->valuedouble : 1000;
    if (then && strcmp(then, "running") == 0) {
        if (finish_running(R) != 0 || expect_exit(R, 1, 0, SHUTDOWN_MS) != 0) return -1;
    } else if (then && strcmp(then, "exit") == 0) {
        if (expect_exit(R, cJSON_IsNumber(code) ? code->valueint : 1, want_signal, within_ms) != 0)
            return -1;
    } else if (then && strcmp(then, "signal") == 0) { /* sent while idle on /next */
        if (await_idle(R) != 0 ||
            send_signals(R, cJSON_GetObjectItemCaseSensitive(kase, "signal")) != 0 ||
            expect_exit(R, cJSON_IsNumber(code) ? code->valueint : 0, want_signal, within_ms) != 0)
            return -1;
    } else {
        return fail(R->err, sizeof R->err,
                    "case needs \"then\": \"running\", \"exit\" or \"signal\"");
    }
    const cJSON *conns = cJSON_GetObjectItemCaseSensitive(kase, "connections");
    if (cJSON_IsNumber(conns) && R->f.accepted != (unsigned)conns->valueint)
        return fail(R->err, sizeof R->err, "%u TCP connections, want %d", R->f.accepted,
                    conns->valueint);
    return check_log(R, kase);
}

static int run_case(const char *path, const char *bin, const char *log_dir) {
    size_t len;
    char *text = read_file(path, &len);
    cJSON *kase = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    run R = {.name = base};
    R.f.lfd = R.f.cfd = -1;
    dstr_printf(&R.log_path, "%s/%.*s.log", log_dir, (int)(strlen(base) - 5), base);
    int64_t t0 = mono_ms();
    int rc =
        kase ? play_case(&R, kase, bin) : fail(R.err, sizeof R.err, "%s is not valid JSON", path);
    child_kill(&R.ch);
    fake_close(&R.f);
    const char *title = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kase, "name"));
    printf("[%s] %s (%s, %lld ms)%s%s\n", rc == 0 ? "  OK  " : " FAIL ", title ? title : base, base,
           (long long)(mono_ms() - t0), rc ? "\n         " : "", rc ? R.err : "");
    fflush(stdout);
    cJSON_Delete(kase);
    dstr_free(&R.log_path);
    return rc;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <build-dir> [cases-dir]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *cases_dir = argc > 2 ? argv[2] : "tests/runtime/cases";
    dstr bin = {0}, log_dir = {0};
    dstr_printf(&bin, "%s/bin/rt_echo_fn", argv[1]);
    dstr_printf(&log_dir, "%s/tests/conformance-logs", argv[1]);
    mkdir(log_dir.ptr, 0755);
    if (access(bin.ptr, X_OK) != 0) {
        fprintf(stderr, "%s: not built (make VARIANT=... %s)\n", bin.ptr, bin.ptr);
        dstr_free(&bin);
        dstr_free(&log_dir);
        return 2;
    }
    DIR *d = opendir(cases_dir);
    if (!d) {
        fprintf(stderr, "%s: %s\n", cases_dir, strerror(errno));
        dstr_free(&bin);
        dstr_free(&log_dir);
        return 2;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
            dstr p = {0};
            dstr_printf(&p, "%s/%s", cases_dir, e->d_name);
            names[n++] = dstr_take(&p);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (run_case(names[i], bin.ptr, log_dir.ptr) == 0) passed++;
        else failed++;
        free(names[i]);
    }
    printf("conformance: %d passed, %d failed\n", passed, failed);
    dstr_free(&bin);
    dstr_free(&log_dir);
    return failed || passed == 0 ? 1 : 0;
}
