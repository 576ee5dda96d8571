/* store_backend: what a backend implements behind store.h. For store.c and
 * the backends (store_file.c, store_s3.c) only; callers use store.h.
 *
 * store.c parses the URL, validates every key, prefix, start_after and
 * max_keys, and clears out/page before calling a backend, so a backend only
 * ever sees valid input; it also refuses a call whose deadline has passed
 * (STORE_TIMEOUT), so a backend only has to keep its own I/O within
 * s->deadline_ms (or a batch's deadline_ms) once it has started. A backend reports a failure with store_fail() into
 * the caller's err (store.h's convention); a store holds no error state. */
#ifndef STORE_BACKEND_H
#define STORE_BACKEND_H

#include <stddef.h>

#include "platform/config.h"
#include "platform/dstr.h"
#include "platform/clock.h"
#include "store/store.h"

/* The URL, taken apart by config's parser (the journal URL is validated at
 * init by the same code); an s3 prefix also obeys the key rules. */
typedef cfg_store_url store_url;

typedef struct store_ops {
    /* create_only: fail with STORE_EXISTS rather than replace. */
    store_status (*put)(store *s, const char *key, const void *data, size_t n, int create_only,
                        dstr *err);
    store_status (*get)(store *s, const char *key, dstr *out, dstr *err);
    /* Appends at most max_keys keys to page (empty on entry); sets truncated. */
    store_status (*list)(store *s, const char *prefix, const char *start_after, size_t max_keys,
                         store_page *page, dstr *err);
    /* Optional (NULL: store.c writes the items in turn with put, create-only,
     * starting none past the deadline). Every item is valid and its status
     * STORE_OK on entry; deadline_ms is > 0. */
    void (*put_batch)(store *s, store_write *items, size_t n, int64_t deadline_ms);
    void (*close)(void *impl);
} store_ops;

struct store {
    const store_ops *ops;
    void *impl;
    int64_t deadline_ms;    /* store_set_deadline's; 0: none. Backends bound their I/O by it */
    const clock_src *clock; /* store_set_clock's; NULL: the wall clock */
};

/* Sets s->ops and s->impl and returns 0, or -1 with err appended to. arg is
 * what the backend was registered with. */
typedef int (*store_open_fn)(void *arg, store *s, const store_url *url, dstr *err);

/* Makes store_open() open URLs of scheme (one the URL parser knows, "s3")
 * with open, replacing an earlier registration of the scheme. The file
 * backend is built in. Whoever opens stores registers the backends it needs
 * (store.c sits below them); arg must stay valid while stores are opened. */
void store_register(const char *scheme, store_open_fn open, void *arg);

int store_file_open(store *s, const store_url *url, dstr *err);

/* Appends why the call failed to err as one line (NULL: nothing) and
 * returns st. */
store_status store_fail(dstr *err, store_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 if seg[0..n) may be one segment of a key (the segment rules of store.h). */
int store_segment_valid(const char *seg, size_t n);

/* Adds a copy of key[0..n) to page. */
void store_page_push(store_page *page, const char *key, size_t n);

#endif
