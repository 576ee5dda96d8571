/* driver: shared kit of the test drivers (see driver.h). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "driver.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

static int passed, failed;

void drv_check(int ok, const char *name, const char *fmt, ...) {
    if (ok) {
        printf("ok   %s\n", name);
        passed++;
        return;
    }
    printf("FAIL %s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    failed++;
}

int drv_failures(void) { return failed; }

int drv_summary(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed ? 1 : 0;
}

int64_t drv_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void drv_read_file(const char *path, dstr *out) {
    dstr_clear(out);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) dstr_append(out, buf, n);
    fclose(f);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void drv_remove_tree(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

int drv_run(const char *cmd, dstr *out) {
    dstr line = {0};
    dstr_printf(&line, "%s 2>&1", cmd);
    dstr_clear(out);
    FILE *p = popen(line.ptr, "r");
    dstr_free(&line);
    if (!p) return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) dstr_append(out, buf, n);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
