/* signal_score: replays the decision pipeline over bundled Binance klines and
 * scores every LONG/SHORT decision by what the market did next.
 *
 *   signal_score [--dir DIR] [--symbol SYM]... [--step 5m|1h|4h|1d]
 *            [--horizon-h H] [--csv] [--min-prob P] [--rr-min R]
 *            [--atr-mult-tp X] [--atr-mult-sl X] [--max-spread-bps B]
 *
 * Reads DIR/<SYMBOL>-<tf>.csv for 5m, 1h, 4h and 1d (Binance kline CSV: a
 * header, then open_time,open,high,low,close,volume,close_time,...; the
 * remaining columns may be empty). At every close of the step timeframe
 * (default 1h) it builds the snapshot the live trader would have had: the
 * newest 300 candles per timeframe that had closed by then, nothing later.
 * There is no historical order book, so the book is synthetic: mid = the last
 * 5m close, spread 1 bps (one level a side); mark = mid, funding unknown.
 * Then the trader's own decision entry point (domain/decide.h: gate,
 * features, the built-in predictor, decision_make) with the trader's
 * configuration: the same environment variables (MIN_PROB, RR_MIN,
 * ATR_MULT_TP, ATR_MULT_SL, MAX_SPREAD_BPS, ATR_PERIOD, ATR_TF), validated
 * the same way, each overridable by its flag. A language model's answers
 * about past prices are no fair test, so the built-in model always predicts.
 *
 * Each LONG/SHORT is assumed filled at its entry at decision time, then the
 * 5m candles that follow are walked until TP or SL is touched (a candle that
 * touches both counts as SL: the order inside a candle is unknown). Neither
 * within the horizon (default 48 h) or before the data ends: "open", valued
 * at the last close of the horizon. Outcomes in R: TP = +rr, SL = -1, open =
 * its move over the risk. Decisions overlap (one per step, each held up to
 * the horizon): this measures the signal, it is not an account simulation;
 * fees and slippage are ignored.
 *
 * Steps before every timeframe has FEAT_MIN_CANDLES candles are warm-up and
 * skipped. Output: a summary per symbol (directions, FLAT and rejection
 * reasons, outcomes per probability bucket), or with --csv one row per
 * decision. */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/decide.h"
#include "domain/decision.h"
#include "domain/market_features.h"
#include "domain/marketdata.h"
#include "domain/prediction.h"
#include "domain/predictor.h"
#include "pipelines/env.h"
#include "platform/dstr.h"
#include "services/history.h"
#include "platform/config.h"

#define BT_DEFAULT_DIR "tests/data/binance/klines"
#define BT_MAX_SYMBOLS 8
#define BT_SNAPSHOT_BARS 300
#define BT_SPREAD_BPS 1.0
#define BT_TOP 5

/* ---- loading ------------------------------------------------------------- */

/* One kline file (services/history.h: the one parser of them). */
static int bt_load(const char *path, candles *out) {
    dstr err = {0};
    int rc = hist_load_candles(path, out, &err);
    if (rc) fprintf(stderr, "signal_score: %s\n", dstr_cstr(&err));
    dstr_free(&err);
    return rc;
}

/* ---- tallies --------------------------------------------------------------- */

typedef enum bt_outcome { BT_TP, BT_SL, BT_OPEN } bt_outcome;

typedef struct bt_cell {
    int n, hits[3];
    double sum_r;
} bt_cell;

#define BT_BUCKETS 5
static const double bt_bucket_floor[BT_BUCKETS] = {0, 0.5, 0.6, 0.7, 0.8};
static const char *const bt_bucket_name[BT_BUCKETS] = {"[0.0,0.5)", "[0.5,0.6)", "[0.6,0.7)",
                                                       "[0.7,0.8)", "[0.8,1.0]"};

typedef struct bt_reason {
    char text[DECISION_REASON_LEN];
    int count;
} bt_reason;

#define BT_MAX_REASONS 64

typedef struct bt_reasons {
    bt_reason v[BT_MAX_REASONS];
    size_t n;
    int other; /* distinct reasons beyond the table */
} bt_reasons;

typedef struct bt_stats {
    int warmup, steps, dirs[3], unscored;
    int64_t first_ms, last_ms;
    bt_cell ok[BT_BUCKETS], all[BT_BUCKETS], ok_side[3], all_side[3];
    bt_reasons flat, rejected;
} bt_stats;

static int bt_bucket(double prob) {
    int b = 0;
    while (b + 1 < BT_BUCKETS && prob >= bt_bucket_floor[b + 1]) b++;
    return b;
}

static void bt_cell_add(bt_cell *c, bt_outcome o, double r) {
    c->n++;
    c->hits[o]++;
    c->sum_r += r;
}

/* Length of the number token at s ("0.55", "-3", "nan"), 0 when s starts
 * no such token (a token ends at a space, ',' or ')'; "5m" is not one). */
static size_t bt_number_len(const char *s) {
    size_t n = strcspn(s, " ,)");
    if (n == 3 && strncmp(s, "nan", 3) == 0) return n;
    if (n == 0 || strspn(s, "0123456789.-+e") < n) return 0;
    return strspn(s, "0123456789") || (s[0] == '-' && s[1] >= '0' && s[1] <= '9') ? n : 0;
}

/* Counts text, with every number after a space replaced by N, so
 * "42 candles" and "43 candles" are one reason. */
static void bt_reason_add(bt_reasons *rs, const char *text) {
    char norm[DECISION_REASON_LEN];
    size_t j = 0;
    for (size_t i = 0; text[i] && j + 2 < sizeof norm;) {
        size_t len = i > 0 && text[i - 1] == ' ' ? bt_number_len(text + i) : 0;
        norm[j++] = len ? 'N' : text[i];
        i += len ? len : 1;
    }
    norm[j] = '\0';
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->v[i].text, norm) == 0) {
            rs->v[i].count++;
            return;
        }
    if (rs->n == BT_MAX_REASONS) {
        rs->other++;
        return;
    }
    snprintf(rs->v[rs->n].text, sizeof rs->v[rs->n].text, "%s", norm);
    rs->v[rs->n++].count = 1;
}

static int bt_reason_cmp(const void *a, const void *b) {
    const bt_reason *x = a, *y = b;
    return (y->count > x->count) - (y->count < x->count);
}

/* ---- one step -------------------------------------------------------------- */

typedef struct bt_market {
    candles tf[TF_COUNT]; /* the whole history */
    size_t end[TF_COUNT]; /* candles closed by the current step: [0, end) */
} bt_market;

static void bt_advance(bt_market *m, int64_t now) {
    for (int i = 0; i < TF_COUNT; i++)
        while (m->end[i] < m->tf[i].n && m->tf[i].v[m->end[i]].close_time < now) m->end[i]++;
}

/* The snapshot at now: views into the history, no copies. */
static void bt_snapshot(const bt_market *m, const char *symbol, int64_t now, book_level *bid,
                        book_level *ask, snapshot *s) {
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    s->now_ms = now;
    for (int i = 0; i < TF_COUNT; i++) {
        size_t end = m->end[i], n = end < BT_SNAPSHOT_BARS ? end : BT_SNAPSHOT_BARS;
        s->tf[i] = (candles){m->tf[i].v + (end - n), n};
    }
    double mid = m->end[TF_5M] ? m->tf[TF_5M].v[m->end[TF_5M] - 1].close : NAN;
    double half = mid * BT_SPREAD_BPS / 2e4;
    *bid = (book_level){mid - half, 1};
    *ask = (book_level){mid + half, 1};
    s->book = (order_book){.bids = bid, .asks = ask, .n_bids = 1, .n_asks = 1, .time_ms = now};
    s->premium = (premium_index){.mark_price = mid, .index_price = mid, .funding_rate = NAN};
}

/* Walks the 5m candles from `from` while they open before until. */
static bt_outcome bt_walk(const candles *m5, size_t from, int64_t until, const decision *d,
                          double *r, int *bars) {
    int side = d->dir == DIR_LONG ? 1 : -1;
    double risk = side * (d->entry - d->sl), last = d->entry;
    *bars = 0;
    for (size_t i = from; i < m5->n && m5->v[i].open_time < until; i++) {
        const candle *k = &m5->v[i];
        ++*bars;
        int sl_hit = side > 0 ? k->low <= d->sl : k->high >= d->sl;
        int tp_hit = side > 0 ? k->high >= d->tp : k->low <= d->tp;
        if (sl_hit) return *r = -1, BT_SL; /* both in one candle: SL, conservatively */
        if (tp_hit) return *r = d->rr, BT_TP;
        last = k->close;
    }
    *r = side * (last - d->entry) / risk;
    return BT_OPEN;
}

static const char *const bt_outcome_name[3] = {"TP", "SL", "open"};

/* Appends text as a quoted CSV field. */
static void bt_csv_text(dstr *row, const char *text) {
    dstr_putc(row, '"');
    for (; *text; text++) {
        if (*text == '"') dstr_putc(row, '"');
        dstr_putc(row, *text);
    }
    dstr_putc(row, '"');
}

static void bt_csv_row(const decision *d, const prediction *p, const char *outcome, int bars,
                       double r) {
    dstr row = {0};
    dstr_printf(&row, "%s,%" PRId64 ",%s,", d->symbol, d->candle_time, direction_name(d->dir));
    const double nums[] = {d->prob, d->entry, d->tp, d->sl, d->rr};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        if (isfinite(nums[i])) dstr_printf(&row, "%.10g", nums[i]);
        dstr_putc(&row, ',');
    }
    dstr_printf(&row, "%d,%s,", d->risk_ok, outcome);
    if (*outcome) dstr_printf(&row, "%d,%.4f", bars, r);
    else dstr_putc(&row, ',');
    dstr reasons = {0};
    for (size_t i = 0; i < d->n_reasons; i++)
        dstr_printf(&reasons, "%s%s", i ? "; " : "", d->reasons[i]);
    dstr_putc(&row, ',');
    bt_csv_text(&row, dstr_cstr(&reasons));
    dstr_putc(&row, ',');
    bt_csv_text(&row, p->rationale);
    dstr_putc(&row, '\n');
    dstr_free(&reasons);
    fputs(dstr_cstr(&row), stdout);
    dstr_free(&row);
}

typedef struct bt_options {
    const char *dir;
    const char *symbols[BT_MAX_SYMBOLS];
    size_t n_symbols;
    timeframe step;
    int horizon_h;
    int csv;
    decision_params params; /* the configuration's, flags applied */
} bt_options;

static int64_t bt_clock(void *now) { return *(const int64_t *)now; }

static void bt_step(const bt_market *m, const bt_options *o, const char *symbol, int64_t now,
                    bt_stats *st) {
    book_level bid, ask;
    snapshot s;
    bt_snapshot(m, symbol, now, &bid, &ask, &s);
    decide_env env = {.params = o->params,
                      .primary = predictor_builtin(),
                      .deadline_ms = now,
                      .now_ms = bt_clock,
                      .clock_ctx = &now};
    decide_item item = {.symbol = symbol, .snap = &s};
    decide_symbols(&env, &item, 1);
    const decision d = item.d;
    const prediction *p = &item.pred;
    int bad = !item.usable;
    decide_item_free(&item);

    st->steps++;
    st->dirs[d.dir]++;
    if (!st->first_ms) st->first_ms = now;
    st->last_ms = now;
    if (d.dir == DIR_FLAT) {
        /* the model's verdict ("FLAT: weak agreement"), or the data problem */
        char verdict[sizeof p->rationale];
        snprintf(verdict, sizeof verdict, "%s", bad ? d.reasons[0] : p->rationale);
        verdict[strcspn(verdict, ";")] = '\0';
        bt_reason_add(&st->flat, verdict);
        if (o->csv) bt_csv_row(&d, p, "", 0, 0);
        return;
    }
    for (size_t i = 0; i < d.n_reasons; i++) bt_reason_add(&st->rejected, d.reasons[i]);
    /* levels that make no sense (no ATR, SL at entry) cannot be scored */
    if (!(isfinite(d.tp) && isfinite(d.sl) && isfinite(d.rr))) {
        st->unscored++;
        if (o->csv) bt_csv_row(&d, p, "", 0, 0);
        return;
    }
    double r;
    int bars;
    int64_t until = now + (int64_t)o->horizon_h * 3600000;
    bt_outcome out = bt_walk(&m->tf[TF_5M], m->end[TF_5M], until, &d, &r, &bars);
    bt_cell_add(&st->all[bt_bucket(d.prob)], out, r);
    bt_cell_add(&st->all_side[d.dir], out, r);
    if (d.risk_ok) {
        bt_cell_add(&st->ok[bt_bucket(d.prob)], out, r);
        bt_cell_add(&st->ok_side[d.dir], out, r);
    }
    if (o->csv) bt_csv_row(&d, p, bt_outcome_name[out], bars, r);
}

/* ---- report ----------------------------------------------------------------- */

static void bt_date(int64_t ms, char *buf, size_t cap) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

static void bt_print_cell(const char *label, const bt_cell *c) {
    if (!c->n) {
        printf("  %-10s %7d %9s %9s %9s %8s\n", label, 0, "-", "-", "-", "-");
        return;
    }
    printf("  %-10s %7d %8.1f%% %8.1f%% %8.1f%% %+8.3f\n", label, c->n,
           100.0 * c->hits[BT_TP] / c->n, 100.0 * c->hits[BT_SL] / c->n,
           100.0 * c->hits[BT_OPEN] / c->n, c->sum_r / c->n);
}

static void bt_print_table(const char *title, const bt_cell *buckets, const bt_cell *sides) {
    printf("\n%s\n  %-10s %7s %9s %9s %9s %8s\n", title, "prob", "trades", "TP first", "SL first",
           "open", "avg R");
    bt_cell total = {0};
    for (int b = 0; b < BT_BUCKETS; b++) {
        bt_print_cell(bt_bucket_name[b], &buckets[b]);
        total.n += buckets[b].n;
        for (int k = 0; k < 3; k++) total.hits[k] += buckets[b].hits[k];
        total.sum_r += buckets[b].sum_r;
    }
    bt_print_cell("all", &total);
    bt_print_cell("LONG", &sides[DIR_LONG]);
    bt_print_cell("SHORT", &sides[DIR_SHORT]);
}

static void bt_print_reasons(const char *title, bt_reasons *rs, int total) {
    qsort(rs->v, rs->n, sizeof *rs->v, bt_reason_cmp);
    printf("\n%s\n", title);
    for (size_t i = 0; i < rs->n && i < BT_TOP; i++)
        printf("  %6d  %5.1f%%  %s\n", rs->v[i].count, total ? 100.0 * rs->v[i].count / total : 0.0,
               rs->v[i].text);
    if (rs->n == 0) printf("  (none)\n");
    if (rs->other) printf("  (%d more decisions with rarer reasons not tallied)\n", rs->other);
}

static void bt_report(const char *symbol, const bt_options *o, bt_stats *st) {
    char from[32] = "-", to[32] = "-";
    if (st->steps) {
        bt_date(st->first_ms, from, sizeof from);
        bt_date(st->last_ms, to, sizeof to);
    }
    printf("== %s: %d decisions, one per %s close, %s .. %s UTC (%d warm-up steps skipped)\n",
           symbol, st->steps, tf_name(o->step), from, to, st->warmup);
    printf("   LONG %d   SHORT %d   FLAT %d   (LONG/SHORT without scorable levels: %d)\n",
           st->dirs[DIR_LONG], st->dirs[DIR_SHORT], st->dirs[DIR_FLAT], st->unscored);
    bt_print_reasons("FLAT reasons (top 5)", &st->flat, st->dirs[DIR_FLAT]);
    bt_print_reasons(
        "why LONG/SHORT decisions were not risk_ok (top 5; one decision may have several)",
        &st->rejected, st->dirs[DIR_LONG] + st->dirs[DIR_SHORT]);
    char title[96];
    snprintf(title, sizeof title, "risk_ok trades, first touch within %d h", o->horizon_h);
    bt_print_table(title, st->ok, st->ok_side);
    snprintf(title, sizeof title, "all LONG/SHORT predictions, first touch within %d h",
             o->horizon_h);
    bt_print_table(title, st->all, st->all_side);
    printf("\n");
}

/* ---- main ------------------------------------------------------------------- */

static int bt_enough_history(const bt_market *m) {
    for (int i = 0; i < TF_COUNT; i++)
        if (m->end[i] < FEAT_MIN_CANDLES) return 0;
    return 1;
}

static int bt_run_symbol(const bt_options *o, const char *symbol) {
    bt_market m;
    memset(&m, 0, sizeof m);
    int rc = 0;
    for (int i = 0; i < TF_COUNT && rc == 0; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s-%s.csv", o->dir, symbol, tf_name((timeframe)i));
        rc = bt_load(path, &m.tf[i]);
    }
    bt_stats *st = calloc(1, sizeof *st);
    if (rc == 0 && st) {
        const candles *steps = &m.tf[o->step];
        for (size_t j = 0; j < steps->n; j++) {
            int64_t now = steps->v[j].close_time + 1;
            bt_advance(&m, now);
            if (!bt_enough_history(&m)) {
                st->warmup++;
                continue;
            }
            bt_step(&m, o, symbol, now, st);
        }
        if (!o->csv) bt_report(symbol, o, st);
    } else if (!st) {
        fprintf(stderr, "signal_score: out of memory\n");
        rc = -1;
    }
    free(st);
    for (int i = 0; i < TF_COUNT; i++) candles_free(&m.tf[i]);
    return rc;
}

static int bt_usage(void) {
    fprintf(stderr,
            "usage: signal_score [--dir DIR] [--symbol SYM]... [--step 5m|1h|4h|1d]\n"
            "                [--horizon-h HOURS] [--csv] [--min-prob P] [--rr-min R]\n"
            "                [--atr-mult-tp X] [--atr-mult-sl X] [--max-spread-bps B]\n"
            "  DIR holds <SYMBOL>-<tf>.csv for 5m, 1h, 4h, 1d (default " BT_DEFAULT_DIR ")\n"
            "  default symbols BTCUSDT ETHUSDT, step 1h, horizon 48 h; decision thresholds\n"
            "  from the trader's configuration (MIN_PROB, RR_MIN, ATR_*, MAX_SPREAD_BPS),\n"
            "  each flag overriding its variable\n");
    return 2;
}

/* A threshold flag: the same ranges config.c enforces for its variable. */
typedef struct bt_threshold {
    const char *flag;
    double min, max;
    size_t offset; /* in decision_params */
} bt_threshold;

static const bt_threshold bt_thresholds[] = {
    {"--min-prob", 0, 1, offsetof(decision_params, min_prob)},
    {"--rr-min", 0.01, 100, offsetof(decision_params, rr_min)},
    {"--atr-mult-tp", 0.01, 100, offsetof(decision_params, atr_mult_tp)},
    {"--atr-mult-sl", 0.01, 100, offsetof(decision_params, atr_mult_sl)},
    {"--max-spread-bps", 0, 10000, offsetof(decision_params, max_spread_bps)},
};

/* 1 when a is a threshold flag (set from v, or -1 returned for a bad v). */
static int bt_threshold_arg(const char *a, const char *v, decision_params *p) {
    for (size_t k = 0; k < sizeof bt_thresholds / sizeof *bt_thresholds; k++) {
        const bt_threshold *t = &bt_thresholds[k];
        if (strcmp(a, t->flag) != 0) continue;
        double x;
        if (cfg_parse_double(v, t->min, t->max, &x)) {
            fprintf(stderr, "signal_score: %s must be a number from %g to %g\n", a, t->min, t->max);
            return -1;
        }
        memcpy((char *)p + t->offset, &x, sizeof x);
        return 1;
    }
    return 0;
}

static int bt_parse_args(int argc, char **argv, const decision_params *configured, bt_options *o) {
    *o = (bt_options){.dir = BT_DEFAULT_DIR, .step = TF_1H, .horizon_h = 48, .params = *configured};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--csv") == 0) {
            o->csv = 1;
            continue;
        }
        if (!v) return -1;
        i++;
        int t = bt_threshold_arg(a, v, &o->params);
        if (t < 0) return -1;
        if (t) continue;
        if (strcmp(a, "--dir") == 0) {
            o->dir = v;
        } else if (strcmp(a, "--symbol") == 0) {
            if (o->n_symbols == BT_MAX_SYMBOLS || strlen(v) > 20 || strchr(v, '/')) return -1;
            o->symbols[o->n_symbols++] = v;
        } else if (strcmp(a, "--step") == 0) {
            if (tf_parse(v, &o->step)) return -1;
        } else if (strcmp(a, "--horizon-h") == 0) {
            char *end;
            long h = strtol(v, &end, 10);
            if (*end || h < 1 || h > 24 * 365) return -1;
            o->horizon_h = (int)h;
        } else {
            return -1;
        }
    }
    if (o->n_symbols == 0) {
        o->symbols[o->n_symbols++] = "BTCUSDT";
        o->symbols[o->n_symbols++] = "ETHUSDT";
    }
    return 0;
}

int main(int argc, char **argv) {
    cfg c;
    dstr err = {0};
    if (cfg_load(&c, &err)) { /* the trader's own variables, validated as at its init */
        fprintf(stderr, "signal_score: invalid configuration:\n%s\n", err.ptr);
        dstr_free(&err);
        cfg_free(&c);
        return 2;
    }
    dstr_free(&err);
    decision_params configured = pl_decision_params(&c);
    cfg_free(&c);
    bt_options o;
    if (bt_parse_args(argc, argv, &configured, &o)) return bt_usage();
    if (o.csv)
        printf("symbol,candle_time,direction,prob,entry,tp,sl,rr,risk_ok,outcome,bars,r,reasons,"
               "rationale\n");
    for (size_t i = 0; i < o.n_symbols; i++)
        if (bt_run_symbol(&o, o.symbols[i])) return 1;
    return 0;
}
