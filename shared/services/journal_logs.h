/* journal_logs: the newest lines of the invocation logs (service; GET /api/logs).
 *
 * Contract: journal_logs_tail() answers the newest n log lines kept under
 * logs/ (one object per invocation, invlog.h) the way tail(1) does: in
 * chronological order, the newest line last, each a JSON object followed by
 * '\n'. Invocations are ordered by their start (the key) and lines within one
 * by when they were printed, so the lines of overlapping invocations stay
 * grouped per invocation. The objects are read newest first through the
 * journal's walk, and only as many as the n lines need. A line that is not a
 * JSON object is skipped (one WARN "journal.corrupt" per object). The answer
 * holds at most JOURNAL_LOGS_MAX_BYTES (a Lambda response carries 6 MB):
 * when the newest n lines are larger, the older ones are left out. */
#ifndef JOURNAL_LOGS_H
#define JOURNAL_LOGS_H

#include <stddef.h>

#include "platform/dstr.h"
#include "store/store.h"

#define JOURNAL_LOGS_MAX_BYTES (4u * 1024u * 1024u)

/* Appends up to n (1..JOURNAL_LIMIT_MAX) lines to out and sets *returned (may
 * be NULL) to how many. Returns 0, or -1 when s is NULL, n is out of range or
 * a listing fails, with one line saying which appended to err (NULL:
 * nothing); out is then left as it was. */
int journal_logs_tail(store *s, size_t n, dstr *out, size_t *returned, dstr *err);

#endif
