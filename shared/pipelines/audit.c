/* audit: build version and configuration hash (see audit.h). */
#include "pipelines/audit.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#ifndef TRADER_BUILD_VERSION
#define TRADER_BUILD_VERSION "dev"
#endif

const char *pl_build_version(void) { return TRADER_BUILD_VERSION; }

/* Every setting the hash covers, in its fixed order: NAME, the value as
 * text, and whether it changes a trading decision (the strategy). */
void pl_config_each(const cfg *c, pl_config_visit_fn fn, void *ctx) {
    char v[64];
#define S(name, value, strat) fn(ctx, name, (value) ? (value) : "", 0, strat)
#define D(name, value, strat) \
    (snprintf(v, sizeof v, "%.17g", (double)(value)), fn(ctx, name, v, 1, strat))
#define L(name, value, strat) \
    (snprintf(v, sizeof v, "%lld", (long long)(value)), fn(ctx, name, v, 1, strat))
    for (size_t i = 0; i < c->n_symbols; i++) S("SYMBOLS[]", c->symbols[i], 1);
    L("EXECUTE_TRADES", c->execute_trades, 0);
    if (c->paper) { /* only then: the hashes of other configurations stay as they were */
        S("EXECUTE_TRADES_MODE", "paper", 0);
        D("PAPER_BALANCE", c->paper_balance, 0);
    }
    D("MIN_PROB", c->min_prob, 1);
    D("RR_MIN", c->rr_min, 1);
    D("ATR_MULT_TP", c->atr_mult_tp, 1);
    D("ATR_MULT_SL", c->atr_mult_sl, 1);
    L("LEVERAGE", c->leverage, 1);
    S("MARGIN_TYPE", c->margin_type, 1);
    S("POSITION_MODE", c->position_mode, 1);
    D("MAX_SPREAD_BPS", c->max_spread_bps, 1);
    D("RISK_USDT", c->risk_usdt, 1);
    D("SLIPPAGE_BPS", c->slippage_bps, 1);
    D("MAX_NOTIONAL_USDT", c->max_notional_usdt, 1);
    D("FEE_TAKER", c->fee_taker, 1);
    D("FEE_MAKER", c->fee_maker, 1);
    S("ENTRY_ORDER_TYPE", c->entry_order_type, 1);
    L("MAX_OPEN_POSITIONS", c->max_open_positions, 1);
    D("DAILY_LOSS_LIMIT_USDT", c->daily_loss_limit_usdt, 1);
    D("MAX_DRAWDOWN_PCT", c->max_drawdown_pct, 1);
    L("COOLDOWN_MINUTES", c->cooldown_minutes, 1);
    D("MAX_FUNDING_RATE", c->max_funding_rate, 1);
    L("BINANCE_RECV_WINDOW_MS", c->recv_window_ms, 0);
    S("ORDER_ID_PREFIX", c->order_id_prefix, 0);
    S("FAPI_BASE", cfg_fapi_base(c), 0);
    S("PREDICTOR", c->predictor, 1);
    S("PREDICTOR_FALLBACK", c->predictor_fallback, 1);
    L("ATR_PERIOD", c->atr_period, 1);
    S("ATR_TF", c->atr_tf, 1);
    S("GEMINI_MODEL", c->gemini_model, 1);
    D("G_TEMPERATURE", c->g_temperature, 1);
    L("G_MAX_TOKENS", c->g_max_tokens, 1);
    S("JOURNAL_URL", c->journal_url, 0);
#undef S
#undef D
#undef L
}

typedef struct text_ctx {
    dstr *out;
    int strategy_only;
} text_ctx;

static void put_line(void *vctx, const char *name, const char *value, int number, int strategy) {
    (void)number;
    text_ctx *t = vctx;
    if (!t->strategy_only || strategy) dstr_printf(t->out, "%s=%s\n", name, value);
}

void pl_config_text(const cfg *c, dstr *o) {
    text_ctx t = {o, 0};
    pl_config_each(c, put_line, &t);
}

void pl_strategy_text(const cfg *c, dstr *o) {
    text_ctx t = {o, 1};
    pl_config_each(c, put_line, &t);
}

/* The first 16 hex digits of the SHA-256 of text. */
static void hash16(const dstr *text, char *out, size_t cap) {
    if (!out || cap < PL_CONFIG_HASH_LEN) {
        if (out && cap) out[0] = 0;
        return;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(text->ptr ? text->ptr : "", text->len, md, &n, EVP_sha256(), NULL) || n < 8) {
        snprintf(out, cap, "unhashed");
    } else {
        for (int i = 0; i < 8; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
}

void pl_config_hash(const cfg *c, char *out, size_t cap) {
    dstr text = {0};
    pl_config_text(c, &text);
    hash16(&text, out, cap);
    dstr_free(&text);
}

void pl_strategy_hash(const cfg *c, char *out, size_t cap) {
    dstr text = {0};
    pl_strategy_text(c, &text);
    hash16(&text, out, cap);
    dstr_free(&text);
}
