/* trader: one trader run end to end (see trader.h). */
#include "pipelines/trader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipelines/run_alerts.h"
#include "platform/log.h"
#include "platform/metrics.h"
#include "services/journal_claim.h"
#include "services/journal_control.h"
#include "services/journal_risk.h"
#include "services/journal_run.h"
#include "services/journal_trade.h"

static const ex_snapshot_spec market_spec = {.bars = SIGNAL_TF_BARS, .depth = SIGNAL_DEPTH_LIMIT};

static int part_ok(const ex_part *p) { return p->asked && p->r.status == EX_OK; }

static void status(trader_symbol *t, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void status(trader_symbol *t, const char *step, const char *fmt, ...) {
    t->step = step;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->status, sizeof t->status, fmt, ap);
    va_end(ap);
}

void trader_begin(const pl_env *env, const trader_request *rq, trader_result *out) {
    memset(out, 0, sizeof *out);
    out->execute = env->cfg->execute_trades;
    out->paper = env->cfg->paper;
    out->started_ms = clock_now(env->clock);
    out->read_ms = -1;
    out->n = rq->n;
    out->sym = calloc(rq->n + 1, sizeof *out->sym);
    if (!out->sym) abort();
    for (size_t i = 0; i < rq->n; i++) {
        snprintf(out->sym[i].sig.symbol, sizeof out->sym[i].sig.symbol, "%s", rq->symbols[i]);
        snprintf(out->sym[i].sig.d.symbol, sizeof out->sym[i].sig.d.symbol, "%s", rq->symbols[i]);
        out->sym[i].step = "no_signal";
    }
    pl_config_hash(env->cfg, out->config_hash, sizeof out->config_hash);
    if (rq->run_id && journal_valid_id(rq->run_id, sizeof out->run_id - 1))
        snprintf(out->run_id, sizeof out->run_id, "%s", rq->run_id);
    else snprintf(out->run_id, sizeof out->run_id, "run-%lld", (long long)out->started_ms);
    out->trigger_id =
        rq->trigger_id && journal_valid_id(rq->trigger_id, JOURNAL_ID_MAX) ? rq->trigger_id : NULL;
}

/* ---- risk inputs -------------------------------------------------------------------------- */

typedef struct account_risk {
    double equity, available;
    int open_positions;
    double realized_today;
    double hwm;
    int kill_switch;
    int paused; /* /pause (journal_control), or the pause state unreadable */
    char pause_why[EXEC_REASON_LEN + JOURNAL_STREAM_TEXT_MAX + JOURNAL_TAG_MAX];
    int64_t *last_stop_out; /* per symbol; now when unknown (a cooldown, to be safe) */
    char why[EXEC_REASON_LEN];
} account_risk;

static const ex_balance *usdt(const ex_account *a) {
    if (!part_ok(&a->balances_part)) return NULL;
    for (size_t i = 0; i < a->n_balances; i++)
        if (strcmp(a->balances[i].asset, "USDT") == 0) return &a->balances[i];
    return NULL;
}

static void read_risk(const pl_env *env, const trader_request *rq, const ex_account *a, int64_t now,
                      account_risk *ar) {
    const ex_balance *b = usdt(a);
    ar->equity = ar->available = NAN;
    ar->open_positions = 0;
    if (b && part_ok(&a->positions_part)) {
        ar->equity = b->balance;
        for (size_t i = 0; i < a->n_positions; i++) {
            ar->equity += a->positions[i].unrealized_pnl;
            ar->open_positions += a->positions[i].amount != 0;
        }
        ar->available = b->available_balance;
    } else {
        ar->open_positions = INT32_MAX / 2; /* unknown: refuses */
    }
    dstr err = {0};
    journal_day_pnl day;
    ar->realized_today =
        journal_trade_day_pnl(env->journal, now, &day, &err) == JOURNAL_OK ? day.net : NAN;
    journal_risk_state rs;
    if (journal_risk_read(env->journal, &rs, &err) == JOURNAL_OK) {
        ar->hwm = rs.has_hwm ? rs.hwm : NAN;
        ar->kill_switch = rs.tripped;
    } else {
        ar->hwm = NAN;
        ar->kill_switch = 1; /* unknown: not assumed off */
    }
    journal_pause_state ps;
    dstr pause_err = {0};
    if (journal_control_read_pause(env->journal, &ps, &pause_err) != JOURNAL_OK) {
        ar->paused = 1; /* unknown: not assumed resumed */
        snprintf(ar->pause_why, sizeof ar->pause_why,
                 "no entry: the pause state could not be read (%s)", dstr_cstr(&pause_err));
    } else if (ps.paused) {
        ar->paused = 1;
        time_t at = (time_t)(ps.since_ms / 1000);
        struct tm tm;
        char when[32];
        gmtime_r(&at, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        snprintf(ar->pause_why, sizeof ar->pause_why, "no entry: paused by %s since %s%s%s",
                 ps.by[0] ? ps.by : "an operator", when, ps.reason[0] ? ": " : "", ps.reason);
    }
    dstr_free(&pause_err);
    int64_t since = now - (int64_t)env->risk.cooldown_minutes * 60000;
    if (journal_trade_last_stop_outs(env->journal, rq->symbols, rq->n, since, ar->last_stop_out,
                                     &err) != JOURNAL_OK)
        for (size_t i = 0; i < rq->n; i++) ar->last_stop_out[i] = now;
    else
        for (size_t i = 0; i < rq->n; i++)
            if (ar->last_stop_out[i] < 0) ar->last_stop_out[i] = 0;
    log_rec *lr = log_begin(LOG_INFO, "account.state");
    log_num(lr, "equity", ar->equity);
    log_num(lr, "available", ar->available);
    log_int(lr, "open_positions", b ? ar->open_positions : -1);
    log_num(lr, "realized_today", ar->realized_today);
    log_num(lr, "hwm", ar->hwm);
    log_bool(lr, "kill_switch", ar->kill_switch);
    log_bool(lr, "paused", ar->paused);
    log_end(lr);
    if (err.len) {
        snprintf(ar->why, sizeof ar->why, "%s", err.ptr);
        exec_event(LOG_WARN, "risk.journal_unread", "", "%s: entries refused", err.ptr);
    }
    dstr_free(&err);
}

static risk_input risk_in(const account_risk *ar, const char *symbol, direction dir,
                          int64_t last_stop, double funding, int extra, int64_t now) {
    return (risk_input){.symbol = symbol,
                        .dir = dir,
                        .open_positions = ar->open_positions + extra,
                        .realized_pnl_today = ar->realized_today,
                        .equity = ar->equity,
                        .hwm = ar->hwm,
                        .kill_switch = ar->kill_switch,
                        .last_stop_out_ms = last_stop,
                        .funding_rate = funding,
                        .now_ms = now};
}

/* The account-level state (high-water mark, kill switch), journaled when it moves. */
static void journal_account_risk(const pl_env *env, account_risk *ar, int64_t now,
                                 trader_result *out) {
    risk_input in = risk_in(ar, "", DIR_LONG, 0, 0, 0, now);
    risk_result rr;
    risk_check(&in, &env->risk, &rr);
    dstr err = {0};
    if (rr.hwm_raised && isfinite(rr.hwm)) {
        char eq[48];
        snprintf(eq, sizeof eq, "%.8f", rr.hwm);
        if (journal_risk_put_hwm(env->journal, now, eq, out->run_id, &err) != JOURNAL_OK)
            out->unwritten++;
    }
    if (rr.kill_switch_tripped) {
        char reason[128];
        snprintf(reason, sizeof reason, "drawdown %.2f%% from the high-water mark %.2f",
                 rr.drawdown_pct, rr.hwm);
        exec_event(LOG_ERROR, "risk.kill_switch_tripped", "", "%s: no new entries until reset",
                   reason);
        exec_action(&out->actions, "", "kill_switch", "tripped", reason);
        if (journal_risk_put_kill(env->journal, JOURNAL_KILL_TRIP, now, reason, "trader", &err) !=
            JOURNAL_OK)
            out->unwritten++;
    }
    ar->kill_switch = rr.kill_switch;
    if (isfinite(rr.hwm)) ar->hwm = rr.hwm;
    dstr_free(&err);
}

static void reasons_text(const risk_result *rr, char *buf, size_t cap) {
    buf[0] = 0;
    size_t len = 0;
    for (size_t k = 0; k < rr->n_reasons && len + 2 < cap; k++) {
        int w = snprintf(buf + len, cap - len, "%s%s", k ? "; " : "", rr->reasons[k]);
        if (w < 0) break;
        len += (size_t)w;
    }
}

/* ---- the steps ------------------------------------------------------------------------------- */

/* Gates of one candidate before the set-up (step 3): 1 when it goes on. */
static int gates(const pl_env *env, const ex_account *a, const ex_snapshot *snaps,
                 const account_risk *ar, size_t i, int64_t now, trader_symbol *t) {
    const decision *d = &t->sig.d;
    if (!t->rec.entry_ok) {
        status(t, "blocked", "no entry: %s", t->rec.why);
        return 0;
    }
    if (ar->paused) { /* existing brackets were reconciled above; only new entries stop */
        status(t, "paused", "%s", ar->pause_why);
        return 0;
    }
    double funding = snaps && snaps[i].status == EX_OK ? snaps[i].snap.premium.funding_rate : NAN;
    risk_input in = risk_in(ar, t->sig.symbol, d->dir, ar->last_stop_out[i], funding, 0, now);
    risk_check(&in, &env->risk, &t->risk);
    t->risk_checked = 1;
    if (!t->risk.allow) {
        char reasons[2 * EXEC_REASON_LEN];
        reasons_text(&t->risk, reasons, sizeof reasons);
        status(t, "risk_refused", "refused by the risk manager: %s", reasons);
        exec_event(LOG_INFO, "risk.refused", t->sig.symbol, "%s", reasons);
        return 0;
    }
    const symbol_rules *rules = part_ok(&a->rules_part) ? ex_account_rules(a, t->sig.symbol) : NULL;
    if (!rules) {
        status(t, "sizing_refused", "no entry: the exchange's rules for %s are unknown",
               t->sig.symbol);
        return 0;
    }
    sizing_input si = {.dir = d->dir,
                       .entry = d->entry,
                       .sl = d->sl,
                       .tp = d->tp,
                       .available_balance = ar->available,
                       .market = pl_market_entry(env->cfg),
                       .rules = rules};
    if (sizing_make(&si, &env->sizing, &t->size) != SIZING_OK) {
        status(t, "sizing_refused", "no entry: %s", t->size.reason);
        return 0;
    }
    t->sized = 1;
    return 1;
}

/* Step 5, first gate: the risk manager again with this run's entries
 * counted (the funding rate was checked above; only the count changed).
 * 1 when the entry may go on to its claim (else the status says why). */
static int entry_allowed(const pl_env *env, const account_risk *ar, size_t i, int entered,
                         int64_t now, trader_result *out) {
    trader_symbol *t = &out->sym[i];
    const decision *d = &t->sig.d;
    risk_input in = risk_in(ar, t->sig.symbol, d->dir, ar->last_stop_out[i], 0, entered, now);
    risk_result rr;
    risk_check(&in, &env->risk, &rr);
    if (!rr.allow) {
        char reasons[2 * EXEC_REASON_LEN];
        reasons_text(&rr, reasons, sizeof reasons);
        status(t, "risk_refused", "refused by the risk manager: %s", reasons);
        return 0;
    }
    if (d->candle_time <= 0) {
        status(t, "claim_failed", "no entry: the decision has no candle time to claim");
        return 0;
    }
    return 1;
}

/* Step 5, the journal: the claims of the symbols cand[0..n) in ONE batch,
 * then the plans of those claimed in ONE batch (the symbols do not depend
 * on each other; a symbol's plan follows its claim). Fills orders[] and
 * plan_i[] with the entries that may be sent; returns how many. */
static size_t claim_and_plan(const pl_env *env, const ex_account *a, const size_t *cand, size_t n,
                             int64_t now, trader_result *out, exec_plan *orders, size_t *plan_i) {
    if (!n) return 0;
    const char *build = pl_build_version();
    journal_claim *claims = calloc(n, sizeof *claims);
    journal_claim_info *holders = calloc(n, sizeof *holders);
    journal_status *st = calloc(n, sizeof *st);
    bracket_plan *plans = calloc(n, sizeof *plans);
    size_t *plan_of = calloc(n, sizeof *plan_of);
    if (!claims || !holders || !st || !plans || !plan_of) abort();
    for (size_t k = 0; k < n; k++) {
        const trader_symbol *t = &out->sym[cand[k]];
        claims[k] = (journal_claim){.symbol = t->sig.symbol,
                                    .candle_ms = t->sig.d.candle_time,
                                    .claimed_ms = now,
                                    .run_id = out->run_id,
                                    .build = build,
                                    .config_hash = out->config_hash};
    }
    dstr err = {0};
    journal_claims_put(env->journal, claims, n, env->deadline_ms, st, holders, &err);
    size_t np = 0;
    for (size_t k = 0; k < n; k++) {
        trader_symbol *t = &out->sym[cand[k]];
        const decision *d = &t->sig.d;
        if (st[k] != JOURNAL_OK) {
            if (st[k] == JOURNAL_EXISTS)
                status(t, "claim_held",
                       "no entry: the decision of candle %lld is already claimed by run %s",
                       (long long)d->candle_time, holders[k].run_id[0] ? holders[k].run_id : "?");
            else
                status(t, "claim_failed", "no entry: the claim could not be written: %s",
                       dstr_cstr(&err));
            exec_action(&out->actions, t->sig.symbol, "claim", journal_status_name(st[k]),
                        t->status);
            continue;
        }
        exec_action(&out->actions, t->sig.symbol, "claim", "held", NULL);
        plans[np] = (bracket_plan){.symbol = t->sig.symbol,
                                   .candle_ms = d->candle_time,
                                   .created_ms = now,
                                   .dir = d->dir,
                                   .qty = t->size.qty_text,
                                   .entry = t->size.entry_text,
                                   .sl = t->size.sl_text,
                                   .tp = t->size.tp_text,
                                   .sl_distance = fabs(t->size.entry - t->size.sl),
                                   .tp_distance = fabs(t->size.tp - t->size.entry),
                                   .run_id = out->run_id,
                                   .build = build,
                                   .config_hash = out->config_hash,
                                   .deadline_ms = env->deadline_ms};
        plan_of[np++] = cand[k];
    }
    dstr_clear(&err);
    bracket_puts(env->journal, plans, np, env->deadline_ms, st, &err);
    size_t n_orders = 0;
    for (size_t k = 0; k < np; k++) {
        trader_symbol *t = &out->sym[plan_of[k]];
        if (st[k] != JOURNAL_OK) {
            status(t, "plan_failed", "no entry: the plan could not be stored (%s): %s",
                   journal_status_name(st[k]), dstr_cstr(&err));
            exec_action(&out->actions, t->sig.symbol, "plan", journal_status_name(st[k]),
                        t->status);
            continue;
        }
        orders[n_orders] = (exec_plan){.symbol = t->sig.symbol,
                                       .dir = t->sig.d.dir,
                                       .candle_ms = t->sig.d.candle_time,
                                       .rules = ex_account_rules(a, t->sig.symbol),
                                       .size = t->size,
                                       .market = pl_market_entry(env->cfg),
                                       .prefix = env->cfg->order_id_prefix};
        plan_i[n_orders++] = plan_of[k];
    }
    dstr_free(&err);
    free(plan_of);
    free(plans);
    free(st);
    free(holders);
    free(claims);
    return n_orders;
}

void trader_act(const pl_env *env, const trader_request *rq, const ex_account *a,
                const ex_snapshot *snaps, trader_result *out) {
    int64_t now = clock_now(env->clock);
    int execute = out->execute;
    size_t n = rq->n;
    /* 1. reconcile */
    bracket_info *plans = calloc(n + 1, sizeof *plans);
    rec_symbol *rec = calloc(n + 1, sizeof *rec);
    if (!plans || !rec) abort();
    dstr err = {0};
    int plans_ok = bracket_latest(env->journal, rq->symbols, n, plans, &err) == 0;
    if (!plans_ok) exec_event(LOG_WARN, "reconcile.plans_unread", "", "%s", dstr_cstr(&err));
    reconcile(env, a, plans, rq->symbols, n, execute, rec, &out->actions);
    for (size_t i = 0; i < n; i++) {
        out->sym[i].rec = rec[i];
        if (!rec[i].read_ok && a->positions_part.asked) out->read_failed = 1;
        if (!plans_ok && out->sym[i].rec.entry_ok) { /* no plan list: no entry */
            out->sym[i].rec.entry_ok = 0;
            snprintf(out->sym[i].rec.why, sizeof out->sym[i].rec.why,
                     "the journal's plans could not be read");
        }
    }
    free(rec);
    free(plans);
    dstr_free(&err);
    /* 3. the gates */
    account_risk ar = {0};
    ar.last_stop_out = calloc(n + 1, sizeof *ar.last_stop_out);
    if (!ar.last_stop_out) abort();
    size_t n_cand = 0;
    for (size_t i = 0; i < n; i++) {
        const decision *d = &out->sym[i].sig.d;
        out->sym[i].candidate = d->risk_ok && (d->dir == DIR_LONG || d->dir == DIR_SHORT);
        n_cand += (size_t)out->sym[i].candidate;
        if (!out->sym[i].candidate)
            status(&out->sym[i], "no_signal", "no entry: the decision is %s%s",
                   direction_name(d->dir), d->risk_ok ? "" : " or not risk_ok");
    }
    if (!execute && !a->positions_part.asked) { /* a dry run that read the market only */
        for (size_t i = 0; i < n; i++)
            if (out->sym[i].candidate) {
                trader_symbol *t = &out->sym[i];
                status(t, "would_enter",
                       "worth an entry (%s); the account was not read, so reconcile, the risk "
                       "manager and sizing are not checked",
                       direction_name(t->sig.d.dir));
                exec_action(&out->actions, t->sig.symbol, "entry", "would_enter", t->status);
            }
        free(ar.last_stop_out);
        return;
    }
    if (n_cand || execute) read_risk(env, rq, a, now, &ar);
    if (execute) journal_account_risk(env, &ar, now, out);
    const char *go[CFG_MAX_SYMBOLS * 2];
    size_t go_i[CFG_MAX_SYMBOLS * 2], n_go = 0;
    for (size_t i = 0; i < n; i++) {
        trader_symbol *t = &out->sym[i];
        if (!t->candidate) continue;
        if (!gates(env, a, snaps, &ar, i, now, t)) {
            /* the run record is the journal's copy of why no order was sent */
            exec_action(&out->actions, t->sig.symbol, "entry", t->step, t->status);
            continue;
        }
        if (n_go < CFG_MAX_SYMBOLS * 2) {
            go[n_go] = rq->symbols[i];
            go_i[n_go++] = i;
        }
    }
    /* the set-up of the symbols still going, one batch */
    exec_gate g[CFG_MAX_SYMBOLS * 2];
    if (n_go) exec_setup(env, a, go, n_go, execute, g, &out->actions);
    /* the risk manager in symbol order (an entry about to be sent counts as open for the
     * next symbol's check), then every claim at once, every plan at once, every entry at
     * once (exec_brackets) */
    int entered = 0;
    exec_plan *orders = calloc(n_go + 1, sizeof *orders);
    exec_report *reports = calloc(n_go + 1, sizeof *reports);
    size_t *plan_i = calloc(n_go + 1, sizeof *plan_i), n_going = 0;
    size_t *cand = calloc(n_go + 1, sizeof *cand);
    if (!orders || !reports || !plan_i || !cand) abort();
    for (size_t k = 0; k < n_go; k++) {
        trader_symbol *t = &out->sym[go_i[k]];
        t->gate = g[k];
        if (!g[k].entry_ok) {
            status(t, "setup_blocked", "no entry: %s", g[k].why);
            continue;
        }
        if (!execute) {
            status(t, "would_enter", "would enter %s %s at %s, stop %s, take-profit %s",
                   direction_name(t->sig.d.dir), t->size.qty_text, t->size.entry_text,
                   t->size.sl_text, t->size.tp_text);
            exec_action(&out->actions, t->sig.symbol, "entry", "would_enter", t->status);
            continue;
        }
        if (!entry_allowed(env, &ar, go_i[k], entered, now, out)) continue;
        cand[n_going++] = go_i[k];
        entered++;
    }
    size_t n_plans = claim_and_plan(env, a, cand, n_going, now, out, orders, plan_i);
    free(cand);
    exec_brackets(env, orders, n_plans, reports, &out->actions);
    for (size_t k = 0; k < n_plans; k++) {
        trader_symbol *t = &out->sym[plan_i[k]];
        t->exec = reports[k];
        t->executed = 1;
        status(t, "executed", "%s%s%s", exec_outcome_name(t->exec.outcome),
               t->exec.why[0] ? ": " : "", t->exec.why);
    }
    free(plan_i);
    free(reports);
    free(orders);
    free(ar.last_stop_out);
}

/* ---- the run record --------------------------------------------------------------------------- */

static const char *outcome_of(const trader_result *r) {
    if (!r->execute) return "dry_run";
    for (size_t i = 0; i < r->n; i++)
        if ((r->sym[i].executed && r->sym[i].exec.outcome == EXEC_UNPROTECTED) ||
            r->sym[i].rec.protect == EXEC_UNPROTECTED)
            return "alert";
    return r->read_failed || r->unwritten ? "partial" : "ok";
}

/* The run's numbers for CloudWatch (metrics.h; the template's alarms and
 * README "Metrics" name them). */
static void trader_metrics(const trader_result *r) {
    double dirs[3] = {0}, exec[EXEC_UNPROTECTED + 1] = {0}, unprotected = 0;
    for (size_t i = 0; i < r->n; i++) {
        const trader_symbol *t = &r->sym[i];
        dirs[t->sig.d.dir == DIR_LONG ? 0 : t->sig.d.dir == DIR_SHORT ? 1 : 2]++;
        if (t->executed) exec[t->exec.outcome]++;
        unprotected += (t->executed && t->exec.outcome == EXEC_UNPROTECTED) ||
                       t->rec.protect == EXEC_UNPROTECTED;
    }
    int failed = strcmp(r->outcome, "partial") == 0 || strcmp(r->outcome, "alert") == 0;
    metric m[] = {
        {"RunCompleted", "Count", 1},
        {"RunFailed", "Count", failed},
        {"RunDurationMs", "Milliseconds", (double)(r->finished_ms - r->started_ms)},
        {"ReadLatencyMs", "Milliseconds", r->read_ms >= 0 ? (double)r->read_ms : NAN},
        {"DecisionsLong", "Count", dirs[0]},
        {"DecisionsShort", "Count", dirs[1]},
        {"DecisionsFlat", "Count", dirs[2]},
        {"OrdersProtected", "Count", exec[EXEC_PROTECTED]},
        {"OrdersNotFilled", "Count", exec[EXEC_NO_ENTRY]},
        {"OrdersUnknown", "Count", exec[EXEC_ENTRY_UNKNOWN] + exec[EXEC_ENTRY_RESTING]},
        {"OrdersClosed", "Count", exec[EXEC_CLOSED] + exec[EXEC_STOP_ONLY]},
        {"PositionsUnprotected", "Count", unprotected},
        {"UnwrittenRecords", "Count", (double)r->unwritten},
    };
    metrics_emit("trader", r->finished_ms, m, sizeof m / sizeof *m);
}

void trader_finish(const pl_env *env, const trader_request *rq, trader_result *out) {
    out->finished_ms = clock_now(env->clock);
    if (out->finished_ms < out->started_ms) out->finished_ms = out->started_ms;
    out->outcome = outcome_of(out);
    dstr actions = {0}, err = {0};
    dstr_putc(&actions, '[');
    dstr_append(&actions, out->actions.ptr, out->actions.len);
    dstr_putc(&actions, ']');
    size_t n = rq->n < JOURNAL_RUN_SYMBOLS_MAX ? rq->n : JOURNAL_RUN_SYMBOLS_MAX;
    journal_run run = {.run_id = out->run_id,
                       .trigger = rq->trigger,
                       .trigger_id = out->trigger_id,
                       .started_ms = out->started_ms,
                       .finished_ms = out->finished_ms,
                       .execute = out->execute,
                       .symbols = rq->symbols,
                       .n_symbols = n,
                       .actions_json = actions.ptr,
                       .outcome = out->outcome,
                       .build = pl_build_version(),
                       .config_hash = out->config_hash};
    if (journal_run_put(env->journal, &run, &out->run_key, &err) != JOURNAL_OK) out->unwritten++;
    log_rec *lr =
        log_begin(strcmp(out->outcome, "alert") == 0 ? LOG_ERROR : LOG_INFO, "trader.run");
    log_str(lr, "run_id", out->run_id);
    log_str(lr, "trigger", rq->trigger);
    log_bool(lr, "execute", out->execute);
    log_str(lr, "account", out->paper ? "paper" : "live");
    log_str(lr, "outcome", out->outcome);
    log_int(lr, "symbols", (long long)rq->n);
    log_json(lr, "actions", actions.ptr);
    log_int(lr, "journal_unwritten", (long long)out->unwritten);
    log_int(lr, "duration_ms", out->finished_ms - out->started_ms);
    log_str(lr, "build", pl_build_version());
    log_str(lr, "config_hash", out->config_hash);
    log_end(lr);
    trader_metrics(out);
    dstr_free(&actions);
    dstr_free(&err);
}

/* The run's own environment: with Telegram on, its I/O ends ALERT_BUDGET_MS
 * before the invocation's deadline (but keeps at least half of the time
 * left), so the alerts have their budget before the time kept to answer. */
static pl_env run_env(const pl_env *env) {
    pl_env run = *env;
    if (!env->telegram) return run;
    int64_t now = clock_now(env->clock), left = env->deadline_ms - now;
    int64_t budget = env->cfg->alert_budget_ms;
    run.deadline_ms = left > 2 * budget ? env->deadline_ms - budget : now + left / 2;
    return run;
}

void trader_run(const pl_env *outer, const trader_request *rq, trader_result *out) {
    pl_env run = run_env(outer);
    const pl_env *env = &run;
    trader_begin(env, rq, out);
    size_t n = rq->n;
    ex_snapshot *snaps = calloc(n + 1, sizeof *snaps);
    if (!snaps) abort();
    ex_account a;
    memset(&a, 0, sizeof a);
    if (env->exchange) {
        ex_read_spec spec = {.symbols = rq->symbols,
                             .n_symbols = n,
                             .market = &market_spec,
                             .parts = out->execute || pl_account_readable(env->cfg)
                                          ? EX_READ_POSITIONS | EX_READ_OPEN_ORDERS |
                                                EX_READ_OPEN_ALGO_ORDERS | EX_READ_BALANCES |
                                                EX_READ_POSITION_MODE | EX_READ_SYMBOL_CONFIGS |
                                                EX_READ_RULES | EX_READ_TRADES | EX_READ_INCOME
                                          : 0,
                             .since_ms = out->started_ms - TRADER_TRADES_WINDOW_MS};
        int64_t t0 = clock_now(env->clock);
        ex_read(env->exchange, &spec, out->started_ms, env->deadline_ms, snaps, &a);
        out->read_ms = clock_now(env->clock) - t0;
        const ex_part *signed_parts[] = {&a.positions_part, &a.orders_part, &a.algo_orders_part,
                                         &a.balances_part};
        for (size_t k = 0; k < sizeof signed_parts / sizeof *signed_parts; k++)
            out->keys_rejected |= signed_parts[k]->asked && (signed_parts[k]->r.e.code == -2014 ||
                                                             signed_parts[k]->r.e.code == -2015);
    } else {
        signal_no_exchange(snaps, n);
        out->read_failed = out->execute; /* no account: the run is partial */
    }
    /* the decisions, journaled with the build and config hash */
    signal_result *sigs = calloc(n + 1, sizeof *sigs);
    if (!sigs) abort();
    signal_decide_read(env, rq->symbols, n, snaps, sigs);
    out->unwritten += signal_journal(env->journal, sigs, n, env->deadline_ms);
    for (size_t i = 0; i < n; i++) out->sym[i].sig = sigs[i]; /* moved */
    free(sigs);
    trader_act(env, rq, &a, snaps, out);
    trader_finish(env, rq, out);
    out->alerts_raised = run_alerts_raise(outer, out, outer->deadline_ms, &out->alerts);
    for (size_t i = 0; i < n; i++) ex_snapshot_free(&snaps[i]);
    free(snaps);
    ex_account_free(&a);
}

/* ---- the answer ------------------------------------------------------------------------------- */

void trader_result_json(const trader_result *r, dstr *out) {
    dstr_puts(out, "{\"run_id\":");
    dstr_json_str(out, r->run_id);
    dstr_printf(out,
                ",\"execute\":%s,\"account\":\"%s\",\"outcome\":", r->execute ? "true" : "false",
                r->paper ? "paper" : "live");
    dstr_json_str(out, r->outcome ? r->outcome : "");
    dstr_puts(out, ",\"symbols\":[");
    for (size_t i = 0; i < r->n; i++) {
        const trader_symbol *t = &r->sym[i];
        if (i) dstr_putc(out, ',');
        dstr_puts(out, "{\"symbol\":");
        dstr_json_str(out, t->sig.symbol);
        dstr_puts(out, ",\"step\":");
        dstr_json_str(out, t->step ? t->step : "");
        dstr_puts(out, ",\"status\":");
        dstr_json_str(out, t->status);
        dstr_puts(out, ",\"reconcile\":{\"entry_ok\":");
        dstr_puts(out, t->rec.entry_ok ? "true" : "false");
        dstr_printf(out, ",\"position\":%s,\"ours\":%s,\"foreign\":%s,\"why\":",
                    t->rec.position ? "true" : "false", t->rec.ours ? "true" : "false",
                    t->rec.foreign ? "true" : "false");
        dstr_json_str(out, t->rec.why);
        dstr_putc(out, '}');
        if (t->executed) {
            dstr_puts(out, ",\"exec\":{\"outcome\":");
            dstr_json_str(out, exec_outcome_name(t->exec.outcome));
            dstr_puts(out, ",\"qty\":");
            dstr_json_str(out, t->exec.qty);
            dstr_puts(out, ",\"fill_price\":");
            dstr_json_num(out, t->exec.filled ? t->exec.fill_price : NAN);
            dstr_puts(out, ",\"stop\":");
            dstr_json_num(out, t->exec.stop_placed ? t->exec.stop.trigger_price : NAN);
            dstr_puts(out, ",\"take_profit\":");
            dstr_json_num(out, t->exec.tp_placed ? t->exec.tp.trigger_price : NAN);
            dstr_putc(out, '}');
        }
        dstr_putc(out, '}');
    }
    dstr_puts(out, "],\"actions\":[");
    dstr_append(out, r->actions.ptr, r->actions.len);
    dstr_printf(out,
                "],\"journal\":{\"unwritten\":%zu},\"alerts\":{\"raised\":%zu,\"pending\":%zu,"
                "\"delivered\":%zu,\"later\":%zu,\"refused\":%zu},\"build\":",
                r->unwritten, r->alerts_raised, r->alerts.pending, r->alerts.delivered,
                r->alerts.later, r->alerts.refused);
    dstr_json_str(out, pl_build_version());
    dstr_puts(out, ",\"config_hash\":");
    dstr_json_str(out, r->config_hash);
    dstr_putc(out, '}');
}

void trader_result_free(trader_result *r) {
    for (size_t i = 0; i < r->n; i++) signal_results_free(&r->sym[i].sig, 1);
    free(r->sym);
    dstr_free(&r->actions);
    dstr_free(&r->run_key);
    memset(r, 0, sizeof *r);
}
