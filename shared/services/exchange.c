/* exchange: dispatch through the table, and the shared names (see exchange.h). */
#include "services/exchange.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ex_snapshots(exchange *ex, const char *const *symbols, size_t n, const ex_snapshot_spec *spec,
                  int64_t now_ms, int64_t deadline_ms, ex_snapshot *out) {
    ex->ops->snapshots(ex, symbols, n, spec, now_ms, deadline_ms, out);
}

ex_status ex_candles(exchange *ex, const char *symbol, const char *interval, int limit,
                     int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e, dstr *err) {
    return ex->ops->candles(ex, symbol, interval, limit, now_ms, deadline_ms, out, e, err);
}

ex_status ex_orderbook(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                       order_book *out, ex_error *e, dstr *err) {
    return ex->ops->orderbook(ex, symbol, limit, deadline_ms, out, e, err);
}

void ex_close(exchange *ex) {
    if (ex) ex->ops->close(ex);
}

/* ---- trading ------------------------------------------------------------------- */

static const char no_account[] = "this exchange has no account calls";

void ex_result_fail(ex_result *r, ex_status st, long http_status, long code, const char *fmt, ...) {
    r->status = st;
    r->e = (ex_error){.status = st, .http_status = http_status, .code = code};
    dstr_clear(&r->why);
    va_list ap;
    va_start(ap, fmt);
    dstr_vprintf(&r->why, fmt, ap);
    va_end(ap);
}

static void no_account_part(ex_part *p, int asked) {
    p->asked = asked;
    if (asked) ex_result_fail(&p->r, EX_UNAVAILABLE, 0, 0, "%s", no_account);
}

void ex_read(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
             ex_snapshot *snaps, ex_account *acct) {
    if (ex->ops->read) {
        ex->ops->read(ex, spec, now_ms, deadline_ms, snaps, acct);
        acct->read_ms = now_ms;
        return;
    }
    if (spec->market)
        ex_snapshots(ex, spec->symbols, spec->n_symbols, spec->market, now_ms, deadline_ms, snaps);
    memset(acct, 0, sizeof *acct);
    unsigned p = spec->parts;
    no_account_part(&acct->positions_part, !!(p & EX_READ_POSITIONS));
    no_account_part(&acct->orders_part, !!(p & EX_READ_OPEN_ORDERS));
    no_account_part(&acct->algo_orders_part, !!(p & EX_READ_OPEN_ALGO_ORDERS));
    no_account_part(&acct->balances_part, !!(p & EX_READ_BALANCES));
    no_account_part(&acct->position_mode_part, !!(p & EX_READ_POSITION_MODE));
    no_account_part(&acct->configs_part, !!(p & EX_READ_SYMBOL_CONFIGS));
    no_account_part(&acct->rules_part, !!(p & EX_READ_RULES));
    no_account_part(&acct->trades_part, !!(p & EX_READ_TRADES));
    no_account_part(&acct->income_part, !!(p & EX_READ_INCOME));
    no_account_part(&acct->funding_part, !!(p & EX_READ_FUNDING));
    acct->read_ms = now_ms;
}

void ex_configure(exchange *ex, const ex_setup *setups, size_t n, int64_t deadline_ms,
                  ex_result *out) {
    if (ex->ops->configure) {
        ex->ops->configure(ex, setups, n, deadline_ms, out);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        ex_result_fail(&out[i], EX_UNAVAILABLE, 0, 0, "%s", no_account);
    }
}

ex_status ex_place_order(exchange *ex, const ex_order_request *req, int64_t deadline_ms,
                         ex_order *out, ex_error *e, dstr *err) {
    if (ex->ops->place_order) return ex->ops->place_order(ex, req, deadline_ms, out, e, err);
    memset(out, 0, sizeof *out);
    if (e) *e = (ex_error){.status = EX_UNAVAILABLE};
    dstr_error_line(err, "%s", no_account);
    return EX_UNAVAILABLE;
}

void ex_place_orders_each(exchange *ex, const ex_order_request *reqs, size_t n, int64_t deadline_ms,
                          ex_placed *out) {
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        dstr err = {0};
        ex_status st = ex_place_order(ex, &reqs[i], deadline_ms, &out[i].order, &out[i].r.e, &err);
        if (st)
            ex_result_fail(&out[i].r, st, out[i].r.e.http_status, out[i].r.e.code, "%s",
                           dstr_cstr(&err));
        dstr_free(&err);
    }
}

void ex_place_orders(exchange *ex, const ex_order_request *reqs, size_t n, int64_t deadline_ms,
                     ex_placed *out) {
    if (ex->ops->place_orders) ex->ops->place_orders(ex, reqs, n, deadline_ms, out);
    else ex_place_orders_each(ex, reqs, n, deadline_ms, out); /* a table without a batch */
}

void ex_place_algo_orders(exchange *ex, const ex_algo_request *reqs, size_t n, int64_t deadline_ms,
                          ex_algo_placed *out) {
    if (ex->ops->place_algo_orders) {
        ex->ops->place_algo_orders(ex, reqs, n, deadline_ms, out);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        ex_result_fail(&out[i].r, EX_UNAVAILABLE, 0, 0, "%s", no_account);
    }
}

static void no_lookups(size_t n, ex_lookup *out) {
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        ex_result_fail(&out[i].r, EX_UNAVAILABLE, 0, 0, "%s", no_account);
    }
}

void ex_query(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
              ex_lookup *out) {
    if (ex->ops->query) ex->ops->query(ex, refs, n, deadline_ms, out);
    else no_lookups(n, out);
}

void ex_cancel(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
               ex_lookup *out) {
    if (ex->ops->cancel) ex->ops->cancel(ex, refs, n, deadline_ms, out);
    else no_lookups(n, out);
}

void ex_result_free(ex_result *r) {
    dstr_free(&r->why);
    memset(r, 0, sizeof *r);
}

void ex_account_free(ex_account *a) {
    ex_part *parts[] = {&a->positions_part, &a->orders_part,        &a->algo_orders_part,
                        &a->balances_part,  &a->position_mode_part, &a->configs_part,
                        &a->rules_part,     &a->trades_part,        &a->income_part,
                        &a->funding_part};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) ex_result_free(&parts[i]->r);
    free(a->positions);
    free(a->orders);
    free(a->algo_orders);
    free(a->balances);
    free(a->configs);
    free(a->rules);
    free(a->trades);
    free(a->income);
    free(a->funding);
    memset(a, 0, sizeof *a);
}

void ex_algo_placed_free(ex_algo_placed *p) { ex_result_free(&p->r); }
void ex_placed_free(ex_placed *p) { ex_result_free(&p->r); }
void ex_lookup_free(ex_lookup *l) { ex_result_free(&l->r); }

const symbol_rules *ex_account_rules(const ex_account *a, const char *symbol) {
    for (size_t i = 0; i < a->n_rules; i++)
        if (strcmp(a->rules[i].symbol, symbol) == 0) return &a->rules[i];
    return NULL;
}

const ex_symbol_config *ex_account_config(const ex_account *a, const char *symbol) {
    for (size_t i = 0; i < a->n_configs; i++)
        if (strcmp(a->configs[i].symbol, symbol) == 0) return &a->configs[i];
    return NULL;
}

const ex_position *ex_account_position(const ex_account *a, const char *symbol) {
    for (size_t i = 0; i < a->n_positions; i++)
        if (strcmp(a->positions[i].symbol, symbol) == 0) return &a->positions[i];
    return NULL;
}

int ex_valid_client_id(const char *id) {
    size_t n = 0;
    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == ':' || c == '/' || c == '_' || c == '-';
        if (!ok || n >= 36) return 0;
    }
    return n > 0;
}

const char *ex_side_name(ex_side s) { return s == EX_SELL ? "SELL" : "BUY"; }

const char *ex_algo_type_name(ex_algo_type t) {
    return t == EX_TAKE_PROFIT_MARKET ? "TAKE_PROFIT_MARKET" : "STOP_MARKET";
}

const char *ex_margin_type_name(ex_margin_type t) {
    return t == EX_ISOLATED ? "ISOLATED" : "CROSSED";
}

const char *ex_order_status_name(ex_order_status s) {
    static const char *const names[] = {"NEW",      "PARTIALLY_FILLED", "FILLED",
                                        "CANCELED", "REJECTED",         "EXPIRED"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "OTHER";
}

const char *ex_algo_status_name(ex_algo_status s) {
    static const char *const names[] = {"NEW",      "TRIGGERING", "TRIGGERED", "FINISHED",
                                        "CANCELED", "REJECTED",   "EXPIRED"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "OTHER";
}

void ex_order_set_status(ex_order *o, ex_order_status s) {
    o->status = s;
    snprintf(o->status_name, sizeof o->status_name, "%s", ex_order_status_name(s));
}

void ex_algo_set_status(ex_algo_order *a, ex_algo_status s) {
    a->status = s;
    snprintf(a->status_name, sizeof a->status_name, "%s", ex_algo_status_name(s));
}

void ex_snapshot_free(ex_snapshot *s) {
    if (s->status == EX_OK) snapshot_free(&s->snap);
    dstr_free(&s->why);
}

const char *ex_status_name(ex_status s) {
    static const char *const names[] = {
        "ok",          "invalid_symbol", "rejected", "rate_limited",    "banned",
        "unavailable", "bad_response",   "timeout",  "outcome_unknown", "not_found"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "unknown";
}
