#!/usr/bin/env bash
# tests/strace.sh: strace's tests. In the guest, tests/guest/strace.sh (as /tests/strace.sh)
# traces known programs and busybox; here on the host, one check that strace has a
# decoder for every call in the kernel's table. Prints the guest's PASS/FAIL lines, its
# own, and one "N passed, N failed" line for both.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

out=$(mktemp "${TMPDIR:-/tmp}/strace-test.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
tools/vrun --timeout 300 -- /bin/sh /tests/strace.sh 2>&1 | grep -v -E '^[0-9]+ passed, [0-9]+ failed$' | tee "$out"
status=${PIPESTATUS[0]}
passed=$(grep -c '^PASS ' "$out")
failed=$(grep -c '^FAIL ' "$out")
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
  echo "FAIL strace.sh: the guest run ended with status $status"
  failed=$((failed + 1))
fi

# Every SYSCALL(nr, name) of include/vitrine/syscalls.def has a line {"name", ...} in decoders[].
missing=$(sed -n 's/^SYSCALL([0-9]*, *\([a-z_0-9]*\))$/\1/p' include/vitrine/syscalls.def | while read -r name; do
  grep -q "^    {\"$name\", R_" user/strace.c || printf '%s ' "$name"
done)
if [ -z "$missing" ]; then
  echo "PASS decoders_cover_syscalls_def"
  passed=$((passed + 1))
else
  echo "FAIL decoders_cover_syscalls_def: no decoder for: $missing"
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
