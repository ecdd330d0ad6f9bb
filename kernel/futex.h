// Futexes (futex.c): threads waiting on a 32-bit word of user memory, woken by others,
// and the robust-futex list walked when a thread dies.
#pragma once
#include "types.h"

struct vm;
struct proc;

#include <vitrine/futex.h>

// Waits and wakes are keyed by (address space, address): a word in memory shared
// between processes (MAP_SHARED) is not matched across them (docs/threads.md).
// deadline: monotonic ns, 0 for none. Returns 0 (woken), -EAGAIN (*uaddr != val),
// -ETIMEDOUT, -ERESTARTSYS (a signal), -EFAULT.
long futex_wait(uint64_t uaddr, uint32_t val, uint32_t bitset, uint64_t deadline);
long futex_wake(struct vm *vm, uint64_t uaddr, int n, uint32_t bitset);
long futex_requeue(uint64_t uaddr, uint64_t uaddr2, int nwake, int nmove, bool cmp, uint32_t val3);
long futex_wake_op(uint64_t uaddr, uint64_t uaddr2, int nwake, int nwake2, uint32_t op);
void futex_exit_robust(struct proc *p); // the dying thread's robust list
