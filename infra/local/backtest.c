/* backtest: the trader's own run (pipelines/sim_run.h) stepped over
 * history on the simulated exchange (services/sim_exchange.h): what the
 * trader would have done with an account, fees, funding, sizing and risk
 * limits, not a score of its signals (that is build/bin/signal_score).
 *
 *   backtest [--dir DIR] [--symbol SYM]... [--from T] [--to T]
 *            [--step 5m|1h|4h|1d] [--balance USDT] [--funding-rate R|none]
 *            [--runs DIR] [--probe]
 *
 * With no argument it runs the bundled history (DIR tests/data/binance, in
 * the layout history.h reads) for the configuration's SYMBOLS. The
 * configuration is the trader's own (the same variables, validated as at
 * its init; EXECUTE_TRADES is taken as true: the account is the point); the
 * predictor is the built-in model (a language model's answers about past
 * prices are no fair test). T is unix milliseconds or UTC
 * "YYYY-MM-DDTHH:MM" (default: the span every symbol's 5m history covers);
 * the account starts with --balance (10000) USDT at Binance's defaults
 * (leverage 20, CROSSED), which the trader's set-up changes as it would
 * live. Funding: the history's rate at each 8-hourly boundary it has; a
 * boundary it lacks is paid at --funding-rate R (default 0.0001, Binance's
 * base rate: the bundled funding history ends in October 2025, the 5m
 * candles are from December, and the risk manager refuses an entry whose
 * rate is unknown) and counted as assumed; with "none" it is counted
 * missing and nothing is paid. The journal goes to RUNS/<run id>/journal
 * (default runs/), beside the record (pipelines/sim_record.h: equity.csv,
 * trades.csv, summary.json, report.html, config.json, manifest.json).
 * --probe judges the run as the probe before going live (pipelines/probe.h:
 * PROBE_MAX_DRAWDOWN_PCT, PROBE_MIN_TRADES) and records it, ready or not
 * and why, in the configuration's own journal (JOURNAL_URL, or LOG_DIR);
 * it needs the run's symbols to be SYMBOLS. Prints what it assumed, the
 * account at the end, the income by type, the funding coverage per symbol
 * and the speed; the run id is the last line. Exit 0, or 1 when the data,
 * an argument or the probe record is bad.
 *
 *   backtest fetch --from T [--to T] [--symbol SYM] [--interval TF]...
 *                  [--dir DIR] [--offline]
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
#include <fcntl.h>
#include <unistd.h>

#include <cJSON.h>

#include "domain/marketdata.h"
#include "pipelines/audit.h"
#include "pipelines/env.h"
#include "pipelines/probe.h"
#include "pipelines/sim_record.h"
#include "pipelines/sim_run.h"
#include "platform/clock.h"
#include "platform/config.h"
#include "platform/dstr.h"
#include "platform/log.h"
#include "platform/http.h"
#include "services/binance.h"
#include "services/history_fetch.h"
#include "services/journal_probe.h"
#include "services/sim_exchange.h"
#include "store/store.h"

#define SB_MAX_SYMBOLS CFG_MAX_SYMBOLS
#define SB_DEFAULT_FUNDING_RATE 0.0001 /* Binance's base rate, 0.01 % per 8 h */

typedef struct sb_options {
    const char *dir, *runs;
    const char *symbols[SB_MAX_SYMBOLS];
    size_t n;
    int64_t from_ms, to_ms, step_ms;
    double balance;
    int assume_funding;
    double funding_rate;
    int probe;
} sb_options;

static int usage(void) {
    fprintf(stderr, "usage: backtest [--dir DIR] [--symbol SYM]... [--from T] [--to T]\n"
                    "                [--step 5m|1h|4h|1d] [--balance USDT] "
                    "[--funding-rate R|none] [--runs DIR] [--probe]\n"
                    "       backtest fetch ... (backtest fetch --help)\n"
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

static int parse_args(const cfg *c, int argc, char **argv, sb_options *o) {
    *o = (sb_options){.dir = "tests/data/binance",
                      .runs = "runs",
                      .balance = 10000,
                      .assume_funding = 1,
                      .funding_rate = SB_DEFAULT_FUNDING_RATE};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--probe") == 0) {
            o->probe = 1;
            continue;
        }
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
            o->assume_funding = strcmp(v, "none") != 0;
            if (o->assume_funding && cfg_parse_double(v, -0.1, 0.1, &o->funding_rate)) return -1;
        } else {
            return -1;
        }
    }
    if (!o->n) /* the configuration's own */
        for (size_t i = 0; i < c->n_symbols; i++) o->symbols[o->n++] = c->symbols[i];
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

/* 1 when the run's symbols are SYMBOLS (the same set). */
static int same_symbols(const cfg *c, const sb_options *o) {
    if (o->n != c->n_symbols) return 0;
    for (size_t i = 0; i < o->n; i++) {
        int found = 0;
        for (size_t k = 0; k < c->n_symbols; k++)
            found |= strcmp(o->symbols[i], c->symbols[k]) == 0;
        if (!found) return 0;
    }
    return 1;
}

/* Reads back the figures a probe is judged on from the run's summary.json. */
static int summary_figures(store *folder, double *dd_pct, long *trades, double *net, dstr *err) {
    dstr text = {0};
    int rc = -1;
    if (store_get(folder, "summary.json", &text, err) == STORE_OK) {
        cJSON *o = cJSON_ParseWithLength(text.ptr, text.len);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "max_drawdown_pct");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "closed_trades");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "net_pnl");
        if (cJSON_IsNumber(d) && cJSON_IsNumber(t) && cJSON_IsNumber(n)) {
            *dd_pct = d->valuedouble;
            *trades = (long)t->valuedouble;
            *net = n->valuedouble;
            rc = 0;
        } else {
            dstr_error_line(err, "summary.json lacks max_drawdown_pct, closed_trades or net_pnl");
        }
        cJSON_Delete(o);
    }
    dstr_free(&text);
    return rc;
}

/* --probe: the run judged as the probe and recorded in the configuration's
 * journal; prints the verdict. 0, or -1 when it could not be recorded. */
static int record_probe(const cfg *c, store *folder, const char *run_id, const sb_options *o,
                        int64_t from, int64_t to) {
    journal_probe p = {.time_ms = clock_wall_ms(), .symbols = o->symbols, .n_symbols = o->n};
    dstr err = {0};
    int rc = summary_figures(folder, &p.max_drawdown_pct, &p.closed_trades, &p.net_pnl, &err);
    pl_resources *res = rc ? NULL : pl_resources_new(c);
    if (res) {
        pl_strategy_hash(c, p.strategy_hash, sizeof p.strategy_hash);
        pl_config_hash(c, p.config_hash, sizeof p.config_hash);
        snprintf(p.run_id, sizeof p.run_id, "%s", run_id);
        p.ready = pl_probe_judge(c, p.max_drawdown_pct, p.closed_trades, p.why, sizeof p.why);
        utc(from, p.from, sizeof p.from);
        utc(to, p.to, sizeof p.to);
        store *journal = pl_resources_journal(res, p.time_ms + PL_PROBE_INIT_BUDGET_MS);
        rc = journal_probe_put(journal, &p, &err) == JOURNAL_OK ? 0 : -1;
    }
    if (rc) fprintf(stderr, "backtest: the probe record: %s\n", dstr_cstr(&err));
    else
        printf("probe       strategy %s %s (%s), recorded in %s\n", p.strategy_hash,
               p.ready ? "READY" : "NOT READY", p.why, c->journal_url);
    pl_resources_free(res);
    dstr_free(&err);
    return rc;
}

#define SB_MAX_INTERVALS 8

static int fetch_usage(void) {
    fprintf(stderr, "usage: backtest fetch --from T [--to T] [--symbol SYM] [--interval TF]...\n"
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
        fprintf(stderr, "backtest fetch: the HTTP client could not start\n");
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
    if (rc) fprintf(stderr, "backtest fetch: %s\n", dstr_cstr(&err));
    dstr_free(&err);
    http_client_free(http);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    cfg c;
    dstr err = {0};
    if (cfg_load(&c, &err)) { /* the trader's own variables, validated as at its init */
        fprintf(stderr, "backtest: invalid configuration:\n%s\n", err.ptr);
        dstr_free(&err);
        cfg_free(&c);
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "fetch") == 0) {
        log_init("backtest");
        log_set_level(LOG_ERROR);
        int frc = fetch_main(&c, argc - 1, argv + 1);
        cfg_free(&c);
        return frc;
    }
    sb_options o;
    if (parse_args(&c, argc, argv, &o)) {
        cfg_free(&c);
        return usage();
    }
    if (o.probe && !same_symbols(&c, &o)) {
        fprintf(stderr, "backtest: --probe tests the configuration: its symbols must be "
                        "SYMBOLS (drop --symbol, or set SYMBOLS)\n");
        cfg_free(&c);
        return 1;
    }
    log_init("backtest");
    log_set_level(LOG_WARN); /* the runs' INFO lines are in the journal's run records */
    sim_config sc = {.balance = o.balance,
                     .fee_taker = c.fee_taker,
                     .fee_maker = c.fee_maker,
                     .slippage_bps = c.slippage_bps,
                     .margin_type = EX_CROSSED,
                     .assume_funding = o.assume_funding,
                     .assumed_rate = o.funding_rate,
                     .start_ms = o.from_ms ? o.from_ms - 1 : 0};
    sim_exchange *s = sim_exchange_new(&sc);
    int rc = 1, log_fd = -1;
    store *journal = NULL;
    dstr path = {0};
    if (sim_exchange_load(s, o.dir, o.symbols, o.n, &err)) {
        fprintf(stderr, "backtest: %s\n", dstr_cstr(&err));
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
        fprintf(stderr, "backtest: --to is before --from\n");
        goto done;
    }
    char run_id[64];
    snprintf(run_id, sizeof run_id, "sim-%" PRId64 "-%" PRId64 "-%" PRId64, from, to,
             clock_wall_ms());
    mkdir(o.runs, 0755);
    dstr_printf(&path, "%s/%s", o.runs, run_id);
    if (mkdir(path.ptr, 0755)) {
        fprintf(stderr, "backtest: cannot create %s\n", path.ptr);
        goto done;
    }
    dstr_printf(&path, "/log.jsonl");
    /* the runs' log lines (a metrics line each, warnings) go beside the
     * record, not into the report on stdout */
    log_fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    log_set_fd(log_fd);
    dstr_clear(&path);
    dstr_printf(&path, "file://%s/%s/journal", o.runs, run_id);
    if (!(journal = store_open(path.ptr, &err))) {
        fprintf(stderr, "backtest: %s\n", dstr_cstr(&err));
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
    if (o.assume_funding)
        printf("assumed     funding %.6g at each 8 h boundary the history lacks (counted below as "
               "assumed; --funding-rate R or none)\n",
               o.funding_rate);
    else
        printf("assumed     no funding where the history lacks it (counted below as missing; "
               "entries with an unknown rate are refused)\n");
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
                            .risk_usdt = c.risk_usdt,
                            .cfg = &c,
                            .data_dir = o.dir,
                            .balance = o.balance,
                            .assume_funding = o.assume_funding,
                            .assumed_rate = o.funding_rate};
    dstr_clear(&path);
    dstr_printf(&path, "file://%s/%s", o.runs, run_id);
    store *folder = store_open(path.ptr, &err);
    if (!folder || sim_record_write(folder, journal, &y.record, s, &st, &meta, &err) ||
        sim_record_write_inputs(folder, s, &meta, &err)) {
        fprintf(stderr, "backtest: the run's record: %s\n", dstr_cstr(&err));
        store_close(folder);
        sim_record_free(&y.record);
        sim_report_free(&r);
        goto done;
    }
    sim_record_free(&y.record);
    printf("record      %s/%s/{summary.json,report.html,equity.csv,trades.csv,config.json,"
           "manifest.json,log.jsonl}\n",
           o.runs, run_id);
    printf("journal     %s/%s/journal\n", o.runs, run_id);
    int probe_rc = o.probe ? record_probe(&c, folder, run_id, &o, from, to) : 0;
    store_close(folder);
    printf("%s\n", run_id);
    sim_report_free(&r);
    rc = probe_rc ? 1 : 0;
done:
    log_set_fd(-1);
    if (log_fd >= 0) close(log_fd);
    store_close(journal);
    sim_exchange_free(s);
    dstr_free(&path);
    dstr_free(&err);
    cfg_free(&c);
    return rc;
}
