/* gw_signals: the stop signals of the local tools (see gw_signals.h). */
#include "gw_signals.h"

#include <pthread.h>

void gw_block_stop_signals(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    struct sigaction inherited;
    if (sigaction(SIGINT, NULL, &inherited) == 0 && inherited.sa_handler != SIG_IGN)
        sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

const char *gw_signal_name(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }
