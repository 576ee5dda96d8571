/* gw_http: HTTP front end (libmicrohttpd) mapping requests to invocations. */
#include "gw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_event.h"
#include "gw_ids.h"
#include "gw_log.h"

#define GW_MAX_BODY (6u * 1024u * 1024u)

struct gw_http {
    gw_http_config cfg;
    struct MHD_Daemon *d;
    unsigned short port;
    int quiesced;
};

typedef struct gw_req {
    char *raw_uri;
    dstr body;
    int too_large;
    int started;
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

static void *gw_uri_logger(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)cls;
    (void)c;
    gw_req *q = calloc(1, sizeof *q);
    if (!q) abort();
    q->raw_uri = strdup(uri ? uri : "/");
    if (!q->raw_uri) abort();
    q->start_ms = gw_now_ms();
    return q;
}

static enum MHD_Result gw_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls) {
    (void)url; /* MHD's copy is unescaped; the raw one came through gw_uri_logger */
    gw_http *g = cls;
    gw_req *q = *con_cls;
    if (!q) return MHD_NO; /* cannot happen: the URI logger always sets it */
    if (!q->started) {
        q->started = 1;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (q->body.len + *upload_data_size > GW_MAX_BODY) q->too_large = 1;
        else if (!q->too_large) dstr_append(&q->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return gw_handle(g, c, method, version, q);
}

static void gw_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    gw_req *q = *con_cls;
    if (!q) return;
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
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    g->d =
        MHD_start_daemon(flags, 0, NULL, NULL, gw_access, g, MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_URI_LOG_CALLBACK, gw_uri_logger, g, MHD_OPTION_NOTIFY_COMPLETED,
                         gw_completed, g, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
    if (!g->d) {
        snprintf(err, errlen, "cannot start the HTTP server on %s:%u", cfg->bind_addr, bound);
        close(fd);
        free(g);
        return NULL;
    }
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
    MHD_stop_daemon(g->d);
    free(g);
}
