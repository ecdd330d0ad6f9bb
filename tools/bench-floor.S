/* tools/bench-floor.S: the smallest kernel QEMU will boot, for `make bench`'s QEMU
   start-up floor. QEMU's multiboot loader starts it in 32-bit protected mode; it writes
   "x\n" to COM1 at once and leaves QEMU through isa-debug-exit (port 0xf4). So the time
   from starting QEMU to that first byte is QEMU's own start-up, with no kernel work. */
.code32
.text
.align 4
multiboot_header:
  .long 0x1badb002                /* magic */
  .long 0                         /* flags: nothing asked; QEMU loads the ELF itself */
  .long -0x1badb002               /* checksum */

.globl _start
_start:
  mov $0x3f8, %dx                 /* COM1 data: QEMU's UART needs no set-up to send */
  mov $'x', %al
  out %al, %dx
  mov $'\n', %al
  out %al, %dx
  mov $0xf4, %dx                  /* isa-debug-exit: QEMU exits with status 1 */
  xor %eax, %eax
  out %al, %dx
1:
  hlt
  jmp 1b
