/* sched_expr: EventBridge Scheduler schedule expressions and their fire times.
 *
 *   rate(N unit)  unit: minute|minutes|hour|hours|day|days; N >= 1, and the
 *                 singular unit exactly when N is 1 (as AWS requires). Fires
 *                 at the anchor (the schedule's start: a schedule without a
 *                 StartDate starts at once) and every N units after it; a day
 *                 is 24 hours, whatever the time zone.
 *   cron(min hour day-of-month month day-of-week year), EventBridge flavour:
 *                 six fields; exactly one of day-of-month / day-of-week is
 *                 '?'; ',' '-' '*' and '/' steps ("0/5", "*" + "/5",
 *                 "10-40/10"; no '/' in day-of-week); months 1-12 or JAN-DEC;
 *                 days of week 1-7 or SUN-SAT with 1 = SUN; years 1970-2199.
 *                 Day-of-month also takes L (last day), LW (last weekday) and
 *                 nW (weekday nearest to day n, within the month);
 *                 day-of-week takes L (= SAT), nL (last day n of the month)
 *                 and n#k (k-th day n of the month), each as the whole field.
 *                 Evaluated in the schedule's time zone: a local time skipped
 *                 by a DST change does not fire, a repeated one fires once.
 *
 * Parsing reports the first problem in err; computing is pure. */
#ifndef SCHED_EXPR_H
#define SCHED_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "tzone.h"

typedef struct sched_cron {
    uint64_t minutes;         /* bit m */
    uint32_t hours;           /* bit h */
    uint32_t dom;             /* bit d, 1..31 */
    uint16_t months;          /* bit m, 1..12 */
    uint8_t dow;              /* bit d, 1..7, 1 = Sunday */
    uint64_t years[4];        /* bit (y - 1970) */
    int dom_any, dow_any;     /* '?' */
    int dom_last;             /* L */
    int dom_last_weekday;     /* LW */
    int dom_nearest_weekday;  /* nW: n, else 0 */
    int dow_last;             /* nL: n, else 0 */
    int dow_nth_day, dow_nth; /* n#k */
} sched_cron;

typedef enum sched_kind { SCHED_RATE, SCHED_CRON } sched_kind;

typedef struct sched_expr {
    sched_kind kind;
    int64_t rate_s;
    sched_cron cron;
} sched_expr;

int sched_expr_parse(const char *text, sched_expr *out, char *err, size_t errlen);

/* First fire time strictly after `after` (epoch seconds), or -1 if there is
 * none (a cron whose years are over). anchor: the schedule start (rate);
 * tz: the zone cron fields are read in (NULL = UTC). */
int64_t sched_expr_next(const sched_expr *e, const tzone *tz, int64_t anchor, int64_t after);

#endif
