#!/usr/bin/env bash
# make bench: release-build benchmarks, printed as tables. Medians are the
# figures to quote: these machines are shared and noisy. The soak at the end
# takes about 5 minutes (SOAK_REQUESTS=2000 for a quick one).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "## Function binaries (stripped, bytes)"
printf '%-12s %10s\n' function size
for b in "$BUILD"/*/bootstrap; do
  [ -x "$b" ] || continue
  strip -o "$tmp/s" "$b"
  printf '%-12s %10s\n' "$(basename "$(dirname "$b")")" "$(stat -c %s "$tmp/s")"
done
echo

health='{"version":"2.0","routeKey":"$default","rawPath":"/health","rawQueryString":"","headers":{},"requestContext":{"http":{"method":"GET","path":"/health"},"stage":"$default"},"isBase64Encoded":false}'
if [ -x "$BUILD/bench/bench_runtime" ] && [ -x "$BUILD/candles/bootstrap" ]; then
  echo "## Runtime: candles bootstrap answering GET /health through a minimal Runtime API"
  printf '%s' "$health" > "$tmp/health.json"
  TZ=UTC "$BUILD/bench/bench_runtime" "$BUILD/candles/bootstrap" "$tmp/health.json"
  echo
fi

# the cold start beside Debian's shared libcurl and the floor; the first HTTPS answer
bench/coldstart.sh "$BUILD"

# the S3 store figures need a server: a throwaway Ceph RGW when it is installed
if [ -x "$BUILD/bench/bench_s3" ] && command -v radosgw >/dev/null; then
  echo "## bench_s3 (signer; store against a local Ceph RGW, one node in RAM)"
  if tests/s3/rgw_up.sh "$tmp/rgw" >"$tmp/rgw.log" 2>&1; then
    S3_TEST_ENV="$tmp/rgw/s3.env" "$BUILD/bench/bench_s3"
  else
    echo "RGW did not start: $(tail -1 "$tmp/rgw.log")"; "$BUILD/bench/bench_s3"
  fi
  tests/s3/rgw_down.sh "$tmp/rgw" >/dev/null 2>&1
  echo
fi

# the trader opening brackets on 2 symbols against the fake exchange with
# 50 ms per request: cold (a new process) and warm runs, as a multiple of
# that latency (issue 9 item 17; bench/bench_trader.c)
if [ -x "$BUILD/bench/bench_trader" ] && [ -x "$BUILD/bin/fake_binance" ]; then
  echo "## bench_trader (a trader run opening 2 brackets, 50 ms added per request)"
  "$BUILD/bench/bench_trader" "$BUILD"
  echo
fi

for b in "$BUILD"/bench/bench_*; do
  [ -x "$b" ] || continue
  case "$(basename "$b")" in
    bench_runtime | bench_soak | bench_trader) continue ;;
    bench_s3) command -v radosgw >/dev/null && continue ;;
  esac
  echo "## $(basename "$b")"
  "$b"
  echo
done

# last, as it is the longest (about 5 minutes on a 2-core machine for the
# default 100,000): the gateway, its functions and the fake Binance under
# SOAK_REQUESTS requests, their RSS sampled (bench/bench_soak.c)
if [ -x "$BUILD/bench/bench_soak" ]; then
  echo "## bench_soak (SOAK_REQUESTS=${SOAK_REQUESTS:-100000} through the local gateway)"
  "$BUILD/bench/bench_soak"
  echo
fi
