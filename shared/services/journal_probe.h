/* journal_probe: the probe records, one per backtest marked as a probe of a
 * strategy (service; the backtest writes them, the trader's init reads
 * them: pipelines/probe.h).
 *
 * Contract: a journal_stream.h stream per strategy hash,
 *   probe/{STRATEGY_HASH}/{INV}_probe.json
 * holding {"time": unix ms, "strategy_hash", "config_hash", "run_id",
 * "ready": bool, "why": text, "max_drawdown_pct", "closed_trades",
 * "net_pnl", "from", "to", "symbols": [...]}: "time" is when the backtest
 * ran (the wall clock), the key's INV is that time, so the newest probe of a
 * strategy is the first key of its prefix. Every probe is kept (append-only;
 * a newer one, ready or not, decides). The strategy hash is a journal tag
 * (journal_valid_tag); the run id and the texts are kept to
 * JOURNAL_PROBE_TEXT_MAX bytes. A stored object that does not parse is
 * skipped as journal_stream does. */
#ifndef JOURNAL_PROBE_H
#define JOURNAL_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/journal.h"
#include "store/store.h"

#define JOURNAL_PROBE_PREFIX "probe/"
#define JOURNAL_PROBE_TEXT_MAX 200

typedef struct journal_probe {
    int64_t time_ms;
    char strategy_hash[JOURNAL_TAG_MAX + 1];
    char config_hash[JOURNAL_TAG_MAX + 1];
    char run_id[JOURNAL_PROBE_TEXT_MAX + 1];
    int ready;
    char why[JOURNAL_PROBE_TEXT_MAX + 1];
    double max_drawdown_pct;
    long closed_trades;
    double net_pnl;
    char from[32], to[32];      /* the period, ISO 8601 UTC */
    const char *const *symbols; /* writing only */
    size_t n_symbols;
} journal_probe;

/* Writes p under its strategy's stream at p->time_ms. JOURNAL_OK, or
 * another status with one line in err. */
journal_status journal_probe_put(store *s, const journal_probe *p, dstr *err);
/* The newest probe of the strategy: 0 with *out, 1 none, -1 unavailable
 * (one line in err: the caller must not assume there is none). */
int journal_probe_newest(store *s, const char *strategy_hash, journal_probe *out, dstr *err);
/* Parses one stored probe (outside input): 0, or -1 with why appended. */
int journal_probe_parse(const char *json, size_t len, journal_probe *out, dstr *why);

#endif
