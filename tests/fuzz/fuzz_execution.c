/* fuzz_execution: the execution pipelines' own outside input. The first
 * byte picks:
 *   0 a stored bracket plan (bracket_parse: a journal anyone with the
 *     bucket can write to): accepted only with a symbol, a side, decimal
 *     texts and distances > 0; refused with a reason and nothing filled;
 *   1 a client id from the exchange (exec_parse_client_id, as reconcile
 *     reads every open order's id): one that parses as the bot's is
 *     exactly the id exec_client_id makes from its parts, so no foreign id
 *     is ever taken for one of this bot's. */
#include <math.h>

#include "fuzz.h"
#include "pipelines/brackets.h"
#include "pipelines/execute.h"
#include "platform/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void plan(const char *p, size_t n) {
    bracket_info b;
    dstr why = {0};
    if (bracket_parse(p, n, &b, &why) == 0) {
        if (!b.has || !cfg_valid_symbol(b.symbol) || (b.dir != DIR_LONG && b.dir != DIR_SHORT))
            fuzz_fail("plan accepted without a symbol or side");
        if (!journal_valid_decimal(b.qty, 0) || !journal_valid_decimal(b.sl, 0) ||
            !journal_valid_decimal(b.tp, 0) || !journal_valid_decimal(b.entry, 0))
            fuzz_fail("plan accepted with a text that is not a decimal");
        if (!(b.sl_distance > 0) || !(b.tp_distance > 0) || !isfinite(b.sl_distance) ||
            !isfinite(b.tp_distance))
            fuzz_fail("plan accepted with a distance that is not > 0");
    } else if (!why.len || b.has || b.symbol[0]) {
        fuzz_fail("plan refused without a reason, or half-filled");
    }
    dstr_free(&why);
}

static void client_id(const char *id) {
    static const char *const prefixes[] = {"atr", "A1", "zz9Z"};
    for (size_t k = 0; k < 3; k++) {
        char sym[EX_SYMBOL_LEN], leg = 0, again[EX_CLIENT_ID_LEN];
        int64_t t = 0;
        if (!exec_parse_client_id(prefixes[k], id, sym, &t, &leg)) continue;
        if (exec_client_id(prefixes[k], sym, t, leg, again) != 0)
            fuzz_fail("an id parsed as the bot's cannot be made again");
        if (strcmp(again, id) != 0) fuzz_fail("an id parsed as the bot's is not the one made");
        if (!ex_valid_client_id(id)) fuzz_fail("the bot's id breaks the exchange's rule");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *body = fuzz_strndup(data + 1, size - 1);
    if (data[0] % 2 == 0) plan(body, size - 1);
    else client_id(body);
    free(body);
    return 0;
}
