/* history: kline and funding CSV, saved exchangeInfo (see history.h). */
#include "services/history.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/binance_trading.h"

#define HIST_LINE_MAX 512
#define HIST_FILE_MAX (256L * 1024 * 1024)

/* Walks text line by line; each line copied NUL-terminated into line. */
typedef struct lines {
    const char *p, *end;
    const char *name;
    size_t no;
    char line[HIST_LINE_MAX];
} lines;

/* 1 with the next line, 0 at the end, -1 for a line too long (err set). */
static int next_line(lines *l, dstr *err) {
    if (l->p >= l->end) return 0;
    const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
    size_t n = (size_t)((nl ? nl : l->end) - l->p);
    l->no++;
    if (n && l->p[n - 1] == '\r') n--;
    if (n >= sizeof l->line) {
        dstr_error_line(err, "%s:%zu: line longer than %d bytes", l->name, l->no,
                        HIST_LINE_MAX - 1);
        return -1;
    }
    memcpy(l->line, l->p, n);
    l->line[n] = '\0';
    l->p = nl ? nl + 1 : l->end;
    return 1;
}

/* The next comma-separated field of *cur (cut in place); NULL when none. */
static char *field(char **cur) {
    if (!*cur) return NULL;
    char *f = *cur, *comma = strchr(f, ',');
    if (comma) *comma = '\0';
    *cur = comma ? comma + 1 : NULL;
    return f;
}

static int number(const char *s, double *out) {
    if (!s || !*s || strchr(s, ' ')) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int millis(const char *s, int64_t *out) {
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 15) return -1;
    *out = (int64_t)strtoll(s, NULL, 10);
    return 0;
}

/* One kline row; NULL, or what is wrong with it. */
static const char *candle_row(char *row, candle *k) {
    char *cur = row;
    double v[5];
    if (millis(field(&cur), &k->open_time)) return "open_time is not whole milliseconds";
    static const char *const bad[5] = {"open is not a number", "high is not a number",
                                       "low is not a number", "close is not a number",
                                       "volume is not a number"};
    for (int i = 0; i < 5; i++)
        if (number(field(&cur), &v[i])) return bad[i];
    if (millis(field(&cur), &k->close_time)) return "close_time is not whole milliseconds";
    k->open = v[0], k->high = v[1], k->low = v[2], k->close = v[3], k->volume = v[4];
    if (!(k->open > 0 && k->high > 0 && k->low > 0 && k->close > 0)) return "a price <= 0";
    if (k->volume < 0) return "volume < 0";
    if (k->low > fmin(k->open, k->close) || k->high < fmax(k->open, k->close))
        return "low/high do not hold open and close";
    if (k->close_time <= k->open_time) return "close_time <= open_time";
    return NULL;
}

int hist_candles_parse(const char *text, size_t len, const char *name, candles *out, dstr *err) {
    memset(out, 0, sizeof *out);
    lines l = {.p = text, .end = text + len, .name = name};
    size_t cap = 0;
    int rc;
    while ((rc = next_line(&l, err)) > 0) {
        if (l.no == 1 && strncmp(l.line, "open_time", 9) == 0) continue;
        if (!l.line[0]) continue;
        candle k;
        const char *bad = candle_row(l.line, &k);
        if (!bad && out->n && k.open_time <= out->v[out->n - 1].open_time)
            bad = "open_time not after the previous row's";
        if (bad) {
            dstr_error_line(err, "%s:%zu: %s", name, l.no, bad);
            rc = -1;
            break;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 256;
            candle *grown = realloc(out->v, cap * sizeof *grown);
            if (!grown) abort();
            out->v = grown;
        }
        out->v[out->n++] = k;
    }
    if (rc == 0 && out->n == 0) {
        dstr_error_line(err, "%s: no candles", name);
        rc = -1;
    }
    if (rc < 0) candles_free(out);
    return rc < 0 ? -1 : 0;
}

int hist_funding_parse(const char *text, size_t len, const char *name, hist_funding **v, size_t *n,
                       dstr *err) {
    *v = NULL;
    *n = 0;
    lines l = {.p = text, .end = text + len, .name = name};
    int rc = next_line(&l, err);
    if (rc > 0 && strcmp(l.line, "funding_time,symbol,funding_rate") != 0) {
        dstr_error_line(err, "%s:1: not the header funding_time,symbol,funding_rate", name);
        rc = -1;
    }
    size_t cap = 0;
    while (rc > 0 && (rc = next_line(&l, err)) > 0) {
        if (!l.line[0]) continue;
        char *cur = l.line;
        hist_funding f;
        const char *bad = NULL;
        char *sym;
        if (millis(field(&cur), &f.time_ms)) bad = "funding_time is not whole milliseconds";
        else if (!(sym = field(&cur)) || !*sym) bad = "no symbol";
        else if (number(field(&cur), &f.rate) || cur) bad = "funding_rate is not a number";
        else if (*n && f.time_ms <= (*v)[*n - 1].time_ms)
            bad = "funding_time not after the previous row's";
        if (bad) {
            dstr_error_line(err, "%s:%zu: %s", name, l.no, bad);
            rc = -1;
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            hist_funding *grown = realloc(*v, cap * sizeof *grown);
            if (!grown) abort();
            *v = grown;
        }
        (*v)[(*n)++] = f;
    }
    if (rc < 0) {
        free(*v);
        *v = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

/* The whole file in buf; -1 with err set (errno kept for the caller). */
static int read_file(const char *path, dstr *buf, dstr *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        dstr_error_line(err, "%s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf->len + got > (size_t)HIST_FILE_MAX) {
            fclose(f);
            dstr_error_line(err, "%s: larger than %ld bytes", path, HIST_FILE_MAX);
            errno = EFBIG;
            return -1;
        }
        dstr_append(buf, chunk, got);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        dstr_error_line(err, "%s: read error", path);
        errno = EIO;
        return -1;
    }
    return 0;
}

int hist_load_candles(const char *path, candles *out, dstr *err) {
    memset(out, 0, sizeof *out);
    dstr buf = {0};
    int rc = read_file(path, &buf, err);
    if (rc == 0) rc = hist_candles_parse(dstr_cstr(&buf), buf.len, path, out, err);
    dstr_free(&buf);
    return rc;
}

int hist_load_funding(const char *path, hist_funding **v, size_t *n, int *missing, dstr *err) {
    *v = NULL;
    *n = 0;
    if (missing) *missing = 0;
    dstr buf = {0}, why = {0};
    int rc = read_file(path, &buf, &why);
    if (rc && errno == ENOENT) {
        if (missing) *missing = 1;
        rc = 0;
    } else if (rc) {
        dstr_error_line(err, "%s", dstr_cstr(&why));
    } else {
        rc = hist_funding_parse(dstr_cstr(&buf), buf.len, path, v, n, err);
    }
    dstr_free(&why);
    dstr_free(&buf);
    return rc;
}

int hist_load_rules(const char *path, const char *const *symbols, size_t n, symbol_rules **v,
                    size_t *nv, dstr *err) {
    *v = NULL;
    *nv = 0;
    dstr buf = {0}, why = {0};
    int rc = read_file(path, &buf, err);
    if (rc == 0 && bn_exchange_info_rules(dstr_cstr(&buf), buf.len, symbols, n, v, nv, &why)) {
        dstr_error_line(err, "%s: %s", path, dstr_cstr(&why));
        rc = -1;
    }
    dstr_free(&why);
    dstr_free(&buf);
    return rc;
}
