/* journal: records in the object store: the shared newest-first walk, and
 * decision and request records (see journal.h). */
#include "services/journal.h"

#include <cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/config.h"
#include "platform/log.h"
#include "platform/clock.h"
#include "platform/secret.h"

static const char *const kind_names[] = {"request", "decision"};

const char *journal_kind_name(journal_kind kind) {
    return (unsigned)kind < 2 ? kind_names[kind] : "record";
}

/* ---- decision and request records ---------------------------------------------- */

/* "payloads/YYYYMMDD/{ts}_{symbol}_{kind}": 0, or -1 for a bad symbol, kind or time. */
static int record_stem(journal_kind kind, const char *symbol, int64_t at_ms, char *buf,
                       size_t cap) {
    if (!symbol || !cfg_valid_symbol(symbol) || (unsigned)kind > JOURNAL_DECISION) return -1;
    char name[64];
    snprintf(name, sizeof name, "%s_%s", symbol, kind_names[kind]);
    return recordkey_stem(JOURNAL_PREFIX, at_ms, name, buf, cap);
}

int journal_key(journal_kind kind, const char *symbol, int64_t at_ms, int suffix, char *buf,
                size_t cap) {
    char stem[JOURNAL_KEY_MAX];
    if (suffix < 0 || suffix > JOURNAL_MAX_SUFFIX ||
        record_stem(kind, symbol, at_ms, stem, sizeof stem))
        return -1;
    char tail[8] = "";
    if (suffix) snprintf(tail, sizeof tail, "-%d", suffix);
    int n = snprintf(buf, cap, "%s%s.json", stem, tail);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

void journal_log_unwritten(const char *kind, const char *symbol, const char *key, const char *error,
                           const char *json, size_t len) {
    log_rec *r = log_begin(LOG_ERROR, "journal.unwritten");
    log_str(r, "kind", kind);
    log_str(r, "symbol", symbol);
    log_str(r, "key", key && *key ? key : NULL);
    log_str(r, "error", error);
    /* embedded as JSON when it is JSON, so the log service can query it */
    cJSON *parsed = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (parsed) log_json(r, "record", json);
    else log_strn(r, "record", json ? json : "", json ? len : 0);
    cJSON_Delete(parsed);
    log_end(r);
}

size_t journal_put_batch(store *s, journal_record *recs, size_t n, int64_t deadline_ms) {
    recordkey_write *w = calloc(n ? n : 1, sizeof *w);
    char(*stems)[JOURNAL_KEY_MAX] = calloc(n ? n : 1, sizeof *stems);
    if (!w || !stems) abort();
    size_t nw = 0;
    for (size_t i = 0; i < n; i++) {
        journal_record *r = &recs[i];
        r->rc = -1;
        if (r->key) dstr_clear(r->key);
        if (record_stem(r->kind, r->symbol, r->at_ms, stems[i], sizeof stems[i])) continue;
        w[i] = (recordkey_write){
            .stem = stems[i], .ext = ".json", .data = r->json, .n = r->json ? r->len : 0};
        nw++;
    }
    /* records without a key are left out of the batch (stem NULL) */
    recordkey_write *todo = calloc(nw ? nw : 1, sizeof *todo);
    if (!todo) abort();
    for (size_t i = 0, k = 0; i < n; i++)
        if (w[i].stem) todo[k++] = w[i];
    recordkey_put_new_batch(s, todo, nw, deadline_ms);
    size_t unwritten = 0;
    for (size_t i = 0, k = 0; i < n; i++) {
        journal_record *r = &recs[i];
        recordkey_write *t = w[i].stem ? &todo[k++] : NULL;
        if (t && t->rc == 0) {
            r->rc = 0;
            if (r->key) dstr_append(r->key, t->key.ptr, t->key.len);
        } else {
            dstr why = {0};
            if (t) dstr_append(&why, t->why.ptr, t->why.len);
            else
                dstr_printf(&why, "no journal key for symbol '%s' at %lld",
                            r->symbol ? r->symbol : "", (long long)r->at_ms);
            journal_log_unwritten(journal_kind_name(r->kind), r->symbol,
                                  t && t->key.len ? t->key.ptr : NULL, why.ptr, r->json, r->len);
            dstr_free(&why);
            unwritten++;
        }
        if (t) recordkey_write_free(t);
    }
    free(todo);
    free(w);
    free(stems);
    return unwritten;
}

int journal_put(store *s, journal_kind kind, const char *symbol, int64_t at_ms, const char *json,
                size_t len, dstr *key_out) {
    journal_record r = {
        .kind = kind, .symbol = symbol, .at_ms = at_ms, .json = json, .len = len, .key = key_out};
    journal_put_batch(s, &r, 1, 0);
    return r.rc;
}

/* ---- identity records: create-only, no suffix ------------------------------------- */

static const char *const status_names[] = {"ok",      "exists",    "not_found",
                                           "invalid", "unwritten", "unavailable"};

const char *journal_status_name(journal_status st) {
    return (unsigned)st < sizeof status_names / sizeof *status_names ? status_names[st] : "unknown";
}

static int charset_ok(const char *text, size_t max, const char *extra, int upper) {
    if (!text) return 0;
    size_t n = 0;
    for (; text[n]; n++) {
        unsigned char c = (unsigned char)text[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 (upper && c >= 'A' && c <= 'Z') || (c && strchr(extra, c));
        if (n == max || !ok) return 0;
    }
    return n > 0;
}

int journal_valid_decimal(const char *s, int may_be_negative) {
    if (!s) return 0;
    const char *p = s + (may_be_negative && *s == '-');
    size_t whole = strspn(p, "0123456789");
    if (whole == 0) return 0;
    p += whole;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        if (frac == 0) return 0;
        p += 1 + frac;
    }
    return *p == '\0' && strlen(s) <= JOURNAL_DECIMAL_MAX;
}

int journal_valid_id(const char *text, size_t max) { return charset_ok(text, max, "._:-", 1); }
int journal_valid_tag(const char *text, size_t max) { return charset_ok(text, max, "._:+-", 1); }
int journal_valid_word(const char *text, size_t max) { return charset_ok(text, max, "_", 0); }

size_t journal_put_exact_batch(store *s, journal_exact *recs, size_t n, int64_t deadline_ms) {
    if (!n) return 0;
    store_write *w = calloc(n, sizeof *w);
    dstr *scrubbed = calloc(n, sizeof *scrubbed);
    if (!w || !scrubbed) abort();
    size_t nw = 0, ok = 0;
    for (size_t i = 0; i < n; i++) {
        journal_exact *r = &recs[i];
        w[i].key = r->key;
        w[i].data = r->json;
        w[i].n = r->json ? r->len : 0;
        /* the one place an identity record's bytes are scrubbed, copied only
         * when a secret is really in them (as recordkey does for the others) */
        if (r->json && secret_present(r->json, r->len)) {
            dstr_append(&scrubbed[i], r->json, r->len);
            secret_scrub(&scrubbed[i]);
            w[i].data = scrubbed[i].ptr;
            w[i].n = scrubbed[i].len;
        }
        if (!r->key || !store_key_valid(r->key, &w[i].why)) {
            r->status = JOURNAL_INVALID;
            if (!r->key) dstr_puts(&w[i].why, "no key");
        } else if (!s) {
            r->status = JOURNAL_UNWRITTEN;
            dstr_puts(&w[i].why, "journal store unavailable");
        } else {
            r->status = JOURNAL_OK; /* to be sent */
            nw++;
        }
    }
    if (nw) {
        store_write *todo = nw == n ? w : calloc(nw, sizeof *todo);
        if (!todo) abort();
        for (size_t i = 0, k = 0; todo != w && i < n; i++)
            if (recs[i].status == JOURNAL_OK) todo[k++] = w[i];
        store_put_new_batch(s, todo, nw, deadline_ms, NULL);
        for (size_t i = 0, k = 0; todo != w && i < n; i++)
            if (recs[i].status == JOURNAL_OK) w[i] = todo[k++];
        if (todo != w) free(todo);
        for (size_t i = 0; i < n; i++) {
            if (recs[i].status != JOURNAL_OK) continue;
            store_status ss = w[i].status;
            recs[i].status = ss == STORE_OK       ? JOURNAL_OK
                             : ss == STORE_EXISTS ? JOURNAL_EXISTS
                             : ss == STORE_INVALID_KEY || ss == STORE_INVALID_ARG
                                 ? JOURNAL_INVALID
                                 : JOURNAL_UNWRITTEN;
        }
    }
    for (size_t i = 0; i < n; i++) {
        journal_exact *r = &recs[i];
        const char *kind = r->kind ? r->kind : "record";
        if (r->status == JOURNAL_OK) {
            ok++;
        } else if (r->status == JOURNAL_EXISTS) {
            dstr_error_line(r->err, "%s %s is already journaled", kind, r->key);
        } else {
            journal_log_unwritten(r->kind, r->symbol, r->key, dstr_cstr(&w[i].why), w[i].data,
                                  w[i].n);
            dstr_error_line(r->err, "%s %s not written: %s", kind, r->key ? r->key : "",
                            dstr_cstr(&w[i].why));
        }
        dstr_free(&w[i].why);
        dstr_free(&scrubbed[i]);
    }
    free(w);
    free(scrubbed);
    return ok;
}

void journal_put_rendered(store *s, const char *kind, const void *items, size_t size,
                          const char *(*symbol_of)(const void *item), journal_render_fn render,
                          size_t n, int64_t deadline_ms, journal_status *st,
                          char (*keys)[JOURNAL_KEY_MAX], dstr *err) {
    if (!n) return;
    journal_exact *recs = calloc(n, sizeof *recs);
    dstr *json = calloc(n, sizeof *json);
    char(*key)[JOURNAL_KEY_MAX] = keys ? keys : calloc(n, sizeof *key);
    size_t *of = calloc(n, sizeof *of);
    if (!recs || !json || !key || !of) abort();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const void *item = (const char *)items + i * size;
        const char *symbol = symbol_of(item);
        key[i][0] = 0;
        const char *broken = render(item, key[i], sizeof key[i], &json[i]);
        if (broken) {
            journal_log_unwritten(kind, symbol, NULL, broken, NULL, 0);
            dstr_error_line(err, "%s not written: %s", kind, broken);
            st[i] = JOURNAL_INVALID;
            key[i][0] = 0;
            continue;
        }
        of[k] = i;
        recs[k++] = (journal_exact){.kind = kind,
                                    .symbol = symbol,
                                    .key = key[i],
                                    .json = json[i].ptr,
                                    .len = json[i].len,
                                    .err = err};
    }
    journal_put_exact_batch(s, recs, k, deadline_ms);
    for (size_t j = 0; j < k; j++) st[of[j]] = recs[j].status;
    for (size_t i = 0; i < n; i++) dstr_free(&json[i]);
    if (key != keys) free(key);
    free(of);
    free(json);
    free(recs);
}

journal_status journal_put_exact(store *s, const char *kind, const char *symbol, const char *key,
                                 const char *json, size_t len, dstr *err) {
    journal_exact r = {
        .kind = kind, .symbol = symbol, .key = key, .json = json, .len = len, .err = err};
    journal_put_exact_batch(s, &r, 1, 0);
    return r.status;
}

int journal_json_ms(const cJSON *obj, const char *name, int64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > RECORDKEY_MAX_AT_MS ||
        v->valuedouble != floor(v->valuedouble))
        return -1;
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* A string field obeying valid(text, max), or null/absent when optional. */
int journal_json_text(const cJSON *obj, const char *name, int optional,
                      int (*valid)(const char *, size_t), size_t max, char *out, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    out[0] = '\0';
    if (optional && (!v || cJSON_IsNull(v))) return 0;
    if (!cJSON_IsString(v) || !valid(v->valuestring, max) || strlen(v->valuestring) >= cap)
        return -1;
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

int journal_json_stamp(const cJSON *obj, char *build, char *config_hash) {
    return journal_json_text(obj, "build", 1, journal_valid_tag, JOURNAL_TAG_MAX, build,
                             JOURNAL_TAG_MAX + 1) ||
                   journal_json_text(obj, "config_hash", 1, journal_valid_tag, JOURNAL_TAG_MAX,
                                     config_hash, JOURNAL_TAG_MAX + 1)
               ? -1
               : 0;
}

/* ---- the newest-first walk ----------------------------------------------------- */

typedef struct entry {
    char *key;           /* owned */
    recordkey_name name; /* points into key */
} entry;

/* The newest JOURNAL_WALK_BATCH records of one day (older than a bound) that
 * a listing showed: while the day is listed, a heap whose [0] is the oldest
 * kept record; then sorted newest first. */
typedef struct entries {
    entry *v;
    size_t n;
    int dropped; /* an older record was left out: the day has more */
} entries;

static int entry_cmp(const void *a, const void *b) {
    return recordkey_cmp_newest(&((const entry *)a)->name, &((const entry *)b)->name);
}

static void entries_clear(entries *es) {
    for (size_t i = 0; i < es->n; i++) free(es->v[i].key);
    es->n = 0;
    es->dropped = 0;
}

static void entries_free(entries *es) {
    entries_clear(es);
    free(es->v);
    *es = (entries){0};
}

static void entries_swap(entries *es, size_t i, size_t j) {
    entry t = es->v[i];
    es->v[i] = es->v[j], es->v[j] = t;
}

static void entries_up(entries *es, size_t i) {
    for (; i > 0 && entry_cmp(&es->v[(i - 1) / 2], &es->v[i]) < 0; i = (i - 1) / 2)
        entries_swap(es, i, (i - 1) / 2);
}

static void entries_down(entries *es, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < es->n && entry_cmp(&es->v[l], &es->v[m]) > 0) m = l;
        if (r < es->n && entry_cmp(&es->v[r], &es->v[m]) > 0) m = r;
        if (m == i) return;
        entries_swap(es, i, m);
        i = m;
    }
}

static int has_tag(const recordkey_name *n, const char *tag) {
    size_t t = strlen(tag);
    return n->name_len > t + 1 && n->name[n->name_len - t - 1] == '_' &&
           memcmp(n->name + n->name_len - t, tag, t) == 0;
}

/* Adds key (its file name starts at plen) when it is a record the walk wants,
 * older than bound (NULL: any), and among the newest JOURNAL_WALK_BATCH. */
static void entries_add(entries *es, const journal_walk *w, const char *key, size_t plen,
                        const entry *bound) {
    if (strchr(key + plen, '/')) return; /* deeper than a day: not a record */
    entry e = {0};
    if (recordkey_parse(key + plen, w->ext, &e.name) || (w->tag && !has_tag(&e.name, w->tag)))
        return;
    if (bound && recordkey_cmp_newest(&e.name, &bound->name) <= 0) return; /* visited already */
    if (es->n == JOURNAL_WALK_BATCH) {
        es->dropped = 1;
        if (entry_cmp(&e, &es->v[0]) >= 0) return; /* older than every kept record */
        free(es->v[0].key);
        es->v[0] = es->v[--es->n];
        entries_down(es, 0);
    }
    if (!es->v && !(es->v = malloc(JOURNAL_WALK_BATCH * sizeof *es->v))) abort();
    if (!(e.key = strdup(key))) abort();
    e.name.name = e.key + (e.name.name - key);
    es->v[es->n] = e;
    entries_up(es, es->n++);
}

/* The newest JOURNAL_WALK_BATCH records of one day older than bound (NULL:
 * any), from all pages of its listing, newest first. */
static int list_day(store *s, const journal_walk *w, const char *prefix, const entry *bound,
                    entries *es, dstr *err) {
    entries_clear(es);
    size_t plen = strlen(prefix);
    store_page page = {0};
    const char *after = NULL;
    int rc = 0;
    for (;;) {
        if (store_list(s, prefix, after, STORE_LIST_MAX, &page, err) != STORE_OK) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < page.n; i++) entries_add(es, w, page.keys[i], plen, bound);
        if (!page.truncated || page.n == 0) break;
        after = page.keys[page.n - 1]; /* store_list reads it before freeing the page */
    }
    store_page_free(&page);
    if (es->n) qsort(es->v, es->n, sizeof *es->v, entry_cmp);
    return rc;
}

/* Hands the records of one day to the visitor, newest first, a batch at a
 * time: when it wants more than a batch, the day is listed again for the
 * records older than the last one handed. Sets *records (whether the day
 * has any) and *done (the visitor has enough); -1 when a listing fails. */
static int walk_day(store *s, const journal_walk *w, const char *prefix, entries *es, int *records,
                    int *done, dstr *err) {
    entry bound = {0};
    int rc = 0;
    for (int round = 0; !*done; round++) {
        if ((rc = list_day(s, w, prefix, bound.key ? &bound : NULL, es, err))) break;
        if (round == 0) *records = es->n > 0;
        for (size_t i = 0; i < es->n && !*done; i++)
            *done = w->visit(w->ctx, s, es->v[i].key) == JOURNAL_WALK_DONE;
        if (!es->dropped || es->n == 0) break;
        free(bound.key);
        bound = es->v[--es->n]; /* the oldest handed: kept as the next round's bound */
    }
    free(bound.key);
    return rc;
}

/* The oldest day under root, from its first key: returns 0 and sets *day
 * (-1 when that key is not under a day prefix: the walk is then bounded by
 * empty days only), 1 when nothing is stored under root, -1 when the
 * listing fails. */
static int oldest_day(store *s, const char *root, int64_t *day, dstr *err) {
    store_page page = {0};
    if (store_list(s, root, NULL, 1, &page, err) != STORE_OK) return -1;
    int rc = page.n == 0;
    if (page.n) *day = recordkey_day_of(root, page.keys[0]);
    store_page_free(&page);
    return rc;
}

/* Appends one line to err (NULL: nothing), as store.h's calls do; returns -1. */
static int fail(dstr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(dstr *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dstr_verror_line(err, fmt, ap);
    va_end(ap);
    return -1;
}

int journal_check_reader(store *s, size_t limit, dstr *err) {
    if (!s) return fail(err, "journal store unavailable");
    if (limit < 1 || limit > JOURNAL_LIMIT_MAX)
        return fail(err, "limit %zu is not in 1..%d", limit, JOURNAL_LIMIT_MAX);
    return 0;
}

int journal_walk_newest(store *s, const journal_walk *w, dstr *err) {
    if (!s) return fail(err, "journal store unavailable");
    if (!w || !w->visit || !w->root || !w->ext)
        return fail(err, "journal walk: no root, extension or visitor");
    int64_t oldest = -1;
    int rc = oldest_day(s, w->root, &oldest, err);
    if (rc) return rc < 0 ? -1 : 0;
    int64_t day = store_now(s) / 86400000 + 1; /* no record is newer than its store's now */
    entries es = {0};
    int empty = 0, done = 0;
    char prefix[STORE_KEY_MAX + 32]; /* too long for the store: its listing fails, not here */
    for (; !done && day >= oldest && empty < JOURNAL_MAX_EMPTY_DAYS; day--) {
        if (recordkey_day(w->root, day, prefix, sizeof prefix)) break;
        int records = 0;
        if (walk_day(s, w, prefix, &es, &records, &done, err)) {
            rc = -1;
            break;
        }
        empty = records ? 0 : empty + 1;
    }
    entries_free(&es);
    return rc;
}

int journal_load(store *s, const char *key, dstr *buf) {
    dstr why = {0}; /* logged, not the caller's: the walk goes on without this record */
    int rc = 0;
    if (store_get(s, key, buf, &why) != STORE_OK) {
        log_rec *r = log_begin(LOG_WARN, "journal.unreadable");
        log_str(r, "key", key);
        log_str(r, "error", dstr_cstr(&why));
        log_end(r);
        rc = -1;
    }
    dstr_free(&why);
    return rc;
}

void journal_warn_corrupt(const char *key, size_t bytes, const char *why) {
    log_rec *r = log_begin(LOG_WARN, "journal.corrupt");
    log_str(r, "key", key);
    log_int(r, "bytes", (long long)bytes);
    log_str(r, "why", why);
    log_end(r);
}

/* ---- decisions, newest first ------------------------------------------------------ */

typedef struct decisions {
    size_t limit, found;
    dstr buf;
    dstr *out;
} decisions;

static journal_step visit_decision(void *ctx, store *s, const char *key) {
    decisions *d = ctx;
    if (journal_load(s, key, &d->buf)) return JOURNAL_WALK_MORE;
    cJSON *obj = cJSON_ParseWithLength(d->buf.ptr, d->buf.len);
    int ok = cJSON_IsObject(obj);
    cJSON_Delete(obj);
    if (!ok) {
        journal_warn_corrupt(key, d->buf.len, "not a JSON object");
        return JOURNAL_WALK_MORE;
    }
    if (d->found++) dstr_putc(d->out, ',');
    dstr_append(d->out, d->buf.ptr, d->buf.len);
    return d->found == d->limit ? JOURNAL_WALK_DONE : JOURNAL_WALK_MORE;
}

int journal_recent_decisions(store *s, size_t limit, dstr *out, dstr *err) {
    if (journal_check_reader(s, limit, err)) return -1;
    size_t start = out->len;
    decisions d = {.limit = limit, .out = out};
    journal_walk w = {.root = JOURNAL_PREFIX,
                      .ext = ".json",
                      .tag = kind_names[JOURNAL_DECISION],
                      .visit = visit_decision,
                      .ctx = &d};
    dstr_putc(out, '[');
    int rc = journal_walk_newest(s, &w, err);
    dstr_free(&d.buf);
    if (rc) {
        out->len = start;
        if (out->ptr) out->ptr[start] = '\0';
        return -1;
    }
    dstr_putc(out, ']');
    return 0;
}

/* ---- the newest decision of each symbol -------------------------------------------- */

typedef struct latest_decisions {
    const char *const *symbols;
    size_t n, found;
    dstr *out, buf;
} latest_decisions;

static journal_step visit_latest_decision(void *ctx, store *s, const char *key) {
    latest_decisions *d = ctx;
    recordkey_name name;
    if (recordkey_parse(key + strlen(JOURNAL_PREFIX) + 9, ".json", &name)) return JOURNAL_WALK_MORE;
    size_t tag = strlen(kind_names[JOURNAL_DECISION]) + 1; /* "_decision" */
    for (size_t i = 0; i < d->n; i++) {
        size_t sl = strlen(d->symbols[i]);
        if (d->out[i].len || name.name_len != sl + tag || memcmp(name.name, d->symbols[i], sl) != 0)
            continue;
        if (journal_load(s, key, &d->buf)) break;
        cJSON *obj = cJSON_ParseWithLength(d->buf.ptr, d->buf.len);
        if (cJSON_IsObject(obj)) {
            dstr_append(&d->out[i], d->buf.ptr, d->buf.len);
            d->found++;
        } else {
            journal_warn_corrupt(key, d->buf.len, "not a JSON object");
        }
        cJSON_Delete(obj);
        break;
    }
    return d->found == d->n ? JOURNAL_WALK_DONE : JOURNAL_WALK_MORE;
}

int journal_latest_decisions(store *s, const char *const *symbols, size_t n, dstr *out, dstr *err) {
    for (size_t i = 0; i < n; i++) dstr_clear(&out[i]);
    if (journal_check_reader(s, n, err)) return -1;
    for (size_t i = 0; i < n; i++)
        if (!symbols[i] || !cfg_valid_symbol(symbols[i]))
            return fail(err, "'%s' is not a symbol", symbols[i] ? symbols[i] : "");
    latest_decisions d = {.symbols = symbols, .n = n, .out = out};
    journal_walk w = {.root = JOURNAL_PREFIX,
                      .ext = ".json",
                      .tag = kind_names[JOURNAL_DECISION],
                      .visit = visit_latest_decision,
                      .ctx = &d};
    int rc = journal_walk_newest(s, &w, err);
    dstr_free(&d.buf);
    if (rc)
        for (size_t i = 0; i < n; i++) dstr_clear(&out[i]);
    return rc;
}
