/* run_gateway: end-to-end test of the local gateway, scheduler and invoke.
 *
 *   run_gateway BUILD_DIR      (e.g. build/asan)
 *
 * Starts BUILD_DIR/bin/gateway on a free port with a temporary route table
 * and functions directory whose bootstraps are symlinks to
 * BUILD_DIR/bin/gw_test_fn, drives it over HTTP with libcurl, checks the
 * answers, the events the function saw, the logs and the shutdown, then runs
 * BUILD_DIR/bin/invoke. Prints "gateway: N passed, N failed" and exits
 * non-zero on any failure. Everything it starts is stopped; a global alarm
 * bounds the run. */
#include <cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/dstr.h"

#define RUN_ALARM_S 150

static int n_pass, n_fail;
static char tmp_dir[PATH_MAX];
static char bin_gateway[PATH_MAX], bin_fn[PATH_MAX], bin_invoke[PATH_MAX];
static volatile pid_t live_gateways[4];

/* ---- reporting ------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static int check_at(int ok, int line, const char *fmt, ...) {
    if (ok) {
        n_pass++;
        return 1;
    }
    n_fail++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL (line %d): ", line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 0;
}
#define CHECK(ok, ...) check_at((ok), __LINE__, __VA_ARGS__)

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int matches(const char *re, const char *s) {
    regex_t rx;
    if (!s || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) return 0;
    int ok = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

#define RE_UUID "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"

/* ---- JSON helpers ------------------------------------------------------------ */

static const cJSON *jget(const cJSON *root, const char *dotted) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", dotted);
    const cJSON *cur = root;
    char *save = NULL;
    for (char *k = strtok_r(buf, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, k);
    return cur;
}

static const char *jstr(const cJSON *root, const char *dotted) {
    const cJSON *v = jget(root, dotted);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *root, const char *dotted) {
    const cJSON *v = jget(root, dotted);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* ---- HTTP client ------------------------------------------------------------- */

typedef struct http_resp {
    long status;
    dstr body;
    dstr headers;
    long long ms;
} http_resp;

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    dstr_append(ud, p, size * n);
    return size * n;
}

static void http_call(int port, const char *method, const char *path, const char *const *headers,
                      const char *body, size_t body_len, http_resp *r) {
    *r = (http_resp){0};
    dstr url = {0};
    dstr_printf(&url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *hl = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; headers && headers[i]; i++) hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, dstr_cstr(&url));
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    long long t0 = now_ms();
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    r->ms = now_ms() - t0;
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    dstr_free(&url);
}

static void http_get(int port, const char *path, http_resp *r) {
    http_call(port, "GET", path, NULL, NULL, 0, r);
}

static void resp_free(http_resp *r) {
    dstr_free(&r->body);
    dstr_free(&r->headers);
}

/* Value of the n-th header called name (case-insensitive), or NULL. */
static const char *resp_header(const http_resp *r, const char *name, int nth, char *buf,
                               size_t cap) {
    const char *p = dstr_cstr(&r->headers);
    size_t nl = strlen(name);
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':' && nth-- == 0) {
            const char *v = p + nl + 1;
            while (*v == ' ') v++;
            size_t vl = len - (size_t)(v - p);
            while (vl && (v[vl - 1] == '\r')) vl--;
            snprintf(buf, cap, "%.*s", (int)vl, v);
            return buf;
        }
        p += len + (eol ? 1 : 0);
    }
    return NULL;
}

static int resp_is_message(const http_resp *r, long status, const char *message) {
    char want[128];
    snprintf(want, sizeof want, "{\"message\":\"%s\"}", message);
    return r->status == status && streq(dstr_cstr(&r->body), want);
}

/* The echo action answers the event and runtime facts as JSON in the body. */
static cJSON *echo_body(const http_resp *r) { return cJSON_Parse(dstr_cstr(&r->body)); }

static long pid_of(int port, const char *path) {
    http_resp r;
    http_get(port, path, &r);
    cJSON *j = cJSON_Parse(dstr_cstr(&r.body));
    long pid = r.status == 200 ? (long)jnum(j, "pid") : -1;
    cJSON_Delete(j);
    resp_free(&r);
    return pid;
}

/* ---- raw sockets: requests curl will not send, and slow senders ---------------- */

static int raw_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until the server closes or timeout_ms passes; 1 if it closed. */
static int raw_read_all(int fd, dstr *out, long timeout_ms) {
    long long end = now_ms() + timeout_ms;
    for (;;) {
        long long left = end - now_ms();
        if (left <= 0) return 0;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0) return 0;
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return 1;
        if (out) dstr_append(out, buf, (size_t)n);
    }
}

/* Sends a whole request and returns the raw answer (status line on). */
static void raw_exchange(int port, const char *req, size_t len, dstr *out) {
    int fd = raw_connect(port);
    if (fd < 0) return;
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += (size_t)n;
    }
    raw_read_all(fd, out, 5000);
    close(fd);
}

/* ---- request limits (API Gateway: 10,240 bytes of request line + headers) ---- */

static int is_error_json(const http_resp *r, long status, const char *code) {
    cJSON *j = cJSON_Parse(dstr_cstr(&r->body));
    char b[64];
    int ok = r->status == status && streq(jstr(j, "error"), code) && jstr(j, "message") &&
             resp_header(r, "apigw-requestid", 0, b, sizeof b) && strlen(b) == 16 &&
             streq(resp_header(r, "content-type", 0, b, sizeof b), "application/json");
    cJSON_Delete(j);
    return ok;
}

static void test_request_limits(int port) {
    dstr uri = {0};
    dstr_puts(&uri, "/echo?");
    for (int i = 0; i < 450; i++) dstr_printf(&uri, "%sp%d=v", i ? "&" : "", i);
    http_resp r;
    /* this one used to get no answer and leak the request's state */
    for (int i = 0; i < 40; i++) {
        http_get(port, dstr_cstr(&uri), &r);
        cJSON *j = echo_body(&r);
        int ok = r.status == 200 && streq(jstr(j, "event.queryStringParameters.p449"), "v");
        cJSON_Delete(j);
        resp_free(&r);
        if (!CHECK(ok, "450 query parameters (%zu bytes): answered 200 (%ld, try %d)", uri.len,
                   r.status, i))
            break;
    }
    /* the worst shape under the limit: 10,000 bytes of one-letter parameters */
    dstr_clear(&uri);
    dstr_puts(&uri, "/echo?");
    while (uri.len < 10000) dstr_puts(&uri, "a&");
    http_get(port, dstr_cstr(&uri), &r);
    CHECK(r.status == 200, "10,000-byte URI of 5,000 parameters: 200 (%ld)", r.status);
    resp_free(&r);
    dstr_clear(&uri);
    dstr_puts(&uri, "/echo?x=");
    while (uri.len < 12 * 1024) dstr_putc(&uri, 'y');
    for (int i = 0; i < 3; i++) {
        http_get(port, dstr_cstr(&uri), &r);
        CHECK(is_error_json(&r, 414, "uri_too_long"), "12 KB URI: 414 JSON (%ld %.100s)", r.status,
              dstr_cstr(&r.body));
        resp_free(&r);
    }
    dstr big_hdr = {0};
    dstr_puts(&big_hdr, "X-Big: ");
    while (big_hdr.len < 11000) dstr_putc(&big_hdr, 'h');
    const char *hdrs[] = {dstr_cstr(&big_hdr), NULL};
    http_call(port, "GET", "/echo", hdrs, NULL, 0, &r);
    CHECK(is_error_json(&r, 431, "headers_too_large"), "11 KB header: 431 JSON (%ld)", r.status);
    resp_free(&r);
    dstr_free(&big_hdr);
    dstr_free(&uri);
    static const char smuggle[] = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                  "Content-Length: 30\r\n\r\nabc";
    dstr raw = {0};
    raw_exchange(port, smuggle, sizeof smuggle - 1, &raw);
    CHECK(strncmp(dstr_cstr(&raw), "HTTP/1.1 400", 12) == 0 &&
              strstr(dstr_cstr(&raw), "\"error\":\"bad_request\"") &&
              strstr(dstr_cstr(&raw), "pigw-requestid:"),
          "two different Content-Length headers: 400 JSON (%.60s)", dstr_cstr(&raw));
    dstr_free(&raw);
}

/* ---- malformed HTTP: the gateway's own refusals, JSON with a request id ---- */

/* Is `ans` (one raw answer, its body to the end of the text) status with
 * the gateway's error shape for code (or API Gateway's 413 message when
 * code is NULL), a 16-character apigw-requestid and Content-Type JSON? */
static int raw_is_error(const char *ans, long status, const char *code) {
    const char *end = strstr(ans, "\r\n\r\n");
    if (strncmp(ans, "HTTP/1.1 ", 9) != 0 || !end) return 0;
    char *head = strndup(ans, (size_t)(end - ans) + 2); /* lower case: names are */
    if (!head) abort();
    for (char *p = head; *p; p++) *p = (char)tolower((unsigned char)*p);
    const char *id = strstr(head, "\r\napigw-requestid: ");
    int ok = strtol(ans + 9, NULL, 10) == status && id && strcspn(id + 19, "\r\n") == 16 &&
             strstr(head, "\r\ncontent-type: application/json\r\n");
    free(head);
    cJSON *j = cJSON_Parse(end + 4);
    if (code) ok = ok && streq(jstr(j, "error"), code) && jstr(j, "message");
    else ok = ok && streq(end + 4, "{\"message\":\"Request Entity Too Large\"}");
    cJSON_Delete(j);
    return ok;
}

/* Every shape libmicrohttpd used to refuse with its own HTML page (or
 * close, or keep waiting for), and the ones the gateway refuses after
 * RFC 9112: each gets its status in JSON with a request id, at once, and
 * the connection closes. */
static void test_malformed_http(int port) {
    static const struct {
        const char *name, *req;
        size_t len; /* 0: strlen */
        long status;
        const char *code; /* NULL: API Gateway's 413 message */
    } cases[] = {
        {"no space in the request line", "GARBAGE\r\n\r\n", 0, 400, "bad_request"},
        {"empty method", " /echo HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400, "bad_request"},
        {"no version", "GET /echo\r\nHost: x\r\n\r\n", 0, 400, "bad_request"},
        {"version HTTP/1.x", "GET /echo HTTP/1.x\r\nHost: x\r\n\r\n", 0, 400, "bad_request"},
        {"version in lower case", "GET /echo http/1.1\r\nHost: x\r\n\r\n", 0, 400, "bad_request"},
        {"HTTP/2.0", "GET /echo HTTP/2.0\r\nHost: x\r\n\r\n", 0, 505, "http_version_not_supported"},
        {"HTTP/0.9", "GET /echo HTTP/0.9\r\nHost: x\r\n\r\n", 0, 505, "http_version_not_supported"},
        {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, 505,
         "http_version_not_supported"},
        {"space in the target", "GET /ec ho HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400, "bad_request"},
        {"header line without a colon", "GET /echo HTTP/1.1\r\nHost: x\r\nBadHeader\r\n\r\n", 0,
         400, "bad_request"},
        {"space before a colon", "GET /echo HTTP/1.1\r\nHost : x\r\n\r\n", 0, 400, "bad_request"},
        {"folded header", "GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 0, 400,
         "bad_request"},
        {"NUL in a header value", "GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 41, 400,
         "bad_request"},
        {"bare CR in a header value", "GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 0, 400,
         "bad_request"},
        {"HTTP/1.1 without Host", "GET /echo HTTP/1.1\r\nAccept: */*\r\n\r\n", 0, 400,
         "bad_request"},
        {"two Host headers", "GET /echo HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 0, 400,
         "bad_request"},
        {"Content-Length not a number",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 0, 400, "bad_request"},
        {"negative Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
         0, 400, "bad_request"},
        {"Content-Length over 64 bits",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0,
         413, NULL},
        {"Content-Length over 6 MB",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 7000000\r\n\r\n", 0, 413, NULL},
        {"Transfer-Encoding gzip",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", 0, 400,
         "bad_request"},
        {"Transfer-Encoding gzip, chunked",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 0,
         501, "not_implemented"},
        {"Transfer-Encoding and Content-Length",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
         "3\r\nabc\r\n0\r\n\r\n",
         0, 400, "bad_request"},
        {"chunk size not hex",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, 400,
         "bad_request"},
        {"chunk size over 64 bits",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
         "chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n",
         0, 413, NULL},
        {"chunk data without its CRLF",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX", 0, 400,
         "bad_request"},
        {"malformed trailer",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
         "bad trailer\r\n\r\n",
         0, 400, "bad_request"},
        {"TLS handshake on the HTTP port", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 0, 400,
         "bad_request"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].req);
        int fd = raw_connect(port);
        dstr out = {0};
        long long t0 = now_ms();
        int closed = 0;
        if (fd >= 0 && send(fd, cases[i].req, len, MSG_NOSIGNAL) == (ssize_t)len)
            closed = raw_read_all(fd, &out, 3000);
        long long took = now_ms() - t0;
        if (fd >= 0) close(fd);
        CHECK(raw_is_error(dstr_cstr(&out), cases[i].status, cases[i].code) && closed &&
                  took < 2000,
              "%s: %ld %s JSON with a request id, closed at once (closed %d after %lld ms: %.200s)",
              cases[i].name, cases[i].status, cases[i].code ? cases[i].code : "413 message", closed,
              took, dstr_cstr(&out));
        dstr_free(&out);
    }
}

/* Keep-alive: a refusal after a served request on the same connection, sent
 * after the first answer or pipelined behind it; and requests that are
 * well formed keep being served (chunked, HTTP/1.0, pipelined, leading
 * empty line). */
static void test_keepalive_refusals(int port) {
    static const char good[] = "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char bad[] = "GET /echo HTTP/9.9\r\nHost: x\r\n\r\n";
    int fd = raw_connect(port);
    dstr out = {0};
    if (fd >= 0 && send(fd, good, sizeof good - 1, MSG_NOSIGNAL) > 0) {
        for (long long end = now_ms() + 3000;
             !strstr(dstr_cstr(&out), "\"runtime\"") && now_ms() < end;)
            raw_read_all(fd, &out, 100);
        dstr_clear(&out);
        if (send(fd, bad, sizeof bad - 1, MSG_NOSIGNAL) > 0) raw_read_all(fd, &out, 3000);
    }
    CHECK(raw_is_error(dstr_cstr(&out), 505, "http_version_not_supported"),
          "keep-alive follow-up with HTTP/9.9: 505 JSON (%.200s)", dstr_cstr(&out));
    if (fd >= 0) close(fd);
    dstr_free(&out);

    dstr both = {0};
    dstr_puts(&both, good);
    dstr_puts(&both, bad);
    raw_exchange(port, dstr_cstr(&both), both.len, &out);
    const char *second = strstr(dstr_cstr(&out) + 1, "HTTP/1.1 505");
    CHECK(strncmp(dstr_cstr(&out), "HTTP/1.1 200", 12) == 0 && second &&
              raw_is_error(second, 505, "http_version_not_supported"),
          "pipelined behind a served request: 200, then 505 JSON (%.300s)", dstr_cstr(&out));
    dstr_free(&out);
    dstr_free(&both);

    static const char chunked[] = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                  "Connection: close\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n"
                                  "X-Trailer: t\r\n\r\n";
    raw_exchange(port, chunked, sizeof chunked - 1, &out);
    CHECK(strncmp(dstr_cstr(&out), "HTTP/1.1 200", 12) == 0 &&
              strstr(dstr_cstr(&out), "\"body\":\"abcde\""),
          "chunked body served (%.200s)", dstr_cstr(&out));
    dstr_free(&out);
    static const char http10[] = "\r\nGET /echo HTTP/1.0\r\n\r\n";
    raw_exchange(port, http10, sizeof http10 - 1, &out);
    CHECK(strncmp(dstr_cstr(&out), "HTTP/1.1 200", 12) == 0 &&
              strstr(dstr_cstr(&out), "\"protocol\":\"HTTP/1.0\""),
          "HTTP/1.0 without Host after an empty line: served, closed (%.200s)", dstr_cstr(&out));
    dstr_free(&out);
    static const char two[] = "GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /echo?n=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_exchange(port, two, sizeof two - 1, &out);
    const char *n2 = strstr(dstr_cstr(&out), "\"rawQueryString\":\"n=2\"");
    CHECK(strstr(dstr_cstr(&out), "\"rawQueryString\":\"n=1\"") && n2,
          "two pipelined requests: both served in order (%.200s)", dstr_cstr(&out));
    dstr_free(&out);
}

/* ---- slow senders ------------------------------------------------------------ */

#define SLOW_SOCKETS 300

/* 300 connections trickle a header line every 3 s for ~8 s (more than the
 * 256 connections the gateway takes) while a normal client keeps asking. */
static void test_slow_clients(int port) {
    int fds[SLOW_SOCKETS];
    int opened = 0;
    static const char head[] = "GET /echo HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < SLOW_SOCKETS; i++) {
        fds[i] = raw_connect(port);
        if (fds[i] >= 0) {
            opened++;
            if (send(fds[i], head, sizeof head - 1, MSG_NOSIGNAL) < 0) {
            }
        }
    }
    CHECK(opened == SLOW_SOCKETS, "slow clients connected (%d)", opened);
    long long t0 = now_ms(), next_trickle = t0 + 3000;
    int served = 0, asked = 0;
    long long worst = 0;
    while (now_ms() - t0 < 8000) {
        http_resp r;
        http_get(port, "/pid", &r);
        asked++;
        if (r.status == 200 && r.ms < 2000) served++;
        if (r.ms > worst) worst = r.ms;
        resp_free(&r);
        if (now_ms() >= next_trickle) {
            for (int i = 0; i < SLOW_SOCKETS; i++)
                if (fds[i] >= 0 && send(fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) < 0) {
                }
            next_trickle += 3000;
        }
        usleep(100000);
    }
    CHECK(asked > 10 && served == asked,
          "normal requests during 300 slow senders: %d of %d served within 2 s (worst %lld ms)",
          served, asked, worst);
    for (int i = 0; i < SLOW_SOCKETS; i++)
        if (fds[i] >= 0) close(fds[i]);
}

/* A request still incomplete after LOCAL_REQUEST_TIMEOUT_MS is cut off, even
 * when its sender keeps trickling bytes. */
static void test_request_deadline(int port, long timeout_ms) {
    int fd = raw_connect(port);
    static const char head[] = "GET /echo HTTP/1.1\r\nHost: x\r\n";
    long long t0 = now_ms();
    int closed = 0;
    if (fd >= 0 && send(fd, head, sizeof head - 1, MSG_NOSIGNAL) > 0)
        while (!closed && now_ms() - t0 < timeout_ms + 3000) {
            if (send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) < 0) closed = 1;
            else closed = raw_read_all(fd, NULL, 300);
        }
    long long took = now_ms() - t0;
    CHECK(closed && took >= timeout_ms - 100 && took < timeout_ms + 1500,
          "trickling sender closed after %lld ms (deadline %ld ms)", took, timeout_ms);
    if (fd >= 0) close(fd);
    http_resp r;
    http_get(port, "/slow/pid", &r);
    CHECK(r.status == 200, "the gateway serves on after cutting a slow sender (%ld)", r.status);
    resp_free(&r);
}

/* ---- files and processes ---------------------------------------------------- */

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "run_gateway: cannot write %s\n", path);
        exit(2);
    }
}

static void read_whole(const char *path, dstr *out) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) dstr_append(out, buf, n);
    fclose(f);
}

static void make_function(const char *name) {
    char dir[PATH_MAX + 64], link[PATH_MAX + 80];
    snprintf(dir, sizeof dir, "%s/fns/%s", tmp_dir, name);
    mkdir(dir, 0755);
    snprintf(link, sizeof link, "%s/bootstrap", dir);
    if (symlink(bin_fn, link) != 0) {
        perror("run_gateway: symlink");
        exit(2);
    }
}

typedef struct gw_proc {
    pid_t pid;
    int port;
    int slot;
    char log[PATH_MAX + 32];
    char errlog[PATH_MAX + 32];
} gw_proc;

/* Starts the gateway with extra env ("K=V") and args; waits for its port. */
static int gw_start(gw_proc *g, const char *name, const char *const *env, const char *const *args) {
    char port_file[PATH_MAX + 32];
    snprintf(port_file, sizeof port_file, "%s/%s.port", tmp_dir, name);
    snprintf(g->log, sizeof g->log, "%s/%s.log", tmp_dir, name);
    snprintf(g->errlog, sizeof g->errlog, "%s/%s.err", tmp_dir, name);
    unlink(port_file);
    char routes[PATH_MAX + 32], fns[PATH_MAX + 32];
    snprintf(routes, sizeof routes, "%s/routes.tsv", tmp_dir);
    snprintf(fns, sizeof fns, "%s/fns", tmp_dir);
    const char *argv[32] = {bin_gateway,   "--port",          "0",
                            "--port-file", port_file,         "--routes",
                            routes,        "--functions-dir", fns};
    int ac = 9;
    for (size_t i = 0; args && args[i] && ac < 30; i++) argv[ac++] = args[i];
    argv[ac] = NULL;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int out = open(g->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(g->errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0) _exit(127);
        dup2(out, 1);
        dup2(err, 2);
        unsetenv("TZ"); /* a gateway sees TZ only when a test gives it */
        for (size_t i = 0; env && env[i]; i++) putenv((char *)env[i]);
        execv(bin_gateway, (char *const *)argv);
        _exit(127);
    }
    g->pid = pid;
    for (g->slot = 0; g->slot < 4 && live_gateways[g->slot]; g->slot++) {
    }
    if (g->slot < 4) live_gateways[g->slot] = pid;
    for (int i = 0; i < 200; i++) { /* up to 10 s */
        FILE *f = fopen(port_file, "r");
        if (f) {
            int ok = fscanf(f, "%d", &g->port) == 1;
            fclose(f);
            if (ok) return 0;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            g->pid = 0;
            return -1;
        }
        usleep(50000);
    }
    return -1;
}

/* SIGTERM, then wait up to 5 s; returns the exit status (or -1). */
static int gw_stop(gw_proc *g) {
    if (g->pid <= 0) return -1;
    kill(g->pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 100; i++) {
        if (waitpid(g->pid, &st, WNOHANG) == g->pid) break;
        usleep(50000);
        if (i == 99) {
            kill(g->pid, SIGKILL);
            waitpid(g->pid, &st, 0);
            st = -1;
        }
    }
    if (g->slot < 4) live_gateways[g->slot] = 0;
    g->pid = 0;
    return st;
}

static void on_alarm(int sig) {
    (void)sig;
    for (int i = 0; i < 4; i++)
        if (live_gateways[i] > 0) kill(live_gateways[i], SIGKILL);
    static const char msg[] = "run_gateway: timed out\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(3);
}

/* Runs a program, feeding stdin_data; captures stdout/stderr. Returns the
 * exit code, or -1 (killed after timeout_ms). */
static int run_prog(const char *const *argv, const char *stdin_data, dstr *out, dstr *err,
                    long timeout_ms, long long *elapsed) {
    int in_p[2], out_p[2], err_p[2];
    if (pipe(in_p) || pipe(out_p) || pipe(err_p)) return -1;
    long long t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in_p[0], 0);
        dup2(out_p[1], 1);
        dup2(err_p[1], 2);
        close(in_p[1]);
        close(out_p[0]);
        close(err_p[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in_p[0]);
    close(out_p[1]);
    close(err_p[1]);
    if (stdin_data) {
        ssize_t w = write(in_p[1], stdin_data, strlen(stdin_data));
        (void)w;
    }
    close(in_p[1]);
    struct pollfd fds[2] = {{out_p[0], POLLIN, 0}, {err_p[0], POLLIN, 0}};
    int open_fds = 2, killed = 0;
    while (open_fds > 0) {
        long left = timeout_ms - (long)(now_ms() - t0);
        if (left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = 1;
        }
        if (poll(fds, 2, left > 0 ? (int)left : 100) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            char buf[8192];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                dstr_append(i == 0 ? out : err, buf, (size_t)n);
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    int st;
    waitpid(pid, &st, 0);
    if (elapsed) *elapsed = now_ms() - t0;
    if (!out->ptr) dstr_puts(out, "");
    if (!err->ptr) dstr_puts(err, "");
    return killed || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* ---- gateway A: the main behaviours ---------------------------------------- */

static void test_echo_event(int port) {
    const char *hdrs[] = {"X-Custom: v1", "X-Custom: v2", "Cookie: c1=1; c2=2",
                          "User-Agent: gwtest/1.0", NULL};
    http_resp r;
    long long t0 = now_ms();
    http_call(port, "GET", "/echo?symbol=BTCUSDT&tf=1h&a=1&a=2&enc=x%20y%2Bz", hdrs, NULL, 0, &r);
    char b1[256], b2[256];
    CHECK(r.status == 200, "echo: status %ld", r.status);
    CHECK(streq(resp_header(&r, "content-type", 0, b1, sizeof b1), "application/json"),
          "echo: content-type");
    CHECK(streq(resp_header(&r, "x-fn", 0, b1, sizeof b1), "echo"), "echo: x-fn header");
    CHECK(streq(resp_header(&r, "set-cookie", 0, b1, sizeof b1), "a=1; Path=/") &&
              streq(resp_header(&r, "set-cookie", 1, b2, sizeof b2), "b=2"),
          "echo: two set-cookie headers from cookies[]");
    const char *apigw = resp_header(&r, "apigw-requestid", 0, b2, sizeof b2);
    CHECK(apigw && strlen(apigw) == 16, "echo: apigw-requestid header");
    cJSON *j = echo_body(&r);
    CHECK(j != NULL, "echo: body is JSON: %.200s", dstr_cstr(&r.body));
    CHECK(streq(jstr(j, "event.version"), "2.0") && streq(jstr(j, "event.routeKey"), "$default"),
          "echo: version/routeKey");
    CHECK(streq(jstr(j, "event.rawPath"), "/echo"), "echo: rawPath");
    CHECK(streq(jstr(j, "event.rawQueryString"), "symbol=BTCUSDT&tf=1h&a=1&a=2&enc=x%20y%2Bz"),
          "echo: rawQueryString '%s'", jstr(j, "event.rawQueryString"));
    CHECK(streq(jstr(j, "event.queryStringParameters.symbol"), "BTCUSDT") &&
              streq(jstr(j, "event.queryStringParameters.tf"), "1h"),
          "echo: query parameters");
    CHECK(streq(jstr(j, "event.queryStringParameters.a"), "1,2"), "echo: duplicate query joined");
    CHECK(streq(jstr(j, "event.queryStringParameters.enc"), "x y+z"), "echo: query decoded");
    CHECK(streq(jstr(j, "event.headers.x-custom"), "v1,v2"), "echo: duplicate headers joined");
    CHECK(jget(j, "event.headers.cookie") == NULL, "echo: cookie header moved out");
    const cJSON *cookies = jget(j, "event.cookies");
    CHECK(cJSON_GetArraySize(cookies) == 2 &&
              streq(cJSON_GetArrayItem(cookies, 0)->valuestring, "c1=1") &&
              streq(cJSON_GetArrayItem(cookies, 1)->valuestring, "c2=2"),
          "echo: cookies array");
    CHECK(streq(jstr(j, "event.headers.user-agent"), "gwtest/1.0"), "echo: lowercased names");
    CHECK(streq(jstr(j, "event.requestContext.http.method"), "GET") &&
              streq(jstr(j, "event.requestContext.http.path"), "/echo") &&
              streq(jstr(j, "event.requestContext.http.sourceIp"), "127.0.0.1") &&
              streq(jstr(j, "event.requestContext.http.userAgent"), "gwtest/1.0") &&
              streq(jstr(j, "event.requestContext.http.protocol"), "HTTP/1.1"),
          "echo: requestContext.http");
    CHECK(streq(jstr(j, "event.requestContext.requestId"), apigw),
          "echo: requestId matches apigw-requestid");
    CHECK(streq(jstr(j, "event.requestContext.stage"), "$default") &&
              streq(jstr(j, "event.requestContext.accountId"), "000000000000"),
          "echo: stage/accountId");
    CHECK(matches("^[0-3][0-9]/[A-Z][a-z]{2}/20[0-9]{2}:[0-2][0-9]:[0-5][0-9]:[0-5][0-9] \\+0000$",
                  jstr(j, "event.requestContext.time")),
          "echo: requestContext.time format '%s'", jstr(j, "event.requestContext.time"));
    double te = jnum(j, "event.requestContext.timeEpoch");
    CHECK(te >= (double)t0 - 1000 && te <= (double)now_ms(), "echo: timeEpoch %.0f", te);
    CHECK(cJSON_IsFalse(jget(j, "event.isBase64Encoded")) && !jget(j, "event.body"),
          "echo: no body, isBase64Encoded false");
    CHECK(matches(RE_UUID, jstr(j, "runtime.request_id")), "echo: request id is a uuid v4");
    double left = jnum(j, "runtime.deadline_ms") - jnum(j, "runtime.now_ms");
    CHECK(left > 1000 && left <= 1500, "echo: deadline %.0f ms ahead (timeout 1500)", left);
    CHECK(streq(jstr(j, "runtime.function_arn"),
                "arn:aws:lambda:eu-central-1:000000000000:function:echo"),
          "echo: function arn '%s'", jstr(j, "runtime.function_arn"));
    const char *trace = jstr(j, "runtime.trace_id");
    CHECK(matches("^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$", trace),
          "echo: trace id '%s'", trace);
    const char *xamzn = jstr(j, "event.headers.x-amzn-trace-id");
    CHECK(trace && xamzn && strncmp(trace, xamzn, 40) == 0,
          "echo: trace root continues x-amzn-trace-id");
    char root[PATH_MAX + 32];
    snprintf(root, sizeof root, "%s/fns/echo", tmp_dir);
    CHECK(streq(jstr(j, "runtime.env.AWS_LAMBDA_FUNCTION_NAME"), "echo") &&
              streq(jstr(j, "runtime.env.AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST") &&
              streq(jstr(j, "runtime.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "128") &&
              streq(jstr(j, "runtime.env.AWS_REGION"), "eu-central-1") &&
              streq(jstr(j, "runtime.env._HANDLER"), "bootstrap") &&
              streq(jstr(j, "runtime.env.LAMBDA_TASK_ROOT"), root) &&
              streq(jstr(j, "runtime.env.TZ"), "Europe/Berlin") &&
              matches("^127\\.0\\.0\\.1:[0-9]+$", jstr(j, "runtime.env.AWS_LAMBDA_RUNTIME_API")),
          "echo: function environment");
    cJSON_Delete(j);
    resp_free(&r);
}

static void test_bodies(int port) {
    const char text[] = "h\xc3\xa9llo w\xc3\xb6rld";
    const char *hdrs[] = {"Content-Type: text/plain", NULL};
    http_resp r;
    http_call(port, "POST", "/echo", hdrs, text, strlen(text), &r);
    cJSON *j = echo_body(&r);
    CHECK(r.status == 200 && streq(jstr(j, "event.body"), text) &&
              cJSON_IsFalse(jget(j, "event.isBase64Encoded")) &&
              streq(jstr(j, "event.requestContext.http.method"), "POST"),
          "post text body");
    cJSON_Delete(j);
    resp_free(&r);
    const char bin[] = {'\x00', '\xff', '\xfe', 'a'};
    http_call(port, "PUT", "/echo", NULL, bin, sizeof bin, &r);
    j = echo_body(&r);
    CHECK(r.status == 200 && streq(jstr(j, "event.body"), "AP/+YQ==") &&
              cJSON_IsTrue(jget(j, "event.isBase64Encoded")),
          "binary body is base64");
    cJSON_Delete(j);
    resp_free(&r);
    http_call(port, "DELETE", "/echo", NULL, NULL, 0, &r);
    j = echo_body(&r);
    CHECK(r.status == 200 && streq(jstr(j, "event.requestContext.http.method"), "DELETE"),
          "any method reaches the function");
    cJSON_Delete(j);
    resp_free(&r);
    size_t big = 6u * 1024u * 1024u + 1u;
    char *huge = malloc(big);
    if (!huge) abort();
    memset(huge, 'x', big);
    http_call(port, "POST", "/echo", NULL, huge, big, &r);
    CHECK(resp_is_message(&r, 413, "Request Entity Too Large"), "6 MB + 1 body: 413 (%ld)",
          r.status);
    free(huge);
    resp_free(&r);
}

static void test_routing(int port) {
    http_resp r;
    http_get(port, "/nope?x=1", &r);
    CHECK(resp_is_message(&r, 404, "Not Found"), "unknown path: 404 Not Found");
    resp_free(&r);
    http_get(port, "/echo/", &r);
    CHECK(resp_is_message(&r, 404, "Not Found"), "exact match only: /echo/ is 404");
    resp_free(&r);
    http_get(port, "/missing/echo", &r);
    CHECK(resp_is_message(&r, 502, "Internal Server Error"), "function not built: 502 (%ld)",
          r.status);
    resp_free(&r);
}

static void test_response_shapes(int port) {
    http_resp r;
    char b[128];
    http_get(port, "/status?code=418", &r);
    CHECK(r.status == 418 && streq(dstr_cstr(&r.body), "custom") &&
              streq(resp_header(&r, "x-status", 0, b, sizeof b), "yes"),
          "statusCode/headers/body mapping");
    resp_free(&r);
    http_get(port, "/binary", &r);
    int bytes_ok = r.body.len == 256;
    for (size_t i = 0; bytes_ok && i < 256; i++) bytes_ok = (unsigned char)r.body.ptr[i] == i;
    CHECK(r.status == 200 && bytes_ok &&
              streq(resp_header(&r, "content-type", 0, b, sizeof b), "application/octet-stream"),
          "isBase64Encoded body decoded to bytes");
    resp_free(&r);
    http_get(port, "/nostatus", &r);
    CHECK(r.status == 200 && streq(dstr_cstr(&r.body), "{\"hello\":\"world\"}") &&
              streq(resp_header(&r, "content-type", 0, b, sizeof b), "application/json"),
          "JSON without statusCode: 200 application/json (%s)", dstr_cstr(&r.body));
    resp_free(&r);
    http_get(port, "/string", &r);
    CHECK(r.status == 200 && streq(dstr_cstr(&r.body), "plain text"), "bare JSON string body");
    resp_free(&r);
    http_get(port, "/notjson", &r);
    CHECK(resp_is_message(&r, 500, "Internal Server Error"), "non-JSON response: 500");
    resp_free(&r);
    http_get(port, "/error", &r);
    CHECK(resp_is_message(&r, 500, "Internal Server Error"), "function error: 500");
    resp_free(&r);
    http_get(port, "/big", &r);
    CHECK(resp_is_message(&r, 500, "Internal Server Error"), "response over 6 MB: 500");
    resp_free(&r);
    http_get(port, "/last", &r);
    cJSON *j = cJSON_Parse(dstr_cstr(&r.body));
    CHECK(jnum(j, "big_status") == 413, "the function got 413 for its 7 MB response");
    cJSON_Delete(j);
    resp_free(&r);
}

static void test_runtime_rules(int port) {
    http_resp r;
    http_get(port, "/probe", &r);
    cJSON *j = cJSON_Parse(dstr_cstr(&r.body));
    CHECK(r.status == 200 && jnum(j, "next_again") == 403, "second /next while open: 403 (%s)",
          dstr_cstr(&r.body));
    CHECK(jnum(j, "bogus_id") == 400, "unknown request id: 400");
    cJSON_Delete(j);
    resp_free(&r);
    http_get(port, "/last", &r);
    j = cJSON_Parse(dstr_cstr(&r.body));
    CHECK(jnum(j, "second_answer") == 400, "answering twice: 400");
    cJSON_Delete(j);
    resp_free(&r);
}

static void test_crash_and_timeout(int port, long *last_pid) {
    long p1 = pid_of(port, "/pid");
    long p1b = pid_of(port, "/pid");
    CHECK(p1 > 0 && p1 == p1b, "warm process reused (%ld, %ld)", p1, p1b);
    http_resp r;
    http_get(port, "/crash", &r);
    CHECK(resp_is_message(&r, 502, "Internal Server Error"), "crash mid-invocation: 502 (%ld)",
          r.status);
    resp_free(&r);
    long p2 = pid_of(port, "/pid");
    CHECK(p2 > 0 && p2 != p1, "after a crash: a new process (%ld -> %ld)", p1, p2);
    http_get(port, "/exit", &r);
    CHECK(resp_is_message(&r, 502, "Internal Server Error"), "exit mid-invocation: 502");
    resp_free(&r);
    long p3 = pid_of(port, "/pid");
    CHECK(p3 > 0 && p3 != p2, "after an exit: a new process");
    *last_pid = p3;

    long s1 = pid_of(port, "/slow/pid");
    http_get(port, "/slow/sleep?ms=5000", &r);
    CHECK(resp_is_message(&r, 500, "Internal Server Error"),
          "function timeout (1.5 s < integration 30 s): 500 (%ld)", r.status);
    CHECK(r.ms >= 1400 && r.ms < 4000, "function timeout answered after %lld ms", r.ms);
    resp_free(&r);
    long s2 = pid_of(port, "/slow/pid");
    CHECK(s1 > 0 && s2 > 0 && s2 != s1, "after a timeout: killed and restarted (%ld -> %ld)", s1,
          s2);
    CHECK(kill((pid_t)s1, 0) != 0, "the timed-out process is gone");
}

typedef struct par_req {
    int port;
    http_resp r;
} par_req;

static void *par_main(void *arg) {
    par_req *p = arg;
    http_get(p->port, "/sleep?ms=300", &p->r);
    return NULL;
}

static void test_queueing(int port) {
    par_req a = {port, {0}}, b = {port, {0}};
    pthread_t ta, tb;
    long long t0 = now_ms();
    pthread_create(&ta, NULL, par_main, &a);
    pthread_create(&tb, NULL, par_main, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    long long total = now_ms() - t0;
    cJSON *ja = cJSON_Parse(dstr_cstr(&a.r.body)), *jb = cJSON_Parse(dstr_cstr(&b.r.body));
    CHECK(a.r.status == 200 && b.r.status == 200, "parallel requests both answered");
    double a0 = jnum(ja, "start_ms"), a1 = jnum(ja, "end_ms"), b0 = jnum(jb, "start_ms"),
           b1 = jnum(jb, "end_ms");
    CHECK(a1 <= b0 || b1 <= a0, "one invocation at a time: [%.0f,%.0f] vs [%.0f,%.0f]", a0, a1, b0,
          b1);
    CHECK(jnum(ja, "pid") == jnum(jb, "pid"), "queued on the same warm process");
    CHECK(total >= 600, "two 300 ms invocations in series took %lld ms", total);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    resp_free(&a.r);
    resp_free(&b.r);
}

static void test_init_error(int port) {
    http_resp r;
    for (int i = 0; i < 2; i++) {
        http_get(port, "/initfail/echo", &r);
        CHECK(resp_is_message(&r, 500, "Internal Server Error"),
              "init error served as 500 (try %d: %ld)", i + 1, r.status);
        resp_free(&r);
    }
}

static void test_no_secret_in_logs(int port) {
    http_resp r;
    http_get(port, "/echo?api_key=hunter2-topsecret", &r);
    CHECK(r.status == 200, "echo with a secret-looking query");
    resp_free(&r);
}

/* Waits until file holds at least n lines (up to 5 s). */
static void wait_lines(const char *path, int n, dstr *out) {
    for (int i = 0; i < 100; i++) {
        dstr_clear(out);
        read_whole(path, out);
        int lines = 0;
        for (size_t k = 0; k < out->len; k++) lines += out->ptr[k] == '\n';
        if (lines >= n) return;
        usleep(50000);
    }
}

static void test_scheduler(void) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/record.jsonl", tmp_dir);
    dstr rec = {0};
    wait_lines(path, 2, &rec);
    int fired = 0, immediate = 0;
    char *save = NULL;
    for (char *line = strtok_r(rec.ptr ? rec.ptr : (char[]){""}, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        cJSON *j = cJSON_Parse(line);
        if (streq(jstr(j, "source"), "immediate")) immediate++;
        if (streq(jstr(j, "schedule"), "test-fire")) {
            fired++;
            CHECK(streq(jstr(j, "source"), "scheduler"),
                  "scheduled event is the input, no envelope");
            CHECK(matches("^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$",
                          jstr(j, "scheduled_time")),
                  "scheduled-time placeholder '%s'", jstr(j, "scheduled_time"));
            CHECK(matches(RE_UUID, jstr(j, "execution_id")), "execution-id placeholder");
            CHECK(streq(jstr(j, "arn"),
                        "arn:aws:scheduler:eu-central-1:000000000000:schedule/default/test-fire"),
                  "schedule-arn placeholder '%s'", jstr(j, "arn"));
            CHECK(jnum(j, "attempt") == 1, "attempt-number placeholder");
        }
        cJSON_Delete(j);
    }
    CHECK(fired == 1, "--fire-now reached the function once (%d)", fired);
    CHECK(immediate == 1, "an enabled rate() schedule fires at start (%d)", immediate);
    dstr_free(&rec);
}

static int log_has(const dstr *log, const char *a, const char *b) {
    const char *p = dstr_cstr(log);
    while ((p = strstr(p, a))) {
        const char *eol = strchr(p, '\n');
        const char *start = p;
        while (start > log->ptr && start[-1] != '\n') start--;
        size_t len = eol ? (size_t)(eol - start) : strlen(start);
        char *line = strndup(start, len);
        int hit = line && (!b || strstr(line, b));
        free(line);
        if (hit) return 1;
        p += strlen(a);
    }
    return 0;
}

/* The UTC offset ("+09:00") of the gateway's own gateway.start line. */
static void start_line_offset(const gw_proc *g, char *out, size_t cap) {
    dstr log = {0};
    read_whole(g->log, &log);
    const char *p = strstr(dstr_cstr(&log), "\"event\":\"gateway.start\"");
    snprintf(out, cap, "?");
    while (p && p > log.ptr && p[-1] != '\n') p--;
    const char *ts = p ? strstr(p, "\"timestamp\":\"") : NULL;
    const char *end = ts ? strchr(ts + 13, '"') : NULL;
    if (end && end - ts > 19) snprintf(out, cap, "%.6s", end - 6);
    dstr_free(&log);
}

static void test_logs(const gw_proc *g) {
    dstr log = {0};
    for (int i = 0;
         i < 40 && !log_has(&log, "\"schedule\":\"ghost\"", "\"event\":\"scheduler.result\"");
         i++) {
        dstr_clear(&log);
        usleep(50000);
        read_whole(g->log, &log);
    }
    CHECK(log_has(&log, "\"event\":\"gateway.request\"", "\"path\":\"/echo\""),
          "gateway.request logged");
    CHECK(log_has(&log, "\"event\":\"gateway.request\"", "\"duration_ms\":"),
          "request duration logged");
    CHECK(!strstr(dstr_cstr(&log), "hunter2"), "query strings never logged");
    CHECK(log_has(&log, "\"event\":\"gateway.function_missing\"", "\"function\":\"nofn\""),
          "missing function reported at start");
    CHECK(log_has(&log, "\"event\":\"scheduler.fire\"", "\"schedule\":\"test-fire\""),
          "scheduler.fire logged");
    CHECK(log_has(&log, "\"event\":\"scheduler.result\"", "\"status\":\"ok\""),
          "scheduler.result ok logged");
    CHECK(log_has(&log, "\"schedule\":\"ghost\"", "\"status\":\"no_binary\""),
          "schedule of a missing function: warning, no crash");
    CHECK(log_has(&log, "\"event\":\"function.timeout\"", "\"function\":\"slow\""),
          "timeout logged");
    CHECK(log_has(&log, "\"event\":\"function.init_error\"", "Runtime.ConfigInvalid"),
          "init error logged");
    CHECK(log_has(&log, "\"event\":\"function.exit\"", "\"signal\":\"Aborted\""), "crash logged");
    dstr_free(&log);
}

/* ---- gateway B: integration timeout and init timeout ------------------------- */

static void test_integration_timeout(int port) {
    long p0 = pid_of(port, "/pid");
    http_resp r;
    http_get(port, "/sleep?ms=1200", &r);
    CHECK(resp_is_message(&r, 503, "Service Unavailable"),
          "integration timeout (0.5 s): 503 Service Unavailable (%ld %s)", r.status,
          dstr_cstr(&r.body));
    CHECK(r.ms >= 400 && r.ms < 1150, "integration timeout answered after %lld ms", r.ms);
    resp_free(&r);
    /* a request queued behind the sleeper would itself hit the 0.5 s limit */
    usleep(900 * 1000);
    long p1 = pid_of(port, "/pid");
    CHECK(p0 > 0 && p1 == p0, "the function kept running and stays warm (%ld, %ld)", p0, p1);
    http_get(port, "/hang/echo", &r);
    CHECK(resp_is_message(&r, 503, "Service Unavailable"),
          "init that hangs: 503 at the integration limit");
    resp_free(&r);
}

static void test_function_timeout_default_order(int port) {
    /* function timeout 400 ms < integration 1500 ms: Lambda's error, 500 */
    CHECK(pid_of(port, "/slow/pid") > 0, "warm-up before the timeout check");
    http_resp r;
    http_get(port, "/slow/sleep?ms=2000", &r);
    CHECK(resp_is_message(&r, 500, "Internal Server Error"), "function timeout first: 500 (%ld)",
          r.status);
    resp_free(&r);
}

/* ---- start-up errors ---------------------------------------------------- */

static void test_bad_configs(void) {
    char routes[PATH_MAX + 32], sched[PATH_MAX + 32], good_routes[PATH_MAX + 32];
    snprintf(routes, sizeof routes, "%s/bad_routes.tsv", tmp_dir);
    snprintf(sched, sizeof sched, "%s/bad_schedules.yaml", tmp_dir);
    snprintf(good_routes, sizeof good_routes, "%s/routes.tsv", tmp_dir);
    write_file(routes, "/ok\techo\nnot-a-path\techo\n");
    write_file(sched,
               "schedules:\n  - name: x\n    function: echo\n    expression: rate(5 minute)\n");
    static const char *const cases[][3] = {
        {"--routes", "ROUTES", "bad_routes.tsv:2: PATH must start"},
        {"--schedules", "SCHED", "bad_schedules.yaml:4: rate(5 minute): use the singular"},
        {"--fire-now", "nosuch", "no schedule named 'nosuch'"},
    };
    for (size_t i = 0; i < 3; i++) {
        const char *val = streq(cases[i][1], "ROUTES")  ? routes
                          : streq(cases[i][1], "SCHED") ? sched
                                                        : cases[i][1];
        const char *argv[] = {bin_gateway, "--port",    "0", "--routes",
                              good_routes, cases[i][0], val, NULL};
        if (streq(cases[i][0], "--routes")) argv[4] = routes;
        dstr out = {0}, err = {0};
        int rc = run_prog(argv, NULL, &out, &err, 10000, NULL);
        CHECK(rc == 2 && strstr(dstr_cstr(&err), cases[i][2]),
              "refuses to start on %s: rc %d, stderr '%s'", cases[i][1], rc, dstr_cstr(&err));
        dstr_free(&out);
        dstr_free(&err);
    }
}

/* ---- invoke ---------------------------------------------------------------- */

static void test_invoke(void) {
    char fns[PATH_MAX + 32], ev[PATH_MAX + 32], bad[PATH_MAX + 32];
    snprintf(fns, sizeof fns, "%s/fns", tmp_dir);
    snprintf(ev, sizeof ev, "%s/event.json", tmp_dir);
    snprintf(bad, sizeof bad, "%s/bad.json", tmp_dir);
    write_file(ev, "{\"hello\":1}");
    write_file(bad, "{not json");
    struct {
        const char *argv[12];
        const char *stdin_data;
        int rc;
        const char *out_exact, *out_has, *err_has;
    } cases[] = {
        {{bin_invoke, "--functions-dir", fns, "echo", ev, NULL},
         NULL,
         0,
         "{\"ok\":true}",
         NULL,
         NULL},
        {{bin_invoke, "--functions-dir", fns, "echo", "-", NULL},
         "[1,2]",
         0,
         "{\"ok\":true}",
         NULL,
         NULL},
        {{bin_invoke, "--functions-dir", fns, "--http", "GET", "/echo?x=1", "echo", NULL},
         NULL,
         0,
         NULL,
         "\\\"rawQueryString\\\":\\\"x=1\\\"",
         "invoke.result"},
        {{bin_invoke, "--functions-dir", fns, "--http", "GET", "/error", "echo", NULL},
         NULL,
         1,
         "",
         NULL,
         "Function.TestError"},
        {{bin_invoke, "--functions-dir", fns, "--http", "GET", "/crash", "echo", NULL},
         NULL,
         2,
         "",
         NULL,
         "Runtime.ExitError"},
        {{bin_invoke, "--functions-dir", fns, "--timeout-ms", "300", "--http", "GET",
          "/sleep?ms=3000", "echo", NULL},
         NULL,
         2,
         "",
         NULL,
         "Sandbox.Timedout"},
        {{bin_invoke, "--functions-dir", fns, "nofn", NULL}, NULL, 2, "", NULL, "missing"},
        {{bin_invoke, "--functions-dir", fns, "echo", bad, NULL},
         NULL,
         64,
         "",
         NULL,
         "not valid JSON"},
        {{bin_invoke, "--http", "POST", "/x", "--data", "hi", "--print-event", "echo", NULL},
         NULL,
         0,
         NULL,
         "\"body\":\"hi\"",
         NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dstr out = {0}, err = {0};
        long long ms = 0;
        int rc = run_prog(cases[i].argv, cases[i].stdin_data, &out, &err, 15000, &ms);
        int ok = rc == cases[i].rc;
        if (cases[i].out_exact) ok = ok && streq(dstr_cstr(&out), cases[i].out_exact);
        if (cases[i].out_has) ok = ok && strstr(dstr_cstr(&out), cases[i].out_has);
        if (cases[i].err_has) ok = ok && strstr(dstr_cstr(&err), cases[i].err_has);
        CHECK(ok, "invoke case %zu: rc %d (want %d), stdout '%.300s', stderr tail '%.300s'", i, rc,
              cases[i].rc, dstr_cstr(&out),
              err.len > 300 ? dstr_cstr(&err) + err.len - 300 : dstr_cstr(&err));
        if (i == 5) CHECK(ms < 2500, "invoke timeout took %lld ms", ms);
        dstr_free(&out);
        dstr_free(&err);
    }
}

/* Ctrl-C on invoke while the function runs: invoke stops the function process
 * (in a group of its own, the terminal's signal never reaches it) and exits
 * 128 + SIGINT, quietly; left behind, the process would run on and log an
 * ERROR when it found its Runtime API gone. */
static void test_invoke_interrupted(void) {
    char fns[PATH_MAX + 32], log[PATH_MAX + 32];
    snprintf(fns, sizeof fns, "%s/fns", tmp_dir);
    snprintf(log, sizeof log, "%s/invoke-int.log", tmp_dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        signal(SIGINT, SIG_DFL); /* as a terminal's shell starts it, whatever ours has */
        execl(bin_invoke, bin_invoke, "--functions-dir", fns, "--http", "GET", "/sleep?ms=5000",
              "echo", (char *)NULL);
        _exit(127);
    }
    dstr text = {0};
    for (int i = 0; i < 200 && !strstr(dstr_cstr(&text), "\"function.ready\""); i++) {
        usleep(25000);
        dstr_clear(&text);
        read_whole(log, &text);
    }
    kill(pid, SIGINT);
    long long t0 = now_ms();
    int st = 0;
    while (waitpid(pid, &st, WNOHANG) == 0 && now_ms() - t0 < 3000) usleep(10000);
    if (now_ms() - t0 >= 3000) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGINT,
          "invoke + SIGINT: exit %d (status %d), want %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1, st,
          128 + SIGINT);
    dstr_clear(&text);
    read_whole(log, &text);
    const char *start = strstr(dstr_cstr(&text), "\"event\":\"function.start\"");
    const char *p = start ? strstr(start, "\"pid\":") : NULL;
    long fn_pid = p ? strtol(p + 6, NULL, 10) : -1;
    CHECK(fn_pid > 0 && kill((pid_t)fn_pid, 0) != 0,
          "invoke + SIGINT: the function process %ld is gone", fn_pid);
    CHECK(strstr(dstr_cstr(&text), "\"event\":\"invoke.stopped\"") &&
              !strstr(dstr_cstr(&text), "\"level\":\"ERROR\""),
          "invoke + SIGINT: invoke.stopped, no ERROR line: %.600s", dstr_cstr(&text));
    dstr_free(&text);
}

/* ---- main ---------------------------------------------------------------------- */

static void resolve(const char *build, const char *rel, char *out) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", build, rel);
    if (!realpath(p, out)) {
        fprintf(stderr, "run_gateway: %s not found (build it first)\n", p);
        exit(2);
    }
}

static void setup_files(void) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/fns", tmp_dir);
    mkdir(p, 0755);
    static const char *const fns[] = {"echo", "slow", "initfail", "hanginit"};
    for (size_t i = 0; i < 4; i++) make_function(fns[i]);
    snprintf(p, sizeof p, "%s/routes.tsv", tmp_dir);
    write_file(p, "# test routes\n"
                  "/echo\techo\n/sleep\techo\n/crash\techo\n/exit\techo\n/error\techo\n"
                  "/nostatus\techo\n/string\techo\n/notjson\techo\n/binary\techo\n/status\techo\n"
                  "/big\techo\n/pid\techo\n/probe\techo\n/last\techo\n"
                  "/slow/sleep\tslow\n/slow/pid\tslow\n/missing/echo\tnofn\n"
                  "/initfail/echo\tinitfail\n/hang/echo\thanginit\n");
    snprintf(p, sizeof p, "%s/schedules.yaml", tmp_dir);
    write_file(
        p,
        "schedules:\n"
        "  - name: test-fire\n    function: echo\n    expression: rate(1 day)\n    enabled: false\n"
        "    input: '{\"source\":\"scheduler\",\"schedule\":\"test-fire\","
        "\"scheduled_time\":\"<aws.scheduler.scheduled-time>\","
        "\"execution_id\":\"<aws.scheduler.execution-id>\",\"arn\":\"<aws.scheduler.schedule-arn>"
        "\","
        "\"attempt\":<aws.scheduler.attempt-number>}'\n"
        "  - name: immediate\n    function: echo\n    expression: rate(1 day)\n"
        "    input: '{\"source\":\"immediate\"}'\n"
        "  - name: ghost\n    function: nofn\n    expression: cron(0 0 1 1 ? 2199)\n");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: run_gateway BUILD_DIR\n");
        return 2;
    }
    resolve(argv[1], "bin/gateway", bin_gateway);
    resolve(argv[1], "bin/gw_test_fn", bin_fn);
    resolve(argv[1], "bin/invoke", bin_invoke);
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/run_gateway.XXXXXX");
    if (!mkdtemp(tmp_dir)) {
        perror("run_gateway: mkdtemp");
        return 2;
    }
    signal(SIGALRM, on_alarm);
    signal(SIGPIPE, SIG_IGN);
    alarm(RUN_ALARM_S);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    setup_files();

    char rec_env[PATH_MAX + 64], sched[PATH_MAX + 32];
    snprintf(rec_env, sizeof rec_env, "GW_TEST_FN_RECORD=%s/record.jsonl", tmp_dir);
    snprintf(sched, sizeof sched, "%s/schedules.yaml", tmp_dir);
    const char *env_a[] = {"LOCAL_FUNCTION_TIMEOUT_MS=1500", "AWS_REGION=eu-central-1",
                           "TZ=Europe/Berlin", rec_env, NULL};
    const char *args_a[] = {"--schedules", sched,   "--fire-now", "test-fire",
                            "--fire-now",  "ghost", NULL};
    gw_proc a = {0};
    long last_pid = -1;
    if (CHECK(gw_start(&a, "gw_a", env_a, args_a) == 0, "gateway A starts")) {
        test_echo_event(a.port);
        test_bodies(a.port);
        test_routing(a.port);
        test_request_limits(a.port);
        test_malformed_http(a.port);
        test_keepalive_refusals(a.port);
        test_response_shapes(a.port);
        test_runtime_rules(a.port);
        test_crash_and_timeout(a.port, &last_pid);
        test_queueing(a.port);
        test_init_error(a.port);
        test_no_secret_in_logs(a.port);
        test_scheduler();
        test_logs(&a);
        char off[16];
        start_line_offset(&a, off, sizeof off);
        CHECK(streq(off, "+01:00") || streq(off, "+02:00"),
              "TZ=Europe/Berlin: the gateway's lines carry its offset (%s)", off);
        int st = gw_stop(&a);
        CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "gateway A: SIGTERM -> exit 0 (status %d; see %s)", st, a.errlog);
        dstr err = {0};
        read_whole(a.errlog, &err);
        CHECK(!strstr(dstr_cstr(&err), "Sanitizer"), "gateway A: no sanitizer report (%.300s)",
              dstr_cstr(&err));
        dstr_free(&err);
        CHECK(last_pid > 0 && kill((pid_t)last_pid, 0) != 0,
              "no function process outlives the gateway");
    }

    const char *env_b[] = {"LOCAL_INTEGRATION_TIMEOUT_MS=500", "LOCAL_FUNCTION_TIMEOUT_MS=3000",
                           "LOCAL_INIT_TIMEOUT_MS=2000", NULL};
    const char *args_b[] = {"--no-scheduler", NULL};
    gw_proc b = {0};
    if (CHECK(gw_start(&b, "gw_b", env_b, args_b) == 0, "gateway B starts")) {
        test_slow_clients(b.port);
        test_integration_timeout(b.port);
        char off[16];
        start_line_offset(&b, off, sizeof off);
        CHECK(streq(off, "+09:00"), "no TZ: the gateway logs in Asia/Seoul as functions do (%s)",
              off);
        int st = gw_stop(&b);
        CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "gateway B: exit 0 (status %d)",
              st);
    }
    const char *env_c[] = {"LOCAL_INTEGRATION_TIMEOUT_MS=1500", "LOCAL_FUNCTION_TIMEOUT_MS=400",
                           "LOCAL_REQUEST_TIMEOUT_MS=1500", NULL};
    gw_proc c = {0};
    if (CHECK(gw_start(&c, "gw_c", env_c, args_b) == 0, "gateway C starts")) {
        test_function_timeout_default_order(c.port);
        test_request_deadline(c.port, 1500);
        int st = gw_stop(&c);
        CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "gateway C: exit 0 (status %d)",
              st);
    }

    test_bad_configs();
    test_invoke();
    test_invoke_interrupted();
    curl_global_cleanup();

    printf("gateway: %d passed, %d failed\n", n_pass, n_fail);
    if (n_fail == 0) { /* keep the logs of a failed run for inspection */
        char cmd[PATH_MAX + 32];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
        if (system(cmd) != 0) fprintf(stderr, "run_gateway: could not remove %s\n", tmp_dir);
    } else {
        fprintf(stderr, "run_gateway: logs kept in %s\n", tmp_dir);
    }
    return n_fail ? 1 : 0;
}
