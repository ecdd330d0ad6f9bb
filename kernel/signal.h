// Signals: Linux's numbers and the kernel's record of a pending one.
#pragma once
#include "types.h"

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define NSIG 64
#define SIGRTMIN 32

#define SI_USER 0
#define SI_KERNEL 0x80
// SIGTRAP's si_code: why the debug trap (Linux's get_si_code from DR6; int3 is SI_KERNEL).
#define TRAP_BRKPT 1
#define TRAP_TRACE 2
#define TRAP_HWBKPT 4
#define SEGV_MAPERR 1
#define BUS_ADRERR 2 // si_code of SIGBUS: no such address (a mapped file's page past its end)
#define SEGV_ACCERR 2

#define SI_QUEUE -1
#define SI_TIMER -2
#define SI_TKILL -6
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_TRAPPED 4
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

#define SIG_DFL 0
#define SIG_IGN 1
#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO 0x00000004
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SIGBIT(sig) (1ull << ((sig) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

struct proc;
struct siginfo_k {
  int signo, code;
  uint64_t addr;      // faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP)
  int pid;            // sender (SI_USER, SI_TKILL) or child (SIGCHLD)
  uint32_t uid;
  int status;         // SIGCHLD: exit code or signal
  int timerid, overrun; // SI_TIMER: the POSIX timer and its overrun (timer.c)
  uint64_t value;     // SI_TIMER, SI_QUEUE and other senders' si_value
};

// How an interrupted timed call goes on (Linux's restart_block): the call filled this in
// and returned -ERESTART_RESTARTBLOCK; if no handler runs, the kernel makes the restart
// restart_syscall(2), which calls fn to wait on until the same deadline. A call that
// restarted from the beginning would start its timeout again: a tracer interrupting a
// sleep every so often could postpone it for ever.
struct restart_block {
  long (*fn)(const struct restart_block *rb);
  uint64_t arg[4];
};

// The kernel's struct sigaction (rt_sigaction's layout).
struct sigaction_k {
  uint64_t handler, flags, restorer, mask;
};

void signal_force(struct proc *p, const struct siginfo_k *info);
// 0, or -EAGAIN: a real-time signal from sigqueue (si_code < 0) over RLIMIT_SIGPENDING
int signal_send(struct proc *p, const struct siginfo_k *info);        // to p's process
int signal_send_thread(struct proc *p, const struct siginfo_k *info); // to p alone
void signal_discard(struct proc *p, int sig); // drop pending sig (0: every real-time one)
// The i-th pending instance of sig for thread p (0: the next to be delivered), or NULL.
struct siginfo_k *signal_pending_info(struct proc *p, int sig, int i);
void signal_deliver(void);
void signal_exec_reset(struct proc *p);
void signal_notify_parent(struct proc *p, int code, int status);
struct trapframe;
struct linux_siginfo;
long signal_return(struct trapframe *tf);  // rt_sigreturn
void signal_fill_info(struct linux_siginfo *u, const struct siginfo_k *k);
void signal_info_from(struct siginfo_k *k, const struct linux_siginfo *u);
int signal_wait(uint64_t set, uint64_t deadline, struct linux_siginfo *info);
// Record how the current call goes on (struct restart_block); returns
// -ERESTART_RESTARTBLOCK, for the call to return.
long restart_later(long (*fn)(const struct restart_block *), uint64_t a0, uint64_t a1,
                   uint64_t a2, uint64_t a3);
long restart_now(void); // restart_syscall(2)
