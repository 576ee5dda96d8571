/* gw_hosts: the set of function hosts of one gateway, by function name.
 *
 * Contract: built once at start-up (single-threaded), then read-only: lookups
 * from any thread need no lock. Shutdown ends every pending invocation before
 * free, so HTTP threads blocked in an invocation return first. */
#ifndef GW_HOSTS_H
#define GW_HOSTS_H

#include <stddef.h>

#include "fnhost.h"

typedef struct gw_hosts {
    fnhost **items;
    size_t n;
} gw_hosts;

/* Adds a host for cfg->function unless one exists. 0, or -1 with err. */
int gw_hosts_add(gw_hosts *hs, const fnhost_config *cfg, char *err, size_t errlen);
fnhost *gw_hosts_get(const gw_hosts *hs, const char *function);
void gw_hosts_shutdown(gw_hosts *hs);
void gw_hosts_free(gw_hosts *hs);

#endif
