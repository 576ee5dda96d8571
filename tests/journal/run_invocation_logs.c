/* invocation logs end to end: real bootstraps run through build/<v>/bin/invoke
 * (the gateway's function host) keep each invocation's log lines as one
 * object under logs/; the journal function serves them back and does not
 * journal itself; an invocation whose log cannot be written keeps its HTTP
 * answer, gains "x-journal-unwritten: 1" and prints the record as
 * journal.unwritten. No upstream is needed (a refused request and journal reads only).
 *
 *   run_invocation_logs [BUILD_DIR]     (default build/asan; run from the repo root)
 *
 * Prints "ok NAME" / "FAIL NAME: why" and "invocation-logs: N passed, N failed". */
#define _XOPEN_SOURCE 700 /* nftw */
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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
#include "platform/dstr.h"
#include "store/store.h"

#define RUN_TIMEOUT_MS 30000

static char tmp_dir[256];
static const char *build;

/* One HTTP request through invoke; the function's answer and its stderr
 * (the function's own log lines) land in out and err. Returns invoke's exit. */
static int invoke(const char *journal_url, const char *method, const char *uri,
                  const char *function, dstr *out, dstr *err) {
    char bin[PATH_MAX], out_path[PATH_MAX], err_path[PATH_MAX];
    snprintf(bin, sizeof bin, "%s/bin/invoke", build);
    snprintf(out_path, sizeof out_path, "%s/out.txt", tmp_dir);
    snprintf(err_path, sizeof err_path, "%s/err.txt", tmp_dir);
    setenv("JOURNAL_URL", journal_url, 1);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || o < 0 || e < 0) _exit(127);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        execl(bin, bin, "--functions-dir", build, "--http", method, uri, function, (char *)NULL);
        _exit(127);
    }
    int64_t end = drv_mono_ms() + RUN_TIMEOUT_MS;
    int st = 0;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (drv_mono_ms() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        usleep(10000);
    }
    drv_read_file(out_path, out);
    drv_read_file(err_path, err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct answer {
    int status;
    const char *content_type, *unwritten, *body; /* NULL when absent */
    cJSON *root;
} answer;

static answer parse_answer(const dstr *out) {
    answer a = {.root = cJSON_ParseWithLength(dstr_cstr(out), out->len)};
    const cJSON *sc = cJSON_GetObjectItem(a.root, "statusCode");
    const cJSON *h = cJSON_GetObjectItem(a.root, "headers");
    a.status = cJSON_IsNumber(sc) ? sc->valueint : 0;
    a.content_type = cJSON_GetStringValue(cJSON_GetObjectItem(h, "content-type"));
    a.unwritten = cJSON_GetStringValue(cJSON_GetObjectItem(h, "x-journal-unwritten"));
    a.body = cJSON_GetStringValue(cJSON_GetObjectItem(a.root, "body"));
    return a;
}

/* The keys under logs/ of the journal at url; out replaced with the first. */
static size_t log_keys(const char *url, dstr *first) {
    dstr err = {0};
    store *s = store_open(url, &err);
    dstr_free(&err);
    store_page page = {0};
    size_t n = 0;
    dstr_clear(first);
    if (s && store_list(s, "logs/", NULL, STORE_LIST_MAX, &page, NULL) == STORE_OK) {
        n = page.n;
        if (n) dstr_puts(first, page.keys[0]);
    }
    store_page_free(&page);
    store_close(s);
    return n;
}

/* The request id invoke reports for the invocation ("lambda_request_id"). */
static void request_id(const dstr *err, dstr *id) {
    dstr_clear(id);
    const char *p = strstr(dstr_cstr(err), "\"lambda_request_id\":\"");
    if (!p) return;
    p += strlen("\"lambda_request_id\":\"");
    const char *q = strchr(p, '"');
    if (q) dstr_append(id, p, (size_t)(q - p));
}

/* Journaled, and answered without any upstream: the symbol is refused. */
#define PROBE "/api/candles?symbol=btc"

static void good_journal(const char *url) {
    dstr out = {0}, err = {0}, key = {0}, id = {0}, obj = {0};
    /* a health probe keeps no record; a refused request (no upstream needed) does */
    int rc = invoke(url, "GET", "/health", "candles", &out, &err);
    answer a = parse_answer(&out);
    drv_check(rc == 0 && a.status == 200 && !a.unwritten && log_keys(url, &key) == 0,
              "GET /health answers 200 and keeps no log object", "exit %d, status %d, %zu objects",
              rc, a.status, log_keys(url, &key));
    cJSON_Delete(a.root);
    rc = invoke(url, "GET", PROBE, "candles", &out, &err);
    a = parse_answer(&out);
    drv_check(rc == 0 && a.status == 400 && !a.unwritten,
              "GET " PROBE " answers 400 without x-journal-unwritten",
              "exit %d, status %d, x-journal-unwritten %s", rc, a.status,
              a.unwritten ? a.unwritten : "-");
    cJSON_Delete(a.root);

    size_t n = log_keys(url, &key);
    request_id(&err, &id);
    drv_check(n == 1 && id.len && strstr(dstr_cstr(&key), id.ptr) && strstr(key.ptr, "_candles_"),
              "one object logs/YYYYMMDD/{ts}_candles_{request id}.jsonl",
              "%zu objects, first %s, id %s", n, dstr_cstr(&key), dstr_cstr(&id));
    if (n) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/good/%s", tmp_dir, key.ptr);
        drv_read_file(path, &obj);
    }
    dstr want = {0};
    dstr_printf(&want, "\"function_request_id\":\"%s\"", dstr_cstr(&id));
    drv_check(strstr(dstr_cstr(&obj), "\"event\":\"http.request\"") &&
                  strstr(obj.ptr, "\"path\":\"/api/candles\"") && strstr(obj.ptr, want.ptr),
              "the object holds the invocation's lines", "%.300s", dstr_cstr(&obj));

    rc = invoke(url, "GET", "/api/logs?lines=5", "journal", &out, &err);
    a = parse_answer(&out);
    drv_check(rc == 0 && a.status == 200 && a.content_type &&
                  !strcmp(a.content_type, "application/x-ndjson") && a.body &&
                  strstr(a.body, "\"path\":\"/api/candles\"") && strstr(a.body, want.ptr),
              "GET /api/logs answers the lines as JSON lines",
              "exit %d, status %d, type %s, body %.300s", rc, a.status,
              a.content_type ? a.content_type : "-", a.body ? a.body : "-");
    cJSON_Delete(a.root);
    drv_check(log_keys(url, &key) == 1, "the journal function does not journal its own invocations",
              "%zu objects", log_keys(url, &key));

    rc = invoke(url, "GET", "/api/trades", "journal", &out, &err);
    a = parse_answer(&out);
    drv_check(rc == 0 && a.status == 200 && a.content_type &&
                  !strcmp(a.content_type, "text/csv; charset=utf-8") && a.body &&
                  !strcmp(a.body, "time,symbol,side,type,qty,price,status,order_id,client_order_id,"
                                  "realized_pnl,fee,fee_asset,net_pnl\r\n"),
              "GET /api/trades answers the CSV header (no trades yet)",
              "status %d, type %s, body %s", a.status, a.content_type ? a.content_type : "-",
              a.body ? a.body : "-");
    cJSON_Delete(a.root);
    dstr_free(&want);
    dstr_free(&out);
    dstr_free(&err);
    dstr_free(&key);
    dstr_free(&id);
    dstr_free(&obj);
}

/* An object "logs" where the prefix must be: every log write fails. */
static void blocked_journal(const char *url) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/blocked", tmp_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/blocked/logs", tmp_dir);
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
    dstr out = {0}, err = {0};
    int rc = invoke(url, "GET", PROBE, "candles", &out, &err);
    answer a = parse_answer(&out);
    drv_check(rc == 0 && a.status == 400 && a.body && strstr(a.body, "\"invalid_symbol\"") &&
                  a.unwritten && !strcmp(a.unwritten, "1"),
              "unwritable log: the answer stays as it was and carries x-journal-unwritten: 1",
              "exit %d, status %d, header %s", rc, a.status, a.unwritten ? a.unwritten : "-");
    cJSON_Delete(a.root);
    drv_check(strstr(dstr_cstr(&err), "\"event\":\"journal.unwritten\"") &&
                  strstr(err.ptr, "\"kind\":\"log\"") && strstr(err.ptr, "\"record\":[{"),
              "the record is printed whole as journal.unwritten", "%.400s", dstr_cstr(&err));
    dstr_free(&out);
    dstr_free(&err);
}

int main(int argc, char **argv) {
    build = argc > 1 ? argv[1] : "build/asan";
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/invocation-logs.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        printf("FAIL mkdtemp: %s\ninvocation-logs: 0 passed, 1 failed\n", strerror(errno));
        return 1;
    }
    setenv("TZ", "UTC", 1);
    unsetenv("LOG_LEVEL");
    char url[PATH_MAX + 16];
    snprintf(url, sizeof url, "file://%s/good", tmp_dir);
    good_journal(url);
    snprintf(url, sizeof url, "file://%s/blocked", tmp_dir);
    blocked_journal(url);
    if (!drv_failures()) drv_remove_tree(tmp_dir);
    return drv_summary("invocation-logs");
}
