/* sched_config: the local scheduler's schedules (scheduler.yaml at the repo
 * root), modelled on EventBridge Scheduler schedules with a Lambda target.
 *
 *   schedules:                 # required; may be an empty list
 *     - name: trader-every-5-minutes   # required, unique, 1-64 of [A-Za-z0-9._-]
 *       function: trader               # required: the function to invoke
 *       expression: rate(5 minutes)    # required: rate(...) or cron(...)
 *       timezone: Europe/Berlin        # optional IANA name for cron, default UTC
 *       enabled: true                  # optional, true|false, default true
 *       input: '{"source":"scheduler"}' # optional JSON text (the target's
 *                                       # Input), default {}
 *
 * Parsing is strict: unknown keys, missing or empty fields, duplicate keys
 * or names, bad expressions or time zones, and an input that is not JSON
 * once its placeholders are substituted are errors reported as
 * "file:line: message". sched_input_render() substitutes the Scheduler
 * context attributes <aws.scheduler.schedule-arn>,
 * <aws.scheduler.scheduled-time>, <aws.scheduler.execution-id> and
 * <aws.scheduler.attempt-number> textually, as EventBridge Scheduler does. */
#ifndef SCHED_CONFIG_H
#define SCHED_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "sched_expr.h"
#include "tzone.h"

#define SCHED_MAX_INPUT (1024 * 1024) /* the async invoke payload limit */

typedef struct sched_entry {
    char *name;
    char *function;
    char *expression;
    char *timezone; /* NULL when not given (UTC) */
    char *input;    /* the template, "{}" when not given */
    sched_expr expr;
    tzone *tz; /* NULL for UTC */
    int enabled;
    int line; /* 1-based line of the entry */
} sched_entry;

typedef struct sched_config {
    sched_entry *items;
    size_t n;
} sched_config;

int sched_config_parse(const char *text, size_t len, const char *source, sched_config *out,
                       char *err, size_t errlen);
int sched_config_load(const char *path, sched_config *out, char *err, size_t errlen);
void sched_config_free(sched_config *c);
const sched_entry *sched_config_find(const sched_config *c, const char *name);

typedef struct sched_vars {
    const char *schedule_arn;
    const char *scheduled_time; /* "2022-03-22T18:59:43Z" */
    const char *execution_id;
    int attempt;
} sched_vars;

/* Renders tmpl into out; returns 0, or -1 if the result is not valid JSON. */
int sched_input_render(const char *tmpl, const sched_vars *v, dstr *out, char *err, size_t errlen);
/* "arn:aws:scheduler:<region>:000000000000:schedule/default/<name>" */
void sched_schedule_arn(char *out, size_t cap, const char *region, const char *name);

#endif
