// CPU set-up: the TSS (kernel stack for entries from user mode, IST stacks for the
// faults that must never run on a bad stack), SYSCALL MSRs, the 8259 interrupt
// controllers, the PIT timer and the CMOS clock.
#include "types.h"
#include "cpu.h"
#include "x86.h"

struct tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3, iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS layout is fixed by the CPU");

static struct tss tss;
static uint8_t ist_stacks[4][8192] __attribute__((aligned(16)));
volatile uint64_t ticks;
uint64_t boot_epoch;
static uint64_t tsc_per_tick;
// Time is the TSC since boot scaled to ns: (tsc - tsc_boot) * tsc_mult >> 32. It runs
// whatever the kernel does; timer ticks, which are lost while interrupts are off for
// long, only drive the scheduler and wake sleepers up to look at the clock again.
static uint64_t tsc_boot, tsc_mult;
static bool has_nx;

// Where the CPU switches to on an entry from user mode, and where syscall_entry
// (entry.S) builds the frame: just past the hardware part of the current trapframe.
uint64_t kstack_tf_top;
void cpu_set_kstack(uint64_t tf_top) {
  tss.rsp[0] = tf_top;
  kstack_tf_top = tf_top;
}

// Is sp on the #DB handler's stack (IST4)? (trap.c: a #DB that interrupted that handler)
bool on_debug_stack(uint64_t sp) {
  uint64_t lo = (uint64_t)ist_stacks[3];
  return sp >= lo && sp <= lo + sizeof ist_stacks[3];
}

static void tss_init(void) {
  for (int i = 0; i < 4; i++) // IST1: double fault, 2: NMI, 3: machine check, 4: debug
    tss.ist[i] = (uint64_t)ist_stacks[i] + sizeof ist_stacks[i];
  tss.iomap_base = sizeof tss; // no I/O bitmap: user mode has no port access
  uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
  gdt[TSS_SEL / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
                     ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
  gdt[TSS_SEL / 8 + 1] = base >> 32;
  __asm__ volatile("ltr %w0" ::"r"(TSS_SEL));
}

static void syscall_msr_init(void) {
  // SYSCALL loads CS=0x10, SS=0x18; SYSRET loads CS=0x23+16=0x33, SS=0x23+8=0x2b.
  wrmsr(MSR_STAR, (uint64_t)USER_CS32 << 48 | (uint64_t)KERNEL_CS << 32);
  wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
  // Masked on entry: the kernel runs with interrupts off, and a user's TF, DF, AC or NT
  // must never leak into kernel mode (a single-stepping tracee would trap in the kernel).
  wrmsr(MSR_FMASK, FL_IF | FL_TF | FL_DF | FL_AC | FL_NT | FL_IOPL | FL_RF);
}

static void nx_init(void) {
  uint32_t a, b, c, d;
  cpuid(0x80000000, &a, &b, &c, &d);
  if (a < 0x80000001)
    return;
  cpuid(0x80000001, &a, &b, &c, &d);
  has_nx = d & (1u << 20);
  if (has_nx)
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
}
bool cpu_has_nx(void) { return has_nx; }

// The two 8259s, remapped so IRQ 0..15 arrive as vectors 32..47.
static void pic_init(void) {
  outb(0x20, 0x11), outb(0xa0, 0x11);
  outb(0x21, 32), outb(0xa1, 40);
  outb(0x21, 4), outb(0xa1, 2);
  outb(0x21, 1), outb(0xa1, 1);
  outb(0x21, ~((1 << 0) | (1 << 2) | (1 << 3) | (1 << 4)) & 0xff); // timer, cascade, COM2, COM1
  outb(0xa1, 0xff);
}

// Let a device's line through (pci.c). A PCI line is shared and level-triggered: its
// bit in the PIIX's edge/level control register (ELCR, 0x4d0/0x4d1) says so.
void pic_unmask(int irq, bool level) {
  uint16_t mask_port = irq < 8 ? 0x21 : 0xa1, elcr = irq < 8 ? 0x4d0 : 0x4d1;
  uint8_t bit = 1 << (irq & 7);
  if (level)
    outb(elcr, inb(elcr) | bit);
  outb(mask_port, inb(mask_port) & ~bit);
}

void pic_eoi(int irq) {
  if (irq >= 8)
    outb(0xa0, 0x20);
  outb(0x20, 0x20);
}

static uint8_t cmos(uint8_t reg) {
  outb(0x70, reg);
  uint8_t v = inb(0x71);
  return (v & 0x0f) + (v >> 4) * 10; // QEMU's RTC speaks BCD
}

static uint64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int era = y / 400, yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (uint64_t)era * 146097 + doe - 719468;
}

static void rtc_init(void) {
  while (inb(0x70), outb(0x70, 0x0a), inb(0x71) & 0x80) // wait out an update
    ;
  int s = cmos(0), mi = cmos(2), h = cmos(4), d = cmos(7), mo = cmos(8), y = cmos(9) + 2000;
  boot_epoch = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

// PIT channel 2's count (it counts down at 1193182 Hz), latched between two rdtscs:
// *tsc is their midpoint, the return value's high bits their distance. Under QEMU a
// port access can wait for the emulator's lock, so a reading is only as good as how
// closely the rdtscs bracket the latch.
static uint16_t pit2_sample(uint64_t *tsc, uint64_t *width) {
  uint64_t a = rdtsc();
  outb(0x43, 0x80);
  uint64_t b = rdtsc();
  uint8_t lo = inb(0x42), hi = inb(0x42);
  *tsc = a + (b - a) / 2;
  *width = b - a;
  return (uint16_t)(hi << 8 | lo);
}

// The best-bracketed of a few readings.
static uint16_t pit2_count(uint64_t *tsc) {
  uint64_t best = UINT64_MAX, t, w;
  uint16_t count = 0;
  for (int i = 0; i < 5; i++) {
    uint16_t c = pit2_sample(&t, &w);
    if (w < best)
      best = w, count = c, *tsc = t;
  }
  return count;
}

// TSC cycles per timer tick over one window of about 2 ms: PIT counts elapsed between
// two readings, against the TSC between them. How late the loop notices the window's
// end does not matter (a window ended by polling the PIT's output bit measured up to
// 6x too long on a loaded host, where QEMU's vCPU loses the CPU for milliseconds).
static uint64_t tsc_per_pit_window(void) {
  outb(0x43, 0xb0); // channel 2, mode 0, counting down from 0xffff (55 ms)
  outb(0x42, 0xff), outb(0x42, 0xff);
  uint64_t t0, t1;
  uint16_t c0 = pit2_count(&t0), c1;
  do
    c1 = pit2_count(&t1);
  while ((uint16_t)(c0 - c1) < 1193182 / 500 && c1 <= c0);
  uint16_t n = c0 - c1;
  return n ? (t1 - t0) * (1193182 / HZ) / n : 0;
}

// PIT channel 0 at HZ; the TSC, measured against PIT channel 2 (the median of three
// windows), is the clock (time_ns). Under -icount the TSC counts instructions, so times
// are then only as real as the instruction count.
static void timer_init(void) {
  uint16_t div = 1193182 / HZ;
  outb(0x61, (inb(0x61) & ~0x02) | 0x01); // gate channel 2 on, speaker off
  uint64_t w[3];
  for (int i = 0; i < 3; i++)
    w[i] = tsc_per_pit_window();
  uint64_t lo = MIN(w[0], MIN(w[1], w[2])), hi = MAX(w[0], MAX(w[1], w[2]));
  tsc_per_tick = w[0] + w[1] + w[2] - lo - hi;
  if (tsc_per_tick == 0)
    tsc_per_tick = 1;
  tsc_mult = ((uint64_t)1000000000 << 32) / (tsc_per_tick * HZ);
  outb(0x43, 0x36); // channel 0, square wave
  outb(0x40, div & 0xff), outb(0x40, div >> 8);
  tsc_boot = rdtsc();
}

// IRQ 0.
void timer_tick(void) { ticks++; }

uint64_t tsc_mhz(void) { return tsc_per_tick * HZ / 1000000; }

// time_ns()'s parameters, for the vDSO's data page (vdso.c), which repeats its sum.
void time_params(uint64_t *boot, uint64_t *mult) { *boot = tsc_boot, *mult = tsc_mult; }

// One CPU, whose TSC only goes forward: so does this.
uint64_t time_ns(void) { return (unsigned __int128)(rdtsc() - tsc_boot) * tsc_mult >> 32; }

void cpu_init(void) {
  tss_init();
  syscall_msr_init();
  nx_init();
  pic_init();
  rtc_init();
  timer_init();
}
