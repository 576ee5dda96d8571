#!/usr/bin/env bash
# tests/package/run.sh RELEASE_BUILD TOOL_BUILD: each function's zip
# (RELEASE_BUILD/package/<name>.zip, from `make package`) run the way
# provided.al2023 runs it, in a root that holds nothing but what that image
# guarantees and the zip brings:
#   /lib64/ld-linux-*.so.2, libc.so.6, libm.so.6   copied from this system
#   /etc/localtime, a writable /tmp                 (Lambda's TZ=:/etc/localtime)
#   /var/task                                       the zip, unpacked, read-only
# no shell, no /proc, no /etc/ssl, no /usr/share/zoneinfo, no resolv.conf.
# The bootstrap runs there (chroot, as an unprivileged user like Lambda's; not
# root: a user namespace) with only Lambda's variables and the template's
# Environment for that function (tests/package/template_env.awk), against a
# local Runtime API (TOOL_BUILD/bin/invoke, the local function host: one cold
# start per invocation). Checks, for every function:
#   - GET /health answers 200;
# for candles and orderbook, whose upstream is Binance:
#   - with BINANCE_FAPI_BASE (the template's parameter) at a local TLS server
#     (socat in front of fake_binance) whose certificate a test CA signed, and
#     that CA added to the zip's certs/ directory: the request reaches the
#     fake through verified TLS and the function answers 200 with its data;
#   - the same without the test CA in certs/: refused (verification is on and
#     certs/ is where trust comes from);
# that `make build-<LogicalId>` (what `sam build` runs) leaves the same files
# as the zip; and the time zone: Lambda's own (TZ=:/etc/localtime) at init, and a zone
# the function is configured with (TZ=Asia/Seoul, TZDIR=/var/task/zoneinfo:
# the zip ships PACKAGE_ZONES) shows in the log's +09:00 offsets.
# Prints "package: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
REL=${1:?usage: run.sh RELEASE_BUILD TOOL_BUILD}
TOOLS=${2:?usage: run.sh RELEASE_BUILD TOOL_BUILD}
passed=0 failed=0
pids=()
WORK=$(mktemp -d /tmp/trader-package.XXXXXX)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
chmod 755 "$WORK" # the function runs as an unprivileged user

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() { echo "package: $passed passed, $failed failed"; [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; exit; }

for tool in unzip socat openssl readelf; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed (./infra/dev.sh test installs it)"; finish; }
done
[ -x "$TOOLS/bin/invoke" ] && [ -x "$TOOLS/bin/fake_binance" ] || { fail "no $TOOLS/bin/invoke or fake_binance"; finish; }
zips=("$REL"/package/*.zip)
[ -f "${zips[0]}" ] || { fail "no zip in $REL/package (make package)"; finish; }

# How to enter a root: chroot as root (dropping to nobody), else an
# unprivileged user namespace (the same chroot, as the namespace's root).
if [ "$(id -u)" -eq 0 ]; then
  ENTER=("$(command -v chroot)" --userspec=65534:65534)
elif unshare -r true 2>/dev/null; then
  ENTER=("$(command -v unshare)" -r "$(command -v chroot)")
else
  fail "cannot chroot here: not root and no user namespaces"; finish
fi

# ---- the upstream: fake_binance behind a TLS front whose certificate a test CA signed
. tests/package/tls_front.sh
tls="$WORK/tls"
tls_make_ca "$tls" || { cat "$tls/openssl.log"; fail "making the test CA"; finish; }
ca_name=$TLS_CA_NAME
wait_file() { for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
"$TOOLS/bin/fake_binance" --port 0 --port-file "$WORK/fake.port" --data tests/data/binance >"$WORK/fake.log" 2>&1 &
pids+=($!)
wait_file "$WORK/fake.port" || { fail "fake_binance did not start"; finish; }
tls_front_start "$tls" "$(cat "$WORK/fake.port")" || { cat "$tls/socat.log"; fail "the TLS front did not start"; finish; }
pids+=("$TLS_PID")
tls_port=$TLS_PORT

# The functions whose keys come from Secrets Manager (the template's SECRET_ID)
# read them at init: a look-alike that checks SigV4 against Lambda's
# credentials below, behind its own TLS front. On Lambda the regional
# endpoint is found by DNS, which the bare root has none of: for these
# functions alone AWS_ENDPOINT_URL_SECRETS_MANAGER names the front (the one
# variable beyond Lambda's and the template's).
ACCESS_KEY=ASIAPACKAGETEST SECRET_KEY=package-test-secret-key
SECRET_ARN=arn:aws:secretsmanager:us-east-1:000000000000:secret:trader-keys-PkgTst
printf '{"BINANCE_API_KEY":"package-test-binance-key","BINANCE_API_SECRET":"package-test-binance-secret"}' \
  >"$WORK/keys.json"
"$TOOLS/bin/fake_secretsmanager" --port 0 --port-file "$WORK/sm.port" --access-key "$ACCESS_KEY" \
  --secret-key "$SECRET_KEY" --secret "$SECRET_ARN=$WORK/keys.json" >"$WORK/sm.log" 2>&1 &
pids+=($!)
wait_file "$WORK/sm.port" || { fail "fake_secretsmanager did not start"; finish; }
tls_front_start "$tls" "$(cat "$WORK/sm.port")" || { cat "$tls/socat.log"; fail "the second TLS front did not start"; finish; }
pids+=("$TLS_PID")
sm_port=$TLS_PORT

# ---- a bare root per function
interp=$(readelf -l "$REL/package/candles/bootstrap" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
libdir() { ldconfig -p | awk -v l="$1" '$1 == l && /x86-64|AArch64/ { print $NF; exit }'; }
make_root() { # NAME WITH_TEST_CA -> prints the root
  local fn=$1 with_ca=$2 root="$WORK/root-$1-$2" f
  mkdir -p "$root/tmp" "$root/etc" "$root/var/task"
  chmod 1777 "$root/tmp"
  for f in "$interp" "$(libdir libc.so.6)" "$(libdir libm.so.6)"; do
    mkdir -p "$root$(dirname "$f")" && cp -L "$f" "$root$f"
  done
  cp -L /etc/localtime "$root/etc/localtime"
  unzip -q "$REL/package/$fn.zip" -d "$root/var/task"
  [ "$with_ca" = ca ] && cp "$tls/ca.pem" "$root/var/task/certs/$ca_name"
  chmod -R a-w "$root/var/task"
  echo "$root"
}

# The function's "bootstrap" for the local host: enters the root with
# Lambda's variables (those the host sets, taken by name from its own
# environment, plus the ones Lambda sets that it does not) and the template's.
lambda_vars=(AWS_LAMBDA_RUNTIME_API AWS_LAMBDA_FUNCTION_NAME AWS_LAMBDA_FUNCTION_MEMORY_SIZE
             AWS_LAMBDA_FUNCTION_VERSION AWS_REGION AWS_DEFAULT_REGION _HANDLER
             AWS_LAMBDA_LOG_GROUP_NAME AWS_LAMBDA_LOG_STREAM_NAME AWS_LAMBDA_INITIALIZATION_TYPE)
make_host_dir() { # NAME ROOT ENV_FILE -> prints a functions dir for invoke
  local fn=$1 root=$2 envfile=$3 dir="$WORK/fns-$(basename "$2")"
  mkdir -p "$dir/$fn"
  {
    echo '#!/usr/bin/env bash'
    echo 'args=()'
    echo "for v in ${lambda_vars[*]}; do [ -n \"\${!v+x}\" ] && args+=(\"\$v=\${!v}\"); done"
    echo "exec env -i \"\${args[@]}\" LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime \\"
    echo "  AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023 AWS_LAMBDA_LOG_FORMAT=JSON AWS_LAMBDA_LOG_LEVEL=INFO \\"
    echo "  AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_SESSION_TOKEN=package-test-token \\"
    echo "  LANG=en_US.UTF-8 PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin TZ=:/etc/localtime \\"
    echo "  LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \\"
    while IFS= read -r kv; do printf '  %q \\\n' "$kv"; done <"$envfile"
    echo "  ${ENTER[*]} $root /var/task/bootstrap"
  } >"$dir/$fn/bootstrap"
  chmod 755 "$dir/$fn/bootstrap"
  echo "$dir"
}

logical_id() { echo "$(tr '[:lower:]' '[:upper:]' <<<"${1:0:1}")${1:1}Function"; }
refs="BinanceFapiBase=https://127.0.0.1:$tls_port;JournalBucket=trader-package-test;KeysSecret=$SECRET_ARN"

# invoke_fn NAME DIR URI OUT [VAR=value...]: one cold start answering one
# API Gateway request; the answer in OUT, the function's output in OUT.log
invoke_fn() {
  local fn=$1 dir=$2 uri=$3 out=$4; shift 4
  env "$@" timeout 60 "$TOOLS/bin/invoke" --functions-dir "$dir" --timeout-ms 20000 --http GET "$uri" "$fn" \
    >"$out" 2>"$out.log"
}
# the function's own log lines (the host's say "service":"invoke")
fn_log() { grep -v '"service":"invoke"' "$1" | grep '^{' ; }
status_of() { sed -n 's/.*"statusCode":\([0-9]*\).*/\1/p' "$1" | head -1; }

for zip in "${zips[@]}"; do
  fn=$(basename "$zip" .zip)
  envfile="$WORK/$fn.env"
  if ! awk -v fn="$(logical_id "$fn")" -v refs="$refs" -f tests/package/template_env.awk infra/template.yaml \
      >"$envfile" 2>"$envfile.err"; then
    fail "$fn: the template's Environment: $(cat "$envfile.err")"; continue
  fi
  keys=""
  if grep -q '^SECRET_ID=' "$envfile"; then
    echo "AWS_ENDPOINT_URL_SECRETS_MANAGER=https://127.0.0.1:$sm_port" >>"$envfile"
    keys=", its keys read from SECRET_ID over TLS"
  fi
  root=$(make_root "$fn" ca)
  dir=$(make_host_dir "$fn" "$root" "$envfile")
  out="$WORK/$fn-health.json"
  if invoke_fn "$fn" "$dir" /health "$out" && [ "$(status_of "$out")" = 200 ]; then
    ok "$fn: /health in the bare root ($(du -k "$zip" | cut -f1) KB zip$keys)"
  else
    fail "$fn: /health: $(head -c 300 "$out") $(tail -3 "$out.log" | cut -c1-300)"
  fi
  if fn_log "$out.log" | grep -q '"timestamp":"[^"]*\(Z\|+00:00\)"'; then ok "$fn: Lambda's TZ=:/etc/localtime (UTC) in its log"
  else fail "$fn: no UTC timestamp in its log with TZ=:/etc/localtime: $(tail -3 "$out.log" | cut -c1-300)"; fi

  case "$fn" in
    candles) uri='/api/candles?symbol=BTCUSDT&tf=1h&limit=3' ;;
    orderbook) uri='/api/orderbook?symbol=BTCUSDT&limit=5' ;;
    *) continue ;;
  esac
  out="$WORK/$fn-tls.json"
  if invoke_fn "$fn" "$dir" "$uri" "$out" && [ "$(status_of "$out")" = 200 ]; then
    ok "$fn: $uri through https://127.0.0.1:$tls_port, trusted by certs/$ca_name"
  else
    fail "$fn: $uri over TLS: $(head -c 300 "$out") $(grep -m3 'http.attempt\|error' "$out.log" | cut -c1-300)"
  fi
  noca=$(make_root "$fn" noca)
  out="$WORK/$fn-noca.json"
  invoke_fn "$fn" "$(make_host_dir "$fn" "$noca" "$envfile")" "$uri" "$out"
  if [ "$(status_of "$out")" != 200 ] && grep -q 'certificate' "$out.log"; then
    ok "$fn: refused without the test CA in certs/ ($(status_of "$out"))"
  else
    fail "$fn: without the test CA: $(head -c 300 "$out")"
  fi
  # a configured zone: the zip's zoneinfo/ (tzdata is not on provided.al2023)
  echo "TZ=Asia/Seoul" >>"$envfile" && echo "TZDIR=/var/task/zoneinfo" >>"$envfile"
  out="$WORK/$fn-tz.json"
  if invoke_fn "$fn" "$(make_host_dir "$fn" "$root" "$envfile")" /health "$out" &&
     [ "$(status_of "$out")" = 200 ] && fn_log "$out.log" | grep -q '"timestamp":"[^"]*+09:00"'; then
    ok "$fn: TZ=Asia/Seoul from the zip's zoneinfo/ (+09:00 in its log)"
  else
    fail "$fn: TZ=Asia/Seoul: $(head -c 300 "$out") $(tail -3 "$out.log" | cut -c1-300)"
  fi
done

# `sam build` (BuildMethod: makefile, CodeUri: the repository) runs
# build-<LogicalId> with ARTIFACTS_DIR: the same tree as the zip
for zip in "${zips[@]}"; do
  fn=$(basename "$zip" .zip) id=$(logical_id "$(basename "$zip" .zip)")
  meta=$(awk -v id="  $id:" '$0 == id { on = 1; next } on && /^  [A-Za-z]/ { exit } on' infra/template.yaml)
  art="$WORK/artifacts-$fn" unz="$WORK/unzipped-$fn"
  mkdir -p "$art" "$unz" && unzip -q "$zip" -d "$unz"
  if ! grep -q 'BuildMethod: makefile' <<<"$meta" || ! grep -q 'CodeUri: \.\.$' <<<"$meta"; then
    fail "$id: not BuildMethod: makefile with CodeUri: .. in infra/template.yaml"
  elif ! make -s "build-$id" ARTIFACTS_DIR="$art" >"$WORK/sam-$fn.log" 2>&1; then
    fail "$id: make build-$id: $(tail -3 "$WORK/sam-$fn.log")"
  elif ! diff -r "$art" "$unz" >"$WORK/sam-$fn.diff"; then
    fail "$id: build-$id differs from $fn.zip: $(head -3 "$WORK/sam-$fn.diff")"
  else
    ok "$id: make build-$id (sam build) leaves the zip's $(find "$art" -type f | wc -l) files"
  fi
done

# the functions with SECRET_ID did read it (a GetSecretValue per cold start:
# their /health answered, so init had the keys)
want=$(grep -l '^SECRET_ID=' "$WORK"/*.env 2>/dev/null | wc -l)
got=$(curl -s "http://127.0.0.1:$(cat "$WORK/sm.port")/__fake/requests" | grep -o 'secretsmanager.GetSecretValue' | wc -l)
if [ "$want" -gt 0 ] && [ "$got" -ge "$want" ]; then
  ok "the Secrets Manager look-alike got $got reads from the $want functions with SECRET_ID"
elif [ "$want" -gt 0 ]; then
  fail "the Secrets Manager look-alike got $got reads from the $want functions with SECRET_ID"
fi
finish
