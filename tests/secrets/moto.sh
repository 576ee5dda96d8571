#!/usr/bin/env bash
# secrets_moto: the functions' Secrets Manager read (SECRET_ID) against
# moto_server, AWS's community mock, where it is installed (not in Debian:
# CI's machine image has it): a secret created with boto3 is read at init by
# the real trader bootstrap, its keys win over the environment (the log's
# config.secret_sources says "secret"), a missing secret stops init, and no
# value reaches the output. Without moto_server (or boto3) it says so and
# counts nothing. Usage: tests/secrets/moto.sh [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build/asan}
if ! command -v moto_server >/dev/null || ! python3 -c 'import boto3' 2>/dev/null; then
  echo "secrets_moto: skipped: moto_server or boto3 is not installed (pip install 'moto[server]')"
  echo "secrets_moto: 0 passed, 0 failed"
  exit 0
fi
work=$(mktemp -d)
moto=""
trap '[ -n "$moto" ] && kill "$moto" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -s -o /dev/null "$url" && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
KEY=MOTOSENTINELKEY-5e1f0d22 SECRET=MOTOSENTINELSECRET-81c7aa40
python3 - "$url" "$KEY" "$SECRET" <<'PY' || { echo "secrets_moto: 0 passed, 1 failed (cannot create the secret)"; exit 1; }
import boto3, json, sys
c = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name="us-east-1")
c.create_secret(Name="trader/keys", SecretString=json.dumps(
    {"BINANCE_API_KEY": sys.argv[2], "BINANCE_API_SECRET": sys.argv[3]}))
PY
passed=0 failed=0
check() {
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}
run() { # run OUT SECRET_ID: one dry trader run with the secret's keys
  env BINANCE_API_KEY=env-key-loses BINANCE_API_SECRET=env-secret-loses SECRET_ID="$2" \
    AWS_ENDPOINT_URL_SECRETS_MANAGER="$url" EXECUTE_TRADES=false PREDICTOR=builtin \
    BINANCE_FAPI_BASE=http://127.0.0.1:9 BINANCE_HTTP_RETRIES=0 BINANCE_HTTP_TIMEOUT_MS=200 \
    LOG_DIR="$work/j" JOURNAL_URL="file://$work/j" TZ=UTC \
    "$BUILD/bin/invoke" --functions-dir "$BUILD" trader >"$1" 2>&1
}
run "$work/ok.out" trader/keys
check reads_the_secret grep -q '"event":"config.secret_sources".*"BINANCE_API_KEY":"secret","BINANCE_API_SECRET":"secret"' "$work/ok.out"
check the_run_answers grep -q '"run_id"' "$work/ok.out"
run "$work/missing.out" trader/none
check missing_secret_stops_init grep -q 'ResourceNotFoundException' "$work/missing.out"
check no_value_printed bash -c '! grep -q -e "$1" -e "$2" "$3" "$4"' _ "$KEY" "$SECRET" "$work/ok.out" "$work/missing.out"
echo "secrets_moto: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
