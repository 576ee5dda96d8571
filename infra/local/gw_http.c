/* gw_http: HTTP front end mapping requests to invocations.
 *
 * The gateway speaks HTTP/1.1 itself (gw_head reads requests): libmicrohttpd
 * 0.9.75 answers malformed requests with its own HTML pages before any hook
 * runs (or closes without an answer, or waits for ever on an unknown
 * transfer coding), and nothing in its API lets the gateway answer those in
 * its JSON shape, so every byte a client sends is read here. */
#define _GNU_SOURCE /* accept4: accepted sockets must not leak into the functions */
#include "gw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gw_event.h"
#include "gw_head.h"
#include "gw_ids.h"
#include "gw_log.h"

#define GW_MAX_BODY (6u * 1024u * 1024u)
#define GW_MAX_CONNECTIONS 256u
/* Connections still receiving a request (or idle between two) may hold at
 * most this many slots: the rest stay for requests being answered, so slow
 * senders cannot lock everyone out (all local clients share 127.0.0.1, a
 * per-address limit would not tell them apart). */
#define GW_MAX_RECEIVING 128u
#define GW_REAP_PERIOD_MS 200
/* An answer must make progress within this, or its connection is closed:
 * a client that stops reading cannot hold a thread for ever. */
#define GW_SEND_IDLE_S 30
/* A connection's last answer (a refusal, or Connection: close) is followed
 * by a close, but what the client is still sending (up to a whole refused
 * body) is read and dropped for a moment first: closing a socket with
 * unread bytes resets the connection, which can destroy the answer before
 * the client has read it. */
#define GW_LINGER_MS 1000
#define GW_LINGER_BYTES (GW_MAX_BODY + (1u << 20))
#define GW_READ_CHUNK 16384u

/* One per accepted connection, owned by its thread; listed in g->head so
 * the reaper and the eviction can shut it down (the socket is closed only
 * after it leaves the list, under g->mu). */
typedef struct gw_conn {
    struct gw_conn *prev, *next; /* oldest first */
    gw_http *g;
    int fd;
    char ip[INET6_ADDRSTRLEN];
    int64_t since_ms; /* accepted, or last answer sent: the request clock */
    int receiving;    /* 0 while a complete request is being answered */
    int cut;          /* shut down by the gateway (deadline, eviction, stop) */
    dstr in;          /* received, not yet used: in.ptr[off..in.len) */
    size_t off;
} gw_conn;

struct gw_http {
    gw_http_config cfg;
    int listen_fd, stop_fd; /* stop_fd: an eventfd that ends the acceptor */
    unsigned short port;
    pthread_t acceptor;
    int acceptor_started, quiesced;
    pthread_mutex_t mu; /* conns and the counters below */
    gw_conn *head, *tail;
    unsigned n_conns, n_receiving;
    unsigned long timed_out, evicted; /* not yet logged */
    pthread_cond_t stop_cv;           /* wakes the reaper to stop */
    pthread_cond_t gone_cv;           /* a connection ended */
    pthread_t reaper;
    int stopping, reaper_started;
};

/* How one answer goes out. */
typedef struct gw_reply {
    gw_conn *k;
    int close;     /* the connection ends after it */
    int head_only; /* a HEAD request: no body */
    int http10;    /* an HTTP/1.0 client kept alive is told so */
} gw_reply;

typedef struct gw_outcome {
    unsigned status;
    const char *function;
    const char *outcome; /* fn_status name, or why the gateway answered itself */
    const fn_result *res;
} gw_outcome;

/* ---- answers ------------------------------------------------------------- */

/* Sends all of buf; -1 when the client is gone or made no progress for
 * GW_SEND_IDLE_S (SO_SNDTIMEO). */
static int gw_write_all(int fd, const char *buf, size_t len) {
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int gw_is_token(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!strchr("!#$%&'*+-.^_`|~", *s) && !(*s >= '0' && *s <= '9') &&
            !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z'))
            return 0;
    return 1;
}

/* A function's header the gateway drops: one it sets itself (framing), one
 * that belongs to a single connection (RFC 9110 7.6.1), or one that would
 * break the answer's syntax (a CR or LF would start a header of its own). */
static int gw_header_dropped(const char *name, const char *value) {
    static const char *const own[] = {
        "content-length", "transfer-encoding", "connection",      "keep-alive", "te",
        "trailer",        "upgrade",           "proxy-connection"};
    if (!gw_is_token(name) || strpbrk(value, "\r\n")) return 1;
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcasecmp(name, own[i]) == 0) return 1;
    return 0;
}

static int gw_send(const gw_reply *rp, unsigned status, const char *body, size_t len,
                   const gw_kv *headers, size_t n_headers, char *const *cookies, size_t n_cookies,
                   const char *apigw_id) {
    dstr out = {0};
    dstr_printf(&out, "HTTP/1.1 %u %s\r\n", status, MHD_get_reason_phrase_for(status));
    int has_date = 0;
    for (size_t i = 0; i < n_headers; i++) {
        if (gw_header_dropped(headers[i].name, headers[i].value)) continue;
        has_date |= strcasecmp(headers[i].name, "Date") == 0;
        dstr_printf(&out, "%s: %s\r\n", headers[i].name, headers[i].value);
    }
    for (size_t i = 0; i < n_cookies; i++)
        if (!strpbrk(cookies[i], "\r\n")) dstr_printf(&out, "Set-Cookie: %s\r\n", cookies[i]);
    if (!has_date) {
        char date[64];
        time_t now = time(NULL);
        struct tm tm;
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
        dstr_printf(&out, "Date: %s\r\n", date);
    }
    dstr_printf(&out, "apigw-requestid: %s\r\n", apigw_id);
    int bodyless = status < 200 || status == 204 || status == 304; /* RFC 9110 6.4.1 */
    if (!bodyless) dstr_printf(&out, "Content-Length: %zu\r\n", len);
    if (rp->close) dstr_puts(&out, "Connection: close\r\n");
    else if (rp->http10) dstr_puts(&out, "Connection: keep-alive\r\n");
    dstr_puts(&out, "\r\n");
    if (!bodyless && !rp->head_only) dstr_append(&out, body, len);
    int rc = gw_write_all(rp->k->fd, out.ptr, out.len);
    dstr_free(&out);
    return rc;
}

static int gw_send_message(const gw_reply *rp, unsigned status, const char *message,
                           const char *apigw_id) {
    char body[96];
    snprintf(body, sizeof body, "{\"message\":\"%s\"}", message);
    gw_kv ct = {"Content-Type", "application/json"};
    return gw_send(rp, status, body, strlen(body), &ct, 1, NULL, 0, apigw_id);
}

/* The gateway's refusals of a malformed or oversized request, in the
 * project's error shape. */
static int gw_send_error(const gw_reply *rp, unsigned status, const char *code, const char *message,
                         const char *apigw_id) {
    dstr body = {0};
    dstr_puts(&body, "{\"error\":");
    dstr_json_str(&body, code);
    dstr_puts(&body, ",\"message\":");
    dstr_json_str(&body, message);
    dstr_putc(&body, '}');
    gw_kv ct = {"Content-Type", "application/json"};
    int rc = gw_send(rp, status, dstr_cstr(&body), body.len, &ct, 1, NULL, 0, apigw_id);
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

/* ---- invocation -> answer ---------------------------------------------- */

static int gw_answer(const gw_reply *rp, const fn_result *res, int64_t wait_until_ms,
                     const char *apigw_id, gw_outcome *o) {
    o->outcome = fn_status_name(res->status);
    switch (res->status) {
    case FN_OK: {
        gw_response m;
        if (gw_response_map(res->payload.ptr ? res->payload.ptr : "", res->payload.len, &m) != 0) {
            gw_log_msg(LOG_ERROR, "gateway.malformed_response", "%s: %s", o->function, m.why);
            o->outcome = "malformed_response";
            gw_response_free(&m);
            o->status = 500;
            return gw_send_message(rp, 500, "Internal Server Error", apigw_id);
        }
        o->status = (unsigned)m.status;
        int rc = gw_send(rp, o->status, dstr_cstr(&m.body), m.body.len, m.headers, m.n_headers,
                         m.cookies, m.n_cookies, apigw_id);
        gw_response_free(&m);
        return rc;
    }
    case FN_TIMEOUT:
        if (gw_now_ms() >= wait_until_ms) break; /* API Gateway had given up first: 503 */
        /* else Lambda reports the function timeout as a function error */
        __attribute__((fallthrough));
    case FN_ERROR:
        o->status = 500;
        return gw_send_message(rp, 500, "Internal Server Error", apigw_id);
    case FN_CRASH:
    case FN_NO_BINARY:
        o->status = 502;
        return gw_send_message(rp, 502, "Internal Server Error", apigw_id);
    case FN_TOO_LARGE:
        o->status = 413;
        return gw_send_message(rp, 413, "Request Entity Too Large", apigw_id);
    case FN_ABANDONED:
    case FN_SHUTDOWN: break;
    }
    o->status = 503;
    return gw_send_message(rp, 503, "Service Unavailable", apigw_id);
}

/* Routes, invokes and answers one request; -1 when the answer could not be
 * sent (the connection is over). */
static int gw_handle(gw_http *g, const gw_reply *rp, const gw_head *h, const dstr *body,
                     int64_t start_ms) {
    char apigw_id[17];
    gw_apigw_request_id(apigw_id);
    gw_outcome o = {0};
    const char *path, *query;
    size_t path_len, query_len;
    gw_split_uri(h->target, &path, &path_len, &query, &query_len);
    o.function = gw_routes_lookup(g->cfg.routes, path, path_len);
    fnhost *fh = o.function ? gw_hosts_get(g->cfg.hosts, o.function) : NULL;
    int rc;
    if (!o.function) {
        o.status = 404;
        o.outcome = "no_route";
        rc = gw_send_message(rp, 404, "Not Found", apigw_id);
    } else if (!fh || !fnhost_binary_present(fh)) {
        log_rec *r = gw_log_begin(LOG_ERROR, "gateway.function_missing");
        log_str(r, "function", o.function);
        log_str(r, "bootstrap", fh ? fnhost_bootstrap(fh) : NULL);
        log_str(r, "message", "route's function is not built: run make");
        gw_log_end(r);
        o.status = 502;
        o.outcome = "no_binary";
        rc = gw_send_message(rp, 502, "Internal Server Error", apigw_id);
    } else {
        char trace_root[36];
        gw_trace_root(trace_root, start_ms);
        gw_request req = {.method = h->method,
                          .raw_uri = h->target,
                          .protocol = h->version,
                          .source_ip = rp->k->ip,
                          .server_port = g->port,
                          .headers = h->headers,
                          .n_headers = h->n_headers,
                          .body = dstr_cstr(body),
                          .body_len = body->len,
                          .request_id = apigw_id,
                          .trace_root = trace_root,
                          .time_epoch_ms = start_ms};
        dstr event = {0};
        gw_event_build(&req, &event);
        int64_t wait_until = start_ms + g->cfg.integration_timeout_ms;
        fn_call call = {dstr_cstr(&event), event.len, trace_root, wait_until};
        fn_result res;
        fnhost_invoke(fh, &call, &res);
        dstr_free(&event);
        o.res = &res;
        rc = gw_answer(rp, &res, wait_until, apigw_id, &o);
        gw_log_request(h->method, h->target, start_ms, apigw_id, &o);
        fn_result_free(&res);
        return rc;
    }
    gw_log_request(h->method, h->target, start_ms, apigw_id, &o);
    return rc;
}

/* ---- connections ------------------------------------------------------------ */

static void gw_set_receiving(gw_http *g, gw_conn *k, int receiving) {
    pthread_mutex_lock(&g->mu);
    if (k->receiving != receiving && !k->cut) g->n_receiving += receiving ? 1u : (unsigned)-1;
    k->receiving = receiving;
    if (receiving) k->since_ms = gw_now_ms();
    pthread_mutex_unlock(&g->mu);
}

/* Wakes the connection's thread with an end of stream (or a failed send):
 * it closes the connection itself. Called with g->mu held, so the
 * connection (and its socket) is still there. */
static void gw_cut(gw_http *g, gw_conn *k) {
    shutdown(k->fd, SHUT_RDWR);
    k->cut = 1;
    if (k->receiving) g->n_receiving--;
}

/* Reads more of the client's bytes into k->in; 0 when the connection is
 * over (closed by the client, or shut down by the gateway). */
static int gw_recv_more(gw_conn *k) {
    if (k->off == k->in.len) k->off = k->in.len = 0;
    else if (k->off >= 4 * GW_READ_CHUNK) { /* keep the buffer from creeping */
        memmove(k->in.ptr, k->in.ptr + k->off, k->in.len - k->off);
        k->in.len -= k->off;
        k->off = 0;
    }
    dstr_reserve(&k->in, GW_READ_CHUNK);
    for (;;) {
        ssize_t n = recv(k->fd, k->in.ptr + k->in.len, GW_READ_CHUNK, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        k->in.len += (size_t)n;
        k->in.ptr[k->in.len] = '\0';
        return 1;
    }
}

/* Ends a connection after its last answer (a refusal, or Connection:
 * close): no more writes, then drop what still arrives for a moment (see
 * GW_LINGER_MS) or until the client closes. */
static void gw_linger(gw_conn *k) {
    shutdown(k->fd, SHUT_WR);
    int64_t end = gw_now_ms() + GW_LINGER_MS;
    size_t dropped = 0;
    char buf[4096];
    for (int64_t left; (left = end - gw_now_ms()) > 0 && dropped < GW_LINGER_BYTES;) {
        struct pollfd p = {k->fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0) break;
        ssize_t n = recv(k->fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        dropped += (size_t)n;
    }
}

/* Answers a refused request (why) and logs it; the connection ends. */
static void gw_refuse(gw_conn *k, const gw_refusal *why, const char *method, size_t method_len,
                      const char *target, size_t target_len, int64_t start_ms) {
    char apigw_id[17];
    gw_apigw_request_id(apigw_id);
    gw_reply rp = {k, 1, 0, 0};
    if (why->code) gw_send_error(&rp, why->status, why->code, why->message, apigw_id);
    else gw_send_message(&rp, 413, "Request Entity Too Large", apigw_id);
    char *m = strndup(method, method_len), *t = strndup(target, target_len);
    if (!m || !t) abort();
    gw_outcome o = {why->status, NULL, why->code ? why->code : "body_too_large", NULL};
    gw_log_request(m, t, start_ms, apigw_id, &o);
    free(m);
    free(t);
    gw_linger(k);
}

/* Reads the body h announces into body: 1 when it is in, 0 when the
 * connection ended, -1 when it is refused (*why). */
static int gw_read_body(gw_conn *k, const gw_head *h, dstr *body, gw_refusal *why) {
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (h->expect_continue && (h->chunked || h->content_length > 0) &&
        gw_write_all(k->fd, cont, sizeof cont - 1) != 0)
        return 0;
    dstr_puts(body, ""); /* a body, even an empty one, is a C string */
    if (!h->chunked) {
        while (body->len < h->content_length) {
            if (k->off == k->in.len && !gw_recv_more(k)) return 0;
            size_t take = k->in.len - k->off;
            if (take > h->content_length - body->len)
                take = (size_t)(h->content_length - body->len);
            dstr_append(body, k->in.ptr + k->off, take);
            k->off += take;
        }
        return 1;
    }
    gw_chunked c = {0};
    for (;;) {
        int done = 0;
        long n = gw_chunked_feed(&c, k->in.ptr + k->off, k->in.len - k->off, GW_MAX_BODY, body,
                                 &done, why);
        if (n < 0) return -1;
        k->off += (size_t)n;
        if (done) return 1;
        if (!gw_recv_more(k)) return 0;
    }
}

/* Serves one request; 0 when the connection is to end. */
static int gw_serve_one(gw_conn *k) {
    gw_http *g = k->g;
    gw_head h;
    gw_refusal why;
    long n;
    while ((n = gw_head_scan(k->in.ptr + k->off, k->in.len - k->off, GW_MAX_BODY, &h, &why)) == 0)
        if (!gw_recv_more(k)) return 0; /* gone, or cut: nobody to answer */
    int64_t start_ms = gw_now_ms();
    if (n < 0) {
        const char *b = k->in.ptr + k->off;
        gw_refuse(k, &why, b + why.method_off, why.method_len, b + why.target_off, why.target_len,
                  start_ms);
        return 0;
    }
    k->off += (size_t)n;
    dstr body = {0};
    int rc = gw_read_body(k, &h, &body, &why);
    if (rc < 0)
        gw_refuse(k, &why, h.method, strlen(h.method), h.target, strlen(h.target), start_ms);
    if (rc > 0) {
        gw_set_receiving(g, k, 0); /* the deadline covers receiving only */
        gw_reply rp = {k, !h.keep_alive, strcmp(h.method, "HEAD") == 0, h.version[7] == '0'};
        rc = gw_handle(g, &rp, &h, &body, start_ms) == 0 && !rp.close;
        if (rp.close) gw_linger(k);
        else gw_set_receiving(g, k, 1); /* the next request's clock starts now */
    }
    gw_head_free(&h);
    dstr_free(&body);
    return rc > 0;
}

/* Everything is freed before the count drops, so gw_http_stop knows the
 * connection threads hold nothing once it reaches zero. */
static void gw_conn_end(gw_conn *k) {
    gw_http *g = k->g;
    dstr_free(&k->in);
    pthread_mutex_lock(&g->mu);
    if (k->prev) k->prev->next = k->next;
    else g->head = k->next;
    if (k->next) k->next->prev = k->prev;
    else g->tail = k->prev;
    if (k->receiving && !k->cut) g->n_receiving--;
    close(k->fd); /* off the list first: nobody shuts down a reused descriptor */
    free(k);
    g->n_conns--;
    pthread_cond_broadcast(&g->gone_cv);
    pthread_mutex_unlock(&g->mu);
}

static void *gw_conn_main(void *arg) {
    gw_conn *k = arg;
    while (gw_serve_one(k)) {
    }
    gw_conn_end(k);
    return NULL;
}

/* Takes an accepted socket: a thread of its own, unless all slots are
 * taken (then it is closed at once, as a full server does). */
static void gw_admit(gw_http *g, int fd, const struct sockaddr_storage *ss) {
    gw_conn *k = calloc(1, sizeof *k);
    if (!k) abort();
    k->g = g;
    k->fd = fd;
    snprintf(k->ip, sizeof k->ip, "127.0.0.1");
    if (ss->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, k->ip,
                  sizeof k->ip);
    else if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, k->ip,
                  sizeof k->ip);
    struct timeval idle = {GW_SEND_IDLE_S, 0};
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* answers go out whole */
    dstr_reserve(&k->in, GW_READ_CHUNK);
    k->since_ms = gw_now_ms();
    k->receiving = 1;
    pthread_mutex_lock(&g->mu);
    if (g->n_conns >= GW_MAX_CONNECTIONS) {
        pthread_mutex_unlock(&g->mu);
        close(fd);
        dstr_free(&k->in);
        free(k);
        return;
    }
    g->n_conns++;
    k->prev = g->tail;
    if (g->tail) g->tail->next = k;
    else g->head = k;
    g->tail = k;
    if (++g->n_receiving > GW_MAX_RECEIVING)
        for (gw_conn *o = g->head; o != k; o = o->next)
            if (o->receiving && !o->cut) {
                gw_cut(g, o); /* the oldest sender makes room */
                g->evicted++;
                break;
            }
    pthread_mutex_unlock(&g->mu);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    if (pthread_create(&t, &attr, gw_conn_main, k) != 0) gw_conn_end(k);
    pthread_attr_destroy(&attr);
}

static void *gw_acceptor(void *arg) {
    gw_http *g = arg;
    struct pollfd p[2] = {{g->listen_fd, POLLIN, 0}, {g->stop_fd, POLLIN, 0}};
    for (;;) {
        p[0].revents = p[1].revents = 0;
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            gw_log_msg(LOG_ERROR, "gateway.accept_failed", "poll: %s", strerror(errno));
            break;
        }
        if (p[1].revents) break;
        if (!(p[0].revents & POLLIN)) continue;
        struct sockaddr_storage ss = {0};
        socklen_t len = sizeof ss;
        int fd = accept4(g->listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
        if (fd >= 0) gw_admit(g, fd, &ss);
        else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            usleep(50 * 1000); /* out of descriptors: let connections end, don't spin */
    }
    return NULL;
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
            if (k->receiving && !k->cut && now - k->since_ms > g->cfg.request_timeout_ms) {
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

/* Binds the listening socket, so the port is known (and a busy port is
 * reported plainly) before any connection thread exists. */
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
    g->listen_fd = fd;
    g->stop_fd = eventfd(0, EFD_CLOEXEC);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->stop_cv, NULL);
    pthread_cond_init(&g->gone_cv, NULL);
    g->acceptor_started =
        g->stop_fd >= 0 && pthread_create(&g->acceptor, NULL, gw_acceptor, g) == 0;
    if (!g->acceptor_started) {
        snprintf(err, errlen, "cannot start the HTTP server on %s:%u", cfg->bind_addr, bound);
        gw_http_stop(g);
        return NULL;
    }
    g->reaper_started = pthread_create(&g->reaper, NULL, gw_reaper, g) == 0;
    return g;
}

unsigned short gw_http_port(const gw_http *g) { return g->port; }

void gw_http_quiesce(gw_http *g) {
    if (g->quiesced) return;
    uint64_t one = 1;
    if (g->acceptor_started) {
        if (write(g->stop_fd, &one, sizeof one) != (ssize_t)sizeof one) abort();
        pthread_join(g->acceptor, NULL);
    }
    close(g->listen_fd);
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
    /* the hosts are shut down first, so no thread waits on an invocation:
     * cutting the sockets ends the rest, and their threads free them */
    pthread_mutex_lock(&g->mu);
    for (gw_conn *k = g->head; k; k = k->next)
        if (!k->cut) gw_cut(g, k);
    while (g->n_conns) pthread_cond_wait(&g->gone_cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    if (g->stop_fd >= 0) close(g->stop_fd);
    pthread_cond_destroy(&g->gone_cv);
    pthread_cond_destroy(&g->stop_cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}
