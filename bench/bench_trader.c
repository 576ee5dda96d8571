/* bench_trader: the trader run that opens brackets on 2 symbols (issue 9
 * item 17), in process, against <build>/bin/fake_binance --account
 * tests/fakes/accounts/demo.json --latency-ms BENCH_LATENCY_MS (default 50:
 * every request, market data and account alike, waits that long before its
 * answer). Run it from the repository root (bench/run.sh does).
 *
 * Each run is trader_run() (pipelines/trader.h) with EXECUTE_TRADES=true on
 * BTCUSDT,ETHUSDT, a fresh journal (a new file store under $TMPDIR, so the
 * claims are new) and the fake's account reset (POST /__fake/reset): read
 * batch -> reconcile -> decisions -> gates -> set-up -> claims and plans ->
 * entries -> legs. A run counts only when both symbols end "protected"
 * (else the bench fails and says why).
 *  - cold: a new process state (pl_resources: a new HTTP client without
 *    connections, an exchange without the server-time offset or the rules),
 *    so the run syncs the clock (/fapi/v1/time) and reads exchangeInfo;
 *  - warm: the same state as the run before it, as in a warm Lambda: the
 *    connections, the time offset and the exchange rules are kept; the
 *    account set-up is read in the run's one batch (see binance_exchange.h).
 * The set-up of demo.json (5x ISOLATED) is what the configuration asks, so
 * neither run changes it (no ex_configure batch).
 *
 * Printed: per kind the runs, median / min / max in ms, the median as a
 * multiple of the latency, and the exchange round trips on the critical
 * path: the fake's request records (GET /__fake/requests, arrival times
 * since the reset) grouped into bursts, a new burst when a request arrives
 * more than half the latency after the one before (a batch's requests
 * arrive together; the next batch waits for the answers), and the number
 * of requests.
 *
 * The decision: the built-in model's direction depends on the replayed time
 * of day (FLAT most of the time), and this measures execution, not the
 * model. So the predictor is the built-in one (its features, its cost), but
 * a FLAT answer becomes LONG, the probability 0.9 and the support and
 * resistance are dropped (a level between the entry and the target would
 * shrink the reward); RR_MIN=0.01 (the smallest allowed) so the reward/risk
 * gate never refuses. Other settings: MAX_OPEN_POSITIONS=2, the defaults
 * (RISK_USDT 100, LEVERAGE 5, ISOLATED, MARKET entries).
 *
 * The journal is a file store in a temporary directory: $TMPDIR, else
 * /dev/shm (tmpfs), else /tmp. In Lambda it is S3; on a disk the fsyncs of
 * the run's records (decisions, claims, plans, the run record) add their
 * own time (12-25 ms a run on this machine's ext4 with TMPDIR=/tmp).
 *
 * Environment: BENCH_RUNS (warm runs, default 10), BENCH_COLD_RUNS (3),
 * BENCH_LATENCY_MS (50), TMPDIR. The trader's log lines (info level, as in
 * production) go to a file that is kept (and named) when the bench fails. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domain/predictor.h"
#include "pipelines/env.h"
#include "pipelines/trader.h"
#include "platform/clock.h"
#include "platform/config.h"
#include "platform/http.h"
#include "platform/log.h"
#include "store/store.h"

extern char **environ;

#define N_SYMBOLS 2
#define MAX_RUNS 200

static const char *const symbols[N_SYMBOLS] = {"BTCUSDT", "ETHUSDT"};
static const char account_file[] = "tests/fakes/accounts/demo.json";

static double mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long env_long(const char *name, long def, long min, long max) {
    const char *v = getenv(name);
    long n;
    if (!v || !*v) return def;
    if (cfg_parse_long(v, min, max, &n) != 0) {
        fprintf(stderr, "bench_trader: %s=%s: want %ld..%ld\n", name, v, min, max);
        exit(2);
    }
    return n;
}

/* ---- the fake exchange ------------------------------------------------------------ */

static pid_t start_fake(const char *build, const char *dir, long latency, int *port) {
    char bin[PATH_MAX + 32], log[PATH_MAX + 32], port_file[PATH_MAX + 32], lat[24];
    snprintf(bin, sizeof bin, "%s/bin/fake_binance", build);
    snprintf(log, sizeof log, "%s/fake_binance.log", dir);
    snprintf(port_file, sizeof port_file, "%s/fake.port", dir);
    snprintf(lat, sizeof lat, "%ld", latency);
    char *argv[] = {bin,           "--port",    "0",
                    "--port-file", port_file,   "--latency-ms",
                    lat,           "--account", (char *)account_file,
                    NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "bench_trader: cannot start %s: %s\n", bin, strerror(rc));
        return -1;
    }
    for (double until = mono_ms() + 10000; mono_ms() < until; usleep(20000)) {
        FILE *f = fopen(port_file, "r");
        int ok = f && fscanf(f, "%d", port) == 1;
        if (f) fclose(f);
        if (ok) return pid;
        if (waitpid(pid, NULL, WNOHANG) == pid) break;
    }
    fprintf(stderr, "bench_trader: %s did not start (log: %s)\n", bin, log);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void stop_fake(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (double until = mono_ms() + 10000; mono_ms() < until; usleep(20000))
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* One control request to the fake; its body in out. 0 on a 2xx answer. */
static int control(http_client *h, const char *base, const char *method, const char *path,
                   dstr *out) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", base, path);
    http_request r;
    http_request_init(&r, method, url, NULL);
    http_request *batch[] = {&r};
    http_run(h, batch, 1, clock_wall_ms() + 10000);
    int ok = r.err == HTTP_OK && r.status / 100 == 2;
    if (out) {
        dstr_clear(out);
        dstr_append(out, r.resp_body.ptr, r.resp_body.len);
    }
    http_request_free(&r);
    return ok ? 0 : -1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The round trips of the critical path and the number of requests, from
 * the fake's records since the reset (see the header). -1 when unreadable. */
static int round_trips(http_client *h, const char *base, long latency, int *requests) {
    dstr body = {0};
    int trips = -1;
    *requests = 0;
    if (control(h, base, "GET", "/__fake/requests", &body) == 0) {
        cJSON *a = cJSON_ParseWithLength(body.ptr ? body.ptr : "", body.len);
        int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
        double *t = calloc((size_t)(n > 0 ? n : 1), sizeof *t);
        if (!t) abort();
        for (int i = 0; i < n; i++) {
            const cJSON *ms = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(a, i), "t_ms");
            t[i] = cJSON_IsNumber(ms) ? ms->valuedouble : NAN;
        }
        if (n >= 0) {
            qsort(t, (size_t)n, sizeof *t, cmp_double);
            trips = 0;
            for (int i = 0; i < n; i++)
                if (i == 0 || t[i] - t[i - 1] > latency / 2.0) trips++;
            *requests = n;
        }
        free(t);
        cJSON_Delete(a);
    }
    dstr_free(&body);
    return trips;
}

/* ---- the decision ------------------------------------------------------------------ */

/* The built-in model, then a direction whatever it said (see the header). */
static void bench_predict(const predictor *p, predict_job *jobs, size_t n, int64_t deadline_ms) {
    (void)p;
    predictor_run(predictor_builtin(), jobs, n, deadline_ms);
    for (size_t i = 0; i < n; i++) {
        prediction *pr = &jobs[i].pred;
        if (!jobs[i].feat || pr->failed) continue;
        if (pr->dir == DIR_FLAT) pr->dir = DIR_LONG;
        pr->prob = 0.9;
        pr->support = pr->resistance = NAN;
        snprintf(pr->rationale, sizeof pr->rationale, "bench_trader: a direction every run");
    }
}

static const predictor_ops bench_ops = {.name = "bench", .predict = bench_predict};
static const predictor bench_predictor = {.ops = &bench_ops};

/* ---- one run ------------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* One trader run on a fresh journal; its wall time in *ms. 0 when both
 * symbols ended protected, else -1 with why on stderr. */
static int one_run(pl_resources *res, const char *dir, int k, double *ms) {
    char root[PATH_MAX + 32];
    snprintf(root, sizeof root, "file://%s/journal-%d", dir, k);
    dstr err = {0};
    store *journal = store_open(root, &err);
    if (!journal) {
        fprintf(stderr, "bench_trader: journal %s: %s\n", root, dstr_cstr(&err));
        dstr_free(&err);
        return -1;
    }
    char run_id[32];
    snprintf(run_id, sizeof run_id, "bench-%d", k);
    trader_request rq = {.symbols = symbols, .n = N_SYMBOLS, .trigger = "event", .run_id = run_id};
    trader_result r;
    double t0 = mono_ms();
    pl_env env;
    pl_env_make(res, clock_wall_ms() + 25000, &env);
    env.predictor = &bench_predictor;
    env.journal = journal;
    store_set_deadline(journal, env.deadline_ms);
    trader_run(&env, &rq, &r);
    *ms = mono_ms() - t0;
    int ok = 1;
    for (size_t i = 0; i < r.n; i++)
        if (!r.sym[i].executed || r.sym[i].exec.outcome != EXEC_PROTECTED) {
            fprintf(stderr, "bench_trader: run %d: %s: %s: %s\n", k, symbols[i],
                    r.sym[i].step ? r.sym[i].step : "?", r.sym[i].status);
            ok = 0;
        }
    trader_result_free(&r);
    store_close(journal);
    dstr_free(&err);
    snprintf(root, sizeof root, "%s/journal-%d", dir, k);
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return ok ? 0 : -1;
}

typedef struct series {
    double ms[MAX_RUNS];
    int trips[MAX_RUNS], requests[MAX_RUNS];
    int n;
} series;

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void print_row(FILE *out, const char *kind, series *s, long latency) {
    double sorted[MAX_RUNS];
    memcpy(sorted, s->ms, (size_t)s->n * sizeof *sorted);
    qsort(sorted, (size_t)s->n, sizeof *sorted, cmp_double);
    qsort(s->trips, (size_t)s->n, sizeof *s->trips, cmp_int);
    qsort(s->requests, (size_t)s->n, sizeof *s->requests, cmp_int);
    double median = s->n % 2 ? sorted[s->n / 2] : (sorted[s->n / 2 - 1] + sorted[s->n / 2]) / 2;
    fprintf(out, "%-6s %4d %10.1f %8.1f %8.1f %10.2f %12d %9d\n", kind, s->n, median, sorted[0],
            sorted[s->n - 1], median / (double)latency, s->trips[s->n / 2], s->requests[s->n / 2]);
}

int main(int argc, char **argv) {
    const char *build = argc > 1 ? argv[1] : "build";
    long warm_runs = env_long("BENCH_RUNS", 10, 1, MAX_RUNS);
    long cold_runs = env_long("BENCH_COLD_RUNS", 3, 1, MAX_RUNS);
    long latency = env_long("BENCH_LATENCY_MS", 50, 1, 10000);
    /* the journal on tmpfs unless TMPDIR says otherwise (see the header) */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/bench_trader.XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_trader: mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int port = 0;
    pid_t fake = start_fake(build, dir, latency, &port);
    if (fake < 0) return 1;
    char base[64], log_path[PATH_MAX + 16];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    /* the trader's configuration (demo.json's keys; see the header) */
    setenv("BINANCE_FAPI_BASE", base, 1);
    setenv("BINANCE_API_KEY", "demo-key-for-the-offline-fake-exchange", 1);
    setenv("BINANCE_API_SECRET", "demo-secret-for-the-offline-fake-exchange", 1);
    setenv("EXECUTE_TRADES", "true", 1);
    setenv("SYMBOLS", "BTCUSDT,ETHUSDT", 1);
    setenv("PREDICTOR", "builtin", 1);
    setenv("RR_MIN", "0.01", 1);
    setenv("MAX_OPEN_POSITIONS", "2", 1);
    setenv("LEVERAGE", "5", 1);
    setenv("MARGIN_TYPE", "ISOLATED", 1);
    setenv("ENTRY_ORDER_TYPE", "MARKET", 1);
    setenv("TZ", "UTC", 1);
    char journal_url[PATH_MAX + 16];
    snprintf(journal_url, sizeof journal_url, "file://%s/journal", dir);
    setenv("JOURNAL_URL", journal_url, 1);
    cfg c;
    dstr err = {0};
    if (cfg_load(&c, &err) != 0) {
        fprintf(stderr, "bench_trader: configuration: %s\n", dstr_cstr(&err));
        stop_fake(fake);
        return 1;
    }
    /* the table on the real stdout; the trader's log lines (stdout) to a file */
    FILE *out = fdopen(dup(STDOUT_FILENO), "w");
    snprintf(log_path, sizeof log_path, "%s/trader.log", dir);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!out || log_fd < 0 || dup2(log_fd, STDOUT_FILENO) < 0) {
        fprintf(stderr, "bench_trader: cannot redirect the log to %s\n", log_path);
        stop_fake(fake);
        return 1;
    }
    close(log_fd);
    log_init("bench_trader");
    http_client *ctl = http_client_new(NULL);
    static series cold, warm;
    int failed = 0, k = 0;
    fprintf(out,
            "fake_binance --account %s --latency-ms %ld; 2 symbols (BTCUSDT, ETHUSDT), each "
            "run opens both brackets\n",
            account_file, latency);
    for (long i = 0; i < cold_runs && !failed; i++) { /* each a new process state */
        pl_resources *res = pl_resources_new(&c);
        failed |= control(ctl, base, "POST", "/__fake/reset", NULL) != 0 ||
                  one_run(res, dir, k++, &cold.ms[cold.n]) != 0;
        cold.trips[cold.n] = round_trips(ctl, base, latency, &cold.requests[cold.n]);
        cold.n++;
        /* the warm runs go on from the last cold one, as a warm Lambda would */
        if (i + 1 < cold_runs || failed) {
            pl_resources_free(res);
            continue;
        }
        for (long w = 0; w < warm_runs && !failed; w++) {
            failed |= control(ctl, base, "POST", "/__fake/reset", NULL) != 0 ||
                      one_run(res, dir, k++, &warm.ms[warm.n]) != 0;
            warm.trips[warm.n] = round_trips(ctl, base, latency, &warm.requests[warm.n]);
            warm.n++;
        }
        pl_resources_free(res);
    }
    http_client_free(ctl);
    stop_fake(fake);
    if (failed) {
        fprintf(stderr, "bench_trader: failed; the trader's log: %s\n", log_path);
        fclose(out);
        cfg_free(&c);
        dstr_free(&err);
        return 1;
    }
    fprintf(out, "%-6s %4s %10s %8s %8s %10s %12s %9s\n", "run", "n", "median_ms", "min_ms",
            "max_ms", "x_latency", "round_trips", "requests");
    print_row(out, "cold", &cold, latency);
    print_row(out, "warm", &warm, latency);
    fprintf(out, "target: warm <= 3.5 x latency\n");
    fclose(out);
    cfg_free(&c);
    dstr_free(&err);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
