// Process system calls: identity, fork/clone, exec, exit, wait. The work is in proc.c
// and exec.c; these unpack the arguments.
#include "types.h"
#include "errno.h"
#include "exec.h"
#include "kalloc.h"
#include "proc.h"
#include "ptrace.h"
#include "regs.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"
#include <vitrine/siginfo.h>

long sys_getpid(struct trapframe *tf) { (void)tf; return myproc()->tgid; }
long sys_gettid(struct trapframe *tf) { (void)tf; return myproc()->pid; }
long sys_getppid(struct trapframe *tf) {
  (void)tf;
  return myproc()->parent ? myproc()->parent->pid : 0;
}
long sys_getuid(struct trapframe *tf) { (void)tf; return myproc()->ruid; }
long sys_geteuid(struct trapframe *tf) { (void)tf; return myproc()->euid; }
long sys_getgid(struct trapframe *tf) { (void)tf; return myproc()->rgid; }
long sys_getegid(struct trapframe *tf) { (void)tf; return myproc()->egid; }

long sys_sched_yield(struct trapframe *tf) {
  (void)tf;
  yield();
  return 0;
}

// ---- CPU affinity: there is one CPU, 0 ----
#define CPUMASK_BYTES 8 // the mask Linux copies: a long per 64 possible CPUs

static struct proc *affinity_target(long pid) { return pid == 0 ? myproc() : proc_find(pid); }

// sched_getaffinity(pid, len, mask): the bytes of the mask it wrote.
long sys_sched_getaffinity(struct trapframe *tf) {
  uint64_t len = ARG1, mask = 1;
  if (len == 0 || len % sizeof(long))
    return -EINVAL;
  if (!affinity_target((int)ARG0))
    return -ESRCH;
  len = MIN(len, CPUMASK_BYTES);
  return copyout(ARG2, &mask, len) < 0 ? -EFAULT : (long)len;
}

// sched_setaffinity(pid, len, mask): any mask holding CPU 0 is accepted (and changes
// nothing); Linux's order of checks: the mask, the process, the owner, the CPUs.
long sys_sched_setaffinity(struct trapframe *tf) {
  uint64_t mask = 0;
  struct proc *me = myproc(), *t;
  if (copyin(&mask, ARG2, MIN(ARG1, CPUMASK_BYTES)) < 0)
    return -EFAULT;
  if (!(t = affinity_target((int)ARG0)))
    return -ESRCH;
  if (me->euid != 0 && me->euid != t->euid && me->euid != t->ruid)
    return -EPERM;
  return mask & 1 ? 0 : -EINVAL;
}

// ---- fork and clone ----
// x86-64's clone: flags, stack, parent_tid, child_tid, tls.
long sys_clone(struct trapframe *tf) { return proc_clone(ARG0, ARG1, ARG2, ARG3, ARG4); }
long sys_fork(struct trapframe *tf) { (void)tf; return proc_clone(SIGCHLD, 0, 0, 0, 0); }
long sys_vfork(struct trapframe *tf) {
  (void)tf;
  return proc_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

// clone3(args, size): Linux's struct clone_args. pidfd and cgroup are read only with
// CLONE_PIDFD and CLONE_INTO_CGROUP, which are not supported (EINVAL), as Linux ignores
// them otherwise (glibc leaves pidfd set); choosing the new thread's id (set_tid) is
// not supported either (EINVAL).
struct clone_args_k {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  uint64_t set_tid, set_tid_size, cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64

long sys_clone3(struct trapframe *tf) {
  struct clone_args_k a = {0};
  uint64_t size = ARG1;
  if (size < CLONE_ARGS_SIZE_VER0)
    return -EINVAL;
  if (size > PAGE_SIZE)
    return -E2BIG;
  if (copyin(&a, ARG0, MIN(size, sizeof a)) < 0)
    return -EFAULT;
  for (uint64_t off = sizeof a; off < size; off++) { // newer fields we do not know: zero
    uint8_t b;
    if (copyin(&b, ARG0 + off, 1) < 0)
      return -EFAULT;
    if (b)
      return -E2BIG;
  }
  if ((a.exit_signal & ~(uint64_t)CSIGNAL) || a.exit_signal > NSIG)
    return -EINVAL;
  if ((a.flags & (CLONE_THREAD | CLONE_PARENT)) && a.exit_signal)
    return -EINVAL;
  if ((!a.stack && a.stack_size) || (a.stack && !a.stack_size))
    return -EINVAL;
  if (a.set_tid || a.set_tid_size)
    return -EINVAL;
  uint64_t sp = a.stack ? a.stack + a.stack_size : 0;
  return proc_clone((a.flags & ~(uint64_t)CSIGNAL) | a.exit_signal, sp, a.parent_tid, a.child_tid, a.tls);
}

// ---- exec ----
#define MAX_ARGS 65536

#define ARG_BYTES (128 * 1024) // argument and environment strings together (E2BIG)

// How many pointers the user's NULL-terminated array holds.
static long count_strings(uint64_t uvec) {
  uint64_t up;
  for (long n = 0;; n++) {
    if (n >= MAX_ARGS)
      return -E2BIG;
    if (!uvec)
      return 0; // Linux accepts a NULL argv or envp as empty
    if (copyin(&up, uvec + n * 8, 8) < 0)
      return -EFAULT;
    if (!up)
      return n;
  }
}

// A kernel copy of the user's string at up (short ones through a stack buffer).
static long copy_string(uint64_t up, char **out) {
  char buf[256];
  long len = copyinstr(buf, up, sizeof buf);
  if (len >= 0) {
    *out = kstrdup(buf);
  } else if (len == -ENAMETOOLONG) {
    char *big = kmalloc(ARG_BYTES);
    len = big ? copyinstr(big, up, ARG_BYTES) : -ENOMEM;
    *out = len >= 0 ? kstrdup(big) : NULL;
    kfree(big);
    if (len == -ENAMETOOLONG)
      len = -E2BIG;
  }
  return len >= 0 && !*out ? -ENOMEM : len;
}

// Copy a NULL-terminated user array of strings into a kernel array of kernel strings.
// *total counts string bytes against ARG_BYTES.
static long copy_strings(uint64_t uvec, char ***out, size_t *total) {
  long n = count_strings(uvec);
  if (n < 0)
    return n;
  char **vec = kmalloc((n + 1) * sizeof(char *));
  if (!vec)
    return -ENOMEM;
  for (long i = 0; i < n; i++) {
    uint64_t up;
    char *s = NULL;
    long len = copyin(&up, uvec + i * 8, 8) < 0 ? -EFAULT : copy_string(up, &s);
    *total += len + 1;
    if (len >= 0 && *total > ARG_BYTES)
      kfree(s), len = -E2BIG;
    if (len < 0) {
      while (i--)
        kfree(vec[i]);
      kfree(vec);
      return len;
    }
    vec[i] = s;
  }
  vec[n] = NULL;
  *out = vec;
  return n;
}

static void free_strings(char **v) {
  if (!v)
    return;
  for (char **s = v; *s; s++)
    kfree(*s);
  kfree(v);
}

long sys_execve(struct trapframe *tf) {
  char path[256], **argv = NULL, **envp = NULL;
  size_t total = 0;
  long r = copyinstr(path, ARG0, sizeof path);
  if (r == 0)
    r = -ENOENT;
  if (r >= 0)
    r = copy_strings(ARG1, &argv, &total);
  if (r == 0) { // an empty argv gets {""}, as Linux 5.18 does for programs that assume argc >= 1
    kfree(argv);
    argv = kmalloc(2 * sizeof(char *));
    r = argv && (argv[0] = kstrdup("")) ? 1 : -ENOMEM;
    if (argv)
      argv[1] = NULL;
    total += 1;
  }
  if (r >= 0)
    r = copy_strings(ARG2, &envp, &total);
  if (r >= 0)
    r = execve_path(path, argv, envp);
  free_strings(argv);
  free_strings(envp);
  return r;
}

// ---- exit and wait ----
long sys_exit(struct trapframe *tf) { thread_exit((ARG0 & 0xff) << 8); }
long sys_exit_group(struct trapframe *tf) { proc_exit((ARG0 & 0xff) << 8); }

long sys_wait4(struct trapframe *tf) {
  int status;
  long pid = proc_wait(ARG0, ARG2, &status);
  if (pid <= 0)
    return pid;
  // As Linux: the child is reaped even if the status cannot be stored.
  if (ARG1 && copyout(ARG1, &status, sizeof status) < 0)
    return -EFAULT;
  if (ARG3) {
    uint8_t ru[144] = {0};
    if (copyout(ARG3, ru, sizeof ru) < 0)
      return -EFAULT;
  }
  return pid;
}

// ---- ptrace ----
long sys_ptrace(struct trapframe *tf) { return ptrace_request(ARG0, ARG1, ARG2, ARG3); }
long sys_process_vm_readv(struct trapframe *tf) {
  return ptrace_vm_rw(ARG0, ARG1, ARG2, ARG3, ARG4, ARG5, false);
}
long sys_process_vm_writev(struct trapframe *tf) {
  return ptrace_vm_rw(ARG0, ARG1, ARG2, ARG3, ARG4, ARG5, true);
}

// waitid(idtype, id, infop, options, rusage): the siginfo Linux fills (zeroes when
// WNOHANG found nothing); Vitrine keeps no resource usage, so rusage reads all zero.
long sys_waitid(struct trapframe *tf) {
  struct waitres res;
  long r = proc_waitid(ARG0, ARG1, ARG3, &res);
  if (r < 0)
    return r;
  if (r > 0 && ARG4) {
    uint8_t ru[144] = {0};
    if (copyout(ARG4, ru, sizeof ru) < 0)
      return -EFAULT;
  }
  if (!ARG2)
    return 0;
  struct linux_siginfo info = {0};
  if (r > 0) {
    info.signo = SIGCHLD;
    info.code = res.code;
    info.c.pid = res.pid, info.c.uid = res.uid, info.c.status = res.si_status;
  }
  return copyout(ARG2, &info, sizeof info);
}
