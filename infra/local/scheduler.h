/* scheduler: the local EventBridge Scheduler. One thread fires each enabled
 * schedule at its next time as an asynchronous invocation of its function
 * (through the function host's FIFO queue, like Lambda's async queue), with
 * the schedule's input rendered for that fire.
 *
 * Logs: scheduler.fire (schedule, function, scheduled_time, execution_id)
 * when an event is queued, scheduler.result (status, lambda_request_id,
 * duration_ms, error_type) when the invocation ends; a function without a
 * built bootstrap gives status "no_binary" at WARN, each time. Missed fire
 * times (the machine slept) are not replayed: the next one is computed from
 * now. Rate schedules start when the scheduler starts. */
#ifndef SCHEDULER_H
#define SCHEDULER_H

#include <stddef.h>

#include "gw_hosts.h"
#include "sched_config.h"

typedef struct scheduler scheduler;

/* cfg and hosts must outlive the scheduler. timers: 0 = fire only on
 * scheduler_fire_now() (the --no-scheduler mode). */
scheduler *scheduler_start(const sched_config *cfg, gw_hosts *hosts, const char *region, int timers,
                           char *err, size_t errlen);
/* Fires the named schedule now (scheduled time = now). 0, or -1 if unknown. */
int scheduler_fire_now(scheduler *s, const char *name);
/* Stops the thread; invocations already queued still end (and log) later. */
void scheduler_stop(scheduler *s);

#endif
