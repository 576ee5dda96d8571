/* secret: the registry of secret values and the scrubber (see secret.h). */
#define _GNU_SOURCE /* memmem */
#include "platform/secret.h"

#include <stdlib.h>
#include <string.h>

/* raw, JSON-escaped, JSON with "\/", URL-encoded %XX and %xx */
#define FORMS 5

typedef struct pattern {
    char *ptr;
    size_t len;
} pattern;

static struct {
    char *values[SECRET_MAX];
    size_t n_values;
    pattern pats[SECRET_MAX * FORMS];
    size_t n_pats;
    size_t min_len; /* of every pattern: shorter text cannot hold one */
} S;

static void add_pattern(dstr *form) {
    for (size_t i = 0; i < S.n_pats; i++)
        if (S.pats[i].len == form->len && memcmp(S.pats[i].ptr, form->ptr, form->len) == 0) {
            dstr_free(form);
            return;
        }
    if (S.n_pats == 0 || form->len < S.min_len) S.min_len = form->len;
    S.pats[S.n_pats].len = form->len;
    S.pats[S.n_pats++].ptr = dstr_take(form);
}

static void url_form(const char *v, const char *hex, dstr *out) {
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            dstr_putc(out, (char)*p);
        else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            dstr_append(out, enc, 3);
        }
    }
}

void secret_register(const char *value) {
    if (!value || strlen(value) < SECRET_MIN_LEN || S.n_values == SECRET_MAX) return;
    for (size_t i = 0; i < S.n_values; i++)
        if (strcmp(S.values[i], value) == 0) return;
    S.values[S.n_values++] = xstrdup(value);

    dstr form = {0};
    dstr_puts(&form, value);
    add_pattern(&form);
    /* the JSON forms: exactly what dstr_json_str writes, without the quotes */
    dstr quoted = {0};
    dstr_json_str(&quoted, value);
    dstr_append(&form, quoted.ptr + 1, quoted.len - 2);
    if (strchr(value, '/')) { /* other encoders write '/' as "\/" */
        dstr slashed = {0};
        for (size_t i = 0; i < form.len; i++) {
            if (form.ptr[i] == '/') dstr_putc(&slashed, '\\');
            dstr_putc(&slashed, form.ptr[i]);
        }
        add_pattern(&slashed);
    }
    add_pattern(&form);
    dstr_free(&quoted);
    url_form(value, "0123456789ABCDEF", &form);
    add_pattern(&form);
    url_form(value, "0123456789abcdef", &form);
    add_pattern(&form);
}

void secret_clear(void) {
    for (size_t i = 0; i < S.n_values; i++) free(S.values[i]);
    for (size_t i = 0; i < S.n_pats; i++) free(S.pats[i].ptr);
    memset(&S, 0, sizeof S);
}

int secret_present(const void *data, size_t n) {
    if (S.n_pats == 0 || n < S.min_len) return 0;
    for (size_t i = 0; i < S.n_pats; i++)
        if (memmem(data, n, S.pats[i].ptr, S.pats[i].len)) return 1;
    return 0;
}

typedef struct span {
    size_t at, end;
} span;

typedef struct spans {
    span *v;
    size_t n, cap;
} spans;

static void spans_add(spans *ss, size_t at, size_t end) {
    if (ss->n == ss->cap) {
        ss->cap = ss->cap ? ss->cap * 2 : 8;
        ss->v = realloc(ss->v, ss->cap * sizeof *ss->v);
        if (!ss->v) abort(); /* as dstr does: a half-scrubbed output is worse */
    }
    ss->v[ss->n++] = (span){at, end};
}

static int span_cmp(const void *a, const void *b) {
    const span *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

size_t secret_scrub(dstr *s) {
    if (S.n_pats == 0 || s->len < S.min_len) return 0;
    spans ss = {0};
    /* every match on the original text, overlapping ones too: replacing as
     * we go would let a second secret that overlaps the first survive in part */
    for (size_t i = 0; i < S.n_pats; i++) {
        const pattern *p = &S.pats[i];
        size_t from = 0;
        const char *hit;
        while (s->len - from >= p->len &&
               (hit = memmem(s->ptr + from, s->len - from, p->ptr, p->len)) != NULL) {
            size_t at = (size_t)(hit - s->ptr);
            spans_add(&ss, at, at + p->len);
            from = at + 1;
        }
    }
    if (ss.n == 0) return 0;
    qsort(ss.v, ss.n, sizeof *ss.v, span_cmp);
    dstr out = {0};
    dstr_reserve(&out, s->len);
    size_t done = 0, masks = 0;
    for (size_t i = 0; i < ss.n;) {
        size_t at = ss.v[i].at, end = ss.v[i].end;
        for (i++; i < ss.n && ss.v[i].at <= end; i++)
            if (ss.v[i].end > end) end = ss.v[i].end;
        dstr_append(&out, s->ptr + done, at - done);
        dstr_puts(&out, SECRET_MASK);
        masks++;
        done = end;
    }
    dstr_append(&out, s->ptr + done, s->len - done);
    free(ss.v);
    dstr_free(s);
    *s = out;
    return masks;
}

int secret_equal(const char *given, const char *expected) {
    if (!given || !expected) return 0;
    size_t gl = strlen(given), el = strlen(expected);
    volatile unsigned char diff = gl != el;
    for (size_t i = 0; i < el; i++) diff |= (unsigned char)(expected[i] ^ (i < gl ? given[i] : 0));
    return diff == 0;
}
