/* bench_decision: what one decision costs, and what a trader run costs
 * against a distant exchange.
 *
 * 1. Compute per symbol, on the snapshot the live trader would have had at
 *    the end of the bundled data (tests/data/binance/klines, 300 closed
 *    candles per timeframe; a synthetic 1 bps book, as in the backtest):
 *      domain   features_compute + model_predict + decision_make
 *      stage    signal_decide_snapshots: the gate, the above, the decision
 *               record JSON and the signal.decision log event (level warn
 *               here, so the line is built but not written)
 *    median and 90th percentile in microseconds over RUNS calls.
 * 2. A trader run for BTCUSDT and ETHUSDT (signal_run_env: one batch of 12
 *    Binance requests, builtin predictor, 4 journal records fsynced into a
 *    temporary file store) against fake_binance started here with
 *    --latency-ms 0 and 50 (every answer delayed that long). Wall time of
 *    the fetch+decide part and of the whole run, median over RUN_REPS warm
 *    runs, and the run's ratio to the latency: one round trip is 1.0.
 *
 *   bench_decision            (from the repo root; finds fake_binance next to
 *                              its own directory: <build>/bin/fake_binance) */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/clock.h"
#include "platform/config.h"
#include "domain/decide.h"
#include "domain/decision.h"
#include "platform/log.h"
#include "domain/market_features.h"
#include "pipelines/env.h"
#include "pipelines/signal.h"

#define RUNS 2000
#define WARMUP 100
#define RUN_REPS 15
#define BARS 300
#define DATA_DIR "tests/data/binance/klines"

static volatile double sink;

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void row(const char *what, double *v, size_t n, const char *unit) {
    qsort(v, n, sizeof *v, cmp_double);
    printf("%-44s %6zu %10.1f %10.1f %s\n", what, n, v[n / 2], v[n * 9 / 10], unit);
}

/* ---- the snapshot from the bundled CSVs ------------------------------------------ */

static int load_csv(const char *path, candles *out) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    size_t cap = 0;
    out->v = NULL;
    out->n = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "open_time", 9) == 0) continue;
        candle k;
        long long ot, ct;
        if (sscanf(line, "%lld,%lf,%lf,%lf,%lf,%lf,%lld", &ot, &k.open, &k.high, &k.low, &k.close,
                   &k.volume, &ct) != 7)
            continue;
        k.open_time = ot;
        k.close_time = ct;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 1024;
            candle *v = realloc(out->v, cap * sizeof *v);
            if (!v) abort();
            out->v = v;
        }
        out->v[out->n++] = k;
    }
    fclose(f);
    return out->n ? 0 : -1;
}

/* The newest BARS candles closed before now, copied (snapshot_free frees them). */
static void closed_tail(const candles *all, int64_t now, candles *out) {
    size_t end = 0;
    while (end < all->n && all->v[end].close_time < now) end++;
    size_t first = end > BARS ? end - BARS : 0;
    out->n = end - first;
    out->v = malloc((out->n + 1) * sizeof *out->v);
    if (!out->v) abort();
    memcpy(out->v, all->v + first, out->n * sizeof *out->v);
}

static int make_snapshot(const char *symbol, snapshot *s) {
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    candles all[TF_COUNT] = {{0}};
    int rc = 0;
    for (int tf = 0; tf < TF_COUNT && rc == 0; tf++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s-%s.csv", DATA_DIR, symbol, tf_name((timeframe)tf));
        if (load_csv(path, &all[tf])) {
            fprintf(stderr, "bench_decision: cannot read %s (run from the repo root)\n", path);
            rc = -1;
        }
    }
    if (rc == 0) {
        s->now_ms = all[TF_5M].v[all[TF_5M].n - 1].close_time + 1; /* the end of the data */
        for (int tf = 0; tf < TF_COUNT; tf++) closed_tail(&all[tf], s->now_ms, &s->tf[tf]);
        double mid = s->tf[TF_5M].v[s->tf[TF_5M].n - 1].close, half = mid * 1.0 / 2e4;
        s->book.bids = malloc(sizeof *s->book.bids);
        s->book.asks = malloc(sizeof *s->book.asks);
        if (!s->book.bids || !s->book.asks) abort();
        s->book.bids[0] = (book_level){mid - half, 5};
        s->book.asks[0] = (book_level){mid + half, 5};
        s->book.n_bids = s->book.n_asks = 1;
        s->book.time_ms = s->now_ms;
        s->premium = (premium_index){.mark_price = mid, .index_price = mid, .funding_rate = 0.0001};
        char why[160];
        if (snapshot_check(s, s->now_ms, why, sizeof why)) {
            fprintf(stderr, "bench_decision: %s snapshot unusable: %s\n", symbol, why);
            rc = -1;
        }
    }
    for (int tf = 0; tf < TF_COUNT; tf++) candles_free(&all[tf]);
    return rc;
}

static int64_t wall_clock(void *ctx) {
    (void)ctx;
    return 0; /* decided_at does not matter here */
}

static void bench_compute(const cfg *c, const snapshot *s) {
    static double us[RUNS];
    decide_env de = {
        .params = pl_decision_params(c), .primary = predictor_builtin(), .now_ms = wall_clock};
    for (int i = 0; i < WARMUP + RUNS; i++) {
        int64_t t0 = mono_ns();
        decide_item it = {.symbol = s->symbol, .snap = s};
        decide_symbols(&de, &it, 1);
        sink += it.d.prob;
        decide_item_free(&it);
        if (i >= WARMUP) us[i - WARMUP] = (double)(mono_ns() - t0) / 1000.0;
    }
    char what[64];
    snprintf(what, sizeof what, "%s domain (features+model+decision)", s->symbol);
    row(what, us, RUNS, "us");

    pl_env env = {.cfg = c, .predictor = predictor_builtin(), .params = pl_decision_params(c)};
    for (int i = 0; i < WARMUP + RUNS; i++) {
        int64_t t0 = mono_ns();
        signal_result r;
        signal_decide_snapshots(&env, s, 1, &r);
        sink += r.d.prob + (double)r.record.len;
        signal_results_free(&r, 1);
        if (i >= WARMUP) us[i - WARMUP] = (double)(mono_ns() - t0) / 1000.0;
    }
    snprintf(what, sizeof what, "%s stage (+gate, record, log event)", s->symbol);
    row(what, us, RUNS, "us");
}

/* ---- trader runs against the fake --------------------------------------------------- */

static char tmp_dir[256];

static pid_t start_fake(const char *bin, long latency_ms, int *port) {
    char port_file[PATH_MAX], lat[24];
    snprintf(port_file, sizeof port_file, "%s/fake-%ld.port", tmp_dir, latency_ms);
    snprintf(lat, sizeof lat, "%ld", latency_ms);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 2);
        execl(bin, bin, "--port", "0", "--port-file", port_file, "--latency-ms", lat, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(port_file, "r");
        if (f) {
            int ok = fscanf(f, "%d", port) == 1;
            fclose(f);
            if (ok) return pid;
        }
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void stop_fake(pid_t pid) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static int bench_runs(const char *fake_bin, long latency_ms) {
    int port;
    pid_t fake = start_fake(fake_bin, latency_ms, &port);
    if (fake < 0) {
        fprintf(stderr, "bench_decision: %s did not start\n", fake_bin);
        return -1;
    }
    char base[64], journal[PATH_MAX];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    snprintf(journal, sizeof journal, "file://%s/journal", tmp_dir);
    setenv("BINANCE_FAPI_BASE", base, 1);
    setenv("JOURNAL_URL", journal, 1);
    cfg c;
    dstr err = {0};
    int rc = -1;
    pl_resources *res = NULL;
    if (cfg_load(&c, &err)) {
        fprintf(stderr, "bench_decision: config: %s\n", err.ptr);
        goto out;
    }
    res = pl_resources_new(&c); /* the clients as a warm function keeps them */
    pl_env probe;
    pl_env_make(res, 0, &probe);
    if (!probe.exchange || !probe.journal) {
        fprintf(stderr, "bench_decision: %s\n", probe.journal ? "no HTTP client" : "no journal");
        goto out;
    }
    const char *symbols[] = {"BTCUSDT", "ETHUSDT"};
    double decide_ms[RUN_REPS], run_ms[RUN_REPS], first_ms = 0;
    size_t unwritten = 0;
    for (int i = -2; i < RUN_REPS; i++) { /* two warm-up runs: connections, page cache */
        int64_t t0 = mono_ns();
        pl_env env;
        pl_env_make(res, clock_wall_ms() + 20000, &env);
        signal_result r[2];
        signal_decide(&env, symbols, 2, r);
        int64_t t1 = mono_ns();
        unwritten += signal_journal(env.journal, r, 2, 0);
        int64_t t2 = mono_ns();
        if (r[0].data_status != EX_OK || r[1].data_status != EX_OK)
            fprintf(stderr, "bench_decision: market data failed: %s\n", r[0].record.ptr);
        signal_results_free(r, 2);
        if (i == -2) first_ms = (double)(t2 - t0) / 1e6;
        if (i < 0) continue;
        decide_ms[i] = (double)(t1 - t0) / 1e6;
        run_ms[i] = (double)(t2 - t0) / 1e6;
    }
    char what[80];
    printf("-- latency %ld ms per upstream request (first run, cold connections: %.1f ms)\n",
           latency_ms, first_ms);
    snprintf(what, sizeof what, "2 symbols fetch+decide (12 requests)");
    row(what, decide_ms, RUN_REPS, "ms");
    snprintf(what, sizeof what, "2 symbols run (+ journal 4 records)");
    row(what, run_ms, RUN_REPS, "ms");
    if (latency_ms > 0)
        printf("%-44s %6s %10.2f %10s x latency (target <= 3)\n", "run / latency", "",
               run_ms[RUN_REPS / 2] / (double)latency_ms, "");
    if (unwritten) fprintf(stderr, "bench_decision: %zu journal records unwritten\n", unwritten);
    rc = unwritten ? -1 : 0;
out:
    pl_resources_free(res);
    cfg_free(&c);
    dstr_free(&err);
    stop_fake(fake);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(int argc, char **argv) {
    (void)argc;
    setenv("TZ", "UTC", 1);
    setenv("PREDICTOR", "builtin", 1);
    setenv("SYMBOLS", "BTCUSDT,ETHUSDT", 1);
    log_init("bench");
    log_set_level(LOG_WARN);
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/bench_decision.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        fprintf(stderr, "bench_decision: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    int rc = 0;
    cfg c;
    dstr err = {0};
    if (cfg_load(&c, &err)) {
        fprintf(stderr, "bench_decision: config: %s\n", err.ptr);
        rc = 1;
    }
    printf("%-44s %6s %10s %10s\n", "what", "n", "median", "p90");
    static const char *const symbols[] = {"BTCUSDT", "ETHUSDT"};
    for (int i = 0; i < 2 && rc == 0; i++) {
        snapshot s;
        if (make_snapshot(symbols[i], &s)) {
            rc = 1;
        } else {
            bench_compute(&c, &s);
        }
        snapshot_free(&s);
    }
    cfg_free(&c);
    dstr_free(&err);

    /* <build>/bench/bench_decision -> <build>/bin/fake_binance */
    char fake_bin[PATH_MAX];
    snprintf(fake_bin, sizeof fake_bin, "%s", argv[0]);
    char *slash = strrchr(fake_bin, '/');
    if (slash) *slash = '\0';
    else snprintf(fake_bin, sizeof fake_bin, ".");
    size_t len = strlen(fake_bin);
    snprintf(fake_bin + len, sizeof fake_bin - len, "/../bin/fake_binance");
    if (rc == 0 && access(fake_bin, X_OK) != 0) {
        fprintf(stderr, "bench_decision: %s not built (make tools); trader runs skipped\n",
                fake_bin);
    } else if (rc == 0) {
        if (bench_runs(fake_bin, 0) || bench_runs(fake_bin, 50)) rc = 1;
    }
    nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
