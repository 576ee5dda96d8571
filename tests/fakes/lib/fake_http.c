/* fake_http: libmicrohttpd server with a fault script and a request record. */
#include "fake_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <microhttpd.h>

#define CONTROL_PREFIX "/__fake/"

typedef enum answer_kind { ANSWER_FIXED, ANSWER_REPLAY, ANSWER_CLOSE } answer_kind;

typedef struct answer {
    answer_kind kind;
    int status; /* ANSWER_FIXED */
    char *body; /* ANSWER_FIXED; NUL-terminated, may be "" */
    size_t body_len;
    fake_kv *headers; /* set on the answer, replacing the replay's own */
    size_t n_headers;
    long delay_ms;
    int truncate; /* declare the full Content-Length, send half, close */
    int apply;    /* run hooks.serve first (its effect lands), then answer as scripted */
} answer;

typedef struct step {
    char *method; /* NULL: any */
    char *path;
    fake_kv *params; /* each must be present with this exact value */
    size_t n_params;
    answer ans;
    int used;
} step;

typedef struct record {
    char *method, *path, *query, *body;
    size_t body_len;
    fake_kv *params, *headers;
    size_t n_params, n_headers;
    int64_t arrival_ms; /* monotonic */
    long step;          /* index of the script step that answered, -1 for replay */
} record;

struct fake_http {
    struct MHD_Daemon *daemon;
    fake_http_hooks hooks;
    uint16_t port;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* broadcast on stop, ends scripted delays */
    int stopping;
    step *steps;
    size_t n_steps;
    record **records;
    size_t n_records;
    int64_t epoch_ms; /* monotonic; t_ms counts from the last script load or reset */
};

/* Per request (MHD's req_cls): raw URI, arrival time and body. */
typedef struct conn_req {
    char *uri;
    int started;
    int64_t arrival_ms;
    dstr body;
    int too_large;
} conn_req;

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *xmemdup(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (!p) abort();
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void fake_kv_push(fake_kv **list, size_t *n, const char *name, const char *value) {
    fake_kv *grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) abort();
    *list = grown;
    grown[*n].name = xstrdup(name);
    grown[*n].value = xstrdup(value);
    (*n)++;
}

static void kv_free(fake_kv *list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(list[i].name);
        free(list[i].value);
    }
    free(list);
}

void fake_kv_free(fake_kv *list, size_t n) { kv_free(list, n); }

static fake_kv *kv_copy(const fake_kv *list, size_t n) {
    fake_kv *out = NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) fake_kv_push(&out, &k, list[i].name, list[i].value);
    return out;
}

static const char *kv_get(const fake_kv *list, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].name, name) == 0) return list[i].value;
    return NULL;
}

const char *fake_request_param(const fake_request *r, const char *name) {
    return kv_get(r->params, r->n_params, name);
}

const char *fake_request_header(const fake_request *r, const char *lower_name) {
    return kv_get(r->headers, r->n_headers, lower_name);
}

void fake_reply_verror(fake_reply *r, int status, const char *head, const char *fmt, va_list ap) {
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    r->status = status;
    dstr_clear(&r->body);
    dstr_puts(&r->body, head);
    dstr_json_str(&r->body, msg);
    dstr_putc(&r->body, '}');
}

int fake_reply_has_header(const fake_reply *r, const char *name) {
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return 1;
    return 0;
}

void fake_reply_header(fake_reply *r, const char *name, const char *value, int replace) {
    for (size_t i = 0; i < r->n_headers; i++) {
        if (strcasecmp(r->headers[i].name, name) != 0) continue;
        if (replace) {
            free(r->headers[i].value);
            r->headers[i].value = xstrdup(value);
        }
        return;
    }
    fake_kv_push(&r->headers, &r->n_headers, name, value);
}

static void reply_free(fake_reply *r) {
    dstr_free(&r->body);
    kv_free(r->headers, r->n_headers);
    memset(r, 0, sizeof *r);
}

/* ---- query and header parsing ------------------------------------------- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Form-style decoding: %XX (kept literally when malformed) and '+' = space. */
static char *url_decode(const char *s, size_t n) {
    char *out = malloc(n + 1);
    if (!out) abort();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[k++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

void fake_parse_form(const char *q, size_t n_q, fake_kv **params, size_t *n) {
    const char *end = q + n_q;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        size_t len = amp ? (size_t)(amp - q) : (size_t)(end - q);
        if (len) {
            const char *eq = memchr(q, '=', len);
            size_t klen = eq ? (size_t)(eq - q) : len;
            char *k = url_decode(q, klen);
            char *v = eq ? url_decode(eq + 1, len - klen - 1) : xstrdup("");
            fake_kv_push(params, n, k, v);
            free(k);
            free(v);
        }
        q += len + (amp ? 1 : 0);
    }
}

typedef struct header_acc {
    fake_kv *list;
    size_t n;
} header_acc;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
    (void)kind;
    header_acc *acc = cls;
    char *name = xstrdup(key);
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    for (size_t i = 0; i < acc->n; i++) {
        if (strcmp(acc->list[i].name, name) != 0) continue;
        dstr joined = {0};
        dstr_printf(&joined, "%s, %s", acc->list[i].value, value ? value : "");
        free(acc->list[i].value);
        acc->list[i].value = dstr_take(&joined);
        free(name);
        return MHD_YES;
    }
    fake_kv_push(&acc->list, &acc->n, name, value);
    free(name);
    return MHD_YES;
}

/* ---- script ---------------------------------------------------------------- */

static void answer_free(answer *a) {
    free(a->body);
    kv_free(a->headers, a->n_headers);
    memset(a, 0, sizeof *a);
}

static void answer_copy(answer *dst, const answer *src) {
    *dst = *src;
    dst->body = src->body ? xmemdup(src->body, src->body_len) : NULL;
    dst->headers = kv_copy(src->headers, src->n_headers);
}

static void steps_free(step *steps, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(steps[i].method);
        free(steps[i].path);
        kv_free(steps[i].params, steps[i].n_params);
        answer_free(&steps[i].ans);
    }
    free(steps);
}

static int only_keys(const cJSON *obj, const char *const *allowed, const char *what, dstr *err) {
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) ok |= strcmp(it->string, *a) == 0;
        if (!ok) {
            dstr_printf(err, "%s: unknown key \"%s\"", what, it->string);
            return -1;
        }
    }
    return 0;
}

static int string_map(const cJSON *obj, fake_kv **list, size_t *n, const char *what, dstr *err) {
    if (!obj) return 0;
    if (!cJSON_IsObject(obj)) {
        dstr_printf(err, "%s must be an object of strings", what);
        return -1;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        if (!cJSON_IsString(it)) {
            dstr_printf(err, "%s.%s must be a string", what, it->string);
            return -1;
        }
        fake_kv_push(list, n, it->string, it->valuestring);
    }
    return 0;
}

static int parse_match(const cJSON *m, step *s, dstr *err) {
    static const char *const keys[] = {"method", "path", "params", NULL};
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(m, "method");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(m, "path");
    if (!cJSON_IsObject(m) || only_keys(m, keys, "match", err)) {
        if (!err->len) dstr_puts(err, "match must be an object");
        return -1;
    }
    if (!cJSON_IsString(path) || path->valuestring[0] != '/') {
        dstr_puts(err, "match.path must be a string starting with '/'");
        return -1;
    }
    if (method && !cJSON_IsString(method)) {
        dstr_puts(err, "match.method must be a string");
        return -1;
    }
    s->path = xstrdup(path->valuestring);
    s->method = method ? xstrdup(method->valuestring) : NULL;
    return string_map(cJSON_GetObjectItemCaseSensitive(m, "params"), &s->params, &s->n_params,
                      "match.params", err);
}

static int flag(const cJSON *a, const char *name, int *out, dstr *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, name);
    *out = 0;
    if (!v) return 0;
    if (!cJSON_IsBool(v)) {
        dstr_printf(err, "answer.%s must be true or false", name);
        return -1;
    }
    *out = cJSON_IsTrue(v);
    return 0;
}

static int parse_answer(const cJSON *a, answer *ans, dstr *err) {
    static const char *const keys[] = {"status",   "headers",  "body",  "json",  "replay",
                                       "delay_ms", "truncate", "close", "apply", NULL};
    if (!cJSON_IsObject(a)) {
        dstr_puts(err, "answer must be an object");
        return -1;
    }
    int replay, close_conn;
    if (only_keys(a, keys, "answer", err) || flag(a, "replay", &replay, err) ||
        flag(a, "close", &close_conn, err) || flag(a, "truncate", &ans->truncate, err) ||
        flag(a, "apply", &ans->apply, err))
        return -1;
    if (ans->apply && replay) {
        dstr_puts(err, "answer: apply goes with status, truncate or close (replay applies anyway)");
        return -1;
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(a, "status");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(a, "body");
    const cJSON *json = cJSON_GetObjectItemCaseSensitive(a, "json");
    const cJSON *delay = cJSON_GetObjectItemCaseSensitive(a, "delay_ms");
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(a, "headers");
    if (delay) {
        if (!cJSON_IsNumber(delay) || delay->valuedouble < 0 ||
            delay->valuedouble > (double)FAKE_HTTP_MAX_DELAY_MS ||
            delay->valuedouble != (double)(long)delay->valuedouble) {
            dstr_printf(err, "answer.delay_ms must be an integer in 0..%ld",
                        FAKE_HTTP_MAX_DELAY_MS);
            return -1;
        }
        ans->delay_ms = (long)delay->valuedouble;
    }
    if (body && json) {
        dstr_puts(err, "answer: give body or json, not both");
        return -1;
    }
    if (body && !cJSON_IsString(body)) {
        dstr_puts(err, "answer.body must be a string (use json for a JSON value)");
        return -1;
    }
    if (close_conn) {
        if (status || body || json || replay || ans->truncate || headers) {
            dstr_puts(err, "answer: close takes only delay_ms and apply");
            return -1;
        }
        ans->kind = ANSWER_CLOSE;
        return 0;
    }
    if (status) {
        if (replay || !cJSON_IsNumber(status) || status->valuedouble < 100 ||
            status->valuedouble > 599 || status->valuedouble != (double)(int)status->valuedouble) {
            dstr_puts(err, "answer.status must be an integer in 100..599 (and not with replay)");
            return -1;
        }
        ans->kind = ANSWER_FIXED;
        ans->status = (int)status->valuedouble;
        if (json) {
            char *text = cJSON_PrintUnformatted(json);
            if (!text) abort();
            ans->body = xstrdup(text);
            cJSON_free(text);
        } else {
            ans->body = xstrdup(body ? body->valuestring : "");
        }
        ans->body_len = strlen(ans->body);
    } else if (replay || ans->truncate) {
        if (body || json) {
            dstr_puts(err, "answer: body/json need a status");
            return -1;
        }
        ans->kind = ANSWER_REPLAY;
    } else {
        dstr_puts(err, "answer needs one of status, replay, truncate or close");
        return -1;
    }
    return string_map(headers, &ans->headers, &ans->n_headers, "answer.headers", err);
}

/* Parses a script; returns the step count or -1 with err set. */
static long parse_script(const char *text, size_t len, step **out, dstr *err) {
    cJSON *root = cJSON_ParseWithLength(text, len);
    *out = NULL;
    if (!cJSON_IsArray(root)) {
        dstr_puts(err, "script must be a JSON array of steps");
        cJSON_Delete(root);
        return -1;
    }
    size_t n = (size_t)cJSON_GetArraySize(root), i = 0;
    step *steps = calloc(n + 1, sizeof *steps);
    if (!steps) abort();
    static const char *const keys[] = {"match", "answer", NULL};
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        dstr why = {0};
        if (!cJSON_IsObject(it) || only_keys(it, keys, "step", &why) ||
            parse_match(cJSON_GetObjectItemCaseSensitive(it, "match"), &steps[i], &why) ||
            parse_answer(cJSON_GetObjectItemCaseSensitive(it, "answer"), &steps[i].ans, &why)) {
            dstr_printf(err, "step %zu: %s", i, why.len ? why.ptr : "must be an object");
            dstr_free(&why);
            steps_free(steps, i + 1);
            cJSON_Delete(root);
            return -1;
        }
        i++;
    }
    cJSON_Delete(root);
    *out = steps;
    return (long)n;
}

/* A parameter of the query or else of the body (a signed POST sends its
 * parameters as a form body); NULL when neither has it. */
static int param_is(const fake_request *r, const char *name, const char *want) {
    const char *v = fake_request_param(r, name);
    if (v) return strcmp(v, want) == 0;
    if (!r->body || !r->body_len) return 0;
    fake_kv *body = NULL;
    size_t n = 0;
    fake_parse_form(r->body, r->body_len, &body, &n);
    v = kv_get(body, n, name);
    int same = v && strcmp(v, want) == 0;
    fake_kv_free(body, n);
    return same;
}

static int step_matches(const step *s, const fake_request *r) {
    if (s->used || strcmp(s->path, r->path) != 0) return 0;
    if (s->method && strcmp(s->method, r->method) != 0) return 0;
    for (size_t i = 0; i < s->n_params; i++)
        if (!param_is(r, s->params[i].name, s->params[i].value)) return 0;
    return 1;
}

/* ---- records ---------------------------------------------------------------- */

static void record_free(record *r) {
    free(r->method);
    free(r->path);
    free(r->query);
    free(r->body);
    kv_free(r->params, r->n_params);
    kv_free(r->headers, r->n_headers);
    free(r);
}

static void records_clear(fake_http *f) {
    for (size_t i = 0; i < f->n_records; i++) record_free(f->records[i]);
    free(f->records);
    f->records = NULL;
    f->n_records = 0;
}

/* Keeps records in arrival order; the oldest goes when the cap is reached. Locked. */
static void record_push(fake_http *f, record *r) {
    if (f->n_records == FAKE_HTTP_MAX_RECORDS) {
        record_free(f->records[0]);
        memmove(f->records, f->records + 1, (f->n_records - 1) * sizeof *f->records);
        f->n_records--;
    }
    record **grown = realloc(f->records, (f->n_records + 1) * sizeof *grown);
    if (!grown) abort();
    f->records = grown;
    size_t at = f->n_records;
    while (at > 0 && f->records[at - 1]->arrival_ms > r->arrival_ms) at--;
    memmove(f->records + at + 1, f->records + at, (f->n_records - at) * sizeof *f->records);
    f->records[at] = r;
    f->n_records++;
}

static void kv_object_json(dstr *out, const fake_kv *list, size_t n) {
    dstr_putc(out, '{');
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (kv_get(list, i, list[i].name)) continue; /* first value wins */
        if (!first) dstr_putc(out, ',');
        first = 0;
        dstr_json_str(out, list[i].name);
        dstr_putc(out, ':');
        dstr_json_str(out, list[i].value);
    }
    dstr_putc(out, '}');
}

static void records_json(const fake_http *f, dstr *out) {
    dstr_putc(out, '[');
    for (size_t i = 0; i < f->n_records; i++) {
        const record *r = f->records[i];
        if (i) dstr_putc(out, ',');
        dstr_puts(out, "{\"method\":");
        dstr_json_str(out, r->method);
        dstr_puts(out, ",\"path\":");
        dstr_json_str(out, r->path);
        dstr_puts(out, ",\"query\":");
        dstr_json_str(out, r->query);
        dstr_puts(out, ",\"params\":");
        kv_object_json(out, r->params, r->n_params);
        dstr_puts(out, ",\"headers\":");
        kv_object_json(out, r->headers, r->n_headers);
        dstr_puts(out, ",\"body\":");
        dstr_json_strn(out, r->body, r->body_len);
        dstr_printf(out, ",\"t_ms\":%lld,\"step\":", (long long)(r->arrival_ms - f->epoch_ms));
        if (r->step < 0) dstr_puts(out, "null");
        else dstr_printf(out, "%ld", r->step);
        dstr_putc(out, '}');
    }
    dstr_putc(out, ']');
}

/* ---- answering ----------------------------------------------------------------- */

static void wait_ms(fake_http *f, long ms) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->lock);
    while (!f->stopping && pthread_cond_timedwait(&f->wake, &f->lock, &until) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&f->lock);
}

/* Truncated answers: the reader serves the first half, then fails, so MHD
 * closes the connection after having announced the full Content-Length. */
typedef struct half_body {
    char *data;
    size_t len, cut;
} half_body;

static ssize_t half_reader(void *cls, uint64_t pos, char *buf, size_t max) {
    half_body *h = cls;
    if (pos >= h->cut) return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = h->cut - (size_t)pos;
    if (n > max) n = max;
    memcpy(buf, h->data + pos, n);
    return (ssize_t)n;
}

static void half_free(void *cls) {
    half_body *h = cls;
    free(h->data);
    free(h);
}

static enum MHD_Result queue_reply(struct MHD_Connection *conn, fake_reply *rep, int truncate) {
    struct MHD_Response *resp;
    if (truncate) {
        half_body *h = malloc(sizeof *h);
        if (!h) abort();
        h->len = rep->body.len;
        h->cut = rep->body.len / 2;
        h->data = xmemdup(rep->body.ptr ? rep->body.ptr : "", rep->body.len);
        resp = MHD_create_response_from_callback(h->len, 4096, half_reader, h, half_free);
    } else {
        resp = MHD_create_response_from_buffer(
            rep->body.len, rep->body.ptr ? rep->body.ptr : (void *)"", MHD_RESPMEM_MUST_COPY);
    }
    if (!resp) return MHD_NO;
    if (!fake_reply_has_header(rep, "Content-Type"))
        fake_reply_header(rep, "Content-Type", "application/json", 0);
    for (size_t i = 0; i < rep->n_headers; i++)
        MHD_add_response_header(resp, rep->headers[i].name, rep->headers[i].value);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)rep->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, int status, const char *json) {
    fake_reply rep = {.status = status};
    dstr_puts(&rep.body, json);
    enum MHD_Result rc = queue_reply(conn, &rep, 0);
    reply_free(&rep);
    return rc;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, int status, const char *msg) {
    dstr body = {0};
    dstr_puts(&body, "{\"error\":");
    dstr_json_str(&body, msg);
    dstr_putc(&body, '}');
    enum MHD_Result rc = reply_text(conn, status, body.ptr);
    dstr_free(&body);
    return rc;
}

static enum MHD_Result control(fake_http *f, struct MHD_Connection *conn, const fake_request *req) {
    const char *what = req->path + strlen(CONTROL_PREFIX);
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    dstr body = {0};
    enum MHD_Result rc;
    if (post && strcmp(what, "script") == 0) {
        step *steps;
        long n = parse_script(req->body, req->body_len, &steps, &body);
        if (n < 0) {
            rc = reply_error(conn, 400, body.ptr);
            dstr_free(&body);
            return rc;
        }
        pthread_mutex_lock(&f->lock);
        steps_free(f->steps, f->n_steps);
        f->steps = steps;
        f->n_steps = (size_t)n;
        f->epoch_ms = mono_ms();
        pthread_mutex_unlock(&f->lock);
        dstr_printf(&body, "{\"steps\":%ld}", n);
    } else if (get && strcmp(what, "script") == 0) {
        pthread_mutex_lock(&f->lock);
        size_t pending = 0;
        for (size_t i = 0; i < f->n_steps; i++) pending += !f->steps[i].used;
        dstr_printf(&body, "{\"steps\":%zu,\"pending\":%zu}", f->n_steps, pending);
        pthread_mutex_unlock(&f->lock);
    } else if (post && strcmp(what, "reset") == 0) {
        pthread_mutex_lock(&f->lock);
        steps_free(f->steps, f->n_steps);
        f->steps = NULL;
        f->n_steps = 0;
        records_clear(f);
        f->epoch_ms = mono_ms();
        pthread_mutex_unlock(&f->lock);
        if (f->hooks.reset) f->hooks.reset(f->hooks.ctx);
        dstr_puts(&body, "{}");
    } else if (get && strcmp(what, "requests") == 0) {
        pthread_mutex_lock(&f->lock);
        records_json(f, &body);
        pthread_mutex_unlock(&f->lock);
    } else {
        fake_reply rep = {.status = 200};
        if (!f->hooks.control || !f->hooks.control(f->hooks.ctx, req, &rep)) {
            reply_free(&rep);
            return reply_error(conn, 404, "unknown control request (see tests/fakes/README.md)");
        }
        rc = queue_reply(conn, &rep, 0);
        reply_free(&rep);
        return rc;
    }
    rc = reply_text(conn, 200, body.ptr);
    dstr_free(&body);
    return rc;
}

/* Records the request and takes the script step that answers it, if any. */
static long record_and_match(fake_http *f, const fake_request *req, int64_t arrival, answer *ans) {
    record *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->method = xstrdup(req->method);
    r->path = xstrdup(req->path);
    r->query = xstrdup(req->query);
    r->body = xmemdup(req->body, req->body_len);
    r->body_len = req->body_len;
    r->params = kv_copy(req->params, req->n_params);
    r->n_params = req->n_params;
    r->headers = kv_copy(req->headers, req->n_headers);
    r->n_headers = req->n_headers;
    r->step = -1;
    r->arrival_ms = arrival;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->n_steps; i++) {
        if (!step_matches(&f->steps[i], req)) continue;
        f->steps[i].used = 1;
        answer_copy(ans, &f->steps[i].ans);
        r->step = (long)i;
        break;
    }
    long step_index = r->step;
    record_push(f, r);
    pthread_mutex_unlock(&f->lock);
    return step_index;
}

static enum MHD_Result upstream(fake_http *f, struct MHD_Connection *conn, const fake_request *req,
                                int64_t arrival) {
    answer ans = {.kind = ANSWER_REPLAY};
    long step_index = record_and_match(f, req, arrival, &ans);
    if (ans.apply && ans.kind != ANSWER_REPLAY) { /* the request lands; its answer is lost */
        fake_reply landed = {.status = 200};
        f->hooks.serve(f->hooks.ctx, req, &landed);
        reply_free(&landed);
    }
    if (ans.delay_ms > 0) wait_ms(f, ans.delay_ms);
    if (step_index >= 0 && ans.kind == ANSWER_CLOSE) {
        answer_free(&ans);
        return MHD_NO; /* MHD drops the connection without an answer */
    }
    fake_reply rep = {.status = 200};
    if (ans.kind == ANSWER_REPLAY) {
        f->hooks.serve(f->hooks.ctx, req, &rep);
    } else {
        rep.status = ans.status;
        dstr_append(&rep.body, ans.body, ans.body_len);
    }
    for (size_t i = 0; i < ans.n_headers; i++)
        fake_reply_header(&rep, ans.headers[i].name, ans.headers[i].value, 1);
    if (f->hooks.decorate) f->hooks.decorate(f->hooks.ctx, req, &rep);
    enum MHD_Result rc = queue_reply(conn, &rep, ans.truncate);
    reply_free(&rep);
    answer_free(&ans);
    return rc;
}

static enum MHD_Result dispatch(fake_http *f, struct MHD_Connection *conn, const char *method,
                                conn_req *cr) {
    const char *qmark = strchr(cr->uri, '?');
    char *path = qmark ? xmemdup(cr->uri, (size_t)(qmark - cr->uri)) : xstrdup(cr->uri);
    const char *query = qmark ? qmark + 1 : "";
    header_acc hdr = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &hdr);
    fake_kv *params = NULL;
    size_t n_params = 0;
    fake_parse_form(query, strlen(query), &params, &n_params);
    dstr_append(&cr->body, "", 0); /* allocates and NUL-terminates */
    fake_request req = {
        .method = method,
        .path = path,
        .query = query,
        .params = params,
        .n_params = n_params,
        .headers = hdr.list,
        .n_headers = hdr.n,
        .body = cr->body.ptr,
        .body_len = cr->body.len,
    };
    enum MHD_Result rc;
    if (cr->too_large) rc = reply_error(conn, 413, "request body too large");
    else if (strncmp(path, CONTROL_PREFIX, strlen(CONTROL_PREFIX)) == 0)
        rc = control(f, conn, &req);
    else rc = upstream(f, conn, &req, cr->arrival_ms);
    kv_free(params, n_params);
    kv_free(hdr.list, hdr.n);
    free(path);
    return rc;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    (void)cls;
    (void)conn;
    conn_req *cr = calloc(1, sizeof *cr);
    if (!cr) abort();
    cr->uri = xstrdup(uri);
    return cr;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls) {
    (void)version;
    fake_http *f = cls;
    conn_req *cr = *req_cls;
    if (!cr) *req_cls = cr = on_uri(NULL, url, conn);
    if (!cr->started) {
        cr->started = 1;
        cr->arrival_ms = mono_ms();
        return MHD_YES;
    }
    if (*upload_size) {
        if (cr->body.len + *upload_size > FAKE_HTTP_MAX_BODY) cr->too_large = 1;
        else dstr_append(&cr->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(f, conn, method, cr);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    conn_req *cr = *req_cls;
    if (!cr) return;
    free(cr->uri);
    dstr_free(&cr->body);
    free(cr);
    *req_cls = NULL;
}

fake_http *fake_http_start(uint16_t port, const fake_http_hooks *hooks, dstr *err) {
    fake_http *f = calloc(1, sizeof *f);
    if (!f) abort();
    f->hooks = *hooks;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&f->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&f->lock, NULL);
    f->epoch_ms = mono_ms();

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, port, NULL,
        NULL, on_request, f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, f, MHD_OPTION_NOTIFY_COMPLETED, on_completed, f,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
        MHD_OPTION_END);
    if (!f->daemon) {
        dstr_printf(err, "cannot listen on 127.0.0.1:%u (port in use?)", (unsigned)port);
        fake_http_stop(f);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->daemon, MHD_DAEMON_INFO_BIND_PORT);
    f->port = info ? info->port : port;
    return f;
}

uint16_t fake_http_port(const fake_http *f) { return f->port; }

void fake_http_stop(fake_http *f) {
    if (!f) return;
    pthread_mutex_lock(&f->lock);
    f->stopping = 1;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
    if (f->daemon) MHD_stop_daemon(f->daemon);
    steps_free(f->steps, f->n_steps);
    records_clear(f);
    pthread_cond_destroy(&f->wake);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* ---- what every fake program's main does ------------------------------------------- */

int fake_write_port_file(const char *prog, const char *path, unsigned port) {
    dstr tmp = {0};
    dstr_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp.ptr, "w");
    int ok = f && fprintf(f, "%u\n", port) > 0;
    if (f && fclose(f) != 0) ok = 0;
    if (ok && rename(tmp.ptr, path) != 0) ok = 0;
    if (!ok) {
        fprintf(stderr, "%s: cannot write %s: %s\n", prog, path, strerror(errno));
        unlink(tmp.ptr);
    }
    dstr_free(&tmp);
    return ok ? 0 : -1;
}
