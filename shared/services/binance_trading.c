/* binance_trading: account and order endpoints (see binance_trading.h). */
#include "services/binance_trading.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "platform/config.h"

/* ---- amounts ------------------------------------------------------------------ */

/* A decimal as Binance writes one: optional '-', digits, optional '.' and
 * digits; nothing else (no exponent, no spaces, no hex, no "inf"). */
static int plain_decimal(const char *s, int allow_sign) {
    if (allow_sign && *s == '-') s++;
    size_t int_digits = strspn(s, "0123456789");
    s += int_digits;
    if (*s == '.') {
        s++;
        size_t frac = strspn(s, "0123456789");
        if (!frac) return 0;
        s += frac;
    }
    return int_digits > 0 && *s == '\0';
}

int bn_valid_amount(const char *s) {
    if (!s || strlen(s) >= EX_DECIMAL_LEN || !plain_decimal(s, 0)) return 0;
    return strtod(s, NULL) > 0;
}

int bn_step_decimals(const char *s) {
    if (!s || !plain_decimal(s, 0)) return -1;
    const char *dot = strchr(s, '.');
    if (!dot) return 0;
    int n = (int)strlen(dot + 1);
    while (n > 0 && dot[n] == '0') n--;
    return n;
}

/* ---- reading fields ------------------------------------------------------------- */

/* Reads an object's fields; the first bad one is remembered for the reason. */
typedef struct fields {
    const cJSON *o;
    const char *bad; /* NULL while every field read was fine */
} fields;

/* The field k, NULL when absent; a key present twice is bad. */
static const cJSON *field(fields *f, const char *k) {
    const cJSON *found = NULL, *it;
    cJSON_ArrayForEach(it, f->o) {
        if (!it->string || strcmp(it->string, k) != 0) continue;
        if (found) {
            if (!f->bad) f->bad = k;
            return NULL;
        }
        found = it;
    }
    return found;
}

static void mark(fields *f, const char *k) {
    if (!f->bad) f->bad = k;
}

/* A string that fits buf; empty allowed unless required. Absent: bad if required. */
static void get_str(fields *f, const char *k, char *buf, size_t cap, int required) {
    buf[0] = '\0';
    const cJSON *v = field(f, k);
    if (!v) {
        if (required) mark(f, k);
        return;
    }
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap || (required && !*v->valuestring)) {
        mark(f, k);
        return;
    }
    memcpy(buf, v->valuestring, strlen(v->valuestring) + 1);
}

/* A decimal string (also kept in str when given), 0 when absent and optional. */
static double get_dec(fields *f, const char *k, char *str, int required) {
    char buf[EX_DECIMAL_LEN];
    if (str) str[0] = '\0';
    const cJSON *v = field(f, k);
    if (!v) {
        if (required) mark(f, k);
        return 0;
    }
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= sizeof buf ||
        !plain_decimal(v->valuestring, 1)) {
        mark(f, k);
        return 0;
    }
    memcpy(buf, v->valuestring, strlen(v->valuestring) + 1);
    if (str) memcpy(str, buf, strlen(buf) + 1);
    return strtod(buf, NULL);
}

static int64_t get_int(fields *f, const char *k, int required) {
    const cJSON *v = field(f, k);
    int64_t n = 0;
    if (!v) {
        if (required) mark(f, k);
        return 0;
    }
    if (bn_whole(v, &n)) mark(f, k);
    return n;
}

static int get_bool(fields *f, const char *k, int required) {
    const cJSON *v = field(f, k);
    if (!v) {
        if (required) mark(f, k);
        return 0;
    }
    if (!cJSON_IsBool(v)) mark(f, k);
    return cJSON_IsTrue(v);
}

static ex_side get_side(fields *f, const char *k) {
    char s[8];
    get_str(f, k, s, sizeof s, 1);
    if (strcmp(s, "SELL") == 0) return EX_SELL;
    if (strcmp(s, "BUY") != 0) mark(f, k);
    return EX_BUY;
}

static void get_symbol(fields *f, const char *k, char *buf, int required) {
    get_str(f, k, buf, EX_SYMBOL_LEN, required);
    if (buf[0] && !cfg_valid_symbol(buf)) mark(f, k);
}

/* ---- lists ---------------------------------------------------------------------- */

typedef int (*parse_one)(const cJSON *item, void *out, const char **bad);

/* Parses a JSON array answer, appending each element to (*v, *n). */
static ex_status parse_list(http_request *r, const char *what, size_t size, parse_one one, void **v,
                            size_t *n, int *full, ex_error *e, dstr *err) {
    if (full) *full = 0;
    cJSON *root;
    ex_status st = bn_checked(r, BN_READ, &root, e, err);
    if (st) return st;
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0, "%s: expected a JSON array", what);
    }
    size_t count = (size_t)cJSON_GetArraySize(root), i = 0;
    char *grown = realloc(*v, (*n + count + 1) * size);
    if (!grown) abort();
    *v = grown;
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        const char *bad = NULL;
        void *slot = grown + (*n + i) * size;
        memset(slot, 0, size);
        if (!cJSON_IsObject(item) || one(item, slot, &bad)) {
            cJSON_Delete(root);
            return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0, "%s: row %zu: %s%s%s", what, i,
                           bad ? "field " : "not an object", bad ? bad : "",
                           bad ? " missing or malformed" : "");
        }
        i++;
    }
    *n += count;
    if (full) *full = count >= BN_LIST_LIMIT;
    cJSON_Delete(root);
    return EX_OK;
}

/* Parses a JSON object answer with one into out (size bytes), which is
 * zeroed first and again on failure. */
static ex_status parse_object(http_request *r, bn_kind kind, const char *what, parse_one one,
                              void *out, size_t size, ex_error *e, dstr *err) {
    if (out) memset(out, 0, size);
    cJSON *root;
    ex_status st = bn_checked(r, kind, &root, e, err);
    if (st) return st;
    const char *bad = NULL;
    if (!cJSON_IsObject(root) || one(root, out, &bad)) {
        cJSON_Delete(root);
        if (out) memset(out, 0, size);
        /* a write Binance accepted was done: only its answer is unreadable */
        return bn_fail(e, err, kind == BN_WRITE ? EX_UNKNOWN : EX_BAD_RESPONSE, r->status, 0,
                       "%s: %s%s%s", what, bad ? "field " : "not a JSON object", bad ? bad : "",
                       bad ? " missing or malformed" : "");
    }
    cJSON_Delete(root);
    return EX_OK;
}

static int finish(fields *f, const char **bad) {
    *bad = f->bad;
    return f->bad ? -1 : 0;
}

/* ---- exchangeInfo ----------------------------------------------------------------- */

void bn_exchange_info_prepare(const bn_client *bn, http_request *r) {
    dstr url = {0};
    dstr_printf(&url, "%s/fapi/v1/exchangeInfo", bn->base);
    http_request_init(r, "GET", url.ptr, &bn->policy);
    dstr_free(&url);
}

static int wanted(const char *sym, const char *const *symbols, size_t n) {
    if (!n) return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(sym, symbols[i]) == 0) return 1;
    return 0;
}

/* A step from a decimal string: value and decimals; -1 unless > 0. */
static int step_from(fields *f, const char *k, step_rule *out) {
    char s[EX_DECIMAL_LEN];
    double v = get_dec(f, k, s, 1);
    int d = bn_step_decimals(s);
    if (f->bad || !(v > 0) || d < 0) {
        mark(f, k);
        return -1;
    }
    out->step = v;
    out->decimals = d;
    return 0;
}

static int parse_filters(const cJSON *filters, symbol_rules *s, const char **bad) {
    int have_price = 0, have_lot = 0, have_market = 0;
    if (!cJSON_IsArray(filters)) {
        *bad = "filters";
        return -1;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, filters) {
        fields f = {.o = it};
        char type[EX_NAME_LEN];
        if (!cJSON_IsObject(it)) {
            *bad = "filters";
            return -1;
        }
        get_str(&f, "filterType", type, sizeof type, 1);
        if (strcmp(type, "PRICE_FILTER") == 0) {
            have_price++;
            step_from(&f, "tickSize", &s->tick);
            s->min_price = get_dec(&f, "minPrice", NULL, 0);
            s->max_price = get_dec(&f, "maxPrice", NULL, 0);
        } else if (strcmp(type, "LOT_SIZE") == 0 || strcmp(type, "MARKET_LOT_SIZE") == 0) {
            int market = type[0] == 'M';
            qty_rule *q = market ? &s->market_lot : &s->lot;
            (*(market ? &have_market : &have_lot))++;
            step_from(&f, "stepSize", &q->step);
            q->min_qty = get_dec(&f, "minQty", NULL, 0);
            q->max_qty = get_dec(&f, "maxQty", NULL, 0);
        } else if (strcmp(type, "MIN_NOTIONAL") == 0) {
            s->min_notional = get_dec(&f, "notional", NULL, 1);
        }
        if (f.bad) {
            *bad = f.bad;
            return -1;
        }
    }
    if (have_price != 1 || have_lot != 1 || have_market > 1) {
        *bad = have_price != 1 ? "PRICE_FILTER" : have_lot != 1 ? "LOT_SIZE" : "MARKET_LOT_SIZE";
        return -1;
    }
    if (!have_market) s->market_lot = s->lot;
    if (s->min_price < 0 || s->max_price < 0 || s->lot.min_qty < 0 || s->lot.max_qty < 0 ||
        s->market_lot.min_qty < 0 || s->market_lot.max_qty < 0 || s->min_notional < 0) {
        *bad = "filters";
        return -1;
    }
    return 0;
}

/* The rules of root's symbols asked: 0, or -1 with the reason in *why_out
 * (nothing kept). */
static int rules_of(const cJSON *root, const char *const *symbols, size_t n, symbol_rules **v,
                    size_t *nv, dstr *why) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "symbols");
    if (!cJSON_IsArray(list)) {
        dstr_puts(why, "exchangeInfo: no symbols array");
        return -1;
    }
    size_t cap = (size_t)cJSON_GetArraySize(list);
    symbol_rules *out = calloc(cap + 1, sizeof *out);
    if (!out) abort();
    size_t kept = 0, i = 0;
    const char *bad = NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        fields f = {.o = it};
        symbol_rules s = {0};
        if (!cJSON_IsObject(it)) {
            bad = "symbols";
            break;
        }
        get_str(&f, "symbol", s.symbol, sizeof s.symbol, 1);
        if (f.bad) {
            bad = f.bad;
            break;
        }
        i++;
        if (!wanted(s.symbol, symbols, n)) continue;
        get_str(&f, "status", s.status, sizeof s.status, 1);
        if (f.bad || parse_filters(field(&f, "filters"), &s, &bad)) {
            if (!bad) bad = f.bad;
            break;
        }
        for (size_t k = 0; k < kept; k++)
            if (strcmp(out[k].symbol, s.symbol) == 0) bad = "symbol (listed twice)";
        if (bad) break;
        out[kept++] = s;
    }
    if (bad) {
        free(out);
        dstr_printf(why, "exchangeInfo: symbol %zu: %s missing or malformed", i, bad);
        return -1;
    }
    *v = out;
    *nv = kept;
    return 0;
}

ex_status bn_exchange_info_parse(http_request *r, const char *const *symbols, size_t n,
                                 symbol_rules **v, size_t *nv, ex_error *e, dstr *err) {
    *v = NULL;
    *nv = 0;
    cJSON *root;
    ex_status st = bn_checked(r, BN_READ, &root, e, err);
    if (st) return st;
    dstr why = {0};
    int rc = rules_of(root, symbols, n, v, nv, &why);
    cJSON_Delete(root);
    if (rc) st = bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0, "%s", dstr_cstr(&why));
    dstr_free(&why);
    return st;
}

int bn_exchange_info_rules(const char *text, size_t len, const char *const *symbols, size_t n,
                           symbol_rules **v, size_t *nv, dstr *err) {
    *v = NULL;
    *nv = 0;
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        dstr_error_line(err, "exchangeInfo: not a JSON object");
        return -1;
    }
    dstr why = {0};
    int rc = rules_of(root, symbols, n, v, nv, &why);
    cJSON_Delete(root);
    if (rc) dstr_error_line(err, "%s", dstr_cstr(&why));
    dstr_free(&why);
    return rc;
}

/* ---- account set-up ---------------------------------------------------------------- */

static int check_symbol(const char *symbol, dstr *why) {
    if (symbol && cfg_valid_symbol(symbol)) return 0;
    dstr_error_line(why, "symbol must be 2-20 uppercase letters or digits");
    return -1;
}

/* A read of one symbol, or of every symbol when symbol is NULL. */
static int symbol_read_prepare(bn_call *c, const char *path, const char *symbol, dstr *why) {
    if (symbol && check_symbol(symbol, why)) return -1;
    bn_call_init(c, "GET", path, BN_READ);
    if (symbol) bn_call_param(c, "symbol", symbol);
    return 0;
}

void bn_position_mode_prepare(bn_call *c) {
    bn_call_init(c, "GET", "/fapi/v1/positionSide/dual", BN_READ);
}

static int parse_mode(const cJSON *o, void *out, const char **bad) {
    fields f = {.o = o};
    *(int *)out = get_bool(&f, "dualSidePosition", 1);
    return finish(&f, bad);
}

ex_status bn_position_mode_parse(http_request *r, int *hedge, ex_error *e, dstr *err) {
    return parse_object(r, BN_READ, "positionSide/dual", parse_mode, hedge, sizeof *hedge, e, err);
}

/* Set-up writes are idempotent: the transport may retry them. */
static void setup_call(bn_call *c, const char *path) {
    bn_call_init(c, "POST", path, BN_WRITE);
    c->retryable = 1;
}

void bn_set_position_mode_prepare(bn_call *c, int hedge) {
    setup_call(c, "/fapi/v1/positionSide/dual");
    bn_call_param(c, "dualSidePosition", hedge ? "true" : "false");
}

int bn_set_margin_type_prepare(bn_call *c, const char *symbol, ex_margin_type t, dstr *why) {
    if (check_symbol(symbol, why)) return -1;
    setup_call(c, "/fapi/v1/marginType");
    bn_call_param(c, "symbol", symbol);
    bn_call_param(c, "marginType", ex_margin_type_name(t));
    return 0;
}

int bn_set_leverage_prepare(bn_call *c, const char *symbol, int leverage, dstr *why) {
    if (check_symbol(symbol, why)) return -1;
    if (leverage < 1 || leverage > 125) {
        dstr_error_line(why, "leverage must be 1-125");
        return -1;
    }
    char lev[8];
    snprintf(lev, sizeof lev, "%d", leverage);
    setup_call(c, "/fapi/v1/leverage");
    bn_call_param(c, "symbol", symbol);
    bn_call_param(c, "leverage", lev);
    return 0;
}

static int any_object(const cJSON *o, void *out, const char **bad) {
    (void)o, (void)out, (void)bad;
    return 0;
}

ex_status bn_setup_parse(http_request *r, ex_error *e, dstr *err) {
    long code = bn_answer_code(r);
    if (code == -4059 || code == -4046) { /* "no need to change": already so */
        cJSON *root;
        bn_checked(r, BN_WRITE, &root, NULL, NULL); /* for its log line */
        cJSON_Delete(root);
        return EX_OK;
    }
    return parse_object(r, BN_WRITE, "set-up", any_object, NULL, 0, e, err);
}

static int parse_config(const cJSON *o, void *out, const char **bad) {
    fields f = {.o = o};
    ex_symbol_config *c = out;
    char type[EX_NAME_LEN];
    get_symbol(&f, "symbol", c->symbol, 1);
    get_str(&f, "marginType", type, sizeof type, 1);
    if (strcmp(type, "ISOLATED") == 0) c->margin_type = EX_ISOLATED;
    else if (strcmp(type, "CROSSED") == 0) c->margin_type = EX_CROSSED;
    else mark(&f, "marginType");
    c->auto_add_margin = get_bool(&f, "isAutoAddMargin", 0);
    int64_t lev = get_int(&f, "leverage", 1);
    if (lev < 1 || lev > 1000) mark(&f, "leverage");
    c->leverage = (int)lev;
    const cJSON *mn = field(&f, "maxNotionalValue"); /* a string or a number */
    if (cJSON_IsNumber(mn)) c->max_notional = isfinite(mn->valuedouble) ? mn->valuedouble : 0;
    else if (mn) c->max_notional = get_dec(&f, "maxNotionalValue", NULL, 1);
    return finish(&f, bad);
}

int bn_symbol_config_prepare(bn_call *c, const char *symbol, dstr *why) {
    return symbol_read_prepare(c, "/fapi/v1/symbolConfig", symbol, why);
}

ex_status bn_symbol_config_parse(http_request *r, ex_symbol_config **v, size_t *n, ex_error *e,
                                 dstr *err) {
    return parse_list(r, "symbolConfig", sizeof **v, parse_config, (void **)v, n, NULL, e, err);
}

/* ---- balances and positions ------------------------------------------------------------ */

void bn_balance_prepare(bn_call *c) { bn_call_init(c, "GET", "/fapi/v3/balance", BN_READ); }

static int parse_balance(const cJSON *o, void *out, const char **bad) {
    fields f = {.o = o};
    ex_balance *b = out;
    get_str(&f, "asset", b->asset, sizeof b->asset, 1);
    b->balance = get_dec(&f, "balance", NULL, 1);
    b->available_balance = get_dec(&f, "availableBalance", NULL, 1);
    b->cross_wallet_balance = get_dec(&f, "crossWalletBalance", NULL, 0);
    b->cross_unrealized_pnl = get_dec(&f, "crossUnPnl", NULL, 0);
    b->max_withdraw = get_dec(&f, "maxWithdrawAmount", NULL, 0);
    b->update_time = get_int(&f, "updateTime", 0);
    return finish(&f, bad);
}

ex_status bn_balance_parse(http_request *r, ex_balance **v, size_t *n, ex_error *e, dstr *err) {
    return parse_list(r, "balance", sizeof **v, parse_balance, (void **)v, n, NULL, e, err);
}

void bn_position_risk_prepare(bn_call *c) {
    bn_call_init(c, "GET", "/fapi/v3/positionRisk", BN_READ);
}

static int parse_position(const cJSON *o, void *out, const char **bad) {
    fields f = {.o = o};
    ex_position *p = out;
    get_symbol(&f, "symbol", p->symbol, 1);
    get_str(&f, "positionSide", p->position_side, sizeof p->position_side, 1);
    if (p->position_side[0] && strcmp(p->position_side, "BOTH") != 0 &&
        strcmp(p->position_side, "LONG") != 0 && strcmp(p->position_side, "SHORT") != 0)
        mark(&f, "positionSide");
    p->amount = get_dec(&f, "positionAmt", p->amount_str, 1);
    p->entry_price = get_dec(&f, "entryPrice", NULL, 1);
    p->break_even_price = get_dec(&f, "breakEvenPrice", NULL, 0);
    p->mark_price = get_dec(&f, "markPrice", NULL, 1);
    p->unrealized_pnl = get_dec(&f, "unRealizedProfit", NULL, 1);
    p->liquidation_price = get_dec(&f, "liquidationPrice", NULL, 1);
    p->notional = get_dec(&f, "notional", NULL, 0);
    p->isolated_margin = get_dec(&f, "isolatedMargin", NULL, 0);
    p->initial_margin = get_dec(&f, "initialMargin", NULL, 0);
    p->maint_margin = get_dec(&f, "maintMargin", NULL, 0);
    p->update_time = get_int(&f, "updateTime", 0);
    if (p->entry_price < 0 || p->mark_price < 0 || p->liquidation_price < 0) mark(&f, "prices");
    return finish(&f, bad);
}

ex_status bn_position_risk_parse(http_request *r, ex_position **v, size_t *n, ex_error *e,
                                 dstr *err) {
    return parse_list(r, "positionRisk", sizeof **v, parse_position, (void **)v, n, NULL, e, err);
}

/* ---- orders ----------------------------------------------------------------------------- */

static int check_client_id(const char *id, dstr *why) {
    if (id && ex_valid_client_id(id)) return 0;
    dstr_error_line(why, "client id must match ^[.A-Z:/a-z0-9_-]{1,36}$");
    return -1;
}

static int check_amount(const char *what, const char *s, dstr *why) {
    if (bn_valid_amount(s)) return 0;
    dstr_error_line(why, "%s must be a plain positive decimal", what);
    return -1;
}

int bn_order_prepare(bn_call *c, const ex_order_request *q, dstr *why) {
    int limit = q->type == EX_LIMIT;
    const char *tif = q->time_in_force[0] ? q->time_in_force : "GTC";
    if (check_symbol(q->symbol, why) || check_client_id(q->client_id, why) ||
        check_amount("quantity", q->quantity, why) ||
        (limit && check_amount("price", q->price, why)))
        return -1;
    if (limit && strcmp(tif, "GTC") && strcmp(tif, "IOC") && strcmp(tif, "FOK") &&
        strcmp(tif, "GTX")) {
        dstr_error_line(why, "time in force must be GTC, IOC, FOK or GTX");
        return -1;
    }
    bn_call_init(c, "POST", "/fapi/v1/order", BN_WRITE);
    bn_call_param(c, "symbol", q->symbol);
    bn_call_param(c, "side", ex_side_name(q->side));
    bn_call_param(c, "type", limit ? "LIMIT" : "MARKET");
    if (limit) bn_call_param(c, "timeInForce", tif);
    bn_call_param(c, "quantity", q->quantity);
    if (limit) bn_call_param(c, "price", q->price);
    if (q->reduce_only) bn_call_param(c, "reduceOnly", "true");
    bn_call_param(c, "newClientOrderId", q->client_id);
    bn_call_param(c, "newOrderRespType", "RESULT");
    return 0;
}

int bn_order_ref_prepare(bn_call *c, const char *method, const char *symbol, const char *client_id,
                         dstr *why) {
    if (check_symbol(symbol, why) || check_client_id(client_id, why)) return -1;
    bn_call_init(c, method, "/fapi/v1/order", strcmp(method, "GET") == 0 ? BN_LOOKUP : BN_WRITE);
    bn_call_param(c, "symbol", symbol);
    bn_call_param(c, "origClientOrderId", client_id);
    return 0;
}

static ex_order_status order_status(const char *s) {
    static const struct {
        const char *name;
        ex_order_status st;
    } names[] = {{"NEW", EX_ORDER_NEW},
                 {"PARTIALLY_FILLED", EX_ORDER_PARTIALLY_FILLED},
                 {"FILLED", EX_ORDER_FILLED},
                 {"CANCELED", EX_ORDER_CANCELED},
                 {"REJECTED", EX_ORDER_REJECTED},
                 {"EXPIRED", EX_ORDER_EXPIRED},
                 {"EXPIRED_IN_MATCH", EX_ORDER_EXPIRED}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(s, names[i].name) == 0) return names[i].st;
    return EX_ORDER_OTHER;
}

static int parse_order(const cJSON *o, void *out, const char **bad) {
    fields f = {.o = o};
    ex_order *d = out;
    get_symbol(&f, "symbol", d->symbol, 1);
    get_str(&f, "clientOrderId", d->client_id, sizeof d->client_id, 1);
    d->order_id = get_int(&f, "orderId", 1);
    get_str(&f, "status", d->status_name, sizeof d->status_name, 1);
    d->status = order_status(d->status_name);
    d->side = get_side(&f, "side");
    get_str(&f, "type", d->type, sizeof d->type, 1);
    d->reduce_only = get_bool(&f, "reduceOnly", 0);
    d->price = get_dec(&f, "price", NULL, 1);
    d->avg_price = get_dec(&f, "avgPrice", NULL, 0);
    d->orig_qty = get_dec(&f, "origQty", d->orig_qty_str, 1);
    d->executed_qty = get_dec(&f, "executedQty", d->executed_qty_str, 1);
    d->cum_quote = get_dec(&f, "cumQuote", NULL, 0);
    d->time = get_int(&f, "time", 0);
    d->update_time = get_int(&f, "updateTime", 0);
    if (d->price < 0 || d->avg_price < 0 || d->orig_qty < 0 || d->executed_qty < 0 ||
        d->executed_qty > d->orig_qty)
        mark(&f, "executedQty");
    /* a fill without its price is useless to the caller */
    if (d->executed_qty > 0 && !(d->avg_price > 0)) mark(&f, "avgPrice");
    return finish(&f, bad);
}

ex_status bn_order_parse(http_request *r, bn_kind kind, ex_order *out, ex_error *e, dstr *err) {
    return parse_object(r, kind, "order", parse_order, out, sizeof *out, e, err);
}

int bn_open_orders_prepare(bn_call *c, const char *symbol, dstr *why) {
    return symbol_read_prepare(c, "/fapi/v1/openOrders", symbol, why);
}

ex_status bn_open_orders_parse(http_request *r, ex_order **v, size_t *n, ex_error *e, dstr *err) {
    return parse_list(r, "openOrders", sizeof **v, parse_order, (void **)v, n, NULL, e, err);
}

/* ---- algo orders ------------------------------------------------------------------------- */

int bn_algo_prepare(bn_call *c, const ex_algo_request *q, dstr *why) {
    if (check_symbol(q->symbol, why) || check_client_id(q->client_id, why) ||
        check_amount("quantity", q->quantity, why) ||
        check_amount("trigger price", q->trigger_price, why))
        return -1;
    bn_call_init(c, "POST", "/fapi/v1/algoOrder", BN_WRITE);
    bn_call_param(c, "algoType", "CONDITIONAL");
    bn_call_param(c, "symbol", q->symbol);
    bn_call_param(c, "side", ex_side_name(q->side));
    bn_call_param(c, "type", ex_algo_type_name(q->type));
    bn_call_param(c, "quantity", q->quantity);
    bn_call_param(c, "triggerPrice", q->trigger_price);
    bn_call_param(c, "workingType", q->contract_price ? "CONTRACT_PRICE" : "MARK_PRICE");
    if (q->reduce_only) bn_call_param(c, "reduceOnly", "true");
    if (q->price_protect) bn_call_param(c, "priceProtect", "TRUE");
    bn_call_param(c, "clientAlgoId", q->client_id);
    return 0;
}

int bn_algo_ref_prepare(bn_call *c, const char *method, const char *client_id, dstr *why) {
    if (check_client_id(client_id, why)) return -1;
    bn_call_init(c, method, "/fapi/v1/algoOrder",
                 strcmp(method, "GET") == 0 ? BN_LOOKUP : BN_WRITE);
    bn_call_param(c, "clientAlgoId", client_id);
    return 0;
}

static ex_algo_status algo_status(const char *s) {
    for (int i = 0; i < EX_ALGO_OTHER; i++)
        if (strcmp(s, ex_algo_status_name((ex_algo_status)i)) == 0) return (ex_algo_status)i;
    return EX_ALGO_OTHER;
}

/* actualOrderId comes as a number, or as a string ("" before triggering). */
static int64_t get_id_loose(fields *f, const char *k) {
    const cJSON *v = field(f, k);
    if (!v || cJSON_IsNull(v)) return 0;
    if (cJSON_IsString(v)) {
        if (!*v->valuestring) return 0;
        if (strlen(v->valuestring) > 18 ||
            strspn(v->valuestring, "0123456789") != strlen(v->valuestring)) {
            mark(f, k);
            return 0;
        }
        return strtoll(v->valuestring, NULL, 10);
    }
    return get_int(f, k, 1);
}

static int parse_algo(const cJSON *o, void *out, const char **bad) {
    fields f = {.o = o};
    ex_algo_order *a = out;
    get_symbol(&f, "symbol", a->symbol, 1);
    get_str(&f, "clientAlgoId", a->client_id, sizeof a->client_id, 1);
    a->algo_id = get_int(&f, "algoId", 1);
    get_str(&f, "algoStatus", a->status_name, sizeof a->status_name, 1);
    a->status = algo_status(a->status_name);
    get_str(&f, "orderType", a->type, sizeof a->type, 1);
    a->side = get_side(&f, "side");
    a->reduce_only = get_bool(&f, "reduceOnly", 0);
    a->close_position = get_bool(&f, "closePosition", 0);
    a->trigger_price = get_dec(&f, "triggerPrice", NULL, 1);
    a->quantity = get_dec(&f, "quantity", a->quantity_str, 1);
    char working[EX_NAME_LEN];
    get_str(&f, "workingType", working, sizeof working, 0);
    a->mark_price = strcmp(working, "MARK_PRICE") == 0;
    a->actual_order_id = get_id_loose(&f, "actualOrderId");
    a->executed_qty = get_dec(&f, "executedQty", NULL, 0);
    a->avg_price = get_dec(&f, "avgPrice", NULL, 0);
    a->create_time = get_int(&f, "createTime", 0);
    a->update_time = get_int(&f, "updateTime", 0);
    a->trigger_time = get_int(&f, "triggerTime", 0);
    if (a->trigger_price < 0 || a->quantity < 0 || a->executed_qty < 0 || a->avg_price < 0)
        mark(&f, "triggerPrice");
    return finish(&f, bad);
}

ex_status bn_algo_parse(http_request *r, bn_kind kind, ex_algo_order *out, ex_error *e, dstr *err) {
    return parse_object(r, kind, "algoOrder", parse_algo, out, sizeof *out, e, err);
}

static int parse_algo_ids(const cJSON *o, void *out, const char **bad) {
    fields f = {.o = o};
    ex_algo_order *a = out;
    get_str(&f, "clientAlgoId", a->client_id, sizeof a->client_id, 1);
    a->algo_id = get_int(&f, "algoId", 1);
    a->status = EX_ALGO_CANCELED;
    snprintf(a->status_name, sizeof a->status_name, "CANCELED");
    return finish(&f, bad);
}

ex_status bn_algo_cancel_parse(http_request *r, ex_algo_order *out, ex_error *e, dstr *err) {
    return parse_object(r, BN_WRITE, "algoOrder cancel", parse_algo_ids, out, sizeof *out, e, err);
}

int bn_open_algo_orders_prepare(bn_call *c, const char *symbol, dstr *why) {
    return symbol_read_prepare(c, "/fapi/v1/openAlgoOrders", symbol, why);
}

ex_status bn_open_algo_orders_parse(http_request *r, ex_algo_order **v, size_t *n, ex_error *e,
                                    dstr *err) {
    return parse_list(r, "openAlgoOrders", sizeof **v, parse_algo, (void **)v, n, NULL, e, err);
}

/* ---- history -------------------------------------------------------------------------------- */

static void since_params(bn_call *c, int64_t since_ms) {
    char n[24];
    snprintf(n, sizeof n, "%lld", (long long)(since_ms > 0 ? since_ms : 0));
    bn_call_param(c, "startTime", n);
    snprintf(n, sizeof n, "%d", BN_LIST_LIMIT);
    bn_call_param(c, "limit", n);
}

int bn_user_trades_prepare(bn_call *c, const char *symbol, int64_t since_ms, dstr *why) {
    if (check_symbol(symbol, why)) return -1;
    bn_call_init(c, "GET", "/fapi/v1/userTrades", BN_READ);
    bn_call_param(c, "symbol", symbol);
    since_params(c, since_ms);
    return 0;
}

static int parse_fill(const cJSON *o, void *out, const char **bad) {
    fields f = {.o = o};
    ex_fill *t = out;
    get_symbol(&f, "symbol", t->symbol, 1);
    t->id = get_int(&f, "id", 1);
    t->order_id = get_int(&f, "orderId", 1);
    t->side = get_side(&f, "side");
    t->price = get_dec(&f, "price", NULL, 1);
    t->qty = get_dec(&f, "qty", NULL, 1);
    t->quote_qty = get_dec(&f, "quoteQty", NULL, 0);
    t->realized_pnl = get_dec(&f, "realizedPnl", NULL, 1);
    t->commission = get_dec(&f, "commission", NULL, 1);
    get_str(&f, "commissionAsset", t->commission_asset, sizeof t->commission_asset, 1);
    t->maker = get_bool(&f, "maker", 0);
    t->time = get_int(&f, "time", 1);
    if (!(t->price > 0) || !(t->qty > 0)) mark(&f, "qty");
    return finish(&f, bad);
}

ex_status bn_user_trades_parse(http_request *r, ex_fill **v, size_t *n, int *full, ex_error *e,
                               dstr *err) {
    return parse_list(r, "userTrades", sizeof **v, parse_fill, (void **)v, n, full, e, err);
}

void bn_income_prepare(bn_call *c, int64_t since_ms) {
    bn_call_init(c, "GET", "/fapi/v1/income", BN_READ);
    since_params(c, since_ms);
}

static int parse_income(const cJSON *o, void *out, const char **bad) {
    fields f = {.o = o};
    ex_income *i = out;
    get_symbol(&f, "symbol", i->symbol, 0);
    get_str(&f, "incomeType", i->type, sizeof i->type, 1);
    i->amount = get_dec(&f, "income", NULL, 1);
    get_str(&f, "asset", i->asset, sizeof i->asset, 1);
    i->time = get_int(&f, "time", 1);
    i->tran_id = get_int(&f, "tranId", 0);
    const cJSON *tid = field(&f, "tradeId"); /* "" or digits, sometimes a number */
    if (cJSON_IsNumber(tid)) {
        int64_t t;
        if (bn_whole(tid, &t)) mark(&f, "tradeId");
        else snprintf(i->trade_id, sizeof i->trade_id, "%lld", (long long)t);
    } else if (tid) {
        get_str(&f, "tradeId", i->trade_id, sizeof i->trade_id, 0);
    }
    return finish(&f, bad);
}

ex_status bn_income_parse(http_request *r, ex_income **v, size_t *n, int *full, ex_error *e,
                          dstr *err) {
    return parse_list(r, "income", sizeof **v, parse_income, (void **)v, n, full, e, err);
}
