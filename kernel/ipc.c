// System V IPC, as Linux's svipc(7): shared memory segments, semaphore sets, message
// queues.
//
// Each kind has a table of objects. An id is slot + NSLOTS * seq, with seq counting
// the objects a slot has held, so a removed object's id never finds its successor.
// Keys find objects too, except IPC_PRIVATE, which always makes a new one. Permission
// checks follow Linux's ipcperms(): the owner's or creator's bits, else the group's,
// else the others'; root passes every check.
//
// Shared memory: a segment owns its frames; each attachment is a shared area of the
// address space (vm.c's vm_map_frames) that counts itself in shm_nattch as it is made,
// copied by fork or split, and unmapped (shmdt, munmap, exit, exec). A removed segment
// (IPC_RMID) loses its key and goes with its last attachment.
//
// Semaphores: semop applies all its operations or none; one that cannot proceed waits
// on its set, counted in semncnt/semzcnt, and every change wakes the set's waiters,
// which try again. SEM_UNDO adjustments are kept per process (by its tgid) and applied when
// it exits. Messages: a queue of typed messages bounded in bytes (msg_qbytes).
//
// Removal wakes every waiter, which finds its object gone: EIDRM. Signals end waits
// with EINTR: these calls are never restarted, as in Linux.
#include "types.h"
#include "cpu.h"
#include "elf.h"
#include "errno.h"
#include "ipc.h"
#include "kalloc.h"
#include "lib.h"
#include "proc.h"
#include "vm.h"

#define NSLOTS 128       // objects of each kind (Linux: SHMMNI, SEMMNI, MSGMNI are higher)
#define SHMMAX (1ul << 30)
#define SEMMSL 32000     // semaphores per set
#define SEMOPM 500       // operations per semop
#define SEMVMX 32767     // a semaphore's largest value
#define MSGMAX 8192      // largest message
#define MSGMNB 16384     // default queue size in bytes
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000
#define SHM_DEST 01000   // in shm_perm.mode: removed, waiting for the last detach
#define SEM_UNDO 0x1000
#define MSG_NOERROR 010000
#define MSG_EXCEPT 020000
#define MSG_COPY 040000
#define GETPID 11
#define GETVAL 12
#define GETALL 13
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL 16
#define SETALL 17
#define MSG_STAT 11      // the *_STAT commands take a table index and return the id
#define SHM_STAT 13
#define SEM_STAT 18
#define MSG_STAT_ANY 13  // the same without the read permission (Linux 4.17)
#define SHM_STAT_ANY 15
#define SEM_STAT_ANY 20
#define IPC_INFO 3       // the limits; the *_INFO commands: what is in use
#define MSG_INFO 12
#define SHM_INFO 14
#define SEM_INFO 19

// Linux's struct ipc64_perm, and the _ds structures IPC_STAT and IPC_SET use.
struct ipc_perm_k {
  int32_t key;
  uint32_t uid, gid, cuid, cgid, mode;
  uint16_t seq, pad;
  uint64_t unused[2];
};
struct shmid_ds_k {
  struct ipc_perm_k perm;
  uint64_t segsz;
  int64_t atime, dtime, ctime;
  int32_t cpid, lpid;
  uint64_t nattch, unused[2];
};
struct semid_ds_k {
  struct ipc_perm_k perm;
  int64_t otime;
  uint64_t unused1;
  int64_t ctime;
  uint64_t unused2, nsems, unused[2];
};
struct msqid_ds_k {
  struct ipc_perm_k perm;
  int64_t stime, rtime, ctime;
  uint64_t cbytes, qnum, qbytes;
  int32_t lspid, lrpid;
  uint64_t unused[2];
};
_Static_assert(sizeof(struct ipc_perm_k) == 48, "Linux's ipc64_perm");
_Static_assert(sizeof(struct shmid_ds_k) == 112, "Linux's shmid64_ds");
_Static_assert(sizeof(struct semid_ds_k) == 104, "Linux's semid64_ds");
_Static_assert(sizeof(struct msqid_ds_k) == 120, "Linux's msqid64_ds");

// What every object starts with.
struct ipc_obj {
  int id;
  bool removed;        // gone from the table (waiters: EIDRM)
  int waiters;         // semop, msgsnd, msgrcv calls holding it: the last one out frees
                       // a removed object
  struct ipc_perm_k perm;
};

struct shm_seg {
  struct ipc_obj o;
  struct shmid_ds_k ds;
  size_t npages;
  void **frames;
};

struct sem {
  uint16_t val;
  int32_t pid;         // the last to change it
  int ncnt, zcnt;      // waiting for it to grow, to be zero
};
struct sem_set {
  struct ipc_obj o;
  struct semid_ds_k ds;
  int nsems;
  struct sem *sems;
};

struct msg {
  struct msg *next;
  int64_t type;
  size_t size;
  uint8_t text[];
};
struct msg_queue {
  struct ipc_obj o;
  struct msqid_ds_k ds;
  struct msg *head, *tail;
};

// A process's SEM_UNDO adjustments for one set (Linux's struct sem_undo).
struct undo {
  struct undo *next;
  int pid, semid;
  int16_t adj[];
};

enum { SHM, SEM, MSG, NKINDS };
static struct ipc_obj *objs[NKINDS][NSLOTS];
static uint16_t seqs[NKINDS][NSLOTS];
static struct undo *undos;

// ---- objects ----
static int64_t now(void) { return boot_epoch + time_ns() / 1000000000; }

static struct ipc_obj *obj_find(int kind, int id) {
  if (id < 0)
    return NULL;
  struct ipc_obj *o = objs[kind][id % NSLOTS];
  return o && o->id == id ? o : NULL;
}

static struct ipc_obj *key_find(int kind, int32_t key) {
  for (int i = 0; i < NSLOTS; i++)
    if (objs[kind][i] && objs[kind][i]->perm.key == key)
      return objs[kind][i];
  return NULL;
}

static bool in_group(const struct proc *p, uint32_t gid) {
  if (p->egid == gid)
    return true;
  for (int i = 0; i < p->ngroups; i++)
    if (p->groups[i] == gid)
      return true;
  return false;
}

// May the caller have access (r 4, w 2, both 6) to o? Linux's ipcperms.
static bool perm_ok(const struct ipc_obj *o, int access) {
  struct proc *p = myproc();
  if (p->euid == 0)
    return true;
  uint32_t m = o->perm.mode;
  if (p->euid == o->perm.cuid || p->euid == o->perm.uid)
    m >>= 6;
  else if (in_group(p, o->perm.cgid) || in_group(p, o->perm.gid))
    m >>= 3;
  return (access & ~m & 7) == 0;
}

// The access an *get's flags ask for, as ipcperms reads them: any of a class's bits.
static int asked(int flags) {
  int m = flags & 0777;
  return (m >> 6 | m >> 3 | m) & 7;
}

static bool owner_ok(const struct ipc_obj *o) {
  struct proc *p = myproc();
  return p->euid == 0 || p->euid == o->perm.cuid || p->euid == o->perm.uid;
}

// Put a new object (o->perm filled but for the ids) in a free slot: its id, or -ENOSPC.
static int obj_add(int kind, struct ipc_obj *o, int32_t key, int flags) {
  struct proc *p = myproc();
  for (int i = 0; i < NSLOTS; i++)
    if (!objs[kind][i]) {
      o->id = i + NSLOTS * (seqs[kind][i]++ & 0x7fff);
      o->perm = (struct ipc_perm_k){.key = key, .uid = p->euid, .gid = p->egid,
                                    .cuid = p->euid, .cgid = p->egid,
                                    .mode = flags & 0777, .seq = seqs[kind][i]};
      objs[kind][i] = o;
      return o->id;
    }
  return -ENOSPC;
}

static void obj_remove(int kind, struct ipc_obj *o) {
  objs[kind][o->id % NSLOTS] = NULL;
  o->removed = true;
  wakeup(o);
}

// The *get lookup: the object for key, or -ENOENT (then the caller may create).
static int get_existing(int kind, int32_t key, int flags, struct ipc_obj **out) {
  struct ipc_obj *o = key == IPC_PRIVATE ? NULL : key_find(kind, key);
  if (!o)
    return -ENOENT;
  if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
    return -EEXIST;
  if (!perm_ok(o, asked(flags)))
    return -EACCES;
  *out = o;
  return 0;
}

// For the *_STAT commands (ipcs): the object at table index idx, readable by the caller
// (any: the *_STAT_ANY commands, which need no permission).
static int by_index(int kind, int idx, bool any, struct ipc_obj **out) {
  if (idx < 0 || idx >= NSLOTS || !objs[kind][idx])
    return -EINVAL;
  if (!any && !perm_ok(objs[kind][idx], 4))
    return -EACCES;
  *out = objs[kind][idx];
  return 0;
}

// o's _ds (n bytes, perm first) out, with o's perm.
static long stat_copy(struct ipc_obj *o, void *ds, size_t n, uint64_t ubuf) {
  memcpy(ds, &o->perm, sizeof o->perm);
  return copyout(ubuf, ds, n) < 0 ? -EFAULT : 0;
}

// IPC_STAT: the caller may read o.
static long stat_out(struct ipc_obj *o, void *ds, size_t n, uint64_t ubuf) {
  return perm_ok(o, 4) ? stat_copy(o, ds, n, ubuf) : -EACCES;
}

// *_STAT and *_STAT_ANY: IPC_STAT of the object at table index idx; its id.
static long stat_index(int kind, int idx, bool any, uint64_t ubuf) {
  struct ipc_obj *o;
  long r = by_index(kind, idx, any, &o);
  if (r < 0)
    return r;
  if (kind == SHM)
    r = stat_copy(o, &((struct shm_seg *)o)->ds, sizeof(struct shmid_ds_k), ubuf);
  else if (kind == SEM)
    r = stat_copy(o, &((struct sem_set *)o)->ds, sizeof(struct semid_ds_k), ubuf);
  else
    r = stat_copy(o, &((struct msg_queue *)o)->ds, sizeof(struct msqid_ds_k), ubuf);
  return r < 0 ? r : o->id;
}

// What IPC_INFO and the *_INFO commands return: the highest table index in use (0 if
// none, as Linux), so that ipcs knows how far to ask *_STAT. Also how many are in use.
static int max_index(int kind, int *used) {
  int max = 0;
  *used = 0;
  for (int i = 0; i < NSLOTS; i++)
    if (objs[kind][i])
      max = i, ++*used;
  return max;
}

static long info_out(int kind, const void *info, size_t n, uint64_t ubuf) {
  int used;
  int max = max_index(kind, &used);
  return copyout(ubuf, info, n) < 0 ? -EFAULT : max;
}

// IPC_SET's common part: owner, group, mode bits.
static int set_perm(struct ipc_obj *o, const struct ipc_perm_k *in) {
  if (!owner_ok(o))
    return -EPERM;
  o->perm.uid = in->uid, o->perm.gid = in->gid;
  o->perm.mode = (o->perm.mode & ~0777) | (in->mode & 0777);
  return 0;
}

// A wait on an object: 0 when woken with the object still there, else -EIDRM, -EINTR,
// or -EAGAIN once the deadline (ticks; 0: none) passed.
static int wait_on(struct ipc_obj *o, int64_t deadline) {
  if (deadline > 0 && (uint64_t)deadline <= ticks)
    return -EAGAIN;
  int r = sleep_until(o, deadline > 0 ? deadline : 0);
  if (o->removed)
    return -EIDRM;
  return r < 0 ? -EINTR : 0;
}

// ---- shared memory ----
static void shm_free(struct shm_seg *s) {
  for (size_t i = 0; i < s->npages; i++)
    page_release(s->frames[i]);
  kfree(s->frames);
  kfree(s);
}

static void shm_open(void *priv) { ((struct shm_seg *)priv)->ds.nattch++; }

static void shm_close(void *priv) {
  struct shm_seg *s = priv;
  s->ds.nattch--;
  s->ds.dtime = now();
  s->ds.lpid = myproc() ? myproc()->tgid : 0;
  if (!s->ds.nattch && (s->o.perm.mode & SHM_DEST)) {
    obj_remove(SHM, &s->o);
    shm_free(s);
  }
}

static const struct vma_ops shm_ops = {.open = shm_open, .close = shm_close};

static struct shm_seg *shm_new(uint64_t size) {
  size_t n = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
  if (n + 64 > pages_free()) // leave the kernel some room
    return NULL;
  struct shm_seg *s = kmalloc(sizeof *s);
  void **frames = kmalloc(n * sizeof *frames);
  if (!s || !frames)
    goto fail;
  s->frames = frames;
  for (s->npages = 0; s->npages < n; s->npages++)
    if (!(frames[s->npages] = page_alloc(1)))
      goto fail;
  s->ds.segsz = size;
  s->ds.cpid = myproc()->tgid;
  s->ds.ctime = now();
  return s;
fail:
  if (s && frames) {
    shm_free(s);
  } else {
    kfree(s), kfree(frames);
  }
  return NULL;
}

long ipc_shmget(int32_t key, uint64_t size, int flags) {
  struct ipc_obj *o;
  int r = get_existing(SHM, key, flags, &o);
  if (r == 0)
    return size > ((struct shm_seg *)o)->ds.segsz ? -EINVAL : o->id;
  if (r != -ENOENT || (key != IPC_PRIVATE && !(flags & IPC_CREAT)))
    return r;
  if (size < 1 || size > SHMMAX)
    return -EINVAL;
  struct shm_seg *s = shm_new(size);
  if (!s)
    return -ENOMEM;
  if ((r = obj_add(SHM, &s->o, key, flags)) < 0)
    shm_free(s);
  return r;
}

long ipc_shmat(int id, uint64_t addr, int flags) {
  struct shm_seg *s = (struct shm_seg *)obj_find(SHM, id);
  struct vm *vm = myproc()->vm;
  if (!s)
    return -EINVAL;
  int prot = PROT_READ | (flags & SHM_RDONLY ? 0 : PROT_WRITE) | (flags & SHM_EXEC ? PROT_EXEC : 0);
  if (!perm_ok(&s->o, flags & SHM_RDONLY ? 4 : 6))
    return -EACCES;
  uint64_t len = s->npages * PAGE_SIZE;
  if (addr) {
    if (addr & (PAGE_SIZE - 1)) {
      if (!(flags & SHM_RND))
        return -EINVAL;
      addr &= ~(PAGE_SIZE - 1);
    }
    if (!addr || !user_range_ok(addr, len))
      return -EINVAL;
    if (!vm_range_free(vm, addr, len)) {
      if (!(flags & SHM_REMAP))
        return -EINVAL;
      int r = vm_unmap(vm, addr, len);
      if (r < 0)
        return r;
    }
  } else if (flags & SHM_REMAP) {
    return -EINVAL;
  } else if (!(addr = vm_find_free(vm, len))) {
    return -ENOMEM;
  }
  int r = vm_map_frames(vm, addr, s->frames, s->npages, prot, &shm_ops, s);
  if (r < 0)
    return r;
  s->ds.atime = now();
  s->ds.lpid = myproc()->tgid;
  return addr;
}

// Detach the segment attached at addr: every area of it from there, within its size.
long ipc_shmdt(uint64_t addr) {
  struct vm *vm = myproc()->vm;
  const struct vma *a = vm_area_at(vm, addr);
  if ((addr & (PAGE_SIZE - 1)) || !a || a->ops != &shm_ops || a->start != addr)
    return -EINVAL;
  struct shm_seg *s = a->priv;
  uint64_t end = addr + s->npages * PAGE_SIZE;
  for (uint64_t va = addr; va < end;) {
    a = vm_area_at(vm, va);
    if (!a || a->priv != s) {
      va += PAGE_SIZE;
      continue;
    }
    uint64_t stop = MIN(a->end, end);
    vm_unmap(vm, va, stop - va);
    va = stop;
  }
  return 0;
}

// IPC_INFO: Linux's struct shminfo64 (the limits); SHM_INFO: struct shm_info (what is in
// use: segments, their pages, all resident).
static long shm_info(int cmd, uint64_t ubuf) {
  if (cmd == IPC_INFO) {
    uint64_t info[9] = {SHMMAX, 1, NSLOTS, NSLOTS, SHMMAX / PAGE_SIZE * NSLOTS};
    return info_out(SHM, info, sizeof info, ubuf);
  }
  struct {
    int32_t used_ids, pad;
    uint64_t tot, rss, swp, swap_attempts, swap_successes;
  } info = {0};
  max_index(SHM, &info.used_ids);
  for (int i = 0; i < NSLOTS; i++)
    if (objs[SHM][i])
      info.tot += ((struct shm_seg *)objs[SHM][i])->npages;
  info.rss = info.tot;
  return info_out(SHM, &info, sizeof info, ubuf);
}

long ipc_shmctl(int id, int cmd, uint64_t ubuf) {
  if (id < 0 || cmd < 0)
    return -EINVAL; // (before any command, even those that take no id: Linux)
  if (cmd == SHM_STAT || cmd == SHM_STAT_ANY)
    return stat_index(SHM, id, cmd == SHM_STAT_ANY, ubuf);
  if (cmd == IPC_INFO || cmd == SHM_INFO)
    return shm_info(cmd, ubuf);
  struct shm_seg *s = (struct shm_seg *)obj_find(SHM, id);
  if (!s || (cmd != IPC_STAT && cmd != IPC_SET && cmd != IPC_RMID))
    return -EINVAL;
  if (cmd == IPC_STAT)
    return stat_out(&s->o, &s->ds, sizeof s->ds, ubuf);
  if (cmd == IPC_SET) {
    struct shmid_ds_k in;
    if (copyin(&in, ubuf, sizeof in) < 0)
      return -EFAULT;
    int r = set_perm(&s->o, &in.perm);
    if (r == 0)
      s->ds.ctime = now();
    return r;
  }
  if (!owner_ok(&s->o))
    return -EPERM;
  // As Linux: a segment still attached stays (shmat and IPC_STAT still find it by id),
  // without its key, and goes with its last attachment.
  s->o.perm.key = IPC_PRIVATE;
  s->o.perm.mode |= SHM_DEST;
  if (!s->ds.nattch) {
    obj_remove(SHM, &s->o);
    shm_free(s);
  }
  return 0;
}

// ---- semaphores ----
long ipc_semget(int32_t key, int nsems, int flags) {
  struct ipc_obj *o;
  if (nsems < 0 || nsems > SEMMSL)
    return -EINVAL;
  int r = get_existing(SEM, key, flags, &o);
  if (r == 0)
    return nsems > ((struct sem_set *)o)->nsems ? -EINVAL : o->id;
  if (r != -ENOENT || (key != IPC_PRIVATE && !(flags & IPC_CREAT)))
    return r;
  if (nsems == 0)
    return -EINVAL;
  struct sem_set *s = kmalloc(sizeof *s);
  struct sem *sems = kmalloc(nsems * sizeof *sems);
  if (!s || !sems) {
    kfree(s), kfree(sems);
    return -ENOMEM;
  }
  s->sems = sems, s->nsems = nsems;
  s->ds.nsems = nsems;
  s->ds.ctime = now();
  if ((r = obj_add(SEM, &s->o, key, flags)) < 0) {
    kfree(sems), kfree(s);
  }
  return r;
}

struct sembuf_k {
  uint16_t num;
  int16_t op, flg;
};

static struct undo *undo_find(int pid, int semid) {
  for (struct undo *u = undos; u; u = u->next)
    if (u->pid == pid && u->semid == semid)
      return u;
  return NULL;
}

// The caller's undo record for set s, made if needed.
static struct undo *undo_get(struct sem_set *s) {
  int pid = myproc()->tgid;
  struct undo *u = undo_find(pid, s->o.id);
  if (u)
    return u;
  if (!(u = kmalloc(sizeof *u + s->nsems * sizeof u->adj[0])))
    return NULL;
  u->pid = pid, u->semid = s->o.id;
  u->next = undos;
  undos = u;
  return u;
}

// Forget the adjustments for set id (all processes), or for one semaphore of it.
static void undo_clear(int id, int num, bool whole) {
  for (struct undo **pp = &undos; *pp;) {
    struct undo *u = *pp;
    if (u->semid == id && whole) {
      *pp = u->next;
      kfree(u);
      continue;
    }
    if (u->semid == id)
      u->adj[num] = 0;
    pp = &u->next;
  }
}

// Can every operation proceed now? The index of the first that cannot, or -1.
// ERANGE (-2) when one would pass SEMVMX.
static int sem_blocker(const struct sem_set *s, const struct sembuf_k *ops, size_t n) {
  int32_t vals[64];
  // Operations on the same semaphore see each other's effect: work on copies (a set
  // with more semaphores than that is checked one operation at a time, as its own).
  bool copy = s->nsems <= 64;
  for (int i = 0; copy && i < s->nsems; i++)
    vals[i] = s->sems[i].val;
  for (size_t i = 0; i < n; i++) {
    int32_t v = copy ? vals[ops[i].num] : s->sems[ops[i].num].val;
    if (ops[i].op == 0 ? v != 0 : v + ops[i].op < 0)
      return i;
    if (v + ops[i].op > SEMVMX)
      return -2;
    if (copy)
      vals[ops[i].num] = v + ops[i].op;
  }
  return -1;
}

static int sem_apply(struct sem_set *s, const struct sembuf_k *ops, size_t n) {
  int pid = myproc()->tgid;
  for (size_t i = 0; i < n; i++) {
    if (ops[i].flg & SEM_UNDO) {
      struct undo *u = undo_get(s);
      if (!u)
        return -ENOMEM;
      u->adj[ops[i].num] -= ops[i].op;
    }
  }
  for (size_t i = 0; i < n; i++) {
    s->sems[ops[i].num].val += ops[i].op;
    s->sems[ops[i].num].pid = pid;
  }
  s->ds.otime = now();
  wakeup(&s->o);
  return 0;
}

static long semop_run(struct sem_set *s, const struct sembuf_k *ops, size_t n, int64_t deadline) {
  for (;;) {
    int b = sem_blocker(s, ops, n);
    if (b == -2)
      return -ERANGE;
    if (b < 0)
      return sem_apply(s, ops, n);
    if ((ops[b].flg & IPC_NOWAIT) || deadline < 0)
      return -EAGAIN;
    struct sem *w = &s->sems[ops[b].num];
    bool zero = ops[b].op == 0;
    zero ? w->zcnt++ : w->ncnt++;
    int r = wait_on(&s->o, deadline);
    if (s->o.removed)
      return -EIDRM;
    zero ? w->zcnt-- : w->ncnt--;
    if (r < 0)
      return r;
  }
}

long ipc_semop(int id, uint64_t usops, uint64_t nsops, int64_t deadline) {
  if (nsops < 1)
    return -EINVAL;
  if (nsops > SEMOPM)
    return -E2BIG;
  struct sembuf_k *ops = kmalloc(nsops * sizeof *ops);
  if (!ops)
    return -ENOMEM;
  long r = copyin(ops, usops, nsops * sizeof *ops) < 0 ? -EFAULT : 0;
  struct sem_set *s = r ? NULL : (struct sem_set *)obj_find(SEM, id);
  if (r == 0 && !s)
    r = -EINVAL;
  bool alter = false;
  for (size_t i = 0; r == 0 && i < nsops; i++) {
    if (ops[i].num >= s->nsems)
      r = -EFBIG;
    alter |= ops[i].op != 0;
  }
  if (r == 0 && !perm_ok(&s->o, alter ? 2 : 4))
    r = -EACCES;
  if (r == 0) {
    s->o.waiters++;
    r = semop_run(s, ops, nsops, deadline);
    if (--s->o.waiters == 0 && s->o.removed) {
      kfree(s->sems);
      kfree(s);
    }
  }
  kfree(ops);
  return r;
}

static void sem_remove(struct sem_set *s) {
  obj_remove(SEM, &s->o);
  undo_clear(s->o.id, 0, true);
  if (s->o.waiters == 0) { // no semop is waiting on it
    kfree(s->sems);
    kfree(s);
  }
}

static long sem_getall(struct sem_set *s, uint64_t uarray) {
  uint16_t *v = kmalloc(s->nsems * sizeof *v);
  if (!v)
    return -ENOMEM;
  for (int i = 0; i < s->nsems; i++)
    v[i] = s->sems[i].val;
  long r = copyout(uarray, v, s->nsems * sizeof *v) < 0 ? -EFAULT : 0;
  kfree(v);
  return r;
}

static long sem_setall(struct sem_set *s, uint64_t uarray) {
  uint16_t *v = kmalloc(s->nsems * sizeof *v);
  long r = v ? 0 : -ENOMEM;
  if (r == 0 && copyin(v, uarray, s->nsems * sizeof *v) < 0)
    r = -EFAULT;
  for (int i = 0; r == 0 && i < s->nsems; i++)
    if (v[i] > SEMVMX)
      r = -ERANGE;
  for (int i = 0; r == 0 && i < s->nsems; i++) {
    s->sems[i].val = v[i];
    s->sems[i].pid = myproc()->tgid;
  }
  if (r == 0) {
    undo_clear(s->o.id, 0, true);
    s->ds.ctime = now();
    wakeup(&s->o);
  }
  kfree(v);
  return r;
}

// IPC_INFO and SEM_INFO: Linux's struct seminfo, the limits; SEM_INFO puts the sets and
// the semaphores in use where IPC_INFO has SEMUSZ and SEMAEM.
static long sem_info(int cmd, uint64_t ubuf) {
  int32_t info[10] = {NSLOTS * SEMMSL, NSLOTS, NSLOTS * SEMMSL, NSLOTS * SEMMSL, SEMMSL,
                      SEMOPM, SEMOPM, 20, SEMVMX, SEMVMX};
  if (cmd == SEM_INFO) {
    max_index(SEM, &info[7]);
    info[9] = 0;
    for (int i = 0; i < NSLOTS; i++)
      if (objs[SEM][i])
        info[9] += ((struct sem_set *)objs[SEM][i])->nsems;
  }
  return info_out(SEM, info, sizeof info, ubuf);
}

long ipc_semctl(int id, int num, int cmd, uint64_t arg) {
  if (id < 0)
    return -EINVAL;
  if (cmd == SEM_STAT || cmd == SEM_STAT_ANY)
    return stat_index(SEM, id, cmd == SEM_STAT_ANY, arg);
  if (cmd == IPC_INFO || cmd == SEM_INFO)
    return sem_info(cmd, arg);
  struct sem_set *s = (struct sem_set *)obj_find(SEM, id);
  if (!s)
    return -EINVAL;
  bool one = cmd == GETVAL || cmd == GETPID || cmd == GETNCNT || cmd == GETZCNT || cmd == SETVAL;
  if (one && (num < 0 || num >= s->nsems))
    return -EINVAL;
  switch (cmd) {
  case IPC_RMID:
  case IPC_SET:
    if (!owner_ok(&s->o))
      return -EPERM;
    if (cmd == IPC_RMID) {
      sem_remove(s);
      return 0;
    } else {
      struct semid_ds_k in;
      if (copyin(&in, arg, sizeof in) < 0)
        return -EFAULT;
      set_perm(&s->o, &in.perm);
      s->ds.ctime = now();
      return 0;
    }
  case SETVAL:
  case SETALL:
    if (!perm_ok(&s->o, 2))
      return -EACCES;
    if (cmd == SETALL)
      return sem_setall(s, arg);
    if ((int)arg < 0 || (int)arg > SEMVMX)
      return -ERANGE;
    s->sems[num].val = (int)arg;
    s->sems[num].pid = myproc()->tgid;
    undo_clear(id, num, false);
    s->ds.ctime = now();
    wakeup(&s->o);
    return 0;
  case IPC_STAT:
  case GETVAL:
  case GETPID:
  case GETNCNT:
  case GETZCNT:
  case GETALL:
    if (!perm_ok(&s->o, 4))
      return -EACCES;
    switch (cmd) {
    case GETVAL: return s->sems[num].val;
    case GETPID: return s->sems[num].pid;
    case GETNCNT: return s->sems[num].ncnt;
    case GETZCNT: return s->sems[num].zcnt;
    case GETALL: return sem_getall(s, arg);
    default: return stat_out(&s->o, &s->ds, sizeof s->ds, arg);
    }
  default: return -EINVAL;
  }
}

// Apply an exiting process's adjustments, clamped to what the semaphores allow.
void ipc_exit(struct proc *p) {
  for (struct undo **pp = &undos; *pp;) {
    struct undo *u = *pp;
    if (u->pid != p->tgid) {
      pp = &u->next;
      continue;
    }
    struct sem_set *s = (struct sem_set *)obj_find(SEM, u->semid);
    for (int i = 0; s && i < s->nsems; i++) {
      int v = s->sems[i].val + u->adj[i];
      if (!u->adj[i])
        continue;
      s->sems[i].val = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
      s->sems[i].pid = p->tgid;
    }
    if (s)
      wakeup(&s->o);
    *pp = u->next;
    kfree(u);
  }
}

// ---- message queues ----
long ipc_msgget(int32_t key, int flags) {
  struct ipc_obj *o;
  int r = get_existing(MSG, key, flags, &o);
  if (r == 0)
    return o->id;
  if (r != -ENOENT || (key != IPC_PRIVATE && !(flags & IPC_CREAT)))
    return r;
  struct msg_queue *q = kmalloc(sizeof *q);
  if (!q)
    return -ENOMEM;
  q->ds.qbytes = MSGMNB;
  q->ds.ctime = now();
  if ((r = obj_add(MSG, &q->o, key, flags)) < 0)
    kfree(q);
  return r;
}

// A removed queue is freed by the last waiter to leave.
static void msg_leave(struct msg_queue *q) {
  if (--q->o.waiters == 0 && q->o.removed)
    kfree(q);
}

long ipc_msgsnd(int id, uint64_t umsg, int64_t size, int flags) {
  struct msg_queue *q = (struct msg_queue *)obj_find(MSG, id);
  if (!q || size < 0 || size > MSGMAX)
    return -EINVAL;
  if (!perm_ok(&q->o, 2))
    return -EACCES;
  struct msg *m = kmalloc(sizeof *m + size);
  if (!m)
    return -ENOMEM;
  m->size = size;
  if (copyin(&m->type, umsg, 8) < 0 || copyin(m->text, umsg + 8, size) < 0) {
    kfree(m);
    return -EFAULT;
  }
  if (m->type < 1) {
    kfree(m);
    return -EINVAL;
  }
  long r = 0;
  q->o.waiters++;
  while (q->ds.cbytes + size > q->ds.qbytes || q->ds.qnum + 1 > q->ds.qbytes) {
    if ((r = flags & IPC_NOWAIT ? -EAGAIN : wait_on(&q->o, 0)) < 0)
      break;
  }
  if (r < 0) {
    kfree(m);
    msg_leave(q);
    return r;
  }
  msg_leave(q);
  if (q->tail)
    q->tail->next = m;
  else
    q->head = m;
  q->tail = m;
  q->ds.cbytes += size;
  q->ds.qnum++;
  q->ds.lspid = myproc()->tgid;
  q->ds.stime = now();
  wakeup(&q->o);
  return 0;
}

// The message msgrcv's type asks for, with the link that points at it.
static struct msg **msg_pick(struct msg_queue *q, int64_t type, int flags) {
  struct msg **best = NULL;
  for (struct msg **pp = &q->head; *pp; pp = &(*pp)->next) {
    int64_t t = (*pp)->type;
    if (type == 0)
      return pp;
    if (type > 0 && ((flags & MSG_EXCEPT) ? t != type : t == type))
      return pp;
    if (type < 0 && t <= -type && (!best || t < (*best)->type))
      best = pp;
  }
  return best;
}

long ipc_msgrcv(int id, uint64_t umsg, int64_t size, int64_t type, int flags) {
  struct msg_queue *q = (struct msg_queue *)obj_find(MSG, id);
  if (!q || size < 0 || (flags & MSG_COPY))
    return -EINVAL;
  if (!perm_ok(&q->o, 4))
    return -EACCES;
  struct msg **pp;
  long r = 0;
  q->o.waiters++;
  while (!(pp = msg_pick(q, type, flags))) {
    if ((r = flags & IPC_NOWAIT ? -ENOMSG : wait_on(&q->o, 0)) < 0)
      break;
  }
  msg_leave(q);
  if (r < 0)
    return r;
  struct msg *m = *pp;
  if (m->size > (uint64_t)size && !(flags & MSG_NOERROR))
    return -E2BIG;
  size_t n = MIN(m->size, (uint64_t)size);
  if (copyout(umsg, &m->type, 8) < 0 || copyout(umsg + 8, m->text, n) < 0)
    return -EFAULT;
  *pp = m->next;
  if (q->tail == m) {
    q->tail = NULL;
    for (struct msg *x = q->head; x; x = x->next)
      q->tail = x;
  }
  q->ds.cbytes -= m->size;
  q->ds.qnum--;
  q->ds.lrpid = myproc()->tgid;
  q->ds.rtime = now();
  kfree(m);
  wakeup(&q->o);
  return n;
}

static long msg_set(struct msg_queue *q, uint64_t ubuf) {
  struct msqid_ds_k in;
  if (copyin(&in, ubuf, sizeof in) < 0)
    return -EFAULT;
  if (!owner_ok(&q->o))
    return -EPERM;
  if (in.qbytes > MSGMNB && myproc()->euid != 0)
    return -EPERM; // raising the limit past the default is a privilege
  set_perm(&q->o, &in.perm);
  q->ds.qbytes = in.qbytes;
  q->ds.ctime = now();
  wakeup(&q->o);
  return 0;
}

static long msg_rmid(struct msg_queue *q) {
  if (!owner_ok(&q->o))
    return -EPERM;
  obj_remove(MSG, &q->o);
  while (q->head) {
    struct msg *m = q->head;
    q->head = m->next;
    kfree(m);
  }
  if (q->o.waiters == 0)
    kfree(q);
  return 0;
}

// IPC_INFO and MSG_INFO: Linux's struct msginfo, the limits; MSG_INFO puts the queues,
// messages and bytes in use where IPC_INFO has MSGPOOL, MSGMAP and MSGTQL.
static long msg_info(int cmd, uint64_t ubuf) {
  struct {
    int32_t pool, map, max, mnb, mni, ssz, tql;
    uint16_t seg, pad;
  } info = {NSLOTS * MSGMNB / 1024, MSGMNB, MSGMAX, MSGMNB, NSLOTS, 16, MSGMNB, 0xffff, 0};
  if (cmd == MSG_INFO) {
    max_index(MSG, &info.pool);
    info.map = info.tql = 0;
    for (int i = 0; i < NSLOTS; i++)
      if (objs[MSG][i]) {
        info.map += ((struct msg_queue *)objs[MSG][i])->ds.qnum;
        info.tql += ((struct msg_queue *)objs[MSG][i])->ds.cbytes;
      }
  }
  return info_out(MSG, &info, sizeof info, ubuf);
}

long ipc_msgctl(int id, int cmd, uint64_t ubuf) {
  if (id < 0 || cmd < 0)
    return -EINVAL;
  struct msg_queue *q = (struct msg_queue *)obj_find(MSG, id);
  switch (cmd) {
  case MSG_STAT:
  case MSG_STAT_ANY: return stat_index(MSG, id, cmd == MSG_STAT_ANY, ubuf);
  case IPC_INFO:
  case MSG_INFO: return msg_info(cmd, ubuf);
  case IPC_STAT: return q ? stat_out(&q->o, &q->ds, sizeof q->ds, ubuf) : -EINVAL;
  case IPC_SET: return q ? msg_set(q, ubuf) : -EINVAL;
  case IPC_RMID: return q ? msg_rmid(q) : -EINVAL;
  default: return -EINVAL;
  }
}
