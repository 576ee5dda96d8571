/* journal_risk: high-water mark and kill switch records, newest first by
 * key (see journal_risk.h). */
#include "services/journal_risk.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const journal_switch kill_switch = {"risk", JOURNAL_RISK_KILL_PREFIX, "trip", "reset"};

int journal_risk_hwm_key(int64_t at_ms, char *buf, size_t cap) {
    return journal_stream_key(JOURNAL_RISK_HWM_PREFIX, "hwm", at_ms, buf, cap);
}

int journal_risk_kill_key(journal_kill_event ev, int64_t at_ms, char *buf, size_t cap) {
    if ((unsigned)ev > JOURNAL_KILL_RESET) return -1;
    return journal_stream_key(JOURNAL_RISK_KILL_PREFIX, ev == JOURNAL_KILL_TRIP ? "trip" : "reset",
                              at_ms, buf, cap);
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
    journal_status st = journal_stream_put(s, "risk", JOURNAL_RISK_HWM_PREFIX, "hwm", at_ms,
                                           json.ptr, json.len, err);
    dstr_free(&json);
    return st;
}

journal_status journal_risk_put_kill(store *s, journal_kill_event ev, int64_t at_ms,
                                     const char *reason, const char *by, dstr *err) {
    const char *broken = (unsigned)ev > JOURNAL_KILL_RESET    ? "no such kill switch event"
                         : ev == JOURNAL_KILL_TRIP && !reason ? "a trip needs a reason"
                                                              : NULL;
    if (broken) {
        journal_log_unwritten("risk", NULL, NULL, broken, reason, reason ? strlen(reason) : 0);
        dstr_error_line(err, "risk record not written: %s", broken);
        return JOURNAL_INVALID;
    }
    return journal_switch_put(s, &kill_switch, ev == JOURNAL_KILL_TRIP, at_ms, reason, by, err);
}

/* ---- reading --------------------------------------------------------------------------- */

static int parse_hwm(int64_t at, const char *json, size_t len, journal_risk_state *out,
                     const char **broken) {
    cJSON *obj = json ? cJSON_ParseWithLength(json, len) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(obj, "equity");
    if (!cJSON_IsObject(obj)) *broken = "not a JSON object";
    else if (!cJSON_IsString(e) || !journal_valid_decimal(e->valuestring, 0))
        *broken = "equity is not an unsigned decimal string";
    else {
        out->has_hwm = 1;
        out->hwm = strtod(e->valuestring, NULL);
        snprintf(out->hwm_text, sizeof out->hwm_text, "%s", e->valuestring);
        out->hwm_ms = at;
    }
    cJSON_Delete(obj);
    return *broken ? -1 : 0;
}

int journal_risk_parse(const char *file, const char *json, size_t len, journal_risk_state *out,
                       dstr *why) {
    const char *broken = NULL;
    char event[JOURNAL_STREAM_EVENT_MAX + 1];
    int64_t at = 0;
    if (journal_stream_file(file, event, &at)) broken = "the key is not {13 digits}_{event}.json";
    else if (strcmp(event, "hwm") == 0) {
        if (parse_hwm(at, json, len, out, &broken) == 0) return 0;
    } else if (strcmp(event, "trip") == 0 || strcmp(event, "reset") == 0) {
        journal_switch_state k;
        if (journal_switch_parse(&kill_switch, file, json, len, &k, why)) return -1;
        out->has_kill = 1;
        out->tripped = k.on;
        out->kill_ms = k.at_ms;
        memcpy(out->kill_reason, k.reason, sizeof k.reason);
        memcpy(out->kill_by, k.by, sizeof k.by);
        return 0;
    } else {
        broken = "the event is not hwm, trip or reset";
    }
    if (why) dstr_puts(why, broken);
    return -1;
}

static int parse_risk(void *ctx, const char *file, const char *json, size_t len, dstr *why) {
    journal_risk_state one = *(journal_risk_state *)ctx;
    if (journal_risk_parse(file, json, len, &one, why)) return -1;
    *(journal_risk_state *)ctx = one;
    return 0;
}

journal_status journal_risk_read(store *s, journal_risk_state *out, dstr *err) {
    *out = (journal_risk_state){0};
    if (journal_stream_newest(s, JOURNAL_RISK_HWM_PREFIX, parse_risk, out, err) < 0 ||
        journal_stream_newest(s, JOURNAL_RISK_KILL_PREFIX, parse_risk, out, err) < 0) {
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
