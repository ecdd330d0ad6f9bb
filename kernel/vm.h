// Address spaces (vm.c): areas, page tables, faults, and copying to and from user memory.
#pragma once
#include "types.h"
#include "x86.h"

struct vma {
  uint64_t start, end;  // page-aligned [start, end)
  int prot;             // PROT_* the process asked for
  int kind;             // VMA_*
  // File-backed contents: bytes [file_start, file_end) come from file_data, the rest
  // of the area reads as zero. The data is the initramfs's, which is never freed.
  uint64_t file_start, file_end;
  const uint8_t *file_data;
  bool file_eof;        // file_end is the file's end: past it, its cached page is zeros too
  // The file the area shows (maps names it), or NULL. With mapped set (an mmap of the
  // file) each page comes from the file when first touched, at file offset pgoff +
  // (va - start); a page wholly past the file's end is SIGBUS. Without it (exec's
  // segments) the bytes are file_data's and src only names them.
  struct vsrc *src;
  uint64_t pgoff;
  bool mapped;
  bool maywrite;        // VMA_SHARED of a file or with ops: it may ever be made writable
                        // (the descriptor was open for writing; shmat without SHM_RDONLY)
  // An area whose frames belong to something else (a SysV shared memory segment,
  // ipc.c): ops->open(priv) when a copy of the area appears (fork, a split), and
  // ops->close(priv) when one goes (munmap, exit, exec); ops->page(priv, i, &frame)
  // gives page i of the object (i counts from pgoff / PAGE_SIZE) with one more share
  // of its frame, when the area's page is first touched. NULL for the others.
  const struct vma_ops *ops;
  void *priv;
  const char *name;     // a special area's name in maps ([vdso], [vvar]), or NULL
  bool sealed;          // never writable, not even by a tracer (the vDSO's data page,
                        // which every process shares): mprotect(PROT_WRITE) is EACCES
  bool dontfork;        // madvise(MADV_DONTFORK): a child of fork does not get the area
  bool wipeonfork;      // madvise(MADV_WIPEONFORK): the child's copy starts without pages
  struct vma *next;     // sorted by start
};
struct vma_ops {
  void (*open)(void *priv);
  void (*close)(void *priv);
  int (*page)(void *priv, uint64_t i, uint8_t **frame);
};
enum { VMA_ANON, VMA_FILE, VMA_HEAP, VMA_STACK, VMA_SHARED };

// A file areas map. It holds the file (as an open descriptor would), so the file's
// pages outlive its last descriptor and its name. Shared by the areas split from one
// mapping and by fork's copies; freed with the last (refs).
struct rnode;
struct vsrc {
  int refs;
  struct rnode *node;
  uint8_t *copy;        // exec's copy of a program file that may change (in /tmp), or NULL
  uint64_t dev, ino;    // for maps
  char path[];          // the path it was opened by
};
struct vsrc *vsrc_new(struct rnode *node, const char *path);
void vsrc_put(struct vsrc *s);

struct vm {
  int refs;             // processes using it: 2 while a vfork child borrows it
  uint64_t id;          // never the same twice: a handle names the space by it (procfs)
  uint64_t *pml4;       // kernel-virtual; entries 256..511 are the shared kernel half
  struct vma *vmas;
  uint64_t brk_start, brk; // program break: [brk_start, brk) is the heap
  uint64_t mmap_top;    // anonymous mmaps without a hint go below this, downwards
  uint64_t auxv[48];    // the auxiliary vector exec gave the program (/proc/PID/auxv)
  int auxv_words;
};

struct vm *vm_create(void);
void vm_free(struct vm *vm);
struct vm *vm_clone(struct vm *src);
// Make vm's page tables the CPU's (NULL: the kernel's alone). Inline: every switch.
extern uint64_t *kernel_pml4;
static inline void vm_activate(const struct vm *vm) {
  uint64_t cr3 = V2P(vm ? vm->pml4 : kernel_pml4);
  if (read_cr3() != cr3)
    write_cr3(cr3);
}
int vm_map_area(struct vm *vm, uint64_t start, uint64_t len, int prot, int kind,
                const uint8_t *file_data, uint64_t file_start, uint64_t file_end);
int vm_map_file(struct vm *vm, uint64_t start, uint64_t len, int prot, bool shared,
                struct vsrc *src, uint64_t pgoff, bool maywrite);
struct vma *vm_area(const struct vm *vm, uint64_t va);
bool vm_range_mapped(const struct vm *vm, uint64_t start, uint64_t len);
int vm_unmap(struct vm *vm, uint64_t start, uint64_t len);
// Map an object's pages at [start, start+len) as one shared area whose pages come from
// ops->page when first touched.
int vm_map_object(struct vm *vm, uint64_t start, uint64_t len, int prot, bool maywrite,
                  const struct vma_ops *ops, void *priv);
// The same as a private area: the object's frames, copied on write (a tracer's write
// too), so every process reads the one copy until it changes its own.
int vm_map_object_private(struct vm *vm, uint64_t start, uint64_t len, int prot,
                          const struct vma_ops *ops, void *priv);
const struct vma *vm_area_at(const struct vm *vm, uint64_t va); // NULL: unmapped
int vm_protect(struct vm *vm, uint64_t start, uint64_t len, int prot);
// mremap(2) and madvise(2) (the arguments checked as sysmem.c's comments say).
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4
long vm_remap(struct vm *vm, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
              uint64_t new_addr);
int vm_advise(struct vm *vm, uint64_t start, uint64_t len, int advice);
bool vm_advice_known(int advice);
int vm_fault(struct vm *vm, uint64_t va, bool write);
int vm_fault_force(struct vm *vm, uint64_t va);
uint64_t vm_find_free(struct vm *vm, uint64_t len);
bool vm_range_free(const struct vm *vm, uint64_t start, uint64_t len);
int copyin(void *dst, uint64_t usrc, size_t n);
int copyout(uint64_t udst, const void *src, size_t n);
long copyinstr(char *dst, uint64_t usrc, size_t max);
size_t vm_copy(struct vm *vm, uint64_t uaddr, void *buf, size_t n, bool write, bool force);
// Does [addr, addr+len) lie in the user half? (Inline: every transfer asks.)
static inline bool user_range_ok(uint64_t addr, uint64_t len) {
  return addr < USER_TOP && len <= USER_TOP - addr;
}
#define PTE_ADDR 0x000ffffffffff000ull
// The kernel address of user address va in vm if its page is present (and writable, if
// asked), else NULL. The four levels unrolled and inline: this is on every system
// call's path (copyin, copyout, a futex's word).
static inline uint8_t *vm_user_page(const struct vm *vm, uint64_t va, bool write) {
  uint64_t e = vm->pml4[(va >> 39) & 511];
  if (!(e & PTE_P))
    return NULL;
  e = ((uint64_t *)P2V(e & PTE_ADDR))[(va >> 30) & 511];
  if (!(e & PTE_P))
    return NULL;
  e = ((uint64_t *)P2V(e & PTE_ADDR))[(va >> 21) & 511];
  if (!(e & PTE_P))
    return NULL;
  e = ((uint64_t *)P2V(e & PTE_ADDR))[(va >> 12) & 511];
  if (!(e & PTE_P) || (write && !(e & PTE_W)))
    return NULL;
  return (uint8_t *)P2V(e & PTE_ADDR) + (va & (PAGE_SIZE - 1));
}
// The kernel address of the 4-aligned word at va in vm, its page made present (and
// writable, breaking a copy on write, if asked): futexes read and write their words in
// place. NULL if the access is not allowed. The fast case inline (a present page).
uint32_t *vm_user_word_slow(struct vm *vm, uint64_t va, bool write);
static inline uint32_t *vm_user_word(struct vm *vm, uint64_t va, bool write) {
  uint32_t *w = user_range_ok(va, 4) ? (uint32_t *)vm_user_page(vm, va, write) : NULL;
  return w ? w : vm_user_word_slow(vm, va, write);
}
uint64_t vm_resident_pages(const struct vm *vm);
uint64_t vm_ro_unmapped(void);
void vm_zap_node(const struct rnode *n, uint64_t from, const uint8_t *lo, const uint8_t *hi);
int vm_prot_at(const struct vm *vm, uint64_t va);
extern uint64_t *kernel_pml4;
