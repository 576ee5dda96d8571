/* sim_exchange: the simulated exchange (see sim_exchange.h). */
#include "services/sim_exchange.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/binance.h"
#include "services/binance_trading.h"

#define SIM_MAX_SERIES 6
#define SIM_DEFAULT_MMR 0.004
#define SIM_DEFAULT_LEVERAGE 20
#define SIM_DEFAULT_PATH_MS 300000
#define SIM_MAX_LEVERAGE 125

#define GROW(v, n, cap)                                       \
    do {                                                      \
        if ((n) == (cap)) {                                   \
            (cap) = (cap) ? 2 * (cap) : 64;                   \
            void *grown_ = realloc((v), (cap) * sizeof *(v)); \
            if (!grown_) abort();                             \
            (v) = grown_;                                     \
        }                                                     \
    } while (0)

typedef struct series {
    int64_t ms;
    candles c;
} series;

typedef struct sym {
    symbol_rules rules;
    series ser[SIM_MAX_SERIES]; /* by interval, finest first */
    size_t n_ser;
    size_t next;   /* the next path candle to walk */
    int has_price; /* the path has started: last is a price */
    double last;   /* the path's latest price */
    hist_funding *funding;
    size_t n_funding;
    double amount, entry, iso_margin; /* the one-way position */
    int leverage;
    ex_margin_type margin;
    int64_t update_ms;
    sim_symbol_report rep;
} sym;

struct sim_exchange {
    exchange ex;
    clock_src clk;
    sim_config cfg;
    sym *sym;
    size_t n_sym;
    int hedge;
    double wallet;
    ex_order *orders;
    size_t n_orders, cap_orders;
    ex_algo_order *algos;
    size_t n_algos, cap_algos;
    ex_fill *fills;
    size_t n_fills, cap_fills;
    ex_income *income;
    size_t n_income, cap_income;
    int64_t now, next_funding;
    int64_t id_ms, id_seq; /* the last id's time and its rank within that millisecond */
};

static sim_exchange *of(exchange *ex) { return ex->impl; }

static double round8(double v) { return nearbyint(v * 1e8) / 1e8; }

/* Ids are the time of what they name and its rank within that millisecond,
 * t * 1000 + rank: the same walk of the same candles from the same account
 * gives the same ids (paper runs that overlap record each fill once), and
 * runs at other moments never collide. */
static int64_t new_id(sim_exchange *s, int64_t t) {
    if (t != s->id_ms) s->id_ms = t, s->id_seq = 0;
    else s->id_seq++; /* past 999 it borrows the next ms's numbers: never seen */
    return t * SIM_IDS_PER_MS + s->id_seq;
}

static sym *find(const sim_exchange *s, const char *symbol) {
    for (size_t i = 0; i < s->n_sym; i++)
        if (strcmp(s->sym[i].rules.symbol, symbol) == 0) return &s->sym[i];
    return NULL;
}

static const series *series_of(const sym *y, int64_t ms) {
    for (size_t i = 0; i < y->n_ser; i++)
        if (y->ser[i].ms == ms) return &y->ser[i];
    return NULL;
}

static const series *path_of(const sim_exchange *s, const sym *y) {
    return series_of(y, s->cfg.path_ms);
}

/* The price now: the open of the path candle forming at now, else the
 * path's latest price; NAN before the path starts. */
static double price_now(const sim_exchange *s, const sym *y) {
    const series *p = path_of(s, y);
    if (p && y->next < p->c.n && p->c.v[y->next].open_time <= s->now) return p->c.v[y->next].open;
    return y->has_price ? y->last : NAN;
}

double sim_price(const sim_exchange *s, const char *symbol) {
    const sym *y = find(s, symbol);
    return y ? price_now(s, y) : NAN;
}

/* ---- answers ------------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static ex_status refuse(ex_result *r, long code,
                                                              const char *fmt, ...) {
    ex_status st = code == -1121                    ? EX_INVALID_SYMBOL
                   : code == -2011 || code == -2013 ? EX_NOT_FOUND
                                                    : EX_REJECTED;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ex_result_fail(r, st, 400, code, "%s (code %ld)", msg, code);
    return st;
}

static ex_status no_price(ex_result *r, const sim_exchange *s, const char *symbol) {
    ex_result_fail(r, EX_UNAVAILABLE, 0, 0, "simulated exchange: no price for %s at %lld", symbol,
                   (long long)s->now);
    return EX_UNAVAILABLE;
}

/* ---- the account -------------------------------------------------------------------- */

static double upnl(const sym *y, double mark) {
    return y->amount && isfinite(mark) ? y->amount * (mark - y->entry) : 0;
}

static double mark_of(const sim_exchange *s, const sym *y) {
    double p = price_now(s, y);
    return isfinite(p) ? p : y->entry;
}

/* The margin the open non-reduce-only LIMIT orders of y hold. */
static double order_margin(const sim_exchange *s, const sym *y) {
    double m = 0;
    for (size_t i = 0; i < s->n_orders; i++) {
        const ex_order *o = &s->orders[i];
        if (o->status == EX_ORDER_NEW && !o->reduce_only && strcmp(o->symbol, y->rules.symbol) == 0)
            m += (o->orig_qty - o->executed_qty) * o->price / y->leverage;
    }
    return m;
}

static double position_margin(const sim_exchange *s, const sym *y) {
    if (!y->amount) return 0;
    return y->margin == EX_ISOLATED ? y->iso_margin : fabs(y->amount) * mark_of(s, y) / y->leverage;
}

static double available(const sim_exchange *s) {
    double a = s->wallet;
    for (size_t i = 0; i < s->n_sym; i++) {
        const sym *y = &s->sym[i];
        a -= position_margin(s, y) + order_margin(s, y);
        if (y->margin == EX_CROSSED) a += upnl(y, mark_of(s, y));
    }
    return a > 0 ? a : 0;
}

/* What backs y's position against liquidation (see the header). */
static double backing(const sim_exchange *s, const sym *y) {
    if (y->margin == EX_ISOLATED) return y->iso_margin;
    double b = s->wallet;
    for (size_t i = 0; i < s->n_sym; i++) {
        const sym *o = &s->sym[i];
        if (o == y || !o->amount) continue;
        double mark = mark_of(s, o);
        if (o->margin == EX_ISOLATED) b -= o->iso_margin;
        else b += upnl(o, mark) - fabs(o->amount) * mark * s->cfg.maint_margin_rate;
    }
    return b;
}

/* The mark at which y's backing plus its unrealised PnL is its maintenance
 * margin; 0 when there is none. */
static double liquidation_price(const sim_exchange *s, const sym *y) {
    if (!y->amount) return 0;
    double q = fabs(y->amount), b = backing(s, y), mmr = s->cfg.maint_margin_rate, p;
    if (y->amount > 0) p = (y->entry * q - b) / (q * (1 - mmr));
    else p = (y->entry * q + b) / (q * (1 + mmr));
    return p > 0 && isfinite(p) ? p : 0;
}

/* The quantity of an order on `side` that reduces y's position. */
static double reducible(const sym *y, ex_side side, double qty) {
    if (!y->amount || (y->amount > 0) == (side == EX_BUY)) return 0;
    return fmin(qty, fabs(y->amount));
}

static double snap_qty(const sym *y, double q) {
    double scale = pow(10, y->rules.lot.step.decimals);
    return nearbyint(q * scale) / scale;
}

static void add_income(sim_exchange *s, const char *symbol, const char *type, double amount,
                       int64_t t, int64_t trade_id) {
    GROW(s->income, s->n_income, s->cap_income);
    ex_income *in = &s->income[s->n_income++];
    memset(in, 0, sizeof *in);
    snprintf(in->symbol, sizeof in->symbol, "%s", symbol);
    snprintf(in->type, sizeof in->type, "%s", type);
    snprintf(in->asset, sizeof in->asset, "USDT");
    in->amount = amount;
    in->time = t;
    in->tran_id = new_id(s, t);
    if (trade_id) snprintf(in->trade_id, sizeof in->trade_id, "%lld", (long long)trade_id);
    s->wallet = round8(s->wallet + amount);
}

/* One fill of order_id on y: the position, the wallet, the fill and its
 * income (realised PnL, commission). Returns the realised PnL. */
static double book_fill(sim_exchange *s, sym *y, int64_t order_id, ex_side side, double qty,
                        double price, int maker, int64_t t) {
    double sgn = side == EX_BUY ? 1 : -1, a = y->amount, realized = 0;
    double opening = qty;
    if (a && (a > 0) != (sgn > 0)) {
        double closed = fmin(qty, fabs(a));
        realized = round8(closed * (price - y->entry) * (a > 0 ? 1 : -1));
        y->iso_margin *= (fabs(a) - closed) / fabs(a);
        y->amount = snap_qty(y, a + sgn * closed);
        opening = snap_qty(y, qty - closed);
        if (!y->amount) y->entry = 0, y->iso_margin = 0;
    }
    if (opening > 0) {
        double held = fabs(y->amount);
        y->entry = (held * y->entry + opening * price) / (held + opening);
        y->amount = snap_qty(y, y->amount + sgn * opening);
        y->iso_margin += opening * price / y->leverage;
    }
    y->update_ms = t;
    double fee = round8(qty * price * (maker ? s->cfg.fee_maker : s->cfg.fee_taker));
    GROW(s->fills, s->n_fills, s->cap_fills);
    ex_fill *f = &s->fills[s->n_fills++];
    *f = (ex_fill){.id = new_id(s, t),
                   .order_id = order_id,
                   .side = side,
                   .price = price,
                   .qty = qty,
                   .quote_qty = qty * price,
                   .realized_pnl = realized,
                   .commission = fee,
                   .maker = maker,
                   .time = t};
    snprintf(f->symbol, sizeof f->symbol, "%s", y->rules.symbol);
    snprintf(f->commission_asset, sizeof f->commission_asset, "USDT");
    int64_t id = f->id;
    if (realized != 0) add_income(s, y->rules.symbol, "REALIZED_PNL", realized, t, id);
    if (fee != 0) add_income(s, y->rules.symbol, "COMMISSION", -fee, t, id);
    return realized;
}

static ex_order *new_order(sim_exchange *s, const sym *y, ex_side side, const char *type,
                           const char *client_id, int64_t t) {
    GROW(s->orders, s->n_orders, s->cap_orders);
    ex_order *o = &s->orders[s->n_orders++];
    memset(o, 0, sizeof *o);
    snprintf(o->symbol, sizeof o->symbol, "%s", y->rules.symbol);
    snprintf(o->client_id, sizeof o->client_id, "%s", client_id ? client_id : "");
    snprintf(o->type, sizeof o->type, "%s", type);
    snprintf(o->executed_qty_str, sizeof o->executed_qty_str, "0");
    o->order_id = new_id(s, t);
    o->side = side;
    o->time = o->update_time = t;
    ex_order_set_status(o, EX_ORDER_NEW);
    return o;
}

/* Fills o (qty of it) at price: the fill booked, the order FILLED. */
static void fill_order(sim_exchange *s, sym *y, ex_order *o, double qty, double price, int maker,
                       int64_t t) {
    book_fill(s, y, o->order_id, o->side, qty, price, maker, t);
    o->executed_qty = qty;
    o->avg_price = price;
    o->cum_quote = qty * price;
    o->update_time = t;
    sr_format(qty, &y->rules.lot.step, o->executed_qty_str, sizeof o->executed_qty_str);
    ex_order_set_status(o, EX_ORDER_FILLED);
}

static double slipped(const sim_exchange *s, ex_side side, double price) {
    double k = s->cfg.slippage_bps / 10000;
    return side == EX_BUY ? price * (1 + k) : price * (1 - k);
}

/* ---- the path ----------------------------------------------------------------------- */

typedef enum ev_kind { EV_NONE, EV_LIMIT, EV_ALGO, EV_LIQUIDATION } ev_kind;

/* -1: fires when the price falls to level or below; +1: rises to it or above. */
static int algo_dir(const ex_algo_order *a) {
    int stop = strcmp(a->type, "STOP_MARKET") == 0, sell = a->side == EX_SELL;
    return stop == sell ? -1 : 1;
}

static int limit_dir(const ex_order *o) { return o->side == EX_BUY ? -1 : 1; }

typedef struct event {
    ev_kind kind;
    size_t index;
    double level;
} event;

/* The first event the move from -> to reaches, EV_NONE when none. */
static event first_event(const sim_exchange *s, const sym *y, double from, double to) {
    event best = {EV_NONE, 0, 0};
    if (from == to) return best;
    int dir = to < from ? -1 : 1;
    /* reached: the level lies between to and from (or beyond from: at once) */
#define CONSIDER(k, i, lvl, d)                                                   \
    do {                                                                         \
        double l_ = (lvl);                                                       \
        if ((d) != dir || (dir < 0 ? l_ < to : l_ > to)) break;                  \
        double at_ = dir < 0 ? fmin(l_, from) : fmax(l_, from);                  \
        double cur_ = dir < 0 ? fmin(best.level, from) : fmax(best.level, from); \
        if (best.kind == EV_NONE || (dir < 0 ? at_ > cur_ : at_ < cur_))         \
            best = (event){(k), (i), l_};                                        \
    } while (0)
    for (size_t i = 0; i < s->n_algos; i++) {
        const ex_algo_order *a = &s->algos[i];
        if (a->status == EX_ALGO_NEW && strcmp(a->symbol, y->rules.symbol) == 0)
            CONSIDER(EV_ALGO, i, a->trigger_price, algo_dir(a));
    }
    if (y->amount) {
        double liq = liquidation_price(s, y);
        if (liq > 0) CONSIDER(EV_LIQUIDATION, 0, liq, y->amount > 0 ? -1 : 1);
    }
    for (size_t i = 0; i < s->n_orders; i++) {
        const ex_order *o = &s->orders[i];
        if (o->status == EX_ORDER_NEW && strcmp(o->symbol, y->rules.symbol) == 0)
            CONSIDER(EV_LIMIT, i, o->price, limit_dir(o));
    }
#undef CONSIDER
    return best;
}

static void fire_algo(sim_exchange *s, sym *y, size_t i, double at, int64_t t) {
    ex_algo_order *a = &s->algos[i];
    a->trigger_time = a->update_time = t;
    ex_algo_set_status(a, EX_ALGO_FINISHED);
    double qty = a->reduce_only ? reducible(y, a->side, a->quantity) : a->quantity;
    double price = slipped(s, a->side, at);
    char type[EX_NAME_LEN];
    snprintf(type, sizeof type, "%s", a->type);
    ex_side side = a->side;
    int reduce = a->reduce_only;
    if (!reduce && qty * price / y->leverage > available(s)) {
        ex_algo_set_status(a, EX_ALGO_REJECTED); /* the engine's margin check at the trigger */
        return;
    }
    ex_order *o = new_order(s, y, side, type, NULL, t);
    o->reduce_only = reduce;
    o->orig_qty = qty;
    sr_format(qty, &y->rules.lot.step, o->orig_qty_str, sizeof o->orig_qty_str);
    int64_t oid = o->order_id;
    if (qty <= 0) ex_order_set_status(o, EX_ORDER_EXPIRED); /* nothing left to reduce */
    else fill_order(s, y, o, qty, price, 0, t);
    a = &s->algos[i];
    a->actual_order_id = oid;
    a->executed_qty = qty > 0 ? qty : 0;
    a->avg_price = qty > 0 ? price : 0;
}

static void fire_limit(sim_exchange *s, sym *y, size_t i, double at, int64_t t) {
    ex_order *o = &s->orders[i];
    double qty = o->orig_qty;
    if (o->reduce_only) qty = reducible(y, o->side, qty);
    if (qty <= 0) {
        o->update_time = t;
        ex_order_set_status(o, EX_ORDER_EXPIRED);
        return;
    }
    /* at its price, or at a better open after a gap */
    double price = o->side == EX_BUY ? fmin(o->price, at) : fmax(o->price, at);
    fill_order(s, y, o, qty, price, 1, t);
}

static void liquidate(sim_exchange *s, sym *y, double at, int64_t t) {
    double b = backing(s, y);
    ex_side side = y->amount > 0 ? EX_SELL : EX_BUY;
    double qty = fabs(y->amount);
    ex_order *o = new_order(s, y, side, "LIQUIDATION", NULL, t);
    o->reduce_only = 1;
    o->orig_qty = qty;
    sr_format(qty, &y->rules.lot.step, o->orig_qty_str, sizeof o->orig_qty_str);
    size_t before = s->n_fills;
    fill_order(s, y, o, qty, at, 0, t);
    const ex_fill *f = &s->fills[before];
    double clear = round8(-(b + f->realized_pnl - f->commission));
    if (clear != 0) add_income(s, y->rules.symbol, "INSURANCE_CLEAR", clear, t, 0);
    y->rep.liquidations++;
}

/* The move from -> to at time t; gap: everything reached fills at `to`. */
static void segment(sim_exchange *s, sym *y, double from, double to, int gap, int64_t t) {
    for (;;) {
        event e = first_event(s, y, from, to);
        if (e.kind == EV_NONE) return;
        double at = gap ? to : to < from ? fmin(e.level, from) : fmax(e.level, from);
        switch (e.kind) {
        case EV_ALGO: fire_algo(s, y, e.index, at, t); break;
        case EV_LIMIT: fire_limit(s, y, e.index, at, t); break;
        case EV_LIQUIDATION: liquidate(s, y, at, t); break;
        case EV_NONE: break;
        }
        if (!gap) from = at;
    }
}

/* Anything to watch on y's path (else the walk only moves the price). */
static int watched(const sim_exchange *s, const sym *y) {
    if (y->amount) return 1;
    for (size_t i = 0; i < s->n_algos; i++)
        if (s->algos[i].status == EX_ALGO_NEW && strcmp(s->algos[i].symbol, y->rules.symbol) == 0)
            return 1;
    for (size_t i = 0; i < s->n_orders; i++)
        if (s->orders[i].status == EX_ORDER_NEW &&
            strcmp(s->orders[i].symbol, y->rules.symbol) == 0)
            return 1;
    return 0;
}

/* The finer series whose candles tile k exactly (the next finer one that
 * does), and the index of its first; NULL when none. */
static const series *finer(const sym *y, const candle *k, int64_t ms, size_t *first) {
    for (size_t i = y->n_ser; i-- > 0;) {
        const series *f = &y->ser[i];
        if (f->ms >= ms || ms % f->ms) continue;
        size_t lo = 0, hi = f->c.n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (f->c.v[mid].open_time < k->open_time) lo = mid + 1;
            else hi = mid;
        }
        size_t need = (size_t)(ms / f->ms);
        if (lo + need > f->c.n) continue;
        int tiles = 1;
        for (size_t j = 0; j < need && tiles; j++)
            tiles = f->c.v[lo + j].open_time == k->open_time + (int64_t)j * f->ms;
        if (!tiles) continue;
        *first = lo;
        return f;
    }
    return NULL;
}

static void walk(sim_exchange *s, sym *y, const candle *k, int64_t ms) {
    size_t first;
    const series *f = watched(s, y) ? finer(y, k, ms, &first) : NULL;
    if (f) {
        for (size_t j = 0; j < (size_t)(ms / f->ms); j++) walk(s, y, &f->c.v[first + j], f->ms);
        return;
    }
    int64_t t = k->close_time;
    if (watched(s, y)) {
        double x1, x2;
        int low_first = y->amount > 0   ? 1
                        : y->amount < 0 ? 0
                                        : k->open - k->low <= k->high - k->open;
        x1 = low_first ? k->low : k->high;
        x2 = low_first ? k->high : k->low;
        if (y->has_price) segment(s, y, y->last, k->open, 1, t);
        segment(s, y, k->open, x1, 0, t);
        segment(s, y, x1, x2, 0, t);
        segment(s, y, x2, k->close, 0, t);
    }
    y->last = k->close;
    y->has_price = 1;
}

static const hist_funding *rate_at(const sym *y, int64_t t) {
    size_t lo = 0, hi = y->n_funding;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (y->funding[mid].time_ms < t - SIM_FUNDING_MATCH_MS) lo = mid + 1;
        else hi = mid;
    }
    if (lo < y->n_funding && llabs(y->funding[lo].time_ms - t) <= SIM_FUNDING_MATCH_MS)
        return &y->funding[lo];
    return NULL;
}

static void funding_at(sim_exchange *s, int64_t t) {
    for (size_t i = 0; i < s->n_sym; i++) {
        sym *y = &s->sym[i];
        const hist_funding *r = rate_at(y, t);
        if (!y->amount) {
            if (!r && y->rep.first_ms && t >= y->rep.first_ms && t <= y->rep.last_ms)
                y->rep.funding_missing_flat++;
            continue;
        }
        if (!r && !s->cfg.assume_funding) {
            y->rep.funding_missing_held++;
            continue;
        }
        const series *p = path_of(s, y);
        double mark = p && y->next < p->c.n && p->c.v[y->next].open_time == t ? p->c.v[y->next].open
                                                                              : y->last;
        double pay = round8(-y->amount * mark * (r ? r->rate : s->cfg.assumed_rate));
        if (r) y->rep.funding_paid++;
        else y->rep.funding_assumed++;
        if (pay != 0) add_income(s, y->rules.symbol, "FUNDING_FEE", pay, t, 0);
    }
}

void sim_advance(sim_exchange *s, int64_t t_ms) {
    for (;;) {
        sym *next = NULL;
        int64_t open = 0;
        for (size_t i = 0; i < s->n_sym; i++) {
            sym *y = &s->sym[i];
            const series *p = path_of(s, y);
            if (!p || y->next >= p->c.n || p->c.v[y->next].close_time >= t_ms) continue;
            if (!next || p->c.v[y->next].open_time < open)
                next = y, open = p->c.v[y->next].open_time;
        }
        if (s->next_funding <= t_ms && (!next || s->next_funding <= open)) {
            if (s->now < s->next_funding) s->now = s->next_funding;
            funding_at(s, s->next_funding);
            s->next_funding += SIM_FUNDING_INTERVAL_MS;
            continue;
        }
        if (!next) break;
        const series *p = path_of(s, next);
        const candle *k = &p->c.v[next->next];
        if (s->now < k->open_time) s->now = k->open_time;
        walk(s, next, k, p->ms);
        next->next++;
    }
    if (t_ms > s->now) s->now = t_ms;
    /* The jump from the last close to the open of the candle forming now is
     * seen now, as live: what it crosses fills at that open, at its time (not
     * when the candle closes: a stop gapped through was still open for the
     * run at t, tests/scenarios/run_parity found it). */
    for (size_t i = 0; i < s->n_sym; i++) {
        sym *y = &s->sym[i];
        const series *p = path_of(s, y);
        if (!p || y->next >= p->c.n || !y->has_price || !watched(s, y)) continue;
        const candle *k = &p->c.v[y->next];
        if (k->open_time > t_ms || k->open == y->last) continue;
        segment(s, y, y->last, k->open, 1, k->open_time);
        y->last = k->open; /* walk() then finds no jump left */
    }
}

int64_t sim_now(const sim_exchange *s) { return s->now; }

static int64_t clock_of(void *ctx) { return ((sim_exchange *)ctx)->now; }

const clock_src *sim_clock(sim_exchange *s) { return &s->clk; }

exchange *sim_exchange_table(sim_exchange *s) { return &s->ex; }

/* ---- orders ------------------------------------------------------------------------- */

static int open_client_id(const sim_exchange *s, const char *id, int algo) {
    if (algo) {
        for (size_t i = 0; i < s->n_algos; i++)
            if (s->algos[i].status == EX_ALGO_NEW && strcmp(s->algos[i].client_id, id) == 0)
                return 1;
    } else {
        for (size_t i = 0; i < s->n_orders; i++)
            if (s->orders[i].status == EX_ORDER_NEW && strcmp(s->orders[i].client_id, id) == 0)
                return 1;
    }
    return 0;
}

/* A decimal field of a request: its value, or a refusal (-1100, -1111). */
static ex_status decimal_param(ex_result *r, const char *name, const char *text,
                               const step_rule *step, double *out) {
    int dec = bn_step_decimals(text);
    if (dec < 0 || strlen(text) >= EX_DECIMAL_LEN)
        return refuse(r, -1100,
                      "Illegal characters found in parameter '%s'; legal range is "
                      "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
                      name);
    if (dec > step->decimals)
        return refuse(r, -1111, "Precision is over the maximum defined for this asset.");
    *out = strtod(text, NULL);
    return EX_OK;
}

/* The rules of symbol_rules answered with Binance's codes and texts. */
static ex_status rules_check(ex_result *r, const sym *y, sr_order_kind kind, double qty,
                             double price) {
    switch (sr_check_order(&y->rules, kind, qty, price, NULL, 0)) {
    case SR_OK: return EX_OK;
    case SR_NOT_TRADING: return refuse(r, -4140, "Invalid symbol status for opening position.");
    case SR_BAD_VALUE:
        if (!(qty > 0)) return refuse(r, -4003, "Quantity less than or equal to zero.");
        return refuse(r, -4013, "Price less than min price.");
    case SR_QTY_STEP: return refuse(r, -4023, "Quantity not increased by step size.");
    case SR_QTY_MIN: return refuse(r, -4004, "Quantity less than min quantity.");
    case SR_QTY_MAX: return refuse(r, -4005, "Quantity greater than max quantity.");
    case SR_PRICE_TICK: return refuse(r, -4014, "Price not increased by tick size.");
    case SR_PRICE_MIN: return refuse(r, -4013, "Price less than min price.");
    case SR_PRICE_MAX: return refuse(r, -4016, "Price greater than max price.");
    case SR_MIN_NOTIONAL:
        return refuse(r, -4164,
                      "Order's notional must be no smaller than %.10g (unless you choose reduce "
                      "only).",
                      y->rules.min_notional);
    }
    return refuse(r, -1013, "Filter failure.");
}

/* What is common to orders and algo orders before their own checks. */
static sym *order_symbol(sim_exchange *s, ex_result *r, const char *symbol, const char *client_id,
                         int algo) {
    if (s->hedge) {
        refuse(r, -4061, "Order's position side does not match user's setting.");
        return NULL;
    }
    sym *y = find(s, symbol);
    if (!y) {
        refuse(r, -1121, "Invalid symbol.");
        return NULL;
    }
    if (!ex_valid_client_id(client_id)) {
        refuse(r, -4015, "Client order id is not valid.");
        return NULL;
    }
    if (open_client_id(s, client_id, algo)) {
        refuse(r, -4116, "ClientOrderId is duplicated.");
        return NULL;
    }
    if (!isfinite(price_now(s, y))) {
        no_price(r, s, symbol);
        return NULL;
    }
    return y;
}

static ex_status place(sim_exchange *s, const ex_order_request *rq, ex_order *out, ex_result *r) {
    memset(out, 0, sizeof *out);
    sym *y = order_symbol(s, r, rq->symbol, rq->client_id, 0);
    if (!y) return r->status;
    int market = rq->type == EX_MARKET;
    sr_order_kind kind = market ? (rq->reduce_only ? SR_MARKET_EXIT : SR_MARKET_ENTRY)
                                : (rq->reduce_only ? SR_EXIT_LEG : SR_LIMIT_ENTRY);
    double qty, limit = 0, now_px = price_now(s, y);
    if (decimal_param(r, "quantity", rq->quantity, &sr_qty_rule(&y->rules, kind)->step, &qty))
        return r->status;
    if (!market && decimal_param(r, "price", rq->price, &y->rules.tick, &limit)) return r->status;
    if (rules_check(r, y, kind, qty, market ? now_px : limit)) return r->status;
    const char *tif = rq->time_in_force[0] ? rq->time_in_force : "GTC";
    int marketable = market || (rq->side == EX_BUY ? now_px <= limit : now_px >= limit);
    if (!market && marketable && strcmp(tif, "GTX") == 0)
        return refuse(r, -5022,
                      "Due to the order could not be executed as maker, the Post Only order will "
                      "be rejected. The order will not be recorded in the order history");
    double fill_px = slipped(s, rq->side, now_px);
    if (!market) fill_px = rq->side == EX_BUY ? fmin(fill_px, limit) : fmax(fill_px, limit);
    double reduces = reducible(y, rq->side, qty);
    if (rq->reduce_only && reduces <= 0) return refuse(r, -2022, "ReduceOnly Order is rejected.");
    double opens = rq->reduce_only ? 0 : qty - reduces;
    if (opens > 0 && opens * (marketable ? fill_px : limit) / y->leverage > available(s))
        return refuse(r, -2019, "Margin is insufficient.");
    ex_order *o = new_order(s, y, rq->side, market ? "MARKET" : "LIMIT", rq->client_id, s->now);
    o->reduce_only = rq->reduce_only;
    o->orig_qty = qty;
    o->price = limit;
    snprintf(o->orig_qty_str, sizeof o->orig_qty_str, "%s", rq->quantity);
    if (marketable) {
        fill_order(s, y, o, rq->reduce_only ? reduces : qty, fill_px, 0, s->now);
        o = &s->orders[s->n_orders - 1];
    } else if (strcmp(tif, "IOC") == 0 || strcmp(tif, "FOK") == 0) {
        ex_order_set_status(o, EX_ORDER_EXPIRED);
    }
    *out = *o;
    return EX_OK;
}

static ex_status place_algo(sim_exchange *s, const ex_algo_request *rq, ex_algo_order *out,
                            ex_result *r) {
    memset(out, 0, sizeof *out);
    sym *y = order_symbol(s, r, rq->symbol, rq->client_id, 1);
    if (!y) return r->status;
    sr_order_kind kind = rq->reduce_only ? SR_EXIT_LEG : SR_LIMIT_ENTRY;
    double qty, trigger;
    if (decimal_param(r, "quantity", rq->quantity, &y->rules.lot.step, &qty) ||
        decimal_param(r, "triggerPrice", rq->trigger_price, &y->rules.tick, &trigger) ||
        rules_check(r, y, kind, qty, trigger))
        return r->status;
    double now_px = price_now(s, y);
    int stop = rq->type == EX_STOP_MARKET, sell = rq->side == EX_SELL;
    int dir = stop == sell ? -1 : 1;
    if (dir < 0 ? now_px <= trigger : now_px >= trigger)
        return refuse(r, -2021, "Order would immediately trigger.");
    GROW(s->algos, s->n_algos, s->cap_algos);
    ex_algo_order *a = &s->algos[s->n_algos++];
    memset(a, 0, sizeof *a);
    snprintf(a->symbol, sizeof a->symbol, "%s", rq->symbol);
    snprintf(a->client_id, sizeof a->client_id, "%s", rq->client_id);
    snprintf(a->type, sizeof a->type, "%s", ex_algo_type_name(rq->type));
    snprintf(a->quantity_str, sizeof a->quantity_str, "%s", rq->quantity);
    a->algo_id = new_id(s, s->now);
    a->side = rq->side;
    a->reduce_only = rq->reduce_only;
    a->trigger_price = trigger;
    a->quantity = qty;
    a->mark_price = !rq->contract_price;
    a->create_time = a->update_time = s->now;
    ex_algo_set_status(a, EX_ALGO_NEW);
    *out = *a;
    return EX_OK;
}

/* ---- the table ---------------------------------------------------------------------- */

static ex_status sim_place_order(exchange *ex, const ex_order_request *req, int64_t deadline_ms,
                                 ex_order *out, ex_error *e, dstr *err) {
    (void)deadline_ms;
    ex_result r = {0};
    ex_status st = place(of(ex), req, out, &r);
    if (e) *e = r.e;
    if (st) dstr_error_line(err, "%s", dstr_cstr(&r.why));
    ex_result_free(&r);
    return st;
}

static void sim_place_algo_orders(exchange *ex, const ex_algo_request *reqs, size_t n,
                                  int64_t deadline_ms, ex_algo_placed *out) {
    (void)deadline_ms;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        place_algo(of(ex), &reqs[i], &out[i].algo, &out[i].r);
    }
}

static void lookup(sim_exchange *s, const ex_order_ref *ref, ex_lookup *out, int cancel) {
    memset(out, 0, sizeof *out);
    if (ref->algo) {
        for (size_t k = s->n_algos; k-- > 0;) {
            ex_algo_order *a = &s->algos[k];
            if (strcmp(a->client_id, ref->client_id) || strcmp(a->symbol, ref->symbol)) continue;
            if (!cancel) {
                out->algo = *a;
                return;
            }
            if (a->status != EX_ALGO_NEW) break;
            ex_algo_set_status(a, EX_ALGO_CANCELED);
            a->update_time = s->now;
            snprintf(out->algo.symbol, sizeof out->algo.symbol, "%s", a->symbol);
            snprintf(out->algo.client_id, sizeof out->algo.client_id, "%s", a->client_id);
            out->algo.algo_id = a->algo_id; /* a cancel answers the ids only */
            return;
        }
    } else {
        for (size_t k = s->n_orders; k-- > 0;) {
            ex_order *o = &s->orders[k];
            if (strcmp(o->client_id, ref->client_id) || strcmp(o->symbol, ref->symbol)) continue;
            if (cancel) {
                if (o->status != EX_ORDER_NEW) break;
                ex_order_set_status(o, EX_ORDER_CANCELED);
                o->update_time = s->now;
            }
            out->order = *o;
            return;
        }
    }
    if (cancel) refuse(&out->r, -2011, "Unknown order sent.");
    else refuse(&out->r, -2013, "Order does not exist.");
}

static void sim_query(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                      ex_lookup *out) {
    (void)deadline_ms;
    for (size_t i = 0; i < n; i++) lookup(of(ex), &refs[i], &out[i], 0);
}

static void sim_cancel(exchange *ex, const ex_order_ref *refs, size_t n, int64_t deadline_ms,
                       ex_lookup *out) {
    (void)deadline_ms;
    for (size_t i = 0; i < n; i++) lookup(of(ex), &refs[i], &out[i], 1);
}

static int has_open_orders(const sim_exchange *s, const char *symbol) {
    for (size_t i = 0; i < s->n_orders; i++)
        if (s->orders[i].status == EX_ORDER_NEW &&
            (!symbol || !strcmp(s->orders[i].symbol, symbol)))
            return 1;
    for (size_t i = 0; i < s->n_algos; i++)
        if (s->algos[i].status == EX_ALGO_NEW && (!symbol || !strcmp(s->algos[i].symbol, symbol)))
            return 1;
    return 0;
}

static int has_positions(const sim_exchange *s) {
    for (size_t i = 0; i < s->n_sym; i++)
        if (s->sym[i].amount) return 1;
    return 0;
}

static void setup_one(sim_exchange *s, const ex_setup *u, ex_result *r) {
    if (u->what == EX_SET_POSITION_MODE) {
        if (!!u->hedge_mode == s->hedge) return; /* -4059: already so */
        if (has_open_orders(s, NULL))
            refuse(r, -4067, "Position side cannot be changed if there exists open orders.");
        else if (has_positions(s))
            refuse(r, -4068, "Position side cannot be changed if there exists position.");
        else s->hedge = !!u->hedge_mode;
        return;
    }
    sym *y = find(s, u->symbol);
    if (!y) {
        refuse(r, -1121, "Invalid symbol.");
        return;
    }
    if (u->what == EX_SET_MARGIN_TYPE) {
        if (u->margin_type == y->margin) return; /* -4046: already so */
        if (has_open_orders(s, u->symbol))
            refuse(r, -4047, "Margin type cannot be changed if there exists open orders.");
        else if (y->amount)
            refuse(r, -4048, "Margin type cannot be changed if there exists position.");
        else y->margin = u->margin_type;
        return;
    }
    if (u->leverage < 1 || u->leverage > SIM_MAX_LEVERAGE) {
        refuse(r, -4028, "Leverage %d is not valid", u->leverage);
        return;
    }
    if (y->amount && y->margin == EX_ISOLATED && u->leverage < y->leverage) {
        refuse(r, -4161,
               "Leverage reduction is not supported in Isolated Margin Mode with open positions.");
        return;
    }
    y->leverage = u->leverage;
}

static void sim_configure(exchange *ex, const ex_setup *setups, size_t n, int64_t deadline_ms,
                          ex_result *out) {
    (void)deadline_ms;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        setup_one(of(ex), &setups[i], &out[i]);
    }
}

/* ---- market data -------------------------------------------------------------------- */

/* The newest `limit` candles of c that closed before now_ms (copied). */
static void closed_before(const candles *c, int64_t now_ms, size_t limit, candles *out) {
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->v[mid].close_time < now_ms) lo = mid + 1;
        else hi = mid;
    }
    size_t from = lo > limit ? lo - limit : 0;
    out->n = lo - from;
    out->v = malloc((out->n + 1) * sizeof *out->v);
    if (!out->v) abort();
    if (out->n) memcpy(out->v, c->v + from, out->n * sizeof *out->v);
}

/* One level a side: spread_bps > 0, that wide around the price; else
 * Binance's tightest book (what its majors show nearly always, and what
 * fake_binance serves): the best bid the price rounded down to the tick, the
 * best ask one tick above. The mid the trader decides from is then half a
 * tick above a price on the tick, as live: a book centred on the price moved
 * the decision's levels by that half tick and a leg, after rounding, by a
 * tick (tests/scenarios/run_parity found it). */
static void book_of(const sim_exchange *s, const sym *y, double price, int64_t now_ms,
                    order_book *b) {
    double bid, ask;
    if (s->cfg.spread_bps > 0) {
        double half = price * s->cfg.spread_bps / 20000;
        bid = price - half;
        ask = price + half;
    } else {
        bid = sr_round_down(price, &y->rules.tick);
        ask = sr_round_up(bid + y->rules.tick.step / 2, &y->rules.tick);
    }
    b->bids = malloc(sizeof *b->bids);
    b->asks = malloc(sizeof *b->asks);
    if (!b->bids || !b->asks) abort();
    b->bids[0] = (book_level){bid, 1e6};
    b->asks[0] = (book_level){ask, 1e6};
    b->n_bids = b->n_asks = 1;
    b->time_ms = now_ms;
}

/* The funding rate of the period now is in (the newest row at or before
 * now, no older than one interval); NAN when the history has none. */
static double current_rate(const sym *y, int64_t now_ms) {
    size_t lo = 0, hi = y->n_funding; /* lo: the first row after now */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (y->funding[mid].time_ms <= now_ms) lo = mid + 1;
        else hi = mid;
    }
    if (!lo || now_ms - y->funding[lo - 1].time_ms > SIM_FUNDING_INTERVAL_MS + SIM_FUNDING_MATCH_MS)
        return NAN;
    return y->funding[lo - 1].rate;
}

static void snapshot_one(sim_exchange *s, const char *symbol, const ex_snapshot_spec *spec,
                         int64_t now_ms, ex_snapshot *out) {
    memset(out, 0, sizeof *out);
    const sym *y = find(s, symbol);
    if (!y) {
        out->status = EX_INVALID_SYMBOL;
        dstr_printf(&out->why, "%s: Invalid symbol. (code -1121)", symbol);
        return;
    }
    for (int tf = 0; tf < TF_COUNT; tf++) {
        if (!series_of(y, tf_ms((timeframe)tf))) {
            out->status = EX_UNAVAILABLE;
            dstr_printf(&out->why, "klines %s: the simulated exchange has none for %s",
                        tf_name((timeframe)tf), symbol);
            return;
        }
    }
    double mid = price_now(s, y);
    if (!isfinite(mid)) {
        out->status = EX_UNAVAILABLE;
        dstr_printf(&out->why, "simulated exchange: no price for %s at %lld", symbol,
                    (long long)now_ms);
        return;
    }
    snapshot *sn = &out->snap;
    snprintf(sn->symbol, sizeof sn->symbol, "%s", symbol);
    sn->now_ms = now_ms;
    for (int tf = 0; tf < TF_COUNT; tf++)
        closed_before(&series_of(y, tf_ms((timeframe)tf))->c, now_ms,
                      (size_t)(spec->bars > 0 ? spec->bars : 0), &sn->tf[tf]);
    book_of(s, y, mid, now_ms, &sn->book);
    int64_t next = (now_ms / SIM_FUNDING_INTERVAL_MS + 1) * SIM_FUNDING_INTERVAL_MS;
    double rate = current_rate(y, now_ms);
    if (isnan(rate) && s->cfg.assume_funding) rate = s->cfg.assumed_rate;
    sn->premium = (premium_index){.mark_price = mid,
                                  .index_price = mid,
                                  .funding_rate = rate,
                                  .next_funding_time = next,
                                  .time_ms = now_ms};
    out->status = EX_OK;
}

static void sim_snapshots(exchange *ex, const char *const *symbols, size_t n,
                          const ex_snapshot_spec *spec, int64_t now_ms, int64_t deadline_ms,
                          ex_snapshot *out) {
    (void)deadline_ms;
    for (size_t i = 0; i < n; i++) snapshot_one(of(ex), symbols[i], spec, now_ms, &out[i]);
}

static ex_status sim_candles(exchange *ex, const char *symbol, const char *interval, int limit,
                             int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e,
                             dstr *err) {
    (void)deadline_ms;
    memset(out, 0, sizeof *out);
    ex_result r = {0};
    const sym *y = find(of(ex), symbol);
    int64_t ms = bn_interval_ms(interval);
    const series *c = y && ms ? series_of(y, ms) : NULL;
    if (!y) refuse(&r, -1121, "Invalid symbol.");
    else if (!ms) refuse(&r, -1120, "Invalid interval.");
    else if (!c)
        ex_result_fail(&r, EX_UNAVAILABLE, 0, 0, "simulated exchange: no %s candles of %s",
                       interval, symbol);
    else closed_before(&c->c, now_ms, (size_t)(limit > 0 ? limit : 0), out);
    ex_status st = r.status;
    if (e) *e = r.e;
    if (st) dstr_error_line(err, "%s", dstr_cstr(&r.why));
    ex_result_free(&r);
    return st;
}

static ex_status sim_orderbook(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                               order_book *out, ex_error *e, dstr *err) {
    (void)limit, (void)deadline_ms;
    sim_exchange *s = of(ex);
    memset(out, 0, sizeof *out);
    ex_result r = {0};
    const sym *y = find(s, symbol);
    if (!y) refuse(&r, -1121, "Invalid symbol.");
    else if (!isfinite(price_now(s, y))) no_price(&r, s, symbol);
    else book_of(s, y, price_now(s, y), s->now, out);
    ex_status st = r.status;
    if (e) *e = r.e;
    if (st) dstr_error_line(err, "%s", dstr_cstr(&r.why));
    ex_result_free(&r);
    return st;
}

/* ---- reads -------------------------------------------------------------------------- */

static int asked(const ex_read_spec *spec, const char *symbol) {
    if (!spec->n_symbols) return 1;
    for (size_t i = 0; i < spec->n_symbols; i++)
        if (strcmp(spec->symbols[i], symbol) == 0) return 1;
    return 0;
}

#define LIST(ptr, n, count)                         \
    do {                                            \
        (ptr) = calloc((count) + 1, sizeof *(ptr)); \
        if (!(ptr)) abort();                        \
        (n) = 0;                                    \
    } while (0)

static void position_of(const sim_exchange *s, const sym *y, ex_position *p) {
    memset(p, 0, sizeof *p);
    double mark = mark_of(s, y);
    snprintf(p->symbol, sizeof p->symbol, "%s", y->rules.symbol);
    snprintf(p->position_side, sizeof p->position_side, "BOTH");
    char size[EX_DECIMAL_LEN - 1];
    sr_format(fabs(y->amount), &y->rules.lot.step, size, sizeof size);
    snprintf(p->amount_str, sizeof p->amount_str, "%s%s", y->amount < 0 ? "-" : "", size);
    p->amount = y->amount;
    p->entry_price = p->break_even_price = y->entry;
    p->mark_price = mark;
    p->unrealized_pnl = upnl(y, mark);
    p->liquidation_price = liquidation_price(s, y);
    p->notional = y->amount * mark;
    p->isolated_margin = y->margin == EX_ISOLATED ? y->iso_margin + p->unrealized_pnl : 0;
    p->initial_margin = position_margin(s, y);
    p->maint_margin = fabs(y->amount) * mark * s->cfg.maint_margin_rate;
    p->update_time = y->update_ms;
}

static void sim_read(exchange *ex, const ex_read_spec *spec, int64_t now_ms, int64_t deadline_ms,
                     ex_snapshot *snaps, ex_account *a) {
    sim_exchange *s = of(ex);
    if (spec->market)
        sim_snapshots(ex, spec->symbols, spec->n_symbols, spec->market, now_ms, deadline_ms, snaps);
    memset(a, 0, sizeof *a);
    unsigned p = spec->parts;
    const char *unknown = NULL;
    for (size_t i = 0; i < spec->n_symbols && !unknown; i++)
        if (!find(s, spec->symbols[i])) unknown = spec->symbols[i];
    ex_part *per_symbol[] = {&a->orders_part, &a->algo_orders_part, &a->configs_part,
                             &a->trades_part, &a->funding_part};
    unsigned per_symbol_bit[] = {EX_READ_OPEN_ORDERS, EX_READ_OPEN_ALGO_ORDERS,
                                 EX_READ_SYMBOL_CONFIGS, EX_READ_TRADES, EX_READ_FUNDING};
    a->positions_part.asked = !!(p & EX_READ_POSITIONS);
    a->balances_part.asked = !!(p & EX_READ_BALANCES);
    a->position_mode_part.asked = !!(p & EX_READ_POSITION_MODE);
    a->rules_part.asked = !!(p & EX_READ_RULES);
    a->income_part.asked = !!(p & EX_READ_INCOME);
    for (size_t k = 0; k < sizeof per_symbol / sizeof *per_symbol; k++) {
        per_symbol[k]->asked = !!(p & per_symbol_bit[k]);
        if (per_symbol[k]->asked && unknown)
            refuse(&per_symbol[k]->r, -1121, "%s: Invalid symbol.", unknown);
    }
    if (a->trades_part.asked && !spec->n_symbols)
        ex_result_fail(&a->trades_part.r, EX_REJECTED, 0, 0, "userTrades needs a symbol");
    LIST(a->positions, a->n_positions, s->n_sym);
    LIST(a->configs, a->n_configs, s->n_sym);
    LIST(a->rules, a->n_rules, s->n_sym);
    for (size_t i = 0; i < s->n_sym; i++) {
        const sym *y = &s->sym[i];
        if (a->positions_part.asked && (y->amount || has_open_orders(s, y->rules.symbol)))
            position_of(s, y, &a->positions[a->n_positions++]);
        if (!asked(spec, y->rules.symbol)) continue;
        if (a->configs_part.asked && !a->configs_part.r.status) {
            ex_symbol_config *c = &a->configs[a->n_configs++];
            snprintf(c->symbol, sizeof c->symbol, "%s", y->rules.symbol);
            c->margin_type = y->margin;
            c->leverage = y->leverage;
        }
        if (a->rules_part.asked) a->rules[a->n_rules++] = y->rules;
    }
    if (a->orders_part.asked && !a->orders_part.r.status) {
        LIST(a->orders, a->n_orders, s->n_orders);
        for (size_t i = 0; i < s->n_orders; i++)
            if (s->orders[i].status == EX_ORDER_NEW && asked(spec, s->orders[i].symbol))
                a->orders[a->n_orders++] = s->orders[i];
    }
    if (a->algo_orders_part.asked && !a->algo_orders_part.r.status) {
        LIST(a->algo_orders, a->n_algo_orders, s->n_algos);
        for (size_t i = 0; i < s->n_algos; i++)
            if (s->algos[i].status == EX_ALGO_NEW && asked(spec, s->algos[i].symbol))
                a->algo_orders[a->n_algo_orders++] = s->algos[i];
    }
    if (a->balances_part.asked) {
        LIST(a->balances, a->n_balances, 1);
        ex_balance *b = &a->balances[a->n_balances++];
        snprintf(b->asset, sizeof b->asset, "USDT");
        double iso = 0, cross_upnl = 0;
        for (size_t i = 0; i < s->n_sym; i++) {
            const sym *y = &s->sym[i];
            if (y->margin == EX_ISOLATED) iso += y->amount ? y->iso_margin : 0;
            else cross_upnl += upnl(y, mark_of(s, y));
        }
        b->balance = s->wallet;
        b->cross_wallet_balance = s->wallet - iso;
        b->cross_unrealized_pnl = cross_upnl;
        b->available_balance = b->max_withdraw = available(s);
        b->update_time = s->now;
    }
    a->hedge_mode = s->hedge;
    if (a->trades_part.asked && !a->trades_part.r.status) {
        LIST(a->trades, a->n_trades, s->n_fills);
        for (size_t k = 0; k < spec->n_symbols; k++) {
            size_t kept = 0;
            for (size_t i = 0; i < s->n_fills; i++) {
                const ex_fill *f = &s->fills[i];
                if (strcmp(f->symbol, spec->symbols[k]) || f->time < spec->since_ms ||
                    f->time >= spec->since_ms + SIM_TRADES_WINDOW_MS)
                    continue;
                if (kept == SIM_LIST_LIMIT) {
                    a->trades_truncated = 1;
                    break;
                }
                a->trades[a->n_trades++] = *f;
                kept++;
            }
        }
    }
    if (a->funding_part.asked && !a->funding_part.r.status) {
        size_t total = 0;
        for (size_t i = 0; i < s->n_sym; i++) total += s->sym[i].n_funding;
        LIST(a->funding, a->n_funding, total);
        for (size_t i = 0; i < s->n_sym; i++) {
            const sym *y = &s->sym[i];
            size_t kept = 0;
            for (size_t k = 0; k < y->n_funding && asked(spec, y->rules.symbol); k++) {
                const hist_funding *f = &y->funding[k];
                if (f->time_ms < spec->since_ms || f->time_ms > now_ms) continue;
                if (kept++ == SIM_LIST_LIMIT) break;
                ex_funding *o = &a->funding[a->n_funding++];
                snprintf(o->symbol, sizeof o->symbol, "%s", y->rules.symbol);
                o->time_ms = f->time_ms;
                o->rate = f->rate;
            }
        }
    }
    if (a->income_part.asked) {
        LIST(a->income, a->n_income, s->n_income);
        for (size_t i = 0; i < s->n_income; i++) {
            if (s->income[i].time < spec->since_ms) continue;
            if (a->n_income == SIM_LIST_LIMIT) {
                a->income_truncated = 1;
                break;
            }
            a->income[a->n_income++] = s->income[i];
        }
    }
}

static void sim_close(exchange *ex) { sim_exchange_free(of(ex)); }

static const exchange_ops sim_ops = {.name = "simulated",
                                     .snapshots = sim_snapshots,
                                     .candles = sim_candles,
                                     .orderbook = sim_orderbook,
                                     .close = sim_close,
                                     .read = sim_read,
                                     .configure = sim_configure,
                                     .place_order = sim_place_order,
                                     .place_algo_orders = sim_place_algo_orders,
                                     .query = sim_query,
                                     .cancel = sim_cancel};

/* ---- set-up ------------------------------------------------------------------------- */

sim_exchange *sim_exchange_new(const sim_config *c) {
    sim_exchange *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->cfg = *c;
    if (!(s->cfg.maint_margin_rate > 0)) s->cfg.maint_margin_rate = SIM_DEFAULT_MMR;
    if (s->cfg.leverage <= 0) s->cfg.leverage = SIM_DEFAULT_LEVERAGE;
    if (s->cfg.path_ms <= 0) s->cfg.path_ms = SIM_DEFAULT_PATH_MS;
    s->ex = (exchange){.ops = &sim_ops, .impl = s};
    s->clk = (clock_src){.now_ms = clock_of, .ctx = s};
    s->wallet = round8(c->balance);
    s->now = c->start_ms;
    s->id_ms = -1;
    s->next_funding = (c->start_ms / SIM_FUNDING_INTERVAL_MS + 1) * SIM_FUNDING_INTERVAL_MS;
    return s;
}

void sim_exchange_free(sim_exchange *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_sym; i++) {
        for (size_t k = 0; k < s->sym[i].n_ser; k++) candles_free(&s->sym[i].ser[k].c);
        free(s->sym[i].funding);
    }
    free(s->sym);
    free(s->orders);
    free(s->algos);
    free(s->fills);
    free(s->income);
    free(s);
}

int sim_add_symbol(sim_exchange *s, const symbol_rules *rules, dstr *err) {
    if (find(s, rules->symbol)) {
        dstr_error_line(err, "simulated exchange: %s added twice", rules->symbol);
        return -1;
    }
    sym *grown = realloc(s->sym, (s->n_sym + 1) * sizeof *grown);
    if (!grown) abort();
    s->sym = grown;
    sym *y = &s->sym[s->n_sym++];
    memset(y, 0, sizeof *y);
    y->rules = *rules;
    y->leverage = s->cfg.leverage;
    y->margin = s->cfg.margin_type;
    snprintf(y->rep.symbol, sizeof y->rep.symbol, "%s", rules->symbol);
    return 0;
}

int sim_set_candles(sim_exchange *s, const char *symbol, int64_t interval_ms, candles *c,
                    dstr *err) {
    sym *y = find(s, symbol);
    if (!y || interval_ms <= 0 || series_of(y, interval_ms) || y->n_ser == SIM_MAX_SERIES) {
        dstr_error_line(err, "simulated exchange: %s: %s", symbol,
                        !y ? "unknown symbol" : "interval given twice or too many");
        return -1;
    }
    size_t at = 0;
    while (at < y->n_ser && y->ser[at].ms < interval_ms) at++;
    memmove(&y->ser[at + 1], &y->ser[at], (y->n_ser - at) * sizeof y->ser[0]);
    y->ser[at] = (series){.ms = interval_ms, .c = *c};
    y->n_ser++;
    memset(c, 0, sizeof *c);
    const series *p = path_of(s, y);
    if (p && p->c.n) {
        y->rep.first_ms = p->c.v[0].open_time;
        y->rep.last_ms = p->c.v[p->c.n - 1].close_time;
        /* candles that closed before the start are history, not path */
        y->next = 0;
        while (y->next < p->c.n && p->c.v[y->next].close_time < s->now) {
            y->last = p->c.v[y->next++].close;
            y->has_price = 1;
        }
    }
    return 0;
}

int sim_set_funding(sim_exchange *s, const char *symbol, const hist_funding *v, size_t n,
                    dstr *err) {
    sym *y = find(s, symbol);
    if (!y) {
        dstr_error_line(err, "simulated exchange: %s: unknown symbol", symbol);
        return -1;
    }
    free(y->funding);
    y->funding = malloc((n + 1) * sizeof *y->funding);
    if (!y->funding) abort();
    if (n) memcpy(y->funding, v, n * sizeof *v);
    y->n_funding = n;
    return 0;
}

const char *const sim_load_intervals[SIM_LOAD_INTERVALS] = {"1m", "5m", "1h", "4h", "1d"};

int sim_exchange_load(sim_exchange *s, const char *dir, const char *const *symbols, size_t n,
                      dstr *err) {
    const char *const *intervals = sim_load_intervals;
    dstr path = {0};
    symbol_rules *rules = NULL;
    size_t n_rules = 0;
    dstr_printf(&path, "%s/exchangeInfo.json", dir);
    int rc = hist_load_rules(path.ptr, symbols, n, &rules, &n_rules, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const symbol_rules *r = NULL;
        for (size_t k = 0; k < n_rules; k++)
            if (strcmp(rules[k].symbol, symbols[i]) == 0) r = &rules[k];
        if (!r) {
            dstr_error_line(err, "%s: %s is not listed", path.ptr, symbols[i]);
            rc = -1;
            break;
        }
        rc = sim_add_symbol(s, r, err);
        for (size_t k = 0; rc == 0 && k < SIM_LOAD_INTERVALS; k++) {
            dstr_clear(&path);
            dstr_printf(&path, "%s/klines/%s-%s.csv", dir, symbols[i], intervals[k]);
            int64_t ms = bn_interval_ms(intervals[k]);
            FILE *exists = fopen(path.ptr, "rb");
            if (!exists && ms != s->cfg.path_ms) continue; /* the path's interval is required */
            if (exists) fclose(exists);
            candles c;
            rc = hist_load_candles(path.ptr, &c, err);
            if (rc == 0) rc = sim_set_candles(s, symbols[i], ms, &c, err);
            candles_free(&c);
        }
        if (rc) break;
        dstr_clear(&path);
        dstr_printf(&path, "%s/funding/%s-funding.csv", dir, symbols[i]);
        hist_funding *f = NULL;
        size_t nf = 0;
        rc = hist_load_funding(path.ptr, &f, &nf, NULL, err);
        if (rc == 0) rc = sim_set_funding(s, symbols[i], f, nf, err);
        free(f);
    }
    free(rules);
    dstr_free(&path);
    return rc;
}

const ex_fill *sim_fills(const sim_exchange *s, size_t *n) {
    *n = s->n_fills;
    return s->fills;
}

void sim_report_make(const sim_exchange *s, sim_report *out) {
    memset(out, 0, sizeof *out);
    out->wallet = s->wallet;
    out->start_balance = round8(s->cfg.balance);
    out->fills = s->n_fills;
    for (size_t i = 0; i < s->n_income; i++) {
        const ex_income *in = &s->income[i];
        if (!strcmp(in->type, "REALIZED_PNL")) out->realized_pnl += in->amount;
        else if (!strcmp(in->type, "COMMISSION")) out->commission -= in->amount;
        else if (!strcmp(in->type, "FUNDING_FEE")) out->funding += in->amount;
        else if (!strcmp(in->type, "INSURANCE_CLEAR")) out->insurance_clear += in->amount;
    }
    out->sym = calloc(s->n_sym + 1, sizeof *out->sym);
    if (!out->sym) abort();
    for (size_t i = 0; i < s->n_sym; i++) out->sym[i] = s->sym[i].rep;
    out->n = s->n_sym;
}

void sim_report_free(sim_report *r) {
    free(r->sym);
    memset(r, 0, sizeof *r);
}

/* ---- the account as data ------------------------------------------------------------ */

#define COPY_KEPT(dst, n_dst, src, n_src, keep)                           \
    do {                                                                  \
        (dst) = calloc((n_src) + 1, sizeof *(dst));                       \
        if (!(dst)) abort();                                              \
        for (size_t i_ = 0; i_ < (n_src); i_++)                           \
            if (keep(&(src)[i_], since_ms)) (dst)[(n_dst)++] = (src)[i_]; \
    } while (0)

static int keep_order(const ex_order *o, int64_t since_ms) {
    return o->status == EX_ORDER_NEW || o->update_time >= since_ms;
}
static int keep_algo(const ex_algo_order *a, int64_t since_ms) {
    return a->status == EX_ALGO_NEW || a->update_time >= since_ms;
}
static int keep_fill(const ex_fill *f, int64_t since_ms) { return f->time >= since_ms; }
static int keep_income(const ex_income *in, int64_t since_ms) { return in->time >= since_ms; }

void sim_account_get(const sim_exchange *s, int64_t since_ms, sim_account *out) {
    memset(out, 0, sizeof *out);
    out->wallet = s->wallet;
    out->hedge = s->hedge;
    out->walked_to = s->now;
    out->hold = calloc(s->n_sym + 1, sizeof *out->hold);
    if (!out->hold) abort();
    for (size_t i = 0; i < s->n_sym; i++) {
        const sym *y = &s->sym[i];
        sim_holding *h = &out->hold[out->n_hold++];
        snprintf(h->symbol, sizeof h->symbol, "%s", y->rules.symbol);
        h->amount = y->amount;
        h->entry = y->entry;
        h->iso_margin = y->iso_margin;
        h->leverage = y->leverage;
        h->margin = y->margin;
        h->update_ms = y->update_ms;
    }
    COPY_KEPT(out->orders, out->n_orders, s->orders, s->n_orders, keep_order);
    COPY_KEPT(out->algos, out->n_algos, s->algos, s->n_algos, keep_algo);
    COPY_KEPT(out->fills, out->n_fills, s->fills, s->n_fills, keep_fill);
    COPY_KEPT(out->income, out->n_income, s->income, s->n_income, keep_income);
}

#define REPLACE(dst, n_dst, cap_dst, src, n_src)                  \
    do {                                                          \
        free(dst);                                                \
        (cap_dst) = (n_src) + 1;                                  \
        (dst) = malloc((cap_dst) * sizeof *(dst));                \
        if (!(dst)) abort();                                      \
        if (n_src) memcpy((dst), (src), (n_src) * sizeof *(dst)); \
        (n_dst) = (n_src);                                        \
    } while (0)

int sim_account_set(sim_exchange *s, const sim_account *a, dstr *err) {
    for (size_t i = 0; i < a->n_hold; i++) {
        if (a->hold[i].amount && !find(s, a->hold[i].symbol)) {
            dstr_error_line(err, "simulated exchange: the account holds %s, which is not added",
                            a->hold[i].symbol);
            return -1;
        }
    }
    for (size_t i = 0; i < a->n_hold; i++) {
        const sim_holding *h = &a->hold[i];
        sym *y = find(s, h->symbol);
        if (!y) continue; /* flat on a symbol not added: nothing to keep but its settings */
        y->amount = h->amount;
        y->entry = h->entry;
        y->iso_margin = h->iso_margin;
        y->leverage = h->leverage > 0 ? h->leverage : s->cfg.leverage;
        y->margin = h->margin;
        y->update_ms = h->update_ms;
    }
    s->wallet = a->wallet;
    s->hedge = a->hedge;
    REPLACE(s->orders, s->n_orders, s->cap_orders, a->orders, a->n_orders);
    REPLACE(s->algos, s->n_algos, s->cap_algos, a->algos, a->n_algos);
    REPLACE(s->fills, s->n_fills, s->cap_fills, a->fills, a->n_fills);
    REPLACE(s->income, s->n_income, s->cap_income, a->income, a->n_income);
    return 0;
}

void sim_account_free(sim_account *a) {
    if (!a) return;
    free(a->hold);
    free(a->orders);
    free(a->algos);
    free(a->fills);
    free(a->income);
    memset(a, 0, sizeof *a);
}
