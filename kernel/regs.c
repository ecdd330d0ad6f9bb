// The one place where user register values from outside the CPU are checked: a
// tracer's write to proc:PID/regs/int or regs/float, and rt_sigreturn's signal frame.
// A frame that passes can be returned to with IRETQ and can never put the CPU in
// kernel mode, give it I/O privilege, or fault inside the kernel on the way out.
#include "types.h"
#include "errno.h"
#include "lib.h"
#include "proc.h"
#include "regs.h"
#include "x86.h"

#define CANONICAL_USER(x) ((x) < (1ull << 47))
// The flags a program may change itself (POPF can): arithmetic, direction, trap,
// alignment check, resume. IF, IOPL, NT, VM, VIF, VIP and ID stay as they are.
#define USER_FLAGS (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_TF | FL_DF | FL_OF | FL_AC | FL_RF)

static bool data_selector_ok(uint64_t sel) { return sel == 0 || sel == USER_DS; }

// 0 if the process may continue with registers new instead of old, else -EINVAL.
int regs_check(const struct trapframe *new, const struct trapframe *old) {
  if (new->cs != USER_CS || new->ss != USER_DS)
    return -EINVAL;
  if (!data_selector_ok(new->ds) || !data_selector_ok(new->es) || !data_selector_ok(new->fs) ||
      !data_selector_ok(new->gs))
    return -EINVAL;
  if (!CANONICAL_USER(new->rip) || !CANONICAL_USER(new->rsp) ||
      !CANONICAL_USER(new->fs_base) || !CANONICAL_USER(new->gs_base))
    return -EINVAL;
  if ((new->rflags ^ old->rflags) & ~(uint64_t)USER_FLAGS)
    return -EINVAL;
  return 0;
}

// Each of these checks the whole new set: nothing changes unless all of it is valid.
// A tracer's writes through either door (proc:PID/regs/*, ptrace) come here.
int regs_set_int(struct proc *t, const void *buf) {
  struct trapframe nf;
  memcpy(&nf, buf, sizeof nf);
  int r = regs_check(&nf, t->tf);
  if (r == 0)
    *t->tf = nf;
  return r;
}

int regs_set_debug(struct proc *t, const void *buf) {
  uint64_t v[6];
  memcpy(v, buf, sizeof v);
  int r = debugregs_check(v);
  if (r == 0) {
    memcpy(t->dr, v, 4 * sizeof v[0]);
    t->debug_dr6 = v[4];
    t->dr7 = v[5];
  }
  return r;
}

int regs_set_float(struct proc *t, const void *buf) {
  int r = fpu_check(buf);
  if (r == 0) {
    memcpy(t->fpu, buf, sizeof t->fpu);
    fpu_dirty(t);
  }
  return r;
}

// MXCSR bits the CPU accepts (FXSAVE reports them; 0 there means the default 0xffbf).
static uint32_t mxcsr_mask;

void fpu_init(void) {
  static uint8_t area[512] __attribute__((aligned(16)));
  __asm__ volatile("fninit; fxsave64 %0" : "=m"(area));
  mxcsr_mask = *(uint32_t *)&area[28];
  if (!mxcsr_mask)
    mxcsr_mask = 0xffbf;
}

// An FXSAVE image a process may load: FXRSTOR faults (#GP, in the kernel) on MXCSR
// bits outside the mask, so they are refused here.
int fpu_check(const uint8_t *fx) {
  uint32_t mxcsr = *(const uint32_t *)&fx[24];
  return mxcsr & ~mxcsr_mask ? -EINVAL : 0;
}

// Make p->fpu current (the live registers may be newer, if p owns the FPU).
void fpu_flush(struct proc *p) {
  if (cpu.fpu_owner == p)
    __asm__ volatile("fxsave64 %0" : "=m"(p->fpu));
}

// p->fpu was changed. If p is running, its live registers must become the new image
// now (rt_sigreturn, exec); otherwise the next switch to p loads it.
void fpu_dirty(struct proc *p) {
  if (p == cpu.proc) {
    __asm__ volatile("fxrstor64 %0" ::"m"(p->fpu));
    cpu.fpu_owner = p;
  } else if (cpu.fpu_owner == p) {
    cpu.fpu_owner = NULL;
  }
}

// ---- debug registers (proc:PID/regs/debug) ----
// DR7: L0..L3 (bits 0, 2, 4, 6) and, per slot n, R/W at 16+4n and LEN at 18+4n.
// Everything else (global enables, LE/GE, GD, reserved bits) is refused.
#define DR7_LOCAL_ENABLES 0x55ull

static int dr_slot_check(uint64_t addr, unsigned rw, unsigned len) {
  static const unsigned bytes[4] = {1, 2, 8, 4}; // LEN encoding 00, 01, 10, 11
  if (!CANONICAL_USER(addr))
    return -EINVAL;
  if (rw == 2)
    return -EINVAL; // I/O breakpoints
  if (rw == 0 && len != 0)
    return -EINVAL; // an execution breakpoint is one byte
  return addr % bytes[len] ? -EINVAL : 0;
}

// 0 if the six values {dr0, dr1, dr2, dr3, dr6, dr7} may be loaded for user mode.
int debugregs_check(const uint64_t v[6]) {
  uint64_t dr7 = v[5];
  if ((dr7 & 0xffff) & ~DR7_LOCAL_ENABLES)
    return -EINVAL;
  if (dr7 >> 32)
    return -EINVAL;
  if (v[4] & ~DR6_WRITABLE)
    return -EINVAL;
  for (int n = 0; n < 4; n++) {
    unsigned rw = dr7 >> (16 + 4 * n) & 3, len = dr7 >> (18 + 4 * n) & 3;
    bool enabled = dr7 >> (2 * n) & 1;
    if (!enabled && (rw || len))
      return -EINVAL; // a disabled slot has no settings
    if (dr_slot_check(v[n], rw, len) < 0)
      return -EINVAL;
  }
  return 0;
}

// What DR7 should hold while p runs: its enables, except during a single step the kernel
// makes for its tracer. QEMU delivers a data breakpoint hit by a single-stepped
// instruction as two #DBs, the second on the first instruction of the handler for the
// first, on the same IST stack: it destroys the frame of the first (trap.c). Such a hit
// is not reported anyway: the step is (trace_debug_trap).
static uint64_t dr7_for(const struct proc *p) { return trace_stepping(&p->tracee) ? 0 : p->dr7; }

// Switching to p: its debug registers, or none. Kernel code never uses them, and
// every address in them is a user address, so they cannot fire on kernel accesses.
void debugregs_load(struct proc *p) {
  uint64_t dr7 = dr7_for(p);
  if (!dr7 && !cpu.dr_loaded)
    return;
  if (dr7) {
    __asm__ volatile("mov %0, %%dr0; mov %1, %%dr1; mov %2, %%dr2; mov %3, %%dr3" ::"r"(p->dr[0]),
                     "r"(p->dr[1]), "r"(p->dr[2]), "r"(p->dr[3]));
  }
  __asm__ volatile("mov %0, %%dr7" ::"r"(dr7 | 0x400)); // bit 10 always reads 1
  cpu.dr_loaded = dr7 != 0;
}

// On the way back to user mode: p (running, with debug registers) began or ended a
// kernel-made single step since they were loaded.
void debugregs_sync(struct proc *p) {
  if (cpu.dr_loaded != (dr7_for(p) != 0))
    debugregs_load(p);
}
