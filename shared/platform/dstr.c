/* dstr: growable strings used for every request, response and log line. */
#include "platform/dstr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dstr_reserve(dstr *s, size_t extra) {
    if (s->cap - s->len > extra && s->ptr) return;
    size_t need = s->len + extra + 1;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < need) cap *= 2;
    char *p = realloc(s->ptr, cap);
    if (!p) abort();
    s->ptr = p;
    s->cap = cap;
    p[s->len] = '\0'; /* a fresh buffer must read as "" */
}

void dstr_append(dstr *s, const void *data, size_t n) {
    dstr_reserve(s, n);
    if (n) memcpy(s->ptr + s->len, data, n);
    s->len += n;
    s->ptr[s->len] = '\0';
}

void dstr_puts(dstr *s, const char *cstr) { dstr_append(s, cstr, strlen(cstr)); }

void dstr_putc(dstr *s, char c) { dstr_append(s, &c, 1); }

void dstr_vprintf(dstr *s, const char *fmt, va_list ap) {
    va_list cp;
    va_copy(cp, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, cp);
    va_end(cp);
    if (n < 0) abort();
    if ((size_t)n < sizeof small) {
        dstr_append(s, small, (size_t)n);
        return;
    }
    dstr_reserve(s, (size_t)n);
    vsnprintf(s->ptr + s->len, (size_t)n + 1, fmt, ap);
    s->len += (size_t)n;
}

void dstr_printf(dstr *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dstr_vprintf(s, fmt, ap);
    va_end(ap);
}

void dstr_json_strn(dstr *s, const char *data, size_t n) {
    static const char hex[] = "0123456789abcdef";
    dstr_reserve(s, n + 2);
    dstr_putc(s, '"');
    size_t run = 0; /* start of the pending run of plain bytes */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        dstr_append(s, data + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': dstr_puts(s, "\\\""); break;
        case '\\': dstr_puts(s, "\\\\"); break;
        case '\n': dstr_puts(s, "\\n"); break;
        case '\r': dstr_puts(s, "\\r"); break;
        case '\t': dstr_puts(s, "\\t"); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            dstr_append(s, esc, sizeof esc);
        }
        }
    }
    dstr_append(s, data + run, n - run);
    dstr_putc(s, '"');
}

void dstr_json_str(dstr *s, const char *cstr) {
    if (!cstr) {
        dstr_puts(s, "null");
        return;
    }
    dstr_json_strn(s, cstr, strlen(cstr));
}

void dstr_json_num(dstr *s, double v) {
    if (!isfinite(v)) {
        dstr_puts(s, "null");
        return;
    }
    if (v == 0) { /* also folds -0 */
        dstr_putc(s, '0');
        return;
    }
    char buf[32];
    /* %.17g always round-trips; try shorter forms first so 0.1 stays 0.1 */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    dstr_puts(s, buf);
}

void dstr_clear(dstr *s) {
    s->len = 0;
    if (s->ptr) s->ptr[0] = '\0';
}

void dstr_free(dstr *s) {
    free(s->ptr);
    s->ptr = NULL;
    s->len = s->cap = 0;
}

char *dstr_take(dstr *s) {
    char *p = s->ptr;
    if (!p) {
        p = calloc(1, 1);
        if (!p) abort();
    }
    s->ptr = NULL;
    s->len = s->cap = 0;
    return p;
}

const char *dstr_cstr(const dstr *s) { return s->ptr ? s->ptr : ""; }

const char *dstr_json_reopen(dstr *s) {
    size_t n = s->len;
    while (n && (s->ptr[n - 1] == ' ' || s->ptr[n - 1] == '\n')) n--;
    if (!n || s->ptr[n - 1] != '}') return NULL;
    size_t k = n - 1;
    while (k && (s->ptr[k - 1] == ' ' || s->ptr[k - 1] == '\n')) k--;
    int empty = k && s->ptr[k - 1] == '{';
    s->len = n - 1;
    s->ptr[s->len] = '\0';
    return empty ? "" : ",";
}

char *xstrdup(const char *cstr) {
    char *d = strdup(cstr ? cstr : "");
    if (!d) abort();
    return d;
}

void dstr_verror_line(dstr *err, const char *fmt, va_list ap) {
    if (!err) return;
    if (err->len) dstr_putc(err, '\n');
    dstr_vprintf(err, fmt, ap);
}

void dstr_error_line(dstr *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dstr_verror_line(err, fmt, ap);
    va_end(ap);
}
