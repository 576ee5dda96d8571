/* bench_sim_run: the simulated backtest's speed (issue 12 item 8): the
 * trader's own run (pipelines/sim_run) every 5 minutes over the whole
 * bundled 5m history of BTCUSDT and ETHUSDT (tests/data/binance), the
 * default configuration, funding at 0.01 % at every 8-hourly boundary
 * (a rate history made so: the bundled one ends before the candles begin),
 * the journal in a fresh file store under /dev/shm (TMPDIR without it).
 * REPS runs on the simulated exchange itself (the backtest), then REPS
 * through paper trading (pipelines/sim_run's paper: the account derived
 * from the journal's ledger at every run, the simulated exchange only the
 * market); the median's figures: wall seconds, runs per second, 5m candles
 * walked per second (per symbol), and the entries, which must be the same
 * every time and in both.
 *
 *   bench_sim_run            (from the repo root) */
#define _XOPEN_SOURCE 700 /* nftw */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipelines/sim_run.h"
#include "platform/clock.h"
#include "platform/config.h"
#include "platform/log.h"
#include "services/sim_exchange.h"
#include "store/store.h"

#define REPS 3
#define FIVE_MIN 300000LL

static const char *const syms[] = {"BTCUSDT", "ETHUSDT"};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

typedef struct rep {
    double secs;
    sim_run_stats st;
    int64_t from, to;
} rep;

static int run(const cfg *c, int paper, rep *out) {
    struct stat sb;
    const char *tmp = stat("/dev/shm", &sb) == 0 ? "/dev/shm" : getenv("TMPDIR");
    char dir[512], url[600];
    snprintf(dir, sizeof dir, "%s/bench_sim_run.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return -1;
    snprintf(url, sizeof url, "file://%s/journal", dir);
    dstr err = {0};
    sim_config sc = {.balance = 10000,
                     .fee_taker = c->fee_taker,
                     .fee_maker = c->fee_maker,
                     .slippage_bps = c->slippage_bps,
                     .margin_type = EX_CROSSED,
                     .start_ms = 1765981500000LL - 1}; /* the first 5m close of both */
    sim_exchange *s = sim_exchange_new(&sc);
    store *j = store_open(url, &err);
    int rc = -1;
    if (j && sim_exchange_load(s, "tests/data/binance", syms, 2, &err) == 0) {
        sim_report r;
        sim_report_make(s, &r);
        out->from = sc.start_ms + 1;
        out->to = r.sym[0].last_ms < r.sym[1].last_ms ? r.sym[0].last_ms : r.sym[1].last_ms;
        sim_report_free(&r);
        size_t n_rates = 0;
        hist_funding rates[64];
        int64_t h8 = SIM_FUNDING_INTERVAL_MS;
        for (int64_t t = out->from / h8 * h8; t <= out->to && n_rates < 64; t += h8)
            rates[n_rates++] = (hist_funding){t + 3, 0.0001};
        for (int i = 0; i < 2; i++) sim_set_funding(s, syms[i], rates, n_rates, NULL);
        sim_run_spec spec = {.cfg = c,
                             .paper = paper,
                             .sim = s,
                             .journal = j,
                             .symbols = syms,
                             .n = 2,
                             .from_ms = out->from,
                             .to_ms = out->to + 1};
        int64_t t0 = clock_mono_ms();
        sim_run(&spec, &out->st);
        out->secs = (double)(clock_mono_ms() - t0) / 1000;
        rc = 0;
    } else {
        fprintf(stderr, "bench_sim_run: %s\n", dstr_cstr(&err));
    }
    store_close(j);
    sim_exchange_free(s);
    dstr_free(&err);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

static int by_secs(const void *a, const void *b) {
    double x = ((const rep *)a)->secs, y = ((const rep *)b)->secs;
    return (x > y) - (x < y);
}

int main(void) {
    cfg c;
    dstr err = {0};
    if (cfg_load(&c, &err)) {
        fprintf(stderr, "bench_sim_run: invalid configuration:\n%s\n", err.ptr);
        return 1;
    }
    log_init("bench");
    log_set_level(LOG_ERROR);
    /* the runs' own lines (a kill-switch trip is an ERROR) are not the table's */
    fflush(stdout);
    int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
    if (out >= 0 && null >= 0) dup2(null, STDOUT_FILENO);
    rep reps[2][REPS];
    int failed = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < REPS && !failed; i++) failed = run(&c, k, &reps[k][i]) != 0;
    if (out >= 0) dup2(out, STDOUT_FILENO);
    if (null >= 0) close(null);
    if (out >= 0) close(out);
    if (failed) return 1;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < REPS; i++)
            if (reps[k][i].st.executed != reps[0][0].st.executed) {
                fprintf(stderr, "bench_sim_run: runs differ\n");
                return 1;
            }
    printf("the trader every 5 min over the bundled history, 2 symbols (median of %d)\n", REPS);
    printf("%-44s %8s %8s %8s %14s %8s\n", "on", "seconds", "runs", "runs/s", "5m candles/s",
           "entries");
    static const char *const on[] = {"the simulated exchange (backtest)",
                                     "paper trading (account from the journal)"};
    for (int k = 0; k < 2; k++) {
        qsort(reps[k], REPS, sizeof reps[k][0], by_secs);
        const rep *m = &reps[k][REPS / 2];
        double walked = (double)(m->to + 1 - m->from) / FIVE_MIN;
        printf("%-44s %8.2f %8zu %8.0f %14.0f %8zu\n", on[k], m->secs, m->st.steps,
               (double)m->st.steps / m->secs, 2 * walked / m->secs, m->st.executed);
    }
    cfg_free(&c);
    dstr_free(&err);
    return 0;
}
