/* symbol_rules: rounding to the exchange's steps and the order checks (see
 * symbol_rules.h). */
#include "domain/symbol_rules.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SR_MAX_DECIMALS 18

/* How far from a whole number of steps a count may be and still be one:
 * 1e-9 step, plus a relative part for large counts (value / step carries
 * a few ulps of error). */
static double step_tolerance(double steps) { return 1e-9 + 1e-12 * fabs(steps); }

static int step_usable(const step_rule *s) {
    return s && isfinite(s->step) && s->step > 0 && s->decimals >= 0 &&
           s->decimals <= SR_MAX_DECIMALS;
}

/* k steps, cut to the step's decimals so 3 * 0.1 is 0.3, not 0.30000000000000004. */
static double steps_value(double k, const step_rule *s) {
    double scale = pow(10, s->decimals);
    return nearbyint(k * s->step * scale) / scale;
}

double sr_round_down(double value, const step_rule *step) {
    if (!isfinite(value) || !step_usable(step)) return NAN;
    double n = value / step->step;
    return steps_value(floor(n + step_tolerance(n)), step);
}

double sr_round_up(double value, const step_rule *step) {
    if (!isfinite(value) || !step_usable(step)) return NAN;
    double n = value / step->step;
    return steps_value(ceil(n - step_tolerance(n)), step);
}

static double round_nearest(double value, const step_rule *step) {
    if (!isfinite(value) || !step_usable(step)) return NAN;
    return steps_value(nearbyint(value / step->step), step);
}

double sr_price_toward(const symbol_rules *r, double price, double reference) {
    if (!isfinite(reference)) return NAN;
    if (reference < price) return sr_round_down(price, &r->tick);
    if (reference > price) return sr_round_up(price, &r->tick);
    return round_nearest(price, &r->tick);
}

int sr_format(double value, const step_rule *step, char *buf, size_t n) {
    if (n) buf[0] = '\0';
    if (!isfinite(value) || value < 0 || !step_usable(step) || n == 0) return -1;
    int len = snprintf(buf, n, "%.*f", step->decimals, value);
    if (len < 0 || (size_t)len >= n) {
        buf[0] = '\0';
        return -1;
    }
    return len;
}

static int whole_steps(double value, const step_rule *s) {
    double n = value / s->step;
    return fabs(n - nearbyint(n)) <= step_tolerance(n);
}

const qty_rule *sr_qty_rule(const symbol_rules *r, sr_order_kind kind) {
    return kind == SR_MARKET_ENTRY || kind == SR_MARKET_EXIT ? &r->market_lot : &r->lot;
}

__attribute__((format(printf, 4, 5))) static sr_status fail(sr_status st, char *why, size_t n,
                                                            const char *fmt, ...) {
    if (why && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return st;
}

sr_status sr_check_order(const symbol_rules *r, sr_order_kind kind, double qty, double price,
                         char *why, size_t n) {
    if (why && n) why[0] = '\0';
    int entry = kind == SR_MARKET_ENTRY || kind == SR_LIMIT_ENTRY;
    int priced = kind == SR_LIMIT_ENTRY || kind == SR_EXIT_LEG;
    const qty_rule *q = sr_qty_rule(r, kind);
    if (entry && strcmp(r->status, "TRADING") != 0)
        return fail(SR_NOT_TRADING, why, n, "%s status %s, not TRADING", r->symbol,
                    r->status[0] ? r->status : "unknown");
    if (!(isfinite(qty) && qty > 0))
        return fail(SR_BAD_VALUE, why, n, "qty %g not a number > 0", qty);
    if (!(isfinite(price) && price > 0))
        return fail(SR_BAD_VALUE, why, n, "price %g not a number > 0", price);
    if (!step_usable(&q->step) || !step_usable(&r->tick))
        return fail(SR_BAD_VALUE, why, n, "%s has no usable step or tick size", r->symbol);
    if (!whole_steps(qty, &q->step))
        return fail(SR_QTY_STEP, why, n, "qty %.10g not a multiple of step %.10g", qty,
                    q->step.step);
    if (q->min_qty > 0 && qty < q->min_qty * (1 - 1e-12))
        return fail(SR_QTY_MIN, why, n, "qty %.10g < min %.10g", qty, q->min_qty);
    if (q->max_qty > 0 && qty > q->max_qty * (1 + 1e-12))
        return fail(SR_QTY_MAX, why, n, "qty %.10g > max %.10g", qty, q->max_qty);
    if (priced) {
        if (!whole_steps(price, &r->tick))
            return fail(SR_PRICE_TICK, why, n, "price %.10g not a multiple of tick %.10g", price,
                        r->tick.step);
        if (r->min_price > 0 && price < r->min_price * (1 - 1e-12))
            return fail(SR_PRICE_MIN, why, n, "price %.10g < min %.10g", price, r->min_price);
        if (r->max_price > 0 && price > r->max_price * (1 + 1e-12))
            return fail(SR_PRICE_MAX, why, n, "price %.10g > max %.10g", price, r->max_price);
    }
    if (entry && r->min_notional > 0 && qty * price < r->min_notional * (1 - 1e-9))
        return fail(SR_MIN_NOTIONAL, why, n, "notional %.10g < min %.10g", qty * price,
                    r->min_notional);
    return SR_OK;
}
