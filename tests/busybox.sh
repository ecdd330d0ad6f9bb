#!/usr/bin/env bash
# tests/busybox.sh: a conformance run of Debian's busybox testsuite (testsuite/ of
# `apt-get source busybox`, fetched once into build/busybox-src by tools/debian-src.sh)
# against Debian's busybox-static, the /bin/busybox Vitrine ships: once on the host,
# once in the guest, the same files and applets both times.
#
# PASS criterion: every test that passes on the host passes in the guest, except those
# listed (each with its reason) in tests/busybox-known.txt. A listed test that passes
# in the guest now is reported, so the list shrinks as the kernel grows; a test that
# fails on the host proves nothing either way and is not compared.
#
# Both runs use busybox's own shell for the test scripts (their "#!/bin/sh" becomes
# "#!/bin/busybox sh" in the copy: the host's /bin/sh is dash, the guest's is busybox),
# as root, with SKIP_KNOWN_BUGS and SKIP_INTERNET_TESTS set, SHELL=/bin/sh and
# LANG=C.UTF-8 (busybox turns its Unicode support on by LANG; the guest's environment
# has neither). BUSYBOX_APPLETS (default
# below: the applets whose tests exercise files, processes and the shell, chosen so
# the whole test takes a few minutes) says what runs; BUSYBOX_APPLETS=all runs
# the whole testsuite (as for the counts in docs/syscalls.md).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=build
default_applets="ash cat cp cpio cut date diff du find head hostid hostname id ln ls md5sum
mkdir mv pidof readlink rm rmdir sed sort start-stop-daemon stat tail tar taskset tee test
touch unzip which xargs"
applets=${BUSYBOX_APPLETS:-$default_applets}
[ "$applets" = all ] && applets=
applets=$(echo $applets) # one line

fail() {
  echo "FAIL $1: $2"
  echo "0 passed, 1 failed"
  exit 1
}

src=$(tools/debian-src.sh busybox "$B/busybox-src") || fail busybox_source "cannot get busybox's source package (tools/debian-src.sh)"
[ -x /bin/busybox ] || fail busybox_host "no /bin/busybox on the host"

# The staged tree: bb/testsuite (shebangs changed) and bb/.config (Debian's static
# flavour: the testsuite skips what the binary does not have); bb/busybox and bb/sh
# are links made where it runs, so runtest's default bindir (bb) works unchanged.
tar=$B/busybox-test.tar
if [ ! -s "$tar" ] || [ "$0" -nt "$tar" ]; then
  stage=$(mktemp -d "${TMPDIR:-/tmp}/bbstage.XXXXXX") || exit 1
  mkdir "$stage/bb"
  cp -r "$src/testsuite" "$stage/bb/"
  cat "$src/debian/config/os/linux" "$src/debian/config/pkg/static" > "$stage/bb/.config"
  grep -rl '^#!/bin/sh' "$stage/bb/testsuite" | xargs sed -i '1s|^#!/bin/sh|#!/bin/busybox sh|'
  (cd "$stage" && tar cf - bb) > "$tar.new" && mv "$tar.new" "$tar"
  rm -rf "$stage"
fi

# The commands both runs execute, from the directory holding bb/.
run="ln -s /bin/busybox bb/busybox && ln -s /bin/busybox bb/sh && cd bb/testsuite &&
  unset LC_ALL LC_CTYPE; export LANG=C.UTF-8 SHELL=/bin/sh &&
  SKIP_KNOWN_BUGS=1 SKIP_INTERNET_TESTS=1 /bin/busybox sh ./runtest -v $applets;
  echo RUNTEST-DONE"

work=$(mktemp -d "${TMPDIR:-/tmp}/bbtest.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/host"
tar xf "$tar" -C "$work/host"
(cd "$work/host" && timeout 900 /bin/busybox sh -c "$run") > "$work/host.out" 2>&1
tools/vrun --memory 256 --timeout 900 --file "$tar:/busybox-test.tar" -- /bin/sh -c \
  "cd /tmp && tar xf /busybox-test.tar && $run" > "$work/guest.out" 2>&1
grep -q '^RUNTEST-DONE' "$work/host.out" || fail busybox_host "the host run did not finish"
grep -q '^RUNTEST-DONE' "$work/guest.out" ||
  fail busybox_guest "the guest run did not finish: $(tail -n 3 "$work/guest.out" | tr '\n' '|')"

# Test names as runtest prints them ("PASS: name"), as sorted lists (a name may repeat).
grep '^PASS: ' "$work/host.out" | sed 's/^PASS: //' | sort > "$work/host.pass"
grep '^PASS: ' "$work/guest.out" | sed 's/^PASS: //' | sort > "$work/guest.pass"
grep -v '^#' tests/busybox-known.txt | cut -f1 | sed '/^$/d' | sort > "$work/known"
comm -23 "$work/host.pass" "$work/guest.pass" > "$work/missing"
comm -23 "$work/missing" "$work/known" > "$work/unexplained"
comm -12 "$work/known" "$work/guest.pass" > "$work/fixed"

h=$(wc -l < "$work/host.pass") g=$(wc -l < "$work/guest.pass")
m=$(wc -l < "$work/missing") u=$(wc -l < "$work/unexplained")
echo "# busybox testsuite (${applets:-all applets}): $h pass on the host, $g in the guest;"
echo "# $m pass on the host only, $((m - u)) of them listed in tests/busybox-known.txt"
while IFS= read -r t; do
  echo "# listed in tests/busybox-known.txt but passes in the guest now: $t"
done < "$work/fixed"
failed=0
while IFS= read -r t; do
  echo "FAIL busybox: \"$t\" passes on the host, not in the guest"
  grep -A12 -F "FAIL: $t" "$work/guest.out" | sed 's/^/#   /' | head -n 12
  failed=$((failed + 1))
done < "$work/unexplained"
if [ "$h" -gt 0 ] && [ "$failed" -eq 0 ]; then
  echo "PASS busybox_testsuite ($g of the host's $h, every difference listed)"
  echo "1 passed, 0 failed"
  exit 0
fi
[ "$h" -gt 0 ] || { echo "FAIL busybox_host: no test passed on the host"; failed=$((failed + 1)); }
echo "0 passed, $failed failed"
exit 1
