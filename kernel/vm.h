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
  // The file the area shows (maps names it), or NULL. With mapped set (an mmap of the
  // file) each page comes from the file when first touched, at file offset pgoff +
  // (va - start); a page wholly past the file's end is SIGBUS. Without it (exec's
  // segments) the bytes are file_data's and src only names them.
  struct vsrc *src;
  uint64_t pgoff;
  bool mapped;
  bool maywrite;        // VMA_SHARED of a file: the descriptor was open for writing
  // An area whose frames belong to something else (a SysV shared memory segment,
  // ipc.c): ops->open(priv) when a copy of the area appears (fork, a split), and
  // ops->close(priv) when one goes (munmap, exit, exec). NULL for the others.
  const struct vma_ops *ops;
  void *priv;
  struct vma *next;     // sorted by start
};
struct vma_ops {
  void (*open)(void *priv);
  void (*close)(void *priv);
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
void vm_activate(const struct vm *vm);
int vm_map_area(struct vm *vm, uint64_t start, uint64_t len, int prot, int kind,
                const uint8_t *file_data, uint64_t file_start, uint64_t file_end);
int vm_map_file(struct vm *vm, uint64_t start, uint64_t len, int prot, bool shared,
                struct vsrc *src, uint64_t pgoff, bool maywrite);
struct vma *vm_area(const struct vm *vm, uint64_t va);
bool vm_range_mapped(const struct vm *vm, uint64_t start, uint64_t len);
int vm_unmap(struct vm *vm, uint64_t start, uint64_t len);
// Map n given frames (each gains a reference) at start as one shared area with ops.
int vm_map_frames(struct vm *vm, uint64_t start, void *const *frames, size_t n, int prot,
                  const struct vma_ops *ops, void *priv);
const struct vma *vm_area_at(const struct vm *vm, uint64_t va); // NULL: unmapped
int vm_protect(struct vm *vm, uint64_t start, uint64_t len, int prot);
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
uint64_t vm_resident_pages(const struct vm *vm);
int vm_prot_at(const struct vm *vm, uint64_t va);
extern uint64_t *kernel_pml4;
