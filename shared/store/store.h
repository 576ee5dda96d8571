/* store: the object store everything durable goes through (decisions,
 * payloads, trades, log records), behind one interface for every backend.
 *
 * What every backend guarantees:
 * - Atomic visibility: a reader sees a whole object or none (for store_put,
 *   the whole old or the whole new one), never a partial write. A call that
 *   returned STORE_OK is durable (the file backend fsyncs data and directory).
 * - Create-only: store_put_new() creates the key only if it does not exist;
 *   of concurrent writers (threads or processes) exactly one wins and the
 *   others get STORE_EXISTS with the winner's object intact.
 * - Listings are in ascending byte order (memcmp) of the full key, strictly
 *   after start_after, paged by max_keys, like S3 ListObjectsV2; a prefix is a
 *   plain string prefix, not only a directory. Listing never reads contents.
 * - Keys (checked here for every backend, so a journal can move between them):
 *   1..1024 bytes of well-formed UTF-8, '/'-separated segments of 1..255 bytes;
 *   no leading or trailing '/', no empty ("//"), "." or ".." segment, no
 *   control character (< 0x20, 0x7f), no backslash, and no segment starting
 *   with ".tmp-" (reserved for in-flight writes). Otherwise STORE_INVALID_KEY.
 * - Deadlines: store_set_deadline() bounds every later call of the handle, and
 *   store_put_new_batch() takes its own; a call whose deadline has passed
 *   makes no I/O, and a backend that talks to the network (S3) cuts its
 *   attempts and retries at the deadline, so no call outlives it: what is
 *   not confirmed by then is STORE_TIMEOUT (it may still have landed; a
 *   retried create-only write then finds its key taken, as any retry would).
 * Objects are immutable journals: there is no delete. One store handle is for
 * one thread at a time; use one handle per thread or process.
 *
 * URLs:
 *   file://<path>  file backend rooted at <path>, taken literally (no host
 *                  part, no %-decoding): "file:///var/x" is absolute,
 *                  "file://./logs" and "file://logs" are relative to the
 *                  working directory at store_open() time. The root is created
 *                  (mkdir -p) and must be writable, on a filesystem with hard
 *                  links. A key cannot be an object and a "directory" of keys
 *                  at once ("a" and "a/b"): the second write gets STORE_IO.
 *   s3://<bucket>[/<prefix>]  S3 backend: key k is the object "<prefix>/k";
 *                  opens only once the S3 backend is registered
 *                  (aws/store_s3.h: store_s3_register() with region,
 *                  endpoint and credentials); else store_open() fails with
 *                  "no backend for s3:// registered". */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/dstr.h"

#define STORE_KEY_MAX 1024    /* bytes in a key, a prefix or start_after */
#define STORE_SEGMENT_MAX 255 /* bytes between two '/' (a file name) */
#define STORE_LIST_MAX 1000   /* max_keys is 1..STORE_LIST_MAX */
#define STORE_RESERVED_PREFIX ".tmp-"

typedef enum {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* no object under that key */
    STORE_EXISTS,      /* store_put_new: the key already holds an object */
    STORE_INVALID_KEY, /* the key breaks the rules above */
    STORE_INVALID_ARG, /* other bad input: NULL pointer, max_keys out of range... */
    STORE_IO,          /* the backend failed; err says how */
    STORE_TIMEOUT      /* the deadline passed before the backend confirmed (or began) */
} store_status;

typedef struct store store;

/* One page of a listing. Start from a zeroed page ({0}); store_list() frees
 * the previous page itself, after reading start_after, so the usual loop
 * may pass page.keys[page.n - 1] as the next start_after. */
typedef struct store_page {
    char **keys; /* n full keys, each NUL-terminated */
    size_t n;
    int truncated; /* more keys follow the last one */
} store_page;

/* Opens the store a URL names (forms above). NULL on failure, with err
 * (appended to) saying what was wrong and which forms are accepted. */
store *store_open(const char *url, dstr *err);
void store_close(store *s);

/* Each call below that returns store_status appends, when it fails, one line
 * saying why to err (NULL: nothing is appended; a line after earlier text
 * starts with '\n'), so a caller can pass the failure on without a store. */

/* Writes or replaces key atomically. data may be NULL when n is 0. */
store_status store_put(store *s, const char *key, const void *data, size_t n, dstr *err);
/* Creates key atomically, or STORE_EXISTS if it already exists. */
store_status store_put_new(store *s, const char *key, const void *data, size_t n, dstr *err);
/* One create-only write of a batch. */
typedef struct store_write {
    const char *key;     /* in: obeys the key rules */
    const void *data;    /* in: may be NULL when n is 0 */
    size_t n;            /* in */
    store_status status; /* out: as store_put_new() would answer, or STORE_TIMEOUT */
    dstr why;            /* out: appended to when status is not STORE_OK (caller frees) */
} store_write;

/* Creates every item's key as store_put_new() would, all of them bounded by
 * deadline_ms (absolute unix ms; 0: the handle's deadline, if any): the S3
 * backend sends them concurrently, the file backend writes them in turn
 * (local disk) and starts none once the deadline has passed. Each item gets
 * its own status and reason; the keys must be distinct. Returns how many
 * items are STORE_OK; err gets one line when the batch itself is unusable
 * (no store, items NULL with n > 0). */
size_t store_put_new_batch(store *s, store_write *items, size_t n, int64_t deadline_ms, dstr *err);
/* Bounds every later call on s by deadline_ms (absolute unix ms; 0: none,
 * only the backend's own timeouts). An invocation sets its own. */
void store_set_deadline(store *s, int64_t deadline_ms);
/* The time the records in s are stated in (store_now: clock_now of it),
 * for readers that walk records from the newest day back: the wall clock
 * unless set (a simulated run's journal lives on the simulated clock).
 * Deadlines stay on the wall clock: they bound I/O. c must outlive its use. */
void store_set_clock(store *s, const clock_src *c);
int64_t store_now(const store *s);

/* Replaces out with the object (binary-safe: out->len; also NUL-terminated).
 * On failure out is left empty. */
store_status store_get(store *s, const char *key, dstr *out, dstr *err);
/* Keys starting with prefix ("" or NULL: all) and greater than start_after
 * (NULL: from the first), ascending, at most max_keys (1..STORE_LIST_MAX). */
store_status store_list(store *s, const char *prefix, const char *start_after, size_t max_keys,
                        store_page *page, dstr *err);
void store_page_free(store_page *page);

/* "ok", "not_found", "exists", "invalid_key", "invalid_arg", "io", "timeout". */
const char *store_status_name(store_status st);
/* 1 if key obeys the key rules; else 0, with the broken rule appended to why
 * (may be NULL). Lets callers check keys they build before writing. */
int store_key_valid(const char *key, dstr *why);

#endif
