/* fuzz: what the libFuzzer targets (tests/fuzz/fuzz_*.c) share.
 *
 * Each target defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize); the library logs one JSON line a call on stdout,
 * which fuzz_quiet() sends to /dev/null (the code that writes it still runs).
 * Inputs that carry several texts separate them with FUZZ_SEP; each part is
 * handed over as its own exact-size, NUL-terminated allocation, so a read
 * past its end is an ASan report. A broken invariant calls fuzz_fail(),
 * which aborts: libFuzzer then keeps the input as a crash. */
#ifndef FUZZ_H
#define FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_SEP "\n----\n"
#define FUZZ_MAX_PARTS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void fuzz_quiet(void) {
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
}

static inline void fuzz_fail(const char *what) {
    fprintf(stderr, "fuzz invariant broken: %s\n", what);
    abort();
}

/* An exact-size NUL-terminated copy of p[0..n). */
static inline char *fuzz_strndup(const void *p, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

typedef struct fuzz_parts {
    char *part[FUZZ_MAX_PARTS];
    size_t len[FUZZ_MAX_PARTS];
    size_t n;
} fuzz_parts;

/* Splits data at FUZZ_SEP into at most max parts (the last takes the rest). */
static inline void fuzz_split(const uint8_t *data, size_t size, size_t max, fuzz_parts *out) {
    const size_t seplen = sizeof FUZZ_SEP - 1;
    const char *p = (const char *)data, *end = p + size;
    if (max > FUZZ_MAX_PARTS) max = FUZZ_MAX_PARTS;
    out->n = 0;
    while (out->n < max) {
        const char *cut = NULL;
        if (out->n + 1 < max)
            for (const char *q = p; q + seplen <= end && !cut; q++)
                if (memcmp(q, FUZZ_SEP, seplen) == 0) cut = q;
        size_t n = cut ? (size_t)(cut - p) : (size_t)(end - p);
        out->part[out->n] = fuzz_strndup(p, n);
        out->len[out->n++] = n;
        if (!cut) break;
        p = cut + seplen;
    }
}

static inline void fuzz_parts_free(fuzz_parts *ps) {
    for (size_t i = 0; i < ps->n; i++) free(ps->part[i]);
    ps->n = 0;
}

#endif
