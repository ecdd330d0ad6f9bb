// Address spaces. Each process has its own PML4: entries 0..255 are its private user
// half, entries 256..511 are copied from the kernel's, so the kernel half is shared.
// User memory is described by a sorted list of areas (struct vma) and filled in on
// demand: a page is allocated (and copied from the program file, or zeroed) the first
// time it is touched, by the page-fault handler or by copyin/copyout. fork shares every
// page with the child; private ones copy on write (PTE_COW, cow_break).
//
// The kernel never dereferences a user pointer: copyin/copyout translate each page
// through the page tables, so a bad pointer is an -EFAULT, never a kernel fault.
#include "types.h"
#include "cpu.h"
#include "elf.h"
#include "errno.h"
#include "kalloc.h"
#include "lib.h"
#include "proc.h"
#include "ramfs.h"
#include "vm.h"
#include "x86.h"

uint64_t *kernel_pml4 = boot_pml4;
// A software bit on user leaf entries: "this entry owns a frame". It stays when
// mprotect(PROT_NONE) clears PTE_P, so the frame is neither lost nor leaked.
#define PTE_FRAME 0x200ull
// A private page fork left to both processes (copy on write): read-only in each until
// one of them writes, which then gets a copy of its own (cow_break). Available bit 10.
#define PTE_COW 0x400ull

static uint64_t *pte_table(uint64_t e) { return P2V(e & PTE_ADDR); }

// The PTE for va, creating the intermediate tables if asked. NULL if absent (or if a
// table could not be allocated).
static uint64_t *walk(uint64_t *pml4, uint64_t va, bool create) {
  uint64_t *t = pml4;
  for (int shift = 39; shift > 12; shift -= 9) {
    uint64_t *e = &t[(va >> shift) & 511];
    if (!(*e & PTE_P)) {
      if (!create)
        return NULL;
      uint64_t *n = page_alloc(1);
      if (!n)
        return NULL;
      *e = V2P(n) | PTE_P | PTE_W | PTE_U; // leaf entries decide the real rights
    }
    t = pte_table(*e);
  }
  return &t[(va >> 12) & 511];
}

static uint64_t pte_flags(int prot) {
  uint64_t f = PTE_P | PTE_U;
  if (prot & PROT_WRITE)
    f |= PTE_W;
  if (!(prot & PROT_EXEC) && cpu_has_nx())
    f |= PTE_NX;
  return f;
}

static bool is_current(const struct vm *vm) { return myproc() && myproc()->vm == vm; }

struct vm *vm_create(void) {
  static uint64_t last_id;
  struct vm *vm = kmalloc(sizeof *vm);
  if (!vm)
    return NULL;
  vm->refs = 1;
  vm->id = ++last_id;
  vm->pml4 = page_alloc(1);
  if (!vm->pml4) {
    kfree(vm);
    return NULL;
  }
  memcpy(vm->pml4 + 256, kernel_pml4 + 256, 256 * sizeof(uint64_t));
  return vm;
}


// Free the user half's page tables and frames below table t at the given level (0: a
// last-level table). One plain loop per level: these scan every entry of every table.
static void free_frames(const uint64_t *t) {
  for (int i = 0; i < 512; i++)
    if (t[i] & PTE_FRAME)
      page_release(pte_table(t[i])); // a user frame: maybe shared
}

static void free_level(uint64_t *t, int level, int nentries) {
  for (int i = 0; i < nentries; i++) {
    if (!(t[i] & PTE_P))
      continue;
    uint64_t *next = pte_table(t[i]);
    if (level > 1)
      free_level(next, level - 1, 512);
    else
      free_frames(next);
    page_free(next, 1);
  }
}

struct vsrc *vsrc_new(struct rnode *node, const char *path) {
  size_t n = strlen(path) + 1;
  struct vsrc *s = kmalloc(sizeof *s + n);
  if (!s)
    return NULL;
  s->refs = 1;
  s->node = node;
  ramfs_node_hold(node);
  ramfs_node_ids(node, &s->dev, &s->ino);
  memcpy(s->path, path, n);
  return s;
}

void vsrc_put(struct vsrc *s) {
  if (!s || --s->refs > 0)
    return;
  ramfs_node_drop(s->node);
  kfree(s->copy);
  kfree(s);
}

static void vma_free(struct vma *a) {
  if (a->ops)
    a->ops->close(a->priv);
  vsrc_put(a->src);
  kfree(a);
}

// Drop one reference (vfork shares an address space until the child execs or exits).
void vm_free(struct vm *vm) {
  if (!vm || --vm->refs > 0)
    return;
  free_level(vm->pml4, 3, 256);
  page_free(vm->pml4, 1);
  for (struct vma *a = vm->vmas, *next; a; a = next) {
    next = a->next;
    vma_free(a);
  }
  kfree(vm);
}

static struct vma *vma_find(const struct vm *vm, uint64_t va) {
  for (struct vma *a = vm->vmas; a && a->start <= va; a = a->next)
    if (va < a->end)
      return a;
  return NULL;
}

static void vma_insert(struct vm *vm, struct vma *n) {
  struct vma **pp = &vm->vmas;
  while (*pp && (*pp)->start < n->start)
    pp = &(*pp)->next;
  n->next = *pp;
  *pp = n;
}

// The last-level table that maps va, or NULL if there is none; *end: the first address
// past what that table (or the missing table above it) would map. For loops over large,
// mostly empty areas (a stack, a big mapping), which skip what is not there.
static uint64_t *leaf_table(uint64_t *pml4, uint64_t va, uint64_t *end) {
  uint64_t *t = pml4;
  for (int shift = 39; shift > 12; shift -= 9) {
    uint64_t e = t[(va >> shift) & 511];
    if (!(e & PTE_P)) {
      *end = (va | ((1ull << shift) - 1)) + 1;
      return NULL;
    }
    t = pte_table(e);
  }
  *end = (va | ((1ull << 21) - 1)) + 1;
  return t;
}

// A copy of every area for a child (fork). Present pages are not copied: shared areas
// share their frames, private ones too but copy on write, in both processes. NULL when
// out of memory.
struct vm *vm_clone(struct vm *src) {
  struct vm *vm = vm_create();
  if (!vm)
    return NULL;
  vm->brk_start = src->brk_start, vm->brk = src->brk, vm->mmap_top = src->mmap_top;
  memcpy(vm->auxv, src->auxv, sizeof vm->auxv);
  vm->auxv_words = src->auxv_words;
  for (struct vma *a = src->vmas; a; a = a->next) {
    if (a->dontfork)
      continue;
    struct vma *n = kmalloc(sizeof *n);
    if (!n)
      goto fail;
    *n = *a;
    if (n->src)
      n->src->refs++; // the child's areas read from the same file
    vma_insert(vm, n);
    if (n->ops)
      n->ops->open(n->priv);
    for (uint64_t va = a->start, end; va < a->end; va = end) {
      uint64_t *table = leaf_table(src->pml4, va, &end);
      end = MIN(end, a->end);
      for (; table && !a->wipeonfork && va < end; va += PAGE_SIZE) {
        uint64_t *spte = &table[(va >> 12) & 511], *dpte;
        if (!(*spte & PTE_FRAME))
          continue;
        if (!(dpte = walk(vm->pml4, va, true)))
          goto fail;
        if (a->kind != VMA_SHARED)
          *spte = (*spte & ~PTE_W) | PTE_COW;
        page_share(pte_table(*spte));
        *dpte = *spte;
      }
    }
  }
  if (is_current(src))
    write_cr3(read_cr3()); // the parent's pages lost their write right: forget it
  return vm;
fail:
  if (is_current(src))
    write_cr3(read_cr3());
  vm_free(vm);
  return NULL;
}


bool vm_range_free(const struct vm *vm, uint64_t start, uint64_t len) {
  for (struct vma *a = vm->vmas; a; a = a->next)
    if (a->start < start + len && start < a->end)
      return false;
  return true;
}

// Highest free gap of len bytes below mmap_top (mmap without a hint), or 0.
uint64_t vm_find_free(struct vm *vm, uint64_t len) {
  uint64_t top = vm->mmap_top;
  while (top >= len + PAGE_SIZE) {
    uint64_t start = top - len;
    struct vma *clash = NULL;
    for (struct vma *a = vm->vmas; a; a = a->next)
      if (a->start < start + len && start < a->end)
        clash = a; // the last one is the highest
    if (!clash)
      return start;
    top = clash->start;
  }
  return 0;
}

// Describe [start, start+len) as a new area; pages come on first touch. The range
// must be page-aligned and free.
int vm_map_area(struct vm *vm, uint64_t start, uint64_t len, int prot, int kind,
                const uint8_t *file_data, uint64_t file_start, uint64_t file_end) {
  struct vma *a = kmalloc(sizeof *a);
  if (!a)
    return -ENOMEM;
  *a = (struct vma){.start = start, .end = start + len, .prot = prot, .kind = kind,
                    .file_start = file_start, .file_end = file_end, .file_data = file_data};
  vma_insert(vm, a);
  return 0;
}

// An mmap of a file: its pages come from src when first touched (fill_page).
int vm_map_file(struct vm *vm, uint64_t start, uint64_t len, int prot, bool shared,
                struct vsrc *src, uint64_t pgoff, bool maywrite) {
  int r = vm_map_area(vm, start, len, prot, shared ? VMA_SHARED : VMA_FILE, NULL, 0, 0);
  if (r < 0)
    return r;
  struct vma *a = vma_find(vm, start);
  a->src = src;
  src->refs++;
  a->pgoff = pgoff;
  a->mapped = true;
  a->maywrite = maywrite;
  return 0;
}

struct vma *vm_area(const struct vm *vm, uint64_t va) { return vma_find(vm, va); }

// Does every page of [start, start+len) belong to some area?
bool vm_range_mapped(const struct vm *vm, uint64_t start, uint64_t len) {
  for (uint64_t va = start; va < start + len;) {
    struct vma *a = vma_find(vm, va);
    if (!a)
      return false;
    va = a->end;
  }
  return true;
}

static int map_object(struct vm *vm, uint64_t start, uint64_t len, int prot, int kind,
                      bool maywrite, const struct vma_ops *ops, void *priv) {
  int r = vm_map_area(vm, start, len, prot, kind, NULL, 0, 0);
  if (r < 0)
    return r;
  struct vma *a = vma_find(vm, start);
  a->ops = ops, a->priv = priv, a->maywrite = maywrite;
  ops->open(priv);
  return 0;
}

int vm_map_object(struct vm *vm, uint64_t start, uint64_t len, int prot, bool maywrite,
                  const struct vma_ops *ops, void *priv) {
  return map_object(vm, start, len, prot, VMA_SHARED, maywrite, ops, priv);
}

int vm_map_object_private(struct vm *vm, uint64_t start, uint64_t len, int prot,
                          const struct vma_ops *ops, void *priv) {
  return map_object(vm, start, len, prot, VMA_FILE, false, ops, priv);
}

const struct vma *vm_area_at(const struct vm *vm, uint64_t va) { return vma_find(vm, va); }

// Split area a at va (start < va < end), so that a ends at va.
static int vma_split(struct vma *a, uint64_t va) {
  struct vma *b = kmalloc(sizeof *b);
  if (!b)
    return -ENOMEM;
  *b = *a;
  b->start = va;
  b->pgoff = a->pgoff + (va - a->start);
  if (b->src)
    b->src->refs++;
  a->end = va;
  a->next = b;
  if (b->ops)
    b->ops->open(b->priv);
  return 0;
}

// Split the areas overlapping [start, end) so that none straddles either boundary.
static int vma_isolate(struct vm *vm, uint64_t start, uint64_t end) {
  for (struct vma *a = vm->vmas; a; a = a->next) {
    int r = 0;
    if (a->start < start && start < a->end)
      r = vma_split(a, start);
    else if (a->start < end && end < a->end)
      r = vma_split(a, end);
    if (r)
      return r;
  }
  return 0;
}

// Release the frames of [start, end), a last-level table at a time (leaf_table): the
// cost is what is mapped, not what is spanned. (A page at a time, munmap of a 2^46-byte
// reservation never touched held the kernel for a quarter of an hour.)
static void unmap_pages(struct vm *vm, uint64_t start, uint64_t end) {
  for (uint64_t va = start, next; va < end; va = next) {
    uint64_t *table = leaf_table(vm->pml4, va, &next);
    for (next = MIN(next, end); table && va < next; va += PAGE_SIZE) {
      uint64_t *pte = &table[(va >> 12) & 511];
      if (*pte & PTE_FRAME) {
        page_release(pte_table(*pte));
        *pte = 0;
        if (is_current(vm))
          invlpg(va);
      }
    }
  }
}

// New rights for the frames of [start, end), a table at a time as unmap_pages.
static void protect_pages(struct vm *vm, uint64_t start, uint64_t end, int prot) {
  uint64_t flags = prot ? pte_flags(prot) : 0;
  for (uint64_t va = start, next; va < end; va = next) {
    uint64_t *table = leaf_table(vm->pml4, va, &next);
    for (next = MIN(next, end); table && va < next; va += PAGE_SIZE) {
      uint64_t *pte = &table[(va >> 12) & 511];
      if (*pte & PTE_FRAME) { // (a page still shared stays read-only: PTE_COW)
        uint64_t cow = *pte & PTE_COW;
        *pte = (*pte & PTE_ADDR) | PTE_FRAME | cow | (cow ? flags & ~PTE_W : flags);
        if (is_current(vm))
          invlpg(va);
      }
    }
  }
}

int vm_unmap(struct vm *vm, uint64_t start, uint64_t len) {
  uint64_t end = start + len;
  int r = vma_isolate(vm, start, end);
  if (r)
    return r;
  for (struct vma **pp = &vm->vmas; *pp;) {
    struct vma *a = *pp;
    if (a->start >= start && a->end <= end) {
      unmap_pages(vm, a->start, a->end);
      *pp = a->next;
      vma_free(a);
    } else {
      pp = &a->next;
    }
  }
  return 0;
}

// ---- identical read-only copies ----
// A loader writes a library's relocations and then makes those pages read-only
// (RELRO), and every process that loads the library at the same place writes the same
// bytes. So when a private copy of a file's page becomes read-only, it is shared: the
// first such copy of a (file, offset) is kept in this index, and a later one that is
// byte for byte the same is dropped for it, copy on write, as for the page cache. An
// entry holds a reference to its frame; the entries no mapping holds any more go back
// when memory runs out (ro_trim). Nodes are only keys: equal bytes are what matters.
struct ro_copy {
  const struct rnode *node;
  uint64_t off;
  uint8_t *frame;
  struct ro_copy *next;
};
#define RO_BUCKETS 64
static struct ro_copy *ro_index[RO_BUCKETS];

static struct ro_copy **ro_bucket(const struct rnode *node, uint64_t off) {
  return &ro_index[((uint64_t)node / 64 + off / PAGE_SIZE) % RO_BUCKETS];
}

// Unmapped frames the index holds (/proc/meminfo's MemAvailable counts them).
uint64_t vm_ro_unmapped(void) {
  uint64_t n = 0;
  for (int b = 0; b < RO_BUCKETS; b++)
    for (struct ro_copy *c = ro_index[b]; c; c = c->next)
      n += !page_shared(c->frame);
  return n;
}

static bool pages_equal(const uint8_t *a, const uint8_t *b) {
  const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
  for (size_t i = 0; i < PAGE_SIZE / 8; i++)
    if (x[i] != y[i])
      return false;
  return true;
}

static uint64_t ro_trim(uint64_t want) {
  uint64_t freed = 0;
  for (int b = 0; b < RO_BUCKETS && freed < want; b++)
    for (struct ro_copy **pp = &ro_index[b], *c; (c = *pp) && freed < want;) {
      if (page_shared(c->frame)) {
        pp = &c->next;
        continue;
      }
      *pp = c->next;
      page_release(c->frame);
      kfree(c);
      freed++;
    }
  return freed;
}

// The private copy at *pte (file page off of node) has just become read-only: map the
// index's identical frame instead, or enter this one if the index has none for it.
static void ro_share(struct vm *vm, uint64_t va, uint64_t *pte, const struct rnode *node,
                     uint64_t off) {
  static bool registered;
  uint8_t *mine = (uint8_t *)pte_table(*pte);
  struct ro_copy **bucket = ro_bucket(node, off), *c;
  for (c = *bucket; c && !(c->node == node && c->off == off); c = c->next)
    ;
  if (c && c->frame != mine && pages_equal(c->frame, mine)) {
    page_share(c->frame);
    page_release(mine);
    *pte = V2P(c->frame) | (*pte & ~PTE_ADDR & ~PTE_W) | PTE_COW;
  } else if (!c && (c = kmalloc(sizeof *c))) {
    *c = (struct ro_copy){.node = node, .off = off, .frame = mine, .next = *bucket};
    *bucket = c;
    page_share(mine); // the index's hold: from now on the bytes never change
    *pte = (*pte & ~PTE_W) | PTE_COW;
    if (!registered)
      page_add_reclaim(ro_trim), registered = true;
  } else {
    return;
  }
  if (is_current(vm))
    invlpg(va);
}

// After an mprotect without PROT_WRITE of area a: share its private copies of file
// pages (a program's segments, a private mapping of a file) through the index.
static void share_ro_copies(struct vm *vm, struct vma *a) {
  if (a->kind == VMA_SHARED || !a->src || (a->prot & PROT_WRITE))
    return;
  for (uint64_t va = a->start, next; va < a->end; va = next) {
    uint64_t *table = leaf_table(vm->pml4, va, &next);
    for (next = MIN(next, a->end); table && va < next; va += PAGE_SIZE) {
      uint64_t *pte = &table[(va >> 12) & 511];
      if ((*pte & PTE_FRAME) && !(*pte & PTE_COW) && !page_shared(pte_table(*pte)))
        ro_share(vm, va, pte, a->src->node, a->pgoff + (va - a->start));
    }
  }
}

// A shared area of a file opened read-only, or of a segment attached SHM_RDONLY: never
// writable, as Linux's areas without VM_MAYWRITE.
static bool never_writable(const struct vma *a) {
  return (a->kind == VMA_SHARED && (a->mapped || a->ops) && !a->maywrite) || a->sealed;
}

int vm_protect(struct vm *vm, uint64_t start, uint64_t len, int prot) {
  uint64_t end = start + len;
  if (!vm_range_mapped(vm, start, len)) // Linux: every page must be mapped
    return -ENOMEM;
  for (struct vma *a = vma_find(vm, start); (prot & PROT_WRITE) && a && a->start < end; a = a->next)
    if (never_writable(a))
      return -EACCES; // written only through a writable fd, or an attachment that may (or
                      // never: the vDSO's data page)
  int r = vma_isolate(vm, start, end);
  if (r)
    return r;
  for (struct vma *a = vm->vmas; a; a = a->next) {
    if (a->start < start || a->end > end)
      continue;
    a->prot = prot;
    protect_pages(vm, a->start, a->end, prot);
    share_ro_copies(vm, a);
  }
  return 0;
}

// ---- files that change under their mappings ----
// Drop, from area a, the pages of file offsets >= from and those whose frame lies in
// [lo, hi); they come back from the file at the next touch (or are SIGBUS past its end).
static void zap_area(struct vm *vm, struct vma *a, uint64_t from, const uint8_t *lo,
                     const uint8_t *hi) {
  for (uint64_t va = a->start, next; va < a->end; va = next) {
    uint64_t *table = leaf_table(vm->pml4, va, &next);
    for (next = MIN(next, a->end); table && va < next; va += PAGE_SIZE) {
      uint64_t *pte = &table[(va >> 12) & 511];
      uint8_t *frame = (uint8_t *)pte_table(*pte);
      if (!(*pte & PTE_FRAME) ||
          (a->pgoff + (va - a->start) < from && !(frame >= lo && frame < hi)))
        continue;
      page_release(frame);
      *pte = 0;
      if (is_current(vm))
        invlpg(va);
    }
  }
}

// File node n shrank (pages at offsets >= from are past its end: every mapping's,
// private copies too, as Linux's truncate) or its data moved to new frames (the old
// ones are [lo, hi)): every address space that maps it lets go of those pages. A
// mapping has no list of its own: the process table is walked (truncation is rare).
void vm_zap_node(const struct rnode *n, uint64_t from, const uint8_t *lo, const uint8_t *hi) {
  for (int i = 0; i < NPROC; i++) {
    struct vm *vm = proctab[i] ? proctab[i]->vm : NULL; // (threads share one: a second
    for (struct vma *a = vm ? vm->vmas : NULL; a; a = a->next) // pass finds nothing)
      if (a->mapped && a->src->node == n)
        zap_area(vm, a, from, lo, hi);
  }
}

// ---- mremap ----
// Make sure [from, from+len)'s pages that hold frames have page tables at to: after
// this, moving them cannot fail half-way.
static int prepare_tables(struct vm *vm, uint64_t from, uint64_t to, uint64_t len) {
  for (uint64_t va = from, next; va < from + len; va = next) {
    uint64_t *table = leaf_table(vm->pml4, va, &next);
    for (next = MIN(next, from + len); table && va < next; va += PAGE_SIZE)
      if ((table[(va >> 12) & 511] & PTE_FRAME) && !walk(vm->pml4, to + (va - from), true))
        return -ENOMEM;
  }
  return 0;
}

// Move the frames of [from, from+len) to the same places at to (tables made before).
static void move_pages(struct vm *vm, uint64_t from, uint64_t to, uint64_t len) {
  for (uint64_t va = from, next; va < from + len; va = next) {
    uint64_t *table = leaf_table(vm->pml4, va, &next);
    for (next = MIN(next, from + len); table && va < next; va += PAGE_SIZE) {
      uint64_t *pte = &table[(va >> 12) & 511];
      if (!(*pte & PTE_FRAME))
        continue;
      *walk(vm->pml4, to + (va - from), false) = *pte;
      *pte = 0;
      if (is_current(vm))
        invlpg(va);
    }
  }
}

// The area [addr, addr+old_len) (one area, isolated) becomes [to, to+new_len) with its
// pages; dontunmap: the old range stays mapped, without pages (MREMAP_DONTUNMAP).
// old_len 0: a second mapping of the same shared object or file (Linux's duplicate).
static long move_area(struct vm *vm, uint64_t addr, uint64_t old_len, uint64_t to,
                      uint64_t new_len, bool dontunmap) {
  int r = old_len ? vma_isolate(vm, addr, addr + old_len) : 0;
  if (r == 0)
    r = prepare_tables(vm, addr, to, old_len);
  struct vma *old = vma_find(vm, addr), *n = r == 0 ? kmalloc(sizeof *n) : NULL;
  if (!n)
    return r < 0 ? r : -ENOMEM;
  *n = *old;
  n->start = to, n->end = to + new_len;
  n->pgoff = old->pgoff + (addr - old->start);
  if (n->src)
    n->src->refs++;
  if (n->ops)
    n->ops->open(n->priv);
  move_pages(vm, addr, to, old_len);
  vma_insert(vm, n);
  if (old_len && !dontunmap)
    vm_unmap(vm, addr, old_len); // (isolated: nothing to split, so this cannot fail)
  return to;
}

// Can the area that ends at end grow by more bytes in place?
static bool can_grow(const struct vm *vm, uint64_t end, uint64_t more) {
  return user_range_ok(end, more) && vm_range_free(vm, end, more);
}

// mremap(2) once its flags, the old address and the lengths (page-rounded, new_len > 0)
// are checked, in Linux's order: the new place's checks and unmap (MREMAP_FIXED), a
// shrink's unmap, then the old range must lie in one area (EFAULT), which grows in
// place if it can, else moves (MREMAP_MAYMOVE) or fails (ENOMEM).
long vm_remap(struct vm *vm, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
              uint64_t new_addr) {
  if (!user_range_ok(addr, old_len)) // (an old range past the user half is not mapped)
    return old_len > new_len ? -EINVAL : -EFAULT;
  bool fixed = flags & MREMAP_FIXED, dontunmap = flags & MREMAP_DONTUNMAP;
  if (fixed || dontunmap) {
    if (fixed && ((new_addr & (PAGE_SIZE - 1)) || !user_range_ok(new_addr, new_len)))
      return -EINVAL;
    if (fixed && addr < new_addr + new_len && new_addr < addr + old_len)
      return -EINVAL; // the two ranges overlap
    int r = fixed ? vm_unmap(vm, new_addr, new_len) : 0;
    if (r < 0)
      return r;
  }
  if (old_len > new_len) {
    int r = vm_unmap(vm, addr + new_len, old_len - new_len);
    if (r < 0)
      return r;
    if (!fixed && !dontunmap)
      return addr;
    old_len = new_len;
  }
  if (old_len == new_len && !fixed && !dontunmap)
    return addr;
  struct vma *a = vma_find(vm, addr);
  if (!a || old_len > a->end - addr)
    return -EFAULT;
  if (!old_len && !(a->kind == VMA_SHARED && (a->mapped || a->ops)))
    return -EINVAL; // only a shared file or object can be mapped twice
  if (dontunmap && a->kind == VMA_SHARED && !a->mapped && !a->ops)
    return -EINVAL; // (a shared anonymous area's pages are nowhere else to refill from)
  if (!fixed && !dontunmap && old_len && addr + old_len == a->end &&
      can_grow(vm, a->end, new_len - old_len)) {
    a->end = addr + new_len;
    return addr;
  }
  if (!fixed && !(flags & MREMAP_MAYMOVE))
    return -ENOMEM;
  if (!fixed && !(new_addr = vm_find_free(vm, new_len)))
    return -ENOMEM;
  return move_area(vm, addr, old_len, new_addr, new_len, dontunmap);
}

// ---- madvise ----
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#define MADV_DONTDUMP 16
#define MADV_DODUMP 17
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#define MADV_DONTNEED_LOCKED 24

// The advice this kernel takes (Linux's others, and unknown values: EINVAL).
bool vm_advice_known(int advice) {
  switch (advice) {
  case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
  case MADV_DONTNEED: case MADV_FREE: case MADV_DONTFORK: case MADV_DOFORK:
  case MADV_DONTDUMP: case MADV_DODUMP: case MADV_WIPEONFORK: case MADV_KEEPONFORK:
  case MADV_COLD: case MADV_PAGEOUT: case MADV_POPULATE_READ: case MADV_POPULATE_WRITE:
  case MADV_DONTNEED_LOCKED:
    return true;
  default:
    return false;
  }
}

static bool private_anon(const struct vma *a) {
  return a->kind != VMA_SHARED && !a->mapped && !a->src;
}

// Is advice one this kernel takes, and may it apply to area a? (0, or Linux's errno.)
static int advice_ok(const struct vma *a, int advice) {
  switch (advice) {
  case MADV_FREE:
  case MADV_WIPEONFORK:
    return private_anon(a) ? 0 : -EINVAL; // anonymous private memory only, as Linux
  case MADV_POPULATE_READ:
  case MADV_POPULATE_WRITE:
    return a->prot ? 0 : -ENOMEM;
  default:
    return 0;
  }
}

// Drop the pages of [start, end) of area a: they read again as the area's contents
// (zeros, or the file's). A shared anonymous area keeps them: they are its only copy.
static void drop_pages(struct vm *vm, struct vma *a, uint64_t start, uint64_t end) {
  if (a->kind == VMA_SHARED && !a->mapped && !a->ops)
    return;
  unmap_pages(vm, start, end);
}

static int advise_area(struct vm *vm, struct vma *a, uint64_t start, uint64_t end, int advice) {
  switch (advice) {
  case MADV_DONTNEED:
  case MADV_DONTNEED_LOCKED:
  case MADV_FREE: // (free at once: the contents may be either, and zeros is one)
    drop_pages(vm, a, start, end);
    return 0;
  case MADV_DONTFORK:
  case MADV_DOFORK:
    a->dontfork = advice == MADV_DONTFORK;
    return 0;
  case MADV_WIPEONFORK:
  case MADV_KEEPONFORK:
    a->wipeonfork = advice == MADV_WIPEONFORK;
    return 0;
  case MADV_POPULATE_READ:
  case MADV_POPULATE_WRITE:
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
      int r = vm_fault(vm, va, advice == MADV_POPULATE_WRITE);
      if (r < 0)
        return r == -ENXIO ? -EFAULT : r == -EACCES ? -EINVAL : r;
    }
    return 0;
  default: // NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DODUMP, DONTDUMP, COLD, PAGEOUT: hints
    return 0;
  }
}

// madvise(2) of [start, start+len) (page-aligned, len > 0, advice known): each area in
// it first checked, then advised (the flags that only some pages get split the areas);
// a gap in the range is ENOMEM once the rest is done, as Linux.
int vm_advise(struct vm *vm, uint64_t start, uint64_t len, int advice) {
  uint64_t end = start + len;
  if (!vm_advice_known(advice))
    return -EINVAL;
  for (struct vma *a = vm->vmas; a && a->start < end; a = a->next) {
    int r = a->end > start ? advice_ok(a, advice) : 0;
    if (r < 0)
      return r;
  }
  bool flags = advice == MADV_DONTFORK || advice == MADV_DOFORK ||
               advice == MADV_WIPEONFORK || advice == MADV_KEEPONFORK;
  int r = flags ? vma_isolate(vm, start, end) : 0;
  if (r < 0)
    return r;
  for (struct vma *a = vm->vmas; a && a->start < end; a = a->next) {
    if (a->end <= start)
      continue;
    r = advise_area(vm, a, MAX(a->start, start), MIN(a->end, end), advice);
    if (r < 0)
      return r;
  }
  return vm_range_mapped(vm, start, len) ? 0 : -ENOMEM;
}

// Make the page at va present, if the area allows the access. Returns 0, -EFAULT if
// no area covers va (or it is PROT_NONE), -EACCES if the area forbids the access,
// -ENXIO if it is a mapped file's page past the file's end (SIGBUS).
static int fill_page(struct vm *vm, struct vma *a, uint64_t va);

// A write to a page fork left shared: the writer gets a copy of its own, or keeps the
// frame if the other side has let go of it. The rights come back from the area's.
static int cow_break(struct vm *vm, struct vma *a, uint64_t va, uint64_t *pte) {
  uint8_t *old = (uint8_t *)pte_table(*pte), *frame = old;
  if (page_shared(old)) {
    if (!(frame = page_alloc_raw(1)))
      return -ENOMEM;
    memcpy(frame, old, PAGE_SIZE);
    page_release(old);
  }
  *pte = V2P(frame) | PTE_FRAME | (a->prot ? pte_flags(a->prot) : 0);
  if (is_current(vm))
    invlpg(ALIGN_DOWN(va, PAGE_SIZE));
  return 0;
}

// A page fault (or a kernel access) at va: fill a missing page, or break a shared one
// for a write.
int vm_fault(struct vm *vm, uint64_t va, bool write) {
  struct vma *a = vm ? vma_find(vm, va) : NULL;
  if (!a || !a->prot)
    return -EFAULT;
  if (write && !(a->prot & PROT_WRITE))
    return -EACCES;
  uint64_t *pte = write ? walk(vm->pml4, va, false) : NULL;
  if (pte && (*pte & PTE_COW))
    return cow_break(vm, a, va, pte);
  if (pte && (*pte & PTE_P) && !(*pte & PTE_W))
    return -EACCES; // (not expected: a page's rights follow its area's; never loop)
  return fill_page(vm, a, va);
}

// Give the page at va its frame even if the area is PROT_NONE (a shared mapping).
int vm_fault_force(struct vm *vm, uint64_t va) {
  struct vma *a = vma_find(vm, va);
  return a ? fill_page(vm, a, va) : -EFAULT;
}

// The file's frame for the page at page of area a: an object's from its ops (a SysV
// segment's, made on first touch; the vDSO's); a mapped file's comes from the file
// (ramfs_map_page); a whole page of an exec'd program from the archive's page cache,
// which every process shares. -ENOENT: none (the page is filled from file_data).
static int file_frame(const struct vma *a, uint64_t page, bool whole, uint8_t **frame,
                      bool *cow) {
  uint64_t off = a->pgoff + (page - a->start);
  if (a->ops) {
    *cow = a->kind != VMA_SHARED; // a private area of an object: its frames until written
    return a->ops->page(a->priv, off / PAGE_SIZE, frame);
  }
  if (a->mapped)
    return ramfs_map_page(a->src->node, off, a->kind == VMA_SHARED, frame, cow);
  return whole && a->src && !a->src->copy ? ramfs_cached_page(a->src->node, off, frame)
                                          : -ENOENT;
}

static int fill_page(struct vm *vm, struct vma *a, uint64_t va) {
  uint64_t page = ALIGN_DOWN(va, PAGE_SIZE);
  uint64_t *pte = walk(vm->pml4, page, true);
  if (!pte)
    return -ENOMEM;
  if (*pte & PTE_FRAME)
    return 0; // already there (a kernel access, or a fault on a page another path filled)
  uint64_t lo = MAX(page, a->file_start), hi = MIN(page + PAGE_SIZE, a->file_end);
  // All from the file (up to its end: the cached page's rest is zeros too)?
  bool whole = a->file_data && lo == page &&
               (hi == page + PAGE_SIZE || (a->file_eof && hi == a->file_end));
  uint8_t *frame;
  bool cow = true;
  int r = file_frame(a, page, whole, &frame, &cow);
  if (r == 0) {
    uint64_t flags = a->prot ? pte_flags(a->prot) : 0;
    *pte = V2P(frame) | PTE_FRAME | (cow ? PTE_COW | (flags & ~PTE_W) : flags);
    return 0;
  }
  if (a->mapped || a->ops || r != -ENOENT)
    return r;
  frame = whole ? page_alloc_raw(1) : page_alloc(1);
  if (!frame)
    return -ENOMEM;
  if (a->file_data && lo < hi)
    memcpy(frame + (lo - page), a->file_data + (lo - a->file_start), hi - lo);
  *pte = V2P(frame) | PTE_FRAME | (a->prot ? pte_flags(a->prot) : 0);
  return 0;
}

// A tracer's write (force) goes through the program's own rights, except into a file's
// shared pages that the program could never write: those are the file itself, which
// the tracer may have no right to change (Linux refuses too), and the vDSO's data page.
static bool forced_write_ok(struct vm *vm, uint64_t va) {
  struct vma *a = vma_find(vm, va);
  return !a || !never_writable(a);
}

// Copy between buf and the user range at uaddr in vm, page by page. force: the caller
// (a tracer) may write where the program itself may not (breakpoints in text); pages
// are private to the process, so this changes no one else's copy. Returns the number
// of bytes copied, which stops short at the first page that cannot be had.
size_t vm_copy(struct vm *vm, uint64_t uaddr, void *buf, size_t n, bool write, bool force) {
  size_t done = 0;
  while (done < n) {
    uint64_t va = uaddr + done;
    if (!user_range_ok(va, 1))
      break;
    if (write && force && !forced_write_ok(vm, va))
      break;
    uint64_t *pte = walk(vm->pml4, va, false);
    bool ok = pte && (*pte & PTE_P) && (!write || force || (*pte & PTE_W));
    if (!ok) {
      if (vm_fault(vm, va, write && !force) < 0)
        break;
      pte = walk(vm->pml4, va, false);
    }
    // A tracer's write into a page fork left shared (a breakpoint in text) copies it
    // first: the other process keeps the page as it was.
    if (write && (*pte & PTE_COW) && cow_break(vm, vma_find(vm, va), va, pte) < 0)
      break;
    size_t off = va & (PAGE_SIZE - 1), chunk = MIN(n - done, PAGE_SIZE - off);
    uint8_t *kva = (uint8_t *)pte_table(*pte) + off;
    if (write)
      memcpy(kva, (uint8_t *)buf + done, chunk);
    else
      memcpy((uint8_t *)buf + done, kva, chunk);
    done += chunk;
  }
  return done;
}

// (vm.h: the fast case is inline.)
uint32_t *vm_user_word_slow(struct vm *vm, uint64_t va, bool write) {
  return user_range_ok(va, 4) && vm_fault(vm, va, write) == 0 ? (uint32_t *)vm_user_page(vm, va, write) : NULL;
}

int copyin(void *dst, uint64_t usrc, size_t n) {
  if (!user_range_ok(usrc, n))
    return -EFAULT;
  uint8_t *k;
  if (n <= PAGE_SIZE - (usrc & (PAGE_SIZE - 1)) && (k = vm_user_page(myproc()->vm, usrc, false))) {
    memcpy(dst, k, n); // the common case: within one present page
    return 0;
  }
  return vm_copy(myproc()->vm, usrc, dst, n, false, false) == n ? 0 : -EFAULT;
}

int copyout(uint64_t udst, const void *src, size_t n) {
  if (!user_range_ok(udst, n))
    return -EFAULT;
  uint8_t *k;
  if (n <= PAGE_SIZE - (udst & (PAGE_SIZE - 1)) && (k = vm_user_page(myproc()->vm, udst, true))) {
    memcpy(k, src, n);
    return 0;
  }
  return vm_copy(myproc()->vm, udst, (void *)src, n, true, false) == n ? 0 : -EFAULT;
}

// Copy a NUL-terminated string of at most max bytes (NUL included). Returns its
// length, -EFAULT, or -ENAMETOOLONG when no NUL comes within max bytes.
long copyinstr(char *dst, uint64_t usrc, size_t max) {
  for (size_t i = 0; i < max; i++) {
    if (copyin(&dst[i], usrc + i, 1) < 0)
      return -EFAULT;
    if (dst[i] == 0)
      return i;
  }
  return -ENAMETOOLONG;
}

// Pages of vm that are in memory (proc:PID/status VmRSS).
uint64_t vm_resident_pages(const struct vm *vm) {
  uint64_t n = 0;
  for (const struct vma *a = vm ? vm->vmas : NULL; a; a = a->next)
    for (uint64_t va = a->start, end; va < a->end; va = end) {
      const uint64_t *table = leaf_table(vm->pml4, va, &end);
      for (end = MIN(end, a->end); table && va < end; va += PAGE_SIZE)
        n += !!(table[(va >> 12) & 511] & PTE_FRAME);
    }
  return n;
}

// The rights of the area holding va (0 if none).
int vm_prot_at(const struct vm *vm, uint64_t va) {
  const struct vma *a = vma_find(vm, va);
  return a ? a->prot : 0;
}
