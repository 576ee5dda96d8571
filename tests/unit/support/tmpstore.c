/* tmpstore: temporary file stores for tests (see tmpstore.h). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "tmpstore.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int tmpstore_open(tmpstore *t, int fast) {
    const char *dir = getenv("TMPDIR");
    struct stat st;
    if (fast && stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) dir = "/dev/shm";
    else if (!dir || !*dir) dir = "/tmp";
    snprintf(t->base, sizeof t->base, "%s/tmpstore.XXXXXX", dir);
    t->s = NULL;
    if (!mkdtemp(t->base)) return -1;
    snprintf(t->url, sizeof t->url, "file://%s/root", t->base);
    dstr err = {0};
    t->s = store_open(t->url, &err);
    if (!t->s) fprintf(stderr, "tmpstore: %s\n", dstr_cstr(&err));
    dstr_free(&err);
    return t->s ? 0 : -1;
}

void tmpstore_close(tmpstore *t) {
    store_close(t->s);
    t->s = NULL;
    nftw(t->base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
