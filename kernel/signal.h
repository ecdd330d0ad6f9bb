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

#define SI_USER 0
#define SI_KERNEL 0x80
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2

struct proc;
struct siginfo_k {
  int signo, code;
  uint64_t addr;      // faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP)
  int pid;            // sender (SI_USER)
  uint32_t uid;
};

void signal_force(struct proc *p, const struct siginfo_k *info);
void signal_send(struct proc *p, const struct siginfo_k *info);
void signal_deliver(void);
