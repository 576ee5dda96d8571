#!/usr/bin/env bash
# shellcheck disable=SC2016 # the jq programs and bash -c bodies are single-quoted on purpose
# The execute demo (DEMO_EXECUTE=true make demo) does what the README says,
# headless, against the build under test: infra/local/demo.sh with
# DEMO_EXECUTE=true starts the fake exchange with the demo account and the
# gateway with EXECUTE_TRADES=true, and its tour (infra/local/demo_tour.sh)
# keeps every raw answer; through the local gateway and the fake's control
# API this checks that the first run opens a position (the decision's side)
# and protects it (exactly one stop and one take-profit algo order, reduce
# only, with the position's size), that the take-profit fires on the mark
# path, that the next run reconciles (cancels the orphan stop, enters
# nothing new, leaves no open algo order), journals (a trade record per
# fill, with net_pnl = realized_pnl - fee), that /api/trades and
# /api/overview show it (no position, no leg, the day's PnL = the trades'),
# and that SIGTERM then stops everything quietly (exit 0, no process left,
# no ERROR or sanitizer line, the temporary folder removed). Bound: 60 s.
# With "paper" (DEMO_EXECUTE=paper: EXECUTE_TRADES=paper, no key): the
# first run opens and protects the position on the paper account (its
# records in the journal's paper ledger, nothing on the fake's account),
# the next run derives it again and enters nothing new, and /api/overview,
# /api/trades and the chat show the paper account as paper.
#   tests/demo/execute.sh [build/asan] [paper]  (from the repository root)
# Last line: "demo_execute: N passed, N failed" (demo_paper with paper).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${1:-build/asan}
MODE=${2:-true}
NAME=$([ "$MODE" = paper ] && echo demo_paper || echo demo_execute)
BOUND_S=${BOUND_S:-60}
work=$(mktemp -d /tmp/demo-execute.XXXXXX)
tour="$work/tour"
mkdir -p "$work/tmp" "$tour"
passed=0 failed=0 failing=()
t0=$(date +%s)

# check NAME CONDITION-COMMAND...: one check, its output kept when it fails
check() {
  local name=$1
  shift
  if "$@" >"$work/check.out" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1)) failing+=("$name")
    echo "FAIL $name: $(head -c 600 "$work/check.out")"
  fi
}
# jqt FILE FILTER [ARGS...]: true when FILTER answers true on FILE (else
# prints what it answered)
jqt() {
  local f=$1 q=$2
  shift 2
  local r
  r=$(jq -r "$@" "$q" "$f" 2>&1)
  [ "$r" = true ] || { echo "$f: $q -> $r"; return 1; }
}

# setsid: a session of its own, so every process of the demo can be found
# (and none left behind); SIGINT at its default, as a terminal leaves it
TMPDIR="$work/tmp" BUILD=$BUILD DEMO_EXECUTE=$MODE DEMO_TOUR_OUT="$tour" DEMO_LOG="$work/gateway.log" \
  DEMO_STEP_MS=300 TZ=UTC env --default-signal=INT,QUIT setsid infra/local/demo.sh --port 0 \
  --port-file "$work/port" >"$work/out" 2>&1 </dev/null &
pid=$!
while :; do
  grep -q '^demo: still serving' "$work/out" && break
  kill -0 "$pid" 2>/dev/null || break
  [ $(($(date +%s) - t0)) -lt $((BOUND_S - 10)) ] || break
  sleep 0.2
done
gw="http://127.0.0.1:$(cat "$work/port" 2>/dev/null)"

check tour_completed grep -q '^demo_tour: done' "$work/out"

# opens: the decision's side, on the exchange and in the overview
check opens jqt "$tour/run1.json" '(.decisions[0] | .risk_ok and (.direction == "LONG" or .direction == "SHORT"))
  and .run.symbols[0].step == "executed" and .run.symbols[0].exec.outcome == "protected"'
dir=$(jq -r '.decisions[0].direction' "$tour/run1.json" 2>/dev/null)
sym=$(jq -r '.decisions[0].symbol' "$tour/run1.json" 2>/dev/null)
check overview_shows_position jqt "$tour/overview1.json" \
  '[.positions[] | select(.symbol == $s and .side == $d)] | length == 1' --arg s "$sym" --arg d "$dir"

# the paper account's checks (the rest of this file is the live account's)
paper_checks() {
  check paper_protects jqt "$tour/overview1.json" '
    .account == "paper" and ([.positions[] | select(.symbol == $s)][0].size) as $q
    | [.symbols[] | select(.symbol == $s) | .algo_orders[]] as $a
    | ($a | map(.type) | sort) == ["STOP_MARKET", "TAKE_PROFIT_MARKET"]
      and all($a[]; .reduce_only == true and (.quantity | tonumber) == $q and (.client_id | startswith("atr_")))' \
    --arg s "$sym"
  check nothing_on_the_fake_account bash -c '
    curl -sS --max-time 10 "$1/__fake/account" | jq -e "(.positions | length) == 0 and (.algoOrders | length) == 0"' \
    _ "$(grep -o 'fake exchange at http://[0-9.:]*' "$work/out" | head -1 | cut -d' ' -f4)"
  journal=$(find "$work/tmp" -maxdepth 2 -type d -name journal | head -1)
  check paper_ledger_in_journal bash -c '
    e=$(find "$1/paper/ledger/events" -name "*.json" | wc -l); s=$(find "$1/paper/ledger/state" -name "*.json" | wc -l)
    [ "$e" -ge 3 ] && [ "$s" -eq "$e" ] || { echo "$e event records, $s states"; exit 1; }
    [ ! -e "$1/trades" ] || { echo "a live trades/ folder beside the paper journal"; exit 1; }' _ "$journal"
  check paper_rederived jqt "$tour/run2.json" '.run.account == "paper" and .run.symbols[0].step != "executed"'
  check paper_overview_after jqt "$tour/overview2.json" '
    .account == "paper" and ([.positions[] | select(.symbol == $s and .side == $d)] | length) == 1
    and ([.symbols[].algo_orders[]] | length) == 2 and .errors == []' --arg s "$sym" --arg d "$dir"
  # as live, a fill is journaled once its position is closed: none yet
  check paper_trades bash -c '
    head -1 "$1" | grep -q "^time,symbol,side,type,qty,price,status,order_id,client_order_id,realized_pnl,fee,fee_asset,net_pnl$" &&
    [ "$(sed 1d "$1" | wc -l)" -eq 0 ] || { cat "$1"; exit 1; }' _ "$tour/trades.csv"
  check paper_alert jqt "$tour/telegram.json" '([.messages[].text] | join("\n")) | test("\\[PAPER\\] Entry: ")'
  check overview_live bash -c 'curl -sS --max-time 20 "$1/api/overview" | jq -e ".account == \"paper\" and (.positions | length) == 1" >/dev/null' _ "$gw"
  check trades_say_paper bash -c 'curl -sS --max-time 20 -D - -o /dev/null "$1/api/trades" | grep -qi "^x-trader-account: paper"' _ "$gw"
}

if [ "$MODE" = paper ]; then
  paper_checks
else
# protects: exactly one stop and one take-profit, reduce-only, the position's
# size, closing side, this bot's ids; the overview lists both
check protects jqt "$tour/account1.json" '
  ([.positions[] | select(.symbol == $s)][0].positionAmt | ltrimstr("-")) as $q
  | ($d == "LONG" | if . then "SELL" else "BUY" end) as $close
  | [.algoOrders[] | select(.symbol == $s)] as $a
  | ($a | length) == 2
    and ([$a[] | select(.orderType == "STOP_MARKET")] | length) == 1
    and ([$a[] | select(.orderType == "TAKE_PROFIT_MARKET")] | length) == 1
    and all($a[]; .algoStatus == "NEW" and .reduceOnly == true and .quantity == $q and .side == $close
                  and .workingType == "MARK_PRICE" and (.clientAlgoId | startswith("atr_")))' \
  --arg s "$sym" --arg d "$dir"
check overview_shows_legs jqt "$tour/overview1.json" \
  '[.symbols[] | select(.symbol == $s) | .algo_orders[] | .type] | sort == ["STOP_MARKET", "TAKE_PROFIT_MARKET"]' \
  --arg s "$sym"

# the mark path fires the take-profit; the stop stays (not linked)
check take_profit_fired jqt "$tour/account2.json" '
  ([.positions[] | select(.symbol == $s)] | length) == 0
  and ([.algoOrders[] | select(.symbol == $s and .orderType == "TAKE_PROFIT_MARKET")][0].algoStatus == "FINISHED")
  and ([.algoOrders[] | select(.symbol == $s and .orderType == "STOP_MARKET")][0].algoStatus == "NEW")' \
  --arg s "$sym"

# reconciles: the next run cancels the orphan stop and enters nothing new
check reconciles_orphan_stop jqt "$tour/run2.json" '
  [.run.actions[] | select(.action == "cancel" and .outcome == "cancelled" and (.detail | endswith("_S")))] | length == 1'
check no_second_entry jqt "$tour/run2.json" '.run.symbols[0].step != "executed"'
check no_orphan_on_exchange jqt "$tour/account3.json" '
  ([.algoOrders[] | select(.symbol == $s and .algoStatus == "NEW")] | length) == 0
  and ([.positions[] | select(.symbol == $s)] | length) == 0
  and ([.algoOrders[] | select(.symbol == $s and .orderType == "STOP_MARKET")][0].algoStatus == "CANCELED")' \
  --arg s "$sym"

# journals: one trade record per fill (the entry and the take-profit), each
# with net_pnl = realized_pnl - fee (no funding on this path)
journal=$(find "$work/tmp" -maxdepth 2 -type d -name journal | head -1)
check journals_trades bash -c '
  n=$(find "$1/trades" -name "*.json" | wc -l)
  [ "$n" -eq 2 ] || { echo "$n trade records"; exit 1; }
  jq -s -e "map(select(.net_pnl != null and ((.net_pnl | tonumber) - ((.realized_pnl | tonumber) - (.fee | tonumber)) | fabs) < 1e-9))
    | length == 2 and (map(.kind) | sort) == [\"entry\", \"take_profit\"]" "$1"/trades/*/*.json' _ "$journal"

# /api/trades: the two fills, newest (the take-profit) first, net_pnl set
check api_trades bash -c '
  head -1 "$1" | grep -q "^time,symbol,side,type,qty,price,status,order_id,client_order_id,realized_pnl,fee,fee_asset,net_pnl$" &&
  [ "$(sed 1d "$1" | wc -l)" -eq 2 ] &&
  sed -n 2p "$1" | awk -F, -v s="$2" "\$2 == s && \$4 == \"TAKE_PROFIT_MARKET\" && \$7 == \"FILLED\" && \$13 != \"\" && \$10 + 0 > 0 { ok = 1 } END { exit !ok }" &&
  sed -n 3p "$1" | awk -F, -v s="$2" "\$2 == s && \$4 == \"MARKET\" && \$13 != \"\" { ok = 1 } END { exit !ok }" ||
  { cat "$1"; exit 1; }' _ "$tour/trades.csv" "$sym"

# /api/overview after the reconcile: flat, no leg, the day's PnL = the trades'
net=$(awk -F, 'NR > 1 { s += $13 } END { printf "%.8f", s }' "$tour/trades.csv" 2>/dev/null)
check overview_after jqt "$tour/overview2.json" '
  (.positions | length) == 0 and ([.symbols[].algo_orders[]] | length) == 0
  and .pnl_today.trades == 2 and ((.pnl_today.net - ($net | tonumber)) | fabs) < 1e-6
  and .last_run.outcome == "ok" and .execute_trades == true and .errors == []' --arg net "$net"
# the gateway still answers (the overview read live, not only the tour's copy)
check alerts_delivered jqt "$tour/telegram.json" '
  ([.messages[].text] | join("\n")) as $t
  | ($t | test("Entry: ")) and ($t | test("Position closed: ")) and ($t | test("realised PnL"))
  and ($t | test("fake-telegram-token") | not) and ([.messages[] | .chat_id == "4242"] | all)'
check status_via_webhook jqt "$tour/telegram2.json" '
  (.messages | length) >= 3 and (.messages[-1].text | test("(?i)status")) and
  (.messages[-1].text | test("fake-telegram-token|demo-webhook-secret") | not)'
check overview_live bash -c 'curl -sS --max-time 20 "$1/api/overview" | jq -e ".pnl_today.trades == 2 and (.positions | length) == 0" >/dev/null' _ "$gw"
fi

took=$(($(date +%s) - t0))

# stop: SIGTERM to the script; everything of its session must end
kill -TERM "$pid" 2>/dev/null
left=""
for _ in $(seq 1 100); do
  left=$(for f in /proc/[0-9]*/stat; do
    { read -r stat <"$f"; } 2>/dev/null || continue
    read -r state _ _ session _ <<<"${stat##*) }"
    [ "$session" = "$pid" ] && [ "$state" != Z ] && echo "${f//[^0-9]/}"
  done)
  [ -n "$left" ] || break
  sleep 0.05
done
for p in $left; do kill -KILL "$p" 2>/dev/null; done
wait "$pid"
rc=$?
check stops_cleanly bash -c '
  [ "$1" -eq 0 ] || { echo "exit status $1"; exit 1; }
  [ -z "$2" ] || { echo "still running: $2"; exit 1; }
  [ -z "$(ls -A "$3")" ] || { echo "temporary folder left: $(ls "$3")"; exit 1; }
  grep -q "\"event\":\"gateway.stopped\"" "$4" || { echo "no gateway.stopped"; exit 1; }
  noise=$(grep -E "\"level\":\"ERROR\"|Sanitizer|runtime error:" "$4" "$5" | head -3 | cut -c1-300)
  [ -z "$noise" ] || { echo "noise: $noise"; exit 1; }' \
  _ "$rc" "$left" "$work/tmp" "$work/gateway.log" "$work/out"
check within_bound test "$took" -lt "$BOUND_S"

echo "$NAME: $passed passed, $failed failed (tour and checks in ${took} s)"
if [ "$failed" -eq 0 ]; then rm -rf "$work"; else echo "failing: ${failing[*]} (logs in $work)"; fi
[ "$failed" -eq 0 ]
