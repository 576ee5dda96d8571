/* journal concurrency: 20 writer processes x 50 trades each through the
 * journal API on one file store, at the same instants: half the trades are
 * each writer's own fills (their own exchange ids), the other half are the
 * SAME 25 fills journaled by all 20 writers at once (as a retried run and
 * reconcile would). Afterwards exactly 525 records must be readable: each
 * writer's own fills exactly once, each shared fill exactly once (one
 * winner, the 19 others told "already journaled"), none overwritten.
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
#define SHARED (RECORDS / 2) /* odd r: the same fill for every writer */
#define STORED (WRITERS * (RECORDS - SHARED) + SHARED)

/* One writer: its own store handle, 50 trades; exits with the failures
 * (a put that is neither written nor already journaled). */
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
                           /* odd r: the same exchange ids for all writers, one key */
                           .order_id = r % 2 ? 100000 + r : 1 + w * RECORDS + r,
                           .trade_id = r % 2 ? 500000 + r : 0,
                           .client_order_id = coid,
                           .kind = "entry",
                           .raw_json = raw};
        journal_status st = journal_trade_put(s, &t, NULL, NULL);
        failures += st != JOURNAL_OK && st != JOURNAL_EXISTS;
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
    drv_check(rc == 0 && rows == 1 + STORED, "the CSV has 525 rows and the header",
              "rc %d, %zu lines", rc, rows);
    dstr_free(&csv);

    char **keys;
    size_t n = list_all(s, &keys);
    drv_check(n == STORED, "525 objects stored", "%zu", n);
    static unsigned char seen[WRITERS][RECORDS];
    static unsigned char shared[RECORDS];
    memset(seen, 0, sizeof seen);
    memset(shared, 0, sizeof shared);
    size_t twice = 0, bad = 0, suffixed = 0;
    dstr obj = {0};
    for (size_t i = 0; i < n; i++) {
        suffixed += strrchr(keys[i], '-') != NULL; /* no id here has a '-': a suffix would */
        cJSON *rec = store_get(s, keys[i], &obj, NULL) == STORE_OK ? cJSON_Parse(obj.ptr) : NULL;
        const cJSON *raw = cJSON_GetObjectItem(rec, "raw");
        const cJSON *w = cJSON_GetObjectItem(raw, "w"), *r = cJSON_GetObjectItem(raw, "r");
        if (!cJSON_IsNumber(w) || !cJSON_IsNumber(r) || w->valueint < 0 || w->valueint >= WRITERS ||
            r->valueint < 0 || r->valueint >= RECORDS)
            bad++;
        else if (r->valueint % 2 ? shared[r->valueint]++ : seen[w->valueint][r->valueint]++)
            twice++;
        cJSON_Delete(rec);
        free(keys[i]);
    }
    free(keys);
    dstr_free(&obj);
    size_t missing = 0;
    for (int r = 0; r < RECORDS; r++) {
        missing += r % 2 && !shared[r];
        for (int w = 0; w < WRITERS && r % 2 == 0; w++) missing += !seen[w][r];
    }
    drv_check(bad == 0 && twice == 0 && missing == 0,
              "every own fill and every shared fill exactly once",
              "%zu unreadable, %zu twice, %zu missing", bad, twice, missing);
    drv_check(suffixed == 0, "no key got a collision suffix", "%zu suffixed keys", suffixed);
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
    printf(
        "figure: %d create-only puts by %d processes in parallel in %lld ms (file backend, fsync, "
        "under %s)\n",
        WRITERS * RECORDS, WRITERS, (long long)took, dir);
    if (!drv_failures()) drv_remove_tree(dir);
    return drv_summary("journal-concurrency");
}
