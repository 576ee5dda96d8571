/* run_exec_scenarios: the executor end to end, as data (issue 9 item 16).
 * Each JSON file of tests/scenarios/exec/ sets up the stateful fake exchange
 * (fake_binance --account, started here), runs the real trader bootstrap
 * one or more times through the local function host (fnhost: the Lambda
 * Runtime API, a warm process, SIGKILL of its process group), with a
 * scripted fault list per run, optional steps between runs (the mark moved
 * past a leg so it fires, a manual order, a clock skew...), and then checks
 * the exchange's state, the requests it saw and the journal. Format and
 * environment: tests/scenarios/README.md ("Execution scenarios").
 *
 *   run_exec_scenarios [BUILD_DIR] [--forbid S]... [-v] [FILE_OR_DIR...]
 *     (default build/asan and tests/scenarios/exec; run from the repo root)
 *
 * Prints "ok   FILE: NAME" / "FAIL FILE: NAME: why; why" and finally
 * "exec_scenarios: N passed, N failed" (plus one check that no secret
 * reached the functions' output or any journal object). The functions'
 * output goes to a log file whose path is printed. */
#define _GNU_SOURCE
#include <cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
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
#include "fake_server.h"
#include "fnhost.h"
#include "platform/clock.h"
#include "platform/dstr.h"

#define MAX_FILES 512
#define MAX_FORBID 8
#define MAX_SET 64
#define MAX_PAR 8
#define ACCOUNT_FILE "tests/fakes/accounts/check.json"
#define GEMINI_PATH "/v1beta/models/gemini-2.5-flash-lite:generateContent"
#define PREFIX "atr_"
#define RUN_TIMEOUT_MS 20000
#define KILL_TIMEOUT_MS 2000 /* a run to be killed: its deadline is this minus API_RESERVE_MS */
#define KILL_SLACK_MS 700    /* RECONCILE_INFLIGHT_SLACK_MS - API_RESERVE_MS + 200 */
#define SCHED_EVENT                                                      \
    "{\"source\":\"scheduler\",\"schedule\":\"trader-every-5-minutes\"," \
    "\"scheduled_time\":\"2026-01-01T00:05:00Z\",\"execution_id\":"      \
    "\"4b6d3e2a-1f00-4c1e-9a57-0c1d2e3f4a5b\"}"

static FILE *rep; /* the report (the original stdout); fd 1 and 2 go to the log */
static const char *build = "build/asan";
static char fake[64], api_key[128], api_secret[128], logpath[300], tmproot[128];
static const char *forbid[MAX_FORBID];
static int n_forbid, verbose;
static pid_t fake_pid, tg_pid;
static char tgfake[64];       /* fake_telegram's base URL */
static char cur_journal[400]; /* the running scenario's journal folder */
static char smfake[64];       /* fake_secretsmanager's base URL */
static pid_t sm_pid;
#define SM_SECRET_ID "trader/binance-keys"
#define SM_ACCESS_KEY "AKIDFAKESECRETS0001" /* fake_secretsmanager's defaults */
#define SM_SECRET_KEY "fake/secretsmanager/secret-key-0001"
#define SM_TOKEN "SESSIONTOKEN-sentinel-4b1d-must-never-appear"
#define TG_TOKEN "123456:fake-telegram-token" /* fake_telegram's default */
/* the webhook's secret: a sentinel, never to be seen in any output or record */
#define WEBHOOK_SECRET "SENTINEL-webhook-secret-for-scenarios-5b2e"

/* ---- small helpers ---------------------------------------------------------------------------- */

typedef struct fails {
    dstr text;
    int n;
} fails;

static void fail(fails *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(fails *f, const char *fmt, ...) {
    if (f->n++) dstr_puts(&f->text, "; ");
    va_list ap;
    va_start(ap, fmt);
    dstr_vprintf(&f->text, fmt, ap);
    va_end(ap);
}

/* One request to a fake; the status (0: no answer), the body in out. */
static long http_at(const char *base, const char *method, const char *path, const char *body,
                    dstr *out) {
    return fake_server_call(base, method, path, body, out);
}

static long http(const char *method, const char *path, const char *body, dstr *out) {
    return http_at(fake, method, path, body, out);
}

static cJSON *http_json_at(const char *base, const char *method, const char *path,
                           const char *body) {
    dstr out = {0};
    long st = http_at(base, method, path, body, &out);
    cJSON *j = st == 200 ? cJSON_Parse(dstr_cstr(&out)) : NULL;
    dstr_free(&out);
    return j;
}

static cJSON *http_json(const char *method, const char *path, const char *body) {
    dstr out = {0};
    long st = http(method, path, body, &out);
    cJSON *j = st == 200 ? cJSON_Parse(dstr_cstr(&out)) : NULL;
    dstr_free(&out);
    return j;
}

static const char *str_of(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num_of(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsNumber(v)) return v->valuedouble;
    if (cJSON_IsString(v)) return strtod(v->valuestring, NULL);
    return NAN;
}

static int ends_with(const char *s, const char *tail) {
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* A count check: a number (exact) or [min, max]. */
static int count_ok(const cJSON *want, long got, char *text, size_t cap) {
    if (cJSON_IsNumber(want)) {
        snprintf(text, cap, "%ld", (long)want->valuedouble);
        return got == (long)want->valuedouble;
    }
    if (cJSON_IsArray(want) && cJSON_GetArraySize(want) == 2) {
        long lo = (long)cJSON_GetArrayItem(want, 0)->valuedouble;
        long hi = (long)cJSON_GetArrayItem(want, 1)->valuedouble;
        snprintf(text, cap, "%ld..%ld", lo, hi);
        return got >= lo && got <= hi;
    }
    snprintf(text, cap, "(bad count)");
    return 0;
}

/* ---- the fake ---------------------------------------------------------------------------------- */

/* Starts bin with args (a port file is added) and sets url once it listens. */
static pid_t start_server(const char *name, const char *const *args, char *url, size_t cap) {
    char portfile[300], bin[300];
    snprintf(portfile, sizeof portfile, "%s/%s.port", tmproot, name);
    snprintf(bin, sizeof bin, "%s/bin/%s", build, name);
    const char *argv[16] = {bin, "--port", "0", "--port-file", portfile};
    int n = 5;
    for (; args && *args && n < 15; args++) argv[n++] = *args;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 200 && pid > 0; i++) {
        dstr p = {0};
        drv_read_file(portfile, &p);
        int port = atoi(dstr_cstr(&p));
        dstr_free(&p);
        if (port > 0) {
            snprintf(url, cap, "http://127.0.0.1:%d", port);
            return pid;
        }
        usleep(50000);
    }
    return -1;
}

/* The account's keys as the secret SM_SECRET_ID holds them (with a name
 * that is not a secret variable, which is ignored). */
static char secret_dir[64]; /* outside tmproot: the leak check walks that */

static int write_secret(char *spec, size_t cap) {
    char path[300];
    snprintf(secret_dir, sizeof secret_dir, "/tmp/exec-secret.XXXXXX");
    if (!mkdtemp(secret_dir)) return -1;
    snprintf(path, sizeof path, "%s/secret.json", secret_dir);
    FILE *out = fopen(path, "w");
    if (!out) return -1;
    fprintf(out, "{\"BINANCE_API_KEY\":\"%s\",\"BINANCE_API_SECRET\":\"%s\",\"OTHER\":\"x\"}",
            api_key, api_secret);
    if (fclose(out)) return -1;
    snprintf(spec, cap, "%s=%s", SM_SECRET_ID, path);
    return 0;
}

static int start_fake(void) {
    const char *const args[] = {"--data", "tests/data/binance", "--account", ACCOUNT_FILE, NULL};
    fake_pid = start_server("fake_binance", args, fake, sizeof fake);
    tg_pid = start_server("fake_telegram", NULL, tgfake, sizeof tgfake);
    char spec[400];
    if (write_secret(spec, sizeof spec)) return -1;
    const char *const sm_args[] = {"--secret", spec, NULL};
    sm_pid = start_server("fake_secretsmanager", sm_args, smfake, sizeof smfake);
    return fake_pid > 0 && tg_pid > 0 && sm_pid > 0 ? 0 : -1;
}

static int load_account(void) {
    dstr t = {0};
    drv_read_file(ACCOUNT_FILE, &t);
    cJSON *a = cJSON_Parse(dstr_cstr(&t));
    dstr_free(&t);
    if (!a) return -1;
    snprintf(api_key, sizeof api_key, "%s", str_of(a, "api_key"));
    snprintf(api_secret, sizeof api_secret, "%s", str_of(a, "api_secret"));
    cJSON_Delete(a);
    return api_key[0] && api_secret[0] ? 0 : -1;
}

/* ---- the environment ---------------------------------------------------------------------------- */

typedef struct envset {
    char *names[MAX_SET];
    int n;
} envset;

static void env_put(envset *e, const char *name, const char *value) {
    setenv(name, value, 1);
    for (int i = 0; i < e->n; i++)
        if (strcmp(e->names[i], name) == 0) return;
    if (e->n < MAX_SET) e->names[e->n++] = strdup(name);
}

static void env_clear(envset *e) {
    for (int i = 0; i < e->n; i++) {
        unsetenv(e->names[i]);
        free(e->names[i]);
    }
    e->n = 0;
}

/* The environment every scenario starts from (README: "Execution scenarios"). */
static void env_base(envset *e, const char *journal) {
    char url[500];
    snprintf(url, sizeof url, "file://%s", journal);
    const char *kv[][2] = {
        {"BINANCE_FAPI_BASE", fake},
        {"BINANCE_API_KEY", api_key},
        {"BINANCE_API_SECRET", api_secret},
        {"EXECUTE_TRADES", "true"},
        {"TZ", "UTC"},
        {"SYMBOLS", "BTCUSDT"},
        {"PREDICTOR", "gemini"},
        {"PREDICTOR_FALLBACK", "none"},
        {"GOOGLE_API_KEY", "test-key-for-scenarios"},
        {"GEMINI_BASE_URL", fake},
        {"GEMINI_MODEL", "gemini-2.5-flash-lite"},
        {"GEMINI_HTTP_RETRIES", "0"},
        {"GEMINI_HTTP_TIMEOUT_MS", "3000"},
        {"BINANCE_HTTP_TIMEOUT_MS", "700"},
        {"BINANCE_HTTP_RETRIES", "0"},
        {"BINANCE_HTTP_BACKOFF_MS", "50"},
        {"RISK_USDT", "20"},
        {"LOG_DIR", journal},
        {"JOURNAL_URL", url},
        {"ORDER_ID_PREFIX", "atr"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) env_put(e, kv[i][0], kv[i][1]);
}

static int env_apply(envset *e, const cJSON *obj, fails *f) {
    if (!obj) return 0;
    if (!cJSON_IsObject(obj)) {
        fail(f, "env is not an object");
        return -1;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        if (!cJSON_IsString(it)) {
            fail(f, "env %s is not a string", it->string);
            return -1;
        }
        env_put(e, it->string, it->valuestring);
    }
    return 0;
}

/* ---- the fake's state --------------------------------------------------------------------------- */

static double mark_of(const cJSON *acct, const char *symbol) {
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(acct, "symbols")) {
        if (strcmp(str_of(s, "symbol"), symbol) == 0) return num_of(s, "markPrice");
    }
    return NAN;
}

static const cJSON *position_of(const cJSON *acct, const char *symbol) {
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(acct, "positions")) {
        if (strcmp(str_of(p, "symbol"), symbol) == 0 && num_of(p, "positionAmt") != 0) return p;
    }
    return NULL;
}

static int algo_open(const cJSON *a) {
    const char *st = str_of(a, "algoStatus");
    return strcmp(st, "NEW") == 0;
}

/* The open algo orders of symbol of type (NULL: any); bot 1: this bot's only. */
static int count_algos(const cJSON *acct, const char *symbol, const char *type, int bot,
                       const cJSON **first) {
    int n = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(acct, "algoOrders")) {
        if (!algo_open(a) || strcmp(str_of(a, "symbol"), symbol)) continue;
        if (type && strcmp(str_of(a, "orderType"), type)) continue;
        if (bot && strncmp(str_of(a, "clientAlgoId"), PREFIX, strlen(PREFIX))) continue;
        if (!n && first) *first = a;
        n++;
    }
    return n;
}

/* Replaces {mark*F}, {mark} and {algo:TYPE} (the open algo order's clientAlgoId)
 * in every string value of params (a copy is made by the caller). */
static int substitute(cJSON *params, const char *symbol, fails *f) {
    cJSON *acct = http_json("GET", "/__fake/account", NULL);
    if (!acct) {
        fail(f, "GET /__fake/account failed");
        return -1;
    }
    int rc = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, params) {
        if (!cJSON_IsString(it) || it->valuestring[0] != '{') continue;
        const char *v = it->valuestring;
        char buf[96] = "";
        if (strncmp(v, "{mark", 5) == 0) {
            double m = mark_of(acct, symbol), k = 1;
            if (v[5] == '*') k = strtod(v + 6, NULL);
            if (isfinite(m) && m > 0) snprintf(buf, sizeof buf, "%.0f", floor(m * k));
        } else if (strncmp(v, "{algo:", 6) == 0) {
            char type[48];
            snprintf(type, sizeof type, "%.*s", (int)strcspn(v + 6, "}"), v + 6);
            const cJSON *a = NULL;
            if (count_algos(acct, symbol, type, 0, &a))
                snprintf(buf, sizeof buf, "%s", str_of(a, "clientAlgoId"));
        }
        if (!buf[0]) {
            fail(f, "cannot substitute %s", v);
            rc = -1;
            break;
        }
        cJSON_SetValuestring(it, buf);
    }
    cJSON_Delete(acct);
    return rc;
}

/* ---- actions (set-up and between runs) --------------------------------------------------------- */

static int post_json(const char *path, const cJSON *body, fails *f, const char *what) {
    char *text = cJSON_PrintUnformatted(body);
    dstr out = {0};
    long st = http("POST", path, text, &out);
    int ok = st == 200;
    if (!ok) fail(f, "%s: %s answered %ld %.200s", what, path, st, dstr_cstr(&out));
    free(text);
    dstr_free(&out);
    return ok ? 0 : -1;
}

/* fire: moves the mark 0.2% past the open algo order of that type, so it fires. */
static int act_fire(const cJSON *spec, fails *f) {
    const char *symbol = str_of(spec, "symbol"), *type = str_of(spec, "type");
    cJSON *acct = http_json("GET", "/__fake/account", NULL);
    const cJSON *a = NULL;
    int rc = -1;
    if (acct && count_algos(acct, symbol, type, 0, &a)) {
        double trig = num_of(a, "triggerPrice");
        int sell = strcmp(str_of(a, "side"), "SELL") == 0;
        int stop = strcmp(type, "STOP_MARKET") == 0;
        /* a SELL stop fires at or below, a SELL take-profit at or above */
        double to = trig * (((sell && stop) || (!sell && !stop)) ? 0.998 : 1.002);
        char price[64];
        snprintf(price, sizeof price, "%.0f", to);
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "symbol", symbol);
        cJSON_AddStringToObject(b, "price", price);
        rc = post_json("/__fake/account/mark", b, f, "fire");
        cJSON_Delete(b);
    } else {
        fail(f, "fire: no open %s on %s", type, symbol);
    }
    cJSON_Delete(acct);
    return rc;
}

/* {"journal_put": {"key": "control/pause/{INV}_pause.json", "json": {...}}}:
 * an operator's record written into the scenario's journal ({INV}: the
 * newest-first inverted time of now, 13 digits). */
static int act_journal_put(const cJSON *spec, fails *f) {
    const char *key = str_of(spec, "key");
    const cJSON *json = cJSON_GetObjectItemCaseSensitive(spec, "json");
    if (!*key || !json || strstr(key, "..")) {
        fail(f, "journal_put wants a key and a json");
        return -1;
    }
    char path[700], inv[16];
    snprintf(inv, sizeof inv, "%013lld", 9999999999999LL - (long long)clock_wall_ms());
    const char *at = strstr(key, "{INV}");
    if (at)
        snprintf(path, sizeof path, "%s/%.*s%s%s", cur_journal, (int)(at - key), key, inv, at + 5);
    else snprintf(path, sizeof path, "%s/%s", cur_journal, key);
    for (char *p = path + strlen(cur_journal) + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        mkdir(path, 0700);
        *p = '/';
    }
    char *text = cJSON_PrintUnformatted(json);
    FILE *out = fopen(path, "w");
    int ok = out && fputs(text, out) >= 0;
    if (out && fclose(out)) ok = 0;
    free(text);
    if (!ok) fail(f, "journal_put: cannot write %s", path);
    usleep(2000); /* the next record's inverted time differs */
    return ok ? 0 : -1;
}

static int do_actions(const cJSON *list, fails *f) {
    const cJSON *a;
    cJSON_ArrayForEach(a, list) {
        const cJSON *body = a->child;
        if (!body || body->next) {
            fail(f, "an action is one key");
            return -1;
        }
        const char *kind = body->string;
        int rc = 0;
        if (strcmp(kind, "fire") == 0) {
            rc = act_fire(body, f);
        } else if (strcmp(kind, "journal_put") == 0) {
            rc = act_journal_put(body, f);
        } else if (strcmp(kind, "wait_ms") == 0) {
            usleep((useconds_t)(body->valuedouble * 1000));
        } else if (!strcmp(kind, "mark") || !strcmp(kind, "position") || !strcmp(kind, "act") ||
                   !strcmp(kind, "clock") || !strcmp(kind, "funding") || !strcmp(kind, "step")) {
            cJSON *copy = cJSON_Duplicate(body, 1);
            cJSON *params = cJSON_GetObjectItemCaseSensitive(copy, "params");
            const char *symbol = str_of(params ? params : copy, "symbol");
            rc = substitute(params ? params : copy, symbol, f);
            char path[64];
            snprintf(path, sizeof path, "/__fake/account/%s", kind);
            if (!rc) {
                if (!strcmp(kind, "act")) {
                    char *text = cJSON_PrintUnformatted(copy);
                    dstr out = {0};
                    long st = http("POST", path, text, &out);
                    /* act answers the wire answer: it must have been accepted */
                    cJSON *w = cJSON_Parse(dstr_cstr(&out));
                    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(w, "status");
                    if (st != 200 || (cJSON_IsNumber(ws) && ws->valueint != 200)) {
                        fail(f, "act: %ld %.300s", st, dstr_cstr(&out));
                        rc = -1;
                    }
                    cJSON_Delete(w);
                    free(text);
                    dstr_free(&out);
                } else {
                    rc = post_json(path, copy, f, kind);
                }
            }
            cJSON_Delete(copy);
        } else {
            fail(f, "unknown action %s", kind);
            rc = -1;
        }
        if (rc) return -1;
    }
    return 0;
}

/* ---- runs ------------------------------------------------------------------------------------------ */

static void gemini_step(cJSON *script, const char *direction) {
    char text[300];
    snprintf(text, sizeof text,
             "{\"direction\": \"%s\", \"prob\": %s, \"support\": 1, \"resistance\": 10000000, "
             "\"rationale\": \"scripted by the exec scenario\"}",
             direction, strcmp(direction, "FLAT") ? "0.72" : "0");
    cJSON *step = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(step, "match");
    cJSON_AddStringToObject(m, "path", GEMINI_PATH);
    cJSON_AddStringToObject(m, "method", "POST");
    cJSON *ans = cJSON_AddObjectToObject(step, "answer");
    cJSON_AddNumberToObject(ans, "status", 200);
    cJSON *j = cJSON_AddObjectToObject(ans, "json");
    cJSON *cands = cJSON_AddArrayToObject(j, "candidates");
    cJSON *c = cJSON_CreateObject();
    cJSON_AddItemToArray(cands, c);
    cJSON *content = cJSON_AddObjectToObject(c, "content");
    cJSON *parts = cJSON_AddArrayToObject(content, "parts");
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "text", text);
    cJSON_AddItemToArray(parts, p);
    cJSON_AddStringToObject(content, "role", "model");
    cJSON_AddStringToObject(c, "finishReason", "STOP");
    cJSON_AddNumberToObject(c, "index", 0);
    cJSON_AddItemToArray(script, step);
}

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    fn_result res;
} waiter;

static void on_done(void *ctx, const fn_result *r) {
    waiter *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->res.status = r->status;
    dstr_append(&w->res.payload, r->payload.ptr, r->payload.len);
    snprintf(w->res.detail, sizeof w->res.detail, "%s", r->detail);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void wait_done(waiter *w) {
    pthread_mutex_lock(&w->mu);
    while (!w->done) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

static fnhost *host_new(const char *function, long timeout_ms, fails *f) {
    char boot[300], err[256];
    snprintf(boot, sizeof boot, "%s/%s/bootstrap", build, function);
    fnhost_config cfg = {function, boot, timeout_ms, 10000, 128, "us-east-1"};
    fnhost *h = fnhost_new(&cfg, err, sizeof err);
    if (!h) fail(f, "fnhost: %s", err);
    return h;
}

static int record_matches(const cJSON *rec, const cJSON *m) {
    const char *method = str_of(m, "method"), *path = str_of(m, "path");
    if (*method && strcmp(method, str_of(rec, "method"))) return 0;
    if (*path && strcmp(path, str_of(rec, "path"))) return 0;
    const cJSON *p;
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "params");
    if (!params) return 1;
    /* a POST's parameters travel in its form body */
    const char *body = str_of(rec, "body");
    cJSON_ArrayForEach(p, params) {
        const char *v = str_of(cJSON_GetObjectItemCaseSensitive(rec, "params"), p->string);
        if (*v) {
            if (strcmp(v, p->valuestring)) return 0;
            continue;
        }
        char needle[200];
        snprintf(needle, sizeof needle, "%s=%s", p->string, p->valuestring);
        const char *at = strstr(body, needle);
        if (!at || (at != body && at[-1] != '&')) return 0;
        char after = at[strlen(needle)];
        if (after && after != '&') return 0;
    }
    return 1;
}

static int requests_count(void) {
    cJSON *r = http_json("GET", "/__fake/requests", NULL);
    int n = cJSON_GetArraySize(r);
    cJSON_Delete(r);
    return n;
}

/* A run's "webhook" {"secret": true (the sentinel) | "text" | absent (no
 * header), "update": {...} | "body": "raw"} as the API Gateway event of
 * POST /telegram/webhook; caller frees. */
static char *webhook_event(const cJSON *hook) {
    cJSON *ev = cJSON_CreateObject(), *ctx = cJSON_AddObjectToObject(ev, "requestContext");
    cJSON *http_ = cJSON_AddObjectToObject(ctx, "http"),
          *hd = cJSON_AddObjectToObject(ev, "headers");
    cJSON_AddStringToObject(ev, "version", "2.0");
    cJSON_AddStringToObject(ev, "routeKey", "$default");
    cJSON_AddStringToObject(ev, "rawPath", "/telegram/webhook");
    cJSON_AddStringToObject(ev, "rawQueryString", "");
    cJSON_AddStringToObject(http_, "method", "POST");
    cJSON_AddStringToObject(http_, "path", "/telegram/webhook");
    cJSON_AddStringToObject(ctx, "requestId", "scenario-webhook");
    cJSON_AddStringToObject(hd, "content-type", "application/json");
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(hook, "secret");
    if (cJSON_IsTrue(secret))
        cJSON_AddStringToObject(hd, "x-telegram-bot-api-secret-token", WEBHOOK_SECRET);
    else if (cJSON_IsString(secret))
        cJSON_AddStringToObject(hd, "x-telegram-bot-api-secret-token", secret->valuestring);
    const cJSON *update = cJSON_GetObjectItemCaseSensitive(hook, "update");
    char *body = update ? cJSON_PrintUnformatted(update) : strdup(str_of(hook, "body"));
    cJSON_AddStringToObject(ev, "body", body);
    cJSON_AddBoolToObject(ev, "isBase64Encoded", 0);
    free(body);
    char *text = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    return text;
}

/* One run entry: times x parallel invocations of the same event, or one
 * killed once the fake saw kill_after. Answers go to payloads (the last). */
static int do_run(const cJSON *run, int index, dstr *answer, fails *f) {
    const cJSON *times = cJSON_GetObjectItemCaseSensitive(run, "times");
    const cJSON *par = cJSON_GetObjectItemCaseSensitive(run, "parallel");
    const cJSON *kill = cJSON_GetObjectItemCaseSensitive(run, "kill_after");
    int want_error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "error"));
    const char *event = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(run, "event"))
                            ? str_of(run, "event")
                            : SCHED_EVENT;
    /* the telegram function: a webhook request or an SNS event instead */
    const cJSON *hook = cJSON_GetObjectItemCaseSensitive(run, "webhook");
    const cJSON *sns = cJSON_GetObjectItemCaseSensitive(run, "sns");
    char *built = hook ? webhook_event(hook) : sns ? cJSON_PrintUnformatted(sns) : NULL;
    const char *function = built ? "telegram" : "trader";
    if (built) event = built;
    const cJSON *stag = cJSON_GetObjectItemCaseSensitive(run, "stagger_ms");
    int stagger = cJSON_IsNumber(stag) ? stag->valueint : 0;
    int nt = cJSON_IsNumber(times) ? times->valueint : 1;
    int np = cJSON_IsNumber(par) ? par->valueint : 1;
    if (nt < 1 || np < 1 || np > MAX_PAR) {
        fail(f, "run %d: bad times/parallel", index);
        free(built);
        return -1;
    }
    fnhost *hosts[MAX_PAR] = {0};
    int rc = 0;
    /* a run to be killed gets a short time limit: its plan's deadline, after
     * which reconcile stops waiting for its bracket, passes soon */
    long timeout_ms = kill ? KILL_TIMEOUT_MS : RUN_TIMEOUT_MS;
    for (int i = 0; i < np; i++)
        if (!(hosts[i] = host_new(function, timeout_ms, f))) rc = -1;
    for (int t = 0; t < nt && !rc; t++) {
        int64_t started = drv_mono_ms();
        waiter w[MAX_PAR];
        for (int i = 0; i < np; i++) {
            if (i && stagger > 0) usleep((useconds_t)stagger * 1000);
            memset(&w[i], 0, sizeof w[i]);
            pthread_mutex_init(&w[i].mu, NULL);
            pthread_cond_init(&w[i].cv, NULL);
            fn_call call = {.payload = event, .len = strlen(event)};
            if (fnhost_invoke_async(hosts[i], &call, on_done, &w[i])) {
                fail(f, "run %d: invoke refused", index);
                w[i].done = 1;
                w[i].res.status = FN_SHUTDOWN;
            }
        }
        if (kill) {
            int seen = 0;
            /* "server": "telegram": a request fake_telegram records (an alert's send) */
            const char *at = !strcmp(str_of(kill, "server"), "telegram") ? tgfake : fake;
            for (int k = 0; k < 2000 && !seen; k++) { /* 20 s at most */
                cJSON *recs = http_json_at(at, "GET", "/__fake/requests", NULL);
                const cJSON *r;
                cJSON_ArrayForEach(r, recs) {
                    if (cJSON_GetObjectItemCaseSensitive(r, "t_ms")->valuedouble >= 0 &&
                        record_matches(r, kill))
                        seen = 1;
                }
                cJSON_Delete(recs);
                pthread_mutex_lock(&w[0].mu);
                int over = w[0].done;
                pthread_mutex_unlock(&w[0].mu);
                if (over && !seen) break;
                if (!seen) usleep(10000);
            }
            if (!seen) {
                fail(f, "run %d: the fake never saw the request to kill after", index);
                rc = -1;
            }
            usleep(30000); /* the landed request's handler has run */
            for (int i = 0; i < np; i++) fnhost_stop(hosts[i]); /* SIGKILL of the process group */
            /* until the killed run's deadline (+ reconcile's slack) has passed */
            int64_t wait = started + KILL_TIMEOUT_MS + KILL_SLACK_MS - drv_mono_ms();
            if (wait > 0) usleep((useconds_t)wait * 1000);
        }
        for (int i = 0; i < np; i++) {
            wait_done(&w[i]);
            if (want_error && w[i].res.status != FN_ERROR) {
                fail(f, "run %d#%d: %s, want an error", index, t + 1,
                     fn_status_name(w[i].res.status));
                rc = -1;
            }
            if (!kill && !want_error && w[i].res.status != FN_OK) {
                fail(f, "run %d#%d: %s %s %.300s", index, t + 1, fn_status_name(w[i].res.status),
                     w[i].res.detail, dstr_cstr(&w[i].res.payload));
                rc = -1;
            }
            if (kill && w[i].res.status == FN_OK) {
                fail(f, "run %d: finished before the kill", index);
                rc = -1;
            }
            dstr_clear(answer);
            dstr_append(answer, w[i].res.payload.ptr, w[i].res.payload.len);
            dstr_free(&w[i].res.payload);
            pthread_mutex_destroy(&w[i].mu);
            pthread_cond_destroy(&w[i].cv);
        }
    }
    for (int i = 0; i < np; i++)
        if (hosts[i]) {
            fnhost_shutdown(hosts[i]);
            fnhost_free(hosts[i]);
        }
    free(built);
    return rc;
}

/* ---- the journal ------------------------------------------------------------------------------------ */

typedef struct jobjs {
    char **keys;
    dstr *bodies;
    size_t n;
} jobjs;

static void walk(const char *root, const char *rel, jobjs *out) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", root, rel);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sub[600], full[1200];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            walk(root, sub, out);
        } else if (S_ISREG(st.st_mode)) {
            out->keys = realloc(out->keys, (out->n + 1) * sizeof *out->keys);
            out->bodies = realloc(out->bodies, (out->n + 1) * sizeof *out->bodies);
            out->keys[out->n] = strdup(sub);
            out->bodies[out->n] = (dstr){0};
            drv_read_file(full, &out->bodies[out->n]);
            out->n++;
        }
    }
    closedir(d);
}

static void jobjs_free(jobjs *j) {
    for (size_t i = 0; i < j->n; i++) {
        free(j->keys[i]);
        dstr_free(&j->bodies[i]);
    }
    free(j->keys);
    free(j->bodies);
}

/* The newest run record's body (keys sort by time within a day), NULL when none. */
static const dstr *newest_run(const jobjs *j) {
    const char *best = NULL;
    const dstr *body = NULL;
    for (size_t i = 0; i < j->n; i++)
        if (strncmp(j->keys[i], "runs/", 5) == 0 && (!best || strcmp(j->keys[i], best) > 0))
            best = j->keys[i], body = &j->bodies[i];
    return body;
}

static void check_journal(const cJSON *list, const jobjs *j, fails *f) {
    const cJSON *c;
    cJSON_ArrayForEach(c, list) {
        const char *prefix = str_of(c, "prefix");
        long n = 0;
        for (size_t i = 0; i < j->n; i++) n += strncmp(j->keys[i], prefix, strlen(prefix)) == 0;
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(c, "count");
        char text[64];
        if (want && !count_ok(want, n, text, sizeof text))
            fail(f, "journal %s: %ld objects, want %s", prefix, n, text);
        const cJSON *s;
        int newest = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "newest"));
        const dstr *nr = newest ? newest_run(j) : NULL;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "contains")) {
            int found = 0;
            for (size_t i = 0; i < j->n && !found; i++) {
                if (strncmp(j->keys[i], prefix, strlen(prefix))) continue;
                if (newest && &j->bodies[i] != nr) continue;
                found = strstr(dstr_cstr(&j->bodies[i]), s->valuestring) != NULL;
            }
            if (!found)
                fail(f, "journal %s%s: nothing contains %s", prefix, newest ? " (newest)" : "",
                     s->valuestring);
        }
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "absent")) {
            for (size_t i = 0; i < j->n; i++)
                if (!strncmp(j->keys[i], prefix, strlen(prefix)) &&
                    strstr(dstr_cstr(&j->bodies[i]), s->valuestring)) {
                    fail(f, "journal %s has %s", j->keys[i], s->valuestring);
                    break;
                }
        }
    }
}

/* The plan of symbol (the newest brackets/ record), NULL when none. */
static cJSON *plan_of(const jobjs *j, const char *symbol) {
    const char *best = NULL;
    const dstr *body = NULL;
    char tail[64];
    snprintf(tail, sizeof tail, "_%s.json", symbol);
    for (size_t i = 0; i < j->n; i++)
        if (!strncmp(j->keys[i], "brackets/", 9) && ends_with(j->keys[i], tail) &&
            (!best || strcmp(j->keys[i], best) > 0))
            best = j->keys[i], body = &j->bodies[i];
    return body ? cJSON_Parse(dstr_cstr(body)) : NULL;
}

/* ---- checks of the end state ------------------------------------------------------------------------- */

/* Either flat with none of this bot's legs open, or a position with exactly
 * one stop and one take-profit of this bot, at the plan's distances from the
 * position's entry price (legs are placed from the actual fill). */
static void check_protected(const char *symbol, const cJSON *acct, const jobjs *j, fails *f) {
    const cJSON *p = position_of(acct, symbol);
    int stops = count_algos(acct, symbol, "STOP_MARKET", 1, NULL);
    int tps = count_algos(acct, symbol, "TAKE_PROFIT_MARKET", 1, NULL);
    if (!p) {
        if (stops || tps)
            fail(f, "%s flat but %d stop(s), %d take-profit(s) of the bot open", symbol, stops,
                 tps);
        return;
    }
    if (stops != 1 || tps != 1) {
        fail(f, "%s position %s with %d stop(s), %d take-profit(s)", symbol,
             str_of(p, "positionAmt"), stops, tps);
        return;
    }
    cJSON *plan = plan_of(j, symbol);
    if (!plan) {
        fail(f, "%s position without a plan in the journal", symbol);
        return;
    }
    double amt = num_of(p, "positionAmt"), entry = num_of(p, "entryPrice");
    double sign = amt > 0 ? 1 : -1;
    double want_sl = entry - sign * num_of(plan, "sl_distance");
    double want_tp = entry + sign * num_of(plan, "tp_distance");
    const cJSON *s = NULL, *t = NULL;
    count_algos(acct, symbol, "STOP_MARKET", 1, &s);
    count_algos(acct, symbol, "TAKE_PROFIT_MARKET", 1, &t);
    double tol = entry * 2e-5 + 0.02; /* two ticks or so: rounded toward the entry */
    if (fabs(num_of(s, "triggerPrice") - want_sl) > tol)
        fail(f, "%s stop at %s, want entry %.2f -/+ %.2f = %.2f", symbol, str_of(s, "triggerPrice"),
             entry, num_of(plan, "sl_distance"), want_sl);
    if (fabs(num_of(t, "triggerPrice") - want_tp) > tol)
        fail(f, "%s take-profit at %s, want %.2f", symbol, str_of(t, "triggerPrice"), want_tp);
    double q = fabs(amt);
    if (fabs(num_of(s, "quantity") - q) > 1e-9 || fabs(num_of(t, "quantity") - q) > 1e-9)
        fail(f, "%s legs' quantity differs from the position's %g", symbol, q);
    if (strcmp(str_of(s, "workingType"), "MARK_PRICE") ||
        strcmp(str_of(t, "workingType"), "MARK_PRICE"))
        fail(f, "%s legs not on the mark price", symbol);
    cJSON_Delete(plan);
}

/* The journal says what the exchange shows: a position is named (with its
 * legs) in the newest run record and its fill is recorded; a closed trade's
 * fills are trade records; no fill, no fill record. */
static void check_journal_agrees(const char *symbol, const cJSON *acct, const jobjs *j, fails *f) {
    const cJSON *p = position_of(acct, symbol);
    int entry_filled = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(acct, "orders")) {
        if (!strcmp(str_of(o, "symbol"), symbol) && ends_with(str_of(o, "clientOrderId"), "_E") &&
            num_of(o, "executedQty") > 0)
            entry_filled = 1;
    }
    char tail[64];
    snprintf(tail, sizeof tail, "_%s.json", symbol);
    int fills = 0, trades = 0;
    const dstr *fill_body = NULL;
    for (size_t i = 0; i < j->n; i++) {
        if (!strncmp(j->keys[i], "fills/", 6) && ends_with(j->keys[i], tail))
            fills++, fill_body = &j->bodies[i];
        char mid[40];
        snprintf(mid, sizeof mid, "_%s_", symbol);
        if (!strncmp(j->keys[i], "trades/", 7) && strstr(j->keys[i], mid)) trades++;
    }
    if (entry_filled != (fills == 1))
        fail(f, "%s: entry %s, %d fill record(s)", symbol, entry_filled ? "filled" : "not filled",
             fills);
    const dstr *run = newest_run(j);
    if (!run) {
        fail(f, "no run record");
        return;
    }
    if (p) {
        char want[200];
        snprintf(want, sizeof want, "\"symbol\":\"%s\",\"action\":\"position\"", symbol);
        const char *body = dstr_cstr(run);
        int named = strstr(body, want) != NULL;
        snprintf(want, sizeof want, "\"symbol\":\"%s\",\"action\":\"entry\",\"outcome\":\"filled\"",
                 symbol);
        int entered = strstr(body, want) != NULL; /* the run that opened it names it too */
        if (!named && !entered)
            fail(f, "%s: the newest run record does not name the position", symbol);
        if (fill_body) {
            cJSON *fr = cJSON_Parse(dstr_cstr(fill_body));
            if (fabs(num_of(fr, "qty") - fabs(num_of(p, "positionAmt"))) > 1e-9)
                fail(f, "%s: fill record qty %s, position %s", symbol, str_of(fr, "qty"),
                     str_of(p, "positionAmt"));
            cJSON_Delete(fr);
        }
    } else if (entry_filled && trades < 2) {
        fail(f, "%s: flat after a filled entry but %d trade record(s)", symbol, trades);
    }
}

static void check_requests(const cJSON *list, const cJSON *recs, int from, int to, fails *f,
                           const char *where) {
    const cJSON *c;
    cJSON_ArrayForEach(c, list) {
        long n = 0;
        int i = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, recs) {
            if (i >= from && i < to && record_matches(r, c)) n++;
            i++;
        }
        char text[64];
        if (!count_ok(cJSON_GetObjectItemCaseSensitive(c, "count"), n, text, sizeof text))
            fail(f, "%s requests %s %s%s: %ld, want %s", where, str_of(c, "method"),
                 str_of(c, "path"),
                 cJSON_GetObjectItemCaseSensitive(c, "params") ? " (params)" : "", n, text);
    }
}

/* Signed requests that change something: any non-GET to /fapi/ or /fapi/v*. */
static long signed_writes(const cJSON *recs, int from, int to) {
    long n = 0;
    int i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, recs) {
        if (i >= from && i < to && strncmp(str_of(r, "path"), "/fapi/", 6) == 0 &&
            strcmp(str_of(r, "method"), "GET"))
            n++;
        i++;
    }
    return n;
}

static void check_orders(const cJSON *list, const cJSON *acct, fails *f) {
    const cJSON *c;
    cJSON_ArrayForEach(c, list) {
        const char *sym = str_of(c, "symbol"), *suffix = str_of(c, "client_suffix");
        const char *pre = str_of(c, "client_prefix"), *status = str_of(c, "status");
        int algo = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "algo"));
        long n = 0;
        const cJSON *o;
        cJSON_ArrayForEach(o,
                           cJSON_GetObjectItemCaseSensitive(acct, algo ? "algoOrders" : "orders")) {
            const char *id = str_of(o, algo ? "clientAlgoId" : "clientOrderId");
            if (*sym && strcmp(sym, str_of(o, "symbol"))) continue;
            if (*suffix && !ends_with(id, suffix)) continue;
            if (*pre && strncmp(id, pre, strlen(pre))) continue;
            if (*status && strcmp(status, str_of(o, algo ? "algoStatus" : "status"))) continue;
            n++;
        }
        char text[64];
        if (!count_ok(cJSON_GetObjectItemCaseSensitive(c, "count"), n, text, sizeof text))
            fail(f, "orders%s %s *%s%s %s: %ld, want %s", algo ? " (algo)" : "", sym, pre, suffix,
                 status, n, text);
    }
}

static void check_positions(const cJSON *obj, const cJSON *acct, fails *f) {
    const cJSON *c;
    cJSON_ArrayForEach(c, obj) {
        const cJSON *p = position_of(acct, c->string);
        const char *want = cJSON_IsString(c) ? c->valuestring : "";
        const char *got = !p ? "none" : num_of(p, "positionAmt") > 0 ? "LONG" : "SHORT";
        if (!strcmp(want, "any")) continue;
        if (strcmp(want, got) &&
            !(cJSON_IsString(c) && p && !strcmp(want, str_of(p, "positionAmt"))))
            fail(f, "position %s: %s (%s), want %s", c->string, got,
                 p ? str_of(p, "positionAmt") : "0", want);
    }
}

/* Paths into the run's answer: "run.outcome", "run.symbols.0.step". */
static const cJSON *at_path(const cJSON *root, const char *path) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = root;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save)) {
        if (cJSON_IsArray(cur)) cur = cJSON_GetArrayItem(cur, atoi(tok));
        else cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    }
    return cur;
}

static void check_answer(const cJSON *exp, const dstr *answer, int index, fails *f) {
    cJSON *a = cJSON_Parse(dstr_cstr(answer));
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(exp, "json_path")) {
        const cJSON *v = at_path(a, c->string);
        if (!v || !cJSON_Compare(v, c, 1)) {
            char *got = v ? cJSON_PrintUnformatted(v) : NULL;
            char *want = cJSON_PrintUnformatted(c);
            fail(f, "run %d: %s is %s, want %s", index, c->string, got ? got : "absent", want);
            free(got);
            free(want);
        }
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(exp, "contains")) {
        if (!strstr(dstr_cstr(answer), c->valuestring))
            fail(f, "run %d: the answer lacks %s", index, c->valuestring);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(exp, "absent")) {
        if (strstr(dstr_cstr(answer), c->valuestring))
            fail(f, "run %d: the answer has %s", index, c->valuestring);
    }
    cJSON_Delete(a);
}

/* expect.telegram: what fake_telegram received since the scenario began
 * ("messages": a count; "contains"/"absent": texts in any message;
 * "in_order": texts found one after the other, oldest message first). */
static void check_telegram(const cJSON *want, fails *f, const char *where) {
    dstr body = {0};
    http_at(tgfake, "GET", "/__fake/messages", NULL, &body);
    cJSON *got = cJSON_Parse(dstr_cstr(&body));
    dstr_free(&body);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(got, "messages");
    dstr all = {0};
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs) {
        dstr_puts(&all, str_of(m, "text"));
        dstr_puts(&all, "\n----\n");
    }
    char text[64];
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(want, "messages");
    if (c && !count_ok(c, cJSON_GetArraySize(msgs), text, sizeof text))
        fail(f, "%s telegram messages: %d, want %s", where, cJSON_GetArraySize(msgs), text);
    const char *texts = dstr_cstr(&all), *at = texts;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(want, "contains")) {
        if (!strstr(texts, c->valuestring))
            fail(f, "%s no telegram message has %s", where, c->valuestring);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(want, "absent")) {
        if (strstr(texts, c->valuestring))
            fail(f, "%s a telegram message has %s", where, c->valuestring);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(want, "in_order")) {
        const char *hit = at ? strstr(at, c->valuestring) : NULL; /* after the one before */
        if (!hit)
            fail(f, "%s %s is not in the messages after the texts before it", where,
                 c->valuestring);
        at = hit ? hit + strlen(c->valuestring) : NULL;
    }
    if (f->n && verbose) fprintf(rep, "  telegram messages:\n%s", dstr_cstr(&all));
    dstr_free(&all);
    cJSON_Delete(got);
}

/* The scenario's or a run's "telegram": {"script": [...]}, fake_telegram's
 * faults for what follows. */
static int post_script(const char *base, const cJSON *script, fails *f) {
    if (!script) return 0;
    char *body = cJSON_PrintUnformatted(script);
    dstr out = {0};
    long st = http_at(base, "POST", "/__fake/script", body, &out);
    free(body);
    dstr_free(&out);
    if (st != 200) fail(f, "the fake at %s refused the script (%ld)", base, st);
    return st == 200 ? 0 : -1;
}

static int telegram_script(const cJSON *tg, fails *f) {
    return post_script(tgfake, cJSON_GetObjectItemCaseSensitive(tg, "script"), f);
}

/* Checks every key of expect (final, or one run's with its request window). */
static void check_expect(const cJSON *exp, const cJSON *acct, const cJSON *recs, int from, int to,
                         const jobjs *j, fails *f, const char *where) {
    const cJSON *c;
    if ((c = cJSON_GetObjectItemCaseSensitive(exp, "positions"))) check_positions(c, acct, f);
    if ((c = cJSON_GetObjectItemCaseSensitive(exp, "protected_or_flat")))
        cJSON_ArrayForEach(c, c) check_protected(c->valuestring, acct, j, f);
    if ((c = cJSON_GetObjectItemCaseSensitive(exp, "journal_agrees")))
        cJSON_ArrayForEach(c, c) check_journal_agrees(c->valuestring, acct, j, f);
    if ((c = cJSON_GetObjectItemCaseSensitive(exp, "orders"))) check_orders(c, acct, f);
    if ((c = cJSON_GetObjectItemCaseSensitive(exp, "requests")))
        check_requests(c, recs, from, to, f, where);
    if ((c = cJSON_GetObjectItemCaseSensitive(exp, "signed_writes"))) {
        long n = signed_writes(recs, from, to);
        char text[64];
        if (!count_ok(c, n, text, sizeof text))
            fail(f, "%s signed writes: %ld, want %s", where, n, text);
    }
    if ((c = cJSON_GetObjectItemCaseSensitive(exp, "journal"))) check_journal(c, j, f);
    if ((c = cJSON_GetObjectItemCaseSensitive(exp, "telegram"))) check_telegram(c, f, where);
}

/* ---- one scenario ------------------------------------------------------------------------------------ */

static const char *const top_keys[] = {"name",   "description", "env",    "setup", "runs",
                                       "expect", "telegram",    "secret", NULL};
static const char *const run_keys[] = {
    "predict", "script", "env",     "times",    "parallel", "stagger_ms", "kill_after", "event",
    "then",    "expect", "comment", "telegram", "error",    "webhook",    "sns",        NULL};
static const char *const exp_keys[] = {
    "positions", "protected_or_flat", "journal_agrees", "orders", "requests", "signed_writes",
    "journal",   "json_path",         "contains",       "absent", "telegram", NULL};

static int keys_known(const cJSON *o, const char *const *keys, const char *what, fails *f) {
    const cJSON *it;
    cJSON_ArrayForEach(it, o) {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++) ok = !strcmp(keys[i], it->string);
        if (!ok) {
            fail(f, "unknown key %s in %s", it->string, what);
            return 0;
        }
    }
    return 1;
}

static int scenario(const char *file, int index) {
    fails f = {0};
    dstr text = {0};
    drv_read_file(file, &text);
    cJSON *sc = cJSON_Parse(dstr_cstr(&text));
    dstr_free(&text);
    const char *name = sc ? str_of(sc, "name") : "";
    char journal[400];
    snprintf(journal, sizeof journal, "%s/j%03d", tmproot, index);
    envset env = {0};
    int64_t t0 = drv_mono_ms();
    if (!sc || !*name) {
        fail(&f, "not JSON with a name");
        goto done;
    }
    if (!keys_known(sc, top_keys, "the scenario", &f)) goto done;
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(sc, "runs");
    const cJSON *run;
    cJSON_ArrayForEach(run, runs) {
        if (!keys_known(run, run_keys, "a run", &f)) goto done;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(run, "expect");
        if (e && !keys_known(e, exp_keys, "a run's expect", &f)) goto done;
    }
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(sc, "expect");
    if (fin && !keys_known(fin, exp_keys, "expect", &f)) goto done;
    dstr out = {0};
    http("POST", "/__fake/reset", "", &out);
    dstr_free(&out);
    mkdir(journal, 0700);
    snprintf(cur_journal, sizeof cur_journal, "%s", journal);
    env_base(&env, journal);
    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(sc, "telegram");
    if (tg) { /* the operator channel on, against fake_telegram */
        http_at(tgfake, "POST", "/__fake/reset", "", &out);
        dstr_free(&out);
        env_put(&env, "TELEGRAM_BASE_URL", tgfake);
        env_put(&env, "TELEGRAM_BOT_TOKEN", TG_TOKEN);
        env_put(&env, "TELEGRAM_CHAT_ID", "4242");
        env_put(&env, "TELEGRAM_HTTP_RETRIES", "0");
        env_put(&env, "TELEGRAM_HTTP_TIMEOUT_MS", "1000");
        env_put(&env, "TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET);
        if (telegram_script(tg, &f)) goto done;
    }
    const cJSON *sm = cJSON_GetObjectItemCaseSensitive(sc, "secret");
    if (sm) { /* the keys come from Secrets Manager, not the environment */
        http_at(smfake, "POST", "/__fake/reset", "", &out);
        dstr_free(&out);
        env_put(&env, "BINANCE_API_KEY", "");
        env_put(&env, "BINANCE_API_SECRET", "");
        env_put(&env, "SECRET_ID", SM_SECRET_ID);
        env_put(&env, "AWS_REGION", "us-east-1");
        env_put(&env, "AWS_ACCESS_KEY_ID", SM_ACCESS_KEY);
        env_put(&env, "AWS_SECRET_ACCESS_KEY", SM_SECRET_KEY);
        env_put(&env, "AWS_SESSION_TOKEN", SM_TOKEN);
        env_put(&env, "AWS_ENDPOINT_URL_SECRETS_MANAGER", smfake);
        env_put(&env, "SECRET_TIMEOUT_MS", "1000");
        if (post_script(smfake, cJSON_GetObjectItemCaseSensitive(sm, "script"), &f)) goto done;
    }
    if (env_apply(&env, cJSON_GetObjectItemCaseSensitive(sc, "env"), &f)) goto done;
    if (do_actions(cJSON_GetObjectItemCaseSensitive(sc, "setup"), &f)) goto done;
    int k = 0, bounds[64][2];
    cJSON_ArrayForEach(run, runs) {
        if (env_apply(&env, cJSON_GetObjectItemCaseSensitive(run, "env"), &f)) goto done;
        if (telegram_script(cJSON_GetObjectItemCaseSensitive(run, "telegram"), &f)) goto done;
        cJSON *script = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(run, "script"), 1);
        if (!script) script = cJSON_CreateArray();
        const char *predict = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(run, "predict"))
                                  ? str_of(run, "predict")
                                  : "LONG";
        const cJSON *times = cJSON_GetObjectItemCaseSensitive(run, "times");
        const cJSON *par = cJSON_GetObjectItemCaseSensitive(run, "parallel");
        int steps = (cJSON_IsNumber(times) ? times->valueint : 1) *
                    (cJSON_IsNumber(par) ? par->valueint : 1) * 2; /* 2 symbols at most */
        for (int i = 0; i < steps; i++) gemini_step(script, predict);
        int rc = post_json("/__fake/script", script, &f, "script");
        cJSON_Delete(script);
        if (rc) goto done;
        int from = requests_count();
        dstr answer = {0};
        rc = do_run(run, k + 1, &answer, &f);
        int to = requests_count();
        if (k < 64) bounds[k][0] = from, bounds[k][1] = to;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(run, "expect");
        if (e) {
            cJSON *acct = http_json("GET", "/__fake/account", NULL);
            cJSON *recs = http_json("GET", "/__fake/requests", NULL);
            jobjs j = {0};
            walk(journal, "", &j);
            char where[32];
            snprintf(where, sizeof where, "run %d:", k + 1);
            check_expect(e, acct, recs, from, to, &j, &f, where);
            check_answer(e, &answer, k + 1, &f);
            jobjs_free(&j);
            cJSON_Delete(acct);
            cJSON_Delete(recs);
        }
        if (verbose) fprintf(rep, "  run %d answer: %.4000s\n", k + 1, dstr_cstr(&answer));
        dstr_free(&answer);
        if (rc) goto done;
        if (do_actions(cJSON_GetObjectItemCaseSensitive(run, "then"), &f)) goto done;
        k++;
    }
    if (fin) {
        cJSON *acct = http_json("GET", "/__fake/account", NULL);
        cJSON *recs = http_json("GET", "/__fake/requests", NULL);
        jobjs j = {0};
        walk(journal, "", &j);
        int first = k ? bounds[0][0] : 0;
        check_expect(fin, acct, recs, first, cJSON_GetArraySize(recs), &j, &f, "all runs:");
        if (f.n || verbose) {
            const cJSON *p;
            cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(acct, "positions"))
                fprintf(rep, "  position %s %s at %s\n", str_of(p, "symbol"),
                        str_of(p, "positionAmt"), str_of(p, "entryPrice"));
            cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(acct, "algoOrders"))
                fprintf(rep, "  algo %s %s %s %s\n", str_of(p, "clientAlgoId"),
                        str_of(p, "orderType"), str_of(p, "triggerPrice"), str_of(p, "algoStatus"));
            cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(acct, "orders"))
                fprintf(rep, "  order %s %s %s %s\n", str_of(p, "clientOrderId"), str_of(p, "side"),
                        str_of(p, "executedQty"), str_of(p, "status"));
            const dstr *nr = newest_run(&j);
            if (nr) fprintf(rep, "  newest run record: %.3000s\n", dstr_cstr(nr));
        }
        jobjs_free(&j);
        cJSON_Delete(acct);
        cJSON_Delete(recs);
    }
done:;
    int64_t ms = drv_mono_ms() - t0;
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    if (f.n)
        fprintf(rep, "FAIL %s: %s: %s (%lld ms; journal %s)\n", base, name, dstr_cstr(&f.text),
                (long long)ms, journal);
    else fprintf(rep, "ok   %s: %s (%lld ms)\n", base, name, (long long)ms);
    fflush(rep);
    env_clear(&env);
    cJSON_Delete(sc);
    dstr_free(&f.text);
    return f.n ? 0 : 1;
}

/* ---- main --------------------------------------------------------------------------------------------- */

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(const char *p, char **files, int *n) {
    struct stat st;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
        DIR *d = opendir(p);
        struct dirent *e;
        int start = *n;
        while (d && (e = readdir(d)))
            if (ends_with(e->d_name, ".json") && *n < MAX_FILES) {
                char full[600];
                snprintf(full, sizeof full, "%s/%s", p, e->d_name);
                files[(*n)++] = strdup(full);
            }
        if (d) closedir(d);
        qsort(files + start, (size_t)(*n - start), sizeof *files, by_name);
    } else if (*n < MAX_FILES) {
        files[(*n)++] = strdup(p);
    }
}

/* No secret (the account's, the sentinels given) in the functions' output or
 * any journal object. */
static int secrets_absent(void) {
    const char *secrets[MAX_FORBID + 5];
    int n = 0;
    secrets[n++] = api_secret;
    secrets[n++] = TG_TOKEN + 7; /* the bot token's secret part */
    secrets[n++] = WEBHOOK_SECRET;
    secrets[n++] = SM_SECRET_KEY;
    secrets[n++] = SM_TOKEN;
    for (int i = 0; i < n_forbid; i++) secrets[n++] = forbid[i];
    jobjs j = {0};
    walk(tmproot, "", &j);
    dstr log = {0};
    drv_read_file(logpath, &log);
    int hits = 0;
    for (int s = 0; s < n; s++) {
        char piece[13];
        snprintf(piece, sizeof piece, "%.12s", secrets[s]);
        if (strstr(dstr_cstr(&log), piece)) hits++, fprintf(rep, "  secret piece in %s\n", logpath);
        for (size_t i = 0; i < j.n; i++)
            if (strstr(dstr_cstr(&j.bodies[i]), piece))
                hits++, fprintf(rep, "  secret piece in %s\n", j.keys[i]);
    }
    int ok = hits == 0 && j.n > 0;
    fprintf(rep, "%s secrets: none in the functions' output or %zu journal objects\n",
            ok ? "ok  " : "FAIL", j.n);
    jobjs_free(&j);
    dstr_free(&log);
    return ok;
}

/* The trader processes retired by the host exit by themselves, so their
 * sanitizers report into the log: none may have. */
static int sanitizers_quiet(void) {
    dstr log = {0};
    drv_read_file(logpath, &log);
    const char *marks[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"};
    int hits = 0;
    for (int i = 0; i < 3; i++)
        if (strstr(dstr_cstr(&log), marks[i])) hits++;
    fprintf(rep, "%s sanitizers: no report in the functions' output (%zu bytes)\n",
            hits ? "FAIL" : "ok  ", log.len);
    dstr_free(&log);
    return !hits;
}

int main(int argc, char **argv) {
    char *files[MAX_FILES];
    int n = 0;
    const char *paths[64];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--forbid") && i + 1 < argc && n_forbid < MAX_FORBID)
            forbid[n_forbid++] = argv[++i];
        else if (!strcmp(argv[i], "-v")) verbose = 1;
        else if (i == 1 && !ends_with(argv[i], ".json") && strstr(argv[i], "build"))
            build = argv[i];
        else if (np < 64) paths[np++] = argv[i];
    }
    if (!np) paths[np++] = "tests/scenarios/exec";
    for (int i = 0; i < np; i++) add_path(paths[i], files, &n);
    /* the report keeps the original stdout; the functions' output goes to the log */
    rep = fdopen(dup(1), "w");
    snprintf(tmproot, sizeof tmproot, "/tmp/exec-scenarios.XXXXXX");
    if (!rep || !mkdtemp(tmproot)) return 2;
    snprintf(logpath, sizeof logpath, "%s/functions.log", tmproot);
    int lfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (lfd < 0) return 2;
    fflush(stdout);
    dup2(lfd, 1);
    dup2(lfd, 2);
    close(lfd);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int passed = 0, failed = 0;
    int64_t t0 = drv_mono_ms();
    if (load_account() || start_fake()) {
        fprintf(rep,
                "exec_scenarios: cannot start %s/bin/fake_binance (with %s) and fake_telegram\n",
                build, ACCOUNT_FILE);
        failed = 1;
    } else {
        fprintf(rep, "fake exchange %s; functions' output: %s\n", fake, logpath);
        for (int i = 0; i < n; i++) scenario(files[i], i) ? passed++ : failed++;
        secrets_absent() ? passed++ : failed++;
        sanitizers_quiet() ? passed++ : failed++;
    }
    pid_t pids[] = {fake_pid, tg_pid, sm_pid};
    for (int i = 0; i < 3; i++)
        if (pids[i] > 0) {
            kill(pids[i], SIGTERM);
            waitpid(pids[i], NULL, 0);
        }
    for (int i = 0; i < n; i++) free(files[i]);
    if (secret_dir[0]) drv_remove_tree(secret_dir);
    curl_global_cleanup();
    fprintf(rep, "exec_scenarios: %d passed, %d failed (%lld ms)\n", passed, failed,
            (long long)(drv_mono_ms() - t0));
    const char *copy =
        getenv("EXEC_SCENARIOS_LOG_OUT"); /* the functions' lines, for run_log_queries */
    if (copy && *copy) {
        dstr log = {0};
        drv_read_file(logpath, &log);
        FILE *out = fopen(copy, "w");
        if (!out || fwrite(log.ptr, 1, log.len, out) != log.len) failed++;
        if (out && fclose(out)) failed++;
        dstr_free(&log);
    }
    const char *keep = getenv("EXEC_SCENARIOS_KEEP"); /* "1": keep the log and journals */
    if (!failed && !(keep && !strcmp(keep, "1"))) drv_remove_tree(tmproot);
    fclose(rep);
    return failed ? 1 : 0;
}
