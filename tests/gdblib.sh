#!/usr/bin/env bash
# tests/gdblib.sh: what the host-gdb tests share (sourced by tests/gdb.sh, our
# gdbserver, and tests/gdbdebian.sh, GDB's own): counting and reporting, booting the
# guest with a gdbserver on the debug link, running a gdb -batch session, checking its
# output part by part, and the two sessions both servers must pass (checks: the static
# tests/guest/helpers/gdbtarget.c; dynamic: a glibc PIE from the host's gcc).
#
# Set before a session: link (the vrun option: --gdb, --gdb-com2, --gdb-debian), ready
# (what the guest prints once gdbserver waits for gdb), vrun_extra (more vrun options),
# tag (put before every test name), server_rc (the status a gdbserver that does not pass
# on its program's exits with), gdb_setup (gdb -ex options before the session's).

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

tag=""
pass() { passed=$((passed + 1)); echo "PASS $tag$1"; }
fail() { failed=$((failed + 1)); echo "FAIL $tag$1: $2"; }
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
# What vrun returns, gdbserver's status: empty for a gdbserver that exits with its
# program's (ours), else the status it exits with (GDB's: 0).
server_rc=""
# expect_server_rc NAME TEST STATUS: vrun's status after a program that exited with
# STATUS: STATUS (the test TEST), or server_rc for a gdbserver that exits with that.
expect_server_rc() {
  if [ -z "$server_rc" ]; then expect_rc "$1" "$2" "$3"; else
    expect_rc "$1" "$1: gdbserver exits with $server_rc" "$server_rc"; fi
}

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
ready="gdbserver: listening on"
boot() {
  local name=$1 i
  shift
  port=$(free_port)
  : >"$tmp/$name.log" # (before the first look at it)
  tools/vrun --timeout 300 "${vrun_extra[@]}" "$link" "$port" -- "$@" >"$tmp/$name.log" 2>&1 &
  vpid=$!
  for ((i = 0; i < 600; i++)); do
    grep -q -- "$ready" "$tmp/$name.log" && return 0
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

# gdb_session NAME TARGET-COMMAND: run gdb with the commands on stdin (one a line),
# after gdb_setup's.
gdb_setup=()
gdb_session() {
  local name=$1 target=$2 args=() line
  while IFS= read -r line; do args+=(-ex "$line"); done
  timeout 240 gdb -batch -nx -ex 'set pagination off' -ex 'set confirm off' "${gdb_setup[@]}" \
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

# boot_host_program NAME SRC [GCC-OPTIONS...]: build SRC (FILE.c) with the host's gcc
# into FILE, boot the guest running it under gdbserver (brought with vrun --file), and
# make it gdb's program (prog; the caller puts it back). Fails as boot does.
boot_host_program() {
  local name=$1 src=$2 bin=${2%.c}
  shift 2
  if ! gcc -g -O0 "$@" -o "$bin" "$src" 2>"$tmp/$name.cc"; then
    fail "$name: build" "$(head -c 300 "$tmp/$name.cc")"
    return 1
  fi
  vrun_extra=(--file "$bin")
  boot "$name" "$bin" || { vrun_extra=(); return 1; }
  vrun_extra=()
  prog=$bin
}

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
  expect_server_rc checks "gdbserver exits with the program's status" 42
}

# How a gdbserver spells an empty qXfer:libraries-svr4 list's end, and a library's lmid
# (ours: "/>" and 0; GDB's own 13: a closing tag, and the r_debug the library is on).
svr4_empty="/>"
svr4_lmid="0x0"

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
  boot_host_program dynamic "$src" || return
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
    "^received: \"l<library-list-svr4 version=\"1.0\"$svr4_empty\"\$"
  expect dynamic svr4 "dynamic: qXfer:libraries-svr4:read walks the loader's list" \
    ' main-lm="0x[0-9a-f]+">' \
    '<library name="/[^"]*/libc\.so\.6" lm="0x[0-9a-f]+" l_addr="0x[0-9a-f]+" l_ld="0x[0-9a-f]+" lmid="'"$svr4_lmid"'"/>' \
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
  expect_server_rc dynamic "dynamic: the program's status" 6
}
