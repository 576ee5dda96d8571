/* journal_claim: one claim per decision, so a decision is acted on at most
 * once (service; the executor writes and reads it).
 *
 * Contract: before ordering, a run claims (symbol, decision candle) with
 * journal_claim_put(), which creates
 *   claims/YYYYMMDD/{HHMMSSmmm of the candle's open time}_{symbol}.json
 * create-only (store_put_new: link(2) locally, If-None-Match: * on S3),
 * with NO suffix: the key is the decision's identity. The record is
 *   {"symbol", "candle_ms", "claimed_ms", "run_id", "build", "config_hash"}.
 * Exactly one of any number of concurrent, retried or repeated claims of
 * the same (symbol, candle) gets JOURNAL_OK; every other gets
 * JOURNAL_EXISTS and, when it asks, the winner's record (to say which run
 * holds it; a holder with the caller's own run_id is its own earlier
 * attempt whose answer was lost, e.g. a store timeout that had landed:
 * still not a licence to order, as that attempt may have ordered). JOURNAL_UNWRITTEN (store error, or not confirmed by the
 * deadline: the claim may still have landed) and JOURNAL_INVALID mean the
 * claim is NOT held: the caller orders nothing. A claim is never released:
 * a run that dies after claiming leaves that decision unacted on (safe:
 * the next candle is a new decision). */
#ifndef JOURNAL_CLAIM_H
#define JOURNAL_CLAIM_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "services/journal.h"
#include "store/store.h"

#define JOURNAL_CLAIM_PREFIX "claims/"

typedef struct journal_claim {
    const char *symbol;      /* cfg_valid_symbol */
    int64_t candle_ms;       /* open time of the decision's candle, unix ms (the key) */
    int64_t claimed_ms;      /* when the run claimed it */
    const char *run_id;      /* 1-JOURNAL_ID_MAX of [A-Za-z0-9._:-] */
    const char *build;       /* NULL or 1-JOURNAL_TAG_MAX of [A-Za-z0-9._:+-] */
    const char *config_hash; /* same rule as build */
} journal_claim;

/* A stored claim, parsed (journal_claim_parse). */
typedef struct journal_claim_info {
    char symbol[24];
    int64_t candle_ms, claimed_ms;
    char run_id[JOURNAL_ID_MAX + 1];
    char build[JOURNAL_TAG_MAX + 1];       /* "" when absent */
    char config_hash[JOURNAL_TAG_MAX + 1]; /* "" when absent */
} journal_claim_info;

/* The claim's key: 0, or -1 for a bad symbol or time, or when it does not fit. */
int journal_claim_key(const char *symbol, int64_t candle_ms, char *buf, size_t cap);

/* Claims c (see the contract). On JOURNAL_EXISTS, *holder (may be NULL) is
 * filled from the stored claim when it can be read and parsed (else
 * zeroed). err gets one line for every status but JOURNAL_OK. */
journal_status journal_claim_put(store *s, const journal_claim *c, journal_claim_info *holder,
                                 dstr *err);
/* The claims of several symbols (distinct keys) in ONE batch bounded by
 * deadline_ms (0: the store's): st[i] is c[i]'s status as journal_claim_put
 * would answer, holders[i] (holders may be NULL) its holder on EXISTS. */
void journal_claims_put(store *s, const journal_claim *c, size_t n, int64_t deadline_ms,
                        journal_status *st, journal_claim_info *holders, dstr *err);

/* Parses a stored claim (outside input): 0, or -1 with why appended (the
 * first broken rule: not a JSON object, a field missing or of the wrong
 * type, a symbol or id breaking its rule, a time out of range). */
int journal_claim_parse(const char *json, size_t len, journal_claim_info *out, dstr *why);

#endif
