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
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

// ---- the target process and its proc: files ----
#define NBREAK 64
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

static struct target {
  int pid;   // 0: no process
  bool ours; // we started it: we reap it, and qAttached says 0
  struct proc_session s; // proc:PID/trace, the register files and mem
  bool running;
  struct proc_event stop; // the stop it is in, when not running
  struct user_regs_struct regs;
  struct user_fpregs_struct fp;
  bool regs_ok, fp_ok; // the copies above are current
  struct swbreak bp[NBREAK];
  struct hwslot hw[4];
  bool interrupt_req; // we asked the session to stop it (GDB's Ctrl-C)
  int inject_sig;    // a signal GDB asked us to deliver, sent with kill(), on its way
} T = {.s = PROC_SESSION_INIT};

// The register and memory files. An exec makes old handles fail with ESRCH, so they
// are opened again after every exec stop.
static int open_files(void) {
  proc_drop_files(&T.s);
  T.regs_ok = T.fp_ok = false;
  bool ok = proc_file(&T.s, PROC_REGS_INT) >= 0 && proc_file(&T.s, PROC_REGS_FLOAT) >= 0 &&
            proc_file(&T.s, PROC_MEM) >= 0;
  return ok ? 0 : -1; // (regs/debug: optional)
}

static bool have_debug_regs(void) { return proc_file(&T.s, PROC_REGS_DEBUG) >= 0; }

static int regs_get(void) {
  if (!T.regs_ok)
    T.regs_ok = proc_get_regs(&T.s, &T.regs) == 0;
  return T.regs_ok ? 0 : -1;
}

static int fp_get(void) {
  if (!T.fp_ok)
    T.fp_ok = proc_get_fpregs(&T.s, &T.fp) == 0;
  return T.fp_ok ? 0 : -1;
}

// Write our copy back. If the kernel refuses it, the copy is stale: read it again.
static int regs_put(void) {
  T.regs_ok = proc_set_regs(&T.s, &T.regs) == 0;
  return T.regs_ok ? 0 : -1;
}

static int fp_put(void) {
  T.fp_ok = proc_set_fpregs(&T.s, &T.fp) == 0;
  return T.fp_ok ? 0 : -1;
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
  ssize_t got = proc_peek(&T.s, addr, buf, n); // (kernel addresses: EIO)
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
  ssize_t put = proc_poke(&T.s, addr, buf, n);
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
  if (!free_bp || proc_peek(&T.s, addr, &saved, 1) != 1 || proc_poke(&T.s, addr, &cc, 1) != 1)
    return -1; // no room, or unmapped or kernel memory
  *free_bp = (struct swbreak){addr, saved, 1};
  return 0;
}

static int bp_remove(uint64_t addr) {
  struct swbreak *b = bp_find(addr);
  if (!b || --b->refs > 0)
    return 0; // (removing one that is not there is no error: GDB may repeat itself)
  return proc_poke(&T.s, b->addr, &b->saved, 1) == 1 ? 0 : -1;
}

// Put the program's own bytes back (detach), or forget them (the program exec'd).
static void bp_clear(bool restore) {
  for (int i = 0; i < NBREAK; i++)
    if (T.bp[i].refs) {
      if (restore)
        proc_poke(&T.s, T.bp[i].addr, &T.bp[i].saved, 1);
      T.bp[i].refs = 0;
    }
}

// ---- hardware breakpoints and watchpoints: proc:PID/regs/debug ----
// DR7's R/W field for each Z type. x86 has no read-only watchpoint: a read watchpoint
// watches reads and writes, and GDB tells them apart by whether the value changed.
static const uint8_t z_rw[5] = {0, 0, 1, 3, 3};

static unsigned dr7_len(unsigned len) { // LEN field: 1, 2, 8, 4 bytes are 00, 01, 10, 11
  return len == 1 ? 0 : len == 2 ? 1 : len == 8 ? 2 : 3;
}

static int hw_write(void) {
  uint64_t dr[6] = {0}; // dr0, dr1, dr2, dr3, dr6, dr7
  for (int n = 0; n < 4; n++) {
    const struct hwslot *h = &T.hw[n];
    if (!h->type)
      continue;
    dr[n] = h->addr;
    dr[5] |= 1ull << (2 * n) | (uint64_t)z_rw[h->type] << (16 + 4 * n) |
             (uint64_t)dr7_len(h->len) << (18 + 4 * n);
  }
  return proc_set_debug(&T.s, dr);
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

static uint64_t resume_flags; // what the last resume asked for (without IGNORE)

static int write_flags(uint64_t f) {
  resume_flags = f & ~(uint64_t)PROC_FLAG_IGNORE;
  T.regs_ok = T.fp_ok = false;
  T.running = true;
  return proc_resume(&T.s, f);
}

// Blocks for the next event. -1 when the session has nothing more to say.
static int ev_read(struct proc_event *ev) { return proc_next_event(&T.s, ev); }

// GDB's Ctrl-C: ask the session to stop the program now (PROC_STOP_INTERRUPT; the
// kernel interrupts a blocking call, which restarts later). No signal is involved, so
// the program never sees one. Any stop answers the request.
static void request_interrupt(void) {
  if (!T.running || T.interrupt_req || !T.pid)
    return;
  T.interrupt_req = true;
  uint64_t f = resume_flags | PROC_STOP_INTERRUPT;
  if (proc_resume(&T.s, f) < 0)
    T.interrupt_req = false;
}

// Resume from the current stop. sig: the Linux signal GDB wants delivered (0: none).
// At a signal stop the kernel delivers the stop's signal unless told to drop it; any
// other signal is sent with kill() and let through when it comes back as a stop.
static int resume(bool step, int sig) {
  uint64_t flags = BASE_FLAGS | (step ? PROC_STOP_SINGLESTEP : 0);
  bool at_signal = T.stop.cause == PROC_STOP_SIGNAL;
  bool pass = at_signal && (int)T.stop.a == sig;
  if (at_signal && !pass)
    flags |= PROC_FLAG_IGNORE;
  if (sig && !pass) {
    T.inject_sig = sig;
    kill(T.pid, sig);
  }
  T.stop.cause = 0;
  return write_flags(flags);
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

// The next event from the process, watching GDB's side meanwhile.
static int wait_event(struct proc_event *ev) {
  for (;;) {
    if (proc_event_queued(&T.s))
      return ev_read(ev);
    comm_input(false); // (bytes already buffered: a Ctrl-C that came with a packet)
    struct pollfd p[2] = {{T.s.trace, POLLIN, 0}, {S.rfd, POLLIN, 0}};
    int n = poll(p, S.pending || S.gone ? 1 : 2, -1);
    if (n < 0 && errno != EINTR)
      return -1;
    if (n > 0 && p[1].revents)
      comm_input(true);
    if (n > 0 && p[0].revents)
      return ev_read(ev);
  }
}

// A fork's child is a copy of the parent, our int3s included; it is not debugged, so
// it gets the program's bytes back before it runs (it is held until its session opens).
static void release_child(int pid) {
  struct proc_event ev;
  struct proc_session c;
  if (proc_attach(&c, pid, 0) < 0) { // (not ours to trace): any write to the
    proc_resume(&T.s, resume_flags);      // parent's session frees it
    return;
  }
  bool held = proc_next_event(&c, &ev) == 0;
  for (int i = 0; held && i < NBREAK; i++)
    if (T.bp[i].refs)
      proc_poke(&c, T.bp[i].addr, &T.bp[i].saved, 1);
  proc_close(&c); // the child goes on, untraced
}

// The next stop GDB should hear of. A signal GDB asked us to deliver (sent with kill)
// is let through here.
static int next_stop(void) {
  struct proc_event ev;
  for (;;) {
    if (wait_event(&ev) < 0)
      return -1;
    bool sigstop = ev.cause == PROC_STOP_SIGNAL;
    if (ev.cause == PROC_EVENT_CLONE) {
      release_child((int)ev.a);
      continue;
    }
    if (sigstop && (int)ev.a == T.inject_sig) {
      T.inject_sig = 0;
      write_flags(resume_flags);
    } else {
      T.running = false;
      T.stop = ev;
      return 0;
    }
  }
}

// ---- stops, as GDB hears of them ----
static void forget_target(void) {
  proc_close(&T.s);
  for (int i = 0; i < NBREAK; i++)
    T.bp[i].refs = 0;
  memset(T.hw, 0, sizeof T.hw);
  T.pid = 0;
  T.running = false;
  T.interrupt_req = false;
  T.inject_sig = 0;
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

// The process stopped (T.stop): act on it and make the stop reply.
static void note_stop(void) {
  const struct proc_event *ev = &T.stop;
  int sig = 5; // SIGTRAP: breakpoints, steps, watchpoints, exec, attach
  char why[48] = "";
  if (ev->cause == PROC_EVENT_EXITED) {
    target_exited((int)ev->a);
    return;
  }
  if (ev->cause == PROC_STOP_INTERRUPT && T.interrupt_req) {
    sig = 2; // the stop GDB's Ctrl-C asked for: GDB calls it SIGINT
  } else if (ev->cause == PROC_STOP_SIGNAL) {
    sig = gdb_signal((int)ev->a);
  } else if (ev->cause == PROC_STOP_BREAKPOINT && bp_find(ev->a)) {
    snprintf(why, sizeof why, "swbreak:;");
  } else if (ev->cause == PROC_STOP_BREAKPOINT && regs_get() == 0) {
    T.regs.rip = ev->a + 1; // the program's own int3: a SIGTRAP after the instruction
    regs_put();
  } else if (ev->cause == PROC_STOP_WATCH) {
    watch_reason(ev->a, why, sizeof why);
  } else if (ev->cause == PROC_STOP_EXEC) {
    open_files(); // a new program: old handles are dead, breakpoints and DRs gone
    for (int i = 0; i < NBREAK; i++)
      T.bp[i].refs = 0;
    memset(T.hw, 0, sizeof T.hw);
  }
  T.interrupt_req = false; // (another stop that came first answers it too)
  // rbp, rsp and rip (GDB's registers 6, 7 and 0x10) come with the stop, so GDB need
  // not ask for all the registers to show where the program is: one round trip less.
  char fast[72] = "", h[3][17];
  if (regs_get() == 0) {
    gdb_hex_encode(h[0], &T.regs.rbp, 8);
    gdb_hex_encode(h[1], &T.regs.rsp, 8);
    gdb_hex_encode(h[2], &T.regs.rip, 8);
    snprintf(fast, sizeof fast, "06:%s;07:%s;10:%s;", h[0], h[1], h[2]);
  }
  snprintf(S.stop_text, sizeof S.stop_text, "T%02xthread:%x;%s%s", sig, T.pid, why, fast);
}

// One single step.
static int step_once(int sig) {
  resume(true, sig);
  return next_stop();
}

// Resume once. Resuming at one of our int3s would hit it at once: the first
// instruction is single-stepped with the program's byte back in place.
static int resume_over(bool step, int sig) {
  struct swbreak *b = regs_get() == 0 ? bp_find(T.regs.rip) : NULL;
  if (!b && step)
    return step_once(sig);
  if (!b) {
    resume(false, sig);
    return next_stop();
  }
  uint8_t cc = 0xcc;
  proc_poke(&T.s, b->addr, &b->saved, 1);
  int r = step_once(sig);
  if (r == 0 && T.stop.cause != PROC_EVENT_EXITED)
    proc_poke(&T.s, b->addr, &cc, 1);
  if (r < 0 || step || T.stop.cause != PROC_STOP_SINGLESTEP)
    return r;
  resume(false, 0);
  return next_stop();
}

// Range stepping goes on while rip stays in [lo, hi), is on none of our breakpoints,
// and GDB has not interrupted.
static bool keep_stepping(uint64_t lo, uint64_t hi) {
  return T.stop.cause == PROC_STOP_SINGLESTEP && !S.pending && !S.gone &&
         !T.interrupt_req && regs_get() == 0 && T.regs.rip >= lo && T.regs.rip < hi &&
         !bp_find(T.regs.rip);
}

static void detach(void);

// Resume as GDB asked, wait for a stop and report it (unless GDB went away or sent
// something else meanwhile: then the stop is kept for '?').
static int run(bool step, int sig, uint64_t lo, uint64_t hi) {
  int r = resume_over(step, sig);
  while (r == 0 && step && lo < hi && keep_stepping(lo, hi))
    r = resume_over(true, 0);
  if (r < 0) { // the session ended under us (it should end with an exit event)
    forget_target();
    snprintf(S.stop_text, sizeof S.stop_text, "X09");
  } else {
    note_stop();
  }
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
static int first_stop(uint64_t want) {
  struct proc_event ev;
  while (ev_read(&ev) == 0) {
    if (ev.cause == want) {
      T.stop = ev;
      T.running = false;
      return open_files();
    }
    if (ev.cause == PROC_EVENT_EXITED) {
      target_exited((int)ev.a);
      return -1;
    }
  }
  forget_target();
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
  if (proc_launch(&T.s, &how) < 0) {
    forget_target();
    return -1;
  }
  int pid = (int)T.s.pid;
  T.pid = pid;
  T.ours = true;
  S.attached = false;
  resume_flags = PROC_STOP_EXEC;
  T.running = true;
  if (first_stop(PROC_STOP_EXEC) < 0)
    return -1;
  note_stop();
  fprintf(stderr, "gdbserver: process %s created; pid = %d\n", argv[0], pid);
  return 0;
}

static int attach(int pid) {
  if (pid <= 0 || pid == getpid())
    return -1;
  T.pid = pid;
  T.ours = false;
  S.attached = true;
  if (proc_attach(&T.s, pid, O_TRUNC) < 0) { // O_TRUNC: stopped now
    fprintf(stderr, "gdbserver: cannot attach to %d: %s\n", pid, strerror(errno));
    forget_target();
    return -1;
  }
  if (first_stop(PROC_STOP_INTERRUPT) < 0)
    return -1;
  note_stop();
  fprintf(stderr, "gdbserver: attached to process %d\n", pid);
  return 0;
}

// Leave the process as if we had never been there: the program's bytes back, debug
// registers off, our Ctrl-C signal dropped. Closing the session lets it continue.
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
  struct proc_event ev;
  while (ev_read(&ev) == 0)
    if (ev.cause == PROC_EVENT_EXITED) {
      target_exited((int)ev.a);
      return;
    }
  forget_target();
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
               "swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+;binary-upload+", GDB_PKTMAX);
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

static uint8_t *reg_src(const struct reg *g) {
  return g->src == S_INT ? (uint8_t *)&T.regs + g->off : (uint8_t *)&T.fp + g->off;
}

static void reg_read(int r, uint8_t *out) {
  const struct reg *g = &regs_table[r];
  memset(out, 0, g->bytes);
  if (g->src == S_FTAG) {
    unsigned tags = ftag_full(&T.fp);
    out[0] = (uint8_t)tags, out[1] = (uint8_t)(tags >> 8);
  } else {
    memcpy(out, reg_src(g), g->srcbytes);
  }
}

static void reg_write(int r, const uint8_t *in) {
  const struct reg *g = &regs_table[r];
  if (g->src == S_FTAG)
    T.fp.ftw = (uint16_t)ftag_abridged((unsigned)(in[0] | in[1] << 8));
  else
    memcpy(reg_src(g), in, g->srcbytes);
}

static int h_g(char *a, size_t n) {
  (void)a, (void)n;
  if (regs_get() < 0 || fp_get() < 0)
    return reply_err(EIO);
  uint8_t buf[16];
  rlen = 0;
  for (int r = 0; r < NREGS; r++) {
    reg_read(r, buf);
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
  if (regs_get() < 0 || fp_get() < 0)
    return reply_err(EIO);
  for (int r = 0, off = 0; r < NREGS; off += regs_table[r++].bytes)
    reg_write(r, buf + off);
  if (regs_put() < 0 || fp_put() < 0)
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
  if (regs_get() < 0 || fp_get() < 0)
    return reply_err(EIO);
  uint8_t buf[16];
  reg_read(r, buf);
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
  if (regs_get() < 0 || fp_get() < 0)
    return reply_err(EIO);
  reg_write(r, buf);
  if ((regs_table[r].src == S_INT ? regs_put() : fp_put()) < 0)
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
  if (!gdb_parse_hex(&p, &pc) || *p || regs_get() < 0)
    return -1;
  T.regs.rip = pc;
  return regs_put();
}

// c [ADDR], s [ADDR], C SIG[;ADDR], S SIG[;ADDR]
static int resume_packet(char *a, bool step, bool with_sig) {
  uint64_t sig = 0;
  const char *p = a;
  if (with_sig && (!gdb_parse_hex(&p, &sig) || (*p && *p++ != ';')))
    return reply_err(EINVAL);
  if (set_pc(p) < 0)
    return reply_err(EINVAL);
  return run(step, linux_signal((int)sig), 0, 0) < 0 ? R_QUIT : R_NONE;
}

static int h_c(char *a, size_t n) { return (void)n, resume_packet(a, false, false); }
static int h_C(char *a, size_t n) { return (void)n, resume_packet(a, false, true); }
static int h_s(char *a, size_t n) { return (void)n, resume_packet(a, true, false); }
static int h_S(char *a, size_t n) { return (void)n, resume_packet(a, true, true); }

static int h_vcont_query(char *a, size_t n) {
  (void)a, (void)n;
  return reply("vCont;c;C;s;S;r");
}

// Does a vCont action's ":THREAD" (or its absence) name our process?
static bool action_is_ours(const char *p) {
  uint64_t tid;
  if (*p == '\0' || *p == ';' || (p[0] == ':' && p[1] == '-'))
    return true; // no thread, or -1: every thread
  return *p++ == ':' && gdb_parse_hex(&p, &tid) && tid == (uint64_t)T.pid;
}

// vCont;ACTION[:THREAD]...: the first action for our (only) thread applies.
// Actions: c, CSIG, s, SSIG, rSTART,END (step while rip is in [START, END)).
static int h_vcont(char *a, size_t n) {
  (void)n;
  for (const char *p = a; p && *p == ';'; p = strchr(p + 1, ';')) {
    char kind = p[1];
    const char *q = p + 2;
    uint64_t sig = 0, lo = 0, hi = 0;
    bool ok = kind == 'c' || kind == 's' ||
              ((kind == 'C' || kind == 'S') && gdb_parse_hex(&q, &sig)) ||
              (kind == 'r' && gdb_parse_hex(&q, &lo) && *q++ == ',' &&
               gdb_parse_hex(&q, &hi));
    if (!ok)
      return reply_err(EINVAL);
    if (!action_is_ours(q))
      continue;
    bool step = kind == 's' || kind == 'S' || kind == 'r';
    return run(step, linux_signal((int)sig), lo, hi) < 0 ? R_QUIT : R_NONE;
  }
  return reply_err(EINVAL);
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

// ---- threads: the process is its one thread, named by its PID ----
static int h_attached(char *a, size_t n) {
  (void)a, (void)n;
  return reply(S.attached ? "1" : "0");
}

static int h_current(char *a, size_t n) {
  (void)a, (void)n;
  return T.pid ? reply("QC%x", T.pid) : reply_err(ESRCH);
}

static int h_first_thread(char *a, size_t n) {
  (void)a, (void)n;
  return T.pid ? reply("m%x", T.pid) : reply("l");
}

static int h_next_thread(char *a, size_t n) {
  (void)a, (void)n;
  return reply("l");
}

static int h_thread_alive(char *a, size_t n) {
  (void)n;
  uint64_t tid;
  const char *p = a;
  bool ok = T.pid && gdb_parse_hex(&p, &tid) && !*p && tid == (uint64_t)T.pid;
  return ok ? reply("OK") : reply_err(ESRCH);
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

// The program's auxiliary vector (proc:PID/auxv). With it GDB finds a dynamic
// program's load address (AT_ENTRY, AT_PHDR) and, through its dynamic section, the
// loader's list of libraries in memory: `info sharedlibrary`, breakpoints in libc.
static int h_auxv(char *a, size_t n) {
  (void)n;
  char path[64], buf[1024];
  if (*a != ':' || !T.pid)
    return reply_err(!T.pid ? ESRCH : EINVAL);
  proc_path(path, sizeof path, T.pid, "auxv");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof buf);
  if (fd >= 0)
    close(fd);
  if (len < 0)
    return reply_err(errno);
  return xfer(buf, (size_t)len, a + 1);
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
    {"H", false, false, h_ok}, {"qSymbol", false, false, h_ok}, {"!", true, false, h_ok},
    {"qXfer:features:read:", false, false, h_features},
    {"qXfer:exec-file:read:", false, false, h_exec_file},
    {"qXfer:auxv:read:", false, false, h_auxv},
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
