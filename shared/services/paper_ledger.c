/* paper_ledger: the paper account's records and their fold (see paper_ledger.h). */
#include "services/paper_ledger.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "platform/config.h"
#include "platform/log.h"
#include "services/journal.h"
#include "services/journal_stream.h"
#include "services/recordkey.h"

/* ---- the fields of each list, as one table for writing and reading ------------------ */

typedef enum field_kind {
    F_TEXT,   /* char[size]: a name, an id, a decimal string */
    F_NUM,    /* double, finite */
    F_MS,     /* int64_t, 0..RECORDKEY_MAX_AT_MS */
    F_ID,     /* int64_t, >= 0, exact in a double */
    F_FLAG,   /* int, 0 or 1 */
    F_INT,    /* int, 0..1000 */
    F_SIDE,   /* ex_side as "BUY" / "SELL" */
    F_MARGIN, /* ex_margin_type as "CROSSED" / "ISOLATED" */
    F_ORDER,  /* ex_order_status by name (status_name kept beside it) */
    F_ALGO    /* ex_algo_status by name */
} field_kind;

typedef struct field {
    const char *name;
    field_kind kind;
    size_t off, size;
} field;

#define FLD(type, member, kind) \
    { #member, kind, offsetof(type, member), sizeof((type *)0)->member }

static const field holding_fields[] = {
    FLD(sim_holding, symbol, F_TEXT),  FLD(sim_holding, amount, F_NUM),
    FLD(sim_holding, entry, F_NUM),    FLD(sim_holding, iso_margin, F_NUM),
    FLD(sim_holding, leverage, F_INT), FLD(sim_holding, margin, F_MARGIN),
    FLD(sim_holding, update_ms, F_MS),
};

static const field order_fields[] = {
    FLD(ex_order, symbol, F_TEXT),
    FLD(ex_order, client_id, F_TEXT),
    FLD(ex_order, order_id, F_ID),
    FLD(ex_order, status, F_ORDER),
    FLD(ex_order, side, F_SIDE),
    FLD(ex_order, type, F_TEXT),
    FLD(ex_order, reduce_only, F_FLAG),
    FLD(ex_order, price, F_NUM),
    FLD(ex_order, avg_price, F_NUM),
    FLD(ex_order, orig_qty_str, F_TEXT),
    FLD(ex_order, executed_qty_str, F_TEXT),
    FLD(ex_order, orig_qty, F_NUM),
    FLD(ex_order, executed_qty, F_NUM),
    FLD(ex_order, cum_quote, F_NUM),
    FLD(ex_order, time, F_MS),
    FLD(ex_order, update_time, F_MS),
};

static const field algo_fields[] = {
    FLD(ex_algo_order, symbol, F_TEXT),        FLD(ex_algo_order, client_id, F_TEXT),
    FLD(ex_algo_order, algo_id, F_ID),         FLD(ex_algo_order, status, F_ALGO),
    FLD(ex_algo_order, type, F_TEXT),          FLD(ex_algo_order, side, F_SIDE),
    FLD(ex_algo_order, reduce_only, F_FLAG),   FLD(ex_algo_order, close_position, F_FLAG),
    FLD(ex_algo_order, trigger_price, F_NUM),  FLD(ex_algo_order, quantity_str, F_TEXT),
    FLD(ex_algo_order, quantity, F_NUM),       FLD(ex_algo_order, mark_price, F_FLAG),
    FLD(ex_algo_order, actual_order_id, F_ID), FLD(ex_algo_order, executed_qty, F_NUM),
    FLD(ex_algo_order, avg_price, F_NUM),      FLD(ex_algo_order, create_time, F_MS),
    FLD(ex_algo_order, update_time, F_MS),     FLD(ex_algo_order, trigger_time, F_MS),
};

static const field fill_fields[] = {
    FLD(ex_fill, symbol, F_TEXT),    FLD(ex_fill, id, F_ID),
    FLD(ex_fill, order_id, F_ID),    FLD(ex_fill, side, F_SIDE),
    FLD(ex_fill, price, F_NUM),      FLD(ex_fill, qty, F_NUM),
    FLD(ex_fill, quote_qty, F_NUM),  FLD(ex_fill, realized_pnl, F_NUM),
    FLD(ex_fill, commission, F_NUM), FLD(ex_fill, commission_asset, F_TEXT),
    FLD(ex_fill, maker, F_FLAG),     FLD(ex_fill, time, F_MS),
};

static const field income_fields[] = {
    FLD(ex_income, symbol, F_TEXT),   FLD(ex_income, type, F_TEXT), FLD(ex_income, amount, F_NUM),
    FLD(ex_income, asset, F_TEXT),    FLD(ex_income, time, F_MS),   FLD(ex_income, tran_id, F_ID),
    FLD(ex_income, trade_id, F_TEXT),
};

#define NF(t) (sizeof(t) / sizeof *(t))

/* One list of the account: its name, its fields, where it is. */
typedef struct list_spec {
    const char *name;
    const field *fields;
    size_t n_fields, size;
    size_t off_v, off_n; /* in sim_account */
} list_spec;

static const list_spec lists[] = {
    {"holdings", holding_fields, NF(holding_fields), sizeof(sim_holding),
     offsetof(sim_account, hold), offsetof(sim_account, n_hold)},
    {"orders", order_fields, NF(order_fields), sizeof(ex_order), offsetof(sim_account, orders),
     offsetof(sim_account, n_orders)},
    {"algos", algo_fields, NF(algo_fields), sizeof(ex_algo_order), offsetof(sim_account, algos),
     offsetof(sim_account, n_algos)},
    {"fills", fill_fields, NF(fill_fields), sizeof(ex_fill), offsetof(sim_account, fills),
     offsetof(sim_account, n_fills)},
    {"income", income_fields, NF(income_fields), sizeof(ex_income), offsetof(sim_account, income),
     offsetof(sim_account, n_income)},
};

static void **list_v(sim_account *a, const list_spec *l) { return (void **)((char *)a + l->off_v); }
static size_t *list_n(sim_account *a, const list_spec *l) {
    return (size_t *)((char *)a + l->off_n);
}

/* ---- writing ------------------------------------------------------------------------ */

static void put_number(dstr *out, double v) {
    /* %.17g reads back as the same double */
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    dstr_puts(out, buf);
}

static void put_text(dstr *out, const char *s) {
    cJSON *str = cJSON_CreateString(s);
    char *p = str ? cJSON_PrintUnformatted(str) : NULL;
    if (!p) abort();
    dstr_puts(out, p);
    cJSON_free(p);
    cJSON_Delete(str);
}

static void put_field(dstr *out, const field *f, const char *item) {
    const void *p = item + f->off;
    dstr_printf(out, "\"%s\":", f->name);
    switch (f->kind) {
    case F_TEXT: put_text(out, p); break;
    case F_NUM: put_number(out, *(const double *)p); break;
    case F_MS:
    case F_ID: dstr_printf(out, "%lld", (long long)*(const int64_t *)p); break;
    case F_FLAG:
    case F_INT: dstr_printf(out, "%d", *(const int *)p); break;
    case F_SIDE: put_text(out, ex_side_name(*(const ex_side *)p)); break;
    case F_MARGIN: put_text(out, ex_margin_type_name(*(const ex_margin_type *)p)); break;
    case F_ORDER: put_text(out, ex_order_status_name(*(const ex_order_status *)p)); break;
    case F_ALGO: put_text(out, ex_algo_status_name(*(const ex_algo_status *)p)); break;
    }
}

void paper_account_json(const sim_account *a, dstr *out) {
    dstr_puts(out, "{\"wallet\":");
    put_number(out, a->wallet);
    dstr_printf(out, ",\"hedge\":%d,\"walked_to\":%lld", a->hedge, (long long)a->walked_to);
    for (size_t k = 0; k < NF(lists); k++) {
        const list_spec *l = &lists[k];
        const char *v = *list_v((sim_account *)a, l);
        size_t n = *list_n((sim_account *)a, l);
        dstr_printf(out, ",\"%s\":[", l->name);
        for (size_t i = 0; i < n; i++) {
            dstr_puts(out, i ? ",{" : "{");
            for (size_t j = 0; j < l->n_fields; j++) {
                if (j) dstr_putc(out, ',');
                put_field(out, &l->fields[j], v + i * l->size);
            }
            dstr_putc(out, '}');
        }
        dstr_putc(out, ']');
    }
    dstr_putc(out, '}');
}

/* ---- reading (outside input) -------------------------------------------------------- */

static int whole(const cJSON *j, double lo, double hi, int64_t *out) {
    if (!cJSON_IsNumber(j)) return -1;
    double v = j->valuedouble;
    if (!(v >= lo && v <= hi) || v != floor(v)) return -1;
    *out = (int64_t)v;
    return 0;
}

static int read_field(const cJSON *obj, const field *f, char *item) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, f->name);
    void *p = item + f->off;
    int64_t w;
    switch (f->kind) {
    case F_TEXT:
        if (!cJSON_IsString(j) || strlen(j->valuestring) >= f->size) return -1;
        memcpy(p, j->valuestring, strlen(j->valuestring) + 1);
        return 0;
    case F_NUM:
        if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble)) return -1;
        *(double *)p = j->valuedouble;
        return 0;
    case F_MS:
        if (whole(j, 0, (double)RECORDKEY_MAX_AT_MS, &w)) return -1;
        *(int64_t *)p = w;
        return 0;
    case F_ID:
        if (whole(j, 0, 9007199254740992.0, &w)) return -1;
        *(int64_t *)p = w;
        return 0;
    case F_FLAG:
    case F_INT:
        if (whole(j, 0, f->kind == F_FLAG ? 1 : 1000, &w)) return -1;
        *(int *)p = (int)w;
        return 0;
    default: break;
    }
    if (!cJSON_IsString(j)) return -1;
    const char *s = j->valuestring;
    switch (f->kind) {
    case F_SIDE:
        for (int v = EX_BUY; v <= EX_SELL; v++)
            if (!strcmp(s, ex_side_name((ex_side)v))) return *(ex_side *)p = (ex_side)v, 0;
        return -1;
    case F_MARGIN:
        for (int v = EX_CROSSED; v <= EX_ISOLATED; v++)
            if (!strcmp(s, ex_margin_type_name((ex_margin_type)v)))
                return *(ex_margin_type *)p = (ex_margin_type)v, 0;
        return -1;
    case F_ORDER:
        for (int v = EX_ORDER_NEW; v < EX_ORDER_OTHER; v++)
            if (!strcmp(s, ex_order_status_name((ex_order_status)v))) {
                ex_order_set_status((ex_order *)item, (ex_order_status)v);
                return 0;
            }
        return -1;
    case F_ALGO:
        for (int v = EX_ALGO_NEW; v < EX_ALGO_OTHER; v++)
            if (!strcmp(s, ex_algo_status_name((ex_algo_status)v))) {
                ex_algo_set_status((ex_algo_order *)item, (ex_algo_status)v);
                return 0;
            }
        return -1;
    default: return -1;
    }
}

/* The texts that name things must be what the exchange would accept. */
static int valid_item(const list_spec *l, const char *item) {
    const char *symbol = item; /* every list's first field is its symbol */
    if (!cfg_valid_symbol(symbol)) return 0;
    if (l->fields == order_fields) {
        const ex_order *o = (const ex_order *)item;
        return !o->client_id[0] || ex_valid_client_id(o->client_id);
    }
    if (l->fields == algo_fields)
        return ex_valid_client_id(((const ex_algo_order *)item)->client_id);
    return 1;
}

int paper_account_parse(const cJSON *obj, sim_account *out, dstr *why) {
    memset(out, 0, sizeof *out);
    const cJSON *wallet = cJSON_GetObjectItemCaseSensitive(obj, "wallet");
    const cJSON *hedge = cJSON_GetObjectItemCaseSensitive(obj, "hedge");
    int64_t h, walked;
    if (!cJSON_IsObject(obj)) {
        dstr_puts(why, "the account is not a JSON object");
        return -1;
    }
    if (!cJSON_IsNumber(wallet) || !isfinite(wallet->valuedouble) || whole(hedge, -1, 1, &h) ||
        whole(cJSON_GetObjectItemCaseSensitive(obj, "walked_to"), 0, (double)RECORDKEY_MAX_AT_MS,
              &walked)) {
        dstr_puts(why, "wallet, hedge or walked_to is missing or out of range");
        return -1;
    }
    out->wallet = wallet->valuedouble;
    out->hedge = (int)h;
    out->walked_to = walked;
    for (size_t k = 0; k < NF(lists); k++) {
        const list_spec *l = &lists[k];
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, l->name);
        int n = cJSON_GetArraySize(arr);
        if (!cJSON_IsArray(arr) || n > PAPER_LIST_MAX) {
            dstr_printf(why, "%s is not a list of at most %d", l->name, PAPER_LIST_MAX);
            sim_account_free(out);
            return -1;
        }
        char *v = calloc((size_t)n + 1, l->size);
        if (!v) abort();
        *list_v(out, l) = v;
        size_t i = 0;
        for (const cJSON *it = arr->child; it; it = it->next, i++) {
            char *item = v + i * l->size;
            for (size_t j = 0; j < l->n_fields; j++) {
                if (!cJSON_IsObject(it) || read_field(it, &l->fields[j], item)) {
                    dstr_printf(why, "%s[%zu].%s is missing or malformed", l->name, i,
                                l->fields[j].name);
                    sim_account_free(out);
                    return -1;
                }
            }
            if (!valid_item(l, item)) {
                dstr_printf(why, "%s[%zu] names an invalid symbol or client id", l->name, i);
                sim_account_free(out);
                return -1;
            }
        }
        *list_n(out, l) = i;
    }
    return 0;
}

/* ---- diff and fold ------------------------------------------------------------------ */

/* Two items of a list stand for the same thing. */
static int same_thing(const list_spec *l, const char *a, const char *b) {
    if (strcmp(a, b)) return 0; /* the symbol */
    if (l->fields == holding_fields) return 1;
    if (l->fields == order_fields) {
        const ex_order *x = (const ex_order *)a, *y = (const ex_order *)b;
        return x->client_id[0] ? !strcmp(x->client_id, y->client_id) : x->order_id == y->order_id;
    }
    if (l->fields == algo_fields) {
        const ex_algo_order *x = (const ex_algo_order *)a, *y = (const ex_algo_order *)b;
        return !strcmp(x->client_id, y->client_id) && x->algo_id == y->algo_id;
    }
    if (l->fields == fill_fields) return ((const ex_fill *)a)->id == ((const ex_fill *)b)->id;
    return ((const ex_income *)a)->tran_id == ((const ex_income *)b)->tran_id;
}

static int same_content(const list_spec *l, const char *a, const char *b) {
    dstr x = {0}, y = {0};
    for (size_t j = 0; j < l->n_fields; j++) {
        put_field(&x, &l->fields[j], a);
        put_field(&y, &l->fields[j], b);
    }
    int same = x.len == y.len && !memcmp(x.ptr, y.ptr, x.len);
    dstr_free(&x);
    dstr_free(&y);
    return same;
}

static const char *find_item(const list_spec *l, const char *v, size_t n, const char *item) {
    for (size_t i = 0; i < n; i++)
        if (same_thing(l, v + i * l->size, item)) return v + i * l->size;
    return NULL;
}

static void append_item(sim_account *a, const list_spec *l, const char *item) {
    void **v = list_v(a, l);
    size_t *n = list_n(a, l);
    char *grown = realloc(*v, (*n + 1) * l->size);
    if (!grown) abort();
    memcpy(grown + *n * l->size, item, l->size);
    *v = grown;
    (*n)++;
}

static void account_copy(sim_account *dst, const sim_account *src) {
    *dst = *src;
    for (size_t k = 0; k < NF(lists); k++) {
        const list_spec *l = &lists[k];
        size_t n = *list_n(dst, l);
        void *v = malloc((n + 1) * l->size);
        if (!v) abort();
        if (n) memcpy(v, *list_v((sim_account *)src, l), n * l->size);
        *list_v(dst, l) = v;
    }
}

int paper_account_diff(const sim_account *before, const sim_account *after, sim_account *out) {
    memset(out, 0, sizeof *out);
    out->wallet = after->wallet;
    out->hedge = after->hedge == before->hedge ? -1 : after->hedge;
    out->walked_to = after->walked_to;
    int changed = out->hedge != -1;
    for (size_t k = 0; k < NF(lists); k++) {
        const list_spec *l = &lists[k];
        const char *bv = *list_v((sim_account *)before, l), *av = *list_v((sim_account *)after, l);
        size_t bn = *list_n((sim_account *)before, l), an = *list_n((sim_account *)after, l);
        for (size_t i = 0; i < an; i++) {
            const char *item = av + i * l->size, *old = find_item(l, bv, bn, item);
            if (old && same_content(l, old, item)) continue;
            append_item(out, l, item);
            changed = 1;
        }
    }
    return changed;
}

/* The version of an item that may change (holdings, orders, algo orders):
 * its update time, then how final its status is. */
static int64_t version(const list_spec *l, const char *item, int *rank) {
    *rank = 0;
    if (l->fields == holding_fields) return ((const sim_holding *)item)->update_ms;
    if (l->fields == order_fields) {
        const ex_order *o = (const ex_order *)item;
        *rank = o->status == EX_ORDER_NEW ? 0 : o->status == EX_ORDER_PARTIALLY_FILLED ? 1 : 2;
        return o->update_time;
    }
    const ex_algo_order *a = (const ex_algo_order *)item;
    *rank = a->status == EX_ALGO_NEW ? 0 : a->status == EX_ALGO_TRIGGERING ? 1 : 2;
    return a->update_time;
}

/* Closed items older than since_ms leave the fold (the event records keep them). */
static int stale(const list_spec *l, const char *item, int64_t since_ms) {
    if (l->fields == holding_fields) return 0;
    if (l->fields == fill_fields) return ((const ex_fill *)item)->time < since_ms;
    if (l->fields == income_fields) return ((const ex_income *)item)->time < since_ms;
    int rank;
    int64_t t = version(l, item, &rank);
    return rank == 2 && t < since_ms;
}

void paper_account_merge(sim_account *into, const sim_account *ev, int64_t since_ms) {
    if (ev->hedge >= 0) into->hedge = ev->hedge;
    if (ev->walked_to > into->walked_to) into->walked_to = ev->walked_to;
    for (size_t k = 0; k < NF(lists); k++) {
        const list_spec *l = &lists[k];
        const char *v = *list_v((sim_account *)ev, l);
        size_t n = *list_n((sim_account *)ev, l);
        int versioned = l->fields != fill_fields && l->fields != income_fields;
        for (size_t i = 0; i < n; i++) {
            const char *item = v + i * l->size;
            char *have = (char *)find_item(l, *list_v(into, l), *list_n(into, l), item);
            if (!have) {
                append_item(into, l, item);
                if (l->fields == income_fields) /* the wallet is the sum of the income */
                    into->wallet =
                        nearbyint((into->wallet + ((const ex_income *)item)->amount) * 1e8) / 1e8;
                continue;
            }
            if (!versioned) continue; /* a fill or income entry already counted */
            int r_have, r_new;
            int64_t t_have = version(l, have, &r_have), t_new = version(l, item, &r_new);
            /* the later version; on a tie the further status, then the later record */
            if (t_new > t_have || (t_new == t_have && r_new >= r_have)) memcpy(have, item, l->size);
        }
        /* drop what left the window, keeping the order */
        char *all = *list_v(into, l);
        size_t *count = list_n(into, l), kept = 0;
        for (size_t i = 0; i < *count; i++) {
            if (stale(l, all + i * l->size, since_ms)) continue;
            if (kept != i) memcpy(all + kept * l->size, all + i * l->size, l->size);
            kept++;
        }
        *count = kept;
    }
}

/* ---- the journal -------------------------------------------------------------------- */

static void covers_free(paper_ledger *l) {
    for (size_t i = 0; i < l->n_covers; i++) free(l->covers[i]);
    free(l->covers);
    l->covers = NULL;
    l->n_covers = 0;
}

static int covered(const paper_ledger *l, const char *key) {
    for (size_t i = 0; i < l->n_covers; i++)
        if (!strcmp(l->covers[i], key)) return 1;
    return 0;
}

static void cover(paper_ledger *l, const char *key) {
    if (covered(l, key)) return;
    char **grown = realloc(l->covers, (l->n_covers + 1) * sizeof *grown);
    if (!grown) abort();
    l->covers = grown;
    l->covers[l->n_covers++] = xstrdup(key);
}

/* Keeps the covers whose key time is within the window before now_ms. */
static void covers_prune(paper_ledger *l, int64_t now_ms) {
    char from[JOURNAL_KEY_MAX];
    if (recordkey_stem(PAPER_EVENTS_ROOT, now_ms - PAPER_SETTLE_MS, "", from, sizeof from)) return;
    size_t kept = 0;
    for (size_t i = 0; i < l->n_covers; i++) {
        if (strcmp(l->covers[i], from) < 0) free(l->covers[i]);
        else l->covers[kept++] = l->covers[i];
    }
    l->n_covers = kept;
}

typedef struct record {
    cJSON *root;
    const cJSON *account;
    int64_t time;
} record;

/* A stored record of kind: parsed, or NULL with why (when key is set, also
 * logged as journal.corrupt). */
static cJSON *record_parse(const char *key, const dstr *buf, const char *kind, int64_t *time,
                           dstr *why) {
    const char *broken = NULL;
    cJSON *root = NULL;
    if (buf->len > PAPER_RECORD_MAX) broken = "larger than a paper record may be";
    else if (!(root = cJSON_ParseWithLength(buf->ptr, buf->len))) broken = "not JSON";
    else {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(root, "kind");
        if (!cJSON_IsString(k) || strcmp(k->valuestring, kind)) broken = "not a paper record";
        else if (journal_json_ms(root, "time", time)) broken = "no time in unix ms";
    }
    if (broken) {
        if (key) journal_warn_corrupt(key, buf->len, broken);
        dstr_puts(why, broken);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* journal_stream_newest's parse: the state record, taken into the ledger. */
static int take_state(void *ctx, const char *file, const char *json, size_t len, dstr *why) {
    (void)file;
    paper_ledger *l = ctx;
    dstr buf = {.ptr = (char *)json, .len = len};
    int64_t t;
    cJSON *root = record_parse(NULL, &buf, "paper_state", &t, why);
    sim_account a;
    const cJSON *covers = cJSON_GetObjectItemCaseSensitive(root, "covers");
    int ok = root && cJSON_IsArray(covers) && cJSON_GetArraySize(covers) <= PAPER_LIST_MAX;
    for (const cJSON *c = ok ? covers->child : NULL; c && ok; c = c->next)
        ok = cJSON_IsString(c) && store_key_valid(c->valuestring, NULL);
    if (root && !ok) dstr_puts(why, "covers is not a list of keys");
    if (ok && paper_account_parse(cJSON_GetObjectItemCaseSensitive(root, "account"), &a, why))
        ok = 0;
    if (ok) {
        sim_account_free(&l->acct);
        l->acct = a;
        l->state_ms = t;
        for (const cJSON *c = covers->child; c; c = c->next) cover(l, c->valuestring);
    } else {
        l->corrupt++;
    }
    cJSON_Delete(root);
    return ok ? 0 : -1;
}

/* Folds the event record at key into l (a corrupt one is skipped). */
static void fold_event(store *s, paper_ledger *l, const char *key, dstr *buf, int64_t since_ms) {
    int64_t t;
    if (journal_load(s, key, buf)) return;
    dstr why = {0};
    cJSON *root = record_parse(key, buf, "paper_events", &t, &why);
    sim_account ev;
    if (root && paper_account_parse(cJSON_GetObjectItemCaseSensitive(root, "account"), &ev, &why)) {
        journal_warn_corrupt(key, buf->len, why.ptr);
        cJSON_Delete(root);
        root = NULL;
    }
    if (!root) {
        l->corrupt++;
    } else {
        paper_account_merge(&l->acct, &ev, since_ms);
        sim_account_free(&ev);
        cover(l, key);
        l->events_folded++;
    }
    dstr_free(&why);
    cJSON_Delete(root);
}

int paper_ledger_load(store *s, double start_balance, int64_t now_ms, paper_ledger *out,
                      dstr *err) {
    memset(out, 0, sizeof *out);
    if (!s) {
        dstr_error_line(err, "paper ledger: no journal store");
        return -1;
    }
    /* 0: a state taken; 1: none readable, so every event record is folded */
    int none = journal_stream_newest(s, PAPER_STATE_ROOT, take_state, out, err);
    if (none < 0) {
        paper_ledger_free(out);
        return -1;
    }
    if (none) { /* a new account, and its events, if any */
        out->acct.wallet = nearbyint(start_balance * 1e8) / 1e8;
        out->acct.walked_to = now_ms;
    }
    dstr buf = {0};
    /* every event record from the window before the state on, in key order */
    char after[JOURNAL_KEY_MAX] = PAPER_EVENTS_ROOT;
    if (!none)
        recordkey_stem(PAPER_EVENTS_ROOT, out->state_ms - PAPER_SETTLE_MS, "", after, sizeof after);
    int64_t since = now_ms - SIM_TRADES_WINDOW_MS;
    store_page page = {0};
    int rc = 0;
    for (;;) {
        if (store_list(s, PAPER_EVENTS_ROOT, after, STORE_LIST_MAX, &page, err) != STORE_OK) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < page.n; i++)
            if (!covered(out, page.keys[i])) fold_event(s, out, page.keys[i], &buf, since);
        if (!page.truncated || !page.n) break;
        snprintf(after, sizeof after, "%s", page.keys[page.n - 1]);
    }
    store_page_free(&page);
    dstr_free(&buf);
    if (rc) {
        paper_ledger_free(out);
        return -1;
    }
    covers_prune(out, now_ms);
    return 0;
}

static void record_json(dstr *out, const char *kind, int64_t now_ms, const char *op,
                        const sim_account *a, const paper_ledger *covers) {
    dstr_printf(out, "{\"kind\":\"%s\",\"v\":1,\"time\":%lld,\"op\":", kind, (long long)now_ms);
    put_text(out, op);
    dstr_puts(out, ",\"account\":");
    paper_account_json(a, out);
    if (covers) {
        dstr_puts(out, ",\"covers\":[");
        for (size_t i = 0; i < covers->n_covers; i++) {
            if (i) dstr_putc(out, ',');
            put_text(out, covers->covers[i]);
        }
        dstr_putc(out, ']');
    }
    dstr_puts(out, "}\n");
}

int paper_ledger_append(store *s, paper_ledger *l, const sim_account *after, const char *op,
                        int64_t now_ms, int64_t deadline_ms, dstr *err) {
    sim_account diff;
    if (!paper_account_diff(&l->acct, after, &diff)) {
        sim_account_free(&diff);
        return 0;
    }
    /* a process-wide sequence orders one process's records of one millisecond;
     * the nonce keeps two processes' apart */
    static unsigned seq;
    unsigned nonce = 0;
    if (getrandom(&nonce, sizeof nonce, GRND_NONBLOCK) != (ssize_t)sizeof nonce)
        nonce = (unsigned)now_ms ^ (unsigned)(uintptr_t)&nonce;
    char name[64], ev_stem[JOURNAL_KEY_MAX], st_stem[JOURNAL_KEY_MAX];
    snprintf(name, sizeof name, "%06u-%s-%08x", ++seq % 1000000, op, nonce);
    if (recordkey_stem(PAPER_EVENTS_ROOT, now_ms, name, ev_stem, sizeof ev_stem) ||
        now_ms > JOURNAL_STREAM_INV_BASE ||
        snprintf(st_stem, sizeof st_stem, "%s%013lld_%s", PAPER_STATE_ROOT,
                 (long long)(JOURNAL_STREAM_INV_BASE - now_ms), name) >= (int)sizeof st_stem) {
        sim_account_free(&diff);
        dstr_error_line(err, "paper ledger: no key for %lld", (long long)now_ms);
        return -1;
    }
    char ev_key[JOURNAL_KEY_MAX + 8];
    snprintf(ev_key, sizeof ev_key, "%s.json", ev_stem);
    paper_ledger next = {.covers = NULL};
    for (size_t i = 0; i < l->n_covers; i++) cover(&next, l->covers[i]);
    cover(&next, ev_key);
    covers_prune(&next, now_ms);
    dstr ev = {0}, st = {0};
    record_json(&ev, "paper_events", now_ms, op, &diff, NULL);
    record_json(&st, "paper_state", now_ms, op, after, &next);
    recordkey_write w[2] = {{.stem = ev_stem, .ext = ".json", .data = ev.ptr, .n = ev.len},
                            {.stem = st_stem, .ext = ".json", .data = st.ptr, .n = st.len}};
    recordkey_put_new_batch(s, w, 2, deadline_ms);
    int rc = w[0].rc;
    if (rc) {
        dstr_error_line(err, "paper ledger: %s: %s", dstr_cstr(&w[0].key), dstr_cstr(&w[0].why));
    } else {
        if (w[1].rc) /* the events stand without it: the next load folds them */
            log_msg(LOG_WARN, "paper.state_unwritten", "%s: %s", dstr_cstr(&w[1].key),
                    dstr_cstr(&w[1].why));
        sim_account_free(&l->acct);
        account_copy(&l->acct, after);
        covers_free(l);
        l->covers = next.covers;
        l->n_covers = next.n_covers;
        next.covers = NULL;
        next.n_covers = 0;
    }
    covers_free(&next);
    for (int i = 0; i < 2; i++) recordkey_write_free(&w[i]);
    dstr_free(&ev);
    dstr_free(&st);
    sim_account_free(&diff);
    return rc;
}

void paper_ledger_free(paper_ledger *l) {
    if (!l) return;
    sim_account_free(&l->acct);
    covers_free(l);
    memset(l, 0, sizeof *l);
}
