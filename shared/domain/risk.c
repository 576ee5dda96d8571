/* risk: see risk.h; rule numbers refer to its list. */
#include "domain/risk.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define MINUTE_MS 60000

risk_params risk_params_default(void) {
    return (risk_params){.max_open_positions = 2,
                         .daily_loss_limit_usdt = 200,
                         .max_drawdown_pct = 10,
                         .cooldown_minutes = 60,
                         .max_funding_rate = 0.001};
}

__attribute__((format(printf, 2, 3))) static void add_reason(risk_result *r, const char *fmt, ...) {
    r->allow = 0;
    if (r->n_reasons == RISK_MAX_REASONS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reasons[r->n_reasons++], DECISION_REASON_LEN, fmt, ap);
    va_end(ap);
}

/* Rule 3: the high-water mark and the kill switch, updated whatever the
 * other rules say. */
static void drawdown(const risk_input *in, const risk_params *p, risk_result *r) {
    double equity = in->equity;
    r->hwm = isfinite(in->hwm) && in->hwm > 0 ? in->hwm : NAN;
    if (!isfinite(equity)) {
        add_reason(r, "equity unknown");
    } else {
        if (equity > 0 && !(equity <= r->hwm)) r->hwm = equity, r->hwm_raised = 1;
        if (isnan(r->hwm)) add_reason(r, "equity %.2f not > 0", equity);
        else r->drawdown_pct = 100.0 * (r->hwm - equity) / r->hwm;
        if (!r->kill_switch && r->drawdown_pct >= p->max_drawdown_pct - 1e-9)
            r->kill_switch = r->kill_switch_tripped = 1;
    }
    if (!r->kill_switch) return;
    if (isnan(r->drawdown_pct)) add_reason(r, "kill switch tripped (reset it in the journal)");
    else
        add_reason(r, "kill switch: drawdown %.2f%% (max %.2f%%; reset it in the journal)",
                   r->drawdown_pct, p->max_drawdown_pct);
}

void risk_check(const risk_input *in, const risk_params *p, risk_result *r) {
    *r = (risk_result){.allow = 1, .hwm = NAN, .drawdown_pct = NAN, .kill_switch = in->kill_switch};
    if (in->dir != DIR_LONG && in->dir != DIR_SHORT)
        add_reason(r, "direction %s: nothing to enter", direction_name(in->dir));

    /* rule 1 */
    if (in->open_positions < 0) add_reason(r, "open positions unknown");
    else if (in->open_positions >= p->max_open_positions)
        add_reason(r, "open positions %d >= max %d", in->open_positions, p->max_open_positions);

    /* rule 2 */
    if (!isfinite(in->realized_pnl_today)) add_reason(r, "today's realised pnl unknown");
    else if (in->realized_pnl_today <= -p->daily_loss_limit_usdt)
        add_reason(r, "daily loss %.2f >= limit %.2f USDT", -in->realized_pnl_today,
                   p->daily_loss_limit_usdt);

    drawdown(in, p, r);

    /* rule 4 */
    if (in->last_stop_out_ms > 0 && p->cooldown_minutes > 0) {
        r->cooldown_until_ms = in->last_stop_out_ms + (int64_t)p->cooldown_minutes * MINUTE_MS;
        if (in->now_ms < r->cooldown_until_ms) {
            int64_t left = (r->cooldown_until_ms - in->now_ms + MINUTE_MS - 1) / MINUTE_MS;
            add_reason(r, "cooldown after a stop-out on %s: %" PRId64 " of %d min left",
                       in->symbol ? in->symbol : "?", left, p->cooldown_minutes);
        }
    }

    /* rule 5: a LONG pays a positive rate, a SHORT a negative one */
    if (!isfinite(in->funding_rate)) add_reason(r, "funding rate unknown");
    else if (in->dir == DIR_LONG || in->dir == DIR_SHORT) {
        double paid = in->dir == DIR_LONG ? in->funding_rate : -in->funding_rate;
        if (paid > p->max_funding_rate + 1e-12)
            add_reason(r, "funding %.4f%% against the %s > max %.4f%%", 100 * in->funding_rate,
                       direction_name(in->dir), 100 * p->max_funding_rate);
    }
}
