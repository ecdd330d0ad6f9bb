// Interrupts and exceptions: the IDT, and trap(), which every stub in entry.S calls
// with the saved frame.
#include "types.h"
#include "com2.h"
#include "console.h"
#include "cpu.h"
#include "errno.h"
#include "panic.h"
#include "pci.h"
#include "proc.h"
#include "regs.h"
#include "signal.h"
#include "timer.h"
#include "trace.h"
#include "trap.h"
#include "tty.h"
#include "vm.h"
#include "x86.h"

struct idt_gate {
  uint16_t off_lo, sel;
  uint8_t ist, type_attr;
  uint16_t off_mid;
  uint32_t off_hi, zero;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout is fixed by the CPU");

static struct idt_gate idt[256];
// Set by the timer (IRQ): the running process used its slice; or by a driver whose
// interrupt woke someone who should run soon (trap_resched).
bool need_resched; // (trap.h)

static void set_gate(int v, int dpl, int ist) {
  uint64_t off = (uint64_t)vectors + 16 * v;
  idt[v] = (struct idt_gate){.off_lo = off & 0xffff, .sel = KERNEL_CS, .ist = ist,
                             .type_attr = 0x8e | dpl << 5, .off_mid = (off >> 16) & 0xffff,
                             .off_hi = off >> 32};
}

void trap_init(void) {
  for (int v = 0; v < 256; v++)
    set_gate(v, 0, 0);
  set_gate(3, 3, 0);   // int3 from user mode is a breakpoint, not a #GP
  set_gate(8, 0, 1);   // double fault: IST1, the stack may be what failed
  set_gate(2, 0, 2);   // NMI: IST2
  set_gate(18, 0, 3);  // machine check: IST3
  set_gate(1, 0, 4);   // debug: IST4, see trap() on SYSCALL with TF
  struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) idtr = {sizeof idt - 1, (uint64_t)idt};
  __asm__ volatile("lidt %0" ::"m"(idtr));
}

// The signal Linux reports for each exception a user program can cause.
static const uint8_t exception_signal[32] = {
    [0] = SIGFPE,   [1] = SIGTRAP,  [3] = SIGTRAP,  [4] = SIGSEGV,  [5] = SIGSEGV,
    [6] = SIGILL,   [7] = SIGSEGV,  [9] = SIGFPE,   [10] = SIGSEGV, [11] = SIGBUS,
    [12] = SIGBUS,  [13] = SIGSEGV, [14] = SIGSEGV, [16] = SIGFPE,  [17] = SIGBUS,
    [19] = SIGFPE,  [20] = SIGSEGV, [21] = SIGSEGV,
};

static void irq(int n) {
  if (n == 0) {
    timer_tick();
    if (myproc()) {
      myproc()->cpu_ticks++;
      myproc()->leader->group_ticks++;
    } else
      idle_ticks++;
    wake_timers();
    timers_tick();
    need_resched = true;
  } else if (n == 4) {
    tty_intr();
  } else if (n == 3) {
    com2_intr();
  } else {
    pci_intr(n);
  }
  pic_eoi(n);
}

void trap_resched(void) { need_resched = true; }

static void user_exception(uint64_t vec, struct trapframe *tf) {
  struct proc *p = myproc();
  uint64_t err = tf->orig_rax;
  tf->orig_rax = -1; // as Linux: not a system call
  if (vec == 1) {
    uint64_t dr6;
    __asm__ volatile("mov %%dr6, %0; mov %1, %%dr6" : "=r"(dr6) : "r"(0xffff0ff0ull));
    p->debug_dr6 = dr6;
    if (trace_debug_trap(tf, dr6))
      return;
  }
  if (vec == 3 && trace_breakpoint(tf))
    return;
  // Demand paging, on a page that is not present, and copy on write, on a write to a
  // present page (error bits 0 and 1). Any other fault on a present page is a protection
  // violation, such as executing an NX page, and so is a write vm_fault refuses.
  bool present = err & 1, write = err & 2;
  int r = vec == 14 && (!present || write) ? vm_fault(p->vm, read_cr2(), write) : -EFAULT;
  if (r == 0)
    return;
  int sig = exception_signal[vec] ? exception_signal[vec] : SIGSEGV;
  struct siginfo_k info = {.signo = sig, .code = SI_KERNEL};
  if (vec == 14 || vec == 17)
    info.addr = read_cr2();
  else
    info.addr = tf->rip;
  if (vec == 14)
    info.code = err & 1 ? SEGV_ACCERR : SEGV_MAPERR;
  // A debugger tells a watchpoint from an int3 (SI_KERNEL) by si_code, as on Linux.
  // (A slot's hit first: DR6's BS may be stale under QEMU, Linux's virtual DR6 is not.)
  if (vec == 1)
    info.code = p->debug_dr6 & 0xf ? TRAP_HWBKPT : p->debug_dr6 & 0x4000 ? TRAP_TRACE : TRAP_BRKPT;
  if (r == -ENXIO) // a mapped file's page past its end, as Linux
    info.signo = SIGBUS, info.code = BUS_ADRERR;
  signal_force(p, &info);
}

void trap(uint64_t vec, struct trapframe *tf) {
  bool from_user = (tf->cs & 3) == 3;
  if (from_user && vec >= 32)
    tf->orig_rax = -1; // as Linux: not in a system call
  if (vec >= 32 && vec < 48) {
    irq(vec - 32);
  } else if (vec == 2) {
    kprintf("NMI\n");
  } else if (vec == 1 && !from_user) {
    // Never the kernel's own: the kernel uses no debug registers and never sets TF.
    // It is a user's trap that fired on the first kernel instruction: SYSCALL with TF
    // set, or a watchpoint hit by MOV SS / POP SS just before SYSCALL or INT3
    // (CVE-2018-8897). #DB runs on IST4 because rsp may still be the user's. Ignore it.
    __asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ull));
    // Unless it interrupted the #DB handler itself, still on IST4: then this frame was
    // pushed over that one's, and where the process was is lost. (QEMU does this to a
    // program that single-steps itself, with TF, onto a watched address: regs.c.)
    // Returning would go round forever; the process cannot go on, and ends.
    if (on_debug_stack(tf->rsp) && tf->rip != (uint64_t)syscall_entry)
      debug_abandon();
  } else if (vec == 14 && !from_user && tf->rip == (uint64_t)user_load32_insn) {
    tf->rip = (uint64_t)user_load32_fault; // (its one fixup: the caller takes a slow path)
  } else if (vec < 32) {
    if (!from_user || vec == 8 || vec == 18)
      panic_trap(tf, vec);
    user_exception(vec, tf);
  }
  // Anything else is a spurious vector: user code cannot raise it (DPL 0 gates).
  // An NMI runs on its IST stack even from user mode, so it must not sleep or switch.
  if (from_user && vec != 2)
    usertrapret();
}

// The last thing before any return to user mode: take the CPU away from a process whose
// slice is used up, and deliver signals (which may end the process or stop it).
void usertrapret(void) {
  struct proc *p = myproc();
  if (need_resched) {
    need_resched = false;
    yield();
  }
  // The common case, kept cheap: nothing to deliver, no interrupted call to restart
  // (rax from -ERESTART_RESTARTBLOCK to -ERESTARTSYS: one unsigned compare).
  if (p->killed || (p->pending & ~p->blocked) || p->restore_mask ||
      trace_interrupt_pending(&p->tracee) ||
      (uint64_t)p->tf->rax + ERESTART_RESTARTBLOCK <= ERESTART_RESTARTBLOCK - ERESTARTSYS) {
    signal_deliver();
    trace_return_to_user();
  }
  if (p->dr7)
    debugregs_sync(p); // a single step for the tracer began or ended (regs.c)
}

// The #DB whose frame was lost (trap()): we are on the process's kernel stack now
// (debug_abandon, entry.S), with nothing to return to.
void debug_lost(void) {
  struct proc *p = myproc();
  if (!p)
    panic("#DB lost the frame it interrupted, outside any process");
  struct trapframe *tf = p->tf;
  *tf = (struct trapframe){.cs = USER_CS, .ss = USER_DS, .rflags = FL_IF | FL_FIXED,
                           .orig_rax = -1, .fs_base = tf->fs_base, .gs_base = tf->gs_base};
  trace_step_cancel(&p->tracee, tf);
  p->killed = true;
  proc_exit(SIGKILL);
}
