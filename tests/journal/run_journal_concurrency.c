/* journal concurrency: 20 writer processes x 50 trades each through the
 * journal API on one file store, at the same instants: half the trades carry
 * their own client order id, the other half all want the same key (so 20
 * processes race for every suffix). Afterwards exactly 1000 records must be
 * readable, each writer's every trade exactly once, none lost or overwritten.
 *
 *   run_journal_concurrency [BUILD_DIR]      (the argument is not used)
 *
 * Prints "ok NAME" / "FAIL NAME: why", the time taken, and
 * "journal-concurrency: N passed, N failed". */
#define _XOPEN_SOURCE 700 /* nftw */
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "services/journal_trade.h"
#include "platform/log.h"
#include "store/store.h"

#define WRITERS 20
#define RECORDS 50
#define WAIT_MS 60000

/* One writer: its own store handle, 50 trades; exits with the failures. */
static int writer(const char *url, int w, int64_t base) {
    dstr err = {0};
    store *s = store_open(url, &err);
    dstr_free(&err);
    if (!s) return RECORDS;
    int failures = 0;
    for (int r = 0; r < RECORDS; r++) {
        char coid[40], raw[64];
        snprintf(coid, sizeof coid, "w%02d-r%02d", w, r);
        snprintf(raw, sizeof raw, "{\"w\":%d,\"r\":%d}", w, r);
        journal_trade t = {.time_ms = base + r,
                           .symbol = "BTCUSDT",
                           .side = r % 4 ? "BUY" : "SELL",
                           .type = "MARKET",
                           .status = "FILLED",
                           .qty = "0.001",
                           .price = "50000.1",
                           .order_id = 1 + w * RECORDS + r,
                           /* odd r: no client id, so all writers share one key */
                           .client_order_id = r % 2 ? NULL : coid,
                           .kind = "fill",
                           .raw_json = raw};
        failures += journal_trade_put(s, &t, NULL) != 0;
    }
    store_close(s);
    return failures;
}

/* Every key under trades/ (all pages). */
static size_t list_all(store *s, char ***keys) {
    store_page page = {0};
    size_t n = 0, cap = 0;
    const char *after = NULL;
    *keys = NULL;
    for (;;) {
        if (store_list(s, JOURNAL_TRADE_PREFIX, after, STORE_LIST_MAX, &page, NULL) != STORE_OK)
            break;
        for (size_t i = 0; i < page.n; i++) {
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                char **v = realloc(*keys, cap * sizeof *v);
                if (!v) abort();
                *keys = v;
            }
            (*keys)[n++] = strdup(page.keys[i]);
        }
        if (!page.truncated || page.n == 0) break;
        after = page.keys[page.n - 1];
    }
    store_page_free(&page);
    return n;
}

static void verify(store *s) {
    dstr csv = {0};
    int rc = journal_trade_csv(s, 1000, &csv, NULL);
    size_t rows = 0;
    for (const char *p = csv.ptr; p && (p = strstr(p, "\r\n")) != NULL; p += 2) rows++;
    drv_check(rc == 0 && rows == 1 + WRITERS * RECORDS, "the CSV has 1000 rows and the header",
              "rc %d, %zu lines", rc, rows);
    dstr_free(&csv);

    char **keys;
    size_t n = list_all(s, &keys);
    drv_check(n == WRITERS * RECORDS, "1000 objects stored", "%zu", n);
    static unsigned char seen[WRITERS][RECORDS];
    memset(seen, 0, sizeof seen);
    size_t twice = 0, bad = 0, max_suffix = 0;
    dstr obj = {0};
    for (size_t i = 0; i < n; i++) {
        const char *dash = strrchr(keys[i], '-');
        if (dash && strstr(keys[i], "_fill-")) {
            size_t sfx = strtoul(dash + 1, NULL, 10);
            if (sfx > max_suffix) max_suffix = sfx;
        }
        cJSON *rec = store_get(s, keys[i], &obj, NULL) == STORE_OK ? cJSON_Parse(obj.ptr) : NULL;
        const cJSON *raw = cJSON_GetObjectItem(rec, "raw");
        const cJSON *w = cJSON_GetObjectItem(raw, "w"), *r = cJSON_GetObjectItem(raw, "r");
        if (!cJSON_IsNumber(w) || !cJSON_IsNumber(r) || w->valueint < 0 || w->valueint >= WRITERS ||
            r->valueint < 0 || r->valueint >= RECORDS)
            bad++;
        else if (seen[w->valueint][r->valueint]++) twice++;
        cJSON_Delete(rec);
        free(keys[i]);
    }
    free(keys);
    dstr_free(&obj);
    size_t missing = 0;
    for (int w = 0; w < WRITERS; w++)
        for (int r = 0; r < RECORDS; r++) missing += !seen[w][r];
    drv_check(bad == 0 && twice == 0 && missing == 0, "every writer's every trade exactly once",
              "%zu unreadable, %zu twice, %zu missing", bad, twice, missing);
    drv_check(max_suffix == WRITERS - 1, "shared keys got suffixes -1..-19, none overwritten",
              "highest suffix %zu", max_suffix);
}

int main(int argc, char **argv) {
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR");
    char dir[512], url[600], out[600];
    snprintf(dir, sizeof dir, "%s/journal-concurrency.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp: %s\njournal-concurrency: 0 passed, 1 failed\n", strerror(errno));
        return 1;
    }
    snprintf(url, sizeof url, "file://%s/journal", dir);
    snprintf(out, sizeof out, "%s/writers.log", dir);
    log_init("journal-concurrency");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t base = (int64_t)now.tv_sec * 1000 - 60000;

    fflush(stdout);
    int64_t t0 = drv_mono_ms();
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600); /* their log lines */
            if (fd >= 0) dup2(fd, STDOUT_FILENO);
            _exit(writer(url, w, base));
        }
    }
    int ok_exits = 0;
    int64_t end = drv_mono_ms() + WAIT_MS;
    for (int w = 0; w < WRITERS; w++) {
        int st = 0;
        while (pids[w] > 0 && waitpid(pids[w], &st, WNOHANG) == 0) {
            if (drv_mono_ms() > end) kill(pids[w], SIGKILL);
            usleep(2000);
        }
        ok_exits += pids[w] > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    int64_t took = drv_mono_ms() - t0;
    drv_check(ok_exits == WRITERS, "20 writers wrote 50 trades each without a failure",
              "%d of %d writers clean (see %s)", ok_exits, WRITERS, out);

    dstr err = {0};
    store *s = store_open(url, &err);
    if (s) verify(s);
    else drv_check(0, "open the store", "%s", dstr_cstr(&err));
    store_close(s);
    dstr_free(&err);
    printf("figure: %d records by %d processes in parallel in %lld ms (file backend, fsync, "
           "under %s)\n",
           WRITERS * RECORDS, WRITERS, (long long)took, dir);
    if (!drv_failures()) drv_remove_tree(dir);
    return drv_summary("journal-concurrency");
}
