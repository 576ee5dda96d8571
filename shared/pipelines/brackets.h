/* brackets: the executor's plan of each position it opens, kept in the
 * journal so a later run can re-create a missing stop or take-profit at the
 * decided distances, and can tell this bot's position from another's.
 *
 * Contract: bracket_put() creates, create-only with NO suffix
 * (journal_put_exact),
 *   brackets/YYYYMMDD/{HHMMSSmmm of the decision candle}_{symbol}.json
 * holding {"symbol", "candle_ms", "created_ms", "side" ("LONG"|"SHORT"),
 * "qty", "entry", "sl", "tp" (the sized decimal texts), "sl_distance",
 * "tp_distance" (numbers > 0), "run_id", "build", "config_hash",
 * "deadline_ms" (the writing run's I/O deadline: after it that run sends
 * nothing more; 0 when unknown; read as 0 when absent or not unix ms)}. It is
 * written after the claim and BEFORE the entry is sent: an entry is only
 * sent when its plan is stored (else a position could exist that no run
 * knows how to protect). JOURNAL_EXISTS means an earlier attempt of the same
 * decision wrote it: no entry either (the claim says the same).
 * bracket_latest() finds each symbol's newest plan in one newest-first walk
 * of brackets/ (stored objects that do not parse are skipped with a WARN
 * journal.corrupt).
 *
 * bracket_fill_put() records the entry's fill the moment it is known, BEFORE
 * the legs are sent, create-only with no suffix (keyed like the claim and
 * the plan),
 *   fills/YYYYMMDD/{HHMMSSmmm of the decision candle}_{symbol}.json
 * holding {"symbol", "candle_ms", "filled_ms", "side", "client_id",
 * "order_id", "qty" (the filled quantity, as the exchange wrote it),
 * "fill_price" (number), "sl_trigger", "tp_trigger" (the triggers the legs
 * are about to be sent with, null when they cannot be priced), "build",
 * "recovered" (false; true when reconcile wrote it for a position of this
 * bot whose fill no run recorded, e.g. the entry's answer was lost or the
 * process was killed: then fill_price is the position's entry price,
 * order_id 0, and the triggers those of the legs found or re-created)}.
 * So a process killed after the fill (or after a leg landed) still leaves a
 * record naming the fill and the legs' actual triggers; the run id and the
 * configuration hash are the plan's (same key stem). JOURNAL_EXISTS: an
 * earlier attempt recorded it. */
#ifndef PL_BRACKETS_H
#define PL_BRACKETS_H

#include <stddef.h>
#include <stdint.h>

#include "domain/prediction.h"
#include "platform/dstr.h"
#include "services/exchange.h"
#include "services/journal.h"
#include "store/store.h"

#define BRACKET_PREFIX "brackets/"
#define BRACKET_FILL_PREFIX "fills/"

typedef struct bracket_info {
    int has; /* 0: no plan found */
    char symbol[EX_SYMBOL_LEN];
    int64_t candle_ms, created_ms, deadline_ms;
    direction dir;
    char qty[EX_DECIMAL_LEN], entry[EX_DECIMAL_LEN], sl[EX_DECIMAL_LEN], tp[EX_DECIMAL_LEN];
    double qty_value, sl_distance, tp_distance;
    char run_id[JOURNAL_ID_MAX + 1];
} bracket_info;

typedef struct bracket_plan {
    const char *symbol;
    int64_t candle_ms, created_ms;
    direction dir;
    const char *qty, *entry, *sl, *tp;
    double sl_distance, tp_distance;
    const char *run_id, *build, *config_hash;
    int64_t deadline_ms; /* the run's I/O deadline (pl_env.deadline_ms); 0: unknown */
} bracket_plan;

typedef struct bracket_fill {
    const char *symbol;
    int64_t candle_ms, filled_ms;
    direction dir;
    const char *client_id;
    int64_t order_id;
    const char *qty;
    double fill_price;
    const char *sl_trigger, *tp_trigger; /* NULL: the leg cannot be priced */
    const char *build;
    int recovered; /* written by reconcile from the position, not by the run that filled */
} bracket_fill;

/* The record's key: 0, or -1. */
int bracket_key(const char *symbol, int64_t candle_ms, char *buf, size_t cap);
journal_status bracket_put(store *s, const bracket_plan *p, dstr *err);
/* The plans of several symbols (distinct keys) in ONE batch bounded by
 * deadline_ms (0: the store's): st[i] is p[i]'s status, as bracket_put
 * would answer; err gets a line for each that is not OK. */
void bracket_puts(store *s, const bracket_plan *p, size_t n, int64_t deadline_ms,
                  journal_status *st, dstr *err);
/* The fill record's key (fills/...): 0, or -1. */
int bracket_fill_key(const char *symbol, int64_t candle_ms, char *buf, size_t cap);
journal_status bracket_fill_put(store *s, const bracket_fill *f, dstr *err);
/* The fill records of several symbols (distinct keys) in ONE batch bounded
 * by deadline_ms (0: the store's): st[i] is f[i]'s status, as
 * bracket_fill_put would answer; err gets a line for each that is not OK. */
void bracket_fills_put(store *s, const bracket_fill *f, size_t n, int64_t deadline_ms,
                       journal_status *st, dstr *err);
/* Parses a stored record (outside input): 0, or -1 with why appended. */
int bracket_parse(const char *json, size_t len, bracket_info *out, dstr *why);
/* out[i] for symbols[i] (has 0 when none). 0, or -1 with one line in err
 * (no store, a listing failed: then the caller must not assume there is no
 * plan). */
int bracket_latest(store *s, const char *const *symbols, size_t n, bracket_info *out, dstr *err);

#endif
