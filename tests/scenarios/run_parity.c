/* run_parity: the backtest checked against hand arithmetic and against a
 * live run (issue 12 item 7), as data: each tests/scenarios/parity/<name>.json
 * names a data folder (the layout of tests/data/binance), symbols, a period,
 * a balance and the trader's settings, and what must come out (the format:
 * tests/scenarios/README.md, "Parity scenarios").
 *
 *   run_parity [BUILD_DIR] [-v] [FILE...]   (from the repository root;
 *              default build/asan and every tests/scenarios/parity/<name>.json)
 *
 * For each scenario:
 *  1. The backtest: pipelines/sim_run (the trader's own run every 5 minutes
 *     on the simulated exchange) with a recorder (rec_exchange.h) in front
 *     of the simulator, and its record (pipelines/sim_record: summary.json).
 *     After EVERY step the equity identity must hold: wallet = start +
 *     realised PnL - fees + funding + insurance clear = start + the sum of
 *     the income entries, and the recorded wallet is the exchange's.
 *  2. expect.fills (each fill: time, symbol, side, qty, price, fee and
 *     realised PnL to the cent) and expect.summary (summary.json's numbers,
 *     to the cent): the hand-computed figures, whose arithmetic the file
 *     writes out in expect.arithmetic for a reader to check.
 *  3. The backtest again: summary.json must be the same bytes.
 *  4. With "live": true, the same trader run through the real Binance
 *     client (services/binance_exchange: HTTP, HMAC signing, the clock sync)
 *     against build/<v>/bin/fake_binance --data <the scenario's folder>
 *     --account <a file with the scenario's balance and fees>, at the same
 *     simulated times: the fake's clock is pinned (POST /__fake/time) at each
 *     step, so it serves the market as of that instant (the forming candle's
 *     open is the price), and between two steps this driver walks the fake's
 *     mark price through the candles that closed, as the simulator walks
 *     its path (open, the extreme against the position first, the other,
 *     close; every open leg's trigger on the way is a point, so a leg fills
 *     at its trigger as in the simulator), with the fake's clock at each
 *     candle's close, and books funding at every 8 h boundary
 *     (POST /__fake/account/funding, the history's rate or the assumed
 *     one, at the mark of the boundary's candle open). Each step runs with
 *     a fresh client (a cold start: the clock synced, exchangeInfo read).
 *     Every step's decisions (direction, probability, risk_ok, the step the
 *     trader reached) and every order, leg, cancel and set-up sent (symbol,
 *     side, type, quantity, prices, client id, the answer) must be the
 *     backtest's, line for line; the first steps that differ are printed
 *     side by side. At the end the fills and the wallet of the fake account
 *     must be the simulator's, to the cent. With "live_env" (settings of the
 *     live run alone) the steps must differ instead: the comparison's own
 *     check.
 * The runs' log lines go to a file, kept when a check failed. It prints "ok   <file>: <check>" or "FAIL ...", then
 * "run_parity: N passed, N failed". Known differences between the two
 * exchanges that the scenarios avoid: slippage (the fake fills at the mark:
 * SLIPPAGE_BPS=0), liquidations (not modelled by the fake), finer candles
 * (1m) that the simulator would walk instead of the 5m ones (this driver
 * walks 5m), and a trigger inside the jump from one candle's close to the
 * next one's open at a funding boundary (the simulator books the funding
 * first, this driver moves the fake's mark to the open first). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "driver.h"
#include "fake_server.h"
#include "rec_exchange.h"
#include "tmpstore.h"
#include "platform/clock.h"
#include "platform/config.h"
#include "platform/http.h"
#include "platform/log.h"
#include "domain/predictor.h"
#include "pipelines/env.h"
#include "pipelines/sim_record.h"
#include "pipelines/sim_run.h"
#include "pipelines/trader.h"
#include "services/binance_exchange.h"
#include "services/history.h"
#include "services/sim_exchange.h"

#define DEFAULT_DIR "tests/scenarios/parity"
#define KEYS_FILE "tests/fakes/accounts/check.json"
#define MAX_SYMBOLS 4
#define MAX_SET 32
#define SHOWN_DIFFS 3

static const char *build = "build/asan";
static int verbose;
static char fake[64];

/* ---- small helpers ---------------------------------------------------------------------------- */

static void iso(int64_t ms, char *out, size_t cap) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t parse_iso(const char *s) {
    int y, mo, d, h, mi, se;
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &se) != 6) return -1;
    return clock_utc_ms(y, mo, d, h, mi, se);
}

static long fake_call(const char *method, const char *path, const char *body, dstr *out) {
    return fake_server_call(fake, method, path, body, out);
}

/* A POST that must answer 200; else *broken is set with the answer. */
static void fake_post(const char *path, const char *body, dstr *broken) {
    dstr out = {0};
    long st = fake_call("POST", path, body, &out);
    if (st != 200 && !broken->len)
        dstr_printf(broken, "POST %s %s: %ld %s", path, body, st, dstr_cstr(&out));
    dstr_free(&out);
}

static double num(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsNumber(v)) return v->valuedouble;
    if (cJSON_IsString(v)) return strtod(v->valuestring, NULL);
    return NAN;
}

static const char *str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- the scenario ------------------------------------------------------------------------------ */

typedef struct scenario {
    const char *file, *name, *data;
    cJSON *root;
    const char *symbols[MAX_SYMBOLS];
    size_t n;
    int64_t from, to, step;
    double balance;
    int assume_funding;
    double assumed_rate;
    int live;
    const cJSON *live_env; /* the comparison's self-test: settings of the live run only */
    const cJSON *expect;
    char *set[MAX_SET]; /* environment variables set for it */
    int n_set;
} scenario;

static int scenario_load(scenario *s, const char *file, dstr *why) {
    memset(s, 0, sizeof *s);
    s->file = file;
    dstr text = {0};
    drv_read_file(file, &text);
    s->root = cJSON_Parse(dstr_cstr(&text));
    dstr_free(&text);
    if (!s->root) {
        dstr_printf(why, "not JSON");
        return -1;
    }
    static const char *const keys[] = {"name", "description", "data",    "symbols",
                                       "from", "to",          "balance", "assume_funding",
                                       "env",  "live",        "expect",  "live_env"};
    const cJSON *k;
    cJSON_ArrayForEach(k, s->root) {
        size_t i = 0;
        while (i < sizeof keys / sizeof *keys && strcmp(keys[i], k->string)) i++;
        if (i == sizeof keys / sizeof *keys) {
            dstr_printf(why, "unknown key \"%s\"", k->string);
            return -1;
        }
    }
    s->name = str(s->root, "name");
    s->data = str(s->root, "data");
    s->from = parse_iso(str(s->root, "from"));
    s->to = parse_iso(str(s->root, "to"));
    s->step = SIM_RUN_DEFAULT_STEP_MS;
    s->balance = num(s->root, "balance");
    const cJSON *af = cJSON_GetObjectItemCaseSensitive(s->root, "assume_funding");
    s->assume_funding = cJSON_IsNumber(af);
    s->assumed_rate = s->assume_funding ? af->valuedouble : 0;
    s->live = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s->root, "live"));
    s->expect = cJSON_GetObjectItemCaseSensitive(s->root, "expect");
    s->live_env = cJSON_GetObjectItemCaseSensitive(s->root, "live_env");
    const cJSON *sym;
    cJSON_ArrayForEach(sym, cJSON_GetObjectItemCaseSensitive(s->root, "symbols")) {
        if (s->n < MAX_SYMBOLS && cJSON_IsString(sym)) s->symbols[s->n++] = sym->valuestring;
    }
    if (!s->name || !s->data || s->from < 0 || s->to < s->from || !(s->balance > 0) || !s->n) {
        dstr_printf(why, "needs name, data, symbols, from <= to (ISO 8601 UTC) and a balance");
        return -1;
    }
    return 0;
}

static void scenario_free(scenario *s) {
    for (int i = 0; i < s->n_set; i++) {
        unsetenv(s->set[i]);
        free(s->set[i]);
    }
    cJSON_Delete(s->root);
}

static void env_set(scenario *s, const char *name, const char *value) {
    setenv(name, value, 1);
    if (s->n_set < MAX_SET) s->set[s->n_set++] = strdup(name);
}

/* ---- what a step decided and sent -------------------------------------------------------------- */

typedef struct steps {
    dstr *v; /* one block a step */
    size_t n, cap;
} steps;

static void steps_add(steps *s, int64_t t, const trader_result *r, dstr *sent) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        dstr *grown = realloc(s->v, s->cap * sizeof *grown);
        if (!grown) abort();
        s->v = grown;
    }
    dstr *b = &s->v[s->n++];
    memset(b, 0, sizeof *b);
    char when[32];
    iso(t, when, sizeof when);
    dstr_printf(b, "%s outcome=%s\n", when, r->outcome ? r->outcome : "?");
    for (size_t i = 0; i < r->n; i++) {
        const decision *d = &r->sym[i].sig.d;
        dstr_printf(b, "  %s %s prob=%.4g risk_ok=%d step=%s entry=%.10g", d->symbol,
                    direction_name(d->dir), d->prob, d->risk_ok,
                    r->sym[i].step ? r->sym[i].step : "-", d->entry);
        const sizing_result *z = &r->sym[i].size;
        if (r->sym[i].sized)
            dstr_printf(b, " sized %s entry=%s sl=%s tp=%s", z->qty_text, z->entry_text, z->sl_text,
                        z->tp_text);
        dstr_putc(b, '\n');
    }
    const char *line = dstr_cstr(sent);
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        dstr_puts(b, "  ");
        dstr_append(b, line, len);
        dstr_putc(b, '\n');
        line += len + (end != NULL);
    }
    dstr_clear(sent);
}

static void steps_free(steps *s) {
    for (size_t i = 0; i < s->n; i++) dstr_free(&s->v[i]);
    free(s->v);
}

/* ---- 1-3: the backtest ------------------------------------------------------------------------- */

typedef struct backtest {
    sim_exchange *sim;
    rec_exchange rec;
    sim_record record;
    steps st;
    size_t identity_breaks;
    dstr first_break;
    dstr summary;
    dstr fills; /* the simulator's fills, one line each (fill_line) */
    double wallet;
} backtest;

static void fill_line(dstr *out, int64_t t, const char *symbol, const char *side, const char *qty,
                      double price, double fee, double realized) {
    char when[32];
    iso(t, when, sizeof when);
    /* + 0.0 keeps a -0.00 out of the text */
    dstr_printf(out, "%s %s %s %s @ %.2f fee %.2f pnl %.2f", when, symbol, side, qty, price + 0.0,
                fee + 0.0, realized + 0.0);
}

/* After every step: the equity identity, and what the trader decided and sent. */
static void on_sim_step(void *ctx, int64_t t, const trader_result *r) {
    backtest *b = ctx;
    sim_record_point(&b->record, sim_exchange_table(b->sim), t);
    sim_report rep;
    sim_report_make(b->sim, &rep);
    ex_read_spec rs = {.parts = EX_READ_INCOME, .since_ms = 0};
    ex_account a;
    ex_read(sim_exchange_table(b->sim), &rs, t, 0, NULL, &a);
    double income = 0;
    for (size_t i = 0; i < a.n_income; i++) income += a.income[i].amount;
    double by_type =
        rep.start_balance + rep.realized_pnl - rep.commission + rep.funding + rep.insurance_clear;
    const sim_point *p = &b->record.v[b->record.n - 1];
    int ok = fabs(rep.wallet - by_type) < 1e-6 && fabs(p->wallet - rep.wallet) < 1e-9 &&
             (a.income_truncated || fabs(rep.wallet - (rep.start_balance + income)) < 1e-6);
    if (!ok && !b->identity_breaks++) {
        char when[32];
        iso(t, when, sizeof when);
        dstr_printf(&b->first_break,
                    "%s: wallet %.8f, start + realised - fees + funding + insurance %.8f, "
                    "start + income %.8f, recorded %.8f",
                    when, rep.wallet, by_type, rep.start_balance + income, p->wallet);
    }
    ex_account_free(&a);
    sim_report_free(&rep);
    steps_add(&b->st, t, r, &b->rec.log);
}

static int backtest_run(const scenario *s, const cfg *c, backtest *b, dstr *why) {
    memset(b, 0, sizeof *b);
    sim_config sc = {.balance = s->balance,
                     .fee_taker = c->fee_taker,
                     .fee_maker = c->fee_maker,
                     .slippage_bps = c->slippage_bps,
                     .margin_type = EX_CROSSED,
                     .assume_funding = s->assume_funding,
                     .assumed_rate = s->assumed_rate,
                     .start_ms = s->from - 1};
    b->sim = sim_exchange_new(&sc);
    if (sim_exchange_load(b->sim, s->data, s->symbols, s->n, why)) return -1;
    rec_exchange_init(&b->rec, sim_exchange_table(b->sim));
    tmpstore journal, folder;
    if (tmpstore_open(&journal, 1) || tmpstore_open(&folder, 1)) {
        dstr_puts(why, "no temporary store");
        return -1;
    }
    sim_run_spec spec = {.cfg = c,
                         .sim = b->sim,
                         .via = &b->rec.ex,
                         .journal = journal.s,
                         .symbols = s->symbols,
                         .n = s->n,
                         .from_ms = s->from,
                         .to_ms = s->to,
                         .step_ms = s->step,
                         .on_step = on_sim_step,
                         .ctx = b};
    sim_run_stats st;
    sim_run(&spec, &st);
    sim_record_meta meta = {.symbols = s->symbols,
                            .n = s->n,
                            .from_ms = s->from,
                            .to_ms = s->to,
                            .step_ms = s->step,
                            .config_hash = "parity",
                            .risk_usdt = c->risk_usdt};
    int rc = sim_record_write(folder.s, journal.s, &b->record, b->sim, &st, &meta, why);
    if (rc == 0 && store_get(folder.s, "summary.json", &b->summary, why) != STORE_OK) rc = -1;
    sim_report rep;
    sim_report_make(b->sim, &rep);
    b->wallet = rep.wallet;
    sim_report_free(&rep);
    size_t n;
    const ex_fill *f = sim_fills(b->sim, &n);
    for (size_t i = 0; i < n; i++) {
        char qty[EX_DECIMAL_LEN];
        snprintf(qty, sizeof qty, "%.8g", f[i].qty);
        fill_line(&b->fills, f[i].time, f[i].symbol, ex_side_name(f[i].side), qty, f[i].price,
                  f[i].commission, f[i].realized_pnl);
        dstr_putc(&b->fills, '\n');
    }
    tmpstore_close(&folder);
    tmpstore_close(&journal);
    return rc;
}

static void backtest_free(backtest *b) {
    sim_exchange_free(b->sim);
    rec_exchange_free(&b->rec);
    sim_record_free(&b->record);
    steps_free(&b->st);
    dstr_free(&b->first_break);
    dstr_free(&b->summary);
    dstr_free(&b->fills);
}

/* A number of summary.json by its key (the first occurrence); NAN when absent. */
static double summary_num(const dstr *sum, const char *key) {
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *at = strstr(dstr_cstr(sum), pat);
    return at ? strtod(at + strlen(pat), NULL) : NAN;
}

static void check_expect(const scenario *s, const backtest *b) {
    char name[256];
    const cJSON *k;
    cJSON_ArrayForEach(k, s->expect) {
        int known = !strcmp(k->string, "fills") || !strcmp(k->string, "summary") ||
                    !strcmp(k->string, "arithmetic"); /* for the reader */
        snprintf(name, sizeof name, "%s: expect.%s is a known check", s->file, k->string);
        if (!known) drv_check(0, name, "unknown key (a typo must not drop a check)");
    }
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(s->expect, "fills");
    if (want) {
        dstr w = {0};
        const cJSON *line;
        cJSON_ArrayForEach(line, want) dstr_printf(&w, "%s\n", line->valuestring);
        snprintf(name, sizeof name, "%s: fills to the cent, as computed by hand", s->file);
        drv_check(strcmp(dstr_cstr(&w), dstr_cstr(&b->fills)) == 0, name, "\n  want:\n%s  got:\n%s",
                  dstr_cstr(&w), dstr_cstr(&b->fills));
        dstr_free(&w);
    }
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(s->expect, "summary");
    if (sum) {
        dstr bad = {0};
        cJSON_ArrayForEach(k, sum) {
            double got = summary_num(&b->summary, k->string);
            if (!cJSON_IsNumber(k) || !(fabs(got - k->valuedouble) < 0.005))
                dstr_printf(&bad, "%s %.8f, want %.2f; ", k->string, got, k->valuedouble);
        }
        snprintf(name, sizeof name, "%s: summary.json to the cent, as computed by hand", s->file);
        drv_check(bad.len == 0, name, "%s\n  summary.json: %s", dstr_cstr(&bad),
                  dstr_cstr(&b->summary));
        dstr_free(&bad);
    }
}

/* ---- 4: the live run against fake_binance ------------------------------------------------------ */

typedef struct sym_path {
    const char *symbol;
    candles c;              /* the path's 5m candles */
    hist_funding *funding;  /* its funding history */
    size_t n_funding, next; /* next: the first candle not walked */
} sym_path;

static int64_t pinned_now(void *ctx) { return *(const int64_t *)ctx; }

static void pin(int64_t t, dstr *broken) {
    char body[64];
    snprintf(body, sizeof body, "{\"now_ms\":%lld}", (long long)t);
    fake_post("/__fake/time", body, broken);
}

/* The fake account's whole state (GET /__fake/account); NULL when it does not answer. */
static cJSON *account_state(void) {
    dstr out = {0};
    cJSON *j = fake_call("GET", "/__fake/account", NULL, &out) == 200 ? cJSON_Parse(dstr_cstr(&out))
                                                                      : NULL;
    dstr_free(&out);
    return j;
}

static double position_amt(const cJSON *acct, const char *symbol) {
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(acct, "positions")) {
        const char *s = str(p, "symbol");
        if (s && strcmp(s, symbol) == 0) return num(p, "positionAmt");
    }
    return 0;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Appends to path the open legs' triggers strictly between from and to, in
 * the order the move meets them, then to. */
static void segment(dstr *path, const cJSON *acct, const char *symbol, double from, double to) {
    double lv[64];
    size_t n = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(acct, "algoOrders")) {
        const char *s = str(g, "symbol"), *status = str(g, "algoStatus");
        double p = num(g, "triggerPrice");
        if (s && status && strcmp(s, symbol) == 0 && strcmp(status, "NEW") == 0 && n < 64 &&
            p > fmin(from, to) && p < fmax(from, to))
            lv[n++] = p;
    }
    qsort(lv, n, sizeof *lv, by_value);
    for (size_t i = 0; i < n; i++)
        dstr_printf(path, ",\"%.8f\"", to > from ? lv[i] : lv[n - 1 - i]);
    dstr_printf(path, ",\"%.8f\"", to);
}

/* Walks the fake's mark through candle k as the simulator walks its path:
 * from the open (the jump from the last close to it is a gap: what it
 * crosses fills at the open) to the extreme against the position, the other
 * extreme, the close, with the open legs' triggers as points on the way. */
static void walk_candle(const sym_path *y, const candle *k, dstr *broken) {
    pin(k->close_time, broken);
    cJSON *acct = account_state();
    double amt = position_amt(acct, y->symbol);
    int low_first = amt > 0 ? 1 : amt < 0 ? 0 : k->open - k->low <= k->high - k->open;
    double x1 = low_first ? k->low : k->high, x2 = low_first ? k->high : k->low;
    dstr path = {0};
    dstr_printf(&path, "{\"symbol\":\"%s\",\"path\":[\"%.8f\"", y->symbol, k->open);
    segment(&path, acct, y->symbol, k->open, x1);
    segment(&path, acct, y->symbol, x1, x2);
    segment(&path, acct, y->symbol, x2, k->close);
    dstr_puts(&path, "]}");
    fake_post("/__fake/account/mark", path.ptr, broken);
    char step[96];
    snprintf(step, sizeof step, "{\"symbol\":\"%s\",\"to_end\":true}", y->symbol);
    fake_post("/__fake/account/step", step, broken);
    dstr_free(&path);
    cJSON_Delete(acct);
}

/* Nothing of symbol's on the fake (no position, no open order or leg): its
 * candles only move the price, as the simulator's unwatched path. */
static int idle(const cJSON *acct, const char *symbol) {
    if (position_amt(acct, symbol) != 0) return 0;
    const char *lists[] = {"orders", "algoOrders"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *o;
        cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(acct, lists[i])) {
            const char *s = str(o, "symbol"), *st = str(o, i ? "algoStatus" : "status");
            if (s && st && strcmp(s, symbol) == 0 && strcmp(st, "NEW") == 0) return 0;
        }
    }
    return 1;
}

static const hist_funding *rate_at(const sym_path *y, int64_t t) {
    for (size_t i = 0; i < y->n_funding; i++)
        if (llabs(y->funding[i].time_ms - t) <= SIM_FUNDING_MATCH_MS) return &y->funding[i];
    return NULL;
}

/* The mark of a symbol at time t: the open of the candle opening at t, else the last close. */
static double mark_at(const sym_path *y, int64_t t) {
    if (y->next < y->c.n && y->c.v[y->next].open_time == t) return y->c.v[y->next].open;
    return y->next ? y->c.v[y->next - 1].close : NAN;
}

static void set_mark(const char *symbol, double price, dstr *broken) {
    char body[128];
    snprintf(body, sizeof body, "{\"symbol\":\"%s\",\"path\":[\"%.8f\"]}", symbol, price);
    fake_post("/__fake/account/mark", body, broken);
}

/* Moves the fake to step time t: the candles that closed, and funding, in
 * the simulator's order (a boundary before the candle that opens at it). */
static void advance_fake(const scenario *s, sym_path *p, int64_t *next_funding, int64_t t,
                         dstr *broken) {
    cJSON *acct = account_state(); /* only trader runs make a symbol busy */
    int quiet[MAX_SYMBOLS];
    for (size_t i = 0; i < s->n; i++) quiet[i] = idle(acct, p[i].symbol);
    cJSON_Delete(acct);
    for (;;) {
        sym_path *next = NULL;
        for (size_t i = 0; i < s->n; i++) {
            sym_path *y = &p[i];
            if (y->next >= y->c.n || y->c.v[y->next].close_time >= t) continue;
            if (!next || y->c.v[y->next].open_time < next->c.v[next->next].open_time) next = y;
        }
        if (*next_funding <= t && (!next || *next_funding <= next->c.v[next->next].open_time)) {
            pin(*next_funding, broken);
            for (size_t i = 0; i < s->n; i++) {
                const hist_funding *r = rate_at(&p[i], *next_funding);
                double mark = mark_at(&p[i], *next_funding);
                if ((!r && !s->assume_funding) || !isfinite(mark)) continue;
                set_mark(p[i].symbol, mark, broken);
                char body[128];
                snprintf(body, sizeof body, "{\"symbol\":\"%s\",\"rate\":\"%.8f\"}", p[i].symbol,
                         r ? r->rate : s->assumed_rate);
                fake_post("/__fake/account/funding", body, broken);
            }
            *next_funding += SIM_FUNDING_INTERVAL_MS;
            continue;
        }
        if (!next) break;
        if (!quiet[next - p]) walk_candle(next, &next->c.v[next->next], broken);
        next->next++;
    }
    pin(t, broken);
    for (size_t i = 0; i < s->n; i++) {
        double price = mark_at(&p[i], t);
        if (isfinite(price)) set_mark(p[i].symbol, price, broken);
    }
}

static int write_account(const scenario *s, const cfg *c, const char *path, char *key,
                         size_t key_cap, dstr *why) {
    dstr text = {0};
    drv_read_file(KEYS_FILE, &text);
    cJSON *keys = cJSON_Parse(dstr_cstr(&text));
    dstr_free(&text);
    const char *k = str(keys, "api_key"), *sec = str(keys, "api_secret");
    if (!k || !sec) {
        cJSON_Delete(keys);
        dstr_printf(why, "%s: no api_key and api_secret", KEYS_FILE);
        return -1;
    }
    snprintf(key, key_cap, "%s", k);
    FILE *f = fopen(path, "w");
    if (!f) {
        cJSON_Delete(keys);
        dstr_printf(why, "cannot write %s", path);
        return -1;
    }
    fprintf(f,
            "{\"api_key\":\"%s\",\"api_secret\":\"%s\",\"balance\":\"%.8f\","
            "\"fee_taker\":\"%.8f\",\"fee_maker\":\"%.8f\"}\n",
            k, sec, s->balance, c->fee_taker, c->fee_maker);
    fclose(f);
    cJSON_Delete(keys);
    return 0;
}

typedef struct live {
    steps st;
    dstr fills;
    double wallet; /* the fake account's, at the end */
    dstr broken;   /* the first control request that failed */
} live;

static void live_fills(const scenario *s, live *l) {
    cJSON *acct = account_state();
    l->wallet = num(cJSON_GetObjectItemCaseSensitive(acct, "balance"), "balance");
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(acct, "fills")) {
        const char *sym = str(f, "symbol"), *side = str(f, "side"), *qty = str(f, "qty");
        double q = num(f, "qty");
        char qtext[EX_DECIMAL_LEN];
        snprintf(qtext, sizeof qtext, "%.8g", q);
        fill_line(&l->fills, (int64_t)num(f, "time"), sym ? sym : "?", side ? side : "?",
                  qty ? qtext : "?", num(f, "price"), num(f, "commission"), num(f, "realizedPnl"));
        dstr_putc(&l->fills, '\n');
    }
    (void)s;
    cJSON_Delete(acct);
}

static int live_run(const scenario *s, const cfg *c, live *l, dstr *why) {
    memset(l, 0, sizeof *l);
    sym_path p[MAX_SYMBOLS];
    memset(p, 0, sizeof p);
    int rc = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        char path[512];
        p[i].symbol = s->symbols[i];
        snprintf(path, sizeof path, "%s/klines/%s-5m.csv", s->data, s->symbols[i]);
        rc = hist_load_candles(path, &p[i].c, why);
        snprintf(path, sizeof path, "%s/funding/%s-funding.csv", s->data, s->symbols[i]);
        if (rc == 0) rc = hist_load_funding(path, &p[i].funding, &p[i].n_funding, NULL, why);
    }
    tmpstore journal;
    int have_journal = rc == 0 && tmpstore_open(&journal, 1) == 0;
    http_client *http = rc == 0 ? http_client_new(NULL) : NULL;
    if (rc == 0 && (!have_journal || !http)) {
        dstr_puts(why, "no journal or HTTP client");
        rc = -1;
    }
    cfg run_cfg = *c; /* as sim_run: execution on, nothing else differs */
    run_cfg.execute_trades = 1;
    bn_config bnc = pl_binance_config(&run_cfg);
    int64_t now = s->from;
    clock_src clk = {.now_ms = pinned_now, .ctx = &now};
    if (have_journal) store_set_clock(journal.s, &clk);
    /* the first funding boundary after the start, as the simulator's */
    int64_t next_funding = ((s->from - 1) / SIM_FUNDING_INTERVAL_MS + 1) * SIM_FUNDING_INTERVAL_MS;
    dstr sent = {0};
    for (int64_t t = s->from; rc == 0 && t <= s->to && !l->broken.len; t += s->step) {
        advance_fake(s, p, &next_funding, t, &l->broken);
        now = t;
        exchange *bx = binance_exchange_new(http, &bnc); /* a cold start */
        rec_exchange rec;
        rec_exchange_init(&rec, bx);
        pl_env env = {.cfg = &run_cfg,
                      .exchange = &rec.ex,
                      .predictor = predictor_builtin(),
                      .journal = journal.s,
                      .http = http,
                      .clock = &clk,
                      .deadline_ms = clock_wall_ms() + 60000,
                      .params = pl_decision_params(&run_cfg),
                      .sizing = pl_sizing_params(&run_cfg),
                      .risk = pl_risk_params(&run_cfg)};
        char slot[32], run_id[32];
        sim_run_spec ids = {.symbols = s->symbols, .n = s->n};
        trader_request rq = sim_run_request(&ids, t, slot, run_id); /* the backtest's step t */
        trader_result r;
        trader_run(&env, &rq, &r);
        steps_add(&l->st, t, &r, &rec.log);
        trader_result_free(&r);
        rec_exchange_free(&rec);
        ex_close(bx);
    }
    if (rc == 0) live_fills(s, l);
    dstr_free(&sent);
    http_client_free(http);
    if (have_journal) {
        store_set_clock(journal.s, NULL);
        tmpstore_close(&journal);
    }
    for (size_t i = 0; i < s->n; i++) {
        candles_free(&p[i].c);
        free(p[i].funding);
    }
    return rc;
}

static void live_free(live *l) {
    steps_free(&l->st);
    dstr_free(&l->fills);
    dstr_free(&l->broken);
}

/* The steps of the two runs, compared; the first that differ shown side by side. */
static void compare_steps(const scenario *s, const steps *a, const steps *b) {
    dstr diff = {0};
    size_t differ = 0, orders = 0;
    for (size_t i = 0; i < a->n || i < b->n; i++) {
        const char *x = i < a->n ? dstr_cstr(&a->v[i]) : "(no step)\n";
        const char *y = i < b->n ? dstr_cstr(&b->v[i]) : "(no step)\n";
        if (i < a->n) orders += strstr(x, "  ORDER ") != NULL;
        if (strcmp(x, y) == 0) continue;
        if (differ++ < SHOWN_DIFFS)
            dstr_printf(&diff, "\n--- backtest, step %zu:\n%s+++ live:\n%s", i, x, y);
    }
    char name[256];
    snprintf(name, sizeof name,
             "%s: the live run (Binance client, fake_binance) decided and sent what the backtest "
             "did, step by step (%zu steps, %zu with orders)",
             s->file, a->n, orders);
    if (s->live_env) {
        snprintf(name, sizeof name,
                 "%s: a live run with other settings (live_env) is caught: %zu of %zu steps "
                 "differ",
                 s->file, differ, a->n);
        drv_check(differ > 0 && strstr(dstr_cstr(&diff), "+++ live:"), name,
                  "the comparison saw no difference");
        if (verbose) printf("%s\n", dstr_cstr(&diff));
    } else {
        drv_check(differ == 0 && a->n > 0, name, "%zu of %zu steps differ:%s", differ, a->n,
                  dstr_cstr(&diff));
    }
    if (verbose)
        for (size_t i = 0; i < a->n; i++) printf("%s", dstr_cstr(&a->v[i]));
    dstr_free(&diff);
}

/* ---- one scenario ------------------------------------------------------------------------------ */

static void run_one(const char *file) {
    scenario s;
    dstr why = {0};
    char name[256];
    if (scenario_load(&s, file, &why)) {
        drv_check(0, file, "%s", dstr_cstr(&why));
        scenario_free(&s);
        dstr_free(&why);
        return;
    }
    fake_server fb = {0};
    char account[128], key[128];
    snprintf(account, sizeof account, "/tmp/parity-account.%d.json", (int)getpid());
    cfg c;
    int ok = 1;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s.root, "env")) {
        if (cJSON_IsString(e)) env_set(&s, e->string, e->valuestring);
    }
    if (cfg_load(&c, &why)) {
        drv_check(0, file, "configuration: %s", dstr_cstr(&why));
        scenario_free(&s);
        dstr_free(&why);
        return;
    }
    if (s.live) {
        char bin[300];
        snprintf(bin, sizeof bin, "%s/bin/fake_binance", build);
        ok = write_account(&s, &c, account, key, sizeof key, &why) == 0;
        const char *argv[] = {bin, "--data", s.data, "--account", account, NULL};
        ok = ok && fake_server_start(&fb, argv) == 0;
        if (ok) {
            snprintf(fake, sizeof fake, "%s", fb.base_url);
            /* the same configuration for both runs (the live one needs the keys and the fake) */
            dstr text = {0};
            drv_read_file(KEYS_FILE, &text);
            cJSON *keys = cJSON_Parse(dstr_cstr(&text));
            dstr_free(&text);
            env_set(&s, "BINANCE_FAPI_BASE", fb.base_url);
            env_set(&s, "BINANCE_API_KEY", str(keys, "api_key") ? str(keys, "api_key") : "");
            env_set(&s, "BINANCE_API_SECRET",
                    str(keys, "api_secret") ? str(keys, "api_secret") : "");
            cJSON_Delete(keys);
            cfg_free(&c);
            ok = cfg_load(&c, &why) == 0;
        }
        if (!ok) drv_check(0, file, "cannot start the fake: %s", dstr_cstr(&why));
    }
    backtest a, b;
    log_set_level(LOG_ERROR); /* thousands of INFO lines otherwise */
    int rc = ok ? backtest_run(&s, &c, &a, &why) : -1;
    if (ok) {
        snprintf(name, sizeof name, "%s: the backtest runs (%s)", file, s.name);
        drv_check(rc == 0, name, "%s", dstr_cstr(&why));
    }
    if (ok && rc == 0) {
        snprintf(name, sizeof name, "%s: the equity identity after each of %zu steps", file,
                 a.st.n);
        drv_check(a.identity_breaks == 0 && a.st.n > 0, name, "%zu steps break it, first %s",
                  a.identity_breaks, dstr_cstr(&a.first_break));
        check_expect(&s, &a);
        int rc2 = backtest_run(&s, &c, &b, &why);
        snprintf(name, sizeof name, "%s: the same data and configuration again: the same bytes",
                 file);
        drv_check(rc2 == 0 && a.summary.len > 0 && strcmp(a.summary.ptr, b.summary.ptr) == 0, name,
                  "summary.json differs:\n%s\n%s", dstr_cstr(&a.summary), dstr_cstr(&b.summary));
        backtest_free(&b);
        if (s.live) {
            live l;
            cfg lc;
            const cfg *live_cfg = &c;
            cJSON_ArrayForEach(e, s.live_env) {
                if (cJSON_IsString(e)) env_set(&s, e->string, e->valuestring);
            }
            if (s.live_env && cfg_load(&lc, &why) == 0) live_cfg = &lc;
            int lrc = live_run(&s, live_cfg, &l, &why);
            if (live_cfg == &lc) cfg_free(&lc);
            snprintf(name, sizeof name, "%s: the live run against fake_binance runs", file);
            drv_check(lrc == 0 && !l.broken.len, name, "%s%s", dstr_cstr(&why),
                      dstr_cstr(&l.broken));
            if (lrc == 0 && !l.broken.len) compare_steps(&s, &a.st, &l.st);
            if (lrc == 0 && !l.broken.len && !s.live_env) { /* the same settings: the same money */
                snprintf(name, sizeof name, "%s: the fake account's fills are the simulator's",
                         file);
                drv_check(strcmp(dstr_cstr(&a.fills), dstr_cstr(&l.fills)) == 0 && a.fills.len,
                          name, "\n  backtest:\n%s  live:\n%s", dstr_cstr(&a.fills),
                          dstr_cstr(&l.fills));
                snprintf(name, sizeof name,
                         "%s: the fake account's wallet is the simulator's, to the cent (fees and "
                         "funding included)",
                         file);
                drv_check(fabs(a.wallet - l.wallet) < 0.005, name, "backtest %.8f, live %.8f",
                          a.wallet, l.wallet);
            }
            live_free(&l);
        }
    }
    if (ok || rc == 0) backtest_free(&a);
    log_set_level(LOG_INFO);
    if (fb.pid > 0) {
        snprintf(name, sizeof name, "%s: fake_binance stops cleanly", file);
        drv_check(fake_server_stop(&fb) == 0, name, "exit status or sanitizer report");
    }
    unlink(account);
    cfg_free(&c);
    scenario_free(&s);
    dstr_free(&why);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    char *files[256];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) verbose = 1;
        else if (strstr(argv[i], ".json") && n < 256) files[n++] = strdup(argv[i]);
        else build = argv[i];
    }
    if (n == 0) {
        DIR *d = opendir(DEFAULT_DIR);
        struct dirent *de;
        while (d && (de = readdir(d)) && n < 256) {
            size_t len = strlen(de->d_name);
            if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) {
                char path[512];
                snprintf(path, sizeof path, "%s/%s", DEFAULT_DIR, de->d_name);
                files[n++] = strdup(path);
            }
        }
        if (d) closedir(d);
        qsort(files, (size_t)n, sizeof *files, by_name);
    }
    /* the runs' log lines (every trader run's metrics line, its errors) go to
     * a file, kept when a check failed; this driver's report stays on stdout */
    char log_path[64];
    snprintf(log_path, sizeof log_path, "/tmp/run_parity.%d.log", (int)getpid());
    int report = dup(STDOUT_FILENO), logs = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *rep = report >= 0 && logs >= 0 && !verbose ? fdopen(report, "w") : NULL;
    if (rep) {
        fflush(stdout);
        dup2(logs, STDOUT_FILENO);
        setvbuf(rep, NULL, _IOLBF, 0);
        stdout = rep;
        printf("run_parity: the runs' log lines go to %s\n", log_path);
    }
    if (logs >= 0) close(logs);
    log_init("run_parity");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int i = 0; i < n; i++) {
        run_one(files[i]);
        free(files[i]);
    }
    drv_check(n > 0, "run_parity: scenarios found", "none in %s", DEFAULT_DIR);
    curl_global_cleanup();
    if (!drv_failures()) unlink(log_path);
    return drv_summary("run_parity");
}
