/* telegram_update: Update bodies as a table (commands with and without a
 * bot name and arguments, the three message kinds, other updates, and the
 * refused: too large, NUL, not JSON, no update_id, bad chat, wrong types). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "services/telegram_update.h"

#define MSG(text, ent)                                                                 \
    "{\"update_id\":5,\"message\":{\"chat\":{\"id\":-100123,\"type\":\"supergroup\"}," \
    "\"from\":{\"id\":42},\"text\":\"" text "\",\"entities\":[" ent "]}}"
#define CMD(len) "{\"offset\":0,\"length\":" #len ",\"type\":\"bot_command\"}"

/* clang-format off */
static const struct {
    const char *body;
    int rc;
    const char *command, *args; /* expected when rc is 0 */
    long long chat, from;
    const char *why; /* expected in why when rc is -1 */
} cases[] = {
    {MSG("/status", CMD(7)), 0, "status", "", -100123, 42, NULL},
    {MSG("/Status@TraderBot", CMD(17)), 0, "status", "", -100123, 42, NULL},
    {MSG("/flatten   confirm  \\nmore", CMD(8)), 0, "flatten", "confirm", -100123, 42, NULL},
    {MSG("/killswitch reset", CMD(11)), 0, "killswitch", "reset", -100123, 42, NULL},
    {MSG("/pause caf\\u00e9 time", CMD(6)), 0, "pause", "caf time", -100123, 42, NULL},
    /* not a command: no entity, an entity not at 0, a non-ASCII or bad name */
    {MSG("/status", ""), 0, "", "", -100123, 42, NULL},
    {MSG("hi /status", "{\"offset\":3,\"length\":7,\"type\":\"bot_command\"}"), 0, "", "", -100123, 42, NULL},
    {MSG("/st\\u00e9tus", CMD(7)), 0, "", "", -100123, 42, NULL},
    {MSG("/status@Bot!", CMD(12)), 0, "", "", -100123, 42, NULL},
    {MSG("/status", CMD(70)), 0, "", "", -100123, 42, NULL},
    {MSG("/status", "{\"offset\":0,\"length\":\"7\",\"type\":\"bot_command\"}"), 0, "", "", -100123, 42, NULL},
    {MSG("/", CMD(1)), 0, "", "", -100123, 42, NULL},
    /* the kinds, and a channel post without a sender */
    {"{\"update_id\":6,\"edited_message\":{\"chat\":{\"id\":42,\"type\":\"private\"},\"from\":{\"id\":42},"
     "\"text\":\"/pnl\",\"entities\":[" CMD(4) "]}}", 0, "pnl", "", 42, 42, NULL},
    {"{\"update_id\":7,\"channel_post\":{\"chat\":{\"id\":-100999,\"type\":\"channel\"},"
     "\"text\":\"/help\",\"entities\":[" CMD(5) "]}}", 0, "help", "", -100999, 0, NULL},
    {"{\"update_id\":8,\"callback_query\":{\"id\":\"1\"}}", 0, "", "", 0, 0, NULL},
    /* wrong types elsewhere are absent */
    {"{\"update_id\":9,\"message\":{\"chat\":{\"id\":1},\"from\":{\"id\":\"42\"},\"text\":5}}", 0, "", "", 1, 0, NULL},
    /* duplicates: the first counts */
    {"{\"update_id\":10,\"update_id\":11,\"message\":{\"chat\":{\"id\":3},\"chat\":{\"id\":4}}}", 0, "", "", 3, 0, NULL},
    /* refused */
    {"", -1, NULL, NULL, 0, 0, "JSON object"},
    {"[1]", -1, NULL, NULL, 0, 0, "JSON object"},
    {"{\"message\":{}}", -1, NULL, NULL, 0, 0, "update_id"},
    {"{\"update_id\":-1}", -1, NULL, NULL, 0, 0, "update_id"},
    {"{\"update_id\":1.5}", -1, NULL, NULL, 0, 0, "update_id"},
    {"{\"update_id\":\"5\"}", -1, NULL, NULL, 0, 0, "update_id"},
    {"{\"update_id\":9007199254740994}", -1, NULL, NULL, 0, 0, "update_id"},
    {"{\"update_id\":5,\"message\":{\"chat\":{\"id\":\"x\"}}}", -1, NULL, NULL, 0, 0, "chat"},
    {"{\"update_id\":5,\"message\":{\"text\":\"/status\"}}", -1, NULL, NULL, 0, 0, "chat"},
    {"{\"update_id\":5,\"message\":[]}", -1, NULL, NULL, 0, 0, "not an object"},
};
/* clang-format on */

static void test_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        telegram_update u;
        dstr why = {0};
        int rc = telegram_parse_update(cases[i].body, strlen(cases[i].body), &u, &why);
        if (rc != cases[i].rc) fail_msg("case %zu: rc %d why '%s'", i, rc, dstr_cstr(&why));
        if (rc == 0) {
            if (strcmp(u.command, cases[i].command) || strcmp(u.args, cases[i].args) ||
                u.chat_id != cases[i].chat || u.from_id != cases[i].from)
                fail_msg("case %zu: command '%s' args '%s' chat %lld from %lld", i, u.command,
                         u.args, (long long)u.chat_id, (long long)u.from_id);
        } else if (!strstr(dstr_cstr(&why), cases[i].why) || u.update_id || u.command[0]) {
            fail_msg("case %zu: why '%s'", i, dstr_cstr(&why));
        }
        dstr_free(&why);
    }
}

static void test_fields_and_limits(void **state) {
    (void)state;
    telegram_update u;
    const char *b = MSG("/status", CMD(7));
    assert_int_equal(telegram_parse_update(b, strlen(b), &u, NULL), 0);
    assert_int_equal(u.update_id, 5);
    assert_int_equal(u.has_message, 1);
    assert_string_equal(u.kind, "message");
    assert_string_equal(u.chat_type, "supergroup");
    /* a NUL inside, and more than the parser reads */
    char nul[] = "{\"update_id\":5}\0{}";
    dstr why = {0};
    assert_int_equal(telegram_parse_update(nul, sizeof nul - 1, &u, &why), -1);
    assert_non_null(strstr(dstr_cstr(&why), "NUL"));
    size_t big = TELEGRAM_UPDATE_MAX + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    memcpy(huge, "{\"update_id\":5}", 15);
    assert_int_equal(telegram_parse_update(huge, big, &u, NULL), -1);
    assert_int_equal(telegram_parse_update(huge, big - 1, &u, NULL), 0);
    assert_int_equal(telegram_parse_update(NULL, 0, &u, NULL), -1);
    free(huge);
    dstr_free(&why);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_fields_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
