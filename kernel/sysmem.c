// Memory system calls: brk, mmap (anonymous, and of files), munmap, mprotect, msync,
// mremap, madvise.
#include "types.h"
#include "elf.h"
#include "errno.h"
#include "file.h"
#include "kalloc.h"
#include "path.h"
#include "ramfs.h"
#include "proc.h"
#include "regs.h"
#include "syscall.h"
#include "vm.h"
#include "x86.h"

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_DENYWRITE 0x800
#define MAP_EXECUTABLE 0x1000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_STACK 0x20000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_KNOWN (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | \
                   MAP_DENYWRITE | MAP_EXECUTABLE | MAP_NORESERVE | MAP_POPULATE |      \
                   MAP_STACK | MAP_FIXED_NOREPLACE)
#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4
#define PAGE_OFF(x) ((x) & (PAGE_SIZE - 1))

long sys_brk(struct trapframe *tf) {
  struct vm *vm = myproc()->vm;
  uint64_t want = ARG0, old_end = ALIGN_UP(vm->brk, PAGE_SIZE);
  if (want < vm->brk_start || want >= USER_TOP)
    return vm->brk;
  uint64_t new_end = ALIGN_UP(want, PAGE_SIZE);
  if (new_end > old_end) {
    if (!vm_range_free(vm, old_end, new_end - old_end) ||
        vm_map_area(vm, old_end, new_end - old_end, PROT_READ | PROT_WRITE, VMA_HEAP, NULL, 0, 0) < 0)
      return vm->brk; // as Linux: failure is the unchanged break
  } else if (new_end < old_end && vm_unmap(vm, new_end, old_end - new_end) < 0) {
    return vm->brk;
  }
  vm->brk = want;
  return want;
}

// A shared mapping gets its pages now, so that a fork shares them all (a page first
// touched after the fork would otherwise be private to whoever touched it).
static int populate(struct vm *vm, uint64_t addr, uint64_t len) {
  for (uint64_t va = addr; va < addr + len; va += PAGE_SIZE) {
    int r = vm_fault(vm, va, false);
    if (r == -EFAULT) // PROT_NONE: a page is still needed, to be shared later
      r = vm_fault_force(vm, va);
    if (r < 0) {
      vm_unmap(vm, addr, len);
      return -ENOMEM;
    }
  }
  return 0;
}

// The file behind fd, checked for a mapping as Linux does, as a new vsrc (*out).
static int map_source(int fd, int prot, bool shared, uint64_t off, uint64_t len,
                      struct vsrc **out, bool *maywrite) {
  struct file *f = file_get(fd);
  if (!f)
    return -EBADF;
  if (!file_readable(f))
    return -EACCES; // even a write-only mapping reads the file
  if (shared && (prot & PROT_WRITE) && !file_writable(f))
    return -EACCES;
  if (off + len < off)
    return -EOVERFLOW;
  *maywrite = file_writable(f);
  struct rnode *n;
  int r = ramfs_map_node(f, &n);
  if (r < 0)
    return r;
  char *path = kmalloc(PATH_MAX_K);
  if (!path)
    return -ENOMEM;
  r = ramfs_node_path(n, path, PATH_MAX_K);
  *out = vsrc_new(n, r < 0 ? "" : path);
  kfree(path);
  return *out ? 0 : -ENOMEM;
}

// Place the mapping (the checks that need the address space come last, as Linux's).
static long map_at(struct vm *vm, uint64_t addr, uint64_t len, int prot, int flags,
                   struct vsrc *src, uint64_t off, bool maywrite) {
  int type = flags & (MAP_SHARED | MAP_PRIVATE);
  bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
  if (fixed) {
    if (PAGE_OFF(addr))
      return -EINVAL;
    if (!user_range_ok(addr, len) || addr < PAGE_SIZE)
      return -ENOMEM;
    if (!vm_range_free(vm, addr, len)) {
      if (flags & MAP_FIXED_NOREPLACE)
        return -EEXIST;
      int r = vm_unmap(vm, addr, len);
      if (r < 0)
        return r;
    }
  } else if (!(addr && !PAGE_OFF(addr) && addr >= PAGE_SIZE && user_range_ok(addr, len) &&
               vm_range_free(vm, addr, len))) {
    addr = vm_find_free(vm, len); // the hint is only a hint
    if (!addr)
      return -ENOMEM;
  }
  int r;
  if (src) {
    r = vm_map_file(vm, addr, len, prot, type == MAP_SHARED, src, off, maywrite);
  } else {
    r = vm_map_area(vm, addr, len, prot, type == MAP_SHARED ? VMA_SHARED : VMA_ANON, NULL, 0, 0);
    if (r == 0 && type == MAP_SHARED)
      r = populate(vm, addr, len);
  }
  return r < 0 ? r : (long)addr;
}

long sys_mmap(struct trapframe *tf) {
  uint64_t addr = ARG0, len = ARG1;
  int prot = ARG2, flags = ARG3;
  struct vm *vm = myproc()->vm;
  // Linux's order: the offset's alignment, then the descriptor, then the rest.
  if (PAGE_OFF(ARG5))
    return -EINVAL;
  if (!(flags & MAP_ANONYMOUS) && !file_get((int)ARG4))
    return -EBADF;
  // MAP_SHARED_VALIDATE (both bits) is MAP_SHARED that refuses unknown flags with
  // EOPNOTSUPP, as Linux's; the others refuse them with EINVAL here.
  int type = flags & (MAP_SHARED | MAP_PRIVATE);
  if (type == (MAP_SHARED | MAP_PRIVATE) && (flags & ~MAP_KNOWN))
    return -EOPNOTSUPP;
  if (!len || (prot & ~7) || (flags & ~MAP_KNOWN))
    return -EINVAL;
  if (!type)
    return -EINVAL;
  if (type == (MAP_SHARED | MAP_PRIVATE))
    flags &= ~MAP_PRIVATE, type = MAP_SHARED;
  if (len > USER_TOP)
    return -ENOMEM;
  len = ALIGN_UP(len, PAGE_SIZE);
  struct vsrc *src = NULL;
  bool maywrite = false;
  if (!(flags & MAP_ANONYMOUS)) {
    int r = map_source((int)ARG4, prot, type == MAP_SHARED, ARG5, len, &src, &maywrite);
    if (r < 0)
      return r;
  }
  long r = map_at(vm, addr, len, prot, flags, src, ARG5, maywrite);
  vsrc_put(src); // the areas hold their own references
  return r;
}

long sys_munmap(struct trapframe *tf) {
  uint64_t addr = ARG0, len = ARG1;
  // len is checked before it is rounded up: SIZE_MAX would round to 0.
  if (PAGE_OFF(addr) || !len || len > USER_TOP || !user_range_ok(addr, ALIGN_UP(len, PAGE_SIZE)))
    return -EINVAL;
  return vm_unmap(myproc()->vm, addr, ALIGN_UP(len, PAGE_SIZE));
}

long sys_mprotect(struct trapframe *tf) {
  uint64_t addr = ARG0, len = ALIGN_UP(ARG1, PAGE_SIZE);
  int prot = ARG2;
  if (PAGE_OFF(addr) || (prot & ~7))
    return -EINVAL;
  if (!ARG1)
    return 0;
  // As Linux: a length past the user half (or one that rounds up to 0) is ENOMEM.
  if (ARG1 > USER_TOP || !user_range_ok(addr, len))
    return -ENOMEM;
  return vm_protect(myproc()->vm, addr, len, prot);
}

// The mapping is the file's own pages (ramfs_map_page), so there is nothing to write
// back: msync only checks its arguments as Linux does.
long sys_msync(struct trapframe *tf) {
  uint64_t addr = ARG0, len = ALIGN_UP(ARG1, PAGE_SIZE);
  int flags = ARG2;
  if (PAGE_OFF(addr) || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
      ((flags & MS_ASYNC) && (flags & MS_SYNC)) || ARG1 > USER_TOP)
    return -EINVAL;
  if (!user_range_ok(addr, len))
    return -ENOMEM;
  return vm_range_mapped(myproc()->vm, addr, len) ? 0 : -ENOMEM;
}

// mremap(2): the checks that need no address space, in Linux's order (the rest: vm_remap).
long sys_mremap(struct trapframe *tf) {
  uint64_t addr = ARG0, old_len = ARG1, new_len = ARG2, flags = ARG3, new_addr = ARG4;
  if (flags & ~(uint64_t)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
    return -EINVAL;
  if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
    return -EINVAL;
  if (PAGE_OFF(addr))
    return -EINVAL;
  if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
    return -EINVAL;
  if (!new_len || new_len > USER_TOP) // (Linux: a length that rounds to 0 is EINVAL; one
    return new_len && !(flags & MREMAP_FIXED) ? -ENOMEM : -EINVAL; // too big, no room)
  old_len = old_len > USER_TOP ? USER_TOP + PAGE_SIZE : ALIGN_UP(old_len, PAGE_SIZE);
  return vm_remap(myproc()->vm, addr, old_len, ALIGN_UP(new_len, PAGE_SIZE), (int)flags, new_addr);
}

// madvise(2): as Linux, unknown advice and a misaligned start are EINVAL, a length
// that wraps too; a range with unmapped pages ENOMEM.
long sys_madvise(struct trapframe *tf) {
  uint64_t start = ARG0, len = ALIGN_UP(ARG1, PAGE_SIZE);
  int advice = ARG2;
  if (!vm_advice_known(advice) || PAGE_OFF(start) || (ARG1 && !len) || start + len < start)
    return -EINVAL;
  if (!user_range_ok(start, len))
    return -ENOMEM;
  return vm_advise(myproc()->vm, start, len, advice);
}
