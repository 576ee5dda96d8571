#!/usr/bin/env bash
# tests/package/elf_deps.sh RELEASE_BUILD [TOOL_BUILD]: what a bootstrap needs
# from the system it lands on. provided.al2023 guarantees glibc 2.34 and
# nothing else we could link (no libcurl of Debian's, no libcjson), so every
# release bootstrap (RELEASE_BUILD/<name>/bootstrap) and every packaged one
# (RELEASE_BUILD/package/<name>/bootstrap) must have, in its dynamic section:
#   - NEEDED entries among libc.so.6, libm.so.6 and the loader only;
#   - no RPATH or RUNPATH;
#   - no symbol version above GLIBC_2.34 (objdump -T), and no DT_RELR or
#     GLIBC_ABI_DT_RELR (glibc 2.36's packed relocations: 2.34 would start
#     the program with its pointers unrelocated; a bootstrap's packed table is
#     its own to apply, shared/platform/relr.h);
#   - the hardening it ships with: a PIE (ASLR), PT_GNU_RELRO and BIND_NOW.
# The check must also refuse what it exists to refuse: a binary of
# TOOL_BUILD/bin (the local tools link libmicrohttpd dynamically) fails it,
# and so do a program linked here with DT_RELR and one linked without PIE;
# relr_own (RELEASE_BUILD/tools) refuses what it must and takes over a small
# program as it does the bootstraps, which then runs and keeps the rules.
# Prints "elf_deps: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
REL=${1:?usage: elf_deps.sh RELEASE_BUILD [TOOL_BUILD]}
TOOLS=${2:-$REL}
MAX_GLIBC=2.34
ALLOWED='^(libc\.so\.6|libm\.so\.6|ld-linux-x86-64\.so\.2|ld-linux-aarch64\.so\.1)$'
passed=0 failed=0

# why_not FILE: prints each reason FILE breaks the rules (nothing when it keeps them)
why_not() {
  local f=$1 dyn syms lib v
  dyn=$(readelf -d "$f" 2>&1) || { echo "readelf failed: $dyn"; return; }
  while read -r lib; do
    [[ $lib =~ $ALLOWED ]] || echo "needs $lib"
  done < <(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dyn")
  grep -qE '\((RPATH|RUNPATH)\)' <<<"$dyn" && echo "has an RPATH/RUNPATH"
  grep -qE '\(RELR\)' <<<"$dyn" && echo "has DT_RELR (glibc 2.34 does not apply it)"
  readelf -V "$f" 2>/dev/null | grep -q GLIBC_ABI_DT_RELR && echo "needs GLIBC_ABI_DT_RELR"
  readelf -h "$f" 2>/dev/null | grep -qE 'Type:[[:space:]]+DYN' || echo "not a PIE (no ASLR)"
  readelf -lW "$f" 2>/dev/null | grep -q GNU_RELRO || echo "no PT_GNU_RELRO"
  grep -qE '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' <<<"$dyn" || echo "not BIND_NOW"
  syms=$(objdump -T "$f" 2>&1) || { echo "objdump failed"; return; }
  while read -r v; do
    [ "$(printf '%s\n%s\n' "$v" "$MAX_GLIBC" | sort -V | tail -1)" = "$MAX_GLIBC" ] ||
      echo "uses GLIBC_$v symbols (provided.al2023 has $MAX_GLIBC)"
  done < <(grep -o 'GLIBC_[0-9][0-9.]*' <<<"$syms" | sed 's/GLIBC_//' | sort -uV)
}

check() { # NAME MUST_PASS FILE
  local name=$1 want=$2 f=$3 reasons
  reasons=$(why_not "$f")
  if { [ "$want" = pass ] && [ -z "$reasons" ]; } || { [ "$want" = fail ] && [ -n "$reasons" ]; }; then
    passed=$((passed + 1))
    echo "ok   $name${reasons:+ (refused: $(head -1 <<<"$reasons"))}"
  else
    failed=$((failed + 1))
    echo "FAIL $name: ${reasons:-kept the rules, but it should not}" | head -5
  fi
}

n=0
for f in "$REL"/*/bootstrap "$REL"/package/*/bootstrap; do
  [ -f "$f" ] || continue
  check "$f" pass "$f"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "FAIL no bootstrap under $REL (make package first)"; failed=$((failed + 1)); }
for f in "$TOOLS"/bin/fake_binance; do
  [ -f "$f" ] && check "$f (a tool: must be refused)" fail "$f"
done
# what the checks above exist to catch, made here: a pointer in RELRO packed
# as DT_RELR (the bootstraps' table before infra/relr_own.c takes it over),
# and the same program without PIE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'static const char *const p = "x";\nint main(void) { return p[0] != 120; }\n' >"$tmp/p.c"
if gcc -o "$tmp/relr" "$tmp/p.c" -pie -Wl,-z,relro,-z,now,-z,pack-relative-relocs 2>/dev/null &&
   gcc -o "$tmp/nopie" "$tmp/p.c" -no-pie -Wl,-z,relro,-z,now 2>/dev/null; then
  check "a DT_RELR program (must be refused)" fail "$tmp/relr"
  check "a program without PIE (must be refused)" fail "$tmp/nopie"
  # relr_own refuses (leaving the file as it was) a table nobody would apply
  # (DT_INIT is not relr_init) and one that relocates the slot _start reads
  # main from (linked --no-relax: read before relr_init runs); it takes over
  # the same program linked as the bootstraps are, which then runs with its
  # pointers relocated by shared/platform/relr.c and keeps every rule above
  own=(-Ishared -o "$tmp/own" "$tmp/own.c" shared/platform/relr.c -pie
       -Wl,-z,relro,-z,now,-z,pack-relative-relocs,-u,relr_init,-init=relr_init)
  printf 'static const char *const tab[] = {"x", "y"};\nint main(int argc, char **argv) {\n    (void)argv;\n    return tab[argc - 1][0] != 120;\n}\n' >"$tmp/own.c"
  cp "$tmp/relr" "$tmp/relr.orig"
  refused() { ! "$REL/tools/relr_own" "$1" 2>/dev/null && cmp -s "$1" "$2"; }
  if [ -x "$REL/tools/relr_own" ] && refused "$tmp/relr" "$tmp/relr.orig" &&
     gcc "${own[@]}" -Wl,--no-relax 2>/dev/null && cp "$tmp/own" "$tmp/own.orig" &&
     refused "$tmp/own" "$tmp/own.orig" && gcc "${own[@]}" 2>/dev/null &&
     "$REL/tools/relr_own" "$tmp/own" && "$tmp/own"; then
    check "a program whose table relr_own took over" pass "$tmp/own"
    passed=$((passed + 1))
    echo "ok   relr_own refuses a table nobody applies or that _start reads from"
  else
    failed=$((failed + 1))
    echo "FAIL relr_own: took over a table it must refuse, or its program did not run (or $REL/tools/relr_own is missing)"
  fi
else
  echo "FAIL cannot link the programs the check must refuse"
  failed=$((failed + 1))
fi
echo "elf_deps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
