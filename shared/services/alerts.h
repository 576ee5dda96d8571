/* alerts: delivers the alert outbox through Telegram (service; a run calls
 * it at its end, the telegram function on its invocations).
 *
 * Contract: alerts_deliver() sends the pending alerts of the outbox
 * (journal_outbox_pending: the lookback window, oldest first) and marks each
 * one sent once Telegram took it; what is not marked stays pending for a
 * later call, oldest first again. Delivery is at least once: an alert whose
 * send was ambiguous (a timeout after Telegram took it) or whose marker
 * could not be written is sent again by a later call. Never twice
 * otherwise: a marked alert is never sent again.
 *  - Up to storm_max pending alerts: their texts, oldest first, are packed
 *    into as few messages as fit TELEGRAM_TEXT_MAX (a blank line between
 *    two alerts; an alert longer than a message is split by telegram.h), so
 *    one message holds them in order and the chat's flood limit is spared;
 *    the messages go in ONE concurrent batch (telegram_send_batch) by
 *    o->deadline_ms. Each alert is marked (via "message") when every
 *    message holding it was sent. A stored record that does not parse is
 *    marked "corrupt" (it can never be sent) and logged; one that cannot be
 *    read stays pending.
 *  - More than storm_max pending: an alert storm. They are folded into ONE
 *    summary message (the count, counts by type, the oldest and newest
 *    time, then as many "type event time" lines as fit, oldest first), and,
 *    once it is sent, every one of them is marked (via "storm"): the
 *    operator gets one message, not a flood.
 * Markers are written after the send, under the store's own deadline
 * (journaling is kept out of the alert budget). Logs "alerts.delivered"
 * {pending, messages, delivered, later, refused, storm, elapsed_ms} (WARN
 * when something stays pending). Returns 0, or -1 when the outbox could not
 * be listed (err says why; nothing sent). Telegram's answers are in the
 * report (later: try again; refused: an operator must act; migrated_to:
 * TELEGRAM_CHAT_ID should change). */
#ifndef ALERTS_H
#define ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "platform/http.h"
#include "services/journal_outbox.h"
#include "services/telegram.h"
#include "store/store.h"

#define ALERTS_STORM_MAX 10    /* more pending alerts than this are a storm */
#define ALERTS_LOOKBACK_DAYS 7 /* pending alerts older than this are no longer sent */

typedef struct alerts_opts {
    int64_t now_ms;      /* the clock of the window and of the markers */
    int64_t deadline_ms; /* absolute: now + ALERT_BUDGET_MS, within the invocation's */
    size_t storm_max;    /* 0: ALERTS_STORM_MAX */
    int lookback_days;   /* 0: ALERTS_LOOKBACK_DAYS */
} alerts_opts;

typedef struct alerts_report {
    size_t pending;     /* alerts found pending */
    size_t messages;    /* messages sent or tried */
    size_t delivered;   /* alerts marked sent (folded ones included) */
    size_t later;       /* alerts left pending: Telegram will be tried again */
    size_t refused;     /* alerts left pending because Telegram refused (operator) */
    size_t corrupt;     /* records marked "corrupt" */
    int storm;          /* the pending alerts were folded into one summary */
    long retry_after_s; /* the largest 429 retry_after, -1 none */
    char migrated_to[CFG_TELEGRAM_CHAT_ID_MAX + 1]; /* "" when the chat did not move */
    char why[TELEGRAM_DESCRIPTION_MAX + 64];        /* the first failure, "" when none */
} alerts_report;

int alerts_deliver(store *s, http_client *h, telegram_client *t, const alerts_opts *o,
                   alerts_report *rep, dstr *err);

/* The storm summary of keys[0..n) (outbox keys, oldest first), at most
 * TELEGRAM_TEXT_MAX UTF-16 units; replaces out. */
void alerts_storm_text(char *const *keys, size_t n, dstr *out);

#endif
