/* trader: one trader run, end to end (issue 9): read -> reconcile -> decide
 * -> risk -> sizing -> set-up -> claim -> plan -> bracket -> journal and
 * run record.
 *
 * Contract: trader_run() makes ONE read batch (ex_read: every symbol's
 * market snapshot with, when EXECUTE_TRADES=true or the Binance keys are
 * configured, the account: positions, open orders, open algo orders,
 * balances, position mode, symbol configs, rules, the last 7 days' fills of
 * each symbol and the income; signed reads only. A dry run without keys
 * reads the market only, so it sends nothing signed), then:
 *  1. reconcile (reconcile.h) with each symbol's newest plan (brackets.h);
 *  2. decisions from the snapshots (signal_decide_read), journaled with the
 *     build and config hash;
 *  3. for each decision worth taking (risk_ok, LONG or SHORT), in symbol
 *     order, every gate must pass, the first that fails is the symbol's
 *     status: reconcile allows an entry (no position, nothing foreign, no
 *     order left it could not cancel); the trader is not paused (the
 *     newest journal_control record is not a pause, and it could be read;
 *     step "paused"); the risk manager (domain/risk.h:
 *     open positions incl. this run's entries, the UTC day's realised PnL
 *     from the trade journal, equity = USDT wallet + unrealised PnL against
 *     the journal's high-water mark and kill switch, the cooldown after the
 *     symbol's last stop-out, the funding rate against the side; a journal
 *     that cannot be read refuses); sizing (domain/sizing.h, with the USDT
 *     available balance and the exchange's rules); the account set-up
 *     (exec_setup, one batch for the symbols still going);
 *  4. with EXECUTE_TRADES=false it stops there: "would_enter", and nothing
 *     that changes the account is sent (reconcile, the risk manager, sizing
 *     and the set-up only report what they would do); a dry run whose
 *     account was not read (no keys) says "would_enter" for every decision
 *     worth an entry, noting that nothing else was checked;
 *  5. else, symbol by symbol: the risk manager again with this run's
 *     entries counted (an entry about to be sent counts as open), the claim
 *     of (symbol, decision candle) (journal_claim: exactly one run of any
 *     number gets it: others order nothing), the plan (bracket_put: no plan
 *     stored, no entry); then the brackets of every symbol that got that
 *     far TOGETHER (exec_brackets: one batch of entries, then one batch
 *     with the legs of every fill), so a warm run that opens positions on
 *     several symbols waits for the read, the entries and the legs: three
 *     exchange round trips.
 * The high-water mark and a kill-switch trip are journaled when the risk
 * check of the account says so. Every run ends with a run record
 * (journal_run: run id, trigger, slot or request id, symbols, actions,
 * outcome, build, config hash) and one metrics line (metrics.h:
 * RunCompleted, RunFailed, RunDurationMs, ReadLatencyMs, Decisions{Long,
 * Short,Flat}, Orders{Protected,NotFilled,Unknown,Closed},
 * PositionsUnprotected, UnwrittenRecords); outcome "dry_run" (execution off),
 * "alert" (a position is without its stop), "partial" (a read or a
 * journal write failed), else "ok". Events: trader.run (one line), risk.*
 * for refusals and the kill switch, plus the exec.*, reconcile.* and
 * account.* events of the steps. */
#ifndef PL_TRADER_H
#define PL_TRADER_H

#include <stddef.h>
#include <stdint.h>

#include "domain/risk.h"
#include "domain/sizing.h"
#include "pipelines/audit.h"
#include "pipelines/env.h"
#include "pipelines/execute.h"
#include "pipelines/reconcile.h"
#include "pipelines/signal.h"
#include "services/alerts.h"
#include "services/journal.h"

#define TRADER_TRADES_WINDOW_MS (7LL * 86400000 - 60000) /* userTrades: 7 days at most */

typedef struct trader_request {
    const char *const *symbols;
    size_t n;
    const char *trigger;    /* "schedule", "http", "event" */
    const char *trigger_id; /* the schedule slot or the HTTP request id; NULL: none */
    const char *run_id;     /* this run's id (the invocation's request id); one that is not
                               1-128 of [A-Za-z0-9._:-] is replaced with "run-<ms>" */
} trader_request;

typedef struct trader_symbol {
    signal_result sig;                /* the decision */
    rec_symbol rec;                   /* what reconcile found and did */
    int candidate;                    /* the decision is worth an entry */
    const char *step;                 /* "no_signal", "blocked", "paused", "risk_refused",
                                         "sizing_refused",
                          "setup_blocked", "would_enter", "claim_held", "claim_failed",
                          "plan_failed", "executed" */
    char status[2 * EXEC_REASON_LEN]; /* for people: what happened and why */
    risk_result risk;
    int risk_checked;
    sizing_result size;
    int sized;
    exec_gate gate;
    exec_report exec;
    int executed;
} trader_symbol;

typedef struct trader_result {
    int execute;
    int paper; /* EXECUTE_TRADES=paper: the orders went to the paper account */
    int64_t started_ms, finished_ms;
    int64_t read_ms; /* how long the one read batch took; -1: no exchange */
    trader_symbol *sym;
    size_t n;
    dstr actions;        /* JSON objects, comma separated */
    const char *outcome; /* "ok", "dry_run", "partial", "alert" */
    size_t unwritten;    /* journal records that could not be written */
    int read_failed;     /* an account read failed */
    int keys_rejected;   /* Binance refused the API key (-2014/-2015): a rotated key? */
    char config_hash[PL_CONFIG_HASH_LEN];
    dstr run_key;
    char run_id[JOURNAL_ID_MAX + 1];
    const char *trigger_id; /* rq's, NULL when it is not an id */
    size_t alerts_raised;   /* this run's alerts (run_alerts.h) */
    alerts_report alerts;   /* the outbox's delivery at the run's end */
} trader_result;

/* The whole run (see the contract). */
void trader_run(const pl_env *env, const trader_request *rq, trader_result *out);

/* Its parts, for tests and tools: begin allocates out->sym (their
 * symbols set, decisions FLAT); act runs steps 1 and 3-5 on an account
 * already read and on the decisions in out->sym[i].sig.d (snaps may be
 * NULL: funding rates unknown); finish writes the run record. */
void trader_begin(const pl_env *env, const trader_request *rq, trader_result *out);
void trader_act(const pl_env *env, const trader_request *rq, const ex_account *a,
                const ex_snapshot *snaps, trader_result *out);
void trader_finish(const pl_env *env, const trader_request *rq, trader_result *out);

/* {"run_id","execute","outcome","symbols":[{"symbol","step","status",
 * "reconcile":{"entry_ok","position","ours","foreign","why"},"exec"?:{"outcome",
 * "qty","fill_price","stop","take_profit"}}],"actions":[...],
 * "journal":{"unwritten"},"alerts":{"raised","pending","delivered","later","refused"},
 * "build","config_hash"} (the decisions are the
 * caller's to render: signal records). */
void trader_result_json(const trader_result *r, dstr *out);
void trader_result_free(trader_result *r);

#endif
