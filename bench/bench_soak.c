/* bench_soak: a soak run of the local gateway. SOAK_REQUESTS (default 100,000)
 * warm requests over SOAK_CONNECTIONS (default 3) keep-alive connections:
 * mixed read-only routes, bad queries, an unknown route and scripted upstream
 * faults; the RSS of the gateway and of every function process is sampled
 * after each tenth of the run, while no request is in flight.
 *
 *   bench_soak            (from the repository root; `make bench` runs it)
 *
 * It starts <build>/bin/fake_binance (the bundled replay data; faults loaded
 * through its control API before each tenth) and <build>/bin/gateway (the
 * functions of <build>, the journal and the logs in a temporary directory on
 * tmpfs, /dev/shm when there is one, so the disk does not fill), and prints:
 *   windows  per tenth: requests per second, and every process's VmRSS
 *   RSS      per process after 10 % and after 100 % of the requests; target:
 *            growth <= 1024 kB (10 bytes kept per invocation over 90,000
 *            invocations would be 0.9 MB). A function whose pid changed
 *            (restarted) fails: a new process would hide a leak
 *   rate     requests per second, median over the tenths
 *   answers  every status received, requests without an answer, and answers
 *            whose status is not the one their kind must get
 * Exit status 1 when a process breaks the target or restarted, or a request
 * got no answer or an unexpected status; 2 when the run could not start.
 * SOAK_KEEP=1 keeps the temporary directory (journal, gateway log). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/config.h"
#include "platform/dstr.h"

extern char **environ;

enum {
    WINDOWS = 10,         /* RSS samples: after each tenth of the run */
    CYCLE = 10000,        /* the mix repeats every CYCLE requests */
    MAX_PROCS = 16,       /* the gateway and its function processes */
    RETRIES = 2,          /* BINANCE_HTTP_RETRIES the gateway's functions get */
    GROWTH_MAX_KB = 1024, /* the target */
    START_WAIT_MS = 10000,
};

/* Upstream faults, each scripted on requests that only its own kind sends
 * (signals asks for depth 20 and klines 5m/1h/4h/1d; the market kinds use
 * other limits and intervals), so no fault lands on another request. */
typedef enum { F_NONE, F_5XX, F_429, F_CLOSE, F_TRUNCATE, F_HANG, F_COUNT } fault;

static const struct {
    const char *match, *answer;
} fault_steps[F_COUNT] = {
    [F_5XX] = {"{\"path\":\"/fapi/v1/depth\",\"params\":{\"symbol\":\"ETHUSDT\",\"limit\":\"50\"}}",
               "{\"status\":503,\"json\":{\"code\":-1001,\"msg\":\"Internal error; unable to "
               "process your request. Please try again.\"}}"},
    [F_429] =
        {"{\"path\":\"/fapi/v1/depth\",\"params\":{\"symbol\":\"ETHUSDT\",\"limit\":\"500\"}}",
         "{\"status\":429,\"json\":{\"code\":-1003,\"msg\":\"Too many requests.\"}}"},
    [F_CLOSE] = {"{\"path\":\"/fapi/v1/klines\",\"params\":{\"symbol\":\"ETHUSDT\",\"interval\":"
                 "\"30m\"}}",
                 "{\"close\":true}"},
    [F_TRUNCATE] = {"{\"path\":\"/fapi/v1/klines\",\"params\":{\"symbol\":\"ETHUSDT\","
                    "\"interval\":\"15m\"}}",
                    "{\"truncate\":true}"},
    /* past BINANCE_HTTP_TIMEOUT_MS (300) on every attempt */
    [F_HANG] = {"{\"path\":\"/fapi/v1/klines\",\"params\":{\"symbol\":\"ETHUSDT\",\"interval\":"
                "\"2h\"}}",
                "{\"replay\":true,\"delay_ms\":1000}"},
};

typedef struct kind {
    const char *method, *target; /* target: path and query */
    int status;                  /* the answer it must get */
    fault fault;
    int per_cycle; /* how many of every CYCLE requests */
} kind;

static const kind kinds[] = {
    {"GET", "/health", 200, F_NONE, 3380},
    {"GET", "/api/candles?symbol=BTCUSDT&tf=1h&limit=3", 200, F_NONE, 1200},
    {"GET", "/api/candles?symbol=ETHUSDT&tf=5m&limit=100", 200, F_NONE, 600},
    {"GET", "/api/candles?symbol=BTCUSDT&tf=4h&limit=500", 200, F_NONE, 300},
    {"GET", "/api/candles?symbol=ETHUSDT&tf=1d&limit=30", 200, F_NONE, 300},
    {"GET", "/api/orderbook?symbol=BTCUSDT&limit=10", 200, F_NONE, 1000},
    {"GET", "/api/orderbook?symbol=ETHUSDT&limit=5", 200, F_NONE, 600},
    {"GET", "/api/orderbook?symbol=BTCUSDT&limit=100", 200, F_NONE, 400},
    {"GET", "/api/signals/latest?symbol=BTCUSDT", 200, F_NONE, 300},
    {"GET", "/api/signals/latest?symbol=ETHUSDT", 200, F_NONE, 200},
    {"GET", "/api/signals?limit=5", 200, F_NONE, 100},
    {"GET", "/api/logs?lines=20", 200, F_NONE, 20},
    {"GET", "/api/trades?limit=10", 200, F_NONE, 100},
    {"GET", "/api/candles?symbol=btc", 400, F_NONE, 200},
    {"GET", "/api/candles?symbol=BTCUSDT&foo=1", 400, F_NONE, 100},
    {"GET", "/api/candles?symbol=BTCUSDT&tf=2x", 400, F_NONE, 100},
    {"GET", "/api/orderbook?symbol=BTCUSDT&limit=7", 400, F_NONE, 200},
    {"GET", "/api/signals?limit=0", 400, F_NONE, 100},
    {"GET", "/api/candles?symbol=XYZUSDT&tf=1h&limit=3", 400, F_NONE, 200}, /* Binance -1121 */
    {"GET", "/api/nope", 404, F_NONE, 400},
    {"POST", "/api/candles?symbol=BTCUSDT", 405, F_NONE, 100},
    {"GET", "/api/orderbook?symbol=ETHUSDT&limit=50", 502, F_5XX, 30},
    {"GET", "/api/orderbook?symbol=ETHUSDT&limit=500", 503, F_429, 30},
    {"GET", "/api/candles?symbol=ETHUSDT&tf=30m&limit=5", 502, F_CLOSE, 20},
    {"GET", "/api/candles?symbol=ETHUSDT&tf=15m&limit=5", 502, F_TRUNCATE, 17},
    {"GET", "/api/candles?symbol=ETHUSDT&tf=2h&limit=5", 504, F_HANG, 3},
};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };

typedef struct proc {
    char name[32]; /* "gateway" or the function's folder name */
    pid_t pid;     /* the newest seen */
    long rss_kb[WINDOWS];
    int restarted; /* its pid changed between two samples */
} proc;

typedef struct conn {
    CURL *easy;
    const kind *k;
    int busy;
} conn;

typedef struct soak {
    char build[PATH_MAX], dir[PATH_MAX], gateway_url[64], fake_url[64];
    pid_t gateway, fake;
    unsigned char seq[CYCLE]; /* kind of request i: kinds[seq[i % CYCLE]] */
    size_t requests, n_conns;
    CURLM *multi;
    conn *conns;
    proc procs[MAX_PROCS];
    size_t n_procs;
    double rate[WINDOWS];
    long codes[600], no_answer, unexpected, connects;
    long unexpected_by_kind[N_KINDS];
} soak;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) { stop_requested = sig; }

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long env_long(const char *name, long def, long min, long max) {
    const char *v = getenv(name);
    long n = def;
    if (v && *v && cfg_parse_long(v, min, max, &n) != 0) {
        fprintf(stderr, "bench_soak: %s must be a whole number from %ld to %ld\n", name, min, max);
        exit(2);
    }
    return n;
}

/* The mix: every kind per_cycle times in CYCLE slots, shuffled with a fixed
 * seed so runs are alike and no kind comes in bursts. */
static int make_sequence(soak *s) {
    size_t n = 0;
    for (size_t k = 0; k < N_KINDS; k++)
        for (int i = 0; i < kinds[k].per_cycle && n < CYCLE; i++) s->seq[n++] = (unsigned char)k;
    if (n != CYCLE) return -1;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = CYCLE - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t j = (size_t)(x % (i + 1));
        unsigned char t = s->seq[i];
        s->seq[i] = s->seq[j], s->seq[j] = t;
    }
    return 0;
}

/* ---- the servers ---------------------------------------------------------------- */

/* Starts argv[0] with stdout and stderr to log, then waits for its port file. */
static pid_t start_server(char *const argv[], const char *log, const char *port_file, int *port) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "bench_soak: cannot start %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    for (int64_t until = mono_ms() + START_WAIT_MS; mono_ms() < until;) {
        FILE *f = fopen(port_file, "r");
        int ok = f && fscanf(f, "%d", port) == 1;
        if (f) fclose(f);
        if (ok) return pid;
        if (waitpid(pid, NULL, WNOHANG) == pid) break;
        usleep(20000);
    }
    fprintf(stderr, "bench_soak: %s did not start (log: %s)\n", argv[0], log);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* SIGTERM, then SIGKILL if it has not ended within 10 s. */
static void stop_server(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (int64_t until = mono_ms() + 10000; mono_ms() < until; usleep(20000))
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static int start_servers(soak *s) {
    char bin[PATH_MAX + 32], log[PATH_MAX + 32], port_file[PATH_MAX + 32];
    int port;
    snprintf(bin, sizeof bin, "%s/bin/fake_binance", s->build);
    snprintf(log, sizeof log, "%s/fake_binance.log", s->dir);
    snprintf(port_file, sizeof port_file, "%s/fake.port", s->dir);
    char *fake_argv[] = {bin, "--port", "0", "--port-file", port_file, NULL};
    if ((s->fake = start_server(fake_argv, log, port_file, &port)) < 0) return -1;
    snprintf(s->fake_url, sizeof s->fake_url, "http://127.0.0.1:%d", port);

    /* The environment tests/run.sh gives its gateway, with short upstream
     * timeouts and backoffs so the faults cost little time, and the default
     * log level so every invocation writes its invocation log. */
    char journal[PATH_MAX + 32], journal_url[PATH_MAX + 48];
    snprintf(journal, sizeof journal, "%s/journal", s->dir);
    snprintf(journal_url, sizeof journal_url, "file://%s", journal);
    setenv("BINANCE_FAPI_BASE", s->fake_url, 1);
    setenv("BINANCE_USE_TESTNET", "false", 1);
    unsetenv("BINANCE_FUTURES_TESTNET");
    setenv("BINANCE_HTTP_TIMEOUT_MS", "300", 1);
    setenv("BINANCE_HTTP_RETRIES", "2", 1); /* RETRIES */
    setenv("BINANCE_HTTP_BACKOFF_MS", "5", 1);
    setenv("LOG_DIR", journal, 1);
    setenv("JOURNAL_URL", journal_url, 1);
    setenv("LOG_LEVEL", "info", 1);
    setenv("TZ", "UTC", 1);
    setenv("SYMBOLS", "BTCUSDT,ETHUSDT", 1);
    setenv("PREDICTOR", "builtin", 1);
    setenv("EXECUTE_TRADES", "false", 1);

    snprintf(bin, sizeof bin, "%s/bin/gateway", s->build);
    snprintf(log, sizeof log, "%s/gateway.log", s->dir);
    snprintf(port_file, sizeof port_file, "%s/gateway.port", s->dir);
    char *gw_argv[] = {bin,           "--functions-dir", s->build, "--no-scheduler", "--port", "0",
                       "--port-file", port_file,         NULL};
    if ((s->gateway = start_server(gw_argv, log, port_file, &port)) < 0) return -1;
    snprintf(s->gateway_url, sizeof s->gateway_url, "http://127.0.0.1:%d", port);
    return 0;
}

/* ---- process sampling ------------------------------------------------------------ */

/* VmRSS of pid in kB, or -1. */
static long rss_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

/* The parent of pid, or -1; the name field may hold spaces and parentheses,
 * so the fields are read after its last ')'. */
static pid_t parent_of(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    int ppid;
    return p && sscanf(p + 1, " %*c %d", &ppid) == 1 ? (pid_t)ppid : -1;
}

/* A function process runs <build>/<function>/bootstrap: its name is the folder. */
static int function_name(pid_t pid, char *name, size_t size) {
    char path[64], cmd[PATH_MAX];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(cmd, 1, sizeof cmd - 1, f);
    fclose(f);
    cmd[n] = '\0'; /* argv[0] ends at its NUL */
    char *slash = strrchr(cmd, '/');
    if (!slash || strcmp(slash, "/bootstrap") != 0) return -1;
    *slash = '\0';
    const char *dir = strrchr(cmd, '/');
    dir = dir ? dir + 1 : cmd;
    size_t len = strlen(dir);
    if (len >= size) return -1;
    memcpy(name, dir, len + 1);
    return 0;
}

static proc *proc_named(soak *s, const char *name) {
    for (size_t i = 0; i < s->n_procs; i++)
        if (strcmp(s->procs[i].name, name) == 0) return &s->procs[i];
    if (s->n_procs == MAX_PROCS) return NULL;
    proc *p = &s->procs[s->n_procs++];
    snprintf(p->name, sizeof p->name, "%s", name);
    for (int w = 0; w < WINDOWS; w++) p->rss_kb[w] = -1;
    return p;
}

static void sample(soak *s, int window) {
    proc *gw = proc_named(s, "gateway");
    gw->pid = s->gateway;
    gw->rss_kb[window] = rss_kb(s->gateway);
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char name[32], *end;
        long n = strtol(e->d_name, &end, 10);
        if (*end || n <= 0) continue;
        pid_t pid = (pid_t)n;
        if (parent_of(pid) != s->gateway || function_name(pid, name, sizeof name) != 0) continue;
        proc *p = proc_named(s, name);
        if (!p) continue;
        if (p->pid && p->pid != pid) p->restarted = 1;
        p->pid = pid;
        p->rss_kb[window] = rss_kb(pid);
    }
    if (d) closedir(d);
}

/* ---- the load -------------------------------------------------------------------- */

static size_t discard(char *data, size_t size, size_t n, void *ctx) {
    (void)data, (void)ctx;
    return size * n;
}

/* Loads the fault steps the requests [from, to) will use, replacing the
 * previous tenth's: 1 + RETRIES attempts each, twice over because libcurl
 * tries a request once more on a fresh connection when a kept-alive one closes
 * without an answer, and one request's worth to spare. */
static int load_faults(soak *s, size_t from, size_t to) {
    size_t need[F_COUNT] = {0};
    for (size_t i = from; i < to; i++) need[kinds[s->seq[i % CYCLE]].fault]++;
    dstr body = {0};
    dstr_putc(&body, '[');
    for (int f = F_NONE + 1; f < F_COUNT; f++)
        for (size_t i = 0; i < (need[f] + 1) * 2 * (1 + RETRIES); i++)
            dstr_printf(&body, "%s{\"match\":%s,\"answer\":%s}", body.len > 1 ? "," : "",
                        fault_steps[f].match, fault_steps[f].answer);
    dstr_putc(&body, ']');
    char url[128];
    snprintf(url, sizeof url, "%s/__fake/script", s->fake_url);
    CURL *c = curl_easy_init();
    long status = 0;
    if (c) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, dstr_cstr(&body));
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
    }
    dstr_free(&body);
    if (status != 200) fprintf(stderr, "bench_soak: the fault script was refused (%ld)\n", status);
    return status == 200 ? 0 : -1;
}

static void start_request(soak *s, conn *c, size_t i) {
    char url[512];
    c->k = &kinds[s->seq[i % CYCLE]];
    snprintf(url, sizeof url, "%s%s", s->gateway_url, c->k->target);
    curl_easy_setopt(c->easy, CURLOPT_URL, url);
    if (strcmp(c->k->method, "POST") == 0) {
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, 0L);
    } else {
        curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
    }
    curl_multi_add_handle(s->multi, c->easy);
    c->busy = 1;
}

static void end_request(soak *s, conn *c, CURLcode rc) {
    long status = 0, connects = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &connects);
    curl_multi_remove_handle(s->multi, c->easy);
    c->busy = 0;
    s->connects += connects;
    if (rc != CURLE_OK || status <= 0 || status >= 600) {
        s->no_answer++;
        return;
    }
    s->codes[status]++;
    if (status != c->k->status) {
        s->unexpected++;
        s->unexpected_by_kind[c->k - kinds]++;
    }
}

/* Requests [from, to), at most n_conns at a time; returns when all answered. */
static int run_window(soak *s, size_t from, size_t to) {
    size_t next = from, busy = 0;
    for (size_t i = 0; i < s->n_conns && next < to; i++, busy++)
        start_request(s, &s->conns[i], next++);
    while (busy > 0) {
        int running, left;
        if (curl_multi_perform(s->multi, &running) != CURLM_OK) return -1;
        CURLMsg *m;
        while ((m = curl_multi_info_read(s->multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            CURL *easy = m->easy_handle;
            CURLcode rc = m->data.result;
            conn *c = NULL;
            for (size_t i = 0; i < s->n_conns && !c; i++)
                if (s->conns[i].easy == easy) c = &s->conns[i];
            if (!c) return -1;
            end_request(s, c, rc);
            busy--;
            if (next < to && !stop_requested) {
                start_request(s, c, next++);
                busy++;
            }
        }
        if (busy > 0 && curl_multi_poll(s->multi, NULL, 0, 1000, NULL) != CURLM_OK) return -1;
    }
    return 0;
}

static int open_conns(soak *s) {
    if (!(s->multi = curl_multi_init())) return -1;
    /* keep-alive: n_conns connections, reused for the whole run */
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->n_conns);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->n_conns);
    s->conns = calloc(s->n_conns, sizeof *s->conns);
    if (!s->conns) return -1;
    for (size_t i = 0; i < s->n_conns; i++) {
        CURL *e = s->conns[i].easy = curl_easy_init();
        if (!e) return -1;
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L); /* a request past it has no answer */
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    }
    return 0;
}

static void close_conns(soak *s) {
    for (size_t i = 0; s->conns && i < s->n_conns; i++) {
        if (s->conns[i].busy) curl_multi_remove_handle(s->multi, s->conns[i].easy);
        curl_easy_cleanup(s->conns[i].easy);
    }
    free(s->conns);
    if (s->multi) curl_multi_cleanup(s->multi);
}

/* ---- the report ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t journal_objects, journal_bytes;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)path, (void)ftw;
    if (flag == FTW_F) journal_objects++, journal_bytes += (size_t)st->st_size;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void print_windows(const soak *s, size_t per_window) {
    printf("%8s %8s", "requests", "req/s");
    for (size_t p = 0; p < s->n_procs; p++) printf(" %10s", s->procs[p].name);
    printf("   (VmRSS kB once the tenth is answered)\n");
    for (int w = 0; w < WINDOWS; w++) {
        printf("%8zu %8.0f", per_window * (size_t)(w + 1), s->rate[w]);
        for (size_t p = 0; p < s->n_procs; p++) printf(" %10ld", s->procs[p].rss_kb[w]);
        printf("\n");
    }
}

/* The RSS table; returns how many processes break the target. */
static int print_rss(const soak *s, size_t per_window) {
    int failed = 0;
    char first[32], last[32];
    snprintf(first, sizeof first, "RSS@%zu kB", per_window);
    snprintf(last, sizeof last, "RSS@%zu kB", per_window * WINDOWS);
    printf("\n%-10s %8s %14s %14s %9s  %s\n", "process", "pid", first, last, "delta", "target");
    for (size_t p = 0; p < s->n_procs; p++) {
        const proc *q = &s->procs[p];
        long a = q->rss_kb[0], b = q->rss_kb[WINDOWS - 1], delta = b - a;
        const char *verdict = "ok";
        if (a < 0 || b < 0) verdict = "FAIL (not running at both samples)";
        else if (q->restarted) verdict = "FAIL (restarted: pid changed)";
        else if (delta > GROWTH_MAX_KB) verdict = "FAIL";
        failed += strcmp(verdict, "ok") != 0;
        printf("%-10s %8d %14ld %14ld %+9ld  <= +%d kB %s\n", q->name, (int)q->pid, a, b, delta,
               GROWTH_MAX_KB, verdict);
    }
    return failed;
}

static void print_answers(const soak *s, double seconds) {
    double r[WINDOWS];
    memcpy(r, s->rate, sizeof r);
    qsort(r, WINDOWS, sizeof *r, cmp_double);
    printf("\nthroughput: %.0f requests/s (median of the tenths; %.0f-%.0f), %zu requests in "
           "%.1f s over %zu connections (%ld opened)\n",
           (r[WINDOWS / 2 - 1] + r[WINDOWS / 2]) / 2, r[0], r[WINDOWS - 1], s->requests, seconds,
           s->n_conns, s->connects);
    printf("status codes:");
    for (int c = 0; c < 600; c++)
        if (s->codes[c]) printf(" %d: %ld", c, s->codes[c]);
    printf("; no answer: %ld; unexpected status: %ld\n", s->no_answer, s->unexpected);
    for (size_t k = 0; k < N_KINDS; k++)
        if (s->unexpected_by_kind[k])
            printf("  unexpected: %ld x %s %s (expected %d)\n", s->unexpected_by_kind[k],
                   kinds[k].method, kinds[k].target, kinds[k].status);
}

/* ---- main ------------------------------------------------------------------------ */

/* <build>/bench/bench_soak -> <build> */
static void build_dir(const char *argv0, char *out, size_t size) {
    snprintf(out, size, "%s", argv0);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(out, '/');
        if (slash) *slash = '\0';
        else snprintf(out, size, up ? "." : "..");
    }
}

static int make_dir(soak *s) {
    struct stat st;
    const char *tmp = getenv("TMPDIR");
    const char *base =
        stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
            ? "/dev/shm"
        : tmp && *tmp ? tmp
                      : "/tmp";
    snprintf(s->dir, sizeof s->dir, "%s/bench_soak.XXXXXX", base);
    if (mkdtemp(s->dir)) return 0;
    fprintf(stderr, "bench_soak: mkdtemp %s: %s\n", s->dir, strerror(errno));
    s->dir[0] = '\0';
    return -1;
}

static int soak_run(soak *s) {
    size_t per_window = s->requests / WINDOWS;
    printf("%zu requests through the gateway over %zu keep-alive connections; %zu kinds "
           "(routes, bad queries, upstream faults); journal in %s\n",
           s->requests, s->n_conns, (size_t)N_KINDS, s->dir);
    int64_t t0 = mono_ms();
    for (int w = 0; w < WINDOWS && !stop_requested; w++) {
        size_t from = per_window * (size_t)w, to = from + per_window;
        if (load_faults(s, from, to) != 0) return -1;
        int64_t w0 = mono_ms();
        if (run_window(s, from, to) != 0) {
            fprintf(stderr, "bench_soak: the HTTP client failed\n");
            return -1;
        }
        int64_t ms = mono_ms() - w0;
        s->rate[w] = (double)per_window * 1000.0 / (double)(ms > 0 ? ms : 1);
        sample(s, w);
        fprintf(stderr, "bench_soak: %zu of %zu requests, %.0f/s\n", to, s->requests, s->rate[w]);
    }
    if (stop_requested) {
        fprintf(stderr, "bench_soak: interrupted\n");
        return -1;
    }
    double seconds = (double)(mono_ms() - t0) / 1000.0;
    print_windows(s, per_window);
    int failed = print_rss(s, per_window);
    print_answers(s, seconds);
    return failed || s->no_answer || s->unexpected ? 1 : 0;
}

int main(int argc, char **argv) {
    (void)argc;
    static soak s;
    s.requests = (size_t)env_long("SOAK_REQUESTS", 100000, 100, 10000000);
    s.n_conns = (size_t)env_long("SOAK_CONNECTIONS", 3, 1, 64);
    s.requests -= s.requests % WINDOWS;
    build_dir(argv[0], s.build, sizeof s.build);
    if (make_sequence(&s) != 0) {
        fprintf(stderr, "bench_soak: the kinds' shares do not add up to %d\n", CYCLE);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || make_dir(&s) != 0) return 2;
    int rc = 2;
    if (start_servers(&s) == 0 && open_conns(&s) == 0) rc = soak_run(&s);
    if (rc == -1) rc = 2;
    close_conns(&s);
    stop_server(s.gateway);
    stop_server(s.fake);
    char journal[PATH_MAX + 16];
    snprintf(journal, sizeof journal, "%s/journal", s.dir);
    nftw(journal, count_entry, 16, FTW_PHYS);
    printf("journal: %zu objects, %.1f MB", journal_objects, (double)journal_bytes / 1e6);
    const char *keep = getenv("SOAK_KEEP");
    if (keep && strcmp(keep, "1") == 0) {
        printf(" (kept in %s)\n", s.dir);
    } else {
        nftw(s.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        printf(" (removed)\n");
    }
    curl_global_cleanup();
    return rc;
}
