/* sim_record: a simulated run's record (see sim_record.h). */
#include "pipelines/sim_record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "pipelines/audit.h"
#include "platform/svg.h"
#include "services/history_fetch.h"
#include "services/journal.h"
#include "services/journal_trade.h"

void sim_record_point(sim_record *r, exchange *ex, int64_t t) {
    ex_read_spec spec = {.parts = EX_READ_BALANCES | EX_READ_POSITIONS};
    ex_account a;
    ex_read(ex, &spec, t, 0, NULL, &a);
    sim_point p = {.t = t};
    for (size_t i = 0; i < a.n_balances; i++)
        if (strcmp(a.balances[i].asset, "USDT") == 0) p.wallet = a.balances[i].balance;
    for (size_t i = 0; i < a.n_positions; i++) {
        p.unrealized += a.positions[i].unrealized_pnl;
        p.open += a.positions[i].amount != 0;
    }
    ex_account_free(&a);
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        sim_point *grown = realloc(r->v, r->cap * sizeof *grown);
        if (!grown) abort();
        r->v = grown;
    }
    r->v[r->n++] = p;
}

void sim_record_free(sim_record *r) {
    free(r->v);
    memset(r, 0, sizeof *r);
}

static void iso(int64_t ms, char *buf, size_t n) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- round trips --------------------------------------------------------------------- */

typedef struct closed_trade {
    int64_t t;
    double net;
} closed_trade;

typedef struct trips {
    closed_trade *v;
    size_t n;
    double open_net; /* the round trips still open: their net so far */
} trips;

static int by_time(const void *a, const void *b) {
    int64_t x = ((const closed_trade *)a)->t, y = ((const closed_trade *)b)->t;
    return (x > y) - (x < y);
}

/* The round trips of every symbol from the fills (oldest first). */
static void round_trips(const ex_fill *f, size_t n, const char *const *symbols, size_t ns,
                        trips *out) {
    out->v = calloc(n + 1, sizeof *out->v);
    if (!out->v) abort();
    for (size_t k = 0; k < ns; k++) {
        double amount = 0, net = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(f[i].symbol, symbols[k]) != 0) continue;
            double before = amount;
            amount += f[i].side == EX_BUY ? f[i].qty : -f[i].qty;
            if (fabs(amount) < 1e-9) amount = 0;
            net += f[i].realized_pnl - f[i].commission;
            if (before != 0 && (amount == 0 || (amount > 0) != (before > 0))) {
                out->v[out->n++] = (closed_trade){f[i].time, net};
                net = 0;
            }
        }
        out->open_net += net;
    }
    qsort(out->v, out->n, sizeof *out->v, by_time);
}

/* Sharpe (downside 0) or Sortino (downside 1) of the daily returns. */
static double daily_ratio(const sim_record *r, double start, int downside) {
    double prev = start, sum = 0, sq = 0, down = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        int last_of_day = i + 1 == r->n || r->v[i + 1].t / 86400000 != r->v[i].t / 86400000;
        if (!last_of_day) continue;
        double equity = r->v[i].wallet + r->v[i].unrealized;
        double ret = prev > 0 ? equity / prev - 1 : 0;
        prev = equity;
        sum += ret;
        sq += ret * ret;
        down += ret < 0 ? ret * ret : 0;
        n++;
    }
    if (n < 2) return NAN;
    double mean = sum / (double)n;
    double spread =
        downside ? sqrt(down / (double)n) : sqrt((sq - (double)n * mean * mean) / (double)(n - 1));
    return spread > 0 ? mean / spread * sqrt(365) : NAN;
}

static void put_num(dstr *s, const char *key, double v) {
    dstr_printf(s, ",\"%s\":", key);
    dstr_json_num(s, v);
}

static void trade_stats(dstr *sum, const trips *t, const sim_record *r, double start,
                        double risk_usdt) {
    size_t wins = 0, streak = 0, longest = 0;
    double won = 0, lost = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->v[i].net > 0) {
            wins++;
            won += t->v[i].net;
            streak = 0;
        } else {
            lost -= t->v[i].net;
            if (++streak > longest) longest = streak;
        }
    }
    size_t exposed = 0;
    for (size_t i = 0; i < r->n; i++) exposed += r->v[i].open > 0;
    dstr_printf(sum, ",\"closed_trades\":%zu,\"wins\":%zu,\"losses\":%zu", t->n, wins, t->n - wins);
    put_num(sum, "win_rate", t->n ? (double)wins / (double)t->n : NAN);
    put_num(sum, "profit_factor", lost > 0 ? won / lost : NAN);
    put_num(sum, "avg_r", t->n && risk_usdt > 0 ? (won - lost) / (double)t->n / risk_usdt : NAN);
    dstr_printf(sum,
                ",\"longest_losing_streak\":%zu,\"closed_trades_net\":%.8f,"
                "\"open_trade_net\":%.8f",
                longest, won - lost, t->open_net);
    put_num(sum, "exposure", r->n ? (double)exposed / (double)r->n : NAN);
    put_num(sum, "sharpe_daily", daily_ratio(r, start, 0));
    put_num(sum, "sortino_daily", daily_ratio(r, start, 1));
}

/* ---- report.html ------------------------------------------------------------------- */

/* The summary's plain fields as table rows (objects and arrays left out). */
static void summary_rows(dstr *html, const dstr *summary) {
    cJSON *root = cJSON_ParseWithLength(summary->ptr, summary->len);
    const cJSON *it;
    dstr_puts(html, "<table>\n");
    cJSON_ArrayForEach(it, root) {
        if (cJSON_IsObject(it) || cJSON_IsArray(it)) continue;
        dstr_puts(html, "<tr><th>");
        svg_escape(html, it->string);
        dstr_puts(html, "</th><td>");
        if (cJSON_IsString(it)) svg_escape(html, it->valuestring);
        else if (cJSON_IsBool(it)) dstr_puts(html, cJSON_IsTrue(it) ? "true" : "false");
        else if (cJSON_IsNumber(it)) dstr_json_num(html, it->valuedouble);
        else dstr_puts(html, "null");
        dstr_puts(html, "</td></tr>\n");
    }
    dstr_puts(html, "</table>\n");
    cJSON_Delete(root);
}

static void report_html(dstr *html, const dstr *summary, const sim_record *r, double start,
                        const char *from, const char *to) {
    double *equity = calloc(r->n + 1, sizeof *equity), *dd = calloc(r->n + 1, sizeof *dd);
    if (!equity || !dd) abort();
    double peak = start;
    for (size_t i = 0; i < r->n; i++) {
        equity[i] = r->v[i].wallet + r->v[i].unrealized;
        if (equity[i] > peak) peak = equity[i];
        dd[i] = peak > 0 ? -100 * (peak - equity[i]) / peak : 0;
    }
    dstr_puts(html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Simulated run "
                    "</title>\n<style>body{font-family:sans-serif;margin:2em}th{text-align:left;"
                    "padding-right:2em}td{text-align:right}</style></head><body>\n"
                    "<h1>Simulated run ");
    svg_escape(html, from);
    dstr_puts(html, " .. ");
    svg_escape(html, to);
    dstr_puts(html, "</h1>\n");
    svg_series eq = {equity, r->n, "#1f77b4", "equity (USDT)"};
    svg_line_chart(html, "Equity (USDT, after every run)", &eq, 1, from, to, 900, 300);
    svg_series down = {dd, r->n, "#d62728", "drawdown (%)"};
    svg_line_chart(html, "Drawdown from the peak (%)", &down, 1, from, to, 900, 200);
    summary_rows(html, summary);
    dstr_puts(html, "</body></html>\n");
    free(equity);
    free(dd);
}

static int put(store *out, const char *key, const dstr *body, dstr *err) {
    if (store_put(out, key, body->ptr, body->len, err) == STORE_OK) return 0;
    dstr_error_line(err, "%s: not written", key);
    return -1;
}

int sim_record_write(store *out, store *journal, const sim_record *r, const sim_exchange *sim,
                     const sim_run_stats *st, const sim_record_meta *meta, dstr *err) {
    sim_report report;
    sim_report_make(sim, &report);
    const sim_report *rep = &report;
    dstr eq = {0}, trades = {0}, sum = {0};
    double peak = rep->start_balance, max_dd = 0, max_dd_pct = 0;
    dstr_puts(&eq, "time,wallet,unrealized_pnl,equity,drawdown,drawdown_pct\r\n");
    for (size_t i = 0; i < r->n; i++) {
        const sim_point *p = &r->v[i];
        double equity = p->wallet + p->unrealized;
        if (equity > peak) peak = equity;
        double dd = peak - equity, pct = peak > 0 ? 100 * dd / peak : 0;
        if (dd > max_dd) max_dd = dd;
        if (pct > max_dd_pct) max_dd_pct = pct;
        char t[32];
        iso(p->t, t, sizeof t);
        dstr_printf(&eq, "%s,%.8f,%.8f,%.8f,%.8f,%.4f\r\n", t, p->wallet, p->unrealized, equity, dd,
                    pct);
    }
    int truncated = 0;
    if (journal_trade_csv(journal, JOURNAL_LIMIT_MAX, &trades, err)) {
        dstr_free(&eq);
        sim_report_free(&report);
        dstr_error_line(err, "trades.csv: the trade journal could not be read");
        return -1;
    }
    for (const char *p = trades.ptr; p && (p = strstr(p, "\r\n")); p += 2) truncated++;
    truncated = truncated - 1 >= JOURNAL_LIMIT_MAX; /* the header's line end counted */
    double unrealized = r->n ? r->v[r->n - 1].unrealized : 0;
    double net = rep->realized_pnl - rep->commission + rep->funding + rep->insurance_clear;
    char from[32], to[32];
    iso(meta->from_ms, from, sizeof from);
    iso(meta->to_ms, to, sizeof to);
    dstr_printf(&sum, "{\"from\":\"%s\",\"to\":\"%s\",\"step_ms\":%lld,\"symbols\":[", from, to,
                (long long)meta->step_ms);
    for (size_t i = 0; i < meta->n; i++) {
        if (i) dstr_putc(&sum, ',');
        dstr_json_str(&sum, meta->symbols[i]);
    }
    dstr_puts(&sum, "],\"config_hash\":");
    dstr_json_str(&sum, meta->config_hash ? meta->config_hash : "");
    dstr_printf(&sum,
                ",\"runs\":%zu,\"entries\":%zu,\"fills\":%zu,\"trades_csv_truncated\":%s,"
                "\"start_equity\":%.8f,\"end_equity\":%.8f,\"end_wallet\":%.8f,"
                "\"gross_pnl\":%.8f,\"fees\":%.8f,\"funding\":%.8f,\"insurance_clear\":%.8f,"
                "\"net_pnl\":%.8f,\"unrealized_pnl\":%.8f,\"max_drawdown\":%.8f,"
                "\"max_drawdown_pct\":%.4f,\"funding_coverage\":{",
                st->steps, st->executed, rep->fills, truncated ? "true" : "false",
                rep->start_balance, rep->wallet + unrealized, rep->wallet, rep->realized_pnl,
                rep->commission, rep->funding, rep->insurance_clear, net, unrealized, max_dd,
                max_dd_pct);
    int liquidations = 0;
    for (size_t i = 0; i < rep->n; i++) {
        const sim_symbol_report *y = &rep->sym[i];
        liquidations += y->liquidations;
        if (i) dstr_putc(&sum, ',');
        dstr_json_str(&sum, y->symbol);
        dstr_printf(
            &sum, ":{\"paid\":%d,\"assumed\":%d,\"missing_holding\":%d,\"missing_flat\":%d}",
            y->funding_paid, y->funding_assumed, y->funding_missing_held, y->funding_missing_flat);
    }
    dstr_printf(&sum, "},\"liquidations\":%d", liquidations);
    size_t n_fills;
    const ex_fill *fills = sim_fills(sim, &n_fills);
    trips t = {0};
    round_trips(fills, n_fills, meta->symbols, meta->n, &t);
    trade_stats(&sum, &t, r, rep->start_balance, meta->risk_usdt);
    free(t.v);
    dstr_puts(&sum, "}\n");
    dstr html = {0};
    report_html(&html, &sum, r, rep->start_balance, from, to);
    int rc = put(out, "equity.csv", &eq, err) || put(out, "trades.csv", &trades, err) ||
                     put(out, "summary.json", &sum, err) || put(out, "report.html", &html, err)
                 ? -1
                 : 0;
    dstr_free(&html);
    dstr_free(&eq);
    dstr_free(&trades);
    dstr_free(&sum);
    sim_report_free(&report);
    return rc;
}

/* ---- the run's inputs: config.json and manifest.json ------------------------------------- */

typedef struct cfg_json {
    cJSON *vars, *symbols, *strategy;
} cfg_json;

static void add_setting(void *ctx, const char *name, const char *value, int number, int strategy) {
    cfg_json *j = ctx;
    int symbol = strcmp(name, "SYMBOLS[]") == 0;
    if (symbol) {
        if (!j->symbols) {
            j->symbols = cJSON_AddArrayToObject(j->vars, "SYMBOLS");
            cJSON_AddItemToArray(j->strategy, cJSON_CreateString("SYMBOLS"));
        }
        cJSON_AddItemToArray(j->symbols, cJSON_CreateString(value));
        return;
    }
    cJSON_AddItemToObject(j->vars, name,
                          number ? cJSON_CreateRaw(value) : cJSON_CreateString(value));
    if (strategy) cJSON_AddItemToArray(j->strategy, cJSON_CreateString(name));
}

static int put_json(store *out, const char *key, cJSON *root, dstr *err) {
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) abort();
    dstr body = {0};
    dstr_puts(&body, text);
    dstr_putc(&body, '\n');
    free(text);
    int rc = put(out, key, &body, err);
    dstr_free(&body);
    return rc;
}

static cJSON *config_json(const sim_record_meta *m) {
    cJSON *root = cJSON_CreateObject();
    char hash[PL_CONFIG_HASH_LEN], strategy[PL_CONFIG_HASH_LEN], from[32], to[32];
    pl_config_hash(m->cfg, hash, sizeof hash);
    pl_strategy_hash(m->cfg, strategy, sizeof strategy);
    cJSON_AddStringToObject(root, "config_hash", hash);
    cJSON_AddStringToObject(root, "strategy_hash", strategy);
    cJSON_AddStringToObject(root, "build_version", pl_build_version());
    cfg_json j = {.vars = cJSON_AddObjectToObject(root, "variables")};
    j.strategy = cJSON_CreateArray();
    pl_config_each(m->cfg, add_setting, &j);
    cJSON_AddItemToObject(root, "strategy_variables", j.strategy);
    cJSON *bt = cJSON_AddObjectToObject(root, "backtest");
    cJSON_AddStringToObject(bt, "data_dir", m->data_dir ? m->data_dir : "");
    cJSON *syms = cJSON_AddArrayToObject(bt, "symbols");
    for (size_t i = 0; i < m->n; i++) cJSON_AddItemToArray(syms, cJSON_CreateString(m->symbols[i]));
    iso(m->from_ms, from, sizeof from);
    iso(m->to_ms, to, sizeof to);
    cJSON_AddStringToObject(bt, "from", from);
    cJSON_AddStringToObject(bt, "to", to);
    cJSON_AddNumberToObject(bt, "step_ms", (double)m->step_ms);
    cJSON_AddNumberToObject(bt, "start_balance", m->balance);
    if (m->assume_funding) cJSON_AddNumberToObject(bt, "assumed_funding_rate", m->assumed_rate);
    else cJSON_AddNullToObject(bt, "assumed_funding_rate");
    cJSON_AddStringToObject(bt, "predictor", "builtin");
    cJSON_AddBoolToObject(bt, "execute_trades", 1);
    return root;
}

static void add_span(cJSON *to, const cJSON *entry, int gaps) {
    static const char *const keys[] = {"rows", "first_ms", "last_ms", "gap_count"};
    for (size_t k = 0; k < (gaps ? 4u : 3u); k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, keys[k]);
        if (cJSON_IsNumber(v)) cJSON_AddNumberToObject(to, keys[k], v->valuedouble);
    }
    const cJSON *first = cJSON_GetObjectItemCaseSensitive(entry, "first_ms");
    const cJSON *last = cJSON_GetObjectItemCaseSensitive(entry, "last_ms");
    char t[32];
    if (cJSON_IsNumber(first)) {
        iso((int64_t)first->valuedouble, t, sizeof t);
        cJSON_AddStringToObject(to, "first", t);
    }
    if (cJSON_IsNumber(last)) {
        iso((int64_t)last->valuedouble, t, sizeof t);
        cJSON_AddStringToObject(to, "last", t);
    }
}

static cJSON *manifest_json(const sim_record_meta *m, const sim_exchange *sim) {
    cJSON *root = cJSON_CreateObject();
    const char *dir = m->data_dir ? m->data_dir : "";
    cJSON_AddStringToObject(root, "data_dir", dir);
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    cJSON *coverage = cJSON_AddObjectToObject(root, "coverage");
    cJSON_AddItemToArray(files, hf_manifest_file(dir, NULL, "exchangeInfo.json"));
    dstr name = {0}, path = {0};
    for (size_t i = 0; i < m->n; i++) {
        cJSON *sym = cJSON_AddObjectToObject(coverage, m->symbols[i]);
        for (size_t k = 0; k <= SIM_LOAD_INTERVALS; k++) {
            int funding = k == SIM_LOAD_INTERVALS;
            dstr_clear(&name);
            dstr_clear(&path);
            if (funding) dstr_printf(&name, "%s-funding.csv", m->symbols[i]);
            else dstr_printf(&name, "%s-%s.csv", m->symbols[i], sim_load_intervals[k]);
            dstr_printf(&path, "%s/%s/%s", dir, funding ? "funding" : "klines", name.ptr);
            FILE *f = fopen(path.ptr, "rb");
            if (!f) continue; /* not read: sim_exchange_load skips it (or failed on it) */
            fclose(f);
            cJSON *e = hf_manifest_file(dir, funding ? "funding" : "klines", name.ptr);
            cJSON_AddItemToArray(files, e);
            add_span(cJSON_AddObjectToObject(sym, funding ? "funding" : sim_load_intervals[k]), e,
                     !funding);
        }
    }
    dstr_free(&name);
    dstr_free(&path);
    cJSON_AddStringToObject(
        root, "gap_handling",
        "no candle is made up: across a gap in the price path (5m) the price holds at the last "
        "close, and the jump to the next open is a gap that fills what it crosses at that open; "
        "snapshots hold the candles there are (the indicators see the rows before the gap); "
        "backtest fetch fills gaps from Binance where it has the candles");
    sim_report rep;
    sim_report_make(sim, &rep);
    cJSON *fund = cJSON_AddObjectToObject(root, "funding");
    if (m->assume_funding) cJSON_AddNumberToObject(fund, "assumed_rate", m->assumed_rate);
    else cJSON_AddNullToObject(fund, "assumed_rate");
    cJSON *per = cJSON_AddObjectToObject(fund, "symbols");
    for (size_t i = 0; i < rep.n; i++) {
        const sim_symbol_report *y = &rep.sym[i];
        cJSON *o = cJSON_AddObjectToObject(per, y->symbol);
        cJSON_AddNumberToObject(o, "boundaries_paid", y->funding_paid);
        cJSON_AddNumberToObject(o, "boundaries_assumed", y->funding_assumed);
        cJSON_AddNumberToObject(o, "boundaries_missing_holding", y->funding_missing_held);
        cJSON_AddNumberToObject(o, "boundaries_missing_flat", y->funding_missing_flat);
    }
    sim_report_free(&rep);
    return root;
}

int sim_record_write_inputs(store *out, const sim_exchange *sim, const sim_record_meta *meta,
                            dstr *err) {
    if (!meta->cfg) {
        dstr_error_line(err, "config.json: no configuration given");
        return -1;
    }
    if (put_json(out, "config.json", config_json(meta), err)) return -1;
    return put_json(out, "manifest.json", manifest_json(meta, sim), err);
}
