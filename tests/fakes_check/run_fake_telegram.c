/* run_fake_telegram: starts build/<v>/bin/fake_telegram on an ephemeral port
 * and checks it with the project's own Telegram client (services/telegram.h)
 * and the outbox delivery (services/alerts.h): messages recorded in order
 * (GET /__fake/messages), a wrong token 401, Telegram's 400s (empty, too
 * long, chat not found), --migrated followed by the client, and the
 * scripted faults (429 retry_after, 403, 5xx, a hang) of /__fake/script.
 *
 *   run_fake_telegram [build dir | path/to/fake_telegram]   (from the repo root)
 *
 * The fake must exit 0 on SIGTERM (under ASan that also means: no leaks). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <cJSON.h>

#include "fake_server.h"
#include "platform/clock.h"
#include "platform/dstr.h"
#include "platform/http.h"
#include "platform/secret.h"
#include "services/alerts.h"
#include "services/telegram.h"
#include "tmpstore.h"

#define TOKEN "424242:SENTINEL-fake-telegram-token"
#define WEBHOOK_SECRET "SENTINEL-webhook-secret_0123"
#define SEND_PATH "/bot" TOKEN "/sendMessage"
#define CHAT "-1001111111111"
#define OLD_CHAT "-222"
#define NEW_CHAT "-1002222222222"

static char fake_bin[4096];
static fake_server fake;
static http_client *http;

/* One request to the fake (control API or Bot API); answers the status. */
static long call(const char *method, const char *path, const char *body, dstr *out) {
    dstr url = {0};
    dstr_printf(&url, "%s%s", fake.base_url, path);
    http_request r;
    http_request_init(&r, method, url.ptr, NULL);
    if (body) {
        http_request_header(&r, "Content-Type", "application/json");
        dstr_puts(&r.body, body);
    }
    http_request *batch[] = {&r};
    http_run(http, batch, 1, clock_wall_ms() + 5000);
    long status = r.err == HTTP_OK ? r.status : -1;
    if (out) {
        dstr_clear(out);
        dstr_append(out, dstr_cstr(&r.resp_body), r.resp_body.len);
        dstr_puts(out, "");
    }
    http_request_free(&r);
    dstr_free(&url);
    return status;
}

static void reset(void) { assert_int_equal(call("POST", "/__fake/reset", "", NULL), 200); }

static cJSON *messages(void) {
    dstr body = {0};
    assert_int_equal(call("GET", "/__fake/messages", NULL, &body), 200);
    cJSON *root = cJSON_Parse(body.ptr);
    dstr_free(&body);
    cJSON *list = cJSON_DetachItemFromObject(root, "messages");
    cJSON_Delete(root);
    assert_true(cJSON_IsArray(list));
    return list;
}

static const char *message_text(const cJSON *list, int i) {
    const cJSON *m = cJSON_GetArrayItem(list, i);
    return cJSON_GetObjectItemCaseSensitive(m, "text")->valuestring;
}

static telegram_client client(const char *chat) {
    static telegram_config conf; /* the client borrows it */
    conf = (telegram_config){.base_url = fake.base_url,
                             .token = TOKEN,
                             .chat_id = chat,
                             .timeout_ms = 500,
                             .retries = 1,
                             .backoff_ms = 10};
    telegram_client t;
    assert_int_equal(telegram_client_init(&t, &conf, NULL), 0);
    return t;
}

static telegram_status send(telegram_client *t, const char *text, long budget_ms,
                            telegram_result *res) {
    telegram_msg m = {.text = text};
    telegram_send_batch(http, t, &m, 1, clock_wall_ms() + budget_ms);
    if (res) *res = m.res;
    return m.res.status;
}

static void test_send_and_list(void **state) {
    (void)state;
    reset();
    telegram_client t = client(CHAT);
    assert_int_equal(send(&t, "first", 3000, NULL), TELEGRAM_SENT);
    assert_int_equal(send(&t, "second \xF0\x9F\x98\x80", 3000, NULL), TELEGRAM_SENT);
    cJSON *list = messages();
    assert_int_equal(cJSON_GetArraySize(list), 2);
    assert_string_equal(message_text(list, 0), "first");
    assert_string_equal(message_text(list, 1), "second \xF0\x9F\x98\x80");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "chat_id")->valuestring,
                        CHAT);
    cJSON_Delete(list);
    /* a text of 5,000 emoji goes as three parts, each within Telegram's limit */
    dstr big = {0};
    for (int i = 0; i < 5000; i++) dstr_puts(&big, "\xF0\x9F\x98\x80");
    telegram_result res;
    assert_int_equal(send(&t, big.ptr, 5000, &res), TELEGRAM_SENT);
    assert_int_equal(res.parts, 3);
    dstr_free(&big);
}

static void test_bot_api_errors(void **state) {
    (void)state;
    reset();
    dstr body = {0};
    assert_int_equal(
        call("POST", "/bot1:wrong/sendMessage", "{\"chat_id\":1,\"text\":\"x\"}", &body), 401);
    assert_string_equal(body.ptr,
                        "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}");
    assert_int_equal(call("POST", SEND_PATH, "{\"chat_id\":1}", &body), 400);
    assert_non_null(strstr(body.ptr, "message text is empty"));
    assert_int_equal(call("POST", SEND_PATH, "{\"text\":\"x\"}", &body), 400);
    assert_int_equal(call("POST", SEND_PATH, "{\"chat_id\":\"-5\",\"text\":\"x\"}", &body), 400);
    assert_non_null(strstr(body.ptr, "chat not found"));
    dstr big = {0};
    dstr_puts(&big, "{\"chat_id\":\"" CHAT "\",\"text\":\"");
    for (int i = 0; i < 4097; i++) dstr_putc(&big, 'x');
    dstr_puts(&big, "\"}");
    assert_int_equal(call("POST", SEND_PATH, big.ptr, &body), 400);
    assert_non_null(strstr(body.ptr, "message is too long"));
    assert_int_equal(call("GET", "/bot" TOKEN "/getMe", NULL, &body), 200);
    assert_int_equal(call("POST", "/bot" TOKEN "/sendPhoto", "{}", &body), 404);
    dstr_free(&big);
    dstr_free(&body);
    /* the client: a wrong token is refused, not retried */
    telegram_config conf = {.base_url = fake.base_url,
                            .token = "1:wrong-token-here",
                            .chat_id = CHAT,
                            .timeout_ms = 500,
                            .retries = 2};
    telegram_client t;
    assert_int_equal(telegram_client_init(&t, &conf, NULL), 0);
    telegram_result res;
    assert_int_equal(send(&t, "x", 3000, &res), TELEGRAM_REFUSED);
    assert_int_equal(res.error_code, 401);
    cJSON *list = messages();
    assert_int_equal(cJSON_GetArraySize(list), 0);
    cJSON_Delete(list);
}

static void test_migrated_chat(void **state) {
    (void)state;
    reset();
    telegram_client t = client(OLD_CHAT);
    telegram_result res;
    assert_int_equal(send(&t, "after the upgrade", 3000, &res), TELEGRAM_SENT);
    assert_string_equal(res.migrated_to, NEW_CHAT);
    cJSON *list = messages();
    assert_int_equal(cJSON_GetArraySize(list), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "chat_id")->valuestring,
                        NEW_CHAT);
    cJSON_Delete(list);
}

static void test_scripted_faults(void **state) {
    (void)state;
    reset();
    telegram_client t = client(CHAT);
    /* 429 with a retry_after that fits, then the real answer */
    assert_int_equal(
        call("POST", "/__fake/script",
             "[{\"match\":{\"path\":\"" SEND_PATH "\"},\"answer\":{\"status\":429,\"json\":{\"ok\":"
             "false,\"error_code\":429,\"description\":\"Too Many Requests: retry after 1\","
             "\"parameters\":{\"retry_after\":1}}}}]",
             NULL),
        200);
    assert_int_equal(send(&t, "flood", 4000, NULL), TELEGRAM_SENT);
    /* 403 blocked: refused at once */
    assert_int_equal(
        call("POST", "/__fake/script",
             "[{\"match\":{\"path\":\"" SEND_PATH "\"},\"answer\":{\"status\":403,\"json\":{\"ok\":"
             "false,\"error_code\":403,\"description\":\"Forbidden: bot was blocked by the "
             "user\"}}}]",
             NULL),
        200);
    telegram_result res;
    assert_int_equal(send(&t, "blocked", 3000, &res), TELEGRAM_REFUSED);
    assert_non_null(strstr(res.description, "bot was blocked"));
    /* a 502 then the real answer; a hang until the deadline */
    assert_int_equal(call("POST", "/__fake/script",
                          "[{\"match\":{\"path\":\"" SEND_PATH "\"},\"answer\":{\"status\":502,"
                          "\"body\":\"bad gateway\"}}]",
                          NULL),
                     200);
    assert_int_equal(send(&t, "after a 502", 3000, NULL), TELEGRAM_SENT);
    assert_int_equal(call("POST", "/__fake/script",
                          "[{\"match\":{\"path\":\"" SEND_PATH "\"},\"answer\":{\"close\":true,"
                          "\"delay_ms\":3000}},{\"match\":{\"path\":\"" SEND_PATH "\"},\"answer\":"
                          "{\"close\":true,\"delay_ms\":3000}}]",
                          NULL),
                     200);
    assert_int_equal(send(&t, "hang", 1200, NULL), TELEGRAM_LATER);
    cJSON *list = messages();
    assert_int_equal(cJSON_GetArraySize(list), 2);
    assert_string_equal(message_text(list, 0), "flood");
    assert_string_equal(message_text(list, 1), "after a 502");
    cJSON_Delete(list);
}

/* The outbox end to end: Telegram down (scripted 503s) for two runs, then
 * back: the fake received every alert once, in order. */
static void test_outbox_through_fake(void **state) {
    (void)state;
    reset();
    tmpstore ts;
    assert_int_equal(tmpstore_open(&ts, 1), 0);
    telegram_client t = client(CHAT);
    const int64_t t0 = 1764928800000LL;
    char event[32], text[64];
    for (int run = 0; run < 3; run++) {
        if (run < 2)
            assert_int_equal(call("POST", "/__fake/script",
                                  "[{\"match\":{\"path\":\"" SEND_PATH "\"},\"answer\":{\"status\":"
                                  "503,\"body\":\"\"}},{\"match\":{\"path\":\"" SEND_PATH "\"},"
                                  "\"answer\":{\"status\":503,\"body\":\"\"}}]",
                                  NULL),
                             200);
        for (int k = 0; k < 2; k++) {
            snprintf(event, sizeof event, "ETH.%d", run * 2 + k);
            snprintf(text, sizeof text, "alert %d", run * 2 + k);
            journal_outbox a = {.type = "exit",
                                .event = event,
                                .at_ms = t0 + run * 2 + k,
                                .created_ms = t0,
                                .text = text};
            assert_int_equal(journal_outbox_put(ts.s, &a, NULL, NULL), JOURNAL_OK);
        }
        alerts_opts o = {.now_ms = t0 + 10, .deadline_ms = clock_wall_ms() + 2000};
        alerts_report rep;
        assert_int_equal(alerts_deliver(ts.s, http, &t, &o, &rep, NULL), 0);
        assert_int_equal(rep.delivered, run < 2 ? 0 : 6);
    }
    cJSON *list = messages();
    assert_int_equal(cJSON_GetArraySize(list), 1);
    assert_string_equal(message_text(list, 0),
                        "alert 0\n\nalert 1\n\nalert 2\n\nalert 3\n\nalert 4\n\nalert 5");
    cJSON_Delete(list);
    tmpstore_close(&ts);
}

/* Telegram took the message but the answer was lost (twice: libcurl may
 * itself resend once on a reused connection that closed): the alert stays
 * pending and a later call sends it again. At least once: the chat sees it
 * every time it landed, as the README says; once marked, never again. */
static void test_ambiguous_send_repeats(void **state) {
    (void)state;
    reset();
    tmpstore ts;
    assert_int_equal(tmpstore_open(&ts, 1), 0);
    telegram_client t = client(CHAT);
    t.policy.retries = 0; /* the repeat is the outbox's */
    assert_int_equal(call("POST", "/__fake/script",
                          "[{\"match\":{\"path\":\"" SEND_PATH "\"},\"answer\":{\"apply\":true,"
                          "\"close\":true}},{\"match\":{\"path\":\"" SEND_PATH "\"},\"answer\":"
                          "{\"apply\":true,\"close\":true}}]",
                          NULL),
                     200);
    journal_outbox a = {.type = "alarm",
                        .event = "stack.1",
                        .at_ms = 1764928800000LL,
                        .created_ms = 1764928800000LL,
                        .text = "trader stopped running"};
    assert_int_equal(journal_outbox_put(ts.s, &a, NULL, NULL), JOURNAL_OK);
    alerts_opts o = {.now_ms = a.at_ms};
    alerts_report rep;
    int calls = 0;
    do {
        o.deadline_ms = clock_wall_ms() + 2000;
        assert_int_equal(alerts_deliver(ts.s, http, &t, &o, &rep, NULL), 0);
        if (calls++ == 0) assert_int_equal(rep.later, 1);
    } while (rep.delivered == 0 && calls < 4);
    assert_int_equal(rep.delivered, 1);
    cJSON *list = messages();
    assert_int_equal(cJSON_GetArraySize(list), 3); /* the two lost answers, then the good one */
    for (int i = 0; i < 3; i++)
        assert_string_equal(message_text(list, i), "trader stopped running");
    cJSON_Delete(list);
    o.deadline_ms = clock_wall_ms() + 2000;
    assert_int_equal(alerts_deliver(ts.s, http, &t, &o, &rep, NULL), 0);
    assert_int_equal(rep.pending, 0);
    tmpstore_close(&ts);
}

/* infra/telegram_webhook.sh's output and status, run against the fake. */
static int webhook_script(const char *args, dstr *out) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "infra/telegram_webhook.sh %s 2>&1", args);
    setenv("TELEGRAM_BASE_URL", fake.base_url, 1);
    setenv("TELEGRAM_BOT_TOKEN", TOKEN, 1);
    setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET, 1);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[1024];
    size_t n;
    dstr_clear(out);
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) dstr_append(out, buf, n);
    int st = pclose(p);
    assert_null(strstr(dstr_cstr(out), "SENTINEL")); /* neither the token nor the secret */
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The README's registration: setWebhook with the secret, seen by the fake;
 * getWebhookInfo without the secret; deleteWebhook; a refused secret. */
static void test_webhook_registration(void **state) {
    (void)state;
    reset();
    dstr out = {0}, hook = {0};
    assert_int_equal(webhook_script("set https://example.test/telegram/webhook", &out), 0);
    assert_non_null(strstr(dstr_cstr(&out), "Webhook was set"));
    assert_int_equal(call("GET", "/__fake/webhook", NULL, &hook), 200);
    cJSON *h = cJSON_Parse(dstr_cstr(&hook));
    assert_string_equal(cJSON_GetObjectItem(h, "url")->valuestring,
                        "https://example.test/telegram/webhook");
    assert_string_equal(cJSON_GetObjectItem(h, "secret_token")->valuestring, WEBHOOK_SECRET);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(h, "allowed_updates")), 3);
    cJSON_Delete(h);
    assert_int_equal(webhook_script("info", &out), 0);
    assert_non_null(strstr(dstr_cstr(&out), "\"url\":\"https://example.test/telegram/webhook\""));
    assert_int_equal(webhook_script("delete", &out), 0);
    assert_int_equal(call("GET", "/__fake/webhook", NULL, &hook), 200);
    assert_non_null(strstr(dstr_cstr(&hook), "\"url\":\"\""));
    setenv("TELEGRAM_WEBHOOK_SECRET", "SENTINEL bad secret", 1);
    dstr_clear(&out);
    FILE *p = popen("infra/telegram_webhook.sh set https://example.test/x 2>&1", "r");
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    assert_int_not_equal(pclose(p), 0);
    assert_non_null(strstr(buf, "secret token contains unallowed characters"));
    unsetenv("TELEGRAM_WEBHOOK_SECRET");
    dstr_free(&out);
    dstr_free(&hook);
}

static int start_fake(void **state) {
    (void)state;
    const char *argv[] = {fake_bin, "--token",    TOKEN,
                          "--chat", CHAT,         "--chat",
                          NEW_CHAT, "--migrated", OLD_CHAT "=" NEW_CHAT,
                          NULL};
    http = http_client_new(NULL);
    return http && fake_server_start(&fake, argv) == 0 ? 0 : -1;
}

static int stop_fake(void **state) {
    (void)state;
    http_client_free(http);
    secret_clear();
    return fake_server_stop(&fake);
}

int main(int argc, char **argv) {
    struct stat st;
    if (argc > 1 && stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(fake_bin, sizeof fake_bin, "%s/bin/fake_telegram", argv[1]);
    else if (argc > 1) snprintf(fake_bin, sizeof fake_bin, "%s", argv[1]);
    else {
        const char *slash = strrchr(argv[0], '/');
        int dir_len = slash ? (int)(slash - argv[0]) : 1;
        snprintf(fake_bin, sizeof fake_bin, "%.*s/../bin/fake_telegram", dir_len,
                 slash ? argv[0] : ".");
    }
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_and_list),        cmocka_unit_test(test_bot_api_errors),
        cmocka_unit_test(test_migrated_chat),        cmocka_unit_test(test_scripted_faults),
        cmocka_unit_test(test_outbox_through_fake),  cmocka_unit_test(test_ambiguous_send_repeats),
        cmocka_unit_test(test_webhook_registration),
    };
    return cmocka_run_group_tests_name("fake_telegram", tests, start_fake, stop_fake) ? 1 : 0;
}
