// Futexes: a thread sleeps while a word of memory holds the value it expects, and
// another wakes it; PI futexes, locks whose word names the owner; and the robust list
// walked when a thread dies (docs/threads.md).
//
// A futex is named by a key. A word a process alone sees (a FUTEX_PRIVATE_FLAG op, or
// any word of a private mapping) is (its address space, its address); a word of shared
// memory (MAP_SHARED, a SysV segment, a shared file mapping), which processes map at
// addresses of their own, is (the shared space, its physical address): every mapping
// of it has the same frame. A waiter on a shared key holds a share of that frame, so
// the frame outlives an munmap while someone waits on it.
//
// Waiters are in a small hash table of FIFO lists: a wake finds its waiters in one
// short list, and takes them in the order they came.
//
// Locking: one CPU and a kernel that runs until it sleeps (proc.h). Reading the word and
// queueing the waiter happen with nothing in between, which is what makes FUTEX_WAIT
// atomic against a waker, and a PI lock's word and its queue change together; on
// several CPUs each bucket needs a lock held across the two (Linux's bucket lock).
#include "types.h"
#include "cpu.h"
#include "errno.h"
#include "futex.h"
#include "kalloc.h"
#include "lib.h"
#include "proc.h"
#include "vm.h"

#define NBUCKETS 64 // a power of two (the hash keeps its top bits)
// The wait and wake paths are a ping-pong's whole cost besides the system call and the
// switch (make bench's futex row): their helpers are inlined.
#define HOT static inline __attribute__((always_inline))

struct fkey {
  const void *space;
  uint64_t addr;
};
struct bucket {
  struct proc *head, *tail; // linked through p->futex.next
};
static struct bucket buckets[NBUCKETS];
static const char shared_space; // the space of keys of shared memory (addr: physical)
static int pi_waiting;          // threads in FUTEX_LOCK_PI (thread exit looks only if any)

HOT struct bucket *bucket_of(const struct fkey *k) {
  uint64_t h = (k->addr >> 2 ^ (uint64_t)k->space >> 4) * 0x9e3779b97f4a7c15ull;
  return &buckets[h >> (64 - 6)];
}

HOT bool key_is(const struct proc *w, const struct fkey *k) {
  return w->futex.addr == k->addr && w->futex.space == k->space;
}

// The key of the word at uaddr in the current address space and, if word is not NULL,
// its kernel address (the page made present, and writable if write). A private op's key
// is its address alone, so a private wake touches no memory (as Linux: no EFAULT).
HOT int lookup(uint64_t uaddr, bool shared, bool write, struct fkey *key, uint32_t **word) {
  struct vm *vm = myproc()->vm;
  key->space = vm, key->addr = uaddr;
  if (!shared && !word)
    return 0;
  uint32_t *w = vm_user_word(vm, uaddr, write);
  if (!w)
    return -EFAULT;
  if (shared) {
    const struct vma *a = vm_area_at(vm, uaddr);
    if (a && a->kind == VMA_SHARED)
      key->space = &shared_space, key->addr = V2P(w);
  }
  if (word)
    *word = w;
  return 0;
}

// The waiter's share of a shared key's frame (see above).
static void key_hold(const struct fkey *k) {
  if (k->space == &shared_space)
    page_share(P2V(ALIGN_DOWN(k->addr, PAGE_SIZE)));
}
static void key_drop(const struct proc *w) {
  if (w->futex.space == &shared_space)
    page_release(P2V(ALIGN_DOWN(w->futex.addr, PAGE_SIZE)));
}

HOT void enqueue(struct proc *p, const struct fkey *k) {
  struct bucket *b = bucket_of(k);
  key_hold(k);
  p->futex.space = k->space, p->futex.addr = k->addr;
  p->futex.woken = false;
  p->futex.next = NULL;
  if (b->tail)
    b->tail->futex.next = p;
  else
    b->head = p;
  b->tail = p;
}

// Take w off its bucket's list (prev: the waiter before it there, or NULL).
HOT void unlink_after(struct bucket *b, struct proc *prev, struct proc *w) {
  if (prev)
    prev->futex.next = w->futex.next;
  else
    b->head = w->futex.next;
  if (b->tail == w)
    b->tail = prev;
  w->futex.next = NULL;
  key_drop(w);
  if (w->futex.pi)
    pi_waiting--;
}

static void dequeue(struct proc *w) {
  struct fkey k = {w->futex.space, w->futex.addr};
  struct bucket *b = bucket_of(&k);
  for (struct proc *prev = NULL, *x = b->head; x; prev = x, x = x->futex.next)
    if (x == w) {
      unlink_after(b, prev, w);
      return;
    }
}

// A dequeued waiter runs next: the waker usually sleeps soon after (a ping-pong, a
// lock handed over), and the hand-over spares the round robin (trace.c does the same).
HOT void wake_one(struct bucket *b, struct proc *prev, struct proc *w) {
  unlink_after(b, prev, w);
  w->futex.woken = true;
  proc_wake(w, 0);
  cpu.handoff = w;
}

// Sleep until woken, the deadline (monotonic ns, 0: none) or a signal: 0, -ETIMEDOUT or
// -ERESTARTSYS. The waiter is queued; it is off the list whatever the outcome.
HOT long sleep_queued(struct proc *p, uint64_t deadline) {
  long r = 0;
  while (!deadline && !p->futex.woken) // (the common case: no timer to keep)
    if (sleep_direct(&p->futex) < 0 && !p->futex.woken) {
      dequeue(p);
      return -ERESTARTSYS;
    }
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
  if (p->futex.woken)
    return 0;
  dequeue(p);
  return r;
}

long futex_wait(uint64_t uaddr, bool shared, uint32_t val, uint32_t bitset, uint64_t deadline) {
  struct proc *p = myproc();
  struct fkey key = {p->vm, uaddr};
  uint64_t cur = shared ? -1ull : user_load32(uaddr); // (in place: a private word's key is its address)
  if (cur >> 32) {
    uint32_t *word;
    long r = lookup(uaddr, shared, false, &key, &word);
    if (r < 0)
      return r;
    cur = *word;
  }
  if (cur != val)
    return -EAGAIN;
  p->futex.bitset = bitset;
  p->futex.pi = false;
  enqueue(p, &key);
  return sleep_queued(p, deadline);
}

// Wake up to n waiters on key whose bitset meets bitset: how many woke, or -EINVAL if
// the key is a PI lock's (its waiters are handed the lock, never just woken: Linux's).
HOT long wake_key(const struct fkey *k, int n, uint32_t bitset) {
  struct bucket *b = bucket_of(k);
  long woke = 0;
  for (struct proc *prev = NULL, *w = b->head, *next; w && woke < n; w = next) {
    next = w->futex.next;
    if (!key_is(w, k) || !(w->futex.bitset & bitset)) {
      prev = w;
      continue;
    }
    if (w->futex.pi)
      return -EINVAL;
    wake_one(b, prev, w);
    woke++;
  }
  return woke;
}

// (n = 0 wakes one, as on Linux.)
long futex_wake(uint64_t uaddr, bool shared, int n, uint32_t bitset) {
  struct fkey key = {myproc()->vm, uaddr};
  if (shared && lookup(uaddr, shared, false, &key, NULL) < 0)
    return -EFAULT;
  return wake_key(&key, n < 1 ? 1 : n, bitset);
}

// FUTEX_REQUEUE, FUTEX_CMP_REQUEUE: wake nwake waiters on uaddr and move up to nmove of
// the others to uaddr2. Returns how many were woken plus moved (Linux's count).
long futex_requeue(uint64_t uaddr, uint64_t uaddr2, bool shared, int nwake, int nmove, bool cmp,
                   uint32_t val3) {
  struct fkey k1, k2;
  uint32_t *word;
  long r = lookup(uaddr, shared, false, &k1, cmp ? &word : NULL);
  if (r == 0)
    r = lookup(uaddr2, shared, false, &k2, NULL);
  if (r < 0)
    return r;
  if (cmp && *word != val3)
    return -EAGAIN;
  long woke = wake_key(&k1, nwake, FUTEX_BITSET_ANY), moved = 0;
  if (woke < 0)
    return woke;
  struct bucket *b = bucket_of(&k1);
  struct proc *moving = NULL, **tail = &moving; // (queued after the walk: uaddr2 may be uaddr)
  for (struct proc *prev = NULL, *w = b->head, *next; w && moved < nmove; w = next) {
    next = w->futex.next;
    if (!key_is(w, &k1) || w->futex.pi) {
      prev = w;
      continue;
    }
    unlink_after(b, prev, w);
    *tail = w, tail = &w->futex.next;
    moved++;
  }
  for (struct proc *w = moving, *next; w; w = next) {
    next = w->futex.next;
    enqueue(w, &k2); // (at the end of the new key's list, as Linux)
  }
  return woke + moved;
}

static int sext12(uint32_t x) { return (int)(x << 20) >> 20; }

// FUTEX_WAKE_OP: *uaddr2 = old OP oparg; wake nwake on uaddr; and if old CMP cmparg,
// nwake2 on uaddr2. Returns the number woken, -ENOSYS for an unknown op or comparison.
long futex_wake_op(uint64_t uaddr, uint64_t uaddr2, bool shared, int nwake, int nwake2,
                   uint32_t enc) {
  int op = enc >> 28 & 7, cmp = enc >> 24 & 15, oparg = sext12(enc >> 12), cmparg = sext12(enc);
  if (enc >> 28 & 8) // FUTEX_OP_OPARG_SHIFT
    oparg = 1u << (oparg & 31);
  if (op > 4 || cmp > 5)
    return -ENOSYS;
  struct fkey k1, k2;
  uint32_t *w2;
  long r = lookup(uaddr, shared, false, &k1, NULL);
  if (r == 0)
    r = lookup(uaddr2, shared, true, &k2, &w2);
  if (r < 0)
    return r;
  uint32_t old = *w2, nv;
  switch (op) {
  case 0: nv = oparg; break;           // SET
  case 1: nv = old + oparg; break;     // ADD
  case 2: nv = old | oparg; break;     // OR
  case 3: nv = old & ~oparg; break;    // ANDN
  default: nv = old ^ oparg; break;    // XOR
  }
  *w2 = nv;
  long woke = wake_key(&k1, nwake, FUTEX_BITSET_ANY);
  int o = (int)old;
  bool c = cmp == 0 ? o == cmparg : cmp == 1 ? o != cmparg : cmp == 2 ? o < cmparg :
           cmp == 3 ? o <= cmparg : cmp == 4 ? o > cmparg : o >= cmparg;
  if (c && woke >= 0) {
    long woke2 = wake_key(&k2, nwake2, FUTEX_BITSET_ANY);
    woke = woke2 < 0 ? woke2 : woke + woke2;
  }
  return woke;
}

// ---- PI futexes: the word is 0 (free) or the owner's tid, with FUTEX_WAITERS set while
// threads wait in the kernel, so that the owner's unlock comes here. The kernel keeps no
// state of its own beyond the queue: the owner is whoever the word names, and each
// waiter notes the owner it queued behind (pi_owner), which hands the lock over when it
// unlocks or dies. Vitrine's scheduler has no priorities: nothing is boosted.

// The first PI waiter on k, and the waiter before it in the bucket (*prevp); NULL if
// none. A non-PI waiter found first makes it -EINVAL's case (*mixed).
static struct proc *pi_first(struct bucket *b, const struct fkey *k, struct proc **prevp,
                             bool *mixed) {
  *mixed = false;
  for (struct proc *prev = NULL, *w = b->head; w; prev = w, w = w->futex.next)
    if (key_is(w, k)) {
      *mixed = !w->futex.pi;
      *prevp = prev;
      return w->futex.pi ? w : NULL;
    }
  return NULL;
}

// Hand the lock on k (its word at word) to its first waiter w: the word names w, keeps
// the bits in keep, and has FUTEX_WAITERS (Linux sets it whether others wait or not);
// those still waiting now queue behind w.
static void pi_hand_over(struct bucket *b, struct proc *prev, struct proc *w,
                         const struct fkey *k, uint32_t *word, uint32_t keep) {
  *word = keep | FUTEX_WAITERS | (uint32_t)w->pid;
  wake_one(b, prev, w);
  for (struct proc *x = b->head; x; x = x->futex.next)
    if (key_is(x, k) && x->futex.pi)
      x->futex.pi_owner = w;
}

// The thread a PI word names, if it is alive (a thread that has exited is gone for
// this, even while its group's leader waits to be reaped).
static struct proc *pi_owner_of(uint32_t v) {
  struct proc *o = proc_find(v & FUTEX_TID_MASK);
  return o && o->state != P_ZOMBIE && o->vm ? o : NULL;
}

// The PI word at uaddr (made writable), its key and bucket, and its first PI waiter
// (NULL if none; *mixed: plain waiters wait on it instead).
struct piword {
  struct fkey key;
  uint32_t *word;
  struct bucket *b;
  struct proc *first, *prev;
  bool mixed;
};
static long pi_lookup(uint64_t uaddr, bool shared, struct piword *w) {
  long r = lookup(uaddr, shared, true, &w->key, &w->word);
  if (r < 0)
    return r;
  w->b = bucket_of(&w->key);
  w->first = pi_first(w->b, &w->key, &w->prev, &w->mixed);
  return 0;
}

// FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI. 0: the lock is ours (the word holds
// our tid; FUTEX_OWNER_DIED stays set if it was); -EDEADLK: it is already ours; -ESRCH:
// the word names a thread that does not exist; -EAGAIN: try and taken; -ETIMEDOUT;
// -EINVAL: plain waiters wait on the word; -ERESTARTNOINTR: a signal (the call runs
// again after the handler: LOCK_PI never fails with EINTR). deadline: monotonic ns.
long futex_lock_pi(uint64_t uaddr, bool shared, uint64_t deadline, bool trylock) {
  struct proc *p = myproc();
  struct piword pw;
  long r = pi_lookup(uaddr, shared, &pw);
  if (r < 0)
    return r;
  uint32_t v = *pw.word;
  if ((v & FUTEX_TID_MASK) == (uint32_t)p->pid)
    return -EDEADLK;
  if (pw.mixed)
    return -EINVAL;
  if (!(v & FUTEX_TID_MASK)) { // free (perhaps with FUTEX_OWNER_DIED): ours
    *pw.word = (v & FUTEX_OWNER_DIED) | (pw.first ? FUTEX_WAITERS : 0) | (uint32_t)p->pid;
    return 0;
  }
  *pw.word = v | FUTEX_WAITERS; // (before the owner is looked for, as Linux)
  struct proc *owner = pw.first ? pw.first->futex.pi_owner : pi_owner_of(v);
  if (!owner)
    return -ESRCH;
  if (trylock)
    return -EAGAIN;
  p->futex.bitset = FUTEX_BITSET_ANY;
  p->futex.pi = true;
  p->futex.pi_owner = owner;
  pi_waiting++;
  enqueue(p, &pw.key);
  r = sleep_queued(p, deadline);
  return r == -ERESTARTSYS ? -ERESTARTNOINTR : r;
}

// FUTEX_UNLOCK_PI: the first waiter gets the lock, or the word becomes 0. -EPERM if the
// word does not name the caller, -EINVAL if plain waiters wait on it.
long futex_unlock_pi(uint64_t uaddr, bool shared) {
  struct piword pw;
  long r = pi_lookup(uaddr, shared, &pw);
  if (r < 0)
    return r;
  if ((*pw.word & FUTEX_TID_MASK) != (uint32_t)myproc()->pid)
    return -EPERM;
  if (pw.mixed)
    return -EINVAL;
  if (pw.first)
    pi_hand_over(pw.b, pw.prev, pw.first, &pw.key, pw.word, 0);
  else
    *pw.word = 0;
  return 0;
}

// The dying thread p owned PI locks others wait for: each goes to its first waiter, with
// FUTEX_OWNER_DIED, robust lock or not (Linux's exit_pi_state_list and fixup). A
// word that can no longer be reached (its page unmapped) still frees its waiters: they
// get the lock as it stands.
static void pi_exit(struct proc *p) {
  for (int i = 0; i < NBUCKETS && pi_waiting; i++) {
    struct bucket *b = &buckets[i];
  again:
    for (struct proc *prev = NULL, *w = b->head; w; prev = w, w = w->futex.next) {
      if (!w->futex.pi || w->futex.pi_owner != p)
        continue;
      struct fkey k = {w->futex.space, w->futex.addr};
      uint32_t scratch = 0, *word = k.space == &shared_space
                                        ? (uint32_t *)P2V(k.addr)
                                        : vm_user_word((struct vm *)k.space, k.addr, true);
      if (!word)
        word = &scratch;
      pi_hand_over(b, prev, w, &k, word, FUTEX_OWNER_DIED);
      goto again; // (the list changed)
    }
  }
}

// ---- robust futexes: locks a dying thread holds are marked FUTEX_OWNER_DIED ----
#define ROBUST_LIST_LIMIT 2048 // a cycle in the user's list must not hang the kernel

// The lock word at entry + offset: if p holds it, mark it and wake a waiter (a PI
// lock's waiters are handed it by pi_exit, afterwards).
static void robust_release(struct proc *p, uint64_t entry, int64_t offset) {
  uint64_t uaddr = (entry & ~1ull) + offset;
  bool pi = entry & 1;
  uint32_t *w = (uaddr & 3) ? NULL : vm_user_word(p->vm, uaddr, true);
  if (!w || (*w & FUTEX_TID_MASK) != (uint32_t)p->pid)
    return;
  uint32_t v = *w;
  *w = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
  if ((v & FUTEX_WAITERS) && !pi)
    futex_wake(uaddr, true, 1, FUTEX_BITSET_ANY);
}

// struct robust_list_head { next, futex_offset, list_op_pending }: walked before p's
// memory goes, with p's address space still the current one. An entry's low bit says
// its lock is a PI one.
static void robust_exit(struct proc *p) {
  uint64_t head[3];
  if (!p->robust_list || copyin(head, p->robust_list, sizeof head) < 0)
    return;
  uint64_t entry = head[0], pending = head[2];
  for (int n = 0; (entry & ~1ull) != p->robust_list && n < ROBUST_LIST_LIMIT; n++) {
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

// A thread ends (or execs): its robust locks are marked, then the PI locks it holds
// go to their waiters (Linux's order).
void futex_exit(struct proc *p) {
  robust_exit(p);
  if (pi_waiting)
    pi_exit(p);
}
