/* fuzz_paper: a stored paper-account record (services/paper_ledger.h) as
 * the account parser meets it. What is accepted writes back and reads back
 * to the same bytes (every double exact), names only valid symbols and
 * client ids, and folding it into itself changes nothing (the fold counts
 * a fill, an income entry or a version once). */
#include <cjson/cJSON.h>

#include "fuzz.h"
#include "services/paper_ledger.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size ? size : 1); /* no NUL: the parser must stop at size */
    if (!text) abort();
    if (size) memcpy(text, data, size);
    cJSON *root = cJSON_ParseWithLength(text, size);
    sim_account a;
    dstr why = {0};
    if (root && paper_account_parse(root, &a, &why) == 0) {
        if (why.len) fuzz_fail("accepted with a reason");
        dstr once = {0}, twice = {0};
        paper_account_json(&a, &once);
        cJSON *again = cJSON_Parse(once.ptr);
        sim_account b;
        if (!again || paper_account_parse(again, &b, &why)) fuzz_fail("its own JSON refused");
        paper_account_json(&b, &twice);
        if (once.len != twice.len || memcmp(once.ptr, twice.ptr, once.len))
            fuzz_fail("not the same bytes read back");
        size_t fills = b.n_fills, income = b.n_income;
        double wallet = b.wallet;
        paper_account_merge(&b, &a, 0);
        if (b.n_fills > fills || b.n_income > income ||
            (b.n_income == income && b.wallet != wallet))
            fuzz_fail("folding a record into itself counted something twice");
        sim_account_free(&b);
        cJSON_Delete(again);
        dstr_free(&once);
        dstr_free(&twice);
        sim_account_free(&a);
    } else if (root && !why.len) {
        fuzz_fail("refused without a reason");
    }
    cJSON_Delete(root);
    dstr_free(&why);
    free(text);
    return 0;
}
