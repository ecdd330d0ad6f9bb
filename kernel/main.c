// Boot: from the multiboot information to the first user process.
#include "types.h"
#include "com2.h"
#include "console.h"
#include "cpu.h"
#include "dev.h"
#include "exec.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "panic.h"
#include "pci.h"
#include "proc.h"
#include "procfs.h"
#include "ramfs.h"
#include "regs.h"
#include "scheme.h"
#include "trap.h"
#include "tty.h"
#include "vcon.h"
#include "vdso.h"
#include "vm.h"
#include "x86.h"

struct mb_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  uint32_t syms[4], mmap_length, mmap_addr;
} __attribute__((packed));
struct mb_mmap {
  uint32_t size;
  uint64_t base, len;
  uint32_t type;
} __attribute__((packed));
struct mb_module {
  uint32_t start, end, string, reserved;
};
#define MB_BOOT_MAGIC 0x2badb002
#define MB_INFO_CMDLINE (1 << 2)
#define MB_INFO_MODS (1 << 3)
#define MB_INFO_MMAP (1 << 6)

static char kernel_cmdline[1024];
#define MAX_RANGES 32
#define MAX_MODULES 4

static int read_mmap(const struct mb_info *mb, uint64_t (*avail)[2]) {
  int n = 0;
  if (!(mb->flags & MB_INFO_MMAP)) { // only the old fields: low memory and above 1 MiB
    avail[n][0] = 0, avail[n++][1] = mb->mem_lower * 1024ull;
    avail[n][0] = 0x100000, avail[n++][1] = 0x100000 + mb->mem_upper * 1024ull;
    return n;
  }
  for (uint64_t p = mb->mmap_addr; p < mb->mmap_addr + mb->mmap_length && n < MAX_RANGES;) {
    const struct mb_mmap *e = P2V(p);
    if (e->type == 1 && e->base < PHYS_LIMIT)
      avail[n][0] = e->base, avail[n++][1] = MIN(e->base + e->len, (uint64_t)PHYS_LIMIT);
    p += e->size + 4;
  }
  return n;
}

static void parse_cmdline(void) {
  // Kernel words come first; init gets the rest of the line (see user_init).
  if (strncmp(kernel_cmdline, "quiet", 5) == 0 && (kernel_cmdline[5] == ' ' || !kernel_cmdline[5]))
    kernel_quiet = true;
}

// PID 1: /init with the command line (minus the kernel's own words) as arguments, and
// the console as descriptors 0, 1 and 2.
static void user_init(const char *cmdline) {
  struct proc *p = proc_alloc();
  if (!p)
    panic("user_init: out of memory");
  initproc = p;
  p->vm = vm_create();
  if (!p->vm || proc_init_shared(p) < 0)
    panic("user_init: out of memory");
  p->pgid = p->sid = p->pid;
  strncpy_k(p->name, "init", sizeof p->name);
  char *argv[32], *words = kstrdup(cmdline);
  int argc = 0;
  argv[argc++] = "/init";
  for (char *w = words; w && *w && argc < 31;) {
    while (*w == ' ')
      *w++ = 0;
    if (!*w)
      break;
    if (!(argc == 1 && strncmp(w, "quiet", 5) == 0 && (w[5] == ' ' || !w[5])))
      argv[argc++] = w;
    while (*w && *w != ' ')
      w++;
  }
  argv[argc] = NULL;
  char *envp[] = {"HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=vt100", NULL};
  cpu.proc = p; // exec works on the current process
  for (int fd = 0; fd < 3; fd++) {
    struct file *f;
    if (vfs_open("debug:", O_RDWR, 0, &f) < 0 || fd_install(f, fd, false) != fd)
      panic("user_init: no console");
  }
  int r = execve_path("/init", argv, envp);
  if (r < 0)
    panic("cannot run /init: error %d", r);
  cpu.proc = NULL;
  vm_activate(NULL);
  p->state = P_RUNNABLE;
}

// Every scheme this kernel has. The VFS (scheme.c) knows them only through this.
static void register_schemes(void) {
  scheme_register(&ramfs_scheme, NULL); // the root file scheme (its name is empty)
  scheme_register(&null_scheme, NULL);
  scheme_register(&zero_scheme, NULL);
  scheme_register(&full_scheme, NULL);
  scheme_register(&debug_scheme, NULL);
  scheme_register(&proc_scheme, "/proc"); // as on Linux
  scheme_register(&com2_scheme, NULL);
  scheme_register(&ctty_scheme, NULL);
  scheme_register(&vcon_scheme, NULL);
}

void kmain(uint32_t magic, uint32_t mb_phys) {
  serial_init();
  if (magic != MB_BOOT_MAGIC)
    panic("not booted by a multiboot loader (magic %x)", magic);
  const struct mb_info *mb = P2V(mb_phys);
  if (mb->flags & MB_INFO_CMDLINE) {
    // Multiboot loaders (QEMU, GRUB) put the kernel's own file name first: skip it.
    const char *c = P2V(mb->cmdline);
    while (*c && *c != ' ')
      c++;
    while (*c == ' ')
      c++;
    size_t n = strnlen(c, sizeof kernel_cmdline - 1);
    memcpy(kernel_cmdline, c, n);
  }
  parse_cmdline();
  klog("Vitrine booting\n");
  // Every module is an initramfs archive; later ones add to and replace what earlier
  // ones hold (tools/vrun passes the built image, then a small one of its own).
  uint64_t avail[MAX_RANGES][2], reserved[1 + MAX_MODULES][2] = {{mb_phys, mb_phys + sizeof *mb}};
  int navail = read_mmap(mb, avail), nres = 1, nmods = 0;
  const struct mb_module *mods = P2V(mb->mods_addr);
  if (mb->flags & MB_INFO_MODS)
    nmods = MIN(mb->mods_count, (uint32_t)MAX_MODULES);
  for (int i = 0; i < nmods; i++)
    reserved[nres][0] = mods[i].start, reserved[nres++][1] = mods[i].end;
  kalloc_init(avail, navail, reserved, nres);
  klog("memory: %lu KiB free\n", pages_free() * 4);
  kernel_pml4[0] = 0; // drop the identity map the boot code needed
  write_cr3(read_cr3());
  cpu_init();
  vdso_init(); // (after the clock's calibration, which it publishes)
  com2_init();
  trap_init();
  fpu_init();
  if (!nmods)
    panic("no initramfs: pass one with -initrd");
  register_schemes();
  for (int i = 0; i < nmods; i++)
    ramfs_init(P2V(mods[i].start), mods[i].end - mods[i].start);
  pci_init(); // (after the root file system: drivers add device nodes to /dev)
  user_init(kernel_cmdline);
  scheduler();
}
