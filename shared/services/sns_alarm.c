/* sns_alarm: SNS notifications (CloudWatch alarms) into alert texts (see
 * sns_alarm.h). */
#include "services/sns_alarm.h"

#include "platform/clock.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/journal.h"
#include "services/journal_stream.h"
#include "services/telegram.h"

static const char *str_of(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int sns_alarm_time(const char *text, int64_t *out_ms) {
    int y, mo, d, h, mi, s, used = 0;
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; text && i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? text[i] < '0' || text[i] > '9' : text[i] != shape[i]) return -1;
    if (!text || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6 ||
        used != 19)
        return -1;
    const char *p = text + 19;
    int ms = 0;
    if (*p == '.') {
        size_t digits = strspn(p + 1, "0123456789");
        if (digits == 0 || digits > 9) return -1;
        for (size_t i = 0; i < 3; i++) ms = ms * 10 + (i < digits ? p[1 + i] - '0' : 0);
        p += 1 + digits;
    }
    int64_t t = clock_utc_ms(y, mo, d, h, mi, s);
    if (strcmp(p, "Z") != 0 || t < 0) return -1;
    *out_ms = t + ms;
    return 0;
}

/* Appends text to out as valid UTF-8, at most room bytes of it (cut on a character). */
static void put_text(dstr *out, const char *text, size_t room) {
    dstr clean = {0};
    telegram_sanitize(text, strlen(text), &clean);
    dstr_append(out, clean.ptr, journal_stream_cut_utf8(dstr_cstr(&clean), room));
    dstr_free(&clean);
}

/* The alert text of one notification's Subject and Message. */
static void alarm_text(const char *subject, const char *message, dstr *out) {
    cJSON *m = message ? cJSON_Parse(message) : NULL;
    const char *name = str_of(m, "AlarmName"), *now = str_of(m, "NewStateValue");
    dstr head = {0};
    if (name && now) {
        const char *was = str_of(m, "OldStateValue"), *reason = str_of(m, "NewStateReason");
        dstr_printf(&head, "ALARM %s: %s (was %s)\n%s", name, now, was ? was : "?",
                    reason ? reason : "");
    } else {
        dstr_printf(&head, "SNS %s\n%s", subject ? subject : "(no subject)",
                    message ? message : "");
    }
    put_text(out, dstr_cstr(&head), SNS_ALARM_TEXT_MAX);
    dstr_free(&head);
    cJSON_Delete(m);
}

int sns_alarm_is_sns(const cJSON *event) {
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(event, "Records");
    const cJSON *first = cJSON_IsArray(recs) ? cJSON_GetArrayItem(recs, 0) : NULL;
    const char *src = str_of(first, "EventSource");
    return src && strcmp(src, "aws:sns") == 0;
}

int sns_alarm_parse(const cJSON *event, sns_alarms *out, dstr *why) {
    *out = (sns_alarms){0};
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(event, "Records");
    int n = cJSON_IsObject(event) && cJSON_IsArray(recs) ? cJSON_GetArraySize(recs) : -1;
    if (n < 0 || n > SNS_ALARM_RECORDS_MAX) {
        if (why) dstr_puts(why, n < 0 ? "not an event with a Records array" : "too many records");
        return -1;
    }
    out->items = n ? calloc((size_t)n, sizeof *out->items) : NULL;
    if (n && !out->items) abort();
    const cJSON *rec;
    cJSON_ArrayForEach(rec, recs) {
        const cJSON *sns = cJSON_GetObjectItemCaseSensitive(rec, "Sns");
        const char *src = str_of(rec, "EventSource"), *type = str_of(sns, "Type"),
                   *id = str_of(sns, "MessageId"), *at = str_of(sns, "Timestamp");
        sns_alarm *a = &out->items[out->n];
        if (!src || strcmp(src, "aws:sns") != 0 || !type || strcmp(type, "Notification") != 0 ||
            !id || !journal_valid_id(id, SNS_ALARM_EVENT_MAX) || sns_alarm_time(at, &a->at_ms)) {
            out->skipped++;
            continue;
        }
        snprintf(a->event, sizeof a->event, "%s", id);
        alarm_text(str_of(sns, "Subject"), str_of(sns, "Message"), &a->text);
        out->n++;
    }
    return 0;
}

int sns_alarm_parse_bytes(const char *json, size_t len, sns_alarms *out, dstr *why) {
    *out = (sns_alarms){0};
    if (!json || len > SNS_ALARM_INPUT_MAX || memchr(json, '\0', len)) {
        if (why) dstr_puts(why, "the event is missing, too large or holds a NUL byte");
        return -1;
    }
    cJSON *ev = cJSON_ParseWithLength(json, len);
    int rc = sns_alarm_parse(ev, out, why);
    cJSON_Delete(ev);
    return rc;
}

void sns_alarms_free(sns_alarms *a) {
    for (size_t i = 0; i < a->n; i++) dstr_free(&a->items[i].text);
    free(a->items);
    *a = (sns_alarms){0};
}
