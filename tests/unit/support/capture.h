/* capture: collects the log lines a piece of code emits, through the log
 * module's sink, so tests can assert on structured events. */
#ifndef CAPTURE_H
#define CAPTURE_H

#include "platform/dstr.h"

/* Starts collecting every log line (newline-separated) into *into. */
void capture_start(dstr *into);
void capture_stop(void);

#endif
