# shellcheck shell=bash disable=SC2154,SC2034 # tmp, BUILD, PORT, replay, gateway, tour: demo.sh's
# The execution half of infra/local/demo.sh (DEMO_EXECUTE=true), sourced by
# it: uses its tmp, BUILD, PORT and stop, and sets its replay, gateway and
# tour variables, which its cleanup stops. demo_execute never returns.
#
# The replay (tests/fakes/README.md) serves the last 24 h of its data at
# today's time of day (it shifts the data by whole days), and at most of
# those moments the built-in model says FLAT: no trade to show. So the demo
# serves a copy of tests/data/binance cut to end on an earlier day: the
# candles are the real ones, none changed, only the later ones left out, and
# the day is the one where, at today's time of day, the same decision code
# (build/bin/signal_score runs domain/decide, with this configuration) finds a
# decision worth an entry. demo_pick_moment chooses it.

DEMO_DATA=tests/data/binance
DEMO_ACCOUNT=tests/fakes/accounts/demo.json
DEMO_DAY_MS=86400000
DEMO_M5_MS=300000

demo_now_ms() { echo $(($(date +%s%N) / 1000000)); }

# demo_data_bounds: "FIRST END" of the bundled 5m data over both symbols:
# the latest first candle and the earliest end (last open + 5 minutes)
demo_data_bounds() {
  local f first=0 end=0 a b
  for f in "$DEMO_DATA"/klines/*-5m.csv; do
    read -r a b < <(awk -F, 'NR == 2 { f = $1 } NR > 1 { l = $1 } END { printf "%.0f %.0f\n", f, l + 300000 }' "$f")
    [ "$a" -gt "$first" ] && first=$a
    { [ "$end" -eq 0 ] || [ "$b" -lt "$end" ]; } && end=$b
  done
  echo "$first $end"
}

# demo_pick_moment NOW_MS: "SYMBOL SLOT_MS DIRECTION" lines, best first, of
# the 5-minute slots of the data at NOW_MS's time of day where the
# signal scorer's decision is risk_ok, whose cut (the slot plus 30 minutes) still
# leaves the replay a whole day of data behind it; preferring one whose next
# slot is not risk_ok (a run in the next slot then enters nothing new), then
# the latest. Nothing printed when no day has one. The scorer decides on
# the candle's close; the live run also sees the forming candle's price (the
# order book's mid), which can move the levels: demo_execute checks each
# candidate with the live decision code before taking it.
demo_pick_moment() {
  local first end
  read -r first end < <(demo_data_bounds)
  "$BUILD/bin/signal_score" --dir "$DEMO_DATA/klines" --symbol BTCUSDT --symbol ETHUSDT --step 5m --csv |
    awk -F, -v now="$1" -v first="$first" -v end="$end" -v day="$DEMO_DAY_MS" -v m5="$DEMO_M5_MS" '
      NR == 1 { next }
      { s = $2 + 1; ok[$1 "," s] = ($9 == 1); if ($9 == 1) { n++; sym[n] = $1; at[n] = s; dir[n] = $3 } }
      END {
        slot = now % day; slot -= slot % m5
        min_end = first - first % day + 2 * day # the replay window starts a whole day after the data
        for (i = 1; i <= n; i++) {
          s = at[i]
          if (s % day != slot || s + 1800000 > end || s + 1800000 < min_end) continue
          pref = ok[sym[i] "," (s + m5)] ? 0 : 1
          printf "%d %.0f %s %.0f %s\n", pref, s, sym[i], s, dir[i]
        }
      }' | sort -k1,1nr -k2,2nr | cut -d' ' -f3-
}

# demo_start_replay SLOT: the fake exchange on the data cut at SLOT + 30
# minutes (sets replay and fake)
demo_start_replay() {
  rm -rf "$tmp/data" "$tmp/replay.port"
  demo_cut_data "$tmp/data" "$(($1 + 1800000))"
  "$BUILD/bin/fake_binance" --port 0 --port-file "$tmp/replay.port" --data "$tmp/data" \
    --account "$DEMO_ACCOUNT" >"$tmp/replay.log" 2>&1 &
  replay=$!
  for _ in $(seq 1 200); do [ -s "$tmp/replay.port" ] && break; sleep 0.05; done
  [ -s "$tmp/replay.port" ] || { echo "demo: the fake exchange did not start:" >&2; cat "$tmp/replay.log" >&2; exit 1; }
  fake="http://127.0.0.1:$(cat "$tmp/replay.port")"
}

# demo_live_decision SYMBOL: 0 when the signals function, on the replay,
# decides risk_ok LONG or SHORT for SYMBOL now, with a reward/risk 5 % above
# RR_MIN (a scratch journal)
demo_live_decision() {
  local out
  out=$(BINANCE_FAPI_BASE=$fake SYMBOLS=$1 PREDICTOR=builtin EXECUTE_TRADES=false \
    LOG_DIR="$tmp/probe" JOURNAL_URL="file://$tmp/probe" \
    "$BUILD/bin/invoke" --functions-dir "$BUILD" --http GET "/api/signals/latest?symbol=$1" signals \
    2>/dev/null) || return 1
  # with 5 % to spare on RR_MIN: the price moves a little before the tour's run
  jq -r .body <<<"$out" | jq -e --argjson min "${RR_MIN:-1.2}" \
    '.risk_ok == true and (.direction == "LONG" or .direction == "SHORT") and .rr >= 1.05 * $min' >/dev/null
}

# demo_cut_data DIR END_MS: DIR becomes a copy of the bundled data whose
# candles all closed by END_MS (the klines cut, the other files linked)
demo_cut_data() {
  local dir=$1 end=$2 f tf iv
  mkdir -p "$dir/klines"
  ln -s "$PWD/$DEMO_DATA/exchangeInfo.json" "$PWD/$DEMO_DATA/depth" "$PWD/$DEMO_DATA/funding" "$dir/"
  for f in "$DEMO_DATA"/klines/*.csv; do
    tf=${f##*-}
    tf=${tf%.csv}
    case "$tf" in 5m) iv=300000 ;; 1h) iv=3600000 ;; 4h) iv=14400000 ;; 1d) iv=86400000 ;; *) continue ;; esac
    awk -F, -v end="$end" -v iv="$iv" 'NR == 1 || $1 + iv <= end' "$f" >"$dir/klines/${f##*/}"
  done
}

demo_execute() {
  # the two trader runs of the tour should fall in one 5-minute slot (the
  # decision candle): with under 20 s left of this one, wait for the next
  local now left
  now=$(demo_now_ms)
  left=$((DEMO_M5_MS - now % DEMO_M5_MS))
  if [ "$left" -lt 20000 ]; then
    echo "demo: waiting $(((left + 999) / 1000)) s for the next 5-minute candle" >&2
    sleep "$(((left + 999) / 1000))"
    now=$(demo_now_ms)
  fi
  local symbol="" slot direction s t d fake="" tried=0
  while read -r s t d; do
    tried=$((tried + 1))
    demo_start_replay "$t"
    if demo_live_decision "$s"; then
      symbol=$s slot=$t direction=$d
      break
    fi
    stop replay || :
  done < <(demo_pick_moment "$now" | head -12)
  rm -rf "$tmp/probe"
  if [ -z "$symbol" ]; then
    echo "demo: no day of the bundled data has a decision worth an entry at this time of day ($tried tried)" >&2
    exit 1
  fi

  # the gateway's port: from the caller's --port-file, else from ours
  local a prev="" port_file=""
  for a in "$@"; do
    [ "$prev" = --port-file ] && port_file=$a
    prev=$a
  done
  if [ -z "$port_file" ]; then
    port_file="$tmp/gateway.port"
    set -- "$@" --port-file "$port_file"
  fi
  rm -f "$port_file"

  # the operator's chat: the tests' fake Telegram server, which keeps every
  # message the functions send (GET /__fake/messages)
  "$BUILD/bin/fake_telegram" --port 0 --port-file "$tmp/telegram.port" >"$tmp/telegram.log" 2>&1 &
  telegram=$!
  for _ in $(seq 1 200); do [ -s "$tmp/telegram.port" ] && break; sleep 0.05; done
  [ -s "$tmp/telegram.port" ] || { echo "demo: the fake Telegram server did not start:" >&2; cat "$tmp/telegram.log" >&2; exit 1; }
  local tg
  tg="http://127.0.0.1:$(cat "$tmp/telegram.port")"
  export TELEGRAM_BASE_URL="$tg" TELEGRAM_BOT_TOKEN="123456:fake-telegram-token" TELEGRAM_CHAT_ID=4242
  export TELEGRAM_WEBHOOK_SECRET=${DEMO_WEBHOOK_SECRET:-demo-webhook-secret-change-me}

  local log=${DEMO_LOG:-$tmp/gateway.log} mode=${DEMO_EXECUTE:-true} account
  export BINANCE_FAPI_BASE="$fake" BINANCE_USE_TESTNET=false PORT
  if [ "$mode" = paper ]; then
    # no key: the paper account is the simulated exchange's, kept in the journal
    account="the paper account: PAPER_BALANCE=${PAPER_BALANCE:-10000} USDT, kept in $tmp/journal/paper"
  else
    BINANCE_API_KEY=$(sed -n 's/.*"api_key": *"\([^"]*\)".*/\1/p' "$DEMO_ACCOUNT")
    BINANCE_API_SECRET=$(sed -n 's/.*"api_secret": *"\([^"]*\)".*/\1/p' "$DEMO_ACCOUNT")
    export BINANCE_API_KEY BINANCE_API_SECRET
    account="account $DEMO_ACCOUNT: 10000 USDT, ${symbol} at leverage 5, ISOLATED"
  fi
  export EXECUTE_TRADES=$mode TRADER_TOKEN=${DEMO_TRADER_TOKEN:-demo-trader-token-change-me}
  export PREDICTOR=builtin SYMBOLS="$symbol" LOG_DIR="$tmp/journal" JOURNAL_URL="file://$tmp/journal"
  cat >&2 <<MSG
demo: EXECUTE_TRADES=$mode against the offline fake exchange at $fake
      ($account).
demo: the market: the bundled candles of $(date -u -d "@$((slot / 1000))" '+%F %H:%M') UTC replayed as now (the later
      ones left out); the built-in model's decision for ${symbol} there: ${direction}.
demo: journal $tmp/journal, gateway log $log, no schedule (the tour triggers the runs);
      alerts go to the fake Telegram server at $tg (chat 4242).
MSG
  # In the background, as in the plain demo: see there.
  "$BUILD/bin/gateway" --functions-dir "$BUILD" --no-scheduler "$@" >>"$log" 2>&1 &
  gateway=$!
  for _ in $(seq 1 200); do [ -s "$port_file" ] && break; sleep 0.05; done
  [ -s "$port_file" ] || { echo "demo: the gateway did not start:" >&2; tail -20 "$log" >&2; exit 1; }
  local gw
  gw="http://127.0.0.1:$(cat "$port_file")"
  # the chat's commands reach the telegram function through the gateway
  infra/telegram_webhook.sh set "$gw/telegram/webhook" >/dev/null ||
    { echo "demo: the webhook could not be registered with the fake Telegram server" >&2; exit 1; }

  if [ "${DEMO_TOUR:-true}" = true ]; then
    DEMO_GW=$gw DEMO_FAKE=$fake DEMO_TELEGRAM=$tg DEMO_SYMBOL=$symbol DEMO_MODE=$mode \
      DEMO_JOURNAL="$tmp/journal" infra/local/demo_tour.sh &
    tour=$!
    local status=0
    wait "$tour" || status=$?
    tour=""
    [ "$status" -eq 0 ] || echo "demo: the tour failed (status $status); the gateway log: $log" >&2
  fi
  cat >&2 <<MSG
demo: still serving on $gw (fake exchange $fake); Ctrl-C stops it. Try:
  curl -s $gw/api/overview | jq .
  curl -s $gw/api/trades
  curl -s -X POST -H 'X-Trader-Token: $TRADER_TOKEN' $gw/tasks/trader | jq .run
  $([ "$mode" = paper ] && echo "ls $tmp/journal/paper/ledger/events/*   # the paper account's records" ||
    echo "curl -s $fake/__fake/account | jq '{positions, algoOrders}'")
  curl -s $tg/__fake/messages | jq -r '.messages[].text'
  curl -s -X POST $tg/__fake/update -d '{"text":"/positions"}'   # a command from the chat
MSG
  local status=0
  wait "$gateway" || status=$?
  gateway=""
  exit "$status"
}
