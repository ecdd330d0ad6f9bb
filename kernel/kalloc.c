// Physical memory: a bitmap of 4 KiB frames, and a small kernel heap on top of it.
//
// Frames are handed out as kernel-virtual addresses (P2V). The bitmap makes contiguous
// multi-page allocations (kernel stacks) simple, and counting free frames exact, which
// the leak tests rely on. The heap (kmalloc) keeps power-of-two size classes on pages
// that go back to the frame allocator as soon as their last object is freed, so that
// "free frames after == before" holds after processes come and go.
#include "types.h"
#include "cpu.h"
#include "kalloc.h"
#include "lib.h"
#include "panic.h"
#include "x86.h"

static uint64_t *bitmap;      // bit set = frame in use
static uint16_t *page_npages; // for a large kmalloc: its page count, at its first frame
static uint16_t *frame_shares; // a user frame mapped by more than one address space:
                               // the number of extra mappings (MAP_SHARED)
static uint64_t nframes, nfree, hint;

static bool frame_used(uint64_t f) { return bitmap[f / 64] >> (f % 64) & 1; }
static void frame_set(uint64_t f, bool used) {
  if (used)
    bitmap[f / 64] |= 1ull << (f % 64);
  else
    bitmap[f / 64] &= ~(1ull << (f % 64));
}

static void reserve(uint64_t lo, uint64_t hi) {
  for (uint64_t f = lo / PAGE_SIZE; f < ALIGN_UP(hi, PAGE_SIZE) / PAGE_SIZE && f < nframes; f++)
    if (!frame_used(f)) {
      frame_set(f, true);
      nfree--;
    }
}

// avail: the RAM ranges the firmware says are usable (physical [lo, hi)). reserved:
// ranges inside them to keep (multiboot modules, boot information). The kernel image
// and the allocator's own tables are kept too.
void kalloc_init(const uint64_t (*avail)[2], int navail, const uint64_t (*reserved)[2],
                 int nreserved) {
  uint64_t top = 0;
  for (int i = 0; i < navail; i++)
    top = MAX(top, avail[i][1]);
  nframes = MIN(top, PHYS_LIMIT) / PAGE_SIZE;
  // The allocator's tables go after the kernel image and after any module QEMU put
  // there, so nothing overlaps them.
  uint64_t image_end = V2P(_kernel_end);
  for (int i = 0; i < nreserved; i++)
    if (reserved[i][1] > image_end && reserved[i][0] < image_end + (64 << 20))
      image_end = ALIGN_UP(reserved[i][1], PAGE_SIZE);
  uint64_t bm_bytes = ALIGN_UP(nframes, 64) / 8, meta_bytes = nframes * 4;
  bitmap = P2V(image_end);
  page_npages = P2V(image_end + ALIGN_UP(bm_bytes, 8));
  frame_shares = page_npages + nframes;
  uint64_t meta_end = image_end + ALIGN_UP(bm_bytes, 8) + meta_bytes;
  memset(bitmap, 0xff, bm_bytes);
  memset(page_npages, 0, meta_bytes);
  for (int i = 0; i < navail; i++)
    for (uint64_t f = ALIGN_UP(avail[i][0], PAGE_SIZE) / PAGE_SIZE;
         f < avail[i][1] / PAGE_SIZE && f < nframes; f++)
      if (frame_used(f))
        frame_set(f, false), nfree++;
  reserve(0, meta_end);
  for (int i = 0; i < nreserved; i++)
    reserve(reserved[i][0], reserved[i][1]);
}

// First run of n free frames at or after start, or nframes if none.
static uint64_t find_run(uint64_t start, size_t n) {
  uint64_t run = 0;
  for (uint64_t f = start; f < nframes; f++) {
    if (n == 1 && f % 64 == 0 && bitmap[f / 64] == ~0ull) {
      f += 63; // skip a full word quickly
      continue;
    }
    run = frame_used(f) ? 0 : run + 1;
    if (run == n)
      return f + 1 - n;
  }
  return nframes;
}

// Frames caches can give back when memory runs out (ramfs.c's page cache, vm.c's
// shared read-only copies): each is called before an allocation fails, with how many
// frames are still wanted, and returns how many it freed.
#define NRECLAIM 4
static uint64_t (*reclaimers[NRECLAIM])(uint64_t want);
void page_add_reclaim(uint64_t (*fn)(uint64_t want)) {
  for (int i = 0; i < NRECLAIM; i++)
    if (!reclaimers[i]) {
      reclaimers[i] = fn;
      return;
    }
  panic("page_add_reclaim: too many");
}

static bool reclaim(uint64_t want) {
  uint64_t freed = 0;
  for (int i = 0; i < NRECLAIM && reclaimers[i] && freed < want; i++)
    freed += reclaimers[i](want - freed);
  return freed > 0;
}

static void *take_run(size_t n) {
  if (n == 0 || n > nfree)
    return NULL;
  uint64_t f = find_run(hint, n);
  if (f == nframes)
    f = find_run(0, n);
  if (f == nframes)
    return NULL;
  for (size_t i = 0; i < n; i++)
    frame_set(f + i, true);
  nfree -= n;
  hint = f + n;
  return P2V(f * PAGE_SIZE);
}

// n contiguous frames, their contents left as they were: for a caller that fills them
// whole at once (a copied page). NULL when there is no such run, even once the caches
// gave back what they could (a run of several frames: everything, for the best chance).
void *page_alloc_raw(size_t n) {
  void *va = take_run(n);
  if (!va && n && reclaim(n == 1 ? 64 : UINT64_MAX))
    va = take_run(n);
  return va;
}

// n contiguous zeroed frames, or NULL.
void *page_alloc(size_t n) {
  void *va = page_alloc_raw(n);
  if (va)
    memset(va, 0, n * PAGE_SIZE);
  return va;
}

void page_free(void *va, size_t n) {
  uint64_t f = V2P(va) / PAGE_SIZE;
  assert(((uint64_t)va & (PAGE_SIZE - 1)) == 0 && f + n <= nframes);
  for (size_t i = 0; i < n; i++) {
    assert(frame_used(f + i));
    frame_set(f + i, false);
  }
  nfree += n;
  if (f < hint)
    hint = f;
}

// One more address space maps the user frame at va.
void page_share(void *va) { frame_shares[V2P(va) / PAGE_SIZE]++; }

// One address space stops mapping the user frame at va: freed with the last one.
void page_release(void *va) {
  uint64_t f = V2P(va) / PAGE_SIZE;
  if (frame_shares[f])
    frame_shares[f]--;
  else
    page_free(va, 1);
}

// Does more than one address space map the user frame at va?
bool page_shared(const void *va) { return frame_shares[V2P(va) / PAGE_SIZE] != 0; }

uint64_t pages_free(void) { return nfree; }
uint64_t pages_total(void) { return nframes; }

// ---- kernel heap ----
// A slab page starts with this header; objects of one size class follow it, so an
// object is never page-aligned, which is how kfree tells slab objects from large ones.
struct slab {
  struct slab *next, *prev; // pages of this class with at least one free object
  void *free;               // free objects, linked through their first word
  uint32_t size, inuse;
};
#define NCLASS 8              // 16, 32, ..., 2048 bytes
#define SLAB_HDR 32
_Static_assert(sizeof(struct slab) <= SLAB_HDR, "slab header");
static struct slab *partial[NCLASS];

static int size_class(size_t n) {
  int c = 0;
  while ((16u << c) < n)
    c++;
  return c;
}

static void slab_unlink(struct slab *s, int c) {
  if (s->prev)
    s->prev->next = s->next;
  else
    partial[c] = s->next;
  if (s->next)
    s->next->prev = s->prev;
  s->next = s->prev = NULL;
}

static void slab_push(struct slab *s, int c) {
  s->prev = NULL;
  s->next = partial[c];
  if (s->next)
    s->next->prev = s;
  partial[c] = s;
}

static struct slab *slab_new(int c) {
  struct slab *s = page_alloc(1);
  if (!s)
    return NULL;
  s->size = 16u << c;
  uint32_t first = MAX(SLAB_HDR, s->size); // keep objects aligned to their size
  for (uint32_t off = PAGE_SIZE - s->size; off >= first; off -= s->size) {
    *(void **)((char *)s + off) = s->free;
    s->free = (char *)s + off;
  }
  slab_push(s, c);
  return s;
}

#define KMALLOC_MAX (65535UL * PAGE_SIZE) // page_npages holds a 16-bit page count
void *kmalloc(size_t n) {
  if (n > 2048) {
    if (n > KMALLOC_MAX) // (also before rounding: n near SIZE_MAX would round to 0)
      return NULL;
    size_t np = ALIGN_UP(n, PAGE_SIZE) / PAGE_SIZE;
    void *p = page_alloc(np);
    if (p)
      page_npages[V2P(p) / PAGE_SIZE] = np;
    return p;
  }
  int c = size_class(n ? n : 1);
  struct slab *s = partial[c] ? partial[c] : slab_new(c);
  if (!s)
    return NULL;
  void *obj = s->free;
  s->free = *(void **)obj;
  s->inuse++;
  if (!s->free)
    slab_unlink(s, c);
  memset(obj, 0, s->size);
  return obj;
}

void kfree(void *p) {
  if (!p)
    return;
  if (((uint64_t)p & (PAGE_SIZE - 1)) == 0) {
    uint64_t f = V2P(p) / PAGE_SIZE;
    page_free(p, page_npages[f]);
    page_npages[f] = 0;
    return;
  }
  struct slab *s = (struct slab *)ALIGN_DOWN((uint64_t)p, PAGE_SIZE);
  int c = size_class(s->size);
  if (!s->free)
    slab_push(s, c); // it was full: it has room again
  *(void **)p = s->free;
  s->free = p;
  if (--s->inuse == 0) {
    slab_unlink(s, c);
    page_free(s, 1);
  }
}

char *kstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = kmalloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}
