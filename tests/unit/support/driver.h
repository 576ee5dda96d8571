/* driver: the small kit every test driver (tests/<dir>/run_*.c) shares:
 * named checks that print "ok   name" or "FAIL name: why" and count, the
 * closing "suite: N passed, N failed" line tests/run.sh reads, a monotonic
 * clock, whole-file reads and temporary-tree removal. */
#ifndef DRIVER_H
#define DRIVER_H

#include <stdint.h>

#include "platform/dstr.h"

void drv_check(int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int drv_failures(void);
/* Prints "<suite>: N passed, N failed"; returns the process exit status. */
int drv_summary(const char *suite);

int64_t drv_mono_ms(void);
/* Runs cmd through the shell with stderr joined to stdout, which replaces
 * out; its exit status (-1 when it did not exit). */
int drv_run(const char *cmd, dstr *out);
/* Replaces out with the file's bytes; empty when it cannot be read. */
void drv_read_file(const char *path, dstr *out);
/* Removes dir and everything below it (no symlinks followed). */
void drv_remove_tree(const char *dir);

#endif
