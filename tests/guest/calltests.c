// calltests: in-guest tests of the Linux calls programs notice when they are missing or
// differ (issue 16): waitid, timers and clocks, rt_sigqueueinfo, personality, FIFOs,
// file locks, and errors that must be Linux's.
//
// Each test is a function in the table at the end of the file, run by the shared
// runner (user/lib/utest.h): one child per test, in a process group of its own. The
// last line is always "N passed, N failed"; the exit status is 1 if anything failed.
//
//   calltests            run every test
//   calltests NAME...    run only the named tests
//   calltests -l         list the tests
//
// The reference is Linux: every test is written from the man pages and passes on the
// host when the binary (musl-gcc -static) runs there as root. Where Linux's result
// depends on the host's set-up (a core-dump bit needs a core to be written), the exact
// check is gated on uname's sysname being "Vitrine".
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

// ---------------------------------------------------------------------------------
// Helpers

struct ksigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};

static void xpipe(int p[2]) { OK(sc(SYS_pipe2, p, 0)); }
static void send_byte(int fd, char c) { CHECK(sc(SYS_write, fd, &c, 1) == 1); }
static char recv_byte(int fd) {
  char c = 0;
  CHECK(sc(SYS_read, fd, &c, 1) == 1);
  return c;
}

// A child that waits in pause() until killed.
static long idle_child(void) {
  long pid = xfork();
  while (pid == 0) // the child: nothing but waiting to be killed
    sc(SYS_pause);
  return pid;
}

static void kill_and_reap(long pid) {
  sc(SYS_kill, pid, SIGKILL);
  wait_for(pid);
}

// A child that sends us sig after ms milliseconds, then exits (the caller reaps it).
static long signal_me_later(int sig, long ms) {
  long parent = sc(SYS_getpid), pid = xfork();
  if (pid != 0)
    return pid;
  sleep_ms(ms);
  _exit(sc(SYS_kill, parent, sig) == 0 ? 0 : 1);
}

// A handler through libc's sigaction (which supplies the restorer).
static void set_handler(int sig, void (*fn)(int), int flags) {
  struct sigaction sa = {0};
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  OK(sigaction(sig, &sa, NULL));
}

// ---------------------------------------------------------------------------------
// waitid(2)

static siginfo_t zero_info(void) {
  siginfo_t si;
  memset(&si, 0x5a, sizeof si); // the kernel must overwrite what it reports
  return si;
}

// An exited child: si_signo SIGCHLD, si_code CLD_EXITED, si_pid, si_uid, si_status the
// full exit code; reaped unless WNOWAIT.
static void t_waitid_exit(void) {
  long pid = xfork();
  if (pid == 0)
    _exit(0xab);
  siginfo_t si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, NULL), 0);
  EXPECT_EQ(si.si_signo, SIGCHLD);
  EXPECT_EQ(si.si_errno, 0);
  EXPECT_EQ(si.si_code, CLD_EXITED);
  EXPECT_EQ(si.si_pid, pid);
  EXPECT_EQ(si.si_uid, getuid());
  EXPECT_EQ(si.si_status, 0xab);
  // WNOWAIT left it waitable: again with P_ALL, and this time it is reaped.
  si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_ALL, 0, &si, WEXITED, NULL), 0);
  EXPECT_EQ(si.si_pid, pid);
  EXPECT_EQ(si.si_status, 0xab);
  EXPECT_ERR(sc(SYS_waitid, P_PID, pid, &si, WEXITED, NULL), ECHILD);
  EXPECT_ERR(sc(SYS_kill, pid, 0), ESRCH);
}

// A killed child: CLD_KILLED and the signal in si_status.
static void t_waitid_killed(void) {
  long pid = idle_child();
  OK(sc(SYS_kill, pid, SIGTERM));
  siginfo_t si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WEXITED, NULL), 0);
  EXPECT_EQ(si.si_code, CLD_KILLED);
  EXPECT_EQ(si.si_status, SIGTERM);
  EXPECT_EQ(si.si_pid, pid);
}

// Stopped and continued children are reported only when asked for (WSTOPPED,
// WCONTINUED), once each unless WNOWAIT; WEXITED alone does not see them.
static void t_waitid_stop_cont(void) {
  long pid = idle_child();
  OK(sc(SYS_kill, pid, SIGSTOP));
  siginfo_t si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WSTOPPED | WNOWAIT, NULL), 0);
  EXPECT_EQ(si.si_code, CLD_STOPPED);
  EXPECT_EQ(si.si_status, SIGSTOP);
  EXPECT_EQ(si.si_pid, pid);
  si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WEXITED | WNOHANG, NULL), 0);
  EXPECT_EQ(si.si_pid, 0); // nothing for WEXITED: the siginfo is zeroed
  EXPECT_EQ(si.si_signo, 0);
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WSTOPPED, NULL), 0); // still there
  EXPECT_EQ(si.si_code, CLD_STOPPED);
  si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WSTOPPED | WNOHANG, NULL), 0);
  EXPECT_EQ(si.si_pid, 0); // reported once
  OK(sc(SYS_kill, pid, SIGCONT));
  si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WCONTINUED, NULL), 0);
  EXPECT_EQ(si.si_code, CLD_CONTINUED);
  EXPECT_EQ(si.si_status, SIGCONT);
  EXPECT_EQ(si.si_signo, SIGCHLD);
  si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WCONTINUED | WNOHANG, NULL), 0);
  EXPECT_EQ(si.si_pid, 0);
  kill_and_reap(pid);
}

// P_PGID selects by process group; id 0 is the caller's own group.
static void t_waitid_pgid(void) {
  int go[2];
  xpipe(go);
  long c = xfork();
  if (c == 0) { // a group of its own, then exit 7 when told
    OK(sc(SYS_setpgid, 0, 0));
    _exit(recv_byte(go[0]) == 'g' ? 7 : 1);
  }
  OK(sc(SYS_setpgid, c, c)); // (both set it: no race)
  siginfo_t si;
  EXPECT_ERR(sc(SYS_waitid, P_PGID, 0, &si, WEXITED | WNOHANG, NULL), ECHILD);
  EXPECT_EQ(sc(SYS_waitid, P_PGID, c, &si, WEXITED | WNOHANG, NULL), 0);
  send_byte(go[1], 'g');
  si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PGID, c, &si, WEXITED, NULL), 0);
  EXPECT_EQ(si.si_pid, c);
  EXPECT_EQ(si.si_status, 7);
  long d = xfork(); // in our own group
  if (d == 0)
    _exit(8);
  si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PGID, 0, &si, WEXITED, NULL), 0);
  EXPECT_EQ(si.si_pid, d);
}

// The errors waitid(2) lists, and a NULL infop (allowed).
static void t_waitid_errors(void) {
  siginfo_t si;
  EXPECT_ERR(sc(SYS_waitid, P_ALL, 0, &si, WEXITED, NULL), ECHILD);
  EXPECT_ERR(sc(SYS_waitid, P_ALL, 0, &si, 0, NULL), EINVAL);       // no event asked for
  EXPECT_ERR(sc(SYS_waitid, P_ALL, 0, &si, WNOHANG, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_waitid, P_ALL, 0, &si, WEXITED | 0x10, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_waitid, 7, 0, &si, WEXITED, NULL), EINVAL);     // no such idtype
  EXPECT_ERR(sc(SYS_waitid, P_PID, 0, &si, WEXITED, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_waitid, P_PID, -5, &si, WEXITED, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_waitid, P_PGID, -5, &si, WEXITED, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_waitid, P_PID, 1, &si, WEXITED, NULL), ECHILD);
  long pid = xfork();
  if (pid == 0)
    _exit(3);
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, NULL, WEXITED, NULL), 0);
  EXPECT_ERR(sc(SYS_kill, pid, 0), ESRCH); // reaped all the same
  pid = xfork();
  if (pid == 0)
    _exit(3);
  EXPECT_ERR(sc(SYS_waitid, P_PID, pid, (void *)8, WEXITED, NULL), EFAULT);
  EXPECT_ERR(sc(SYS_kill, pid, 0), ESRCH);
}

// WEXITED with WNOHANG while the child runs: 0 and a zeroed siginfo; a signal
// interrupts a blocked waitid with EINTR.
static void h_noop(int sig) { (void)sig; }
static void t_waitid_nohang_eintr(void) {
  long pid = idle_child();
  siginfo_t si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WEXITED | WNOHANG, NULL), 0);
  EXPECT_EQ(si.si_pid, 0);
  EXPECT_EQ(si.si_signo, 0);
  EXPECT_EQ(si.si_code, 0);
  EXPECT_EQ(si.si_status, 0);
  set_handler(SIGUSR1, h_noop, 0);
  long k = signal_me_later(SIGUSR1, 50);
  EXPECT_ERR(sc(SYS_waitid, P_PID, pid, &si, WEXITED, NULL), EINTR);
  wait_for(k);
  kill_and_reap(pid);
}

// ---------------------------------------------------------------------------------
// Wait statuses and wait4's errors (issue 16's differences from Linux)

// A signal whose default action is a core dump sets 0x80 in the status (Linux does so
// when it dumps; the host may have cores switched off, so exactly only on Vitrine).
static void t_wait_core_bit(void) {
  long pid = idle_child();
  OK(sc(SYS_kill, pid, SIGQUIT));
  int st = wait_for(pid);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGQUIT);
  if (g_vitrine)
    EXPECT_EQ(st, SIGQUIT | 0x80);
  pid = idle_child();
  OK(sc(SYS_kill, pid, SIGTERM));
  EXPECT_EQ(wait_for(pid), SIGTERM); // no core for SIGTERM
  pid = idle_child();
  OK(sc(SYS_kill, pid, SIGSEGV));
  siginfo_t si = zero_info();
  EXPECT_EQ(sc(SYS_waitid, P_PID, pid, &si, WEXITED, NULL), 0);
  EXPECT_EQ(si.si_status, SIGSEGV);
  if (g_vitrine)
    EXPECT_EQ(si.si_code, CLD_DUMPED);
  else
    CHECK(si.si_code == CLD_DUMPED || si.si_code == CLD_KILLED);
}

static void t_wait4_int_min(void) {
  int st;
  EXPECT_ERR(sc(SYS_wait4, INT32_MIN, &st, 0, NULL), ESRCH);
  EXPECT_ERR(sc(SYS_wait4, INT32_MIN, &st, WNOHANG, NULL), ESRCH);
}

// ---------------------------------------------------------------------------------
// Clocks (clock_gettime(2), clock_getres, clock_settime, clock_nanosleep)

static long clock_ns(int clk) {
  struct timespec ts;
  OK(sc(SYS_clock_gettime, clk, &ts));
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

// CLOCK_MONOTONIC keeps time while the kernel is busy in a long system call (it used
// to count timer ticks, which are lost then). The TSC read in user mode is the
// reference: its rate against the clock over a sleep must hold across the long call.
static void t_clock_runs_in_kernel(void) {
  long n0 = clock_ns(CLOCK_MONOTONIC);
  uint64_t t0 = rdtsc();
  sleep_ms(200);
  double rate = (double)(rdtsc() - t0) / (clock_ns(CLOCK_MONOTONIC) - n0);
  size_t len = 16UL << 30; // unmapping an untouched 16 GiB: long on a page-by-page kernel
  void *m = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(m != MAP_FAILED);
  n0 = clock_ns(CLOCK_MONOTONIC);
  t0 = rdtsc();
  OK(munmap(m, len));
  for (int i = 0; i < 3; i++) { // and a few more, so that there is something to measure
    m = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(m != MAP_FAILED);
    OK(munmap(m, len));
  }
  double want = (rdtsc() - t0) / rate, got = clock_ns(CLOCK_MONOTONIC) - n0;
  ctx("clock %.0f ns, TSC says %.0f ns", got, want);
  CHECK(got > want * 0.8 - 20e6 && got < want * 1.25 + 20e6);
}

static void t_clock_getres(void) {
  static const int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                               CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME};
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    struct timespec ts = {-1, -1};
    ctx("clock %d", clocks[i]);
    OK(sc(SYS_clock_getres, clocks[i], &ts));
    CHECK(ts.tv_sec == 0 && ts.tv_nsec > 0 && ts.tv_nsec <= 10000000);
    OK(sc(SYS_clock_getres, clocks[i], NULL));
  }
  struct timespec ts;
  EXPECT_ERR(sc(SYS_clock_getres, 12345, &ts), EINVAL);
  EXPECT_ERR(sc(SYS_clock_getres, CLOCK_MONOTONIC, (void *)8), EFAULT);
}

// Only CLOCK_REALTIME can be set, and only with privilege; bad times are EINVAL first.
// (Setting it for real is only tried on Vitrine: not the host's clock.)
static void t_clock_settime(void) {
  struct timespec ts = {1000, 0}, bad = {1000, 1000000000};
  EXPECT_ERR(sc(SYS_clock_settime, CLOCK_MONOTONIC, &ts), EINVAL);
  EXPECT_ERR(sc(SYS_clock_settime, 12345, &ts), EINVAL);
  EXPECT_ERR(sc(SYS_clock_settime, CLOCK_REALTIME, &bad), EINVAL);
  EXPECT_ERR(sc(SYS_clock_settime, CLOCK_REALTIME, (void *)8), EFAULT);
  long pid = xfork();
  if (pid == 0) {
    OK(sc(SYS_setuid, 65534));
    EXPECT_ERR(sc(SYS_clock_settime, CLOCK_REALTIME, &ts), EPERM);
    struct timeval tv = {1000, 0};
    EXPECT_ERR(sc(SYS_settimeofday, &tv, NULL), EPERM);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  if (!g_vitrine)
    return;
  long before = clock_ns(CLOCK_REALTIME), mono = clock_ns(CLOCK_MONOTONIC);
  struct timespec later = {before / 1000000000L + 100000, 0};
  OK(sc(SYS_clock_settime, CLOCK_REALTIME, &later));
  long now = clock_ns(CLOCK_REALTIME);
  CHECK(now >= later.tv_sec * 1000000000L && now < later.tv_sec * 1000000000L + 2000000000L);
  CHECK(clock_ns(CLOCK_MONOTONIC) - mono < 2000000000L); // the monotonic clock is not moved
  CHECK(time(NULL) >= later.tv_sec);
  struct timespec back = {before / 1000000000L + 1, 0};
  OK(sc(SYS_clock_settime, CLOCK_REALTIME, &back));
}

// TIMER_ABSTIME sleeps until the clock reads the time, on every clock that has sleeps;
// a time already past returns at once; the raw and coarse clocks have none.
static void t_clock_nanosleep_abs(void) {
  static const int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI};
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    long target = clock_ns(clocks[i]) + 60000000;
    struct timespec ts = {target / 1000000000L, target % 1000000000L};
    ctx("clock %d", clocks[i]);
    EXPECT_EQ(sc(SYS_clock_nanosleep, clocks[i], TIMER_ABSTIME, &ts, NULL), 0);
    CHECK(clock_ns(clocks[i]) >= target);
  }
  struct timespec past = {0, 1};
  long t0 = clock_ns(CLOCK_MONOTONIC);
  EXPECT_EQ(sc(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &past, NULL), 0);
  EXPECT_EQ(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
  CHECK(clock_ns(CLOCK_MONOTONIC) - t0 < 1000000000L);
  struct timespec rel = {0, 1000};
  ctx("%s", "");
  EXPECT_ERR(sc(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &rel, NULL), EOPNOTSUPP);
  EXPECT_ERR(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, &rel, NULL), EOPNOTSUPP);
  EXPECT_ERR(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC_COARSE, 0, &rel, NULL), EOPNOTSUPP);
  EXPECT_ERR(sc(SYS_clock_nanosleep, CLOCK_REALTIME_COARSE, 0, &rel, NULL), EOPNOTSUPP);
  EXPECT_ERR(sc(SYS_clock_nanosleep, 12345, 0, &rel, NULL), EINVAL);
  struct timespec bad = {0, 1000000000};
  EXPECT_ERR(sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &bad, NULL), EINVAL);
}

// ---------------------------------------------------------------------------------
// The vDSO (vdso(7)): found through AT_SYSINFO_EHDR, its functions looked up by name
// and version as libcs do, its readings checked against the system calls'.

// The address of the vDSO's symbol name (version LINUX_2.6), or NULL: the lookup
// musl's and glibc's loaders do, through DT_HASH, DT_SYMTAB, DT_STRTAB and the
// version tables, with the load bias from the PT_LOAD segment.
static void *vdso_sym(const char *name) {
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
  if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_type != ET_DYN)
    return NULL;
  const Elf64_Phdr *ph = (const void *)((const char *)eh + eh->e_phoff);
  uintptr_t bias = 0;
  const Elf64_Dyn *dyn = NULL;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type == PT_LOAD)
      bias = (uintptr_t)eh + ph[i].p_offset - ph[i].p_vaddr;
    if (ph[i].p_type == PT_DYNAMIC)
      dyn = (const void *)((const char *)eh + ph[i].p_offset);
  }
  if (!dyn)
    return NULL;
  const Elf64_Sym *syms = NULL;
  const char *strs = NULL;
  const Elf32_Word *hash = NULL;
  const Elf64_Half *versym = NULL;
  const Elf64_Verdef *verdef = NULL;
  for (; dyn->d_tag != DT_NULL; dyn++) {
    void *p = (void *)(bias + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_SYMTAB) syms = p;
    if (dyn->d_tag == DT_STRTAB) strs = p;
    if (dyn->d_tag == DT_HASH) hash = p;
    if (dyn->d_tag == DT_VERSYM) versym = p;
    if (dyn->d_tag == DT_VERDEF) verdef = p;
  }
  if (!syms || !strs || !hash || !versym || !verdef)
    return NULL;
  for (Elf32_Word i = 0; i < hash[1]; i++) { // hash[1]: the number of symbols
    if (strcmp(strs + syms[i].st_name, name) || syms[i].st_shndx == SHN_UNDEF)
      continue;
    const Elf64_Verdef *d = verdef;
    while (!(d->vd_ndx == (versym[i] & 0x7fff) && !(d->vd_flags & VER_FLG_BASE)) && d->vd_next)
      d = (const void *)((const char *)d + d->vd_next);
    const Elf64_Verdaux *aux = (const void *)((const char *)d + d->vd_aux);
    if (d->vd_ndx == (versym[i] & 0x7fff) && !strcmp(strs + aux->vda_name, "LINUX_2.6"))
      return (void *)(bias + syms[i].st_value);
  }
  return NULL;
}

typedef int (*vdso_cgt_fn)(clockid_t, struct timespec *);

// /proc/self/maps into buf, NUL-terminated.
static void read_maps(char *buf, size_t size) {
  int fd = OK(open("/proc/self/maps", O_RDONLY));
  long n = 0, r;
  while ((r = read(fd, buf + n, size - 1 - n)) > 0)
    n += r;
  close(fd);
  buf[n] = 0;
}

static long vdso_ns(vdso_cgt_fn f, int clk) {
  struct timespec ts;
  CHECK(f(clk, &ts) == 0);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

// Every process gets the vDSO and its data page, named in maps; it has the five
// functions of Linux's, versioned LINUX_2.6; a forked child keeps them.
static void t_vdso_present(void) {
  static const char *const names[] = {"__vdso_clock_gettime", "__vdso_gettimeofday",
                                      "__vdso_time", "__vdso_getcpu", "__vdso_clock_getres"};
  uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  CHECK(base != 0);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    ctx("%s", names[i]);
    CHECK(vdso_sym(names[i]) != NULL);
  }
  ctx("%s", "");
  for (int round = 0; round < 2; round++) {
    char maps[16384], want[64];
    read_maps(maps, sizeof maps);
    snprintf(want, sizeof want, "%lx-", (unsigned long)base);
    char *line = strstr(maps, want);
    CHECK(line && strstr(line, "[vdso]") < strchr(line, '\n') && strstr(line, "[vdso]"));
    CHECK(strstr(maps, "r--p") && strstr(maps, "[vvar]\n"));
    if (round == 1)
      _exit(vdso_ns((vdso_cgt_fn)vdso_sym("__vdso_clock_gettime"), CLOCK_MONOTONIC) > 0 ? 0 : 1);
    long pid = xfork();
    if (pid != 0) {
      EXPECT_EXIT(wait_for(pid), 0);
      break;
    }
  }
}

// The vDSO and the system call read one clock: readings taken alternately through
// each never go backwards (CLOCK_MONOTONIC), and realtime, gettimeofday and time agree.
static void t_vdso_agrees(void) {
  vdso_cgt_fn cgt = (vdso_cgt_fn)vdso_sym("__vdso_clock_gettime");
  int (*gtod)(struct timeval *, void *) = vdso_sym("__vdso_gettimeofday");
  time_t (*vtime)(time_t *) = vdso_sym("__vdso_time");
  CHECK(cgt && gtod && vtime);
  static const int clocks[] = {CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME};
  for (size_t c = 0; c < sizeof clocks / sizeof clocks[0]; c++) {
    long last = 0;
    ctx("clock %d", clocks[c]);
    for (int i = 0; i < 2000; i++) {
      long a = vdso_ns(cgt, clocks[c]), b = clock_ns(clocks[c]);
      CHECK(a >= last && b >= a);
      last = b;
    }
  }
  ctx("%s", "");
  long a = vdso_ns(cgt, CLOCK_REALTIME), b = clock_ns(CLOCK_REALTIME);
  CHECK(b >= a && b - a < 1000000000L);
  struct timeval tv;
  CHECK(gtod(&tv, NULL) == 0);
  long us = tv.tv_sec * 1000000L + tv.tv_usec;
  CHECK(us >= a / 1000 && us <= clock_ns(CLOCK_REALTIME) / 1000);
  time_t t0 = vtime(NULL), t1;
  CHECK(vtime(&t1) == t1 && t1 >= t0 && t1 - t0 <= 1 && t0 >= a / 1000000000L);
  unsigned cpu = 99, node = 99;
  long (*getcpu)(unsigned *, unsigned *, void *) = vdso_sym("__vdso_getcpu");
  CHECK(getcpu && getcpu(&cpu, &node, NULL) == 0 && (long)cpu < sysconf(_SC_NPROCESSORS_CONF));
  int (*getres)(clockid_t, struct timespec *) = vdso_sym("__vdso_clock_getres");
  struct timespec vres = {-1, -1}, sres = {-2, -2};
  CHECK(getres && getres(CLOCK_MONOTONIC, &vres) == 0);
  OK(sc(SYS_clock_getres, CLOCK_MONOTONIC, &sres));
  CHECK(vres.tv_sec == sres.tv_sec && vres.tv_nsec == sres.tv_nsec);
}

// Clocks the vDSO does not read itself go to the system call: the CPU-time clocks
// work, and a bad clock is the system call's -EINVAL (vDSO functions return -errno).
static void t_vdso_fallback(void) {
  vdso_cgt_fn cgt = (vdso_cgt_fn)vdso_sym("__vdso_clock_gettime");
  int (*getres)(clockid_t, struct timespec *) = vdso_sym("__vdso_clock_getres");
  CHECK(cgt && getres);
  struct timespec ts = {-1, -1};
  CHECK(cgt(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 && ts.tv_sec >= 0 && ts.tv_nsec >= 0);
  CHECK(cgt(CLOCK_THREAD_CPUTIME_ID, &ts) == 0);
  CHECK(cgt(12345, &ts) == -EINVAL);
  CHECK(getres(12345, &ts) == -EINVAL);
}

// clock_settime moves the vDSO's CLOCK_REALTIME too (the data page is shared, and the
// kernel updates it), in this process and in one started before the change. Only on
// Vitrine: not the host's clock.
static void t_vdso_settime(void) {
  vdso_cgt_fn cgt = (vdso_cgt_fn)vdso_sym("__vdso_clock_gettime");
  CHECK(cgt);
  // Linux: the vvar page cannot be made writable (no VM_MAYWRITE).
  uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  char maps[16384];
  read_maps(maps, sizeof maps);
  char *v = strstr(maps, "[vvar]\n");
  CHECK(v);
  while (v > maps && v[-1] != '\n')
    v--;
  unsigned long vlo = strtoul(v, NULL, 16);
  CHECK(vlo && vlo < base);
  EXPECT_ERR(mprotect((void *)vlo, 4096, PROT_READ | PROT_WRITE), EACCES);
  if (!g_vitrine)
    return;
  int p[2];
  xpipe(p);
  long pid = xfork();
  if (pid == 0) { // reads its vDSO's realtime after the parent moved the clock
    recv_byte(p[0]);
    long now = vdso_ns(cgt, CLOCK_REALTIME);
    _exit(now / 1000000000L >= 3000000000L && now / 1000000000L < 3000000002L ? 0 : 1);
  }
  long before = clock_ns(CLOCK_REALTIME), mono = vdso_ns(cgt, CLOCK_MONOTONIC);
  struct timespec later = {3000000000L, 0};
  OK(sc(SYS_clock_settime, CLOCK_REALTIME, &later));
  long now = vdso_ns(cgt, CLOCK_REALTIME);
  CHECK(now >= later.tv_sec * 1000000000L && now < later.tv_sec * 1000000000L + 2000000000L);
  CHECK(vdso_ns(cgt, CLOCK_MONOTONIC) - mono < 2000000000L); // not moved
  CHECK(time(NULL) >= later.tv_sec);
  send_byte(p[1], 'x');
  int st = wait_for(pid);
  struct timespec back = {before / 1000000000L + 1, 0};
  OK(sc(SYS_clock_settime, CLOCK_REALTIME, &back));
  CHECK(vdso_ns(cgt, CLOCK_REALTIME) / 1000000000L <= back.tv_sec + 2);
  struct timeval tv = {before / 1000000000L + 5000, 0};
  OK(sc(SYS_settimeofday, &tv, NULL));
  CHECK(vdso_ns(cgt, CLOCK_REALTIME) / 1000000000L >= tv.tv_sec);
  OK(sc(SYS_clock_settime, CLOCK_REALTIME, &back));
  EXPECT_EXIT(st, 0);
}

// ---------------------------------------------------------------------------------
// Interval timers (setitimer(2), alarm(2))

static volatile int g_sigs[65];
static volatile siginfo_t g_info;
static void h_count(int sig) { g_sigs[sig]++; }
static void h_info(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  g_sigs[sig]++;
  memcpy((void *)&g_info, si, sizeof *si);
}
static void set_info_handler(int sig) {
  struct sigaction sa = {0};
  sa.sa_sigaction = h_info;
  sa.sa_flags = SA_SIGINFO;
  OK(sigaction(sig, &sa, NULL));
}

// Wait (in pause) until sig has arrived n times, at most ms milliseconds.
static bool await_sig(int sig, int n, long ms) {
  long end = now_ms() + ms;
  while (g_sigs[sig] < n && now_ms() < end)
    sleep_ms(5);
  return g_sigs[sig] >= n;
}

static void t_alarm(void) {
  set_handler(SIGALRM, h_count, 0);
  EXPECT_EQ(alarm(5), 0);
  EXPECT_EQ(alarm(3), 5); // rounded to the nearest second
  EXPECT_EQ(alarm(0), 3);
  EXPECT_EQ(alarm(0), 0);
  long t0 = now_ms();
  EXPECT_EQ(alarm(1), 0);
  CHECK(await_sig(SIGALRM, 1, 5000));
  CHECK(now_ms() - t0 >= 990);
  EXPECT_EQ(alarm(0), 0); // it fired: nothing left
  // The default action of SIGALRM ends the process.
  long pid = xfork();
  if (pid == 0) {
    struct itimerval it = {{0, 0}, {0, 20000}};
    signal(SIGALRM, SIG_DFL);
    setitimer(ITIMER_REAL, &it, NULL);
    for (;;)
      pause();
  }
  EXPECT_EQ(wait_for(pid), SIGALRM);
}

static long tv_us(struct timeval tv) { return tv.tv_sec * 1000000L + tv.tv_usec; }

static void t_setitimer_real(void) {
  set_info_handler(SIGALRM);
  struct itimerval it = {{0, 0}, {0, 300000}}, cur, old;
  OK(setitimer(ITIMER_REAL, &it, NULL));
  OK(getitimer(ITIMER_REAL, &cur));
  CHECK(tv_us(cur.it_value) > 0 && tv_us(cur.it_value) <= 300000);
  EXPECT_EQ(tv_us(cur.it_interval), 0);
  CHECK(await_sig(SIGALRM, 1, 5000));
  EXPECT_EQ(g_info.si_signo, SIGALRM);
  if (g_vitrine)
    EXPECT_EQ(g_info.si_code, SI_KERNEL);
  OK(getitimer(ITIMER_REAL, &cur));
  EXPECT_EQ(tv_us(cur.it_value), 0);
  // Periodic: three signals 30 ms apart, then disarmed; old_value has the setting.
  struct itimerval per = {{0, 30000}, {0, 30000}};
  long t0 = now_ms();
  OK(setitimer(ITIMER_REAL, &per, NULL));
  CHECK(await_sig(SIGALRM, 4, 5000));
  CHECK(now_ms() - t0 >= 85);
  struct itimerval off = {{0, 0}, {0, 0}};
  OK(setitimer(ITIMER_REAL, &off, &old));
  EXPECT_EQ(tv_us(old.it_interval), 30000);
  CHECK(tv_us(old.it_value) > 0 && tv_us(old.it_value) <= 30000);
  int n = g_sigs[SIGALRM];
  sleep_ms(100);
  EXPECT_EQ(g_sigs[SIGALRM], n);
  struct itimerval bad = {{0, 0}, {0, 1000000}};
  EXPECT_ERR(setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
  bad.it_value.tv_usec = -1;
  EXPECT_ERR(setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
  EXPECT_ERR(setitimer(7, &it, NULL), EINVAL);
  EXPECT_ERR(getitimer(7, &cur), EINVAL);
  EXPECT_ERR(sc(SYS_setitimer, ITIMER_REAL, (void *)8, NULL), EFAULT);
  EXPECT_ERR(sc(SYS_getitimer, ITIMER_REAL, (void *)8), EFAULT);
}

// ITIMER_PROF and ITIMER_VIRTUAL count the process's CPU time: they fire during a busy
// loop, not during a sleep.
static void t_setitimer_cpu(void) {
  set_handler(SIGPROF, h_count, 0);
  set_handler(SIGVTALRM, h_count, 0);
  struct itimerval it = {{0, 0}, {0, 50000}}, cur;
  OK(setitimer(ITIMER_PROF, &it, NULL));
  OK(setitimer(ITIMER_VIRTUAL, &it, NULL));
  sleep_ms(150);
  EXPECT_EQ(g_sigs[SIGPROF], 0);
  OK(getitimer(ITIMER_PROF, &cur));
  CHECK(tv_us(cur.it_value) > 0);
  long end = now_ms() + 10000;
  while ((!g_sigs[SIGPROF] || !g_sigs[SIGVTALRM]) && now_ms() < end)
    ;
  EXPECT_EQ(g_sigs[SIGPROF], 1);
  EXPECT_EQ(g_sigs[SIGVTALRM], 1);
  OK(getitimer(ITIMER_VIRTUAL, &cur));
  EXPECT_EQ(tv_us(cur.it_value), 0);
}

// Timers are not inherited by fork (and alarm's is the same ITIMER_REAL).
static void t_itimer_fork(void) {
  struct itimerval it = {{0, 0}, {100, 0}}, cur;
  OK(setitimer(ITIMER_REAL, &it, NULL));
  long pid = xfork();
  if (pid == 0) {
    OK(getitimer(ITIMER_REAL, &cur));
    EXPECT_EQ(tv_us(cur.it_value), 0);
    EXPECT_EQ(alarm(0), 0);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  EXPECT_EQ(alarm(0), 100);
}

// ---------------------------------------------------------------------------------
// POSIX timers (timer_create(2), timer_settime, timer_gettime, timer_getoverrun,
// timer_delete), through the raw calls: the kernel's timer ids are ints.

struct ksigevent {
  uint64_t value;
  int signo, notify;
  int tid;
  int pad[11];
};

static int make_timer(int clk, int notify, int signo, uint64_t value) {
  struct ksigevent ev = {.value = value, .signo = signo, .notify = notify};
  int id = -1;
  OK(sc(SYS_timer_create, clk, &ev, &id));
  CHECK(id >= 0);
  return id;
}

static void settime(int id, int flags, long value_ns, long interval_ns) {
  struct itimerspec its = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
                           {value_ns / 1000000000L, value_ns % 1000000000L}};
  OK(sc(SYS_timer_settime, id, flags, &its, NULL));
}

static long ts_ns(struct timespec ts) { return ts.tv_sec * 1000000000L + ts.tv_nsec; }

static void t_timer_signal(void) {
  int sig = SIGRTMIN + 2;
  set_info_handler(sig);
  int id = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 0x1234567);
  struct itimerspec cur;
  OK(sc(SYS_timer_gettime, id, &cur));
  EXPECT_EQ(ts_ns(cur.it_value), 0); // created disarmed
  settime(id, 0, 100000000, 0);
  OK(sc(SYS_timer_gettime, id, &cur));
  CHECK(ts_ns(cur.it_value) > 0 && ts_ns(cur.it_value) <= 100000000);
  CHECK(await_sig(sig, 1, 5000));
  EXPECT_EQ(g_info.si_signo, sig);
  EXPECT_EQ(g_info.si_code, SI_TIMER);
  EXPECT_EQ(g_info.si_value.sival_int, 0x1234567);
  EXPECT_EQ(g_info.si_timerid, id);
  EXPECT_EQ(g_info.si_overrun, 0);
  OK(sc(SYS_timer_gettime, id, &cur));
  EXPECT_EQ(ts_ns(cur.it_value), 0); // a one-shot is disarmed once it fired
  // Absolute, on the timer's clock (here CLOCK_REALTIME).
  int rt = make_timer(CLOCK_REALTIME, SIGEV_SIGNAL, sig, 0);
  long at = clock_ns(CLOCK_REALTIME) + 50000000;
  settime(rt, TIMER_ABSTIME, at, 0);
  CHECK(await_sig(sig, 2, 5000));
  CHECK(clock_ns(CLOCK_REALTIME) >= at);
  EXPECT_EQ(g_info.si_timerid, rt);
  OK(sc(SYS_timer_delete, rt));
  OK(sc(SYS_timer_delete, id));
  EXPECT_ERR(sc(SYS_timer_delete, id), EINVAL);
  EXPECT_ERR(sc(SYS_timer_gettime, id, &cur), EINVAL);
}

// Expiries while the signal is still pending are not queued again: they are counted in
// si_overrun and timer_getoverrun.
static void t_timer_overrun(void) {
  int sig = SIGRTMIN + 3;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  OK(sigprocmask(SIG_BLOCK, &set, NULL));
  int id = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 7);
  settime(id, 0, 40000000, 40000000);
  sleep_ms(450); // about 11 expiries: one signal, the rest overruns
  siginfo_t si;
  EXPECT_EQ(sigwaitinfo(&set, &si), sig);
  long over = sc(SYS_timer_getoverrun, id);
  ctx("si_overrun %d, timer_getoverrun %ld", si.si_overrun, over);
  CHECK(si.si_overrun >= 5 && si.si_overrun <= 15);
  EXPECT_EQ(over, si.si_overrun);
  EXPECT_EQ(si.si_code, SI_TIMER);
  EXPECT_EQ(si.si_value.sival_int, 7);
  OK(sc(SYS_timer_delete, id));
  struct timespec zero = {0, 0};
  EXPECT_ERR(sigtimedwait(&set, &si, &zero), EAGAIN); // one signal, not eleven
}

// SIGEV_NONE: nothing is sent, but the timer runs (timer_gettime); a periodic one
// reloads; no sigevent means SIGALRM with the id as value.
static void t_timer_none_default(void) {
  int id = make_timer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0);
  settime(id, 0, 30000000, 0);
  sleep_ms(100);
  struct itimerspec cur;
  OK(sc(SYS_timer_gettime, id, &cur));
  EXPECT_EQ(ts_ns(cur.it_value), 0);
  settime(id, 0, 10000000000L, 5000000000L);
  OK(sc(SYS_timer_gettime, id, &cur));
  EXPECT_EQ(ts_ns(cur.it_interval), 5000000000L);
  CHECK(ts_ns(cur.it_value) > 9000000000L && ts_ns(cur.it_value) <= 10000000000L);
  struct itimerspec old, off = {{0, 0}, {0, 0}};
  OK(sc(SYS_timer_settime, id, 0, &off, &old));
  EXPECT_EQ(ts_ns(old.it_interval), 5000000000L);
  set_info_handler(SIGALRM);
  int id2 = -1;
  OK(sc(SYS_timer_create, CLOCK_REALTIME, NULL, &id2));
  CHECK(id2 >= 0 && id2 != id);
  settime(id2, 0, 20000000, 0);
  CHECK(await_sig(SIGALRM, 1, 5000));
  EXPECT_EQ(g_info.si_code, SI_TIMER);
  EXPECT_EQ(g_info.si_value.sival_int, id2);
  EXPECT_EQ(g_sigs[0], 0);
}

static void t_timer_errors(void) {
  struct ksigevent ev = {.signo = SIGUSR1, .notify = SIGEV_SIGNAL};
  int id;
  EXPECT_ERR(sc(SYS_timer_create, 12345, &ev, &id), EINVAL);
  EXPECT_ERR(sc(SYS_timer_create, CLOCK_MONOTONIC, (void *)8, &id), EFAULT);
  ev.signo = 0;
  EXPECT_ERR(sc(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), EINVAL);
  ev.signo = 65;
  EXPECT_ERR(sc(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), EINVAL);
  ev.signo = SIGUSR1, ev.notify = 99;
  EXPECT_ERR(sc(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), EINVAL);
  ev.notify = 4, ev.tid = 1; // SIGEV_THREAD_ID naming a thread not ours
  EXPECT_ERR(sc(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), EINVAL);
  ev.notify = SIGEV_SIGNAL;
  id = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 0);
  struct itimerspec bad = {{0, 0}, {0, 1000000000}}, cur;
  EXPECT_ERR(sc(SYS_timer_settime, id, 0, &bad, NULL), EINVAL);
  bad.it_value.tv_nsec = -1;
  EXPECT_ERR(sc(SYS_timer_settime, id, 0, &bad, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_timer_settime, id, 0, (void *)8, NULL), EFAULT);
  EXPECT_ERR(sc(SYS_timer_settime, id + 100, 0, &cur, NULL), EINVAL);
  EXPECT_ERR(sc(SYS_timer_gettime, id + 100, &cur), EINVAL);
  EXPECT_ERR(sc(SYS_timer_gettime, id, (void *)8), EFAULT);
  EXPECT_ERR(sc(SYS_timer_getoverrun, id + 100), EINVAL);
  EXPECT_ERR(sc(SYS_timer_delete, -1), EINVAL);
  EXPECT_EQ(sc(SYS_timer_getoverrun, id), 0);
  // Not inherited by a child.
  long pid = xfork();
  if (pid == 0) {
    EXPECT_ERR(sc(SYS_timer_gettime, id, &cur), EINVAL);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(sc(SYS_timer_delete, id));
}

// ---------------------------------------------------------------------------------
// rt_sigqueueinfo(2), rt_tgsigqueueinfo, personality(2)

static void t_sigqueue_self(void) {
  int sig = SIGRTMIN + 4;
  set_info_handler(sig);
  union sigval v = {.sival_int = 4242};
  OK(sigqueue(getpid(), sig, v)); // musl: rt_sigqueueinfo with SI_QUEUE, our pid and uid
  CHECK(await_sig(sig, 1, 2000));
  EXPECT_EQ(g_info.si_code, SI_QUEUE);
  EXPECT_EQ(g_info.si_value.sival_int, 4242);
  EXPECT_EQ(g_info.si_pid, getpid());
  EXPECT_EQ(g_info.si_uid, getuid());
  // To itself a process may claim any origin, and what it gives is what arrives.
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_code = SI_USER;
  si.si_pid = 12345;
  si.si_uid = 777;
  si.si_value.sival_ptr = (void *)0x1122334455667788UL;
  OK(sc(SYS_rt_sigqueueinfo, getpid(), sig, &si));
  CHECK(await_sig(sig, 2, 2000));
  EXPECT_EQ(g_info.si_signo, sig);
  EXPECT_EQ(g_info.si_code, SI_USER);
  EXPECT_EQ(g_info.si_pid, 12345);
  EXPECT_EQ(g_info.si_uid, 777);
  OK(sc(SYS_rt_tgsigqueueinfo, getpid(), getpid(), sig, &si));
  CHECK(await_sig(sig, 3, 2000));
  EXPECT_EQ(g_info.si_pid, 12345);
}

// To another process: si_code must be negative and not SI_TKILL (EPERM otherwise, even
// for root); the usual kill permissions; ESRCH, EINVAL, EFAULT.
static void t_sigqueue_other(void) {
  int p[2];
  xpipe(p);
  long pid = xfork();
  if (pid == 0) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    send_byte(p[1], 'r');
    siginfo_t si;
    if (sigwaitinfo(&set, &si) == SIGUSR1 && si.si_code == SI_QUEUE && si.si_value.sival_int == 99 &&
        si.si_pid == 4321)
      _exit(0);
    _exit(1);
  }
  CHECK(recv_byte(p[0]) == 'r');
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_code = SI_USER;
  EXPECT_ERR(sc(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), EPERM);
  si.si_code = SI_KERNEL;
  EXPECT_ERR(sc(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), EPERM);
  si.si_code = SI_TKILL;
  EXPECT_ERR(sc(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si), EPERM);
  EXPECT_ERR(sc(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, &si), EPERM);
  si.si_code = SI_QUEUE;
  EXPECT_ERR(sc(SYS_rt_sigqueueinfo, pid, 65, &si), EINVAL);
  EXPECT_ERR(sc(SYS_rt_sigqueueinfo, pid, SIGUSR1, (void *)8), EFAULT);
  EXPECT_ERR(sc(SYS_rt_tgsigqueueinfo, pid, pid + 1, SIGUSR1, &si), ESRCH);
  EXPECT_ERR(sc(SYS_rt_tgsigqueueinfo, 0, pid, SIGUSR1, &si), EINVAL);
  EXPECT_ERR(sc(SYS_rt_tgsigqueueinfo, pid, -1, SIGUSR1, &si), EINVAL);
  OK(sc(SYS_rt_sigqueueinfo, pid, 0, &si)); // signal 0: only the checks
  si.si_value.sival_int = 99;
  si.si_pid = 4321;
  OK(sc(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si));
  EXPECT_EXIT(wait_for(pid), 0);
  long dead = xfork();
  if (dead == 0)
    _exit(0);
  wait_for(dead);
  EXPECT_ERR(sc(SYS_rt_sigqueueinfo, dead, SIGUSR1, &si), ESRCH);
  // An unprivileged process may not signal root's.
  long me = getpid();
  long c = xfork();
  if (c == 0) {
    OK(sc(SYS_setuid, 65534));
    EXPECT_ERR(sc(SYS_rt_sigqueueinfo, me, SIGUSR1, &si), EPERM);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(c), 0);
}

static void t_personality(void) {
  EXPECT_EQ(sc(SYS_personality, 0xffffffff), 0); // PER_LINUX
  EXPECT_EQ(sc(SYS_personality, 0x0040000), 0);  // ADDR_NO_RANDOMIZE
  EXPECT_EQ(sc(SYS_personality, 0xffffffff), 0x0040000);
  long pid = xfork();
  if (pid == 0)
    _exit(sc(SYS_personality, 0xffffffff) == 0x0040000 ? 0 : 1); // inherited
  EXPECT_EXIT(wait_for(pid), 0);
  EXPECT_EQ(sc(SYS_personality, 0), 0x0040000);
  EXPECT_EQ(sc(SYS_personality, 0xffffffff), 0);
}

// ---------------------------------------------------------------------------------
// FIFOs (mknod(2), fifo(7), pipe(7))

// A fresh path in /tmp for this test (removed first, in case a run left it).
static const char *tmp_path(const char *what) {
  static char buf[16][96];
  static int n;
  char *b = buf[n++ % 16];
  snprintf(b, 96, "/tmp/calltests-%s-%ld", what, (long)getpid());
  unlink(b);
  return b;
}

static void t_mknod(void) {
  const char *f = tmp_path("fifo"), *r = tmp_path("reg"), *c = tmp_path("chr");
  umask(022);
  OK(mknod(f, S_IFIFO | 0666, 0));
  struct stat st;
  OK(stat(f, &st));
  CHECK(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0644); // the umask applies
  EXPECT_ERR(mknod(f, S_IFIFO | 0600, 0), EEXIST);
  EXPECT_ERR(mkfifo(f, 0600), EEXIST);
  OK(mknodat(AT_FDCWD, r, 0600, 0)); // type 0: a regular file
  OK(stat(r, &st));
  CHECK(S_ISREG(st.st_mode) && st.st_size == 0);
  EXPECT_ERR(mknod(tmp_path("dir"), S_IFDIR | 0700, 0), EPERM);
  EXPECT_ERR(mknod(tmp_path("bad"), 0170000 | 0600, 0), EINVAL);
  EXPECT_ERR(mknod("/nonexistent-dir/x", S_IFIFO | 0600, 0), ENOENT);
  EXPECT_ERR(sc(SYS_mknod, (void *)8, S_IFIFO | 0600, 0), EFAULT);
  long pid = xfork();
  if (pid == 0) { // devices need privilege
    OK(sc(SYS_setuid, 65534));
    EXPECT_ERR(mknod(c, S_IFCHR | 0600, makedev(1, 3)), EPERM);
    EXPECT_ERR(mknod(c, S_IFBLK | 0600, makedev(7, 0)), EPERM);
    const char *f2 = tmp_path("userfifo");
    OK(mkfifo(f2, 0600)); // a FIFO does not
    OK(unlink(f2));
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(mknod(c, S_IFCHR | 0600, makedev(1, 3)));
  OK(stat(c, &st));
  CHECK(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  OK(unlink(c));
  OK(unlink(r));
  OK(unlink(f));
}

// fifo(7): a non-blocking reader opens at once, a non-blocking writer without a reader
// gets ENXIO, O_RDWR opens at once; fstat shows the node.
static void t_fifo_open_nonblock(void) {
  const char *f = tmp_path("nb");
  OK(mkfifo(f, 0600));
  EXPECT_ERR(open(f, O_WRONLY | O_NONBLOCK), ENXIO);
  int r = OK(open(f, O_RDONLY | O_NONBLOCK));
  char c;
  EXPECT_EQ(read(r, &c, 1), 0); // no writer: end of file, not EAGAIN
  int w = OK(open(f, O_WRONLY | O_NONBLOCK));
  EXPECT_ERR(read(r, &c, 1), EAGAIN); // a writer, no data
  EXPECT_EQ(write(w, "xy", 2), 2);
  EXPECT_EQ(read(r, &c, 1), 1);
  EXPECT_EQ(c, 'x');
  struct stat a, b;
  OK(fstat(r, &a));
  OK(stat(f, &b));
  CHECK(S_ISFIFO(a.st_mode));
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_ERR(lseek(r, 0, SEEK_SET), ESPIPE);
  close(w);
  EXPECT_EQ(read(r, &c, 1), 1); // what was written stays after the writer closed
  EXPECT_EQ(c, 'y');
  EXPECT_EQ(read(r, &c, 1), 0);
  close(r);
  int rw = OK(open(f, O_RDWR)); // never waits
  EXPECT_EQ(write(rw, "z", 1), 1);
  EXPECT_EQ(read(rw, &c, 1), 1);
  close(rw);
  // The data goes with the last open file.
  rw = OK(open(f, O_RDWR));
  EXPECT_EQ(write(rw, "q", 1), 1);
  close(rw);
  rw = OK(open(f, O_RDWR | O_NONBLOCK));
  EXPECT_ERR(read(rw, &c, 1), EAGAIN);
  close(rw);
  OK(unlink(f));
}

// A blocking O_WRONLY waits for a reader, a blocking O_RDONLY for a writer.
static void t_fifo_open_blocks(void) {
  const char *f = tmp_path("blk");
  OK(mkfifo(f, 0600));
  int rep[2];
  xpipe(rep);
  long pid = xfork();
  if (pid == 0) {
    int w = OK(open(f, O_WRONLY));
    send_byte(rep[1], 'o');
    CHECK(write(w, "hello", 5) == 5);
    _exit(0);
  }
  sleep_ms(150);
  struct pollfd pfd = {rep[0], POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 0), 0); // still waiting in open
  int r = OK(open(f, O_RDONLY));
  CHECK(recv_byte(rep[0]) == 'o');
  char buf[8] = {0};
  long n = 0, got;
  while (n < 5 && (got = read(r, buf + n, sizeof buf - n)) > 0)
    n += got;
  EXPECT_EQ(n, 5);
  CHECK(memcmp(buf, "hello", 5) == 0);
  EXPECT_EXIT(wait_for(pid), 0);
  EXPECT_EQ(read(r, buf, 1), 0); // the writer is gone: EOF
  close(r);
  pid = xfork();
  if (pid == 0) {
    int rd = OK(open(f, O_RDONLY));
    send_byte(rep[1], 'r');
    char c;
    _exit(read(rd, &c, 1) == 1 && c == '!' ? 0 : 1);
  }
  sleep_ms(150);
  EXPECT_EQ(poll(&pfd, 1, 0), 0);
  int w = OK(open(f, O_WRONLY));
  CHECK(recv_byte(rep[0]) == 'r');
  EXPECT_EQ(write(w, "!", 1), 1);
  EXPECT_EXIT(wait_for(pid), 0);
  close(w);
  OK(unlink(f));
}

// A signal ends a blocked open with EINTR (no SA_RESTART), leaving no half-open end:
// a non-blocking writer still finds no reader.
static void t_fifo_open_eintr(void) {
  const char *f = tmp_path("intr");
  OK(mkfifo(f, 0600));
  set_handler(SIGUSR1, h_noop, 0);
  long k = signal_me_later(SIGUSR1, 100);
  EXPECT_ERR(open(f, O_RDONLY), EINTR);
  wait_for(k);
  EXPECT_ERR(open(f, O_WRONLY | O_NONBLOCK), ENXIO);
  OK(unlink(f));
}

// Writing with no reader left: SIGPIPE, and EPIPE if it is ignored; poll shows a
// reader POLLHUP only once a writer has come and gone.
static void t_fifo_epipe_pollhup(void) {
  const char *f = tmp_path("pipe");
  OK(mkfifo(f, 0600));
  int r = OK(open(f, O_RDONLY | O_NONBLOCK));
  struct pollfd pfd = {r, POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 0), 0); // no writer yet: nothing, not even POLLHUP
  int w = OK(open(f, O_WRONLY));
  pfd.revents = 0;
  EXPECT_EQ(poll(&pfd, 1, 0), 0);
  close(w);
  EXPECT_EQ(poll(&pfd, 1, 0), 1);
  CHECK(pfd.revents & POLLHUP);
  w = OK(open(f, O_WRONLY));
  close(r);
  signal(SIGPIPE, SIG_IGN);
  EXPECT_ERR(write(w, "x", 1), EPIPE);
  signal(SIGPIPE, SIG_DFL);
  long pid = xfork();
  if (pid == 0) {
    write(w, "x", 1);
    _exit(0);
  }
  EXPECT_EQ(wait_for(pid), SIGPIPE);
  close(w);
  OK(unlink(f));
}

// An unlinked FIFO stays usable through its open files.
static void t_fifo_unlinked(void) {
  const char *f = tmp_path("unl");
  OK(mkfifo(f, 0600));
  int rw = OK(open(f, O_RDWR));
  OK(unlink(f));
  EXPECT_EQ(write(rw, "abc", 3), 3);
  char buf[4];
  EXPECT_EQ(read(rw, buf, sizeof buf), 3);
  close(rw);
}

// busybox's (and coreutils') mkfifo.
static void t_fifo_mkfifo_cmd(void) {
  const char *f = tmp_path("cmd");
  long pid = xfork();
  if (pid == 0) {
    execl("/usr/bin/mkfifo", "mkfifo", "-m", "0640", f, (char *)NULL);
    _exit(127);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  struct stat st;
  OK(stat(f, &st));
  CHECK(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0640);
  OK(unlink(f));
}

// ---------------------------------------------------------------------------------
// File locks (flock(2), fcntl(2) record locks and open file description locks)

static int make_file(const char *path, int size) {
  int fd = OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
  char buf[256] = {0};
  for (int n = 0; n < size; n += (int)sizeof buf)
    CHECK(write(fd, buf, MIN((int)sizeof buf, size - n)) > 0);
  return fd;
}

static int lk(int fd, int cmd, int type, long start, long len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}

static void t_flock(void) {
  const char *path = tmp_path("flock");
  int a = make_file(path, 10), b = OK(open(path, O_RDONLY)); // two open files
  OK(flock(a, LOCK_EX));
  EXPECT_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  EXPECT_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
  int d = OK(dup(a)); // the same open file: the same lock
  OK(flock(d, LOCK_EX | LOCK_NB));
  EXPECT_EQ(lk(b, F_SETLK, F_RDLCK, 0, 0), 0); // flock and fcntl locks do not meet
  OK(flock(a, LOCK_SH)); // converting
  OK(flock(b, LOCK_SH | LOCK_NB));
  EXPECT_ERR(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  OK(flock(b, LOCK_UN));
  OK(flock(a, LOCK_EX | LOCK_NB));
  long pid = xfork();
  if (pid == 0) { // inherited descriptors share the open file, and its lock
    OK(flock(a, LOCK_EX | LOCK_NB));
    int c = OK(open(path, O_RDONLY));
    EXPECT_ERR(flock(c, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  // A blocked LOCK_EX goes on when the holder's last descriptor closes.
  int rep[2];
  xpipe(rep);
  pid = xfork();
  if (pid == 0) {
    close(a), close(d); // (its copies would keep the lock's open file)
    OK(flock(b, LOCK_EX)); // waits for a and d
    send_byte(rep[1], 'l');
    _exit(0);
  }
  sleep_ms(100);
  struct pollfd pfd = {rep[0], POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 0), 0);
  close(a);
  sleep_ms(50);
  EXPECT_EQ(poll(&pfd, 1, 0), 0); // d still holds it
  close(d);
  CHECK(recv_byte(rep[0]) == 'l');
  EXPECT_EXIT(wait_for(pid), 0);
  EXPECT_ERR(flock(b, 0), EINVAL);
  EXPECT_ERR(flock(b, LOCK_SH | LOCK_EX), EINVAL);
  EXPECT_ERR(flock(-1, LOCK_SH), EBADF);
  close(b);
  OK(unlink(path));
}

// Process-owned record locks: conflicts between processes, F_GETLK's answer, splitting
// on unlock, read locks shared, and the release rules (any close of the file by the
// owner, exit; not inherited).
static void t_fcntl_setlk(void) {
  const char *path = tmp_path("setlk");
  int fd = make_file(path, 100);
  OK(lk(fd, F_SETLK, F_WRLCK, 0, 10));
  OK(lk(fd, F_SETLK, F_WRLCK, 20, 80)); // 20..99
  OK(lk(fd, F_SETLK, F_UNLCK, 40, 20)); // leaves 0..9, 20..39, 60..99
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  OK(fcntl(fd, F_GETLK, &fl)); // our own locks are no conflict
  EXPECT_EQ(fl.l_type, F_UNLCK);
  long me = getpid();
  long pid = xfork();
  if (pid == 0) {
    int c = OK(open(path, O_RDWR));
    EXPECT_ERR(lk(c, F_SETLK, F_WRLCK, 5, 10), EAGAIN);
    struct flock q = {.l_type = F_RDLCK, .l_whence = SEEK_CUR, .l_start = 25, .l_len = 2};
    OK(fcntl(c, F_GETLK, &q));
    EXPECT_EQ(q.l_type, F_WRLCK);
    EXPECT_EQ(q.l_whence, SEEK_SET);
    EXPECT_EQ(q.l_start, 20);
    EXPECT_EQ(q.l_len, 20);
    EXPECT_EQ(q.l_pid, me);
    OK(lk(c, F_SETLK, F_WRLCK, 45, 10)); // in the hole
    OK(lk(c, F_SETLK, F_WRLCK, 10, 10)); // 10..19 was never locked
    EXPECT_ERR(lk(c, F_SETLK, F_WRLCK, 60, 1), EAGAIN);
    struct flock e = {.l_type = F_WRLCK, .l_whence = SEEK_END, .l_start = -1, .l_len = 1};
    EXPECT_ERR(fcntl(c, F_SETLK, &e), EAGAIN); // byte 99
    _exit(0); // its locks go with it
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(lk(fd, F_SETLK, F_WRLCK, 10, 10)); // the child's lock went at its exit
  // Read locks share; a write lock meets them.
  OK(lk(fd, F_SETLK, F_RDLCK, 0, 100));
  pid = xfork();
  if (pid == 0) {
    int c = OK(open(path, O_RDWR));
    OK(lk(c, F_SETLK, F_RDLCK, 0, 50));
    EXPECT_ERR(lk(c, F_SETLK, F_WRLCK, 50, 1), EAGAIN);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  // Closing any descriptor of the file drops all our locks on it.
  int other = OK(open(path, O_RDONLY));
  close(other);
  pid = xfork();
  if (pid == 0) {
    int c = OK(open(path, O_RDWR));
    OK(lk(c, F_SETLK, F_WRLCK, 0, 0));
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  // Errors.
  int ro = OK(open(path, O_RDONLY)), wo = OK(open(path, O_WRONLY));
  EXPECT_ERR(lk(ro, F_SETLK, F_WRLCK, 0, 1), EBADF);
  EXPECT_ERR(lk(wo, F_SETLK, F_RDLCK, 0, 1), EBADF);
  EXPECT_ERR(lk(fd, F_SETLK, 7, 0, 1), EINVAL);
  EXPECT_ERR(lk(fd, F_SETLK, F_WRLCK, -5, 1), EINVAL);
  EXPECT_ERR(lk(fd, F_GETLK, F_UNLCK, 0, 1), EINVAL);
  struct flock w = {.l_type = F_WRLCK, .l_whence = 9};
  EXPECT_ERR(fcntl(fd, F_SETLK, &w), EINVAL);
  EXPECT_ERR(fcntl(fd, F_SETLK, (void *)8), EFAULT);
  close(ro), close(wo), close(fd);
  OK(unlink(path));
}

// F_SETLKW waits for the lock, and refuses with EDEADLK a wait that would close a cycle.
static void t_fcntl_setlkw_deadlock(void) {
  const char *path = tmp_path("dead");
  int fd = make_file(path, 10);
  OK(lk(fd, F_SETLK, F_WRLCK, 0, 1)); // A
  int rep[2];
  xpipe(rep);
  long pid = xfork();
  if (pid == 0) {
    int c = OK(open(path, O_RDWR));
    OK(lk(c, F_SETLK, F_WRLCK, 1, 1)); // B
    send_byte(rep[1], 'b');
    OK(lk(c, F_SETLKW, F_WRLCK, 0, 1)); // waits for A
    send_byte(rep[1], 'a');
    _exit(0);
  }
  CHECK(recv_byte(rep[0]) == 'b');
  sleep_ms(150); // the child now waits for A
  EXPECT_ERR(lk(fd, F_SETLKW, F_WRLCK, 1, 1), EDEADLK);
  EXPECT_ERR(lk(fd, F_SETLK, F_WRLCK, 1, 1), EAGAIN);
  OK(lk(fd, F_SETLK, F_UNLCK, 0, 1));
  CHECK(recv_byte(rep[0]) == 'a');
  EXPECT_EXIT(wait_for(pid), 0);
  OK(lk(fd, F_SETLKW, F_WRLCK, 0, 2)); // both free again
  close(fd);
  OK(unlink(path));
}

// Open file description locks: owned by the open file, so two opens in one process
// conflict; they meet process locks; l_pid is -1; closing another descriptor of the
// file does not drop them.
static void t_ofd_locks(void) {
  const char *path = tmp_path("ofd");
  int a = make_file(path, 10), b = OK(open(path, O_RDWR));
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5};
  OK(fcntl(a, F_OFD_SETLK, &fl));
  EXPECT_ERR(fcntl(b, F_OFD_SETLK, &fl), EAGAIN);
  EXPECT_ERR(lk(b, F_SETLK, F_RDLCK, 2, 1), EAGAIN); // a process lock meets it too
  struct flock q = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 4, .l_len = 10};
  OK(fcntl(b, F_OFD_GETLK, &q));
  EXPECT_EQ(q.l_type, F_WRLCK);
  EXPECT_EQ(q.l_pid, -1);
  EXPECT_EQ(q.l_start, 0);
  EXPECT_EQ(q.l_len, 5);
  close(b); // not the locking open file: the lock stays
  b = OK(open(path, O_RDWR));
  EXPECT_ERR(fcntl(b, F_OFD_SETLK, &fl), EAGAIN);
  struct flock bad = fl;
  bad.l_pid = 1;
  EXPECT_ERR(fcntl(b, F_OFD_SETLK, &bad), EINVAL);
  EXPECT_ERR(fcntl(b, F_OFD_GETLK, &bad), EINVAL);
  close(a); // its last descriptor: the lock goes
  OK(fcntl(b, F_OFD_SETLK, &fl));
  close(b);
  OK(unlink(path));
}

// With SA_RESTART, a handler does not end a wait for a lock or a child (Linux restarts
// F_SETLKW, flock and waitid); without it they fail with EINTR.
static void t_restart_waits(void) {
  int rep[2];
  xpipe(rep);
  const char *path = tmp_path("restart");
  int fd = make_file(path, 10);
  OK(lk(fd, F_SETLK, F_WRLCK, 0, 1));
  long pid = xfork();
  if (pid == 0) {
    set_handler(SIGUSR1, h_noop, SA_RESTART);
    int c = OK(open(path, O_RDWR));
    send_byte(rep[1], 'r');
    OK(lk(c, F_SETLKW, F_WRLCK, 0, 1)); // a signal comes, then the lock
    set_handler(SIGUSR1, h_noop, 0);
    send_byte(rep[1], 'e');
    EXPECT_ERR(lk(c, F_SETLKW, F_WRLCK, 5, 1), EINTR);
    _exit(0);
  }
  CHECK(recv_byte(rep[0]) == 'r');
  sleep_ms(100);
  OK(sc(SYS_kill, pid, SIGUSR1));
  sleep_ms(100);
  OK(lk(fd, F_SETLK, F_WRLCK, 5, 1)); // for the second wait
  OK(lk(fd, F_SETLK, F_UNLCK, 0, 1));
  CHECK(recv_byte(rep[0]) == 'e');
  sleep_ms(100);
  OK(sc(SYS_kill, pid, SIGUSR1));
  EXPECT_EXIT(wait_for(pid), 0);
  long idle = idle_child();
  set_handler(SIGUSR1, h_noop, SA_RESTART);
  long k = signal_me_later(SIGUSR1, 50);
  long killer = xfork();
  if (killer == 0) {
    sleep_ms(200);
    sc(SYS_kill, idle, SIGKILL);
    _exit(0);
  }
  siginfo_t si;
  EXPECT_EQ(sc(SYS_waitid, P_PID, idle, &si, WEXITED, NULL), 0); // through the signal
  EXPECT_EQ(si.si_status, SIGKILL);
  wait_for(k);
  wait_for(killer);
  close(fd);
  OK(unlink(path));
}

// Leases: no file has one (F_GETLEASE says F_UNLCK, as Linux with none taken), and
// Vitrine's file systems take none (F_SETLEASE: EINVAL, as Linux's without setlease).
static void t_leases(void) {
  int fd = OK(open("/tmp/lease", O_RDONLY | O_CREAT, 0644));
  EXPECT_EQ(fcntl(fd, F_GETLEASE), F_UNLCK);
  if (g_vitrine)
    EXPECT_ERR(fcntl(fd, F_SETLEASE, F_RDLCK), EINVAL);
  EXPECT_EQ(fcntl(fd, F_GETLEASE), F_UNLCK); // (a refused lease leaves none)
  OK(close(fd));
  EXPECT_ERR(fcntl(fd, F_GETLEASE), EBADF);
  OK(unlink("/tmp/lease"));
}

// ---------------------------------------------------------------------------------
// Pipes: F_GETPIPE_SZ / F_SETPIPE_SZ, pipe2(O_DIRECT)

static void t_pipe_size(void) {
  int p[2];
  OK(pipe2(p, O_NONBLOCK));
  EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
  EXPECT_EQ(write(p[1], "abc", 3), 3);
  EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 5000), 8192); // two pages
  EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), 8192);
  char buf[4096] = {0};
  EXPECT_EQ(read(p[0], buf, sizeof buf), 3); // the data survives the change
  CHECK(memcmp(buf, "abc", 3) == 0);
  EXPECT_EQ(write(p[1], buf, 4096), 4096);
  EXPECT_EQ(write(p[1], buf, 4096), 4096);
  EXPECT_ERR(write(p[1], buf, 4096), EAGAIN); // full at 8192
  EXPECT_ERR(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
  EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
  EXPECT_EQ(write(p[1], buf, 4096), 4096);
  EXPECT_ERR(fcntl(p[1], F_SETPIPE_SZ, -1), EINVAL);
  int f = OK(open("/tmp", O_RDONLY | O_DIRECTORY));
  EXPECT_ERR(fcntl(f, F_GETPIPE_SZ), EBADF);
  EXPECT_ERR(fcntl(f, F_SETPIPE_SZ, 4096), EBADF);
  long pid = xfork();
  if (pid == 0) {
    OK(sc(SYS_setuid, 65534));
    EXPECT_ERR(fcntl(p[1], F_SETPIPE_SZ, 2 << 20), EPERM); // above pipe-max-size
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
}

static void t_pipe_packet(void) {
  int p[2];
  OK(pipe2(p, O_DIRECT | O_NONBLOCK));
  CHECK(fcntl(p[1], F_GETFL) & O_DIRECT); // (the write end's flag, as Linux)
  CHECK(!(fcntl(p[0], F_GETFL) & O_DIRECT));
  EXPECT_EQ(write(p[1], "abc", 3), 3);
  EXPECT_EQ(write(p[1], "defgh", 5), 5);
  char buf[8192];
  EXPECT_EQ(read(p[0], buf, sizeof buf), 3); // one packet per read
  CHECK(memcmp(buf, "abc", 3) == 0);
  EXPECT_EQ(read(p[0], buf, 2), 2); // the rest of the packet is discarded
  CHECK(memcmp(buf, "de", 2) == 0);
  EXPECT_ERR(read(p[0], buf, sizeof buf), EAGAIN);
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(write(p[1], buf, 5000), 5000); // more than PIPE_BUF: packets of 4096
  EXPECT_EQ(read(p[0], buf, sizeof buf), 4096);
  EXPECT_EQ(read(p[0], buf, sizeof buf), 904);
  EXPECT_ERR(pipe2(p, 0x10), EINVAL);
}

// ---------------------------------------------------------------------------------
// O_TMPFILE, SEEK_DATA / SEEK_HOLE

static void t_o_tmpfile(void) {
  int fd = OK(open("/tmp", O_TMPFILE | O_RDWR, 0600));
  struct stat st;
  OK(fstat(fd, &st));
  CHECK(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_nlink, 0);
  EXPECT_EQ(write(fd, "tmp", 3), 3);
  const char *name = tmp_path("named");
  OK(linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH));
  OK(stat(name, &st));
  EXPECT_EQ(st.st_nlink, 1);
  EXPECT_EQ(st.st_size, 3);
  close(fd);
  OK(unlink(name));
  int ex = OK(open("/tmp", O_TMPFILE | O_WRONLY | O_EXCL, 0600));
  EXPECT_ERR(linkat(ex, "", AT_FDCWD, name, AT_EMPTY_PATH), ENOENT);
  close(ex);
  EXPECT_ERR(open("/tmp", O_TMPFILE | O_RDONLY, 0600), EINVAL);
  EXPECT_ERR(open("/tmp", O_TMPFILE | O_RDWR | O_CREAT, 0600), EINVAL);
  EXPECT_ERR(open("/nonexistent-dir", O_TMPFILE | O_RDWR, 0600), ENOENT);
  const char *reg = tmp_path("reg");
  close(OK(open(reg, O_CREAT | O_WRONLY, 0600)));
  EXPECT_ERR(open(reg, O_TMPFILE | O_RDWR, 0600), ENOTDIR);
  OK(unlink(reg));
}

static void t_seek_data_hole(void) {
  const char *path = tmp_path("seek");
  int fd = make_file(path, 100);
  EXPECT_EQ(lseek(fd, 0, SEEK_DATA), 0);
  EXPECT_EQ(lseek(fd, 50, SEEK_DATA), 50);
  EXPECT_EQ(lseek(fd, 0, SEEK_HOLE), 100);
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 100);
  EXPECT_ERR(lseek(fd, 100, SEEK_DATA), ENXIO);
  EXPECT_ERR(lseek(fd, 100, SEEK_HOLE), ENXIO);
  EXPECT_ERR(lseek(fd, 1000, SEEK_DATA), ENXIO);
  close(fd);
  OK(unlink(path));
}

// ---------------------------------------------------------------------------------
// Errors and behaviour that must be Linux's

static void t_dup3_order(void) {
  EXPECT_ERR(sc(SYS_dup3, -1, 5, 0x1234), EINVAL); // bad flags before a bad descriptor
  EXPECT_ERR(sc(SYS_dup3, 1000, 5, 0x1234), EINVAL);
  EXPECT_ERR(sc(SYS_dup3, 0, 0, 0x1234), EINVAL);
  EXPECT_ERR(sc(SYS_dup3, 1000, 5, O_CLOEXEC), EBADF);
  EXPECT_ERR(sc(SYS_dup3, 1, 1, O_CLOEXEC), EINVAL);
}

// Lowering a limit is always allowed; the soft one may go up to the hard one; raising
// the hard one needs privilege. RLIMIT_NOFILE bounds new descriptors.
static void t_rlimit_lower(void) {
  struct rlimit r, orig;
  OK(getrlimit(RLIMIT_NOFILE, &orig));
  r.rlim_cur = 10, r.rlim_max = orig.rlim_max;
  OK(setrlimit(RLIMIT_NOFILE, &r));
  int fds[16], n = 0, fd;
  while ((fd = open("/dev/null", O_RDONLY)) >= 0 && n < 16)
    fds[n++] = fd;
  int err = errno;
  EXPECT_EQ(err, EMFILE);
  CHECK(n < 10);
  EXPECT_ERR(dup2(0, 12), EBADF);
  EXPECT_ERR(fcntl(0, F_DUPFD, 12), EINVAL);
  while (n)
    close(fds[--n]);
  long pid = xfork();
  if (pid == 0) { // inherited
    struct rlimit c;
    OK(getrlimit(RLIMIT_NOFILE, &c));
    _exit(c.rlim_cur == 10 ? 0 : 1);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(setrlimit(RLIMIT_NOFILE, &orig)); // back up to the hard limit
  OK(getrlimit(RLIMIT_NOFILE, &r));
  EXPECT_EQ(r.rlim_cur, orig.rlim_cur);
  struct rlimit core = {0, 0};
  OK(setrlimit(RLIMIT_CORE, &core)); // any limit may be lowered
  pid = xfork();
  if (pid == 0) {
    OK(sc(SYS_setuid, 65534));
    struct rlimit low = {64, 128}, high = {64, 256}, bad = {200, 100};
    OK(setrlimit(RLIMIT_NOFILE, &low));
    EXPECT_ERR(setrlimit(RLIMIT_NOFILE, &high), EPERM); // the hard limit back up: no
    EXPECT_ERR(setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
    struct rlimit up = {128, 128};
    OK(setrlimit(RLIMIT_NOFILE, &up)); // the soft one up to the hard one: yes
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
}

// execve with an empty argv runs the program with argv {""} (Linux 5.18+): see main.
static void t_execve_empty_argv(void) {
  long pid = xfork();
  if (pid == 0) {
    char *none[] = {NULL};
    sc(SYS_execve, g_self, none, none);
    _exit(1);
  }
  EXPECT_EXIT(wait_for(pid), 42);
}

// O_NOATIME is for the file's owner (or privilege): EPERM for others.
static void t_o_noatime(void) {
  const char *path = tmp_path("noatime");
  close(OK(open(path, O_CREAT | O_WRONLY, 0644)));
  close(OK(open(path, O_RDONLY | O_NOATIME))); // root
  long pid = xfork();
  if (pid == 0) {
    OK(sc(SYS_setuid, 65534));
    EXPECT_ERR(open(path, O_RDONLY | O_NOATIME), EPERM);
    close(OK(open(path, O_RDONLY)));
    const char *mine = tmp_path("noatime-own");
    close(OK(open(mine, O_CREAT | O_WRONLY, 0644)));
    close(OK(open(mine, O_RDONLY | O_NOATIME)));
    OK(unlink(mine));
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(unlink(path));
}

// O_PATH names a file without opening it: no access needed, no reading; with
// O_NOFOLLOW a symbolic link itself.
static void t_o_path(void) {
  const char *target = tmp_path("opath-t"), *link = tmp_path("opath-l");
  int t = OK(open(target, O_CREAT | O_WRONLY, 0600));
  EXPECT_EQ(write(t, "abc", 3), 3);
  close(t);
  OK(symlink(target, link));
  int fd = OK(open(link, O_PATH | O_NOFOLLOW));
  struct stat st;
  OK(fstat(fd, &st));
  CHECK(S_ISLNK(st.st_mode));
  char c;
  EXPECT_ERR(read(fd, &c, 1), EBADF);
  close(fd);
  fd = OK(open(link, O_PATH)); // followed
  OK(fstat(fd, &st));
  CHECK(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 3);
  EXPECT_ERR(read(fd, &c, 1), EBADF);
  EXPECT_ERR(write(fd, "x", 1), EBADF);
  close(fd);
  EXPECT_ERR(open(link, O_RDONLY | O_NOFOLLOW), ELOOP); // without O_PATH: refused
  long pid = xfork();
  if (pid == 0) { // no read permission needed
    OK(sc(SYS_setuid, 65534));
    EXPECT_ERR(open(target, O_RDONLY), EACCES);
    close(OK(open(target, O_PATH)));
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(unlink(link));
  OK(unlink(target));
}

// ---------------------------------------------------------------------------------
// chroot(2)

static void put_file(const char *path, const char *text) {
  int fd = OK(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755));
  CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  close(fd);
}

// The file's first bytes (up to 63) as a string; "" if it cannot be read.
static const char *file_text(const char *path) {
  static char buf[64];
  buf[0] = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return buf;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  close(fd);
  return buf;
}

// A scratch tree to chroot into: etc/f ("in"), links to it (absolute, and relative
// with more ".." than there are levels), and a copy of this program as bin/t.
static void make_jail(char *dir, size_t n) {
  snprintf(dir, n, "/tmp/chroot.%ld", (long)getpid());
  char p[128];
  OK(mkdir(dir, 0755));
  snprintf(p, sizeof p, "%s/etc", dir), OK(mkdir(p, 0755));
  snprintf(p, sizeof p, "%s/bin", dir), OK(mkdir(p, 0755));
  snprintf(p, sizeof p, "%s/sub", dir), OK(mkdir(p, 0755));
  snprintf(p, sizeof p, "%s/etc/f", dir), put_file(p, "in");
  snprintf(p, sizeof p, "%s/sub/abs", dir), OK(symlink("/etc/f", p));
  snprintf(p, sizeof p, "%s/sub/rel", dir), OK(symlink("../../../../etc/f", p));
  snprintf(p, sizeof p, "%s/bin/t", dir);
  int in = OK(open("/proc/self/exe", O_RDONLY)), out = OK(open(p, O_WRONLY | O_CREAT, 0755));
  char buf[4096];
  ssize_t r;
  while ((r = read(in, buf, sizeof buf)) > 0)
    CHECK(write(out, buf, r) == r);
  close(in), close(out);
}

static void remove_jail(const char *dir) {
  static const char *const files[] = {"etc/f", "sub/abs", "sub/rel", "bin/t"};
  static const char *const dirs[] = {"etc", "sub", "bin", ""};
  char p[128];
  for (size_t i = 0; i < 4; i++)
    snprintf(p, sizeof p, "%s/%s", dir, files[i]), unlink(p);
  for (size_t i = 0; i < 4; i++)
    snprintf(p, sizeof p, "%s/%s", dir, dirs[i]), rmdir(p);
}

// Only root may chroot (EPERM), after the path is found to be a directory it may
// search (ENOENT, ENOTDIR, EFAULT come first, for anyone).
static void t_chroot_errors(void) {
  char dir[64], f[96];
  make_jail(dir, sizeof dir);
  snprintf(f, sizeof f, "%s/etc/f", dir);
  EXPECT_ERR(sc(SYS_chroot, "/nonexistent/dir"), ENOENT);
  EXPECT_ERR(sc(SYS_chroot, f), ENOTDIR);
  EXPECT_ERR(sc(SYS_chroot, ""), ENOENT);
  EXPECT_ERR(sc(SYS_chroot, (void *)8), EFAULT);
  long pid = xfork();
  if (pid == 0) {
    OK(sc(SYS_setuid, 65534));
    EXPECT_ERR(sc(SYS_chroot, dir), EPERM);
    EXPECT_ERR(sc(SYS_chroot, "/nonexistent/dir"), ENOENT);
    EXPECT_ERR(sc(SYS_chroot, f), ENOTDIR);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(pid), 0);
  OK(sc(SYS_chroot, "/")); // root may, and "/" changes nothing
  EXPECT_EQ(strcmp(file_text(f), "in"), 0);
  remove_jail(dir);
}

// Inside: absolute paths, ".." (which stops at the new root), symlinks and the working
// directory are all taken inside the new root; a forked child inherits it; a program
// exec'd there runs inside too; /proc/PID/root shows it from outside.
static void t_chroot_inside(void) {
  char dir[64], link[64], want[64];
  make_jail(dir, sizeof dir);
  int p[2], q[2];
  xpipe(p);
  xpipe(q);
  long pid = xfork();
  if (pid == 0) {
    OK(sc(SYS_chroot, dir));
    char cwd[256];
    CHECK(sc(SYS_getcwd, cwd, sizeof cwd) > 0 && strncmp(cwd, "(unreachable)", 13) == 0);
    OK(chdir("/"));
    CHECK(sc(SYS_getcwd, cwd, sizeof cwd) == 2 && strcmp(cwd, "/") == 0);
    EXPECT_EQ(strcmp(file_text("/etc/f"), "in"), 0);
    EXPECT_EQ(strcmp(file_text("/../../etc/f"), "in"), 0);
    EXPECT_EQ(strcmp(file_text("/sub/abs"), "in"), 0);
    EXPECT_EQ(strcmp(file_text("/sub/rel"), "in"), 0);
    OK(chdir("sub"));
    EXPECT_EQ(strcmp(file_text("../../../etc/f"), "in"), 0);
    OK(chdir("../.."));
    CHECK(sc(SYS_getcwd, cwd, sizeof cwd) == 2 && strcmp(cwd, "/") == 0);
    struct stat a, b;
    OK(stat("/", &a));
    OK(stat("/..", &b));
    CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    int d = OK(open("/sub", O_RDONLY | O_DIRECTORY));
    EXPECT_EQ(strcmp(file_text("/sub/abs"), "in"), 0);
    int fd = openat(d, "../../../etc/f", O_RDONLY);
    CHECK(fd >= 0);
    close(fd);
    EXPECT_ERR(open("/tests", O_RDONLY), ENOENT); // the old root's files are gone
    send_byte(p[1], 'c');
    recv_byte(q[0]);
    long g = xfork();
    if (g == 0)
      _exit(strcmp(file_text("/etc/f"), "in") == 0 ? 0 : 1);
    EXPECT_EXIT(wait_for(g), 0);
    char *argv[] = {"t", "--chroot-probe", NULL};
    execve("/bin/t", argv, NULL);
    _exit(99);
  }
  CHECK(recv_byte(p[0]) == 'c');
  snprintf(link, sizeof link, "/proc/%ld/root", pid);
  char got[64] = "";
  CHECK(readlink(link, got, sizeof got - 1) > 0);
  snprintf(want, sizeof want, "%s", dir);
  EXPECT_EQ(strcmp(got, want), 0);
  char self[64] = "";
  CHECK(readlink("/proc/self/root", self, sizeof self - 1) == 1 && self[0] == '/');
  send_byte(q[1], 'g');
  EXPECT_EXIT(wait_for(pid), 42); // the probe, run inside, found the jail's etc/f
  remove_jail(dir);
}

// ---------------------------------------------------------------------------------
// The table and the runner

static const struct ut_test tests[] = {
    UT(waitid_exit), UT(waitid_killed), UT(waitid_stop_cont), UT(waitid_pgid),
    UT(waitid_errors), UT(waitid_nohang_eintr), UT(wait_core_bit), UT(wait4_int_min),
    UT(clock_runs_in_kernel), UT(clock_getres), UT(clock_settime), UT(clock_nanosleep_abs),
    UT(vdso_present), UT(vdso_agrees), UT(vdso_fallback), UT(vdso_settime),
    UT(alarm), UT(setitimer_real), UT(setitimer_cpu), UT(itimer_fork),
    UT(timer_signal), UT(timer_overrun), UT(timer_none_default), UT(timer_errors),
    UT(sigqueue_self), UT(sigqueue_other), UT(personality),
    UT(mknod), UT(fifo_open_nonblock), UT(fifo_open_blocks), UT(fifo_open_eintr),
    UT(fifo_epipe_pollhup), UT(fifo_unlinked), UT_IF(fifo_mkfifo_cmd, "/usr/bin/mkfifo"),
    UT(flock), UT(fcntl_setlk), UT(fcntl_setlkw_deadlock), UT(ofd_locks), UT(restart_waits),
    UT(pipe_size), UT(leases), UT(pipe_packet), UT(o_tmpfile), UT(seek_data_hole),
    UT(dup3_order), UT(rlimit_lower), UT(execve_empty_argv), UT(o_noatime), UT(o_path),
    UT(chroot_errors), UT(chroot_inside),
};

// Tests assume the signal state of a fresh process (a shell may hand us ignored ones).
static void reset_signals(void) {
  struct ksigaction dfl = {SIG_DFL, 0, NULL, 0};
  uint64_t none = 0;
  for (int s = 1; s <= 64; s++)
    if (s != SIGKILL && s != SIGSTOP)
      sc(SYS_rt_sigaction, s, &dfl, NULL, 8);
  sc(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
}

int main(int argc, char **argv) {
  if (argc == 1 && argv[0] && !argv[0][0])
    return 42; // t_execve_empty_argv's child: run with argv {""}
  if (argc == 2 && strcmp(argv[1], "--chroot-probe") == 0) // t_chroot_inside's, in the jail
    return strcmp(file_text("/etc/f"), "in") == 0 && access("/sub/abs", F_OK) == 0 ? 42 : 1;
  reset_signals();
  ut_setup(argv[0], "/tests/calltests");
  static const struct ut_suite suite = {
      .tests = tests, .ntests = UT_NTESTS(tests), .own_group = true, .deadline_ms = 20000};
  return ut_main(&suite, argc, argv);
}
