/* exchange: dispatch through the table, and the shared names (see exchange.h). */
#include "services/exchange.h"

void ex_snapshots(exchange *ex, const char *const *symbols, size_t n, const ex_snapshot_spec *spec,
                  int64_t now_ms, int64_t deadline_ms, ex_snapshot *out) {
    ex->ops->snapshots(ex, symbols, n, spec, now_ms, deadline_ms, out);
}

ex_status ex_candles(exchange *ex, const char *symbol, const char *interval, int limit,
                     int64_t now_ms, int64_t deadline_ms, candles *out, ex_error *e, dstr *err) {
    return ex->ops->candles(ex, symbol, interval, limit, now_ms, deadline_ms, out, e, err);
}

ex_status ex_orderbook(exchange *ex, const char *symbol, int limit, int64_t deadline_ms,
                       order_book *out, ex_error *e, dstr *err) {
    return ex->ops->orderbook(ex, symbol, limit, deadline_ms, out, e, err);
}

void ex_close(exchange *ex) {
    if (ex) ex->ops->close(ex);
}

void ex_snapshot_free(ex_snapshot *s) {
    if (s->status == EX_OK) snapshot_free(&s->snap);
    dstr_free(&s->why);
}

const char *ex_status_name(ex_status s) {
    static const char *const names[] = {"ok",     "invalid_symbol", "rejected",     "rate_limited",
                                        "banned", "unavailable",    "bad_response", "timeout"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "unknown";
}
