// x86-64 constants shared by assembly and C, and the CPU instructions C needs.
#pragma once

#define KERNBASE 0xffffffff80000000
#define PHYS_LIMIT 0x40000000  /* the boot mapping covers the first 1 GiB of RAM */
#define USER_TOP 0x00007ffffffff000 /* first address past the user half (as Linux) */
#define PAGE_SIZE 4096

/* Selectors: Linux's values (see the GDT in boot.S). */
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18
#define USER_CS32 0x23
#define USER_DS 0x2b
#define USER_CS 0x33
#define TSS_SEL 0x40

/* Page-table entry bits. */
#define PTE_P 0x001
#define PTE_W 0x002
#define PTE_U 0x004
#define PTE_PS 0x080
#define PTE_NX 0x8000000000000000

#define CR0_PE 0x00000001
#define CR0_MP 0x00000002
#define CR0_EM 0x00000004
#define CR0_TS 0x00000008
#define CR0_NE 0x00000020
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000
#define CR4_PAE 0x020
#define CR4_OSFXSR 0x200
#define CR4_OSXMMEXCPT 0x400

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define EFER_SCE 0x001
#define EFER_LME 0x100
#define EFER_NXE 0x800

/* RFLAGS bits. */
#define FL_CF 0x000001
#define FL_PF 0x000004
#define FL_AF 0x000010
#define FL_ZF 0x000040
#define FL_SF 0x000080
#define FL_TF 0x000100
#define FL_IF 0x000200
#define FL_DF 0x000400
#define FL_OF 0x000800
#define FL_IOPL 0x003000
#define FL_NT 0x004000
#define FL_RF 0x010000
#define FL_VM 0x020000
#define FL_AC 0x040000
#define FL_VIF 0x080000
#define FL_VIP 0x100000
#define FL_ID 0x200000
#define FL_FIXED 0x000002 /* bit 1 always reads as 1 */

#ifndef __ASSEMBLY__
#include "types.h"

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint16_t inw(uint16_t port) {
  uint16_t v;
  __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint32_t inl(uint16_t port) {
  uint32_t v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline void halt(void) { __asm__ volatile("hlt"); }
static inline void sti_hlt_cli(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline uint64_t read_rbp(void) { uint64_t v; __asm__ volatile("mov %%rbp, %0" : "=r"(v)); return v; }

#define P2V(pa) ((void *)((uint64_t)(pa) + KERNBASE))
#define V2P(va) ((uint64_t)(va) - KERNBASE)
#endif

/* Trapframe offsets used by entry.S (checked by _Static_assert in proc.h). */
#define TF_ORIG_RAX 120
#define TF_RIP 128
#define TF_RSP 152
#define TF_HWTOP 168 /* just past ss: TSS.rsp0 points here */
#define TF_SIZE 216
