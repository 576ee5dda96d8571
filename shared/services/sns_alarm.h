/* sns_alarm: the stack's alarms as they reach a function, an SNS
 * notification in a Lambda SNS event, made into alert texts (service;
 * outside input: the topic's publishers).
 *
 * Contract: sns_alarm_parse() takes the event Lambda hands a function
 * subscribed to an SNS topic,
 *   {"Records":[{"EventSource":"aws:sns","Sns":{"Type":"Notification",
 *     "MessageId","Timestamp":"2026-12-06T02:00:00.000Z","Subject","Message"}}]}
 * and gives one alarm per usable record: its event id (the MessageId, so a
 * redelivered notification is the same outbox alert), its time (Timestamp,
 * UTC, to the ms) and a plain text. A Message that is a CloudWatch alarm
 * ({"AlarmName","NewStateValue","OldStateValue","NewStateReason",...})
 * reads "ALARM <name>: <new> (was <old>)\n<reason>"; any other message
 * "SNS <subject>\n<message>". Texts are cut to SNS_ALARM_TEXT_MAX bytes on
 * a character. A record that is not an SNS notification with a MessageId of
 * [A-Za-z0-9._:-] (1-64) and a valid Timestamp is skipped and counted.
 * -1 (why appended, nothing kept) when the event is not an object with a
 * Records array, or more than SNS_ALARM_RECORDS_MAX records. */
#ifndef SNS_ALARM_H
#define SNS_ALARM_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"

#define SNS_ALARM_RECORDS_MAX 100
#define SNS_ALARM_TEXT_MAX 3000 /* bytes of an alarm's text */
#define SNS_ALARM_EVENT_MAX 64
#define SNS_ALARM_INPUT_MAX (1 << 20) /* bytes of an event sns_alarm_parse_bytes reads */

typedef struct sns_alarm {
    char event[SNS_ALARM_EVENT_MAX + 1]; /* the MessageId */
    int64_t at_ms;                       /* the Timestamp */
    dstr text;
} sns_alarm;

typedef struct sns_alarms {
    sns_alarm *items;
    size_t n;
    size_t skipped; /* records that were not usable notifications */
} sns_alarms;

struct cJSON;
/* 1 when event looks like a Lambda SNS event (a Records array whose first
 * record has EventSource "aws:sns"): how the function tells it from others. */
int sns_alarm_is_sns(const struct cJSON *event);
/* Parses event (see the contract): 0 with *out filled, or -1. */
int sns_alarm_parse(const struct cJSON *event, sns_alarms *out, dstr *why);
/* The same from bytes (at most SNS_ALARM_INPUT_MAX, no NUL): for the fuzz target. */
int sns_alarm_parse_bytes(const char *json, size_t len, sns_alarms *out, dstr *why);
void sns_alarms_free(sns_alarms *a);

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" as unix ms: 0, else -1. */
int sns_alarm_time(const char *text, int64_t *out_ms);

#endif
