/* reconcile: the exchange and the journal made to agree at the start of a
 * run (see reconcile.h). */
#include "pipelines/reconcile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipelines/audit.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "services/journal_run.h"
#include "services/journal_trade.h"

#define BOT_MAX 16

static int part_ok(const ex_part *p) { return p->asked && p->r.status == EX_OK; }

/* This bot's open orders and legs on one symbol. */
typedef struct bot_orders {
    const ex_order *orders[BOT_MAX];
    size_t n_orders;
    const ex_algo_order *algos[BOT_MAX];
    size_t n_algos;
    const ex_algo_order *stop, *tp;
    int64_t candle_ms; /* of the newest of its ids; 0 when none */
} bot_orders;

static int is_ours(const char *prefix, const char *id, const char *symbol, int64_t *newest_ms) {
    char sym[EX_SYMBOL_LEN];
    int64_t t = 0;
    if (!exec_parse_client_id(prefix, id, sym, &t, NULL) || strcmp(sym, symbol) != 0) return 0;
    if (t > *newest_ms) *newest_ms = t;
    return 1;
}

/* Sorts the symbol's open orders into the bot's and the others (*foreign). */
static void collect(const ex_account *a, const char *prefix, const char *symbol, bot_orders *b,
                    int *foreign) {
    memset(b, 0, sizeof *b);
    for (size_t k = 0; k < a->n_orders; k++) {
        const ex_order *o = &a->orders[k];
        if (strcmp(o->symbol, symbol) != 0) continue;
        if (!is_ours(prefix, o->client_id, symbol, &b->candle_ms)) *foreign = 1;
        else if (b->n_orders < BOT_MAX) b->orders[b->n_orders++] = o;
    }
    for (size_t k = 0; k < a->n_algo_orders; k++) {
        const ex_algo_order *o = &a->algo_orders[k];
        if (strcmp(o->symbol, symbol) != 0) continue;
        if (!is_ours(prefix, o->client_id, symbol, &b->candle_ms)) {
            *foreign = 1;
            continue;
        }
        if (b->n_algos < BOT_MAX) b->algos[b->n_algos++] = o;
        if (!b->stop && strcmp(o->type, "STOP_MARKET") == 0) b->stop = o;
        if (!b->tp && strcmp(o->type, "TAKE_PROFIT_MARKET") == 0) b->tp = o;
    }
}

static void ref_of(ex_order_ref *ref, const char *symbol, const char *id, int algo) {
    *ref = (ex_order_ref){.algo = algo};
    snprintf(ref->symbol, sizeof ref->symbol, "%s", symbol);
    snprintf(ref->client_id, sizeof ref->client_id, "%s", id);
}

/* Cancels the given orders (only_entries: the bot's resting entries, not
 * its reduce-only orders) and legs; 1 when every one is gone. */
static int cancel_bot(const pl_env *env, const bot_orders *b, const char *symbol, int legs_too,
                      int execute, rec_symbol *r, dstr *actions) {
    ex_order_ref refs[2 * BOT_MAX];
    size_t n = 0;
    for (size_t k = 0; k < b->n_orders; k++)
        if (legs_too || !b->orders[k]->reduce_only)
            ref_of(&refs[n++], symbol, b->orders[k]->client_id, 0);
    for (size_t k = 0; legs_too && k < b->n_algos; k++)
        ref_of(&refs[n++], symbol, b->algos[k]->client_id, 1);
    if (!n) return 1;
    if (!execute) {
        for (size_t k = 0; k < n; k++)
            exec_action(actions, symbol, "cancel", "would_cancel", refs[k].client_id);
        return 1;
    }
    ex_lookup *res = calloc(n, sizeof *res);
    if (!res) abort();
    ex_cancel(env->exchange, refs, n, env->deadline_ms, res);
    int all = 1;
    for (size_t k = 0; k < n; k++) {
        int ok = res[k].r.status == EX_OK || res[k].r.status == EX_NOT_FOUND;
        all &= ok;
        r->cancelled += ok;
        exec_action(actions, symbol, "cancel", ok ? "cancelled" : "failed",
                    ok ? refs[k].client_id : dstr_cstr(&res[k].r.why));
        exec_event(ok ? LOG_INFO : LOG_WARN, ok ? "reconcile.cancelled" : "reconcile.cancel_failed",
                   symbol, "%s: %s", refs[k].client_id,
                   ok ? "this bot's order on a flat symbol" : dstr_cstr(&res[k].r.why));
        ex_lookup_free(&res[k]);
    }
    free(res);
    return all;
}

/* ---- journaling the fills of a finished position ---------------------------------------- */

/* v as a plain decimal string (no exponent, trailing zeros dropped). */
static void decimal(double v, char *buf, size_t cap) {
    snprintf(buf, cap, "%.8f", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0') *end-- = 0;
        if (end == dot) *end = 0;
    }
    if (strcmp(buf, "-0") == 0) snprintf(buf, cap, "0");
}

typedef struct fill_kinds {
    int64_t entry_id, close_id, rclose_id, stop_id, tp_id, stop2_id, tp2_id;
    char entry_type[EX_NAME_LEN];
    int64_t order_of[7];                 /* the slots above, in query order */
    char client_id[7][EX_CLIENT_ID_LEN]; /* the client id behind each */
} fill_kinds;

/* The client id of this bot's order behind a fill (userTrades do not carry
 * it), NULL when the fill is none of the plan's orders. */
static const char *client_id_of(const fill_kinds *k, int64_t order_id) {
    for (int i = 0; i < 7; i++)
        if (order_id > 0 && k->order_of[i] == order_id) return k->client_id[i];
    return NULL;
}

static const char *kind_of(const fill_kinds *k, int64_t order_id, const char **type) {
    if (order_id == k->entry_id) {
        *type = k->entry_type[0] ? k->entry_type : "MARKET";
        return JOURNAL_TRADE_ENTRY;
    }
    if (order_id == k->stop_id || order_id == k->stop2_id) {
        *type = "STOP_MARKET";
        return JOURNAL_TRADE_STOP;
    }
    if (order_id == k->tp_id || order_id == k->tp2_id) {
        *type = "TAKE_PROFIT_MARKET";
        return JOURNAL_TRADE_TAKE_PROFIT;
    }
    *type = "MARKET";
    return order_id == k->close_id ? JOURNAL_TRADE_EMERGENCY_CLOSE : JOURNAL_TRADE_RECONCILE_CLOSE;
}

/* The order ids behind the plan's client ids, one query batch. */
static void query_kinds(const pl_env *env, const bracket_info *plan, fill_kinds *k) {
    static const char legs[] = {EXEC_LEG_ENTRY,   EXEC_LEG_CLOSE, EXEC_LEG_RECONCILE_CLOSE,
                                EXEC_LEG_STOP,    EXEC_LEG_TP,    EXEC_LEG_STOP_AGAIN,
                                EXEC_LEG_TP_AGAIN};
    int64_t *slots[] = {&k->entry_id, &k->close_id, &k->rclose_id, &k->stop_id,
                        &k->tp_id,    &k->stop2_id, &k->tp2_id};
    ex_order_ref refs[7];
    ex_lookup res[7];
    memset(res, 0, sizeof res);
    memset(k, 0, sizeof *k);
    for (int i = 0; i < 7; i++) {
        char id[EX_CLIENT_ID_LEN];
        exec_client_id(env->cfg->order_id_prefix, plan->symbol, plan->candle_ms, legs[i], id);
        ref_of(&refs[i], plan->symbol, id, i >= 3);
    }
    ex_query(env->exchange, refs, 7, env->deadline_ms, res);
    for (int i = 0; i < 7; i++) {
        if (res[i].r.status == EX_OK)
            *slots[i] = i < 3 ? res[i].order.order_id : res[i].algo.actual_order_id;
        if (i == 0 && res[i].r.status == EX_OK) { /* same size: copied whole */
            memcpy(k->entry_type, res[i].order.type, sizeof k->entry_type);
            k->entry_type[sizeof k->entry_type - 1] = 0;
        }
        if (*slots[i] == 0) *slots[i] = -1; /* never matches a fill */
        k->order_of[i] = *slots[i];
        snprintf(k->client_id[i], sizeof k->client_id[i], "%s", refs[i].client_id);
        ex_lookup_free(&res[i]);
    }
}

static journal_trade trade_of(const ex_fill *f, const char *kind, const char *type, char *qty,
                              char *price, char *pnl, char *fee) {
    decimal(f->qty, qty, EX_DECIMAL_LEN);
    decimal(f->price, price, EX_DECIMAL_LEN);
    decimal(f->realized_pnl, pnl, EX_DECIMAL_LEN);
    decimal(fabs(f->commission), fee, EX_DECIMAL_LEN);
    return (journal_trade){.time_ms = f->time,
                           .symbol = f->symbol,
                           .side = ex_side_name(f->side),
                           .type = type,
                           .status = "FILLED",
                           .qty = qty,
                           .price = price,
                           .realized_pnl = pnl,
                           .fee = fee,
                           .fee_asset = f->commission_asset[0] ? f->commission_asset : NULL,
                           .order_id = f->order_id,
                           .trade_id = f->id,
                           .kind = kind};
}

static void journal_fills(const pl_env *env, const ex_account *a, const bracket_info *plan,
                          int execute, rec_symbol *r, dstr *actions) {
    if (!plan->has || !part_ok(&a->trades_part) || !env->journal) return;
    const ex_fill *newest = NULL;
    size_t n = 0;
    for (size_t k = 0; k < a->n_trades; k++) {
        const ex_fill *f = &a->trades[k];
        if (strcmp(f->symbol, plan->symbol) || f->time < plan->candle_ms) continue;
        n++;
        if (!newest || f->time > newest->time || (f->time == newest->time && f->id > newest->id))
            newest = f;
    }
    if (!n) return;
    char qty[EX_DECIMAL_LEN], price[EX_DECIMAL_LEN], pnl[EX_DECIMAL_LEN], fee[EX_DECIMAL_LEN];
    char key[JOURNAL_KEY_MAX];
    journal_trade probe = trade_of(newest, "order", "MARKET", qty, price, pnl, fee);
    dstr buf = {0}, err = {0};
    int done = journal_trade_key(&probe, key, sizeof key) == 0 &&
               store_get(env->journal, key, &buf, &err) == STORE_OK;
    dstr_free(&buf);
    dstr_free(&err);
    if (done) return; /* the newest fill is journaled: so is the rest */
    if (!execute) {
        char d[64];
        snprintf(d, sizeof d, "%zu fills", n);
        exec_action(actions, plan->symbol, "journal_fills", "would_journal", d);
        return;
    }
    fill_kinds kinds;
    query_kinds(env, plan, &kinds);
    double funding = 0;
    int has_funding = 0;
    if (part_ok(&a->income_part))
        for (size_t k = 0; k < a->n_income; k++) {
            const ex_income *in = &a->income[k];
            if (strcmp(in->symbol, plan->symbol) == 0 && strcmp(in->type, "FUNDING_FEE") == 0 &&
                in->time >= plan->candle_ms)
                funding += in->amount, has_funding = 1;
        }
    ex_side exit = plan->dir == DIR_LONG ? EX_SELL : EX_BUY;
    const ex_fill *last_exit = NULL;
    for (size_t k = 0; k < a->n_trades; k++) {
        const ex_fill *f = &a->trades[k];
        if (strcmp(f->symbol, plan->symbol) || f->time < plan->candle_ms || f->side != exit)
            continue;
        if (!last_exit || f->time > last_exit->time ||
            (f->time == last_exit->time && f->id > last_exit->id))
            last_exit = f;
    }
    char fund[EX_DECIMAL_LEN];
    decimal(funding, fund, sizeof fund);
    char hash[PL_CONFIG_HASH_LEN];
    pl_config_hash(env->cfg, hash, sizeof hash);
    for (size_t k = 0; k < a->n_trades; k++) {
        const ex_fill *f = &a->trades[k];
        if (strcmp(f->symbol, plan->symbol) || f->time < plan->candle_ms) continue;
        const char *type;
        const char *kind = kind_of(&kinds, f->order_id, &type);
        journal_trade t = trade_of(f, kind, type, qty, price, pnl, fee);
        t.client_order_id = client_id_of(&kinds, f->order_id);
        if (f == last_exit && has_funding) t.funding = fund;
        t.build = pl_build_version();
        t.config_hash = hash;
        journal_status st = journal_trade_put(env->journal, &t, NULL, NULL);
        if (st == JOURNAL_OK) r->journaled++;
        if (st == JOURNAL_OK || st != JOURNAL_EXISTS) {
            char d[240];
            int len = snprintf(d, sizeof d, "%s %s %s at %s", kind, t.side, qty, price);
            if (strcmp(kind, JOURNAL_TRADE_ENTRY) && len > 0 && (size_t)len < sizeof d)
                snprintf(d + len, sizeof d - (size_t)len, ", realised PnL %s, fee %s%s%s", pnl, fee,
                         t.funding ? ", funding " : "", t.funding ? t.funding : "");
            exec_action(actions, plan->symbol, "journal_trade",
                        st == JOURNAL_OK ? "journaled" : journal_status_name(st), d);
        }
    }
}

/* ---- per symbol ------------------------------------------------------------------------------ */

static void why(rec_symbol *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(rec_symbol *r, const char *fmt, ...) {
    if (r->why[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
}

/* ---- a bracket still in flight ----------------------------------------------------------------- */

typedef struct run_probe {
    const char *run_id;
    int64_t oldest_ms; /* a run record older than this cannot be the plan's run */
    int found;
    int64_t finished_ms; /* of the record found; -1: unreadable */
} run_probe;

/* runs/YYYYMMDD/HHMMSSmmm_ID.json: its start time, or -1. */
static int64_t run_key_ms(const char *key) {
    int y, mo, d, h, mi, sec, ms;
    if (sscanf(key, JOURNAL_RUN_PREFIX "%4d%2d%2d/%2d%2d%2d%3d_", &y, &mo, &d, &h, &mi, &sec,
               &ms) != 7)
        return -1;
    int64_t t = clock_utc_ms(y, mo, d, h, mi, sec);
    return t < 0 ? -1 : t + ms;
}

static journal_step probe_visit(void *ctx, store *s, const char *key) {
    run_probe *p = ctx;
    int64_t at = run_key_ms(key);
    if (at >= 0 && at < p->oldest_ms) return JOURNAL_WALK_DONE;
    const char *us = strrchr(key, '_');
    size_t n = strlen(p->run_id);
    if (us && strncmp(us + 1, p->run_id, n) == 0 && strcmp(us + 1 + n, ".json") == 0) {
        p->found = 1;
        p->finished_ms = -1;
        dstr buf = {0};
        journal_run_info info;
        if (!journal_load(s, key, &buf) && !journal_run_parse(buf.ptr, buf.len, &info, NULL))
            p->finished_ms = info.finished_ms;
        dstr_free(&buf);
        return JOURNAL_WALK_DONE;
    }
    return JOURNAL_WALK_MORE;
}

/* 1 when this run's account read may not show everything the run that
 * wrote plan sent: its deadline (plus RECONCILE_INFLIGHT_SLACK_MS) has not
 * passed and it has no run record yet, or its record says it finished after
 * this run's read began (the read saw the position, not yet its legs). A run
 * that cannot be checked counts as in flight. */
static int in_flight(const pl_env *env, const bracket_info *plan, int64_t read_ms) {
    if (!plan->has || plan->deadline_ms <= 0 || !plan->run_id[0]) return 0;
    if (clock_now(env->clock) > plan->deadline_ms + RECONCILE_INFLIGHT_SLACK_MS) return 0;
    run_probe p = {.run_id = plan->run_id, .oldest_ms = plan->created_ms - RECONCILE_RUN_MAX_MS};
    journal_walk w = {.root = JOURNAL_RUN_PREFIX, .ext = ".json", .visit = probe_visit, .ctx = &p};
    if (!env->journal || journal_walk_newest(env->journal, &w, NULL)) return 1;
    /* finished_ms is taken after the run's last answer: before read_ms, every
     * order it sent was acknowledged before this run's read was sent */
    return !p.found || p.finished_ms < 0 || p.finished_ms >= read_ms;
}

static void defer(const bracket_info *plan, rec_symbol *r, const char *what, dstr *actions) {
    char d[EXEC_REASON_LEN];
    snprintf(d, sizeof d, "run %s may still be placing its bracket (deadline %lld): %s",
             plan->run_id, (long long)plan->deadline_ms, what);
    exec_action(actions, r->symbol, "bracket_in_flight", "deferred", d);
    exec_event(LOG_WARN, "reconcile.in_flight", r->symbol, "%s", d);
    why(r, "%s", d);
}

static void flat(const pl_env *env, const ex_account *a, const bot_orders *b,
                 const bracket_info *plan, int execute, rec_symbol *r, dstr *actions) {
    if (in_flight(env, plan, a->read_ms)) { /* its entry may fill, its legs appear: touch nothing */
        defer(plan, r, "no cancel, no entry this run", actions);
        return;
    }
    int gone = cancel_bot(env, b, r->symbol, 1, execute, r, actions);
    r->entry_ok = !r->foreign && gone;
    if (!gone) why(r, "this bot's orders on the flat symbol could not all be cancelled");
    journal_fills(env, a, plan, execute, r, actions);
}

/* What reconcile found on this bot's position, with the legs' actual
 * triggers: the run record then says what a run killed before its own
 * record left behind. */
static void name_legs(const char *symbol, const ex_position *p, const bot_orders *b,
                      const bracket_info *plan, dstr *actions) {
    char d[EXEC_REASON_LEN + 280], stop[128] = "missing", tp[128] = "missing";
    if (b->stop)
        snprintf(stop, sizeof stop, "%s at %.10g (%s)", b->stop->quantity_str,
                 b->stop->trigger_price, b->stop->client_id);
    if (b->tp)
        snprintf(tp, sizeof tp, "%s at %.10g (%s)", b->tp->quantity_str, b->tp->trigger_price,
                 b->tp->client_id);
    snprintf(d, sizeof d, "%s at %.10g; plan %s; stop %s; take-profit %s", p->amount_str,
             p->entry_price, plan->has ? "found" : "missing", stop, tp);
    exec_action(actions, symbol, "position", b->stop && b->tp ? "protected" : "missing_leg", d);
}

/* A position of this bot whose fill no run recorded (its answer was lost,
 * or the process was killed before the legs): the fill record is written
 * now from the position (create-only: once recorded, JOURNAL_EXISTS and
 * nothing is said), with the legs' triggers found or about to be placed. */
static void recover_fill(const pl_env *env, const char *symbol, const ex_position *p,
                         const bracket_info *plan, const char *sl, const char *tp, int execute,
                         dstr *actions) {
    if (!execute || !env->journal || !plan->has) return;
    char id[EX_CLIENT_ID_LEN], qty[EX_DECIMAL_LEN];
    if (exec_client_id(env->cfg->order_id_prefix, symbol, plan->candle_ms, EXEC_LEG_ENTRY, id))
        return;
    snprintf(qty, sizeof qty, "%s", p->amount_str[0] == '-' ? p->amount_str + 1 : p->amount_str);
    bracket_fill f = {.symbol = symbol,
                      .candle_ms = plan->candle_ms,
                      .filled_ms = p->update_time > 0 ? p->update_time : clock_now(env->clock),
                      .dir = plan->dir,
                      .client_id = id,
                      .qty = qty,
                      .fill_price = p->entry_price,
                      .sl_trigger = sl,
                      .tp_trigger = tp,
                      .build = pl_build_version(),
                      .recovered = 1};
    dstr err = {0};
    journal_status st = bracket_fill_put(env->journal, &f, &err);
    if (st != JOURNAL_EXISTS) {
        char d[EXEC_REASON_LEN];
        snprintf(d, sizeof d, "%s at %.10g (from the position); stop at %s, take-profit at %s", qty,
                 p->entry_price, sl ? sl : "(none)", tp ? tp : "(none)");
        exec_action(actions, symbol, "journal_fill",
                    st == JOURNAL_OK ? "recovered" : journal_status_name(st), d);
    }
    dstr_free(&err);
}

static void held(const pl_env *env, const ex_account *a, const ex_position *p, const bot_orders *b,
                 const bracket_info *plan, int execute, rec_symbol *r, dstr *actions) {
    r->position = 1;
    direction dir = p->amount > 0 ? DIR_LONG : DIR_SHORT;
    double size = fabs(p->amount);
    int plan_fits = plan->has && plan->dir == dir && size <= plan->qty_value * (1 + 1e-9);
    if (!b->n_orders && !b->n_algos && !plan_fits) {
        r->foreign = 1;
        why(r, "a position this bot did not make (%s): left alone, no entry", p->amount_str);
        return;
    }
    r->ours = 1;
    why(r, "position open (%s): no second entry", p->amount_str);
    cancel_bot(env, b, r->symbol, 0, execute, r, actions); /* a resting rest of an entry */
    int need_stop = !b->stop, need_tp = !b->tp;
    name_legs(r->symbol, p, b, plan, actions);
    int plan_ours = plan->has && plan->dir == dir;
    char found_sl[40] = "", found_tp[40] = "";
    if (b->stop) snprintf(found_sl, sizeof found_sl, "%.10g", b->stop->trigger_price);
    if (b->tp) snprintf(found_tp, sizeof found_tp, "%.10g", b->tp->trigger_price);
    if (!need_stop && !need_tp) {
        if (plan_ours) recover_fill(env, r->symbol, p, plan, found_sl, found_tp, execute, actions);
        return;
    }
    if (plan_ours && in_flight(env, plan, a->read_ms)) {
        defer(plan, r, "its legs are not re-created by this run", actions);
        return;
    }
    const symbol_rules *rules = part_ok(&a->rules_part) ? ex_account_rules(a, r->symbol) : NULL;
    sizing_legs lg;
    const char *sl = NULL, *tp = NULL;
    if (plan->has && plan->dir == dir) {
        if (!rules) {
            exec_action(actions, r->symbol, "recreate_legs", "deferred", "rules unread");
            exec_event(need_stop ? LOG_ERROR : LOG_WARN,
                       need_stop ? "reconcile.unprotected" : "reconcile.take_profit_missing",
                       r->symbol, "a leg is missing and the rules could not be read: next run");
            return;
        }
        if (sizing_legs_from_fill(dir, p->entry_price, size, plan->sl_distance, plan->tp_distance,
                                  rules, &lg) == SIZING_OK) {
            sl = lg.sl_text;
            tp = lg.tp_text;
        } else {
            exec_action(actions, r->symbol, "recreate_legs", "unpriceable", lg.reason);
        }
    }
    char qty[EX_DECIMAL_LEN];
    snprintf(qty, sizeof qty, "%s", p->amount_str[0] == '-' ? p->amount_str + 1 : p->amount_str);
    if (!execute) {
        if (need_stop)
            exec_action(actions, r->symbol, "recreate_stop", sl ? "would_place" : "would_close",
                        sl ? sl : "no plan to price the stop: close at market");
        if (need_tp && tp)
            exec_action(actions, r->symbol, "recreate_take_profit", "would_place", tp);
        return;
    }
    exec_event(need_stop ? LOG_ERROR : LOG_WARN, "reconcile.missing_leg", r->symbol,
               "this bot's position %s lacks its %s: re-creating", p->amount_str,
               need_stop && need_tp ? "stop and take-profit"
               : need_stop          ? "stop"
                                    : "take-profit");
    if (plan_ours)
        recover_fill(env, r->symbol, p, plan, b->stop ? found_sl : sl, b->tp ? found_tp : tp,
                     execute, actions);
    exec_protect_spec spec = {.symbol = r->symbol,
                              .dir = dir,
                              .qty = qty,
                              .sl_text = sl,
                              .tp_text = tp,
                              .need_stop = need_stop,
                              .need_tp = need_tp,
                              .candle_ms = plan->has ? plan->candle_ms : b->candle_ms,
                              .prefix = env->cfg->order_id_prefix,
                              .stop_leg = EXEC_LEG_STOP_AGAIN,
                              .tp_leg = EXEC_LEG_TP_AGAIN,
                              .close_leg = EXEC_LEG_RECONCILE_CLOSE,
                              .keep_stop_id = b->stop ? b->stop->client_id : NULL,
                              .keep_tp_id = b->tp ? b->tp->client_id : NULL};
    exec_report rep;
    memset(&rep, 0, sizeof rep);
    r->protect = exec_protect(env, &spec, &rep, actions);
    r->recreated = rep.stop_placed + rep.tp_placed;
}

size_t reconcile(const pl_env *env, const ex_account *a, const bracket_info *plans,
                 const char *const *symbols, size_t n, int execute, rec_symbol *out,
                 dstr *actions) {
    const char *prefix = env->cfg->order_id_prefix;
    size_t n_foreign = 0;
    for (size_t i = 0; i < n; i++) {
        rec_symbol *r = &out[i];
        memset(r, 0, sizeof *r);
        snprintf(r->symbol, sizeof r->symbol, "%s", symbols[i]);
        const ex_part *parts[] = {&a->positions_part, &a->orders_part, &a->algo_orders_part};
        const ex_part *bad = NULL;
        for (int k = 0; k < 3 && !bad; k++)
            if (!part_ok(parts[k])) bad = parts[k];
        if (bad) {
            why(r, "account unread: %s", bad->asked ? dstr_cstr(&bad->r.why) : "not asked");
            continue;
        }
        r->read_ok = 1;
        bot_orders b;
        collect(a, prefix, r->symbol, &b, &r->foreign);
        const ex_position *p = ex_account_position(a, r->symbol);
        if (p && p->amount != 0) held(env, a, p, &b, &plans[i], execute, r, actions);
        else flat(env, a, &b, &plans[i], execute, r, actions);
        if (r->foreign) {
            n_foreign++;
            why(r, "an order this bot did not make is open on the symbol: left alone, no entry");
            exec_action(actions, r->symbol, "foreign", "left_alone", r->why);
            exec_event(LOG_WARN, "reconcile.foreign", r->symbol, "%s", r->why);
        }
    }
    return n_foreign;
}
