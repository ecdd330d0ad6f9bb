# tests/guest/upstream-strace.sh STRACE T: the scenarios of tests/upstream-strace.sh.
# Runs upstream strace (STRACE) on busybox and on our test programs (in directory T:
# /tests in the guest, build/guest on the host) and prints each trace, raw, after a line
# "=== NAME"; tests/upstream-strace.sh masks addresses, pids and times and compares the
# guest's traces with the host's. Every trace goes to a file (-o), so the traced
# programs' own output stays out of it. Run by busybox sh, in the guest and on the host.
S=${1:?usage: upstream-strace.sh STRACE T}
T=${2:?usage: upstream-strace.sh STRACE T}
o=/tmp/upstream-strace.$$
cd /tmp || exit 1
printf 'line one\nline two\n' > /tmp/upstream-strace.txt

show() { # NAME: print the trace in $o
  echo "=== $1"
  cat "$o"
  rm -f "$o"
}

# Default decoding of a program whose calls are known exactly (files, bad pointers,
# escapes, a signal handler, a signal mask, a sleep).
"$S" -o "$o" "$T/stracee" > /dev/null; show stracee
# A tracee killed by a signal.
"$S" -o "$o" "$T/stracee" kill; show stracee_kill
# -f: a child process, and the parent's wait.
"$S" -f -o "$o" "$T/stracee" fork > /dev/null; show stracee_fork_f
# busybox: a file read and written out.
"$S" -o "$o" -e trace=openat,open,read,write,close,exit_group \
  /bin/busybox cat /tmp/upstream-strace.txt > /dev/null; show busybox_cat
# -e trace= with classes and negation.
"$S" -o "$o" -e trace=%file /bin/busybox wc -l /tmp/upstream-strace.txt > /dev/null; show trace_file
"$S" -o "$o" -e 'trace=!write,brk,mmap,munmap,rt_sigprocmask,rt_sigaction' "$T/stracee" > /dev/null
show trace_negated
"$S" -o "$o" -e trace=%signal "$T/stracee" > /dev/null; show trace_signal
# -f on busybox's shell: fork/exec/wait of two commands, a pipeline.
"$S" -f -o "$o" -e trace=%process /bin/sh -c '/bin/busybox true; /bin/busybox echo x > /dev/null'
show sh_f_process
"$S" -f -o "$o" -e trace=%process,pipe,pipe2,dup2 /bin/sh -c 'echo a | /bin/busybox cat > /dev/null'
show sh_f_pipeline
# -c: counts of calls and errors (the times differ; sorted by name).
"$S" -c -U name,calls,errors -S name -o "$o" "$T/stracee" > /dev/null; show c_stracee
"$S" -f -c -U name,calls,errors -S name -o "$o" -e trace=%process,write \
  /bin/sh -c '/bin/busybox echo a; /bin/busybox echo b' > /dev/null; show c_f_sh
# -p: attach to a shell blocked reading a FIFO, let it go on, see it exit.
rm -f /tmp/upstream-strace.fifo
/bin/busybox mkfifo /tmp/upstream-strace.fifo
/bin/sh -c 'read x < /tmp/upstream-strace.fifo; echo "got $x" > /dev/null; exit 7' &
pid=$!
"$S" -o "$o" -p "$pid" 2> /tmp/upstream-strace.err &
spid=$!
i=0
while ! grep -q attached /tmp/upstream-strace.err && [ $i -lt 300 ]; do
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
