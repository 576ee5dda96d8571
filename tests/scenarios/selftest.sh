#!/bin/sh
# Self-test of run_scenarios: the fake plays both the gateway and the upstream,
# so every check kind is exercised without the gateway. The selftest/ files
# marked "xfail" must fail; the runner reports them as ok when they do.
# Also checks that fake_binance exits cleanly (under ASan: without leaks).
#   tests/scenarios/selftest.sh [build/asan]      (from the repository root)
set -u
out=${1:-build/asan}
tmp=$(mktemp -d)
"$out/bin/fake_binance" --port 0 --port-file "$tmp/port" --data tests/data/binance 2>"$tmp/fake.log" &
fake=$!
trap 'kill "$fake" 2>/dev/null; rm -rf "$tmp"' INT TERM
i=0
while [ ! -s "$tmp/port" ]; do
    i=$((i + 1))
    if [ "$i" -gt 200 ] || ! kill -0 "$fake" 2>/dev/null; then
        echo "selftest: fake_binance did not start" >&2
        cat "$tmp/fake.log" >&2
        kill "$fake" 2>/dev/null
        rm -rf "$tmp"
        exit 1
    fi
    sleep 0.05
done
url="http://127.0.0.1:$(cat "$tmp/port")"
"$out/tests/run_scenarios" --gateway "$url" --fake "$url" tests/scenarios/selftest
rc=$?
kill -TERM "$fake"
if ! wait "$fake"; then
    echo "selftest: fake_binance did not exit cleanly:" >&2
    cat "$tmp/fake.log" >&2
    rc=1
fi
rm -rf "$tmp"
exit "$rc"
