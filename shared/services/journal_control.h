/* journal_control: the operator's control records, append-only (service;
 * the telegram function writes them, the trader reads the pause before any
 * new entry, /status and the overview show it).
 *
 * Contract:
 *   control/pause/{INV}_pause.json     {"event", "time", "reason"?, "by"?}
 *   control/pause/{INV}_resume.json    the same
 *       a journal_stream.h switch: the newest record wins, so the trader is
 *       paused when the newest one is a pause (no new entries; existing
 *       brackets stay and are still reconciled). A resume does not touch
 *       the kill switch (journal_risk.h), which has its own reset.
 *   control/updates/{update id}.json   {"update_id", "time", "chat", "from", "command"}
 *       a Telegram update the webhook acted on, created create-only BEFORE
 *       acting: of two deliveries of one update (a redelivery, two
 *       invocations at once) exactly one wins the create and acts; the other
 *       sees JOURNAL_EXISTS and does nothing. So an update is acted on at
 *       most once: one whose action failed after its record was written is
 *       not retried (the operator sees no answer and sends the command again).
 * "by" is a tag naming who did it: "telegram:<user id>", an operator's name.
 * Operator pause by hand: create
 *   control/pause/$(printf %013d $((9999999999999 - $(date +%s%3N))))_pause.json
 * under the journal's root holding {"by": "name", "reason": "why"} (or {}). */
#ifndef JOURNAL_CONTROL_H
#define JOURNAL_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/journal.h"
#include "services/journal_stream.h"
#include "store/store.h"

#define JOURNAL_CONTROL_PAUSE_PREFIX "control/pause/"
#define JOURNAL_CONTROL_UPDATES_PREFIX "control/updates/"

/* The key of a pause (pause 1) or resume (pause 0) at at_ms: 0, or -1. */
int journal_control_pause_key(int pause, int64_t at_ms, char *buf, size_t cap);

/* Records a pause (pause 1) or a resume (pause 0): reason NULL or any text
 * (kept to JOURNAL_STREAM_TEXT_MAX bytes), by NULL or a tag. JOURNAL_OK, or
 * another status with one line in err (logged as journal.unwritten, kind
 * "control"). */
journal_status journal_control_put_pause(store *s, int pause, int64_t at_ms, const char *reason,
                                         const char *by, dstr *err);

typedef struct journal_pause_state {
    int paused;       /* the newest record is a pause */
    int has;          /* any pause or resume record at all */
    int64_t since_ms; /* the newest record's time */
    char by[JOURNAL_TAG_MAX + 1];
    char reason[JOURNAL_STREAM_TEXT_MAX + 1];
} journal_pause_state;

/* The pause state: JOURNAL_OK (an empty journal: not paused), or
 * JOURNAL_UNAVAILABLE with one line in err (s NULL, a listing failed, too
 * many corrupt records: the trader then must not assume it may enter). */
journal_status journal_control_read_pause(store *s, journal_pause_state *out, dstr *err);

/* Parses one stored pause record given its key's file name (outside
 * input): 0 with *out set, or -1 with why appended. */
int journal_control_parse_pause(const char *file, const char *json, size_t len,
                                journal_pause_state *out, dstr *why);

/* The key of a handled update: 0, or -1 when update_id is negative or it does not fit. */
int journal_control_update_key(int64_t update_id, char *buf, size_t cap);

/* Claims an update before acting on it: chat and from the ids it came
 * from, command the command word ("status"; NULL: none; a word of
 * [a-z0-9_], else stored as null). JOURNAL_OK: this caller acts;
 * JOURNAL_EXISTS: it was handled already (do nothing); another status: not
 * recorded (one line in err; the caller must not act, so that nothing is
 * done twice). */
journal_status journal_control_claim_update(store *s, int64_t update_id, int64_t at_ms,
                                            int64_t chat, int64_t from, const char *command,
                                            dstr *err);

#endif
