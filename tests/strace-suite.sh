#!/usr/bin/env bash
# tests/strace-suite.sh: a selection of upstream strace's own test suite
# (tests/strace-tests.txt; its scripts and static musl test programs staged in
# build/strace/suite by tools/strace-build.sh, which `make` runs), with upstream strace
# (/usr/bin/strace in the guest, the same binary on the host): once on the host Linux (the
# baseline), once in one guest, by tests/guest/strace-suite.sh both times, with busybox's
# shell and applets both times (the host's PATH is a directory of links to /bin/busybox).
#
# PASS criterion, as tests/busybox.sh: every test that passes on the host passes in the
# guest, except those listed with their reason in tests/strace-known.txt; a listed test
# that passes in the guest now is reported (the list shrinks as the kernel grows). A
# test that fails or is skipped on the host is not compared. The counts are in
# docs/ptrace.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=build
suite=$B/strace/suite

fail() {
  echo "FAIL $1: $2"
  echo "0 passed, 1 failed"
  exit 1
}
[ -f "$suite/tests/SELECTION" ] || fail strace_suite "no $suite (tools/strace-build.sh, run by make)"
[ -x /bin/busybox ] || fail strace_suite_host "no /bin/busybox on the host"

work=$(mktemp -d "${TMPDIR:-/tmp}/strace-suite.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# The host: a copy of the staged tree (the tests write into it), busybox's applets first
# on PATH.
mkdir -p "$work/bin"
for a in $(/bin/busybox --list); do ln -s /bin/busybox "$work/bin/$a"; done
cp -a "$suite" "$work/suite"
env -i PATH="$work/bin" HOME=/root /bin/busybox sh tests/guest/strace-suite.sh "$work/suite" \
  > "$work/host.out" 2>&1
tools/vrun --memory 256 --timeout 900 --tree "$suite:/strace-suite" -- \
  /bin/sh /tests/strace-suite.sh /strace-suite /tmp/strace-suite > "$work/guest.out" 2>&1
rc=$?
grep -q '^RESULT-END' "$work/guest.out" ||
  { tail -n 30 "$work/guest.out"; fail strace_suite_guest "the guest run did not finish (vrun status $rc)"; }

results() { grep '^RESULT ' "$1" | awk -v s="$2" '$3 == s { print $2 }' | sort; }
results "$work/host.out" pass > "$work/host.pass"
results "$work/guest.out" pass > "$work/guest.pass"
grep -v '^#' tests/strace-known.txt | cut -f1 | sed '/^$/d' | sort > "$work/known"
comm -23 "$work/host.pass" "$work/guest.pass" > "$work/missing"
comm -23 "$work/missing" "$work/known" > "$work/unexplained"
comm -12 "$work/known" "$work/guest.pass" > "$work/fixed"
sel=$(grep -c . "$suite/tests/SELECTION")
h=$(grep -c . "$work/host.pass")
g=$(comm -12 "$work/host.pass" "$work/guest.pass" | grep -c .)
m=$(grep -c . "$work/missing")
echo "# $sel tests selected; $h pass on the host, $g of them in the guest ($((h ? 100 * g / h : 0))%)"
echo "# skipped on the host: $(results "$work/host.out" skip | tr '\n' ' ')"
echo "# failed on the host: $(results "$work/host.out" fail | tr '\n' ' ')"
echo "# pass on the host only, listed in tests/strace-known.txt: $(comm -12 "$work/missing" "$work/known" | tr '\n' ' ')"
sed 's|^|# listed in tests/strace-known.txt but passes in the guest now: |' "$work/fixed"
failed=0
for t in $(cat "$work/unexplained"); do
  echo "FAIL strace_suite: $t passes on the host, not in the guest"
  awk -v t="$t" '$1 == "RESULT" { on = ($2 == t) ; next } on' "$work/guest.out" | head -n 20
  failed=$((failed + 1))
done
passed=0
if [ "$failed" = 0 ]; then
  echo "PASS strace_suite ($g of the host's $h, every difference listed)"
  passed=1
fi
[ "$h" -gt 0 ] || { echo "FAIL strace_suite_host: no test passed on the host"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
