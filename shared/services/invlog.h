/* invlog: the invocation log: every log line one invocation printed, kept as
 * one object in the store (platform; the api frame drives it).
 *
 * Contract: invlog_begin() starts collecting every finished log line through
 * log_set_sink(); the lines still go to stdout as always, already scrubbed
 * by log.c (platform/secret.h), so the record never holds more than stdout
 * did (and recordkey_put_new() scrubs the object again on its way out).
 * invlog_end() stops collecting and writes one object,
 *   logs/YYYYMMDD/{ts}_{function}_{request id}.jsonl
 * (UTC date and HHMMSSmmm of the invocation's start; a taken key gets -1,
 * -2, ...), the lines in order, each ending in '\n'. A record keeps at most
 * its cap (INVLOG_MAX_BYTES): later lines are left out of it (not out of
 * stdout) and its last line, a WARN "invlog.truncated" {dropped_lines,
 * dropped_bytes, cap_bytes}, says so.
 * The write is bounded by the deadline: it is not tried with under
 * INVLOG_MIN_WRITE_MS left, and it ends INVLOG_PRINT_MS before the deadline
 * whatever the store does (store_put_new_batch's deadline), so there is
 * always time to print the record instead.
 * When the object cannot be written (no store, a store failure after the
 * store's own attempts, no confirmation by then: better a record on stdout
 * than an invocation killed mid-write),
 * the record is printed on stdout as ERROR "journal.unwritten" events
 * {kind:"log", key, error, part, parts, unwritten_in_process, record:[the
 * lines]}, in parts of at most INVLOG_UNWRITTEN_PART bytes of lines (a
 * CloudWatch event keeps 256 KB), and invlog_end() returns -1.
 * One invocation at a time (log.h is single-threaded); a zeroed invlog is
 * ready for invlog_begin(). */
#ifndef INVLOG_H
#define INVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "store/store.h"

#define INVLOG_PREFIX "logs/"
#define INVLOG_EXT ".jsonl"
#define INVLOG_MAX_BYTES (1024u * 1024u)
#define INVLOG_UNWRITTEN_PART (200u * 1024u)
#define INVLOG_MIN_WRITE_MS 200
#define INVLOG_PRINT_MS 100 /* of the deadline, kept to print an unwritten record */
#define INVLOG_KEY_MAX 256

typedef struct invlog {
    dstr lines; /* the record so far */
    size_t cap; /* bytes the record may hold */
    size_t n_lines, dropped_lines, dropped_bytes;
    int active, closing, note_kept;
    int64_t started_ms;
    char function[65];
    char request_id[129];
    size_t unwritten; /* records of this process that could not be written */
} invlog;

/* Starts collecting the lines of the invocation request_id of function,
 * started at now_ms; cap 0 means INVLOG_MAX_BYTES. Replaces any log sink. */
void invlog_begin(invlog *l, const char *function, const char *request_id, int64_t now_ms,
                  size_t cap);
/* Stops collecting (removes the sink) and writes the record through s (may
 * be NULL: unwritten) unless under INVLOG_MIN_WRITE_MS remain before
 * deadline_ms; the write itself ends by deadline_ms - INVLOG_PRINT_MS. Returns 0 (key_out, if not NULL, replaced with the key) or
 * -1 after printing the record as journal.unwritten. Without a begun
 * invocation: -1, nothing printed. */
int invlog_end(invlog *l, store *s, int64_t deadline_ms, dstr *key_out);
/* Stops collecting and keeps nothing (the lines were printed as always). */
void invlog_discard(invlog *l);
void invlog_free(invlog *l);

/* The key without a suffix: 0, or -1 when function is not 1-64 of
 * [A-Za-z0-9_-], request_id not 1-128 of [A-Za-z0-9._:-], or at_ms is out
 * of range. */
int invlog_key(const char *function, const char *request_id, int64_t at_ms, char *buf, size_t cap);

#endif
