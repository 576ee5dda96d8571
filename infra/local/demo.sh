#!/usr/bin/env bash
# make demo: the local gateway and scheduler, with every function pointed at
# the Binance-compatible replay server over the real data bundled in
# tests/data/binance (time-shifted so the newest candle is forming now).
# No network needed. Ctrl-C (or SIGTERM) stops everything and exits 0.
#
# DEMO_EXECUTE=true: the whole execution loop instead, still offline. The
# fake exchange also keeps a futures account (tests/fakes/accounts/demo.json,
# whose keys the functions get), EXECUTE_TRADES=true, the built-in predictor,
# a fresh journal in a temporary folder, no schedule (the tour triggers the
# runs, so every step shows), and infra/local/demo_tour.sh walks through one
# trade: entry with its stop and take-profit, a mark-price path through the
# take-profit, the next run's reconcile, /api/overview and /api/trades.
# Determinism: the replay shows the last day of its data at today's time of
# day, where the model is mostly FLAT; so the data is cut (real candles, none
# changed) to end on the day whose same time of day the signal scorer of the same
# decision code finds risk_ok (demo_pick_moment below). Knobs: DEMO_TOUR=false
# (serve only), DEMO_LOG (the gateway's log file), DEMO_TRADER_TOKEN,
# DEMO_STEP_MS (the path's pace), DEMO_TOUR_OUT (a folder for the raw answers).
# DEMO_EXECUTE=paper: the same moment with EXECUTE_TRADES=paper: no key, the
# orders go to the paper account (the simulated exchange on the replay's
# market, kept in the journal), and the tour shows it.
#
# Stopping is this script's job: the gateway and the replay server run in
# the background, where they ignore the terminal's SIGINT (a shell starts
# background commands with SIGINT ignored, and both keep it so), and on
# SIGINT or SIGTERM the script stops the gateway first (it retires its
# function processes, which may be talking to the replay server), then the
# replay server, waits for each and removes its temporary folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PORT=${PORT:-8080}
tmp=$(mktemp -d)
replay="" gateway="" tour="" telegram=""

# stop VAR: SIGTERM to the process whose pid VAR holds, then its exit status
# (both servers exit 0 on SIGTERM); VAR is emptied, so it is stopped once.
# A SIGTERM sent to the whole process group reaches the servers too, so the
# process may have ended already: kill then fails (no such process), and
# wait still gives its status.
stop() {
  local pid=${!1}
  printf -v "$1" '%s' ""
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || :
  wait "$pid"
}

# on every exit: whatever still runs is stopped, in order; a server that
# fails to stop cleanly (e.g. a sanitizer's report) makes the status 1
cleanup() {
  local rc=$?
  [ -z "$tour" ] || { kill -TERM "$tour" 2>/dev/null; wait "$tour" 2>/dev/null; } || :
  stop gateway || rc=1
  stop replay || rc=1
  stop telegram || rc=1
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
# Ctrl-C or SIGTERM is how the demo is meant to end: a success
trap 'exit 0' INT TERM

if [ "${DEMO_EXECUTE:-false}" = true ] || [ "${DEMO_EXECUTE:-false}" = paper ]; then
  # shellcheck source=infra/local/demo_execute.sh
  . infra/local/demo_execute.sh # defines demo_execute, which ends the script
  demo_execute "$@"
fi

"$BUILD/bin/fake_binance" --port 0 --port-file "$tmp/replay.port" --data tests/data/binance \
  >"$tmp/replay.log" 2>&1 &
replay=$!
for _ in $(seq 1 200); do [ -s "$tmp/replay.port" ] && break; sleep 0.05; done
[ -s "$tmp/replay.port" ] || { echo "demo: the replay server did not start:" >&2; cat "$tmp/replay.log" >&2; exit 1; }
replay_url="http://127.0.0.1:$(cat "$tmp/replay.port")"

cat >&2 <<MSG
demo: Binance replay at $replay_url (bundled real data); gateway on 127.0.0.1:$PORT. Try:
  curl 'localhost:$PORT/api/candles?symbol=BTCUSDT&tf=1h&limit=3'
  curl 'localhost:$PORT/api/orderbook?symbol=BTCUSDT&limit=5'
  curl 'localhost:$PORT/health'
  curl 'localhost:$PORT/api/signals/latest?symbol=BTCUSDT'
  curl -X POST 'localhost:$PORT/tasks/trader'
  curl 'localhost:$PORT/api/signals?limit=5'
MSG
export BINANCE_FAPI_BASE="$replay_url" PORT
# In the background and waited for, not in the foreground: bash runs a trap
# only once its foreground command has ended, so a SIGTERM to this script
# alone (make passes its own on to its recipe only) would otherwise leave the
# gateway running. A gateway that ends by itself (a port in use) ends the
# demo with its status.
"$BUILD/bin/gateway" --functions-dir "$BUILD" "$@" &
gateway=$!
status=0
wait "$gateway" || status=$?
gateway=""
exit "$status"
