/* execute: client ids, account set-up, the bracket (see execute.h). */
#include "pipelines/execute.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipelines/audit.h"
#include "pipelines/brackets.h"
#include "platform/clock.h"
#include "platform/log.h"

/* ---- client ids ------------------------------------------------------------------ */

static const char base36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
static const char legs[] = "ESTXstC";

static int valid_leg(char leg) { return leg && strchr(legs, leg) != NULL; }

int exec_client_id(const char *prefix, const char *symbol, int64_t candle_ms, char leg,
                   char out[EX_CLIENT_ID_LEN]) {
    out[0] = 0;
    if (!prefix || !symbol || !cfg_valid_order_id_prefix(prefix) || !cfg_valid_symbol(symbol) ||
        candle_ms <= 0 || !valid_leg(leg))
        return -1;
    char rev[16], t[16];
    int n = 0;
    for (uint64_t v = (uint64_t)candle_ms; v; v /= 36) rev[n++] = base36[v % 36];
    if (n > 8) return -1;
    for (int i = 0; i < n; i++) t[i] = rev[n - 1 - i];
    t[n] = 0;
    int len = snprintf(out, EX_CLIENT_ID_LEN, "%s_%s_%s_%c", prefix, symbol, t, leg);
    if (len < 0 || len >= EX_CLIENT_ID_LEN || !ex_valid_client_id(out)) {
        out[0] = 0;
        return -1;
    }
    return 0;
}

int exec_parse_client_id(const char *prefix, const char *id, char *symbol, int64_t *candle_ms,
                         char *leg) {
    if (!prefix || !id || !*prefix) return 0;
    size_t pl = strlen(prefix);
    if (strncmp(id, prefix, pl) != 0 || id[pl] != '_') return 0;
    const char *p = id + pl + 1;
    size_t sl = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    if (sl < 2 || sl > 20 || p[sl] != '_') return 0;
    const char *t = p + sl + 1;
    size_t tl = strspn(t, base36);
    if (tl < 1 || tl > 8 || t[0] == '0' || t[tl] != '_' || !valid_leg(t[tl + 1]) || t[tl + 2])
        return 0; /* a leading zero: not an id exec_client_id makes */
    int64_t v = 0;
    for (size_t i = 0; i < tl; i++) v = v * 36 + (int64_t)(strchr(base36, t[i]) - base36);
    if (v <= 0) return 0;
    if (symbol) {
        memcpy(symbol, p, sl);
        symbol[sl] = 0;
    }
    if (candle_ms) *candle_ms = v;
    if (leg) *leg = t[tl + 1];
    return 1;
}

/* ---- actions and events ------------------------------------------------------------ */

void exec_action(dstr *actions, const char *symbol, const char *action, const char *outcome,
                 const char *detail) {
    if (!actions) return;
    if (actions->len) dstr_putc(actions, ',');
    dstr_puts(actions, "{\"symbol\":");
    dstr_json_str(actions, symbol ? symbol : "");
    dstr_puts(actions, ",\"action\":");
    dstr_json_str(actions, action);
    dstr_puts(actions, ",\"outcome\":");
    dstr_json_str(actions, outcome);
    if (detail && *detail) {
        dstr_puts(actions, ",\"detail\":");
        dstr_json_str(actions, detail);
    }
    dstr_putc(actions, '}');
}

void exec_event(int level, const char *name, const char *symbol, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_rec *r = log_begin((log_level)level, name);
    log_str(r, "symbol", symbol);
    log_str(r, "message", msg);
    log_end(r);
}

/* snprintf that may cut (the texts here are for people) without the
 * compiler's truncation warning. */
static void fmt_into(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt_into(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

static void set_why(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(char *why, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, EXEC_REASON_LEN, fmt, ap);
    va_end(ap);
}

/* ---- account set-up ---------------------------------------------------------------- */

static void block(exec_gate *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void block(exec_gate *g, const char *fmt, ...) {
    if (!g->entry_ok) return; /* the first reason stays */
    g->entry_ok = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->why, sizeof g->why, fmt, ap);
    va_end(ap);
}

static void describe_setup(const ex_setup *s, char *buf, size_t n) {
    switch (s->what) {
    case EX_SET_POSITION_MODE: snprintf(buf, n, "position mode one-way"); break;
    case EX_SET_MARGIN_TYPE:
        snprintf(buf, n, "margin type %s", ex_margin_type_name(s->margin_type));
        break;
    case EX_SET_LEVERAGE: snprintf(buf, n, "leverage %d", s->leverage); break;
    }
}

size_t exec_setup(const pl_env *env, const ex_account *a, const char *const *symbols, size_t n,
                  int execute, exec_gate *gates, dstr *actions) {
    const cfg *c = env->cfg;
    for (size_t i = 0; i < n; i++) gates[i] = (exec_gate){.entry_ok = 1};
    ex_margin_type margin =
        c->margin_type && strcmp(c->margin_type, "CROSSED") == 0 ? EX_CROSSED : EX_ISOLATED;
    ex_setup *setups = calloc(2 * n + 2, sizeof *setups);
    size_t *owner = calloc(2 * n + 2, sizeof *owner); /* symbol index; n: the account */
    if (!setups || !owner) abort();
    size_t k = 0;
    if (!a->position_mode_part.asked || a->position_mode_part.r.status != EX_OK) {
        for (size_t i = 0; i < n; i++)
            block(&gates[i], "position mode unknown: %s",
                  a->position_mode_part.asked ? dstr_cstr(&a->position_mode_part.r.why)
                                              : "not read");
    } else if (a->hedge_mode) {
        setups[k] = (ex_setup){.what = EX_SET_POSITION_MODE, .hedge_mode = 0};
        owner[k++] = n;
    }
    for (size_t i = 0; i < n; i++) {
        if (!a->configs_part.asked || a->configs_part.r.status != EX_OK) {
            block(&gates[i], "symbol config unknown: %s",
                  a->configs_part.asked ? dstr_cstr(&a->configs_part.r.why) : "not read");
            continue;
        }
        const ex_symbol_config *sc = ex_account_config(a, symbols[i]);
        if (!sc) {
            block(&gates[i], "the exchange sent no symbol config for %s", symbols[i]);
            continue;
        }
        if (sc->margin_type != margin) {
            setups[k] = (ex_setup){.what = EX_SET_MARGIN_TYPE, .margin_type = margin};
            snprintf(setups[k].symbol, sizeof setups[k].symbol, "%s", symbols[i]);
            owner[k++] = i;
        }
        if (sc->leverage != c->leverage) {
            setups[k] = (ex_setup){.what = EX_SET_LEVERAGE, .leverage = c->leverage};
            snprintf(setups[k].symbol, sizeof setups[k].symbol, "%s", symbols[i]);
            owner[k++] = i;
        }
    }
    char what[64], detail[EXEC_REASON_LEN];
    if (!execute) {
        for (size_t j = 0; j < k; j++) {
            describe_setup(&setups[j], what, sizeof what);
            exec_action(actions, owner[j] < n ? symbols[owner[j]] : "", "setup", "would_change",
                        what);
        }
        free(setups);
        free(owner);
        return 0;
    }
    ex_result *res = calloc(k + 1, sizeof *res);
    if (!res) abort();
    if (k) ex_configure(env->exchange, setups, k, env->deadline_ms, res);
    for (size_t j = 0; j < k; j++) {
        describe_setup(&setups[j], what, sizeof what);
        const char *sym = owner[j] < n ? symbols[owner[j]] : "";
        if (res[j].status == EX_OK) {
            exec_action(actions, sym, "setup", "changed", what);
            exec_event(LOG_INFO, "account.setup", sym, "%s: changed", what);
        } else {
            fmt_into(detail, sizeof detail, "%s: %s", what, dstr_cstr(&res[j].why));
            exec_action(actions, sym, "setup", "failed", detail);
            exec_event(LOG_WARN, "account.setup_failed", sym, "%s (code %ld): no entry", detail,
                       res[j].e.code);
            for (size_t i = 0; i < n; i++)
                if (owner[j] == n || owner[j] == i)
                    block(&gates[i], "set-up failed: %s (code %ld)", detail, res[j].e.code);
        }
        ex_result_free(&res[j]);
    }
    free(res);
    free(setups);
    free(owner);
    return k;
}

/* ---- the bracket ---------------------------------------------------------------------- */

const char *exec_outcome_name(exec_outcome o) {
    switch (o) {
    case EXEC_NO_ENTRY: return "no_entry";
    case EXEC_ENTRY_UNKNOWN: return "entry_unknown";
    case EXEC_ENTRY_RESTING: return "entry_resting";
    case EXEC_PROTECTED: return "protected";
    case EXEC_STOP_ONLY: return "stop_only";
    case EXEC_CLOSED: return "closed";
    case EXEC_UNPROTECTED: return "unprotected";
    }
    return "unknown";
}

static ex_side entry_side(direction d) { return d == DIR_LONG ? EX_BUY : EX_SELL; }
static ex_side exit_side(direction d) { return d == DIR_LONG ? EX_SELL : EX_BUY; }

/* A write whose answer was lost: may have landed. */
static int maybe_landed(ex_status st) { return st == EX_UNKNOWN || st == EX_TIMEOUT; }

/* An algo leg that exists on the exchange (it may even have fired). */
static int algo_alive(const ex_algo_order *a) {
    return a->status == EX_ALGO_NEW || a->status == EX_ALGO_TRIGGERING ||
           a->status == EX_ALGO_TRIGGERED || a->status == EX_ALGO_FINISHED;
}

void exec_close_at_market_batch(const pl_env *env, const exec_protect_spec *specs, size_t n,
                                const char *because, const char *action, exec_report *out,
                                int *closed, dstr *actions) {
    ex_order_request *rq = calloc(n + 1, sizeof *rq);
    ex_placed *placed = calloc(n + 1, sizeof *placed);
    ex_order_ref *refs = calloc(n + 1, sizeof *refs);
    ex_lookup *looked = calloc(n + 1, sizeof *looked);
    size_t *asked = calloc(n + 1, sizeof *asked), n_send = 0, n_ask = 0;
    size_t *sent = calloc(n + 1, sizeof *sent);
    if (!rq || !placed || !refs || !looked || !asked || !sent) abort();
    for (size_t i = 0; i < n; i++) {
        const exec_protect_spec *s = &specs[i];
        closed[i] = 0;
        ex_order_request *r = &rq[n_send];
        *r = (ex_order_request){.side = exit_side(s->dir), .type = EX_MARKET, .reduce_only = 1};
        snprintf(r->symbol, sizeof r->symbol, "%s", s->symbol);
        snprintf(r->quantity, sizeof r->quantity, "%s", s->qty);
        if (exec_client_id(s->prefix, s->symbol, s->candle_ms, s->close_leg, r->client_id))
            exec_action(actions, s->symbol, "close", "failed", "no client id");
        else sent[n_send++] = i;
    }
    /* every close in ONE batch; the ones that may have landed in ONE query batch */
    if (n_send == 1) { /* the batch of one: an emergency close within a symbol's own steps */
        placed[0].r.status = ex_place_order(env->exchange, rq, env->deadline_ms, &placed[0].order,
                                            &placed[0].r.e, &placed[0].r.why);
    } else if (n_send) {
        ex_place_orders(env->exchange, rq, n_send, env->deadline_ms, placed);
    }
    for (size_t k = 0; k < n_send; k++) {
        if (!maybe_landed(placed[k].r.status)) continue;
        refs[n_ask] = (ex_order_ref){.algo = 0};
        snprintf(refs[n_ask].symbol, sizeof refs[n_ask].symbol, "%s", rq[k].symbol);
        snprintf(refs[n_ask].client_id, sizeof refs[n_ask].client_id, "%s", rq[k].client_id);
        asked[n_ask++] = k;
    }
    if (n_ask) ex_query(env->exchange, refs, n_ask, env->deadline_ms, looked);
    for (size_t k = 0, q = 0; k < n_send; k++) {
        const exec_protect_spec *s = &specs[sent[k]];
        ex_order o = placed[k].order;
        ex_status st = placed[k].r.status;
        dstr err = {0};
        dstr_puts(&err, dstr_cstr(&placed[k].r.why));
        if (q < n_ask && asked[q] == k) {
            ex_lookup *l = &looked[q++];
            st = l->r.status;
            if (st == EX_OK) o = l->order;
            else dstr_printf(&err, "; the query of %s: %s", rq[k].client_id, dstr_cstr(&l->r.why));
            if (st == EX_NOT_FOUND) st = EX_UNKNOWN;
        }
        /* closed only when all of it filled: a partial close leaves a position without its stop */
        char detail[EXEC_REASON_LEN + 64];
        closed[sent[k]] = st == EX_OK && (o.status == EX_ORDER_FILLED ||
                                          o.executed_qty >= strtod(s->qty, NULL) * (1 - 1e-9));
        if (closed[sent[k]]) {
            out[sent[k]].close = o;
            out[sent[k]].close_placed = 1;
            fmt_into(detail, sizeof detail, "%s; closed %s at %.10g (%s)", because,
                     o.executed_qty_str, o.avg_price, rq[k].client_id);
            exec_action(actions, s->symbol, action, "closed", detail);
            char event[64];
            fmt_into(event, sizeof event, "exec.%s", action);
            exec_event(strcmp(action, "emergency_close") == 0 ? LOG_ERROR : LOG_WARN, event,
                       s->symbol, "%s", detail);
        } else {
            fmt_into(detail, sizeof detail, "%s; the close failed: %s", because,
                     st == EX_OK ? o.status_name : dstr_cstr(&err));
            exec_action(actions, s->symbol, action, "failed", detail);
        }
        dstr_free(&err);
    }
    for (size_t k = 0; k < n_send; k++) ex_placed_free(&placed[k]);
    for (size_t q = 0; q < n_ask; q++) ex_lookup_free(&looked[q]);
    free(rq);
    free(placed);
    free(refs);
    free(looked);
    free(asked);
    free(sent);
}

int exec_close_at_market(const pl_env *env, const exec_protect_spec *s, const char *because,
                         const char *action, exec_report *out, dstr *actions) {
    int closed;
    exec_close_at_market_batch(env, s, 1, because, action, out, &closed, actions);
    return closed;
}

/* Cancels the legs left behind by a close (ids "" skipped), in one batch. */
static void cancel_legs(const pl_env *env, const char *symbol, const char *const *ids, size_t n,
                        dstr *actions) {
    ex_order_ref refs[4];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 4; i++) {
        if (!ids[i] || !ids[i][0]) continue;
        refs[k] = (ex_order_ref){.algo = 1};
        snprintf(refs[k].symbol, sizeof refs[k].symbol, "%s", symbol);
        snprintf(refs[k].client_id, sizeof refs[k].client_id, "%s", ids[i]);
        k++;
    }
    if (!k) return;
    ex_lookup res[4];
    memset(res, 0, sizeof res);
    ex_cancel(env->exchange, refs, k, env->deadline_ms, res);
    for (size_t i = 0; i < k; i++) {
        int ok = res[i].r.status == EX_OK || res[i].r.status == EX_NOT_FOUND;
        exec_action(actions, symbol, "cancel_leg", ok ? "cancelled" : "failed",
                    ok ? refs[i].client_id : dstr_cstr(&res[i].r.why));
        if (!ok)
            exec_event(LOG_WARN, "exec.cancel_failed", symbol,
                       "%s: %s (the next reconcile retries)", refs[i].client_id,
                       dstr_cstr(&res[i].r.why));
        ex_lookup_free(&res[i]);
    }
}

/* ---- protection: the legs of several positions in one batch ------------------------------ */

/* One position's part of the batch (protect_prepare .. protect_finish). */
typedef struct protect_state {
    size_t first, n; /* its requests: reqs[first .. first + n) */
    int which[2];    /* per request: 0 stop, 1 take-profit */
    int stop_ok, tp_ok, tp_passed;
    int sent_unsettled[2]; /* a leg that may exist though its placement failed */
    char stop_id[EX_CLIENT_ID_LEN], tp_id[EX_CLIENT_ID_LEN];
    char stop_why[EXEC_REASON_LEN], tp_why[EXEC_REASON_LEN];
} protect_state;

/* Prepares the legs of s into reqs[ps->first ..]; returns how many. */
static size_t protect_prepare(const exec_protect_spec *s, protect_state *ps,
                              ex_algo_request *reqs) {
    ps->stop_ok = !s->need_stop, ps->tp_ok = !s->need_tp;
    for (int leg = 0; leg < 2; leg++) {
        int need = leg == 0 ? s->need_stop : s->need_tp;
        const char *trigger = leg == 0 ? s->sl_text : s->tp_text;
        char *id = leg == 0 ? ps->stop_id : ps->tp_id;
        char *why = leg == 0 ? ps->stop_why : ps->tp_why;
        if (!need) continue;
        if (!trigger || !*trigger) {
            set_why(why, "the %s cannot be priced", leg == 0 ? "stop" : "take-profit");
            continue;
        }
        if (exec_client_id(s->prefix, s->symbol, s->candle_ms, leg == 0 ? s->stop_leg : s->tp_leg,
                           id)) {
            set_why(why, "no client id");
            continue;
        }
        ex_algo_request *r = &reqs[ps->first + ps->n];
        *r = (ex_algo_request){.side = exit_side(s->dir),
                               .type = leg == 0 ? EX_STOP_MARKET : EX_TAKE_PROFIT_MARKET,
                               .reduce_only = 1};
        snprintf(r->symbol, sizeof r->symbol, "%s", s->symbol);
        snprintf(r->trigger_price, sizeof r->trigger_price, "%s", trigger);
        snprintf(r->quantity, sizeof r->quantity, "%s", s->qty);
        snprintf(r->client_id, sizeof r->client_id, "%s", id);
        ps->which[ps->n++] = leg;
    }
    return ps->n;
}

/* The outcome of one position once its legs are placed and settled: the
 * actions of each leg, then the close at market when the stop failed or
 * the take-profit has already passed. */
static exec_outcome protect_finish(const pl_env *env, const exec_protect_spec *s, protect_state *ps,
                                   const ex_algo_request *reqs, ex_algo_placed *placed,
                                   exec_report *out, dstr *actions) {
    for (size_t k = 0; k < ps->n; k++) {
        size_t i = ps->first + k;
        int leg = ps->which[k];
        const char *name = leg == 0 ? "stop" : "take_profit";
        if (placed[i].r.status == EX_OK) {
            if (leg == 0) {
                out->stop = placed[i].algo, out->stop_placed = 1, ps->stop_ok = 1;
            } else {
                out->tp = placed[i].algo, out->tp_placed = 1, ps->tp_ok = 1;
            }
            char detail[128];
            fmt_into(detail, sizeof detail, "%s %s at %s (%s)", reqs[i].quantity,
                     ex_algo_type_name(reqs[i].type), reqs[i].trigger_price, reqs[i].client_id);
            exec_action(actions, s->symbol, name, "placed", detail);
        } else {
            char *why = leg == 0 ? ps->stop_why : ps->tp_why;
            set_why(why, "%s (code %ld)", dstr_cstr(&placed[i].r.why), placed[i].r.e.code);
            if (leg == 1 && placed[i].r.status == EX_REJECTED && placed[i].r.e.code == -2021)
                ps->tp_passed = 1;
            exec_action(actions, s->symbol, name, "failed", why);
        }
    }
    if (!ps->stop_ok || ps->tp_passed) {
        char because[EXEC_REASON_LEN + 32];
        if (!ps->stop_ok) fmt_into(because, sizeof because, "no stop: %s", ps->stop_why);
        else fmt_into(because, sizeof because, "take-profit already passed: %s", ps->tp_why);
        if (exec_close_at_market(env, s, because, "emergency_close", out, actions)) {
            /* the legs left behind, and those that may exist unseen */
            const char *left[] = {out->stop_placed || ps->sent_unsettled[0] ? ps->stop_id : NULL,
                                  out->tp_placed || ps->sent_unsettled[1] ? ps->tp_id : NULL,
                                  s->keep_stop_id, s->keep_tp_id};
            cancel_legs(env, s->symbol, left, 4, actions);
            fmt_into(out->why, sizeof out->why, "%s", because);
            return EXEC_CLOSED;
        }
        if (ps->stop_ok) { /* the take-profit passed, the close failed: the stop still protects */
            fmt_into(out->why, sizeof out->why, "%s; the close at market failed", because);
            exec_event(LOG_ERROR, "exec.take_profit_missing", s->symbol, "%s", out->why);
            return EXEC_STOP_ONLY;
        }
        fmt_into(out->why, sizeof out->why, "%s; the close at market failed", because);
        exec_event(LOG_ERROR, "exec.unprotected", s->symbol,
                   "POSITION WITHOUT A STOP: %s; a person must close or protect it now", out->why);
        return EXEC_UNPROTECTED;
    }
    if (!ps->tp_ok) {
        fmt_into(out->why, sizeof out->why, "no take-profit: %s", ps->tp_why);
        exec_event(LOG_WARN, "exec.take_profit_missing", s->symbol,
                   "%s; the stop protects the position, the next run re-creates the take-profit",
                   out->why);
        return EXEC_STOP_ONLY;
    }
    return EXEC_PROTECTED;
}

/* Protects n positions: every leg of all of them in ONE algo batch, the
 * unknown outcomes settled by ONE query batch, then each position's
 * outcome (closes, when needed, one position after the other: the rare
 * path). outs[i]->outcome is set. */
static void protect_many(const pl_env *env, const exec_protect_spec *specs, size_t n,
                         exec_report *const *outs, dstr *actions) {
    if (!n) return;
    protect_state *ps = calloc(n, sizeof *ps);
    ex_algo_request *reqs = calloc(2 * n, sizeof *reqs);
    ex_algo_placed *placed = calloc(2 * n, sizeof *placed);
    ex_order_ref *refs = calloc(2 * n, sizeof *refs);
    ex_lookup *looked = calloc(2 * n, sizeof *looked);
    size_t *map = calloc(2 * n, sizeof *map), *owner = calloc(2 * n, sizeof *owner);
    if (!ps || !reqs || !placed || !refs || !looked || !map || !owner) abort();
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        ps[i].first = m;
        m += protect_prepare(&specs[i], &ps[i], reqs);
        for (size_t k = ps[i].first; k < m; k++) owner[k] = i;
    }
    if (m) ex_place_algo_orders(env->exchange, reqs, m, env->deadline_ms, placed);
    /* settle the unknown outcomes of every position with one query batch */
    size_t nq = 0;
    for (size_t k = 0; k < m; k++) {
        if (!maybe_landed(placed[k].r.status)) continue;
        refs[nq] = (ex_order_ref){.algo = 1};
        snprintf(refs[nq].symbol, sizeof refs[nq].symbol, "%s", reqs[k].symbol);
        snprintf(refs[nq].client_id, sizeof refs[nq].client_id, "%s", reqs[k].client_id);
        map[nq++] = k;
    }
    if (nq) ex_query(env->exchange, refs, nq, env->deadline_ms, looked);
    for (size_t q = 0; q < nq; q++) {
        ex_algo_placed *p = &placed[map[q]];
        protect_state *st = &ps[owner[map[q]]];
        if (looked[q].r.status == EX_OK && algo_alive(&looked[q].algo)) {
            ex_result_free(&p->r);
            p->r = (ex_result){0};
            p->algo = looked[q].algo;
        } else {
            st->sent_unsettled[st->which[map[q] - st->first]] = looked[q].r.status != EX_OK;
            dstr_printf(&p->r.why, "; the query of %s: %s", refs[q].client_id,
                        looked[q].r.status == EX_OK ? looked[q].algo.status_name
                                                    : dstr_cstr(&looked[q].r.why));
        }
        ex_lookup_free(&looked[q]);
    }
    for (size_t i = 0; i < n; i++)
        outs[i]->outcome = protect_finish(env, &specs[i], &ps[i], reqs, placed, outs[i], actions);
    for (size_t k = 0; k < m; k++) ex_algo_placed_free(&placed[k]);
    free(owner);
    free(map);
    free(looked);
    free(refs);
    free(placed);
    free(reqs);
    free(ps);
}

exec_outcome exec_protect(const pl_env *env, const exec_protect_spec *s, exec_report *out,
                          dstr *actions) {
    exec_report *outs[1] = {out};
    exec_outcome before = out->outcome;
    protect_many(env, s, 1, outs, actions);
    exec_outcome o = out->outcome;
    out->outcome = before; /* the caller's field: exec_protect answers by its return */
    return o;
}

/* ---- the brackets of several symbols, step by step together ------------------------------ */

/* The entry of plan p as a request; 0, or -1 (nothing to send, out says why). */
static int entry_request(const exec_plan *p, ex_order_request *rq, exec_report *out,
                         dstr *actions) {
    *rq = (ex_order_request){.side = entry_side(p->dir), .type = p->market ? EX_MARKET : EX_LIMIT};
    snprintf(rq->symbol, sizeof rq->symbol, "%s", p->symbol);
    snprintf(rq->quantity, sizeof rq->quantity, "%s", p->size.qty_text);
    if (!p->market) snprintf(rq->price, sizeof rq->price, "%s", p->size.entry_text);
    if ((p->dir != DIR_LONG && p->dir != DIR_SHORT) ||
        exec_client_id(p->prefix, p->symbol, p->candle_ms, EXEC_LEG_ENTRY, rq->client_id)) {
        set_why(out->why, "no entry: bad direction, symbol, candle time or ORDER_ID_PREFIX");
        exec_action(actions, p->symbol, "entry", "not_sent", out->why);
        out->outcome = EXEC_NO_ENTRY;
        return -1;
    }
    return 0;
}

/* Whether the entry's answer needs the one query: an unknown outcome, or a
 * MARKET answer that is not final. */
static int entry_unsettled(const exec_plan *p, const ex_placed *placed) {
    if (maybe_landed(placed->r.status)) return 1;
    return placed->r.status == EX_OK && placed->order.status == EX_ORDER_NEW && p->market;
}

/* The entry as it stands after its answer and, when it was asked, the one
 * query (l NULL: not asked). 1 when out->entry is known. */
static int entry_known(const exec_plan *p, const ex_order_request *rq, ex_placed *placed,
                       ex_lookup *l, exec_report *out, dstr *actions) {
    int known = placed->r.status == EX_OK;
    if (known) out->entry = placed->order;
    if (l) {
        if (l->r.status == EX_OK) {
            out->entry = l->order;
            known = 1;
        } else if (!known) {
            set_why(out->why, "entry outcome unknown (%s); the query of %s: %s",
                    dstr_cstr(&placed->r.why), rq->client_id, dstr_cstr(&l->r.why));
        }
    } else if (!known) {
        set_why(out->why, "entry refused: %s (code %ld)", dstr_cstr(&placed->r.why),
                placed->r.e.code);
        exec_action(actions, p->symbol, "entry", "refused", out->why);
        exec_event(LOG_WARN, "exec.entry_refused", p->symbol, "%s", out->why);
        out->outcome = EXEC_NO_ENTRY;
        return 0;
    }
    if (!known) {
        exec_action(actions, p->symbol, "entry", "unknown", out->why);
        exec_event(LOG_ERROR, "exec.entry_unknown", p->symbol,
                   "%s: not resent; the next run's reconcile decides from the position", out->why);
        out->outcome = EXEC_ENTRY_UNKNOWN;
    }
    return known;
}

/* The fill record (brackets.h) of a filled entry, written before any leg is
 * sent: a process killed from then on still leaves the fill and the legs'
 * triggers in the journal. */
static bracket_fill fill_of(const pl_env *env, const exec_plan *p, const char *client_id,
                            const exec_report *out, const sizing_legs *lg) {
    return (bracket_fill){.symbol = p->symbol,
                          .candle_ms = p->candle_ms,
                          .filled_ms = out->entry.update_time > 0 ? out->entry.update_time
                                                                  : clock_now(env->clock),
                          .dir = p->dir,
                          .client_id = client_id,
                          .order_id = out->entry.order_id,
                          .qty = out->qty,
                          .fill_price = out->fill_price,
                          .sl_trigger = lg ? lg->sl_text : NULL,
                          .tp_trigger = lg ? lg->tp_text : NULL,
                          .build = pl_build_version()};
}

/* The fill records of this run's fills, ONE batch; each said as an action.
 * A failure is said (action and journal.unwritten) but does not hold the
 * legs back: protection comes first. */
static void journal_fills(const pl_env *env, const bracket_fill *fills, size_t n, dstr *actions) {
    if (!env->journal || !n) return;
    journal_status *st = calloc(n, sizeof *st);
    if (!st) abort();
    bracket_fills_put(env->journal, fills, n, env->deadline_ms, st, NULL);
    for (size_t i = 0; i < n; i++) {
        const bracket_fill *f = &fills[i];
        char detail[EXEC_REASON_LEN];
        fmt_into(detail, sizeof detail, "%s at %.10g; stop at %s, take-profit at %s", f->qty,
                 f->fill_price, f->sl_trigger ? f->sl_trigger : "(none)",
                 f->tp_trigger ? f->tp_trigger : "(none)");
        exec_action(actions, f->symbol, "journal_fill",
                    st[i] == JOURNAL_OK ? "journaled" : journal_status_name(st[i]), detail);
    }
    free(st);
}

/* What an entry known to the client came to: 1 when something filled (the
 * legs follow), else 0 with out's outcome (resting, not filled, unknown). */
static int entry_filled(const exec_plan *p, const ex_order_request *rq, exec_report *out,
                        dstr *actions) {
    ex_order *o = &out->entry;
    if (!(o->executed_qty > 0)) {
        char detail[EXEC_REASON_LEN];
        if (o->status == EX_ORDER_NEW && !p->market) {
            fmt_into(detail, sizeof detail, "LIMIT %s %s at %s rests (%s)", ex_side_name(rq->side),
                     rq->quantity, rq->price, rq->client_id);
            exec_action(actions, p->symbol, "entry", "resting", detail);
            exec_event(LOG_INFO, "exec.entry_resting", p->symbol, "%s", detail);
            out->outcome = EXEC_ENTRY_RESTING;
            return 0;
        }
        if (o->status == EX_ORDER_CANCELED || o->status == EX_ORDER_EXPIRED ||
            o->status == EX_ORDER_REJECTED) {
            set_why(out->why, "entry %s without a fill", o->status_name);
            exec_action(actions, p->symbol, "entry", "not_filled", out->why);
            exec_event(LOG_WARN, "exec.entry_not_filled", p->symbol, "%s", out->why);
            out->outcome = EXEC_NO_ENTRY;
            return 0;
        }
        set_why(out->why, "entry %s, nothing filled yet: left to the next reconcile",
                o->status_name);
        exec_action(actions, p->symbol, "entry", "unknown", out->why);
        exec_event(LOG_ERROR, "exec.entry_unknown", p->symbol, "%s", out->why);
        out->outcome = EXEC_ENTRY_UNKNOWN;
        return 0;
    }
    out->filled = 1;
    out->fill_price = o->avg_price > 0 ? o->avg_price : o->price;
    snprintf(out->qty, sizeof out->qty, "%s", o->executed_qty_str);
    char detail[EXEC_REASON_LEN];
    fmt_into(detail, sizeof detail, "%s %s %s filled at %.10g (%s)", o->type,
             ex_side_name(rq->side), out->qty, out->fill_price, rq->client_id);
    exec_action(actions, p->symbol, "entry", "filled", detail);
    exec_event(LOG_INFO, "exec.entry_filled", p->symbol, "%s", detail);
    return 1;
}

void exec_brackets(const pl_env *env, const exec_plan *plans, size_t n, exec_report *outs,
                   dstr *actions) {
    if (!n) return;
    ex_order_request *rq = calloc(n, sizeof *rq), *sent = calloc(n, sizeof *sent);
    ex_placed *placed = calloc(n, sizeof *placed), *answers = calloc(n, sizeof *answers);
    ex_order_ref *refs = calloc(n, sizeof *refs);
    ex_lookup *looked = calloc(n, sizeof *looked);
    ex_lookup **lookup_of = calloc(n, sizeof *lookup_of);
    size_t *idx = calloc(n, sizeof *idx), *qidx = calloc(n, sizeof *qidx);
    int *going = calloc(n, sizeof *going);
    exec_protect_spec *specs = calloc(n, sizeof *specs);
    exec_report **protected_outs = calloc(n, sizeof *protected_outs);
    sizing_legs *lg = calloc(n, sizeof *lg);
    bracket_fill *fills = calloc(n, sizeof *fills);
    if (!rq || !sent || !placed || !answers || !refs || !looked || !lookup_of || !idx || !qidx ||
        !going || !specs || !protected_outs || !lg || !fills)
        abort();
    /* 1. the entries, one batch */
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&outs[i], 0, sizeof outs[i]);
        if (entry_request(&plans[i], &rq[i], &outs[i], actions)) continue;
        sent[ns] = rq[i];
        idx[ns++] = i;
    }
    if (ns) ex_place_orders(env->exchange, sent, ns, env->deadline_ms, answers);
    for (size_t k = 0; k < ns; k++) placed[idx[k]] = answers[k]; /* moved */
    /* 2. the unknown outcomes settled: ONE query each, in one batch; never resent */
    size_t nq = 0;
    for (size_t k = 0; k < ns; k++) {
        size_t i = idx[k];
        if (!entry_unsettled(&plans[i], &placed[i])) continue;
        refs[nq] = (ex_order_ref){.algo = 0};
        snprintf(refs[nq].symbol, sizeof refs[nq].symbol, "%s", rq[i].symbol);
        snprintf(refs[nq].client_id, sizeof refs[nq].client_id, "%s", rq[i].client_id);
        qidx[nq++] = i;
    }
    if (nq) ex_query(env->exchange, refs, nq, env->deadline_ms, looked);
    for (size_t q = 0; q < nq; q++) lookup_of[qidx[q]] = &looked[q];
    for (size_t k = 0; k < ns; k++) {
        size_t i = idx[k];
        going[i] = entry_known(&plans[i], &rq[i], &placed[i], lookup_of[i], &outs[i], actions);
    }
    for (size_t q = 0; q < nq; q++) ex_lookup_free(&looked[q]);
    /* 3. a LIMIT entry partly filled: the rest cancelled (one batch), what filled is protected */
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        const ex_order *o = &outs[i].entry;
        if (!going[i] || plans[i].market || !(o->executed_qty > 0) ||
            o->status != EX_ORDER_PARTIALLY_FILLED)
            continue;
        refs[nc] = (ex_order_ref){.algo = 0};
        snprintf(refs[nc].symbol, sizeof refs[nc].symbol, "%s", rq[i].symbol);
        snprintf(refs[nc].client_id, sizeof refs[nc].client_id, "%s", rq[i].client_id);
        qidx[nc++] = i;
    }
    memset(looked, 0, n * sizeof *looked);
    if (nc) ex_cancel(env->exchange, refs, nc, env->deadline_ms, looked);
    for (size_t c = 0; c < nc; c++) {
        size_t i = qidx[c];
        ex_order *o = &outs[i].entry;
        if (looked[c].r.status == EX_OK && looked[c].order.executed_qty >= o->executed_qty)
            *o = looked[c].order;
        exec_action(actions, plans[i].symbol, "cancel_rest", ex_status_name(looked[c].r.status),
                    rq[i].client_id);
        ex_lookup_free(&looked[c]);
    }
    /* 4. the legs of every filled entry, one batch (protect_many) */
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        if (!going[i] || !entry_filled(&plans[i], &rq[i], &outs[i], actions)) continue;
        const exec_plan *p = &plans[i];
        exec_report *out = &outs[i];
        sizing_status ls = sizing_legs_from_fill(
            p->dir, out->fill_price, out->entry.executed_qty, fabs(p->size.entry - p->size.sl),
            fabs(p->size.tp - p->size.entry), p->rules, &lg[i]);
        if (ls != SIZING_OK) exec_action(actions, p->symbol, "legs", "unpriceable", lg[i].reason);
        fills[np] = fill_of(env, p, rq[i].client_id, out, ls == SIZING_OK ? &lg[i] : NULL);
        specs[np] = (exec_protect_spec){.symbol = p->symbol,
                                        .dir = p->dir,
                                        .qty = out->qty,
                                        .sl_text = ls == SIZING_OK ? lg[i].sl_text : NULL,
                                        .tp_text = ls == SIZING_OK ? lg[i].tp_text : NULL,
                                        .need_stop = 1,
                                        .need_tp = 1,
                                        .candle_ms = p->candle_ms,
                                        .prefix = p->prefix,
                                        .stop_leg = EXEC_LEG_STOP,
                                        .tp_leg = EXEC_LEG_TP,
                                        .close_leg = EXEC_LEG_CLOSE};
        protected_outs[np++] = out;
    }
    journal_fills(env, fills, np, actions);
    protect_many(env, specs, np, protected_outs, actions);
    for (size_t i = 0; i < n; i++) ex_placed_free(&placed[i]);
    free(fills);
    free(lg);
    free(protected_outs);
    free(specs);
    free(going);
    free(qidx);
    free(idx);
    free(lookup_of);
    free(looked);
    free(refs);
    free(answers);
    free(placed);
    free(sent);
    free(rq);
}

exec_outcome exec_bracket(const pl_env *env, const exec_plan *p, exec_report *out, dstr *actions) {
    exec_brackets(env, p, 1, out, actions);
    return out->outcome;
}
