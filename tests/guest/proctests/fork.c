// proctests, fork under a session: PROC_EVENT_CLONE, and the held child.
#include "proctests.h"

int g_gpipe[2]; // the grandchild writes 'g' here when it runs

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

const struct ut_test fork_tests[] = {
    UT(clone_held_own_session), UT(clone_held_released_by_parent_session),
    UT(clone_held_released_by_close), UT(clone_held_parent_dies), UT(events_batched),
    UT(event_queue_full), UT(event_queue_full_close)
};
const size_t fork_ntests = UT_NTESTS(fork_tests);
