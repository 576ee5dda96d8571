/* log: structured events, one JSON object a line on stdout.
 *
 * Every line carries timestamp (RFC 3339 with the offset of TZ), level, event,
 * service (the function name), function_request_id, cold_start and
 * xray_trace_id, then the event's own fields in the order they were added.
 * Lines are written with one write(2) so concurrent processes never interleave;
 * a line that cannot be written (stdout closed, EPIPE, a full non-blocking
 * pipe) is dropped and never fails the caller.
 * Secrets registered with secret_register() (platform/secret.h) are replaced
 * by "[REDACTED]" wherever they would appear, before the line reaches the
 * sink or stdout, as a last line of defence: callers still must not log
 * them. Single-threaded by design (one Lambda invocation at a time).
 *
 *   log_rec *r = log_begin(LOG_INFO, "binance.weight");
 *   log_str(r, "path", "/fapi/v1/klines");
 *   log_int(r, "used_weight_1m", 42);
 *   log_end(r);
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

typedef struct log_rec log_rec;

/* service: function name. Leaves the level as it is (info until set): the
 * level comes from the configuration, which is read after the first lines. */
void log_init(const char *service);
/* Lines below level are dropped. */
void log_set_level(log_level level);
/* "debug", "info", "warn" (or "warning"), "error", any case: 0 and *out set,
 * else -1. */
int log_level_parse(const char *text, log_level *out);
/* Called by the runtime at the start and end of each invocation. trace_id
 * may be NULL. cold_start is true from the start of the process until the
 * runtime calls log_invocation_answered() once the first invocation's answer
 * has been posted: lines written after that (the end of that invocation,
 * between invocations, at shutdown) say false. */
void log_invocation_begin(const char *request_id, const char *trace_id);
void log_invocation_answered(void);
void log_invocation_end(void);

/* Where the lines go (default, and fd < 0: stdout): a local tool whose
 * stdout is its report (the backtest) sends them to a file. */
void log_set_fd(int fd);

/* Optional tee of every finished line (without the newline), e.g. for the
 * invocation journal. NULL removes it. */
typedef void (*log_sink_fn)(void *ctx, const char *line, size_t len);
void log_set_sink(log_sink_fn fn, void *ctx);

log_rec *log_begin(log_level level, const char *event);
/* The same, whatever LOG_LEVEL says: lines that carry data, not chatter
 * (metrics.h's). */
log_rec *log_begin_always(log_level level, const char *event);
void log_str(log_rec *r, const char *key, const char *val); /* NULL -> null */
void log_strn(log_rec *r, const char *key, const char *val, size_t n);
void log_int(log_rec *r, const char *key, long long v);
void log_num(log_rec *r, const char *key, double v);
void log_bool(log_rec *r, const char *key, int v);
/* raw must be valid JSON (an object, array, number...); it is embedded as is. */
void log_json(log_rec *r, const char *key, const char *raw);
void log_end(log_rec *r);

/* One-line convenience for a message-only event. */
void log_msg(log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
