// File locks: one list of every lock held, each on an object (a file's f->priv), owned
// by a process's descriptor table (fcntl's F_SETLK: Linux's owner, so a process's
// threads share their locks, and they go when any of its descriptors for the file
// closes, or when the table does) or an open file (F_OFD_SETLK, flock). Process and
// open-file record locks see each other; flock locks see only flock locks (as Linux).
// Blocked lockers sleep on the list and look again at every release.
#include "types.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lock.h"
#include "proc.h"

enum lkind { LK_POSIX, LK_OFD, LK_FLOCK };

struct lock {
  const void *obj;     // what is locked: the file's f->priv
  enum lkind kind;
  const void *owner;   // the struct fdtable (LK_POSIX) or struct file (LK_OFD, LK_FLOCK)
  int pid;             // F_GETLK's l_pid: the locking process's tgid, or -1 for open-file locks
  int type;            // F_RDLCK or F_WRLCK
  uint64_t start, end; // inclusive
  struct lock *next;
};

static struct lock *locks;
#define MAX_LOCKS 4096 // all together: beyond, ENOLCK
static int nlocks;

// An owner (descriptor table) blocked in F_SETLKW, and the owner whose lock it waits
// for: the waits-for graph of deadlock detection. Lives on the waiter's kernel stack
// while it sleeps.
struct waiter {
  const void *p;
  const void *on;
  struct waiter *next;
};
static struct waiter *waiters;

static bool record_kind(enum lkind k) { return k != LK_FLOCK; }

static bool conflicts(const struct lock *l, const void *obj, enum lkind kind, const void *owner,
                      int type, uint64_t start, uint64_t end) {
  return l->obj == obj && record_kind(l->kind) == record_kind(kind) && l->owner != owner &&
         (l->type == F_WRLCK || type == F_WRLCK) && l->start <= end && start <= l->end;
}

static struct lock *first_conflict(const void *obj, enum lkind kind, const void *owner, int type,
                                   uint64_t start, uint64_t end) {
  for (struct lock *l = locks; l; l = l->next)
    if (conflicts(l, obj, kind, owner, type, start, end))
      return l;
  return NULL;
}

static void lock_free(struct lock **pp) {
  struct lock *l = *pp;
  *pp = l->next;
  kfree(l);
  nlocks--;
}

static struct lock *lock_new(const void *obj, enum lkind kind, const void *owner, int pid, int type,
                             uint64_t start, uint64_t end) {
  if (nlocks >= MAX_LOCKS)
    return NULL;
  struct lock *l = kmalloc(sizeof *l);
  if (!l)
    return NULL;
  *l = (struct lock){.obj = obj, .kind = kind, .owner = owner, .pid = pid, .type = type,
                     .start = start, .end = end, .next = locks};
  locks = l;
  nlocks++;
  return l;
}

// Take [start, end] out of owner's locks on obj: trimmed, split or removed. Needs at
// most one new record (a split), made first so that failing (-ENOLCK) changes nothing.
static int unlock_range(const void *obj, enum lkind kind, const void *owner, uint64_t start,
                        uint64_t end) {
  for (struct lock *l = locks; l; l = l->next)
    if (l->obj == obj && l->kind == kind && l->owner == owner && l->start < start && l->end > end) {
      struct lock *tail = lock_new(obj, kind, owner, l->pid, l->type, end + 1, l->end);
      if (!tail)
        return -ENOLCK;
      l->end = start - 1;
      return 0; // one lock covered the whole range: nothing else overlaps it
    }
  for (struct lock **pp = &locks; *pp;) {
    struct lock *l = *pp;
    if (l->obj != obj || l->kind != kind || l->owner != owner || l->end < start || l->start > end) {
      pp = &l->next;
      continue;
    }
    if (l->start >= start && l->end <= end) {
      lock_free(pp);
      continue;
    }
    if (l->start < start)
      l->end = start - 1;
    else
      l->start = end + 1;
    pp = &l->next;
  }
  return 0;
}

// Merge owner's locks of one type that touch or overlap l into l.
static void coalesce(struct lock *l) {
  for (struct lock **pp = &locks; *pp;) {
    struct lock *o = *pp;
    bool touch = o != l && o->obj == l->obj && o->kind == l->kind && o->owner == l->owner &&
                 o->type == l->type && (l->end == UINT64_MAX || o->start <= l->end + 1) &&
                 (o->end == UINT64_MAX || l->start <= o->end + 1);
    if (!touch) {
      pp = &o->next;
      continue;
    }
    l->start = MIN(l->start, o->start);
    l->end = MAX(l->end, o->end);
    lock_free(pp);
  }
}

// Would me waiting for holder close a cycle of waiting processes?
static bool would_deadlock(const void *me, const void *holder) {
  for (int hops = 0; holder && hops < NPROC; hops++) {
    if (holder == me)
      return true;
    const void *next = NULL;
    for (struct waiter *w = waiters; w; w = w->next)
      if (w->p == holder)
        next = w->on;
    holder = next;
  }
  return false;
}

static int set_lock(const void *obj, enum lkind kind, const void *owner, int pid, int type,
                    uint64_t start, uint64_t end, bool wait) {
  if (type == F_UNLCK) {
    int r = unlock_range(obj, kind, owner, start, end);
    wakeup(&locks);
    return r;
  }
  struct lock *c;
  while ((c = first_conflict(obj, kind, owner, type, start, end))) {
    if (!wait)
      return -EAGAIN;
    const void *on = c->kind == LK_POSIX ? c->owner : NULL;
    if (kind == LK_POSIX && on && would_deadlock(owner, on))
      return -EDEADLK;
    struct waiter w = {owner, kind == LK_POSIX ? on : NULL, waiters};
    waiters = &w;
    int r = sleep_on(&locks);
    for (struct waiter **pp = &waiters; *pp; pp = &(*pp)->next)
      if (*pp == &w) {
        *pp = w.next;
        break;
      }
    if (r < 0)
      return r;
  }
  struct lock *l = lock_new(obj, kind, owner, pid, type, start, end);
  if (!l)
    return -ENOLCK;
  locks = l->next; // out of the list while the old ones are cut away
  nlocks--;
  int r = unlock_range(obj, kind, owner, start, end);
  l->next = locks;
  locks = l;
  nlocks++;
  if (r < 0) {
    lock_free(&locks);
    return r;
  }
  coalesce(l);
  wakeup(&locks); // a write lock turned read lets readers in
  return 0;
}

int lock_set(struct file *f, bool ofd, const struct lockreq *req, bool wait) {
  struct proc *me = myproc();
  return set_lock(f->priv, ofd ? LK_OFD : LK_POSIX, ofd ? (const void *)f : me->fdt, ofd ? -1 : me->tgid,
                  req->type, req->start, req->end, wait);
}

void lock_get(struct file *f, bool ofd, struct lockreq *req) {
  const void *owner = ofd ? (const void *)f : myproc()->fdt;
  struct lock *c = first_conflict(f->priv, ofd ? LK_OFD : LK_POSIX, owner, req->type, req->start,
                                  req->end);
  if (!c) {
    req->type = F_UNLCK;
    return;
  }
  *req = (struct lockreq){.type = c->type, .start = c->start, .end = c->end, .pid = c->pid};
}

// flock: LOCK_SH or LOCK_EX (with LOCK_NB: no waiting), LOCK_UN. Converting a lock is
// not atomic, as on Linux: the old one goes first.
int lock_flock(struct file *f, int op) {
  int what = op & ~LOCK_NB;
  if (what != LOCK_SH && what != LOCK_EX && what != LOCK_UN)
    return -EINVAL;
  int type = what == LOCK_SH ? F_RDLCK : what == LOCK_EX ? F_WRLCK : F_UNLCK;
  struct lock *c = first_conflict(f->priv, LK_FLOCK, f, type, 0, UINT64_MAX);
  if (type != F_UNLCK && c && (op & LOCK_NB))
    return -EAGAIN; // (a held lock stays when a conversion would have to wait)
  set_lock(f->priv, LK_FLOCK, f, -1, F_UNLCK, 0, UINT64_MAX, false);
  if (type == F_UNLCK)
    return 0;
  return set_lock(f->priv, LK_FLOCK, f, -1, type, 0, UINT64_MAX, !(op & LOCK_NB));
}

static void drop_where(bool (*match)(const struct lock *, const void *), const void *arg) {
  bool any = false;
  for (struct lock **pp = &locks; *pp;)
    if (match(*pp, arg))
      lock_free(pp), any = true;
    else
      pp = &(*pp)->next;
  if (any)
    wakeup(&locks);
}

struct close_arg {
  const struct fdtable *p;
  const void *obj;
};
static bool posix_of(const struct lock *l, const void *arg) {
  const struct close_arg *a = arg;
  return l->kind == LK_POSIX && l->owner == a->p && l->obj == a->obj;
}
static bool of_file(const struct lock *l, const void *f) {
  return l->kind != LK_POSIX && l->owner == f;
}

void lock_close(const struct fdtable *p, struct file *f) {
  if (!locks)
    return; // the common case: no locks anywhere
  struct close_arg a = {p, f->priv};
  drop_where(posix_of, &a);
}

void lock_file_gone(struct file *f) {
  if (locks)
    drop_where(of_file, f);
}
