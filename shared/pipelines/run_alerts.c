/* run_alerts: a trader run's alerts, from its actions by a table (see
 * run_alerts.h). */
#include "pipelines/run_alerts.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/clock.h"
#include "platform/log.h"

/* Which actions alert, and as what; every row that matches an action
 * raises (a stop-out is an exit and a cooldown). outcome NULL: any.
 * detail_prefix: the detail must start with it (NULL: any). scope DAY: one
 * alert per symbol and UTC day (a state every run reports again, not an
 * event). after_entry: only when the symbol's entry filled this run, and
 * then no later row (else the later row with the same action applies: a
 * leg re-created by reconcile). */
typedef enum { SCOPE_RUN, SCOPE_DAY } alert_scope;

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)

typedef struct alert_rule {
    const char *action, *outcome, *detail_prefix;
    const char *label; /* the line's words before the detail; NULL: "action outcome" */
    cfg_alert_type type;
    alert_scope scope;
    int after_entry;
} alert_rule;

static const alert_rule rules[] = {
    {"entry", "filled", NULL, NULL, CFG_ALERT_ENTRY, SCOPE_RUN, 0},
    {"entry", "resting", NULL, NULL, CFG_ALERT_ENTRY, SCOPE_RUN, 0},
    {"entry", "refused", NULL, NULL, CFG_ALERT_ENTRY, SCOPE_RUN, 0},
    {"entry", "unknown", NULL, NULL, CFG_ALERT_ENTRY, SCOPE_RUN, 0},
    {"entry", "not_filled", NULL, NULL, CFG_ALERT_ENTRY, SCOPE_RUN, 0},
    {"stop", NULL, NULL, NULL, CFG_ALERT_ENTRY, SCOPE_RUN, 1},
    {"take_profit", NULL, NULL, NULL, CFG_ALERT_ENTRY, SCOPE_RUN, 1},
    {"stop", NULL, NULL, NULL, CFG_ALERT_RECONCILE, SCOPE_RUN, 0},
    {"take_profit", NULL, NULL, NULL, CFG_ALERT_RECONCILE, SCOPE_RUN, 0},
    {"cancel_rest", NULL, NULL, NULL, CFG_ALERT_ENTRY, SCOPE_RUN, 0},
    {"legs", "unpriceable", NULL, NULL, CFG_ALERT_ENTRY, SCOPE_RUN, 0},
    {"journal_trade", "journaled", "stop ", "", CFG_ALERT_EXIT, SCOPE_RUN, 0},
    {"journal_trade", "journaled", "take_profit ", "", CFG_ALERT_EXIT, SCOPE_RUN, 0},
    {"journal_trade", "journaled", "emergency_close ", "", CFG_ALERT_EXIT, SCOPE_RUN, 0},
    {"journal_trade", "journaled", "reconcile_close ", "", CFG_ALERT_EXIT, SCOPE_RUN, 0},
    {"journal_trade", "journaled", "stop ", "", CFG_ALERT_RISK, SCOPE_RUN, 0}, /* the cooldown */
    {"emergency_close", NULL, NULL, NULL, CFG_ALERT_EMERGENCY, SCOPE_RUN, 0},
    {"close", "failed", NULL, NULL, CFG_ALERT_EMERGENCY, SCOPE_RUN, 0},
    {"cancel", "cancelled", NULL, NULL, CFG_ALERT_RECONCILE, SCOPE_RUN, 0},
    {"cancel", "failed", NULL, NULL, CFG_ALERT_RECONCILE, SCOPE_RUN, 0},
    {"cancel_leg", NULL, NULL, NULL, CFG_ALERT_RECONCILE, SCOPE_RUN, 0},
    {"position", "missing_leg", NULL, NULL, CFG_ALERT_RECONCILE, SCOPE_RUN, 0},
    {"recreate_legs", NULL, NULL, NULL, CFG_ALERT_RECONCILE, SCOPE_RUN, 0},
    {"journal_fill", "recovered", NULL, NULL, CFG_ALERT_RECONCILE, SCOPE_RUN, 0},
    {"foreign", "left_alone", NULL, NULL, CFG_ALERT_RECONCILE, SCOPE_DAY, 0},
    {"kill_switch", "tripped", NULL, NULL, CFG_ALERT_RISK, SCOPE_RUN, 0},
};

static const char *const titles[CFG_ALERT_N] = {
    [CFG_ALERT_ENTRY] = "Entry",
    [CFG_ALERT_EXIT] = "Position closed",
    [CFG_ALERT_EMERGENCY] = "EMERGENCY CLOSE",
    [CFG_ALERT_RECONCILE] = "Reconcile",
    [CFG_ALERT_RISK] = "Risk",
    [CFG_ALERT_JOURNAL] = "Journal records lost",
    [CFG_ALERT_UPSTREAM] = "Upstream failing",
    [CFG_ALERT_CONFIG] = "Configuration error",
    [CFG_ALERT_ALARM] = "Alarm",
};

static uint64_t fnv1a(const char *s) {
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct tm utc(int64_t ms) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm;
}

/* The alert of (type, event), created with its first line "<title> <subject>". */
static run_alert *alert_for(run_alert_list *l, cfg_alert_type type, const char *event,
                            int64_t at_ms, const char *subject, const trader_result *r) {
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].type == type && strcmp(l->items[i].event, event) == 0) return &l->items[i];
    if (l->n == RUN_ALERTS_MAX) return &l->items[RUN_ALERTS_MAX - 1]; /* folded into the last */
    run_alert *a = &l->items[l->n++];
    *a = (run_alert){.type = type, .at_ms = at_ms};
    snprintf(a->event, sizeof a->event, "%s", event);
    char when[32];
    struct tm tm = utc(r->started_ms);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    dstr_printf(&a->text, "%s%s%s%s%s\nrun %s at %s", r->paper ? "[PAPER] " : "", titles[type],
                subject[0] ? ": " : "", subject, r->execute ? "" : " (dry run)", r->run_id, when);
    return a;
}

static void line(run_alert *a, const char *label, const char *action, const char *outcome,
                 const char *detail) {
    dstr_puts(&a->text, "\n- ");
    if (label) dstr_puts(&a->text, label);
    else dstr_printf(&a->text, "%s %s", action, outcome);
    if (detail && *detail) dstr_printf(&a->text, "%s%s", label && !*label ? "" : ": ", detail);
}

/* 1 when the symbol's entry filled this run: its legs are the bracket's. */
static int entry_filled(const cJSON *actions, const char *symbol) {
    const cJSON *o;
    cJSON_ArrayForEach(o, actions) {
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "symbol"));
        const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "action"));
        const char *r = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "outcome"));
        if (s && a && r && !strcmp(s, symbol) && !strcmp(a, "entry") && !strcmp(r, "filled"))
            return 1;
    }
    return 0;
}

static const alert_rule *rule_of(const char *action, const char *outcome, const char *detail,
                                 int entry, size_t from) {
    for (size_t i = from; i < sizeof rules / sizeof *rules; i++) {
        const alert_rule *u = &rules[i];
        if (strcmp(u->action, action) || (u->outcome && strcmp(u->outcome, outcome))) continue;
        if (u->detail_prefix && strncmp(detail, u->detail_prefix, strlen(u->detail_prefix)))
            continue;
        if (u->after_entry && !entry) continue;
        return u;
    }
    return NULL;
}

static void from_actions(const cfg *c, const trader_result *r, run_alert_list *out) {
    dstr json = {0};
    dstr_putc(&json, '[');
    dstr_append(&json, r->actions.ptr, r->actions.len);
    dstr_putc(&json, ']');
    cJSON *list = cJSON_ParseWithLength(json.ptr, json.len);
    dstr_free(&json);
    char run[17], day[16];
    snprintf(run, sizeof run, "%016llx", (unsigned long long)fnv1a(r->run_id));
    struct tm tm = utc(r->started_ms);
    strftime(day, sizeof day, "%Y%m%d", &tm);
    const cJSON *o;
    cJSON_ArrayForEach(o, list) {
        const char *sym = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "symbol"));
        const char *act = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "action"));
        const char *res = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "outcome"));
        const char *det = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "detail"));
        if (!sym || !act || !res) continue;
        if (!det) det = "";
        int entry = entry_filled(list, sym);
        for (size_t from = 0;;) {
            const alert_rule *u = rule_of(act, res, det, entry, from);
            if (!u) break;
            from = (size_t)(u - rules) + 1;
            if (u->after_entry) from = sizeof rules / sizeof *rules; /* one row per action */
            if (!cfg_alert_on(c, u->type)) continue;
            int cooldown = u->type == CFG_ALERT_RISK && strcmp(act, "journal_trade") == 0;
            if (cooldown && c->cooldown_minutes <= 0) continue;
            char event[JOURNAL_OUTBOX_EVENT_MAX + 1];
            const char *who = sym[0] ? sym : "account";
            if (u->scope == SCOPE_DAY) snprintf(event, sizeof event, "%s.%s.%s", who, act, day);
            else snprintf(event, sizeof event, "%s.%s.%s", who, cfg_alert_type_name(u->type), run);
            int64_t at =
                u->scope == SCOPE_DAY ? r->started_ms - r->started_ms % DAY_MS : r->started_ms;
            run_alert *a = alert_for(out, u->type, event, at, sym, r);
            if (cooldown)
                line(a, NULL, "cooldown", "started",
                     "a stop-out: no new entry on this symbol for COOLDOWN_MINUTES");
            else line(a, u->label, act, res, det);
        }
    }
    cJSON_Delete(list);
}

/* Upstream failures of the run: one alert per upstream and UTC hour. */
static void from_failures(const cfg *c, const trader_result *r, run_alert_list *out) {
    if (cfg_alert_on(c, CFG_ALERT_JOURNAL) && r->unwritten) {
        char event[JOURNAL_OUTBOX_EVENT_MAX + 1], detail[96];
        snprintf(event, sizeof event, "journal.%016llx", (unsigned long long)fnv1a(r->run_id));
        snprintf(detail, sizeof detail,
                 "%zu record(s) could not be written (the log has each one whole)", r->unwritten);
        line(alert_for(out, CFG_ALERT_JOURNAL, event, r->started_ms, "", r), NULL, "journal",
             "unwritten", detail);
    }
    if (!cfg_alert_on(c, CFG_ALERT_UPSTREAM)) return;
    char hour[16];
    int64_t hour_ms = r->started_ms - r->started_ms % HOUR_MS;
    struct tm tm = utc(r->started_ms);
    strftime(hour, sizeof hour, "%Y%m%d%H", &tm);
    for (size_t i = 0; i < r->n; i++) {
        const signal_result *s = &r->sym[i].sig;
        const char *up = NULL, *what = NULL, *why = "";
        if (s->data_status != EX_OK) {
            up = "binance";
            what = "market data";
            why = ex_status_name(s->data_status);
        } else if (s->fallback[0]) {
            up = "predictor";
            what = "prediction";
            why = s->fallback;
        }
        if (!up) continue;
        char event[JOURNAL_OUTBOX_EVENT_MAX + 1], subject[64];
        snprintf(event, sizeof event, "%s.%s", up, hour);
        snprintf(subject, sizeof subject, "%s", up);
        run_alert *a = alert_for(out, CFG_ALERT_UPSTREAM, event, hour_ms, subject, r);
        dstr_printf(&a->text, "\n- %s %s failed: %s", s->symbol, what, why);
    }
    if (r->read_failed) {
        char event[JOURNAL_OUTBOX_EVENT_MAX + 1];
        snprintf(event, sizeof event, "binance_account.%s", hour);
        line(alert_for(out, CFG_ALERT_UPSTREAM, event, hour_ms, "binance account", r), NULL,
             "account", "unread",
             "positions, orders or balances could not be read: no entry this run");
    }
}

void run_alerts_of(const cfg *c, const trader_result *r, run_alert_list *out) {
    out->n = 0;
    from_actions(c, r, out);
    from_failures(c, r, out);
}

void run_alerts_free(run_alert_list *l) {
    for (size_t i = 0; i < l->n; i++) dstr_free(&l->items[i].text);
    l->n = 0;
}

size_t run_alerts_raise(const pl_env *env, const trader_result *r, int64_t deadline_ms,
                        alerts_report *rep) {
    if (rep) memset(rep, 0, sizeof *rep);
    if (!env->telegram || !env->journal) return 0;
    int64_t now = clock_now(env->clock);
    int64_t until = now + env->cfg->alert_budget_ms;
    if (deadline_ms > 0 && until > deadline_ms) until = deadline_ms;
    run_alert_list *l = calloc(1, sizeof *l);
    if (!l) abort();
    run_alerts_of(env->cfg, r, l);
    journal_outbox put[RUN_ALERTS_MAX];
    journal_status st[RUN_ALERTS_MAX];
    for (size_t i = 0; i < l->n; i++)
        put[i] = (journal_outbox){.type = cfg_alert_type_name(l->items[i].type),
                                  .event = l->items[i].event,
                                  .at_ms = l->items[i].at_ms,
                                  .created_ms = now,
                                  .text = dstr_cstr(&l->items[i].text),
                                  .run_id = r->run_id};
    size_t written = 0, existing = 0;
    if (l->n) journal_outbox_put_batch(env->journal, put, l->n, until, st, NULL);
    for (size_t i = 0; i < l->n; i++) {
        written += st[i] == JOURNAL_OK;
        existing += st[i] == JOURNAL_EXISTS;
    }
    log_rec *lr = log_begin(written + existing < l->n ? LOG_WARN : LOG_INFO, "alerts.raised");
    log_int(lr, "alerts", (long long)l->n);
    log_int(lr, "written", (long long)written);
    log_int(lr, "existing", (long long)existing);
    log_int(lr, "unwritten", (long long)(l->n - written - existing));
    log_end(lr);
    size_t n = l->n;
    run_alerts_free(l);
    free(l);
    alerts_opts o = {.now_ms = now, .deadline_ms = until};
    alerts_report local;
    dstr err = {0};
    if (alerts_deliver(env->journal, env->http, env->telegram, &o, rep ? rep : &local, &err))
        log_msg(LOG_WARN, "alerts.undelivered", "%s", dstr_cstr(&err));
    dstr_free(&err);
    return n;
}

/* Puts alert a in the outbox and delivers the outbox; without a journal,
 * sends a's text directly (the alert cannot wait for a store that does not
 * open). */
static void raise_one(const pl_env *env, const journal_outbox *a) {
    if (!env->journal) {
        telegram_msg m = {.text = a->text};
        telegram_send_batch(env->http, env->telegram, &m, 1, env->deadline_ms);
        return;
    }
    journal_outbox_put(env->journal, a, NULL, NULL);
    alerts_opts o = {.now_ms = clock_now(env->clock), .deadline_ms = env->deadline_ms};
    alerts_report rep;
    dstr err = {0};
    if (alerts_deliver(env->journal, env->http, env->telegram, &o, &rep, &err))
        log_msg(LOG_WARN, "alerts.undelivered", "%s", dstr_cstr(&err));
    dstr_free(&err);
}

void run_alerts_config_error(const cfg *c, const char *function, const char *error) {
    if (!c->telegram_bot_token || !c->telegram_chat_id ||
        !cfg_valid_telegram_token(c->telegram_bot_token) ||
        !cfg_valid_telegram_chat_id(c->telegram_chat_id) || !cfg_alert_on(c, CFG_ALERT_CONFIG) ||
        !c->telegram_base_url)
        return;
    int64_t now = clock_wall_ms();
    pl_resources *res = pl_resources_new(c);
    pl_env env;
    pl_env_make(res, now + (c->alert_budget_ms > 0 ? c->alert_budget_ms : 3000), &env);
    if (env.telegram) {
        dstr text = {0};
        dstr_printf(&text, "%s: %s cannot start\n%s", titles[CFG_ALERT_CONFIG], function, error);
        char event[JOURNAL_OUTBOX_EVENT_MAX + 1];
        snprintf(event, sizeof event, "%.24s.%016llx", function,
                 (unsigned long long)fnv1a(dstr_cstr(&text)));
        journal_outbox a = {.type = cfg_alert_type_name(CFG_ALERT_CONFIG),
                            .event = event,
                            .at_ms = now - now % DAY_MS, /* a cold start a minute: once a day */
                            .created_ms = now,
                            .text = dstr_cstr(&text)};
        raise_one(&env, &a);
        dstr_free(&text);
    }
    pl_resources_free(res);
}
