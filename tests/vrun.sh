#!/usr/bin/env bash
# tests/vrun.sh: `tools/vrun -- PROGRAM ARGS` takes PROGRAM as a shell would. A name
# without a '/' is looked up on the guest's PATH by init (user/init.c), so
# `tools/vrun -- strace ls` works; a name found nowhere fails as a shell's does, with
# status 127 and init's message.
#
# Prints "PASS name" / "FAIL name: detail" lines and ends with "N passed, N failed".
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
passed=0
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/vrun-test.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT

# check NAME STATUS TEXT -- COMMAND...: COMMAND exits with STATUS and prints a line
# holding TEXT (a fixed string).
check() {
  local name=$1 want=$2 text=$3 rc
  shift 4
  "$@" >"$out" 2>&1
  rc=$?
  if [ "$rc" = "$want" ] && grep -qF -- "$text" "$out"; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name: '$*' exited with $rc (want $want); output: $(head -c 300 "$out" | tr '\n' '|')"
    failed=$((failed + 1))
  fi
}

check strace_by_name 0 '+++ exited with 0 +++' -- \
  tools/vrun --timeout 60 -- strace -e trace=exit_group true
check args_and_status_by_name 3 'hello vrun' -- \
  tools/vrun --timeout 60 -- sh -c 'echo hello vrun; exit 3'
check path_still_works 0 'exit_group(0)' -- \
  tools/vrun --timeout 60 -- /bin/strace -e trace=exit_group /bin/true
check missing_program 127 'init: cannot run nosuchprog: No such file or directory' -- \
  tools/vrun --timeout 60 -- nosuchprog

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
