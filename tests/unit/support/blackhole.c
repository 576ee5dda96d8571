/* blackhole: accepts, reads, never answers (see blackhole.h). */
#include "blackhole.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BH_MAX_CONN 256

struct blackhole {
    int listen_fd, port;
    char url[32];
    int wake[2]; /* bh_stop writes here to end the thread */
    int conns[BH_MAX_CONN];
    int n_conns, accepted;
    pthread_mutex_t mu;
    pthread_t thread;
};

static void *serve(void *arg) {
    blackhole *b = arg;
    char buf[4096];
    for (;;) {
        struct pollfd p[BH_MAX_CONN + 2];
        int n = 0;
        p[n++] = (struct pollfd){.fd = b->wake[0], .events = POLLIN};
        p[n++] = (struct pollfd){.fd = b->listen_fd, .events = POLLIN};
        for (int i = 0; i < b->n_conns; i++)
            p[n++] = (struct pollfd){.fd = b->conns[i], .events = POLLIN};
        if (poll(p, (nfds_t)n, -1) < 0) continue;
        if (p[0].revents) break;
        if (p[1].revents & POLLIN) {
            int fd = accept(b->listen_fd, NULL, NULL);
            if (fd >= 0 && b->n_conns < BH_MAX_CONN) {
                b->conns[b->n_conns++] = fd;
                pthread_mutex_lock(&b->mu);
                b->accepted++;
                pthread_mutex_unlock(&b->mu);
            } else if (fd >= 0) {
                close(fd);
            }
        }
        for (int i = 2; i < n; i++) {
            if (!p[i].revents) continue;
            if (read(p[i].fd, buf, sizeof buf) > 0) continue; /* swallowed */
            close(p[i].fd);                                   /* the client gave up */
            for (int k = 0; k < b->n_conns; k++)
                if (b->conns[k] == p[i].fd) b->conns[k] = b->conns[--b->n_conns];
        }
    }
    for (int i = 0; i < b->n_conns; i++) close(b->conns[i]);
    return NULL;
}

blackhole *bh_start(void) {
    blackhole *b = calloc(1, sizeof *b);
    if (!b) abort();
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    b->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (b->listen_fd < 0 || bind(b->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(b->listen_fd, 64) != 0 || getsockname(b->listen_fd, (struct sockaddr *)&a, &len) ||
        pipe(b->wake) != 0) {
        perror("blackhole");
        if (b->listen_fd >= 0) close(b->listen_fd);
        free(b);
        return NULL;
    }
    b->port = ntohs(a.sin_port);
    snprintf(b->url, sizeof b->url, "http://127.0.0.1:%d", b->port);
    pthread_mutex_init(&b->mu, NULL);
    if (pthread_create(&b->thread, NULL, serve, b) != 0) {
        perror("blackhole: thread");
        close(b->listen_fd);
        close(b->wake[0]);
        close(b->wake[1]);
        free(b);
        return NULL;
    }
    return b;
}

int bh_port(const blackhole *b) { return b->port; }

const char *bh_url(const blackhole *b) { return b->url; }

int bh_connections(blackhole *b) {
    pthread_mutex_lock(&b->mu);
    int n = b->accepted;
    pthread_mutex_unlock(&b->mu);
    return n;
}

void bh_stop(blackhole *b) {
    if (!b) return;
    if (write(b->wake[1], "x", 1) != 1) perror("blackhole: stop");
    pthread_join(b->thread, NULL);
    close(b->listen_fd);
    close(b->wake[0]);
    close(b->wake[1]);
    pthread_mutex_destroy(&b->mu);
    free(b);
}
