// The vDSO: code the kernel maps into every process (kernel/vdso.c) so that reading
// the clocks needs no system call. It reads the TSC (CR4.TSD is clear, so rdtsc works
// in user mode) and scales it with the parameters the kernel keeps in the data page one
// page below this image ([vvar]): the same arithmetic as the kernel's time_ns(), so a
// reading here and one through the system call agree. Clocks it cannot serve (the
// CPU-time clocks, bad ids) go to the system call, from here, as Linux's vDSO does.
// Built position-independent, without relocations (the Makefile checks), linked by
// vdso.lds and exported under version LINUX_2.6 (vdso.map), as Linux's.
#include <stdint.h>
#include <vitrine/vdso.h>

struct timespec_v { int64_t tv_sec, tv_nsec; };
struct timeval_v { int64_t tv_sec, tv_usec; };

#define NS 1000000000ull
enum { SYS_gettimeofday = 96, SYS_time = 201, SYS_clock_gettime = 228, SYS_clock_getres = 229 };

// The ELF header is the image's first byte (the linker's symbol: no relocation).
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

static inline const struct vdso_data *vvar(void) {
  const char *base;
  __asm__("" : "=r"(base) : "0"(__ehdr_start)); // (an address, not an array to index)
  return (const struct vdso_data *)(base - 4096);
}

static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

static long syscall2(long n, long a, long b) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
  return r;
}

// ns since boot (CLOCK_MONOTONIC), plus the realtime offset if real.
static inline uint64_t now_ns(int real) {
  const struct vdso_data *d = vvar();
  uint32_t seq;
  uint64_t ns;
  do {
    seq = d->seq;
    __asm__ volatile("" ::: "memory");
    ns = (unsigned __int128)(rdtsc() - d->tsc_boot) * d->tsc_mult >> 32;
    if (real)
      ns += d->realtime_offset;
    __asm__ volatile("" ::: "memory");
  } while ((seq & 1) || seq != d->seq);
  return ns;
}

// Which clocks are served here: 1 realtime, 0 monotonic, -1 the system call's
// (the clock ids are Linux's; the kernel's clock_read says what each one reads).
static inline int clock_kind(long clk) {
  switch (clk) {
  case 0:  // CLOCK_REALTIME
  case 5:  // CLOCK_REALTIME_COARSE
  case 11: // CLOCK_TAI
    return 1;
  case 1: // CLOCK_MONOTONIC
  case 4: // CLOCK_MONOTONIC_RAW
  case 6: // CLOCK_MONOTONIC_COARSE
  case 7: // CLOCK_BOOTTIME
    return 0;
  }
  return -1;
}

int __vdso_clock_gettime(long clk, struct timespec_v *ts) {
  int kind = clock_kind(clk);
  if (kind < 0)
    return syscall2(SYS_clock_gettime, clk, (long)ts);
  uint64_t ns = now_ns(kind);
  ts->tv_sec = ns / NS;
  ts->tv_nsec = ns % NS;
  return 0;
}

int __vdso_gettimeofday(struct timeval_v *tv, void *tz) {
  if (!tv) // (the time zone is not kept: the system call writes none either)
    return syscall2(SYS_gettimeofday, (long)tv, (long)tz);
  uint64_t ns = now_ns(1);
  tv->tv_sec = ns / NS;
  tv->tv_usec = ns % NS / 1000; // truncated, as the system call
  return 0;
}

long __vdso_time(long *t) {
  long s = now_ns(1) / NS;
  if (t)
    *t = s;
  return s;
}

// One CPU, one node.
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache) {
  (void)cache;
  if (cpu)
    *cpu = 0;
  if (node)
    *node = 0;
  return 0;
}

int __vdso_clock_getres(long clk, struct timespec_v *res) {
  if (clock_kind(clk) < 0)
    return syscall2(SYS_clock_getres, clk, (long)res);
  if (res) // the TSC: nanosecond resolution, as the system call says
    *res = (struct timespec_v){0, 1};
  return 0;
}

// The names without the prefix, as Linux's vDSO also exports.
int clock_gettime(long, struct timespec_v *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval_v *, void *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(long, struct timespec_v *) __attribute__((weak, alias("__vdso_clock_getres")));
