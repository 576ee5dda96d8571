/* fake_server: a fake upstream program (build/<v>/bin/fake_*) run as a child
 * process on an ephemeral port, for the drivers that check it over HTTP.
 *
 * Contract: fake_server_start() runs argv (the program and its options;
 * "--port 0 --port-file F" are appended) and waits up to 10 s for the port
 * file, then fills base_url ("http://127.0.0.1:<port>"). fake_server_stop()
 * sends SIGTERM and waits up to 10 s: it returns 0 only when the program
 * exited by itself with status 0 (under ASan: no leaks), else kills it.
 * Failures print one line on stderr and return -1. */
#ifndef FAKE_SERVER_H
#define FAKE_SERVER_H

#include <sys/types.h>

#include "platform/dstr.h"

typedef struct fake_server {
    pid_t pid;
    char base_url[64];
    char port_file[128];
} fake_server;

int fake_server_start(fake_server *s, const char *const *argv);
int fake_server_stop(fake_server *s);

/* One request to a fake (its control API or an endpoint): method, base_url
 * + path, a JSON body (NULL: none), 10 s at most. Returns the HTTP status
 * (0: no answer) and the body in out (cleared first). */
long fake_server_call(const char *base_url, const char *method, const char *path, const char *body,
                      dstr *out);

#endif
