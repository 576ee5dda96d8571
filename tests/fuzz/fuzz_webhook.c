/* fuzz_webhook: what the telegram function is handed from outside, through
 * its parsers: a webhook body through telegram_parse_update (first byte
 * even) and an SNS event through sns_alarm_parse_bytes (odd); the rest is
 * the body. A refused input says why and leaves nothing set; a taken one
 * obeys the contract's ranges (a command is a lowercase word, its
 * arguments printable ASCII; an alarm has an id, a time, valid UTF-8 text
 * within its cap). */
#include "fuzz.h"
#include "services/journal.h"
#include "services/sns_alarm.h"
#include "services/telegram.h"
#include "services/telegram_update.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void check_update(const char *body, size_t len) {
    telegram_update u;
    dstr why = {0};
    int rc = telegram_parse_update(body, len, &u, &why);
    if (rc != 0) {
        if (!why.len || u.update_id || u.has_message || u.command[0] || u.chat_id)
            fuzz_fail("update refused without a reason, or half-filled");
    } else {
        if (u.update_id < 0 || u.update_id > (1LL << 53)) fuzz_fail("update_id range");
        if (!u.has_message && (u.chat_id || u.command[0] || u.kind[0])) fuzz_fail("no message");
        if (u.from_id < 0) fuzz_fail("from id negative");
        size_t n = strnlen(u.command, sizeof u.command);
        if (n == sizeof u.command) fuzz_fail("command not terminated");
        if (strspn(u.command, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
            fuzz_fail("command not a lowercase word");
        n = strnlen(u.args, sizeof u.args);
        if (n == sizeof u.args) fuzz_fail("args not terminated");
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)u.args[i] < 0x20 || (unsigned char)u.args[i] >= 0x7f)
                fuzz_fail("args not printable ASCII");
        if (!u.command[0] && u.args[0]) fuzz_fail("args without a command");
        if (strnlen(u.chat_type, sizeof u.chat_type) == sizeof u.chat_type)
            fuzz_fail("chat type not terminated");
    }
    dstr_free(&why);
}

static void check_sns(const char *body, size_t len) {
    sns_alarms a;
    dstr why = {0};
    int rc = sns_alarm_parse_bytes(body, len, &a, &why);
    if (rc != 0 && (!why.len || a.n || a.items)) fuzz_fail("SNS refused without a reason");
    for (size_t i = 0; i < a.n; i++) {
        const sns_alarm *x = &a.items[i];
        if (!journal_valid_id(x->event, SNS_ALARM_EVENT_MAX) || x->at_ms < 0)
            fuzz_fail("alarm without id or time");
        if (!x->text.len || x->text.len > SNS_ALARM_TEXT_MAX) fuzz_fail("alarm text length");
        dstr clean = {0};
        telegram_sanitize(x->text.ptr, x->text.len, &clean);
        if (clean.len != x->text.len || memcmp(clean.ptr, x->text.ptr, clean.len))
            fuzz_fail("alarm text is not valid UTF-8");
        dstr_free(&clean);
    }
    sns_alarms_free(&a);
    dstr_free(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *body = fuzz_strndup(data + 1, size - 1);
    if (data[0] % 2 == 0) check_update(body, size - 1);
    else check_sns(body, size - 1);
    free(body);
    return 0;
}
