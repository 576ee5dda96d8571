/* binance_replay: the bundled real USD-M market data, replayed as if live.
 *
 * Contract: bnr_load() reads a data directory (see tests/data/binance/README.md)
 * once; afterwards everything is read-only, so any number of threads may
 * answer requests from the same bnr_data. Every answer is a pure function of
 * the data, the time passed in (now_ms) and whether the fakes' clock is
 * pinned (fake_clock.h):
 *   - one shift for all series, a whole number of days, puts "data time"
 *     t_d = now - shift inside the last 24 h of the 5m data, so the newest
 *     candle of every interval is the one forming now; a time before the
 *     data's end (a pinned clock) is served as itself (shift 0);
 *   - closed candles come from the bundled files; the forming candle of every
 *     interval is aggregated from the 5m candles of its bucket up to t_d, so
 *     all intervals agree on the current price;
 *   - the order book is synthesized around that price from a real bid-side
 *     snapshot (see bnr_depth_json).
 * The *_json functions append Binance's exact response shapes; parameter
 * validation and error bodies belong to the caller (fake_binance.c). */
#ifndef BINANCE_REPLAY_H
#define BINANCE_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "platform/dstr.h"
#include "fake_decimal.h"

#define BNR_DAY_MS 86400000LL
#define BNR_N_INTERVALS 15

typedef struct bnr_candle {
    int64_t open_time; /* data time, ms */
    fdec open, high, low, close, volume;
} bnr_candle;

typedef struct bnr_series {
    bnr_candle *rows; /* ascending open_time; NULL when not bundled */
    size_t n;
} bnr_series;

typedef struct bnr_funding {
    int64_t time;
    fdec rate;
} bnr_funding;

typedef struct bnr_symbol {
    char name[32];
    bnr_series series[BNR_N_INTERVALS]; /* indexed like bnr_interval_index() */
    bnr_funding *funding;
    size_t n_funding;
    fdec tick; /* PRICE_FILTER.tickSize */
} bnr_symbol;

typedef struct bnr_level {
    fdec price;
    fdec qty;
} bnr_level;

typedef struct bnr_data {
    bnr_symbol *symbols;
    size_t n_symbols;
    bnr_level *depth; /* snapshot bids, best first */
    size_t n_depth;
    int64_t depth_time;
    int64_t depth_last_update_id;
    cJSON *exchange_info;
    int64_t data_end_ms; /* end of the shortest 5m series: last open + 5 min */
} bnr_data;

typedef struct bnr_kline_query {
    int interval; /* bnr_interval_index() */
    int has_start, has_end;
    int64_t start_ms, end_ms; /* real (shifted) time */
    int limit;
} bnr_kline_query;

/* Returns 0, or -1 with a message in err; d is always safe to bnr_free(). */
int bnr_load(bnr_data *d, const char *dir, dstr *err);
void bnr_free(bnr_data *d);

const bnr_symbol *bnr_find_symbol(const bnr_data *d, const char *name);
/* Index of a Binance kline interval ("1m" .. "1M"), -1 if not one. */
int bnr_interval_index(const char *interval);
int bnr_interval_bundled(const bnr_symbol *s, int interval);
/* The replay shift (whole days) in force at now_ms. */
int64_t bnr_shift_ms(const bnr_data *d, int64_t now_ms);

/* GET /fapi/v1/klines body: array of 12-field rows. */
void bnr_klines_json(const bnr_data *d, const bnr_symbol *s, const bnr_kline_query *q,
                     int64_t now_ms, dstr *out);
/* GET /fapi/v1/depth body with min(limit, snapshot levels) levels a side:
 * bids keep the snapshot's offsets from its best bid, scaled to the current
 * price and put on the tick grid (never two levels on one tick); asks mirror
 * them upwards; best ask - best bid = one tick; qtys are the snapshot's. */
void bnr_depth_json(const bnr_data *d, const bnr_symbol *s, int limit, int64_t now_ms, dstr *out);
/* The close of the 5m candle forming at now_ms (the replay's current price,
 * also its mark price); its open while the clock is pinned (as of that
 * instant). Returns 0, or -1 when the data has no such candle. */
int bnr_current_price(const bnr_data *d, const bnr_symbol *s, int64_t now_ms, fdec *price);
/* GET /fapi/v1/premiumIndex body for one symbol (an object); mark, when not
 * NULL, replaces the replayed price (a scripted mark-price path). */
void bnr_premium_json(const bnr_data *d, const bnr_symbol *s, int64_t now_ms, const fdec *mark,
                      dstr *out);
/* GET /fapi/v1/fundingRate body: the funding rows (time <= the data time
 * at now_ms) selected like klines by q's start/end/limit (q->interval is
 * unused), times shifted: [{symbol,fundingTime,fundingRate,markPrice}],
 * markPrice "" (the bundled history lacks it). */
void bnr_funding_json(const bnr_data *d, const bnr_symbol *s, const bnr_kline_query *q,
                      int64_t now_ms, dstr *out);
/* GET /fapi/v1/exchangeInfo body: the bundled file with serverTime = now. */
void bnr_exchange_info_json(const bnr_data *d, int64_t now_ms, dstr *out);

#endif
