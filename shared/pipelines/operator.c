/* operator: Telegram commands and the stack's alarms (see operator.h). */
#include "pipelines/operator.h"

#include <cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipelines/brackets.h"
#include "pipelines/execute.h"
#include "pipelines/overview.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "services/journal_control.h"
#include "services/journal_outbox.h"
#include "services/journal_risk.h"
#include "services/journal_run.h"
#include "services/journal_trade.h"
#include "services/sns_alarm.h"

#define PNL_DAYS 7
#define FLATTEN_MAX 64 /* this bot's orders and legs cancelled by one flatten */

static const char help_text[] =
    "Commands:\n"
    "/status - last run, positions, open brackets, kill switch, pause\n"
    "/positions - open positions\n"
    "/pnl - net PnL of the UTC day and of the last 7 days\n"
    "/signals - the latest decision per symbol\n"
    "/pause [reason] - no new entries (brackets stay and are still reconciled)\n"
    "/resume - entries again (a tripped kill switch stays tripped)\n"
    "/killswitch reset - reset a tripped kill switch\n"
    "/flatten confirm - pause, close every position of this bot, cancel its orders\n"
    "/help - this list";

const char *operator_outcome_name(operator_outcome o) {
    switch (o) {
    case OPERATOR_DONE: return "done";
    case OPERATOR_IGNORED: return "ignored";
    case OPERATOR_REPLAYED: return "replayed";
    case OPERATOR_FAILED: return "failed";
    }
    return "unknown";
}

void operator_result_free(operator_result *r) { dstr_free(&r->reply); }

/* "2026-12-06 03:05 UTC" */
static void put_time(dstr *out, int64_t ms) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[32] = "?";
    if (ms > 0 && gmtime_r(&t, &tm)) strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    dstr_puts(out, buf);
}

static void put_money(dstr *out, double v) { dstr_printf(out, "%+.2f", fabs(v) < 0.005 ? 0 : v); }

/* ---- the pieces of the answers -------------------------------------------------------- */

static void put_pause(const pl_env *env, dstr *out) {
    journal_pause_state p;
    dstr why = {0};
    if (journal_control_read_pause(env->journal, &p, &why) != JOURNAL_OK) {
        dstr_printf(out, "Pause: unknown (%s)\n", dstr_cstr(&why));
    } else if (p.paused) {
        dstr_puts(out, "Pause: PAUSED since ");
        put_time(out, p.since_ms);
        dstr_printf(out, "%s%s%s%s (no new entries; /resume)\n", p.by[0] ? " by " : "", p.by,
                    p.reason[0] ? ": " : "", p.reason);
    } else {
        dstr_puts(out, "Pause: not paused\n");
    }
    dstr_free(&why);
}

static void put_kill(const journal_risk_state *r, const char *failed, dstr *out) {
    if (failed) dstr_printf(out, "Kill switch: unknown (%s)\n", failed);
    else if (r->tripped) {
        dstr_puts(out, "Kill switch: TRIPPED since ");
        put_time(out, r->kill_ms);
        dstr_printf(out, ": %s (/killswitch reset)\n", r->kill_reason);
    } else dstr_puts(out, "Kill switch: off\n");
}

static void put_run(const overview *ov, dstr *out) {
    if (ov->parts[OV_LAST_RUN].failed) {
        dstr_printf(out, "Last run: unknown (%s)\n", dstr_cstr(&ov->parts[OV_LAST_RUN].why));
        return;
    }
    if (!ov->has_run) {
        dstr_puts(out, "Last run: none recorded\n");
        return;
    }
    const journal_run_info *r = &ov->last_run;
    dstr_printf(out, "Last run: %s, finished ", r->run_id);
    put_time(out, r->finished_ms);
    dstr_printf(out, " (%" PRId64 " min ago), outcome %s, %zu symbol(s), %zu action(s)%s\n",
                (ov->now_ms - r->finished_ms) / 60000, r->outcome, r->n_symbols, r->n_actions,
                r->execute ? "" : ", dry run");
}

static const char *side_of(double amount) { return amount > 0 ? "LONG" : "SHORT"; }

static void put_positions(const overview *ov, dstr *out) {
    if (ov->parts[OV_POSITIONS].failed) {
        dstr_printf(out, "Positions: unknown (%s)\n", dstr_cstr(&ov->parts[OV_POSITIONS].why));
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < ov->acct.n_positions; i++) {
        const ex_position *p = &ov->acct.positions[i];
        if (p->amount == 0) continue;
        if (!n++) dstr_puts(out, "Positions:\n");
        dstr_printf(out, "  %s %s %s @ %.10g, mark %.10g, uPnL ", p->symbol, side_of(p->amount),
                    p->amount_str, p->entry_price, p->mark_price);
        put_money(out, p->unrealized_pnl);
        if (p->liquidation_price > 0) dstr_printf(out, ", liq. %.10g", p->liquidation_price);
        dstr_putc(out, '\n');
    }
    if (!n) dstr_puts(out, "Positions: none\n");
}

static void put_brackets(const overview *ov, dstr *out) {
    if (ov->parts[OV_ALGO_ORDERS].failed) {
        dstr_printf(out, "Open brackets: unknown (%s)\n",
                    dstr_cstr(&ov->parts[OV_ALGO_ORDERS].why));
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < ov->acct.n_algo_orders; i++) {
        const ex_algo_order *a = &ov->acct.algo_orders[i];
        if (!overview_is_bot_order(ov->prefix, a->client_id)) continue;
        if (!n++) dstr_puts(out, "Open brackets:\n");
        dstr_printf(out, "  %s %s %s %s at %.10g (%s)\n", a->symbol,
                    strcmp(a->type, "STOP_MARKET") == 0 ? "stop" : "take-profit",
                    a->side == EX_BUY ? "BUY" : "SELL", a->quantity_str, a->trigger_price,
                    a->client_id);
    }
    if (!n) dstr_puts(out, "Open brackets: none\n");
}

static void put_day_pnl(const char *label, const journal_day_pnl *p, dstr *out) {
    dstr_printf(out, "%s: net ", label);
    put_money(out, p->net);
    dstr_puts(out, " USDT (realised ");
    put_money(out, p->realized);
    dstr_puts(out, ", fees ");
    put_money(out, -p->fees);
    dstr_puts(out, ", funding ");
    put_money(out, p->funding);
    dstr_printf(out, ") over %zu trade record(s)", p->trades);
    if (p->fees_unnetted)
        dstr_printf(out, "; %zu fee(s) in another asset not netted", p->fees_unnetted);
    dstr_putc(out, '\n');
}

/* Reads the overview; without keys, just the journal parts /status shows. */
static void read_overview(const pl_env *env, overview *ov, dstr *out) {
    dstr err = {0};
    if (overview_read(env, ov, NULL, &err) == OVERVIEW_NO_KEYS) {
        dstr_puts(out, "Account: not read (no BINANCE_API_KEY / BINANCE_API_SECRET)\n");
        static const overview_part exchange_parts[] = {OV_POSITIONS, OV_ALGO_ORDERS};
        for (size_t i = 0; i < 2; i++) {
            ov->parts[exchange_parts[i]].failed = 1;
            dstr_puts(&ov->parts[exchange_parts[i]].why, "no API keys");
        }
        dstr why = {0};
        if (journal_risk_read(env->journal, &ov->risk, &why)) {
            ov->parts[OV_KILL_SWITCH].failed = 1;
            dstr_puts(&ov->parts[OV_KILL_SWITCH].why, dstr_cstr(&why));
        }
        dstr_clear(&why);
        journal_status st = journal_latest_run(env->journal, &ov->last_run, NULL, &why);
        ov->has_run = st == JOURNAL_OK;
        if (st != JOURNAL_OK && st != JOURNAL_NOT_FOUND) {
            ov->parts[OV_LAST_RUN].failed = 1;
            dstr_puts(&ov->parts[OV_LAST_RUN].why, dstr_cstr(&why));
        }
        dstr_free(&why);
    }
    dstr_free(&err);
}

static void cmd_status(const pl_env *env, dstr *out) {
    overview ov;
    dstr notes = {0};
    read_overview(env, &ov, &notes);
    dstr_puts(out, "Status at ");
    put_time(out, ov.now_ms);
    dstr_printf(out, " (EXECUTE_TRADES=%s)\n%s", env->cfg->execute_trades ? "true" : "false",
                dstr_cstr(&notes));
    put_run(&ov, out);
    put_positions(&ov, out);
    put_brackets(&ov, out);
    put_kill(&ov.risk,
             ov.parts[OV_KILL_SWITCH].failed ? dstr_cstr(&ov.parts[OV_KILL_SWITCH].why) : NULL,
             out);
    put_pause(env, out);
    if (!ov.parts[OV_PNL_TODAY].failed && ov.pnl.trades) put_day_pnl("Today (UTC)", &ov.pnl, out);
    overview_free(&ov);
    dstr_free(&notes);
}

static void cmd_positions(const pl_env *env, dstr *out) {
    overview ov;
    read_overview(env, &ov, out);
    put_positions(&ov, out);
    overview_free(&ov);
}

static void cmd_pnl(const pl_env *env, dstr *out) {
    int64_t now = clock_now(env->clock);
    journal_day_pnl week = {0};
    dstr why = {0};
    for (int d = 0; d < PNL_DAYS; d++) {
        journal_day_pnl day;
        if (journal_trade_day_pnl(env->journal, now - d * 86400000LL, &day, &why)) {
            dstr_printf(out, "PnL: the trades journal cannot be read (%s)\n", dstr_cstr(&why));
            dstr_free(&why);
            return;
        }
        if (d == 0) put_day_pnl("Today (UTC)", &day, out);
        week.trades += day.trades;
        week.realized += day.realized;
        week.fees += day.fees;
        week.funding += day.funding;
        week.net += day.net;
        week.fees_unnetted += day.fees_unnetted;
    }
    put_day_pnl("Last 7 UTC days", &week, out);
    dstr_free(&why);
}

static void put_decision(const char *symbol, const dstr *rec, dstr *out) {
    cJSON *d = rec->len ? cJSON_ParseWithLength(rec->ptr, rec->len) : NULL;
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(d, "direction");
    if (!cJSON_IsString(dir)) {
        dstr_printf(out, "%s: %s\n", symbol, rec->len ? "(unreadable record)" : "no decision yet");
        cJSON_Delete(d);
        return;
    }
    dstr_printf(out, "%s: %s", symbol, dir->valuestring);
    static const char *const nums[] = {"prob", "entry", "sl", "tp", "rr"};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, nums[i]);
        if (cJSON_IsNumber(v)) dstr_printf(out, " %s %.6g", nums[i], v->valuedouble);
    }
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(d, "risk_ok");
    dstr_printf(out, ", %s", cJSON_IsTrue(ok) ? "risk ok" : "refused");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(d, "decided_at");
    if (cJSON_IsNumber(at)) {
        dstr_puts(out, ", ");
        put_time(out, (int64_t)at->valuedouble);
    }
    const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(d, "reasons");
    const cJSON *first = cJSON_IsArray(reasons) ? cJSON_GetArrayItem(reasons, 0) : NULL;
    if (cJSON_IsString(first)) dstr_printf(out, " (%s)", first->valuestring);
    dstr_putc(out, '\n');
    cJSON_Delete(d);
}

static void cmd_signals(const pl_env *env, dstr *out) {
    const cfg *c = env->cfg;
    dstr *recs = calloc(c->n_symbols ? c->n_symbols : 1, sizeof *recs);
    if (!recs) abort();
    dstr why = {0};
    if (journal_latest_decisions(env->journal, (const char *const *)c->symbols, c->n_symbols, recs,
                                 &why))
        dstr_printf(out, "Signals: the journal cannot be read (%s)\n", dstr_cstr(&why));
    else
        for (size_t i = 0; i < c->n_symbols; i++) put_decision(c->symbols[i], &recs[i], out);
    for (size_t i = 0; i < c->n_symbols; i++) dstr_free(&recs[i]);
    free(recs);
    dstr_free(&why);
}

/* Writes a pause (1) or resume (0) record; 0, or -1 with the failure in out. */
static int set_pause(const pl_env *env, int pause, const char *reason, const char *by, dstr *out) {
    dstr why = {0};
    journal_status st =
        journal_control_put_pause(env->journal, pause, clock_now(env->clock), reason, by, &why);
    if (st != JOURNAL_OK)
        dstr_printf(out, "The %s record could not be written (%s): nothing changed.\n",
                    pause ? "pause" : "resume", dstr_cstr(&why));
    dstr_free(&why);
    return st == JOURNAL_OK ? 0 : -1;
}

static void cmd_pause(const pl_env *env, const char *args, const char *by, dstr *out) {
    if (set_pause(env, 1, args[0] ? args : NULL, by, out)) return;
    dstr_puts(out, "Paused: the trader makes no new entry. Open brackets stay and are still "
                   "reconciled. /resume to trade again.\n");
}

static void cmd_resume(const pl_env *env, const char *by, dstr *out) {
    if (set_pause(env, 0, NULL, by, out)) return;
    dstr_puts(out, "Resumed: new entries are allowed again.\n");
    journal_risk_state r;
    if (journal_risk_read(env->journal, &r, NULL) == JOURNAL_OK && r.tripped)
        dstr_printf(out,
                    "The kill switch is still TRIPPED (%s): no entry until "
                    "/killswitch reset.\n",
                    r.kill_reason);
}

static void cmd_killswitch(const pl_env *env, const char *args, const char *by, dstr *out) {
    if (strcmp(args, "reset") != 0) {
        journal_risk_state r;
        dstr why = {0};
        put_kill(&r, journal_risk_read(env->journal, &r, &why) ? dstr_cstr(&why) : NULL, out);
        dstr_puts(out, "To reset it: /killswitch reset\n");
        dstr_free(&why);
        return;
    }
    dstr why = {0};
    if (journal_risk_put_kill(env->journal, JOURNAL_KILL_RESET, clock_now(env->clock),
                              "reset through Telegram", by, &why) != JOURNAL_OK)
        dstr_printf(out, "The reset could not be written (%s): the switch is as it was.\n",
                    dstr_cstr(&why));
    else
        dstr_puts(out, "Kill switch reset: the next run starts a new high-water mark. (A pause "
                       "stays until /resume.)\n");
    dstr_free(&why);
}

/* ---- /flatten ------------------------------------------------------------------------- */

/* This bot's orders in a read: the cancel list, and per symbol the newest
 * id's time. */
typedef struct bot_refs {
    ex_order_ref refs[FLATTEN_MAX];
    size_t n, more; /* more: found beyond FLATTEN_MAX (left for a second /flatten) */
    /* symbols whose position of this bot could not be closed: their orders
     * and legs stay, never a position without its stop */
    char keep[FLATTEN_MAX][EX_SYMBOL_LEN];
    size_t n_keep;
} bot_refs;

static int bot_id(const char *prefix, const char *id, char *symbol, int64_t *at) {
    return exec_parse_client_id(prefix, id, symbol, at, NULL);
}

static void add_ref(bot_refs *b, const char *symbol, const char *id, int algo) {
    if (b->n == FLATTEN_MAX) {
        b->more++;
        return;
    }
    ex_order_ref *r = &b->refs[b->n++];
    *r = (ex_order_ref){.algo = algo};
    snprintf(r->symbol, sizeof r->symbol, "%s", symbol);
    snprintf(r->client_id, sizeof r->client_id, "%s", id);
}

static void collect_bot_orders(const ex_account *a, const char *prefix, bot_refs *b) {
    char sym[EX_SYMBOL_LEN];
    int64_t t;
    for (size_t i = 0; i < a->n_orders; i++)
        if (bot_id(prefix, a->orders[i].client_id, sym, &t))
            add_ref(b, a->orders[i].symbol, a->orders[i].client_id, 0);
    for (size_t i = 0; i < a->n_algo_orders; i++)
        if (bot_id(prefix, a->algo_orders[i].client_id, sym, &t))
            add_ref(b, a->algo_orders[i].symbol, a->algo_orders[i].client_id, 1);
}

/* The newest time of this bot's ids on symbol (0: none). */
static int64_t newest_bot_time(const bot_refs *b, const char *prefix, const char *symbol) {
    int64_t newest = 0;
    for (size_t i = 0; i < b->n; i++) {
        char sym[EX_SYMBOL_LEN];
        int64_t t = 0;
        if (strcmp(b->refs[i].symbol, symbol) == 0 &&
            bot_id(prefix, b->refs[i].client_id, sym, &t) && t > newest)
            newest = t;
    }
    return newest;
}

/* Closes this bot's positions; counts the others. */
static void close_positions(const pl_env *env, const ex_account *a, bot_refs *b, dstr *actions,
                            dstr *out) {
    const char *prefix = env->cfg->order_id_prefix;
    size_t n = 0, others = 0;
    const char **syms = calloc(a->n_positions ? a->n_positions : 1, sizeof *syms);
    bracket_info *plans = calloc(a->n_positions ? a->n_positions : 1, sizeof *plans);
    if (!syms || !plans) abort();
    for (size_t i = 0; i < a->n_positions; i++)
        if (a->positions[i].amount != 0) syms[n++] = a->positions[i].symbol;
    dstr why = {0};
    int plans_ok = n == 0 || bracket_latest(env->journal, syms, n, plans, &why) == 0;
    if (!plans_ok)
        dstr_printf(out,
                    "The bracket plans could not be read (%s): only positions with an open "
                    "order of this bot count as its own.\n",
                    dstr_cstr(&why));
    /* this bot's positions, closed in ONE batch */
    exec_protect_spec *specs = calloc(a->n_positions + 1, sizeof *specs);
    const ex_position **of = calloc(a->n_positions + 1, sizeof *of);
    exec_report *reps = calloc(a->n_positions + 1, sizeof *reps);
    int *closed = calloc(a->n_positions + 1, sizeof *closed);
    if (!specs || !of || !reps || !closed) abort();
    size_t n_close = 0;
    for (size_t i = 0, k = 0; i < a->n_positions; i++) {
        const ex_position *p = &a->positions[i];
        if (p->amount == 0) continue;
        const bracket_info *plan = &plans[k++];
        direction dir = p->amount > 0 ? DIR_LONG : DIR_SHORT;
        int plan_fits = plans_ok && plan->has && plan->dir == dir &&
                        fabs(p->amount) <= plan->qty_value * (1 + 1e-9);
        int64_t at = plan_fits ? plan->candle_ms : newest_bot_time(b, prefix, p->symbol);
        if (!at) {
            others++;
            continue;
        }
        of[n_close] = p;
        specs[n_close++] = (exec_protect_spec){.symbol = p->symbol,
                                               .dir = dir,
                                               .qty = p->amount_str + (p->amount_str[0] == '-'),
                                               .candle_ms = at,
                                               .prefix = prefix,
                                               .close_leg = EXEC_LEG_RECONCILE_CLOSE};
    }
    exec_close_at_market_batch(env, specs, n_close, "the operator's /flatten", "flatten_close",
                               reps, closed, actions);
    for (size_t i = 0; i < n_close; i++) {
        const ex_position *p = of[i];
        if (closed[i])
            dstr_printf(out, "Closed %s %s %s at %.10g.\n", p->symbol, side_of(p->amount),
                        reps[i].close.executed_qty_str, reps[i].close.avg_price);
        else {
            dstr_printf(out,
                        "FAILED to close %s %s %s: see the log (exec.flatten_close); its "
                        "orders and legs are left in place.\n",
                        p->symbol, side_of(p->amount), p->amount_str);
            if (b->n_keep < FLATTEN_MAX)
                snprintf(b->keep[b->n_keep++], EX_SYMBOL_LEN, "%s", p->symbol);
        }
    }
    free(specs);
    free(of);
    free(reps);
    free(closed);
    if (others) dstr_printf(out, "Not touched: %zu position(s) not of this bot.\n", others);
    if (!n) dstr_puts(out, "No open position.\n");
    free(syms);
    free(plans);
    dstr_free(&why);
}

static int kept(const bot_refs *b, const char *symbol) {
    for (size_t i = 0; i < b->n_keep; i++)
        if (strcmp(b->keep[i], symbol) == 0) return 1;
    return 0;
}

/* Cancels this bot's orders and legs but those of a symbol still held. */
static void cancel_orders(const pl_env *env, const bot_refs *b, dstr *actions, dstr *out) {
    ex_order_ref *refs = calloc(b->n ? b->n : 1, sizeof *refs);
    ex_lookup *res = calloc(b->n ? b->n : 1, sizeof *res);
    if (!refs || !res) abort();
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (!kept(b, b->refs[i].symbol)) refs[n++] = b->refs[i];
    if (n) ex_cancel(env->exchange, refs, n, env->deadline_ms, res);
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        int ok = res[i].r.status == EX_OK || res[i].r.status == EX_NOT_FOUND;
        done += ok;
        exec_action(actions, refs[i].symbol, "flatten_cancel", ok ? "cancelled" : "failed",
                    ok ? refs[i].client_id : dstr_cstr(&res[i].r.why));
        if (!ok)
            dstr_printf(out, "FAILED to cancel %s: %s\n", refs[i].client_id,
                        dstr_cstr(&res[i].r.why));
        ex_lookup_free(&res[i]);
    }
    if (!b->n) dstr_puts(out, "No open order of this bot.\n");
    else dstr_printf(out, "Cancelled %zu of %zu open order(s) of this bot.\n", done, b->n);
    if (n < b->n)
        dstr_printf(out, "Kept %zu: the orders of a position that is still open.\n", b->n - n);
    if (b->more) dstr_printf(out, "%zu more: send /flatten confirm again.\n", b->more);
    free(refs);
    free(res);
}

static void cmd_flatten(const pl_env *env, const char *args, const char *by, dstr *out) {
    if (strcmp(args, "confirm") != 0) {
        dstr_puts(out, "/flatten confirm pauses the trader, closes every position of this bot "
                       "at market and cancels its open orders and stops/take-profits. The "
                       "account's other positions and orders are not touched. Send "
                       "/flatten confirm to do it.\n");
        return;
    }
    /* paused first: no run may enter while the positions are being closed */
    if (set_pause(env, 1, "flatten", by, out) == 0)
        dstr_puts(out, "Paused (/resume to trade again).\n");
    const cfg *c = env->cfg;
    if (!c->execute_trades || !pl_account_readable(c) || !env->exchange) {
        dstr_printf(out, "Nothing sent: %s.\n",
                    !c->execute_trades ? "EXECUTE_TRADES is false"
                    : !env->exchange   ? "the exchange client could not start"
                                       : "no Binance API key and secret configured");
        return;
    }
    ex_read_spec spec = {.parts =
                             EX_READ_POSITIONS | EX_READ_OPEN_ORDERS | EX_READ_OPEN_ALGO_ORDERS};
    ex_account a = {0};
    ex_read(env->exchange, &spec, clock_now(env->clock), env->deadline_ms, NULL, &a);
    const ex_part *parts[] = {&a.positions_part, &a.orders_part, &a.algo_orders_part};
    for (size_t i = 0; i < 3; i++) {
        if (parts[i]->r.status == EX_OK) continue;
        dstr_printf(out, "The account could not be read (%s): nothing closed.\n",
                    dstr_cstr(&parts[i]->r.why));
        ex_account_free(&a);
        return;
    }
    bot_refs *b = calloc(1, sizeof *b);
    if (!b) abort();
    collect_bot_orders(&a, c->order_id_prefix, b);
    dstr actions = {0};
    close_positions(env, &a, b, &actions, out);
    cancel_orders(env, b, &actions, out);
    dstr list = {0};
    dstr_printf(&list, "[%s]", dstr_cstr(&actions));
    log_rec *lr = log_begin(LOG_WARN, "telegram.flatten");
    log_str(lr, "by", by);
    log_json(lr, "actions", list.ptr);
    log_end(lr);
    dstr_free(&list);
    dstr_free(&actions);
    free(b);
    ex_account_free(&a);
}

/* ---- the update ------------------------------------------------------------------------ */

/* NULL when the update may command the bot, else why not. */
static const char *not_allowed(const cfg *c, const telegram_update *u) {
    char chat[32];
    snprintf(chat, sizeof chat, "%" PRId64, u->chat_id);
    if (!c->telegram_chat_id || strcmp(chat, c->telegram_chat_id) != 0)
        return "not the configured chat (TELEGRAM_CHAT_ID)";
    if (strcmp(u->chat_type, "private") == 0) return NULL; /* the chat is the user */
    for (size_t i = 0; i < c->n_telegram_allowed_users; i++)
        if (u->from_id == c->telegram_allowed_users[i]) return NULL;
    return "the sender is not in TELEGRAM_ALLOWED_USER_IDS";
}

static void run_command(const pl_env *env, const telegram_update *u, const char *by, dstr *out) {
    const char *cmd = u->command;
    if (strcmp(cmd, "status") == 0) cmd_status(env, out);
    else if (strcmp(cmd, "positions") == 0) cmd_positions(env, out);
    else if (strcmp(cmd, "pnl") == 0) cmd_pnl(env, out);
    else if (strcmp(cmd, "signals") == 0) cmd_signals(env, out);
    else if (strcmp(cmd, "pause") == 0) cmd_pause(env, u->args, by, out);
    else if (strcmp(cmd, "resume") == 0) cmd_resume(env, by, out);
    else if (strcmp(cmd, "killswitch") == 0) cmd_killswitch(env, u->args, by, out);
    else if (strcmp(cmd, "flatten") == 0) cmd_flatten(env, u->args, by, out);
    else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "start") == 0) dstr_puts(out, help_text);
    else dstr_printf(out, "Unknown command /%s.\n%s", cmd, help_text);
}

static void send_reply(const pl_env *env, operator_result *out) {
    if (!env->telegram || !env->http) {
        log_msg(LOG_WARN, "telegram.no_client",
                "no answer sent: TELEGRAM_BOT_TOKEN / TELEGRAM_CHAT_ID not configured or no HTTP "
                "client");
        return;
    }
    telegram_msg m = {.text = dstr_cstr(&out->reply)};
    out->replied = telegram_send_batch(env->http, env->telegram, &m, 1, env->deadline_ms) == 1;
}

static void log_update(int level, const char *event, const telegram_update *u,
                       const operator_result *r) {
    log_rec *lr = log_begin(level, event);
    log_int(lr, "update_id", u->update_id);
    log_int(lr, "chat_id", u->chat_id);
    log_int(lr, "from_id", u->from_id);
    log_str(lr, "command", u->command);
    log_str(lr, "outcome", operator_outcome_name(r->outcome));
    if (r->why[0]) log_str(lr, "reason", r->why);
    log_bool(lr, "replied", r->replied);
    log_end(lr);
}

void operator_update(const pl_env *env, const char *body, size_t len, operator_result *out) {
    *out = (operator_result){.outcome = OPERATOR_IGNORED};
    telegram_update u;
    dstr why = {0};
    if (telegram_parse_update(body, len, &u, &why)) {
        snprintf(out->why, sizeof out->why, "not an update: %s", dstr_cstr(&why));
        log_msg(LOG_WARN, "telegram.bad_update", "%s", out->why);
        dstr_free(&why);
        return;
    }
    out->update_id = u.update_id;
    memcpy(out->command, u.command, sizeof out->command);
    const char *no = !u.has_message  ? "no message"
                     : !u.command[0] ? "no command"
                                     : not_allowed(env->cfg, &u);
    if (no) {
        snprintf(out->why, sizeof out->why, "%s", no);
        /* another chat or user is worth a WARN: someone found the bot */
        log_update(u.command[0] ? LOG_WARN : LOG_INFO, "telegram.ignored", &u, out);
        return;
    }
    char by[48];
    snprintf(by, sizeof by, "telegram:%" PRId64, u.from_id ? u.from_id : u.chat_id);
    journal_status st = journal_control_claim_update(
        env->journal, u.update_id, clock_now(env->clock), u.chat_id, u.from_id, u.command, &why);
    if (st == JOURNAL_EXISTS) {
        out->outcome = OPERATOR_REPLAYED;
        log_update(LOG_INFO, "telegram.replayed", &u, out);
    } else if (st != JOURNAL_OK) {
        out->outcome = OPERATOR_FAILED;
        snprintf(out->why, sizeof out->why, "the update could not be recorded: %s",
                 dstr_cstr(&why));
        dstr_printf(&out->reply,
                    "/%s was NOT done: the journal could not record it (%s). "
                    "Send it again.\n",
                    u.command, dstr_cstr(&why));
        send_reply(env, out);
        log_update(LOG_ERROR, "telegram.command", &u, out);
    } else {
        out->outcome = OPERATOR_DONE;
        run_command(env, &u, by, &out->reply);
        send_reply(env, out);
        log_update(LOG_INFO, "telegram.command", &u, out);
    }
    dstr_free(&why);
}

/* ---- alarms and the outbox ------------------------------------------------------------- */

int operator_deliver(const pl_env *env, alerts_report *rep, dstr *err) {
    *rep = (alerts_report){.retry_after_s = -1};
    if (!env->telegram || !env->http) return 0;
    int64_t now = clock_now(env->clock);
    int64_t deadline = now + env->cfg->alert_budget_ms;
    alerts_opts o = {.now_ms = now,
                     .deadline_ms = deadline < env->deadline_ms ? deadline : env->deadline_ms};
    return alerts_deliver(env->journal, env->http, env->telegram, &o, rep, err);
}

int operator_alarms(const pl_env *env, const cJSON *event, operator_alarm_report *out, dstr *err) {
    *out = (operator_alarm_report){0};
    sns_alarms a;
    dstr why = {0};
    if (sns_alarm_parse(event, &a, &why)) {
        dstr_error_line(err, "not an SNS event: %s", dstr_cstr(&why));
        dstr_free(&why);
        return -1;
    }
    out->alarms = a.n;
    out->skipped = a.skipped;
    int on = cfg_alert_on(env->cfg, CFG_ALERT_ALARM);
    int64_t now = clock_now(env->clock);
    for (size_t i = 0; on && i < a.n; i++) {
        journal_outbox alert = {.type = cfg_alert_type_name(CFG_ALERT_ALARM),
                                .event = a.items[i].event,
                                .at_ms = a.items[i].at_ms,
                                .created_ms = now,
                                .text = dstr_cstr(&a.items[i].text)};
        dstr_clear(&why);
        journal_status st = journal_outbox_put(env->journal, &alert, NULL, &why);
        out->queued += st == JOURNAL_OK;
        if (st != JOURNAL_OK && st != JOURNAL_EXISTS)
            log_msg(LOG_ERROR, "alerts.alarm_unqueued", "alarm %s: %s", a.items[i].event,
                    dstr_cstr(&why));
    }
    if (!on && a.n) log_msg(LOG_INFO, "alerts.alarm_off", "%zu alarm(s): ALERTS has no alarm", a.n);
    log_rec *lr = log_begin(a.skipped ? LOG_WARN : LOG_INFO, "alerts.alarms");
    log_int(lr, "alarms", (long long)a.n);
    log_int(lr, "skipped", (long long)a.skipped);
    log_int(lr, "queued", (long long)out->queued);
    log_end(lr);
    sns_alarms_free(&a);
    dstr_free(&why);
    out->delivered = env->telegram && env->http;
    return operator_deliver(env, &out->delivery, err) ? -1 : 0;
}
