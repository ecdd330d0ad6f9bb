// proc: one scheme to look into and control processes (also /proc and /scheme/proc).
// The file tree is a table; every open handle records (pid, gen) and re-checks it on
// each operation, so a handle dies with the program it was opened on.
#include "types.h"
#include "console.h"
#include "cpu.h"
#include "elf.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "path.h"
#include "proc.h"
#include "procfs.h"
#include "ramfs.h"
#include "regs.h"
#include "scheme.h"
#include "signal.h"
#include "trace.h"
#include "tty.h"
#include "vm.h"
#include "x86.h"
#include <vitrine/procabi.h>
#include <vitrine/uname.h>

// Every file's number (its inode's low byte) and the directory it is in.
enum qid {
  Q_ROOT, Q_SELF, Q_MEMINFO, Q_UPTIME, Q_LOADAVG, Q_SYSSTAT, Q_MOUNTS, Q_CPUINFO, // proc:
  Q_PID, Q_STATUS, Q_STAT, Q_CMDLINE, Q_EXE, Q_MAPS, Q_MEM, Q_TRACE, // proc:PID/
  Q_SYSFILTER, Q_REGS, Q_REGS_INT, Q_REGS_FLOAT, Q_REGS_DEBUG,       // proc:PID/regs/
  Q_FD, Q_FDINFO, Q_FDLINK, Q_FDINFO_N, // proc:PID/fd/N, proc:PID/fdinfo/N
  Q_VERSION, Q_SYSDIR, Q_KERNDIR, Q_PIDMAX, Q_TAINTED, Q_COREPAT, Q_OSTYPE, Q_OSRELEASE,
  Q_KVERSION, Q_HOSTNAME, // proc:sys/kernel/
  Q_COMM,
  Q_TASK, // proc:PID/task/
  Q_AUXV, Q_ROOTLINK, Q_CWDLINK,                                     // proc:PID/
};
// What sort of file an entry is: the one thing every operation switches on.
enum kind {
  K_DIR,        // proc:, proc:PID, proc:PID/regs
  K_LINK,       // self, exe: opening one opens what it points at
  K_TEXT,       // made whole at offset 0 by the entry's gen
  K_MEM,        // the address space; the offset is the address
  K_TRACE,      // a tracing session (trace.c)
  K_SYSFILTER,  // the session's syscall set
  K_REGS_INT, K_REGS_FLOAT, K_REGS_DEBUG, // the register files
};
enum access { A_ANY, A_LOOK, A_TRACE }; // A_LOOK: may look inside (regs, mem, maps, exe)

struct entry {
  const char *name;
  enum qid id, parent;
  enum kind kind;
  uint32_t mode;
  enum access access;
  int (*gen)(const struct proc *p, char *b, size_t n); // K_TEXT: p is NULL in proc: itself
};

struct handle {
  const struct entry *e; // what it was opened on, found once at open
  int pid;       // 0 for the files of proc: itself
  int slot;      // the target's slot in proctab (-1: none), to find it in one step
  uint64_t gen;  // the target's gen at open
  char *text;    // text files: the contents, made at offset 0
  size_t textlen, textcap;
  struct trace *trace; // Q_TRACE: the session
  uint64_t session;    // Q_SYSFILTER: the session it was opened under (trace_session_id)
  bool zombie;   // the target had exited when the handle was opened
  int fd;        // proc:PID/fd/N and fdinfo/N: N (else -1)
  uint64_t vm_id; // /proc/PID/mem (Linux's): the address space it was opened on (vm.id),
                  // 0 for proc:PID/mem (the program's: docs/proc.md)
};


// Does process me hold (as an open descriptor) the session tracing t? That is what
// being the tracer means: whoever holds the session may change the tracee.
static bool is_tracer(const struct proc *me, const struct proc *t) {
  const struct trace *s = trace_session(&t->tracee);
  if (trace_owner(&t->tracee)) // a ptrace(2) session: its owner is the tracer
    return trace_owner(&t->tracee) == me;
  for (int fd = 0; s && fd < NOFILE; fd++) {
    struct file *f = file_of(me, fd);
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

// Is p a thread of a's process, or of a process a's process started? (Parents are
// group leaders.)
static bool is_ancestor_or_self(const struct proc *a, const struct proc *p) {
  for (p = p->leader; p; p = p->parent)
    if (p == a->leader)
      return true;
  return false;
}

// The same real, effective and saved uids and gids: the looker could become the
// target by set*id calls alone, so looking grants it nothing.
static bool same_ids(const struct proc *me, const struct proc *t) {
  return me->ruid == t->ruid && me->euid == t->euid && me->suid == t->suid &&
         me->rgid == t->rgid && me->egid == t->egid && me->sgid == t->sgid;
}

// Linux's ptrace access rule, made strict: root, or a process with the target's ids
// (same_ids), which started the target, and whose target holds no privilege its real
// ids lack (dumpable, decided at exec).
bool procfs_may_look(const struct proc *me, const struct proc *t) {
  if (me->euid == 0)
    return true;
  return t->dumpable && same_ids(me, t) && is_ancestor_or_self(me, t);
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

// The name Linux prints after the letter in status's State: line.
static const char *state_name(char letter) {
  switch (letter) {
  case 'R': return "running";
  case 'S': return "sleeping";
  case 'T': return "stopped";
  case 't': return "tracing stop";
  case 'Z': return "zombie";
  default: return "unknown";
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
    uint64_t h = p->sighand->act[s - 1].handler;
    if (handler_kind == SIG_IGN ? h == SIG_IGN : h > SIG_IGN)
      m |= SIGBIT(s);
  }
  return m;
}

static int status_linux(const struct proc *p, char *b, size_t n);
static int gen_status(const struct proc *p, char *b, size_t n) {
  int len = ksnprintf(b, n,
      "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n"
      "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nVmSize:\t%lu kB\nVmRSS:\t%lu kB\n"
      "Threads:\t%d\nSigPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n"
      "TraceStop:\t%s\n",
      p->name, p->fs->umask, state_letter(p), state_name(state_letter(p)), p->tgid, p->pid, p->parent ? p->parent->pid : 0,
      tracer_pid(p), p->ruid, p->euid, p->suid, p->euid, p->rgid, p->egid, p->sgid, p->egid,
      NOFILE, vm_kib(p, false), vm_kib(p, true), p->leader->nthreads, p->pending, p->blocked,
      sigmask_of(p, SIG_IGN),
      sigmask_of(p, 2), stop_name(p->state == P_TRACED ? trace_stop_cause(&p->tracee) : 0));
  return len + status_linux(p, b + MIN((size_t)len, n), n > (size_t)len ? n - len : 0);
}

// Sizes of p's areas of one kind (VMA_*), and of its writable private areas (-1).
static uint64_t vm_kib_of(const struct proc *p, int kind) {
  uint64_t kib = 0;
  for (const struct vma *a = p->vm ? p->vm->vmas : NULL; a; a = a->next)
    if (kind < 0 ? a->kind != VMA_SHARED && a->kind != VMA_STACK && (a->prot & PROT_WRITE)
                 : a->kind == kind && (kind != VMA_FILE || (a->prot & PROT_EXEC)))
      kib += (a->end - a->start) / 1024;
  return kib;
}

// The rest of the fields Linux 6.1 (the release uname reports) has in status, after
// Vitrine's own: programs look them up by name. Vitrine keeps no peaks (VmPeak, VmHWM
// are the sizes now), locks no pages, has no swap, namespaces or seccomp, counts no
// context switches, and keeps no page-table or file-page counts (docs/proc.md).
static int status_linux(const struct proc *p, char *b, size_t n) {
  uint64_t caps = p->euid == 0 ? 0x1ffffffffffull : 0, rss = vm_kib(p, true);
  int len = ksnprintf(b, n, "Ngid:\t0\nGroups:\t");
  for (int i = 0; i < p->ngroups; i++)
    len += ksnprintf(b + MIN((size_t)len, n), n > (size_t)len ? n - len : 0, "%u ", p->groups[i]);
  return len + ksnprintf(b + MIN((size_t)len, n), n > (size_t)len ? n - len : 0,
      "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nVmPeak:\t%lu kB\nVmLck:\t0 kB\n"
      "VmPin:\t0 kB\nVmHWM:\t%lu kB\nRssAnon:\t%lu kB\nRssFile:\t0 kB\nRssShmem:\t0 kB\n"
      "VmData:\t%lu kB\nVmStk:\t%lu kB\nVmExe:\t%lu kB\nVmLib:\t0 kB\nVmPTE:\t0 kB\n"
      "VmSwap:\t0 kB\nHugetlbPages:\t0 kB\nCoreDumping:\t0\nTHP_enabled:\t0\nSigQ:\t%d/%d\n"
      "ShdPnd:\t0000000000000000\nCapInh:\t0000000000000000\nCapPrm:\t%016lx\nCapEff:\t%016lx\n"
      "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
      "Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tunknown\n"
      "SpeculationIndirectBranch:\tunknown\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n"
      "Mems_allowed:\t1\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\n"
      "nonvoluntary_ctxt_switches:\t0\n",
      p->pid, p->pid, p->pgid, p->sid, vm_kib(p, false), rss, rss, vm_kib_of(p, -1),
      vm_kib_of(p, VMA_STACK), vm_kib_of(p, VMA_FILE), __builtin_popcountll(p->pending), NSIG,
      caps, caps);
}

static int gen_stat(const struct proc *p, char *b, size_t n) {
  return ksnprintf(b, n,
      "%d (%s) %c %d %d %d 1280 %d 4194304 0 0 0 0 %lu 0 0 0 20 0 %d 0 %lu %lu %lu "
      "18446744073709551615 0 0 0 0 0 %lu %lu %lu 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
      p->pid, p->name, state_letter(p), p->parent ? p->parent->pid : 0, p->pgid, p->sid,
      tty_foreground(), p->cpu_ticks, p->leader->nthreads, p->start_ticks, vm_kib(p, false) * 1024,
      vm_kib(p, true) / 4, p->pending, p->blocked, sigmask_of(p, SIG_IGN));
}

// One line per area, as Linux: range, rights, s(hared) or p(rivate), the file offset,
// device (major:minor, hex) and inode of the file, and its path from column 74.
static int gen_maps(const struct proc *p, char *b, size_t n) {
  int len = 0;
  for (const struct vma *a = p->vm ? p->vm->vmas : NULL; a; a = a->next) {
    const struct vsrc *s = a->src;
    const char *name = s ? s->path : a->name ? a->name : a->kind == VMA_HEAP ? "[heap]"
                       : a->kind == VMA_STACK ? "[stack]" : "";
    char line[96];
    int w = ksnprintf(line, sizeof line, "%08lx-%08lx %c%c%c%c %08lx %02lx:%02lx %lu",
                      a->start, a->end, a->prot & PROT_READ ? 'r' : '-',
                      a->prot & PROT_WRITE ? 'w' : '-', a->prot & PROT_EXEC ? 'x' : '-',
                      a->kind == VMA_SHARED && !a->sealed ? 's' : 'p', s ? a->pgoff : 0, s ? s->dev >> 8 : 0,
                      s ? s->dev & 0xff : 0, s ? s->ino : 0);
    while (name[0] && w < 72 && w < (int)sizeof line - 2) // the name starts in column 74
      line[w++] = ' ';
    if (name[0])
      line[w++] = ' ';
    line[w] = 0;
    len += ksnprintf(b + MIN((size_t)len, n), n > (size_t)len ? n - len : 0, "%s%s\n", line, name);
  }
  return len;
}

// The auxiliary vector exec gave the program: (key, value) pairs of 8 bytes each,
// ending with AT_NULL, as Linux's /proc/PID/auxv.
static int gen_auxv(const struct proc *p, char *b, size_t n) {
  if (!p->vm)
    return 0;
  size_t len = p->vm->auxv_words * sizeof(uint64_t);
  memcpy(b, p->vm->auxv, MIN(n, len));
  return len; // (as the other gens: the whole length, even if n is less)
}

static int gen_comm(const struct proc *p, char *b, size_t n) {
  return ksnprintf(b, n, "%s\n", p->name);
}

static int gen_cmdline(const struct proc *p, char *b, size_t n) {
  size_t len = MIN(p->arg_end - p->arg_start, n);
  if (!p->vm || p->arg_end <= p->arg_start)
    return 0;
  return vm_copy(p->vm, p->arg_start, b, len, false, false);
}

// One processor, as CPUID describes it.
static int gen_cpuinfo(const struct proc *p, char *b, size_t n) {
  uint32_t vendor[4] = {0}, brand[13] = {0}, a, bx, c, d;
  (void)p;
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

static int count_procs(void) {
  int nproc = 0;
  for (int i = 0; i < NPROC; i++)
    nproc += proctab[i] != NULL;
  return nproc;
}

// The files of proc: itself (p is NULL).
// As Linux's: Cached is the page cache (the archive's cached pages) with the tmpfs
// files' data (Shmem); MemAvailable adds to MemFree the cached pages no mapping holds,
// and the shared read-only copies no mapping holds (vm.c), which go back as soon as
// memory runs out.
static int gen_meminfo(const struct proc *p, char *b, size_t n) {
  uint64_t total = pages_total() * 4, free = pages_free() * 4, frames, unmapped;
  ramfs_cache_stats(&frames, &unmapped);
  uint64_t shmem = (ramfs_bytes(2) + ramfs_bytes(4)) / 1024; // (/tmp and /dev/shm)
  (void)p;
  return ksnprintf(b, n, "MemTotal:%16lu kB\nMemFree:%17lu kB\nMemAvailable:%12lu kB\n"
                   "Buffers:%17d kB\nCached:%18lu kB\nSwapTotal:%15d kB\nSwapFree:%16d kB\n"
                   "Shmem:%19lu kB\n", total, free, free + (unmapped + vm_ro_unmapped()) * 4, 0,
                   frames * 4 + shmem,
                   0, 0, shmem);
}

static int gen_uptime(const struct proc *p, char *b, size_t n) {
  uint64_t t = ticks;
  (void)p;
  return ksnprintf(b, n, "%lu.%02lu %lu.%02lu\n", t / HZ, t % HZ, idle_ticks / HZ, idle_ticks % HZ);
}

// What statfs(2) reports on: the three trees of the root scheme.
static int gen_mounts(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "rootfs / rootfs ro 0 0\ntmpfs /tmp tmpfs rw 0 0\n"
                   "proc /proc proc rw 0 0\ntmpfs /dev/shm tmpfs rw 0 0\n");
}

static int gen_loadavg(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "0.00 0.00 0.00 1/%d %d\n", count_procs(), last_pid());
}

static int gen_sysstat(const struct proc *p, char *b, size_t n) {
  uint64_t t = ticks;
  (void)p;
  return ksnprintf(b, n, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\ncpu0 %lu 0 0 %lu 0 0 0 0 0 0\n"
                   "processes %d\nprocs_running 1\nprocs_blocked 0\nbtime %lu\n",
                   t - idle_ticks, idle_ticks, t - idle_ticks, idle_ticks, count_procs(),
                   boot_epoch);
}

// The system's identity (uname.h) and settings (proc:sys/kernel/), read-only.
static int gen_version(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "%s version %s (%s) %s\n", UNAME_SYSNAME, UNAME_RELEASE, UNAME_VITRINE,
                   UNAME_VERSION);
}
static int gen_pid_max(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "%d\n", PID_MAX);
}
static int gen_tainted(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "0\n");
}
static int gen_core_pattern(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "core\n"); // Linux's default; Vitrine writes no core files
}
static int gen_ostype(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "%s\n", UNAME_SYSNAME);
}
static int gen_osrelease(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "%s\n", UNAME_RELEASE);
}
static int gen_kversion(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "%s\n", UNAME_VERSION);
}
static int gen_hostname(const struct proc *p, char *b, size_t n) {
  (void)p;
  return ksnprintf(b, n, "vitrine\n"); // uname's nodename (sys_uname)
}

// ---- descriptors: proc:PID/fd/N (a link to what N is open on), proc:PID/fdinfo/N ----
static int handle_name(const struct handle *h, const struct entry *e, char *b, size_t n);

// The name Linux shows for an open file: its path, pipe:[INO], socket:[INO], or (a
// file of a scheme with no device node) "name:".
static int file_name(struct file *f, char *b, size_t n) {
  struct stat st = {0};
  if (f->scheme == &ramfs_scheme)
    return ramfs_name(f, b, n);
  if (f->scheme == &proc_scheme)
    return handle_name(f->priv, ((struct handle *)f->priv)->e, b, n);
  if (f->scheme->stat && f->scheme->stat(f, &st) == 0 &&
      ((st.st_mode & S_IFMT) == S_IFIFO || (st.st_mode & S_IFMT) == S_IFSOCK))
    return ksnprintf(b, n, "%s:[%lu]", (st.st_mode & S_IFMT) == S_IFIFO ? "pipe" : "socket", st.st_ino);
  int r = ramfs_device_name(f->scheme->name, b, n);
  return r >= 0 ? r : ksnprintf(b, n, "%s:", f->scheme->name);
}

// fdinfo: the offset, the flags as Linux keeps them (O_LARGEFILE on everything open(2)
// opens, O_CLOEXEC from the descriptor, no open-time-only flags), the file system and inode.
#define O_LARGEFILE_K 0100000
static int gen_fdinfo(const struct proc *p, int fd, char *b, size_t n) {
  struct file *f = file_of(p, fd);
  struct stat st = {0};
  if (!f)
    return 0; // closed since the open
  if (f->scheme->stat)
    f->scheme->stat(f, &st);
  int flags = f->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);
  if ((st.st_mode & S_IFMT) != S_IFIFO && (st.st_mode & S_IFMT) != S_IFSOCK)
    flags |= O_LARGEFILE_K;
  if (p->fdt->cloexec[fd / 64] >> (fd % 64) & 1)
    flags |= O_CLOEXEC;
  return ksnprintf(b, n, "pos:\t%lu\nflags:\t0%o\nmnt_id:\t%lu\nino:\t%lu\n", f->off, flags,
                   st.st_dev, st.st_ino);
}

// ---- the tree ----
// Every file but the two kinds of directory that are not found by name (proc: and
// proc:PID), with its kind: what it is is decided here, once.
static const struct entry root_dir = {"", Q_ROOT, Q_ROOT, K_DIR, S_IFDIR | 0555, A_ANY, NULL};
static const struct entry pid_dir = {"", Q_PID, Q_ROOT, K_DIR, S_IFDIR | 0555, A_ANY, NULL};

static const struct entry tree[] = {
    {"self", Q_SELF, Q_ROOT, K_LINK, S_IFLNK | 0777, A_ANY, NULL},
    {"meminfo", Q_MEMINFO, Q_ROOT, K_TEXT, S_IFREG | 0444, A_ANY, gen_meminfo},
    {"uptime", Q_UPTIME, Q_ROOT, K_TEXT, S_IFREG | 0444, A_ANY, gen_uptime},
    {"loadavg", Q_LOADAVG, Q_ROOT, K_TEXT, S_IFREG | 0444, A_ANY, gen_loadavg},
    {"stat", Q_SYSSTAT, Q_ROOT, K_TEXT, S_IFREG | 0444, A_ANY, gen_sysstat},
    {"mounts", Q_MOUNTS, Q_ROOT, K_TEXT, S_IFREG | 0444, A_ANY, gen_mounts},
    {"cpuinfo", Q_CPUINFO, Q_ROOT, K_TEXT, S_IFREG | 0444, A_ANY, gen_cpuinfo},
    {"status", Q_STATUS, Q_PID, K_TEXT, S_IFREG | 0444, A_ANY, gen_status},
    {"stat", Q_STAT, Q_PID, K_TEXT, S_IFREG | 0444, A_ANY, gen_stat},
    {"cmdline", Q_CMDLINE, Q_PID, K_TEXT, S_IFREG | 0444, A_ANY, gen_cmdline},
    {"exe", Q_EXE, Q_PID, K_LINK, S_IFLNK | 0777, A_LOOK, NULL},
    {"maps", Q_MAPS, Q_PID, K_TEXT, S_IFREG | 0444, A_LOOK, gen_maps},
    {"auxv", Q_AUXV, Q_PID, K_TEXT, S_IFREG | 0400, A_LOOK, gen_auxv},
    {"root", Q_ROOTLINK, Q_PID, K_LINK, S_IFLNK | 0777, A_LOOK, NULL},
    {"cwd", Q_CWDLINK, Q_PID, K_LINK, S_IFLNK | 0777, A_LOOK, NULL},
    {"mem", Q_MEM, Q_PID, K_MEM, S_IFREG | 0600, A_LOOK, NULL},
    {"trace", Q_TRACE, Q_PID, K_TRACE, S_IFREG | 0600, A_TRACE, NULL},
    {"sysfilter", Q_SYSFILTER, Q_PID, K_SYSFILTER, S_IFREG | 0200, A_TRACE, NULL},
    {"regs", Q_REGS, Q_PID, K_DIR, S_IFDIR | 0555, A_ANY, NULL},
    {"task", Q_TASK, Q_PID, K_DIR, S_IFDIR | 0555, A_ANY, NULL},
    {"int", Q_REGS_INT, Q_REGS, K_REGS_INT, S_IFREG | 0600, A_LOOK, NULL},
    {"float", Q_REGS_FLOAT, Q_REGS, K_REGS_FLOAT, S_IFREG | 0600, A_LOOK, NULL},
    {"debug", Q_REGS_DEBUG, Q_REGS, K_REGS_DEBUG, S_IFREG | 0600, A_LOOK, NULL},
    {"fd", Q_FD, Q_PID, K_DIR, S_IFDIR | 0500, A_LOOK, NULL},
    {"fdinfo", Q_FDINFO, Q_PID, K_DIR, S_IFDIR | 0500, A_LOOK, NULL},
    {"version", Q_VERSION, Q_ROOT, K_TEXT, S_IFREG | 0444, A_ANY, gen_version},
    {"sys", Q_SYSDIR, Q_ROOT, K_DIR, S_IFDIR | 0555, A_ANY, NULL},
    {"kernel", Q_KERNDIR, Q_SYSDIR, K_DIR, S_IFDIR | 0555, A_ANY, NULL},
    {"pid_max", Q_PIDMAX, Q_KERNDIR, K_TEXT, S_IFREG | 0444, A_ANY, gen_pid_max},
    {"tainted", Q_TAINTED, Q_KERNDIR, K_TEXT, S_IFREG | 0444, A_ANY, gen_tainted},
    {"core_pattern", Q_COREPAT, Q_KERNDIR, K_TEXT, S_IFREG | 0444, A_ANY, gen_core_pattern},
    {"ostype", Q_OSTYPE, Q_KERNDIR, K_TEXT, S_IFREG | 0444, A_ANY, gen_ostype},
    {"osrelease", Q_OSRELEASE, Q_KERNDIR, K_TEXT, S_IFREG | 0444, A_ANY, gen_osrelease},
    {"version", Q_KVERSION, Q_KERNDIR, K_TEXT, S_IFREG | 0444, A_ANY, gen_kversion},
    {"hostname", Q_HOSTNAME, Q_KERNDIR, K_TEXT, S_IFREG | 0444, A_ANY, gen_hostname},
    {"comm", Q_COMM, Q_PID, K_TEXT, S_IFREG | 0444, A_ANY, gen_comm},
};
// The entries of proc:PID/fd and fdinfo, found by number (lookup), not in the table.
static const struct entry fd_link = {"", Q_FDLINK, Q_FD, K_LINK, S_IFLNK | 0700, A_LOOK, NULL};
static const struct entry fdinfo_file = {"", Q_FDINFO_N, Q_FDINFO, K_TEXT, S_IFREG | 0444,
                                         A_LOOK, NULL}; // (made by gen_fdinfo)

static const struct entry *parent_entry(const struct entry *e) {
  for (size_t i = 0; i < ARRAY_SIZE(tree); i++)
    if (tree[i].id == e->parent)
      return &tree[i];
  return e->parent == Q_PID ? &pid_dir : &root_dir;
}

// The /proc path of entry e of handle h's process (the name a descriptor shows).
static int handle_name(const struct handle *h, const struct entry *e, char *b, size_t n) {
  if (e->id == Q_ROOT || e->id == Q_PID)
    return e->id == Q_ROOT ? ksnprintf(b, n, "/proc") : ksnprintf(b, n, "/proc/%d", h->pid);
  size_t len = handle_name(h, parent_entry(e), b, n); // (at most 4 levels)
  if (len >= n)
    return len;
  return len + (e->name[0] ? ksnprintf(b + len, n - len, "/%s", e->name)
                           : ksnprintf(b + len, n - len, "/%d", h->fd));
}

static const struct entry *find_entry(enum qid dir, const char *name, size_t len) {
  for (size_t i = 0; i < ARRAY_SIZE(tree); i++)
    if (tree[i].parent == dir && strlen(tree[i].name) == len && !memcmp(tree[i].name, name, len))
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

// Resolve rest ("", "self/regs/int", "12/mem", "12/task/13/regs/int", ...) to its entry
// and the thread it is about (*t: NULL for the files of proc: itself). Any thread's id
// names its directory (proc:TID/), as on Linux, where only leaders are listed.
static int lookup(const char *rest, const struct entry **e, struct proc **t, int *fd) {
  const char *comp, *p = rest;
  size_t len;
  int pid = 0;
  *e = &root_dir, *fd = -1;
  while ((p = path_next(p, &comp, &len))) {
    bool in_task = (*e)->id == Q_TASK;
    int n = *e == &root_dir || in_task ? parse_pid(comp, len) : -1;
    if (n > 0) {
      // proc:PID/task/TID: a thread of PID's group only.
      struct proc *g = in_task ? proc_find(pid) : NULL, *th = in_task ? proc_find(n) : NULL;
      if (in_task && (!g || !th || th->tgid != g->tgid))
        return -ENOENT;
      *e = &pid_dir, pid = n;
      continue;
    }
    if (*e == &root_dir && len == 4 && !memcmp(comp, "self", 4)) {
      *e = &pid_dir, pid = myproc()->tgid; // walking through the link (the process)
      continue;
    }
    const struct entry *c = (*e)->kind == K_DIR ? find_entry((*e)->id, comp, len) : NULL;
    if (!c && ((*e)->id == Q_FD || (*e)->id == Q_FDINFO) && (*fd = parse_pid(comp, len)) >= 0 &&
        *fd < NOFILE)
      c = (*e)->id == Q_FD ? &fd_link : &fdinfo_file;
    if (!c)
      return -ENOENT;
    *e = c;
  }
  *t = pid ? proc_find(pid) : NULL;
  if (*fd >= 0 && *t && !procfs_may_look(myproc(), *t))
    return -EACCES; // (fd/ and fdinfo/ are not searchable: which are open is not told)
  if (*fd >= 0 && *t && !file_of(*t, *fd))
    return -ENOENT; // not open
  return pid && !*t ? -ENOENT : 0;
}

// ---- opening ----
static int check_open(const struct entry *e, struct proc *t, int flags) {
  struct proc *me = myproc();
  bool writing = (flags & O_ACCMODE) != O_RDONLY;
  if (e->kind == K_DIR && writing)
    return -EISDIR;
  if (writing && !(e->mode & 0222))
    return -EACCES;
  if (e->access == A_ANY || !t)
    return 0;
  if (e->access == A_TRACE && (t == me || t == initproc))
    return -EPERM;
  if (e->access == A_TRACE && t->state == P_ZOMBIE)
    return -ESRCH;
  return procfs_may_look(me, t) ? 0 : -EACCES;
}

// A handle on entry e of process t (NULL: a file of proc: itself).
static struct handle handle_on(const struct entry *e, struct proc *t, int fd) {
  return (struct handle){.e = e, .pid = t ? t->pid : 0, .slot = t ? proc_slot(t) : -1,
                         .gen = t ? t->gen : 0, .zombie = t && t->state == P_ZOMBIE, .fd = fd};
}

static int open_entry(struct file *f, const struct entry *e, struct proc *t, int fd, int flags) {
  int r = check_open(e, t, flags);
  if (r < 0)
    return r;
  if (e->kind == K_SYSFILTER && !is_tracer(myproc(), t))
    return -EPERM; // only the tracer sets the filter
  bool linux_mem = e->kind == K_MEM && f->mounted;
  if (linux_mem && (t->state == P_ZOMBIE || !t->vm))
    return -ESRCH; // (Linux: an exited process has no address space to open)
  struct handle *h = kmalloc(sizeof *h);
  if (!h)
    return -ENOMEM;
  *h = handle_on(e, t, fd);
  h->vm_id = linux_mem ? t->vm->id : 0;
  h->session = e->kind == K_SYSFILTER ? trace_session_id(&t->tracee) : 0;
  f->priv = h;
  if (e->kind == K_TRACE && (r = trace_attach(t, flags, &h->trace)) < 0) {
    kfree(h);
    return r;
  }
  return 0;
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

// The size of register file k: it is read and written whole.
static size_t regs_size(enum kind k) {
  switch (k) {
  case K_REGS_INT: return sizeof(struct trapframe);
  case K_REGS_DEBUG: return 6 * sizeof(uint64_t); // dr0..dr3, dr6, dr7
  default: return sizeof ((struct proc *)0)->fpu;
  }
}

// Where register file k of t is (debug: gathered into dbg).
static const void *regs_of(struct proc *t, enum kind k, uint64_t dbg[6]) {
  switch (k) {
  case K_REGS_INT:
    return t->tf;
  case K_REGS_DEBUG: {
    uint64_t v[6] = {t->dr[0], t->dr[1], t->dr[2], t->dr[3], t->debug_dr6, t->dr7};
    memcpy(dbg, v, sizeof v);
    return dbg;
  }
  default:
    fpu_flush(t);
    return t->fpu;
  }
}

// Into the kernel (sendfile), or (direct) straight to the user.
static long regs_read(struct proc *t, enum kind k, void *buf, size_t n, uint64_t off) {
  uint64_t dbg[6];
  return read_bytes(regs_of(t, k, dbg), regs_size(k), buf, n, off);
}

static __attribute__((noinline)) long regs_copyout(struct proc *t, enum kind k, uint64_t ubuf,
                                                   size_t n, uint64_t off) {
  uint64_t dbg[6];
  return copyout_bytes(regs_of(t, k, dbg), regs_size(k), ubuf, n, off);
}

static __attribute__((noinline)) long regs_read_user(const struct handle *h, uint64_t ubuf, size_t n, uint64_t *off) {
  struct proc *t = target(h);
  if (!t)
    return -ESRCH;
  long r;
  if (h->e->kind == K_REGS_INT) // (what a debugger reads at every stop: no detour)
    r = copyout_bytes(t->tf, sizeof *t->tf, ubuf, n, *off);
  else
    r = regs_copyout(t, h->e->kind, ubuf, n, *off);
  if (r > 0)
    *off += r;
  return r;
}

// A whole new register set, written at offset 0, only by the tracer, only in a stop.
static long regs_write(struct proc *t, enum kind k, const void *buf, size_t n, uint64_t off) {
  int r = may_change(t);
  if (r < 0)
    return r;
  if (off != 0 || n != regs_size(k))
    return -EINVAL;
  switch (k) {
  case K_REGS_INT: r = regs_set_int(t, buf); break;
  case K_REGS_DEBUG: r = regs_set_debug(t, buf); break;
  default: r = regs_set_float(t, buf); break;
  }
  return r < 0 ? r : (long)n;
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

// /proc/PID/mem, Linux's: the permission was checked at open (check_open: the looker's
// rule, Linux's PTRACE_MODE_ATTACH), and the file stays on the address space it was
// opened on, not on the process: once no thread uses that space any more (the target
// exec'd or exited) it reads and writes nothing (0, as Linux). Writes are forced, as
// Linux's FOLL_FORCE: read-only pages are written through a private copy.
static struct vm *handle_vm(const struct handle *h) {
  struct proc *p = proctab[h->slot]; // (the thread it was opened on, most often)
  if (p && p->vm && p->vm->id == h->vm_id)
    return p->vm;
  for (int i = 0; i < NPROC; i++) // (another thread, or a vfork child, may still use it)
    if (proctab[i] && proctab[i]->vm && proctab[i]->vm->id == h->vm_id)
      return proctab[i]->vm;
  return NULL;
}

static long linux_mem_rw(const struct handle *h, void *buf, size_t n, uint64_t addr, bool write) {
  struct vm *vm = handle_vm(h);
  if (!vm || n == 0)
    return 0;
  if (!user_range_ok(addr, 1))
    return -EIO;
  size_t done = vm_copy(vm, addr, buf, n, write, write);
  return done ? (long)done : -EIO;
}

#define TEXT_MIN 16384 // most text files fit: one allocation

// Make the text of a text file (at offset 0, so a reader sees one consistent snapshot,
// whole however long: a generator says how much it needed, and a text that did not fit
// is made again in a buffer of that size).
static int make_text(struct handle *h) {
  struct proc *p = h->pid ? target_or_zombie(h) : NULL;
  if (h->pid && !p)
    return -ESRCH;
  size_t need = MAX(h->textcap, TEXT_MIN);
  for (;;) {
    if (h->textcap < need) {
      kfree(h->text);
      h->textcap = 0;
      if (!(h->text = kmalloc(need)))
        return -ENOMEM;
      h->textcap = need;
    }
    size_t len = h->e == &fdinfo_file ? gen_fdinfo(p, h->fd, h->text, h->textcap)
                                      : h->e->gen(p, h->text, h->textcap);
    if (len < h->textcap) { // (equal: the final NUL did not fit, the text may be cut)
      h->textlen = len;
      return 0;
    }
    need = ALIGN_UP(len + 1, PAGE_SIZE); // it did not fit: again, at the size it asked for
  }
}

// ---- the scheme's operations ----
// The calls a tracer makes at every stop, done directly (struct scheme): reading an
// event, reading registers, writing flags. The rest goes through proc_read/proc_write.
static long proc_read_direct(struct file *f, uint64_t ubuf, size_t n, uint64_t *off) {
  struct handle *h = f->priv;
  switch (h->e->kind) {
  case K_TRACE: return trace_read(h->trace, ubuf, n, f->flags & O_NONBLOCK);
  case K_REGS_INT: case K_REGS_FLOAT: case K_REGS_DEBUG: return regs_read_user(h, ubuf, n, off);
  default: return bounce_io(f, ubuf, n, off, false);
  }
}

static long proc_write_direct(struct file *f, uint64_t ubuf, size_t n, uint64_t *off) {
  struct handle *h = f->priv;
  return h->e->kind == K_TRACE ? trace_write(h->trace, ubuf, n) : bounce_io(f, ubuf, n, off, true);
}

static long text_read(struct handle *h, void *buf, size_t n, uint64_t off) {
  if (off == 0 || !h->text) {
    int r = make_text(h);
    if (r < 0)
      return r;
  }
  return read_bytes(h->text, h->textlen, buf, n, off);
}

// Reads and writes from inside the kernel (sendfile) and the bounce path. A session's
// events and flags move only by read(2) and write(2) (proc_read_direct).
static long proc_read(struct file *f, void *buf, size_t n, uint64_t off) {
  struct handle *h = f->priv;
  struct proc *t;
  switch (h->e->kind) {
  case K_TRACE: return -EINVAL;
  case K_TEXT: return text_read(h, buf, n, off);
  case K_MEM:
    if (h->vm_id)
      return linux_mem_rw(h, buf, n, off, false);
    return (t = target(h)) ? mem_rw(t, buf, n, off, false) : -ESRCH;
  case K_REGS_INT: case K_REGS_FLOAT: case K_REGS_DEBUG:
    return (t = target(h)) ? regs_read(t, h->e->kind, buf, n, off) : -ESRCH;
  default: return target(h) ? -EISDIR : -ESRCH;
  }
}

static long proc_write(struct file *f, const void *buf, size_t n, uint64_t off) {
  struct handle *h = f->priv;
  if (h->e->kind == K_TRACE)
    return -EINVAL;
  if (h->vm_id)
    return linux_mem_rw(h, (void *)buf, n, off, true);
  struct proc *t = target(h);
  if (!t)
    return -ESRCH;
  switch (h->e->kind) {
  case K_MEM: return mem_rw(t, (void *)buf, n, off, true);
  case K_REGS_INT: case K_REGS_FLOAT: case K_REGS_DEBUG:
    return regs_write(t, h->e->kind, buf, n, off);
  case K_SYSFILTER:
    return trace_sysset_write(&t->tracee, h->session, buf, n);
  default: return -EBADF;
  }
}

// Offsets are unsigned: in mem a file offset is an address, kernel half included.
static long proc_seek(struct file *f, int64_t off, int whence) {
  struct handle *h = f->priv;
  if (h->e->kind == K_TRACE)
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
  if (h->e->kind == K_TRACE)
    trace_detach(h->trace);
  kfree(h->text);
  kfree(h);
}

static int proc_stat(struct file *f, struct stat *st) {
  struct handle *h = f->priv;
  struct proc *t = h->pid ? target(h) : NULL;
  if (h->pid && !t)
    return -ESRCH;
  *st = (struct stat){.st_dev = 3, .st_ino = (uint64_t)h->pid << 8 | h->e->id, .st_nlink = 1,
                      .st_mode = h->e->mode, .st_blksize = 4096};
  if (h->fd >= 0) { // a link shows the descriptor's access, as Linux: lr-x, l-wx, lrwx
    struct file *of = t ? file_of(t, h->fd) : NULL;
    st->st_ino += (uint64_t)(h->fd + 1) << 32;
    if (h->e->id == Q_FDLINK && of)
      st->st_mode = S_IFLNK | 0100 | (file_readable(of) ? 0400 : 0) | (file_writable(of) ? 0200 : 0);
  }
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
  enum qid dir = h->e->id;
  if (h->e->kind != K_DIR)
    return -ENOTDIR;
  // Entries: ".", "..", the table's entries under this directory, then (root) PIDs.
  struct proc *t = dir == Q_FD || dir == Q_FDINFO ? target(h) : NULL;
  for (uint64_t k = 0; k < 2 + ARRAY_SIZE(tree) + MAX(NPROC, NOFILE); k++) {
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
    } else if (t) { // fd, fdinfo: the open descriptors
      int fd = k - 2 - ARRAY_SIZE(tree);
      if (!file_of(t, fd))
        continue;
      ksnprintf(name, sizeof name, "%d", fd);
      nm = name, ino = (uint64_t)(fd + 1) << 32 | (uint64_t)t->pid << 8 | dir;
      type = dir == Q_FD ? 10 : 8;
    } else if ((dir == Q_ROOT || dir == Q_TASK) && k - 2 - ARRAY_SIZE(tree) < NPROC) {
      // proc: lists processes (group leaders), proc:PID/task the threads of PID's.
      struct proc *p = proctab[k - 2 - ARRAY_SIZE(tree)], *g = target_or_zombie(h);
      if (!p || p->state == P_UNUSED || p->state == P_DEAD)
        continue;
      if (dir == Q_ROOT ? p->leader != p : !g || p->tgid != g->tgid)
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
  return h->e->kind == K_TRACE ? trace_poll(h->trace) : POLLIN | POLLOUT;
}

// Where a link of the file tree points (real: from the tree's root): proc:PID/exe,
// root (chroot's) and cwd. NULL: not one of those, or no program (a kernel process).
static const char *tree_link(const struct entry *e, const struct proc *t) {
  if (e->id == Q_EXE)
    return t->exe;
  if (e->id == Q_ROOTLINK || e->id == Q_CWDLINK)
    return !t->fs ? NULL : e->id == Q_ROOTLINK ? t->fs->root : t->fs->cwd;
  return NULL;
}
static bool is_tree_link(const struct entry *e) {
  return e->id == Q_EXE || e->id == Q_ROOTLINK || e->id == Q_CWDLINK;
}

// proc:PID/exe, root, cwd open what they point at (proc:self is walked through by lookup).
static int open_exe(struct file *f, const struct entry *e, struct proc *t, int flags) {
  const char *target = tree_link(e, t);
  if (!target)
    return -ENOENT;
  f->scheme = &ramfs_scheme;
  return vfs_reopen(f, target, flags);
}

static long fd_readlink(struct file *f, char *buf, size_t n) {
  char *name = kmalloc(PATH_MAX_K);
  if (!name)
    return -ENOMEM;
  int len = file_name(f, name, PATH_MAX_K);
  long r = len < 0 ? len : read_bytes(name, MIN((size_t)len, PATH_MAX_K - 1), buf, n, 0);
  kfree(name);
  return r;
}

// Opening proc:PID/fd/N opens what N is open on anew, with its own offset: files by
// their node, devices by their scheme. Pipes, sockets and proc: files cannot be opened
// so (ENXIO; Linux can).
static int open_fd(struct file *f, struct proc *t, int fd, int flags) {
  struct file *of = file_of(t, fd);
  if (of->scheme == &ramfs_scheme)
    return ramfs_reopen(f, of, flags);
  char name[64];
  if (ramfs_device_name(of->scheme->name, name, sizeof name) < 0)
    return -ENXIO;
  f->scheme = of->scheme;
  return f->scheme->open(f, "", flags, 0);
}

static long procfs_readlink(const char *rest, char *buf, size_t n) {
  const struct entry *e;
  struct proc *t;
  int r;
  const char *last = rest;
  for (const char *s = rest; *s; s++)
    if (*s == '/')
      last = s + 1;
  if (strcmp(rest, "self") == 0) { // the link itself, not walked through
    char tmp[16];
    int len = ksnprintf(tmp, sizeof tmp, "%d", myproc()->tgid);
    return read_bytes(tmp, len, buf, n, 0);
  }
  int fd;
  if ((r = lookup(rest, &e, &t, &fd)) < 0)
    return r;
  if (e->id == Q_FDLINK)
    return (r = check_open(e, t, O_RDONLY)) < 0 ? r : fd_readlink(file_of(t, fd), buf, n);
  if (!is_tree_link(e) || strcmp(last, e->name) != 0)
    return -EINVAL;
  if ((r = check_open(e, t, O_RDONLY)) < 0)
    return r;
  const char *target = tree_link(e, t), *view = target ? vfs_view(target) : NULL;
  if (target && !view) // outside the reader's root: Linux shows the path from the real root
    view = target;
  return view ? read_bytes(view, strlen(view), buf, n, 0) : -ENOENT;
}

// stat by name, without opening (opening trace would attach).
static int proc_stat_path(const char *rest, bool follow, struct stat *st) {
  const struct entry *e;
  struct proc *t;
  int fd, r = lookup(rest, &e, &t, &fd);
  if (r < 0)
    return r;
  if (strcmp(rest, "self") == 0 && !follow) {
    e = find_entry(Q_ROOT, "self", 4), t = NULL;
  } else if (e->id == Q_FDLINK && follow) { // what the descriptor is open on
    struct file *of = file_of(t, fd);
    if ((r = check_open(e, t, O_RDONLY)) < 0)
      return r;
    return of->scheme->stat ? of->scheme->stat(of, st) : -EACCES;
  } else if (is_tree_link(e) && follow) {
    if ((r = check_open(e, t, O_RDONLY)) < 0)
      return r;
    const char *target = tree_link(e, t);
    return target ? ramfs_stat_path(target, true, st) : -ENOENT;
  }
  struct handle h = handle_on(e, t, fd);
  struct file f = {.priv = &h};
  return proc_stat(&f, st);
}

static int proc_open(struct file *f, const char *rest, int flags, int mode) {
  const struct entry *e;
  struct proc *t;
  int fd, r = lookup(rest, &e, &t, &fd);
  (void)mode;
  if (r < 0)
    return r;
  if ((is_tree_link(e) || e->id == Q_FDLINK) && !(flags & O_NOFOLLOW)) {
    if ((r = check_open(e, t, O_RDONLY)) < 0)
      return r;
    return e->id != Q_FDLINK ? open_exe(f, e, t, flags) : open_fd(f, t, fd, flags);
  }
  return open_entry(f, e, t, fd, flags);
}

const struct scheme proc_scheme = {
    .name = "proc", .open = proc_open, .read = proc_read, .write = proc_write,
    .read_direct = proc_read_direct, .write_direct = proc_write_direct,
    .seek = proc_seek, .close = proc_close, .stat = proc_stat, .readdir = proc_readdir,
    .poll = proc_poll, .unsigned_offsets = true, .stat_path = proc_stat_path,
    .readlink = procfs_readlink,
};
