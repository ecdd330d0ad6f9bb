// The vDSO's data page ([vvar]), shared by the kernel (kernel/vdso.c writes it) and the
// vDSO (kernel/vdso/vdso.c reads it in user mode). Mapped read-only one page below the
// vDSO image in every process. docs/dynamic.md describes the vDSO.
#pragma once
#include <stdint.h>

struct vdso_data {
  // Odd while the kernel changes the fields below; a reader that saw it odd, or saw it
  // change across its reads, reads again. (One CPU: a reader only meets a change when
  // it is preempted between two reads and another process set the clock.)
  volatile uint32_t seq;
  uint32_t pad;
  // CLOCK_MONOTONIC in ns = (rdtsc() - tsc_boot) * tsc_mult >> 32: the kernel's own
  // time_ns(), from the TSC calibrated at boot.
  uint64_t tsc_boot, tsc_mult;
  // CLOCK_REALTIME - CLOCK_MONOTONIC in ns (mod 2^64): moved by clock_settime and
  // settimeofday.
  uint64_t realtime_offset;
};

// The vDSO's area: VDSO_PAGES_MAX pages at the top of the user half, the data page just
// below it, and the stack below that (exec.c). The image must fit (vdso_init checks).
#define VDSO_PAGES_MAX 4
