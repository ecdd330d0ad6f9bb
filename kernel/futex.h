// Futexes (futex.c): threads waiting on a 32-bit word of memory, woken by others; PI
// futexes (locks whose word names the owner); the robust list walked when a thread dies.
#pragma once
#include "types.h"

struct proc;

#include <vitrine/futex.h>

// uaddr is in the current address space, 4-aligned and below USER_TOP (sys_futex checks).
// shared: the op lacks FUTEX_PRIVATE_FLAG, so a word of shared memory is matched in
// every process that maps it (futex.c says how). deadline: monotonic ns, 0 for none.
// Each returns what the futex(2) call returns, as a negative errno on failure.
long futex_wait(uint64_t uaddr, bool shared, uint32_t val, uint32_t bitset, uint64_t deadline);
long futex_wake(uint64_t uaddr, bool shared, int n, uint32_t bitset);
long futex_requeue(uint64_t uaddr, uint64_t uaddr2, bool shared, int nwake, int nmove, bool cmp,
                   uint32_t val3);
long futex_wake_op(uint64_t uaddr, uint64_t uaddr2, bool shared, int nwake, int nwake2,
                   uint32_t op);
long futex_lock_pi(uint64_t uaddr, bool shared, uint64_t deadline, bool trylock);
long futex_unlock_pi(uint64_t uaddr, bool shared);
void futex_exit(struct proc *p); // the dying thread's robust list, then its PI locks
