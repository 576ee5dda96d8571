/* fuzz_binance_order: order and algo-order answers through their parsers
 * (binance_trading.h): a placed, queried or cancelled order, a placed or
 * cancelled algo order, openOrders and openAlgoOrders. The first byte picks
 * the parser and the HTTP outcome; the rest is the body. A parse that
 * succeeds must hand back what the header promises (a 2xx answer, amounts
 * not negative, no more executed than ordered, a fill with its price, ids
 * that fit); a failure names its reason; a write Binance accepted (2xx) is
 * never a plain "bad response": it was done, so it is EX_UNKNOWN. */
#include "fuzz.h"
#include "fuzz_answer.h"
#include "services/binance_trading.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

#define PARSERS 7

static void check_order(const ex_order *o) {
    if (o->orig_qty < 0 || o->executed_qty < 0 || o->executed_qty > o->orig_qty || o->price < 0 ||
        o->avg_price < 0)
        fuzz_fail("order: negative or overfilled amounts");
    if (o->executed_qty > 0 && !(o->avg_price > 0)) fuzz_fail("order: a fill without its price");
    if (!o->client_id[0] || !o->symbol[0] || !o->status_name[0])
        fuzz_fail("order: an empty required field");
    if (o->side != EX_BUY && o->side != EX_SELL) fuzz_fail("order: no side");
}

static void check_algo(const ex_algo_order *a) {
    if (a->trigger_price < 0 || a->quantity < 0 || a->executed_qty < 0 || a->avg_price < 0)
        fuzz_fail("algo: negative amounts");
    if (!a->client_id[0] || !a->symbol[0]) fuzz_fail("algo: an empty required field");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0], which = sel % PARSERS;
    static const bn_kind kinds[PARSERS] = {BN_WRITE, BN_LOOKUP, BN_WRITE, BN_LOOKUP,
                                           BN_WRITE, BN_READ,   BN_READ};
    http_request r;
    fuzz_answer(&r, which == 1 ? "GET" : "POST", "https://fapi.binance.com/fapi/v1/order",
                sel / PARSERS, data + 1, size - 1);
    ex_error e = {0};
    dstr err = {0};
    ex_status st;
    ex_order o;
    ex_algo_order a;
    ex_order *ov = NULL;
    ex_algo_order *av = NULL;
    size_t n = 0;
    switch (which) {
    case 0:
    case 1:
        st = bn_order_parse(&r, kinds[which], &o, &e, &err);
        if (st == EX_OK) check_order(&o);
        else if (o.order_id) fuzz_fail("order: a failed parse left data");
        break;
    case 2:
    case 3:
        st = bn_algo_parse(&r, kinds[which], &a, &e, &err);
        if (st == EX_OK) check_algo(&a);
        break;
    case 4:
        st = bn_algo_cancel_parse(&r, &a, &e, &err);
        if (st == EX_OK && !a.client_id[0]) fuzz_fail("algo cancel: no client id");
        break;
    case 5:
        st = bn_open_orders_parse(&r, &ov, &n, &e, &err);
        for (size_t i = 0; st == EX_OK && i < n; i++) check_order(&ov[i]);
        if (st != EX_OK && n) fuzz_fail("openOrders: a failed parse appended");
        break;
    default:
        st = bn_open_algo_orders_parse(&r, &av, &n, &e, &err);
        for (size_t i = 0; st == EX_OK && i < n; i++) check_algo(&av[i]);
        if (st != EX_OK && n) fuzz_fail("openAlgoOrders: a failed parse appended");
        break;
    }
    if (st != EX_OK && (!err.len || e.status != st)) fuzz_fail("failure without its line or error");
    if (st == EX_OK && (r.err != HTTP_OK || r.status < 200 || r.status >= 300))
        fuzz_fail("non-2xx parsed as OK");
    if (kinds[which] == BN_WRITE && r.err == HTTP_OK && r.status >= 200 && r.status < 300 &&
        st != EX_OK && st != EX_UNKNOWN)
        fuzz_fail("an accepted write reported as not done");
    if (kinds[which] != BN_WRITE && st == EX_UNKNOWN) fuzz_fail("a read reported as unknown");
    free(ov);
    free(av);
    dstr_free(&err);
    http_request_free(&r);
    return 0;
}
