#!/usr/bin/env bash
# Runs every test suite against one build (default build/asan) and ends with
# one line: "tests: N passed, N failed (T s)". Suites are found by convention:
#   <build>/tests/test_*   cmocka unit tests
#   <build>/tests/run_*    drivers, called with the build dir; each prints
#                          "<name>: N passed, N failed"
#   <build>/../fuzz/fuzz_* libFuzzer targets (tests/fuzz/run.sh --suite): a
#                          short run each, as the suite "fuzz"
# run_scenarios is special: it needs the fake Binance and a gateway, which
# this script starts on free ports with the environment the scenarios assume.
# run_exec_scenarios gets the sentinels to forbid and its folder.
# tests/package/ checks the release zips in RELEASE_BUILD (default build).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/asan}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LOGDIR=$(mktemp -d /tmp/trader-tests.XXXXXX)
passed=0 failed=0 broken=()
pids=()
rgw_state=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null
  [ -n "$rgw_state" ] && tests/s3/rgw_down.sh "$rgw_state"
}
trap cleanup EXIT

# count LOG NAME RC: adds the pass/fail counts a suite printed
count() {
  local log=$1 name=$2 rc=$3 p f
  if grep -q '^\[==========\]' "$log"; then           # cmocka
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END{print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END{print s+0}')
  else                                                 # "name: N passed, N failed"
    p=$(sed -n 's/^[a-z0-9_-]*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^[a-z0-9_-]*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log" | tail -1)
  fi
  p=${p:-0} f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed, leaked or printed nothing
  passed=$((passed + p)) failed=$((failed + f))
  local took=""
  [ -n "${suite_started:-}" ] && took=$(awk -v a="$suite_started" -v b="$(date +%s%N)" 'BEGIN{printf " %.1f s", (b-a)/1e9}')
  suite_started=""
  if [ "$f" -ne 0 ]; then broken+=("$name"); printf '%-28s FAIL (%s passed, %s failed, exit %s)%s log: %s\n' "$name" "$p" "$f" "$rc" "$took" "$log"
  else printf '%-28s ok   (%s passed)%s\n' "$name" "$p" "$took"; fi
}

run_suite() {
  local name=$1; shift
  local log="$LOGDIR/$name.log"
  suite_started=$(date +%s%N)
  timeout 300 "$@" >"$log" 2>&1
  count "$log" "$name" $?
}

# Stops a gateway the way Lambda retires sandboxes: each warm function gets a
# 500 on /next and exits by itself, so its sanitizers' leak checks run. Then
# the log (which carries the functions' stderr) must show no sanitizer report,
# and at least one function must have exited on its own (not been killed).
stop_gateway_and_check() {
  local name=$1 pid=$2 log=$3 out="$LOGDIR/$1.log"
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  local exited reports
  exited=$(grep '"event":"function.exit"' "$log" | grep -c '"killed_by_host":false')
  reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log")
  if [ "$reports" -eq 0 ] && [ "$exited" -gt 0 ]; then
    echo "$name: $exited passed, 0 failed (function processes exited cleanly, no sanitizer report)" >"$out"
    count "$out" "$name" 0
  else
    { echo "$name: 0 passed, 1 failed ($exited clean exits, $reports sanitizer reports; see $log)"
      grep -B2 -A20 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -60; } >"$out"
    count "$out" "$name" 1
  fi
}

# Sentinel secrets every gateway's functions get (tests/scenarios/README.md):
# never sent for public market data, and scenarios make upstream errors echo
# them. No answer may carry one (run_scenarios --forbid), and after the run
# neither the functions' stdout (the gateway log) nor any journal object may.
BINANCE_KEY_SENTINEL=SENTINEL-binance-key-for-scenarios-7c1d
BINANCE_SECRET_SENTINEL=SENTINEL-binance-secret-for-scenarios-9e4a
GOOGLE_KEY_SENTINEL=test-key-for-scenarios
# (their first 12 bytes: a reason cut to a fixed width must not keep a piece)
forbid=(--forbid "${BINANCE_KEY_SENTINEL:0:12}" --forbid "${BINANCE_SECRET_SENTINEL:0:12}"
        --forbid "${GOOGLE_KEY_SENTINEL:0:12}")

# check_no_secrets NAME GATEWAY_LOG JOURNAL_DIR SECRET...: every sentinel
# (its first 12 bytes, and its URL-encoded form) absent from stdout and every
# journal object.
check_no_secrets() {
  local name=$1 log=$2 dir=$3 out="$LOGDIR/$1.log" hits="" s enc; shift 3
  for s in "$@"; do
    enc=$(printf '%s' "$s" | jq -sRr @uri 2>/dev/null || printf '%s' "$s")
    for f in "$log" "$dir"; do
      [ -e "$f" ] || continue
      grep -rlF -e "${s:0:12}" -e "$enc" "$f" >/dev/null 2>&1 && hits+=" '$s' in $f"
    done
  done
  local objects; objects=$(find "$dir" -type f 2>/dev/null | wc -l)
  if [ -z "$hits" ] && [ "$objects" -gt 0 ]; then
    echo "$name: 1 passed, 0 failed (${#@} secrets absent from stdout and $objects journal objects)" >"$out"
    count "$out" "$name" 0
  else
    echo "$name: 0 passed, 1 failed (found:${hits:- nothing, but no journal objects to search in $dir})" >"$out"
    count "$out" "$name" 1
  fi
}

wait_port_file() { for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

# ---- S3 (run_s3): a throwaway Ceph RGW on 127.0.0.1 (tests/s3/rgw_up.sh, ~2 s
# to start, RAM only), started now in the background so it boots while the
# other suites run; run_s3 below waits for it, and it is stopped at exit.
if [ -x "$BUILD/tests/run_s3" ]; then
  rgw_state="$LOGDIR/rgw"
  tests/s3/rgw_up.sh "$rgw_state" >"$LOGDIR/rgw_up.log" 2>&1 &
  rgw_up_pid=$!
  pids+=("$rgw_up_pid")
fi

for t in "$BUILD"/tests/test_*; do [ -x "$t" ] && run_suite "$(basename "$t")" "$t"; done
# what ships (tests/package/): the release bootstraps' dynamic section, and each
# function's zip run in a bare root (`make test` runs `make package` first)
RELEASE_BUILD=${RELEASE_BUILD:-build}
run_suite elf_deps tests/package/elf_deps.sh "$RELEASE_BUILD" "$BUILD"
run_suite package tests/package/run.sh "$RELEASE_BUILD" "$BUILD"

for d in "$BUILD"/tests/run_*; do
  [ -x "$d" ] || continue
  case "$(basename "$d")" in run_scenarios|run_s3|run_exec_scenarios|run_log_queries) continue ;; esac
  run_suite "$(basename "$d")" "$d" "$BUILD"
done

# the executor end to end (tests/scenarios/README.md, "Execution scenarios"): the
# driver starts its own fake_binance --account and runs the real trader bootstrap
# through the local function host; the account's secret and the sentinels must
# not reach the functions' output or any journal object
[ -x "$BUILD/tests/run_exec_scenarios" ] && EXEC_SCENARIOS_LOG_OUT="$LOGDIR/exec_functions.jsonl" \
  run_suite run_exec_scenarios "$BUILD/tests/run_exec_scenarios" "$BUILD" "${forbid[@]}" tests/scenarios/exec
# the template's saved log queries name fields those lines (and Lambda's own records) really have
[ -x "$BUILD/tests/run_log_queries" ] && run_suite run_log_queries "$BUILD/tests/run_log_queries" \
  "$LOGDIR/exec_functions.jsonl" tests/infra/platform_report.jsonl

# the libFuzzer targets (make test builds them in build/fuzz when clang is
# there): each over its seed corpus plus FUZZ_SMOKE_SECONDS of fuzzing, two at
# a time; "skipped" (not failed) without clang or a fuzz build
FUZZ_BUILD="$(dirname "$BUILD")/fuzz"
run_suite fuzz env FUZZ_JOBS="${FUZZ_JOBS:-2}" tests/fuzz/run.sh "$FUZZ_BUILD" "${FUZZ_SMOKE_SECONDS:-3}" --suite

# the demo stops quietly on Ctrl-C and SIGTERM, with everything it started
[ -x "$BUILD/bin/gateway" ] && run_suite demo_stop tests/demo/stop.sh "$BUILD"
# the execute demo opens, protects, reconciles and journals a trade on the fake exchange
[ -x "$BUILD/bin/gateway" ] && run_suite demo_execute tests/demo/execute.sh "$BUILD"
# the paper demo trades on the paper account (the simulated exchange on the replay, its account in the journal)
[ -x "$BUILD/bin/gateway" ] && run_suite demo_paper tests/demo/execute.sh "$BUILD" paper
[ -x "$BUILD/bin/invoke" ] && run_suite secrets_moto tests/secrets/moto.sh "$BUILD"
# the template: cfn-lint and the SAM-to-CloudFormation transform (where the tools are installed)
run_suite cfn tests/infra/cfn.sh
run_suite cost tests/infra/cost.sh

# the scenario runner's own checks: every check kind can pass and fail
[ -x "$BUILD/tests/run_scenarios" ] && run_suite scenarios_selftest tests/scenarios/selftest.sh "$BUILD"

if [ -x "$BUILD/tests/run_scenarios" ]; then
  fake_port_file="$LOGDIR/fake.port"
  "$BUILD/bin/fake_binance" --port 0 --port-file "$fake_port_file" --data tests/data/binance >"$LOGDIR/fake_binance.log" 2>&1 &
  pids+=($!)
  if wait_port_file "$fake_port_file"; then
    fake="http://127.0.0.1:$(cat "$fake_port_file")"
    gw_port_file="$LOGDIR/gateway.port"
    # the environment tests/scenarios/README.md documents
    BINANCE_FAPI_BASE=$fake BINANCE_HTTP_TIMEOUT_MS=1000 BINANCE_HTTP_RETRIES=2 \
    BINANCE_HTTP_BACKOFF_MS=50 BINANCE_API_KEY=$BINANCE_KEY_SENTINEL BINANCE_API_SECRET=$BINANCE_SECRET_SENTINEL \
    LOG_DIR="$LOGDIR/journal" JOURNAL_URL="file://$LOGDIR/journal" TZ=UTC \
    SYMBOLS=BTCUSDT,ETHUSDT PREDICTOR=builtin \
      "$BUILD/bin/gateway" --functions-dir "$BUILD" --no-scheduler --port 0 --port-file "$gw_port_file" \
      >"$LOGDIR/gateway.log" 2>&1 &
    gw_pid=$!
    pids+=($gw_pid)
    wait_port_file "$gw_port_file"
    gw_port=$(cat "$gw_port_file")
    run_suite run_scenarios "$BUILD/tests/run_scenarios" --gateway "http://127.0.0.1:$gw_port" --fake "$fake" \
      "${forbid[@]}" tests/scenarios/binance
    stop_gateway_and_check functions_sanitized "$gw_pid" "$LOGDIR/gateway.log"
    check_no_secrets no_secrets_leaked "$LOGDIR/gateway.log" "$LOGDIR/journal" \
      "$BINANCE_KEY_SENTINEL" "$BINANCE_SECRET_SENTINEL"

    # gemini/: a second gateway whose predictor is Gemini, played by the same
    # fake (scripted steps answer any path); tests/scenarios/gemini/README.md
    gw2_port_file="$LOGDIR/gateway-gemini.port"
    BINANCE_FAPI_BASE=$fake BINANCE_HTTP_TIMEOUT_MS=1000 BINANCE_HTTP_RETRIES=2 \
    BINANCE_HTTP_BACKOFF_MS=50 BINANCE_API_KEY=$BINANCE_KEY_SENTINEL BINANCE_API_SECRET=$BINANCE_SECRET_SENTINEL \
    LOG_DIR="$LOGDIR/journal-gemini" JOURNAL_URL="file://$LOGDIR/journal-gemini" \
    TZ=UTC SYMBOLS=BTCUSDT,ETHUSDT PREDICTOR=gemini PREDICTOR_FALLBACK=none \
    GOOGLE_API_KEY=test-key-for-scenarios GEMINI_BASE_URL=$fake GEMINI_MODEL=gemini-2.5-flash-lite \
    GEMINI_HTTP_TIMEOUT_MS=1000 GEMINI_HTTP_RETRIES=2 GEMINI_HTTP_BACKOFF_MS=50 \
      "$BUILD/bin/gateway" --functions-dir "$BUILD" --no-scheduler --port 0 --port-file "$gw2_port_file" \
      >"$LOGDIR/gateway-gemini.log" 2>&1 &
    gw2_pid=$!
    pids+=($gw2_pid)
    wait_port_file "$gw2_port_file"
    run_suite run_scenarios_gemini "$BUILD/tests/run_scenarios" --gateway "http://127.0.0.1:$(cat "$gw2_port_file")" \
      --fake "$fake" "${forbid[@]}" tests/scenarios/gemini
    stop_gateway_and_check functions_sanitized_gemini "$gw2_pid" "$LOGDIR/gateway-gemini.log"
    check_no_secrets no_secrets_leaked_gemini "$LOGDIR/gateway-gemini.log" "$LOGDIR/journal-gemini" \
      "$BINANCE_KEY_SENTINEL" "$BINANCE_SECRET_SENTINEL" "$GOOGLE_KEY_SENTINEL"
  else
    count /dev/null run_scenarios 1
  fi
fi

if [ -n "$rgw_state" ]; then
  failed_before=$failed
  if wait "$rgw_up_pid"; then
    S3_TEST_ENV="$rgw_state/s3.env" run_suite run_s3 "$BUILD/tests/run_s3" "$BUILD"
    # the whole product on S3: a gateway whose functions journal to the RGW
    # bucket; a trader run, then the read endpoints (tests/scenarios/s3/);
    # then the AWS CLI must list the same objects
    if [ -n "${fake:-}" ]; then
      # shellcheck disable=SC1091
      . "$rgw_state/s3.env"
      gw3_port_file="$LOGDIR/gateway-s3.port"
      BINANCE_FAPI_BASE=$fake BINANCE_HTTP_TIMEOUT_MS=1000 BINANCE_HTTP_RETRIES=2 \
      BINANCE_HTTP_BACKOFF_MS=50 BINANCE_API_KEY=$BINANCE_KEY_SENTINEL BINANCE_API_SECRET=$BINANCE_SECRET_SENTINEL \
      TZ=UTC SYMBOLS=BTCUSDT,ETHUSDT PREDICTOR=builtin \
      JOURNAL_URL="s3://$S3_TEST_BUCKET/e2e" AWS_ENDPOINT_URL_S3="$S3_TEST_ENDPOINT" \
      AWS_REGION="$S3_TEST_REGION" AWS_ACCESS_KEY_ID="$S3_TEST_ACCESS_KEY" \
      AWS_SECRET_ACCESS_KEY="$S3_TEST_SECRET_KEY" \
        "$BUILD/bin/gateway" --functions-dir "$BUILD" --no-scheduler --port 0 --port-file "$gw3_port_file" \
        >"$LOGDIR/gateway-s3.log" 2>&1 &
      gw3_pid=$!
      pids+=($gw3_pid)
      wait_port_file "$gw3_port_file"
      run_suite run_scenarios_s3 "$BUILD/tests/run_scenarios" --gateway "http://127.0.0.1:$(cat "$gw3_port_file")" \
        --fake "$fake" "${forbid[@]}" --forbid "$S3_TEST_SECRET_KEY" tests/scenarios/s3
      stop_gateway_and_check functions_sanitized_s3 "$gw3_pid" "$LOGDIR/gateway-s3.log"
      s3_objects="$LOGDIR/s3-objects"
      AWS_ACCESS_KEY_ID="$S3_TEST_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_TEST_SECRET_KEY" \
      AWS_DEFAULT_REGION="$S3_TEST_REGION" AWS_EC2_METADATA_DISABLED=true \
        aws --endpoint-url "$S3_TEST_ENDPOINT" s3 cp --recursive --quiet "s3://$S3_TEST_BUCKET/e2e/" "$s3_objects" \
        >"$LOGDIR/s3-objects.log" 2>&1
      check_no_secrets no_secrets_leaked_s3 "$LOGDIR/gateway-s3.log" "$s3_objects" \
        "$BINANCE_KEY_SENTINEL" "$BINANCE_SECRET_SENTINEL" "$S3_TEST_SECRET_KEY"
      listing="$LOGDIR/aws_cli_listing.txt"
      AWS_ACCESS_KEY_ID="$S3_TEST_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_TEST_SECRET_KEY" \
      AWS_DEFAULT_REGION="$S3_TEST_REGION" AWS_EC2_METADATA_DISABLED=true \
        aws --endpoint-url "$S3_TEST_ENDPOINT" s3 ls --recursive "s3://$S3_TEST_BUCKET/e2e/" >"$listing" 2>&1
      d=$(grep -c '_decision.json$' "$listing"); r=$(grep -c '_request.json$' "$listing")
      l=$(grep -c '/logs/.*_trader_.*\.jsonl$' "$listing")
      if [ "$d" -ge 2 ] && [ "$r" -ge 2 ] && [ "$l" -ge 1 ]; then
        echo "aws_cli_s3: 3 passed, 0 failed ($d decisions, $r requests, $l trader logs listed)" >"$LOGDIR/aws_cli_s3.log"
        count "$LOGDIR/aws_cli_s3.log" aws_cli_s3 0
      else
        { echo "aws_cli_s3: 0 passed, 1 failed ($d decisions, $r requests, $l trader logs)"; cat "$listing"; } >"$LOGDIR/aws_cli_s3.log"
        count "$LOGDIR/aws_cli_s3.log" aws_cli_s3 1
      fi
    fi
  else
    echo "run_s3: the S3 test server did not start (radosgw, ceph-mon, ceph-osd installed?)" >>"$LOGDIR/rgw_up.log"
    count "$LOGDIR/rgw_up.log" run_s3 1
  fi
  # keep the server's logs (in $rgw_state/log) only when something failed
  tests/s3/rgw_down.sh "$rgw_state" $([ "$failed" -ne "$failed_before" ] && echo --keep)
  rgw_state=""
fi
# ---- end S3

echo
[ ${#broken[@]} -eq 0 ] || echo "failing suites: ${broken[*]} (logs in $LOGDIR)"
echo "tests: $passed passed, $failed failed ($SECONDS s)"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
