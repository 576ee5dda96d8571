/* fuzz_journal: the stored objects execution reads back (outside input: a
 * journal anyone with the bucket can write to) through their parsers, and
 * the exact net PnL over any decimal strings. The first byte picks:
 *   0 claim (journal_claim_parse), 1 run (journal_run_parse),
 *   2 trade (journal_trade_parse), 3 the newest-first streams: risk and
 *   pause (journal_risk_parse, journal_control_parse_pause: file name,
 *   FUZZ_SEP, body), 4 net PnL (realized, fee, funding, fee asset: parts).
 * A parse that succeeds must obey the record's rules; one that fails says
 * why and leaves nothing half-filled. The net PnL, when known, is a decimal
 * string and agrees with the same sum in long double. */
#include <math.h>

#include "fuzz.h"
#include "platform/config.h"
#include "services/journal_claim.h"
#include "services/journal_control.h"
#include "services/journal_risk.h"
#include "services/journal_run.h"
#include "services/journal_trade.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static void claim(const char *p, size_t n) {
    journal_claim_info c;
    dstr why = {0};
    if (journal_claim_parse(p, n, &c, &why) == 0) {
        if (!cfg_valid_symbol(c.symbol) || !journal_valid_id(c.run_id, JOURNAL_ID_MAX))
            fuzz_fail("claim accepted with a bad symbol or run id");
        if (c.build[0] && !journal_valid_tag(c.build, JOURNAL_TAG_MAX)) fuzz_fail("claim build");
    } else if (!why.len || c.symbol[0] || c.run_id[0]) {
        fuzz_fail("claim refused without a reason, or half-filled");
    }
    dstr_free(&why);
}

static void run(const char *p, size_t n) {
    journal_run_info r;
    dstr why = {0};
    if (journal_run_parse(p, n, &r, &why) == 0) {
        if (!journal_valid_id(r.run_id, JOURNAL_ID_MAX) ||
            !journal_valid_word(r.trigger, JOURNAL_WORD_MAX) ||
            !journal_valid_word(r.outcome, JOURNAL_WORD_MAX) || r.finished_ms < r.started_ms ||
            r.n_symbols > JOURNAL_RUN_SYMBOLS_MAX)
            fuzz_fail("run accepted against its rules");
    } else if (!why.len || r.run_id[0]) {
        fuzz_fail("run refused without a reason, or half-filled");
    }
    dstr_free(&why);
}

static void trade(const char *p, size_t n) {
    journal_trade_info t;
    dstr why = {0};
    if (journal_trade_parse(p, n, &t, &why) == 0) {
        if (!cfg_valid_symbol(t.symbol) || t.time_ms < 0 || !t.kind[0])
            fuzz_fail("trade accepted against its rules");
        if ((t.has_fee && !(t.fee >= 0)) || (t.has_net && !isfinite(t.net_pnl)))
            fuzz_fail("trade money out of range");
    } else if (!why.len || t.symbol[0]) {
        fuzz_fail("trade refused without a reason, or half-filled");
    }
    dstr_free(&why);
}

static void pause_record(const fuzz_parts *parts) {
    journal_pause_state st = {0};
    dstr why = {0};
    int rc = journal_control_parse_pause(parts->part[0], parts->n > 1 ? parts->part[1] : NULL,
                                         parts->n > 1 ? parts->len[1] : 0, &st, &why);
    if (rc == 0) {
        if (!st.has || st.since_ms < 0) fuzz_fail("pause record without its time");
        if (st.by[0] && !journal_valid_tag(st.by, JOURNAL_TAG_MAX)) fuzz_fail("pause by");
        if (strnlen(st.reason, sizeof st.reason) == sizeof st.reason)
            fuzz_fail("pause reason not terminated");
    } else if (!why.len || st.has || st.paused) {
        fuzz_fail("pause refused without a reason, or half-filled");
    }
    dstr_free(&why);
}

static void stream_records(const uint8_t *data, size_t size) {
    fuzz_parts parts;
    fuzz_split(data, size, 2, &parts);
    pause_record(&parts);
    journal_risk_state st = {0};
    dstr why = {0};
    int rc = journal_risk_parse(parts.part[0], parts.n > 1 ? parts.part[1] : NULL,
                                parts.n > 1 ? parts.len[1] : 0, &st, &why);
    if (rc == 0) {
        if (st.has_hwm == st.has_kill) fuzz_fail("risk record of neither or both streams");
        if (st.has_hwm && !(st.hwm >= 0)) fuzz_fail("negative high-water mark");
        if (st.tripped && !st.has_kill) fuzz_fail("tripped without a kill record");
        if (strnlen(st.kill_reason, sizeof st.kill_reason) == sizeof st.kill_reason)
            fuzz_fail("reason not terminated");
    } else if (!why.len || st.has_hwm || st.has_kill) {
        fuzz_fail("risk refused without a reason, or half-filled");
    }
    dstr_free(&why);
    fuzz_parts_free(&parts);
}

static void net(const uint8_t *data, size_t size) {
    fuzz_parts parts;
    fuzz_split(data, size, 4, &parts);
    const char *f[4] = {NULL, NULL, NULL, NULL};
    for (size_t i = 0; i < parts.n; i++) f[i] = parts.len[i] ? parts.part[i] : NULL;
    journal_trade t = {.time_ms = 1,
                       .symbol = "BTCUSDT",
                       .side = "BUY",
                       .type = "MARKET",
                       .status = "FILLED",
                       .order_id = 1,
                       .realized_pnl = f[0],
                       .fee = f[1],
                       .funding = f[2],
                       .fee_asset = f[3]};
    char out[JOURNAL_DECIMAL_MAX + 8];
    if (journal_trade_net_pnl(&t, out, sizeof out) == 0) {
        if (!journal_valid_decimal(out, 1)) fuzz_fail("net PnL is not a decimal string");
        long double r = strtold(f[0], NULL), fee = f[1] ? strtold(f[1], NULL) : 0,
                    fund = f[2] ? strtold(f[2], NULL) : 0;
        long double got = strtold(out, NULL);
        /* long double rounds each term: allow that much, relative to the terms */
        if (fabsl(got - (r - fee + fund)) > 1e-12L * (1 + fabsl(r) + fabsl(fee) + fabsl(fund)))
            fuzz_fail("net PnL is not the sum");
    }
    fuzz_parts_free(&parts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0] % 5;
    char *body = fuzz_strndup(data + 1, size - 1);
    switch (sel) {
    case 0: claim(body, size - 1); break;
    case 1: run(body, size - 1); break;
    case 2: trade(body, size - 1); break;
    case 3: stream_records(data + 1, size - 1); break;
    default: net(data + 1, size - 1); break;
    }
    free(body);
    return 0;
}
