/* history_fetch: brings a data folder in history.h's layout up to date from
 * Binance's public REST, and describes it in its manifest.
 *
 * Contract: hf_fetch() adds, for one symbol and the period [from_ms, to_ms),
 * the CLOSED candles (close_time < now_ms) of each interval missing from
 * klines/<SYMBOL>-<tf>.csv and the funding events missing from
 * funding/<SYMBOL>-funding.csv (GET /fapi/v1/klines paged forward by
 * startTime, BN_KLINES_MAX a page; GET /fapi/v1/fundingRate, BN_FUNDING_MAX a
 * page). What is missing: the whole period for a new file; else the part
 * before the first row, every gap (a missing open_time step, anywhere in the
 * file) and the part after the last row, so a second run asks only for what
 * it lacks and nothing is written twice. Rows already on disk keep their
 * bytes; new ones are merged in time order and each file is replaced whole
 * (a temporary file renamed over it), so a failure never leaves half a row.
 * exchangeInfo.json is fetched when the folder lacks it. Each request is
 * bounded by request_budget_ms (retries and backoff included) and the client
 * honours 418/429 (http.h). The first failure stops the fetch: -1 with one
 * line in err, the rows fetched before it written, the gaps left reported.
 * With bn NULL nothing is asked: gaps are only counted.
 *
 * hf_manifest_write() writes <dir>/manifest.json (atomically) describing every
 * CSV file in klines/ and funding/ there: rows, first and last time, SHA-256 of
 * the bytes, and for klines the gaps still open (from/to open times, candles
 * missing); with spec and st, "last_fetch" says what that fetch asked and did
 * (symbol, period, requests, rows added, gaps found and filled, and its
 * error when failure is not NULL). hf_manifest_file() is one entry of that
 * list as a cJSON object (the caller's to free), for dir/sub/name (sub
 * "klines", "funding", or NULL for a file at the root such as
 * exchangeInfo.json: path, sha256 and bytes only): a simulated run's
 * manifest lists the files it read with the same entries. */
#ifndef HISTORY_FETCH_H
#define HISTORY_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/binance.h"

typedef struct hf_spec {
    const bn_client *bn; /* NULL: offline */
    const char *dir;
    const char *symbol;
    const char *const *intervals; /* NULL: 5m, 1h, 4h, 1d */
    size_t n_intervals;
    int64_t from_ms, to_ms; /* [from, to) */
    int64_t now_ms;         /* a candle is written once closed: close_time < now_ms */
    long request_budget_ms; /* each request's deadline, from its start */
} hf_spec;

typedef struct hf_stats {
    size_t requests;
    size_t candles_added, funding_added;
    size_t gaps_found, gaps_filled; /* gaps inside the kline files as found */
} hf_stats;

struct cJSON;

int hf_fetch(const hf_spec *s, hf_stats *st, dstr *err);
struct cJSON *hf_manifest_file(const char *dir, const char *sub, const char *name);
int hf_manifest_write(const char *dir, const hf_spec *spec, const hf_stats *st, const char *failure,
                      dstr *err);

#endif
