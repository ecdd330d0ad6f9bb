// proctests, the helpers every section uses (proctests.h declares them): processes to
// trace (kids), the proc: files, the trace session, this program's own ELF file.
#include "proctests.h"

int g_argc; // main's arguments (for cmdline)
char **g_argv;

// Become an ordinary user (gid first: after the uid change it would be refused).
void become(unsigned uid) {
  OK(syscall(SYS_setresgid, uid, uid, uid));
  OK(syscall(SYS_setresuid, uid, uid, uid));
}

int g_kcmd = -1, g_kres = -1;

void kid_start(struct kid *k, void (*body)(void)) {
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

void kid_send(const struct kid *k, int byte) {
  unsigned char b = byte;
  CHECK_EQ(write(k->cmd, &b, 1), 1);
}

// Read exactly n answer bytes (the kid may write them in pieces).
void kid_recv(const struct kid *k, void *buf, size_t n) {
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
int kid_get(void) {
  unsigned char b;
  long r;
  while ((r = read(g_kcmd, &b, 1)) < 0 && errno == EINTR)
    ;
  return r == 1 ? b : -1;
}

void kid_put(const void *buf, size_t n) { CHECK_EQ(write(g_kres, buf, n), n); }

// Is anything waiting in the read end fd? (Never blocks.)
bool readable(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

struct gate gate_new(void) {
  int p[2];
  OK(pipe(p));
  return (struct gate){p[0], p[1]};
}

void gate_open(const struct gate *g) { CHECK_EQ(write(g->wr, "a", 1), 1); }

void gate_pass(const struct gate *g) {
  char c;
  CHECK_EQ(read(g->rd, &c, 1), 1);
}

struct show show_new(void) {
  struct show s;
  OK(pipe(s.pid));
  s.done = gate_new();
  return s;
}

void show(const struct show *s, long pid) {
  CHECK_EQ(write(s->pid[1], &pid, sizeof pid), sizeof pid);
  gate_pass(&s->done);
}

long shown(const struct show *s) {
  long pid;
  CHECK_EQ(read(s->pid[0], &pid, sizeof pid), sizeof pid);
  return pid;
}

void seen(const struct show *s) { gate_open(&s->done); }

// ---------------------------------------------------------------------------------
// Kid bodies

volatile uint64_t g_counter; // kid_spin's progress, read through proc:PID/mem

void kid_spin(void) {
  for (;;)
    g_counter++;
}

// Wait for one command byte, exit with it as the status.
void kid_read_exit(void) {
  int c = kid_get();
  _exit(c < 0 ? 99 : c);
}

// ---------------------------------------------------------------------------------
// proc: files

const char *ppath(long pid, const char *file) {
  static char b[4][80];
  static int i;
  char *p = b[i++ % 4];
  proc_path(p, sizeof b[0], pid, file);
  return p;
}

int popen_at(int line, long pid, const char *file, int flags) {
  int fd = open(ppath(pid, file), flags);
  if (fd < 0)
    fail_at(line, "open %s (flags %#x): errno %d (%s)", ppath(pid, file), flags, errno,
            strerror(errno));
  return fd;
}

void regs_get_at(int line, long pid, regs_t *r) {
  int fd = popen_at(line, pid, "regs/int", O_RDONLY);
  long n = pread(fd, r, sizeof *r, 0);
  if (n != sizeof *r)
    fail_at(line, "read regs/int of %ld: %ld, errno %d", pid, n, errno);
  close(fd);
}

// Write the whole set; the write's result (-1 with errno on failure).
long regs_put(long pid, const regs_t *r) {
  int fd = open(ppath(pid, "regs/int"), O_RDWR);
  if (fd < 0)
    return -1;
  long n = pwrite(fd, r, sizeof *r, 0);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

void fpu_get(long pid, fpregs_t *f) {
  int fd = POPEN(pid, "regs/float", O_RDONLY);
  CHECK_EQ(pread(fd, f, sizeof *f, 0), sizeof *f);
  close(fd);
}

long fpu_put(long pid, const fpregs_t *f) {
  int fd = POPEN(pid, "regs/float", O_RDWR);
  long n = pwrite(fd, f, sizeof *f, 0);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

void dbg_get(long pid, uint64_t v[6]) {
  int fd = POPEN(pid, "regs/debug", O_RDONLY);
  CHECK_EQ(pread(fd, v, 48, 0), 48);
  close(fd);
}

long dbg_put(long pid, const uint64_t v[6]) {
  int fd = POPEN(pid, "regs/debug", O_RDWR);
  long n = pwrite(fd, v, 48, 0);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

// mem at an address (unsigned: the raw system call, so no libc check on the offset).
long mem_pread(int fd, void *buf, size_t n, uint64_t addr) {
  return syscall(SYS_pread64, fd, buf, n, addr);
}
long mem_pwrite(int fd, const void *buf, size_t n, uint64_t addr) {
  return syscall(SYS_pwrite64, fd, buf, n, addr);
}

uint64_t peek64(long pid, const volatile void *addr) {
  uint64_t v = 0;
  int fd = POPEN(pid, "mem", O_RDONLY);
  CHECK_EQ(mem_pread(fd, &v, 8, (uint64_t)addr), 8);
  close(fd);
  return v;
}

// The value of "key:" in proc:PID/status (up to the end of the line), or "" if absent.
const char *status_field(long pid, const char *key) {
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

// Wait (up to 3 s) until the process's State letter is one of want.
bool wait_state(long pid, const char *want) {
  for (int i = 0; i < 300; i++) {
    if (strchr(want, status_field(pid, "State")[0]))
      return true;
    sleep_ms(10);
  }
  return false;
}

// ---------------------------------------------------------------------------------
// Tracing

const char *cause_name(uint64_t c) {
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

int trace_open_at(int line, long pid, int flags) {
  return popen_at(line, pid, "trace", O_RDWR | flags);
}

void tset_at(int line, int tfd, uint64_t flags) {
  long r = write(tfd, &flags, sizeof flags);
  if (r != sizeof flags)
    fail_at(line, "write flags %#lx to trace: %ld, errno %d", (unsigned long)flags, r, errno);
}

// Start a kid with body, trace it asking for the stops, and send it command 1.
int kid_traced_at(int line, struct kid *k, void (*body)(void), uint64_t stops) {
  kid_start(k, body);
  int tfd = trace_open_at(line, k->pid, 0);
  tset_at(line, tfd, stops);
  kid_send(k, 1);
  return tfd;
}

// The next event (one record), waiting at most EVENT_WAIT_MS.
struct proc_event ev_next_at(int line, int tfd) {
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

struct proc_event ev_expect_at(int line, int tfd, uint64_t cause) {
  struct proc_event ev = ev_next_at(line, tfd);
  if (ev.cause != cause)
    fail_at(line, "event %s (a=%#lx b=%#lx), want %s", cause_name(ev.cause),
            (unsigned long)ev.a, (unsigned long)ev.b, cause_name(cause));
  return ev;
}

// Run the target from syscall stop to syscall stop (resuming with flags) until the stop
// `cause` for system call nr; return that event.
struct proc_event ev_syscall_at(int line, int tfd, uint64_t flags, uint64_t cause,
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

// Attach with O_TRUNC and take the PROC_STOP_INTERRUPT stop.
int attach_stopped_at(int line, long pid, int flags) {
  int tfd = trace_open_at(line, pid, O_TRUNC | flags);
  struct proc_event ev = ev_expect_at(line, tfd, PROC_STOP_INTERRUPT);
  if ((long)ev.a != pid)
    fail_at(line, "INTERRUPT event a=%ld, want the pid %ld", (long)ev.a, pid);
  return tfd;
}

// Start a kid with body and attach to it stopped.
int kid_stopped_at(int line, struct kid *k, void (*body)(void)) {
  kid_start(k, body);
  return attach_stopped_at(line, k->pid, 0);
}

// After the target's last event: EXITED with the wait status, then ESRCH.
void expect_exited_at(int line, int tfd, int status) {
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

// The kid's end: the session's EXITED record and then the parent's wait both give
// status (code << 8 for an exit, the signal for a kill).
void kid_end_at(int line, const struct kid *k, int tfd, int status) {
  expect_exited_at(line, tfd, status);
  int st = wait_for(k->pid);
  if (WIFEXITED(status))
    expect_exit_at(line, st, WEXITSTATUS(status));
  else
    expect_killed_at(line, st, WTERMSIG(status));
}

// ---------------------------------------------------------------------------------
// This program's own file: its entry point and where an address's bytes are on disk.

Elf64_Ehdr read_ehdr(int fd) {
  Elf64_Ehdr eh;
  CHECK_EQ(pread(fd, &eh, sizeof eh, 0), sizeof eh);
  CHECK(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
  return eh;
}

uint64_t elf_entry(const char *path) {
  int fd = OK(open(path, O_RDONLY));
  uint64_t e = read_ehdr(fd).e_entry;
  close(fd);
  return e;
}

// The file offset holding virtual address va of the program at path.
uint64_t file_offset_of(const char *path, uint64_t va) {
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
