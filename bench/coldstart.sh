#!/usr/bin/env bash
# bench/coldstart.sh [BUILD]: the cold start of the static candles bootstrap
# beside the same function on Debian's shared libcurl (build/syscurl, `make
# LIBCURL=system`) and a plain C loop over the Runtime API (bench/floor_fn.c,
# the floor), interleaved round by round (COLD_ROUNDS, default 200); then
# spawn -> the first answer that needed an HTTPS request (candles, its
# Binance request to a local TLS server; HTTPS_ROUNDS, default 40), with the
# shipped hashed CA directory and with Debian's PEM bundle. `make bench-cold`
# builds what it needs and runs it; `make bench` runs it too.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SYS=build/syscurl/candles/bootstrap
for f in "$BUILD/bench/bench_runtime" "$BUILD/bench/floor_fn" "$BUILD/candles/bootstrap" "$SYS" "$BUILD/bin/invoke" \
         "$BUILD/bin/fake_binance" build/certs/ok; do
  [ -e "$f" ] || { echo "coldstart: no $f (make bench-cold builds it)"; exit 1; }
done
tmp=$(mktemp -d)
# the functions' journal on tmpfs: an fsync on a shared disk would swamp what is measured
jdir=$(mktemp -d /dev/shm/coldstart-journal.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp" "$jdir"' EXIT
"$BUILD/bin/invoke" --print-event --http GET /health candles >"$tmp/health.json"

echo "## Cold start (GET /health): static bootstrap beside Debian's shared libcurl and the floor"
env -u SSL_CERT_FILE -u SSL_CERT_DIR TZ=UTC LOG_DIR="$jdir" "$BUILD/bench/bench_runtime" --compare "$tmp/health.json" "${COLD_ROUNDS:-200}" \
  "floor=$BUILD/bench/floor_fn" "static=$BUILD/candles/bootstrap" "debian-libcurl=$SYS"
echo
# The HTTPS server: openssl s_server, one process with its certificate loaded
# once, serving (-WWW) the klines answer fake_binance gives for that request,
# taken as a file (socat's fork and TLS set-up per connection would swamp
# the client's share). The environment's SSL_CERT_FILE/SSL_CERT_DIR (set on
# some machines) would add a CA location to every row: unset here.
. tests/package/tls_front.sh
"$BUILD/bin/fake_binance" --port 0 --port-file "$tmp/fake.port" --data tests/data/binance >"$tmp/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/fake.port" ] && break; sleep 0.05; done
klines='fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=4' # what /api/candles?...&limit=3 asks
mkdir -p "$tmp/www/fapi/v1"
curl -sf "http://127.0.0.1:$(cat "$tmp/fake.port")/$klines" >"$tmp/www/$klines"
kill "$fake_pid" 2>/dev/null
https_port=$((20000 + RANDOM % 20000))
if [ -s "$tmp/www/$klines" ] && tls_make_ca "$tmp/tls" &&
   "$BUILD/bin/invoke" --print-event --http GET '/api/candles?symbol=BTCUSDT&tf=1h&limit=3' candles \
     >"$tmp/candles.json"; then
  (cd "$tmp/www" && exec openssl s_server -quiet -accept "127.0.0.1:$https_port" -cert ../tls/server.pem \
     -key ../tls/server.key -WWW >"$tmp/s_server.log" 2>&1) &
  server_pid=$!
  sleep 0.5
  mkdir -p "$tmp/capath" && cp build/certs/*.[0-9] "$tmp/capath/" && cp "$tmp/tls/ca.pem" "$tmp/capath/$TLS_CA_NAME"
  cat /etc/ssl/certs/ca-certificates.crt "$tmp/tls/ca.pem" >"$tmp/bundle.pem"
  echo "## First HTTPS answer: spawn -> candles answered, its Binance request over TLS to 127.0.0.1"
  echo "## (certs/ = the zip's hashed directory, $(ls "$tmp/capath" | wc -l) files; bundle = Debian's PEM bundle)"
  env -u SSL_CERT_FILE -u SSL_CERT_DIR TZ=UTC LOG_DIR="$jdir" BINANCE_FAPI_BASE="https://127.0.0.1:$https_port" \
    "$BUILD/bench/bench_runtime" --compare "$tmp/candles.json" "${HTTPS_ROUNDS:-40}" \
    "static-certs=$BUILD/candles/bootstrap,HTTP_CA_PATH=$tmp/capath" \
    "static-bundle=$BUILD/candles/bootstrap,HTTP_CA_FILE=$tmp/bundle.pem" \
    "debian-bundle=$SYS,HTTP_CA_FILE=$tmp/bundle.pem"
  kill "$server_pid" 2>/dev/null
else
  echo "(no HTTPS server: $(tail -1 "$tmp/tls/openssl.log" 2>/dev/null))"
fi
wait 2>/dev/null
echo
if ls build/package/*.zip >/dev/null 2>&1; then
  echo "## Zips (make package): bytes"
  for z in build/package/*.zip; do printf '%-12s %10s\n' "$(basename "$z" .zip)" "$(stat -c %s "$z")"; done
  echo
fi
