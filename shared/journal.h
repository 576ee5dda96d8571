/* journal: the decision journal in the object store (service).
 *
 * Contract: every decision leaves two records, as the original service kept
 * them:
 *   payloads/YYYYMMDD/{ts}_{symbol}_request.json   what the predictor was asked
 *   payloads/YYYYMMDD/{ts}_{symbol}_decision.json  the decision (what
 *                                                  /api/signals serves)
 * with the date and ts = HHMMSSmmm in UTC of the decision time. Writers never
 * overwrite: a key already taken (two decisions in one millisecond, a retried
 * invocation) gets the first free suffix, {ts}_{symbol}_decision-1.json, -2,
 * ... up to JOURNAL_MAX_SUFFIX. A record that cannot be written after the
 * store's own attempts is logged in full as a "journal.unwritten" event
 * (ERROR), so the log service still has it, and the call reports failure:
 * nothing is lost silently.
 *
 * journal_recent_decisions() reads decisions back newest first. S3 lists in
 * ascending key order only, so it walks day prefixes from tomorrow (UTC, to
 * absorb clock skew) backwards, lists each day in full and takes its
 * decision keys from the end, and loads only the objects it returns. The
 * walk ends when `limit` records are found, when it passes the oldest day
 * (the first key of "payloads/", one listing of one key), or after
 * JOURNAL_MAX_EMPTY_DAYS consecutive days without a decision. Stored objects
 * that are not a JSON object are skipped with a WARN "journal.corrupt" (one
 * that cannot be read, "journal.unreadable"), and do not count against the
 * limit. */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dstr.h"
#include "store.h"

#define JOURNAL_PREFIX "payloads/"
#define JOURNAL_MAX_SUFFIX 99
#define JOURNAL_MAX_EMPTY_DAYS 400
#define JOURNAL_LIMIT_MAX 1000
#define JOURNAL_KEY_MAX 96

typedef enum journal_kind { JOURNAL_REQUEST, JOURNAL_DECISION } journal_kind;

/* The process-wide journal store for url, opened on first use and kept for
 * the life of the process (a warm Lambda reuses it). A different url closes
 * the old one and opens the new. NULL when it cannot be opened: logged as
 * "journal.open_failed" (ERROR), and the next call tries again. */
store *journal_open(const char *url);
/* Closes the process-wide store (at exit; safe when none is open). */
void journal_close(void);

/* The key of a record: suffix 0 is the plain name, n > 0 adds "-n".
 * Returns 0, or -1 when symbol is not a valid symbol (cfg_valid_symbol),
 * at_ms is negative or past year 9999, or suffix is out of 0..JOURNAL_MAX_SUFFIX. */
int journal_key(journal_kind kind, const char *symbol, int64_t at_ms, int suffix, char *buf,
                size_t cap);

/* Writes one record (json, len bytes) for symbol at at_ms under the first
 * free key. s may be NULL (store unavailable: the record is unwritten).
 * Returns 0 and, if key_out is not NULL, replaces it with the key; or -1
 * after logging "journal.unwritten" {kind, symbol, key, error, record}. */
int journal_put(store *s, journal_kind kind, const char *symbol, int64_t at_ms, const char *json,
                size_t len, dstr *key_out);

/* Appends a JSON array of up to limit (1..JOURNAL_LIMIT_MAX) decision
 * records, newest first, to out. Returns 0, or -1 when s is NULL, limit is
 * out of range or a listing fails (store_last_error says why; out is then
 * left as it was). */
int journal_recent_decisions(store *s, size_t limit, dstr *json_array_out);

const char *journal_kind_name(journal_kind kind); /* "request", "decision" */

#endif
