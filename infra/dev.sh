#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine: installs whatever the
# project needs that is missing (as root, or through sudo), then hands over
# to make (demo and run: make builds, then their script runs).
#   ./infra/dev.sh demo | test | run | bench | deps
set -euo pipefail
cd "$(dirname "$0")/.."
CMD=${1:-demo}

PACKAGES=(
  gcc make pkg-config libc6-dev          # toolchain
  libssl-dev dpkg-dev patch              # static OpenSSL; libcurl and cJSON from Debian's source
  libyaml-dev                            # scheduler.yaml
  libmicrohttpd-dev                      # local gateway and fake upstreams
  libcmocka-dev                          # unit tests
  ca-certificates tzdata curl jq zip     # TLS roots, zone data, demo requests (jq: the execute demo), make package
)
# the tests also run a real S3 server (Ceph RGW, one node in RAM) and the AWS CLI,
# check that every C file is as .clang-format lays it out (tests/format), and
# run the libFuzzer targets (tests/fuzz): clang, and its runtimes (libFuzzer,
# ASan, UBSan), which Debian 12's clang only recommends
# the package test (tests/package) unzips each function into a bare root and
# puts a TLS front (socat) before its fake upstream
TEST_PACKAGES=(radosgw ceph-mon ceph-osd awscli clang-format clang libclang-rt-14-dev unzip socat)
# make bench measures the S3 store against the same server, and the cold start
# beside a build on Debian's shared libcurl (LIBCURL=system)
BENCH_PACKAGES=(libcurl4-openssl-dev libcjson-dev)
case "${1:-demo}" in
  test) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
  bench) PACKAGES+=("${TEST_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
esac

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else
    echo "dev.sh: this step needs root: run it as root, or have root run" >&2
    echo "  $*" >&2
    echo "then run $0 $CMD again" >&2
    exit 1
  fi
}

# make builds libcurl and cJSON from Debian's source packages
# (infra/third_party.sh), which needs a deb-src entry. The system's own
# sources files are never edited: the entry goes in a file of its own, a copy
# of the system's deb entries as deb-src (a "Types: deb deb-src" line would
# make apt warn that every target is configured twice).
DEB_SRC_FILE=/etc/apt/sources.list.d/trader-deb-src.sources
need_update=""
if ! grep -qrsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "adding apt's deb-src entries in $DEB_SRC_FILE" >&2
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources
  else
    grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | sed 's/^deb /deb-src /' |
      while read -r _ uri suite comps; do
        printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n\n' "$uri" "$suite" "$comps"
      done
  fi >"${TMPDIR:-/tmp}/trader-deb-src.sources"
  grep -q '^Types: deb-src' "${TMPDIR:-/tmp}/trader-deb-src.sources" ||
    { echo "dev.sh: found no Debian entries to copy as deb-src; add one by hand (README \"Deployment\")" >&2; exit 1; }
  as_root install -m 0644 "${TMPDIR:-/tmp}/trader-deb-src.sources" "$DEB_SRC_FILE"
  need_update=1
fi
# an entry without its Sources index yet (no apt-get update since)
apt-cache showsrc --only-source curl 2>/dev/null | grep -q '^Version:' || need_update=1

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  as_root apt-get update -qq
  need_update=""
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -z "$need_update" ] || as_root apt-get update -qq

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
