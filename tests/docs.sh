#!/usr/bin/env bash
# tests/docs.sh: the documentation names what the kernel has. Every system call in
# include/vitrine/syscalls.def must be listed in docs/syscalls.md, and every proc: file in the
# table of kernel/procfs.c must be described in docs/proc.md.
set -uo pipefail
cd "$(dirname "$0")/.."
pass=0 fail=0
# check NAME DOC PATTERN-FORMAT NAMES...: every name, put into the format, is in DOC.
check() {
  local what=$1 doc=$2 fmt=$3 missing=() name
  shift 3
  for name in "$@"; do
    # shellcheck disable=SC2059
    grep -qF -- "$(printf "$fmt" "$name")" "$doc" || missing+=("$name")
  done
  if [ $# -gt 0 ] && [ ${#missing[@]} -eq 0 ]; then
    pass=$((pass + 1)); echo "PASS $what ($# names)"
  else
    fail=$((fail + 1)); echo "FAIL $what: missing from $doc: ${missing[*]:-(no names found)}"
  fi
}
mapfile -t calls < <(sed -n 's/^SYSCALL([0-9]*, \([a-z0-9_]*\))$/\1/p' include/vitrine/syscalls.def)
mapfile -t files < <(sed -n 's/^    {"\([a-z]*\)", Q_.*/\1/p' kernel/procfs.c)
check "every system call is in docs/syscalls.md" docs/syscalls.md '`%s`' "${calls[@]}"
check "every proc: file is in docs/proc.md" docs/proc.md '%s' "${files[@]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
