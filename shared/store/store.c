/* store: URL parsing, key and argument checks, dispatch to a backend (see
 * store.h). Nothing here knows how a backend keeps its objects. */
#include "store/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "platform/clock.h"
#include "platform/config.h"
#include "store/store_backend.h"

#define URL_FORMS \
    "file://<path> (e.g. file:///var/journal, file://./logs) or s3://<bucket>[/<prefix>]"

#define BACKENDS_MAX 4

/* Registered backends (the file backend is not among them: it is built in). */
static struct {
    const char *scheme;
    store_open_fn open;
    void *arg;
} backends[BACKENDS_MAX];
static size_t n_backends;

/* ---- key rules ---------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n) {
    unsigned char c = p[0];
    size_t len;
    unsigned min;
    unsigned cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

/* What is wrong with the bytes of a key or segment, or NULL; *at is where. */
static const char *bad_bytes(const char *s, size_t n, size_t *at) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        *at = i;
        if (p[i] < 0x20 || p[i] == 0x7f) return "a control character";
        if (p[i] == '\\') return "a backslash";
        size_t len = utf8_len(p + i, n - i);
        if (len == 0) return "bytes that are not well-formed UTF-8";
        i += len;
    }
    return NULL;
}

/* What is wrong with one segment (no '/' inside), or NULL. */
static const char *bad_segment(const char *seg, size_t n) {
    if (n == 0) return "an empty segment (\"//\")";
    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
        return "a \".\" or \"..\" segment";
    if (n > STORE_SEGMENT_MAX) return "a segment longer than 255 bytes";
    size_t rlen = strlen(STORE_RESERVED_PREFIX);
    if (n >= rlen && memcmp(seg, STORE_RESERVED_PREFIX, rlen) == 0)
        return "a segment starting with \"" STORE_RESERVED_PREFIX
               "\" (reserved for in-flight writes)";
    return NULL;
}

int store_segment_valid(const char *seg, size_t n) {
    size_t at;
    return memchr(seg, '/', n) == NULL && !bad_segment(seg, n) && !bad_bytes(seg, n, &at);
}

int store_key_valid(const char *key, dstr *why) {
    const char *problem = NULL;
    size_t at = 0, n = key ? strlen(key) : 0;
    if (!key) problem = "no key (NULL)";
    else if (n == 0) problem = "an empty key";
    else if (n > STORE_KEY_MAX) problem = "more than 1024 bytes";
    else if (key[0] == '/') problem = "a leading '/'";
    else if (key[n - 1] == '/') problem = "a trailing '/'";
    else if ((problem = bad_bytes(key, n, &at)) == NULL) {
        const char *seg = key;
        for (;;) {
            const char *end = strchr(seg, '/');
            size_t len = end ? (size_t)(end - seg) : strlen(seg);
            at = (size_t)(seg - key);
            if ((problem = bad_segment(seg, len)) != NULL || !end) break;
            seg = end + 1;
        }
    }
    if (!problem) return 1;
    if (why) {
        if (!key || n == 0 || n > STORE_KEY_MAX) dstr_printf(why, "invalid key: %s", problem);
        else dstr_printf(why, "invalid key: %s at byte %zu", problem, at);
    }
    return 0;
}

/* ---- errors -------------------------------------------------------------- */

store_status store_fail(dstr *err, store_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dstr_verror_line(err, fmt, ap);
    va_end(ap);
    return st;
}

const char *store_status_name(store_status st) {
    switch (st) {
    case STORE_OK: return "ok";
    case STORE_NOT_FOUND: return "not_found";
    case STORE_EXISTS: return "exists";
    case STORE_INVALID_KEY: return "invalid_key";
    case STORE_INVALID_ARG: return "invalid_arg";
    case STORE_IO: return "io";
    case STORE_TIMEOUT: return "timeout";
    }
    return "unknown";
}

/* ---- URLs ----------------------------------------------------------------- */

/* The prefix's rules are the keys' (a journal can move between backends). */
static int check_prefix(const store_url *u, const char *url, dstr *err) {
    dstr why = {0};
    int ok = !*u->prefix || store_key_valid(u->prefix, &why);
    if (!ok) dstr_printf(err, "store URL '%s': prefix is not usable as a key (%s)", url, why.ptr);
    dstr_free(&why);
    return ok ? 0 : -1;
}

store *store_open(const char *url, dstr *err) {
    if (!url) {
        dstr_printf(err, "no store URL; expected " URL_FORMS);
        return NULL;
    }
    store_url u;
    int rc = -1;
    switch (cfg_parse_store_url(url, &u)) {
    case CFG_URL_OK: rc = u.prefix ? check_prefix(&u, url, err) : 0; break;
    case CFG_URL_SCHEME:
        dstr_printf(err, "unsupported store URL '%s'; expected " URL_FORMS, url);
        break;
    case CFG_URL_NO_PATH:
        dstr_printf(err, "store URL '%s' has no path; expected " URL_FORMS, url);
        break;
    case CFG_URL_BUCKET:
        dstr_printf(err, "store URL '%s': bucket must be 3-63 characters of a-z, 0-9, '.' and '-'",
                    url);
        break;
    }
    size_t i = 0;
    int builtin = rc == 0 && strcmp(u.scheme, "file") == 0;
    while (rc == 0 && !builtin && i < n_backends && strcmp(backends[i].scheme, u.scheme) != 0) i++;
    if (rc == 0 && !builtin && i == n_backends) {
        dstr_printf(err, "store URL '%s': no backend for %s:// registered", url, u.scheme);
        rc = -1;
    }
    store *s = NULL;
    if (rc == 0) {
        if (!(s = calloc(1, sizeof *s))) abort();
        if ((builtin ? store_file_open(s, &u, err)
                     : backends[i].open(backends[i].arg, s, &u, err)) != 0) {
            free(s);
            s = NULL;
        }
    }
    cfg_store_url_free(&u);
    return s;
}

void store_register(const char *scheme, store_open_fn open, void *arg) {
    size_t i = 0;
    while (i < n_backends && strcmp(backends[i].scheme, scheme) != 0) i++;
    if (i == BACKENDS_MAX) abort(); /* a handful of schemes exist: a bug */
    if (i == n_backends) n_backends++;
    backends[i].scheme = scheme;
    backends[i].open = open;
    backends[i].arg = arg;
}

void store_close(store *s) {
    if (!s) return;
    if (s->ops) s->ops->close(s->impl);
    free(s);
}

/* ---- operations ------------------------------------------------------------ */

static store_status check_key(const char *key, dstr *err) {
    dstr why = {0};
    if (store_key_valid(key, &why)) return STORE_OK;
    store_status st = store_fail(err, STORE_INVALID_KEY, "%s", why.ptr);
    dstr_free(&why);
    return st;
}

/* STORE_TIMEOUT (with err) when deadline_ms (0: none) has passed. */
static store_status check_deadline(int64_t deadline_ms, const char *op, const char *key,
                                   dstr *err) {
    int64_t now = clock_wall_ms();
    if (deadline_ms <= 0 || now < deadline_ms) return STORE_OK;
    return store_fail(err, STORE_TIMEOUT, "%s '%s': timeout: the deadline passed %lld ms ago", op,
                      key ? key : "", (long long)(now - deadline_ms));
}

static store_status put(store *s, const char *key, const void *data, size_t n, int create_only,
                        dstr *err) {
    const char *op = create_only ? "put_new" : "put";
    if (!s) return store_fail(err, STORE_INVALID_ARG, "%s: no store (NULL)", op);
    if (!data && n > 0)
        return store_fail(err, STORE_INVALID_ARG, "put '%s': no data but %zu bytes", key ? key : "",
                          n);
    store_status st = check_key(key, err);
    if (st == STORE_OK) st = check_deadline(s->deadline_ms, op, key, err);
    return st != STORE_OK ? st : s->ops->put(s, key, data ? data : "", n, create_only, err);
}

void store_set_deadline(store *s, int64_t deadline_ms) {
    if (s) s->deadline_ms = deadline_ms > 0 ? deadline_ms : 0;
}

void store_set_clock(store *s, const clock_src *c) {
    if (s) s->clock = c;
}

int64_t store_now(const store *s) { return clock_now(s ? s->clock : NULL); }

size_t store_put_new_batch(store *s, store_write *items, size_t n, int64_t deadline_ms, dstr *err) {
    if (!s || (!items && n > 0)) {
        store_fail(err, STORE_INVALID_ARG, "put_new batch: %s", s ? "no items" : "no store (NULL)");
        return 0;
    }
    if (deadline_ms <= 0) deadline_ms = s->deadline_ms;
    size_t valid = 0;
    for (size_t i = 0; i < n; i++) {
        store_write *w = &items[i];
        w->status = !w->data && w->n > 0 ? store_fail(&w->why, STORE_INVALID_ARG,
                                                      "put_new '%s': no data but %zu bytes",
                                                      w->key ? w->key : "", w->n)
                                         : check_key(w->key, &w->why);
        if (w->status == STORE_OK)
            w->status = check_deadline(deadline_ms, "put_new", w->key, &w->why);
        if (w->status == STORE_OK) valid++;
    }
    if (valid && s->ops->put_batch && deadline_ms > 0) {
        /* the backend sees only the valid items, in order */
        store_write *todo = valid == n ? items : calloc(valid, sizeof *todo);
        size_t k = 0;
        if (!todo) abort();
        for (size_t i = 0; todo != items && i < n; i++)
            if (items[i].status == STORE_OK) todo[k++] = items[i];
        s->ops->put_batch(s, todo, valid, deadline_ms);
        for (size_t i = 0, j = 0; todo != items && i < n; i++)
            if (items[i].status == STORE_OK) items[i] = todo[j++];
        if (todo != items) free(todo);
    } else {
        for (size_t i = 0; i < n; i++) {
            store_write *w = &items[i];
            if (w->status != STORE_OK) continue;
            w->status = check_deadline(deadline_ms, "put_new", w->key, &w->why);
            if (w->status != STORE_OK) continue;
            int64_t saved = s->deadline_ms; /* the batch's deadline bounds each write */
            s->deadline_ms = deadline_ms;
            w->status = s->ops->put(s, w->key, w->data ? w->data : "", w->n, 1, &w->why);
            s->deadline_ms = saved;
        }
    }
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) ok += items[i].status == STORE_OK;
    return ok;
}

store_status store_put(store *s, const char *key, const void *data, size_t n, dstr *err) {
    return put(s, key, data, n, 0, err);
}

store_status store_put_new(store *s, const char *key, const void *data, size_t n, dstr *err) {
    return put(s, key, data, n, 1, err);
}

store_status store_get(store *s, const char *key, dstr *out, dstr *err) {
    if (!s || !out)
        return store_fail(err, STORE_INVALID_ARG, "get: %s",
                          s ? "no output string" : "no store (NULL)");
    dstr_clear(out);
    store_status st = check_key(key, err);
    if (st == STORE_OK) st = check_deadline(s->deadline_ms, "get", key, err);
    if (st == STORE_OK) st = s->ops->get(s, key, out, err);
    if (st != STORE_OK) dstr_clear(out);
    return st;
}

void store_page_push(store_page *page, const char *key, size_t n) {
    if ((page->n & (page->n - 1)) == 0) { /* n is 0 or a power of two: grow */
        size_t cap = page->n ? page->n * 2 : 16;
        char **keys = realloc(page->keys, cap * sizeof *keys);
        if (!keys) abort();
        page->keys = keys;
    }
    char *copy = strndup(key, n);
    if (!copy) abort();
    page->keys[page->n++] = copy;
}

void store_page_free(store_page *page) {
    if (!page) return;
    for (size_t i = 0; i < page->n; i++) free(page->keys[i]);
    free(page->keys);
    *page = (store_page){0};
}

store_status store_list(store *s, const char *prefix, const char *start_after, size_t max_keys,
                        store_page *page, dstr *err) {
    if (!s || !page)
        return store_fail(err, STORE_INVALID_ARG, "list: %s", s ? "no page" : "no store (NULL)");
    store_page fresh = {0};
    store_status st = STORE_OK;
    if (!prefix) prefix = "";
    if (max_keys < 1 || max_keys > STORE_LIST_MAX)
        st = store_fail(err, STORE_INVALID_ARG, "list: max_keys %zu is not in 1..%d", max_keys,
                        STORE_LIST_MAX);
    else if (strlen(prefix) > STORE_KEY_MAX)
        st = store_fail(err, STORE_INVALID_ARG, "list: prefix longer than %d bytes", STORE_KEY_MAX);
    else if (start_after && strlen(start_after) > STORE_KEY_MAX)
        st = store_fail(err, STORE_INVALID_ARG, "list: start_after longer than %d bytes",
                        STORE_KEY_MAX);
    else if ((st = check_deadline(s->deadline_ms, "list", prefix, err)) == STORE_OK)
        st = s->ops->list(s, prefix, start_after, max_keys, &fresh, err);
    /* start_after may point into the old page: release it only now */
    store_page_free(page);
    if (st == STORE_OK) *page = fresh;
    else store_page_free(&fresh);
    return st;
}
