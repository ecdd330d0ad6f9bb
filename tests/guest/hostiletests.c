// hostile: what a hostile ordinary user (uid 1000, not root) can do to the kernel through
// the trace engine, and what it must not get. Each test is one attack from issue 15's
// list (or one of its class): it runs as uid 1000 against its own children, and checks
// that the kernel stays responsive, that nothing is lost or leaked, and that every
// refusal is Linux's errno with state unchanged.
//
//   hostile            run every test
//   hostile NAME...    run only the named tests
//   hostile -l         list the tests
//
// A hang of the whole machine shows as the guest's timeout (vrun exits 124), which
// tools/runtests.sh counts as a failure: the suite itself never needs to detect it.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vitrine/procabi.h>
#include "proc.h"
#include "utest.h"

#define PAGE 4096UL
#define QUEUE 64          // the trace event queue's length (docs/proc.md)
#define EVENT_WAIT_MS 5000
#define SETTLE_MS 50      // time given to a process to do what it must not do
#define USER 1000

// ---- small helpers ----

// Become an ordinary user (gid first: after the uid change it would be refused).
static void become(unsigned uid) {
  OK(syscall(SYS_setresgid, uid, uid, uid));
  OK(syscall(SYS_setresuid, uid, uid, uid));
}

static const char *ppath(long pid, const char *file) {
  static char b[4][64];
  static int i;
  char *p = b[i++ % 4];
  proc_path(p, sizeof b[0], pid, file);
  return p;
}

static void tset(int tfd, uint64_t flags) { CHECK_EQ(write(tfd, &flags, sizeof flags), 8); }

// The next event, waiting at most EVENT_WAIT_MS.
static struct proc_event ev_next(int tfd) {
  struct pollfd p = {tfd, POLLIN, 0};
  if (poll(&p, 1, EVENT_WAIT_MS) != 1)
    fail_at(__LINE__, "no trace event within %d ms", EVENT_WAIT_MS);
  struct proc_event ev;
  CHECK_EQ(read(tfd, &ev, sizeof ev), sizeof ev);
  return ev;
}

static struct proc_event ev_expect(int tfd, uint64_t cause) {
  struct proc_event ev = ev_next(tfd);
  ctx("[event %#lx a=%#lx, want %#lx]", (unsigned long)ev.cause, (unsigned long)ev.a,
      (unsigned long)cause);
  CHECK_EQ(ev.cause, cause);
  ctx("%s", "");
  return ev;
}

// Read events until EXITED, resuming with no stops after each (the stop whose event
// waited for room is a real stop); returns the exit's wait status.
static int drain_to_exit(int tfd) {
  for (int i = 0; i < 100000; i++) {
    struct proc_event ev = ev_next(tfd);
    if (ev.cause == PROC_EVENT_EXITED)
      return (int)ev.a;
    tset(tfd, 0);
  }
  fail_at(__LINE__, "no EXITED event in 100000 events");
}

// The State: letter of /proc/PID/status ('?' if unreadable).
static char state_of(long pid) {
  char b[1024];
  int fd = open(ppath(pid, "status"), O_RDONLY);
  if (fd < 0)
    return '?';
  long n = read(fd, b, sizeof b - 1);
  close(fd);
  if (n <= 0)
    return '?';
  b[n] = 0;
  char *s = strstr(b, "State:");
  if (!s)
    return '?';
  for (s += 6; *s == ' ' || *s == '\t'; s++)
    ;
  return *s;
}

// Wait (polling, bounded) until pid is in state st; fails if it never gets there.
static void wait_state(long pid, char st) {
  for (int i = 0; i < 500 && state_of(pid) != st; i++)
    sleep_ms(10);
  ctx("[pid %ld state %c, want %c]", pid, state_of(pid), st);
  CHECK(state_of(pid) == st);
  ctx("%s", "");
}

// A child that loops on getppid forever (until killed).
static long start_spinner(void) {
  long pid = xfork();
  if (pid == 0)
    for (;;)
      syscall(SYS_getppid);
  return pid;
}

// As uid 1000: a child that runs body(fd), fd the write end of a pipe whose read end goes
// to *rd; the child's pid.
static long user_child(int *rd, void (*body)(int fd)) {
  become(USER);
  int p[2];
  OK(pipe(p));
  long t = xfork();
  if (t == 0) {
    close(p[0]);
    body(p[1]);
    _exit(0);
  }
  close(p[1]);
  *rd = p[0];
  return t;
}

// As uid 1000: a spinner, and a session on it opened with flags; the session's fd.
static int traced_spinner(long *t, int flags) {
  become(USER);
  *t = start_spinner();
  return OK(open(ppath(*t, "trace"), O_RDWR | flags));
}

static void kill_and_reap(long t) {
  OK(kill(t, SIGKILL));
  EXPECT_KILLED(wait_for(t), SIGKILL);
}

// Resume a syscall-stopping tracee again and again without reading a single event, until
// its queue is full and it sleeps waiting for room (the spinner sleeps nowhere else).
static void fill_queue(long t, int tfd) {
  for (int i = 0; i < 50 * QUEUE && state_of(t) != 'S'; i++) {
    tset(tfd, PROC_STOP_PRE_SYSCALL | PROC_STOP_POST_SYSCALL);
    sched_yield();
  }
  ctx("[tracee state %c, want S: waiting for room in its event queue]", state_of(t));
  CHECK(state_of(t) == 'S');
  ctx("%s", "");
}

// We still run, and so does the rest of the system: a fork, exit and wait round trip.
static void system_alive(void) {
  long c = xfork();
  if (c == 0)
    _exit(7);
  EXPECT_EXIT(wait_for(c), 7);
}

// ---- 1. a full event queue and a signal: the machine must not hang ----

static void t_queue_full_then_signal(void) {
  long t;
  int tfd = traced_spinner(&t, 0);
  fill_queue(t, tfd);
  OK(kill(t, SIGTERM)); // the tracee waits for room with a signal pending
  sleep_ms(SETTLE_MS);
  system_alive();
  tset(tfd, 0);
  CHECK(WIFSIGNALED(drain_to_exit(tfd)));
  EXPECT_KILLED(wait_for(t), SIGTERM);
}

// The same with clone events: a tracee that forks 70 times queues 70 clone events,
// and a SIGUSR1 arrives while it waits for room.
static void forker(void) {
  for (int i = 0; i < 70; i++) {
    long c = syscall(SYS_fork);
    if (c == 0)
      _exit(0);
  }
  for (;;)
    pause();
}

// As uid 1000: a forker, traced (session opened with flags, into *tfd) for clone events
// from its first fork on.
static long traced_forker(int *tfd, int flags) {
  become(USER);
  struct proc_hold hold;
  long t = OK(proc_fork_held(&hold, NULL, NULL));
  if (t == 0)
    forker();
  *tfd = OK(open(ppath(t, "trace"), O_RDWR | flags));
  tset(*tfd, PROC_EVENT_CLONE);
  OK(proc_release(&hold));
  return t;
}

static void t_queue_full_clone_events_then_signal(void) {
  int tfd;
  long t = traced_forker(&tfd, 0);
  sleep_ms(4 * SETTLE_MS);
  OK(kill(t, SIGUSR1));
  sleep_ms(SETTLE_MS);
  system_alive();
  close(tfd); // releases held children and the tracee, which dies of SIGUSR1
  EXPECT_KILLED(wait_for(t), SIGUSR1);
}

// ---- 4. a stop that cannot queue its event must not stop ----

static void t_queue_full_sigkill_once(void) {
  long t;
  int tfd = traced_spinner(&t, 0);
  fill_queue(t, tfd);
  OK(kill(t, SIGKILL)); // one SIGKILL ends it, queue full or not
  EXPECT_KILLED(wait_for(t), SIGKILL);
  close(tfd);
}

static void t_queue_full_close_releases(void) {
  long t;
  int tfd = traced_spinner(&t, 0);
  fill_queue(t, tfd);
  close(tfd); // the tracee must run on, with nobody tracing it
  sleep_ms(SETTLE_MS);
  wait_state(t, 'R');
  // It runs: its getppid loop makes progress, seen as it reaching a SIGTERM at once.
  OK(kill(t, SIGTERM));
  EXPECT_KILLED(wait_for(t), SIGTERM);
}

// A tracee killed while its clone event waits for room: the tracer never hears of that
// child, so it must not be held (it was: stopped for good while the session stayed open).
static bool listed(const long *pids, int n, long pid) {
  for (int i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

static void t_queue_full_clone_killed_holds_no_child(void) {
  int tfd;
  long t = traced_forker(&tfd, O_NONBLOCK);
  wait_state(t, 'S'); // its 65th fork waits for room
  OK(kill(t, SIGKILL));
  EXPECT_KILLED(wait_for(t), SIGKILL);
  long told[QUEUE + 1];
  int n = 0;
  struct proc_event ev;
  while (read(tfd, &ev, sizeof ev) == sizeof ev)
    if (ev.cause == PROC_EVENT_CLONE && n <= QUEUE)
      told[n++] = ev.a;
  CHECK_EQ(n, QUEUE);
  sleep_ms(SETTLE_MS);
  // Every process stopped for a tracer is one the tracer was told of.
  DIR *d = opendir("/proc");
  CHECK(d != NULL);
  struct dirent *e;
  while ((e = readdir(d))) {
    long pid = atol(e->d_name);
    if (pid > 0 && pid != getpid() && state_of(pid) == 't') {
      ctx("[pid %ld held in a trace stop, no clone event for it]", pid);
      CHECK(listed(told, n, pid));
      ctx("%s", "");
    }
  }
  closedir(d);
  close(tfd); // releases the children it was told of
}

// ---- 3. a trace interrupt must not end a vfork parent's wait ----

static void vforker(int *shared) {
  long c = syscall(SYS_vfork);
  if (c == 0) {
    // The child runs on the parent's memory and stack: the parent must not run.
    struct timespec ts = {0, 300 * 1000000L};
    syscall(SYS_nanosleep, &ts, NULL);
    *shared = 1;
    syscall(SYS_exit, 0);
  }
  _exit(*shared == 1 ? 0 : 3); // 3: vfork returned while the child still ran
}

static void vfork_attach(bool trunc) {
  become(USER);
  int *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(shared != MAP_FAILED);
  long t = xfork();
  if (t == 0)
    vforker(shared);
  sleep_ms(100); // t is waiting in vfork
  int tfd = OK(open(ppath(t, "trace"), O_RDWR | (trunc ? O_TRUNC : 0)));
  if (!trunc) {
    uint64_t f = PROC_STOP_INTERRUPT;
    CHECK_EQ(write(tfd, &f, 8), 8);
  }
  // The stop comes only once the vfork wait is over: after the child's last store.
  // (Were the parent let go earlier, it would run on the child's stack: what it did next
  // would be anyone's guess, so the check is made here, at the stop.)
  ev_expect(tfd, PROC_STOP_INTERRUPT);
  CHECK_EQ(*shared, 1);
  tset(tfd, 0);
  EXPECT_EXIT(wait_for(t), 0);
  close(tfd);
}

static void t_vfork_parent_attach_trunc(void) { vfork_attach(true); }
static void t_vfork_parent_interrupt(void) { vfork_attach(false); }

// ---- 5. every open fully succeeds or changes nothing ----

static void t_trace_open_emfile_keeps_target(void) {
  become(USER);
  long t = start_spinner();
  int fds[1024], n = 0;
  while (n < 1024 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
    n++;
  CHECK(n > 0 && errno == EMFILE);
  EXPECT_ERR(open(ppath(t, "trace"), O_RDWR | O_EXCL), EMFILE);
  EXPECT_ERR(open(ppath(t, "trace"), O_RDWR | O_TRUNC), EMFILE);
  for (int i = 0; i < n; i++)
    close(fds[i]);
  sleep_ms(SETTLE_MS);
  wait_state(t, 'R'); // neither killed nor stopped
  // And no session was left behind: a new one opens.
  int tfd = OK(open(ppath(t, "trace"), O_RDWR | O_TRUNC));
  ev_expect(tfd, PROC_STOP_INTERRUPT);
  kill_and_reap(t);
  close(tfd);
}

// ---- 6. a stale sysfilter descriptor belongs to no session ----

static void t_stale_sysfilter_refused(void) {
  long t;
  int tfd = traced_spinner(&t, 0);
  int sf = OK(open(ppath(t, "sysfilter"), O_WRONLY));
  close(tfd);
  int tfd2 = OK(open(ppath(t, "trace"), O_RDWR));
  uint8_t none[64] = {0};
  EXPECT_ERR(write(sf, none, sizeof none), EPERM);
  // The new session's filter is still whole: a getppid stop still comes.
  tset(tfd2, PROC_STOP_PRE_SYSCALL);
  struct proc_event ev = ev_expect(tfd2, PROC_STOP_PRE_SYSCALL);
  CHECK_EQ(ev.a, SYS_getppid);
  kill_and_reap(t);
  close(sf);
  close(tfd2);
}

// ---- 7. attach and close leave a job-stopped process stopped ----

static void t_attach_close_keeps_job_stop(void) {
  become(USER);
  long t = start_spinner();
  OK(kill(t, SIGSTOP));
  wait_state(t, 'T');
  int tfd = OK(open(ppath(t, "trace"), O_RDWR | O_TRUNC));
  ev_expect(tfd, PROC_STOP_INTERRUPT);
  close(tfd);
  sleep_ms(SETTLE_MS);
  wait_state(t, 'T'); // as Linux: still stopped until SIGCONT
  OK(kill(t, SIGCONT));
  wait_state(t, 'R');
  kill_and_reap(t);
}

// ---- 8. pause and sigsuspend do not return for a trace attach or interrupt ----

static void on_usr1(int sig) { (void)sig; }

static void waiter(int out, bool suspend) {
  signal(SIGUSR1, on_usr1);
  sigset_t none;
  sigemptyset(&none);
  long r = suspend ? syscall(SYS_rt_sigsuspend, &none, 8) : syscall(SYS_pause);
  int e = errno;
  char b[32];
  int n = snprintf(b, sizeof b, "%ld %d", r, e);
  CHECK_EQ(write(out, b, n), n);
  _exit(0);
}

static bool g_suspend;                 // waiter(): sigsuspend, not pause
static void waiter_body(int out) { waiter(out, g_suspend); }

static void interrupt_waiter(bool suspend) {
  int rd;
  g_suspend = suspend;
  long t = user_child(&rd, waiter_body);
  sleep_ms(SETTLE_MS);
  int tfd = OK(open(ppath(t, "trace"), O_RDWR | O_TRUNC));
  ev_expect(tfd, PROC_STOP_INTERRUPT);
  tset(tfd, 0);
  sleep_ms(SETTLE_MS);
  uint64_t f = PROC_STOP_INTERRUPT;
  CHECK_EQ(write(tfd, &f, 8), 8);
  ev_expect(tfd, PROC_STOP_INTERRUPT);
  tset(tfd, 0);
  sleep_ms(SETTLE_MS);
  struct pollfd pf = {rd, POLLIN, 0};
  CHECK_EQ(poll(&pf, 1, 0), 0); // still waiting: no signal came
  OK(kill(t, SIGUSR1));         // now a real signal ends the wait, with EINTR
  char b[32] = {0};
  CHECK(read(rd, b, sizeof b - 1) > 0);
  ctx("[the wait returned '%s']", b);
  char want[32];
  snprintf(want, sizeof want, "-1 %d", EINTR);
  CHECK(strcmp(b, want) == 0);
  EXPECT_EXIT(wait_for(t), 0);
  close(tfd);
}

static void t_pause_survives_trace_interrupt(void) { interrupt_waiter(false); }
static void t_sigsuspend_survives_trace_interrupt(void) { interrupt_waiter(true); }

// ---- 9. an interrupted sleep restarts with the time that remained ----

// Interrupt the tracee every 150 ms, five times, unless it is done by then (ESRCH: it
// was not postponed, which is what is being checked).
static void interrupt_5_times(int tfd) {
  for (int i = 0; i < 5; i++) {
    sleep_ms(150);
    uint64_t f = PROC_STOP_INTERRUPT;
    if (write(tfd, &f, 8) < 0 && errno == ESRCH)
      return;
    struct proc_event ev = ev_next(tfd);
    if (ev.cause == PROC_EVENT_EXITED)
      return;
    CHECK_EQ(ev.cause, PROC_STOP_INTERRUPT);
    tset(tfd, 0);
  }
}

// A tracee waits 1,000 ms in wait() while its tracer interrupts it five times: the wait
// must end at its first deadline. Restarting from the beginning each time would take at
// least 1,000 ms after the last of the five interrupts (at ~750 ms): 1,750 ms or more.
static long (*g_wait)(void); // what timed_body() waits in

// Wait in g_wait and write how long it took to out.
static void timed_body(int out) {
  long t0 = now_ms(), r = g_wait(), took = now_ms() - t0;
  CHECK_EQ(write(out, &took, sizeof took), sizeof took);
  _exit(r == 0 ? 0 : 2);
}

static void interrupted_wait_keeps_deadline(long (*wait)(void), const char *what) {
  int rd;
  g_wait = wait;
  long t = user_child(&rd, timed_body);
  int tfd = OK(open(ppath(t, "trace"), O_RDWR));
  interrupt_5_times(tfd);
  long took = 0;
  CHECK_EQ(read(rd, &took, sizeof took), sizeof took);
  ctx("[the 1,000 ms %s took %ld ms]", what, took);
  CHECK(took >= 1000 && took < 1500);
  EXPECT_EXIT(wait_for(t), 0);
  close(tfd);
}

static long nanosleep_1s(void) {
  struct timespec ts = {1, 0};
  return syscall(SYS_nanosleep, &ts, NULL);
}

static long poll_1s(void) { return syscall(SYS_poll, NULL, 0, 1000); }

static void t_nanosleep_interrupts_do_not_extend(void) {
  interrupted_wait_keeps_deadline(nanosleep_1s, "nanosleep");
}

static void t_poll_interrupts_do_not_extend(void) { interrupted_wait_keeps_deadline(poll_1s, "poll"); }

// ---- 10. nothing leaves a pipe unless it reached the reader ----

static void t_pipe_read_efault_keeps_bytes(void) {
  int p[2];
  OK(pipe2(p, O_NONBLOCK)); // a lost byte shows as EAGAIN below, not as a hang
  CHECK_EQ(write(p[1], "abcd", 4), 4);
  char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(ro != MAP_FAILED);
  EXPECT_ERR(read(p[0], ro, 4), EFAULT);
  EXPECT_ERR(read(p[0], (void *)8, 4), EFAULT);
  char b[8] = {0};
  CHECK_EQ(read(p[0], b, sizeof b), 4);
  CHECK(memcmp(b, "abcd", 4) == 0);
}

// readv from a pipe that holds just what the first buffer takes: Linux returns those
// bytes; waiting on for the second buffer held the reader (here, for ever).
static void t_readv_pipe_returns_what_it_has(void) {
  int p[2];
  OK(pipe(p));
  CHECK_EQ(write(p[1], "abcd", 4), 4);
  char a[4], b[4];
  struct iovec v[2] = {{a, 4}, {b, 4}};
  CHECK_EQ(readv(p[0], v, 2), 4);
  CHECK(memcmp(a, "abcd", 4) == 0);
  CHECK_EQ(write(p[1], "efgh", 4), 4);
  CHECK_EQ(readv(p[0], v, 2), 4);
  CHECK(memcmp(a, "efgh", 4) == 0);
}

// A vectored write of at most PIPE_BUF bytes is atomic, as a write is: a pipe with room
// for part of it takes none of it (EAGAIN), so no reader finds half of it (it took the
// first piece and returned 2000).
static void t_writev_pipe_atomic(void) {
  int p[2];
  OK(pipe2(p, O_NONBLOCK));
  static char fill[65536 - 3000], a[2000], b[2000], sink[4096];
  CHECK_EQ(write(p[1], fill, sizeof fill), (long)sizeof fill);
  struct iovec v[2] = {{a, sizeof a}, {b, sizeof b}};
  EXPECT_ERR(writev(p[1], v, 2), EAGAIN);
  long n, got = 0;
  while ((n = read(p[0], sink, sizeof sink)) > 0)
    got += n;
  CHECK_EQ(got, (long)sizeof fill);
  memset(a, 'a', sizeof a), memset(b, 'b', sizeof b);
  CHECK_EQ(writev(p[1], v, 2), 4000); // with room: whole, in order
  CHECK_EQ(read(p[0], sink, sizeof sink), 4000);
  CHECK(sink[0] == 'a' && sink[1999] == 'a' && sink[2000] == 'b' && sink[3999] == 'b');
}

// sendfile from a pipe: Linux refuses a stream as input (EINVAL; ESPIPE with an offset).
// Taking the bytes and then failing to write them (a pipe nobody reads: EPIPE) lost them.
static void t_sendfile_from_pipe_keeps_bytes(void) {
  signal(SIGPIPE, SIG_IGN);
  int in[2], out[2];
  OK(pipe2(in, O_NONBLOCK));
  OK(pipe(out));
  close(out[0]); // nobody reads: a write gives EPIPE
  CHECK_EQ(write(in[1], "abcd", 4), 4);
  CHECK(syscall(SYS_sendfile, out[1], in[0], NULL, 4) < 0); // (Linux: EPIPE first)
  int null = OK(open("/dev/null", O_WRONLY));
  EXPECT_ERR(syscall(SYS_sendfile, null, in[0], NULL, 4), EINVAL);
  long long off = 0;
  EXPECT_ERR(syscall(SYS_sendfile, null, in[0], &off, 4), ESPIPE);
  char b[8] = {0};
  CHECK_EQ(read(in[0], b, sizeof b), 4);
  CHECK(memcmp(b, "abcd", 4) == 0);
}

// ---- 11. text files read whole, however long ----

static void t_maps_long_reads_whole(void) {
  // 600 areas that cannot merge (alternating protections).
  char *base = mmap(NULL, 1200 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(base != MAP_FAILED);
  for (int i = 0; i < 1200; i += 2)
    OK(mprotect(base + i * PAGE, PAGE, PROT_READ | PROT_WRITE));
  static char buf[256 * 1024];
  int fd = OK(open("/proc/self/maps", O_RDONLY));
  size_t got = 0;
  long r;
  while ((r = read(fd, buf + got, 1000)) > 0) // small reads: the file comes in pieces
    got += r;
  CHECK(r == 0);
  close(fd);
  buf[got] = 0;
  int lines = 0;
  for (char *s = buf; *s; s++)
    lines += *s == '\n';
  ctx("[%zu bytes, %d lines]", got, lines);
  CHECK(lines >= 1200);
  CHECK(got > 0 && buf[got - 1] == '\n');
  CHECK(strstr(buf, "[stack]") != NULL);
}

// ---- 2. group privilege does not leak through a set-group-ID exec ----

#define SECRET_GID 42
#define SGID_COPY "/tmp/hostile-sgid"

// Copy this program to path, owned by root and group gid, with mode.
static void install_copy(const char *path, unsigned gid, unsigned mode) {
  static char b[1 << 16];
  int in = OK(open(g_self, O_RDONLY));
  int out = OK(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700));
  long n;
  while ((n = read(in, b, sizeof b)) > 0)
    CHECK_EQ(write(out, b, n), n);
  close(in);
  close(out);
  OK(chown(path, 0, gid));
  OK(chmod(path, mode));
}

// As uid 1000: start a child that runs a set-group-ID gid copy of this program, which
// execs this program again ("--hold"), an ordinary one that keeps the egid it was given.
// The parent may look into it only if that egid is one it has itself.
static void setgid_chain(unsigned gid, bool lookable) {
  install_copy(SGID_COPY, gid, 02755);
  long u = xfork();
  if (u == 0) {
    become(USER);
    int out[2];
    OK(pipe(out));
    long t = xfork();
    if (t == 0) {
      dup2(out[1], 1);
      char *argv[] = {"hostile", "--exec-hold", (char *)g_self, NULL};
      execv(SGID_COPY, argv);
      _exit(98);
    }
    close(out[1]);
    char b[64] = {0}, want[32];
    CHECK(read(out[0], b, sizeof b - 1) > 0);
    snprintf(want, sizeof want, "held egid=%u\n", gid);
    ctx("[the target says '%s']", b);
    CHECK(strcmp(b, want) == 0);
    if (lookable) {
      close(OK(open(ppath(t, "mem"), O_RDONLY)));
    } else {
      EXPECT_ERR(open(ppath(t, "mem"), O_RDONLY), EACCES);
      EXPECT_ERR(open(ppath(t, "trace"), O_RDWR), EACCES);
      EXPECT_ERR(open(ppath(t, "regs/int"), O_RDONLY), EACCES);
    }
    OK(kill(t, SIGKILL));
    EXPECT_KILLED(wait_for(t), SIGKILL);
    _exit(0);
  }
  EXPECT_EXIT(wait_for(u), 0);
  unlink(SGID_COPY);
}

static void t_setgid_exec_chain_stays_private(void) { setgid_chain(SECRET_GID, false); }

// Through a set-group-ID exec of a group the user has already: no gain, the parent may look.
static void t_setgid_exec_own_group_lookable(void) { setgid_chain(USER, true); }

// --exec-hold PATH: exec PATH (this program, installed as an ordinary one) with "--hold".
// --hold: say our egid, then wait to be killed.
static int helper_main(char **argv) {
  if (strcmp(argv[1], "--exec-hold") == 0) {
    char *args[] = {"hostile", "--hold", NULL};
    execv(argv[2], args);
    return 98;
  }
  printf("held egid=%d\n", getegid());
  fflush(stdout);
  for (;;)
    pause();
}

static const struct ut_test tests[] = {
    UT(queue_full_then_signal),
    UT(queue_full_clone_events_then_signal),
    UT(queue_full_sigkill_once),
    UT(queue_full_close_releases),
    UT(queue_full_clone_killed_holds_no_child),
    UT(vfork_parent_attach_trunc),
    UT(vfork_parent_interrupt),
    UT(trace_open_emfile_keeps_target),
    UT(stale_sysfilter_refused),
    UT(attach_close_keeps_job_stop),
    UT(pause_survives_trace_interrupt),
    UT(sigsuspend_survives_trace_interrupt),
    UT(nanosleep_interrupts_do_not_extend),
    UT(poll_interrupts_do_not_extend),
    UT(pipe_read_efault_keeps_bytes),
    UT(sendfile_from_pipe_keeps_bytes),
    UT(writev_pipe_atomic),
    UT(readv_pipe_returns_what_it_has),
    UT(maps_long_reads_whole),
    UT(setgid_exec_chain_stays_private),
    UT(setgid_exec_own_group_lookable),
};

int main(int argc, char **argv) {
  if ((argc == 3 && !strcmp(argv[1], "--exec-hold")) || (argc == 2 && !strcmp(argv[1], "--hold")))
    return helper_main(argv);
  ut_setup(argv[0], "/tests/hostiletests");
  static const struct ut_suite suite = {.tests = tests,
                                        .ntests = UT_NTESTS(tests),
                                        .deadline_ms = 20000,
                                        .own_group = true};
  return ut_main(&suite, argc, argv);
}
