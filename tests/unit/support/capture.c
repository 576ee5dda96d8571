/* capture: log sink for tests (see capture.h). */
#include "capture.h"

#include "platform/log.h"

static void sink(void *ctx, const char *line, size_t len) {
    dstr *into = ctx;
    dstr_append(into, line, len);
    dstr_putc(into, '\n');
}

void capture_start(dstr *into) { log_set_sink(sink, into); }

void capture_stop(void) { log_set_sink(NULL, NULL); }
