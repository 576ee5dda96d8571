/* overview: the account at a glance (see overview.h). */
#include "pipelines/overview.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/clock.h"
#include "services/journal.h"

static const char *const part_names[OV_PART_COUNT] = {"balances",    "positions",   "leverage",
                                                      "open_orders", "algo_orders", "decisions",
                                                      "pnl_today",   "kill_switch", "last_run"};

const char *overview_part_name(overview_part p) {
    return (unsigned)p < OV_PART_COUNT ? part_names[p] : "unknown";
}

int overview_is_bot_order(const char *prefix, const char *client_id) {
    size_t n = prefix ? strlen(prefix) : 0;
    if (!n || !client_id || strncmp(client_id, prefix, n) != 0) return 0;
    char c = client_id[n];
    int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return c != '\0' && !alnum;
}

static void fail_part(overview *ov, overview_part p, const ex_error *e, const char *why) {
    overview_failure *f = &ov->parts[p];
    f->failed = 1;
    if (e) f->e = *e;
    dstr_clear(&f->why);
    dstr_puts(&f->why, why);
}

/* An exchange part's outcome (a part ex_read did not answer counts as failed). */
static void take_part(overview *ov, overview_part p, const ex_part *part) {
    if (part->asked && !part->r.status) return;
    if (!part->asked) {
        ex_error e = {.status = EX_UNAVAILABLE};
        fail_part(ov, p, &e, "the exchange did not answer this part");
        return;
    }
    fail_part(ov, p, &part->r.e, dstr_cstr(&part->r.why));
    ov->parts[p].e.status = part->r.status;
}

static int64_t exchange_deadline(int64_t now, int64_t deadline) {
    int64_t reserve = (deadline - now) / 3;
    if (reserve > OVERVIEW_JOURNAL_RESERVE_MS) reserve = OVERVIEW_JOURNAL_RESERVE_MS;
    if (reserve < 0) reserve = 0;
    return deadline - reserve;
}

static void read_exchange(const pl_env *env, overview *ov) {
    static const overview_part exchange_parts[] = {OV_BALANCES, OV_POSITIONS, OV_LEVERAGE,
                                                   OV_OPEN_ORDERS, OV_ALGO_ORDERS};
    if (!env->exchange) {
        ex_error e = {.status = EX_UNAVAILABLE};
        for (size_t i = 0; i < sizeof exchange_parts / sizeof *exchange_parts; i++)
            fail_part(ov, exchange_parts[i], &e, "the HTTP client could not start");
        return;
    }
    ex_read_spec spec = {.symbols = ov->symbols,
                         .n_symbols = ov->n_symbols,
                         .parts = EX_READ_BALANCES | EX_READ_POSITIONS | EX_READ_SYMBOL_CONFIGS |
                                  EX_READ_OPEN_ORDERS | EX_READ_OPEN_ALGO_ORDERS};
    ex_read(env->exchange, &spec, ov->now_ms, exchange_deadline(ov->now_ms, env->deadline_ms), NULL,
            &ov->acct);
    take_part(ov, OV_BALANCES, &ov->acct.balances_part);
    take_part(ov, OV_POSITIONS, &ov->acct.positions_part);
    take_part(ov, OV_LEVERAGE, &ov->acct.configs_part);
    take_part(ov, OV_OPEN_ORDERS, &ov->acct.orders_part);
    take_part(ov, OV_ALGO_ORDERS, &ov->acct.algo_orders_part);
}

static void read_journal(const pl_env *env, overview *ov) {
    dstr why = {0};
    if (!env->journal) {
        for (overview_part p = OV_DECISIONS; p <= OV_LAST_RUN; p++)
            fail_part(ov, p, NULL, "the journal store did not open");
        return;
    }
    if (journal_latest_decisions(env->journal, ov->symbols, ov->n_symbols, ov->decisions, &why))
        fail_part(ov, OV_DECISIONS, NULL, dstr_cstr(&why));
    dstr_clear(&why);
    if (journal_trade_day_pnl(env->journal, ov->now_ms, &ov->pnl, &why))
        fail_part(ov, OV_PNL_TODAY, NULL, dstr_cstr(&why));
    dstr_clear(&why);
    if (journal_risk_read(env->journal, &ov->risk, &why))
        fail_part(ov, OV_KILL_SWITCH, NULL, dstr_cstr(&why));
    dstr_clear(&why);
    journal_status st = journal_latest_run(env->journal, &ov->last_run, NULL, &why);
    if (st == JOURNAL_OK) ov->has_run = 1;
    else if (st != JOURNAL_NOT_FOUND) fail_part(ov, OV_LAST_RUN, NULL, dstr_cstr(&why));
    dstr_free(&why);
}

overview_status overview_read(const pl_env *env, overview *out, ex_error *first_error, dstr *err) {
    memset(out, 0, sizeof *out);
    const cfg *c = env->cfg;
    out->now_ms = clock_now(env->clock);
    out->symbols = (const char *const *)c->symbols;
    out->n_symbols = c->n_symbols;
    out->prefix = c->order_id_prefix;
    out->execute_trades = c->execute_trades;
    out->account = cfg_account(c);
    out->decisions = calloc(out->n_symbols ? out->n_symbols : 1, sizeof *out->decisions);
    if (!out->decisions) abort();
    if (!pl_account_readable(c)) {
        dstr_error_line(err, "no Binance API key and secret configured (BINANCE_API_KEY, "
                             "BINANCE_API_SECRET): the overview reads the account; read-only keys "
                             "are enough");
        return OVERVIEW_NO_KEYS;
    }
    read_exchange(env, out);
    read_journal(env, out);
    for (int p = 0; p < OV_PART_COUNT; p++)
        if (!out->parts[p].failed) return OVERVIEW_OK;
    /* every part failed, the exchange's first (balances) among them */
    if (first_error) *first_error = out->parts[OV_BALANCES].e;
    dstr_error_line(err, "every part of the overview failed; balances: %s",
                    dstr_cstr(&out->parts[OV_BALANCES].why));
    return OVERVIEW_ALL_FAILED;
}

void overview_free(overview *ov) {
    ex_account_free(&ov->acct);
    for (size_t i = 0; ov->decisions && i < ov->n_symbols; i++) dstr_free(&ov->decisions[i]);
    free(ov->decisions);
    for (int p = 0; p < OV_PART_COUNT; p++) dstr_free(&ov->parts[p].why);
    memset(ov, 0, sizeof *ov);
}

/* ---- rendering ---------------------------------------------------------------- */

static int failed(const overview *ov, overview_part p) { return ov->parts[p].failed; }

static void key(dstr *out, const char *name) {
    dstr_json_str(out, name);
    dstr_putc(out, ':');
}

static void num_field(dstr *out, const char *name, double v) {
    key(out, name);
    dstr_json_num(out, v);
    dstr_putc(out, ',');
}

/* A sum of USDT amounts, at the asset's 8 decimals: adding binary doubles
 * must not show as 66.05398240000001. */
static void money_field(dstr *out, const char *name, double v) {
    num_field(out, name, round(v * 1e8) / 1e8);
}

static void str_field(dstr *out, const char *name, const char *v) {
    key(out, name);
    dstr_json_str(out, v);
    dstr_putc(out, ',');
}

static void int_field(dstr *out, const char *name, long long v) {
    key(out, name);
    dstr_printf(out, "%lld,", v);
}

/* Ends an object or array whose last member left a trailing comma. */
static void close_with(dstr *out, char c) {
    if (out->len && out->ptr[out->len - 1] == ',') out->len--, out->ptr[out->len] = '\0';
    dstr_putc(out, c);
}

static void render_balances(const overview *ov, dstr *out) {
    key(out, "balances");
    if (failed(ov, OV_BALANCES)) {
        dstr_puts(out, "null,");
        return;
    }
    dstr_putc(out, '[');
    for (size_t i = 0; i < ov->acct.n_balances; i++) {
        const ex_balance *b = &ov->acct.balances[i];
        dstr_putc(out, '{');
        str_field(out, "asset", b->asset);
        num_field(out, "balance", b->balance);
        num_field(out, "cross_wallet_balance", b->cross_wallet_balance);
        num_field(out, "cross_unrealized_pnl", b->cross_unrealized_pnl);
        num_field(out, "available_balance", b->available_balance);
        num_field(out, "max_withdraw", b->max_withdraw);
        int_field(out, "update_time", b->update_time);
        close_with(out, '}');
        dstr_putc(out, ',');
    }
    close_with(out, ']');
    dstr_putc(out, ',');
}

static const char *position_side(const ex_position *p) {
    if (strcmp(p->position_side, "LONG") == 0 || strcmp(p->position_side, "SHORT") == 0)
        return p->position_side;
    return p->amount > 0 ? "LONG" : "SHORT";
}

static int listed(const overview *ov, const char *symbol) {
    for (size_t i = 0; i < ov->n_symbols; i++)
        if (strcmp(ov->symbols[i], symbol) == 0) return 1;
    return 0;
}

static void render_position(const overview *ov, const ex_position *p, dstr *out) {
    dstr_putc(out, '{');
    str_field(out, "symbol", p->symbol);
    str_field(out, "side", position_side(p));
    num_field(out, "size", fabs(p->amount));
    str_field(out, "amount", p->amount_str);
    num_field(out, "entry_price", p->entry_price);
    num_field(out, "mark_price", p->mark_price);
    num_field(out, "unrealized_pnl", p->unrealized_pnl);
    key(out, "liquidation_price");
    if (p->liquidation_price > 0) dstr_json_num(out, p->liquidation_price);
    else dstr_puts(out, "null");
    dstr_putc(out, ',');
    num_field(out, "notional", p->notional);
    const ex_symbol_config *sc =
        failed(ov, OV_LEVERAGE) ? NULL : ex_account_config(&ov->acct, p->symbol);
    key(out, "leverage");
    if (sc) dstr_printf(out, "%d,", sc->leverage);
    else dstr_puts(out, "null,");
    key(out, "margin_type");
    if (sc) dstr_json_str(out, ex_margin_type_name(sc->margin_type));
    else dstr_puts(out, "null");
    dstr_putc(out, ',');
    key(out, "in_symbols");
    dstr_puts(out, listed(ov, p->symbol) ? "true," : "false,");
    int_field(out, "update_time", p->update_time);
    close_with(out, '}');
}

static void render_positions(const overview *ov, dstr *out) {
    key(out, "positions");
    if (failed(ov, OV_POSITIONS)) {
        dstr_puts(out, "null,");
        return;
    }
    dstr_putc(out, '[');
    for (size_t i = 0; i < ov->acct.n_positions; i++) {
        if (ov->acct.positions[i].amount == 0) continue; /* listed for its orders only */
        render_position(ov, &ov->acct.positions[i], out);
        dstr_putc(out, ',');
    }
    close_with(out, ']');
    dstr_putc(out, ',');
}

static void render_order(const ex_order *o, dstr *out) {
    dstr_putc(out, '{');
    str_field(out, "client_id", o->client_id);
    int_field(out, "order_id", (long long)o->order_id);
    str_field(out, "side", ex_side_name(o->side));
    str_field(out, "type", o->type);
    str_field(out, "status", o->status_name);
    num_field(out, "price", o->price);
    str_field(out, "orig_qty", o->orig_qty_str);
    str_field(out, "executed_qty", o->executed_qty_str);
    key(out, "reduce_only");
    dstr_puts(out, o->reduce_only ? "true," : "false,");
    int_field(out, "time", (long long)o->time);
    close_with(out, '}');
}

static void render_algo(const ex_algo_order *a, dstr *out) {
    dstr_putc(out, '{');
    str_field(out, "client_id", a->client_id);
    int_field(out, "algo_id", (long long)a->algo_id);
    str_field(out, "type", a->type);
    str_field(out, "side", ex_side_name(a->side));
    str_field(out, "status", a->status_name);
    num_field(out, "trigger_price", a->trigger_price);
    str_field(out, "quantity", a->quantity_str);
    key(out, "reduce_only");
    dstr_puts(out, a->reduce_only ? "true," : "false,");
    str_field(out, "working_type", a->mark_price ? "MARK_PRICE" : "CONTRACT_PRICE");
    int_field(out, "create_time", (long long)a->create_time);
    close_with(out, '}');
}

/* The symbol's open orders (algo: its algo orders) of this bot as an array
 * member, and the count of the others as another. */
static void render_orders(const overview *ov, const char *symbol, int algo, dstr *out) {
    key(out, algo ? "algo_orders" : "open_orders");
    if (failed(ov, algo ? OV_ALGO_ORDERS : OV_OPEN_ORDERS)) {
        dstr_puts(out, "null,");
        key(out, algo ? "other_algo_orders" : "other_open_orders");
        dstr_puts(out, "null,");
        return;
    }
    long others = 0;
    dstr_putc(out, '[');
    size_t n = algo ? ov->acct.n_algo_orders : ov->acct.n_orders;
    for (size_t i = 0; i < n; i++) {
        const char *sym = algo ? ov->acct.algo_orders[i].symbol : ov->acct.orders[i].symbol;
        const char *id = algo ? ov->acct.algo_orders[i].client_id : ov->acct.orders[i].client_id;
        if (strcmp(sym, symbol) != 0) continue;
        if (!overview_is_bot_order(ov->prefix, id)) {
            others++;
            continue;
        }
        if (algo) render_algo(&ov->acct.algo_orders[i], out);
        else render_order(&ov->acct.orders[i], out);
        dstr_putc(out, ',');
    }
    close_with(out, ']');
    dstr_putc(out, ',');
    int_field(out, algo ? "other_algo_orders" : "other_open_orders", others);
}

static void render_symbols(const overview *ov, dstr *out) {
    key(out, "symbols");
    dstr_putc(out, '[');
    for (size_t i = 0; i < ov->n_symbols; i++) {
        const char *s = ov->symbols[i];
        dstr_putc(out, '{');
        str_field(out, "symbol", s);
        render_orders(ov, s, 0, out);
        render_orders(ov, s, 1, out);
        key(out, "latest_decision");
        if (!failed(ov, OV_DECISIONS) && ov->decisions[i].len)
            dstr_append(out, ov->decisions[i].ptr, ov->decisions[i].len);
        else dstr_puts(out, "null");
        dstr_puts(out, "},");
    }
    close_with(out, ']');
    dstr_putc(out, ',');
}

static void render_pnl(const overview *ov, dstr *out) {
    key(out, "pnl_today");
    if (failed(ov, OV_PNL_TODAY)) {
        dstr_puts(out, "null,");
        return;
    }
    const journal_day_pnl *p = &ov->pnl;
    char day[11];
    time_t t = (time_t)(ov->now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    dstr_putc(out, '{');
    str_field(out, "day", day);
    int_field(out, "trades", (long long)p->trades);
    money_field(out, "realized", p->realized);
    money_field(out, "fees", p->fees);
    money_field(out, "funding", p->funding);
    money_field(out, "net", p->net);
    int_field(out, "fees_unnetted", (long long)p->fees_unnetted);
    close_with(out, '}');
    dstr_putc(out, ',');
}

static void opt_text(dstr *out, const char *name, const char *v) {
    key(out, name);
    if (v && *v) dstr_json_str(out, v);
    else dstr_puts(out, "null");
    dstr_putc(out, ',');
}

static void render_kill_switch(const overview *ov, dstr *out) {
    key(out, "kill_switch");
    if (failed(ov, OV_KILL_SWITCH)) {
        dstr_puts(out, "null,");
        return;
    }
    const journal_risk_state *r = &ov->risk;
    dstr_putc(out, '{');
    key(out, "tripped");
    dstr_puts(out, r->tripped ? "true," : "false,");
    key(out, "since");
    if (r->has_kill) dstr_printf(out, "%lld,", (long long)r->kill_ms);
    else dstr_puts(out, "null,");
    opt_text(out, "reason", r->has_kill ? r->kill_reason : NULL);
    opt_text(out, "by", r->has_kill ? r->kill_by : NULL);
    opt_text(out, "high_water_mark", r->has_hwm ? r->hwm_text : NULL);
    close_with(out, '}');
    dstr_putc(out, ',');
}

static void render_last_run(const overview *ov, dstr *out) {
    key(out, "last_run");
    if (failed(ov, OV_LAST_RUN) || !ov->has_run) {
        dstr_puts(out, "null,");
        return;
    }
    const journal_run_info *r = &ov->last_run;
    dstr_putc(out, '{');
    str_field(out, "run_id", r->run_id);
    str_field(out, "trigger", r->trigger);
    opt_text(out, "trigger_id", r->trigger_id);
    int_field(out, "started_ms", (long long)r->started_ms);
    int_field(out, "finished_ms", (long long)r->finished_ms);
    key(out, "execute");
    dstr_puts(out, r->execute ? "true," : "false,");
    str_field(out, "outcome", r->outcome);
    int_field(out, "actions", (long long)r->n_actions);
    opt_text(out, "build", r->build);
    close_with(out, '}');
    dstr_putc(out, ',');
}

static void render_errors(const overview *ov, dstr *out) {
    key(out, "errors");
    dstr_putc(out, '[');
    for (int p = 0; p < OV_PART_COUNT; p++) {
        const overview_failure *f = &ov->parts[p];
        if (!f->failed) continue;
        dstr_putc(out, '{');
        str_field(out, "part", overview_part_name((overview_part)p));
        if (p <= OV_ALGO_ORDERS) {
            str_field(out, "status", ex_status_name(f->e.status));
            if (f->e.http_status) int_field(out, "http_status", f->e.http_status);
            if (f->e.code) int_field(out, "binance_code", f->e.code);
        } else {
            str_field(out, "status", "journal_unavailable");
        }
        str_field(out, "message", dstr_cstr(&f->why));
        close_with(out, '}');
        dstr_putc(out, ',');
    }
    close_with(out, ']');
}

void overview_json(const overview *ov, dstr *out) {
    dstr_putc(out, '{');
    int_field(out, "time", (long long)ov->now_ms);
    key(out, "execute_trades");
    dstr_puts(out, ov->execute_trades ? "true," : "false,");
    key(out, "account");
    dstr_json_str(out, ov->account);
    dstr_putc(out, ',');
    opt_text(out, "order_id_prefix", ov->prefix);
    render_balances(ov, out);
    render_positions(ov, out);
    render_symbols(ov, out);
    render_pnl(ov, out);
    render_kill_switch(ov, out);
    render_last_run(ov, out);
    render_errors(ov, out);
    dstr_putc(out, '}');
}
