/* sim_backtest: the trader's own run (pipelines/sim_run.h) stepped over
 * bundled history on the simulated exchange (services/sim_exchange.h):
 * what the trader would have done with an account, fees, funding, sizing
 * and risk limits, not a score of its signals (that is build/bin/backtest).
 *
 *   sim_backtest [--dir DIR] [--symbol SYM]... [--from T] [--to T]
 *                [--step 5m|1h|4h|1d] [--balance USDT] [--funding-rate R]
 *                [--runs DIR]
 *
 * DIR (default tests/data/binance) is in the layout history.h reads. The
 * configuration is the trader's own (the same variables, validated as at
 * its init; EXECUTE_TRADES is taken as true: the account is the point); the
 * predictor is the built-in model (a language model's answers about past
 * prices are no fair test). T is unix milliseconds or UTC
 * "YYYY-MM-DDTHH:MM" (default: the span every symbol's 5m history covers);
 * the account starts with --balance (10000) USDT at Binance's defaults
 * (leverage 20, CROSSED), which the trader's set-up changes as it would
 * live. --funding-rate assumes that rate for the 8-hourly boundaries the
 * funding history lacks (the bundled history ends in October 2025); without
 * it they are counted missing and nothing is paid, and the risk manager
 * refuses entries whose funding rate is unknown. The journal goes to
 * RUNS/<run id>/journal (default runs/). Prints the account at the end, the
 * income by type, the funding coverage per symbol and the speed; the run id
 * is the last line. Exit 0, or 1 when the data or an argument is bad.
 *
 *   sim_backtest fetch --from T [--to T] [--symbol SYM] [--interval TF]...
 *                      [--dir DIR] [--offline]
 *
 * brings DIR (default data/binance) up to date from BINANCE_FAPI_BASE for
 * SYM (default BTCUSDT) and [from, to) (to: default now): the closed 5m, 1h,
 * 4h and 1d candles (or the --interval ones) and the funding history, resumed
 * after what DIR holds, gaps filled (services/history_fetch.h); then writes
 * DIR/manifest.json. --offline asks nothing: the manifest only, with the gaps
 * found. Prints what was added, the requests and the time; exit 1 with the
 * error on stderr (the manifest still written) when a request fails. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "domain/marketdata.h"
#include "pipelines/audit.h"
#include "pipelines/sim_record.h"
#include "pipelines/sim_run.h"
#include "platform/clock.h"
#include "platform/config.h"
#include "platform/dstr.h"
#include "platform/log.h"
#include "platform/http.h"
#include "services/binance.h"
#include "services/history_fetch.h"
#include "services/sim_exchange.h"
#include "store/store.h"

#define SB_MAX_SYMBOLS 8

typedef struct sb_options {
    const char *dir, *runs;
    const char *symbols[SB_MAX_SYMBOLS];
    size_t n;
    int64_t from_ms, to_ms, step_ms;
    double balance;
    int assume_funding;
    double funding_rate;
} sb_options;

static int usage(void) {
    fprintf(stderr, "usage: sim_backtest [--dir DIR] [--symbol SYM]... [--from T] [--to T]\n"
                    "                    [--step 5m|1h|4h|1d] [--balance USDT] "
                    "[--funding-rate R] [--runs DIR]\n"
                    "  T: unix milliseconds or UTC YYYY-MM-DDTHH:MM\n");
    return 1;
}

/* Unix ms or "YYYY-MM-DDTHH:MM" (UTC); -1 when neither. */
static int64_t parse_time(const char *v) {
    if (strspn(v, "0123456789") == strlen(v) && strlen(v) <= 15) return strtoll(v, NULL, 10);
    int y, mo, d, h, mi;
    char tail;
    if (sscanf(v, "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) != 5) return -1;
    return clock_utc_ms(y, mo, d, h, mi, 0);
}

static int parse_args(int argc, char **argv, sb_options *o) {
    *o = (sb_options){.dir = "tests/data/binance", .runs = "runs", .balance = 10000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return -1;
        i++;
        if (strcmp(a, "--dir") == 0) o->dir = v;
        else if (strcmp(a, "--runs") == 0) o->runs = v;
        else if (strcmp(a, "--symbol") == 0) {
            if (o->n == SB_MAX_SYMBOLS || !cfg_valid_symbol(v)) return -1;
            o->symbols[o->n++] = v;
        } else if (strcmp(a, "--from") == 0) {
            if ((o->from_ms = parse_time(v)) < 0) return -1;
        } else if (strcmp(a, "--to") == 0) {
            if ((o->to_ms = parse_time(v)) < 0) return -1;
        } else if (strcmp(a, "--step") == 0) {
            timeframe tf;
            if (tf_parse(v, &tf)) return -1;
            o->step_ms = tf_ms(tf);
        } else if (strcmp(a, "--balance") == 0) {
            if (cfg_parse_double(v, 1, 1e9, &o->balance)) return -1;
        } else if (strcmp(a, "--funding-rate") == 0) {
            if (cfg_parse_double(v, -0.1, 0.1, &o->funding_rate)) return -1;
            o->assume_funding = 1;
        } else {
            return -1;
        }
    }
    if (!o->n) {
        o->symbols[o->n++] = "BTCUSDT";
        o->symbols[o->n++] = "ETHUSDT";
    }
    return 0;
}

/* What the runs' symbols came to: each step name, its count, one example. */
#define SB_STEPS 16
typedef struct sb_tally {
    const char *step[SB_STEPS];
    size_t count[SB_STEPS], n;
    char example[SB_STEPS][256];
    sim_record record; /* the account after each step */
    exchange *ex;
} sb_tally;

static void tally(void *ctx, int64_t t, const trader_result *r) {
    sb_tally *y = ctx;
    sim_record_point(&y->record, y->ex, t);
    for (size_t i = 0; i < r->n; i++) {
        const char *step = r->sym[i].step ? r->sym[i].step : "?";
        size_t k = 0;
        while (k < y->n && strcmp(y->step[k], step) != 0) k++;
        if (k == y->n) {
            if (y->n == SB_STEPS) continue;
            y->step[y->n++] = step; /* the trader's static step names */
            snprintf(y->example[k], sizeof y->example[k], "%.24s %.200s", r->sym[i].sig.symbol,
                     r->sym[i].status);
        }
        y->count[k]++;
    }
}

static void utc(int64_t ms, char *buf, size_t n) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
}

#define SB_MAX_INTERVALS 8

static int fetch_usage(void) {
    fprintf(stderr,
            "usage: sim_backtest fetch --from T [--to T] [--symbol SYM] [--interval TF]...\n"
            "                          [--dir DIR] [--offline]\n"
            "  T: unix milliseconds or UTC YYYY-MM-DDTHH:MM; TF: 5m 1h 4h 1d ...\n");
    return 1;
}

/* The fetch mode: argv[0] is "fetch". */
static int fetch_main(const cfg *c, int argc, char **argv) {
    const char *tfs[SB_MAX_INTERVALS];
    hf_spec spec = {.dir = "data/binance", .symbol = "BTCUSDT", .now_ms = clock_wall_ms()};
    spec.to_ms = spec.now_ms;
    int offline = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--offline") == 0) {
            offline = 1;
            continue;
        }
        if (!v) return fetch_usage();
        i++;
        if (strcmp(a, "--dir") == 0) spec.dir = v;
        else if (strcmp(a, "--symbol") == 0 && cfg_valid_symbol(v)) spec.symbol = v;
        else if (strcmp(a, "--from") == 0 && (spec.from_ms = parse_time(v)) > 0) continue;
        else if (strcmp(a, "--to") == 0 && (spec.to_ms = parse_time(v)) > 0) continue;
        else if (strcmp(a, "--interval") == 0 && spec.n_intervals < SB_MAX_INTERVALS &&
                 bn_valid_interval(v))
            tfs[spec.n_intervals++] = v;
        else return fetch_usage();
    }
    if (spec.from_ms <= 0 || spec.to_ms <= spec.from_ms) return fetch_usage();
    if (spec.n_intervals) spec.intervals = tfs;
    http_tls tls = {.ca_path = c->ca_path, .ca_file = c->ca_file};
    http_client *http = offline ? NULL : http_client_new(&tls);
    bn_config bc = {.base = cfg_fapi_base(c),
                    .timeout_ms = c->binance_timeout_ms,
                    .retries = c->binance_retries,
                    .backoff_ms = c->binance_backoff_ms};
    bn_client bn;
    if (http) {
        bn_client_init(&bn, http, &bc);
        spec.bn = &bn;
        /* every attempt and its backoff: a request never hangs the fetch */
        spec.request_budget_ms =
            (c->binance_timeout_ms + c->binance_backoff_ms * 2) * (c->binance_retries + 1);
    } else if (!offline) {
        fprintf(stderr, "sim_backtest fetch: the HTTP client could not start\n");
        return 1;
    }
    dstr err = {0};
    hf_stats st;
    int64_t t0 = clock_mono_ms();
    int rc = hf_fetch(&spec, &st, &err);
    int64_t took = clock_mono_ms() - t0;
    if (hf_manifest_write(spec.dir, &spec, &st, rc ? dstr_cstr(&err) : NULL, rc ? NULL : &err) &&
        rc == 0)
        rc = -1;
    printf("fetch       %s: %zu candles and %zu funding rows added, %zu requests, %lld ms\n",
           spec.symbol, st.candles_added, st.funding_added, st.requests, (long long)took);
    printf("gaps        %zu found in the candle files, %zu filled\n", st.gaps_found,
           st.gaps_filled);
    printf("manifest    %s/manifest.json\n", spec.dir);
    if (rc) fprintf(stderr, "sim_backtest fetch: %s\n", dstr_cstr(&err));
    dstr_free(&err);
    http_client_free(http);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    cfg c;
    dstr err = {0};
    if (cfg_load(&c, &err)) { /* the trader's own variables, validated as at its init */
        fprintf(stderr, "sim_backtest: invalid configuration:\n%s\n", err.ptr);
        dstr_free(&err);
        cfg_free(&c);
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "fetch") == 0) {
        log_init("sim_backtest");
        log_set_level(LOG_ERROR);
        int frc = fetch_main(&c, argc - 1, argv + 1);
        cfg_free(&c);
        return frc;
    }
    sb_options o;
    if (parse_args(argc, argv, &o)) {
        cfg_free(&c);
        return usage();
    }
    log_init("sim_backtest");
    log_set_level(LOG_ERROR); /* the runs' INFO lines are in the journal's run records */
    sim_config sc = {.balance = o.balance,
                     .fee_taker = c.fee_taker,
                     .fee_maker = c.fee_maker,
                     .slippage_bps = c.slippage_bps,
                     .margin_type = EX_CROSSED,
                     .assume_funding = o.assume_funding,
                     .assumed_rate = o.funding_rate,
                     .start_ms = o.from_ms ? o.from_ms - 1 : 0};
    sim_exchange *s = sim_exchange_new(&sc);
    int rc = 1;
    store *journal = NULL;
    dstr path = {0};
    if (sim_exchange_load(s, o.dir, o.symbols, o.n, &err)) {
        fprintf(stderr, "sim_backtest: %s\n", dstr_cstr(&err));
        goto done;
    }
    sim_report r;
    sim_report_make(s, &r);
    int64_t first = 0, last = INT64_MAX;
    for (size_t i = 0; i < r.n; i++) {
        if (r.sym[i].first_ms > first) first = r.sym[i].first_ms;
        if (r.sym[i].last_ms < last) last = r.sym[i].last_ms;
    }
    sim_report_free(&r);
    int64_t step = o.step_ms ? o.step_ms : SIM_RUN_DEFAULT_STEP_MS;
    int64_t from = o.from_ms ? o.from_ms : (first / step + 1) * step; /* the first close */
    int64_t to = o.to_ms ? o.to_ms : last + 1;
    if (!o.from_ms) { /* the account starts at the first step, not before the data */
        sim_exchange_free(s);
        sc.start_ms = from - 1;
        s = sim_exchange_new(&sc);
        if (sim_exchange_load(s, o.dir, o.symbols, o.n, &err)) goto done;
    }
    if (to < from) {
        fprintf(stderr, "sim_backtest: --to is before --from\n");
        goto done;
    }
    char run_id[64];
    snprintf(run_id, sizeof run_id, "sim-%" PRId64 "-%" PRId64 "-%" PRId64, from, to,
             clock_wall_ms());
    mkdir(o.runs, 0755);
    dstr_printf(&path, "%s/%s", o.runs, run_id);
    if (mkdir(path.ptr, 0755)) {
        fprintf(stderr, "sim_backtest: cannot create %s\n", path.ptr);
        goto done;
    }
    dstr_clear(&path);
    dstr_printf(&path, "file://%s/%s/journal", o.runs, run_id);
    if (!(journal = store_open(path.ptr, &err))) {
        fprintf(stderr, "sim_backtest: %s\n", dstr_cstr(&err));
        goto done;
    }
    sb_tally y = {.ex = sim_exchange_table(s)};
    sim_run_spec spec = {.cfg = &c,
                         .sim = s,
                         .journal = journal,
                         .symbols = o.symbols,
                         .n = o.n,
                         .from_ms = from,
                         .to_ms = to,
                         .step_ms = step,
                         .on_step = tally,
                         .ctx = &y};
    sim_run_stats st;
    int64_t t0 = clock_mono_ms();
    sim_run(&spec, &st);
    double secs = (double)(clock_mono_ms() - t0) / 1000;
    sim_report_make(s, &r);
    char a[32], b[32];
    utc(from, a, sizeof a);
    utc(to, b, sizeof b);
    printf("period      %s .. %s UTC, a run every %" PRId64 " min: %zu runs (%.0f runs/s)\n", a, b,
           step / 60000, st.steps, secs > 0 ? (double)st.steps / secs : 0.0);
    printf("runs        ok %zu, partial %zu, alert %zu, other %zu\n", st.outcomes[0],
           st.outcomes[1], st.outcomes[2], st.outcomes[3]);
    printf("decisions   %zu worth an entry, %zu executed, %zu fills\n", st.decisions, st.executed,
           r.fills);
    ex_read_spec rs = {.symbols = o.symbols, .n_symbols = o.n, .parts = EX_READ_POSITIONS};
    ex_account acct;
    ex_read(sim_exchange_table(s), &rs, sim_now(s), 0, NULL, &acct);
    double open_pnl = 0;
    size_t open = 0;
    for (size_t i = 0; i < acct.n_positions; i++) {
        open_pnl += acct.positions[i].unrealized_pnl;
        open += acct.positions[i].amount != 0;
    }
    ex_account_free(&acct);
    printf("account     start %.2f USDT; end: wallet %.2f, equity %.2f (%zu open positions at "
           "the last price)\n",
           r.start_balance, r.wallet, r.wallet + open_pnl, open);
    printf("income      realised PnL %.2f, fees %.2f, funding %.2f, insurance clear %.2f\n",
           r.realized_pnl, r.commission ? -r.commission : 0.0, r.funding, r.insurance_clear);
    for (size_t k = 0; k < y.n; k++)
        printf("step        %-15s %6zu  e.g. %s\n", y.step[k], y.count[k], y.example[k]);
    for (size_t i = 0; i < r.n; i++)
        printf("%-11s funding boundaries: %d paid, %d at the assumed rate, %d missing while "
               "holding, %d missing while flat; %d liquidations\n",
               r.sym[i].symbol, r.sym[i].funding_paid, r.sym[i].funding_assumed,
               r.sym[i].funding_missing_held, r.sym[i].funding_missing_flat, r.sym[i].liquidations);
    char hash[PL_CONFIG_HASH_LEN];
    pl_config_hash(&c, hash, sizeof hash);
    sim_record_meta meta = {.symbols = o.symbols,
                            .n = o.n,
                            .from_ms = from,
                            .to_ms = to,
                            .step_ms = step,
                            .config_hash = hash,
                            .risk_usdt = c.risk_usdt};
    dstr_clear(&path);
    dstr_printf(&path, "file://%s/%s", o.runs, run_id);
    store *folder = store_open(path.ptr, &err);
    if (!folder || sim_record_write(folder, journal, &y.record, s, &st, &meta, &err)) {
        fprintf(stderr, "sim_backtest: the run's record: %s\n", dstr_cstr(&err));
        store_close(folder);
        sim_record_free(&y.record);
        sim_report_free(&r);
        goto done;
    }
    store_close(folder);
    sim_record_free(&y.record);
    printf("record      %s/%s/{summary.json,report.html,equity.csv,trades.csv}\n", o.runs, run_id);
    printf("journal     %s/%s/journal\n", o.runs, run_id);
    printf("%s\n", run_id);
    sim_report_free(&r);
    rc = 0;
done:
    store_close(journal);
    sim_exchange_free(s);
    dstr_free(&path);
    dstr_free(&err);
    cfg_free(&c);
    return rc;
}
