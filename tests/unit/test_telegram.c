/* Unit tests for shared/services/telegram.c: splitting as Telegram counts
 * (UTF-16 code units), the Bot API answer parser, and sendMessage against
 * the scripted mini_server: 429 inside and beyond the deadline, 403/401/400
 * not retried, migrate_to_chat_id followed, 5xx and hangs, and a sentinel
 * token that never reaches a log line or a result (trading-apis.md §4). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mini_server.h"
#include "tgfix.h"
#include "platform/clock.h"
#include "platform/config.h"
#include "platform/dstr.h"
#include "platform/http.h"
#include "platform/secret.h"
#include "services/telegram.h"

#define TOKEN "987654321:SENTINEL-telegram-token-never-shown"
#define SEND_PATH "/bot" TOKEN "/sendMessage"
#define CHAT "-1001234567890"
#define EMOJI "\xF0\x9F\x98\x80" /* U+1F600: 4 bytes, 2 UTF-16 units */
#define CJK "\xE4\xB8\xAD"       /* U+4E2D: 3 bytes, 1 unit */

/* ---- splitting -------------------------------------------------------------------- */

static void repeat(dstr *d, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) dstr_puts(d, s);
}

/* Every chunk fits, starts and ends on code points, and the chunks with the
 * dropped '\n's give back the text. */
static size_t split_checked(const char *text, size_t len, telegram_chunk *c, size_t cap) {
    size_t rest = 99, n = telegram_split(text, len, TELEGRAM_TEXT_MAX, c, cap, &rest);
    assert_int_equal(rest, 0);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(telegram_utf16_len(text + c[i].off, c[i].len) <= TELEGRAM_TEXT_MAX);
        while (pos < c[i].off) assert_int_equal(text[pos++], '\n');
        dstr clean = {0};
        telegram_sanitize(text + c[i].off, c[i].len, &clean); /* a cut sequence would change */
        assert_int_equal(clean.len, c[i].len);
        assert_memory_equal(clean.ptr, text + c[i].off, c[i].len);
        dstr_free(&clean);
        pos = c[i].off + c[i].len;
    }
    while (pos < len) assert_int_equal(text[pos++], '\n');
    return n;
}

static void test_split_lines(void **state) {
    (void)state;
    dstr t = {0};
    telegram_chunk c[8];
    dstr_puts(&t, "short alert");
    assert_int_equal(split_checked(t.ptr, t.len, c, 8), 1);
    dstr_clear(&t);
    /* three 3,000-character lines: one a chunk, cut at the newlines */
    for (int i = 0; i < 3; i++) {
        repeat(&t, i == 0 ? "a" : i == 1 ? "b" : "c", 3000);
        dstr_putc(&t, '\n');
    }
    assert_int_equal(split_checked(t.ptr, t.len, c, 8), 3);
    assert_int_equal(c[1].len, 3000);
    assert_int_equal(t.ptr[c[1].off], 'b');
    dstr_clear(&t);
    /* exactly the limit is one chunk; one more unit is two */
    repeat(&t, "x", TELEGRAM_TEXT_MAX);
    assert_int_equal(split_checked(t.ptr, t.len, c, 8), 1);
    dstr_putc(&t, 'y');
    assert_int_equal(split_checked(t.ptr, t.len, c, 8), 2);
    assert_int_equal(c[1].len, 1);
    /* blank-only text makes no chunk */
    assert_int_equal(telegram_split("\n \n\n", 4, TELEGRAM_TEXT_MAX, c, 8, NULL), 0);
    dstr_free(&t);
}

static void test_split_multibyte(void **state) {
    (void)state;
    dstr t = {0};
    telegram_chunk c[8];
    /* emoji count 2 units: 3,000 of them are 6,000 units, cut after 2,048 */
    repeat(&t, EMOJI, 3000);
    assert_int_equal(telegram_utf16_len(t.ptr, t.len), 6000);
    assert_int_equal(split_checked(t.ptr, t.len, c, 8), 2);
    assert_int_equal(c[0].len, 2048 * 4);
    dstr_clear(&t);
    /* an odd start: a surrogate pair would straddle the limit, so it moves on */
    dstr_putc(&t, 'a');
    repeat(&t, EMOJI, 2048);
    assert_int_equal(split_checked(t.ptr, t.len, c, 8), 2);
    assert_int_equal(telegram_utf16_len(t.ptr + c[0].off, c[0].len), 4095);
    dstr_clear(&t);
    /* CJK counts 1 unit in 3 bytes: 5,000 -> 4,096 + 904 */
    repeat(&t, CJK, 5000);
    assert_int_equal(telegram_utf16_len(t.ptr, t.len), 5000);
    assert_int_equal(split_checked(t.ptr, t.len, c, 8), 2);
    assert_int_equal(c[0].len, 4096 * 3);
    assert_int_equal(c[1].len, 904 * 3);
    dstr_clear(&t);
    /* lines of emoji and CJK: whole lines while they fit */
    repeat(&t, EMOJI, 1500); /* 3,000 units */
    dstr_putc(&t, '\n');
    repeat(&t, CJK, 1500); /* 1,500 units: 4,501 with the first, too many */
    dstr_putc(&t, '\n');
    repeat(&t, CJK, 10);
    assert_int_equal(split_checked(t.ptr, t.len, c, 8), 2);
    assert_int_equal(c[0].len, 1500 * 4);
    assert_int_equal(telegram_utf16_len(t.ptr + c[1].off, c[1].len), 1511);
    dstr_free(&t);
}

static void test_sanitize(void **state) {
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"plain", 5, "plain"},
        {"a\x80z", 3, "a\xEF\xBF\xBDz"},                             /* stray continuation */
        {"\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},                 /* overlong '/' */
        {"\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* a surrogate */
        {"\xF0\x9F\x98", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* cut */
        {"a\0b", 3,
         "a\xEF\xBF\xBD"
         "b"},
        {EMOJI CJK, 7, EMOJI CJK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dstr d = {0};
        telegram_sanitize(cases[i].in, cases[i].len, &d);
        assert_string_equal(d.ptr, cases[i].out);
        dstr_free(&d);
    }
    assert_int_equal(telegram_utf16_len("a\x80", 2), 2);
}

/* ---- the answer parser ------------------------------------------------------------ */

static void test_parse_answer(void **state) {
    (void)state;
    telegram_answer a;
    const char *ok = "{\"ok\":true,\"result\":{\"message_id\":77,\"chat\":{\"id\":-100}}}";
    assert_int_equal(telegram_parse_answer(ok, strlen(ok), &a), 0);
    assert_true(a.ok);
    assert_int_equal(a.message_id, 77);
    const char *flood = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: "
                        "retry after 35\",\"parameters\":{\"retry_after\":35}}";
    assert_int_equal(telegram_parse_answer(flood, strlen(flood), &a), 0);
    assert_false(a.ok);
    assert_int_equal(a.error_code, 429);
    assert_int_equal(a.retry_after_s, 35);
    assert_string_equal(a.description, "Too Many Requests: retry after 35");
    const char *moved =
        "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: group "
        "chat was upgraded\",\"parameters\":{\"migrate_to_chat_id\":-1009876543210}}";
    assert_int_equal(telegram_parse_answer(moved, strlen(moved), &a), 0);
    assert_string_equal(a.migrate_to, "-1009876543210");
    /* wrong types and ranges are left out, not trusted */
    const char *odd = "{\"ok\":false,\"error_code\":\"429\",\"description\":7,\"parameters\":"
                      "{\"retry_after\":-5,\"migrate_to_chat_id\":1.5},\"result\":[]}";
    assert_int_equal(telegram_parse_answer(odd, strlen(odd), &a), 0);
    assert_int_equal(a.error_code, 0);
    assert_int_equal(a.retry_after_s, -1);
    assert_string_equal(a.description, "");
    assert_string_equal(a.migrate_to, "");
    /* duplicates: the first wins, deterministically */
    const char *dup = "{\"ok\":true,\"ok\":false,\"result\":{\"message_id\":1}}";
    assert_int_equal(telegram_parse_answer(dup, strlen(dup), &a), 0);
    assert_true(a.ok);
    /* a description on one line, cut on a code point */
    dstr big = {0};
    dstr_puts(&big, "{\"ok\":false,\"error_code\":400,\"description\":\"line\\nnext ");
    repeat(&big, EMOJI, 200);
    dstr_puts(&big, "\"}");
    assert_int_equal(telegram_parse_answer(big.ptr, big.len, &a), 0);
    assert_null(strchr(a.description, '\n'));
    dstr d = {0};
    telegram_sanitize(a.description, strlen(a.description), &d);
    assert_string_equal(d.ptr, a.description);
    dstr_free(&d);
    dstr_free(&big);
    /* not an envelope */
    static const char *const bad[] = {
        "", "null", "[]", "{\"ok\":1}", "{\"result\":{}}", "<html>502</html>", "{\"ok\":true"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(telegram_parse_answer(bad[i], strlen(bad[i]), &a), -1);
    const char nul[] = "{\"ok\":true}\0{\"ok\":false}";
    assert_int_equal(telegram_parse_answer(nul, sizeof nul - 1, &a), -1);
    dstr huge = {0};
    dstr_puts(&huge, "{\"ok\":true,\"pad\":\"");
    repeat(&huge, "x", TELEGRAM_ANSWER_MAX);
    dstr_puts(&huge, "\"}");
    assert_int_equal(telegram_parse_answer(huge.ptr, huge.len, &a), -1);
    dstr_free(&huge);
}

static void test_config_helpers(void **state) {
    (void)state;
    unsigned m = 0;
    assert_int_equal(cfg_parse_alerts("all", &m), 0);
    assert_int_equal(m, CFG_ALERTS_ALL);
    assert_int_equal(cfg_parse_alerts("none", &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(cfg_parse_alerts(" exit , ALARM", &m), 0);
    assert_int_equal(m, (1u << CFG_ALERT_EXIT) | (1u << CFG_ALERT_ALARM));
    assert_int_equal(cfg_parse_alerts("exit,,", &m), 0);
    assert_int_equal(cfg_parse_alerts("exits", &m), -1);
    assert_int_equal(cfg_parse_alerts("", &m), -1);
    for (int t = 0; t < CFG_ALERT_N; t++)
        assert_int_equal(cfg_alert_type_parse(cfg_alert_type_name(t)), t);
    assert_true(cfg_valid_telegram_token(TOKEN));
    assert_false(cfg_valid_telegram_token("abc:def"));
    assert_false(cfg_valid_telegram_token("123:"));
    assert_false(cfg_valid_telegram_token("123:a/b"));
    assert_true(cfg_valid_telegram_chat_id("42"));
    assert_true(cfg_valid_telegram_chat_id(CHAT));
    assert_true(cfg_valid_telegram_chat_id("@my_channel"));
    assert_false(cfg_valid_telegram_chat_id("-"));
    assert_false(cfg_valid_telegram_chat_id("007"));
    assert_false(cfg_valid_telegram_chat_id("@abc"));
}

/* ---- against the scripted server -------------------------------------------------- */

typedef tgfix fixture;

static int fixture_setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tgfix_open(f, TOKEN, CHAT, 2), 0);
    *state = f;
    return 0;
}

/* The sentinel token is in no log line (nor URL-encoded), whatever happened. */
static int fixture_teardown(void **state) {
    fixture *f = *state;
    assert_null(strstr(dstr_cstr(&f->logs), "987654321%3A"));
    int rc = tgfix_close(f, "SENTINEL-telegram");
    free(f);
    assert_int_equal(rc, 0);
    return 0;
}

static const char ok1[] = "{\"ok\":true,\"result\":{\"message_id\":1,\"chat\":{\"id\":-1}}}";

static telegram_result send_one(fixture *f, const char *text, long budget_ms) {
    telegram_msg m = {.text = text};
    telegram_send_batch(f->http, &f->t, &m, 1, clock_wall_ms() + budget_ms);
    assert_null(strstr(m.res.description, "SENTINEL"));
    return m.res;
}

static void test_send_plain(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.path = SEND_PATH, .body = ok1}};
    ms_script(f->srv, steps, 1);
    telegram_result r = send_one(f, "BTCUSDT LONG entered \"5%\" <b>not html</b>", 3000);
    assert_int_equal(r.status, TELEGRAM_SENT);
    assert_int_equal(r.parts, 1);
    assert_int_equal(r.message_id, 1);
    assert_int_equal(ms_request_count(f->srv), 1);
    const ms_request *q = ms_request_at(f->srv, 0);
    assert_string_equal(q->method, "POST");
    assert_string_equal(q->path, SEND_PATH);
    assert_string_equal(q->body, "{\"chat_id\":\"" CHAT "\",\"text\":\"BTCUSDT LONG entered "
                                 "\\\"5%\\\" <b>not html</b>\"}");
    assert_null(strstr(q->body, "parse_mode"));
    assert_non_null(strstr(dstr_cstr(&f->logs), "\"event\":\"telegram.send\""));
}

static void test_send_long_in_parts(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.path = SEND_PATH, .body = ok1, .repeat = 1}};
    ms_script(f->srv, steps, 1);
    dstr t = {0};
    for (int i = 0; i < 300; i++) { /* 300 lines of 20 emoji + newline: 12,300 units */
        repeat(&t, EMOJI, 20);
        dstr_putc(&t, '\n');
    }
    telegram_result r = send_one(f, t.ptr, 5000);
    assert_int_equal(r.status, TELEGRAM_SENT);
    assert_int_equal(r.parts, 4);
    assert_int_equal(r.parts_sent, 4);
    assert_int_equal(ms_request_count(f->srv), 4);
    int seen[4] = {0};
    for (size_t i = 0; i < 4; i++) {
        const ms_request *q = ms_request_at(f->srv, i);
        /* the server's view: the JSON text decoded must fit, and carry its part number */
        const char *text = strstr(q->body, "\"text\":\"") + 8;
        assert_int_equal(text[0], '(');
        int k = text[1] - '0';
        assert_true(k >= 1 && k <= 4);
        seen[k - 1]++;
        assert_memory_equal(text + 2, "/4) ", 4);
        size_t len = strlen(text) - 2; /* '"}' */
        /* "\n" escapes count one unit each, not two: subtract them */
        size_t escapes = 0;
        for (const char *p = text; (p = strstr(p, "\\n")) && p < text + len; p += 2) escapes++;
        assert_true(telegram_utf16_len(text, len) - escapes <= TELEGRAM_TEXT_MAX);
    }
    for (int k = 0; k < 4; k++) assert_int_equal(seen[k], 1);
    dstr_free(&t);
}

static void test_429_within_deadline(void **state) {
    fixture *f = *state;
    ms_step steps[] = {
        {.path = SEND_PATH,
         .status = 429,
         .body = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry "
                 "after 1\",\"parameters\":{\"retry_after\":1}}"},
        {.path = SEND_PATH, .body = ok1}};
    ms_script(f->srv, steps, 2);
    int64_t t0 = clock_mono_ms();
    telegram_result r = send_one(f, "flood", 4000);
    assert_int_equal(r.status, TELEGRAM_SENT);
    assert_int_equal(ms_request_count(f->srv), 2);
    assert_true(clock_mono_ms() - t0 >= 1000); /* retry_after honoured */
}

static void test_429_beyond_deadline(void **state) {
    fixture *f = *state;
    ms_step steps[] = {
        {.path = SEND_PATH,
         .status = 429,
         .body = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry "
                 "after 30\",\"parameters\":{\"retry_after\":30}}",
         .repeat = 1}};
    ms_script(f->srv, steps, 1);
    int64_t t0 = clock_mono_ms();
    telegram_result r = send_one(f, "flood", 2000);
    assert_int_equal(r.status, TELEGRAM_LATER);
    assert_int_equal(r.retry_after_s, 30);
    assert_int_equal(r.http_status, 429);
    assert_int_equal(ms_request_count(f->srv), 1);
    assert_true(clock_mono_ms() - t0 < 1500); /* no wait it could not finish */
    assert_non_null(strstr(r.description, "retry after 30 s"));
}

static void test_refusals_not_retried(void **state) {
    fixture *f = *state;
    static const struct {
        int status;
        const char *description;
    } cases[] = {{403, "Forbidden: bot was blocked by the user"},
                 {401, "Unauthorized"},
                 {400, "Bad Request: chat not found"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"ok\":false,\"error_code\":%d,\"description\":\"%s\"}",
                 cases[i].status, cases[i].description);
        ms_reset(f->srv);
        dstr_clear(&f->logs);
        ms_step steps[] = {
            {.path = SEND_PATH, .status = cases[i].status, .body = body, .repeat = 1}};
        ms_script(f->srv, steps, 1);
        telegram_result r = send_one(f, "hello", 3000);
        assert_int_equal(r.status, TELEGRAM_REFUSED);
        assert_int_equal(r.error_code, cases[i].status);
        assert_int_equal(ms_request_count(f->srv), 1); /* retries = 2, none used */
        assert_non_null(strstr(r.description, cases[i].description));
        /* logged with Telegram's description */
        assert_non_null(strstr(dstr_cstr(&f->logs), "\"event\":\"telegram.failed\""));
        assert_non_null(strstr(dstr_cstr(&f->logs), cases[i].description));
    }
}

static void test_migrate_followed(void **state) {
    fixture *f = *state;
    ms_step steps[] = {
        {.path = SEND_PATH,
         .status = 400,
         .body = "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: group chat was "
                 "upgraded to a supergroup chat\",\"parameters\":{\"migrate_to_chat_id\":"
                 "-1009876543210}}"},
        {.path = SEND_PATH, .body = ok1}};
    ms_script(f->srv, steps, 2);
    telegram_result r = send_one(f, "moved", 3000);
    assert_int_equal(r.status, TELEGRAM_SENT);
    assert_string_equal(r.migrated_to, "-1009876543210");
    assert_string_equal(f->t.chat_id, "-1009876543210");
    assert_int_equal(ms_request_count(f->srv), 2);
    assert_non_null(strstr(ms_request_at(f->srv, 1)->body, "\"chat_id\":\"-1009876543210\""));
    assert_non_null(strstr(dstr_cstr(&f->logs), "\"event\":\"telegram.migrated\""));
    /* the client keeps the new chat */
    ms_reset(f->srv);
    ms_step again[] = {{.path = SEND_PATH, .body = ok1}};
    ms_script(f->srv, again, 1);
    assert_int_equal(send_one(f, "next", 3000).status, TELEGRAM_SENT);
    assert_non_null(strstr(ms_request_at(f->srv, 0)->body, "-1009876543210"));
}

static void test_5xx_and_hang(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.path = SEND_PATH, .status = 502, .body = "<html>bad gateway</html>"},
                       {.path = SEND_PATH, .body = ok1}};
    ms_script(f->srv, steps, 2);
    assert_int_equal(send_one(f, "again", 3000).status, TELEGRAM_SENT);
    assert_int_equal(ms_request_count(f->srv), 2);
    /* down: 503 every time, retried per the settings, then later */
    ms_reset(f->srv);
    ms_step down[] = {{.path = SEND_PATH, .status = 503, .body = "", .repeat = 1}};
    ms_script(f->srv, down, 1);
    telegram_result r = send_one(f, "down", 3000);
    assert_int_equal(r.status, TELEGRAM_LATER);
    assert_int_equal(ms_request_count(f->srv), 3); /* 1 + TELEGRAM_HTTP_RETRIES */
    /* a hang: timeouts until the deadline, then later */
    ms_reset(f->srv);
    ms_step hang[] = {{.path = SEND_PATH, .body = ok1, .delay_ms = 3000, .repeat = 1}};
    ms_script(f->srv, hang, 1);
    int64_t t0 = clock_mono_ms();
    r = send_one(f, "hang", 1200);
    assert_int_equal(r.status, TELEGRAM_LATER);
    assert_int_equal(r.http_status, 0);
    assert_true(clock_mono_ms() - t0 < 2000);
    /* a 200 that is not the Bot API: maybe delivered, so later (at least once) */
    ms_reset(f->srv);
    ms_step odd[] = {{.path = SEND_PATH, .body = "<html>captive portal</html>"}};
    ms_script(f->srv, odd, 1);
    assert_int_equal(send_one(f, "odd", 3000).status, TELEGRAM_LATER);
}

/* Telegram echoes the token in its description (it never does, but an
 * upstream could): the result and the logs carry "[REDACTED]" instead. */
static void test_token_never_shown(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.path = SEND_PATH,
                        .status = 401,
                        .body = "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized "
                                "token " TOKEN "\"}"}};
    ms_script(f->srv, steps, 1);
    telegram_result r = send_one(f, "t", 3000);
    assert_int_equal(r.status, TELEGRAM_REFUSED);
    assert_non_null(strstr(r.description, "[REDACTED]"));
    /* the attempt log names the path, masked */
    assert_non_null(strstr(dstr_cstr(&f->logs), "/bot[REDACTED]/sendMessage"));
    /* nothing listening: the transport error carries no URL either */
    telegram_config dead = f->conf;
    dead.base_url = "http://127.0.0.1:9";
    telegram_client t2;
    assert_int_equal(telegram_client_init(&t2, &dead, NULL), 0);
    telegram_msg m = {.text = "x"};
    telegram_send_batch(f->http, &t2, &m, 1, clock_wall_ms() + 1000);
    assert_int_equal(m.res.status, TELEGRAM_LATER);
    assert_null(strstr(m.res.description, "SENTINEL"));
    /* a bad token is refused at init without being shown */
    dstr err = {0};
    telegram_config bad = f->conf;
    bad.token = "SENTINEL-telegram-no-colon";
    assert_int_equal(telegram_client_init(&t2, &bad, &err), -1);
    assert_null(strstr(err.ptr, "SENTINEL"));
    dstr_free(&err);
}

static void test_batch_concurrent(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.path = SEND_PATH, .body = ok1, .delay_ms = 400, .repeat = 1}};
    ms_script(f->srv, steps, 1);
    telegram_msg m[3] = {{.text = "one"}, {.text = "two"}, {.text = " \n "}};
    int64_t t0 = clock_mono_ms();
    assert_int_equal(telegram_send_batch(f->http, &f->t, m, 3, clock_wall_ms() + 3000), 2);
    assert_true(clock_mono_ms() - t0 < 750);             /* two 400 ms answers at once */
    assert_int_equal(m[2].res.status, TELEGRAM_REFUSED); /* nothing to send */
    assert_int_equal(ms_request_count(f->srv), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_lines),
        cmocka_unit_test(test_split_multibyte),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_parse_answer),
        cmocka_unit_test(test_config_helpers),
        cmocka_unit_test_setup_teardown(test_send_plain, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_send_long_in_parts, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_429_within_deadline, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_429_beyond_deadline, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_not_retried, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_followed, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_5xx_and_hang, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_token_never_shown, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_batch_concurrent, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
