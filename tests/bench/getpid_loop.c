// getpid_loop [N]: N (default 100,000) getpid calls through the raw `syscall`
// instruction, for tools/bench.sh to time untraced, under `strace -o /dev/null` and under
// `strace -e trace=write -o /dev/null` (where the kernel's sysfilter lets every getpid run
// without a stop). It prints one line in bench's format:
//     RESULT getpid_loop N TSC NS
// N calls took TSC rdtsc ticks (guest instructions under `vrun --icount`) and NS
// nanoseconds of CLOCK_MONOTONIC. The line goes out with one write(2) at the end, so the
// strace -e trace=write case stops exactly once inside the program.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

// Without libc's wrapper, so only the kernel round trip (and any trace stop) counts.
static long raw_getpid(void) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_getpid) : "rcx", "r11", "memory");
  return r;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  if (n <= 0) {
    fprintf(stderr, "usage: getpid_loop [N]\n");
    return 2;
  }
  uint64_t t0 = rdtsc(), ns0 = now_ns();
  for (long i = 0; i < n; i++)
    raw_getpid();
  uint64_t t1 = rdtsc(), ns1 = now_ns();
  char line[96];
  int len = snprintf(line, sizeof line, "RESULT getpid_loop %ld %llu %llu\n", n,
                     (unsigned long long)(t1 - t0), (unsigned long long)(ns1 - ns0));
  return write(1, line, len) == len ? 0 : 1;
}
