/* run_scenarios: data-driven end-to-end cases in the manner of curl's tests.
 *
 *   run_scenarios --gateway http://127.0.0.1:P --fake http://127.0.0.1:Q
 *                 [--timeout-ms N] [-v] FILE_OR_DIR...
 *
 * Each scenario file (format: tests/scenarios/README.md) says what the fake
 * upstream answers (a script for the fake's control API), the request sent
 * to the gateway, what the caller must get back, and what the function must
 * have sent upstream. For each file: POST /__fake/reset, POST /__fake/script,
 * send the request, GET /__fake/requests, check. Prints one ok/FAIL line per
 * scenario and "scenarios: N passed, N failed"; exits 1 on any failure, 2 on
 * bad usage. Directories are read non-recursively, *.json in name order. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "platform/dstr.h"

typedef struct runner {
    const char *gateway;
    const char *fake;
    long timeout_ms;
    int verbose;
    /* --forbid: strings no answer may carry, in its body or headers (the
     * secrets the gateway's functions were given) */
    const char *forbid[8];
    size_t n_forbid;
} runner;

typedef struct reply {
    CURLcode rc;
    long status;
    dstr body;
    dstr headers;
    int64_t t_before, t_after; /* wall clock ms around the exchange */
} reply;

/* Failures of one scenario, joined with "; ". */
typedef struct verdict {
    dstr why;
    int failures;
} verdict;

static void failf(verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void failf(verdict *v, const char *fmt, ...) {
    if (v->failures++) dstr_puts(&v->why, "; ");
    va_list ap;
    va_start(ap, fmt);
    dstr_vprintf(&v->why, fmt, ap);
    va_end(ap);
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- HTTP ------------------------------------------------------------------ */

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    dstr_append(ud, p, size * n);
    return size * n;
}

static void reply_free(reply *r) {
    dstr_free(&r->body);
    dstr_free(&r->headers);
}

static void http(const char *method, const char *url, const cJSON *headers, const char *body,
                 long timeout_ms, reply *out) {
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    if (!c) abort();
    struct curl_slist *hl = NULL;
    const cJSON *h;
    cJSON_ArrayForEach(h, headers) {
        dstr line = {0};
        dstr_printf(&line, "%s: %s", h->string, cJSON_IsString(h) ? h->valuestring : "");
        hl = curl_slist_append(hl, line.ptr);
        dstr_free(&line);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    out->t_before = wall_ms();
    out->rc = curl_easy_perform(c);
    out->t_after = wall_ms();
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    dstr_append(&out->body, "", 0);    /* allocates and NUL-terminates */
    dstr_append(&out->headers, "", 0); /* allocates and NUL-terminates */
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
}

/* Control request to the fake; 0 when it answered 200 (JSON in *json if asked). */
static int fake_call(const runner *rn, const char *method, const char *path, const char *body,
                     cJSON **json, verdict *v) {
    dstr url = {0};
    dstr_printf(&url, "%s%s", rn->fake, path);
    reply r;
    http(method, url.ptr, NULL, body, 10000, &r);
    int ok = r.rc == CURLE_OK && r.status == 200;
    if (!ok)
        failf(v, "fake %s %s: %s (status %ld) %.200s", method, path,
              r.rc ? curl_easy_strerror(r.rc) : "refused", r.status, r.body.ptr ? r.body.ptr : "");
    if (ok && json) {
        *json = cJSON_ParseWithLength(r.body.ptr, r.body.len);
        if (!*json) {
            failf(v, "fake %s: answer is not JSON", path);
            ok = 0;
        }
    }
    reply_free(&r);
    dstr_free(&url);
    return ok ? 0 : -1;
}

static const char *header_value(const reply *r, const char *name, dstr *out) {
    size_t n = strlen(name);
    for (const char *line = r->headers.ptr; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *val = line + n + 1;
            while (*val == ' ') val++;
            dstr_clear(out);
            dstr_append(out, val, len - (size_t)(val - line));
            return out->ptr;
        }
        line = eol ? eol + 2 : line + len;
    }
    return NULL;
}

/* ---- JSON paths: "a.b", "arr.0", "arr.-1", "arr.length", "arr.*.x" ------------ */

typedef void (*visit_fn)(void *ctx, const cJSON *node);

static size_t walk(const cJSON *node, const char *path, visit_fn fn, void *ctx);

static size_t walk_seg(const cJSON *node, const char *seg, size_t seg_len, const char *rest,
                       visit_fn fn, void *ctx) {
    char key[256];
    if (seg_len >= sizeof key) return 0;
    memcpy(key, seg, seg_len);
    key[seg_len] = '\0';
    if (strcmp(key, "*") == 0) {
        size_t n = 0;
        const cJSON *child;
        if (!cJSON_IsArray(node) && !cJSON_IsObject(node)) return 0;
        cJSON_ArrayForEach(child, node) n += walk(child, rest, fn, ctx);
        return n;
    }
    if (cJSON_IsObject(node) && cJSON_GetObjectItemCaseSensitive(node, key))
        return walk(cJSON_GetObjectItemCaseSensitive(node, key), rest, fn, ctx);
    if (strcmp(key, "length") == 0 && (cJSON_IsArray(node) || cJSON_IsObject(node))) {
        cJSON *len = cJSON_CreateNumber(cJSON_GetArraySize(node));
        size_t n = walk(len, rest, fn, ctx);
        cJSON_Delete(len);
        return n;
    }
    if (cJSON_IsArray(node)) {
        char *end;
        long i = strtol(key, &end, 10);
        int size = cJSON_GetArraySize(node);
        if (*end || end == key) return 0;
        if (i < 0) i += size;
        if (i < 0 || i >= size) return 0;
        return walk(cJSON_GetArrayItem(node, (int)i), rest, fn, ctx);
    }
    return 0;
}

/* Visits every node the path names; returns how many. "" is the root. */
static size_t walk(const cJSON *node, const char *path, visit_fn fn, void *ctx) {
    if (!node) return 0;
    if (!*path) {
        fn(ctx, node);
        return 1;
    }
    const char *dot = strchr(path, '.');
    size_t seg_len = dot ? (size_t)(dot - path) : strlen(path);
    return walk_seg(node, path, seg_len, dot ? dot + 1 : "", fn, ctx);
}

static void describe(dstr *out, const cJSON *node) {
    char *text = cJSON_PrintUnformatted(node);
    dstr_printf(out, "%.120s", text ? text : "?");
    cJSON_free(text);
}

/* One check applied to every node at a path; records the first mismatch. */
typedef struct check_ctx {
    const cJSON *want;
    int64_t t_before, t_after, unit_ms; /* json_age_* */
    int bad;
    dstr got;
} check_ctx;

static void remember_bad(check_ctx *c, const cJSON *node) {
    if (c->bad++) return;
    describe(&c->got, node);
}

static void visit_equal(void *ctx, const cJSON *node) {
    check_ctx *c = ctx;
    if (!cJSON_Compare(node, c->want, 1)) remember_bad(c, node);
}

static int type_is(const cJSON *node, const char *type) {
    if (strcmp(type, "number") == 0) return cJSON_IsNumber(node);
    if (strcmp(type, "integer") == 0)
        return cJSON_IsNumber(node) && node->valuedouble == floor(node->valuedouble);
    if (strcmp(type, "string") == 0) return cJSON_IsString(node);
    if (strcmp(type, "array") == 0) return cJSON_IsArray(node);
    if (strcmp(type, "object") == 0) return cJSON_IsObject(node);
    if (strcmp(type, "bool") == 0) return cJSON_IsBool(node);
    if (strcmp(type, "null") == 0) return cJSON_IsNull(node);
    return -1;
}

static void visit_type(void *ctx, const cJSON *node) {
    check_ctx *c = ctx;
    if (type_is(node, c->want->valuestring) != 1) remember_bad(c, node);
}

static void visit_contains(void *ctx, const cJSON *node) {
    check_ctx *c = ctx;
    if (!cJSON_IsString(node) || !strstr(node->valuestring, c->want->valuestring))
        remember_bad(c, node);
}

static int range_of(const cJSON *want, double *lo, double *hi) {
    const cJSON *a = cJSON_GetArrayItem(want, 0), *b = cJSON_GetArrayItem(want, 1);
    if (!cJSON_IsArray(want) || cJSON_GetArraySize(want) != 2 || !cJSON_IsNumber(a) ||
        !cJSON_IsNumber(b))
        return -1;
    *lo = a->valuedouble;
    *hi = b->valuedouble;
    return 0;
}

static void visit_range(void *ctx, const cJSON *node) {
    check_ctx *c = ctx;
    double lo, hi;
    range_of(c->want, &lo, &hi);
    if (!cJSON_IsNumber(node) || node->valuedouble < lo || node->valuedouble > hi)
        remember_bad(c, node);
}

/* Age = now - value (value in unit_ms units); "now" is any instant the
 * exchange was in flight, so the check allows the request's own duration. */
static void visit_age(void *ctx, const cJSON *node) {
    check_ctx *c = ctx;
    double lo, hi;
    range_of(c->want, &lo, &hi);
    if (!cJSON_IsNumber(node)) {
        remember_bad(c, node);
        return;
    }
    double t = node->valuedouble * (double)c->unit_ms;
    double youngest = ((double)c->t_before - t) / (double)c->unit_ms;
    double oldest = ((double)c->t_after - t) / (double)c->unit_ms;
    if (oldest < lo || youngest > hi) remember_bad(c, node);
}

static void visit_count_only(void *ctx, const cJSON *node) {
    (void)ctx;
    (void)node;
}

/* Runs one map of path -> expectation with a visitor; validates the shape. */
static void check_map(const cJSON *map, const char *what, const cJSON *doc, visit_fn fn,
                      const reply *r, int64_t unit_ms, verdict *v) {
    const cJSON *it;
    cJSON_ArrayForEach(it, map) {
        check_ctx c = {
            .want = it, .t_before = r->t_before, .t_after = r->t_after, .unit_ms = unit_ms};
        double lo, hi;
        if ((fn == visit_type && (!cJSON_IsString(it) || type_is(NULL, it->valuestring) < 0)) ||
            (fn == visit_contains && !cJSON_IsString(it)) ||
            ((fn == visit_range || fn == visit_age) && range_of(it, &lo, &hi))) {
            failf(v, "bad scenario: %s.%s", what, it->string);
            continue;
        }
        size_t n = walk(doc, it->string, fn, &c);
        if (n == 0) failf(v, "%s: nothing at %s", what, it->string);
        else if (c.bad) {
            dstr want = {0};
            describe(&want, it);
            failf(v, "%s: %s is %s, want %s", what, it->string, c.got.ptr, want.ptr);
            dstr_free(&want);
        }
        dstr_free(&c.got);
    }
}

typedef struct series_ctx {
    const char *key;
    int desc;
    double step;
    int has_step;
    verdict *v;
    const char *path;
} series_ctx;

static void first_node(void *ctx, const cJSON *node) {
    const cJSON **slot = ctx;
    if (!*slot) *slot = node;
}

static void visit_series(void *ctx, const cJSON *arr) {
    series_ctx *s = ctx;
    if (!cJSON_IsArray(arr)) {
        failf(s->v, "json_series: %s is not an array", s->path);
        return;
    }
    double prev = 0;
    int i = 0;
    const cJSON *el;
    cJSON_ArrayForEach(el, arr) {
        const cJSON *val = NULL;
        walk(el, s->key, first_node, &val);
        if (!cJSON_IsNumber(val)) {
            failf(s->v, "json_series: %s.%d.%s is not a number", s->path, i, s->key);
            return;
        }
        double x = val->valuedouble, d = s->desc ? prev - x : x - prev;
        if (i > 0 && (d <= 0 || (s->has_step && d != s->step))) {
            failf(s->v, "json_series: %s.%d.%s = %.17g after %.17g (want %s%s%.17g)", s->path, i,
                  s->key, x, prev, s->desc ? "descending" : "ascending", s->has_step ? " by " : "",
                  s->has_step ? s->step : 0.0);
            return;
        }
        prev = x;
        i++;
    }
}

static void check_series(const cJSON *map, const cJSON *doc, verdict *v) {
    const cJSON *it;
    cJSON_ArrayForEach(it, map) {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(it, "key");
        const cJSON *order = cJSON_GetObjectItemCaseSensitive(it, "order");
        const cJSON *step = cJSON_GetObjectItemCaseSensitive(it, "step");
        if (!cJSON_IsObject(it) || (key && !cJSON_IsString(key)) ||
            (step && !cJSON_IsNumber(step)) ||
            (order && (!cJSON_IsString(order) || (strcmp(order->valuestring, "asc") &&
                                                  strcmp(order->valuestring, "desc"))))) {
            failf(v, "bad scenario: json_series.%s", it->string);
            continue;
        }
        series_ctx s = {.key = key ? key->valuestring : "",
                        .v = v,
                        .path = it->string,
                        .desc = order && strcmp(order->valuestring, "desc") == 0,
                        .has_step = step != NULL,
                        .step = step ? step->valuedouble : 0};
        if (walk(doc, it->string, visit_series, &s) == 0)
            failf(v, "json_series: nothing at %s", it->string);
    }
}

static void check_paths(const cJSON *list, const cJSON *doc, int want_present, verdict *v) {
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        if (!cJSON_IsString(it)) {
            failf(v, "bad scenario: %s holds a non-string", want_present ? "present" : "absent");
            continue;
        }
        size_t n = walk(doc, it->valuestring, visit_count_only, NULL);
        if (want_present && n == 0) failf(v, "present: nothing at %s", it->valuestring);
        if (!want_present && n > 0) failf(v, "absent: %s is there", it->valuestring);
    }
}

/* ---- scenario format ----------------------------------------------------------- */

static int only_keys(const cJSON *obj, const char *const *allowed, const char *what, verdict *v) {
    const cJSON *it;
    int ok = 1;
    cJSON_ArrayForEach(it, obj) {
        int known = 0;
        for (const char *const *a = allowed; *a; a++) known |= strcmp(it->string, *a) == 0;
        if (!known) {
            failf(v, "bad scenario: unknown key %s.%s", what, it->string);
            ok = 0;
        }
    }
    return ok;
}

static void check_response(const cJSON *expect, const reply *r, verdict *v) {
    static const char *const keys[] = {
        "status",        "json_path",       "json_types",  "json_contains", "json_range",
        "json_age_s",    "json_age_ms",     "json_series", "present",       "absent",
        "body_contains", "header_contains", NULL};
    if (!only_keys(expect, keys, "expect", v)) return;
    if (r->rc != CURLE_OK) {
        failf(v, "gateway: %s", curl_easy_strerror(r->rc));
        return;
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(expect, "status");
    if (status && (!cJSON_IsNumber(status) || r->status != (long)status->valuedouble))
        failf(v, "status %ld, want %g", r->status,
              cJSON_IsNumber(status) ? status->valuedouble : -1.0);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(expect, "body_contains")) {
        if (!cJSON_IsString(it) || !r->body.ptr || !strstr(r->body.ptr, it->valuestring))
            failf(v, "body lacks %s", cJSON_IsString(it) ? it->valuestring : "(non-string)");
    }
    dstr hv = {0};
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(expect, "header_contains")) {
        const char *got = header_value(r, it->string, &hv);
        if (!cJSON_IsString(it) || !got || !strstr(got, it->valuestring))
            failf(v, "header %s is %s", it->string, got ? got : "absent");
    }
    dstr_free(&hv);

    int wants_json = 0;
    for (const char *const *k = keys + 1; *k; k++)
        if (strncmp(*k, "json_", 5) == 0 || strcmp(*k, "present") == 0 || strcmp(*k, "absent") == 0)
            wants_json |= cJSON_HasObjectItem(expect, *k);
    if (!wants_json) return;
    cJSON *doc = cJSON_ParseWithLength(r->body.ptr ? r->body.ptr : "", r->body.len);
    if (!doc) {
        failf(v, "body is not JSON");
        return;
    }
    check_map(cJSON_GetObjectItemCaseSensitive(expect, "json_path"), "json_path", doc, visit_equal,
              r, 1, v);
    check_map(cJSON_GetObjectItemCaseSensitive(expect, "json_types"), "json_types", doc, visit_type,
              r, 1, v);
    check_map(cJSON_GetObjectItemCaseSensitive(expect, "json_contains"), "json_contains", doc,
              visit_contains, r, 1, v);
    check_map(cJSON_GetObjectItemCaseSensitive(expect, "json_range"), "json_range", doc,
              visit_range, r, 1, v);
    check_map(cJSON_GetObjectItemCaseSensitive(expect, "json_age_s"), "json_age_s", doc, visit_age,
              r, 1000, v);
    check_map(cJSON_GetObjectItemCaseSensitive(expect, "json_age_ms"), "json_age_ms", doc,
              visit_age, r, 1, v);
    check_series(cJSON_GetObjectItemCaseSensitive(expect, "json_series"), doc, v);
    check_paths(cJSON_GetObjectItemCaseSensitive(expect, "present"), doc, 1, v);
    check_paths(cJSON_GetObjectItemCaseSensitive(expect, "absent"), doc, 0, v);
    cJSON_Delete(doc);
}

/* Query values may be written as strings or integers. */
static int value_matches(const cJSON *want, const char *got) {
    if (!got) return 0;
    if (cJSON_IsString(want)) return strcmp(want->valuestring, got) == 0;
    if (cJSON_IsNumber(want) && want->valuedouble == floor(want->valuedouble)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)want->valuedouble);
        return strcmp(buf, got) == 0;
    }
    return 0;
}

static const char *str_field(const cJSON *obj, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static void check_names(const cJSON *list, const cJSON *rec, const char *field, int present,
                        const char *label, verdict *v) {
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        if (!cJSON_IsString(it)) {
            failf(v, "bad scenario: %s holds a non-string", label);
            continue;
        }
        const char *got = str_field(rec, field, it->valuestring);
        if (present && !got) failf(v, "%s: %s missing", label, it->valuestring);
        if (!present && got) failf(v, "%s: %s was sent", label, it->valuestring);
    }
}

/* One upstream expectation against one recorded request (prev: the one before). */
static void check_upstream_entry(const cJSON *want, const cJSON *rec, const cJSON *prev,
                                 const char *label, verdict *v) {
    static const char *const keys[] = {"method",
                                       "path",
                                       "query",
                                       "query_present",
                                       "query_absent",
                                       "headers",
                                       "headers_present",
                                       "headers_absent",
                                       "min_gap_ms",
                                       "max_gap_ms",
                                       "if",
                                       NULL};
    if (!only_keys(want, keys, label, v)) return;
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(want, "if");
    if (cond) { /* the entry applies only to requests that pass its "if" */
        if (!cJSON_IsObject(cond) || cJSON_GetObjectItemCaseSensitive(cond, "if")) {
            failf(v, "bad scenario: %s: \"if\" must be an entry without an \"if\"", label);
            return;
        }
        verdict scratch = {0};
        check_upstream_entry(cond, rec, prev, label, &scratch);
        int applies = scratch.failures == 0;
        dstr_free(&scratch.why);
        if (!applies) return;
    }
    const char *m = str_field(want, "method", NULL), *p = str_field(want, "path", NULL);
    const char *got_m = str_field(rec, "method", NULL), *got_p = str_field(rec, "path", NULL);
    if (m && (!got_m || strcmp(m, got_m))) failf(v, "%s: method %s, want %s", label, got_m, m);
    if (p && (!got_p || strcmp(p, got_p))) failf(v, "%s: path %s, want %s", label, got_p, p);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(want, "query")) {
        const char *got = str_field(rec, "params", it->string);
        if (!value_matches(it, got)) {
            dstr w = {0};
            describe(&w, it);
            failf(v, "%s: query %s=%s, want %s", label, it->string, got ? got : "(absent)", w.ptr);
            dstr_free(&w);
        }
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(want, "headers")) {
        const char *got = str_field(rec, "headers", it->string);
        if (!value_matches(it, got))
            failf(v, "%s: header %s is %s", label, it->string, got ? got : "(absent)");
    }
    check_names(cJSON_GetObjectItemCaseSensitive(want, "query_present"), rec, "params", 1, label,
                v);
    check_names(cJSON_GetObjectItemCaseSensitive(want, "query_absent"), rec, "params", 0, label, v);
    check_names(cJSON_GetObjectItemCaseSensitive(want, "headers_present"), rec, "headers", 1, label,
                v);
    check_names(cJSON_GetObjectItemCaseSensitive(want, "headers_absent"), rec, "headers", 0, label,
                v);
    const cJSON *min_gap = cJSON_GetObjectItemCaseSensitive(want, "min_gap_ms");
    const cJSON *max_gap = cJSON_GetObjectItemCaseSensitive(want, "max_gap_ms");
    if (!min_gap && !max_gap) return;
    if (!prev) {
        failf(v, "bad scenario: %s: a gap needs a request before it", label);
        return;
    }
    double gap = cJSON_GetObjectItemCaseSensitive(rec, "t_ms")->valuedouble -
                 cJSON_GetObjectItemCaseSensitive(prev, "t_ms")->valuedouble;
    if (cJSON_IsNumber(min_gap) && gap < min_gap->valuedouble)
        failf(v, "%s: came %.0f ms after the previous, want >= %g", label, gap,
              min_gap->valuedouble);
    if (cJSON_IsNumber(max_gap) && gap > max_gap->valuedouble)
        failf(v, "%s: came %.0f ms after the previous, want <= %g", label, gap,
              max_gap->valuedouble);
}

static void check_upstream(const cJSON *sc, const cJSON *recs, verdict *v) {
    int n = cJSON_GetArraySize(recs);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(sc, "expect_upstream");
    const cJSON *each = cJSON_GetObjectItemCaseSensitive(sc, "expect_upstream_each");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(sc, "expect_upstream_count");
    char label[48];
    int i = 0;
    const cJSON *want;
    cJSON_ArrayForEach(want, list) {
        snprintf(label, sizeof label, "upstream #%d", i);
        if (i >= n) {
            failf(v, "%s: not sent (%d upstream requests)", label, n);
            break;
        }
        check_upstream_entry(want, cJSON_GetArrayItem(recs, i),
                             i ? cJSON_GetArrayItem(recs, i - 1) : NULL, label, v);
        i++;
    }
    /* one entry, or a list of entries, checked against every request */
    const cJSON *one = cJSON_IsArray(each) ? NULL : each;
    const cJSON *many = cJSON_IsArray(each) ? each : NULL;
    for (i = 0; each && i < n; i++) {
        snprintf(label, sizeof label, "upstream #%d (each)", i);
        const cJSON *rec = cJSON_GetArrayItem(recs, i),
                    *prev = i ? cJSON_GetArrayItem(recs, i - 1) : NULL;
        if (one) check_upstream_entry(one, rec, prev, label, v);
        cJSON_ArrayForEach(want, many) check_upstream_entry(want, rec, prev, label, v);
    }
    double lo = 0, hi = 1e9;
    if (cJSON_IsNumber(count)) {
        lo = hi = count->valuedouble;
    } else if (cJSON_IsObject(count)) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(count, "min");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(count, "max");
        if (cJSON_IsNumber(a)) lo = a->valuedouble;
        if (cJSON_IsNumber(b)) hi = b->valuedouble;
    } else if (count) {
        failf(v, "bad scenario: expect_upstream_count");
    }
    if (n < lo || n > hi) {
        dstr paths = {0};
        const cJSON *rec;
        cJSON_ArrayForEach(rec, recs) {
            const char *q = str_field(rec, "query", NULL);
            dstr_printf(&paths, " %s%s%s", str_field(rec, "path", NULL), q && *q ? "?" : "",
                        q ? q : "");
        }
        failf(v, "%d upstream requests, want %g..%g:%s", n, lo, hi,
              paths.len ? paths.ptr : " none");
        dstr_free(&paths);
    }
}

/* ---- one scenario ---------------------------------------------------------------- */

static int send_request(const runner *rn, const cJSON *req, long timeout_ms, reply *r, verdict *v) {
    static const char *const keys[] = {"method", "path", "query", "headers", "body", NULL};
    const char *path = str_field(req, "path", NULL), *query = str_field(req, "query", NULL);
    const char *method = str_field(req, "method", NULL), *body = str_field(req, "body", NULL);
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(req, "headers");
    if (!cJSON_IsObject(req) || !only_keys(req, keys, "request", v) || !path || path[0] != '/' ||
        (headers && !cJSON_IsObject(headers))) {
        failf(v, "bad scenario: request needs a path starting with '/'");
        return -1;
    }
    dstr url = {0};
    dstr_printf(&url, "%s%s%s%s", rn->gateway, path, query && *query ? "?" : "",
                query ? query : "");
    http(method ? method : "GET", url.ptr, headers, body, timeout_ms, r);
    dstr_free(&url);
    return 0;
}

static void show_context(const reply *r, const cJSON *recs) {
    printf("     response: %ld %.300s\n", r->status, r->body.ptr ? r->body.ptr : "");
    const cJSON *rec;
    cJSON_ArrayForEach(rec, recs) {
        const char *q = str_field(rec, "query", NULL);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "t_ms");
        printf("     upstream: t=%.0f %s %s%s%s\n", cJSON_IsNumber(t) ? t->valuedouble : -1.0,
               str_field(rec, "method", NULL), str_field(rec, "path", NULL), q && *q ? "?" : "",
               q ? q : "");
    }
}

/* Returns 1 when the scenario passed (xfail: failed as expected). */
static int run_one(const runner *rn, const char *file) {
    static const char *const keys[] = {"name",
                                       "description",
                                       "request",
                                       "script",
                                       "expect",
                                       "expect_upstream",
                                       "expect_upstream_each",
                                       "expect_upstream_count",
                                       "pause_after_ms",
                                       "timeout_ms",
                                       "xfail",
                                       NULL};
    verdict v = {0};
    cJSON *sc = NULL, *recs = NULL;
    reply r = {0};
    dstr text = {0};
    FILE *f = fopen(file, "rb");
    if (f) {
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) dstr_append(&text, buf, n);
        fclose(f);
        sc = cJSON_ParseWithLength(text.ptr ? text.ptr : "", text.len);
    }
    const char *name = str_field(sc, "name", NULL);
    const cJSON *xfail = cJSON_GetObjectItemCaseSensitive(sc, "xfail");
    const cJSON *pause = cJSON_GetObjectItemCaseSensitive(sc, "pause_after_ms");
    const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(sc, "timeout_ms");
    const cJSON *script = cJSON_GetObjectItemCaseSensitive(sc, "script");
    if (!f) failf(&v, "cannot read: %s", strerror(errno));
    else if (!cJSON_IsObject(sc)) failf(&v, "bad scenario: not a JSON object");
    else if (!name || !only_keys(sc, keys, "scenario", &v) || (script && !cJSON_IsArray(script)) ||
             !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(sc, "expect")))
        failf(&v, "bad scenario: needs name, request, expect (object), script (array) if any");
    if (v.failures) goto report;

    char *script_text = script ? cJSON_PrintUnformatted(script) : NULL;
    int ready =
        fake_call(rn, "POST", "/__fake/reset", "", NULL, &v) == 0 &&
        fake_call(rn, "POST", "/__fake/script", script_text ? script_text : "[]", NULL, &v) == 0;
    cJSON_free(script_text);
    if (!ready) goto report;
    long tmo = cJSON_IsNumber(timeout) ? (long)timeout->valuedouble : rn->timeout_ms;
    if (send_request(rn, cJSON_GetObjectItemCaseSensitive(sc, "request"), tmo, &r, &v)) goto report;
    if (fake_call(rn, "GET", "/__fake/requests", NULL, &recs, &v)) goto report;
    check_response(cJSON_GetObjectItemCaseSensitive(sc, "expect"), &r, &v);
    check_upstream(sc, recs, &v);
    for (size_t i = 0; i < rn->n_forbid; i++)
        if (strstr(dstr_cstr(&r.body), rn->forbid[i]) ||
            strstr(dstr_cstr(&r.headers), rn->forbid[i]))
            failf(&v, "the answer carries the forbidden string '%s'", rn->forbid[i]);

report:;
    int passed = v.failures == 0;
    if (xfail) {
        if (passed) printf("FAIL %s: %s: passed, but is marked xfail\n", file, name ? name : "?");
        else printf("ok   %s: %s (failed as expected: %s)\n", file, name ? name : "?", v.why.ptr);
        passed = !passed;
    } else if (passed) {
        printf("ok   %s: %s\n", file, name);
    } else {
        printf("FAIL %s: %s: %s\n", file, name ? name : "?", v.why.ptr);
    }
    if ((!passed || rn->verbose) && (r.status || recs)) show_context(&r, recs);
    fflush(stdout);
    if (cJSON_IsNumber(pause) && pause->valuedouble > 0 && pause->valuedouble <= 600000)
        sleep_ms((long)pause->valuedouble);
    reply_free(&r);
    cJSON_Delete(recs);
    cJSON_Delete(sc);
    dstr_free(&text);
    dstr_free(&v.why);
    return passed;
}

/* ---- command line ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(char ***files, size_t *n, const char *path) {
    char **grown = realloc(*files, (*n + 1) * sizeof *grown);
    if (!grown) abort();
    *files = grown;
    grown[*n] = strdup(path);
    if (!grown[*n]) abort();
    (*n)++;
}

/* A directory contributes its *.json files in name order. */
static int collect(const char *arg, char ***files, size_t *n) {
    DIR *d = opendir(arg);
    if (!d) {
        if (errno != ENOTDIR) {
            fprintf(stderr, "run_scenarios: %s: %s\n", arg, strerror(errno));
            return -1;
        }
        add_path(files, n, arg);
        return 0;
    }
    size_t start = *n;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        dstr p = {0};
        dstr_printf(&p, "%s/%s", arg, e->d_name);
        add_path(files, n, p.ptr);
        dstr_free(&p);
    }
    closedir(d);
    qsort(*files + start, *n - start, sizeof **files, cmp_str);
    return 0;
}

static void usage(FILE *to) {
    fprintf(to,
            "usage: run_scenarios --gateway URL --fake URL [--timeout-ms N] [--forbid STRING]... "
            "[-v] FILE_OR_DIR...\n");
}

int main(int argc, char **argv) {
    runner rn = {.timeout_ms = 30000};
    char **files = NULL;
    size_t n_files = 0;
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-v") == 0) rn.verbose = 1;
        else if (strcmp(a, "--gateway") == 0 && i + 1 < argc) rn.gateway = argv[++i];
        else if (strcmp(a, "--fake") == 0 && i + 1 < argc) rn.fake = argv[++i];
        else if (strcmp(a, "--timeout-ms") == 0 && i + 1 < argc)
            rn.timeout_ms = strtol(argv[++i], NULL, 10);
        else if (strcmp(a, "--forbid") == 0 && i + 1 < argc && argv[i + 1][0] &&
                 rn.n_forbid < sizeof rn.forbid / sizeof *rn.forbid)
            rn.forbid[rn.n_forbid++] = argv[++i];
        else if (a[0] == '-') bad = 1;
        else bad = collect(a, &files, &n_files) != 0;
    }
    if (bad || !rn.gateway || !rn.fake || n_files == 0 || rn.timeout_ms <= 0) {
        usage(stderr);
        for (size_t i = 0; i < n_files; i++) free(files[i]);
        free(files);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n_files; i++) {
        if (run_one(&rn, files[i])) passed++;
        else failed++;
        free(files[i]);
    }
    free(files);
    curl_global_cleanup();
    printf("scenarios: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
