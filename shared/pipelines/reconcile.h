/* reconcile: at the start of every run, make the exchange and the journal
 * agree before anything new is decided (issue 9 item 7).
 *
 * Contract: reconcile() works from the run's ONE read batch (ex_account:
 * positions, open orders, open algo orders, rules, user trades, income; the
 * caller read them together with the market data) and the newest bracket
 * plan of each symbol (brackets.h). It touches only this bot's orders
 * (client ids of exec_client_id with ORDER_ID_PREFIX) on the run's symbols.
 * Per symbol:
 *  - reads failed (positions, open orders or open algo orders): nothing is
 *    done, no entry ("account unread").
 *  - an order or algo order that is not this bot's: left alone, foreign,
 *    no entry on the symbol (reported: reconcile.foreign).
 *  - flat: this bot's open legs and orders are cancelled (the legs are not
 *    linked: when one fires the other stays; a LIMIT entry of an earlier
 *    run is not wanted any more); a cancel that fails blocks entries this
 *    run. The fills since the plan's candle are journaled (below).
 *  - a position: no entry (never a second position). It is this bot's when
 *    one of its orders is on the symbol, or the newest plan has its side
 *    and at least its size; else it is foreign: left alone, no entry. For
 *    this bot's position, the position and the legs found are named in
 *    one action ("position": "protected" or "missing_leg", with the
 *    amount, entry price, and each leg's quantity, trigger and client id),
 *    so the run record says what an earlier, killed run left behind; when
 *    no run recorded the position's fill (its answer was lost, the process
 *    was killed), its fill record is written now from the position
 *    (bracket_fill_put, "recovered": true; action "journal_fill"
 *    "recovered"). For
 *    this bot's position, a missing stop or take-profit is re-created from
 *    the plan at the decided distances from the position's entry price
 *    (exec_protect, ids ..._s / ..._t, with the same fault handling as the
 *    bracket: a stop that cannot be placed closes the position at market).
 *    A position of this bot without a stop and without a plan to price one
 *    is closed at market (..._C): never a position without its stop. When
 *    the rules could not be read, nothing is placed this run (ERROR
 *    reconcile.unprotected; the next run retries).
 *  - journaling closed trades: when a symbol is flat, has a plan, and fills
 *    since its candle whose newest is not journaled yet, the plan's client
 *    ids are queried (one batch) to tell the entry, stop, take-profit and
 *    closes apart, and every fill becomes a trade record (journal_trade:
 *    create-only, keyed by the exchange's ids: a fill journaled twice meets
 *    its own key), with its realised PnL and commission; the funding paid
 *    or received since the candle goes with the last closing fill. Each
 *    record written is an action "journal_trade" "journaled" whose detail
 *    starts with its kind ("take_profit BUY 0.112 at 87893.3, realised PnL
 *    75.94, fee 4.92": run_alerts.h reads it).
 *  - a bracket in flight: when the newest plan's run may still be sending
 *    (now is before the plan's deadline_ms + RECONCILE_INFLIGHT_SLACK_MS
 *    and runs/ has no record of that run, or its record's finished_ms is
 *    not before this run's ex_account.read_ms:
 *    the read may show its position without the legs it placed next; an
 *    overlapping run, not a killed one, whose deadline passes), its legs are not re-created on a
 *    position and nothing is cancelled on a flat symbol, and no entry is
 *    made there this run (action "bracket_in_flight" "deferred", WARN
 *    reconcile.in_flight): two overlapping runs never place two brackets.
 * execute 0: nothing is sent and nothing is journaled; each action is
 * reported as "would_..." in actions (JSON objects, comma separated). */
#ifndef PL_RECONCILE_H
#define PL_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "pipelines/brackets.h"
#include "pipelines/env.h"
#include "pipelines/execute.h"
#include "services/exchange.h"

#define RECONCILE_INFLIGHT_SLACK_MS 1000 /* a request sent by the deadline may land after it */
#define RECONCILE_RUN_MAX_MS (15LL * 60 * 1000) /* Lambda's longest run: older records are not it */

typedef struct rec_symbol {
    char symbol[EX_SYMBOL_LEN];
    int read_ok;              /* the account reads of the symbol succeeded */
    int position;             /* a position is open on the symbol (anyone's) */
    int ours;                 /* that position is this bot's */
    int foreign;              /* a position or order this bot did not make is there */
    int entry_ok;             /* reconcile allows a new entry on the symbol */
    int cancelled, recreated; /* this bot's orders cancelled, legs re-created */
    int journaled;            /* trade records written */
    exec_outcome protect;     /* when legs were re-created: the outcome */
    char why[EXEC_REASON_LEN];
} rec_symbol;

/* out[i] for symbols[i]; plans[i] the symbol's newest plan (has 0: none).
 * Returns the number of symbols with a foreign position or order. */
size_t reconcile(const pl_env *env, const ex_account *a, const bracket_info *plans,
                 const char *const *symbols, size_t n, int execute, rec_symbol *out, dstr *actions);

#endif
