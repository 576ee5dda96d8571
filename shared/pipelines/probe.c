/* probe: the gate before going live (see probe.h). */
#include "pipelines/probe.h"

#include <stdio.h>

#include "pipelines/audit.h"
#include "platform/clock.h"
#include "services/journal_probe.h"

#define DAY_MS 86400000LL

int pl_probe_judge(const cfg *c, double max_drawdown_pct, long closed_trades, char *why,
                   size_t cap) {
    int dd_ok = max_drawdown_pct <= c->probe_max_drawdown_pct;
    int trades_ok = closed_trades >= c->probe_min_trades;
    const char *verdict = !dd_ok       ? "drawdown over the limit"
                          : !trades_ok ? "too few trades"
                                       : "ready";
    snprintf(why, cap,
             "%s: max drawdown %.2f %% (PROBE_MAX_DRAWDOWN_PCT=%g), %ld closed trades "
             "(PROBE_MIN_TRADES=%d)",
             verdict, max_drawdown_pct, c->probe_max_drawdown_pct, closed_trades,
             c->probe_min_trades);
    return dd_ok && trades_ok;
}

int pl_probe_gate(const cfg *c, store *journal, int64_t now_ms, dstr *err) {
    if (!c->live_requires_probe || !c->execute_trades || c->paper) return 0; /* paper: no money */
    char hash[PL_CONFIG_HASH_LEN];
    pl_strategy_hash(c, hash, sizeof hash);
    const char *head = "LIVE_REQUIRES_PROBE=true: EXECUTE_TRADES=true needs a ready backtest of "
                       "strategy";
    journal_probe p;
    dstr why = {0};
    char why_now[256];
    int rc = journal_probe_newest(journal, hash, &p, &why);
    if (rc < 0) {
        dstr_error_line(err, "%s %s, and the journal %s could not be read: %s", head, hash,
                        c->journal_url, dstr_cstr(&why));
    } else if (rc > 0) {
        dstr_error_line(err,
                        "%s %s: the journal %s holds no probe of it (run build/bin/backtest "
                        "--probe with this configuration; README \"A probe before going live\")",
                        head, hash, c->journal_url);
    } else if (now_ms - p.time_ms > (int64_t)c->probe_max_age_days * DAY_MS) {
        dstr_error_line(err,
                        "%s %s: its newest probe (run %s) is %.1f days old, over "
                        "PROBE_MAX_AGE_DAYS=%d",
                        head, hash, p.run_id, (double)(now_ms - p.time_ms) / DAY_MS,
                        c->probe_max_age_days);
    } else if (!p.ready) {
        dstr_error_line(err, "%s %s: its newest probe (run %s) is not ready: %s", head, hash,
                        p.run_id, p.why);
    } else if (!pl_probe_judge(c, p.max_drawdown_pct, p.closed_trades, why_now, sizeof why_now)) {
        dstr_error_line(err,
                        "%s %s: its newest probe (run %s) is not within this configuration's "
                        "limits: %s",
                        head, hash, p.run_id, why_now);
    } else {
        rc = 0;
        goto done;
    }
    rc = -1;
done:
    dstr_free(&why);
    return rc;
}

int pl_probe_init_check(const cfg *c, pl_resources *r, dstr *err) {
    if (!c->live_requires_probe || !c->execute_trades || c->paper) return 0; /* paper: no money */
    int64_t now = clock_wall_ms();
    return pl_probe_gate(c, pl_resources_journal(r, now + PL_PROBE_INIT_BUDGET_MS), now, err);
}
