/* tzone: TZif reader with POSIX TZ footer rules. */
#include "tzone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/dstr.h"
#include "gw_file.h"

#define TZ_MAX_FILE (512 * 1024)

typedef struct tz_rule_date {
    char kind; /* 'J': Jn (1..365, no Feb 29); 'D': n (0..365); 'M': Mm.w.d */
    int n, m, w, d;
    int32_t secs; /* local time of day of the change, may be <0 or >24h */
} tz_rule_date;

typedef struct tz_posix {
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    tz_rule_date start, end;
} tz_posix;

struct tzone {
    char name[128];
    int64_t *times;   /* transition instants, ascending */
    int32_t *offsets; /* offset in force from times[i] on */
    size_t n;
    int32_t initial_off; /* before the first transition (time type 0) */
    int has_rule;
    tz_posix rule; /* after the last transition */
};

/* ---- calendar --------------------------------------------------------- */

int64_t tz_floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic). */
int64_t tz_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = tz_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d) {
    days += 719468;
    int64_t era = tz_floor_div(days, 146097);
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int tz_is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int tz_days_in_month(int64_t y, int m) {
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && tz_is_leap(y) ? 29 : dim[m - 1];
}

int tz_weekday(int64_t days) { return (int)((days % 7 + 11) % 7); } /* 1970-01-01: Thursday */

/* ---- POSIX TZ strings (the TZif footer) --------------------------------- */

static const char *tzp_name(const char *p) {
    if (*p == '<') {
        const char *e = strchr(p, '>');
        return e && e - p >= 4 ? e + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]], hours up to max_h; sets *secs (sign applied). */
static const char *tzp_hms(const char *p, int max_h, int32_t *secs) {
    int sign = 1;
    if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
    long part[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (*p != ':') break;
            p++;
        }
        if (*p < '0' || *p > '9') return NULL;
        char *e;
        part[i] = strtol(p, &e, 10);
        p = e;
    }
    if (part[0] > max_h || part[1] > 59 || part[2] > 59) return NULL;
    *secs = (int32_t)(sign * (part[0] * 3600 + part[1] * 60 + part[2]));
    return p;
}

static const char *tzp_date(const char *p, tz_rule_date *r) {
    char *e;
    if (*p == 'J') {
        r->kind = 'J';
        r->n = (int)strtol(p + 1, &e, 10);
        if (e == p + 1 || r->n < 1 || r->n > 365) return NULL;
        p = e;
    } else if (*p == 'M') {
        r->kind = 'M';
        r->m = (int)strtol(p + 1, &e, 10);
        if (e == p + 1 || *e != '.' || r->m < 1 || r->m > 12) return NULL;
        p = e + 1;
        r->w = (int)strtol(p, &e, 10);
        if (e == p || *e != '.' || r->w < 1 || r->w > 5) return NULL;
        p = e + 1;
        r->d = (int)strtol(p, &e, 10);
        if (e == p || r->d < 0 || r->d > 6) return NULL;
        p = e;
    } else if (*p >= '0' && *p <= '9') {
        r->kind = 'D';
        r->n = (int)strtol(p, &e, 10);
        if (r->n > 365) return NULL;
        p = e;
    } else {
        return NULL;
    }
    r->secs = 7200; /* default 02:00:00 */
    if (*p == '/') p = tzp_hms(p + 1, 167, &r->secs);
    return p;
}

static int tzp_parse(const char *s, tz_posix *out) {
    *out = (tz_posix){0};
    const char *p = tzp_name(s);
    int32_t west;
    if (!p || !(p = tzp_hms(p, 24, &west))) return -1;
    out->std_off = -west;
    if (!*p) return 0;
    if (!(p = tzp_name(p))) return -1;
    out->has_dst = 1;
    out->dst_off = out->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = tzp_hms(p, 24, &west))) return -1;
        out->dst_off = -west;
    }
    if (!*p) { /* no rule given: the POSIX default, US rules */
        out->start = (tz_rule_date){'M', 0, 3, 2, 0, 7200};
        out->end = (tz_rule_date){'M', 0, 11, 1, 0, 7200};
        return 0;
    }
    if (*p != ',' || !(p = tzp_date(p + 1, &out->start))) return -1;
    if (*p != ',' || !(p = tzp_date(p + 1, &out->end))) return -1;
    return *p ? -1 : 0;
}

/* Epoch day of a rule date in year y. */
static int64_t tzp_rule_day(const tz_rule_date *r, int64_t y) {
    int64_t jan1 = tz_days_from_civil(y, 1, 1);
    if (r->kind == 'J') return jan1 + r->n - 1 + (tz_is_leap(y) && r->n >= 60);
    if (r->kind == 'D') return jan1 + r->n;
    int64_t first = tz_days_from_civil(y, r->m, 1);
    int64_t day = first + (r->d - tz_weekday(first) + 7) % 7 + (int64_t)(r->w - 1) * 7;
    while (day >= first + tz_days_in_month(y, r->m)) day -= 7; /* w = 5: last */
    return day;
}

typedef struct tz_change {
    int64_t at;
    int32_t off;
} tz_change;

/* The rule's changes in years y-1..y+1, ascending. */
static void tzp_changes(const tz_posix *r, int64_t y, tz_change out[6]) {
    for (int i = 0; i < 3; i++) {
        int64_t yy = y - 1 + i;
        out[2 * i] = (tz_change){tzp_rule_day(&r->start, yy) * 86400 + r->start.secs - r->std_off,
                                 r->dst_off};
        out[2 * i + 1] =
            (tz_change){tzp_rule_day(&r->end, yy) * 86400 + r->end.secs - r->dst_off, r->std_off};
    }
    for (int i = 1; i < 6; i++) /* insertion sort: southern zones start after they end */
        for (int j = i; j > 0 && out[j].at < out[j - 1].at; j--) {
            tz_change t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
}

static int64_t tz_year_of(int64_t t) {
    int64_t y;
    int m, d;
    tz_civil_from_days(tz_floor_div(t, 86400), &y, &m, &d);
    return y;
}

/* ---- TZif --------------------------------------------------------------- */

static uint32_t tzf_be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t tzf_be64(const unsigned char *p) {
    return (int64_t)((uint64_t)tzf_be32(p) << 32 | tzf_be32(p + 4));
}

typedef struct tzf_counts {
    uint32_t isut, isstd, leap, time, type, chars;
} tzf_counts;

static int tzf_header(const unsigned char *p, size_t avail, tzf_counts *c) {
    if (avail < 44 || memcmp(p, "TZif", 4) != 0) return -1;
    c->isut = tzf_be32(p + 20);
    c->isstd = tzf_be32(p + 24);
    c->leap = tzf_be32(p + 28);
    c->time = tzf_be32(p + 32);
    c->type = tzf_be32(p + 36);
    c->chars = tzf_be32(p + 40);
    if (c->type == 0 || c->type > 256 || c->time > 100000 || c->chars > 65536 || c->leap > 10000 ||
        c->isut > 256 || c->isstd > 256)
        return -1;
    return 0;
}

static size_t tzf_block_size(const tzf_counts *c, size_t tsize) {
    return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) + c->isstd +
           c->isut;
}

static int tzf_parse(tzone *z, const unsigned char *buf, size_t len) {
    tzf_counts c;
    if (tzf_header(buf, len, &c) != 0) return -1;
    int v2 = buf[4] >= '2';
    const unsigned char *p = buf + 44;
    size_t tsize = 4;
    if (v2) { /* skip the 32-bit block, use the 64-bit one */
        size_t skip = tzf_block_size(&c, 4);
        if (44 + skip > len) return -1;
        p += skip;
        if (tzf_header(p, len - (size_t)(p - buf), &c) != 0) return -1;
        p += 44;
        tsize = 8;
    }
    size_t block = tzf_block_size(&c, tsize);
    if ((size_t)(p - buf) + block > len) return -1;
    const unsigned char *times = p, *idx = p + c.time * tsize, *types = idx + c.time;
    z->n = c.time;
    z->times = calloc(c.time ? c.time : 1, sizeof *z->times);
    z->offsets = calloc(c.time ? c.time : 1, sizeof *z->offsets);
    if (!z->times || !z->offsets) abort();
    z->initial_off = (int32_t)tzf_be32(types);
    for (size_t i = 0; i < c.time; i++) {
        z->times[i] = tsize == 8 ? tzf_be64(times + 8 * i) : (int32_t)tzf_be32(times + 4 * i);
        if (idx[i] >= c.type || (i && z->times[i] <= z->times[i - 1])) return -1;
        z->offsets[i] = (int32_t)tzf_be32(types + 6 * idx[i]);
    }
    if (v2) { /* footer: "\n<POSIX TZ>\n" */
        const char *f = (const char *)p + block, *end = (const char *)buf + len;
        if (f < end && *f == '\n') {
            const char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
            if (nl && nl > f + 1) {
                char rule[128];
                size_t n = (size_t)(nl - f - 1);
                if (n >= sizeof rule) return -1;
                memcpy(rule, f + 1, n);
                rule[n] = '\0';
                if (tzp_parse(rule, &z->rule) != 0) return -1;
                z->has_rule = 1;
            }
        }
    }
    return 0;
}

static int tz_name_ok(const char *name) {
    if (!*name || name[0] == '/' || strlen(name) > 100 || strstr(name, "..")) return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              strchr("/_+-", *p)))
            return 0;
    return 1;
}

tzone *tzone_load(const char *name, char *err, size_t errlen) {
    if (!tz_name_ok(name)) {
        snprintf(err, errlen, "invalid time zone name '%s'", name);
        return NULL;
    }
    tzone *z = calloc(1, sizeof *z);
    if (!z) abort();
    snprintf(z->name, sizeof z->name, "%s", name);
    if (strcmp(name, "UTC") == 0) return z;

    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    dstr buf = {0};
    char ferr[256];
    if (gw_read_file(path, TZ_MAX_FILE, &buf, ferr, sizeof ferr) != 0) {
        snprintf(err, errlen, "unknown time zone '%s' (%s)", name, ferr);
        dstr_free(&buf);
        tzone_free(z);
        return NULL;
    }
    int rc = tzf_parse(z, (const unsigned char *)dstr_cstr(&buf), buf.len);
    dstr_free(&buf);
    if (rc != 0) {
        snprintf(err, errlen, "time zone '%s': %s is not a valid TZif file", name, path);
        tzone_free(z);
        return NULL;
    }
    return z;
}

void tzone_free(tzone *z) {
    if (!z) return;
    free(z->times);
    free(z->offsets);
    free(z);
}

const char *tzone_name(const tzone *z) { return z->name; }

/* Index of the last file transition <= t, or -1. */
static long tz_find(const tzone *z, int64_t t) {
    size_t lo = 0, hi = z->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= t) lo = mid + 1;
        else hi = mid;
    }
    return (long)lo - 1;
}

static int tz_uses_rule(const tzone *z, int64_t t) {
    return z->has_rule && z->rule.has_dst && (z->n == 0 || t >= z->times[z->n - 1]);
}

int32_t tzone_offset(const tzone *z, int64_t t) {
    if (z->has_rule && !z->rule.has_dst && (z->n == 0 || t >= z->times[z->n - 1]))
        return z->rule.std_off;
    if (tz_uses_rule(z, t)) {
        tz_change ch[6];
        tzp_changes(&z->rule, tz_year_of(t), ch);
        int32_t off = z->rule.std_off;
        for (int i = 0; i < 6; i++)
            if (ch[i].at <= t) off = ch[i].off;
        return off;
    }
    long i = tz_find(z, t);
    return i < 0 ? z->initial_off : z->offsets[i];
}

void tzone_transitions(const tzone *z, int64_t t, int64_t *prev, int64_t *next) {
    long i = tz_find(z, t);
    *prev = i < 0 ? INT64_MIN : z->times[i];
    *next = (size_t)(i + 1) < z->n ? z->times[i + 1] : INT64_MAX;
    if (!z->has_rule || !z->rule.has_dst) return;
    /* the rule applies from the last file transition on */
    int64_t y = tz_year_of(t);
    for (int64_t yy = y; yy <= y + 1; yy++) {
        tz_change ch[6];
        tzp_changes(&z->rule, yy, ch);
        for (int k = 0; k < 6; k++) {
            if (z->n && ch[k].at <= z->times[z->n - 1]) continue;
            if (ch[k].at <= t && ch[k].at > *prev) *prev = ch[k].at;
            if (ch[k].at > t && ch[k].at < *next) *next = ch[k].at;
        }
    }
}
