/* Multiboot (v1) entry: QEMU's -kernel starts us in 32-bit protected mode with paging
   off. We build just enough page tables to enter long mode with the first 1 GiB of
   physical memory mapped twice: at 0 (so the next instruction still runs) and at
   KERNBASE (where the kernel is linked). kmain() later drops the low mapping. */
#include "x86.h"

#define MB_MAGIC 0x1badb002
/* bit 1: memory map; bit 16: the load addresses below are valid. QEMU refuses to load
   an ELF64 kernel through multiboot's ELF path, so we use the "a.out kludge". */
#define MB_FLAGS ((1 << 1) | (1 << 16))
#define V2P(x) ((x) - KERNBASE)

.section .multiboot, "a"
.align 4
mb_header:
  .long MB_MAGIC
  .long MB_FLAGS
  .long -(MB_MAGIC + MB_FLAGS)
  .long V2P(mb_header)
  .long V2P(_kernel_start)
  .long V2P(_edata)
  .long V2P(_kernel_end)
  .long V2P(_start)

.section .text.boot, "ax"
.code32
.globl _start
_start:
  cli
  mov %eax, %edi                   /* multiboot magic, first argument of kmain */
  mov %ebx, %esi                   /* physical address of the multiboot info */
  mov $V2P(boot_stack_top), %esp

  /* PD: 512 x 2 MiB pages = the first 1 GiB. */
  mov $V2P(boot_pd), %ebx
  xor %ecx, %ecx
1:mov %ecx, %eax
  shl $21, %eax
  or $(PTE_P | PTE_W | PTE_PS), %eax
  mov %eax, (%ebx, %ecx, 8)
  movl $0, 4(%ebx, %ecx, 8)
  inc %ecx
  cmp $512, %ecx
  jne 1b
  /* PDPTs: low[0] and high[510] both point at the PD. */
  movl $(V2P(boot_pd) + PTE_P + PTE_W), V2P(boot_pdpt_lo)
  movl $(V2P(boot_pd) + PTE_P + PTE_W), V2P(boot_pdpt_hi) + 510 * 8
  /* PML4: [0] low, [511] high. */
  movl $(V2P(boot_pdpt_lo) + PTE_P + PTE_W), V2P(boot_pml4)
  movl $(V2P(boot_pdpt_hi) + PTE_P + PTE_W), V2P(boot_pml4) + 511 * 8

  mov %cr4, %eax
  or $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
  mov %eax, %cr4
  mov $V2P(boot_pml4), %eax
  mov %eax, %cr3
  mov $MSR_EFER, %ecx
  rdmsr
  or $(EFER_LME | EFER_SCE), %eax
  wrmsr
  mov %cr0, %eax
  and $~(CR0_EM | CR0_TS), %eax
  or $(CR0_PG | CR0_WP | CR0_MP | CR0_NE | CR0_PE), %eax
  mov %eax, %cr0
  lgdt V2P(gdt_ptr32)
  ljmp $KERNEL_CS, $V2P(start64)

.code64
start64:
  movabs $start64_high, %rax
  jmp *%rax
start64_high:
  mov $KERNEL_DS, %ax
  mov %ax, %ss
  xor %ax, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %fs
  mov %ax, %gs
  movabs $boot_stack_top, %rsp
  lgdt gdt_ptr64
  xor %ebp, %ebp                    /* ends backtraces */
  call kmain
2:hlt
  jmp 2b

.section .data
.align 16
/* The GDT, laid out like Linux's so that user cs/ss read 0x33/0x2b as on Linux and
   SYSCALL/SYSRET (MSR_STAR in cpu.c) find the selectors they expect. */
.globl gdt
gdt:
  .quad 0                           /* 0x00 null */
  .quad 0                           /* 0x08 unused (Linux: 32-bit kernel code) */
  .quad 0x00af9a000000ffff          /* 0x10 kernel code, 64-bit */
  .quad 0x00cf92000000ffff          /* 0x18 kernel data */
  .quad 0                           /* 0x20 SYSRET's base; not present, so user code can never enter 32-bit mode (whose SYSCALL would go to MSR_CSTAR) */
  .quad 0x00cff2000000ffff          /* 0x28 user data */
  .quad 0x00affa000000ffff          /* 0x30 user code, 64-bit */
  .quad 0                           /* 0x38 unused */
  .quad 0, 0                        /* 0x40 TSS, filled by cpu_init() */
gdt_end:
gdt_ptr32:
  .word gdt_end - gdt - 1
  .long V2P(gdt)
.align 8
gdt_ptr64:
  .word gdt_end - gdt - 1
  .quad gdt

.section .bss
.align 4096
.globl boot_pml4
boot_pml4: .skip 4096
boot_pdpt_lo: .skip 4096
boot_pdpt_hi: .skip 4096
boot_pd: .skip 4096
boot_stack: .skip 16384
boot_stack_top:
.section .note.GNU-stack,"",@progbits
