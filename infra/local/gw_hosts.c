/* gw_hosts: a small name -> fnhost table. */
#include "gw_hosts.h"

#include <stdlib.h>
#include <string.h>

int gw_hosts_add(gw_hosts *hs, const fnhost_config *cfg, char *err, size_t errlen) {
    if (gw_hosts_get(hs, cfg->function)) return 0;
    fnhost *h = fnhost_new(cfg, err, errlen);
    if (!h) return -1;
    fnhost **items = realloc(hs->items, (hs->n + 1) * sizeof *items);
    if (!items) abort();
    hs->items = items;
    items[hs->n++] = h;
    return 0;
}

fnhost *gw_hosts_get(const gw_hosts *hs, const char *function) {
    for (size_t i = 0; i < hs->n; i++)
        if (strcmp(fnhost_function(hs->items[i]), function) == 0) return hs->items[i];
    return NULL;
}

void gw_hosts_shutdown(gw_hosts *hs) {
    /* every process is told to exit before any is waited for: the stop takes
     * as long as the slowest exit, not the sum of them */
    for (size_t i = 0; i < hs->n; i++) fnhost_stop(hs->items[i]);
    for (size_t i = 0; i < hs->n; i++) fnhost_shutdown(hs->items[i]);
}

void gw_hosts_free(gw_hosts *hs) {
    for (size_t i = 0; i < hs->n; i++) fnhost_free(hs->items[i]);
    free(hs->items);
    *hs = (gw_hosts){0};
}
