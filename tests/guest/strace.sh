# strace.sh: strace on Vitrine, checked by exact output.
#
# Run in the guest as `sh /tests/strace.sh` (busybox sh; tests/strace.sh runs it under
# tools/vrun). Prints "PASS name" / "FAIL name: detail" per check and "N passed,
# N failed" last; exits 1 if anything failed.
#
# Traces are compared line by line with the expected text after normalising what varies
# between runs: addresses of 4+ hex digits become ADDR, the tracee's PID becomes PID (in
# the calls that take or return a pid, and si_pid: elsewhere the same number may be a
# count or a length), the environment's size becomes N, and on lines holding ADDR or PID the alignment spaces
# before " = " shrink to one (their width depends on the numbers). Other lines keep
# strace's column-40 alignment and are compared exactly.

# check, passed, failed, scratch, finish: from check.sh next to this file, sourced
# without starting a process (so the pids of the tracees are what they were).
case $0 in */*) . "${0%/*}/check.sh" ;; *) . ./check.sh ;; esac
T=/tmp/stracetests.$$
# The test programs (stracee) are in /tests, not /bin: strace finds them on PATH.
PATH=/tests:$PATH

# joined FILE: an `strace -f` trace with each call that other processes' lines cut in
# two ("NAME(args <unfinished ...>" ... "<... NAME resumed>rest") put back on one line,
# where the call started: which process the tracer hears from first varies.
joined() {
  awk '{ pid = $1 }
    / <unfinished \.\.\.>$/ { sub(/ <unfinished \.\.\.>$/, ""); open[pid] = $0; next }
    $2 == "<..." && (pid in open) { rest = $0; sub(/^[0-9]+ +<\.\.\. [a-z0-9_]+ resumed>/, "", rest)
      print open[pid] rest; delete open[pid]; next }
    { print }' "$1"
}

# check_grep NAME ERE FILE: some line of FILE matches.
check_grep() {
  if grep -Eq -- "$2" "$3"; then
    passed "$1"
  else
    failed "$1" "no line matching /$2/ in [$(tr '\n' '|' < "$3")]"
  fi
}

# norm FILE: the trace with run-dependent values replaced (see above).
norm() {
  pid=$(sed -n 's/^set_tid_address(.*) *= \([0-9]*\)$/\1/p' "$1")
  [ -n "$pid" ] || pid=$(sed -n 's/.*si_pid=\([0-9]*\), si_uid=0} ---$/\1/p' "$1" | head -n 1)
  [ -n "$pid" ] || pid=NOPID
  sed -E -e 's/0x[0-9a-f]{4,}/ADDR/g' -e 's|/\* [0-9]+ vars \*/|/* N vars */|' \
    -e "/^(set_tid_address|getpid|gettid|getppid|kill|tgkill|wait4)\(/s/([(= ])$pid([,)]|\$)/\1PID\2/g" \
    -e "s/si_pid=$pid,/si_pid=PID,/" \
    -e '/ADDR|PID/s/ +=/ =/' "$1"
}

scratch

# --- A known program ------------------------------------------------------------------

strace -o trace stracee > out
check stracee_status 3 $?
check stracee_stdout "hi${NL}handler$(printf '\n\0\1\t"\\x')${NL}0123456789abcdefghijklmnopqrstuvwxyzABCD" "$(cat out)"
cat > want <<'EOF'
execve("/tests/stracee", ["stracee"], ADDR /* N vars */) = 0
arch_prctl(ARCH_SET_FS, ADDR) = 0
set_tid_address(ADDR) = PID
openat(AT_FDCWD, "/tmp/stracee.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3
write(3, "root:x:0:0:root:/root:/bin/sh\n", 30) = 30
close(3)                                = 0
openat(AT_FDCWD, "/tmp/stracee.txt", O_RDONLY|O_CLOEXEC) = 3
read(3, "root:x:0:0:root:/root:/bin/sh\n", 4096) = 30
fstat(3, {st_mode=S_IFREG|0644, st_size=30, ...}) = 0
close(3)                                = 0
write(1, "hi\n", 3)                     = 3
openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)
openat(AT_FDCWD, 0x1, O_RDONLY)         = -1 EFAULT (Bad address)
rt_sigprocmask(SIG_UNBLOCK, [RT_1 RT_2], NULL, 8) = 0
rt_sigaction(SIGUSR1, {sa_handler=ADDR, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=ADDR}, NULL, 8) = 0
getpid() = PID
kill(PID, SIGUSR1) = 0
--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=PID, si_uid=0} ---
write(1, "handler\n", 8)                = 8
rt_sigreturn({mask=[]})                 = 0
rt_sigprocmask(SIG_BLOCK, [INT TERM], [], 8) = 0
nanosleep({tv_sec=0, tv_nsec=1000000}, NULL) = 0
write(1, 0x1, 5)                        = -1 EFAULT (Bad address)
write(1, "\0\1\t\"\\x\n", 7)            = 7
write(1, "0123456789abcdefghijklmnopqrstuv"..., 41) = 41
pipe2([3, 4], O_CLOEXEC)                = 0
close(3)                                = 0
close(4)                                = 0
exit_group(3)                           = ?
+++ exited with 3 +++
EOF
check stracee_trace "$(cat want)" "$(norm trace)"
cp want want.full

# -s: strings cut at SIZE bytes, paths never.
strace -s 5 -o trace stracee > /dev/null
check_grep s_cut '^write\(3, "root:"\.\.\., 30\) += 30$' trace
check_grep s_path_whole '^openat\(AT_FDCWD, "/tmp/stracee.txt", O_RDONLY\|O_CLOEXEC\) = 3$' trace
check_grep s_argv '^execve\("/tests/stracee", \["strac"\.\.\.\], ' trace

# -tt and -T: the time of day before, the time spent after.
strace -tt -T -o trace stracee > /dev/null
check_grep tt_T '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{6} close\(3\) += 0 <[0-9]+\.[0-9]{6}>$' trace

# --- -e trace=SET (the kernel's sysfilter) -------------------------------------------------

strace -e trace=write -o trace stracee > /dev/null
cat > want <<'EOF'
write(3, "root:x:0:0:root:/root:/bin/sh\n", 30) = 30
write(1, "hi\n", 3)                     = 3
--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=PID, si_uid=0} ---
write(1, "handler\n", 8)                = 8
write(1, 0x1, 5)                        = -1 EFAULT (Bad address)
write(1, "\0\1\t\"\\x\n", 7)            = 7
write(1, "0123456789abcdefghijklmnopqrstuv"..., 41) = 41
+++ exited with 3 +++
EOF
check trace_write "$(cat want)" "$(norm trace)"

strace -e 'trace=!write' -o trace stracee > /dev/null
check trace_not_write "$(grep -v '^write(' want.full)" "$(norm trace)"

strace -e trace=%file -o trace stracee > /dev/null
check trace_file "execve|openat|openat|openat|openat" \
  "$(sed -n 's/^\([a-z_0-9]*\)(.*/\1/p' trace | tr '\n' '|' | sed 's/|$//')"

strace -e trace=%signal,getpid -o trace stracee > /dev/null
check trace_signal_class "rt_sigprocmask|rt_sigaction|getpid|kill|rt_sigreturn|rt_sigprocmask" \
  "$(sed -n 's/^\([a-z_0-9]*\)(.*/\1/p' trace | tr '\n' '|' | sed 's/|$//')"

strace -e trace=none -o trace stracee > /dev/null
check trace_none "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=PID, si_uid=0} ---${NL}+++ exited with 3 +++" "$(norm trace)"

# --- -c and -C ------------------------------------------------------------------------

# stracee makes exactly 6 writes (one fails), 4 openat (2 fail), 4 close.
strace -c -o summary stracee > /dev/null
check c_status 3 $?
check c_header "% time     seconds  usecs/call     calls    errors syscall" "$(sed -n 1p summary)"
check c_write "6 1" "$(awk '$NF == "write" { print $4, $5 }' summary)"
check c_openat "4 2" "$(awk '$NF == "openat" { print $4, $5 }' summary)"
check c_close "4 5" "$(awk '$NF == "close" { print $4, NF }' summary)" # 5 fields: no errors
check c_total "27 3" "$(awk '$NF == "total" { print $4, $5 }' summary)"
check c_no_lines 0 "$(grep -c '^write(' summary)"

strace -C -e trace=write,close -o summary stracee > /dev/null
check C_both "6 10 10" "$(grep -c '^write(' summary) $(grep -Ec '^(close|write)\(' summary) $(awk '$NF == "total" { print $4 }' summary)"

# --- Ends -------------------------------------------------------------------------------

strace -o trace stracee kill
check killed_status 137 $?
check killed_trace "kill(PID, SIGKILL) = ?${NL}+++ killed by SIGKILL +++" "$(norm trace | tail -n 2)"

strace -o /dev/null sh -c 'exit 7'
check exit_status_passed 7 $?

# strace killed while tracing: the program goes on to the end.
rm -f flag ready
strace -o /dev/null sh -c 'echo > ready; sleep 1; echo done > flag' &
s=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -f ready ] || sleep 0.2; done # traced and running
kill -9 $s
wait $s 2> /dev/null
sleep 1.5
check strace_killed_program_continues done "$(cat flag 2> /dev/null)"

# --- -f ---------------------------------------------------------------------------------

strace -f -o trace stracee fork > out
check f_status 0 $?
check f_stdout child "$(cat out)"
joined trace | sed -E 's/^([0-9]+) +/\1 /; s/ +=/ =/' > trace.n
parent=$(sed -n 's/^\([0-9]*\) execve(.*/\1/p' trace.n)
child=$(sed -n 's/^[0-9]* fork() = \([0-9]*\)$/\1/p' trace.n)
check_grep f_child_write "^$child write\(1, \"child\\\\n\", 6\) = 6$" trace.n
check_grep f_child_exit "^$child \+\+\+ exited with 5 \+\+\+$" trace.n
check_grep f_parent_wait "^$parent wait4\($child, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 5\}\], 0, NULL\) = $child$" trace.n
check_grep f_parent_exit "^$parent \+\+\+ exited with 0 \+\+\+$" trace.n

# A pipeline on stderr: "[pid N]" once there are two processes; both children exec.
strace -f sh -c '/bin/ls / | /usr/bin/wc -l' > out 2> trace
check f_pipeline_output "$(ls / | wc -l)" "$(cat out)"
check_grep f_pipeline_ls '^\[pid +[0-9]+\] execve\("/bin/ls", \["/bin/ls", "/"\], ' trace
check_grep f_pipeline_wc '^\[pid +[0-9]+\] execve\("/usr/bin/wc", \["/usr/bin/wc", "-l"\], ' trace
# One message per child. As upstream strace's, it goes straight to stderr, so it may
# land in the middle of a line still open for another process.
check f_pipeline_attached 2 "$(grep -Ec 'strace: Process [0-9]+ attached$' trace)"
check f_pipeline_exec_ok 2 "$(grep -Ec '^\[pid +[0-9]+\] (execve\(.*|<\.\.\. execve resumed>\)) += 0$' trace)"

# Threads: a new thread is followed as Linux's strace does (its lines under its thread id).
strace -f -o trace threadtests join_values > out
check f_threads_status 0 $?
joined trace | sed -E 's/^([0-9]+) +/\1 /; s/ +=/ =/' > trace.n
tid=$(sed -n 's/^[0-9]* clone(child_stack=0x[0-9a-f]*, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|.*) = \([0-9]*\)$/\1/p' trace.n | head -n 1)
check_grep f_thread_clone "^[0-9]+ clone\(child_stack=0x[0-9a-f]+, flags=CLONE_VM\|CLONE_FS\|CLONE_FILES\|CLONE_SIGHAND\|CLONE_THREAD\|" trace.n
check_grep f_thread_exit "^${tid:-NOTID} exit\(0\) = \?$" trace.n
check_grep f_thread_exited "^${tid:-NOTID} \+\+\+ exited with 0 \+\+\+$" trace.n

# --- -p ---------------------------------------------------------------------------------

# attach_for_a_while PID: strace -p PID -o trace for half a second (messages in msgs),
# then SIGTERM; its exit status.
attach_for_a_while() {
  strace -p "$1" -o trace 2> msgs &
  s=$!
  sleep 0.5
  kill -TERM $s
  wait $s
}

sleep 2 &
p=$!
sleep 0.2
attach_for_a_while $p
check p_strace_status 143 $?
check p_messages "strace: Process $p attached${NL}strace: Process $p detached" "$(cat msgs)"
check_grep p_detached_line '<detached \.\.\.>$' trace
check p_still_running S "$(sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' /proc/$p/status)"
wait $p
check p_sleep_exits_0 0 $?

# -p attaches to every thread of the process (proc:PID/task/).
threadtests --threads-sleep 3000 &
p=$!
sleep 0.5
attach_for_a_while $p
check p_threads_attached 3 "$(grep -c '^strace: Process [0-9]* attached$' msgs)"
check p_threads_detached 3 "$(grep -c '^strace: Process [0-9]* detached$' msgs)"
wait $p
check p_threads_exit_0 0 $?

# --- The vDSO ----------------------------------------------------------------------------

# Programs read the clocks through the vDSO, without a system call, so strace does not
# see them (as on Linux): busybox's date (static glibc), and musl's clock_gettime in
# calltests; the clocks the vDSO hands to the system call are seen.
strace -o trace date > /dev/null
check vdso_date_status 0 $?
check vdso_date_no_clock_calls 0 "$(grep -Ec '^(clock_gettime|gettimeofday|time)\(' trace)"
strace -f -o trace -e trace=clock_gettime calltests vdso_fallback > /dev/null
check vdso_fallback_status 0 $?
check vdso_fallback_calls "CLOCK_PROCESS_CPUTIME_ID|CLOCK_THREAD_CPUTIME_ID|12345|" \
  "$(sed -n 's/^[0-9]* *clock_gettime(\([A-Z_0-9]*\),.*/\1/p' trace | tr '\n' '|')"

# --- Bad input --------------------------------------------------------------------------

bad() { # NAME WANT-STATUS WANT-STDERR ARGS...
  name=$1 want_status=$2 want_err=$3
  shift 3
  strace "$@" > /dev/null 2> err
  check "$name" "$want_status:$want_err" "$?:$(cat err)"
}
bad bad_option 1 "strace: invalid option -- 'j'${NL}Try 'strace -h' for more information." -j true
bad bad_no_program 1 "strace: must have PROG [ARGS] or -p PID${NL}Try 'strace -h' for more information."
bad bad_missing_program 1 "strace: Can't stat 'nosuch': No such file or directory" nosuch
bad bad_syscall 1 "strace: invalid system call 'foo'" -e trace=foo true
bad bad_size 1 "strace: invalid -s argument: 'abc'${NL}Try 'strace -h' for more information." -s abc true
bad bad_size_missing 1 "strace: option requires an argument -- 's'${NL}Try 'strace -h' for more information." -s
bad bad_pid 1 "strace: attach: open(proc:99999/trace): No such process" -p 99999
bad bad_pid_text 1 "strace: Invalid process id: 'x'" -p x
bad bad_output 1 "strace: Can't fopen '/nonexistent/x': No such file or directory" -o /nonexistent/x true

finish /tmp/stracee.txt
