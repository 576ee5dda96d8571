/* decision: see decision.h; rule numbers refer to its list. */
#include "domain/decision.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GATE_TOLERANCE 1e-9

decision_params decision_params_default(void) {
    return (decision_params){
        .min_prob = 0.60,
        .rr_min = 1.20,
        .atr_mult_tp = 1.8,
        .atr_mult_sl = 1.0,
        .max_spread_bps = 2.0,
        .atr_period = FEAT_ATR_PERIOD,
        .atr_tf = TF_1H,
    };
}

__attribute__((format(printf, 2, 3))) static void add_reason(decision *d, const char *fmt, ...) {
    d->risk_ok = 0;
    if (d->n_reasons == DECISION_MAX_REASONS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->reasons[d->n_reasons++], DECISION_REASON_LEN, fmt, ap);
    va_end(ap);
}

/* Rule 1: the ATR, or NAN with the reason recorded. */
static double decision_atr(const features *f, const decision_params *p, decision *d) {
    if (!f) {
        add_reason(d, "atr unknown");
        return NAN;
    }
    if ((unsigned)p->atr_tf >= TF_COUNT || f->atr_period != p->atr_period) {
        add_reason(d, "atr(%d) on %s not in features (atr %d)", p->atr_period, tf_name(p->atr_tf),
                   f->atr_period);
        return NAN;
    }
    double atr = f->tf[p->atr_tf].atr;
    if (isnan(atr)) add_reason(d, "atr unknown");
    else if (!(atr > 0 && isfinite(atr))) add_reason(d, "atr %g not > 0", atr);
    else return atr;
    return NAN;
}

/* Rule 3 for one direction: side = +1 LONG, -1 SHORT. The level that can cap
 * TP is the resistance for a LONG and the support for a SHORT. */
static void set_levels(decision *d, int side, double atr, double level, const decision_params *p) {
    d->sl = d->entry - side * p->atr_mult_sl * atr;
    d->tp = d->entry + side * p->atr_mult_tp * atr;
    double beyond_entry = side * (level - d->entry), within_tp = side * (d->tp - level);
    if (isfinite(level) && beyond_entry > 0 && within_tp >= 0)
        d->tp = level - side * DECISION_CAP_ATR * atr;
    double risk = side * (d->entry - d->sl);
    d->rr = risk > 0 ? side * (d->tp - d->entry) / risk : NAN;
}

static void check_levels(decision *d, int side) {
    const char *above = side > 0 ? "above" : "below", *below = side > 0 ? "below" : "above";
    if (!(side * (d->tp - d->entry) > 0))
        add_reason(d, "tp %.10g not %s entry %.10g", d->tp, above, d->entry);
    if (!(side * (d->entry - d->sl) > 0))
        add_reason(d, "sl %.10g not %s entry %.10g", d->sl, below, d->entry);
}

static void decide_directional(const decision_input *in, const decision_params *p, decision *d) {
    const prediction *pred = in->pred;
    const features *f = in->feat;
    int side = d->dir == DIR_LONG ? 1 : -1;

    if (!(d->prob >= p->min_prob - GATE_TOLERANCE))
        add_reason(d, "prob %.2f < min %.2f", d->prob, p->min_prob);
    double spread = f ? f->spread_bps : NAN;
    if (isnan(spread)) add_reason(d, "spread unknown");
    else if (spread > p->max_spread_bps)
        add_reason(d, "spread %.1f bps > max %.1f", spread, p->max_spread_bps);

    double mid = f ? f->mid : NAN;
    double atr = decision_atr(f, p, d);
    if (!isfinite(mid)) add_reason(d, "no mid price");
    if (isfinite(pred->entry) && fabs(pred->entry - mid) <= DECISION_ENTRY_MAX_ATR * atr)
        d->entry = pred->entry; /* false whenever mid or atr is NAN */
    else d->entry = mid;
    if (!isfinite(d->entry) || isnan(atr)) return; /* reasons already given */

    set_levels(d, side, atr, side > 0 ? pred->resistance : pred->support, p);
    check_levels(d, side);
    if (!isnan(d->rr) && !(d->rr >= p->rr_min - GATE_TOLERANCE))
        add_reason(d, "rr %.2f < min %.2f", d->rr, p->rr_min);
}

void decision_make(const decision_input *in, const decision_params *params, decision *out) {
    const prediction *pred = in->pred;
    memset(out, 0, sizeof *out);
    snprintf(out->symbol, sizeof out->symbol, "%s", in->symbol ? in->symbol : "");
    snprintf(out->predictor, sizeof out->predictor, "%s", pred->predictor);
    out->dir = pred->dir == DIR_LONG || pred->dir == DIR_SHORT ? pred->dir : DIR_FLAT;
    out->prob = pred->prob;
    out->entry = out->tp = out->sl = out->rr = NAN;
    out->candle_time = in->candle_time;
    out->decided_at = in->decided_at;
    out->risk_ok = 1; /* until a rule fails */

    if (in->data_reason && in->data_reason[0]) add_reason(out, "data: %s", in->data_reason);
    if (pred->failed) add_reason(out, "predictor failed: %s", pred->rationale);
    if (out->dir == DIR_FLAT) {
        add_reason(out, "direction FLAT");
        if (in->feat) out->entry = in->feat->mid;
        return;
    }
    decide_directional(in, params, out);
}

static void json_key(dstr *out, const char *key) { dstr_printf(out, ",\"%s\":", key); }

void decision_to_json(const decision *d, dstr *out) {
    dstr_puts(out, "{\"symbol\":");
    dstr_json_str(out, d->symbol);
    json_key(out, "direction");
    dstr_json_str(out, direction_name(d->dir));
    const struct {
        const char *key;
        double value;
    } nums[] = {
        {"prob", d->prob}, {"entry", d->entry}, {"tp", d->tp}, {"sl", d->sl}, {"rr", d->rr}};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        json_key(out, nums[i].key);
        dstr_json_num(out, nums[i].value);
    }
    dstr_printf(out, ",\"risk_ok\":%s,\"reasons\":[", d->risk_ok ? "true" : "false");
    for (size_t i = 0; i < d->n_reasons; i++) {
        if (i) dstr_putc(out, ',');
        dstr_json_str(out, d->reasons[i]);
    }
    dstr_putc(out, ']');
    json_key(out, "predictor");
    dstr_json_str(out, d->predictor);
    dstr_printf(out, ",\"candle_time\":%" PRId64 ",\"decided_at\":%" PRId64 "}", d->candle_time,
                d->decided_at);
}
