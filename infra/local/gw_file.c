/* gw_file: read a whole file (or stdin) with a size cap. */
#include "gw_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int gw_read_file(const char *path, size_t max, dstr *out, char *err, size_t errlen) {
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t start = out->len;
    int rc = 0;
    for (;;) {
        dstr_reserve(out, 65536);
        out->ptr[out->len] = '\0'; /* stays a valid string if nothing is read */
        ssize_t r = read(fd, out->ptr + out->len, out->cap - out->len - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        if (r == 0) break;
        out->len += (size_t)r;
        out->ptr[out->len] = '\0';
        if (out->len - start > max) {
            snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
            rc = -1;
            break;
        }
    }
    if (!is_stdin) close(fd);
    return rc;
}
