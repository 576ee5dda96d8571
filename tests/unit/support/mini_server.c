/* mini_server: scripted HTTP test server (see mini_server.h). */
#include "mini_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "platform/dstr.h"

#define TRUNCATE_EXTRA 100 /* bytes promised by Content-Length but never sent */

struct mini_server {
    struct MHD_Daemon *daemon;
    int port;
    char url[64];
    char *cert_pem;
    char *key_pem;

    pthread_mutex_t mu;
    pthread_cond_t wake; /* broadcast by ms_stop to cut delays short */
    int stopping;
    ms_step *steps;
    unsigned char *used;
    size_t n_steps;
    ms_request **reqs;
    size_t n_reqs;
    unsigned next_conn_id;
    unsigned conns;
};

/* One HTTP request in flight (libmicrohttpd's per-request context). */
typedef struct pending {
    char *uri; /* raw, with the query */
    int64_t arrival_ms;
    int seen; /* the header-only first call of the access handler is past */
    dstr body;
} pending;

/* Body source for truncated and chunked answers. */
typedef struct body_src {
    char *data;
    size_t len;
    int truncate;
} body_src;

static void *xmalloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p) abort();
    return p;
}

static char *xstrndup(const char *s, size_t n) {
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    return d;
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- script ------------------------------------------------------------- */

static void steps_free(mini_server *s) {
    for (size_t i = 0; i < s->n_steps; i++) {
        free((char *)s->steps[i].headers);
        free((char *)s->steps[i].body);
        free((char *)s->steps[i].path);
    }
    free(s->steps);
    free(s->used);
    s->steps = NULL;
    s->used = NULL;
    s->n_steps = 0;
}

void ms_script(mini_server *s, const ms_step *steps, size_t n) {
    pthread_mutex_lock(&s->mu);
    steps_free(s);
    s->steps = xmalloc(n * sizeof *s->steps);
    s->used = xmalloc(n);
    for (size_t i = 0; i < n; i++) {
        ms_step st = steps[i];
        size_t blen = st.body ? (st.body_len ? st.body_len : strlen(st.body)) : 0;
        st.body_len = blen;
        st.body = st.body ? xstrndup(st.body, blen) : NULL;
        st.headers = st.headers ? xstrdup(st.headers) : NULL;
        st.path = st.path ? xstrdup(st.path) : NULL;
        s->steps[i] = st;
    }
    s->n_steps = n;
    pthread_mutex_unlock(&s->mu);
}

/* Copies the step for path into *out (its own strings: the script may be
 * replaced while a delayed answer is pending). Returns 0 if none. */
static int step_take(mini_server *s, const char *path, ms_step *out) {
    int found = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_steps; i++) {
        const ms_step *st = &s->steps[i];
        if (s->used[i] || (st->path && strcmp(st->path, path) != 0)) continue;
        if (!st->repeat) s->used[i] = 1;
        *out = *st;
        out->body = st->body ? xstrndup(st->body, st->body_len) : NULL;
        out->headers = st->headers ? xstrdup(st->headers) : NULL;
        out->path = NULL;
        found = 1;
        break;
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}

/* ---- recording ---------------------------------------------------------- */

static void request_free(ms_request *r) {
    if (!r) return;
    free(r->method);
    free(r->path);
    free(r->query);
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    free(r);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
    (void)kind;
    ms_request *r = cls;
    ms_header *h = realloc(r->headers, (r->n_headers + 1) * sizeof *h);
    if (!h) abort();
    r->headers = h;
    r->headers[r->n_headers].name = xstrdup(key);
    r->headers[r->n_headers].value = xstrdup(value);
    r->n_headers++;
    return MHD_YES;
}

static void record(mini_server *s, struct MHD_Connection *conn, const char *method, pending *p) {
    ms_request *r = xmalloc(sizeof *r);
    r->method = xstrdup(method);
    const char *q = strchr(p->uri, '?');
    r->path = q ? xstrndup(p->uri, (size_t)(q - p->uri)) : xstrdup(p->uri);
    r->query = xstrdup(q ? q + 1 : "");
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, r);
    r->body_len = p->body.len;
    r->body = xstrndup(p->body.len ? p->body.ptr : "", p->body.len);
    r->arrival_ms = p->arrival_ms;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    r->conn_id = ci ? (unsigned)(uintptr_t)ci->socket_context : 0;

    pthread_mutex_lock(&s->mu);
    ms_request **grown = realloc(s->reqs, (s->n_reqs + 1) * sizeof *grown);
    if (!grown) abort();
    s->reqs = grown;
    s->reqs[s->n_reqs++] = r;
    pthread_mutex_unlock(&s->mu);
}

void ms_reset(mini_server *s) {
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_reqs; i++) request_free(s->reqs[i]);
    free(s->reqs);
    s->reqs = NULL;
    s->n_reqs = 0;
    s->conns = 0;
    pthread_mutex_unlock(&s->mu);
}

size_t ms_request_count(mini_server *s) {
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_reqs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

const ms_request *ms_request_at(mini_server *s, size_t i) {
    pthread_mutex_lock(&s->mu);
    const ms_request *r = i < s->n_reqs ? s->reqs[i] : NULL;
    pthread_mutex_unlock(&s->mu);
    return r;
}

unsigned ms_connection_count(mini_server *s) {
    pthread_mutex_lock(&s->mu);
    unsigned n = s->conns;
    pthread_mutex_unlock(&s->mu);
    return n;
}

const char *ms_header_get(const ms_request *r, const char *name) {
    if (!r || !name) return NULL;
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

/* ---- answering ---------------------------------------------------------- */

/* Sleeps up to ms, returning early when the server stops. */
static void delay(mini_server *s, int ms) {
    if (ms <= 0) return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->mu, &until) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&s->mu);
}

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max) {
    body_src *b = cls;
    if (pos >= b->len)
        return b->truncate ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = b->len - (size_t)pos;
    if (n > max) n = max;
    memcpy(buf, b->data + pos, n);
    return (ssize_t)n;
}

static void body_free(void *cls) {
    body_src *b = cls;
    free(b->data);
    free(b);
}

static struct MHD_Response *response_build(const ms_step *st) {
    if (!st->truncate && !st->chunked)
        return MHD_create_response_from_buffer(st->body_len, (void *)(st->body ? st->body : ""),
                                               MHD_RESPMEM_MUST_COPY);
    body_src *b = xmalloc(sizeof *b);
    b->data = xstrndup(st->body ? st->body : "", st->body_len);
    b->len = st->body_len;
    b->truncate = st->truncate;
    uint64_t size = st->truncate ? st->body_len + TRUNCATE_EXTRA : MHD_SIZE_UNKNOWN;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(size, 4096, body_read, b, body_free);
    if (!resp) body_free(b);
    return resp;
}

static void response_headers(struct MHD_Response *resp, const char *lines) {
    if (!lines) return;
    const char *p = lines;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', n);
        if (colon) {
            char *name = xstrndup(p, (size_t)(colon - p));
            const char *v = colon + 1;
            while (*v == ' ') v++;
            char *value = xstrndup(v, n - (size_t)(v - p));
            MHD_add_response_header(resp, name, value);
            free(name);
            free(value);
        }
        p += n;
        if (*p == '\n') p++;
    }
}

static enum MHD_Result answer(mini_server *s, struct MHD_Connection *conn, const char *path) {
    static const char unscripted[] = "mini_server: no script step";
    ms_step st;
    if (!step_take(s, path, &st))
        st = (ms_step){.status = 500, .body = xstrdup(unscripted), .body_len = strlen(unscripted)};
    delay(s, st.delay_ms);
    enum MHD_Result ret = MHD_NO; /* on MHD_NO libmicrohttpd closes the connection */
    struct MHD_Response *resp = st.close_without_answer ? NULL : response_build(&st);
    if (resp) {
        response_headers(resp, st.headers);
        ret = MHD_queue_response(conn, st.status ? (unsigned)st.status : 200u, resp);
        MHD_destroy_response(resp);
    }
    free((char *)st.body);
    free((char *)st.headers);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **req_cls) {
    (void)url;
    (void)version;
    mini_server *s = cls;
    pending *p = *req_cls;
    if (!p) return MHD_NO; /* the URI callback always sets it */
    if (!p->seen) {
        p->seen = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        dstr_append(&p->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    record(s, conn, method, p);
    const char *q = strchr(p->uri, '?');
    char *path = q ? xstrndup(p->uri, (size_t)(q - p->uri)) : xstrdup(p->uri);
    enum MHD_Result ret = answer(s, conn, path);
    free(path);
    return ret;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    (void)cls;
    (void)conn;
    pending *p = xmalloc(sizeof *p);
    p->uri = xstrdup(uri);
    p->arrival_ms = mono_ms();
    return p;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    pending *p = *req_cls;
    if (!p) return;
    free(p->uri);
    dstr_free(&p->body);
    free(p);
    *req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe) {
    (void)conn;
    mini_server *s = cls;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED) return;
    pthread_mutex_lock(&s->mu);
    unsigned id = ++s->next_conn_id;
    s->conns++;
    pthread_mutex_unlock(&s->mu);
    *socket_ctx = (void *)(uintptr_t)id;
}

/* ---- TLS material ------------------------------------------------------- */

static char *bio_string(BIO *b) {
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    return n > 0 ? xstrndup(data, (size_t)n) : NULL;
}

/* A self-signed P-256 certificate for 127.0.0.1, valid from an hour ago
 * for a day. Returns 0 on success. */
static int make_cert(char **cert_pem, char **key_pem) {
    int ok = 0;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    if (!key || !x || !cb || !kb) goto out;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(time(NULL) & 0x7fffffff));
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    static const struct {
        int nid;
        const char *value;
    } exts[] = {
        {NID_subject_alt_name, "IP:127.0.0.1"},
        {NID_basic_constraints, "critical,CA:TRUE"},
        {NID_key_usage, "critical,digitalSignature,keyCertSign"},
        {NID_ext_key_usage, "serverAuth"},
    };
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        if (!e) goto out;
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    if (!X509_sign(x, key, EVP_sha256())) goto out;
    if (!PEM_write_bio_X509(cb, x) || !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL))
        goto out;
    *cert_pem = bio_string(cb);
    *key_pem = bio_string(kb);
    ok = *cert_pem && *key_pem;
out:
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(key);
    return ok ? 0 : -1;
}

/* ---- lifecycle ---------------------------------------------------------- */

static mini_server *start(int tls) {
    mini_server *s = xmalloc(sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);

    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    if (tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES ||
            make_cert(&s->cert_pem, &s->key_pem) != 0) {
            fprintf(stderr, "mini_server: TLS unavailable\n");
            ms_stop(s);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&addr, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_ARRAY,
                                 tls ? tls_opts : tls_opts + 2, MHD_OPTION_END);
    if (!s->daemon) {
        fprintf(stderr, "mini_server: MHD_start_daemon failed\n");
        ms_stop(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%d", tls ? "https" : "http", s->port);
    return s;
}

mini_server *ms_start(void) { return start(0); }
mini_server *ms_start_tls(void) { return start(1); }

void ms_stop(mini_server *s) {
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->mu);
    if (s->daemon) MHD_stop_daemon(s->daemon); /* joins the connection threads */
    ms_reset(s);
    steps_free(s);
    free(s->cert_pem);
    free(s->key_pem);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int ms_port(const mini_server *s) { return s->port; }
const char *ms_url(const mini_server *s) { return s->url; }
const char *ms_cert_pem(const mini_server *s) { return s->cert_pem; }
