// System V IPC calls: unpack the arguments and call down into ipc.c.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "file.h"
#include "ipc.h"
#include "regs.h"
#include "syscall.h"
#include "vm.h"

long sys_shmget(struct trapframe *tf) { return ipc_shmget(ARG0, ARG1, ARG2); }
long sys_shmat(struct trapframe *tf) { return ipc_shmat(ARG0, ARG1, ARG2); }
long sys_shmdt(struct trapframe *tf) { return ipc_shmdt(ARG0); }
long sys_shmctl(struct trapframe *tf) { return ipc_shmctl(ARG0, ARG1, ARG2); }
long sys_semget(struct trapframe *tf) { return ipc_semget(ARG0, ARG1, ARG2); }
long sys_semop(struct trapframe *tf) { return ipc_semop(ARG0, ARG1, ARG2, 0); }
long sys_semctl(struct trapframe *tf) { return ipc_semctl(ARG0, ARG1, ARG2, ARG3); }
long sys_msgget(struct trapframe *tf) { return ipc_msgget(ARG0, ARG1); }
long sys_msgsnd(struct trapframe *tf) { return ipc_msgsnd(ARG0, ARG1, ARG2, ARG3); }
long sys_msgrcv(struct trapframe *tf) { return ipc_msgrcv(ARG0, ARG1, ARG2, ARG3, ARG4); }
long sys_msgctl(struct trapframe *tf) { return ipc_msgctl(ARG0, ARG1, ARG2); }

// semtimedop's timeout (a relative timespec) as a deadline in ticks: 0 none, -1 now.
long sys_semtimedop(struct trapframe *tf) {
  int64_t deadline = 0;
  if (ARG3) {
    struct timespec_k ts;
    if (copyin(&ts, ARG3, sizeof ts) < 0)
      return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
      return -EINVAL;
    int64_t t = ts.tv_sec > 1000000000 ? 1000000000 : ts.tv_sec;
    deadline = ts.tv_sec == 0 && ts.tv_nsec == 0
                   ? -1
                   : (int64_t)ticks + t * HZ + (ts.tv_nsec * HZ + 999999999) / 1000000000 + 1;
  }
  return ipc_semop(ARG0, ARG1, ARG2, deadline);
}
