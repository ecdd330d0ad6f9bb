#!/usr/bin/env bash
# tests/gdb.sh: the host's real gdb debugs programs in the guest through /bin/gdbserver
# on the virtio console (tools/vrun --gdb PORT bridges its port "gdb" to a TCP port),
# and, in the com2 session, on the second serial port (vrun --gdb-com2).
#
# Each session boots the guest once: `tools/vrun --gdb PORT -- PROGRAM ARGS` makes the
# guest run `/bin/gdbserver vcon:gdb PROGRAM ARGS`; gdb -batch then runs a list of
# commands, one -ex each (an error in one does not skip the rest), with "echo ==NAME=="
# between them so every check looks only at the output of its own commands. The
# program is tests/guest/helpers/gdbtarget.c; the lines it stops at carry "MARK:" comments.
#
#   checks     break by name and file:line, bt, registers, xmm0, locals, globals, a
#              struct, finish, next/step over system calls, until, watch, rwatch,
#              set var, set $rax, a signal and `signal 0`, the exit status
#   detach     detach lets the program finish
#   kill       kill ends it
#   multi      extended-remote: run, detach, attach to the running process, Ctrl-C,
#              run twice, monitor exit
#   raw        bad input from a hand-made client: checksums, NAK, oversized and
#              run-length packets, bad hex, kernel and unmapped addresses
#   eof        (no gdb) gdbserver on a pipe that closes: it detaches, the program ends
#   attach     (no gdb) --attach on a pipe: a memory write, then EOF
#   reconnect  a gdb killed mid-session, and a new one that takes over
#   dynamic    a dynamically linked PIE from the host's gcc (glibc), brought with
#              vrun --file: break main, info sharedlibrary, a breakpoint in libc
#              (puts), a backtrace through it, finish, a watchpoint, the exit status,
#              qXfer:libraries-svr4:read (empty before the loader ran, then libc)
#   threads    a musl static pthread program (helpers/gdbthreads.c): a breakpoint in the
#              second thread stops both (all-stop), info threads with names and frames,
#              thread N and bt, scheduler-locking step, next with the other running,
#              continue resuming both, the worker's end, the thread packets (maint packet)
#   threads-attach  extended-remote attach to a running process with two threads
#   threads-two  two threads reaching one breakpoint: each hit reported once
#   hangup     a gdb killed while the program runs: gdbserver stops it and waits; the
#              next gdb finds it stopped and lets it finish
#   relink     the host side connecting and disconnecting 20 times (silent, mid-packet,
#              without reading the reply), then a gdb that runs the program to its end
#   flood      bad input while the program runs: 1 MB of noise, 2,000 bad packets,
#              then Ctrl-C stops it and gdbserver still answers
#   com2       the fallback link: break, bt, continue, kill over the serial port
#
# Prints "PASS name" / "FAIL name: detail"; the last line is "N passed, N failed".
# GDBTEST_KEEP=1 keeps every session's gdb and guest output (the path goes to stderr).
set -uo pipefail
export LC_ALL=C
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gdbtest.XXXXXX") || exit 1
vpid=""
# GDBTEST_KEEP=1 keeps gdb's and the guest's output of every session in $tmp.
cleanup() {
  [ -z "$vpid" ] || kill "$vpid" 2>/dev/null
  if [ -n "${GDBTEST_KEEP:-}" ]; then echo "outputs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
  exit
}

if ! tools/vrun --help 2>/dev/null | grep -q -- '--gdb PORT'; then
  fail "vrun --gdb missing" "tools/vrun has no --gdb option"
  finish
fi
command -v gdb >/dev/null || { fail "gdb" "no gdb on the host (tools/deps.sh installs it)"; finish; }
make -s build/guest/gdbtarget >/dev/null 2>&1 || { fail "build" "cannot build gdbtarget"; finish; }
prog=build/guest/gdbtarget

vrun_extra=() # more vrun options for boot (--file)

# The line number of a "MARK: NAME" comment in gdbtarget.c.
mark() { grep -n "MARK: $1\$" tests/guest/helpers/gdbtarget.c | cut -d: -f1; }

# A TCP port nobody listens on.
free_port() {
  local p
  for ((p = 20000 + $$ % 20000; ; p++)); do
    ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
}

# boot NAME VRUN-ARGS...: start the guest; wait until gdbserver listens (or vrun ends).
# The link is the virtio console unless link=--gdb-com2.
link=--gdb
boot() {
  local name=$1 i
  shift
  port=$(free_port)
  : >"$tmp/$name.log" # (before the first look at it)
  tools/vrun --timeout 300 "${vrun_extra[@]}" "$link" "$port" -- "$@" >"$tmp/$name.log" 2>&1 &
  vpid=$!
  for ((i = 0; i < 600; i++)); do
    grep -q "gdbserver: listening on" "$tmp/$name.log" && return 0
    kill -0 "$vpid" 2>/dev/null || break
    sleep 0.1
  done
  fail "$name boot" "gdbserver did not start: $(tail -n 3 "$tmp/$name.log" | tr '\n' ' ')"
  return 1
}

# halt NAME: wait for the guest to end; its status goes to $tmp/NAME.rc.
halt() {
  local rc
  wait "$vpid"
  rc=$?
  vpid=""
  echo "$rc" >"$tmp/$1.rc"
}

# gdb_session NAME TARGET-COMMAND: run gdb with the commands on stdin (one a line).
gdb_session() {
  local name=$1 target=$2 args=() line
  while IFS= read -r line; do args+=(-ex "$line"); done
  timeout 240 gdb -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
    -ex "$target 127.0.0.1:$port" "${args[@]}" "$prog" >"$tmp/$name.out" 2>&1
}

# section NAME PART: gdb's output between "==PART==" and the next "==...==" line.
section() {
  awk -v s="==$2==" '$0 == s { on = 1; next } /^==[a-z0-9-]+==$/ { on = 0 } on' "$tmp/$1.out"
}

# expect NAME PART TEST REGEX...: every extended regex matches some line of the part.
expect() {
  local name=$1 part=$2 test=$3 re text
  shift 3
  text=$(section "$name" "$part")
  for re in "$@"; do
    if ! grep -qE -- "$re" <<<"$text"; then
      fail "$test" "no /$re/ in: $(head -c 400 <<<"$text" | tr '\n' '|')"
      return
    fi
  done
  pass "$test"
}

# expect_after NAME PART TEST FIRST NEXT: a line matching NEXT within 3 lines of FIRST.
expect_after() {
  if section "$1" "$2" | grep -A3 -E -- "$4" | grep -qE -- "$5"; then
    pass "$3"
  else
    fail "$3" "no /$5/ right after /$4/ in: $(section "$1" "$2" | head -c 400 | tr '\n' '|')"
  fi
}

# expect_none NAME PART TEST REGEX: no line of the part matches.
expect_none() {
  if section "$1" "$2" | grep -qE -- "$4"; then
    fail "$3" "/$4/ in: $(section "$1" "$2" | head -c 400 | tr '\n' '|')"
  else
    pass "$3"
  fi
}

expect_log() { # NAME TEST REGEX: the guest printed it
  if grep -qE -- "$3" "$tmp/$1.log"; then pass "$2"; else fail "$2" "no /$3/ in the guest's output"; fi
}

expect_rc() { # NAME TEST STATUS: vrun's (the program's) exit status
  local rc
  rc=$(cat "$tmp/$1.rc" 2>/dev/null)
  if [ "$rc" = "$3" ]; then pass "$2"; else fail "$2" "status ${rc:-none}, want $3"; fi
}

# watchpoint CMD EXPR: gdb's lines for the part named CMD: set the watchpoint (CMD is
# watch or rwatch), run to it, delete it.
watchpoint() { printf '%s\n' "echo ==$1==\\n" "$1 $2" continue 'delete $bpnum'; }

session_checks() {
  boot checks /tests/gdbtarget || return
  gdb_session checks "target remote" <<EOF
echo ==start==\n
info registers rip
break leaf
break gdbtarget.c:$(mark syscall-line)
break gdbtarget.c:$(mark the-end)
echo ==leaf==\n
continue
echo ==bt==\n
bt
echo ==rip==\n
info registers rip
echo ==args==\n
print a
print b
echo ==finish==\n
finish
echo ==globals==\n
print origin
print counter
print origin.name
echo ==xmm==\n
break regs_loaded
continue
print/x \$xmm0.v4_int32
echo ==x87==\n
print \$st0
print \$st1
info float
set \$st0 = 2.5
echo ==next-syscall==\n
continue
next
print pid
echo ==step-syscall==\n
step
echo ==step-into==\n
step
echo ==finish-seven==\n
finish
echo ==set-rax==\n
set \$rax = 99
next
print v
$(watchpoint watch counter)
echo ==until==\n
until $(mark read-readme)
print counter
$(watchpoint rwatch readme)
echo ==signal==\n
continue
echo ==signal0==\n
signal 0
echo ==set-var==\n
set var status = 42
continue
echo ==end==\n
EOF
  halt checks
  local guestpid
  guestpid=$(sed -n 's/.*created; pid = \([0-9]*\).*/\1/p' "$tmp/checks.log")
  expect checks start "stopped at the first instruction" '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <_start>'
  expect checks leaf "break at a function by name" 'Breakpoint 1, leaf \(a=a@entry=1, b=b@entry=10\)'
  expect checks bt "bt through three frames" '^#0 +leaf ' '^#1 .* in middle ' '^#2 .* in top ' \
    '^#3 .* in checks '
  expect checks rip "info registers rip" '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <leaf(\+[0-9]+)?>'
  expect checks args "print arguments" '^\$[0-9]+ = 1$' '^\$[0-9]+ = 10$'
  expect checks finish "finish with the return value" '^middle \(v=v@entry=1\) at ' \
    'Value returned is \$[0-9]+ = 22'
  expect checks globals "print a global struct" '= \{x = 3, y = 4, name = 0x[0-9a-f]+ "origin"\}'
  expect checks globals "print a global" '^\$[0-9]+ = 0$'
  expect checks xmm "p \$xmm0 has the program's values" \
    '= \{0x11111111, 0x22222222, 0x33333333, 0x44444444\}'
  expect checks x87 "x87 registers" '^\$[0-9]+ = 3.14159265358979' '^\$[0-9]+ = 1$' \
    '^=>R6: Valid +0x4000c90fdaa22168c235' '^  R7: Valid +0x3fff8000000000000000' \
    '^  R5: Empty ' 'Tag Word: +0x0fff'
  expect_log checks "set \$st0 takes effect" 'x87=2.5$'
  expect checks next-syscall "break at file:line" "Breakpoint 2, checks \(\) at .*gdbtarget.c:$(mark syscall-line)"
  expect checks next-syscall "next over a syscall instruction" "^$(mark write-line)[[:space:]].*MARK: write-line"
  expect checks next-syscall "print a local set by the system call" "^\\\$[0-9]+ = ${guestpid:-unknown}\$"
  expect checks step-syscall "step over write()" "^$(mark call-seven)[[:space:]].*MARK: call-seven"
  expect checks step-into "step into a function" 'seven \(\) at .*gdbtarget.c' 'MARK: seven-body'
  expect checks finish-seven "finish from seven" 'Value returned is \$[0-9]+ = 7'
  expect checks set-rax "set \$rax takes effect" 'MARK: after-seven' '^\$[0-9]+ = 99$'
  expect_log checks "the program saw the new rax" '^v=99$'
  expect checks watch "watch fires" 'Hardware watchpoint [0-9]+: counter' 'Old value = 0' 'New value = 1'
  expect_after checks watch "watch fires at the right line" 'New value = 1' 'MARK: loop-(body|for)'
  expect checks until "until LINE" "^$(mark read-readme)[[:space:]].*MARK: read-readme" '^\$[0-9]+ = 6$'
  expect checks rwatch "rwatch fires" 'Hardware read watchpoint [0-9]+: readme' 'Value = 42'
  expect_after checks rwatch "rwatch fires at the right line" 'Value = 42' 'MARK: (read-readme|raise)'
  expect checks signal "a signal stops the program" 'Program received signal SIGUSR1'
  expect checks signal0 "signal 0 drops it" 'Breakpoint 3, checks .*gdbtarget.c' 'MARK: the-end'
  expect_log checks "the program never saw the signal" '^survived SIGUSR1$'
  expect checks set-var "the program exits with what set var wrote" 'exited with code 052'
  expect_rc checks "gdbserver exits with the program's status" 42
}

session_detach() {
  boot detach /tests/gdbtarget exit 7 || return
  gdb_session detach "target remote" <<EOF
break main
hbreak atoi
echo ==main==\n
continue
print argc
echo ==detach==\n
detach
EOF
  halt detach
  expect detach main "break at main" 'Breakpoint 1, main ' '^\$1 = 3$'
  expect detach detach "detach" 'Detaching from program|detached'
  expect_rc detach "the detached program finishes (no int3 left behind)" 7
}

session_kill() {
  boot kill /tests/gdbtarget || return
  gdb_session kill "target remote" <<EOF
hbreak middle
break leaf
echo ==hbreak==\n
continue
echo ==leaf==\n
continue
echo ==kill==\n
kill
EOF
  halt kill
  expect kill hbreak "hardware breakpoint" 'Breakpoint 1, middle \(v=v@entry=1\)'
  expect kill leaf "continue from a hardware breakpoint" 'Breakpoint 2, leaf '
  expect kill kill "kill" 'killed'
  if grep -q "gdbtarget done" "$tmp/kill.log"; then
    fail "the killed program did not go on" "it printed its last line"
  else
    pass "the killed program did not go on"
  fi
  expect_rc kill "killed by SIGKILL" 137
}

session_multi() {
  boot multi --multi || return
  gdb_session multi "target extended-remote" <<'EOF'
set remote exec-file /tests/gdbtarget
break spinning
echo ==run==\n
run spin
set $p = mypid
delete
echo ==detach==\n
detach
# (a second for the program to reach its sleep loop: attach must find it in a call)
shell sleep 1
echo ==attach==\n
eval "attach %d", $p
bt
print spin_go
echo ==interrupt==\n
shell (sleep 3; kill -INT $PPID) &
continue
echo ==release==\n
set var spin_go = 1
detach
break leaf
echo ==fork==\n
run fork
print a
delete
continue
echo ==norun==\n
set remote exec-file /bin/no-such-program
run
set remote exec-file /tests/gdbtarget
echo ==run3==\n
run exit 3
echo ==run4==\n
run exit 4
echo ==noint==\n
shell (sleep 4; kill -INT $PPID) &
run spin noint
set var spin_go = 1
echo ==noint-end==\n
continue
echo ==exit==\n
monitor exit
EOF
  halt multi
  expect multi run "extended-remote run" 'Breakpoint 1, spinning \(\)'
  expect multi detach "detach, the program running on" 'detached'
  expect multi attach "attach to the running process" 'clock_nanosleep|nanosleep' '^\$[0-9]+ = 0$'
  expect multi interrupt "Ctrl-C interrupts it" 'Program received signal SIGINT'
  expect_log multi "detached after the interrupt, it ends normally" '^spin released$'
  expect multi fork "a forked child does not hit our breakpoints" 'Breakpoint [0-9]+, leaf ' '^\$[0-9]+ = 2$'
  expect_log multi "the child ran through them" '^child status 0$'
  expect multi norun "run of a missing program fails" 'failed|[Ee]rror|No such'
  expect multi run3 "run (after the failed one)" 'exited with code 03'
  expect multi run4 "run again in the same session" 'exited with code 04'
  expect multi noint "Ctrl-C stops a program that ignores SIGINT" 'Program received signal SIGINT'
  expect multi noint-end "and the stop did not stay behind" 'exited normally'
  expect_rc multi "monitor exit ends gdbserver" 0
}

# ---- the raw client: bash speaking the protocol over /dev/tcp ----
csum() {
  local s=$1 sum=0 i c
  for ((i = 0; i < ${#s}; i++)); do
    printf -v c '%d' "'${s:i:1}"
    sum=$(((sum + c) % 256))
  done
  printf '%02x' "$sum"
}

# Read one reply: the acknowledgements before it go to $acks, its data to $data.
get() {
  local ch
  acks="" data=""
  while IFS= read -r -d '' -n 1 -t 20 -u 3 ch; do
    [ "$ch" = '$' ] && break
    acks+=$ch
  done || { data="(timeout)"; return 1; }
  while IFS= read -r -d '' -n 1 -t 20 -u 3 ch && [ "$ch" != '#' ]; do data+=$ch; done
  read -r -d '' -n 2 -t 20 -u 3 ch
}

send() { printf '$%s#%s' "$1" "$(csum "$1")" >&3; }

# ask TEST PACKET REGEX: send a good packet; the whole reply must match.
ask() {
  send "$2"
  get
  printf '+' >&3
  if [ "$acks" = "+" ] && [[ $data =~ ^($3)$ ]]; then pass "$1"; else
    fail "$1" "acks '$acks' reply '${data:0:80}', want /$3/"
  fi
}

session_raw() {
  boot raw /tests/gdbtarget exit 5 || return
  if ! exec 3<>"/dev/tcp/127.0.0.1/$port"; then
    fail "raw connect" "cannot connect"
    halt raw
    return
  fi
  ask "raw: qSupported" "qSupported:swbreak+" '.*PacketSize=4000.*qXfer:features:read\+.*'
  printf '$g#00$?#3f' >&3 # a bad checksum, then a good packet
  get
  printf '+' >&3
  if [ "$acks" = "-+" ] && [[ $data == T05* ]]; then pass "raw: a bad checksum is NAKed"; else
    fail "raw: a bad checksum is NAKed" "acks '$acks' reply '$data'"
  fi
  send '?' # NAK the reply: it comes again
  get
  local first=$data
  printf '%s' '-' >&3
  get
  printf '+' >&3
  if [[ $first == T05* ]] && [ "$acks" = "" ] && [ "$data" = "$first" ]; then
    pass "raw: a NAKed reply is sent again"
  else
    fail "raw: a NAKed reply is sent again" "'$first' then '$acks' '$data'"
  fi
  printf 'noise\x80\xff\x7f#' >&3 # bytes outside a packet are skipped
  ask "raw: noise before a packet" 'qC' 'QC[0-9a-f]+'
  printf '$m40' >&3 # a '$' starts over: the half packet is dropped
  ask "raw: a half packet, then a whole one" '?' 'T05.*'
  ask "raw: run-length packet" 'm40* 0,4' '7f454c46'
  ask "raw: binary read (x)" 'x400000,4' 'b.ELF'
  ask "raw: binary read of unmapped memory" 'x0,4' 'E..'
  ask "raw: bad run-length code" '*!m400000,4' 'E..'
  local big
  big=$(printf 'm%017000d' 0)
  ask "raw: oversized packet" "$big" 'E..'
  ask "raw: bad hex" 'mzz,4' 'E..'
  ask "raw: bad hex in M" 'M400000,2:zz00' 'E..'
  ask "raw: length disagrees with the data" 'M400000,4:00' 'E..'
  ask "raw: read kernel memory" 'mffff800000000000,8' 'E..'
  ask "raw: read unmapped memory" 'm0,8' 'E..'
  ask "raw: breakpoint on unmapped memory" 'Z0,0,1' 'E..'
  ask "raw: breakpoint in the kernel half" 'Z0,ffffffff80000000,1' 'E..'
  ask "raw: hardware breakpoint in the kernel half" 'Z1,ffff800000000000,1' 'E..'
  ask "raw: watchpoint on an unaligned range" 'Z2,400001,6' 'OK'
  ask "raw: removing it" 'z2,400001,6' 'OK'
  ask "raw: too many watchpoints" 'Z2,400000,40' 'E..'
  ask "raw: register out of range" 'p999' 'E..'
  ask "raw: bad cs refused by the kernel" "P12=$(printf '%08x' 0)" 'E..'
  ask "raw: target description" 'qXfer:features:read:target.xml:0,40' 'm<\?xml.*'
  ask "raw: unknown packet" 'qNoSuchThing' ''
  ask "raw: still serving after the errors" 'qAttached' '0'
  ask "raw: current thread" 'qC' 'QC[0-9a-f]+'
  ask "raw: exec-file" 'qXfer:exec-file:read::0,100' 'l/tests/gdbtarget'
  send g && get && printf '+' >&3
  if [ ${#data} = 1120 ]; then pass "raw: g is 560 bytes"; else fail "raw: g is 560 bytes" "${#data} digits"; fi
  ask "raw: G writes back what g read" "G$data" 'OK'
  ask "raw: G of the wrong size" "G${data:0:100}" 'E..'
  raw_breakpoints
  exec 3>&-
  halt raw
  expect_rc raw "raw: gdbserver exits with the program's status" 5
}

# rip from a 'p10' reply: 16 hex digits, little-endian.
le64() {
  local h=$1 out="" i
  for ((i = 14; i >= 0; i -= 2)); do out+=${h:i:2}; done
  printf '%x' "$((16#$out))"
}

# Our own breakpoints: hidden from memory reads, stepped over when resuming on one.
# Stop replies carry rbp, rsp and rip (registers 6, 7, 0x10), 8 bytes each.
expedited='06:[0-9a-f]{16};07:[0-9a-f]{16};10:[0-9a-f]{16};'
raw_breakpoints() {
  local rip byte rip2
  send p10 && get && printf '+' >&3
  rip=$(le64 "$data")
  send "m$rip,1" && get && printf '+' >&3
  byte=$data
  ask "raw: breakpoint at rip" "Z0,$rip,1" 'OK'
  ask "raw: memory reads do not show it" "m$rip,1" "$byte"
  ask "raw: a step from it" 's' "T05thread:[0-9a-f]+;$expedited"
  send p10 && get && printf '+' >&3
  rip2=$(le64 "$data")
  if [ "$rip2" != "$rip" ]; then pass "raw: the step moved past it"; else
    fail "raw: the step moved past it" "rip is still $rip"
  fi
  ask "raw: range step" "vCont;r$rip2,$(printf '%x' $((16#$rip2 + 1)))" "T05thread:[0-9a-f]+;$expedited"
  ask "raw: breakpoint removed" "z0,$rip,1" 'OK'
  send p10 && get && printf '+' >&3
  rip=$(le64 "$data")
  ask "raw: breakpoint at the new rip" "Z0,$rip,1" 'OK'
  ask "raw: continue from it runs to the end" 'c' 'W05'
}

# gdbserver on a pipe: when the pipe closes mid-session, it detaches.
session_eof() {
  local out=$tmp/eof.log
  tools/vrun --timeout 120 -- /bin/sh -c \
    "(printf '+\$?#3f'; sleep 1) | /bin/gdbserver - /tests/gdbtarget exit 9 >/tmp/o; echo rc=\$?; cat /tmp/o; echo" \
    >"$out" 2>&1
  if grep -q 'rc=9' "$out" && grep -q 'detached' "$out"; then
    pass "EOF on COMM: detach, the program ends"
  else
    fail "EOF on COMM: detach, the program ends" "$(tail -n 5 "$out" | tr '\n' '|')"
  fi
}

# A gdb that dies mid-session (SIGKILL: no detach, no kill); the next one takes over.
session_reconnect() {
  boot reconnect /tests/gdbtarget || return
  local gpid i
  : >"$tmp/reconnect-first.out"
  gdb -batch -nx -ex "target remote 127.0.0.1:$port" -ex 'break leaf' -ex continue \
    -ex 'python import time; time.sleep(60)' "$prog" >"$tmp/reconnect-first.out" 2>&1 &
  gpid=$!
  for ((i = 0; i < 300; i++)); do
    grep -q 'Breakpoint 1, leaf' "$tmp/reconnect-first.out" && break
    sleep 0.1
  done
  kill -KILL "$gpid"
  wait "$gpid" 2>/dev/null
  gdb_session reconnect "target remote" <<EOF
echo ==where==\n
bt 1
echo ==on==\n
continue
kill
EOF
  halt reconnect
  if grep -q 'Breakpoint 1, leaf' "$tmp/reconnect-first.out"; then
    expect reconnect where "a new gdb after one died" '^#0 +leaf '
    expect reconnect on "and it can go on" 'Program received signal SIGUSR1'
  else
    fail "a new gdb after one died" "the first gdb did not stop at leaf"
  fi
}

# gdbserver --attach on a pipe: one packet sets spin_go in the spinning program, then
# the pipe closes; gdbserver detaches and the program, released, ends.
session_attach_pipe() {
  local out=$tmp/attach.log addr pkt
  addr=$(nm "$prog" | awk '$3 == "spin_go" { sub(/^0+/, "", $1); print $1 }')
  pkt="M$addr,4:01000000"
  tools/vrun --timeout 120 -- /bin/sh -c \
    "/tests/gdbtarget spin & sleep 1; (printf '+\$?#3f\$$pkt#$(csum "$pkt")'; sleep 1) | /bin/gdbserver --attach - \$! >/tmp/o; echo rc=\$?; wait; cat /tmp/o; echo" \
    >"$out" 2>&1
  if grep -q 'attached to process' "$out" && grep -q '^spin released' "$out" &&
    grep -q 'rc=0' "$out" && grep -q '\$OK#9a' "$out"; then
    pass "--attach: memory write, then EOF: detach"
  else
    fail "--attach: memory write, then EOF: detach" "$(tail -n 6 "$out" | tr '\n' '|')"
  fi
}

# A dynamic PIE: gdb learns the load address and the libraries from the auxv
# (qXfer:auxv:read) and the loader's list in memory, and reads the libraries' symbols
# from the host's files, which are the ones the guest runs.
session_dynamic() {
  local src=$tmp/dyn.c saved=$prog
  cat >"$src" <<'EOF'
#include <stdio.h>
#include <string.h>
int counter;
static int twice(int x) { return 2 * x; }
int main(int argc, char **argv) {
  (void)argv;
  counter = twice(argc);
  puts("dynamic target");
  counter += (int)strlen("four");
  return counter;
}
EOF
  if ! gcc -g -O0 -o "$tmp/dyn" "$src" 2>"$tmp/dyn.cc"; then
    fail "dynamic: build" "$(head -c 300 "$tmp/dyn.cc")"
    return
  fi
  vrun_extra=(--file "$tmp/dyn")
  boot dynamic "$tmp/dyn" || { vrun_extra=(); return; }
  vrun_extra=()
  prog=$tmp/dyn
  gdb_session dynamic "target remote" <<EOF
echo ==start==\n
maint packet qXfer:libraries-svr4:read::0,fff
break main
break puts
echo ==main==\n
continue
print counter
info sharedlibrary
echo ==svr4==\n
maint packet qXfer:libraries-svr4:read::0,fff
echo ==puts==\n
continue
bt
echo ==finish==\n
finish
print counter
watch counter
continue
echo ==end==\n
delete
continue
EOF
  prog=$saved
  halt dynamic
  expect dynamic main "dynamic: break main (PIE relocated)" '^Breakpoint 1, main \(argc=1' 'dyn\.c:7' '^\$1 = 0$'
  expect dynamic main "dynamic: info sharedlibrary" \
    '^0x0*7[0-9a-f]+ +0x[0-9a-f]+ +Yes .*/ld-linux-x86-64\.so\.2$' '^0x[0-9a-f]+ +0x[0-9a-f]+ +Yes .*/libc\.so\.6$'
  expect dynamic start "dynamic: no libraries before the loader ran (libraries-svr4)" \
    '^received: "l<library-list-svr4 version="1.0"/>"$'
  expect dynamic svr4 "dynamic: qXfer:libraries-svr4:read walks the loader's list" \
    ' main-lm="0x[0-9a-f]+">' \
    '<library name="/[^"]*/libc\.so\.6" lm="0x[0-9a-f]+" l_addr="0x[0-9a-f]+" l_ld="0x[0-9a-f]+" lmid="0x0"/>' \
    '<library name="/[^"]*/ld-linux-x86-64\.so\.2" lm="0x[0-9a-f]+"'
  if grep -q "target library list" "$tmp/dynamic.out"; then
    fail "dynamic: gdb takes the library list" "$(grep -m1 "target library list" "$tmp/dynamic.out")"
  else
    pass "dynamic: gdb takes the library list"
  fi
  expect dynamic puts "dynamic: breakpoint in libc (puts)" '^Breakpoint 2, .*puts \(str=0x[0-9a-f]+ "dynamic target"\)'
  expect dynamic puts "dynamic: backtrace through libc" '^#0 .*puts' '^#1 +0x0*5555[0-9a-f]+ in main \(argc=1'
  expect dynamic finish "dynamic: finish out of puts" '^main \(argc=1' 'dyn\.c:9' '^Value returned is \$2 = 15$' '^\$3 = 2$'
  expect dynamic finish "dynamic: watchpoint (debug registers)" '^Hardware watchpoint [0-9]+: counter$' \
    '^Old value = 2$' '^New value = 6$'
  expect dynamic end "dynamic: exit status" 'exited with code 06'
  expect_rc dynamic "dynamic: the program's status" 6
}

# The threaded program (tests/guest/helpers/gdbthreads.c, musl static, pthreads): the
# worker's breakpoint stops the whole program (all-stop), every thread is listed with
# its name and where it is, `thread N` and bt in each, stepping one thread while the
# other is held (scheduler-locking step) and with it running (vCont;r:TID;c), continue
# resuming both, the worker's end, and the thread packets as gdb's `maint packet` sends
# them.
tmark() { grep -n "MARK: $1\$" tests/guest/helpers/gdbthreads.c | cut -d: -f1; }
session_threads() {
  local saved=$prog
  make -s build/guest/gdbthreads >/dev/null 2>&1 || { fail "threads: build" "cannot build gdbthreads"; return; }
  prog=build/guest/gdbthreads
  boot threads /tests/gdbthreads || { prog=$saved; return; }
  gdb_session threads "target remote" <<EOF
echo ==hit==\n
break work
break joined
continue
echo ==info==\n
info threads
set \$before = spins
echo ==thread1==\n
thread 1
bt
echo ==thread2==\n
thread 2
bt
echo ==held==\n
print spins == \$before
echo ==packets==\n
maint packet qC
maint packet qfThreadInfo
maint packet qsThreadInfo
maint packet qXfer:threads:read::0,fff
maint packet T1
maint packet Hg1
echo ==lock==\n
set scheduler-locking step
next
print y
next
print y
print spins == \$before
info threads
echo ==unlocked==\n
set scheduler-locking off
next
print y
echo ==resume==\n
continue
echo ==gone==\n
info threads
maint packet qfThreadInfo
echo ==end==\n
continue
EOF
  prog=$saved
  halt threads
  local work=$(tmark work-body)
  expect threads hit "threads: a new thread is reported" '^\[New Thread [0-9]+\]$'
  expect threads hit "threads: a breakpoint in the second thread" \
    "^Thread 2 \"worker\" hit Breakpoint 1, work \\(x=5\\) at .*gdbthreads.c:$work"
  expect threads info "threads: info threads shows each thread, its name and where it is" \
    "^\\* 2 +Thread [0-9]+ \"worker\" +work \\(x=5\\) at .*gdbthreads.c:$work\$" \
    '^  1 +Thread [0-9]+ "gdbthreads" +(0x[0-9a-f]+ in )?main \(argc=1, argv=0x[0-9a-f]+\) at .*gdbthreads.c:[0-9]+$'
  expect threads thread1 "threads: thread 1, bt in it" '^\[Switching to thread 1 \(Thread [0-9]+\)\]' \
    '^#0 +(0x[0-9a-f]+ in )?main \(argc=1, argv=0x[0-9a-f]+\) at .*gdbthreads.c'
  expect threads thread2 "threads: thread 2, bt through the thread's start" \
    '^\[Switching to thread 2 \(Thread [0-9]+\)\]' '^#0 +work \(x=5\)' '^#1 .* in worker \(arg=0x5\)'
  expect threads held "threads: all-stop (the main thread did not run meanwhile)" '^\$[0-9]+ = 1$'
  expect threads packets "threads: qC names the stopped thread" '^received: "QC[0-9a-f]+"$'
  expect threads packets "threads: qfThreadInfo lists both, qsThreadInfo ends" \
    '^received: "m[0-9a-f]+,[0-9a-f]+"$' '^received: "l"$'
  expect threads packets "threads: qXfer:threads:read with names" \
    '^received: "l<\?xml version="1.0"\?><threads><thread id="[0-9a-f]+" name="gdbthreads"/><thread id="[0-9a-f]+" name="worker"/></threads>"$'
  expect threads packets "threads: T and Hg of a thread that does not exist" '^received: "E03"$'
  expect threads lock "threads: scheduler-locking step steps the worker alone" \
    "^$(tmark work-mul)[[:space:]].*MARK: work-mul" '^\$[0-9]+ = 6$' \
    "^$(tmark work-add)[[:space:]].*MARK: work-add" '^\$[0-9]+ = 18$' '^\$[0-9]+ = 1$' \
    '^  1 +Thread [0-9]+ "gdbthreads" +(0x[0-9a-f]+ in )?main \(argc=1, argv=0x[0-9a-f]+\)' \
    "^\\* 2 +Thread [0-9]+ \"worker\" +work \\(x=5\\) at .*gdbthreads.c:$(tmark work-add)\$"
  expect threads unlocked "threads: next with the other thread running (vCont;r:TID;c)" \
    "^$(tmark work-ret)[[:space:]].*MARK: work-ret" '^\$[0-9]+ = 20$'
  expect threads resume "threads: continue resumes both (main joins the worker)" \
    '^Thread 1 "gdbthreads" hit Breakpoint 2, joined \(v=20\)'
  expect threads gone "threads: the worker's end is seen" \
    '^\* 1 +Thread [0-9]+ "gdbthreads" +joined \(v=20\)' '^received: "m[0-9a-f]+"$'
  expect_none threads gone "threads: the ended worker is not listed" 'worker'
  expect threads end "threads: exit status" 'exited with code 03'
  expect_log threads "threads: the program's output" '^joined 20$'
  expect_rc threads "threads: gdbserver exits with the program's status" 3
}

# Attaching to a running process with two threads (extended-remote): both are stopped
# and listed.
session_threads_attach() {
  local saved=$prog
  prog=build/guest/gdbthreads
  boot threads-attach --multi || { prog=$saved; return; }
  gdb_session threads-attach "target extended-remote" <<'EOF'
echo ==run==\n
set remote exec-file /tests/gdbthreads
tbreak work
run hold
set $p = mypid
detach
echo ==attach==\n
eval "attach %d", $p
info threads
echo ==release==\n
set var release = 1
continue
echo ==end==\n
monitor exit
EOF
  prog=$saved
  halt threads-attach
  expect threads-attach run "threads attach: run, break in the worker" 'hit Temporary breakpoint 1, work \(x=5\)'
  expect threads-attach attach "threads attach: both threads stopped and listed" \
    '^[* ] 1 +Thread [0-9]+ "gdbthreads" ' '^[* ] 2 +Thread [0-9]+ "worker" '
  expect threads-attach release "threads attach: continue runs both to the end" 'exited with code 03'
}

# Two workers reach one breakpoint at about the same time: each hit is reported once
# (the second is kept pending while the first is reported, or comes later), none lost.
session_threads_two() {
  local saved=$prog
  prog=build/guest/gdbthreads
  boot threads-two /tests/gdbthreads two || { prog=$saved; return; }
  gdb_session threads-two "target remote" <<'EOF'
echo ==hits==\n
break work
continue
continue
echo ==list==\n
info threads
echo ==end==\n
delete
set var release = 1
continue
EOF
  prog=$saved
  halt threads-two
  expect threads-two hits "threads two: both threads' hits are reported" \
    '^Thread [23] "worker" hit Breakpoint 1, work \(x=5\)' '^Thread [23] "worker" hit Breakpoint 1, work \(x=7\)'
  local n
  n=$(section threads-two hits | grep -c 'hit Breakpoint')
  if [ "$n" = 2 ]; then pass "threads two: each hit once"; else fail "threads two: each hit once" "$n hits"; fi
  expect threads-two list "threads two: three threads listed" '^  1 +Thread [0-9]+ "gdbthreads" ' \
    '^[* ] 2 +Thread [0-9]+ "worker" ' '^[* ] 3 +Thread [0-9]+ "worker" '
  expect threads-two end "threads two: continue runs all to the end" 'exited with code 03'
}

# A gdb killed while the program runs (no detach, no kill): the hang-up reaches
# gdbserver while it waits for the program, which it stops for the next gdb.
session_hangup() {
  boot hangup /tests/gdbtarget spin || return
  local gpid i
  gdb -batch -nx -ex "target remote 127.0.0.1:$port" -ex continue "$prog" \
    >"$tmp/hangup-first.out" 2>&1 &
  gpid=$!
  for ((i = 0; i < 300; i++)); do grep -q 'spinning as' "$tmp/hangup.log" && break; sleep 0.1; done
  sleep 1 # (it prints, then spins: gdb has sent its continue)
  kill -KILL "$gpid"
  wait "$gpid" 2>/dev/null
  gdb_session hangup "target remote" <<EOF
echo ==stopped==\n
print spin_go
bt
echo ==finish==\n
set var spin_go = 1
continue
EOF
  halt hangup
  expect hangup stopped "after a hang-up while running, the next gdb finds it stopped" '^\$1 = 0$' \
    'nanosleep' # (stopped in its sleep, not where it started)
  expect hangup finish "and can let it finish" 'exited normally'
  expect_log hangup "gdbserver saw the hang-up" 'gdb went away; waiting for the next one'
  expect_rc hangup "hang-up: gdbserver exits with the program's status" 0
}

# The host side comes and goes: gdbserver serves each new connection from scratch.
session_relink() {
  boot relink /tests/gdbtarget exit 6 || return
  local i ok=0 missed=""
  for ((i = 0; i < 20; i++)); do
    exec 3<>"/dev/tcp/127.0.0.1/$port" || break
    case $((i % 4)) in
      0) ;;                                   # connect, say nothing
      1) printf '$m40' >&3 ;;                 # half a packet
      2) send '?' ;;                          # a packet, never read the reply
      3) send '?'
         if get && [[ $data == T05* ]]; then ok=$((ok + 1)); else
           missed+=" [connection $i: acks '${acks:0:20}' reply '${data:0:40}']"
         fi ;;
    esac
    exec 3>&-
  done
  if [ "$i" = 20 ] && [ "$ok" = 5 ]; then pass "relink: 20 connections come and go"; else
    fail "relink: 20 connections come and go" "$i connections, $ok of 5 answered:$missed"
  fi
  gdb_session relink "target remote" <<EOF
echo ==end==\n
continue
EOF
  halt relink
  expect relink end "relink: then a gdb runs it to the end" 'exited with code 06'
  expect_rc relink "relink: gdbserver exits with the program's status" 6
}

# Noise on the line while the program runs, then Ctrl-C: a clear answer, nothing wedged.
session_flood() {
  boot flood /tests/gdbtarget spin || return
  if ! exec 3<>"/dev/tcp/127.0.0.1/$port"; then
    fail "flood connect" "cannot connect"
    halt flood
    return
  fi
  ask "flood: qSupported" "qSupported" '.*PacketSize=4000.*'
  send 'vCont;c'
  head -c 1000000 /dev/urandom | tr -d '$\003' >&3 # outside a packet: skipped
  local i bad=""
  for ((i = 0; i < 2000; i++)); do bad+='$zz#00'; done
  printf '%s' "$bad" >&3 # bad checksums: each NAKed
  printf '\003' >&3
  get
  printf '+' >&3
  if [[ $data == T02* ]] && [[ $acks == *-* ]]; then pass "flood: NAKs, then Ctrl-C stops it"; else
    fail "flood: NAKs, then Ctrl-C stops it" "acks '${acks:0:20}...' reply '${data:0:60}'"
  fi
  ask "flood: still serving" 'qC' 'QC[0-9a-f]+'
  local addr
  addr=$(nm "$prog" | awk '$3 == "spin_go" { sub(/^0+/, "", $1); print $1 }')
  ask "flood: release the program" "M$addr,4:01000000" 'OK'
  ask "flood: it runs to its end" 'c' 'W00'
  exec 3>&-
  halt flood
  expect_log flood "flood: the program ended normally" '^spin released$'
  expect_rc flood "flood: gdbserver exits with the program's status" 0
}

# COM2, the link without virtio: a smaller set.
session_com2() {
  link=--gdb-com2
  boot com2 /tests/gdbtarget || { link=--gdb; return; }
  link=--gdb
  gdb_session com2 "target remote" <<EOF
break leaf
echo ==leaf==\n
continue
bt
break seven
echo ==on==\n
continue
echo ==kill==\n
kill
EOF
  halt com2
  expect com2 leaf "com2: break and bt" 'Breakpoint 1, leaf ' '^#2 .* in top '
  expect com2 on "com2: continue to the next breakpoint" 'Breakpoint 2, seven '
  expect_rc com2 "com2: killed by SIGKILL" 137
  expect_log com2 "com2: gdbserver used the serial port" 'listening on com2:'
}

session_checks
session_dynamic
session_threads
session_threads_attach
session_threads_two
session_detach
session_kill
session_multi
session_raw
session_eof
session_attach_pipe
session_reconnect
session_hangup
session_relink
session_flood
session_com2
finish
