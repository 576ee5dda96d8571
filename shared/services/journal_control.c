/* journal_control: pause/resume records and handled Telegram updates (see
 * journal_control.h). */
#include "services/journal_control.h"

#include <stdio.h>
#include <string.h>

static const journal_switch pause_switch = {"control", JOURNAL_CONTROL_PAUSE_PREFIX, "pause",
                                            "resume"};

int journal_control_pause_key(int pause, int64_t at_ms, char *buf, size_t cap) {
    return journal_stream_key(JOURNAL_CONTROL_PAUSE_PREFIX, pause ? "pause" : "resume", at_ms, buf,
                              cap);
}

journal_status journal_control_put_pause(store *s, int pause, int64_t at_ms, const char *reason,
                                         const char *by, dstr *err) {
    return journal_switch_put(s, &pause_switch, pause, at_ms, reason, by, err);
}

static void pause_state_of(const journal_switch_state *sw, journal_pause_state *out) {
    *out = (journal_pause_state){.paused = sw->on, .has = sw->has, .since_ms = sw->at_ms};
    memcpy(out->by, sw->by, sizeof out->by);
    memcpy(out->reason, sw->reason, sizeof out->reason);
}

int journal_control_parse_pause(const char *file, const char *json, size_t len,
                                journal_pause_state *out, dstr *why) {
    journal_switch_state sw;
    if (journal_switch_parse(&pause_switch, file, json, len, &sw, why)) return -1;
    pause_state_of(&sw, out);
    return 0;
}

journal_status journal_control_read_pause(store *s, journal_pause_state *out, dstr *err) {
    journal_switch_state sw;
    int rc = journal_switch_read(s, &pause_switch, &sw, err);
    pause_state_of(&sw, out);
    return rc ? JOURNAL_UNAVAILABLE : JOURNAL_OK;
}

int journal_control_update_key(int64_t update_id, char *buf, size_t cap) {
    if (update_id < 0) return -1;
    int n = snprintf(buf, cap, "%s%lld.json", JOURNAL_CONTROL_UPDATES_PREFIX, (long long)update_id);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

journal_status journal_control_claim_update(store *s, int64_t update_id, int64_t at_ms,
                                            int64_t chat, int64_t from, const char *command,
                                            dstr *err) {
    char key[JOURNAL_KEY_MAX];
    if (journal_control_update_key(update_id, key, sizeof key)) {
        dstr_error_line(err, "control record not written: update_id %lld is negative",
                        (long long)update_id);
        return JOURNAL_INVALID;
    }
    dstr json = {0};
    dstr_printf(&json, "{\"update_id\":%lld,\"time\":%lld,\"chat\":%lld,\"from\":%lld,\"command\":",
                (long long)update_id, (long long)at_ms, (long long)chat, (long long)from);
    dstr_json_str(&json, command && journal_valid_word(command, JOURNAL_WORD_MAX) ? command : NULL);
    dstr_putc(&json, '}');
    journal_status st = journal_put_exact(s, "control", NULL, key, json.ptr, json.len, err);
    dstr_free(&json);
    return st;
}
