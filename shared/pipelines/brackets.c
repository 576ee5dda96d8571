/* brackets: the executor's stored plans (see brackets.h). */
#include "pipelines/brackets.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/config.h"
#include "services/recordkey.h"

static int key_under(const char *root, const char *symbol, int64_t candle_ms, char *buf,
                     size_t cap) {
    char stem[JOURNAL_KEY_MAX];
    if (!symbol || !cfg_valid_symbol(symbol) ||
        recordkey_stem(root, candle_ms, symbol, stem, sizeof stem))
        return -1;
    int n = snprintf(buf, cap, "%s.json", stem);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int bracket_key(const char *symbol, int64_t candle_ms, char *buf, size_t cap) {
    return key_under(BRACKET_PREFIX, symbol, candle_ms, buf, cap);
}

int bracket_fill_key(const char *symbol, int64_t candle_ms, char *buf, size_t cap) {
    return key_under(BRACKET_FILL_PREFIX, symbol, candle_ms, buf, cap);
}

static int decimal_ok(const char *t) { return t && journal_valid_decimal(t, 0); }

static void json_text_or_null(dstr *j, const char *name, const char *v) {
    dstr_printf(j, ",\"%s\":", name);
    if (v) dstr_json_str(j, v);
    else dstr_puts(j, "null");
}

/* {"symbol", "candle_ms", "<when_name>", "side" of a plan or a fill record. */
static void record_head(dstr *j, const char *symbol, int64_t candle_ms, const char *when_name,
                        int64_t when_ms, direction dir) {
    dstr_puts(j, "{\"symbol\":");
    dstr_json_str(j, symbol);
    dstr_printf(j, ",\"candle_ms\":%lld,\"%s\":%lld,\"side\":\"%s\"", (long long)candle_ms,
                when_name, (long long)when_ms, dir == DIR_LONG ? "LONG" : "SHORT");
}

/* The plan's key and JSON (journal_render_fn). */
static const char *plan_record(const void *item, char *key, size_t cap, dstr *j) {
    const bracket_plan *p = item;
    if (!p || (p->dir != DIR_LONG && p->dir != DIR_SHORT) || !decimal_ok(p->qty) ||
        !decimal_ok(p->entry) || !decimal_ok(p->sl) || !decimal_ok(p->tp) ||
        !(p->sl_distance > 0) || !(p->tp_distance > 0) || !isfinite(p->sl_distance) ||
        !isfinite(p->tp_distance) || bracket_key(p->symbol, p->candle_ms, key, cap))
        return "it breaks its rules";
    record_head(j, p->symbol, p->candle_ms, "created_ms", p->created_ms, p->dir);
    const char *names[] = {"qty", "entry", "sl", "tp"};
    const char *vals[] = {p->qty, p->entry, p->sl, p->tp};
    for (int i = 0; i < 4; i++) {
        dstr_printf(j, ",\"%s\":", names[i]);
        dstr_json_str(j, vals[i]);
    }
    dstr_puts(j, ",\"sl_distance\":");
    dstr_json_num(j, p->sl_distance);
    dstr_puts(j, ",\"tp_distance\":");
    dstr_json_num(j, p->tp_distance);
    json_text_or_null(j, "run_id", p->run_id);
    json_text_or_null(j, "build", p->build);
    json_text_or_null(j, "config_hash", p->config_hash);
    dstr_printf(j, ",\"deadline_ms\":%lld}",
                (long long)(p->deadline_ms > 0 && p->deadline_ms <= RECORDKEY_MAX_AT_MS
                                ? p->deadline_ms
                                : 0));
    return NULL;
}

static const char *plan_symbol(const void *item) { return ((const bracket_plan *)item)->symbol; }
static const char *fill_symbol(const void *item) { return ((const bracket_fill *)item)->symbol; }

void bracket_puts(store *s, const bracket_plan *p, size_t n, int64_t deadline_ms,
                  journal_status *st, dstr *err) {
    journal_put_rendered(s, "bracket plan", p, sizeof *p, plan_symbol, plan_record, n, deadline_ms,
                         st, NULL, err);
}

journal_status bracket_put(store *s, const bracket_plan *p, dstr *err) {
    journal_status st = JOURNAL_INVALID;
    if (!p) {
        dstr_error_line(err, "bracket plan not written: it breaks its rules");
        return st;
    }
    bracket_puts(s, p, 1, 0, &st, err);
    return st;
}

/* The fill record's key and JSON (journal_render_fn). */
static const char *fill_record(const void *item, char *key, size_t cap, dstr *j) {
    const bracket_fill *f = item;
    if (!f || (f->dir != DIR_LONG && f->dir != DIR_SHORT) || !decimal_ok(f->qty) ||
        !(f->fill_price > 0) || !isfinite(f->fill_price) || !f->client_id ||
        (f->sl_trigger && !decimal_ok(f->sl_trigger)) ||
        (f->tp_trigger && !decimal_ok(f->tp_trigger)) ||
        bracket_fill_key(f->symbol, f->candle_ms, key, cap))
        return "it breaks its rules";
    record_head(j, f->symbol, f->candle_ms, "filled_ms", f->filled_ms, f->dir);
    json_text_or_null(j, "client_id", f->client_id);
    dstr_printf(j, ",\"order_id\":%lld", (long long)f->order_id);
    json_text_or_null(j, "qty", f->qty);
    dstr_puts(j, ",\"fill_price\":");
    dstr_json_num(j, f->fill_price);
    json_text_or_null(j, "sl_trigger", f->sl_trigger);
    json_text_or_null(j, "tp_trigger", f->tp_trigger);
    json_text_or_null(j, "build", f->build);
    dstr_printf(j, ",\"recovered\":%s}", f->recovered ? "true" : "false");
    return NULL;
}

void bracket_fills_put(store *s, const bracket_fill *f, size_t n, int64_t deadline_ms,
                       journal_status *st, dstr *err) {
    journal_put_rendered(s, "fill record", f, sizeof *f, fill_symbol, fill_record, n, deadline_ms,
                         st, NULL, err);
}

journal_status bracket_fill_put(store *s, const bracket_fill *f, dstr *err) {
    journal_status st = JOURNAL_INVALID;
    if (!f) {
        dstr_error_line(err, "fill record not written: it breaks its rules");
        return st;
    }
    bracket_fills_put(s, f, 1, 0, &st, err);
    return st;
}

static int text_field(const cJSON *o, const char *name, char *out, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || !decimal_ok(v->valuestring) || strlen(v->valuestring) >= cap)
        return -1;
    snprintf(out, cap, "%s", v->valuestring);
    return 0;
}

static int positive(const cJSON *o, const char *name, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || !(v->valuedouble > 0)) return -1;
    *out = v->valuedouble;
    return 0;
}

int bracket_parse(const char *json, size_t len, bracket_info *out, dstr *why) {
    memset(out, 0, sizeof *out);
    cJSON *o = json ? cJSON_ParseWithLength(json, len) : NULL;
    const char *broken = NULL;
    const cJSON *sym = cJSON_GetObjectItemCaseSensitive(o, "symbol");
    const cJSON *side = cJSON_GetObjectItemCaseSensitive(o, "side");
    if (!cJSON_IsObject(o)) broken = "not a JSON object";
    else if (!cJSON_IsString(sym) || !cfg_valid_symbol(sym->valuestring))
        broken = "symbol is not a symbol";
    else if (journal_json_ms(o, "candle_ms", &out->candle_ms) ||
             journal_json_ms(o, "created_ms", &out->created_ms))
        broken = "candle_ms or created_ms is not unix ms";
    else if (!cJSON_IsString(side) ||
             (strcmp(side->valuestring, "LONG") && strcmp(side->valuestring, "SHORT")))
        broken = "side is not LONG or SHORT";
    else if (text_field(o, "qty", out->qty, sizeof out->qty) ||
             text_field(o, "entry", out->entry, sizeof out->entry) ||
             text_field(o, "sl", out->sl, sizeof out->sl) ||
             text_field(o, "tp", out->tp, sizeof out->tp))
        broken = "qty, entry, sl or tp is not a decimal string";
    else if (positive(o, "sl_distance", &out->sl_distance) ||
             positive(o, "tp_distance", &out->tp_distance))
        broken = "sl_distance or tp_distance is not a number > 0";
    else if (journal_json_text(o, "run_id", 1, journal_valid_id, JOURNAL_ID_MAX, out->run_id,
                               sizeof out->run_id))
        broken = "run_id is not an id";
    /* optional, and only a hint (reconcile.h: a bracket in flight): a plan is
     * never unusable for want of it */
    if (!broken && journal_json_ms(o, "deadline_ms", &out->deadline_ms)) out->deadline_ms = 0;
    if (!broken) {
        snprintf(out->symbol, sizeof out->symbol, "%s", sym->valuestring);
        out->dir = strcmp(side->valuestring, "LONG") == 0 ? DIR_LONG : DIR_SHORT;
        out->qty_value = strtod(out->qty, NULL);
        out->has = 1;
    }
    cJSON_Delete(o);
    if (broken) {
        bracket_info zero = {0};
        *out = zero;
        dstr_error_line(why, "bracket record: %s", broken);
        return -1;
    }
    return 0;
}

typedef struct latest_ctx {
    const char *const *symbols;
    size_t n, found;
    bracket_info *out;
} latest_ctx;

static journal_step visit(void *vctx, store *s, const char *key) {
    latest_ctx *c = vctx;
    /* the file name is HHMMSSmmm_SYMBOL.json: only load a symbol still wanted */
    const char *file = strrchr(key, '/');
    file = file ? file + 1 : key;
    const char *us = strchr(file, '_');
    size_t want = c->n;
    for (size_t i = 0; us && i < c->n; i++) {
        size_t sl = strlen(c->symbols[i]);
        if (!c->out[i].has && strncmp(us + 1, c->symbols[i], sl) == 0 &&
            strcmp(us + 1 + sl, ".json") == 0)
            want = i;
    }
    if (want == c->n) return JOURNAL_WALK_MORE;
    dstr buf = {0}, why = {0};
    bracket_info info;
    if (journal_load(s, key, &buf) == 0) {
        if (bracket_parse(buf.ptr, buf.len, &info, &why) ||
            strcmp(info.symbol, c->symbols[want]) != 0) {
            journal_warn_corrupt(key, buf.len, why.len ? why.ptr : "symbol differs from its key");
        } else {
            c->out[want] = info;
            c->found++;
        }
    }
    dstr_free(&buf);
    dstr_free(&why);
    return c->found == c->n ? JOURNAL_WALK_DONE : JOURNAL_WALK_MORE;
}

int bracket_latest(store *s, const char *const *symbols, size_t n, bracket_info *out, dstr *err) {
    memset(out, 0, n * sizeof *out);
    if (!n) return 0;
    if (!s) {
        dstr_error_line(err, "brackets: journal store unavailable");
        return -1;
    }
    latest_ctx c = {.symbols = symbols, .n = n, .out = out};
    journal_walk w = {.root = BRACKET_PREFIX, .ext = ".json", .visit = visit, .ctx = &c};
    if (journal_walk_newest(s, &w, err)) {
        memset(out, 0, n * sizeof *out);
        return -1;
    }
    return 0;
}
