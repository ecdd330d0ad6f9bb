#!/usr/bin/env bash
# tests/upstream-strace.sh: upstream strace, unmodified (Debian's 6.1 built static with
# musl by tools/strace-build.sh: /usr/bin/strace in the guest), decodes the same on
# Vitrine as on Linux. The same binary runs the same scenarios (tests/guest/
# upstream-strace.sh: -f, -c, -e trace=, -p, on busybox and on our test programs) in the
# guest and here on the host, under busybox's shell both times; each trace is compared
# with the host's once addresses, pids, times and the test directory are masked (and, for
# -f, each process's lines are put together in the order the processes appear, an
# "<unfinished ...>" line joined with its "<... resumed>" line: which process runs first
# is the scheduler's choice, on Linux too).
#
# Then the loader's work for dynamic programs (musl's and glibc's, brought with
# tools/vrun --file as tests/dynamic.sh does): the openat/mmap/... sequence from exec to
# main, by upstream strace and by ours (/bin/strace, on proc:), against upstream strace
# on the host.
#
# Prints "PASS name" / "FAIL name: detail" lines and ends with "N passed, N failed".
set -uo pipefail
export LC_ALL=C TZ=UTC
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/upstream-strace.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
S=$repo/build/strace/strace

pass() { echo "PASS $1"; passed=$((passed + 1)); }
# A comparison listed in tests/strace-known.txt (a difference in what the kernel does, not
# in how strace decodes it) is reported with its reason, and not counted.
fail() {
  local why
  why=$(awk -F'\t' -v n="$1" '$1 == n { print $2 }' tests/strace-known.txt)
  if [ -n "$why" ]; then
    echo "# known difference, $1: $why"
  else
    echo "FAIL $1: $2"
    failed=$((failed + 1))
  fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
  exit
}
[ -x "$S" ] || { fail upstream_strace "no $S (tools/strace-build.sh, run by make)"; finish; }

# normalise T: a trace on stdin, masked, on stdout (T: the test directory to call /T).
normalise() {
  python3 -c '
import re, sys
tdir = sys.argv[1]
lines = sys.stdin.read().replace(tdir, "/T").splitlines()
# -f -o FILE: "PID rest". Put each process together, in order of first appearance,
# and join "X <unfinished ...>" with its "<... NAME resumed>Y".
procs, order = {}, []
for l in lines:
    m = re.match(r"^(\d+) +(.*)$", l)
    pid, rest = (m.group(1), m.group(2)) if m else ("", l)
    if pid not in procs:
        procs[pid] = []
        order.append(pid)
    out = procs[pid]
    r = re.match(r"^<\.\.\. \w+ resumed>(.*)$", rest)
    if r and out and out[-1].endswith(" <unfinished ...>"):
        out[-1] = out[-1][: -len(" <unfinished ...>")] + r.group(1)
    else:
        out.append(rest)
names = {p: "P%d" % i for i, p in enumerate(order)}
pidre = re.compile(r"\b(" + "|".join(p for p in order if p) + r")\b") if any(order) else None
for p in order:
    for l in procs[p]:
        l = re.sub(r"0x[0-9a-f]+", "ADDR", l)
        l = re.sub(r"/\* \d+ vars? \*/", "/* N vars */", l)
        l = re.sub(r"^\S*strace: ", "strace: ", l)
        l = re.sub(r"\b(si_utime|si_stime)=\d+", r"\1=N", l)
        l = re.sub(r"(Process|pid) +\d+", r"\1 PID", l)
        if pidre:
            l = pidre.sub(lambda m: names[m.group(1)], l)
        l = re.sub(r"= \d+( <|$)", r"= PID\1", l) if re.match(r"^(clone|clone3|fork|vfork|wait4|waitid|getpid|getppid|gettid|set_tid_address)\(", l) else l
        l = re.sub(r"(si_pid=|wait4\(|kill\()\d+", r"\1PID", l)
        # (on the host, /bin is a link to /usr/bin)
        l = l.replace("\"/usr/bin/busybox\", 4096) = 16", "\"/bin/busybox\", 4096) = 12")
        l = re.sub(r"\s+", " ", l) # (strace pads results to a column)
        print((names[p] + " " if p else "") + l)
' "$1"
}

# The scenarios, on the host (busybox applets first on PATH) and in the guest.
mkdir -p "$work/bin"
for a in $(/bin/busybox --list); do ln -s /bin/busybox "$work/bin/$a"; done
env -i PATH="$work/bin" /bin/busybox sh tests/guest/upstream-strace.sh "$S" "$repo/build/guest" \
  > "$work/host.out" 2>&1
tools/vrun --timeout 300 -- /bin/sh /tests/upstream-strace.sh /usr/bin/strace /tests \
  > "$work/guest.out" 2>&1
rc=$?
# split FILE SIDE: one file per scenario, normalised.
split() {
  awk -v d="$work/$2" '/^=== / { f = d "." $2; next } f { print > f }' "$1"
}
split "$work/host.out" host
split "$work/guest.out" guest
grep -q '^=== end' "$work/guest.out" || fail upstream_strace_guest "the guest run did not finish (vrun status $rc): $(tail -n 5 "$work/guest.out" | tr '\n' '|')"
for h in "$work"/host.*; do
  case $h in *.out | *.norm) continue ;; esac
  name=${h##*/host.}
  g=$work/guest.$name
  [ -f "$g" ] || { fail "upstream_$name" "no trace from the guest"; continue; }
  normalise "$repo/build/guest" < "$h" > "$h.norm"
  normalise /tests < "$g" > "$g.norm"
  if [ ! -s "$h.norm" ]; then
    fail "upstream_$name" "empty trace on the host"
  elif cmp -s "$h.norm" "$g.norm"; then
    pass "upstream_$name"
  else
    fail "upstream_$name" "differs from Linux's (- host, + guest):"
    diff -u "$h.norm" "$g.norm" | sed -n '3,40p' | sed 's/^/#   /'
  fi
done

# The loader's sequence, from exec to exit, of a dynamic program: musl's (/tests/dyntrue,
# whose loader is in the image) and glibc's (Debian's /usr/bin/true, with its loader,
# libc and ld.so.cache brought by --file), by upstream strace and by ours.
calls=execve,access,openat,open,read,pread64,newfstatat,fstat,mmap,mprotect,munmap,close,brk,exit_group
# loader NAME SKIP HOST_PROGRAM GUEST_STRACE VRUN_ARGS...: lines matching the regular
# expression SKIP are not compared.
loader() {
  local name=$1 skip=$2 prog=$3 gs=$4 rc
  shift 4
  "$S" -s 256 -e trace=$calls "$prog" > /dev/null 2> "$work/ld.host"
  tools/vrun --timeout 120 "$@" -- "$gs" -s 256 -e trace=$calls "${prog/#$repo\/build\/guest//tests}" \
    > "$work/ld.guest" 2>&1
  rc=$?
  normalise "$repo/build/guest" < "$work/ld.host" | grep -Ev "$skip" > "$work/ld.host.norm"
  normalise /tests < "$work/ld.guest" | grep -Ev "$skip" > "$work/ld.guest.norm"
  if [ "$rc" != 0 ]; then
    fail "$name" "exited with $rc: $(tail -n 5 "$work/ld.guest" | tr '\n' '|')"
  elif ! grep -q mmap "$work/ld.host"; then
    fail "$name" "no mmap in the host's trace: $(head -n 5 "$work/ld.host" | tr '\n' '|')"
  elif cmp -s "$work/ld.host.norm" "$work/ld.guest.norm"; then
    pass "$name"
  else
    fail "$name" "differs from Linux's (- host, + guest):"
    diff -u "$work/ld.host.norm" "$work/ld.guest.norm" | sed -n '3,40p' | sed 's/^/#   /'
  fi
}
# (glibc's anonymous areas are left out: it sizes some by the CPU's features, and QEMU's
# CPU is not the host's)
loader loader_musl_upstream '^$' "$repo/build/guest/dyntrue" /usr/bin/strace
loader loader_musl_ours '^$' "$repo/build/guest/dyntrue" /bin/strace
loader loader_glibc_upstream MAP_ANONYMOUS /usr/bin/true /usr/bin/strace --file /usr/bin/true --file /etc/ld.so.cache:/etc/ld.so.cache
loader loader_glibc_ours MAP_ANONYMOUS /usr/bin/true /bin/strace --file /usr/bin/true --file /etc/ld.so.cache:/etc/ld.so.cache

finish
