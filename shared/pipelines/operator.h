/* operator: the operator's commands through the Telegram webhook, and the
 * stack's alarms, as a pipeline (functions/telegram calls it once the
 * request is authenticated; README "Telegram commands").
 *
 * Contract, operator_update() with one update's JSON body:
 *  1. Parsed (telegram_update.h). Not an update, no message, or no command:
 *     ignored (nothing done, no reply).
 *  2. Obeyed only from TELEGRAM_CHAT_ID (a numeric id: an @channel name
 *     cannot be matched to an update) and, in a group, supergroup or
 *     channel, only from a sender in TELEGRAM_ALLOWED_USER_IDS (none: no
 *     one); in a private chat the chat is the user. Others: ignored, no
 *     reply, logged WARN "telegram.ignored" {update_id, chat_id, from_id,
 *     reason}.
 *  3. The update is claimed (journal_control_claim_update) BEFORE acting:
 *     a redelivered or concurrent copy finds the claim and does nothing
 *     (OPERATOR_REPLAYED, logged "telegram.replayed"); a claim that cannot
 *     be written does nothing but answer so (OPERATOR_FAILED).
 *  4. The command runs and its answer (plain text) goes to the chat through
 *     the Telegram client (one telegram_send_batch by the env's deadline):
 *       /status     last completed run, positions, this bot's open
 *                   brackets, kill switch, pause, today's PnL
 *       /positions  the account's open positions
 *       /pnl        net PnL of the UTC day and of the last 7 UTC days
 *                   (today included), from the trades journal
 *       /signals    the latest decision per symbol of SYMBOLS
 *       /pause [why]  a pause record: the trader makes no new entry;
 *                   existing brackets stay and are still reconciled
 *       /resume     a resume record (a tripped kill switch stays tripped)
 *       /killswitch reset  a reset record for the kill switch
 *       /flatten confirm   pauses, then closes every position of this bot
 *                   (reduce-only MARKET through the execution code,
 *                   exec_close_at_market) and cancels every open order and
 *                   algo order with this bot's client ids (ORDER_ID_PREFIX);
 *                   the account's other positions and orders are not
 *                   touched. `/flatten` alone only explains.
 *       /help, /start  the list; any other command: "unknown", the list.
 *     Records are written with by "telegram:<sender id>" (the chat id when
 *     no sender). Logged "telegram.command" {update_id, command, from_id,
 *     outcome}.
 * A position is this bot's as reconcile decides it: one of its orders is on
 * the symbol, or the symbol's newest bracket plan has its side and at least
 * its size. The flatten's close uses the reconcile-close id of that plan
 * (..._C; without a plan, the newest of its orders' time), so the next
 * run's reconcile journals its fills as trades.
 *
 * operator_alarms() with a Lambda SNS event: each notification becomes an
 * outbox alert of type "alarm" (journal_outbox_put, event = the SNS
 * MessageId: a redelivery is the same alert) when ALERTS has "alarm", then
 * the outbox is delivered (alerts_deliver within ALERT_BUDGET_MS and the
 * deadline). operator_deliver() delivers the pending outbox alone (the
 * webhook does after answering: alerts a trader run left pending go out
 * with the next command). */
#ifndef PL_OPERATOR_H
#define PL_OPERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "pipelines/env.h"
#include "services/alerts.h"
#include "services/telegram_update.h"

typedef enum operator_outcome {
    OPERATOR_DONE = 0, /* the command ran (its answer says how it went) */
    OPERATOR_IGNORED,  /* not an update for us: nothing done, no answer */
    OPERATOR_REPLAYED, /* the update was handled already: nothing done */
    OPERATOR_FAILED    /* the update could not be claimed: nothing done */
} operator_outcome;

typedef struct operator_result {
    operator_outcome outcome;
    int64_t update_id;
    char command[TELEGRAM_UPDATE_COMMAND_MAX + 1];
    char why[200]; /* ignored / failed: why; "" otherwise */
    dstr reply;    /* the answer's text ("" when none) */
    int replied;   /* Telegram took the answer */
} operator_result;

/* "done", "ignored", "replayed", "failed". */
const char *operator_outcome_name(operator_outcome o);

void operator_update(const pl_env *env, const char *body, size_t len, operator_result *out);
void operator_result_free(operator_result *r);

typedef struct operator_alarm_report {
    size_t alarms;  /* usable notifications */
    size_t skipped; /* records that were not */
    size_t queued;  /* new outbox alerts (a redelivered one is not new) */
    int delivered;  /* alerts_deliver ran */
    alerts_report delivery;
} operator_alarm_report;

struct cJSON;
/* 0, or -1 with one line in err (not an SNS event; nothing done). */
int operator_alarms(const pl_env *env, const struct cJSON *event, operator_alarm_report *out,
                    dstr *err);
/* Delivers the pending outbox (no Telegram client: nothing, 0). */
int operator_deliver(const pl_env *env, alerts_report *rep, dstr *err);

#endif
