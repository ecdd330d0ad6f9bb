// panic(): for broken invariants only. Prints the registers and a backtrace to the
// console, tells the harness on the debug-exit channel, and stops QEMU with a failing
// status (see tools/vrun).
#include "types.h"
#include "console.h"
#include "panic.h"
#include "proc.h"
#include "regs.h"
#include "x86.h"

#define DEBUGCON 0xe9     // QEMU -debugcon: the harness's control channel
#define DEBUG_EXIT 0xf4   // QEMU isa-debug-exit: writing v exits with (v << 1) | 1

void debugcon_write(const char *s) {
  for (; *s; s++)
    outb(DEBUGCON, *s);
}

void qemu_exit(int code) {
  outl(DEBUG_EXIT, code);
  for (;;) // not under QEMU with isa-debug-exit: stop here
    __asm__ volatile("cli; hlt");
}

// Walk the frame-pointer chain (the kernel is built with -fno-omit-frame-pointer).
void backtrace(uint64_t rbp) {
  kprintf("backtrace:\n");
  for (int depth = 0; depth < 32 && rbp >= KERNBASE && (rbp & 7) == 0; depth++) {
    uint64_t *frame = (uint64_t *)rbp;
    if (frame[1] < KERNBASE)
      break;
    kprintf("  %p\n", (void *)frame[1]);
    rbp = frame[0];
  }
}

void dump_regs(const struct trapframe *tf) {
  kprintf("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
  kprintf("rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->rsp);
  kprintf("r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", tf->r8, tf->r9, tf->r10, tf->r11);
  kprintf("r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", tf->r12, tf->r13, tf->r14, tf->r15);
  kprintf("rip %016lx cs %lx rflags %016lx ss %lx err %lx cr2 %016lx cr3 %016lx\n", tf->rip,
          tf->cs, tf->rflags, tf->ss, tf->orig_rax, read_cr2(), read_cr3());
}

static void panic_stop(uint64_t rbp) {
  backtrace(rbp);
  if (myproc())
    kprintf("current process: %d (%s)\n", myproc()->pid, myproc()->name);
  debugcon_write("panic\n");
  qemu_exit(0x7f);
}

void panic(const char *fmt, ...) {
  __asm__ volatile("cli");
  va_list ap;
  va_start(ap, fmt);
  kprintf("\nkernel panic: ");
  kvprintf(fmt, ap);
  va_end(ap);
  kprintf("\n");
  panic_stop(read_rbp());
  __builtin_unreachable();
}

// A fault in kernel mode: the saved frame is the best picture of what went wrong.
void panic_trap(const struct trapframe *tf, uint64_t vec) {
  __asm__ volatile("cli");
  kprintf("\nkernel panic: exception %lu in kernel mode\n", vec);
  dump_regs(tf);
  kprintf("fault at ");
  kprintf("%p\n", (void *)tf->rip);
  panic_stop(tf->rbp);
  __builtin_unreachable();
}
