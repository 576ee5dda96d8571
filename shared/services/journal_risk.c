/* journal_risk: high-water mark and kill switch records, newest first by
 * key (see journal_risk.h). */
#include "services/journal_risk.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INV_DIGITS 13

static const char *const kill_names[] = {"trip", "reset"};

/* "PREFIX{INV}_{event}.json": 0, or -1 when at_ms is out of range or it does not fit. */
static int risk_key(const char *prefix, const char *event, int64_t at_ms, char *buf, size_t cap) {
    if (at_ms < 0 || at_ms > JOURNAL_RISK_INV_BASE) return -1;
    int n = snprintf(buf, cap, "%s%0*lld_%s.json", prefix, INV_DIGITS,
                     (long long)(JOURNAL_RISK_INV_BASE - at_ms), event);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int journal_risk_hwm_key(int64_t at_ms, char *buf, size_t cap) {
    return risk_key(JOURNAL_RISK_HWM_PREFIX, "hwm", at_ms, buf, cap);
}

int journal_risk_kill_key(journal_kill_event ev, int64_t at_ms, char *buf, size_t cap) {
    if ((unsigned)ev > JOURNAL_KILL_RESET) return -1;
    return risk_key(JOURNAL_RISK_KILL_PREFIX, kill_names[ev], at_ms, buf, cap);
}

/* text cut to at most max bytes, never inside a UTF-8 sequence */
static size_t cut_utf8(const char *text, size_t max) {
    size_t n = strlen(text);
    if (n <= max) return n;
    while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80) max--;
    return max;
}

/* Writes json under the key of at_ms, at_ms + 1, ... while the key is taken. */
static journal_status put_event(store *s, int is_kill, journal_kill_event ev, int64_t at_ms,
                                const char *json, size_t len, dstr *err) {
    journal_status st = JOURNAL_INVALID;
    char key[JOURNAL_KEY_MAX];
    for (int i = 0; i < JOURNAL_RISK_TRIES; i++) {
        int bad = is_kill ? journal_risk_kill_key(ev, at_ms + i, key, sizeof key)
                          : journal_risk_hwm_key(at_ms + i, key, sizeof key);
        if (bad) {
            journal_log_unwritten("risk", NULL, NULL, "time out of range", json, len);
            dstr_error_line(err, "risk record not written: time out of range");
            return JOURNAL_INVALID;
        }
        dstr taken = {0};
        st = journal_put_exact(s, "risk", NULL, key, json, len, &taken);
        if (st != JOURNAL_EXISTS) {
            if (st != JOURNAL_OK && err) dstr_append(err, taken.ptr, taken.len);
            dstr_free(&taken);
            return st;
        }
        dstr_free(&taken);
    }
    /* every key taken: another event in each of those ms; still not lost */
    journal_log_unwritten("risk", NULL, key, "every key of the next ms is taken", json, len);
    dstr_error_line(err, "risk record not written: %d keys in a row taken", JOURNAL_RISK_TRIES);
    return JOURNAL_UNWRITTEN;
}

journal_status journal_risk_put_hwm(store *s, int64_t at_ms, const char *equity, const char *run_id,
                                    dstr *err) {
    if (!journal_valid_decimal(equity, 0) ||
        (run_id && !journal_valid_id(run_id, JOURNAL_ID_MAX))) {
        journal_log_unwritten("risk", NULL, NULL, "equity must be an unsigned decimal string",
                              equity, equity ? strlen(equity) : 0);
        dstr_error_line(err, "risk record not written: equity must be an unsigned decimal "
                             "string and run_id an id");
        return JOURNAL_INVALID;
    }
    dstr json = {0};
    dstr_printf(&json,
                "{\"event\":\"hwm\",\"time\":%lld,\"equity\":\"%s\",\"run_id\":", (long long)at_ms,
                equity);
    dstr_json_str(&json, run_id);
    dstr_putc(&json, '}');
    journal_status st = put_event(s, 0, JOURNAL_KILL_TRIP, at_ms, json.ptr, json.len, err);
    dstr_free(&json);
    return st;
}

journal_status journal_risk_put_kill(store *s, journal_kill_event ev, int64_t at_ms,
                                     const char *reason, const char *by, dstr *err) {
    const char *broken = (unsigned)ev > JOURNAL_KILL_RESET    ? "no such kill switch event"
                         : ev == JOURNAL_KILL_TRIP && !reason ? "a trip needs a reason"
                         : by && !journal_valid_tag(by, JOURNAL_TAG_MAX) ? "by must be a tag"
                                                                         : NULL;
    if (broken) {
        journal_log_unwritten("risk", NULL, NULL, broken, reason, reason ? strlen(reason) : 0);
        dstr_error_line(err, "risk record not written: %s", broken);
        return JOURNAL_INVALID;
    }
    dstr json = {0};
    dstr_printf(&json, "{\"event\":\"%s\",\"time\":%lld,\"reason\":", kill_names[ev],
                (long long)at_ms);
    if (reason) dstr_json_strn(&json, reason, cut_utf8(reason, JOURNAL_RISK_TEXT_MAX));
    else dstr_puts(&json, "null");
    dstr_puts(&json, ",\"by\":");
    dstr_json_str(&json, by);
    dstr_putc(&json, '}');
    journal_status st = put_event(s, 1, ev, at_ms, json.ptr, json.len, err);
    dstr_free(&json);
    return st;
}

/* ---- reading --------------------------------------------------------------------------- */

int journal_risk_parse(const char *file, const char *json, size_t len, journal_risk_state *out,
                       dstr *why) {
    const char *broken = NULL;
    char event[8] = "";
    int64_t inv = 0;
    size_t flen = file ? strlen(file) : 0;
    if (flen < INV_DIGITS + 7 || strspn(file, "0123456789") != INV_DIGITS ||
        file[INV_DIGITS] != '_' || strcmp(file + flen - 5, ".json") != 0 ||
        flen - 5 - INV_DIGITS - 1 >= sizeof event)
        broken = "the key is not {13 digits}_{event}.json";
    else {
        for (int i = 0; i < INV_DIGITS; i++) inv = inv * 10 + (file[i] - '0');
        memcpy(event, file + INV_DIGITS + 1, flen - 5 - INV_DIGITS - 1);
        event[flen - 5 - INV_DIGITS - 1] = '\0';
    }
    int64_t at = JOURNAL_RISK_INV_BASE - inv;
    cJSON *obj = broken || !json ? NULL : cJSON_ParseWithLength(json, len);
    if (!broken && !cJSON_IsObject(obj)) broken = "not a JSON object";
    if (!broken && strcmp(event, "hwm") == 0) {
        char equity[JOURNAL_DECIMAL_MAX + 1];
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(obj, "equity");
        if (!cJSON_IsString(e) || !journal_valid_decimal(e->valuestring, 0))
            broken = "equity is not an unsigned decimal string";
        else {
            snprintf(equity, sizeof equity, "%s", e->valuestring);
            out->has_hwm = 1;
            out->hwm = strtod(equity, NULL);
            memcpy(out->hwm_text, equity, sizeof equity);
            out->hwm_ms = at;
        }
    } else if (!broken && (strcmp(event, "trip") == 0 || strcmp(event, "reset") == 0)) {
        char by[sizeof out->kill_by];
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(obj, "reason");
        if (reason && !cJSON_IsNull(reason) && !cJSON_IsString(reason))
            broken = "reason is not a string";
        else if (journal_json_text(obj, "by", 1, journal_valid_tag, JOURNAL_TAG_MAX, by, sizeof by))
            broken = "by is not a tag";
        else {
            const char *r = cJSON_IsString(reason) ? reason->valuestring : "";
            size_t n = cut_utf8(r, JOURNAL_RISK_TEXT_MAX);
            memcpy(out->kill_reason, r, n);
            out->kill_reason[n] = '\0';
            memcpy(out->kill_by, by, sizeof by);
            out->has_kill = 1;
            out->tripped = event[0] == 't';
            out->kill_ms = at;
        }
    } else if (!broken) {
        broken = "the event is not hwm, trip or reset";
    }
    cJSON_Delete(obj);
    if (!broken) return 0;
    if (why) dstr_puts(why, broken);
    return -1;
}

/* The newest parsable record of one stream into *out; 0, 1 when the
 * stream is empty (or holds nothing usable within the skip limit: -1 then). */
static int read_stream(store *s, const char *prefix, journal_risk_state *out, dstr *err) {
    store_page page = {0};
    if (store_list(s, prefix, NULL, JOURNAL_RISK_SKIP_MAX + 1, &page, err) != STORE_OK) return -1;
    size_t plen = strlen(prefix);
    int rc = page.n == 0 ? 1 : -1;
    dstr buf = {0}, why = {0};
    for (size_t i = 0; i < page.n && rc < 0; i++) {
        if (journal_load(s, page.keys[i], &buf)) continue;
        dstr_clear(&why);
        journal_risk_state one = *out;
        if (journal_risk_parse(page.keys[i] + plen, buf.ptr, buf.len, &one, &why) == 0) {
            *out = one;
            rc = 0;
        } else {
            journal_warn_corrupt(page.keys[i], buf.len, dstr_cstr(&why));
        }
    }
    if (rc < 0 && page.n <= JOURNAL_RISK_SKIP_MAX && !page.truncated) rc = 1; /* all corrupt */
    else if (rc < 0)
        dstr_error_line(err, "the newest %d objects under %s are unreadable",
                        JOURNAL_RISK_SKIP_MAX + 1, prefix);
    store_page_free(&page);
    dstr_free(&buf);
    dstr_free(&why);
    return rc;
}

journal_status journal_risk_read(store *s, journal_risk_state *out, dstr *err) {
    *out = (journal_risk_state){0};
    if (!s) {
        dstr_error_line(err, "journal store unavailable");
        return JOURNAL_UNAVAILABLE;
    }
    if (read_stream(s, JOURNAL_RISK_HWM_PREFIX, out, err) < 0 ||
        read_stream(s, JOURNAL_RISK_KILL_PREFIX, out, err) < 0) {
        *out = (journal_risk_state){0};
        return JOURNAL_UNAVAILABLE;
    }
    /* a reset re-bases the mark: the next run starts a new one from its equity */
    if (out->has_kill && !out->tripped && out->has_hwm && out->hwm_ms <= out->kill_ms) {
        out->has_hwm = 0;
        out->hwm = 0;
        out->hwm_text[0] = '\0';
        out->hwm_ms = 0;
    }
    return JOURNAL_OK;
}
