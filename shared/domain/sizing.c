/* sizing: see sizing.h; rule numbers refer to its list. */
#include "domain/sizing.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RR_TOLERANCE 1e-9 /* as decision.c's gates */
#define MAX_LEVERAGE 125

__attribute__((format(printf, 4, 5))) static sizing_status refuse(sizing_status st, char *reason,
                                                                  size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, n, fmt, ap);
    va_end(ap);
    return st;
}

static int positive(double v) { return isfinite(v) && v > 0; }
static int within(double v, double lo, double hi) { return isfinite(v) && v >= lo && v <= hi; }
static int side_of(direction d) { return d == DIR_LONG ? 1 : -1; }

/* Rule 1's parameters; NULL when usable, else what is wrong. */
static const char *params_problem(const sizing_params *p) {
    if (!positive(p->risk_usdt)) return "risk_usdt not > 0";
    if (p->leverage < 1 || p->leverage > MAX_LEVERAGE) return "leverage not within 1..125";
    if (!within(p->fee_taker, 0, 0.1)) return "fee_taker not within 0..0.1";
    if (!within(p->slippage_bps, 0, 1000)) return "slippage_bps not within 0..1000";
    if (!within(p->max_notional_usdt, 0, INFINITY) || isinf(p->max_notional_usdt))
        return "max_notional_usdt not a number >= 0";
    if (!within(p->rr_min, 0, 1000)) return "rr_min not within 0..1000";
    if (!within(p->mmr, 0, 0.5)) return "maintenance-margin rate not within 0..0.5";
    return NULL;
}

/* A sr_check_order refusal as a sizing status: too little is its own kind,
 * since a bigger budget would cure it. */
static sizing_status from_check(sr_status st) {
    return st == SR_QTY_MIN || st == SR_MIN_NOTIONAL ? SIZING_TOO_SMALL : SIZING_EXCHANGE;
}

/* Rule 5: the largest quantity <= qty that is a whole number of steps of
 * both rules (the entry's and the legs'). Steps that are multiples of each
 * other, as the exchange's are, settle in one or two rounds. */
static double round_both(double qty, const step_rule *a, const step_rule *b) {
    for (int i = 0; i < 8; i++) {
        double qa = sr_round_down(qty, a), qb = sr_round_down(qa, b);
        if (!(qb < qa)) return qb;
        qty = qb;
    }
    return qty;
}

/* Rule 4: the smallest of the caps, and its name. */
static double capped_qty(const sizing_params *p, const symbol_rules *r, const qty_rule *entry_rule,
                         double entry, double loss_per_unit, double balance, const char **cap) {
    double qty = p->risk_usdt / loss_per_unit;
    *cap = "risk";
    double by_balance = balance / (entry * (1.0 / p->leverage + p->fee_taker));
    if (by_balance < qty) qty = by_balance, *cap = "balance";
    if (p->max_notional_usdt > 0 && p->max_notional_usdt / entry < qty)
        qty = p->max_notional_usdt / entry, *cap = "max_notional";
    double maxes[] = {entry_rule->max_qty, r->lot.max_qty};
    for (size_t i = 0; i < 2; i++)
        if (maxes[i] > 0 && maxes[i] < qty) qty = maxes[i], *cap = "max_qty";
    return qty;
}

/* Rule 6 (sizing.h). */
static double liquidation_estimate(int side, double entry, int leverage, double mmr) {
    return side > 0 ? entry * (1 - 1.0 / leverage) / (1 - mmr)
                    : entry * (1 + 1.0 / leverage) / (1 + mmr);
}

static void reset_result(sizing_result *o) {
    *o = (sizing_result){.qty = NAN,
                         .entry = NAN,
                         .sl = NAN,
                         .tp = NAN,
                         .rr = NAN,
                         .liq_price = NAN,
                         .notional = NAN,
                         .margin = NAN,
                         .cost_per_unit = NAN,
                         .loss_at_stop = NAN,
                         .cap = ""};
}

/* Rule 2: entry, stop and target on the tick, rr re-checked. */
static sizing_status round_levels(const sizing_input *in, const sizing_params *p,
                                  sizing_result *o) {
    const symbol_rules *r = in->rules;
    int side = side_of(in->dir);
    o->entry = sr_price_toward(r, in->entry, in->entry);
    o->sl = sr_price_toward(r, in->sl, o->entry);
    o->tp = sr_price_toward(r, in->tp, o->entry);
    if (!(side * (o->entry - o->sl) > 0))
        return refuse(SIZING_LEVELS, o->reason, sizeof o->reason,
                      "stop %.10g rounds onto the entry %.10g (tick %.10g)", in->sl, o->entry,
                      r->tick.step);
    if (!(side * (o->tp - o->entry) > 0))
        return refuse(SIZING_LEVELS, o->reason, sizeof o->reason,
                      "take-profit %.10g rounds onto the entry %.10g (tick %.10g)", in->tp,
                      o->entry, r->tick.step);
    o->rr = side * (o->tp - o->entry) / (side * (o->entry - o->sl));
    if (o->rr < p->rr_min - RR_TOLERANCE)
        return refuse(SIZING_LEVELS, o->reason, sizeof o->reason,
                      "rr %.2f < min %.2f after rounding to the tick", o->rr, p->rr_min);
    return SIZING_OK;
}

/* Rule 5's checks: the entry, then both legs with the same quantity. */
static sizing_status check_orders(const sizing_input *in, sizing_result *o) {
    static const char *const names[] = {"entry", "stop", "take-profit"};
    sr_order_kind kinds[] = {in->market ? SR_MARKET_ENTRY : SR_LIMIT_ENTRY, SR_EXIT_LEG,
                             SR_EXIT_LEG};
    double prices[] = {o->entry, o->sl, o->tp};
    for (size_t i = 0; i < 3; i++) {
        char why[SIZING_REASON_LEN - 16];
        sr_status st = sr_check_order(in->rules, kinds[i], o->qty, prices[i], why, sizeof why);
        if (st != SR_OK)
            return refuse(from_check(st), o->reason, sizeof o->reason, "%s: %s", names[i], why);
    }
    return SIZING_OK;
}

sizing_status sizing_make(const sizing_input *in, const sizing_params *p, sizing_result *o) {
    reset_result(o);
    const char *problem = params_problem(p);
    if (problem) return refuse(SIZING_BAD_INPUT, o->reason, sizeof o->reason, "%s", problem);
    if (!in->rules) return refuse(SIZING_BAD_INPUT, o->reason, sizeof o->reason, "no rules");
    if (in->dir != DIR_LONG && in->dir != DIR_SHORT)
        return refuse(SIZING_BAD_INPUT, o->reason, sizeof o->reason, "direction %s",
                      direction_name(in->dir));
    int side = side_of(in->dir);
    if (!positive(in->entry) || !positive(in->sl) || !positive(in->tp) ||
        !(side * (in->entry - in->sl) > 0) || !(side * (in->tp - in->entry) > 0))
        return refuse(SIZING_BAD_INPUT, o->reason, sizeof o->reason,
                      "levels sl %g, entry %g, tp %g not in order for %s", in->sl, in->entry,
                      in->tp, direction_name(in->dir));
    if (!within(in->available_balance, 0, INFINITY) || isinf(in->available_balance))
        return refuse(SIZING_BAD_INPUT, o->reason, sizeof o->reason, "available balance %g unknown",
                      in->available_balance);

    sizing_status st = round_levels(in, p, o);
    if (st != SIZING_OK) return st;

    const symbol_rules *r = in->rules;
    sr_order_kind entry_kind = in->market ? SR_MARKET_ENTRY : SR_LIMIT_ENTRY;
    const qty_rule *entry_rule = sr_qty_rule(r, entry_kind);
    double distance = side * (o->entry - o->sl);
    o->cost_per_unit = (p->fee_taker + p->slippage_bps / 10000.0) * (o->entry + o->sl);
    double loss_per_unit = distance + o->cost_per_unit;
    double wanted =
        capped_qty(p, r, entry_rule, o->entry, loss_per_unit, in->available_balance, &o->cap);
    o->qty = round_both(wanted, &entry_rule->step, &r->lot.step);
    if (!(o->qty > 0))
        return refuse(SIZING_TOO_SMALL, o->reason, sizeof o->reason,
                      "quantity %.6g (bound by %s) rounds down to 0 at step %.10g", wanted, o->cap,
                      entry_rule->step.step);
    o->notional = o->qty * o->entry;
    o->margin = o->notional / p->leverage;
    o->loss_at_stop = o->qty * loss_per_unit;
    step_rule qty_text_step = entry_rule->step;
    if (r->lot.step.decimals > qty_text_step.decimals) qty_text_step = r->lot.step;
    sr_format(o->qty, &qty_text_step, o->qty_text, sizeof o->qty_text);
    sr_format(o->entry, &r->tick, o->entry_text, sizeof o->entry_text);
    sr_format(o->sl, &r->tick, o->sl_text, sizeof o->sl_text);
    sr_format(o->tp, &r->tick, o->tp_text, sizeof o->tp_text);

    st = check_orders(in, o);
    if (st != SIZING_OK) return st;

    o->liq_price = liquidation_estimate(side, o->entry, p->leverage, p->mmr);
    if (!(side * (o->sl - o->liq_price) > 0))
        return refuse(SIZING_LIQUIDATION, o->reason, sizeof o->reason,
                      "estimated liquidation %.2f not beyond the stop %.10g (leverage %d)",
                      o->liq_price, o->sl, p->leverage);
    return SIZING_OK;
}

sizing_status sizing_legs_from_fill(direction dir, double fill_price, double qty,
                                    double sl_distance, double tp_distance,
                                    const symbol_rules *rules, sizing_legs *out) {
    *out = (sizing_legs){.sl = NAN, .tp = NAN};
    if ((dir != DIR_LONG && dir != DIR_SHORT) || !rules || !positive(fill_price) ||
        !positive(qty) || !positive(sl_distance) || !positive(tp_distance))
        return refuse(SIZING_BAD_INPUT, out->reason, sizeof out->reason,
                      "legs need a side, a fill price, a quantity and distances > 0");
    int side = side_of(dir);
    out->sl = sr_price_toward(rules, fill_price - side * sl_distance, fill_price);
    out->tp = sr_price_toward(rules, fill_price + side * tp_distance, fill_price);
    if (!(out->sl > 0 && out->tp > 0 && side * (fill_price - out->sl) > 0 &&
          side * (out->tp - fill_price) > 0))
        return refuse(SIZING_LEVELS, out->reason, sizeof out->reason,
                      "legs %.10g / %.10g not on both sides of the fill %.10g", out->sl, out->tp,
                      fill_price);
    static const char *const names[] = {"stop", "take-profit"};
    double prices[] = {out->sl, out->tp};
    for (size_t i = 0; i < 2; i++) {
        char why[SIZING_REASON_LEN - 16];
        if (sr_check_order(rules, SR_EXIT_LEG, qty, prices[i], why, sizeof why) != SR_OK)
            return refuse(SIZING_EXCHANGE, out->reason, sizeof out->reason, "%s: %s", names[i],
                          why);
    }
    sr_format(out->sl, &rules->tick, out->sl_text, sizeof out->sl_text);
    sr_format(out->tp, &rules->tick, out->tp_text, sizeof out->tp_text);
    return SIZING_OK;
}
