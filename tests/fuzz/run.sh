#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (make VARIANT=fuzz fuzz-build)
# from its seed corpus for SECONDS each, FUZZ_JOBS (default: the CPU count)
# at a time, and prints a table: target, seconds, execs, execs/s, corpus
# (inputs / bytes at the end), findings (crash, leak, timeout or oom inputs
# written this run, kept in <build>/artifacts/<target>/).
#
#   tests/fuzz/run.sh [build-dir] [seconds] [--suite]
#
# Default (make fuzz): build/fuzz, 60 s; each target's working corpus is
# <build>/corpus/<target> (kept between runs; new inputs land there, never
# in tests/fuzz/corpus/). --suite (tests/run.sh): a throwaway corpus, and a
# last line "fuzz: N passed, N failed" (a target passes when it ran without
# a finding); without clang or a fuzz build it says skipped, not failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build/fuzz}
SECONDS_EACH=${2:-60}
SUITE=0
[ "${3:-}" = --suite ] && SUITE=1
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

targets=()
for t in "$BUILD"/fuzz_*; do [ -x "$t" ] && targets+=("$(basename "$t")"); done
if [ ${#targets[@]} -eq 0 ]; then
  why="no fuzz build in $BUILD (make VARIANT=fuzz fuzz-build)"
  command -v clang >/dev/null || why="clang not installed"
  if [ "$SUITE" -eq 1 ]; then echo "fuzz: 0 passed, 0 failed (skipped: $why)"; exit 0; fi
  echo "fuzz: $why" >&2
  exit 1
fi

RUN=$(mktemp -d /tmp/trader-fuzz.XXXXXX)
[ "$SUITE" -eq 1 ] || trap 'rm -rf "$RUN"' EXIT

# run_one NAME: one target; its log in $RUN/NAME.log, its row in $RUN/NAME.row
run_one() {
  local bin=$1 name=${1#fuzz_}
  local seeds="tests/fuzz/corpus/$name" art="$BUILD/artifacts/$name" work
  if [ "$SUITE" -eq 1 ]; then work="$RUN/corpus-$name"; else work="$BUILD/corpus/$name"; fi
  mkdir -p "$work" "$art"
  local before after dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=("-dict=tests/fuzz/$name.dict")
  before=$(find "$art" -type f | wc -l)
  "$BUILD/$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" "$work" "$seeds" \
    >"$RUN/$name.log" 2>&1
  local rc=$?
  after=$(find "$art" -type f | wc -l)
  local execs rate corp
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$RUN/$name.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$RUN/$name.log" | tail -1)
  corp=$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' "$RUN/$name.log" | tail -1 | cut -d' ' -f2)
  local found=$((after - before))
  [ "$rc" -ne 0 ] && [ "$found" -eq 0 ] && found=1 # died without an artifact
  printf '%s %s %s %s %s %s\n' "$name" "$SECONDS_EACH" "${execs:-0}" "${rate:-0}" "${corp:-?}" \
    "$found" >"$RUN/$name.row"
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

passed=0 failed=0
printf '%-14s %8s %12s %9s %14s %9s\n' target seconds execs execs/s corpus findings
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  read -r n s e r c f <"$RUN/$name.row"
  printf '%-14s %8s %12s %9s %14s %9s\n' "$n" "$s" "$e" "$r" "$c" "$f"
  if [ "$f" -eq 0 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1))
    echo "  $name: see $RUN/$name.log and $BUILD/artifacts/$name/" >&2
    [ "$SUITE" -eq 1 ] || trap - EXIT # keep the logs of a run that found something
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
