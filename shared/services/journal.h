/* journal: the records the service keeps in the object store (service).
 *
 * Contract: every record is one immutable object under the layout of
 * recordkey.h, ROOT YYYYMMDD/HHMMSSmmm_NAME[-N]EXT (UTC):
 *   payloads/.../{ts}_{symbol}_request.json    what the predictor was asked
 *   payloads/.../{ts}_{symbol}_decision.json   the decision (/api/signals)
 *   trades/.../{ts}_{symbol}_{order id}[_{trade id}].json  a fill (journal_trade.h)
 *   claims/.../{candle ts}_{symbol}.json        one decision's claim (journal_claim.h)
 *   runs/.../{ts}_{run id}.json                 a finished run (journal_run.h)
 *   risk/hwm/, risk/kill/                       risk state, newest first (journal_risk.h)
 *   outbox/.../{ts}_{type}_{event}.json         an alert, and outbox-sent/ its marker (journal_outbox.h)
 *   control/pause/, control/updates/            pause/resume, Telegram updates handled (journal_control.h)
 *   logs/.../{ts}_{function}_{request id}.jsonl  an invocation's log (invlog.h)
 * Writers never overwrite. Decision, request and log records are
 * observations: a key already taken gets the first free suffix (-1, -2,
 * ...). The records execution relies on (claims, trades, runs, risk state)
 * are identities: their key is derived from what they are, written
 * create-only with NO suffix (journal_put_exact), and a taken key means the
 * record already exists (JOURNAL_EXISTS), never a second copy. The records of one run go to the store together
 * (journal_put_batch: one concurrent batch under the run's deadline). A
 * record that cannot be written after the store's own attempts, or is not
 * confirmed by the deadline, is logged in full as a "journal.unwritten"
 * event (ERROR), so the log service still has it, and the call reports
 * failure: nothing is lost silently.
 *
 * Reading, newest first, is ONE walk for every record type
 * (journal_walk_newest): S3 lists in ascending key order only, so it walks
 * day prefixes from tomorrow (UTC, to absorb clock skew; "today" is the
 * store's now, store_now: the wall clock, or a simulated run's clock) backwards, lists
 * each day in full, keeps its newest JOURNAL_WALK_BATCH records, orders them
 * newest first (time, then the later suffix) and hands them to a visitor,
 * which loads only what it returns and says when it has enough; a visitor
 * that wants more gets the next batch, from the day listed again, so the
 * walk's memory does not grow with the day's records. The walk also ends
 * when it passes the oldest day (the first key under ROOT: one listing of
 * one key), or after JOURNAL_MAX_EMPTY_DAYS consecutive days without a
 * record. Stored objects a reader cannot use are skipped with a WARN
 * "journal.corrupt" (one that cannot be read, "journal.unreadable") and do
 * not count against a limit. */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/recordkey.h"
#include "store/store.h"

#define JOURNAL_PREFIX "payloads/"
#define JOURNAL_MAX_SUFFIX RECORDKEY_MAX_SUFFIX
#define JOURNAL_MAX_EMPTY_DAYS 400
#define JOURNAL_LIMIT_MAX 1000
#define JOURNAL_WALK_BATCH 1000 /* records of one day held at once by the walk */
#define JOURNAL_KEY_MAX 192     /* every record's key fits (an alert's with a 64-byte event id) */
#define JOURNAL_ID_MAX 128      /* run ids, request ids: 1-128 of [A-Za-z0-9._:-] */
#define JOURNAL_TAG_MAX 64      /* build versions, config hashes: 1-64 of [A-Za-z0-9._:+-] */
#define JOURNAL_WORD_MAX 32     /* triggers, outcomes: 1-32 of [a-z0-9_] */
#define JOURNAL_DECIMAL_MAX 40  /* bytes of a decimal string ("-12.5") */

typedef enum journal_kind { JOURNAL_REQUEST, JOURNAL_DECISION } journal_kind;

/* The key of a decision or request record: suffix 0 is the plain name, n > 0
 * adds "-n". Returns 0, or -1 when symbol is not a valid symbol
 * (cfg_valid_symbol), at_ms is negative or past year 9999, or suffix is out
 * of 0..JOURNAL_MAX_SUFFIX. */
int journal_key(journal_kind kind, const char *symbol, int64_t at_ms, int suffix, char *buf,
                size_t cap);

/* One record of journal_put_batch. */
typedef struct journal_record {
    journal_kind kind;  /* in */
    const char *symbol; /* in */
    int64_t at_ms;      /* in */
    const char *json;   /* in: len bytes */
    size_t len;         /* in */
    dstr *key;          /* in, may be NULL: replaced with the key written ("" if none) */
    int rc;             /* out: 0 written, -1 unwritten (logged) */
} journal_record;

/* Writes every record (json, len bytes, for symbol at at_ms) under its
 * first free key, all in store_put_new_batch() rounds bounded by
 * deadline_ms (0: the store's deadline). s may be NULL (store unavailable:
 * every record is unwritten). Each record that is not written is logged as
 * "journal.unwritten" {kind, symbol, key, error, record}. Returns how many. */
size_t journal_put_batch(store *s, journal_record *recs, size_t n, int64_t deadline_ms);
/* One record of journal_put_batch (the store's deadline): 0, or -1 once
 * logged as journal.unwritten. key_out may be NULL. */
int journal_put(store *s, journal_kind kind, const char *symbol, int64_t at_ms, const char *json,
                size_t len, dstr *key_out);

/* Appends a JSON array of up to limit (1..JOURNAL_LIMIT_MAX) decision
 * records, newest first, to out. Returns 0, or -1 when s is NULL, limit is
 * out of range or a listing fails, with one line saying which appended to
 * err (NULL: nothing); out is then left as it was. */
int journal_recent_decisions(store *s, size_t limit, dstr *json_array_out, dstr *err);

const char *journal_kind_name(journal_kind kind); /* "request", "decision" */

/* For each symbols[i] (i < n), replaces out[i] with its newest decision
 * record (a JSON object as stored), or leaves it empty when the journal has
 * none. One newest-first walk for all symbols; it stops once each has one
 * (a symbol never decided makes it walk to the oldest day: pass SYMBOLS).
 * Returns 0, or -1 when s is NULL, n is 0 or over JOURNAL_LIMIT_MAX, or a
 * listing fails, with one line appended to err (out[] then all empty). */
int journal_latest_decisions(store *s, const char *const *symbols, size_t n, dstr *out, dstr *err);

/* ---- identity records (claims, trades, runs, risk state) ----------------------- */

/* What a create-only write or a reader of the execution records answers. */
typedef enum journal_status {
    JOURNAL_OK = 0,
    JOURNAL_EXISTS,     /* the key already holds a record: already claimed / journaled */
    JOURNAL_NOT_FOUND,  /* a reader found no such record */
    JOURNAL_INVALID,    /* the record breaks its rules: nothing written (logged unwritten) */
    JOURNAL_UNWRITTEN,  /* the store failed or was not confirmed by the deadline: it MAY have
                           landed (treat a claim as not held); logged as journal.unwritten */
    JOURNAL_UNAVAILABLE /* no store, or a listing or read of a reader failed */
} journal_status;

/* "ok", "exists", "not_found", "invalid", "unwritten", "unavailable". */
const char *journal_status_name(journal_status st);

/* Creates key holding json[0..len) only if the key is free (store_put_new,
 * the store's deadline), every registered secret scrubbed out of the bytes;
 * never a suffix. JOURNAL_OK; JOURNAL_EXISTS (nothing written, nothing
 * logged); or JOURNAL_UNWRITTEN / JOURNAL_INVALID (bad key, s NULL -> UNWRITTEN)
 * after logging "journal.unwritten" {kind, symbol, key, error, record}. err
 * gets one line for every status but OK. */
journal_status journal_put_exact(store *s, const char *kind, const char *symbol, const char *key,
                                 const char *json, size_t len, dstr *err);

/* One record of journal_put_exact_batch. */
typedef struct journal_exact {
    const char *kind, *symbol, *key; /* in: as journal_put_exact takes them */
    const char *json;                /* in: len bytes */
    size_t len;                      /* in */
    dstr *err;                       /* in, may be NULL: gets journal_put_exact's line */
    journal_status status;           /* out: as journal_put_exact would answer */
} journal_exact;

/* journal_put_exact for records that do not depend on each other, in ONE
 * store_put_new_batch bounded by deadline_ms (0: the store's deadline; S3
 * sends them concurrently). Each record gets its status and, when not OK
 * or EXISTS, is logged as journal.unwritten. The keys must be distinct.
 * Returns how many are JOURNAL_OK. */
size_t journal_put_exact_batch(store *s, journal_exact *recs, size_t n, int64_t deadline_ms);

/* Renders a record: its key into key (cap bytes) and its JSON into json;
 * NULL, or the first rule the item breaks (then nothing is written). */
typedef const char *(*journal_render_fn)(const void *item, char *key, size_t cap, dstr *json);

/* n records items[0..n) (each `size` bytes) rendered and written create-only
 * in ONE journal_put_exact_batch: st[i] is item i's status (JOURNAL_INVALID,
 * logged as journal.unwritten, when it breaks a rule), keys[i] (keys may be
 * NULL) its key, err a line for each that is not OK. */
void journal_put_rendered(store *s, const char *kind, const void *items, size_t size,
                          const char *(*symbol_of)(const void *item), journal_render_fn render,
                          size_t n, int64_t deadline_ms, journal_status *st,
                          char (*keys)[JOURNAL_KEY_MAX], dstr *err);

/* 1 when text is [-]digits[.digits] (the sign only when may_be_negative),
 * at most JOURNAL_DECIMAL_MAX bytes: the exchange's decimal strings. */
int journal_valid_decimal(const char *text, int may_be_negative);
/* 1 when text is 1..max of the id charset [A-Za-z0-9._:-] (run and request
 * ids), else 0. */
int journal_valid_id(const char *text, size_t max);
/* 1 when text is 1..max of [A-Za-z0-9._:+-] (build versions, config hashes). */
int journal_valid_tag(const char *text, size_t max);
/* 1 when text is 1..max of [a-z0-9_] (kinds, triggers, outcomes, events). */
int journal_valid_word(const char *text, size_t max);

/* For the parsers of stored records (outside input). obj's member name as
 * unix ms (a whole number 0..RECORDKEY_MAX_AT_MS): 0, else -1. */
struct cJSON;
int journal_json_ms(const struct cJSON *obj, const char *name, int64_t *out);
/* obj's member name as a string obeying valid(text, max) that fits out[cap]
 * (copied), or, when optional, null or absent (out ""): 0, else -1. */
int journal_json_text(const struct cJSON *obj, const char *name, int optional,
                      int (*valid)(const char *, size_t), size_t max, char *out, size_t cap);
/* obj's optional "build" and "config_hash" tags into build and config_hash
 * (each JOURNAL_TAG_MAX + 1 bytes; "" when null or absent): 0, else -1. */
int journal_json_stamp(const struct cJSON *obj, char *build, char *config_hash);

/* ---- for the readers and writers of each record type ------------------------ */

typedef enum journal_step { JOURNAL_WALK_MORE, JOURNAL_WALK_DONE } journal_step;

typedef struct journal_walk {
    const char *root; /* "payloads/", "trades/", "logs/" */
    const char *ext;  /* ".json", ".jsonl" */
    const char *tag;  /* NULL: every record; else NAME must end in "_<tag>" */
    /* Called for each record, newest first; key is valid during the call. */
    journal_step (*visit)(void *ctx, store *s, const char *key);
    void *ctx;
} journal_walk;

/* Walks w->root newest first (see the contract above). Returns 0 when the
 * walk ended, or -1 when s or w is unusable or a listing failed, with one
 * line saying why appended to err (NULL: nothing). An object that cannot be
 * loaded is logged (journal_load), not a failure of the walk. */
int journal_walk_newest(store *s, const journal_walk *w, dstr *err);
/* 0 when a reader may walk s for limit (1..JOURNAL_LIMIT_MAX) records; else
 * -1 with one line saying why appended to err (NULL: nothing). */
int journal_check_reader(store *s, size_t limit, dstr *err);

/* Loads key into buf: 0, or -1 after a WARN "journal.unreadable". */
int journal_load(store *s, const char *key, dstr *buf);
/* Logs the WARN "journal.corrupt" {key, bytes, why} for a skipped object. */
void journal_warn_corrupt(const char *key, size_t bytes, const char *why);
/* Logs the ERROR "journal.unwritten" {kind, symbol, key, error, record}:
 * record embedded as JSON when it is JSON, else as a string. */
void journal_log_unwritten(const char *kind, const char *symbol, const char *key, const char *error,
                           const char *record, size_t len);

#endif
