/* rtconn: HTTP/1.1 over one keep-alive socket to the Runtime API (see
 * rtconn.h). Blocking-style requests on a non-blocking socket: poll() gives
 * every wait its deadline. */
#include "platform/rtconn.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "platform/log.h"
#include "platform/clock.h"

#define NO_DEADLINE (-1)
#define MAX_HEAD_BYTES (64u * 1024u)

/* ------------------------------------------------------------ the socket */

int rtconn_init(rtconn *c, const char *authority) {
    memset(c, 0, offsetof(rtconn, buf));
    c->fd = -1;
    c->wake_fd = -1;
    const char *colon = strrchr(authority, ':');
    if (!colon || colon == authority || !colon[1] || strlen(colon + 1) >= sizeof c->port ||
        strlen(authority) >= sizeof c->authority)
        return -1;
    const char *host = authority;
    size_t host_len = (size_t)(colon - authority);
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') host++, host_len -= 2;
    memcpy(c->host, host, host_len);
    c->host[host_len] = '\0';
    snprintf(c->port, sizeof c->port, "%s", colon + 1);
    snprintf(c->authority, sizeof c->authority, "%s", authority);
    return 0;
}

/* Waits for events on fd until the monotonic deadline (NO_DEADLINE: forever).
 * With c (NULL: none) awaiting a GET's answer, c->wake_fd turning readable
 * ends the wait too: -1 with c->interrupted set. */
static int wait_fd(rtconn *c, int fd, short events, int64_t deadline) {
    int wake = c && c->wakeable ? c->wake_fd : -1;
    for (;;) {
        int timeout = -1;
        if (deadline != NO_DEADLINE) {
            int64_t left = deadline - clock_mono_ms();
            if (left <= 0) return -1;
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = wake, .events = POLLIN}};
        int n = poll(p, wake >= 0 ? 2 : 1, timeout);
        if (n > 0 && p[0].revents) return 0; /* errors surface in the following recv/send */
        if (n > 0) {                         /* only the wake fd */
            c->interrupted = 1;
            return -1;
        }
        if (n == 0 || errno != EINTR) return -1;
    }
}

void rtconn_close(rtconn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->pos = c->len = 0;
}

static int connect_one(const struct addrinfo *ai) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        int err = 0;
        socklen_t len = sizeof err;
        if (errno != EINPROGRESS ||
            wait_fd(NULL, fd, POLLOUT, clock_mono_ms() + RTCONN_CONNECT_TIMEOUT_MS) != 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            close(fd);
            return -1;
        }
    }
    int one = 1; /* requests are written whole: never wait for Nagle */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int conn_open(rtconn *c) {
    rtconn_close(c);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list = NULL;
    if (getaddrinfo(c->host, c->port, &hints, &list) != 0) return -1;
    for (const struct addrinfo *ai = list; ai && c->fd < 0; ai = ai->ai_next)
        c->fd = connect_one(ai);
    freeaddrinfo(list);
    if (c->fd < 0) return -1;
    c->opened++;
    return 0;
}

/* Refills the (fully consumed) buffer: 0 data, 1 end of stream, -1 error or timeout. */
static int conn_fill(rtconn *c, int64_t deadline) {
    c->pos = c->len = 0;
    for (;;) {
        ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
        if (n > 0) {
            c->len = (size_t)n;
            c->wakeable = 0; /* an answer is arriving: it is read whole */
            return 0;
        }
        if (n == 0) return 1;
        if (errno == EINTR) continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || wait_fd(c, c->fd, POLLIN, deadline) != 0)
            return -1;
    }
}

static int conn_send(rtconn *c, struct iovec *iov, int iovcnt, int64_t deadline) {
    while (iovcnt > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
                wait_fd(c, c->fd, POLLOUT, deadline) == 0)
                continue;
            return -1;
        }
        size_t done = (size_t)n;
        while (iovcnt > 0 && done >= iov->iov_len) done -= iov->iov_len, iov++, iovcnt--;
        if (iovcnt > 0) {
            iov->iov_base = (char *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return 0;
}

/* ------------------------------------------------------------- answers */

static void resp_reset(rtconn_resp *r) {
    r->status = 0;
    r->keep_alive = 1;
    r->too_large = 0;
    r->body_size = 0;
    r->n_headers = 0;
    dstr_clear(&r->body);
    dstr_clear(&r->head);
}

void rtconn_resp_free(rtconn_resp *r) {
    dstr_free(&r->body);
    dstr_free(&r->head);
}

const char *rtconn_header(const rtconn_resp *r, const char *lower_name) {
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *name = r->head.ptr + r->at[i];
        if (strcmp(name, lower_name) == 0) return name + strlen(name) + 1;
    }
    return NULL;
}

/* -1 once the body passes RTCONN_MAX_BODY: no API sends that much. */
static int resp_accept(rtconn_resp *r, const char *data, size_t n) {
    r->body_size += n;
    if (r->body_size > RTCONN_MAX_BODY) return -1;
    if (r->body_size > RT_MAX_PAYLOAD) {
        r->too_large = 1;
        dstr_free(&r->body);
    } else {
        dstr_append(&r->body, data, n);
    }
    return 0;
}

/* Appends one line, "\n" included, to out; fails past max bytes. */
static int read_line(rtconn *c, dstr *out, size_t max, int64_t deadline) {
    for (;;) {
        const char *avail = c->buf + c->pos;
        const char *nl = memchr(avail, '\n', c->len - c->pos);
        size_t take = nl ? (size_t)(nl - avail) + 1 : c->len - c->pos;
        if (out->len + take > max) return -1;
        dstr_append(out, avail, take);
        c->pos += take;
        if (nl) return 0;
        if (conn_fill(c, deadline) != 0) return -1;
    }
}

static void chomp(dstr *s) {
    while (s->len && (s->ptr[s->len - 1] == '\n' || s->ptr[s->len - 1] == '\r'))
        s->ptr[--s->len] = '\0';
}

static int read_exact(rtconn *c, size_t n, rtconn_resp *r, int64_t deadline) {
    while (n > 0) {
        if (c->pos == c->len && conn_fill(c, deadline) != 0) return -1;
        size_t take = c->len - c->pos < n ? c->len - c->pos : n;
        if (resp_accept(r, c->buf + c->pos, take) != 0) return -1;
        c->pos += take;
        n -= take;
    }
    return 0;
}

static int parse_status(const char *line, rtconn_resp *r) {
    if (strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)line[7]) || line[8] != ' ' ||
        !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
        !isdigit((unsigned char)line[11]))
        return -1;
    r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    r->keep_alive = line[7] != '0'; /* HTTP/1.0 closes unless told otherwise: assume it does */
    return 0;
}

static int add_header(rtconn_resp *r, const char *line) {
    const char *colon = strchr(line, ':');
    if (!colon || colon == line || r->n_headers == RTCONN_MAX_HEADERS ||
        r->head.len > MAX_HEAD_BYTES)
        return -1;
    r->at[r->n_headers++] = r->head.len;
    for (const char *p = line; p < colon; p++)
        dstr_putc(&r->head, (char)tolower((unsigned char)*p));
    dstr_putc(&r->head, '\0');
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    dstr_append(&r->head, v, n);
    dstr_putc(&r->head, '\0');
    return 0;
}

static int read_head(rtconn *c, rtconn_resp *r, int64_t deadline) {
    dstr line = {0};
    int rc = -1;
    do { /* interim 1xx answers carry nothing for us */
        r->n_headers = 0;
        dstr_clear(&r->head);
        dstr_clear(&line);
        if (read_line(c, &line, MAX_HEAD_BYTES, deadline) != 0 || parse_status(line.ptr, r) != 0)
            goto out;
        for (;;) {
            dstr_clear(&line);
            if (read_line(c, &line, MAX_HEAD_BYTES, deadline) != 0) goto out;
            chomp(&line);
            if (line.len == 0) break;
            if (add_header(r, line.ptr) != 0) goto out;
        }
    } while (r->status < 200);
    rc = 0;
out:
    dstr_free(&line);
    return rc;
}

static int read_chunked(rtconn *c, rtconn_resp *r, int64_t deadline) {
    dstr line = {0};
    int rc = -1;
    for (;;) {
        dstr_clear(&line);
        if (read_line(c, &line, 1024, deadline) != 0 || !isxdigit((unsigned char)line.ptr[0]))
            goto out;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(line.ptr, &end, 16);
        if (errno || n > RTCONN_MAX_BODY || !*end || !strchr(";\r\n \t", *end)) goto out;
        if (n == 0) break;
        dstr_clear(&line);
        if (read_exact(c, (size_t)n, r, deadline) != 0 || read_line(c, &line, 2, deadline) != 0)
            goto out;
        chomp(&line);
        if (line.len != 0) goto out;
    }
    do { /* trailer fields, up to the empty line */
        dstr_clear(&line);
        if (read_line(c, &line, MAX_HEAD_BYTES, deadline) != 0) goto out;
        chomp(&line);
    } while (line.len != 0);
    rc = 0;
out:
    dstr_free(&line);
    return rc;
}

static int has_token(const char *list, const char *token) {
    size_t n = strlen(token);
    for (const char *p = list; *p; p++)
        if (strncasecmp(p, token, n) == 0) return 1;
    return 0;
}

/* The Content-Length, or NULL when there is none. Repeats must agree: two
 * different lengths leave the body's end unknown (the answer after it would
 * be read from the middle of this one), so *bad is set. */
static const char *content_length(const rtconn_resp *r, int *bad) {
    const char *cl = NULL;
    *bad = 0;
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *name = r->head.ptr + r->at[i];
        if (strcmp(name, "content-length") != 0) continue;
        const char *v = name + strlen(name) + 1;
        if (cl && strcmp(cl, v) != 0) *bad = 1;
        cl = v;
    }
    return cl;
}

static int read_body(rtconn *c, rtconn_resp *r, int64_t deadline) {
    const char *te = rtconn_header(r, "transfer-encoding");
    int cl_conflict;
    const char *cl = content_length(r, &cl_conflict);
    if (cl_conflict) return -1;
    const char *conn = rtconn_header(r, "connection");
    if (conn && has_token(conn, "close")) r->keep_alive = 0;
    if (r->status == 204 || r->status == 304) return 0;
    if (te && has_token(te, "chunked")) return read_chunked(c, r, deadline);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        /* a length no API would send is a protocol error, not a wait for
         * bytes that never come (a GET has no deadline) */
        if (!isdigit((unsigned char)cl[0]) || *end || errno || n > RTCONN_MAX_BODY) return -1;
        if (n <= RT_MAX_PAYLOAD) dstr_reserve(&r->body, (size_t)n);
        return read_exact(c, (size_t)n, r, deadline);
    }
    r->keep_alive = 0; /* no framing: the body ends with the connection */
    int got;
    do {
        if (resp_accept(r, c->buf + c->pos, c->len - c->pos) != 0) return -1;
        c->pos = c->len;
    } while ((got = conn_fill(c, deadline)) == 0);
    return got == 1 ? 0 : -1;
}

/* The status line, the head and the body of one answer. */
static int read_answer(rtconn *c, rtconn_resp *r, int64_t deadline) {
    int rc = read_head(c, r, deadline);
    if (rc == 0) rc = read_body(c, r, deadline);
    return rc;
}

/* ------------------------------------------------------------- requests */

static int exchange(rtconn *c, const rtconn_req *q, rtconn_resp *r) {
    int has_body = strcmp(q->method, "GET") != 0;
    int64_t deadline = has_body ? clock_mono_ms() + RTCONN_POST_TIMEOUT_MS : NO_DEADLINE;
    dstr head = {0};
    dstr_printf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: trader-runtime/1\r\n", q->method,
                q->path, c->authority);
    if (has_body)
        dstr_printf(&head, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                    q->content_type ? q->content_type : "application/json", q->body_len);
    if (q->error_type)
        dstr_printf(&head, "Lambda-Runtime-Function-Error-Type: %s\r\n", q->error_type);
    dstr_puts(&head, "\r\n");
    struct iovec iov[2] = {{head.ptr, head.len}, {(void *)q->body, has_body ? q->body_len : 0}};
    int rc = conn_send(c, iov, 2, deadline);
    dstr_free(&head);
    c->wakeable = !has_body && c->wake_fd >= 0; /* a GET: GET /next waits while idle */
    if (rc == 0) rc = read_answer(c, r, deadline);
    c->wakeable = 0;
    return rc;
}

int rtconn_read_answer(rtconn *c, rtconn_resp *r, long timeout_ms) {
    resp_reset(r);
    return read_answer(c, r, timeout_ms < 0 ? NO_DEADLINE : clock_mono_ms() + timeout_ms);
}

int rtconn_call(rtconn *c, const rtconn_req *q, rtconn_resp *r) {
    c->interrupted = 0;
    for (int attempt = 1; attempt <= 2; attempt++) {
        resp_reset(r);
        if ((c->fd >= 0 || conn_open(c) == 0) && exchange(c, q, r) == 0) {
            if (!r->keep_alive) rtconn_close(c);
            return 0;
        }
        rtconn_close(c); /* interrupted too: an answer could still arrive on it */
        if (c->interrupted) return RTCONN_INTERRUPTED;
        log_rec *l = log_begin(LOG_WARN, "runtime.connection_failed");
        log_str(l, "path", q->path);
        log_int(l, "attempt", attempt);
        log_end(l);
    }
    return -1;
}

void rtconn_error_type(const rtconn_resp *r, char *out, size_t cap) {
    out[0] = '\0';
    const char *p = r->body.ptr ? strstr(r->body.ptr, "\"errorType\"") : NULL;
    if (!p) return;
    p += strlen("\"errorType\"");
    while (*p == ' ' || *p == ':') p++;
    if (*p++ != '"') return;
    size_t n = 0;
    while (p[n] && p[n] != '"' && n + 1 < cap && isprint((unsigned char)p[n])) n++;
    memcpy(out, p, n);
    out[n] = '\0';
}
