#!/usr/bin/env bash
# tools/runtests.sh HOSTTEST...: run every test program and add up the results.
#
# Runs, in order: each host test binary given; the in-guest suites, each in a fresh
# guest with 32 MiB of RAM (so every run also proves the suites fit in 32 MiB); each
# executable tests/*.sh on the host.
#
# The in-guest suites are found by name: a program tests/guest/NAMEtests.c or a
# directory tests/guest/NAMEtests/ runs as /tests/NAMEtests, a script
# tests/guest/NAMEtests.sh as `/bin/sh /tests/NAMEtests.sh`. A new suite needs no line
# here; other files in tests/guest (helpers, check.sh, strace.sh) are not suites.
# Every program prints "PASS name" / "FAIL name: detail" lines and ends with
# "N passed, N failed". Its last such line is its count; a program that exits non-zero
# without one, exits 0 without one, or exits non-zero while reporting 0 failed, counts
# as one failure under its own name (a crash must not look like success).
# Output streams as the programs run; at the end come the failures, then the total as
# the very last line: "N passed, N failed". Exit status 1 if anything failed.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
passed=0
failed=0
failures=()
out=$(mktemp "${TMPDIR:-/tmp}/runtests.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT

# run_one NAME COMMAND...: run it, show its output, and add its results.
run_one() {
  local name=$1 rc line p f
  shift
  echo "=== $name"
  "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  while IFS= read -r line; do
    failures+=("$name: ${line#FAIL }")
  done < <(grep '^FAIL ' "$out")
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
    failures+=("$name: exited with status $rc without a \"N passed, N failed\" line")
    return
  fi
  read -r p _ f _ <<<"$line"
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$f" = 0 ] && [ "$rc" != 0 ]; then
    failed=$((failed + 1))
    failures+=("$name: exited with status $rc although it reported no failures")
  fi
}

# The in-guest suites: a name and the command the guest runs.
guest_suites=()
for f in tests/guest/*tests.c tests/guest/*tests/ tests/guest/*tests.sh; do
  [ -e "$f" ] || continue
  name=${f%/}
  name=${name##*/}
  case $name in
    *.c) guest_suites+=("${name%.c}|/tests/${name%.c}") ;;
    *.sh) guest_suites+=("$name|/bin/sh /tests/$name") ;;
    *) guest_suites+=("$name|/tests/$name") ;;
  esac
done

for t in "$@"; do
  run_one "$(basename -- "$t")" "$t"
done
# A suite may ask for more of the guest's machine in a "# vrun: OPTIONS" line among its
# first twenty (e.g. fuzztests.sh: a virtio console port to throw calls at).
vrun_opts() {
  local f
  for f in tests/guest/$1.sh tests/guest/$1.c; do
    [ -f "$f" ] && sed -n -E '1,20s%^(#|//) vrun: %%p' "$f"
  done
}
for s in "${guest_suites[@]}"; do
  name=${s%%|*}
  read -r -a cmd <<<"${s#*|}"
  read -r -a opts <<<"$(vrun_opts "${name%.sh}")"
  run_one "$name" tools/vrun --memory 32 --timeout 600 "${opts[@]}" -- "${cmd[@]}"
done
for t in tests/*.sh; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  run_one "$t" "$t"
done

echo "==="
if [ ${#failures[@]} -gt 0 ]; then
  echo "Failures:"
  printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
