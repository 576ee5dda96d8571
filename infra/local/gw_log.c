/* gw_log: a mutex around the single-threaded structured logger. */
#include "gw_log.h"

#include <pthread.h>
#include <stdarg.h>

#include "platform/dstr.h"

static pthread_mutex_t gw_log_mu = PTHREAD_MUTEX_INITIALIZER;

log_rec *gw_log_begin(log_level level, const char *event) {
    pthread_mutex_lock(&gw_log_mu);
    return log_begin(level, event);
}

void gw_log_end(log_rec *r) {
    log_end(r);
    pthread_mutex_unlock(&gw_log_mu);
}

void gw_log_msg(log_level level, const char *event, const char *fmt, ...) {
    dstr msg = {0};
    va_list ap;
    va_start(ap, fmt);
    dstr_vprintf(&msg, fmt, ap);
    va_end(ap);
    log_rec *r = gw_log_begin(level, event);
    log_str(r, "message", dstr_cstr(&msg));
    gw_log_end(r);
    dstr_free(&msg);
}
