/* fuzz_binance_account: account answers through their parsers
 * (binance_trading.h): positionRisk, balance, symbolConfig,
 * positionSide/dual, a set-up write's answer, userTrades and income. The
 * first byte picks the parser and the HTTP outcome; the rest is the body.
 * A list that parses holds sane rows (symbols that are symbols, prices not
 * negative, leverage 1-1000, fills with a price and a quantity); a failed
 * list parse appends nothing; a failure names its reason. */
#include "fuzz.h"
#include "fuzz_answer.h"
#include "platform/config.h"
#include "services/binance_trading.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

#define PARSERS 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0], which = sel % PARSERS;
    http_request r;
    fuzz_answer(&r, which == 4 ? "POST" : "GET", "https://fapi.binance.com/fapi/v3/positionRisk",
                sel / PARSERS, data + 1, size - 1);
    ex_error e = {0};
    dstr err = {0};
    ex_status st;
    size_t n = 0;
    void *list = NULL;
    int flag = 0;
    switch (which) {
    case 0: {
        ex_position *v = NULL;
        st = bn_position_risk_parse(&r, &v, &n, &e, &err);
        for (size_t i = 0; st == EX_OK && i < n; i++)
            if (!cfg_valid_symbol(v[i].symbol) || v[i].entry_price < 0 || v[i].mark_price < 0 ||
                v[i].liquidation_price < 0 || !v[i].amount_str[0])
                fuzz_fail("positionRisk: an insane row");
        list = v;
        break;
    }
    case 1: {
        ex_balance *v = NULL;
        st = bn_balance_parse(&r, &v, &n, &e, &err);
        for (size_t i = 0; st == EX_OK && i < n; i++)
            if (!v[i].asset[0]) fuzz_fail("balance: no asset");
        list = v;
        break;
    }
    case 2: {
        ex_symbol_config *v = NULL;
        st = bn_symbol_config_parse(&r, &v, &n, &e, &err);
        for (size_t i = 0; st == EX_OK && i < n; i++)
            if (!cfg_valid_symbol(v[i].symbol) || v[i].leverage < 1 || v[i].leverage > 1000)
                fuzz_fail("symbolConfig: an insane row");
        list = v;
        break;
    }
    case 3:
        st = bn_position_mode_parse(&r, &flag, &e, &err);
        if (flag != 0 && flag != 1) fuzz_fail("positionSide/dual: not a boolean");
        break;
    case 4: st = bn_setup_parse(&r, &e, &err); break;
    case 5: {
        ex_fill *v = NULL;
        st = bn_user_trades_parse(&r, &v, &n, &flag, &e, &err);
        for (size_t i = 0; st == EX_OK && i < n; i++)
            if (!(v[i].price > 0) || !(v[i].qty > 0) || !v[i].commission_asset[0])
                fuzz_fail("userTrades: an insane row");
        list = v;
        break;
    }
    default: {
        ex_income *v = NULL;
        st = bn_income_parse(&r, &v, &n, &flag, &e, &err);
        for (size_t i = 0; st == EX_OK && i < n; i++)
            if (!v[i].type[0] || !v[i].asset[0]) fuzz_fail("income: an insane row");
        list = v;
        break;
    }
    }
    if (st != EX_OK && n) fuzz_fail("a failed list parse appended");
    if (st != EX_OK && (!err.len || e.status != st)) fuzz_fail("failure without its line or error");
    if (st == EX_OK && which != 4 && (r.err != HTTP_OK || r.status < 200 || r.status >= 300))
        fuzz_fail("non-2xx parsed as OK");
    free(list);
    dstr_free(&err);
    http_request_free(&r);
    return 0;
}
