/* fake_account: the futures account of fake_binance (see fake_account.h). */
#include "fake_account.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fake_clock.h"

#define UNIT 100000000LL /* amounts are int64 counts of 1e-8 */
#define MAX_ALGO_OPEN 200
#define MAX_PATH 100000
#define FIRST_ORDER_ID 1000001
#define FIRST_ALGO_ID 5000001
#define FIRST_TRADE_ID 3000001
#define FIRST_TRAN_ID 9000001

enum { PS_BOTH, PS_LONG, PS_SHORT, N_PS };
static const char *const ps_names[N_PS] = {"BOTH", "LONG", "SHORT"};

enum { ST_NEW, ST_FILLED, ST_CANCELED, ST_EXPIRED };
static const char *const order_status_names[] = {"NEW", "FILLED", "CANCELED", "EXPIRED"};

enum { AL_NEW, AL_CANCELED, AL_FINISHED, AL_REJECTED };
static const char *const algo_status_names[] = {"NEW", "CANCELED", "FINISHED", "REJECTED"};

enum { IN_REALIZED_PNL, IN_COMMISSION, IN_FUNDING_FEE };
static const char *const income_names[] = {"REALIZED_PNL", "COMMISSION", "FUNDING_FEE"};

typedef struct position {
    int64_t amt; /* signed: > 0 long, < 0 short */
    int64_t entry;
    int64_t update_time;
} position;

typedef struct symbol {
    char name[32];
    int price_dec, qty_dec; /* pricePrecision, quantityPrecision: more digits is -1111 */
    int64_t tick, min_price, max_price;
    int64_t step, min_qty, max_qty;    /* LOT_SIZE */
    int64_t mstep, mmin_qty, mmax_qty; /* MARKET_LOT_SIZE */
    int64_t min_notional;
    char min_notional_text[32];
    int64_t mult_up, mult_down; /* PERCENT_PRICE */
    int leverage, isolated;
    int64_t *path; /* scripted mark prices; NULL: the replay's price */
    size_t path_len, path_pos;
    int64_t step_ms, path_t0; /* a timed path: one point per step_ms from path_t0 (wall) */
    int64_t last_mark;        /* the price the orders were last checked against; 0 = never */
    position pos[N_PS];
} symbol;

typedef struct order {
    int64_t id;
    char cid[40];
    size_t sym;
    int side; /* +1 BUY, -1 SELL */
    int market;
    int ps;
    char tif[4];
    int64_t qty, price, executed, cum_quote;
    int reduce_only, close_position;
    int status;
    char orig_type[24];
    int64_t stop_price;
    int64_t time, update_time;
} order;

typedef struct algo {
    int64_t id;
    char cid[40];
    size_t sym;
    int side;
    int take_profit; /* TAKE_PROFIT_MARKET, else STOP_MARKET */
    int ps;
    int64_t qty, trigger;
    int mark_price, price_protect, reduce_only, close_position;
    int status;
    int64_t create_time, update_time, trigger_time;
    int64_t actual_order_id; /* 0 until it fired */
} algo;

typedef struct fill {
    int64_t id, order_id;
    size_t sym;
    int side, ps, maker;
    int64_t price, qty, quote, commission, realized, time;
} fill;

typedef struct income {
    int64_t tran_id, trade_id, amount, time;
    size_t sym;
    int type;
} income;

#define VEC(T)         \
    struct {           \
        T *v;          \
        size_t n, cap; \
    }

struct fake_account {
    pthread_mutex_t lock;
    fa_price_fn price;
    void *price_ctx;
    /* from the file */
    char *api_key, *api_secret;
    int64_t initial_balance, fee_taker, fee_maker, maint_rate;
    int initial_dual;
    int *initial_leverage, *initial_isolated;
    /* state */
    symbol *syms;
    size_t n_syms;
    int dual;
    int64_t wallet;
    int64_t clock_offset_ms;
    VEC(order) orders;
    VEC(algo) algos;
    VEC(fill) fills;
    VEC(income) incomes;
    int64_t next_order_id, next_algo_id, next_trade_id, next_tran_id;
    int64_t count_10s_bucket, count_1m_bucket;
    long count_10s, count_1m;
};

#define VEC_PUSH(vec)                                                                             \
    (((vec).n == (vec).cap ? vec_grow((void **)&(vec).v, &(vec).cap, sizeof *(vec).v) : (void)0), \
     memset(&(vec).v[(vec).n], 0, sizeof *(vec).v), &(vec).v[(vec).n++])

static void vec_grow(void **v, size_t *cap, size_t size) {
    size_t want = *cap ? *cap * 2 : 16;
    void *grown = realloc(*v, want * size);
    if (!grown) abort();
    *v = grown;
    *cap = want;
}

/* ---- fixed point ------------------------------------------------------------- */

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t round_div(__int128 num, __int128 den) {
    __int128 q = num / den, r = num % den;
    if (r < 0) r = -r;
    if (2 * r >= (den < 0 ? -den : den)) q += (num < 0) != (den < 0) ? -1 : 1;
    return (int64_t)q;
}

static int64_t fx_mul(int64_t a, int64_t b) { return round_div((__int128)a * b, UNIT); }
static int64_t fx_div(int64_t a, int64_t b) { return b ? round_div((__int128)a * UNIT, b) : 0; }
static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Parses [-]digits[.digits] into 1e-8 units. Returns 0, -1 when the text is
 * not such a number (or too large), -2 when it has more than 8 decimals.
 * *decimals gets the number of digits after the point. */
static int fx_parse(const char *s, int allow_sign, int64_t *out, int *decimals) {
    int neg = 0;
    if (allow_sign && *s == '-') {
        neg = 1;
        s++;
    }
    int64_t v = 0;
    int frac = -1, digits = 0;
    for (; *s; s++) {
        if (*s == '.') {
            if (frac >= 0 || digits == 0) return -1;
            frac = 0;
            continue;
        }
        if (*s < '0' || *s > '9') return -1;
        if (frac >= 8) return -2;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v)) return -1;
        digits++;
        if (frac >= 0) frac++;
    }
    if (digits == 0 || frac == 0) return -1;
    for (int k = frac < 0 ? 0 : frac; k < 8; k++)
        if (__builtin_mul_overflow(v, 10, &v)) return -1;
    if (v > INT64_MAX / 4) return -1; /* headroom for sums */
    *out = neg ? -v : v;
    if (decimals) *decimals = frac < 0 ? 0 : frac;
    return 0;
}

/* Appends v with exactly dec (0..8) decimals, cut toward zero. */
static void fx_put(dstr *out, int64_t v, int dec) {
    if (v < 0 && v / UNIT == 0 && v % UNIT != 0) {
        int64_t cut = v % UNIT;
        for (int k = dec; k < 8; k++) cut /= 10;
        if (cut) dstr_putc(out, '-');
    } else if (v < 0) {
        dstr_putc(out, '-');
    }
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    dstr_printf(out, "%llu", (unsigned long long)(m / UNIT));
    if (dec <= 0) return;
    char frac[9];
    snprintf(frac, sizeof frac, "%08llu", (unsigned long long)(m % UNIT));
    dstr_putc(out, '.');
    dstr_append(out, frac, (size_t)dec);
}

static void fx_json(dstr *out, int64_t v, int dec) {
    dstr_putc(out, '"');
    fx_put(out, v, dec);
    dstr_putc(out, '"');
}

/* ---- errors and parameters ------------------------------------------------------ */

static int fail(fake_reply *out, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes Binance's error body; returns -1 so handlers can `return fail(…)`. */
static int fail(fake_reply *out, int status, int code, const char *fmt, ...) {
    char head[48];
    snprintf(head, sizeof head, "{\"code\":%d,\"msg\":", code);
    va_list ap;
    va_start(ap, fmt);
    fake_reply_verror(out, status, head, fmt, ap);
    va_end(ap);
    return -1;
}

/* A request's parameters: the query's, then the form body's (the query copy
 * wins, as on Binance), or a manual action's. */
typedef struct call {
    fake_kv *kv;
    size_t n;
    int64_t now;
    fake_reply *out;
} call;

static const char *param(const call *c, const char *name) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->kv[i].name, name) == 0) return c->kv[i].value;
    return NULL;
}

static const char *mandatory(const call *c, const char *name) {
    const char *v = param(c, name);
    if (v && *v) return v;
    fail(c->out, 400, -1102, "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
         name);
    return NULL;
}

static int not_valid(const call *c, const char *name) {
    return fail(c->out, 400, -1130, "Data sent for parameter '%s' is not valid.", name);
}

static int not_required(const call *c, const char *name) {
    return fail(c->out, 400, -1106, "Parameter '%s' sent when not required.", name);
}

/* Optional "true"/"false" (any case); returns -1 after the error. */
static int bool_param(const call *c, const char *name, int *out) {
    const char *v = param(c, name);
    *out = 0;
    if (!v) return 0;
    if (strcasecmp(v, "true") == 0) *out = 1;
    else if (strcasecmp(v, "false") != 0) return not_valid(c, name);
    return 0;
}

static int uint_text(const char *s, int64_t *out) {
    size_t n = strlen(s);
    if (n == 0 || n > 19) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Optional unsigned integer parameter; returns -1 after the error. */
static int int_param(const call *c, const char *name, int *has, int64_t *v) {
    const char *text = param(c, name);
    *has = text != NULL;
    if (!text || uint_text(text, v) == 0) return 0;
    return fail(c->out, 400, -1100,
                "Illegal characters found in parameter '%s'; legal range is '^[0-9]{1,20}$'.",
                name);
}

static int client_id_valid(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 36) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(".:/_-", s[i])) return 0;
    return 1;
}

/* ---- symbols and prices ------------------------------------------------------------- */

static symbol *find_symbol(fake_account *a, const char *name) {
    for (size_t i = 0; i < a->n_syms; i++)
        if (strcmp(a->syms[i].name, name) == 0) return &a->syms[i];
    return NULL;
}

static symbol *symbol_param(fake_account *a, const call *c) {
    const char *name = mandatory(c, "symbol");
    if (!name) return NULL;
    symbol *s = find_symbol(a, name);
    if (!s) fail(c->out, 400, -1121, "Invalid symbol.");
    return s;
}

/* The mark price now: the path's current point, else the replay's price. */
static int mark_of(fake_account *a, const symbol *s, int64_t now, int64_t *out) {
    if (s->path) {
        *out = s->path[s->path_pos];
        return 0;
    }
    return a->price(a->price_ctx, s->name, now - a->clock_offset_ms, out);
}

static int64_t mark_or_entry(fake_account *a, const symbol *s, const position *p, int64_t now) {
    int64_t m;
    return mark_of(a, s, now, &m) == 0 ? m : p->entry;
}

static int64_t upnl(const position *p, int64_t mark) { return fx_mul(mark - p->entry, p->amt); }

static int64_t position_margin(const symbol *s, const position *p, int64_t mark) {
    return fx_mul(abs64(p->amt), mark) / s->leverage;
}

static int64_t open_order_margin(const fake_account *a, size_t sym) {
    int64_t m = 0;
    for (size_t i = 0; i < a->orders.n; i++) {
        const order *o = &a->orders.v[i];
        if (o->sym == sym && o->status == ST_NEW && !o->reduce_only)
            m += fx_mul(o->qty - o->executed, o->price) / a->syms[sym].leverage;
    }
    return m;
}

typedef struct totals {
    int64_t upnl, position_margin, order_margin, maint;
} totals;

static totals account_totals(fake_account *a, int64_t now) {
    totals t = {0};
    for (size_t i = 0; i < a->n_syms; i++) {
        const symbol *s = &a->syms[i];
        for (int k = 0; k < N_PS; k++) {
            const position *p = &s->pos[k];
            if (!p->amt) continue;
            int64_t mark = mark_or_entry(a, s, p, now);
            t.upnl += upnl(p, mark);
            t.position_margin += position_margin(s, p, mark);
            t.maint += fx_mul(fx_mul(abs64(p->amt), mark), a->maint_rate);
        }
        t.order_margin += open_order_margin(a, i);
    }
    return t;
}

static int64_t available_balance(fake_account *a, int64_t now) {
    totals t = account_totals(a, now);
    int64_t avail = a->wallet + t.upnl - t.position_margin - t.order_margin;
    return avail > 0 ? avail : 0;
}

/* Binance's one-position estimate: the price where the margin behind the
 * position (the wallet for cross, the position's initial margin for
 * isolated) minus the maintenance margin is lost. 0 when there is none. */
static int64_t liquidation_price(const fake_account *a, const symbol *s, const position *p) {
    if (!p->amt) return 0;
    int64_t q = abs64(p->amt);
    int64_t backing = s->isolated ? fx_mul(q, p->entry) / s->leverage : a->wallet;
    __int128 num, den;
    if (p->amt > 0) {
        num = (__int128)fx_mul(q, p->entry) - backing;
        den = (__int128)q * (UNIT - a->maint_rate) / UNIT;
    } else {
        num = (__int128)fx_mul(q, p->entry) + backing;
        den = (__int128)q * (UNIT + a->maint_rate) / UNIT;
    }
    if (num <= 0 || den <= 0) return 0;
    return round_div(num * UNIT, den);
}

/* ---- the matching engine ----------------------------------------------------------- */

/* In Hedge mode SELL on LONG and BUY on SHORT only ever close. */
static int closes_hedge(int ps, int side) {
    return (ps == PS_LONG && side < 0) || (ps == PS_SHORT && side > 0);
}

/* How much of a side's order reduces the position it trades against. */
static int64_t reducible(const symbol *s, int ps, int side) {
    int64_t amt = s->pos[ps].amt;
    if (ps == PS_LONG) return side < 0 ? amt : 0;
    if (ps == PS_SHORT) return side > 0 ? -amt : 0;
    return (amt > 0 && side < 0) || (amt < 0 && side > 0) ? abs64(amt) : 0;
}

static void add_income(fake_account *a, size_t sym, int type, int64_t amount, int64_t trade_id,
                       int64_t now) {
    income *in = VEC_PUSH(a->incomes);
    in->tran_id = a->next_tran_id++;
    in->trade_id = trade_id;
    in->amount = amount;
    in->time = now;
    in->sym = sym;
    in->type = type;
}

/* Trades qty of o at price: the position, the wallet (realised PnL minus
 * the fee), a fill and its income records. */
static void trade(fake_account *a, order *o, int64_t qty, int64_t price, int maker, int64_t now) {
    symbol *s = &a->syms[o->sym];
    position *p = &s->pos[o->ps];
    int64_t realized = 0, rest = qty;
    if (p->amt && (p->amt > 0) != (o->side > 0)) {
        int64_t closed = min64(abs64(p->amt), qty);
        realized = fx_mul(price - p->entry, p->amt > 0 ? closed : -closed);
        p->amt += o->side * closed;
        rest -= closed;
        if (!p->amt) p->entry = 0;
    }
    if (rest) {
        int64_t held = abs64(p->amt);
        p->entry = held ? (int64_t)round_div((__int128)fx_mul(held, p->entry) * UNIT +
                                                 (__int128)fx_mul(rest, price) * UNIT,
                                             held + rest)
                        : price;
        p->amt += o->side * rest;
    }
    p->update_time = now;
    int64_t quote = fx_mul(qty, price);
    int64_t fee = fx_mul(quote, maker ? a->fee_maker : a->fee_taker);
    a->wallet += realized - fee;
    fill *f = VEC_PUSH(a->fills);
    *f = (fill){.id = a->next_trade_id++,
                .order_id = o->id,
                .sym = o->sym,
                .side = o->side,
                .ps = o->ps,
                .maker = maker,
                .price = price,
                .qty = qty,
                .quote = quote,
                .commission = fee,
                .realized = realized,
                .time = now};
    if (realized || rest < qty) add_income(a, o->sym, IN_REALIZED_PNL, realized, f->id, now);
    add_income(a, o->sym, IN_COMMISSION, -fee, f->id, now);
    o->executed += qty;
    o->cum_quote += quote;
    o->update_time = now;
}

/* Fills what is left of o at price; a reduce-only (or closing) order takes
 * at most the position, and what it cannot take expires. */
static void execute(fake_account *a, order *o, int64_t price, int maker, int64_t now) {
    symbol *s = &a->syms[o->sym];
    int64_t want = o->qty - o->executed;
    if (o->reduce_only || o->close_position || closes_hedge(o->ps, o->side))
        want = min64(want, reducible(s, o->ps, o->side));
    if (want > 0) trade(a, o, want, price, maker, now);
    o->status = o->executed == o->qty ? ST_FILLED : ST_EXPIRED;
    o->update_time = now;
}

/* Margin the opening part of an order of qty at price needs. */
static int64_t margin_needed(const symbol *s, int ps, int side, int64_t qty, int64_t price) {
    int64_t opening = qty - min64(qty, reducible(s, ps, side));
    return fx_mul(opening, price) / s->leverage;
}

static order *new_order(fake_account *a, size_t sym, int side, int ps, int64_t qty, int64_t now) {
    order *o = VEC_PUSH(a->orders);
    o->id = a->next_order_id++;
    o->sym = sym;
    o->side = side;
    o->ps = ps;
    o->qty = qty;
    o->time = o->update_time = now;
    o->status = ST_NEW;
    return o;
}

static int algo_fires(const algo *g, int64_t mark) {
    int up = g->take_profit ? g->side < 0 : g->side > 0; /* fires when the price rises to it */
    return up ? mark >= g->trigger : mark <= g->trigger;
}

/* An algo order whose trigger was crossed becomes a MARKET order, filled now. */
static void fire_algo(fake_account *a, size_t gi, int64_t mark, int64_t now) {
    algo *g = &a->algos.v[gi];
    symbol *s = &a->syms[g->sym];
    int64_t qty = g->close_position ? reducible(s, g->ps, g->side) : g->qty;
    g->trigger_time = g->update_time = now;
    if (!g->reduce_only && !g->close_position &&
        margin_needed(s, g->ps, g->side, qty, mark) > available_balance(a, now)) {
        g->status = AL_REJECTED; /* the matching engine's margin check */
        return;
    }
    order *o = new_order(a, g->sym, g->side, g->ps, qty, now); /* g stays valid */
    o->market = 1;
    o->reduce_only = g->reduce_only;
    o->close_position = g->close_position;
    o->stop_price = g->trigger;
    memcpy(o->cid, g->cid, sizeof o->cid);
    snprintf(o->orig_type, sizeof o->orig_type, "%s",
             g->take_profit ? "TAKE_PROFIT_MARKET" : "STOP_MARKET");
    snprintf(o->tif, sizeof o->tif, "GTC");
    if (qty > 0) execute(a, o, mark, 0, now);
    else o->status = ST_EXPIRED;
    g->actual_order_id = o->id;
    g->status = AL_FINISHED;
}

/* Checks the symbol's open orders against a new mark price, oldest first:
 * the algo orders, then the resting LIMIT orders. */
static void evaluate(fake_account *a, size_t sym, int64_t mark, int64_t now) {
    a->syms[sym].last_mark = mark;
    for (size_t i = 0; i < a->algos.n; i++) {
        algo *g = &a->algos.v[i];
        if (g->sym == sym && g->status == AL_NEW && algo_fires(g, mark)) fire_algo(a, i, mark, now);
    }
    for (size_t i = 0; i < a->orders.n; i++) {
        order *o = &a->orders.v[i];
        if (o->sym != sym || o->status != ST_NEW || o->market) continue;
        if ((o->side > 0 && mark <= o->price) || (o->side < 0 && mark >= o->price))
            execute(a, o, o->price, 1, now);
    }
}

/* Brings every symbol's orders up to its current mark, whenever the account
 * is used: a timed path advances one point per step_ms of wall-clock time
 * since it was set (each point met in order); a symbol without a path
 * meets the replay's price. */
static void follow_marks(fake_account *a, int64_t now) {
    int64_t wall = wall_ms();
    for (size_t i = 0; i < a->n_syms; i++) {
        symbol *s = &a->syms[i];
        if (s->path && s->step_ms) {
            int64_t due = (wall - s->path_t0) / s->step_ms;
            size_t target = due < 0 ? 0 : (size_t)min64(due, (int64_t)s->path_len - 1);
            while (s->path_pos < target) evaluate(a, i, s->path[++s->path_pos], now);
            continue;
        }
        int64_t mark;
        if (s->path || mark_of(a, s, now, &mark)) continue;
        if (mark != s->last_mark) evaluate(a, i, mark, now);
    }
}

static int has_open_orders(const fake_account *a, size_t sym, int any_symbol) {
    for (size_t i = 0; i < a->orders.n; i++)
        if ((any_symbol || a->orders.v[i].sym == sym) && a->orders.v[i].status == ST_NEW) return 1;
    for (size_t i = 0; i < a->algos.n; i++)
        if ((any_symbol || a->algos.v[i].sym == sym) && a->algos.v[i].status == AL_NEW) return 1;
    return 0;
}

static int has_position(const fake_account *a, size_t sym, int any_symbol) {
    for (size_t i = 0; i < a->n_syms; i++)
        for (int k = 0; k < N_PS; k++)
            if ((any_symbol || i == sym) && a->syms[i].pos[k].amt) return 1;
    return 0;
}

/* ---- answers in Binance's shapes ----------------------------------------------------- */

static const char *side_name(int side) { return side > 0 ? "BUY" : "SELL"; }

static void order_json(const fake_account *a, const order *o, dstr *out) {
    const symbol *s = &a->syms[o->sym];
    const char *type = o->market ? "MARKET" : "LIMIT";
    dstr_printf(out, "{\"orderId\":%lld,\"symbol\":\"%s\",\"status\":\"%s\",\"clientOrderId\":",
                (long long)o->id, s->name, order_status_names[o->status]);
    dstr_json_str(out, o->cid);
    dstr_puts(out, ",\"price\":");
    fx_json(out, o->market ? 0 : o->price, s->price_dec);
    dstr_puts(out, ",\"avgPrice\":");
    fx_json(out, o->executed ? fx_div(o->cum_quote, o->executed) : 0, 8);
    dstr_puts(out, ",\"origQty\":");
    fx_json(out, o->qty, s->qty_dec);
    dstr_puts(out, ",\"executedQty\":");
    fx_json(out, o->executed, s->qty_dec);
    dstr_puts(out, ",\"cumQty\":");
    fx_json(out, o->executed, s->qty_dec);
    dstr_puts(out, ",\"cumQuote\":");
    fx_json(out, o->cum_quote, 8);
    dstr_printf(out,
                ",\"timeInForce\":\"%s\",\"type\":\"%s\",\"reduceOnly\":%s,\"closePosition\":%s,"
                "\"side\":\"%s\",\"positionSide\":\"%s\",\"stopPrice\":",
                o->tif, type, o->reduce_only ? "true" : "false",
                o->close_position ? "true" : "false", side_name(o->side), ps_names[o->ps]);
    fx_json(out, o->stop_price, s->price_dec);
    dstr_printf(out,
                ",\"workingType\":\"%s\",\"priceProtect\":false,\"origType\":\"%s\","
                "\"priceMatch\":\"NONE\",\"selfTradePreventionMode\":\"EXPIRE_MAKER\","
                "\"goodTillDate\":0,\"time\":%lld,\"updateTime\":%lld}",
                o->stop_price ? "MARK_PRICE" : "CONTRACT_PRICE",
                o->orig_type[0] ? o->orig_type : type, (long long)o->time,
                (long long)o->update_time);
}

static const order *order_by_id(const fake_account *a, int64_t id) {
    for (size_t i = 0; i < a->orders.n; i++)
        if (a->orders.v[i].id == id) return &a->orders.v[i];
    return NULL;
}

static void algo_json(const fake_account *a, const algo *g, dstr *out) {
    const symbol *s = &a->syms[g->sym];
    dstr_printf(out, "{\"algoId\":%lld,\"clientAlgoId\":", (long long)g->id);
    dstr_json_str(out, g->cid);
    dstr_printf(out,
                ",\"algoType\":\"CONDITIONAL\",\"orderType\":\"%s\",\"symbol\":\"%s\","
                "\"side\":\"%s\",\"positionSide\":\"%s\",\"timeInForce\":\"GTC\",\"quantity\":",
                g->take_profit ? "TAKE_PROFIT_MARKET" : "STOP_MARKET", s->name, side_name(g->side),
                ps_names[g->ps]);
    fx_json(out, g->qty, s->qty_dec);
    dstr_printf(out, ",\"algoStatus\":\"%s\",\"triggerPrice\":", algo_status_names[g->status]);
    fx_json(out, g->trigger, s->price_dec);
    dstr_puts(out, ",\"price\":");
    fx_json(out, 0, s->price_dec);
    dstr_printf(out,
                ",\"icebergQuantity\":null,\"selfTradePreventionMode\":\"EXPIRE_MAKER\","
                "\"workingType\":\"%s\",\"priceMatch\":\"NONE\",\"closePosition\":%s,"
                "\"priceProtect\":%s,\"reduceOnly\":%s,\"activatePrice\":\"\","
                "\"callbackRate\":\"\",\"createTime\":%lld,\"updateTime\":%lld,"
                "\"triggerTime\":%lld,\"goodTillDate\":0",
                g->mark_price ? "MARK_PRICE" : "CONTRACT_PRICE",
                g->close_position ? "true" : "false", g->price_protect ? "true" : "false",
                g->reduce_only ? "true" : "false", (long long)g->create_time,
                (long long)g->update_time, (long long)g->trigger_time);
    const order *o = g->actual_order_id ? order_by_id(a, g->actual_order_id) : NULL;
    dstr_puts(out, ",\"actualOrderId\":");
    if (o) dstr_printf(out, "\"%lld\"", (long long)o->id);
    else dstr_puts(out, "\"\"");
    dstr_puts(out, ",\"actualType\":");
    dstr_puts(out, o ? "\"MARKET\"" : "\"\"");
    dstr_puts(out, ",\"actualQty\":");
    fx_json(out, o ? o->qty : 0, s->qty_dec);
    dstr_puts(out, ",\"executedQty\":");
    fx_json(out, o ? o->executed : 0, s->qty_dec);
    dstr_puts(out, ",\"avgPrice\":");
    fx_json(out, o && o->executed ? fx_div(o->cum_quote, o->executed) : 0, 8);
    dstr_putc(out, '}');
}

static void position_json(fake_account *a, size_t sym, int ps, int64_t now, dstr *out) {
    const symbol *s = &a->syms[sym];
    const position *p = &s->pos[ps];
    int64_t mark = mark_or_entry(a, s, p, now);
    int64_t notional = fx_mul(p->amt, mark), im = position_margin(s, p, mark);
    int64_t order_im = open_order_margin(a, sym);
    int64_t iso = s->isolated && p->amt ? fx_mul(abs64(p->amt), p->entry) / s->leverage : 0;
    int64_t fee = p->amt > 0 ? a->fee_taker : -a->fee_taker;
    dstr_printf(out, "{\"symbol\":\"%s\",\"positionSide\":\"%s\",\"positionAmt\":", s->name,
                ps_names[ps]);
    fx_json(out, p->amt, s->qty_dec);
    dstr_puts(out, ",\"entryPrice\":");
    fx_json(out, p->entry, 8);
    dstr_puts(out, ",\"breakEvenPrice\":");
    fx_json(out, p->amt ? p->entry + fx_mul(p->entry, fee) : 0, 8);
    dstr_puts(out, ",\"markPrice\":");
    fx_json(out, mark, 8);
    dstr_puts(out, ",\"unRealizedProfit\":");
    fx_json(out, upnl(p, mark), 8);
    dstr_puts(out, ",\"liquidationPrice\":");
    fx_json(out, liquidation_price(a, s, p), 8);
    dstr_puts(out, ",\"isolatedMargin\":");
    fx_json(out, iso ? iso + upnl(p, mark) : 0, 8);
    dstr_puts(out, ",\"notional\":");
    fx_json(out, notional, 8);
    dstr_puts(out, ",\"marginAsset\":\"USDT\",\"isolatedWallet\":");
    fx_json(out, iso, 8);
    dstr_puts(out, ",\"initialMargin\":");
    fx_json(out, im + order_im, 8);
    dstr_puts(out, ",\"maintMargin\":");
    fx_json(out, fx_mul(abs64(notional), a->maint_rate), 8);
    dstr_puts(out, ",\"positionInitialMargin\":");
    fx_json(out, im, 8);
    dstr_puts(out, ",\"openOrderInitialMargin\":");
    fx_json(out, order_im, 8);
    dstr_printf(out, ",\"adl\":%d,\"bidNotional\":\"0\",\"askNotional\":\"0\",\"updateTime\":%lld}",
                p->amt ? 1 : 0, (long long)p->update_time);
}

/* v3 positionRisk: the sides of symbols that have a position or open orders. */
static void positions_json(fake_account *a, const symbol *only, int64_t now, dstr *out) {
    dstr_putc(out, '[');
    int first = 1;
    for (size_t i = 0; i < a->n_syms; i++) {
        if (only && only != &a->syms[i]) continue;
        int orders = has_open_orders(a, i, 0);
        for (int k = 0; k < N_PS; k++) {
            if ((k == PS_BOTH) == a->dual) continue;
            if (!a->syms[i].pos[k].amt && !orders) continue;
            if (!first) dstr_putc(out, ',');
            first = 0;
            position_json(a, i, k, now, out);
        }
    }
    dstr_putc(out, ']');
}

static void balance_json(fake_account *a, int64_t now, dstr *out) {
    totals t = account_totals(a, now);
    int64_t avail = available_balance(a, now);
    dstr_puts(out, "{\"accountAlias\":\"FakeSgsR\",\"asset\":\"USDT\",\"balance\":");
    fx_json(out, a->wallet, 8);
    dstr_puts(out, ",\"crossWalletBalance\":");
    fx_json(out, a->wallet, 8);
    dstr_puts(out, ",\"crossUnPnl\":");
    fx_json(out, t.upnl, 8);
    dstr_puts(out, ",\"availableBalance\":");
    fx_json(out, avail, 8);
    dstr_puts(out, ",\"maxWithdrawAmount\":");
    fx_json(out, min64(avail, a->wallet > 0 ? a->wallet : 0), 8);
    dstr_printf(out, ",\"marginAvailable\":true,\"updateTime\":%lld}", (long long)now);
}

static void fill_json(const fake_account *a, const fill *f, dstr *out) {
    const symbol *s = &a->syms[f->sym];
    dstr_printf(out, "{\"buyer\":%s,\"commission\":", f->side > 0 ? "true" : "false");
    fx_json(out, f->commission, 8);
    dstr_printf(out,
                ",\"commissionAsset\":\"USDT\",\"id\":%lld,\"maker\":%s,\"orderId\":%lld,"
                "\"price\":",
                (long long)f->id, f->maker ? "true" : "false", (long long)f->order_id);
    fx_json(out, f->price, s->price_dec);
    dstr_puts(out, ",\"qty\":");
    fx_json(out, f->qty, s->qty_dec);
    dstr_puts(out, ",\"quoteQty\":");
    fx_json(out, f->quote, 8);
    dstr_puts(out, ",\"realizedPnl\":");
    fx_json(out, f->realized, 8);
    dstr_printf(out, ",\"side\":\"%s\",\"positionSide\":\"%s\",\"symbol\":\"%s\",\"time\":%lld}",
                side_name(f->side), ps_names[f->ps], s->name, (long long)f->time);
}

static void income_json(const fake_account *a, const income *in, dstr *out) {
    dstr_printf(out, "{\"symbol\":\"%s\",\"incomeType\":\"%s\",\"income\":", a->syms[in->sym].name,
                income_names[in->type]);
    fx_json(out, in->amount, 8);
    dstr_printf(out,
                ",\"asset\":\"USDT\",\"info\":\"%s\",\"time\":%lld,\"tranId\":%lld,"
                "\"tradeId\":",
                income_names[in->type], (long long)in->time, (long long)in->tran_id);
    if (in->trade_id) dstr_printf(out, "\"%lld\"}", (long long)in->trade_id);
    else dstr_puts(out, "\"\"}");
}

static void max_notional_json(int leverage, dstr *out) {
    /* BTCUSDT-like brackets: the higher the leverage, the smaller the cap */
    static const struct {
        int min_leverage;
        const char *cap;
    } brackets[] = {{101, "50000"},   {51, "600000"},  {21, "3000000"},
                    {11, "12000000"}, {6, "70000000"}, {1, "100000000"}};
    for (size_t i = 0; i < sizeof brackets / sizeof brackets[0]; i++) {
        if (leverage < brackets[i].min_leverage) continue;
        dstr_printf(out, "\"%s\"", brackets[i].cap);
        return;
    }
}

static void symbol_config_json(const symbol *s, dstr *out) {
    dstr_printf(out,
                "{\"symbol\":\"%s\",\"marginType\":\"%s\",\"isAutoAddMargin\":false,"
                "\"leverage\":%d,\"maxNotionalValue\":",
                s->name, s->isolated ? "ISOLATED" : "CROSSED", s->leverage);
    max_notional_json(s->leverage, out);
    dstr_putc(out, '}');
}

/* ---- endpoints ------------------------------------------------------------------------- */

static size_t sym_index(const fake_account *a, const symbol *s) { return (size_t)(s - a->syms); }

static int ok_success(call *c) {
    dstr_puts(&c->out->body, "{\"code\":200,\"msg\":\"success\"}");
    return 0;
}

static int h_dual_get(fake_account *a, call *c) {
    dstr_printf(&c->out->body, "{\"dualSidePosition\":%s}", a->dual ? "true" : "false");
    return 0;
}

static int h_dual_post(fake_account *a, call *c) {
    const char *v = mandatory(c, "dualSidePosition");
    if (!v) return -1;
    int want;
    if (bool_param(c, "dualSidePosition", &want)) return -1;
    if (want == a->dual) return fail(c->out, 400, -4059, "No need to change position side.");
    if (has_open_orders(a, 0, 1))
        return fail(c->out, 400, -4067,
                    "Position side cannot be changed if there exists open orders.");
    if (has_position(a, 0, 1))
        return fail(c->out, 400, -4068,
                    "Position side cannot be changed if there exists position.");
    a->dual = want;
    return ok_success(c);
}

static int h_symbol_config(fake_account *a, call *c) {
    const symbol *only = NULL;
    if (param(c, "symbol") && !(only = symbol_param(a, c))) return -1;
    dstr_putc(&c->out->body, '[');
    int first = 1;
    for (size_t i = 0; i < a->n_syms; i++) {
        if (only && only != &a->syms[i]) continue;
        if (!first) dstr_putc(&c->out->body, ',');
        first = 0;
        symbol_config_json(&a->syms[i], &c->out->body);
    }
    dstr_putc(&c->out->body, ']');
    return 0;
}

static int h_margin_type(fake_account *a, call *c) {
    symbol *s = symbol_param(a, c);
    const char *t = s ? mandatory(c, "marginType") : NULL;
    if (!t) return -1;
    int iso = strcmp(t, "ISOLATED") == 0;
    if (!iso && strcmp(t, "CROSSED") != 0) return not_valid(c, "marginType");
    if (iso == s->isolated) return fail(c->out, 400, -4046, "No need to change margin type.");
    if (has_open_orders(a, sym_index(a, s), 0))
        return fail(c->out, 400, -4047,
                    "Margin type cannot be changed if there exists open orders.");
    if (has_position(a, sym_index(a, s), 0))
        return fail(c->out, 400, -4048, "Margin type cannot be changed if there exists position.");
    s->isolated = iso;
    return ok_success(c);
}

static int h_leverage(fake_account *a, call *c) {
    symbol *s = symbol_param(a, c);
    const char *v = s ? mandatory(c, "leverage") : NULL;
    if (!v) return -1;
    int64_t lev;
    if (uint_text(v, &lev) || lev < 1 || lev > 125)
        return fail(c->out, 400, -4028, "Leverage %s is not valid", v);
    s->leverage = (int)lev;
    dstr_printf(&c->out->body, "{\"leverage\":%d,\"maxNotionalValue\":", s->leverage);
    max_notional_json(s->leverage, &c->out->body);
    dstr_printf(&c->out->body, ",\"symbol\":\"%s\"}", s->name);
    return 0;
}

static int h_balance(fake_account *a, call *c) {
    dstr_putc(&c->out->body, '[');
    balance_json(a, c->now, &c->out->body);
    dstr_putc(&c->out->body, ']');
    return 0;
}

static int h_account(fake_account *a, call *c) {
    totals t = account_totals(a, c->now);
    int64_t avail = available_balance(a, c->now);
    dstr *o = &c->out->body;
    const struct {
        const char *name;
        int64_t v;
    } fields[] = {{"totalInitialMargin", t.position_margin + t.order_margin},
                  {"totalMaintMargin", t.maint},
                  {"totalWalletBalance", a->wallet},
                  {"totalUnrealizedProfit", t.upnl},
                  {"totalMarginBalance", a->wallet + t.upnl},
                  {"totalPositionInitialMargin", t.position_margin},
                  {"totalOpenOrderInitialMargin", t.order_margin},
                  {"totalCrossWalletBalance", a->wallet},
                  {"totalCrossUnPnl", t.upnl},
                  {"availableBalance", avail},
                  {"maxWithdrawAmount", min64(avail, a->wallet > 0 ? a->wallet : 0)}};
    dstr_putc(o, '{');
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        dstr_printf(o, "\"%s\":", fields[i].name);
        fx_json(o, fields[i].v, 8);
        dstr_putc(o, ',');
    }
    dstr_puts(o, "\"assets\":[");
    balance_json(a, c->now, o);
    dstr_puts(o, "],\"positions\":");
    positions_json(a, NULL, c->now, o);
    dstr_putc(o, '}');
    return 0;
}

static int h_position_risk(fake_account *a, call *c) {
    const symbol *only = NULL;
    if (param(c, "symbol") && !(only = symbol_param(a, c))) return -1;
    positions_json(a, only, c->now, &c->out->body);
    return 0;
}

static int h_open_orders(fake_account *a, call *c) {
    const symbol *only = NULL;
    if (param(c, "symbol") && !(only = symbol_param(a, c))) return -1;
    dstr_putc(&c->out->body, '[');
    int first = 1;
    for (size_t i = 0; i < a->orders.n; i++) {
        const order *o = &a->orders.v[i];
        if (o->status != ST_NEW || (only && &a->syms[o->sym] != only)) continue;
        if (!first) dstr_putc(&c->out->body, ',');
        first = 0;
        order_json(a, o, &c->out->body);
    }
    dstr_putc(&c->out->body, ']');
    return 0;
}

/* positionSide against the account's mode (-4061 on a mismatch). */
static int position_side_param(fake_account *a, call *c, int *ps) {
    const char *v = param(c, "positionSide");
    *ps = PS_BOTH;
    if (v) {
        for (*ps = 0; *ps < N_PS && strcmp(v, ps_names[*ps]) != 0; ++*ps) {
        }
        if (*ps == N_PS) return not_valid(c, "positionSide");
    }
    if ((*ps == PS_BOTH) == a->dual)
        return fail(c->out, 400, -4061, "Order's position side does not match user's setting.");
    return 0;
}

static int side_param(call *c, int *side) {
    const char *v = mandatory(c, "side");
    if (!v) return -1;
    if (strcmp(v, "BUY") && strcmp(v, "SELL")) return fail(c->out, 400, -1117, "Invalid side.");
    *side = strcmp(v, "BUY") == 0 ? 1 : -1;
    return 0;
}

/* A quantity on the symbol's step grid (MARKET_LOT_SIZE for market orders). */
static int quantity_param(const symbol *s, call *c, int market, int64_t *qty) {
    const char *v = mandatory(c, "quantity");
    if (!v) return -1;
    int dec, rc = fx_parse(v, 0, qty, &dec);
    if (rc == -1)
        return fail(c->out, 400, -1100,
                    "Illegal characters found in parameter 'quantity'; legal range is "
                    "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.");
    if (rc == -2 || dec > s->qty_dec)
        return fail(c->out, 400, -1111, "Precision is over the maximum defined for this asset.");
    if (*qty <= 0) return fail(c->out, 400, -4003, "Quantity less than or equal to zero.");
    int64_t step = market ? s->mstep : s->step, min = market ? s->mmin_qty : s->min_qty;
    int64_t max = market ? s->mmax_qty : s->max_qty;
    if (*qty < min) return fail(c->out, 400, -4004, "Quantity less than min quantity.");
    if (*qty > max) return fail(c->out, 400, -4005, "Quantity greater than max quantity.");
    if (step && (*qty - min) % step)
        return fail(c->out, 400, -4023, "Quantity not increased by step size.");
    return 0;
}

/* A price (limit or trigger) on the symbol's tick grid. */
static int price_param(const symbol *s, call *c, const char *name, int64_t *price) {
    const char *v = mandatory(c, name);
    if (!v) return -1;
    int dec, rc = fx_parse(v, 0, price, &dec);
    if (rc == -1)
        return fail(c->out, 400, -1100,
                    "Illegal characters found in parameter '%s'; legal range is "
                    "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
                    name);
    if (rc == -2 || dec > s->price_dec)
        return fail(c->out, 400, -1111, "Precision is over the maximum defined for this asset.");
    if (*price < s->min_price) return fail(c->out, 400, -4013, "Price less than min price.");
    if (s->max_price && *price > s->max_price)
        return fail(c->out, 400, -4016, "Price greater than max price.");
    if (s->tick && (*price - s->min_price) % s->tick)
        return fail(c->out, 400, -4014, "Price not increased by tick size.");
    return 0;
}

static int mark_param(fake_account *a, const symbol *s, call *c, int64_t *mark) {
    if (mark_of(a, s, c->now, mark) == 0) return 0;
    return fail(c->out, 400, -1000, "fake_binance: no mark price for %s (script a path)", s->name);
}

/* A client id: valid, and not one of an open order's (orders or algo orders). */
static int client_id_param(fake_account *a, call *c, const char *name, int algo_ids, char *out,
                           int64_t next_id) {
    const char *v = param(c, name);
    if (!v) {
        snprintf(out, 40, "fake%s%lld", algo_ids ? "algo" : "", (long long)next_id);
        return 0;
    }
    if (!client_id_valid(v)) return fail(c->out, 400, -4015, "Client order id is not valid.");
    if (algo_ids) {
        for (size_t i = 0; i < a->algos.n; i++)
            if (a->algos.v[i].status == AL_NEW && strcmp(a->algos.v[i].cid, v) == 0)
                return fail(c->out, 400, -4116, "ClientOrderId is duplicated.");
    } else {
        for (size_t i = 0; i < a->orders.n; i++)
            if (a->orders.v[i].status == ST_NEW && strcmp(a->orders.v[i].cid, v) == 0)
                return fail(c->out, 400, -4116, "ClientOrderId is duplicated.");
    }
    snprintf(out, 40, "%s", v);
    return 0;
}

static int is_conditional_type(const char *t) {
    static const char *const names[] = {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                                        "TRAILING_STOP_MARKET"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(t, names[i]) == 0) return 1;
    return 0;
}

static int h_order_post(fake_account *a, call *c) {
    symbol *s = symbol_param(a, c);
    int side;
    if (!s || side_param(c, &side)) return -1;
    const char *type = mandatory(c, "type");
    if (!type) return -1;
    if (is_conditional_type(type))
        return fail(c->out, 400, -4120,
                    "Order type not supported for this endpoint. Please use the Algo Order API "
                    "endpoints instead.");
    int market = strcmp(type, "MARKET") == 0;
    if (!market && strcmp(type, "LIMIT") != 0)
        return fail(c->out, 400, -1116, "Invalid orderType.");
    int ps, reduce;
    if (position_side_param(a, c, &ps) || bool_param(c, "reduceOnly", &reduce)) return -1;
    if (a->dual && param(c, "reduceOnly")) return not_required(c, "reduceOnly");
    const char *resp_type = param(c, "newOrderRespType");
    if (resp_type && strcmp(resp_type, "ACK") && strcmp(resp_type, "RESULT"))
        return not_valid(c, "newOrderRespType");
    char cid[40];
    int64_t qty, price = 0, mark;
    if (client_id_param(a, c, "newClientOrderId", 0, cid, a->next_order_id) ||
        quantity_param(s, c, market, &qty) || mark_param(a, s, c, &mark))
        return -1;
    const char *tif = "GTC";
    if (market) {
        if (param(c, "price")) return not_required(c, "price");
        if (param(c, "timeInForce")) return not_required(c, "timeInForce");
    } else {
        if (!(tif = mandatory(c, "timeInForce")) || price_param(s, c, "price", &price)) return -1;
        if (strcmp(tif, "GTC") && strcmp(tif, "IOC") && strcmp(tif, "FOK") && strcmp(tif, "GTX") &&
            strcmp(tif, "GTD"))
            return not_valid(c, "timeInForce");
        if (side > 0 && s->mult_up && price > fx_mul(mark, s->mult_up)) {
            dstr cap = {0};
            fx_put(&cap, fx_mul(mark, s->mult_up), s->price_dec);
            fail(c->out, 400, -4016, "Limit price can't be higher than %s.", cap.ptr);
            dstr_free(&cap);
            return -1;
        }
        if (side < 0 && s->mult_down && price < fx_mul(mark, s->mult_down)) {
            dstr cap = {0};
            fx_put(&cap, fx_mul(mark, s->mult_down), s->price_dec);
            fail(c->out, 400, -4024, "Limit price can't be lower than %s.", cap.ptr);
            dstr_free(&cap);
            return -1;
        }
    }
    int64_t at = market ? mark : price;
    if (!reduce && fx_mul(qty, at) < s->min_notional)
        return fail(c->out, 400, -4164,
                    "Order's notional must be no smaller than %s (unless you choose reduce only).",
                    s->min_notional_text);
    int closing = reduce || closes_hedge(ps, side);
    if (closing && reducible(s, ps, side) == 0)
        return fail(c->out, 400, -2022, "ReduceOnly Order is rejected.");
    if (!closing && margin_needed(s, ps, side, qty, at) > available_balance(a, c->now))
        return fail(c->out, 400, -2019, "Margin is insufficient.");
    int marketable = market || (side > 0 ? mark <= price : mark >= price);
    if (!market && marketable && strcmp(tif, "GTX") == 0)
        return fail(c->out, 400, -5022,
                    "Due to the order could not be executed as maker, the Post Only order will be "
                    "rejected. The order will not be recorded in the order history");
    order *o = new_order(a, sym_index(a, s), side, ps, qty, c->now);
    o->market = market;
    o->price = price;
    o->reduce_only = reduce;
    memcpy(o->cid, cid, sizeof o->cid);
    snprintf(o->tif, sizeof o->tif, "%s", tif);
    int64_t id = o->id;
    int result = resp_type && strcmp(resp_type, "RESULT") == 0;
    if (!result) order_json(a, o, &c->out->body); /* ACK: as accepted, before matching */
    if (marketable) execute(a, o, mark, 0, c->now);
    else if (strcmp(tif, "IOC") == 0 || strcmp(tif, "FOK") == 0) o->status = ST_EXPIRED;
    if (result) order_json(a, order_by_id(a, id), &c->out->body);
    return 0;
}

/* The order named by orderId or origClientOrderId on the symbol. */
static order *order_param(fake_account *a, call *c, const symbol *s, int code, const char *msg) {
    int has_id;
    int64_t id = 0;
    if (int_param(c, "orderId", &has_id, &id)) return NULL;
    const char *cid = param(c, "origClientOrderId");
    if (!has_id && !cid) {
        fail(c->out, 400, -1102,
             "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
        return NULL;
    }
    order *found = NULL;
    for (size_t i = 0; i < a->orders.n; i++) {
        order *o = &a->orders.v[i];
        if (&a->syms[o->sym] != s) continue;
        if ((has_id && o->id == id) || (!has_id && strcmp(o->cid, cid) == 0)) found = o;
    }
    if (!found) fail(c->out, 400, code, "%s", msg);
    return found;
}

static int h_order_get(fake_account *a, call *c) {
    symbol *s = symbol_param(a, c);
    order *o = s ? order_param(a, c, s, -2013, "Order does not exist.") : NULL;
    if (!o) return -1;
    order_json(a, o, &c->out->body);
    return 0;
}

static int h_order_delete(fake_account *a, call *c) {
    symbol *s = symbol_param(a, c);
    order *o = s ? order_param(a, c, s, -2011, "Unknown order sent.") : NULL;
    if (!o) return -1;
    if (o->status != ST_NEW) return fail(c->out, 400, -2011, "Unknown order sent.");
    o->status = ST_CANCELED;
    o->update_time = c->now;
    order_json(a, o, &c->out->body);
    return 0;
}

static int h_all_open_orders_delete(fake_account *a, call *c) {
    symbol *s = symbol_param(a, c);
    if (!s) return -1;
    for (size_t i = 0; i < a->orders.n; i++) {
        order *o = &a->orders.v[i];
        if (&a->syms[o->sym] == s && o->status == ST_NEW) {
            o->status = ST_CANCELED;
            o->update_time = c->now;
        }
    }
    dstr_puts(&c->out->body,
              "{\"code\":200,\"msg\":\"The operation of cancel all open order is done.\"}");
    return 0;
}

static int h_algo_post(fake_account *a, call *c) {
    const char *algo_type = mandatory(c, "algoType");
    if (!algo_type) return -1;
    if (strcmp(algo_type, "CONDITIONAL")) return not_valid(c, "algoType");
    symbol *s = symbol_param(a, c);
    int side;
    if (!s || side_param(c, &side)) return -1;
    const char *type = mandatory(c, "type");
    if (!type) return -1;
    int tp = strcmp(type, "TAKE_PROFIT_MARKET") == 0;
    if (!tp && strcmp(type, "STOP_MARKET") != 0) {
        if (is_conditional_type(type))
            return fail(c->out, 400, -1000, "fake_binance: algo type %s is not modelled", type);
        return fail(c->out, 400, -1116, "Invalid orderType.");
    }
    int ps, reduce, close, protect;
    if (position_side_param(a, c, &ps) || bool_param(c, "reduceOnly", &reduce) ||
        bool_param(c, "closePosition", &close) || bool_param(c, "priceProtect", &protect))
        return -1;
    if (a->dual && param(c, "reduceOnly")) return not_required(c, "reduceOnly");
    if (close && param(c, "reduceOnly")) return not_required(c, "reduceOnly");
    if (close && param(c, "quantity"))
        return fail(c->out, 400, -4137, "Quantity must be zero with closePosition equals true.");
    const char *working = param(c, "workingType");
    if (working && strcmp(working, "MARK_PRICE") && strcmp(working, "CONTRACT_PRICE"))
        return not_valid(c, "workingType");
    char cid[40];
    int64_t qty = 0, trigger, mark;
    if (client_id_param(a, c, "clientAlgoId", 1, cid, a->next_algo_id) ||
        (!close && quantity_param(s, c, 1, &qty)) || price_param(s, c, "triggerPrice", &trigger) ||
        mark_param(a, s, c, &mark))
        return -1;
    size_t open = 0;
    for (size_t i = 0; i < a->algos.n; i++) open += a->algos.v[i].status == AL_NEW;
    if (open >= MAX_ALGO_OPEN) return fail(c->out, 400, -4045, "Reach max stop order limit.");
    algo probe = {.side = side, .take_profit = tp, .trigger = trigger};
    if (algo_fires(&probe, mark))
        return fail(c->out, 400, -2021, "Order would immediately trigger.");
    algo *g = VEC_PUSH(a->algos);
    *g = (algo){.id = a->next_algo_id++,
                .sym = sym_index(a, s),
                .side = side,
                .take_profit = tp,
                .ps = ps,
                .qty = qty,
                .trigger = trigger,
                .mark_price = working && strcmp(working, "MARK_PRICE") == 0,
                .price_protect = protect,
                .reduce_only = reduce,
                .close_position = close,
                .status = AL_NEW,
                .create_time = c->now,
                .update_time = c->now};
    memcpy(g->cid, cid, sizeof g->cid);
    algo_json(a, g, &c->out->body);
    return 0;
}

static algo *algo_param(fake_account *a, call *c, int code, const char *msg) {
    int has_id;
    int64_t id = 0;
    if (int_param(c, "algoId", &has_id, &id)) return NULL;
    const char *cid = param(c, "clientAlgoId");
    if (!has_id && !cid) {
        fail(c->out, 400, -1102,
             "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!");
        return NULL;
    }
    algo *found = NULL;
    for (size_t i = 0; i < a->algos.n; i++) {
        algo *g = &a->algos.v[i];
        if ((has_id && g->id == id) || (!has_id && strcmp(g->cid, cid) == 0)) found = g;
    }
    if (!found) fail(c->out, 400, code, "%s", msg);
    return found;
}

static int h_algo_get(fake_account *a, call *c) {
    algo *g = algo_param(a, c, -2013, "Order does not exist.");
    if (!g) return -1;
    algo_json(a, g, &c->out->body);
    return 0;
}

static int h_algo_delete(fake_account *a, call *c) {
    algo *g = algo_param(a, c, -2011, "Unknown order sent.");
    if (!g) return -1;
    if (g->status != AL_NEW) return fail(c->out, 400, -2011, "Unknown order sent.");
    g->status = AL_CANCELED;
    g->update_time = c->now;
    dstr_printf(&c->out->body, "{\"algoId\":%lld,\"clientAlgoId\":", (long long)g->id);
    dstr_json_str(&c->out->body, g->cid);
    dstr_puts(&c->out->body, ",\"code\":\"200\",\"msg\":\"success\"}");
    return 0;
}

static void algos_json(fake_account *a, const symbol *only, int open_only, dstr *out) {
    dstr_putc(out, '[');
    int first = 1;
    for (size_t i = 0; i < a->algos.n; i++) {
        const algo *g = &a->algos.v[i];
        if ((open_only && g->status != AL_NEW) || (only && &a->syms[g->sym] != only)) continue;
        if (!first) dstr_putc(out, ',');
        first = 0;
        algo_json(a, g, out);
    }
    dstr_putc(out, ']');
}

static int h_open_algo_orders(fake_account *a, call *c) {
    const symbol *only = NULL;
    if (param(c, "symbol") && !(only = symbol_param(a, c))) return -1;
    algos_json(a, only, 1, &c->out->body);
    return 0;
}

static int h_all_algo_orders(fake_account *a, call *c) {
    const symbol *only = symbol_param(a, c);
    if (!only) return -1;
    algos_json(a, only, 0, &c->out->body);
    return 0;
}

static int h_algo_open_orders_delete(fake_account *a, call *c) {
    symbol *s = symbol_param(a, c);
    if (!s) return -1;
    for (size_t i = 0; i < a->algos.n; i++) {
        algo *g = &a->algos.v[i];
        if (&a->syms[g->sym] == s && g->status == AL_NEW) {
            g->status = AL_CANCELED;
            g->update_time = c->now;
        }
    }
    dstr_puts(&c->out->body,
              "{\"code\":200,\"msg\":\"The operation of cancel all open order is done.\"}");
    return 0;
}

/* startTime/endTime/limit selection shared by userTrades and income: with a
 * startTime the first `limit` from it, otherwise the newest `limit`. */
typedef struct window {
    int has_start, has_end;
    int64_t start, end, limit;
} window;

static int window_params(call *c, int64_t def_limit, int64_t max_limit, window *w) {
    int has_limit;
    w->limit = def_limit;
    if (int_param(c, "startTime", &w->has_start, &w->start) ||
        int_param(c, "endTime", &w->has_end, &w->end) ||
        int_param(c, "limit", &has_limit, &w->limit))
        return -1;
    if (has_limit && (w->limit < 1 || w->limit > max_limit)) return not_valid(c, "limit");
    if (w->has_start && w->has_end && w->start > w->end)
        return fail(c->out, 400, -1023, "Start time is greater than end time.");
    return 0;
}

static int in_window(const window *w, int64_t t) {
    return (!w->has_start || t >= w->start) && (!w->has_end || t <= w->end);
}

/* Index range [*from, n) of matches to show, given the match flags. */
static void window_pick(const window *w, const unsigned char *match, size_t n, size_t *from,
                        size_t *count) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += match[i];
    size_t skip = !w->has_start && total > (size_t)w->limit ? total - (size_t)w->limit : 0;
    *from = 0;
    for (size_t seen = 0; *from < n && seen < skip; ++*from) seen += match[*from];
    *count = total - skip < (size_t)w->limit ? total - skip : (size_t)w->limit;
}

/* Appends the selected rows as a JSON array, rendered by row; frees match. */
static void window_json(const fake_account *a, const window *w, unsigned char *match, size_t n,
                        void (*row)(const fake_account *a, size_t i, dstr *out), dstr *out) {
    size_t from, count;
    window_pick(w, match, n, &from, &count);
    dstr_putc(out, '[');
    for (size_t i = from, shown = 0; i < n && shown < count; i++) {
        if (!match[i]) continue;
        if (shown++) dstr_putc(out, ',');
        row(a, i, out);
    }
    dstr_putc(out, ']');
    free(match);
}

static void fill_row(const fake_account *a, size_t i, dstr *out) {
    fill_json(a, &a->fills.v[i], out);
}

static void income_row(const fake_account *a, size_t i, dstr *out) {
    income_json(a, &a->incomes.v[i], out);
}

static int h_user_trades(fake_account *a, call *c) {
    symbol *s = symbol_param(a, c);
    window w;
    int has_from;
    int64_t from_id = 0;
    if (!s || window_params(c, 500, 1000, &w) || int_param(c, "fromId", &has_from, &from_id))
        return -1;
    unsigned char *match = calloc(a->fills.n + 1, 1);
    if (!match) abort();
    for (size_t i = 0; i < a->fills.n; i++) {
        const fill *f = &a->fills.v[i];
        match[i] =
            &a->syms[f->sym] == s && in_window(&w, f->time) && (!has_from || f->id >= from_id);
    }
    if (has_from) w.has_start = 1; /* fromId counts forward like startTime */
    window_json(a, &w, match, a->fills.n, fill_row, &c->out->body);
    return 0;
}

static int h_income(fake_account *a, call *c) {
    const symbol *only = NULL;
    if (param(c, "symbol") && !(only = symbol_param(a, c))) return -1;
    const char *type = param(c, "incomeType");
    window w;
    if (window_params(c, 100, 1000, &w)) return -1;
    unsigned char *match = calloc(a->incomes.n + 1, 1);
    if (!match) abort();
    for (size_t i = 0; i < a->incomes.n; i++) {
        const income *in = &a->incomes.v[i];
        match[i] = (!only || &a->syms[in->sym] == only) && in_window(&w, in->time) &&
                   (!type || strcmp(type, income_names[in->type]) == 0);
    }
    window_json(a, &w, match, a->incomes.n, income_row, &c->out->body);
    return 0;
}

/* ---- routing, keys, signatures, time ------------------------------------------------- */

static const struct route {
    const char *method, *path;
    int (*handle)(fake_account *a, call *c);
    long weight, weight_all; /* weight_all: without a symbol */
    int places_order;
} routes[] = {
    {"GET", "/fapi/v1/positionSide/dual", h_dual_get, 30, 30, 0},
    {"POST", "/fapi/v1/positionSide/dual", h_dual_post, 1, 1, 0},
    {"GET", "/fapi/v1/symbolConfig", h_symbol_config, 5, 5, 0},
    {"POST", "/fapi/v1/marginType", h_margin_type, 1, 1, 0},
    {"POST", "/fapi/v1/leverage", h_leverage, 1, 1, 0},
    {"GET", "/fapi/v3/balance", h_balance, 5, 5, 0},
    {"GET", "/fapi/v2/balance", h_balance, 5, 5, 0},
    {"GET", "/fapi/v3/account", h_account, 5, 5, 0},
    {"GET", "/fapi/v3/positionRisk", h_position_risk, 5, 5, 0},
    {"GET", "/fapi/v1/openOrders", h_open_orders, 1, 40, 0},
    {"POST", "/fapi/v1/order", h_order_post, 0, 0, 1},
    {"GET", "/fapi/v1/order", h_order_get, 1, 1, 0},
    {"DELETE", "/fapi/v1/order", h_order_delete, 1, 1, 0},
    {"DELETE", "/fapi/v1/allOpenOrders", h_all_open_orders_delete, 1, 1, 0},
    {"POST", "/fapi/v1/algoOrder", h_algo_post, 0, 0, 1},
    {"GET", "/fapi/v1/algoOrder", h_algo_get, 1, 1, 0},
    {"DELETE", "/fapi/v1/algoOrder", h_algo_delete, 1, 1, 0},
    {"GET", "/fapi/v1/openAlgoOrders", h_open_algo_orders, 1, 40, 0},
    {"GET", "/fapi/v1/allAlgoOrders", h_all_algo_orders, 5, 5, 0},
    {"DELETE", "/fapi/v1/algoOpenOrders", h_algo_open_orders_delete, 1, 1, 0},
    {"GET", "/fapi/v1/userTrades", h_user_trades, 5, 5, 0},
    {"GET", "/fapi/v1/income", h_income, 30, 30, 0},
};

static const struct route *find_route(const char *method, const char *path) {
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(routes[i].method, method) == 0 && strcmp(routes[i].path, path) == 0)
            return &routes[i];
    return NULL;
}

int fa_is_route(const fake_request *req) { return find_route(req->method, req->path) != NULL; }

long fa_weight(const fake_request *req) {
    const struct route *r = find_route(req->method, req->path);
    if (!r) return 1;
    return fake_request_param(req, "symbol") ? r->weight : r->weight_all;
}

int64_t fa_server_time(fake_account *a) {
    pthread_mutex_lock(&a->lock);
    int64_t now = fake_clock_now() + a->clock_offset_ms;
    pthread_mutex_unlock(&a->lock);
    return now;
}

/* Where "signature=" starts in text (a whole parameter), or NULL. */
static const char *find_signature(const char *text, size_t n) {
    static const char key[] = "signature=";
    for (size_t i = 0; i + sizeof key - 1 <= n; i++)
        if ((i == 0 || text[i - 1] == '&') && memcmp(text + i, key, sizeof key - 1) == 0)
            return text + i;
    return NULL;
}

/* The signature must be the last parameter of the query or of the body; the
 * signed bytes are the query then the body, without it (trading-apis §1.2). */
static int check_signature(const fake_account *a, const fake_request *req, int use_body,
                           fake_reply *out) {
    const char *q = req->query, *b = use_body ? req->body : "";
    size_t qn = strlen(q), bn = use_body ? req->body_len : 0;
    const char *sig = find_signature(q, qn);
    int in_query = sig != NULL;
    if (!sig) sig = find_signature(b, bn);
    const char *end = in_query ? q + qn : b + bn;
    if (!sig || sig + strlen("signature=") == end)
        return fail(out, 400, -1102,
                    "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
    const char *value = sig + strlen("signature=");
    if (memchr(value, '&', (size_t)(end - value)))
        return fail(out, 400, -1022, "Signature for this request is not valid.");
    dstr payload = {0};
    const char *cut = sig > (in_query ? q : b) ? sig - 1 : sig; /* drop the '&' before it */
    if (in_query) {
        dstr_append(&payload, q, (size_t)(cut - q));
        dstr_append(&payload, b, bn);
    } else {
        dstr_append(&payload, q, qn);
        dstr_append(&payload, b, (size_t)(cut - b));
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), a->api_secret, (int)strlen(a->api_secret),
         (const unsigned char *)(payload.ptr ? payload.ptr : ""), payload.len, mac, &mac_len);
    dstr_free(&payload);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned i = 0; i < mac_len; i++) snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    size_t vn = (size_t)(end - value);
    if (vn != 2 * (size_t)mac_len || strncasecmp(value, hex, vn) != 0)
        return fail(out, 400, -1022, "Signature for this request is not valid.");
    return 0;
}

static int check_timestamp(const call *c, int64_t server_now) {
    const char *ts = param(c, "timestamp");
    int64_t t, recv_window = 5000;
    if (!ts || uint_text(ts, &t))
        return fail(c->out, 400, -1102,
                    "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
    const char *rw = param(c, "recvWindow");
    if (rw && uint_text(rw, &recv_window))
        return fail(c->out, 400, -1100,
                    "Illegal characters found in parameter 'recvWindow'; legal range is "
                    "'^[0-9]{1,20}$'.");
    if (t >= server_now + 1000)
        return fail(c->out, 400, -1021,
                    "Timestamp for this request was 1000ms ahead of the server's time.");
    if (server_now - t > recv_window)
        return fail(c->out, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
    return 0;
}

static int form_body(const fake_request *req) {
    const char *type = fake_request_header(req, "content-type");
    return req->body_len &&
           (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0);
}

/* Order-rate counters of the current 10 s and 1 min windows (wall clock). Locked. */
static void count_order(fake_account *a, int64_t now) {
    if (now / 10000 != a->count_10s_bucket) {
        a->count_10s_bucket = now / 10000;
        a->count_10s = 0;
    }
    if (now / 60000 != a->count_1m_bucket) {
        a->count_1m_bucket = now / 60000;
        a->count_1m = 0;
    }
    a->count_10s++;
    a->count_1m++;
}

void fa_decorate(fake_account *a, const fake_request *req, fake_reply *out) {
    const struct route *r = find_route(req->method, req->path);
    if (!r || !r->places_order) return;
    char text[32];
    pthread_mutex_lock(&a->lock);
    long n10 = a->count_10s, n60 = a->count_1m;
    pthread_mutex_unlock(&a->lock);
    snprintf(text, sizeof text, "%ld", n10);
    fake_reply_header(out, "X-MBX-ORDER-COUNT-10S", text, 0);
    snprintf(text, sizeof text, "%ld", n60);
    fake_reply_header(out, "X-MBX-ORDER-COUNT-1M", text, 0);
}

/* Runs a handler on the state, locked, after the orders met the current marks. */
static void run_locked(fake_account *a, const struct route *r, call *c) {
    follow_marks(a, c->now);
    if (r->handle(a, c) == 0) c->out->status = 200;
}

int fa_serve(fake_account *a, const fake_request *req, fake_reply *out) {
    const struct route *r = find_route(req->method, req->path);
    if (!r) return 0;
    const char *key = fake_request_header(req, "x-mbx-apikey");
    if (!key || !*key) {
        fail(out, 401, -2014, "API-key format invalid.");
        return 1;
    }
    if (strcmp(key, a->api_key) != 0) {
        fail(out, 401, -2015, "Invalid API-key, IP, or permissions for action.");
        return 1;
    }
    int use_body = form_body(req);
    if (check_signature(a, req, use_body, out)) return 1;
    call c = {.out = out};
    for (size_t i = 0; i < req->n_params; i++)
        fake_kv_push(&c.kv, &c.n, req->params[i].name, req->params[i].value);
    if (use_body) {
        fake_kv *body = NULL;
        size_t n = 0;
        fake_parse_form(req->body, req->body_len, &body, &n);
        for (size_t i = 0; i < n; i++)
            if (!param(&c, body[i].name)) fake_kv_push(&c.kv, &c.n, body[i].name, body[i].value);
        fake_kv_free(body, n);
    }
    pthread_mutex_lock(&a->lock);
    c.now = fake_clock_now() + a->clock_offset_ms;
    if (r->places_order) count_order(a, c.now);
    if (check_timestamp(&c, c.now) == 0) run_locked(a, r, &c);
    pthread_mutex_unlock(&a->lock);
    fake_kv_free(c.kv, c.n);
    return 1;
}

/* ---- control API (/__fake/account…) --------------------------------------------------- */

static int control_error(fake_reply *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int control_error(fake_reply *out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fake_reply_verror(out, 400, "{\"error\":", fmt, ap);
    va_end(ap);
    return 1;
}

static void state_json(fake_account *a, int64_t now, dstr *out) {
    dstr_printf(out, "{\"serverTime\":%lld,\"clockOffsetMs\":%lld,\"dualSidePosition\":%s,",
                (long long)now, (long long)a->clock_offset_ms, a->dual ? "true" : "false");
    dstr_puts(out, "\"balance\":");
    balance_json(a, now, out);
    dstr_puts(out, ",\"symbols\":[");
    for (size_t i = 0; i < a->n_syms; i++) {
        const symbol *s = &a->syms[i];
        if (i) dstr_putc(out, ',');
        symbol_config_json(s, out);
        out->len--; /* reopen the object */
        int64_t mark;
        dstr_puts(out, ",\"markPrice\":");
        if (mark_of(a, s, now, &mark) == 0) fx_json(out, mark, 8);
        else dstr_puts(out, "null");
        if (s->path)
            dstr_printf(out, ",\"path\":{\"index\":%zu,\"length\":%zu,\"step_ms\":%lld}}",
                        s->path_pos, s->path_len, (long long)s->step_ms);
        else dstr_puts(out, ",\"path\":null}");
    }
    dstr_puts(out, "],\"positions\":[");
    int first = 1;
    for (size_t i = 0; i < a->n_syms; i++)
        for (int k = 0; k < N_PS; k++) {
            if (!a->syms[i].pos[k].amt) continue;
            if (!first) dstr_putc(out, ',');
            first = 0;
            position_json(a, i, k, now, out);
        }
    dstr_puts(out, "],\"orders\":[");
    for (size_t i = 0; i < a->orders.n; i++) {
        if (i) dstr_putc(out, ',');
        order_json(a, &a->orders.v[i], out);
    }
    dstr_puts(out, "],\"algoOrders\":");
    algos_json(a, NULL, 0, out);
    dstr_puts(out, ",\"fills\":[");
    for (size_t i = 0; i < a->fills.n; i++) {
        if (i) dstr_putc(out, ',');
        fill_json(a, &a->fills.v[i], out);
    }
    dstr_puts(out, "],\"income\":[");
    for (size_t i = 0; i < a->incomes.n; i++) {
        if (i) dstr_putc(out, ',');
        income_json(a, &a->incomes.v[i], out);
    }
    dstr_puts(out, "]}");
}

static const char *json_string(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static symbol *control_symbol(fake_account *a, const cJSON *body, fake_reply *out) {
    const char *name = json_string(body, "symbol");
    symbol *s = name ? find_symbol(a, name) : NULL;
    if (!s) control_error(out, "\"symbol\" must name a symbol of exchangeInfo");
    return s;
}

static int control_price(const cJSON *v, int64_t *out) {
    return cJSON_IsString(v) && fx_parse(v->valuestring, 0, out, NULL) == 0 && *out > 0 ? 0 : -1;
}

static void mark_answer(fake_account *a, const symbol *s, size_t fills_before, long moved,
                        int64_t now, dstr *out) {
    int64_t mark;
    dstr_printf(out, "{\"symbol\":\"%s\",\"markPrice\":", s->name);
    if (mark_of(a, s, now, &mark) == 0) fx_json(out, mark, 8);
    else dstr_puts(out, "null");
    if (s->path) dstr_printf(out, ",\"index\":%zu,\"length\":%zu", s->path_pos, s->path_len);
    dstr_printf(out, ",\"moved\":%ld,\"newFills\":%zu}", moved, a->fills.n - fills_before);
}

/* {"symbol", "path": ["p0", …], "step_ms": N (optional)} | {"symbol", "price": "p"} |
 * {"symbol", "path": null} */
static int ctl_mark(fake_account *a, const cJSON *body, int64_t now, fake_reply *out) {
    symbol *s = control_symbol(a, body, out);
    if (!s) return 1;
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(body, "path");
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(body, "price");
    const cJSON *step_ms = cJSON_GetObjectItemCaseSensitive(body, "step_ms");
    size_t before = a->fills.n;
    if (step_ms && (!cJSON_IsNumber(step_ms) || step_ms->valuedouble < 1 ||
                    step_ms->valuedouble > 86400000.0 ||
                    step_ms->valuedouble != (double)(int64_t)step_ms->valuedouble))
        return control_error(out, "\"step_ms\" must be an integer in 1..86400000");
    s->step_ms = 0;
    if (cJSON_IsNull(path)) {
        free(s->path);
        s->path = NULL;
        s->path_len = s->path_pos = 0;
        s->last_mark = 0;
        follow_marks(a, now);
        mark_answer(a, s, before, 0, now, &out->body);
        return 1;
    }
    int n = price ? 1 : cJSON_GetArraySize(path);
    if ((price && path) || (!price && !cJSON_IsArray(path)) || n < 1 || n > MAX_PATH)
        return control_error(out,
                             "give \"price\" (a decimal string) or \"path\" (an array of "
                             "1..%d decimal strings, or null for the replay)",
                             MAX_PATH);
    int64_t *points = calloc((size_t)n, sizeof *points);
    if (!points) abort();
    for (int i = 0; i < n; i++)
        if (control_price(price ? price : cJSON_GetArrayItem(path, i), &points[i])) {
            free(points);
            return control_error(out, "price %d is not a positive decimal string", i);
        }
    free(s->path);
    s->path = points;
    s->path_len = (size_t)n;
    s->path_pos = 0;
    s->step_ms = step_ms ? (int64_t)step_ms->valuedouble : 0;
    s->path_t0 = wall_ms();
    evaluate(a, sym_index(a, s), points[0], now);
    mark_answer(a, s, before, 0, now, &out->body);
    return 1;
}

/* {"symbol", "n": N} (default 1) or {"symbol", "to_end": true}: the orders
 * meet every price on the way, in order. */
static int ctl_step(fake_account *a, const cJSON *body, int64_t now, fake_reply *out) {
    symbol *s = control_symbol(a, body, out);
    if (!s) return 1;
    if (!s->path)
        return control_error(out, "%s has no scripted path (POST /__fake/account/mark)", s->name);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(body, "n");
    long steps = 1;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "to_end"))) steps = MAX_PATH;
    else if (n && (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > MAX_PATH ||
                   n->valuedouble != (double)(long)n->valuedouble))
        return control_error(out, "\"n\" must be an integer in 0..%d", MAX_PATH);
    else if (n) steps = (long)n->valuedouble;
    size_t before = a->fills.n;
    long moved = 0;
    for (; moved < steps && s->path_pos + 1 < s->path_len; moved++) {
        s->path_pos++;
        evaluate(a, sym_index(a, s), s->path[s->path_pos], now);
    }
    mark_answer(a, s, before, moved, now, &out->body);
    return 1;
}

/* {"method", "path", "params": {...}}: a wire request by hand (the account's
 * owner on the web UI), without key, signature or timestamp. */
static int ctl_act(fake_account *a, const cJSON *body, int64_t now, fake_reply *out) {
    const char *method = json_string(body, "method"), *path = json_string(body, "path");
    const struct route *r = method && path ? find_route(method, path) : NULL;
    if (!r) return control_error(out, "\"method\" and \"path\" must name an account endpoint");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(body, "params"), *it;
    if (params && !cJSON_IsObject(params))
        return control_error(out, "\"params\" must be an object of strings");
    call c = {.out = out, .now = now};
    cJSON_ArrayForEach(it, params) {
        if (!cJSON_IsString(it)) {
            fake_kv_free(c.kv, c.n);
            return control_error(out, "params.%s must be a string", it->string);
        }
        fake_kv_push(&c.kv, &c.n, it->string, it->valuestring);
    }
    run_locked(a, r, &c);
    fake_kv_free(c.kv, c.n);
    return 1;
}

/* {"symbol", "positionSide", "positionAmt", "entryPrice"}: a position that
 * appears without an order (opened elsewhere); "0" removes it. */
static int ctl_position(fake_account *a, const cJSON *body, int64_t now, fake_reply *out) {
    symbol *s = control_symbol(a, body, out);
    if (!s) return 1;
    const char *side = json_string(body, "positionSide");
    int ps = a->dual ? -1 : PS_BOTH;
    for (int k = 0; side && k < N_PS; k++)
        if (strcmp(side, ps_names[k]) == 0) ps = k;
    if (ps < 0 || (side && ((ps == PS_BOTH) == a->dual)))
        return control_error(out, "\"positionSide\" must be BOTH in One-way mode, LONG or SHORT "
                                  "in Hedge mode");
    const char *amt_text = json_string(body, "positionAmt");
    const char *entry_text = json_string(body, "entryPrice");
    int64_t amt, entry = 0;
    if (!amt_text || fx_parse(amt_text, 1, &amt, NULL) ||
        (amt && (!entry_text || fx_parse(entry_text, 0, &entry, NULL) || entry <= 0)) ||
        (ps == PS_LONG && amt < 0) || (ps == PS_SHORT && amt > 0))
        return control_error(out, "\"positionAmt\" (signed decimal string, LONG >= 0, SHORT <= 0) "
                                  "and, unless it is 0, \"entryPrice\" are required");
    s->pos[ps] = (position){.amt = amt, .entry = amt ? entry : 0, .update_time = now};
    position_json(a, sym_index(a, s), ps, now, &out->body);
    return 1;
}

/* {"symbol", "rate": "0.0001"}: a funding event at the current mark price;
 * longs pay a positive rate, shorts receive it. */
static int ctl_funding(fake_account *a, const cJSON *body, int64_t now, fake_reply *out) {
    symbol *s = control_symbol(a, body, out);
    if (!s) return 1;
    const char *rate_text = json_string(body, "rate");
    int64_t rate;
    if (!rate_text || fx_parse(rate_text, 1, &rate, NULL))
        return control_error(out, "\"rate\" must be a signed decimal string");
    int applied = 0;
    for (int k = 0; k < N_PS; k++) {
        const position *p = &s->pos[k];
        if (!p->amt) continue;
        int64_t fee = -fx_mul(fx_mul(p->amt, mark_or_entry(a, s, p, now)), rate);
        a->wallet += fee;
        add_income(a, sym_index(a, s), IN_FUNDING_FEE, fee, 0, now);
        applied++;
    }
    dstr_printf(&out->body, "{\"applied\":%d}", applied);
    return 1;
}

/* {"offset_ms": N}: the exchange's clock runs N ms ahead of the wall clock
 * (negative: behind), for -1021 tests. */
static int ctl_clock(fake_account *a, const cJSON *body, fake_reply *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "offset_ms");
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble ||
        v->valuedouble > 1e12 || v->valuedouble < -1e12)
        return control_error(out, "\"offset_ms\" must be an integer (|N| <= 1e12)");
    a->clock_offset_ms = (int64_t)v->valuedouble;
    dstr_printf(&out->body, "{\"serverTime\":%lld}",
                (long long)(fake_clock_now() + a->clock_offset_ms));
    return 1;
}

static void state_reset(fake_account *a);

int fa_control(fake_account *a, const fake_request *req, fake_reply *out) {
    static const char prefix[] = "/__fake/account";
    if (strncmp(req->path, prefix, sizeof prefix - 1) != 0) return 0;
    const char *what = req->path + sizeof prefix - 1;
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    pthread_mutex_lock(&a->lock);
    int64_t now = fake_clock_now() + a->clock_offset_ms;
    follow_marks(a, now);
    int handled = 1;
    cJSON *body = post ? cJSON_ParseWithLength(req->body, req->body_len) : NULL;
    if (get && strcmp(what, "") == 0) {
        state_json(a, now, &out->body);
    } else if (post && strcmp(what, "/reset") == 0) {
        state_reset(a);
        dstr_puts(&out->body, "{}");
    } else if (!post || !what[0]) {
        handled = 0;
    } else if (!cJSON_IsObject(body)) {
        control_error(out, "the body must be a JSON object");
    } else if (strcmp(what, "/mark") == 0) {
        ctl_mark(a, body, now, out);
    } else if (strcmp(what, "/step") == 0) {
        ctl_step(a, body, now, out);
    } else if (strcmp(what, "/act") == 0) {
        ctl_act(a, body, now, out);
    } else if (strcmp(what, "/position") == 0) {
        ctl_position(a, body, now, out);
    } else if (strcmp(what, "/funding") == 0) {
        ctl_funding(a, body, now, out);
    } else if (strcmp(what, "/clock") == 0) {
        ctl_clock(a, body, out);
    } else {
        handled = 0;
    }
    cJSON_Delete(body);
    pthread_mutex_unlock(&a->lock);
    return handled;
}

int fa_scripted_mark(fake_account *a, const char *symbol_name, fdec *out) {
    pthread_mutex_lock(&a->lock);
    follow_marks(a, fake_clock_now() + a->clock_offset_ms);
    const symbol *s = find_symbol(a, symbol_name);
    int rc = s && s->path ? 0 : -1;
    if (rc == 0) *out = (fdec){.m = s->path[s->path_pos], .scale = 8};
    pthread_mutex_unlock(&a->lock);
    return rc;
}

/* ---- loading ---------------------------------------------------------------------------- */

static void state_reset(fake_account *a) {
    a->orders.n = a->algos.n = a->fills.n = a->incomes.n = 0;
    for (size_t i = 0; i < a->n_syms; i++) {
        symbol *s = &a->syms[i];
        free(s->path);
        s->path = NULL;
        s->path_len = s->path_pos = 0;
        s->step_ms = 0;
        s->last_mark = 0;
        memset(s->pos, 0, sizeof s->pos);
        s->leverage = a->initial_leverage[i];
        s->isolated = a->initial_isolated[i];
    }
    a->dual = a->initial_dual;
    a->wallet = a->initial_balance;
    a->clock_offset_ms = 0;
    a->next_order_id = FIRST_ORDER_ID;
    a->next_algo_id = FIRST_ALGO_ID;
    a->next_trade_id = FIRST_TRADE_ID;
    a->next_tran_id = FIRST_TRAN_ID;
    a->count_10s = a->count_1m = 0;
}

void fa_reset(fake_account *a) {
    pthread_mutex_lock(&a->lock);
    state_reset(a);
    pthread_mutex_unlock(&a->lock);
}

static const cJSON *filter_of(const cJSON *sym, const char *type) {
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(sym, "filters")) {
        const char *t = json_string(f, "filterType");
        if (t && strcmp(t, type) == 0) return f;
    }
    return NULL;
}

/* A decimal string field of a filter in units; 0 when absent. */
static int filter_value(const cJSON *filter, const char *name, int64_t *out, dstr *err,
                        const char *sym) {
    const char *text = json_string(filter, name);
    *out = 0;
    if (!filter || !text) return 0;
    if (fx_parse(text, 0, out, NULL) == 0) return 0;
    dstr_printf(err, "exchangeInfo %s: %s \"%s\" is not a decimal", sym, name, text);
    return -1;
}

static int load_symbol(const cJSON *js, symbol *s, dstr *err) {
    const char *name = json_string(js, "symbol");
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(js, "pricePrecision");
    const cJSON *qp = cJSON_GetObjectItemCaseSensitive(js, "quantityPrecision");
    if (!name || strlen(name) >= sizeof s->name || !cJSON_IsNumber(pp) || !cJSON_IsNumber(qp) ||
        pp->valueint < 0 || pp->valueint > 8 || qp->valueint < 0 || qp->valueint > 8) {
        dstr_puts(err, "exchangeInfo: a symbol lacks symbol/pricePrecision/quantityPrecision");
        return -1;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->price_dec = pp->valueint;
    s->qty_dec = qp->valueint;
    const cJSON *price = filter_of(js, "PRICE_FILTER"), *lot = filter_of(js, "LOT_SIZE");
    const cJSON *mlot = filter_of(js, "MARKET_LOT_SIZE"), *pct = filter_of(js, "PERCENT_PRICE");
    const cJSON *notional = filter_of(js, "MIN_NOTIONAL");
    if (filter_value(price, "tickSize", &s->tick, err, name) ||
        filter_value(price, "minPrice", &s->min_price, err, name) ||
        filter_value(price, "maxPrice", &s->max_price, err, name) ||
        filter_value(lot, "stepSize", &s->step, err, name) ||
        filter_value(lot, "minQty", &s->min_qty, err, name) ||
        filter_value(lot, "maxQty", &s->max_qty, err, name) ||
        filter_value(mlot ? mlot : lot, "stepSize", &s->mstep, err, name) ||
        filter_value(mlot ? mlot : lot, "minQty", &s->mmin_qty, err, name) ||
        filter_value(mlot ? mlot : lot, "maxQty", &s->mmax_qty, err, name) ||
        filter_value(pct, "multiplierUp", &s->mult_up, err, name) ||
        filter_value(pct, "multiplierDown", &s->mult_down, err, name) ||
        filter_value(notional, "notional", &s->min_notional, err, name))
        return -1;
    if (!s->max_qty) s->max_qty = INT64_MAX / 4;
    if (!s->mmax_qty) s->mmax_qty = INT64_MAX / 4;
    snprintf(s->min_notional_text, sizeof s->min_notional_text, "%s",
             notional && json_string(notional, "notional") ? json_string(notional, "notional")
                                                           : "0");
    return 0;
}

static int config_decimal(const cJSON *root, const char *name, const char *def, int64_t *out,
                          dstr *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
    const char *text = v ? (cJSON_IsString(v) ? v->valuestring : NULL) : def;
    if (text && fx_parse(text, 0, out, NULL) == 0) return 0;
    dstr_printf(err, "\"%s\" must be a decimal string", name);
    return -1;
}

static int config_symbols(fake_account *a, const cJSON *root, dstr *err) {
    const cJSON *syms = cJSON_GetObjectItemCaseSensitive(root, "symbols"), *it;
    if (syms && !cJSON_IsObject(syms)) {
        dstr_puts(err, "\"symbols\" must be an object");
        return -1;
    }
    cJSON_ArrayForEach(it, syms) {
        symbol *s = find_symbol(a, it->string);
        if (!s || !cJSON_IsObject(it)) {
            dstr_printf(err, "symbols.%s: not a symbol of exchangeInfo, or not an object",
                        it->string);
            return -1;
        }
        size_t i = sym_index(a, s);
        const cJSON *lev = cJSON_GetObjectItemCaseSensitive(it, "leverage");
        const char *mt = json_string(it, "margin_type");
        if (lev && (!cJSON_IsNumber(lev) || lev->valuedouble < 1 || lev->valuedouble > 125 ||
                    lev->valuedouble != (double)lev->valueint)) {
            dstr_printf(err, "symbols.%s.leverage must be an integer in 1..125", it->string);
            return -1;
        }
        if (cJSON_GetObjectItemCaseSensitive(it, "margin_type") &&
            (!mt || (strcmp(mt, "ISOLATED") && strcmp(mt, "CROSSED")))) {
            dstr_printf(err, "symbols.%s.margin_type must be ISOLATED or CROSSED", it->string);
            return -1;
        }
        if (lev) a->initial_leverage[i] = lev->valueint;
        if (mt) a->initial_isolated[i] = strcmp(mt, "ISOLATED") == 0;
    }
    return 0;
}

static int config_load(fake_account *a, const cJSON *root, dstr *err) {
    static const char *const keys[] = {"api_key",   "api_secret",         "balance",
                                       "fee_taker", "fee_maker",          "maint_margin_rate",
                                       "symbols",   "dual_side_position", NULL};
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        int known = 0;
        for (const char *const *k = keys; *k; k++) known |= strcmp(*k, it->string) == 0;
        if (!known) {
            dstr_printf(err, "unknown key \"%s\"", it->string);
            return -1;
        }
    }
    const char *key = json_string(root, "api_key"), *secret = json_string(root, "api_secret");
    if (!key || !*key || !secret || !*secret) {
        dstr_puts(err, "\"api_key\" and \"api_secret\" (non-empty strings) are required");
        return -1;
    }
    a->api_key = xstrdup(key);
    a->api_secret = xstrdup(secret);
    const cJSON *dual = cJSON_GetObjectItemCaseSensitive(root, "dual_side_position");
    if (dual && !cJSON_IsBool(dual)) {
        dstr_puts(err, "\"dual_side_position\" must be true or false");
        return -1;
    }
    a->initial_dual = cJSON_IsTrue(dual);
    return config_decimal(root, "balance", "10000", &a->initial_balance, err) ||
                   config_decimal(root, "fee_taker", "0.0005", &a->fee_taker, err) ||
                   config_decimal(root, "fee_maker", "0.0002", &a->fee_maker, err) ||
                   config_decimal(root, "maint_margin_rate", "0.004", &a->maint_rate, err) ||
                   config_symbols(a, root, err)
               ? -1
               : 0;
}

static char *read_file(const char *path, size_t *len, dstr *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        dstr_printf(err, "cannot open %s", path);
        return NULL;
    }
    dstr text = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && text.len < 1024 * 1024)
        dstr_append(&text, buf, n);
    fclose(f);
    *len = text.len;
    return text.len ? dstr_take(&text) : (dstr_free(&text), xstrdup(""));
}

fake_account *fa_load(const char *path, const cJSON *exchange_info, fa_price_fn price,
                      void *price_ctx, dstr *err) {
    fake_account *a = calloc(1, sizeof *a);
    if (!a) abort();
    pthread_mutex_init(&a->lock, NULL);
    a->price = price;
    a->price_ctx = price_ctx;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(exchange_info, "symbols"), *js;
    a->n_syms = (size_t)cJSON_GetArraySize(list);
    a->syms = calloc(a->n_syms + 1, sizeof *a->syms);
    a->initial_leverage = calloc(a->n_syms + 1, sizeof *a->initial_leverage);
    a->initial_isolated = calloc(a->n_syms + 1, sizeof *a->initial_isolated);
    if (!a->syms || !a->initial_leverage || !a->initial_isolated) abort();
    size_t i = 0;
    cJSON_ArrayForEach(js, list) {
        a->initial_leverage[i] = 20; /* Binance's defaults for a new symbol */
        if (load_symbol(js, &a->syms[i++], err)) goto fail;
    }
    size_t len = 0;
    char *text = read_file(path, &len, err);
    if (!text) goto fail;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        dstr_printf(err, "%s: not a JSON object", path);
        cJSON_Delete(root);
        goto fail;
    }
    if (config_load(a, root, err)) {
        dstr_printf(err, " (%s)", path);
        cJSON_Delete(root);
        goto fail;
    }
    cJSON_Delete(root);
    state_reset(a);
    return a;
fail:
    fa_free(a);
    return NULL;
}

void fa_free(fake_account *a) {
    if (!a) return;
    for (size_t i = 0; i < a->n_syms; i++) free(a->syms[i].path);
    free(a->syms);
    free(a->initial_leverage);
    free(a->initial_isolated);
    free(a->orders.v);
    free(a->algos.v);
    free(a->fills.v);
    free(a->incomes.v);
    free(a->api_key);
    free(a->api_secret);
    pthread_mutex_destroy(&a->lock);
    free(a);
}
