// Time, identity of the system, per-process settings, and power off.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "exec.h"
#include "file.h"
#include "futex.h"
#include "kalloc.h"
#include "panic.h"
#include "proc.h"
#include "regs.h"
#include "signal.h"
#include "syscall.h"
#include "timer.h"
#include "vm.h"
#include "x86.h"
#include <vitrine/uname.h>

// uname(2): Linux's system name and release, Vitrine's name in the version (uname.h).
long sys_uname(struct trapframe *tf) {
  char u[6][65] = {UNAME_SYSNAME, "vitrine", UNAME_RELEASE, UNAME_VERSION, UNAME_MACHINE,
                   "(none)"};
  return copyout(ARG0, u, sizeof u);
}

// ---- per-process settings ----
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

long sys_arch_prctl(struct trapframe *tf) {
  switch (ARG0) {
  case ARCH_SET_FS:
  case ARCH_SET_GS:
    if (ARG1 >= USER_TOP) // a base in the kernel half or non-canonical: refused
      return -EPERM;
    if (ARG0 == ARCH_SET_FS)
      tf->fs_base = ARG1, wrmsr(MSR_FS_BASE, ARG1);
    else
      tf->gs_base = ARG1, wrmsr(MSR_GS_BASE, ARG1);
    return 0;
  case ARCH_GET_FS:
    return copyout(ARG1, &tf->fs_base, 8);
  case ARCH_GET_GS:
    return copyout(ARG1, &tf->gs_base, 8);
  }
  return -EINVAL;
}

// personality(2): Vitrine runs only Linux's x86-64 ABI (PER_LINUX, 0); the value is
// kept, inherited and reported as Linux does, but no flag changes behaviour.
long sys_personality(struct trapframe *tf) {
  uint32_t old = myproc()->leader->personality; // process-wide
  if ((uint32_t)ARG0 != 0xffffffff)
    myproc()->leader->personality = ARG0;
  return old;
}

long sys_set_tid_address(struct trapframe *tf) {
  myproc()->clear_child_tid = ARG0;
  return myproc()->pid;
}

#define ROBUST_HEAD_SIZE 24 // struct robust_list_head

long sys_set_robust_list(struct trapframe *tf) {
  if (ARG1 != ROBUST_HEAD_SIZE)
    return -EINVAL;
  myproc()->robust_list = ARG0; // walked when the thread dies (futex_exit)
  return 0;
}

long sys_get_robust_list(struct trapframe *tf) {
  struct proc *me = myproc(), *t = ARG0 ? proc_find(ARG0) : me;
  uint64_t len = ROBUST_HEAD_SIZE;
  if (!t)
    return -ESRCH;
  if (t != me && me->euid != 0 && me->ruid != t->ruid)
    return -EPERM;
  if (copyout(ARG1, &t->robust_list, 8) < 0 || copyout(ARG2, &len, 8) < 0)
    return -EFAULT;
  return 0;
}

// The deadline of a futex wait from its timeout argument, in monotonic ns (0: none):
// FUTEX_WAIT's is relative, FUTEX_WAIT_BITSET's absolute on CLOCK_MONOTONIC, or on
// CLOCK_REALTIME with FUTEX_CLOCK_REALTIME.
static long futex_deadline(uint64_t uts, bool absolute, bool realtime, uint64_t *deadline) {
  struct timespec_k ts;
  *deadline = 0;
  if (!uts)
    return 0;
  if (copyin(&ts, uts, sizeof ts) < 0)
    return -EFAULT;
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NS)
    return -EINVAL;
  uint64_t t = (uint64_t)ts.tv_sec > UINT64_MAX / NS / 2 ? UINT64_MAX / 2 : ts.tv_sec * NS + ts.tv_nsec;
  uint64_t now = time_ns();
  if (!absolute)
    t += now;
  else if (realtime)
    t = t > boot_epoch * NS ? t - boot_epoch * NS : 0;
  *deadline = t ? t : 1; // 1: already past (0 would mean no limit)
  return 0;
}

// A timed wait that a stop or a tracer interrupted goes on to the same deadline (the
// word is checked again, as Linux's futex_wait_restart does). arg: uaddr | shared,
// val | bitset << 32, deadline.
static long futex_restart(const struct restart_block *rb) {
  uint64_t uaddr = rb->arg[0] & ~3ull, v = rb->arg[1];
  bool shared = rb->arg[0] & 1;
  long r = futex_wait(uaddr, shared, (uint32_t)v, v >> 32, rb->arg[2]);
  if (r != -ERESTARTSYS)
    return r;
  return restart_later(futex_restart, rb->arg[0], v, rb->arg[2], 0);
}

static long futex_wait_call(uint64_t uaddr, bool shared, uint32_t val, uint32_t bitset,
                            uint64_t utime, bool absolute, bool realtime) {
  uint64_t deadline;
  long r = futex_deadline(utime, absolute, realtime, &deadline);
  if (r < 0)
    return r;
  r = futex_wait(uaddr, shared, val, bitset, deadline);
  if (r == -ERESTARTSYS && deadline)
    return restart_later(futex_restart, uaddr | shared, val | (uint64_t)bitset << 32, deadline, 0);
  return r;
}

// The ops that take two words: REQUEUE, CMP_REQUEUE, WAKE_OP (utime is a count there).
static long futex_two(int cmd, uint64_t uaddr, bool shared, uint32_t val, uint64_t utime,
                      uint64_t uaddr2, uint32_t val3) {
  if ((uaddr2 & 3) || (int)val < 0 || (int)utime < 0)
    return -EINVAL;
  if (uaddr2 >= USER_TOP)
    return -EFAULT;
  if (cmd == FUTEX_WAKE_OP)
    return futex_wake_op(uaddr, uaddr2, shared, val, (int)utime, val3);
  return futex_requeue(uaddr, uaddr2, shared, val, (int)utime, cmd == FUTEX_CMP_REQUEUE, val3);
}

__attribute__((noinline)) static long futex_call(struct trapframe *tf) {
  uint64_t uaddr = ARG0, utime = ARG3, uaddr2 = ARG4, deadline;
  uint32_t val = ARG2, val3 = ARG5;
  int op = ARG1, cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  bool realtime = op & FUTEX_CLOCK_REALTIME, shared = !(op & FUTEX_PRIVATE_FLAG);
  if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_LOCK_PI2)
    return -ENOSYS;
  if (uaddr & 3)
    return -EINVAL;
  if (uaddr >= USER_TOP)
    return -EFAULT;
  switch (cmd) {
  case FUTEX_WAKE:
    return futex_wake(uaddr, shared, val, FUTEX_BITSET_ANY);
  case FUTEX_WAIT:
    return futex_wait_call(uaddr, shared, val, FUTEX_BITSET_ANY, utime, false, realtime);
  case FUTEX_WAIT_BITSET:
    return val3 ? futex_wait_call(uaddr, shared, val, val3, utime, true, realtime) : -EINVAL;
  case FUTEX_WAKE_BITSET:
    return val3 ? futex_wake(uaddr, shared, val, val3) : -EINVAL;
  case FUTEX_REQUEUE:
  case FUTEX_CMP_REQUEUE:
  case FUTEX_WAKE_OP:
    return futex_two(cmd, uaddr, shared, val, utime, uaddr2, val3);
  case FUTEX_LOCK_PI:  // an absolute CLOCK_REALTIME timeout
  case FUTEX_LOCK_PI2: // absolute, CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME
  case FUTEX_TRYLOCK_PI: {
    long r = futex_deadline(cmd == FUTEX_TRYLOCK_PI ? 0 : utime, true,
                            realtime || cmd == FUTEX_LOCK_PI, &deadline);
    return r < 0 ? r : futex_lock_pi(uaddr, shared, deadline, cmd == FUTEX_TRYLOCK_PI);
  }
  case FUTEX_UNLOCK_PI:
    return futex_unlock_pi(uaddr, shared);
  }
  // FUTEX_FD (gone from Linux too), FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI
  // (docs/threads.md: no libc's condition variable uses them), anything unknown.
  return -ENOSYS;
}

// The common case first, in few instructions (make bench's futex row): a wake, or a
// wait with no timeout, on a good address. Everything else, errors included, futex_call.
long sys_futex(struct trapframe *tf) {
  uint64_t uaddr = ARG0;
  unsigned op = ARG1, cmd = op & ~FUTEX_PRIVATE_FLAG;
  if ((uaddr & 3) || uaddr >= USER_TOP || cmd > FUTEX_WAKE || (cmd == FUTEX_WAIT && ARG3))
    return futex_call(tf);
  if (cmd == FUTEX_WAKE)
    return futex_wake(uaddr, op == cmd, ARG2, FUTEX_BITSET_ANY);
  return futex_wait(uaddr, op == cmd, ARG2, FUTEX_BITSET_ANY, 0);
}

// Limits: kept per process and inherited; only RLIMIT_NOFILE is enforced (below the
// table's NOFILE). As Linux: anyone may lower a limit or move the soft one up to the
// hard one; raising the hard one takes root (EPERM); RLIMIT_NOFILE cannot go above
// what the kernel has (Linux's nr_open: EPERM).
static long rlimit(int pid, int res, uint64_t unew, uint64_t uold) {
  struct proc *p = myproc();
  if (pid != 0 && pid != p->tgid && pid != p->pid)
    return proc_find(pid) ? -EPERM : -ESRCH;
  if (res < 0 || res >= NRLIMIT)
    return -EINVAL;
  uint64_t(*rlim)[2] = p->leader->rlim; // process-wide
  uint64_t old[2] = {rlim[res][0], rlim[res][1]}, want[2];
  if (unew) {
    if (copyin(want, unew, sizeof want) < 0)
      return -EFAULT;
    if (want[0] > want[1])
      return -EINVAL;
    if (want[1] > old[1] && p->euid != 0)
      return -EPERM;
    if (res == RLIMIT_NOFILE && want[1] > NOFILE)
      return -EPERM;
  }
  if (uold && copyout(uold, old, sizeof old) < 0)
    return -EFAULT;
  if (unew)
    rlim[res][0] = want[0], rlim[res][1] = want[1];
  return 0;
}

long sys_prlimit64(struct trapframe *tf) { return rlimit(ARG0, ARG1, ARG2, ARG3); }
long sys_getrlimit(struct trapframe *tf) { return rlimit(0, ARG0, 0, ARG1); }
long sys_setrlimit(struct trapframe *tf) { return rlimit(0, ARG0, ARG1, 0); }

long sys_getrandom(struct trapframe *tf) {
  if (ARG2 & ~7u)
    return -EINVAL;
  size_t n = MIN(ARG1, 1u << 25), done = 0;
  uint8_t buf[256];
  while (done < n) {
    size_t c = MIN(n - done, sizeof buf);
    random_bytes(buf, c);
    if (copyout(ARG0 + done, buf, c) < 0)
      return done ? (long)done : -EFAULT;
    done += c;
  }
  return done;
}

long sys_sysinfo(struct trapframe *tf) {
  struct {
    int64_t uptime;
    uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char f[4];
  } si = {0};
  _Static_assert(sizeof si == 112, "struct sysinfo is Linux's");
  si.uptime = time_ns() / NS;
  si.totalram = pages_total() * PAGE_SIZE;
  si.freeram = pages_free() * PAGE_SIZE; // exact: the leak tests compare it
  for (int i = 0; i < NPROC; i++)
    si.procs += proctab[i] != NULL;
  si.mem_unit = 1;
  return copyout(ARG0, &si, sizeof si);
}

// reboot(2). Vitrine powers QEMU off for every command; the fourth argument, which
// Linux ignores for these commands, is the exit status handed to the host harness.
long sys_reboot(struct trapframe *tf) {
  if (ARG0 != 0xfee1dead || (ARG1 != 672274793 && ARG1 != 85072278 && ARG1 != 369367448 &&
                             ARG1 != 537993216))
    return -EINVAL;
  if (myproc()->euid != 0)
    return -EPERM;
  if (ARG2 != 0x4321fedc && ARG2 != 0xcdef0123 && ARG2 != 0x01234567)
    return -EINVAL;
  char msg[16] = "exit ";
  int code = ARG3 & 0xff, n = 5;
  if (code >= 100)
    msg[n++] = '0' + code / 100;
  if (code >= 10)
    msg[n++] = '0' + code / 10 % 10;
  msg[n++] = '0' + code % 10;
  msg[n++] = '\n';
  msg[n] = 0;
  debugcon_write(msg);
  qemu_exit(0);
}
