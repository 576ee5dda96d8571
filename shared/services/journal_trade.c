/* journal_trade: trade records: checks, JSON, keys, CSV (see journal_trade.h). */
#include "services/journal_trade.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/config.h"
#include "services/journal.h"
#include "services/recordkey.h"

#define DECIMAL_MAX 40
#define TOKEN_MAX 32
#define CLIENT_ID_MAX 36

/* ---- checks ------------------------------------------------------------------- */

typedef int (*char_class)(int c);

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_upper_token(int c) { return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; }
static int is_lower_token(int c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_'; }
static int is_client_id(int c) {
    return is_upper_token(c) || (c >= 'a' && c <= 'z') || (c && strchr(".:/-", c));
}

static int token_ok(const char *s, size_t max, char_class ok) {
    if (!s) return 0;
    size_t n = 0;
    for (; s[n]; n++)
        if (n == max || !ok((unsigned char)s[n])) return 0;
    return n > 0;
}

/* NULL, or [-]digits[.digits] (sign only when allowed). */
static int decimal_ok(const char *s, int may_be_negative) {
    if (!s) return 1;
    const char *p = s + (may_be_negative && *s == '-');
    size_t whole = strspn(p, "0123456789");
    if (whole == 0) return 0;
    p += whole;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        if (frac == 0) return 0;
        p += 1 + frac;
    }
    return *p == '\0' && strlen(s) <= DECIMAL_MAX;
}

static int raw_ok(const char *raw) {
    if (!raw) return 1;
    cJSON *v = cJSON_Parse(raw);
    int ok = cJSON_IsObject(v);
    cJSON_Delete(v);
    return ok;
}

int journal_trade_check(const journal_trade *t, dstr *why) {
    const char *broken = NULL;
    if (!t) broken = "no trade";
    else if (t->time_ms < 0 || t->time_ms > RECORDKEY_MAX_AT_MS)
        broken = "time must be unix ms from 1970 to 9999";
    else if (!t->symbol || !cfg_valid_symbol(t->symbol))
        broken = "symbol must be 2-20 uppercase letters or digits";
    else if (!t->side || (strcmp(t->side, "BUY") != 0 && strcmp(t->side, "SELL") != 0))
        broken = "side must be BUY or SELL";
    else if (!token_ok(t->type, TOKEN_MAX, is_upper_token))
        broken = "type must be 1-32 of A-Z, 0-9 and _";
    else if (!token_ok(t->status, TOKEN_MAX, is_upper_token))
        broken = "status must be 1-32 of A-Z, 0-9 and _";
    else if (!decimal_ok(t->qty, 0)) broken = "qty must be an unsigned decimal string";
    else if (!decimal_ok(t->price, 0)) broken = "price must be an unsigned decimal string";
    else if (!decimal_ok(t->realized_pnl, 1)) broken = "realized_pnl must be a decimal string";
    else if (t->order_id < 0) broken = "order_id must be positive (0: unknown)";
    else if (t->client_order_id && !token_ok(t->client_order_id, CLIENT_ID_MAX, is_client_id))
        broken = "client_order_id must match ^[.A-Z:/a-z0-9_-]{1,36}$";
    else if (t->kind && !token_ok(t->kind, TOKEN_MAX, is_lower_token))
        broken = "kind must be 1-32 of a-z, 0-9 and _";
    else if (!raw_ok(t->raw_json)) broken = "raw must be a JSON object";
    if (!broken) return 0;
    dstr_puts(why, broken);
    return -1;
}

/* ---- the record and its key ------------------------------------------------------ */

void journal_trade_json(const journal_trade *t, dstr *out) {
    dstr_printf(out, "{\"time\":%lld,\"symbol\":", (long long)t->time_ms);
    dstr_json_str(out, t->symbol);
    const struct {
        const char *name, *value;
    } fields[] = {{"side", t->side},
                  {"type", t->type},
                  {"qty", t->qty},
                  {"price", t->price},
                  {"status", t->status}};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        dstr_printf(out, ",\"%s\":", fields[i].name);
        dstr_json_str(out, fields[i].value);
    }
    if (t->order_id > 0) dstr_printf(out, ",\"order_id\":%lld", (long long)t->order_id);
    else dstr_puts(out, ",\"order_id\":null");
    dstr_puts(out, ",\"client_order_id\":");
    dstr_json_str(out, t->client_order_id);
    dstr_puts(out, ",\"realized_pnl\":");
    dstr_json_str(out, t->realized_pnl);
    dstr_puts(out, ",\"kind\":");
    dstr_json_str(out, t->kind ? t->kind : "order");
    if (t->raw_json) {
        dstr_puts(out, ",\"raw\":");
        if (raw_ok(t->raw_json)) dstr_puts(out, t->raw_json);
        else dstr_json_str(out, t->raw_json);
    }
    dstr_putc(out, '}');
}

/* "trades/YYYYMMDD/{ts}_{symbol}_{client id or kind}" */
static int trade_stem(const journal_trade *t, char *buf, size_t cap) {
    char name[80];
    snprintf(name, sizeof name, "%s_%s", t->symbol,
             t->client_order_id ? t->client_order_id
             : t->kind          ? t->kind
                                : "order");
    for (char *p = strchr(name, '/'); p; p = strchr(p, '/')) *p = '.'; /* not a key separator */
    return recordkey_stem(JOURNAL_TRADE_PREFIX, t->time_ms, name, buf, cap);
}

int journal_trade_key(const journal_trade *t, char *buf, size_t cap) {
    char stem[128];
    dstr why = {0};
    int bad = journal_trade_check(t, &why);
    dstr_free(&why);
    if (bad || trade_stem(t, stem, sizeof stem)) return -1;
    int n = snprintf(buf, cap, "%s.json", stem);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int journal_trade_put(store *s, const journal_trade *t, dstr *key_out) {
    dstr why = {0}, json = {0}, key = {0};
    int rc = -1;
    char stem[128];
    if (!t) {
        dstr_puts(&why, "no trade");
    } else if (journal_trade_check(t, &why) == 0) {
        journal_trade_json(t, &json);
        if (trade_stem(t, stem, sizeof stem)) dstr_puts(&why, "no key for this trade");
        else rc = recordkey_put_new(s, stem, ".json", json.ptr, json.len, &key, &why);
    } else {
        journal_trade_json(t, &json);
    }
    if (rc == 0 && key_out) {
        dstr_clear(key_out);
        dstr_append(key_out, key.ptr, key.len);
    } else if (rc) {
        journal_log_unwritten("trade", t && t->symbol ? t->symbol : NULL, key.len ? key.ptr : NULL,
                              dstr_cstr(&why), json.ptr, json.len);
        if (key_out) dstr_clear(key_out);
    }
    dstr_free(&why);
    dstr_free(&json);
    dstr_free(&key);
    return rc;
}

/* ---- CSV ----------------------------------------------------------------------------- */

void journal_trade_csv_field(dstr *out, const char *text, size_t n) {
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++) quote = strchr(",\"\r\n", text[i]) && text[i];
    if (!quote) {
        dstr_append(out, text, n);
        return;
    }
    dstr_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '"') dstr_putc(out, '"');
        dstr_putc(out, text[i]);
    }
    dstr_putc(out, '"');
}

static void iso_utc(int64_t ms, char *buf, size_t cap) {
    struct tm tm;
    time_t t = (time_t)(ms / 1000);
    gmtime_r(&t, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* One column's text: a string as is, a number as JSON writes it, null or
 * absent as empty. -1 for any other type. */
static int column_text(const cJSON *v, dstr *text) {
    dstr_clear(text);
    if (!v || cJSON_IsNull(v)) return 0;
    if (cJSON_IsString(v)) {
        dstr_puts(text, v->valuestring);
        return 0;
    }
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (d == floor(d) && fabs(d) < 9007199254740992.0) dstr_printf(text, "%lld", (long long)d);
    else dstr_json_num(text, d);
    return 0;
}

/* Appends the CSV row of one stored record; -1 (nothing appended) with why
 * when it is not a trade record. */
static int csv_row(const char *json, size_t len, dstr *out, const char **why) {
    static const char *const columns[] = {"symbol",      "side",   "type",     "qty",
                                          "price",       "status", "order_id", "client_order_id",
                                          "realized_pnl"};
    cJSON *rec = cJSON_ParseWithLength(json, len);
    const cJSON *time = cJSON_GetObjectItemCaseSensitive(rec, "time");
    int rc = -1;
    *why = NULL;
    if (!cJSON_IsObject(rec)) *why = "not a JSON object";
    else if (!cJSON_IsNumber(time) || time->valuedouble < 0 ||
             time->valuedouble > RECORDKEY_MAX_AT_MS)
        *why = "no time in unix ms";
    else if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "symbol"))) *why = "no symbol";
    if (!*why) {
        size_t start = out->len;
        char iso[80];
        iso_utc((int64_t)time->valuedouble, iso, sizeof iso);
        dstr_puts(out, iso);
        dstr text = {0};
        rc = 0;
        for (size_t i = 0; i < sizeof columns / sizeof *columns && rc == 0; i++) {
            rc = column_text(cJSON_GetObjectItemCaseSensitive(rec, columns[i]), &text);
            dstr_putc(out, ',');
            journal_trade_csv_field(out, dstr_cstr(&text), text.len);
        }
        dstr_free(&text);
        if (rc) {
            *why = "a column holds an object, array or bool";
            out->len = start;
            out->ptr[start] = '\0';
        } else {
            dstr_puts(out, "\r\n");
        }
    }
    cJSON_Delete(rec);
    return rc;
}

typedef struct csv_walk {
    size_t limit, found;
    dstr buf;
    dstr *out;
} csv_walk;

static journal_step visit_trade(void *ctx, store *s, const char *key) {
    csv_walk *c = ctx;
    if (journal_load(s, key, &c->buf)) return JOURNAL_WALK_MORE;
    const char *why;
    if (csv_row(c->buf.ptr, c->buf.len, c->out, &why)) {
        journal_warn_corrupt(key, c->buf.len, why);
        return JOURNAL_WALK_MORE;
    }
    return ++c->found == c->limit ? JOURNAL_WALK_DONE : JOURNAL_WALK_MORE;
}

int journal_trade_csv(store *s, size_t limit, dstr *out, dstr *err) {
    if (journal_check_reader(s, limit, err)) return -1;
    size_t start = out->len;
    dstr_puts(out, JOURNAL_TRADE_CSV_HEADER "\r\n");
    csv_walk c = {.limit = limit, .out = out};
    journal_walk w = {
        .root = JOURNAL_TRADE_PREFIX, .ext = ".json", .visit = visit_trade, .ctx = &c};
    int rc = journal_walk_newest(s, &w, err);
    dstr_free(&c.buf);
    if (rc) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    return rc;
}
