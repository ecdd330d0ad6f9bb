// gdbserver: lets the host's GDB debug a Vitrine process over a serial line, speaking
// GDB's remote serial protocol (the packet layer is user/lib/gdbproto.c). Everything it
// does to the process goes through the proc: scheme (docs/proc.md): proc:PID/trace for
// stops and resumes, regs/int, regs/float and regs/debug for registers, mem for memory
// and software breakpoints.
//
//   gdbserver COMM PROGRAM [ARGS...]   run PROGRAM, stopped at its first instruction
//   gdbserver --attach COMM PID        stop a running process and debug it
//   gdbserver --multi COMM             extended-remote: GDB's run, attach, kill
//
// COMM is a path (vcon:gdb is the virtio console's port named gdb, com2: the second
// serial port), "auto" (vcon:gdb if the machine has it, else com2:), "fd:N" (a
// descriptor we inherit, used both ways), or "-" (stdin and stdout). On a vcon: port
// the host side hangs up when gdb goes away: we wait for the next gdb. --attach and
// --multi may also follow COMM, so `tools/vrun --gdb PORT -- --multi` works.
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "gdbproto.h"
#include "proc.h"

// ---- signals: GDB numbers its signals its own way ----
// Linux signal n (1..31) is GDB signal linux_to_gdb[n]; 0 where GDB has no name.
static const uint8_t linux_to_gdb[32] = {
    0,  1,  2,  3,  4,  5,  6,  10, 8,  9,  30, 11, 31, 13, 14, 15,
    0,  20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, 32, 12};
#define GDB_SIGNAL_UNKNOWN 143

static int gdb_signal(int sig) {
  if (sig > 0 && sig < 32)
    return linux_to_gdb[sig] ? linux_to_gdb[sig] : GDB_SIGNAL_UNKNOWN;
  if (sig == 32)
    return 77; // GDB_SIGNAL_REALTIME_32
  if (sig >= 33 && sig <= 63)
    return sig + 12; // REALTIME_33 is 45 ... REALTIME_63 is 75
  return GDB_SIGNAL_UNKNOWN;
}

// GDB's number back to Linux's; 0 if there is none.
static int linux_signal(int g) {
  for (int sig = 1; sig <= 63; sig++)
    if (gdb_signal(sig) == g)
      return sig;
  return 0;
}

// ---- registers: GDB's numbering, and where each lives in proc:PID/regs ----
enum { F_CORE, F_SSE, F_LINUX, F_SEGMENTS, NFEATURES };
enum { S_INT, S_FP, S_FTAG }; // regs/int, regs/float, the tag word made from regs/float

struct reg {
  const char *name;
  uint8_t bytes;    // its size in GDB's packets
  uint8_t src;      // S_INT, S_FP or S_FTAG
  uint16_t off;     // offset in the source structure
  uint8_t srcbytes; // size in the source (fewer than `bytes`: zero-extended)
  uint8_t feature;
  const char *type;
  const char *group; // NULL: GDB's default group
};

#define GPR(n, f, t) {n, 8, S_INT, offsetof(struct user_regs_struct, f), 8, F_CORE, t, NULL}
#define SEG(n, f) {n, 4, S_INT, offsetof(struct user_regs_struct, f), 4, F_CORE, "int32", NULL}
#define ST(i) {"st" #i, 10, S_FP, 32 + 16 * i, 10, F_CORE, "i387_ext", NULL}
#define FPC(n, o, b) {n, 4, S_FP, o, b, F_CORE, "int", "float"}
#define XMM(i) {"xmm" #i, 16, S_FP, 160 + 16 * i, 16, F_SSE, "vec128", NULL}
#define INT64(n, f, feat) {n, 8, S_INT, offsetof(struct user_regs_struct, f), 8, feat, "int", NULL}

// The order is GDB's amd64 order; the 'g' packet is these registers end to end.
static const struct reg regs_table[] = {
    GPR("rax", rax, "int64"), GPR("rbx", rbx, "int64"), GPR("rcx", rcx, "int64"),
    GPR("rdx", rdx, "int64"), GPR("rsi", rsi, "int64"), GPR("rdi", rdi, "int64"),
    GPR("rbp", rbp, "data_ptr"), GPR("rsp", rsp, "data_ptr"), GPR("r8", r8, "int64"),
    GPR("r9", r9, "int64"), GPR("r10", r10, "int64"), GPR("r11", r11, "int64"),
    GPR("r12", r12, "int64"), GPR("r13", r13, "int64"), GPR("r14", r14, "int64"),
    GPR("r15", r15, "int64"), GPR("rip", rip, "code_ptr"),
    {"eflags", 4, S_INT, offsetof(struct user_regs_struct, eflags), 4, F_CORE,
     "i386_eflags", NULL},
    SEG("cs", cs), SEG("ss", ss), SEG("ds", ds), SEG("es", es), SEG("fs", fs), SEG("gs", gs),
    ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
    FPC("fctrl", 0, 2), FPC("fstat", 2, 2), {"ftag", 4, S_FTAG, 4, 2, F_CORE, "int", "float"},
    FPC("fiseg", 12, 4), FPC("fioff", 8, 4), FPC("foseg", 20, 4), FPC("fooff", 16, 4),
    FPC("fop", 6, 2),
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7), XMM(8), XMM(9),
    XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
    {"mxcsr", 4, S_FP, 24, 4, F_SSE, "i386_mxcsr", "vector"},
    INT64("orig_rax", orig_rax, F_LINUX),
    INT64("fs_base", fs_base, F_SEGMENTS), INT64("gs_base", gs_base, F_SEGMENTS),
};
#define NREGS (int)(sizeof regs_table / sizeof regs_table[0])
#define GBYTES 560 // the 'g' packet's size in bytes

// ---- the target description (qXfer:features:read:target.xml) ----
struct flagbit {
  const char *name;
  int bit;
};
static const struct flagbit eflags_bits[] = {
    {"CF", 0}, {"PF", 2}, {"AF", 4}, {"ZF", 6}, {"SF", 7}, {"TF", 8}, {"IF", 9},
    {"DF", 10}, {"OF", 11}, {"NT", 14}, {"RF", 16}, {"VM", 17}, {"AC", 18}, {"VIF", 19},
    {"VIP", 20}, {"ID", 21}, {NULL, 0}};
static const struct flagbit mxcsr_bits[] = {
    {"IE", 0}, {"DE", 1}, {"ZE", 2}, {"OE", 3}, {"UE", 4}, {"PE", 5}, {"DAZ", 6},
    {"IM", 7}, {"DM", 8}, {"ZM", 9}, {"OM", 10}, {"UM", 11}, {"PM", 12}, {"FZ", 15},
    {NULL, 0}};

static const char *const feature_names[NFEATURES] = {
    "org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.linux",
    "org.gnu.gdb.i386.segments"};

// The 128-bit vector type of the xmm registers, as a union of its views.
static const char vec128_xml[] =
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
    "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
    "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
    "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
    "</union>";

static char tdesc[8192];
static size_t tdesc_len;

__attribute__((format(printf, 1, 2))) static void tdesc_add(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tdesc + tdesc_len, sizeof tdesc - tdesc_len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tdesc - tdesc_len) {
    fprintf(stderr, "gdbserver: the target description does not fit\n");
    exit(1);
  }
  tdesc_len += (size_t)n;
}

static void tdesc_flags(const char *id, const struct flagbit *bits) {
  tdesc_add("<flags id=\"%s\" size=\"4\">", id);
  for (; bits->name; bits++)
    tdesc_add("<field name=\"%s\" start=\"%d\" end=\"%d\"/>", bits->name, bits->bit,
              bits->bit);
  tdesc_add("</flags>");
}

static void build_tdesc(void) {
  tdesc_add("<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
            "<target version=\"1.0\"><architecture>i386:x86-64</architecture>"
            "<osabi>GNU/Linux</osabi>");
  for (int f = 0; f < NFEATURES; f++) {
    tdesc_add("<feature name=\"%s\">", feature_names[f]);
    if (f == F_CORE)
      tdesc_flags("i386_eflags", eflags_bits);
    if (f == F_SSE) {
      tdesc_add("%s", vec128_xml);
      tdesc_flags("i386_mxcsr", mxcsr_bits);
    }
    for (int r = 0; r < NREGS; r++) {
      const struct reg *g = &regs_table[r];
      if (g->feature != f)
        continue;
      tdesc_add("<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" regnum=\"%d\"", g->name,
                g->bytes * 8, g->type, r);
      if (g->group)
        tdesc_add(" group=\"%s\"", g->group);
      tdesc_add("/>");
    }
    tdesc_add("</feature>");
  }
  tdesc_add("</target>");
}

// ---- the target process, its threads and their proc: files ----
#define NBREAK 64
#define NTHREADS 32
struct swbreak { // a software breakpoint: an int3 byte we wrote over `saved`
  uint64_t addr;
  uint8_t saved;
  int refs; // 0: the entry is free
};
struct hwslot { // one debug register (DR0..DR3)
  int type;           // the Z packet's type: 1 execute, 2 write, 3 read, 4 access; 0 free
  uint64_t addr;      // what this slot covers: len bytes at addr (aligned to len)
  unsigned len;
  uint64_t want_addr; // the range GDB asked for, which may take several slots
  uint64_t want_len;
};

// Every thread of the process has its own session (proc:TID/trace) and register files
// (docs/proc.md, "Threads"). All-stop: whenever GDB is told of a stop, every thread is
// in a trace stop.
struct thread {
  int tid;                // 0: a free slot
  struct proc_session s;  // proc:TID/trace, regs/* and mem (the shared memory)
  bool running;           // resumed: its next event is still to be read
  bool int_sent;          // we asked it to stop (PROC_STOP_INTERRUPT): it owes one stop
  bool pending;           // stopped at something GDB has not heard of yet (another
                          // thread's stop was reported first): told at the next resume
  struct proc_event stop; // the stop it is in, when not running
  uint64_t flags;         // what its last resume asked for (without IGNORE)
  int inject_sig;         // a signal GDB asked us to deliver, sent with tgkill, on its way
  char act;               // in the resume being run: 0 stays stopped, 'c', 's' or 'r'
  int act_sig;            // the signal to deliver as it resumes (Linux's number)
  uint64_t lo, hi;        // 'r': step while rip is in [lo, hi)
  struct user_regs_struct regs;
  struct user_fpregs_struct fp;
  bool regs_ok, fp_ok; // the copies above are current
};

static struct target {
  int pid;   // 0: no process
  bool ours; // we started it: we reap it, and qAttached says 0
  bool running;           // GDB waits for a stop reply
  struct thread th[NTHREADS];
  struct thread *g;       // Hg: the thread whose registers g, G, p and P are
  int cont_tid;           // Hc: the thread `s` steps (0: the Hg thread)
  struct swbreak bp[NBREAK];
  struct hwslot hw[4];    // the same in every thread's debug registers
  bool interrupt_req;     // we asked every thread to stop (GDB's Ctrl-C)
  int exit_status;        // the wait status of the thread that ended last (the
  bool leader_gone;       // leader's, once it ended): the process's, when all have
} T;

#define FOR_THREADS(t)                                                                 \
  for (struct thread *t = T.th; t < T.th + NTHREADS; t++)                             \
    if (!t->tid) {                                                                     \
    } else

static struct thread *th_find(long tid) {
  FOR_THREADS(t) if (t->tid == tid) return t;
  return NULL;
}

static int th_count(void) {
  int n = 0;
  FOR_THREADS(t) n++;
  return n;
}

// A free slot for thread tid, its session not open yet; NULL if there is none.
static struct thread *th_new(int tid) {
  for (struct thread *t = T.th; t < T.th + NTHREADS; t++)
    if (!t->tid) {
      *t = (struct thread){.tid = tid, .s = PROC_SESSION_INIT};
      return t;
    }
  return NULL;
}

static void th_drop(struct thread *t) {
  proc_close(&t->s);
  if (T.g == t)
    T.g = NULL;
  t->tid = 0;
}

// The Hg thread (the first one if GDB named none or it is gone).
static struct thread *G(void) {
  if (!T.g) {
    FOR_THREADS(t) {
      T.g = t;
      break;
    }
  }
  return T.g;
}

// Memory is the same through every thread; it is read and written through a stopped
// one (the Hg thread when it is stopped).
static struct proc_session *MS(void) {
  struct thread *g = G();
  if (g && !g->running)
    return &g->s;
  FOR_THREADS(t) if (!t->running) return &t->s;
  return g ? &g->s : NULL;
}

// The register and memory files. An exec makes old handles fail with ESRCH, so they
// are opened again after every exec stop.
static int open_files(struct thread *t) {
  proc_drop_files(&t->s);
  t->regs_ok = t->fp_ok = false;
  bool ok = proc_file(&t->s, PROC_REGS_INT) >= 0 && proc_file(&t->s, PROC_REGS_FLOAT) >= 0 &&
            proc_file(&t->s, PROC_MEM) >= 0;
  return ok ? 0 : -1; // (regs/debug: optional)
}

static bool have_debug_regs(void) {
  struct thread *g = G();
  return g && proc_file(&g->s, PROC_REGS_DEBUG) >= 0;
}

static int regs_get(struct thread *t) {
  if (!t->regs_ok)
    t->regs_ok = proc_get_regs(&t->s, &t->regs) == 0;
  return t->regs_ok ? 0 : -1;
}

static int fp_get(struct thread *t) {
  if (!t->fp_ok)
    t->fp_ok = proc_get_fpregs(&t->s, &t->fp) == 0;
  return t->fp_ok ? 0 : -1;
}

// Write our copy back. If the kernel refuses it, the copy is stale: read it again.
static int regs_put(struct thread *t) {
  t->regs_ok = proc_set_regs(&t->s, &t->regs) == 0;
  return t->regs_ok ? 0 : -1;
}

static int fp_put(struct thread *t) {
  t->fp_ok = proc_set_fpregs(&t->s, &t->fp) == 0;
  return t->fp_ok ? 0 : -1;
}

// ---- memory, with our breakpoints hidden ----
static struct swbreak *bp_find(uint64_t addr) {
  for (int i = 0; i < NBREAK; i++)
    if (T.bp[i].refs && T.bp[i].addr == addr)
      return &T.bp[i];
  return NULL;
}

// Bytes [addr, addr+n) as the program wrote them: where we put an int3, the saved byte.
static void bp_hide(uint64_t addr, uint8_t *buf, size_t n) {
  for (int i = 0; i < NBREAK; i++)
    if (T.bp[i].refs && T.bp[i].addr - addr < n)
      buf[T.bp[i].addr - addr] = T.bp[i].saved;
}

// Returns the bytes read (fewer if the range runs into unmapped memory), or -1.
static long mem_read(uint64_t addr, void *buf, size_t n) {
  ssize_t got = proc_peek(MS(), addr, buf, n); // (kernel addresses: EIO)
  if (got > 0)
    bp_hide(addr, buf, (size_t)got);
  return got;
}

// A write over one of our breakpoints changes the saved byte; the int3 stays.
static long mem_write(uint64_t addr, const void *src, size_t n) {
  uint8_t buf[GDB_PKTMAX];
  if (n > sizeof buf)
    return -1;
  memcpy(buf, src, n);
  for (int i = 0; i < NBREAK; i++)
    if (T.bp[i].refs && T.bp[i].addr - addr < n)
      buf[T.bp[i].addr - addr] = 0xcc;
  ssize_t put = proc_poke(MS(), addr, buf, n);
  for (int i = 0; put > 0 && i < NBREAK; i++)
    if (T.bp[i].refs && T.bp[i].addr - addr < (size_t)put)
      T.bp[i].saved = ((const uint8_t *)src)[T.bp[i].addr - addr];
  return put;
}

static int bp_insert(uint64_t addr) {
  struct swbreak *b = bp_find(addr), *free_bp = NULL;
  if (b) { // GDB may insert twice at one address (two locations)
    b->refs++;
    return 0;
  }
  for (int i = 0; i < NBREAK && !free_bp; i++)
    if (!T.bp[i].refs)
      free_bp = &T.bp[i];
  uint8_t saved, cc = 0xcc;
  if (!free_bp || proc_peek(MS(), addr, &saved, 1) != 1 || proc_poke(MS(), addr, &cc, 1) != 1)
    return -1; // no room, or unmapped or kernel memory
  *free_bp = (struct swbreak){addr, saved, 1};
  return 0;
}

static int bp_remove(uint64_t addr) {
  struct swbreak *b = bp_find(addr);
  if (!b || --b->refs > 0)
    return 0; // (removing one that is not there is no error: GDB may repeat itself)
  return proc_poke(MS(), b->addr, &b->saved, 1) == 1 ? 0 : -1;
}

// Put the program's own bytes back (detach), or forget them (the program exec'd).
static void bp_clear(bool restore) {
  for (int i = 0; i < NBREAK; i++)
    if (T.bp[i].refs) {
      if (restore)
        proc_poke(MS(), T.bp[i].addr, &T.bp[i].saved, 1);
      T.bp[i].refs = 0;
    }
}

// ---- hardware breakpoints and watchpoints: proc:TID/regs/debug ----
// DR7's R/W field for each Z type. x86 has no read-only watchpoint: a read watchpoint
// watches reads and writes, and GDB tells them apart by whether the value changed.
static const uint8_t z_rw[5] = {0, 0, 1, 3, 3};

static unsigned dr7_len(unsigned len) { // LEN field: 1, 2, 8, 4 bytes are 00, 01, 10, 11
  return len == 1 ? 0 : len == 2 ? 1 : len == 8 ? 2 : 3;
}

// Our slots into one thread's debug registers (each thread has its own).
static int hw_write_one(struct thread *t) {
  uint64_t dr[6] = {0}; // dr0, dr1, dr2, dr3, dr6, dr7
  for (int n = 0; n < 4; n++) {
    const struct hwslot *h = &T.hw[n];
    if (!h->type)
      continue;
    dr[n] = h->addr;
    dr[5] |= 1ull << (2 * n) | (uint64_t)z_rw[h->type] << (16 + 4 * n) |
             (uint64_t)dr7_len(h->len) << (18 + 4 * n);
  }
  return proc_set_debug(&t->s, dr);
}

// A watchpoint watches the process: every thread gets the slots.
static int hw_write(void) {
  int r = 0;
  FOR_THREADS(t) if (hw_write_one(t) < 0) r = -1;
  return r;
}

static bool hw_any(void) {
  for (int n = 0; n < 4; n++)
    if (T.hw[n].type)
      return true;
  return false;
}

// The largest naturally aligned piece (8, 4, 2 or 1 bytes) at addr, at most n bytes.
static unsigned piece(uint64_t addr, uint64_t n) {
  unsigned len = 8;
  while (len > 1 && (addr % len || len > n))
    len /= 2;
  return len;
}

// A watched range need not be aligned: it takes as many slots as aligned pieces.
static int hw_insert(int type, uint64_t addr, uint64_t len) {
  if (!have_debug_regs() || len == 0 || len > 32 || (type == 1 && len != 1))
    return -1;
  struct hwslot old[4];
  memcpy(old, T.hw, sizeof old);
  uint64_t a = addr, end = addr + len;
  for (int n = 0; n < 4 && a < end; n++) {
    if (T.hw[n].type)
      continue;
    unsigned l = piece(a, end - a);
    T.hw[n] = (struct hwslot){type, a, l, addr, len};
    a += l;
  }
  if (a < end || hw_write() < 0) { // out of slots, or the kernel refused the address
    memcpy(T.hw, old, sizeof old);
    return -1;
  }
  return 0;
}

static int hw_remove(int type, uint64_t addr, uint64_t len) {
  if (!have_debug_regs())
    return -1;
  for (int n = 0; n < 4; n++)
    if (T.hw[n].type == type && T.hw[n].want_addr == addr && T.hw[n].want_len == len)
      T.hw[n].type = 0;
  return hw_write();
}


// ---- events and resuming ----
// The stops we always ask for; single steps are added when stepping.
#define BASE_FLAGS                                                                     \
  (PROC_STOP_SIGNAL | PROC_STOP_BREAKPOINT | PROC_STOP_WATCH | PROC_STOP_EXEC |        \
   PROC_EVENT_CLONE)

static int write_flags(struct thread *t, uint64_t f) {
  t->flags = f & ~(uint64_t)(PROC_FLAG_IGNORE | PROC_STOP_INTERRUPT);
  t->regs_ok = t->fp_ok = false;
  t->running = true;
  t->pending = false;
  t->int_sent = f & PROC_STOP_INTERRUPT;
  T.running = true;
  return proc_resume(&t->s, f);
}

// Ask a running thread to stop now (PROC_STOP_INTERRUPT; the kernel interrupts a
// blocking call, which restarts later). It answers with exactly one stop: this one, or
// one it reached first. No signal is involved, so the program never sees one.
static void stop_request(struct thread *t) {
  if (!t->running || t->int_sent)
    return;
  t->int_sent = proc_resume(&t->s, t->flags | PROC_STOP_INTERRUPT) == 0;
}

// A running thread's flags written again (which frees a child it holds), keeping a stop
// request it still owes an answer to.
static void rewrite_flags(struct thread *t) {
  proc_resume(&t->s, t->flags | (t->int_sent ? PROC_STOP_INTERRUPT : 0));
}

// GDB's Ctrl-C: every running thread is asked to stop; the first stop answers GDB.
static void request_interrupt(void) {
  if (!T.running || T.interrupt_req || !T.pid)
    return;
  T.interrupt_req = true;
  FOR_THREADS(t) stop_request(t);
}

// Resume a thread from its stop. sig: the Linux signal GDB wants delivered (0: none).
// At a signal stop the kernel delivers the stop's signal unless told to drop it; any
// other signal is sent to the thread with tgkill and let through when it comes back.
static int resume(struct thread *t, bool step, int sig) {
  uint64_t flags = BASE_FLAGS | (step ? PROC_STOP_SINGLESTEP : 0);
  bool at_signal = t->stop.cause == PROC_STOP_SIGNAL;
  bool pass = at_signal && (int)t->stop.a == sig;
  if (at_signal && !pass)
    flags |= PROC_FLAG_IGNORE;
  if (sig && !pass) {
    t->inject_sig = sig;
    syscall(SYS_tgkill, T.pid, t->tid, sig);
  }
  t->stop.cause = 0;
  return write_flags(t, flags);
}

// ---- the connection to GDB ----
static struct server {
  struct gdb_conn conn;
  int rfd, wfd;
  bool multi;      // --multi: serve on when the process is gone (extended-remote)
  bool attached;   // the process was attached to rather than started (qAttached)
  int pending;     // a packet that arrived while the process ran (a GDB_RX_* event)
  bool gone;       // GDB went away (EOF on COMM)
  const char *comm;   // the COMM we opened ("auto" resolved)
  const char *relink; // a vcon: port: after a hang-up, open it again for the next GDB
  int status;      // the last process's wait status (our exit status, without --multi)
  char **argv;     // the program last started (R, vRun without a name)
  char stop_text[192]; // the reply to '?': the stop the process is in
} S = {.rfd = -1, .wfd = -1};

static ssize_t comm_read(void *ctx, void *buf, size_t n) {
  (void)ctx;
  ssize_t r;
  while ((r = read(S.rfd, buf, n)) < 0 && errno == EINTR)
    ;
  return r;
}

static ssize_t comm_write(void *ctx, const void *buf, size_t n) {
  (void)ctx;
  ssize_t r;
  while ((r = write(S.wfd, buf, n)) < 0 && errno == EINTR)
    ;
  return r;
}

// Bytes from GDB while the process runs: Ctrl-C, or a whole packet (a new GDB that
// connected meanwhile), kept for after the stop; EOF: GDB is gone. Each stops the
// process. `may_read`: COMM is readable, so one read will not block.
static void comm_input(bool may_read) {
  int ev;
  while (!S.pending && !S.gone && (ev = gdb_poll_input(&S.conn, may_read)) != GDB_RX_NONE) {
    may_read = false;
    if (ev < 0)
      S.gone = true;
    else if (ev != GDB_RX_INTERRUPT)
      S.pending = ev;
    request_interrupt();
  }
}

// A fork's child is a copy of the parent, our int3s included; it is not debugged, so
// it gets the program's bytes back before it runs (it is held until its session opens).
static void release_child(struct thread *parent, int pid) {
  struct proc_event ev;
  struct proc_session c;
  if (proc_attach(&c, pid, 0) < 0) { // (not ours to trace): any write to the
    rewrite_flags(parent);             // parent's session frees it
    return;
  }
  bool held = proc_next_event(&c, &ev) == 0;
  for (int i = 0; held && i < NBREAK; i++)
    if (T.bp[i].refs)
      proc_poke(&c, T.bp[i].addr, &T.bp[i].saved, 1);
  proc_close(&c); // the child goes on, untraced
}

// A new thread of the process: it starts held, and opening its session keeps it stopped
// (its first event, PROC_STOP_INTERRUPT) until we write to it. It gets the debug
// registers, and runs on if `run` (its creator continues).
static void new_thread(struct thread *parent, int tid, bool run) {
  struct thread *t = th_new(tid);
  if (!t) { // no room: it runs untraced (a breakpoint it reaches would end the process)
    fprintf(stderr, "gdbserver: more than %d threads: thread %d is not debugged\n",
            NTHREADS, tid);
    rewrite_flags(parent); // (frees the held thread)
    return;
  }
  if (proc_attach(&t->s, tid, 0) < 0 || proc_next_event(&t->s, &t->stop) < 0 ||
      t->stop.cause == PROC_EVENT_EXITED) {
    th_drop(t);
    return;
  }
  if (hw_any())
    hw_write_one(t);
  if (run)
    write_flags(t, BASE_FLAGS);
}

// A thread ended. The process's status is the leader's (the last thread's if the
// leader ended first, e.g. pthread_exit in main).
static void thread_gone(struct thread *t, int status) {
  if (t->tid == T.pid || !T.leader_gone)
    T.exit_status = status;
  if (t->tid == T.pid)
    T.leader_gone = true;
  th_drop(t);
}

// Events that are not stops GDB hears of: a new thread or process, a thread's end, a
// signal GDB asked us to send coming back. true: dealt with (the thread runs on, or is
// gone). run_new: a new thread runs on (else it stays stopped, unreported).
static bool absorb(struct thread *t, const struct proc_event *ev, bool run_new) {
  if (ev->cause == PROC_EVENT_CLONE) {
    if (ev->b & PROC_CLONE_THREAD)
      new_thread(t, (int)ev->a, run_new);
    else
      release_child(t, (int)ev->a);
    return true;
  }
  if (ev->cause == PROC_EVENT_EXITED) {
    thread_gone(t, (int)ev->a);
    return true;
  }
  if (ev->cause == PROC_STOP_SIGNAL && t->inject_sig && (int)ev->a == t->inject_sig &&
      !t->int_sent) {
    t->inject_sig = 0;
    write_flags(t, t->flags); // (its stop is a signal stop: this delivers it)
    return true;
  }
  return false;
}

// The next event of one thread, blocking. A session that ends without an exit event
// (it should not) is taken as the thread killed.
static void thread_event(struct thread *t, struct proc_event *ev) {
  if (proc_next_event(&t->s, ev) < 0)
    *ev = (struct proc_event){.cause = PROC_EVENT_EXITED, .a = SIGKILL};
}

// The next event from any thread, watching GDB's side meanwhile. Stopped threads are
// watched too: a thread held while another runs may be ended by it (exit_group).
// NULL when no thread is left to hear from.
static struct thread *wait_event(struct proc_event *ev) {
  for (;;) {
    FOR_THREADS(t) if (proc_event_queued(&t->s)) {
      thread_event(t, ev);
      return t;
    }
    comm_input(false); // (bytes already buffered: a Ctrl-C that came with a packet)
    struct pollfd p[NTHREADS + 1];
    struct thread *who[NTHREADS];
    int n = 0;
    FOR_THREADS(t) {
      who[n] = t;
      p[n++] = (struct pollfd){t->s.trace, POLLIN, 0};
    }
    if (n == 0)
      return NULL;
    p[n] = (struct pollfd){S.rfd, POLLIN, 0};
    bool comm = !S.pending && !S.gone;
    int r = poll(p, (nfds_t)(n + comm), -1);
    if (r < 0 && errno != EINTR)
      return NULL;
    if (r > 0 && comm && p[n].revents)
      comm_input(true);
    for (int i = 0; r > 0 && i < n; i++)
      if (p[i].revents) {
        thread_event(who[i], ev);
        return who[i];
      }
  }
}

// All-stop: every thread that still runs is asked to stop, and we wait for each
// answer. An answer that is not our request (a breakpoint it reached meanwhile, a
// signal) is kept for GDB: it is reported when GDB resumes that thread.
static void stop_all(void) {
  FOR_THREADS(t) stop_request(t);
  for (;;) {
    struct thread *t = NULL;
    FOR_THREADS(u) if (u->running) {
      t = u;
      break;
    }
    if (!t)
      return;
    struct proc_event ev;
    thread_event(t, &ev);
    if (absorb(t, &ev, false))
      continue;
    t->running = t->int_sent = false;
    t->stop = ev;
    t->pending = ev.cause != PROC_STOP_INTERRUPT;
  }
}

// ---- stops, as GDB hears of them ----
static void forget_target(void) {
  FOR_THREADS(t) th_drop(t);
  for (int i = 0; i < NBREAK; i++)
    T.bp[i].refs = 0;
  memset(T.hw, 0, sizeof T.hw);
  T.pid = 0;
  T.g = NULL;
  T.cont_tid = 0;
  T.running = false;
  T.interrupt_req = false;
  T.leader_gone = false;
}

static void target_exited(int status) {
  S.status = status;
  if (T.ours)
    waitpid(T.pid, NULL, 0); // (its status is the one the trace session gave us)
  forget_target();
  if (WIFEXITED(status))
    snprintf(S.stop_text, sizeof S.stop_text, "W%02x", WEXITSTATUS(status));
  else
    snprintf(S.stop_text, sizeof S.stop_text, "X%02x", gdb_signal(WTERMSIG(status)));
}

// Which debug register fired (DR6 bits 0..3), as a stop reason.
static void watch_reason(uint64_t dr6, char *out, size_t cap) {
  static const char *const kinds[5] = {"", "", "watch", "rwatch", "awatch"};
  for (int n = 0; n < 4; n++) {
    const struct hwslot *h = &T.hw[n];
    if (!(dr6 >> n & 1) || !h->type)
      continue;
    if (h->type == 1)
      snprintf(out, cap, "hwbreak:;");
    else
      snprintf(out, cap, "%s:%lx;", kinds[h->type], (unsigned long)h->want_addr);
    return;
  }
}

// Thread t stopped (t->stop) and the others are stopped too: act on it and make the
// stop reply. It becomes the Hg thread (GDB assumes so after a stop reply).
static void note_stop(struct thread *t) {
  const struct proc_event *ev = &t->stop;
  int sig = 5; // SIGTRAP: breakpoints, steps, watchpoints, exec, attach
  char why[48] = "";
  t->pending = false;
  T.g = t;
  if (ev->cause == PROC_STOP_INTERRUPT && T.interrupt_req) {
    sig = 2; // the stop GDB's Ctrl-C asked for: GDB calls it SIGINT
  } else if (ev->cause == PROC_STOP_SIGNAL) {
    sig = gdb_signal((int)ev->a);
  } else if (ev->cause == PROC_STOP_BREAKPOINT && bp_find(ev->a)) {
    snprintf(why, sizeof why, "swbreak:;");
  } else if (ev->cause == PROC_STOP_BREAKPOINT && regs_get(t) == 0) {
    t->regs.rip = ev->a + 1; // the program's own int3: a SIGTRAP after the instruction
    regs_put(t);
  } else if (ev->cause == PROC_STOP_WATCH) {
    watch_reason(ev->a, why, sizeof why);
  } else if (ev->cause == PROC_STOP_EXEC) {
    open_files(t); // a new program: old handles are dead, breakpoints and DRs gone
    for (int i = 0; i < NBREAK; i++)
      T.bp[i].refs = 0;
    memset(T.hw, 0, sizeof T.hw);
  }
  T.interrupt_req = false; // (another stop that came first answers it too)
  // rbp, rsp and rip (GDB's registers 6, 7 and 0x10) come with the stop, so GDB need
  // not ask for all the registers to show where the program is: one round trip less.
  char fast[72] = "", h[3][17];
  if (regs_get(t) == 0) {
    gdb_hex_encode(h[0], &t->regs.rbp, 8);
    gdb_hex_encode(h[1], &t->regs.rsp, 8);
    gdb_hex_encode(h[2], &t->regs.rip, 8);
    snprintf(fast, sizeof fast, "06:%s;07:%s;10:%s;", h[0], h[1], h[2]);
  }
  snprintf(S.stop_text, sizeof S.stop_text, "T%02xthread:%x;%s%s", sig, t->tid, why, fast);
}

// Range stepping goes on while rip stays in [lo, hi), is on none of our breakpoints,
// and GDB has not interrupted.
static bool keep_stepping(struct thread *t) {
  return t->act == 'r' && t->stop.cause == PROC_STOP_SINGLESTEP && !S.pending && !S.gone &&
         !T.interrupt_req && regs_get(t) == 0 && t->regs.rip >= t->lo &&
         t->regs.rip < t->hi && !bp_find(t->regs.rip);
}

// Thread t, resumed alone, until it stops. false: it ended meanwhile.
static bool alone_until_stop(struct thread *t) {
  int tid = t->tid;
  for (;;) {
    struct proc_event ev;
    thread_event(t, &ev);
    if (absorb(t, &ev, false)) {
      if (!th_find(tid))
        return false;
      continue;
    }
    t->running = false;
    t->stop = ev;
    return true;
  }
}

// Start the threads GDB resumes, each as its `act` says. Returns a thread whose stop
// is to be reported at once (without anything else resumed), or NULL.
static struct thread *start_threads(void) {
  // A stop GDB has not heard of, in a thread it resumes, is reported now, unless it is
  // at a breakpoint GDB has taken away since (rip is at the int3 byte: the thread will
  // run the program's instruction there).
  FOR_THREADS(t) if (t->act && t->pending) {
    if (t->stop.cause == PROC_STOP_BREAKPOINT && !bp_find(t->stop.a)) {
      t->pending = false;
      continue;
    }
    return t;
  }
  // A thread at one of our int3s would hit it at once: its first instruction is
  // single-stepped alone, with the program's byte back in place.
  FOR_THREADS(t) {
    struct swbreak *b = t->act && regs_get(t) == 0 ? bp_find(t->regs.rip) : NULL;
    if (!b)
      continue;
    uint8_t cc = 0xcc;
    proc_poke(&t->s, b->addr, &b->saved, 1);
    resume(t, true, t->act_sig);
    t->act_sig = 0;
    bool alive = alone_until_stop(t);
    if (th_count())
      proc_poke(MS(), b->addr, &cc, 1);
    if (!alive)
      continue;
    if (t->act == 's' || t->stop.cause != PROC_STOP_SINGLESTEP ||
        (t->act == 'r' && !keep_stepping(t)))
      return t;
  }
  FOR_THREADS(t) if (t->act && !t->running) {
    resume(t, t->act != 'c', t->act_sig);
    t->act_sig = 0;
  }
  return NULL;
}

// Wait for the stop to report: range steps go on meanwhile, new threads of a thread
// that continues run too. NULL when no thread is left to hear from.
static struct thread *wait_stop(void) {
  for (;;) {
    struct proc_event ev;
    struct thread *t = wait_event(&ev);
    if (!t)
      return NULL;
    if (absorb(t, &ev, t->act == 'c' && !T.interrupt_req))
      continue;
    t->running = t->int_sent = false;
    t->stop = ev;
    if (keep_stepping(t)) {
      resume(t, true, 0);
      continue;
    }
    return t;
  }
}

static void detach(void);

// Resume the threads as GDB asked (their `act`), wait for a stop, stop the others and
// report it (unless GDB went away or sent something else meanwhile: then the stop is
// kept for '?').
static int run(void) {
  struct thread *t = start_threads();
  if (!t && th_count())
    t = wait_stop();
  if (th_count())
    stop_all();
  FOR_THREADS(u) u->act = 0;
  if (!th_count()) {
    if (T.pid)
      target_exited(T.exit_status);
  } else if (t && th_find(t->tid) == t) {
    note_stop(t);
  } else { // nothing that GDB resumed is left, and the process goes on
    snprintf(S.stop_text, sizeof S.stop_text, "N");
  }
  T.running = false;
  if (S.gone) {
    if (!S.relink)
      detach(); // (on a port that reconnects, the stop waits for the next GDB)
    return -1;
  }
  if (!S.pending)
    gdb_putstr(&S.conn, S.stop_text);
  return 0;
}

// ---- starting, attaching, detaching, killing ----
// Wait for the first stop of a new session: the exec (run) or the interrupt (attach).
static int first_stop(struct thread *t, uint64_t want) {
  struct proc_event ev = {0};
  while (proc_next_event(&t->s, &ev) == 0) {
    if (ev.cause == want) {
      t->stop = ev;
      t->running = false;
      T.running = false;
      return open_files(t);
    }
    if (ev.cause == PROC_EVENT_EXITED)
      break;
    if (ev.cause == PROC_EVENT_CLONE) // (attach: one it made before it stopped)
      absorb(t, &ev, false);
  }
  thread_gone(t, ev.cause == PROC_EVENT_EXITED ? (int)ev.a : SIGKILL);
  if (!th_count()) // the process is gone
    target_exited(T.exit_status);
  return -1;
}

// The program's stdin and stdout must not be the line to GDB.
static void child_stdio(void *arg) {
  (void)arg;
  if (S.rfd == 0)
    dup2(open("/dev/null", O_RDONLY), 0);
  if (S.wfd == 1)
    dup2(2, 1);
}

// The session exists before the program runs, so PROC_STOP_EXEC catches its first
// instruction.
static int launch(char **argv) {
  const struct proc_launch how = {.argv = argv, .stops = PROC_STOP_EXEC, .setup = child_stdio};
  struct thread *t = th_new(1);
  if (proc_launch(&t->s, &how) < 0) {
    forget_target();
    return -1;
  }
  int pid = (int)t->s.pid;
  T.pid = t->tid = pid;
  T.ours = true;
  S.attached = false;
  t->flags = PROC_STOP_EXEC;
  if (first_stop(t, PROC_STOP_EXEC) < 0)
    return -1;
  note_stop(t);
  fprintf(stderr, "gdbserver: process %s created; pid = %d\n", argv[0], pid);
  return 0;
}

// Stop thread tid of the process now (a session opened with O_TRUNC).
static int attach_thread(int tid) {
  struct thread *t = th_new(tid);
  if (!t)
    return -1;
  if (proc_attach(&t->s, tid, O_TRUNC) < 0) {
    th_drop(t);
    return -1;
  }
  return first_stop(t, PROC_STOP_INTERRUPT);
}

// Every thread of the process (proc:PID/task/), until a pass finds no new one: a
// thread we had not stopped yet may have made another meanwhile.
static void attach_others(void) {
  char path[64];
  proc_path(path, sizeof path, T.pid, "task");
  for (bool more = true; more && T.pid;) {
    more = false;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
      int tid = atoi(e->d_name);
      if (tid > 0 && !th_find(tid) && attach_thread(tid) == 0)
        more = true;
    }
    if (d)
      closedir(d);
  }
}

static int attach(int pid) {
  if (pid <= 0 || pid == getpid())
    return -1;
  T.pid = pid;
  T.ours = false;
  S.attached = true;
  if (attach_thread(pid) < 0) { // O_TRUNC: stopped now
    fprintf(stderr, "gdbserver: cannot attach to %d: %s\n", pid, strerror(errno));
    forget_target();
    return -1;
  }
  attach_others();
  if (!T.pid)
    return -1;
  note_stop(th_find(pid));
  fprintf(stderr, "gdbserver: attached to process %d\n", pid);
  return 0;
}

// Leave the process as if we had never been there: the program's bytes back, debug
// registers off. Closing the sessions lets every thread continue.
static void detach(void) {
  if (!T.pid)
    return;
  bp_clear(true);
  memset(T.hw, 0, sizeof T.hw);
  if (have_debug_regs())
    hw_write();
  int pid = T.pid;
  bool ours = T.ours;
  forget_target();
  fprintf(stderr, "gdbserver: detached from process %d\n", pid);
  if (ours && !S.multi) { // nothing left to serve: wait for it, for our exit status
    waitpid(pid, &S.status, 0);
  }
}

static void kill_target(void) {
  if (!T.pid)
    return;
  kill(T.pid, SIGKILL);
  FOR_THREADS(t) {
    struct proc_event ev;
    do
      thread_event(t, &ev);
    while (ev.cause != PROC_EVENT_EXITED);
    thread_gone(t, (int)ev.a);
  }
  target_exited(T.exit_status);
}

// ---- packet handlers ----
// A handler gets the packet after its name and returns what to do next.
enum { R_REPLY, R_NONE, R_QUIT };
static char rbuf[GDB_PKTMAX + 1];
static size_t rlen;
static bool noack_next; // QStartNoAckMode: no acknowledgements after our OK

__attribute__((format(printf, 1, 2))) static int reply(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(rbuf, sizeof rbuf, fmt, ap);
  va_end(ap);
  rlen = n < 0 ? 0 : (size_t)n < sizeof rbuf ? (size_t)n : sizeof rbuf - 1;
  return R_REPLY;
}

static int reply_err(int e) { return reply("E%02x", e & 0xff); }

// n bytes in hex.
static int reply_hex(const uint8_t *buf, size_t n) {
  gdb_hex_encode(rbuf, buf, n);
  rlen = 2 * n;
  return R_REPLY;
}

// "ADDR,LEN" (then `end`, a character that must follow, or '\0' for the end): what
// follows, or NULL if p does not start so.
static const char *parse_addr_len(const char *p, uint64_t *addr, uint64_t *len, char end) {
  if (!gdb_parse_hex(&p, addr) || *p != ',')
    return NULL;
  p++;
  if (!gdb_parse_hex(&p, len) || *p != end)
    return NULL;
  return end ? p + 1 : p;
}

static int h_supported(char *a, size_t n) {
  (void)a, (void)n;
  if (S.conn.noack) { // a new GDB on the line: it starts with acknowledgements
    gdb_write_all(&S.conn, "+", 1);
    S.conn.noack = false;
  }
  if (T.pid && !T.running) { // breakpoints of a GDB that left without removing them
    bp_clear(true);
    memset(T.hw, 0, sizeof T.hw);
    if (have_debug_regs())
      hw_write();
  }
  return reply("PacketSize=%x;qXfer:features:read+;qXfer:exec-file:read+;qXfer:auxv:read+;"
               "qXfer:threads:read+;qXfer:libraries-svr4:read+;swbreak+;hwbreak+;"
               "vContSupported+;QStartNoAckMode+;binary-upload+",
               GDB_PKTMAX);
}

static int h_noack(char *a, size_t n) {
  (void)a, (void)n;
  noack_next = true;
  return reply("OK");
}

static int h_status(char *a, size_t n) {
  (void)a, (void)n;
  return reply("%s", T.pid || S.stop_text[0] ? S.stop_text : "W00");
}

static int h_ok(char *a, size_t n) {
  (void)a, (void)n;
  return reply("OK");
}

static int h_empty(char *a, size_t n) {
  (void)a, (void)n;
  return reply("%s", "");
}

// ---- registers ----
// FXSAVE keeps one "in use" bit per x87 register; GDB wants the full tag word, two
// bits per register: 0 valid, 1 zero, 2 special (NaN, infinity, denormal), 3 empty.
static unsigned ftag_full(const struct user_fpregs_struct *fp) {
  unsigned top = fp->swd >> 11 & 7, tags = 0;
  for (unsigned phys = 0; phys < 8; phys++) {
    unsigned tag = 3;
    if (fp->ftw >> phys & 1) {
      const uint8_t *st = (const uint8_t *)fp->st_space + 16 * ((phys - top) & 7);
      unsigned exp = (st[9] << 8 | st[8]) & 0x7fff;
      uint64_t mant;
      memcpy(&mant, st, 8);
      if (exp == 0x7fff)
        tag = 2;
      else if (exp == 0)
        tag = mant ? 2 : 1;
      else
        tag = mant >> 63 ? 0 : 2; // a normal number has its integer bit set
    }
    tags |= tag << (2 * phys);
  }
  return tags;
}

static unsigned ftag_abridged(unsigned full) {
  unsigned bits = 0;
  for (int phys = 0; phys < 8; phys++)
    if ((full >> (2 * phys) & 3) != 3)
      bits |= 1u << phys;
  return bits;
}

static uint8_t *reg_src(struct thread *t, const struct reg *g) {
  return g->src == S_INT ? (uint8_t *)&t->regs + g->off : (uint8_t *)&t->fp + g->off;
}

static void reg_read(struct thread *t, int r, uint8_t *out) {
  const struct reg *g = &regs_table[r];
  memset(out, 0, g->bytes);
  if (g->src == S_FTAG) {
    unsigned tags = ftag_full(&t->fp);
    out[0] = (uint8_t)tags, out[1] = (uint8_t)(tags >> 8);
  } else {
    memcpy(out, reg_src(t, g), g->srcbytes);
  }
}

static void reg_write(struct thread *t, int r, const uint8_t *in) {
  const struct reg *g = &regs_table[r];
  if (g->src == S_FTAG)
    t->fp.ftw = (uint16_t)ftag_abridged((unsigned)(in[0] | in[1] << 8));
  else
    memcpy(reg_src(t, g), in, g->srcbytes);
}

static int h_g(char *a, size_t n) {
  (void)a, (void)n;
  if (regs_get(G()) < 0 || fp_get(G()) < 0)
    return reply_err(EIO);
  uint8_t buf[16];
  rlen = 0;
  for (int r = 0; r < NREGS; r++) {
    reg_read(G(), r, buf);
    gdb_hex_encode(rbuf + rlen, buf, regs_table[r].bytes);
    rlen += 2 * regs_table[r].bytes;
  }
  return R_REPLY;
}

// All registers at once; the kernel checks them (segments, flags, addresses).
static int h_G(char *a, size_t n) {
  uint8_t buf[GBYTES];
  if (n != 2 * GBYTES || !gdb_hex_decode(buf, a, GBYTES))
    return reply_err(EINVAL);
  if (regs_get(G()) < 0 || fp_get(G()) < 0)
    return reply_err(EIO);
  for (int r = 0, off = 0; r < NREGS; off += regs_table[r++].bytes)
    reg_write(G(), r, buf + off);
  if (regs_put(G()) < 0 || fp_put(G()) < 0)
    return reply_err(EINVAL);
  return reply("OK");
}

// "N" (a register number, then `end`, or '\0' for the end): the number, *p past it; or
// -1.
static int parse_reg(const char **p, char end) {
  uint64_t r;
  if (!gdb_parse_hex(p, &r) || **p != end || r >= (uint64_t)NREGS)
    return -1;
  *p += end != '\0';
  return (int)r;
}

static int h_p(char *a, size_t n) {
  (void)n;
  const char *p = a;
  int r = parse_reg(&p, '\0');
  if (r < 0)
    return reply_err(EINVAL);
  if (regs_get(G()) < 0 || fp_get(G()) < 0)
    return reply_err(EIO);
  uint8_t buf[16];
  reg_read(G(), r, buf);
  return reply_hex(buf, regs_table[r].bytes);
}

static int h_P(char *a, size_t n) {
  (void)n;
  const char *p = a;
  int r = parse_reg(&p, '=');
  uint8_t buf[16];
  if (r < 0 || strlen(p) != 2u * regs_table[r].bytes ||
      !gdb_hex_decode(buf, p, regs_table[r].bytes))
    return reply_err(EINVAL);
  if (regs_get(G()) < 0 || fp_get(G()) < 0)
    return reply_err(EIO);
  reg_write(G(), r, buf);
  if ((regs_table[r].src == S_INT ? regs_put(G()) : fp_put(G())) < 0)
    return reply_err(EINVAL); // the kernel refused the value
  return reply("OK");
}

// ---- memory ----
static int h_m(char *a, size_t n) {
  (void)n;
  uint64_t addr, len;
  if (!parse_addr_len(a, &addr, &len, '\0'))
    return reply_err(EINVAL);
  uint8_t buf[GDB_PKTMAX / 2];
  if (len > sizeof buf)
    len = sizeof buf; // GDB takes a short answer and asks for the rest
  long got = len ? mem_read(addr, buf, len) : 0;
  if (got < 0 || (got == 0 && len))
    return reply_err(EIO);
  return reply_hex(buf, (size_t)got);
}

// x: the same as binary data ("b", then the bytes escaped): GDB 16 and later read so.
static int h_x(char *a, size_t n) {
  (void)n;
  uint64_t addr, len;
  if (!parse_addr_len(a, &addr, &len, '\0'))
    return reply_err(EINVAL);
  uint8_t buf[(GDB_PKTMAX - 1) / 2]; // (even if every byte needs an escape, it fits)
  if (len > sizeof buf)
    len = sizeof buf;
  long got = len ? mem_read(addr, buf, len) : 0;
  if (got < 0 || (got == 0 && len))
    return reply_err(EIO);
  rbuf[0] = 'b';
  rlen = 1 + (size_t)gdb_escape(rbuf + 1, GDB_PKTMAX - 1, buf, (size_t)got);
  return R_REPLY;
}

static int write_reply(uint64_t addr, const uint8_t *buf, uint64_t len) {
  if (len && mem_write(addr, buf, len) != (long)len)
    return reply_err(EIO);
  return reply("OK");
}

static int h_M(char *a, size_t n) {
  (void)n;
  uint64_t addr, len;
  uint8_t buf[GDB_PKTMAX / 2];
  const char *p = parse_addr_len(a, &addr, &len, ':');
  if (!p || len > sizeof buf || strlen(p) != 2 * len || !gdb_hex_decode(buf, p, len))
    return reply_err(EINVAL);
  return write_reply(addr, buf, len);
}

// X: binary data, escaped; the length must match what arrives.
static int h_X(char *a, size_t n) {
  uint64_t addr, len;
  const char *p = parse_addr_len(a, &addr, &len, ':');
  if (!p)
    return reply_err(EINVAL);
  long got = gdb_unescape((char *)p, n - (size_t)(p - a));
  if (got < 0 || (uint64_t)got != len)
    return reply_err(EINVAL);
  return write_reply(addr, (const uint8_t *)p, len);
}

// ---- running ----
static int set_pc(const char *p) {
  uint64_t pc;
  if (!*p)
    return 0;
  if (!gdb_parse_hex(&p, &pc) || *p || regs_get(G()) < 0)
    return -1;
  G()->regs.rip = pc;
  return regs_put(G());
}

// The thread a legacy `s` steps: Hc's, or the Hg thread.
static struct thread *cont_thread(void) {
  struct thread *t = T.cont_tid ? th_find(T.cont_tid) : NULL;
  return t ? t : G();
}

// c [ADDR], s [ADDR], C SIG[;ADDR], S SIG[;ADDR]: `c` resumes every thread, `s` steps
// one (Hc's, else Hg's) while the others stay stopped. A signal goes to that thread.
static int resume_packet(char *a, bool step, bool with_sig) {
  uint64_t sig = 0;
  const char *p = a;
  if (with_sig && (!gdb_parse_hex(&p, &sig) || (*p && *p++ != ';')))
    return reply_err(EINVAL);
  if (set_pc(p) < 0)
    return reply_err(EINVAL);
  struct thread *me = cont_thread();
  FOR_THREADS(t) t->act = step ? 0 : 'c';
  me->act = step ? 's' : 'c';
  me->act_sig = linux_signal((int)sig);
  return run() < 0 ? R_QUIT : R_NONE;
}

static int h_c(char *a, size_t n) { return (void)n, resume_packet(a, false, false); }
static int h_C(char *a, size_t n) { return (void)n, resume_packet(a, false, true); }
static int h_s(char *a, size_t n) { return (void)n, resume_packet(a, true, false); }
static int h_S(char *a, size_t n) { return (void)n, resume_packet(a, true, true); }

static int h_vcont_query(char *a, size_t n) {
  (void)a, (void)n;
  return reply("vCont;c;C;s;S;r");
}

// Does a vCont action's ":THREAD" (or its absence) take in thread t?
static bool action_applies(const char *p, const struct thread *t) {
  uint64_t tid;
  if (*p == '\0' || *p == ';' || (p[0] == ':' && p[1] == '-'))
    return true; // no thread, or -1: every thread
  return *p++ == ':' && gdb_parse_hex(&p, &tid) && tid == (uint64_t)t->tid;
}

// vCont;ACTION[:THREAD]...: each thread takes the first action that names it (or names
// none: the default); threads no action takes stay stopped (scheduler-locking).
// Actions: c, CSIG, s, SSIG, rSTART,END (step while rip is in [START, END)).
static int h_vcont(char *a, size_t n) {
  (void)n;
  FOR_THREADS(t) t->act = 0;
  bool any = false;
  for (const char *p = a; p && *p == ';'; p = strchr(p + 1, ';')) {
    char kind = p[1];
    const char *q = p + 2;
    uint64_t sig = 0, lo = 0, hi = 0;
    bool ok = kind == 'c' || kind == 's' ||
              ((kind == 'C' || kind == 'S') && gdb_parse_hex(&q, &sig)) ||
              (kind == 'r' && gdb_parse_hex(&q, &lo) && *q++ == ',' &&
               gdb_parse_hex(&q, &hi));
    if (!ok) {
      FOR_THREADS(t) t->act = 0;
      return reply_err(EINVAL);
    }
    FOR_THREADS(t) if (!t->act && action_applies(q, t)) {
      t->act = kind == 'C' ? 'c' : kind == 'S' ? 's' : kind;
      t->act_sig = linux_signal((int)sig);
      t->lo = lo, t->hi = hi;
      any = true;
    }
  }
  if (!any)
    return reply_err(EINVAL);
  return run() < 0 ? R_QUIT : R_NONE;
}

// ---- breakpoints and watchpoints: Z/z TYPE,ADDR,KIND ----
static int z_packet(char *a, bool insert) {
  uint64_t type, addr, kind;
  const char *p = a;
  if (!gdb_parse_hex(&p, &type) || *p++ != ',' || !gdb_parse_hex(&p, &addr) ||
      *p++ != ',' || !gdb_parse_hex(&p, &kind) || (*p && *p != ';'))
    return reply_err(EINVAL);
  if (type > 4)
    return reply("%s", ""); // not a kind we know: "unsupported"
  int r;
  if (type == 0)
    r = insert ? bp_insert(addr) : bp_remove(addr);
  else
    r = insert ? hw_insert((int)type, addr, kind) : hw_remove((int)type, addr, kind);
  return r < 0 ? reply_err(EIO) : reply("OK");
}

static int h_Z(char *a, size_t n) { return (void)n, z_packet(a, true); }
static int h_z(char *a, size_t n) { return (void)n, z_packet(a, false); }

// ---- threads: each named by its thread id (no multiprocess extensions) ----
static int h_attached(char *a, size_t n) {
  (void)a, (void)n;
  return reply(S.attached ? "1" : "0");
}

static int h_current(char *a, size_t n) {
  (void)a, (void)n;
  return T.pid ? reply("QC%x", G()->tid) : reply_err(ESRCH);
}

// qfThreadInfo: every thread in one reply (up to NTHREADS fit easily); qsThreadInfo: the end.
static int h_first_thread(char *a, size_t n) {
  (void)a, (void)n;
  if (!T.pid)
    return reply("l");
  rlen = 0;
  FOR_THREADS(t) rlen += (size_t)snprintf(rbuf + rlen, sizeof rbuf - rlen, "%c%x",
                                          rlen ? ',' : 'm', t->tid);
  return R_REPLY;
}

static int h_next_thread(char *a, size_t n) {
  (void)a, (void)n;
  return reply("l");
}

// "-1" (all threads), "0" (any thread) or a thread id, ending the packet: the thread
// (G() for -1 and 0), NULL if there is no such thread.
static struct thread *parse_thread(const char *p) {
  uint64_t tid;
  if (!T.pid)
    return NULL;
  if (strcmp(p, "-1") == 0 || strcmp(p, "0") == 0)
    return G();
  return gdb_parse_hex(&p, &tid) && !*p ? th_find((long)tid) : NULL;
}

static int h_thread_alive(char *a, size_t n) {
  (void)n;
  return strcmp(a, "-1") && strcmp(a, "0") && parse_thread(a) ? reply("OK")
                                                               : reply_err(ESRCH);
}

// Hg THREAD: whose registers g/G/p/P read and write. Hc THREAD: the thread a legacy
// `s` steps (GDB uses vCont, which names its threads).
static int h_set_thread(char *a, size_t n) {
  (void)n;
  char op = a[0];
  if (op != 'g' && op != 'c')
    return reply("OK");
  if (!T.pid) // (GDB sets a thread before anything runs, in --multi mode)
    return reply("OK");
  struct thread *t = parse_thread(a + 1);
  if (!t)
    return reply_err(ESRCH);
  if (op == 'g')
    T.g = t;
  else
    T.cont_tid = strcmp(a + 1, "-1") && strcmp(a + 1, "0") ? t->tid : 0;
  return reply("OK");
}

// ---- qXfer: objects read in pieces, "m" (more follows) or "l" (the last) ----
static int xfer(const char *data, size_t total, const char *p) {
  uint64_t off, len;
  if (!parse_addr_len(p, &off, &len, '\0') || off > total)
    return reply_err(EINVAL);
  size_t n = total - off;
  if (n > len)
    n = len;
  if (n > (GDB_PKTMAX - 1) / 2)
    n = (GDB_PKTMAX - 1) / 2; // so that even all-escaped data fits
  long e = gdb_escape(rbuf + 1, GDB_PKTMAX - 1, data + off, n);
  rbuf[0] = off + n < total ? 'm' : 'l';
  rlen = 1 + (size_t)e;
  return R_REPLY;
}

static int h_features(char *a, size_t n) {
  (void)n;
  static const char annex[] = "target.xml:";
  if (strncmp(a, annex, sizeof annex - 1) != 0)
    return reply_err(ENOENT);
  return xfer(tdesc, tdesc_len, a + sizeof annex - 1);
}

// The program's path in the guest: proc:PID/exe, or what we ran.
static int h_exec_file(char *a, size_t n) {
  (void)n;
  char path[256], link[64];
  uint64_t pid = (uint64_t)T.pid;
  const char *p = a;
  if (*p != ':' && (!gdb_parse_hex(&p, &pid) || *p != ':'))
    return reply_err(EINVAL);
  if (!pid || pid != (uint64_t)T.pid)
    return reply_err(ESRCH);
  proc_path(link, sizeof link, T.pid, "exe");
  ssize_t len = readlink(link, path, sizeof path - 1);
  if (len <= 0 && T.ours && S.argv)
    len = snprintf(path, sizeof path, "%s", S.argv[0]);
  if (len <= 0)
    return reply_err(ENOENT);
  return xfer(path, (size_t)len, p + 1);
}

// The program's auxiliary vector (proc:PID/auxv) into buf: its length, or -1 with errno.
static ssize_t read_auxv(uint64_t *buf, size_t cap) {
  char path[64];
  proc_path(path, sizeof path, T.pid, "auxv");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t len = fd < 0 ? -1 : read(fd, buf, cap);
  if (fd >= 0)
    close(fd);
  return len;
}

// The auxiliary vector, as GDB reads it. With it GDB finds a dynamic program's load
// address (AT_ENTRY, AT_PHDR).
static int h_auxv(char *a, size_t n) {
  (void)n;
  uint64_t buf[128];
  if (*a != ':' || !T.pid)
    return reply_err(!T.pid ? ESRCH : EINVAL);
  ssize_t len = read_auxv(buf, sizeof buf);
  if (len < 0)
    return reply_err(errno);
  return xfer((const char *)buf, (size_t)len, a + 1);
}

// s into out as XML attribute text (&, <, > and " escaped).
static size_t xml_escape(char *out, size_t cap, const char *s) {
  size_t o = 0;
  for (; *s && o + 7 < cap; s++) {
    const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
                  : *s == '"' ? "&quot;" : NULL;
    if (e)
      o += (size_t)snprintf(out + o, cap - o, "%s", e);
    else if ((unsigned char)*s >= ' ')
      out[o++] = *s;
  }
  out[o] = '\0';
  return o;
}

// qXfer:threads:read: every thread with its name (proc:TID/comm), for `info threads`.
static int h_threads(char *a, size_t n) {
  (void)n;
  static char xml[NTHREADS * 96 + 64];
  if (*a != ':')
    return reply_err(EINVAL);
  size_t len = (size_t)snprintf(xml, sizeof xml, "<?xml version=\"1.0\"?><threads>");
  FOR_THREADS(t) {
    char comm[32] = "", name[96];
    int fd = proc_open(t->tid, "comm", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd < 0 ? -1 : read(fd, comm, sizeof comm - 1);
    if (fd >= 0)
      close(fd);
    comm[got > 0 ? got : 0] = '\0';
    comm[strcspn(comm, "\n")] = '\0';
    xml_escape(name, sizeof name, comm);
    len += (size_t)snprintf(xml + len, sizeof xml - len, "<thread id=\"%x\" name=\"%s\"/>",
                            t->tid, name);
  }
  len += (size_t)snprintf(xml + len, sizeof xml - len, "</threads>");
  return xfer(xml, len < sizeof xml ? len : sizeof xml - 1, a + 1);
}

// ---- shared libraries: qXfer:libraries-svr4:read ----
// The dynamic loader keeps its list of loaded objects in the program's memory: the
// program's dynamic section has a DT_DEBUG entry that the loader points at its r_debug,
// whose r_map is the first link_map (the program itself), each with l_addr (the load
// bias), l_name, l_ld (its dynamic section) and l_next. We find the dynamic section from
// the auxiliary vector (AT_PHDR, AT_PHNUM; PT_PHDR gives the program's own load bias)
// and walk the list, so GDB gets it in one reply instead of reading it word by word.
struct link_map64 {
  uint64_t l_addr, l_name, l_ld, l_next, l_prev;
};

static uint64_t peek64(uint64_t addr) {
  uint64_t v = 0;
  return mem_read(addr, &v, 8) == 8 ? v : 0;
}

// The r_debug address the loader left in DT_DEBUG; 0 if none (yet): a static program,
// or a dynamic one before its loader ran.
static uint64_t find_r_debug(void) {
  uint64_t aux[128], phdr = 0, phnum = 0;
  ssize_t len = read_auxv(aux, sizeof aux);
  for (ssize_t i = 0; i + 1 < len / 8 && aux[i] != AT_NULL; i += 2) {
    if (aux[i] == AT_PHDR)
      phdr = aux[i + 1];
    if (aux[i] == AT_PHNUM)
      phnum = aux[i + 1];
  }
  Elf64_Phdr ph[64];
  if (!phdr || !phnum || phnum > 64 ||
      mem_read(phdr, ph, phnum * sizeof *ph) != (long)(phnum * sizeof *ph))
    return 0;
  uint64_t bias = 0, dyn = 0, dynsz = 0;
  for (uint64_t i = 0; i < phnum; i++) {
    if (ph[i].p_type == PT_PHDR)
      bias = phdr - ph[i].p_vaddr;
    if (ph[i].p_type == PT_DYNAMIC)
      dyn = ph[i].p_vaddr, dynsz = ph[i].p_memsz;
  }
  for (uint64_t off = 0; dyn && off + 16 <= dynsz && off < 64 * 1024; off += 16) {
    Elf64_Dyn d;
    if (mem_read(bias + dyn + off, &d, sizeof d) != (long)sizeof d || d.d_tag == DT_NULL)
      break;
    if (d.d_tag == DT_DEBUG)
      return d.d_un.d_ptr;
  }
  return 0;
}

static size_t svr4_list(char *out, size_t cap) {
  size_t len = (size_t)snprintf(out, cap, "<library-list-svr4 version=\"1.0\"");
  uint64_t rd = find_r_debug(), lm = rd ? peek64(rd + 8) : 0, prev = 0; // r_map
  if (!lm)
    return len + (size_t)snprintf(out + len, cap - len, "/>");
  len += (size_t)snprintf(out + len, cap - len, " main-lm=\"0x%lx\">", (unsigned long)lm);
  for (int n = 0; lm && n < 1024; n++) { // (a bound: the list is the program's to break)
    struct link_map64 m;
    if (mem_read(lm, &m, sizeof m) != (long)sizeof m || m.l_prev != prev)
      break;
    char name[256] = "", esc[512];
    if (n > 0 && m.l_name && mem_read(m.l_name, name, sizeof name - 1) > 0 && name[0]) {
      name[sizeof name - 1] = '\0';
      xml_escape(esc, sizeof esc, name);
      size_t need = strlen(esc) + 120;
      if (len + need + 32 > cap)
        break;
      len += (size_t)snprintf(out + len, cap - len,
                              "<library name=\"%s\" lm=\"0x%lx\" l_addr=\"0x%lx\" "
                              "l_ld=\"0x%lx\" lmid=\"0x0\"/>",
                              esc, (unsigned long)lm, (unsigned long)m.l_addr,
                              (unsigned long)m.l_ld);
    }
    prev = lm;
    lm = m.l_next;
  }
  return len + (size_t)snprintf(out + len, cap - len, "</library-list-svr4>");
}

// The first entry is the program itself (GDB knows it: main-lm), and one without a name
// is skipped (as GDB does). lmid: every library is in the loader's base namespace (newer
// GDBs require the attribute; older ones ignore it).
static int h_libraries(char *a, size_t n) {
  (void)n;
  static char xml[32 * 1024];
  if (*a != ':' || !T.pid)
    return reply_err(!T.pid ? ESRCH : EINVAL);
  return xfer(xml, svr4_list(xml, sizeof xml), a + 1);
}

// ---- processes: extended-remote's run, attach, kill, restart; k and D ----
static bool quit_after_reply; // D (and monitor exit): the session ends after the reply

// The arguments of the program last run, kept for R and for a vRun without a name.
static char saved_strings[GDB_PKTMAX];
static char *saved_argv[64];

static void save_argv(char **argv) {
  char buf[GDB_PKTMAX];
  size_t used = 0;
  int i = 0;
  for (; argv[i] && i < 63; i++) { // (into buf first: argv may point into the old copy)
    size_t l = strlen(argv[i]) + 1;
    if (used + l > sizeof buf)
      break;
    memcpy(buf + used, argv[i], l);
    used += l;
  }
  memcpy(saved_strings, buf, used);
  for (int k = 0, off = 0; k < i; off += (int)strlen(saved_strings + off) + 1, k++)
    saved_argv[k] = saved_strings + off;
  saved_argv[i] = NULL;
  S.argv = saved_argv;
}

// vRun;PROGRAM;ARG...: each hex-encoded. An empty PROGRAM is the last one run.
static int h_vrun(char *a, size_t n) {
  (void)n;
  char buf[GDB_PKTMAX], *argv[64];
  size_t used = 0;
  int argc = 0;
  for (const char *p = a; *p == ';' && argc < 63; argc++) {
    const char *end = strchr(p + 1, ';');
    size_t hex = end ? (size_t)(end - p - 1) : strlen(p + 1);
    if (hex % 2 || !gdb_hex_decode((uint8_t *)buf + used, p + 1, hex / 2))
      return reply_err(EINVAL);
    argv[argc] = buf + used;
    used += hex / 2;
    buf[used++] = '\0';
    p += 1 + hex;
  }
  argv[argc] = NULL;
  if (argc == 0 || (!argv[0][0] && !S.argv))
    return reply_err(EINVAL);
  if (!argv[0][0])
    argv[0] = S.argv[0];
  kill_target(); // one process at a time
  if (launch(argv) < 0)
    return reply_err(ENOENT);
  save_argv(argv);
  return reply("%s", S.stop_text);
}

static int h_vattach(char *a, size_t n) {
  (void)n;
  uint64_t pid;
  const char *p = a;
  if (!gdb_parse_hex(&p, &pid) || *p || pid > 0x7fffffff)
    return reply_err(EINVAL);
  if (T.pid)
    return reply_err(EBUSY);
  return attach((int)pid) < 0 ? reply_err(EPERM) : reply("%s", S.stop_text);
}

static int h_vkill(char *a, size_t n) {
  (void)a, (void)n;
  kill_target();
  return reply("OK");
}

// R: start the last program again (no reply: GDB asks '?' next).
static int h_restart(char *a, size_t n) {
  (void)a, (void)n;
  kill_target();
  if (S.argv)
    launch(S.argv);
  return R_NONE;
}

// k: no reply. Without --multi there is nothing left to do afterwards.
static int h_kill(char *a, size_t n) {
  (void)a, (void)n;
  kill_target();
  return S.multi ? R_NONE : R_QUIT;
}

static int h_detach(char *a, size_t n) {
  (void)a, (void)n;
  if (!T.pid)
    return reply_err(ESRCH);
  detach();
  quit_after_reply = !S.multi;
  return reply("OK");
}

// monitor COMMAND: only "exit", which ends gdbserver (extended-remote sessions).
static int h_monitor(char *a, size_t n) {
  char cmd[64];
  if (n % 2 || n / 2 >= sizeof cmd || !gdb_hex_decode((uint8_t *)cmd, a, n / 2))
    return reply_err(EINVAL);
  cmd[n / 2] = '\0';
  if (strcmp(cmd, "exit") != 0)
    return reply_err(ENOENT);
  if (S.attached)
    detach();
  else
    kill_target();
  quit_after_reply = true;
  return reply("OK");
}

// ---- dispatch ----
struct command {
  const char *name;
  bool exact;       // the packet is exactly the name (else the name is a prefix)
  bool needs_stop;  // only with a process, stopped (else "E01")
  int (*fn)(char *args, size_t n);
};

// Longer names before their prefixes. Packets not here get the empty reply.
static const struct command commands[] = {
    {"qSupported", false, false, h_supported}, {"QStartNoAckMode", true, false, h_noack},
    {"?", true, false, h_status}, {"g", true, true, h_g}, {"G", false, true, h_G},
    {"p", false, true, h_p}, {"P", false, true, h_P}, {"m", false, true, h_m},
    {"M", false, true, h_M}, {"X", false, true, h_X}, {"x", false, true, h_x},
    {"c", false, true, h_c}, {"C", false, true, h_C}, {"s", false, true, h_s},
    {"S", false, true, h_S},
    {"vCont?", true, false, h_vcont_query}, {"vCont", false, true, h_vcont},
    {"Z", false, true, h_Z}, {"z", false, true, h_z}, {"k", true, false, h_kill},
    {"D", false, false, h_detach}, {"qAttached", false, false, h_attached},
    {"qC", true, false, h_current}, {"qfThreadInfo", true, false, h_first_thread},
    {"qsThreadInfo", true, false, h_next_thread}, {"T", false, false, h_thread_alive},
    {"H", false, false, h_set_thread}, {"qSymbol", false, false, h_ok}, {"!", true, false, h_ok},
    {"qXfer:features:read:", false, false, h_features},
    {"qXfer:exec-file:read:", false, false, h_exec_file},
    {"qXfer:auxv:read:", false, false, h_auxv},
    {"qXfer:threads:read:", false, true, h_threads},
    {"qXfer:libraries-svr4:read:", false, true, h_libraries},
    {"vRun", false, false, h_vrun}, {"vAttach;", false, false, h_vattach},
    {"vKill;", false, false, h_vkill}, {"R", false, false, h_restart},
    {"qRcmd,", false, false, h_monitor},
};

static int dispatch(char *pkt, size_t n) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    const struct command *c = &commands[i];
    size_t l = strlen(c->name);
    if (c->exact ? strcmp(pkt, c->name) != 0 : strncmp(pkt, c->name, l) != 0)
      continue;
    if (c->needs_stop && (!T.pid || T.running))
      return reply_err(ESRCH);
    return c->fn(pkt + l, n - l);
  }
  return h_empty(pkt, n);
}

static void open_comm(const char *spec);

// GDB hung up (vcon:): the process stays as it is, stopped, for the next GDB, which
// starts afresh (acknowledgements on; its qSupported clears the old breakpoints).
static void relink(void) {
  fprintf(stderr, "gdbserver: gdb went away; waiting for the next one on %s\n", S.relink);
  close(S.rfd);
  open_comm(S.relink);
  gdb_conn_init(&S.conn, comm_read, comm_write, NULL);
  S.gone = false;
  S.pending = 0;
}

// The session: packets in, replies out, until GDB leaves or the work is done.
static void serve(void) {
  for (;;) {
    int ev = S.pending ? S.pending : gdb_getpkt(&S.conn);
    S.pending = 0;
    if (ev < 0 && S.relink) {
      relink();
      continue;
    }
    if (ev < 0) { // GDB is gone: let the process go on without us
      detach();
      return;
    }
    if (ev == GDB_RX_INTERRUPT)
      continue; // (a Ctrl-C while stopped means nothing)
    int r = ev == GDB_RX_PACKET ? dispatch(S.conn.rx.pkt, S.conn.rx.len)
                                : reply_err(EINVAL); // too big, or a bad run-length code
    if (r == R_REPLY && gdb_putpkt(&S.conn, rbuf, rlen) < 0)
      S.gone = true;
    if (noack_next)
      S.conn.noack = true;
    noack_next = false;
    if (S.gone && S.relink && !quit_after_reply && (S.multi || T.pid)) {
      relink();
      continue;
    }
    if (r == R_QUIT || quit_after_reply || S.gone || (!S.multi && !T.pid))
      return;
  }
}

// ---- start-up ----
static void usage(void) {
  fprintf(stderr, "usage: gdbserver COMM PROGRAM [ARGS...]\n"
                  "       gdbserver --attach COMM PID\n"
                  "       gdbserver --multi COMM\n"
                  "COMM: a path (vcon:gdb, com2:), auto (vcon:gdb, else com2:), fd:N,\n"
                  "      or - (stdio)\n");
  exit(2);
}

// A terminal line must pass every byte as it is (Ctrl-C included).
static void open_comm(const char *spec) {
  if (strcmp(spec, "auto") == 0)
    spec = access("vcon:gdb", F_OK) == 0 ? "vcon:gdb" : "com2:";
  S.comm = spec;
  if (strncmp(spec, "vcon:", 5) == 0)
    S.relink = spec;
  if (strcmp(spec, "-") == 0) {
    S.rfd = 0, S.wfd = 1;
  } else if (strncmp(spec, "fd:", 3) == 0) {
    char *end;
    long fd = strtol(spec + 3, &end, 10);
    if (!spec[3] || *end || fd < 0 || fcntl((int)fd, F_GETFD) < 0)
      usage();
    S.rfd = S.wfd = (int)fd;
    fcntl(S.rfd, F_SETFD, FD_CLOEXEC);
  } else if ((S.rfd = S.wfd = open(spec, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
    fprintf(stderr, "gdbserver: %s: %s\n", spec, strerror(errno));
    exit(1);
  }
  struct termios t;
  if (tcgetattr(S.rfd, &t) == 0) {
    cfmakeraw(&t);
    tcsetattr(S.rfd, TCSANOW, &t);
  }
}

static bool option(const char *arg, bool *attach) {
  if (strcmp(arg, "--attach") == 0)
    return *attach = true;
  if (strcmp(arg, "--multi") == 0)
    return S.multi = true;
  return false;
}

// Our exit status: the program's, when we ran it (128 + signal if a signal ended it).
static int exit_status(void) {
  if (S.multi || S.attached)
    return 0;
  return WIFEXITED(S.status) ? WEXITSTATUS(S.status) : 128 + WTERMSIG(S.status);
}

int main(int argc, char **argv) {
  bool attach_mode = false;
  int i = 1;
  while (i < argc && option(argv[i], &attach_mode))
    i++;
  if (i >= argc)
    usage();
  const char *comm = argv[i++];
  while (i < argc && option(argv[i], &attach_mode)) // (also after COMM: for vrun --gdb)
    i++;
  if (attach_mode ? i + 1 != argc : S.multi ? i != argc : i >= argc)
    usage();
  signal(SIGPIPE, SIG_IGN); // a closed pipe or socket is EOF, not death
  open_comm(comm);
  gdb_conn_init(&S.conn, comm_read, comm_write, NULL);
  build_tdesc();
  if (attach_mode && attach(atoi(argv[i])) < 0)
    return 1;
  if (!attach_mode && !S.multi) {
    save_argv(argv + i);
    if (launch(S.argv) < 0)
      return 1;
  }
  fprintf(stderr, "gdbserver: listening on %s\n", S.comm);
  serve();
  if (T.pid)
    detach();
  usleep(200000); // (let the last reply leave the line before the machine may stop)
  return exit_status();
}
