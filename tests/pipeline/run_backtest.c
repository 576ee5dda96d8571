/* run_backtest: build/<v>/bin/backtest end to end (issue 12 items 1-4, 6).
 *  - with no argument it runs the bundled history for SYMBOLS and writes
 *    runs/<run id>/ with the record, config.json and manifest.json, the run
 *    id last; sentinel secrets in the environment appear in none of its
 *    files (journal and log included);
 *  - manifest.json lists every data file read with its SHA-256 (checked
 *    against the bytes), the coverage per symbol and timeframe, the gaps of
 *    a copied folder with candles cut out, and the funding coverage;
 *    --funding-rate none is said and recorded;
 *  - the probe: backtest --probe writes a ready record into JOURNAL_URL,
 *    and the trader's init (the real bootstrap through bin/invoke) with
 *    LIVE_REQUIRES_PROBE=true and EXECUTE_TRADES=true then starts; it is
 *    refused, naming what is missing, for an empty journal, another
 *    strategy (RISK_USDT changed), a stale probe and a probe not ready.
 *
 *   run_backtest [BUILD_DIR]     (default build/asan; from the repo root) */
#define _GNU_SOURCE /* nftw, memmem */
#include <cJSON.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/sigv4.h"
#include "driver.h"
#include "platform/dstr.h"

static char build[256], tmp[256];

/* Sentinels: secrets that must never reach a file of the run. */
#define SENTINEL "SENTINEL7q2"
#define SECRETS                                                                    \
    "BINANCE_API_KEY=key" SENTINEL " BINANCE_API_SECRET=sec" SENTINEL              \
    " TRADER_TOKEN=token" SENTINEL "0123456789 TELEGRAM_BOT_TOKEN=123:tg" SENTINEL \
    " TELEGRAM_CHAT_ID=42 TELEGRAM_BASE_URL=http://127.0.0.1:9"                    \
    " GOOGLE_API_KEY=g" SENTINEL " PREDICTOR=builtin"                              \
    " AWS_ACCESS_KEY_ID=AKID" SENTINEL " AWS_SECRET_ACCESS_KEY=aws" SENTINEL       \
    " TELEGRAM_WEBHOOK_SECRET=wh" SENTINEL "0123456789"

/* Runs "env ENV CMD" (stdout and stderr together); its exit status. */
static int run(const char *env, const char *cmd, dstr *out) {
    dstr line = {0};
    dstr_printf(&line, "env %s %s", env, cmd);
    int rc = drv_run(line.ptr, out);
    dstr_free(&line);
    return rc;
}

/* The last non-empty line of out (the run id). */
static void last_line(const dstr *out, char *buf, size_t cap) {
    const char *s = dstr_cstr(out);
    size_t n = strlen(s);
    while (n && s[n - 1] == '\n') n--;
    size_t b = n;
    while (b && s[b - 1] != '\n') b--;
    snprintf(buf, cap, "%.*s", (int)(n - b), s + b);
}

static cJSON *read_json(const char *dir, const char *name) {
    dstr path = {0}, text = {0};
    dstr_printf(&path, "%s/%s", dir, name);
    drv_read_file(path.ptr, &text);
    cJSON *o = cJSON_ParseWithLength(dstr_cstr(&text), text.len);
    dstr_free(&path);
    dstr_free(&text);
    return o;
}

static const cJSON *at(const cJSON *o, const char *path) { /* "a.b.c" */
    char key[128];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

static double num(const cJSON *o, const char *path) {
    const cJSON *v = at(o, path);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *str(const cJSON *o, const char *path) {
    const cJSON *v = at(o, path);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Files under the run folder holding the sentinel (nftw's callback). */
static int leaks, scanned;
static int scan(const char *path, const struct stat *sb, int flag, struct FTW *f) {
    (void)f;
    if (flag != FTW_F || !S_ISREG(sb->st_mode)) return 0;
    dstr text = {0};
    drv_read_file(path, &text);
    scanned++;
    if (text.ptr && memmem(text.ptr, text.len, SENTINEL, strlen(SENTINEL))) {
        leaks++;
        fprintf(stderr, "  the sentinel is in %s\n", path);
    }
    dstr_free(&text);
    return 0;
}

static void sha256_file(const char *path, char hex[SIGV4_HEX_LEN + 1]) {
    dstr text = {0};
    drv_read_file(path, &text);
    sigv4_sha256_hex(text.ptr ? text.ptr : "", text.len, hex);
    dstr_free(&text);
}

/* The manifest's entry for a path ("klines/BTCUSDT-5m.csv"), or NULL. */
static const cJSON *file_entry(const cJSON *manifest, const char *path) {
    const cJSON *e;
    cJSON_ArrayForEach(e, at(manifest, "files")) if (strcmp(str(e, "path"), path) == 0) return e;
    return NULL;
}

/* The trader's init with the gate on, against journal; the invoke output. */
static int trader(const char *journal, const char *more_env, dstr *out) {
    dstr env = {0}, cmd = {0};
    dstr_printf(&env,
                "JOURNAL_URL=file://%s LIVE_REQUIRES_PROBE=true EXECUTE_TRADES=true %s "
                "BINANCE_FAPI_BASE=http://127.0.0.1:9 BINANCE_HTTP_RETRIES=0 %s",
                journal, SECRETS, more_env);
    dstr_printf(&cmd, "%s/bin/invoke --functions-dir %s trader %s/event.json", build, build, tmp);
    int rc = run(env.ptr, cmd.ptr, out);
    dstr_free(&env);
    dstr_free(&cmd);
    return rc;
}

static int init_refused(const dstr *out, const char *why) {
    return strstr(dstr_cstr(out), "\"errorType\":\"Runtime.ConfigInvalid\"") &&
           strstr(dstr_cstr(out), "LIVE_REQUIRES_PROBE=true: EXECUTE_TRADES=true needs") &&
           strstr(dstr_cstr(out), why);
}

int main(int argc, char **argv) {
    snprintf(build, sizeof build, "%s", argc > 1 ? argv[1] : "build/asan");
    /* on /dev/shm when there is one: the file journal fsyncs every record */
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    if (access("/dev/shm", W_OK) == 0) base = "/dev/shm";
    snprintf(tmp, sizeof tmp, "%s/run_backtest.XXXXXX", base);
    if (!mkdtemp(tmp)) return 1;
    dstr out = {0}, cmd = {0}, env = {0}, path = {0};
    char run_id[128], dir[512];

    /* 1. no argument: the bundled history, the record, the probe */
    dstr_printf(&env, "JOURNAL_URL=file://%s/live %s", tmp, SECRETS);
    /* from the repo root (the bundled data's default place), runs/ in tmp */
    dstr_printf(&cmd, "%s/bin/backtest --probe --runs %s/runs", build, tmp);
    int64_t t0 = drv_mono_ms();
    int rc = run(env.ptr, cmd.ptr, &out);
    last_line(&out, run_id, sizeof run_id);
    snprintf(dir, sizeof dir, "%s/runs/%s", tmp, run_id);
    cJSON *summary = read_json(dir, "summary.json"), *config = read_json(dir, "config.json");
    cJSON *manifest = read_json(dir, "manifest.json");
    drv_check(rc == 0 && strncmp(run_id, "sim-", 4) == 0 && summary && config && manifest,
              "default_run_writes_the_folder", "exit %d, last line '%s', %lld ms: %.300s", rc,
              run_id, (long long)(drv_mono_ms() - t0), dstr_cstr(&out));
    drv_check(strstr(dstr_cstr(&out), "assumed     funding 0.0001 at each 8 h boundary") &&
                  num(summary, "entries") > 0 && num(summary, "closed_trades") > 0,
              "default_run_trades_and_says_what_it_assumed", "entries %g: %.400s",
              num(summary, "entries"), dstr_cstr(&out));
    static const char *const files[] = {"equity.csv", "trades.csv", "report.html", "log.jsonl"};
    int missing = 0;
    for (size_t i = 0; i < 4; i++) {
        dstr_clear(&path);
        dstr_printf(&path, "%s/%s", dir, files[i]);
        missing += access(path.ptr, R_OK) != 0;
    }
    drv_check(!missing, "default_run_record_files", "%d missing", missing);

    /* 2. config.json */
    drv_check(strlen(str(config, "config_hash")) == 16 &&
                  strcmp(str(config, "config_hash"), str(summary, "config_hash")) == 0 &&
                  strlen(str(config, "strategy_hash")) == 16 &&
                  num(config, "variables.RISK_USDT") == 100 &&
                  cJSON_GetArraySize(at(config, "variables.SYMBOLS")) == 2 &&
                  strcmp(str(config, "backtest.predictor"), "builtin") == 0 &&
                  num(config, "backtest.assumed_funding_rate") == 0.0001,
              "config_json_holds_the_configuration_and_hashes", "%s / %s",
              str(config, "config_hash"), str(summary, "config_hash"));
    const cJSON *sv;
    int strategy_has_mode = 0, n_strategy = 0;
    cJSON_ArrayForEach(sv, at(config, "strategy_variables")) {
        n_strategy++;
        strategy_has_mode |= strcmp(sv->valuestring, "EXECUTE_TRADES") == 0 ||
                             strcmp(sv->valuestring, "JOURNAL_URL") == 0;
    }
    drv_check(n_strategy > 20 && !strategy_has_mode, "config_json_names_the_strategy_variables",
              "%d names, mode or journal among them: %d", n_strategy, strategy_has_mode);
    leaks = scanned = 0;
    int walked = nftw(dir, scan, 16, FTW_PHYS);
    drv_check(walked == 0 && scanned > 20 && leaks == 0 && !strstr(dstr_cstr(&out), SENTINEL),
              "no_secret_in_the_run_folder", "walk %d, %d files read, %d hold the sentinel", walked,
              scanned, leaks);

    /* 3. manifest.json */
    char hex[SIGV4_HEX_LEN + 1];
    sha256_file("tests/data/binance/klines/BTCUSDT-5m.csv", hex);
    const cJSON *k5 = file_entry(manifest, "klines/BTCUSDT-5m.csv");
    drv_check(k5 && strcmp(str(k5, "sha256"), hex) == 0 &&
                  file_entry(manifest, "exchangeInfo.json") &&
                  file_entry(manifest, "funding/ETHUSDT-funding.csv") &&
                  file_entry(manifest, "klines/ETHUSDT-1d.csv"),
              "manifest_lists_every_file_read_with_its_sha256", "5m entry %s, sha %s",
              k5 ? "found" : "missing", k5 ? str(k5, "sha256") : "");
    drv_check(
        num(manifest, "coverage.BTCUSDT.5m.rows") == 4000 &&
            num(manifest, "coverage.ETHUSDT.1h.gap_count") == 0 &&
            strcmp(str(manifest, "coverage.BTCUSDT.funding.last"), "2025-10-27T00:00:00Z") == 0 &&
            num(manifest, "funding.assumed_rate") == 0.0001 &&
            num(manifest, "funding.symbols.BTCUSDT.boundaries_assumed") >= 0 &&
            strlen(str(manifest, "gap_handling")) > 40,
        "manifest_coverage_gaps_and_funding", "5m rows %g, funding last %s",
        num(manifest, "coverage.BTCUSDT.5m.rows"), str(manifest, "coverage.BTCUSDT.funding.last"));

    /* a copied folder with 3 candles cut out of the 5m file: the gap is
     * listed; and --funding-rate none is said and recorded */
    dstr_clear(&cmd);
    dstr_printf(&cmd,
                "sh -c 'cp -r tests/data/binance %s/data && sed -i 2000,2002d "
                "%s/data/klines/BTCUSDT-5m.csv && %s/bin/backtest --dir %s/data --symbol BTCUSDT "
                "--from 2025-12-22T00:00 --to 2025-12-24T00:00 --step 1h --funding-rate none "
                "--runs %s/runs'",
                tmp, tmp, build, tmp, tmp);
    rc = run("", cmd.ptr, &out);
    char gap_id[128], gap_dir[512];
    last_line(&out, gap_id, sizeof gap_id);
    snprintf(gap_dir, sizeof gap_dir, "%s/runs/%s", tmp, gap_id);
    cJSON *gm = read_json(gap_dir, "manifest.json"), *gc = read_json(gap_dir, "config.json");
    const cJSON *gk = file_entry(gm, "klines/BTCUSDT-5m.csv");
    const cJSON *gap = cJSON_GetArrayItem(at(gk, "gaps"), 0);
    drv_check(rc == 0 && num(gm, "coverage.BTCUSDT.5m.gap_count") == 1 &&
                  num(gap, "missing") == 3 && num(gm, "coverage.BTCUSDT.5m.rows") == 3997,
              "manifest_reports_a_gap", "exit %d, gap_count %g, missing %g: %.300s", rc,
              num(gm, "coverage.BTCUSDT.5m.gap_count"), num(gap, "missing"), dstr_cstr(&out));
    drv_check(strstr(dstr_cstr(&out), "assumed     no funding") &&
                  cJSON_IsNull(at(gc, "backtest.assumed_funding_rate")) &&
                  cJSON_IsNull(at(gm, "funding.assumed_rate")),
              "funding_rate_none_is_said_and_recorded", "%.300s", dstr_cstr(&out));

    /* 4. the probe gate end to end */
    FILE *ev = NULL;
    dstr_clear(&path);
    dstr_printf(&path, "%s/event.json", tmp);
    if ((ev = fopen(path.ptr, "w"))) {
        fputs("{\"source\":\"scheduler\",\"schedule\":\"trader-every-5-minutes\"}\n", ev);
        fclose(ev);
    }
    dstr live = {0};
    dstr_printf(&live, "%s/live", tmp);
    cJSON *probe = NULL;
    {
        dstr find = {0};
        dstr_printf(&find, "sh -c 'cat %s/probe/*/*_probe.json'", live.ptr);
        run("", find.ptr, &out);
        probe = cJSON_Parse(dstr_cstr(&out));
        dstr_free(&find);
    }
    drv_check(probe && cJSON_IsTrue(at(probe, "ready")) &&
                  strcmp(str(probe, "strategy_hash"), str(config, "strategy_hash")) == 0 &&
                  strcmp(str(probe, "run_id"), run_id) == 0,
              "backtest_probe_records_a_ready_probe", "%.300s", dstr_cstr(&out));

    rc = trader(live.ptr, "", &out);
    drv_check(rc == 0 && !strstr(dstr_cstr(&out), "Runtime.ConfigInvalid") &&
                  strstr(dstr_cstr(&out), "\"execute\":true"),
              "trader_init_accepts_a_ready_fresh_probe", "exit %d: %.400s", rc, dstr_cstr(&out));

    dstr empty = {0};
    dstr_printf(&empty, "%s/empty", tmp);
    rc = trader(empty.ptr, "", &out);
    drv_check(rc == 1 && init_refused(&out, "holds no probe of it"),
              "trader_init_refuses_without_a_probe", "exit %d: %.400s", rc, dstr_cstr(&out));

    rc = trader(live.ptr, "RISK_USDT=50", &out);
    drv_check(rc == 1 && init_refused(&out, "holds no probe of it"),
              "trader_init_refuses_another_strategy", "exit %d: %.400s", rc, dstr_cstr(&out));

    /* stale: the same probe, 20 days older, alone in a journal */
    cJSON *old = cJSON_Duplicate(probe, 1);
    double stale_ms = num(probe, "time") - 20 * 86400000.0;
    cJSON_ReplaceItemInObject(old, "time", cJSON_CreateNumber(stale_ms));
    char *old_text = cJSON_PrintUnformatted(old);
    dstr_clear(&path);
    dstr_printf(&path, "%s/stale/probe/%s", tmp, str(probe, "strategy_hash"));
    dstr_clear(&cmd);
    dstr_printf(&cmd, "mkdir -p %s", path.ptr);
    run("", cmd.ptr, &out);
    dstr_printf(&path, "/%013lld_probe.json", 9999999999999LL - (long long)stale_ms);
    if ((ev = fopen(path.ptr, "w"))) {
        fputs(old_text, ev);
        fclose(ev);
    }
    free(old_text);
    cJSON_Delete(old);
    dstr stale = {0};
    dstr_printf(&stale, "%s/stale", tmp);
    rc = trader(stale.ptr, "", &out);
    drv_check(rc == 1 && init_refused(&out, "days old, over PROBE_MAX_AGE_DAYS=14"),
              "trader_init_refuses_a_stale_probe", "exit %d: %.400s", rc, dstr_cstr(&out));

    /* not ready: a probe judged under PROBE_MIN_TRADES=100000 is newer */
    dstr_clear(&cmd);
    dstr_printf(&cmd, "%s/bin/backtest --probe --from 2025-12-30T00:00 --runs %s/runs", build, tmp);
    dstr_clear(&env);
    dstr_printf(&env, "JOURNAL_URL=file://%s PROBE_MIN_TRADES=100000", live.ptr);
    rc = run(env.ptr, cmd.ptr, &out);
    drv_check(rc == 0 && strstr(dstr_cstr(&out), "NOT READY (too few trades"),
              "backtest_probe_records_not_ready_and_why", "exit %d: %.400s", rc, dstr_cstr(&out));
    rc = trader(live.ptr, "", &out);
    drv_check(rc == 1 && init_refused(&out, "is not ready: too few trades"),
              "trader_init_refuses_a_probe_not_ready", "exit %d: %.400s", rc, dstr_cstr(&out));

    /* --probe tests the configuration: its symbols */
    dstr_clear(&cmd);
    dstr_printf(&cmd, "%s/bin/backtest --probe --symbol BTCUSDT --runs %s/runs", build, tmp);
    rc = run(env.ptr, cmd.ptr, &out);
    drv_check(rc == 1 && strstr(dstr_cstr(&out), "its symbols must be SYMBOLS"),
              "probe_needs_the_configured_symbols", "exit %d: %.300s", rc, dstr_cstr(&out));

    cJSON_Delete(probe);
    cJSON_Delete(summary);
    cJSON_Delete(config);
    cJSON_Delete(manifest);
    cJSON_Delete(gm);
    cJSON_Delete(gc);
    dstr_free(&live);
    dstr_free(&empty);
    dstr_free(&stale);
    dstr_free(&out);
    dstr_free(&cmd);
    dstr_free(&env);
    dstr_free(&path);
    drv_remove_tree(tmp);
    return drv_summary("backtest");
}
