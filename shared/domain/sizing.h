/* sizing: from a decision's levels to an order the exchange accepts, sized so
 * that hitting the stop loses at most RISK_USDT, costs included.
 *
 * Contract: pure (no I/O, no allocation). sizing_make() either fills every
 * field of a sizing_result with SIZING_OK, or refuses with one reason line
 * (the first rule that failed, with its numbers). Rules, in order:
 *  1. Inputs: dir LONG or SHORT; entry, sl, tp finite > 0 on the right sides
 *     (LONG sl < entry < tp, SHORT tp < entry < sl); risk_usdt, leverage,
 *     fees, slippage, balance and the maintenance-margin rate in range.
 *  2. The entry is put on the tick (nearest); the stop and the take-profit
 *     are rounded to the tick toward that entry (sr_price_toward): the loss
 *     per unit never grows, the target stays reachable. A level that rounds
 *     onto the entry is refused. rr = |tp - entry| / |entry - sl| after
 *     rounding must be >= rr_min (1e-9 tolerance, as decision.h rule 5).
 *  3. Cost per unit, both sides taken as taker fills with slippage (a LIMIT
 *     entry may fill as maker without slippage: the estimate only errs on
 *     the safe side): (fee_taker + slippage_bps / 10000) * (entry + sl).
 *     loss per unit = |entry - sl| + cost per unit.
 *  4. qty = risk_usdt / loss per unit, capped by (the smallest wins, and
 *     `cap` names it): the balance, available_balance / (entry * (1 /
 *     leverage + fee_taker)) (the margin plus the entry fee must be
 *     available); max_notional_usdt / entry (0: no cap); the exchange's
 *     max_qty of the entry's and of the legs' rules.
 *  5. qty rounded DOWN to the entry's step (MARKET_LOT_SIZE for MARKET,
 *     LOT_SIZE for LIMIT) and to LOT_SIZE's step (the legs carry the same
 *     quantity), then checked with sr_check_order for the entry and for
 *     both legs: status TRADING, min qty, min notional (at the entry),
 *     prices within PRICE_FILTER. A zero quantity is "risk budget too small".
 *  6. Liquidation estimate (isolated margin, one-way, no other position:
 *     the conservative case, a CROSSED position lies further away):
 *     LONG entry * (1 - 1/leverage) / (1 - mmr), SHORT entry * (1 +
 *     1/leverage) / (1 + mmr). It must lie strictly beyond the stop (LONG
 *     liq < sl, SHORT liq > sl): else the stop could never fire.
 * loss_at_stop = qty * loss per unit <= risk_usdt, always.
 *
 * sizing_legs_from_fill(): after a MARKET fill, the legs at the decided
 * distances (entry - sl, tp - entry of the result) from the actual fill
 * price, rounded toward the fill, checked as legs. */
#ifndef SIZING_H
#define SIZING_H

#include <stddef.h>

#include "domain/prediction.h"
#include "domain/symbol_rules.h"

#define SIZING_DEFAULT_MMR 0.004 /* maintenance-margin rate of Binance's lowest tier on BTCUSDT */
#define SIZING_REASON_LEN 160
#define SIZING_TEXT_LEN 32

typedef struct sizing_params {
    double risk_usdt;         /* RISK_USDT: the loss budget at the stop, costs included; > 0 */
    double fee_taker;         /* FEE_TAKER: fraction per fill, 0.0005 = 0.05 %; 0..0.1 */
    double slippage_bps;      /* SLIPPAGE_BPS: allowance per market fill; 0..1000 */
    double max_notional_usdt; /* MAX_NOTIONAL_USDT: 0 = no cap of our own */
    int leverage;             /* LEVERAGE: 1..125 */
    double rr_min;            /* RR_MIN, re-checked after rounding */
    double mmr;               /* maintenance-margin rate; SIZING_DEFAULT_MMR when unknown */
} sizing_params;

typedef struct sizing_input {
    direction dir;
    double entry, sl, tp;     /* the decision's levels */
    double available_balance; /* USDT available for new margin */
    int market;               /* 1: MARKET entry; 0: LIMIT at entry */
    const symbol_rules *rules;
} sizing_input;

typedef enum sizing_status {
    SIZING_OK = 0,
    SIZING_BAD_INPUT,  /* rule 1 */
    SIZING_LEVELS,     /* rule 2: a level rounds onto the entry, or rr < rr_min */
    SIZING_TOO_SMALL,  /* rule 5: zero quantity, below min qty or min notional */
    SIZING_EXCHANGE,   /* rule 5: another exchange rule (status, prices) */
    SIZING_LIQUIDATION /* rule 6 */
} sizing_status;

typedef struct sizing_result {
    double qty;
    char qty_text[SIZING_TEXT_LEN]; /* with exactly the step's decimals */
    double entry, sl, tp;           /* on the tick (rule 2) */
    char entry_text[SIZING_TEXT_LEN], sl_text[SIZING_TEXT_LEN], tp_text[SIZING_TEXT_LEN];
    double rr;            /* after rounding */
    double liq_price;     /* rule 6 */
    double notional;      /* qty * entry */
    double margin;        /* notional / leverage */
    double cost_per_unit; /* rule 3 */
    double loss_at_stop;  /* qty * (|entry - sl| + cost_per_unit) */
    const char *cap;      /* what bound qty: "risk", "balance", "max_notional", "max_qty" */
    char reason[SIZING_REASON_LEN]; /* "" when SIZING_OK */
} sizing_result;

/* Numbers of a refusal are kept as far as they were computed (NAN else). */
sizing_status sizing_make(const sizing_input *in, const sizing_params *p, sizing_result *out);

typedef struct sizing_legs {
    double sl, tp;
    char sl_text[SIZING_TEXT_LEN], tp_text[SIZING_TEXT_LEN];
    char reason[SIZING_REASON_LEN]; /* "" when SIZING_OK */
} sizing_legs;

/* The legs for a position of qty filled at fill_price, at the distances
 * sl_distance, tp_distance (> 0) from it. SIZING_BAD_INPUT for impossible
 * inputs, SIZING_LEVELS when a leg rounds onto the fill or below 0,
 * SIZING_EXCHANGE when a leg fails sr_check_order. */
sizing_status sizing_legs_from_fill(direction dir, double fill_price, double qty,
                                    double sl_distance, double tp_distance,
                                    const symbol_rules *rules, sizing_legs *out);

#endif
