/* journal_read: the journal's read endpoints as pipelines: the newest
 * decision records, the trade journal as CSV, the newest invocation-log
 * lines, from the environment's journal store (services/journal*.h say what
 * each reads and in which order). Each returns 0, or -1 with why appended to
 * err: the store did not open, or the store failed (its own message). */
#ifndef JOURNAL_READ_H
#define JOURNAL_READ_H

#include <stddef.h>

#include "platform/dstr.h"
#include "pipelines/env.h"
#include "services/journal.h"

#define JOURNAL_READ_MAX JOURNAL_LIMIT_MAX /* the most records or lines one read returns */

/* A JSON array of decision records, newest first. */
int journal_read_decisions(const pl_env *env, size_t limit, dstr *out, dstr *err);
/* The newest `limit` trades as CSV (header included). */
int journal_read_trades_csv(const pl_env *env, size_t limit, dstr *out, dstr *err);
/* The newest `lines` invocation-log lines as NDJSON. */
int journal_read_logs(const pl_env *env, size_t lines, dstr *out, dstr *err);

#endif
