/* history_fetch: a data folder brought up to date from Binance (see
 * history_fetch.h). */
#include "services/history_fetch.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "aws/sigv4.h"
#include "platform/clock.h"
#include "services/binance_trading.h"
#include "services/history.h"

#define KLINE_HEADER                                                                       \
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume," \
    "taker_buy_quote_volume,ignore\n"
#define FUNDING_HEADER "funding_time,symbol,funding_rate\n"
#define MANIFEST_GAPS_MAX 100 /* gaps listed per file; all are counted */

static const char *const default_intervals[] = {"5m", "1h", "4h", "1d"};

/* ---- rows to add, kept as CSV lines with their time ---------------------- */

typedef struct new_rows {
    int64_t *key;
    size_t *end; /* row i is text[end[i-1] .. end[i]) */
    size_t n, cap;
    dstr text;
} new_rows;

static void rows_free(new_rows *r) {
    free(r->key);
    free(r->end);
    dstr_free(&r->text);
    memset(r, 0, sizeof *r);
}

static void rows_push(new_rows *r, int64_t key) {
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        int64_t *k = realloc(r->key, r->cap * sizeof *k);
        if (!k) abort();
        r->key = k;
        size_t *e = realloc(r->end, r->cap * sizeof *e);
        if (!e) abort();
        r->end = e;
    }
    r->key[r->n] = key;
    r->end[r->n++] = r->text.len;
}

/* The shortest fixed-point text that reads back as v exactly. */
static void put_decimal(dstr *out, double v) {
    char buf[64];
    for (int digits = 0; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*f", digits, v);
        if (strtod(buf, NULL) == v) break;
    }
    dstr_puts(out, buf);
}

static void add_candle(new_rows *r, const candle *c) {
    dstr_printf(&r->text, "%lld,", (long long)c->open_time);
    const double v[5] = {c->open, c->high, c->low, c->close, c->volume};
    for (int i = 0; i < 5; i++) {
        put_decimal(&r->text, v[i]);
        dstr_putc(&r->text, ',');
    }
    /* the columns Binance's CSV has and the candle type does not keep: empty, as bundled */
    dstr_printf(&r->text, "%lld,,,,,0\n", (long long)c->close_time);
    rows_push(r, c->open_time);
}

static void add_funding(new_rows *r, const char *symbol, const bn_funding *f) {
    dstr_printf(&r->text, "%lld,%s,", (long long)f->time_ms, symbol);
    put_decimal(&r->text, f->rate);
    dstr_putc(&r->text, '\n');
    rows_push(r, f->time_ms);
}

/* ---- files ------------------------------------------------------------------ */

/* Replaces path with data[0..n) through a temporary file: never half written. */
static int write_whole(const char *path, const char *data, size_t n, dstr *err) {
    dstr tmp = {0};
    dstr_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp.ptr, "wb");
    int ok = f && fwrite(data, 1, n, f) == n && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f && fclose(f)) ok = 0;
    if (ok && rename(tmp.ptr, path) == 0) {
        dstr_free(&tmp);
        return 0;
    }
    dstr_error_line(err, "%s: cannot write: %s", path, strerror(errno));
    remove(tmp.ptr);
    dstr_free(&tmp);
    return -1;
}

/* The old file's lines (verbatim) and the new rows merged by their leading
 * time; header heads a file that had none. */
static int merge_write(const char *path, const char *header, const dstr *old, const new_rows *add,
                       dstr *err) {
    dstr out = {0};
    const char *p = dstr_cstr(old), *end = p + old->len;
    size_t j = 0;
    if (p == end || (*p >= '0' && *p <= '9')) dstr_puts(&out, header);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl + 1 : end;
        if (*p >= '0' && *p <= '9') { /* a data row (history.h validated the file) */
            int64_t t = (int64_t)strtoll(p, NULL, 10);
            for (; j < add->n && add->key[j] < t; j++) {
                size_t from = j ? add->end[j - 1] : 0;
                dstr_append(&out, add->text.ptr + from, add->end[j] - from);
            }
        }
        if (stop - p > 1 || *p != '\n') {
            dstr_append(&out, p, (size_t)(stop - p));
            if (!nl) dstr_putc(&out, '\n');
        }
        p = stop;
    }
    for (; j < add->n; j++) {
        size_t from = j ? add->end[j - 1] : 0;
        dstr_append(&out, add->text.ptr + from, add->end[j] - from);
    }
    int rc = write_whole(path, dstr_cstr(&out), out.len, err);
    dstr_free(&out);
    return rc;
}

/* The file's bytes; a missing file is 0 with buf empty. */
static int read_existing(const char *path, dstr *buf, dstr *err) {
    dstr why = {0};
    int rc = hist_read_file(path, buf, &why);
    if (rc && errno == ENOENT) rc = 0;
    else if (rc) dstr_error_line(err, "%s", dstr_cstr(&why));
    dstr_free(&why);
    return rc;
}

/* ---- fetching ----------------------------------------------------------------- */

typedef struct fetch_ctx {
    const hf_spec *s;
    hf_stats *st;
    dstr *err;
} fetch_ctx;

/* One request, bounded by the budget, counted. */
static void run_one(fetch_ctx *x, http_request *r) {
    http_request *batch[] = {r};
    http_run(x->s->bn->http, batch, 1, clock_wall_ms() + x->s->request_budget_ms);
    x->st->requests++;
}

/* The client's line, led by Binance's HTTP status when there was one. */
static const char *failure(const ex_error *e, dstr *why) {
    if (e->http_status) {
        dstr line = {0};
        dstr_printf(&line, "HTTP %ld: %s", e->http_status, dstr_cstr(why));
        dstr_free(why);
        *why = line;
    }
    return dstr_cstr(why);
}

/* Candles with open_time in [a, b] (both multiples of iv), closed ones only,
 * appended to add. 0, or -1 with err set. */
static int fetch_candles(fetch_ctx *x, const char *tf, int64_t iv, int64_t a, int64_t b,
                         new_rows *add, size_t *got) {
    *got = 0;
    while (a <= b) {
        http_request r;
        bn_klines_since_prepare(x->s->bn, &r, x->s->symbol, tf, a, b, BN_KLINES_MAX);
        run_one(x, &r);
        candles page;
        dstr why = {0};
        ex_error e = {0};
        ex_status est = bn_klines_parse(&r, &page, &e, &why);
        http_request_free(&r);
        if (est) {
            dstr_error_line(x->err, "klines %s %s from %lld: %s", x->s->symbol, tf, (long long)a,
                            failure(&e, &why));
            dstr_free(&why);
            return -1;
        }
        dstr_free(&why);
        for (size_t i = 0; i < page.n; i++) {
            const candle *c = &page.v[i];
            /* the forming candle, and anything outside the range asked, stays out */
            if (c->open_time < a || c->open_time > b || c->close_time >= x->s->now_ms ||
                c->open_time % iv)
                continue;
            add_candle(add, c);
            (*got)++;
        }
        int more = page.n == BN_KLINES_MAX;
        if (page.n) a = page.v[page.n - 1].open_time + iv;
        candles_free(&page);
        if (!more) break;
    }
    return 0;
}

/* Writes the rows fetched (also after a failure, rc != 0: whole rows kept,
 * the next run resumes after them) and counts them in *added; the new rc. */
static int save_rows(fetch_ctx *x, const char *path, const char *header, const dstr *old,
                     const new_rows *add, int rc, size_t *added) {
    if (!add->n) return rc;
    dstr why = {0};
    if (merge_write(path, header, old, add, rc ? &why : x->err)) rc = -1;
    else *added += add->n;
    if (why.len) dstr_error_line(x->err, "%s", dstr_cstr(&why));
    dstr_free(&why);
    return rc;
}

/* A range of open times [a, b] to fetch; gap: it lies between two rows. */
typedef struct span {
    int64_t a, b;
    int gap;
} span;

static int fetch_interval(fetch_ctx *x, const char *tf) {
    const hf_spec *s = x->s;
    int64_t iv = bn_interval_ms(tf);
    if (iv <= 0 || iv > 86400000) {
        dstr_error_line(x->err, "interval %s: not one of 5m 1h 4h 1d or the like", tf);
        return -1;
    }
    dstr path = {0}, old = {0};
    dstr_printf(&path, "%s/klines/%s-%s.csv", s->dir, s->symbol, tf);
    candles have = {0};
    span *todo = NULL;
    size_t n_todo = 0;
    new_rows add = {0};
    int rc = read_existing(path.ptr, &old, x->err);
    if (rc == 0 && old.len) rc = hist_candles_parse(old.ptr, old.len, path.ptr, &have, x->err);
    if (rc) goto done;
    /* open times of the period's closed candles: [lo, hi] */
    int64_t lo = (s->from_ms + iv - 1) / iv * iv;
    int64_t last_closed = s->now_ms - iv; /* open_time + iv - 1 < now */
    int64_t hi_t = s->to_ms - 1 < last_closed ? s->to_ms - 1 : last_closed;
    int64_t hi = hi_t >= 0 ? hi_t / iv * iv : -1;
    todo = malloc((have.n + 2) * sizeof *todo);
    if (!todo) abort();
    if (!have.n) {
        if (lo <= hi) todo[n_todo++] = (span){lo, hi, 0};
    } else {
        if (lo < have.v[0].open_time && lo <= hi) {
            int64_t b = have.v[0].open_time - iv < hi ? have.v[0].open_time - iv : hi;
            if (lo <= b) todo[n_todo++] = (span){lo, b, 0};
        }
        for (size_t i = 1; i < have.n; i++)
            if (have.v[i].open_time - have.v[i - 1].open_time > iv) {
                todo[n_todo++] = (span){have.v[i - 1].open_time + iv, have.v[i].open_time - iv, 1};
                x->st->gaps_found++;
            }
        int64_t a = have.v[have.n - 1].open_time + iv;
        if (a < lo) a = lo;
        if (a <= hi) todo[n_todo++] = (span){a, hi, 0};
    }
    if (!s->bn) goto done;
    for (size_t k = 0; k < n_todo && rc == 0; k++) {
        size_t got; /* spans are in time order and disjoint: the rows stay sorted */
        rc = fetch_candles(x, tf, iv, todo[k].a, todo[k].b, &add, &got);
        if (todo[k].gap && got == (size_t)((todo[k].b - todo[k].a) / iv + 1)) x->st->gaps_filled++;
    }
    rc = save_rows(x, path.ptr, KLINE_HEADER, &old, &add, rc, &x->st->candles_added);
done:
    rows_free(&add);
    free(todo);
    candles_free(&have);
    dstr_free(&old);
    dstr_free(&path);
    return rc;
}

/* Funding events in [a, b] appended to add. */
static int fetch_funding_span(fetch_ctx *x, int64_t a, int64_t b, new_rows *add) {
    while (a <= b) {
        http_request r;
        bn_funding_prepare(x->s->bn, &r, x->s->symbol, a, b, BN_FUNDING_MAX);
        run_one(x, &r);
        bn_funding *v;
        size_t n;
        dstr why = {0};
        ex_error e = {0};
        ex_status est = bn_funding_parse(&r, &v, &n, &e, &why);
        http_request_free(&r);
        if (est) {
            dstr_error_line(x->err, "fundingRate %s from %lld: %s", x->s->symbol, (long long)a,
                            failure(&e, &why));
            dstr_free(&why);
            return -1;
        }
        dstr_free(&why);
        for (size_t i = 0; i < n; i++)
            if (v[i].time_ms >= a && v[i].time_ms <= b) add_funding(add, x->s->symbol, &v[i]);
        int more = n == BN_FUNDING_MAX;
        if (n) a = v[n - 1].time_ms + 1;
        free(v);
        if (!more) break;
    }
    return 0;
}

#define FUNDING_PERIOD_MS (8LL * 3600 * 1000)

static int fetch_funding(fetch_ctx *x) {
    const hf_spec *s = x->s;
    dstr path = {0}, old = {0};
    dstr_printf(&path, "%s/funding/%s-funding.csv", s->dir, s->symbol);
    hist_funding *have = NULL;
    size_t n = 0;
    new_rows add = {0};
    int rc = read_existing(path.ptr, &old, x->err);
    if (rc == 0 && old.len) rc = hist_funding_parse(old.ptr, old.len, path.ptr, &have, &n, x->err);
    if (rc || !s->bn) goto done;
    int64_t hi = (s->to_ms < s->now_ms ? s->to_ms : s->now_ms) - 1;
    if (!n) {
        rc = fetch_funding_span(x, s->from_ms, hi, &add);
    } else {
        /* before the first event only when a whole funding period is missing there */
        if (s->from_ms + FUNDING_PERIOD_MS <= have[0].time_ms)
            rc = fetch_funding_span(x, s->from_ms, have[0].time_ms - 1, &add);
        int64_t a = have[n - 1].time_ms + 1;
        if (a < s->from_ms) a = s->from_ms;
        if (rc == 0 && a <= hi) rc = fetch_funding_span(x, a, hi, &add);
    }
    rc = save_rows(x, path.ptr, FUNDING_HEADER, &old, &add, rc, &x->st->funding_added);
done:
    rows_free(&add);
    free(have);
    dstr_free(&old);
    dstr_free(&path);
    return rc;
}

/* exchangeInfo.json, when the folder has none: the answer saved as sent,
 * once it has the symbol's rules. */
static int fetch_exchange_info(fetch_ctx *x) {
    dstr path = {0};
    dstr_printf(&path, "%s/exchangeInfo.json", x->s->dir);
    int rc = 0;
    if (!x->s->bn || access(path.ptr, F_OK) == 0) goto done;
    http_request r;
    bn_exchange_info_prepare(x->s->bn, &r);
    run_one(x, &r);
    symbol_rules *rules = NULL;
    size_t nr = 0;
    dstr why = {0};
    if (bn_exchange_info_parse(&r, &x->s->symbol, 1, &rules, &nr, NULL, &why) || nr != 1) {
        dstr_error_line(x->err, "exchangeInfo: %s",
                        why.len ? dstr_cstr(&why) : "the symbol is not listed");
        rc = -1;
    } else {
        rc = write_whole(path.ptr, dstr_cstr(&r.resp_body), r.resp_body.len, x->err);
    }
    free(rules);
    dstr_free(&why);
    http_request_free(&r);
done:
    dstr_free(&path);
    return rc;
}

/* dir and its subfolder sub (NULL: dir only); an existing one is fine. */
static int make_dir(const char *dir, const char *sub, dstr *err) {
    dstr p = {0};
    dstr_printf(&p, "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
    int rc = mkdir(p.ptr, 0755) && errno != EEXIST ? -1 : 0;
    if (rc) dstr_error_line(err, "%s: cannot create: %s", p.ptr, strerror(errno));
    dstr_free(&p);
    return rc;
}

int hf_fetch(const hf_spec *s, hf_stats *st, dstr *err) {
    memset(st, 0, sizeof *st);
    if (!s->symbol || !*s->symbol || s->to_ms <= s->from_ms || s->from_ms < 0) {
        dstr_error_line(err, "fetch: a symbol and a period with from < to are needed");
        return -1;
    }
    if (make_dir(s->dir, NULL, err) || make_dir(s->dir, "klines", err) ||
        make_dir(s->dir, "funding", err))
        return -1;
    fetch_ctx x = {.s = s, .st = st, .err = err};
    const char *const *tfs = s->intervals ? s->intervals : default_intervals;
    size_t n = s->intervals ? s->n_intervals : sizeof default_intervals / sizeof *default_intervals;
    int rc = fetch_exchange_info(&x);
    for (size_t i = 0; i < n && rc == 0; i++) rc = fetch_interval(&x, tfs[i]);
    if (rc == 0) rc = fetch_funding(&x);
    return rc;
}

/* ---- manifest ------------------------------------------------------------------- */

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.csv names in dir/sub, sorted (free each and the array). */
static char **csv_names(const char *dir, const char *sub, size_t *n) {
    *n = 0;
    dstr p = {0};
    dstr_printf(&p, "%s/%s", dir, sub);
    DIR *d = opendir(p.ptr);
    dstr_free(&p);
    char **v = NULL;
    size_t cap = 0;
    const struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".csv") != 0) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(v, cap * sizeof *grown);
            if (!grown) abort();
            v = grown;
        }
        v[(*n)++] = strdup(e->d_name);
    }
    if (d) closedir(d);
    if (*n) qsort(v, *n, sizeof *v, by_name);
    return v;
}

/* A kline file's open gaps: listed (the first MANIFEST_GAPS_MAX) and counted. */
static void add_gaps(cJSON *f, const candles *c, int64_t iv) {
    cJSON *gaps = cJSON_AddArrayToObject(f, "gaps");
    size_t count = 0;
    for (size_t i = 1; iv > 0 && i < c->n; i++) {
        int64_t step = c->v[i].open_time - c->v[i - 1].open_time;
        if (step <= iv) continue;
        if (count++ >= MANIFEST_GAPS_MAX) continue;
        cJSON *g = cJSON_CreateObject();
        cJSON_AddNumberToObject(g, "from_ms", (double)(c->v[i - 1].open_time + iv));
        cJSON_AddNumberToObject(g, "to_ms", (double)(c->v[i].open_time - iv));
        cJSON_AddNumberToObject(g, "missing", (double)(step / iv - 1));
        cJSON_AddItemToArray(gaps, g);
    }
    cJSON_AddNumberToObject(f, "gap_count", (double)count);
}

/* One file's entry: its rows, span and hash (error: what is wrong with it). */
static cJSON *file_entry(const char *dir, const char *sub, const char *name) {
    cJSON *f = cJSON_CreateObject();
    dstr rel = {0}, path = {0}, text = {0}, why = {0};
    dstr_printf(&rel, "%s%s%s", sub, *sub ? "/" : "", name);
    dstr_printf(&path, "%s/%s", dir, rel.ptr);
    cJSON_AddStringToObject(f, "path", rel.ptr);
    if (hist_read_file(path.ptr, &text, &why) == 0) {
        char hex[SIGV4_HEX_LEN + 1];
        sigv4_sha256_hex(text.ptr ? text.ptr : "", text.len, hex);
        cJSON_AddStringToObject(f, "sha256", hex);
        cJSON_AddNumberToObject(f, "bytes", (double)text.len);
        if (strcmp(sub, "klines") == 0) {
            const char *dash = strrchr(name, '-');
            char tf[8] = "";
            if (dash) snprintf(tf, sizeof tf, "%.*s", (int)strcspn(dash + 1, "."), dash + 1);
            cJSON_AddStringToObject(f, "interval", tf);
            candles c;
            if (hist_candles_parse(dstr_cstr(&text), text.len, rel.ptr, &c, &why) == 0) {
                cJSON_AddNumberToObject(f, "rows", (double)c.n);
                cJSON_AddNumberToObject(f, "first_ms", (double)c.v[0].open_time);
                cJSON_AddNumberToObject(f, "last_ms", (double)c.v[c.n - 1].open_time);
                add_gaps(f, &c, bn_interval_ms(tf));
                candles_free(&c);
            }
        } else if (strcmp(sub, "funding") == 0) {
            hist_funding *v;
            size_t n;
            if (hist_funding_parse(dstr_cstr(&text), text.len, rel.ptr, &v, &n, &why) == 0) {
                cJSON_AddNumberToObject(f, "rows", (double)n);
                if (n) {
                    cJSON_AddNumberToObject(f, "first_ms", (double)v[0].time_ms);
                    cJSON_AddNumberToObject(f, "last_ms", (double)v[n - 1].time_ms);
                }
                free(v);
            }
        }
    }
    if (why.len) cJSON_AddStringToObject(f, "error", dstr_cstr(&why));
    dstr_free(&rel);
    dstr_free(&path);
    dstr_free(&text);
    dstr_free(&why);
    return f;
}

cJSON *hf_manifest_file(const char *dir, const char *sub, const char *name) {
    return file_entry(dir, sub ? sub : "", name);
}

static void add_last_fetch(cJSON *root, const hf_spec *s, const hf_stats *st, const char *failure) {
    cJSON *f = cJSON_AddObjectToObject(root, "last_fetch");
    cJSON_AddStringToObject(f, "symbol", s->symbol);
    cJSON_AddNumberToObject(f, "from_ms", (double)s->from_ms);
    cJSON_AddNumberToObject(f, "to_ms", (double)s->to_ms);
    cJSON_AddBoolToObject(f, "offline", !s->bn);
    cJSON_AddNumberToObject(f, "requests", (double)st->requests);
    cJSON_AddNumberToObject(f, "candles_added", (double)st->candles_added);
    cJSON_AddNumberToObject(f, "funding_added", (double)st->funding_added);
    cJSON_AddNumberToObject(f, "gaps_found", (double)st->gaps_found);
    cJSON_AddNumberToObject(f, "gaps_filled", (double)st->gaps_filled);
    if (failure) cJSON_AddStringToObject(f, "error", failure);
}

int hf_manifest_write(const char *dir, const hf_spec *spec, const hf_stats *st, const char *failure,
                      dstr *err) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "written_ms", (double)clock_wall_ms());
    if (spec && st) add_last_fetch(root, spec, st, failure);
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    static const char *const subs[] = {"klines", "funding"};
    for (size_t k = 0; k < 2; k++) {
        size_t n;
        char **names = csv_names(dir, subs[k], &n);
        for (size_t i = 0; i < n; i++) {
            cJSON_AddItemToArray(files, file_entry(dir, subs[k], names[i]));
            free(names[i]);
        }
        free(names);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) abort();
    dstr path = {0};
    dstr_printf(&path, "%s/manifest.json", dir);
    dstr body = {0};
    dstr_puts(&body, text);
    dstr_putc(&body, '\n');
    free(text);
    int rc = write_whole(path.ptr, body.ptr, body.len, err);
    dstr_free(&body);
    dstr_free(&path);
    return rc;
}
