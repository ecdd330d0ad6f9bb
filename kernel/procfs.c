// proc: one scheme to look into and control processes (also /proc and /scheme/proc).
// The file tree is a table; every open handle records (pid, gen) and re-checks it on
// each operation, so a handle dies with the program it was opened on.
#include "proc.h"
#include "trace.h"
#include "file.h"
#include "path.h"
#include "elf.h"

enum qid {
  Q_ROOT, Q_SELF, Q_MEMINFO, Q_UPTIME, Q_LOADAVG, Q_SYSSTAT, Q_MOUNTS, Q_CPUINFO, // proc:
  Q_PID, Q_STATUS, Q_STAT, Q_CMDLINE, Q_EXE, Q_MAPS, Q_MEM, Q_TRACE, // proc:PID/
  Q_SYSFILTER, Q_REGS, Q_REGS_INT, Q_REGS_FLOAT, Q_REGS_DEBUG,       // proc:PID/regs/
};
enum access { A_ANY, A_LOOK, A_TRACE }; // A_LOOK: may look inside (regs, mem, maps, exe)

struct entry {
  const char *name;
  enum qid id, parent;
  uint32_t mode;
  enum access access;
};

static const struct entry tree[] = {
    {"self", Q_SELF, Q_ROOT, S_IFLNK | 0777, A_ANY},
    {"meminfo", Q_MEMINFO, Q_ROOT, S_IFREG | 0444, A_ANY},
    {"uptime", Q_UPTIME, Q_ROOT, S_IFREG | 0444, A_ANY},
    {"loadavg", Q_LOADAVG, Q_ROOT, S_IFREG | 0444, A_ANY},
    {"stat", Q_SYSSTAT, Q_ROOT, S_IFREG | 0444, A_ANY},
    {"mounts", Q_MOUNTS, Q_ROOT, S_IFREG | 0444, A_ANY},
    {"cpuinfo", Q_CPUINFO, Q_ROOT, S_IFREG | 0444, A_ANY},
    {"status", Q_STATUS, Q_PID, S_IFREG | 0444, A_ANY},
    {"stat", Q_STAT, Q_PID, S_IFREG | 0444, A_ANY},
    {"cmdline", Q_CMDLINE, Q_PID, S_IFREG | 0444, A_ANY},
    {"exe", Q_EXE, Q_PID, S_IFLNK | 0777, A_LOOK},
    {"maps", Q_MAPS, Q_PID, S_IFREG | 0444, A_LOOK},
    {"mem", Q_MEM, Q_PID, S_IFREG | 0600, A_LOOK},
    {"trace", Q_TRACE, Q_PID, S_IFREG | 0600, A_TRACE},
    {"sysfilter", Q_SYSFILTER, Q_PID, S_IFREG | 0200, A_TRACE},
    {"regs", Q_REGS, Q_PID, S_IFDIR | 0555, A_ANY},
    {"int", Q_REGS_INT, Q_REGS, S_IFREG | 0600, A_LOOK},
    {"float", Q_REGS_FLOAT, Q_REGS, S_IFREG | 0600, A_LOOK},
    {"debug", Q_REGS_DEBUG, Q_REGS, S_IFREG | 0600, A_LOOK},
};

struct handle {
  enum qid id;
  int pid;       // 0 for the files of proc: itself
  int slot;      // the target's slot in proctab (-1: none), to find it in one step
  uint64_t gen;  // the target's gen at open
  char *text;    // text files: the contents, made at offset 0
  size_t textlen;
  struct trace *trace; // Q_TRACE: the session
  bool zombie;   // the target had exited when the handle was opened
};


// Does process me hold (as an open descriptor) the session tracing t? That is what
// being the tracer means: whoever holds the session may change the tracee.
static bool is_tracer(const struct proc *me, const struct proc *t) {
  const struct trace *s = trace_session(&t->tracee);
  for (int fd = 0; s && fd < NOFILE; fd++) {
    struct file *f = me->files[fd];
    if (f && f->scheme == &proc_scheme && ((struct handle *)f->priv)->trace == s)
      return true;
  }
  return false;
}

// ---- finding the target ----
// The process a handle was opened on, if it still runs the same program.
static struct proc *target(const struct handle *h) {
  struct proc *p = proc_at(h->slot, h->gen);
  return p && p->state != P_ZOMBIE ? p : NULL;
}

// For text files of a handle opened on a zombie, the zombie will do: its status, stat
// and cmdline still read (ps shows Z). A handle opened while it ran is dead (ESRCH).
static struct proc *target_or_zombie(const struct handle *h) {
  struct proc *p = proc_at(h->slot, h->gen);
  if (p && p->state == P_ZOMBIE)
    return h->zombie ? p : NULL;
  return target(h);
}

static bool is_ancestor_or_self(const struct proc *a, const struct proc *p) {
  for (; p; p = p->parent)
    if (p == a)
      return true;
  return false;
}

// Linux's ptrace access rule, made strict: root, or same real and effective uid as
// the target, which did not gain privileges by exec, and which we started.
static bool may_look(const struct proc *me, const struct proc *t) {
  if (me->euid == 0)
    return true;
  return t->dumpable && me->ruid == t->ruid && me->euid == t->euid && is_ancestor_or_self(me, t);
}

static const struct entry *find_entry(enum qid parent, const char *name, size_t len) {
  for (size_t i = 0; i < ARRAY_SIZE(tree); i++)
    if (tree[i].parent == parent && strlen(tree[i].name) == len && !memcmp(tree[i].name, name, len))
      return &tree[i];
  return NULL;
}

static int parse_pid(const char *s, size_t len) {
  int v = 0;
  if (len == 0 || len > 6)
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Resolve rest ("", "self/regs/int", "12/mem", ...) to a file id and pid.
static int lookup(const char *rest, enum qid *id, int *pid) {
  const char *comp, *p = rest;
  size_t len;
  *id = Q_ROOT, *pid = 0;
  while ((p = path_next(p, &comp, &len))) {
    int n = *id == Q_ROOT ? parse_pid(comp, len) : -1;
    if (n > 0) {
      *id = Q_PID, *pid = n;
      continue;
    }
    if (*id == Q_ROOT && len == 4 && !memcmp(comp, "self", 4)) {
      *id = Q_PID, *pid = myproc()->pid; // walking through the link
      continue;
    }
    const struct entry *e = find_entry(*id, comp, len);
    if (!e || (*id != Q_PID && *id != Q_REGS && *id != Q_ROOT))
      return -ENOENT;
    *id = e->id;
  }
  if (*pid && !proc_find(*pid))
    return -ENOENT;
  return 0;
}

static const struct entry *entry_of(enum qid id) {
  for (size_t i = 0; i < ARRAY_SIZE(tree); i++)
    if (tree[i].id == id)
      return &tree[i];
  return NULL;
}

static uint32_t mode_of(enum qid id) {
  if (id == Q_ROOT || id == Q_PID)
    return S_IFDIR | 0555;
  return entry_of(id)->mode;
}

// ---- opening ----
static int check_open(enum qid id, struct proc *t, int flags) {
  struct proc *me = myproc();
  const struct entry *e = entry_of(id);
  bool writing = (flags & O_ACCMODE) != O_RDONLY;
  if (S_ISDIR(mode_of(id)) && writing)
    return -EISDIR;
  if (e && writing && !(e->mode & 0222))
    return -EACCES;
  if (!e || e->access == A_ANY || !t)
    return 0;
  if (e->access == A_TRACE && (t == me || t == initproc))
    return -EPERM;
  if (e->access == A_TRACE && t->state == P_ZOMBIE)
    return -ESRCH;
  return may_look(me, t) ? 0 : -EACCES;
}

// A handle on file id of process t (NULL: a file of proc: itself).
static struct handle handle_on(enum qid id, struct proc *t) {
  return (struct handle){.id = id, .pid = t ? t->pid : 0, .slot = t ? proc_slot(t) : -1,
                         .gen = t ? t->gen : 0, .zombie = t && t->state == P_ZOMBIE};
}

static int proc_open(struct file *f, const char *rest, int flags, int mode) {
  (void)mode;
  enum qid id;
  int pid, r = lookup(rest, &id, &pid);
  if (r < 0)
    return r;
  struct proc *t = pid ? proc_find(pid) : NULL;
  if ((r = check_open(id, t, flags)) < 0)
    return r;
  if (id == Q_SYSFILTER && !is_tracer(myproc(), t))
    return -EPERM; // only the tracer sets the filter
  struct handle *h = kmalloc(sizeof *h);
  if (!h)
    return -ENOMEM;
  *h = handle_on(id, t);
  f->priv = h;
  if (id == Q_TRACE && (r = trace_attach(t, flags, &h->trace)) < 0) {
    kfree(h);
    return r;
  }
  return 0;
}

// ---- text files ----
static char state_letter(const struct proc *p) {
  switch (p->state) {
  case P_RUNNING:
  case P_RUNNABLE: return 'R';
  case P_SLEEPING: return 'S';
  case P_STOPPED: return 'T';
  case P_TRACED: return 't';
  case P_ZOMBIE: return 'Z';
  default: return '?';
  }
}

static const char *stop_name(uint64_t cause) {
  switch (cause) {
  case PROC_STOP_PRE_SYSCALL: return "syscall-entry";
  case PROC_STOP_POST_SYSCALL: return "syscall-exit";
  case PROC_STOP_SINGLESTEP: return "singlestep";
  case PROC_STOP_SIGNAL: return "signal";
  case PROC_STOP_BREAKPOINT: return "breakpoint";
  case PROC_STOP_EXIT: return "exit";
  case PROC_STOP_EXEC: return "exec";
  case PROC_STOP_INTERRUPT: return "interrupt";
  case PROC_STOP_WATCH: return "watchpoint";
  }
  return "none";
}

static int tracer_pid(const struct proc *t) {
  for (int i = 0; trace_attached(&t->tracee) && i < NPROC; i++)
    if (proctab[i] && is_tracer(proctab[i], t))
      return proctab[i]->pid;
  return 0;
}

static uint64_t vm_kib(const struct proc *p, bool resident) {
  uint64_t kib = 0;
  for (const struct vma *a = p->vm ? p->vm->vmas : NULL; a; a = a->next)
    kib += (a->end - a->start) / 1024;
  return resident ? vm_resident_pages(p->vm) * 4 : kib;
}

static uint64_t sigmask_of(const struct proc *p, uint64_t handler_kind) {
  uint64_t m = 0;
  for (int s = 1; s <= NSIG; s++) {
    uint64_t h = p->sigact[s - 1].handler;
    if (handler_kind == SIG_IGN ? h == SIG_IGN : h > SIG_IGN)
      m |= SIGBIT(s);
  }
  return m;
}

static int gen_status(const struct proc *p, char *b, size_t n) {
  return ksnprintf(b, n,
      "Name:\t%s\nUmask:\t%04o\nState:\t%c\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n"
      "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nVmSize:\t%lu kB\nVmRSS:\t%lu kB\n"
      "Threads:\t1\nSigPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n"
      "TraceStop:\t%s\n",
      p->name, p->umask, state_letter(p), p->pid, p->pid, p->parent ? p->parent->pid : 0,
      tracer_pid(p), p->ruid, p->euid, p->suid, p->euid, p->rgid, p->egid, p->sgid, p->egid,
      NOFILE, vm_kib(p, false), vm_kib(p, true), p->pending, p->blocked, sigmask_of(p, SIG_IGN),
      sigmask_of(p, 2), stop_name(p->state == P_TRACED ? trace_stop_cause(&p->tracee) : 0));
}

static int gen_stat(const struct proc *p, char *b, size_t n) {
  return ksnprintf(b, n,
      "%d (%s) %c %d %d %d 1280 %d 4194304 0 0 0 0 %lu 0 0 0 20 0 1 0 %lu %lu %lu "
      "18446744073709551615 0 0 0 0 0 %lu %lu %lu 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
      p->pid, p->name, state_letter(p), p->parent ? p->parent->pid : 0, p->pgid, p->sid,
      tty_foreground(), p->cpu_ticks, p->start_ticks, vm_kib(p, false) * 1024,
      vm_kib(p, true) / 4, p->pending, p->blocked, sigmask_of(p, SIG_IGN));
}

static int gen_maps(const struct proc *p, char *b, size_t n) {
  int len = 0;
  for (const struct vma *a = p->vm ? p->vm->vmas : NULL; a; a = a->next) {
    const char *name = a->kind == VMA_FILE ? p->exe : a->kind == VMA_HEAP ? "[heap]"
                       : a->kind == VMA_STACK ? "[stack]" : "";
    len += ksnprintf(b + MIN((size_t)len, n), n > (size_t)len ? n - len : 0,
                     "%08lx-%08lx %c%c%cp 00000000 00:00 0%s%s\n", a->start, a->end,
                     a->prot & PROT_READ ? 'r' : '-', a->prot & PROT_WRITE ? 'w' : '-',
                     a->prot & PROT_EXEC ? 'x' : '-', name[0] ? "                          " : "", name);
  }
  return len;
}

static int gen_cmdline(const struct proc *p, char *b, size_t n) {
  size_t len = MIN(p->arg_end - p->arg_start, n);
  if (!p->vm || p->arg_end <= p->arg_start)
    return 0;
  return vm_copy(p->vm, p->arg_start, b, len, false, false);
}

// One processor, as CPUID describes it.
static int gen_cpuinfo(char *b, size_t n) {
  uint32_t vendor[4] = {0}, brand[13] = {0}, a, bx, c, d;
  cpuid(0, &a, &vendor[0], &vendor[2], &vendor[1]); // the vendor string: ebx, edx, ecx
  for (uint32_t leaf = 0; leaf < 3; leaf++)
    cpuid(0x80000002 + leaf, &brand[4 * leaf], &brand[4 * leaf + 1], &brand[4 * leaf + 2],
          &brand[4 * leaf + 3]);
  cpuid(1, &a, &bx, &c, &d);
  return ksnprintf(b, n, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
                   "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %lu\nflags\t\t: fpu tsc cx8 "
                   "cmov mmx fxsr sse sse2 syscall lm%s\n\n",
                   (char *)vendor, (a >> 8) & 0xf, (a >> 4) & 0xf, (char *)brand, a & 0xf,
                   tsc_mhz(), cpu_has_nx() ? " nx" : "");
}

static int gen_system(enum qid id, char *b, size_t n) {
  uint64_t t = ticks, total = pages_total() * 4, free = pages_free() * 4;
  int nproc = 0;
  for (int i = 0; i < NPROC; i++)
    nproc += proctab[i] != NULL;
  switch (id) {
  case Q_MEMINFO:
    return ksnprintf(b, n, "MemTotal:%16lu kB\nMemFree:%17lu kB\nMemAvailable:%12lu kB\n"
                     "Buffers:%17d kB\nCached:%18d kB\nSwapTotal:%15d kB\nSwapFree:%16d kB\n"
                     "Shmem:%19d kB\n", total, free, free, 0, 0, 0, 0, 0);
  case Q_UPTIME:
    return ksnprintf(b, n, "%lu.%02lu %lu.%02lu\n", t / HZ, t % HZ, idle_ticks / HZ, idle_ticks % HZ);
  case Q_MOUNTS: // what statfs(2) reports on: the three trees of the root scheme
    return ksnprintf(b, n, "rootfs / rootfs ro 0 0\ntmpfs /tmp tmpfs rw 0 0\n"
                     "proc /proc proc rw 0 0\n");
  case Q_CPUINFO:
    return gen_cpuinfo(b, n);
  case Q_LOADAVG:
    return ksnprintf(b, n, "0.00 0.00 0.00 1/%d %d\n", nproc, last_pid());
  default:
    return ksnprintf(b, n, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\ncpu0 %lu 0 0 %lu 0 0 0 0 0 0\n"
                     "processes %d\nprocs_running 1\nprocs_blocked 0\nbtime %lu\n",
                     t - idle_ticks, idle_ticks, t - idle_ticks, idle_ticks, nproc, boot_epoch);
  }
}

#define TEXT_MAX 16384

// Make the text of a text file (at offset 0, so a reader sees one consistent snapshot).
static int make_text(struct handle *h) {
  struct proc *p = h->pid ? target_or_zombie(h) : NULL;
  if (h->pid && !p)
    return -ESRCH;
  if (!h->text && !(h->text = kmalloc(TEXT_MAX)))
    return -ENOMEM;
  int len;
  switch (h->id) {
  case Q_STATUS: len = gen_status(p, h->text, TEXT_MAX); break;
  case Q_STAT: len = gen_stat(p, h->text, TEXT_MAX); break;
  case Q_MAPS: len = gen_maps(p, h->text, TEXT_MAX); break;
  case Q_CMDLINE: len = gen_cmdline(p, h->text, TEXT_MAX); break;
  default: len = gen_system(h->id, h->text, TEXT_MAX); break;
  }
  h->textlen = MIN((size_t)len, TEXT_MAX);
  return 0;
}

static bool is_text(enum qid id) {
  return id == Q_STATUS || id == Q_STAT || id == Q_MAPS || id == Q_CMDLINE || id == Q_MEMINFO ||
         id == Q_UPTIME || id == Q_LOADAVG || id == Q_SYSSTAT || id == Q_MOUNTS || id == Q_CPUINFO;
}

// ---- registers and memory ----
// May the caller change t now? It must hold t's session, and t must be in a trace stop.
static int may_change(struct proc *t) {
  if (!is_tracer(myproc(), t) || t->state != P_TRACED)
    return -EBUSY;
  return 0;
}

static long read_bytes(const void *src, size_t size, void *buf, size_t n, uint64_t off) {
  if (off >= size)
    return 0;
  n = MIN(n, size - off);
  memcpy(buf, (const char *)src + off, n);
  return n;
}

static long copyout_bytes(const void *src, size_t size, uint64_t ubuf, size_t n, uint64_t off) {
  if (off >= size)
    return 0;
  n = MIN(n, size - off);
  return copyout(ubuf, (const char *)src + off, n) < 0 ? -EFAULT : (long)n;
}

// Where register file id of t is, and its size (debug: gathered into dbg).
static const void *regs_of(struct proc *t, enum qid id, uint64_t dbg[6], size_t *size) {
  if (id == Q_REGS_INT) {
    *size = sizeof *t->tf;
    return t->tf;
  }
  if (id == Q_REGS_DEBUG) {
    uint64_t v[6] = {t->dr[0], t->dr[1], t->dr[2], t->dr[3], t->debug_dr6, t->dr7};
    memcpy(dbg, v, sizeof v);
    *size = sizeof v;
    return dbg;
  }
  fpu_flush(t);
  *size = sizeof t->fpu;
  return t->fpu;
}

// Into the kernel (sendfile), or (direct) straight to the user.
static long regs_read(struct proc *t, enum qid id, void *buf, size_t n, uint64_t off) {
  uint64_t dbg[6];
  size_t size;
  const void *src = regs_of(t, id, dbg, &size);
  return read_bytes(src, size, buf, n, off);
}

static __attribute__((noinline)) long regs_read_user(const struct handle *h, uint64_t ubuf, size_t n, uint64_t *off) {
  struct proc *t = target(h);
  if (!t)
    return -ESRCH;
  long r;
  if (h->id == Q_REGS_INT) { // (what a debugger reads at every stop: no detour)
    r = copyout_bytes(t->tf, sizeof *t->tf, ubuf, n, *off);
  } else {
    uint64_t dbg[6];
    size_t size;
    const void *src = regs_of(t, h->id, dbg, &size);
    r = copyout_bytes(src, size, ubuf, n, *off);
  }
  if (r > 0)
    *off += r;
  return r;
}

// A whole new register set, checked as one: nothing changes unless all of it is valid.
static long regs_write(struct proc *t, enum qid id, const void *buf, size_t n, uint64_t off) {
  int r = may_change(t);
  if (r < 0)
    return r;
  if (id == Q_REGS_INT) {
    struct trapframe nf;
    if (off != 0 || n != sizeof nf)
      return -EINVAL;
    memcpy(&nf, buf, sizeof nf);
    if ((r = regs_check(&nf, t->tf)) < 0)
      return r;
    *t->tf = nf;
    return n;
  }
  if (id == Q_REGS_DEBUG) {
    uint64_t v[6];
    if (off != 0 || n != sizeof v)
      return -EINVAL;
    memcpy(v, buf, sizeof v);
    if ((r = debugregs_check(v)) < 0)
      return r; // the old values stay
    memcpy(t->dr, v, 4 * sizeof v[0]);
    t->debug_dr6 = v[4];
    t->dr7 = v[5];
    return n;
  }
  if (off != 0 || n != sizeof t->fpu)
    return -EINVAL;
  if ((r = fpu_check(buf)) < 0)
    return r;
  memcpy(t->fpu, buf, n);
  fpu_dirty(t);
  return n;
}

static long mem_rw(struct proc *t, void *buf, size_t n, uint64_t addr, bool write) {
  if (write) {
    int r = may_change(t);
    if (r < 0)
      return r;
  }
  if (n == 0)
    return 0;
  if (!user_range_ok(addr, 1) || !t->vm)
    return -EIO;
  size_t done = vm_copy(t->vm, addr, buf, n, write, write);
  return done ? (long)done : -EIO;
}

// ---- the scheme's operations ----
static bool is_regs(enum qid id) { return id == Q_REGS_INT || id == Q_REGS_FLOAT || id == Q_REGS_DEBUG; }

// The calls a tracer makes at every stop, done directly (struct scheme): reading an
// event, reading registers, writing flags. The rest goes through proc_read/proc_write.
static long proc_read_direct(struct file *f, uint64_t ubuf, size_t n, uint64_t *off) {
  struct handle *h = f->priv;
  if (h->id == Q_TRACE)
    return trace_read(h->trace, ubuf, n, f->flags & O_NONBLOCK);
  if (is_regs(h->id))
    return regs_read_user(h, ubuf, n, off);
  return bounce_io(f, ubuf, n, off, false);
}

static long proc_write_direct(struct file *f, uint64_t ubuf, size_t n, uint64_t *off) {
  struct handle *h = f->priv;
  return h->id == Q_TRACE ? trace_write(h->trace, ubuf, n) : bounce_io(f, ubuf, n, off, true);
}

// Reads and writes from inside the kernel (sendfile) and the bounce path. A session's
// events and flags move only by read(2) and write(2) (proc_read_direct).
static long proc_read(struct file *f, void *buf, size_t n, uint64_t off) {
  struct handle *h = f->priv;
  if (h->id == Q_TRACE)
    return -EINVAL;
  if (is_text(h->id)) {
    if (off == 0 || !h->text) {
      int r = make_text(h);
      if (r < 0)
        return r;
    }
    return read_bytes(h->text, h->textlen, buf, n, off);
  }
  struct proc *t = target(h);
  if (!t)
    return -ESRCH;
  if (h->id == Q_MEM)
    return mem_rw(t, buf, n, off, false);
  if (is_regs(h->id))
    return regs_read(t, h->id, buf, n, off);
  return -EISDIR;
}

static long proc_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  struct handle *h = f->priv;
  if (h->id == Q_TRACE)
    return -EINVAL;
  struct proc *t = target(h);
  if (!t)
    return -ESRCH;
  if (h->id == Q_MEM)
    return mem_rw(t, (void *)buf, n, off, true);
  if (is_regs(h->id))
    return regs_write(t, h->id, buf, n, off);
  if (h->id == Q_SYSFILTER)
    return trace_attached(&t->tracee) ? trace_sysset_write(trace_session(&t->tracee), buf, n) : -ESRCH;
  return -EBADF;
}

// Offsets are unsigned: in mem a file offset is an address, kernel half included.
static long proc_seek(struct file *f, int64_t off, int whence) {
  struct handle *h = f->priv;
  if (h->id == Q_TRACE)
    return -ESPIPE;
  if (whence == 0)
    f->off = off;
  else if (whence == 1)
    f->off += off;
  else
    return -EINVAL;
  return f->off;
}

static void proc_close(struct file *f) {
  struct handle *h = f->priv;
  if (h->id == Q_TRACE)
    trace_detach(h->trace);
  kfree(h->text);
  kfree(h);
}

static int proc_stat(struct file *f, struct stat *st) {
  struct handle *h = f->priv;
  struct proc *t = h->pid ? target(h) : NULL;
  if (h->pid && !t)
    return -ESRCH;
  *st = (struct stat){.st_dev = 3, .st_ino = (uint64_t)h->pid << 8 | h->id, .st_nlink = 1,
                      .st_mode = mode_of(h->id), .st_blksize = 4096};
  if (t) {
    st->st_uid = t->euid, st->st_gid = t->egid;
    st->st_mtim.tv_sec = st->st_ctim.tv_sec = boot_epoch + t->start_ticks / HZ;
  }
  return 0;
}

static long proc_readdir(struct file *f, void *buf, size_t n) {
  struct handle *h = f->priv;
  size_t used = 0;
  uint64_t i = 0;
  char name[16];
  enum qid dir = h->id;
  if (dir != Q_ROOT && dir != Q_PID && dir != Q_REGS)
    return -ENOTDIR;
  // Entries: ".", "..", the table's entries under this directory, then (root) PIDs.
  for (uint64_t k = 0; k < 2 + ARRAY_SIZE(tree) + NPROC; k++) {
    const char *nm = NULL;
    int type = 4;
    uint64_t ino = k;
    if (k < 2) {
      nm = k ? ".." : ".";
    } else if (k < 2 + ARRAY_SIZE(tree)) {
      const struct entry *e = &tree[k - 2];
      if (e->parent != dir)
        continue;
      nm = e->name, type = (e->mode & S_IFMT) >> 12;
    } else if (dir == Q_ROOT) {
      struct proc *p = proctab[k - 2 - ARRAY_SIZE(tree)];
      if (!p || p->state == P_UNUSED)
        continue;
      ksnprintf(name, sizeof name, "%d", p->pid);
      nm = name, ino = 1000 + p->pid;
    } else {
      continue;
    }
    if (i++ < f->off)
      continue;
    if (dirent_put(buf, n, &used, ino, i, type, nm, strlen(nm)) < 0)
      return used ? (long)used : -EINVAL;
    f->off = i;
  }
  return used;
}

static int proc_poll(struct file *f) {
  struct handle *h = f->priv;
  return h->id == Q_TRACE ? trace_poll(h->trace) : POLLIN | POLLOUT;
}

// proc:PID/exe and proc:self open what they point at.
static int open_link(struct file *f, enum qid id, int pid, int flags) {
  struct proc *t = proc_find(pid);
  if (id == Q_EXE) {
    if (!t || !t->exe)
      return -ENOENT;
    f->scheme = &ramfs_scheme;
    return vfs_reopen(f, t->exe, flags);
  }
  return -ENOENT;
}

long procfs_readlink(const char *rest, char *buf, size_t n) {
  enum qid id;
  int pid, r;
  const char *last = rest;
  for (const char *s = rest; *s; s++)
    if (*s == '/')
      last = s + 1;
  if (strcmp(rest, "self") == 0) { // the link itself, not walked through
    char tmp[16];
    int len = ksnprintf(tmp, sizeof tmp, "%d", myproc()->pid);
    return read_bytes(tmp, len, buf, n, 0);
  }
  if ((r = lookup(rest, &id, &pid)) < 0)
    return r;
  struct proc *t = proc_find(pid);
  if (id != Q_EXE || strcmp(last, "exe") != 0)
    return -EINVAL;
  if ((r = check_open(id, t, O_RDONLY)) < 0)
    return r;
  return t->exe ? read_bytes(t->exe, strlen(t->exe), buf, n, 0) : -ENOENT;
}

// stat by name, without opening (opening trace would attach).
static int proc_stat_path(const char *rest, bool follow, struct stat *st) {
  enum qid id;
  int pid, r = lookup(rest, &id, &pid);
  if (r < 0)
    return r;
  if (strcmp(rest, "self") == 0 && !follow)
    id = Q_SELF, pid = 0;
  else if (id == Q_EXE && follow) {
    struct proc *t = proc_find(pid);
    if ((r = check_open(id, t, O_RDONLY)) < 0)
      return r;
    return t->exe ? ramfs_stat_path(t->exe, true, st) : -ENOENT;
  }
  struct handle h = handle_on(id, pid ? proc_find(pid) : NULL);
  struct file f = {.priv = &h};
  return proc_stat(&f, st);
}

static int proc_open_any(struct file *f, const char *rest, int flags, int mode) {
  enum qid id;
  int pid, r = lookup(rest, &id, &pid);
  if (r == 0 && id == Q_EXE && !(flags & O_NOFOLLOW)) {
    struct proc *t = proc_find(pid);
    if ((r = check_open(id, t, O_RDONLY)) < 0)
      return r;
    return open_link(f, id, pid, flags);
  }
  return proc_open(f, rest, flags, mode);
}

const struct scheme proc_scheme = {
    .name = "proc", .open = proc_open_any, .read = proc_read, .write = proc_write,
    .read_direct = proc_read_direct, .write_direct = proc_write_direct,
    .seek = proc_seek, .close = proc_close, .stat = proc_stat, .readdir = proc_readdir,
    .poll = proc_poll, .unsigned_offsets = true, .stat_path = proc_stat_path,
};
