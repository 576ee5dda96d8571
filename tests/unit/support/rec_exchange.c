/* rec_exchange: a recorder in front of an exchange table (see rec_exchange.h). */
#include "rec_exchange.h"

#include <string.h>

static rec_exchange *me(exchange *ex) { return ex->impl; }

static void outcome(dstr *log, ex_status st, long code) {
    dstr_printf(log, " -> %s", ex_status_name(st));
    if (st != EX_OK && code) dstr_printf(log, " %ld", code);
}

static void rec_snapshots(exchange *ex, const char *const *symbols, size_t n,
                          const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                          ex_snapshot *out) {
    ex_snapshots(me(ex)->inner, symbols, n, spec, now_ms, deadline_ms, out);
}

static ex_status rec_candles(exchange *ex, const char *symbol, const char *interval, int limit,
                             int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e,
                             dstr *err) {
    return ex_candles(me(ex)->inner, symbol, interval, limit, now_ms, deadline_ms, out, e, err);
}

static ex_status rec_orderbook(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                               order_book *out, ex_error *e, dstr *err) {
    return ex_orderbook(me(ex)->inner, symbol, limit, deadline_ms, out, e, err);
}

static void rec_close(exchange *ex) { (void)ex; }

static void rec_read(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
                     ex_snapshot *snaps, ex_account *acct) {
    ex_read(me(ex)->inner, spec, now_ms, deadline_ms, snaps, acct);
}

static void rec_configure(exchange *ex, const ex_setup *setups, size_t n, int64_t deadline_ms,
                          ex_result *out) {
    rec_exchange *r = me(ex);
    ex_configure(r->inner, setups, n, deadline_ms, out);
    for (size_t i = 0; i < n; i++) {
        const ex_setup *u = &setups[i];
        if (u->what == EX_SET_POSITION_MODE)
            dstr_printf(&r->log, "SETUP position_mode - %s", u->hedge_mode ? "hedge" : "one_way");
        else if (u->what == EX_SET_MARGIN_TYPE)
            dstr_printf(&r->log, "SETUP margin_type %s %s", u->symbol,
                        ex_margin_type_name(u->margin_type));
        else dstr_printf(&r->log, "SETUP leverage %s %d", u->symbol, u->leverage);
        outcome(&r->log, out[i].status, out[i].e.code);
        dstr_putc(&r->log, '\n');
    }
}

static void order_line(dstr *log, const ex_order_request *q, const ex_result *res,
                       const ex_order *o) {
    dstr_printf(log, "ORDER %s %s %s qty=%s price=%s tif=%s reduce=%d id=%s", q->symbol,
                ex_side_name(q->side), q->type == EX_MARKET ? "MARKET" : "LIMIT", q->quantity,
                q->price, q->time_in_force, q->reduce_only, q->client_id);
    outcome(log, res->status, res->e.code);
    if (res->status == EX_OK)
        dstr_printf(log, " %s executed=%.10g avg=%.10g", o->status_name, o->executed_qty,
                    o->avg_price);
    dstr_putc(log, '\n');
}

static ex_status rec_place_order(exchange *ex, const ex_order_request *req, int64_t deadline_ms,
                                 ex_order *out, ex_error *e, dstr *err) {
    rec_exchange *r = me(ex);
    ex_error mine = {0};
    ex_status st = ex_place_order(r->inner, req, deadline_ms, out, &mine, err);
    if (e) *e = mine;
    ex_result res = {.status = st, .e = mine};
    order_line(&r->log, req, &res, out);
    return st;
}

static void rec_place_orders(exchange *ex, const ex_order_request *reqs, size_t n,
                             int64_t deadline_ms, ex_placed *out) {
    rec_exchange *r = me(ex);
    ex_place_orders(r->inner, reqs, n, deadline_ms, out);
    for (size_t i = 0; i < n; i++) order_line(&r->log, &reqs[i], &out[i].r, &out[i].order);
}

static void rec_place_algo_orders(exchange *ex, const ex_algo_request *reqs, size_t n,
                                  int64_t deadline_ms, ex_algo_placed *out) {
    rec_exchange *r = me(ex);
    ex_place_algo_orders(r->inner, reqs, n, deadline_ms, out);
    for (size_t i = 0; i < n; i++) {
        const ex_algo_request *q = &reqs[i];
        dstr_printf(&r->log, "ALGO %s %s %s trigger=%s qty=%s reduce=%d id=%s", q->symbol,
                    ex_side_name(q->side), ex_algo_type_name(q->type), q->trigger_price,
                    q->quantity, q->reduce_only, q->client_id);
        outcome(&r->log, out[i].r.status, out[i].r.e.code);
        if (out[i].r.status == EX_OK) dstr_printf(&r->log, " %s", out[i].algo.status_name);
        dstr_putc(&r->log, '\n');
    }
}

static void lookups(rec_exchange *r, const char *what, const ex_order_ref *refs, size_t n,
                    const ex_lookup *out) {
    for (size_t i = 0; i < n; i++) {
        dstr_printf(&r->log, "%s %s algo=%d id=%s", what, refs[i].symbol, refs[i].algo,
                    refs[i].client_id);
        outcome(&r->log, out[i].r.status, out[i].r.e.code);
        dstr_putc(&r->log, '\n');
    }
}

static void rec_query(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                      ex_lookup *out) {
    ex_query(me(ex)->inner, refs, n, deadline_ms, out);
    lookups(me(ex), "QUERY", refs, n, out);
}

static void rec_cancel(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                       ex_lookup *out) {
    ex_cancel(me(ex)->inner, refs, n, deadline_ms, out);
    lookups(me(ex), "CANCEL", refs, n, out);
}

static const exchange_ops rec_ops = {.name = "recorder",
                                     .snapshots = rec_snapshots,
                                     .candles = rec_candles,
                                     .orderbook = rec_orderbook,
                                     .close = rec_close,
                                     .read = rec_read,
                                     .configure = rec_configure,
                                     .place_order = rec_place_order,
                                     .place_orders = rec_place_orders,
                                     .place_algo_orders = rec_place_algo_orders,
                                     .query = rec_query,
                                     .cancel = rec_cancel};

void rec_exchange_init(rec_exchange *r, exchange *inner) {
    memset(r, 0, sizeof *r);
    r->ex = (exchange){.ops = &rec_ops, .impl = r};
    r->inner = inner;
}

void rec_exchange_free(rec_exchange *r) { dstr_free(&r->log); }
