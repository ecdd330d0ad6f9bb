// execve: replace the calling process's program. Everything that can fail happens
// before the old address space is touched, so a failed exec returns to the old program.
#include "types.h"
#include "cpu.h"
#include "elf.h"
#include "errno.h"
#include "exec.h"
#include "file.h"
#include "kalloc.h"
#include "lib.h"
#include "path.h"
#include "proc.h"
#include "ramfs.h"
#include "regs.h"
#include "scheme.h"
#include "signal.h"
#include "timer.h"
#include "vdso.h"
#include "vm.h"
#include "x86.h"
#include <vitrine/vdso.h>

#define PIE_BASE 0x555555554000ull    // where static-PIE programs load (as Linux's default)
#define STACK_SIZE (8ull << 20)
// The vDSO's data page and image sit at the very top, above the stack (as Linux's go
// above its stack): in the last page table the stack uses anyway, so they cost fork and
// exec no table of their own.
#define VDSO_BASE (USER_TOP - VDSO_PAGES_MAX * PAGE_SIZE)
#define STACK_TOP (VDSO_BASE - PAGE_SIZE)
#define MMAP_TOP (STACK_TOP - STACK_SIZE - (1ull << 24))
#define ARG_MAX_K (128 * 1024)        // bytes of argument and environment strings
#define MAX_SCRIPT_DEPTH 4

// Auxiliary vector keys (Linux).
enum { AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
       AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
       AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
       AT_EXECFN = 31, AT_SYSINFO_EHDR = 33 };

// The new program's initial stack, built in a kernel buffer and then copied in:
// strings at the top, then (16-byte aligned) argc, argv[], NULL, envp[], NULL, auxv.
struct stackimg {
  uint8_t *buf;    // mirror of [top - size, top)
  uint64_t top, sp;
  size_t size;
  uint64_t arg_start, arg_end; // where the argument strings went
};

static uint64_t push_bytes(struct stackimg *s, const void *p, size_t n) {
  if (s->top - s->sp + n > s->size)
    return 0;
  s->sp -= n;
  memcpy(s->buf + (s->sp - (s->top - s->size)), p, n);
  return s->sp;
}

static uint64_t rand_state;
static uint64_t rand64(void) { // xorshift seeded by the TSC: AT_RANDOM and getrandom
  if (!rand_state)
    rand_state = rdtsc() | 1;
  rand_state ^= rand_state << 13, rand_state ^= rand_state >> 7, rand_state ^= rand_state << 17;
  return rand_state * 0x2545f4914f6cdd1dull;
}
void random_bytes(void *buf, size_t n) {
  for (size_t i = 0; i < n; i++)
    ((uint8_t *)buf)[i] = rand64() >> 56;
}

// What exec loads: the program, and the interpreter it names (if any).
struct image {
  struct elf_image elf;
  const uint8_t *data;
  size_t size;
  struct vsrc *src;     // the file, for the areas (NULL: none loaded)
};

static int build_stack(struct stackimg *s, char *const *argv, char *const *envp,
                       const struct image *prog, const struct image *interp,
                       const char *execfn, bool secure, struct vm *vm) {
  const struct elf_image *img = &prog->elf;
  int argc = 0, envc = 0;
  while (argv[argc])
    argc++;
  while (envp[envc])
    envc++;
  uint64_t *ptrs = kmalloc((argc + envc + 2) * sizeof(uint64_t));
  if (!ptrs)
    return -ENOMEM;
  uint8_t rnd[16];
  random_bytes(rnd, sizeof rnd);
  uint64_t at_random = push_bytes(s, rnd, 16);
  uint64_t at_platform = push_bytes(s, "x86_64", 7);
  uint64_t at_execfn = push_bytes(s, execfn, strlen(execfn) + 1);
  for (int i = envc - 1; i >= 0; i--)
    ptrs[argc + 1 + i] = push_bytes(s, envp[i], strlen(envp[i]) + 1);
  uint64_t args_end = s->sp;
  for (int i = argc - 1; i >= 0; i--) // argv[0] lowest, as Linux lays them out
    ptrs[i] = push_bytes(s, argv[i], strlen(argv[i]) + 1);
  s->arg_start = s->sp, s->arg_end = args_end;
  ptrs[argc] = 0;
  ptrs[argc + 1 + envc] = 0;
  struct proc *p = myproc();
  uint64_t auxv[][2] = {
      {AT_PHDR, img->phdr_vaddr}, {AT_PHENT, img->phent}, {AT_PHNUM, img->phnum},
      {AT_PAGESZ, PAGE_SIZE}, {AT_BASE, interp->src ? interp->elf.base : 0}, {AT_FLAGS, 0},
      {AT_ENTRY, img->entry},
      {AT_UID, p->ruid}, {AT_EUID, p->euid}, {AT_GID, p->rgid}, {AT_EGID, p->egid},
      {AT_PLATFORM, at_platform}, {AT_HWCAP, 0x078bfbff}, {AT_CLKTCK, HZ},
      {AT_SECURE, secure}, {AT_RANDOM, at_random}, {AT_EXECFN, at_execfn},
      {AT_SYSINFO_EHDR, VDSO_BASE}, {AT_NULL, 0}};
  _Static_assert(sizeof auxv <= sizeof vm->auxv, "vm->auxv holds the vector");
  memcpy(vm->auxv, auxv, sizeof auxv);
  vm->auxv_words = 2 * ARRAY_SIZE(auxv);
  size_t words = 1 + argc + 1 + envc + 1 + 2 * ARRAY_SIZE(auxv);
  s->sp = ALIGN_DOWN(s->sp - words * 8, 16) + words * 8; // argc lands 16-byte aligned
  bool ok = push_bytes(s, auxv, sizeof auxv) && push_bytes(s, ptrs + argc + 1, (envc + 1) * 8) &&
            push_bytes(s, ptrs, (argc + 1) * 8);
  uint64_t argc64 = argc;
  ok = ok && push_bytes(s, &argc64, 8) && at_execfn;
  for (int i = 0; i < argc + envc + 2; i++)
    ok = ok && (ptrs[i] || i == argc || i == argc + 1 + envc);
  kfree(ptrs);
  return ok ? 0 : -E2BIG;
}

// Two segments share the page at lo (the previous one ends inside it): the page gets
// both segments' rights and both segments' bytes, filled now.
static int share_page(struct vm *vm, uint64_t lo, const struct elf_seg *sg, const uint8_t *data) {
  int r = vm_protect(vm, lo, PAGE_SIZE, vm_prot_at(vm, lo) | sg->prot);
  if (r == 0)
    r = vm_fault(vm, lo, false); // the earlier segment's bytes
  uint64_t n = MIN(sg->filesz, lo + PAGE_SIZE - sg->vaddr);
  if (r == 0 && vm_copy(vm, sg->vaddr, (void *)(data + sg->fileoff), n, true, true) != n)
    r = -ENOMEM;
  return r;
}

// One segment's areas: the pages that hold file bytes, named after the file in maps,
// and the zero-filled pages past them (bss), anonymous as on Linux. As Linux maps the
// file's pages whole, the bytes before the segment in its first page are the file's,
// and so are those after its end in its last page unless bss follows (that page's rest
// is zeros, in a copy of its own): so each page of file bytes is the page cache's,
// shared by every process until written (vm.c's fill_page).
static int map_seg(struct vm *vm, const struct elf_seg *sg, const struct image *im,
                   uint64_t lo, uint64_t hi) {
  uint64_t mid = MIN(MAX(ALIGN_UP(sg->vaddr + sg->filesz, PAGE_SIZE), lo), hi);
  uint64_t head = sg->vaddr % PAGE_SIZE, first = sg->vaddr - head;
  uint64_t file_end = sg->vaddr + sg->filesz, eof = first + (im->size - (sg->fileoff - head));
  bool to_eof = false;
  if (sg->memsz == sg->filesz) { // (elf.c checked that the segment lies in the file)
    to_eof = eof <= ALIGN_UP(file_end, PAGE_SIZE);
    file_end = MIN(ALIGN_UP(file_end, PAGE_SIZE), eof);
  }
  int r = 0;
  if (lo < mid && (r = vm_map_area(vm, lo, mid - lo, sg->prot, VMA_FILE,
                                   im->data + sg->fileoff - head, first, file_end)) == 0) {
    struct vma *a = vm_area(vm, lo);
    a->src = im->src;
    im->src->refs++;
    a->pgoff = sg->fileoff + lo - sg->vaddr; // lo is vaddr's page (or the one after)
    a->file_eof = to_eof;
  }
  if (r == 0 && mid < hi)
    r = vm_map_area(vm, mid, hi - mid, sg->prot, VMA_ANON, NULL, 0, 0);
  return r;
}

// One ELF file's segments.
static int map_image(struct vm *vm, const struct image *im) {
  const struct elf_image *img = &im->elf;
  for (int i = 0; i < img->nseg; i++) {
    const struct elf_seg *sg = &img->seg[i];
    uint64_t lo = ALIGN_DOWN(sg->vaddr, PAGE_SIZE), hi = ALIGN_UP(sg->vaddr + sg->memsz, PAGE_SIZE);
    if (!vm_range_free(vm, lo, PAGE_SIZE)) {
      int r = share_page(vm, lo, sg, im->data);
      if (r < 0)
        return r;
      lo += PAGE_SIZE;
    }
    if (lo >= hi)
      continue;
    int r = map_seg(vm, sg, im, lo, hi);
    if (r < 0)
      return r;
  }
  return 0;
}

// The new address space: the program's segments, the interpreter's below the mmap
// area's top, the stack, an empty heap.
static int build_vm(struct vm *vm, const struct image *prog, const struct image *interp) {
  int r = map_image(vm, prog);
  if (r == 0 && interp->src)
    r = map_image(vm, interp);
  if (r < 0)
    return r;
  vm->brk_start = vm->brk = prog->elf.hi;
  vm->mmap_top = MMAP_TOP;
  if (interp->src && interp->elf.lo < MMAP_TOP) // mmaps go below the interpreter
    vm->mmap_top = interp->elf.lo;
  if ((r = vdso_map(vm, VDSO_BASE)) < 0)
    return r;
  return vm_map_area(vm, STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE,
                     VMA_STACK, NULL, 0, 0);
}

// Start the new program: fresh registers, FPU state and segment bases.
static void start_program(struct proc *p, uint64_t entry, uint64_t sp) {
  struct trapframe *tf = p->tf;
  memset(tf, 0, sizeof *tf);
  tf->rip = entry;
  tf->rsp = sp;
  tf->cs = USER_CS;
  tf->ss = USER_DS;
  tf->rflags = FL_IF | FL_FIXED;
  tf->orig_rax = -1;
  memset(p->fpu, 0, sizeof p->fpu);
  *(uint16_t *)&p->fpu[0] = 0x37f;
  *(uint32_t *)&p->fpu[24] = 0x1f80;
  fpu_dirty(p); // the new program starts with the fresh image, not the old registers
  memset(p->dr, 0, sizeof p->dr); // watchpoints name addresses of the old program
  p->dr7 = 0;
  debugregs_load(p);
}

// Parse "#!interp [arg]" from the first line of data. Returns 1 if it is a script.
static int parse_shebang(const uint8_t *data, size_t size, char *interp, char *arg, size_t max) {
  if (size < 2 || data[0] != '#' || data[1] != '!')
    return 0;
  size_t i = 2, n = 0;
  while (i < size && (data[i] == ' ' || data[i] == '\t'))
    i++;
  while (i < size && data[i] != '\n' && data[i] != ' ' && data[i] != '\t' && n < max - 1)
    interp[n++] = data[i++];
  interp[n] = 0;
  while (i < size && (data[i] == ' ' || data[i] == '\t'))
    i++;
  n = 0;
  while (i < size && data[i] != '\n' && n < max - 1)
    arg[n++] = data[i++];
  while (n && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
    n--;
  arg[n] = 0;
  return interp[0] ? 1 : -ENOEXEC;
}

static int exec_elf(const char *path, const uint8_t *data, size_t size, bool stable,
                    char *const *argv, char *const *envp, uint32_t mode, uint32_t fuid,
                    uint32_t fgid);

static int exec_script(const char *path, const uint8_t *data, size_t size, char *const *argv,
                       char *const *envp, int depth) {
  char interp[256], arg[256];
  int r = parse_shebang(data, size, interp, arg, sizeof interp);
  if (r <= 0)
    return r ? r : -ENOEXEC;
  if (depth >= MAX_SCRIPT_DEPTH)
    return -ELOOP;
  int argc = 0;
  while (argv[argc])
    argc++;
  char **nargv = kmalloc((argc + 3) * sizeof(char *));
  if (!nargv)
    return -ENOMEM;
  int n = 0;
  nargv[n++] = interp;
  if (arg[0])
    nargv[n++] = arg;
  nargv[n++] = (char *)path;
  for (int i = 1; i <= argc; i++)
    nargv[n++] = argv[i]; // includes the final NULL
  r = execve_depth(interp, nargv, envp, depth + 1);
  kfree(nargv);
  return r;
}

// A link of /proc runs what it points at (busybox runs itself as /proc/self/exe; musl's
// fexecve runs /proc/self/fd/N): clean (PATH_MAX_K bytes) becomes the target; tmp is
// scratch of the same size.
static void set_name(struct proc *p, const char *path);

static void proc_link_target(char *clean, char *tmp) {
  if (strncmp(clean, "/proc/", 6) != 0)
    return;
  long n = vfs_readlink(clean, tmp, PATH_MAX_K - 1);
  if (n > 0 && tmp[0] == '/') {
    tmp[n] = 0;
    memcpy(clean, tmp, n + 1);
  }
}

// A file exec may run (ramfs_exec_image): its bytes and attributes; clean is the path
// as named, made absolute, and real the same without links (both kmalloc'd: free
// them with execfile_free, whatever find_exec returned).
struct execfile {
  const uint8_t *data;
  size_t size;
  uint32_t mode, uid, gid;
  bool stable;
  char *clean, *real;
};

static int find_exec(const char *path, struct execfile *f) {
  f->clean = kmalloc(PATH_MAX_K);
  f->real = kmalloc(PATH_MAX_K);
  if (!f->clean || !f->real)
    return -ENOMEM;
  int r = vfs_clean(path, f->clean);
  if (r >= 0)
    proc_link_target(f->clean, f->real);
  if (r >= 0)
    r = ramfs_exec_image(f->clean, &f->data, &f->size, &f->mode, &f->uid, &f->gid, f->real,
                         PATH_MAX_K, &f->stable);
  return r;
}

static void execfile_free(struct execfile *f) {
  kfree(f->clean);
  kfree(f->real);
}

int execve_depth(const char *path, char *const *argv, char *const *envp, int depth) {
  struct execfile f;
  int r = find_exec(path, &f);
  if (r >= 0 && f.size >= 2 && f.data[0] == '#' && f.data[1] == '!')
    r = exec_script(f.clean, f.data, f.size, argv, envp, depth);
  else if (r >= 0)
    r = exec_elf(f.real, f.data, f.size, f.stable, argv, envp, f.mode, f.uid, f.gid);
  if (r >= 0) // named as Linux names it: by the path the caller gave, links not followed
    set_name(myproc(), path);
  execfile_free(&f);
  return r;
}

int execve_path(const char *path, char *const *argv, char *const *envp) {
  int r = execve_depth(path, argv, envp, 0);
  if (r == 0) // the old memory is gone: a vfork parent that lent it may run again
    vfork_release(myproc());
  return r;
}

static void set_name(struct proc *p, const char *path) {
  const char *base = path;
  for (const char *s = path; *s; s++)
    if (*s == '/')
      base = s + 1;
  size_t n = MIN(strlen(base), sizeof p->name - 1);
  memcpy(p->name, base, n);
  p->name[n] = 0;
}

// The file an ELF image comes from, for its areas. A program from a file that may
// change (in /tmp) is copied, and the areas keep the copy (they fill pages from it on
// demand; fork shares it); the archive's bytes never change and are used in place.
static int image_source(const char *real, const uint8_t **data, size_t size, bool stable,
                        struct vsrc **out) {
  struct rnode *n;
  int r = ramfs_resolve(real, true, &n);
  if (r < 0)
    return r;
  if (!(*out = vsrc_new(n, real)))
    return -ENOMEM;
  if (!stable) {
    if (!((*out)->copy = kmalloc(size ? size : 1))) {
      vsrc_put(*out);
      *out = NULL;
      return -ENOMEM;
    }
    memcpy((*out)->copy, *data, size);
    *data = (*out)->copy;
  }
  return 0;
}

static bool images_overlap(const struct elf_image *a, const struct elf_image *b) {
  return a->lo < b->hi && b->lo < a->hi;
}

// The interpreter the program names (PT_INTERP), parsed and placed: a position-
// independent one (ld.so) ends just below the mmap area's top, as Linux puts it high.
// Linux's errors: the path's own (ENOENT, EACCES...), ELIBBAD for a file that is not
// an x86-64 ELF. Unlike Linux, which finds a broken interpreter only past the point of
// no return and kills the process, any fault in its headers is ELIBBAD here and the
// old program carries on.
static int load_interp(const struct image *prog, struct image *in) {
  struct execfile f;
  int r = find_exec((const char *)prog->data + prog->elf.interp_off, &f);
  if (r < 0)
    goto out;
  r = -ELIBBAD;
  struct elf_image probe;
  if (elf_parse(f.data, f.size, PIE_BASE, MMAP_TOP, &probe) < 0)
    goto out;
  // Again at its final place: the same span, ending at MMAP_TOP.
  uint64_t base = probe.base ? MMAP_TOP - (probe.hi - probe.lo) - (probe.lo - PIE_BASE) : 0;
  if (elf_parse(f.data, f.size, base, MMAP_TOP, &in->elf) < 0 ||
      images_overlap(&in->elf, &prog->elf))
    goto out;
  in->data = f.data;
  in->size = f.size;
  r = image_source(f.real, &in->data, f.size, f.stable, &in->src);
out:
  execfile_free(&f);
  return r;
}

static int exec_elf(const char *path, const uint8_t *data, size_t size, bool stable,
                    char *const *argv, char *const *envp, uint32_t mode, uint32_t fuid,
                    uint32_t fgid) {
  struct image prog = {.data = data, .size = size}, interp = {0};
  int r = elf_parse(data, size, PIE_BASE, MMAP_TOP, &prog.elf);
  if (r < 0)
    return r;
  if (prog.elf.interp_len && (r = load_interp(&prog, &interp)) < 0)
    return r;
  struct proc *p = myproc();
  bool setuid = (mode & 04000) && p->euid != fuid, setgid = (mode & 02000) && p->egid != fgid;
  struct vm *vm = vm_create();
  struct stackimg s = {.buf = kmalloc(ARG_MAX_K + PAGE_SIZE), .top = STACK_TOP,
                       .sp = STACK_TOP, .size = ARG_MAX_K + PAGE_SIZE};
  char *exe = kstrdup(path);
  r = -ENOMEM;
  if (!vm || !s.buf || !exe)
    goto fail;
  if ((r = image_source(path, &prog.data, size, stable, &prog.src)) < 0)
    goto fail;
  if ((r = build_vm(vm, &prog, &interp)) < 0 ||
      (r = build_stack(&s, argv, envp, &prog, &interp, path, setuid || setgid, vm)) < 0)
    goto fail;
  size_t used = s.top - s.sp;
  if (vm_copy(vm, s.sp, s.buf + (s.size - used), used, true, false) != used) {
    r = -ENOMEM;
    goto fail;
  }
  // The other threads end, and a descriptor table or handlers shared with another
  // process become this one's own (Linux's de_thread and unshare_files).
  if ((r = proc_exec_alone()) < 0 || (r = proc_unshare_for_exec(p)) < 0)
    goto fail;
  // Past this point exec cannot fail.
  if (trace_attached(&p->tracee)) // a traced exec gains no privileges (the tracer could abuse them)
    setuid = setgid = false;
  p->gen = proc_new_gen(); // every proc: handle opened on the old program is dead now
  p->did_exec = true;
  trace_exec(&p->tracee);
  if (setuid)
    p->euid = fuid;
  if (setgid)
    p->egid = fgid;
  p->suid = p->euid, p->sgid = p->egid;
  // As Linux: a program that runs with ids its real ones lack is not dumpable, whether
  // this exec granted them or an earlier one did (a set-group-ID program that execs an
  // ordinary one keeps its egid, and so its secrets).
  p->dumpable = p->euid == p->ruid && p->egid == p->rgid;
  struct vm *old = p->vm;
  p->vm = vm;
  vm_activate(vm);
  vm_free(old);
  kfree(p->exe);
  p->exe = exe;
  set_name(p, path);
  p->arg_start = s.arg_start, p->arg_end = s.arg_end;
  fd_close_on_exec(p);
  signal_exec_reset(p);
  sighand_exec(p); // (no handler left: the shared default table)
  timers_exec(p);
  start_program(p, interp.src ? interp.elf.entry : prog.elf.entry, s.sp);
  kfree(s.buf);
  vsrc_put(prog.src); // the areas hold their own references
  vsrc_put(interp.src);
  return 0;
fail:
  vm_free(vm);
  vsrc_put(prog.src);
  vsrc_put(interp.src);
  kfree(s.buf);
  kfree(exe);
  return r;
}
