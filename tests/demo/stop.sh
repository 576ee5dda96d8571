#!/usr/bin/env bash
# The demo stops quietly. infra/local/demo.sh (the replay server, the gateway
# and its warm function processes) is started the way a terminal starts a
# command: a process group of its own with SIGINT at its default. Then
#   int_group     SIGINT to that group (Ctrl-C),
#   term_group    SIGTERM to that group,
#   term_script   SIGTERM to the script alone (what make passes on to its
#                 recipe, and what `timeout` or `kill PID` send),
#   make_term     SIGTERM to a make running the demo, as `make demo` does,
# and each must end within STOP_BOUND_S seconds: exit status 0 (make: 143, as
# make ends by the fatal signal it received; but silently), no ERROR log line,
# no "make: ***", "Terminated" or sanitizer line, no process of the demo left
# (functions included), the demo's temporary folder removed, the warm
# functions retired by the gateway (each exits by itself, not killed), and
# the gateway's last line gateway.stopped.
#   tests/demo/stop.sh [build/asan]          (from the repository root)
# Last line: "demo_stop: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build/asan}
STOP_BOUND_S=${STOP_BOUND_S:-3}
work=$(mktemp -d /tmp/demo-stop.XXXXXX)
passed=0 failed=0 failing=()

ok() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1)) failing+=("$1")
  echo "FAIL $1: $2 (output: $3)"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# running_in SID: a line "pid command line" for every process of session SID that
# has not ended (a zombie has: the script, until it is waited for), read from
# /proc (ps is not on every Debian)
running_in() {
  local f stat state session
  for f in /proc/[0-9]*/stat; do
    { read -r stat <"$f"; } 2>/dev/null || continue # it ended meanwhile
    read -r state _ _ session _ <<<"${stat##*) }"   # the fields after (comm)
    [ "$session" = "$1" ] && [ "$state" != Z ] &&
      echo "${f//[^0-9]/} $(tr '\0' ' ' 2>/dev/null <"${f%stat}cmdline")"
  done
}

# run_case NAME SIGNAL TARGET(group|leader) COMMAND...
run_case() {
  local name=$1 sig=$2 target=$3
  shift 3
  local dir="$work/$name"
  mkdir -p "$dir/tmp"
  # setsid: a new session and process group, as a terminal gives its
  # foreground job; every process of the demo stays in that session (the
  # function processes too, each in a group of its own), so session_procs
  # finds them all. env: SIGINT as an interactive shell leaves it (this script may
  # run in the background, where it is ignored).
  TMPDIR="$dir/tmp" BUILD=$BUILD LOG_DIR="$dir/journal" TZ=UTC SYMBOLS=BTCUSDT \
    env --default-signal=INT,QUIT setsid "$@" >"$dir/out" 2>&1 </dev/null &
  local pid=$!
  local i port=""
  for i in $(seq 1 200); do
    [ -s "$dir/port" ] && port=$(cat "$dir/port") && break
    sleep 0.05
  done
  if [ -z "$port" ]; then
    fail "$name" "the demo did not start" "$dir/out"
    kill -KILL -- -"$pid"
    wait "$pid"
    return
  fi
  # two warm functions to retire, besides the trader the schedule starts
  curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port/api/candles?symbol=BTCUSDT&tf=1h&limit=3"
  curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port/api/orderbook?symbol=BTCUSDT&limit=5"
  local t0
  t0=$(now_ms)
  if [ "$target" = group ]; then kill -"$sig" -- -"$pid"; else kill -"$sig" "$pid"; fi
  # the script must end within the bound, and every process of its session
  # with it (the function processes too); whatever still runs then is killed
  local took left p
  while :; do
    took=$(($(now_ms) - t0))
    left=$(running_in "$pid")
    [ -n "$left" ] || break
    if [ "$took" -gt $((STOP_BOUND_S * 1000)) ]; then
      for p in $(cut -d' ' -f1 <<<"$left"); do kill -KILL "$p"; done
      break
    fi
    sleep 0.02
  done
  wait "$pid"
  local rc=$?

  local want=0
  [ "$name" = make_term ] && want=143
  local noise
  noise=$(grep -E '"level":"ERROR"|make: \*\*\*|Terminated|Interrupt|Sanitizer|runtime error:' "$dir/out")
  local retired
  retired=$(grep '"event":"function.exit"' "$dir/out" | grep -c '"killed_by_host":false')
  local problems=()
  [ "$rc" -eq "$want" ] || problems+=("exit status $rc, not $want")
  [ -z "$noise" ] || problems+=("noise: $(echo "$noise" | head -3 | cut -c1-200)")
  [ -z "$left" ] || problems+=("still running after ${STOP_BOUND_S} s: $(tr '\n' ';' <<<"$left")")
  [ -z "$(ls -A "$dir/tmp")" ] || problems+=("temporary folder left: $(ls "$dir/tmp")")
  [ "$retired" -ge 2 ] || problems+=("$retired function processes exited by themselves, not 2 or more")
  grep -q '"event":"gateway.stopped"' "$dir/out" || problems+=("no gateway.stopped line")
  if [ ${#problems[@]} -eq 0 ]; then
    ok
    echo "ok   $name (stopped in ${took} ms, $retired functions retired)"
  else
    local p
    for p in "${problems[@]}"; do fail "$name" "$p" "$dir/out"; done
  fi
}

demo=(infra/local/demo.sh --port 0 --port-file)
run_case int_group INT group "${demo[@]}" "$work/int_group/port"
run_case term_group TERM group "${demo[@]}" "$work/term_group/port"
run_case term_script TERM leader "${demo[@]}" "$work/term_script/port"
# the Makefile's rule (demo: all; infra/local/demo.sh), without the build
mkdir -p "$work/make_term"
printf 'demo:\n\tinfra/local/demo.sh --port 0 --port-file %s\n' "$work/make_term/port" >"$work/make_term/Makefile"
run_case make_term TERM leader make --no-print-directory -f "$work/make_term/Makefile" demo

echo "demo_stop: $passed passed, $failed failed"
if [ "$failed" -eq 0 ]; then rm -rf "$work"; else echo "failing: ${failing[*]} (logs in $work)"; fi
[ "$failed" -eq 0 ]
