/* mem_exchange: the in-memory exchange double (see mem_exchange.h). */
#include "mem_exchange.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEE_RATE 0.0005

static mem_exchange *of(exchange *ex) { return ex->impl; }

mx_symbol *mx_find(mem_exchange *m, const char *symbol) {
    for (size_t i = 0; i < m->n_sym; i++)
        if (strcmp(m->sym[i].symbol, symbol) == 0) return &m->sym[i];
    return NULL;
}

static mx_fault *take_fault(mem_exchange *m, mx_op op) {
    m->calls[op]++;
    if (m->next_fault[op] >= m->n_faults[op]) return NULL;
    mx_fault *f = &m->faults[op][m->next_fault[op]++];
    return f->status == EX_OK ? NULL : f; /* EX_OK: this element passes */
}

void mx_fault_next(mem_exchange *m, mx_op op, ex_status status, long code, int landed) {
    if (m->n_faults[op] >= MX_MAX_FAULTS) abort();
    m->faults[op][m->n_faults[op]++] = (mx_fault){.status = status, .code = code, .landed = landed};
}

static void fail(ex_result *r, const mx_fault *f) {
    ex_result_fail(r, f->status, f->status == EX_UNKNOWN ? 503 : 400, f->code, "%s (code %ld)",
                   ex_status_name(f->status), f->code);
}

/* ---- fills ------------------------------------------------------------------------------ */

static double fill(mem_exchange *m, mx_symbol *s, ex_side side, double qty, double price,
                   int64_t order_id) {
    double sgn = side == EX_BUY ? 1 : -1, a = s->amount, realized = 0;
    if (a == 0 || (a > 0) == (sgn > 0)) {
        s->entry = (fabs(a) * s->entry + qty * price) / (fabs(a) + qty);
    } else {
        double c = fmin(qty, fabs(a));
        realized = c * (price - s->entry) * (a > 0 ? 1 : -1);
        if (qty > fabs(a)) s->entry = price;
    }
    s->amount = a + sgn * qty;
    if (fabs(s->amount) < 1e-12) s->amount = 0, s->entry = 0;
    double fee = qty * price * FEE_RATE;
    m->balance += realized - fee;
    if (m->n_fills < MX_MAX_FILLS) {
        ex_fill *f = &m->fills[m->n_fills++];
        *f = (ex_fill){.id = ++m->next_id,
                       .order_id = order_id,
                       .side = side,
                       .price = price,
                       .qty = qty,
                       .quote_qty = qty * price,
                       .realized_pnl = realized,
                       .commission = fee,
                       .time = m->now_ms++};
        snprintf(f->symbol, sizeof f->symbol, "%s", s->symbol);
        snprintf(f->commission_asset, sizeof f->commission_asset, "USDT");
    }
    return realized;
}

/* A reduce-only quantity that still reduces, 0 when nothing can. */
static double reducible(const mx_symbol *s, ex_side side, double qty) {
    if (s->amount == 0 || (s->amount > 0) == (side == EX_BUY)) return 0;
    return fmin(qty, fabs(s->amount));
}

static ex_order *new_order(mem_exchange *m) {
    if (m->n_orders >= MX_MAX_ORDERS) abort();
    ex_order *o = &m->orders[m->n_orders++];
    memset(o, 0, sizeof *o);
    o->order_id = ++m->next_id;
    o->time = o->update_time = m->now_ms;
    return o;
}

static void fill_order(mem_exchange *m, mx_symbol *s, ex_order *o, double qty, double price) {
    fill(m, s, o->side, qty, price, o->order_id);
    o->executed_qty = qty;
    o->avg_price = price;
    o->cum_quote = qty * price;
    snprintf(o->executed_qty_str, sizeof o->executed_qty_str, "%.*f", s->rules.lot.step.decimals,
             qty);
    ex_order_set_status(o, EX_ORDER_FILLED);
}

static int open_client_id(const mem_exchange *m, const char *id) {
    for (size_t i = 0; i < m->n_orders; i++)
        if (strcmp(m->orders[i].client_id, id) == 0 && m->orders[i].status == EX_ORDER_NEW)
            return 1;
    for (size_t i = 0; i < m->n_algos; i++)
        if (strcmp(m->algos[i].client_id, id) == 0 && m->algos[i].status == EX_ALGO_NEW) return 1;
    return 0;
}

/* Applies an order; EX_OK with *out, or a refusal in r. */
static ex_status apply_order(mem_exchange *m, const ex_order_request *rq, ex_order *out,
                             ex_result *r) {
    mx_symbol *s = mx_find(m, rq->symbol);
    if (!s) {
        ex_result_fail(r, EX_INVALID_SYMBOL, 400, -1121, "Invalid symbol.");
        return EX_INVALID_SYMBOL;
    }
    if (open_client_id(m, rq->client_id)) {
        ex_result_fail(r, EX_REJECTED, 400, -4116, "ClientOrderId is duplicated.");
        return EX_REJECTED;
    }
    double qty = strtod(rq->quantity, NULL);
    if (rq->reduce_only) {
        qty = reducible(s, rq->side, qty);
        if (qty <= 0) {
            ex_result_fail(r, EX_REJECTED, 400, -2022, "ReduceOnly Order is rejected.");
            return EX_REJECTED;
        }
    } else {
        m->entries++;
    }
    ex_order *o = new_order(m);
    snprintf(o->symbol, sizeof o->symbol, "%s", rq->symbol);
    snprintf(o->client_id, sizeof o->client_id, "%s", rq->client_id);
    snprintf(o->type, sizeof o->type, "%s", rq->type == EX_MARKET ? "MARKET" : "LIMIT");
    snprintf(o->orig_qty_str, sizeof o->orig_qty_str, "%s", rq->quantity);
    snprintf(o->executed_qty_str, sizeof o->executed_qty_str, "0");
    o->side = rq->side;
    o->reduce_only = rq->reduce_only;
    o->orig_qty = qty;
    o->price = rq->type == EX_LIMIT ? strtod(rq->price, NULL) : 0;
    ex_order_set_status(o, EX_ORDER_NEW);
    if (rq->type == EX_MARKET) fill_order(m, s, o, qty, s->mark);
    else if (m->fill_limits) fill_order(m, s, o, qty, o->price);
    *out = *o;
    return EX_OK;
}

static void trigger_legs(mem_exchange *m, mx_symbol *s) {
    for (size_t i = 0; i < m->n_algos; i++) {
        ex_algo_order *a = &m->algos[i];
        if (a->status != EX_ALGO_NEW || strcmp(a->symbol, s->symbol) != 0) continue;
        int sell = a->side == EX_SELL, stop = strcmp(a->type, "STOP_MARKET") == 0;
        int fire = stop ? (sell ? s->mark <= a->trigger_price : s->mark >= a->trigger_price)
                        : (sell ? s->mark >= a->trigger_price : s->mark <= a->trigger_price);
        if (!fire) continue;
        double qty = reducible(s, a->side, a->quantity);
        a->trigger_time = a->update_time = m->now_ms;
        ex_algo_set_status(a, EX_ALGO_FINISHED);
        if (qty <= 0) continue; /* nothing to reduce: the triggered order expires */
        ex_order *o = new_order(m);
        snprintf(o->symbol, sizeof o->symbol, "%s", s->symbol);
        snprintf(o->type, sizeof o->type, "%s", a->type);
        o->side = a->side;
        o->reduce_only = 1;
        o->orig_qty = qty;
        fill_order(m, s, o, qty, s->mark);
        a->actual_order_id = o->order_id;
        a->executed_qty = qty;
        a->avg_price = s->mark;
    }
}

void mx_set_mark(mem_exchange *m, const char *symbol, double mark) {
    mx_symbol *s = mx_find(m, symbol);
    if (!s) abort();
    s->mark = mark;
    m->now_ms += 1000;
    trigger_legs(m, s);
}

/* ---- the table ----------------------------------------------------------------------- */

static void mx_snapshots(exchange *ex, const char *const *symbols, size_t n,
                         const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                         ex_snapshot *out) {
    (void)ex, (void)symbols, (void)spec, (void)now_ms, (void)deadline_ms;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].status = EX_UNAVAILABLE;
        dstr_puts(&out[i].why, "mem_exchange: no market data");
    }
}

static void part_ok(ex_part *p, int asked, const mx_fault *f) {
    p->asked = asked;
    if (asked && f) fail(&p->r, f);
}

static int wanted(const ex_read_spec *spec, const char *symbol) {
    if (!spec->n_symbols) return 1;
    for (size_t i = 0; i < spec->n_symbols; i++)
        if (strcmp(spec->symbols[i], symbol) == 0) return 1;
    return 0;
}

#define LIST(ptr, n, count, type)                  \
    do {                                           \
        (ptr) = calloc((count) + 1, sizeof(type)); \
        if (!(ptr)) abort();                       \
        (n) = 0;                                   \
    } while (0)

static void mx_read(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
                    ex_snapshot *snaps, ex_account *a) {
    mem_exchange *m = of(ex);
    if (spec->market)
        mx_snapshots(ex, spec->symbols, spec->n_symbols, spec->market, now_ms, deadline_ms, snaps);
    memset(a, 0, sizeof *a);
    unsigned p = spec->parts;
    mx_fault *f = p ? take_fault(m, MX_READ) : NULL;
    part_ok(&a->positions_part, !!(p & EX_READ_POSITIONS), f);
    part_ok(&a->orders_part, !!(p & EX_READ_OPEN_ORDERS), f);
    part_ok(&a->algo_orders_part, !!(p & EX_READ_OPEN_ALGO_ORDERS), f);
    part_ok(&a->balances_part, !!(p & EX_READ_BALANCES), f);
    part_ok(&a->position_mode_part, !!(p & EX_READ_POSITION_MODE), f);
    part_ok(&a->configs_part, !!(p & EX_READ_SYMBOL_CONFIGS), f);
    part_ok(&a->rules_part, !!(p & EX_READ_RULES), f);
    part_ok(&a->trades_part, !!(p & EX_READ_TRADES), f);
    part_ok(&a->income_part, !!(p & EX_READ_INCOME), f);
    if (f) return;
    LIST(a->positions, a->n_positions, m->n_sym, ex_position);
    LIST(a->configs, a->n_configs, m->n_sym, ex_symbol_config);
    LIST(a->rules, a->n_rules, m->n_sym, symbol_rules);
    for (size_t i = 0; i < m->n_sym; i++) {
        mx_symbol *s = &m->sym[i];
        if (s->amount != 0) {
            ex_position *ps = &a->positions[a->n_positions++];
            snprintf(ps->symbol, sizeof ps->symbol, "%s", s->symbol);
            snprintf(ps->position_side, sizeof ps->position_side, "BOTH");
            snprintf(ps->amount_str, sizeof ps->amount_str, "%.*f", s->rules.lot.step.decimals,
                     s->amount);
            ps->amount = s->amount;
            ps->entry_price = ps->break_even_price = s->entry;
            ps->mark_price = s->mark;
            ps->unrealized_pnl = s->amount * (s->mark - s->entry);
            ps->notional = s->amount * s->mark;
            ps->update_time = m->now_ms;
        }
        if (!wanted(spec, s->symbol)) continue;
        ex_symbol_config *c = &a->configs[a->n_configs++];
        snprintf(c->symbol, sizeof c->symbol, "%s", s->symbol);
        c->leverage = s->leverage;
        c->margin_type = s->margin;
        a->rules[a->n_rules++] = s->rules;
    }
    if (!(p & EX_READ_POSITIONS)) a->n_positions = 0;
    LIST(a->orders, a->n_orders, m->n_orders, ex_order);
    for (size_t i = 0; i < m->n_orders; i++)
        if (m->orders[i].status == EX_ORDER_NEW && wanted(spec, m->orders[i].symbol))
            a->orders[a->n_orders++] = m->orders[i];
    LIST(a->algo_orders, a->n_algo_orders, m->n_algos, ex_algo_order);
    for (size_t i = 0; i < m->n_algos; i++)
        if (m->algos[i].status == EX_ALGO_NEW && wanted(spec, m->algos[i].symbol))
            a->algo_orders[a->n_algo_orders++] = m->algos[i];
    LIST(a->balances, a->n_balances, 1, ex_balance);
    ex_balance *b = &a->balances[a->n_balances++];
    snprintf(b->asset, sizeof b->asset, "USDT");
    b->balance = b->cross_wallet_balance = b->available_balance = b->max_withdraw = m->balance;
    a->hedge_mode = m->hedge_mode;
    LIST(a->trades, a->n_trades, m->n_fills, ex_fill);
    for (size_t i = 0; i < m->n_fills; i++)
        if (m->fills[i].time >= spec->since_ms && wanted(spec, m->fills[i].symbol))
            a->trades[a->n_trades++] = m->fills[i];
    LIST(a->income, a->n_income, m->n_income, ex_income);
    for (size_t i = 0; i < m->n_income; i++)
        if (m->income[i].time >= spec->since_ms) a->income[a->n_income++] = m->income[i];
}

static void mx_configure(exchange *ex, const ex_setup *setups, size_t n, int64_t deadline_ms,
                         ex_result *out) {
    (void)deadline_ms;
    mem_exchange *m = of(ex);
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        m->writes++;
        mx_fault *f = take_fault(m, MX_CONFIGURE);
        if (f && !(f->landed && (f->status == EX_UNKNOWN || f->status == EX_TIMEOUT))) {
            fail(&out[i], f);
            continue;
        }
        const ex_setup *s = &setups[i];
        mx_symbol *sy = s->what == EX_SET_POSITION_MODE ? NULL : mx_find(m, s->symbol);
        if (s->what != EX_SET_POSITION_MODE && !sy) {
            ex_result_fail(&out[i], EX_INVALID_SYMBOL, 400, -1121, "Invalid symbol.");
            continue;
        }
        if (sy && sy->locked && s->what == EX_SET_MARGIN_TYPE) {
            ex_result_fail(&out[i], EX_REJECTED, 400, -4048,
                           "Margin type cannot be changed if there exists position.");
            continue;
        }
        switch (s->what) {
        case EX_SET_POSITION_MODE: m->hedge_mode = s->hedge_mode; break;
        case EX_SET_MARGIN_TYPE: sy->margin = s->margin_type; break;
        case EX_SET_LEVERAGE: sy->leverage = s->leverage; break;
        }
        if (f) fail(&out[i], f);
    }
}

static ex_status mx_place_order(exchange *ex, const ex_order_request *req, int64_t deadline_ms,
                                ex_order *out, ex_error *e, dstr *err) {
    (void)deadline_ms;
    mem_exchange *m = of(ex);
    m->writes++;
    memset(out, 0, sizeof *out);
    ex_result r = {0};
    mx_fault *f = take_fault(m, MX_PLACE_ORDER);
    ex_status st;
    if (f && !(f->landed && (f->status == EX_UNKNOWN || f->status == EX_TIMEOUT))) {
        fail(&r, f);
        st = f->status;
    } else {
        st = apply_order(m, req, out, &r);
        if (f && st == EX_OK) {
            memset(out, 0, sizeof *out);
            fail(&r, f);
            st = f->status;
        }
    }
    if (e) *e = r.e;
    if (st && err) dstr_puts(err, dstr_cstr(&r.why));
    ex_result_free(&r);
    return st;
}

/* One batch (counted): each element as ex_place_order would answer it. */
static void mx_place_orders(exchange *ex, const ex_order_request *reqs, size_t n,
                            int64_t deadline_ms, ex_placed *out) {
    of(ex)->order_batches++;
    ex_place_orders_each(ex, reqs, n, deadline_ms, out);
}

static ex_status apply_algo(mem_exchange *m, const ex_algo_request *rq, ex_algo_order *out,
                            ex_result *r) {
    mx_symbol *s = mx_find(m, rq->symbol);
    if (!s) {
        ex_result_fail(r, EX_INVALID_SYMBOL, 400, -1121, "Invalid symbol.");
        return EX_INVALID_SYMBOL;
    }
    if (open_client_id(m, rq->client_id)) {
        ex_result_fail(r, EX_REJECTED, 400, -4116, "ClientOrderId is duplicated.");
        return EX_REJECTED;
    }
    double trig = strtod(rq->trigger_price, NULL);
    int sell = rq->side == EX_SELL, stop = rq->type == EX_STOP_MARKET;
    int now = stop ? (sell ? s->mark <= trig : s->mark >= trig)
                   : (sell ? s->mark >= trig : s->mark <= trig);
    if (now) {
        ex_result_fail(r, EX_REJECTED, 400, -2021, "Order would immediately trigger.");
        return EX_REJECTED;
    }
    if (m->n_algos >= MX_MAX_ORDERS) abort();
    ex_algo_order *a = &m->algos[m->n_algos++];
    memset(a, 0, sizeof *a);
    snprintf(a->symbol, sizeof a->symbol, "%s", rq->symbol);
    snprintf(a->client_id, sizeof a->client_id, "%s", rq->client_id);
    snprintf(a->type, sizeof a->type, "%s", ex_algo_type_name(rq->type));
    snprintf(a->quantity_str, sizeof a->quantity_str, "%s", rq->quantity);
    a->algo_id = ++m->next_id;
    a->side = rq->side;
    a->reduce_only = rq->reduce_only;
    a->trigger_price = trig;
    a->quantity = strtod(rq->quantity, NULL);
    a->mark_price = !rq->contract_price;
    a->create_time = a->update_time = m->now_ms;
    ex_algo_set_status(a, EX_ALGO_NEW);
    *out = *a;
    return EX_OK;
}

static void mx_place_algo_orders(exchange *ex, const ex_algo_request *reqs, size_t n,
                                 int64_t deadline_ms, ex_algo_placed *out) {
    (void)deadline_ms;
    mem_exchange *m = of(ex);
    m->algo_batches++;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        m->writes++;
        mx_fault *f = take_fault(m, reqs[i].type == EX_STOP_MARKET ? MX_PLACE_STOP : MX_PLACE_TP);
        if (f && !(f->landed && (f->status == EX_UNKNOWN || f->status == EX_TIMEOUT))) {
            fail(&out[i].r, f);
            continue;
        }
        ex_status st = apply_algo(m, &reqs[i], &out[i].algo, &out[i].r);
        if (f && st == EX_OK) {
            memset(&out[i].algo, 0, sizeof out[i].algo);
            fail(&out[i].r, f);
        }
    }
}

static int lookup(mem_exchange *m, const ex_order_ref *ref, ex_lookup *out, int cancel) {
    if (ref->algo) {
        for (size_t k = m->n_algos; k-- > 0;) {
            ex_algo_order *a = &m->algos[k];
            if (strcmp(a->client_id, ref->client_id) || strcmp(a->symbol, ref->symbol)) continue;
            if (cancel) {
                if (a->status != EX_ALGO_NEW) break;
                ex_algo_set_status(a, EX_ALGO_CANCELED);
            }
            out->algo = *a;
            return 1;
        }
    } else {
        for (size_t k = m->n_orders; k-- > 0;) {
            ex_order *o = &m->orders[k];
            if (strcmp(o->client_id, ref->client_id) || strcmp(o->symbol, ref->symbol)) continue;
            if (cancel) {
                if (o->status != EX_ORDER_NEW) break;
                ex_order_set_status(o, EX_ORDER_CANCELED);
            }
            out->order = *o;
            return 1;
        }
    }
    return 0;
}

static void refs_op(exchange *ex, const ex_order_ref *refs, size_t n, ex_lookup *out, int cancel) {
    mem_exchange *m = of(ex);
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        if (cancel) m->writes++;
        mx_fault *f = take_fault(m, cancel ? MX_CANCEL : MX_QUERY);
        int landed = f && f->landed && (f->status == EX_UNKNOWN || f->status == EX_TIMEOUT);
        if (f && !landed) {
            fail(&out[i].r, f);
            continue;
        }
        if (!lookup(m, &refs[i], &out[i], cancel))
            ex_result_fail(&out[i].r, EX_NOT_FOUND, 400, cancel ? -2011 : -2013,
                           cancel ? "Unknown order sent." : "Order does not exist.");
        else if (f) fail(&out[i].r, f);
    }
}

static void mx_query(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                     ex_lookup *out) {
    (void)deadline_ms;
    refs_op(ex, refs, n, out, 0);
}

static void mx_cancel(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                      ex_lookup *out) {
    (void)deadline_ms;
    refs_op(ex, refs, n, out, 1);
}

static const exchange_ops mx_ops = {.name = "mem",
                                    .snapshots = mx_snapshots,
                                    .read = mx_read,
                                    .configure = mx_configure,
                                    .place_order = mx_place_order,
                                    .place_orders = mx_place_orders,
                                    .place_algo_orders = mx_place_algo_orders,
                                    .query = mx_query,
                                    .cancel = mx_cancel};

/* ---- set-up and inspection --------------------------------------------------------------- */

void mx_init(mem_exchange *m) {
    memset(m, 0, sizeof *m);
    m->ex = (exchange){.ops = &mx_ops, .impl = m};
    m->balance = 10000;
    m->now_ms = 1700000000000LL;
    m->next_id = 1000;
}

mx_symbol *mx_add_symbol(mem_exchange *m, const char *symbol, double mark) {
    if (m->n_sym >= MX_MAX_SYMBOLS) abort();
    mx_symbol *s = &m->sym[m->n_sym++];
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    s->mark = mark;
    s->leverage = 5;
    s->margin = EX_ISOLATED;
    symbol_rules *r = &s->rules;
    snprintf(r->symbol, sizeof r->symbol, "%s", symbol);
    snprintf(r->status, sizeof r->status, "TRADING");
    r->tick = (step_rule){.step = 0.1, .decimals = 1};
    r->lot = (qty_rule){.step = {.step = 0.001, .decimals = 3}, .min_qty = 0.001, .max_qty = 1000};
    r->market_lot = r->lot;
    r->min_notional = 5;
    return s;
}

void mx_manual_position(mem_exchange *m, const char *symbol, double amount, double entry) {
    mx_symbol *s = mx_find(m, symbol);
    if (!s) abort();
    s->amount = amount;
    s->entry = entry;
}

ex_order *mx_manual_order(mem_exchange *m, const char *symbol, const char *client_id, ex_side side,
                          double qty, double price) {
    ex_order *o = new_order(m);
    snprintf(o->symbol, sizeof o->symbol, "%s", symbol);
    snprintf(o->client_id, sizeof o->client_id, "%s", client_id);
    snprintf(o->type, sizeof o->type, "LIMIT");
    o->side = side;
    o->orig_qty = qty;
    o->price = price;
    ex_order_set_status(o, EX_ORDER_NEW);
    return o;
}

size_t mx_open_algos(const mem_exchange *m, const char *symbol, ex_algo_type type) {
    size_t n = 0;
    for (size_t i = 0; i < m->n_algos; i++)
        n += m->algos[i].status == EX_ALGO_NEW && strcmp(m->algos[i].symbol, symbol) == 0 &&
             strcmp(m->algos[i].type, ex_algo_type_name(type)) == 0;
    return n;
}

size_t mx_open_orders(const mem_exchange *m, const char *symbol) {
    size_t n = 0;
    for (size_t i = 0; i < m->n_orders; i++)
        n += m->orders[i].status == EX_ORDER_NEW && strcmp(m->orders[i].symbol, symbol) == 0;
    return n;
}

const ex_algo_order *mx_algo(const mem_exchange *m, const char *client_id) {
    for (size_t k = m->n_algos; k-- > 0;)
        if (strcmp(m->algos[k].client_id, client_id) == 0) return &m->algos[k];
    return NULL;
}

const ex_order *mx_order(const mem_exchange *m, const char *client_id) {
    for (size_t k = m->n_orders; k-- > 0;)
        if (strcmp(m->orders[k].client_id, client_id) == 0) return &m->orders[k];
    return NULL;
}

void mx_funding(mem_exchange *m, const char *symbol, double amount) {
    if (m->n_income >= MX_MAX_FILLS) abort();
    ex_income *in = &m->income[m->n_income++];
    memset(in, 0, sizeof *in);
    snprintf(in->symbol, sizeof in->symbol, "%s", symbol);
    snprintf(in->type, sizeof in->type, "FUNDING_FEE");
    snprintf(in->asset, sizeof in->asset, "USDT");
    in->amount = amount;
    in->time = m->now_ms++;
    in->tran_id = ++m->next_id;
    m->balance += amount;
}
