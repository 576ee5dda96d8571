/* run_alerts_of on plain data: a run's actions and failures in, its alerts
 * out. Each case is a row: the actions (as exec_action writes them), the
 * run's failures, ALERTS, and the alerts wanted (type, event prefix, a text
 * each must hold). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pipelines/run_alerts.h"

#define T0 1767225600000LL /* 2026-01-01 00:00:00 UTC */

typedef struct want {
    const char *type, *event_prefix, *text;
} want;

typedef struct alert_case {
    const char *name;
    const char *actions;  /* the run's actions, comma separated */
    const char *alerts;   /* ALERTS; NULL: all */
    int cooldown_minutes; /* COOLDOWN_MINUTES */
    size_t unwritten;     /* journal records lost */
    int read_failed;      /* the account read failed */
    int market_failed;    /* BTCUSDT's market data failed */
    const char *fallback; /* BTCUSDT's predictor replaced, why */
    size_t n_want;
    want wants[4];
} alert_case;

#define ENTRY_FILLED                                                                           \
    "{\"symbol\":\"BTCUSDT\",\"action\":\"entry\",\"outcome\":\"filled\",\"detail\":\"MARKET " \
    "BUY 0.031 filled at 88639.3 (atr_E)\"}"
#define STOP_PLACED                                                                          \
    "{\"symbol\":\"BTCUSDT\",\"action\":\"stop\",\"outcome\":\"placed\",\"detail\":\"0.031 " \
    "STOP_MARKET at 88188.0 (atr_S)\"}"
#define TP_FILL                                                                       \
    "{\"symbol\":\"BTCUSDT\",\"action\":\"journal_trade\",\"outcome\":\"journaled\"," \
    "\"detail\":\"take_profit SELL 0.031 at 89630, realised PnL 30.71, fee 1.38\"}"
#define STOP_FILL                                                                     \
    "{\"symbol\":\"ETHUSDT\",\"action\":\"journal_trade\",\"outcome\":\"journaled\"," \
    "\"detail\":\"stop BUY 1.2 at 3050, realised PnL -19.8, fee 1.8\"}"
#define ENTRY_TRADE                                                                   \
    "{\"symbol\":\"BTCUSDT\",\"action\":\"journal_trade\",\"outcome\":\"journaled\"," \
    "\"detail\":\"entry BUY 0.031 at 88639.3\"}"
#define FOREIGN                                                                             \
    "{\"symbol\":\"SOLUSDT\",\"action\":\"foreign\",\"outcome\":\"left_alone\",\"detail\":" \
    "\"a position this bot did not make\"}"

static const alert_case cases[] = {
    {"an entry and its legs are one alert",
     ENTRY_FILLED "," STOP_PLACED,
     NULL,
     0,
     0,
     0,
     0,
     NULL,
     1,
     {{"entry", "BTCUSDT.entry.", "- stop placed: 0.031 STOP_MARKET at 88188.0"}}},
    {"a leg placed without an entry is reconcile's",
     STOP_PLACED,
     NULL,
     0,
     0,
     0,
     0,
     NULL,
     1,
     {{"reconcile", "BTCUSDT.reconcile.", "- stop placed"}}},
    {"a take-profit's fill is an exit with its PnL; the entry's trade record is not",
     ENTRY_TRADE "," TP_FILL,
     NULL,
     0,
     0,
     0,
     0,
     NULL,
     1,
     {{"exit", "BTCUSDT.exit.", "- take_profit SELL 0.031 at 89630, realised PnL 30.71"}}},
    {"a stop-out is an exit and, with a cooldown, a risk alert",
     STOP_FILL,
     NULL,
     30,
     0,
     0,
     0,
     NULL,
     2,
     {{"exit", "ETHUSDT.exit.", "realised PnL -19.8"},
      {"risk", "ETHUSDT.risk.", "cooldown started"}}},
    {"no cooldown configured: no risk alert",
     STOP_FILL,
     NULL,
     0,
     0,
     0,
     0,
     NULL,
     1,
     {{"exit", "ETHUSDT.exit.", "stop BUY"}}},
    {"a foreign position alerts once a day",
     FOREIGN,
     NULL,
     0,
     0,
     0,
     0,
     NULL,
     1,
     {{"reconcile", "SOLUSDT.foreign.20260101", "did not make"}}},
    {"dry-run reports raise nothing",
     "{\"symbol\":\"BTCUSDT\",\"action\":\"entry\",\"outcome\":\"would_enter\"},"
     "{\"symbol\":\"BTCUSDT\",\"action\":\"cancel\",\"outcome\":\"would_cancel\"}",
     NULL,
     0,
     0,
     0,
     0,
     NULL,
     0,
     {{0}}},
    {"a type switched off is not raised",
     ENTRY_FILLED "," TP_FILL,
     "exit",
     0,
     0,
     0,
     0,
     NULL,
     1,
     {{"exit", "BTCUSDT.exit.", "take_profit"}}},
    {"the kill switch",
     "{\"symbol\":\"\",\"action\":\"kill_switch\",\"outcome\":\"tripped\","
     "\"detail\":\"drawdown 12.00%\"}",
     NULL,
     0,
     0,
     0,
     0,
     NULL,
     1,
     {{"risk", "account.risk.", "kill_switch tripped: drawdown"}}},
    {"lost records, a failed account read, market data and the predictor",
     "",
     NULL,
     0,
     3,
     1,
     1,
     NULL,
     3,
     {{"journal", "journal.", "3 record(s)"},
      {"upstream", "binance.2026010100", "BTCUSDT market data failed"},
      {"upstream", "binance_account.2026010100", "could not be read"}}},
    {"the predictor replaced by its fallback",
     "",
     NULL,
     0,
     0,
     0,
     0,
     "gemini: timeout",
     1,
     {{"upstream", "predictor.2026010100", "BTCUSDT prediction failed: gemini: timeout"}}},
};

static void run_case(const alert_case *k) {
    cfg c = {.cooldown_minutes = k->cooldown_minutes};
    assert_int_equal(cfg_parse_alerts(k->alerts ? k->alerts : "all", &c.alert_types), 0);
    trader_symbol sym = {0};
    snprintf(sym.sig.symbol, sizeof sym.sig.symbol, "BTCUSDT");
    sym.sig.data_status = k->market_failed ? EX_UNAVAILABLE : EX_OK;
    if (k->fallback) snprintf(sym.sig.fallback, sizeof sym.sig.fallback, "%s", k->fallback);
    trader_result r = {.execute = 1,
                       .started_ms = T0,
                       .sym = &sym,
                       .n = 1,
                       .unwritten = k->unwritten,
                       .read_failed = k->read_failed};
    snprintf(r.run_id, sizeof r.run_id, "run-1");
    dstr_puts(&r.actions, k->actions);
    run_alert_list l;
    run_alerts_of(&c, &r, &l);
    if (l.n != k->n_want) fail_msg("%s: %zu alerts, want %zu", k->name, l.n, k->n_want);
    for (size_t i = 0; i < k->n_want; i++) {
        const want *w = &k->wants[i];
        const run_alert *a = &l.items[i];
        if (strcmp(cfg_alert_type_name(a->type), w->type) ||
            strncmp(a->event, w->event_prefix, strlen(w->event_prefix)) ||
            !strstr(dstr_cstr(&a->text), w->text))
            fail_msg("%s: alert %zu is %s %s:\n%s\nwant %s %s* holding %s", k->name, i,
                     cfg_alert_type_name(a->type), a->event, dstr_cstr(&a->text), w->type,
                     w->event_prefix, w->text);
        assert_non_null(strstr(dstr_cstr(&a->text), "run run-1 at 2026-01-01 00:00:00 UTC"));
    }
    run_alerts_free(&l);
    dstr_free(&r.actions);
}

static void test_cases(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) run_case(&cases[i]);
}

/* The same run raises the same events: a run delivered twice is one alert. */
static void test_events_are_stable(void **state) {
    (void)state;
    cfg c = {0};
    cfg_parse_alerts("all", &c.alert_types);
    trader_result r = {.execute = 1, .started_ms = T0};
    snprintf(r.run_id, sizeof r.run_id, "019a62fb-1192-45d8-a649-c78a2fca56ae");
    dstr_puts(&r.actions, ENTRY_FILLED);
    run_alert_list a, b;
    run_alerts_of(&c, &r, &a);
    r.started_ms += 5; /* the retry starts later */
    run_alerts_of(&c, &r, &b);
    assert_int_equal(a.n, 1);
    assert_int_equal(b.n, 1);
    assert_string_equal(a.items[0].event, b.items[0].event);
    snprintf(r.run_id, sizeof r.run_id, "another-run");
    run_alert_list other;
    run_alerts_of(&c, &r, &other);
    assert_string_not_equal(a.items[0].event, other.items[0].event);
    run_alerts_free(&a);
    run_alerts_free(&b);
    run_alerts_free(&other);
    dstr_free(&r.actions);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_events_are_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
