#!/usr/bin/env bash
# make demo: the local gateway and scheduler, with every function pointed at
# the Binance-compatible replay server over the real data bundled in
# tests/data/binance (time-shifted so the newest candle is forming now).
# No network needed. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PORT=${PORT:-8080}
REPLAY_PORT=${REPLAY_PORT:-8099}

"$BUILD/bin/fake_binance" --port "$REPLAY_PORT" --data tests/data/binance &
replay=$!
trap 'kill $replay 2>/dev/null; wait $replay 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$REPLAY_PORT") 2>/dev/null && break
  sleep 0.05
done

cat >&2 <<MSG
demo: replaying bundled Binance data on 127.0.0.1:$REPLAY_PORT; gateway on 127.0.0.1:$PORT
  curl 'localhost:$PORT/api/candles?symbol=BTCUSDT&tf=1h&limit=3'
  curl 'localhost:$PORT/api/orderbook?symbol=BTCUSDT&limit=5'
  curl 'localhost:$PORT/health'
MSG
export BINANCE_FAPI_BASE="http://127.0.0.1:$REPLAY_PORT" PORT
"$BUILD/bin/gateway" --functions-dir "$BUILD" "$@"
