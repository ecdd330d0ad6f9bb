// Linux's siginfo_t, as the kernel writes it into a signal frame (signal.c) and strace
// reads it from a tracee (user/strace.c): the fields Vitrine fills, then padding.
#pragma once
#include <stdint.h>

struct linux_siginfo {
  int32_t signo, err, code, pad;
  union {
    uint64_t addr; // SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP: the faulting address
    struct {        // kill() and friends, SIGCHLD, POSIX timers
      int32_t pid;  // (a timer's signal: si_timerid)
      uint32_t uid; // (a timer's signal: si_overrun)
      union {
        int32_t status; // SIGCHLD: the exit code or signal
        uint64_t value; // sigqueue and timers: si_value
      };
    } c;
  };
  uint8_t rest[128 - 32];
};
_Static_assert(sizeof(struct linux_siginfo) == 128, "Linux's siginfo_t");
