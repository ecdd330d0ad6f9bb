# tests/guest/strace-suite.sh DIR: run the selection of upstream strace's own tests staged
# in DIR by tools/strace-build.sh (DIR/tests/SELECTION, one name a line), as strace's
# `make check` runs each one (its tests/run.sh with the same environment), and print one
# line per test: "RESULT NAME pass|skip|fail STATUS". For a failure the end of the test's
# output and of its strace log follow, each line prefixed with "#   ".
#
# The same script runs in the guest (tests/strace-suite.sh: `sh /tests/strace-suite.sh
# /strace-suite`) and on the host (the baseline), with busybox's shell and applets both
# times. Run by busybox sh; not a suite of its own (its name does not end in tests.sh).
dir=${1:?usage: strace-suite.sh DIR}
cd "$dir/tests" || exit 1
export STRACE_ARCH=x86_64 STRACE_NATIVE_ARCH=x86_64 SIZEOF_KERNEL_LONG_T=8 SIZEOF_LONG=8 \
  MIPS_ABI= srcdir=. TIMEOUT_DURATION=${TIMEOUT_DURATION:-120}
while read -r name; do
  [ -n "$name" ] || continue
  t=./$name.test
  [ -f "$t" ] || t=./$name.gen.test
  sh ./run.sh sh "$t" > "$name.out" 2>&1
  rc=$?
  case $rc in
    0) echo "RESULT $name pass 0" ;;
    77) echo "RESULT $name skip 77" ;;
    *)
      echo "RESULT $name fail $rc"
      tail -n 8 "$name.out" | sed 's/^/#   /'
      [ -f "$name.dir/log" ] && tail -n 8 "$name.dir/log" | sed 's/^/#   log: /'
      ;;
  esac
done < SELECTION
echo "RESULT-END"
