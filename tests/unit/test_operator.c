/* operator pipeline: updates as a table (who may command, what is ignored,
 * the answer of each command), a replayed update acted on once, pause and
 * resume against the kill switch, /flatten confirm on the in-memory
 * exchange (this bot's position closed and its legs cancelled, a manual
 * order and a foreign position untouched, paused), a journal that cannot
 * record the update (nothing done), and the token never in a log line.
 * Telegram is the scripted mini_server; the journal a fresh file store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jfix.h"
#include "platform/log.h"
#include "mem_exchange.h"
#include "pipelines/execute.h"
#include "pipelines/operator.h"
#include "services/journal_control.h"
#include "services/journal_risk.h"
#include "tgfix.h"

#define TOKEN "4242:SeCrEt-operator-test-token"
#define CANDLE 1767225600000LL

typedef struct fixture {
    tmpstore t;
    tgfix tg;
    mem_exchange m;
    cfg c;
    pl_env env;
} fixture;

static const ms_step telegram_ok = {.body = "{\"ok\":true,\"result\":{\"message_id\":7}}",
                                    .repeat = 1};

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    log_init("test");
    if (tmpstore_open(&f->t, 0)) return -1;
    if (tgfix_open(&f->tg, TOKEN, "-1001", 0)) return -1;
    ms_script(f->tg.srv, &telegram_ok, 1);
    mx_init(&f->m);
    mx_add_symbol(&f->m, "BTCUSDT", 100);
    f->c = (cfg){.order_id_prefix = "atr",
                 .symbols = {"BTCUSDT"},
                 .n_symbols = 1,
                 .execute_trades = 1,
                 .binance_api_key = "k",
                 .binance_api_secret = "s",
                 .telegram_chat_id = "-1001",
                 .telegram_allowed_users = {42},
                 .n_telegram_allowed_users = 1,
                 .alert_budget_ms = 1000,
                 .alert_types = CFG_ALERTS_ALL};
    f->env = (pl_env){.cfg = &f->c,
                      .exchange = &f->m.ex,
                      .journal = f->t.s,
                      .http = f->tg.http,
                      .telegram = &f->tg.t,
                      .deadline_ms = jfix_now_ms() + 5000};
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    int leaked = tgfix_close(&f->tg, "SeCrEt-operator");
    tmpstore_close(&f->t);
    free(f);
    assert_int_equal(leaked, 0);
    return 0;
}

/* An update of user from in chat (type), text a command when it starts with '/'. */
static void update(dstr *out, long long id, long long chat, const char *type, long long from,
                   const char *text) {
    size_t cmd = strcspn(text, " ");
    dstr_clear(out);
    dstr_printf(out,
                "{\"update_id\":%lld,\"message\":{\"message_id\":1,\"from\":{\"id\":%lld},"
                "\"chat\":{\"id\":%lld,\"type\":\"%s\"},\"text\":",
                id, from, chat, type);
    dstr_json_str(out, text);
    if (text[0] == '/')
        dstr_printf(out, ",\"entities\":[{\"offset\":0,\"length\":%zu,\"type\":\"bot_command\"}]",
                    cmd);
    dstr_puts(out, "}}");
}

static operator_outcome run(fixture *f, long long id, long long chat, const char *type,
                            long long from, const char *text, dstr *reply) {
    dstr body = {0};
    update(&body, id, chat, type, from, text);
    operator_result r;
    operator_update(&f->env, body.ptr, body.len, &r);
    dstr_clear(reply);
    dstr_puts(reply, dstr_cstr(&r.reply));
    if (r.outcome == OPERATOR_DONE) assert_true(r.replied);
    operator_outcome o = r.outcome;
    operator_result_free(&r);
    dstr_free(&body);
    return o;
}

/* clang-format off */
static const struct {
    long long chat;
    const char *type;
    long long from;
    const char *text;
    operator_outcome outcome;
    const char *reply; /* a piece of the answer ("" none) */
} cases[] = {
    {-1001, "supergroup", 42, "/help", OPERATOR_DONE, "/flatten confirm - pause"},
    {-1001, "supergroup", 42, "/start", OPERATOR_DONE, "/status - last run"},
    {-1001, "supergroup", 42, "/frobnicate", OPERATOR_DONE, "Unknown command /frobnicate."},
    {-1001, "supergroup", 42, "/killswitch", OPERATOR_DONE, "To reset it: /killswitch reset"},
    {-1001, "supergroup", 42, "/flatten", OPERATOR_DONE, "Send /flatten confirm to do it."},
    {-1001, "supergroup", 42, "/signals", OPERATOR_DONE, "BTCUSDT: no decision yet"},
    {-1001, "supergroup", 42, "/pnl", OPERATOR_DONE, "Last 7 UTC days: net +0.00 USDT"},
    {-1001, "supergroup", 42, "/positions", OPERATOR_DONE, "Positions: none"},
    {-1001, "supergroup", 42, "/status", OPERATOR_DONE, "Last run: none recorded"},
    {-1001, "supergroup", 42, "hello there", OPERATOR_IGNORED, ""},
    {-1001, "supergroup", 43, "/status", OPERATOR_IGNORED, ""},  /* not an allowed user */
    {-1002, "supergroup", 42, "/status", OPERATOR_IGNORED, ""},  /* another chat */
    {42, "private", 42, "/status", OPERATOR_IGNORED, ""},        /* the user, but not the chat */
};
/* clang-format on */

static void test_table(void **state) {
    fixture *f = *state;
    dstr reply = {0};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        operator_outcome o = run(f, 100 + (long long)i, cases[i].chat, cases[i].type, cases[i].from,
                                 cases[i].text, &reply);
        if (o != cases[i].outcome || !strstr(dstr_cstr(&reply), cases[i].reply))
            fail_msg("case %zu (%s): %s, answer '%s'", i, cases[i].text, operator_outcome_name(o),
                     dstr_cstr(&reply));
    }
    /* the ignored ones were logged, and answered nothing */
    assert_non_null(strstr(dstr_cstr(&f->tg.logs), "\"event\":\"telegram.ignored\""));
    assert_non_null(strstr(dstr_cstr(&f->tg.logs), "TELEGRAM_ALLOWED_USER_IDS"));
    assert_int_equal(ms_request_count(f->tg.srv), 9);
    /* a body that is not an update */
    operator_result r;
    operator_update(&f->env, "{]", 2, &r);
    assert_int_equal(r.outcome, OPERATOR_IGNORED);
    assert_non_null(strstr(r.why, "not an update"));
    operator_result_free(&r);
    dstr_free(&reply);
}

static void test_replay_pause_resume_killswitch(void **state) {
    fixture *f = *state;
    dstr reply = {0};
    journal_pause_state p;
    assert_int_equal(run(f, 500, -1001, "group", 42, "/pause back at six", &reply), OPERATOR_DONE);
    assert_non_null(strstr(dstr_cstr(&reply), "Paused"));
    assert_int_equal(journal_control_read_pause(f->t.s, &p, NULL), JOURNAL_OK);
    assert_true(p.paused);
    assert_string_equal(p.by, "telegram:42");
    assert_string_equal(p.reason, "back at six");
    /* the same update again: nothing done, nothing answered */
    assert_int_equal(run(f, 500, -1001, "group", 42, "/resume", &reply), OPERATOR_REPLAYED);
    assert_int_equal(reply.len, 0);
    assert_int_equal(journal_control_read_pause(f->t.s, &p, NULL), JOURNAL_OK);
    assert_true(p.paused);
    /* a tripped kill switch stays tripped on /resume */
    assert_int_equal(journal_risk_put_kill(f->t.s, JOURNAL_KILL_TRIP, jfix_now_ms() - 1000,
                                           "drawdown", "trader", NULL),
                     JOURNAL_OK);
    assert_int_equal(run(f, 501, -1001, "group", 42, "/resume", &reply), OPERATOR_DONE);
    assert_non_null(strstr(dstr_cstr(&reply), "kill switch is still TRIPPED (drawdown)"));
    journal_risk_state rs;
    assert_int_equal(journal_risk_read(f->t.s, &rs, NULL), JOURNAL_OK);
    assert_true(rs.tripped);
    assert_int_equal(journal_control_read_pause(f->t.s, &p, NULL), JOURNAL_OK);
    assert_false(p.paused);
    assert_int_equal(run(f, 502, -1001, "group", 42, "/status", &reply), OPERATOR_DONE);
    assert_non_null(strstr(dstr_cstr(&reply), "Kill switch: TRIPPED since"));
    assert_int_equal(run(f, 503, -1001, "group", 42, "/killswitch reset", &reply), OPERATOR_DONE);
    assert_int_equal(journal_risk_read(f->t.s, &rs, NULL), JOURNAL_OK);
    assert_false(rs.tripped);
    assert_string_equal(rs.kill_by, "telegram:42");
    dstr_free(&reply);
}

/* A bot leg on the exchange, placed as the executor would. */
static void bot_leg_of(fixture *f, const char *symbol, ex_side side, ex_algo_type type,
                       const char *trigger, const char *qty, char leg) {
    ex_algo_request rq = {.side = side, .type = type, .reduce_only = 1};
    snprintf(rq.symbol, sizeof rq.symbol, "%s", symbol);
    snprintf(rq.trigger_price, sizeof rq.trigger_price, "%s", trigger);
    snprintf(rq.quantity, sizeof rq.quantity, "%s", qty);
    assert_int_equal(exec_client_id("atr", symbol, CANDLE, leg, rq.client_id), 0);
    ex_algo_placed out = {0};
    ex_place_algo_orders(&f->m.ex, &rq, 1, f->env.deadline_ms, &out);
    assert_int_equal(out.r.status, EX_OK);
    ex_algo_placed_free(&out);
}

static void bot_leg(fixture *f, ex_algo_type type, const char *trigger, char leg) {
    bot_leg_of(f, "BTCUSDT", EX_SELL, type, trigger, "0.010", leg);
}

/* Two positions of this bot: both closed in ONE order batch. */
static void test_flatten_closes_together(void **state) {
    fixture *f = *state;
    mx_add_symbol(&f->m, "ETHUSDT", 50);
    mx_manual_position(&f->m, "BTCUSDT", 0.01, 100);
    mx_manual_position(&f->m, "ETHUSDT", -2, 50);
    bot_leg(f, EX_STOP_MARKET, "95", 'S');
    bot_leg_of(f, "ETHUSDT", EX_BUY, EX_STOP_MARKET, "55", "2", 'S');
    int batches = f->m.order_batches;
    dstr reply = {0};
    assert_int_equal(run(f, 600, -1001, "supergroup", 42, "/flatten confirm", &reply),
                     OPERATOR_DONE);
    assert_non_null(strstr(dstr_cstr(&reply), "Closed BTCUSDT LONG 0.010"));
    assert_non_null(strstr(dstr_cstr(&reply), "Closed ETHUSDT SHORT 2"));
    assert_true(mx_find(&f->m, "BTCUSDT")->amount == 0 && mx_find(&f->m, "ETHUSDT")->amount == 0);
    assert_int_equal(f->m.order_batches, batches + 1);
    dstr_free(&reply);
}

static void test_flatten(void **state) {
    fixture *f = *state;
    mx_add_symbol(&f->m, "ETHUSDT", 50);
    mx_manual_position(&f->m, "BTCUSDT", 0.01, 100);
    mx_manual_position(&f->m, "ETHUSDT", -2, 50); /* not this bot's: no order, no plan */
    bot_leg(f, EX_STOP_MARKET, "95", 'S');
    bot_leg(f, EX_TAKE_PROFIT_MARKET, "110", 'T');
    mx_manual_order(&f->m, "BTCUSDT", "web_manual_1", EX_BUY, 0.002, 90);
    dstr reply = {0};
    assert_int_equal(run(f, 600, -1001, "supergroup", 42, "/flatten confirm", &reply),
                     OPERATOR_DONE);
    const char *r = dstr_cstr(&reply);
    assert_non_null(strstr(r, "Paused"));
    assert_non_null(strstr(r, "Closed BTCUSDT LONG 0.010"));
    assert_non_null(strstr(r, "Cancelled 2 of 2 open order(s) of this bot."));
    assert_non_null(strstr(r, "Not touched: 1 position(s) not of this bot."));
    assert_true(mx_find(&f->m, "BTCUSDT")->amount == 0);
    assert_true(mx_find(&f->m, "ETHUSDT")->amount == -2);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 0);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_TAKE_PROFIT_MARKET), 0);
    assert_int_equal(mx_open_orders(&f->m, "BTCUSDT"), 1); /* the manual one */
    assert_int_equal(mx_order(&f->m, "web_manual_1")->status, EX_ORDER_NEW);
    /* the close carries the reconcile-close id of the bot's legs' time */
    char id[EX_CLIENT_ID_LEN];
    exec_client_id("atr", "BTCUSDT", CANDLE, EXEC_LEG_RECONCILE_CLOSE, id);
    assert_non_null(mx_order(&f->m, id));
    journal_pause_state p;
    assert_int_equal(journal_control_read_pause(f->t.s, &p, NULL), JOURNAL_OK);
    assert_true(p.paused);
    assert_string_equal(p.reason, "flatten");
    assert_non_null(strstr(dstr_cstr(&f->tg.logs), "\"event\":\"telegram.flatten\""));
    /* with EXECUTE_TRADES=false nothing is sent, but it pauses */
    f->c.execute_trades = 0;
    int writes = f->m.writes;
    assert_int_equal(run(f, 601, -1001, "supergroup", 42, "/flatten confirm", &reply),
                     OPERATOR_DONE);
    assert_non_null(strstr(dstr_cstr(&reply), "Nothing sent: EXECUTE_TRADES is false"));
    assert_int_equal(f->m.writes, writes);
    dstr_free(&reply);
}

/* A close the exchange refuses: the position keeps its stop and take-profit. */
static void test_flatten_close_refused_keeps_legs(void **state) {
    fixture *f = *state;
    mx_manual_position(&f->m, "BTCUSDT", 0.01, 100);
    bot_leg(f, EX_STOP_MARKET, "95", 'S');
    bot_leg(f, EX_TAKE_PROFIT_MARKET, "110", 'T');
    mx_fault_next(&f->m, MX_PLACE_ORDER, EX_REJECTED, -2019, 0);
    dstr reply = {0};
    assert_int_equal(run(f, 650, -1001, "supergroup", 42, "/flatten confirm", &reply),
                     OPERATOR_DONE);
    assert_non_null(strstr(dstr_cstr(&reply), "FAILED to close BTCUSDT LONG"));
    assert_non_null(strstr(dstr_cstr(&reply), "Kept 2: the orders of a position"));
    assert_true(mx_find(&f->m, "BTCUSDT")->amount == 0.01);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_STOP_MARKET), 1);
    assert_int_equal(mx_open_algos(&f->m, "BTCUSDT", EX_TAKE_PROFIT_MARKET), 1);
    assert_int_equal(f->m.calls[MX_CANCEL], 0);
    dstr_free(&reply);
}

static void test_unrecordable_update_does_nothing(void **state) {
    fixture *f = *state;
    f->env.journal = NULL; /* the store could not be opened */
    dstr reply = {0};
    int writes = f->m.writes;
    assert_int_equal(run(f, 700, -1001, "supergroup", 42, "/flatten confirm", &reply),
                     OPERATOR_FAILED);
    assert_non_null(strstr(dstr_cstr(&reply), "/flatten was NOT done"));
    assert_int_equal(f->m.writes, writes);
    dstr_free(&reply);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_pause_resume_killswitch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flatten_closes_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flatten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flatten_close_refused_keeps_legs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unrecordable_update_does_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
