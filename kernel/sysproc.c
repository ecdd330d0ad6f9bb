// Process system calls: identity, fork/clone, exec, exit, wait, signals (first stage).
#include "syscall.h"
#include "file.h"
#include "signal.h"
#include "trace.h"

long sys_getpid(struct trapframe *tf) { (void)tf; return myproc()->pid; }
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

// ---- fork and clone ----
#define CSIGNAL 0x000000ff
#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000
// Threads (CLONE_THREAD) and shared descriptor or signal tables are not supported.
// CLONE_VM gives a process that shares the parent's address space (counted references
// in struct vm); with CLONE_VFORK the parent waits until the child execs or exits.
#define CLONE_SUPPORTED (CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | \
                         CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID)

// A copy of p. share_vm: the child borrows p's address space (vfork) instead of a copy.
static struct proc *fork_proc(struct proc *p, bool share_vm) {
  if (p->ruid != 0 && user_proc_count(p->ruid) >= MAX_USER_PROCS)
    return NULL;
  struct proc *c = proc_alloc();
  if (!c)
    return NULL;
  if (share_vm)
    p->vm->refs++;
  c->vm = share_vm ? p->vm : vm_clone(p->vm);
  c->cwd = kstrdup(p->cwd);
  c->exe = kstrdup(p->exe ? p->exe : "");
  if (!c->vm || !c->cwd || !c->exe) {
    proc_free(c);
    return NULL;
  }
  *c->tf = *p->tf;
  c->tf->rax = 0;
  if (trace_stepping(&p->tracee)) // the parent is being single-stepped: that TF is not the child's
    c->tf->rflags &= ~FL_TF;
  if (cpu.fpu_owner == p) // the child starts with the parent's live FPU registers
    __asm__ volatile("fxsave64 %0" : "=m"(p->fpu));
  memcpy(c->fpu, p->fpu, sizeof c->fpu);
  fd_clone(c, p);
  memcpy(c->name, p->name, sizeof c->name);
  c->parent = p;
  c->ruid = p->ruid, c->euid = p->euid, c->suid = p->suid;
  c->rgid = p->rgid, c->egid = p->egid, c->sgid = p->sgid;
  c->umask = p->umask;
  memcpy(c->groups, p->groups, sizeof c->groups);
  c->ngroups = p->ngroups;
  memcpy(c->sigact, p->sigact, sizeof c->sigact);
  c->blocked = p->blocked;
  c->altstack_sp = p->altstack_sp, c->altstack_size = p->altstack_size;
  c->pgid = p->pgid, c->sid = p->sid;
  c->dumpable = p->dumpable;
  c->arg_start = p->arg_start, c->arg_end = p->arg_end;
  return c;
}

static long do_clone(uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t ctid) {
  if (flags & ~CLONE_SUPPORTED)
    return -EINVAL;
  struct proc *p = myproc(), *c = fork_proc(p, flags & CLONE_VM);
  if (!c)
    return -EAGAIN;
  if (newsp)
    c->tf->rsp = newsp;
  uint32_t pid = c->pid;
  if (flags & CLONE_CHILD_SETTID)
    vm_copy(c->vm, ctid, &pid, sizeof pid, true, false);
  if (flags & CLONE_PARENT_SETTID)
    copyout(ptid, &pid, sizeof pid);
  if (flags & CLONE_CHILD_CLEARTID)
    c->clear_child_tid = ctid;
  c->vfork_pending = flags & CLONE_VFORK;
  c->state = trace_clone(c) ? P_TRACED : P_RUNNABLE;
  // The child runs on our memory: we may not run again until it has its own (exec)
  // or is gone. Only SIGKILL ends the wait, and then we die before user mode.
  while (c->vfork_pending && proc_find(pid) == c && c->state != P_ZOMBIE)
    if (sleep_nosig(c) < 0)
      break;
  return pid;
}

long sys_clone(struct trapframe *tf) { return do_clone(ARG0, ARG1, ARG2, ARG3); }
long sys_fork(struct trapframe *tf) { (void)tf; return do_clone(SIGCHLD, 0, 0, 0); }
long sys_vfork(struct trapframe *tf) {
  (void)tf;
  return do_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0);
}

// The vfork parent may run again once the child has its own program (or is gone).
void vfork_release(struct proc *p) {
  if (p->vfork_pending) {
    p->vfork_pending = false;
    wakeup(p);
  }
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
  if (r >= 0)
    r = copy_strings(ARG2, &envp, &total);
  if (r >= 0)
    r = execve_path(path, argv, envp);
  if (r == 0)
    vfork_release(myproc());
  free_strings(argv);
  free_strings(envp);
  return r;
}

// ---- exit and wait ----
long sys_exit(struct trapframe *tf) { proc_exit((ARG0 & 0xff) << 8); }
long sys_exit_group(struct trapframe *tf) { proc_exit((ARG0 & 0xff) << 8); }

#define WNOHANG 1
#define WUNTRACED 2
#define WCONTINUED 8
#define __WALL 0x40000000
#define __WCLONE 0x80000000

static bool wait_matches(const struct proc *c, int pid, int my_pgid) {
  return pid == -1 || (pid > 0 ? c->pid == pid : c->pgid == (pid == 0 ? my_pgid : -pid));
}

// What wait4 reports about child c now, if anything: 1 with *status, or 0.
static int wait_event(struct proc *c, int options, int *status, bool *reap) {
  *reap = false;
  if (c->state == P_ZOMBIE) {
    *status = c->exit_status;
    *reap = true;
    return 1;
  }
  if ((options & WUNTRACED) && c->state == P_STOPPED && c->stop_report) {
    *status = c->stop_sig << 8 | 0x7f;
    c->stop_report = false;
    return 1;
  }
  if ((options & WCONTINUED) && c->cont_report) {
    *status = 0xffff;
    c->cont_report = false;
    return 1;
  }
  return 0;
}

long sys_wait4(struct trapframe *tf) {
  int pid = ARG0, options = ARG2;
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE))
    return -EINVAL;
  struct proc *p = myproc();
  for (;;) {
    bool have = false;
    for (int i = 0; i < NPROC; i++) {
      struct proc *c = proctab[i];
      if (!c || c->parent != p || !wait_matches(c, pid, p->pgid))
        continue;
      have = true;
      int status, cpid = c->pid;
      bool reap;
      if (!wait_event(c, options, &status, &reap))
        continue;
      if (reap)
        proc_free(c); // as Linux: reaped even if the status cannot be stored
      if (ARG1 && copyout(ARG1, &status, sizeof status) < 0)
        return -EFAULT;
      if (ARG3) {
        uint8_t ru[144] = {0};
        if (copyout(ARG3, ru, sizeof ru) < 0)
          return -EFAULT;
      }
      return cpid;
    }
    if (!have)
      return -ECHILD;
    if (options & WNOHANG)
      return 0;
    int r = sleep_on(p);
    if (r < 0)
      return r;
  }
}
