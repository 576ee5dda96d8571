/* ro_exchange: an in-memory exchange for pipeline tests (see ro_exchange.h). */
#include "ro_exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stddef.h>

_Static_assert(offsetof(ex_position, symbol) == 0 && offsetof(ex_order, symbol) == 0 &&
                   offsetof(ex_algo_order, symbol) == 0 && offsetof(ex_symbol_config, symbol) == 0,
               "copy_list finds each element's symbol at its start");

static ro_exchange *me(exchange *ex) { return ex->impl; }

int ro_exchange_part_index(unsigned part_bit) {
    for (int k = 0; k < RO_EX_PARTS; k++)
        if (part_bit == 1u << k) return k;
    abort(); /* not one EX_READ_* bit: a broken test */
}

static int asked_symbol(const ex_read_spec *spec, const char *symbol) {
    if (!spec->n_symbols) return 1;
    for (size_t i = 0; i < spec->n_symbols; i++)
        if (strcmp(spec->symbols[i], symbol) == 0) return 1;
    return 0;
}

/* Copies the n elements of src (size each) whose symbol (at offset 0 of
 * every ex_* type that has one) was asked. */
static void *copy_list(const void *src, size_t n, size_t size, const ex_read_spec *spec,
                       int per_symbol, size_t *n_out) {
    char *out = calloc(n ? n : 1, size);
    if (!out) abort();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *el = (const char *)src + i * size;
        if (per_symbol && !asked_symbol(spec, el)) continue;
        memcpy(out + k++ * size, el, size);
    }
    *n_out = k;
    return out;
}

/* Answers one part: its list (returns 1) or its scripted failure (0). */
static int answer_part(ro_exchange *m, ex_part *p, unsigned bit, const ex_read_spec *spec) {
    p->asked = !!(spec->parts & bit);
    if (!p->asked) return 0;
    int k = ro_exchange_part_index(bit);
    if (m->fail[k] == EX_OK) return 1;
    ex_result_fail(&p->r, m->fail[k], m->fail_code[k] ? 400 : 0, m->fail_code[k], "%s",
                   m->fail_why[k] ? m->fail_why[k] : "ro_exchange: scripted failure");
    return 0;
}

static void read_all(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
                     ex_snapshot *snaps, ex_account *a) {
    ro_exchange *m = me(ex);
    m->reads++;
    m->last_parts = spec->parts;
    m->last_n_symbols = spec->n_symbols;
    for (size_t i = 0; i < spec->n_symbols && i < RO_EX_SYMBOLS_MAX; i++)
        snprintf(m->last_symbols[i], EX_SYMBOL_LEN, "%s", spec->symbols[i]);
    m->last_now_ms = now_ms;
    m->last_deadline_ms = deadline_ms;
    for (size_t i = 0; spec->market && i < spec->n_symbols; i++) {
        memset(&snaps[i], 0, sizeof snaps[i]);
        snaps[i].status = EX_UNAVAILABLE;
        dstr_puts(&snaps[i].why, "ro_exchange: no market data");
    }
    memset(a, 0, sizeof *a);
    if (answer_part(m, &a->positions_part, EX_READ_POSITIONS, spec))
        a->positions =
            copy_list(m->positions, m->n_positions, sizeof *m->positions, spec, 0, &a->n_positions);
    if (answer_part(m, &a->orders_part, EX_READ_OPEN_ORDERS, spec))
        a->orders = copy_list(m->orders, m->n_orders, sizeof *m->orders, spec, 1, &a->n_orders);
    if (answer_part(m, &a->algo_orders_part, EX_READ_OPEN_ALGO_ORDERS, spec))
        a->algo_orders = copy_list(m->algo_orders, m->n_algo_orders, sizeof *m->algo_orders, spec,
                                   1, &a->n_algo_orders);
    if (answer_part(m, &a->balances_part, EX_READ_BALANCES, spec))
        a->balances =
            copy_list(m->balances, m->n_balances, sizeof *m->balances, spec, 0, &a->n_balances);
    if (answer_part(m, &a->position_mode_part, EX_READ_POSITION_MODE, spec))
        a->hedge_mode = m->hedge_mode;
    if (answer_part(m, &a->configs_part, EX_READ_SYMBOL_CONFIGS, spec))
        a->configs =
            copy_list(m->configs, m->n_configs, sizeof *m->configs, spec, 1, &a->n_configs);
    /* rules, trades and income: asked parts answer empty lists */
    answer_part(m, &a->rules_part, EX_READ_RULES, spec);
    answer_part(m, &a->trades_part, EX_READ_TRADES, spec);
    answer_part(m, &a->income_part, EX_READ_INCOME, spec);
}

static void snapshots(exchange *ex, const char *const *symbols, size_t n,
                      const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                      ex_snapshot *out) {
    (void)symbols, (void)spec, (void)now_ms, (void)deadline_ms;
    me(ex)->market_calls++;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].status = EX_UNAVAILABLE;
        dstr_puts(&out[i].why, "ro_exchange: no market data");
    }
}

static ex_status candles_fn(exchange *ex, const char *symbol, const char *interval, int limit,
                            int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e,
                            dstr *err) {
    (void)symbol, (void)interval, (void)limit, (void)now_ms, (void)deadline_ms, (void)out;
    me(ex)->market_calls++;
    if (e) *e = (ex_error){.status = EX_UNAVAILABLE};
    dstr_error_line(err, "ro_exchange: no market data");
    return EX_UNAVAILABLE;
}

static ex_status orderbook_fn(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                              order_book *out, ex_error *e, dstr *err) {
    (void)symbol, (void)limit, (void)deadline_ms, (void)out;
    me(ex)->market_calls++;
    if (e) *e = (ex_error){.status = EX_UNAVAILABLE};
    dstr_error_line(err, "ro_exchange: no market data");
    return EX_UNAVAILABLE;
}

static void refuse(ex_result *r) {
    memset(r, 0, sizeof *r);
    ex_result_fail(r, EX_REJECTED, 400, -1, "ro_exchange: writes are not modelled");
}

static void configure(exchange *ex, const ex_setup *setups, size_t n, int64_t deadline_ms,
                      ex_result *out) {
    (void)setups, (void)deadline_ms;
    me(ex)->writes++;
    for (size_t i = 0; i < n; i++) refuse(&out[i]);
}

static ex_status place_order(exchange *ex, const ex_order_request *req, int64_t deadline_ms,
                             ex_order *out, ex_error *e, dstr *err) {
    (void)req, (void)deadline_ms, (void)out;
    me(ex)->writes++;
    if (e) *e = (ex_error){.status = EX_REJECTED, .http_status = 400, .code = -1};
    dstr_error_line(err, "ro_exchange: writes are not modelled");
    return EX_REJECTED;
}

static void place_algo_orders(exchange *ex, const ex_algo_request *reqs, size_t n,
                              int64_t deadline_ms, ex_algo_placed *out) {
    (void)reqs, (void)deadline_ms;
    me(ex)->writes++;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        refuse(&out[i].r);
    }
}

static void lookups(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                    ex_lookup *out) {
    (void)refs, (void)deadline_ms;
    me(ex)->writes++; /* a query is a read, but no test of a read-only pipeline expects one */
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        refuse(&out[i].r);
    }
}

static void close_fn(exchange *ex) { (void)ex; }

static const exchange_ops mem_ops = {.name = "memory",
                                     .snapshots = snapshots,
                                     .candles = candles_fn,
                                     .orderbook = orderbook_fn,
                                     .close = close_fn,
                                     .read = read_all,
                                     .configure = configure,
                                     .place_order = place_order,
                                     .place_algo_orders = place_algo_orders,
                                     .query = lookups,
                                     .cancel = lookups};

void ro_exchange_init(ro_exchange *m) {
    memset(m, 0, sizeof *m);
    m->ex.ops = &mem_ops;
    m->ex.impl = m;
}
