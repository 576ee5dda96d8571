/* journal_stream: newest-first event streams and the switches on them
 * (see journal_stream.h). */
#include "services/journal_stream.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

#define INV_DIGITS 13

int journal_stream_key(const char *prefix, const char *event, int64_t at_ms, char *buf,
                       size_t cap) {
    if (at_ms < 0 || at_ms > JOURNAL_STREAM_INV_BASE) return -1;
    int n = snprintf(buf, cap, "%s%0*lld_%s.json", prefix, INV_DIGITS,
                     (long long)(JOURNAL_STREAM_INV_BASE - at_ms), event);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

size_t journal_stream_cut_utf8(const char *text, size_t max) {
    size_t n = strlen(text);
    if (n <= max) return n;
    while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80) max--;
    return max;
}

journal_status journal_stream_put(store *s, const char *kind, const char *prefix, const char *event,
                                  int64_t at_ms, const char *json, size_t len, dstr *err) {
    journal_status st = JOURNAL_INVALID;
    char key[JOURNAL_KEY_MAX];
    for (int i = 0; i < JOURNAL_STREAM_TRIES; i++) {
        if (journal_stream_key(prefix, event, at_ms + i, key, sizeof key)) {
            journal_log_unwritten(kind, NULL, NULL, "time out of range", json, len);
            dstr_error_line(err, "%s record not written: time out of range", kind);
            return JOURNAL_INVALID;
        }
        dstr taken = {0};
        st = journal_put_exact(s, kind, NULL, key, json, len, &taken);
        if (st != JOURNAL_EXISTS) {
            if (st != JOURNAL_OK && err) dstr_append(err, taken.ptr, taken.len);
            dstr_free(&taken);
            return st;
        }
        dstr_free(&taken);
    }
    /* every key taken: another event in each of those ms; still not lost */
    journal_log_unwritten(kind, NULL, key, "every key of the next ms is taken", json, len);
    dstr_error_line(err, "%s record not written: %d keys in a row taken", kind,
                    JOURNAL_STREAM_TRIES);
    return JOURNAL_UNWRITTEN;
}

int journal_stream_file(const char *file, char *event, int64_t *at_ms) {
    size_t flen = file ? strlen(file) : 0;
    if (flen < INV_DIGITS + 7 || strspn(file, "0123456789") != INV_DIGITS ||
        file[INV_DIGITS] != '_' || strcmp(file + flen - 5, ".json") != 0 ||
        flen - 5 - INV_DIGITS - 1 > JOURNAL_STREAM_EVENT_MAX)
        return -1;
    int64_t inv = 0;
    for (int i = 0; i < INV_DIGITS; i++) inv = inv * 10 + (file[i] - '0');
    memcpy(event, file + INV_DIGITS + 1, flen - 5 - INV_DIGITS - 1);
    event[flen - 5 - INV_DIGITS - 1] = '\0';
    *at_ms = JOURNAL_STREAM_INV_BASE - inv;
    return 0;
}

int journal_stream_newest(store *s, const char *prefix, journal_stream_parse_fn parse, void *ctx,
                          dstr *err) {
    if (!s) {
        dstr_error_line(err, "journal store unavailable");
        return -1;
    }
    store_page page = {0};
    if (store_list(s, prefix, NULL, JOURNAL_STREAM_SKIP_MAX + 1, &page, err) != STORE_OK) return -1;
    size_t plen = strlen(prefix);
    int rc = page.n == 0 ? 1 : -1;
    dstr buf = {0}, why = {0};
    for (size_t i = 0; i < page.n && rc < 0; i++) {
        if (journal_load(s, page.keys[i], &buf)) continue;
        dstr_clear(&why);
        if (parse(ctx, page.keys[i] + plen, buf.ptr, buf.len, &why) == 0) rc = 0;
        else journal_warn_corrupt(page.keys[i], buf.len, dstr_cstr(&why));
    }
    if (rc < 0 && page.n <= JOURNAL_STREAM_SKIP_MAX && !page.truncated) rc = 1; /* all corrupt */
    else if (rc < 0)
        dstr_error_line(err, "the newest %d objects under %s are unreadable",
                        JOURNAL_STREAM_SKIP_MAX + 1, prefix);
    store_page_free(&page);
    dstr_free(&buf);
    dstr_free(&why);
    return rc;
}

/* ---- switches --------------------------------------------------------------------- */

journal_status journal_switch_put(store *s, const journal_switch *sw, int on, int64_t at_ms,
                                  const char *reason, const char *by, dstr *err) {
    if (by && !journal_valid_tag(by, JOURNAL_TAG_MAX)) {
        journal_log_unwritten(sw->kind, NULL, NULL, "by must be a tag", reason,
                              reason ? strlen(reason) : 0);
        dstr_error_line(err, "%s record not written: by must be a tag", sw->kind);
        return JOURNAL_INVALID;
    }
    const char *event = on ? sw->on : sw->off;
    dstr json = {0};
    dstr_printf(&json, "{\"event\":\"%s\",\"time\":%lld,\"reason\":", event, (long long)at_ms);
    if (reason)
        dstr_json_strn(&json, reason, journal_stream_cut_utf8(reason, JOURNAL_STREAM_TEXT_MAX));
    else dstr_puts(&json, "null");
    dstr_puts(&json, ",\"by\":");
    dstr_json_str(&json, by);
    dstr_putc(&json, '}');
    journal_status st =
        journal_stream_put(s, sw->kind, sw->prefix, event, at_ms, json.ptr, json.len, err);
    dstr_free(&json);
    return st;
}

int journal_switch_parse(const journal_switch *sw, const char *file, const char *json, size_t len,
                         journal_switch_state *out, dstr *why) {
    const char *broken = NULL;
    char event[JOURNAL_STREAM_EVENT_MAX + 1];
    int64_t at = 0;
    if (journal_stream_file(file, event, &at)) broken = "the key is not {13 digits}_{event}.json";
    else if (strcmp(event, sw->on) != 0 && strcmp(event, sw->off) != 0)
        broken = "the event is not one of the switch's";
    cJSON *obj = broken || !json ? NULL : cJSON_ParseWithLength(json, len);
    if (!broken && !cJSON_IsObject(obj)) broken = "not a JSON object";
    char by[JOURNAL_TAG_MAX + 1];
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(obj, "reason");
    if (!broken && reason && !cJSON_IsNull(reason) && !cJSON_IsString(reason))
        broken = "reason is not a string";
    else if (!broken &&
             journal_json_text(obj, "by", 1, journal_valid_tag, JOURNAL_TAG_MAX, by, sizeof by))
        broken = "by is not a tag";
    if (!broken) {
        const char *r = cJSON_IsString(reason) ? reason->valuestring : "";
        size_t n = journal_stream_cut_utf8(r, JOURNAL_STREAM_TEXT_MAX);
        memcpy(out->reason, r, n);
        out->reason[n] = '\0';
        memcpy(out->by, by, sizeof by);
        out->has = 1;
        out->on = strcmp(event, sw->on) == 0;
        out->at_ms = at;
    }
    cJSON_Delete(obj);
    if (!broken) return 0;
    if (why) dstr_puts(why, broken);
    return -1;
}

typedef struct switch_read {
    const journal_switch *sw;
    journal_switch_state *out;
} switch_read;

static int parse_switch(void *ctx, const char *file, const char *json, size_t len, dstr *why) {
    switch_read *r = ctx;
    return journal_switch_parse(r->sw, file, json, len, r->out, why);
}

int journal_switch_read(store *s, const journal_switch *sw, journal_switch_state *out, dstr *err) {
    *out = (journal_switch_state){0};
    switch_read r = {sw, out};
    if (journal_stream_newest(s, sw->prefix, parse_switch, &r, err) >= 0) return 0;
    *out = (journal_switch_state){0};
    return -1;
}
