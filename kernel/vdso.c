// The vDSO: an ELF shared object built from kernel/vdso/ (the Makefile links it into
// the kernel as vdso_image), mapped into every process at exec with its data page one
// page below it. The data page ([vvar]) is one frame every process shares, read-only:
// the kernel writes the clock's parameters there (time_ns()'s scale at boot, the
// realtime offset whenever clock_settime or settimeofday moves it). The image ([vdso])
// is copied into frames once at boot and mapped into each process as a private,
// read-and-execute area of them, copy on write: every process reads the same frames,
// and a debugger's breakpoint in it changes that process's copy only.
#include "types.h"
#include "cpu.h"
#include "elf.h"
#include "errno.h"
#include "kalloc.h"
#include "lib.h"
#include "panic.h"
#include "timer.h"
#include "vdso.h"
#include "vm.h"
#include <vitrine/vdso.h>

// kernel/arch/x86_64/vdso_image.S
extern const uint8_t vdso_image[], vdso_image_end[];

static struct vdso_data *vvar; // the data page (a frame of its own)
static uint8_t *image[VDSO_PAGES_MAX]; // the image's pages, zeros after its end

// Processes share the frames; they are never freed, so opening and closing an area is
// nothing to count.
static void frames_open(void *priv) { (void)priv; }
static void frames_close(void *priv) { (void)priv; }
// The one page, with a share for the mapping that touches it.
static int vvar_page(void *priv, uint64_t i, uint8_t **frame) {
  (void)priv;
  if (i != 0)
    return -ENXIO;
  page_share(vvar);
  *frame = (uint8_t *)vvar;
  return 0;
}
static const struct vma_ops vvar_ops = {.open = frames_open, .close = frames_close, .page = vvar_page};
static int image_page(void *priv, uint64_t i, uint8_t **frame) {
  (void)priv;
  if (i >= VDSO_PAGES_MAX)
    return -ENXIO;
  page_share(image[i]);
  *frame = image[i];
  return 0;
}
static const struct vma_ops image_ops = {.open = frames_open, .close = frames_close, .page = image_page};

void vdso_init(void) {
  if (vdso_image_end - vdso_image > VDSO_PAGES_MAX * PAGE_SIZE)
    panic("vdso: image too large");
  vvar = page_alloc(1); // zeroed
  if (!vvar)
    panic("vdso: no memory for the data page");
  size_t size = vdso_image_end - vdso_image;
  for (size_t i = 0; i < VDSO_PAGES_MAX; i++) {
    if (!(image[i] = page_alloc(1)))
      panic("vdso: no memory for the image");
    if (i * PAGE_SIZE < size)
      memcpy(image[i], vdso_image + i * PAGE_SIZE, MIN(PAGE_SIZE, size - i * PAGE_SIZE));
  }
  time_params(&vvar->tsc_boot, &vvar->tsc_mult);
  vvar->realtime_offset = boot_epoch * NS; // until clock_settime moves it (timer.c)
}

// The realtime offset changes while processes may be reading it: odd seq tells a
// reader preempted in the middle to read again (kernel/vdso/vdso.c).
void vdso_set_realtime(uint64_t offset) {
  if (!vvar)
    return;
  vvar->seq++;
  __asm__ volatile("" ::: "memory");
  vvar->realtime_offset = offset;
  __asm__ volatile("" ::: "memory");
  vvar->seq++;
}

// [vvar] at base - PAGE_SIZE, [vdso] at base (page-aligned, both pages free). Returns
// 0, or -ENOMEM (exec fails as for any other area).
int vdso_map(struct vm *vm, uint64_t base) {
  int r = vm_map_object(vm, base - PAGE_SIZE, PAGE_SIZE, PROT_READ, false, &vvar_ops, NULL);
  if (r < 0)
    return r;
  struct vma *a = vm_area(vm, base - PAGE_SIZE);
  a->name = "[vvar]";
  a->sealed = true;
  // VDSO_PAGES_MAX pages whatever the image's size (the rest reads as zeros), so that
  // where exec puts it does not depend on the image.
  r = vm_map_object_private(vm, base, VDSO_PAGES_MAX * PAGE_SIZE, PROT_READ | PROT_EXEC,
                            &image_ops, NULL);
  if (r < 0)
    return r; // (exec frees the whole address space)
  vm_area(vm, base)->name = "[vdso]";
  return 0;
}
