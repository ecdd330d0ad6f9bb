// bench SUBCOMMAND [N]: Vitrine's micro-benchmarks, run by tools/bench.sh (make bench).
//
// Every measurement prints one line for the host to collect:
//     RESULT NAME OPS TSC NS
// OPS operations took TSC rdtsc ticks and NS nanoseconds of CLOCK_MONOTONIC. Under
// `tools/vrun --icount` the TSC counts executed guest instructions (the figure repeats
// exactly); in a normal run NS is the wall time. The host divides by OPS. Other lines:
//     VALUE NAME NUMBER UNIT       a quantity that is not a rate (free memory)
//     NA NAME REASON...            the figure cannot be measured (a call failed, a trace
//                                  stop never came)
//
// Subcommands (N: operations; each has a default):
//   getppid N    raw `syscall` instruction in a loop: the system-call round trip
//   clock N      clock_gettime(CLOCK_MONOTONIC) through musl (a system call: no vDSO)
//   pingpong N   one byte each way between two processes through two pipes
//   unixpp N     the same through one AF_UNIX stream socketpair
//   yield N      two processes take turns with sched_yield: two system calls and two
//                switches a round, no data (with getppid, the floor of a tracer's loop)
//   spawn N      fork + execve(this program, "exit") + wait4: a small musl program
//   spawnbb N    fork + execve("/bin/true") + wait4: busybox's true
//   spawndyn N   fork + execve("/tests/dyntrue") + wait4: a dynamically linked musl
//                program (the kernel loads musl's loader, which maps libc)
//   filefault N  page faults on a private mapping of a file of the initramfs
//                (/bin/busybox): each touch of a new page copies it in
//   dynmem       MemFree drop for the first and for a second sleeping instance of
//                /tests/dyntrue (how much of a dynamic program's memory is shared)
//   trace N      a tracer stops a child at entry and exit of N getppid calls; at each
//                stop it reads the event and regs/int, then writes the flags to resume
//   memread N    N preads of 1 MiB from proc:CHILD/mem
//   step N       N single steps (write PROC_STOP_SINGLESTEP, read the event)
//   pstep N      the same through ptrace(2): PTRACE_SINGLESTEP + wait4
//   memword N    N preads of one word (8 bytes) from proc:CHILD/mem
//   peek N       the same through ptrace(2): N PTRACE_PEEKDATA of a stopped tracee
//   regs N       N preads of proc:CHILD/regs/int (216 bytes)
//   memfree      MemFree from proc:meminfo
//   procmem N    memory per extra sleeping process: MemFree before and with N children
//   forkwait N   fork + _exit + wait4, no exec
//   thread N     pthread_create + pthread_join of a thread that returns at once
//   futex N      two threads pass a turn through one futex word (FUTEX_WAIT/WAKE)
//   all [R]      every benchmark above, R rounds (default 1)
//   hello        write one line at once (boot-time measurement); exit: exit 0 at once
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "proc.h"
#include "readfile.h"

#define MIB (1024 * 1024)

struct mark {
  uint64_t tsc, ns;
};

static uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

static struct mark mark_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (struct mark){rdtsc(), (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec};
}

static void result(const char *name, uint64_t ops, struct mark a, struct mark b) {
  printf("RESULT %s %lu %lu %lu\n", name, (unsigned long)ops, (unsigned long)(b.tsc - a.tsc),
         (unsigned long)(b.ns - a.ns));
  fflush(stdout);
}

// A figure we could not measure: say why instead of printing a number. errno, when set,
// names the failing call's error.
static int not_available(const char *name, const char *what) {
  if (errno)
    printf("NA %s %s: %s\n", name, what, strerror(errno));
  else
    printf("NA %s %s\n", name, what);
  fflush(stdout);
  return 1;
}

// The system call itself, without libc's wrapper, so only the kernel round trip counts.
static long raw_getppid(void) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_getppid) : "rcx", "r11", "memory");
  return r;
}

static int bench_getppid(long n) {
  for (int i = 0; i < 100; i++) // warm the caches and the TLB
    raw_getppid();
  struct mark a = mark_now();
  for (long i = 0; i < n; i++)
    raw_getppid();
  result("getppid", n, a, mark_now());
  return 0;
}

// What a program pays to read the time: musl's clock_gettime, which uses a vDSO if the
// kernel offers one and the system call otherwise.
static int bench_clock(long n) {
  struct timespec ts;
  for (int i = 0; i < 100; i++)
    clock_gettime(CLOCK_MONOTONIC, &ts);
  struct mark a = mark_now();
  for (long i = 0; i < n; i++)
    clock_gettime(CLOCK_MONOTONIC, &ts);
  result("clock", n, a, mark_now());
  return 0;
}

// A child blocked reading `fds[0]` until the parent writes or closes `fds[1]`; it then
// exits. This is the "sleeping process" other benchmarks look into.
static pid_t sleeper(int fds[2]) {
  if (pipe(fds) < 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(fds[1]);
    read(fds[0], &c, 1);
    _exit(0);
  }
  close(fds[0]);
  return pid;
}

static void end_sleeper(pid_t pid, int wfd) {
  close(wfd);
  waitpid(pid, NULL, 0);
}

static void echo_child(int in, int out, long n) {
  char c;
  for (long i = 0; i < n; i++)
    if (read(in, &c, 1) != 1 || write(out, &c, 1) != 1)
      _exit(1);
  _exit(0);
}

// One byte to an echoing child and back, n times: the parent writes to[1] and reads
// from[0]; the child reads to[0] and writes from[1].
static int pingpong(const char *name, long n, const int to[2], const int from[2]) {
  const long warm = 100;
  pid_t pid = fork();
  if (pid < 0)
    return not_available(name, "fork");
  if (pid == 0)
    echo_child(to[0], from[1], n + warm);
  char c = 'x';
  struct mark a = {0, 0};
  for (long i = 0; i < n + warm; i++) {
    if (i == warm)
      a = mark_now();
    if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1)
      return not_available(name, "transfer");
  }
  result(name, n, a, mark_now());
  waitpid(pid, NULL, 0);
  return 0;
}

static int bench_pingpong(long n) {
  int to[2], from[2];
  if (pipe(to) < 0 || pipe(from) < 0)
    return not_available("pingpong", "pipe");
  int r = pingpong("pingpong", n, to, from);
  close(to[0]), close(to[1]), close(from[0]), close(from[1]);
  return r;
}

// The parent's end is sv[0], the child's sv[1], both ways.
static int bench_unixpp(long n) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
    return not_available("unixpp", "socketpair");
  int r = pingpong("unixpp", n, (int[]){sv[1], sv[0]}, (int[]){sv[0], sv[1]});
  close(sv[0]), close(sv[1]);
  return r;
}

static int bench_yield(long n) {
  const long warm = 100;
  int go[2];
  if (pipe(go) < 0)
    return not_available("yield", "pipe");
  pid_t pid = fork();
  if (pid < 0)
    return not_available("yield", "fork");
  if (pid == 0) { // yields until the parent kills it; the pipe says it has started
    close(go[0]);
    write(go[1], "g", 1);
    for (;;)
      sched_yield();
  }
  char c;
  close(go[1]);
  read(go[0], &c, 1);
  struct mark a = {0, 0};
  for (long i = 0; i < n + warm; i++) {
    if (i == warm)
      a = mark_now();
    sched_yield();
  }
  result("yield", n, a, mark_now());
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  close(go[0]);
  return 0;
}

static int bench_spawn(const char *name, char *const argv[], long n) {
  extern char **environ;
  struct mark a = mark_now();
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      execve(argv[0], argv, environ);
      printf("NA %s execve of %s failed (spawn %ld of %ld): %s\n", name, argv[0], i + 1, n,
             strerror(errno));
      fflush(stdout);
      _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
      return not_available(name, "fork/wait");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      char what[96];
      snprintf(what, sizeof what, "%s ended with wait status 0x%x", argv[0], st);
      errno = 0;
      return not_available(name, what);
    }
  }
  result(name, n, a, mark_now());
  return 0;
}

// A stop that never comes (a kernel bug) must end a tracing benchmark with an "NA" line,
// not hang `make bench`. The tracer counts its loops in a shared page; a watchdog
// process looks every 100 ms and, after WATCHDOG_MS without progress, kills the tracee,
// so the tracer's blocking read returns the exit event. (A poll() before each read
// would do too, but it would add a system call to every stop being measured.)
#define WATCHDOG_MS 500
#define WATCHDOG_TEXT "0.5 s"
static volatile uint64_t *progress; // MAP_SHARED: the watchdog sees the tracer's count

static pid_t watchdog_start(pid_t tracee) {
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  struct timespec tick = {0, 100 * 1000 * 1000};
  uint64_t last = *progress;
  for (int idle = 0; idle * 100 < WATCHDOG_MS; idle = *progress == last ? idle + 1 : 0) {
    last = *progress;
    nanosleep(&tick, NULL);
  }
  kill(tracee, SIGKILL);
  _exit(0);
}

static void watchdog_stop(pid_t pid) {
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
}

static int read_event(int tfd, struct proc_event *ev) {
  (*progress)++;
  return read(tfd, ev, sizeof *ev) == sizeof *ev ? 0 : -1;
}

static int write_flags(int tfd, uint64_t flags) {
  return write(tfd, &flags, sizeof flags) == sizeof flags ? 0 : -1;
}

static void getppid_child(long n) {
  for (long i = 0; i < n; i++)
    raw_getppid();
  _exit(0);
}

// The tracer's loop, as a debugger would run it: event, registers, resume. Timing runs
// from the first getppid entry stop to the next system call's entry stop (exit_group),
// so it covers exactly n calls, each with an entry and an exit stop.
static int trace_loop(int tfd, int rfd, uint64_t flags, long n) {
  struct proc_event ev;
  struct user_regs_struct regs;
  struct mark a = {0, 0};
  int phase = 0; // 0 before the getppid calls, 1 during, 2 after
  for (;;) {
    if (read_event(tfd, &ev) < 0)
      return not_available("trace", "no event from proc:PID/trace");
    if (ev.cause == PROC_EVENT_EXITED)
      break;
    if (ev.cause == PROC_STOP_PRE_SYSCALL && phase < 2) {
      bool is_getppid = ev.a == SYS_getppid;
      if (phase == 0 && is_getppid)
        a = mark_now(), phase = 1;
      else if (phase == 1 && !is_getppid)
        result("trace", n, a, mark_now()), phase = 2;
    }
    if (pread(rfd, &regs, sizeof regs, 0) != sizeof regs)
      return not_available("trace", "read of regs/int");
    if (write_flags(tfd, flags) < 0)
      return not_available("trace", "write of proc:PID/trace");
  }
  if (phase == 2)
    return 0;
  errno = 0;
  return not_available("trace", phase ? "the tracee ended during the getppid calls (no stop "
                                        "for " WATCHDOG_TEXT "?)"
                                      : "no getppid entry stop seen");
}

static int bench_trace(long n) {
  const uint64_t flags = PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL;
  struct proc_hold hold; // the child starts only once the session is set up
  pid_t pid = proc_fork_held(&hold, NULL, NULL);
  if (pid < 0)
    return not_available("trace", "fork");
  if (pid == 0)
    getppid_child(n);
  struct proc_session s;
  int r;
  if (proc_attach(&s, pid, 0) < 0 || proc_file(&s, PROC_REGS_INT) < 0 ||
      write_flags(s.trace, flags) < 0) {
    r = not_available("trace", "open/write of proc:PID/trace or regs/int");
    proc_abandon(&hold);
    kill(pid, SIGKILL);
  } else {
    pid_t dog = watchdog_start(pid);
    proc_release(&hold);
    r = trace_loop(s.trace, proc_file(&s, PROC_REGS_INT), flags, n);
    watchdog_stop(dog);
  }
  waitpid(pid, NULL, 0);
  proc_close(&s);
  return r;
}

// The same loop through ptrace(2) (issue 13's front door): wait4, PTRACE_GETREGS,
// PTRACE_SYSCALL at each stop. Timed as trace_loop is: n calls, entry and exit stops.
static int bench_ptrace(long n) {
  struct user_regs_struct regs;
  struct mark a = {0, 0};
  int phase = 0, st;
  pid_t pid = fork();
  if (pid < 0)
    return not_available("ptrace", "fork");
  if (pid == 0) {
    if (syscall(SYS_ptrace, 0 /* TRACEME */, 0, 0, 0) < 0)
      _exit(1);
    syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
    getppid_child(n);
  }
  pid_t dog = watchdog_start(pid);
  while (waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st)) {
    (*progress)++;
    if (syscall(SYS_ptrace, 12 /* GETREGS */, pid, 0, &regs) < 0)
      break;
    if (WSTOPSIG(st) == SIGTRAP && phase < 2) { // (entry and exit stops alternate)
      bool is_getppid = regs.orig_rax == SYS_getppid;
      if (phase == 0 && is_getppid)
        a = mark_now(), phase = 1;
      else if (phase == 1 && !is_getppid)
        result("ptrace", n, a, mark_now()), phase = 2;
    }
    if (syscall(SYS_ptrace, 24 /* SYSCALL */, pid, 0, 0) < 0)
      break;
  }
  watchdog_stop(dog);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  errno = 0;
  return phase == 2 ? 0 : not_available("ptrace", "the loop did not see the getppid calls");
}

// n preads of len bytes at off from fd, timed as benchmark name.
static int timed_preads(const char *name, int fd, void *buf, size_t len, off_t off, long n) {
  struct mark a = mark_now();
  for (long i = 0; i < n; i++)
    if (pread(fd, buf, len, off) != (ssize_t)len)
      return not_available(name, "a pread came up short");
  result(name, n, a, mark_now());
  return 0;
}

static int bench_memread(long n) {
  char *src = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *dst = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (src == MAP_FAILED || dst == MAP_FAILED)
    return not_available("memread", "mmap");
  memset(src, 0x5a, MIB); // present in the child, which gets a copy at fork
  memset(dst, 0, MIB);
  int fds[2];
  pid_t pid = sleeper(fds);
  int fd = pid < 0 ? -1 : proc_open(pid, "mem", O_RDONLY);
  int r = fd < 0 ? not_available("memread", "open of proc:PID/mem")
                 : timed_preads("memread", fd, dst, MIB, (off_t)(uintptr_t)src, n);
  if (r == 0 && dst[MIB - 1] != 0x5a)
    r = (errno = EIO, not_available("memread", "wrong bytes read"));
  if (fd >= 0)
    close(fd);
  if (pid > 0)
    end_sleeper(pid, fds[1]);
  munmap(src, MIB), munmap(dst, MIB);
  return r;
}

static void spin_child(void) {
  for (;;)
    __asm__ volatile("" ::: "memory");
}

// n single steps; the stop event for each, or an "NA" line naming the step that failed.
static int step_loop(int tfd, long n) {
  struct proc_event ev;
  struct mark a = mark_now();
  for (long i = 0; i < n; i++) {
    errno = 0;
    if (write_flags(tfd, PROC_STOP_SINGLESTEP) < 0 || read_event(tfd, &ev) < 0 ||
        ev.cause != PROC_STOP_SINGLESTEP) {
      char what[160];
      snprintf(what, sizeof what,
               "step %ld of %ld: event 0x%lx instead of PROC_STOP_SINGLESTEP (0x8000: killed "
               "after " WATCHDOG_TEXT " without a stop)",
               i + 1, n, (unsigned long)(errno ? 0 : ev.cause));
      return not_available("step", what);
    }
  }
  result("step", n, a, mark_now());
  return 0;
}

// Stop a spinning child at once (O_TRUNC), then single-step it n times. O_EXCL: closing
// the session kills it.
static int bench_step(long n) {
  pid_t pid = fork();
  if (pid == 0)
    spin_child();
  struct proc_event ev;
  struct proc_session s;
  pid_t dog = watchdog_start(pid);
  int r;
  errno = 0;
  if (proc_attach(&s, pid, O_TRUNC | O_EXCL) < 0 || read_event(s.trace, &ev) < 0 ||
      ev.cause != PROC_STOP_INTERRUPT)
    r = not_available("step", "no PROC_STOP_INTERRUPT after opening proc:PID/trace with O_TRUNC");
  else
    r = step_loop(s.trace, n);
  watchdog_stop(dog);
  proc_close(&s);
  kill(pid, SIGKILL); // in case the session never opened
  waitpid(pid, NULL, 0);
  return r;
}

// A child that stops for its parent's ptrace (TRACEME, SIGSTOP) and then spins; the
// parent has seen the stop. -1 if it did not come.
static pid_t ptrace_spinner(const char *name) {
  int st;
  pid_t pid = fork();
  if (pid < 0)
    return not_available(name, "fork"), -1;
  if (pid == 0) {
    if (syscall(SYS_ptrace, 0 /* TRACEME */, 0, 0, 0) == 0)
      raise(SIGSTOP);
    spin_child();
  }
  if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st)) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return not_available(name, "no SIGSTOP stop of the PTRACE_TRACEME child"), -1;
  }
  return pid;
}

static void end_tracee(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

// bench_step's loop through ptrace(2): each step is PTRACE_SINGLESTEP and wait4 for its
// SIGTRAP stop.
static int bench_pstep(long n) {
  int st, r = 0;
  pid_t pid = ptrace_spinner("pstep");
  if (pid < 0)
    return 1;
  pid_t dog = watchdog_start(pid);
  struct mark a = mark_now();
  for (long i = 0; i < n && r == 0; i++) {
    (*progress)++;
    if (syscall(SYS_ptrace, 9 /* SINGLESTEP */, pid, 0, 0) < 0 || waitpid(pid, &st, __WALL) != pid ||
        !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
      r = not_available("pstep", "PTRACE_SINGLESTEP and wait4 gave no SIGTRAP stop");
  }
  if (r == 0)
    result("pstep", n, a, mark_now());
  watchdog_stop(dog);
  end_tracee(pid);
  return r;
}

// One word of a child's memory: through proc:PID/mem (memword), through PTRACE_PEEKDATA
// (peek). The word is a copy of ours made at fork: it must read back as ours.
static volatile uint64_t bench_word = 0x5a5a5a5a12345678;

static int bench_memword(long n) {
  int fds[2];
  uint64_t w = 0;
  pid_t pid = sleeper(fds);
  int fd = pid < 0 ? -1 : proc_open(pid, "mem", O_RDONLY);
  int r = fd < 0 ? not_available("memword", "open of proc:PID/mem")
                 : timed_preads("memword", fd, &w, sizeof w, (off_t)(uintptr_t)&bench_word, n);
  if (r == 0 && w != bench_word)
    r = (errno = EIO, not_available("memword", "wrong word read"));
  if (fd >= 0)
    close(fd);
  if (pid > 0)
    end_sleeper(pid, fds[1]);
  return r;
}

static int bench_peek(long n) {
  uint64_t w = 0;
  int r = 0;
  pid_t pid = ptrace_spinner("peek");
  if (pid < 0)
    return 1;
  struct mark a = mark_now();
  for (long i = 0; i < n && r == 0; i++)
    if (syscall(SYS_ptrace, 2 /* PEEKDATA */, pid, &bench_word, &w) < 0)
      r = not_available("peek", "PTRACE_PEEKDATA failed");
  if (r == 0)
    result("peek", n, a, mark_now());
  if (r == 0 && w != bench_word)
    r = (errno = EIO, not_available("peek", "wrong word read"));
  end_tracee(pid);
  return r;
}

static int bench_regs(long n) {
  int fds[2];
  struct user_regs_struct regs;
  pid_t pid = sleeper(fds);
  int fd = pid < 0 ? -1 : proc_open(pid, "regs/int", O_RDONLY);
  int r = fd < 0 ? not_available("regs", "open of proc:PID/regs/int")
                 : timed_preads("regs", fd, &regs, sizeof regs, 0, n);
  if (fd >= 0)
    close(fd);
  if (pid > 0)
    end_sleeper(pid, fds[1]);
  return r;
}

// The "NAME: NUMBER kB" line of a proc: text file, or -1.
static long kib_field(const char *path, const char *name) {
  char buf[2048];
  if (read_small_file(path, buf, sizeof buf) < 0)
    return -1;
  size_t len = strlen(name);
  for (char *p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, name, len) == 0 && p[len] == ':')
      return strtol(p + len + 1, NULL, 10);
  return -1;
}

static int bench_memfree(void) {
  long kib = kib_field("proc:meminfo", "MemFree");
  if (kib < 0)
    return not_available("memfree", "MemFree in proc:meminfo");
  printf("VALUE memfree %ld kB\n", kib);
  return 0;
}

// Free memory before and while n children sleep in read(). A child's cost is what the
// kernel keeps for it (process structure, kernel stack, page tables) and the pages it
// has written since fork (the rest it shares with its parent, copy on write); its
// VmRSS, also printed, counts shared pages too.
static int bench_procmem(long n) {
  int fds[2];
  pid_t *pids = calloc(n, sizeof *pids);
  if (!pids || pipe(fds) < 0)
    return not_available("procmem", "calloc/pipe");
  long before = kib_field("proc:meminfo", "MemFree");
  long made = 0;
  for (; made < n; made++) {
    if ((pids[made] = fork()) < 0)
      break;
    if (pids[made] == 0) {
      char c;
      close(fds[1]);
      read(fds[0], &c, 1);
      _exit(0);
    }
  }
  long with = kib_field("proc:meminfo", "MemFree");
  char status[64];
  proc_path(status, sizeof status, made ? pids[0] : 0, "status");
  long rss = made ? kib_field(status, "VmRSS") : -1;
  close(fds[1]), close(fds[0]);
  for (long i = 0; i < made; i++)
    waitpid(pids[i], NULL, 0);
  free(pids);
  if (made < n || before < 0 || with < 0 || rss < 0)
    return not_available("procmem", "fork or MemFree/VmRSS");
  printf("VALUE procmem_total %ld kB\n", (before - with) / n);
  printf("VALUE procmem_user %ld kB\n", rss);
  return 0;
}

// ---- threads ----
static void *nothing(void *arg) { return arg; }

// pthread_create + pthread_join, against fork + _exit + wait of the same program.
static int bench_thread(long n) {
  struct mark a = mark_now();
  for (long i = 0; i < n; i++) {
    pthread_t th;
    if (pthread_create(&th, NULL, nothing, NULL) != 0 || pthread_join(th, NULL) != 0)
      return not_available("thread", "pthread_create/join");
  }
  result("thread", n, a, mark_now());
  return 0;
}

static int bench_forkwait(long n) {
  struct mark a = mark_now();
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0)
      _exit(0);
    if (pid < 0 || waitpid(pid, NULL, 0) != pid)
      return not_available("forkwait", "fork/wait");
  }
  result("forkwait", n, a, mark_now());
  return 0;
}

// Two threads hand a turn back and forth through one futex word: each waits while the
// word is not its number, then sets the other's and wakes it.
#define FUTEX_WAIT_PRIVATE_ 128
#define FUTEX_WAKE_PRIVATE_ 129
static volatile int turn;
static long futex_rounds;

static void pass_turn(int me, int other) {
  while (turn != me)
    syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE_, other, NULL, NULL, 0);
  turn = other;
  syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE_, 1, NULL, NULL, 0);
}

static void *futex_partner(void *arg) {
  (void)arg;
  for (long i = 0; i < futex_rounds; i++)
    pass_turn(1, 0);
  return NULL;
}

static int bench_futex(long n) {
  const long warm = 100;
  pthread_t th;
  turn = 0;
  futex_rounds = n + warm;
  if (pthread_create(&th, NULL, futex_partner, NULL) != 0)
    return not_available("futex", "pthread_create");
  struct mark a = {0, 0};
  for (long i = 0; i < n + warm; i++) {
    if (i == warm)
      a = mark_now();
    pass_turn(0, 1);
  }
  result("futex", n, a, mark_now());
  pthread_join(th, NULL);
  return 0;
}

static char *self_path;

static int bench_spawn_self(long n) {
  return bench_spawn("spawn", (char *[]){self_path, "exit", NULL}, n);
}
static int bench_spawn_bb(long n) { return bench_spawn("spawnbb", (char *[]){"/bin/true", NULL}, n); }
static int bench_memfree_n(long n) { return (void)n, bench_memfree(); }
static int bench_spawn_dyn(long n) { return bench_spawn("spawndyn", (char *[]){"/tests/dyntrue", NULL}, n); }

// n page faults, one per page of a private read-only mapping of /bin/busybox (mapped
// again when every page has been touched).
static int bench_filefault(long n) {
  int fd = open("/bin/busybox", O_RDONLY);
  off_t size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
  long pages = size / 4096, done = 0;
  if (pages < 16)
    return not_available("filefault", "open/lseek of /bin/busybox");
  struct mark a = mark_now();
  while (done < n) {
    volatile char *m = mmap(NULL, pages * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
      return not_available("filefault", "mmap of /bin/busybox");
    for (long i = 0; i < pages && done < n; i++, done++)
      (void)m[i * 4096];
    munmap((void *)m, pages * 4096);
  }
  result("filefault", n, a, mark_now());
  close(fd);
  return 0;
}

// Wait (up to 5 s) until pid runs dyntrue and sleeps (in its read).
static void sleep_until_blocked(pid_t pid) {
  char path[64], buf[2048];
  proc_path(path, sizeof path, pid, "status");
  for (int i = 0; i < 5000 && pid > 0; i++) {
    if (read_small_file(path, buf, sizeof buf) >= 0 && strstr(buf, "Name:\tdyntrue\n") &&
        strstr(buf, "State:\tS"))
      return;
    usleep(1000);
  }
}

// One sleeping /tests/dyntrue, reading from the pipe fd: its pid, or -1.
static pid_t dyn_sleeper(int fd) {
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 0);
    execl("/tests/dyntrue", "dyntrue", "wait", (char *)NULL);
    _exit(127);
  }
  return pid;
}

// What a first and a second instance of a dynamic program take from free memory, once
// each sleeps (its loader and libc loaded, its start-up done).
static int bench_dynmem(long n) {
  (void)n;
  int fds[2];
  long free0, free1, free2;
  pid_t a = -1, b = -1;
  if (pipe(fds) < 0)
    return not_available("dynmem", "pipe");
  free0 = kib_field("proc:meminfo", "MemFree");
  a = dyn_sleeper(fds[0]);
  sleep_until_blocked(a);
  free1 = kib_field("proc:meminfo", "MemFree");
  b = dyn_sleeper(fds[0]);
  sleep_until_blocked(b);
  free2 = kib_field("proc:meminfo", "MemFree");
  close(fds[0]);
  write(fds[1], "xx", 2);
  close(fds[1]);
  int sa = -1, sb = -1;
  if (a > 0)
    waitpid(a, &sa, 0);
  if (b > 0)
    waitpid(b, &sb, 0);
  if (a < 0 || b < 0 || sa != 0 || sb != 0 || free0 < 0 || free1 < 0 || free2 < 0)
    return not_available("dynmem", "fork/exec of /tests/dyntrue or MemFree");
  printf("VALUE dynmem_first %ld kB\n", free0 - free1);
  printf("VALUE dynmem_second %ld kB\n", free1 - free2);
  return 0;
}

// The benchmarks, in the order `all` runs them, with their default N.
static const struct bench {
  const char *name;
  int (*run)(long n);
  long n;
} benches[] = {
    {"memfree", bench_memfree_n, 1},  {"getppid", bench_getppid, 200000},
    {"clock", bench_clock, 200000},
    {"pingpong", bench_pingpong, 20000}, {"unixpp", bench_unixpp, 20000},
    {"yield", bench_yield, 20000},
    {"spawn", bench_spawn_self, 200}, {"spawnbb", bench_spawn_bb, 100},
    {"dynmem", bench_dynmem, 1}, // (before spawndyn: the first instance fills the page cache)
    {"spawndyn", bench_spawn_dyn, 50}, {"filefault", bench_filefault, 2000},
    {"trace", bench_trace, 5000},     {"ptrace", bench_ptrace, 5000},
    {"memread", bench_memread, 50},
    {"step", bench_step, 5000},       {"pstep", bench_pstep, 5000},
    {"memword", bench_memword, 20000}, {"peek", bench_peek, 20000},
    {"regs", bench_regs, 20000},
    {"procmem", bench_procmem, 50},   {"forkwait", bench_forkwait, 200},
    {"thread", bench_thread, 200},    {"futex", bench_futex, 20000},
};

static int run_one(const char *cmd, long n) {
  for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
    if (strcmp(cmd, benches[i].name) == 0)
      return benches[i].run(n ? n : benches[i].n);
  fprintf(stderr, "bench: unknown subcommand '%s'\n", cmd);
  return 2;
}

static int run_all(long rounds) {
  int bad = 0;
  for (long r = 0; r < rounds; r++)
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
      if (r == 0 || strcmp(benches[i].name, "memfree") != 0) // free memory after boot: once
        bad |= benches[i].run(benches[i].n);
  return bad;
}

int main(int argc, char **argv) {
  progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (progress == MAP_FAILED) {
    perror("bench: mmap MAP_SHARED");
    return 1;
  }
  self_path = strchr(argv[0], '/') ? argv[0] : "/tests/bench"; // found via PATH
  if (argc < 2) {
    fprintf(stderr, "usage: bench SUBCOMMAND [N] (see tests/bench/bench.c)\n");
    return 2;
  }
  if (strcmp(argv[1], "exit") == 0)
    return 0;
  if (strcmp(argv[1], "hello") == 0)
    return write(1, "hello\n", 6) == 6 ? 0 : 1;
  long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (strcmp(argv[1], "all") == 0)
    return run_all(n ? n : 1);
  return run_one(argv[1], n);
}
