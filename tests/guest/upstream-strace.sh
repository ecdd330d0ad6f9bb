# tests/guest/upstream-strace.sh STRACE T: the scenarios of tests/upstream-strace.sh.
# Runs upstream strace (STRACE) on busybox and on our test programs (in directory T:
# /tests in the guest, build/guest on the host) and prints each trace, raw, after a line
# "=== NAME"; tests/upstream-strace.sh masks addresses, pids and times and compares the
# guest's traces with the host's. Every trace goes to a file (-o), so the traced
# programs' own output stays out of it. Run by busybox sh, in the guest and on the host.
S=${1:?usage: upstream-strace.sh STRACE T}
T=${2:?usage: upstream-strace.sh STRACE T}
o=/tmp/upstream-strace.$$
# Only 0, 1 and 2 open, on both sides (the host's harness may leave others to us).
for fd in 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19; do eval "exec $fd>&-"; done
# Our programs run as ./NAME, so that their paths are the same on both sides.
cd "$T" || exit 1
printf 'line one\nline two\n' > /tmp/upstream-strace.txt

t() { # NAME STRACE_ARGS...: run strace -o, then print the trace
  echo "=== $1"
  shift
  "$S" -o "$o" "$@" | cat > /dev/null # (the programs' own output is not compared)
  cat "$o"
  rm -f "$o"
}

# Default decoding of a program whose calls are known exactly (files, bad pointers,
# escapes, a signal handler, a signal mask, a sleep).
t stracee ./stracee
# A tracee killed by a signal.
t stracee_kill ./stracee kill
# -f: a child process, and the parent's wait.
t stracee_fork_f -f ./stracee fork
# busybox: a file read and written out.
t busybox_cat -e trace=openat,open,read,write,close,exit_group \
  /bin/busybox cat /tmp/upstream-strace.txt
# -e trace= with classes and negation.
t trace_file -e trace=%file /bin/busybox wc -l /tmp/upstream-strace.txt
t trace_negated -e 'trace=!write,brk,mmap,munmap,rt_sigprocmask,rt_sigaction' ./stracee
t trace_signal -e trace=%signal ./stracee
# -f on busybox's shell: fork/exec/wait of two commands, a pipeline.
t sh_f_process -f -e trace=%process /bin/busybox sh -c '/bin/busybox true; /bin/busybox echo x > /dev/null'
# (no signal lines: whether the two children's SIGCHLDs merge into one is the scheduler's
# choice, on Linux too)
t sh_f_pipeline -f -e trace=%process,pipe,pipe2,dup2 -e signal=none /bin/busybox sh -c 'echo a | /bin/busybox cat > /dev/null'
# -c: counts of calls and errors (the times differ; sorted by name).
t c_stracee -c -U name,calls,errors -S name ./stracee
t c_f_sh -f -c -U name,calls,errors -S name -e trace=%process,write \
  /bin/busybox sh -c '/bin/busybox echo a; /bin/busybox echo b'
# -p: attach to a shell blocked reading a FIFO, let it go on, see it exit.
rm -f /tmp/upstream-strace.fifo
/bin/busybox mkfifo /tmp/upstream-strace.fifo
/bin/busybox sh -c 'read x < /tmp/upstream-strace.fifo; echo "got $x" > /dev/null; exit 7' &
pid=$!
"$S" -o "$o" -p "$pid" 2> /tmp/upstream-strace.err &
spid=$!
i=0
while ! grep -q attached /tmp/upstream-strace.err 2> /dev/null && [ $i -lt 300 ]; do
  sleep 0.1
  i=$((i + 1))
done
echo hello > /tmp/upstream-strace.fifo
wait "$spid"
echo "=== p_fifo"
cat /tmp/upstream-strace.err
cat "$o"
rm -f "$o" /tmp/upstream-strace.fifo /tmp/upstream-strace.err /tmp/upstream-strace.txt
echo "=== end"
