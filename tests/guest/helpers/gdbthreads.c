// gdbthreads: the threaded program tests/gdb.sh debugs with the host's gdb (a musl
// static pthread program, built -O0 so that `next` goes line by line). As in
// gdbtarget.c, the places the test stops at carry "MARK:" comments.
//
// The main thread starts a worker (named "worker") and spins, counting in `spins`,
// until the worker is done: while the program is stopped, `spins` must not move, and
// stepping the worker with `set scheduler-locking step` must not move it either. The
// worker calls work(5), which returns 20; main joins it, prints "joined 20" and exits
// with status 3 (from joined(), called after the join). `gdbthreads hold`: the worker
// then waits until gdb sets `release` (a process with two threads to attach to).
// `gdbthreads two`: a second worker calls work(7) at the same time (26); both then wait
// for `release` as in hold mode (so that neither has ended when gdb lists them).
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

volatile long spins; // the main thread's progress
volatile int done;   // set by the worker as it ends
int result;
int hold;             // `gdbthreads hold`: the worker waits until gdb sets `release`
volatile int release;
int mypid;

__attribute__((noinline)) int work(int x) {
  int y = x + 1; // MARK: work-body
  y = y * 3;     // MARK: work-mul
  y = y + 2;     // MARK: work-add
  return y;      // MARK: work-ret
}

// Called once the worker is gone (gdb has heard of its end by then).
__attribute__((noinline)) int joined(long v) {
  printf("joined %ld\n", v); // MARK: joined-body
  return 3;
}

static void *worker(void *arg) {
  prctl(PR_SET_NAME, "worker");
  result = work((int)(long)arg); // MARK: call-work
  while (hold && !release) // MARK: hold
    ;
  done = 1;
  return (void *)(long)result;
}

int main(int argc, char **argv) {
  pthread_t t, t2;
  int two = argc > 1 && strcmp(argv[1], "two") == 0;
  hold = two || (argc > 1 && strcmp(argv[1], "hold") == 0);
  mypid = getpid();
  if (pthread_create(&t, NULL, worker, (void *)5L) != 0)
    return 1;
  if (two && pthread_create(&t2, NULL, worker, (void *)7L) != 0)
    return 1;
  while (!done) // MARK: spin
    spins++;
  void *ret;
  pthread_join(t, &ret);
  if (two)
    pthread_join(t2, NULL);
  return joined((long)ret);
}
