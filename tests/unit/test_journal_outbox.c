/* Unit tests for shared/services/journal_outbox.c and alerts.c: the alert
 * outbox (create-only, one alert per event, sent markers, pending oldest
 * first) and its delivery through Telegram (the scripted mini_server):
 * every alert delivered once and in order after Telegram was down for
 * several runs, a process killed between writing and sending, 429 beyond
 * the budget, 403, an alert storm folded into one message, and a sentinel
 * token in no record and no log line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mini_server.h"
#include "platform/clock.h"
#include "platform/secret.h"
#include "services/alerts.h"
#include "services/journal_outbox.h"
#include "tgfix.h"
#include "tmpstore.h"

#define TOKEN "987654321:SENTINEL-outbox-token-never-stored"
#define SEND_PATH "/bot" TOKEN "/sendMessage"
#define CHAT "-1001234567890"
#define T0 1764928800000LL /* 2025-12-05 10:00:00 UTC */
#define MIN 60000LL

static const char ok_body[] = "{\"ok\":true,\"result\":{\"message_id\":5,\"chat\":{\"id\":-1}}}";

typedef struct fixture {
    tgfix tg;
    tmpstore ts;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tmpstore_open(&f->ts, 1), 0);
    assert_int_equal(tgfix_open(&f->tg, TOKEN, CHAT, 1), 0);
    *state = f;
    return 0;
}

/* Greps every file under dir for needle. */
static int tree_has(const char *dir, const char *needle) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while (d && !found && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            found = tree_has(path, needle);
            continue;
        }
        FILE *fp = fopen(path, "rb");
        dstr buf = {0};
        char chunk[4096];
        size_t n;
        while (fp && (n = fread(chunk, 1, sizeof chunk, fp)) > 0) dstr_append(&buf, chunk, n);
        if (fp) fclose(fp);
        found = buf.len && strstr(buf.ptr, needle) != NULL;
        dstr_free(&buf);
    }
    if (d) closedir(d);
    return found;
}

static int teardown(void **state) {
    fixture *f = *state;
    /* the token: in no log line, no journal object */
    assert_false(tree_has(f->ts.base, "SENTINEL-outbox"));
    tmpstore_close(&f->ts);
    int rc = tgfix_close(&f->tg, "SENTINEL-outbox");
    free(f);
    assert_int_equal(rc, 0);
    return 0;
}

static journal_status put(fixture *f, const char *type, const char *event, int64_t at,
                          const char *text) {
    journal_outbox a = {.type = type,
                        .event = event,
                        .at_ms = at,
                        .created_ms = at + 5,
                        .text = text,
                        .run_id = "run-1"};
    return journal_outbox_put(f->ts.s, &a, NULL, NULL);
}

static alerts_report deliver(fixture *f, int64_t now, long budget_ms, size_t storm_max) {
    alerts_opts o = {
        .now_ms = now, .deadline_ms = clock_wall_ms() + budget_ms, .storm_max = storm_max};
    alerts_report rep;
    dstr err = {0};
    assert_int_equal(alerts_deliver(f->ts.s, f->tg.http, &f->tg.t, &o, &rep, &err), 0);
    dstr_free(&err);
    return rep;
}

static size_t pending(fixture *f, int64_t now) {
    journal_outbox_list l;
    assert_int_equal(journal_outbox_pending(f->ts.s, now, 7, &l, NULL), JOURNAL_OK);
    size_t n = l.n;
    journal_outbox_list_free(&l);
    return n;
}

/* The texts of the requests Telegram accepted (answered 200), in arrival order. */
static void accepted_texts(fixture *f, size_t first, dstr *out) {
    for (size_t i = first; i < ms_request_count(f->tg.srv); i++)
        dstr_puts(out, ms_request_at(f->tg.srv, i)->body);
}

/* ---- the records -------------------------------------------------------------------- */

static void test_put_is_per_event(void **state) {
    fixture *f = *state;
    char key[JOURNAL_OUTBOX_KEY_MAX];
    assert_int_equal(journal_outbox_key("exit", "BTCUSDT.42", T0, key, sizeof key), 0);
    assert_string_equal(key, "outbox/20251205/100000000_exit_BTCUSDT.42.json");
    assert_int_equal(put(f, "exit", "BTCUSDT.42", T0, "stop filled"), JOURNAL_OK);
    assert_int_equal(put(f, "exit", "BTCUSDT.42", T0, "stop filled again"), JOURNAL_EXISTS);
    assert_int_equal(put(f, "entry", "BTCUSDT.42", T0, "same id, other type"), JOURNAL_OK);
    /* the rules */
    assert_int_equal(put(f, "fills", "BTCUSDT.43", T0, "x"), JOURNAL_INVALID);
    assert_int_equal(put(f, "exit", "BTC/43", T0, "x"), JOURNAL_INVALID);
    assert_int_equal(put(f, "exit", "BTCUSDT.44", T0, ""), JOURNAL_INVALID);
    assert_int_equal(put(f, "exit", "BTCUSDT.45", -1, "x"), JOURNAL_INVALID);
    /* the stored record reads back */
    dstr buf = {0};
    assert_int_equal(store_get(f->ts.s, key, &buf, NULL), STORE_OK);
    journal_outbox_info info;
    assert_int_equal(journal_outbox_parse(buf.ptr, buf.len, &info, NULL), 0);
    assert_string_equal(info.type, "exit");
    assert_string_equal(info.event, "BTCUSDT.42");
    assert_string_equal(info.text.ptr, "stop filled");
    assert_string_equal(info.run_id, "run-1");
    assert_int_equal(info.at_ms, T0);
    journal_outbox_info_free(&info);
    dstr_free(&buf);
    static const char *const corrupt[] = {"[]", "{\"type\":\"exit\"}",
                                          "{\"type\":\"nope\",\"event\":\"a\",\"at_ms\":1,"
                                          "\"created_ms\":1,\"text\":\"x\"}",
                                          "{\"type\":\"exit\",\"event\":\"a\",\"at_ms\":1,"
                                          "\"created_ms\":1,\"text\":7}"};
    for (size_t i = 0; i < sizeof corrupt / sizeof *corrupt; i++) {
        dstr why = {0};
        assert_int_equal(journal_outbox_parse(corrupt[i], strlen(corrupt[i]), &info, &why), -1);
        assert_true(why.len > 0);
        journal_outbox_info_free(&info);
        dstr_free(&why);
    }
}

static void test_pending_oldest_first(void **state) {
    fixture *f = *state;
    /* written out of order, across a day boundary */
    assert_int_equal(put(f, "risk", "kill.1", T0 + 3 * MIN, "third"), JOURNAL_OK);
    assert_int_equal(put(f, "entry", "ETH.1", T0 - 86400000LL, "first (yesterday)"), JOURNAL_OK);
    assert_int_equal(put(f, "exit", "BTC.1", T0 + MIN, "second"), JOURNAL_OK);
    journal_outbox_list l;
    assert_int_equal(journal_outbox_pending(f->ts.s, T0 + 10 * MIN, 7, &l, NULL), JOURNAL_OK);
    assert_int_equal(l.n, 3);
    assert_non_null(strstr(l.keys[0], "_entry_ETH.1"));
    assert_non_null(strstr(l.keys[1], "_exit_BTC.1"));
    assert_non_null(strstr(l.keys[2], "_risk_kill.1"));
    /* marking the middle one leaves the others, in order */
    int ok[1];
    assert_int_equal(journal_outbox_mark_sent(f->ts.s, &l.keys[1], 1, T0, "message", 5, 0, ok), 1);
    assert_int_equal(ok[0], 1);
    /* marking again counts as marked (create-only, already there) */
    assert_int_equal(journal_outbox_mark_sent(f->ts.s, &l.keys[1], 1, T0, "message", 5, 0, NULL),
                     1);
    journal_outbox_list_free(&l);
    assert_int_equal(journal_outbox_pending(f->ts.s, T0 + 10 * MIN, 7, &l, NULL), JOURNAL_OK);
    assert_int_equal(l.n, 2);
    assert_non_null(strstr(l.keys[0], "_entry_ETH.1"));
    assert_non_null(strstr(l.keys[1], "_risk_kill.1"));
    journal_outbox_list_free(&l);
    /* the window: yesterday's alert is out of a 0-day lookback */
    assert_int_equal(journal_outbox_pending(f->ts.s, T0 + 10 * MIN, 0, &l, NULL), JOURNAL_OK);
    assert_int_equal(l.n, 1);
    journal_outbox_list_free(&l);
    assert_int_equal(journal_outbox_pending(NULL, T0, 7, &l, NULL), JOURNAL_UNAVAILABLE);
}

/* ---- delivery ----------------------------------------------------------------------- */

static void test_deliver_packs_in_order(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.path = SEND_PATH, .body = ok_body, .repeat = 1}};
    ms_script(f->tg.srv, steps, 1);
    assert_int_equal(put(f, "entry", "BTC.1", T0, "alert one"), JOURNAL_OK);
    assert_int_equal(put(f, "exit", "BTC.2", T0 + MIN, "alert two\nwith a second line"),
                     JOURNAL_OK);
    assert_int_equal(put(f, "reconcile", "BTC.3", T0 + 2 * MIN, "alert three"), JOURNAL_OK);
    alerts_report rep = deliver(f, T0 + 3 * MIN, 3000, 0);
    assert_int_equal(rep.pending, 3);
    assert_int_equal(rep.delivered, 3);
    assert_int_equal(rep.messages, 1);
    assert_int_equal(ms_request_count(f->tg.srv), 1);
    assert_string_equal(ms_request_at(f->tg.srv, 0)->body,
                        "{\"chat_id\":\"" CHAT "\",\"text\":\"alert one\\n\\nalert two\\nwith a "
                        "second line\\n\\nalert three\"}");
    assert_int_equal(pending(f, T0 + 3 * MIN), 0);
    /* nothing twice: a second call sends nothing */
    rep = deliver(f, T0 + 4 * MIN, 3000, 0);
    assert_int_equal(rep.pending, 0);
    assert_int_equal(ms_request_count(f->tg.srv), 1);
    /* the marker says how */
    dstr buf = {0};
    assert_int_equal(
        store_get(f->ts.s, "outbox-sent/20251205/100000000_entry_BTC.1.json", &buf, NULL),
        STORE_OK);
    assert_non_null(strstr(buf.ptr, "\"via\":\"message\",\"message_id\":5"));
    dstr_free(&buf);
}

/* Telegram down for three runs (each writes two alerts and tries), then
 * back: every alert arrives, in order, once. */
static void test_down_then_back(void **state) {
    fixture *f = *state;
    ms_step down[] = {{.path = SEND_PATH, .status = 503, .body = "", .repeat = 1}};
    ms_script(f->tg.srv, down, 1);
    char event[32], text[64];
    for (int run = 0; run < 3; run++) {
        for (int k = 0; k < 2; k++) {
            int n = run * 2 + k;
            snprintf(event, sizeof event, "BTC.%d", n);
            snprintf(text, sizeof text, "alert #%d", n);
            assert_int_equal(put(f, "exit", event, T0 + n * MIN, text), JOURNAL_OK);
        }
        alerts_report rep = deliver(f, T0 + (run * 2 + 2) * MIN, 2000, 0);
        assert_int_equal(rep.pending, (size_t)(run + 1) * 2);
        assert_int_equal(rep.delivered, 0);
        assert_int_equal(rep.later, (size_t)(run + 1) * 2);
    }
    assert_int_equal(pending(f, T0 + 10 * MIN), 6);
    size_t before = ms_request_count(f->tg.srv);
    ms_step up[] = {{.path = SEND_PATH, .body = ok_body, .repeat = 1}};
    ms_script(f->tg.srv, up, 1);
    alerts_report rep = deliver(f, T0 + 10 * MIN, 3000, 0);
    assert_int_equal(rep.delivered, 6);
    dstr got = {0};
    accepted_texts(f, before, &got);
    const char *p = got.ptr;
    for (int n = 0; n < 6; n++) {
        snprintf(text, sizeof text, "alert #%d", n);
        const char *at = strstr(p, text);
        assert_non_null(at); /* in order */
        p = at + strlen(text);
        assert_null(strstr(p, text)); /* once */
    }
    dstr_free(&got);
    deliver(f, T0 + 11 * MIN, 3000, 0);
    assert_int_equal(ms_request_count(f->tg.srv), before + 1);
}

/* The process dies after writing the outbox record, before sending: a fresh
 * client in a later invocation delivers it. */
static void test_killed_before_send(void **state) {
    fixture *f = *state;
    assert_int_equal(put(f, "emergency", "BTC.9", T0, "emergency close BTCUSDT"), JOURNAL_OK);
    /* ... killed here: nothing sent, nothing marked ... */
    store_close(f->ts.s);
    dstr err = {0};
    f->ts.s = store_open(f->ts.url, &err);
    assert_non_null(f->ts.s);
    dstr_free(&err);
    http_client_free(f->tg.http);
    f->tg.http = http_client_new(NULL);
    telegram_client fresh;
    assert_int_equal(telegram_client_init(&fresh, &f->tg.conf, NULL), 0);
    ms_step steps[] = {{.path = SEND_PATH, .body = ok_body}};
    ms_script(f->tg.srv, steps, 1);
    alerts_opts o = {.now_ms = T0 + MIN, .deadline_ms = clock_wall_ms() + 3000};
    alerts_report rep;
    assert_int_equal(alerts_deliver(f->ts.s, f->tg.http, &fresh, &o, &rep, NULL), 0);
    assert_int_equal(rep.delivered, 1);
    assert_non_null(strstr(ms_request_at(f->tg.srv, 0)->body, "emergency close BTCUSDT"));
    assert_int_equal(pending(f, T0 + MIN), 0);
}

static void test_429_beyond_budget_kept(void **state) {
    fixture *f = *state;
    ms_step flood[] = {{.path = SEND_PATH,
                        .status = 429,
                        .body = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many "
                                "Requests: retry after 20\",\"parameters\":{\"retry_after\":20}}"}};
    ms_script(f->tg.srv, flood, 1);
    assert_int_equal(put(f, "entry", "ETH.1", T0, "entered ETHUSDT"), JOURNAL_OK);
    alerts_report rep = deliver(f, T0 + MIN, 1500, 0);
    assert_int_equal(rep.later, 1);
    assert_int_equal(rep.retry_after_s, 20);
    assert_int_equal(ms_request_count(f->tg.srv), 1);
    assert_int_equal(pending(f, T0 + MIN), 1);
    assert_non_null(strstr(dstr_cstr(&f->tg.logs), "\"event\":\"alerts.delivered\""));
    /* a later run, past the wait: delivered */
    ms_step ok[] = {{.path = SEND_PATH, .body = ok_body}};
    ms_script(f->tg.srv, ok, 1);
    rep = deliver(f, T0 + 2 * MIN, 3000, 0);
    assert_int_equal(rep.delivered, 1);
    assert_int_equal(pending(f, T0 + 2 * MIN), 0);
}

static void test_403_kept_and_said(void **state) {
    fixture *f = *state;
    ms_step blocked[] = {{.path = SEND_PATH,
                          .status = 403,
                          .body = "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: "
                                  "bot was blocked by the user\"}"}};
    ms_script(f->tg.srv, blocked, 1);
    assert_int_equal(put(f, "risk", "kill.1", T0, "kill switch tripped"), JOURNAL_OK);
    alerts_report rep = deliver(f, T0 + MIN, 3000, 0);
    assert_int_equal(rep.refused, 1);
    assert_int_equal(rep.delivered, 0);
    assert_int_equal(ms_request_count(f->tg.srv), 1);
    assert_non_null(strstr(rep.why, "Forbidden: bot was blocked by the user"));
    assert_int_equal(pending(f, T0 + MIN), 1); /* unblocked later, it still arrives */
}

static void test_storm_folded(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.path = SEND_PATH, .body = ok_body, .repeat = 1}};
    ms_script(f->tg.srv, steps, 1);
    char event[32];
    for (int n = 0; n < 15; n++) {
        snprintf(event, sizeof event, "SYM.%02d", n);
        assert_int_equal(put(f, n % 3 ? "reconcile" : "upstream", event, T0 + n * 1000, "x"),
                         JOURNAL_OK);
    }
    alerts_report rep = deliver(f, T0 + MIN, 3000, 10);
    assert_true(rep.storm);
    assert_int_equal(rep.messages, 1);
    assert_int_equal(rep.delivered, 15);
    assert_int_equal(ms_request_count(f->tg.srv), 1);
    const char *body = ms_request_at(f->tg.srv, 0)->body;
    assert_non_null(strstr(body, "ALERT STORM: 15 alerts pending"));
    assert_non_null(strstr(body, "By type: reconcile 10, upstream 5"));
    assert_non_null(strstr(body, "From 2025-12-05 10:00:00 to 2025-12-05 10:00:14 UTC"));
    assert_non_null(strstr(body, "10:00:00 upstream SYM.00"));
    assert_true(strstr(body, "SYM.00") < strstr(body, "SYM.14"));
    assert_int_equal(pending(f, T0 + MIN), 0);
    /* a huge storm still makes one message within the limit */
    dstr keys_text = {0};
    char *keys[600];
    for (int n = 0; n < 600; n++) {
        char k[JOURNAL_OUTBOX_KEY_MAX];
        snprintf(event, sizeof event, "SYM.%03d", n);
        journal_outbox_key("alarm", event, T0 + n, k, sizeof k);
        keys[n] = strdup(k);
    }
    alerts_storm_text(keys, 600, &keys_text);
    assert_true(telegram_utf16_len(keys_text.ptr, keys_text.len) <= TELEGRAM_TEXT_MAX);
    assert_non_null(strstr(keys_text.ptr, "more (the journal's outbox/ has them all)"));
    for (int n = 0; n < 600; n++) free(keys[n]);
    dstr_free(&keys_text);
}

/* A careless caller puts the token in an alert's text: the record is
 * scrubbed (teardown greps the store and the logs). */
static void test_token_scrubbed_from_records(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.path = SEND_PATH, .body = ok_body}};
    ms_script(f->tg.srv, steps, 1);
    assert_int_equal(put(f, "config", "init.1", T0, "bad config near " TOKEN), JOURNAL_OK);
    alerts_report rep = deliver(f, T0 + MIN, 3000, 0);
    assert_int_equal(rep.delivered, 1);
    assert_non_null(strstr(ms_request_at(f->tg.srv, 0)->body, "[REDACTED]"));
}

static void test_corrupt_record_marked(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.path = SEND_PATH, .body = ok_body}};
    ms_script(f->tg.srv, steps, 1);
    const char *junk = "{\"type\":\"exit\"}";
    assert_int_equal(store_put_new(f->ts.s, "outbox/20251205/100000000_exit_BAD.1.json", junk,
                                   strlen(junk), NULL),
                     STORE_OK);
    assert_int_equal(put(f, "exit", "GOOD.1", T0 + 1, "good one"), JOURNAL_OK);
    alerts_report rep = deliver(f, T0 + MIN, 3000, 0);
    assert_int_equal(rep.corrupt, 1);
    assert_int_equal(rep.delivered, 1);
    assert_int_equal(pending(f, T0 + MIN), 0);
    assert_non_null(strstr(dstr_cstr(&f->tg.logs), "\"event\":\"journal.corrupt\""));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_is_per_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deliver_packs_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_then_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_killed_before_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_429_beyond_budget_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_403_kept_and_said, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storm_folded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_scrubbed_from_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_record_marked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
