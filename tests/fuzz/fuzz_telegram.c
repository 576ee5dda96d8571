/* fuzz_telegram: Bot API answers through telegram_parse_answer (and the
 * retry hook telegram_retry_delay_ms), texts through the UTF-16 splitter,
 * and stored outbox records through journal_outbox_parse. The first byte
 * picks the HTTP status and the split limit, the rest is the body. An
 * answer the parser takes must meet telegram.h's ranges; every chunk of a
 * split must fit its limit and start and end on code points. */
#include "fuzz.h"
#include "services/journal_outbox.h"
#include "services/telegram.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static const long statuses[] = {200, 200, 200, 200, 400, 401, 403, 404,
                                429, 429, 429, 500, 502, 503, 200, 429};

static void check_line(const char *s, size_t cap) {
    size_t n = strnlen(s, cap);
    if (n == cap) fuzz_fail("text not terminated");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20) fuzz_fail("control character kept");
}

static void check_answer(const char *body, size_t len) {
    telegram_answer a;
    int rc = telegram_parse_answer(body, len, &a);
    check_line(a.description, sizeof a.description);
    if (rc != 0) {
        if (a.ok || a.error_code || a.description[0] || a.retry_after_s != -1 || a.migrate_to[0])
            fuzz_fail("a refused answer left fields set");
        return;
    }
    if (a.error_code && (a.error_code < 100 || a.error_code > 599)) fuzz_fail("error_code range");
    if (a.retry_after_s < -1 || a.retry_after_s > 86400L * 7) fuzz_fail("retry_after range");
    if (a.migrate_to[0] && !cfg_valid_telegram_chat_id(a.migrate_to)) fuzz_fail("migrate_to id");
    if (a.message_id < 0) fuzz_fail("message_id negative");
}

static void check_split(const char *text, size_t len, size_t limit) {
    dstr clean = {0};
    telegram_sanitize(text, len, &clean);
    if (telegram_utf16_len(clean.ptr, clean.len) != telegram_utf16_len(text, len))
        fuzz_fail("sanitize changed the unit count");
    telegram_chunk c[64];
    size_t rest, n = telegram_split(clean.ptr, clean.len, limit, c, 64, &rest), end = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].off < end || c[i].off + c[i].len > clean.len || c[i].len == 0)
            fuzz_fail("chunk out of order or empty");
        if (telegram_utf16_len(clean.ptr + c[i].off, c[i].len) > limit) fuzz_fail("chunk too long");
        dstr again = {0};
        telegram_sanitize(clean.ptr + c[i].off, c[i].len, &again);
        if (again.len != c[i].len || memcmp(again.ptr, clean.ptr + c[i].off, c[i].len))
            fuzz_fail("chunk cut inside a code point");
        dstr_free(&again);
        end = c[i].off + c[i].len;
    }
    if (rest > clean.len) fuzz_fail("rest beyond the text");
    dstr_free(&clean);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    check_answer(body, len);

    http_request r;
    http_request_init(&r, "POST", "http://127.0.0.1:9/botX/sendMessage", NULL);
    r.err = HTTP_OK;
    r.status = statuses[sel % 16];
    dstr_append(&r.resp_body, body, len);
    long delay = telegram_retry_delay_ms(&r);
    if (delay < 0 && delay != HTTP_RETRY_DEFAULT)
        fuzz_fail("retry delay neither a wait nor default");
    if (delay > 86400L * 7 * 1000) fuzz_fail("retry delay beyond a week");
    http_request_free(&r);

    check_split(body, len, 2 + (sel >> 4) * 7); /* small limits cut often */
    check_split(body, len, TELEGRAM_TEXT_MAX);

    journal_outbox_info info;
    if (journal_outbox_parse(body, len, &info, NULL) == 0) {
        if (!info.text.len || info.text.len > JOURNAL_OUTBOX_TEXT_MAX)
            fuzz_fail("outbox text size");
        if (cfg_alert_type_parse(info.type) < 0) fuzz_fail("outbox type");
    }
    journal_outbox_info_free(&info);
    return 0;
}
