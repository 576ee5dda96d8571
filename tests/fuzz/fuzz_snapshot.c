/* fuzz_snapshot: one symbol's market snapshot assembled from six Binance
 * bodies (klines 5m 1h 4h 1d, depth, premiumIndex; separated by FUZZ_SEP)
 * through bn_snapshot_assemble, as binance_exchange does after its batch.
 * The first byte picks bars and which requests failed. A snapshot that
 * assembles keeps at most `bars` closed candles per timeframe. */
#include "fuzz.h"
#include "services/binance_exchange.h"

#define NOW_MS 1766000000000LL

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0];
    fuzz_parts parts;
    fuzz_split(data + 1, size - 1, BN_SNAPSHOT_REQS, &parts);
    ex_snapshot_spec spec = {.bars = (int)(sel % 8), .depth = 5};
    bn_client bn;
    bn_config conf = {.base = "https://fapi.binance.com", .timeout_ms = 1000};
    bn_client_init(&bn, NULL, &conf);
    http_request reqs[BN_SNAPSHOT_REQS];
    bn_snapshot_prepare(&bn, "BTCUSDT", &spec, reqs);
    for (int i = 0; i < BN_SNAPSHOT_REQS; i++) {
        int failed = (sel >> 3) && (size_t)i == (sel >> 3) % BN_SNAPSHOT_REQS;
        reqs[i].err = failed && (sel & 0x80) ? HTTP_ERR_TIMEOUT : HTTP_OK;
        reqs[i].status = reqs[i].err ? 0 : failed ? 500 : 200;
        reqs[i].attempts = 1;
        if ((size_t)i < parts.n) dstr_append(&reqs[i].resp_body, parts.part[i], parts.len[i]);
    }
    snapshot s;
    dstr why = {0};
    ex_status st = bn_snapshot_assemble(reqs, "BTCUSDT", &spec, NOW_MS, &s, &why);
    if (st == EX_OK) {
        for (int t = 0; t < TF_COUNT; t++) {
            if (s.tf[t].n > (size_t)spec.bars) fuzz_fail("more candles kept than bars");
            for (size_t i = 0; i < s.tf[t].n; i++)
                if (s.tf[t].v[i].close_time >= NOW_MS) fuzz_fail("a forming candle kept");
        }
        if (why.len) fuzz_fail("success with a reason");
        snapshot_free(&s);
    } else if (!why.len) {
        fuzz_fail("failure without a reason");
    }
    dstr_free(&why);
    for (int i = 0; i < BN_SNAPSHOT_REQS; i++) http_request_free(&reqs[i]);
    fuzz_parts_free(&parts);
    return 0;
}
