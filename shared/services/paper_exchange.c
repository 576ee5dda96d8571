/* paper_exchange: the simulated exchange on the live market, its account in
 * the journal (see paper_exchange.h). */
#include "services/paper_exchange.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "platform/log.h"
#include "services/paper_ledger.h"

#define PAPER_PATH_BARS 300 /* 5m candles asked: 25 hours of path */
#define PAPER_BOOK_DEPTH 5

typedef struct paper {
    exchange ex;
    paper_config cfg;
    store *journal;
    paper_ledger ledger;
    sim_exchange *sim; /* the account of the last read; NULL before it */
    int refused;       /* a ledger append failed: no more writes this invocation */
    dstr refused_why;
} paper;

static paper *of(exchange *ex) { return ex->impl; }

static int64_t now_of(const paper *p) { return clock_now(p->cfg.clock); }

/* ---- market data: the live exchange's ----------------------------------------------- */

static void market_snapshots(exchange *ex, const char *const *symbols, size_t n,
                             const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                             ex_snapshot *out) {
    ex_snapshots(of(ex)->cfg.market, symbols, n, spec, now_ms, deadline_ms, out);
}

static ex_status market_candles(exchange *ex, const char *symbol, const char *interval, int limit,
                                int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e,
                                dstr *err) {
    return ex_candles(of(ex)->cfg.market, symbol, interval, limit, now_ms, deadline_ms, out, e,
                      err);
}

static ex_status market_orderbook(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                                  order_book *out, ex_error *e, dstr *err) {
    return ex_orderbook(of(ex)->cfg.market, symbol, limit, deadline_ms, out, e, err);
}

/* ---- read ----------------------------------------------------------------------------- */

typedef struct symbol_set {
    const char **v;
    size_t n;
} symbol_set;

static void set_add(symbol_set *s, const char *symbol) {
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], symbol)) return;
    const char **grown = realloc(s->v, (s->n + 1) * sizeof *grown);
    if (!grown) abort();
    s->v = grown;
    s->v[s->n++] = symbol;
}

/* 1 when the account holds symbol or has an open order or leg on it: its
 * price path must be walked. */
static int active(const sim_account *a, const char *symbol) {
    for (size_t i = 0; i < a->n_hold; i++)
        if (a->hold[i].amount && !strcmp(a->hold[i].symbol, symbol)) return 1;
    for (size_t i = 0; i < a->n_orders; i++)
        if (a->orders[i].status == EX_ORDER_NEW && !strcmp(a->orders[i].symbol, symbol)) return 1;
    for (size_t i = 0; i < a->n_algos; i++)
        if (a->algos[i].status == EX_ALGO_NEW && !strcmp(a->algos[i].symbol, symbol)) return 1;
    return 0;
}

/* The symbols asked and every symbol the account is active on. */
static symbol_set symbols_needed(const ex_read_spec *spec, const sim_account *a) {
    symbol_set s = {0};
    for (size_t i = 0; i < spec->n_symbols; i++) set_add(&s, spec->symbols[i]);
    for (size_t i = 0; i < a->n_hold; i++)
        if (active(a, a->hold[i].symbol)) set_add(&s, a->hold[i].symbol);
    for (size_t i = 0; i < a->n_orders; i++)
        if (active(a, a->orders[i].symbol)) set_add(&s, a->orders[i].symbol);
    for (size_t i = 0; i < a->n_algos; i++)
        if (active(a, a->algos[i].symbol)) set_add(&s, a->algos[i].symbol);
    return s;
}

static int holds_any(const sim_account *a) {
    for (size_t i = 0; i < a->n_hold; i++)
        if (a->hold[i].amount) return 1;
    return 0;
}

/* The path of one symbol: its closed 5m candles after from_ms's walk, and
 * a forming candle at the live mark (the price now). */
static void path_of(const snapshot *sn, candles *out) {
    const candles *c = &sn->tf[TF_5M];
    out->v = malloc((c->n + 2) * sizeof *out->v);
    if (!out->v) abort();
    if (c->n) memcpy(out->v, c->v, c->n * sizeof *c->v);
    out->n = c->n;
    double mark = sn->premium.mark_price;
    if (c->n && isfinite(mark) && mark > 0) {
        int64_t open = c->v[c->n - 1].close_time + 1;
        out->v[out->n++] = (candle){.open_time = open,
                                    .close_time = open + 5 * 60000 - 1,
                                    .open = mark,
                                    .high = mark,
                                    .low = mark,
                                    .close = mark};
    }
}

static void fail_account(ex_account *a, unsigned parts, const char *why) {
    ex_part *all[] = {&a->positions_part, &a->orders_part,        &a->algo_orders_part,
                      &a->balances_part,  &a->position_mode_part, &a->configs_part,
                      &a->rules_part,     &a->trades_part,        &a->income_part,
                      &a->funding_part};
    for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
        all[k]->asked = !!(parts & (1u << k));
        if (all[k]->asked) ex_result_fail(&all[k]->r, EX_UNAVAILABLE, 0, 0, "%s", why);
    }
}

/* Builds p->sim from the ledger's account and the market read. */
static int build_sim(paper *p, const symbol_set *syms, const ex_snapshot *snaps,
                     const ex_account *market, dstr *why) {
    sim_config sc = p->cfg.sim;
    sc.start_ms = p->ledger.acct.walked_to; /* candles closed by then are walked */
    sc.path_ms = 5 * 60000;
    sim_exchange *s = sim_exchange_new(&sc);
    int64_t first_path = 0;
    for (size_t i = 0; i < syms->n; i++) {
        const symbol_rules *r = ex_account_rules(market, syms->v[i]);
        int walk = active(&p->ledger.acct, syms->v[i]);
        if (walk && (!r || snaps[i].status != EX_OK)) {
            /* its legs cannot be walked: the account is unknown, nothing is traded */
            dstr_printf(why,
                        "paper: no market for %s, where the account has a position or orders: %s",
                        syms->v[i], !r ? "not listed" : dstr_cstr(&snaps[i].why));
            sim_exchange_free(s);
            return -1;
        }
        if (!r) continue; /* not listed: orders on it are refused as unknown */
        sim_add_symbol(s, r, NULL);
        if (snaps[i].status != EX_OK) continue; /* no price: orders are refused */
        candles path;
        path_of(&snaps[i].snap, &path);
        if (path.n && (!first_path || path.v[0].open_time > first_path))
            first_path = path.v[0].open_time;
        sim_set_candles(s, syms->v[i], sc.path_ms, &path, NULL);
        candles_free(&path);
        size_t nf = 0;
        hist_funding *f = calloc(market->n_funding + 1, sizeof *f);
        if (!f) abort();
        for (size_t k = 0; k < market->n_funding; k++)
            if (!strcmp(market->funding[k].symbol, syms->v[i]))
                f[nf++] = (hist_funding){market->funding[k].time_ms, market->funding[k].rate};
        sim_set_funding(s, syms->v[i], f, nf, NULL);
        free(f);
    }
    if (sim_account_set(s, &p->ledger.acct, why)) {
        sim_exchange_free(s);
        return -1;
    }
    if (first_path > p->ledger.acct.walked_to + 1 && holds_any(&p->ledger.acct)) {
        log_rec *lr = log_begin(LOG_WARN, "paper.path_gap");
        log_int(lr, "walked_to", p->ledger.acct.walked_to);
        log_int(lr, "path_from", first_path);
        log_str(lr, "message",
                "the candles do not reach back to the last walk: legs that the "
                "price reached in between were not triggered");
        log_end(lr);
    }
    p->sim = s;
    return 0;
}

/* A boundary passed while holding whose rate the market did not give yet
 * (Binance publishes it moments after): not booked, and said so. */
static void log_missing_funding(const sim_exchange *s) {
    sim_report r;
    sim_report_make(s, &r);
    for (size_t i = 0; i < r.n; i++) {
        if (!r.sym[i].funding_missing_held) continue;
        log_rec *lr = log_begin(LOG_WARN, "paper.funding_missing");
        log_str(lr, "symbol", r.sym[i].symbol);
        log_int(lr, "boundaries", r.sym[i].funding_missing_held);
        log_end(lr);
    }
    sim_report_free(&r);
}

static void reset(paper *p) {
    sim_exchange_free(p->sim);
    p->sim = NULL;
    paper_ledger_free(&p->ledger);
    p->refused = 0;
    dstr_clear(&p->refused_why);
}

/* Appends what changed since the ledger's account; 0 or -1 with why. */
static int append(paper *p, const char *op, int64_t deadline_ms, dstr *why) {
    sim_account now;
    sim_account_get(p->sim, now_of(p) - SIM_TRADES_WINDOW_MS, &now);
    int rc = paper_ledger_append(p->journal, &p->ledger, &now, op, now_of(p), deadline_ms, why);
    sim_account_free(&now);
    return rc;
}

static void paper_read(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
                       ex_snapshot *snaps, ex_account *acct) {
    paper *p = of(ex);
    reset(p);
    memset(acct, 0, sizeof *acct);
    dstr why = {0};
    int loaded = paper_ledger_load(p->journal, p->cfg.sim.balance, now_ms, &p->ledger, &why) == 0;
    symbol_set syms = symbols_needed(spec, &p->ledger.acct);
    int64_t walked = p->ledger.acct.walked_to;
    int boundary = now_ms / SIM_FUNDING_INTERVAL_MS > walked / SIM_FUNDING_INTERVAL_MS;
    ex_snapshot_spec mk = {.bars = PAPER_PATH_BARS, .depth = PAPER_BOOK_DEPTH};
    if (spec->market && spec->market->bars > mk.bars) mk.bars = spec->market->bars;
    if (spec->market) mk.depth = spec->market->depth;
    ex_read_spec mspec = {
        .symbols = syms.v,
        .n_symbols = syms.n,
        .market = &mk,
        .parts = EX_READ_RULES |
                 (loaded && boundary && holds_any(&p->ledger.acct) ? EX_READ_FUNDING : 0),
        .since_ms = walked - SIM_FUNDING_MATCH_MS};
    ex_snapshot *all = calloc(syms.n + 1, sizeof *all);
    ex_account market;
    if (!all) abort();
    ex_read(p->cfg.market, &mspec, now_ms, deadline_ms, all, &market);
    if (!loaded) {
        /* keep why */
    } else if (market.rules_part.r.status) {
        dstr_printf(&why, "paper: %s", dstr_cstr(&market.rules_part.r.why));
    } else if (market.funding_part.r.status) {
        dstr_printf(&why, "paper: %s", dstr_cstr(&market.funding_part.r.why));
    } else if (build_sim(p, &syms, all, &market, &why) == 0) {
        sim_advance(p->sim, now_ms);
        log_missing_funding(p->sim);
        dstr werr = {0};
        if (append(p, "walk", deadline_ms, &werr)) /* the next read walks it again */
            log_msg(LOG_WARN, "paper.walk_unwritten", "%s", dstr_cstr(&werr));
        dstr_free(&werr);
    }
    if (p->sim) {
        ex_read_spec aspec = *spec;
        aspec.market = NULL;
        ex_read(sim_exchange_table(p->sim), &aspec, now_ms, deadline_ms, NULL, acct);
    } else {
        fail_account(acct, spec->parts, why.len ? why.ptr : "paper: the account is unknown");
        log_msg(LOG_ERROR, "paper.account_unknown", "%s", dstr_cstr(&why));
    }
    /* the market data asked, as the live exchange gave it (moved; syms
     * begins with the symbols asked, a symbol asked twice gets one copy) */
    for (size_t i = 0; spec->market && i < spec->n_symbols; i++) {
        size_t j = 0;
        while (strcmp(syms.v[j], spec->symbols[i])) j++;
        memset(&snaps[i], 0, sizeof snaps[i]);
        if (all[j].status == EX_OK && !all[j].snap.symbol[0]) {
            snaps[i].status = EX_INVALID_SYMBOL;
            dstr_printf(&snaps[i].why, "%s asked twice", spec->symbols[i]);
        } else {
            snaps[i] = all[j];
            memset(&all[j], 0, sizeof all[j]); /* moved: status EX_OK, no symbol */
        }
    }
    for (size_t j = 0; j < syms.n; j++) ex_snapshot_free(&all[j]);
    ex_account_free(&market);
    free(all);
    free(syms.v);
    dstr_free(&why);
}

/* ---- writes ----------------------------------------------------------------------------- */

/* Why a write cannot be done now (NULL: it can). */
static const char *write_refused(paper *p) {
    if (!p->sim) return "paper: the account was not read in this invocation";
    if (p->refused) return dstr_cstr(&p->refused_why);
    sim_advance(p->sim, now_of(p)); /* the clock moves: legs placed now are after the walk */
    return NULL;
}

/* After a write: its changes appended; on failure the successes become
 * unknown and the invocation writes no more. */
static void after_write(paper *p, const char *op, int64_t deadline_ms, ex_result **results,
                        size_t n) {
    dstr why = {0};
    if (append(p, op, deadline_ms, &why)) {
        p->refused = 1;
        dstr_clear(&p->refused_why);
        dstr_printf(&p->refused_why, "paper ledger unwritten: %s", dstr_cstr(&why));
        log_msg(LOG_ERROR, "paper.unwritten", "%s", dstr_cstr(&why));
        for (size_t i = 0; i < n; i++)
            if (results[i]->status == EX_OK)
                ex_result_fail(results[i], EX_UNKNOWN, 0, 0, "%s", p->refused_why.ptr);
    }
    dstr_free(&why);
}

/* The ex_result of each of n answers (each `size` bytes, its result at
 * `off`), zeroed; all refused with `no` when it is set. Free the array. */
static ex_result **results(void *out, size_t n, size_t size, size_t off, const char *no) {
    ex_result **r = calloc(n + 1, sizeof *r);
    if (!r) abort();
    for (size_t i = 0; i < n; i++) {
        char *item = (char *)out + i * size;
        memset(item, 0, size);
        r[i] = (ex_result *)(item + off);
        if (no) ex_result_fail(r[i], EX_UNAVAILABLE, 0, 0, "%s", no);
    }
    return r;
}

static void paper_configure(exchange *ex, const ex_setup *setups, size_t n, int64_t deadline_ms,
                            ex_result *out) {
    paper *p = of(ex);
    const char *no = write_refused(p);
    ex_result **r = results(out, n, sizeof *out, 0, no);
    if (!no) {
        ex_configure(sim_exchange_table(p->sim), setups, n, deadline_ms, out);
        after_write(p, "configure", deadline_ms, r, n);
        for (size_t i = 0; i < n; i++) /* set-up is idempotent: not done is enough */
            if (out[i].status == EX_UNKNOWN) out[i].status = out[i].e.status = EX_UNAVAILABLE;
    }
    free(r);
}

static void paper_place_orders(exchange *ex, const ex_order_request *reqs, size_t n,
                               int64_t deadline_ms, ex_placed *out) {
    paper *p = of(ex);
    const char *no = write_refused(p);
    ex_result **r = results(out, n, sizeof *out, offsetof(ex_placed, r), no);
    if (!no) {
        ex_place_orders(sim_exchange_table(p->sim), reqs, n, deadline_ms, out);
        after_write(p, "order", deadline_ms, r, n);
    }
    free(r);
}

static ex_status paper_place_order(exchange *ex, const ex_order_request *req, int64_t deadline_ms,
                                   ex_order *out, ex_error *e, dstr *err) {
    ex_placed one;
    paper_place_orders(ex, req, 1, deadline_ms, &one);
    *out = one.order;
    if (e) *e = one.r.e;
    if (one.r.status) dstr_error_line(err, "%s", dstr_cstr(&one.r.why));
    ex_status st = one.r.status;
    ex_placed_free(&one);
    return st;
}

static void paper_place_algo_orders(exchange *ex, const ex_algo_request *reqs, size_t n,
                                    int64_t deadline_ms, ex_algo_placed *out) {
    paper *p = of(ex);
    const char *no = write_refused(p);
    ex_result **r = results(out, n, sizeof *out, offsetof(ex_algo_placed, r), no);
    if (!no) {
        ex_place_algo_orders(sim_exchange_table(p->sim), reqs, n, deadline_ms, out);
        after_write(p, "algo", deadline_ms, r, n);
    }
    free(r);
}

static void lookups(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                    ex_lookup *out, int cancel) {
    paper *p = of(ex);
    const char *no = cancel       ? write_refused(p)
                     : !p->sim    ? "paper: the account was not read"
                     : p->refused ? dstr_cstr(&p->refused_why) /* what it says is not recorded */
                                  : NULL;
    ex_result **r = results(out, n, sizeof *out, offsetof(ex_lookup, r), no);
    if (!no && cancel) {
        ex_cancel(sim_exchange_table(p->sim), refs, n, deadline_ms, out);
        after_write(p, "cancel", deadline_ms, r, n);
    } else if (!no) {
        ex_query(sim_exchange_table(p->sim), refs, n, deadline_ms, out);
    }
    free(r);
}

static void paper_query(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                        ex_lookup *out) {
    lookups(ex, refs, n, deadline_ms, out, 0);
}

static void paper_cancel(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                         ex_lookup *out) {
    lookups(ex, refs, n, deadline_ms, out, 1);
}

static void paper_close(exchange *ex) {
    paper *p = of(ex);
    reset(p);
    dstr_free(&p->refused_why);
    free(p);
}

static const exchange_ops paper_ops = {.name = "paper",
                                       .snapshots = market_snapshots,
                                       .candles = market_candles,
                                       .orderbook = market_orderbook,
                                       .close = paper_close,
                                       .read = paper_read,
                                       .configure = paper_configure,
                                       .place_order = paper_place_order,
                                       .place_orders = paper_place_orders,
                                       .place_algo_orders = paper_place_algo_orders,
                                       .query = paper_query,
                                       .cancel = paper_cancel};

exchange *paper_exchange_new(const paper_config *c) {
    paper *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->cfg = *c;
    p->ex = (exchange){.ops = &paper_ops, .impl = p};
    return &p->ex;
}

void paper_exchange_bind(exchange *ex, store *journal) {
    if (ex && ex->ops == &paper_ops) of(ex)->journal = journal;
}

int paper_exchange_is(const exchange *ex) { return ex && ex->ops == &paper_ops; }
