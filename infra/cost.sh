#!/usr/bin/env bash
# cost.sh: what the stack costs a month at the default schedule, from list
# prices quoted with their source and date (README "Deploying"). Counts
# what it can from the repository itself (the schedule, the alarms in the
# template, the metrics a trader run publishes); the rest are assumptions,
# printed, each overridable:
#   RUNS_PER_MONTH   trader runs (default: scheduler.yaml's rate, 30 days)
#   RUN_MS           a trader run's billed duration (200: the built-in predictor;
#                    Gemini's answer adds seconds)
#   READ_REQUESTS    HTTP requests a month to the read functions (10000)
#   ARCH             x86_64 (default) or arm64
# No free tier is applied. Prices: us-east-1, as quoted in
# ../shared/reference/aws-deploy.md on 2026-11-21 from the pages named;
# re-check them there before quoting a figure to anyone.
set -euo pipefail
cd "$(dirname "$0")/.."
every=$(sed -n 's/^ *expression: *rate(\([0-9]*\) minutes*).*/\1/p' scheduler.yaml | head -1)
runs=${RUNS_PER_MONTH:-$((30 * 24 * 60 / ${every:-5}))}
run_ms=${RUN_MS:-200}
reads=${READ_REQUESTS:-10000}
arch=${ARCH:-x86_64}
alarms=$(grep -c 'Type: AWS::CloudWatch::Alarm' infra/template.yaml)
metrics=$(grep -cE '^ *\{"[A-Za-z]+", "(Count|Milliseconds)"' shared/pipelines/trader.c)
mem_mb=$(sed -n 's/^    MemorySize: *\([0-9]*\)/\1/p' infra/template.yaml | head -1)
awk -v runs="$runs" -v run_ms="$run_ms" -v reads="$reads" -v arch="$arch" -v alarms="$alarms" \
  -v metrics="$metrics" -v mem="${mem_mb:-128}" 'BEGIN {
  gbs = (arch == "arm64") ? 0.0000133334 : 0.0000166667   # per GB-s  https://aws.amazon.com/lambda/pricing/
  req = 0.20 / 1e6                                        # per request, same page
  api = 1.00 / 1e6                                        # HTTP API  https://aws.amazon.com/api-gateway/pricing/
  put = 0.005 / 1000; get = 0.0004 / 1000                 # S3        https://aws.amazon.com/s3/pricing/
  logs = 0.50                                             # per GB ingested  https://aws.amazon.com/cloudwatch/pricing/
  metric = 0.30; alarm = 0.10                             # per metric / standard alarm a month, same page
  secret = 0.40                                           # per secret a month  https://aws.amazon.com/secrets-manager/pricing/
  gb = mem / 1024
  # per trader run: 2 symbols x (request + decision) + run record + invocation log = 6 PUTs;
  # ~8 LISTs (risk, pause, plans, the day'"'"'s trades, outbox) and ~6 GETs; ~10 KB of log lines
  t_compute = runs * gb * run_ms / 1000 * gbs; t_req = runs * req
  r_compute = reads * gb * 0.05 * gbs + reads * req; r_api = reads * api
  s3 = runs * (6 + 8) * put + runs * 6 * get + reads * 2 * get
  lg = (runs * 10 + reads * 2) / 1024 / 1024 * logs
  m = metrics * metric; a = alarms * alarm
  printf "assumptions: %d trader runs of %d ms at %d MB (%s), %d read requests, %d alarms, %d metrics\n", runs, run_ms, mem, arch, reads, alarms, metrics
  printf "%-34s %9s\n", "item", "USD/month"
  printf "%-34s %9.4f\n", "trader compute + requests", t_compute + t_req
  printf "%-34s %9.4f\n", "read functions + HTTP API", r_compute + r_api
  printf "%-34s %9.4f\n", "S3 requests", s3
  printf "%-34s %9.4f\n", "CloudWatch Logs ingestion", lg
  printf "%-34s %9.4f\n", "Secrets Manager (1 secret)", secret
  printf "%-34s %9.4f\n", "custom metrics (EMF)", m
  printf "%-34s %9.4f\n", "alarms", a
  printf "%-34s %9.2f\n", "total (no free tier)", t_compute + t_req + r_compute + r_api + s3 + lg + secret + m + a
}'
