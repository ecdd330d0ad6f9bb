# tests/guest/strace-suite.sh DIR [COPY]: run the selection of upstream strace's own tests staged
# in DIR by tools/strace-build.sh (DIR/tests/SELECTION, one name a line), as strace's
# `make check` runs each one (its tests/run.sh with the same environment), and print one
# line per test: "RESULT NAME pass|skip|fail STATUS SECONDSs". For a failure the end of the test's
# output and of its strace log follow, each line prefixed with "#   ".
#
# The same script runs in the guest (tests/strace-suite.sh: `sh /tests/strace-suite.sh
# /strace-suite /tmp/strace-suite`: the initramfs is read-only, so the tree is copied to
# COPY first) and on the host (the baseline), with busybox's shell and applets both
# times. Run by busybox sh; not a suite of its own (its name does not end in tests.sh).
dir=${1:?usage: strace-suite.sh DIR [COPY]}
if [ -n "${2-}" ]; then # the tests write into their tree: the guest's copy goes to /tmp
  cp -a "$dir" "$2" || exit 1
  dir=$2
fi
cd "$dir/tests" || exit 1
export STRACE_ARCH=x86_64 STRACE_NATIVE_ARCH=x86_64 SIZEOF_KERNEL_LONG_T=8 SIZEOF_LONG=8 \
  MIPS_ABI= srcdir=. TIMEOUT_DURATION=${TIMEOUT_DURATION:-120}
while read -r name; do
  [ -n "$name" ] || continue
  t=./$name.test
  [ -f "$t" ] || t=./$name.gen.test
  start=$(date +%s)
  sh ./run.sh sh "$t" > "$name.out" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  case $rc in
    0) echo "RESULT $name pass 0 ${secs}s" ;;
    77) echo "RESULT $name skip 77 ${secs}s" ;;
    *)
      echo "RESULT $name fail $rc ${secs}s"
      tail -n 8 "$name.out" | sed 's/^/#   /'
      [ -f "$name.dir/log" ] && tail -n 8 "$name.dir/log" | sed 's/^/#   log: /'
      ;;
  esac
done < SELECTION
echo "RESULT-END"
