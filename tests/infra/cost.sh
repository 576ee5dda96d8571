#!/usr/bin/env bash
# cost: the cost table in README "Deploying" is what infra/cost.sh prints
# today (a new alarm, metric or schedule changes both, or this fails).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(infra/cost.sh 2>&1) || { echo "FAIL cost_script: $out"; echo "cost: 0 passed, 1 failed"; exit 1; }
missing=""
while IFS= read -r line; do
  grep -qxF -- "$line" README.md || missing+="  $line"$'\n'
done <<<"$out"
if [ -z "$missing" ]; then
  echo "ok   readme_cost_table"; echo "cost: 1 passed, 0 failed"
else
  printf 'FAIL readme_cost_table: README "Deploying" lacks these lines infra/cost.sh prints:\n%s' "$missing"
  echo "cost: 0 passed, 1 failed"; exit 1
fi
