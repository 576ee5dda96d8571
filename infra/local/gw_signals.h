/* gw_signals: the signals that stop the local tools (gateway, invoke).
 *
 * Contract: gw_block_stop_signals() fills set with SIGTERM, and with SIGINT
 * unless the process inherited SIGINT ignored, and blocks them in the calling
 * thread. Call it before creating threads: they inherit the mask, so the
 * signals reach only the thread that takes them with sigwait(set).
 *
 * Why SIGINT may be left out: a shell starts its background commands with
 * SIGINT ignored, so that Ctrl-C is for its foreground job alone (the demo
 * script, which then stops the gateway in its turn). A blocked signal is
 * queued even when ignored, so sigwait() would take it all the same. */
#ifndef GW_SIGNALS_H
#define GW_SIGNALS_H

#include <signal.h>

void gw_block_stop_signals(sigset_t *set);

/* "SIGINT" or "SIGTERM", for log lines. */
const char *gw_signal_name(int sig);

#endif
