/* history: market history kept in files, the data the simulated exchange
 * (and the backtest) replays: Binance kline CSV, funding-rate CSV and a
 * saved exchangeInfo answer, in the layout of tests/data/binance/
 * (klines/<SYMBOL>-<interval>.csv, funding/<SYMBOL>-funding.csv,
 * exchangeInfo.json).
 *
 * Contract: outside input, parsed defensively. A kline CSV is an optional
 * header line starting "open_time", then rows
 * open_time,open,high,low,close,volume,close_time[,...] (further columns
 * ignored, may be empty): times whole milliseconds, prices finite and > 0,
 * low <= open,close <= high, volume >= 0, close_time > open_time, open
 * times strictly increasing. A funding CSV is the header
 * "funding_time,symbol,funding_rate" then rows of a whole-ms time, the
 * symbol and a finite rate, times strictly increasing. The first bad row
 * fails the whole file: -1 with one line "<name>:<line>: <what>" in err and
 * nothing kept; 0 with the rows otherwise (none is fine for funding, an
 * error for klines). exchangeInfo goes through the Binance client's own
 * parser (bn_exchange_info_rules), so the rules are read one way only. */
#ifndef HISTORY_H
#define HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "domain/marketdata.h"
#include "domain/symbol_rules.h"

typedef struct hist_funding {
    int64_t time_ms; /* fundingTime as recorded (Binance's are a few ms past the hour) */
    double rate;     /* > 0: longs pay shorts */
} hist_funding;

/* Parsers of file contents (name is only for the error line). */
int hist_candles_parse(const char *text, size_t len, const char *name, candles *out, dstr *err);
int hist_funding_parse(const char *text, size_t len, const char *name, hist_funding **v, size_t *n,
                       dstr *err);

/* The same from files. A missing funding file is 0 with no rows (*missing
 * set when missing is not NULL): funding then counts as unknown, never 0. */
int hist_load_candles(const char *path, candles *out, dstr *err);
int hist_load_funding(const char *path, hist_funding **v, size_t *n, int *missing, dstr *err);
/* The rules of the symbols asked (n 0: all) from a saved exchangeInfo. */
int hist_load_rules(const char *path, const char *const *symbols, size_t n, symbol_rules **v,
                    size_t *nv, dstr *err);

#endif
