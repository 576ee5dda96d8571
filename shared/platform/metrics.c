/* metrics: Embedded Metric Format lines (see metrics.h). */
#include "platform/metrics.h"

#include <math.h>

#include "platform/dstr.h"
#include "platform/log.h"

void metrics_emit(const char *service, int64_t at_ms, const metric *m, size_t n) {
    dstr aws = {0};
    dstr_printf(&aws,
                "{\"Timestamp\":%lld,\"CloudWatchMetrics\":[{\"Namespace\":\"" METRICS_NAMESPACE
                "\",\"Dimensions\":[[\"Function\"]],\"Metrics\":[",
                (long long)at_ms);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(m[i].value)) continue;
        dstr_puts(&aws, k++ ? "," : "");
        dstr_puts(&aws, "{\"Name\":");
        dstr_json_str(&aws, m[i].name);
        dstr_puts(&aws, ",\"Unit\":");
        dstr_json_str(&aws, m[i].unit);
        dstr_putc(&aws, '}');
    }
    dstr_puts(&aws, "]}]}");
    log_rec *r = log_begin_always(LOG_INFO, "metrics"); /* LOG_LEVEL=warn keeps them */
    log_json(r, "_aws", aws.ptr);
    log_str(r, "Function", service);
    for (size_t i = 0; i < n; i++)
        if (!isnan(m[i].value)) log_num(r, m[i].name, m[i].value);
    log_end(r);
    dstr_free(&aws);
}
