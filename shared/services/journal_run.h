/* journal_run: one record per finished trader run, so an operator, the
 * alerts and the alarms can tell when the trader last completed a run
 * (service; the trader writes it, the overview reads the latest).
 *
 * Contract: journal_run_put() creates, create-only and with NO suffix,
 *   runs/YYYYMMDD/{HHMMSSmmm of started_ms}_{run id}.json
 * holding
 *   {"run_id", "trigger", "trigger_id", "started_ms", "finished_ms",
 *    "execute", "symbols": [...], "actions": [...], "outcome", "build",
 *    "config_hash"}
 * trigger_id is the schedule slot (the scheduler's scheduled_time) or the
 * HTTP request id, null when none; actions is the caller's JSON array
 * (objects or strings, one per action taken or, with execution off, that
 * would have been taken), [] when NULL. A key already taken is
 * JOURNAL_EXISTS: that run is already recorded. Failures are logged as
 * "journal.unwritten" (kind "run").
 *
 * journal_latest_run() walks runs/ newest first (journal_walk_newest) and
 * answers the newest record that parses; stored objects that do not are
 * skipped with a WARN "journal.corrupt". */
#ifndef JOURNAL_RUN_H
#define JOURNAL_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/journal.h"
#include "store/store.h"

#define JOURNAL_RUN_PREFIX "runs/"
#define JOURNAL_RUN_SYMBOLS_MAX 64

typedef struct journal_run {
    const char *run_id;         /* 1-JOURNAL_ID_MAX of [A-Za-z0-9._:-]: names the key */
    const char *trigger;        /* "schedule", "http", "event" (1-32 of [a-z0-9_]) */
    const char *trigger_id;     /* NULL, or 1-JOURNAL_ID_MAX of [A-Za-z0-9._:-] */
    int64_t started_ms;         /* unix ms: names the key */
    int64_t finished_ms;        /* >= started_ms */
    int execute;                /* EXECUTE_TRADES was true */
    const char *const *symbols; /* n_symbols valid symbols */
    size_t n_symbols;           /* 0..JOURNAL_RUN_SYMBOLS_MAX */
    const char *actions_json;   /* a JSON array, or NULL: [] */
    const char *outcome;        /* "ok", "partial", "failed", "dry_run"... (1-32 of [a-z0-9_]) */
    const char *build;          /* NULL or 1-JOURNAL_TAG_MAX of [A-Za-z0-9._:+-] */
    const char *config_hash;    /* same rule as build */
} journal_run;

/* A stored run record, parsed (journal_run_parse). */
typedef struct journal_run_info {
    char run_id[JOURNAL_ID_MAX + 1];
    char trigger[JOURNAL_WORD_MAX + 1];
    char trigger_id[JOURNAL_ID_MAX + 1]; /* "" when null */
    int64_t started_ms, finished_ms;
    int execute;
    size_t n_symbols, n_actions;
    char outcome[JOURNAL_WORD_MAX + 1];
    char build[JOURNAL_TAG_MAX + 1];       /* "" when absent */
    char config_hash[JOURNAL_TAG_MAX + 1]; /* "" when absent */
} journal_run_info;

/* 0 when r obeys the rules above; else -1 with the first broken one appended to why. */
int journal_run_check(const journal_run *r, dstr *why);
/* Appends the record's JSON (strings escaped; for a checked run). */
void journal_run_json(const journal_run *r, dstr *out);
/* The run's key: 0, or -1 when r fails the check or it does not fit. */
int journal_run_key(const journal_run *r, char *buf, size_t cap);
/* Writes r (see the contract); key_out (may be NULL) gets the key on
 * JOURNAL_OK. err gets one line for every other status. */
journal_status journal_run_put(store *s, const journal_run *r, dstr *key_out, dstr *err);

/* Parses a stored run record (outside input): 0, or -1 with why appended. */
int journal_run_parse(const char *json, size_t len, journal_run_info *out, dstr *why);

/* The newest run record: JOURNAL_OK with *out (and json_out, may be NULL,
 * replaced with the stored JSON); JOURNAL_NOT_FOUND when there is none;
 * JOURNAL_UNAVAILABLE (s NULL, a listing failed) with one line in err. */
journal_status journal_latest_run(store *s, journal_run_info *out, dstr *json_out, dstr *err);

#endif
