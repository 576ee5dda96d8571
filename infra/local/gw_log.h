/* gw_log: shared/platform/log.h for the multi-threaded local tools.
 *
 * Contract: log.c keeps one record and is single-threaded by design, so
 * every gateway thread logs through gw_log_begin()/gw_log_end(), which hold
 * a process-wide mutex from begin to end. Never log while holding the lock
 * (no nested gw_log_begin), and keep the fields between begin and end cheap. */
#ifndef GW_LOG_H
#define GW_LOG_H

#include "platform/log.h"

log_rec *gw_log_begin(log_level level, const char *event);
void gw_log_end(log_rec *r);
void gw_log_msg(log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
