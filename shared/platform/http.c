/* http: batched libcurl client with per-request retries (see http.h). */
#include "platform/http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "platform/log.h"
#include "platform/clock.h"
#include "platform/secret.h"

#define POOL_MAX 16          /* idle easy handles kept for reuse */
#define MAX_CONNECTS 32      /* idle connections the multi keeps alive */
#define MAX_POLL_MS 1000     /* re-check the clock at least this often */
#define SAFETY_SLACK_MS 2000 /* curl's own timeout should have fired by then */
#define MAX_RETRY_AFTER_S (30L * 24 * 3600)
#define MAX_BUDGET_MS (7LL * 24 * 3600 * 1000) /* keeps deadline arithmetic far from overflow */

typedef struct http_ban {
    char *key;        /* scheme://host:port */
    int64_t until_ms; /* unix epoch */
} http_ban;

struct http_client {
    CURLM *multi;
    CURLSH *share;
    CURL *pool[POOL_MAX];
    size_t n_pool;
    char *ca_path;
    char *ca_file;
    size_t max_body;
    http_ban *bans;
    size_t n_bans;
    uint64_t rng;
};

typedef enum { REQ_WAITING, REQ_RUNNING, REQ_DONE } req_state;

struct http_req_priv {
    struct curl_slist *headers;
    const char *invalid; /* why the request cannot be sent, or NULL */
    int expect_removed;  /* "Expect:" already in headers */

    /* per run */
    req_state state;
    CURL *easy;
    char *host;  /* lowercased, for logs */
    char *path;  /* without the query, for logs */
    char *query; /* to scrub from error messages, or NULL */
    char *ban_key;
    int64_t first_at; /* monotonic ms of the first attempt, -1 before */
    int64_t next_at;  /* monotonic ms the next attempt is due */
    int capped;       /* this attempt's timeout was cut by the deadline */
    int too_large;
    size_t max_body;
    char curl_err[CURL_ERROR_SIZE];
};

static const http_policy default_policy = {
    .service = "http", .timeout_ms = HTTP_DEFAULT_TIMEOUT_MS, .retries = 0, .backoff_ms = 0};

/* ---- small helpers ------------------------------------------------------ */

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) abort(); /* same policy as dstr: a half-built request is worse */
    return q;
}

static void lowercase(char *s) {
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

static struct curl_slist *slist_add(struct curl_slist *l, const char *line) {
    struct curl_slist *n = curl_slist_append(l, line);
    if (!n) abort();
    return n;
}

static uint64_t rng_next(http_client *c) {
    uint64_t x = c->rng; /* xorshift64*: jitter needs spread, not secrecy */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 2685821657736338717ULL;
}

const char *http_err_name(http_err e) {
    switch (e) {
    case HTTP_OK: return "ok";
    case HTTP_ERR_TIMEOUT: return "timeout";
    case HTTP_ERR_CONNECT: return "connect";
    case HTTP_ERR_BANNED: return "banned";
    case HTTP_ERR_DEADLINE: return "deadline";
    case HTTP_ERR_TOO_LARGE: return "too_large";
    case HTTP_ERR_TRANSPORT: return "transport";
    case HTTP_ERR_INVALID: return "invalid";
    }
    return "unknown";
}

/* ---- URL helpers -------------------------------------------------------- */

void http_url_encode(dstr *out, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    if (!s) return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            dstr_putc(out, (char)ch);
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            dstr_append(out, esc, sizeof esc);
        }
    }
}

void http_query_add(dstr *url, const char *key, const char *val) {
    const char *u = dstr_cstr(url);
    if (!strchr(u, '?')) dstr_putc(url, '?');
    else if (url->len && u[url->len - 1] != '?' && u[url->len - 1] != '&') dstr_putc(url, '&');
    http_url_encode(url, key);
    dstr_putc(url, '=');
    http_url_encode(url, val);
}

/* ---- client ------------------------------------------------------------- */

/* The CA directory when the caller names none (http.h), or NULL. */
static char *default_ca_dir(void) {
    static const char *const dirs[] = {"/var/task/certs", "/etc/ssl/certs"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        struct stat st;
        if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) return xstrdup(dirs[i]);
    }
    return NULL;
}

http_client *http_client_new(const http_tls *tls) {
    static int curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return NULL;
        curl_ready = 1;
    }
    http_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->multi = curl_multi_init();
    c->share = curl_share_init();
    if (!c->multi || !c->share) {
        http_client_free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)MAX_CONNECTS);
    /* new connections to a host resume its TLS session: one RTT less */
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    if (tls && tls->ca_path) c->ca_path = xstrdup(tls->ca_path);
    if (tls && tls->ca_file) c->ca_file = xstrdup(tls->ca_file);
    if (!c->ca_path && !c->ca_file) c->ca_path = default_ca_dir();
    c->max_body = HTTP_MAX_BODY;
    if (getrandom(&c->rng, sizeof c->rng, GRND_NONBLOCK) != (ssize_t)sizeof c->rng)
        c->rng = (uint64_t)clock_wall_ms() ^ ((uint64_t)getpid() << 32);
    if (!c->rng) c->rng = 0x9E3779B97F4A7C15ULL;
    return c;
}

void http_client_free(http_client *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_pool; i++) {
        curl_easy_setopt(c->pool[i], CURLOPT_SHARE, NULL);
        curl_easy_cleanup(c->pool[i]);
    }
    if (c->multi) curl_multi_cleanup(c->multi);
    if (c->share) curl_share_cleanup(c->share);
    for (size_t i = 0; i < c->n_bans; i++) free(c->bans[i].key);
    free(c->bans);
    free(c->ca_path);
    free(c->ca_file);
    free(c);
}

void http_client_set_max_body(http_client *c, size_t max_body) {
    if (!c) return;
    c->max_body = (max_body == 0 || max_body > HTTP_MAX_BODY) ? HTTP_MAX_BODY : max_body;
}

static CURL *easy_acquire(http_client *c) {
    if (c->n_pool) return c->pool[--c->n_pool];
    return curl_easy_init();
}

static void easy_release(http_client *c, CURL *e) {
    if (!e) return;
    if (c->n_pool < POOL_MAX) {
        curl_easy_reset(e); /* the connection itself stays in the multi's cache */
        c->pool[c->n_pool++] = e;
    } else {
        curl_easy_setopt(e, CURLOPT_SHARE, NULL);
        curl_easy_cleanup(e);
    }
}

/* Returns the ban end (epoch ms) for key, or 0; forgets expired bans. */
static int64_t ban_until(http_client *c, const char *key, int64_t now) {
    for (size_t i = 0; i < c->n_bans; i++) {
        if (strcmp(c->bans[i].key, key) != 0) continue;
        if (c->bans[i].until_ms > now) return c->bans[i].until_ms;
        free(c->bans[i].key);
        c->bans[i] = c->bans[--c->n_bans];
        return 0;
    }
    return 0;
}

static void ban_set(http_client *c, const char *key, int64_t until) {
    for (size_t i = 0; i < c->n_bans; i++) {
        if (strcmp(c->bans[i].key, key) == 0) {
            if (until > c->bans[i].until_ms) c->bans[i].until_ms = until;
            return;
        }
    }
    c->bans = xrealloc(c->bans, (c->n_bans + 1) * sizeof *c->bans);
    c->bans[c->n_bans].key = xstrdup(key);
    c->bans[c->n_bans].until_ms = until;
    c->n_bans++;
}

/* ---- requests ----------------------------------------------------------- */

static int method_valid(const char *m) {
    size_t n = strlen(m);
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (m[i] < 'A' || m[i] > 'Z') return 0;
    return 1;
}

void http_request_init(http_request *r, const char *method, const char *url,
                       const http_policy *policy) {
    memset(r, 0, sizeof *r);
    r->priv = calloc(1, sizeof *r->priv);
    if (!r->priv) abort();
    r->policy = policy;
    if (!method || strlen(method) >= sizeof r->method || !method_valid(method)) {
        r->priv->invalid = "bad method";
    } else {
        memcpy(r->method, method, strlen(method) + 1);
    }
    if (!url || !*url) r->priv->invalid = "empty URL";
    else dstr_puts(&r->url, url);
    r->idempotent = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0 ||
                    strcmp(r->method, "DELETE") == 0;
}

static int header_name_valid(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (*s == ':' || *s <= ' ' || *s == 127) return 0;
    return 1;
}

void http_request_header(http_request *r, const char *name, const char *value) {
    if (!r->priv) return;
    if (!name || !value || !header_name_valid(name) || strpbrk(value, "\r\n")) {
        r->priv->invalid = "bad header";
        return;
    }
    dstr line = {0};
    /* "Name;" is curl's spelling of a header with an empty value */
    if (*value) dstr_printf(&line, "%s: %s", name, value);
    else dstr_printf(&line, "%s;", name);
    r->priv->headers = slist_add(r->priv->headers, line.ptr);
    dstr_free(&line);
}

static void resp_headers_clear(http_request *r) {
    for (size_t i = 0; i < r->n_resp_headers; i++) {
        free(r->resp_headers[i].name);
        free(r->resp_headers[i].value);
    }
    free(r->resp_headers);
    r->resp_headers = NULL;
    r->n_resp_headers = 0;
}

static void target_clear(struct http_req_priv *p) {
    free(p->host);
    free(p->path);
    free(p->query);
    free(p->ban_key);
    p->host = p->path = p->query = p->ban_key = NULL;
}

void http_request_free(http_request *r) {
    if (!r) return;
    if (r->priv) {
        curl_slist_free_all(r->priv->headers);
        target_clear(r->priv);
        free(r->priv);
    }
    dstr_free(&r->url);
    dstr_free(&r->body);
    dstr_free(&r->resp_body);
    resp_headers_clear(r);
    memset(r, 0, sizeof *r);
}

const char *http_response_header(const http_request *r, const char *name) {
    if (!r || !name) return NULL;
    for (size_t i = 0; i < r->n_resp_headers; i++)
        if (strcasecmp(r->resp_headers[i].name, name) == 0) return r->resp_headers[i].value;
    return NULL;
}

static const http_policy *policy_of(const http_request *r) {
    return r->policy ? r->policy : &default_policy;
}

static long timeout_of(const http_request *r) {
    long t = policy_of(r)->timeout_ms;
    return t > 0 ? t : HTTP_DEFAULT_TIMEOUT_MS;
}

/* Splits the URL into what logs, bans and error scrubbing need. Returns an
 * error text, or NULL. */
static const char *target_parse(http_request *r) {
    struct http_req_priv *p = r->priv;
    target_clear(p);
    CURLU *u = curl_url();
    if (!u) return "out of memory";
    const char *err = NULL;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    if (curl_url_set(u, CURLUPART_URL, dstr_cstr(&r->url), 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        err = "malformed URL";
    } else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
        err = "URL scheme is not http or https";
    } else {
        if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query && *query)
            p->query = xstrdup(query);
        p->host = xstrdup(host);
        lowercase(p->host);
        p->path = xstrdup(path);
        dstr key = {0};
        dstr_printf(&key, "%s://%s:%s", scheme, p->host, port);
        lowercase(key.ptr);
        p->ban_key = dstr_take(&key);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    return err;
}

/* Copies msg into r->errmsg with the query string blanked out: curl's
 * messages should never carry it, but the log must not depend on that. */
static void set_errmsg(http_request *r, const char *msg) {
    snprintf(r->errmsg, sizeof r->errmsg, "%s", msg ? msg : "");
    const char *q = r->priv->query;
    if (!q) return;
    size_t ql = strlen(q);
    char *hit;
    while ((hit = strstr(r->errmsg, q)) != NULL) memset(hit, '*', ql);
}

/* Why a due retry was not made. */
typedef enum { STOP_NONE = 0, STOP_DEADLINE, STOP_REFUSED } stop_reason;

/* retry: the attempt will be repeated after delay_ms; stop: a retry was due
 * but would not fit before the deadline, or the policy's hook refused it. */
static void log_attempt(const http_request *r, int retry, int64_t delay_ms, stop_reason stop) {
    const struct http_req_priv *p = r->priv;
    log_level lv = LOG_WARN;
    if (!retry && (r->err != HTTP_OK || r->status >= 500)) lv = LOG_ERROR;
    log_rec *lr = log_begin(lv, "http.attempt");
    /* "service" is the log line's own field (the function); ours is the upstream */
    log_str(lr, "upstream", policy_of(r)->service);
    log_str(lr, "method", r->method);
    log_str(lr, "host", p->host);
    log_str(lr, "path", p->path);
    log_int(lr, "attempt", r->attempts);
    if (r->err == HTTP_OK) {
        log_int(lr, "status", r->status);
    } else {
        log_str(lr, "error", http_err_name(r->err));
        log_str(lr, "message", r->errmsg);
    }
    log_bool(lr, "retry", retry);
    if (retry) log_int(lr, "delay_ms", delay_ms);
    if (stop == STOP_DEADLINE) log_bool(lr, "deadline_cut", 1);
    if (stop == STOP_REFUSED) log_bool(lr, "retry_refused", 1);
    log_end(lr);
}

/* ---- response collection ------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
    http_request *r = ud;
    size_t n = size * nmemb;
    if (n > r->priv->max_body - r->resp_body.len) {
        r->priv->too_large = 1;
        return 0; /* aborts the transfer */
    }
    dstr_append(&r->resp_body, data, n);
    return n;
}

static char *trimmed_copy(const char *s, size_t n) {
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
    http_request *r = ud;
    size_t n = size * nmemb;
    if (n == 0) return 0;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        resp_headers_clear(r); /* a new (final or interim) response starts */
        return n;
    }
    if ((data[0] == ' ' || data[0] == '\t') && r->n_resp_headers) {
        /* obsolete line folding: continues the previous value */
        http_header *h = &r->resp_headers[r->n_resp_headers - 1];
        char *more = trimmed_copy(data, n);
        dstr joined = {0};
        dstr_printf(&joined, "%s %s", h->value, more);
        free(more);
        free(h->value);
        h->value = dstr_take(&joined);
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (!colon || colon == data) return n;
    r->resp_headers = xrealloc(r->resp_headers, (r->n_resp_headers + 1) * sizeof *r->resp_headers);
    http_header *h = &r->resp_headers[r->n_resp_headers++];
    h->name = trimmed_copy(data, (size_t)(colon - data));
    lowercase(h->name);
    h->value = trimmed_copy(colon + 1, n - (size_t)(colon - data) - 1);
    return n;
}

/* Retry-After of the last answer in ms from now, or -1 if absent/unusable. */
static int64_t retry_after_ms(const http_request *r) {
    const char *v = http_response_header(r, "retry-after");
    if (!v || !*v) return -1;
    if (strspn(v, "0123456789") == strlen(v)) {
        long secs = 0;
        for (const char *d = v; *d && secs <= MAX_RETRY_AFTER_S; d++) secs = secs * 10 + (*d - '0');
        if (secs > MAX_RETRY_AFTER_S) secs = MAX_RETRY_AFTER_S;
        return (int64_t)secs * 1000;
    }
    time_t t = curl_getdate(v, NULL);
    if (t < 0) return -1;
    int64_t ms = (int64_t)t * 1000 - clock_wall_ms();
    if (ms < 0) return 0;
    if (ms > (int64_t)MAX_RETRY_AFTER_S * 1000) return (int64_t)MAX_RETRY_AFTER_S * 1000;
    return ms;
}

/* Full jitter: uniform in [0, base * 2^(attempt-1)]. */
static int64_t backoff_ms(http_client *c, const http_request *r) {
    long base = policy_of(r)->backoff_ms;
    if (base <= 0) return 0;
    if (base > 3600000L) base = 3600000L;
    int shift = r->attempts - 1;
    if (shift < 0) shift = 0;
    if (shift > 20) shift = 20;
    uint64_t cap = (uint64_t)base << shift;
    return (int64_t)(rng_next(c) % (cap + 1));
}

/* ---- one attempt -------------------------------------------------------- */

static int sends_body(const http_request *r) {
    return r->body.len > 0 || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0;
}

static void easy_configure(http_client *c, http_request *r, CURL *e, long timeout) {
    struct http_req_priv *p = r->priv;
    curl_easy_setopt(e, CURLOPT_URL, dstr_cstr(&r->url));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, policy_of(r)->fresh_connection ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_path || c->ca_file) {
        /* NULL for the other one drops libcurl's compiled-in default, so a
         * hashed directory never pays for parsing a whole bundle */
        curl_easy_setopt(e, CURLOPT_CAPATH, c->ca_path);
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
    }
    curl_easy_setopt(e, CURLOPT_SHARE, c->share);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "trader-http/1");
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)p->max_body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->curl_err);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);

    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (sends_body(r)) {
        if (!p->expect_removed) {
            /* no 100-continue round trip: the upstreams answer directly */
            p->headers = slist_add(p->headers, "Expect:");
            p->expect_removed = 1;
        }
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body.len ? r->body.ptr : "");
        if (strcmp(r->method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (p->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
}

typedef struct run_ctx {
    http_client *c;
    int64_t deadline; /* monotonic ms */
    size_t active;    /* requests not yet done */
} run_ctx;

static void finish_cut(run_ctx *x, http_request *r, int64_t now, stop_reason stop) {
    struct http_req_priv *p = r->priv;
    p->state = REQ_DONE;
    r->elapsed_ms = p->first_at >= 0 ? now - p->first_at : 0;
    if (r->err != HTTP_OK) r->status = 0;
    if (r->err != HTTP_OK || r->status >= 400) log_attempt(r, 0, 0, stop);
    x->active--;
}

static void finish(run_ctx *x, http_request *r, int64_t now) { finish_cut(x, r, now, STOP_NONE); }

static void outcome_reset(http_request *r) {
    r->err = HTTP_OK;
    r->status = 0;
    r->errmsg[0] = '\0';
    dstr_clear(&r->resp_body);
    resp_headers_clear(r);
}

static void attempt_start(run_ctx *x, http_request *r, int64_t now) {
    struct http_req_priv *p = r->priv;
    int64_t wall = clock_wall_ms();
    int64_t banned = ban_until(x->c, p->ban_key, wall);
    if (banned) {
        outcome_reset(r);
        r->err = HTTP_ERR_BANNED;
        time_t t = (time_t)(banned / 1000);
        struct tm tm;
        char when[32];
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        char msg[200];
        snprintf(msg, sizeof msg, "%s banned us (HTTP 418) until %s", p->ban_key, when);
        set_errmsg(r, msg);
        finish(x, r, now);
        return;
    }
    int64_t remaining = x->deadline - now;
    if (remaining <= 0) {
        if (r->attempts == 0) { /* else the last outcome stands */
            r->err = HTTP_ERR_DEADLINE;
            set_errmsg(r, "deadline passed before the first attempt");
        }
        finish(x, r, now);
        return;
    }
    long timeout = timeout_of(r);
    p->capped = remaining < timeout;
    if (p->capped) timeout = (long)remaining;

    outcome_reset(r);
    p->too_large = 0;
    p->max_body = x->c->max_body;
    p->curl_err[0] = '\0';
    CURL *e = easy_acquire(x->c);
    if (!e) {
        r->err = HTTP_ERR_TRANSPORT;
        set_errmsg(r, "curl_easy_init failed");
        finish(x, r, now);
        return;
    }
    easy_configure(x->c, r, e, timeout);
    if (curl_multi_add_handle(x->c->multi, e) != CURLM_OK) {
        easy_release(x->c, e);
        r->err = HTTP_ERR_TRANSPORT;
        set_errmsg(r, "curl_multi_add_handle failed");
        finish(x, r, now);
        return;
    }
    p->easy = e;
    p->state = REQ_RUNNING;
    if (p->first_at < 0) p->first_at = now;
    r->attempts++;
}

typedef struct outcome {
    http_err err;
    int retryable;
} outcome;

static outcome classify(const http_request *r, CURLcode rc) {
    const struct http_req_priv *p = r->priv;
    if (p->too_large || rc == CURLE_FILESIZE_EXCEEDED) return (outcome){HTTP_ERR_TOO_LARGE, 0};
    switch (rc) {
    case CURLE_OK: return (outcome){HTTP_OK, r->status == 429 || r->status >= 500};
    case CURLE_OPERATION_TIMEDOUT:
        return (outcome){p->capped ? HTTP_ERR_DEADLINE : HTTP_ERR_TIMEOUT, 1};
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR: return (outcome){HTTP_ERR_CONNECT, 1};
    case CURLE_PEER_FAILED_VERIFICATION: /* retrying cannot fix a certificate */
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED: return (outcome){HTTP_ERR_CONNECT, 0};
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR: return (outcome){HTTP_ERR_TRANSPORT, 1};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return (outcome){HTTP_ERR_INVALID, 0};
    default: return (outcome){HTTP_ERR_TRANSPORT, 0};
    }
}

static void attempt_done(run_ctx *x, http_request *r, CURLcode rc) {
    struct http_req_priv *p = r->priv;
    long status = 0;
    curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(x->c->multi, p->easy);
    easy_release(x->c, p->easy);
    p->easy = NULL;
    int64_t now = clock_mono_ms();

    r->status = status;
    /* upstreams echo keys in error texts, which services cut to fixed-size
     * reasons: scrubbed on arrival, no cut can leave a piece of a secret */
    secret_scrub(&r->resp_body);
    outcome o = classify(r, rc);
    r->err = o.err;
    if (o.err == HTTP_ERR_TOO_LARGE) {
        char msg[96];
        snprintf(msg, sizeof msg, "response body over %zu bytes", p->max_body);
        set_errmsg(r, msg);
    } else if (o.err != HTTP_OK) {
        set_errmsg(r, p->curl_err[0] ? p->curl_err : curl_easy_strerror(rc));
    }
    int64_t after = o.err == HTTP_OK ? retry_after_ms(r) : -1;
    if (o.err == HTTP_OK && status == 418)
        ban_set(x->c, p->ban_key, clock_wall_ms() + (after >= 0 ? after : HTTP_DEFAULT_BAN_MS));

    const http_policy *pol = policy_of(r);
    stop_reason stop = STOP_NONE;
    if (o.retryable && r->idempotent && r->attempts <= pol->retries) {
        long asked = pol->retry_delay_ms ? pol->retry_delay_ms(r) : HTTP_RETRY_DEFAULT;
        if (asked == HTTP_NO_RETRY) {
            finish_cut(x, r, now, STOP_REFUSED);
            return;
        }
        int64_t delay = asked >= 0 ? asked : after >= 0 ? after : backoff_ms(x->c, r);
        if (delay > (int64_t)MAX_RETRY_AFTER_S * 1000) delay = (int64_t)MAX_RETRY_AFTER_S * 1000;
        long useful = timeout_of(r) < HTTP_MIN_ATTEMPT_MS ? timeout_of(r) : HTTP_MIN_ATTEMPT_MS;
        if (now + delay + useful <= x->deadline) {
            log_attempt(r, 1, delay, STOP_NONE);
            p->state = REQ_WAITING;
            p->next_at = now + delay;
            return;
        }
        stop = STOP_DEADLINE;
    }
    finish_cut(x, r, now, stop);
}

/* Aborts a transfer that outlived its own timeout (a safety net). */
static void attempt_abort(run_ctx *x, http_request *r, int64_t now) {
    struct http_req_priv *p = r->priv;
    curl_multi_remove_handle(x->c->multi, p->easy);
    easy_release(x->c, p->easy);
    p->easy = NULL;
    r->err = HTTP_ERR_DEADLINE;
    set_errmsg(r, "deadline passed during the transfer");
    finish(x, r, now);
}

/* ---- the batch loop ----------------------------------------------------- */

static void request_prepare(run_ctx *x, http_request *r, int64_t now) {
    r->attempts = 0;
    r->elapsed_ms = 0;
    if (!r->priv) { /* never initialised, or already freed */
        outcome_reset(r);
        r->err = HTTP_ERR_INVALID;
        snprintf(r->errmsg, sizeof r->errmsg, "request not initialised");
        return;
    }
    struct http_req_priv *p = r->priv;
    outcome_reset(r);
    p->first_at = -1;
    p->next_at = now;
    p->easy = NULL;
    p->state = REQ_WAITING;
    x->active++;
    const char *unusable_url = target_parse(r); /* host and path also serve the logs */
    const char *bad = p->invalid ? p->invalid : unusable_url;
    if (bad) {
        r->err = HTTP_ERR_INVALID;
        set_errmsg(r, bad);
        if (!p->host) p->host = xstrdup("");
        if (!p->path) p->path = xstrdup("");
        finish(x, r, now);
    }
}

size_t http_run(http_client *c, http_request **reqs, size_t n, int64_t deadline_ms) {
    if (!c || !reqs) return 0;
    int64_t start = clock_mono_ms();
    /* on the monotonic clock from here: a wall-clock step cannot stretch it */
    int64_t budget = deadline_ms - clock_wall_ms();
    if (budget > MAX_BUDGET_MS) budget = MAX_BUDGET_MS;
    if (budget < -1) budget = -1;
    run_ctx x = {.c = c, .deadline = start + budget, .active = 0};
    for (size_t i = 0; i < n; i++)
        if (reqs[i]) request_prepare(&x, reqs[i], start);

    while (x.active) {
        int64_t now = clock_mono_ms();
        for (size_t i = 0; i < n; i++) {
            http_request *r = reqs[i];
            if (r && r->priv && r->priv->state == REQ_WAITING && r->priv->next_at <= now)
                attempt_start(&x, r, now);
        }
        int running = 0;
        curl_multi_perform(c->multi, &running);
        CURLMsg *m;
        int queued;
        while ((m = curl_multi_info_read(c->multi, &queued)) != NULL) {
            if (m->msg != CURLMSG_DONE) continue;
            char *priv = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
            if (priv) attempt_done(&x, (http_request *)(void *)priv, m->data.result);
        }
        if (!x.active) break;

        now = clock_mono_ms();
        int64_t wait = MAX_POLL_MS;
        for (size_t i = 0; i < n; i++) {
            http_request *r = reqs[i];
            if (!r || !r->priv) continue;
            if (r->priv->state == REQ_RUNNING && now > x.deadline + SAFETY_SLACK_MS)
                attempt_abort(&x, r, now);
            else if (r->priv->state == REQ_WAITING && r->priv->next_at - now < wait)
                wait = r->priv->next_at - now;
        }
        if (wait < 0) wait = 0;
        if (x.active) curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
    }

    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        if (reqs[i] && reqs[i]->err == HTTP_OK && reqs[i]->status >= 200 && reqs[i]->status < 300)
            ok++;
    return ok;
}
