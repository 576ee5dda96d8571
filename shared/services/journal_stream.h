/* journal_stream: append-only event streams whose newest record lists
 * first, and the on/off switches kept on them (service; journal_risk's
 * high-water marks and kill switch, journal_control's pause switch).
 *
 * Contract: a stream is a key prefix ("risk/kill/"); each event is one
 * immutable object PREFIX{INV}_{event}.json, created create-only with NO
 * suffix. INV is 13 digits, JOURNAL_STREAM_INV_BASE minus the event's unix
 * ms, zero-padded: S3 lists keys ascending only, so the newest record is
 * the FIRST key of the listing and "the latest" costs one short LIST and one
 * GET however old it is. The event's time is the key's; a body may hold
 * "time" too, but the key decides. A key already taken (two events in one
 * ms) is retried 1 ms later, up to JOURNAL_STREAM_TRIES times. A reader
 * takes the newest object that parses; one that does not is skipped (WARN
 * "journal.corrupt"), and over JOURNAL_STREAM_SKIP_MAX of them in a row make
 * the stream unavailable (a broken record never counts as "off").
 *
 * A switch is a stream of two events, its "on" (trip, pause) and its "off"
 * (reset, resume), each {"event", "time", "reason": text|null, "by": tag|null};
 * the newest event decides whether it is on. */
#ifndef JOURNAL_STREAM_H
#define JOURNAL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/journal.h"
#include "store/store.h"

#define JOURNAL_STREAM_INV_BASE 9999999999999LL /* INV = this - unix ms (13 digits) */
#define JOURNAL_STREAM_TRIES 10
#define JOURNAL_STREAM_SKIP_MAX 20  /* corrupt objects skipped before a reader gives up */
#define JOURNAL_STREAM_TEXT_MAX 200 /* a switch event's reason: bytes kept */
#define JOURNAL_STREAM_EVENT_MAX 7  /* bytes of an event name */

/* "PREFIX{INV}_{event}.json" for at_ms (0..JOURNAL_STREAM_INV_BASE): 0, or -1. */
int journal_stream_key(const char *prefix, const char *event, int64_t at_ms, char *buf, size_t cap);

/* Writes json under the event's key at at_ms, or 1 ms later while taken.
 * JOURNAL_OK, or another status with one line in err ("<kind> record not
 * written: ...", logged as journal.unwritten with kind). */
journal_status journal_stream_put(store *s, const char *kind, const char *prefix, const char *event,
                                  int64_t at_ms, const char *json, size_t len, dstr *err);

/* Splits a key's file name "{INV}_{event}.json": 0 with the event's name
 * (event[JOURNAL_STREAM_EVENT_MAX + 1]) and time, or -1. */
int journal_stream_file(const char *file, char *event, int64_t *at_ms);

/* parse: 0 when the object (its file name, its bytes) is usable and was
 * taken into ctx, else -1 with why appended (ctx then untouched). */
typedef int (*journal_stream_parse_fn)(void *ctx, const char *file, const char *json, size_t len,
                                       dstr *why);
/* Hands the stream's objects, newest first, to parse until one is taken:
 * 0 taken, 1 the stream is empty (or holds only a few corrupt objects), -1
 * unavailable with one line in err (a listing failed, too many corrupt). */
int journal_stream_newest(store *s, const char *prefix, journal_stream_parse_fn parse, void *ctx,
                          dstr *err);

/* ---- switches --------------------------------------------------------------------- */

typedef struct journal_switch {
    const char *kind;     /* "risk", "control": journal.unwritten's kind */
    const char *prefix;   /* "risk/kill/" */
    const char *on, *off; /* "trip", "reset": at most JOURNAL_STREAM_EVENT_MAX bytes */
} journal_switch;

typedef struct journal_switch_state {
    int has;       /* any record at all */
    int on;        /* the newest record is the "on" event */
    int64_t at_ms; /* its time */
    char reason[JOURNAL_STREAM_TEXT_MAX + 1];
    char by[JOURNAL_TAG_MAX + 1];
} journal_switch_state;

/* Records an on or off event: reason NULL or any text (kept to
 * JOURNAL_STREAM_TEXT_MAX bytes, cut on a character), by NULL or a tag
 * ("trader", "telegram:12345"). JOURNAL_OK or another status, one line in err. */
journal_status journal_switch_put(store *s, const journal_switch *sw, int on, int64_t at_ms,
                                  const char *reason, const char *by, dstr *err);
/* Parses one stored event given its key's file name (outside input): 0 with
 * *out set, or -1 with why appended ("the event is not ..." when the file
 * names neither of the switch's events). */
int journal_switch_parse(const journal_switch *sw, const char *file, const char *json, size_t len,
                         journal_switch_state *out, dstr *why);
/* The switch's state from its newest record: 0 (an empty stream: {0}, off),
 * or -1 with one line in err (unavailable: the caller must not assume off). */
int journal_switch_read(store *s, const journal_switch *sw, journal_switch_state *out, dstr *err);

/* text's length cut to at most max bytes, never inside a UTF-8 sequence. */
size_t journal_stream_cut_utf8(const char *text, size_t max);

#endif
