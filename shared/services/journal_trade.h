/* journal_trade: the trade journal, one immutable object per fill
 * (service; the execution code writes it, GET /api/trades, the risk
 * manager's daily PnL and cooldown read it).
 *
 * Contract: journal_trade_put() creates, create-only and with NO suffix,
 *   trades/YYYYMMDD/{ts}_{symbol}_{order id}[_{trade id}].json
 * (UTC date and HHMMSSmmm of the fill's exchange time) holding
 *   {"time": ms, "symbol", "side", "type", "qty", "price", "status",
 *    "order_id", "trade_id", "client_order_id", "realized_pnl", "fee",
 *    "fee_asset", "funding", "net_pnl", "kind", "build"?, "config_hash"?,
 *    "raw"?}
 * The key is the exchange's ids (orderId, and the fill's trade id when the
 * record is one fill of userTrades; 0 = the order as a whole) and the
 * exchange's time of the event, which the exchange never changes for a
 * fill (userTrades "time"; a FILLED order's "updateTime"). So the same fill
 * journaled twice (a retried run, the executor then reconcile) meets its
 * own key: JOURNAL_EXISTS, "already journaled", never a second copy. A
 * writer journals an order either as its fills or as one order record,
 * not both (the daily PnL adds every record).
 * Quantities, prices and money stay the exchange's decimal strings
 * ("0.010"); unknown values are null. net_pnl is computed here, exactly in
 * decimal: realized_pnl - fee + funding, when the fee is in the symbol's
 * quote asset (the symbol ends with fee_asset, e.g. USDT for BTCUSDT) or
 * there is none; null when realized_pnl is unknown or the fee is in another
 * asset (BNB). "raw" is the exchange's own object when the caller passes
 * one. A trade that breaks the rules below (order_id > 0 is required), or
 * that the store cannot take, is logged in full as "journal.unwritten"
 * (kind "trade").
 *
 * journal_trade_csv() renders the newest records as CSV (RFC 4180: CRLF
 * line ends, a header line, fields holding a comma, quote, CR or LF quoted
 * with quotes doubled), newest first, time as ISO 8601 UTC with
 * milliseconds. An object that is not a trade record (not a JSON object, no
 * numeric time or string symbol, a column holding an object, array or
 * bool) is skipped with a WARN "journal.corrupt".
 *
 * Readers for the risk manager: journal_trade_day_pnl() adds up one UTC
 * day's records (one listing of that day's prefix, each record read);
 * journal_trade_last_stop_outs() finds each symbol's newest "stop" fill
 * since a time (one newest-first walk, stopping at that time). */
#ifndef JOURNAL_TRADE_H
#define JOURNAL_TRADE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/journal.h"
#include "store/store.h"

#define JOURNAL_TRADE_PREFIX "trades/"
#define JOURNAL_TRADE_CSV_HEADER                                                        \
    "time,symbol,side,type,qty,price,status,order_id,client_order_id,realized_pnl,fee," \
    "fee_asset,net_pnl"

/* The kinds of fill execution journals (journal_trade.kind). */
#define JOURNAL_TRADE_ENTRY "entry"                     /* the entry order's fill */
#define JOURNAL_TRADE_STOP "stop"                       /* the stop-loss leg fired: a stop-out */
#define JOURNAL_TRADE_TAKE_PROFIT "take_profit"         /* the take-profit leg fired */
#define JOURNAL_TRADE_EMERGENCY_CLOSE "emergency_close" /* closed: no stop could be placed */
#define JOURNAL_TRADE_RECONCILE_CLOSE "reconcile_close" /* closed or found closed by reconcile */

typedef struct journal_trade {
    int64_t time_ms;             /* when it happened (the exchange's time), unix ms */
    const char *symbol;          /* cfg_valid_symbol */
    const char *side;            /* "BUY" or "SELL" */
    const char *type;            /* 1-32 of A-Z 0-9 _: "MARKET", "LIMIT", "STOP_MARKET"... */
    const char *status;          /* same charset: "NEW", "FILLED", "CANCELED"... */
    const char *qty, *price;     /* unsigned decimal strings, NULL when unknown */
    const char *realized_pnl;    /* signed decimal string, NULL when unknown */
    const char *fee;             /* the commission, unsigned decimal string; NULL: unknown */
    const char *fee_asset;       /* its asset, 1-16 of A-Z 0-9 ("USDT", "BNB"); NULL: unknown */
    const char *funding;         /* funding over the position's life, signed decimal; NULL: none */
    int64_t order_id;            /* the exchange's orderId, > 0 (journal_trade_put requires it) */
    int64_t trade_id;            /* the fill's trade id (userTrades "id"), > 0; 0: the order */
    const char *client_order_id; /* Binance's rule ^[.A-Z:/a-z0-9_-]{1,36}$; NULL when none */
    const char *kind;            /* 1-32 of a-z 0-9 _ ("order" when NULL): JOURNAL_TRADE_ENTRY,
                                    _STOP, _TAKE_PROFIT, _EMERGENCY_CLOSE, _RECONCILE_CLOSE */
    const char *raw_json;        /* a JSON object (the exchange's answer), NULL: none */
    const char *build;           /* the build that journaled it (audit.h), NULL: omitted */
    const char *config_hash;     /* its configuration's hash, NULL: omitted */
} journal_trade;

/* 0 when t obeys the rules above; else -1 with the first broken one appended to why. */
int journal_trade_check(const journal_trade *t, dstr *why);
/* Appends the record's JSON (also for a trade that fails the check: every
 * string is escaped, raw is embedded as a string unless it is a JSON object). */
void journal_trade_json(const journal_trade *t, dstr *out);
/* The record's key: 0, or -1 when t fails the check, has no order_id or
 * the key does not fit. */
int journal_trade_key(const journal_trade *t, char *buf, size_t cap);
/* net_pnl as the contract defines it, into buf: 0, or -1 when it is
 * unknown (null) or does not fit. */
int journal_trade_net_pnl(const journal_trade *t, char *buf, size_t cap);
/* Writes t (see the contract): JOURNAL_OK (key_out, if not NULL, replaced
 * with the key), JOURNAL_EXISTS (already journaled; nothing logged), or
 * JOURNAL_INVALID / JOURNAL_UNWRITTEN after logging "journal.unwritten".
 * err (may be NULL) gets one line for every status but JOURNAL_OK. s may be
 * NULL (unwritten). */
journal_status journal_trade_put(store *s, const journal_trade *t, dstr *key_out, dstr *err);

/* Appends JOURNAL_TRADE_CSV_HEADER CRLF and up to limit (1..JOURNAL_LIMIT_MAX)
 * rows, newest first. Returns 0, or -1 when s is NULL, limit is out of range
 * or a listing fails, with one line saying which appended to err (NULL:
 * nothing); out is then left as it was. */
int journal_trade_csv(store *s, size_t limit, dstr *out, dstr *err);
/* Appends text[0..n) as one CSV field, quoted when it must be. */
void journal_trade_csv_field(dstr *out, const char *text, size_t n);

/* A stored trade record, parsed (outside input: journal_trade_parse). */
typedef struct journal_trade_info {
    int64_t time_ms;
    char symbol[24];
    char kind[33];                                   /* "order" when absent */
    int has_realized, has_fee, has_funding, has_net; /* the value was a decimal string */
    double realized_pnl, fee, funding, net_pnl;
    char fee_asset[17]; /* "" when null */
} journal_trade_info;

/* 0, or -1 with why appended: not a JSON object, time not unix ms, symbol
 * not a symbol, a money field neither null nor a decimal string. */
int journal_trade_parse(const char *json, size_t len, journal_trade_info *out, dstr *why);

/* One UTC day's realised result, from its trade records. */
typedef struct journal_day_pnl {
    size_t trades;        /* records read and used */
    double realized;      /* sum of realized_pnl */
    double fees;          /* sum of the fees in the quote asset */
    double funding;       /* sum of funding */
    double net;           /* sum of net_pnl, or realized_pnl where net_pnl is null */
    size_t fees_unnetted; /* records whose fee is in another asset (not in fees or net) */
} journal_day_pnl;

/* Adds up the records of the UTC day holding day_ms (see the contract):
 * JOURNAL_OK, or JOURNAL_UNAVAILABLE with one line in err (s NULL, the
 * listing failed). Corrupt objects are skipped (WARN) and not counted. */
journal_status journal_trade_day_pnl(store *s, int64_t day_ms, journal_day_pnl *out, dstr *err);

/* For each symbols[i] (i < n), sets at_ms[i] to the time of its newest
 * JOURNAL_TRADE_STOP record at or after since_ms, or -1 when there is none.
 * JOURNAL_OK, or JOURNAL_UNAVAILABLE with one line in err (then every
 * at_ms[i] is -1, and the caller should not assume no cooldown). */
journal_status journal_trade_last_stop_outs(store *s, const char *const *symbols, size_t n,
                                            int64_t since_ms, int64_t *at_ms, dstr *err);

#endif
