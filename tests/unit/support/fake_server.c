/* fake_server: a fake upstream as a child process (see fake_server.h). */
#include "fake_server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define MAX_ARGS 32

static void pause_20ms(void) {
    struct timespec ts = {0, 20 * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int fake_server_start(fake_server *s, const char *const *argv) {
    static unsigned serial;
    const char *args[MAX_ARGS + 5];
    size_t n = 0;
    for (; argv[n] && n < MAX_ARGS; n++) args[n] = argv[n];
    snprintf(s->port_file, sizeof s->port_file, "/tmp/fake_server_port.%ld.%u", (long)getpid(),
             serial++);
    args[n++] = "--port";
    args[n++] = "0";
    args[n++] = "--port-file";
    args[n++] = s->port_file;
    args[n] = NULL;
    unlink(s->port_file);
    s->pid = fork();
    if (s->pid < 0) return -1;
    if (s->pid == 0) {
        execv(args[0], (char *const *)args);
        fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    for (int i = 0; i < 500; i++) { /* up to 10 s */
        FILE *f = fopen(s->port_file, "r");
        unsigned port = 0;
        if (f) {
            int ok = fscanf(f, "%u", &port) == 1;
            fclose(f);
            if (ok && port) {
                snprintf(s->base_url, sizeof s->base_url, "http://127.0.0.1:%u", port);
                return 0;
            }
        }
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            fprintf(stderr, "%s exited before listening\n", args[0]);
            return -1;
        }
        pause_20ms();
    }
    fprintf(stderr, "%s did not write %s in 10 s\n", args[0], s->port_file);
    return -1;
}

int fake_server_stop(fake_server *s) {
    unlink(s->port_file);
    if (s->pid <= 0) return -1;
    kill(s->pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500; i++) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
            fprintf(stderr, "the fake did not exit cleanly (status 0x%x)\n", status);
            return -1;
        }
        pause_20ms();
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
    fprintf(stderr, "the fake ignored SIGTERM for 10 s\n");
    return -1;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ctx) {
    dstr_append(ctx, p, sz * n);
    return sz * n;
}

long fake_server_call(const char *base_url, const char *method, const char *path, const char *body,
                      dstr *out) {
    dstr_clear(out);
    CURL *c = curl_easy_init();
    if (!c) return 0;
    char url[512];
    snprintf(url, sizeof url, "%s%s", base_url, path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}
