/* audit: build version and configuration hash (see audit.h). */
#include "pipelines/audit.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#ifndef TRADER_BUILD_VERSION
#define TRADER_BUILD_VERSION "dev"
#endif

const char *pl_build_version(void) { return TRADER_BUILD_VERSION; }

static void put_s(dstr *o, const char *name, const char *v) {
    dstr_printf(o, "%s=%s\n", name, v ? v : "");
}
static void put_d(dstr *o, const char *name, double v) { dstr_printf(o, "%s=%.17g\n", name, v); }
static void put_l(dstr *o, const char *name, long long v) { dstr_printf(o, "%s=%lld\n", name, v); }

void pl_config_text(const cfg *c, dstr *o) {
    for (size_t i = 0; i < c->n_symbols; i++) put_s(o, "SYMBOLS[]", c->symbols[i]);
    put_l(o, "EXECUTE_TRADES", c->execute_trades);
    if (c->paper) { /* only then: the hashes of other configurations stay as they were */
        put_s(o, "EXECUTE_TRADES_MODE", "paper");
        put_d(o, "PAPER_BALANCE", c->paper_balance);
    }
    put_d(o, "MIN_PROB", c->min_prob);
    put_d(o, "RR_MIN", c->rr_min);
    put_d(o, "ATR_MULT_TP", c->atr_mult_tp);
    put_d(o, "ATR_MULT_SL", c->atr_mult_sl);
    put_l(o, "LEVERAGE", c->leverage);
    put_s(o, "MARGIN_TYPE", c->margin_type);
    put_s(o, "POSITION_MODE", c->position_mode);
    put_d(o, "MAX_SPREAD_BPS", c->max_spread_bps);
    put_d(o, "RISK_USDT", c->risk_usdt);
    put_d(o, "SLIPPAGE_BPS", c->slippage_bps);
    put_d(o, "MAX_NOTIONAL_USDT", c->max_notional_usdt);
    put_d(o, "FEE_TAKER", c->fee_taker);
    put_d(o, "FEE_MAKER", c->fee_maker);
    put_s(o, "ENTRY_ORDER_TYPE", c->entry_order_type);
    put_l(o, "MAX_OPEN_POSITIONS", c->max_open_positions);
    put_d(o, "DAILY_LOSS_LIMIT_USDT", c->daily_loss_limit_usdt);
    put_d(o, "MAX_DRAWDOWN_PCT", c->max_drawdown_pct);
    put_l(o, "COOLDOWN_MINUTES", c->cooldown_minutes);
    put_d(o, "MAX_FUNDING_RATE", c->max_funding_rate);
    put_l(o, "BINANCE_RECV_WINDOW_MS", c->recv_window_ms);
    put_s(o, "ORDER_ID_PREFIX", c->order_id_prefix);
    put_s(o, "FAPI_BASE", cfg_fapi_base(c));
    put_s(o, "PREDICTOR", c->predictor);
    put_s(o, "PREDICTOR_FALLBACK", c->predictor_fallback);
    put_l(o, "ATR_PERIOD", c->atr_period);
    put_s(o, "ATR_TF", c->atr_tf);
    put_s(o, "GEMINI_MODEL", c->gemini_model);
    put_d(o, "G_TEMPERATURE", c->g_temperature);
    put_l(o, "G_MAX_TOKENS", c->g_max_tokens);
    put_s(o, "JOURNAL_URL", c->journal_url);
}

void pl_config_hash(const cfg *c, char *out, size_t cap) {
    if (!out || cap < PL_CONFIG_HASH_LEN) {
        if (out && cap) out[0] = 0;
        return;
    }
    dstr text = {0};
    pl_config_text(c, &text);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(text.ptr ? text.ptr : "", text.len, md, &n, EVP_sha256(), NULL) || n < 8) {
        snprintf(out, cap, "unhashed");
    } else {
        for (int i = 0; i < 8; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    dstr_free(&text);
}
