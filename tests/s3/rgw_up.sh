#!/usr/bin/env bash
# rgw_up.sh STATE_DIR: starts a throwaway S3 server for the tests, a one-node
# Ceph (monitor + OSD on memstore, all in RAM) with radosgw in front, bound to
# 127.0.0.1 on free ports, then creates a user with fresh random keys and an
# empty bucket. Everything lives under STATE_DIR (created; must not exist or be
# empty); tests/s3/rgw_down.sh STATE_DIR stops it and removes the directory.
#
# Writes STATE_DIR/s3.env, for `source` or for run_s3 (S3_TEST_ENV=...):
#   S3_TEST_ENDPOINT=http://127.0.0.1:PORT  S3_TEST_REGION=us-east-1
#   S3_TEST_BUCKET=...  S3_TEST_ACCESS_KEY=...  S3_TEST_SECRET_KEY=...
# and prints "rgw: http://127.0.0.1:PORT (N s)" (about 2 s). Exit status 0
# only when the bucket answered; otherwise the daemons it started are stopped
# again and their logs stay in STATE_DIR/log. Several may run at once.
#
# Needs the Debian packages radosgw, ceph-mon, ceph-osd (Ceph 16, which bring
# the ceph CLI) and curl. Daemon-to-daemon auth is off (nothing leaves the
# loopback); S3 requests are still fully authenticated by radosgw (SigV4).
set -euo pipefail
STATE=${1:?usage: rgw_up.sh STATE_DIR}
BUCKET=${S3_TEST_BUCKET:-trader-test}
REGION=us-east-1
started=$SECONDS

die() { echo "rgw_up: $*" >&2; exit 1; }
for tool in ceph ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph-authtool curl; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd curl)"
done
[ -e "$STATE" ] && [ -n "$(ls -A "$STATE")" ] && die "$STATE is not empty"
mkdir -p "$STATE"/{mon,osd0,run,log,rgw}
STATE=$(cd "$STATE" && pwd)
# admin sockets are AF_UNIX paths: keep them short
[ ${#STATE} -le 80 ] || die "state dir path too long for Ceph's admin sockets: $STATE"

# stop what was started if anything below fails (logs stay in $STATE/log)
up=0
here=$(cd "$(dirname "$0")" && pwd)
trap '[ $up = 1 ] || "$here/rgw_down.sh" "$STATE" --keep >/dev/null 2>&1' EXIT

# a port nothing answers on: a connect to it is refused
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# ports below the kernel's ephemeral range (which outgoing connections take
# from at any moment) and above Ceph's OSD range (6800-7300)
read -r eph_low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph_low=32768
[ "${eph_low:-0}" -gt 12000 ] || eph_low=32768
pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % (eph_low - 10000)))
    [ "$p" != "${1:-}" ] && port_free "$p" && { echo "$p"; return 0; }
  done
  return 1
}
# wait_for LIMIT_S NAME CMD...: polls CMD every 0.2 s until it succeeds; fails
# after LIMIT_S seconds, or at once when daemon NAME ($STATE/NAME.pid) died
wait_for() {
  local limit=$1 name=$2; shift 2
  local end=$((SECONDS + limit))
  while ! "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null || return 1
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}
hex() { tr -d '-' </proc/sys/kernel/random/uuid; }

MON_PORT=$(pick_port) || die "no free port"
RGW_PORT=$(pick_port "$MON_PORT") || die "no free port"
FSID=$(cat /proc/sys/kernel/random/uuid)
ACCESS_KEY=AKIA$(hex | cut -c1-16 | tr a-f A-F)
SECRET_KEY=$(hex)$(hex | cut -c1-8)
CONF=$STATE/ceph.conf

cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
# messenger v1 on IPv4 loopback only (v2 and IPv6 binds fail in containers)
ms bind msgr2 = false
ms bind ipv6 = false
ms bind ipv4 = true
public addr = v1:127.0.0.1
cluster addr = v1:127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# one OSD, everything in RAM
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
# the OSD's own start-up CRUSH commands can reach the monitor before it knows
# the cluster's fsid ('wrong fsid', the OSD never comes up): place it in the
# CRUSH map from the CLI instead
osd crush update on start = false
osd class update on start = false
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# commit cluster-map changes at once (default: batched each second), so the
# pools radosgw creates at start come up in a fraction of the time
paxos propose interval = 0.01
paxos min wait = 0.001
run dir = $STATE/run
admin socket = $STATE/run/\$name.asok
log file = $STATE/log/\$name.log
mon data = $STATE/mon/\$id
osd data = $STATE/osd\$id
keyring = $STATE/keyring
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $STATE/rgw
CONF

ceph-authtool --create-keyring "$STATE/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$STATE/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE/monmap" >"$STATE/log/mkfs.out" 2>&1
ceph-mon -c "$CONF" -i a -f >"$STATE/log/mon.out" 2>&1 &
echo $! >"$STATE/mon.pid"
wait_for 30 mon timeout 5 ceph -c "$CONF" --connect-timeout 2 mon stat || die "monitor did not come up (see $STATE/log)"

ceph -c "$CONF" osd create >/dev/null
ceph -c "$CONF" osd crush add osd.0 1.0 root=default >/dev/null 2>&1
ceph-osd -c "$CONF" -i 0 --mkfs >"$STATE/log/osd-mkfs.out" 2>&1
ceph-osd -c "$CONF" -i 0 -f >"$STATE/log/osd.out" 2>&1 &
echo $! >"$STATE/osd.pid"
osd_up() { timeout 5 ceph -c "$CONF" osd stat 2>/dev/null | grep -q '1 up'; }
wait_for 30 osd osd_up || die "OSD did not come up (see $STATE/log)"

radosgw -c "$CONF" -n client.rgw -f >"$STATE/log/rgw.out" 2>&1 &
echo $! >"$STATE/rgw.pid"
EP=http://127.0.0.1:$RGW_PORT
wait_for 60 rgw curl -s -o /dev/null --max-time 2 "$EP/" || die "radosgw did not answer on $EP (see $STATE/log)"

timeout 60 radosgw-admin -c "$CONF" user create --uid=trader-test --display-name=trader-test \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null || die "radosgw-admin user create failed"

# PUT /bucket, signed by curl (which needs x-amz-content-sha256 given by hand)
make_bucket() {
  local code
  code=$(curl -s -o "$STATE/log/bucket.out" -w '%{http_code}' --max-time 10 -X PUT \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -H 'Content-Length: 0' "$EP/$BUCKET")
  [ "$code" = 200 ]
}
wait_for 30 rgw make_bucket || die "creating bucket $BUCKET failed: $(cat "$STATE/log/bucket.out" 2>/dev/null)"

umask 077
cat >"$STATE/s3.env" <<ENV
S3_TEST_ENDPOINT=$EP
S3_TEST_REGION=$REGION
S3_TEST_BUCKET=$BUCKET
S3_TEST_ACCESS_KEY=$ACCESS_KEY
S3_TEST_SECRET_KEY=$SECRET_KEY
ENV
up=1
echo "rgw: $EP ($((SECONDS - started)) s)"
