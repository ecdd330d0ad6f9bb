// The vDSO (vdso.c): the clock functions of kernel/vdso/ and their data page, mapped
// into every process at exec so clock_gettime needs no system call. docs/dynamic.md.
#pragma once
#include "types.h"

struct vm;
void vdso_init(void);                    // at boot, after the clock is calibrated
// At exec: [vvar] below base, [vdso] at base, VDSO_PAGES_MAX pages.
int vdso_map(struct vm *vm, uint64_t base);
void vdso_set_realtime(uint64_t offset); // CLOCK_REALTIME - CLOCK_MONOTONIC, ns
