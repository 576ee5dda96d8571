/* fuzz_sched_expr: schedule expressions (rate(...), cron(...)) through
 * sched_expr_parse, then a few fire times with sched_expr_next in UTC or a
 * zone with DST. Input: the first byte picks the zone, the next eight the
 * instant to start from (kept within 1970-2200), the rest is the expression.
 * A fire time must be after the instant asked about, and be the first one:
 * asking again from just before it gives it back. */
#include "fuzz.h"
#include "sched_expr.h"

static tzone *zones[3]; /* UTC (NULL), Europe/Berlin, Australia/Lord_Howe (30 min DST) */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    char err[256];
    zones[1] = tzone_load("Europe/Berlin", err, sizeof err);
    zones[2] = tzone_load("Australia/Lord_Howe", err, sizeof err);
    return 0;
}

#define SPAN_S 7258118400LL /* 1970-01-01 .. 2200-01-01 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 9) return 0;
    const tzone *tz = zones[data[0] % 3];
    uint64_t raw = 0;
    for (int i = 1; i <= 8; i++) raw = raw << 8 | data[i];
    int64_t after = (int64_t)(raw % (uint64_t)SPAN_S);
    int64_t anchor = (int64_t)((raw >> 7) % (uint64_t)SPAN_S);
    char *text = fuzz_strndup(data + 9, size - 9);
    sched_expr e;
    char err[256];
    if (sched_expr_parse(text, &e, err, sizeof err) == 0) {
        if (e.kind == SCHED_RATE && e.rate_s < 60) fuzz_fail("rate under a minute");
        int64_t t = after;
        for (int i = 0; i < 3 && t >= 0 && t < SPAN_S; i++) {
            int64_t next = sched_expr_next(&e, tz, anchor, t);
            if (next == -1) break;
            if (next <= t) fuzz_fail("next fire time not after the instant asked about");
            if (sched_expr_next(&e, tz, anchor, next - 1) != next)
                fuzz_fail("next fire time is not the first one");
            t = next;
        }
    } else if (!err[0]) {
        fuzz_fail("parse failed without a message");
    }
    free(text);
    return 0;
}
