// The vDSO image (kernel/vdso/, linked by the Makefile into $(B)/vdso/vdso.so), as
// bytes for kernel/vdso.c to map.
  .section .rodata
  .balign 4096
  .globl vdso_image, vdso_image_end
vdso_image:
  .incbin VDSO_SO
vdso_image_end:
.section .note.GNU-stack,"",@progbits
