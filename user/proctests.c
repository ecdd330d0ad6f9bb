// proctests: the proc: scheme's test suite (docs/proc.md; /work/shared/anchors.md §5-6).
//
// Every test is a function in the table at the end, run by the shared runner
// (user/lib/utest.h): one child per test, in its own process group, waited for with a
// deadline; each test gives exactly one PASS or FAIL line, and the last line is always
// "N passed, N failed"; the exit status is 1 if anything failed.
//
//   proctests            run every test
//   proctests NAME...    run only the named tests
//   proctests -l         list the tests
//
// The tests trace processes running this same program (static, not position-
// independent), so an address taken here is the same address in the target: the
// probes below are short assembly sequences whose every instruction address the tracer
// knows. Timing is never trusted for correctness: a "did not run" check gives the
// target ample time (tens of milliseconds) to do the wrong thing and then looks.
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "proc.h"
#include "utest.h"

#define PAGE 4096UL
#define TEST_DEADLINE_MS 15000 // a test still running after this is killed and fails
#define EVENT_WAIT_MS 5000   // how long a tracer waits for an event before failing
#define SETTLE_MS 40         // time given to a process to do what it must not do

typedef struct user_regs_struct regs_t;
typedef struct user_fpregs_struct fpregs_t;
_Static_assert(sizeof(regs_t) == 216, "proc:PID/regs/int is 216 bytes");
_Static_assert(sizeof(fpregs_t) == 512, "proc:PID/regs/float is 512 bytes");

// rflags bits
#define FL_CF 0x1UL
#define FL_PF 0x4UL
#define FL_AF 0x10UL
#define FL_ZF 0x40UL
#define FL_SF 0x80UL
#define FL_TF 0x100UL
#define FL_IF 0x200UL
#define FL_DF 0x400UL
#define FL_OF 0x800UL
#define FL_IOPL 0x3000UL
#define FL_NT 0x4000UL
#define FL_RF 0x10000UL
#define FL_VM 0x20000UL
#define FL_AC 0x40000UL
#define FL_VIF 0x80000UL
#define FL_VIP 0x100000UL
#define FL_ID 0x200000UL

static int g_argc; // main's arguments (for cmdline)
static char **g_argv;

// Become an ordinary user (gid first: after the uid change it would be refused).
static void become(unsigned uid) {
  OK(syscall(SYS_setresgid, uid, uid, uid));
  OK(syscall(SYS_setresuid, uid, uid, uid));
}

// A target ("kid"): a forked child that takes one-byte commands on a pipe and answers
// on another. The kid's ends are in g_kcmd and g_kres (it closes the parent's ends).
struct kid {
  long pid;
  int cmd; // the parent writes commands here
  int res; // and reads answers here
};
static int g_kcmd = -1, g_kres = -1;

static void kid_start(struct kid *k, void (*body)(void)) {
  int c[2], r[2];
  OK(pipe(c));
  OK(pipe(r));
  long pid = xfork();
  if (pid == 0) {
    close(c[1]);
    close(r[0]);
    g_kcmd = c[0], g_kres = r[1];
    body();
    _exit(0);
  }
  close(c[0]);
  close(r[1]);
  *k = (struct kid){pid, c[1], r[0]};
}

static void kid_send(const struct kid *k, int byte) {
  unsigned char b = byte;
  CHECK_EQ(write(k->cmd, &b, 1), 1);
}

// Read exactly n answer bytes (the kid may write them in pieces).
static void kid_recv(const struct kid *k, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    long r = read(k->res, (char *)buf + got, n - got);
    if (r <= 0)
      fail_at(__LINE__, "kid %ld's answer: read gave %ld after %zu of %zu bytes", k->pid, r,
              got, n);
    got += r;
  }
}

// Kid side: the next command byte (blocks in read), or -1 at end of file.
static int kid_get(void) {
  unsigned char b;
  long r;
  while ((r = read(g_kcmd, &b, 1)) < 0 && errno == EINTR)
    ;
  return r == 1 ? b : -1;
}

static void kid_put(const void *buf, size_t n) { CHECK_EQ(write(g_kres, buf, n), n); }

// Is anything waiting in the read end fd? (Never blocks.)
static bool readable(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

// Two processes in order: one opens the gate (a byte down a pipe), the other passes it
// once it is open.
struct gate {
  int rd, wr;
};

static struct gate gate_new(void) {
  int p[2];
  OK(pipe(p));
  return (struct gate){p[0], p[1]};
}

static void gate_open(const struct gate *g) { CHECK_EQ(write(g->wr, "a", 1), 1); }

static void gate_pass(const struct gate *g) {
  char c;
  CHECK_EQ(read(g->rd, &c, 1), 1);
}

// A process shows another (the test) a target: show() sends the target's pid and waits
// until the test, which took it with shown(), says seen().
struct show {
  int pid[2];
  struct gate done;
};

static struct show show_new(void) {
  struct show s;
  OK(pipe(s.pid));
  s.done = gate_new();
  return s;
}

static void show(const struct show *s, long pid) {
  CHECK_EQ(write(s->pid[1], &pid, sizeof pid), sizeof pid);
  gate_pass(&s->done);
}

static long shown(const struct show *s) {
  long pid;
  CHECK_EQ(read(s->pid[0], &pid, sizeof pid), sizeof pid);
  return pid;
}

static void seen(const struct show *s) { gate_open(&s->done); }

// ---------------------------------------------------------------------------------
// Kid bodies

static volatile uint64_t g_counter; // kid_spin's progress, read through proc:PID/mem

static void kid_spin(void) {
  for (;;)
    g_counter++;
}

// Wait for one command byte, exit with it as the status.
static void kid_read_exit(void) {
  int c = kid_get();
  _exit(c < 0 ? 99 : c);
}

// ---------------------------------------------------------------------------------
// proc: files

static const char *ppath(long pid, const char *file) {
  static char b[4][80];
  static int i;
  char *p = b[i++ % 4];
  proc_path(p, sizeof b[0], pid, file);
  return p;
}

static int popen_at(int line, long pid, const char *file, int flags) {
  int fd = open(ppath(pid, file), flags);
  if (fd < 0)
    fail_at(line, "open %s (flags %#x): errno %d (%s)", ppath(pid, file), flags, errno,
            strerror(errno));
  return fd;
}
#define POPEN(pid, file, flags) popen_at(__LINE__, (pid), (file), (flags))

static void regs_get_at(int line, long pid, regs_t *r) {
  int fd = popen_at(line, pid, "regs/int", O_RDONLY);
  long n = pread(fd, r, sizeof *r, 0);
  if (n != sizeof *r)
    fail_at(line, "read regs/int of %ld: %ld, errno %d", pid, n, errno);
  close(fd);
}
#define regs_get(pid, r) regs_get_at(__LINE__, (pid), (r))

// Write the whole set; the write's result (-1 with errno on failure).
static long regs_put(long pid, const regs_t *r) {
  int fd = open(ppath(pid, "regs/int"), O_RDWR);
  if (fd < 0)
    return -1;
  long n = pwrite(fd, r, sizeof *r, 0);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

static void fpu_get(long pid, fpregs_t *f) {
  int fd = POPEN(pid, "regs/float", O_RDONLY);
  CHECK_EQ(pread(fd, f, sizeof *f, 0), sizeof *f);
  close(fd);
}

static long fpu_put(long pid, const fpregs_t *f) {
  int fd = POPEN(pid, "regs/float", O_RDWR);
  long n = pwrite(fd, f, sizeof *f, 0);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

static void dbg_get(long pid, uint64_t v[6]) {
  int fd = POPEN(pid, "regs/debug", O_RDONLY);
  CHECK_EQ(pread(fd, v, 48, 0), 48);
  close(fd);
}

static long dbg_put(long pid, const uint64_t v[6]) {
  int fd = POPEN(pid, "regs/debug", O_RDWR);
  long n = pwrite(fd, v, 48, 0);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

// mem at an address (unsigned: the raw system call, so no libc check on the offset).
static long mem_pread(int fd, void *buf, size_t n, uint64_t addr) {
  return syscall(SYS_pread64, fd, buf, n, addr);
}
static long mem_pwrite(int fd, const void *buf, size_t n, uint64_t addr) {
  return syscall(SYS_pwrite64, fd, buf, n, addr);
}

static uint64_t peek64(long pid, const volatile void *addr) {
  uint64_t v = 0;
  int fd = POPEN(pid, "mem", O_RDONLY);
  CHECK_EQ(mem_pread(fd, &v, 8, (uint64_t)addr), 8);
  close(fd);
  return v;
}

// The value of "key:" in proc:PID/status (up to the end of the line), or "" if absent.
static const char *status_field(long pid, const char *key) {
  static char buf[2048], val[128];
  long n = -1;
  // An exec between the open and the read kills the handle (ESRCH): open it again.
  for (int tries = 0; n < 0 && tries < 5; tries++) {
    int fd = POPEN(pid, "status", O_RDONLY);
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0 && errno != ESRCH)
      break;
  }
  if (n < 0)
    fail_at(__LINE__, "read %s: errno %d", ppath(pid, "status"), errno);
  buf[n] = 0;
  char pat[64];
  snprintf(pat, sizeof pat, "\n%s:", key);
  const char *p = strncmp(buf, pat + 1, strlen(pat + 1)) == 0 ? buf - 1 : strstr(buf, pat);
  val[0] = 0;
  if (!p)
    return val;
  p += strlen(pat);
  while (*p == '\t' || *p == ' ')
    p++;
  size_t len = strcspn(p, "\n");
  len = len < sizeof val - 1 ? len : sizeof val - 1;
  memcpy(val, p, len);
  val[len] = 0;
  return val;
}

// The target is in a trace stop of the named kind (status says State t, TraceStop name).
#define EXPECT_STOP(pid, name)                                                           \
  do {                                                                                   \
    const char *st_ = status_field((pid), "State");                                      \
    if (st_[0] != 't')                                                                   \
      fail_at(__LINE__, "State of %ld is '%s', want t (a trace stop)", (long)(pid), st_);  \
    const char *ts_ = status_field((pid), "TraceStop");                                  \
    if (strcmp(ts_, (name)) != 0)                                                        \
      fail_at(__LINE__, "TraceStop of %ld is '%s', want %s", (long)(pid), ts_, (name));   \
  } while (0)

// Wait (up to 3 s) until the process's State letter is one of want.
static bool wait_state(long pid, const char *want) {
  for (int i = 0; i < 300; i++) {
    if (strchr(want, status_field(pid, "State")[0]))
      return true;
    sleep_ms(10);
  }
  return false;
}

// ---------------------------------------------------------------------------------
// Tracing

static const char *cause_name(uint64_t c) {
  switch (c) {
  case PROC_STOP_PRE_SYSCALL: return "PRE_SYSCALL";
  case PROC_STOP_POST_SYSCALL: return "POST_SYSCALL";
  case PROC_STOP_SINGLESTEP: return "SINGLESTEP";
  case PROC_STOP_SIGNAL: return "SIGNAL";
  case PROC_STOP_BREAKPOINT: return "BREAKPOINT";
  case PROC_STOP_EXIT: return "EXIT";
  case PROC_STOP_EXEC: return "EXEC";
  case PROC_STOP_INTERRUPT: return "INTERRUPT";
  case PROC_EVENT_CLONE: return "CLONE";
  case PROC_STOP_WATCH: return "WATCH";
  case PROC_EVENT_EXITED: return "EXITED";
  }
  return "?";
}

static int trace_open_at(int line, long pid, int flags) {
  return popen_at(line, pid, "trace", O_RDWR | flags);
}
#define TRACE(pid, flags) trace_open_at(__LINE__, (pid), (flags))

static void tset_at(int line, int tfd, uint64_t flags) {
  long r = write(tfd, &flags, sizeof flags);
  if (r != sizeof flags)
    fail_at(line, "write flags %#lx to trace: %ld, errno %d", (unsigned long)flags, r, errno);
}
#define TSET(tfd, flags) tset_at(__LINE__, (tfd), (flags))

// Every system call's entry and exit stop.
#define SYSCALL_STOPS (PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL)

// Start a kid with body, trace it asking for the stops, and send it command 1.
static int kid_traced_at(int line, struct kid *k, void (*body)(void), uint64_t stops) {
  kid_start(k, body);
  int tfd = trace_open_at(line, k->pid, 0);
  tset_at(line, tfd, stops);
  kid_send(k, 1);
  return tfd;
}
#define KID_TRACED(k, body, stops) kid_traced_at(__LINE__, (k), (body), (stops))

// The next event (one record), waiting at most EVENT_WAIT_MS.
static struct proc_event ev_next_at(int line, int tfd) {
  struct pollfd p = {tfd, POLLIN, 0};
  long r = poll(&p, 1, EVENT_WAIT_MS);
  if (r != 1 || !(p.revents & (POLLIN | POLLHUP)))
    fail_at(line, "no trace event within %d ms (poll %ld, revents %#x)", EVENT_WAIT_MS, r,
            p.revents);
  struct proc_event ev;
  r = read(tfd, &ev, sizeof ev);
  if (r != sizeof ev)
    fail_at(line, "trace read: %ld, errno %d (%s)", r, errno, strerror(errno));
  return ev;
}
#define EV_NEXT(tfd) ev_next_at(__LINE__, (tfd))

static struct proc_event ev_expect_at(int line, int tfd, uint64_t cause) {
  struct proc_event ev = ev_next_at(line, tfd);
  if (ev.cause != cause)
    fail_at(line, "event %s (a=%#lx b=%#lx), want %s", cause_name(ev.cause),
            (unsigned long)ev.a, (unsigned long)ev.b, cause_name(cause));
  return ev;
}
#define EV_EXPECT(tfd, cause) ev_expect_at(__LINE__, (tfd), (cause))

// Run the target from syscall stop to syscall stop (resuming with flags) until the stop
// `cause` for system call nr; return that event.
static struct proc_event ev_syscall_at(int line, int tfd, uint64_t flags, uint64_t cause,
                                       long nr) {
  for (int i = 0; i < 200; i++) {
    struct proc_event ev = ev_next_at(line, tfd);
    if (ev.cause == cause && (long)ev.a == nr)
      return ev;
    if (ev.cause != PROC_STOP_PRE_SYSCALL && ev.cause != PROC_STOP_POST_SYSCALL)
      fail_at(line, "event %s (a=%#lx) while waiting for %s of syscall %ld",
              cause_name(ev.cause), (unsigned long)ev.a, cause_name(cause), nr);
    tset_at(line, tfd, flags);
  }
  fail_at(line, "no %s of syscall %ld in 200 stops", cause_name(cause), nr);
}
#define EV_SYSCALL(tfd, flags, cause, nr) ev_syscall_at(__LINE__, (tfd), (flags), (cause), (nr))

// Attach with O_TRUNC and take the PROC_STOP_INTERRUPT stop.
static int attach_stopped_at(int line, long pid, int flags) {
  int tfd = trace_open_at(line, pid, O_TRUNC | flags);
  struct proc_event ev = ev_expect_at(line, tfd, PROC_STOP_INTERRUPT);
  if ((long)ev.a != pid)
    fail_at(line, "INTERRUPT event a=%ld, want the pid %ld", (long)ev.a, pid);
  return tfd;
}
#define ATTACH_STOPPED(pid) attach_stopped_at(__LINE__, (pid), 0)

// Start a kid with body and attach to it stopped.
static int kid_stopped_at(int line, struct kid *k, void (*body)(void)) {
  kid_start(k, body);
  return attach_stopped_at(line, k->pid, 0);
}
#define KID_STOPPED(k, body) kid_stopped_at(__LINE__, (k), (body))

// After the target's last event: EXITED with the wait status, then ESRCH.
static void expect_exited_at(int line, int tfd, int status) {
  struct proc_event ev = ev_expect_at(line, tfd, PROC_EVENT_EXITED);
  if (ev.a != (uint64_t)status)
    fail_at(line, "EXITED status %#lx (%s), want %#x", (unsigned long)ev.a,
            describe((int)ev.a), status);
  struct proc_event more;
  errno = 0;
  long r = read(tfd, &more, sizeof more);
  if (r != -1 || errno != ESRCH)
    fail_at(line, "read after EXITED: %ld errno %d, want ESRCH", r, errno);
}
#define EXPECT_EXITED(tfd, status) expect_exited_at(__LINE__, (tfd), (status))

// The kid's end: the session's EXITED record and then the parent's wait both give
// status (code << 8 for an exit, the signal for a kill).
static void kid_end_at(int line, const struct kid *k, int tfd, int status) {
  expect_exited_at(line, tfd, status);
  int st = wait_for(k->pid);
  if (WIFEXITED(status))
    expect_exit_at(line, st, WEXITSTATUS(status));
  else
    expect_killed_at(line, st, WTERMSIG(status));
}
#define KID_END(k, tfd, status) kid_end_at(__LINE__, (k), (tfd), (status))

// ---------------------------------------------------------------------------------
// This program's own file: its entry point and where an address's bytes are on disk.

static Elf64_Ehdr read_ehdr(int fd) {
  Elf64_Ehdr eh;
  CHECK_EQ(pread(fd, &eh, sizeof eh, 0), sizeof eh);
  CHECK(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
  return eh;
}

static uint64_t elf_entry(const char *path) {
  int fd = OK(open(path, O_RDONLY));
  uint64_t e = read_ehdr(fd).e_entry;
  close(fd);
  return e;
}

// The file offset holding virtual address va of the program at path.
static uint64_t file_offset_of(const char *path, uint64_t va) {
  int fd = OK(open(path, O_RDONLY));
  Elf64_Ehdr eh = read_ehdr(fd);
  for (int i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    CHECK_EQ(pread(fd, &ph, sizeof ph, eh.e_phoff + i * sizeof ph), sizeof ph);
    if (ph.p_type == PT_LOAD && va >= ph.p_vaddr && va < ph.p_vaddr + ph.p_filesz) {
      close(fd);
      return ph.p_offset + (va - ph.p_vaddr);
    }
  }
  fail_at(__LINE__, "address %#lx is in no loaded segment of %s", (unsigned long)va, path);
}

// ---------------------------------------------------------------------------------
// Probes: instruction sequences with known addresses. Each starts with a getpid system
// call, the marker the tracer waits for (a syscall stop whose rip is the probe's label).

extern char step_probe[], step_a[], step_b[], step_c[], step_d[], step_e[], step_end[];
extern char flags_probe[], flags_after[];
extern char regs_probe[], regs_after[];
extern char gs_probe[], gs_after[];
extern char exit77_probe[];
extern char bp_probe[], bp_after[];
extern char xmm_hold[];
extern char spin_probe[], spin_end[];
extern char fork_probe[], fork_syscall[], fork_after[];
extern char movss_probe[], movss_int3[];
volatile unsigned char spin_flag; // spin_probe loops until a signal handler sets it

uint64_t step_probe_fn(void) __asm__("step_probe");
uint64_t flags_probe_fn(void) __asm__("flags_probe");
void regs_probe_fn(uint64_t out[6]) __asm__("regs_probe");
uint64_t gs_probe_fn(void) __asm__("gs_probe");
int bp_probe_fn(void) __asm__("bp_probe");
void xmm_hold_fn(const void *in, void *out, int fd) __asm__("xmm_hold");
uint64_t spin_probe_fn(void) __asm__("spin_probe");
long fork_probe_fn(void) __asm__("fork_probe");
void movss_probe_fn(const uint16_t *sel) __asm__("movss_probe");

__asm__(".text\n"
        // uint64_t step_probe(void): single-step territory. Returns rflags as pushed
        // after the steps (TF must be clear). Instruction lengths: nop 1, inc %rdx 3,
        // mov $110,%eax 5, syscall 2.
        "step_probe:\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "step_a: nop\n"
        "step_b: inc %rdx\n"
        "step_c: mov $110, %eax\n"
        "step_d: syscall\n"
        "step_e: pushfq\n"
        "  pop %rax\n"
        "  ret\n"
        "step_end:\n"

        // uint64_t flags_probe(void): the rflags the tracer left at the marker's stop;
        // then sane flags again (DF and AC clear) before C code runs.
        "flags_probe:\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "flags_after:\n"
        "  pushfq\n"
        "  pop %rax\n"
        "  push $0x202\n"
        "  popfq\n"
        "  ret\n"

        // void regs_probe(uint64_t out[6]): rbx rbp r12..r15 as the tracer left them at
        // the marker's stop (they are zero before it).
        "regs_probe:\n"
        "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
        "  xor %ebx, %ebx; xor %ebp, %ebp; xor %r12d, %r12d\n"
        "  xor %r13d, %r13d; xor %r14d, %r14d; xor %r15d, %r15d\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "regs_after:\n"
        "  mov %rbx, 0(%rdi); mov %rbp, 8(%rdi); mov %r12, 16(%rdi)\n"
        "  mov %r13, 24(%rdi); mov %r14, 32(%rdi); mov %r15, 40(%rdi)\n"
        "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
        "  ret\n"

        // uint64_t gs_probe(void): the 8 bytes at %gs:0 once the tracer has set gs_base.
        "gs_probe:\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "gs_after:\n"
        "  mov %gs:0, %rax\n"
        "  ret\n"

        // Where a tracer sends a target: exit(77) without returning.
        "exit77_probe:\n"
        "  mov $60, %eax\n"
        "  mov $77, %edi\n"
        "  syscall\n"
        "  ud2\n"

        // int bp_probe(void): a breakpoint, then return 7.
        "bp_probe:\n"
        "  int3\n"
        "bp_after:\n"
        "  mov $7, %eax\n"
        "  ret\n"

        // void xmm_hold(const void *in, void *out, int fd): load xmm0..15 from in (256
        // bytes), block in read(fd, stack, 1) with them live, store them to out.
        "xmm_hold:\n"
        "  movdqu 0(%rdi), %xmm0; movdqu 16(%rdi), %xmm1; movdqu 32(%rdi), %xmm2\n"
        "  movdqu 48(%rdi), %xmm3; movdqu 64(%rdi), %xmm4; movdqu 80(%rdi), %xmm5\n"
        "  movdqu 96(%rdi), %xmm6; movdqu 112(%rdi), %xmm7; movdqu 128(%rdi), %xmm8\n"
        "  movdqu 144(%rdi), %xmm9; movdqu 160(%rdi), %xmm10; movdqu 176(%rdi), %xmm11\n"
        "  movdqu 192(%rdi), %xmm12; movdqu 208(%rdi), %xmm13; movdqu 224(%rdi), %xmm14\n"
        "  movdqu 240(%rdi), %xmm15\n"
        "  push %rsi\n"
        "  sub $8, %rsp\n"
        "  mov %edx, %edi\n"
        "  mov %rsp, %rsi\n"
        "  mov $1, %edx\n"
        "  xor %eax, %eax\n"
        "  syscall\n"
        "  add $8, %rsp\n"
        "  pop %rsi\n"
        "  movdqu %xmm0, 0(%rsi); movdqu %xmm1, 16(%rsi); movdqu %xmm2, 32(%rsi)\n"
        "  movdqu %xmm3, 48(%rsi); movdqu %xmm4, 64(%rsi); movdqu %xmm5, 80(%rsi)\n"
        "  movdqu %xmm6, 96(%rsi); movdqu %xmm7, 112(%rsi); movdqu %xmm8, 128(%rsi)\n"
        "  movdqu %xmm9, 144(%rsi); movdqu %xmm10, 160(%rsi); movdqu %xmm11, 176(%rsi)\n"
        "  movdqu %xmm12, 192(%rsi); movdqu %xmm13, 208(%rsi); movdqu %xmm14, 224(%rsi)\n"
        "  movdqu %xmm15, 240(%rsi)\n"
        "  ret\n"

        // uint64_t spin_probe(void): loop in user mode until spin_flag is set (by a
        // signal handler); return rflags.
        "spin_probe:\n"
        "1: cmpb $0, spin_flag(%rip)\n"
        "  je 1b\n"
        "  pushfq\n"
        "  pop %rax\n"
        "  ret\n"
        "spin_end:\n"

        // long fork_probe(void): the marker, then a second syscall instruction, which
        // the tracer makes a fork (rax = 57) while stepping. Only run under a tracer.
        "fork_probe:\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "fork_syscall:\n"
        "  syscall\n"
        "fork_after:\n"
        "  ret\n"

        // void movss_probe(const uint16_t *sel): MOV SS from watched memory, each
        // followed by an instruction that enters the kernel (CVE-2018-8897).
        "movss_probe:\n"
        "  mov $39, %eax\n"
        "  mov (%rdi), %ss\n"
        "  syscall\n"
        "  mov (%rdi), %ss\n"
        "movss_int3:\n"
        "  int3\n"
        "  ret\n");

static __attribute__((noinline)) void *main_addr(void) { return (void *)main_addr; }

// A function the breakpoint tests patch: opaque enough that calls are not folded.
static __attribute__((noinline, used)) int poke_target(int x) {
  __asm__ volatile("" ::: "memory");
  return x * 3 + 1;
}

// A function never called: its text is overwritten in a target.
static __attribute__((noinline, used)) int never_called(int x) {
  __asm__ volatile("" ::: "memory");
  return x ^ 0x5a5a;
}

// ---------------------------------------------------------------------------------
// Lifecycle: attach, stop, resume, exit

// O_TRUNC stops a target busy in user mode; writing 0 lets it run; its death is
// reported once and the real parent still reaps it.
static void t_attach_spin(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_spin);
  EXPECT_STOP(k.pid, "interrupt");
  char me[16];
  snprintf(me, sizeof me, "%ld", (long)getpid());
  CHECK(strcmp(status_field(k.pid, "TracerPid"), me) == 0);
  uint64_t c1 = peek64(k.pid, &g_counter);
  sleep_ms(SETTLE_MS);
  CHECK_EQ(peek64(k.pid, &g_counter), c1); // stopped: no progress
  TSET(tfd, 0);
  sleep_ms(SETTLE_MS);
  CHECK(peek64(k.pid, &g_counter) != c1); // running again
  CHECK(strcmp(status_field(k.pid, "TraceStop"), "none") == 0);
  OK(kill(k.pid, SIGTERM));
  EXPECT_EXITED(tfd, SIGTERM);
  struct proc_event ev;
  EXPECT_ERR(read(tfd, &ev, sizeof ev), ESRCH); // and it stays that way
  EXPECT_KILLED(wait_for(k.pid), SIGTERM);
}

// O_TRUNC interrupts a target blocked in read; the read restarts when it resumes.
static void t_attach_blocked_read(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  sleep_ms(10); // let it block
  int tfd = ATTACH_STOPPED(k.pid);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.orig_rax, SYS_read);
  TSET(tfd, 0);
  CHECK(wait_state(k.pid, "S")); // blocked in the restarted read
  kid_send(&k, 42);
  KID_END(&k, tfd, 42 << 8);
}

// The tracer is not the parent: it sees the exit stop and the EXITED record once; the
// real parent reaps, with the same status.
static void t_exit_seen_by_tracer_reaped_by_parent(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  struct gate traced = gate_new();
  long x = xfork();
  if (x == 0) {
    int tfd = TRACE(k.pid, 0);
    TSET(tfd, PROC_STOP_EXIT);
    gate_open(&traced);
    struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_EXIT);
    CHECK_EQ(ev.a, 7 << 8);
    TSET(tfd, 0);
    EXPECT_EXITED(tfd, 7 << 8);
    _exit(0);
  }
  gate_pass(&traced);
  kid_send(&k, 7);
  EXPECT_EXIT(wait_for(k.pid), 7);
  EXPECT_EXIT(wait_for(x), 0);
}

// PROC_STOP_EXIT: a = the wait status; the target is not a zombie yet and its memory
// and registers can still be read.
static void t_exit_stop(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  int tfd = TRACE(k.pid, 0);
  TSET(tfd, PROC_STOP_EXIT);
  kid_send(&k, 5);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_EXIT);
  CHECK_EQ(ev.a, 5 << 8);
  EXPECT_STOP(k.pid, "exit");
  int st;
  CHECK_EQ(syscall(SYS_wait4, k.pid, &st, WNOHANG, NULL), 0); // not reapable yet
  (void)peek64(k.pid, &g_counter);
  regs_t r;
  regs_get(k.pid, &r);
  TSET(tfd, 0);
  KID_END(&k, tfd, 5 << 8);
}

static void t_attach_errors(void) {
  EXPECT_ERR(open("/proc/self/trace", O_RDWR), EPERM);
  EXPECT_ERR(open(ppath(getpid(), "trace"), O_RDWR), EPERM);
  EXPECT_ERR(open(ppath(getpid(), "trace"), O_RDWR | O_TRUNC), EPERM);
  EXPECT_ERR(open("/proc/1/trace", O_RDWR), EPERM);
  EXPECT_ERR(open("/proc/1/trace", O_RDWR | O_TRUNC | O_EXCL), EPERM);
  EXPECT_ERR(open("/proc/999999/trace", O_RDWR), ENOENT);
  EXPECT_ERR(open("/proc/999999/regs/int", O_RDONLY), ENOENT);
  EXPECT_ERR(open("/proc/999999/mem", O_RDONLY), ENOENT);
  struct kid k;
  kid_start(&k, kid_read_exit);
  EXPECT_ERR(open(ppath(k.pid, "nosuchfile"), O_RDONLY), ENOENT);
  int tfd = TRACE(k.pid, 0);
  EXPECT_ERR(open(ppath(k.pid, "trace"), O_RDWR), EBUSY);
  EXPECT_ERR(open(ppath(k.pid, "trace"), O_RDWR | O_TRUNC), EBUSY);
  long x = xfork(); // someone else: still one session per process
  if (x == 0) {
    EXPECT_ERR(open(ppath(k.pid, "trace"), O_RDWR), EBUSY);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(x), 0);
  close(tfd);
  tfd = TRACE(k.pid, 0); // the session is gone with its descriptor
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// Handles opened before the target exits fail with ESRCH afterwards (zombie or reaped).
static void t_stale_after_exit(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  int mem = POPEN(k.pid, "mem", O_RDONLY), regs = POPEN(k.pid, "regs/int", O_RDONLY);
  int fpu = POPEN(k.pid, "regs/float", O_RDONLY), dbg = POPEN(k.pid, "regs/debug", O_RDONLY);
  int status = POPEN(k.pid, "status", O_RDONLY), maps = POPEN(k.pid, "maps", O_RDONLY);
  char b[512];
  CHECK_EQ(mem_pread(mem, b, 8, (uint64_t)&g_counter), 8);
  CHECK_EQ(pread(regs, b, 216, 0), 216);
  kid_send(&k, 3);
  // Its descriptors close as it exits; it is a zombie by the time we run again.
  CHECK_EQ(read(k.res, b, 1), 0);
  for (int round = 0; round < 2; round++) { // as a zombie, then reaped
    ctx("[round %d]", round);
    EXPECT_ERR(mem_pread(mem, b, 8, (uint64_t)&g_counter), ESRCH);
    EXPECT_ERR(pread(regs, b, 216, 0), ESRCH);
    EXPECT_ERR(pread(fpu, b, 512, 0), ESRCH);
    EXPECT_ERR(pread(dbg, b, 48, 0), ESRCH);
    EXPECT_ERR(pread(status, b, sizeof b, 0), ESRCH);
    EXPECT_ERR(pread(maps, b, sizeof b, 0), ESRCH);
    if (round == 0)
      EXPECT_EXIT(wait_for(k.pid), 3);
  }
}

// Exec: handles opened on the old program die (ESRCH), even for the tracer of a
// stopped target; the session survives and reports PROC_STOP_EXEC at the new entry.
static void kid_exec_wait(void) {
  if (kid_get() < 0)
    _exit(99);
  dup2(g_kcmd, 0);
  char *argv[] = {"proctests", "--wait", NULL};
  execve(g_self, argv, NULL);
  _exit(98);
}

// Wait (up to 3 s) until pid runs `proctests --wait` (its cmdline says so).
static void wait_for_exec(long pid) {
  for (int i = 0; i < 300; i++) {
    char b[256];
    int fd = open(ppath(pid, "cmdline"), O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
    if (fd >= 0)
      close(fd);
    if (n > 0 && memmem(b, n, "--wait", 7))
      return;
    sleep_ms(10);
  }
  fail_at(__LINE__, "process %ld never ran proctests --wait", pid);
}

// Without any stop: handles opened before the exec fail with ESRCH after it (also a
// write, which a live handle would refuse with EBUSY), new ones work.
static void t_stale_after_exec(void) {
  struct kid k;
  kid_start(&k, kid_exec_wait);
  int mem = POPEN(k.pid, "mem", O_RDWR), regs = POPEN(k.pid, "regs/int", O_RDWR);
  int fpu = POPEN(k.pid, "regs/float", O_RDONLY), maps = POPEN(k.pid, "maps", O_RDONLY);
  kid_send(&k, 1);
  wait_for_exec(k.pid);
  uint64_t entry = elf_entry(g_self);
  char b[512];
  EXPECT_ERR(mem_pread(mem, b, 8, entry), ESRCH);
  EXPECT_ERR(mem_pwrite(mem, "\xcc", 1, entry), ESRCH);
  EXPECT_ERR(pread(regs, b, 216, 0), ESRCH);
  EXPECT_ERR(pwrite(regs, b, 216, 0), ESRCH);
  EXPECT_ERR(pread(fpu, b, 512, 0), ESRCH);
  EXPECT_ERR(pread(maps, b, sizeof b, 0), ESRCH);
  int mem2 = POPEN(k.pid, "mem", O_RDONLY);
  CHECK_EQ(mem_pread(mem2, b, 16, entry), 16);
  CHECK(memcmp(b, (void *)entry, 16) == 0);
  kid_send(&k, 34);
  EXPECT_EXIT(wait_for(k.pid), 34);
}

static void t_exec_stop(void) {
  struct kid k;
  kid_start(&k, kid_exec_wait);
  int tfd = TRACE(k.pid, 0);
  int mem = POPEN(k.pid, "mem", O_RDWR), regs = POPEN(k.pid, "regs/int", O_RDWR);
  int status = POPEN(k.pid, "status", O_RDONLY);
  TSET(tfd, PROC_STOP_EXEC);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_EXEC);
  EXPECT_STOP(k.pid, "exec");
  uint64_t entry = elf_entry(g_self);
  CHECK_EQ(ev.a, entry);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, entry);
  CHECK(r.rsp > 0x7f0000000000UL && r.rsp < 0x800000000000UL);
  char b[512];
  EXPECT_ERR(mem_pread(mem, b, 8, entry), ESRCH);
  EXPECT_ERR(mem_pwrite(mem, "\xcc", 1, entry), ESRCH); // never into the new program
  EXPECT_ERR(pread(regs, b, 216, 0), ESRCH);
  EXPECT_ERR(pwrite(regs, &r, 216, 0), ESRCH);
  EXPECT_ERR(pread(status, b, sizeof b, 0), ESRCH);
  int mem2 = POPEN(k.pid, "mem", O_RDWR); // a new handle works
  CHECK_EQ(mem_pread(mem2, b, 16, entry), 16);
  CHECK(memcmp(b, (void *)entry, 16) == 0); // the same program: the same entry code
  TSET(tfd, 0);
  kid_send(&k, 33);
  KID_END(&k, tfd, 33 << 8);
}

// Closing the session releases a stopped target: it continues where it was.
static void t_close_releases(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  kid_send(&k, 5); // it is stopped: the byte waits
  sleep_ms(SETTLE_MS);
  int st;
  CHECK_EQ(syscall(SYS_wait4, k.pid, &st, WNOHANG, NULL), 0);
  close(tfd);
  EXPECT_EXIT(wait_for(k.pid), 5);
}

// At a syscall-entry stop, closing lets the call run.
static void kid_write_x(void) {
  if (kid_get() < 0)
    _exit(99);
  CHECK_EQ(syscall(SYS_write, g_kres, "x", 1), 1);
  _exit(0);
}

static void t_close_at_syscall_entry(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_write_x, PROC_STOP_PRE_SYSCALL);
  EV_SYSCALL(tfd, PROC_STOP_PRE_SYSCALL, PROC_STOP_PRE_SYSCALL, SYS_write);
  CHECK(!readable(k.res, SETTLE_MS)); // not yet written
  close(tfd);
  char c;
  kid_recv(&k, &c, 1);
  CHECK_EQ(c, 'x');
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// O_EXCL: closing the session kills the target (stopped or running).
static void t_close_excl_kills(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  int tfd = attach_stopped_at(__LINE__, k.pid, O_EXCL);
  close(tfd);
  EXPECT_KILLED(wait_for(k.pid), SIGKILL);
  kid_start(&k, kid_spin);
  tfd = TRACE(k.pid, O_EXCL);
  sleep_ms(10);
  close(tfd);
  EXPECT_KILLED(wait_for(k.pid), SIGKILL);
}

// The tracer's death closes its descriptors: the target is released (or, with O_EXCL,
// killed).
static void tracer_dies(int excl) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  struct gate attached = gate_new();
  long x = xfork();
  if (x == 0) {
    attach_stopped_at(__LINE__, k.pid, excl);
    gate_open(&attached);
    _exit(0); // the session still open
  }
  gate_pass(&attached);
  EXPECT_EXIT(wait_for(x), 0);
  if (!excl) // (a killed kid reads no more: the write could raise SIGPIPE)
    kid_send(&k, 4);
  int st = wait_for(k.pid);
  if (excl)
    EXPECT_KILLED(st, SIGKILL);
  else
    EXPECT_EXIT(st, 4);
}
static void t_tracer_exit_releases(void) { tracer_dies(0); }
static void t_tracer_exit_excl_kills(void) { tracer_dies(O_EXCL); }

// The same file under its three names.
static void t_three_names(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  static const char *const names[3] = {"proc:%ld/regs/int", "/scheme/proc/%ld/regs/int",
                                       "/proc/%ld/regs/int"};
  regs_t r[3];
  for (int i = 0; i < 3; i++) {
    char p[80];
    snprintf(p, sizeof p, names[i], k.pid);
    int fd = OK(open(p, O_RDONLY));
    CHECK_EQ(read(fd, &r[i], sizeof r[i]), sizeof r[i]);
    close(fd);
  }
  CHECK(memcmp(&r[0], &r[1], sizeof r[0]) == 0 && memcmp(&r[0], &r[2], sizeof r[0]) == 0);
  TSET(tfd, 0);
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// A failed exec is no exec: its syscall-exit shows the error, no PROC_STOP_EXEC.
static void kid_exec_fails(void) {
  if (kid_get() < 0)
    _exit(99);
  char *argv[] = {"x", NULL};
  long r = syscall(SYS_execve, "/no/such/program", argv, NULL);
  _exit(r == -1 && errno == ENOENT ? 0 : 1);
}

static void t_exec_failed_no_stop(void) {
  struct kid k;
  kid_start(&k, kid_exec_fails);
  int tfd = TRACE(k.pid, 0);
  uint64_t set[8] = {0};
  set[SYS_execve / 64] = 1UL << (SYS_execve % 64);
  int sf = POPEN(k.pid, "sysfilter", O_WRONLY);
  CHECK_EQ(write(sf, set, sizeof set), sizeof set);
  TSET(tfd, PROC_STOP_EXEC | PROC_STOP_POST_SYSCALL);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_execve);
  CHECK_EQ(ev.b, -ENOENT);
  TSET(tfd, PROC_STOP_EXEC | PROC_STOP_POST_SYSCALL);
  KID_END(&k, tfd, 0);
}

// ---------------------------------------------------------------------------------
// Fork under a session: PROC_EVENT_CLONE, and the held child

static int g_gpipe[2]; // the grandchild writes 'g' here when it runs

// On command: fork; the child writes 'g' and exits 0; the kid reports the pid fork
// returned, waits for the child, and exits 0 if the child exited 0.
static void kid_forker(void) {
  if (kid_get() < 0)
    _exit(99);
  long pid = syscall(SYS_fork);
  if (pid == 0) {
    CHECK_EQ(write(g_gpipe[1], "g", 1), 1);
    _exit(0);
  }
  kid_put(&pid, sizeof pid);
  int st;
  CHECK_EQ(syscall(SYS_wait4, pid, &st, 0, NULL), pid);
  _exit(st == 0 ? 0 : 1);
}

// Start kid_forker under a session asking for EVENT_CLONE; return the held child's pid
// after checking it is held (stopped, has not run).
static long start_held_child(struct kid *k, int *tfd) {
  OK(pipe(g_gpipe));
  kid_start(k, kid_forker);
  close(g_gpipe[1]);
  OK(fcntl(g_gpipe[0], F_SETFL, O_NONBLOCK));
  *tfd = TRACE(k->pid, 0);
  TSET(*tfd, PROC_EVENT_CLONE);
  kid_send(k, 1);
  struct proc_event ev = EV_EXPECT(*tfd, PROC_EVENT_CLONE);
  long forked;
  kid_recv(k, &forked, sizeof forked); // the parent was not stopped
  CHECK_EQ(ev.a, forked);
  EXPECT_STOP(forked, "interrupt");
  char c;
  sleep_ms(SETTLE_MS);
  EXPECT_ERR(read(g_gpipe[0], &c, 1), EAGAIN); // it has not run
  return forked;
}

static void expect_grandchild_ran(void) {
  char c = 0;
  CHECK(readable(g_gpipe[0], EVENT_WAIT_MS));
  CHECK_EQ(read(g_gpipe[0], &c, 1), 1);
  CHECK_EQ(c, 'g');
}

// Opening the held child's trace: its first event is INTERRUPT, it stays stopped until
// that session is written to.
static void t_clone_held_own_session(void) {
  struct kid k;
  int tfd;
  long g = start_held_child(&k, &tfd);
  int gfd = TRACE(g, 0);
  struct proc_event ev = EV_EXPECT(gfd, PROC_STOP_INTERRUPT);
  CHECK_EQ(ev.a, g);
  char c;
  sleep_ms(SETTLE_MS);
  EXPECT_ERR(read(g_gpipe[0], &c, 1), EAGAIN);
  EXPECT_STOP(g, "interrupt");
  TSET(gfd, 0);
  expect_grandchild_ran();
  EXPECT_EXITED(gfd, 0);
  KID_END(&k, tfd, 0);
}

// The next write on the parent's session releases the held child.
static void t_clone_held_released_by_parent_session(void) {
  struct kid k;
  int tfd;
  start_held_child(&k, &tfd);
  TSET(tfd, PROC_EVENT_CLONE);
  expect_grandchild_ran();
  KID_END(&k, tfd, 0);
}

// Closing the parent's session releases the held child.
static void t_clone_held_released_by_close(void) {
  struct kid k;
  int tfd;
  start_held_child(&k, &tfd);
  close(tfd);
  expect_grandchild_ran();
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// More CLONE events than the queue holds: the target waits for room instead of
// dropping any (it does not stop: it sleeps); every child's pid arrives, in order.
#define MANY_FORKS 70
static void kid_fork_many(void) {
  if (kid_get() < 0)
    _exit(99);
  long pids[MANY_FORKS];
  for (int i = 0; i < MANY_FORKS; i++) {
    pids[i] = syscall(SYS_fork);
    if (pids[i] == 0)
      _exit(0);
    CHECK(pids[i] > 0);
  }
  kid_put("d", 1);
  for (int i = 0; i < MANY_FORKS; i++) {
    int st;
    CHECK_EQ(syscall(SYS_wait4, pids[i], &st, 0, NULL), pids[i]);
    CHECK_EQ(st, 0);
  }
  _exit(0);
}

static void queue_full(bool close_it) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_fork_many, PROC_EVENT_CLONE);
  CHECK(wait_state(k.pid, "S")); // forking does not sleep: this is the wait for room
  CHECK(!readable(k.res, 0));    // it has not finished forking
  if (close_it) {
    close(tfd);
  } else {
    long last = 0;
    for (int n = 0; n < MANY_FORKS;) {
      static struct proc_event ev[MANY_FORKS];
      CHECK(readable(tfd, EVENT_WAIT_MS));
      long got = OK(read(tfd, ev, sizeof ev)) / sizeof ev[0];
      for (long i = 0; i < got; i++, n++) {
        ctx("[event %d]", n);
        CHECK_EQ(ev[i].cause, PROC_EVENT_CLONE);
        CHECK((long)ev[i].a > last); // each a new child, in the order made
        last = ev[i].a;
      }
    }
    ctx("%s", "");
    TSET(tfd, 0); // releases the held children
  }
  char c;
  kid_recv(&k, &c, 1);
  EXPECT_EXIT(wait_for(k.pid), 0);
  if (!close_it) {
    EXPECT_EXITED(tfd, 0);
  }
}
static void t_event_queue_full(void) { queue_full(false); }
static void t_event_queue_full_close(void) { queue_full(true); }

// The held child's parent dies: closing the session still releases the child.
static void t_clone_held_parent_dies(void) {
  struct kid k;
  int tfd;
  long g = start_held_child(&k, &tfd);
  OK(kill(k.pid, SIGKILL));
  EXPECT_KILLED(wait_for(k.pid), SIGKILL);
  sleep_ms(SETTLE_MS);
  EXPECT_STOP(g, "interrupt"); // still held
  close(tfd);
  expect_grandchild_ran();
}

// Events are read oldest first, as many whole records as fit: CLONE, then the fork's
// syscall-exit stop (only fork stops: sysfilter).
static void kid_fork_raw(void) {
  if (kid_get() < 0)
    _exit(99);
  long pid = syscall(SYS_fork);
  if (pid == 0)
    _exit(0);
  int st;
  CHECK_EQ(syscall(SYS_wait4, pid, &st, 0, NULL), pid);
  _exit(st == 0 ? 0 : 1);
}

static void t_events_batched(void) {
  struct kid k;
  kid_start(&k, kid_fork_raw);
  int tfd = TRACE(k.pid, 0);
  uint64_t set[8] = {0};
  set[SYS_fork / 64] |= 1UL << (SYS_fork % 64);
  int sf = POPEN(k.pid, "sysfilter", O_WRONLY);
  CHECK_EQ(write(sf, set, sizeof set), sizeof set);
  TSET(tfd, PROC_EVENT_CLONE | PROC_STOP_POST_SYSCALL);
  kid_send(&k, 1);
  CHECK(readable(tfd, EVENT_WAIT_MS));
  CHECK(wait_state(k.pid, "t")); // both events are queued once the kid stops
  struct proc_event ev[3];
  CHECK_EQ(read(tfd, ev, 2 * sizeof ev[0] + 55), 2 * sizeof ev[0]);
  CHECK_EQ(ev[0].cause, PROC_EVENT_CLONE);
  CHECK_EQ(ev[1].cause, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev[1].a, SYS_fork);
  CHECK_EQ(ev[1].b, ev[0].a); // fork returned the child's pid
  TSET(tfd, 0); // resumes the kid and releases the child
  KID_END(&k, tfd, 0);
}

// ---------------------------------------------------------------------------------
// System-call stops

#define NR_UNUSED 333 // a number the kernel does not implement (ENOSYS)
#define ARG(i) (0x1111111111111111UL * (i) + 0x0102030405UL)

// On command: a 6-argument call the kernel lacks, then write(g_kres, "hi!", 3).
static const char g_hi[] = "hi!";
static void kid_args(void) {
  if (kid_get() < 0)
    _exit(99);
  long r = syscall(NR_UNUSED, ARG(1), ARG(2), ARG(3), ARG(4), ARG(5), ARG(6));
  if (r != -1 || errno != ENOSYS)
    _exit(1);
  CHECK_EQ(syscall(SYS_write, g_kres, g_hi, 3), 3);
  _exit(0);
}

// Syscall-entry shows the number and the first five arguments; syscall-exit the result.
static void t_syscall_args_and_result(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_args, SYSCALL_STOPS);
  struct proc_event ev = EV_SYSCALL(tfd, SYSCALL_STOPS, PROC_STOP_PRE_SYSCALL, NR_UNUSED);
  EXPECT_STOP(k.pid, "syscall-entry");
  CHECK_EQ(ev.b, ARG(1));
  CHECK_EQ(ev.c, ARG(2));
  CHECK_EQ(ev.d, ARG(3));
  CHECK_EQ(ev.e, ARG(4));
  CHECK_EQ(ev.f, ARG(5));
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.orig_rax, NR_UNUSED);
  CHECK_EQ(r.rdi, ARG(1));
  CHECK_EQ(r.r9, ARG(6)); // the sixth is in the registers
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  EXPECT_STOP(k.pid, "syscall-exit");
  CHECK_EQ(ev.a, NR_UNUSED);
  CHECK_EQ(ev.b, -ENOSYS);
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(ev.a, SYS_write);
  CHECK_EQ(ev.c, (uint64_t)g_hi);
  CHECK_EQ(ev.d, 3);
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_write);
  CHECK_EQ(ev.b, 3);
  regs_get(k.pid, &r);
  CHECK_EQ(r.rax, 3);
  TSET(tfd, 0);
  char b[3];
  kid_recv(&k, b, 3);
  CHECK(memcmp(b, "hi!", 3) == 0);
  KID_END(&k, tfd, 0);
}

// On command: getpid, then write(g_kres, "x", 1), both of which the tracer skips; then
// close the answer pipe (so the parent sees whether anything came) and wait for a last
// command before exiting 0 if both calls returned what the tracer left.
static void kid_getpid_write(void) {
  if (kid_get() < 0)
    _exit(99);
  long r[2];
  r[0] = syscall(SYS_getpid);
  r[1] = syscall(SYS_write, g_kres, "x", 1);
  close(g_kres);
  kid_get();
  _exit(r[0] == 12345 && r[1] == 1 ? 0 : 1);
}

// Run to the entry stop of system call nr (through other syscall stops): its registers.
static regs_t entry_regs(const struct kid *k, int tfd, long nr) {
  EV_SYSCALL(tfd, SYSCALL_STOPS, PROC_STOP_PRE_SYSCALL, nr);
  regs_t r;
  regs_get(k->pid, &r);
  return r;
}

// Write r at an entry stop and run the call to its exit stop: that event.
static struct proc_event run_changed(const struct kid *k, int tfd, const regs_t *r) {
  CHECK_EQ(regs_put(k->pid, r), sizeof *r);
  TSET(tfd, SYSCALL_STOPS);
  return EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
}

// PROC_FLAG_IGNORE at syscall entry: the call does not run; the target sees the rax
// the tracer left.
static void t_syscall_skip(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_getpid_write, SYSCALL_STOPS);
  regs_t r;
  for (int nr = SYS_getpid, i = 0; i < 2; i++, nr = SYS_write) {
    ctx("[syscall %d]", nr);
    r = entry_regs(&k, tfd, nr);
    r.rax = nr == SYS_getpid ? 12345 : 1;
    CHECK_EQ(regs_put(k.pid, &r), sizeof r);
    TSET(tfd, SYSCALL_STOPS | PROC_FLAG_IGNORE);
    struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
    CHECK_EQ(ev.a, nr);
    CHECK_EQ(ev.b, r.rax);
    if (i == 0)
      TSET(tfd, SYSCALL_STOPS);
  }
  ctx("%s", "");
  TSET(tfd, 0);
  char c;
  CHECK_EQ(read(k.res, &c, 1), 0); // the skipped write wrote nothing (end of file)
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// On command: getpid, whose number the tracer turns into getppid.
static void kid_getpid_is_ppid(void) {
  long ppid = syscall(SYS_getppid);
  if (kid_get() < 0)
    _exit(99);
  long r = syscall(SYS_getpid);
  _exit(r == ppid ? 0 : 1);
}

static void t_syscall_change_number(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_getpid_is_ppid, SYSCALL_STOPS);
  regs_t r = entry_regs(&k, tfd, SYS_getpid);
  r.orig_rax = SYS_getppid;
  struct proc_event ev = run_changed(&k, tfd, &r);
  CHECK_EQ(ev.a, SYS_getppid);
  CHECK_EQ(ev.b, getpid());
  TSET(tfd, 0);
  KID_END(&k, tfd, 0);
}

// The arguments at syscall entry and the result at syscall exit are the registers: a
// changed rsi/rdx is what the call uses, a changed rax is what the program gets.
static const char g_other[] = "other";
static void kid_write_getpid(void) {
  if (kid_get() < 0)
    _exit(99);
  long w = syscall(SYS_write, g_kres, "x", 1);
  long r = syscall(SYS_getpid);
  _exit(w == 5 && r == 4242 ? 0 : 1);
}

static void t_syscall_change_args_and_result(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_write_getpid, SYSCALL_STOPS);
  regs_t r = entry_regs(&k, tfd, SYS_write);
  r.rsi = (uint64_t)g_other, r.rdx = 5;
  struct proc_event ev = run_changed(&k, tfd, &r);
  CHECK_EQ(ev.b, 5);
  char b[5];
  kid_recv(&k, b, 5);
  CHECK(memcmp(b, "other", 5) == 0);
  TSET(tfd, SYSCALL_STOPS);
  EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_getpid);
  regs_get(k.pid, &r);
  r.rax = 4242;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, 0);
  KID_END(&k, tfd, 0);
}

// Numbers outside the table, written by the tracer, give ENOSYS: never an index past
// the end of the table (CVE-2007-4573, CVE-2010-3301).
static void kid_many_getpid(void) {
  if (kid_get() < 0)
    _exit(99);
  for (int i = 0; i < 8; i++) {
    long r = syscall(SYS_getpid);
    if (r != -1 || errno != ENOSYS)
      _exit(10 + i);
  }
  _exit(0);
}

static void t_syscall_bad_number(void) {
  static const uint64_t bad[8] = {-1UL, 100000, 512, 511, -2UL, 1UL << 63, 0x7fffffffffffffffUL,
                                  (1UL << 32) + SYS_getpid};
  struct kid k;
  int tfd = KID_TRACED(&k, kid_many_getpid, SYSCALL_STOPS);
  for (int i = 0; i < 8; i++) {
    ctx("[number %#lx]", (unsigned long)bad[i]);
    regs_t r = entry_regs(&k, tfd, SYS_getpid);
    r.orig_rax = bad[i];
    struct proc_event ev = run_changed(&k, tfd, &r);
    CHECK_EQ(ev.a, bad[i]);
    CHECK_EQ(ev.b, -ENOSYS);
    regs_get(k.pid, &r);
    CHECK_EQ(r.rax, -ENOSYS);
    TSET(tfd, i < 7 ? SYSCALL_STOPS : 0); // (after the last, no stop at exit_group)
  }
  ctx("%s", "");
  KID_END(&k, tfd, 0);
}

// sysfilter: only the chosen calls stop; only the tracer may set it; 64 bytes exactly.
static void kid_three_calls(void) {
  if (kid_get() < 0)
    _exit(99);
  syscall(SYS_getppid);
  syscall(SYS_write, g_kres, "x", 1);
  syscall(SYS_getpid);
  syscall(SYS_getppid);
  _exit(0);
}

static void t_sysfilter(void) {
  struct kid k;
  kid_start(&k, kid_three_calls);
  EXPECT_ERR(open(ppath(k.pid, "sysfilter"), O_WRONLY), EPERM); // no session yet
  int tfd = TRACE(k.pid, 0);
  int sf = POPEN(k.pid, "sysfilter", O_WRONLY);
  uint64_t set[9] = {0};
  set[SYS_getpid / 64] = 1UL << (SYS_getpid % 64);
  EXPECT_ERR(write(sf, set, 63), EINVAL);
  EXPECT_ERR(write(sf, set, 65), EINVAL);
  CHECK_EQ(write(sf, set, 64), 64);
  TSET(tfd, SYSCALL_STOPS);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(ev.a, SYS_getpid);
  char c;
  CHECK_EQ(read(k.res, &c, 1), 1); // the write before it ran without a stop
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_getpid);
  CHECK_EQ(ev.b, k.pid);
  TSET(tfd, SYSCALL_STOPS);
  KID_END(&k, tfd, 0); // getppid and exit did not stop
}

// A non-tracer cannot open sysfilter even while a session exists.
static void t_sysfilter_not_tracer(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  struct gate traced = gate_new();
  long x = xfork(); // forked before the session: it holds no copy of it
  if (x == 0) {
    gate_pass(&traced);
    EXPECT_ERR(open(ppath(k.pid, "sysfilter"), O_WRONLY), EPERM);
    _exit(0);
  }
  int tfd = TRACE(k.pid, 0);
  gate_open(&traced);
  EXPECT_EXIT(wait_for(x), 0);
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// A write while the target runs only changes the set: the blocked read that was in
// progress is reported at its exit, nothing is lost or invented.
static void kid_read_then_getppid(void) {
  int c = kid_get();
  syscall(SYS_getppid);
  _exit(c < 0 ? 99 : c);
}

// Events already queued are not lost by writes: the INTERRUPT record, left unread
// while the target is resumed and stopped again, is still there, oldest first.
static void t_write_keeps_queued_events(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  CHECK(wait_state(k.pid, "S"));
  int tfd = TRACE(k.pid, O_TRUNC);
  CHECK(wait_state(k.pid, "t")); // stopped; the event is queued, not read
  TSET(tfd, PROC_STOP_PRE_SYSCALL); // resumes it
  kid_send(&k, 22);
  CHECK(wait_state(k.pid, "t")); // at the entry of the read it restarts
  struct proc_event ev[3];
  CHECK_EQ(read(tfd, ev, sizeof ev), 2 * sizeof ev[0]);
  CHECK_EQ(ev[0].cause, PROC_STOP_INTERRUPT);
  CHECK_EQ(ev[0].a, k.pid);
  CHECK_EQ(ev[1].cause, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(ev[1].a, SYS_read);
  TSET(tfd, 0);
  KID_END(&k, tfd, 22 << 8);
}

static void t_rearm_while_running(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  int tfd = TRACE(k.pid, 0);
  CHECK(wait_state(k.pid, "S"));
  TSET(tfd, PROC_STOP_PRE_SYSCALL);
  TSET(tfd, 0);
  TSET(tfd, SYSCALL_STOPS | PROC_STOP_EXIT);
  TSET(tfd, SYSCALL_STOPS);
  CHECK(!readable(tfd, 0)); // no event made up
  CHECK_EQ(status_field(k.pid, "State")[0], 'S'); // not resumed or stopped by the writes
  regs_t r;
  regs_get(k.pid, &r);
  EXPECT_ERR(regs_put(k.pid, &r), EBUSY); // running: not in a trace stop
  int mem = POPEN(k.pid, "mem", O_RDWR);
  EXPECT_ERR(mem_pwrite(mem, "x", 1, (uint64_t)&g_counter), EBUSY);
  kid_send(&k, 9);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL); // the read in progress
  CHECK_EQ(ev.a, SYS_read);
  CHECK_EQ(ev.b, 1);
  TSET(tfd, SYSCALL_STOPS);
  ev = EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(ev.a, SYS_getppid);
  TSET(tfd, 0);
  KID_END(&k, tfd, 9 << 8);
}

// A target already blocked in a call when the tracer attaches and arms the stops still
// stops at that call's exit (as on Linux); nothing is reported for its entry.
static void t_attach_while_blocked(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  CHECK(wait_state(k.pid, "S")); // in read before the tracer exists
  int tfd = TRACE(k.pid, 0);
  TSET(tfd, SYSCALL_STOPS);
  CHECK(!readable(tfd, 0));
  kid_send(&k, 5);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_POST_SYSCALL);
  CHECK_EQ(ev.a, SYS_read);
  CHECK_EQ(ev.b, 1);
  TSET(tfd, 0);
  KID_END(&k, tfd, 5 << 8);
}

// A read of the session into a bad buffer fails with EFAULT and loses nothing: the event
// is still there for the next read.
static void t_event_bad_buffer(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  CHECK(wait_state(k.pid, "S"));
  int tfd = TRACE(k.pid, O_TRUNC);
  CHECK(readable(tfd, 2000));
  EXPECT_ERR(read(tfd, (void *)16, sizeof(struct proc_event)), EFAULT); // unmapped
  EXPECT_ERR(read(tfd, (void *)t_event_bad_buffer, sizeof(struct proc_event)), EFAULT); // text
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_INTERRUPT);
  CHECK_EQ(ev.a, k.pid);
  CHECK(!readable(tfd, 0)); // exactly one event: none lost, none doubled
  TSET(tfd, 0);
  kid_send(&k, 6);
  KID_END(&k, tfd, 6 << 8);
}

// ---------------------------------------------------------------------------------
// Single steps

// Run a kid that calls probe() on command and exits 0 if check(probe's result) holds;
// stop it at the marker's syscall-entry stop (rip == after). Returns the session.
static uint64_t (*g_probe)(void);
static int (*g_probe_ok)(uint64_t);
static void kid_probe(void) {
  if (kid_get() < 0)
    _exit(99);
  uint64_t v = g_probe();
  _exit(g_probe_ok(v) ? 0 : 1);
}

static int tf_clear(uint64_t fl) { return !(fl & FL_TF); }

// Trace kid k (waiting for a command) and run it to the marker's syscall stop `cause`
// (PROC_STOP_PRE_SYSCALL or PROC_STOP_POST_SYSCALL) whose rip is after; the registers
// there in *r (unless r is NULL).
static int marker_stop(struct kid *k, const char *after, uint64_t cause, regs_t *r) {
  int tfd = TRACE(k->pid, 0);
  TSET(tfd, cause);
  kid_send(k, 1);
  for (int i = 0; i < 50; i++) {
    EV_SYSCALL(tfd, cause, cause, SYS_getpid);
    regs_t now;
    regs_get(k->pid, &now);
    if (now.rip == (uint64_t)after) {
      if (r)
        *r = now;
      return tfd;
    }
    TSET(tfd, cause);
  }
  fail_at(__LINE__, "the probe's marker never stopped");
}

// A kid_probe running probe (its result must satisfy ok) at the marker's entry stop.
static int start_at_marker(struct kid *k, uint64_t (*probe)(void), int (*ok)(uint64_t),
                           const char *after, regs_t *r) {
  g_probe = probe, g_probe_ok = ok;
  kid_start(k, kid_probe);
  return marker_stop(k, after, PROC_STOP_PRE_SYSCALL, r);
}

// Step from stop to stop: each step runs exactly one instruction (the next label), a
// step over `syscall` ends right after it with the call done, and TF is clear when the
// program looks after stepping ended.
static void t_step_exact(void) {
  CHECK_EQ(step_b - step_a, 1); // the encodings the test assumes
  CHECK_EQ(step_c - step_b, 3);
  CHECK_EQ(step_d - step_c, 5);
  CHECK_EQ(step_e - step_d, 2);
  struct kid k;
  int tfd = start_at_marker(&k, step_probe_fn, tf_clear, step_a, NULL);
  const char *next[] = {step_a, step_b, step_c, step_d, step_e};
  regs_t before, r;
  for (int i = 0; i < 5; i++) { // the first step is over the marker's own syscall
    ctx("[step to label %d]", i);
    regs_get(k.pid, &before);
    TSET(tfd, PROC_STOP_SINGLESTEP);
    struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
    EXPECT_STOP(k.pid, "singlestep");
    regs_get(k.pid, &r);
    CHECK_EQ(ev.a, (uint64_t)next[i]);
    CHECK_EQ(r.rip, (uint64_t)next[i]);
    CHECK(!(r.eflags & FL_TF)); // the kernel's TF is not shown at a stop
    if (next[i] == step_a)
      CHECK_EQ(r.rax, k.pid); // getpid ran
    if (next[i] == step_c)
      CHECK_EQ(r.rdx, before.rdx + 1); // inc %rdx, and nothing more
    if (next[i] == step_d)
      CHECK_EQ(r.rax, SYS_getppid);
    if (next[i] == step_e)
      CHECK_EQ(r.rax, getpid()); // getppid ran during the step
  }
  ctx("%s", "");
  TSET(tfd, 0);
  KID_END(&k, tfd, 0); // the pushed flags had TF clear
}

// The session closes with a step requested: the kernel's TF goes too.
static void t_step_close_midstep(void) {
  for (int round = 0; round < 2; round++) {
    ctx("[round %d]", round);
    struct kid k;
    int tfd = start_at_marker(&k, step_probe_fn, tf_clear, step_a, NULL);
    if (round == 1) { // one step done, a second one requested
      TSET(tfd, PROC_STOP_SINGLESTEP);
      EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
    }
    TSET(tfd, PROC_STOP_SINGLESTEP);
    close(tfd);
    EXPECT_EXIT(wait_for(k.pid), 0); // no SIGTRAP, and TF clear in the pushed flags
  }
}

// A step into a signal handler ends at the handler's first instruction; after the
// handler returns, TF is still not the program's.
static void spin_handler(int sig) {
  (void)sig;
  spin_flag = 1;
}

static void kid_spin_probe(void) {
  struct sigaction sa = {.sa_handler = spin_handler};
  OK(sigaction(SIGUSR1, &sa, NULL));
  kid_put("r", 1);
  uint64_t fl = spin_probe_fn();
  _exit(fl & FL_TF ? 1 : 0);
}

static void t_step_into_handler(void) {
  struct kid k;
  kid_start(&k, kid_spin_probe);
  char c;
  kid_recv(&k, &c, 1);
  int tfd = -1;
  regs_t r;
  for (int tries = 0; tries < 100; tries++) { // stop it inside the loop
    tfd = ATTACH_STOPPED(k.pid);
    regs_get(k.pid, &r);
    if (r.rip >= (uint64_t)spin_probe && r.rip < (uint64_t)spin_end)
      break;
    close(tfd); // released: try again a little later
    tfd = -1;
    sleep_ms(5);
  }
  CHECK(tfd >= 0);
  OK(kill(k.pid, SIGUSR1));
  struct proc_event ev = {0};
  int steps = 0;
  for (; steps < 6; steps++) {
    TSET(tfd, PROC_STOP_SINGLESTEP);
    ev = EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
    if (ev.a == (uint64_t)spin_handler)
      break;
    ctx("[step %d at %#lx]", steps, (unsigned long)ev.a);
    CHECK(ev.a >= (uint64_t)spin_probe && ev.a < (uint64_t)spin_end); // still in the loop
  }
  CHECK_EQ(ev.a, (uint64_t)spin_handler);
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, (uint64_t)spin_handler);
  TSET(tfd, 0);
  KID_END(&k, tfd, 0); // the handler returned with TF not set
}

// A step over fork: TF does not go to the child (it would die of SIGTRAP).
static void kid_fork_probe(void) {
  if (kid_get() < 0)
    _exit(99);
  long pid = fork_probe_fn();
  if (pid == 0) {
    uint64_t fl;
    __asm__ volatile("pushfq; pop %0" : "=r"(fl));
    _exit(fl & FL_TF ? 2 : 0);
  }
  int st;
  CHECK_EQ(syscall(SYS_wait4, pid, &st, 0, NULL), pid);
  _exit(st == 0 ? 0 : WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st));
}

// Stepping reaches the second syscall instruction through syscall-exit stops only
// (a step over the marker), so only the system-call path is involved.
static void t_step_over_fork(void) {
  struct kid k;
  kid_start(&k, kid_fork_probe);
  int tfd = marker_stop(&k, fork_syscall, PROC_STOP_PRE_SYSCALL, NULL);
  TSET(tfd, PROC_STOP_SINGLESTEP);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
  CHECK_EQ(ev.a, (uint64_t)fork_syscall);
  regs_t r;
  regs_get(k.pid, &r);
  r.rax = SYS_fork;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, PROC_STOP_SINGLESTEP);
  ev = EV_EXPECT(tfd, PROC_STOP_SINGLESTEP);
  CHECK_EQ(ev.a, (uint64_t)fork_after);
  regs_get(k.pid, &r);
  CHECK((long)r.rax > 0); // the child's pid
  TSET(tfd, 0);
  ev = EV_EXPECT(tfd, PROC_EVENT_EXITED);
  if (ev.a != 0)
    fail_at(__LINE__, "kid %s (exit 100+N: the child got signal N; 2: TF set in the child)",
            describe((int)ev.a));
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// ---------------------------------------------------------------------------------
// Breakpoints

static void kid_bp(void) {
  if (kid_get() < 0)
    _exit(99);
  _exit(bp_probe_fn() == 7 ? 0 : 1);
}

// int3 with PROC_STOP_BREAKPOINT: rip points at the 0xCC byte, and stays there (a second
// resume hits it again) until the tracer moves it.
static void t_int3_stop(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_bp, PROC_STOP_BREAKPOINT);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_BREAKPOINT);
  EXPECT_STOP(k.pid, "breakpoint");
  CHECK_EQ(ev.a, (uint64_t)bp_probe);
  CHECK_EQ(*(unsigned char *)bp_probe, 0xcc);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, (uint64_t)bp_probe);
  TSET(tfd, PROC_STOP_BREAKPOINT);
  ev = EV_EXPECT(tfd, PROC_STOP_BREAKPOINT);
  CHECK_EQ(ev.a, (uint64_t)bp_probe);
  regs_get(k.pid, &r);
  r.rip = (uint64_t)bp_after;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, PROC_STOP_BREAKPOINT);
  KID_END(&k, tfd, 0);
}

// Without a session, or a session that did not ask for breakpoints, int3 is SIGTRAP.
static void t_int3_sigtrap(void) {
  struct kid k;
  kid_start(&k, kid_bp);
  kid_send(&k, 1);
  EXPECT_KILLED(wait_for(k.pid), SIGTRAP);
  int tfd = KID_TRACED(&k, kid_bp, PROC_STOP_PRE_SYSCALL);
  for (;;) { // syscall stops until the end
    struct proc_event ev = EV_NEXT(tfd);
    if (ev.cause == PROC_EVENT_EXITED) {
      CHECK_EQ(ev.a, SIGTRAP);
      break;
    }
    CHECK(ev.cause == PROC_STOP_PRE_SYSCALL);
    TSET(tfd, PROC_STOP_PRE_SYSCALL);
  }
  EXPECT_KILLED(wait_for(k.pid), SIGTRAP);
}

// With PROC_STOP_SIGNAL only, the int3's SIGTRAP stops; dropping it continues after
// the int3.
static void t_int3_signal_dropped(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_bp, PROC_STOP_SIGNAL);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SIGNAL);
  EXPECT_STOP(k.pid, "signal");
  CHECK_EQ(ev.a, SIGTRAP);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, (uint64_t)bp_after);
  TSET(tfd, PROC_STOP_SIGNAL | PROC_FLAG_IGNORE);
  KID_END(&k, tfd, 0);
}

// On command: call poke_target(v) and exit 0 if it returned 3v+1.
static void kid_poke(void) {
  volatile int v = 13;
  if (kid_get() < 0)
    _exit(99);
  _exit(poke_target(v) == 40 ? 0 : 1);
}

// A breakpoint poked into read-only text through mem: hit (rip at the byte), restored,
// and the function then runs as written. Text the tracer changes is the target's own
// copy: the tracer's copy (same program) and the file are untouched.
static void t_breakpoint_poked(void) {
  uint64_t fn = (uint64_t)poke_target;
  unsigned char orig = *(volatile unsigned char *)fn, b;
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_poke);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  CHECK_EQ(mem_pread(mem, &b, 1, fn), 1);
  CHECK_EQ(b, orig);
  CHECK_EQ(mem_pwrite(mem, "\xcc", 1, fn), 1);
  CHECK_EQ(mem_pread(mem, &b, 1, fn), 1);
  CHECK_EQ(b, 0xcc);
  CHECK_EQ(*(volatile unsigned char *)fn, orig); // ours is not theirs
  int self = OK(open(g_self, O_RDONLY));
  CHECK_EQ(pread(self, &b, 1, file_offset_of(g_self, fn)), 1);
  CHECK_EQ(b, orig);
  TSET(tfd, PROC_STOP_BREAKPOINT);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_BREAKPOINT);
  CHECK_EQ(ev.a, fn);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, fn);
  CHECK_EQ(mem_pwrite(mem, &orig, 1, fn), 1);
  TSET(tfd, PROC_STOP_BREAKPOINT);
  KID_END(&k, tfd, 0);
}

// ---------------------------------------------------------------------------------
// Signals

static volatile sig_atomic_t g_handled;
static void usr1_handler(int sig) { g_handled = sig; }

// Install the SIGUSR1 handler (SA_RESTART), say ready, wait for a command, then report
// whether the handler ran (1 byte) and exit 0.
static void kid_usr1(void) {
  struct sigaction sa = {.sa_handler = usr1_handler, .sa_flags = SA_RESTART};
  OK(sigaction(SIGUSR1, &sa, NULL));
  kid_put("r", 1);
  if (kid_get() < 0)
    _exit(99);
  unsigned char ran = g_handled == SIGUSR1;
  kid_put(&ran, 1);
  _exit(0);
}

static int usr1_stop(struct kid *k) {
  kid_start(k, kid_usr1);
  char c;
  kid_recv(k, &c, 1);
  int tfd = TRACE(k->pid, 0);
  TSET(tfd, PROC_STOP_SIGNAL);
  OK(kill(k->pid, SIGUSR1));
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SIGNAL);
  EXPECT_STOP(k->pid, "signal");
  CHECK_EQ(ev.a, SIGUSR1);
  CHECK_EQ(ev.b, (uint64_t)usr1_handler);
  return tfd;
}

// From the SIGUSR1 stop, resume with flags: the handler runs (ran) or not.
static void usr1_resume(uint64_t flags, unsigned char ran_want) {
  struct kid k;
  int tfd = usr1_stop(&k);
  TSET(tfd, flags);
  kid_send(&k, 1);
  unsigned char ran;
  kid_recv(&k, &ran, 1);
  CHECK_EQ(ran, ran_want);
  KID_END(&k, tfd, 0);
}

static void t_signal_dropped(void) {
  usr1_resume(PROC_STOP_SIGNAL | PROC_FLAG_IGNORE, 0);
}

static void t_signal_delivered(void) { usr1_resume(PROC_STOP_SIGNAL, 1); }

// SIGKILL is never reported as a signal stop, and ends the target from any stop.
static void t_sigkill_not_stopped(void) {
  struct kid k;
  kid_start(&k, kid_spin);
  int tfd = TRACE(k.pid, 0);
  TSET(tfd, PROC_STOP_SIGNAL | PROC_STOP_EXIT);
  OK(kill(k.pid, SIGKILL));
  struct proc_event ev = EV_NEXT(tfd);
  if (ev.cause == PROC_STOP_EXIT) { // the exit stop is allowed; it shows the SIGKILL
    CHECK_EQ(ev.a, SIGKILL);
    TSET(tfd, 0);
    ev = EV_NEXT(tfd);
  }
  CHECK_EQ(ev.cause, PROC_EVENT_EXITED);
  CHECK_EQ(ev.a, SIGKILL);
  EXPECT_KILLED(wait_for(k.pid), SIGKILL);
}

// SIGKILL at a syscall-entry stop: the process dies, the call never runs.
static void t_sigkill_at_syscall_entry(void) {
  struct kid k;
  int tfd = KID_TRACED(&k, kid_write_x, PROC_STOP_PRE_SYSCALL);
  EV_SYSCALL(tfd, PROC_STOP_PRE_SYSCALL, PROC_STOP_PRE_SYSCALL, SYS_write);
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
  char c;
  CHECK_EQ(read(k.res, &c, 1), 0); // end of file: nothing was written
}

// SIGKILL racing register and memory writes (CVE-2013-0871 class): each write either
// happens or fails cleanly (EBUSY once the target is no longer stopped, ESRCH once it
// is gone); the target dies of SIGKILL.
static void t_sigkill_races_writes(void) {
  for (int round = 0; round < 12; round++) {
    ctx("[round %d]", round);
    struct kid k;
    int tfd = KID_STOPPED(&k, kid_read_exit);
    int regs = POPEN(k.pid, "regs/int", O_RDWR), mem = POPEN(k.pid, "mem", O_RDWR);
    int fpu = POPEN(k.pid, "regs/float", O_RDWR);
    regs_t r;
    fpregs_t f;
    CHECK_EQ(pread(regs, &r, sizeof r, 0), sizeof r);
    CHECK_EQ(pread(fpu, &f, sizeof f, 0), sizeof f);
    OK(kill(k.pid, SIGKILL));
    for (int i = 0; i < round % 4; i++)
      sched_yield();
    for (int i = 0; i < 4; i++) {
      long a = pwrite(regs, &r, sizeof r, 0);
      CHECK(a == sizeof r || errno == EBUSY || errno == ESRCH);
      long b = mem_pwrite(mem, &r, 8, (uint64_t)&g_counter);
      CHECK(b == 8 || errno == EBUSY || errno == ESRCH);
      long c = pwrite(fpu, &f, sizeof f, 0);
      CHECK(c == sizeof f || errno == EBUSY || errno == ESRCH);
      if (round & 4)
        sched_yield();
    }
    KID_END(&k, tfd, SIGKILL);
    EXPECT_ERR(pwrite(regs, &r, sizeof r, 0), ESRCH);
    close(regs);
    close(mem);
    close(fpu);
    close(tfd);
  }
}

// SIGKILL at a signal stop and in a job-control stop of a traced process.
static void t_sigkill_other_stops(void) {
  struct kid k;
  int tfd = usr1_stop(&k);
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
  kid_start(&k, kid_read_exit);
  tfd = TRACE(k.pid, 0);
  OK(kill(k.pid, SIGSTOP));
  int st;
  CHECK_EQ(OK(syscall(SYS_wait4, k.pid, &st, WUNTRACED, NULL)), k.pid);
  CHECK(WIFSTOPPED(st));
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
}

// Job control is independent of tracing: the parent sees SIGSTOP and SIGCONT through
// wait4 (WUNTRACED, WCONTINUED) whether or not the signals stop for the tracer first.
static void t_job_control_traced(void) {
  for (int round = 0; round < 2; round++) {
    ctx("[signal stops %s]", round ? "on" : "off");
    struct kid k;
    kid_start(&k, kid_read_exit);
    int tfd = TRACE(k.pid, 0);
    uint64_t fl = round ? PROC_STOP_SIGNAL : 0;
    TSET(tfd, fl);
    OK(kill(k.pid, SIGSTOP));
    if (round) {
      struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SIGNAL);
      CHECK_EQ(ev.a, SIGSTOP);
      TSET(tfd, fl); // deliver it
    }
    int st;
    CHECK_EQ(OK(syscall(SYS_wait4, k.pid, &st, WUNTRACED, NULL)), k.pid);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    CHECK_EQ(status_field(k.pid, "State")[0], 'T');
    CHECK(strcmp(status_field(k.pid, "TraceStop"), "none") == 0);
    OK(kill(k.pid, SIGCONT));
    CHECK_EQ(OK(syscall(SYS_wait4, k.pid, &st, WCONTINUED, NULL)), k.pid);
    CHECK(WIFCONTINUED(st));
    kid_send(&k, 6);
    struct proc_event ev;
    // SIGCONT's default action is to do nothing: whether it is reported as a signal
    // stop is not specified. If it is, it is SIGCONT.
    while ((ev = EV_NEXT(tfd)).cause == PROC_STOP_SIGNAL) {
      CHECK_EQ(ev.a, SIGCONT);
      TSET(tfd, fl);
    }
    CHECK_EQ(ev.cause, PROC_EVENT_EXITED);
    CHECK_EQ(ev.a, 6 << 8);
    EXPECT_EXIT(wait_for(k.pid), 6);
  }
}

// A process in a trace stop is not resumed by SIGCONT.
static void t_sigcont_keeps_trace_stop(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_spin);
  uint64_t c1 = peek64(k.pid, &g_counter);
  OK(kill(k.pid, SIGCONT));
  sleep_ms(SETTLE_MS);
  CHECK_EQ(peek64(k.pid, &g_counter), c1);
  EXPECT_STOP(k.pid, "interrupt");
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(regs_put(k.pid, &r), sizeof r); // still in the stop: writable
  TSET(tfd, 0);
  sleep_ms(SETTLE_MS);
  CHECK(peek64(k.pid, &g_counter) != c1);
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
}

// O_TRUNC on a job-stopped process stops it for the tracer at once (an INTERRUPT
// event, registers writable) without waiting for a SIGCONT; SIGCONT does not end that
// trace stop.
static void t_attach_job_stopped(void) {
  struct kid k;
  kid_start(&k, kid_spin);
  OK(kill(k.pid, SIGSTOP));
  int st;
  CHECK_EQ(OK(syscall(SYS_wait4, k.pid, &st, WUNTRACED, NULL)), k.pid);
  CHECK(WIFSTOPPED(st));
  int tfd = ATTACH_STOPPED(k.pid);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  uint64_t c1 = peek64(k.pid, &g_counter);
  OK(kill(k.pid, SIGCONT));
  sleep_ms(SETTLE_MS);
  CHECK_EQ(peek64(k.pid, &g_counter), c1);
  TSET(tfd, 0);
  sleep_ms(SETTLE_MS);
  CHECK(peek64(k.pid, &g_counter) != c1);
  OK(kill(k.pid, SIGKILL));
  KID_END(&k, tfd, SIGKILL);
}

// ---------------------------------------------------------------------------------
// Registers: proc:PID/regs/int

static void finish_read_exit(struct kid *k, int tfd, int code) {
  TSET(tfd, 0);
  kid_send(k, code);
  KID_END(k, tfd, code << 8);
}

static void t_regs_roundtrip(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  CHECK(wait_state(k.pid, "S")); // in the read
  int tfd = ATTACH_STOPPED(k.pid);
  regs_t a, b;
  regs_get(k.pid, &a);
  CHECK_EQ(a.cs, 0x33);
  CHECK_EQ(a.ss, 0x2b);
  CHECK(a.eflags & FL_IF);
  CHECK_EQ(a.orig_rax, SYS_read);
  CHECK_EQ(regs_put(k.pid, &a), sizeof a);
  regs_get(k.pid, &b);
  CHECK(memcmp(&a, &b, sizeof a) == 0);
  int fd = POPEN(k.pid, "regs/int", O_RDONLY);
  char buf[300];
  uint64_t v;
  CHECK_EQ(pread(fd, &v, 8, offsetof(regs_t, orig_rax)), 8);
  CHECK_EQ(v, a.orig_rax);
  CHECK_EQ(pread(fd, buf, sizeof buf, 0), sizeof a);
  CHECK_EQ(pread(fd, buf, 8, 212), 4);
  CHECK_EQ(pread(fd, buf, 8, 216), 0);
  finish_read_exit(&k, tfd, 11);
}

// A register write is what the program continues with.
static void kid_regs_probe(void) {
  if (kid_get() < 0)
    _exit(99);
  uint64_t out[6];
  regs_probe_fn(out);
  kid_put(out, sizeof out);
  _exit(0);
}

static void t_regs_write_seen(void) {
  struct kid k;
  kid_start(&k, kid_regs_probe);
  regs_t r;
  int tfd = marker_stop(&k, regs_after, PROC_STOP_PRE_SYSCALL, &r);
  CHECK(r.rbx == 0 && r.rbp == 0 && r.r12 == 0 && r.r15 == 0);
  uint64_t want[6] = {0x1122334455667788, 0x0123456789abcdef, 0xfedcba9876543210,
                      0x8000000000000001, 0x7fffffffffffffff, 0xdeadbeefcafef00d};
  r.rbx = want[0], r.rbp = want[1], r.r12 = want[2];
  r.r13 = want[3], r.r14 = want[4], r.r15 = want[5];
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, 0);
  uint64_t got[6];
  kid_recv(&k, got, sizeof got);
  for (int i = 0; i < 6; i++) {
    ctx("[register %d]", i);
    CHECK_EQ(got[i], want[i]);
  }
  ctx("%s", "");
  KID_END(&k, tfd, 0);
}

// gs_base written by the tracer is the base the CPU uses.
static uint64_t g_gs_word = 0x5eed5eed12345678;
static int is_gs_word(uint64_t v) { return v == 0x5eed5eed12345678; }

static void t_regs_gs_base(void) {
  struct kid k;
  regs_t r;
  int tfd = start_at_marker(&k, gs_probe_fn, is_gs_word, gs_after, &r);
  r.gs_base = (uint64_t)&g_gs_word;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, 0);
  KID_END(&k, tfd, 0);
}

// Whole struct at offset 0 only; anything else is EINVAL and changes nothing.
static void expect_sizes_refused(long pid, const char *file, size_t size) {
  static char buf[8192];
  int fd = POPEN(pid, file, O_RDWR);
  CHECK_EQ(pread(fd, buf, size, 0), size);
  char before[512];
  memcpy(before, buf, size);
  const size_t sizes[] = {1, 8, size - 1, size + 1, 2 * size, 4096, 8192};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    ctx("[%s: %zu bytes at 0]", file, sizes[i]);
    EXPECT_ERR(pwrite(fd, buf, sizes[i], 0), EINVAL);
  }
  const uint64_t offs[] = {1, 8, size - 8, size, 4096};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    ctx("[%s: %zu bytes at %lu]", file, size, (unsigned long)offs[i]);
    EXPECT_ERR(pwrite(fd, buf, size, offs[i]), EINVAL);
  }
  OK(lseek(fd, 8, SEEK_SET));
  ctx("[%s: write after lseek 8]", file);
  EXPECT_ERR(write(fd, buf, size), EINVAL);
  CHECK_EQ(pread(fd, buf, size, 0), size);
  CHECK(memcmp(before, buf, size) == 0);
  ctx("%s", "");
  close(fd);
}

static void t_regs_write_sizes(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  expect_sizes_refused(k.pid, "regs/int", 216);
  expect_sizes_refused(k.pid, "regs/float", 512);
  expect_sizes_refused(k.pid, "regs/debug", 48);
  finish_read_exit(&k, tfd, 12);
}

// Writes need the tracer and a trace stop: EBUSY for a running target, for a process
// with no session, and for a process that is not the tracer.
static void try_all_writes(long pid, int err) {
  regs_t r;
  fpregs_t f;
  uint64_t d[6];
  regs_get(pid, &r);
  fpu_get(pid, &f);
  dbg_get(pid, d);
  EXPECT_ERR(regs_put(pid, &r), err);
  EXPECT_ERR(fpu_put(pid, &f), err);
  EXPECT_ERR(dbg_put(pid, d), err);
  int mem = POPEN(pid, "mem", O_RDWR);
  uint64_t v = peek64(pid, &g_counter);
  EXPECT_ERR(mem_pwrite(mem, &v, 8, (uint64_t)&g_counter), err);
  close(mem);
}

static void t_regs_write_busy(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  struct gate attached = gate_new();
  long x = xfork(); // forked before the session, so it holds none
  if (x == 0) {
    gate_pass(&attached);
    try_all_writes(k.pid, EBUSY); // the target is in a trace stop, but not ours
    _exit(0);
  }
  ctx("[no session]");
  try_all_writes(k.pid, EBUSY);
  int tfd = ATTACH_STOPPED(k.pid);
  gate_open(&attached);
  ctx("[a process that is not the tracer]");
  EXPECT_EXIT(wait_for(x), 0);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(regs_put(k.pid, &r), sizeof r); // the tracer may
  TSET(tfd, 0);
  CHECK(wait_state(k.pid, "S"));
  ctx("[running, with a session]");
  try_all_writes(k.pid, EBUSY);
  ctx("%s", "");
  kid_send(&k, 13);
  KID_END(&k, tfd, 13 << 8);
}

// Every value docs/proc.md refuses: EINVAL, and the registers stay as they were.
struct regs_change {
  const char *what;
  size_t off;     // offsetof(regs_t, field)
  uint64_t value; // the new value (or, with xor, the bits to flip)
  int xor;
};
#define RC(field, v) {#field " = " #v, offsetof(regs_t, field), (v), 0}
#define RX(bits) {"eflags ^= " #bits, offsetof(regs_t, eflags), (bits), 1}

static const struct regs_change refused[] = {
    RC(cs, 0x8), RC(cs, 0x2b), RC(cs, 0x30), RC(cs, 0x23), RC(cs, 0x1b), RC(cs, 0), RC(cs, 0x10),
    RC(cs, 0x10033), RC(ss, 0), RC(ss, 0x10), RC(ss, 0x28), RC(ss, 0x33), RC(ss, 0x2a),
    RC(ds, 0x10), RC(ds, 0x33), RC(ds, 0x28), RC(ds, 0x8), RC(ds, 3), RC(ds, 0x1002b),
    RC(es, 0x10), RC(es, 0x33), RC(fs, 0x10), RC(fs, 0x33), RC(gs, 0x10), RC(gs, 0x33),
    RC(rip, 0x800000000000), RC(rip, 0xffffffff80000000), RC(rip, 0xffff800000000000),
    RC(rip, 0xffffffffffffffff), RC(rip, 0x8000000000000000),
    RC(rsp, 0x800000000000), RC(rsp, 0xffff800000000000), RC(rsp, 0xffffffffffffff00),
    RC(fs_base, 0x800000000000), RC(fs_base, 0xffff800000000000),
    RC(fs_base, 0xffffffffff600000), RC(gs_base, 0x800000000000),
    RC(gs_base, 0xffffffff80000000), RX(FL_IOPL), RX(0x1000UL), RX(FL_IF), RX(FL_NT),
    RX(FL_VM), RX(FL_VIF), RX(FL_VIP), RX(FL_ID), RX(0x2UL), RX(0x8UL), RX(0x20UL),
    RX(0x8000UL), RX(1UL << 22), RX(1UL << 32), RX(1UL << 63),
};

static const struct regs_change allowed[] = {
    RC(ds, 0), RC(ds, 0x2b), RC(es, 0), RC(es, 0x2b), RC(fs, 0), RC(fs, 0x2b), RC(gs, 0),
    RC(gs, 0x2b), RC(rip, 0x7fffffffffff), RC(rip, 0), RC(rsp, 0x7fffffffffff),
    RC(fs_base, 0x7fffffffffff), RC(gs_base, 0), RC(gs_base, 0x7ffffffff000),
    RX(FL_CF), RX(FL_PF), RX(FL_AF), RX(FL_ZF), RX(FL_SF), RX(FL_TF), RX(FL_DF), RX(FL_OF),
    RX(FL_AC), RX(FL_RF), RX(FL_CF | FL_ZF | FL_SF | FL_OF | FL_DF | FL_AC | FL_RF),
};

static void apply(regs_t *r, const struct regs_change *c) {
  uint64_t *f = (uint64_t *)((char *)r + c->off);
  *f = c->xor ? *f ^ c->value : c->value;
}

// At the target's current stop: every refused change is refused and changes nothing;
// every allowed one is taken (and undone).
static void check_regs_rules(long pid) {
  regs_t saved, r, now;
  regs_get(pid, &saved);
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    ctx("[refused: %s]", refused[i].what);
    r = saved;
    apply(&r, &refused[i]);
    EXPECT_ERR(regs_put(pid, &r), EINVAL);
    regs_get(pid, &now);
    CHECK(memcmp(&now, &saved, sizeof now) == 0);
  }
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
    ctx("[allowed: %s]", allowed[i].what);
    r = saved;
    apply(&r, &allowed[i]);
    CHECK_EQ(regs_put(pid, &r), sizeof r);
    regs_get(pid, &now);
    CHECK(memcmp(&now, &r, sizeof now) == 0);
    CHECK_EQ(regs_put(pid, &saved), sizeof saved);
  }
  ctx("%s", "");
}

static void t_regs_refused(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  check_regs_rules(k.pid);
  finish_read_exit(&k, tfd, 14); // restored: it runs on as before
}

static int always(uint64_t v) {
  (void)v;
  return 1;
}

// A kid_probe running flags_probe, at the marker's exit stop (where the kernel could
// return with SYSRET); its registers there in *r.
static int flags_probe_at_exit(struct kid *k, regs_t *r) {
  g_probe = flags_probe_fn, g_probe_ok = always;
  kid_start(k, kid_probe);
  return marker_stop(k, flags_after, PROC_STOP_POST_SYSCALL, r);
}

// At a syscall-exit stop (where the kernel could return with SYSRET) and a signal
// stop: the same rules. A valid new rip is honoured (exit77_probe).
static void t_regs_rules_at_syscall_exit(void) {
  struct kid k;
  regs_t r;
  int tfd = flags_probe_at_exit(&k, &r);
  check_regs_rules(k.pid);
  // A frame SYSRET would take (rcx == rip, r11 == rflags) with a kernel-half rip.
  r.rcx = r.rip = 0xffff800000000000;
  r.r11 = r.eflags;
  EXPECT_ERR(regs_put(k.pid, &r), EINVAL);
  regs_get(k.pid, &r);
  r.rip = (uint64_t)exit77_probe;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, 0);
  KID_END(&k, tfd, 77 << 8);
}

static void t_regs_rules_at_signal_stop(void) {
  struct kid k;
  int tfd = usr1_stop(&k);
  check_regs_rules(k.pid);
  regs_t r;
  regs_get(k.pid, &r);
  r.rip = (uint64_t)exit77_probe;
  // The stop interrupted a read, which would be restarted (rip - 2) once the signal is
  // dropped. As with Linux, a tracer that moves rip also says "no system call".
  r.orig_rax = -1;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, PROC_FLAG_IGNORE);
  KID_END(&k, tfd, 77 << 8);
}

// The highest user addresses are valid register values; running there faults in user
// mode (SIGSEGV), whether the frame looks like one SYSRET could take or not.
static void t_regs_rip_top_of_user(void) {
  static const uint64_t tops[] = {0x7ffffffffffe, 0x7ffffffff000, 0x7fffffffffff};
  for (int i = 0; i < 6; i++) {
    ctx("[rip %#lx, %s]", (unsigned long)tops[i / 2], i % 2 ? "rcx = rip" : "rcx as is");
    struct kid k;
    regs_t r;
    int tfd = flags_probe_at_exit(&k, &r);
    r.rip = tops[i / 2];
    if (i % 2)
      r.rcx = r.rip, r.r11 = r.eflags;
    CHECK_EQ(regs_put(k.pid, &r), sizeof r);
    TSET(tfd, 0);
    KID_END(&k, tfd, SIGSEGV);
    close(tfd);
  }
}

// The arithmetic flags, DF and AC the tracer sets are what the program sees.
#define SEEN_FLAGS (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_DF | FL_OF | FL_AC)
static int has_seen_flags(uint64_t v) { return (v & SEEN_FLAGS) == SEEN_FLAGS; }

// A kid_probe running flags_probe (its result must satisfy ok), with the flags set
// added by the tracer at the marker's entry stop, and resumed with stops.
static int flags_probe_set(struct kid *k, int (*ok)(uint64_t), uint64_t set,
                           uint64_t stops) {
  regs_t r;
  int tfd = start_at_marker(k, flags_probe_fn, ok, flags_after, &r);
  r.eflags |= set;
  CHECK_EQ(regs_put(k->pid, &r), sizeof r);
  TSET(tfd, stops);
  return tfd;
}

static void t_regs_flags_seen(void) {
  struct kid k;
  int tfd = flags_probe_set(&k, has_seen_flags, SEEN_FLAGS | FL_RF, 0);
  KID_END(&k, tfd, 0);
}

// TF set by the tracer (not a kernel step) is the program's own: it traps after each
// instruction as SIGTRAP, which the tracer sees as signal stops (and here drops) until
// the program clears TF with popfq.
static int has_tf(uint64_t v) { return (v & FL_TF) != 0; }

static void t_regs_tf_by_tracer(void) {
  struct kid k;
  int tfd = flags_probe_set(&k, has_tf, FL_TF, PROC_STOP_SIGNAL);
  regs_t r;
  // pushfq (1 byte), pop %rax (1), push $0x202 (5), popfq (1): a trap after each.
  const uint64_t after[] = {1, 2, 7, 8};
  for (int i = 0; i < 4; i++) {
    ctx("[trap %d]", i);
    struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_SIGNAL);
    CHECK_EQ(ev.a, SIGTRAP);
    regs_get(k.pid, &r);
    CHECK_EQ(r.rip, (uint64_t)flags_after + after[i]);
    TSET(tfd, PROC_STOP_SIGNAL | PROC_FLAG_IGNORE);
  }
  ctx("%s", "");
  KID_END(&k, tfd, 0);
}

// rt_sigreturn gets the same checks: a handler that puts a refused value in its saved
// context is killed with SIGSEGV on return; a valid change is honoured.
static int g_sigret_mode;
static void sigret_handler(int sig, siginfo_t *si, void *ucv) {
  (void)sig, (void)si;
  ucontext_t *uc = ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  switch (g_sigret_mode) {
  case 0: g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffL) | 0x8; break;         // cs kernel
  case 1: g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffL) | 0x2b; break;        // cs = data
  case 2: g[REG_CSGSFS] &= ~(0xffffL << 48); break;                        // ss = 0
  case 3: g[REG_EFL] ^= FL_IOPL; break;
  case 4: g[REG_EFL] ^= FL_IF; break;
  case 5: g[REG_RIP] = 0x800000000000; break;
  case 6: g[REG_RIP] = 0xffffffff80000000; break;
  case 7: g[REG_RSP] = 0xffff800000000000; break;
  default: g[REG_RIP] = (greg_t)exit77_probe; break;                       // valid
  }
}

static void t_sigreturn_checked(void) {
  for (int mode = 0; mode <= 8; mode++) {
    ctx("[mode %d]", mode);
    g_sigret_mode = mode;
    long pid = xfork();
    if (pid == 0) {
      struct sigaction sa = {.sa_sigaction = sigret_handler, .sa_flags = SA_SIGINFO};
      OK(sigaction(SIGUSR1, &sa, NULL));
      syscall(SYS_kill, getpid(), SIGUSR1);
      _exit(0);
    }
    int st = wait_for(pid);
    if (mode == 8)
      EXPECT_EXIT(st, 77);
    else
      EXPECT_KILLED(st, SIGSEGV);
  }
}

// The seed: a process blocked in read shows read's number in orig_rax, untraced, and
// the regs program names the call.
static void t_regs_seed_blocked_read(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  CHECK(wait_state(k.pid, "S"));
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.orig_rax, SYS_read);
  CHECK_EQ(r.rdx, 1);
  CHECK(strcmp(status_field(k.pid, "TraceStop"), "none") == 0);
  if (access("/bin/regs", X_OK) == 0) {
    int out[2];
    OK(pipe(out));
    long x = xfork();
    if (x == 0) {
      dup2(out[1], 1);
      char pid[16];
      snprintf(pid, sizeof pid, "%ld", k.pid);
      char *argv[] = {"regs", pid, NULL};
      execve("/bin/regs", argv, NULL);
      _exit(98);
    }
    close(out[1]);
    static char text[8192];
    size_t n = 0;
    long got;
    while (n < sizeof text - 1 && (got = read(out[0], text + n, sizeof text - 1 - n)) > 0)
      n += got;
    text[n] = 0;
    EXPECT_EXIT(wait_for(x), 0);
    if (!strstr(text, "read"))
      fail_at(__LINE__, "regs %ld does not name read:\n%s", k.pid, text);
  }
  kid_send(&k, 0);
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// ---------------------------------------------------------------------------------
// Floating point: proc:PID/regs/float

static void pattern(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 4) * 13 + 1);
}

// Hold a pattern (seeded by the first command byte) in xmm0..15 across a blocking
// read, then report the 256 bytes the registers hold afterwards.
static void kid_xmm(void) {
  int seed = kid_get();
  unsigned char in[256], out[256];
  pattern(in, sizeof in, seed);
  kid_put("r", 1);
  xmm_hold_fn(in, out, g_kcmd);
  kid_put(out, sizeof out);
  _exit(0);
}

static void start_xmm_kid(struct kid *k, int seed) {
  kid_start(k, kid_xmm);
  kid_send(k, seed);
  char c;
  kid_recv(k, &c, 1);
  CHECK(wait_state(k->pid, "S")); // in xmm_hold's read
}

static void t_fpu_roundtrip(void) {
  struct kid k;
  start_xmm_kid(&k, 1);
  int tfd = ATTACH_STOPPED(k.pid);
  unsigned char a[256], b[16];
  pattern(a, sizeof a, 1);
  fpregs_t f, g;
  fpu_get(k.pid, &f);
  CHECK(memcmp(f.xmm_space, a, 256) == 0);
  CHECK_EQ(fpu_put(k.pid, &f), sizeof f);
  pattern(b, sizeof b, 77);
  memcpy(f.xmm_space, b, 16); // xmm0
  CHECK_EQ(fpu_put(k.pid, &f), sizeof f);
  fpu_get(k.pid, &g);
  CHECK(memcmp(&f, &g, sizeof f) == 0);
  TSET(tfd, 0);
  kid_send(&k, 0);
  unsigned char out[256];
  kid_recv(&k, out, sizeof out);
  CHECK(memcmp(out, b, 16) == 0);           // the tracer's xmm0
  CHECK(memcmp(out + 16, a + 16, 240) == 0); // the rest as the program left them
  KID_END(&k, tfd, 0);
}

// MXCSR bits outside the CPU's mask are refused and change nothing.
static void t_fpu_mxcsr_refused(void) {
  struct kid k;
  start_xmm_kid(&k, 2);
  int tfd = ATTACH_STOPPED(k.pid);
  fpregs_t f, g, now;
  fpu_get(k.pid, &f);
  const uint32_t bad[] = {0xffff0000, 0x10000, 0x80000000, 0xffffffff};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ctx("[mxcsr %#x]", bad[i]);
    g = f;
    g.mxcsr = f.mxcsr | bad[i];
    EXPECT_ERR(fpu_put(k.pid, &g), EINVAL);
    fpu_get(k.pid, &now);
    CHECK(memcmp(&now, &f, sizeof f) == 0);
  }
  ctx("%s", "");
  g = f;
  g.mxcsr = (f.mxcsr & ~0x3fUL) ^ 0x6000; // rounding mode: a valid change
  CHECK_EQ(fpu_put(k.pid, &g), sizeof g);
  CHECK_EQ(fpu_put(k.pid, &f), sizeof f);
  TSET(tfd, 0);
  kid_send(&k, 0);
  unsigned char out[256], a[256];
  kid_recv(&k, out, sizeof out);
  pattern(a, sizeof a, 2);
  CHECK(memcmp(out, a, 256) == 0);
  KID_END(&k, tfd, 0);
}

// Two processes hold different values in every xmm register across blocking reads
// (so the CPU switches between them and us): each gets back exactly its own, and each
// one's regs/float shows only its own.
static void t_fpu_no_leak(void) {
  struct kid k[2];
  start_xmm_kid(&k[0], 3);
  start_xmm_kid(&k[1], 4);
  for (int i = 0; i < 2; i++) {
    unsigned char want[256];
    pattern(want, sizeof want, 3 + i);
    fpregs_t f;
    fpu_get(k[i].pid, &f);
    ctx("[process %d]", i);
    CHECK(memcmp(f.xmm_space, want, 256) == 0);
  }
  for (int i = 0; i < 2; i++) {
    unsigned char want[256], out[256];
    pattern(want, sizeof want, 3 + i);
    kid_send(&k[i], 0);
    kid_recv(&k[i], out, sizeof out);
    ctx("[process %d]", i);
    CHECK(memcmp(out, want, 256) == 0);
    EXPECT_EXIT(wait_for(k[i].pid), 0);
  }
}

// ---------------------------------------------------------------------------------
// Debug registers: proc:PID/regs/debug

static volatile uint64_t g_watched __attribute__((aligned(8)));

#define DR7_L0 1UL
#define DR7_RW0(x) ((uint64_t)(x) << 16)
#define DR7_LEN0(x) ((uint64_t)(x) << 18)

static void kid_watch(void) {
  if (kid_get() < 0)
    _exit(99);
  g_watched = 5;
  _exit(0);
}

// A kid_watch, stopped, with a 4-byte write watchpoint on g_watched in DR0; resumed
// with the stops, and sent to its write.
static int watch_started(struct kid *k, uint64_t stops) {
  int tfd = KID_STOPPED(k, kid_watch);
  const uint64_t v[6] = {(uint64_t)&g_watched, 0, 0, 0, 0,
                         DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)};
  CHECK_EQ(dbg_put(k->pid, v), 48);
  TSET(tfd, stops);
  kid_send(k, 1);
  return tfd;
}

static void t_debug_refused(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  uint64_t v[6], now[6];
  dbg_get(k.pid, v);
  CHECK(v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0 && v[5] == 0);
  const uint64_t good[6] = {(uint64_t)&g_watched, 0, 0, 0, 0,
                            DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)};
  CHECK_EQ(dbg_put(k.pid, good), 48);
  dbg_get(k.pid, now);
  CHECK(memcmp(now, good, 48) == 0);
  const uint64_t w = (uint64_t)&g_watched;
  const struct {
    const char *what;
    uint64_t v[6];
  } bad[] = {
      {"dr0 kernel", {0xffff800000000000, 0, 0, 0, 0, DR7_L0 | DR7_RW0(1) | DR7_LEN0(3)}},
      {"dr0 kernel image", {0xffffffff80000000, 0, 0, 0, 0, DR7_L0}},
      {"dr0 non-canonical", {0x800000000000, 0, 0, 0, 0, DR7_L0 | DR7_RW0(3)}},
      {"dr1 kernel, disabled", {w, 0xffff800000000000, 0, 0, 0, DR7_L0 | DR7_RW0(1)}},
      {"dr0 misaligned for 4", {w + 1, 0, 0, 0, 0, DR7_L0 | DR7_RW0(1) | DR7_LEN0(3)}},
      {"dr0 misaligned for 8", {w + 4, 0, 0, 0, 0, DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)}},
      {"G0", {w, 0, 0, 0, 0, 2}},
      {"LE", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 8}},
      {"GE", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 9}},
      {"bit 10", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 10}},
      {"GD", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 13}},
      {"I/O breakpoint", {w, 0, 0, 0, 0, DR7_L0 | DR7_RW0(2)}},
      {"execution with a length", {w, 0, 0, 0, 0, DR7_L0 | DR7_LEN0(1)}},
      {"disabled slot with settings", {w, 0, 0, 0, 0, DR7_RW0(1) | DR7_LEN0(3)}},
      {"dr7 high half", {w, 0, 0, 0, 0, DR7_L0 | 1UL << 32}},
      {"dr6 reserved bit", {w, 0, 0, 0, 0x10, DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)}},
      {"dr6 high half", {w, 0, 0, 0, 1UL << 40, DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)}},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ctx("[%s]", bad[i].what);
    EXPECT_ERR(dbg_put(k.pid, bad[i].v), EINVAL);
    dbg_get(k.pid, now);
    CHECK(memcmp(now, good, 48) == 0); // the old values stay
  }
  ctx("%s", "");
  const uint64_t dr6[6] = {w, 0, 0, 0, 0x4001, good[5]}; // B0 and BS may be written
  CHECK_EQ(dbg_put(k.pid, dr6), 48);
  const uint64_t zero[6] = {0};
  CHECK_EQ(dbg_put(k.pid, zero), 48);
  finish_read_exit(&k, tfd, 15);
}

// A data watchpoint: PROC_STOP_WATCH after the write, a = DR6 (B0), b = rip.
static void t_debug_watch_write(void) {
  struct kid k;
  int tfd = watch_started(&k, PROC_STOP_WATCH);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_WATCH);
  EXPECT_STOP(k.pid, "watchpoint");
  CHECK(ev.a & 1);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(ev.b, r.rip);
  CHECK_EQ(peek64(k.pid, &g_watched), 5); // a data breakpoint traps after the write
  const uint64_t zero[6] = {0};
  CHECK_EQ(dbg_put(k.pid, zero), 48);
  TSET(tfd, 0);
  KID_END(&k, tfd, 0);
}

// Without PROC_STOP_WATCH, the watchpoint is a SIGTRAP.
static void t_debug_watch_sigtrap(void) {
  struct kid k;
  int tfd = watch_started(&k, 0);
  KID_END(&k, tfd, SIGTRAP);
}

// An execution breakpoint stops before the instruction (b = the function's address);
// with RF set by the tracer the program resumes without hitting it again.
static void t_debug_exec_breakpoint(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_poke);
  const uint64_t v[6] = {(uint64_t)poke_target, 0, 0, 0, 0, DR7_L0};
  CHECK_EQ(dbg_put(k.pid, v), 48);
  TSET(tfd, PROC_STOP_WATCH);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_WATCH);
  CHECK(ev.a & 1);
  CHECK_EQ(ev.b, (uint64_t)poke_target);
  regs_t r;
  regs_get(k.pid, &r);
  CHECK_EQ(r.rip, (uint64_t)poke_target);
  r.eflags |= FL_RF;
  CHECK_EQ(regs_put(k.pid, &r), sizeof r);
  TSET(tfd, PROC_STOP_WATCH);
  ev = EV_NEXT(tfd);
  if (ev.cause == PROC_STOP_WATCH)
    fail_at(__LINE__, "the breakpoint fired again at %#lx although RF was set",
            (unsigned long)ev.b);
  CHECK_EQ(ev.cause, PROC_EVENT_EXITED);
  CHECK_EQ(ev.a, 0);
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// Debug registers are not inherited by fork and are cleared by exec.
static void kid_fork_then_exec(void) {
  if (kid_get() < 0)
    _exit(99);
  long pid = syscall(SYS_fork);
  if (pid == 0) {
    g_watched = 1; // would trap if the watchpoint came along
    _exit(0);
  }
  int st;
  CHECK_EQ(syscall(SYS_wait4, pid, &st, 0, NULL), pid);
  kid_put(&st, sizeof st);
  kid_exec_wait();
}

static void t_debug_fork_exec(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_fork_then_exec);
  const uint64_t v[6] = {(uint64_t)&g_watched, 0, 0, 0, 0, DR7_L0 | DR7_RW0(1) | DR7_LEN0(2)};
  CHECK_EQ(dbg_put(k.pid, v), 48);
  TSET(tfd, 0);
  kid_send(&k, 1);
  int st;
  kid_recv(&k, &st, sizeof st);
  if (st != 0)
    fail_at(__LINE__, "the forked child %s (inherited the watchpoint?)", describe(st));
  kid_send(&k, 1);
  wait_for_exec(k.pid);
  uint64_t now[6];
  dbg_get(k.pid, now);
  CHECK(now[0] == 0 && now[5] == 0);
  TSET(tfd, 0);
  kid_send(&k, 0);
  KID_END(&k, tfd, 0);
}

// MOV SS from watched memory followed by syscall or int3 (CVE-2018-8897): the delayed
// #DB arrives in the kernel, which must survive it; the program goes on.
static uint16_t g_sel __attribute__((aligned(8)));

static void kid_movss(void) {
  __asm__ volatile("mov %%ss, %0" : "=m"(g_sel));
  if (kid_get() < 0)
    _exit(99);
  movss_probe_fn(&g_sel);
  _exit(0);
}

static void t_debug_movss(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_movss);
  const uint64_t v[6] = {(uint64_t)&g_sel, 0, 0, 0, 0, DR7_L0 | DR7_RW0(3) | DR7_LEN0(1)};
  CHECK_EQ(dbg_put(k.pid, v), 48);
  uint64_t fl = PROC_STOP_WATCH | PROC_STOP_BREAKPOINT;
  TSET(tfd, fl);
  kid_send(&k, 1);
  int breakpoints = 0;
  for (int i = 0; i < 20; i++) {
    struct proc_event ev = EV_NEXT(tfd);
    if (ev.cause == PROC_EVENT_EXITED) {
      CHECK_EQ(ev.a, 0);
      CHECK_EQ(breakpoints, 1);
      EXPECT_EXIT(wait_for(k.pid), 0);
      return;
    }
    if (ev.cause == PROC_STOP_BREAKPOINT) {
      CHECK_EQ(ev.a, (uint64_t)movss_int3);
      regs_t r;
      regs_get(k.pid, &r);
      r.rip++;
      CHECK_EQ(regs_put(k.pid, &r), sizeof r);
      breakpoints++;
    } else {
      CHECK_EQ(ev.cause, PROC_STOP_WATCH);
    }
    TSET(tfd, fl);
  }
  fail_at(__LINE__, "more than 20 stops");
}

// ---------------------------------------------------------------------------------
// Memory: proc:PID/mem

static unsigned char *g_region; // two mapped pages, then an unmapped one

static void make_region(void) {
  g_region = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(g_region != MAP_FAILED);
  OK(munmap(g_region + 2 * PAGE, PAGE));
  pattern(g_region, 2 * PAGE, 9);
}

// On command: report the 32 bytes around the region's page boundary, and g_hi.
static void kid_mem(void) {
  if (kid_get() < 0)
    _exit(99);
  kid_put(g_region + PAGE - 16, 32);
  kid_put(g_hi, 4);
  _exit(0);
}

static void t_mem_unaligned(void) {
  make_region();
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_mem);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  static unsigned char buf[2 * PAGE];
  const uint64_t offs[] = {0, 1, 3, 7, 4093, 4095, 4096 - 13, 4097, 8190};
  const size_t lens[] = {1, 2, 3, 7, 13, 64, 4099};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++)
    for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
      if (offs[i] + lens[j] > 2 * PAGE)
        continue;
      ctx("[read %zu at +%lu]", lens[j], (unsigned long)offs[i]);
      uint64_t at = (uint64_t)g_region + offs[i];
      CHECK_EQ(mem_pread(mem, buf, lens[j], at), lens[j]);
      CHECK(memcmp(buf, g_region + offs[i], lens[j]) == 0);
    }
  ctx("%s", "");
  OK(lseek(mem, (off_t)(g_region + 4095), SEEK_SET)); // read(2) at the file offset
  CHECK_EQ(read(mem, buf, 3), 3);
  CHECK(memcmp(buf, g_region + 4095, 3) == 0);
  CHECK_EQ(read(mem, buf, 2), 2); // the offset moved on
  CHECK(memcmp(buf, g_region + 4098, 2) == 0);
  const char patch[] = "ABCDEFGHIJKLM";
  CHECK_EQ(mem_pwrite(mem, patch, 13, (uint64_t)g_region + PAGE - 5), 13);
  CHECK_EQ(mem_pread(mem, buf, 13, (uint64_t)g_region + PAGE - 5), 13);
  CHECK(memcmp(buf, patch, 13) == 0);
  unsigned char mine[32];
  pattern(buf, 2 * PAGE, 9);
  CHECK(memcmp(g_region + PAGE - 16, buf + PAGE - 16, 32) == 0); // our copy untouched
  memcpy(mine, buf + PAGE - 16, 32);
  memcpy(mine + 11, patch, 13);
  TSET(tfd, 0);
  kid_send(&k, 1);
  unsigned char theirs[36];
  kid_recv(&k, theirs, sizeof theirs);
  CHECK(memcmp(theirs, mine, 32) == 0); // the program sees the tracer's bytes
  KID_END(&k, tfd, 0);
}

static void t_mem_edges(void) {
  make_region();
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_mem);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  unsigned char buf[64];
  uint64_t end = (uint64_t)g_region + 2 * PAGE;
  EXPECT_ERR(mem_pread(mem, buf, 8, end), EIO);     // starts unmapped
  EXPECT_ERR(mem_pwrite(mem, buf, 8, end), EIO);
  CHECK_EQ(mem_pread(mem, buf, 20, end - 5), 5);     // runs into the hole
  CHECK(memcmp(buf, g_region + 2 * PAGE - 5, 5) == 0);
  CHECK_EQ(mem_pwrite(mem, "0123456789", 10, end - 2), 2);
  CHECK_EQ(mem_pread(mem, buf, 0, (uint64_t)g_region), 0);
  const uint64_t never[] = {0, 0x1000, 0x800000000000, 0x8000000000000000, 0xffff800000000000,
                            0xffffffff80000000, 0xffffffff80100000, 0xffffffffffff0000,
                            0x7ffffffff000};
  for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
    ctx("[address %#lx]", (unsigned long)never[i]);
    EXPECT_ERR(mem_pread(mem, buf, 8, never[i]), EIO);
    EXPECT_ERR(mem_pwrite(mem, buf, 8, never[i]), EIO);
  }
  ctx("%s", "");
  // The top of the stack: a read running to the end of the user half stops there.
  CHECK_EQ(mem_pread(mem, buf, 16, 0x7ffffffff000 - 4), 4);
  // Across a kernel-half boundary going the other way round (an offset that wraps).
  EXPECT_ERR(mem_pread(mem, buf, 64, 0xffffffffffffffe0), EIO);
  finish_read_exit(&k, tfd, 0);
}

// Large transfers (past the kernel's bounce buffer) in one call, whole and running into
// the hole after a mapping.
#define BIG_PAGES 16
static unsigned char *g_big; // BIG_PAGES mapped pages, then an unmapped one

// On command: report a checksum of the big mapping.
static uint64_t checksum(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603UL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211UL;
  return h;
}
static void kid_big(void) {
  if (kid_get() < 0)
    _exit(99);
  uint64_t h = checksum(g_big, BIG_PAGES * PAGE);
  kid_put(&h, sizeof h);
  _exit(0);
}

static void t_mem_large(void) {
  size_t size = BIG_PAGES * PAGE;
  g_big = mmap(NULL, size + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(g_big != MAP_FAILED);
  OK(munmap(g_big + size, PAGE));
  pattern(g_big, size, 5);
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_big);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  static unsigned char buf[BIG_PAGES * PAGE + 8192];
  CHECK_EQ(mem_pread(mem, buf, size, (uint64_t)g_big), size);
  CHECK(memcmp(buf, g_big, size) == 0);
  CHECK_EQ(mem_pread(mem, buf, 40000, (uint64_t)g_big + size - 20001), 20001);
  CHECK(memcmp(buf, g_big + size - 20001, 20001) == 0);
  pattern(buf, size, 6);
  CHECK_EQ(mem_pwrite(mem, buf + 3, size - 3 + 5000, (uint64_t)g_big + 3), size - 3);
  unsigned char want[BIG_PAGES * PAGE];
  memcpy(want, g_big, 3);
  memcpy(want + 3, buf + 3, size - 3);
  TSET(tfd, 0);
  kid_send(&k, 1);
  uint64_t h;
  kid_recv(&k, &h, sizeof h);
  CHECK_EQ(h, checksum(want, size));
  KID_END(&k, tfd, 0);
}

// Writing read-only text (and rodata) changes only the target's copy: not ours, not a
// sibling's, not a freshly started process's, not the file's (FreeBSD SA-13:06, Dirty
// COW).
static void peek_fresh(uint64_t addr, unsigned char *out, size_t n) {
  int p[2];
  OK(pipe(p));
  long x = xfork();
  if (x == 0) {
    dup2(p[1], 1);
    char a[32], len[16];
    snprintf(a, sizeof a, "%#lx", (unsigned long)addr);
    snprintf(len, sizeof len, "%zu", n);
    char *argv[] = {"proctests", "--peek", a, len, NULL};
    execve(g_self, argv, NULL);
    _exit(98);
  }
  close(p[1]);
  char hex[256] = {0};
  size_t got = 0;
  long r;
  while (got < sizeof hex - 1 && (r = read(p[0], hex + got, sizeof hex - 1 - got)) > 0)
    got += r;
  close(p[0]);
  EXPECT_EXIT(wait_for(x), 0);
  CHECK_EQ(got, 2 * n);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    CHECK(sscanf(hex + 2 * i, "%2x", &v) == 1);
    out[i] = v;
  }
}

static void t_mem_text_private(void) {
  make_region();
  uint64_t fn = (uint64_t)never_called;
  unsigned char orig[16], junk[16], b[16];
  memcpy(orig, (void *)fn, 16);
  for (int i = 0; i < 16; i++)
    junk[i] = orig[i] ^ 0xa5;
  struct kid k, sib;
  kid_start(&sib, kid_read_exit);
  int tfd = KID_STOPPED(&k, kid_mem);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  CHECK_EQ(mem_pwrite(mem, junk, 16, fn), 16);
  CHECK_EQ(mem_pwrite(mem, "HEY", 3, (uint64_t)g_hi), 3);
  CHECK_EQ(mem_pread(mem, b, 16, fn), 16);
  CHECK(memcmp(b, junk, 16) == 0);
  CHECK(memcmp((void *)fn, orig, 16) == 0); // ours
  CHECK(memcmp(g_hi, "hi!", 4) == 0);
  int smem = POPEN(sib.pid, "mem", O_RDONLY); // a sibling's
  CHECK_EQ(mem_pread(smem, b, 16, fn), 16);
  CHECK(memcmp(b, orig, 16) == 0);
  peek_fresh(fn, b, 16); // a process started after the write
  CHECK(memcmp(b, orig, 16) == 0);
  int self = OK(open(g_self, O_RDONLY)); // the file
  CHECK_EQ(pread(self, b, 16, file_offset_of(g_self, fn)), 16);
  CHECK(memcmp(b, orig, 16) == 0);
  TSET(tfd, 0);
  kid_send(&k, 1);
  unsigned char theirs[36];
  kid_recv(&k, theirs, sizeof theirs);
  CHECK(memcmp(theirs + 32, "HEY", 4) == 0); // the target reads its own patched rodata
  KID_END(&k, tfd, 0);
  kid_send(&sib, 0);
  EXPECT_EXIT(wait_for(sib.pid), 0);
}

// ---------------------------------------------------------------------------------
// Permissions

// The files only a looker may open, and one anyone may.
static void expect_no_look(long pid, int err) {
  static const char *const looker_only[] = {"mem", "regs/int", "regs/float", "regs/debug",
                                            "maps", "exe", "trace"};
  for (size_t i = 0; i < sizeof looker_only / sizeof looker_only[0]; i++) {
    ctx("[%s]", looker_only[i]);
    int flags = strcmp(looker_only[i], "trace") == 0 ? O_RDWR : O_RDONLY;
    EXPECT_ERR(open(ppath(pid, looker_only[i]), flags), err);
  }
  ctx("[readlink exe]");
  char b[64];
  EXPECT_ERR(readlink(ppath(pid, "exe"), b, sizeof b), err);
  ctx("%s", "");
  close(POPEN(pid, "status", O_RDONLY));
  close(POPEN(pid, "stat", O_RDONLY));
  close(POPEN(pid, "cmdline", O_RDONLY));
}

static void expect_look(long pid) {
  close(POPEN(pid, "mem", O_RDONLY));
  close(POPEN(pid, "regs/int", O_RDONLY));
  close(POPEN(pid, "maps", O_RDONLY));
}

// A uid-1000 process and its uid-1000 child T: T's sibling (same uid, not an ancestor)
// and a uid-1001 process may not look; the parent may, and may trace.
static void t_perm_other_processes(void) {
  struct show target = show_new();
  long u = xfork();
  if (u == 0) {
    become(1000);
    struct kid t;
    kid_start(&t, kid_read_exit);
    long s = xfork();
    if (s == 0) { // T's sibling
      expect_no_look(t.pid, EACCES);
      _exit(0);
    }
    EXPECT_EXIT(wait_for(s), 0);
    expect_look(t.pid);
    int tfd = ATTACH_STOPPED(t.pid);
    TSET(tfd, 0);
    show(&target, t.pid);
    kid_send(&t, 0);
    KID_END(&t, tfd, 0);
    _exit(0);
  }
  long tpid = shown(&target);
  long b = xfork();
  if (b == 0) {
    become(1001);
    expect_no_look(tpid, EACCES);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(b), 0);
  expect_look(tpid); // root may
  seen(&target);
  EXPECT_EXIT(wait_for(u), 0);
}

// Fill a pipe to the brim (so the next write blocks), and return to blocking mode.
static void fill_pipe(int wfd) {
  static char chunk[512];
  OK(fcntl(wfd, F_SETFL, O_NONBLOCK));
  while (write(wfd, chunk, sizeof chunk) > 0)
    ;
  while (write(wfd, chunk, 1) > 0)
    ;
  OK(fcntl(wfd, F_SETFL, 0));
}

// Everything left in the pipe, as a string (the filler's zero bytes skipped).
static const char *drain(int rfd) {
  static char text[256];
  size_t n = 0;
  char c;
  while (read(rfd, &c, 1) == 1)
    if (c && n < sizeof text - 1)
      text[n++] = c;
  text[n] = 0;
  return text;
}

// On command: exec /bin/setuid-probe, its output going to the pipe g_gpipe.
static void kid_exec_probe(void) {
  if (kid_get() < 0)
    _exit(99);
  dup2(g_gpipe[1], 1);
  char *argv[] = {"setuid-probe", NULL};
  execve("/bin/setuid-probe", argv, NULL);
  _exit(98);
}

// Wait until t runs /bin/setuid-probe and is blocked writing its output to a full pipe.
static void wait_probe_blocked(long t) {
  for (int i = 0; strcmp(status_field(t, "Name"), "setuid-probe") != 0; i++) {
    CHECK(i < 300);
    sleep_ms(10);
  }
  CHECK(wait_state(t, "S"));
}

// As uid 1000: start a child that execs the set-user-ID probe, with handles on it opened
// before; show it to the root parent.
static void setuid_exec_as_1000(const struct show *target) {
  become(1000);
  OK(pipe(g_gpipe));
  fill_pipe(g_gpipe[1]); // the probe's output will block: it stays alive to be looked at
  struct kid t;
  kid_start(&t, kid_exec_probe);
  close(g_gpipe[1]);
  int mem = POPEN(t.pid, "mem", O_RDONLY);
  int regs = POPEN(t.pid, "regs/int", O_RDONLY);
  kid_send(&t, 1);
  wait_probe_blocked(t.pid);
  expect_no_look(t.pid, EACCES);
  char b[216];
  EXPECT_ERR(mem_pread(mem, b, 8, (uint64_t)&g_counter), ESRCH);
  EXPECT_ERR(pread(regs, b, 216, 0), ESRCH);
  show(target, t.pid);
  const char *out = drain(g_gpipe[0]);
  if (!strstr(out, "ruid=1000 euid=0"))
    fail_at(__LINE__, "untraced set-user-ID exec printed '%s', want ruid=1000 euid=0", out);
  EXPECT_EXIT(wait_for(t.pid), 0);
}

// After its target gains privileges by a set-user-ID exec, a uid-1000 ancestor may not
// look any more, and handles it opened before are dead (CVE-2012-0056). Root may.
static void t_perm_setuid_exec(void) {
  struct show target = show_new();
  long u = xfork();
  if (u == 0) {
    setuid_exec_as_1000(&target);
    _exit(0);
  }
  expect_look(shown(&target)); // root may still look
  seen(&target);
  EXPECT_EXIT(wait_for(u), 0);
}

// A traced set-user-ID exec runs without the privilege (euid stays 1000), and the
// ancestor that traces it can still look at it.
static void t_perm_traced_setuid_exec(void) {
  long u = xfork();
  if (u == 0) {
    become(1000);
    OK(pipe(g_gpipe));
    fill_pipe(g_gpipe[1]); // keeps the probe alive, blocked writing its output
    struct kid t;
    kid_start(&t, kid_exec_probe);
    close(g_gpipe[1]);
    int tfd = TRACE(t.pid, 0);
    kid_send(&t, 1);
    wait_probe_blocked(t.pid);
    expect_look(t.pid);
    const char *out = drain(g_gpipe[0]);
    if (!strstr(out, "ruid=1000 euid=1000"))
      fail_at(__LINE__, "traced set-user-ID exec printed '%s', want ruid=1000 euid=1000", out);
    KID_END(&t, tfd, 0);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(u), 0);
}

// Attaching (and opening mem) while the target execs a set-user-ID program, at
// varying moments (CVE-2001-1384, CVE-2009-1527): either the session came first and
// the exec gained nothing (euid=1000), or the session is refused. Never a traced
// privileged process, never a live mem handle into it.
static int race_once(int round) {
  int out[2];
  OK(pipe(out));
  fill_pipe(out[1]);
  long t = xfork();
  if (t == 0) {
    for (int i = 0; i < round % 3; i++)
      sched_yield();
    dup2(out[1], 1);
    char *argv[] = {"setuid-probe", NULL};
    execve("/bin/setuid-probe", argv, NULL);
    _exit(98);
  }
  close(out[1]);
  for (int i = 0; i < round / 3 % 4; i++)
    sched_yield();
  int mem = open(ppath(t, "mem"), O_RDONLY);
  int tfd = open(ppath(t, "trace"), O_RDWR);
  int terr = errno;
  wait_probe_blocked(t);
  char b[8];
  bool mem_live = mem >= 0 && mem_pread(mem, b, 8, (uint64_t)&g_counter) >= 0;
  const char *text = drain(out[0]);
  bool privileged = strstr(text, "euid=0") != NULL;
  ctx("[round %d: trace %s (errno %d), mem %s, probe '%s']", round, tfd >= 0 ? "open" : "refused",
      terr, mem_live ? "live" : "dead", text);
  CHECK(strstr(text, "ruid=1000 euid="));
  if (tfd >= 0)
    CHECK(!privileged);
  else
    CHECK(terr == EACCES);
  CHECK(!(mem_live && privileged));
  EXPECT_EXIT(wait_for(t), 0);
  if (tfd >= 0)
    close(tfd);
  if (mem >= 0)
    close(mem);
  close(out[0]);
  ctx("%s", "");
  return tfd >= 0;
}

static void t_perm_attach_races_setuid_exec(void) {
  long u = xfork();
  if (u == 0) {
    become(1000);
    int attached = 0;
    for (int round = 0; round < 12; round++)
      attached += race_once(round);
    outf("# %s: attached before the exec in %d of 12 rounds\n", g_name, attached);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(u), 0);
}

// ---------------------------------------------------------------------------------
// Bad input and the trace file's own rules

static uint64_t g_rng = 0x9e3779b97f4a7c15;
static uint64_t rnd(void) { // xorshift64: the same garbage on every run
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}

static void garbage(unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    b[i] = rnd();
}

// A target's whole register state, to show that refused writes changed nothing.
struct snapshot {
  regs_t r;
  fpregs_t f;
  uint64_t d[6];
};

static void snapshot(long pid, struct snapshot *s) {
  memset(s, 0, sizeof *s); // (padding, for memcmp)
  regs_get(pid, &s->r);
  fpu_get(pid, &s->f);
  dbg_get(pid, s->d);
}

// Garbage of every size 1..299 and some large ones, except the one valid size: every
// write is refused with an errno. (mem: at offset 0, an unmapped address.)
static void garbage_every_size(int fd, const char *file, size_t valid) {
  static unsigned char buf[70000];
  static const size_t big[] = {511, 512, 513, 1024, 4095, 4096, 4097, 16384, 65536, 70000};
  for (size_t n = 1; n < 300 + sizeof big / sizeof big[0]; n++) {
    size_t len = n < 300 ? n : big[n - 300];
    if (len == valid)
      continue;
    garbage(buf, len);
    if (len == 512)
      memset(buf + 24, 0xff, 4); // mxcsr: surely outside the mask
    if (len == 8)
      buf[7] |= 0x80; // trace flags: an unknown bit
    ctx("[%s: %zu bytes]", file, len);
    errno = 0;
    long r = write(fd, buf, len);
    if (r != -1 || errno == 0)
      fail_at(__LINE__, "write gave %ld, want an error", r);
  }
  ctx("%s", "");
}

// Garbage to every writable file: each write fails, and the target is unaffected (same
// registers, still stopped, then runs on normally). The read-only files cannot even be
// opened for writing.
static void t_garbage_writes(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  struct snapshot before, after;
  snapshot(k.pid, &before);
  static const struct {
    const char *file;
    size_t valid; // the one size a write may have (its contents tested elsewhere)
  } files[] = {{"regs/int", 0}, {"regs/float", 0}, {"regs/debug", 0}, {"sysfilter", 64},
               {"mem", 0}};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    int fd = POPEN(k.pid, files[i].file, O_WRONLY);
    garbage_every_size(fd, files[i].file, files[i].valid);
    close(fd);
  }
  garbage_every_size(tfd, "trace", 0);
  static const char *const ro[] = {"status", "stat", "cmdline", "maps"};
  for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
    ctx("[open %s for writing]", ro[i]);
    EXPECT_ERR(open(ppath(k.pid, ro[i]), O_WRONLY), EACCES);
  }
  ctx("[open regs for writing]");
  EXPECT_ERR(open(ppath(k.pid, "regs"), O_WRONLY), EISDIR);
  ctx("%s", "");
  snapshot(k.pid, &after);
  CHECK(memcmp(&before, &after, sizeof before) == 0);
  EXPECT_STOP(k.pid, "interrupt"); // no write resumed it
  finish_read_exit(&k, tfd, 16);
}

static void t_trace_bad_flags(void) {
  struct kid k;
  int tfd = KID_STOPPED(&k, kid_read_exit);
  const uint64_t bad[] = {0x400, 0x800, 0x2000, 0x8000, PROC_EVENT_EXITED | 1, 1UL << 63,
                          ~(uint64_t)PROC_TRACE_FLAGS, -1UL};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ctx("[flags %#lx]", (unsigned long)bad[i]);
    EXPECT_ERR(write(tfd, &bad[i], 8), EINVAL);
  }
  uint64_t two[2] = {0, 0};
  ctx("[sizes]");
  EXPECT_ERR(write(tfd, two, 4), EINVAL);
  EXPECT_ERR(write(tfd, two, 7), EINVAL);
  EXPECT_ERR(write(tfd, two, 9), EINVAL);
  EXPECT_ERR(write(tfd, two, 16), EINVAL);
  EXPECT_ERR(lseek(tfd, 0, SEEK_SET), ESPIPE);
  ctx("%s", "");
  EXPECT_STOP(k.pid, "interrupt"); // none of them resumed it
  finish_read_exit(&k, tfd, 17);
}

// A kid_read_exit attached with O_TRUNC: its INTERRUPT event is queued, not yet read.
static int kid_interrupt_queued(struct kid *k) {
  kid_start(k, kid_read_exit);
  int tfd = TRACE(k->pid, O_TRUNC);
  CHECK(readable(tfd, EVENT_WAIT_MS));
  return tfd;
}

// A buffer smaller than one event: EINVAL (and the event stays queued).
static void t_trace_read_small(void) {
  struct kid k;
  int tfd = kid_interrupt_queued(&k);
  char b[56];
  EXPECT_ERR(read(tfd, b, 55), EINVAL);
  EXPECT_ERR(read(tfd, b, 1), EINVAL);
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_INTERRUPT);
  CHECK_EQ(ev.a, k.pid);
  finish_read_exit(&k, tfd, 18);
}

// Zero-length transfers on the proc files are no-ops: 0 or EINVAL, nothing changed.
static void t_zero_length_io(void) {
  struct kid k;
  int tfd = kid_interrupt_queued(&k);
  char b[8];
  errno = 0;
  long r = read(tfd, b, 0);
  CHECK(r == 0 || (r == -1 && errno == EINVAL));
  r = write(tfd, b, 0);
  CHECK(r == 0 || (r == -1 && errno == EINVAL));
  EV_EXPECT(tfd, PROC_STOP_INTERRUPT); // the event was not consumed
  regs_t r0, r1;
  regs_get(k.pid, &r0);
  int fd = POPEN(k.pid, "regs/int", O_RDWR);
  r = write(fd, b, 0);
  CHECK(r == 0 || (r == -1 && errno == EINVAL));
  regs_get(k.pid, &r1);
  CHECK(memcmp(&r0, &r1, sizeof r0) == 0);
  EXPECT_STOP(k.pid, "interrupt");
  finish_read_exit(&k, tfd, 19);
}

static void t_trace_nonblock(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  int tfd = TRACE(k.pid, O_NONBLOCK);
  struct proc_event ev;
  EXPECT_ERR(read(tfd, &ev, sizeof ev), EAGAIN);
  close(tfd);
  tfd = TRACE(k.pid, 0);
  OK(fcntl(tfd, F_SETFL, O_NONBLOCK));
  EXPECT_ERR(read(tfd, &ev, sizeof ev), EAGAIN);
  kid_send(&k, 20);
  CHECK(readable(tfd, EVENT_WAIT_MS));
  CHECK_EQ(read(tfd, &ev, sizeof ev), sizeof ev);
  CHECK_EQ(ev.cause, PROC_EVENT_EXITED);
  EXPECT_ERR(read(tfd, &ev, sizeof ev), ESRCH); // gone beats "nothing yet"
  EXPECT_EXIT(wait_for(k.pid), 20);
}

// poll: nothing until an event waits (POLLIN); POLLHUP once the target is gone.
static void t_trace_poll(void) {
  struct kid k;
  kid_start(&k, kid_read_then_getppid);
  CHECK(wait_state(k.pid, "S")); // in the read: no system call before the command
  int tfd = TRACE(k.pid, 0);
  struct pollfd p = {tfd, POLLIN, 0};
  CHECK_EQ(poll(&p, 1, 0), 0);
  TSET(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(poll(&p, 1, SETTLE_MS), 0); // armed, but no call made yet
  kid_send(&k, 21);
  CHECK_EQ(poll(&p, 1, EVENT_WAIT_MS), 1);
  CHECK(p.revents & POLLIN);
  CHECK(!(p.revents & POLLHUP));
  EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(poll(&p, 1, 0), 0); // read: nothing waits
  OK(kill(k.pid, SIGKILL));
  CHECK_EQ(poll(&p, 1, EVENT_WAIT_MS), 1);
  CHECK(p.revents & POLLIN); // the EXITED record
  CHECK(p.revents & POLLHUP);
  EXPECT_EXITED(tfd, SIGKILL);
  CHECK_EQ(poll(&p, 1, 0), 1);
  CHECK(p.revents & POLLHUP);
  CHECK(!(p.revents & POLLIN));
  EXPECT_KILLED(wait_for(k.pid), SIGKILL);
}

// ---------------------------------------------------------------------------------
// The tree: directories, links and text files

static bool dir_has(const char *path, const char *name) {
  DIR *d = opendir(path);
  if (!d)
    fail_at(__LINE__, "opendir %s: errno %d", path, errno);
  bool found = false;
  struct dirent *e;
  while (!found && (e = readdir(d)))
    found = strcmp(e->d_name, name) == 0;
  closedir(d);
  return found;
}

static void t_tree_listing(void) {
  char me[16], pidpath[32];
  snprintf(me, sizeof me, "%d", getpid());
  static const char *const root[] = {"self", "meminfo", "uptime", "loadavg", "stat"};
  for (size_t i = 0; i < sizeof root / sizeof root[0]; i++) {
    ctx("[%s]", root[i]);
    CHECK(dir_has("/proc", root[i]));
  }
  ctx("%s", "");
  CHECK(dir_has("/proc", me));
  CHECK(dir_has("proc:", me));
  CHECK(dir_has("/scheme/proc", me));
  static const char *const per_pid[] = {"status", "stat", "cmdline", "exe", "maps",
                                        "mem", "trace", "sysfilter", "regs"};
  snprintf(pidpath, sizeof pidpath, "/proc/%s", me);
  for (size_t i = 0; i < sizeof per_pid / sizeof per_pid[0]; i++) {
    ctx("[%s]", per_pid[i]);
    CHECK(dir_has(pidpath, per_pid[i]));
  }
  snprintf(pidpath, sizeof pidpath, "/proc/%s/regs", me);
  CHECK(dir_has(pidpath, "int") && dir_has(pidpath, "float") && dir_has(pidpath, "debug"));
  ctx("%s", "");
  struct kid k;
  kid_start(&k, kid_read_exit);
  char kp[16];
  snprintf(kp, sizeof kp, "%ld", k.pid);
  CHECK(dir_has("/proc", kp));
  kid_send(&k, 0);
  EXPECT_EXIT(wait_for(k.pid), 0);
  CHECK(!dir_has("/proc", kp)); // reaped: gone
  EXPECT_ERR(open(ppath(k.pid, "status"), O_RDONLY), ENOENT);
}

static void t_self_exe_cmdline(void) {
  char b[4096], me[16];
  snprintf(me, sizeof me, "%d", getpid());
  long n = OK(readlink("/proc/self", b, sizeof b));
  CHECK(n == (long)strlen(me) && memcmp(b, me, n) == 0);
  n = OK(readlink("/proc/self/exe", b, sizeof b));
  CHECK(n == (long)strlen(g_self) && memcmp(b, g_self, n) == 0);
  int fd = OK(open("/proc/self/exe", O_RDONLY)); // opens the program itself
  struct stat a, c;
  OK(fstat(fd, &a));
  OK(stat(g_self, &c));
  CHECK_EQ(a.st_size, c.st_size);
  CHECK(read(fd, b, 4) == 4 && memcmp(b, ELFMAG, 4) == 0);
  close(fd);
  CHECK(strcmp(status_field(getpid(), "Pid"), me) == 0);
  CHECK_EQ(atol(status_field(getpid(), "PPid")), getppid());
  CHECK(strcmp(status_field(getpid(), "Name"), "proctests") == 0);
  CHECK_EQ(status_field(getpid(), "State")[0], 'R');
  char want[4096];
  size_t len = 0;
  for (int i = 0; i < g_argc; i++) {
    size_t l = strlen(g_argv[i]) + 1;
    memcpy(want + len, g_argv[i], l);
    len += l;
  }
  fd = OK(open("/proc/self/cmdline", O_RDONLY));
  n = OK(read(fd, b, sizeof b));
  CHECK_EQ(n, len);
  CHECK(memcmp(b, want, len) == 0);
  close(fd);
}

// stat: "PID (name) state PPID ..."; status of another user: its uids.
static void t_stat_and_status(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  CHECK(wait_state(k.pid, "S"));
  char b[1024], name[64], st;
  int fd = POPEN(k.pid, "stat", O_RDONLY);
  long n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  int pid, ppid;
  CHECK(sscanf(b, "%d (%63[^)]) %c %d", &pid, name, &st, &ppid) == 4);
  CHECK_EQ(pid, k.pid);
  CHECK(strcmp(name, "proctests") == 0);
  CHECK_EQ(st, 'S');
  CHECK_EQ(ppid, getpid());
  kid_send(&k, 0);
  EXPECT_EXIT(wait_for(k.pid), 0);
  long u = xfork();
  if (u == 0) {
    become(1000);
    CHECK(strcmp(status_field(getpid(), "Uid"), "1000\t1000\t1000\t1000") == 0);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(u), 0);
}

// A zombie (exited, not yet reaped) is still listed, and a stat or status opened on it
// then shows state Z (as Linux, for ps): it did not exit "since the handle was opened".
static void t_zombie_stat(void) {
  struct kid k;
  kid_start(&k, kid_read_exit);
  kid_send(&k, 0);
  char c, b[512];
  CHECK_EQ(read(k.res, &c, 1), 0); // exited: it is a zombie when we run again
  snprintf(b, sizeof b, "%ld", k.pid);
  CHECK(dir_has("/proc", b));
  int fd = POPEN(k.pid, "stat", O_RDONLY);
  errno = 0;
  long n = read(fd, b, sizeof b - 1);
  if (n <= 0)
    fail_at(__LINE__, "stat of a zombie: read gave %ld, errno %d", n, errno);
  b[n] = 0;
  close(fd);
  int pid;
  char state;
  CHECK(sscanf(b, "%d (%*[^)]) %c", &pid, &state) == 2);
  CHECK_EQ(pid, k.pid);
  CHECK_EQ(state, 'Z');
  CHECK_EQ(status_field(k.pid, "State")[0], 'Z');
  EXPECT_EXIT(wait_for(k.pid), 0);
}

// maps: Linux's format; the text (r-x, with the program's path), an anonymous mapping
// we make (rw-), and the stack.
static bool maps_has(uint64_t addr, const char *perms, const char *name) {
  static char b[16384];
  int fd = POPEN(getpid(), "maps", O_RDONLY);
  long n = OK(read(fd, b, sizeof b - 1));
  close(fd);
  b[n] = 0;
  for (char *line = strtok(b, "\n"); line; line = strtok(NULL, "\n")) {
    unsigned long lo, hi;
    char p[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, p) != 3)
      fail_at(__LINE__, "maps line '%s'", line);
    if (addr >= lo && addr < hi)
      return strncmp(p, perms, 4) == 0 && (!name || strstr(line, name));
  }
  return false;
}

static void t_maps(void) {
  CHECK(maps_has((uint64_t)main_addr(), "r-xp", g_self));
  void *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED);
  CHECK(maps_has((uint64_t)m + PAGE, "rw-p", NULL));
  int local;
  CHECK(maps_has((uint64_t)&local, "rw-p", "[stack]"));
  OK(munmap(m, 2 * PAGE));
  CHECK(!maps_has((uint64_t)m, "rw-p", NULL));
}

static void t_system_files(void) {
  char b[4096];
  int fd = OK(open("/proc/meminfo", O_RDONLY));
  long n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  unsigned long total, free_;
  CHECK(sscanf(b, "MemTotal: %lu kB\nMemFree: %lu kB", &total, &free_) == 2);
  CHECK(total > 0 && free_ <= total);
  fd = OK(open("/proc/uptime", O_RDONLY));
  n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  double up, idle;
  CHECK(sscanf(b, "%lf %lf", &up, &idle) == 2 && up >= 0 && idle >= 0);
  fd = OK(open("/proc/loadavg", O_RDONLY));
  n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  double l1, l5, l15;
  int running, total_p, last;
  CHECK(sscanf(b, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total_p, &last) == 6);
  CHECK(total_p >= 2);
  fd = OK(open("/proc/stat", O_RDONLY));
  n = OK(read(fd, b, sizeof b - 1));
  b[n] = 0;
  close(fd);
  CHECK(strncmp(b, "cpu ", 4) == 0 && strstr(b, "\nprocesses "));
}

// ---------------------------------------------------------------------------------
// The runner

static const struct ut_test tests[] = {
    // lifecycle
    UT(attach_spin), UT(attach_blocked_read), UT(exit_seen_by_tracer_reaped_by_parent),
    UT(exit_stop), UT(attach_errors), UT(stale_after_exit), UT(exec_stop),
    UT(close_releases),
    UT(close_at_syscall_entry), UT(close_excl_kills), UT(tracer_exit_releases),
    UT(tracer_exit_excl_kills), UT(three_names), UT(stale_after_exec),
    UT(exec_failed_no_stop),
    // fork
    UT(clone_held_own_session), UT(clone_held_released_by_parent_session),
    UT(clone_held_released_by_close), UT(clone_held_parent_dies), UT(events_batched),
    UT(event_queue_full), UT(event_queue_full_close),
    // system calls
    UT(syscall_args_and_result), UT(syscall_skip), UT(syscall_change_number),
    UT(syscall_change_args_and_result), UT(syscall_bad_number), UT(sysfilter),
    UT(sysfilter_not_tracer), UT(rearm_while_running), UT(attach_while_blocked), UT(event_bad_buffer),
    UT(write_keeps_queued_events),
    // steps, breakpoints, signals
    UT(step_exact), UT(step_close_midstep), UT(step_into_handler), UT(step_over_fork),
    UT(int3_stop), UT(int3_sigtrap), UT(int3_signal_dropped), UT(breakpoint_poked),
    UT(signal_dropped), UT(signal_delivered), UT(sigkill_not_stopped),
    UT(sigkill_at_syscall_entry), UT(sigkill_other_stops), UT(sigkill_races_writes),
    UT(job_control_traced),
    UT(sigcont_keeps_trace_stop), UT(attach_job_stopped),
    // registers
    UT(regs_roundtrip), UT(regs_write_seen), UT(regs_gs_base), UT(regs_write_sizes),
    UT(regs_write_busy), UT(regs_refused), UT(regs_rules_at_syscall_exit),
    UT(regs_rules_at_signal_stop), UT(regs_rip_top_of_user), UT(regs_flags_seen),
    UT(regs_tf_by_tracer), UT(sigreturn_checked), UT(regs_seed_blocked_read),
    UT(fpu_roundtrip), UT(fpu_mxcsr_refused), UT(fpu_no_leak),
    UT(debug_refused), UT(debug_watch_write), UT(debug_watch_sigtrap),
    UT(debug_exec_breakpoint), UT(debug_fork_exec), UT(debug_movss),
    // memory
    UT(mem_unaligned), UT(mem_edges), UT(mem_large), UT(mem_text_private),
    // permissions
    UT(perm_other_processes), UT(perm_setuid_exec), UT(perm_traced_setuid_exec),
    UT(perm_attach_races_setuid_exec),
    // bad input
    UT(garbage_writes), UT(trace_bad_flags), UT(trace_read_small), UT(zero_length_io),
    UT(trace_nonblock), UT(trace_poll),
    // the tree
    UT(tree_listing), UT(self_exe_cmdline), UT(stat_and_status), UT(zombie_stat),
    UT(maps),
    UT(system_files),
};
// The test's child: a write to a dead kid's pipe fails a check, not the test.
static void ignore_sigpipe(const struct ut_test *t) {
  (void)t;
  signal(SIGPIPE, SIG_IGN);
}

// Helper modes, for the processes the tests exec:
//   --wait          read one byte from stdin, exit with it
//   --peek ADDR N   print N bytes of this process's memory at ADDR, in hex
static int helper_mode(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--wait") == 0) {
    unsigned char c;
    return read(0, &c, 1) == 1 ? c : 99;
  }
  if (argc == 4 && strcmp(argv[1], "--peek") == 0) {
    const unsigned char *p = (const unsigned char *)strtoul(argv[2], NULL, 0);
    size_t n = strtoul(argv[3], NULL, 0);
    for (size_t i = 0; i < n; i++)
      outf("%02x", p[i]);
    return 0;
  }
  return -1;
}

int main(int argc, char **argv) {
  int code = helper_mode(argc, argv);
  if (code >= 0)
    return code;
  ut_setup(argv[0], "/bin/proctests");
  g_argc = argc, g_argv = argv;
  static const struct ut_suite suite = {.tests = tests,
                                        .ntests = UT_NTESTS(tests),
                                        .deadline_ms = TEST_DEADLINE_MS,
                                        .own_group = true,
                                        .setup = ignore_sigpipe};
  return ut_main(&suite, argc, argv);
}
