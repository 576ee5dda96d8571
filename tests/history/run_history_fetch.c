/* run_history_fetch: `backtest fetch` (services/history_fetch.h) against
 * build/<v>/bin/fake_binance, which replays tests/data/binance shifted by a
 * whole number of days: a period's rows equal the bundled ones (shifted),
 * pages of 1500, a longer period resumes (only the new range is asked), a gap
 * cut from a copied CSV is found (offline: reported in the manifest) and
 * filled, a 503 or a hang leaves a clear error and whole rows only, the
 * forming candle is never written, funding is fetched and resumed.
 *
 *   run_history_fetch BUILD_DIR      (from the repository root) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "driver.h"
#include "fake_server.h"
#include "services/history.h"

#define DATA "tests/data/binance"
#define DAY_MS ((int64_t)86400000)
#define M5 ((int64_t)300000)

static char tool[512], tmp[128], base[64];
static int64_t shift; /* served time - bundled time */

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    dstr_append(ud, p, size * n);
    return size * n;
}

/* GET or POST (body not NULL) to the fake; the answer's body in out. */
static long fake_call(const char *path, const char *body, dstr *out) {
    dstr url = {0};
    dstr_printf(&url, "%s%s", base, path);
    dstr_clear(out);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url.ptr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    if (body) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    dstr_free(&url);
    return status;
}

/* The klines requests the fake recorded since the last reset: "interval start". */
static void klines_asked(dstr *out) {
    dstr body = {0};
    fake_call("/__fake/requests", NULL, &body);
    dstr_clear(out);
    cJSON *root = cJSON_Parse(dstr_cstr(&body));
    const cJSON *r;
    cJSON_ArrayForEach(r, root) { /* the records, in arrival order */
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));
        const cJSON *p = cJSON_GetObjectItem(r, "params");
        const char *iv = cJSON_GetStringValue(cJSON_GetObjectItem(p, "interval"));
        const char *start = cJSON_GetStringValue(cJSON_GetObjectItem(p, "startTime"));
        if (path && strcmp(path, "/fapi/v1/klines") == 0)
            dstr_printf(out, "%s %s;", iv ? iv : "?", start ? start : "?");
        else if (path && strcmp(path, "/fapi/v1/fundingRate") == 0)
            dstr_printf(out, "funding %s;", start ? start : "?");
        else if (path) dstr_printf(out, "%s;", path);
    }
    cJSON_Delete(root);
    dstr_free(&body);
}

/* Runs `backtest [fetch] ARGS...`; its exit status, stdout and stderr. */
static int run_tool(int fetch, dstr *out, dstr *err, const char *const *args) {
    char o[160], e[160];
    snprintf(o, sizeof o, "%s/out.txt", tmp);
    snprintf(e, sizeof e, "%s/err.txt", tmp);
    const char *argv[32] = {tool, "fetch"};
    size_t n = fetch ? 2 : 1;
    while (*args && n < 31) argv[n++] = *args++;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(tool, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    drv_read_file(o, out);
    drv_read_file(e, err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int run_fetch(dstr *out, dstr *err, const char *const *args) {
    return run_tool(1, out, err, args);
}

static void ms_text(int64_t v, char *buf, size_t n) { snprintf(buf, n, "%" PRId64, v); }

/* Every row of path equals the bundled row of the same (unshifted) time;
 * the number of rows, or -1 (why in the check's message). */
static long same_as_bundled(const char *path, const char *bundled, char *why, size_t n) {
    candles got, want;
    dstr err = {0};
    long rows = -1;
    if (hist_load_candles(path, &got, &err)) {
        snprintf(why, n, "%s", dstr_cstr(&err));
        dstr_free(&err);
        return -1;
    }
    if (hist_load_candles(bundled, &want, &err)) abort();
    size_t j = 0;
    for (size_t i = 0; i < got.n; i++) {
        const candle *g = &got.v[i];
        while (j < want.n && want.v[j].open_time < g->open_time - shift) j++;
        const candle *w = j < want.n ? &want.v[j] : NULL;
        if (!w || w->open_time != g->open_time - shift || w->close_time != g->close_time - shift ||
            w->open != g->open || w->high != g->high || w->low != g->low || w->close != g->close ||
            w->volume != g->volume) {
            snprintf(why, n, "row %zu (open %" PRId64 ") differs from the bundled one", i,
                     g->open_time);
            goto done;
        }
    }
    rows = (long)got.n;
done:
    candles_free(&got);
    candles_free(&want);
    dstr_free(&err);
    return rows;
}

static long count_rows(const char *path) {
    candles c;
    dstr err = {0};
    long n = hist_load_candles(path, &c, &err) ? -1 : (long)c.n;
    candles_free(&c);
    dstr_free(&err);
    return n;
}

/* The shift: the fake's first 1d row against the bundled first 1d row. */
static int find_shift(void) {
    dstr body = {0};
    fake_call("/fapi/v1/klines?symbol=BTCUSDT&interval=1d&startTime=0&limit=1", NULL, &body);
    cJSON *root = cJSON_Parse(dstr_cstr(&body));
    const cJSON *t = cJSON_GetArrayItem(cJSON_GetArrayItem(root, 0), 0);
    candles b;
    dstr err = {0};
    int rc = -1;
    if (cJSON_IsNumber(t) && hist_load_candles(DATA "/klines/BTCUSDT-1d.csv", &b, &err) == 0) {
        shift = (int64_t)t->valuedouble - b.v[0].open_time;
        rc = shift % DAY_MS == 0 ? 0 : -1;
    }
    candles_free(&b);
    cJSON_Delete(root);
    dstr_free(&body);
    dstr_free(&err);
    return rc;
}

static int no_tmp_files(const char *dir) {
    DIR *d = opendir(dir);
    const struct dirent *e;
    int clean = d != NULL;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) clean = 0;
    if (d) closedir(d);
    return clean;
}

/* The start of the bundled 5m history, shifted, at the next whole day. */
static int64_t five_min_day(void) {
    candles b;
    dstr err = {0};
    if (hist_load_candles(DATA "/klines/BTCUSDT-5m.csv", &b, &err)) abort();
    int64_t d = (b.v[0].open_time / DAY_MS + 1) * DAY_MS + shift;
    candles_free(&b);
    dstr_free(&err);
    return d;
}

static void test_period_and_resume(void) {
    dstr out = {0}, err = {0}, asked = {0};
    char dir[192], from[24], to[24], to2[24], path[256], why[256] = "";
    snprintf(dir, sizeof dir, "%s/a", tmp);
    int64_t d0 = five_min_day();
    ms_text(d0, from, sizeof from);
    ms_text(d0 + 6 * DAY_MS, to, sizeof to);
    ms_text(d0 + 8 * DAY_MS, to2, sizeof to2);
    fake_call("/__fake/reset", "", &out);
    int64_t t0 = drv_mono_ms();
    int rc = run_fetch(&out, &err,
                       (const char *[]){"--dir", dir, "--from", from, "--to", to, "--interval",
                                        "5m", "--interval", "1h", NULL});
    int64_t took = drv_mono_ms() - t0;
    drv_check(rc == 0, "period_fetch_exit", "exit %d: %s", rc, dstr_cstr(&err));
    snprintf(path, sizeof path, "%s/klines/BTCUSDT-5m.csv", dir);
    long rows = same_as_bundled(path, DATA "/klines/BTCUSDT-5m.csv", why, sizeof why);
    drv_check(rows == 6 * 288, "period_5m_rows_equal_bundled", "%ld rows (want 1728) %s", rows,
              why);
    snprintf(path, sizeof path, "%s/klines/BTCUSDT-1h.csv", dir);
    rows = same_as_bundled(path, DATA "/klines/BTCUSDT-1h.csv", why, sizeof why);
    drv_check(rows == 6 * 24, "period_1h_rows_equal_bundled", "%ld rows (want 144) %s", rows, why);
    klines_asked(&asked);
    dstr want = {0};
    dstr_printf(&want, "/fapi/v1/exchangeInfo;5m %s;5m %" PRId64 ";1h %s;funding %s;", from,
                d0 + 1500 * M5, from, from);
    drv_check(strcmp(dstr_cstr(&asked), want.ptr) == 0, "period_pages_of_1500", "asked %s want %s",
              dstr_cstr(&asked), want.ptr);
    printf("# first fetch: 1728 + 144 rows, 5 requests, %" PRId64 " ms\n", took);

    fake_call("/__fake/reset", "", &out);
    rc = run_fetch(&out, &err,
                   (const char *[]){"--dir", dir, "--from", from, "--to", to2, "--interval", "5m",
                                    "--interval", "1h", NULL});
    drv_check(rc == 0, "resume_exit", "exit %d: %s", rc, dstr_cstr(&err));
    klines_asked(&asked);
    dstr_clear(&want);
    dstr_printf(&want, "5m %s;1h %s;funding %s;", to, to, from);
    drv_check(strcmp(dstr_cstr(&asked), want.ptr) == 0, "resume_asks_only_the_new_range",
              "asked %s want %s", dstr_cstr(&asked), want.ptr);
    snprintf(path, sizeof path, "%s/klines/BTCUSDT-5m.csv", dir);
    rows = same_as_bundled(path, DATA "/klines/BTCUSDT-5m.csv", why, sizeof why);
    drv_check(rows == 8 * 288, "resume_no_duplicates", "%ld rows (want 2304) %s", rows, why);
    drv_check(strstr(dstr_cstr(&out), "624 candles") && strstr(dstr_cstr(&out), "3 requests"),
              "resume_reports_what_it_added", "%s", dstr_cstr(&out));
    dstr_free(&want);
    dstr_free(&asked);
    dstr_free(&out);
    dstr_free(&err);
}

/* The bundled 5m file shifted to the fake's time, rows [cut, cut + n) left out. */
static void write_shifted_copy(const char *path, size_t cut, size_t n, size_t *rows) {
    candles b;
    dstr err = {0}, text = {0};
    if (hist_load_candles(DATA "/klines/BTCUSDT-5m.csv", &b, &err)) abort();
    dstr_puts(&text, "open_time,open,high,low,close,volume,close_time\n");
    for (size_t i = 0; i < 600 && i < b.n; i++) {
        if (i >= cut && i < cut + n) continue;
        const candle *c = &b.v[i];
        dstr_printf(&text, "%" PRId64 ",%.10g,%.10g,%.10g,%.10g,%.10g,%" PRId64 "\n",
                    c->open_time + shift, c->open, c->high, c->low, c->close, c->volume,
                    c->close_time + shift);
    }
    *rows = 600;
    FILE *f = fopen(path, "w");
    if (!f) abort();
    fwrite(text.ptr, 1, text.len, f);
    fclose(f);
    candles_free(&b);
    dstr_free(&text);
    dstr_free(&err);
}

static cJSON *manifest_file(const char *dir, const char *rel, cJSON **root) {
    char path[256];
    dstr text = {0};
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    drv_read_file(path, &text);
    *root = cJSON_Parse(dstr_cstr(&text));
    dstr_free(&text);
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(*root, "files")) {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(f, "path"));
        if (p && strcmp(p, rel) == 0) return (cJSON *)f;
    }
    return NULL;
}

static void test_gap(void) {
    dstr out = {0}, err = {0}, asked = {0};
    char dir[192], kdir[200], path[256], from[24], to[24], gap_from[24], why[256] = "";
    snprintf(dir, sizeof dir, "%s/gap", tmp);
    snprintf(kdir, sizeof kdir, "%s/klines", dir);
    mkdir(dir, 0755);
    mkdir(kdir, 0755);
    snprintf(path, sizeof path, "%s/BTCUSDT-5m.csv", kdir);
    size_t rows;
    write_shifted_copy(path, 100, 10, &rows);
    candles c;
    dstr e = {0};
    if (hist_load_candles(path, &c, &e)) abort();
    int64_t first = c.v[0].open_time, last = c.v[c.n - 1].open_time;
    ms_text(c.v[99].open_time + M5, gap_from, sizeof gap_from);
    candles_free(&c);
    dstr_free(&e);
    ms_text(first, from, sizeof from);
    ms_text(last + M5, to, sizeof to);

    const char *args[] = {"--dir", dir, "--from", from, "--to", to, "--interval", "5m", NULL};
    fake_call("/__fake/reset", "", &out);
    const char *offline[] = {"--dir", dir,          "--from", from,        "--to",
                             to,      "--interval", "5m",     "--offline", NULL};
    int rc = run_fetch(&out, &err, offline);
    klines_asked(&asked);
    cJSON *root;
    const cJSON *f = manifest_file(dir, "klines/BTCUSDT-5m.csv", &root);
    const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(f, "gaps"), 0);
    drv_check(rc == 0 && asked.len == 0 && g &&
                  cJSON_GetNumberValue(cJSON_GetObjectItem(g, "missing")) == 10 &&
                  cJSON_GetNumberValue(cJSON_GetObjectItem(g, "from_ms")) == atof(gap_from),
              "gap_offline_reported_in_manifest", "exit %d, asked %s, manifest entry %s", rc,
              dstr_cstr(&asked), g ? "wrong" : "missing");
    cJSON_Delete(root);

    rc = run_fetch(&out, &err, args);
    klines_asked(&asked);
    dstr want = {0};
    dstr_printf(&want, "/fapi/v1/exchangeInfo;5m %s;funding %s;", gap_from, from);
    drv_check(rc == 0 && strcmp(dstr_cstr(&asked), want.ptr) == 0, "gap_only_the_gap_asked",
              "exit %d, asked %s want %s", rc, dstr_cstr(&asked), want.ptr);
    long n = same_as_bundled(path, DATA "/klines/BTCUSDT-5m.csv", why, sizeof why);
    drv_check(n == (long)rows && strstr(dstr_cstr(&out), "1 found in the candle files, 1 filled"),
              "gap_filled", "%ld rows (want %zu) %s; %s", n, rows, why, dstr_cstr(&out));
    f = manifest_file(dir, "klines/BTCUSDT-5m.csv", &root);
    drv_check(cJSON_GetNumberValue(cJSON_GetObjectItem(f, "gap_count")) == 0 &&
                  cJSON_GetNumberValue(cJSON_GetObjectItem(f, "rows")) == (double)rows &&
                  strlen(cJSON_GetStringValue(cJSON_GetObjectItem(f, "sha256"))) == 64,
              "gap_manifest_after_fill", "gap_count/rows/sha256 wrong");
    cJSON_Delete(root);
    dstr_free(&want);
    dstr_free(&asked);
    dstr_free(&out);
    dstr_free(&err);
}

static void test_faults(void) {
    dstr out = {0}, err = {0}, text = {0};
    char dir[192], path[256], from[24], to[24];
    snprintf(dir, sizeof dir, "%s/fault", tmp);
    snprintf(path, sizeof path, "%s/klines/BTCUSDT-5m.csv", dir);
    int64_t d0 = five_min_day();
    ms_text(d0, from, sizeof from);
    ms_text(d0 + 6 * DAY_MS, to, sizeof to);
    const char *args[] = {"--dir", dir, "--from", from, "--to", to, "--interval", "5m", NULL};
    fake_call("/__fake/reset", "", &out);
    /* the second page fails on both attempts (BINANCE_HTTP_RETRIES=1) */
    fake_call("/__fake/script",
              "[{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"replay\":true}},"
              "{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"status\":503,"
              "\"body\":\"Service Unavailable.\",\"headers\":{\"Content-Type\":\"text/plain\"}}},"
              "{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"status\":503,"
              "\"body\":\"Service Unavailable.\",\"headers\":{\"Content-Type\":\"text/plain\"}}}]",
              &out);
    int rc = run_fetch(&out, &err, args);
    drv_read_file(path, &text);
    drv_check(rc == 1 && strstr(dstr_cstr(&err), "klines BTCUSDT 5m from") &&
                  strstr(dstr_cstr(&err), "HTTP 503"),
              "fault_503_clear_error", "exit %d, stderr %s", rc, dstr_cstr(&err));
    drv_check(count_rows(path) == 1500 && text.len && text.ptr[text.len - 1] == '\n' &&
                  no_tmp_files(dir),
              "fault_503_first_page_kept_whole", "%ld rows, ends with newline %d", count_rows(path),
              text.len && text.ptr[text.len - 1] == '\n');

    cJSON *root;
    const cJSON *f = manifest_file(dir, "klines/BTCUSDT-5m.csv", &root);
    const char *said =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "last_fetch"), "error"));
    drv_check(cJSON_GetNumberValue(cJSON_GetObjectItem(f, "rows")) == 1500 && said &&
                  strstr(said, "HTTP 503"),
              "fault_503_in_manifest", "manifest rows or last_fetch.error wrong (%s)",
              said ? said : "no error");
    cJSON_Delete(root);

    /* a hang longer than the attempt's timeout, on both attempts */
    fake_call("/__fake/script",
              "[{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"close\":true,"
              "\"delay_ms\":4000}},{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{"
              "\"close\":true,\"delay_ms\":4000}}]",
              &out);
    int64_t t0 = drv_mono_ms();
    rc = run_fetch(&out, &err, args);
    int64_t took = drv_mono_ms() - t0;
    drv_check(rc == 1 && strstr(dstr_cstr(&err), "did not answer in time") && took < 3000 &&
                  count_rows(path) == 1500 && no_tmp_files(dir),
              "fault_timeout_bounded", "exit %d in %" PRId64 " ms, %ld rows, stderr %s", rc, took,
              count_rows(path), dstr_cstr(&err));

    fake_call("/__fake/reset", "", &out);
    rc = run_fetch(&out, &err, args);
    char why[256] = "";
    long n = same_as_bundled(path, DATA "/klines/BTCUSDT-5m.csv", why, sizeof why);
    drv_check(rc == 0 && n == 1728, "fault_then_resumed", "exit %d, %ld rows %s", rc, n, why);
    dstr_free(&text);
    dstr_free(&out);
    dstr_free(&err);
}

/* The client's handling of Binance's limits, as everywhere: a 429 is retried
 * after its Retry-After, a 418 (banned) is not retried at all. */
static void test_rate_limits(void) {
    dstr out = {0}, err = {0}, asked = {0};
    char dir[192], from[24], to[24];
    snprintf(dir, sizeof dir, "%s/limits", tmp);
    int64_t d0 = five_min_day();
    ms_text(d0, from, sizeof from);
    ms_text(d0 + DAY_MS, to, sizeof to);
    const char *args[] = {"--dir", dir, "--from", from, "--to", to, "--interval", "1h", NULL};
    fake_call("/__fake/reset", "", &out);
    fake_call("/__fake/script",
              "[{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"status\":429,"
              "\"headers\":{\"Retry-After\":\"0\"},\"json\":{\"code\":-1003,\"msg\":\"Too many "
              "requests.\"}}}]",
              &out);
    int rc = run_fetch(&out, &err, args);
    klines_asked(&asked);
    char want[96];
    snprintf(want, sizeof want, "1h %s;1h %s;", from, from);
    drv_check(rc == 0 && strstr(dstr_cstr(&asked), want), "rate_limit_429_retried",
              "exit %d, asked %s", rc, dstr_cstr(&asked));
    char path[256];
    snprintf(path, sizeof path, "%s/klines/BTCUSDT-1h.csv", dir);
    drv_check(count_rows(path) == 24, "rate_limit_429_then_rows", "%ld rows", count_rows(path));

    snprintf(dir, sizeof dir, "%s/banned", tmp);
    fake_call("/__fake/reset", "", &out);
    fake_call("/__fake/script",
              "[{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"status\":418,"
              "\"headers\":{\"Retry-After\":\"60\"},\"json\":{\"code\":-1003,\"msg\":\"Way too "
              "many requests; IP banned.\"}}}]",
              &out);
    rc = run_fetch(&out, &err, args);
    klines_asked(&asked);
    snprintf(want, sizeof want, "/fapi/v1/exchangeInfo;1h %s;", from);
    drv_check(rc == 1 && strcmp(dstr_cstr(&asked), want) == 0 && strstr(dstr_cstr(&err), "418"),
              "rate_limit_418_stops_at_once", "exit %d, asked %s, stderr %s", rc, dstr_cstr(&asked),
              dstr_cstr(&err));
    dstr_free(&asked);
    dstr_free(&out);
    dstr_free(&err);
}

static void test_closed_only(void) {
    dstr out = {0}, err = {0};
    char dir[192], path[256], from[24], to[24];
    snprintf(dir, sizeof dir, "%s/now", tmp);
    snprintf(path, sizeof path, "%s/klines/BTCUSDT-5m.csv", dir);
    int64_t before = wall_ms();
    ms_text(before - 3600000, from, sizeof from);
    ms_text(before + DAY_MS, to, sizeof to);
    fake_call("/__fake/reset", "", &out);
    int rc = run_fetch(
        &out, &err,
        (const char *[]){"--dir", dir, "--from", from, "--to", to, "--interval", "5m", NULL});
    int64_t after = wall_ms();
    candles c;
    dstr e = {0};
    int ok = rc == 0 && hist_load_candles(path, &c, &e) == 0;
    int64_t last_open = ok ? c.v[c.n - 1].open_time : 0,
            last_close = ok ? c.v[c.n - 1].close_time : 0;
    if (ok) candles_free(&c);
    /* the newest closed candle, not the forming one the fake also served */
    drv_check(ok && last_close < after && last_open >= (before / M5 - 1) * M5,
              "closed_candles_only",
              "exit %d, last open %" PRId64 " close %" PRId64 " (run %" PRId64 "..%" PRId64 ") %s",
              rc, last_open, last_close, before, after, dstr_cstr(&err));
    dstr_free(&e);
    dstr_free(&out);
    dstr_free(&err);
}

/* Funding rows of a file, or -1. */
static long funding_rows(const char *path, hist_funding **v) {
    size_t n;
    dstr e = {0};
    long rows = hist_load_funding(path, v, &n, NULL, &e) ? -1 : (long)n;
    dstr_free(&e);
    return rows;
}

static void test_funding(void) {
    dstr out = {0}, err = {0}, asked = {0};
    char dir[192], path[256], from[24], mid[24], to[24];
    snprintf(dir, sizeof dir, "%s/funding", tmp);
    snprintf(path, sizeof path, "%s/funding/BTCUSDT-funding.csv", dir);
    hist_funding *b, *g = NULL;
    long nb = funding_rows(DATA "/funding/BTCUSDT-funding.csv", &b);
    int64_t f0 = (b[0].time_ms + shift) / DAY_MS * DAY_MS;
    ms_text(f0, from, sizeof from);
    ms_text(b[nb / 2].time_ms + shift + 1, mid, sizeof mid);
    ms_text(b[nb - 1].time_ms + shift + DAY_MS, to, sizeof to);
    fake_call("/__fake/reset", "", &out);
    int rc = run_fetch(
        &out, &err,
        (const char *[]){"--dir", dir, "--from", from, "--to", mid, "--interval", "1d", NULL});
    long n1 = funding_rows(path, &g);
    free(g);
    fake_call("/__fake/reset", "", &out);
    int rc2 = run_fetch(
        &out, &err,
        (const char *[]){"--dir", dir, "--from", from, "--to", to, "--interval", "1d", NULL});
    klines_asked(&asked);
    long n = funding_rows(path, &g);
    int same = n == nb;
    for (long i = 0; same && i < n; i++)
        same = g[i].time_ms == b[i].time_ms + shift && g[i].rate == b[i].rate;
    char want[64];
    snprintf(want, sizeof want, "funding %" PRId64 ";", b[nb / 2].time_ms + shift + 1);
    drv_check(rc == 0 && rc2 == 0 && n1 == nb / 2 + 1 && same && strstr(dstr_cstr(&asked), want),
              "funding_fetched_and_resumed",
              "exit %d/%d, first run %ld rows (want %ld), then %ld (want %ld, same %d), asked %s",
              rc, rc2, n1, nb / 2 + 1, n, nb, same, dstr_cstr(&asked));
    free(g);
    free(b);
    dstr_free(&asked);
    dstr_free(&out);
    dstr_free(&err);
}

/* A fetched folder is what backtest reads: all four intervals of two
 * days, then a backtest over its last day, hourly. */
static void test_backtest_reads_it(void) {
    dstr out = {0}, err = {0};
    char dir[192], runs[192], from[24], to[24], bt_from[24];
    snprintf(dir, sizeof dir, "%s/bt", tmp);
    snprintf(runs, sizeof runs, "%s/runs", tmp);
    int64_t d0 = five_min_day();
    ms_text(d0, from, sizeof from);
    ms_text(d0 + 2 * DAY_MS, to, sizeof to);
    ms_text(d0 + DAY_MS, bt_from, sizeof bt_from);
    fake_call("/__fake/reset", "", &out);
    int rc =
        run_fetch(&out, &err, (const char *[]){"--dir", dir, "--from", from, "--to", to, NULL});
    drv_check(rc == 0 && strstr(dstr_cstr(&out), "638 candles"), "backtest_data_fetched",
              "exit %d: %s%s", rc, dstr_cstr(&out), dstr_cstr(&err));
    const char *argv[] = {"--dir", dir,      "--symbol", "BTCUSDT", "--from", bt_from, "--to",
                          to,      "--step", "1h",       "--runs",  runs,     NULL};
    rc = run_tool(0, &out, &err, argv);
    /* every hourly step of the day, both ends included, ran on the fetched data */
    const char *ok = strstr(dstr_cstr(&out), "runs        ok ");
    drv_check(rc == 0 && ok && strncmp(ok, "runs        ok 25,", 18) == 0,
              "backtest_reads_fetched_folder", "exit %d: %.60s %s", rc, ok ? ok : "no runs line",
              dstr_cstr(&err));
    dstr_free(&out);
    dstr_free(&err);
}

int main(int argc, char **argv) {
    const char *build = argc > 1 ? argv[1] : "build/asan";
    snprintf(tool, sizeof tool, "%s/bin/backtest", build);
    char fake_bin[512];
    snprintf(fake_bin, sizeof fake_bin, "%s/bin/fake_binance", build);
    snprintf(tmp, sizeof tmp, "/tmp/history-fetch.XXXXXX");
    if (!mkdtemp(tmp)) return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fake_server fake;
    const char *fargv[] = {fake_bin, "--data", DATA, NULL};
    if (fake_server_start(&fake, fargv)) return 1;
    snprintf(base, sizeof base, "%s", fake.base_url);
    setenv("BINANCE_FAPI_BASE", base, 1);
    setenv("BINANCE_HTTP_TIMEOUT_MS", "400", 1);
    setenv("BINANCE_HTTP_RETRIES", "1", 1);
    setenv("BINANCE_HTTP_BACKOFF_MS", "20", 1);
    drv_check(find_shift() == 0, "fake_shift_whole_days", "shift %" PRId64, shift);
    test_period_and_resume();
    test_gap();
    test_faults();
    test_rate_limits();
    test_closed_only();
    test_funding();
    test_backtest_reads_it();
    drv_check(fake_server_stop(&fake) == 0, "fake_exits_cleanly", "fake_binance exit");
    drv_remove_tree(tmp);
    curl_global_cleanup();
    return drv_summary("run_history_fetch");
}
