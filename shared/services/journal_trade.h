/* journal_trade: the trade journal, one immutable object per order event
 * (service; the execution code writes it, GET /api/trades reads it).
 *
 * Contract: journal_trade_put() writes
 *   trades/YYYYMMDD/{ts}_{symbol}_{client order id, or kind}.json
 * (UTC date and HHMMSSmmm of the event; '/' of a client order id becomes
 * '.'; a taken key gets -1, -2, ...) holding
 *   {"time": ms, "symbol", "side", "type", "qty", "price", "status",
 *    "order_id", "client_order_id", "realized_pnl", "kind", "raw"?}
 * Quantities and prices stay the exchange's decimal strings ("0.010"), so
 * nothing is rounded on the way; unknown values are null. "raw" is the
 * exchange's own object when the caller passes one. A trade that breaks the
 * rules below, or that the store cannot take, is logged in full as
 * "journal.unwritten" (kind "trade") and the call returns -1.
 *
 * journal_trade_csv() renders the newest records as CSV (RFC 4180: CRLF
 * line ends, a header line, fields holding a comma, quote, CR or LF quoted
 * with quotes doubled), newest first, time as ISO 8601 UTC with
 * milliseconds. An object that is not a trade record (not a JSON object, no
 * numeric time or string symbol, a column holding an object, array or
 * bool) is skipped with a WARN "journal.corrupt". */
#ifndef JOURNAL_TRADE_H
#define JOURNAL_TRADE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "store/store.h"

#define JOURNAL_TRADE_PREFIX "trades/"
#define JOURNAL_TRADE_CSV_HEADER \
    "time,symbol,side,type,qty,price,status,order_id,client_order_id,realized_pnl"

typedef struct journal_trade {
    int64_t time_ms;             /* when it happened (the exchange's time), unix ms */
    const char *symbol;          /* cfg_valid_symbol */
    const char *side;            /* "BUY" or "SELL" */
    const char *type;            /* 1-32 of A-Z 0-9 _: "MARKET", "LIMIT", "STOP_MARKET"... */
    const char *status;          /* same charset: "NEW", "FILLED", "CANCELED"... */
    const char *qty, *price;     /* unsigned decimal strings, NULL when unknown */
    const char *realized_pnl;    /* signed decimal string, NULL when unknown */
    int64_t order_id;            /* the exchange's orderId, > 0; 0 when unknown */
    const char *client_order_id; /* Binance's rule ^[.A-Z:/a-z0-9_-]{1,36}$; NULL when none */
    const char *kind;            /* 1-32 of a-z 0-9 _ ("order" when NULL): names the key when
                                    there is no client order id ("fill", "cancel"...) */
    const char *raw_json;        /* a JSON object (the exchange's answer), NULL: none */
} journal_trade;

/* 0 when t obeys the rules above; else -1 with the first broken one appended to why. */
int journal_trade_check(const journal_trade *t, dstr *why);
/* Appends the record's JSON (also for a trade that fails the check: every
 * string is escaped, raw is embedded as a string unless it is a JSON object). */
void journal_trade_json(const journal_trade *t, dstr *out);
/* The key without a suffix: 0, or -1 when t fails the check or it does not fit. */
int journal_trade_key(const journal_trade *t, char *buf, size_t cap);
/* Writes t under the first free key: 0 (key_out, if not NULL, replaced with
 * the key) or -1 after logging "journal.unwritten". s may be NULL. */
int journal_trade_put(store *s, const journal_trade *t, dstr *key_out);

/* Appends JOURNAL_TRADE_CSV_HEADER CRLF and up to limit (1..JOURNAL_LIMIT_MAX)
 * rows, newest first. Returns 0, or -1 when s is NULL, limit is out of range
 * or a listing fails, with one line saying which appended to err (NULL:
 * nothing); out is then left as it was. */
int journal_trade_csv(store *s, size_t limit, dstr *out, dstr *err);
/* Appends text[0..n) as one CSV field, quoted when it must be. */
void journal_trade_csv_field(dstr *out, const char *text, size_t n);

#endif
