#!/usr/bin/env bash
# tests/gdbdebian.sh: the host's gdb debugs programs in the guest through GDB's own
# gdbserver (Debian's package, the unmodified binary, /usr/bin/gdbserver in the image),
# which runs on the kernel's ptrace(2) front door. `tools/vrun --gdb-debian PORT`
# makes the guest run `/usr/bin/gdbserver /dev/virtio-ports/gdb PROGRAM ARGS`: the
# virtio console's port "gdb", whose host end is a TCP server (docs/gdbserver.md).
#
# The sessions and helpers are tests/gdblib.sh's, the ones tests/gdb.sh runs through
# our gdbserver; each test name here starts with "debian ".
#   checks     the static gdbtarget: break by name and file:line, bt, registers, x87
#              and SSE, finish, next/step over system calls, until, watch, rwatch, set
#              var, set $rax, a signal and `signal 0`, the exit status
#   dynamic    a glibc PIE: break main, a breakpoint in libc (puts), info
#              sharedlibrary, a backtrace through libc, finish, a watchpoint
#   threads    a glibc program with a second thread: a breakpoint hit in it, info
#              threads, a watchpoint both threads trip (the main one after the other
#              is gone), the exit status
#
# Prints "PASS name" / "FAIL name: detail"; the last line is "N passed, N failed".
# GDBTEST_KEEP=1 keeps every session's gdb and guest output (the path goes to stderr).
. "$(dirname "${BASH_SOURCE[0]}")/gdblib.sh"

link=--gdb-debian
ready="Remote debugging using /dev/virtio-ports/gdb"
tag="debian "
server_rc=0 # GDB's gdbserver exits 0 once its program has ended and gdb has heard
svr4_empty="></library-list-svr4>"
svr4_lmid="0x[0-9a-f]+"
# The guest's libraries are the host's files: gdb reads them here, not through the link.
gdb_setup=(-ex 'set sysroot /')

[ -x /usr/bin/gdbserver ] ||
  { fail "gdbserver" "no /usr/bin/gdbserver on the host (tools/deps.sh installs it)"; finish; }

# A program whose second thread stops at a breakpoint; the main thread then joins it
# and writes a global gdb watches. Nothing depends on timing: the thread is joined.
session_threads() {
  local src=$tmp/thr.c saved=$prog
  cat >"$src" <<'EOF'
#include <pthread.h>
#include <stdio.h>
int shared;
static void *worker(void *arg) {
  shared += *(int *)arg; /* MARK: worker */
  return NULL;
}
int main(void) {
  pthread_t th;
  int v = 5;
  if (pthread_create(&th, NULL, worker, &v))
    return 1;
  pthread_join(th, NULL);
  shared *= 3; /* MARK: joined */
  printf("shared=%d\n", shared);
  return shared;
}
EOF
  boot_host_program threads "$src" -pthread || return
  gdb_session threads "target remote" <<EOF
break worker
echo ==worker==\n
continue
info threads
bt
print *(int *)arg
echo ==watch-thread==\n
delete
watch shared
continue
echo ==joined==\n
continue
info threads
echo ==end==\n
delete
continue
EOF
  prog=$saved
  halt threads
  expect threads worker "threads: breakpoint hit in the second thread" \
    '^Thread 2 "thr" hit Breakpoint 1, worker \(arg=0x[0-9a-f]+\) at .*thr\.c:5'
  expect threads worker "threads: info threads lists both" \
    '^  1 +Thread [0-9]+\.[0-9]+ "thr" ' '^\* 2 +Thread [0-9]+\.[0-9]+ "thr" +worker '
  expect threads worker "threads: bt in the thread" '^#0 +worker ' '^#1 .* in start_thread ' '^\$1 = 5$'
  expect threads watch-thread "threads: a watchpoint fires in the second thread" \
    '^Thread 2 "thr" hit Hardware watchpoint 2: shared' '^Old value = 0$' '^New value = 5$' '^worker \(arg='
  expect threads joined "threads: the watchpoint fires in main after the join" \
    '^Old value = 5$' '^New value = 15$' '^main \(\) at .*thr\.c:1[45]'
  expect threads joined "threads: the second thread is gone" '^\* 1 +Thread [0-9]+\.[0-9]+ "thr" +main '
  expect threads end "threads: exit status" 'exited with code 017'
  expect_log threads "threads: the program's output" '^shared=15$'
  expect_server_rc threads "threads: the program's status" 15
}

session_checks
session_dynamic
session_threads
finish
