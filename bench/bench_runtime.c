/* bench_runtime: cold start, warm round trip, throughput and peak RSS of a
 * Lambda bootstrap, measured against a minimal fast Runtime API.
 *
 *   bench_runtime <bootstrap> <event.json | inline JSON> [warm_invocations=20000] [cold_spawns=30]
 *
 * The fake API listens on 127.0.0.1 (ephemeral port), answers GET /next with
 * the event (Content-Length framing, keep-alive) and every POST with 202.
 *   cold start  spawn -> first response POST fully received (median of the spawns)
 *   warm        /next answer written -> response POST fully received (median, p99)
 *   throughput  invocations per second over the warm run (includes the
 *               runtime's turnaround to the next GET /next)
 *   peak RSS    VmHWM of the warm child, read while it waits on /next
 *   RSS growth  VmRSS at the end of the warm run minus at 10% of it: per-invocation
 *               state that piles up in a process that lives for hours shows here
 * Every child is killed and reaped; every wait is bounded (10 s). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/dstr.h"

extern char **environ;

#define WAIT_MS 10000

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ the server */

typedef struct conn {
    int fd;
    dstr in; /* received, in.ptr[used..] unparsed */
    size_t used;
} conn;

typedef struct request {
    int is_post;
    char path[256];
    size_t body_len;
} request;

static int wait_readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    while ((n = poll(&p, 1, WAIT_MS)) < 0 && errno == EINTR) {
    }
    return n > 0 ? 0 : -1;
}

static const char *find_head_end(const char *p, size_t n) {
    for (size_t i = 0; i + 4 <= n; i++)
        if (p[i] == '\r' && memcmp(p + i, "\r\n\r\n", 4) == 0) return p + i;
    return NULL;
}

static size_t content_length(const char *head, size_t n) {
    static const char key[] = "\r\ncontent-length:";
    for (size_t i = 0; i + sizeof key - 1 < n; i++)
        if (strncasecmp(head + i, key, sizeof key - 1) == 0)
            return strtoul(head + i + sizeof key - 1, NULL, 10);
    return 0;
}

/* Reads one whole request; -1 on EOF, error or 10 s of silence. */
static int read_request(conn *c, request *q) {
    for (;;) {
        const char *start = c->in.ptr ? c->in.ptr + c->used : "";
        size_t avail = c->in.len - c->used;
        const char *end = find_head_end(start, avail);
        if (end) {
            size_t head = (size_t)(end - start) + 4;
            size_t body = content_length(start, head);
            if (avail >= head + body) {
                q->is_post = strncmp(start, "POST ", 5) == 0;
                const char *path = memchr(start, ' ', head);
                size_t n = path ? strcspn(path + 1, " \r") : 0;
                if (n >= sizeof q->path) n = sizeof q->path - 1;
                memcpy(q->path, path ? path + 1 : "", n);
                q->path[n] = '\0';
                q->body_len = body;
                c->used += head + body;
                if (c->used == c->in.len) c->used = c->in.len = 0;
                return 0;
            }
        }
        dstr_reserve(&c->in, 64 * 1024);
        ssize_t got = recv(c->fd, c->in.ptr + c->in.len, c->in.cap - c->in.len - 1, MSG_DONTWAIT);
        if (got > 0) {
            c->in.len += (size_t)got;
            continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EINTR) || wait_readable(c->fd) != 0) return -1;
    }
}

static int send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Every event gets its own trace id, as on Lambda (per-invocation state must not pile up). */
static int send_event(conn *c, const char *event, size_t len, const char *id) {
    static unsigned long long serial;
    dstr out = {0};
    dstr_printf(
        &out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Lambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: %lld\r\n"
        "Lambda-Runtime-Invoked-Function-Arn: "
        "arn:aws:lambda:eu-west-1:123456789012:function:bench\r\n"
        "Lambda-Runtime-Trace-Id: Root=1-%08llx-%024llu;Parent=53995c3f42cd8ad8;Sampled=0\r\n"
        "Content-Length: %zu\r\n\r\n",
        id, (long long)(wall_ms() + 30000), (unsigned long long)(wall_ms() / 1000), ++serial, len);
    dstr_append(&out, event, len);
    int rc = send_all(c->fd, out.ptr, out.len);
    dstr_free(&out);
    return rc;
}

static int send_accepted(conn *c) {
    static const char ok[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                             "Content-Length: 16\r\n\r\n{\"status\":\"OK\"}\n";
    return send_all(c->fd, ok, sizeof ok - 1);
}

static int accept_conn(int lfd, conn *c) {
    if (wait_readable(lfd) != 0) return -1;
    c->fd = accept(lfd, NULL, NULL);
    if (c->fd < 0) return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->used = 0;
    dstr_clear(&c->in);
    return 0;
}

static void conn_close(conn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

/* ------------------------------------------------------------ the child */

static pid_t spawn(const char *bootstrap, int port) {
    size_t n = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 2, sizeof *env);
    if (!env) abort();
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "AWS_LAMBDA_RUNTIME_API=", 23) != 0) env[k++] = environ[i];
    char api[64];
    snprintf(api, sizeof api, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:%d", port);
    env[k++] = api;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)bootstrap, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, bootstrap, &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    return rc == 0 ? pid : -1;
}

static void reap(pid_t pid, struct rusage *ru) {
    kill(pid, SIGKILL);
    int status;
    while (wait4(pid, &status, 0, ru) < 0 && errno == EINTR) {
    }
}

/* A "Vm...:" field of /proc/<pid>/status in kB, or -1. */
static long vm_kb(pid_t pid, const char *field) {
    char path[64], line[256];
    size_t n = strlen(field);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *fp = fopen(path, "r");
    long kb = -1;
    while (fp && fgets(line, sizeof line, fp))
        if (strncmp(line, field, n) == 0) kb = strtol(line + n, NULL, 10);
    if (fp) fclose(fp);
    return kb;
}

/* One invocation on an established connection whose GET /next has been read. */
static int invoke(conn *c, const char *event, size_t len, const char *id, int *errors) {
    request q;
    if (send_event(c, event, len, id) != 0 || read_request(c, &q) != 0 || !q.is_post) return -1;
    if (!strstr(q.path, id) || !strstr(q.path, "/response")) (*errors)++;
    return send_accepted(c);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t pct(int64_t *v, size_t n, double p) {
    qsort(v, n, sizeof *v, cmp_i64);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

/* ------------------------------------------------------------- the runs */

/* faults (NULL: not kept): each child's page faults (getrusage's minor and
 * major), counted until it is killed right after its answer was read */
static int cold_starts(int lfd, int port, const char *boot, const char *ev, size_t len, int spawns,
                       int64_t *cold_ns, int64_t *faults, int *errors) {
    conn c = {.fd = -1};
    int rc = 0;
    for (int i = 0; i < spawns && rc == 0; i++) {
        int64_t t0 = now_ns();
        pid_t pid = spawn(boot, port);
        if (pid < 0) return -1;
        request q;
        char id[32];
        snprintf(id, sizeof id, "cold-%d", i);
        rc = accept_conn(lfd, &c) != 0 || read_request(&c, &q) != 0 || q.is_post ? -1 : 0;
        if (rc == 0 && (rc = invoke(&c, ev, len, id, errors)) == 0) cold_ns[i] = now_ns() - t0;
        struct rusage ru;
        memset(&ru, 0, sizeof ru);
        reap(pid, &ru);
        if (faults) faults[i] = ru.ru_minflt + ru.ru_majflt;
        conn_close(&c);
    }
    dstr_free(&c.in);
    return rc;
}

static int warm_run(int lfd, int port, const char *boot, const char *ev, size_t len, int n,
                    int64_t *rt_ns, double *per_sec, long rss_kb[2], long *hwm_kb, long *maxrss_kb,
                    int *errors) {
    conn c = {.fd = -1};
    pid_t pid = spawn(boot, port);
    if (pid < 0) return -1;
    request q;
    int rc = accept_conn(lfd, &c) != 0 || read_request(&c, &q) != 0 ? -1 : 0;
    int64_t start = now_ns();
    for (int i = 0; i < n && rc == 0; i++) {
        char id[32];
        snprintf(id, sizeof id, "warm-%d", i);
        int64_t t0 = now_ns();
        rc = invoke(&c, ev, len, id, errors);
        rt_ns[i] = now_ns() - t0;
        if (rc == 0) rc = read_request(&c, &q); /* its next GET /next: the child is idle again */
        if (i == n / 10) rss_kb[0] = vm_kb(pid, "VmRSS:");
    }
    rss_kb[1] = vm_kb(pid, "VmRSS:");
    *per_sec = (double)n / ((double)(now_ns() - start) / 1e9);
    *hwm_kb = vm_kb(pid, "VmHWM:");
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    reap(pid, &ru);
    *maxrss_kb = ru.ru_maxrss;
    conn_close(&c);
    dstr_free(&c.in);
    return rc;
}

/* --compare: the cold starts of several bootstraps, interleaved round by
 * round so that a noisy machine moves them together. A spec is
 * NAME=BOOTSTRAP[,KEY=VALUE...]; its pairs are in the environment of its
 * spawns only. Prints each one's median, p10 and p90, the median as a
 * multiple of the first one's and of the last one's, and the median of its
 * page faults (where the time of a cold start goes: a fault costs several
 * system calls' time). */
#define CMP_MAX 8
#define CMP_MAX_ENV 8

typedef struct cmp_variant {
    char *name, *boot;
    char *env[CMP_MAX_ENV]; /* KEY=VALUE, split at the '=' on use */
    size_t n_env;
    int64_t *cold;
    int64_t *faults;
} cmp_variant;

static void cmp_env(cmp_variant *v, int set) {
    for (size_t i = 0; i < v->n_env; i++) {
        char *eq = strchr(v->env[i], '=');
        *eq = '\0';
        if (set) setenv(v->env[i], eq + 1, 1);
        else unsetenv(v->env[i]);
        *eq = '=';
    }
}

static int compare(int lfd, int port, const char *ev, size_t len, int rounds, int n, char **specs) {
    cmp_variant v[CMP_MAX] = {0};
    int rc = n < 1 || n > CMP_MAX || rounds < 1 ? -1 : 0;
    for (int i = 0; i < n && rc == 0; i++) {
        v[i].name = strdup(specs[i]);
        if (!v[i].name) abort();
        char *eq = strchr(v[i].name, '=');
        if (!eq) {
            rc = -1;
            break;
        }
        *eq = '\0';
        v[i].boot = strtok(eq + 1, ",");
        for (char *kv; (kv = strtok(NULL, ",")) && rc == 0;) {
            if (!strchr(kv, '=') || v[i].n_env == CMP_MAX_ENV) rc = -1;
            else v[i].env[v[i].n_env++] = kv;
        }
        v[i].cold = calloc((size_t)rounds, sizeof *v[i].cold);
        v[i].faults = calloc((size_t)rounds, sizeof *v[i].faults);
        if (!v[i].cold || !v[i].faults) abort();
        if (!v[i].boot || access(v[i].boot, X_OK) != 0) rc = -1;
    }
    if (rc != 0)
        fprintf(stderr,
                "bench_runtime --compare: need 1-%d NAME=BOOTSTRAP[,KEY=VALUE...] with an "
                "executable bootstrap\n",
                CMP_MAX);
    int errors = 0;
    for (int r = 0; r < rounds && rc == 0; r++)
        for (int i = 0; i < n && rc == 0; i++) {
            cmp_env(&v[i], 1);
            rc = cold_starts(lfd, port, v[i].boot, ev, len, 1, &v[i].cold[r], &v[i].faults[r],
                             &errors);
            cmp_env(&v[i], 0);
            if (rc != 0)
                fprintf(stderr, "bench_runtime: %s stopped answering the Runtime API\n", v[i].boot);
        }
    if (rc == 0) {
        double first = (double)pct(v[0].cold, (size_t)rounds, 0.5);
        double last = (double)pct(v[n - 1].cold, (size_t)rounds, 0.5);
        printf("cold start, spawn -> 1st response posted; %d interleaved rounds, event %zu bytes\n",
               rounds, len);
        printf("%-16s %10s %8s %8s %9s %9s %7s\n", "variant", "median_ms", "p10_ms", "p90_ms",
               "x_first", "x_last", "faults");
        for (int i = 0; i < n; i++) {
            double m = (double)pct(v[i].cold, (size_t)rounds, 0.5);
            printf("%-16s %10.2f %8.2f %8.2f %9.2f %9.2f %7lld\n", v[i].name, m / 1e6,
                   (double)pct(v[i].cold, (size_t)rounds, 0.1) / 1e6,
                   (double)pct(v[i].cold, (size_t)rounds, 0.9) / 1e6, m / first, m / last,
                   (long long)pct(v[i].faults, (size_t)rounds, 0.5));
        }
        if (errors) printf("%d invocations were not answered on .../<id>/response\n", errors);
    }
    for (int i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].cold);
        free(v[i].faults);
    }
    return rc == 0 && errors == 0 ? 0 : 1;
}

static char *load_event(const char *arg, size_t *len) {
    const char *p = arg;
    while (isspace((unsigned char)*p)) p++;
    dstr s = {0};
    if (*p == '{' || *p == '[') {
        dstr_puts(&s, arg);
    } else {
        FILE *fp = fopen(arg, "rb");
        if (!fp) return NULL;
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, fp)) > 0) dstr_append(&s, buf, n);
        fclose(fp);
    }
    *len = s.len;
    return dstr_take(&s);
}

static int listen_loopback(int *port) {
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 8) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("bench_runtime: listen");
        return -1;
    }
    *port = ntohs(a.sin_port);
    return lfd;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(
            stderr,
            "usage: %s <bootstrap> <event.json | inline JSON> [warm_invocations] [cold_spawns]\n"
            "       %s --compare <event.json | inline JSON> <rounds> "
            "NAME=BOOTSTRAP[,KEY=VALUE...]...\n",
            argv[0], argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(argv[1], "--compare") == 0) {
        size_t len;
        char *event = argc > 4 ? load_event(argv[2], &len) : NULL;
        int port, lfd = event ? listen_loopback(&port) : -1;
        int rc = lfd < 0 ? 2 : compare(lfd, port, event, len, atoi(argv[3]), argc - 4, argv + 4);
        if (lfd >= 0) close(lfd);
        free(event);
        return rc;
    }
    const char *boot = argv[1];
    int warm = argc > 3 ? atoi(argv[3]) : 20000;
    int spawns = argc > 4 ? atoi(argv[4]) : 30;
    size_t len;
    char *event = load_event(argv[2], &len);
    if (!event || warm < 1 || spawns < 1 || access(boot, X_OK) != 0) {
        fprintf(stderr,
                "bench_runtime: need an executable bootstrap, a readable event, counts >= 1\n");
        free(event);
        return 2;
    }
    int port, lfd = listen_loopback(&port);
    if (lfd < 0) {
        free(event);
        return 1;
    }
    int64_t *cold = calloc((size_t)spawns, sizeof *cold), *rt = calloc((size_t)warm, sizeof *rt);
    if (!cold || !rt) abort();
    int errors = 0;
    double per_sec = 0;
    long hwm = -1, maxrss = -1, rss[2] = {-1, -1};
    int rc = cold_starts(lfd, port, boot, event, len, spawns, cold, NULL, &errors);
    if (rc == 0)
        rc = warm_run(lfd, port, boot, event, len, warm, rt, &per_sec, rss, &hwm, &maxrss, &errors);
    if (rc != 0) {
        fprintf(stderr, "bench_runtime: %s stopped answering the Runtime API\n", boot);
    } else {
        printf("bench_runtime: %s, event %zu bytes\n", boot, len);
        printf("  %-46s %10.2f ms   (p10 %.2f, p90 %.2f)\n",
               "cold start, spawn -> 1st response (median)",
               (double)pct(cold, (size_t)spawns, 0.5) / 1e6,
               (double)pct(cold, (size_t)spawns, 0.1) / 1e6,
               (double)pct(cold, (size_t)spawns, 0.9) / 1e6);
        printf("  %-46s %10.1f us   (p99 %.1f)\n", "warm round trip, /next -> response (median)",
               (double)pct(rt, (size_t)warm, 0.5) / 1e3, (double)pct(rt, (size_t)warm, 0.99) / 1e3);
        printf("  %-46s %10.0f inv/s (%d invocations)\n", "throughput, warm", per_sec, warm);
        printf("  %-46s %10.2f MB   (ru_maxrss %.2f MB)\n", "peak RSS of the warm child (VmHWM)",
               (double)hwm / 1024.0, (double)maxrss / 1024.0);
        printf("  %-46s %10.2f MB   (VmRSS after 10%% of the run %.2f MB, at the end %.2f MB)\n",
               "RSS growth over the last 90% of the warm run", (double)(rss[1] - rss[0]) / 1024.0,
               (double)rss[0] / 1024.0, (double)rss[1] / 1024.0);
        if (errors) printf("  %d invocations were not answered on .../<id>/response\n", errors);
    }
    close(lfd);
    free(cold);
    free(rt);
    free(event);
    return rc == 0 && errors == 0 ? 0 : 1;
}
