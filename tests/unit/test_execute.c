/* execute: client ids, the account set-up and the bracket's fault paths,
 * against the in-memory exchange (tests/unit/support/mem_exchange.h). The
 * bracket cases are a table: each step failing in each way ends with no
 * position, or a position with exactly one stop (and at most one
 * take-profit), or the loud "unprotected" outcome, never two entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "mem_exchange.h"
#include "pipelines/execute.h"
#include "platform/log.h"

#define CANDLE 1767225600000LL /* 2026-01-01T00:00:00Z */

static cfg test_cfg(void) {
    cfg c;
    memset(&c, 0, sizeof c);
    c.order_id_prefix = "atr";
    c.leverage = 5;
    c.margin_type = "ISOLATED";
    c.execute_trades = 1;
    return c;
}

static pl_env env_of(const cfg *c, mem_exchange *m) {
    return (pl_env){.cfg = c, .exchange = &m->ex, .deadline_ms = INT64_MAX / 2};
}

/* ---- client ids ---------------------------------------------------------------------- */

static void test_client_id_fits_with_a_20_character_symbol(void **state) {
    (void)state;
    char id[EX_CLIENT_ID_LEN];
    const char *sym = "ABCDEFGHIJKLMNOPQRST"; /* 20 */
    assert_int_equal(exec_client_id("ATRX", sym, 2821109907455LL /* 36^8 - 1: 2059 */, 'E', id), 0);
    assert_true(strlen(id) <= 36);
    assert_true(ex_valid_client_id(id));
    char s[EX_SYMBOL_LEN], leg = 0;
    int64_t t = 0;
    assert_true(exec_parse_client_id("ATRX", id, s, &t, &leg));
    assert_string_equal(s, sym);
    assert_int_equal(t, 2821109907455LL);
    assert_int_equal(leg, 'E');
    /* every leg, and the shape */
    const char *legs = "ESTXstC";
    for (const char *l = legs; *l; l++) {
        assert_int_equal(exec_client_id("atr", "BTCUSDT", CANDLE, *l, id), 0);
        assert_true(ex_valid_client_id(id));
        assert_true(exec_parse_client_id("atr", id, NULL, NULL, &leg));
        assert_int_equal(leg, *l);
    }
    assert_int_equal(exec_client_id("atr", "BTCUSDT", CANDLE, 'E', id), 0);
    assert_string_equal(id, "atr_BTCUSDT_mjuohs00_E"); /* 1767225600000 in base 36 */
}

static void test_client_id_refuses_bad_parts(void **state) {
    (void)state;
    char id[EX_CLIENT_ID_LEN];
    assert_int_equal(exec_client_id("", "BTCUSDT", CANDLE, 'E', id), -1);
    assert_int_equal(exec_client_id("toolong", "BTCUSDT", CANDLE, 'E', id), -1);
    assert_int_equal(exec_client_id("atr", "btcusdt", CANDLE, 'E', id), -1);
    assert_int_equal(exec_client_id("atr", "ABCDEFGHIJKLMNOPQRSTU", CANDLE, 'E', id), -1);
    assert_int_equal(exec_client_id("atr", "BTCUSDT", 0, 'E', id), -1);
    assert_int_equal(exec_client_id("atr", "BTCUSDT", CANDLE, 'Q', id), -1);
    assert_string_equal(id, "");
}

static void test_foreign_ids_are_not_ours(void **state) {
    (void)state;
    const char *foreign[] = {
        "web_abc123",
        "atr",
        "atr_",
        "atrx_BTCUSDT_mjuqt200_E",
        "ATR_BTCUSDT_mjuqt200_E",
        "atr_BTCUSDT_mjuohs00_Q",
        "atr_BTCUSDT_mjuohs00_E_",
        "atr_btcusdt_mjuqt200_E",
        "atr_BTCUSDT_MJUQT200_E",
        "atr_BTCUSDT_123456789_E",
        "atr_B_mjuqt200_E",
        "atr_BTCUSDT__E",
        "atr_BTCUSDT_0_E",
        "atr_BTCUSDT_0omhsju0_E" /* a leading zero; found by fuzz_execution */};
    for (size_t i = 0; i < sizeof foreign / sizeof *foreign; i++)
        assert_false(exec_parse_client_id("atr", foreign[i], NULL, NULL, NULL));
}

/* ---- set-up ------------------------------------------------------------------------------ */

static ex_account read_all(mem_exchange *m, const char *const *symbols, size_t n) {
    ex_read_spec spec = {.symbols = symbols, .n_symbols = n, .parts = ~0u};
    ex_account a;
    ex_read(&m->ex, &spec, 0, 0, NULL, &a);
    return a;
}

static void test_setup_changes_only_what_differs(void **state) {
    (void)state;
    mem_exchange m;
    mx_init(&m);
    mx_add_symbol(&m, "BTCUSDT", 100)->leverage = 10;
    mx_add_symbol(&m, "ETHUSDT", 50)->margin = EX_CROSSED;
    mx_add_symbol(&m, "SOLUSDT", 20);
    m.hedge_mode = 1;
    cfg c = test_cfg();
    pl_env env = env_of(&c, &m);
    const char *syms[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
    ex_account a = read_all(&m, syms, 3);
    exec_gate g[3];
    dstr actions = {0};
    assert_int_equal(exec_setup(&env, &a, syms, 3, 1, g, &actions), 3);
    assert_int_equal(m.writes, 3);
    assert_false(m.hedge_mode);
    assert_int_equal(mx_find(&m, "BTCUSDT")->leverage, 5);
    assert_int_equal(mx_find(&m, "ETHUSDT")->margin, EX_ISOLATED);
    for (int i = 0; i < 3; i++) assert_true(g[i].entry_ok);
    ex_account_free(&a);
    /* read again: nothing differs, nothing sent */
    a = read_all(&m, syms, 3);
    dstr_clear(&actions);
    assert_int_equal(exec_setup(&env, &a, syms, 3, 1, g, &actions), 0);
    assert_int_equal(m.writes, 3);
    assert_int_equal(actions.len, 0);
    ex_account_free(&a);
    dstr_free(&actions);
}

static void test_setup_impossible_change_blocks_that_symbol(void **state) {
    (void)state;
    mem_exchange m;
    mx_init(&m);
    mx_add_symbol(&m, "BTCUSDT", 100)->margin = EX_CROSSED;
    mx_find(&m, "BTCUSDT")->locked = 1; /* -4048 */
    mx_add_symbol(&m, "ETHUSDT", 50)->leverage = 3;
    mx_fault_next(&m, MX_CONFIGURE, EX_OK, 0, 0); /* BTC margin: the symbol's own refusal */
    mx_fault_next(&m, MX_CONFIGURE, EX_UNKNOWN, -1007, 0); /* ETH leverage: unknown */
    cfg c = test_cfg();
    pl_env env = env_of(&c, &m);
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    ex_account a = read_all(&m, syms, 2);
    exec_gate g[2];
    dstr actions = {0};
    exec_setup(&env, &a, syms, 2, 1, g, &actions);
    assert_false(g[0].entry_ok);
    assert_non_null(strstr(g[0].why, "-4048"));
    assert_false(g[1].entry_ok); /* an unknown outcome blocks too */
    assert_non_null(strstr(actions.ptr, "\"failed\""));
    ex_account_free(&a);
    dstr_free(&actions);
}

static void test_setup_unknown_reads_block_entries(void **state) {
    (void)state;
    mem_exchange m;
    mx_init(&m);
    mx_add_symbol(&m, "BTCUSDT", 100);
    mx_fault_next(&m, MX_READ, EX_TIMEOUT, 0, 0);
    cfg c = test_cfg();
    pl_env env = env_of(&c, &m);
    const char *syms[] = {"BTCUSDT"};
    ex_account a = read_all(&m, syms, 1);
    exec_gate g[1];
    assert_int_equal(exec_setup(&env, &a, syms, 1, 1, g, NULL), 0);
    assert_false(g[0].entry_ok);
    assert_non_null(strstr(g[0].why, "position mode unknown"));
    assert_int_equal(m.writes, 0);
    ex_account_free(&a);
}

static void test_setup_dry_run_sends_nothing(void **state) {
    (void)state;
    mem_exchange m;
    mx_init(&m);
    mx_add_symbol(&m, "BTCUSDT", 100)->leverage = 20;
    m.hedge_mode = 1;
    cfg c = test_cfg();
    pl_env env = env_of(&c, &m);
    const char *syms[] = {"BTCUSDT"};
    ex_account a = read_all(&m, syms, 1);
    exec_gate g[1];
    dstr actions = {0};
    assert_int_equal(exec_setup(&env, &a, syms, 1, 0, g, &actions), 0);
    assert_int_equal(m.writes, 0);
    assert_true(m.hedge_mode);
    assert_non_null(strstr(actions.ptr, "would_change"));
    assert_non_null(strstr(actions.ptr, "leverage 5"));
    assert_non_null(strstr(actions.ptr, "position mode one-way"));
    ex_account_free(&a);
    dstr_free(&actions);
}

/* ---- the bracket ---------------------------------------------------------------------- */

typedef struct fault_step {
    mx_op op;
    ex_status status;
    long code;
    int landed;
} fault_step;

typedef struct bracket_case {
    const char *name;
    direction dir;
    int limit, fill_limits;
    fault_step faults[4];
    size_t n_faults;
    exec_outcome outcome;
    int position; /* 1: a position remains */
    size_t stops, tps;
} bracket_case;

#define F(op, st, code, landed) \
    { MX_##op, st, code, landed }

static const bracket_case bracket_cases[] = {
    {"all goes well", DIR_LONG, 0, 0, {{0}}, 0, EXEC_PROTECTED, 1, 1, 1},
    {"short, all goes well", DIR_SHORT, 0, 0, {{0}}, 0, EXEC_PROTECTED, 1, 1, 1},
    {"entry refused -2019",
     DIR_LONG,
     0,
     0,
     {F(PLACE_ORDER, EX_REJECTED, -2019, 0)},
     1,
     EXEC_NO_ENTRY,
     0,
     0,
     0},
    {"entry 503 that landed: found by its id",
     DIR_LONG,
     0,
     0,
     {F(PLACE_ORDER, EX_UNKNOWN, 0, 1)},
     1,
     EXEC_PROTECTED,
     1,
     1,
     1},
    {"entry timeout that did not land: -2013, never resent",
     DIR_LONG,
     0,
     0,
     {F(PLACE_ORDER, EX_TIMEOUT, 0, 0)},
     1,
     EXEC_ENTRY_UNKNOWN,
     0,
     0,
     0},
    {"entry landed, query fails: left to reconcile",
     DIR_LONG,
     0,
     0,
     {F(PLACE_ORDER, EX_UNKNOWN, 0, 1), F(QUERY, EX_UNAVAILABLE, 0, 0)},
     2,
     EXEC_ENTRY_UNKNOWN,
     1,
     0,
     0},
    {"stop -2021: closed at market, take-profit cancelled",
     DIR_LONG,
     0,
     0,
     {F(PLACE_STOP, EX_REJECTED, -2021, 0)},
     1,
     EXEC_CLOSED,
     0,
     0,
     0},
    {"stop refused: closed",
     DIR_SHORT,
     0,
     0,
     {F(PLACE_STOP, EX_REJECTED, -4164, 0)},
     1,
     EXEC_CLOSED,
     0,
     0,
     0},
    {"stop unknown, did not land: closed",
     DIR_LONG,
     0,
     0,
     {F(PLACE_STOP, EX_UNKNOWN, 0, 0)},
     1,
     EXEC_CLOSED,
     0,
     0,
     0},
    {"stop unknown, landed: found, protected",
     DIR_LONG,
     0,
     0,
     {F(PLACE_STOP, EX_UNKNOWN, 0, 1)},
     1,
     EXEC_PROTECTED,
     1,
     1,
     1},
    {"stop landed but the query fails: closed, the stop cancelled",
     DIR_LONG,
     0,
     0,
     {F(PLACE_STOP, EX_TIMEOUT, 0, 1), F(QUERY, EX_UNAVAILABLE, 0, 0)},
     2,
     EXEC_CLOSED,
     0,
     0,
     0},
    {"take-profit -2021: closed at market, stop cancelled",
     DIR_LONG,
     0,
     0,
     {F(PLACE_TP, EX_REJECTED, -2021, 0)},
     1,
     EXEC_CLOSED,
     0,
     0,
     0},
    {"take-profit refused: the stop stays",
     DIR_LONG,
     0,
     0,
     {F(PLACE_TP, EX_REJECTED, -1111, 0)},
     1,
     EXEC_STOP_ONLY,
     1,
     1,
     0},
    {"take-profit unknown, did not land: the stop stays",
     DIR_SHORT,
     0,
     0,
     {F(PLACE_TP, EX_UNKNOWN, 0, 0)},
     1,
     EXEC_STOP_ONLY,
     1,
     1,
     0},
    {"take-profit unknown, landed: protected",
     DIR_LONG,
     0,
     0,
     {F(PLACE_TP, EX_UNKNOWN, 0, 1)},
     1,
     EXEC_PROTECTED,
     1,
     1,
     1},
    {"both legs unknown, landed",
     DIR_LONG,
     0,
     0,
     {F(PLACE_STOP, EX_UNKNOWN, 0, 1), F(PLACE_TP, EX_TIMEOUT, 0, 1)},
     2,
     EXEC_PROTECTED,
     1,
     1,
     1},
    {"both legs refused: closed",
     DIR_LONG,
     0,
     0,
     {F(PLACE_STOP, EX_REJECTED, -2021, 0), F(PLACE_TP, EX_REJECTED, -2021, 0)},
     2,
     EXEC_CLOSED,
     0,
     0,
     0},
    {"stop refused, close refused: unprotected, loudly",
     DIR_LONG,
     0,
     0,
     {F(PLACE_STOP, EX_REJECTED, -2021, 0), F(PLACE_ORDER, EX_OK, 0, 0),
      F(PLACE_ORDER, EX_REJECTED, -1001, 0)},
     3,
     EXEC_UNPROTECTED,
     1,
     0,
     1},
    {"stop refused, close unknown but landed: closed",
     DIR_LONG,
     0,
     0,
     {F(PLACE_STOP, EX_REJECTED, -2021, 0), F(PLACE_ORDER, EX_OK, 0, 0),
      F(PLACE_ORDER, EX_UNKNOWN, 0, 1)},
     3,
     EXEC_CLOSED,
     0,
     0,
     0},
    {"stop refused, close did not land: unprotected",
     DIR_SHORT,
     0,
     0,
     {F(PLACE_STOP, EX_REJECTED, -2021, 0), F(PLACE_ORDER, EX_OK, 0, 0),
      F(PLACE_ORDER, EX_TIMEOUT, 0, 0)},
     3,
     EXEC_UNPROTECTED,
     1,
     0,
     1},
    {"take-profit -2021 and the close fails: the stop stays",
     DIR_LONG,
     0,
     0,
     {F(PLACE_TP, EX_REJECTED, -2021, 0), F(PLACE_ORDER, EX_OK, 0, 0),
      F(PLACE_ORDER, EX_REJECTED, -1001, 0)},
     3,
     EXEC_STOP_ONLY,
     1,
     1,
     0},
    {"LIMIT entry rests", DIR_LONG, 1, 0, {{0}}, 0, EXEC_ENTRY_RESTING, 0, 0, 0},
    {"LIMIT entry fills", DIR_LONG, 1, 1, {{0}}, 0, EXEC_PROTECTED, 1, 1, 1},
};

static sizing_result size_for(const bracket_case *bc, const symbol_rules *rules) {
    sizing_params sp = {.risk_usdt = 10,
                        .fee_taker = 0.0005,
                        .slippage_bps = 5,
                        .leverage = 5,
                        .rr_min = 1.2,
                        .mmr = SIZING_DEFAULT_MMR};
    int lng = bc->dir == DIR_LONG;
    sizing_input in = {.dir = bc->dir,
                       .entry = 100,
                       .sl = lng ? 98 : 102,
                       .tp = lng ? 104 : 96,
                       .available_balance = 10000,
                       .market = !bc->limit,
                       .rules = rules};
    sizing_result r;
    assert_int_equal(sizing_make(&in, &sp, &r), SIZING_OK);
    return r;
}

static void test_bracket_cases(void **state) {
    (void)state;
    cfg c = test_cfg();
    for (size_t i = 0; i < sizeof bracket_cases / sizeof *bracket_cases; i++) {
        const bracket_case *bc = &bracket_cases[i];
        mem_exchange m;
        mx_init(&m);
        mx_symbol *s = mx_add_symbol(&m, "BTCUSDT", 100);
        m.fill_limits = bc->fill_limits;
        /* EX_OK steps are placeholders: they let an order pass */
        for (size_t f = 0; f < bc->n_faults; f++) {
            const fault_step *st = &bc->faults[f];
            mx_fault_next(&m, st->op, st->status, st->code, st->landed);
        }
        pl_env env = env_of(&c, &m);
        exec_plan p = {.symbol = "BTCUSDT",
                       .dir = bc->dir,
                       .candle_ms = CANDLE,
                       .rules = &s->rules,
                       .size = size_for(bc, &s->rules),
                       .market = !bc->limit,
                       .prefix = "atr"};
        exec_report rep;
        dstr actions = {0};
        exec_outcome o = exec_bracket(&env, &p, &rep, &actions);
        if (o != bc->outcome || (s->amount != 0) != bc->position ||
            mx_open_algos(&m, "BTCUSDT", EX_STOP_MARKET) != bc->stops ||
            mx_open_algos(&m, "BTCUSDT", EX_TAKE_PROFIT_MARKET) != bc->tps || m.entries > 1)
            fail_msg("case '%s': outcome %s (want %s), position %g, stops %zu, tps %zu, entries "
                     "%d; actions [%s]",
                     bc->name, exec_outcome_name(o), exec_outcome_name(bc->outcome), s->amount,
                     mx_open_algos(&m, "BTCUSDT", EX_STOP_MARKET),
                     mx_open_algos(&m, "BTCUSDT", EX_TAKE_PROFIT_MARKET), m.entries,
                     dstr_cstr(&actions));
        /* a stop always protects the whole position, reduce-only, on the right side */
        if (bc->stops) {
            char id[EX_CLIENT_ID_LEN];
            exec_client_id("atr", "BTCUSDT", CANDLE, 'S', id);
            const ex_algo_order *st = mx_algo(&m, id);
            assert_non_null(st);
            assert_true(st->reduce_only);
            assert_false(st->close_position);
            assert_true(fabs(st->quantity - fabs(s->amount)) < 1e-9);
            assert_true(bc->dir == DIR_LONG ? st->trigger_price < s->entry
                                            : st->trigger_price > s->entry);
        }
        dstr_free(&actions);
    }
}

/* The legs are placed at the decided distances from the actual fill. */
static void test_legs_follow_the_fill(void **state) {
    (void)state;
    cfg c = test_cfg();
    mem_exchange m;
    mx_init(&m);
    mx_symbol *s = mx_add_symbol(&m, "BTCUSDT", 100);
    bracket_case bc = {.dir = DIR_LONG};
    sizing_result size = size_for(&bc, &s->rules);
    s->mark = 101; /* the market moved between the decision and the fill */
    pl_env env = env_of(&c, &m);
    exec_plan p = {.symbol = "BTCUSDT",
                   .dir = DIR_LONG,
                   .candle_ms = CANDLE,
                   .rules = &s->rules,
                   .size = size,
                   .market = 1,
                   .prefix = "atr"};
    exec_report rep;
    assert_int_equal(exec_bracket(&env, &p, &rep, NULL), EXEC_PROTECTED);
    assert_true(fabs(rep.fill_price - 101) < 1e-9);
    assert_true(fabs(rep.stop.trigger_price - 99) < 1e-9);
    assert_true(fabs(rep.tp.trigger_price - 105) < 1e-9);
    assert_string_equal(rep.stop.quantity_str, rep.qty);
}

/* ---- two symbols at once (exec_brackets) ------------------------------------------------ */

typedef struct pair_want {
    exec_outcome outcome;
    int position; /* a position is left */
    size_t stops, tps;
} pair_want;

typedef struct pair_case {
    const char *name;
    fault_step faults[4];
    size_t n_faults;
    pair_want want[2]; /* BTCUSDT, ETHUSDT */
} pair_case;

#define PROTECTED \
    { EXEC_PROTECTED, 1, 1, 1 }
#define CLOSED \
    { EXEC_CLOSED, 0, 0, 0 }

/* The batch orders the elements by plan: BTCUSDT's first. */
static const pair_case pair_cases[] = {
    {"both protected", {{0}}, 0, {PROTECTED, PROTECTED}},
    {"ETHUSDT's stop refused: closed, BTCUSDT protected",
     {{MX_PLACE_STOP, EX_OK, 0, 0}, {MX_PLACE_STOP, EX_REJECTED, -2021, 0}},
     2,
     {PROTECTED, CLOSED}},
    {"BTCUSDT's stop unknown and not found: closed, ETHUSDT protected",
     {{MX_PLACE_STOP, EX_UNKNOWN, 0, 0}, {MX_QUERY, EX_NOT_FOUND, -2013, 0}},
     2,
     {CLOSED, PROTECTED}},
    {"ETHUSDT's take-profit refused: stop only, BTCUSDT protected",
     {{MX_PLACE_TP, EX_OK, 0, 0}, {MX_PLACE_TP, EX_REJECTED, -4045, 0}},
     2,
     {PROTECTED, {EXEC_STOP_ONLY, 1, 1, 0}}},
    {"BTCUSDT's entry refused: ETHUSDT protected",
     {{MX_PLACE_ORDER, EX_REJECTED, -2019, 0}},
     1,
     {{EXEC_NO_ENTRY, 0, 0, 0}, PROTECTED}},
    {"ETHUSDT's entry unknown (landed), the query settles it: both protected",
     {{MX_PLACE_ORDER, EX_OK, 0, 0}, {MX_PLACE_ORDER, EX_UNKNOWN, 0, 1}},
     2,
     {PROTECTED, PROTECTED}},
    {"ETHUSDT's entry unknown, the query cannot say: not resent, BTCUSDT protected",
     {{MX_PLACE_ORDER, EX_OK, 0, 0},
      {MX_PLACE_ORDER, EX_UNKNOWN, 0, 0},
      {MX_QUERY, EX_NOT_FOUND, -2013, 0}},
     3,
     {PROTECTED, {EXEC_ENTRY_UNKNOWN, 0, 0, 0}}},
};

#undef PROTECTED
#undef CLOSED

/* Entries of different symbols go in ONE order batch, all their legs in ONE
 * algo batch, and one symbol's failure leaves the other's bracket whole. */
static void test_brackets_of_two_symbols(void **state) {
    (void)state;
    cfg c = test_cfg();
    const char *names[2] = {"BTCUSDT", "ETHUSDT"};
    for (size_t i = 0; i < sizeof pair_cases / sizeof *pair_cases; i++) {
        const pair_case *pc = &pair_cases[i];
        mem_exchange m;
        mx_init(&m);
        mx_symbol *s[2] = {mx_add_symbol(&m, names[0], 100), mx_add_symbol(&m, names[1], 100)};
        for (size_t f = 0; f < pc->n_faults; f++)
            mx_fault_next(&m, pc->faults[f].op, pc->faults[f].status, pc->faults[f].code,
                          pc->faults[f].landed);
        pl_env env = env_of(&c, &m);
        bracket_case bc = {.dir = DIR_LONG};
        exec_plan p[2];
        for (int k = 0; k < 2; k++)
            p[k] = (exec_plan){.symbol = names[k],
                               .dir = DIR_LONG,
                               .candle_ms = CANDLE,
                               .rules = &s[k]->rules,
                               .size = size_for(&bc, &s[k]->rules),
                               .market = 1,
                               .prefix = "atr"};
        exec_report rep[2];
        dstr actions = {0};
        exec_brackets(&env, p, 2, rep, &actions);
        for (int k = 0; k < 2; k++) {
            const pair_want *w = &pc->want[k];
            if (rep[k].outcome != w->outcome || (s[k]->amount != 0) != w->position ||
                mx_open_algos(&m, names[k], EX_STOP_MARKET) != w->stops ||
                mx_open_algos(&m, names[k], EX_TAKE_PROFIT_MARKET) != w->tps)
                fail_msg("case '%s': %s: outcome %s (want %s), position %g, stops %zu, tps %zu; "
                         "actions [%s]",
                         pc->name, names[k], exec_outcome_name(rep[k].outcome),
                         exec_outcome_name(w->outcome), s[k]->amount,
                         mx_open_algos(&m, names[k], EX_STOP_MARKET),
                         mx_open_algos(&m, names[k], EX_TAKE_PROFIT_MARKET), dstr_cstr(&actions));
        }
        /* never two entries of a symbol; the entries together, the legs together */
        assert_true(m.entries <= 2);
        assert_int_equal(m.order_batches, 1);
        assert_int_equal(m.algo_batches, 1);
        dstr_free(&actions);
    }
}

int main(void) {
    log_init("test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_id_fits_with_a_20_character_symbol),
        cmocka_unit_test(test_client_id_refuses_bad_parts),
        cmocka_unit_test(test_foreign_ids_are_not_ours),
        cmocka_unit_test(test_setup_changes_only_what_differs),
        cmocka_unit_test(test_setup_impossible_change_blocks_that_symbol),
        cmocka_unit_test(test_setup_unknown_reads_block_entries),
        cmocka_unit_test(test_setup_dry_run_sends_nothing),
        cmocka_unit_test(test_bracket_cases),
        cmocka_unit_test(test_legs_follow_the_fill),
        cmocka_unit_test(test_brackets_of_two_symbols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
