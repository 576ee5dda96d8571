#!/usr/bin/env bash
# infra/ca_dir.sh BUNDLE DIR: the certificates of a PEM bundle (Debian's
# ca-certificates: /etc/ssl/certs/ca-certificates.crt) as an OpenSSL hashed
# directory, <subject hash>.<n> per certificate, regular files only (a zip
# keeps no links). With CURLOPT_CAPATH OpenSSL opens only the one or two files
# a chain needs; a bundle in CURLOPT_CAINFO is parsed whole, ~25 ms at the
# first HTTPS request (shared/reference/lean-libcurl.md §4). DIR/ok last.
set -euo pipefail
bundle=$1 dir=$2
rm -rf "$dir" && mkdir -p "$dir"
awk -v dir="$dir" '/-----BEGIN CERTIFICATE-----/ { n++; f = sprintf("%s/ca-%03d.pem", dir, n) }
                   f { print > f } /-----END CERTIFICATE-----/ { close(f); f = "" }' "$bundle"
ls "$dir"/ca-*.pem >/dev/null 2>&1 || { echo "ca_dir: no certificate in $bundle" >&2; exit 1; }
openssl rehash "$dir"
for link in "$dir"/*.[0-9]; do
  target=$(readlink "$link")
  rm "$link" && cp "$dir/$target" "$link"
done
rm "$dir"/ca-*.pem
echo "$(ls "$dir" | wc -l) certificates from $bundle" >"$dir/ok"
