/* run_signal_score: the signal scorer (build/bin/signal_score) end to end on the bundled klines: it
 * decides through the trader's decision entry point with the trader's own
 * configuration (the same variables, validated the same way), and each
 * threshold flag overrides its variable. Usage: run_signal_score BUILD_DIR (from
 * the repository root). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "driver.h"
#include "platform/dstr.h"

static char scorer[512];

/* Runs "env ENV signal_score ARGS" (stdout and stderr together); its exit
 * status. */
static int run(const char *env, const char *args, dstr *out) {
    dstr cmd = {0};
    dstr_printf(&cmd, "env %s %s %s", env, scorer, args);
    int rc = drv_run(cmd.ptr, out);
    dstr_free(&cmd);
    return rc;
}

/* Rows of the CSV (header excluded) and how many have risk_ok 1. */
static void count_rows(const dstr *csv, int *rows, int *risk_ok) {
    *rows = *risk_ok = 0;
    const char *line = dstr_cstr(csv);
    if (strncmp(line, "symbol,candle_time,", 19) != 0) return;
    for (line = strchr(line, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        const char *f = line + 1;
        for (int col = 0; col < 8 && f; col++) f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
        (*rows)++;
        if (f && strncmp(f, "1,", 2) == 0) (*risk_ok)++;
    }
}

int main(int argc, char **argv) {
    snprintf(scorer, sizeof scorer, "%s/bin/signal_score", argc > 1 ? argv[1] : "build/asan");
    const char *base = "--symbol BTCUSDT --step 4h --csv";
    dstr out = {0};
    int rows, ok, rows_strict, ok_strict, rows_flag, ok_flag;

    int rc = run("", base, &out);
    count_rows(&out, &rows, &ok);
    drv_check(rc == 0 && rows > 20, "default configuration decides every step",
              "exit %d, %d rows: %.200s", rc, rows, dstr_cstr(&out));
    drv_check(ok > 0, "some decisions pass the default thresholds", "%d of %d", ok, rows);

    rc = run("MIN_PROB=1", base, &out);
    count_rows(&out, &rows_strict, &ok_strict);
    drv_check(rc == 0 && rows_strict == rows && ok_strict == 0,
              "MIN_PROB from the environment is the scorer's threshold",
              "exit %d, %d rows, %d risk_ok", rc, rows_strict, ok_strict);

    dstr args = {0};
    dstr_printf(&args, "%s --min-prob 0.6", base);
    rc = run("MIN_PROB=1", args.ptr, &out);
    count_rows(&out, &rows_flag, &ok_flag);
    drv_check(rc == 0 && ok_flag == ok, "--min-prob overrides MIN_PROB",
              "exit %d, %d risk_ok (default run: %d)", rc, ok_flag, ok);

    rc = run("MIN_PROB=abc", base, &out);
    drv_check(rc == 2 && strstr(dstr_cstr(&out), "MIN_PROB=\"abc\" is invalid"),
              "a bad variable stops the scorer naming it", "exit %d: %.200s", rc, dstr_cstr(&out));

    dstr_clear(&args);
    dstr_printf(&args, "%s --rr-min 0", base);
    rc = run("", args.ptr, &out);
    drv_check(rc == 2 && strstr(dstr_cstr(&out), "--rr-min must be a number from 0.01"),
              "a flag out of the variable's range is refused", "exit %d: %.200s", rc,
              dstr_cstr(&out));

    dstr_free(&args);
    dstr_free(&out);
    return drv_summary("signal_score");
}
