# check.sh: what the guest's shell tests share (shelltests.sh and strace.sh source it).
#
# Each check prints "PASS name" or "FAIL name: reason"; finish prints "N passed,
# N failed" last (tools/runtests.sh reads it) and returns 1 if anything failed.
# Scratch files live in one directory, $T, which scratch makes and finish removes.

pass=0
fail=0
NL='
'

# passed NAME / failed NAME REASON: one check's result.
passed() {
  echo "PASS $1"
  pass=$((pass + 1))
}
failed() {
  echo "FAIL $1: $2"
  fail=$((fail + 1))
}

# check NAME WANT GOT: compare; a multi-line value is shown with | for newlines.
check() {
  if [ "$2" = "$3" ]; then
    passed "$1"
  else
    failed "$1" "got [$(printf '%s' "$3" | tr '\n' '|')], want [$(printf '%s' "$2" | tr '\n' '|')]"
  fi
}

# scratch: make $T afresh and go there.
scratch() {
  rm -rf "$T"
  mkdir "$T" || { echo "FAIL setup: cannot mkdir $T"; echo "0 passed, 1 failed"; exit 1; }
  cd "$T" || exit 1
}

# finish [FILE...]: leave and remove $T (and the FILEs); the count line; the status.
finish() {
  cd /
  rm -rf "$T" "$@"
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
