/* gw_http: HTTP front end (libmicrohttpd) mapping requests to invocations. */
#include "gw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gw_event.h"
#include "gw_ids.h"
#include "gw_log.h"

#define GW_MAX_BODY (6u * 1024u * 1024u)
/* API Gateway's quota: request line and headers together, 10,240 bytes. */
#define GW_MAX_HEAD 10240u
/* libmicrohttpd keeps a request's line, headers and one entry per query
 * parameter in a per-connection pool (half of it is the read buffer): a
 * 10,240-byte request of 5,000 one-letter parameters needs ~290 KB of
 * entries. The pool is mmap'd, so only what a request uses is resident. */
#define GW_POOL_BYTES (640u * 1024u)
#define GW_MAX_CONNECTIONS 256u
/* Connections still receiving a request (or idle between two) may hold at
 * most this many slots: the rest stay for requests being answered, so slow
 * senders cannot lock everyone out (all local clients share 127.0.0.1, a
 * per-address limit would not tell them apart). */
#define GW_MAX_RECEIVING 128u
#define GW_REAP_PERIOD_MS 200

/* One per connection, from libmicrohttpd's connection-start notice to its
 * close notice: the only notices it always sends, so everything a
 * connection or its requests own is freed there at the latest. */
typedef struct gw_conn {
    struct gw_conn *prev, *next; /* g->conns, oldest first */
    MHD_socket fd;
    int64_t since_ms; /* accepted, or last answer sent: the request clock */
    int receiving;    /* 0 while a complete request is being answered */
    int cut;          /* shut down by the gateway (deadline or eviction) */
    char *raw_uri;    /* from the URI logger, taken by the request */
    int64_t uri_ms;
    struct gw_req *req; /* the request in progress, if any */
} gw_conn;

struct gw_http {
    gw_http_config cfg;
    struct MHD_Daemon *d;
    unsigned short port;
    int quiesced;
    pthread_mutex_t mu; /* conns and the counters below */
    gw_conn *head, *tail;
    unsigned n_receiving;
    unsigned long timed_out, evicted; /* not yet logged */
    pthread_t reaper;
    pthread_cond_t stop_cv;
    int stopping, reaper_started;
};

typedef struct gw_req {
    gw_conn *conn;
    char *raw_uri;
    dstr body;
    int too_large;
    int started;
    int answered; /* rejected before its body: nothing more to do */
    int64_t start_ms;
} gw_req;

typedef struct gw_outcome {
    unsigned status;
    const char *function;
    const char *outcome; /* fn_status name, or why the gateway answered itself */
    const fn_result *res;
} gw_outcome;

/* ---- answers ------------------------------------------------------------- */

static enum MHD_Result gw_send(struct MHD_Connection *c, unsigned status, const char *body,
                               size_t len, const gw_kv *headers, size_t n_headers,
                               char *const *cookies, size_t n_cookies, const char *apigw_id) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    for (size_t i = 0; i < n_headers; i++)
        MHD_add_response_header(resp, headers[i].name, headers[i].value);
    for (size_t i = 0; i < n_cookies; i++) MHD_add_response_header(resp, "Set-Cookie", cookies[i]);
    MHD_add_response_header(resp, "apigw-requestid", apigw_id);
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result gw_send_message(struct MHD_Connection *c, unsigned status,
                                       const char *message, const char *apigw_id) {
    char body[96];
    snprintf(body, sizeof body, "{\"message\":\"%s\"}", message);
    gw_kv ct = {"Content-Type", "application/json"};
    return gw_send(c, status, body, strlen(body), &ct, 1, NULL, 0, apigw_id);
}

/* The gateway's refusals of a malformed or oversized request, in the
 * projects's error shape; the connection closes after it (the body, if any,
 * is never read). */
static enum MHD_Result gw_send_error(struct MHD_Connection *c, unsigned status, const char *code,
                                     const char *message, const char *apigw_id) {
    dstr body = {0};
    dstr_puts(&body, "{\"error\":");
    dstr_json_str(&body, code);
    dstr_puts(&body, ",\"message\":");
    dstr_json_str(&body, message);
    dstr_putc(&body, '}');
    gw_kv h[] = {{"Content-Type", "application/json"}, {"Connection", "close"}};
    enum MHD_Result rc = gw_send(c, status, dstr_cstr(&body), body.len, h, 2, NULL, 0, apigw_id);
    dstr_free(&body);
    return rc;
}

static void gw_log_request(const char *method, const char *raw_uri, int64_t start_ms,
                           const char *apigw_id, const gw_outcome *o) {
    const char *q = strchr(raw_uri, '?');
    size_t path_len = q ? (size_t)(q - raw_uri) : strlen(raw_uri);
    log_rec *r = gw_log_begin(o->status >= 500 ? LOG_WARN : LOG_INFO, "gateway.request");
    log_str(r, "method", method);
    log_strn(r, "path", raw_uri, path_len); /* never the query: it may carry secrets */
    log_int(r, "status", o->status);
    log_str(r, "function", o->function);
    log_int(r, "duration_ms", gw_now_ms() - start_ms);
    log_str(r, "request_id", apigw_id);
    log_str(r, "outcome", o->outcome);
    if (o->res) {
        log_str(r, "lambda_request_id", o->res->request_id);
        log_bool(r, "lambda_cold_start", o->res->cold_start);
        if (o->res->error_type[0]) log_str(r, "error_type", o->res->error_type);
        if (o->res->detail[0]) log_str(r, "detail", o->res->detail);
    }
    gw_log_end(r);
}

/* ---- request -> event ------------------------------------------------------ */

typedef struct gw_hdrs {
    gw_header *items;
    size_t n;
} gw_hdrs;

static enum MHD_Result gw_collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value) {
    (void)kind;
    gw_hdrs *h = cls;
    gw_header *items = realloc(h->items, (h->n + 1) * sizeof *items);
    if (!items) abort();
    h->items = items;
    items[h->n++] = (gw_header){key, value ? value : ""};
    return MHD_YES;
}

static void gw_source_ip(struct MHD_Connection *c, char *out, size_t cap) {
    snprintf(out, cap, "127.0.0.1");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap);
}

static void gw_build_event(gw_http *g, struct MHD_Connection *c, const char *method,
                           const char *version, gw_req *q, const char *apigw_id,
                           const char *trace_root, dstr *event) {
    gw_hdrs hdrs = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, gw_collect_header, &hdrs);
    char ip[INET6_ADDRSTRLEN];
    gw_source_ip(c, ip, sizeof ip);
    gw_request req = {.method = method,
                      .raw_uri = q->raw_uri,
                      .protocol = version,
                      .source_ip = ip,
                      .server_port = g->port,
                      .headers = hdrs.items,
                      .n_headers = hdrs.n,
                      .body = dstr_cstr(&q->body),
                      .body_len = q->body.len,
                      .request_id = apigw_id,
                      .trace_root = trace_root,
                      .time_epoch_ms = q->start_ms};
    gw_event_build(&req, event);
    free(hdrs.items);
}

/* ---- invocation -> answer ---------------------------------------------- */

static enum MHD_Result gw_answer(struct MHD_Connection *c, const fn_result *res,
                                 int64_t wait_until_ms, const char *apigw_id, gw_outcome *o) {
    o->outcome = fn_status_name(res->status);
    switch (res->status) {
    case FN_OK: {
        gw_response m;
        if (gw_response_map(res->payload.ptr ? res->payload.ptr : "", res->payload.len, &m) != 0) {
            gw_log_msg(LOG_ERROR, "gateway.malformed_response", "%s: %s", o->function, m.why);
            o->outcome = "malformed_response";
            gw_response_free(&m);
            o->status = 500;
            return gw_send_message(c, 500, "Internal Server Error", apigw_id);
        }
        o->status = (unsigned)m.status;
        enum MHD_Result rc = gw_send(c, o->status, dstr_cstr(&m.body), m.body.len, m.headers,
                                     m.n_headers, m.cookies, m.n_cookies, apigw_id);
        gw_response_free(&m);
        return rc;
    }
    case FN_TIMEOUT:
        if (gw_now_ms() >= wait_until_ms) break; /* API Gateway had given up first: 503 */
        /* else Lambda reports the function timeout as a function error */
        __attribute__((fallthrough));
    case FN_ERROR:
        o->status = 500;
        return gw_send_message(c, 500, "Internal Server Error", apigw_id);
    case FN_CRASH:
    case FN_NO_BINARY:
        o->status = 502;
        return gw_send_message(c, 502, "Internal Server Error", apigw_id);
    case FN_TOO_LARGE:
        o->status = 413;
        return gw_send_message(c, 413, "Request Entity Too Large", apigw_id);
    case FN_ABANDONED:
    case FN_SHUTDOWN: break;
    }
    o->status = 503;
    return gw_send_message(c, 503, "Service Unavailable", apigw_id);
}

static enum MHD_Result gw_handle(gw_http *g, struct MHD_Connection *c, const char *method,
                                 const char *version, gw_req *q) {
    char apigw_id[17];
    gw_apigw_request_id(apigw_id);
    gw_outcome o = {0};
    const char *path, *query;
    size_t path_len, query_len;
    gw_split_uri(q->raw_uri, &path, &path_len, &query, &query_len);
    o.function = gw_routes_lookup(g->cfg.routes, path, path_len);
    enum MHD_Result rc;
    if (!o.function) {
        o.status = 404;
        o.outcome = "no_route";
        rc = gw_send_message(c, 404, "Not Found", apigw_id);
    } else if (q->too_large) {
        o.status = 413;
        o.outcome = "body_too_large";
        rc = gw_send_message(c, 413, "Request Entity Too Large", apigw_id);
    } else {
        fnhost *h = gw_hosts_get(g->cfg.hosts, o.function);
        if (!h || !fnhost_binary_present(h)) {
            log_rec *r = gw_log_begin(LOG_ERROR, "gateway.function_missing");
            log_str(r, "function", o.function);
            log_str(r, "bootstrap", h ? fnhost_bootstrap(h) : NULL);
            log_str(r, "message", "route's function is not built: run make");
            gw_log_end(r);
            o.status = 502;
            o.outcome = "no_binary";
            rc = gw_send_message(c, 502, "Internal Server Error", apigw_id);
        } else {
            char trace_root[36];
            gw_trace_root(trace_root, q->start_ms);
            dstr event = {0};
            gw_build_event(g, c, method, version, q, apigw_id, trace_root, &event);
            int64_t wait_until = q->start_ms + g->cfg.integration_timeout_ms;
            fn_call call = {dstr_cstr(&event), event.len, trace_root, wait_until};
            fn_result res;
            fnhost_invoke(h, &call, &res);
            dstr_free(&event);
            o.res = &res;
            rc = gw_answer(c, &res, wait_until, apigw_id, &o);
            gw_log_request(method, q->raw_uri, q->start_ms, apigw_id, &o);
            fn_result_free(&res);
            return rc;
        }
    }
    gw_log_request(method, q->raw_uri, q->start_ms, apigw_id, &o);
    return rc;
}

static gw_conn *gw_conn_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void gw_set_receiving(gw_http *g, gw_conn *k, int receiving) {
    pthread_mutex_lock(&g->mu);
    if (k->receiving != receiving && !k->cut) g->n_receiving += receiving ? 1u : (unsigned)-1;
    k->receiving = receiving;
    if (receiving) k->since_ms = gw_now_ms();
    pthread_mutex_unlock(&g->mu);
}

/* Wakes the connection's thread with an end of stream: it closes the
 * connection itself. Called with g->mu held, so the connection (and its
 * socket, closed only after the close notice) is still there. */
static void gw_cut(gw_http *g, gw_conn *k) {
    shutdown(k->fd, SHUT_RDWR);
    k->cut = 1;
    if (k->receiving) g->n_receiving--;
}

static void gw_notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                                 enum MHD_ConnectionNotificationCode toe) {
    gw_http *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        gw_conn *k = calloc(1, sizeof *k);
        if (!k) abort();
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        k->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
        k->since_ms = gw_now_ms();
        k->receiving = 1;
        pthread_mutex_lock(&g->mu);
        k->prev = g->tail;
        if (g->tail) g->tail->next = k;
        else g->head = k;
        g->tail = k;
        if (++g->n_receiving > GW_MAX_RECEIVING)
            for (gw_conn *o = g->head; o != k; o = o->next)
                if (o->receiving && !o->cut && o->fd != MHD_INVALID_SOCKET) {
                    gw_cut(g, o); /* the oldest sender makes room */
                    g->evicted++;
                    break;
                }
        pthread_mutex_unlock(&g->mu);
        *socket_context = k;
        return;
    }
    gw_conn *k = *socket_context;
    if (!k) return;
    pthread_mutex_lock(&g->mu);
    if (k->prev) k->prev->next = k->next;
    else g->head = k->next;
    if (k->next) k->next->prev = k->prev;
    else g->tail = k->prev;
    if (k->receiving && !k->cut) g->n_receiving--;
    pthread_mutex_unlock(&g->mu);
    if (k->req) { /* a request libmicrohttpd dropped without its completion notice */
        free(k->req->raw_uri);
        dstr_free(&k->req->body);
        free(k->req);
    }
    free(k->raw_uri);
    free(k);
    *socket_context = NULL;
}

/* Closes connections whose request is not in within the deadline, and logs
 * what the guard did (never under g->mu: logging takes its own lock). */
static void *gw_reaper(void *arg) {
    gw_http *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += GW_REAP_PERIOD_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g->stop_cv, &g->mu, &ts);
        int64_t now = gw_now_ms();
        for (gw_conn *k = g->head; k; k = k->next)
            if (k->receiving && !k->cut && k->fd != MHD_INVALID_SOCKET &&
                now - k->since_ms > g->cfg.request_timeout_ms) {
                gw_cut(g, k);
                g->timed_out++;
            }
        unsigned long t = g->timed_out, e = g->evicted;
        g->timed_out = g->evicted = 0;
        if (!t && !e) continue;
        unsigned n = g->n_receiving;
        pthread_mutex_unlock(&g->mu);
        log_rec *r = gw_log_begin(LOG_WARN, "gateway.slow_clients");
        log_int(r, "closed_after_deadline", (long long)t);
        log_int(r, "closed_to_make_room", (long long)e);
        log_int(r, "receiving", n);
        log_int(r, "request_timeout_ms", g->cfg.request_timeout_ms);
        gw_log_end(r);
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* The raw URI (MHD's own copy is unescaped) waits in the connection until
 * the access handler takes it: nothing here needs the completion notice. */
static void *gw_uri_logger(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)cls;
    gw_conn *k = gw_conn_of(c);
    if (k) {
        free(k->raw_uri);
        k->raw_uri = strdup(uri ? uri : "/");
        if (!k->raw_uri) abort();
        k->uri_ms = gw_now_ms();
    }
    return NULL;
}

typedef struct gw_clen {
    const char *first;
    int conflict;
} gw_clen;

static enum MHD_Result gw_check_clen(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
    (void)kind;
    gw_clen *cl = cls;
    if (strcasecmp(key, "Content-Length") != 0) return MHD_YES;
    if (!cl->first) cl->first = value ? value : "";
    else if (strcmp(cl->first, value ? value : "") != 0) cl->conflict = 1;
    return MHD_YES;
}

/* API Gateway's limits and request-smuggling guard, checked once the
 * headers are in: 414, 431 or 400 in the gateway's error shape. */
static int gw_reject(struct MHD_Connection *c, const char *method, const char *version, gw_req *q,
                     enum MHD_Result *rc) {
    size_t line = strlen(method) + strlen(q->raw_uri) + strlen(version) + 4;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    size_t head = ci ? ci->header_size : line;
    gw_clen cl = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, gw_check_clen, &cl);
    gw_outcome o = {0};
    const char *code, *msg;
    if (line > GW_MAX_HEAD)
        o.status = 414, code = "uri_too_long",
        msg = "request line over 10240 bytes (API Gateway's limit)";
    else if (head > GW_MAX_HEAD)
        o.status = 431, code = "headers_too_large",
        msg = "request line and headers over 10240 bytes (API Gateway's limit)";
    else if (cl.conflict)
        o.status = 400, code = "bad_request", msg = "conflicting Content-Length headers";
    else return 0;
    char apigw_id[17];
    gw_apigw_request_id(apigw_id);
    o.outcome = code;
    *rc = gw_send_error(c, o.status, code, msg, apigw_id);
    gw_log_request(method, q->raw_uri, q->start_ms, apigw_id, &o);
    return 1;
}

static enum MHD_Result gw_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls) {
    gw_http *g = cls;
    gw_req *q = *con_cls;
    if (!q) { /* headers are in: the request starts owning its state */
        gw_conn *k = gw_conn_of(c);
        q = calloc(1, sizeof *q);
        if (!q) abort();
        q->conn = k;
        if (k && k->raw_uri) {
            q->raw_uri = k->raw_uri;
            k->raw_uri = NULL;
            q->start_ms = k->uri_ms;
        } else {
            q->raw_uri = strdup(url ? url : "/");
            if (!q->raw_uri) abort();
            q->start_ms = gw_now_ms();
        }
        if (k) k->req = q;
        *con_cls = q;
        q->started = 1;
        enum MHD_Result rc;
        if (gw_reject(c, method, version, q, &rc)) {
            q->answered = 1;
            if (k) gw_set_receiving(g, k, 0);
            return rc;
        }
        return MHD_YES;
    }
    if (q->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (q->body.len + *upload_data_size > GW_MAX_BODY) q->too_large = 1;
        else if (!q->too_large) dstr_append(&q->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (q->conn) gw_set_receiving(g, q->conn, 0); /* the deadline covers receiving only */
    return gw_handle(g, c, method, version, q);
}

static void gw_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)c;
    (void)toe;
    gw_http *g = cls;
    gw_req *q = *con_cls;
    if (!q) return;
    if (q->conn) {
        q->conn->req = NULL;
        gw_set_receiving(g, q->conn, 1); /* the next request's clock starts now */
    }
    free(q->raw_uri);
    dstr_free(&q->body);
    free(q);
    *con_cls = NULL;
}

/* Binds the listening socket before MHD starts, so the port is known (and
 * a busy port is reported plainly) before any connection thread exists. */
static int gw_listen(const char *addr, unsigned short port, int *is_v6, unsigned short *bound,
                     char *err, size_t errlen) {
    struct sockaddr_storage ss = {0};
    socklen_t len;
    struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        len = sizeof *s4;
        *is_v6 = 0;
    } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        len = sizeof *s6;
        *is_v6 = 1;
    } else {
        snprintf(err, errlen, "bind address '%s' is not a numeric IPv4/IPv6 address", addr);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s", addr, port, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    *bound = ntohs(*is_v6 ? s6->sin6_port : s4->sin_port);
    return fd;
}

gw_http *gw_http_start(const gw_http_config *cfg, char *err, size_t errlen) {
    int v6;
    unsigned short bound;
    int fd = gw_listen(cfg->bind_addr, cfg->port, &v6, &bound, err, errlen);
    if (fd < 0) return NULL;
    gw_http *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->cfg = *cfg;
    g->port = bound;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->stop_cv, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    g->d =
        MHD_start_daemon(flags, 0, NULL, NULL, gw_access, g, MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_URI_LOG_CALLBACK, gw_uri_logger, g, MHD_OPTION_NOTIFY_COMPLETED,
                         gw_completed, g, MHD_OPTION_NOTIFY_CONNECTION, gw_notify_connection, g,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GW_POOL_BYTES,
                         /* idle limit while an answer is read; receiving has its deadline */
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT,
                         GW_MAX_CONNECTIONS, MHD_OPTION_END);
    if (!g->d) {
        snprintf(err, errlen, "cannot start the HTTP server on %s:%u", cfg->bind_addr, bound);
        close(fd);
        pthread_cond_destroy(&g->stop_cv);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return NULL;
    }
    g->reaper_started = pthread_create(&g->reaper, NULL, gw_reaper, g) == 0;
    return g;
}

unsigned short gw_http_port(const gw_http *g) { return g->port; }

void gw_http_quiesce(gw_http *g) {
    if (g->quiesced) return;
    MHD_socket s = MHD_quiesce_daemon(g->d);
    if (s != MHD_INVALID_SOCKET) close(s);
    g->quiesced = 1;
}

void gw_http_stop(gw_http *g) {
    if (!g) return;
    gw_http_quiesce(g);
    pthread_mutex_lock(&g->mu);
    g->stopping = 1;
    pthread_cond_signal(&g->stop_cv);
    pthread_mutex_unlock(&g->mu);
    if (g->reaper_started) pthread_join(g->reaper, NULL);
    MHD_stop_daemon(g->d);
    pthread_cond_destroy(&g->stop_cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}
