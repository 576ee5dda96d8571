/* binance_exchange: Binance behind the exchange table (see binance_exchange.h). */
#include "services/binance_exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/config.h"

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

static const char no_http[] = "the HTTP client could not start";

static ex_status unavailable(ex_error *e, dstr *err) {
    if (e) *e = (ex_error){.status = EX_UNAVAILABLE};
    dstr_error_line(err, "%s", no_http);
    return EX_UNAVAILABLE;
}

static void snapshots(exchange *ex, const char *const *symbols, size_t n,
                      const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                      ex_snapshot *out) {
    const bn_client *bn = ex->impl;
    http_request *reqs = calloc(n * BN_SNAPSHOT_REQS + 1, sizeof *reqs);
    http_request **batch = calloc(n * BN_SNAPSHOT_REQS + 1, sizeof *batch);
    char *asked = calloc(n + 1, 1);
    if (!reqs || !batch || !asked) abort();
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        if (!bn->http) {
            out[i].status = EX_UNAVAILABLE;
            dstr_printf(&out[i].why, "market data: %s", no_http);
        } else if (!cfg_valid_symbol(symbols[i])) {
            out[i].status = EX_INVALID_SYMBOL;
            dstr_puts(&out[i].why, "symbol must be 2-20 uppercase letters or digits");
        } else {
            asked[i] = 1;
            bn_snapshot_prepare(bn, symbols[i], spec, reqs + i * BN_SNAPSHOT_REQS);
            for (int k = 0; k < BN_SNAPSHOT_REQS; k++)
                batch[nb++] = &reqs[i * BN_SNAPSHOT_REQS + k];
        }
    }
    if (nb) http_run(bn->http, batch, nb, deadline_ms);
    for (size_t i = 0; i < n; i++) {
        if (!asked[i]) continue;
        http_request *r = reqs + i * BN_SNAPSHOT_REQS;
        out[i].status =
            bn_snapshot_assemble(r, symbols[i], spec, now_ms, &out[i].snap, &out[i].why);
        for (int k = 0; k < BN_SNAPSHOT_REQS; k++) http_request_free(&r[k]);
    }
    free(asked);
    free(batch);
    free(reqs);
}

static ex_status closed_candles(exchange *ex, const char *symbol, const char *interval, int limit,
                                int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e,
                                dstr *err) {
    const bn_client *bn = ex->impl;
    if (!bn->http) {
        *out = (candles){0};
        return unavailable(e, err);
    }
    return bn_closed_klines(bn, symbol, interval, limit, now_ms, deadline_ms, out, e, err);
}

static ex_status orderbook(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                           order_book *out, ex_error *e, dstr *err) {
    const bn_client *bn = ex->impl;
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

/* The table and the client live in one allocation. */
typedef struct bn_exchange {
    exchange ex;
    bn_client bn;
} bn_exchange;

static void close_exchange(exchange *ex) { free(ex); }

static const exchange_ops binance_ops = {.name = "binance",
                                         .snapshots = snapshots,
                                         .candles = closed_candles,
                                         .orderbook = orderbook,
                                         .close = close_exchange};

exchange *binance_exchange_new(http_client *http, const bn_config *c) {
    bn_exchange *b = calloc(1, sizeof *b);
    if (!b) abort();
    bn_client_init(&b->bn, http, c);
    b->ex.ops = &binance_ops;
    b->ex.impl = &b->bn;
    return &b->ex;
}
