#!/usr/bin/env bash
# make run: the local gateway and scheduler against the configured Binance
# (BINANCE_FAPI_BASE, or the testnet with BINANCE_USE_TESTNET=true).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
exec "$BUILD/bin/gateway" --functions-dir "$BUILD" "$@"
