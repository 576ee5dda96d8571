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

#define TOKEN_MAX 32
#define CLIENT_ID_MAX 36
#define ASSET_MAX 16

/* ---- checks ------------------------------------------------------------------- */

typedef int (*char_class)(int c);

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_upper_token(int c) { return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; }
static int is_lower_token(int c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_'; }
static int is_asset(int c) { return (c >= 'A' && c <= 'Z') || is_digit(c); }
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

/* NULL, or a decimal string (journal_valid_decimal). */
static int decimal_ok(const char *s, int may_be_negative) {
    return !s || journal_valid_decimal(s, may_be_negative);
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
    else if (!decimal_ok(t->fee, 0)) broken = "fee must be an unsigned decimal string";
    else if (t->fee_asset && !token_ok(t->fee_asset, ASSET_MAX, is_asset))
        broken = "fee_asset must be 1-16 of A-Z and 0-9";
    else if (!decimal_ok(t->funding, 1)) broken = "funding must be a decimal string";
    else if (t->order_id < 0) broken = "order_id must be positive (0: unknown)";
    else if (t->trade_id < 0) broken = "trade_id must be positive (0: the whole order)";
    else if (t->client_order_id && !token_ok(t->client_order_id, CLIENT_ID_MAX, is_client_id))
        broken = "client_order_id must match ^[.A-Z:/a-z0-9_-]{1,36}$";
    else if (t->kind && !token_ok(t->kind, TOKEN_MAX, is_lower_token))
        broken = "kind must be 1-32 of a-z, 0-9 and _";
    else if (!raw_ok(t->raw_json)) broken = "raw must be a JSON object";
    if (!broken) return 0;
    if (why) dstr_puts(why, broken);
    return -1;
}

/* ---- net PnL, exactly in decimal -------------------------------------------------- */

#define NET_SCALE 18     /* fraction digits the sum keeps exactly */
#define NET_WHOLE_MAX 19 /* whole digits of each term: three terms stay below 2^127 */

/* A checked decimal string as an integer of 10^-NET_SCALE units; *frac gets
 * its fraction digits. -1 when it has too many digits to stay exact. */
static int decimal_units(const char *text, __int128 *units, int *frac) {
    const char *p = text;
    int negative = *p == '-';
    p += negative;
    size_t whole = strspn(p, "0123456789");
    if (whole > NET_WHOLE_MAX) return -1;
    __int128 v = 0;
    for (size_t i = 0; i < whole; i++) v = v * 10 + (p[i] - '0');
    p += whole;
    int f = 0;
    if (*p == '.')
        for (p++; *p; p++, f++) {
            if (f == NET_SCALE) return -1;
            v = v * 10 + (*p - '0');
        }
    for (int i = f; i < NET_SCALE; i++) v *= 10;
    *units = negative ? -v : v;
    *frac = f;
    return 0;
}

/* The fee counts in net_pnl when it is in the symbol's quote asset. */
static int fee_in_quote(const journal_trade *t) {
    if (!t->fee) return 1;
    if (!t->fee_asset) return 0;
    size_t n = strlen(t->symbol), a = strlen(t->fee_asset);
    return a < n && strcmp(t->symbol + n - a, t->fee_asset) == 0;
}

int journal_trade_net_pnl(const journal_trade *t, char *buf, size_t cap) {
    dstr why = {0};
    int bad = journal_trade_check(t, &why);
    dstr_free(&why);
    if (bad || !t->realized_pnl || !fee_in_quote(t)) return -1;
    const char *terms[3] = {t->realized_pnl, t->fee, t->funding};
    const int sign[3] = {1, -1, 1};
    __int128 sum = 0;
    int frac = 0;
    for (int i = 0; i < 3; i++) {
        __int128 units;
        int f;
        if (!terms[i]) continue;
        if (decimal_units(terms[i], &units, &f)) return -1;
        sum += sign[i] * units;
        if (f > frac) frac = f;
    }
    /* printed with as many fraction digits as the most precise term */
    char digits[64];
    int n = 0;
    unsigned __int128 mag = sum < 0 ? (unsigned __int128)(-sum) : (unsigned __int128)sum;
    for (int i = 0; i < NET_SCALE - frac; i++) mag /= 10; /* exact: no term has those digits */
    do {
        digits[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag || n <= frac);
    size_t k = 0;
    char out[72];
    if (sum < 0) out[k++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        out[k++] = digits[i];
        if (i == frac && frac > 0) out[k++] = '.';
    }
    out[k] = '\0';
    if (k + 1 > cap) return -1;
    memcpy(buf, out, k + 1);
    return 0;
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
    const struct {
        const char *name;
        int64_t value;
    } ids[] = {{"order_id", t->order_id}, {"trade_id", t->trade_id}};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        if (ids[i].value > 0)
            dstr_printf(out, ",\"%s\":%lld", ids[i].name, (long long)ids[i].value);
        else dstr_printf(out, ",\"%s\":null", ids[i].name);
    }
    char net[JOURNAL_DECIMAL_MAX + 8];
    const struct {
        const char *name, *value;
    } money[] = {{"client_order_id", t->client_order_id},
                 {"realized_pnl", t->realized_pnl},
                 {"fee", t->fee},
                 {"fee_asset", t->fee_asset},
                 {"funding", t->funding},
                 {"net_pnl", journal_trade_net_pnl(t, net, sizeof net) ? NULL : net}};
    for (size_t i = 0; i < sizeof money / sizeof *money; i++) {
        dstr_printf(out, ",\"%s\":", money[i].name);
        dstr_json_str(out, money[i].value);
    }
    dstr_puts(out, ",\"kind\":");
    dstr_json_str(out, t->kind ? t->kind : "order");
    const struct {
        const char *name, *value;
    } audit[] = {{"build", t->build}, {"config_hash", t->config_hash}};
    for (size_t i = 0; i < sizeof audit / sizeof *audit; i++) {
        if (!audit[i].value) continue;
        dstr_printf(out, ",\"%s\":", audit[i].name);
        dstr_json_str(out, audit[i].value);
    }
    if (t->raw_json) {
        dstr_puts(out, ",\"raw\":");
        if (raw_ok(t->raw_json)) dstr_puts(out, t->raw_json);
        else dstr_json_str(out, t->raw_json);
    }
    dstr_putc(out, '}');
}

/* "trades/YYYYMMDD/{ts}_{symbol}_{order id}[_{trade id}]": the exchange's ids. */
static int trade_stem(const journal_trade *t, char *buf, size_t cap) {
    if (t->order_id <= 0) return -1;
    char name[80];
    if (t->trade_id > 0)
        snprintf(name, sizeof name, "%s_%lld_%lld", t->symbol, (long long)t->order_id,
                 (long long)t->trade_id);
    else snprintf(name, sizeof name, "%s_%lld", t->symbol, (long long)t->order_id);
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

journal_status journal_trade_put(store *s, const journal_trade *t, dstr *key_out, dstr *err) {
    dstr why = {0}, json = {0};
    journal_status st = JOURNAL_INVALID;
    char key[160];
    if (key_out) dstr_clear(key_out);
    if (!t) {
        dstr_puts(&why, "no trade");
    } else {
        journal_trade_json(t, &json);
        if (journal_trade_check(t, &why) == 0 && journal_trade_key(t, key, sizeof key))
            dstr_puts(&why, "no key for this trade: order_id is required");
    }
    if (why.len) {
        journal_log_unwritten("trade", t && t->symbol ? t->symbol : NULL, NULL, dstr_cstr(&why),
                              json.ptr, json.len);
        dstr_error_line(err, "trade not written: %s", dstr_cstr(&why));
    } else {
        st = journal_put_exact(s, "trade", t->symbol, key, json.ptr, json.len, err);
        if (st == JOURNAL_OK && key_out) dstr_puts(key_out, key);
    }
    dstr_free(&why);
    dstr_free(&json);
    return st;
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
    static const char *const columns[] = {"symbol",       "side",   "type",      "qty",
                                          "price",        "status", "order_id",  "client_order_id",
                                          "realized_pnl", "fee",    "fee_asset", "net_pnl"};
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

/* ---- reading records back: the risk manager's inputs -------------------------------- */

static void copy_text(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

/* A money field: null/absent (0), a decimal string (1, *v set), else -1. */
static int money_field(const cJSON *rec, const char *name, int may_be_negative, double *v) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(rec, name);
    if (!f || cJSON_IsNull(f)) return 0;
    if (!cJSON_IsString(f) || !decimal_ok(f->valuestring, may_be_negative)) return -1;
    *v = strtod(f->valuestring, NULL);
    return 1;
}

int journal_trade_parse(const char *json, size_t len, journal_trade_info *out, dstr *why) {
    *out = (journal_trade_info){0};
    cJSON *rec = json ? cJSON_ParseWithLength(json, len) : NULL;
    const cJSON *time = cJSON_GetObjectItemCaseSensitive(rec, "time");
    const cJSON *symbol = cJSON_GetObjectItemCaseSensitive(rec, "symbol");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(rec, "kind");
    const cJSON *asset = cJSON_GetObjectItemCaseSensitive(rec, "fee_asset");
    const char *broken = NULL;
    int *has[] = {&out->has_realized, &out->has_fee, &out->has_funding, &out->has_net};
    double *val[] = {&out->realized_pnl, &out->fee, &out->funding, &out->net_pnl};
    static const char *const names[] = {"realized_pnl", "fee", "funding", "net_pnl"};
    static const int signed_field[] = {1, 0, 1, 1};
    if (!cJSON_IsObject(rec)) broken = "not a JSON object";
    else if (!cJSON_IsNumber(time) || !(time->valuedouble >= 0) ||
             time->valuedouble > RECORDKEY_MAX_AT_MS ||
             time->valuedouble != floor(time->valuedouble))
        broken = "no time in unix ms";
    else if (!cJSON_IsString(symbol) || !cfg_valid_symbol(symbol->valuestring))
        broken = "no symbol";
    else if (kind && !cJSON_IsNull(kind) &&
             !(cJSON_IsString(kind) && token_ok(kind->valuestring, TOKEN_MAX, is_lower_token)))
        broken = "kind is not 1-32 of a-z, 0-9 and _";
    else if (asset && !cJSON_IsNull(asset) &&
             !(cJSON_IsString(asset) && token_ok(asset->valuestring, ASSET_MAX, is_asset)))
        broken = "fee_asset is not 1-16 of A-Z and 0-9";
    for (size_t i = 0; !broken && i < sizeof names / sizeof *names; i++) {
        int r = money_field(rec, names[i], signed_field[i], val[i]);
        if (r < 0) broken = "a money field is neither null nor a decimal string";
        else *has[i] = r;
    }
    if (!broken) {
        out->time_ms = (int64_t)time->valuedouble;
        copy_text(out->symbol, sizeof out->symbol, symbol->valuestring);
        copy_text(out->kind, sizeof out->kind, cJSON_IsString(kind) ? kind->valuestring : "order");
        copy_text(out->fee_asset, sizeof out->fee_asset,
                  cJSON_IsString(asset) ? asset->valuestring : NULL);
    } else {
        *out = (journal_trade_info){0};
        if (why) dstr_puts(why, broken);
    }
    cJSON_Delete(rec);
    return broken ? -1 : 0;
}

static int info_fee_in_quote(const journal_trade_info *t) {
    if (!t->has_fee) return 1;
    size_t n = strlen(t->symbol), a = strlen(t->fee_asset);
    return a > 0 && a < n && strcmp(t->symbol + n - a, t->fee_asset) == 0;
}

static void add_day(journal_day_pnl *d, const journal_trade_info *t) {
    d->trades++;
    if (t->has_realized) d->realized += t->realized_pnl;
    if (t->has_funding) d->funding += t->funding;
    if (info_fee_in_quote(t)) {
        if (t->has_fee) d->fees += t->fee;
    } else {
        d->fees_unnetted++;
    }
    d->net += t->has_net ? t->net_pnl : t->has_realized ? t->realized_pnl : 0;
}

journal_status journal_trade_day_pnl(store *s, int64_t day_ms, journal_day_pnl *out, dstr *err) {
    *out = (journal_day_pnl){0};
    char prefix[64];
    if (!s) {
        dstr_error_line(err, "journal store unavailable");
        return JOURNAL_UNAVAILABLE;
    }
    if (day_ms < 0 ||
        recordkey_day(JOURNAL_TRADE_PREFIX, day_ms / RECORDKEY_DAY_MS, prefix, sizeof prefix)) {
        dstr_error_line(err, "day %lld is not a day of the journal", (long long)day_ms);
        return JOURNAL_UNAVAILABLE;
    }
    size_t plen = strlen(prefix);
    store_page page = {0};
    const char *after = NULL;
    dstr buf = {0}, why = {0};
    journal_status st = JOURNAL_OK;
    for (;;) {
        if (store_list(s, prefix, after, STORE_LIST_MAX, &page, err) != STORE_OK) {
            st = JOURNAL_UNAVAILABLE;
            *out = (journal_day_pnl){0};
            break;
        }
        for (size_t i = 0; i < page.n; i++) {
            recordkey_name name;
            const char *file = page.keys[i] + plen;
            journal_trade_info t;
            if (strchr(file, '/') || recordkey_parse(file, ".json", &name)) continue;
            if (journal_load(s, page.keys[i], &buf)) continue;
            dstr_clear(&why);
            if (journal_trade_parse(buf.ptr, buf.len, &t, &why)) {
                journal_warn_corrupt(page.keys[i], buf.len, dstr_cstr(&why));
                continue;
            }
            add_day(out, &t);
        }
        if (!page.truncated || page.n == 0) break;
        after = page.keys[page.n - 1];
    }
    store_page_free(&page);
    dstr_free(&buf);
    dstr_free(&why);
    return st;
}

typedef struct stop_walk {
    const char *const *symbols;
    size_t n, found;
    int64_t since_ms, *at_ms;
    dstr buf, why;
} stop_walk;

/* The instant a "ROOT YYYYMMDD/HHMMSSmmm_..." key names; -1 if none. */
static int64_t key_time(const char *root, const char *key) {
    int64_t day = recordkey_day_of(root, key);
    recordkey_name name;
    if (day < 0 || recordkey_parse(key + strlen(root) + 9, ".json", &name)) return -1;
    long ts = name.ts;
    return day * RECORDKEY_DAY_MS + (ts / 10000000) * 3600000 + (ts / 100000 % 100) * 60000 +
           (ts / 1000 % 100) * 1000 + ts % 1000;
}

static journal_step visit_stop(void *ctx, store *s, const char *key) {
    stop_walk *w = ctx;
    int64_t at = key_time(JOURNAL_TRADE_PREFIX, key);
    if (at >= 0 && at < w->since_ms) return JOURNAL_WALK_DONE;      /* older than the window */
    const char *file = key + strlen(JOURNAL_TRADE_PREFIX) + 9 + 10; /* after "HHMMSSmmm_" */
    for (size_t i = 0; i < w->n; i++) {
        size_t sl = strlen(w->symbols[i]);
        if (w->at_ms[i] >= 0 || strncmp(file, w->symbols[i], sl) != 0 || file[sl] != '_') continue;
        journal_trade_info t;
        if (journal_load(s, key, &w->buf)) return JOURNAL_WALK_MORE;
        dstr_clear(&w->why);
        if (journal_trade_parse(w->buf.ptr, w->buf.len, &t, &w->why)) {
            journal_warn_corrupt(key, w->buf.len, dstr_cstr(&w->why));
            return JOURNAL_WALK_MORE;
        }
        if (strcmp(t.kind, JOURNAL_TRADE_STOP) == 0 && strcmp(t.symbol, w->symbols[i]) == 0 &&
            t.time_ms >= w->since_ms) {
            w->at_ms[i] = t.time_ms;
            w->found++;
        }
        break;
    }
    return w->found == w->n ? JOURNAL_WALK_DONE : JOURNAL_WALK_MORE;
}

journal_status journal_trade_last_stop_outs(store *s, const char *const *symbols, size_t n,
                                            int64_t since_ms, int64_t *at_ms, dstr *err) {
    for (size_t i = 0; i < n; i++) at_ms[i] = -1;
    if (!s) {
        dstr_error_line(err, "journal store unavailable");
        return JOURNAL_UNAVAILABLE;
    }
    if (n == 0) return JOURNAL_OK;
    stop_walk w = {.symbols = symbols, .n = n, .since_ms = since_ms, .at_ms = at_ms};
    journal_walk walk = {
        .root = JOURNAL_TRADE_PREFIX, .ext = ".json", .visit = visit_stop, .ctx = &w};
    int rc = journal_walk_newest(s, &walk, err);
    dstr_free(&w.buf);
    dstr_free(&w.why);
    if (rc) {
        for (size_t i = 0; i < n; i++) at_ms[i] = -1;
        return JOURNAL_UNAVAILABLE;
    }
    return JOURNAL_OK;
}
