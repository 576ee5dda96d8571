/* journal_claim: one create-only claim per decision (see journal_claim.h). */
#include "services/journal_claim.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/config.h"
#include "services/recordkey.h"

int journal_claim_key(const char *symbol, int64_t candle_ms, char *buf, size_t cap) {
    char stem[JOURNAL_KEY_MAX];
    if (!symbol || !cfg_valid_symbol(symbol) ||
        recordkey_stem(JOURNAL_CLAIM_PREFIX, candle_ms, symbol, stem, sizeof stem))
        return -1;
    int n = snprintf(buf, cap, "%s.json", stem);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static const char *claim_broken(const journal_claim *c) {
    if (!c) return "no claim";
    if (!c->symbol || !cfg_valid_symbol(c->symbol))
        return "symbol must be 2-20 uppercase letters or digits";
    if (c->candle_ms < 0 || c->candle_ms > RECORDKEY_MAX_AT_MS)
        return "candle_ms must be unix ms from 1970 to 9999";
    if (c->claimed_ms < 0 || c->claimed_ms > RECORDKEY_MAX_AT_MS)
        return "claimed_ms must be unix ms from 1970 to 9999";
    if (!journal_valid_id(c->run_id, JOURNAL_ID_MAX))
        return "run_id must be 1-128 of A-Z a-z 0-9 . _ : -";
    if (c->build && !journal_valid_tag(c->build, JOURNAL_TAG_MAX))
        return "build must be 1-64 of A-Z a-z 0-9 . _ : + -";
    if (c->config_hash && !journal_valid_tag(c->config_hash, JOURNAL_TAG_MAX))
        return "config_hash must be 1-64 of A-Z a-z 0-9 . _ : + -";
    return NULL;
}

/* The claim's key and JSON (journal_render_fn). */
static const char *claim_record(const void *item, char *key, size_t cap, dstr *j) {
    const journal_claim *c = item;
    const char *broken = claim_broken(c);
    if (!broken && journal_claim_key(c->symbol, c->candle_ms, key, cap))
        broken = "no key for this claim";
    if (broken) return broken;
    dstr_printf(j,
                "{\"symbol\":\"%s\",\"candle_ms\":%lld,\"claimed_ms\":%lld,\"run_id\":", c->symbol,
                (long long)c->candle_ms, (long long)c->claimed_ms);
    dstr_json_str(j, c->run_id);
    dstr_puts(j, ",\"build\":");
    dstr_json_str(j, c->build);
    dstr_puts(j, ",\"config_hash\":");
    dstr_json_str(j, c->config_hash);
    dstr_putc(j, '}');
    return NULL;
}

static const char *claim_symbol(const void *item) { return ((const journal_claim *)item)->symbol; }

void journal_claims_put(store *s, const journal_claim *c, size_t n, int64_t deadline_ms,
                        journal_status *st, journal_claim_info *holders, dstr *err) {
    if (!n) return;
    char(*keys)[JOURNAL_KEY_MAX] = calloc(n, sizeof *keys);
    if (!keys) abort();
    journal_put_rendered(s, "claim", c, sizeof *c, claim_symbol, claim_record, n, deadline_ms, st,
                         keys, err);
    for (size_t i = 0; holders && i < n; i++) {
        holders[i] = (journal_claim_info){0};
        if (st[i] != JOURNAL_EXISTS) continue;
        /* who holds it (rare: no order follows, so one GET at a time is fine) */
        dstr stored = {0}, why = {0};
        if (store_get(s, keys[i], &stored, NULL) == STORE_OK &&
            journal_claim_parse(stored.ptr, stored.len, &holders[i], &why))
            journal_warn_corrupt(keys[i], stored.len, dstr_cstr(&why));
        dstr_free(&stored);
        dstr_free(&why);
    }
    free(keys);
}

journal_status journal_claim_put(store *s, const journal_claim *c, journal_claim_info *holder,
                                 dstr *err) {
    journal_status st = JOURNAL_INVALID;
    if (!c) {
        if (holder) *holder = (journal_claim_info){0};
        journal_log_unwritten("claim", NULL, NULL, claim_broken(c), NULL, 0);
        dstr_error_line(err, "claim not written: %s", claim_broken(c));
        return st;
    }
    journal_claims_put(s, c, 1, 0, &st, holder, err);
    return st;
}

/* ---- the stored claim, parsed ------------------------------------------------------- */

static int symbol_ok(const char *text, size_t max) {
    (void)max;
    return cfg_valid_symbol(text);
}

int journal_claim_parse(const char *json, size_t len, journal_claim_info *out, dstr *why) {
    *out = (journal_claim_info){0};
    cJSON *obj = json ? cJSON_ParseWithLength(json, len) : NULL;
    const char *broken = NULL;
    if (!cJSON_IsObject(obj)) broken = "not a JSON object";
    else if (journal_json_text(obj, "symbol", 0, symbol_ok, 0, out->symbol, sizeof out->symbol))
        broken = "no symbol";
    else if (journal_json_ms(obj, "candle_ms", &out->candle_ms))
        broken = "candle_ms is not unix ms";
    else if (journal_json_ms(obj, "claimed_ms", &out->claimed_ms))
        broken = "claimed_ms is not unix ms";
    else if (journal_json_text(obj, "run_id", 0, journal_valid_id, JOURNAL_ID_MAX, out->run_id,
                               sizeof out->run_id))
        broken = "run_id is not an id";
    else if (journal_json_stamp(obj, out->build, out->config_hash))
        broken = "build or config_hash is not a tag";
    cJSON_Delete(obj);
    if (!broken) return 0;
    *out = (journal_claim_info){0};
    if (why) dstr_puts(why, broken);
    return -1;
}
