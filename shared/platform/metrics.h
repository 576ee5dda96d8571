/* metrics: CloudWatch metrics as Embedded Metric Format lines (prefix
 * metrics_), so a function publishes numbers by logging, with no API call
 * and no time taken from the invocation.
 *
 * Contract: metrics_emit() writes ONE log line (event "metrics", level
 * info whatever LOG_LEVEL is, through log.h: scrubbed, one write) holding
 * an "_aws" member
 *   {"Timestamp": ms, "CloudWatchMetrics": [{"Namespace": ns,
 *    "Dimensions": [["Function"]], "Metrics": [{"Name", "Unit"}, ...]}]}
 * and, at the top level, "Function": the service name given to log_init and
 * each metric's value. CloudWatch Logs turns such a line into data points
 * (the namespace and names are the alarms' and dashboards' contract:
 * infra/template.yaml). One dimension only, on purpose: every dimension
 * value is a separate metric to pay for. NaN values are left out. */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_NAMESPACE "Trader"

typedef struct metric {
    const char *name; /* CamelCase: "RunCompleted", "ReadLatencyMs" */
    const char *unit; /* "Count", "Milliseconds", ... */
    double value;
} metric;

void metrics_emit(const char *service, int64_t at_ms, const metric *m, size_t n);

#endif
