// gdbtarget: the program tests/gdb.sh debugs with the host's gdb, through gdbserver.
// Every place the test stops at or looks for carries a "MARK:" comment: gdb prints the
// source line when it stops, and the test finds line numbers with grep, so this file
// can change without breaking the test.
//
//   gdbtarget            the checks: calls three deep, xmm0, system calls, a loop,
//                        a global that is read, SIGUSR1; exits with `status`
//   gdbtarget spin [noint]  print the PID, then wait until gdb sets spin_go (noint:
//                        with SIGINT ignored, so gdbserver must stop it another way)
//   gdbtarget fork       a child calls top(1), then the parent calls top(2)
//   gdbtarget exit N     exit with status N at once
//   gdbtarget loop N     N calls of leaf(), with bigbuf filled (make bench)
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

struct point {
  int x, y;
  const char *name;
};

volatile int counter;                   // watched (watch): each += a store
volatile int readme = 42;               // read-watched (rwatch)
struct point origin = {3, 4, "origin"}; // printed as a struct
int status;                             // the exit status; gdb changes it (set var)
volatile int spin_go;                   // ends the spin mode; gdb sets it
int mypid;
char bigbuf[1 << 20]; // loop mode fills it: make bench times gdb's `dump memory` of it

__attribute__((noinline)) int leaf(int a, int b) {
  int sum = a + b; // MARK: leaf-body
  return sum * 2;
}

__attribute__((noinline)) int middle(int v) {
  int r = leaf(v, 10);
  return r + 1;
}

__attribute__((noinline)) int top(int v) { return middle(v) + 100; }

__attribute__((noinline)) int seven(void) {
  return 7; // MARK: seven-body
}

// Stopped in here, xmm0 holds what load_regs put there, and the x87 stack pi and 1.
__attribute__((noinline)) void regs_loaded(void) { __asm__ volatile(""); }

double x87_top; // st0 after regs_loaded: gdb's `set $st0` shows here

static void load_regs(void) {
  static const uint32_t v[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
  __asm__ volatile("movdqu %0, %%xmm0" ::"m"(v) : "xmm0");
  __asm__ volatile("fld1; fldpi" ::: "memory");
  regs_loaded();
  __asm__ volatile("fstpl %0; fstp %%st(0)" : "=m"(x87_top)::"memory");
}

static int checks(void) {
  struct point local = {5, 6, "local"};
  int t = top(1); // MARK: call-top
  load_regs();
  long pid; // getpid, with the syscall instruction in this line (gdb's next steps over it)
  __asm__ volatile("syscall" : "=a"(pid) : "a"(39L) : "rcx", "r11", "memory"); // MARK: syscall-line
  write(1, "wrote\n", 6);  // MARK: write-line
  int v = seven();         // MARK: call-seven
  printf("v=%d\n", v);     // MARK: after-seven
  for (int i = 1; i <= 3; i++) // MARK: loop-for
    counter += i;              // MARK: loop-body
  int got = readme;            // MARK: read-readme
  raise(SIGUSR1);              // MARK: raise
  printf("survived SIGUSR1\n");
  printf("t=%d pid=%ld local.x=%d got=%d counter=%d x87=%g\n", t, pid, local.x, got, counter,
         x87_top);
  return status; // MARK: the-end
}

// A child that runs through leaf() (where gdb has a breakpoint), then the parent does.
static int forks(void) {
  pid_t child = fork();
  if (child == 0)
    _exit(top(1) == 123 ? 0 : 1);
  int st = 0;
  waitpid(child, &st, 0);
  printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  return top(2) == 125 ? 0 : 1;
}

__attribute__((noinline)) void spinning(void) { __asm__ volatile(""); }

static int spin(void) {
  mypid = getpid();
  printf("spinning as %d\n", mypid);
  spinning();
  for (int i = 0; i < 600 && !spin_go; i++) { // at most a minute
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL); // MARK: spin-sleep
  }
  printf("spin %s\n", spin_go ? "released" : "timed out");
  return spin_go ? 0 : 1;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0); // so a killed run shows exactly what it printed
  if (argc > 1 && strcmp(argv[1], "spin") == 0) {
    if (argc > 2 && strcmp(argv[2], "noint") == 0)
      signal(SIGINT, SIG_IGN);
    return spin();
  }
  if (argc > 1 && strcmp(argv[1], "fork") == 0)
    return forks();
  if (argc > 2 && strcmp(argv[1], "exit") == 0)
    return atoi(argv[2]);
  if (argc > 2 && strcmp(argv[1], "loop") == 0) { // for make bench: N calls of leaf()
    int n = atoi(argv[2]), sum = 0;
    memset(bigbuf, 0x5a, sizeof bigbuf);
    for (int i = 0; i < n; i++)
      sum += leaf(i, 1);
    return sum == n * (n + 1) ? 0 : 1; // leaf(i, 1) = 2 * (i + 1)
  }
  int r = checks();
  printf("gdbtarget done, status %d\n", r);
  return r;
}
