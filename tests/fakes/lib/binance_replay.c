/* binance_replay: loads the bundled data and renders time-shifted answers. */
#include "binance_replay.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"

#define FIVE_MIN_MS 300000LL
#define FUNDING_PERIOD_MS (8LL * 3600000LL)
#define MAX_DATA_FILE (64u * 1024u * 1024u)

/* Binance's kline intervals; 1M is a calendar month (no fixed length). */
static const struct {
    const char *name;
    int64_t ms;
} intervals[BNR_N_INTERVALS] = {
    {"1m", 60000LL},        {"3m", 180000LL},       {"5m", FIVE_MIN_MS}, {"15m", 900000LL},
    {"30m", 1800000LL},     {"1h", 3600000LL},      {"2h", 7200000LL},   {"4h", 14400000LL},
    {"6h", 21600000LL},     {"8h", 28800000LL},     {"12h", 43200000LL}, {"1d", BNR_DAY_MS},
    {"3d", 3 * BNR_DAY_MS}, {"1w", 7 * BNR_DAY_MS}, {"1M", 0},
};
#define IDX_5M 2

int bnr_interval_index(const char *interval) {
    for (int i = 0; i < BNR_N_INTERVALS; i++)
        if (strcmp(interval, intervals[i].name) == 0) return i;
    return -1;
}

int bnr_interval_bundled(const bnr_symbol *s, int interval) {
    return interval >= 0 && interval < BNR_N_INTERVALS && s->series[interval].rows != NULL;
}

const bnr_symbol *bnr_find_symbol(const bnr_data *d, const char *name) {
    for (size_t i = 0; i < d->n_symbols; i++)
        if (strcmp(d->symbols[i].name, name) == 0) return &d->symbols[i];
    return NULL;
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if (a % b != 0 && (a < 0) != (b < 0)) q--;
    return q;
}

int64_t bnr_shift_ms(const bnr_data *d, int64_t now_ms) {
    /* a time the data reaches (a pinned clock) is served as itself */
    if (now_ms < d->data_end_ms) return 0;
    /* else t_d = now - k days must land in [end - 1 day, end) */
    return (floor_div(now_ms - d->data_end_ms, BNR_DAY_MS) + 1) * BNR_DAY_MS;
}

/* ---- loading ------------------------------------------------------------ */

/* Reads a whole file into *text (caller frees). Returns 0, 1 when the file
 * does not exist and missing_ok is set, or -1 with a message in err. */
static int read_file(const char *path, int missing_ok, char **text, size_t *len, dstr *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (missing_ok && errno == ENOENT) return 1;
        dstr_printf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    dstr buf = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        dstr_append(&buf, chunk, n);
        if (buf.len > MAX_DATA_FILE) break;
    }
    int bad = ferror(f) || buf.len > MAX_DATA_FILE;
    fclose(f);
    if (bad) {
        dstr_printf(err, "%s: read error or larger than %u bytes", path, MAX_DATA_FILE);
        dstr_free(&buf);
        return -1;
    }
    dstr_append(&buf, "", 0); /* allocates and NUL-terminates */
    *len = buf.len;
    *text = dstr_take(&buf);
    return 0;
}

/* Splits line [p, end) at commas into at most max fields (ptr+len each). */
typedef struct field {
    const char *p;
    size_t n;
} field;

static size_t split_csv(const char *p, const char *end, field *f, size_t max) {
    size_t k = 0;
    while (k < max) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *stop = c ? c : end;
        f[k].p = p;
        f[k].n = (size_t)(stop - p);
        k++;
        if (!c) break;
        p = c + 1;
    }
    return k;
}

static int parse_i64(const field *f, int64_t *out) {
    fdec v;
    if (fdec_parse(f->p, f->n, &v) || v.scale != 0) return -1;
    *out = v.m;
    return 0;
}

/* Iterates the data lines of a CSV text (header skipped); line is [*p, *end). */
static int next_line(const char **cur, const char *text_end, const char **p, const char **end) {
    while (*cur < text_end) {
        const char *nl = memchr(*cur, '\n', (size_t)(text_end - *cur));
        const char *e = nl ? nl : text_end;
        *p = *cur;
        *cur = nl ? nl + 1 : text_end;
        if (e > *p && e[-1] == '\r') e--;
        if (e > *p) {
            *end = e;
            return 1;
        }
    }
    return 0;
}

static const char *skip_header(const char *text, size_t len, const char *expect) {
    size_t n = strlen(expect);
    if (len < n || memcmp(text, expect, n) != 0) return NULL;
    const char *nl = memchr(text, '\n', len);
    return nl ? nl + 1 : text + len;
}

static int load_klines(bnr_series *s, const char *path, int64_t iv_ms, dstr *err) {
    size_t len;
    char *text;
    int got = read_file(path, 1, &text, &len, err);
    if (got) return got < 0 ? -1 : 0; /* a missing file: interval not bundled */
    const char *cur = skip_header(text, len, "open_time,open,high,low,close,volume,close_time,");
    int rc = 0;
    size_t cap = 0, line_no = 1;
    const char *p, *e;
    if (!cur) {
        dstr_printf(err, "%s: not a kline CSV (header)", path);
        rc = -1;
    }
    while (rc == 0 && next_line(&cur, text + len, &p, &e)) {
        line_no++;
        field f[12];
        bnr_candle c;
        int64_t close_time;
        if (split_csv(p, e, f, 12) != 12 || parse_i64(&f[0], &c.open_time) ||
            fdec_parse(f[1].p, f[1].n, &c.open) || fdec_parse(f[2].p, f[2].n, &c.high) ||
            fdec_parse(f[3].p, f[3].n, &c.low) || fdec_parse(f[4].p, f[4].n, &c.close) ||
            fdec_parse(f[5].p, f[5].n, &c.volume) || parse_i64(&f[6], &close_time) ||
            close_time != c.open_time + iv_ms - 1 ||
            (s->n && c.open_time <= s->rows[s->n - 1].open_time)) {
            dstr_printf(err,
                        "%s:%zu: bad kline row (12 fields, increasing open_time, "
                        "close_time = open_time + interval - 1)",
                        path, line_no);
            rc = -1;
            break;
        }
        if (s->n == cap) {
            cap = cap ? cap * 2 : 1024;
            bnr_candle *grown = realloc(s->rows, cap * sizeof *grown);
            if (!grown) abort();
            s->rows = grown;
        }
        s->rows[s->n++] = c;
    }
    if (rc == 0 && s->n == 0) {
        dstr_printf(err, "%s: no rows", path);
        rc = -1;
    }
    free(text);
    return rc;
}

static int load_funding(bnr_symbol *s, const char *path, dstr *err) {
    size_t len;
    char *text;
    int got = read_file(path, 1, &text, &len, err);
    if (got) return got < 0 ? -1 : 0; /* no funding history: rate 0 */
    const char *cur = skip_header(text, len, "funding_time,symbol,funding_rate");
    int rc = cur ? 0 : -1;
    if (!cur) dstr_printf(err, "%s: not a funding CSV (header)", path);
    size_t cap = 0, line_no = 1;
    const char *p, *e;
    while (rc == 0 && next_line(&cur, text + len, &p, &e)) {
        line_no++;
        field f[3];
        bnr_funding r;
        if (split_csv(p, e, f, 3) != 3 || parse_i64(&f[0], &r.time) ||
            fdec_parse(f[2].p, f[2].n, &r.rate) ||
            (s->n_funding && r.time <= s->funding[s->n_funding - 1].time)) {
            dstr_printf(err, "%s:%zu: bad funding row", path, line_no);
            rc = -1;
            break;
        }
        if (s->n_funding == cap) {
            cap = cap ? cap * 2 : 128;
            bnr_funding *grown = realloc(s->funding, cap * sizeof *grown);
            if (!grown) abort();
            s->funding = grown;
        }
        s->funding[s->n_funding++] = r;
    }
    free(text);
    return rc;
}

static int load_depth(bnr_data *d, const char *path, dstr *err) {
    size_t len;
    char *text;
    if (read_file(path, 0, &text, &len, err)) return -1;
    const char *cur = skip_header(text, len,
                                  "symbol,timestamp,first_update_id,last_update_id,"
                                  "side,update_type,price,qty");
    int rc = cur ? 0 : -1;
    if (!cur) dstr_printf(err, "%s: not a depth snapshot CSV (header)", path);
    size_t cap = 0, line_no = 1;
    const char *p, *e;
    while (rc == 0 && next_line(&cur, text + len, &p, &e)) {
        line_no++;
        field f[9];
        bnr_level l;
        if (split_csv(p, e, f, 9) < 8 || parse_i64(&f[1], &d->depth_time) ||
            parse_i64(&f[3], &d->depth_last_update_id) || f[4].n != 1 || f[4].p[0] != 'b' ||
            fdec_parse(f[6].p, f[6].n, &l.price) || fdec_parse(f[7].p, f[7].n, &l.qty) ||
            l.price.m <= 0 ||
            (d->n_depth && fdec_cmp(l.price, d->depth[d->n_depth - 1].price) >= 0)) {
            dstr_printf(err, "%s:%zu: bad depth row (bids, best first)", path, line_no);
            rc = -1;
            break;
        }
        if (d->n_depth == cap) {
            cap = cap ? cap * 2 : 128;
            bnr_level *grown = realloc(d->depth, cap * sizeof *grown);
            if (!grown) abort();
            d->depth = grown;
        }
        d->depth[d->n_depth++] = l;
    }
    if (rc == 0 && d->n_depth == 0) {
        dstr_printf(err, "%s: no levels", path);
        rc = -1;
    }
    free(text);
    return rc;
}

static int tick_size_of(const cJSON *sym, fdec *tick) {
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(sym, "filters");
    const cJSON *f;
    cJSON_ArrayForEach(f, filters) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(f, "filterType");
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(f, "tickSize");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "PRICE_FILTER") == 0 &&
            cJSON_IsString(ts))
            return fdec_parse(ts->valuestring, strlen(ts->valuestring), tick) || tick->m <= 0 ? -1
                                                                                              : 0;
    }
    return -1;
}

/* Loads one exchangeInfo symbol; *kept = 0 when it has no bundled 5m data. */
static int load_symbol(bnr_symbol *s, const cJSON *sym, const char *dir, int *kept, dstr *err) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(sym, "symbol");
    *kept = 0;
    if (!cJSON_IsString(name) || strlen(name->valuestring) >= sizeof s->name) {
        dstr_puts(err, "exchangeInfo.json: a symbol without a usable name");
        return -1;
    }
    snprintf(s->name, sizeof s->name, "%s", name->valuestring);
    dstr path = {0};
    int rc = 0;
    for (int i = 0; i < BNR_N_INTERVALS && rc == 0; i++) {
        if (intervals[i].ms == 0) continue;
        dstr_clear(&path);
        dstr_printf(&path, "%s/klines/%s-%s.csv", dir, s->name, intervals[i].name);
        rc = load_klines(&s->series[i], path.ptr, intervals[i].ms, err);
    }
    if (rc == 0 && s->series[IDX_5M].rows) {
        *kept = 1;
        if (tick_size_of(sym, &s->tick)) {
            dstr_printf(err, "exchangeInfo.json: %s has no usable PRICE_FILTER.tickSize", s->name);
            rc = -1;
        }
        dstr_clear(&path);
        dstr_printf(&path, "%s/funding/%s-funding.csv", dir, s->name);
        if (rc == 0) rc = load_funding(s, path.ptr, err);
    }
    dstr_free(&path);
    return rc;
}

static void symbol_free(bnr_symbol *s) {
    for (int i = 0; i < BNR_N_INTERVALS; i++) free(s->series[i].rows);
    free(s->funding);
    memset(s, 0, sizeof *s);
}

/* Every data time the replay can reach must find the closed candles in the
 * interval's file and the forming bucket's 5m candles: checked once here. */
static int check_coverage(const bnr_data *d, dstr *err) {
    int64_t first_td = d->data_end_ms - BNR_DAY_MS, last_td = d->data_end_ms - 1;
    for (size_t k = 0; k < d->n_symbols; k++) {
        const bnr_symbol *s = &d->symbols[k];
        for (int i = 0; i < BNR_N_INTERVALS; i++) {
            const bnr_series *se = &s->series[i];
            if (!se->rows) continue;
            int64_t iv = intervals[i].ms;
            int64_t newest_bucket = floor_div(last_td, iv) * iv;
            int64_t oldest_bucket = floor_div(first_td, iv) * iv;
            if (se->rows[se->n - 1].open_time + iv < newest_bucket ||
                se->rows[0].open_time > oldest_bucket - iv ||
                s->series[IDX_5M].rows[0].open_time > oldest_bucket) {
                dstr_printf(err,
                            "%s %s: the data does not cover the replay window "
                            "(last 24 h of the 5m data)",
                            s->name, intervals[i].name);
                return -1;
            }
        }
    }
    return 0;
}

int bnr_load(bnr_data *d, const char *dir, dstr *err) {
    memset(d, 0, sizeof *d);
    dstr path = {0};
    dstr_printf(&path, "%s/exchangeInfo.json", dir);
    size_t len;
    char *text;
    int rc = -1;
    if (read_file(path.ptr, 0, &text, &len, err)) goto out;
    d->exchange_info = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *syms = cJSON_GetObjectItemCaseSensitive(d->exchange_info, "symbols");
    if (!cJSON_IsArray(syms) || !cJSON_HasObjectItem(d->exchange_info, "serverTime")) {
        dstr_printf(err, "%s: not an exchangeInfo response", path.ptr);
        goto out;
    }
    d->symbols = calloc((size_t)cJSON_GetArraySize(syms) + 1, sizeof *d->symbols);
    if (!d->symbols) abort();
    const cJSON *sym;
    cJSON_ArrayForEach(sym, syms) {
        int kept;
        bnr_symbol *s = &d->symbols[d->n_symbols];
        if (load_symbol(s, sym, dir, &kept, err)) {
            symbol_free(s);
            goto out;
        }
        if (!kept) {
            symbol_free(s);
            continue;
        }
        const bnr_series *m5 = &s->series[IDX_5M];
        int64_t end = m5->rows[m5->n - 1].open_time + FIVE_MIN_MS;
        if (d->n_symbols == 0 || end < d->data_end_ms) d->data_end_ms = end;
        d->n_symbols++;
    }
    if (d->n_symbols == 0) {
        dstr_printf(err, "%s/klines: no symbol of exchangeInfo.json has a 5m file", dir);
        goto out;
    }
    dstr_clear(&path);
    dstr_printf(&path, "%s/depth/BTCUSDT-futures-depth-snapshot-bids.csv", dir);
    if (load_depth(d, path.ptr, err) || check_coverage(d, err)) goto out;
    rc = 0;
out:
    dstr_free(&path);
    return rc;
}

void bnr_free(bnr_data *d) {
    for (size_t i = 0; i < d->n_symbols; i++) symbol_free(&d->symbols[i]);
    free(d->symbols);
    free(d->depth);
    cJSON_Delete(d->exchange_info);
    memset(d, 0, sizeof *d);
}

/* ---- klines --------------------------------------------------------------- */

/* First index i in [0, n) whose time (the int64_t at offset off of the
 * element of that size) is >= t: one search for candles and funding rows. */
static size_t time_lower_bound(const void *v, size_t n, size_t size, size_t off, int64_t t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t at;
        memcpy(&at, (const char *)v + mid * size + off, sizeof at);
        if (at < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* First index in rows[0, n) whose open_time >= t. */
static size_t lower_bound(const bnr_candle *rows, size_t n, int64_t t) {
    return time_lower_bound(rows, n, sizeof *rows, offsetof(bnr_candle, open_time), t);
}

static void take_max(fdec *acc, fdec v) {
    if (fdec_cmp(v, *acc) > 0) *acc = v;
}
static void take_min(fdec *acc, fdec v) {
    if (fdec_cmp(v, *acc) < 0) *acc = v;
}

/* The candle of the bucket holding t_d, built from its 5m candles up to t_d
 * the way the bundled 1h/4h/1d files were built. Returns 0, -1 if none. */
static int forming_candle(const bnr_symbol *s, int64_t iv_ms, int64_t t_d, bnr_candle *out) {
    const bnr_series *m5 = &s->series[IDX_5M];
    int64_t bucket = floor_div(t_d, iv_ms) * iv_ms;
    size_t i = lower_bound(m5->rows, m5->n, bucket);
    if (i == m5->n || m5->rows[i].open_time > t_d) return -1;
    *out = m5->rows[i];
    out->open_time = bucket;
    for (i++; i < m5->n && m5->rows[i].open_time <= t_d; i++) {
        const bnr_candle *c = &m5->rows[i];
        take_max(&out->high, c->high);
        take_min(&out->low, c->low);
        out->close = c->close;
        if (fdec_add(out->volume, c->volume, &out->volume)) return -1;
    }
    return 0;
}

/* The replayable candles at t_d: the file's closed ones plus the forming one. */
typedef struct kline_view {
    const bnr_candle *closed;
    size_t n_closed;
    bnr_candle forming;
    int has_forming;
} kline_view;

static size_t view_len(const kline_view *v) { return v->n_closed + (size_t)v->has_forming; }

static const bnr_candle *view_at(const kline_view *v, size_t i) {
    return i < v->n_closed ? &v->closed[i] : &v->forming;
}

static size_t view_lower_bound(const kline_view *v, int64_t t) {
    size_t i = lower_bound(v->closed, v->n_closed, t);
    if (i == v->n_closed && v->has_forming && v->forming.open_time < t) i++;
    return i;
}

static void kline_row_json(dstr *out, const bnr_candle *c, int64_t shift, int64_t iv_ms) {
    dstr_printf(out, "[%lld,\"", (long long)(c->open_time + shift));
    fdec_format(out, c->open);
    dstr_puts(out, "\",\"");
    fdec_format(out, c->high);
    dstr_puts(out, "\",\"");
    fdec_format(out, c->low);
    dstr_puts(out, "\",\"");
    fdec_format(out, c->close);
    dstr_puts(out, "\",\"");
    fdec_format(out, c->volume);
    dstr_printf(out, "\",%lld,\"", (long long)(c->open_time + shift + iv_ms - 1));
    if (fdec_format_product(out, c->volume, c->close)) dstr_putc(out, '0');
    dstr_puts(out, "\",0,\"0\",\"0\",\"0\"]");
}

void bnr_klines_json(const bnr_data *d, const bnr_symbol *s, const bnr_kline_query *q,
                     int64_t now_ms, dstr *out) {
    dstr_putc(out, '[');
    if (!bnr_interval_bundled(s, q->interval)) {
        dstr_putc(out, ']');
        return;
    }
    int64_t iv = intervals[q->interval].ms;
    int64_t shift = bnr_shift_ms(d, now_ms), t_d = now_ms - shift;
    const bnr_series *se = &s->series[q->interval];
    kline_view v = {.closed = se->rows};
    v.n_closed = lower_bound(se->rows, se->n, floor_div(t_d, iv) * iv);
    v.has_forming = forming_candle(s, iv, t_d, &v.forming) == 0;

    size_t n = view_len(&v), lo = 0, hi = n, limit = (size_t)q->limit;
    if (q->has_start) lo = view_lower_bound(&v, q->start_ms - shift);
    if (q->has_end) {
        hi = view_lower_bound(&v, q->end_ms - shift);
        if (hi < n && view_at(&v, hi)->open_time == q->end_ms - shift) hi++;
    }
    if (hi < lo) hi = lo;
    if (q->has_start) {
        if (hi - lo > limit) hi = lo + limit;
    } else if (hi - lo > limit) {
        lo = hi - limit;
    }
    for (size_t i = lo; i < hi; i++) {
        if (i > lo) dstr_putc(out, ',');
        kline_row_json(out, view_at(&v, i), shift, iv);
    }
    dstr_putc(out, ']');
}

static size_t funding_lower_bound(const bnr_funding *v, size_t n, int64_t t) {
    return time_lower_bound(v, n, sizeof *v, offsetof(bnr_funding, time), t);
}

void bnr_funding_json(const bnr_data *d, const bnr_symbol *s, const bnr_kline_query *q,
                      int64_t now_ms, dstr *out) {
    int64_t shift = bnr_shift_ms(d, now_ms);
    size_t n = funding_lower_bound(s->funding, s->n_funding, now_ms - shift + 1);
    size_t lo = 0, hi = n, limit = (size_t)q->limit;
    if (q->has_start) lo = funding_lower_bound(s->funding, n, q->start_ms - shift);
    if (q->has_end) hi = funding_lower_bound(s->funding, n, q->end_ms - shift + 1);
    if (hi < lo) hi = lo;
    if (q->has_start) {
        if (hi - lo > limit) hi = lo + limit;
    } else if (hi - lo > limit) {
        lo = hi - limit;
    }
    dstr_putc(out, '[');
    for (size_t i = lo; i < hi; i++) {
        dstr_puts(out, i > lo ? ",{\"symbol\":" : "{\"symbol\":");
        dstr_json_str(out, s->name);
        dstr_printf(out, ",\"fundingTime\":%lld,\"fundingRate\":\"",
                    (long long)(s->funding[i].time + shift));
        fdec_format(out, s->funding[i].rate);
        dstr_puts(out, "\",\"markPrice\":\"\"}");
    }
    dstr_putc(out, ']');
}

/* ---- depth, premium index, exchange info ---------------------------------- */

int bnr_current_price(const bnr_data *d, const bnr_symbol *s, int64_t now_ms, fdec *price) {
    bnr_candle c;
    if (forming_candle(s, FIVE_MIN_MS, now_ms - bnr_shift_ms(d, now_ms), &c)) return -1;
    /* as of a pinned instant, only the forming candle's open is known (the
     * simulated exchange's price now); the live-looking replay shows its close */
    *price = fake_clock_pinned() ? c.open : c.close;
    return 0;
}

static void level_json(dstr *out, const bnr_symbol *s, int64_t ticks, fdec qty) {
    fdec price = {.m = ticks * s->tick.m, .scale = s->tick.scale};
    dstr_puts(out, "[\"");
    fdec_format(out, price);
    dstr_puts(out, "\",\"");
    fdec_format(out, qty);
    dstr_puts(out, "\"]");
}

void bnr_depth_json(const bnr_data *d, const bnr_symbol *s, int limit, int64_t now_ms, dstr *out) {
    fdec price;
    int64_t best_bid = 0; /* in ticks */
    if (bnr_current_price(d, s, now_ms, &price) == 0 && fdec_floor_div(price, s->tick, &best_bid))
        best_bid = 0;
    size_t n = d->n_depth < (size_t)limit ? d->n_depth : (size_t)limit;
    int64_t *offset = calloc(n + 1, sizeof *offset);
    if (!offset) abort();
    double top = fdec_to_double(d->depth[0].price);
    size_t levels = 0;
    for (size_t i = 0; i < n; i++) {
        double rel = (top - fdec_to_double(d->depth[i].price)) / top;
        int64_t o = llround(rel * (double)best_bid);
        if (i > 0 && o <= offset[i - 1]) o = offset[i - 1] + 1;
        if (best_bid - o <= 0) break; /* no level at or below zero */
        offset[i] = o;
        levels++;
    }
    int64_t update_id = d->depth_last_update_id + (now_ms - d->depth_time);
    dstr_printf(out, "{\"lastUpdateId\":%lld,\"E\":%lld,\"T\":%lld,\"bids\":[",
                (long long)update_id, (long long)now_ms, (long long)now_ms);
    for (size_t i = 0; i < levels; i++) {
        if (i) dstr_putc(out, ',');
        level_json(out, s, best_bid - offset[i], d->depth[i].qty);
    }
    dstr_puts(out, "],\"asks\":[");
    for (size_t i = 0; i < levels; i++) {
        if (i) dstr_putc(out, ',');
        level_json(out, s, best_bid + 1 + offset[i], d->depth[i].qty);
    }
    dstr_puts(out, "]}");
    free(offset);
}

static void price8_json(dstr *out, fdec v) {
    fdec p8;
    dstr_putc(out, '"');
    if (fdec_rescale(v, 8, &p8) == 0) fdec_format(out, p8);
    else fdec_format(out, v);
    dstr_putc(out, '"');
}

void bnr_premium_json(const bnr_data *d, const bnr_symbol *s, int64_t now_ms, const fdec *mark,
                      dstr *out) {
    fdec price = {0, 0};
    if (mark) price = *mark;
    else (void)bnr_current_price(d, s, now_ms, &price);
    int64_t t_d = now_ms - bnr_shift_ms(d, now_ms);
    const bnr_funding *rate = NULL;
    for (size_t i = 0; i < s->n_funding && s->funding[i].time <= t_d; i++) rate = &s->funding[i];
    if (!rate && s->n_funding) rate = &s->funding[s->n_funding - 1];

    dstr_puts(out, "{\"symbol\":");
    dstr_json_str(out, s->name);
    dstr_puts(out, ",\"markPrice\":");
    price8_json(out, price);
    dstr_puts(out, ",\"indexPrice\":");
    price8_json(out, price);
    dstr_puts(out, ",\"estimatedSettlePrice\":");
    price8_json(out, price);
    dstr_puts(out, ",\"lastFundingRate\":\"");
    if (rate) fdec_format(out, rate->rate);
    else dstr_puts(out, "0.00000000");
    dstr_printf(out, "\",\"interestRate\":\"0.00010000\",\"nextFundingTime\":%lld,\"time\":%lld}",
                (long long)((floor_div(now_ms, FUNDING_PERIOD_MS) + 1) * FUNDING_PERIOD_MS),
                (long long)now_ms);
}

void bnr_exchange_info_json(const bnr_data *d, int64_t now_ms, dstr *out) {
    cJSON *copy = cJSON_Duplicate(d->exchange_info, 1);
    if (!copy) abort();
    cJSON_ReplaceItemInObjectCaseSensitive(copy, "serverTime", cJSON_CreateNumber((double)now_ms));
    char *text = cJSON_PrintUnformatted(copy);
    if (!text) abort();
    dstr_puts(out, text);
    cJSON_free(text);
    cJSON_Delete(copy);
}
