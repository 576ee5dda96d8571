#!/usr/bin/env bash
# The libraries every bootstrap links statically, built from Debian's own
# source packages (README "Deployment"; the measured study behind each choice:
# shared/reference/lean-libcurl.md):
#   libcurl  HTTP and HTTPS over OpenSSL only; no other protocol, no IDN, PSL,
#            brotli, zstd, zlib, nghttp2, proxy or cookies; no OpenSSL config
#            file and no ENGINE loading (both cost start-up time and neither is
#            used); no compiled-in CA location (the bootstrap names its own)
#   cJSON    its one source file with Debian's patches
# Debian's series for curl ends with 90_gnutls and 99_nss, which rebuild the
# library as the GnuTLS/NSS flavours: every patch but those two is applied,
# so Debian's security fixes are in.
#
#   infra/third_party.sh dir          prints build/third_party/<key>: the key
#                                     names the source versions and hashes them
#                                     with this file (its flags), libssl-dev's
#                                     version and gcc's (gcc builds them for
#                                     every variant)
#   infra/third_party.sh build DIR    builds into DIR/{include,lib}, then DIR/ok
#
# Both fail, with the line to fix it, when apt has no deb-src entry or
# dpkg-dev is missing: a build that silently fell back to the system's shared
# libcurl would not start on Lambda. `infra/dev.sh` sets both up.
set -euo pipefail
SELF=$(readlink -f "$0")
cd "$(dirname "$SELF")/.."

hint() {
  echo "third_party: $1" >&2
  echo "  ./infra/dev.sh deps sets this up (a deb-src entry in its own file under" >&2
  echo "  /etc/apt/sources.list.d/, and dpkg-dev); README \"Deployment\" says why" >&2
  exit 1
}

# the newest version apt's Sources index offers (what `apt-get source` picks)
source_version() {
  apt-cache showsrc --only-source "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1
}

versions() {
  command -v dpkg-source >/dev/null || hint "dpkg-source not found (package dpkg-dev)"
  curl_v=$(source_version curl)
  cjson_v=$(source_version cjson)
  [ -n "$curl_v" ] && [ -n "$cjson_v" ] ||
    hint "apt knows no source package for curl or cjson (no deb-src entry, or no apt-get update since)"
  ssl_v=$(dpkg-query -W -f='${Version}' libssl-dev 2>/dev/null) || hint "libssl-dev is not installed"
}

CURL_FLAGS=(
  --disable-shared --enable-static --disable-dependency-tracking --with-pic=no
  --with-openssl --without-zlib --without-brotli --without-zstd --without-libpsl --without-libidn2
  --without-nghttp2 --without-ngtcp2 --without-nghttp3 --without-quiche --without-msh3 --without-hyper
  --without-libssh2 --without-libssh --without-wolfssh --without-librtmp --without-libgsasl --without-gssapi
  --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3
  --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-ftp --disable-file
  --disable-manual --disable-libcurl-option --disable-ntlm --disable-ntlm-wb --disable-tls-srp
  --disable-unix-sockets --disable-cookies --disable-alt-svc --disable-hsts --disable-doh --disable-mime
  --disable-netrc --disable-dnsshuffle --disable-get-easy-options --disable-websockets --disable-proxy
  --disable-progress-meter --without-ca-bundle --without-ca-path --without-ca-fallback
  --disable-openssl-auto-load-config
)
# -ffunction-sections/-fdata-sections: the bootstraps link with --gc-sections
LIB_CFLAGS="-O2 -g -ffunction-sections -fdata-sections -fstack-protector-strong"
LIB_CPPFLAGS="-D_FORTIFY_SOURCE=2" # configure wants -D in CPPFLAGS

# runs a step with its output kept aside, shown only when it fails
quiet() {
  "$@" >"$scratch/step.log" 2>&1 || { tail -40 "$scratch/step.log" >&2; echo "third_party: failed: $*" >&2; exit 1; }
}

# gcc builds them for every variant (clang's fuzz build links the same archives)
cmd_dir() {
  versions
  local key
  key=$( { cat "$SELF"; echo "$curl_v $cjson_v $ssl_v"; gcc --version | head -1; } | sha256sum | cut -c1-10)
  echo "build/third_party/curl-${curl_v}_cjson-${cjson_v}_$key" | tr '+~:' '__.'
}

cmd_build() {
  local out=$1
  versions
  local scratch
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/third_party.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$scratch'" EXIT
  chmod 755 "$scratch" # apt hands the download to its unprivileged user when it can
  rm -rf "$out" && mkdir -p "$out/include" "$out/lib"

  (cd "$scratch" && apt-get source --download-only -qq "curl=$curl_v" "cjson=$cjson_v" 2>&1 |
     grep -v 'Download is performed unsandboxed' >&2 || true)
  ls "$scratch"/curl_*.dsc "$scratch"/cjson_*.dsc >/dev/null 2>&1 ||
    hint "apt-get source curl=$curl_v cjson=$cjson_v fetched nothing"

  # cJSON: Debian's patches applied as dpkg-source does for any package
  quiet dpkg-source -x "$scratch"/cjson_*.dsc "$scratch/cjson"
  gcc $LIB_CPPFLAGS $LIB_CFLAGS -std=c89 -c "$scratch/cjson/cJSON.c" -o "$scratch/cJSON.o"
  ar rcs "$out/lib/libcjson.a" "$scratch/cJSON.o"
  cp "$scratch/cjson/cJSON.h" "$out/include/"

  # curl: the series without the two flavour patches
  quiet dpkg-source -x --skip-patches "$scratch"/curl_*.dsc "$scratch/curl"
  local p
  grep -v -e '^#' -e '^[[:space:]]*$' -e '^90_gnutls' -e '^99_nss' "$scratch/curl/debian/patches/series" |
    while read -r p; do patch -s -p1 -d "$scratch/curl" <"$scratch/curl/debian/patches/$p"; done
  # No ENGINE loading: curl passes OPENSSL_INIT_ENGINE_ALL_BUILTIN whenever
  # OpenSSL defines it (0.3 ms of every cold start; CURLOPT_SSLENGINE is never
  # used). The line must be there exactly once, else the build stops here.
  local ossl="$scratch/curl/lib/vtls/openssl.c"
  [ "$(grep -c '^    OPENSSL_INIT_ENGINE_ALL_BUILTIN |$' "$ossl")" = 1 ] ||
    { echo "third_party: curl's ENGINE init line moved; update the patch in $SELF" >&2; exit 1; }
  sed -i 's/^    OPENSSL_INIT_ENGINE_ALL_BUILTIN |$/    \/* no ENGINEs (infra\/third_party.sh) *\//' "$ossl"

  mkdir -p "$scratch/curl-build"
  (cd "$scratch/curl-build" &&
     CC=gcc CFLAGS="$LIB_CFLAGS" CPPFLAGS="$LIB_CPPFLAGS" quiet ../curl/configure "${CURL_FLAGS[@]}")
  quiet make -C "$scratch/curl-build/lib" -j"${JOBS:-2}"
  cp "$scratch/curl-build/lib/.libs/libcurl.a" "$out/lib/"
  mkdir -p "$out/include/curl"
  cp "$scratch/curl"/include/curl/*.h "$out/include/curl/"
  { echo "curl $curl_v (${CURL_FLAGS[*]})"; echo "cjson $cjson_v"; echo "libssl-dev $ssl_v"; } >"$out/versions"
  touch "$out/ok"
}

case "${1:-}" in
  dir) cmd_dir ;;
  build) [ -n "${2:-}" ] || { echo "usage: $0 build DIR" >&2; exit 2; }; cmd_build "$2" ;;
  *) echo "usage: $0 dir | build DIR" >&2; exit 2 ;;
esac
