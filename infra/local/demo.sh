#!/usr/bin/env bash
# make demo: the local gateway and scheduler, with every function pointed at
# the Binance-compatible replay server over the real data bundled in
# tests/data/binance (time-shifted so the newest candle is forming now).
# No network needed. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PORT=${PORT:-8080}
tmp=$(mktemp -d)
"$BUILD/bin/fake_binance" --port 0 --port-file "$tmp/replay.port" --data tests/data/binance \
  >"$tmp/replay.log" 2>&1 &
replay=$!
trap 'kill $replay 2>/dev/null; wait $replay 2>/dev/null; rm -rf "$tmp"' EXIT
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
"$BUILD/bin/gateway" --functions-dir "$BUILD" "$@"
