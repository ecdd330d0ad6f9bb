// Futexes: a thread sleeps while a word of its memory holds the value it expects, and
// another wakes it. The waiters are one list (few threads ever wait at once here).
//
// Locking: one CPU and a kernel that runs until it sleeps (proc.h). Reading the word and
// queueing the waiter happen with nothing in between, which is what makes FUTEX_WAIT
// atomic against a waker; on several CPUs the list needs a lock held across the two.
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "futex.h"
#include "kalloc.h"
#include "lib.h"
#include "proc.h"
#include "vm.h"

static struct proc *waiters; // threads in FUTEX_WAIT, linked through p->futex.next

static void unlink_waiter(struct proc *p) {
  for (struct proc **pp = &waiters; *pp; pp = &(*pp)->futex.next)
    if (*pp == p) {
      *pp = p->futex.next;
      return;
    }
}

long futex_wait(uint64_t uaddr, uint32_t val, uint32_t bitset, uint64_t deadline) {
  struct proc *p = myproc();
  uint32_t cur;
  if (copyin(&cur, uaddr, sizeof cur) < 0)
    return -EFAULT;
  if (cur != val)
    return -EAGAIN;
  p->futex.vm = p->vm, p->futex.uaddr = uaddr, p->futex.bitset = bitset;
  p->futex.woken = false;
  p->futex.next = waiters;
  waiters = p;
  long r = 0;
  while (!p->futex.woken) {
    uint64_t now, tick = 0;
    if (deadline) {
      if ((now = time_ns()) >= deadline) {
        r = -ETIMEDOUT;
        break;
      }
      // +1: the current tick is partly over, and the wait must not be shorter than asked.
      tick = ticks + (deadline - now + 1000000000 / HZ - 1) / (1000000000 / HZ) + 1;
    }
    if (sleep_until(&p->futex, tick) < 0 && !p->futex.woken) {
      r = -ERESTARTSYS;
      break;
    }
  }
  if (!p->futex.woken)
    unlink_waiter(p);
  return p->futex.woken ? 0 : r;
}

// Wake up to n waiters on (vm, uaddr) whose bitset meets bitset; how many woke.
long futex_wake(struct vm *vm, uint64_t uaddr, int n, uint32_t bitset) {
  long woke = 0;
  for (struct proc **pp = &waiters; *pp && woke < n;) {
    struct proc *w = *pp;
    if (w->futex.vm == vm && w->futex.uaddr == uaddr && (w->futex.bitset & bitset)) {
      *pp = w->futex.next;
      w->futex.woken = true;
      wakeup(&w->futex);
      woke++;
    } else
      pp = &w->futex.next;
  }
  return woke;
}

// FUTEX_REQUEUE, FUTEX_CMP_REQUEUE: wake nwake waiters on uaddr and move up to nmove of
// the others to uaddr2. Returns how many were woken plus moved (Linux's count).
long futex_requeue(uint64_t uaddr, uint64_t uaddr2, int nwake, int nmove, bool cmp, uint32_t val3) {
  struct vm *vm = myproc()->vm;
  if (cmp) {
    uint32_t cur;
    if (copyin(&cur, uaddr, sizeof cur) < 0)
      return -EFAULT;
    if (cur != val3)
      return -EAGAIN;
  }
  long woke = futex_wake(vm, uaddr, nwake, FUTEX_BITSET_ANY), moved = 0;
  for (struct proc *w = waiters; w && moved < nmove; w = w->futex.next)
    if (w->futex.vm == vm && w->futex.uaddr == uaddr) {
      w->futex.uaddr = uaddr2;
      moved++;
    }
  return woke + moved;
}

static int sext12(uint32_t x) { return (int)(x << 20) >> 20; }

// FUTEX_WAKE_OP: *uaddr2 = old OP oparg; wake nwake on uaddr; and if old CMP cmparg,
// nwake2 on uaddr2. Returns the number woken, -ENOSYS for an unknown op or comparison.
long futex_wake_op(uint64_t uaddr, uint64_t uaddr2, int nwake, int nwake2, uint32_t enc) {
  int op = enc >> 28 & 7, cmp = enc >> 24 & 15, oparg = sext12(enc >> 12), cmparg = sext12(enc);
  if (enc >> 28 & 8) // FUTEX_OP_OPARG_SHIFT
    oparg = 1u << (oparg & 31);
  if (op > 4 || cmp > 5)
    return -ENOSYS;
  uint32_t old, nv;
  if (copyin(&old, uaddr2, sizeof old) < 0)
    return -EFAULT;
  switch (op) {
  case 0: nv = oparg; break;           // SET
  case 1: nv = old + oparg; break;     // ADD
  case 2: nv = old | oparg; break;     // OR
  case 3: nv = old & ~oparg; break;    // ANDN
  default: nv = old ^ oparg; break;    // XOR
  }
  if (copyout(uaddr2, &nv, sizeof nv) < 0)
    return -EFAULT;
  struct vm *vm = myproc()->vm;
  long woke = futex_wake(vm, uaddr, nwake, FUTEX_BITSET_ANY);
  int o = (int)old;
  bool c = cmp == 0 ? o == cmparg : cmp == 1 ? o != cmparg : cmp == 2 ? o < cmparg :
           cmp == 3 ? o <= cmparg : cmp == 4 ? o > cmparg : o >= cmparg;
  if (c)
    woke += futex_wake(vm, uaddr2, nwake2, FUTEX_BITSET_ANY);
  return woke;
}

// ---- robust futexes: locks a dying thread holds are marked FUTEX_OWNER_DIED ----
#define ROBUST_LIST_LIMIT 2048 // a cycle in the user's list must not hang the kernel

// The lock word at entry + offset: if p holds it, mark it and wake a waiter.
static void robust_release(struct proc *p, uint64_t entry, int64_t offset) {
  uint64_t uaddr = (entry & ~1ull) + offset;
  uint32_t v;
  if ((uaddr & 3) || copyin(&v, uaddr, sizeof v) < 0 || (v & FUTEX_TID_MASK) != (uint32_t)p->pid)
    return;
  uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
  if (copyout(uaddr, &nv, sizeof nv) == 0 && (v & FUTEX_WAITERS))
    futex_wake(p->vm, uaddr, 1, FUTEX_BITSET_ANY);
}

// struct robust_list_head { next, futex_offset, list_op_pending }: walked before p's
// memory goes, with p's address space still the current one.
void futex_exit_robust(struct proc *p) {
  uint64_t head[3];
  if (!p->robust_list || copyin(head, p->robust_list, sizeof head) < 0)
    return;
  uint64_t entry = head[0], pending = head[2];
  for (int n = 0; entry != p->robust_list && n < ROBUST_LIST_LIMIT; n++) {
    uint64_t next;
    if (copyin(&next, entry & ~1ull, sizeof next) < 0)
      break;
    if (entry != pending)
      robust_release(p, entry, (int64_t)head[1]);
    entry = next;
  }
  if (pending)
    robust_release(p, pending, (int64_t)head[1]);
}
