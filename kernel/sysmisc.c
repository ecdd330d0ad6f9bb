// Time, identity of the system, per-process settings, and power off.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "exec.h"
#include "file.h"
#include "kalloc.h"
#include "panic.h"
#include "proc.h"
#include "regs.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"
#include "x86.h"
#include <vitrine/uname.h>

// uname(2): Linux's system name and release, Vitrine's name in the version (uname.h).
long sys_uname(struct trapframe *tf) {
  char u[6][65] = {UNAME_SYSNAME, "vitrine", UNAME_RELEASE, UNAME_VERSION, UNAME_MACHINE,
                   "(none)"};
  return copyout(ARG0, u, sizeof u);
}

// ---- clocks and sleeping ----
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1
#define NS 1000000000ull

static int clock_now(int clk, uint64_t *ns) {
  switch (clk) {
  case CLOCK_REALTIME:
  case CLOCK_REALTIME_COARSE:
    *ns = boot_epoch * NS + time_ns();
    return 0;
  case CLOCK_MONOTONIC:
  case CLOCK_MONOTONIC_RAW:
  case CLOCK_MONOTONIC_COARSE:
  case CLOCK_BOOTTIME:
  case CLOCK_PROCESS_CPUTIME_ID: // no per-process accounting yet: time since boot
  case CLOCK_THREAD_CPUTIME_ID:
    *ns = time_ns();
    return 0;
  }
  return -EINVAL;
}

static int put_timespec(uint64_t uts, uint64_t ns) {
  struct timespec_k ts = {ns / NS, ns % NS};
  return copyout(uts, &ts, sizeof ts);
}

long sys_clock_gettime(struct trapframe *tf) {
  uint64_t ns;
  int r = clock_now(ARG0, &ns);
  return r < 0 ? r : put_timespec(ARG1, ns);
}

long sys_clock_getres(struct trapframe *tf) {
  uint64_t ns;
  int r = clock_now(ARG0, &ns);
  if (r < 0 || !ARG1)
    return r;
  return put_timespec(ARG1, 1);
}

long sys_gettimeofday(struct trapframe *tf) {
  uint64_t ns = boot_epoch * NS + time_ns();
  int64_t tv[2] = {ns / NS, ns % NS / 1000};
  return ARG0 ? copyout(ARG0, tv, sizeof tv) : 0;
}

long sys_time(struct trapframe *tf) {
  int64_t t = boot_epoch + time_ns() / NS;
  if (ARG0 && copyout(ARG0, &t, sizeof t) < 0)
    return -EFAULT;
  return t;
}

// Sleep until the clock clk reads deadline (ns). On a signal: -ERESTARTSYS, and the time
// left in *left.
static int sleep_ns(int clk, uint64_t deadline, uint64_t *left) {
  uint64_t now;
  while (clock_now(clk, &now) == 0 && now < deadline) {
    uint64_t wait_ticks = (deadline - now + NS / HZ - 1) / (NS / HZ);
    if (sleep_until((void *)&ticks, ticks + wait_ticks) < 0) {
      clock_now(clk, &now);
      *left = deadline > now ? deadline - now : 0;
      return -ERESTARTSYS;
    }
  }
  return 0;
}

// An interrupted relative sleep goes on to the same deadline (restart_block): arg 0 the
// clock, 1 the deadline, 2 where the time left goes.
static long nanosleep_restart(const struct restart_block *rb) {
  uint64_t left = 0;
  int r = sleep_ns(rb->arg[0], rb->arg[1], &left);
  if (r != -ERESTARTSYS)
    return r;
  if (rb->arg[2])
    put_timespec(rb->arg[2], left);
  return restart_later(nanosleep_restart, rb->arg[0], rb->arg[1], rb->arg[2], 0);
}

static long do_nanosleep(int clk, int flags, uint64_t ureq, uint64_t urem) {
  struct timespec_k ts;
  uint64_t now, left = 0;
  if (clock_now(clk, &now) < 0 || clk == CLOCK_THREAD_CPUTIME_ID)
    return -EINVAL;
  if (copyin(&ts, ureq, sizeof ts) < 0)
    return -EFAULT;
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NS)
    return -EINVAL;
  uint64_t req = (uint64_t)ts.tv_sec > UINT64_MAX / NS / 2 ? UINT64_MAX / 2 : ts.tv_sec * NS + ts.tv_nsec;
  uint64_t deadline = flags & TIMER_ABSTIME ? req : now + req;
  int r = sleep_ns(clk, deadline, &left);
  if (r != -ERESTARTSYS || (flags & TIMER_ABSTIME))
    return r; // (an absolute sleep restarts as it is: its deadline does not move)
  if (urem)
    put_timespec(urem, left);
  return restart_later(nanosleep_restart, clk, deadline, urem, 0);
}

long sys_nanosleep(struct trapframe *tf) { return do_nanosleep(CLOCK_MONOTONIC, 0, ARG0, ARG1); }
long sys_clock_nanosleep(struct trapframe *tf) {
  long r = do_nanosleep(ARG0, ARG1, ARG2, ARG3);
  return r; // clock_nanosleep returns the error number; musl negates it back
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

long sys_set_tid_address(struct trapframe *tf) {
  myproc()->clear_child_tid = ARG0;
  return myproc()->pid;
}

long sys_set_robust_list(struct trapframe *tf) {
  return ARG1 == 24 ? 0 : -EINVAL; // one thread per process: nothing to clean up
}

// Limits: reported as Linux's defaults; only the descriptor limit is real.
static long rlimit(int pid, int res, uint64_t unew, uint64_t uold) {
  if (pid != 0 && pid != myproc()->pid)
    return proc_find(pid) ? -EPERM : -ESRCH;
  if (res < 0 || res >= 16)
    return -EINVAL;
  uint64_t inf = UINT64_MAX, lim[2] = {inf, inf};
  if (res == 3) // RLIMIT_STACK
    lim[0] = 8 << 20;
  if (res == 7) // RLIMIT_NOFILE
    lim[0] = lim[1] = NOFILE;
  if (res == 6) // RLIMIT_NPROC
    lim[0] = lim[1] = MAX_USER_PROCS;
  if (unew) { // setting: this kernel cannot raise or enforce them, so refuse
    uint64_t want[2];
    if (copyin(want, unew, sizeof want) < 0)
      return -EFAULT;
    if (want[0] > want[1])
      return -EINVAL;
    if (want[0] != lim[0] || want[1] != lim[1])
      return -EPERM;
  }
  return uold ? copyout(uold, lim, sizeof lim) : 0;
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
