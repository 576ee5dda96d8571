/* run_alerts: what one trader run tells its operator (issue 11 items 2-3).
 *
 * Contract: run_alerts_of() turns a run's actions (exec_action's objects:
 * symbol, action, outcome, detail) and its failures into alerts, by a
 * table (run_alerts.c: action, outcome, detail prefix -> alert type):
 *  - entry: the entry and its legs (filled, resting, refused, unknown; the
 *    stop and take-profit placed or failed, when the symbol had an entry);
 *  - exit: a stop or take-profit fill journaled, with its realised PnL;
 *  - emergency: an emergency close, closed or failed;
 *  - reconcile: this bot's orders cancelled, a missing leg re-created, a
 *    position found without a leg, legs that could not be priced; a
 *    position or order the bot did not make (once per symbol and UTC day);
 *  - risk: the kill switch tripped; a stop-out, which starts the cooldown
 *    (COOLDOWN_MINUTES > 0);
 *  - journal: records of the run that could not be written;
 *  - upstream: Binance market data or account reads that failed after the
 *    client's retries, the predictor replaced by its fallback (Gemini
 *    failing): once per upstream and UTC hour (a longer outage is one
 *    alert an hour, not one a run).
 * A symbol's actions of one type in one run are ONE alert whose lines are
 * the actions in run order. Types off in ALERTS are not raised. Each alert
 * is keyed by its event and time (journal_outbox): "<symbol>.<type>.<run>"
 * at the run's start (run: 16 hex digits hashing the run id),
 * "<symbol>.foreign.<YYYYMMDD>" at the UTC day's start,
 * "<upstream>.<YYYYMMDDHH>" at the hour's start: a state that every run
 * sees again is one alert per day or hour, not one per run.
 * run_alerts_raise() writes the alerts in ONE outbox batch (create-only: an
 * event already there is not raised again) by the trading deadline, then
 * delivers the outbox (alerts_deliver: these and any left by earlier runs,
 * oldest first) by min(deadline_ms, now + ALERT_BUDGET_MS). Without a
 * Telegram client nothing is raised (the log has every event). Logs
 * "alerts.raised" {alerts, written, existing, unwritten}. */
#ifndef PL_RUN_ALERTS_H
#define PL_RUN_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "pipelines/env.h"
#include "pipelines/trader.h"
#include "services/alerts.h"
#include "services/journal_outbox.h"

#define RUN_ALERTS_MAX 64 /* alerts of one run; more are folded into the last */

/* One alert of a run (strings owned: run_alerts_free). */
typedef struct run_alert {
    cfg_alert_type type;
    int64_t at_ms; /* the event's time: names the outbox key with the event */
    char event[JOURNAL_OUTBOX_EVENT_MAX + 1];
    dstr text;
} run_alert;

typedef struct run_alert_list {
    run_alert items[RUN_ALERTS_MAX];
    size_t n;
} run_alert_list;

/* The alerts of run r (see the contract) into out (replaced). */
void run_alerts_of(const cfg *c, const trader_result *r, run_alert_list *out);
void run_alerts_free(run_alert_list *l);

/* Raises run r's alerts and delivers the outbox (see the contract); rep
 * (may be NULL) gets the delivery's report. Returns the alerts raised. */
size_t run_alerts_raise(const pl_env *env, const trader_result *r, int64_t deadline_ms,
                        alerts_report *rep);

/* A configuration error at init (the frame calls it when cfg_load fails):
 * when c's Telegram variables are valid and ALERTS has "config", the error
 * (cfg_load's lines: they name variables, never a secret's value) becomes
 * one alert "Configuration error: <function> cannot start", event
 * "<function>.<hash of the text>" at the UTC day's start (every cold start
 * fails the same way: one alert a day), written to the outbox and
 * delivered within ALERT_BUDGET_MS; sent directly when the journal cannot
 * be opened. */
void run_alerts_config_error(const cfg *c, const char *function, const char *error);

#endif
