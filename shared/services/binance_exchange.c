/* binance_exchange: Binance behind the exchange table (see binance_exchange.h). */
#include "services/binance_exchange.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/config.h"
#include "platform/log.h"
#include "services/binance_trading.h"

static const timeframe kline_tfs[TF_COUNT] = {TF_5M, TF_1H, TF_4H, TF_1D};

void bn_snapshot_prepare(const bn_client *bn, const char *symbol, const ex_snapshot_spec *spec,
                         http_request reqs[BN_SNAPSHOT_REQS]) {
    for (int i = 0; i < TF_COUNT; i++)
        bn_klines_prepare(bn, &reqs[i], symbol, tf_name(kline_tfs[i]), spec->bars + 1, 0);
    bn_depth_prepare(bn, &reqs[TF_COUNT], symbol, spec->depth);
    bn_premium_prepare(bn, &reqs[TF_COUNT + 1], symbol);
}

/* Drops the forming candle(s) and keeps the newest `bars`. */
static void keep_closed(candles *c, int64_t now_ms, int bars) {
    size_t n = c->n, keep = bars > 0 ? (size_t)bars : 0;
    while (n && c->v[n - 1].close_time >= now_ms) n--;
    size_t first = n > keep ? n - keep : 0;
    if (first) memmove(c->v, c->v + first, (n - first) * sizeof *c->v);
    c->n = n - first;
}

typedef struct failures {
    int count;
    ex_status status;
    dstr *why;
    dstr msg; /* the parse's own message, reused for every request */
} failures;

/* Records a parse's outcome; the first failure is the reason, the rest are
 * counted. Returns the status. */
static ex_status outcome(failures *f, const char *what, ex_status st, const ex_error *e) {
    if (st && !f->count++) {
        f->status = st;
        if (f->why) {
            dstr_printf(f->why, "%s: %s", what, ex_status_name(st));
            if (e->http_status) dstr_printf(f->why, " (HTTP %ld)", e->http_status);
            dstr_printf(f->why, ": %s", dstr_cstr(&f->msg));
        }
    }
    dstr_clear(&f->msg);
    return st;
}

ex_status bn_snapshot_assemble(http_request reqs[BN_SNAPSHOT_REQS], const char *symbol,
                               const ex_snapshot_spec *spec, int64_t now_ms, snapshot *s,
                               dstr *why) {
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    s->now_ms = now_ms;
    failures f = {.status = EX_OK, .why = why};
    ex_error e;
    /* every request is parsed, failed or not: each logs binance.response */
    for (int i = 0; i < TF_COUNT; i++) {
        timeframe tf = kline_tfs[i];
        char what[16];
        snprintf(what, sizeof what, "klines %s", tf_name(tf));
        if (!outcome(&f, what, bn_klines_parse(&reqs[i], &s->tf[tf], &e, &f.msg), &e))
            keep_closed(&s->tf[tf], now_ms, spec->bars);
    }
    outcome(&f, "depth", bn_depth_parse(&reqs[TF_COUNT], &s->book, &e, &f.msg), &e);
    outcome(&f, "premiumIndex", bn_premium_parse(&reqs[TF_COUNT + 1], &s->premium, &e, &f.msg), &e);
    dstr_free(&f.msg);
    if (!f.count) return EX_OK;
    if (f.count > 1 && why) dstr_printf(why, " (and %d more requests failed)", f.count - 1);
    snapshot_free(s);
    return f.status;
}

/* ---- the exchange ----------------------------------------------------------- */

/* The table, the client and the signer (its clock offset kept for the warm
 * process) live in one allocation. */
typedef struct rules_cache {
    char (*asked)[EX_SYMBOL_LEN]; /* the symbols of the exchangeInfo read kept */
    size_t n_asked;
    symbol_rules *rules; /* what it found for them (a symbol not listed is absent) */
    size_t n_rules;
    int64_t fetched_ms; /* 0: empty */
    int stale;          /* an order answered a precision or filter error since */
} rules_cache;

typedef struct bn_exchange {
    exchange ex;
    bn_client bn;
    bn_signer signer;
    rules_cache rules;
} bn_exchange;

static bn_exchange *bx(exchange *ex) { return ex->impl; }

static const char no_http[] = "the HTTP client could not start";
static const char no_keys[] = "no Binance API key and secret configured";

static ex_status unavailable(ex_error *e, dstr *err) {
    if (e) *e = (ex_error){.status = EX_UNAVAILABLE};
    dstr_error_line(err, "%s", no_http);
    return EX_UNAVAILABLE;
}

/* Why an account call cannot be made at all (NULL: it can). */
static const char *account_missing(bn_exchange *b) {
    return !b->bn.http ? no_http : !bn_signer_has_keys(&b->signer) ? no_keys : NULL;
}

/* Sets r from a parse's outcome: "<what>: <status> (HTTP n): <msg>". */
static void set_result(ex_result *r, const char *what, ex_status st, const ex_error *e,
                       const dstr *msg) {
    if (!st) return;
    r->status = st;
    r->e = *e;
    dstr_clear(&r->why);
    dstr_printf(&r->why, "%s: %s", what, ex_status_name(st));
    if (e->http_status) dstr_printf(&r->why, " (HTTP %ld)", e->http_status);
    dstr_printf(&r->why, ": %s", dstr_cstr(msg));
}

/* ---- read: market data and account parts in one batch ------------------------ */

typedef enum part_id {
    P_POSITIONS,
    P_ORDERS,
    P_ALGOS,
    P_BALANCES,
    P_MODE,
    P_CONFIGS,
    P_RULES,
    P_TRADES,
    P_INCOME,
    P_FUNDING,
    P_COUNT
} part_id;

_Static_assert(EX_READ_INCOME == 1 << P_INCOME && EX_READ_RULES == 1 << P_RULES &&
                   EX_READ_FUNDING == 1 << P_FUNDING,
               "part ids follow the EX_READ_* bits");

static ex_part *part_of(ex_account *a, part_id p) {
    ex_part *parts[P_COUNT] = {&a->positions_part, &a->orders_part,        &a->algo_orders_part,
                               &a->balances_part,  &a->position_mode_part, &a->configs_part,
                               &a->rules_part,     &a->trades_part,        &a->income_part,
                               &a->funding_part};
    return parts[p];
}

/* One signed request of a part (sym: the symbol it asks for, NULL: all). */
typedef struct part_call {
    part_id part;
    const char *sym;
    bn_call call;
} part_call;

/* Fails a part (the first failure stands: later ones are its "and more"). */
static void part_fail(ex_part *p, const char *what, ex_status st, const ex_error *e,
                      const dstr *msg) {
    if (p->r.status) return;
    set_result(&p->r, what, st, e, msg);
}

static void fail_part_plain(ex_part *p, ex_status st, const char *why) {
    if (p->r.status) return;
    ex_result_fail(&p->r, st, 0, 0, "%s", why);
}

/* Prepares a part's call(s) into calls (returns how many). */
static size_t prepare_part(part_id id, const ex_read_spec *spec, part_call *calls, ex_part *p) {
    size_t n = 0;
    dstr why = {0};
    size_t n_sym = spec->n_symbols ? spec->n_symbols : 1;
    int per_symbol = id == P_ORDERS || id == P_ALGOS || id == P_CONFIGS || id == P_TRADES;
    if (id == P_TRADES && !spec->n_symbols) {
        fail_part_plain(p, EX_INVALID_SYMBOL, "userTrades: no symbol asked");
        return 0;
    }
    for (size_t i = 0; i < (per_symbol ? n_sym : 1); i++) {
        const char *sym = per_symbol && spec->n_symbols ? spec->symbols[i] : NULL;
        part_call *pc = &calls[n];
        pc->part = id;
        pc->sym = sym;
        int bad = 0;
        switch (id) {
        case P_POSITIONS: bn_position_risk_prepare(&pc->call); break;
        case P_ORDERS: bad = bn_open_orders_prepare(&pc->call, sym, &why); break;
        case P_ALGOS: bad = bn_open_algo_orders_prepare(&pc->call, sym, &why); break;
        case P_BALANCES: bn_balance_prepare(&pc->call); break;
        case P_MODE: bn_position_mode_prepare(&pc->call); break;
        case P_CONFIGS: bad = bn_symbol_config_prepare(&pc->call, sym, &why); break;
        case P_TRADES: bad = bn_user_trades_prepare(&pc->call, sym, spec->since_ms, &why); break;
        case P_INCOME: bn_income_prepare(&pc->call, spec->since_ms); break;
        default: bad = 1; break;
        }
        if (bad) {
            dstr msg = {0};
            dstr_printf(&msg, "%s: %s", sym ? sym : "?", dstr_cstr(&why));
            fail_part_plain(p, EX_INVALID_SYMBOL, msg.ptr);
            dstr_free(&msg);
            dstr_clear(&why);
            continue;
        }
        n++;
    }
    dstr_free(&why);
    return n;
}

static const char *part_name(part_id id) {
    static const char *const names[P_COUNT] = {
        "positionRisk", "openOrders",   "openAlgoOrders", "balance", "positionSide/dual",
        "symbolConfig", "exchangeInfo", "userTrades",     "income",  "fundingRate"};
    return names[id];
}

static void parse_part_call(part_call *pc, ex_account *a) {
    ex_error e = {0};
    dstr msg = {0};
    http_request *r = &pc->call.req;
    ex_status st = EX_OK;
    int full = 0;
    switch (pc->part) {
    case P_POSITIONS:
        st = bn_position_risk_parse(r, &a->positions, &a->n_positions, &e, &msg);
        break;
    case P_ORDERS: st = bn_open_orders_parse(r, &a->orders, &a->n_orders, &e, &msg); break;
    case P_ALGOS:
        st = bn_open_algo_orders_parse(r, &a->algo_orders, &a->n_algo_orders, &e, &msg);
        break;
    case P_BALANCES: st = bn_balance_parse(r, &a->balances, &a->n_balances, &e, &msg); break;
    case P_MODE: st = bn_position_mode_parse(r, &a->hedge_mode, &e, &msg); break;
    case P_CONFIGS: st = bn_symbol_config_parse(r, &a->configs, &a->n_configs, &e, &msg); break;
    case P_TRADES:
        st = bn_user_trades_parse(r, &a->trades, &a->n_trades, &full, &e, &msg);
        a->trades_truncated |= full;
        break;
    case P_INCOME:
        st = bn_income_parse(r, &a->income, &a->n_income, &full, &e, &msg);
        a->income_truncated |= full;
        break;
    default: break;
    }
    if (st) {
        char what[64];
        snprintf(what, sizeof what, "%s%s%s", part_name(pc->part), pc->sym ? " " : "",
                 pc->sym ? pc->sym : "");
        part_fail(part_of(a, pc->part), what, st, &e, &msg);
    }
    dstr_free(&msg);
}

/* A failed part keeps only its result: no partial list. */
static void drop_failed_lists(ex_account *a) {
#define DROP(part, list, count) \
    if (a->part.r.status) {     \
        free(a->list);          \
        a->list = NULL;         \
        a->count = 0;           \
    }
    DROP(positions_part, positions, n_positions)
    DROP(orders_part, orders, n_orders)
    DROP(algo_orders_part, algo_orders, n_algo_orders)
    DROP(balances_part, balances, n_balances)
    DROP(configs_part, configs, n_configs)
    DROP(rules_part, rules, n_rules)
    DROP(trades_part, trades, n_trades)
    DROP(income_part, income, n_income)
    DROP(funding_part, funding, n_funding)
#undef DROP
    if (a->position_mode_part.r.status) a->hedge_mode = 0;
}

/* ---- the exchange rules, kept for the warm process ------------------------------ */

static void rules_forget(rules_cache *c) {
    free(c->asked);
    free(c->rules);
    memset(c, 0, sizeof *c);
}

/* Fills acct's rules for spec's symbols from the cache: 1, or 0 when the
 * cache cannot answer (empty, stale, too old, or a symbol it was not asked). */
static int rules_from_cache(const rules_cache *c, const ex_read_spec *spec, int64_t now_ms,
                            ex_account *acct) {
    if (!c->fetched_ms || c->stale || now_ms - c->fetched_ms > BN_RULES_MAX_AGE_MS ||
        now_ms < c->fetched_ms || !spec->n_symbols)
        return 0;
    for (size_t i = 0; i < spec->n_symbols; i++) {
        size_t k = 0;
        while (k < c->n_asked && strcmp(c->asked[k], spec->symbols[i]) != 0) k++;
        if (k == c->n_asked) return 0;
    }
    acct->rules = calloc(spec->n_symbols + 1, sizeof *acct->rules);
    if (!acct->rules) abort();
    for (size_t i = 0; i < spec->n_symbols; i++)
        for (size_t k = 0; k < c->n_rules; k++)
            if (strcmp(c->rules[k].symbol, spec->symbols[i]) == 0) {
                acct->rules[acct->n_rules++] = c->rules[k];
                break;
            }
    return 1;
}

/* Keeps a successful exchangeInfo read of spec's symbols. */
static void rules_keep(rules_cache *c, const ex_read_spec *spec, const ex_account *acct,
                       int64_t now_ms) {
    rules_forget(c);
    if (!spec->n_symbols) return; /* "all symbols" is not kept: nobody asks it twice */
    c->asked = calloc(spec->n_symbols, sizeof *c->asked);
    c->rules = calloc(acct->n_rules + 1, sizeof *c->rules);
    if (!c->asked || !c->rules) abort();
    for (size_t i = 0; i < spec->n_symbols; i++)
        snprintf(c->asked[i], sizeof c->asked[i], "%s", spec->symbols[i]);
    c->n_asked = spec->n_symbols;
    if (acct->n_rules) memcpy(c->rules, acct->rules, acct->n_rules * sizeof *c->rules);
    c->n_rules = acct->n_rules;
    c->fetched_ms = now_ms > 0 ? now_ms : 1;
}

int bn_rules_error(long code) {
    static const long codes[] = {
        -1111,                      /* precision over the maximum */
        -1013,                      /* a filter failure */
        -4003, -4004, -4005,        /* quantity: <= 0, below the minimum, above the maximum */
        -4013, -4014, -4016, -4023, /* price below the minimum, off the tick, above; off the step */
        -4024,                      /* price below the band */
        -4164,                      /* notional below the minimum */
    };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (code == codes[i]) return 1;
    return 0;
}

/* An order refused for a rule: the next read fetches the rules again. */
static void note_rules_error(bn_exchange *b, const ex_result *r) {
    if (r->status == EX_REJECTED && bn_rules_error(r->e.code) && b->rules.fetched_ms) {
        b->rules.stale = 1;
        log_rec *lr = log_begin(LOG_WARN, "binance.rules_stale");
        log_int(lr, "code", r->e.code);
        log_str(lr, "message", "an order was refused for a rule: exchangeInfo is read again");
        log_end(lr);
    }
}

static int all_valid(const ex_read_spec *spec) {
    for (size_t i = 0; i < spec->n_symbols; i++)
        if (!cfg_valid_symbol(spec->symbols[i])) return 0;
    return 1;
}

static void read_all(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
                     ex_snapshot *snaps, ex_account *acct) {
    bn_exchange *b = bx(ex);
    size_t n = spec->n_symbols;
    const ex_snapshot_spec *mk = spec->market;
    memset(acct, 0, sizeof *acct);
    /* market requests, as plain (unsigned) requests */
    size_t n_market = mk ? n * BN_SNAPSHOT_REQS : 0;
    /* + exchangeInfo, + fundingRate a symbol */
    http_request *mreqs = calloc(n_market + 2 + n, sizeof *mreqs);
    http_request **plain = calloc(n_market + 2 + n, sizeof *plain);
    http_request *funding = NULL; /* n fundingRate requests, public like exchangeInfo */
    char *asked = calloc(n + 1, 1);
    /* signed calls: at most one per symbol per part, plus the account-wide ones */
    size_t cap = (size_t)P_COUNT * (n + 1);
    part_call *calls = calloc(cap, sizeof *calls);
    bn_call **signed_calls = calloc(cap, sizeof *signed_calls);
    if (!mreqs || !plain || !asked || !calls || !signed_calls) abort();
    size_t n_plain = 0, n_calls = 0;
    for (size_t i = 0; mk && i < n; i++) {
        memset(&snaps[i], 0, sizeof snaps[i]);
        if (!b->bn.http) {
            snaps[i].status = EX_UNAVAILABLE;
            dstr_printf(&snaps[i].why, "market data: %s", no_http);
        } else if (!cfg_valid_symbol(spec->symbols[i])) {
            snaps[i].status = EX_INVALID_SYMBOL;
            dstr_puts(&snaps[i].why, "symbol must be 2-20 uppercase letters or digits");
        } else {
            asked[i] = 1;
            bn_snapshot_prepare(&b->bn, spec->symbols[i], mk, mreqs + i * BN_SNAPSHOT_REQS);
            for (int k = 0; k < BN_SNAPSHOT_REQS; k++)
                plain[n_plain++] = &mreqs[i * BN_SNAPSHOT_REQS + k];
        }
    }
    http_request *info = NULL;
    for (part_id id = 0; id < P_COUNT; id++) {
        ex_part *p = part_of(acct, id);
        p->asked = !!(spec->parts & (1u << id));
        if (!p->asked) continue;
        int public = id == P_RULES || id == P_FUNDING;
        const char *missing = public ? (b->bn.http ? NULL : no_http) : account_missing(b);
        if (missing) {
            fail_part_plain(p, EX_UNAVAILABLE, missing);
        } else if (id == P_FUNDING && !all_valid(spec)) {
            fail_part_plain(p, EX_INVALID_SYMBOL,
                            "fundingRate: symbol must be 2-20 uppercase letters or digits");
        } else if (id == P_FUNDING) {
            funding = &mreqs[n_market + 1];
            for (size_t i = 0; i < n; i++) {
                bn_funding_prepare(&b->bn, &funding[i], spec->symbols[i], spec->since_ms, now_ms,
                                   BN_FUNDING_MAX);
                plain[n_plain++] = &funding[i];
            }
        } else if (id == P_RULES && rules_from_cache(&b->rules, spec, now_ms, acct)) {
            continue; /* kept from an earlier read of this process */
        } else if (id == P_RULES) {
            info = &mreqs[n_market];
            bn_exchange_info_prepare(&b->bn, info);
            plain[n_plain++] = info;
        } else {
            n_calls += prepare_part(id, spec, calls + n_calls, p);
        }
    }
    for (size_t i = 0; i < n_calls; i++) signed_calls[i] = &calls[i].call;
    if (n_calls) bn_signed_run(&b->signer, signed_calls, n_calls, plain, n_plain, deadline_ms);
    else if (n_plain) http_run(b->bn.http, plain, n_plain, deadline_ms);
    /* every request is parsed, failed or not: each logs binance.response */
    for (size_t i = 0; mk && i < n; i++) {
        if (!asked[i]) continue;
        http_request *r = mreqs + i * BN_SNAPSHOT_REQS;
        snaps[i].status =
            bn_snapshot_assemble(r, spec->symbols[i], mk, now_ms, &snaps[i].snap, &snaps[i].why);
        for (int k = 0; k < BN_SNAPSHOT_REQS; k++) http_request_free(&r[k]);
    }
    if (info) {
        ex_error e = {0};
        dstr msg = {0};
        ex_status st =
            bn_exchange_info_parse(info, spec->symbols, n, &acct->rules, &acct->n_rules, &e, &msg);
        part_fail(&acct->rules_part, "exchangeInfo", st, &e, &msg);
        if (st == EX_OK) rules_keep(&b->rules, spec, acct, now_ms);
        dstr_free(&msg);
        http_request_free(info);
    }
    for (size_t i = 0; funding && i < n; i++) {
        ex_error e = {0};
        dstr msg = {0};
        bn_funding *v = NULL;
        size_t nv = 0;
        ex_status st = bn_funding_parse(&funding[i], &v, &nv, &e, &msg);
        if (st == EX_OK) {
            ex_funding *grown = realloc(acct->funding, (acct->n_funding + nv + 1) * sizeof *grown);
            if (!grown) abort();
            acct->funding = grown;
            for (size_t k = 0; k < nv; k++) {
                ex_funding *f = &acct->funding[acct->n_funding++];
                snprintf(f->symbol, sizeof f->symbol, "%s", spec->symbols[i]);
                f->time_ms = v[k].time_ms;
                f->rate = v[k].rate;
            }
        } else {
            char what[64];
            snprintf(what, sizeof what, "fundingRate %s", spec->symbols[i]);
            part_fail(&acct->funding_part, what, st, &e, &msg);
        }
        free(v);
        dstr_free(&msg);
        http_request_free(&funding[i]);
    }
    for (size_t i = 0; i < n_calls; i++) {
        parse_part_call(&calls[i], acct);
        bn_call_free(&calls[i].call);
    }
    drop_failed_lists(acct);
    free(signed_calls);
    free(calls);
    free(asked);
    free(plain);
    free(mreqs);
}

static void snapshots(exchange *ex, const char *const *symbols, size_t n,
                      const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                      ex_snapshot *out) {
    ex_read_spec rs = {.symbols = symbols, .n_symbols = n, .market = spec};
    ex_account none;
    read_all(ex, &rs, now_ms, deadline_ms, out, &none);
    ex_account_free(&none);
}

static ex_status closed_candles(exchange *ex, const char *symbol, const char *interval, int limit,
                                int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e,
                                dstr *err) {
    const bn_client *bn = &bx(ex)->bn;
    if (!bn->http) {
        *out = (candles){0};
        return unavailable(e, err);
    }
    return bn_closed_klines(bn, symbol, interval, limit, now_ms, deadline_ms, out, e, err);
}

static ex_status orderbook(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                           order_book *out, ex_error *e, dstr *err) {
    const bn_client *bn = &bx(ex)->bn;
    if (!bn->http) {
        memset(out, 0, sizeof *out);
        return unavailable(e, err);
    }
    http_request r;
    bn_depth_prepare(bn, &r, symbol, limit);
    http_request *batch[] = {&r};
    http_run(bn->http, batch, 1, deadline_ms);
    ex_status st = bn_depth_parse(&r, out, e, err);
    http_request_free(&r);
    return st;
}

/* ---- writes ------------------------------------------------------------------------ */

/* binance.order.request: what is about to be sent (the unsigned parameters:
 * no timestamp, no signature). */
static void log_order_request(const bn_call *c) {
    log_rec *lr = log_begin(LOG_INFO, "binance.order.request");
    log_str(lr, "method", c->method);
    log_str(lr, "path", c->path);
    log_str(lr, "params", dstr_cstr(&c->params));
    log_end(lr);
}

/* binance.order.response: the outcome and the raw answer (already scrubbed). */
static void log_order_response(const bn_call *c, ex_status st, const ex_error *e) {
    log_rec *lr = log_begin(st ? LOG_WARN : LOG_INFO, "binance.order.response");
    log_str(lr, "method", c->method);
    log_str(lr, "path", c->path);
    log_str(lr, "outcome", ex_status_name(st));
    log_int(lr, "status", c->req.status);
    if (st && e->code) log_int(lr, "code", e->code);
    log_strn(lr, "body", dstr_cstr(&c->req.resp_body),
             c->req.resp_body.len < 4000 ? c->req.resp_body.len : 4000);
    log_end(lr);
}

/* Runs prepared order writes (valid[i] set) in one batch, logging each. */
static void run_writes(bn_exchange *b, bn_call *calls, const char *valid, size_t n,
                       int64_t deadline_ms) {
    bn_call **batch = calloc(n + 1, sizeof *batch);
    if (!batch) abort();
    size_t nb = 0;
    for (size_t i = 0; i < n; i++)
        if (valid[i]) {
            log_order_request(&calls[i]);
            batch[nb++] = &calls[i];
        }
    if (nb) bn_signed_run(&b->signer, batch, nb, NULL, 0, deadline_ms);
    free(batch);
}

/* The shared frame of the batched writes: checks the account, prepares each
 * element (prepare returns 0, or -1 with why: then not sent), runs them in
 * one batch, and hands each finished call to parse. */
typedef int (*write_prepare)(const void *reqs, size_t i, bn_call *c, dstr *why);
typedef ex_status (*write_parse)(const void *reqs, size_t i, bn_call *c, void *out, ex_error *e,
                                 dstr *msg);

static void batch_writes(bn_exchange *b, const void *reqs, size_t n, int64_t deadline_ms,
                         write_prepare prep, write_parse parse, void *outs, size_t out_size,
                         size_t result_offset, const char *what, int log_orders) {
    bn_call *calls = calloc(n + 1, sizeof *calls);
    char *valid = calloc(n + 1, 1);
    if (!calls || !valid) abort();
    const char *missing = account_missing(b);
    dstr why = {0};
    for (size_t i = 0; i < n; i++) {
        char *out = (char *)outs + i * out_size;
        memset(out, 0, out_size);
        ex_result *r = (ex_result *)(out + result_offset);
        if (missing) {
            ex_result_fail(r, EX_UNAVAILABLE, 0, 0, "%s", missing);
        } else if (prep(reqs, i, &calls[i], &why)) {
            ex_result_fail(r, EX_REJECTED, 0, 0, "%s: not sent: %s", what, dstr_cstr(&why));
            dstr_clear(&why);
        } else {
            valid[i] = 1;
        }
    }
    dstr_free(&why);
    if (log_orders) {
        run_writes(b, calls, valid, n, deadline_ms);
    } else {
        bn_call **batch = calloc(n + 1, sizeof *batch);
        if (!batch) abort();
        size_t nb = 0;
        for (size_t i = 0; i < n; i++)
            if (valid[i]) batch[nb++] = &calls[i];
        if (nb) bn_signed_run(&b->signer, batch, nb, NULL, 0, deadline_ms);
        free(batch);
    }
    for (size_t i = 0; i < n; i++) {
        if (!valid[i]) continue;
        char *out = (char *)outs + i * out_size;
        ex_error e = {0};
        dstr msg = {0};
        ex_status st = parse(reqs, i, &calls[i], out, &e, &msg);
        if (log_orders) log_order_response(&calls[i], st, &e);
        set_result((ex_result *)(out + result_offset), what, st, &e, &msg);
        dstr_free(&msg);
        bn_call_free(&calls[i]);
    }
    free(valid);
    free(calls);
}

static int setup_prepare(const void *reqs, size_t i, bn_call *c, dstr *why) {
    const ex_setup *s = (const ex_setup *)reqs + i;
    switch (s->what) {
    case EX_SET_POSITION_MODE: bn_set_position_mode_prepare(c, s->hedge_mode); return 0;
    case EX_SET_MARGIN_TYPE: return bn_set_margin_type_prepare(c, s->symbol, s->margin_type, why);
    case EX_SET_LEVERAGE: return bn_set_leverage_prepare(c, s->symbol, s->leverage, why);
    }
    dstr_error_line(why, "unknown setting");
    return -1;
}

static ex_status setup_parse(const void *reqs, size_t i, bn_call *c, void *out, ex_error *e,
                             dstr *msg) {
    (void)reqs, (void)i, (void)out;
    return bn_setup_parse(&c->req, e, msg);
}

static void configure(exchange *ex, const ex_setup *setups, size_t n, int64_t deadline_ms,
                      ex_result *out) {
    batch_writes(bx(ex), setups, n, deadline_ms, setup_prepare, setup_parse, out, sizeof *out, 0,
                 "set-up", 0);
}

static int order_prepare(const void *reqs, size_t i, bn_call *c, dstr *why) {
    return bn_order_prepare(c, (const ex_order_request *)reqs + i, why);
}

static ex_status order_parse(const void *reqs, size_t i, bn_call *c, void *out, ex_error *e,
                             dstr *msg) {
    (void)reqs, (void)i;
    return bn_order_parse(&c->req, BN_WRITE, &((ex_placed *)out)->order, e, msg);
}

static ex_status place_order(exchange *ex, const ex_order_request *req, int64_t deadline_ms,
                             ex_order *out, ex_error *e, dstr *err) {
    ex_placed o;
    batch_writes(bx(ex), req, 1, deadline_ms, order_prepare, order_parse, &o, sizeof o,
                 offsetof(ex_placed, r), "order", 1);
    *out = o.order;
    note_rules_error(bx(ex), &o.r);
    if (o.r.status) {
        if (e) *e = o.r.e;
        dstr_error_line(err, "%s", dstr_cstr(&o.r.why));
    }
    ex_status st = o.r.status;
    ex_result_free(&o.r);
    return st;
}

static void place_orders(exchange *ex, const ex_order_request *reqs, size_t n, int64_t deadline_ms,
                         ex_placed *out) {
    batch_writes(bx(ex), reqs, n, deadline_ms, order_prepare, order_parse, out, sizeof *out,
                 offsetof(ex_placed, r), "order", 1);
    for (size_t i = 0; i < n; i++) note_rules_error(bx(ex), &out[i].r);
}

static int algo_prepare(const void *reqs, size_t i, bn_call *c, dstr *why) {
    return bn_algo_prepare(c, (const ex_algo_request *)reqs + i, why);
}

static ex_status algo_parse(const void *reqs, size_t i, bn_call *c, void *out, ex_error *e,
                            dstr *msg) {
    (void)reqs, (void)i;
    return bn_algo_parse(&c->req, BN_WRITE, &((ex_algo_placed *)out)->algo, e, msg);
}

static void place_algo_orders(exchange *ex, const ex_algo_request *reqs, size_t n,
                              int64_t deadline_ms, ex_algo_placed *out) {
    batch_writes(bx(ex), reqs, n, deadline_ms, algo_prepare, algo_parse, out, sizeof *out,
                 offsetof(ex_algo_placed, r), "algoOrder", 1);
    for (size_t i = 0; i < n; i++) note_rules_error(bx(ex), &out[i].r);
}

static int query_prepare(const void *reqs, size_t i, bn_call *c, dstr *why) {
    const ex_order_ref *r = (const ex_order_ref *)reqs + i;
    return r->algo ? bn_algo_ref_prepare(c, "GET", r->client_id, why)
                   : bn_order_ref_prepare(c, "GET", r->symbol, r->client_id, why);
}

static int cancel_prepare(const void *reqs, size_t i, bn_call *c, dstr *why) {
    const ex_order_ref *r = (const ex_order_ref *)reqs + i;
    return r->algo ? bn_algo_ref_prepare(c, "DELETE", r->client_id, why)
                   : bn_order_ref_prepare(c, "DELETE", r->symbol, r->client_id, why);
}

static ex_status lookup_parse(const void *reqs, size_t i, bn_call *c, void *out, ex_error *e,
                              dstr *msg) {
    const ex_order_ref *r = (const ex_order_ref *)reqs + i;
    ex_lookup *l = out;
    int cancel = strcmp(c->method, "DELETE") == 0;
    if (r->algo)
        return cancel ? bn_algo_cancel_parse(&c->req, &l->algo, e, msg)
                      : bn_algo_parse(&c->req, BN_LOOKUP, &l->algo, e, msg);
    return bn_order_parse(&c->req, cancel ? BN_WRITE : BN_LOOKUP, &l->order, e, msg);
}

static void query(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                  ex_lookup *out) {
    batch_writes(bx(ex), refs, n, deadline_ms, query_prepare, lookup_parse, out, sizeof *out,
                 offsetof(ex_lookup, r), "query", 0);
}

static void cancel(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                   ex_lookup *out) {
    batch_writes(bx(ex), refs, n, deadline_ms, cancel_prepare, lookup_parse, out, sizeof *out,
                 offsetof(ex_lookup, r), "cancel", 1);
}

static void close_exchange(exchange *ex) {
    rules_forget(&bx(ex)->rules);
    free(ex->impl);
}

static const exchange_ops binance_ops = {.name = "binance",
                                         .snapshots = snapshots,
                                         .candles = closed_candles,
                                         .orderbook = orderbook,
                                         .close = close_exchange,
                                         .read = read_all,
                                         .configure = configure,
                                         .place_order = place_order,
                                         .place_orders = place_orders,
                                         .place_algo_orders = place_algo_orders,
                                         .query = query,
                                         .cancel = cancel};

exchange *binance_exchange_new(http_client *http, const bn_config *c) {
    bn_exchange *b = calloc(1, sizeof *b);
    if (!b) abort();
    bn_client_init(&b->bn, http, c);
    bn_signer_init(&b->signer, &b->bn, c->api_key, c->api_secret, c->recv_window_ms);
    b->ex.ops = &binance_ops;
    b->ex.impl = b;
    return &b->ex;
}
