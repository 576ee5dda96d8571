/* trader events: the trader's non-HTTP side and the journal-failure answers,
 * which the HTTP scenarios cannot reach (and the overview without keys, or
 * with nothing it can read). Each case runs one event through
 * the real bootstrap with build/<v>/bin/invoke (the gateway's function host),
 * against fake_binance started here, and checks invoke's exit status, the
 * answer (an HTTP answer's statusCode and body, or the event's payload), or
 * the error invoke prints for a function error.
 *
 *   run_trader_events [BUILD_DIR]     (default build/asan; run from the repo root)
 *
 * Prints "ok NAME" / "FAIL NAME: why" and "trader-events: N passed, N failed". */
#define _XOPEN_SOURCE 700 /* nftw */
#include <cJSON.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blackhole.h"
#include "driver.h"
#include "platform/clock.h"
#include "platform/dstr.h"

#define RUN_TIMEOUT_MS 30000
#define MAX_CHECKS 6

typedef struct event_case {
    const char *name;
    const char *function;
    const char *event; /* event JSON on stdin; NULL with http_* */
    const char *http_method, *http_uri;
    const char *journal_url;          /* NULL: the good temporary journal */
    int exit_code;                    /* invoke: 0 ok, 1 function error */
    int status;                       /* HTTP statusCode wanted, 0 for events */
    const char *contains[MAX_CHECKS]; /* in the answer body, or in stderr on exit 1 */
    const char *absent[MAX_CHECKS];
    const char *output[MAX_CHECKS]; /* in invoke's whole output (answer headers, function logs) */
    int unwritten_events;           /* exact number of journal.unwritten events; 0: unchecked */
    int blackhole_s3;               /* journal to an S3 endpoint that accepts and never answers */
    int execute;                    /* EXECUTE_TRADES=true, with (sentinel) keys */
    const char *token;              /* TRADER_TOKEN; NULL: unset */
    const char *header;             /* one request header 'Name: value'; NULL: none */
} event_case;

#define TOKEN "events-test-token-0123456789"

#define SCHED_INPUT                                                                         \
    "{\"source\":\"scheduler\",\"schedule\":\"trader-every-5-minutes\",\"scheduled_time\":" \
    "\"2026-01-01T00:05:00Z\",\"execution_id\":\"4b6d3e2a-1f00-4c1e-9a57-0c1d2e3f4a5b\"}"
#define ENVELOPE                                                                           \
    "{\"version\":\"0\",\"id\":\"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa\",\"detail-type\":"  \
    "\"Scheduled Event\",\"source\":\"aws.events\",\"account\":\"123456789012\",\"time\":" \
    "\"2026-01-01T00:10:00Z\",\"region\":\"us-east-1\",\"resources\":[\"arn:aws:events:"   \
    "us-east-1:123456789012:rule/trader\"],\"detail\":{}}"
#define BAD_JOURNAL "file:///proc/trader-no-journal/journal" /* valid, but cannot be created */
/* The black-hole cases: Lambda's timeout, and the S3 policy of production
 * (5 s attempts, 3 retries), under which 4 records written one after the
 * other took 4 x 4 x 5 s and the run was killed. */
#define BH_TIMEOUT_MS 6000
#define BH_TIMEOUT_ARG "6000"
#define SUMMARY "\"event\":\"journal.unwritten_summary\""

/* clang-format off */
static const event_case cases[] = {
    {"scheduler input: every symbol, scheduled_time echoed, 5 records journaled (the run record)", "trader", SCHED_INPUT,
     NULL, NULL, NULL, 0, 0,
     {"\"scheduled_time\":\"2026-01-01T00:05:00Z\"", "\"symbols\":[\"BTCUSDT\",\"ETHUSDT\"]",
      "\"decisions\":[{\"symbol\":\"BTCUSDT\"", "\"journal\":{\"written\":5,\"unwritten\":0}"},
     {"\"requests\""}, {NULL}, 0, 0, 0, NULL, NULL},
    {"EventBridge Scheduled Event envelope: every symbol", "trader", ENVELOPE, NULL, NULL, NULL, 0, 0,
     {"\"scheduled_time\":\"2026-01-01T00:10:00Z\"", "\"symbols\":[\"BTCUSDT\",\"ETHUSDT\"]",
      "\"unwritten\":0"},
     {NULL}, {NULL}, 0, 0, 0, NULL, NULL},
    {"symbols as an array, debug adds the request records", "trader",
     "{\"symbols\":[\"ETHUSDT\"],\"debug\":true}", NULL, NULL, NULL, 0, 0,
     {"\"symbols\":[\"ETHUSDT\"]", "\"requests\":[{\"predictor\":\"builtin\",\"features\":{\"symbol\":\"ETHUSDT\"",
      "\"written\":3"},
     {"BTCUSDT"}, {NULL}, 0, 0, 0, NULL, NULL},
    {"symbols as a comma-separated string", "trader", "{\"symbols\":\"BTCUSDT,ETHUSDT\"}", NULL, NULL,
     NULL, 0, 0, {"\"symbols\":[\"BTCUSDT\",\"ETHUSDT\"]"}, {NULL}, {NULL}, 0, 0, 0, NULL, NULL},
    {"a symbol outside SYMBOLS is a bad event naming the allowed ones", "trader",
     "{\"symbols\":[\"XRPUSDT\"]}", NULL, NULL, NULL, 1, 0,
     {"Function.BadEvent", "XRPUSDT", "allowed: BTCUSDT,ETHUSDT"}, {NULL}, {NULL}, 0, 0, 0, NULL, NULL},
    {"an empty symbols array is a bad event", "trader", "{\"symbols\":[]}", NULL, NULL, NULL, 1, 0,
     {"Function.BadEvent", "non-empty array"}, {NULL}, {NULL}, 0, 0, 0, NULL, NULL},
    {"symbols holding a number is a bad event", "trader", "{\"symbols\":[42]}", NULL, NULL, NULL, 1, 0,
     {"Function.BadEvent"}, {NULL}, {NULL}, 0, 0, 0, NULL, NULL},
    {"debug that is not a boolean is a bad event", "trader", "{\"debug\":\"yes\"}", NULL, NULL, NULL, 1, 0,
     {"Function.BadEvent", "debug"}, {NULL}, {NULL}, 0, 0, 0, NULL, NULL},
    {"journal unavailable: the scheduled run returns its decisions and logs the loss", "trader",
     SCHED_INPUT, NULL, NULL, BAD_JOURNAL, 0, 0,
     {"\"decisions\":[{\"symbol\":\"BTCUSDT\"", "\"journal\":{\"written\":0,\"unwritten\":5}"},
     {"Journal.Unwritten"}, {SUMMARY, "\"unwritten\":6", "\"records\":5"}, 6, 0, 0, NULL, NULL},
    {"journal unavailable: GET /tasks/trader answers 200 with the decisions and x-journal-unwritten",
     "trader", NULL, "GET", "/tasks/trader", BAD_JOURNAL, 0, 200,
     {"\"decisions\":[{\"symbol\":\"BTCUSDT\"", "\"journal\":{\"written\":0,\"unwritten\":5}"}, {NULL},
     {"\"x-journal-unwritten\":\"6\""}, 6, 0, 0, NULL, NULL},
    {"S3 that never answers: the scheduled run answers before its timeout, every record printed",
     "trader", SCHED_INPUT, NULL, NULL, NULL, 0, 0,
     {"\"decisions\":[{\"symbol\":\"BTCUSDT\"", "{\"symbol\":\"ETHUSDT\"",
      "\"journal\":{\"written\":0,\"unwritten\":5}"},
     {"Journal.Unwritten"}, {SUMMARY, "\"kind\":\"log\"", "deadline"}, 6, 1, 0, NULL, NULL},
    {"S3 that never answers: POST /tasks/trader answers 200 before its timeout with x-journal-unwritten",
     "trader", NULL, "POST", "/tasks/trader", NULL, 0, 200,
     {"\"decisions\":[{\"symbol\":\"BTCUSDT\"", "\"journal\":{\"written\":0,\"unwritten\":5}"},
     {NULL}, {"\"x-journal-unwritten\":\"6\""}, 6, 1, 0, NULL, NULL},
    /* HTTP trigger safety while execution is on (no order is possible here:
     * fake_binance has no account, so the run's account reads fail) */
    {"execution on: GET /tasks/trader answers 405, nothing runs", "trader", NULL, "GET",
     "/tasks/trader", NULL, 0, 405, {"\"error\":\"method_not_allowed\"", "POST"},
     {"\"decisions\""}, {NULL}, 0, 0, 1, TOKEN, "X-Trader-Token: " TOKEN},
    {"execution on without TRADER_TOKEN: POST /tasks/trader answers 403", "trader", NULL, "POST",
     "/tasks/trader", NULL, 0, 403, {"\"error\":\"http_execution_disabled\""},
     {"\"decisions\""}, {NULL}, 0, 0, 1, NULL, "X-Trader-Token: " TOKEN},
    {"execution on: POST /tasks/trader without X-Trader-Token answers 401", "trader", NULL, "POST",
     "/tasks/trader", NULL, 0, 401, {"\"error\":\"invalid_token\""}, {"\"decisions\""},
     {"trader.bad_token"}, 0, 0, 1, TOKEN, NULL},
    {"execution on: POST /tasks/trader with a wrong X-Trader-Token answers 401", "trader", NULL,
     "POST", "/tasks/trader", NULL, 0, 401, {"\"error\":\"invalid_token\""}, {TOKEN},
     {"trader.bad_token"}, 0, 0, 1, TOKEN, "X-Trader-Token: " TOKEN "x"},
    {"execution on: POST /tasks/trader with the token runs (the account unread: no entry)",
     "trader", NULL, "POST", "/tasks/trader", NULL, 0, 200,
     {"\"execute\":true", "\"decisions\":[{\"symbol\":\"BTCUSDT\"", "\"outcome\":\"partial\""},
     {TOKEN}, {"\"event\":\"trader.run\""}, 0, 0, 1, TOKEN, "X-Trader-Token: " TOKEN},
    {"execution on: the scheduler's run needs no token", "trader", SCHED_INPUT, NULL, NULL, NULL,
     0, 0, {"\"execute\":true", "\"run\":{\"run_id\""}, {NULL},
     {"\"event\":\"trader.run\""}, 0, 0, 1, NULL, NULL},
    {"no keys: /api/overview answers 503 keys_not_configured, asking nothing", "overview", NULL, "GET",
     "/api/overview", NULL, 0, 503,
     {"\"error\":\"keys_not_configured\"", "BINANCE_API_KEY", "read-only keys are enough"}, {NULL},
     {NULL}, 0, 0, 0, NULL, NULL},
    {"nothing readable (no account endpoints, no journal): the upstream error with every part named",
     "overview", NULL, "GET", "/api/overview", BAD_JOURNAL, 0, 502,
     {"\"error\":\"upstream_rejected\"", "\"overview\":{", "\"part\":\"positions\"",
      "\"part\":\"kill_switch\"", "\"balances\":null"},
     {"events-test-key-sentinel", "events-test-secret-sentinel"}, {NULL}, 0, 0, 1, NULL, NULL},
    {"journal unavailable: /api/signals/latest answers 500 with the decision", "signals", NULL, "GET",
     "/api/signals/latest?symbol=ETHUSDT", BAD_JOURNAL, 0, 500,
     {"\"error\":\"journal_unwritten\"", "\"decision\":{\"symbol\":\"ETHUSDT\""}, {NULL}, {NULL}, 0, 0, 0, NULL, NULL},
    {"journal unavailable: /api/signals answers 503", "signals", NULL, "GET", "/api/signals", BAD_JOURNAL,
     0, 503, {"\"error\":\"journal_unavailable\""}, {NULL}, {NULL}, 0, 0, 0, NULL, NULL},
    {"the journal the runs above wrote is listed newest first", "signals", NULL, "GET",
     "/api/signals?limit=3", NULL, 0, 200, {"\"signals\":[{\"symbol\":\"BTCUSDT\""}, {NULL}, {NULL}, 0, 0, 0, NULL, NULL},
};
/* clang-format on */

static char tmp_dir[256];
static pid_t fake_pid;
static blackhole *bh;

/* Waits for pid up to timeout_ms; kills it past that. Returns its exit code or -1. */
static int wait_for(pid_t pid, long timeout_ms) {
    int64_t end = drv_mono_ms() + timeout_ms;
    int st;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (drv_mono_ms() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        usleep(10000);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs argv with stdin from in_path (or /dev/null), stdout/stderr to files. */
static int run(const char *const *argv, const char *in_path, const char *out_path,
               const char *err_path) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0) _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return wait_for(pid, RUN_TIMEOUT_MS);
}

static int start_fake(const char *build) {
    char bin[PATH_MAX], port_file[PATH_MAX], log[PATH_MAX];
    snprintf(bin, sizeof bin, "%s/bin/fake_binance", build);
    snprintf(port_file, sizeof port_file, "%s/fake.port", tmp_dir);
    snprintf(log, sizeof log, "%s/fake.log", tmp_dir);
    fake_pid = fork();
    if (fake_pid < 0) return -1;
    if (fake_pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 2);
        execl(bin, bin, "--port", "0", "--port-file", port_file, "--data", "tests/data/binance",
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(port_file, "r");
        int port = 0;
        if (f) {
            int ok = fscanf(f, "%d", &port) == 1;
            fclose(f);
            if (ok && port > 0) return port;
        }
        usleep(50000);
    }
    return -1;
}

static void stop_fake(void) {
    if (fake_pid <= 0) return;
    kill(fake_pid, SIGTERM);
    if (wait_for(fake_pid, 5000) < 0)
        fprintf(stderr, "run_trader_events: fake_binance did not stop\n");
    fake_pid = 0;
}

/* The text checks run on: an HTTP answer's body (status into *status), the
 * event's payload, or stderr for a function error. */
static void answer_text(const event_case *c, int code, const dstr *out, const dstr *err, dstr *text,
                        int *status) {
    dstr_clear(text);
    *status = 0;
    if (code != 0) {
        dstr_append(text, err->ptr, err->len);
        return;
    }
    if (!c->http_method) {
        dstr_append(text, out->ptr, out->len);
        return;
    }
    cJSON *res = cJSON_ParseWithLength(out->ptr, out->len);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(res, "statusCode");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(res, "body");
    if (cJSON_IsNumber(sc)) *status = sc->valueint;
    if (cJSON_IsString(body)) dstr_puts(text, body->valuestring);
    cJSON_Delete(res);
}

static int run_case(const char *build, const event_case *c, const char *fake_url, dstr *why) {
    char journal[PATH_MAX + 16], in_path[PATH_MAX], out_path[PATH_MAX], err_path[PATH_MAX];
    snprintf(journal, sizeof journal, "file://%s/journal", tmp_dir);
    setenv("JOURNAL_URL", c->journal_url ? c->journal_url : journal, 1);
    if (c->blackhole_s3) {
        setenv("JOURNAL_URL", "s3://trader-journal/e2e", 1);
        setenv("AWS_ENDPOINT_URL_S3", bh_url(bh), 1);
        setenv("AWS_REGION", "us-east-1", 1);
        setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    } else {
        unsetenv("AWS_ENDPOINT_URL_S3");
    }
    setenv("BINANCE_FAPI_BASE", fake_url, 1);
    if (c->execute) {
        setenv("EXECUTE_TRADES", "true", 1);
        setenv("BINANCE_API_KEY", "events-test-key-sentinel", 1);
        setenv("BINANCE_API_SECRET", "events-test-secret-sentinel", 1);
    } else {
        unsetenv("EXECUTE_TRADES");
        unsetenv("BINANCE_API_KEY");
        unsetenv("BINANCE_API_SECRET");
    }
    if (c->token) setenv("TRADER_TOKEN", c->token, 1);
    else unsetenv("TRADER_TOKEN");
    snprintf(in_path, sizeof in_path, "%s/event.json", tmp_dir);
    snprintf(out_path, sizeof out_path, "%s/out.txt", tmp_dir);
    snprintf(err_path, sizeof err_path, "%s/err.txt", tmp_dir);
    char invoke[PATH_MAX];
    snprintf(invoke, sizeof invoke, "%s/bin/invoke", build);
    const char *argv[16];
    int ac = 0;
    argv[ac++] = invoke;
    argv[ac++] = "--functions-dir";
    argv[ac++] = build;
    if (c->blackhole_s3) {
        argv[ac++] = "--timeout-ms";
        argv[ac++] = BH_TIMEOUT_ARG;
    }
    if (c->http_method) {
        argv[ac++] = "--http";
        argv[ac++] = c->http_method;
        argv[ac++] = c->http_uri;
        if (c->header) {
            argv[ac++] = "--header";
            argv[ac++] = c->header;
        }
        argv[ac++] = c->function;
    } else {
        FILE *f = fopen(in_path, "w");
        if (!f || fputs(c->event, f) < 0) {
            if (f) fclose(f);
            dstr_printf(why, "cannot write %s", in_path);
            return -1;
        }
        fclose(f);
        argv[ac++] = c->function;
        argv[ac++] = "-";
    }
    argv[ac] = NULL;
    int64_t t0 = clock_wall_ms();
    int code = run(argv, c->http_method ? NULL : in_path, out_path, err_path);
    int64_t took = clock_wall_ms() - t0;
    dstr out = {0}, err = {0}, text = {0};
    drv_read_file(out_path, &out);
    drv_read_file(err_path, &err);
    int status;
    answer_text(c, code, &out, &err, &text, &status);
    if (code != c->exit_code) dstr_printf(why, "invoke exit %d, want %d; ", code, c->exit_code);
    if (c->status && status != c->status)
        dstr_printf(why, "statusCode %d, want %d; ", status, c->status);
    for (int i = 0; i < MAX_CHECKS && c->contains[i]; i++)
        if (!strstr(dstr_cstr(&text), c->contains[i]))
            dstr_printf(why, "no '%s'; ", c->contains[i]);
    for (int i = 0; i < MAX_CHECKS && c->absent[i]; i++)
        if (strstr(dstr_cstr(&text), c->absent[i]))
            dstr_printf(why, "unexpected '%s'; ", c->absent[i]);
    dstr all = {0};
    dstr_append(&all, out.ptr, out.len);
    dstr_append(&all, err.ptr, err.len);
    for (int i = 0; i < MAX_CHECKS && c->output[i]; i++)
        if (!strstr(dstr_cstr(&all), c->output[i]))
            dstr_printf(why, "no '%s' in the output; ", c->output[i]);
    int events = 0; /* lines that are such an event (the log record embeds earlier lines) */
    for (const char *line = dstr_cstr(&all); *line;) {
        const char *ev = strstr(line, "\"event\":\""), *nl = strchr(line, '\n');
        if (ev && (!nl || ev < nl) && !strncmp(ev, "\"event\":\"journal.unwritten\"", 27)) events++;
        line = nl ? nl + 1 : line + strlen(line);
    }
    if (c->unwritten_events && events != c->unwritten_events)
        dstr_printf(why, "%d journal.unwritten events, want %d; ", events, c->unwritten_events);
    if (c->blackhole_s3) {
        /* the answer comes by the frame's deadline, not after 4 x 5 s per record */
        printf("     %s: %lld ms (function timeout %d ms)\n", c->http_method ? "HTTP" : "scheduled",
               (long long)took, BH_TIMEOUT_MS);
        /* exit 0 already says the answer beat the timeout (invoke exits 2 past
         * it); the bound adds the processes' start */
        if (took >= BH_TIMEOUT_MS + 1000)
            dstr_printf(why, "took %lld ms, the timeout is %d; ", (long long)took, BH_TIMEOUT_MS);
    }
    dstr_free(&all);
    if (why->len) dstr_printf(why, "\n     answer: %.600s", dstr_cstr(&text));
    dstr_free(&out);
    dstr_free(&err);
    dstr_free(&text);
    return why->len ? -1 : 0;
}

int main(int argc, char **argv) {
    const char *build = argc > 1 ? argv[1] : "build/asan";
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/trader-events.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        printf("FAIL cannot create a temporary directory: %s\ntrader-events: 0 passed, 1 failed\n",
               strerror(errno));
        return 1;
    }
    /* the environment the cases assume; the functions inherit it through invoke */
    setenv("TZ", "UTC", 1);
    setenv("SYMBOLS", "BTCUSDT,ETHUSDT", 1);
    setenv("PREDICTOR", "builtin", 1);
    setenv("BINANCE_HTTP_TIMEOUT_MS", "2000", 1);
    setenv("BINANCE_HTTP_RETRIES", "1", 1);
    setenv("BINANCE_HTTP_BACKOFF_MS", "50", 1);
    unsetenv("BINANCE_USE_TESTNET");
    unsetenv("LOG_LEVEL");
    int passed = 0, failed = 0;
    int port = start_fake(build);
    bh = bh_start();
    if (!bh) {
        printf("FAIL the black-hole server did not start\n");
        failed = 1;
    } else if (port < 0) {
        printf("FAIL fake_binance did not start (see %s/fake.log)\n", tmp_dir);
        failed = 1;
    } else {
        char fake_url[64];
        snprintf(fake_url, sizeof fake_url, "http://127.0.0.1:%d", port);
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            dstr why = {0};
            if (run_case(build, &cases[i], fake_url, &why) == 0) {
                printf("ok   %s\n", cases[i].name);
                passed++;
            } else {
                printf("FAIL %s: %s\n", cases[i].name, why.ptr);
                failed++;
            }
            dstr_free(&why);
        }
    }
    stop_fake();
    bh_stop(bh);
    if (!failed) drv_remove_tree(tmp_dir);
    printf("trader-events: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
