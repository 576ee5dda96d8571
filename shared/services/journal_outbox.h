/* journal_outbox: the alert outbox, so an alert is never lost and never
 * delays trading (service; alerts.h delivers it).
 *
 * Contract: an alert is first written with journal_outbox_put(), which
 * creates, create-only and with NO suffix,
 *   outbox/YYYYMMDD/{HHMMSSmmm of the event}_{type}_{event}.json
 * holding {"type", "event", "at_ms", "created_ms", "text", "run_id"}: the
 * key is the event's identity (type, event id, event time), so the same
 * event raised twice (a retried run, two functions) is one alert: the
 * second put gets JOURNAL_EXISTS and nothing is written. Once delivered, an
 * alert is marked with a sent marker, created create-only at the mirrored
 * key
 *   outbox-sent/YYYYMMDD/{HHMMSSmmm}_{type}_{event}.json
 * holding {"outbox_key", "sent_ms", "via", "message_id"} (via: "message",
 * "storm" when folded into a storm summary, "corrupt" for a record that can
 * never be delivered). An alert is pending while it has no marker;
 * journal_outbox_pending() lists the pending alerts of the last lookback
 * days (plus tomorrow, for clock skew), oldest first (key order: event
 * time, then name), with two listings (outbox/ and outbox-sent/ from the
 * window's first day), whatever the number of days. Alerts older than the
 * window are no longer delivered (their records stay). Records are
 * scrubbed of registered secrets (journal_put_exact). Failures to write are
 * logged as "journal.unwritten" (kind "outbox" / "outbox_sent").
 * Which alert types are on (ALERTS, cfg_alert_on) is the caller's check
 * before putting: this module stores what it is given. */
#ifndef JOURNAL_OUTBOX_H
#define JOURNAL_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/journal.h"
#include "store/store.h"

#define JOURNAL_OUTBOX_PREFIX "outbox/"
#define JOURNAL_OUTBOX_SENT_PREFIX "outbox-sent/"
#define JOURNAL_OUTBOX_EVENT_MAX 64   /* the event id: 1-64 of [A-Za-z0-9._:-] */
#define JOURNAL_OUTBOX_TEXT_MAX 16384 /* bytes of an alert's text */
#define JOURNAL_OUTBOX_SCAN_MAX 10000 /* keys of one listing read at most */
#define JOURNAL_OUTBOX_KEY_MAX 128

typedef struct journal_outbox {
    const char *type;   /* an alert type name (cfg_alert_type_name) */
    const char *event;  /* the event's id, e.g. "BTCUSDT.4815162342" (names the key) */
    int64_t at_ms;      /* the event's time, unix ms (names the key) */
    int64_t created_ms; /* when the alert was written */
    const char *text;   /* the message: UTF-8, 1..JOURNAL_OUTBOX_TEXT_MAX bytes */
    const char *run_id; /* NULL, or 1-JOURNAL_ID_MAX of [A-Za-z0-9._:-] */
} journal_outbox;

/* A stored alert, parsed. */
typedef struct journal_outbox_info {
    char type[JOURNAL_WORD_MAX + 1];
    char event[JOURNAL_OUTBOX_EVENT_MAX + 1];
    int64_t at_ms, created_ms;
    char run_id[JOURNAL_ID_MAX + 1]; /* "" when null */
    dstr text;                       /* free with journal_outbox_info_free */
} journal_outbox_info;

/* The alert's key (prefix JOURNAL_OUTBOX_PREFIX): 0, or -1 for a type that
 * is not an alert type, a bad event id or time, or when it does not fit. */
int journal_outbox_key(const char *type, const char *event, int64_t at_ms, char *buf, size_t cap);
/* The sent marker's key of an outbox key: 0, or -1 when outbox_key is not one. */
int journal_outbox_sent_key(const char *outbox_key, char *buf, size_t cap);

/* Writes a (see the contract). JOURNAL_OK (key_out, may be NULL, gets the
 * key), JOURNAL_EXISTS (the event already has its alert), JOURNAL_INVALID,
 * JOURNAL_UNWRITTEN (it may have landed); err gets one line for every
 * status but OK. */
journal_status journal_outbox_put(store *s, const journal_outbox *a, dstr *key_out, dstr *err);
/* journal_outbox_put for a[0..n) in ONE journal batch by deadline_ms (0: the
 * store's deadline): st[i] is a[i]'s status; err gets a line for each that is
 * not OK. The alerts' keys must be distinct. */
void journal_outbox_put_batch(store *s, const journal_outbox *a, size_t n, int64_t deadline_ms,
                              journal_status *st, dstr *err);

/* Parses a stored alert (outside input): 0, or -1 with why appended; out is
 * always safe to free. */
int journal_outbox_parse(const char *json, size_t len, journal_outbox_info *out, dstr *why);
void journal_outbox_info_free(journal_outbox_info *info);

/* Pending alerts, oldest first. */
typedef struct journal_outbox_list {
    char **keys; /* outbox keys */
    size_t n;
    int truncated; /* a listing stopped at JOURNAL_OUTBOX_SCAN_MAX keys */
} journal_outbox_list;

/* Lists the pending alerts of days [day(now_ms) - lookback_days, tomorrow]
 * (lookback_days 0..366). JOURNAL_OK, or JOURNAL_UNAVAILABLE (s NULL, a
 * listing failed) with one line in err and an empty list. */
journal_status journal_outbox_pending(store *s, int64_t now_ms, int lookback_days,
                                      journal_outbox_list *out, dstr *err);
void journal_outbox_list_free(journal_outbox_list *l);

/* Marks keys[0..n) sent: each marker created create-only, concurrently, by
 * deadline_ms (0: the store's deadline); a marker already there counts as
 * marked. via: "message", "storm" or "corrupt"; message_id 0 when none.
 * ok (may be NULL; n entries) gets 1 per key marked. Returns how many were
 * marked; the others (logged as journal.unwritten) stay pending and are
 * delivered again later (at least once). */
size_t journal_outbox_mark_sent(store *s, char *const *keys, size_t n, int64_t sent_ms,
                                const char *via, long long message_id, int64_t deadline_ms,
                                int *ok);

#endif
