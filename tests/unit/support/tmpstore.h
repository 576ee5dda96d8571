/* tmpstore: a fresh file store in its own temporary directory for one test,
 * removed with everything in it afterwards. */
#ifndef TMPSTORE_H
#define TMPSTORE_H

#include "store/store.h"

typedef struct tmpstore {
    char base[512]; /* the temporary directory */
    char url[600];  /* file://<base>/root */
    store *s;
} tmpstore;

/* Under TMPDIR (or /tmp); fast: on /dev/shm when there is one (tests that
 * write many objects: the file backend fsyncs each). 0, or -1 on failure. */
int tmpstore_open(tmpstore *t, int fast);
void tmpstore_close(tmpstore *t);

#endif
