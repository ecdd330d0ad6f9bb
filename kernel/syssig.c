// Signal system calls, process groups and sessions.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "regs.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"
#include <vitrine/siginfo.h>

long sys_rt_sigaction(struct trapframe *tf) {
  int sig = ARG0;
  if (sig < 1 || sig > NSIG || ARG3 != 8)
    return -EINVAL;
  struct proc *p = myproc();
  struct sigaction_k sa, old = p->sighand->act[sig - 1];
  if (ARG1) {
    if (sig == SIGKILL || sig == SIGSTOP)
      return -EINVAL;
    if (copyin(&sa, ARG1, sizeof sa) < 0)
      return -EFAULT;
  }
  if (ARG2 && copyout(ARG2, &old, sizeof old) < 0)
    return -EFAULT;
  if (ARG1 && sighand_own(p) < 0)
    return -ENOMEM;
  if (ARG1) {
    sa.mask &= ~UNBLOCKABLE;
    p->sighand->act[sig - 1] = sa;
    // POSIX: setting a pending signal to be ignored discards it.
    if (sa.handler == SIG_IGN || (sa.handler == SIG_DFL && (sig == SIGCHLD || sig == 23 || sig == 28)))
      for_each_thread(t, p)
        signal_discard(t, sig);
  }
  return 0;
}

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

long sys_rt_sigprocmask(struct trapframe *tf) {
  struct proc *p = myproc();
  uint64_t set, old = p->blocked;
  if (ARG3 != 8)
    return -EINVAL;
  if (ARG1) {
    if (ARG0 > SIG_SETMASK)
      return -EINVAL;
    if (copyin(&set, ARG1, 8) < 0)
      return -EFAULT;
  }
  if (ARG2 && copyout(ARG2, &old, 8) < 0)
    return -EFAULT;
  if (ARG1) {
    if (ARG0 == SIG_BLOCK)
      p->blocked |= set;
    else if (ARG0 == SIG_UNBLOCK)
      p->blocked &= ~set;
    else
      p->blocked = set;
    p->blocked &= ~UNBLOCKABLE;
  }
  return 0;
}

long sys_rt_sigpending(struct trapframe *tf) {
  if (ARG1 != 8)
    return -EINVAL;
  struct proc *p = myproc();
  uint64_t set = p->pending & p->blocked;
  return copyout(ARG0, &set, 8);
}

// Wait for a signal with a temporary mask; signal_deliver restores the old one.
long sys_rt_sigsuspend(struct trapframe *tf) {
  struct proc *p = myproc();
  uint64_t mask;
  if (ARG1 != 8)
    return -EINVAL;
  if (copyin(&mask, ARG0, 8) < 0)
    return -EFAULT;
  p->saved_mask = p->blocked;
  p->restore_mask = true;
  p->blocked = mask & ~UNBLOCKABLE;
  while (sleep_on(&p->pending) == 0)
    ;
  return -ERESTARTSYS; // EINTR once a handler ran; else (a stop, a tracer) it waits on
}

long sys_pause(struct trapframe *tf) {
  (void)tf;
  while (sleep_on(&myproc()->pending) == 0)
    ;
  return -ERESTARTSYS; // EINTR once a handler ran; else (a stop, a tracer) it waits on
}

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

long sys_sigaltstack(struct trapframe *tf) {
  struct proc *p = myproc();
  struct { uint64_t sp; int32_t flags, pad; uint64_t size; } ss, old = {
      p->altstack_sp, p->altstack_size && tf->rsp - p->altstack_sp < p->altstack_size ? SS_ONSTACK
                      : p->altstack_size ? 0 : SS_DISABLE, 0, p->altstack_size};
  if (ARG0 && copyin(&ss, ARG0, sizeof ss) < 0)
    return -EFAULT;
  if (ARG0) {
    if (old.flags == SS_ONSTACK)
      return -EPERM;
    if (ss.flags & ~SS_DISABLE)
      return -EINVAL;
    if (!(ss.flags & SS_DISABLE) && ss.size < MINSIGSTKSZ)
      return -ENOMEM;
  }
  if (ARG1 && copyout(ARG1, &old, sizeof old) < 0)
    return -EFAULT;
  if (ARG0) {
    bool off = ss.flags & SS_DISABLE;
    p->altstack_sp = off ? 0 : ss.sp;
    p->altstack_size = off ? 0 : ss.size;
  }
  return 0;
}

// May the current process send a signal to t? (Linux: root, or a real or effective
// uid of the sender equal to the real or saved uid of the target.)
static bool may_signal(const struct proc *me, const struct proc *t, int sig) {
  if (sig == SIGCONT && me->sid == t->sid)
    return true; // job control works across users within a session
  return me->euid == 0 || me->ruid == t->ruid || me->ruid == t->suid || me->euid == t->ruid ||
         me->euid == t->suid;
}

// code SI_TKILL: to thread t alone; SI_USER: to t's process.
static int send_to(struct proc *t, int sig, int code) {
  struct proc *me = myproc();
  if (!may_signal(me, t, sig))
    return -EPERM;
  struct siginfo_k info = {.signo = sig, .code = code, .pid = me->tgid, .uid = me->ruid};
  if (sig && code == SI_TKILL)
    signal_send_thread(t, &info);
  else if (sig)
    signal_send(t, &info);
  return 0;
}

long sys_kill(struct trapframe *tf) {
  int pid = ARG0, sig = ARG1;
  if (sig < 0 || sig > NSIG)
    return -EINVAL;
  struct proc *me = myproc();
  if (pid > 0) { // a zombie still exists: the signal is checked, and has no effect
    struct proc *t = proc_find(pid);
    return t ? send_to(t, sig, SI_USER) : -ESRCH;
  }
  int pgid = pid == 0 ? me->pgid : -pid, found = 0, err = -EPERM, ok = 0;
  for (int i = 0; i < NPROC; i++) {
    struct proc *t = proctab[i];
    if (!t || t->state == P_ZOMBIE || t->state == P_DEAD || t->leader != t)
      continue; // (a process is its leader; one that has exited but has threads is a zombie)
    if (pid == -1 ? (t == initproc || t == me->leader) : t->pgid != pgid)
      continue;
    found++;
    if (send_to(t, sig, SI_USER) == 0)
      ok++;
  }
  return !found ? -ESRCH : ok ? 0 : err;
}

long sys_tkill(struct trapframe *tf) {
  int tid = ARG0, sig = ARG1;
  if (sig < 0 || sig > NSIG || tid <= 0)
    return -EINVAL;
  struct proc *t = proc_find(tid);
  return t && t->state != P_ZOMBIE ? send_to(t, sig, SI_TKILL) : -ESRCH;
}

long sys_tgkill(struct trapframe *tf) {
  int tgid = ARG0, tid = ARG1, sig = ARG2;
  if (sig < 0 || sig > NSIG || tid <= 0 || tgid <= 0)
    return -EINVAL;
  struct proc *t = proc_find(tid);
  if (!t || t->state == P_ZOMBIE || t->tgid != tgid)
    return -ESRCH;
  return send_to(t, sig, SI_TKILL);
}

// ---- process groups and sessions ----
static bool pgrp_in_session(int pgid, int sid) {
  for (int i = 0; i < NPROC; i++)
    if (proctab[i] && proctab[i]->pgid == pgid && proctab[i]->sid == sid)
      return true;
  return false;
}

long sys_setpgid(struct trapframe *tf) {
  struct proc *me = myproc(), *t = ARG0 ? proc_find(ARG0) : me;
  int pgid = ARG1;
  if (pgid < 0)
    return -EINVAL;
  if (t)
    t = t->leader; // (the process: a thread's id names its process here, as on Linux)
  if (!t || (t != me->leader && t->parent != me->leader))
    return -ESRCH;
  if (t->sid != me->sid || t->tgid == t->sid)
    return -EPERM; // another session's process, or a session leader
  if (t != me->leader && t->did_exec)
    return -EACCES; // a child that has exec'd is its own program now
  if (pgid == 0)
    pgid = t->tgid;
  if (pgid != t->tgid && !pgrp_in_session(pgid, me->sid))
    return -EPERM;
  proc_set_pgrp(t, pgid, t->sid);
  return 0;
}

long sys_getpgid(struct trapframe *tf) {
  struct proc *t = ARG0 ? proc_find(ARG0) : myproc();
  return t ? t->pgid : -ESRCH;
}

long sys_getpgrp(struct trapframe *tf) { (void)tf; return myproc()->pgid; }

long sys_setsid(struct trapframe *tf) {
  (void)tf;
  struct proc *me = myproc();
  for (int i = 0; i < NPROC; i++)
    if (proctab[i] && proctab[i]->pgid == me->tgid)
      return -EPERM; // already a group leader (or the id is in use as a group)
  proc_set_pgrp(me, me->tgid, me->tgid);
  return me->sid;
}

long sys_getsid(struct trapframe *tf) {
  struct proc *t = ARG0 ? proc_find(ARG0) : myproc();
  return t ? t->sid : -ESRCH;
}

long sys_rt_sigreturn(struct trapframe *tf) { return signal_return(tf); }

// Wait until the deadline (ticks, 0: none); an interrupted wait goes on to the same
// deadline (restart_block).
static long sigtimedwait_until(uint64_t set, uint64_t deadline, uint64_t uinfo);

static long sigtimedwait_restart(const struct restart_block *rb) {
  return sigtimedwait_until(rb->arg[0], rb->arg[1], rb->arg[2]);
}

static long sigtimedwait_until(uint64_t set, uint64_t deadline, uint64_t uinfo) {
  struct linux_siginfo info;
  int sig = signal_wait(set, deadline, &info);
  if (sig == -ERESTARTSYS && deadline)
    return restart_later(sigtimedwait_restart, set, deadline, uinfo, 0);
  if (sig > 0 && uinfo && copyout(uinfo, &info, sizeof info) < 0)
    return -EFAULT;
  return sig;
}

long sys_restart_syscall(struct trapframe *tf) {
  (void)tf;
  return restart_now();
}

long sys_rt_sigtimedwait(struct trapframe *tf) {
  uint64_t set;
  struct timespec_k ts;
  if (ARG3 != 8)
    return -EINVAL;
  if (copyin(&set, ARG0, 8) < 0 || (ARG2 && copyin(&ts, ARG2, sizeof ts) < 0))
    return -EFAULT;
  if (ARG2 && (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000))
    return -EINVAL;
  // +1: the current tick is partly over, and the wait must not be shorter than asked.
  uint64_t deadline = ARG2 ? ticks + ts.tv_sec * HZ + (ts.tv_nsec * HZ + 999999999) / 1000000000 + 1 : 0;
  return sigtimedwait_until(set & ~UNBLOCKABLE, deadline, ARG1);
}

// ---- signals with the sender's own siginfo ----
// rt_sigqueueinfo and rt_tgsigqueueinfo deliver the caller's siginfo (si_code, si_pid,
// si_uid, si_value as given; si_signo is sig). Only to itself may a process claim a
// kernel or kill() origin (si_code >= 0, or SI_TKILL): EPERM otherwise, before any
// other check but the copy, as Linux.
static long queue_info(int pid, int tid, int sig, uint64_t uinfo) {
  struct linux_siginfo u;
  struct proc *me = myproc();
  if (copyin(&u, uinfo, sizeof u) < 0)
    return -EFAULT;
  if ((u.code >= 0 || u.code == SI_TKILL) && (tid ? tid : pid) != me->pid) // (the thread's id)
    return -EPERM;
  struct proc *t = pid > 0 ? proc_find(tid ? tid : pid) : NULL;
  if (!t || (tid && (t->tgid != pid || t->state == P_ZOMBIE))) // tgsigqueueinfo: that thread
    return -ESRCH;
  if (sig < 0 || sig > NSIG)
    return -EINVAL;
  if (!may_signal(me, t, sig))
    return -EPERM;
  struct siginfo_k info = {.signo = sig, .code = u.code, .pid = u.c.pid, .uid = u.c.uid,
                           .status = (int)u.c.value, .timerid = u.c.pid, .overrun = u.c.uid,
                           .value = u.c.value};
  if (sig && tid)
    return signal_send_thread(t, &info);
  return sig ? signal_send(t, &info) : 0;
}

long sys_rt_sigqueueinfo(struct trapframe *tf) { return queue_info(ARG0, 0, ARG1, ARG2); }

long sys_rt_tgsigqueueinfo(struct trapframe *tf) {
  if ((int)ARG0 <= 0 || (int)ARG1 <= 0)
    return -EINVAL;
  return queue_info(ARG0, ARG1, ARG2, ARG3);
}
