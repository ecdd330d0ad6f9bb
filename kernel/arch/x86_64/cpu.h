// The CPU and the machine around it (cpu.c): descriptor tables, MSRs, the interrupt
// controller, the timer and the clock; and the symbols of the assembly and the linker
// script that C code uses.
#pragma once
#include "types.h"

void cpu_init(void);
void cpu_set_kstack(uint64_t tf_top);
bool on_debug_stack(uint64_t sp);         // is sp on the #DB handler's own stack?
void pic_eoi(int irq);
void pic_unmask(int irq, bool level); // let line irq through (level: a shared PCI line)
void timer_tick(void);
extern volatile uint64_t ticks;           // timer ticks since boot (IRQ)
#define HZ 100
uint64_t time_ns(void);                   // monotonic nanoseconds since boot
uint64_t tsc_mhz(void);
void time_params(uint64_t *tsc_boot, uint64_t *tsc_mult); // time_ns()'s scale (vdso.c)
extern uint64_t boot_epoch;               // CMOS real-time clock at boot, in seconds
bool cpu_has_nx(void);

// entry.S
void swtch(uint64_t *old_rsp, uint64_t new_rsp);
void forkret(void);
void trapret(void);
void syscall_entry(void);                 // the SYSCALL instruction lands here
uint64_t user_load32(uint64_t uaddr);     // entry.S: a user word, or -1 if it faults
extern char user_load32_insn[], user_load32_fault[];
void debug_abandon(void) __attribute__((noreturn));
extern char vectors[];                    // 256 interrupt stubs, 16 bytes apart

// boot.S and kernel.ld
extern uint64_t gdt[];
extern uint64_t boot_pml4[];
extern char _kernel_end[];
