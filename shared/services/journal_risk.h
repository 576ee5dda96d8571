/* journal_risk: the risk manager's durable state, append-only, the newest
 * record wins (service; the trader writes and reads it, the overview reads
 * it, an operator resets the kill switch by writing one record).
 *
 * Contract: two streams, each one immutable object per event, created
 * create-only with NO suffix:
 *   risk/hwm/{INV}_hwm.json            {"equity": "<decimal>", "run_id"?}
 *       the account equity's high-water mark (MAX_DRAWDOWN_PCT's base);
 *   risk/kill/{INV}_trip.json          {"reason": "...", "by"?}
 *   risk/kill/{INV}_reset.json         {"reason"?: "...", "by"?: "..."}
 *       the kill switch tripped (no new entries until reset) or reset.
 * Both are journal_stream.h streams (INV: 13 digits, 9999999999999 minus
 * the event's unix ms, so the newest record lists first; a key taken is
 * retried 1 ms later); the kill records are a journal_stream switch.
 *
 * Reading (journal_risk_read): the newest hwm record and the newest kill
 * record (whichever of trip or reset). The kill switch is tripped when the
 * newest kill record is a trip. A reset RE-BASES the high-water mark:
 * hwm records older than the newest reset are ignored (has_hwm 0), so the
 * next run starts a new mark from the equity it sees instead of tripping
 * again on the old drawdown.
 *
 * Operator reset (documented in the README): create the object
 *   risk/kill/$(printf %013d $((9999999999999 - $(date +%s%3N))))_reset.json
 * under the journal's root (S3: journal/ in the bucket; locally the
 * JOURNAL_URL directory), holding {"by": "name", "reason": "why"} (or {}),
 * or call journal_risk_put_kill(..., JOURNAL_KILL_RESET, ...). A stored
 * object that does not parse is skipped (WARN "journal.corrupt") and the
 * next one down the listing is read instead: a broken reset never counts. */
#ifndef JOURNAL_RISK_H
#define JOURNAL_RISK_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/journal.h"
#include "services/journal_stream.h"
#include "store/store.h"

#define JOURNAL_RISK_HWM_PREFIX "risk/hwm/"
#define JOURNAL_RISK_KILL_PREFIX "risk/kill/"
#define JOURNAL_RISK_INV_BASE JOURNAL_STREAM_INV_BASE
#define JOURNAL_RISK_TRIES JOURNAL_STREAM_TRIES
#define JOURNAL_RISK_SKIP_MAX JOURNAL_STREAM_SKIP_MAX
#define JOURNAL_RISK_TEXT_MAX JOURNAL_STREAM_TEXT_MAX /* reason: bytes kept */

typedef enum journal_kill_event { JOURNAL_KILL_TRIP, JOURNAL_KILL_RESET } journal_kill_event;

/* The key of a risk event at at_ms (0..JOURNAL_RISK_INV_BASE): 0, or -1. */
int journal_risk_hwm_key(int64_t at_ms, char *buf, size_t cap);
int journal_risk_kill_key(journal_kill_event ev, int64_t at_ms, char *buf, size_t cap);

/* Records a new high-water mark: equity an unsigned decimal string
 * ("10234.56"), run_id NULL or an id. JOURNAL_OK, or another status with
 * one line in err (logged as journal.unwritten, kind "risk"). */
journal_status journal_risk_put_hwm(store *s, int64_t at_ms, const char *equity, const char *run_id,
                                    dstr *err);
/* Records a trip or a reset: reason (trip: required; reset: NULL allowed)
 * any text, kept to JOURNAL_RISK_TEXT_MAX bytes; by NULL or a tag
 * ("trader", an operator's name: 1-64 of [A-Za-z0-9._:+-]). */
journal_status journal_risk_put_kill(store *s, journal_kill_event ev, int64_t at_ms,
                                     const char *reason, const char *by, dstr *err);

typedef struct journal_risk_state {
    int has_hwm;                            /* a mark newer than the newest reset exists */
    double hwm;                             /* its equity */
    char hwm_text[JOURNAL_DECIMAL_MAX + 1]; /* as stored */
    int64_t hwm_ms;                         /* when it was recorded */
    int has_kill;                           /* any kill record at all */
    int tripped;                            /* the newest kill record is a trip */
    int64_t kill_ms;                        /* time of the newest kill record */
    char kill_reason[JOURNAL_RISK_TEXT_MAX + 1];
    char kill_by[JOURNAL_TAG_MAX + 1];
} journal_risk_state;

/* Reads the state (see the contract): JOURNAL_OK (an empty journal is
 * {0}: no mark, not tripped), or JOURNAL_UNAVAILABLE with one line in err
 * (s NULL, a listing failed, or over JOURNAL_RISK_SKIP_MAX corrupt objects:
 * the caller then must not assume the switch is off). */
journal_status journal_risk_read(store *s, journal_risk_state *out, dstr *err);

/* Parses one stored risk object given its key's file name (outside input):
 * 0 with *out updated for that stream, or -1 with why appended. */
int journal_risk_parse(const char *file, const char *json, size_t len, journal_risk_state *out,
                       dstr *why);

#endif
