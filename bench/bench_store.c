/* bench_store: latency of the file backend's operations, in a temporary
 * directory (argument 1, else $TMPDIR, else /tmp), printed as a table of
 * medians and 90th percentiles in microseconds. put and put_new include
 * their fsyncs, so the figures depend on the filesystem under the root. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

enum { RECORDS = 1000, LIST_ROUNDS = 50, RECORD_BYTES = 200 };

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void row(const char *op, double *us, size_t n) {
    qsort(us, n, sizeof *us, cmp_double);
    printf("%-36s %6zu %11.1f %9.1f\n", op, n, us[n / 2], us[n * 9 / 10]);
}

static const char *fs_name(const char *dir) {
    struct statfs sf;
    if (statfs(dir, &sf) != 0) return "?";
    switch ((unsigned long)sf.f_type) {
    case 0xEF53: return "ext4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    default: return "other";
    }
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static dstr why; /* what the failing store call said */

static void fail(const char *what, store_status st) {
    fprintf(stderr, "bench_store: %s: %s (%s)\n", what, store_status_name(st), dstr_cstr(&why));
    exit(1);
}

int main(int argc, char **argv) {
    const char *tmp = argc > 1 ? argv[1] : getenv("TMPDIR");
    char base[512];
    snprintf(base, sizeof base, "%s/bench_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    dstr url = {0}, err = {0}, out = {0};
    dstr_printf(&url, "file://%s/root", base);
    store *s = store_open(url.ptr, &err);
    if (!s) {
        fprintf(stderr, "bench_store: %s\n", err.ptr);
        return 1;
    }
    char record[RECORD_BYTES];
    memset(record, 'x', sizeof record);
    static double us[RECORDS];
    char key[64];
    store_status st;

    printf("store file backend on %s (%s), %d records of %d bytes\n", base, fs_name(base), RECORDS,
           RECORD_BYTES);
    printf("%-36s %6s %11s %9s\n", "operation", "n", "median_us", "p90_us");
    for (int i = 0; i < RECORDS; i++) {
        snprintf(key, sizeof key, "payloads/20261121/rec-%05d.json", i);
        double t0 = now_us();
        if ((st = store_put_new(s, key, record, sizeof record, &why)) != STORE_OK) fail(key, st);
        us[i] = now_us() - t0;
    }
    row("put_new (new key)", us, RECORDS);
    for (int i = 0; i < RECORDS; i++) {
        snprintf(key, sizeof key, "payloads/20261121/rec-%05d.json", i);
        double t0 = now_us();
        if ((st = store_put_new(s, key, record, sizeof record, NULL)) != STORE_EXISTS)
            fail(key, st);
        us[i] = now_us() - t0;
    }
    row("put_new (key exists)", us, RECORDS);
    for (int i = 0; i < RECORDS; i++) {
        snprintf(key, sizeof key, "payloads/20261121/rec-%05d.json", i);
        double t0 = now_us();
        if ((st = store_put(s, key, record, sizeof record, &why)) != STORE_OK) fail(key, st);
        us[i] = now_us() - t0;
    }
    row("put (replace)", us, RECORDS);
    for (int i = 0; i < RECORDS; i++) {
        snprintf(key, sizeof key, "payloads/20261121/rec-%05d.json", i);
        double t0 = now_us();
        if ((st = store_get(s, key, &out, &why)) != STORE_OK || out.len != RECORD_BYTES)
            fail(key, st);
        us[i] = now_us() - t0;
    }
    row("get", us, RECORDS);
    store_page page = {0};
    for (int i = 0; i < LIST_ROUNDS; i++) {
        double t0 = now_us();
        if ((st = store_list(s, "payloads/20261121/", NULL, 1000, &page, &why)) != STORE_OK ||
            page.n != RECORDS)
            fail("list", st);
        us[i] = now_us() - t0;
    }
    row("list (page of 1000 keys)", us, LIST_ROUNDS);
    for (int i = 0; i < LIST_ROUNDS; i++) {
        double t0 = now_us();
        if ((st = store_list(s, "payloads/20261121/rec-009", NULL, 1000, &page, &why)) !=
                STORE_OK ||
            page.n != 100)
            fail("list", st);
        us[i] = now_us() - t0;
    }
    row("list (prefix: 100 of 1000 keys)", us, LIST_ROUNDS);
    /* nine more days beside it, written directly (faster than through the
     * store): listing one day must not walk the others */
    for (int d = 0; d < 9; d++) {
        char path[700];
        snprintf(path, sizeof path, "%s/root/payloads/2026111%d", base, d);
        if (mkdir(path, 0755) != 0) fail(path, STORE_IO);
        for (int i = 0; i < RECORDS; i++) {
            snprintf(path, sizeof path, "%s/root/payloads/2026111%d/rec-%05d.json", base, d, i);
            FILE *fp = fopen(path, "w");
            if (!fp || fclose(fp) != 0) fail(path, STORE_IO);
        }
    }
    for (int i = 0; i < LIST_ROUNDS; i++) {
        double t0 = now_us();
        if ((st = store_list(s, "payloads/20261121/", NULL, 1000, &page, &why)) != STORE_OK ||
            page.n != RECORDS)
            fail("list", st);
        us[i] = now_us() - t0;
    }
    row("list (1000 keys, 1 of 10 day dirs)", us, LIST_ROUNDS);
    for (int i = 0; i < LIST_ROUNDS; i++) {
        double t0 = now_us();
        if ((st = store_list(s, "payloads/", "payloads/20261115/rec-00499.json", 1000, &page,
                             &why)) != STORE_OK ||
            page.n != 1000 || !page.truncated)
            fail("list", st);
        us[i] = now_us() - t0;
    }
    row("list (1000 keys from mid-tree)", us, LIST_ROUNDS);
    store_page_free(&page);

    store_close(s);
    dstr_free(&url);
    dstr_free(&err);
    dstr_free(&out);
    dstr_free(&why);
    return nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : 1;
}
