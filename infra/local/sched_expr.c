/* sched_expr: rate()/cron() parsing and next-fire computation. */
#include "sched_expr.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CRON_YEAR_MIN 1970
#define CRON_YEAR_MAX 2199

__attribute__((format(printf, 3, 4))) static int sx_fail(char *err, size_t errlen, const char *fmt,
                                                         ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- rate --------------------------------------------------------------- */

static int sx_parse_rate(const char *body, size_t n, sched_expr *out, char *err, size_t errlen) {
    char buf[64];
    if (n >= sizeof buf) return sx_fail(err, errlen, "%s", "rate(): too long");
    memcpy(buf, body, n);
    buf[n] = '\0';
    const char *p = buf;
    if (!isdigit((unsigned char)*p))
        return sx_fail(err, errlen, "rate(%s): expected a positive whole number first", buf);
    char *e;
    long long v = strtoll(p, &e, 10);
    if (v < 1 || v > 1000000)
        return sx_fail(err, errlen, "rate(%s): the value must be 1..1000000", buf);
    if (*e != ' ') return sx_fail(err, errlen, "rate(%s): expected 'value unit'", buf);
    while (*e == ' ') e++;
    static const struct {
        const char *singular, *plural;
        int64_t secs;
    } units[] = {{"minute", "minutes", 60}, {"hour", "hours", 3600}, {"day", "days", 86400}};
    for (size_t i = 0; i < 3; i++) {
        int sing = strcmp(e, units[i].singular) == 0, plur = strcmp(e, units[i].plural) == 0;
        if (!sing && !plur) continue;
        if (sing != (v == 1))
            return sx_fail(err, errlen,
                           "rate(%s): use the singular unit for 1 and the plural otherwise", buf);
        out->kind = SCHED_RATE;
        out->rate_s = v * units[i].secs;
        return 0;
    }
    return sx_fail(err, errlen, "rate(%s): the unit must be minute(s), hour(s) or day(s)", buf);
}

/* ---- cron fields -------------------------------------------------------- */

typedef struct cron_field_spec {
    const char *what;
    int lo, hi;
    const char *const *names; /* names[i] is value lo + i */
    int allow_step;
} cron_field_spec;

static const char *const cron_months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                          "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const cron_days[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

/* A number or (case-insensitive) name; returns the end or NULL. */
static const char *cron_value(const char *p, const cron_field_spec *f, int *v) {
    if (isdigit((unsigned char)*p)) {
        char *e;
        long x = strtol(p, &e, 10);
        if (x < f->lo || x > f->hi) return NULL;
        *v = (int)x;
        return e;
    }
    if (f->names)
        for (int i = 0; f->names[i]; i++)
            if (strncasecmp(p, f->names[i], 3) == 0) {
                *v = f->lo + i;
                return p + 3;
            }
    return NULL;
}

static void cron_set(uint64_t *bits, int v, int base) {
    int k = v - base;
    bits[k / 64] |= (uint64_t)1 << (k % 64);
}

/* Parses a list of "*", "v", "a-b", with optional "/step", into bits
 * (indexed from base). item is modified. */
static int cron_parse_list(char *field, const cron_field_spec *f, uint64_t *bits, int base,
                           char *err, size_t errlen) {
    char *save = NULL;
    size_t n = strlen(field);
    if (!n || field[0] == ',' || field[n - 1] == ',' || strstr(field, ",,"))
        return sx_fail(err, errlen, "cron: empty item in the %s field", f->what);
    for (char *item = strtok_r(field, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        int a = f->lo, b = f->hi, step = 1;
        const char *p = item;
        if (*p == '*') {
            p++;
        } else {
            if (!(p = cron_value(p, f, &a)))
                return sx_fail(err, errlen, "cron: bad value in the %s field", f->what);
            b = a;
            if (*p == '-') {
                if (!(p = cron_value(p + 1, f, &b)))
                    return sx_fail(err, errlen, "cron: bad range end in the %s field", f->what);
                if (b < a)
                    return sx_fail(err, errlen, "cron: a range in the %s field runs backwards",
                                   f->what);
            } else if (*p == '/') {
                b = f->hi; /* "a/n": from a to the end */
            }
        }
        if (*p == '/') {
            if (!f->allow_step)
                return sx_fail(err, errlen, "cron: '/' is not allowed in the %s field", f->what);
            char *e;
            long s = strtol(p + 1, &e, 10);
            if (e == p + 1 || s < 1 || s > f->hi)
                return sx_fail(err, errlen, "cron: bad step in the %s field", f->what);
            step = (int)s;
            p = e;
        }
        if (*p) return sx_fail(err, errlen, "cron: unexpected text in the %s field", f->what);
        for (int v = a; v <= b; v += step) cron_set(bits, v, base);
    }
    return 0;
}

static int cron_parse_dom(char *f, sched_cron *c, char *err, size_t errlen) {
    static const cron_field_spec spec = {"day-of-month", 1, 31, NULL, 1};
    size_t n = strlen(f);
    if (strcmp(f, "?") == 0) return c->dom_any = 1, 0;
    if (strcmp(f, "L") == 0) return c->dom_last = 1, 0;
    if (strcmp(f, "LW") == 0) return c->dom_last_weekday = 1, 0;
    if (n >= 2 && f[n - 1] == 'W') {
        char *e;
        long d = strtol(f, &e, 10);
        if (e != f + n - 1 || !isdigit((unsigned char)f[0]) || d < 1 || d > 31)
            return sx_fail(err, errlen, "cron: bad '%s' in the day-of-month field", f);
        c->dom_nearest_weekday = (int)d;
        return 0;
    }
    if (strpbrk(f, "LW?#"))
        return sx_fail(err, errlen, "cron: '%s': L, W and ? must be the whole day-of-month field",
                       f);
    uint64_t bits = 0;
    if (cron_parse_list(f, &spec, &bits, 0, err, errlen) != 0) return -1;
    c->dom = (uint32_t)bits;
    return 0;
}

static int cron_parse_dow(char *f, sched_cron *c, char *err, size_t errlen) {
    static const cron_field_spec spec = {"day-of-week", 1, 7, cron_days, 0};
    size_t n = strlen(f);
    if (strcmp(f, "?") == 0) return c->dow_any = 1, 0;
    if (strcmp(f, "L") == 0) return c->dow = 1u << 7, 0; /* the last day of the week */
    const char *hash = strchr(f, '#');
    int v;
    if (hash) {
        const char *p = cron_value(f, &spec, &v);
        char *e;
        long k = strtol(hash + 1, &e, 10);
        if (p != hash || e == hash + 1 || *e || k < 1 || k > 5)
            return sx_fail(err, errlen,
                           "cron: '%s': expected day#k (k 1-5) as the whole day-of-week field", f);
        c->dow_nth_day = v;
        c->dow_nth = (int)k;
        return 0;
    }
    if (n >= 2 && f[n - 1] == 'L') {
        const char *p = cron_value(f, &spec, &v);
        if (p != f + n - 1)
            return sx_fail(err, errlen, "cron: bad '%s' in the day-of-week field", f);
        c->dow_last = v;
        return 0;
    }
    if (strpbrk(f, "L?"))
        return sx_fail(err, errlen, "cron: '%s': L and ? must be the whole day-of-week field", f);
    uint64_t bits = 0;
    if (cron_parse_list(f, &spec, &bits, 0, err, errlen) != 0) return -1;
    c->dow = (uint8_t)bits;
    return 0;
}

static int sx_parse_cron(const char *body, size_t n, sched_expr *out, char *err, size_t errlen) {
    static const cron_field_spec minutes = {"minutes", 0, 59, NULL, 1};
    static const cron_field_spec hours = {"hours", 0, 23, NULL, 1};
    static const cron_field_spec months = {"month", 1, 12, cron_months, 1};
    static const cron_field_spec years = {"year", CRON_YEAR_MIN, CRON_YEAR_MAX, NULL, 1};
    char buf[256];
    if (n >= sizeof buf) return sx_fail(err, errlen, "%s", "cron(): too long");
    memcpy(buf, body, n);
    buf[n] = '\0';
    char *field[7];
    int nf = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t && nf < 7; t = strtok_r(NULL, " ", &save))
        field[nf++] = t;
    if (nf != 6)
        return sx_fail(err, errlen, "%s",
                       "cron(): expected 6 fields: minutes hours day-of-month month "
                       "day-of-week year");
    sched_cron *c = &out->cron;
    *c = (sched_cron){0};
    uint64_t bits[4] = {0};
    if (cron_parse_list(field[0], &minutes, bits, 0, err, errlen) != 0) return -1;
    c->minutes = bits[0];
    bits[0] = 0;
    if (cron_parse_list(field[1], &hours, bits, 0, err, errlen) != 0) return -1;
    c->hours = (uint32_t)bits[0];
    if (cron_parse_dom(field[2], c, err, errlen) != 0) return -1;
    bits[0] = 0;
    if (cron_parse_list(field[3], &months, bits, 0, err, errlen) != 0) return -1;
    c->months = (uint16_t)bits[0];
    if (cron_parse_dow(field[4], c, err, errlen) != 0) return -1;
    if (cron_parse_list(field[5], &years, c->years, CRON_YEAR_MIN, err, errlen) != 0) return -1;
    if (c->dom_any == c->dow_any)
        return sx_fail(err, errlen, "%s",
                       "cron(): exactly one of day-of-month and day-of-week must be '?'");
    out->kind = SCHED_CRON;
    return 0;
}

int sched_expr_parse(const char *text, sched_expr *out, char *err, size_t errlen) {
    *out = (sched_expr){0};
    size_t n = strlen(text);
    if (n > 5 && strncmp(text, "rate(", 5) == 0 && text[n - 1] == ')')
        return sx_parse_rate(text + 5, n - 6, out, err, errlen);
    if (n > 5 && strncmp(text, "cron(", 5) == 0 && text[n - 1] == ')')
        return sx_parse_cron(text + 5, n - 6, out, err, errlen);
    if (strncmp(text, "at(", 3) == 0)
        return sx_fail(err, errlen, "'%s': one-time at() schedules are not supported", text);
    return sx_fail(err, errlen, "'%s': expected rate(value unit) or cron(6 fields)", text);
}

/* ---- next fire time ----------------------------------------------------- */

static int cron_year_ok(const sched_cron *c, int64_t y) {
    if (y < CRON_YEAR_MIN || y > CRON_YEAR_MAX) return 0;
    int k = (int)(y - CRON_YEAR_MIN);
    return (int)((c->years[k / 64] >> (k % 64)) & 1);
}

/* The weekday (Mon-Fri) nearest to day d of the month, never leaving it. */
static int cron_nearest_weekday(int64_t y, int m, int d) {
    int dim = tz_days_in_month(y, m);
    if (d > dim) return -1;
    int wd = tz_weekday(tz_days_from_civil(y, m, d));
    if (wd == 6) return d == 1 ? d + 2 : d - 1;   /* Saturday */
    if (wd == 0) return d == dim ? d - 2 : d + 1; /* Sunday */
    return d;
}

static int cron_day_ok(const sched_cron *c, int64_t y, int m, int d, int64_t days) {
    int dim = tz_days_in_month(y, m);
    if (!c->dom_any) {
        if (c->dom_last) return d == dim;
        if (c->dom_last_weekday) return d == cron_nearest_weekday(y, m, dim);
        if (c->dom_nearest_weekday) return d == cron_nearest_weekday(y, m, c->dom_nearest_weekday);
        return (int)((c->dom >> d) & 1);
    }
    int dw = tz_weekday(days) + 1; /* 1 = Sunday */
    if (c->dow_last) return dw == c->dow_last && d + 7 > dim;
    if (c->dow_nth) return dw == c->dow_nth_day && (d - 1) / 7 + 1 == c->dow_nth;
    return (int)((c->dow >> dw) & 1);
}

/* A local time repeated by a backward offset change fires only the first
 * time: t is a repeat when the same wall time existed before the change. */
static int cron_is_repeat(const tzone *tz, int64_t t, int64_t local) {
    int64_t prev, next;
    tzone_transitions(tz, t, &prev, &next);
    if (prev == INT64_MIN) return 0;
    int32_t before = tzone_offset(tz, prev - 1);
    if (before <= local - t) return 0;
    return local - before < prev;
}

static int64_t cron_next(const sched_cron *c, const tzone *tz, int64_t after) {
    int64_t t = tz_floor_div(after, 60) * 60 + 60;
    for (int iter = 0; iter < 4000000; iter++) {
        int64_t local = t + (tz ? tzone_offset(tz, t) : 0);
        int64_t days = tz_floor_div(local, 86400), sod = local - days * 86400;
        int64_t y;
        int m, d;
        tz_civil_from_days(days, &y, &m, &d);
        if (y > CRON_YEAR_MAX) return -1;
        int64_t target; /* the local time to move to */
        if (!cron_year_ok(c, y)) target = tz_days_from_civil(y + 1, 1, 1) * 86400;
        else if (!((c->months >> m) & 1))
            target = (m == 12 ? tz_days_from_civil(y + 1, 1, 1) : tz_days_from_civil(y, m + 1, 1)) *
                     86400;
        else if (!cron_day_ok(c, y, m, d, days)) target = (days + 1) * 86400;
        else if (!((c->hours >> (sod / 3600)) & 1)) target = local - sod % 3600 + 3600;
        else if (!((c->minutes >> (sod % 3600 / 60)) & 1)) target = local - sod % 60 + 60;
        else if (tz && cron_is_repeat(tz, t, local)) target = local + 60;
        else return t;
        int64_t nt = t + (target - local);
        if (tz) { /* never jump over an offset change: re-read the clock there */
            int64_t prev, next;
            tzone_transitions(tz, t, &prev, &next);
            if (next <= nt) nt = tz_floor_div(next + 59, 60) * 60;
        }
        t = nt > t ? nt : t + 60;
    }
    return -1;
}

int64_t sched_expr_next(const sched_expr *e, const tzone *tz, int64_t anchor, int64_t after) {
    if (e->kind == SCHED_RATE) {
        if (after < anchor) return anchor;
        return anchor + ((after - anchor) / e->rate_s + 1) * e->rate_s;
    }
    return cron_next(&e->cron, tz, after);
}
