#!/usr/bin/env bash
# rgw_down.sh STATE_DIR [--keep]: stops the daemons tests/s3/rgw_up.sh started
# in STATE_DIR (radosgw, then the OSD, then the monitor: SIGTERM, SIGKILL after
# 5 s) and removes STATE_DIR unless --keep is given. Only the PIDs recorded in
# STATE_DIR are signalled, and only while they still run the program they were
# started as.
set -uo pipefail
STATE=${1:?usage: rgw_down.sh STATE_DIR [--keep]}
[ -d "$STATE" ] || exit 0

stop() { # stop NAME PROGRAM
  local f="$STATE/$1.pid" pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  # a recycled PID must not be hit: check it is still our program
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || { rm -f "$f"; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$f"
}
stop rgw radosgw
stop osd ceph-osd
stop mon ceph-mon
[ "${2:-}" = --keep ] || rm -rf "$STATE"
exit 0
