#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine: installs whatever the
# project needs that is missing (as root, or through sudo), then hands over
# to make (demo and run: make builds, then their script runs).
#   ./infra/dev.sh demo | test | run | bench | deps
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  gcc make pkg-config libc6-dev          # toolchain
  libcurl4-openssl-dev libssl-dev        # HTTPS (libcurl, OpenSSL flavour)
  libcjson-dev libyaml-dev               # JSON, scheduler.yaml
  libmicrohttpd-dev                      # local gateway and fake upstreams
  libcmocka-dev                          # unit tests
  ca-certificates tzdata curl jq         # TLS roots, zone data, demo requests (jq: the execute demo)
)
# the tests also run a real S3 server (Ceph RGW, one node in RAM) and the AWS CLI,
# check that every C file is as .clang-format lays it out (tests/format), and
# run the libFuzzer targets (tests/fuzz): clang, and its runtimes (libFuzzer,
# ASan, UBSan), which Debian 12's clang only recommends
TEST_PACKAGES=(radosgw ceph-mon ceph-osd awscli clang-format clang libclang-rt-14-dev)
# make bench measures the S3 store against the same server
case "${1:-demo}" in test|bench) PACKAGES+=("${TEST_PACKAGES[@]}") ;; esac

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "dev.sh: installing needs root: run it as root, or have root run" >&2
      echo "  apt-get update && apt-get install --no-install-recommends ${missing[*]}" >&2
      echo "then run $0 ${1:-demo} again (it installs nothing once they are there)" >&2
      exit 1
    fi
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

case "${1:-demo}" in
  deps) ;;
  # demo and run end with Ctrl-C, which reaches make too when make runs them:
  # GNU make then ends by that signal (status 130), whatever its recipe did.
  # So make only builds (what `make demo` and `make run` do first; -s: no
  # "Nothing to be done" line), and the script takes this one's place:
  # Ctrl-C stops it with status 0.
  demo|run) make -s -j"$(nproc)" all; exec "infra/local/$1.sh" ;;
  test|bench) exec make -j"$(nproc)" "$1" ;;
  *) echo "usage: $0 demo|test|run|bench|deps" >&2; exit 2 ;;
esac
