/* journal: decision and request records in the object store (see journal.h). */
#include "journal.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"

#define DAY_MS 86400000LL
#define MAX_AT_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */

static const char *const kind_names[] = {"request", "decision"};

const char *journal_kind_name(journal_kind kind) {
    return (unsigned)kind < 2 ? kind_names[kind] : "record";
}

/* ---- the process-wide store --------------------------------------------------- */

static struct {
    store *s;
    char *url;
} J;

void journal_close(void) {
    store_close(J.s);
    free(J.url);
    J.s = NULL;
    J.url = NULL;
}

store *journal_open(const char *url) {
    if (J.s && url && strcmp(J.url, url) == 0) return J.s;
    journal_close();
    dstr err = {0};
    J.s = store_open(url, &err);
    if (J.s) {
        if (!(J.url = strdup(url))) abort();
    } else {
        log_rec *r = log_begin(LOG_ERROR, "journal.open_failed");
        log_str(r, "url", url);
        log_str(r, "error", dstr_cstr(&err));
        log_end(r);
    }
    dstr_free(&err);
    return J.s;
}

/* ---- keys --------------------------------------------------------------------- */

static void utc_tm(int64_t ms, struct tm *tm) {
    time_t t = (time_t)(ms / 1000);
    gmtime_r(&t, tm);
}

static void day_prefix(int64_t day, char *buf, size_t cap) {
    struct tm tm;
    utc_tm(day * DAY_MS, &tm);
    snprintf(buf, cap, JOURNAL_PREFIX "%04d%02d%02d/", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int journal_key(journal_kind kind, const char *symbol, int64_t at_ms, int suffix, char *buf,
                size_t cap) {
    if (!symbol || !cfg_valid_symbol(symbol) || at_ms < 0 || at_ms > MAX_AT_MS || suffix < 0 ||
        suffix > JOURNAL_MAX_SUFFIX || (unsigned)kind > JOURNAL_DECISION)
        return -1;
    struct tm tm;
    utc_tm(at_ms, &tm);
    char tail[8] = "";
    if (suffix) snprintf(tail, sizeof tail, "-%d", suffix);
    int n = snprintf(buf, cap, JOURNAL_PREFIX "%04d%02d%02d/%02d%02d%02d%03d_%s_%s%s.json",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(at_ms % 1000), symbol, kind_names[kind], tail);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* ---- writing ------------------------------------------------------------------ */

static void log_unwritten(journal_kind kind, const char *symbol, const char *key,
                          const char *error, const char *json, size_t len) {
    log_rec *r = log_begin(LOG_ERROR, "journal.unwritten");
    log_str(r, "kind", journal_kind_name(kind));
    log_str(r, "symbol", symbol);
    log_str(r, "key", key && *key ? key : NULL);
    log_str(r, "error", error);
    /* embedded as JSON when it is JSON, so the log service can query it */
    cJSON *parsed = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (parsed)
        log_json(r, "record", json);
    else
        log_strn(r, "record", json ? json : "", json ? len : 0);
    cJSON_Delete(parsed);
    log_end(r);
}

int journal_put(store *s, journal_kind kind, const char *symbol, int64_t at_ms, const char *json,
                size_t len, dstr *key_out) {
    char key[JOURNAL_KEY_MAX] = "";
    dstr why = {0};
    if (journal_key(kind, symbol, at_ms, 0, key, sizeof key)) {
        dstr_printf(&why, "no journal key for symbol '%s' at %lld", symbol ? symbol : "",
                    (long long)at_ms);
    } else if (!s) {
        dstr_puts(&why, "journal store unavailable");
    } else {
        for (int suffix = 0;; suffix++) {
            if (suffix > JOURNAL_MAX_SUFFIX) {
                dstr_printf(&why, "every suffix up to -%d is taken", JOURNAL_MAX_SUFFIX);
                break;
            }
            journal_key(kind, symbol, at_ms, suffix, key, sizeof key);
            store_status st = store_put_new(s, key, json, json ? len : 0);
            if (st == STORE_OK) {
                if (key_out) {
                    dstr_clear(key_out);
                    dstr_puts(key_out, key);
                }
                return 0;
            }
            if (st != STORE_EXISTS) {
                dstr_printf(&why, "%s: %s", store_status_name(st), store_last_error(s));
                break;
            }
        }
    }
    log_unwritten(kind, symbol, key, dstr_cstr(&why), json, len);
    dstr_free(&why);
    if (key_out) dstr_clear(key_out);
    return -1;
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct entry {
    char *key;          /* owned */
    const char *symbol; /* points into key; ends at '_' */
    long ts;            /* HHMMSSmmm */
    int suffix;
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

/* "HHMMSSmmm_SYMBOL_decision[-N].json" -> entry; 0 when name is one. */
static int parse_decision_name(const char *name, entry *e) {
    long ts = 0;
    for (int i = 0; i < 9; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        ts = ts * 10 + (name[i] - '0');
    }
    if (name[9] != '_') return -1;
    const char *sym = name + 10, *end = strchr(sym, '_');
    if (!end || end == sym) return -1;
    const char *rest = end + 1;
    static const char tag[] = "decision";
    if (strncmp(rest, tag, sizeof tag - 1) != 0) return -1;
    rest += sizeof tag - 1;
    int suffix = 0;
    if (*rest == '-') {
        char *stop;
        long n = strtol(rest + 1, &stop, 10);
        if (stop == rest + 1 || n < 1 || n > JOURNAL_MAX_SUFFIX) return -1;
        suffix = (int)n;
        rest = stop;
    }
    if (strcmp(rest, ".json") != 0) return -1;
    e->ts = ts;
    e->suffix = suffix;
    e->symbol = sym;
    return 0;
}

/* Newest first: time, then the later suffix; ties by symbol, A to Z. */
static int entry_cmp(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? 1 : -1;
    if (x->suffix != y->suffix) return x->suffix < y->suffix ? 1 : -1;
    return strcmp(x->symbol, y->symbol);
}

static void entries_clear(entries *es) {
    for (size_t i = 0; i < es->n; i++) free(es->v[i].key);
    es->n = 0;
}

static void entries_free(entries *es) {
    entries_clear(es);
    free(es->v);
    *es = (entries){0};
}

/* Adds the decision key (a full key; name is its part after the day prefix). */
static void entries_add(entries *es, const char *key, const char *name) {
    entry e;
    if (parse_decision_name(name, &e)) return;
    if (es->n == es->cap) {
        es->cap = es->cap ? es->cap * 2 : 64;
        entry *v = realloc(es->v, es->cap * sizeof *v);
        if (!v) abort();
        es->v = v;
    }
    if (!(e.key = strdup(key))) abort();
    e.symbol = e.key + (e.symbol - key);
    es->v[es->n++] = e;
}

/* Every decision key of one day (all pages of its listing), newest first. */
static int list_day(store *s, const char *prefix, entries *es) {
    entries_clear(es);
    size_t plen = strlen(prefix);
    store_page page = {0};
    const char *after = NULL;
    int rc = 0;
    for (;;) {
        if (store_list(s, prefix, after, STORE_LIST_MAX, &page) != STORE_OK) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < page.n; i++) entries_add(es, page.keys[i], page.keys[i] + plen);
        if (!page.truncated || page.n == 0) break;
        after = page.keys[page.n - 1]; /* store_list reads it before freeing the page */
    }
    store_page_free(&page);
    if (es->n) qsort(es->v, es->n, sizeof *es->v, entry_cmp);
    return rc;
}

/* Appends the object under key to out, after a comma unless it is the
 * array's first; 1 when appended, 0 when skipped (logged). */
static int append_record(store *s, const char *key, int first, dstr *buf, dstr *out) {
    store_status st = store_get(s, key, buf);
    if (st != STORE_OK) {
        log_rec *r = log_begin(LOG_WARN, "journal.unreadable");
        log_str(r, "key", key);
        log_str(r, "error", store_last_error(s));
        log_end(r);
        return 0;
    }
    cJSON *obj = cJSON_ParseWithLength(buf->ptr, buf->len);
    int ok = cJSON_IsObject(obj);
    cJSON_Delete(obj);
    if (!ok) {
        log_rec *r = log_begin(LOG_WARN, "journal.corrupt");
        log_str(r, "key", key);
        log_int(r, "bytes", (long long)buf->len);
        log_end(r);
        return 0;
    }
    if (!first) dstr_putc(out, ',');
    dstr_append(out, buf->ptr, buf->len);
    return 1;
}

/* The oldest journal day (days since the epoch) from the first key under
 * JOURNAL_PREFIX: returns 0 and sets *day (INT64_MIN when that key is not
 * under a day prefix: the walk is then bounded by empty days only), 1 when
 * the journal is empty, -1 when the listing fails. */
static int oldest_day(store *s, int64_t *day) {
    store_page page = {0};
    if (store_list(s, JOURNAL_PREFIX, NULL, 1, &page) != STORE_OK) return -1;
    int rc = 0;
    if (page.n == 0) {
        rc = 1; /* empty journal */
    } else {
        const char *d = page.keys[0] + strlen(JOURNAL_PREFIX);
        struct tm tm = {0};
        int y, m, dd;
        if (strlen(d) > 8 && d[8] == '/' && sscanf(d, "%4d%2d%2d", &y, &m, &dd) == 3) {
            tm.tm_year = y - 1900;
            tm.tm_mon = m - 1;
            tm.tm_mday = dd;
            *day = (int64_t)timegm(&tm) / 86400;
        } else {
            *day = INT64_MIN;
        }
    }
    store_page_free(&page);
    return rc;
}

int journal_recent_decisions(store *s, size_t limit, dstr *out) {
    if (!s) return -1;
    if (limit < 1 || limit > JOURNAL_LIMIT_MAX) return -1;
    int64_t oldest;
    int rc = oldest_day(s, &oldest);
    if (rc < 0) return -1;
    size_t start = out->len;
    dstr_putc(out, '[');
    if (rc == 1) {
        dstr_putc(out, ']');
        return 0;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t day = (int64_t)now.tv_sec / 86400 + 1;
    entries es = {0};
    dstr buf = {0};
    size_t found = 0;
    int empty = 0;
    rc = 0;
    for (; found < limit && day >= oldest && empty < JOURNAL_MAX_EMPTY_DAYS; day--) {
        char prefix[48];
        day_prefix(day, prefix, sizeof prefix);
        if (list_day(s, prefix, &es)) {
            rc = -1;
            break;
        }
        empty = es.n ? 0 : empty + 1;
        for (size_t i = 0; i < es.n && found < limit; i++)
            found += (size_t)append_record(s, es.v[i].key, found == 0, &buf, out);
    }
    entries_free(&es);
    dstr_free(&buf);
    if (rc) {
        out->len = start;
        if (out->ptr) out->ptr[start] = '\0';
        return -1;
    }
    dstr_putc(out, ']');
    return 0;
}
