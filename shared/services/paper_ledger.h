/* paper_ledger: the paper account (EXECUTE_TRADES=paper) kept in the
 * journal as append-only records, and derived from them at every run.
 *
 * Records (create-only, never rewritten; recordkey.h's layout):
 *   ledger/events/YYYYMMDD/HHMMSSmmm_<seq>-<op>-<nonce>.json  what one call changed:
 *       the fills and income it booked, the orders, algo orders and
 *       holdings it changed, how far it walked the price path;
 *   ledger/state/{INV}_<seq>-<op>-<nonce>.json   the whole account after that
 *       call, and the event keys of the last PAPER_SETTLE_MS it has folded
 *       in ("covers"); {INV} is journal_stream.h's inverted time, so the
 *       newest state is the first key of one listing however old it is.
 * Both of one call go to the store in ONE batch. A state is a cache of the
 * events: the account is the newest readable state plus every event record
 * of the PAPER_SETTLE_MS before it, or after it, that it does not cover,
 * folded in key order. So two runs that overlap (each starting from the
 * same state) both count: the fold takes every fill and income entry once
 * (by id: a fill both walked has one id, see sim_exchange's ids), each
 * order, algo order and holding in its latest version (update time; on a
 * tie the further status), and the wallet as the state's plus the income
 * it had not seen. A run's records land well within PAPER_SETTLE_MS (the
 * trader's timeout is minutes), which is what makes the window enough.
 *
 * The fold keeps closed orders, fills and income of the last
 * SIM_TRADES_WINDOW_MS (what the trader reads back); older ones stay in the
 * event records, the audit trail. A stored record that cannot be parsed is
 * skipped with journal.corrupt (an older state is tried); none at all is a
 * new account of start_balance.
 *
 * Failures: -1 with one line in err (the store's reason). */
#ifndef PAPER_LEDGER_H
#define PAPER_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/sim_exchange.h"
#include "store/store.h"

#define PAPER_EVENTS_ROOT "ledger/events/"
#define PAPER_STATE_ROOT "ledger/state/"
#define PAPER_SETTLE_MS (3600LL * 1000)
#define PAPER_RECORD_MAX (8u << 20) /* bytes of a stored record read back */
#define PAPER_LIST_MAX 100000       /* items of one list in a record */

/* The account's JSON object (every field; a diff's absent parts are empty
 * lists, hedge -1: unchanged). Doubles print exactly (they read back the same). */
void paper_account_json(const sim_account *a, dstr *out);
/* Parses paper_account_json()'s object (outside input: every field checked;
 * duplicated keys: the first counts). 0, or -1 with why. */
struct cJSON;
int paper_account_parse(const struct cJSON *obj, sim_account *out, dstr *why);

/* What changed from before to after (after's walked_to; hedge -1 when the
 * same); 1 when anything did besides the walk, else 0. */
int paper_account_diff(const sim_account *before, const sim_account *after, sim_account *out);
/* Folds an event record's account into into (see the contract); entries
 * older than since_ms that are closed are dropped. */
void paper_account_merge(sim_account *into, const sim_account *ev, int64_t since_ms);

typedef struct paper_ledger {
    sim_account acct; /* the account derived */
    int64_t state_ms; /* the state it started from (0: none) */
    char **covers;    /* event keys folded in, within the window */
    size_t n_covers;
    size_t events_folded; /* event records the state did not cover */
    size_t corrupt;       /* records skipped */
} paper_ledger;

/* Derives the account from s as of now_ms. 0, or -1 with err (a listing or
 * read failed: nothing is known, so nothing may be traded). */
int paper_ledger_load(store *s, double start_balance, int64_t now_ms, paper_ledger *out, dstr *err);
/* Writes what changed from l->acct to after (op names the call: "read",
 * "order", ...) as an event record and after as the new state, in ONE
 * batch by deadline_ms; then l->acct is after. 0 also when nothing
 * changed (nothing written); -1 with err when the event record was not
 * written (the state alone is not enough: it is then not trusted). */
int paper_ledger_append(store *s, paper_ledger *l, const sim_account *after, const char *op,
                        int64_t now_ms, int64_t deadline_ms, dstr *err);
void paper_ledger_free(paper_ledger *l);

#endif
