/* invlog: an invocation's log lines as one object: only that invocation's
 * lines, stdout untouched, the cap and its note, the record printed in full
 * (in parts) as journal.unwritten when it cannot be written, no secret in
 * it, and how the api frame reports an unwritten log (HTTP header, event
 * error). stdout is redirected to a file around the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame/api.h"
#include "services/invlog.h"
#include "platform/log.h"
#include "platform/secret.h"
#include "platform/runtime.h"
#include "aws/store_s3.h"
#include "blackhole.h"
#include "tmpstore.h"
#include "platform/clock.h"

#define FAR_DEADLINE (clock_wall_ms() + 60000)
#define T0 1767180907042LL /* 2025-12-31T11:35:07.042Z */

typedef struct fixture {
    tmpstore t;
    char out_path[600];
    int saved_stdout;
    dstr out; /* what the code under test printed */
    invlog l;
} fixture;

static fixture *current; /* for the api finisher */

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    *state = current = f;
    unsetenv("LOG_LEVEL");
    log_init("testfn");
    if (tmpstore_open(&f->t, 1)) return -1;
    snprintf(f->out_path, sizeof f->out_path, "%s/stdout", f->t.base);
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    invlog_free(&f->l);
    log_invocation_end();
    secret_clear();
    tmpstore_close(&f->t);
    dstr_free(&f->out);
    free(f);
    current = NULL;
    return 0;
}

static void stdout_to_file(fixture *f) {
    fflush(stdout);
    f->saved_stdout = dup(STDOUT_FILENO);
    int fd = open(f->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0 && f->saved_stdout >= 0);
    dup2(fd, STDOUT_FILENO);
    close(fd);
}

static void stdout_back(fixture *f) {
    fflush(stdout);
    dup2(f->saved_stdout, STDOUT_FILENO);
    close(f->saved_stdout);
    dstr_clear(&f->out);
    FILE *in = fopen(f->out_path, "rb");
    assert_non_null(in);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) dstr_append(&f->out, buf, n);
    fclose(in);
}

static void get(fixture *f, const char *key, dstr *out) {
    assert_int_equal(store_get(f->t.s, key, out, NULL), STORE_OK);
}

static size_t count_lines(const char *text) {
    size_t n = 0;
    for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++) n++;
    return n;
}

/* The "message" of every line of a record, joined with ','. */
static void messages(const char *record, dstr *out) {
    dstr_clear(out);
    for (const char *line = record; *line;) {
        const char *end = strchr(line, '\n');
        assert_non_null(end);
        cJSON *ev = cJSON_ParseWithLength(line, (size_t)(end - line));
        assert_true(cJSON_IsObject(ev));
        const cJSON *m = cJSON_GetObjectItem(ev, "message");
        dstr_printf(out, "%s%s", out->len ? "," : "", cJSON_IsString(m) ? m->valuestring : "?");
        cJSON_Delete(ev);
        line = end + 1;
    }
}

/* ---- collecting and writing ------------------------------------------------------------ */

static void test_collects_one_invocation_only(void **state) {
    fixture *f = *state;
    dstr key1 = {0}, key2 = {0}, rec = {0}, msgs = {0};
    stdout_to_file(f);
    log_msg(LOG_INFO, "t", "before");
    log_invocation_begin("req-1", NULL);
    invlog_begin(&f->l, "testfn", "req-1", T0, 0);
    log_msg(LOG_INFO, "t", "one");
    log_msg(LOG_WARN, "t", "two");
    int rc1 = invlog_end(&f->l, f->t.s, FAR_DEADLINE, &key1);
    log_msg(LOG_INFO, "t", "after");
    log_invocation_end();
    log_invocation_begin("req-2", NULL);
    invlog_begin(&f->l, "testfn", "req-2", T0 + 1, 0);
    log_msg(LOG_INFO, "t", "three");
    int rc2 = invlog_end(&f->l, f->t.s, FAR_DEADLINE, &key2);
    stdout_back(f);

    assert_int_equal(rc1, 0);
    assert_int_equal(rc2, 0);
    assert_string_equal(key1.ptr, "logs/20251231/113507042_testfn_req-1.jsonl");
    assert_string_equal(key2.ptr, "logs/20251231/113507043_testfn_req-2.jsonl");
    get(f, key1.ptr, &rec);
    messages(rec.ptr, &msgs);
    assert_string_equal(msgs.ptr, "one,two");
    assert_non_null(strstr(rec.ptr, "\"function_request_id\":\"req-1\""));
    assert_null(strstr(rec.ptr, "req-2"));
    get(f, key2.ptr, &rec);
    messages(rec.ptr, &msgs);
    assert_string_equal(msgs.ptr, "three");
    /* stdout still got every line */
    messages(f->out.ptr, &msgs);
    assert_string_equal(msgs.ptr, "before,one,two,after,three");
    dstr_free(&key1);
    dstr_free(&key2);
    dstr_free(&rec);
    dstr_free(&msgs);
}

static void test_nothing_logged_nothing_stored(void **state) {
    fixture *f = *state;
    invlog_begin(&f->l, "testfn", "req-1", T0, 0);
    assert_int_equal(invlog_end(&f->l, f->t.s, FAR_DEADLINE, NULL), 0);
    store_page page = {0};
    assert_int_equal(store_list(f->t.s, "", NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 0);
    store_page_free(&page);
    assert_int_equal(invlog_end(&f->l, f->t.s, FAR_DEADLINE, NULL), -1); /* not begun */
}

/* Lines past the cap stay out of the record (the head is kept, no gaps),
 * a closing note says how many; stdout has them all. */
static void test_cap_and_truncation_note(void **state) {
    fixture *f = *state;
    dstr key = {0}, rec = {0};
    char pad[81];
    memset(pad, 'p', 80);
    pad[80] = '\0';
    stdout_to_file(f);
    invlog_begin(&f->l, "testfn", "req-1", T0, 4096);
    for (int i = 0; i < 100; i++) log_msg(LOG_INFO, "t", "%03d %s", i, pad);
    int rc = invlog_end(&f->l, f->t.s, FAR_DEADLINE, &key);
    stdout_back(f);

    assert_int_equal(rc, 0);
    get(f, key.ptr, &rec);
    assert_true(rec.len <= 4096);
    size_t kept = count_lines(rec.ptr) - 1;
    assert_true(kept > 5 && kept < 100);
    for (size_t i = 0; i < kept; i++) { /* the first lines, in order */
        char want[32];
        snprintf(want, sizeof want, "\"%03zu ", i);
        assert_non_null(strstr(rec.ptr, want));
    }
    const char *last = rec.ptr + rec.len - 1;
    while (last > rec.ptr && last[-1] != '\n') last--;
    cJSON *note = cJSON_Parse(last);
    assert_string_equal(cJSON_GetObjectItem(note, "event")->valuestring, "invlog.truncated");
    assert_string_equal(cJSON_GetObjectItem(note, "level")->valuestring, "WARN");
    assert_int_equal(cJSON_GetObjectItem(note, "dropped_lines")->valueint, (int)(100 - kept));
    assert_true(cJSON_GetObjectItem(note, "dropped_bytes")->valueint > 0);
    assert_int_equal(cJSON_GetObjectItem(note, "cap_bytes")->valueint, 4096);
    cJSON_Delete(note);
    assert_int_equal(count_lines(f->out.ptr), 101); /* every line and the note */
    dstr_free(&key);
    dstr_free(&rec);
}

/* At level error the WARN note cannot come through log.c: the record
 * still ends with it. */
static void test_truncation_note_at_error_level(void **state) {
    fixture *f = *state;
    log_set_level(LOG_ERROR);
    dstr key = {0}, rec = {0};
    stdout_to_file(f);
    invlog_begin(&f->l, "testfn", "req-1", T0, 2048);
    for (int i = 0; i < 50; i++) log_msg(LOG_ERROR, "t", "error line %d of a long invocation", i);
    int rc = invlog_end(&f->l, f->t.s, FAR_DEADLINE, &key);
    stdout_back(f);
    log_set_level(LOG_INFO);
    assert_int_equal(rc, 0);
    get(f, key.ptr, &rec);
    assert_non_null(strstr(
        rec.ptr, "{\"level\":\"WARN\",\"event\":\"invlog.truncated\",\"service\":\"testfn\""));
    assert_true(rec.len <= 2048);
    dstr_free(&key);
    dstr_free(&rec);
}

/* ---- unwritten records --------------------------------------------------------------------- */

/* Every journal.unwritten event of kind log printed on stdout: their
 * records joined into one array; *parts the events seen. */
static cJSON *unwritten_lines(const char *out, int *parts, cJSON **first) {
    cJSON *all = cJSON_CreateArray();
    *parts = 0;
    *first = NULL;
    for (const char *line = out; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        assert_true(len < 256 * 1024); /* a CloudWatch event keeps 256 KB */
        cJSON *ev = cJSON_ParseWithLength(line, len);
        const cJSON *name = cJSON_GetObjectItem(ev, "event");
        if (cJSON_IsString(name) && !strcmp(name->valuestring, "journal.unwritten")) {
            (*parts)++;
            assert_int_equal(cJSON_GetObjectItem(ev, "part")->valueint, *parts);
            const cJSON *r;
            cJSON_ArrayForEach(r, cJSON_GetObjectItem(ev, "record"))
                cJSON_AddItemToArray(all, cJSON_Duplicate(r, 1));
            if (!*first) *first = ev;
            else cJSON_Delete(ev);
        } else {
            cJSON_Delete(ev);
        }
        line = end ? end + 1 : line + len;
    }
    return all;
}

static void test_unwritten_printed_in_full(void **state) {
    fixture *f = *state;
    stdout_to_file(f);
    log_invocation_begin("req-1", NULL);
    invlog_begin(&f->l, "testfn", "req-1", T0, 0);
    log_msg(LOG_INFO, "t", "one");
    log_msg(LOG_ERROR, "t", "two \"quoted\"");
    int rc = invlog_end(&f->l, NULL, FAR_DEADLINE, NULL);
    stdout_back(f);

    assert_int_equal(rc, -1);
    int parts;
    cJSON *first;
    cJSON *lines = unwritten_lines(f->out.ptr, &parts, &first);
    assert_int_equal(parts, 1);
    assert_string_equal(cJSON_GetObjectItem(first, "level")->valuestring, "ERROR");
    assert_string_equal(cJSON_GetObjectItem(first, "kind")->valuestring, "log");
    assert_string_equal(cJSON_GetObjectItem(first, "key")->valuestring,
                        "logs/20251231/113507042_testfn_req-1.jsonl");
    assert_string_equal(cJSON_GetObjectItem(first, "error")->valuestring,
                        "journal store unavailable");
    assert_int_equal(cJSON_GetObjectItem(first, "parts")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(first, "unwritten_in_process")->valueint, 1);
    assert_int_equal(cJSON_GetArraySize(lines), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(lines, 1), "message")->valuestring,
                        "two \"quoted\"");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(lines, 0), "function_request_id")->valuestring,
        "req-1");
    cJSON_Delete(first);
    cJSON_Delete(lines);

    /* the process keeps count */
    stdout_to_file(f);
    invlog_begin(&f->l, "testfn", "req-2", T0, 0);
    log_msg(LOG_INFO, "t", "three");
    rc = invlog_end(&f->l, NULL, FAR_DEADLINE, NULL);
    stdout_back(f);
    lines = unwritten_lines(f->out.ptr, &parts, &first);
    assert_int_equal(cJSON_GetObjectItem(first, "unwritten_in_process")->valueint, 2);
    cJSON_Delete(first);
    cJSON_Delete(lines);
}

/* A large record is printed in parts that each fit a CloudWatch event and
 * together hold every line, in order. */
static void test_unwritten_in_parts(void **state) {
    fixture *f = *state;
    char pad[1001];
    memset(pad, 'q', 1000);
    pad[1000] = '\0';
    stdout_to_file(f);
    invlog_begin(&f->l, "testfn", "req-1", T0, 0);
    for (int i = 0; i < 700; i++) log_msg(LOG_INFO, "t", "%d %s", i, pad);
    int rc = invlog_end(&f->l, NULL, FAR_DEADLINE, NULL);
    stdout_back(f);
    assert_int_equal(rc, -1);
    int parts;
    cJSON *first;
    cJSON *lines = unwritten_lines(f->out.ptr, &parts, &first);
    assert_true(parts >= 4);
    assert_int_equal(cJSON_GetObjectItem(first, "parts")->valueint, parts);
    assert_int_equal(cJSON_GetArraySize(lines), 700);
    for (int i = 0; i < 700; i++) {
        const char *m = cJSON_GetObjectItem(cJSON_GetArrayItem(lines, i), "message")->valuestring;
        assert_int_equal(atoi(m), i);
    }
    cJSON_Delete(first);
    cJSON_Delete(lines);
}

typedef struct failure_case {
    const char *name;
    int block_logs;    /* an object "logs" where the prefix must be: the store fails */
    int64_t left_ms;   /* time left before the deadline */
    const char *error; /* substring of the event's error */
} failure_case;

static const failure_case failure_cases[] = {
    {"store fails", 1, 60000, "io: "},
    {"deadline too close", 0, INVLOG_MIN_WRITE_MS / 2, "ms left before the deadline"},
    {"deadline passed", 0, -5, "ms left before the deadline"},
};

static void test_unwritten_failures(void **state) {
    fixture *f = *state;
    for (size_t i = 0; i < sizeof failure_cases / sizeof *failure_cases; i++) {
        const failure_case *c = &failure_cases[i];
        if (c->block_logs) assert_int_equal(store_put(f->t.s, "logs", "x", 1, NULL), STORE_OK);
        stdout_to_file(f);
        invlog_begin(&f->l, "testfn", "req-1", T0, 0);
        log_msg(LOG_INFO, "t", "kept anyway");
        int rc = invlog_end(&f->l, f->t.s, clock_wall_ms() + c->left_ms, NULL);
        stdout_back(f);
        if (rc != -1) fail_msg("%s: written", c->name);
        int parts;
        cJSON *first;
        cJSON *lines = unwritten_lines(f->out.ptr, &parts, &first);
        if (parts != 1 || !strstr(cJSON_GetObjectItem(first, "error")->valuestring, c->error))
            fail_msg("%s: %d parts, error %s", c->name, parts,
                     first ? cJSON_GetObjectItem(first, "error")->valuestring : "-");
        assert_int_equal(cJSON_GetArraySize(lines), 1);
        cJSON_Delete(first);
        cJSON_Delete(lines);
        store_page page = {0};
        assert_int_equal(store_list(f->t.s, "logs/", NULL, 10, &page, NULL), STORE_OK);
        assert_int_equal(page.n, 0);
        store_page_free(&page);
    }
}

/* A registered secret never reaches the stored record or the printed one. */
static void test_no_secret_stored_or_printed(void **state) {
    fixture *f = *state;
    static const char sentinel[] = "SENTINEL-7f3a9c2e-api-secret";
    secret_register(sentinel);
    dstr key = {0}, rec = {0};
    stdout_to_file(f);
    invlog_begin(&f->l, "testfn", "req-1", T0, 0);
    log_rec *r = log_begin(LOG_ERROR, "binance.order.request");
    log_str(r, "signature_by_mistake", sentinel);
    log_end(r);
    log_msg(LOG_INFO, "t", "query=timestamp=1&signature=%s", sentinel);
    int rc = invlog_end(&f->l, f->t.s, FAR_DEADLINE, &key);
    invlog_begin(&f->l, "testfn", "req-2", T0 + 1, 0);
    log_msg(LOG_INFO, "t", "again %s", sentinel);
    int rc2 = invlog_end(&f->l, NULL, FAR_DEADLINE, NULL);
    stdout_back(f);
    assert_int_equal(rc, 0);
    assert_int_equal(rc2, -1);
    get(f, key.ptr, &rec);
    assert_null(strstr(rec.ptr, "SENTINEL"));
    assert_non_null(strstr(rec.ptr, "[REDACTED]"));
    assert_null(strstr(f->out.ptr, "SENTINEL"));
    assert_non_null(strstr(f->out.ptr, "journal.unwritten"));
    dstr_free(&key);
    dstr_free(&rec);
}

static const struct {
    const char *function, *request_id;
    int64_t at;
    const char *want; /* NULL: refused */
} key_cases[] = {
    {"candles", "1b4e28ba-2fa1-41d2-883f-0016d3cca427", T0,
     "logs/20251231/113507042_candles_1b4e28ba-2fa1-41d2-883f-0016d3cca427.jsonl"},
    {"my_fn-2", "a.b:c_d", 0, "logs/19700101/000000000_my_fn-2_a.b:c_d.jsonl"},
    {"", "r", T0, NULL},
    {"bad/fn", "r", T0, NULL},
    {"fn", "", T0, NULL},
    {"fn", "r/../x", T0, NULL},
    {"fn", "r x", T0, NULL},
    {"fn", "r", -1, NULL},
    {"f234567890123456789012345678901234567890123456789012345678901234", "r", T0,
     "logs/20251231/"
     "113507042_f234567890123456789012345678901234567890123456789012345678901234_r.jsonl"},
    {"f2345678901234567890123456789012345678901234567890123456789012345", "r", T0, NULL},
};

static void test_keys(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof key_cases / sizeof *key_cases; i++) {
        char key[INVLOG_KEY_MAX];
        int rc = invlog_key(key_cases[i].function, key_cases[i].request_id, key_cases[i].at, key,
                            sizeof key);
        if (!key_cases[i].want) {
            if (rc == 0) fail_msg("case %zu accepted as %s", i, key);
            continue;
        }
        if (rc) fail_msg("case %zu refused", i);
        assert_string_equal(key, key_cases[i].want);
        assert_true(store_key_valid(key, NULL));
    }
}

/* ---- how the api frame reports an unwritten log ------------------------------------------------- */

static store *finish_store; /* NULL: the log cannot be written */

static int finish_log(api_ctx *ctx) {
    return invlog_end(&current->l, finish_store, ctx->inv->deadline_ms, NULL) ? 1 : 0;
}

static void ok_route(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    (void)ctx, (void)ev;
    res->status = 200;
    dstr_puts(&res->body, "{\"fine\":true}");
}

static void ok_event(api_ctx *ctx, const cJSON *input, rt_response *res) {
    (void)ctx;
    log_msg(LOG_INFO, "event.ran", "an event"); /* an invocation without lines keeps no record */
    if (cJSON_IsTrue(cJSON_GetObjectItem(input, "fail")))
        rt_response_fail(res, "Own.Error", "the handler failed by itself");
    else dstr_puts(&res->body, "{\"ran\":1}");
}

static const char *const no_params[] = {NULL};
static const api_route routes[] = {{"GET", "/api/ok", ok_route, no_params}};
static const api_function fn = {
    .name = "testfn", .routes = routes, .n_routes = 1, .on_event = ok_event};

static const char http_event[] =
    "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/api/"
    "ok\",\"rawQueryString\":\"\","
    "\"headers\":{},\"requestContext\":{\"stage\":\"$default\",\"http\":{\"method\":\"GET\","
    "\"path\":\"/api/ok\"}},\"isBase64Encoded\":false}";

static void discard_log(api_ctx *ctx) {
    invlog_discard(&current->l);
    ctx->finish = NULL;
}

static void run(fixture *f, const char *payload, rt_response *res) {
    cfg c;
    memset(&c, 0, sizeof c);
    rt_invocation inv = {.request_id = "req-1",
                         .deadline_ms = FAR_DEADLINE,
                         .payload = payload,
                         .payload_len = strlen(payload)};
    api_ctx ctx = {.cfg = &c,
                   .inv = &inv,
                   .deadline_ms = inv.deadline_ms - API_RESERVE_MS,
                   .finish = finish_log,
                   .discard = discard_log};
    memset(res, 0, sizeof *res);
    stdout_to_file(f);
    invlog_begin(&f->l, "testfn", "req-1", clock_wall_ms(), 0);
    api_dispatch(&fn, &ctx, payload, strlen(payload), res);
    stdout_back(f);
}

static void test_api_http_keeps_its_answer(void **state) {
    fixture *f = *state;
    rt_response res;
    finish_store = NULL;
    run(f, http_event, &res);
    cJSON *out = cJSON_Parse(res.body.ptr);
    assert_int_equal(cJSON_GetObjectItem(out, "statusCode")->valueint, 200);
    assert_string_equal(cJSON_GetObjectItem(out, "body")->valuestring, "{\"fine\":true}");
    const cJSON *h =
        cJSON_GetObjectItem(cJSON_GetObjectItem(out, "headers"), "x-journal-unwritten");
    assert_true(cJSON_IsString(h));
    assert_string_equal(h->valuestring, "1");
    assert_non_null(strstr(f->out.ptr, "\"event\":\"journal.unwritten\""));
    assert_non_null(strstr(f->out.ptr, "\"event\":\"http.request\""));
    cJSON_Delete(out);
    dstr_free(&res.body);

    /* written: no header, and the record holds the request line */
    finish_store = f->t.s;
    run(f, http_event, &res);
    out = cJSON_Parse(res.body.ptr);
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "headers"), "x-journal-unwritten"));
    cJSON_Delete(out);
    dstr_free(&res.body);
    store_page page = {0};
    assert_int_equal(store_list(f->t.s, "logs/", NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 1);
    dstr rec = {0};
    get(f, page.keys[0], &rec);
    assert_non_null(strstr(rec.ptr, "\"event\":\"http.request\""));
    assert_non_null(strstr(rec.ptr, "\"path\":\"/api/ok\""));
    store_page_free(&page);
    dstr_free(&rec);
}

static const char health_event[] =
    "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/"
    "health\",\"rawQueryString\":\"\","
    "\"headers\":{},\"requestContext\":{\"stage\":\"$default\",\"http\":{\"method\":\"GET\","
    "\"path\":\"/health\"}},\"isBase64Encoded\":false}";

static void test_api_health_probe_keeps_no_record(void **state) {
    fixture *f = *state;
    rt_response res;
    finish_store = f->t.s;
    run(f, health_event, &res);
    assert_non_null(strstr(res.body.ptr, "\"statusCode\":200"));
    assert_non_null(strstr(f->out.ptr, "\"path\":\"/health\"")); /* still on stdout */
    dstr_free(&res.body);
    store_page page = {0};
    assert_int_equal(store_list(f->t.s, "logs/", NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 0);
    store_page_free(&page);
    run(f, http_event, &res); /* and the next invocation is journaled as usual */
    dstr_free(&res.body);
    assert_int_equal(store_list(f->t.s, "logs/", NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 1);
    store_page_free(&page);
}

/* An unwritten log never makes a function error (Lambda would retry a
 * scheduled run): the event keeps its result and the frame logs the loss. */
static void test_api_event_keeps_its_result(void **state) {
    fixture *f = *state;
    rt_response res;
    finish_store = NULL;
    run(f, "{\"source\":\"scheduler\"}", &res);
    assert_false(res.failed);
    assert_string_equal(res.body.ptr, "{\"ran\":1}");
    assert_non_null(strstr(f->out.ptr, "\"event\":\"journal.unwritten_summary\""));
    assert_non_null(strstr(f->out.ptr, "\"unwritten\":1,\"records\":0,\"log\":1"));
    dstr_free(&res.body);

    /* a handler that failed keeps its own error */
    run(f, "{\"fail\":true}", &res);
    assert_string_equal(res.error_type, "Own.Error");
    dstr_free(&res.body);
    run(f, "not an event", &res);
    assert_string_equal(res.error_type, "Function.BadEvent");
    assert_non_null(strstr(f->out.ptr, "\"kind\":\"log\""));
    dstr_free(&res.body);

    finish_store = f->t.s;
    run(f, "{\"source\":\"scheduler\"}", &res);
    assert_false(res.failed);
    assert_string_equal(res.body.ptr, "{\"ran\":1}");
    dstr_free(&res.body);
}

/* An S3 that accepts and never answers (5 s attempts, 3 retries): the write
 * ends INVLOG_PRINT_MS before the deadline and the record is printed. */
static void test_blackhole_write_ends_before_deadline(void **state) {
    fixture *f = *state;
    blackhole *bh = bh_start();
    assert_non_null(bh);
    const char *url = bh_url(bh);
    store_s3_settings set = {
        .region = "eu-west-1",
        .endpoint = url,
        .cred = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL},
        .policy = {.service = "s3", .timeout_ms = 5000, .retries = 3, .backoff_ms = 200}};
    store_s3_register(&set);
    store *s = store_open("s3://journal-bucket/e2e", NULL);
    assert_non_null(s);
    stdout_to_file(f);
    invlog_begin(&f->l, "testfn", "req-bh", T0, 0);
    log_msg(LOG_INFO, "t", "one");
    int64_t t0 = clock_wall_ms(), deadline = t0 + 700;
    int rc = invlog_end(&f->l, s, deadline, NULL);
    int64_t end = clock_wall_ms();
    stdout_back(f);
    assert_int_equal(rc, -1);
    if (end > deadline)
        fail_msg("the write ended %lld ms after the deadline", (long long)(end - deadline));
    assert_non_null(strstr(f->out.ptr, "\"event\":\"journal.unwritten\""));
    assert_non_null(strstr(f->out.ptr, "\"kind\":\"log\""));
    store_close(s);
    bh_stop(bh);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_collects_one_invocation_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_logged_nothing_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_and_truncation_note, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation_note_at_error_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritten_printed_in_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blackhole_write_ends_before_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritten_in_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritten_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_secret_stored_or_printed, setup, teardown),
        cmocka_unit_test(test_keys),
        cmocka_unit_test_setup_teardown(test_api_http_keeps_its_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_health_probe_keeps_no_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_event_keeps_its_result, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
