/* floor_fn: the cold-start floor for bench_runtime --compare: a Lambda
 * function that is nothing but a plain C loop over the Runtime API (one
 * blocking socket, GET .../next, POST "{}" to .../<id>/response), linked
 * with libc alone. No configuration, no log, no libcurl, no OpenSSL: what a
 * bootstrap costs beyond this is the project's own start-up. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_api(const char *api) {
    char host[64];
    const char *colon = strrchr(api, ':');
    if (!colon || (size_t)(colon - api) >= sizeof host) return -1;
    memcpy(host, api, (size_t)(colon - api));
    host[colon - api] = '\0';
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Reads one response: headers, then Content-Length bytes of body. Copies the
 * request id header into id. Returns 0, or -1 when the connection ends. */
static int read_answer(int fd, char *id, size_t idcap) {
    static char buf[1 << 16];
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have == sizeof buf - 1) return -1;
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0) return -1;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    long body = 0;
    for (char *line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
        char *h = line + 2;
        if (strncasecmp(h, "Content-Length:", 15) == 0) body = atol(h + 15);
        if (id && strncasecmp(h, "Lambda-Runtime-Aws-Request-Id:", 30) == 0) {
            h += 30;
            while (*h == ' ') h++;
            size_t n = strcspn(h, "\r");
            if (n >= idcap) n = idcap - 1;
            memcpy(id, h, n);
            id[n] = '\0';
        }
    }
    long left = body - (long)(have - (size_t)(end + 4 - buf));
    while (left > 0) {
        ssize_t n = read(fd, buf, left < (long)sizeof buf ? (size_t)left : sizeof buf);
        if (n <= 0) return -1;
        left -= n;
    }
    return 0;
}

static int send_all(int fd, const char *s, size_t n) {
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    int fd = api ? connect_api(api) : -1;
    if (fd < 0) return 1;
    char req[512], id[128];
    for (;;) {
        int n =
            snprintf(req, sizeof req,
                     "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", api);
        if (send_all(fd, req, (size_t)n) != 0 || read_answer(fd, id, sizeof id) != 0) return 0;
        n = snprintf(req, sizeof req,
                     "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
                     id, api);
        if (send_all(fd, req, (size_t)n) != 0 || read_answer(fd, NULL, 0) != 0) return 0;
    }
}
