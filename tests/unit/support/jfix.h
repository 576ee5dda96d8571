/* jfix: the fixture of the journal's record tests: a fresh file store
 * (tmpstore) and the captured log, per test; and finding one event in it. */
#ifndef JFIX_H
#define JFIX_H

#include <cJSON.h>

#include "platform/dstr.h"
#include "tmpstore.h"

typedef struct jfix {
    tmpstore t;
    dstr log;
} jfix;

/* cmocka setup/teardown: *state becomes a jfix. */
int jfix_setup(void **state);
int jfix_teardown(void **state);

/* The first log event named event (and, when kind is not NULL, with that
 * "kind") in the newline-separated log; NULL when none. Caller deletes it. */
cJSON *jfix_event(const char *log, const char *event, const char *kind);

/* Unix ms now (the wall clock). */
long long jfix_now_ms(void);

#endif
