#!/usr/bin/env bash
# demo_tour.sh: one trade through the whole execution loop, step by step,
# against a gateway running with EXECUTE_TRADES=true over the fake exchange
# (started by DEMO_EXECUTE=true make demo, infra/local/demo_execute.sh):
#   1. a trader run over HTTP (POST + X-Trader-Token): the entry, then its
#      stop and take-profit as algo orders;
#   2. /api/overview: the position and its two legs;
#   3. a mark-price path (the fake's /__fake/account/mark, one point every
#      DEMO_STEP_MS) from the entry to the take-profit: it fires, the
#      stop stays behind (the legs are not linked);
#   4. the next trader run: reconcile cancels that orphan stop and journals
#      the fills with their PnL and fees;
#   5. /api/trades and /api/overview show the result;
#   6. the operator's chat: the alerts each run delivered at its end;
#   7. /status sent from the chat (the fake Telegram server posts the Update
#      to the webhook the demo registered): the bot's answer.
# With DEMO_MODE=paper (DEMO_EXECUTE=paper make demo: EXECUTE_TRADES=paper,
# no key, the account in the journal) steps 1 and 2 are the same; then a
# second run right away leaves the bracket as it stands (its legs trigger on
# the real 5m candles, which this tour does not wait for), and the
# overview, /api/trades and the chat show the paper account (tour_paper).
# Environment: DEMO_GW, DEMO_FAKE, DEMO_TELEGRAM (base URLs), DEMO_SYMBOL, TRADER_TOKEN;
# DEMO_STEP_MS (default 700); DEMO_TOUR_OUT: a folder to keep every raw
# answer in (run1.json, overview1.json, account1.json, account2.json,
# run2.json, trades.csv, overview2.json, account3.json, telegram.json,
# update.json, telegram2.json). Needs curl and jq.
# Exit status 0 when every step went as described, else 1 (with why).
set -euo pipefail
: "${DEMO_GW:?}" "${DEMO_FAKE:?}" "${DEMO_TELEGRAM:?}" "${DEMO_SYMBOL:?}" "${TRADER_TOKEN:?}"
STEP_MS=${DEMO_STEP_MS:-700}
out=${DEMO_TOUR_OUT:-}
if [ -z "$out" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
sym=$DEMO_SYMBOL

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
cmd() { printf '$ %s\n' "$*"; }
fail() {
  echo "demo_tour: $*" >&2
  exit 1
}
trader() { curl -sS --max-time 40 -X POST -H "X-Trader-Token: $TRADER_TOKEN" "$DEMO_GW/tasks/trader"; }
account() { curl -sS --max-time 10 "$DEMO_FAKE/__fake/account"; }

# trades_and_overview JQ: /api/trades (trades.csv) and /api/overview
# (overview2.json), the overview shown through JQ
trades_and_overview() {
  cmd "curl $DEMO_GW/api/trades"
  curl -sS --max-time 30 "$DEMO_GW/api/trades" | tr -d '\r' >"$out/trades.csv"
  cat "$out/trades.csv"
  cmd "curl $DEMO_GW/api/overview"
  curl -sS --max-time 30 "$DEMO_GW/api/overview" >"$out/overview2.json"
  jq -c "$1" "$out/overview2.json"
}

# the paper tour's end: the account lives in the journal, and every answer says paper
tour_paper() {
  say "3. the next trader run, right away: the paper account is derived from the journal again"
  cmd "curl -X POST $DEMO_GW/tasks/trader"
  trader >"$out/run2.json"
  jq -c '{account: .run.account, symbols: [.run.symbols[] | {symbol, step, status}], actions: .run.actions}' "$out/run2.json"
  [ "$(jq -r '.run.symbols[0].step' "$out/run2.json")" != executed ] || fail "the second run entered again"
  echo "the paper ledger (append-only records in the journal):"
  find "$DEMO_JOURNAL/paper/ledger/events" -name '*.json' -printf '%P\n' 2>/dev/null | sort | head -8

  say "4. the trades journal and the overview: the paper account"
  trades_and_overview '{account, positions: [.positions[] | {symbol, side, size, entry_price}], algo_orders: [.symbols[].algo_orders[] | .type], balances: [.balances[] | {asset, balance}]}'
  [ "$(jq -r '.account' "$out/overview2.json")" = paper ] || fail "the overview does not say paper"

  say "5. the operator's chat: the entry's alert, marked paper"
  curl -sS --max-time 10 "$DEMO_TELEGRAM/__fake/messages" >"$out/telegram.json"
  jq -r '.messages[] | "--- message \(.message_id) to chat \(.chat_id)\n\(.text)"' "$out/telegram.json"
  echo
  echo "demo_tour: done: opened and protected on the paper account, derived again, journaled, alerted"
  exit 0
}

say "1. a trader run with EXECUTE_TRADES=${DEMO_MODE:-true}: decide, enter, protect"
cmd "curl -X POST -H 'X-Trader-Token: \$TRADER_TOKEN' $DEMO_GW/tasks/trader"
trader >"$out/run1.json"
jq -c '.decisions[] | {symbol, direction, prob, entry, tp, sl, rr, risk_ok}' "$out/run1.json"
jq -c '.run.symbols[] | {symbol, step, status, exec}' "$out/run1.json"
[ "$(jq -r '.run.symbols[0].exec.outcome // empty' "$out/run1.json")" = protected ] ||
  fail "the first run did not open a protected position: $(jq -c '.run.symbols' "$out/run1.json")"

say "2. the overview: the position and its stop and take-profit (algo orders on the exchange)"
cmd "curl $DEMO_GW/api/overview"
curl -sS --max-time 30 "$DEMO_GW/api/overview" >"$out/overview1.json"
jq -c '.positions[] | {symbol, side, size, entry_price, mark_price, liquidation_price, leverage, margin_type}' \
  "$out/overview1.json"
jq -c '.symbols[].algo_orders[] | {client_id, type, side, trigger_price, quantity, reduce_only, status}' \
  "$out/overview1.json"
[ "${DEMO_MODE:-true}" = paper ] && tour_paper

# the path: from the position's entry to the take-profit's trigger in 6
# steps (on the trigger's tick), so it fills there, as planned
account >"$out/account1.json"
read -r side entry tp < <(jq -r --arg s "$sym" '
  ([.positions[] | select(.symbol == $s)][0]) as $p
  | ([.algoOrders[] | select(.symbol == $s and .orderType == "TAKE_PROFIT_MARKET" and .algoStatus == "NEW")][0]) as $t
  | "\(if ($p.positionAmt | tonumber) < 0 then "SHORT" else "LONG" end) \($p.entryPrice) \($t.triggerPrice)"' \
  "$out/account1.json")
path=$(awk -v e="$entry" -v t="$tp" 'BEGIN {
  n = split(t, parts, "."); d = (n > 1) ? length(parts[2]) : 0
  fmt = "%s\"%." d "f\""
  printf "["; for (i = 0; i <= 6; i++) printf fmt, (i ? "," : ""), (i == 6) ? t : e + (t - e) * i / 6; printf "]" }')
say "3. the market moves: the fake exchange's mark price walks from the entry to the take-profit"
cmd "curl -X POST $DEMO_FAKE/__fake/account/mark -d '{\"symbol\":\"$sym\",\"path\":$path,\"step_ms\":$STEP_MS}'"
echo "($side position entered at $entry, take-profit trigger $tp)"
curl -sS --max-time 10 -X POST "$DEMO_FAKE/__fake/account/mark" \
  -d "{\"symbol\":\"$sym\",\"path\":$path,\"step_ms\":$STEP_MS}" >/dev/null
for _ in $(seq 1 $((STEP_MS * 10 / 100 + 50))); do
  account >"$out/account2.json"
  [ "$(jq --arg s "$sym" '[.positions[] | select(.symbol == $s)] | length' "$out/account2.json")" -eq 0 ] && break
  sleep 0.1
done
[ "$(jq --arg s "$sym" '[.positions[] | select(.symbol == $s)] | length' "$out/account2.json")" -eq 0 ] ||
  fail "the take-profit did not fire: $(jq -c '.algoOrders' "$out/account2.json")"
echo "the take-profit fired; on the exchange now (the stop is left behind: the legs are not linked):"
jq -c --arg s "$sym" '.algoOrders[] | select(.symbol == $s) | {clientAlgoId, orderType, algoStatus, triggerPrice, executedQty, avgPrice}' \
  "$out/account2.json"

say "4. the next trader run: reconcile cancels the orphan stop and journals the trade"
cmd "curl -X POST -H 'X-Trader-Token: \$TRADER_TOKEN' $DEMO_GW/tasks/trader"
trader >"$out/run2.json"
jq -c '.run.actions[]' "$out/run2.json"
jq -c '.run.symbols[] | {symbol, step, status}' "$out/run2.json"

say "5. the trades journal and the overview"
trades_and_overview '{positions, algo_orders: [.symbols[].algo_orders[]], pnl_today, balances: [.balances[] | {asset, balance}], last_run: (.last_run | {outcome, actions})}'
account >"$out/account3.json"
left=$(jq --arg s "$sym" '[.algoOrders[] | select(.symbol == $s and .algoStatus == "NEW")] | length' "$out/account3.json")
[ "$left" -eq 0 ] || fail "$left algo orders still open after the reconcile"

say "6. the operator's chat: each run's alerts, sent at its end (the fake Telegram server's record)"
cmd "curl $DEMO_TELEGRAM/__fake/messages"
curl -sS --max-time 10 "$DEMO_TELEGRAM/__fake/messages" >"$out/telegram.json"
jq -r '.messages[] | "--- message \(.message_id) to chat \(.chat_id)\n\(.text)"' "$out/telegram.json"
[ "$(jq '.messages | length' "$out/telegram.json")" -ge 2 ] || fail "the chat got $(jq '.messages | length' "$out/telegram.json") messages, want the entry's and the exit's"

say "7. the owner asks: /status in the chat reaches the telegram function through its webhook"
cmd "curl -X POST $DEMO_TELEGRAM/__fake/update -d '{\"text\":\"/status\"}'   # the fake posts the Update, as Telegram does"
curl -sS --max-time 30 -X POST "$DEMO_TELEGRAM/__fake/update" -d '{"text":"/status"}' >"$out/update.json"
jq -c '{update_id, webhook_status: .status}' "$out/update.json"
[ "$(jq .status "$out/update.json")" = 200 ] || fail "the webhook answered $(jq -c . "$out/update.json")"
curl -sS --max-time 10 "$DEMO_TELEGRAM/__fake/messages" >"$out/telegram2.json"
echo "the bot's answer:"
jq -r '.messages[-1].text' "$out/telegram2.json"
echo
echo "demo_tour: done: opened, protected, closed by its take-profit, reconciled, journaled, alerted, asked"
