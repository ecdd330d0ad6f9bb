// proctests, threads: every thread is a proc: target of its own (proc:TID/), listed
// under proc:PID/task/; a session per thread; the clone event of a thread; all-stop and
// stepping one thread while the others are held (docs/proc.md, "Threads").
#include <pthread.h>
#include "proctests.h"

static int g_tpipe[2];          // a thread blocks reading this
static volatile long g_tid[2];  // the kid's threads' ids, as they start
static volatile int g_spin_calls; // 1: the spinner calls poke_target, 0: only counts

static long gettid_(void) { return syscall(SYS_gettid); }

// A thread that reports its id, then reads g_tpipe: each byte read is followed by three
// getpid calls; it ends at end of file.
static void *reader_thread(void *arg) {
  (void)arg;
  g_tid[0] = gettid_();
  char c;
  while (read(g_tpipe[0], &c, 1) == 1)
    for (int i = 0; i < 3; i++)
      syscall(SYS_getpid);
  return NULL;
}

// A thread that runs without system calls: calling poke_target or counting.
static void *spin_thread(void *arg) {
  int calls = (int)(intptr_t)arg;
  g_tid[calls ? 1 : 0] = gettid_();
  for (;;) {
    if (calls)
      poke_target(g_counter & 7);
    g_counter++;
  }
  return NULL;
}

// The kid: starts a reader thread, reports its id, and spins making getppid calls (the
// other thread's system calls) until its command pipe has something.
static void kid_reader_and_spinner(void) {
  pthread_t th;
  if (pthread_create(&th, NULL, reader_thread, NULL) != 0)
    _exit(98);
  while (!g_tid[0])
    sched_yield();
  long tid = g_tid[0];
  kid_put(&tid, sizeof tid);
  while (!readable(g_kcmd, 0))
    syscall(SYS_getppid);
  _exit(0);
}

static long start_reader_kid(struct kid *k) {
  OK(pipe(g_tpipe));
  kid_start(k, kid_reader_and_spinner);
  close(g_tpipe[0]);
  long tid;
  kid_recv(k, &tid, sizeof tid);
  CHECK(tid != k->pid && tid > 0);
  return tid;
}

static bool dir_has(const char *dir, long id) {
  DIR *d = opendir(dir);
  CHECK(d);
  struct dirent *e;
  bool found = false;
  char name[24];
  snprintf(name, sizeof name, "%ld", id);
  while ((e = readdir(d)))
    found |= strcmp(e->d_name, name) == 0;
  closedir(d);
  return found;
}

// The registers of a thread blocked in read, while the other thread runs; its status,
// the task directory, and the listing of proc: (leaders only).
static void t_thread_regs_blocked_read(void) {
  struct kid k;
  long tid = start_reader_kid(&k);
  CHECK(wait_state(tid, "S"));
  regs_t r;
  regs_get(tid, &r);
  CHECK_EQ(r.orig_rax, SYS_read);
  CHECK_EQ(r.rdi, g_tpipe[0]);
  CHECK_EQ(atol(status_field(tid, "Tgid")), k.pid);
  CHECK_EQ(atol(status_field(tid, "Pid")), tid);
  CHECK_EQ(atol(status_field(k.pid, "Threads")), 2);
  CHECK_EQ(atol(status_field(tid, "Threads")), 2);
  regs_get(k.pid, &r); // the spinning main thread is elsewhere
  CHECK(r.orig_rax != SYS_read);
  char task[64];
  snprintf(task, sizeof task, "/proc/%ld/task", k.pid);
  CHECK(dir_has(task, k.pid));
  CHECK(dir_has(task, tid));
  CHECK(dir_has("/proc", k.pid));
  CHECK(!dir_has("/proc", tid)); // a thread is not listed, but proc:TID/ opens
  char path[80];
  snprintf(path, sizeof path, "/proc/%ld/task/%ld/regs/int", k.pid, tid);
  int fd = OK(open(path, O_RDONLY));
  close(fd);
  snprintf(path, sizeof path, "/proc/%ld/task/%ld/status", (long)getpid(), tid);
  EXPECT_ERR(open(path, O_RDONLY), ENOENT); // not a thread of that process
  if (g_vitrine && access("/bin/regs", X_OK) == 0) { // regs TID names the call and the group
    char cmd[64], out[4096] = {0}, want[96];
    snprintf(cmd, sizeof cmd, "/bin/regs %ld", tid);
    FILE *f = popen(cmd, "r");
    CHECK(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    pclose(f);
    CHECK(strstr(out, "blocked in system call 0: read("));
    snprintf(want, sizeof want, "thread %ld of process %ld (2 threads", tid, k.pid);
    ctx("%s", out);
    CHECK(strstr(out, want));
  }
  kid_send(&k, 1);
  int st;
  CHECK_EQ(waitpid(k.pid, &st, 0), k.pid);
  EXPECT_EXIT(st, 0);
}

// A session on one thread sees that thread's system calls only: the reader's read and
// getpid calls, never the main thread's getppid.
static void t_thread_session_own_syscalls(void) {
  struct kid k;
  long tid = start_reader_kid(&k);
  CHECK(wait_state(tid, "S"));
  int tfd = TRACE(tid, 0);
  TSET(tfd, SYSCALL_STOPS);
  CHECK_EQ(write(g_tpipe[1], "x", 1), 1);
  int getpids = 0;
  for (int i = 0; i < 20 && getpids < 6; i++) {
    struct proc_event ev = EV_NEXT(tfd);
    CHECK(ev.cause == PROC_STOP_PRE_SYSCALL || ev.cause == PROC_STOP_POST_SYSCALL);
    CHECK(ev.a == SYS_read || ev.a == SYS_getpid);
    getpids += ev.a == SYS_getpid;
    TSET(tfd, SYSCALL_STOPS);
  }
  CHECK_EQ(getpids, 6); // entry and exit of three calls
  struct proc_event ev = EV_EXPECT(tfd, PROC_STOP_PRE_SYSCALL); // the next read
  CHECK_EQ(ev.a, SYS_read);
  close(tfd); // detaching lets it go on
  kid_send(&k, 1);
  int st;
  CHECK_EQ(waitpid(k.pid, &st, 0), k.pid);
  EXPECT_EXIT(st, 0);
}

// On command: start a thread that writes 't' to g_gpipe; join it; exit 0.
static int g_gpipe_t[2];
static void *writer_thread(void *arg) {
  (void)arg;
  CHECK_EQ(write(g_gpipe_t[1], "t", 1), 1);
  return NULL;
}

static void kid_thread_maker(void) {
  if (kid_get() < 0)
    _exit(99);
  pthread_t th;
  if (pthread_create(&th, NULL, writer_thread, NULL) != 0)
    _exit(98);
  pthread_join(th, NULL);
  _exit(0);
}

// The clone event of a new thread says so (b = PROC_CLONE_THREAD, c = the process),
// and the thread starts held, as a traced process's child does.
static void t_thread_clone_event(void) {
  OK(pipe(g_gpipe_t));
  struct kid k;
  kid_start(&k, kid_thread_maker);
  close(g_gpipe_t[1]);
  OK(fcntl(g_gpipe_t[0], F_SETFL, O_NONBLOCK));
  int tfd = TRACE(k.pid, 0);
  TSET(tfd, PROC_EVENT_CLONE);
  kid_send(&k, 1);
  struct proc_event ev = EV_EXPECT(tfd, PROC_EVENT_CLONE);
  CHECK_EQ(ev.b, PROC_CLONE_THREAD);
  CHECK_EQ(ev.c, k.pid);
  long tid = ev.a;
  CHECK(tid != k.pid);
  EXPECT_STOP(tid, "interrupt");
  CHECK_EQ(atol(status_field(tid, "Tgid")), k.pid);
  char c;
  sleep_ms(SETTLE_MS);
  EXPECT_ERR(read(g_gpipe_t[0], &c, 1), EAGAIN); // held: it has not run
  int gfd = TRACE(tid, 0); // its own session takes it over
  EV_EXPECT(gfd, PROC_STOP_INTERRUPT);
  TSET(gfd, 0);
  CHECK(readable(g_gpipe_t[0], EVENT_WAIT_MS));
  CHECK_EQ(read(g_gpipe_t[0], &c, 1), 1);
  EXPECT_EXITED(gfd, 0);
  KID_END(&k, tfd, 0); // (the kid joined the thread and exited)
}

// The kid for all-stop: thread 1 calls poke_target in a loop, thread 0 only counts; the
// main thread waits for a command.
static void kid_two_spinners(void) {
  pthread_t a, b;
  if (pthread_create(&a, NULL, spin_thread, (void *)0) != 0 ||
      pthread_create(&b, NULL, spin_thread, (void *)1) != 0)
    _exit(98);
  while (!g_tid[0] || !g_tid[1])
    sched_yield();
  long tids[2] = {g_tid[0], g_tid[1]};
  kid_put(tids, sizeof tids);
  kid_get();
  _exit(0);
}

// All-stop: a breakpoint in code both threads share stops the thread that reaches it;
// the debugger then asks every thread to stop. The thread already stopped at the
// breakpoint stays there, and its BREAKPOINT event is its only one (the request is not
// a second stop, nor a resume); the other stops with INTERRUPT. Then one thread is
// single-stepped while the other stays held, and both resume.
static void t_all_stop_and_step_one(void) {
  struct kid k;
  kid_start(&k, kid_two_spinners);
  long tid[2];
  kid_recv(&k, tid, sizeof tid);
  int s0 = TRACE(tid[0], 0), s1 = TRACE(tid[1], 0);
  TSET(s0, PROC_STOP_BREAKPOINT);
  TSET(s1, PROC_STOP_BREAKPOINT);
  // The breakpoint goes in through the main thread, stopped (memory is written only
  // through a stopped thread one traces; it is the same memory for all).
  int sm = ATTACH_STOPPED(k.pid);
  int mem = POPEN(k.pid, "mem", O_RDWR);
  unsigned char orig, cc = 0xcc;
  CHECK_EQ(mem_pread(mem, &orig, 1, (uint64_t)poke_target), 1);
  CHECK_EQ(mem_pwrite(mem, &cc, 1, (uint64_t)poke_target), 1);
  struct proc_event ev = EV_EXPECT(s1, PROC_STOP_BREAKPOINT); // the thread that calls it
  CHECK_EQ(ev.a, (uint64_t)poke_target);
  // Stop everything: both sessions get the request; thread 1 is stopped already.
  TSET(s1, PROC_STOP_BREAKPOINT | PROC_STOP_INTERRUPT);
  TSET(s0, PROC_STOP_BREAKPOINT | PROC_STOP_INTERRUPT);
  EV_EXPECT(s0, PROC_STOP_INTERRUPT);
  EXPECT_STOP(tid[0], "interrupt");
  EXPECT_STOP(tid[1], "breakpoint");
  CHECK(!readable(s1, SETTLE_MS)); // no second event: the breakpoint stop answered
  regs_t r;
  regs_get(tid[1], &r);
  CHECK_EQ(r.rip, (uint64_t)poke_target);
  uint64_t counted = peek64(k.pid, &g_counter);
  sleep_ms(SETTLE_MS);
  CHECK_EQ(peek64(k.pid, &g_counter), counted); // nothing runs (the main thread sleeps)
  // Step thread 0 alone: one instruction, thread 1 stays at its breakpoint.
  regs_get(tid[0], &r);
  TSET(s0, PROC_STOP_SINGLESTEP);
  ev = EV_EXPECT(s0, PROC_STOP_SINGLESTEP);
  CHECK(ev.a != r.rip); // it moved on by one instruction
  EXPECT_STOP(tid[0], "singlestep");
  EXPECT_STOP(tid[1], "breakpoint");
  CHECK(!readable(s1, 0));
  // Put the byte back and resume both (rip is at poke_target already).
  CHECK_EQ(mem_pwrite(mem, &orig, 1, (uint64_t)poke_target), 1);
  TSET(s1, 0);
  TSET(s0, 0);
  sleep_ms(SETTLE_MS);
  CHECK(peek64(k.pid, &g_counter) != counted);
  close(mem);
  close(s0);
  close(s1);
  TSET(sm, 0);
  close(sm);
  kid_send(&k, 1);
  int st;
  CHECK_EQ(waitpid(k.pid, &st, 0), k.pid);
  EXPECT_EXIT(st, 0);
}

const struct ut_test threads_tests[] = {
    UT(thread_regs_blocked_read), UT(thread_session_own_syscalls), UT(thread_clone_event),
    UT(all_stop_and_step_one),
};
const size_t threads_ntests = UT_NTESTS(threads_tests);
