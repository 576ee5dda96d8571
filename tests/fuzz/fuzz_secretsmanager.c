/* fuzz_secretsmanager: GetSecretValue answers through sm_parse_answer and
 * sm_parse_error, and the secret's string through sm_parse_secret. The
 * whole input is the body. A secret the parser takes gives only non-empty,
 * NUL-free values of the asked names within SM_VALUE_MAX; a refused one
 * leaves none. */
#include "aws/secretsmanager.h"
#include "fuzz.h"
#include "platform/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void check_secret(const char *text, size_t len) {
    char *values[CFG_SECRET_N];
    size_t unknown = 0;
    int rc = sm_parse_secret(text, len, cfg_secret_names, CFG_SECRET_N, values, &unknown, NULL);
    for (size_t i = 0; i < CFG_SECRET_N; i++) {
        if (rc && values[i]) fuzz_fail("a refused secret left a value");
        if (values[i] && (!values[i][0] || strlen(values[i]) > SM_VALUE_MAX))
            fuzz_fail("value empty or too long");
        free(values[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    dstr out = {0}, why = {0};
    if (sm_parse_answer(body, size, &out, &why) == 0) {
        if (!out.len || memchr(out.ptr, '\0', out.len)) fuzz_fail("SecretString empty or with NUL");
        check_secret(out.ptr, out.len);
    } else if (out.len) {
        fuzz_fail("a refused answer left a SecretString");
    }
    char code[SM_CODE_MAX];
    sm_parse_error(body, size, code);
    if (strnlen(code, SM_CODE_MAX) == SM_CODE_MAX) fuzz_fail("code not terminated");
    check_secret(body, size);
    dstr_free(&out);
    dstr_free(&why);
    return 0;
}
